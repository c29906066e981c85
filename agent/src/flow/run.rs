//! The run (`reprise run`, and `reprise demo` over a recorded laptop): one owner for its steps,
//! as plain functions over one owned state ([`Run`]).
//!
//! ```text
//! Config (settings resolved once)
//!   → Run::prepare   probe, inspect the drives, plan, policy
//!   → Run::ready     automatic mode: the certificate has a durable home, or nothing is written
//!                    (the workshop server's: a verified answer of `flow::trust`)
//!   → Run::unfreeze  suspend to RAM and resume (the only suspend path), drives asked again,
//!                    automatic mode's check made again
//!   → Run::self_tests  the drives' own tests; the plan made again without the failing ones
//!   → Run::station   the station key (created on a fresh stick)
//!   → Run::execute   wipe in parallel (RAM test alongside), checks, verdict, certificate,
//!                    read back and verified once
//!   → Run::finish    upload with retries, the no-stick rule, the run's log, power-off
//! ```
//!
//! The console (`cli::run`), the operator's screen (`tui`) and the demo (`cli::demo`) are
//! front-ends: each asks the operator in its own way, then calls these steps; none holds a step
//! of its own.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;

use ed25519_dalek::SigningKey;

use super::config::{Config, PowerOff};
use super::demo::Demo;
use super::medium::{Home, NotReady};
use super::plan::{Inspection, RunPlan};
use super::selftest::{Cancelled, SelfTestEvent, SelfTestOutcome};
use super::trust::{Met, NoServer};
use super::{data, plan, upload};
use crate::cert::issue::{IssueInputs, issue_certificate};
use crate::cert::model::{ChecksRecord, Incident, MemoryCheck};
use crate::cert::sign;
use crate::checks::ram;
use crate::model::{DiskId, Level};
use crate::probe::model::ProbeReport;
use crate::probe::model::SelfTestKind;
use crate::sys::SysRoot;
use crate::sys::atomic;
use crate::sys::sensors::Sensors;
use crate::sys::suspend::{Resumed, SuspendError};
use crate::verdict::{Policy, Verdict};
use crate::wipe::report::{DeviceWipe, Outcome, SCHEMA_VERSION, WipeReport};
use crate::wipe::{CancelToken, WipeEvent};

pub use super::RunError;

/// How a run (or a `reprise wipe`) ended, as the exit code says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Every disk written is sanitized.
    Sanitized,
    /// At least one disk is not sanitized (failed, or written without verification).
    NotSanitized,
    /// The operator cancelled (Ctrl-C, SIGTERM, or the cancel key).
    Cancelled,
    /// Every disk is sanitized, but the workshop's system was due and not installed and
    /// verified (`flow::deploy`): the machine does not power off.
    NotInstalled,
}

/// The status of a set of wipe records, from the one predicate of "sanitized".
pub fn status(devices: &[DeviceWipe]) -> RunStatus {
    if devices.iter().any(|d| d.outcome == Outcome::Cancelled) {
        RunStatus::Cancelled
    } else if devices.iter().all(DeviceWipe::is_sanitized) {
        RunStatus::Sanitized
    } else {
        RunStatus::NotSanitized
    }
}

/// A run's state, from the probe to the certificate: owned here, read by the front-ends.
#[derive(Debug, Clone)]
pub struct Run {
    pub config: Config,
    /// The machine as probed (the demo's: with its stand-ins); self-tests add their results.
    pub probe: ProbeReport,
    /// What the drives said they can do (asked again after a resume).
    pub inspection: Inspection,
    /// The plan for the settings of the configuration (the screen makes its own from the
    /// operator's choices, with the same planner).
    pub plan: RunPlan,
    pub policy: Policy,
    /// SHA-256 of the live image this runs from (`None` outside it).
    pub image_digest: Option<String>,
    pub demo: Option<Demo>,
    /// How the live image's storage settled before the probe (`None` outside the image).
    pub settled: Option<crate::sys::settle::Settled>,
    /// The operator stated that the laptop has no disk (no internal storage was found).
    pub no_disk_stated: bool,
    /// The workshop server's last answer in this run, verified (`flow::trust`), or why it is
    /// not believed; `None` until it is asked (automatic mode's check, again after a resume; an
    /// interactive run asks when it signs).
    pub met: Option<Result<Met, NoServer>>,
    /// What the run's log says of the server (a key pinned on first use, a refused answer),
    /// written by [`Run::finish`].
    pub notes: Vec<String>,
}

