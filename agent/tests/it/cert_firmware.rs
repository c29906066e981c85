//! Certificates of firmware erases: what the drive was asked and answered (the sanitize status
//! before and after the command), the canary check (its rule, its canary count, its digest
//! matching the report's samples), the plan's explanations in the certificate's language,
//! hidden areas before and after — and a Purge asked for but not possible stated as such:
//! "Purge requested, Clear performed", with the reason. `cert issue` refuses a firmware record
//! whose check had no canaries.

use reprise::cert::build::build_certificate;
use reprise::cert::model::{CanaryRule, ChainLink, Completion, Language, PostErase};
use reprise::cert::render;
use reprise::model::{Level, MediaType};
use reprise::wipe::VerifySpec;
use reprise::wipe::report::DeviceWipe;

use crate::support::certs;
use crate::support::cli::reprise;
use crate::support::drives;
use drives::*;

fn link() -> ChainLink {
    ChainLink {
        station_key_id: "sha256:00".into(),
        sequence: 1,
        previous_digest: None,
    }
}

/// The T480 fixture's NVMe disk, purged by a simulated Sanitize (crypto erase).
fn purged() -> DeviceWipe {
    let mut d = samsung_pm();
    let probe = certs::probe();
    let mut id = probe.disks[0].identity();
    id.size_bytes = SECTORS * 512;
    let media = d.media(1).clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    run1(
        &mut d,
        &media,
        &plan_of(&id, s, VerifySpec::Sample { permille: 100 }),
    )
}

#[test]
fn a_firmware_purge_certificate_says_what_the_drive_did() {
    let w = purged();
    assert!(w.is_sanitized());
    let mut inputs = certs::inputs("wipe-passed.json", Language::En, "2026-12-01T10:00:00.000Z");
    inputs.wipe.devices = vec![w.clone()];
    inputs.wipe.requested_level = Some(Level::Purge);
    let key = certs::test_key();
    let station = ChainLink {
        station_key_id: reprise::cert::sign::key_id(&key.verifying_key()),
        ..link()
    };
    let cert = build_certificate(
        &inputs,
        "2026-12-01T10:00:00.000Z".into(),
        station,
        "t".into(),
    );
    let d = &cert.sanitization[0];
    assert_eq!(d.level, Level::Purge);
    assert_eq!(d.requested_level, None, "asked and performed agree");
    assert_eq!(d.technique, "nvme-sanitize-crypto");
    assert!(d.sanitized);
    let fw = d.firmware.as_ref().unwrap();
    assert!(fw.observed_in_progress && fw.reported_success);
    assert_eq!(fw.completion, Completion::Completed);
    assert_eq!(
        fw.status_before.as_deref(),
        Some("SSTAT 0000h, SCDW10 00000000h")
    );
    assert_eq!(
        fw.status_after.as_deref(),
        Some("SSTAT 0101h, SCDW10 0000000Ch")
    );
    let c = d.verification.firmware_check.as_ref().unwrap();
    assert!(c.passed);
    assert_eq!(c.digests, w.firmware_check.as_ref().unwrap().digest());
    // The rule and the canary count, stated.
    assert_eq!(c.canary_rule, Some(CanaryRule::Differs));
    assert_eq!(c.rule, PostErase::Changed);
    assert_eq!(c.canaries, Some(c.blocks_checked));
    assert_eq!(c.wrong_content_blocks, Some(0));
    let json = serde_json::to_value(c).unwrap();
    assert_eq!(json["canary_rule"], "differs_from_canary");
    assert_eq!(json["canaries"], c.blocks_checked);
    assert!(d.explanations[0].explanation.is_chosen());
    assert_eq!(
        d.explanations[0].message,
        "NVMe Sanitize, crypto erase: supported — the fastest Purge"
    );
    // Integers and strings only: the canonical form exists, and it signs and verifies.
    let env = reprise::cert::envelope::seal(cert.clone(), &key).unwrap();
    let bytes = reprise::cert::envelope::to_file_bytes(&env);
    let v = reprise::cert::envelope::verify(&bytes, Some(&key.verifying_key())).unwrap();
    assert_eq!(v.envelope.certificate, cert);
    let text = render::text(&cert, &v.digest);
    assert!(
        text.contains("PURGE — nvme-sanitize-crypto (none, 0 pass(es))"),
        "{text}"
    );
    assert!(text.contains("NVMe Sanitize (84h), crypto erase"), "{text}");
    assert!(
        text.contains("sanitize status SSTAT 0000h, SCDW10 00000000h → SSTAT 0101h"),
        "{text}"
    );
    let canaries = format!(
        "{} canaries, {} blocks, 0 still their canary",
        c.blocks_checked, c.blocks_checked
    );
    assert!(text.contains("Canary check"), "{text}");
    assert!(text.contains(&canaries), "{text}");
    assert!(
        text.contains("each sampled block written with random bytes before the erase, and none of them left afterwards (differs_from_canary)"),
        "{text}"
    );
    assert!(!text.contains("Before/after check"), "{text}");
    assert!(text.contains("the fastest Purge"), "{text}");
    let mut fr = cert.clone();
    fr.language = Language::Fr;
    let text = render::text(&fr, &v.digest);
    assert!(text.contains("Contrôle par témoins"), "{text}");
    assert!(
        text.contains("d'octets aléatoires avant l'effacement"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} témoins", c.blocks_checked)),
        "{text}"
    );
}

