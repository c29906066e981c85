//! The state of the operator's screen (The Elm Architecture's `Model`): the machine, the plan
//! and the operator's choices, the run's progress, the checks, the result — everything `view`
//! draws and `update` changes. Time is a value here (`now`, moved by ticks), so that `update`
//! stays pure and every screen can be rebuilt in a test.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cert::model::{ChecksRecord, CoolingCheck, MemoryCheck};
use crate::checks::cooling::CoolingSample;
use crate::checks::keyboard::{KeyboardState, Layout};
use crate::checks::screen::ScreenState;
use crate::flow::medium::NotReady;
use crate::flow::run::Run;
use crate::flow::storage::NoStorage;
use crate::flow::{self, Inspection, RunPlan, RunStatus, Settings};
use crate::model::{DiskId, Language, Level};
use crate::probe::model::{Disk, DiskHealth, ProbeReport};
use crate::sys::sensors::LiveSample;
use crate::verdict::{Policy, Verdict};
use crate::wipe::Progress;
use crate::wipe::report::{DeviceWipe, Outcome};

use super::qr::QrMatrix;
use super::rate::RateMeter;
use crate::deploy::{Failure, Install};
use crate::flow::deploy::{Due, Installing, ListedImage};

/// What stays the same for the whole session: the run's settings (resolved once, in
/// `flow::config`), and how the screen paces itself.
#[derive(Debug, Clone)]
pub struct Config {
    pub run: Arc<flow::Config>,
    /// `reprise demo`: a simulated laptop; `q` quits.
    pub demo: bool,
    /// How long the cooling check loads the CPU.
    pub cooling_ms: u64,
    /// How long each screen stays up in automatic mode before the next.
    pub auto_step: Duration,
    /// Tests only (`reprise demo`'s hidden `--panic-after-first-frame`): panic once the first
    /// screen is drawn, to show the terminal comes back from a panic too.
    pub panic_after_first_frame: bool,
}

impl Config {
    /// The screen of a run with `run`'s settings, paced as on a laptop.
    pub fn new(run: &flow::Config) -> Config {
        Config {
            run: Arc::new(run.clone()),
            demo: false,
            cooling_ms: crate::checks::cooling::DEFAULT_DURATION_MS,
            auto_step: Duration::from_secs(2),
            panic_after_first_frame: false,
        }
    }

    pub fn lang(&self) -> Language {
        self.run.language
    }

    /// Automatic mode (the boot entry or `--auto`): no keystroke, every screen still shown.
    pub fn auto(&self) -> bool {
        self.run.auto.is_some()
    }

    /// The keyboard map of the keyboard check.
    pub fn keymap(&self) -> Layout {
        self.run.keymap
    }

    /// The machine powers off after a run that sanitized everything.
    pub fn poweroff(&self) -> bool {
        self.run.poweroff != flow::config::PowerOff::No
    }

    /// Whether the run ends with the operator's choice (`--choice-file`: init acts on it).
    pub fn asks_end(&self) -> bool {
        self.run.choice_file.is_some()
    }

    /// The choices the end's dialog lists: power off, reboot, and the maintenance shell only
    /// when the boot says `reprise.shell=1` (else F12, on no button, reaches it).
    pub fn ending_choices(&self) -> Vec<crate::flow::end::Choice> {
        use crate::flow::end::Choice;
        let mut c = vec![Choice::PowerOff, Choice::Reboot];
        if self.run.shell {
            c.push(Choice::Shell);
        }
        c
    }

    /// How long the result (or a refusal) stays up in automatic mode before the agent ends.
    pub fn linger(&self) -> Duration {
        self.run.linger
    }

    /// Where certificates are kept (the data partition), for the operator.
    pub fn certificate_home(&self) -> PathBuf {
        self.run.data.certs()
    }

    /// The workshop server, when one is configured.
    pub fn server(&self) -> Option<&str> {
        self.run.server.as_ref().map(|s| s.url.as_str())
    }
}

