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
    /// Storage that is not a disk the run sanitizes, by what it is: listed in the probe report and
    /// the certificate for what it is, never counted as a disk left unsanitized (except an NVMe
    /// namespace the kernel does not show, which holds data like any disk).
    pub enum StorageKind ("storage kind") {
        /// A CD/DVD/Blu-ray drive (SCSI peripheral type 5, the kernel's `sr` driver).
        OpticalDrive = "optical_drive",
        /// A card reader or other drive of removable media with no medium in it (size 0).
        CardReader = "card_reader",
        /// A removable medium the system cannot write (a write-protected card or stick).
        ReadOnlyMedium = "read_only_medium",
        /// An eMMC boot partition (`mmcblk0boot0`, `mmcblk0boot1`).
        EmmcBootPartition = "emmc_boot_partition",
        /// The eMMC's Replay Protected Memory Block.
        EmmcRpmb = "emmc_rpmb",
        /// An NVMe namespace the controller lists as active but the kernel shows no disk for.
        NvmeNamespace = "nvme_namespace",
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
    /// What the run did with storage that is not a disk it sanitizes, and so what the workshop
    /// must know of it.
    pub enum StorageHandling ("storage handling") {
        /// A drive with no medium in it: nothing is stored there.
        NoMedium = "no_medium",
        /// Whether a medium is in the drive is unknown: someone must look.
        CheckEmpty = "check_empty",
        /// A medium the run cannot write (a disc, a write-protected card) was left as it is: it
        /// must be taken out before the laptop leaves.
        RemoveMedium = "remove_medium",
        /// Not written (eMMC boot partitions: read-only by default and outside the user area;
        /// the RPMB: writable only with the device's own key).
        NotWritten = "not_written",
        /// Not sanitized: the kernel shows no disk for it, so nothing could write it.
        NotSanitized = "not_sanitized",
        /// Erased with its whole controller by an NVMe Sanitize of another namespace.
        ErasedWithController = "erased_with_controller",
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
    /// What a PCI controller is, from its class code (and, for Intel VMD, its device ID).
    pub enum ControllerKind ("controller kind") {
        /// SATA in AHCI mode (class 01 06 01).
        SataAhci = "sata_ahci",
        /// Other SATA programming interfaces (01 06 xx).
        Sata = "sata",
        /// RAID (01 04): on laptops, SATA in Intel RST "RAID" mode.
        Raid = "raid",
        /// Intel Volume Management Device: NVMe (and SATA) drives behind it are shown only by
        /// the `vmd` driver.
        Vmd = "vmd",
        /// NVMe (01 08).
        Nvme = "nvme",
        /// IDE / parallel ATA (01 01).
        Ide = "ide",
        /// SAS or SCSI (01 07, 01 00).
        Scsi = "scsi",
        /// SD/MMC host (08 05): eMMC and SD cards sit behind it.
        SdHost = "sd_host",
        /// Any other mass storage controller (01 xx).
        OtherStorage = "storage_other",
        /// Ethernet (02 00).
        Ethernet = "ethernet",
        /// Any other network controller (02 xx: Wi-Fi, ...).
        OtherNetwork = "network_other",
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
    /// Why a controller may hide disks from the run, or (a network controller) cannot be used:
    /// each names the step that fixes it (`messages::controller_finding`).
    pub enum ControllerFinding ("controller finding") {
        /// SATA in RAID mode (Intel RST) with no driver bound: its disks are hidden.
        RaidMode = "raid_mode",
        /// The AHCI driver found NVMe drives remapped behind the SATA controller (Intel RST
        /// "RAID" / Optane mode): they are hidden.
        RemappedNvme = "remapped_nvme",
        /// Intel VMD with no driver bound: the drives behind it are hidden.
        VmdWithoutDriver = "vmd_without_driver",
        /// No driver bound: the image has none for it, so what it drives is not seen.
        NoDriver = "no_driver",
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
    /// A hands-on check, by name (as the certificate's `checks` member names it).
    pub enum CheckName ("check") {
        Keyboard = "keyboard",
        Screen = "screen",
        Cooling = "cooling",
        Memory = "memory",
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

closed_set! {
    /// Why a check that was started tested nothing (it is then "not run", never a pass).
    pub enum NotRunWhy ("reason a check did not run") {
        /// RAM: the wipe ended before one pattern was written and read back over the memory.
        WipeEnded = "wipe_ended",
        /// RAM: no memory was free above the reserve kept for the system and the wipe.
        NoMemoryFree = "no_memory_free",
        /// RAM: the system refused to lend the memory.
        AllocationRefused = "allocation_refused",
        /// RAM (an older record): no memory was tested, for a reason not recorded.
        NothingTested = "nothing_tested",
        /// Keyboard: no key was pressed (Esc, which ends the check, aside).
        NoKeyPressed = "no_key_pressed",
        /// Screen: the check ended before the first colour was judged.
        NoColourShown = "no_colour_shown",
        /// Cooling: no temperature, frequency or throttling reading was taken under load.
        NoReading = "no_reading",
    }
}

closed_set! {
    /// Why the RAM test ended before it was complete.
    pub enum RamEnd ("RAM test end") {
        /// The wipe ended (the test runs only alongside it).
        WipeEnded = "wipe_ended",
        /// No memory was free above the reserve kept for the system and the wipe.
        NoMemoryFree = "no_memory_free",
        /// The system refused to lend the memory.
        AllocationRefused = "allocation_refused",
    }
}
