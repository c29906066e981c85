//! The verdict a machine is heading for, shown on the first screen before anything is written:
//! the policy applied as if every planned disk ends sanitized.
//!
//! It is a forecast and says so on screen ("expected, if the planned disks are sanitized"). The
//! what-if wipe records built here never leave this function: they are not written, signed or
//! shown as results — the run's own records, and the one predicate `is_sanitized`, decide the
//! real verdict.

use std::collections::BTreeMap;

use super::RunPlan;
use crate::cert::model::ChecksRecord;
use crate::model::{DiskId, Level};
use crate::probe::model::{DiskHealth, ProbeReport};
use crate::verdict::{Policy, Verdict};
use crate::wipe::ValidatedDevice;
use crate::wipe::VerifySpec;
use crate::wipe::report::{
    DeviceWipe, Outcome, PassReport, SCHEMA_VERSION, Verification, VerifyMode, WipeReport,
};
use crate::wipe::sample;

/// The verdict if every disk of `plan` is sanitized, with what is known now: the probe, the
/// disks' health, the hands-on checks done so far.
pub fn expected_verdict(
    probe: &ProbeReport,
    plan: &RunPlan,
    health: &BTreeMap<DiskId, DiskHealth>,
    checks: &ChecksRecord,
    policy: &Policy,
) -> Verdict {
    let wipe = WipeReport {
        schema_version: SCHEMA_VERSION,
        tool: crate::model::tool_version(),
        image_digest: None,
        requested_level: None,
        devices: plan
            .targets()
            .iter()
            .map(|d| as_if_sanitized(d, plan.verify))
            .collect(),
    };
    crate::verdict::evaluate_with_checks(probe, &wipe, health, checks, policy)
}

/// The record a successful wipe of `d` would leave (every pass written, verification passed).
fn as_if_sanitized(d: &ValidatedDevice, verify: VerifySpec) -> DeviceWipe {
    let id = d.identity();
    let size = id.size_bytes;
    let passes: Vec<PassReport> = d
        .passes()
        .iter()
        .zip(1u32..)
        .map(|(p, n)| PassReport {
            pass: n,
            pattern: p.name(),
            bytes_written: size,
            duration_ms: 0,
        })
        .collect();
    // The level and technique the plan chose (a firmware Purge where the drive has one).
    let (level, technique, explanations) = match d.strategy() {
        Some(s) => (s.level, s.technique.name(), s.explanations.clone()),
        None => (Level::Clear, "overwrite".to_owned(), Vec::new()),
    };
    DeviceWipe {
        device: id.clone(),
        level,
        technique,
        method: d.method().to_string(),
        bytes_written: size.saturating_mul(passes.len() as u64),
        passes,
        started_at: String::new(),
        finished_at: String::new(),
        duration_ms: 0,
        write_rate_bps: 0,
        verification: what_if_verification(verify, size, id.logical_sector_size),
        outcome: if verify == VerifySpec::None {
            Outcome::Unverified
        } else {
            Outcome::Passed
        },
        errors: Vec::new(),
        explanations,
        firmware: None,
        firmware_check: None,
        hidden_areas: None,
    }
}

/// The verification a complete, clean read-back of `verify` on a disk of `size` bytes would
/// state: its numbers add up as the engine's do (`Verification::check_numbers`), the sample
/// drawn from seed 0 (counted, not listed).
fn what_if_verification(verify: VerifySpec, size: u64, sector_size: u32) -> Verification {
    let sector_size = sector_size.max(1);
    let total_sectors = size.div_ceil(u64::from(sector_size));
    let read = Verification {
        total_sectors,
        sector_size,
        passed: true,
        ..Verification::not_run()
    };
    match verify {
        VerifySpec::None => Verification::not_run(),
        VerifySpec::Full => Verification {
            mode: VerifyMode::Full,
            requested_permille: 1000,
            coverage_permille: 1000,
            blocks_checked: 1,
            bytes_checked: size,
            ..read
        },
        VerifySpec::Sample { permille } => {
            let s = sample::counts(total_sectors, sector_size, permille);
            Verification {
                mode: VerifyMode::Sample,
                requested_permille: permille,
                coverage_permille: s.permille(total_sectors),
                algorithm: Some(Verification::sample_algorithm()),
                seed: Some(format!("{:016x}", 0)),
                subsections: s.subsections,
                blocks_checked: s.blocks,
                bytes_checked: s.bytes(sector_size, total_sectors, size),
                ..read
            }
        }
    }
}
