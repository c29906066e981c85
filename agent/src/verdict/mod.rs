//! Refurbish or recycle: a policy (TOML) applied to the probe and wipe results.
//!
//! [`rules::evaluate`] is pure: structs in, a [`Verdict`] out. The verdict's types (decision,
//! grade, typed reasons and actions) are part of the certificate contract and live in the
//! `reprise-cert` crate, which also renders them in French or English (`messages`).
//! [`price`] prices each repair from the policy's price list; the plan is weighed against the
//! policy's budget last, so the reasons that send a laptop to recycling anyway outrank it.

pub mod policy;
pub mod price;
pub mod rules;

pub use policy::{Policy, RemappedAfterOverwrite};
pub use reprise_cert::messages;
pub use reprise_cert::verdict::{Action, Decision, DiskProblem, Grade, Pricing, Reason, Verdict};
pub use rules::{evaluate, evaluate_with_checks};
