//! Verdict rules over the fixtures, one test per edge case: batteries (two, none, unknown),
//! disk health (failing, counters, unknown), failed sanitization (removable or built in), CPU,
//! cores, RAM (upgradable or not, unknown), and a policy file that changes the outcome.

use std::collections::BTreeMap;
use std::path::Path;

use reprise::model::{DiskId, Field, Language, Transport};
use reprise::probe::model::{
    Controller, ControllerFinding, ControllerKind, DiskHealth, OtherStorage, ProbeReport,
    StorageHandling, StorageKind,
};
use reprise::verdict::messages;
use reprise::verdict::{Action, Decision, DiskProblem, Grade, Policy, Reason, Verdict, evaluate};
use reprise::wipe::report::{Outcome, WipeReport};

use crate::support::certs;

const GIB: u64 = 1 << 30;

/// The NVMe disk of the fixtures, by its stable name.
const NVME: &str = "nvme:S41GNX0M123456:ns1";

fn nvme() -> DiskId {
    NVME.parse().unwrap()
}

/// A machine with nothing to fix: one healthy battery, 8 GiB with a free slot, healthy disk.
fn healthy() -> ProbeReport {
    let mut p = certs::probe();
    p.power.batteries.remove(0);
    p.memory.modules[0].size_bytes = Field::Known(8 * GIB);
    p
}

fn eval(p: &ProbeReport, w: &WipeReport, h: &BTreeMap<DiskId, DiskHealth>) -> Verdict {
    evaluate(p, w, h, &Policy::default())
}

fn passed() -> WipeReport {
    certs::wipe("wipe-passed.json")
}

#[test]
fn a_healthy_machine_is_grade_a_with_no_action() {
    let v = eval(&healthy(), &passed(), &certs::good_health());
    assert_eq!(
        (v.decision, v.grade),
        (Decision::Refurbish, Grade::A),
        "{v:?}"
    );
    assert!(v.reasons.is_empty() && v.actions.is_empty(), "{v:?}");
}

/// The health the probe read from the drive itself (no `--health` file): the SK hynix's real
/// SMART/Health log makes a healthy machine grade A; its critical warning or wear at the limit
/// make it "replace disk".
#[test]
fn the_probed_drive_health_alone_reaches_grade_a() {
    let log = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/corpus/nvme/skhynix-platinum-p41-2tb.smart-log.bin"),
    )
    .unwrap();
    let health = |log: &[u8]| {
        reprise::probe::drive::nvme_health(&reprise::parse::nvme::parse_smart_log(log).unwrap())
    };
    let mut p = healthy();
    p.disks[0].health = health(&log);
    let none = BTreeMap::new();
    let v = eval(&p, &passed(), &none);
    assert_eq!(
        (v.decision, v.grade),
        (Decision::Refurbish, Grade::A),
        "{v:?}"
    );

    // Without any health at all, never A: unknown is not good.
    p.disks[0].health = DiskHealth::default();
    let v = eval(&p, &passed(), &none);
    assert_ne!(v.grade, Grade::A, "{v:?}");

    // Critical warning bit 2 (reliability degraded): the drive says it is failing.
    let mut bad = log.clone();
    bad[0] = 0x04;
    p.disks[0].health = health(&bad);
    let v = eval(&p, &passed(), &none);
    assert!(
        v.actions
            .iter()
            .any(|a| matches!(a, Action::ReplaceDisk { problem, .. } if *problem == DiskProblem::SmartFailed)),
        "{v:?}"
    );

    // Percentage used (byte 5) at the default limit of 100: worn out.
    let mut worn = log;
    worn[5] = 100;
    p.disks[0].health = health(&worn);
    let v = eval(&p, &passed(), &none);
    assert!(
        v.reasons.iter().any(|r| matches!(
            r,
            Reason::DiskWornOut {
                percentage_used: 100,
                ..
            }
        )),
        "{v:?}"
    );
}

#[test]
fn two_batteries_are_judged_separately() {
    let mut p = healthy();
    p.power.batteries = certs::probe().power.batteries; // BAT0 41 %, BAT1 92 %
    let v = eval(&p, &passed(), &certs::good_health());
    assert_eq!(
        v.actions,
        [Action::ReplaceBattery {
            battery: "BAT0".into(),
            health_permille: 410
        }]
    );
    assert_eq!(v.grade, Grade::B);
    p.power.batteries[1].health_permille = Field::Known(799);
    let v = eval(&p, &passed(), &certs::good_health());
    assert_eq!(v.actions.len(), 2, "{v:?}");
    assert_eq!(v.grade, Grade::C);
    // Exactly at the threshold is fine.
    p.power.batteries[0].health_permille = Field::Known(800);
    p.power.batteries[1].health_permille = Field::Known(800);
    assert_eq!(eval(&p, &passed(), &certs::good_health()).grade, Grade::A);
}