/// The station's signing key, and whether this run created it.
#[derive(Clone)]
pub struct Station {
    key: SigningKey,
    pub key_id: String,
    pub created: bool,
}

impl Station {
    /// The signing key, for the station's other signed documents (`flow::deploy`'s record).
    pub(super) fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

impl std::fmt::Debug for Station {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Station")
            .field("key_id", &self.key_id)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl Station {
    pub fn new(key: SigningKey, created: bool) -> Station {
        Station {
            key_id: sign::key_id(&key.verifying_key()),
            key,
            created,
        }
    }
}

/// Frozen drives whose better technique a suspend-and-resume would make possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frozen {
    pub drives: usize,
    /// Whether this machine can suspend to RAM, or why not.
    pub can_suspend: Result<(), String>,
}

/// The RAM test's progress, for the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RamEvent {
    Progress { done: u64, total: u64, errors: u64 },
    Done(MemoryCheck),
}

/// The RAM test to run alongside the wipe, and who hears its progress.
pub struct RamTest {
    pub on_event: Box<dyn FnMut(RamEvent) + Send>,
}

impl std::fmt::Debug for RamTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RamTest").finish_non_exhaustive()
    }
}

/// What a front-end hands to [`Run::execute`].
pub struct Hooks<'a> {
    /// Every wipe worker's progress and end.
    pub events: Sender<WipeEvent>,
    /// Stops the workers at their next buffer (Ctrl-C, SIGTERM, the cancel key).
    pub cancel: CancelToken,
    /// The RAM test alongside the wipe (the screen), or none (the console).
    pub ram: Option<RamTest>,
    /// Called once every wipe has ended, before the verdict: the hands-on checks done
    /// meanwhile, weighed by the verdict and recorded in the certificate (the screen waits here
    /// for a check the operator is in the middle of).
    pub checks: Box<dyn FnOnce() -> ChecksRecord + Send + 'a>,
}

impl std::fmt::Debug for Hooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("ram", &self.ram)
            .finish_non_exhaustive()
    }
}

impl Hooks<'_> {
    /// Wipe events on `events`, cancelled by `cancel`, no RAM test, no check.
    pub fn plain(events: Sender<WipeEvent>, cancel: CancelToken) -> Hooks<'static> {
        Hooks {
            events,
            cancel,
            ram: None,
            checks: Box::new(ChecksRecord::default),
        }
    }
}

/// The certificate as it was read back from where it was written and verified — what an
/// auditor will see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBack {
    /// `sha256:…` of the canonical content (what the QR code holds).
    pub digest: String,
    /// The certificate rendered as text, in its language.
    pub text: String,
}

/// What an executed run produced.
#[derive(Debug, Clone)]
pub struct Executed {
    pub wipe: WipeReport,
    pub verdict: Verdict,
    pub certificate: PathBuf,
    /// The certificate read back and verified, or why it does not verify.
    pub read_back: Result<ReadBack, String>,
    /// Disks that were not there when the run was planned and appeared before the first write
    /// or before signing: not sanitized, and the run is not a success.
    pub appeared: Vec<crate::model::DiskIdentity>,
    /// The level asked for (each disk's record says what it reached).
    pub requested: Level,
    /// What the run's log says of how the certificate was dated (its source, sources refused).
    pub said: Vec<String>,
    /// The install step, once run (`Run::deploy`); `None` before it.
    pub install: Option<crate::deploy::Install>,
}

impl Executed {
    /// How the run ended: a disk that appeared during it was not sanitized.
    pub fn status(&self) -> RunStatus {
        match status(&self.wipe.devices) {
            RunStatus::Sanitized if !self.appeared.is_empty() => RunStatus::NotSanitized,
            s => s,
        }
    }
}

impl Run {
    /// Probes the machine, asks its drives what they can do, plans the run for the configured
    /// level and reads the verdict policy. Nothing is written.
    pub fn prepare(config: Config) -> Result<Run, RunError> {
        // In the live image drivers still load by hotplug (a USB disk, an SD card after its
        // host's scan, virtio): the probe waits until the block devices stop changing.
        let settled = crate::sys::power::image_digest(&config.root)
            .is_some()
            .then(|| crate::sys::settle::storage(&config.root));
        let probe = crate::probe::probe(&config.root).map_err(RunError::Probe)?;
        let mut run = Run::over(config, probe, None)?;
        run.settled = settled;
        Ok(run)
    }

