//! Certificates of firmware erases: what the drive was asked and answered, the before/after
//! check (its digest matching the report's samples), the plan's explanations in the
//! certificate's language, hidden areas before and after — and a Purge asked for but not
//! possible stated as such: "Purge requested, Clear performed", with the reason.

use reprise::cert::build::build_certificate;
use reprise::cert::model::{ChainLink, Completion, Language};
use reprise::cert::render;
use reprise::model::{Level, MediaType};
use reprise::wipe::VerifySpec;
use reprise::wipe::report::DeviceWipe;

use crate::support::certs;
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
    let c = d.verification.firmware_check.as_ref().unwrap();
    assert!(c.passed);
    assert_eq!(c.digests, w.firmware_check.as_ref().unwrap().digest());
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
    assert!(text.contains("Before/after check"), "{text}");
    assert!(text.contains("the fastest Purge"), "{text}");
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
