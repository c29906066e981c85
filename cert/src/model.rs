//! Certificate content (the signed `certificate` member of the envelope), after NIST SP 800-88
//! Rev.1 Appendix G: who, what, how, verification, result, destination, when.
//!
//! Contract for outside tools: integers only (bytes, milliseconds, per-mille); counters that may
//! exceed 2^53 − 1 are decimal strings; a value the machine did not tell us is `null` ("unknown",
//! never assumed good). Bump [`SCHEMA_VERSION`] on any incompatible change.

use serde::{Deserialize, Serialize};

use crate::verdict::{Action, Decision, Grade, Reason};
// The words of the content: defined below it (the plan and the verdict use them too), and
// named from here as they always were.
pub use crate::words::{
    CanaryRule, CheckName, Completion, ControllerFinding, ControllerKind, Disposition,
    HealthStatus, HiddenAreaState, Language, Level, NotRunWhy, Occupant, Outcome, PostErase,
    RamEnd, SelfTestKind, StorageHandling, StorageKind, TimeFloor, TimeSource, ValidationOutcome,
    ValidationRule, VerifyMode,
};

/// Version of the certificate content schema. 2 adds each disk's stable id, the `unverified`
/// result and the sampler's inputs; a version 1 certificate still verifies and reads (the new
/// members are then absent). Later members are additive and absent when they say nothing (the
/// checks, the plan's explanations, a firmware record, the hidden areas' states, a level's
/// exception, the validation, the incidents), so certificates issued before them keep their
/// signed bytes and still read.
pub const SCHEMA_VERSION: u32 = 2;

/// Schema versions this code reads.
pub const SUPPORTED_SCHEMA_VERSIONS: std::ops::RangeInclusive<u32> = 1..=SCHEMA_VERSION;

/// The signed content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub schema_version: u32,
    /// Unique id: `<first 16 hex digits of the station key id>-<sequence, 8 digits>`; also the
    /// file name (`<id>.json`).
    pub id: String,
    pub language: Language,
    /// RFC 3339 UTC.
    pub issued_at: String,
    /// Where `issued_at` comes from and how far the laptop's clock was from it. Additive:
    /// absent from certificates issued before the agent said it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeRecord>,
    pub issuer: Issuer,
    pub chain: ChainLink,
    pub tool: ToolInfo,
    pub machine: Machine,
    /// One record per disk that went through sanitization.
    pub sanitization: Vec<DiskSanitization>,
    pub verdict: VerdictRecord,
    /// Where the machine goes: the verdict's decision.
    pub destination: Decision,
    /// The hands-on checks done at the station (keyboard, screen, cooling, RAM), when any was.
    /// Additive: absent from certificates without checks, so their signed bytes are unchanged
    /// and schema 2 still describes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<ChecksRecord>,
    /// What went wrong around the certificate without keeping it from being written (a log
    /// that could not be kept, a sequence number skipped): each a key with parameters and its
    /// sentence in `language`. Additive: absent when nothing went wrong.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<IncidentRecord>,
}

/// One incident of the issue: key and parameters for machines, the sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRecord {
    #[serde(flatten)]
    pub incident: Incident,
    pub message: String,
}

/// Something that went wrong before or while the certificate was written, and did not keep it
/// from being written: nothing before the certificate can block it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "key", rename_all = "snake_case")]
pub enum Incident {
    /// A report of the run (the probe's, the wipe's) could not be kept in the logs folder; its
    /// content is in this certificate all the same.
    LogNotWritten {
        /// The log's file name.
        file: String,
        /// Why, as the system said it.
        error: String,
    },
    /// The file name of sequence number `sequence` was held by something that is not a
    /// certificate of this station: the sequence was skipped and this certificate took the next
    /// free one (the chain shows a gap there, explained here).
    SequenceSkipped {
        sequence: u64,
        file: String,
        occupant: Occupant,
        /// What reading it said, when it said something.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A file of the certificate folder could not be read: if it was a later certificate of
    /// this station, this one does not link to it.
    FileUnreadable { file: String, error: String },
}

/// The source of a certificate's time, and what was done about the laptop's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRecord {
    pub source: TimeSource,
    /// The laptop's clock minus the time written, milliseconds (negative: behind). With a
    /// server or NTP, how wrong the clock was; for a clock corrected to a floor, at least how
    /// far behind it was; null when nothing measured it.
    pub rtc_offset_ms: Option<i64>,
    /// The laptop's clock was earlier than this floor and was not believed: `issued_at` is the
    /// floor itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_to: Option<TimeFloor>,
}

/// Who performed the sanitization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    pub organisation: Option<String>,
    pub site: String,
    pub operator: String,
}

/// Position in the station's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    /// `sha256:<hex>` of the station's raw Ed25519 public key (same as the signature's key_id).
    pub station_key_id: String,
    /// 1 for the station's first certificate, then +1 each time.
    pub sequence: u64,
    /// `sha256:<hex>` of the canonical (JCS) bytes of the previous certificate's content;
    /// `null` for sequence 1.
    pub previous_digest: Option<String>,
}

/// Which software did the work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// The tool that issued the certificate ("reprise 0.1.0").
    pub issuer: String,
    /// The tool that sanitized, as recorded in the wipe report.
    pub sanitizer: String,
    /// SHA-256 of the live image the sanitizer ran from; `null` when not booted from the image.
    pub image_digest: Option<String>,
}

