//! Firmware erases: a disk's plan ([`DiskStrategy`]) carried out through the drive's own
//! commands, on a device the write guard opened (`wipe::guard::open_firmware`), with the
//! canary check, the optional zero pass, hidden areas, and the fallbacks.
//!
//! One call ([`sanitize`]) handles a group of disks sharing one command: the namespaces of an
//! NVMe controller that a Sanitize (or a controller-wide Format) erases together; any other disk
//! is a group of one. In order:
//!
//! 1. ATA: a drive left locked with Reprise's temporary password is unlocked
//!    ([`password`]); a Host Protected Area is removed and a Device Configuration Overlay
//!    restored when the plan says so, the kernel told to re-read the capacity, and both states
//!    read again ([`hidden`]).
//! 2. A canary is put in every block of each disk's NIST §4.7 sample: fresh random bytes,
//!    written through the guarded descriptor, flushed, read back ([`check`]).
//! 3. The techniques are tried in the plan's order: one the drive refuses before changing
//!    anything ("not started": frozen, unsupported) gives way to the next, and the plan's last
//!    fallback is an overwrite (Clear). Once a technique started, its outcome is final.
//! 4. The sample is read again and judged (no block may still hold its canary, and each must
//!    hold the technique's documented content, if any); with `--then-zero`, every sector is
//!    then overwritten with zeros and read back by the overwrite engine.
//!
//! The record says exactly what the drive reported; `DeviceWipe::check_consistency` decides
//! what it proves (a sanitize seen in progress, or whose status changed across the command,
//! then reported successful; a format or security erase that completed; and a canary check
//! that passed).

pub mod ata;
pub mod check;
pub mod hidden;
pub mod nvme;
pub mod password;
pub mod scsi;

use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use reprise_cert::plan::Explanation;

use super::engine::{WipeJob, as_if_written, wipe_device};
use super::plan::{ValidatedDevice, ValidatedPlan};
use super::report::{
    Completion, DeviceWipe, FirmwareRecord, HiddenAreas, Outcome, Verification, WipeError,
};
use super::strategy::DiskStrategy;
use super::technique::{Family, Technique};
use super::{CancelToken, Phase, Progress, WipeEvent};
use crate::model::{DiskId, ErrorKind, Level};
use crate::sys::blockdev::BlockIo;
use crate::sys::clock::{Stopwatch, now_rfc3339};
use crate::sys::passthrough::{Passthrough, PassthroughError};
use crate::sys::random;

/// Time, as the firmware path waits for a drive: real ([`RealPace`]), or virtual in tests (a
/// simulated sanitize that takes an hour then runs in no time, timeouts included). The one real
/// clock is in `sys::clock`; the names stay here for the callers that wait on a drive.
pub use crate::sys::clock::{Pace, RealPace};

/// Knobs of the firmware path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareTuning {
    /// Between two status reads of a sanitize.
    pub poll: Duration,
    /// Longest wait for one operation; `None`: from the drive's estimate, or a default per
    /// technique.
    pub timeout: Option<Duration>,
}

impl Default for FirmwareTuning {
    fn default() -> Self {
        FirmwareTuning {
            poll: Duration::from_secs(1),
            timeout: None,
        }
    }
}

/// One disk's firmware job: its overwrite job (for the fallback and the zero pass) and plan.
#[derive(Debug, Clone)]
pub struct FirmwareJob {
    pub job: WipeJob,
    pub strategy: DiskStrategy,
    pub tuning: FirmwareTuning,
}

impl FirmwareJob {
    /// The job of a validated plan's device that has a strategy.
    pub fn new(plan: &ValidatedPlan, device: &ValidatedDevice) -> Option<FirmwareJob> {
        Some(FirmwareJob {
            job: WipeJob::new(plan, device),
            strategy: device.strategy()?.clone(),
            tuning: FirmwareTuning::default(),
        })
    }
}

/// Where a firmware operation reports, and when it stops.
pub struct Env<'a> {
    pub events: &'a Sender<WipeEvent>,
    pub cancel: &'a CancelToken,
    pub pace: &'a mut dyn Pace,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("cancelled", &self.cancel.is_cancelled())
            .field("elapsed", &self.pace.elapsed())
            .finish_non_exhaustive()
    }
}

