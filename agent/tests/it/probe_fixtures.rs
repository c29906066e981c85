//! Golden tests of `reprise probe` on fixture trees shaped like real machines
//! (`tests/fixtures/probe/*`, rebuilt by `make-fixtures.sh`): key values asserted by hand, then
//! the whole JSON and the human screen pinned by insta snapshots.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use reprise::model::{Field, Transport};
use reprise::probe::model::{
    CapacityUnit, ControllerFinding, ControllerKind, DriveFacts, HealthStatus, ProbeReport,
    StorageHandling, StorageKind,
};
use reprise::probe::{self, Drives, ProbeOptions, render};
use reprise::sys::SysRoot;
use reprise::sys::passthrough::Passthrough;
use reprise_sim::ata::SimAta;
use reprise_sim::nvme::SimNvme;

fn fixture(name: &str) -> SysRoot {
    SysRoot::new(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/probe")
            .join(name),
    )
}

fn corpus(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corpus")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The drives behind each fixture's disks, answering from real dumps of the corpus: the
/// T480s's Toshiba NVMe (its SMART log taken from the SK hynix dump, the corpus has none of
/// its own), the T430's Intel SATA SSD, and a USB stick whose bridge translates nothing.
fn drives(name: &str) -> Drives {
    let mut map: BTreeMap<String, Box<dyn Passthrough>> = BTreeMap::new();
    match name {
        "laptop-nvme" => {
            map.insert(
                "nvme0n1".into(),
                Box::new(SimNvme::new(
                    "nvme0n1",
                    corpus("nvme/toshiba-thnsn5512gpu7.id-ctrl.bin"),
                    corpus("nvme/skhynix-platinum-p41-2tb.id-ns.bin"),
                    corpus("nvme/skhynix-platinum-p41-2tb.smart-log.bin"),
                )),
            );
        }
        "laptop-sata-usb" => {
            let intel = "ata/INTEL_SSDSA2CW120G3--4PC10302";
            map.insert(
                "sda".into(),
                Box::new(SimAta::new(
                    "sda",
                    corpus(&format!("{intel}.identify.bin")),
                    Some((
                        corpus(&format!("{intel}.smart-data.bin")),
                        corpus(&format!("{intel}.smart-thresholds.bin")),
                    )),
                    Some(true),
                )),
            );
            let mut stick = SimAta::new("sdb", vec![0; 512], None, None);
            stick.bridge_refuses = true;
            map.insert("sdb".into(), Box::new(stick));
        }
        // The eMMC has no drive-level health interface the probe reads.
        _ => {}
    }
    Drives::Simulated(Arc::new(Mutex::new(map)))
}

/// Probes a fixture; the tool version is masked so that snapshots survive a version bump.
fn probe_fixture(name: &str, all: bool) -> ProbeReport {
    let mut r = probe::probe_with(
        &fixture(name),
        ProbeOptions {
            include_virtual: all,
            drives: drives(name),
        },
    )
    .expect("probe fixture");
    assert_eq!(r.tool_version, reprise::model::tool_version());
    r.tool_version = "reprise [version]".to_owned();
    r
}

fn k<T: Clone>(f: &Field<T>) -> T {
    match f {
        Field::Known(v) => v.clone(),
        Field::Unknown(why) => panic!("expected a known value, got unknown: {why}"),
    }
}

#[test]
fn laptop_nvme_one_energy_battery() {
    let r = probe_fixture("laptop-nvme", false);
    assert_eq!(r.schema_version, 1);
    assert_eq!(k(&r.identity.system.vendor), "LENOVO");
    assert_eq!(k(&r.identity.system.version), "ThinkPad T480s");
    assert_eq!(k(&r.identity.system.serial), "PC131TBF");
    assert_eq!(k(&r.identity.chassis.chassis_type), 10);
    assert_eq!(k(&r.identity.chassis.chassis_type_name), "Notebook");
    assert_eq!(k(&r.identity.bios.version), "N22ET52W (1.29 )");

    assert_eq!(k(&r.cpu.sockets), 1);
    assert_eq!(k(&r.cpu.physical_cores), 4);
    assert_eq!(k(&r.cpu.threads), 8);
    assert_eq!(k(&r.cpu.max_frequency_khz), 3_600_000);
    assert_eq!(k(&r.cpu.x86_64_level), 3);
    assert!(k(&r.cpu.aes_ni));
    assert_eq!(k(&r.cpu.virtualization).as_deref(), Some("vmx"));
    assert_eq!(k(&r.memory.total_usable_bytes), 15_998_848 * 1024);

    // The HID mouse battery (scope Device) is not the machine's.
    assert_eq!(r.power.batteries.len(), 1);
    let b = &r.power.batteries[0];
    assert_eq!(b.name, "BAT0");
    assert_eq!(k(&b.capacity_unit), CapacityUnit::MicroWattHours);
    assert_eq!(k(&b.design_capacity), 57_020_000);
    assert_eq!(k(&b.full_capacity), 49_840_000);
    assert_eq!(k(&b.health_permille), 874);
    assert_eq!(k(&b.cycle_count), Some(212));
    assert_eq!(r.power.ac_online, Field::Known(false));

    // loop0 and zram0 hidden by default.
    assert_eq!(r.disks.len(), 1);
    let d = &r.disks[0];
    assert_eq!(
        (d.name.as_str(), d.dev_path.as_str()),
        ("nvme0n1", "/dev/nvme0n1")
    );
    assert_eq!(d.transport, Transport::Nvme);
    assert_eq!(k(&d.model), "THNSN5512GPU7 TOSHIBA");
    assert_eq!(k(&d.serial), "37RSDEADBEEF");
    assert_eq!(k(&d.firmware), "410557LA");
    assert_eq!(k(&d.size_bytes), 1_000_215_216 * 512);
    assert_eq!(d.partitions.len(), 4);
    assert_eq!(d.partitions[3].name, "nvme0n1p4");
    assert!(!d.holds_system, "{:?}", d.system_reasons);

    // Health from the SMART/Health log, the numbers nvme-cli prints for the same bytes
    // (smart-log.nvme-cli.json: temperature 330 K, power_on_hours 28414, percent_used 0).
    let h = &d.health;
    assert_eq!(h.status, HealthStatus::Passed, "{:?}", h.why);
    assert_eq!(h.source.as_deref(), Some("NVMe SMART/Health log"));
    assert_eq!(h.smart_passed, Some(true));
    assert_eq!(h.power_on_hours, Some(28_414));
    assert_eq!(h.temperature_celsius, Some(57));
    assert_eq!(h.percentage_used, Some(0));
    assert_eq!(
        (h.available_spare, h.available_spare_threshold),
        (Some(100), Some(10))
    );
    assert_eq!(h.media_errors, Some(0));
    assert!(h.critical_warnings.is_empty());
    assert!(
        matches!(d.drive, Some(DriveFacts::Nvme { .. })),
        "{:?}",
        d.drive
    );

    // SMBIOS (the T480s's own table): two DDR4 SODIMMs, 8 + 16 GB, both slots taken.
    assert_eq!(k(&r.memory.smbios), "3.0.0");
    assert_eq!(k(&r.memory.slots), 2);
    let modules: Vec<(String, u64, String, String, bool)> = r
        .memory
        .modules
        .iter()
        .map(|m| {
            (
                k(&m.slot),
                k(&m.size_bytes),
                k(&m.memory_type),
                k(&m.form_factor),
                m.soldered,
            )
        })
        .collect();
    let gib = 1u64 << 30;
    assert_eq!(
        modules,
        [
            (
                "ChannelA-DIMM0".into(),
                8 * gib,
                "DDR4".into(),
                "SODIMM".into(),
                false
            ),
            (
                "ChannelB-DIMM0".into(),
                16 * gib,
                "DDR4".into(),
                "SODIMM".into(),
                false
            ),
        ]
    );
    // Its table has no type 43 and the tree no sys/class/tpm.
    assert!(matches!(r.tpm, Field::Known(None)), "{:?}", r.tpm);

    let nets: Vec<(&str, String, String)> = r
        .network
        .iter()
        .map(|n| (n.name.as_str(), k(&n.mac), k(&n.driver)))
        .collect();
    assert_eq!(
        nets,
        [
            ("enp0s31f6", "54:e1:ad:8f:3a:11".into(), "e1000e".into()),
            ("wlp61s0", "3c:6a:a7:1e:52:c0".into(), "iwlwifi".into()),
        ]
    );
    // The controller's Active Namespace ID list names the one namespace the kernel shows.
    assert!(
        matches!(&d.drive, Some(DriveFacts::Nvme { active_namespaces: Some(ns), .. }) if ns == &[1]),
        "{:?}",
        d.drive
    );
    assert!(r.other_storage.is_empty(), "{:?}", r.other_storage);
    // The NVMe controller shows the disk; the chipset's SATA controller shows none, and hides
    // none (its driver is bound).
    let controllers: Vec<(&str, ControllerKind, Option<&str>, Vec<String>)> = r
        .controllers
        .iter()
        .map(|c| {
            (
                c.address.as_str(),
                c.kind,
                c.driver.as_deref(),
                c.disks.iter().map(ToString::to_string).collect(),
            )
        })
        .collect();
    assert_eq!(
        controllers,
        [
            (
                "0000:00:17.0",
                ControllerKind::SataAhci,
                Some("ahci"),
                vec![]
            ),
            (
                "0000:00:1f.6",
                ControllerKind::Ethernet,
                Some("e1000e"),
                vec![]
            ),
            (
                "0000:3c:00.0",
                ControllerKind::Nvme,
                Some("nvme"),
                vec![d.id.to_string()]
            ),
            (
                "0000:3d:00.0",
                ControllerKind::OtherNetwork,
                Some("iwlwifi"),
                vec![]
            ),
        ]
    );
    assert!(r.controllers_hiding_disks().is_empty());
    assert!(r.has_internal_storage());
    insta::assert_json_snapshot!("laptop_nvme_json", r);
    insta::assert_snapshot!("laptop_nvme_human", render::human(&r));
}

#[test]
fn laptop_sata_usb_two_batteries_boot_stick_flagged() {
    let r = probe_fixture("laptop-sata-usb", false);
    assert_eq!(k(&r.cpu.x86_64_level), 2, "Ivy Bridge has no AVX2");
    assert_eq!(k(&r.cpu.physical_cores), 2);
    assert_eq!(k(&r.cpu.threads), 4);

    let bats = &r.power.batteries;
    assert_eq!(bats.len(), 2);
    assert_eq!(k(&bats[0].capacity_unit), CapacityUnit::MicroAmpHours);
    assert_eq!(k(&bats[0].health_permille), 850);
    assert_eq!(k(&bats[0].cycle_count), None, "cycle_count 0 means unknown");
    assert_eq!(k(&bats[1].capacity_unit), CapacityUnit::MicroWattHours);
    assert_eq!(k(&bats[1].health_permille), 617);
    assert_eq!(k(&bats[1].cycle_count), Some(41));
    assert_eq!(r.power.ac_online, Field::Known(true));

    let names: Vec<&str> = r.disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["sda", "sdb"], "loop0 (the live squashfs) is hidden");
    let (sda, sdb) = (&r.disks[0], &r.disks[1]);
    assert_eq!(sda.transport, Transport::Sata);
    // Whole ATA model and firmware from libata's IDENTIFY words, not INQUIRY's 16/4 bytes.
    assert_eq!(k(&sda.model), "INTEL SSDSA2CW120G3");
    assert_eq!(k(&sda.serial), "CVPR109301UZ120LGN");
    assert_eq!(k(&sda.firmware), "4PC10302");
    assert_eq!(k(&sda.size_bytes), 120_034_123_776);
    assert_eq!(k(&sda.vendor), "ATA");
    assert!(!k(&sda.rotational));
    assert!(!sda.holds_system, "{:?}", sda.system_reasons);
    // SMART from the drive's own dump, as smartctl reads it (smartctl.json: passed, 45 hours,
    // attribute 5 raw 0).
    let h = &sda.health;
    assert_eq!(h.status, HealthStatus::Passed, "{:?}", h.why);
    assert_eq!(h.source.as_deref(), Some("ATA SMART"));
    assert_eq!(h.smart_passed, Some(true));
    assert_eq!(h.power_on_hours, Some(45));
    assert_eq!(h.reallocated, Some(0));
    assert!(
        matches!(sda.drive, Some(DriveFacts::Ata { .. })),
        "{:?}",
        sda.drive
    );
    // The stick's bridge answers nothing: unknown, with the reason, never good.
    assert_eq!(sdb.health.status, HealthStatus::Unknown);
    assert!(sdb.health.why.is_some());
    assert_eq!(sdb.drive, None);
    // The T430: DDR3 in two SODIMM slots, SMBIOS 2.7.
    assert_eq!(k(&r.memory.slots), 2);
    assert_eq!(r.memory.modules.len(), 2);
    assert!(
        r.memory
            .modules
            .iter()
            .all(|m| k(&m.memory_type) == "DDR3" && k(&m.form_factor) == "SODIMM")
    );

    assert_eq!(sdb.transport, Transport::Usb);
    assert_eq!(k(&sdb.serial), "4C530001230817116153");
    assert!(k(&sdb.removable));
    assert!(sdb.holds_system);
    assert_eq!(
        sdb.system_reasons,
        [
            "partition sdb1 mounted on /run/live/medium",
            "partition sdb3 mounted on /run/reprise/data"
        ]
    );
    assert_eq!(sdb.partitions[0].mountpoints, ["/run/live/medium"]);
    assert!(sdb.partitions[1].mountpoints.is_empty());

    let human = render::human(&r);
    assert!(human.contains("IN USE BY THE RUNNING SYSTEM — never wiped"));
    insta::assert_json_snapshot!("laptop_sata_usb_json", r);
    insta::assert_snapshot!("laptop_sata_usb_human", human);
}

