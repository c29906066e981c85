//! Sanitization: plan, write guard, overwrite engine, verification, and the report they produce.
//!
//! Flow: a [`plan::WipePlan`] is validated into a [`plan::ValidatedPlan`] — the only description
//! of what gets written; each device is opened through [`guard::open_for_write`], the single
//! write-open of Reprise, which refuses the boot medium, the running system, mounted or busy
//! devices, read-only devices, anything the plan does not name, and a device that is not the
//! disk the plan names; [`engine::wipe_device`] writes and verifies it. [`open_plan`] opens
//! every device of a plan that way (or through [`guard::open_firmware`] for a firmware erase)
//! and [`run_plan`] runs them in parallel, one worker thread each, with progress on one channel.

pub mod buf;
pub mod capability;
pub mod engine;
pub mod firmware;
pub mod guard;
pub mod io;
pub mod method;
pub mod pattern;
pub mod plan;
pub mod report;
pub mod sample;
pub mod strategy;
pub mod technique;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;

pub use engine::{Tuning, WipeJob, verify_device, wipe_device};
pub use guard::{OpenError, ProtectedDisk, WriteGuard, open_firmware, open_for_write};
pub use plan::{
    Method, PassPattern, PlannedDevice, ValidatedDevice, ValidatedPlan, VerifySpec, WipePlan,
};
use report::{DeviceWipe, Outcome, Verification, WipeError};

use crate::model::{self as model, DiskId, DiskIdentity, Level};
use crate::sys::blockdev::BlockIo;
use crate::sys::clock::now_rfc3339;
use crate::sys::passthrough::Passthrough;
use firmware::FirmwareJob;
use strategy::DiskStrategy;

/// Shared flag that stops every worker at its next buffer boundary.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a worker is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Write,
    Verify,
    /// A drive's own erase is running (firmware technique): `bytes_done` is its progress as a
    /// share of the disk, from the drive's report or its estimate.
    Erase,
}

/// A progress sample of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The disk, by its stable name.
    pub disk: DiskId,
    /// Its path, for the operator.
    pub device: String,
    /// 1-based pass number.
    pub pass: u32,
    pub passes: u32,
    pub phase: Phase,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Average rate of this phase so far, bytes per second.
    pub rate_bps: u64,
    /// Estimated time left in this phase, when a rate is known.
    pub eta_ms: Option<u64>,
}

/// Events of all workers, on one channel (for the console and the TUI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WipeEvent {
    Progress(Progress),
    /// The device is done; its [`DeviceWipe`] is in the result of [`run_plan`].
    Finished {
        disk: DiskId,
        device: String,
        outcome: Outcome,
    },
}

/// A device that could not even be opened (refused by the guard, gone, not the planned disk):
/// a failed entry that says why — never a pass.
pub fn refused(job: WipeJob, err: &OpenError) -> DeviceWipe {
    let now = now_rfc3339();
    DeviceWipe {
        device: job.identity().clone(),
        level: Level::Clear,
        technique: "overwrite".into(),
        method: job.method().to_owned(),
        passes: Vec::new(),
        bytes_written: 0,
        started_at: now.clone(),
        finished_at: now,
        duration_ms: 0,
        write_rate_bps: 0,
        verification: Verification::not_run(),
        outcome: Outcome::Failed,
        errors: vec![WipeError {
            operation: err.kind(),
            lba: None,
            sectors: None,
            message: crate::model::error_chain(err),
        }],
        explanations: Vec::new(),
        firmware: None,
        firmware_check: None,
        hidden_areas: None,
    }
}

/// A device of a plan opened through the guard, ready for its job.
pub enum OpenedDevice {
    /// An overwrite (`--method`, or a plan whose technique is an overwrite and that changes no
    /// hidden area).
    Overwrite(Box<dyn BlockIo>, Box<WipeJob>, Option<Box<DiskStrategy>>),
    /// A firmware erase (or hidden areas to remove): the device and its drive, from
    /// `guard::open_firmware`.
    Firmware(Box<dyn BlockIo>, Box<dyn Passthrough>, Box<FirmwareJob>),
}

