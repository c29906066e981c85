//! Nothing before the certificate can block it (issue 21, item 8): whatever holds the file name
//! of the next sequence number — a corrupt file, a folder, a broken link, a file that cannot be
//! read, another station's certificate, a copy of an older one — the certificate is written at
//! the next free sequence and says which sequence it skipped and why; a file of the folder that
//! cannot be read is said too. Two issuers on one folder chain one after the other.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use reprise::cert::issue::issue_certificate;
use reprise::cert::model::{Certificate, Incident, Language, Occupant};
use reprise::cert::{chain, envelope, render};

use crate::support::certs;

/// The TEST key's certificate file name for `sequence`.
fn name(sequence: u64) -> String {
    format!("f8889d3b4fd36bcb-{sequence:08}.json")
}

fn issue(dir: &Path, lang: Language) -> PathBuf {
    issue_certificate(
        certs::inputs("wipe-passed.json", lang, "2026-12-01T10:00:00.000Z"),
        &certs::test_key(),
        dir,
    )
    .unwrap()
}

fn read(path: &Path) -> envelope::Verified {
    envelope::verify(
        &std::fs::read(path).unwrap(),
        Some(&certs::test_key().verifying_key()),
    )
    .unwrap()
}

fn incidents(c: &Certificate) -> Vec<&Incident> {
    c.incidents.iter().map(|i| &i.incident).collect()
}

#[test]
fn a_corrupt_file_at_the_next_name_is_skipped_and_said() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name(1)), b"{\"certificate\": {\"id\": ").unwrap();
    let path = issue(dir.path(), Language::En);
    assert_eq!(path.file_name().unwrap().to_str().unwrap(), name(2));
    let second = read(&path);
    let c = &second.envelope.certificate;
    assert_eq!(
        (c.chain.sequence, c.chain.previous_digest.as_deref()),
        (2, None)
    );
    match incidents(c)[..] {
        [
            Incident::SequenceSkipped {
                sequence: 1,
                file,
                occupant: Occupant::NotACertificate,
                error: Some(error),
            },
        ] => {
            assert_eq!(*file, name(1));
            assert!(!error.is_empty());
        }
        ref other => panic!("{other:?}"),
    }
    assert!(
        c.incidents[0].message.starts_with(&format!(
            "sequence number 1 skipped: its file name {} is held by a file that is not a certificate of this station (",
            name(1)
        )),
        "{}",
        c.incidents[0].message
    );
    let text = render::text(c, &second.digest);
    assert!(
        text.contains("Incidents\n  Incident  sequence number 1 skipped"),
        "{text}"
    );
    // The corrupt file is untouched: nothing is ever overwritten.
    assert_eq!(
        std::fs::read(dir.path().join(name(1))).unwrap(),
        b"{\"certificate\": {\"id\": "
    );
    // The next one chains after it, with nothing to say.
    let third = read(&issue(dir.path(), Language::Fr));
    let c3 = &third.envelope.certificate;
    assert_eq!(c3.chain.sequence, 3);
    assert_eq!(
        c3.chain.previous_digest.as_deref(),
        Some(second.digest.as_str())
    );
    assert!(c3.incidents.is_empty());
    // The folder check: the damaged file is still there and said (it verifies as nothing),
    // but #1 is no deletion — the second certificate's signed content declares it skipped, and
    // its link goes to what came before the skip (nothing). Without the declaration, the same
    // hole is a deletion.
    let files: Vec<_> = [name(1), name(2), name(3)]
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.path().join(&n)).unwrap();
            (n, envelope::verify(&bytes, None))
        })
        .collect();
    let report = chain::check(files);
    let gaps: Vec<String> = report.gaps.iter().map(ToString::to_string).collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!(
        gaps[0].starts_with(&format!("{}: invalid", name(1))),
        "{gaps:?}"
    );
    assert_eq!(
        report
            .skipped
            .iter()
            .map(|s| (s.sequence, s.by.clone()))
            .collect::<Vec<_>>(),
        [(1, name(2))]
    );
    let undeclared = [&second, &third].map(|v| {
        let mut l = chain::Link::of(v.envelope.certificate.id.clone(), v);
        l.skipped.clear();
        l
    });
    let (_, gaps) = chain::check_station(&second.key_id, undeclared.to_vec());
    assert_eq!(
        gaps.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            format!(
                "station {}: certificate #1 is missing (deleted)",
                second.key_id
            ),
            format!(
                "station {}: {} (#2) has no link to its predecessor",
                second.key_id,
                name(2).trim_end_matches(".json")
            ),
        ]
    );
}

