//! What combines the layers: the run ([`run`]: one owner for the steps of `reprise run` and
//! `reprise demo`, from settings to power-off), its settings ([`config`]), its plan ([`plan`]),
//! the station's data folder ([`data`]), where a certificate can live ([`medium`]), what the
//! workshop server is believed on ([`trust`]) and the certificate's time ([`time`]); and the
//! library side of the other commands that combine layers (`reprise wipe` in [`wipe`], `cert
//! issue` in [`issue`]).
//!
//! Planning is pure: it builds the real passes of every disk and validates them, and the
//! validated plan is what the engine writes. The console, the screen and the demo are
//! front-ends over [`run::Run`]'s steps; the dialogue with the operator stays in `cli` and
//! `tui`.

pub mod config;
pub mod data;
pub mod demo;
pub mod end;
pub mod expect;
pub mod issue;
pub mod medium;
pub mod plan;
pub mod run;
pub mod selftest;
pub mod storage;
pub mod time;
pub mod trust;
pub mod upload;
pub mod wipe;

use std::path::PathBuf;

pub use config::Config;
pub use data::{DataDir, load_or_create_key, load_policy};
pub use medium::{BootMedium, NotReady, boot_medium, check_auto_ready, data_is_durable};
pub use plan::{
    Inspection, RunPlan, Settings, SkipReason, Skipped, guard, inspect, plan, plan_for, plan_with,
    protected_disks, replan,
};
pub use run::{Run, RunStatus, status};

use crate::cert::issue::IssueError;
use crate::cert::station::StationKeyError;
use crate::sys::atomic::AtomicWriteError;
use crate::sys::file::FileError;
use crate::wipe::plan::PlanError;

/// Why a run could not finish with a certificate.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot probe this machine")]
    Probe(#[source] crate::probe::ProbeError),
    #[error("invalid wipe plan")]
    Plan(#[from] PlanError),
    #[error("station key")]
    Key(#[from] StationKeyError),
    #[error("cannot create the folder {path}")]
    Folder {
        path: PathBuf,
        #[source]
        source: AtomicWriteError,
    },
    #[error("cannot write the log {path}")]
    Log {
        path: PathBuf,
        #[source]
        source: AtomicWriteError,
    },
    #[error("cannot read the policy")]
    ReadPolicy(#[source] FileError),
    #[error("invalid policy")]
    Policy(#[from] crate::verdict::policy::PolicyError),
    #[error("cannot issue the certificate")]
    Issue(#[from] IssueError),
    #[error("automatic mode cannot start: {0}")]
    NotReady(NotReady),
    #[error("the demo refused to run")]
    Demo(#[from] demo::DemoError),
    #[error("cannot upload to the workshop server")]
    Upload(#[from] upload::UploadError),
    #[error("cannot power off")]
    PowerOff(#[source] crate::sys::power::PowerError),
}
