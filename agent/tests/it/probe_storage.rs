//! What is storage and what is a disk, and what may hide disks, on machines built per test: QEMU
//! q35's empty DVD drive is an optical drive, not a SATA disk; an Intel VMD controller without
//! its driver, a SATA controller in RAID mode, NVMe drives remapped behind SATA and a controller
//! with no driver are named with the step that fixes them; an NVMe namespace the controller has
//! but the kernel does not show is listed; and the run can ask whether internal storage was
//! found at all.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::support::drives::SECTORS;
use reprise::model::{DiskId, Transport};
use reprise::probe::model::{ControllerFinding, ControllerKind, StorageHandling, StorageKind};
use reprise::probe::{Drives, ProbeOptions, probe, probe_with, render};
use reprise::sys::passthrough::Passthrough;
use reprise_sim::media::SimMedia;

use crate::support::tree::{self, Tree, pci, qemu_dvd, sata_laptop, usb_stick};

/// The laptop of QEMU's q35 as the tests boot it: a SATA disk, and the chipset's empty DVD
/// drive. Whether a disc is in it only the drive can say (its size is the `sr` driver's
/// placeholder): on a test tree it is not asked, so the operator is asked to look — a note, never
/// a disk not sanitized. (On the real machine the drive says; the end-to-end test checks that.)
#[test]
fn the_q35_dvd_drive_is_an_optical_drive_not_a_disk() {
    let t = Tree::new();
    sata_laptop(&t);
    qemu_dvd(&t);
    let r = probe(&t.root()).unwrap();
    let names: Vec<&str> = r.disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["sda"], "sr0 is not a disk");
    assert_eq!(r.other_storage.len(), 1, "{:?}", r.other_storage);
    let dvd = &r.other_storage[0];
    assert_eq!(
        (dvd.name.as_str(), dvd.kind, dvd.handling),
        (
            "sr0",
            StorageKind::OpticalDrive,
            StorageHandling::CheckEmpty
        )
    );
    assert_eq!(
        dvd.evidence,
        "SCSI peripheral type 5 (CD/DVD); the drive was not asked (drives not queried); size is \
         the sr driver's placeholder (2097151 sectors): a disc may be in it"
    );
    assert_eq!(dvd.transport, Transport::Sata);
    assert_eq!(dvd.id, Some("sata:QM00005".parse::<DiskId>().unwrap()));
    assert_eq!(dvd.model.known().map(String::as_str), Some("QEMU DVD-ROM"));
    // The AHCI controller shows it, and hides nothing.
    let ahci = &r.controllers[0];
    assert_eq!(
        (ahci.kind, ahci.driver.as_deref(), ahci.finding),
        (ControllerKind::SataAhci, Some("ahci"), None)
    );
    assert_eq!(ahci.other_storage, ["sr0"]);
    assert!(r.has_internal_storage());

    let human = render::human(&r);
    assert!(
        human.contains(
            "STORAGE   /dev/sr0  optical drive, whether a medium is in it is unknown: check that it is empty"
        ),
        "{human}"
    );
    assert!(!human.contains("DISK      /dev/sr0"), "{human}");

    // Emptied (size 0 after a media change): nothing stored.
    t.file(
        "sys/devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0/block/sr0/size",
        "0\n",
    );
    let r = probe(&t.root()).unwrap();
    assert_eq!(r.other_storage[0].handling, StorageHandling::NoMedium);
}

/// A DVD drive with a disc in it: still not a disk; the disc is to be taken out.
#[test]
fn a_disc_in_the_drive_is_to_be_removed() {
    let t = Tree::new();
    sata_laptop(&t);
    qemu_dvd(&t);
    t.file(
        "sys/devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0/block/sr0/size",
        "1392640\n",
    );
    let r = probe(&t.root()).unwrap();
    assert_eq!(r.disks.len(), 1);
    let dvd = &r.other_storage[0];
    assert_eq!(dvd.handling, StorageHandling::RemoveMedium);
    assert!(dvd.evidence.contains("a disc is in it"), "{}", dvd.evidence);
}

