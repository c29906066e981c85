//! The plan of a run, pure: which disks are written and how, which are left alone and why
//! ([`SkipReason`]), from the probe, what the drives said ([`Inspection`]) and the operator's
//! choices ([`Settings`]). The validated plan it builds is what the engine writes; the write
//! guard re-checks everything when the devices are opened, so a mistake here cannot reach a
//! protected disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::model::{DiskId, DiskIdentity, Language, Level};
use crate::probe::model::{Disk, ProbeReport};
use crate::sys::SysRoot;
use crate::wipe::capability::DriveFacts;
use crate::wipe::plan::PlanError;
use crate::wipe::strategy::{DiskStrategy, SanitizeRequest, choose};
use crate::wipe::{
    Method, PlannedDevice, ProtectedDisk, ValidatedDevice, ValidatedPlan, VerifySpec, WipePlan,
    WriteGuard,
};

/// Choices that apply to every disk of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// What the operator (or the boot entry) asked for. Under Purge each disk's drive is asked
    /// what it can do and the plan picks its firmware Purge (`wipe::strategy`); a disk that
    /// offers none gets Clear, and the report and certificate say so (requested Purge,
    /// performed Clear, and why) — never claim Purge.
    pub level: Level,
    /// Method for HDDs and SSDs; flash media (USB, SD, eMMC) always get pattern + complement.
    pub method: Method,
    pub verify: VerifySpec,
    /// After a firmware erase, overwrite with zeros and read back (`--then-zero`).
    pub then_zero: bool,
    /// Restore a Device Configuration Overlay to the factory capacity (`--dco-restore`).
    pub dco_restore: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            level: Level::Clear,
            method: Method::Zero,
            verify: VerifySpec::Sample { permille: 100 },
            then_zero: false,
            dco_restore: false,
        }
    }
}

/// What the drives of a machine said they can do, and whether the machine can suspend to RAM
/// (to unfreeze them): the input of the planner besides the probe.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inspection {
    /// Per disk (absent: not asked; its plan is then a plain overwrite).
    pub drives: BTreeMap<DiskId, DriveFacts>,
    pub can_suspend: Option<Result<(), String>>,
}

/// Asks the drive of every disk the run would sanitize what it can do (read-only commands
/// through `wipe::capability`), and whether this machine can suspend. On a test tree (`--root`
/// other than `/`) no drive is asked: the facts say so.
pub fn inspect(root: &SysRoot, probe: &ProbeReport) -> Inspection {
    let drives = probe
        .disks
        .iter()
        .filter(|d| SkipReason::of(d).is_none())
        .map(|d| {
            (
                d.id.clone(),
                facts_of(root, Path::new(&d.dev_path), &d.identity()),
            )
        })
        .collect();
    Inspection {
        drives,
        can_suspend: Some(crate::sys::suspend::check(root).map_err(|e| e.to_string())),
    }
}

/// What one device's drive says it can do: asked on the real machine only, and never of a
/// regular file (it has no drive).
pub fn facts_of(root: &SysRoot, path: &Path, identity: &DiskIdentity) -> DriveFacts {
    if identity.transport == crate::model::Transport::File {
        DriveFacts::not_asked("a regular file has no drive firmware")
    } else if !root.is_host() {
        DriveFacts::not_asked("the system view is a test tree: no drive is asked")
    } else {
        crate::wipe::capability::inspect_path(path, identity.transport)
    }
}

/// Why a disk of the probe is not a target of the run. The console and `reprise plan --json`
/// print the English sentence ([`std::fmt::Display`], unchanged since these were strings); the
/// screen asks [`SkipReason::words`] in its language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The Reprise stick this system booted from; `why` is how the probe proved it.
    BootMedium {
        why: String,
    },
    /// Another Reprise stick: protected, never the boot medium.
    RepriseStick {
        why: String,
    },
    /// The running system is on it (`reasons`: what the probe saw, in English).
    RunningSystem {
        reasons: Vec<String>,
    },
    ReadOnly,
    /// The drive failed its own self-test: overwriting it costs hours and proves nothing.
    FailedSelfTest {
        result: String,
    },
    /// Size 0 or unknown (an empty card reader, an optical drive without a disc).
    NoMedium,
    /// The operator left it out of the run.
    NotSelected,
}