#[test]
fn whatever_holds_the_name_never_blocks_the_certificate() {
    type Setup = fn(&Path);
    let cases: [(&str, Setup, Occupant, bool); 5] = [
        (
            "a folder",
            |d| std::fs::create_dir(d.join(name(1))).unwrap(),
            Occupant::NotAFile,
            false,
        ),
        (
            "a broken link",
            |d| std::os::unix::fs::symlink("/nonexistent/reprise", d.join(name(1))).unwrap(),
            Occupant::NotAFile,
            false,
        ),
        (
            // Read as root too: the kernel refuses to read address 0 of a process's memory.
            "a file that cannot be read",
            |d| std::os::unix::fs::symlink("/proc/self/mem", d.join(name(1))).unwrap(),
            Occupant::Unreadable,
            true,
        ),
        (
            "another station's certificate",
            |d| {
                let other = tempfile::tempdir().unwrap();
                let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
                let p = issue_certificate(
                    certs::inputs("wipe-passed.json", Language::En, "2026-12-01T10:00:00.000Z"),
                    &key,
                    other.path(),
                )
                .unwrap();
                std::fs::copy(p, d.join(name(1))).unwrap();
            },
            Occupant::NotACertificate,
            true,
        ),
        (
            "this station's first certificate, copied under the next name",
            |d| {
                let first = issue(d, Language::En);
                std::fs::copy(first, d.join(name(2))).unwrap();
            },
            Occupant::NotACertificate,
            true,
        ),
    ];
    for (what, setup, occupant, says_why) in cases {
        let dir = tempfile::tempdir().unwrap();
        setup(dir.path());
        let taken = if what.starts_with("this station") {
            2
        } else {
            1
        };
        let path = issue(dir.path(), Language::En);
        assert_eq!(
            path.file_name().unwrap().to_str().unwrap(),
            name(taken + 1),
            "{what}"
        );
        let v = read(&path);
        let c = &v.envelope.certificate;
        assert_eq!(c.chain.sequence, taken + 1, "{what}");
        // Said once, as the skipped sequence (not also as a file that cannot be read).
        match incidents(c)[..] {
            [
                Incident::SequenceSkipped {
                    sequence,
                    file,
                    occupant: o,
                    error,
                },
            ] => {
                assert_eq!(
                    (*sequence, file.as_str(), *o),
                    (taken, name(taken).as_str(), occupant),
                    "{what}"
                );
                assert_eq!(error.is_some(), says_why, "{what}: {error:?}");
            }
            ref other => panic!("{what}: {other:?}"),
        }
    }
    // The copy says what it is.
    let dir = tempfile::tempdir().unwrap();
    let first = issue(dir.path(), Language::En);
    std::fs::copy(first, dir.path().join(name(2))).unwrap();
    let c = read(&issue(dir.path(), Language::En)).envelope.certificate;
    assert!(
        c.incidents[0]
            .message
            .contains("(a certificate of sequence 1 under another name)"),
        "{}",
        c.incidents[0].message
    );
}

/// A file of the folder that cannot be read may be a later certificate of this station: the
/// certificate is written, and says so.
#[test]
fn an_unreadable_file_of_the_folder_is_said() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/proc/self/mem", dir.path().join("lost.json")).unwrap();
    let v = read(&issue(dir.path(), Language::Fr));
    let c = &v.envelope.certificate;
    assert_eq!(c.chain.sequence, 1);
    match incidents(c)[..] {
        [Incident::FileUnreadable { file, error }] => {
            assert_eq!(file, "lost.json");
            assert!(!error.is_empty());
        }
        ref other => panic!("{other:?}"),
    }
    assert!(
        c.incidents[0]
            .message
            .starts_with("le fichier lost.json du dossier des certificats n'a pas pu être lu ("),
        "{}",
        c.incidents[0].message
    );
}

/// Two runs issuing into one folder at once: whichever writes second finds the name taken by a
/// certificate of its own station, and chains after it — no skip, nothing to say, no error.
#[test]
fn two_issuers_at_once_chain_one_after_the_other() {
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let issued: Vec<PathBuf> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let barrier = Arc::clone(&barrier);
                    let dir = dir.path();
                    s.spawn(move || {
                        barrier.wait();
                        issue(dir, Language::En)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut v: Vec<envelope::Verified> = issued.iter().map(|p| read(p)).collect();
        v.sort_by_key(|v| v.envelope.certificate.chain.sequence);
        let (a, b) = (&v[0].envelope.certificate, &v[1].envelope.certificate);
        assert_eq!((a.chain.sequence, b.chain.sequence), (1, 2));
        assert_eq!(
            b.chain.previous_digest.as_deref(),
            Some(v[0].digest.as_str())
        );
        assert!(a.incidents.is_empty() && b.incidents.is_empty());
    }
}