    /// The demo's run (`reprise demo`): the recorded laptop of `config.root`, each disk the run
    /// would wipe stood in for by a file of `size(transport)` bytes in `disks` (the demo's own
    /// new folder), written at `pace_bps` bytes per second.
    pub fn demo(
        config: Config,
        disks: &std::path::Path,
        size: impl Fn(crate::model::Transport) -> u64,
        pace_bps: u64,
    ) -> Result<Run, RunError> {
        let probe = crate::probe::probe(&config.root).map_err(RunError::Probe)?;
        let transports: Vec<_> = probe.disks.iter().map(|d| d.transport).collect();
        let (probe, stand_ins) = super::demo::stand_in(&probe, disks, |i| {
            size(
                transports
                    .get(i)
                    .copied()
                    .unwrap_or(crate::model::Transport::Unknown),
            )
        })?;
        let demo = Demo {
            dir: disks.to_owned(),
            stand_ins,
            pace_bps,
        };
        Run::over(config, probe, Some(demo))
    }

    /// A run over `probe` as given (the demo's, with its stand-ins).
    pub fn over(config: Config, probe: ProbeReport, demo: Option<Demo>) -> Result<Run, RunError> {
        let inspection = plan::inspect(&config.root, &probe);
        let plan = plan::plan_with(&probe, &inspection, &config.sanitize)?;
        let policy = data::load_policy(config.policy.as_deref(), Some(&config.data))?;
        let image_digest = crate::sys::power::image_digest(&config.root);
        Ok(Run {
            config,
            probe,
            inspection,
            plan,
            policy,
            image_digest,
            demo,
            settled: None,
            no_disk_stated: false,
            met: None,
            notes: Vec::new(),
        })
    }

    /// Whether the run found storage of the laptop's own (or the operator stated it has none):
    /// a run that found nothing stops here, saying which controller may hide the disks.
    pub fn storage(&self) -> Result<(), super::storage::NoStorage> {
        match super::storage::NoStorage::of(&self.probe) {
            Some(none) if !self.no_disk_stated => Err(none),
            _ => Ok(()),
        }
    }

    /// The operator looked and states that this laptop has no disk (the certificate records
    /// it; a run that found no storage may then go on).
    pub fn state_no_disk(&mut self) {
        self.no_disk_stated = true;
    }

    /// Whether the run may write: always in an interactive run (the operator confirms what the
    /// screen shows); in automatic mode only when the certificate has a durable home — the
    /// boot medium's data partition, or a workshop server whose verified answer says it keeps
    /// this station's certificates. Automatic mode says hello to the configured server here
    /// (its answer also dates the certificate). The demo writes only its own stand-in files,
    /// checked when it starts.
    pub fn ready(&mut self) -> Result<(), NotReady> {
        if !self.checks_home() {
            return Ok(());
        }
        self.meet_server();
        self.home_check()
    }

    /// Automatic mode's check as it stands, after [`Run::ready`] and again after a resume
    /// ([`Run::resumed`]): what is known now, no network. Always yes for an interactive run.
    pub fn readiness(&self) -> Result<(), NotReady> {
        if self.checks_home() {
            self.home_check()
        } else {
            Ok(())
        }
    }

    /// Whether this run needs a durable home before writing: automatic mode, not the demo.
    fn checks_home(&self) -> bool {
        self.config.auto.is_some() && self.demo.is_none()
    }

    /// Automatic mode's durable-home check over what is known now (the stick as probed, the
    /// server's last answer): no network.
    fn home_check(&self) -> Result<(), NotReady> {
        super::medium::check_auto_ready(
            &self.probe,
            &self.config.data,
            self.config
                .server
                .as_ref()
                .map(|s| super::medium::ServerCheck {
                    url: &s.url,
                    met: self.met.as_ref(),
                }),
        )
    }

