//! The hands-on checks in the certificate and the verdict: an additive `checks` member (absent
//! when no check was done, so existing certificates keep their bytes), integers only, signed and
//! verified like the rest; the policy turns dead keys, a screen defect, an overheating CPU and
//! RAM errors into reasons and actions, and weighs nothing it was not given.

use reprise::cert::envelope;
use reprise::cert::issue::issue_certificate;
use reprise::cert::model::{
    CheckName, ChecksRecord, CoolingCheck, KeyboardCheck, Language, MemoryCheck, MemoryErrorRecord,
    NotRunWhy, RamEnd, ScreenCheck,
};
use reprise::verdict::{Action, Policy, Reason, evaluate, evaluate_with_checks};

use crate::support::certs;

fn checks() -> ChecksRecord {
    ChecksRecord {
        keyboard: Some(KeyboardCheck {
            layout: "fr-azerty".into(),
            keys_total: 78,
            keys_pressed: 75,
            keys_not_pressed: vec!["E".into(), "Z".into(), "F5".into()],
            completed: true,
        }),
        screen: Some(ScreenCheck {
            colours: vec!["white".into(), "red".into()],
            passed: false,
            defect_on: Some("red".into()),
        }),
        cooling: Some(CoolingCheck {
            duration_ms: 30_000,
            threads: 8,
            sensor: Some("coretemp Package id 0".into()),
            idle_millicelsius: Some(45_000),
            max_millicelsius: Some(98_000),
            average_khz: Some(2_100_000),
            lowest_khz: Some(800_000),
            throttle_events: Some(12),
        }),
        memory: Some(MemoryCheck {
            patterns: vec!["walking-ones".into()],
            bytes_tested: 6 << 30,
            bytes_total: Some(8 << 30),
            duration_ms: 21_000,
            completed: true,
            errors: 2,
            first_errors: vec![MemoryErrorRecord {
                pattern: "walking-ones".into(),
                physical_address: Some("0x1f3a2b000".into()),
                virtual_address: "0x7f1200000000".into(),
                expected: "0x0000000000000020".into(),
                found: "0x0000000000000000".into(),
            }],
            module: Some("ChannelA-DIMM0".into()),
            ended_by: None,
        }),
        not_run: Vec::new(),
        no_disk_stated: false,
    }
}

#[test]
fn each_check_weighs_on_the_verdict_with_its_action() {
    let (probe, wipe, health) = (
        certs::probe(),
        certs::wipe("wipe-passed.json"),
        certs::good_health(),
    );
    let without = evaluate(&probe, &wipe, &health, &Policy::default());
    let with = evaluate_with_checks(&probe, &wipe, &health, &checks(), &Policy::default());
    assert!(!without.actions.contains(&Action::CleanCooling));
    for a in [
        Action::ReplaceKeyboard {
            keys: vec!["E".into(), "Z".into(), "F5".into()],
        },
        Action::ReplaceScreen,
        Action::CleanCooling,
        Action::ReplaceRam {
            module: Some("ChannelA-DIMM0".into()),
        },
    ] {
        assert!(
            with.actions.contains(&a),
            "{a:?} missing from {:?}",
            with.actions
        );
    }
    assert!(with.reasons.contains(&Reason::CpuThrottled { events: 12 }));
    assert!(with.reasons.contains(&Reason::CpuOverheated {
        max_millicelsius: 98_000,
        limit_millicelsius: 95_000
    }));
    assert!(with.grade >= without.grade);
}

#[test]
fn a_keyboard_check_left_half_done_proves_no_key_dead() {
    let mut c = checks();
    c.keyboard.as_mut().unwrap().completed = false;
    let v = evaluate_with_checks(
        &certs::probe(),
        &certs::wipe("wipe-passed.json"),
        &certs::good_health(),
        &c,
        &Policy::default(),
    );
    assert!(
        !v.actions
            .iter()
            .any(|a| matches!(a, Action::ReplaceKeyboard { .. }))
    );
}