/// The machine: identity (SMBIOS) and hardware summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    pub identity: MachineIdentity,
    pub cpu: CpuSummary,
    pub memory: MemorySummary,
    pub batteries: Vec<BatterySummary>,
    pub disks: Vec<DiskSummary>,
    /// The TPM (schema 2).
    #[serde(default)]
    pub tpm: TpmRecord,
    /// Storage that is not a disk the run sanitizes (optical drives, empty card readers,
    /// read-only media, eMMC boot partitions and RPMB, NVMe namespaces the kernel does not show),
    /// each with what was done to it. Additive: absent when there is none, so certificates
    /// without any keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_storage: Vec<OtherStorageRecord>,
    /// The storage controllers (PCI), with the disks each shows, and any network controller
    /// with no driver; a controller that may hide disks says why and how to fix it. Additive,
    /// absent when the probe listed none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controllers: Vec<ControllerRecord>,
}

/// One piece of storage that is not a disk the run sanitizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherStorageRecord {
    /// Kernel name ("sr0", "mmcblk0boot0"), or for an NVMe namespace the kernel does not show,
    /// its controller and number ("nvme0 namespace 2").
    pub name: String,
    pub kind: StorageKind,
    /// Its stable name when it has one (an NVMe namespace: `nvme:<serial>:ns<n>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The disk it is part of (an eMMC's boot partitions: the eMMC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub size_bytes: Option<u64>,
    pub interface: String,
    /// What was done to it.
    pub handling: StorageHandling,
    /// `kind` and `handling` as a sentence in the certificate's language.
    pub message: String,
}

/// A PCI controller: storage (with the disks it shows) or network (listed when it has no
/// driver).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerRecord {
    /// PCI address ("0000:00:17.0").
    pub address: String,
    pub kind: ControllerKind,
    /// Vendor and device IDs, hex ("8086:9a0b").
    pub pci_id: String,
    /// The kernel driver bound to it; null: none.
    pub driver: Option<String>,
    /// The disks it shows (ids), in the order of `machine.disks`.
    pub disks: Vec<String>,
    /// Why it may hide disks (or cannot be used), when it may.
    pub finding: Option<ControllerFinding>,
    /// The finding and the step that fixes it, in the certificate's language; null without a
    /// finding.
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineIdentity {
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    pub serial: Option<String>,
    pub uuid: Option<String>,
    pub sku: Option<String>,
    pub family: Option<String>,
    pub board_vendor: Option<String>,
    pub board_product: Option<String>,
    pub board_serial: Option<String>,
    pub chassis_type: Option<String>,
    pub chassis_serial: Option<String>,
    pub bios_vendor: Option<String>,
    pub bios_version: Option<String>,
    pub bios_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuSummary {
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub physical_cores: Option<u32>,
    pub threads: Option<u32>,
    pub max_frequency_khz: Option<u64>,
    /// x86-64 micro-architecture level (0 = not x86-64).
    pub x86_64_level: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemorySummary {
    /// Usable memory reported by the kernel.
    pub usable_bytes: Option<u64>,
    /// Sum of installed modules (SMBIOS), when the table was read.
    pub installed_bytes: Option<u64>,
    /// Memory slots listed by SMBIOS, when the table was read.
    pub slots: Option<u32>,
    pub free_slots: Option<u32>,
    /// Every slot, installed or empty (schema 2).
    #[serde(default)]
    pub modules: Vec<MemoryModuleRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatterySummary {
    pub name: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// Full capacity over design capacity, per mille.
    pub health_permille: Option<u32>,
    pub cycle_count: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSummary {
    /// Stable name of the disk ("sata:S3Z1NB0K123456A", "wwn:naa.5000…", "path:/dev/sdb"),
    /// by which sanitization records and verdict reasons refer to it.
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub size_bytes: Option<u64>,
    pub interface: String,
    /// The disk carried the boot medium or running system (not a target).
    pub holds_system: bool,
    /// The disk is the Reprise stick the machine booted from (the one disk never sanitized).
    #[serde(default)]
    pub boot_medium: bool,
    pub health: DiskHealthRecord,
}

/// SMART / NVMe health as recorded; counters are decimal strings (NVMe counters are 128-bit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DiskHealthRecord {
    pub smart_passed: Option<bool>,
    pub reallocated_sectors: Option<String>,
    pub pending_sectors: Option<String>,
    pub media_errors: Option<String>,
    /// As the drive's firmware says (schema 2; absent before).
    #[serde(default)]
    pub status: Option<HealthStatus>,
    /// Why failing or unknown.
    #[serde(default)]
    pub why: Option<String>,
    /// "ATA SMART", "NVMe SMART/Health log".
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub power_on_hours: Option<String>,
    #[serde(default)]
    pub temperature_celsius: Option<i32>,
    /// Share of the rated endurance used, percent (may exceed 100).
    #[serde(default)]
    pub percentage_used: Option<u32>,
    #[serde(default)]
    pub available_spare: Option<u32>,
    #[serde(default)]
    pub available_spare_threshold: Option<u32>,
    #[serde(default)]
    pub critical_warnings: Vec<String>,
    #[serde(default)]
    pub self_test: Option<SelfTestRecord>,
}

/// A drive self-test run before the wipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfTestRecord {
    pub kind: SelfTestKind,
    pub passed: bool,
    pub result: String,
    /// Decimal string.
    pub failing_lba: Option<String>,
    pub duration_ms: u64,
}

/// One memory slot (SMBIOS type 17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryModuleRecord {
    pub slot: Option<String>,
    /// 0: empty slot; `null`: unknown.
    pub size_bytes: Option<u64>,
    pub memory_type: Option<String>,
    pub speed_mts: Option<u32>,
    pub form_factor: Option<String>,
    pub manufacturer: Option<String>,
    pub part_number: Option<String>,
    pub serial: Option<String>,
    pub soldered: bool,
}

/// The Trusted Platform Module; `present` null: unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TpmRecord {
    pub present: Option<bool>,
    pub spec_version: Option<String>,
    pub vendor: Option<String>,
    pub firmware: Option<String>,
}