/// A write-protected card is not the laptop's disk (it cannot be written, so not sanitized:
/// it is to be taken out) — unless it carries a Reprise image or the system uses it: then it
/// stays a disk, protected.
#[test]
fn a_write_protected_card_is_a_read_only_medium_unless_the_system_uses_it() {
    let t = Tree::new();
    sata_laptop(&t);
    usb_stick(&t, "sdb");
    let dir =
        "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb";
    t.file(&format!("{dir}/ro"), "1\n");
    let r = probe(&t.root()).unwrap();
    assert_eq!(r.disks.len(), 1, "{:?}", r.disks);
    assert_eq!(
        (r.other_storage[0].kind, r.other_storage[0].handling),
        (StorageKind::ReadOnlyMedium, StorageHandling::RemoveMedium)
    );

    // Mounted: the running system's, so a disk the probe protects.
    let devno = std::fs::read_to_string(t.path(&format!("{dir}/dev"))).unwrap();
    t.file(
        "proc/self/mountinfo",
        format!(
            "22 1 0:21 / /proc rw - proc proc rw\n40 1 {} / /run/live ro - vfat /dev/sdb ro\n",
            devno.trim()
        ),
    );
    let r = probe(&t.root()).unwrap();
    assert!(r.other_storage.is_empty(), "{:?}", r.other_storage);
    let sdb = r.disks.iter().find(|d| d.name == "sdb").unwrap();
    assert!(sdb.holds_system, "{:?}", sdb.system_reasons);
}

/// A USB card reader's empty slot: removable, size 0.
#[test]
fn an_empty_card_reader_slot_is_not_a_disk() {
    let t = Tree::new();
    sata_laptop(&t);
    usb_stick(&t, "sdb");
    t.file(
        "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb/size",
        "0\n",
    );
    let r = probe(&t.root()).unwrap();
    assert_eq!(r.disks.len(), 1);
    assert_eq!(
        (r.other_storage[0].kind, r.other_storage[0].handling),
        (StorageKind::CardReader, StorageHandling::NoMedium)
    );
}

/// An 11th-generation Intel laptop with VMD on, booted from a USB stick, on an image without the
/// `vmd` driver: Linux shows no disk of the laptop's own. The probe says none was found and
/// names the controller with the step that fixes it, in English and French.
#[test]
fn vmd_without_its_driver_hides_the_laptops_disk() {
    let t = Tree::new();
    sata_laptop(&t);
    // No SATA disk on this one: only the stick.
    std::fs::remove_file(t.path("sys/block/sda")).unwrap();
    usb_stick(&t, "sdb");
    pci(
        &t,
        "pci0000:00/0000:00:0e.0",
        0x010400,
        0x8086,
        0x9a0b,
        None,
    );
    let r = probe(&t.root()).unwrap();
    assert!(!r.has_internal_storage(), "only a USB stick");
    assert!(r.internal_disks().is_empty());
    let hiding = r.controllers_hiding_disks();
    assert_eq!(hiding.len(), 1);
    assert_eq!(
        (hiding[0].kind, hiding[0].finding, hiding[0].pci_id()),
        (
            ControllerKind::Vmd,
            Some(ControllerFinding::VmdWithoutDriver),
            "8086:9a0b".to_owned()
        )
    );
    let human = render::human(&r);
    for line in [
        "INTERNAL  none found — 1 controller(s) may hide the laptop's disks (see PCI)",
        "PCI       0000:00:0e.0  Intel VMD 8086:9a0b  NO DRIVER  no disk",
        "MAY HIDE DISKS: Intel VMD with no driver — boot an image that has the vmd driver, or BIOS → Storage → Intel VMD: off, then start again",
        "PEUT CACHER DES DISQUES: Intel VMD sans pilote — démarrer une image qui a le pilote vmd, ou BIOS → Stockage → Intel VMD : désactivé, puis recommencer",
    ] {
        assert!(human.contains(line), "{line:?} not in:\n{human}");
    }
}

