//! The station's data folder (the stick's REPRISE partition): where its key, policy, settings,
//! certificates, logs and upload receipts live, and the reading and writing of each.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

use super::RunError;
use crate::cert::station;
use crate::sys::atomic;
use crate::sys::file::{self, FileError};
use crate::verdict::Policy;

/// Where a station keeps its things on the data partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(pub PathBuf);

impl DataDir {
    pub fn keys(&self) -> PathBuf {
        self.0.join("keys")
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
    /// The workshop's settings (`reprise.KEY=VALUE` lines), read at every run.
    pub fn settings(&self) -> PathBuf {
        self.0.join("reprise.conf")
    }
    /// Receipts of the certificates the server acknowledged.
    pub fn uploads(&self) -> PathBuf {
        self.0.join("uploads")
    }
}

/// Loads the station key of a data folder, or creates it on a fresh data partition (first boot
/// of a new stick). Returns the key and whether it was just created.
pub fn load_or_create_key(data: &DataDir) -> Result<(SigningKey, bool), RunError> {
    Ok(station::load_or_create(&data.keys())?)
}

/// The verdict policy: `explicit` if given, else the data folder's `policy.toml` when the
/// workshop put one there, else the built-in defaults.
pub fn load_policy(explicit: Option<&Path>, data: Option<&DataDir>) -> Result<Policy, RunError> {
    let path = match (explicit, data) {
        (Some(p), _) => Some(p.to_owned()),
        (None, Some(d)) => Some(d.policy()),
        (None, None) => None,
    };
    let Some(path) = path else {
        return Ok(Policy::default());
    };
    let text = match file::read_optional(&path).map_err(RunError::ReadPolicy)? {
        Some(text) => text,
        // Only the data folder's policy is optional; a policy named on the command line must
        // exist.
        None if explicit.is_none() => return Ok(Policy::default()),
        None => {
            return Err(RunError::ReadPolicy(FileError::Read {
                path,
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            }));
        }
    };
    Ok(Policy::from_toml(&text, &path)?)
}

/// The file-name stamp of a run's logs: the time, with no character a FAT file name refuses.
pub fn log_stamp() -> String {
    crate::sys::clock::now_rfc3339().replace([':', '.'], "-")
}

/// Keeps `value` as pretty JSON in `DATA/logs/NAME` (never over an existing file).
pub fn write_json_log<T: serde::Serialize>(
    data: &DataDir,
    name: &str,
    value: &T,
) -> Result<(), RunError> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("reports serialize to JSON");
    bytes.push(b'\n');
    write_log(data, name, &bytes)
}

/// Keeps `bytes` in `DATA/logs/NAME` (never over an existing file).
pub fn write_log(data: &DataDir, name: &str, bytes: &[u8]) -> Result<(), RunError> {
    let dir = data.logs();
    atomic::ensure_dir(&dir).map_err(|source| RunError::Folder {
        path: dir.clone(),
        source,
    })?;
    atomic::write_new(&dir, name, bytes, 0o644)
        .map(|_| ())
        .map_err(|source| RunError::Log {
            path: dir.join(name),
            source,
        })
}
