//! Verdict rules over the fixtures, one test per edge case: batteries (two, none, unknown),
//! disk health (failing, counters, unknown), failed sanitization (removable or built in), CPU,
//! cores, RAM (upgradable or not, unknown), and a policy file that changes the outcome.

#[path = "fixtures/cert/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use reprise::probe::model::{Field, ProbeReport, Transport};
use reprise::verdict::{Action, Decision, DiskHealth, Grade, Policy, Reason, Verdict, evaluate};
use reprise::wipe::report::WipeReport;

const GIB: u64 = 1 << 30;

/// A machine with nothing to fix: one healthy battery, 8 GiB with a free slot, healthy disk.
fn healthy() -> ProbeReport {
    let mut p = support::probe();
    p.power.batteries.remove(0);
    p.memory.modules[0].size_bytes = Field::Known(8 * GIB);
    p
}

fn eval(p: &ProbeReport, w: &WipeReport, h: &BTreeMap<String, DiskHealth>) -> Verdict {
    evaluate(p, w, h, &Policy::default())
}

fn passed() -> WipeReport {
    support::wipe("wipe-passed.json")
}

#[test]
fn a_healthy_machine_is_grade_a_with_no_action() {
    let v = eval(&healthy(), &passed(), &support::good_health());
    assert_eq!(
        (v.decision, v.grade),
        (Decision::Refurbish, Grade::A),
        "{v:?}"
    );
    assert!(v.reasons.is_empty() && v.actions.is_empty(), "{v:?}");
}

#[test]
fn two_batteries_are_judged_separately() {
    let mut p = healthy();
    p.power.batteries = support::probe().power.batteries; // BAT0 41 %, BAT1 92 %
    let v = eval(&p, &passed(), &support::good_health());
    assert_eq!(
        v.actions,
        [Action::ReplaceBattery {
            battery: "BAT0".into(),
            health_permille: 410
        }]
    );
    assert_eq!(v.grade, Grade::B);
    p.power.batteries[1].health_permille = Field::Known(799);
    let v = eval(&p, &passed(), &support::good_health());
    assert_eq!(v.actions.len(), 2, "{v:?}");
    assert_eq!(v.grade, Grade::C);
    // Exactly at the threshold is fine.
    p.power.batteries[0].health_permille = Field::Known(800);
    p.power.batteries[1].health_permille = Field::Known(800);
    assert_eq!(eval(&p, &passed(), &support::good_health()).grade, Grade::A);
}

#[test]
fn no_battery_on_a_laptop_asks_for_one_but_not_on_a_desktop() {
    let mut p = healthy();
    p.power.batteries.clear();
    let v = eval(&p, &passed(), &support::good_health());
    assert_eq!(v.reasons, [Reason::NoBattery]);
    assert_eq!(v.actions, [Action::FitBattery]);
    assert_eq!(v.decision, Decision::Refurbish);

    p.identity.chassis.chassis_type = Field::Known(3); // desktop
    let v = eval(&p, &passed(), &support::good_health());
    assert_eq!(v.grade, Grade::A, "{v:?}");

    p.identity.chassis.chassis_type = Field::Unknown("no SMBIOS".into());
    let v = eval(&p, &passed(), &support::good_health());
    assert_eq!(v.reasons, [Reason::NoBattery]);
    assert!(v.actions.is_empty());
    assert_eq!(v.grade, Grade::B, "unknown chassis is not a clean bill");
}

#[test]
fn unknown_battery_health_is_stated_never_good() {
    let mut p = healthy();
    p.power.batteries[0].health_permille = Field::Unknown("energy_full_design missing".into());
    let v = eval(&p, &passed(), &support::good_health());
    assert_eq!(
        v.reasons,
        [Reason::BatteryHealthUnknown {
            battery: "BAT1".into()
        }]
    );
    assert_eq!(
        v.actions,
        [Action::CheckBattery {
            battery: "BAT1".into()
        }]
    );
    assert_eq!(v.grade, Grade::B);
}

