//! The whole flow on one machine (`reprise run`): probe → plan → wipe in parallel → verdict →
//! signed certificate in the station's data folder; and the library side of the other commands
//! that combine several layers (`reprise wipe` in [`wipe`], `cert issue` in [`issue`]).
//!
//! Planning is pure ([`plan`]): it builds the real passes of every disk and validates them, and
//! the validated plan is what the engine writes. [`execute`] drives the wipe engine, the verdict
//! and the certificate issuer and writes the logs; the console dialogue stays in `cli`.

pub mod demo;
pub mod expect;
pub mod issue;
pub mod selftest;
pub mod upload;
pub mod wipe;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Sender;

use ed25519_dalek::SigningKey;

use crate::cert::issue::{IssueError, IssueInputs, issue_certificate};
use crate::cert::model::ChecksRecord;
use crate::cert::station::{self, StationKeyError};
use crate::model::{DiskId, Language, Level, MediaType};
use crate::probe::model::{Disk, ProbeReport};
use crate::sys::SysRoot;
use crate::sys::atomic::{self, AtomicWriteError};
use crate::sys::file::{self, FileError};
use crate::verdict::{Policy, Verdict};
use crate::wipe::capability::DriveFacts;
use crate::wipe::plan::PlanError;
use crate::wipe::report::{DeviceWipe, Outcome, SCHEMA_VERSION, WipeReport};
use crate::wipe::strategy::{SanitizeRequest, choose};
use crate::wipe::{
    CancelToken, Method, PlannedDevice, ProtectedDisk, ValidatedPlan, VerifySpec, WipeEvent,
    WipePlan, WriteGuard,
};

/// What the operator (or the boot entry) asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// NIST Clear: overwrite and verify.
    Clear,
    /// NIST Purge: each disk's drive is asked what it can do, and the plan picks its firmware
    /// Purge (`wipe::strategy`); a disk that offers none gets Clear, and the report and
    /// certificate say so (requested Purge, performed Clear, and why) — never claim Purge.
    Purge,
}

impl Mode {
    pub fn level(self) -> Level {
        match self {
            Mode::Clear => Level::Clear,
            Mode::Purge => Level::Purge,
        }
    }
}

/// Choices that apply to every disk of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub mode: Mode,
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
            mode: Mode::Clear,
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
        .filter(|d| skip_reason(d).is_none())
        .map(|d| {
            let facts = if root.is_host() {
                crate::wipe::capability::inspect_path(Path::new(&d.dev_path), d.transport)
            } else {
                DriveFacts::not_asked("the system view is a test tree: no drive is asked")
            };
            (d.id.clone(), facts)
        })
        .collect();
    Inspection {
        drives,
        can_suspend: Some(crate::sys::suspend::check(root).map_err(|e| e.to_string())),
    }
}

/// Suspends the machine to RAM and resumes it a few seconds later by its RTC alarm: the drives
/// lose power and come back unfrozen (unless the firmware freezes them again on resume).
pub fn unfreeze(
    root: &SysRoot,
) -> Result<crate::sys::suspend::Resumed, crate::sys::suspend::SuspendError> {
    crate::sys::suspend::suspend_and_resume(root, std::time::Duration::from_secs(5))
}

/// A disk the run leaves alone, and why (shown to the operator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub disk: Disk,
    pub reason: String,
}

/// The plan of a run: the validated wipe plan (which disks, which passes each), and the disks
/// left alone with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlan {
    /// `None` when there is nothing to wipe.
    pub wipe: Option<ValidatedPlan>,
    pub skipped: Vec<Skipped>,
    pub verify: VerifySpec,
    pub mode: Mode,
}

