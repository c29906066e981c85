//! The runtime around `update` and `view`: the terminal (raw mode, restored on every way out,
//! panics included), the one channel every `Msg` arrives on, and the threads that feed it —
//! keys, ticks, sensors, signals, the run's steps (`flow::run`: execute, unfreeze), the
//! cooling load. The screen's thread only ever waits on that channel: a stuck disk, a slow
//! serial console or a busy sensor can never freeze it.

use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossterm::event::{self, Event};
use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};

use crate::cert::model::ChecksRecord;
use crate::checks::cooling::{self, CoolingSample};
use crate::deploy::Install;
use crate::flow::RunPlan;
use crate::flow::deploy::{Due, ListedImage, Wanted};
use crate::flow::run::{Executed, Hooks, RamEvent, RamTest, Run, Station};
use crate::model::text;
use crate::sys::SysRoot;
use crate::sys::clock::{Stopwatch, sleep};
use crate::sys::sensors::Sensors;
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

/// The run the screen drives, and where its transcript goes.
pub struct Session {
    /// The run's state and steps (`flow::run`).
    pub run: Arc<Run>,
    pub station: Station,
    /// Where the transcript goes (the serial console in the live image: stderr).
    pub transcript: Box<dyn Write + Send>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("station", &self.station)
            .finish_non_exhaustive()
    }
}

/// How a session ended.
#[derive(Debug, Clone)]
pub struct Ending {
    pub exit: Exit,
    /// What the run produced, when it ran (for the steps that follow the screen).
    pub executed: Option<Executed>,
    /// Every transcript line, for the run's log file.
    pub transcript: Vec<String>,
    /// What the operator chose the machine does next (the end's dialog), if asked.
    pub choice: Option<crate::flow::end::Choice>,
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
/// console usable (then the binary's own hook prints the message and aborts: `main.rs`).
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
    spawn_ticks(tx.clone(), Stopwatch::start());
    spawn_sensors(tx.clone(), session.run.config.root.clone());
    let mut rt = Runtime::new(session, tx.clone());
    let first = update::start(model);
    rt.apply(first);
    let panic_test = model.cfg.panic_after_first_frame;
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
    let executed = rt.executed.lock().unwrap_or_else(|e| e.into_inner()).take();
    Ok(Ending {
        exit: model.exit.clone().unwrap_or(Exit::Declined),
        executed,
        transcript: rt.finish(),
        choice: model.choice,
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

fn spawn_ticks(tx: Sender<Msg>, start: Stopwatch) {
    std::thread::spawn(move || {
        while tx.send(Msg::Tick(start.elapsed())).is_ok() {
            sleep(Duration::from_millis(250));
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
            sleep(Duration::from_secs(1));
        }
    });
}

/// Carries out the effects.
struct Runtime {
    session: Session,
    tx: Sender<Msg>,
    cancel: CancelToken,
    /// The install's own: cancelling it leaves the wipe's alone.
    install_cancel: CancelToken,
    store: Store,
    /// What the run produced, for the steps after the screen.
    executed: Arc<Mutex<Option<Executed>>>,
    started: bool,
    cooling_stop: Arc<AtomicBool>,
    transcript_tx: Sender<String>,
    transcript: Vec<String>,
    /// Lines waiting for the next frame to be drawn.
    pending: Vec<String>,
    transcript_thread: Option<JoinHandle<()>>,
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
            session,
            tx,
            cancel: CancelToken::new(),
            install_cancel: CancelToken::new(),
            store: Arc::default(),
            executed: Arc::default(),
            started: false,
            cooling_stop: Arc::new(AtomicBool::new(false)),
            transcript_tx: ttx,
            transcript: Vec::new(),
            pending: Vec::new(),
            transcript_thread: Some(transcript_thread),
        }
    }

    /// Every transcript line passes here: escaped on one line ([`text::escape`]), so that what
    /// the laptop told us (a disk's model, an SMBIOS string) reaches the serial console and the
    /// run's log as visible escapes, never as control sequences or extra lines.
    fn line(&mut self, line: String) {
        self.pending.push(text::escape(&line).into_owned());
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
                Effect::StartRun { plan, ram_test } => self.start_run(*plan, ram_test),
                Effect::Cancel => self.cancel.cancel(),
                Effect::StartInstall { image } => self.start_install(image.map(|i| *i)),
                Effect::CancelInstall => self.install_cancel.cancel(),
                Effect::ListImages => self.list_images(),
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
    /// freezes it), then asks the drives again — the run's one suspend path.
    fn unfreeze(&mut self) {
        let (tx, run) = (self.tx.clone(), Arc::clone(&self.session.run));
        std::thread::spawn(move || {
            let r = crate::flow::run::unfreeze(
                &run.config.root,
                &run.probe,
                crate::flow::run::UNFREEZE_SLEEP,
            )
            .map(|(inspection, resumed)| (inspection, resumed.asleep))
            .map_err(|e| crate::model::error_chain(&e));
            let _ = tx.send(Msg::Unfrozen(Box::new(r)));
        });
    }

    fn start_cooling(&mut self, duration_ms: u64) {
        let stop = Arc::new(AtomicBool::new(false));
        self.cooling_stop = Arc::clone(&stop);
        let (tx, root) = (self.tx.clone(), self.session.run.config.root.clone());
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
            let start = Stopwatch::start();
            let mut elapsed = 0;
            while elapsed < duration_ms && !stop.load(Ordering::Relaxed) {
                sleep(Duration::from_millis(1000.min(duration_ms - elapsed)));
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

    /// The run's execute step on its own thread (the wipe workers on theirs), its wipe events
    /// and the RAM test's progress forwarded to the screen.
    fn start_run(&mut self, plan: RunPlan, ram_test: bool) {
        if std::mem::replace(&mut self.started, true) {
            return;
        }
        let tx = self.tx.clone();
        let cancel = self.cancel.clone();
        let store = Arc::clone(&self.store);
        let run = Arc::clone(&self.session.run);
        let station = self.session.station.clone();
        let slot = Arc::clone(&self.executed);
        std::thread::spawn(move || {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                execute(&run, &station, &plan, ram_test, &tx, cancel, store)
            }))
            .unwrap_or_else(|_| Err("internal error: a worker stopped unexpectedly".to_owned()));
            let shown = result.map(|mut e| {
                let due = run.install_due(&e);
                // Not due: the step's record is already known (the console after the screen
                // says it, and never runs the step again).
                if let Due::No(i) = &due {
                    e.install = Some(i.clone());
                }
                let shown = RunResult::of(&e, due);
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                shown
            });
            let _ = tx.send(Msg::RunDone(Box::new(shown)));
        });
    }
}

impl Runtime {
    /// The install step on its own thread, after the run: `Run::deploy_image` with the image
    /// the run was told, or `chosen` from the server's list; its events go to the screen, its
    /// outcome into the run's `Executed` (so that `Run::finish` powers off only after a verified
    /// install, and nothing after the screen runs it again).
    fn start_install(&mut self, chosen: Option<ListedImage>) {
        self.install_cancel = CancelToken::new();
        let (tx, cancel) = (self.tx.clone(), self.install_cancel.clone());
        let (run, station) = (Arc::clone(&self.session.run), self.session.station.clone());
        let slot = Arc::clone(&self.executed);
        std::thread::spawn(move || {
            let executed = slot.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let outcome = match executed {
                None => Install::Failed("the run produced no certificate".into()),
                Some(e) => {
                    let wanted = match (chosen, run.install_due(&e)) {
                        (Some(image), _) => Ok(Wanted::Listed(image)),
                        (None, Due::Configured(name)) => Ok(Wanted::Named(name)),
                        (None, Due::Offered) => {
                            Err(Install::NotDue("no image chosen on the screen".into()))
                        }
                        (None, Due::No(i)) => Err(i),
                    };
                    let events_tx = tx.clone();
                    let outcome = match wanted {
                        Err(i) => i,
                        Ok(wanted) => std::panic::catch_unwind(AssertUnwindSafe(|| {
                            run.deploy_image(
                                &station,
                                &e,
                                wanted,
                                &mut |ev| {
                                    let _ = events_tx.send(Msg::Install(ev));
                                },
                                &cancel,
                            )
                        }))
                        .unwrap_or_else(|_| {
                            Install::Failed(
                                "internal error: the install stopped unexpectedly".into(),
                            )
                        }),
                    };
                    if let Some(e) = slot.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                        e.install = Some(outcome.clone());
                    }
                    outcome
                }
            };
            let _ = tx.send(Msg::InstallDone(Box::new(outcome)));
        });
    }