/// With the `vmd` driver, the NVMe drive behind VMD is seen (in the VMD's own PCI domain) and
/// both the VMD and the NVMe controller show it; nothing is hidden.
#[test]
fn vmd_with_its_driver_shows_the_nvme_drive_behind_it() {
    let t = Tree::new();
    let vmd = "pci0000:00/0000:00:0e.0";
    pci(&t, vmd, 0x010400, 0x8086, 0x9a0b, Some("vmd"));
    tree::nvme_disk(
        &t,
        &format!("{vmd}/pci10000:e0/10000:e0:06.0/10000:e1:00.0"),
        0,
        "VMDNVME1",
    );
    let r = probe(&t.root()).unwrap();
    assert_eq!(r.disks.len(), 1);
    let id = r.disks[0].id.clone();
    assert!(r.controllers_hiding_disks().is_empty());
    assert!(r.has_internal_storage());
    let shows: Vec<(&str, ControllerKind, Vec<DiskId>)> = r
        .controllers
        .iter()
        .map(|c| (c.address.as_str(), c.kind, c.disks.clone()))
        .collect();
    assert_eq!(
        shows,
        [
            ("0000:00:0e.0", ControllerKind::Vmd, vec![id.clone()]),
            ("10000:e1:00.0", ControllerKind::Nvme, vec![id]),
        ]
    );
}

/// Dell "RAID On" (Intel RST): the SATA controller takes a RAID class no driver binds. Its disks
/// are hidden; the fix is the BIOS's AHCI mode.
#[test]
fn a_sata_controller_in_raid_mode_is_named_with_the_bios_step() {
    let t = Tree::new();
    pci(
        &t,
        "pci0000:00/0000:00:17.0",
        0x010400,
        0x8086,
        0x282a,
        None,
    );
    usb_stick(&t, "sdb");
    let r = probe(&t.root()).unwrap();
    assert!(!r.has_internal_storage());
    let c = &r.controllers_hiding_disks()[0];
    assert_eq!(
        (c.kind, c.finding),
        (ControllerKind::Raid, Some(ControllerFinding::RaidMode))
    );
    let human = render::human(&r);
    assert!(
        human.contains("MAY HIDE DISKS: SATA in RAID mode (Intel RST) with no driver — BIOS → Storage → SATA operation: AHCI, then start again"),
        "{human}"
    );
    assert!(
        human.contains("BIOS → Stockage → SATA Operation : AHCI, puis recommencer"),
        "{human}"
    );
}

/// RST with Optane/remapping: AHCI drives the SATA ports, but the NVMe drive the firmware
/// remapped behind them stays hidden; the AHCI driver says how many (`remapped_nvme`).
#[test]
fn nvme_drives_remapped_behind_sata_are_named() {
    let t = Tree::new();
    sata_laptop(&t);
    let ahci = "pci0000:00/0000:00:17.0";
    pci(&t, ahci, 0x010400, 0x8086, 0x282a, Some("ahci"));
    t.file(&format!("sys/devices/{ahci}/remapped_nvme"), "1\n");
    let r = probe(&t.root()).unwrap();
    // The SATA disk is seen — and still, a disk is hidden.
    assert!(r.has_internal_storage());
    let c = &r.controllers_hiding_disks()[0];
    assert_eq!(c.finding, Some(ControllerFinding::RemappedNvme));
    assert_eq!(c.remapped_nvme, Some(1));
    assert_eq!(
        c.disks,
        std::slice::from_ref(&r.disks[0].id),
        "it shows the SATA disk"
    );
    let human = render::human(&r);
    assert!(
        human.contains("1 NVMe drive(s) remapped behind SATA in RAID mode (Intel RST), hidden — BIOS → Storage → SATA operation: AHCI"),
        "{human}"
    );
}

/// A storage controller the image has no driver for (here a Marvell SATA controller) hides
/// whatever is behind it, and says which ID needs a driver; a network controller with no driver
/// is named too, but hides no disk.
#[test]
fn controllers_with_no_driver_are_named() {
    let t = Tree::new();
    sata_laptop(&t);
    pci(
        &t,
        "pci0000:00/0000:00:1c.4/0000:05:00.0",
        0x010601,
        0x1b4b,
        0x9230,
        None,
    );
    pci(
        &t,
        "pci0000:00/0000:00:1c.5/0000:06:00.0",
        0x020000,
        0x10ec,
        0x8125,
        None,
    );
    let r = probe(&t.root()).unwrap();
    let hiding = r.controllers_hiding_disks();
    assert_eq!(hiding.len(), 1, "the network controller hides no disk");
    assert_eq!(hiding[0].finding, Some(ControllerFinding::NoDriver));
    let nic = r
        .controllers
        .iter()
        .find(|c| c.kind == ControllerKind::Ethernet)
        .unwrap();
    assert_eq!(
        (nic.driver.as_deref(), nic.finding),
        (None, Some(ControllerFinding::NoDriver))
    );
    let human = render::human(&r);
    for line in [
        "the image has no driver for 1b4b:9230: the disks behind it need an image that has one",
        "NOT USABLE: no driver in this image — the image has no driver for network controller 10ec:8125: use a USB Ethernet adapter",
    ] {
        assert!(human.contains(line), "{line:?} not in:\n{human}");
    }
}