impl SkipReason {
    /// Why `disk` is not a target of any run, if it is not (the operator's choice aside).
    pub fn of(disk: &Disk) -> Option<SkipReason> {
        if let Some(m) = &disk.reprise_medium {
            let why = m.reason.clone();
            return Some(if m.booted {
                SkipReason::BootMedium { why }
            } else {
                SkipReason::RepriseStick { why }
            });
        }
        if disk.holds_system {
            return Some(SkipReason::RunningSystem {
                reasons: disk.system_reasons.clone(),
            });
        }
        if disk.read_only.known() == Some(&true) {
            return Some(SkipReason::ReadOnly);
        }
        if let Some(t) = disk.health.self_test.as_ref().filter(|t| !t.passed) {
            // It goes to destruction, which the verdict says.
            return Some(SkipReason::FailedSelfTest {
                result: t.result.clone(),
            });
        }
        let sector = u64::from(disk.logical_sector_size.known().copied().unwrap_or(512));
        if !matches!(disk.size_bytes.known(), Some(n) if *n >= sector) {
            return Some(SkipReason::NoMedium);
        }
        None
    }

    /// The reason in the screen's language: `short` for a table cell, else a line.
    pub fn words(&self, lang: Language, short: bool) -> String {
        let (en, fr) = match self {
            SkipReason::BootMedium { .. } if short => {
                ("boot medium - never wiped", "démarrage - jamais effacé")
            }
            SkipReason::BootMedium { .. } => (
                "boot medium - never wiped",
                "support de démarrage - jamais effacé",
            ),
            SkipReason::RepriseStick { .. } => (
                "Reprise stick - never wiped",
                "clé Reprise - jamais effacée",
            ),
            SkipReason::RunningSystem { .. } => (
                "running system - never wiped",
                "système en cours - jamais effacé",
            ),
            SkipReason::ReadOnly => ("read-only", "lecture seule"),
            SkipReason::FailedSelfTest { result } => {
                return match lang {
                    Language::En => format!("failed its self-test ({result}) - destroy it"),
                    Language::Fr => format!("autotest échoué ({result}) - à détruire"),
                };
            }
            SkipReason::NoMedium => ("no medium", "pas de support"),
            SkipReason::NotSelected => ("not selected", "non sélectionné"),
        };
        match lang {
            Language::En => en,
            Language::Fr => fr,
        }
        .to_owned()
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::BootMedium { why } => write!(f, "boot medium — never wiped ({why})"),
            SkipReason::RepriseStick { why } => write!(f, "a Reprise stick — never wiped ({why})"),
            SkipReason::RunningSystem { reasons } if reasons.is_empty() => {
                write!(f, "holds the running system")
            }
            SkipReason::RunningSystem { reasons } => {
                write!(f, "running system: {}", reasons.join("; "))
            }
            SkipReason::ReadOnly => write!(f, "read-only device"),
            SkipReason::FailedSelfTest { result } => write!(
                f,
                "failed its self-test ({result}) — not overwritten: destroy it"
            ),
            SkipReason::NoMedium => write!(f, "no medium (size 0 or unknown)"),
            SkipReason::NotSelected => write!(f, "not selected by the operator"),
        }
    }
}

/// A disk the run leaves alone, and why (shown to the operator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub disk: Disk,
    pub reason: SkipReason,
}

/// The plan of a run: the validated wipe plan (which disks, which passes each), and the disks
/// left alone with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlan {
    /// `None` when there is nothing to wipe.
    pub wipe: Option<ValidatedPlan>,
    pub skipped: Vec<Skipped>,
    pub verify: VerifySpec,
    /// The level asked for (each disk's strategy says the level it reaches).
    pub level: Level,
}

impl RunPlan {
    /// The disks that will be written, in order.
    pub fn targets(&self) -> &[ValidatedDevice] {
        self.wipe.as_ref().map_or(&[], |p| p.devices())
    }

    /// How many targets are frozen drives whose better technique a suspend-and-resume would
    /// make possible.
    pub fn frozen(&self) -> usize {
        self.targets()
            .iter()
            .filter(|t| t.strategy().is_some_and(|s| s.unfreeze_would_help))
            .count()
    }

    /// Whether a disk would be written.
    pub fn targets_disk(&self, id: &DiskId) -> bool {
        self.targets().iter().any(|t| &t.identity().id == id)
    }
}

/// Chooses the disks of a run from the probe and builds their validated plan, as overwrites
/// (no drive was asked anything: see [`plan_with`]).
pub fn plan(probe: &ProbeReport, settings: &Settings) -> Result<RunPlan, PlanError> {
    plan_with(probe, &Inspection::default(), settings)
}

/// [`plan`], with what the drives said ([`inspect`]): each disk the drives answered for gets
/// its sanitization plan (`wipe::strategy::choose`: technique for the level asked, fallbacks,
/// hidden areas, why).
pub fn plan_with(
    probe: &ProbeReport,
    inspection: &Inspection,
    settings: &Settings,
) -> Result<RunPlan, PlanError> {
    plan_for(probe, inspection, settings, &BTreeSet::new())
}

