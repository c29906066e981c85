//! The verdict a machine is heading for, shown on the first screen before anything is written:
//! the policy applied as if every planned disk ends sanitized.
//!
//! It is a forecast and says so on screen ("expected, if the planned disks are sanitized"). The
//! what-if wipe records built here never leave this function: they are not written, signed or
//! shown as results — the run's own records, and the one predicate `is_sanitized`, decide the
//! real verdict. Each is made by `wipe::as_if_sanitized`, beside the code that makes the real
//! record of its technique, so that the predicate accepts it as it accepts a real success
//! (a firmware Purge included) and the forecast never sends a disk the plan purges to
//! destruction.

use std::collections::BTreeMap;

use super::RunPlan;
use crate::cert::model::ChecksRecord;
use crate::model::DiskId;
use crate::probe::model::{DiskHealth, ProbeReport};
use crate::verdict::{Policy, Verdict};
use crate::wipe::report::{SCHEMA_VERSION, WipeReport};

/// The verdict if every disk of `plan` is sanitized, with what is known now: the probe, the
/// disks' health, the hands-on checks done so far.
pub fn expected_verdict(
    probe: &ProbeReport,
    plan: &RunPlan,
    health: &BTreeMap<DiskId, DiskHealth>,
    checks: &ChecksRecord,
    policy: &Policy,
) -> Verdict {
    let devices = plan.wipe.as_ref().map_or_else(Vec::new, |p| {
        p.devices()
            .iter()
            .map(|d| crate::wipe::as_if_sanitized(p, d))
            .collect()
    });
    let wipe = WipeReport {
        schema_version: SCHEMA_VERSION,
        tool: crate::model::tool_version(),
        image_digest: None,
        requested_level: None,
        devices,
    };
    crate::verdict::evaluate_with_checks(probe, &wipe, health, checks, policy)
}
