//! The whole flow on one machine (`reprise run`): probe → plan → wipe in parallel → verdict →
//! signed certificate in the station's data folder.
//!
//! Planning is pure ([`plan`]); [`execute`] drives the wipe engine and the certificate issuer and
//! writes the logs; the console dialogue stays in `cli::run`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::Sender;

use ed25519_dalek::SigningKey;

use crate::cert::issue::{IssueError, IssueInputs, issue_certificate};
use crate::cert::model::Language;
use crate::cert::sign;
use crate::probe::model::{Disk, ProbeReport, Transport};
use crate::sys::SysRoot;
use crate::sys::atomic::{self, AtomicWriteError};
use crate::sys::blockdev::WriteGuard;
use crate::verdict::Policy;
use crate::wipe::plan::PlanError;
use crate::wipe::report::{DeviceIdentity, DeviceWipe, Level, SCHEMA_VERSION, WipeReport};
use crate::wipe::{CancelToken, Method, VerifySpec, WipeEvent, WipeJob, WipePlan};

/// What the operator (or the boot entry) asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// NIST Clear: overwrite and verify.
    Clear,
    /// NIST Purge was asked for. Firmware Purge does not exist yet: Clear runs instead, and the
    /// report and certificate say so (requested Purge, performed Clear) — never claim Purge.
    Purge,
}

/// Choices that apply to every disk of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub mode: Mode,
    /// Method for HDDs and SSDs; flash media (USB, SD, eMMC) always get pattern + complement.
    pub method: Method,
    pub verify: VerifySpec,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Clear,
            method: Method::Zero,
            verify: VerifySpec::Sample { permille: 100 },
        }
    }
}

/// A disk the run will sanitize, with the method chosen for its media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub disk: Disk,
    pub identity: DeviceIdentity,
    pub method: Method,
}

/// A disk the run leaves alone, and why (shown to the operator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub disk: Disk,
    pub reason: String,
}

/// The plan of a run: which disks, which method each; the rest with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlan {
    pub targets: Vec<Target>,
    pub skipped: Vec<Skipped>,
    pub verify: VerifySpec,
    pub mode: Mode,
}

/// Byte pattern of the Clear of flash media: 0x55 then its complement 0xAA, so every cell is
/// programmed both ways (NIST SP 800-88 Table A-8 for flash: "overwrite ... pattern, then its
/// complement").
const FLASH_PATTERN: u8 = 0x55;

/// Media type recorded in reports: hdd, ssd, flash or unknown.
pub fn media_type(disk: &Disk) -> &'static str {
    match (disk.transport, disk.rotational.known()) {
        (Transport::Usb | Transport::Mmc, _) => "flash",
        (_, Some(true)) => "hdd",
        (_, Some(false)) => "ssd",
        (_, None) => "unknown",
    }
}

/// The wipe report's identity of a probed disk.
pub fn identity(disk: &Disk) -> DeviceIdentity {
    DeviceIdentity {
        dev_path: disk.dev_path.clone(),
        model: disk.model.known().cloned(),
        serial: disk.serial.known().cloned(),
        firmware: disk.firmware.known().cloned(),
        vendor: disk.vendor.known().cloned(),
        transport: disk.transport.as_str().into(),
        media_type: media_type(disk).into(),
        size_bytes: disk.size_bytes.known().copied().unwrap_or(0),
        logical_sector_size: disk.logical_sector_size.known().copied().unwrap_or(512),
    }
}

/// Chooses the disks of a run from the probe. Pure: the write guard re-checks everything when
/// the devices are opened, so a mistake here cannot reach a protected disk.
pub fn plan(probe: &ProbeReport, settings: &Settings) -> RunPlan {
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    for disk in &probe.disks {
        let skip = |reason: String| Skipped {
            disk: disk.clone(),
            reason,
        };
        if disk.holds_system {
            let why = if disk.system_reasons.is_empty() {
                "holds the running system or the boot medium".to_string()
            } else {
                format!(
                    "boot medium / running system: {}",
                    disk.system_reasons.join("; ")
                )
            };
            skipped.push(skip(why));
        } else if disk.read_only.known() == Some(&true) {
            skipped.push(skip("read-only device".into()));
        } else if !matches!(disk.size_bytes.known(), Some(n) if *n > 0) {
            skipped.push(skip("no medium (size 0 or unknown)".into()));
        } else {
            let method = if media_type(disk) == "flash" {
                Method::PatternComplement(vec![FLASH_PATTERN])
            } else {
                settings.method.clone()
            };
            targets.push(Target {
                disk: disk.clone(),
                identity: identity(disk),
                method,
            });
        }
    }
    RunPlan {
        targets,
        skipped,
        verify: settings.verify,
        mode: settings.mode,
    }
}