    /// Says hello to the configured workshop server and keeps what it answered, and what the
    /// run's log is to say of it.
    fn meet_server(&mut self) {
        let Some(server) = &self.config.server else {
            return;
        };
        let met = self.ask_server(server);
        match &met {
            Ok(m) => self.notes.extend(m.lines()),
            Err(why) => self
                .notes
                .push(format!("Workshop server {}: {why}.", server.url)),
        }
        self.met = Some(met);
    }

    /// The server key uploads' receipts must be signed by: the key this run's verified hello
    /// was signed by (checked against the setting or the stick's pin), else the setting, else
    /// the stick's pin; none when nothing pins one (then no upload counts as acknowledged).
    fn upload_pin(&self, server: &super::config::Server) -> Option<String> {
        match &self.met {
            Some(Ok(m)) => Some(m.server_key_id.clone()),
            _ => server
                .key
                .clone()
                .or_else(|| super::trust::read_pin(&self.config.data).ok().flatten()),
        }
    }

    /// The signed exchange with `server` (`flow::trust::meet`), with the pin of an earlier
    /// answer of this run when there is no other.
    fn ask_server(&self, server: &super::config::Server) -> Result<Met, NoServer> {
        let station = self.station().map_err(|e| {
            NoServer::Silent(format!(
                "no station key to sign the hello: {}",
                crate::model::error_chain(&e)
            ))
        })?;
        let boot_pin = match &self.met {
            Some(Ok(m)) => Some(m.server_key_id.as_str()),
            _ => None,
        };
        super::trust::meet(
            server,
            &station.key,
            &self.config.data,
            self.home() != Home::Memory,
            boot_pin,
        )
    }

    /// The frozen drives of the plan a suspend would unfreeze, and whether it can be done;
    /// `None` when there is nothing to gain or the configuration says never.
    pub fn frozen(&self) -> Option<Frozen> {
        let drives = self.plan.frozen();
        if drives == 0 || !self.config.unfreeze {
            return None;
        }
        let can_suspend = self
            .inspection
            .can_suspend
            .clone()
            .unwrap_or_else(|| Err("not checked".into()));
        Some(Frozen {
            drives,
            can_suspend,
        })
    }

    /// Suspends to RAM, resumes, asks the drives again and plans again; how long it slept.
    /// In automatic mode the durable-home check is made again ([`Run::resumed`]), and
    /// [`Run::readiness`] then says what it found.
    pub fn unfreeze(&mut self) -> Result<Duration, SuspendError> {
        let (inspection, resumed) = unfreeze(&self.config.root, &self.probe, UNFREEZE_SLEEP)?;
        // What the check found is `readiness()`'s to say, and `execute` refuses on it.
        let _ = self.resumed(inspection);
        Ok(resumed.asleep)
    }

    /// After a resume, with what the drives say now: the plan made anew (nothing was confirmed
    /// yet) and, in automatic mode, the workshop server asked again — a network, a server or a
    /// stick may have gone while the machine slept, and nothing is written on an answer from
    /// before. Returns automatic mode's check as it stands now.
    pub fn resumed(&mut self, inspection: Inspection) -> Result<(), NotReady> {
        self.inspection = inspection;
        if let Ok(again) = plan::plan_with(&self.probe, &self.inspection, &self.config.sanitize) {
            self.plan = again;
        }
        if !self.checks_home() {
            return Ok(());
        }
        self.met = None;
        self.meet_server();
        self.home_check()
    }

    /// Whether the configuration asks for the drives' self-tests and there is a disk to test.
    pub fn wants_self_tests(&self) -> bool {
        self.config.self_test == Some(SelfTestKind::Short) && !self.plan.targets().is_empty()
    }

    /// Runs the short self-test of every target drive at once (before anything is written and
    /// before the operator confirms, so that a failing drive is known and out of the plan), and
    /// plans again: a drive that failed is not overwritten. `Err` when cancelled.
    pub fn self_tests(
        &mut self,
        cancel: &CancelToken,
        on_event: &mut dyn FnMut(SelfTestEvent),
    ) -> Result<Result<Vec<SelfTestOutcome>, Cancelled>, RunError> {
        let targets: Vec<DiskId> = self
            .plan
            .targets()
            .iter()
            .map(|t| t.identity().id.clone())
            .collect();
        let tested = super::selftest::run_short(
            &self.config.root,
            &crate::probe::Drives::for_root(&self.config.root),
            &mut self.probe,
            &targets,
            &mut crate::sys::clock::RealPace::new(),
            cancel,
            on_event,
        );
        if tested.is_ok() {
            self.plan = plan::replan(
                &self.probe,
                &self.inspection,
                &self.config.sanitize,
                &self.plan,
            )?;
        }
        Ok(tested)
    }

