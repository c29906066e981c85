//! The verdict as a certificate records it: decision, grade, and typed reasons and actions.
//!
//! These are part of the signed content (a contract for outside tools): each reason or action is
//! a key plus parameters, serialized as `{"key": ..., params...}`. How they are decided is the
//! agent's business (its `verdict` module); how they read in French or English is
//! [`crate::messages`].

use serde::{Deserialize, Serialize};

use crate::words::{ControllerFinding, Outcome, StorageKind};

closed_set! {
    /// Where the machine goes.
    pub enum Decision ("decision") {
        Refurbish = "refurbish",
        Recycle = "recycle",
    }
}

closed_set! {
    /// A: ready as is. B: one fix, or something unknown to check. C: several fixes, or recycle.
    #[derive(PartialOrd, Ord)]
    pub enum Grade ("grade") {
        A = "A",
        B = "B",
        C = "C",
    }
}

closed_set! {
    /// Why a disk must be replaced: its first health problem ([`Action::ReplaceDisk`]).
    pub enum DiskProblem ("disk problem") {
        /// SMART RETURN STATUS (ATA) or a critical warning (NVMe) says failing.
        SmartFailed = "smart_failed",
        /// The drive's own self-test failed.
        SelfTestFailed = "self_test_failed",
        /// Its rated endurance used up (the count is the percentage used).
        WornOut = "worn_out",
        /// Reallocated sectors above the policy's limit.
        Reallocated = "reallocated",
        /// Sectors pending reallocation above the policy's limit.
        Pending = "pending",
        /// Media errors above the policy's limit.
        MediaErrors = "media_errors",
    }
}

/// The outcome of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub decision: Decision,
    pub grade: Grade,
    pub reasons: Vec<Reason>,
    pub actions: Vec<Action>,
    /// What the plan costs, when the policy priced it; `None` for a verdict decided without
    /// prices (older agents, tests that build a verdict by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

/// The priced refurbishment plan: each action's cost (parts and labour), their total and the
/// budget it was weighed against. Integers only, in euro cents (TTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    /// The cost of each action of [`Verdict::actions`], in the same order: `None` for one that
    /// is not a repair ([`Action::is_repair`]) or that the price list cannot price.
    pub action_cents: Vec<Option<u64>>,
    /// The sum of the priced repairs.
    pub repair_cost_cents: u64,
    pub budget_cents: u64,
    /// What the budget is ("plafond de revente d'un ordinateur cédé par une personne
    /// publique…"), as the policy names it.
    pub budget_basis: String,
}

impl Verdict {
    /// Each action with its cost, when priced.
    pub fn priced_actions(&self) -> impl Iterator<Item = (&Action, Option<u64>)> {
        self.actions.iter().enumerate().map(|(i, a)| {
            let cost = self
                .pricing
                .as_ref()
                .and_then(|p| p.action_cents.get(i).copied().flatten());
            (a, cost)
        })
    }
}

/// A fact that weighed on the verdict. Counters that may exceed 2^53 are decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "key", rename_all = "snake_case")]
pub enum Reason {
    /// The CPU lacks the x86-64 level the policy requires (0 = not x86-64).
    CpuLevelTooLow {
        level: u8,
        minimum: u8,
    },
    CpuLevelUnknown,
    TooFewCores {
        cores: u32,
        minimum: u32,
    },
    CoresUnknown,
    /// RAM below the minimum and no way to add or swap modules.
    RamTooLowNotUpgradable {
        installed_bytes: u64,
        minimum_bytes: u64,
    },
    /// RAM below the minimum, but a module can be added or swapped.
    RamTooLowUpgradable {
        installed_bytes: u64,
        minimum_bytes: u64,
    },
    RamBelowRecommended {
        installed_bytes: u64,
        recommended_bytes: u64,
    },
    RamUnknown,
    /// Whether modules can be added or swapped is unknown (SMBIOS memory devices not read).
    RamSlotsUnknown {
        installed_bytes: u64,
    },
    BatteryWorn {
        battery: String,
        health_permille: u32,
        threshold_permille: u32,
    },
    BatteryHealthUnknown {
        battery: String,
    },
    NoBattery,
    SmartFailed {
        disk: String,
    },
    /// The drive says it has used up its rated endurance (NVMe percentage used, or an ATA wear
    /// attribute), at or above the policy's limit.
    DiskWornOut {
        disk: String,
        percentage_used: u16,
        limit: u16,
    },
    /// The drive's own self-test failed.
    SelfTestFailed {
        disk: String,
        result: String,
    },
    ReallocatedSectors {
        disk: String,
        count: String,
    },
    PendingSectors {
        disk: String,
        count: String,
    },
    MediaErrors {
        disk: String,
        count: String,
    },
    /// Sanitized by an overwrite, but the drive had remapped `sectors` (reallocated or pending,
    /// from its health before the wipe): their old content is out of an overwrite's reach. The
    /// certificate's entry says "Clear, with exception".
    RemappedSectorsUnreachable {
        disk: String,
        sectors: String,
    },
    DiskHealthUnknown {
        disk: String,
    },
    /// Sanitization failed or was cancelled: the disk must not leave the workshop.
    SanitizationFailed {
        disk: String,
        /// `failed` or `cancelled`.
        result: Outcome,
    },
    /// The failed disk is built in (eMMC): it cannot be removed, so the machine cannot be reused.
    FailedDiskNotRemovable {
        disk: String,
    },
    /// Every byte was overwritten, but no verification was asked for: NIST SP 800-88 requires
    /// one, so the disk is not sanitized.
    SanitizationNotVerified {
        disk: String,
    },
    /// Sanitized, but `count` writes failed before succeeding when retried in smaller pieces:
    /// the disk's health deserves a look.
    WritesRetried {
        disk: String,
        count: u64,
    },
    /// A disk the probe saw was not in the wipe report (and is not the boot medium); `why`
    /// says what kept it out, when known.
    DiskNotSanitized {
        disk: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<String>,
    },
    NoDisk,
    /// No internal storage was found, nothing may hide it, and nobody stated that the laptop
    /// has none: what the laptop holds is not known, so it cannot be refurbished as it is.
    NoInternalStorageFound,
    /// A disk that was not there when the run was planned appeared while it was under way (a
    /// late driver, a hot-plugged disk): it was not sanitized.
    DiskAppeared {
        disk: String,
    },
    /// A storage controller may hide disks (RAID mode, VMD or no driver): the laptop's storage
    /// was not all seen, so "no disk" or "every disk sanitized" cannot be said.
    DisksHidden {
        /// Its PCI address ("0000:00:0e.0").
        controller: String,
        /// Vendor and device IDs ("8086:9a0b").
        pci_id: String,
        finding: ControllerFinding,
    },
    /// Keyboard check: keys never pressed (dead, or missing keycaps).
    KeysDead {
        keys: Vec<String>,
    },
    /// Screen check: the operator saw dead pixels, bleed or stains.
    ScreenDefect {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        colour: Option<String>,
    },
    /// Cooling check: the CPU got hotter than the policy allows under a short load.
    CpuOverheated {
        max_millicelsius: u32,
        limit_millicelsius: u32,
    },
    /// Cooling check: the CPU throttled itself to keep cool.
    CpuThrottled {
        events: u64,
    },
    /// RAM check: words read back differently from what was written.
    MemoryErrors {
        errors: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        module: Option<String>,
    },
    /// The priced repairs cost more than the workshop's repair budget: refurbishing this
    /// laptop would cost more than it is worth to a family. Euro cents.
    RepairOverBudget {
        repair_cost_cents: u64,
        budget_cents: u64,
    },
}

