//! The closed sets of words a certificate carries — its language, the level, each disk's
//! result and disposition, how a firmware erase completed and the rules of its check, the
//! verification mode, a drive's health and self-test — each written exactly as the signed JSON
//! writes it. Below the content model, the plan's explanations and the verdict, which all speak
//! result and disposition, how a firmware erase completed and the rule of its check, the
//! verification mode, a drive's health and self-test, the state of its hidden areas, its
//! sanitization validation and the rule that decided it, what kept a certificate from its
//! sequence number — each written exactly as the signed JSON writes it. Below the content model, the plan's explanations and the verdict, which all speak
//! them; their sentences in French and English are in `messages`.

use serde::{Deserialize, Serialize};

/// Language of the human-readable parts (messages, rendering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Fr,
    En,
}

impl std::str::FromStr for Language {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fr" => Ok(Language::Fr),
            "en" => Ok(Language::En),
            other => Err(format!("unknown language {other:?} (expected fr or en)")),
        }
    }
}

closed_set! {
    /// NIST SP 800-88 sanitization level: what a disk's sanitization reached (`level`), what the
    /// operator asked for (`requested_level`), what a plan or a command line asks for.
    pub enum Level ("level") {
        Clear = "clear",
        Purge = "purge",
    }
}

closed_set! {
    /// How one disk's sanitization ended: the certificate's `result`, the wipe report's
    /// `outcome`. Only `Passed` (with a consistent record) means sanitized.
    pub enum Outcome ("result") {
        /// Every byte written, every flush and sync succeeded, and the verification that was
        /// asked for (sample or full) read back what was written: the disk is sanitized.
        Passed = "passed",
        /// Every byte written, but no verification was asked for (`--verify none`): NIST SP
        /// 800-88 requires one, so the disk is NOT sanitized; it can be wiped again with
        /// verification. Schema 2.
        Unverified = "unverified",
        /// A write, flush, sync or read failed, the verification found a mismatch, the device
        /// vanished, or it was refused: see `errors`.
        Failed = "failed",
        /// Stopped by the operator before the end: never counts as sanitized.
        Cancelled = "cancelled",
    }
}

closed_set! {
    /// What must happen to a disk after its sanitization: the strongest instruction of the
    /// verdict's actions about it (the declaration order is that strength, hence `Ord`).
    #[derive(PartialOrd, Ord)]
    pub enum Disposition ("disposition") {
        /// Sanitized, and no action names it: it stays in the machine.
        Keep = "keep",
        /// Sanitized, but an action about its health names it (replace it, or check it).
        Replace = "replace",
        /// Not proven sanitized (not verified, or cancelled): sanitize it again, or remove it.
        SanitizeAgain = "sanitize_again",
        /// Sanitization failed: remove it and destroy it.
        Destroy = "destroy",
    }
}

closed_set! {
    /// How a drive's firmware erase command ended.
    pub enum Completion ("completion") {
        /// The drive reported the end of the operation (success or not: see
        /// `reported_success`).
        Completed = "completed",
        /// The drive reported that the operation failed, or a command of it was aborted.
        Failed = "failed",
        /// No end was reported within the time allowed.
        Timeout = "timeout",
        /// The drive disappeared while erasing.
        DeviceGone = "device_gone",
        /// The operator stopped waiting (the drive goes on by itself).
        Cancelled = "cancelled",
        /// Refused by the drive before it changed anything.
        NotStarted = "not_started",
    }
}

closed_set! {
    /// What a firmware erase documents the media to hold afterwards (`rule` of the check). The
    /// words are those of the first check, which compared each sampled block with what it held
    /// before: a block had to differ from before, or hold the documented content. That rule
    /// proves nothing where the media was blank before (a lying drive passes; a deallocating
    /// one fails), so a check now plants canaries and judges by [`CanaryRule`]; certificates
    /// issued before canaries keep these words as their rule.
    pub enum PostErase ("rule") {
        /// Nothing predictable (a new key, a vendor pattern).
        Changed = "changed",
        /// Zeros.
        Zeros = "changed_or_zeros",
        /// 0xFF bytes.
        Ones = "changed_or_ones",
    }
}