#[test]
fn unknown_smart_is_stated_and_asks_for_a_check() {
    let v = eval(&healthy(), &passed(), &BTreeMap::new());
    assert_eq!(
        v.reasons,
        [Reason::DiskHealthUnknown {
            disk: "/dev/nvme0n1".into()
        }]
    );
    assert_eq!(
        v.actions,
        [Action::CheckDisk {
            disk: "/dev/nvme0n1".into()
        }]
    );
    assert_eq!((v.decision, v.grade), (Decision::Refurbish, Grade::B));
    let all_unknown = BTreeMap::from([("/dev/nvme0n1".to_string(), DiskHealth::default())]);
    assert_eq!(eval(&healthy(), &passed(), &all_unknown), v);
}

#[test]
fn failing_smart_and_counters_replace_the_disk_once_with_every_reason() {
    let h = BTreeMap::from([(
        "/dev/nvme0n1".to_string(),
        DiskHealth {
            smart_passed: Some(true),
            reallocated: Some(12),
            pending: Some(3),
            media_errors: Some(0),
        },
    )]);
    let v = eval(&healthy(), &passed(), &h);
    assert_eq!(v.reasons.len(), 2, "{v:?}");
    assert_eq!(
        v.actions,
        [Action::ReplaceDisk {
            disk: "/dev/nvme0n1".into(),
            problem: "reallocated".into(),
            count: Some("12".into())
        }]
    );
    assert_eq!(
        reprise::verdict::messages::action(&v.actions[0], reprise::cert::model::Language::En),
        "replace disk /dev/nvme0n1: 12 reallocated sectors"
    );
    let h = BTreeMap::from([(
        "/dev/nvme0n1".to_string(),
        DiskHealth {
            smart_passed: Some(false),
            reallocated: None,
            pending: None,
            media_errors: Some(u64::MAX),
        },
    )]);
    let v = eval(&healthy(), &passed(), &h);
    assert!(v.reasons.contains(&Reason::SmartFailed {
        disk: "/dev/nvme0n1".into()
    }));
    assert!(v.reasons.contains(&Reason::MediaErrors {
        disk: "/dev/nvme0n1".into(),
        count: u64::MAX.to_string()
    }));
    assert_eq!(v.decision, Decision::Refurbish);
}

#[test]
fn failed_sanitization_destroys_the_disk_and_keeps_the_laptop() {
    let v = eval(
        &healthy(),
        &support::wipe("wipe-failed.json"),
        &support::good_health(),
    );
    assert_eq!(v.decision, Decision::Refurbish);
    assert_eq!(
        v.actions,
        [
            Action::DestroyDisk {
                disk: "/dev/nvme0n1".into()
            },
            Action::FitNewDisk
        ]
    );
    assert_eq!(v.grade, Grade::C);
}

#[test]
fn a_cancelled_or_unverified_wipe_is_not_sanitized() {
    let mut w = passed();
    w.devices[0].verification.passed = false;
    let v = eval(&healthy(), &w, &support::good_health());
    assert!(v.reasons.contains(&Reason::SanitizationFailed {
        disk: "/dev/nvme0n1".into(),
        result: "verification_failed".into()
    }));
    let mut w = passed();
    w.devices[0].outcome = reprise::wipe::report::Outcome::Cancelled;
    let v = eval(&healthy(), &w, &support::good_health());
    assert!(v.actions.contains(&Action::DestroyDisk {
        disk: "/dev/nvme0n1".into()
    }));
}

#[test]
fn a_failed_built_in_emmc_means_recycle() {
    let mut p = healthy();
    p.disks[0].transport = Transport::Mmc;
    let v = eval(
        &p,
        &support::wipe("wipe-failed.json"),
        &support::good_health(),
    );
    assert_eq!((v.decision, v.grade), (Decision::Recycle, Grade::C));
    assert!(v.reasons.contains(&Reason::FailedDiskNotRemovable {
        disk: "/dev/nvme0n1".into()
    }));
    assert_eq!(v.actions.last(), Some(&Action::Recycle));
}

#[test]
fn a_disk_left_out_of_the_wipe_must_be_sanitized_or_removed() {
    let mut w = passed();
    w.devices.clear();
    let v = eval(&healthy(), &w, &support::good_health());
    assert_eq!(
        v.actions,
        [Action::SanitizeOrRemoveDisk {
            disk: "/dev/nvme0n1".into()
        }]
    );
}