#[test]
fn no_battery_on_a_laptop_asks_for_one_but_not_on_a_desktop() {
    let mut p = healthy();
    p.power.batteries.clear();
    let v = eval(&p, &passed(), &certs::good_health());
    assert_eq!(v.reasons, [Reason::NoBattery]);
    assert_eq!(v.actions, [Action::FitBattery]);
    assert_eq!(v.decision, Decision::Refurbish);

    p.identity.chassis.chassis_type = Field::Known(3); // desktop
    let v = eval(&p, &passed(), &certs::good_health());
    assert_eq!(v.grade, Grade::A, "{v:?}");

    p.identity.chassis.chassis_type = Field::Unknown("no SMBIOS".into());
    let v = eval(&p, &passed(), &certs::good_health());
    assert_eq!(v.reasons, [Reason::NoBattery]);
    assert!(v.actions.is_empty());
    assert_eq!(v.grade, Grade::B, "unknown chassis is not a clean bill");
}

#[test]
fn unknown_battery_health_is_stated_never_good() {
    let mut p = healthy();
    p.power.batteries[0].health_permille = Field::Unknown("energy_full_design missing".into());
    let v = eval(&p, &passed(), &certs::good_health());
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
    assert_eq!(v.reasons, [Reason::DiskHealthUnknown { disk: NVME.into() }]);
    assert_eq!(v.actions, [Action::CheckDisk { disk: NVME.into() }]);
    assert_eq!((v.decision, v.grade), (Decision::Refurbish, Grade::B));
    let all_unknown = BTreeMap::from([(nvme(), DiskHealth::default())]);
    assert_eq!(eval(&healthy(), &passed(), &all_unknown), v);
}

#[test]
fn failing_smart_and_counters_replace_the_disk_once_with_every_reason() {
    let h = BTreeMap::from([(
        nvme(),
        DiskHealth {
            smart_passed: Some(true),
            reallocated: Some(12),
            pending: Some(3),
            media_errors: Some(0),
            ..DiskHealth::default()
        },
    )]);
    let v = eval(&healthy(), &passed(), &h);
    // Two health reasons, and the 15 remapped sectors the overwrite could not reach.
    assert_eq!(v.reasons.len(), 3, "{v:?}");
    assert_eq!(
        v.actions,
        [
            Action::ReplaceDisk {
                disk: NVME.into(),
                problem: DiskProblem::Reallocated,
                count: Some("12".into())
            },
            Action::PurgeDisk { disk: NVME.into() }
        ]
    );
    assert_eq!(
        reprise::verdict::messages::action(&v.actions[0], reprise::cert::model::Language::En),
        "replace disk nvme:S41GNX0M123456:ns1: 12 reallocated sectors"
    );
    let h = BTreeMap::from([(
        nvme(),
        DiskHealth {
            smart_passed: Some(false),
            reallocated: None,
            pending: None,
            media_errors: Some(u64::MAX),
            ..DiskHealth::default()
        },
    )]);
    let v = eval(&healthy(), &passed(), &h);
    assert!(
        v.reasons
            .contains(&Reason::SmartFailed { disk: NVME.into() })
    );
    assert!(v.reasons.contains(&Reason::MediaErrors {
        disk: NVME.into(),
        count: u64::MAX.to_string()
    }));
    assert_eq!(v.decision, Decision::Refurbish);
}

#[test]
fn failed_sanitization_destroys_the_disk_and_keeps_the_laptop() {
    let v = eval(
        &healthy(),
        &certs::wipe("wipe-failed.json"),
        &certs::good_health(),
    );
    assert_eq!(v.decision, Decision::Refurbish);
    assert_eq!(
        v.actions,
        [
            Action::DestroyDisk { disk: NVME.into() },
            Action::FitNewDisk
        ]
    );
    assert_eq!(v.grade, Grade::C);
}

