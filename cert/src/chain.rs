//! The per-station hash chain, and the check of a folder of certificates against it.
//!
//! A certificate's id is its station's and sequence's ([`certificate_id`]). Each certificate
//! carries `chain.sequence` (1, 2, 3, ... per station key) and
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
//!
//! A sequence number can be skipped honestly: when its file name was held by something that is
//! not a certificate of the station (a corrupt file), the issuer took the next free number and
//! said so in the signed certificate (`Incident::SequenceSkipped`), linking to the certificate
//! before the skipped ones. Such a declared skip is no gap: the signature proves it was there
//! when the certificate was issued, so no deletion made it. It is listed apart
//! ([`ChainReport::skipped`]), and the next certificate's link is checked against the
//! certificate before the skip. An undeclared hole stays a deletion.

use std::collections::BTreeMap;

use super::envelope::{Verified, VerifyError};

// Ids are made where keys are (`sign`): the envelope checks them without the chain.
pub use crate::sign::certificate_id;

/// One problem found in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// A file that does not verify.
    Invalid { file: String, reason: String },
    /// The file name is not `<certificate id>.json`.
    Misnamed { file: String, id: String },
    /// Sequence numbers `from..=to` of this station are absent and no certificate declares them
    /// skipped: deleted certificates.
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
    /// Sequence numbers skipped and declared by the certificate that skipped them: no gap.
    pub skipped: Vec<Skip>,
}

/// A sequence number a certificate declares it skipped (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub station: String,
    pub sequence: u64,
    /// The certificate that declares it.
    pub by: String,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "station {}: #{} skipped, as {} declares (its file was not a certificate)",
            self.station, self.sequence, self.by
        )
    }
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.gaps.is_empty()
    }
}

/// One certificate as the chain sees it: enough to check links without the whole content (the
/// collector checks stations from its indexed columns, not by re-reading every certificate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// How gaps name this certificate: a file name in a folder, a certificate id in the collector.
    pub label: String,
    pub sequence: u64,
    /// `sha256:<hex>` of the certificate's canonical content.
    pub digest: String,
    pub previous_digest: Option<String>,
    /// Sequence numbers this certificate declares it skipped (`Incident::SequenceSkipped`).
    pub skipped: Vec<u64>,
}

impl Link {
    /// The link of a verified certificate, labelled `label`.
    pub fn of(label: String, v: &Verified) -> Link {
        let chain = &v.envelope.certificate.chain;
        Link {
            label,
            sequence: chain.sequence,
            digest: v.digest.clone(),
            previous_digest: chain.previous_digest.clone(),
            skipped: declared_skips(&v.envelope.certificate),
        }
    }
}

/// The sequence numbers `c` declares it skipped.
pub fn declared_skips(c: &crate::model::Certificate) -> Vec<u64> {
    c.incidents
        .iter()
        .filter_map(|i| match i.incident {
            crate::model::Incident::SequenceSkipped { sequence, .. } => Some(sequence),
            _ => None,
        })
        .collect()
}

/// Checks the chain over already-verified files: `(file name, verification result)`.
pub fn check(files: Vec<(String, Result<Verified, VerifyError>)>) -> ChainReport {
    let mut report = ChainReport::default();
    let mut by_station: BTreeMap<String, Vec<Link>> = BTreeMap::new();
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
                    .push(Link::of(file, &v));
            }
        }
    }
    for (station, links) in by_station {
        report.skipped.extend(skips(&station, &links));
        let (order, gaps) = check_station(&station, links);
        report.gaps.extend(gaps);
        report.stations.insert(station, order);
    }
    report
}

/// The declared skips among `links` that the chain accepts: each below its declaring
/// certificate, with no certificate of the station holding that number.
pub fn skips(station: &str, links: &[Link]) -> Vec<Skip> {
    let mut out: Vec<Skip> = links
        .iter()
        .flat_map(|l| {
            l.skipped
                .iter()
                .filter(|&&n| n < l.sequence && !links.iter().any(|o| o.sequence == n))
                .map(|&n| Skip {
                    station: station.to_string(),
                    sequence: n,
                    by: l.label.clone(),
                })
        })
        .collect();
    out.sort_by_key(|s| s.sequence);
    out.dedup_by_key(|s| s.sequence);
    out
}

