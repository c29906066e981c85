//! What an overwrite cannot reach is said (issue 21, item 2): a disk only overwritten on a
//! drive with remapped sectors is "Clear, with exception" and goes to Purge (or destruction);
//! HPA and DCO have a state on every path, never "none" when unread; every disk's entry carries
//! its NIST SP 800-88 Rev. 2 validation and the rule that decided it. Certificates issued before
//! these members keep verifying and reading.

use std::collections::BTreeMap;

use reprise::cert::build::build_certificate;
use reprise::cert::model::{
    Certificate, ChainLink, DiskSanitization, Disposition, HiddenAreaState, Language,
    LevelException, ValidationOutcome, ValidationRule,
};
use reprise::cert::{envelope, jcs, render};
use reprise::model::{Level, MediaType, Transport};
use reprise::probe::model::DiskHealth;
use reprise::verdict::{Action, Policy, Reason, RemappedAfterOverwrite};
use reprise::wipe::VerifySpec;
use reprise::wipe::report::{DeviceWipe, HiddenAreas};

use crate::support::certs;
use crate::support::drives::*;

/// The fixture laptop's disk, by its stable name.
const DISK: &str = "nvme:S41GNX0M123456:ns1";

const SAMPLE: VerifySpec = VerifySpec::Sample { permille: 100 };

fn link() -> ChainLink {
    ChainLink {
        station_key_id: "sha256:00".into(),
        sequence: 1,
        previous_digest: None,
    }
}

/// Health as a SATA drive's SMART gives it: `reallocated` and `pending` sectors, else good.
fn remapped(reallocated: u64, pending: u64) -> DiskHealth {
    DiskHealth {
        smart_passed: Some(true),
        reallocated: Some(reallocated),
        pending: Some(pending),
        media_errors: Some(0),
        ..DiskHealth::default()
    }
}

/// A policy that tolerates a few remapped sectors (the disk is not to be replaced for them), so
/// that what is tested is the exception alone.
fn tolerant() -> Policy {
    let mut p = Policy::default();
    p.disk.max_reallocated = 100;
    p.disk.max_pending = 100;
    p
}

/// The certificate of the fixture laptop whose only disk record is `w` (named as the laptop's
/// disk), with `health` for it, decided under `policy`.
fn certificate(w: &DeviceWipe, health: DiskHealth, policy: &Policy, lang: Language) -> Certificate {
    let mut inputs = certs::inputs("wipe-passed.json", lang, "2026-12-01T10:00:00.000Z");
    let mut w = w.clone();
    w.device.id = DISK.parse().unwrap();
    inputs.wipe.devices = vec![w];
    inputs.health = BTreeMap::from([(DISK.parse().unwrap(), health)]);
    inputs.verdict =
        reprise::verdict::evaluate(&inputs.probe, &inputs.wipe, &inputs.health, policy);
    build_certificate(
        &inputs,
        "2026-12-01T10:00:00.000Z".into(),
        link(),
        "t".into(),
    )
}

/// The verdict's actions about the disk (the fixture laptop also has a battery and RAM to see
/// to).
fn disk_actions(c: &Certificate) -> Vec<&Action> {
    c.verdict
        .actions
        .iter()
        .map(|a| &a.action)
        .filter(|a| {
            matches!(
                a,
                Action::PurgeDisk { .. }
                    | Action::DestroyDisk { .. }
                    | Action::ReplaceDisk { .. }
                    | Action::CheckDisk { .. }
                    | Action::SanitizeOrRemoveDisk { .. }
                    | Action::FitNewDisk
            )
        })
        .collect()
}

fn overwritten() -> DeviceWipe {
    certs::wipe("wipe-passed.json").devices[0].clone()
}

fn validation(d: &DiskSanitization) -> (ValidationOutcome, ValidationRule) {
    let v = d
        .validation
        .as_ref()
        .expect("every entry has its validation");
    assert_eq!(v.outcome, v.rule.outcome());
    // A reader of the certificate decides it again from the entry alone, the same way.
    assert_eq!(reprise::cert::validation::decide(d), v.rule);
    (v.outcome, v.rule)
}