/// The screens, in the order of a run; the checks open from the machine and wipe screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Identity, CPU, RAM, batteries, disks and the plan, the expected verdict.
    Machine,
    /// Which disks, Clear or Purge.
    Choose,
    /// The disks about to be destroyed, named; F10 then Enter.
    Confirm,
    /// One gauge per disk, the log, the live panel.
    Wipe,
    /// The family system being installed: the image, the disk, the step, a gauge.
    Install,
    /// The workshop server's images, for the operator to choose one (F9 on the result).
    Images,
    /// Verdict, reasons, actions, each disk's result, the certificate and its QR code.
    Result,
    Keyboard,
    Colours,
    Cooling,
    /// Nothing can go on: automatic mode has no home for the certificate, or the run failed.
    Error,
}

impl Screen {
    /// The name the transcript gives it ("reprise: screen machine").
    pub fn name(self) -> &'static str {
        match self {
            Screen::Machine => "machine",
            Screen::Choose => "choose",
            Screen::Confirm => "confirm",
            Screen::Wipe => "wipe",
            Screen::Install => "install",
            Screen::Images => "images",
            Screen::Result => "result",
            Screen::Keyboard => "keyboard",
            Screen::Colours => "colours",
            Screen::Cooling => "cooling",
            Screen::Error => "error",
        }
    }
}

/// A box over the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help,
    /// Leave without wiping (exit code 4).
    Quit,
    /// Stop the wipe: F10 then Enter; `armed` once F10 was pressed.
    Cancel {
        armed: bool,
    },
    /// Stop the install: F10 then Enter (a cancelled install is a failed one).
    CancelInstall {
        armed: bool,
    },
    /// The end of the run: what the machine does next (`Config::ending_choices`), the one
    /// under the cursor; Enter takes it (power off first, the default).
    End {
        selected: usize,
    },
}

/// How the session ended, for the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The operator left before anything was written.
    Declined,
    /// A run ended; its status gives the exit code.
    Finished(RunStatus),
    /// Automatic mode refused to start: nothing was written.
    NotReady(NotReady),
    /// No internal storage was found and nobody stated the laptop has none: nothing was written,
    /// no certificate signed.
    NoStorage(NoStorage),
    /// The run could not finish with a certificate.
    Failed(String),
}

/// Automatic mode's progress through the screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoState {
    /// Whether the run may write (`Run::ready`: in automatic mode, the certificate has a
    /// durable home).
    pub ready: Result<(), NotReady>,
    /// When the current screen appeared.
    pub since: Duration,
    /// The operator pressed Esc: the run now waits for keys.
    pub stopped: bool,
}

/// One disk being wiped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskProgress {
    pub id: DiskId,
    pub name: String,
    pub model: String,
    pub size: u64,
    pub last: Option<Progress>,
    pub finished: Option<Outcome>,
    /// When the transcript last had a line for it.
    pub logged_at: Option<Duration>,
}

/// The run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    NotStarted,
    Running {
        started: Duration,
        disks: Vec<DiskProgress>,
        cancelling: bool,
    },
    Done {
        disks: Vec<DiskProgress>,
        took: Duration,
    },
}

impl RunState {
    pub fn disks(&self) -> &[DiskProgress] {
        match self {
            RunState::NotStarted => &[],
            RunState::Running { disks, .. } | RunState::Done { disks, .. } => disks,
        }
    }
    pub fn is_running(&self) -> bool {
        matches!(self, RunState::Running { .. })
    }
}

/// What a finished run produced, as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    pub status: RunStatus,
    pub verdict: Verdict,
    /// Every disk's record (each one's result line asks `is_sanitized`).
    pub devices: Vec<DeviceWipe>,
    pub certificate: PathBuf,
    /// The certificate's digest once read back and verified, or why it does not verify.
    pub digest: Result<String, String>,
    pub requested_purge: bool,
    /// Disks that appeared while the run was under way (not sanitized).
    pub appeared: Vec<crate::model::DiskIdentity>,
    /// Whether the family system is installed next (`Run::install_due`).
    pub install: Due,
}