    /// The station key of the data folder, created on a fresh one (first boot of a new stick).
    pub fn station(&self) -> Result<Station, RunError> {
        let (key, created) = data::load_or_create_key(&self.config.data)?;
        Ok(Station::new(key, created))
    }

    /// Wipes `plan`'s targets in parallel (the RAM test alongside when asked), takes the
    /// checks, decides the verdict, issues the certificate into `DATA/certs` (the probe and wipe
    /// reports into `DATA/logs`), then reads the certificate back and verifies it.
    pub fn execute(
        &self,
        station: &Station,
        plan: &RunPlan,
        hooks: Hooks<'_>,
    ) -> Result<Executed, RunError> {
        if let Some(demo) = &self.demo {
            super::demo::check_targets(plan, &demo.stand_ins, &demo.dir)?;
        }
        // Automatic mode writes nothing without a durable home, as last checked (`ready`, and
        // again after a resume): whichever front-end calls this step.
        if self.checks_home() {
            self.home_check().map_err(RunError::NotReady)?;
        }
        // The set of disks is checked again right before the first write (a late driver, a
        // disk plugged in while the operator read the plan)...
        let mut appeared = self.appeared();
        let ram = hooks.ram.map(|t| self.start_ram_test(t));
        let devices = match &plan.wipe {
            // Each disk the way its plan says: an overwrite, or the drive's own erase with its
            // check. The one path from a validated plan to the devices (`wipe::open_plan`).
            Some(p) => {
                let mut opened =
                    crate::wipe::open_plan(p, &plan::guard(&self.config.root, &self.probe.disks));
                if let Some(demo) = &self.demo {
                    opened = opened
                        .into_iter()
                        .map(|o| o.map(|dev| dev.paced(demo.pace_bps)))
                        .collect();
                }
                crate::wipe::run_plan(opened, hooks.events, hooks.cancel)
            }
            None => Vec::new(),
        };
        let memory = ram.and_then(RunningRamTest::stop);
        // ...and again before signing.
        for d in self.appeared() {
            if !appeared.iter().any(|a| a.name == d.name) {
                appeared.push(d);
            }
        }
        // The verdict and the certificate see them, as disks not sanitized.
        let mut probe = self.probe.clone();
        probe.disks.extend(appeared.iter().cloned().map(|mut d| {
            d.appeared_during_run = true;
            d
        }));
        let mut checks = (hooks.checks)();
        if memory.is_some() {
            checks.memory = memory;
        }
        checks.no_disk_stated |= self.no_disk_stated;
        let wipe = WipeReport {
            schema_version: SCHEMA_VERSION,
            tool: crate::model::tool_version(),
            image_digest: self.image_digest.clone(),
            // Each disk's record says what was performed; the certificate states the request
            // beside it when they differ (and the plan's explanations say why).
            requested_level: (plan.level == Level::Purge).then_some(Level::Purge),
            devices,
        };
        // The logs keep the probe and wipe reports whole; the certificate holds what matters
        // of them. A log that cannot be written (a full or failing stick) never keeps the
        // certificate from being written: it is recorded in it.
        let stamp = data::log_stamp();
        let (probe_log, wipe_log) = (format!("{stamp}-probe.json"), format!("{stamp}-wipe.json"));
        let written = [
            (
                data::write_json_log(&self.config.data, &probe_log, &probe),
                probe_log,
            ),
            (
                data::write_json_log(&self.config.data, &wipe_log, &wipe),
                wipe_log,
            ),
        ];
        let incidents: Vec<Incident> = written
            .into_iter()
            .filter_map(|(r, file)| {
                r.err().map(|e| Incident::LogNotWritten {
                    file,
                    error: crate::model::error_chain(&e),
                })
            })
            .collect();
        let health = BTreeMap::new();
        let verdict =
            crate::verdict::evaluate_with_checks(&probe, &wipe, &health, &checks, &self.policy);
        let (issued_at, time, said) = self.time_of_issue(station);
        let issuer = &self.config.issuer;
        let inputs = IssueInputs {
            probe,
            wipe: wipe.clone(),
            verdict: verdict.clone(),
            health,
            incidents,
            organisation: issuer.organisation.clone(),
            site: issuer.site.clone(),
            operator: issuer.operator.clone(),
            language: self.config.language,
            issued_at: Some(issued_at),
            time: Some(time),
            checks: Some(checks),
        };
        let certs = self.config.data.certs();
        atomic::ensure_dir(&certs).map_err(|source| RunError::Folder {
            path: certs.clone(),
            source,
        })?;
        // A run cut by a power loss mid-write left a hidden temporary file, which readers
        // ignore; it goes now. Failing to remove it harms nothing.
        let _ = atomic::remove_stale_temps(&certs);
        let certificate = issue_certificate(inputs, &station.key, &certs)?;
        let read_back = read_back(&certificate, station);
        Ok(Executed {
            wipe,
            verdict,
            certificate,
            read_back,
            appeared: appeared.iter().map(|d| d.identity()).collect(),
            requested: plan.level,
            said,
            install: None,
        })
    }