/// An overwrite that carries a plan (Clear, or a Purge that fell back before opening): the
/// overwrite engine, then the plan's explanations and hidden areas on the record — and sectors
/// a DCO still hides make it `failed`, since they were not written.
pub fn overwrite_planned(
    io: &mut dyn BlockIo,
    job: WipeJob,
    strategy: &DiskStrategy,
    events: &Sender<WipeEvent>,
    cancel: &CancelToken,
) -> DeviceWipe {
    let mut w = run_engine(io, job, events, cancel);
    w.explanations = strategy.explanations.clone();
    w.hidden_areas = strategy.hidden.as_ref().map(|h| HiddenAreas {
        hpa_sectors_before: h.hpa_sectors,
        hpa_sectors_after: h.hpa_sectors,
        dco_sectors_before: h.dco_sectors,
        dco_sectors_after: h.dco_sectors,
    });
    let left = w.hidden_areas.as_ref().map_or(0, HiddenAreas::hidden_after);
    if left > 0 {
        w.errors.push(hidden_error(&w.device.dev_path, left));
        if matches!(w.outcome, Outcome::Passed | Outcome::Unverified) {
            w.outcome = Outcome::Failed;
        }
    }
    let _ = events.send(WipeEvent::Finished {
        disk: w.device.id.clone(),
        device: w.device.dev_path.clone(),
        outcome: w.outcome,
    });
    w
}

/// One disk of a group: its device and job.
pub struct Member<'a> {
    pub io: &'a mut dyn BlockIo,
    pub job: FirmwareJob,
}

impl std::fmt::Debug for Member<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("io", &self.io.path())
            .field("job", &self.job)
            .finish()
    }
}

/// How one technique went.
#[derive(Debug)]
pub enum Attempt {
    /// The drive accepted and reported an end (success or not: the record says).
    Done(FirmwareRecord),
    /// Refused before anything changed; the next technique may run.
    NotStarted(String),
    /// Started and failed (or timed out, or the drive vanished, or the operator stopped).
    Failed(FirmwareRecord, WipeError),
}

/// A record under construction while a command runs.
pub(crate) struct Recorder {
    pub technique: Technique,
    pub command: String,
    pub namespaces: Vec<u32>,
    pub started_at: String,
    pub t0: Duration,
    pub polls: u64,
    pub observed_in_progress: bool,
    pub estimated: Option<Duration>,
    /// A sanitize's status just before its command, and as the drive reported the end
    /// ([`FirmwareRecord::end_is_ours`]).
    pub status_before: Option<String>,
    pub status_after: Option<String>,
}

impl Recorder {
    pub fn new(technique: Technique, command: String, pace: &dyn Pace) -> Recorder {
        Recorder {
            technique,
            command,
            namespaces: Vec::new(),
            started_at: now_rfc3339(),
            t0: pace.elapsed(),
            polls: 0,
            observed_in_progress: false,
            estimated: None,
            status_before: None,
            status_after: None,
        }
    }

    pub fn finish(
        &self,
        pace: &dyn Pace,
        completion: Completion,
        reported_success: bool,
        status: Option<String>,
    ) -> FirmwareRecord {
        FirmwareRecord {
            technique: self.technique.name(),
            command: self.command.clone(),
            namespaces: self.namespaces.clone(),
            observed_in_progress: self.observed_in_progress,
            reported_success,
            completion,
            status,
            started_at: self.started_at.clone(),
            duration_ms: (pace.elapsed().saturating_sub(self.t0)).as_millis() as u64,
            estimated_ms: self.estimated.map(|d| d.as_millis() as u64),
            polls: self.polls,
            security_disabled_after: None,
            status_before: self.status_before.clone(),
            status_after: self.status_after.clone(),
        }
    }

    /// A failed record with its error.
    pub fn failed(
        &self,
        pace: &dyn Pace,
        completion: Completion,
        dev: &str,
        why: String,
    ) -> Attempt {
        let kind = match completion {
            Completion::DeviceGone => ErrorKind::DeviceGone,
            Completion::Cancelled => ErrorKind::Cancelled,
            _ => ErrorKind::Firmware,
        };
        Attempt::Failed(
            self.finish(pace, completion, false, Some(why.clone())),
            WipeError {
                operation: kind,
                lba: None,
                sectors: None,
                message: format!("{dev}: {}: {why}", self.command),
            },
        )
    }

