//! `reprise cert issue` as a library function: read the reports (checking that the wipe report
//! claims only what the engine can have done), decide the verdict, issue the certificate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::cert::issue::{IssueError, IssueInputs, issue_certificate};
use crate::cert::sign;
use crate::model::{DiskId, Language};
use crate::probe::model::{DiskHealth, ProbeReport};
use crate::sys::SysRoot;
use crate::sys::atomic;
use crate::sys::file::{self, FileError};
use crate::wipe::report::{SCHEMA_VERSION, WipeReport};

/// What `reprise cert issue` was given.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    pub report: PathBuf,
    pub key: PathBuf,
    /// `None`: probe the running machine.
    pub probe: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub health: Option<PathBuf>,
    pub organisation: Option<String>,
    pub site: String,
    pub operator: String,
    pub language: Language,
    pub out: PathBuf,
}

/// Why no certificate was issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueCommandError {
    #[error("cannot read the {what}")]
    Read {
        what: &'static str,
        #[source]
        source: FileError,
    },
    #[error("{path}: not a valid {what}")]
    Parse {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{path}: wipe report schema {found}, this version reads {SCHEMA_VERSION}: re-run the wipe with this version"
    )]
    ReportSchema { path: PathBuf, found: u32 },
    #[error("{path}: the wipe report claims what the engine cannot have done: {why}")]
    Inconsistent { path: PathBuf, why: String },
    #[error("cannot probe this machine")]
    Probe(#[from] crate::probe::ProbeError),
    #[error("invalid station key")]
    Key(#[from] sign::KeyError),
    #[error(transparent)]
    Run(#[from] super::RunError),
    #[error("cannot create the certificate folder {path}")]
    Folder {
        path: PathBuf,
        #[source]
        source: atomic::AtomicWriteError,
    },
    #[error("cannot issue the certificate")]
    Issue(#[from] IssueError),
}

fn read_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T, IssueCommandError> {
    let bytes = file::read(path).map_err(|source| IssueCommandError::Read { what, source })?;
    serde_json::from_slice(&bytes).map_err(|source| IssueCommandError::Parse {
        path: path.to_owned(),
        what,
        source,
    })
}

/// Reads a wipe report and refuses one whose claims the engine cannot have produced: a level or
/// technique it does not perform, "sanitized" without a verification, fewer bytes than capacity
/// × passes.
pub fn read_wipe_report(path: &Path) -> Result<WipeReport, IssueCommandError> {
    let report: WipeReport = read_json(path, "wipe report")?;
    if report.schema_version != SCHEMA_VERSION {
        return Err(IssueCommandError::ReportSchema {
            path: path.to_owned(),
            found: report.schema_version,
        });
    }
    for d in &report.devices {
        d.check_consistency()
            .map_err(|why| IssueCommandError::Inconsistent {
                path: path.to_owned(),
                why,
            })?;
    }
    Ok(report)
}

/// Issues the certificate of a wipe report into `req.out`; returns its path.
pub fn issue_from_files(req: IssueRequest) -> Result<PathBuf, IssueCommandError> {
    let wipe = read_wipe_report(&req.report)?;
    let probe: ProbeReport = match &req.probe {
        Some(p) => read_json(p, "probe report")?,
        None => crate::probe::probe(&SysRoot::host())?,
    };
    let policy = super::load_policy(req.policy.as_deref(), None)?;
    let health: BTreeMap<DiskId, DiskHealth> = match &req.health {
        Some(p) => read_json(p, "disk health file")?,
        None => BTreeMap::new(),
    };
    let pem = file::read_to_string(&req.key).map_err(|source| IssueCommandError::Read {
        what: "station key",
        source,
    })?;
    let key = sign::signing_key_from_pem(&pem, &req.key.display().to_string())?;
    let verdict = crate::verdict::evaluate(&probe, &wipe, &health, &policy);
    let inputs = IssueInputs {
        probe,
        wipe,
        verdict,
        health,
        incidents: Vec::new(),
        organisation: req.organisation,
        site: req.site,
        operator: req.operator,
        language: req.language,
        issued_at: None,
        time: None,
        checks: None,
    };
    atomic::ensure_dir(&req.out).map_err(|source| IssueCommandError::Folder {
        path: req.out.clone(),
        source,
    })?;
    Ok(issue_certificate(inputs, &key, &req.out)?)
}