#[test]
fn old_or_small_cpus_are_recycled_and_unknown_cpus_stated() {
    let mut p = healthy();
    p.cpu.x86_64_level = Field::Known(1);
    let v = eval(&p, &passed(), &support::good_health());
    assert_eq!(v.decision, Decision::Recycle);
    assert_eq!(
        v.reasons,
        [Reason::CpuLevelTooLow {
            level: 1,
            minimum: 2
        }]
    );
    let mut p = healthy();
    p.cpu.physical_cores = Field::Known(1);
    assert_eq!(
        eval(&p, &passed(), &support::good_health()).decision,
        Decision::Recycle
    );
    let mut p = healthy();
    p.cpu.x86_64_level = Field::Unknown("no /proc/cpuinfo".into());
    p.cpu.physical_cores = Field::Unknown("no topology".into());
    let v = eval(&p, &passed(), &support::good_health());
    assert_eq!((v.decision, v.grade), (Decision::Refurbish, Grade::B));
    assert_eq!(v.reasons, [Reason::CpuLevelUnknown, Reason::CoresUnknown]);
}

#[test]
fn ram_rules_follow_the_slots() {
    // 2 GiB with a free slot: add RAM.
    let mut p = healthy();
    p.memory.modules[0].size_bytes = Field::Known(2 * GIB);
    let v = eval(&p, &passed(), &support::good_health());
    assert_eq!(
        v.actions,
        [Action::AddRam {
            installed_bytes: 2 * GIB,
            free_slots: 1
        }]
    );
    assert_eq!(v.decision, Decision::Refurbish);
    // 2 GiB soldered, no free slot: recycle.
    p.memory.modules.truncate(1);
    p.memory.modules[0].slot = Field::Known("Onboard Memory".into());
    let v = eval(&p, &passed(), &support::good_health());
    assert_eq!(v.decision, Decision::Recycle);
    assert_eq!(
        v.reasons,
        [Reason::RamTooLowNotUpgradable {
            installed_bytes: 2 * GIB,
            minimum_bytes: 4 * GIB
        }]
    );
    // 2 GiB in a socket with no free slot: swap.
    p.memory.modules[0].slot = Field::Known("DIMM 0".into());
    assert_eq!(
        eval(&p, &passed(), &support::good_health()).actions,
        [Action::SwapRam {
            installed_bytes: 2 * GIB
        }]
    );
    // Modules unknown: RAM from MemTotal, slots stated unknown.
    p.memory.modules.clear();
    p.memory.total_usable_bytes = Field::Known(3_900_000_000);
    let v = eval(&p, &passed(), &support::good_health());
    // The operator reads what the machine said (usable), not the estimate compared with the
    // policy.
    assert!(
        matches!(
            v.reasons[..],
            [Reason::RamSlotsUnknown {
                installed_bytes: 3_900_000_000
            }]
        ),
        "{v:?}"
    );
    assert!(matches!(v.actions[..], [Action::CheckRamSlots { .. }]));
    p.memory.total_usable_bytes = Field::Unknown("no meminfo".into());
    assert_eq!(
        eval(&p, &passed(), &support::good_health()).reasons,
        [Reason::RamUnknown]
    );
}

#[test]
fn a_policy_file_changes_the_outcome() {
    let policy = Policy::from_toml(
        "# this workshop accepts older batteries\n[battery]\nreplace_below_permille = 400\n[cpu]\nminimum_cores = 8\n",
        Path::new("policy.toml"),
    )
    .unwrap();
    let v = evaluate(
        &support::probe(),
        &passed(),
        &support::good_health(),
        &policy,
    );
    assert!(
        !v.actions
            .iter()
            .any(|a| matches!(a, Action::ReplaceBattery { .. })),
        "{v:?}"
    );
    assert_eq!(v.decision, Decision::Recycle);
    assert!(v.reasons.contains(&Reason::TooFewCores {
        cores: 4,
        minimum: 8
    }));
}