#[test]
fn checks_are_signed_and_absent_when_none_was_done() {
    let dir = tempfile::tempdir().unwrap();
    let key = certs::test_key();
    let mut inputs = certs::inputs("wipe-passed.json", Language::Fr, "2026-11-26T11:00:00.000Z");
    inputs.checks = Some(checks());
    let path = issue_certificate(inputs, &key, dir.path()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let verified = envelope::verify(&bytes, Some(&key.verifying_key())).unwrap();
    assert_eq!(verified.envelope.certificate.checks, Some(checks()));
    let text = reprise::cert::render::text(&verified.envelope.certificate, &verified.digest);
    assert!(
        text.contains("Contrôles manuels") && text.contains("E, Z, F5"),
        "{text}"
    );
    // A check record that says nothing is no record.
    let mut empty = certs::inputs("wipe-passed.json", Language::En, "2026-11-26T11:30:00.000Z");
    empty.checks = Some(ChecksRecord::default());
    let path = issue_certificate(empty, &key, dir.path()).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert!(json["certificate"].get("checks").is_none());
}

/// A RAM test stopped before its first chunk and a keyboard check left with Esc at once tested
/// nothing: the certificate says "not run" with why (in its language), never a RAM test with 0
/// errors or 77 dead keys, and the verdict weighs neither.
#[test]
fn a_check_that_tested_nothing_is_not_run_never_a_pass_or_a_failure() {
    let mut c = checks();
    c.screen = None;
    c.cooling = None;
    c.memory = Some(MemoryCheck {
        patterns: Vec::new(),
        bytes_tested: 0,
        bytes_total: Some(8 << 30),
        duration_ms: 3,
        completed: false,
        errors: 0,
        first_errors: Vec::new(),
        module: None,
        ended_by: Some(RamEnd::WipeEnded),
    });
    // Esc pressed three times straight away: Esc is the only key that answered.
    let k = c.keyboard.as_mut().unwrap();
    k.keys_pressed = 1;
    k.keys_not_pressed = (0..77).map(|i| format!("K{i}")).collect();
    k.keys_total = 78;
    k.completed = true;

    let v = evaluate_with_checks(
        &certs::probe(),
        &certs::wipe("wipe-passed.json"),
        &certs::good_health(),
        &c,
        &Policy::default(),
    );
    assert!(
        !v.reasons
            .iter()
            .any(|r| matches!(r, Reason::KeysDead { .. } | Reason::MemoryErrors { .. })),
        "{v:?}"
    );
    let without = evaluate(
        &certs::probe(),
        &certs::wipe("wipe-passed.json"),
        &certs::good_health(),
        &Policy::default(),
    );
    assert_eq!(v, without, "a check not run weighs nothing");

    let dir = tempfile::tempdir().unwrap();
    let key = certs::test_key();
    for (lang, memory, keyboard) in [
        (
            Language::En,
            "RAM test  not run: the wipe ended before one pattern was written and read back",
            "Keyboard  not run: no key was pressed",
        ),
        (
            Language::Fr,
            "Test mémoire  non effectué : l'effacement s'est terminé avant qu'un motif soit écrit et relu",
            "Clavier       non effectué : aucune touche n'a été pressée",
        ),
    ] {
        let mut inputs = certs::inputs("wipe-passed.json", lang, "2026-11-26T12:00:00.000Z");
        inputs.checks = Some(c.clone());
        let path = issue_certificate(inputs, &key, dir.path()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let verified = envelope::verify(&bytes, Some(&key.verifying_key())).unwrap();
        let recorded = verified.envelope.certificate.checks.clone().unwrap();
        assert_eq!((recorded.memory, recorded.keyboard), (None, None));
        let not_run: Vec<(CheckName, NotRunWhy)> =
            recorded.not_run.iter().map(|n| (n.check, n.why)).collect();
        assert_eq!(
            not_run,
            [
                (CheckName::Keyboard, NotRunWhy::NoKeyPressed),
                (CheckName::Memory, NotRunWhy::WipeEnded)
            ]
        );
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            json["certificate"]["checks"]["not_run"][1]["why"],
            "wipe_ended"
        );
        let text = reprise::cert::render::text(&verified.envelope.certificate, &verified.digest);
        for line in [memory, keyboard] {
            assert!(text.contains(line), "{line:?} not in:\n{text}");
        }
    }
}
