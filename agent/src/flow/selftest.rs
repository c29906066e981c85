//! `--self-test short`: the drives' own short self-tests on the disks a run is about to wipe,
//! run before anything is written, all drives at once, and recorded in the probe report (so the
//! verdict and the certificate carry them).
//!
//! A disk whose drive fails its own test is not overwritten: the plan drops it (the write would
//! cost hours on a dying drive and could not be trusted), and the verdict sends it to
//! destruction. A test that cannot run or is interrupted records nothing: it is not a failure
//! of the drive, and the operator is told why.

use std::time::Duration;

use crate::model::DiskId;
use crate::probe::Drives;
use crate::probe::model::{ProbeReport, SelfTestResult};
use crate::probe::selftest::{self, Poll, Running};
use crate::sys::SysRoot;
use crate::sys::clock::Pace;
use crate::wipe::CancelToken;

/// How often drives are asked for their progress: a short test takes one to two minutes, and
/// each poll is one SMART READ DATA or one log page.
pub const POLL_EVERY: Duration = Duration::from_secs(2);

/// What happened on one disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfTestOutcome {
    pub disk: DiskId,
    pub dev_path: String,
    /// The result, or why there is none (unsupported, interrupted, the drive did not answer).
    pub result: Result<SelfTestResult, String>,
}

/// Progress of the running tests, for the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelfTestEvent {
    Started {
        dev_path: String,
    },
    Progress {
        dev_path: String,
        percent: Option<u8>,
    },
    Finished(SelfTestOutcome),
}

/// The operator cancelled: every test still running was aborted.
#[derive(Debug, thiserror::Error)]
#[error("self-tests cancelled by the operator; the running tests were aborted")]
pub struct Cancelled;

/// Runs the short self-test of every disk of `disks` (by id) at once and records each result
/// in `probe`. Returns one outcome per disk, in the order given.
pub fn run_short(
    root: &SysRoot,
    drives: &Drives,
    probe: &mut ProbeReport,
    disks: &[DiskId],
    pacer: &mut dyn Pace,
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(SelfTestEvent),
) -> Result<Vec<SelfTestOutcome>, Cancelled> {
    struct Slot {
        index: usize,
        name: String,
        dev_path: String,
        transport: crate::model::Transport,
        running: Option<(Running, Duration)>,
        outcome: Option<Result<SelfTestResult, String>>,
    }
    let mut slots: Vec<Slot> = disks
        .iter()
        .filter_map(|id| {
            let index = probe.disks.iter().position(|d| &d.id == id)?;
            let d = &probe.disks[index];
            Some(Slot {
                index,
                name: d.name.clone(),
                dev_path: d.dev_path.clone(),
                transport: d.transport,
                running: None,
                outcome: None,
            })
        })
        .collect();

    for s in &mut slots {
        let started = drives
            .with(root, &s.name, s.transport, |pt| {
                selftest::start(pt, s.transport)
            })
            .and_then(|r| r.map_err(|e| e.to_string()));
        match started {
            Ok(r) => {
                s.running = Some((r, pacer.elapsed()));
                on_event(SelfTestEvent::Started {
                    dev_path: s.dev_path.clone(),
                });
            }
            Err(why) => {
                on_event(finished(probe, s.index, Err(why.clone())));
                s.outcome = Some(Err(why));
            }
        }
    }

    while slots.iter().any(|s| s.running.is_some()) {
        if cancel.is_cancelled() {
            for s in &mut slots {
                if let Some((r, _)) = s.running.take() {
                    let _ = drives.with(root, &s.name, s.transport, |pt| r.abort(pt));
                }
            }
            return Err(Cancelled);
        }
        pacer.sleep(POLL_EVERY);
        for s in &mut slots {
            let Some((r, since)) = &s.running else {
                continue;
            };
            let elapsed = pacer.elapsed().saturating_sub(*since);
            let polled = drives
                .with(root, &s.name, s.transport, |pt| r.poll(pt, elapsed))
                .and_then(|p| p.map_err(|e| e.to_string()));
            match polled {
                Ok(Poll::Running(percent)) => on_event(SelfTestEvent::Progress {
                    dev_path: s.dev_path.clone(),
                    percent,
                }),
                Ok(Poll::Done(result)) => {
                    s.running = None;
                    on_event(finished(probe, s.index, Ok(result.clone())));
                    s.outcome = Some(Ok(result));
                }
                Err(why) => {
                    s.running = None;
                    on_event(finished(probe, s.index, Err(why.clone())));
                    s.outcome = Some(Err(why));
                }
            }
        }
    }

    let mut outcomes = Vec::new();
    for s in slots {
        let result = s
            .outcome
            .unwrap_or_else(|| Err("the self-test was not started".into()));
        if let Ok(r) = &result {
            probe.disks[s.index].health.self_test = Some(r.clone());
        }
        if let SelfTestEvent::Finished(o) = finished(probe, s.index, result) {
            outcomes.push(o);
        }
    }
    Ok(outcomes)
}

fn finished(
    probe: &ProbeReport,
    index: usize,
    result: Result<SelfTestResult, String>,
) -> SelfTestEvent {
    let d = &probe.disks[index];
    SelfTestEvent::Finished(SelfTestOutcome {
        disk: d.id.clone(),
        dev_path: d.dev_path.clone(),
        result,
    })
}