    /// The command that starts the technique did not go through: a path that cannot carry it
    /// (`Unsupported`) changed nothing, so the next technique may run; any other error fails the
    /// attempt, as [`classify`] says.
    pub fn start_failed(&self, pace: &dyn Pace, dev: &str, e: &PassthroughError) -> Attempt {
        if let PassthroughError::Unsupported { .. } = e {
            return Attempt::NotStarted(crate::model::error_chain(e));
        }
        let (completion, why) = classify(e);
        self.failed(pace, completion, dev, why)
    }

    /// How long to wait at most: the tuning's, else twice the drive's estimate plus ten
    /// minutes, else `default`.
    pub fn deadline(&self, tuning: &FirmwareTuning, default: Duration) -> Duration {
        tuning.timeout.unwrap_or(match self.estimated {
            Some(e) => e * 2 + Duration::from_secs(600),
            None => default,
        })
    }
}

/// How long a sanitize of `kind` may run when neither the tuning nor the drive says.
pub(crate) fn sanitize_deadline(kind: reprise_cert::plan::SanitizeKind) -> Duration {
    use reprise_cert::plan::SanitizeKind;
    Duration::from_secs(match kind {
        SanitizeKind::Crypto => 600,
        SanitizeKind::Block => 2 * 3600,
        SanitizeKind::Overwrite => 24 * 3600,
    })
}

/// What one status read of a running firmware operation says.
pub(crate) enum Status {
    /// It runs; its progress in 65536ths when the drive reports it.
    Running(Option<u16>),
    /// Nothing of ours yet (not started, or an earlier operation's state): read again.
    Waiting,
    /// It completed without error; the sanitize status that says so, as compared with the one
    /// read before the command (`None` where the protocol keeps none).
    Completed(Option<String>),
    /// It ended otherwise: the attempt as it stands.
    Ended(Box<Attempt>),
}

impl Status {
    pub(crate) fn ended(attempt: Attempt) -> Status {
        Status::Ended(Box::new(attempt))
    }
}

/// Polls an operation the drive runs by itself until it ends, `read` reading its status once
/// (with the record so far, to decide). The same for every sanitize: the operator may stop
/// waiting (the drive goes on: the disk must then be checked again); three transport errors in
/// a row, or the device gone, fail it; so does the deadline; progress goes to the screen as
/// the drive reports it. `who`: "drive" or "controller", as the operator is told.
pub(crate) fn poll_until_end(
    rec: &mut Recorder,
    env: &mut Env<'_>,
    dev: &str,
    targets: &Targets,
    (deadline, interval): (Duration, Duration),
    who: &str,
    mut read: impl FnMut(&Recorder, &dyn Pace) -> Result<Status, PassthroughError>,
) -> Attempt {
    let mut errors_in_a_row = 0u32;
    loop {
        if env.cancel.is_cancelled() {
            return rec.failed(
                env.pace,
                Completion::Cancelled,
                dev,
                format!(
                    "the operator stopped waiting; the {who} goes on sanitizing by itself (it cannot be stopped), then the disk must be checked again"
                ),
            );
        }
        rec.polls += 1;
        let elapsed = |pace: &dyn Pace| pace.elapsed().saturating_sub(rec.t0);
        match read(rec, env.pace) {
            Ok(Status::Running(progress)) => {
                errors_in_a_row = 0;
                rec.observed_in_progress = true;
                let at = elapsed(env.pace);
                erase_progress(env.events, targets, progress, at, rec.estimated);
            }
            Ok(Status::Waiting) => errors_in_a_row = 0,
            Ok(Status::Completed(status)) => {
                rec.status_after = status;
                let at = elapsed(env.pace);
                erase_progress(env.events, targets, Some(0xFFFF), at, rec.estimated);
                return Attempt::Done(rec.finish(env.pace, Completion::Completed, true, None));
            }
            Ok(Status::Ended(attempt)) => return *attempt,
            Err(e) => {
                let (completion, why) = classify(&e);
                errors_in_a_row += 1;
                if completion == Completion::DeviceGone || errors_in_a_row >= 3 {
                    return rec.failed(env.pace, completion, dev, why);
                }
            }
        }
        if elapsed(env.pace) > deadline {
            return rec.failed(
                env.pace,
                Completion::Timeout,
                dev,
                format!("no end reported within {} s", deadline.as_secs()),
            );
        }
        env.pace.sleep(interval);
    }
}

/// The disks a group's progress is about: id, path, size.
pub(crate) type Targets = Vec<(DiskId, String, u64)>;