impl RunPlan {
    /// The disks that will be written, in order.
    pub fn targets(&self) -> &[crate::wipe::ValidatedDevice] {
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
}

/// Byte pattern of the Clear of flash media: 0x55 then its complement 0xAA, so every cell is
/// programmed both ways (NIST SP 800-88 Table A-8 for flash: "overwrite ... pattern, then its
/// complement").
const FLASH_PATTERN: u8 = crate::wipe::strategy::FLASH_PATTERN;

/// Why a disk of the probe is not a target of the run, if it is not.
fn skip_reason(disk: &Disk) -> Option<String> {
    if let Some(m) = &disk.reprise_medium {
        return Some(if m.booted {
            format!("boot medium — never wiped ({})", m.reason)
        } else {
            format!("a Reprise stick — never wiped ({})", m.reason)
        });
    }
    if disk.holds_system {
        return Some(if disk.system_reasons.is_empty() {
            "holds the running system".to_string()
        } else {
            format!("running system: {}", disk.system_reasons.join("; "))
        });
    }
    if disk.read_only.known() == Some(&true) {
        return Some("read-only device".into());
    }
    if let Some(t) = disk.health.self_test.as_ref().filter(|t| !t.passed) {
        // Overwriting a drive that fails its own test costs hours and proves nothing: it goes
        // to destruction, which the verdict says.
        return Some(format!(
            "failed its self-test ({}) — not overwritten: destroy it",
            t.result
        ));
    }
    let sector = u64::from(disk.logical_sector_size.known().copied().unwrap_or(512));
    if !matches!(disk.size_bytes.known(), Some(n) if *n >= sector) {
        return Some("no medium (size 0 or unknown)".into());
    }
    None
}

/// Chooses the disks of a run from the probe and builds their validated plan, as overwrites
/// (no drive was asked anything: see [`plan_with`]). Pure: the write guard re-checks everything
/// when the devices are opened, so a mistake here cannot reach a protected disk.
pub fn plan(probe: &ProbeReport, settings: &Settings) -> Result<RunPlan, PlanError> {
    plan_with(probe, &Inspection::default(), settings)
}

/// [`plan`], with what the drives said ([`inspect`]): each disk the drives answered for gets
/// its sanitization plan (`wipe::strategy::choose`: technique for the level asked, fallbacks,
/// hidden areas, why). Pure.
pub fn plan_with(
    probe: &ProbeReport,
    inspection: &Inspection,
    settings: &Settings,
) -> Result<RunPlan, PlanError> {
    plan_for(probe, inspection, settings, &BTreeSet::new())
}

/// Why a disk the operator left out of the run is skipped.
pub const NOT_SELECTED: &str = "not selected by the operator";

/// [`plan_with`], leaving out the eligible disks the operator deselected (`excluded`): they are
/// skipped with [`NOT_SELECTED`], and the verdict then counts them as not sanitized. A
/// controller-wide firmware erase is planned only when every namespace it would erase is in
/// the run, so a deselected namespace also keeps its siblings on an overwrite.
pub fn plan_for(
    probe: &ProbeReport,
    inspection: &Inspection,
    settings: &Settings,
    excluded: &BTreeSet<DiskId>,
) -> Result<RunPlan, PlanError> {
    let mut devices = Vec::new();
    let mut skipped = Vec::new();
    let request = SanitizeRequest {
        level: settings.mode.level(),
        method: settings.method.clone(),
        then_zero: settings.then_zero,
        dco_restore: settings.dco_restore,
        can_suspend: inspection
            .can_suspend
            .clone()
            .unwrap_or_else(|| Err("not checked".into())),
    };
    // The namespaces of each NVMe controller that this run sanitizes.
    let mut controllers: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    let in_run = |d: &&Disk| skip_reason(d).is_none() && !excluded.contains(&d.id);
    for disk in probe.disks.iter().filter(in_run) {
        if let Some(n) = inspection
            .drives
            .get(&disk.id)
            .and_then(|f| f.nvme.as_ref())
        {
            controllers
                .entry(n.controller.clone())
                .or_default()
                .insert(n.nsid);
        }
    }
    for disk in &probe.disks {
        let reason = skip_reason(disk)
            .or_else(|| excluded.contains(&disk.id).then(|| NOT_SELECTED.to_owned()));
        match reason {
            Some(reason) => skipped.push(Skipped {
                disk: disk.clone(),
                reason,
            }),
            None => {
                let method = if disk.media_type == MediaType::Flash {
                    Method::PatternComplement(vec![FLASH_PATTERN])
                } else {
                    settings.method.clone()
                };
                let identity = disk.identity();
                let strategy = inspection.drives.get(&disk.id).map(|facts| {
                    let empty = BTreeSet::new();
                    let ns = facts
                        .nvme
                        .as_ref()
                        .and_then(|n| controllers.get(&n.controller))
                        .unwrap_or(&empty);
                    choose(&identity, facts, &request, ns)
                });
                devices.push(PlannedDevice {
                    path: PathBuf::from(&disk.dev_path),
                    identity,
                    method,
                    strategy,
                });
            }
        }
    }
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
        mode: settings.mode,
    })
}