/// QEMU's NVMe controller with two namespaces (both active).
fn two_namespaces() -> reprise_sim::nvme::SimNvme {
    let mut sim = crate::support::drives::qemu_nvme();
    sim.id_ns.insert(2, sim.id_ns[&1].clone());
    sim.fw
        .media
        .insert(2, SimMedia::new((SECTORS * 512) as usize, 512, 9));
    sim
}

/// A controller whose Active Namespace ID list names a namespace the kernel shows no disk for:
/// listed as storage not sanitized, with the stable name a disk of it would have.
#[test]
fn an_nvme_namespace_the_kernel_does_not_show_is_listed() {
    let t = Tree::new();
    tree::nvme_disk(&t, "pci0000:00/0000:00:04.0", 0, "QEMU-SIM-0001");
    let mut map: BTreeMap<String, Box<dyn Passthrough>> = BTreeMap::new();
    map.insert("nvme0n1".into(), Box::new(two_namespaces()));
    let r = probe_with(
        &t.root(),
        ProbeOptions {
            include_virtual: false,
            drives: Drives::Simulated(Arc::new(Mutex::new(map))),
        },
    )
    .unwrap();
    assert_eq!(r.disks.len(), 1);
    let hidden: Vec<_> = r
        .other_storage
        .iter()
        .filter(|o| o.kind == StorageKind::NvmeNamespace)
        .collect();
    assert_eq!(hidden.len(), 1, "{:?}", r.other_storage);
    let ns = hidden[0];
    assert_eq!(ns.name, "nvme0 namespace 2");
    assert_eq!(ns.handling, StorageHandling::NotSanitized);
    assert_eq!(
        ns.id.as_ref().map(ToString::to_string).as_deref(),
        Some("nvme:QEMU-SIM-0001:ns2")
    );
    assert_eq!(ns.nvme_namespace(), Some(("QEMU-SIM-0001", 2)));
    assert_eq!(ns.part_of.as_ref(), Some(&r.disks[0].id));

    // The same controller showing both namespaces: nothing hidden.
    let ns2 = "sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n2";
    t.file(&format!("{ns2}/nsid"), "2\n")
        .file(&format!("{ns2}/size"), "16384\n")
        .file(&format!("{ns2}/dev"), "259:1\n")
        .link(&format!("{ns2}/device"), "../../nvme0")
        .link(
            "sys/block/nvme0n2",
            "../devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n2",
        );
    let mut map: BTreeMap<String, Box<dyn Passthrough>> = BTreeMap::new();
    map.insert("nvme0n1".into(), Box::new(two_namespaces()));
    map.insert("nvme0n2".into(), Box::new(two_namespaces()));
    let r = probe_with(
        &t.root(),
        ProbeOptions {
            include_virtual: false,
            drives: Drives::Simulated(Arc::new(Mutex::new(map))),
        },
    )
    .unwrap();
    assert_eq!(r.disks.len(), 2);
    assert!(r.other_storage.is_empty(), "{:?}", r.other_storage);
}

/// The probe's JSON carries the new members, and a report without them (an older one) still
/// reads, with none.
#[test]
fn other_storage_and_controllers_are_additive_in_the_json() {
    let t = Tree::new();
    sata_laptop(&t);
    qemu_dvd(&t);
    let r = probe(&t.root()).unwrap();
    let mut json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["other_storage"][0]["kind"], "optical_drive");
    assert_eq!(json["other_storage"][0]["handling"], "check_empty");
    assert_eq!(json["controllers"][0]["kind"], "sata_ahci");
    let obj = json.as_object_mut().unwrap();
    obj.remove("other_storage");
    obj.remove("controllers");
    let old: reprise::probe::model::ProbeReport = serde_json::from_value(json).unwrap();
    assert!(old.other_storage.is_empty() && old.controllers.is_empty());
}