#[test]
fn a_cancelled_or_unverified_wipe_is_not_sanitized() {
    // A record that says passed while its verification did not pass is not sanitized (the one
    // predicate checks the whole record), and the disk is destroyed.
    let mut w = passed();
    w.devices[0].verification.passed = false;
    let v = eval(&healthy(), &w, &certs::good_health());
    assert!(v.reasons.contains(&Reason::SanitizationFailed {
        disk: NVME.into(),
        result: Outcome::Failed
    }));
    assert!(
        v.actions
            .contains(&Action::DestroyDisk { disk: NVME.into() })
    );
    // Cancelled: not sanitized, sanitize it again (nothing is wrong with the disk).
    let mut w = passed();
    w.devices[0].outcome = Outcome::Cancelled;
    let v = eval(&healthy(), &w, &certs::good_health());
    assert_eq!(
        v.reasons,
        [Reason::SanitizationFailed {
            disk: NVME.into(),
            result: Outcome::Cancelled
        }]
    );
    assert_eq!(
        v.actions,
        [Action::SanitizeOrRemoveDisk { disk: NVME.into() }]
    );
    // Written without verification: not sanitized, wipe again with a verification.
    let mut w = passed();
    w.devices[0].outcome = reprise::wipe::report::Outcome::Unverified;
    w.devices[0].verification = reprise::wipe::report::Verification::not_run();
    let v = eval(&healthy(), &w, &certs::good_health());
    assert_eq!(
        v.reasons,
        [Reason::SanitizationNotVerified { disk: NVME.into() }]
    );
    assert_eq!(v.grade, Grade::B);
}

#[test]
fn a_retried_then_verified_write_is_sanitized_with_a_health_reason() {
    let mut w = passed();
    w.devices[0].errors.push(reprise::wipe::report::WipeError {
        operation: reprise::model::ErrorKind::WriteRetried,
        lba: Some(2048),
        sectors: Some(16384),
        message: "write at LBA 2048 failed then succeeded in smaller pieces".into(),
    });
    assert!(w.devices[0].is_sanitized());
    let v = eval(&healthy(), &w, &certs::good_health());
    assert_eq!(
        v.reasons,
        [Reason::WritesRetried {
            disk: NVME.into(),
            count: 1
        }]
    );
    assert_eq!(v.actions, [Action::CheckDisk { disk: NVME.into() }]);
    assert!(
        !v.actions
            .iter()
            .any(|a| matches!(a, Action::DestroyDisk { .. }))
    );
}

#[test]
fn every_disk_is_accounted_for_only_the_boot_medium_is_left_out() {
    // The USB stick of the fixture is the proven boot medium: left out. Once it is not proven
    // (two sticks, a network boot), it is a disk that was not sanitized.
    let mut p = healthy();
    let v = eval(&p, &passed(), &certs::good_health());
    assert_eq!(v.grade, Grade::A, "{v:?}");
    p.disks[1].reprise_medium.as_mut().unwrap().booted = false;
    let v = eval(&p, &passed(), &certs::good_health());
    assert!(v.reasons.contains(&Reason::DiskNotSanitized {
        disk: "usb:4C530001230514118423".into(),
        why: Some("it carries a Reprise image".into())
    }));
    // A disk the mount table flags (it could not be read: every disk is flagged) is still a
    // data-bearing disk: never "no disk".
    let mut p = healthy();
    p.disks[0].holds_system = true;
    p.disks[0].system_reasons = vec!["mount table unreadable".into()];
    let mut w = passed();
    w.devices.clear();
    let v = eval(&p, &w, &certs::good_health());
    assert!(!v.reasons.contains(&Reason::NoDisk), "{v:?}");
    assert!(v.reasons.contains(&Reason::DiskNotSanitized {
        disk: NVME.into(),
        why: Some("mount table unreadable".into())
    }));
    assert_eq!(
        v.actions,
        [Action::SanitizeOrRemoveDisk { disk: NVME.into() }]
    );
    // No disk but the stick, and nobody said the laptop has none: nothing is known of its
    // storage, so no refurbishing as it is.
    let mut p = healthy();
    p.disks.remove(0);
    let v = eval(&p, &w, &certs::good_health());
    assert_eq!(v.reasons, [Reason::NoInternalStorageFound]);
    assert_eq!(v.decision, Decision::Recycle);
}

#[test]
fn a_failed_built_in_emmc_means_recycle() {
    let mut p = healthy();
    p.disks[0].soldered = true;
    let v = eval(&p, &certs::wipe("wipe-failed.json"), &certs::good_health());
    assert_eq!((v.decision, v.grade), (Decision::Recycle, Grade::C));
    assert!(
        v.reasons
            .contains(&Reason::FailedDiskNotRemovable { disk: NVME.into() })
    );
    assert_eq!(v.actions.last(), Some(&Action::Recycle));
}