impl RunResult {
    /// What the screen shows of an executed run, and whether the install is due after it.
    pub fn of(e: &flow::run::Executed, install: Due) -> RunResult {
        RunResult {
            status: e.status(),
            verdict: e.verdict.clone(),
            devices: e.wipe.devices.clone(),
            certificate: e.certificate.clone(),
            digest: match &e.read_back {
                Ok(r) => Ok(r.digest.clone()),
                Err(why) => Err(why.clone()),
            },
            requested_purge: e.requested == Level::Purge,
            appeared: e.appeared.clone(),
            install,
        }
    }
}

/// The step of an install, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InstallStep {
    /// Choosing the disk, opening the image.
    Opening,
    /// Downloading (or reading the stick) and writing.
    Write,
    /// Reading the disk back against the image's SHA-256.
    ReadBack,
    /// Moving the GPT to the disk's end.
    Layout,
    /// Checking and growing the last filesystem.
    Filesystem,
}

/// An install under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallRun {
    pub started: Duration,
    pub target: Option<Installing>,
    pub step: InstallStep,
    pub bytes_done: u64,
    pub bytes_total: Option<u64>,
    /// The step's average rate as the engine measures it (shown until the meter has a window).
    pub engine_rate: u64,
    pub meter: RateMeter,
    /// Times the download resumed after a dropped connection.
    pub resumes: u32,
    pub cancelling: bool,
    /// Why it failed, once the step says it.
    pub failure: Option<Failure>,
    /// When the transcript last had a progress line.
    pub logged_at: Option<Duration>,
}

impl InstallRun {
    pub fn new(started: Duration) -> InstallRun {
        InstallRun {
            started,
            target: None,
            step: InstallStep::Opening,
            bytes_done: 0,
            bytes_total: None,
            engine_rate: 0,
            meter: RateMeter::default(),
            resumes: 0,
            cancelling: false,
            failure: None,
            logged_at: None,
        }
    }

    /// Bytes per second: over the meter's window, else the engine's average.
    pub fn rate_bps(&self) -> u64 {
        self.meter.rate_bps().unwrap_or(self.engine_rate)
    }

    /// Time left in this step.
    pub fn eta_ms(&self) -> Option<u64> {
        let total = self.bytes_total?;
        super::rate::eta_ms(self.bytes_done, total, self.rate_bps())
    }

    /// How far the step is, per mille (0 when the total is unknown).
    pub fn permille(&self) -> u32 {
        self.bytes_total
            .and_then(|t| (self.bytes_done.saturating_mul(1000)).checked_div(t))
            .map_or(0, |p| u32::try_from(p.min(1000)).unwrap_or(1000))
    }
}

/// The family system's install, as the screen follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallState {
    /// The run is not over yet.
    Idle,
    /// The result screen offers F9 (the server's list); `error`: why the last listing failed.
    Offered {
        error: Option<String>,
    },
    /// Asking the server for its list.
    Listing,
    /// The server's images, one under the cursor.
    Choosing {
        images: Vec<ListedImage>,
        cursor: usize,
    },
    Running(Box<InstallRun>),
    /// What the step did; `cancelled`: the operator (or a signal) stopped it; `failure`: why
    /// it failed, in a word the screen translates.
    Done {
        outcome: Install,
        cancelled: bool,
        failure: Option<Failure>,
    },
}

/// The cooling check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CoolingState {
    pub running: bool,
    pub started: Duration,
    pub samples: Vec<CoolingSample>,
    pub record: Option<CoolingCheck>,
}

/// The RAM test (runs with the wipe).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RamState {
    pub running: bool,
    pub done: u64,
    pub total: u64,
    pub errors: u64,
    pub record: Option<MemoryCheck>,
}

/// A line of the log pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub at: Duration,
    pub text: String,
    pub bad: bool,
}