/// Checks the links of one station's certificates, given in any order: missing sequence numbers,
/// forks and broken links. Returns the certificates in sequence order as (sequence, label), and
/// the gaps.
pub fn check_station(station: &str, mut certs: Vec<Link>) -> (Vec<(u64, String)>, Vec<Gap>) {
    let mut order = Vec::with_capacity(certs.len());
    let mut gaps = Vec::new();
    certs.sort_by(|a, b| (a.sequence, &a.label).cmp(&(b.sequence, &b.label)));
    let digest_to_seq: BTreeMap<&str, u64> = certs
        .iter()
        .map(|l| (l.digest.as_str(), l.sequence))
        .collect();
    // A number counts as declared only below the certificate that declares it (a certificate
    // cannot excuse the deletion of a later one).
    let declared: std::collections::BTreeSet<u64> =
        skips(station, &certs).iter().map(|s| s.sequence).collect();
    let mut expected_next = 1u64;
    let mut i = 0;
    while i < certs.len() {
        let seq = certs[i].sequence;
        let group_end = certs[i..]
            .iter()
            .position(|l| l.sequence != seq)
            .map_or(certs.len(), |p| i + p);
        if group_end - i > 1 {
            gaps.push(Gap::Fork {
                station: station.to_string(),
                sequence: seq,
                files: certs[i..group_end]
                    .iter()
                    .map(|l| l.label.clone())
                    .collect(),
            });
        }
        // The holes below this group that no certificate declares skipped: deletions.
        let mut n = expected_next;
        while n < seq {
            if declared.contains(&n) {
                n += 1;
                continue;
            }
            let from = n;
            while n < seq && !declared.contains(&n) {
                n += 1;
            }
            gaps.push(Gap::Missing {
                station: station.to_string(),
                from,
                to: n - 1,
            });
        }
        for l in &certs[i..group_end] {
            // The certificate it must link to: the one before the numbers it declares skipped.
            let mut before = seq.saturating_sub(1);
            while before > 0 && l.skipped.contains(&before) && declared.contains(&before) {
                before -= 1;
            }
            // Only check links into a predecessor we hold; a missing one is already reported.
            let predecessors: Vec<&Link> =
                certs[..i].iter().filter(|p| p.sequence == before).collect();
            let prev = l.previous_digest.as_deref();
            let detail = match (seq, before, prev) {
                (0, _, _) => Some("has sequence 0 (sequences start at 1)".to_string()),
                (_, 0, None) => None,
                (_, 0, Some(d)) => Some(format!("is first but links to {d}")),
                (_, _, None) => Some("has no link to its predecessor".to_string()),
                (_, _, Some(d)) if predecessors.is_empty() => {
                    // Predecessor deleted (reported as Missing) unless the link points elsewhere.
                    digest_to_seq
                        .get(d)
                        .map(|other| format!("links to #{other} instead of #{before}"))
                }
                (_, _, Some(d)) if predecessors.iter().any(|p| p.digest == d) => None,
                (_, _, Some(d)) => Some(match digest_to_seq.get(d) {
                    Some(other) => {
                        format!("links to #{other} instead of #{before} (reordered)")
                    }
                    None => {
                        format!("links to {d}, not to #{before} (replaced or reordered)")
                    }
                }),
            };
            if let Some(detail) = detail {
                gaps.push(Gap::BrokenLink {
                    station: station.to_string(),
                    file: l.label.clone(),
                    sequence: seq,
                    detail,
                });
            }
            order.push((seq, l.label.clone()));
        }
        expected_next = seq.saturating_add(1);
        i = group_end;
    }
    (order, gaps)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn link(label: &str, sequence: u64, digest: &str, previous: Option<&str>) -> Link {
        Link {
            label: label.into(),
            sequence,
            digest: digest.into(),
            previous_digest: previous.map(Into::into),
            skipped: Vec::new(),
        }
    }

    fn skipping(mut l: Link, skipped: &[u64]) -> Link {
        l.skipped = skipped.to_vec();
        l
    }

    #[test]
    fn a_declared_skip_is_no_gap_and_the_link_goes_to_the_certificate_before_it() {
        // #2's file was corrupt when #3 was issued: #3 says so and links to #1.
        let links = vec![
            link("a", 1, "d1", None),
            skipping(link("c", 3, "d3", Some("d1")), &[2]),
            link("d", 4, "d4", Some("d3")),
        ];
        assert_eq!(
            skips("s", &links)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["station s: #2 skipped, as c declares (its file was not a certificate)"]
        );
        let (order, gaps) = check_station("s", links);
        assert!(gaps.is_empty(), "{gaps:?}");
        assert_eq!(order.len(), 3);

        // Two skipped in a row, from the very start: the first certificate is #3, unlinked.
        let (_, gaps) = check_station("s", vec![skipping(link("c", 3, "d3", None), &[1, 2])]);
        assert!(gaps.is_empty(), "{gaps:?}");
    }

    #[test]
    fn a_skip_excuses_nothing_it_does_not_declare() {
        let links = vec![
            link("a", 1, "d1", None),
            // Declares #3 skipped, but #2 is gone too and its link still names #2.
            skipping(link("d", 4, "d4", Some("d2")), &[3]),
            // Declares #4 skipped, though #4 is there: a fork of sorts, not an excuse.
            skipping(link("e", 5, "d5", Some("d4")), &[4]),
            // A later number cannot be excused by an earlier certificate.
            skipping(link("f", 6, "d6", Some("d5")), &[8]),
            link("i", 9, "d9", Some("d8")),
        ];
        let (_, gaps) = check_station("s", links);
        let text: Vec<String> = gaps.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "station s: certificate #2 is missing (deleted)",
                "station s: certificates #7 to #8 are missing (deleted)",
            ]
        );
        // A skip cannot jump over a certificate that is there: the link must name it.
        let (_, gaps) = check_station(
            "s",
            vec![
                link("a", 1, "d1", None),
                link("b", 2, "d2", Some("d1")),
                skipping(link("c", 3, "d3", Some("d1")), &[2]),
            ],
        );
        assert_eq!(
            gaps.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["station s: c (#3) links to #1 instead of #2 (reordered)"]
        );
    }

    #[test]
    fn an_id_is_the_key_prefix_and_the_sequence() {
        let key = "sha256:f8889d3b4fd36bcb9c0ed9347e4a432b10f2037ac9101a644f82dd3e24337045";
        assert_eq!(certificate_id(key, 1), "f8889d3b4fd36bcb-00000001");
        assert_eq!(
            certificate_id(key, 123_456_789),
            "f8889d3b4fd36bcb-123456789"
        );
    }

    #[test]
    fn check_station_names_gaps_forks_and_broken_links_from_links_alone() {
        let intact = vec![
            link("c", 3, "d3", Some("d2")),
            link("a", 1, "d1", None),
            link("b", 2, "d2", Some("d1")),
        ];
        let (order, gaps) = check_station("s", intact);
        assert!(gaps.is_empty(), "{gaps:?}");
        assert_eq!(order, [(1, "a".into()), (2, "b".into()), (3, "c".into())]);

        let broken = vec![
            link("a", 1, "d1", None),
            link("b", 2, "d2", Some("d1")),
            link("b2", 2, "d2x", Some("d1")),
            link("e", 5, "d5", Some("d4")),
            link("f", 6, "d6", Some("d2")),
        ];
        let (_, gaps) = check_station("s", broken);
        let text: Vec<String> = gaps.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "station s: fork: #2 is claimed by b, b2",
                "station s: certificates #3 to #4 are missing (deleted)",
                "station s: f (#6) links to #2 instead of #5 (reordered)",
            ]
        );
    }
}
