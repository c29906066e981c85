//! The wipe report: what `reprise wipe --report FILE` writes and `reprise cert issue` reads.
//!
//! It holds, per device, everything a certificate needs. Integers only (bytes, milliseconds,
//! per-mille); counters that may exceed 2^53 are decimal strings. Bump [`SCHEMA_VERSION`] on any
//! incompatible change.
//!
//! [`DeviceWipe::is_sanitized`] is THE predicate: the console line, the exit code, the
//! certificate's `result` and `sanitized`, and the verdict all ask it (ARCHITECTURE.md,
//! "One truth for sanitized"). [`DeviceWipe::check_consistency`] refuses a report (read from a
//! file) whose claims the engine cannot have produced, and whose verification numbers do not add
//! up ([`Verification::check_numbers`]).

use serde::{Deserialize, Serialize};

use super::plan::Method;
use super::sample;
use super::technique::Technique;
use crate::model::{DiskIdentity, ErrorKind, Level};

/// How a device's sanitization ended, how a firmware command ended, how much was read back, the
/// rules of a firmware erase's check: the certificate records them as they are here.
pub use reprise_cert::model::{
    CanaryRule, Completion, HiddenAreaState, Outcome, PostErase, VerifyMode,
};

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
    /// The canary check of a firmware erase, with every sample's digests.
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
    /// A sanitize: the drive's sanitize status just before the command, as compared (NVMe: SSTAT
    /// and SCDW10 of the Sanitize Status log; ATA: bits 15:14 of SANITIZE STATUS EXT's COUNT);
    /// absent where the protocol keeps none (SCSI) or it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_before: Option<String>,
    /// The same status when the drive reported the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_after: Option<String>,
}

impl FirmwareRecord {
    /// Whether the end the drive reported is this command's, for an operation that runs in the
    /// background (a sanitize): it was seen in progress, or its status changed across the
    /// command. An idle drive reports the success of its last sanitize, so a success alone may
    /// be an earlier one; a fast sanitize that completed before the first status read is told
    /// apart by the status it leaves (`firmware::nvme`, `firmware::ata` say what each protocol
    /// offers).
    pub fn end_is_ours(&self) -> bool {
        self.observed_in_progress || self.status_changed()
    }

    /// Both statuses were read and they differ.
    pub fn status_changed(&self) -> bool {
        matches!((&self.status_before, &self.status_after), (Some(b), Some(a)) if b != a)
    }
}

/// One sampled block before and after a firmware erase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleDigest {
    pub lba: u64,
    pub sectors: u64,
    /// blake3 of the block's bytes before the erase, hex: its canary, written, flushed and read
    /// back intact (a check without canaries, from an older report: what it held). `None`: the
    /// canary could not be written or did not read back (could not be read).
    pub before: Option<String>,
    /// blake3 of the block's bytes after the erase; `None` when it could not be read.
    pub after: Option<String>,
    /// After: the block holds the technique's documented content (zeros, ones).
    pub documented: bool,
}

/// How one sampled block fares under its check's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleVerdict {
    /// It proves the erase.
    Good,
    /// No canary (or nothing read) before, or nothing read after: nothing proven.
    Unreadable,
    /// It reads as before: still its canary (with canaries); the same as before and not the
    /// documented content (without).
    Unchanged,
    /// With canaries: no longer its canary, but not the content the technique documents.
    WrongContent,
}

impl SampleVerdict {
    pub fn is_bad(self) -> bool {
        self != SampleVerdict::Good
    }
}

