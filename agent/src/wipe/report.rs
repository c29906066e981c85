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
use super::technique::Technique;
use crate::model::{DiskIdentity, ErrorKind, Level};

/// How a device's sanitization ended, how a firmware command ended, how much was read back, the
/// rule of a firmware erase's check: the certificate records them as they are here.
pub use reprise_cert::model::{Completion, Outcome, PostErase, VerifyMode};

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceWipe {
    /// Who the device is, as probed (size and sector size as the opened device reports them).
    pub device: DiskIdentity,
    pub level: Level,
    /// "overwrite", or the firmware technique ("nvme-sanitize-crypto", "ata-security-erase",
    /// ...; `wipe::technique`).
    pub technique: String,
    /// "zero", "one", "random", "pattern:a5", "dod-3pass", "pattern-complement:55"; for a
    /// firmware technique "none", or "zero" when a verified zero pass followed it.
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
    /// The plan's facts about this disk: why this technique and level (absent in reports made
    /// before firmware erases existed, and for explicit `--method` overwrites).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explanations: Vec<reprise_cert::plan::Explanation>,
    /// The drive's own erase command and what it answered (firmware techniques only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<FirmwareRecord>,
    /// The before/after check of a firmware erase, with every sample's digests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_check: Option<FirmwareCheck>,
    /// Host Protected Area and Device Configuration Overlay, before and after (ATA only;
    /// absent: not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden_areas: Option<HiddenAreas>,
}

/// What the drive's firmware was asked and what it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareRecord {
    /// The technique's name, as in `DeviceWipe::technique`.
    pub technique: String,
    /// The command as sent ("NVMe Sanitize (84h), crypto erase, AUSE").
    pub command: String,
    /// NVMe namespaces it erased (a Sanitize: every namespace of the controller).
    pub namespaces: Vec<u32>,
    /// The drive reported the operation in progress at least once.
    pub observed_in_progress: bool,
    /// The drive reported that the operation completed without error.
    pub reported_success: bool,
    pub completion: Completion,
    /// The last status the drive reported, in words with its codes, when not plain success.
    pub status: Option<String>,
    pub started_at: String,
    pub duration_ms: u64,
    /// The drive's own estimate, when it gave one.
    pub estimated_ms: Option<u64>,
    /// Status reads while waiting.
    pub polls: u64,
    /// ATA SECURITY ERASE UNIT: security disabled afterwards (no password left on the drive).
    pub security_disabled_after: Option<bool>,
}

/// One sampled block before and after a firmware erase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleDigest {
    pub lba: u64,
    pub sectors: u64,
    /// blake3 of the block's bytes, hex; `None` when it could not be read.
    pub before: Option<String>,
    pub after: Option<String>,
    /// After: the block holds the technique's documented content (zeros, ones).
    pub documented: bool,
}

/// The check of a firmware erase: the NIST §4.7 sample (sampler, seed) read before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareCheck {
    /// What the blocks must hold afterwards, besides differing from before.
    pub rule: PostErase,
    pub algorithm: String,
    pub seed: String,
    pub total_sectors: u64,
    pub sector_size: u32,
    pub requested_permille: u32,
    pub coverage_permille: u32,
    pub subsections: u64,
    pub blocks_checked: u64,
    pub bytes_checked: u64,
    /// Blocks that read the same as before and not the documented content.
    pub unchanged_blocks: u64,
    /// Blocks that could not be read (before or after).
    pub unreadable_blocks: u64,
    pub first_bad_lba: Option<u64>,
    pub passed: bool,
    pub samples: Vec<SampleDigest>,
}

impl FirmwareCheck {
    /// `blake3:<hex>` over every sample's LBA and digests: what the certificate records, so
    /// the report's list can be matched to it.
    pub fn digest(&self) -> String {
        let mut h = blake3::Hasher::new();
        for s in &self.samples {
            h.update(&s.lba.to_le_bytes());
            h.update(&s.sectors.to_le_bytes());
            h.update(s.before.as_deref().unwrap_or("-").as_bytes());
            h.update(b"/");
            h.update(s.after.as_deref().unwrap_or("-").as_bytes());
            h.update(b";");
        }
        format!("blake3:{}", h.finalize().to_hex())
    }

    /// Whether the samples say what the counters say (a report edited by hand does not).
    fn consistent(&self) -> Result<(), String> {
        let unreadable = self
            .samples
            .iter()
            .filter(|s| s.before.is_none() || s.after.is_none())
            .count() as u64;
        let unchanged = self
            .samples
            .iter()
            .filter(|s| s.before.is_some() && s.before == s.after && !s.documented)
            .count() as u64;
        if self.rule == PostErase::Changed && self.samples.iter().any(|s| s.documented) {
            return Err("a sample counted as documented content under rule \"changed\"".into());
        }
        if self.blocks_checked != self.samples.len() as u64
            || unreadable != self.unreadable_blocks
            || unchanged != self.unchanged_blocks
        {
            return Err(format!(
                "{} samples, {unreadable} unreadable, {unchanged} unchanged, but the counters say {}, {}, {}",
                self.samples.len(),
                self.blocks_checked,
                self.unreadable_blocks,
                self.unchanged_blocks
            ));
        }
        let ok = self.blocks_checked > 0 && unreadable == 0 && unchanged == 0;
        if self.passed != ok {
            return Err(format!("passed {} contradicts its samples", self.passed));
        }
        Ok(())
    }
}