/// The plan made again from an updated probe (self-test results): it may drop disks, never add
/// one, nor change a kept disk's passes or technique — the operator confirmed `confirmed`.
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
            why: skip_reason(d).unwrap_or_default(),
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

/// Why a run could not finish with a certificate.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("invalid wipe plan")]
    Plan(#[from] PlanError),
    #[error("station key")]
    Key(#[from] StationKeyError),
    #[error("cannot create the folder {path}")]
    Folder {
        path: PathBuf,
        #[source]
        source: AtomicWriteError,
    },
    #[error("cannot write the log {path}")]
    Log {
        path: PathBuf,
        #[source]
        source: AtomicWriteError,
    },
    #[error("cannot read the policy")]
    ReadPolicy(#[source] FileError),
    #[error("invalid policy")]
    Policy(#[from] crate::verdict::policy::PolicyError),
    #[error("cannot issue the certificate")]
    Issue(#[from] IssueError),
    #[error("automatic mode cannot start: {0}")]
    NotReady(String),
}

/// Where a station keeps its things on the data partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(pub PathBuf);

impl DataDir {
    pub fn keys(&self) -> PathBuf {
        self.0.join("keys")
    }
    pub fn certs(&self) -> PathBuf {
        self.0.join("certs")
    }
    pub fn logs(&self) -> PathBuf {
        self.0.join("logs")
    }
    pub fn policy(&self) -> PathBuf {
        self.0.join("policy.toml")
    }
}

/// Loads the station key of a data folder, or creates it on a fresh data partition (first boot
/// of a new stick). Returns the key and whether it was just created.
pub fn load_or_create_key(data: &DataDir) -> Result<(SigningKey, bool), RunError> {
    Ok(station::load_or_create(&data.keys())?)
}

/// The verdict policy: `explicit` if given, else the data folder's `policy.toml` when the
/// workshop put one there, else the built-in defaults.
pub fn load_policy(explicit: Option<&Path>, data: Option<&DataDir>) -> Result<Policy, RunError> {
    let path = match (explicit, data) {
        (Some(p), _) => Some(p.to_owned()),
        (None, Some(d)) => Some(d.policy()),
        (None, None) => None,
    };
    let Some(path) = path else {
        return Ok(Policy::default());
    };
    let text = match file::read_optional(&path).map_err(RunError::ReadPolicy)? {
        Some(text) => text,
        // Only the data folder's policy is optional; a policy named on the command line must
        // exist.
        None if explicit.is_none() => return Ok(Policy::default()),
        None => {
            return Err(RunError::ReadPolicy(FileError::Read {
                path,
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            }));
        }
    };
    Ok(Policy::from_toml(&text, &path)?)
}

/// Everything [`execute`] needs besides the plan.
#[derive(Debug)]
pub struct RunContext<'a> {
    pub root: &'a SysRoot,
    pub data: &'a DataDir,
    pub key: &'a SigningKey,
    pub policy: Policy,
    pub organisation: Option<String>,
    pub site: String,
    pub operator: String,
    pub language: Language,
    pub image_digest: Option<String>,
}

/// How a run (or a `reprise wipe`) ended, as the exit code says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Every disk written is sanitized.
    Sanitized,
    /// At least one disk is not sanitized (failed, or written without verification).
    NotSanitized,
    /// The operator cancelled (Ctrl-C, SIGTERM, or the cancel key).
    Cancelled,
}

/// The status of a set of wipe records, from the one predicate of "sanitized".
pub fn status(devices: &[DeviceWipe]) -> RunStatus {
    if devices.iter().any(|d| d.outcome == Outcome::Cancelled) {
        RunStatus::Cancelled
    } else if devices.iter().all(DeviceWipe::is_sanitized) {
        RunStatus::Sanitized
    } else {
        RunStatus::NotSanitized
    }
}

/// What a finished run produced.
#[derive(Debug)]
pub struct RunOutcome {
    pub wipe: WipeReport,
    pub verdict: Verdict,
    pub certificate: PathBuf,
}

impl RunOutcome {
    pub fn status(&self) -> RunStatus {
        status(&self.wipe.devices)
    }
}

/// Wipes the plan's targets in parallel (progress on `events`), decides the verdict, then issues
/// the certificate into `DATA/certs` and keeps the probe and wipe reports in `DATA/logs`.
pub fn execute(
    probe: &ProbeReport,
    run_plan: &RunPlan,
    ctx: RunContext<'_>,
    events: Sender<WipeEvent>,
    cancel: CancelToken,
) -> Result<RunOutcome, RunError> {
    execute_with(probe, run_plan, ctx, events, cancel, RunExtras::default())
}

/// What a run may add to [`execute`]: the hands-on checks, and the demo's pace.
pub struct RunExtras<'a> {
    /// Called once every wipe has ended, before the verdict: the hands-on checks done meanwhile
    /// (the RAM test runs while the disks are wiped), weighed by the verdict and recorded in the
    /// certificate.
    pub checks: Box<dyn FnOnce() -> ChecksRecord + Send + 'a>,
    /// Caps each device's throughput (bytes per second) so that the demo's small files take
    /// the time a disk would; `None` in a real run.
    pub pace_bps: Option<u64>,
}

impl Default for RunExtras<'_> {
    fn default() -> Self {
        RunExtras {
            checks: Box::new(ChecksRecord::default),
            pace_bps: None,
        }
    }
}