    /// The time to write on the certificate (`flow::time::choose`): the workshop server's, from
    /// its verified answer in this run (asked now if it was not yet); else, with no verified
    /// answer, a time server the network offered; else the laptop's clock — none earlier than
    /// the live image's build or the station's previous certificate (a flat CMOS battery). With
    /// what the run's log is to say of it.
    fn time_of_issue(
        &self,
        station: &Station,
    ) -> (String, crate::cert::model::TimeRecord, Vec<String>) {
        use super::time::{Floor, Stated, choose, parse};
        use crate::cert::model::{TimeFloor, TimeSource};
        let build = crate::sys::power::image_build_time(&self.config.root)
            .and_then(|t| parse(&t))
            .map(|at| Floor {
                kind: TimeFloor::ImageBuild,
                at,
            });
        let previous =
            crate::cert::issue::previous_issued_at(&station.key, &self.config.data.certs())
                .and_then(|t| parse(&t))
                .map(|at| Floor {
                    kind: TimeFloor::PreviousCertificate,
                    at,
                });
        let floors: Vec<Floor> = build.into_iter().chain(previous).collect();
        let mut said = Vec::new();
        // The demo dates its certificates by this computer's clock: no server, no network.
        let asked_now;
        let met = match (&self.met, &self.config.server) {
            _ if self.demo.is_some() => None,
            (Some(Ok(m)), _) => Some(m),
            // Not asked yet (an interactive run), or not believed then: asked now.
            (_, Some(server)) => {
                asked_now = self.ask_server(server);
                match &asked_now {
                    Ok(m) => said.extend(m.lines()),
                    Err(why) => said.push(format!("Workshop server {}: {why}.", server.url)),
                }
                asked_now.as_ref().ok()
            }
            (_, None) => None,
        };
        let server = met.map(|m| Stated {
            source: TimeSource::Server,
            by: m.url.clone(),
            rtc_offset_ms: m.rtc_offset_ms,
        });
        // Only without a verified server answer: NTP is unauthenticated.
        let ntp = if server.is_none() && self.demo.is_none() {
            super::trust::time_servers(&self.config.root, &mut said)
        } else {
            None
        };
        let chosen = choose(
            crate::sys::clock::now_utc(),
            server.as_ref(),
            ntp.as_ref(),
            &floors,
        );
        said.extend(chosen.lines());
        (
            crate::sys::clock::format_rfc3339(chosen.at),
            chosen.record,
            said,
        )
    }

    /// The disks present now that the probe did not see (by kernel name).
    fn appeared(&self) -> Vec<crate::probe::model::Disk> {
        let known: std::collections::BTreeSet<&str> =
            self.probe.disks.iter().map(|d| d.name.as_str()).collect();
        crate::probe::disks::probe_disks(&self.config.root, false)
            .into_iter()
            .filter(|d| !known.contains(d.name.as_str()))
            .collect()
    }