closed_set! {
    /// The rule of a firmware erase's canary check (DESIGN §4): before the erase, every sampled
    /// block was written with fresh random bytes (its canary), flushed and read back; after, each
    /// block must no longer hold its canary and, where the technique documents a content, hold
    /// it. What the media held before (data, blank, trimmed) no longer matters.
    pub enum CanaryRule ("canary rule") {
        /// Each block differs from its canary (the technique documents nothing predictable).
        Differs = "differs_from_canary",
        /// Each block differs from its canary and holds zeros.
        Zeros = "differs_from_canary_holds_zeros",
        /// Each block differs from its canary and holds 0xFF bytes.
        Ones = "differs_from_canary_holds_ones",
    }
}

impl CanaryRule {
    /// The canary rule of a technique that documents `content`.
    pub fn of(content: PostErase) -> CanaryRule {
        match content {
            PostErase::Changed => CanaryRule::Differs,
            PostErase::Zeros => CanaryRule::Zeros,
            PostErase::Ones => CanaryRule::Ones,
        }
    }

    /// The content each block must hold afterwards (`Changed`: none in particular).
    pub fn content(self) -> PostErase {
        match self {
            CanaryRule::Differs => PostErase::Changed,
            CanaryRule::Zeros => PostErase::Zeros,
            CanaryRule::Ones => PostErase::Ones,
        }
    }
}

impl PostErase {
    /// Whether `bytes` hold the documented content (never, for `Changed`).
    pub fn holds(self, bytes: &[u8]) -> bool {
        // Compared 4 KiB at a time against a constant block: a memcmp, not a byte loop (it runs
        // over every sampled byte after the erase).
        static ZEROS: [u8; 4096] = [0; 4096];
        static ONES: [u8; 4096] = [0xff; 4096];
        let block = match self {
            PostErase::Changed => return false,
            PostErase::Zeros => &ZEROS,
            PostErase::Ones => &ONES,
        };
        bytes.chunks(block.len()).all(|c| c == &block[..c.len()])
    }
}

closed_set! {
    /// How much of the media was read back after it was written.
    pub enum VerifyMode ("verification mode") {
        /// Nothing read back: never sanitized.
        None = "none",
        /// The NIST SP 800-88 §4.7 sample (`wipe/SAMPLING.md` in the agent).
        Sample = "sample",
        Full = "full",
    }
}

closed_set! {
    /// Whether a drive's firmware considers it healthy.
    #[derive(Default)]
    pub enum HealthStatus ("health status") {
        /// The drive reports no problem (SMART RETURN STATUS good and no pre-failure attribute
        /// at or below its threshold; no NVMe critical warning).
        Passed = "passed",
        /// The drive reports a problem: `why` says which.
        Failing = "failing",
        /// Not read, or not readable: `why` says why. Never taken as good.
        #[default]
        Unknown = "unknown",
    }
}

closed_set! {
    /// A drive's own self-test.
    pub enum SelfTestKind ("self-test") {
        /// One to two minutes.
        Short = "short",
        /// The whole media: hours.
        Extended = "extended",
    }
}

closed_set! {
    /// Where a certificate's time comes from.
    pub enum TimeSource ("time source") {
        /// The laptop's own clock (its RTC), as found, or corrected to a floor.
        Rtc = "rtc",
        /// The workshop server's time, stated on an exchange the agent authenticated.
        Server = "server",
        /// A time server the network offered (NTP).
        Ntp = "ntp",
    }
}

