//! Issuing a certificate into a station folder: find the chain head, build, sign, write
//! atomically. This is the one entry point `reprise cert issue` and `reprise run` share.
//!
//! Nothing in the folder keeps the certificate from being written: a file that cannot be read
//! is recorded in it, and a sequence number whose file name is held by something that is not a
//! certificate of this station is skipped — recorded too — for the next free one.
//!
//! Agent-side only (reads the folder and the clock through `sys`); the collector needs none of it.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

pub use super::build::IssueInputs;
use super::build::{build_certificate, certificate_id};
use super::envelope::{self, SignError};
use super::model::{ChainLink, Incident, Occupant};
use super::{chain, sign};
use crate::model::error_chain;
use crate::sys::atomic::{self, AtomicWriteError, EntryProblem};

/// Sequence numbers tried past the chain head before giving up: each one skipped is held by a
/// file that is not a certificate of this station, which a folder only gathers by accident.
pub const MAX_SKIPPED: u64 = 1000;

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
    #[error(
        "{path}: the file names of sequence numbers {first} to {last} are all held by files that are not certificates of this station"
    )]
    NoFreeSequence {
        path: PathBuf,
        first: u64,
        last: u64,
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
/// (files that do not verify are ignored; files that cannot be read are recorded as
/// incidents). Never overwrites: when the next sequence's name is taken by a certificate of
/// this station (another issuer on the same folder), this one chains after it; when it is taken
/// by anything else, that sequence is skipped and recorded, and the next is tried.
pub fn issue_certificate(
    mut inputs: IssueInputs,
    key: &SigningKey,
    out_dir: &Path,
) -> Result<PathBuf, IssueError> {
    let public = key.verifying_key();
    let station = sign::key_id(&public);
    let entries = atomic::read_json_entries(out_dir).map_err(|source| IssueError::ReadFolder {
        path: out_dir.into(),
        source,
    })?;
    let mut verified = Vec::new();
    for entry in &entries {
        match &entry.content {
            Ok(bytes) => verified.extend(envelope::verify(bytes, Some(&public)).ok()),
            Err(EntryProblem::Unreadable(e)) => inputs.incidents.push(Incident::FileUnreadable {
                file: entry.name.clone(),
                error: error_chain(e),
            }),
            // Said only if it holds the name this certificate needs.
            Err(EntryProblem::NotAFile) => {}
        }
    }
    let (first, mut previous_digest) = chain::next_link(&station, &verified);
    let issued_at = match &inputs.issued_at {
        Some(t) => t.clone(),
        None => crate::sys::clock::now_rfc3339(),
    };
    let mut sequence = first;
    while sequence <= first.saturating_add(MAX_SKIPPED) {
        let link = ChainLink {
            station_key_id: station.clone(),
            sequence,
            previous_digest: previous_digest.clone(),
        };
        let cert = build_certificate(
            &inputs,
            issued_at.clone(),
            link,
            crate::model::tool_version(),
        );
        let envelope = envelope::seal(cert, key)?;
        let name = format!("{}.json", certificate_id(&station, sequence));
        match atomic::write_new(out_dir, &name, &envelope::to_file_bytes(&envelope), 0o644) {
            Ok(path) => return Ok(path),
            Err(AtomicWriteError::Exists { .. }) => {}
            Err(source) => {
                return Err(IssueError::Write {
                    path: out_dir.into(),
                    source,
                });
            }
        }
        // The name is taken: by this station's certificate of that sequence (written since the
        // folder was read), which becomes the head; or by anything else, which is skipped.
        let (occupant, error) = match atomic::read_entry(out_dir, &name) {
            Ok(bytes) => match envelope::verify(&bytes, Some(&public)) {
                Ok(v) if v.envelope.certificate.chain.sequence == sequence => {
                    previous_digest = Some(v.digest);
                    sequence += 1;
                    continue;
                }
                Ok(v) => (
                    Occupant::NotACertificate,
                    Some(format!(
                        "a certificate of sequence {} under another name",
                        v.envelope.certificate.chain.sequence
                    )),
                ),
                Err(e) => (Occupant::NotACertificate, Some(error_chain(&e))),
            },
            Err(EntryProblem::NotAFile) => (Occupant::NotAFile, None),
            Err(EntryProblem::Unreadable(e)) => (Occupant::Unreadable, Some(error_chain(&e))),
        };
        // Said once: as the sequence it made this certificate skip.
        inputs
            .incidents
            .retain(|i| !matches!(i, Incident::FileUnreadable { file, .. } if *file == name));
        inputs.incidents.push(Incident::SequenceSkipped {
            sequence,
            file: name,
            occupant,
            error,
        });
        sequence += 1;
    }
    Err(IssueError::NoFreeSequence {
        path: out_dir.into(),
        first,
        last: sequence - 1,
    })
}