/// What sanitized one disk, how, and with which result (NIST SP 800-88 Appendix G).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSanitization {
    pub device: DeviceRecord,
    /// Host protected area and device configuration overlay, before and after.
    pub hidden_areas: HiddenAreas,
    /// What was performed (read with `technique`: a Purge is claimed only for a firmware
    /// technique the drive reported done, checked before and after).
    pub level: Level,
    /// What the operator asked for when it differs from `level` ("purge" asked, "clear"
    /// performed because firmware Purge was not available); null when they agree.
    pub requested_level: Option<Level>,
    pub technique: String,
    pub method: String,
    pub passes: Vec<PassRecord>,
    pub bytes_written: u64,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub write_rate_bps: u64,
    pub verification: VerificationRecord,
    /// As the sanitizer reported it.
    pub result: Outcome,
    /// True only when the result is passed: every byte written and a verification that read
    /// back what was written. The one truth of "sanitized" (ARCHITECTURE.md).
    pub sanitized: bool,
    pub errors: Vec<ErrorRecord>,
    /// What must happen to this disk.
    pub disposition: Disposition,
    /// Why this technique and level: the plan's facts about this disk (what the drive offers,
    /// what was chosen, why Purge was not possible, hidden areas), each a key with parameters
    /// and its sentence in `language`. Absent from certificates issued before firmware erases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explanations: Vec<ExplanationRecord>,
    /// The drive's own erase command, when the technique is a firmware one (absent for an
    /// overwrite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<FirmwareRecord>,
    /// What the level performed did not reach ("Clear, with exception: 12 remapped sectors not
    /// reachable"). Additive: absent when nothing is known to be out of reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<ExceptionRecord>,
    /// The sanitization validation of this disk (NIST SP 800-88 Rev. 2) and the rule that
    /// decided it (`crate::validation`). Absent from certificates issued before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationRecord>,
}

/// What a level did not reach on one disk: key and parameters, and the sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRecord {
    #[serde(flatten)]
    pub exception: LevelException,
    pub message: String,
}

/// Why a disk's level holds with an exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "key", rename_all = "snake_case")]
pub enum LevelException {
    /// The drive had remapped `sectors` (reallocated, or pending reallocation, as its health
    /// said before the wipe; a decimal string): an overwrite goes through the addresses, which
    /// no longer lead to them, so their old content may remain. A firmware Purge reaches them.
    RemappedSectorsUnreachable { sectors: String },
}

/// A disk's sanitization validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationRecord {
    /// approve, reject or escalate: always `rule`'s outcome.
    pub outcome: ValidationOutcome,
    pub rule: ValidationRule,
    /// The rule's sentence in `language`.
    pub message: String,
}

/// One fact of the plan: key and parameters for machines, the sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplanationRecord {
    #[serde(flatten)]
    pub explanation: crate::plan::Explanation,
    pub message: String,
}

/// What the drive's firmware was asked to do, and what it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareRecord {
    /// The command as sent, e.g. "NVMe Format NVM (80h), SES 2, LBA format 0, namespace 1".
    pub command: String,
    /// NVMe namespaces the command erased (a Sanitize erases every namespace of the
    /// controller); empty for ATA and SCSI.
    pub namespaces: Vec<u32>,
    /// The drive reported the operation in progress at least once. A sanitize is trusted when
    /// it was, or when its status changed across the command (`status_before`,
    /// `status_after`): an idle drive may report the success of an earlier one.
    pub observed_in_progress: bool,
    /// The drive reported that the operation completed without error.
    pub reported_success: bool,
    pub completion: Completion,
    /// The drive's last status in words and codes, when it reported an error.
    pub status: Option<String>,
    pub duration_ms: u64,
    /// The drive's own estimate of the duration, when it gives one.
    pub estimated_ms: Option<u64>,
    /// Status reads while waiting for the end.
    pub polls: u64,
    /// ATA SECURITY ERASE UNIT: security was found disabled afterwards (no password left).
    pub security_disabled_after: Option<bool>,
    /// A sanitize: the drive's sanitize status read just before the command, as compared (NVMe:
    /// SSTAT and SCDW10 of the Sanitize Status log; ATA: bits 15:14 of SANITIZE STATUS EXT's
    /// COUNT). Additive: absent from certificates issued before it, and where the protocol
    /// keeps no such status (SCSI) or it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_before: Option<String>,
    /// The same status as the drive reported the end. When it differs from `status_before`,
    /// the end reported is this command's, even if it completed before any status read could
    /// see it in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_after: Option<String>,
}