#[test]
fn a_disk_left_out_of_the_wipe_must_be_sanitized_or_removed() {
    let mut w = passed();
    w.devices.clear();
    let v = eval(&healthy(), &w, &certs::good_health());
    assert_eq!(
        v.actions,
        [Action::SanitizeOrRemoveDisk { disk: NVME.into() }]
    );
}

#[test]
fn old_or_small_cpus_are_recycled_and_unknown_cpus_stated() {
    let mut p = healthy();
    p.cpu.x86_64_level = Field::Known(1);
    let v = eval(&p, &passed(), &certs::good_health());
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
        eval(&p, &passed(), &certs::good_health()).decision,
        Decision::Recycle
    );
    let mut p = healthy();
    p.cpu.x86_64_level = Field::Unknown("no /proc/cpuinfo".into());
    p.cpu.physical_cores = Field::Unknown("no topology".into());
    let v = eval(&p, &passed(), &certs::good_health());
    assert_eq!((v.decision, v.grade), (Decision::Refurbish, Grade::B));
    assert_eq!(v.reasons, [Reason::CpuLevelUnknown, Reason::CoresUnknown]);
}

#[test]
fn ram_rules_follow_the_slots() {
    // 2 GiB with a free slot: add RAM.
    let mut p = healthy();
    p.memory.modules[0].size_bytes = Field::Known(2 * GIB);
    p.memory.modules[0].form_factor = Field::Unknown("not in the table".into());
    let v = eval(&p, &passed(), &certs::good_health());
    // SMBIOS gave no form factor: the size to add is known, the kind is not.
    assert_eq!(
        v.actions,
        [Action::AddRam {
            installed_bytes: 2 * GIB,
            free_slots: 1,
            module_bytes: Some(8 * GIB),
            module_kind: None,
        }]
    );
    assert_eq!(v.decision, Decision::Refurbish);
    // With the form factor, the operator is told which module to fetch from the shelf.
    p.memory.modules[0].memory_type = Field::Known("DDR4".into());
    p.memory.modules[0].form_factor = Field::Known("SODIMM".into());
    let v = eval(&p, &passed(), &certs::good_health());
    assert_eq!(
        v.actions,
        [Action::AddRam {
            installed_bytes: 2 * GIB,
            free_slots: 1,
            module_bytes: Some(8 * GIB),
            module_kind: Some("DDR4 SODIMM".into()),
        }]
    );
    // 3 GiB installed, 8 recommended: 5 missing, the next module size is 8 GiB.
    p.memory.modules[0].size_bytes = Field::Known(3 * GIB);
    let v = eval(&p, &passed(), &certs::good_health());
    assert!(matches!(
        v.actions.as_slice(),
        [Action::AddRam { module_bytes: Some(b), .. }] if *b == 8 * GIB
    ));
    p.memory.modules[0].size_bytes = Field::Known(2 * GIB);
    // 2 GiB soldered, no free slot: recycle.
    p.memory.modules.truncate(1);
    p.memory.modules[0].slot = Field::Known("Onboard Memory".into());
    let v = eval(&p, &passed(), &certs::good_health());
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
        eval(&p, &passed(), &certs::good_health()).actions,
        [Action::SwapRam {
            installed_bytes: 2 * GIB
        }]
    );
    // Modules unknown: RAM from MemTotal, slots stated unknown.
    p.memory.modules.clear();
    p.memory.total_usable_bytes = Field::Known(3_900_000_000);
    let v = eval(&p, &passed(), &certs::good_health());
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
        eval(&p, &passed(), &certs::good_health()).reasons,
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
    let v = evaluate(&certs::probe(), &passed(), &certs::good_health(), &policy);
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

/// Storage that is not a disk, as the probe lists it.
fn other(name: &str, kind: StorageKind, handling: StorageHandling) -> OtherStorage {
    OtherStorage {
        name: name.into(),
        dev_path: Some(format!("/dev/{name}")),
        kind,
        id: None,
        part_of: None,
        vendor: Field::Known("QEMU".into()),
        model: Field::Known("QEMU DVD-ROM".into()),
        serial: Field::Known("QM00005".into()),
        transport: Transport::Sata,
        size_bytes: Field::Known(0),
        read_only: Field::Known(true),
        handling,
        evidence: "test".into(),
    }
}