impl std::fmt::Debug for RunExtras<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunExtras")
            .field("pace_bps", &self.pace_bps)
            .finish_non_exhaustive()
    }
}

/// [`execute`] with the hands-on checks and the demo's pace.
pub fn execute_with(
    probe: &ProbeReport,
    run_plan: &RunPlan,
    ctx: RunContext<'_>,
    events: Sender<WipeEvent>,
    cancel: CancelToken,
    extras: RunExtras<'_>,
) -> Result<RunOutcome, RunError> {
    let devices = match &run_plan.wipe {
        // Each disk the way its plan says: an overwrite, or the drive's own erase with its
        // check. The one path from a validated plan to the devices (`wipe::open_plan`).
        Some(plan) => {
            let mut opened = crate::wipe::open_plan(plan, &guard(ctx.root, &probe.disks));
            if let Some(bps) = extras.pace_bps {
                opened = opened
                    .into_iter()
                    .map(|o| o.map(|dev| dev.paced(bps)))
                    .collect();
            }
            crate::wipe::run_plan(opened, events, cancel)
        }
        None => Vec::new(),
    };
    let checks = (extras.checks)();
    let wipe = WipeReport {
        schema_version: SCHEMA_VERSION,
        tool: crate::model::tool_version(),
        image_digest: ctx.image_digest.clone(),
        // Each disk's record says what was performed; the certificate states the request beside
        // it when they differ (and the plan's explanations say why).
        requested_level: (run_plan.mode == Mode::Purge).then_some(Level::Purge),
        devices,
    };
    let stamp = crate::sys::clock::now_rfc3339().replace([':', '.'], "-");
    write_log(ctx.data, &format!("{stamp}-probe.json"), probe)?;
    write_log(ctx.data, &format!("{stamp}-wipe.json"), &wipe)?;
    let health = BTreeMap::new();
    let verdict = crate::verdict::evaluate_with_checks(probe, &wipe, &health, &checks, &ctx.policy);
    let inputs = IssueInputs {
        probe: probe.clone(),
        wipe: wipe.clone(),
        verdict: verdict.clone(),
        health,
        hidden_areas: BTreeMap::new(),
        organisation: ctx.organisation,
        site: ctx.site,
        operator: ctx.operator,
        language: ctx.language,
        issued_at: None,
        checks: Some(checks),
    };
    let certs = ctx.data.certs();
    atomic::ensure_dir(&certs).map_err(|source| RunError::Folder {
        path: certs.clone(),
        source,
    })?;
    let certificate = issue_certificate(inputs, ctx.key, &certs)?;
    Ok(RunOutcome {
        wipe,
        verdict,
        certificate,
    })
}

