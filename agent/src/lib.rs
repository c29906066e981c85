//! Reprise agent library: probe a laptop, sanitize and verify its disks, decide its fate, sign
//! the certificate. See ARCHITECTURE.md for the map and the invariants.

pub mod cert;
pub mod checks;
pub mod cli;
pub mod deploy;
pub mod flow;
pub mod model;
pub mod parse;
pub mod probe;
pub mod sys;
pub mod tui;
pub mod verdict;
pub mod wipe;