/// Sends the progress of a running firmware operation (`Phase::Erase`): `fraction` of 65536
/// when the drive reports it, else the share of its estimate elapsed.
pub(crate) fn erase_progress(
    events: &Sender<WipeEvent>,
    targets: &Targets,
    fraction: Option<u16>,
    elapsed: Duration,
    estimate: Option<Duration>,
) {
    let est_ms = estimate.map(|e| e.as_millis() as u64);
    let el_ms = elapsed.as_millis() as u64;
    let frac = match (fraction, est_ms) {
        (Some(f), _) => u64::from(f),
        (None, Some(e)) if e > 0 => (el_ms.min(e) * 65535 / e).min(65535),
        _ => 0,
    };
    for (disk, device, size) in targets {
        let done = (u128::from(*size) * u128::from(frac) / 65536) as u64;
        let _ = events.send(WipeEvent::Progress(Progress {
            disk: disk.clone(),
            device: device.clone(),
            pass: 1,
            passes: 1,
            phase: Phase::Erase,
            bytes_done: done,
            bytes_total: *size,
            rate_bps: 0,
            eta_ms: est_ms.map(|e| e.saturating_sub(el_ms)),
        }));
    }
}

/// A firmware command's error in words, with its codes, and how it ended.
pub(crate) fn classify(e: &PassthroughError) -> (Completion, String) {
    let why = crate::model::error_chain(e);
    let completion = match e {
        PassthroughError::Gone { .. } => Completion::DeviceGone,
        // SG_IO's host status 03h (DID_TIME_OUT) / driver TIMEOUT; an NVMe ioctl timeout.
        PassthroughError::Transport { host: 0x03, .. } => Completion::Timeout,
        PassthroughError::Transport { driver, .. } if driver & 0x0f == 0x06 => Completion::Timeout,
        PassthroughError::Os {
            source: nix::Error::ETIMEDOUT | nix::Error::EINTR,
            ..
        } => Completion::Timeout,
        _ => Completion::Failed,
    };
    (completion, why)
}

/// Runs the overwrite engine on `io` with its progress forwarded to `events` and its own
/// end-of-device event withheld (this module says how the disk ended).
fn run_engine(
    io: &mut dyn BlockIo,
    job: WipeJob,
    events: &Sender<WipeEvent>,
    cancel: &CancelToken,
) -> DeviceWipe {
    let (tx, rx) = channel::<WipeEvent>();
    let fwd = events.clone();
    let forwarder = std::thread::spawn(move || {
        for e in rx {
            if matches!(e, WipeEvent::Progress(_)) {
                let _ = fwd.send(e);
            }
        }
    });
    let w = wipe_device(io, job, &tx, cancel);
    // The last sender gone, the forwarder ends.
    drop(tx);
    let _ = forwarder.join();
    w
}

/// What one member is doing while its group runs.
struct State {
    explanations: Vec<Explanation>,
    hidden: Option<HiddenAreas>,
    errors: Vec<WipeError>,
    canaries: Option<check::Canaries>,
    /// Set when this disk already failed (or was cancelled) before the technique.
    stopped: Option<Outcome>,
}