    /// The workshop server's images, fetched on their own thread (a slow server never freezes
    /// the screen).
    fn list_images(&mut self) {
        let (tx, run) = (self.tx.clone(), Arc::clone(&self.session.run));
        std::thread::spawn(move || {
            let _ = tx.send(Msg::Images(run.server_images()));
        });
    }
}

/// `Run::execute` with the screen's hooks: wipe events and the RAM test's progress become
/// messages, and the checks are taken from the screen once the wipes end — a check the
/// operator is in the middle of is waited for, so the certificate records it.
fn execute(
    run: &Run,
    station: &Station,
    plan: &RunPlan,
    ram_test: bool,
    tx: &Sender<Msg>,
    cancel: CancelToken,
    store: Store,
) -> Result<Executed, String> {
    let (events_tx, events_rx) = mpsc::channel::<WipeEvent>();
    let forward = tx.clone();
    std::thread::spawn(move || {
        for e in events_rx {
            if forward.send(Msg::Wipe(e)).is_err() {
                break;
            }
        }
    });
    let ram = ram_test.then(|| {
        let tx = tx.clone();
        RamTest {
            on_event: Box::new(move |e| {
                let _ = tx.send(match e {
                    RamEvent::Progress {
                        done,
                        total,
                        errors,
                    } => Msg::RamProgress {
                        done,
                        total,
                        errors,
                    },
                    RamEvent::Done(m) => Msg::RamDone(m),
                });
            }),
        }
    });
    let checks = Box::new(move || {
        let (lock, cv) = &*store;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let guard = cv
            .wait_while(guard, |s| s.busy)
            .unwrap_or_else(|e| e.into_inner());
        guard.record.clone()
    });
    let hooks = Hooks {
        events: events_tx,
        cancel,
        ram,
        checks,
    };
    run.execute(station, plan, hooks)
        .map_err(|e| crate::model::error_chain(&e))
}
