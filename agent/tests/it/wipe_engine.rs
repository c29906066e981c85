//! Engine tests on the in-memory fake device and on regular files: every method, every
//! verification mode, write errors, short writes, a vanished device, cancellation, planted
//! corruption. Content is checked byte by byte against an independent computation.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use reprise::model::ErrorKind;
use reprise::sys::SysRoot;
use reprise::sys::blockdev::BlockIo;
use reprise::wipe::report::{DeviceWipe, Outcome, VerifyMode};
use reprise::wipe::sample::plan_sample;
use reprise::wipe::{
    CancelToken, Method, PassPattern, Tuning, VerifySpec, WipeJob, open_for_write, verify_device,
    wipe_device,
};
use reprise_sim::device::FakeDevice;

use crate::support::devices;
use devices::{Scratch, expected_content, file_plan};

const KEY: [u8; 16] = *b"reprise-test-key";

/// The outcome a complete, error-free wipe must have: sanitized when verified, only
/// "unverified" when no verification was asked for.
fn clean_outcome(v: VerifySpec) -> Outcome {
    if v == VerifySpec::None {
        Outcome::Unverified
    } else {
        Outcome::Passed
    }
}

fn job(method: &str, verify: VerifySpec, tuning: Tuning) -> WipeJob {
    let plan = file_plan(&[PathBuf::from("/fake")], 1 << 20, method, verify);
    let mut j = WipeJob::new(&plan, &plan.devices()[0]);
    j.key = Some(KEY);
    j.seed = Some(0x1234);
    j.tuning = tuning;
    j
}

/// Small buffers so that small devices still span many chunks and a partial last one.
fn small() -> Tuning {
    Tuning {
        buffer_bytes: 64 << 10,
        retries: 2,
        max_bad_sectors: 64,
        ..Tuning::default()
    }
}

fn run(dev: &mut dyn BlockIo, j: WipeJob) -> DeviceWipe {
    let (tx, _rx) = mpsc::channel();
    wipe_device(dev, j, &tx, &CancelToken::new())
}

const METHODS: [&str; 8] = [
    "zero",
    "one",
    "random",
    "pattern:a5",
    "pattern:deadbeef",
    "pattern:0102030405",
    "pattern-complement:55",
    "dod-3pass",
];

fn verifies() -> [VerifySpec; 4] {
    [
        VerifySpec::None,
        VerifySpec::Sample { permille: 100 },
        VerifySpec::Sample { permille: 1000 },
        VerifySpec::Full,
    ]
}

#[test]
fn every_method_and_verify_mode_on_the_fake() {
    // Not a multiple of the buffer: the last chunk is partial.
    let len = (1 << 20) + 3 * 512;
    for m in METHODS {
        for v in verifies() {
            let mut dev = FakeDevice::new("/fake", len, 512);
            let r = run(&mut dev, job(m, v, small()));
            assert_eq!(r.outcome, clean_outcome(v), "{m} {v:?}: {:?}", r.errors);
            assert_eq!(
                r.is_sanitized(),
                v != VerifySpec::None,
                "{m} {v:?}: {:?}",
                r.check_consistency()
            );
            assert!(r.errors.is_empty(), "{m} {v:?}: {:?}", r.errors);
            assert!(
                dev.data() == expected_content(m, &KEY, len).as_slice(),
                "{m} {v:?}: content differs"
            );
            let passes = m.parse::<Method>().unwrap().passes().len();
            assert_eq!(r.passes.len(), passes);
            assert_eq!(r.bytes_written, (len * passes) as u64);
            assert_eq!(r.verification.passed, v != VerifySpec::None);
            match v {
                VerifySpec::Full => {
                    assert_eq!(r.verification.bytes_checked, len as u64);
                    assert_eq!(r.verification.coverage_permille, 1000);
                }
                VerifySpec::Sample { permille } => {
                    assert_eq!(r.verification.mode, VerifyMode::Sample);
                    assert_eq!(r.verification.seed.as_deref(), Some("0000000000001234"));
                    assert!(r.verification.coverage_permille >= permille.min(1000) - 1);
                    assert!(r.verification.subsections >= 1000);
                }
                VerifySpec::None => assert_eq!(r.verification.bytes_checked, 0),
            }
            assert!(dev.flushes() >= passes as u64, "a flush after every pass");
        }
    }
}

#[test]
fn a_random_key_per_wipe_when_none_is_given() {
    let len = 64 << 10;
    let mut a = FakeDevice::new("/fake", len, 512);
    let mut b = FakeDevice::new("/fake", len, 512);
    for dev in [&mut a, &mut b] {
        let mut j = job("random", VerifySpec::Full, small());
        j.key = None;
        assert_eq!(run(dev, j).outcome, Outcome::Passed);
    }
    assert_ne!(a.data(), b.data());
}

