//! The runtime around `update` and `view`: the terminal (raw mode, restored on every way out,
//! panics included), the one channel every `Msg` arrives on, and the threads that feed it —
//! keys, ticks, sensors, signals, the wipe workers (through `flow::execute_with`), the checks.
//! The screen's thread only ever waits on that channel: a stuck disk, a slow serial console or a
//! busy sensor can never freeze it.

use std::collections::BTreeMap;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event};
use crossterm::{cursor, execute, terminal};
use ed25519_dalek::SigningKey;
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};

use crate::cert::model::{ChecksRecord, MemoryCheck};
use crate::checks::cooling::{self, CoolingSample};
use crate::checks::ram;
use crate::flow::demo::StandIn;
use crate::flow::{self, DataDir, RunContext, RunExtras, RunPlan};
use crate::model::{DiskId, Language};
use crate::sys::SysRoot;
use crate::sys::sensors::Sensors;
use crate::verdict::Policy;
use crate::wipe::{CancelToken, WipeEvent};

use super::model::{Exit, Model, RunResult};
use super::msg::{Effect, Msg};
use super::{update, view};

/// Why the screen could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("cannot set up the terminal")]
    Terminal(#[source] std::io::Error),
    #[error("cannot draw on the terminal")]
    Draw(#[source] std::io::Error),
}

/// The demo's stand-ins and pace.
#[derive(Debug, Clone)]
pub struct DemoRun {
    pub dir: PathBuf,
    pub stand_ins: Vec<StandIn>,
    /// Each stand-in's throughput, bytes per second.
    pub pace_bps: u64,
}

/// Everything the run needs besides the model.
pub struct Session {
    /// The machine as probed (the demo's: with its stand-ins).
    pub probe: crate::probe::model::ProbeReport,
    pub root: SysRoot,
    pub data: DataDir,
    pub key: SigningKey,
    pub policy: Policy,
    pub organisation: Option<String>,
    pub site: String,
    pub operator: String,
    pub language: Language,
    pub image_digest: Option<String>,
    pub server: Option<String>,
    pub demo: Option<DemoRun>,
    /// Where the transcript goes (the serial console in the live image: stderr).
    pub transcript: Box<dyn Write + Send>,
    /// Tests only (`reprise demo`'s hidden `--panic-after-first-frame`): panic once the first
    /// screen is drawn, to show the terminal comes back from a panic too.
    pub panic_after_first_frame: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("root", &self.root)
            .field("data", &self.data)
            .field("demo", &self.demo)
            .finish_non_exhaustive()
    }
}

/// How a session ended.
#[derive(Debug, Clone)]
pub struct Ending {
    pub exit: Exit,
    pub result: Option<RunResult>,
    /// Every transcript line, for the run's log file.
    pub transcript: Vec<String>,
}

/// Puts the terminal back as it was: cooked mode, main screen, cursor shown. Safe to call
/// twice, and from the panic hook.
pub fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        crossterm::style::ResetColor,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
}

/// Restores the terminal when dropped: every return and `?` of the session passes here.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A panic restores the terminal before anything is printed, so the message is readable and the
/// console usable (with `panic = "abort"` the hook still runs before the abort).
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

/// The checks finished so far, and whether one is on screen; the run reads them once the
/// wipes end.
#[derive(Default)]
struct ChecksStore {
    record: ChecksRecord,
    busy: bool,
}

type Store = Arc<(Mutex<ChecksStore>, Condvar)>;

/// Runs the screen on this terminal until the session ends.
pub fn run(model: Model, session: Session) -> Result<Ending, TuiError> {
    let (tx, rx) = mpsc::channel();
    // Signals first: threads started afterwards inherit the blocked mask. Watched for the time
    // of the screen only: what follows it (the upload of a network boot) watches them itself.
    let sig = tx.clone();
    let watch = crate::sys::signals::watch_phase(move |s| {
        let _ = sig.send(Msg::Signal(s.to_string()));
    });
    let ending = screen(model, session, tx, rx);
    if let Some(w) = watch {
        w.stop();
    }
    ending
}

fn screen(
    mut model: Model,
    session: Session,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
) -> Result<Ending, TuiError> {
    install_panic_hook();
    terminal::enable_raw_mode().map_err(TuiError::Terminal)?;
    let _guard = TerminalGuard;
    execute!(
        std::io::stdout(),
        terminal::EnterAlternateScreen,
        cursor::Hide
    )
    .map_err(TuiError::Terminal)?;
    let mut term =
        Terminal::new(CrosstermBackend::new(std::io::stdout())).map_err(TuiError::Terminal)?;
    term.clear().map_err(TuiError::Draw)?;
    spawn_input(tx.clone());
    drive(&mut model, session, &mut term, &tx, rx)
}