/// The check of a firmware erase (DESIGN §4) on the pseudorandomly sampled blocks, compared by
/// their blake3 digests. Since canaries (`canaries` present): each block written with fresh
/// random bytes before the erase, flushed and read back, then judged by `canary_rule`. Before
/// them: each block read before and after, judged by `rule` alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareCheckRecord {
    /// What the technique documents the media to hold afterwards ("changed": nothing
    /// predictable; "changed_or_zeros": zeros; "changed_or_ones": 0xFF). Without canaries it was
    /// the whole rule: each block had to differ from before or hold that content.
    pub rule: PostErase,
    pub blocks_checked: u64,
    pub bytes_checked: u64,
    /// Blocks that read the same as before (with canaries: still their canary), and not the
    /// documented content.
    pub unchanged_blocks: u64,
    /// Blocks that could not be read after the erase (with canaries: also those whose canary
    /// could not be written, or did not read back).
    pub unreadable_blocks: u64,
    pub first_bad_lba: Option<u64>,
    /// `blake3:<hex>` over the (LBA, digest before, digest after) list kept in the wipe report
    /// (with canaries, "before" is the canary's digest).
    pub digests: String,
    pub passed: bool,
    /// Sampled blocks that held their canary (fresh random bytes, written, flushed and read back
    /// intact) when the erase started. Additive: absent from certificates issued before
    /// canaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canaries: Option<u64>,
    /// The rule the blocks were judged by, with canaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_rule: Option<CanaryRule>,
    /// With canaries: blocks that no longer held their canary but not the documented content
    /// either (never counted under "differs_from_canary").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrong_content_blocks: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Stable name of the disk (see [`DiskSummary::id`]).
    #[serde(default)]
    pub disk_id: String,
    pub dev_path: String,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub firmware: Option<String>,
    pub capacity_bytes: u64,
    pub logical_sector_size: u32,
    pub interface: String,
    pub media_type: String,
}

/// HPA/DCO: the sectors each hid before and after, and what became of each. A count the drive
/// did not give is `null`; the state then says why (`indeterminate`: could not be read,
/// `not_applicable`: the interface has none), never "none".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HiddenAreas {
    /// Sectors hidden by an HPA before sanitization (0 = none).
    pub hpa_sectors_before: Option<u64>,
    pub hpa_sectors_after: Option<u64>,
    pub dco_sectors_before: Option<u64>,
    pub dco_sectors_after: Option<u64>,
    /// What became of the Host Protected Area. Additive: absent from certificates issued
    /// before it (their counters alone say what is known: `null` there was never read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpa: Option<HiddenAreaState>,
    /// What became of the Device Configuration Overlay (as `hpa`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dco: Option<HiddenAreaState>,
}

impl HiddenAreas {
    /// The state of an area from its counters alone: what a certificate issued before the
    /// states were recorded says. A count never read is indeterminate.
    pub fn state_from_counts(before: Option<u64>, after: Option<u64>) -> HiddenAreaState {
        match (before, after) {
            (Some(0), Some(0) | None) => HiddenAreaState::Absent,
            (_, Some(n)) if n > 0 => HiddenAreaState::Present,
            (Some(_), Some(0)) => HiddenAreaState::Removed,
            _ => HiddenAreaState::Indeterminate,
        }
    }

    /// The HPA's and the DCO's states on a disk attached by `interface` (the certificate's
    /// word, "sata", "nvme"…): as recorded; else, for a certificate issued before the states
    /// were, from the counters — a count never read being indeterminate, unless the interface
    /// has no hidden areas at all.
    pub fn states(&self, interface: &str) -> (HiddenAreaState, HiddenAreaState) {
        let derived = |before: Option<u64>, after: Option<u64>| match (before, after) {
            (None, None) if !interface_may_hide_sectors(interface) => {
                HiddenAreaState::NotApplicable
            }
            _ => Self::state_from_counts(before, after),
        };
        (
            self.hpa
                .unwrap_or_else(|| derived(self.hpa_sectors_before, self.hpa_sectors_after)),
            self.dco
                .unwrap_or_else(|| derived(self.dco_sectors_before, self.dco_sectors_after)),
        )
    }
}

/// Whether a disk attached by `interface` (the certificate's word) can have sectors hidden
/// from the host by its drive (an ATA Host Protected Area or Device Configuration Overlay):
/// SATA, anything behind a USB bridge or a SCSI layer (a SATA drive can sit behind either), and
/// an unknown interface. NVMe, SD/eMMC, virtual disks and files have no such thing. The agent
/// asks this too, so that the rule is written once.
pub fn interface_may_hide_sectors(interface: &str) -> bool {
    !matches!(interface, "nvme" | "mmc" | "virtio" | "loop" | "file")
}