#[test]
fn bad_sectors_fail_the_wipe_with_their_lbas_and_the_rest_is_written() {
    let len = 1 << 20;
    let mut dev = FakeDevice::new("/fake", len, 512);
    dev.bad_sectors.extend([100, 101, 1500, 2047]);
    let r = run(&mut dev, job("zero", VerifySpec::None, small()));
    assert_eq!(r.outcome, Outcome::Failed);
    let ranges: Vec<_> = r
        .errors
        .iter()
        .filter(|e| e.operation == ErrorKind::Write)
        .map(|e| (e.lba.unwrap(), e.sectors.unwrap()))
        .collect();
    assert_eq!(ranges, vec![(100, 2), (1500, 1), (2047, 1)]);
    assert!(r.errors[0].message.contains("/fake"));
    assert_eq!(r.bytes_written, (len - 4 * 512) as u64);
    for (i, c) in dev.data().chunks(512).enumerate() {
        let bad = [100, 101, 1500, 2047].contains(&i);
        assert_eq!(c.iter().all(|&b| b == 0), !bad, "sector {i}");
    }
}

#[test]
fn verification_after_bad_sectors_reports_them_too() {
    let mut dev = FakeDevice::new("/fake", 1 << 20, 512);
    dev.bad_sectors.insert(777);
    let r = run(&mut dev, job("zero", VerifySpec::Full, small()));
    assert_eq!(r.outcome, Outcome::Failed);
    assert_eq!(r.verification.mismatches, 1);
    assert_eq!(r.verification.first_mismatch_lba, Some(777));
    assert!(!r.verification.passed);
}

#[test]
fn transient_errors_are_retried() {
    let mut dev = FakeDevice::new("/fake", 1 << 20, 512);
    dev.set_flaky(300, 1);
    let r = run(&mut dev, job("one", VerifySpec::Full, small()));
    assert_eq!(r.outcome, Outcome::Passed, "{:?}", r.errors);
    assert!(dev.data().iter().all(|&b| b == 0xff));

    // Failing more often than the retries: narrowed down, then written, and noted.
    let mut dev = FakeDevice::new("/fake", 1 << 20, 512);
    dev.set_flaky(300, 4);
    let r = run(&mut dev, job("one", VerifySpec::Full, small()));
    assert_eq!(r.outcome, Outcome::Passed, "{:?}", r.errors);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].operation, ErrorKind::WriteRetried);
    assert!(
        r.is_sanitized(),
        "a retried-then-written range is still sanitized"
    );
    assert!(dev.data().iter().all(|&b| b == 0xff));
}

#[test]
fn too_many_bad_sectors_stop_the_device() {
    let mut dev = FakeDevice::new("/fake", 1 << 20, 512);
    dev.bad_sectors.extend(0..2048);
    let r = run(&mut dev, job("zero", VerifySpec::Full, small()));
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(r.errors.last().unwrap().message.contains("giving up"));
    assert!(!r.verification.passed);
}

#[test]
fn short_writes_are_completed() {
    let len = (256 << 10) + 512;
    let mut dev = FakeDevice::new("/fake", len, 512);
    dev.max_write = Some(1000);
    let r = run(&mut dev, job("random", VerifySpec::Full, small()));
    assert_eq!(r.outcome, Outcome::Passed, "{:?}", r.errors);
    assert_eq!(dev.data(), expected_content("random", &KEY, len));
}

#[test]
fn a_vanished_device_fails_with_device_gone() {
    let mut dev = FakeDevice::new("/fake", 1 << 20, 512);
    dev.vanish_after_writes = Some(3);
    let r = run(&mut dev, job("zero", VerifySpec::Full, small()));
    assert_eq!(r.outcome, Outcome::Failed);
    let gone = r
        .errors
        .iter()
        .find(|e| e.operation == ErrorKind::DeviceGone)
        .unwrap();
    // Two writes are in flight and complete in any order: the first failure reported is one of
    // the chunks that can be in flight once three writes went through — chunk 2, 3 or 4
    // (64 KiB = 128 sectors each); never an earlier one, never a later one.
    assert!(
        [2 * 128, 3 * 128, 4 * 128].contains(&gone.lba.unwrap()),
        "{gone:?}"
    );
    assert!(!r.verification.passed);
    // It stopped instead of narrowing sector by sector on a dead device.
    assert!(dev.writes() < 10);
}

