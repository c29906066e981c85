//! Sanitization: plan, write guard, overwrite engine, verification, and the report they produce.
//!
//! Flow: a [`plan::WipePlan`] is validated into a [`plan::ValidatedPlan`] — the only description
//! of what gets written; each device is opened through [`guard::open_for_write`], the single
//! write-open of Reprise, which refuses the boot medium, the running system, mounted or busy
//! devices, read-only devices, anything the plan does not name, and a device that is not the
//! disk the plan names; [`engine::wipe_device`] writes and verifies it; [`run_wipes`] does all
//! devices in parallel, one worker thread each, with progress on one channel.

pub mod buf;
pub mod engine;
pub mod guard;
pub mod io;
pub mod pattern;
pub mod plan;
pub mod report;
pub mod sample;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;

pub use engine::{Tuning, WipeJob, verify_device, wipe_device};
pub use guard::{OpenError, ProtectedDisk, WriteGuard, open_for_write};
pub use io::FakeDevice;
pub use plan::{
    Method, PassPattern, PlannedDevice, ValidatedDevice, ValidatedPlan, VerifySpec, WipePlan,
};
use report::{DeviceWipe, Outcome, Verification, WipeError};

use crate::model::{DiskId, Level};
use crate::sys::blockdev::BlockIo;
use crate::sys::clock::now_rfc3339;

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
    /// The device is done; its [`DeviceWipe`] is in the result of [`run_wipes`].
    Finished {
        disk: DiskId,
        device: String,
        outcome: Outcome,
    },
}

/// Runs already opened devices in parallel, one worker thread each; results in job order.
pub fn run_devices(
    devices: Vec<(Box<dyn BlockIo>, WipeJob)>,
    events: Sender<WipeEvent>,
    cancel: CancelToken,
) -> Vec<DeviceWipe> {
    std::thread::scope(|s| {
        let handles: Vec<_> = devices
            .into_iter()
            .map(|(mut io, job)| {
                let events = events.clone();
                let cancel = cancel.clone();
                s.spawn(move || wipe_device(io.as_mut(), job, &events, &cancel))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("wipe worker panicked"))
            .collect()
    })
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
    }
}

/// One device of a plan after the guard: its job, and the open device or the refusal.
pub type OpenedJob = (WipeJob, Result<Box<dyn BlockIo>, OpenError>);

/// Everything of a validated plan, opened through the guard: one entry per device, in plan
/// order, either the open device with its job or the refusal.
pub fn open_all(plan: &ValidatedPlan, guard: &WriteGuard) -> Vec<OpenedJob> {
    plan.devices()
        .iter()
        .map(|d| {
            let job = WipeJob::new(plan, d);
            let opened = open_for_write(plan, d.path(), guard)
                .map(|o| Box::new(o.device) as Box<dyn BlockIo>);
            (job, opened)
        })
        .collect()
}

/// Wipes what [`open_all`] opened, in parallel; a refusal becomes a failed entry naming the
/// reason. Results in plan order.
pub fn run_opened(
    opened: Vec<OpenedJob>,
    events: Sender<WipeEvent>,
    cancel: CancelToken,
) -> Vec<DeviceWipe> {
    let mut results: Vec<Option<DeviceWipe>> = Vec::new();
    let mut ready = Vec::new();
    let mut slots = Vec::new();
    for (job, dev) in opened {
        match dev {
            Ok(io) => {
                slots.push(results.len());
                results.push(None);
                ready.push((io, job));
            }
            Err(e) => {
                let _ = events.send(WipeEvent::Finished {
                    disk: job.identity().id.clone(),
                    device: job.identity().dev_path.clone(),
                    outcome: Outcome::Failed,
                });
                results.push(Some(refused(job, &e)));
            }
        }
    }
    for (slot, r) in slots.into_iter().zip(run_devices(ready, events, cancel)) {
        results[slot] = Some(r);
    }
    results.into_iter().flatten().collect()
}

/// Opens every device of `plan` through the guard, then wipes them in parallel.
pub fn run_wipes(
    plan: &ValidatedPlan,
    guard: &WriteGuard,
    events: Sender<WipeEvent>,
    cancel: CancelToken,
) -> Vec<DeviceWipe> {
    run_opened(open_all(plan, guard), events, cancel)
}
