//! One truth for "sanitized": every combination of method × verification × write fault ×
//! cancellation, run through the engine, is judged the same way by all five surfaces — the
//! console line, the exit code, the wipe report, the certificate (`result`, `sanitized`,
//! `disposition`) and the verdict. The expected answer is written here once, from
//! ARCHITECTURE.md ("One truth for sanitized"), independently of the code under test.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;

use reprise::cert::build::build_certificate;
use reprise::cert::model::{ChainLink, Disposition, Language};
use reprise::cli::console;
use reprise::flow::{self, RunStatus};
use reprise::verdict::{Policy, Reason};
use reprise::wipe::report::{DeviceWipe, Outcome, SCHEMA_VERSION, WipeReport};
use reprise::wipe::{CancelToken, Tuning, VerifySpec, WipeJob, wipe_device};
use reprise_sim::device::FakeDevice;

use crate::support::certs;
use crate::support::devices;

const LEN: usize = 256 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// A write fails more often than the retries, then succeeds in smaller pieces.
    Retried,
    /// A sector that can never be written.
    BadSector,
    /// A periodic data sync fails (buffered writes that may never reach the media).
    Sync,
}

/// What ARCHITECTURE.md says each case is.
fn expected(verify: VerifySpec, fault: Fault, cancel: bool) -> Outcome {
    match (cancel, fault, verify) {
        (true, _, _) => Outcome::Cancelled,
        (false, Fault::BadSector | Fault::Sync, _) => Outcome::Failed,
        (false, Fault::None | Fault::Retried, VerifySpec::None) => Outcome::Unverified,
        (false, Fault::None | Fault::Retried, _) => Outcome::Passed,
    }
}

fn wipe(method: &str, verify: VerifySpec, fault: Fault, cancel: bool) -> DeviceWipe {
    let path = PathBuf::from("/dev/fake-disk");
    let plan = devices::file_plan(std::slice::from_ref(&path), LEN as u64, method, verify);
    let mut job = WipeJob::new(&plan, &plan.devices()[0]);
    job.key = Some(*b"five-surface-key");
    job.seed = Some(7);
    job.tuning = Tuning {
        buffer_bytes: 32 << 10,
        retries: 1,
        ..Tuning::default()
    };
    let mut dev = FakeDevice::new(&path, LEN, 512);
    match fault {
        Fault::None => {}
        Fault::Retried => dev.set_flaky(200, 3),
        Fault::BadSector => {
            dev.bad_sectors.insert(300);
        }
        Fault::Sync => dev.fail_sync_after = Some(LEN as u64 / 2),
    }
    let token = CancelToken::new();
    if cancel {
        dev.cancel_after_writes = Some((3, token.clone()));
    }
    let (tx, _rx) = mpsc::channel();
    wipe_device(&mut dev, job, &tx, &token)
}

#[test]
fn every_surface_tells_the_same_truth() {
    let methods = ["zero", "random", "pattern-complement:55", "dod-3pass"];
    let verifies = [
        VerifySpec::None,
        VerifySpec::Sample { permille: 100 },
        VerifySpec::Full,
    ];
    let faults = [Fault::None, Fault::Retried, Fault::BadSector, Fault::Sync];
    let probe = certs::probe();
    let mut cases = 0;
    for method in methods {
        for verify in verifies {
            for fault in faults {
                for cancel in [false, true] {
                    cases += 1;
                    let case = format!("{method} {verify:?} {fault:?} cancel={cancel}");
                    let d = wipe(method, verify, fault, cancel);
                    let want = expected(verify, fault, cancel);
                    let sanitized = want == Outcome::Passed;

                    // 1. The wipe report (and its JSON, read back and checked as `cert issue`
                    // reads it).
                    assert_eq!(d.outcome, want, "{case}: {:?}", d.errors);
                    assert_eq!(d.is_sanitized(), sanitized, "{case}");
                    let json = serde_json::to_string(&d).unwrap();
                    let back: DeviceWipe = serde_json::from_str(&json).unwrap();
                    assert_eq!(back.check_consistency(), Ok(()), "{case}");
                    assert_eq!(back.is_sanitized(), sanitized, "{case}");

                    // 2. The console line.
                    let line = console::result_line(&d);
                    assert_eq!(line.contains(": SANITIZED"), sanitized, "{case}: {line}");
                    match want {
                        Outcome::Unverified => assert!(line.contains("NOT VERIFIED"), "{line}"),
                        Outcome::Cancelled => assert!(line.contains("CANCELLED"), "{line}"),
                        Outcome::Failed => assert!(line.contains("FAILED"), "{line}"),
                        Outcome::Passed => {}
                    }

                    // 3. The exit code.
                    let status = flow::status(std::slice::from_ref(&d));
                    let want_status = match want {
                        Outcome::Passed => RunStatus::Sanitized,
                        Outcome::Cancelled => RunStatus::Cancelled,
                        _ => RunStatus::NotSanitized,
                    };
                    assert_eq!(status, want_status, "{case}");

                    // 4. The verdict.
                    let wipe = WipeReport {
                        schema_version: SCHEMA_VERSION,
                        tool: "reprise test".into(),
                        image_digest: None,
                        requested_level: None,
                        devices: vec![d.clone()],
                    };
                    let verdict = reprise::verdict::evaluate(
                        &probe,
                        &wipe,
                        &BTreeMap::new(),
                        &Policy::default(),
                    );
                    let id = d.device.id.to_string();
                    let not_sanitized = verdict.reasons.iter().any(|r| {
                        matches!(r,
                            Reason::SanitizationFailed { disk, .. }
                            | Reason::SanitizationNotVerified { disk } if *disk == id)
                    });
                    assert_eq!(not_sanitized, !sanitized, "{case}: {:?}", verdict.reasons);
                    let retried = verdict
                        .reasons
                        .iter()
                        .any(|r| matches!(r, Reason::WritesRetried { disk, .. } if *disk == id));
                    assert_eq!(
                        retried,
                        sanitized && fault == Fault::Retried,
                        "{case}: a retried-then-verified write is a health reason"
                    );

                    // 5. The certificate.
                    let inputs = reprise::cert::issue::IssueInputs {
                        probe: probe.clone(),
                        wipe,
                        verdict,
                        health: BTreeMap::new(),
                        incidents: Vec::new(),
                        organisation: None,
                        site: "test".into(),
                        operator: "test".into(),
                        language: Language::En,
                        issued_at: None,
                        time: None,
                        checks: None,
                    };
                    let cert = build_certificate(
                        &inputs,
                        "2026-12-01T00:00:00.000Z".into(),
                        ChainLink {
                            station_key_id: "sha256:00".into(),
                            sequence: 1,
                            previous_digest: None,
                        },
                        "reprise test".into(),
                    );
                    let rec = &cert.sanitization[0];
                    assert_eq!(rec.sanitized, sanitized, "{case}");
                    assert_eq!(rec.result, want, "{case}");
                    let disposition = match want {
                        Outcome::Passed => Disposition::Keep,
                        Outcome::Failed => Disposition::Destroy,
                        Outcome::Unverified | Outcome::Cancelled => Disposition::SanitizeAgain,
                    };
                    // A sanitized disk with retried writes is kept (the health check is an
                    // action of its own, not a disposition).
                    assert_eq!(rec.disposition, disposition, "{case}");
                }
            }
        }
    }
    assert_eq!(cases, 4 * 3 * 4 * 2);
}