#[test]
fn cancellation_gives_cancelled_never_passed() {
    for m in ["zero", "random"] {
        let cancel = CancelToken::new();
        let mut dev = FakeDevice::new("/fake", 1 << 20, 512);
        dev.cancel_after_writes = Some((2, cancel.clone()));
        let (tx, _rx) = mpsc::channel();
        let r = wipe_device(&mut dev, job(m, VerifySpec::Full, small()), &tx, &cancel);
        assert_eq!(r.outcome, Outcome::Cancelled, "{m}");
        assert!(!r.verification.passed);
        assert!(r.bytes_written < 1 << 20);
        assert!(r.errors.iter().any(|e| e.operation == ErrorKind::Cancelled));
    }
}

#[test]
fn progress_events_reach_the_end_and_finish() {
    let (tx, rx) = mpsc::channel();
    let mut dev = FakeDevice::new("/dev/fake", 1 << 20, 512);
    let plan = file_plan(
        &[PathBuf::from("/dev/fake")],
        1 << 20,
        "dod-3pass",
        VerifySpec::Full,
    );
    let mut j = WipeJob::new(&plan, &plan.devices()[0]);
    j.key = Some(KEY);
    j.tuning = small();
    let r = wipe_device(&mut dev, j, &tx, &CancelToken::new());
    drop(tx);
    assert_eq!(r.outcome, Outcome::Passed);
    let events: Vec<_> = rx.into_iter().collect();
    use reprise::wipe::{Phase, WipeEvent};
    let last_of = |pass: u32, phase: Phase| {
        events.iter().rev().find_map(|e| match e {
            WipeEvent::Progress(p) if p.pass == pass && p.phase == phase => Some(p.clone()),
            _ => None,
        })
    };
    for pass in 1..=3 {
        let p = last_of(pass, Phase::Write).unwrap();
        assert_eq!(
            (p.bytes_done, p.bytes_total, p.passes),
            (1 << 20, 1 << 20, 3)
        );
        assert_eq!(p.device, "/dev/fake");
    }
    assert_eq!(last_of(3, Phase::Verify).unwrap().bytes_done, 1 << 20);
    assert!(matches!(
        events.last(),
        Some(WipeEvent::Finished {
            outcome: Outcome::Passed,
            ..
        })
    ));
}

/// Writes `method` with no verification, plants one changed byte, then verifies.
fn plant_and_verify(
    method: &str,
    len: usize,
    offset: usize,
    spec: VerifySpec,
) -> reprise::wipe::report::Verification {
    let mut dev = FakeDevice::new("/fake", len, 512);
    let r = run(&mut dev, job(method, VerifySpec::None, small()));
    assert_eq!(r.outcome, Outcome::Unverified);
    let old = dev.data()[offset];
    dev.poke(offset, old ^ 0x01);
    let pass = method.parse::<Method>().unwrap().passes();
    let (tx, _rx) = mpsc::channel();
    let (v, errors) = verify_device(
        &mut dev,
        "/fake",
        pass.last().unwrap(),
        pass.len() as u32 - 1,
        &KEY,
        spec,
        Some(0xfeed),
        &tx,
        &CancelToken::new(),
    );
    assert_eq!(errors.is_empty(), v.mismatches == 0, "{errors:?}");
    v
}

#[test]
fn full_verify_catches_one_changed_byte_at_first_middle_and_last_lba() {
    let len = 2 << 20;
    for m in ["zero", "random", "pattern:0102030405", "dod-3pass"] {
        for off in [0, len / 2 + 77, len - 1] {
            let v = plant_and_verify(m, len, off, VerifySpec::Full);
            assert!(!v.passed, "{m} @{off}");
            assert_eq!(v.mismatches, 1, "{m} @{off}");
            assert_eq!(v.first_mismatch_lba, Some((off / 512) as u64), "{m} @{off}");
        }
    }
}

#[test]
fn sample_verify_catches_a_changed_byte_exactly_when_its_block_is_sampled() {
    let len = 4 << 20;
    let sectors = (len / 512) as u64;
    let sample = plan_sample(sectors, 512, 50, 0xfeed);
    // First and last LBA are always sampled; pick a sampled and an unsampled middle LBA too.
    let sampled_mid = sample.blocks[sample.blocks.len() / 2].lba;
    let unsampled_mid = (sectors / 3..sectors)
        .find(|&l| !sample.contains(l))
        .unwrap();
    for m in ["zero", "random"] {
        for lba in [0, sectors - 1, sampled_mid, unsampled_mid] {
            let v = plant_and_verify(
                m,
                len,
                lba as usize * 512 + 5,
                VerifySpec::Sample { permille: 50 },
            );
            assert_eq!(v.seed.as_deref(), Some("000000000000feed"));
            assert_eq!(v.subsections, sample.subsections);
            if sample.contains(lba) {
                assert!(!v.passed, "{m} lba {lba}");
                assert_eq!((v.mismatches, v.first_mismatch_lba), (1, Some(lba)));
            } else {
                assert!(v.passed, "{m} lba {lba} is not sampled");
                assert_eq!(v.mismatches, 0);
            }
        }
    }
}

