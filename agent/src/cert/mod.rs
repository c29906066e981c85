//! Certificates on the agent's side: building the content from the probe, the wipe report and
//! the verdict ([`build`]), and issuing it into a station folder ([`issue`]: chain head, sign,
//! atomic write).
//!
//! The certificate contract itself (content model, canonical form, signatures, chain check,
//! rendering) is the `reprise-cert` crate, shared with the collector; it is re-exported here so
//! the agent speaks of one `cert`.

pub mod build;
pub mod issue;
pub mod station;

pub use reprise_cert::{
    chain, envelope, exchange, jcs, model, refurbish, render, sign, validation,
};