/// The whole state.
#[derive(Debug, Clone)]
pub struct Model {
    pub cfg: Config,
    pub now: Duration,
    pub screen: Screen,
    /// Where a check goes back to.
    pub back: Screen,
    pub overlay: Option<Overlay>,
    pub probe: ProbeReport,
    pub health: BTreeMap<DiskId, DiskHealth>,
    pub policy: Policy,
    pub settings: Settings,
    /// What the drives said they can do (firmware erases, hidden areas, frozen): the plan's
    /// technique for each disk comes from it.
    pub inspection: Inspection,
    /// The machine is suspending to unfreeze drives (`Effect::Unfreeze`), not back yet.
    pub unfreezing: bool,
    /// Eligible disks the operator left out.
    pub excluded: BTreeSet<DiskId>,
    pub plan: Result<RunPlan, String>,
    pub expected: Option<Verdict>,
    /// Row under the cursor on the choosing screen (index into `eligible()`).
    pub cursor: usize,
    /// When F10 armed the confirmation.
    pub armed_at: Option<Duration>,
    /// A one-line hint ("press F10 first").
    pub notice: Option<String>,
    pub auto: AutoState,
    pub run: RunState,
    pub log: VecDeque<LogLine>,
    pub live: Option<LiveSample>,
    /// The checks finished so far, as the certificate will record them.
    pub checks: ChecksRecord,
    pub keyboard: Option<KeyboardState>,
    pub colours: ScreenState,
    pub cooling: CoolingState,
    pub ram: RamState,
    pub result: Option<RunResult>,
    /// The family system's install after the run.
    pub install: InstallState,
    pub fatal: Option<String>,
    /// How the session ends, once set: the runtime then leaves.
    pub exit: Option<Exit>,
    /// How the session will end once its last screen (result, refusal) has been seen.
    pub pending_exit: Option<Exit>,
    /// Leave as soon as the run is over (the demo's `q` during a wipe).
    pub quit_after_run: bool,
    /// What the operator chose the machine does next (the end's dialog).
    pub choice: Option<crate::flow::end::Choice>,
    /// Demo: the device each stand-in file replaces, by disk id.
    pub stands_for: BTreeMap<DiskId, String>,
    /// Run the RAM test while the disks are wiped (F5 on the first screen turns it off).
    pub ram_test: bool,
    /// Where the certificate will live (the result screen says it; memory is said as lost).
    pub home: flow::medium::Home,
    /// Whether the run found storage of the laptop's own (`Run::storage`): a refusal is the
    /// first thing the operator sees, and F7 states the laptop has no disk.
    pub storage: Result<(), NoStorage>,
}

/// How long F10 keeps the confirmation armed.
pub const ARMED_FOR: Duration = Duration::from_secs(30);
/// Lines kept in the log pane.
pub const LOG_LINES: usize = 200;

impl Model {
    /// The first screen of a session over `run`'s machine and plan.
    pub fn new(cfg: Config, run: &Run) -> Model {
        let mut m = Model {
            now: Duration::ZERO,
            screen: Screen::Machine,
            back: Screen::Machine,
            overlay: None,
            probe: run.probe.clone(),
            health: BTreeMap::new(),
            policy: run.policy.clone(),
            settings: run.config.sanitize.clone(),
            inspection: run.inspection.clone(),
            unfreezing: false,
            excluded: BTreeSet::new(),
            plan: Err(String::new()),
            expected: None,
            cursor: 0,
            armed_at: None,
            notice: None,
            auto: AutoState {
                ready: Ok(()),
                since: Duration::ZERO,
                stopped: false,
            },
            run: RunState::NotStarted,
            log: VecDeque::new(),
            live: None,
            checks: ChecksRecord::default(),
            keyboard: None,
            colours: ScreenState::default(),
            cooling: CoolingState::default(),
            ram: RamState::default(),
            result: None,
            install: InstallState::Idle,
            fatal: None,
            exit: None,
            pending_exit: None,
            quit_after_run: false,
            choice: None,
            stands_for: run.stands_for(),
            ram_test: cfg.run.ram_test,
            home: run.home(),
            storage: run.storage(),
            cfg,
        };
        m.replan();
        m
    }