impl DiskSanitization {
    /// What became of this disk's HPA and DCO ([`HiddenAreas::states`]).
    pub fn hidden_states(&self) -> (HiddenAreaState, HiddenAreaState) {
        self.hidden_areas.states(&self.device.interface)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassRecord {
    pub pass: u32,
    pub pattern: String,
    pub bytes_written: u64,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRecord {
    pub mode: VerifyMode,
    /// Share of the media asked for, per mille.
    #[serde(default)]
    pub requested_permille: u32,
    /// Share of the media read back, per mille.
    pub coverage_permille: u32,
    /// The sampler and its version ("reprise-nist-sample-v1"); with the seed, the device's
    /// sector count and size, it lists exactly the blocks that were read (the algorithm is in
    /// the agent's `wipe/SAMPLING.md`).
    #[serde(default)]
    pub algorithm: Option<String>,
    pub seed: Option<String>,
    #[serde(default)]
    pub total_sectors: u64,
    #[serde(default)]
    pub sector_size: u32,
    pub subsections: u64,
    pub blocks_checked: u64,
    pub bytes_checked: u64,
    pub mismatches: u64,
    pub first_mismatch_lba: Option<u64>,
    pub passed: bool,
    /// A firmware erase's check of the sampled blocks (the sampler and seed above list them): by
    /// canaries, or, in certificates issued before them, read before and after. Absent for an
    /// overwrite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_check: Option<FirmwareCheckRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    pub operation: String,
    pub lba: Option<u64>,
    pub sectors: Option<u64>,
    pub message: String,
}

/// The verdict, machine-readable (keys and parameters) and in words (in `language`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictRecord {
    pub decision: Decision,
    pub grade: Grade,
    pub reasons: Vec<ReasonRecord>,
    pub actions: Vec<ActionRecord>,
    /// The sum of the priced repairs, euro cents TTC. Additive, like the two below: absent
    /// from certificates whose verdict was not priced, so their signed bytes are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair_cost_cents: Option<u64>,
    /// The repair budget the plan was weighed against, euro cents TTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_cents: Option<u64>,
    /// What the budget is, in the policy's words (by default the ceiling on the resale price of
    /// a computer given away by a public body, décret of 7 November 2022).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_basis: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonRecord {
    #[serde(flatten)]
    pub reason: Reason,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRecord {
    #[serde(flatten)]
    pub action: Action,
    pub message: String,
    /// What the action costs (parts and labour), euro cents TTC, when the policy priced it.
    /// Absent for an action that is not a repair or has no price (its message then says "not
    /// priced"), and from certificates issued before prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_cents: Option<u64>,
}

/// Hands-on checks a refurbisher does on every laptop. Each is optional: `null`/absent means
/// "not done", never "passed". Integers only (milliseconds, millidegrees Celsius, kHz, bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecksRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyboard: Option<KeyboardCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<ScreenCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooling: Option<CoolingCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryCheck>,
    /// Checks that were started but tested nothing, each with why: "not run", never a pass
    /// (their own member is then absent). Additive: absent when every check done tested
    /// something.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_run: Vec<CheckNotRun>,
    /// The run found no internal storage, and the operator, having looked, stated that this
    /// laptop has no disk. Recorded as stated, never inferred. Additive: absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_disk_stated: bool,
}

impl ChecksRecord {
    /// Whether no check was done at all (the certificate then carries no `checks` member).
    pub fn is_empty(&self) -> bool {
        self.keyboard.is_none()
            && self.screen.is_none()
            && self.cooling.is_none()
            && self.memory.is_none()
            && self.not_run.is_empty()
            && !self.no_disk_stated
    }
}

/// A check that tested nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckNotRun {
    pub check: CheckName,
    pub why: NotRunWhy,
    /// "not run: …" in the certificate's language.
    pub message: String,
}

/// Keyboard: every key of the layout's map pressed in turn; the ones never pressed are listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyboardCheck {
    /// The map the operator was shown ("fr-azerty", "us-qwerty").
    pub layout: String,
    /// Keys on the map that a terminal can report.
    pub keys_total: u32,
    pub keys_pressed: u32,
    /// Labels of the keys never pressed ("E", "Z", "F5"), in map order.
    pub keys_not_pressed: Vec<String>,
    /// Whether the operator went through the whole map (true) or stopped before (false: the
    /// keys not pressed are then not proven dead).
    pub completed: bool,
}

/// Screen: full-screen solid colours in turn; the operator says whether a defect was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenCheck {
    /// Colours shown ("white", "red", ...), in order.
    pub colours: Vec<String>,
    /// The operator's verdict: true = no dead pixel, bleed or stain seen.
    pub passed: bool,
    /// The colour on which the operator marked the defect, when failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defect_on: Option<String>,
}

/// Cooling and CPU: a short all-core load with temperatures, frequency and throttling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoolingCheck {
    pub duration_ms: u64,
    /// Load threads run (one per logical CPU).
    pub threads: u32,
    /// The sensor read ("coretemp Package id 0", "thermal_zone0 x86_pkg_temp"); null when the
    /// machine exposes none.
    pub sensor: Option<String>,
    /// Temperature before the load and its maximum under load, millidegrees Celsius.
    pub idle_millicelsius: Option<u32>,
    pub max_millicelsius: Option<u32>,
    /// Average and lowest CPU frequency under load, kHz.
    pub average_khz: Option<u64>,
    pub lowest_khz: Option<u64>,
    /// Thermal throttling events the CPU counted during the load (Intel thermal_throttle).
    pub throttle_events: Option<u64>,
}

/// RAM: pattern test over most of the free memory, while the disks are wiped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryCheck {
    /// "walking-ones", "walking-zeros", "address-in-address", in the order run.
    pub patterns: Vec<String>,
    /// Memory tested (allocated and written by every pattern).
    pub bytes_tested: u64,
    /// Usable memory of the machine, for the share tested.
    pub bytes_total: Option<u64>,
    pub duration_ms: u64,
    /// Every pattern ran over the whole tested memory (false: stopped when the wipe ended).
    pub completed: bool,
    /// Words that did not read back what was written.
    pub errors: u64,
    /// The first errors, with their addresses.
    pub first_errors: Vec<MemoryErrorRecord>,
    /// The module holding the first error, when SMBIOS maps the address to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Why the test ended before it was complete (`completed` false); absent when it was, and
    /// in records made before this was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<RamEnd>,
}

/// One word that read back wrong. Addresses and words are hex strings (`0x…`): they may exceed
/// 2^53.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryErrorRecord {
    pub pattern: String,
    /// Physical address when the kernel told it (`/proc/self/pagemap`, root), else null.
    pub physical_address: Option<String>,
    /// The test's own (virtual) address.
    pub virtual_address: String,
    pub expected: String,
    pub found: String,
}

#[cfg(test)]
mod tests {
    use std::fmt::{Debug, Display};
    use std::str::FromStr;

    use serde::de::DeserializeOwned;

