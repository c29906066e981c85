//! What reaches the screen (`Msg`: keys, ticks, the wipe workers' events, the run's end, the
//! sensors, the checks) and what the screen asks for (`Effect`: start the run, cancel it, start
//! a check, a transcript line, quit). Every `Msg` arrives on one channel; `update` turns each
//! into a new model and effects, which the runtime carries out.

use std::time::Duration;

use crate::cert::model::{ChecksRecord, CoolingCheck, MemoryCheck};
use crate::checks::cooling::CoolingSample;
use crate::deploy::Install;
use crate::flow::deploy::{InstallEvent, ListedImage};
use crate::flow::{Inspection, RunPlan};
use crate::sys::sensors::LiveSample;
use crate::wipe::WipeEvent;

use super::keys::Key;
use super::model::RunResult;

/// Everything that happens to the screen.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(Key),
    /// The terminal changed size: draw again.
    Resize,
    /// Time since the session started.
    Tick(Duration),
    /// A wipe worker's progress or end.
    Wipe(WipeEvent),
    /// The run ended: its result, or why it could not finish with a certificate.
    RunDone(Box<Result<RunResult, String>>),
    Live(LiveSample),
    CoolingSample(CoolingSample),
    CoolingDone(CoolingCheck),
    RamProgress {
        done: u64,
        total: u64,
        errors: u64,
    },
    RamDone(MemoryCheck),
    /// SIGTERM or SIGINT from outside (power button, kill): cancel now, no question asked.
    Signal(String),
    /// What the install step does as it goes.
    Install(InstallEvent),
    /// The install ended (installed and verified, failed, or not due).
    InstallDone(Box<Install>),
    /// The workshop server's images (`Effect::ListImages`), or why they could not be had.
    Images(Result<Vec<ListedImage>, String>),
    /// The machine slept and woke (`Effect::Unfreeze`): what the drives say now and how long
    /// it slept, or why it could not suspend.
    Unfrozen(Box<Result<(Inspection, Duration), String>>),
}

/// What `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Wipe the plan's disks, then verdict and certificate (answers with `Msg::Wipe` events and
    /// one `Msg::RunDone`); the RAM test runs alongside when asked.
    StartRun {
        plan: Box<RunPlan>,
        ram_test: bool,
    },
    /// Stop the wipe workers at their next buffer.
    Cancel,
    /// Install the family system after the run (`Run::deploy_image`): the image the run was
    /// told, or `image`, chosen from the server's list (answers with `Msg::Install` events and
    /// one `Msg::InstallDone`).
    StartInstall {
        image: Option<Box<ListedImage>>,
    },
    /// Stop the install at its next buffer (it then fails, never "installed").
    CancelInstall,
    /// Ask the workshop server for its images (answers with one `Msg::Images`).
    ListImages,
    /// The checks finished so far: the run's certificate records what is here when it is
    /// issued. `busy`: a check is on screen; the certificate waits for it.
    Checks {
        record: Box<ChecksRecord>,
        busy: bool,
    },
    /// Load every CPU for this long, reading the sensors (answers with `Msg::CoolingSample`s
    /// and one `Msg::CoolingDone`).
    StartCooling {
        duration_ms: u64,
    },
    StopCooling,
    /// A line for the transcript (the serial console and the run's log).
    Transcript(String),
    /// Suspend to RAM for a few seconds (the RTC wakes the machine) so that frozen drives
    /// unfreeze, then ask the drives again (answers with one `Msg::Unfrozen`).
    Unfreeze,
    /// End the session (`Model::exit` says how).
    Quit,
}