closed_set! {
    /// What became of one hidden area of a disk — its Host Protected Area, or its Device
    /// Configuration Overlay — as read from the drive before and after. A value the drive did not
    /// give is `Indeterminate`, never `Absent`.
    pub enum HiddenAreaState ("hidden area state") {
        /// Read from the drive: it hides nothing.
        Absent = "absent",
        /// It hid sectors; they were given back to the host before sanitizing, and the drive,
        /// read again, hides nothing.
        Removed = "removed",
        /// It still hides sectors afterwards (left in place, or its removal failed): they were
        /// not sanitized.
        Present = "present",
        /// It could not be read (a USB bridge that carries no ATA command, a drive that was not
        /// asked, a command that failed): sectors may be hidden, and were then not sanitized.
        Indeterminate = "indeterminate",
        /// The interface has no such thing (NVMe, SD/eMMC, a virtual disk or a file).
        NotApplicable = "not_applicable",
    }
}

closed_set! {
    /// What a laptop clock found too early was corrected to: no certificate is dated before
    /// the tool existed, nor before the station's previous certificate.
    pub enum TimeFloor ("time floor") {
        /// The build time of the live image the agent runs from.
        ImageBuild = "image_build",
        /// The issue time of the station's previous certificate.
        PreviousCertificate = "previous_certificate",
    }
}

closed_set! {
    /// The outcome of a disk's sanitization validation (NIST SP 800-88 Rev. 2, which replaced
    /// Rev. 1's verification with a validation of the sanitization's effectiveness): whether the
    /// record proves the level it states, decided by one [`ValidationRule`].
    pub enum ValidationOutcome ("validation outcome") {
        /// The record proves the level stated: nothing is known to be left.
        Approve = "approve",
        /// The record does not prove the disk sanitized.
        Reject = "reject",
        /// The addressable media was sanitized and verified, but something out of its reach is
        /// known or may be left: a person decides (Purge, or destruction).
        Escalate = "escalate",
    }
}

closed_set! {
    /// The rule that decided a disk's validation outcome (`reprise_cert::validation` decides it
    /// from the disk's entry alone, so a reader can decide it again).
    pub enum ValidationRule ("validation rule") {
        /// Every addressable sector written, then read back (sample or full) as written.
        OverwriteVerified = "overwrite_verified",
        /// The drive reported its own erase done and the sampled blocks, read before and after,
        /// hold what the technique documents.
        FirmwareEraseChecked = "firmware_erase_checked",
        /// Sanitized by an overwrite, but the drive had remapped sectors, whose old content no
        /// overwrite reaches.
        RemappedSectorsUnreachable = "remapped_sectors_unreachable",
        /// Sanitized, but an HPA or DCO could not be read: sectors may be hidden.
        HiddenAreasIndeterminate = "hidden_areas_indeterminate",
        /// Sectors an HPA or DCO still hides were not sanitized.
        HiddenSectorsLeft = "hidden_sectors_left",
        /// Written, never read back.
        NotVerified = "not_verified",
        /// A write, flush, verification or firmware erase failed.
        SanitizationFailed = "sanitization_failed",
        /// Stopped before the end.
        SanitizationCancelled = "sanitization_cancelled",
    }
}

impl ValidationRule {
    /// The outcome this rule gives: one place, so that a record cannot pair a rule with
    /// another outcome unnoticed.
    pub fn outcome(self) -> ValidationOutcome {
        match self {
            ValidationRule::OverwriteVerified | ValidationRule::FirmwareEraseChecked => {
                ValidationOutcome::Approve
            }
            ValidationRule::RemappedSectorsUnreachable
            | ValidationRule::HiddenAreasIndeterminate => ValidationOutcome::Escalate,
            ValidationRule::HiddenSectorsLeft
            | ValidationRule::NotVerified
            | ValidationRule::SanitizationFailed
            | ValidationRule::SanitizationCancelled => ValidationOutcome::Reject,
        }
    }
}

closed_set! {
    /// What held the file name of a certificate's sequence number, so that the sequence was
    /// skipped (a certificate is never kept from being written: it takes the next free one).
    pub enum Occupant ("occupant") {
        /// A file that could not be read.
        Unreadable = "unreadable",
        /// Something that is not a plain file (a folder, a broken link).
        NotAFile = "not_a_file",
        /// A file that is not a certificate of this station (corrupt, cut short, or signed by
        /// another key).
        NotACertificate = "not_a_certificate",
    }
}