fn write_log<T: serde::Serialize>(data: &DataDir, name: &str, value: &T) -> Result<(), RunError> {
    let dir = data.logs();
    atomic::ensure_dir(&dir).map_err(|source| RunError::Folder {
        path: dir.clone(),
        source,
    })?;
    let mut bytes = serde_json::to_vec_pretty(value).expect("reports serialize to JSON");
    bytes.push(b'\n');
    atomic::write_new(&dir, name, &bytes, 0o644)
        .map(|_| ())
        .map_err(|source| RunError::Log {
            path: dir.join(name),
            source,
        })
}

/// Whether an automatic run may write anything: its certificate must have a durable home. That
/// is the data partition of the proven boot medium, mounted at `data` and writable — or a
/// workshop server that answers (a network boot has no stick). Otherwise the run must stop
/// before writing a byte, and say why.
pub fn check_auto_ready(
    probe: &ProbeReport,
    data: &DataDir,
    server: Option<&str>,
) -> Result<(), String> {
    let stick = stick_data_partition(probe, &data.0);
    let stick_why = match &stick {
        Ok(()) => match atomic::probe_writable(&data.0) {
            Ok(()) => return Ok(()),
            Err(e) => format!(
                "the data partition is not writable ({})",
                crate::model::error_chain(&e)
            ),
        },
        Err(why) => why.clone(),
    };
    match server {
        Some(url) => match crate::sys::net::reachable(url) {
            Ok(()) => Ok(()),
            Err(e) => Err(format!(
                "{stick_why}, and the workshop server {url} does not answer ({e})"
            )),
        },
        None => Err(format!("{stick_why}, and no workshop server is configured")),
    }
}

/// Whether certificates written to `data` survive the power-off: it is the proven boot medium's
/// data partition (else it is memory, as on a network boot, and only the server keeps them).
pub fn data_is_durable(probe: &ProbeReport, data: &DataDir) -> bool {
    stick_data_partition(probe, &data.0).is_ok()
}

/// Whether `data` is where the proven boot medium's data partition is mounted.
fn stick_data_partition(probe: &ProbeReport, data: &Path) -> Result<(), String> {
    let booted: Vec<&Disk> = probe.disks.iter().filter(|d| d.is_boot_medium()).collect();
    let Some(stick) = booted.first() else {
        let sticks = probe
            .disks
            .iter()
            .filter(|d| d.reprise_medium.is_some())
            .count();
        return Err(match sticks {
            0 => "no Reprise stick was found among the disks".to_owned(),
            1 => "the Reprise stick present is not the boot medium (network boot)".to_owned(),
            n => format!("{n} Reprise sticks are plugged in: the boot medium is not proven"),
        });
    };
    let medium = stick.reprise_medium.as_ref().expect("boot medium");
    let Some(part) = &medium.data_partition else {
        return Err(format!(
            "the stick {} has no data partition the kernel knows",
            stick.dev_path
        ));
    };
    let data = file::canonical(data);
    let mounted = stick
        .partitions
        .iter()
        .filter(|p| &p.name == part)
        .flat_map(|p| &p.mountpoints)
        .any(|m| Path::new(m) == data);
    if mounted {
        Ok(())
    } else {
        Err(format!(
            "the stick's data partition {part} is not mounted on {}",
            data.display()
        ))
    }
}

/// The data partition of the proven boot medium (`/dev/sdb3`), for init to mount: settings and
/// keys are read only from there. `Err` says why there is none (no stick, two sticks, a network
/// boot, a stick whose data partition the kernel has not shown yet).
pub fn boot_data_partition(root: &SysRoot) -> Result<PathBuf, String> {
    let disks = crate::probe::disks::probe_disks(root, false);
    let booted: Vec<&Disk> = disks.iter().filter(|d| d.is_boot_medium()).collect();
    match booted.as_slice() {
        [stick] => {
            let m = stick.reprise_medium.as_ref().expect("boot medium");
            match &m.data_partition {
                Some(p) => Ok(PathBuf::from(format!("/dev/{p}"))),
                None => Err(format!(
                    "the boot medium {} has no data partition in the kernel's view yet",
                    stick.dev_path
                )),
            }
        }
        _ => Err(disks
            .iter()
            .find_map(|d| d.reprise_medium.as_ref().map(|m| m.reason.clone()))
            .unwrap_or_else(|| "no disk carries the Reprise image".to_owned())),
    }
}