    /// Starts the RAM test on its own thread: most of the free memory on a laptop, a little in
    /// the demo (it shares the host's).
    fn start_ram_test(&self, mut test: RamTest) -> RunningRamTest {
        let stop = Arc::new(AtomicBool::new(false));
        let total = self.probe.memory.total_usable_bytes.known().copied();
        let config = if self.demo.is_some() {
            ram::Config {
                max_bytes: 256 << 20,
                chunk_bytes: 16 << 20,
                ..ram::Config::most_of(total)
            }
        } else {
            ram::Config::most_of(total)
        };
        let root = self.config.root.clone();
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut host = RamHost {
                sensors: Sensors::new(&root),
                root,
                on_event: &mut test.on_event,
                last: None,
            };
            let record = ram::run(config, &flag, total, &mut host);
            (test.on_event)(RamEvent::Done(record.clone()));
            record
        });
        RunningRamTest { stop, thread }
    }

    /// The end of a run, after the front-end has shown its result: the certificates of the data
    /// folder uploaded to the workshop server (on a network boot, until it acknowledges the new
    /// one or the operator gives up), the run's log kept (`transcript`, then what this step
    /// said), and the machine powered off when asked and every disk was sanitized. Lines for
    /// the operator go to `out`. How the run ends: a certificate that reached no durable home
    /// (no stick, and the server never took it) makes it `NotSanitized`.
    pub fn finish(
        &self,
        station: &Station,
        executed: Option<&Executed>,
        transcript: &[String],
        cancel: &CancelToken,
        out: &mut dyn Write,
    ) -> Result<RunStatus, RunError> {
        let mut said = Recorder::new(out);
        // The workshop server and the certificate's time, as this run found them.
        for line in self
            .notes
            .iter()
            .chain(executed.iter().flat_map(|e| &e.said))
        {
            let _ = writeln!(said, "{line}");
        }
        let kept = match (&self.config.server, executed) {
            (Some(server), Some(e)) => upload::deliver(
                server,
                self.upload_pin(server).as_deref(),
                &self.config.data,
                &station.key,
                &e.certificate,
                match &e.install {
                    Some(crate::deploy::Install::Installed(i)) => Some(i.record.as_path()),
                    _ => None,
                },
                self.durable(),
                cancel,
                &mut said,
            )?,
            // Only in memory, and no server to take it: it is lost at power-off (the screen and
            // the console said so), so the run is not a finished one.
            (None, Some(_)) => self.home() != super::medium::Home::Memory,
            (_, None) => true,
        };
        let status = match executed {
            // A certificate kept in memory (network boot) that the server never took means the
            // run must not look finished, and the machine must not power off.
            Some(e) if kept => e.status(),
            Some(_) => RunStatus::NotSanitized,
            None => RunStatus::Cancelled,
        };
        // An install that was due and is not verified keeps the machine on: the workshop must
        // see it before the laptop goes to a family.
        let install = executed.and_then(|e| e.install.as_ref());
        if let Some(i) = install {
            let _ = writeln!(said, "{}", i.line());
        }
        let status = match install {
            Some(crate::deploy::Install::Failed(_)) if status == RunStatus::Sanitized => {
                let _ = writeln!(
                    said,
                    "Not powering off: the workshop's system was not installed and verified."
                );
                RunStatus::NotInstalled
            }
            _ => status,
        };
        let asked = self.config.poweroff != PowerOff::No;
        // In the live image init powers off (after saving the boot log); the agent only when
        // its own flag says so.
        let power_off = self.config.poweroff == PowerOff::ByAgent && status == RunStatus::Sanitized;
        if asked
            && !matches!(status, RunStatus::Sanitized | RunStatus::NotInstalled)
            && executed.is_some()
        {
            let _ = writeln!(
                said,
                "Not powering off: not every disk was sanitized. The result stays on screen."
            );
        }
        let lines = said.into_lines();
        // Each line escaped on its own (the front-ends escaped theirs already; escaping again
        // changes nothing): what the laptop told us reaches the log as visible escapes.
        let log: Vec<String> = transcript
            .iter()
            .chain(lines.iter())
            .flat_map(|l| l.lines())
            .map(|l| crate::model::text::escape(l).into_owned())
            .collect();
        if !log.is_empty() {
            let mut bytes = log.join("\n").into_bytes();
            bytes.push(b'\n');
            let name = format!("{}-run.log", data::log_stamp());
            // The certificate is written: a log that cannot be is said, and changes nothing of
            // how the run ends.
            if let Err(e) = data::write_log(&self.config.data, &name, &bytes) {
                let _ = writeln!(
                    out,
                    "The run's log could not be written: {}",
                    crate::model::error_chain(&e)
                );
            }
        }
        if power_off {
            crate::sys::power::power_off().map_err(RunError::PowerOff)?;
        }
        Ok(status)
    }

    /// Where the certificate will live once written (the screen and the console say it).
    pub fn home(&self) -> super::medium::Home {
        super::medium::certificate_home(&self.probe, &self.config.data, self.image_digest.is_some())
    }

    /// Whether certificates written to the data folder survive the power-off (the proven boot
    /// medium's data partition; else memory, as on a network boot).
    pub fn durable(&self) -> bool {
        super::medium::data_is_durable(&self.probe, &self.config.data)
    }

    /// The device each demo stand-in replaces, by disk id (for the operator).
    pub fn stands_for(&self) -> BTreeMap<DiskId, String> {
        let Some(demo) = &self.demo else {
            return BTreeMap::new();
        };
        self.probe
            .disks
            .iter()
            .filter_map(|d| {
                let s = demo
                    .stand_ins
                    .iter()
                    .find(|s| s.file.display().to_string() == d.dev_path)?;
                Some((d.id.clone(), s.stands_for.clone()))
            })
            .collect()
    }
}

