//! Sanitization: plan, overwrite engine, verification, and the report they produce.
//!
//! Flow: a [`plan::WipePlan`] is validated into a [`plan::ValidatedPlan`]; each device is opened
//! through the single write-open function `sys::blockdev::open_for_write`, which refuses the
//! system disk, mounted or busy devices, read-only devices and anything the plan does not
//! name; [`engine::wipe_device`] writes and verifies it; [`run_wipes`] does all devices in
//! parallel, one worker thread each, with progress on one channel.

pub mod buf;
pub mod engine;
pub mod io;
pub mod pattern;
pub mod plan;
pub mod report;
pub mod sample;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;

pub use engine::{Tuning, WipeJob, verify_device, wipe_device};
pub use io::{BlockIo, FakeDevice};
pub use plan::{Method, PassPattern, ValidatedPlan, VerifySpec, WipePlan};
use report::{DeviceWipe, Level, Outcome, Verification, WipeError};

use crate::sys::blockdev::{WriteGuard, open_for_write};

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
    /// Device path as in the report.
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

/// Events of all workers, on one channel (for the TUI and the CLI's progress line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WipeEvent {
    Progress(Progress),
    /// The device is done; its [`DeviceWipe`] is in the result of [`run_wipes`].
    Finished {
        device: String,
        outcome: Outcome,
    },
}

/// Current UTC time as RFC 3339 with milliseconds ("2026-11-26T10:00:00.123Z").
pub fn now_rfc3339() -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
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

/// A device that could not even be opened: a failed entry that says why (never a pass).
pub fn refused(job: WipeJob, err: &dyn std::error::Error) -> DeviceWipe {
    let now = now_rfc3339();
    DeviceWipe {
        device: job.identity,
        level: Level::Clear,
        technique: "overwrite".into(),
        method: job.method,
        passes: Vec::new(),
        bytes_written: 0,
        started_at: now.clone(),
        finished_at: now,
        duration_ms: 0,
        write_rate_bps: 0,
        verification: Verification::not_run(),
        outcome: Outcome::Failed,
        errors: vec![WipeError {
            operation: "open".into(),
            lba: None,
            sectors: None,
            message: crate::error_chain(err),
        }],
    }
}

/// The library entry point for `reprise run`: opens every device of `jobs` through the write
/// guard (a refusal becomes a failed entry naming the reason), then wipes them in parallel.
/// `jobs` pairs each device path of `plan` with its job (see [`WipeJob::new`]).
pub fn run_wipes(
    plan: &ValidatedPlan,
    guard: &WriteGuard,
    jobs: Vec<(PathBuf, WipeJob)>,
    events: Sender<WipeEvent>,
    cancel: CancelToken,
) -> Vec<DeviceWipe> {
    let mut results: Vec<Option<DeviceWipe>> = Vec::new();
    let mut opened = Vec::new();
    let mut slots = Vec::new();
    for (path, job) in jobs {
        match open_for_write(plan, &path, guard) {
            Ok(dev) => {
                slots.push(results.len());
                results.push(None);
                opened.push((Box::new(dev) as Box<dyn BlockIo>, job));
            }
            Err(e) => {
                let _ = events.send(WipeEvent::Finished {
                    device: job.identity.dev_path.clone(),
                    outcome: Outcome::Failed,
                });
                results.push(Some(refused(job, &e)));
            }
        }
    }
    for (slot, r) in slots.into_iter().zip(run_devices(opened, events, cancel)) {
        results[slot] = Some(r);
    }
    results.into_iter().flatten().collect()
}