impl std::fmt::Debug for OpenedDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenedDevice::Overwrite(io, _, _) => {
                write!(f, "Overwrite({})", io.path().display())
            }
            OpenedDevice::Firmware(io, _, _) => write!(f, "Firmware({})", io.path().display()),
        }
    }
}

impl OpenedDevice {
    /// Who the device is, as planned.
    pub fn identity(&self) -> &DiskIdentity {
        match self {
            OpenedDevice::Overwrite(_, j, _) => j.identity(),
            OpenedDevice::Firmware(_, _, j) => j.job.identity(),
        }
    }

    /// The same device with its throughput capped at `bps` bytes per second (the demo's small
    /// files take the time a disk would).
    pub fn paced(self, bps: u64) -> OpenedDevice {
        let pace = |io: Box<dyn BlockIo>| Box::new(io::Paced::new(io, bps)) as Box<dyn BlockIo>;
        match self {
            OpenedDevice::Overwrite(io, job, s) => OpenedDevice::Overwrite(pace(io), job, s),
            OpenedDevice::Firmware(io, drive, job) => OpenedDevice::Firmware(pace(io), drive, job),
        }
    }

    pub fn io(&self) -> &dyn BlockIo {
        match self {
            OpenedDevice::Overwrite(io, _, _) | OpenedDevice::Firmware(io, _, _) => io.as_ref(),
        }
    }
}

/// A device the guard refused.
#[derive(Debug)]
pub struct Refusal {
    pub job: WipeJob,
    /// The NVMe controller group it belonged to, when its plan is a controller-wide command.
    pub group: Option<String>,
    pub error: OpenError,
}

/// One device of a plan after the guard: opened, or refused.
pub type OpenedPlanDevice = Result<OpenedDevice, Box<Refusal>>;

/// A firmware group: the drive's handle and its members (plan index, device, job).
type Group = (
    Box<dyn Passthrough>,
    Vec<(usize, Box<dyn BlockIo>, Box<FirmwareJob>)>,
);

/// Opens every device of a validated plan through the guard, each the way its plan needs.
pub fn open_plan(plan: &ValidatedPlan, guard: &WriteGuard) -> Vec<OpenedPlanDevice> {
    plan.devices()
        .iter()
        .map(|d| {
            let job = WipeJob::new(plan, d);
            let group = d
                .strategy()
                .and_then(|s| s.controller.as_ref())
                .map(|c| c.controller.clone());
            if d.needs_firmware() {
                let fj = FirmwareJob::new(plan, d).expect("a plan that needs firmware has one");
                guard::open_firmware(plan, d.path(), guard)
                    .map(|o| {
                        OpenedDevice::Firmware(
                            Box::new(o.device) as Box<dyn BlockIo>,
                            Box::new(o.drive) as Box<dyn Passthrough>,
                            Box::new(fj),
                        )
                    })
                    .map_err(|error| Box::new(Refusal { job, group, error }))
            } else {
                open_for_write(plan, d.path(), guard)
                    .map(|o| {
                        OpenedDevice::Overwrite(
                            Box::new(o.device),
                            Box::new(job.clone()),
                            d.strategy().map(|s| Box::new(s.clone())),
                        )
                    })
                    .map_err(|error| Box::new(Refusal { job, group, error }))
            }
        })
        .collect()
}

/// The record a successful sanitization of `device` (of `plan`) would leave, as the code that
/// makes the real one builds it: the firmware path's ([`firmware::as_if_sanitized`]) for a
/// disk with a plan, the overwrite engine's ([`engine::as_if_written`]) for an explicit
/// `--method`. For the forecast of the first screen only (`flow::expect`, the one caller, as
/// a test checks): a what-if, never written, signed or shown as a result.
pub fn as_if_sanitized(plan: &ValidatedPlan, device: &ValidatedDevice) -> DeviceWipe {
    match FirmwareJob::new(plan, device) {
        Some(job) => firmware::as_if_sanitized(&job),
        None => engine::as_if_written(&WipeJob::new(plan, device)),
    }
}