/// Sanitizes a group of disks that share `drive` (see the module documentation). Returns one
/// record per member, in order.
pub fn sanitize(
    drive: &mut dyn Passthrough,
    mut members: Vec<Member<'_>>,
    mut env: Env<'_>,
) -> Vec<DeviceWipe> {
    let started_at = now_rfc3339();
    let t0 = Stopwatch::start();
    let Some(first) = members.first() else {
        return Vec::new();
    };
    let strategy = first.job.strategy.clone();
    let mut states: Vec<State> = members
        .iter()
        .map(|m| State {
            explanations: m.job.strategy.explanations.clone(),
            hidden: None,
            errors: Vec::new(),
            canaries: None,
            stopped: None,
        })
        .collect();

    // 1. ATA: a drive locked by an interrupted run, and hidden areas.
    if let (Some(a), Some(m)) = (&strategy.facts.ata, members.first_mut()) {
        let dev = m.job.job.identity().dev_path.clone();
        let st = &mut states[0];
        if a.locked
            && let Err(e) = ata::unlock_ours(drive, a, &dev)
        {
            st.errors.push(e);
            st.stopped = Some(Outcome::Failed);
        }
        if st.stopped.is_none()
            && let Some(h) = &strategy.hidden
        {
            // Nothing to change: the areas as measured are the areas after.
            match hidden::apply(drive, m.io, h, &dev) {
                Ok(areas) => st.hidden = Some(areas),
                Err(b) => {
                    let (areas, e) = *b;
                    st.hidden = Some(areas);
                    st.errors.push(e);
                    st.stopped = Some(Outcome::Failed);
                }
            }
        }
    }

    // 2. The canaries, when a firmware technique will run.
    if strategy.technique.is_firmware() {
        for (m, st) in members.iter_mut().zip(states.iter_mut()) {
            if st.stopped.is_some() {
                continue;
            }
            let seed = m.job.job.seed.unwrap_or_else(random::seed);
            let id = m.job.job.identity();
            let rep = check::Reporter {
                events: env.events,
                disk: id.id.clone(),
                device: id.dev_path.clone(),
                pass: 1,
                passes: 1,
            };
            match check::plant(&mut *m.io, m.job.job.verify(), seed, env.cancel, &rep) {
                Ok(c) => st.canaries = c,
                Err(check::Stopped::Cancelled) => st.stopped = Some(Outcome::Cancelled),
                Err(check::Stopped::Gone(e)) => {
                    st.errors.push(WipeError {
                        operation: ErrorKind::DeviceGone,
                        lba: None,
                        sectors: None,
                        message: format!(
                            "{}: putting the canaries in place before the erase: {e}",
                            id.dev_path
                        ),
                    });
                    st.stopped = Some(Outcome::Failed);
                }
                Err(check::Stopped::Failed { kind, why }) => {
                    st.errors.push(WipeError {
                        operation: kind,
                        lba: None,
                        sectors: None,
                        message: format!("{}: {why}; the erase was not started", id.dev_path),
                    });
                    st.stopped = Some(Outcome::Failed);
                }
            }
        }
    }

    // 3. The techniques, in order.
    let mut attempt: Option<(Technique, Attempt)> = None;
    let mut overwrite = false;
    let all_stopped = |states: &[State]| states.iter().all(|s| s.stopped.is_some());
    if !all_stopped(&states) {
        let targets: Targets = members
            .iter()
            .map(|m| {
                let id = m.job.job.identity();
                (id.id.clone(), id.dev_path.clone(), m.io.len())
            })
            .collect();
        for t in std::iter::once(strategy.technique).chain(strategy.fallbacks.iter().copied()) {
            if t == Technique::Overwrite {
                overwrite = true;
                break;
            }
            if env.cancel.is_cancelled() {
                for st in states.iter_mut() {
                    st.stopped.get_or_insert(Outcome::Cancelled);
                }
                break;
            }
            let a = run_one(t, drive, &members, &targets, &strategy, &mut env);
            match a {
                Attempt::NotStarted(why) => {
                    for st in states.iter_mut() {
                        st.explanations.push(Explanation::TechniqueRefused {
                            technique: t.name(),
                            why: why.clone(),
                        });
                    }
                    attempt = Some((t, Attempt::NotStarted(why)));
                }
                a => {
                    attempt = Some((t, a));
                    break;
                }
            }
        }
    }

    // 4. Each member's record.
    let mut out = Vec::with_capacity(members.len());
    for (m, st) in members.iter_mut().zip(states) {
        let w = finish_member(
            m,
            st,
            &strategy,
            attempt.as_ref(),
            overwrite,
            env.events,
            env.cancel,
            &started_at,
            t0,
        );
        let _ = env.events.send(WipeEvent::Finished {
            disk: w.device.id.clone(),
            device: w.device.dev_path.clone(),
            outcome: w.outcome,
        });
        out.push(w);
    }
    out
}

