//! What the integration tests share: certificate fixtures (`certs`), the binary as a user runs it
//! (`cli`), loop devices and files the
//! test created itself (`devices`, the only targets a test may write), simulated drives
//! (`drives`), the differential-test runner over independent tools (`oracle`), fixture trees
//! (`tree`), and a stand-in workshop server (`workshop`).

pub mod certs;
pub mod cli;
pub mod devices;
pub mod drives;
pub mod oracle;
pub mod tree;
pub mod workshop;