    /// The same session, knowing whether the run may write (`Run::ready`): a refusal is the
    /// first thing the operator sees.
    pub fn ready(mut self, ready: Result<(), NotReady>) -> Model {
        self.auto.ready = ready;
        self
    }

    /// The same session, planned with what the drives said (`flow::inspect`).
    pub fn with_inspection(mut self, inspection: Inspection) -> Model {
        self.inspection = inspection;
        self.replan();
        self
    }

    /// Rebuilds the plan from the operator's choices, and the verdict it heads for.
    pub fn replan(&mut self) {
        self.plan = flow::plan_for(
            &self.probe,
            &self.inspection,
            &self.settings,
            &self.excluded,
        )
        .map_err(|e| crate::model::error_chain(&e));
        self.expected = self.plan.as_ref().ok().map(|p| {
            flow::expect::expected_verdict(&self.probe, p, &self.health, &self.checks, &self.policy)
        });
    }

    /// The disks a run may write (not protected, not read-only, not empty), in probe order.
    pub fn eligible(&self) -> Vec<&Disk> {
        let all = flow::plan(&self.probe, &self.settings);
        let skipped: Vec<&DiskId> = all
            .as_ref()
            .map(|p| p.skipped.iter().map(|s| &s.disk.id).collect())
            .unwrap_or_default();
        self.probe
            .disks
            .iter()
            .filter(|d| !skipped.contains(&&d.id))
            .collect()
    }

    /// How many planned drives are frozen while a suspend-and-resume would let them be purged,
    /// when this machine can suspend (so the screen offers it); 0 otherwise.
    pub fn frozen_to_unfreeze(&self) -> usize {
        if self.unfreezing || !matches!(self.inspection.can_suspend, Some(Ok(()))) {
            return 0;
        }
        self.plan.as_ref().map_or(0, RunPlan::frozen)
    }

    /// Whether the operator asked for Purge.
    pub fn purge_requested(&self) -> bool {
        self.settings.level == Level::Purge
    }

    /// Whether the confirmation is armed now.
    pub fn armed(&self) -> bool {
        self.armed_at
            .is_some_and(|at| self.now.saturating_sub(at) < ARMED_FOR)
    }

    /// Whether automatic mode drives the screens now.
    pub fn automatic(&self) -> bool {
        self.cfg.auto() && !self.auto.stopped
    }

    /// Whether the result screen offers the server's images now (F9): the run allows it
    /// (`Due::Offered`: interactive, a server, no image named), and no install is under way
    /// or verified.
    pub fn offers_install(&self) -> bool {
        self.result
            .as_ref()
            .is_some_and(|r| r.install == Due::Offered)
            && !self.cfg.auto()
            && match &self.install {
                InstallState::Offered { .. } => true,
                InstallState::Done { outcome, .. } => !matches!(outcome, Install::Installed(_)),
                _ => false,
            }
    }

    /// Whether an install is under way.
    pub fn installing(&self) -> bool {
        matches!(self.install, InstallState::Running(_))
    }

    /// Adds a line to the log pane.
    pub fn log(&mut self, text: impl Into<String>, bad: bool) {
        self.log.push_back(LogLine {
            at: self.now,
            text: text.into(),
            bad,
        });
        while self.log.len() > LOG_LINES {
            self.log.pop_front();
        }
    }

    /// The QR code of the certificate once verified: its page on the workshop server when the
    /// station has one, else its digest (`reprise_cert::render::qr_target`, as on paper).
    pub fn qr(&self) -> Option<QrMatrix> {
        let digest = self.result.as_ref()?.digest.as_ref().ok()?;
        QrMatrix::encode(&reprise_cert::render::qr_target(digest, self.cfg.server()))
    }
}