#[test]
fn files_every_method_through_the_write_guard() {
    let s = Scratch::new();
    let guard = devices::file_guard(&SysRoot::host());
    // Not a multiple of the sector size: the O_DIRECT tail falls back to buffered I/O.
    let len = (1 << 20) + 100;
    for m in METHODS {
        for v in verifies() {
            let path = s.file("target.img", len);
            let path = devices::checked_target(&path).unwrap().to_owned();
            let plan = file_plan(std::slice::from_ref(&path), len as u64, m, v);
            let mut dev = open_for_write(&plan, &path, &guard).unwrap().device;
            let mut j = WipeJob::new(&plan, &plan.devices()[0]);
            j.key = Some(KEY);
            j.tuning = small();
            let r = run(&mut dev, j);
            assert_eq!(r.outcome, clean_outcome(v), "{m} {v:?} {:?}", r.errors);
            assert_eq!(r.device.size_bytes, len as u64);
            drop(dev);
            let got = std::fs::read(&path).unwrap();
            assert!(
                got == expected_content(m, &KEY, len),
                "{m} {v:?}: file content differs"
            );
        }
    }
}

#[test]
fn the_guard_refuses_what_the_plan_does_not_name_and_missing_paths() {
    let s = Scratch::new();
    let a = s.file("a.img", 4096);
    let b = s.file("b.img", 4096);
    let plan = file_plan(
        &[a.clone(), PathBuf::from("/nonexistent/disk")],
        4096,
        "zero",
        VerifySpec::Full,
    );
    let guard = devices::file_guard(&SysRoot::host());
    let e = open_for_write(&plan, &b, &guard).unwrap_err();
    assert!(
        e.to_string()
            .contains("not named by the validated wipe plan"),
        "{e}"
    );
    assert!(e.to_string().contains("b.img"));
    assert_eq!(std::fs::read(&b).unwrap(), devices::old_data(4096));
    let e = open_for_write(&plan, Path::new("/nonexistent/disk"), &guard).unwrap_err();
    assert!(
        e.to_string().contains("/nonexistent/disk") && e.to_string().contains("no such"),
        "{e}"
    );
    assert!(open_for_write(&plan, &a, &guard).is_ok());
}

#[test]
fn pass_patterns_are_what_the_plan_says() {
    let p = reprise::wipe::WipePlan {
        devices: vec![reprise::wipe::PlannedDevice {
            path: PathBuf::from("/x"),
            identity: reprise::model::DiskIdentity::for_file("/x", 4096),
            method: Method::Zero,
            strategy: None,
        }],
        rounds: 3,
        verify: VerifySpec::None,
    }
    .validate()
    .unwrap();
    assert_eq!(
        p.devices()[0].passes(),
        &[PassPattern::Zero, PassPattern::Zero, PassPattern::Zero]
    );
}

#[test]
fn a_failed_data_sync_fails_every_range_it_leaves_unproven() {
    // Buffered devices report a writeback error once, at the next sync; the final flush then
    // succeeds. The range written since the previous good sync must still be failed.
    let mut dev = FakeDevice::new("/fake", 1 << 20, 512);
    dev.fail_sync_after = Some(300 << 10);
    let r = run(&mut dev, job("zero", VerifySpec::Full, small()));
    assert_eq!(r.outcome, Outcome::Failed, "{:?}", r.errors);
    assert!(!r.is_sanitized());
    let sync = r
        .errors
        .iter()
        .find(|e| e.operation == ErrorKind::Sync)
        .expect("a sync error");
    // The failing sync covered everything written so far (no earlier good sync).
    assert_eq!(sync.lba, Some(0));
    assert!(sync.sectors.unwrap() >= (300 << 10) / 512, "{sync:?}");
    // Verification still ran and passed: the data reads back from the cache, which proves
    // nothing about the media — the sync error alone decides.
    assert!(r.verification.passed);
}

#[test]
fn nothing_to_sanitize_is_never_sanitized() {
    for len in [0usize, 100, 511] {
        let mut dev = FakeDevice::new("/fake", len, 512);
        let r = run(&mut dev, job("zero", VerifySpec::Full, small()));
        assert_eq!(r.outcome, Outcome::Failed, "{len}");
        assert!(!r.is_sanitized());
        assert!(
            r.errors[0].message.contains("not a disk to sanitize"),
            "{:?}",
            r.errors
        );
    }
    let mut dev = FakeDevice::new("/fake", 4095, 4096);
    assert_eq!(
        run(&mut dev, job("zero", VerifySpec::Full, small())).outcome,
        Outcome::Failed
    );
}