/// The loop, on any backend (tests drive it with ratatui's `TestBackend`).
pub fn drive<B: Backend>(
    model: &mut Model,
    session: Session,
    term: &mut Terminal<B>,
    tx: &Sender<Msg>,
    rx: Receiver<Msg>,
) -> Result<Ending, TuiError>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let start = Instant::now();
    spawn_ticks(tx.clone(), start);
    spawn_sensors(tx.clone(), session.root.clone());
    let mut rt = Runtime::new(session, tx.clone());
    let first = update::start(model);
    rt.apply(first);
    let panic_test = rt
        .session
        .as_ref()
        .is_some_and(|s| s.panic_after_first_frame);
    loop {
        term.draw(|f| view::view(model, f))
            .map_err(|e| TuiError::Draw(std::io::Error::other(e)))?;
        assert!(!panic_test, "--panic-after-first-frame: a panic on purpose");
        // Lines wait for the frame they speak of ("reprise: screen machine" once it is drawn).
        rt.flush();
        let Ok(msg) = rx.recv() else { break };
        let mut batch = vec![msg];
        batch.extend(rx.try_iter().take(256));
        for msg in batch {
            let fx = update::update(model, msg);
            rt.apply(fx);
        }
        if model.exit.is_some() {
            break;
        }
    }
    term.draw(|f| view::view(model, f))
        .map_err(|e| TuiError::Draw(std::io::Error::other(e)))?;
    rt.flush();
    Ok(Ending {
        exit: model.exit.clone().unwrap_or(Exit::Declined),
        result: model.result.clone(),
        transcript: rt.finish(),
    })
}