/// What the workshop must do before the machine leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "key", rename_all = "snake_case")]
pub enum Action {
    ReplaceBattery {
        battery: String,
        health_permille: u32,
    },
    CheckBattery {
        battery: String,
    },
    FitBattery,
    /// The disk's first health problem, with its count when it has one.
    ReplaceDisk {
        disk: String,
        problem: DiskProblem,
        count: Option<String>,
    },
    CheckDisk {
        disk: String,
    },
    /// Sanitize the disk again at Purge, with its own erase command (which reaches remapped
    /// sectors); destroy it if it offers none.
    PurgeDisk {
        disk: String,
    },
    DestroyDisk {
        disk: String,
    },
    FitNewDisk,
    AddRam {
        installed_bytes: u64,
        free_slots: u32,
        /// The module to add, when SMBIOS tells what the board takes: size and kind
        /// ("DDR4 SODIMM").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        module_bytes: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        module_kind: Option<String>,
    },
    SwapRam {
        installed_bytes: u64,
    },
    CheckRamSlots {
        installed_bytes: u64,
    },
    SanitizeOrRemoveDisk {
        disk: String,
    },
    /// Make the hidden storage visible (the step depends on the finding), then run again.
    RevealDisks {
        controller: String,
        pci_id: String,
        finding: ControllerFinding,
    },
    /// A medium the run does not sanitize is in a drive (a disc, a write-protected card): take
    /// it out before the laptop leaves. A note, not a fix: the laptop's grade does not change.
    RemoveMedium {
        /// Kernel name of the drive ("sr0").
        device: String,
        kind: StorageKind,
    },
    /// Whether a medium is in a drive is unknown (the drive was not asked, or did not say):
    /// look, and take out any disc or card. A note, like [`Action::RemoveMedium`].
    CheckNoMedium {
        device: String,
        kind: StorageKind,
    },
    /// Keys found dead by the keyboard check.
    ReplaceKeyboard {
        keys: Vec<String>,
    },
    ReplaceScreen,
    /// The cooling check overheated or throttled: clean the fan, replace the thermal paste.
    CleanCooling,
    /// The RAM check found errors; `module` names it when SMBIOS maps the address.
    ReplaceRam {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        module: Option<String>,
    },
    Recycle,
}

impl Action {
    /// Whether the action is a repair the workshop pays for to refurbish the laptop (a part, a
    /// cleaning): only repairs are priced and weighed against the budget. Checks and notes cost
    /// nothing to price, and the sanitization duties (purge, destroy, sanitize, reveal hidden
    /// disks) and recycling are owed whichever pile the laptop goes to, so they do not weigh on
    /// the choice between the two.
    pub fn is_repair(&self) -> bool {
        matches!(
            self,
            Action::ReplaceBattery { .. }
                | Action::FitBattery
                | Action::ReplaceDisk { .. }
                | Action::FitNewDisk
                | Action::AddRam { .. }
                | Action::SwapRam { .. }
                | Action::ReplaceRam { .. }
                | Action::ReplaceKeyboard { .. }
                | Action::ReplaceScreen
                | Action::CleanCooling
        )
    }
}
