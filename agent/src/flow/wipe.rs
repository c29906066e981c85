//! `reprise wipe` as a library function: name devices, get their identity from the probe, build
//! and validate the plan, open everything through the guard (one refusal stops the command
//! before any byte is written), then wipe in parallel into a report.
//!
//! Split in two ([`prepare`], then [`PreparedWipe::run`]) so the console can show the opened
//! devices and ask the operator between the two.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use crate::model::{DiskIdentity, Level};
use crate::sys::SysRoot;
use crate::sys::file::{self, Kind};
use crate::wipe::capability::DriveFacts;
use crate::wipe::plan::PlanError;
use crate::wipe::report::{SCHEMA_VERSION, WipeReport};
use crate::wipe::{
    CancelToken, Method, OpenError, OpenedDevice, PlannedDevice, ValidatedPlan, VerifySpec,
    WipeEvent, WipePlan,
};

/// What the operator named on the command line.
#[derive(Debug, Clone)]
pub struct WipeRequest {
    pub root: SysRoot,
    pub devices: Vec<PathBuf>,
    pub method: Method,
    pub rounds: u32,
    pub verify: VerifySpec,
    /// `--level clear|purge`: each device sanitized as its plan says (`wipe::strategy`; its
    /// drive is asked what it can do). `None`: an explicit overwrite with `method`.
    pub level: Option<Level>,
    pub then_zero: bool,
    pub dco_restore: bool,
}

/// Why `reprise wipe` stopped before writing anything.
#[derive(Debug, thiserror::Error)]
pub enum WipeCommandError {
    #[error("cannot wipe {path}: no such device or file")]
    NotFound {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot wipe {path}: the probe sees no whole disk with that device number (a partition? Reprise sanitizes whole disks)"
    )]
    NotADisk { path: PathBuf },
    #[error("cannot wipe {path}: neither a block device nor a regular file")]
    NotADevice { path: PathBuf },
    #[error("invalid wipe plan")]
    Plan(#[from] PlanError),
    #[error("nothing was written")]
    Refused(#[source] OpenError),
}

/// Devices opened and checked, ready to be written.
pub struct PreparedWipe {
    plan: ValidatedPlan,
    opened: Vec<OpenedDevice>,
    requested: Option<Level>,
}

impl std::fmt::Debug for PreparedWipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedWipe")
            .field("plan", &self.plan)
            .finish_non_exhaustive()
    }
}

/// The identity of `path`: the probe's for a block device (found by device number), a file's
/// own for a regular file.
fn identity_of(
    disks: &[crate::probe::model::Disk],
    path: &Path,
) -> Result<DiskIdentity, WipeCommandError> {
    let kind = file::kind(path).map_err(|source| WipeCommandError::NotFound {
        path: path.to_owned(),
        source,
    })?;
    let devno = match kind {
        Kind::Regular { len } => {
            return Ok(DiskIdentity::for_file(&path.display().to_string(), len));
        }
        Kind::Block { devno } => devno,
        Kind::Directory | Kind::Other => {
            return Err(WipeCommandError::NotADevice {
                path: path.to_owned(),
            });
        }
    };
    disks
        .iter()
        .find(|d| d.devno == Some(devno))
        .map(|d| {
            let mut id = d.identity();
            // The operator's name for it: what the guard opens and the messages show.
            id.dev_path = path.display().to_string();
            id
        })
        .ok_or_else(|| WipeCommandError::NotADisk {
            path: path.to_owned(),
        })
}

/// Probes, plans and opens every device of `req` through the guard. Any refusal stops the whole
/// command: nothing has been written when this returns an error.
pub fn prepare(req: &WipeRequest) -> Result<PreparedWipe, WipeCommandError> {
    // The probe names the disks of the running system and every Reprise stick; the guard refuses
    // them and re-checks mounts itself when opening. Virtual devices (loop) are disks here.
    let probe_disks = crate::probe::disks::probe_disks(&req.root, true);
    // Mistakes in the command line itself are said before any device is looked at.
    for (i, p) in req.devices.iter().enumerate() {
        if req.devices[..i].contains(p) {
            return Err(PlanError::DuplicateDevice(p.clone()).into());
        }
    }
    if req.rounds == 0 || req.rounds > crate::wipe::plan::MAX_ROUNDS {
        return Err(PlanError::BadPasses(req.rounds).into());
    }
    let mut devices = req
        .devices
        .iter()
        .map(|p| {
            Ok(PlannedDevice::overwrite(
                p.clone(),
                identity_of(&probe_disks, p)?,
                req.method.clone(),
            ))
        })
        .collect::<Result<Vec<_>, WipeCommandError>>()?;
    if let Some(level) = req.level {
        plan_strategies(req, level, &mut devices);
    }
    let plan = WipePlan {
        devices,
        rounds: req.rounds,
        verify: req.verify,
    }
    .validate()?;
    let guard = super::guard(&req.root, &probe_disks);
    let mut opened = Vec::new();
    for dev in crate::wipe::open_plan(&plan, &guard) {
        opened.push(dev.map_err(|r| WipeCommandError::Refused(r.error))?);
    }
    Ok(PreparedWipe {
        plan,
        opened,
        requested: req.level,
    })
}

/// Asks each device's drive what it can do (block devices on the real machine only; a regular
/// file has no drive) and gives each its sanitization plan for `level`, as a run would.
fn plan_strategies(req: &WipeRequest, level: Level, devices: &mut Vec<PlannedDevice>) {
    let facts: Vec<DriveFacts> = devices
        .iter()
        .map(|d| super::plan::facts_of(&req.root, &d.path, &d.identity))
        .collect();
    let settings = super::Settings {
        level,
        method: req.method.clone(),
        verify: req.verify,
        then_zero: req.then_zero,
        dco_restore: req.dco_restore,
    };
    let can_suspend = crate::sys::suspend::check(&req.root).map_err(|e| e.to_string());
    let request = super::plan::request(&settings, Some(can_suspend));
    let targets = std::mem::take(devices)
        .into_iter()
        .zip(&facts)
        .map(|(d, f)| (d.path, d.identity, Some(f)))
        .collect();
    *devices = super::plan::planned_devices(targets, &request);
}

impl PreparedWipe {
    /// The devices about to be written, as opened (size and sector size from the device).
    pub fn devices(&self) -> Vec<DiskIdentity> {
        self.opened
            .iter()
            .map(|o| {
                let mut id = o.identity().clone();
                id.size_bytes = o.io().len();
                id.logical_sector_size = o.io().sector_size();
                id
            })
            .collect()
    }

    pub fn plan(&self) -> &ValidatedPlan {
        &self.plan
    }

    /// The opened devices themselves, for another writer than the wipe (`reprise install`
    /// writes an image through the same guard's checks): the plan's overwrites only.
    pub fn into_devices(self) -> Vec<Box<dyn crate::sys::blockdev::BlockIo>> {
        self.opened
            .into_iter()
            .filter_map(|o| match o {
                OpenedDevice::Overwrite(io, _, _) => Some(io),
                OpenedDevice::Firmware(..) => None,
            })
            .collect()
    }

    /// Writes and verifies every device in parallel.
    pub fn run(self, events: Sender<WipeEvent>, cancel: CancelToken) -> WipeReport {
        WipeReport {
            schema_version: SCHEMA_VERSION,
            tool: crate::model::tool_version(),
            image_digest: None,
            requested_level: self.requested,
            devices: crate::wipe::run_plan(
                self.opened.into_iter().map(Ok).collect(),
                events,
                cancel,
            ),
        }
    }
}