fn spawn_input(tx: Sender<Msg>) {
    std::thread::spawn(move || {
        loop {
            let msg = match event::read() {
                Ok(Event::Key(k)) => match super::keys::Key::from_event(k) {
                    Some(k) => Msg::Key(k),
                    None => continue,
                },
                Ok(Event::Resize(..)) => Msg::Resize,
                Ok(_) => continue,
                // The terminal is gone (hung up): nothing more will come.
                Err(_) => break,
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    });
}

fn spawn_ticks(tx: Sender<Msg>, start: Instant) {
    std::thread::spawn(move || {
        while tx.send(Msg::Tick(start.elapsed())).is_ok() {
            std::thread::sleep(Duration::from_millis(250));
        }
    });
}

fn spawn_sensors(tx: Sender<Msg>, root: SysRoot) {
    std::thread::spawn(move || {
        let mut sensors = Sensors::new(&root);
        loop {
            if tx.send(Msg::Live(sensors.sample())).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
}

/// Carries out the effects.
struct Runtime {
    session: Option<Session>,
    tx: Sender<Msg>,
    cancel: CancelToken,
    store: Store,
    cooling_stop: Arc<AtomicBool>,
    transcript_tx: Sender<String>,
    transcript: Vec<String>,
    /// Lines waiting for the next frame to be drawn.
    pending: Vec<String>,
    transcript_thread: Option<JoinHandle<()>>,
    probe: crate::probe::model::ProbeReport,
    demo: Option<DemoRun>,
    root: SysRoot,
    data: DataDir,
    server: Option<String>,
}

impl Runtime {
    fn new(mut session: Session, tx: Sender<Msg>) -> Runtime {
        let (ttx, trx) = mpsc::channel::<String>();
        let mut out = std::mem::replace(&mut session.transcript, Box::new(std::io::sink()));
        // Its own thread: a slow serial console blocks this writer, never the screen.
        let transcript_thread = std::thread::spawn(move || {
            for line in trx {
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        });
        Runtime {
            probe: session.probe.clone(),
            root: session.root.clone(),
            data: session.data.clone(),
            server: session.server.clone(),
            demo: session.demo.clone(),
            session: Some(session),
            tx,
            cancel: CancelToken::new(),
            store: Arc::default(),
            cooling_stop: Arc::new(AtomicBool::new(false)),
            transcript_tx: ttx,
            transcript: Vec::new(),
            pending: Vec::new(),
            transcript_thread: Some(transcript_thread),
        }
    }

    fn line(&mut self, line: String) {
        self.pending.push(line);
    }

    /// Passes the waiting lines on to the transcript's writer.
    fn flush(&mut self) {
        for line in self.pending.drain(..) {
            let _ = self.transcript_tx.send(line.clone());
            self.transcript.push(line);
        }
    }

    /// The transcript so far; waits (briefly) for the writer to pass every line on.
    fn finish(mut self) -> Vec<String> {
        self.flush();
        drop(std::mem::replace(
            &mut self.transcript_tx,
            mpsc::channel().0,
        ));
        if let Some(t) = self.transcript_thread.take() {
            let _ = t.join();
        }
        self.transcript
    }

    fn apply(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Transcript(l) => self.line(l),
                Effect::CheckAutoReady => self.check_auto_ready(),
                Effect::StartRun { plan, ram_test } => self.start_run(*plan, ram_test),
                Effect::Cancel => self.cancel.cancel(),
                Effect::Checks { record, busy } => {
                    let (lock, cv) = &*self.store;
                    let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
                    s.record = *record;
                    s.busy = busy;
                    cv.notify_all();
                }
                Effect::StartCooling { duration_ms } => self.start_cooling(duration_ms),
                Effect::StopCooling => self.cooling_stop.store(true, Ordering::Relaxed),
                Effect::Unfreeze => self.unfreeze(),
                Effect::Quit => {
                    // A check left on screen must not hold the certificate back.
                    let (lock, cv) = &*self.store;
                    lock.lock().unwrap_or_else(|e| e.into_inner()).busy = false;
                    cv.notify_all();
                }
            }
        }
    }

    /// Suspends and resumes on its own thread (the screen keeps drawing until the kernel
    /// freezes it), then asks the drives again.
    fn unfreeze(&mut self) {
        let (tx, root, probe) = (self.tx.clone(), self.root.clone(), self.probe.clone());
        std::thread::spawn(move || {
            let r = flow::unfreeze(&root)
                .map(|r| (flow::inspect(&root, &probe), r.asleep))
                .map_err(|e| crate::model::error_chain(&e));
            let _ = tx.send(Msg::Unfrozen(Box::new(r)));
        });
    }

    fn check_auto_ready(&mut self) {
        let tx = self.tx.clone();
        let (data, server, demo) = (self.data.clone(), self.server.clone(), self.demo.clone());
        let probe = self.probe.clone();
        std::thread::spawn(move || {
            let r = match &demo {
                // The demo's certificate goes to its own folder: its safety is that every
                // target is a stand-in file (checked again when the run starts).
                Some(_) => Ok(()),
                None => flow::check_auto_ready(&probe, &data, server.as_deref()),
            };
            let _ = tx.send(Msg::AutoReady(r));
        });
    }

    fn start_cooling(&mut self, duration_ms: u64) {
        let stop = Arc::new(AtomicBool::new(false));
        self.cooling_stop = Arc::clone(&stop);
        let (tx, root) = (self.tx.clone(), self.root.clone());
        std::thread::spawn(move || {
            let threads = std::thread::available_parallelism().map_or(1, usize::from);
            let mut sensors = Sensors::new(&root);
            let read = |sensors: &mut Sensors, at_ms: u64| {
                let s = sensors.sample();
                let t = s.cpu_temperature().cloned();
                CoolingSample {
                    at_ms,
                    sensor: t.as_ref().map(|t| t.label.clone()),
                    millicelsius: t.map(|t| t.millicelsius),
                    khz: s.cpu_khz,
                    throttle_events: s.throttle_events,
                    load_permille: s.cpu_load_permille,
                }
            };
            let mut samples = vec![read(&mut sensors, 0)];
            let _ = tx.send(Msg::CoolingSample(samples[0].clone()));
            let load_stop = Arc::new(AtomicBool::new(false));
            let load = cooling::start_load(threads, &load_stop);
            let start = Instant::now();
            let mut elapsed = 0;
            while elapsed < duration_ms && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1000.min(duration_ms - elapsed)));
                elapsed = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
                let s = read(&mut sensors, elapsed);
                let _ = tx.send(Msg::CoolingSample(s.clone()));
                samples.push(s);
            }
            load_stop.store(true, Ordering::Relaxed);
            for t in load {
                let _ = t.join();
            }
            let threads = u32::try_from(threads).unwrap_or(u32::MAX);
            let _ = tx.send(Msg::CoolingDone(cooling::evaluate(
                &samples, threads, elapsed,
            )));
        });
    }

    fn start_run(&mut self, plan: RunPlan, ram_test: bool) {
        let Some(session) = self.session.take() else {
            return;
        };
        let tx = self.tx.clone();
        let cancel = self.cancel.clone();
        let store = Arc::clone(&self.store);
        let probe = self.probe.clone();
        std::thread::spawn(move || {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                run_and_read_back(session, probe, plan, ram_test, tx.clone(), cancel, store)
            }))
            .unwrap_or_else(|_| Err("internal error: a worker stopped unexpectedly".to_owned()));
            let _ = tx.send(Msg::RunDone(Box::new(result)));
        });
    }
}

/// The RAM test's view of the machine.
struct RamHost {
    sensors: Sensors,
    root: SysRoot,
    tx: Sender<Msg>,
    last: Instant,
}