/// The check of a firmware erase on the NIST §4.7 sample (sampler, seed): each block written
/// with a canary before and read after (`canaries` present); in reports made before canaries,
/// read before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareCheck {
    /// What the technique documents the blocks to hold afterwards. With canaries, each block
    /// must hold it and no longer its canary ([`CanaryRule`]); without, differ from before or
    /// hold it.
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
    /// Blocks that read the same as before (with canaries: still their canary) and not the
    /// documented content.
    pub unchanged_blocks: u64,
    /// Blocks with nothing proven: no canary in place (or not read) before, or not read after.
    pub unreadable_blocks: u64,
    pub first_bad_lba: Option<u64>,
    pub passed: bool,
    pub samples: Vec<SampleDigest>,
    /// Blocks that held their canary (fresh random bytes, written through the guarded
    /// descriptor, flushed and read back intact) when the erase started. Absent from reports
    /// made before canaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canaries: Option<u64>,
    /// With canaries: blocks that no longer held their canary but not the documented content
    /// either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrong_content_blocks: Option<u64>,
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

    /// The rule a canary check judged by; `None` for a check made before canaries.
    pub fn canary_rule(&self) -> Option<CanaryRule> {
        self.canaries.map(|_| CanaryRule::of(self.rule))
    }

    /// How `s` fares under this check's rule: THE rule, for the check as it runs
    /// (`firmware::check`), the verification record it states, and the consistency of a report
    /// read back.
    pub fn judge(&self, s: &SampleDigest) -> SampleVerdict {
        let (Some(before), Some(after)) = (&s.before, &s.after) else {
            return SampleVerdict::Unreadable;
        };
        if self.canaries.is_some() {
            // The canary was random bytes, so "changed" is proven for every block; the content
            // documented must be there too (blank media before cannot stand in for it).
            if before == after {
                SampleVerdict::Unchanged
            } else if self.rule != PostErase::Changed && !s.documented {
                SampleVerdict::WrongContent
            } else {
                SampleVerdict::Good
            }
        } else if before == after && !s.documented {
            SampleVerdict::Unchanged
        } else {
            SampleVerdict::Good
        }
    }

    /// The counters, `passed` and the first bad LBA, from the samples.
    pub fn tally(&mut self) {
        let verdicts: Vec<SampleVerdict> = self.samples.iter().map(|s| self.judge(s)).collect();
        let count = |v: SampleVerdict| verdicts.iter().filter(|x| **x == v).count() as u64;
        self.blocks_checked = self.samples.len() as u64;
        self.unreadable_blocks = count(SampleVerdict::Unreadable);
        self.unchanged_blocks = count(SampleVerdict::Unchanged);
        if self.canaries.is_some() {
            self.canaries = Some(self.samples.iter().filter(|s| s.before.is_some()).count() as u64);
            self.wrong_content_blocks = Some(count(SampleVerdict::WrongContent));
        }
        self.first_bad_lba = self
            .samples
            .iter()
            .zip(&verdicts)
            .find(|(_, v)| v.is_bad())
            .map(|(s, _)| s.lba);
        self.passed = self.blocks_checked > 0 && verdicts.iter().all(|v| !v.is_bad());
    }

    /// Sectors of the blocks that prove nothing or fail the rule.
    pub fn bad_sectors(&self) -> u64 {
        self.samples
            .iter()
            .filter(|s| self.judge(s).is_bad())
            .map(|s| s.sectors)
            .sum()
    }

    /// Whether the samples say what the counters say (a report edited by hand does not).
    fn consistent(&self) -> Result<(), String> {
        if self.rule == PostErase::Changed && self.samples.iter().any(|s| s.documented) {
            return Err("a sample counted as documented content under rule \"changed\"".into());
        }
        if self.canaries.is_some() != self.wrong_content_blocks.is_some() {
            return Err("a canary check without its count of other content, or the reverse".into());
        }
        let mut recount = self.clone();
        recount.tally();
        if recount != *self {
            return Err(format!(
                "{} samples: {} unreadable, {} unchanged, {} other content, {} canaries, first bad LBA {:?}, passed {}; but the record says {}, {}, {}, {:?}, {:?}, {:?}, {}",
                recount.blocks_checked,
                recount.unreadable_blocks,
                recount.unchanged_blocks,
                recount.wrong_content_blocks.unwrap_or(0),
                recount.canaries.unwrap_or(0),
                recount.first_bad_lba,
                recount.passed,
                self.blocks_checked,
                self.unreadable_blocks,
                self.unchanged_blocks,
                self.wrong_content_blocks,
                self.canaries,
                self.first_bad_lba,
                self.passed
            ));
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
    /// Sectors known to be still hidden afterwards (what could not be read counts as none here:
    /// its state says indeterminate).
    pub fn hidden_after(&self) -> u64 {
        self.hpa_sectors_after.unwrap_or(0) + self.dco_sectors_after.unwrap_or(0)
    }

    /// What became of the Host Protected Area, from what was read before and after.
    pub fn hpa_state(&self) -> HiddenAreaState {
        reprise_cert::model::HiddenAreas::state_from_counts(
            self.hpa_sectors_before,
            self.hpa_sectors_after,
        )
    }

    /// What became of the Device Configuration Overlay, from what was read before and after.
    pub fn dco_state(&self) -> HiddenAreaState {
        reprise_cert::model::HiddenAreas::state_from_counts(
            self.dco_sectors_before,
            self.dco_sectors_after,
        )
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

    /// What became of the disk's HPA and DCO. Recorded when the drive was asked (ATA); with no
    /// record, an interface that can carry them (SATA, USB, SCSI, unknown) makes both
    /// indeterminate — never "none" when unread — and one that has none (NVMe, SD/eMMC, a
    /// virtual disk, a file) makes them not applicable.
    pub fn hidden_states(&self) -> (HiddenAreaState, HiddenAreaState) {
        match &self.hidden_areas {
            Some(h) => (h.hpa_state(), h.dco_state()),
            None if self.device.transport.may_hide_sectors() => (
                HiddenAreaState::Indeterminate,
                HiddenAreaState::Indeterminate,
            ),
            None => (
                HiddenAreaState::NotApplicable,
                HiddenAreaState::NotApplicable,
            ),
        }
    }

    /// Whether the technique reaches the sectors the drive remapped (see
    /// [`Technique::reaches_remapped`]); an unknown technique is taken as not reaching them.
    pub fn reaches_remapped(&self) -> bool {
        self.technique
            .parse::<Technique>()
            .is_ok_and(Technique::reaches_remapped)
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
        self.verification.check_numbers(&self.device)?;
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
    /// Purge (or Clear) is claimed only when the drive reported success — for a sanitize, after
    /// an observed in-progress state or a status that changed across the command; on completion
    /// of its command for a format or security erase (with security found disabled afterwards)
    /// — and the canary check passed; with a zero pass afterwards, that pass must be a complete,
    /// verified overwrite.
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
        if technique.runs_in_background() && !fw.end_is_ours() {
            return Err(format!(
                "{dev}: a sanitize reported done without ever being seen in progress, and its status did not change across the command"
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
                        "{dev}: outcome passed, but the canary check did not pass"
                    ));
                }
                // A block blank before and blank after proved nothing: without canaries a lying
                // drive passes on blank media (issue 21), so no such check proves a pass.
                if self.outcome == Outcome::Passed && c.canaries.is_none() {
                    return Err(format!(
                        "{dev}: outcome passed on a before/after check without canaries, which proves nothing where the media was blank"
                    ));
                }
                let v = &self.verification;
                if !then_zero && (v.mode != VerifyMode::Sample || v.passed != c.passed) {
                    return Err(format!(
                        "{dev}: the verification does not state the canary check"
                    ));
                }
            }
            (None, Outcome::Passed) => {
                return Err(format!("{dev}: outcome passed without a canary check"));
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
    /// Whether the numbers add up, for `device` (its size and sector size as opened): a
    /// verification that did not run states nothing; one that ran counted sectors of the
    /// disk's size; the share covered is what the share asked for gives — the whole disk, or
    /// the sampler's blocks recomputed from its seed (`SAMPLING.md`, whose rounding may leave a
    /// full-share sample a sector or two short) — and, when it passed, exactly the blocks and
    /// bytes of that share were read. A report edited by hand, or pasted from another disk,
    /// fails here.
    pub fn check_numbers(&self, device: &DiskIdentity) -> Result<(), String> {
        let dev = &device.dev_path;
        let v = self;
        let bad = |why: String| Err(format!("{dev}: verification {why}"));
        if v.mode == VerifyMode::None {
            let said = v.requested_permille != 0
                || v.coverage_permille != 0
                || v.subsections != 0
                || v.blocks_checked != 0
                || v.bytes_checked != 0
                || v.mismatches != 0
                || v.first_mismatch_lba.is_some()
                || v.algorithm.is_some()
                || v.seed.is_some()
                || v.passed;
            return if said {
                bad("none, yet it states something it read".into())
            } else {
                Ok(())
            };
        }
        let size = device.size_bytes;
        let sector = u64::from(v.sector_size);
        if v.sector_size == 0 || v.sector_size != device.logical_sector_size {
            return bad(format!(
                "in sectors of {} bytes, but the disk's are {} bytes",
                v.sector_size, device.logical_sector_size
            ));
        }
        if v.total_sectors != size / sector && v.total_sectors != size.div_ceil(sector) {
            return bad(format!(
                "over {} sectors of {sector} bytes, but the disk holds {size} bytes",
                v.total_sectors
            ));
        }
        if v.requested_permille == 0 || v.requested_permille > 1000 || v.coverage_permille > 1000 {
            return bad(format!(
                "of {}‰ asked and {}‰ covered: a share is 1 to 1000‰",
                v.requested_permille, v.coverage_permille
            ));
        }
        if v.bytes_checked > size || v.blocks_checked > v.total_sectors {
            return bad(format!(
                "read {} bytes in {} blocks of a disk of {size} bytes ({} sectors)",
                v.bytes_checked, v.blocks_checked, v.total_sectors
            ));
        }
        if v.mismatches > v.total_sectors
            || (v.mismatches > 0) != v.first_mismatch_lba.is_some()
            || v.first_mismatch_lba.is_some_and(|l| l >= v.total_sectors)
            || (v.passed && v.mismatches > 0)
        {
            return bad(format!(
                "states {} mismatching sectors, the first at {:?}, over {} sectors (passed {})",
                v.mismatches, v.first_mismatch_lba, v.total_sectors, v.passed
            ));
        }
        match v.mode {
            VerifyMode::None => Ok(()),
            VerifyMode::Full => {
                if v.requested_permille != 1000
                    || v.coverage_permille != 1000
                    || v.subsections != 0
                    || v.algorithm.is_some()
                    || v.seed.is_some()
                {
                    return bad(format!(
                        "full, yet {}‰ asked, {}‰ covered, {} subsections, sampler {:?}",
                        v.requested_permille, v.coverage_permille, v.subsections, v.algorithm
                    ));
                }
                if v.passed && (v.bytes_checked != size || v.blocks_checked == 0) {
                    return bad(format!(
                        "full passed after reading {} of {size} bytes",
                        v.bytes_checked
                    ));
                }
                Ok(())
            }
            VerifyMode::Sample => {
                if v.algorithm.as_deref() != Some(sample::ALGORITHM) {
                    return bad(format!(
                        "sampled by {:?}, not {}",
                        v.algorithm,
                        sample::ALGORITHM
                    ));
                }
                let seed_ok = v
                    .seed
                    .as_deref()
                    .is_some_and(|s| s.len() == 16 && u64::from_str_radix(s, 16).is_ok());
                if !seed_ok {
                    return bad(format!("seed {:?} is not 16 hexadecimal digits", v.seed));
                }
                // The sampler is pure: its inputs give the blocks' number and size whatever
                // the seed (which only moves them), counted without listing them.
                let s = sample::counts(v.total_sectors, v.sector_size, v.requested_permille);
                let covered = s.permille(v.total_sectors);
                let blocks = s.blocks;
                let bytes = s.bytes(v.sector_size, v.total_sectors, size);
                if v.subsections != s.subsections || v.coverage_permille != covered {
                    return bad(format!(
                        "states {} subsections and {}‰ covered; its seed and {}‰ asked give {} and {}‰",
                        v.subsections,
                        v.coverage_permille,
                        v.requested_permille,
                        s.subsections,
                        covered
                    ));
                }
                let (read_all, too_much) = (
                    v.blocks_checked == blocks && v.bytes_checked == bytes,
                    v.blocks_checked > blocks || v.bytes_checked > bytes,
                );
                if too_much || (v.passed && !read_all) {
                    return bad(format!(
                        "read {} blocks and {} bytes; its sample holds {blocks} blocks and {bytes} bytes (passed {})",
                        v.blocks_checked, v.bytes_checked, v.passed
                    ));
                }
                Ok(())
            }
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MediaType, Transport};

    fn record(transport: Transport, hidden: Option<HiddenAreas>) -> DeviceWipe {
        DeviceWipe {
            device: DiskIdentity {
                transport,
                media_type: MediaType::Hdd,
                ..DiskIdentity::for_file("/dev/x", 1 << 20)
            },
            level: Level::Clear,
            technique: "overwrite".into(),
            method: "zero".into(),
            passes: Vec::new(),
            bytes_written: 0,
            started_at: String::new(),
            finished_at: String::new(),
            duration_ms: 0,
            write_rate_bps: 0,
            verification: Verification::not_run(),
            outcome: Outcome::Failed,
            errors: Vec::new(),
            explanations: Vec::new(),
            firmware: None,
            firmware_check: None,
            hidden_areas: hidden,
        }
    }

    fn areas(hpa: (Option<u64>, Option<u64>), dco: (Option<u64>, Option<u64>)) -> HiddenAreas {
        HiddenAreas {
            hpa_sectors_before: hpa.0,
            hpa_sectors_after: hpa.1,
            dco_sectors_before: dco.0,
            dco_sectors_after: dco.1,
        }
    }

    /// Unread is indeterminate where a drive could hide sectors, not applicable where none
    /// can; read, the counts say absent, removed or present.
    #[test]
    fn hidden_states_are_explicit_on_every_path() {
        use HiddenAreaState::*;
        for (t, s) in [
            (Transport::Sata, Indeterminate),
            (Transport::Usb, Indeterminate),
            (Transport::Scsi, Indeterminate),
            (Transport::Unknown, Indeterminate),
            (Transport::Nvme, NotApplicable),
            (Transport::Mmc, NotApplicable),
            (Transport::Virtio, NotApplicable),
            (Transport::Loop, NotApplicable),
            (Transport::File, NotApplicable),
        ] {
            assert_eq!(record(t, None).hidden_states(), (s, s), "{t:?}");
        }
        let sata = |h| record(Transport::Sata, Some(h)).hidden_states();
        assert_eq!(
            sata(areas((Some(0), Some(0)), (Some(0), Some(0)))),
            (Absent, Absent)
        );
        assert_eq!(
            sata(areas((Some(1000), Some(0)), (Some(64), Some(64)))),
            (Removed, Present)
        );
        // Asked, but not answered: never taken as none.
        assert_eq!(
            sata(areas((None, None), (Some(64), None))),
            (Indeterminate, Indeterminate)
        );
    }
}
