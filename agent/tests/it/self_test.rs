//! The drive self-test (`--self-test short`) against simulated drives built from real dumps:
//! started, polled, its result and failing LBA read back from the drive's log, recorded in the
//! probe report; unsupported drives, a test already running, a test that never ends, the
//! operator's cancel; and what the plan and the verdict make of a failed test.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reprise::flow::selftest::{self, SelfTestEvent};
use reprise::flow::{self, Settings};
use reprise::model::{DiskId, Field, Transport};
use reprise::probe::model::{Disk, ProbeReport};
use reprise::probe::selftest::{Poll, SelfTestError, start};
use reprise::probe::{Drives, SimulatedDrives};
use reprise::sys::SysRoot;
use reprise::sys::clock::Pace;
use reprise::sys::passthrough::Passthrough;
use reprise::verdict::{Action, Reason};
use reprise_sim::ata::SimAta;
use reprise_sim::nvme::SimNvme;
use reprise_sim::self_test::{SelfTest, SelfTestEnd};

use crate::support::certs;

fn corpus(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corpus")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const INTEL: &str = "ata/INTEL_SSDSA2CW120G3--4PC10302";

fn intel(name: &str) -> SimAta {
    SimAta::new(
        name,
        corpus(&format!("{INTEL}.identify.bin")),
        Some((
            corpus(&format!("{INTEL}.smart-data.bin")),
            corpus(&format!("{INTEL}.smart-thresholds.bin")),
        )),
        Some(true),
    )
}

/// The SK hynix P41: its Identify Controller sets OACS bit 4 (Device Self-test).
fn hynix(name: &str) -> SimNvme {
    SimNvme::new(
        name,
        corpus("nvme/skhynix-platinum-p41-2tb.id-ctrl.bin"),
        corpus("nvme/skhynix-platinum-p41-2tb.id-ns.bin"),
        corpus("nvme/skhynix-platinum-p41-2tb.smart-log.bin"),
    )
}

/// Virtual time: a sleep advances it, nothing waits.
#[derive(Default)]
struct Virtual(Duration);

impl Pace for Virtual {
    fn sleep(&mut self, d: Duration) {
        self.0 += d;
    }
    fn elapsed(&self) -> Duration {
        self.0
    }
}

/// Polls a started test to its end, as the flow does.
fn finish(pt: &mut dyn Passthrough, transport: Transport) -> Result<Poll, SelfTestError> {
    let running = start(pt, transport)?;
    let mut t = Duration::ZERO;
    loop {
        t += Duration::from_secs(2);
        match running.poll(pt, t)? {
            Poll::Running(_) => continue,
            done => return Ok(done),
        }
    }
}

fn done(p: Poll) -> reprise::probe::model::SelfTestResult {
    match p {
        Poll::Done(r) => r,
        Poll::Running(_) => panic!("still running"),
    }
}

#[test]
fn ata_short_test_passes_and_reports_progress() {
    let mut d = intel("sda");
    let running = start(&mut d, Transport::Sata).unwrap();
    // The Intel's SMART data asks for 1 minute: at least 5 before giving up.
    assert_eq!(running.expected, Some(Duration::from_secs(60)));
    assert_eq!(running.timeout, Duration::from_secs(300));
    let mut seen = Vec::new();
    let result = loop {
        match running.poll(&mut d, Duration::from_secs(10)).unwrap() {
            Poll::Running(p) => seen.push(p),
            Poll::Done(r) => break r,
        }
    };
    assert_eq!(seen, [Some(80), Some(90)], "tenths remaining 2, then 1");
    assert!(result.passed);
    assert_eq!(result.result, "completed without error");
    assert_eq!(result.failing_lba, None);
    assert_eq!(result.duration_ms, 10_000);
    // Started with the short subcommand and the SMART key.
    assert!(
        d.commands.contains(&"ata 0xb0/0xd4".to_owned()),
        "{:?}",
        d.commands
    );
}

#[test]
fn ata_read_failure_gives_the_lba_from_the_self_test_log() {
    let mut d = intel("sda");
    d.self_test_end = SelfTestEnd::ReadFailure { lba: 0x0AB_CDEF };
    let r = done(finish(&mut d, Transport::Sata).unwrap());
    assert!(!r.passed);
    assert_eq!(r.result, "failed: read element");
    assert_eq!(r.failing_lba, Some(0x0AB_CDEF));
    assert!(
        d.commands.contains(&"ata 0xb0/0xd5".to_owned()),
        "read the log"
    );
}

#[test]
fn nvme_short_test_passes_then_fails_with_the_lba() {
    let mut d = hynix("nvme0n1");
    let r = done(finish(&mut d, Transport::Nvme).unwrap());
    assert!(r.passed, "{r:?}");
    assert_eq!(r.result, "completed without error");
    d.self_test_end = SelfTestEnd::ReadFailure {
        lba: 123_456_789_012,
    };
    let r = done(finish(&mut d, Transport::Nvme).unwrap());
    assert!(!r.passed);
    assert_eq!(r.result, "failed: segment 0");
    assert_eq!(
        r.failing_lba,
        Some(123_456_789_012),
        "64-bit LBA kept whole"
    );
}

#[test]
fn drives_without_a_self_test_say_why() {
    // The Toshiba's OACS (0x7) has no Device Self-test bit.
    let mut toshiba = SimNvme::new(
        "nvme0n1",
        corpus("nvme/toshiba-thnsn5512gpu7.id-ctrl.bin"),
        corpus("nvme/skhynix-platinum-p41-2tb.id-ns.bin"),
        corpus("nvme/skhynix-platinum-p41-2tb.smart-log.bin"),
    );
    let e = start(&mut toshiba, Transport::Nvme).unwrap_err();
    assert!(matches!(e, SelfTestError::Unsupported { .. }), "{e}");
    assert!(e.to_string().contains("OACS bit 4"), "{e}");
    assert!(
        !toshiba.commands.contains(&"nvme 0x14".to_owned()),
        "never sent"
    );

    let mut bridge = intel("sdb");
    bridge.bridge_refuses = true;
    let e = start(&mut bridge, Transport::Usb).unwrap_err();
    assert!(matches!(e, SelfTestError::Unsupported { .. }), "{e}");

    let e = start(&mut intel("mmcblk0"), Transport::Mmc).unwrap_err();
    assert!(matches!(e, SelfTestError::Unsupported { .. }), "{e}");
}

#[test]
fn a_test_already_running_is_not_ours() {
    let mut d = intel("sda");
    let running = start(&mut d, Transport::Sata).unwrap();
    let e = start(&mut d, Transport::Sata).unwrap_err();
    assert!(matches!(e, SelfTestError::Busy { .. }), "{e}");
    drop(running);
    let mut n = hynix("nvme0n1");
    start(&mut n, Transport::Nvme).unwrap();
    let e = start(&mut n, Transport::Nvme).unwrap_err();
    assert!(matches!(e, SelfTestError::Busy { .. }), "{e}");
}

#[test]
fn a_test_that_never_ends_is_aborted_and_not_passed() {
    let mut d = intel("sda");
    let running = start(&mut d, Transport::Sata).unwrap();
    d.self_test = SelfTest::Running { reads_left: 200 };
    let r = done(running.poll(&mut d, Duration::from_secs(301)).unwrap());
    assert!(!r.passed);
    assert_eq!(r.result, "did not finish within 300 s (aborted)");
    assert_eq!(d.self_test, SelfTest::Idle, "abort sent");
}

/// A probe report with two disks the simulated drives stand behind.
fn machine() -> (ProbeReport, Drives, SimulatedDrives) {
    let mut probe = certs::probe();
    let template: Disk = probe.disks[0].clone();
    let mut sda = template.clone();
    sda.name = "sda".into();
    sda.dev_path = "/dev/sda".into();
    sda.transport = Transport::Sata;
    sda.id = "sata:CVPR109301UZ120LGN".parse().unwrap();
    sda.serial = Field::Known("CVPR109301UZ120LGN".into());
    let mut nvme = template;
    nvme.name = "nvme0n1".into();
    nvme.transport = Transport::Nvme;
    probe.disks = vec![nvme, sda];
    let map: BTreeMap<String, Box<dyn Passthrough>> = BTreeMap::new();
    let map = Arc::new(Mutex::new(map));
    (probe, Drives::Simulated(map.clone()), map)
}

#[test]
fn the_flow_tests_all_disks_at_once_and_records_the_results() {
    let (mut probe, drives, map) = machine();
    let mut failing = intel("sda");
    failing.self_test_end = SelfTestEnd::ReadFailure { lba: 4242 };
    map.lock().unwrap().insert("sda".into(), Box::new(failing));
    map.lock()
        .unwrap()
        .insert("nvme0n1".into(), Box::new(hynix("nvme0n1")));
    let ids: Vec<DiskId> = probe.disks.iter().map(|d| d.id.clone()).collect();
    let mut pacer = Virtual::default();
    let mut events = Vec::new();
    let outcomes = selftest::run_short(
        &SysRoot::new("/nonexistent"),
        &drives,
        &mut probe,
        &ids,
        &mut pacer,
        &reprise::wipe::CancelToken::new(),
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(outcomes.len(), 2);
    let nvme = outcomes[0].result.as_ref().unwrap();
    let sda = outcomes[1].result.as_ref().unwrap();
    assert!(nvme.passed);
    assert!(!sda.passed);
    assert_eq!(sda.failing_lba, Some(4242));
    // Both started before either was polled: the drives test in parallel, and the whole run
    // took as long as the slowest (three polls), not the sum.
    assert!(matches!(&events[0], SelfTestEvent::Started { .. }));
    assert!(matches!(&events[1], SelfTestEvent::Started { .. }));
    assert_eq!(pacer.0, Duration::from_secs(6), "{events:?}");
    // Recorded in the probe report, where the verdict and the certificate read them.
    assert_eq!(probe.disks[0].health.self_test.as_ref(), Some(nvme));
    assert_eq!(probe.disks[1].health.self_test.as_ref(), Some(sda));
}

#[test]
fn no_result_is_not_a_failure_and_is_not_recorded() {
    let (mut probe, drives, map) = machine();
    let mut bridge = intel("sda");
    bridge.bridge_refuses = true;
    map.lock().unwrap().insert("sda".into(), Box::new(bridge));
    // nvme0n1 has no simulated drive at all.
    let ids: Vec<DiskId> = probe.disks.iter().map(|d| d.id.clone()).collect();
    let outcomes = selftest::run_short(
        &SysRoot::new("/nonexistent"),
        &drives,
        &mut probe,
        &ids,
        &mut Virtual::default(),
        &reprise::wipe::CancelToken::new(),
        &mut |_| {},
    )
    .unwrap();
    assert!(outcomes.iter().all(|o| o.result.is_err()), "{outcomes:?}");
    assert!(probe.disks.iter().all(|d| d.health.self_test.is_none()));
}

/// A simulated drive the test keeps a handle on, to look at its state afterwards.
struct Shared<P>(Arc<Mutex<P>>);

impl<P: Passthrough> Passthrough for Shared<P> {
    fn name(&self) -> &str {
        "shared"
    }
    fn ata(
        &mut self,
        cmd: &reprise::sys::passthrough::AtaCommand,
        data: reprise::sys::passthrough::AtaData<'_>,
    ) -> Result<reprise::parse::sat::AtaRegisters, reprise::sys::passthrough::PassthroughError>
    {
        self.0.lock().unwrap().ata(cmd, data)
    }
    fn nvme_admin(
        &mut self,
        cmd: &reprise::sys::passthrough::NvmeCommand,
        data: &mut [u8],
    ) -> Result<u32, reprise::sys::passthrough::PassthroughError> {
        self.0.lock().unwrap().nvme_admin(cmd, data)
    }
}

#[test]
fn cancel_aborts_every_running_test() {
    let (mut probe, drives, map) = machine();
    let sda = Arc::new(Mutex::new(intel("sda")));
    let nvme = Arc::new(Mutex::new(hynix("nvme0n1")));
    map.lock()
        .unwrap()
        .insert("sda".into(), Box::new(Shared(sda.clone())));
    map.lock()
        .unwrap()
        .insert("nvme0n1".into(), Box::new(Shared(nvme.clone())));
    let ids: Vec<DiskId> = probe.disks.iter().map(|d| d.id.clone()).collect();
    let cancel = reprise::wipe::CancelToken::new();
    let c = cancel.clone();
    let r = selftest::run_short(
        &SysRoot::new("/nonexistent"),
        &drives,
        &mut probe,
        &ids,
        &mut Virtual::default(),
        &cancel,
        &mut |e| {
            if matches!(e, SelfTestEvent::Started { .. }) {
                c.cancel();
            }
        },
    );
    assert!(r.is_err());
    assert!(probe.disks.iter().all(|d| d.health.self_test.is_none()));
    // Both drives were told to stop: ATA subcommand 7Fh, NVMe self-test code Fh.
    let sda = sda.lock().unwrap();
    assert_eq!(sda.self_test, SelfTest::Idle);
    assert_eq!(
        sda.commands
            .iter()
            .filter(|c| *c == "ata 0xb0/0xd4")
            .count(),
        2,
        "start then abort: {:?}",
        sda.commands
    );
    let nvme = nvme.lock().unwrap();
    assert_eq!(nvme.self_test, SelfTest::Idle);
    assert_eq!(
        nvme.commands.iter().filter(|c| *c == "nvme 0x14").count(),
        2,
        "{:?}",
        nvme.commands
    );
}

#[test]
fn a_disk_that_fails_its_test_leaves_the_plan_and_goes_to_destruction() {
    let (mut probe, _, _) = machine();
    for d in &mut probe.disks {
        d.holds_system = false;
        d.reprise_medium = None;
        d.read_only = Field::Known(false);
    }
    let settings = Settings::default();
    let confirmed = flow::plan(&probe, &settings).unwrap();
    assert_eq!(confirmed.targets().len(), 2);
    probe.disks[1].health.self_test = Some(reprise::probe::model::SelfTestResult {
        kind: reprise::probe::model::SelfTestKind::Short,
        passed: false,
        result: "failed: read element".into(),
        failing_lba: Some(4242),
        duration_ms: 60_000,
    });
    let again = flow::replan(&probe, &Default::default(), &settings, &confirmed).unwrap();
    let kept: Vec<&str> = again
        .targets()
        .iter()
        .map(|t| t.path().to_str().unwrap())
        .collect();
    assert_eq!(kept, ["/dev/nvme0n1"]);
    assert!(
        again.skipped.iter().any(|s| s.disk.name == "sda"
            && s.reason
                .to_string()
                .contains("failed its self-test (failed: read element)")),
        "{:?}",
        again.skipped
    );

    // A plan made again never gains a disk: a new disk in the probe is refused.
    let mut grown = probe.clone();
    grown.disks[1].health.self_test = None;
    let only_nvme = flow::plan(
        &{
            let mut p = probe.clone();
            p.disks.truncate(1);
            p
        },
        &settings,
    )
    .unwrap();
    assert!(flow::replan(&grown, &Default::default(), &settings, &only_nvme).is_err());

    // The verdict: the untouched disk is destroyed and replaced.
    let wipe = certs::wipe("wipe-passed.json");
    let v = reprise::verdict::evaluate(
        &probe,
        &wipe,
        &BTreeMap::new(),
        &reprise::verdict::Policy::default(),
    );
    let disk = "sata:CVPR109301UZ120LGN".to_owned();
    assert!(
        v.reasons.contains(&Reason::SelfTestFailed {
            disk: disk.clone(),
            result: "failed: read element".into()
        }),
        "{:?}",
        v.reasons
    );
    assert!(v.actions.contains(&Action::DestroyDisk { disk }));
    assert!(v.actions.contains(&Action::FitNewDisk));
}
