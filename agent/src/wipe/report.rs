//! The wipe report: what `reprise wipe --report FILE` writes and `reprise cert issue` reads.
//!
//! It holds, per device, everything a certificate needs. Integers only (bytes, milliseconds,
//! per-mille); counters that may exceed 2^53 are decimal strings. Bump [`SCHEMA_VERSION`] on any
//! incompatible change.
//!
//! [`DeviceWipe::is_sanitized`] is THE predicate: the console line, the exit code, the
//! certificate's `result` and `sanitized`, and the verdict all ask it (ARCHITECTURE.md,
//! "One truth for sanitized"). [`DeviceWipe::check_consistency`] refuses a report (read from a
//! file) whose claims the engine cannot have produced.

use serde::{Deserialize, Serialize};

use super::plan::Method;
use super::sample;
use crate::model::{DiskIdentity, ErrorKind, Level};

/// Version of the JSON schema of [`WipeReport`]. 2: disk identity with its stable id, typed
/// error kinds, the `unverified` outcome, the sampler's inputs.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WipeReport {
    pub schema_version: u32,
    /// "reprise 0.1.0".
    pub tool: String,
    /// SHA-256 of the live image the tool ran from, when known.
    pub image_digest: Option<String>,
    /// The level the operator asked for, when it differs from what could be performed: Purge
    /// asked, but only Clear exists (each device's `level` says what was done).
    #[serde(default)]
    pub requested_level: Option<Level>,
    pub devices: Vec<DeviceWipe>,
}

/// How one device's sanitization ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every byte written, every flush and sync succeeded, and the verification that was asked
    /// for (sample or full) read back what was written: the disk is sanitized.
    Passed,
    /// Every byte written, but no verification was asked for (`--verify none`): NIST SP 800-88
    /// requires one, so the disk is NOT sanitized; it can be wiped again with verification.
    Unverified,
    /// A write, flush, sync or read failed, the verification found a mismatch, the device
    /// vanished, or it was refused: see `errors`.
    Failed,
    /// Stopped by the operator before the end: never counts as sanitized.
    Cancelled,
}

impl Outcome {
    /// The name used in reports and certificates ("passed", "unverified", ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Unverified => "unverified",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceWipe {
    /// Who the device is, as probed (size and sector size as the opened device reports them).
    pub device: DiskIdentity,
    pub level: Level,
    /// "overwrite" (firmware techniques come later: "ata-sanitize-crypto", ...).
    pub technique: String,
    /// "zero", "one", "random", "pattern:a5", "dod-3pass", "pattern-complement:55".
    pub method: String,
    pub passes: Vec<PassReport>,
    pub bytes_written: u64,
    /// RFC 3339 UTC, e.g. "2026-11-26T10:00:00.123Z".
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    /// Write throughput in bytes per second (integer).
    pub write_rate_bps: u64,
    pub verification: Verification,
    pub outcome: Outcome,
    pub errors: Vec<WipeError>,
}

impl DeviceWipe {
    /// Whether this record proves the disk sanitized: THE one predicate (see the module doc).
    /// Only the engine produces `Passed`, and only when every byte was written and verification
    /// passed; the record must also be consistent ([`DeviceWipe::check_consistency`]).
    pub fn is_sanitized(&self) -> bool {
        // The consistency check makes the predicate hold even for a record edited in memory
        // or read from a file: "passed" alone is never enough.
        self.outcome == Outcome::Passed && self.check_consistency().is_ok()
    }

    /// Whether some write failed and then succeeded when retried in smaller pieces (sanitized
    /// all the same, but the disk deserves a health check).
    pub fn writes_retried(&self) -> u64 {
        self.errors
            .iter()
            .filter(|e| e.operation == ErrorKind::WriteRetried)
            .count() as u64
    }