/// `cert issue` reads a wipe report from a file: a firmware Purge whose check has no canaries
/// (a check that blank media could pass for a drive that erased nothing) is refused, nothing
/// issued; the same record with its canaries is issued.
#[test]
fn cert_issue_refuses_a_firmware_check_without_canaries() {
    let dir = tempfile::tempdir().unwrap();
    let w = purged();
    let mut report = certs::wipe("wipe-passed.json");
    report.devices = vec![w.clone()];
    let mut old = w.clone();
    let c = old.firmware_check.as_mut().unwrap();
    c.canaries = None;
    c.wrong_content_blocks = None;
    for (what, device, ok) in [("with canaries", w, true), ("without", old, false)] {
        report.devices = vec![device];
        let path = dir.path().join(format!("report-{ok}.json"));
        std::fs::write(&path, serde_json::to_vec(&report).unwrap()).unwrap();
        let out = dir.path().join(format!("certs-{ok}"));
        let key = certs::fixtures().join("key/test-station.key");
        let o = reprise(&[
            "cert",
            "issue",
            "--report",
            path.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--operator",
            "A",
            "--site",
            "S",
            "--out",
            out.to_str().unwrap(),
            "--probe",
            certs::fixtures().join("probe-t480.json").to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        if ok {
            assert!(o.status.success(), "{what}: {err}");
            assert_eq!(certs::json_files(&out).len(), 1);
        } else {
            assert_eq!(o.status.code(), Some(1), "{what}: {err}");
            assert!(err.contains("without canaries"), "{what}: {err}");
            assert!(!out.exists() || certs::json_files(&out).is_empty());
        }
    }
}

#[test]
fn purge_requested_clear_performed_says_why_in_both_languages() {
    // The 860 EVO: its only erase is a Clear on an SSD.
    let mut d = samsung_860();
    let mut id = ata_identity(&d, MediaType::Ssd);
    id.id = certs::probe().disks[0].id.clone();
    let media = d.media().clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(
        &mut d,
        &media,
        &plan_of(&id, s, VerifySpec::Sample { permille: 100 }),
    );
    assert!(w.is_sanitized(), "{:#?}", w.errors);
    assert_eq!((w.level, w.technique.as_str()), (Level::Clear, "overwrite"));
    for (lang, words, plan_words) in [
        (
            Language::En,
            "PURGE requested, CLEAR performed (see Plan)",
            "Purge asked for, but this disk offers no Purge: Clear, not Purge",
        ),
        (
            Language::Fr,
            "PURGE demandé, CLEAR effectué (voir Plan)",
            "Purge demandé, mais ce disque n'en offre aucun : Clear, pas Purge",
        ),
    ] {
        let mut inputs = certs::inputs("wipe-passed.json", lang, "2026-12-01T10:00:00.000Z");
        inputs.wipe.devices = vec![w.clone()];
        inputs.wipe.requested_level = Some(Level::Purge);
        let cert = build_certificate(
            &inputs,
            "2026-12-01T10:00:00.000Z".into(),
            link(),
            "t".into(),
        );
        let d = &cert.sanitization[0];
        assert_eq!(d.level, Level::Clear);
        assert_eq!(d.requested_level, Some(Level::Purge));
        assert!(d.firmware.is_none());
        assert!(
            d.explanations.iter().any(|e| e.message == plan_words),
            "{:#?}",
            d.explanations
        );
        // Hidden areas were checked: recorded as numbers, not "not checked".
        assert_eq!(d.hidden_areas.hpa_sectors_before, Some(0));
        assert_eq!(d.hidden_areas.dco_sectors_after, Some(0));
        let text = render::text(&cert, "sha256:00");
        assert!(text.contains(words), "{text}");
        assert!(text.contains(plan_words), "{text}");
    }
}