/// Runs one firmware technique on the group.
fn run_one(
    t: Technique,
    drive: &mut dyn Passthrough,
    members: &[Member<'_>],
    targets: &Targets,
    strategy: &DiskStrategy,
    env: &mut Env<'_>,
) -> Attempt {
    let tuning = &members[0].job.tuning;
    let dev = members[0].job.job.identity().dev_path.clone();
    match t {
        Technique::NvmeSanitize(kind) => {
            nvme::sanitize(drive, kind, strategy, targets, tuning, env, &dev)
        }
        Technique::NvmeFormat(erase) => {
            nvme::format(drive, erase, strategy, targets, tuning, env, &dev)
        }
        Technique::AtaSanitize(kind) => ata::sanitize(drive, kind, targets, tuning, env, &dev),
        Technique::AtaSecurityErase { enhanced } => {
            ata::security_erase(drive, enhanced, strategy, targets, tuning, env, &dev)
        }
        Technique::ScsiSanitize(kind) => scsi::sanitize(drive, kind, targets, tuning, env, &dev),
        Technique::Overwrite => Attempt::NotStarted("not a firmware technique".into()),
    }
}

/// The record of one member once its group is done.
#[allow(clippy::too_many_arguments)]
fn finish_member(
    m: &mut Member<'_>,
    mut st: State,
    strategy: &DiskStrategy,
    attempt: Option<&(Technique, Attempt)>,
    overwrite: bool,
    events: &Sender<WipeEvent>,
    cancel: &CancelToken,
    started_at: &str,
    t0: Stopwatch,
) -> DeviceWipe {
    let job = &m.job.job;
    let mut identity = job.identity().clone();
    identity.size_bytes = m.io.len();
    identity.logical_sector_size = m.io.sector_size();
    let dev = identity.dev_path.clone();
    let hidden_left = st
        .hidden
        .as_ref()
        .map(HiddenAreas::hidden_after)
        .filter(|n| *n > 0);
    let base = |st: &State, identity: &crate::model::DiskIdentity, outcome: Outcome| DeviceWipe {
        device: identity.clone(),
        level: Level::Clear,
        technique: "overwrite".into(),
        method: job.method().to_owned(),
        passes: Vec::new(),
        bytes_written: 0,
        started_at: started_at.to_owned(),
        finished_at: now_rfc3339(),
        duration_ms: t0.elapsed_ms(),
        write_rate_bps: 0,
        verification: Verification::not_run(),
        outcome,
        errors: st.errors.clone(),
        explanations: st.explanations.clone(),
        firmware: None,
        firmware_check: None,
        hidden_areas: st.hidden.clone(),
    };
    if let Some(outcome) = st.stopped {
        if outcome == Outcome::Cancelled {
            st.errors.push(cancelled(&dev));
        }
        return base(&st, &identity, outcome);
    }
    // The overwrite: the plan's Clear, or its last fallback.
    if overwrite {
        let mut w = run_engine(m.io, job.clone(), events, cancel);
        w.explanations = st.explanations;
        w.hidden_areas = st.hidden;
        let mut errors = st.errors;
        errors.append(&mut w.errors);
        w.errors = errors;
        if let Some(n) = hidden_left {
            w.errors.push(hidden_error(&dev, n));
            if matches!(w.outcome, Outcome::Passed | Outcome::Unverified) {
                w.outcome = Outcome::Failed;
            }
        }
        w.started_at = started_at.to_owned();
        w.duration_ms = t0.elapsed_ms();
        return w;
    }
    let Some((t, attempt)) = attempt else {
        // Cancelled before any technique.
        st.errors.push(cancelled(&dev));
        return base(&st, &identity, Outcome::Cancelled);
    };
    let t = *t;
    let media = identity.media_type;
    let mut w = base(&st, &identity, Outcome::Failed);
    w.technique = t.name();
    w.level = t.level(media).unwrap_or(Level::Clear);
    w.method = "none".into();
    let record = match attempt {
        Attempt::NotStarted(why) => {
            // The last technique refused and no overwrite to fall back on.
            w.errors.push(WipeError {
                operation: ErrorKind::Firmware,
                lba: None,
                sectors: None,
                message: format!("{dev}: {t} refused by the drive: {why}"),
            });
            return w;
        }
        Attempt::Failed(rec, e) => {
            w.firmware = Some(rec.clone());
            w.errors.push(e.clone());
            w.outcome = if rec.completion == Completion::Cancelled {
                Outcome::Cancelled
            } else {
                Outcome::Failed
            };
            return w;
        }
        Attempt::Done(rec) => rec.clone(),
    };
    w.firmware = Some(record.clone());
    // What the drive reported must be enough on its own.
    let mut trusted = record.completion == Completion::Completed && record.reported_success;
    if trusted && t.runs_in_background() && !record.end_is_ours() {
        trusted = false;
        w.errors.push(WipeError {
            operation: ErrorKind::Firmware,
            lba: None,
            sectors: None,
            message: format!(
                "{dev}: the drive reported the sanitize done without ever reporting it in progress, and its sanitize status did not change across the command ({} before, {} after): an idle drive may report an earlier success, so this one is not trusted",
                record.status_before.as_deref().unwrap_or("not read"),
                record.status_after.as_deref().unwrap_or("not read"),
            ),
        });
    }
    if trusted
        && matches!(t, Technique::AtaSecurityErase { .. })
        && record.security_disabled_after != Some(true)
    {
        trusted = false;
        w.errors.push(WipeError {
            operation: ErrorKind::Firmware,
            lba: None,
            sectors: None,
            message: format!("{dev}: security is still enabled after the erase"),
        });
    }
    if !trusted && !w.errors.iter().any(|e| e.operation == ErrorKind::Firmware) {
        w.errors.push(WipeError {
            operation: ErrorKind::Firmware,
            lba: None,
            sectors: None,
            message: format!(
                "{dev}: {}: the drive did not report success ({})",
                record.command,
                record
                    .status
                    .as_deref()
                    .unwrap_or(record.completion.as_str())
            ),
        });
    }
    if let Some(n) = hidden_left {
        trusted = false;
        w.errors.push(hidden_error(&dev, n));
    }
    if !trusted {
        w.outcome = Outcome::Failed;
        return w;
    }
    // The check after.
    let rule = t.post_erase(strategy.dealloc());
    let rep = check::Reporter {
        events,
        disk: identity.id.clone(),
        device: dev.clone(),
        pass: 1,
        passes: 1,
    };
    match st
        .canaries
        .as_ref()
        .map(|b| check::after(&*m.io, b, rule, cancel, &rep))
    {
        None => {
            w.outcome = Outcome::Unverified;
        }
        Some(Err(check::Stopped::Cancelled)) => {
            w.errors.push(cancelled(&dev));
            w.outcome = Outcome::Cancelled;
            return w;
        }
        Some(Err(check::Stopped::Gone(e))) => {
            w.errors.push(WipeError {
                operation: ErrorKind::DeviceGone,
                lba: None,
                sectors: None,
                message: format!("{dev}: reading the sample after the erase: {e}"),
            });
            w.outcome = Outcome::Failed;
            return w;
        }
        Some(Err(check::Stopped::Failed { kind, why })) => {
            w.errors.push(WipeError {
                operation: kind,
                lba: None,
                sectors: None,
                message: format!("{dev}: reading the sample after the erase: {why}"),
            });
            w.outcome = Outcome::Failed;
            return w;
        }
        Some(Ok(c)) => {
            w.verification = check::as_verification(&c);
            if !c.passed {
                let rule_words = c.canary_rule().map_or(c.rule.as_str(), |r| r.as_str());
                let missing = canaries_missing(&st)
                    .map(|(lba, why)| format!("; LBA {lba}: {why}"))
                    .unwrap_or_default();
                let first = c.first_bad_lba.unwrap_or(0);
                w.errors.push(WipeError {
                    operation: ErrorKind::Verify,
                    lba: c.first_bad_lba,
                    sectors: Some(w.verification.mismatches),
                    message: format!(
                        "{dev}: after {t}, {} of {} sampled block(s) still held their canary, {} held other content than the technique documents, {} proved nothing (no canary in place, or unreadable after) (rule {rule_words}); first at LBA {first}{missing}",
                        c.unchanged_blocks,
                        c.blocks_checked,
                        c.wrong_content_blocks.unwrap_or(0),
                        c.unreadable_blocks,
                    ),
                });
                w.outcome = Outcome::Failed;
            } else {
                w.outcome = Outcome::Passed;
            }
            w.firmware_check = Some(c);
        }
    }
    // The zero pass, after a firmware erase that held.
    if strategy.then_zero && w.outcome != Outcome::Failed {
        let z = run_engine(m.io, job.zero_pass(), events, cancel);
        then_zeroed(&mut w, z);
    }
    w.finished_at = now_rfc3339();
    w.duration_ms = t0.elapsed_ms();
    w
}

/// A firmware erase's record `w` once its zero pass `z` (`--then-zero`) ran: the pass's
/// writes and verification, and an outcome that holds only where both did.
fn then_zeroed(w: &mut DeviceWipe, z: DeviceWipe) {
    w.method = z.method;
    w.passes = z.passes;
    w.bytes_written = z.bytes_written;
    w.write_rate_bps = z.write_rate_bps;
    w.verification = z.verification;
    w.errors.extend(z.errors);
    w.outcome = match (w.outcome, z.outcome) {
        (_, Outcome::Cancelled) => Outcome::Cancelled,
        (_, Outcome::Failed) => Outcome::Failed,
        (Outcome::Passed, Outcome::Passed) => Outcome::Passed,
        _ => Outcome::Unverified,
    };
}

/// The record [`sanitize`] returns for `job` when its plan's first technique succeeds: the
/// drive reports success as [`FirmwareRecord::end_is_ours`] and the security rules ask, the
/// canaries are all in place and all gone ([`check::as_if_erased`]), and the zero pass, when
/// planned, writes and reads back every byte ([`as_if_written`]); a plan whose technique is an
/// overwrite gets the overwrite's record with the plan's explanations, as
/// [`overwrite_planned`] gives it. A what-if, for the forecast of the first screen
/// (`wipe::as_if_sanitized`, called by `flow::expect` only): never written, signed or shown as
/// a result. Built here, beside the record it stands for, so that the one predicate
/// (`DeviceWipe::is_sanitized`) judges it as it judges a real one — a test runs every
/// technique the planner can choose through both. Hidden areas are left out: a success leaves
/// none, and the verdict does not read them.
pub fn as_if_sanitized(job: &FirmwareJob) -> DeviceWipe {
    let strategy = &job.strategy;
    let t = strategy.technique;
    if !t.is_firmware() {
        let mut w = as_if_written(&job.job);
        w.explanations = strategy.explanations.clone();
        return w;
    }
    let id = job.job.identity();
    let check = check::as_if_erased(
        id.size_bytes,
        id.logical_sector_size,
        job.job.verify(),
        t.post_erase(strategy.dealloc()),
    );
    // As `finish_member` decides: no canaries (no verification asked) is unverified.
    let outcome = match &check {
        None => Outcome::Unverified,
        Some(c) if c.passed => Outcome::Passed,
        Some(_) => Outcome::Failed,
    };
    let mut w = DeviceWipe {
        device: id.clone(),
        level: t.level(id.media_type).unwrap_or(Level::Clear),
        technique: t.name(),
        method: "none".into(),
        passes: Vec::new(),
        bytes_written: 0,
        started_at: String::new(),
        finished_at: String::new(),
        duration_ms: 0,
        write_rate_bps: 0,
        verification: check
            .as_ref()
            .map_or_else(Verification::not_run, check::as_verification),
        outcome,
        errors: Vec::new(),
        explanations: strategy.explanations.clone(),
        firmware: Some(as_if_done(t, strategy)),
        firmware_check: check,
        hidden_areas: None,
    };
    if strategy.then_zero && w.outcome != Outcome::Failed {
        then_zeroed(&mut w, as_if_written(&job.job.zero_pass()));
    }
    w
}

/// What the drive answers when `t` succeeds, as `nvme`, `ata` and `scsi` record it: the
/// command completed and reported success, a sanitize was seen in progress (so its end is this
/// command's), a security erase left security disabled; an NVMe command names the namespaces
/// it erased.
fn as_if_done(t: Technique, strategy: &DiskStrategy) -> FirmwareRecord {
    let background = t.runs_in_background();
    let namespaces = match (t.family(), &strategy.facts.nvme) {
        (Family::Nvme, Some(n)) => strategy
            .controller
            .as_ref()
            .map_or_else(|| vec![n.nsid], |c| c.namespaces.clone()),
        _ => Vec::new(),
    };
    FirmwareRecord {
        technique: t.name(),
        command: format!("{t} (what-if: not sent)"),
        namespaces,
        observed_in_progress: background,
        reported_success: true,
        completion: Completion::Completed,
        status: None,
        started_at: String::new(),
        duration_ms: 0,
        estimated_ms: None,
        polls: u64::from(background),
        security_disabled_after: matches!(t, Technique::AtaSecurityErase { .. }).then_some(true),
        status_before: None,
        status_after: None,
    }
}

/// The first block of a member without its canary, and why.
fn canaries_missing(st: &State) -> Option<(u64, String)> {
    st.canaries.as_ref().and_then(|c| c.first_missing.clone())
}

fn cancelled(dev: &str) -> WipeError {
    WipeError {
        operation: ErrorKind::Cancelled,
        lba: None,
        sectors: None,
        message: format!("{dev}: cancelled by the operator before the end"),
    }
}

fn hidden_error(dev: &str, sectors: u64) -> WipeError {
    WipeError {
        operation: ErrorKind::HiddenArea,
        lba: None,
        sectors: Some(sectors),
        message: format!(
            "{dev}: {sectors} sector(s) stay hidden (HPA/DCO): they were not sanitized"
        ),
    }
}