/// An empty DVD drive, an empty card reader and the eMMC's boot partitions are no disk left
/// unsanitized: a healthy laptop stays grade A, with nothing to do.
#[test]
fn storage_that_is_not_a_disk_is_never_a_disk_not_sanitized() {
    let mut p = healthy();
    p.other_storage = vec![
        other("sr0", StorageKind::OpticalDrive, StorageHandling::NoMedium),
        other("sdc", StorageKind::CardReader, StorageHandling::NoMedium),
        other(
            "mmcblk0boot0",
            StorageKind::EmmcBootPartition,
            StorageHandling::NotWritten,
        ),
    ];
    let v = eval(&p, &passed(), &certs::good_health());
    assert_eq!(
        (v.decision, v.grade),
        (Decision::Refurbish, Grade::A),
        "{v:?}"
    );
    assert!(v.reasons.is_empty() && v.actions.is_empty(), "{v:?}");
}

/// A disc left in the drive (or a write-protected card in a reader) is a note: take it out. It
/// neither lowers the grade nor says a disk was not sanitized.
#[test]
fn a_disc_left_in_the_drive_is_a_note_not_a_reason() {
    let mut p = healthy();
    p.other_storage = vec![
        other(
            "sr0",
            StorageKind::OpticalDrive,
            StorageHandling::RemoveMedium,
        ),
        other(
            "sdd",
            StorageKind::ReadOnlyMedium,
            StorageHandling::RemoveMedium,
        ),
    ];
    let v = eval(&p, &passed(), &certs::good_health());
    assert_eq!(
        (v.decision, v.grade),
        (Decision::Refurbish, Grade::A),
        "{v:?}"
    );
    assert!(v.reasons.is_empty(), "{v:?}");
    let remove_disc = Action::RemoveMedium {
        device: "sr0".into(),
        kind: StorageKind::OpticalDrive,
    };
    assert_eq!(
        v.actions,
        [
            remove_disc.clone(),
            Action::RemoveMedium {
                device: "sdd".into(),
                kind: StorageKind::ReadOnlyMedium
            }
        ]
    );
    assert_eq!(
        messages::action(&remove_disc, Language::En),
        "remove the disc from optical drive sr0"
    );
    assert_eq!(
        messages::action(&remove_disc, Language::Fr),
        "retirer le disque du lecteur optique sr0"
    );
}

/// A namespace the kernel did not show holds data like any disk: not sanitized, unless the
/// firmware erase of its controller (an NVMe Sanitize) erased it with the one that was shown.
#[test]
fn a_hidden_nvme_namespace_is_a_disk_not_sanitized_unless_its_controller_was_erased() {
    let mut p = healthy();
    let mut ns2 = other(
        "nvme0 namespace 2",
        StorageKind::NvmeNamespace,
        StorageHandling::NotSanitized,
    );
    ns2.id = Some("nvme:S41GNX0M123456:ns2".parse().unwrap());
    p.other_storage = vec![ns2];
    let v = eval(&p, &passed(), &certs::good_health());
    assert!(
        v.reasons.contains(&Reason::DiskNotSanitized {
            disk: "nvme:S41GNX0M123456:ns2".into(),
            why: Some("nvme0 namespace 2: the kernel shows no disk for it".into()),
        }),
        "{v:?}"
    );
    assert!(v.actions.contains(&Action::SanitizeOrRemoveDisk {
        disk: "nvme:S41GNX0M123456:ns2".into()
    }));
    assert_ne!(v.grade, Grade::A);

    let mut erased = WipeReport {
        devices: vec![crate::cert_storage::sanitized_with_namespaces(&[1, 2])],
        ..passed()
    };
    let v = eval(&p, &erased, &certs::good_health());
    assert!(
        !v.reasons
            .iter()
            .any(|r| matches!(r, Reason::DiskNotSanitized { .. })),
        "{v:?}"
    );
    // The Sanitize erased namespace 1 only: 2 is still not sanitized.
    erased.devices = vec![crate::cert_storage::sanitized_with_namespaces(&[1])];
    let v = eval(&p, &erased, &certs::good_health());
    assert!(
        v.reasons
            .iter()
            .any(|r| matches!(r, Reason::DiskNotSanitized { disk, .. } if disk.ends_with(":ns2"))),
        "{v:?}"
    );
}