#[test]
fn an_overwrite_over_remapped_sectors_is_clear_with_exception_and_goes_to_purge() {
    let w = overwritten();
    for (lang, words, exception) in [
        (
            Language::En,
            "Clear, with exception: 10 remapped sectors not reachable",
            "Exception",
        ),
        (
            Language::Fr,
            "Clear, avec exception : 10 secteurs réalloués hors d'atteinte",
            "Exception",
        ),
    ] {
        let c = certificate(&w, remapped(8, 2), &tolerant(), lang);
        let d = &c.sanitization[0];
        // Still a Clear of every addressable sector, verified: the one truth is unchanged.
        assert!(d.sanitized);
        assert_eq!(d.level, Level::Clear);
        let e = d.exception.as_ref().expect("the exception is said");
        assert_eq!(
            e.exception,
            LevelException::RemappedSectorsUnreachable {
                sectors: "10".into()
            }
        );
        assert_eq!(e.message, words);
        assert_eq!(
            validation(d),
            (
                ValidationOutcome::Escalate,
                ValidationRule::RemappedSectorsUnreachable
            )
        );
        // The verdict sends it to Purge: the drive's own erase reaches remapped sectors.
        assert!(c.verdict.reasons.iter().any(|r| r.reason
            == Reason::RemappedSectorsUnreachable {
                disk: DISK.into(),
                sectors: "10".into()
            }));
        assert_eq!(disk_actions(&c), [&Action::PurgeDisk { disk: DISK.into() }]);
        assert_eq!(d.disposition, Disposition::SanitizeAgain);
        let text = render::text(&c, "sha256:00");
        assert!(text.contains(&format!("{exception}  ")), "{text}");
        assert!(text.contains(words), "{text}");
    }
    // Under the default policy the disk is also to be replaced for its health; the data still
    // goes to Purge (the strongest instruction is the disposition).
    let c = certificate(&w, remapped(8, 2), &Policy::default(), Language::En);
    let actions: Vec<&Action> = c.verdict.actions.iter().map(|a| &a.action).collect();
    assert!(actions.contains(&&Action::PurgeDisk { disk: DISK.into() }));
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::ReplaceDisk { .. })),
        "{actions:?}"
    );
    assert_eq!(c.sanitization[0].disposition, Disposition::SanitizeAgain);
}

/// No remapped sector, or a count the drive does not give (NVMe): no exception, approved.
#[test]
fn no_remapped_sector_or_no_count_means_no_exception() {
    let w = overwritten();
    let nvme = reprise::probe::drive::nvme_health(
        &reprise::parse::nvme::parse_smart_log(&corpus(
            "nvme/skhynix-platinum-p41-2tb.smart-log.bin",
        ))
        .unwrap(),
    );
    assert_eq!(
        nvme.remapped_sectors(),
        None,
        "NVMe counts no remapped block"
    );
    for health in [remapped(0, 0), nvme] {
        let c = certificate(&w, health, &tolerant(), Language::En);
        let d = &c.sanitization[0];
        assert!(d.exception.is_none(), "{:?}", d.exception);
        assert_eq!(
            validation(d),
            (
                ValidationOutcome::Approve,
                ValidationRule::OverwriteVerified
            )
        );
        assert!(
            !c.verdict
                .actions
                .iter()
                .any(|a| matches!(a.action, Action::PurgeDisk { .. }))
        );
    }
}

/// A drive that says it offers no Purge (here a SATA SSD whose only erase is a Clear, asked
/// for Purge) cannot be sent to one: its remapped sectors send it to destruction. So does a
/// policy that says so.
#[test]
fn without_a_purge_on_offer_or_by_policy_the_disk_is_destroyed() {
    let mut d = samsung_860();
    let id = ata_identity(&d, MediaType::Ssd);
    let media = d.media().clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert!(w.is_sanitized(), "{:#?}", w.errors);
    assert_eq!(w.technique, "overwrite");
    let destroyed = |c: &Certificate| {
        let actions: Vec<&Action> = c.verdict.actions.iter().map(|a| &a.action).collect();
        assert!(
            actions.contains(&&Action::DestroyDisk { disk: DISK.into() }),
            "{actions:?}"
        );
        assert!(actions.contains(&&Action::FitNewDisk), "{actions:?}");
        assert!(!actions.contains(&&Action::PurgeDisk { disk: DISK.into() }));
        let d = &c.sanitization[0];
        assert_eq!(d.disposition, Disposition::Destroy);
        assert!(d.sanitized && d.exception.is_some());
        assert_eq!(validation(d).0, ValidationOutcome::Escalate);
    };
    destroyed(&certificate(&w, remapped(3, 0), &tolerant(), Language::En));

    let mut policy = tolerant();
    policy.disk.remapped_after_overwrite = RemappedAfterOverwrite::Destroy;
    destroyed(&certificate(
        &overwritten(),
        remapped(0, 4),
        &policy,
        Language::En,
    ));
}

/// A firmware Purge reaches remapped sectors: no exception, whatever the drive's counts.
#[test]
fn a_firmware_purge_reaches_remapped_sectors() {
    let mut drive = samsung_pm();
    let probe = certs::probe();
    let mut id = probe.disks[0].identity();
    id.size_bytes = SECTORS * 512;
    let media = drive.media(1).clone();
    let (_, s) = strategy_of(&mut drive, &id, &request(Level::Purge));
    let w = run1(&mut drive, &media, &plan_of(&id, s, SAMPLE));
    assert!(w.is_sanitized());
    let c = certificate(&w, remapped(8, 2), &tolerant(), Language::En);
    let d = &c.sanitization[0];
    assert_eq!(d.level, Level::Purge);
    assert!(d.exception.is_none());
    assert_eq!(
        validation(d),
        (
            ValidationOutcome::Approve,
            ValidationRule::FirmwareEraseChecked
        )
    );
}

