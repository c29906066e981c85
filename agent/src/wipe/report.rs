//! The wipe report: what `reprise wipe --report FILE` writes and `reprise cert issue` reads.
//!
//! It holds, per device, everything a certificate needs. Integers only (bytes, milliseconds,
//! per-mille); counters that may exceed 2^53 are decimal strings. Bump [`SCHEMA_VERSION`] on any
//! incompatible change.

use serde::{Deserialize, Serialize};

/// Version of the JSON schema of [`WipeReport`].
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WipeReport {
    pub schema_version: u32,
    /// "reprise 0.1.0".
    pub tool: String,
    /// SHA-256 of the live image the tool ran from, when known.
    pub image_digest: Option<String>,
    /// The level the operator asked for, when it differs from what could be performed: Purge
    /// asked, but only Clear exists (each device's `level` says what was done). Absent in
    /// reports that predate it.
    #[serde(default)]
    pub requested_level: Option<Level>,
    pub devices: Vec<DeviceWipe>,
}

/// Identity of the wiped device as seen when the wipe started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceIdentity {
    pub dev_path: String,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub firmware: Option<String>,
    pub vendor: Option<String>,
    /// nvme, sata, usb, mmc, virtio, scsi, file, unknown.
    pub transport: String,
    /// hdd, ssd, flash, file, unknown.
    pub media_type: String,
    pub size_bytes: u64,
    pub logical_sector_size: u32,
}

/// NIST SP 800-88 sanitization level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Clear,
    Purge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every byte written and verification passed.
    Passed,
    /// Some write or the verification failed: see `errors`.
    Failed,
    /// Stopped by the operator before the end: never counts as sanitized.
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceWipe {
    pub device: DeviceIdentity,
    pub level: Level,
    /// "overwrite" for now; firmware techniques later ("ata-sanitize-crypto", ...).
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub mode: VerifyMode,
    /// Share of the media read back, per mille (1000 = full).
    pub coverage_permille: u32,
    /// Seed of the sample locations (hex), when sampled.
    pub seed: Option<String>,
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
            coverage_permille: 0,
            seed: None,
            subsections: 0,
            blocks_checked: 0,
            bytes_checked: 0,
            mismatches: 0,
            first_mismatch_lba: None,
            passed: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WipeError {
    /// "write", "read", "verify", "flush", "open", "device-gone", "cancelled".
    pub operation: String,
    /// First LBA of the failing range (logical sectors), when the error has a place.
    pub lba: Option<u64>,
    /// Number of sectors in the failing range.
    pub sectors: Option<u64>,
    pub message: String,
}