    /// Checks that the record says only what the engine can have done: the technique and level
    /// it performs, passes that match the method, every byte of every pass written for a
    /// `passed` or `unverified` outcome, a verification that ran and found nothing for
    /// `passed`, and no error that breaks sanitization beside either.
    pub fn check_consistency(&self) -> Result<(), String> {
        let dev = &self.device.dev_path;
        if self.level != Level::Clear || self.technique != "overwrite" {
            return Err(format!(
                "{dev}: level {} by technique {:?}: this engine performs only Clear by overwrite",
                self.level.as_str(),
                self.technique
            ));
        }
        let method: Method = self
            .method
            .parse()
            .map_err(|e| format!("{dev}: method {:?}: {e}", self.method))?;
        let per_round = method.passes();
        let names: Vec<String> = self.passes.iter().map(|p| p.pattern.clone()).collect();
        let rounds_ok = !per_round.is_empty()
            && names.len().is_multiple_of(per_round.len())
            && names
                .iter()
                .enumerate()
                .all(|(i, n)| *n == per_round[i % per_round.len()].name());
        let claims_written = matches!(self.outcome, Outcome::Passed | Outcome::Unverified);
        if claims_written {
            if !rounds_ok || names.is_empty() {
                return Err(format!(
                    "{dev}: passes {names:?} do not match method {}",
                    self.method
                ));
            }
            let size = self.device.size_bytes;
            if size == 0 || size < u64::from(self.device.logical_sector_size) {
                return Err(format!("{dev}: capacity {size} bytes is not a disk"));
            }
            if let Some(p) = self.passes.iter().find(|p| p.bytes_written != size) {
                return Err(format!(
                    "{dev}: pass {} wrote {} of {size} bytes",
                    p.pass, p.bytes_written
                ));
            }
            let total = size.checked_mul(self.passes.len() as u64);
            if total != Some(self.bytes_written) {
                return Err(format!(
                    "{dev}: {} bytes written, not capacity {size} × {} passes",
                    self.bytes_written,
                    self.passes.len()
                ));
            }
            if let Some(e) = self
                .errors
                .iter()
                .find(|e| e.operation.breaks_sanitization())
            {
                return Err(format!(
                    "{dev}: outcome {} with a {} error",
                    self.outcome.as_str(),
                    e.operation.as_str()
                ));
            }
        }
        let v = &self.verification;
        match self.outcome {
            Outcome::Passed => {
                if v.mode == VerifyMode::None || !v.passed || v.mismatches > 0 {
                    return Err(format!(
                        "{dev}: outcome passed without a verification that passed (mode {:?})",
                        v.mode
                    ));
                }
            }
            Outcome::Unverified => {
                if v.mode != VerifyMode::None {
                    return Err(format!(
                        "{dev}: outcome unverified, yet verification mode {:?}",
                        v.mode
                    ));
                }
            }
            Outcome::Failed | Outcome::Cancelled => {}
        }
        if v.passed && v.mode == VerifyMode::None {
            return Err(format!("{dev}: verification none cannot have passed"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassReport {
    /// 1-based pass number.
    pub pass: u32,
    /// What this pass wrote: "zero", "one", "random", "pattern:a5".
    pub pattern: String,
    pub bytes_written: u64,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyMode {
    None,
    Sample,
    Full,
}

/// What was read back, and how an auditor can recompute which blocks (`wipe/SAMPLING.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub mode: VerifyMode,
    /// Share of the media asked for, per mille (sample mode; 1000 for full, 0 for none).
    pub requested_permille: u32,
    /// Share of the media actually read back, per mille (1000 = full).
    pub coverage_permille: u32,
    /// The sampler and its version ("reprise-nist-sample-v1"), when sampled.
    pub algorithm: Option<String>,
    /// Seed of the sample locations (16 hex digits), when sampled.
    pub seed: Option<String>,
    /// Sectors of the device and their size, as the sampler saw them.
    pub total_sectors: u64,
    pub sector_size: u32,
    /// Number of equal subsections the media was divided into (sample mode).
    pub subsections: u64,
    /// Read units compared: sample blocks (sample mode) or read buffers (full mode).
    pub blocks_checked: u64,
    pub bytes_checked: u64,
    /// Logical sectors that did not hold the expected content or could not be read.
    pub mismatches: u64,
    pub first_mismatch_lba: Option<u64>,
    /// Whether verification ran to the end and found nothing wrong (false when mode is none:
    /// nothing was checked).
    pub passed: bool,
}

impl Verification {
    /// No verification took place (not asked, or the wipe never got that far): never passed.
    pub fn not_run() -> Self {
        Verification {
            mode: VerifyMode::None,
            requested_permille: 0,
            coverage_permille: 0,
            algorithm: None,
            seed: None,
            total_sectors: 0,
            sector_size: 0,
            subsections: 0,
            blocks_checked: 0,
            bytes_checked: 0,
            mismatches: 0,
            first_mismatch_lba: None,
            passed: false,
        }
    }

    /// The sampler's name as recorded.
    pub fn sample_algorithm() -> String {
        sample::ALGORITHM.to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WipeError {
    /// What failed ("write", "write-retried", "read", "verify", "flush", "sync", "open",
    /// "identity", "device-gone", "cancelled").
    pub operation: ErrorKind,
    /// First LBA of the failing range (logical sectors), when the error has a place.
    pub lba: Option<u64>,
    /// Number of sectors in the failing range.
    pub sectors: Option<u64>,
    pub message: String,
}