    use super::*;
    use crate::closed::UnknownWord;
    use crate::jcs;
    use crate::verdict::DiskProblem;

    /// Serde writes and reads each value as exactly its word, `FromStr` reads it back, and a
    /// word outside the set is refused by both.
    fn words_of<T>(all: &[T]) -> Vec<String>
    where
        T: Copy + PartialEq + Debug + Display + Serialize + DeserializeOwned,
        T: FromStr<Err = UnknownWord>,
    {
        for v in all {
            let word = v.to_string();
            assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{word}\""));
            assert_eq!(
                serde_json::from_str::<T>(&format!("\"{word}\"")).unwrap(),
                *v
            );
            assert_eq!(word.parse::<T>().unwrap(), *v);
        }
        assert!(serde_json::from_str::<T>("\"bogus\"").is_err());
        assert!("bogus".parse::<T>().is_err());
        all.iter().map(ToString::to_string).collect()
    }

    /// The words are the strings certificates have always carried (schema 1 and 2): changing
    /// one breaks the contract.
    #[test]
    fn closed_sets_are_the_words_certificates_carry() {
        assert_eq!(words_of(Level::ALL), ["clear", "purge"]);
        assert_eq!(
            words_of(Outcome::ALL),
            ["passed", "unverified", "failed", "cancelled"]
        );
        assert_eq!(
            words_of(Disposition::ALL),
            ["keep", "replace", "sanitize_again", "destroy"]
        );
        assert_eq!(
            words_of(Completion::ALL),
            [
                "completed",
                "failed",
                "timeout",
                "device_gone",
                "cancelled",
                "not_started"
            ]
        );
        assert_eq!(
            words_of(PostErase::ALL),
            ["changed", "changed_or_zeros", "changed_or_ones"]
        );
        assert_eq!(
            words_of(CanaryRule::ALL),
            [
                "differs_from_canary",
                "differs_from_canary_holds_zeros",
                "differs_from_canary_holds_ones"
            ]
        );
        for r in CanaryRule::ALL {
            assert_eq!(CanaryRule::of(r.content()), *r);
        }
        assert_eq!(words_of(VerifyMode::ALL), ["none", "sample", "full"]);
        assert_eq!(
            words_of(HealthStatus::ALL),
            ["passed", "failing", "unknown"]
        );
        assert_eq!(words_of(SelfTestKind::ALL), ["short", "extended"]);
        assert_eq!(words_of(TimeSource::ALL), ["rtc", "server", "ntp"]);
        assert_eq!(
            words_of(TimeFloor::ALL),
            ["image_build", "previous_certificate"]
        );
        assert_eq!(
            words_of(HiddenAreaState::ALL),
            [
                "absent",
                "removed",
                "present",
                "indeterminate",
                "not_applicable"
            ]
        );
        assert_eq!(
            words_of(ValidationOutcome::ALL),
            ["approve", "reject", "escalate"]
        );
        assert_eq!(
            words_of(ValidationRule::ALL),
            [
                "overwrite_verified",
                "firmware_erase_checked",
                "remapped_sectors_unreachable",
                "hidden_areas_indeterminate",
                "hidden_sectors_left",
                "not_verified",
                "sanitization_failed",
                "sanitization_cancelled"
            ]
        );
        assert_eq!(
            words_of(Occupant::ALL),
            ["unreadable", "not_a_file", "not_a_certificate"]
        );
        assert_eq!(
            words_of(StorageKind::ALL),
            [
                "optical_drive",
                "card_reader",
                "read_only_medium",
                "emmc_boot_partition",
                "emmc_rpmb",
                "nvme_namespace"
            ]
        );
        assert_eq!(
            words_of(StorageHandling::ALL),
            [
                "no_medium",
                "check_empty",
                "remove_medium",
                "not_written",
                "not_sanitized",
                "erased_with_controller"
            ]
        );
        assert_eq!(
            words_of(ControllerKind::ALL),
            [
                "sata_ahci",
                "sata",
                "raid",
                "vmd",
                "nvme",
                "ide",
                "scsi",
                "sd_host",
                "storage_other",
                "ethernet",
                "network_other"
            ]
        );
        assert_eq!(
            words_of(ControllerFinding::ALL),
            [
                "raid_mode",
                "remapped_nvme",
                "vmd_without_driver",
                "no_driver"
            ]
        );
        assert_eq!(
            words_of(CheckName::ALL),
            ["keyboard", "screen", "cooling", "memory"]
        );
        assert_eq!(
            words_of(NotRunWhy::ALL),
            [
                "wipe_ended",
                "no_memory_free",
                "allocation_refused",
                "nothing_tested",
                "no_key_pressed",
                "no_colour_shown",
                "no_reading"
            ]
        );
        assert_eq!(
            words_of(RamEnd::ALL),
            ["wipe_ended", "no_memory_free", "allocation_refused"]
        );
        assert_eq!(words_of(Decision::ALL), ["refurbish", "recycle"]);
        assert_eq!(words_of(Grade::ALL), ["A", "B", "C"]);
        assert_eq!(
            words_of(DiskProblem::ALL),
            [
                "smart_failed",
                "self_test_failed",
                "worn_out",
                "reallocated",
                "pending",
                "media_errors"
            ]
        );
        assert_eq!(
            "bogus".parse::<Level>().unwrap_err().to_string(),
            "unknown level \"bogus\" (expected clear, purge)"
        );
    }

    /// The strongest instruction wins: the order of [`Disposition`] is its strength.
    #[test]
    fn dispositions_are_ordered_by_strength() {
        let mut all = Disposition::ALL.to_vec();
        all.sort();
        assert_eq!(all, Disposition::ALL);
        assert_eq!(Disposition::ALL.iter().max(), Some(&Disposition::Destroy));
    }

    #[test]
    fn post_erase_holds_its_documented_content() {
        assert!(PostErase::Zeros.holds(&[0; 8]) && !PostErase::Zeros.holds(&[0, 1]));
        assert!(PostErase::Ones.holds(&[0xff; 5000]) && !PostErase::Ones.holds(&[0; 1]));
        assert!(!PostErase::Changed.holds(&[0; 8]));
    }

    /// A schema 2 certificate with a closed word in every place that has one, `result` as given.
    fn content(result: &str) -> serde_json::Value {
        let text = r#"{
            "schema_version": 2, "id": "0123456789abcdef-00000001", "language": "fr",
            "issued_at": "2026-11-26T10:00:00.000Z",
            "issuer": {"organisation": null, "site": "S", "operator": "A."},
            "chain": {"station_key_id": "sha256:00", "sequence": 1, "previous_digest": null},
            "tool": {"issuer": "reprise 0.1.0", "sanitizer": "reprise 0.1.0", "image_digest": null},
            "machine": {
                "identity": {
                    "vendor": null, "product": null, "version": null, "serial": null,
                    "uuid": null, "sku": null, "family": null, "board_vendor": null,
                    "board_product": null, "board_serial": null, "chassis_type": null,
                    "chassis_serial": null, "bios_vendor": null, "bios_version": null,
                    "bios_date": null
                },
                "cpu": {
                    "vendor": null, "model": null, "physical_cores": null, "threads": null,
                    "max_frequency_khz": null, "x86_64_level": null
                },
                "memory": {
                    "usable_bytes": null, "installed_bytes": null, "slots": null,
                    "free_slots": null, "modules": []
                },
                "batteries": [],
                "disks": [{
                    "id": "nvme:S1:ns1", "name": "nvme0n1", "model": null, "serial": "S1",
                    "size_bytes": 4096, "interface": "nvme", "holds_system": false,
                    "boot_medium": false,
                    "health": {
                        "smart_passed": false, "reallocated_sectors": null,
                        "pending_sectors": null, "media_errors": "3", "status": "failing",
                        "why": "media errors", "source": "NVMe SMART/Health log",
                        "power_on_hours": null, "temperature_celsius": null,
                        "percentage_used": null, "available_spare": null,
                        "available_spare_threshold": null, "critical_warnings": [],
                        "self_test": {
                            "kind": "short", "passed": false, "result": "read failure",
                            "failing_lba": "7", "duration_ms": 1000
                        }
                    }
                }],
                "tpm": {"present": null, "spec_version": null, "vendor": null, "firmware": null}
            },
            "sanitization": [{
                "device": {
                    "disk_id": "nvme:S1:ns1", "dev_path": "/dev/nvme0n1", "vendor": null,
                    "model": null, "serial": "S1", "firmware": null, "capacity_bytes": 4096,
                    "logical_sector_size": 512, "interface": "nvme", "media_type": "ssd"
                },
                "hidden_areas": {
                    "hpa_sectors_before": null, "hpa_sectors_after": null,
                    "dco_sectors_before": null, "dco_sectors_after": null
                },
                "level": "clear", "requested_level": "purge",
                "technique": "nvme-format-user-data", "method": "none", "passes": [],
                "bytes_written": 0, "started_at": "t", "finished_at": "t", "duration_ms": 1,
                "write_rate_bps": 0,
                "verification": {
                    "mode": "sample", "requested_permille": 10, "coverage_permille": 10,
                    "algorithm": "reprise-nist-sample-v1", "seed": "00", "total_sectors": 8,
                    "sector_size": 512, "subsections": 1, "blocks_checked": 1,
                    "bytes_checked": 512, "mismatches": 0, "first_mismatch_lba": null,
                    "passed": false,
                    "firmware_check": {
                        "rule": "changed_or_zeros", "blocks_checked": 1, "bytes_checked": 512,
                        "unchanged_blocks": 1, "unreadable_blocks": 0, "first_bad_lba": 0,
                        "digests": "blake3:00", "passed": false
                    }
                },
                "result": "RESULT", "sanitized": false, "errors": [],
                "disposition": "destroy",
                "firmware": {
                    "command": "NVMe Format NVM (80h), SES 1", "namespaces": [1],
                    "observed_in_progress": false, "reported_success": false,
                    "completion": "device_gone", "status": null, "duration_ms": 1,
                    "estimated_ms": null, "polls": 0, "security_disabled_after": null
                }
            }],
            "verdict": {
                "decision": "recycle", "grade": "C",
                "reasons": [{
                    "key": "sanitization_failed", "disk": "nvme:S1:ns1", "result": "failed",
                    "message": "disque nvme:S1:ns1 : effacement non abouti (échec)"
                }],
                "actions": [{
                    "key": "replace_disk", "disk": "nvme:S1:ns1", "problem": "media_errors",
                    "count": "3", "message": "remplacer le disque nvme:S1:ns1 : 3 erreurs de support"
                }]
            },
            "destination": "recycle"
        }"#;
        serde_json::from_str(&text.replace("RESULT", result)).unwrap()
    }

    /// Reading a certificate into the typed content and writing it again gives the same
    /// canonical (signed) bytes: the enums are exactly the strings they replaced.
    #[test]
    fn typed_content_writes_back_the_same_signed_bytes() {
        let value = content("failed");
        let typed: Certificate = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(typed.sanitization[0].result, Outcome::Failed);
        assert_eq!(typed.sanitization[0].requested_level, Some(Level::Purge));
        assert_eq!(
            jcs::to_canonical(&typed).unwrap(),
            jcs::canonicalize(&value).unwrap()
        );
    }

    /// The canary check's members and the sanitize status are additive: a certificate without
    /// them reads as before (none of them), and one with them writes back the same bytes.
    #[test]
    fn canary_members_are_additive() {
        let old: Certificate = serde_json::from_value(content("failed")).unwrap();
        let d = &old.sanitization[0];
        let c = d.verification.firmware_check.as_ref().unwrap();
        assert_eq!(
            (c.canaries, c.canary_rule, c.wrong_content_blocks),
            (None, None, None)
        );
        let fw = d.firmware.as_ref().unwrap();
        assert_eq!((&fw.status_before, &fw.status_after), (&None, &None));
        // Rendered as the check it was, in the certificate's language.
        let text = crate::render::text(&old, "sha256:00");
        assert!(text.contains("Contrôle avant/après"), "{text}");
        assert!(
            text.contains("chaque bloc échantillonné différent d'avant, ou rempli de zéros (changed_or_zeros): 1 blocs, 1 inchangés"),
            "{text}"
        );
        let mut value = content("failed");
        let s = &mut value["sanitization"][0];
        let c = &mut s["verification"]["firmware_check"];
        c["canaries"] = 1.into();
        c["canary_rule"] = "differs_from_canary_holds_zeros".into();
        c["wrong_content_blocks"] = 0.into();
        s["firmware"]["status_before"] = "SSTAT 0000h, SCDW10 00000000h".into();
        s["firmware"]["status_after"] = "SSTAT 0101h, SCDW10 00000002h".into();
        let typed: Certificate = serde_json::from_value(value.clone()).unwrap();
        let c = typed.sanitization[0].verification.firmware_check.as_ref();
        assert_eq!(c.and_then(|c| c.canary_rule), Some(CanaryRule::Zeros));
        let text = crate::render::text(&typed, "sha256:00");
        assert!(text.contains("Contrôle par témoins"), "{text}");
        assert!(
            text.contains("état du sanitize SSTAT 0000h, SCDW10 00000000h → SSTAT 0101h"),
            "{text}"
        );
        assert!(!text.contains("avant/après"), "{text}");
        assert_eq!(
            jcs::to_canonical(&typed).unwrap(),
            jcs::canonicalize(&value).unwrap()
        );
        value["sanitization"][0]["verification"]["firmware_check"]["canary_rule"] =
            "changed_or_zeros".into();
        assert!(serde_json::from_value::<Certificate>(value).is_err());
    }

    /// The members added for issue 21 (hidden areas' states, a level's exception, the
    /// validation, the incidents) are additive: content without them reads and writes back the
    /// same signed bytes, and content with them reads them as typed and writes them back.
    #[test]
    fn evidence_members_are_additive() {
        let mut value = content("passed");
        let typed: Certificate = serde_json::from_value(value.clone()).unwrap();
        let d = &typed.sanitization[0];
        assert_eq!((d.hidden_areas.hpa, d.exception.as_ref()), (None, None));
        assert!(d.validation.is_none() && typed.incidents.is_empty());
        assert_eq!(
            jcs::to_canonical(&typed).unwrap(),
            jcs::canonicalize(&value).unwrap()
        );
        let entry = &mut value["sanitization"][0];
        entry["hidden_areas"]["hpa"] = "indeterminate".into();
        entry["hidden_areas"]["dco"] = "not_applicable".into();
        entry["exception"] = serde_json::json!({
            "key": "remapped_sectors_unreachable", "sectors": "12",
            "message": "Clear, with exception: 12 remapped sectors not reachable"
        });
        entry["validation"] = serde_json::json!({
            "outcome": "escalate", "rule": "remapped_sectors_unreachable", "message": "m"
        });
        value["incidents"] = serde_json::json!([
            {"key": "log_not_written", "file": "x-probe.json", "error": "disk full", "message": "m"},
            {"key": "sequence_skipped", "sequence": 7, "file": "a-00000007.json",
             "occupant": "not_a_certificate", "message": "m"}
        ]);
        let typed: Certificate = serde_json::from_value(value.clone()).unwrap();
        let d = &typed.sanitization[0];
        assert_eq!(
            d.hidden_states(),
            (
                HiddenAreaState::Indeterminate,
                HiddenAreaState::NotApplicable
            )
        );
        assert_eq!(
            d.exception.as_ref().unwrap().exception,
            LevelException::RemappedSectorsUnreachable {
                sectors: "12".into()
            }
        );
        assert_eq!(
            d.validation.as_ref().unwrap().rule,
            ValidationRule::RemappedSectorsUnreachable
        );
        assert_eq!(
            typed.incidents[1].incident,
            Incident::SequenceSkipped {
                sequence: 7,
                file: "a-00000007.json".into(),
                occupant: Occupant::NotACertificate,
                error: None
            }
        );
        assert_eq!(
            jcs::to_canonical(&typed).unwrap(),
            jcs::canonicalize(&value).unwrap()
        );
    }

    /// A word Reprise never wrote is not a certificate this code reads (the envelope's
    /// verification then says the content is not a schema 2 certificate).
    #[test]
    fn a_word_outside_its_set_is_refused_by_name() {
        let err = serde_json::from_value::<Certificate>(content("partly")).unwrap_err();
        assert!(
            err.to_string().contains("unknown variant `partly`"),
            "{err}"
        );
    }
}
