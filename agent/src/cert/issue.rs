//! Issuing a certificate into a station folder: find the chain head, build, sign, write
//! atomically. This is the one entry point `reprise cert issue` and `reprise run` share.
//!
//! Agent-side only (reads the folder and the clock through `sys`); the collector needs none of it.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

pub use super::build::IssueInputs;
use super::build::{build_certificate, certificate_id};
use super::envelope::{self, SignError};
use super::model::ChainLink;
use super::{chain, sign};
use crate::sys::atomic::{self, AtomicWriteError};

/// Why a certificate could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("cannot read the certificate folder {path}")]
    ReadFolder {
        path: PathBuf,
        source: AtomicWriteError,
    },
    #[error("cannot sign the certificate")]
    Sign(#[from] SignError),
    #[error("cannot write the certificate into {path}")]
    Write {
        path: PathBuf,
        source: AtomicWriteError,
    },
}

/// The issue time of the station's newest certificate in `out_dir` (the chain head), if any: no
/// later certificate may be dated before it.
pub fn previous_issued_at(key: &SigningKey, out_dir: &Path) -> Option<String> {
    let station = sign::key_id(&key.verifying_key());
    let files = atomic::read_json_files(out_dir).ok()?;
    files
        .iter()
        .filter_map(|(_, bytes)| envelope::verify(bytes, Some(&key.verifying_key())).ok())
        .filter(|v| v.key_id == station)
        .max_by_key(|v| v.envelope.certificate.chain.sequence)
        .map(|v| v.envelope.certificate.issued_at.clone())
}

/// Issues the next certificate of the station `key` into `out_dir` and returns its path
/// (`out_dir/<id>.json`). The chain head is the newest certificate in `out_dir` signed by `key`
/// (files that do not verify are ignored). Never overwrites: a concurrent issuer of the same
/// sequence number makes this fail with [`IssueError::Write`].
pub fn issue_certificate(
    inputs: IssueInputs,
    key: &SigningKey,
    out_dir: &Path,
) -> Result<PathBuf, IssueError> {
    let station = sign::key_id(&key.verifying_key());
    let files = atomic::read_json_files(out_dir).map_err(|source| IssueError::ReadFolder {
        path: out_dir.into(),
        source,
    })?;
    let verified: Vec<_> = files
        .iter()
        .filter_map(|(_, bytes)| envelope::verify(bytes, Some(&key.verifying_key())).ok())
        .collect();
    let (sequence, previous_digest) = chain::next_link(&station, &verified);
    let issued_at = match &inputs.issued_at {
        Some(t) => t.clone(),
        None => crate::sys::clock::now_rfc3339(),
    };
    let link = ChainLink {
        station_key_id: station.clone(),
        sequence,
        previous_digest,
    };
    let cert = build_certificate(&inputs, issued_at, link, crate::model::tool_version());
    let envelope = envelope::seal(cert, key)?;
    let name = format!("{}.json", certificate_id(&station, sequence));
    atomic::write_new(out_dir, &name, &envelope::to_file_bytes(&envelope), 0o644).map_err(
        |source| IssueError::Write {
            path: out_dir.into(),
            source,
        },
    )
}
