//! Refurbish or recycle: a policy (TOML) applied to the probe and wipe results.