#[test]
fn mini_pc_emmc_no_battery() {
    let r = probe_fixture("mini-emmc", false);
    assert!(r.power.batteries.is_empty());
    assert!(matches!(r.power.ac_online, Field::Unknown(_)));
    assert_eq!(k(&r.identity.chassis.chassis_type_name), "Desktop");
    assert_eq!(k(&r.cpu.x86_64_level), 3);
    let names: Vec<&str> = r.disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["mmcblk0"], "boot0/boot1 areas hidden by default");
    let d = &r.disks[0];
    assert_eq!(d.transport, Transport::Mmc);
    assert_eq!(k(&d.model), "DA4064");
    assert_eq!(k(&d.serial), "0x9f3a1b2c");
    assert_eq!(k(&d.vendor), "0x000045");
    assert_eq!(d.partitions.len(), 2);
    assert_eq!(d.health.status, HealthStatus::Unknown);

    // The EQ12's table: one DDR5 SODIMM and an empty slot; a TPM 2.0 from Intel (type 43).
    assert_eq!(k(&r.memory.slots), 2);
    let sizes: Vec<u64> = r.memory.modules.iter().map(|m| k(&m.size_bytes)).collect();
    assert_eq!(sizes, [16 << 30, 0]);
    let tpm = k(&r.tpm).expect("a TPM");
    assert_eq!(tpm.spec_version, "2.0");
    assert_eq!(tpm.vendor.as_deref(), Some("INTC"));
    assert_eq!(tpm.source, "SMBIOS type 43");

    // The eMMC's hardware partitions are listed with what was done to them (nothing: read-only
    // by default and outside the user area; the RPMB needs the device's key), never as disks.
    let areas: Vec<(&str, StorageKind, StorageHandling, u64)> = r
        .other_storage
        .iter()
        .map(|o| (o.name.as_str(), o.kind, o.handling, k(&o.size_bytes)))
        .collect();
    assert_eq!(
        areas,
        [
            (
                "mmcblk0boot0",
                StorageKind::EmmcBootPartition,
                StorageHandling::NotWritten,
                4 << 20
            ),
            (
                "mmcblk0boot1",
                StorageKind::EmmcBootPartition,
                StorageHandling::NotWritten,
                4 << 20
            ),
            (
                "mmcblk0rpmb",
                StorageKind::EmmcRpmb,
                StorageHandling::NotWritten,
                4 << 20
            ),
        ]
    );
    assert!(
        r.other_storage
            .iter()
            .all(|o| o.part_of.as_ref() == Some(&d.id))
    );
    // The eMMC sits behind the SD host controller: soldered, so internal storage.
    let host = r
        .controllers
        .iter()
        .find(|c| c.kind == ControllerKind::SdHost)
        .unwrap();
    assert_eq!(host.disks, std::slice::from_ref(&d.id));
    assert!(r.has_internal_storage());

    let human = render::human(&r);
    assert!(human.contains("BATTERY   No battery"), "{human}");
    assert!(
        human.contains("/dev/mmcblk0boot0  eMMC boot partition, not written: read-only by default"),
        "{human}"
    );
    insta::assert_json_snapshot!("mini_emmc_json", r);
    insta::assert_snapshot!("mini_emmc_human", human);

    let all = probe_fixture("mini-emmc", true);
    let names: Vec<&str> = all.disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["mmcblk0", "mmcblk0boot0", "mmcblk0boot1"]);
    assert!(k(&all.disks[1].read_only));
    assert_eq!(
        k(&all.disks[1].serial),
        "0x9f3a1b2c",
        "boot area reads its card"
    );
}

