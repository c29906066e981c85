//! The per-station hash chain, and the check of a folder of certificates against it.
//!
//! Each certificate carries `chain.sequence` (1, 2, 3, ... per station key) and
//! `chain.previous_digest`: the `sha256:<hex>` of the canonical (JCS) bytes of the previous
//! certificate's *content* (the signed `certificate` member, not the envelope). The content was
//! chosen because it is exactly what is signed and what the QR code shows: the same digest names
//! a certificate everywhere, and re-encoding the envelope (pretty or compact JSON) cannot
//! change it.
//!
//! What the check can see: a missing sequence number (deletion), two certificates with one
//! sequence number (fork), a link that does not name its predecessor (reordering or
//! replacement), a file whose name is not its certificate's id (renamed or swapped files). What
//! it cannot see alone: deletion of the newest certificates (nothing links to them yet); the
//! collector, which has seen later ones, can.

use std::collections::BTreeMap;

use super::envelope::{Verified, VerifyError};

/// One problem found in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// A file that does not verify.
    Invalid { file: String, reason: String },
    /// The file name is not `<certificate id>.json`.
    Misnamed { file: String, id: String },
    /// Sequence numbers `from..=to` of this station are absent: deleted certificates.
    Missing { station: String, from: u64, to: u64 },
    /// Several certificates claim the same sequence number.
    Fork {
        station: String,
        sequence: u64,
        files: Vec<String>,
    },
    /// `file` (sequence n) does not link to the certificate with sequence n - 1.
    BrokenLink {
        station: String,
        file: String,
        sequence: u64,
        detail: String,
    },
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gap::Invalid { file, reason } => write!(f, "{file}: invalid: {reason}"),
            Gap::Misnamed { file, id } => {
                write!(
                    f,
                    "{file}: holds certificate {id} (renamed or swapped file)"
                )
            }
            Gap::Missing { station, from, to } if from == to => {
                write!(
                    f,
                    "station {station}: certificate #{from} is missing (deleted)"
                )
            }
            Gap::Missing { station, from, to } => {
                write!(
                    f,
                    "station {station}: certificates #{from} to #{to} are missing (deleted)"
                )
            }
            Gap::Fork {
                station,
                sequence,
                files,
            } => {
                write!(
                    f,
                    "station {station}: fork: #{sequence} is claimed by {}",
                    files.join(", ")
                )
            }
            Gap::BrokenLink {
                station,
                file,
                sequence,
                detail,
            } => {
                write!(f, "station {station}: {file} (#{sequence}) {detail}")
            }
        }
    }
}

/// The outcome of a folder check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainReport {
    /// Valid certificates per station key id: (sequence, file), in sequence order.
    pub stations: BTreeMap<String, Vec<(u64, String)>>,
    pub gaps: Vec<Gap>,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.gaps.is_empty()
    }
}

/// Checks the chain over already-verified files: `(file name, verification result)`.
pub fn check(files: Vec<(String, Result<Verified, VerifyError>)>) -> ChainReport {
    let mut report = ChainReport::default();
    let mut by_station: BTreeMap<String, Vec<(String, Verified)>> = BTreeMap::new();
    for (file, result) in files {
        match result {
            Err(e) => report.gaps.push(Gap::Invalid {
                file,
                reason: crate::error_chain(&e),
            }),
            Ok(v) => {
                let id = &v.envelope.certificate.id;
                if file != format!("{id}.json") {
                    report.gaps.push(Gap::Misnamed {
                        file: file.clone(),
                        id: id.clone(),
                    });
                }
                by_station
                    .entry(v.key_id.clone())
                    .or_default()
                    .push((file, v));
            }
        }
    }
    for (station, mut certs) in by_station {
        certs.sort_by(|a, b| {
            (a.1.envelope.certificate.chain.sequence, &a.0)
                .cmp(&(b.1.envelope.certificate.chain.sequence, &b.0))
        });
        let seq_of = |v: &Verified| v.envelope.certificate.chain.sequence;
        let digest_to_seq: BTreeMap<&str, u64> = certs
            .iter()
            .map(|(_, v)| (v.digest.as_str(), seq_of(v)))
            .collect();
        let mut expected_next = 1u64;
        let mut i = 0;
        while i < certs.len() {
            let seq = seq_of(&certs[i].1);
            let group_end = certs[i..]
                .iter()
                .position(|(_, v)| seq_of(v) != seq)
                .map_or(certs.len(), |p| i + p);
            if group_end - i > 1 {
                report.gaps.push(Gap::Fork {
                    station: station.clone(),
                    sequence: seq,
                    files: certs[i..group_end].iter().map(|(f, _)| f.clone()).collect(),
                });
            }
            if seq > expected_next {
                report.gaps.push(Gap::Missing {
                    station: station.clone(),
                    from: expected_next,
                    to: seq - 1,
                });
            }
            // Only check links into a predecessor we hold; a missing one is already reported.
            let predecessors: Vec<&Verified> = certs[..i]
                .iter()
                .filter(|(_, v)| seq_of(v) + 1 == seq)
                .map(|(_, v)| v)
                .collect();
            for (file, v) in &certs[i..group_end] {
                let prev = v.envelope.certificate.chain.previous_digest.as_deref();
                let detail = match (seq, prev) {
                    (0, _) => Some("has sequence 0 (sequences start at 1)".to_string()),
                    (1, None) => None,
                    (1, Some(d)) => Some(format!("is first but links to {d}")),
                    (_, None) => Some("has no link to its predecessor".to_string()),
                    (_, Some(d)) if predecessors.is_empty() => {
                        // Predecessor deleted (reported as Missing) unless the link points elsewhere.
                        digest_to_seq
                            .get(d)
                            .map(|other| format!("links to #{other} instead of #{}", seq - 1))
                    }
                    (_, Some(d)) if predecessors.iter().any(|p| p.digest == d) => None,
                    (_, Some(d)) => Some(match digest_to_seq.get(d) {
                        Some(other) => {
                            format!("links to #{other} instead of #{} (reordered)", seq - 1)
                        }
                        None => {
                            format!("links to {d}, not to #{} (replaced or reordered)", seq - 1)
                        }
                    }),
                };
                if let Some(detail) = detail {
                    report.gaps.push(Gap::BrokenLink {
                        station: station.clone(),
                        file: file.clone(),
                        sequence: seq,
                        detail,
                    });
                }
                report
                    .stations
                    .entry(station.clone())
                    .or_default()
                    .push((seq, file.clone()));
            }
            expected_next = seq.saturating_add(1);
            i = group_end;
        }
    }
    report
}

/// The link a new certificate of `station` must carry, from the station's verified certificates:
/// (next sequence, digest of the newest). Forks are resolved towards the highest sequence.
pub fn next_link<'a>(
    station: &str,
    existing: impl IntoIterator<Item = &'a Verified>,
) -> (u64, Option<String>) {
    existing
        .into_iter()
        .filter(|v| v.key_id == station)
        .max_by_key(|v| v.envelope.certificate.chain.sequence)
        .map_or((1, None), |v| {
            (
                v.envelope.certificate.chain.sequence + 1,
                Some(v.digest.clone()),
            )
        })
}