/// Every path records a state for the HPA and the DCO: not applicable on NVMe, absent when
/// read and empty, removed, still present (the disk then fails), indeterminate when it could
/// not be read — never "none" when unread.
#[test]
fn hidden_areas_have_a_state_on_every_path() {
    let state = |w: &DeviceWipe| {
        let c = certificate(w, remapped(0, 0), &tolerant(), Language::En);
        let d = c.sanitization[0].clone();
        (
            (d.hidden_areas.hpa.unwrap(), d.hidden_areas.dco.unwrap()),
            validation(&d),
            render::text(&c, "sha256:00"),
        )
    };
    use HiddenAreaState::*;

    // NVMe: no such thing.
    let (s, v, _) = state(&overwritten());
    assert_eq!(s, (NotApplicable, NotApplicable));
    assert_eq!(v.1, ValidationRule::OverwriteVerified);

    // A SATA hard disk with an HPA: removed before the overwrite, read again.
    let mut d = toshiba_hdd();
    d.set_hpa(1000);
    let id = ata_identity(&d, MediaType::Hdd);
    let media = d.media().clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Clear));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    let (s, v, text) = state(&w);
    assert_eq!(s, (Removed, Absent));
    assert_eq!(v.0, ValidationOutcome::Approve);
    assert!(
        text.contains("HPA removed (1000 → 0) / DCO none (0 → 0)"),
        "{text}"
    );

    // A DCO left in place: still hiding sectors, so the disk failed and is rejected.
    let mut d = toshiba_hdd();
    d.set_dco(64);
    let id = ata_identity(&d, MediaType::Hdd);
    let media = d.media().clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Clear));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    let (s, v, _) = state(&w);
    assert_eq!(s, (Absent, Present));
    assert_eq!(
        v,
        (ValidationOutcome::Reject, ValidationRule::HiddenSectorsLeft)
    );

    // Behind a USB bridge nothing was asked: indeterminate, and said so.
    let mut usb = overwritten();
    usb.device.transport = Transport::Usb;
    usb.device.media_type = MediaType::Flash;
    let (s, v, text) = state(&usb);
    assert_eq!(s, (Indeterminate, Indeterminate));
    assert_eq!(
        v,
        (
            ValidationOutcome::Escalate,
            ValidationRule::HiddenAreasIndeterminate
        )
    );
    assert!(text.contains("indeterminate (could not be read)"), "{text}");
    assert!(!text.contains("HPA / DCO           none"), "{text}");

    // A SATA drive asked, whose HPA could not be read (READ NATIVE MAX refused): indeterminate
    // for it, the DCO's reading stands.
    let mut sata = overwritten();
    sata.device.transport = Transport::Sata;
    sata.hidden_areas = Some(HiddenAreas {
        hpa_sectors_before: None,
        hpa_sectors_after: None,
        dco_sectors_before: Some(0),
        dco_sectors_after: Some(0),
    });
    let (s, v, _) = state(&sata);
    assert_eq!(s, (Indeterminate, Absent));
    assert_eq!(v.1, ValidationRule::HiddenAreasIndeterminate);
}

/// The certificates issued before these members (copies of the golden files as they were)
/// still verify, read into the types and write back their signed bytes; their text shows what
/// they said, with nothing made up.
#[test]
fn certificates_issued_before_keep_verifying_and_reading() {
    let dir = certs::fixtures().join("before-evidence");
    let names = certs::json_files(&dir);
    assert_eq!(names.len(), 2, "{names:?}");
    let key = certs::test_key();
    for name in names {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        let v = envelope::verify(&bytes, Some(&key.verifying_key())).unwrap();
        let c = &v.envelope.certificate;
        let d = &c.sanitization[0];
        assert!(d.validation.is_none() && d.exception.is_none());
        assert!(d.hidden_areas.hpa.is_none() && c.incidents.is_empty());
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            jcs::to_canonical(c).unwrap(),
            jcs::canonicalize(&value["certificate"]).unwrap(),
            "{name}"
        );
        let text = render::text(c, &v.digest);
        assert!(!text.contains("Validation"), "{text}");
        assert!(
            text.contains("not checked → not checked")
                || text.contains("non vérifié → non vérifié"),
            "{text}"
        );
        // Read today, an NVMe disk's null counters mean "has none", not "unknown".
        assert_eq!(
            d.hidden_states(),
            (
                HiddenAreaState::NotApplicable,
                HiddenAreaState::NotApplicable
            )
        );
    }
}