/// How long a run sleeps to unfreeze its drives: long enough for them to lose power.
pub const UNFREEZE_SLEEP: Duration = Duration::from_secs(5);

/// Suspends the machine to RAM and resumes it `asleep` later by its RTC alarm — the drives lose
/// power and come back unfrozen (unless the firmware freezes them again on resume) — then asks
/// them again. The one suspend path: the run's, the screen's (on a thread of its own) and
/// `reprise unfreeze`'s.
pub fn unfreeze(
    root: &SysRoot,
    probe: &ProbeReport,
    asleep: Duration,
) -> Result<(Inspection, Resumed), SuspendError> {
    let resumed = crate::sys::suspend::suspend_and_resume(root, asleep)?;
    Ok((plan::inspect(root, probe), resumed))
}

/// Reads the certificate back from where it was written and verifies it with the station's key.
fn read_back(path: &std::path::Path, station: &Station) -> Result<ReadBack, String> {
    let bytes = crate::sys::file::read(path)
        .map_err(|e| format!("cannot read it back: {}", crate::model::error_chain(&e)))?;
    let verified = crate::cert::envelope::verify(&bytes, Some(&station.key.verifying_key()))
        .map_err(|e| {
            format!(
                "{} does not verify: {}",
                path.display(),
                crate::model::error_chain(&e)
            )
        })?;
    Ok(ReadBack {
        text: crate::cert::render::text(&verified.envelope.certificate, &verified.digest),
        digest: verified.digest,
    })
}

/// The RAM test running beside the wipe.
struct RunningRamTest {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<MemoryCheck>,
}

impl RunningRamTest {
    /// Stops it (the wipe is over) and takes its record.
    fn stop(self) -> Option<MemoryCheck> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().ok()
    }
}

/// The RAM test's view of the machine.
struct RamHost<'a> {
    sensors: Sensors,
    root: SysRoot,
    on_event: &'a mut Box<dyn FnMut(RamEvent) + Send>,
    last: Option<crate::sys::clock::Stopwatch>,
}

impl ram::Host for RamHost<'_> {
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
        // Twice a second is enough for a gauge.
        let due = self
            .last
            .as_ref()
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(500));
        if due || done >= total {
            self.last = Some(crate::sys::clock::Stopwatch::start());
            (self.on_event)(RamEvent::Progress {
                done,
                total,
                errors,
            });
        }
    }
}

/// Writes through to the operator and keeps every line for the run's log.
struct Recorder<'a> {
    out: &'a mut dyn Write,
    kept: Vec<u8>,
}

impl<'a> Recorder<'a> {
    fn new(out: &'a mut dyn Write) -> Recorder<'a> {
        Recorder {
            out,
            kept: Vec::new(),
        }
    }

    fn into_lines(self) -> Vec<String> {
        String::from_utf8_lossy(&self.kept)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Recorder<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.kept.extend_from_slice(buf);
        // The operator's terminal may be gone; the log still keeps the line.
        let _ = self.out.write_all(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