/// [`plan_with`], leaving out the eligible disks the operator deselected (`excluded`): they are
/// skipped as [`SkipReason::NotSelected`], and the verdict then counts them as not sanitized. A
/// controller-wide firmware erase is planned only when every namespace it would erase is in
/// the run, so a deselected namespace also keeps its siblings on an overwrite.
pub fn plan_for(
    probe: &ProbeReport,
    inspection: &Inspection,
    settings: &Settings,
    excluded: &BTreeSet<DiskId>,
) -> Result<RunPlan, PlanError> {
    let mut skipped = Vec::new();
    let mut targets = Vec::new();
    for disk in &probe.disks {
        let reason = SkipReason::of(disk).or_else(|| {
            excluded
                .contains(&disk.id)
                .then_some(SkipReason::NotSelected)
        });
        match reason {
            Some(reason) => skipped.push(Skipped {
                disk: disk.clone(),
                reason,
            }),
            None => targets.push((
                PathBuf::from(&disk.dev_path),
                disk.identity(),
                inspection.drives.get(&disk.id),
            )),
        }
    }
    let request = request(settings, inspection.can_suspend.clone());
    let devices = planned_devices(targets, &request);
    let wipe = if devices.is_empty() {
        None
    } else {
        Some(
            WipePlan {
                devices,
                rounds: 1,
                verify: settings.verify,
            }
            .validate()?,
        )
    };
    Ok(RunPlan {
        wipe,
        skipped,
        verify: settings.verify,
        level: settings.level,
    })
}

/// The request every disk's strategy answers.
pub fn request(settings: &Settings, can_suspend: Option<Result<(), String>>) -> SanitizeRequest {
    SanitizeRequest {
        level: settings.level,
        method: settings.method.clone(),
        then_zero: settings.then_zero,
        dco_restore: settings.dco_restore,
        can_suspend: can_suspend.unwrap_or_else(|| Err("not checked".into())),
    }
}

/// Each target as the plan writes it: its overwrite (the flash rule of `wipe::strategy`) and,
/// when its drive was asked, its strategy. A controller-wide NVMe command is chosen only when
/// every namespace it erases is among the targets.
pub fn planned_devices(
    targets: Vec<(PathBuf, DiskIdentity, Option<&DriveFacts>)>,
    request: &SanitizeRequest,
) -> Vec<PlannedDevice> {
    // The namespaces of each NVMe controller that this run sanitizes.
    let mut controllers: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    for n in targets
        .iter()
        .filter_map(|(_, _, f)| f.and_then(|f| f.nvme.as_ref()))
    {
        controllers
            .entry(n.controller.clone())
            .or_default()
            .insert(n.nsid);
    }
    let empty = BTreeSet::new();
    targets
        .into_iter()
        .map(|(path, identity, facts)| {
            let strategy: Option<DiskStrategy> = facts.map(|facts| {
                let ns = facts
                    .nvme
                    .as_ref()
                    .and_then(|n| controllers.get(&n.controller))
                    .unwrap_or(&empty);
                choose(&identity, facts, request, ns)
            });
            let method =
                crate::wipe::strategy::overwrite_method(identity.media_type, &request.method);
            PlannedDevice {
                path,
                identity,
                method,
                strategy,
            }
        })
        .collect()
}

/// The plan made again from an updated probe (self-test results, a resume): it may drop disks,
/// never add one, nor change a kept disk's passes or technique — the operator confirmed
/// `confirmed`.
pub fn replan(
    probe: &ProbeReport,
    inspection: &Inspection,
    settings: &Settings,
    confirmed: &RunPlan,
) -> Result<RunPlan, PlanError> {
    let again = plan_with(probe, inspection, settings)?;
    for t in again.targets() {
        let same = confirmed.targets().iter().any(|c| {
            c.path() == t.path()
                && c.identity() == t.identity()
                && c.passes() == t.passes()
                && c.strategy() == t.strategy()
        });
        if !same {
            return Err(PlanError::NotConfirmed(t.path().to_path_buf()));
        }
    }
    Ok(again)
}

/// The disks the guard must refuse, from the probe: the running system's and every Reprise
/// stick, with the reason.
pub fn protected_disks(disks: &[Disk]) -> Vec<ProtectedDisk> {
    disks
        .iter()
        .filter(|d| d.is_protected())
        .map(|d| ProtectedDisk {
            id: d.id.clone(),
            devno: d.devno,
            dev_path: d.dev_path.clone(),
            why: SkipReason::of(d).map(|r| r.to_string()).unwrap_or_default(),
        })
        .collect()
}

/// The write guard of a run: the probe's protected disks, and the probe's reader to re-identify
/// an opened device.
pub fn guard(root: &SysRoot, disks: &[Disk]) -> WriteGuard {
    WriteGuard::new(
        root.clone(),
        protected_disks(disks),
        Arc::new(|root, devno| crate::probe::disks::probe_devno(root, devno).map(|d| d.identity())),
    )
}