/// Hidden areas before and after (sectors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HiddenAreas {
    pub hpa_sectors_before: Option<u64>,
    pub hpa_sectors_after: Option<u64>,
    pub dco_sectors_before: Option<u64>,
    pub dco_sectors_after: Option<u64>,
}

impl HiddenAreas {
    /// Sectors known to be still hidden afterwards (what could not be read counts as none: it
    /// stays "not checked" in the record).
    pub fn hidden_after(&self) -> u64 {
        self.hpa_sectors_after.unwrap_or(0) + self.dco_sectors_after.unwrap_or(0)
    }
}

impl WipeReport {
    /// Whether namespace `nsid` of the NVMe controller with serial `serial` was erased by a
    /// firmware command of a disk proven sanitized: an NVMe Sanitize (or a Format of every
    /// namespace) records every namespace it erased, the ones the kernel does not show included.
    pub fn erased_namespace(&self, serial: &str, nsid: u32) -> bool {
        self.devices.iter().any(|w| {
            w.device.serial.as_deref().map(str::trim) == Some(serial.trim())
                && w.firmware
                    .as_ref()
                    .is_some_and(|f| f.namespaces.contains(&nsid))
                && w.is_sanitized()
        })
    }
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
        let technique: Technique = self.technique.parse().map_err(|e| format!("{dev}: {e}"))?;
        // Sectors left hidden (HPA, DCO) were not sanitized, whatever the technique.
        if let Some(h) = &self.hidden_areas
            && matches!(self.outcome, Outcome::Passed | Outcome::Unverified)
            && h.hidden_after() > 0
        {
            return Err(format!(
                "{dev}: outcome {} while {} sectors are still hidden (HPA/DCO)",
                self.outcome.as_str(),
                h.hidden_after()
            ));
        }
        if technique.is_firmware() {
            return self.check_firmware(technique);
        }
        if self.firmware.is_some() || self.firmware_check.is_some() {
            return Err(format!("{dev}: an overwrite with a firmware record"));
        }
        if self.level != Level::Clear {
            return Err(format!(
                "{dev}: level {} by overwrite: an overwrite is a Clear",
                self.level.as_str()
            ));
        }
        self.check_overwrite()
    }

    /// The rules of an overwrite record (also the zero pass after a firmware erase).
    fn check_overwrite(&self) -> Result<(), String> {
        let dev = &self.device.dev_path;
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

    /// The rules of a firmware erase: exactly what the technique can legitimately produce. A
    /// Purge (or Clear) is claimed only when the drive reported success — after an observed
    /// in-progress state for a sanitize, on completion of its command for a format or security
    /// erase (with security found disabled afterwards) — and the before/after check passed;
    /// with a zero pass afterwards, that pass must be a complete, verified overwrite.
    fn check_firmware(&self, technique: Technique) -> Result<(), String> {
        let dev = &self.device.dev_path;
        let media = self.device.media_type;
        let level = technique.level(media).ok_or_else(|| {
            format!(
                "{dev}: {technique} cannot sanitize {} media",
                media.as_str()
            )
        })?;
        if self.level != level {
            return Err(format!(
                "{dev}: {technique} on {} media is a {}, not a {}",
                media.as_str(),
                level.as_str(),
                self.level.as_str()
            ));
        }
        if !technique.fits(self.device.transport) {
            return Err(format!(
                "{dev}: {technique} over {}",
                self.device.transport.as_str()
            ));
        }
        let claims_done = matches!(self.outcome, Outcome::Passed | Outcome::Unverified);
        if !claims_done {
            return Ok(());
        }
        let fw = self
            .firmware
            .as_ref()
            .ok_or_else(|| format!("{dev}: {technique} without a firmware record"))?;
        if fw.technique != self.technique {
            return Err(format!(
                "{dev}: firmware record of {}, technique {}",
                fw.technique, self.technique
            ));
        }
        if fw.completion != Completion::Completed || !fw.reported_success {
            return Err(format!(
                "{dev}: outcome {} but the drive did not report success ({})",
                self.outcome.as_str(),
                fw.completion.as_str()
            ));
        }
        if technique.runs_in_background() && !fw.observed_in_progress {
            return Err(format!(
                "{dev}: a sanitize reported done without ever being seen in progress"
            ));
        }
        if matches!(technique, Technique::AtaSecurityErase { .. })
            && fw.security_disabled_after != Some(true)
        {
            return Err(format!(
                "{dev}: security erase without security disabled afterwards"
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
        let then_zero = !self.passes.is_empty();
        if then_zero {
            if self.method != "zero" {
                return Err(format!(
                    "{dev}: the pass after a firmware erase is {}, not zero",
                    self.method
                ));
            }
            self.check_overwrite()?;
        } else if self.method != "none" || self.bytes_written != 0 {
            return Err(format!(
                "{dev}: a firmware erase with method {} and {} bytes written",
                self.method, self.bytes_written
            ));
        }
        match (&self.firmware_check, self.outcome) {
            (Some(c), _) => {
                c.consistent().map_err(|e| format!("{dev}: {e}"))?;
                if self.outcome == Outcome::Passed && !c.passed {
                    return Err(format!(
                        "{dev}: outcome passed, but the before/after check did not pass"
                    ));
                }
                let v = &self.verification;
                if !then_zero && (v.mode != VerifyMode::Sample || v.passed != c.passed) {
                    return Err(format!(
                        "{dev}: the verification does not state the before/after check"
                    ));
                }
            }
            (None, Outcome::Passed) => {
                return Err(format!(
                    "{dev}: outcome passed without a before/after check"
                ));
            }
            (None, _) => {}
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