/// Why a run could not finish with a certificate.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("invalid wipe plan")]
    Plan(#[from] PlanError),
    #[error("cannot read the station key {path}")]
    ReadKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid station key {path}")]
    Key {
        path: PathBuf,
        source: sign::KeyError,
    },
    #[error("cannot write the station key into {path}")]
    WriteKey {
        path: PathBuf,
        source: AtomicWriteError,
    },
    #[error("cannot create the folder {path}")]
    Folder {
        path: PathBuf,
        source: AtomicWriteError,
    },
    #[error("cannot write the log {path}")]
    Log {
        path: PathBuf,
        source: AtomicWriteError,
    },
    #[error("cannot issue the certificate")]
    Issue(#[from] IssueError),
}

/// Where a station keeps its things on the data partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(pub PathBuf);

impl DataDir {
    pub fn keys(&self) -> PathBuf {
        self.0.join("keys")
    }
    pub fn private_key(&self) -> PathBuf {
        self.keys().join("station.key")
    }
    pub fn public_key(&self) -> PathBuf {
        self.keys().join("station.pub")
    }
    pub fn certs(&self) -> PathBuf {
        self.0.join("certs")
    }
    pub fn logs(&self) -> PathBuf {
        self.0.join("logs")
    }
    pub fn policy(&self) -> PathBuf {
        self.0.join("policy.toml")
    }
}

/// Loads the station key, or creates it on a fresh data partition (first boot of a new stick).
/// Returns the key and whether it was just created.
pub fn load_or_create_key(data: &DataDir) -> Result<(SigningKey, bool), RunError> {
    let path = data.private_key();
    match std::fs::read_to_string(&path) {
        Ok(pem) => {
            let key = sign::signing_key_from_pem(&pem, &path.display().to_string())
                .map_err(|source| RunError::Key { path, source })?;
            Ok((key, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = sign::generate().map_err(|source| RunError::Key {
                path: path.clone(),
                source,
            })?;
            let private = sign::private_key_pem(&key).map_err(|source| RunError::Key {
                path: path.clone(),
                source,
            })?;
            let public =
                sign::public_key_pem(&key.verifying_key()).map_err(|source| RunError::Key {
                    path: path.clone(),
                    source,
                })?;
            let dir = data.keys();
            atomic::ensure_dir(&dir).map_err(|source| RunError::Folder {
                path: dir.clone(),
                source,
            })?;
            let write = |name: &str, bytes: &[u8], mode: u32| {
                atomic::write_new(&dir, name, bytes, mode).map_err(|source| RunError::WriteKey {
                    path: dir.join(name),
                    source,
                })
            };
            write("station.key", private.as_bytes(), 0o600)?;
            write("station.pub", public.as_bytes(), 0o644)?;
            Ok((key, true))
        }
        Err(source) => Err(RunError::ReadKey { path, source }),
    }
}

/// Everything [`execute`] needs besides the plan.
#[derive(Debug)]
pub struct RunContext<'a> {
    pub root: &'a SysRoot,
    pub data: &'a DataDir,
    pub key: &'a SigningKey,
    pub policy: Policy,
    pub organisation: Option<String>,
    pub site: String,
    pub operator: String,
    pub language: Language,
    pub image_digest: Option<String>,
}

/// What a finished run produced.
#[derive(Debug)]
pub struct RunOutcome {
    pub wipe: WipeReport,
    pub certificate: PathBuf,
}

impl RunOutcome {
    /// Whether every planned disk was sanitized (result passed, verification passed).
    pub fn all_sanitized(&self) -> bool {
        self.wipe
            .devices
            .iter()
            .all(crate::verdict::rules::is_sanitized)
    }
}

/// Wipes the plan's targets in parallel (progress on `events`), then issues the certificate
/// into `DATA/certs` and keeps the probe and wipe reports in `DATA/logs`.
pub fn execute(
    probe: &ProbeReport,
    run_plan: &RunPlan,
    ctx: RunContext<'_>,
    events: Sender<WipeEvent>,
    cancel: CancelToken,
) -> Result<RunOutcome, RunError> {
    let devices = wipe_targets(run_plan, ctx.root, probe, events, cancel)?;
    let wipe = WipeReport {
        schema_version: SCHEMA_VERSION,
        tool: crate::tool_version(),
        image_digest: ctx.image_digest.clone(),
        // Firmware Purge does not exist yet: a Purge request runs Clear, and says so.
        requested_level: (run_plan.mode == Mode::Purge).then_some(Level::Purge),
        devices,
    };
    let stamp = log_stamp();
    write_log(ctx.data, &format!("{stamp}-probe.json"), probe)?;
    write_log(ctx.data, &format!("{stamp}-wipe.json"), &wipe)?;
    let inputs = IssueInputs {
        probe: probe.clone(),
        wipe: wipe.clone(),
        health: BTreeMap::new(),
        hidden_areas: BTreeMap::new(),
        policy: ctx.policy,
        organisation: ctx.organisation,
        site: ctx.site,
        operator: ctx.operator,
        language: ctx.language,
        issued_at: None,
    };
    atomic::ensure_dir(&ctx.data.certs()).map_err(|source| RunError::Folder {
        path: ctx.data.certs(),
        source,
    })?;
    let certificate = issue_certificate(inputs, ctx.key, &ctx.data.certs())?;
    Ok(RunOutcome { wipe, certificate })
}

fn wipe_targets(
    run_plan: &RunPlan,
    root: &SysRoot,
    probe: &ProbeReport,
    events: Sender<WipeEvent>,
    cancel: CancelToken,
) -> Result<Vec<DeviceWipe>, RunError> {
    if run_plan.targets.is_empty() {
        return Ok(Vec::new());
    }
    let validated = WipePlan {
        devices: run_plan
            .targets
            .iter()
            .map(|t| PathBuf::from(&t.disk.dev_path))
            .collect(),
        method: Method::Zero,
        rounds: 1,
        verify: run_plan.verify,
    }
    .validate()?;
    let protected = probe
        .disks
        .iter()
        .filter(|d| d.holds_system)
        .map(|d| PathBuf::from(&d.dev_path))
        .collect();
    let guard = WriteGuard::new(root.clone(), protected);
    let jobs = run_plan
        .targets
        .iter()
        .map(|t| {
            let mut job = WipeJob::new(&validated, t.identity.clone());
            job.method = t.method.to_string();
            job.passes = t.method.passes();
            (PathBuf::from(&t.disk.dev_path), job)
        })
        .collect();
    Ok(crate::wipe::run_wipes(
        &validated, &guard, jobs, events, cancel,
    ))
}

fn log_stamp() -> String {
    crate::wipe::now_rfc3339().replace([':', '.'], "-")
}

fn write_log<T: serde::Serialize>(data: &DataDir, name: &str, value: &T) -> Result<(), RunError> {
    let dir = data.logs();
    atomic::ensure_dir(&dir).map_err(|source| RunError::Folder {
        path: dir.clone(),
        source,
    })?;
    let mut bytes = serde_json::to_vec_pretty(value).expect("reports serialize to JSON");
    bytes.push(b'\n');
    atomic::write_new(&dir, name, &bytes, 0o644)
        .map(|_| ())
        .map_err(|source| RunError::Log {
            path: dir.join(name),
            source,
        })
}

/// The image digest recorded by the image build, if this runs from the live image.
pub fn image_digest(root: &SysRoot) -> Option<String> {
    let text = std::fs::read_to_string(root.join(crate::sys::power::IMAGE_DIGEST_FILE)).ok()?;
    let d = text.trim();
    (!d.is_empty()).then(|| d.to_owned())
}

/// Path of a data folder's policy if the workshop put one there.
pub fn workshop_policy(data: &DataDir) -> Option<PathBuf> {
    let p = data.policy();
    p.is_file().then_some(p)
}
