//! Golden certificates: issuing from the fixtures with the fixed TEST key and a fixed time gives
//! byte-for-byte the committed files (set REPRISE_UPDATE_GOLDEN=1 to rewrite them, then review
//! the diff), and the committed files verify.

use reprise::cert::issue::issue_certificate;
use reprise::cert::model::{Disposition, Language};
use reprise::cert::{envelope, jcs};
use reprise::verdict::{Decision, Grade};

use crate::support::certs;

#[test]
fn issued_certificates_match_the_golden_files() {
    let dir = tempfile::tempdir().unwrap();
    let key = certs::test_key();
    let first = issue_certificate(
        certs::inputs("wipe-passed.json", Language::En, "2026-11-26T10:00:00.000Z"),
        &key,
        dir.path(),
    )
    .unwrap();
    let second = issue_certificate(
        certs::inputs("wipe-failed.json", Language::Fr, "2026-11-26T10:30:00.000Z"),
        &key,
        dir.path(),
    )
    .unwrap();
    let golden = certs::fixtures().join("golden");
    for path in [first, second] {
        let name = path.file_name().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let golden_path = golden.join(name);
        if std::env::var_os("REPRISE_UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(&golden).unwrap();
            std::fs::write(&golden_path, &bytes).unwrap();
        }
        let expected = std::fs::read(&golden_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with REPRISE_UPDATE_GOLDEN=1)",
                golden_path.display()
            )
        });
        assert!(
            bytes == expected,
            "{} differs from the golden file:\n{}",
            name.to_string_lossy(),
            String::from_utf8_lossy(&bytes)
        );
    }
}

#[test]
fn golden_files_verify_and_say_what_the_fixtures_mean() {
    let golden = certs::fixtures().join("golden");
    let pubkey =
        reprise::cert::sign::verifying_key_from_pem(&certs::read("key/test-station.pub"), "pub")
            .unwrap();
    let names = certs::json_files(&golden);
    assert_eq!(names.len(), 2, "{names:?}");

    let v1 = envelope::verify(
        &std::fs::read(golden.join(&names[0])).unwrap(),
        Some(&pubkey),
    )
    .unwrap();
    let c1 = &v1.envelope.certificate;
    assert_eq!(c1.chain.sequence, 1);
    assert_eq!(c1.chain.previous_digest, None);
    assert_eq!(c1.language, Language::En);
    assert_eq!(c1.sanitization.len(), 1);
    assert!(c1.sanitization[0].sanitized);
    assert_eq!(c1.sanitization[0].disposition, Disposition::Keep);
    assert_eq!(c1.destination, Decision::Refurbish);
    // Battery at 41 % and 4 GiB with a free slot: two fixes.
    assert_eq!(c1.verdict.grade, Grade::C);
    let messages: Vec<&str> = c1
        .verdict
        .actions
        .iter()
        .map(|a| a.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "add RAM: one 4 GiB DDR4 SODIMM module in a free slot (4 GiB installed, 1 free slot(s)) — 20 €",
            "replace battery BAT0 (41 %) — 52.50 €"
        ]
    );
    // The priced plan: each repair's cost, the total and the budget with what it is.
    let costs: Vec<Option<u64>> = c1.verdict.actions.iter().map(|a| a.cost_cents).collect();
    assert_eq!(costs, [Some(2_000), Some(5_250)]);
    assert_eq!(c1.verdict.repair_cost_cents, Some(7_250));
    assert_eq!(c1.verdict.budget_cents, Some(18_000));
    assert!(
        c1.verdict
            .budget_basis
            .as_deref()
            .is_some_and(|b| b.contains("décret du 7 novembre 2022"))
    );

    let v2 = envelope::verify(
        &std::fs::read(golden.join(&names[1])).unwrap(),
        Some(&pubkey),
    )
    .unwrap();
    let c2 = &v2.envelope.certificate;
    assert_eq!(c2.chain.sequence, 2);
    assert_eq!(
        c2.chain.previous_digest.as_deref(),
        Some(v1.digest.as_str())
    );
    assert!(!c2.sanitization[0].sanitized);
    assert_eq!(c2.sanitization[0].disposition, Disposition::Destroy);
    assert_eq!(c2.sanitization[0].errors[0].lba, Some(8_388_608));
    assert_eq!(
        c2.destination,
        Decision::Refurbish,
        "a failed removable disk is destroyed, the laptop kept"
    );
    assert!(
        c2.verdict
            .actions
            .iter()
            .any(|a| a.message == "installer un disque neuf — 45 €")
    );
}

/// The certificates issued before prices (copies of the golden files as they were) still
/// verify and write back their signed bytes; they carry no cost, no total and no budget, and
/// their text shows none.
#[test]
fn certificates_issued_before_prices_keep_verifying_without_costs() {
    let dir = certs::fixtures().join("before-prices");
    let names = certs::json_files(&dir);
    assert_eq!(names.len(), 2, "{names:?}");
    let key = certs::test_key();
    for name in names {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        let v = envelope::verify(&bytes, Some(&key.verifying_key())).unwrap();
        let c = &v.envelope.certificate;
        assert!(c.verdict.actions.iter().all(|a| a.cost_cents.is_none()));
        assert_eq!(
            (c.verdict.repair_cost_cents, c.verdict.budget_cents),
            (None, None)
        );
        assert!(c.verdict.budget_basis.is_none());
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            jcs::to_canonical(c).unwrap(),
            jcs::canonicalize(&value["certificate"]).unwrap(),
            "{name}"
        );
        assert!(!value.to_string().contains("cost_cents"));
        let text = reprise::cert::render::text(c, &v.digest);
        assert!(!text.contains('€') && !text.contains("Budget"), "{text}");
    }
}

/// Reading an issued certificate into the typed content (its closed sets are enums) and writing
/// it again gives exactly the bytes that were signed: the types lose nothing and add nothing.
#[test]
fn golden_files_read_into_types_and_write_back_their_signed_bytes() {
    let golden = certs::fixtures().join("golden");
    for name in certs::json_files(&golden) {
        let bytes = std::fs::read(golden.join(&name)).unwrap();
        let envelope: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let received = &envelope["certificate"];
        let typed: reprise::cert::model::Certificate =
            serde_json::from_value(received.clone()).unwrap();
        assert_eq!(
            jcs::to_canonical(&typed).unwrap(),
            jcs::canonicalize(received).unwrap(),
            "{name:?}"
        );
    }
}
