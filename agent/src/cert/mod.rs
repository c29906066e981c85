//! Certificates of sanitization: content model, canonical form (RFC 8785), Ed25519 signatures,
//! the per-station hash chain, and their text/HTML rendering.
//!
//! `model`, `jcs`, `sign`, `envelope`, `chain` and `render` are pure and free of agent-only
//! dependencies, so that they can move to a crate shared with the collector (together with the
//! verdict's `Reason`/`Action` types they serialize). `build` turns probe and wipe reports into
//! content; `issue` adds the folder and the clock (through `sys`) and stays in the agent.

pub mod build;
pub mod chain;
pub mod envelope;
pub mod issue;
pub mod jcs;
pub mod model;
pub mod render;
pub mod sign;