/// A storage controller that may hide disks: the reason and the step that fixes it — and never
/// "no disk, fit a new one", which would send away a laptop whose disk still holds its owner's
/// files.
#[test]
fn hidden_storage_is_named_with_its_fix_never_no_disk() {
    let mut p = healthy();
    p.disks.remove(0);
    let vmd = Controller {
        address: "0000:00:0e.0".into(),
        kind: ControllerKind::Vmd,
        class: "010400".into(),
        vendor_id: "8086".into(),
        device_id: "9a0b".into(),
        driver: None,
        disks: vec![],
        other_storage: vec![],
        remapped_nvme: None,
        finding: Some(ControllerFinding::VmdWithoutDriver),
    };
    p.controllers = vec![vmd];
    let mut w = passed();
    w.devices.clear();
    let v = eval(&p, &w, &certs::good_health());
    let hidden = Reason::DisksHidden {
        controller: "0000:00:0e.0".into(),
        pci_id: "8086:9a0b".into(),
        finding: ControllerFinding::VmdWithoutDriver,
    };
    // The controller and its fix, and what is not known: never refurbished as it is.
    assert_eq!(
        v.reasons,
        [hidden.clone(), Reason::NoInternalStorageFound],
        "{v:?}"
    );
    assert_eq!(v.decision, Decision::Recycle);
    let fix = Action::RevealDisks {
        controller: "0000:00:0e.0".into(),
        pci_id: "8086:9a0b".into(),
        finding: ControllerFinding::VmdWithoutDriver,
    };
    assert_eq!(v.actions, [fix.clone(), Action::Recycle]);
    assert_eq!(
        messages::reason(&hidden, Language::En),
        "disks may be hidden behind controller 0000:00:0e.0 (8086:9a0b): Intel VMD with no driver"
    );
    assert_eq!(
        messages::action(&fix, Language::Fr),
        "démarrer une image qui a le pilote vmd, ou BIOS → Stockage → Intel VMD : désactivé, puis recommencer"
    );
    // A network controller with no driver hides no disk.
    p.controllers[0].kind = ControllerKind::Ethernet;
    let v = eval(&p, &w, &certs::good_health());
    assert_eq!(v.reasons, [Reason::NoInternalStorageFound]);
}

/// A laptop whose only disk is a USB one (not the stick) has no disk of its own: fit one. The
/// USB disk is still accounted for.
#[test]
fn a_usb_disk_is_not_the_laptops_own_disk() {
    let mut p = healthy();
    p.disks.remove(0);
    p.disks[0].reprise_medium = None;
    let mut w = passed();
    w.devices.clear();
    // Found nothing of its own, and nobody said it has none: no refurbishing as it is.
    let v = eval(&p, &w, &certs::good_health());
    assert_eq!(v.reasons[0], Reason::NoInternalStorageFound, "{v:?}");
    assert_eq!(v.decision, Decision::Recycle);
    assert!(!v.actions.contains(&Action::FitNewDisk));
    // The operator looked and states the laptop has no disk: it needs one.
    let stated = reprise::cert::model::ChecksRecord {
        no_disk_stated: true,
        ..Default::default()
    };
    let v = reprise::verdict::evaluate_with_checks(
        &p,
        &w,
        &certs::good_health(),
        &stated,
        &Policy::default(),
    );
    assert_eq!(v.reasons[0], Reason::NoDisk, "{v:?}");
    assert!(v.actions.contains(&Action::FitNewDisk));
    assert!(
        v.reasons.iter().any(|r| matches!(
            r,
            Reason::DiskNotSanitized { disk, .. } if disk == "usb:4C530001230514118423"
        )),
        "{v:?}"
    );
}

/// A drive nobody could ask about its disc: look, and take out any disc — a note too.
#[test]
fn a_drive_whose_disc_is_unknown_is_a_note_to_look() {
    let mut p = healthy();
    p.other_storage = vec![other(
        "sr0",
        StorageKind::OpticalDrive,
        StorageHandling::CheckEmpty,
    )];
    let v = eval(&p, &passed(), &certs::good_health());
    assert_eq!(
        (v.decision, v.grade),
        (Decision::Refurbish, Grade::A),
        "{v:?}"
    );
    let look = Action::CheckNoMedium {
        device: "sr0".into(),
        kind: StorageKind::OpticalDrive,
    };
    assert_eq!(v.actions, std::slice::from_ref(&look));
    assert_eq!(
        messages::action(&look, Language::Fr),
        "vérifier que le lecteur optique sr0 est vide (retirer tout disque)"
    );
}
