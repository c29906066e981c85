//! Sanitization: plan, overwrite engine, verification, and the report they produce.

pub mod report;