/// A laptop as workshops get them: a disc left in the DVD drive, an empty SD slot, a USB card
/// reader with an empty slot and a write-protected card, a Wi-Fi card the image has no driver
/// for. Only the hard disk is a disk; the rest is listed for what it is.
#[test]
fn laptop_with_a_disc_in_the_dvd_drive_and_card_readers() {
    let r = probe_fixture("laptop-dvd-reader", false);
    let names: Vec<&str> = r.disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["sda"], "only the hard disk is a disk");
    let sda = &r.disks[0];
    assert_eq!(k(&sda.model), "TOSHIBA MK1651GSY");
    assert_eq!(k(&sda.serial), "38IGT0G5T");
    assert!(k(&sda.rotational));

    let other: Vec<(&str, StorageKind, StorageHandling)> = r
        .other_storage
        .iter()
        .map(|o| (o.name.as_str(), o.kind, o.handling))
        .collect();
    assert_eq!(
        other,
        [
            ("sdb", StorageKind::CardReader, StorageHandling::NoMedium),
            (
                "sdc",
                StorageKind::ReadOnlyMedium,
                StorageHandling::RemoveMedium
            ),
            (
                "sr0",
                StorageKind::OpticalDrive,
                StorageHandling::RemoveMedium
            ),
            ("mmc0", StorageKind::CardReader, StorageHandling::NoMedium),
        ]
    );
    let sr0 = &r.other_storage[2];
    assert_eq!(k(&sr0.model), "DVDRAM GU10N");
    assert_eq!(k(&sr0.size_bytes), 1_392_640 * 512);
    assert!(
        sr0.evidence.contains("SCSI peripheral type 5"),
        "{}",
        sr0.evidence
    );
    assert_eq!(sr0.transport, Transport::Sata);

    // The AHCI controller shows the disk and the DVD drive; the SD host shows nothing (no card),
    // which is not hiding anything; the Wi-Fi card has no driver.
    let ahci = r
        .controllers
        .iter()
        .find(|c| c.address == "0000:00:1f.2")
        .unwrap();
    assert_eq!(ahci.kind, ControllerKind::SataAhci);
    assert_eq!(ahci.disks, std::slice::from_ref(&sda.id));
    assert_eq!(ahci.other_storage, ["sr0"]);
    let wifi = r
        .controllers
        .iter()
        .find(|c| c.address == "0000:03:00.0")
        .unwrap();
    assert_eq!(
        (wifi.driver.as_deref(), wifi.finding),
        (None, Some(ControllerFinding::NoDriver))
    );
    assert!(!wifi.hides_disks(), "a network controller hides no disk");
    assert!(r.controllers_hiding_disks().is_empty());
    assert!(r.has_internal_storage());

    let human = render::human(&r);
    for line in [
        "STORAGE   /dev/sr0  optical drive, a disc is in it, not sanitized: remove the disc",
        "STORAGE   /dev/sdb  card reader, empty: nothing stored, nothing to sanitize",
        "STORAGE   mmc0  card reader, empty",
        "PCI       0000:03:00.0  network 8086:4238  NO DRIVER",
        "NOT USABLE: no driver in this image — the image has no driver for network controller 8086:4238: use a USB Ethernet adapter",
        "INUTILISABLE: aucun pilote dans cette image — l'image n'a pas de pilote pour le contrôleur réseau 8086:4238 : utiliser un adaptateur Ethernet USB",
    ] {
        assert!(human.contains(line), "{line:?} not in:\n{human}");
    }
    insta::assert_json_snapshot!("laptop_dvd_reader_json", r);
    insta::assert_snapshot!("laptop_dvd_reader_human", human);
}

#[test]
fn all_shows_virtual_devices() {
    let r = probe_fixture("laptop-nvme", true);
    let names: Vec<&str> = r.disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["loop0", "nvme0n1", "zram0"]);
    // zram0 is active swap: in use by the running system.
    assert_eq!(
        r.disks[2].system_reasons,
        ["disk zram0 is an active swap area"]
    );
}

#[test]
fn json_round_trips() {
    for name in [
        "laptop-nvme",
        "laptop-sata-usb",
        "mini-emmc",
        "laptop-dvd-reader",
    ] {
        let r = probe_fixture(name, false);
        let text = serde_json::to_string(&r).unwrap();
        let back: ProbeReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r, "{name}");
    }
}