/// Sanitizes what [`open_plan`] opened, in parallel: one worker per overwrite, one per firmware
/// group (the namespaces one NVMe command erases together; any other disk alone). A refusal is
/// a failed entry; so is every namespace of a group one of whose namespaces was refused (the
/// command would erase it). Results in plan order.
pub fn run_plan(
    opened: Vec<OpenedPlanDevice>,
    events: Sender<WipeEvent>,
    cancel: CancelToken,
) -> Vec<DeviceWipe> {
    let n = opened.len();
    let mut results: Vec<Option<DeviceWipe>> = (0..n).map(|_| None).collect();
    let group_of = |fj: &FirmwareJob| {
        fj.strategy
            .controller
            .as_ref()
            .map(|c| c.controller.clone())
    };
    // Controller groups with a refused member cannot run: the command would erase it too.
    let broken: Vec<(String, String)> = opened
        .iter()
        .filter_map(|o| match o {
            Err(r) => r.group.clone().map(|g| (g, model::error_chain(&r.error))),
            _ => None,
        })
        .collect();
    let mut overwrites = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_keys: Vec<Option<String>> = Vec::new();
    for (i, o) in opened.into_iter().enumerate() {
        match o {
            Err(r) => {
                let _ = events.send(WipeEvent::Finished {
                    disk: r.job.identity().id.clone(),
                    device: r.job.identity().dev_path.clone(),
                    outcome: Outcome::Failed,
                });
                results[i] = Some(refused(r.job, &r.error));
            }
            Ok(OpenedDevice::Overwrite(io, job, strategy)) => {
                overwrites.push((i, io, *job, strategy))
            }
            Ok(OpenedDevice::Firmware(io, drive, fj)) => {
                let key = group_of(&fj);
                if let Some((_, why)) = broken.iter().find(|(g, _)| Some(g) == key.as_ref()) {
                    let e = OpenError::IdentityMismatch {
                        dev: io.path().to_owned(),
                        what: format!(
                            "another namespace of its controller was refused ({why}), and the controller-wide command would erase it too"
                        ),
                    };
                    let _ = events.send(WipeEvent::Finished {
                        disk: fj.job.identity().id.clone(),
                        device: fj.job.identity().dev_path.clone(),
                        outcome: Outcome::Failed,
                    });
                    results[i] = Some(refused(fj.job.clone(), &e));
                    continue;
                }
                match key
                    .as_ref()
                    .and_then(|k| group_keys.iter().position(|g| g.as_ref() == Some(k)))
                {
                    // The group's command goes through its first member's handle.
                    Some(g) => groups[g].1.push((i, io, fj)),
                    None => {
                        group_keys.push(key);
                        groups.push((drive, vec![(i, io, fj)]));
                    }
                }
            }
        }
    }
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (i, mut io, job, strategy) in overwrites {
            let events = events.clone();
            let cancel = cancel.clone();
            handles.push(s.spawn(move || {
                let w = match strategy {
                    Some(st) => {
                        firmware::overwrite_planned(io.as_mut(), job, &st, &events, &cancel)
                    }
                    None => wipe_device(io.as_mut(), job, &events, &cancel),
                };
                vec![(i, w)]
            }));
        }
        for (mut drive, members) in groups {
            let events = events.clone();
            let cancel = cancel.clone();
            handles.push(s.spawn(move || {
                let mut members = members;
                let idx: Vec<usize> = members.iter().map(|(i, _, _)| *i).collect();
                let list: Vec<firmware::Member<'_>> = members
                    .iter_mut()
                    .map(|(_, io, fj)| firmware::Member {
                        io: io.as_mut(),
                        job: (**fj).clone(),
                    })
                    .collect();
                let mut pace = firmware::RealPace::new();
                let out = firmware::sanitize(
                    drive.as_mut(),
                    list,
                    firmware::Env {
                        events: &events,
                        cancel: &cancel,
                        pace: &mut pace,
                    },
                );
                idx.into_iter().zip(out).collect::<Vec<_>>()
            }));
        }
        for h in handles {
            for (i, w) in h.join().expect("wipe worker panicked") {
                results[i] = Some(w);
            }
        }
    });
    results.into_iter().flatten().collect()
}