impl ram::Host for RamHost {
    fn available(&mut self) -> Option<u64> {
        self.sensors.memory_available()
    }
    fn physical(&mut self, addr: usize) -> Option<u64> {
        if self.root.is_host() {
            crate::sys::sensors::physical_address(&self.root, addr)
        } else {
            None
        }
    }
    fn progress(&mut self, done: u64, total: u64, errors: u64) {
        if self.last.elapsed() >= Duration::from_millis(500) || done >= total {
            self.last = Instant::now();
            let _ = self.tx.send(Msg::RamProgress {
                done,
                total,
                errors,
            });
        }
    }
}

/// The run on its own thread: wipes (workers on theirs), RAM test alongside, checks, verdict,
/// certificate; then the certificate read back and verified, as an auditor will.
fn run_and_read_back(
    session: Session,
    probe: crate::probe::model::ProbeReport,
    plan: RunPlan,
    ram_test: bool,
    tx: Sender<Msg>,
    cancel: CancelToken,
    store: Store,
) -> Result<RunResult, String> {
    if let Some(demo) = &session.demo {
        flow::demo::check_targets(&plan, &demo.stand_ins, &demo.dir)
            .map_err(|e| crate::model::error_chain(&e))?;
    }
    let (events_tx, events_rx) = mpsc::channel::<WipeEvent>();
    let forward = tx.clone();
    std::thread::spawn(move || {
        for e in events_rx {
            if forward.send(Msg::Wipe(e)).is_err() {
                break;
            }
        }
    });
    let ram_stop = Arc::new(AtomicBool::new(false));
    let ram = ram_test.then(|| {
        let stop = Arc::clone(&ram_stop);
        let mut host = RamHost {
            sensors: Sensors::new(&session.root),
            root: session.root.clone(),
            tx: tx.clone(),
            last: Instant::now(),
        };
        let total = probe.memory.total_usable_bytes.known().copied();
        let config = if session.demo.is_some() {
            // The demo tests a little memory, not most of the host's.
            ram::Config {
                max_bytes: 256 << 20,
                chunk_bytes: 16 << 20,
                ..ram::Config::most_of(total)
            }
        } else {
            ram::Config::most_of(total)
        };
        std::thread::spawn(move || ram::run(config, &stop, total, &mut host))
    });
    let checks_tx = tx.clone();
    let checks = Box::new(move || {
        ram_stop.store(true, Ordering::Relaxed);
        let memory: Option<MemoryCheck> = ram.and_then(|h| h.join().ok());
        if let Some(m) = &memory {
            let _ = checks_tx.send(Msg::RamDone(m.clone()));
        }
        let (lock, cv) = &*store;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        // A check on screen (the operator mid-way through the keyboard) is waited for: the
        // certificate records it.
        let guard = cv
            .wait_while(guard, |s| s.busy)
            .unwrap_or_else(|e| e.into_inner());
        let mut record = guard.record.clone();
        if memory.is_some() {
            record.memory = memory;
        }
        record
    });
    let ctx = RunContext {
        root: &session.root,
        data: &session.data,
        key: &session.key,
        policy: session.policy.clone(),
        organisation: session.organisation.clone(),
        site: session.site.clone(),
        operator: session.operator.clone(),
        language: session.language,
        image_digest: session.image_digest.clone(),
    };
    let extras = RunExtras {
        checks,
        pace_bps: session.demo.as_ref().map(|d| d.pace_bps),
    };
    let outcome = flow::execute_with(&probe, &plan, ctx, events_tx, cancel, extras)
        .map_err(|e| crate::model::error_chain(&e))?;
    let digest = crate::sys::file::read(&outcome.certificate)
        .map_err(|e| crate::model::error_chain(&e))
        .and_then(|bytes| {
            crate::cert::envelope::verify(&bytes, Some(&session.key.verifying_key()))
                .map(|v| v.digest)
                .map_err(|e| crate::model::error_chain(&e))
        });
    Ok(RunResult {
        status: outcome.status(),
        verdict: outcome.verdict,
        devices: outcome.wipe.devices,
        certificate: outcome.certificate,
        digest,
        requested_purge: plan.mode == flow::Mode::Purge,
    })
}

/// The device each demo stand-in replaces, by disk id (for the operator).
pub fn stands_for(
    probe: &crate::probe::model::ProbeReport,
    stand_ins: &[StandIn],
) -> BTreeMap<DiskId, String> {
    probe
        .disks
        .iter()
        .filter_map(|d| {
            let s = stand_ins
                .iter()
                .find(|s| s.file.display().to_string() == d.dev_path)?;
            Some((d.id.clone(), s.stands_for.clone()))
        })
        .collect()
}
