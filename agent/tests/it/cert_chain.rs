//! The per-station hash chain: deletions, reorderings, forks and swapped files are each named.

use std::path::Path;

use ed25519_dalek::SigningKey;
use reprise::cert::build::build_certificate;
use reprise::cert::chain::{self, Gap};
use reprise::cert::envelope;
use reprise::cert::issue::issue_certificate;
use reprise::cert::model::{ChainLink, Language};
use reprise::cert::sign;

use crate::support::certs;

fn issue_n(dir: &Path, key: &SigningKey, n: u64) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let at = format!("2026-11-26T10:{i:02}:00.000Z");
            let p = issue_certificate(
                certs::inputs("wipe-passed.json", Language::En, &at),
                key,
                dir,
            )
            .unwrap();
            p.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect()
}

fn check_dir(dir: &Path) -> chain::ChainReport {
    let files = reprise::sys::atomic::read_json_files(dir).unwrap();
    chain::check(
        files
            .into_iter()
            .map(|(n, b)| (n, envelope::verify(&b, None)))
            .collect(),
    )
}

/// A certificate with an arbitrary link, signed by `key`; returns (file name, bytes, digest).
fn forge(
    key: &SigningKey,
    sequence: u64,
    previous_digest: Option<String>,
    minute: u32,
) -> (String, Vec<u8>, String) {
    let link = ChainLink {
        station_key_id: sign::key_id(&key.verifying_key()),
        sequence,
        previous_digest,
    };
    let inputs = certs::inputs(
        "wipe-passed.json",
        Language::En,
        &format!("2026-11-26T11:{minute:02}:00.000Z"),
    );
    let cert = build_certificate(
        &inputs,
        inputs.issued_at.clone().unwrap(),
        link,
        "reprise test".into(),
    );
    let env = envelope::seal(cert, key).unwrap();
    let digest = envelope::certificate_digest(&env.certificate).unwrap();
    (
        format!("{}.json", env.certificate.id),
        envelope::to_file_bytes(&env),
        digest,
    )
}

#[test]
fn an_intact_chain_has_no_gap_and_links_each_certificate_to_the_previous() {
    let dir = tempfile::tempdir().unwrap();
    let key = certs::test_key();
    let names = issue_n(dir.path(), &key, 4);
    let report = check_dir(dir.path());
    assert!(report.is_intact(), "{:?}", report.gaps);
    let station = sign::key_id(&key.verifying_key());
    let seqs: Vec<u64> = report.stations[&station].iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
    assert_eq!(names[3], format!("{}-00000004.json", &station[7..23]));
}

#[test]
fn deletions_are_named_with_their_sequence_numbers() {
    let key = certs::test_key();
    for (deleted, expected) in [
        (vec![3], vec![(3, 3)]),
        (vec![1], vec![(1, 1)]),
        (vec![2, 3], vec![(2, 3)]),
        (vec![2, 4], vec![(2, 2), (4, 4)]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let names = issue_n(dir.path(), &key, 5);
        for d in &deleted {
            std::fs::remove_file(dir.path().join(&names[*d - 1])).unwrap();
        }
        let report = check_dir(dir.path());
        let missing: Vec<(u64, u64)> = report
            .gaps
            .iter()
            .map(|g| match g {
                Gap::Missing { from, to, .. } => (*from, *to),
                other => panic!("unexpected gap {other}"),
            })
            .collect();
        assert_eq!(missing, expected, "deleted {deleted:?}");
        assert!(report.gaps[0].to_string().contains("missing (deleted)"));
    }
}

#[test]
fn issuing_after_a_deletion_keeps_numbering_from_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let key = certs::test_key();
    let names = issue_n(dir.path(), &key, 3);
    std::fs::remove_file(dir.path().join(&names[1])).unwrap();
    let next = issue_n(dir.path(), &key, 1);
    assert!(next[0].ends_with("-00000004.json"), "{next:?}");
    let report = check_dir(dir.path());
    assert_eq!(report.gaps.len(), 1, "{:?}", report.gaps);
    assert!(matches!(
        report.gaps[0],
        Gap::Missing { from: 2, to: 2, .. }
    ));
}

#[test]
fn a_reordered_chain_is_named() {
    // #3 links to #1 instead of #2: the certificates were re-sequenced.
    let dir = tempfile::tempdir().unwrap();
    let key = certs::test_key();
    let (n1, b1, d1) = forge(&key, 1, None, 1);
    let (n2, b2, _) = forge(&key, 2, Some(d1.clone()), 2);
    let (n3, b3, _) = forge(&key, 3, Some(d1), 3);
    for (n, b) in [(n1, b1), (n2, b2), (n3.clone(), b3)] {
        std::fs::write(dir.path().join(n), b).unwrap();
    }
    let report = check_dir(dir.path());
    assert_eq!(report.gaps.len(), 1, "{:?}", report.gaps);
    match &report.gaps[0] {
        Gap::BrokenLink {
            file,
            sequence: 3,
            detail,
            ..
        } => {
            assert_eq!(file, &n3);
            assert!(
                detail.contains("links to #1 instead of #2 (reordered)"),
                "{detail}"
            );
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn swapped_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let key = certs::test_key();
    let names = issue_n(dir.path(), &key, 3);
    let (a, b) = (dir.path().join(&names[0]), dir.path().join(&names[2]));
    let tmp = dir.path().join("swap");
    std::fs::rename(&a, &tmp).unwrap();
    std::fs::rename(&b, &a).unwrap();
    std::fs::rename(&tmp, &b).unwrap();
    let report = check_dir(dir.path());
    let misnamed: Vec<&str> = report
        .gaps
        .iter()
        .filter_map(|g| match g {
            Gap::Misnamed { file, .. } => Some(file.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(misnamed, [names[0].as_str(), names[2].as_str()]);
}

#[test]
fn a_fork_and_a_foreign_link_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let key = certs::test_key();
    let (n1, b1, d1) = forge(&key, 1, None, 1);
    let (_, b2a, _) = forge(&key, 2, Some(d1.clone()), 2);
    let (_, b2b, _) = forge(&key, 2, Some(d1), 3);
    let (n3, b3, _) = forge(&key, 3, Some(format!("sha256:{}", "0".repeat(64))), 4);
    std::fs::write(dir.path().join(n1), b1).unwrap();
    std::fs::write(dir.path().join("fork-a.json"), b2a).unwrap();
    std::fs::write(dir.path().join("fork-b.json"), b2b).unwrap();
    std::fs::write(dir.path().join(&n3), b3).unwrap();
    let report = check_dir(dir.path());
    assert!(report.gaps.iter().any(|g| matches!(g, Gap::Fork { sequence: 2, files, .. } if files == &["fork-a.json", "fork-b.json"])), "{:?}", report.gaps);
    assert!(report.gaps.iter().any(|g| matches!(g, Gap::BrokenLink { sequence: 3, detail, .. } if detail.contains("replaced or reordered"))), "{:?}", report.gaps);
}

#[test]
fn stations_are_checked_separately_and_invalid_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    issue_n(dir.path(), &certs::test_key(), 2);
    issue_n(dir.path(), &sign::generate().unwrap(), 3);
    assert!(check_dir(dir.path()).is_intact());
    assert_eq!(check_dir(dir.path()).stations.len(), 2);
    std::fs::write(dir.path().join("junk.json"), b"{\"certificate\":{}}").unwrap();
    let report = check_dir(dir.path());
    assert!(
        matches!(&report.gaps[..], [Gap::Invalid { file, .. }] if file == "junk.json"),
        "{:?}",
        report.gaps
    );
}
