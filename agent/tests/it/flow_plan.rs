//! Planning of `reprise run` on recorded laptops: which disks are wiped, with which method,
//! and which are left alone with the reason.

use std::path::Path;

use reprise::flow::{self, Settings, SkipReason};
use reprise::model::Level;
use reprise::probe::probe;
use reprise::sys::SysRoot;
use reprise::wipe::{Method, VerifySpec};

fn probe_fixture(name: &str) -> reprise::probe::model::ProbeReport {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/probe")
        .join(name);
    probe(&SysRoot::new(root)).expect("fixture root exists")
}

fn summary(plan: &flow::RunPlan) -> (Vec<(String, String, String)>, Vec<String>) {
    let targets = plan
        .targets()
        .iter()
        .map(|t| {
            (
                t.path().display().to_string(),
                t.method().to_string(),
                t.identity().media_type.as_str().to_owned(),
            )
        })
        .collect();
    let skipped = plan
        .skipped
        .iter()
        .map(|s| s.disk.dev_path.clone())
        .collect();
    (targets, skipped)
}

#[test]
fn boot_stick_is_never_planned_and_the_ssd_is() {
    let report = probe_fixture("laptop-sata-usb");
    let plan = flow::plan(&report, &Settings::default()).unwrap();
    let (targets, skipped) = summary(&plan);
    assert_eq!(
        targets,
        vec![("/dev/sda".into(), "zero".into(), "ssd".into())]
    );
    assert_eq!(skipped, vec!["/dev/sdb".to_string()]);
    assert!(
        plan.skipped[0]
            .reason
            .to_string()
            .contains("/run/reprise/data"),
        "the reason names the mount: {}",
        plan.skipped[0].reason
    );
    let id = plan.targets()[0].identity();
    assert_eq!(id.serial.as_deref(), Some("CVPR109301UZ120LGN"));
    assert_eq!(id.model.as_deref(), Some("INTEL SSDSA2CW120G3"));
    assert_eq!(id.size_bytes, 120_034_123_776);
}

#[test]
fn nvme_laptop_gets_the_chosen_method() {
    let report = probe_fixture("laptop-nvme");
    let settings = Settings {
        level: Level::Clear,
        method: Method::Random,
        verify: VerifySpec::Full,
        ..Settings::default()
    };
    let plan = flow::plan(&report, &settings).unwrap();
    let (targets, skipped) = summary(&plan);
    assert_eq!(
        targets,
        vec![("/dev/nvme0n1".into(), "random".into(), "ssd".into())]
    );
    assert!(skipped.is_empty());
    assert_eq!(plan.verify, VerifySpec::Full);
}

#[test]
fn emmc_is_flash_and_gets_pattern_then_complement() {
    let report = probe_fixture("mini-emmc");
    let plan = flow::plan(&report, &Settings::default()).unwrap();
    let (targets, _) = summary(&plan);
    assert_eq!(
        targets,
        vec![(
            "/dev/mmcblk0".into(),
            "pattern-complement:55".into(),
            "flash".into()
        )]
    );
    assert_eq!(plan.targets()[0].passes().len(), 2);
}

#[test]
fn read_only_and_empty_disks_are_skipped_with_a_reason() {
    let mut report = probe_fixture("laptop-nvme");
    let mut ro = report.disks[0].clone();
    ro.name = "sdz".into();
    ro.dev_path = "/dev/sdz".into();
    ro.read_only = reprise::model::Field::Known(true);
    let mut empty = report.disks[0].clone();
    empty.name = "sdy".into();
    empty.dev_path = "/dev/sdy".into();
    empty.size_bytes = reprise::model::Field::Known(0);
    report.disks.push(ro);
    report.disks.push(empty);
    let plan = flow::plan(&report, &Settings::default()).unwrap();
    let reasons: Vec<_> = plan
        .skipped
        .iter()
        .map(|s| (s.disk.dev_path.as_str(), s.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("/dev/sdz", SkipReason::ReadOnly),
            ("/dev/sdy", SkipReason::NoMedium)
        ]
    );
    assert_eq!(plan.targets().len(), 1);
}
