//! The probe degrades per field, never fails or panics: missing, unreadable or garbage files
//! become `Unknown` with the reason; in-use detection (root=, LVM holders, swap, an unreadable
//! mount table) errs on the side of "never wipe". Trees are built per test in a temp dir.

use std::fs;
use std::path::Path;

use proptest::prelude::*;
use reprise::model::{Field, Transport};
use reprise::probe::{probe, render};

use crate::support::tree;
use tree::{SDA, Tree, sata_laptop};

fn unknown<T: std::fmt::Debug>(f: &Field<T>) -> &str {
    match f {
        Field::Unknown(why) => why,
        Field::Known(v) => panic!("expected unknown, got {v:?}"),
    }
}

#[test]
fn the_base_tree_reads_correctly() {
    let t = Tree::new();
    sata_laptop(&t);
    let r = probe(&t.root()).unwrap();
    let d = &r.disks[0];
    assert_eq!(d.transport, Transport::Sata);
    assert_eq!(d.serial, Field::Known("ABC12".into()));
    assert_eq!(d.size_bytes, Field::Known(512_000));
    assert_eq!(d.partitions.len(), 3);
    assert!(!d.holds_system, "{:?}", d.system_reasons);
    assert_eq!(r.power.batteries[0].health_permille, Field::Known(800));
    assert_eq!(r.cpu.x86_64_level, Field::Known(1));
}

#[test]
fn an_empty_root_gives_unknowns_with_reasons() {
    let t = Tree::new();
    let r = probe(&t.root()).unwrap();
    assert_eq!(
        unknown(&r.identity.system.vendor),
        "sys/class/dmi/id/sys_vendor: not found"
    );
    assert_eq!(
        unknown(&r.identity.chassis.chassis_type_name),
        "sys/class/dmi/id/chassis_type: not found"
    );
    assert_eq!(unknown(&r.cpu.threads), "proc/cpuinfo: not found");
    assert_eq!(unknown(&r.cpu.model_name), "proc/cpuinfo: not found");
    assert_eq!(
        unknown(&r.memory.total_usable_bytes),
        "proc/meminfo: not found"
    );
    assert!(unknown(&r.power.ac_online).contains("sys/class/power_supply: not found"));
    assert!(r.power.batteries.is_empty() && r.disks.is_empty() && r.network.is_empty());
    assert!(render::human(&r).contains("No battery"));
}

#[test]
fn a_directory_or_garbage_where_a_value_belongs() {
    let t = Tree::new();
    sata_laptop(&t);
    t.dir("sys/class/dmi/id/product_serial")
        .file("sys/class/dmi/id/chassis_type", "200\n")
        .file(&format!("{SDA}/block/sda/size"), "lots\n")
        .file(&format!("{SDA}/block/sda/queue/rotational"), "2\n")
        .file(&format!("{SDA}/vpd_pg80"), b"\x00\x83\x00\x02ab")
        .file("proc/meminfo", "MemFree: 1 kB\n");
    let r = probe(&t.root()).unwrap();
    assert_eq!(
        unknown(&r.identity.system.serial),
        "sys/class/dmi/id/product_serial: is a directory"
    );
    assert_eq!(r.identity.chassis.chassis_type, Field::Known(200));
    assert_eq!(
        unknown(&r.identity.chassis.chassis_type_name),
        "chassis type 200 is not in the SMBIOS table"
    );
    let d = &r.disks[0];
    assert!(unknown(&d.size_bytes).ends_with("block/sda/size: not a number: \"lots\""));
    assert!(unknown(&d.rotational).ends_with("rotational: not 0 or 1: \"2\""));
    assert_eq!(
        unknown(&d.serial),
        "sys/block/sda/device/vpd_pg80: no serial in page; sys/block/sda/device/wwid: not found"
    );
    assert_eq!(
        unknown(&r.memory.total_usable_bytes),
        "proc/meminfo: no MemTotal line"
    );
}

#[test]
fn battery_without_design_capacity_or_with_zero() {
    let t = Tree::new();
    sata_laptop(&t);
    let bat = "sys/devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0";
    fs::remove_file(t.path(&format!("{bat}/energy_full_design"))).unwrap();
    fs::remove_file(t.path(&format!("{bat}/cycle_count"))).unwrap();
    let bat1 = "sys/devices/LNXSYSTM:00/PNP0C0A:01/power_supply/BAT1";
    t.file(&format!("{bat1}/type"), "Battery\n")
        .file(&format!("{bat1}/charge_full_design"), "0\n")
        .file(&format!("{bat1}/charge_full"), "3000000\n")
        .file(&format!("{bat1}/cycle_count"), "0\n")
        .link(
            "sys/class/power_supply/BAT1",
            "../../devices/LNXSYSTM:00/PNP0C0A:01/power_supply/BAT1",
        );
    let r = probe(&t.root()).unwrap();
    let (b0, b1) = (&r.power.batteries[0], &r.power.batteries[1]);
    assert_eq!(
        unknown(&b0.health_permille),
        "design capacity unknown (sys/class/power_supply/BAT0/energy_full_design: not found)"
    );
    assert_eq!(b0.full_capacity, Field::Known(40_000_000));
    assert_eq!(
        unknown(&b0.cycle_count),
        "sys/class/power_supply/BAT0/cycle_count: not found"
    );
    assert_eq!(unknown(&b1.health_permille), "design capacity is 0");
    assert_eq!(b1.cycle_count, Field::Known(None));
    assert!(render::human(&r).contains("health unknown (design capacity is 0)"));
}

#[test]
fn kernel_command_line_root_flags_the_disk() {
    let by_devpath = "BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro quiet\n";
    let by_partuuid = "root=PARTUUID=AAAA-0003 ro\n";
    let by_partlabel = "root=PARTLABEL=part1\n";
    let by_devnum = "root=8:2\n";
    for (cmdline, want) in [
        (
            by_devpath,
            "kernel command line root=/dev/sda2 names partition sda2",
        ),
        (
            by_partuuid,
            "kernel command line root=PARTUUID=AAAA-0003 names partition sda3",
        ),
        (
            by_partlabel,
            "kernel command line root=PARTLABEL=part1 names partition sda1",
        ),
        (
            by_devnum,
            "kernel command line root=8:2 names partition sda2",
        ),
    ] {
        let t = Tree::new();
        sata_laptop(&t);
        t.file("proc/cmdline", cmdline);
        let d = &probe(&t.root()).unwrap().disks[0];
        assert!(d.holds_system, "{cmdline}");
        assert_eq!(d.system_reasons, [want], "{cmdline}");
    }
    // root=UUID= is resolved through udev's /dev/disk/by-uuid when the tree has it...
    let t = Tree::new();
    sata_laptop(&t);
    t.file("proc/cmdline", "root=UUID=0b1c-22\n")
        .file("dev/sda2", "")
        .link("dev/disk/by-uuid/0b1c-22", "../../sda2");
    let d = &probe(&t.root()).unwrap().disks[0];
    assert_eq!(
        d.system_reasons,
        ["kernel command line root=UUID=0b1c-22 names partition sda2"]
    );
    // ...and names nothing when it cannot be resolved.
    let t = Tree::new();
    sata_laptop(&t);
    t.file("proc/cmdline", "root=UUID=0b1c-22\n");
    assert!(!probe(&t.root()).unwrap().disks[0].holds_system);
}

#[test]
fn lvm_on_a_partition_mounted_as_root_flags_the_disk() {
    let t = Tree::new();
    sata_laptop(&t);
    t.file("sys/devices/virtual/block/dm-0/dev", "253:0\n")
        .dir("sys/devices/virtual/block/dm-0/holders")
        .link("sys/block/dm-0", "../devices/virtual/block/dm-0")
        .link(
            &format!("{SDA}/block/sda/sda3/holders/dm-0"),
            "../../../../../../../../../virtual/block/dm-0",
        )
        .file(
            "proc/self/mountinfo",
            "27 1 253:0 / / rw,relatime - ext4 /dev/mapper/vg-root rw\n",
        );
    let r = probe(&t.root()).unwrap();
    let names: Vec<&str> = r.disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["sda"], "dm-0 itself is hidden");
    assert_eq!(
        r.disks[0].system_reasons,
        ["partition sda3 (through dm-0) mounted on /"]
    );
}

#[test]
fn swap_and_unreadable_mount_table() {
    let t = Tree::new();
    sata_laptop(&t);
    t.file(
        "proc/swaps",
        "Filename Type Size Used Priority\n/dev/sda3 partition 100 0 -2\n",
    );
    let d = &probe(&t.root()).unwrap().disks[0];
    assert_eq!(d.system_reasons, ["partition sda3 is an active swap area"]);

    // No mount table at all: we cannot prove the disk is unused, so it is flagged.
    let t = Tree::new();
    sata_laptop(&t);
    fs::remove_file(t.path("proc/self/mountinfo")).unwrap();
    let d = &probe(&t.root()).unwrap().disks[0];
    assert!(d.holds_system);
    assert!(d.system_reasons[0].starts_with(
        "mount table unreadable (proc/self/mountinfo: not found; proc/mounts: not found)"
    ));

    // /proc/mounts (no device numbers) is a fallback matched by source.
    t.file("proc/mounts", "/dev/sda1 /boot/efi vfat rw 0 0\n");
    let d = &probe(&t.root()).unwrap().disks[0];
    assert_eq!(d.system_reasons, ["partition sda1 mounted on /boot/efi"]);
}

#[test]
fn hidden_nvme_paths_and_linkless_disks() {
    let t = Tree::new();
    sata_laptop(&t);
    // A multipath per-controller path the kernel marks hidden.
    t.file(
        "sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0c0n1/hidden",
        "1\n",
    )
    .link(
        "sys/block/nvme0c0n1",
        "../devices/virtual/nvme-subsystem/nvme-subsys0/nvme0c0n1",
    )
    // A disk directory with nothing in it and no links.
    .dir("sys/block/xvda");
    let r = probe(&t.root()).unwrap();
    let names: Vec<&str> = r.disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["sda", "xvda"]);
    let x = &r.disks[1];
    assert_eq!(x.transport, Transport::Unknown);
    assert_eq!(unknown(&x.size_bytes), "sys/block/xvda/size: not found");
    assert!(!x.holds_system);
}

#[test]
fn network_skips_loopback_and_names_drivers() {
    let t = Tree::new();
    t.file("sys/devices/virtual/net/lo/address", "00:00:00:00:00:00\n")
        .link("sys/class/net/lo", "../../devices/virtual/net/lo")
        .file(
            "sys/devices/pci0000:00/0000:00:19.0/net/eth0/address",
            "3c:97:0e:4a:21:b7\n",
        )
        .link(
            "sys/devices/pci0000:00/0000:00:19.0/net/eth0/device",
            "../../../0000:00:19.0",
        )
        .dir("sys/bus/pci/drivers/e1000e")
        .link(
            "sys/devices/pci0000:00/0000:00:19.0/driver",
            "../../../bus/pci/drivers/e1000e",
        )
        .link(
            "sys/class/net/eth0",
            "../../devices/pci0000:00/0000:00:19.0/net/eth0",
        )
        .file("sys/devices/virtual/net/br0/address", "aa:bb:cc:dd:ee:ff\n")
        .link("sys/class/net/br0", "../../devices/virtual/net/br0");
    let r = probe(&t.root()).unwrap();
    let names: Vec<&str> = r.network.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["br0", "eth0"]);
    assert_eq!(r.network[1].driver, Field::Known("e1000e".into()));
    assert_eq!(
        unknown(&r.network[0].driver),
        "sys/class/net/br0: no device link (virtual interface)"
    );
}

/// Attribute files whose contents the property test replaces with arbitrary bytes.
const GARBAGE_TARGETS: &[&str] = &[
    "proc/cpuinfo",
    "proc/meminfo",
    "proc/cmdline",
    "proc/self/mountinfo",
    "proc/swaps",
    "sys/class/dmi/id/chassis_type",
    "sys/class/dmi/id/sys_vendor",
    "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/vpd_pg80",
    "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/model",
    "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/wwid",
    "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/dev",
    "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/size",
    "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1/partition",
    "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2/uevent",
    "sys/devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0/energy_full_design",
    "sys/devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0/energy_full",
    "sys/devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0/cycle_count",
    "sys/devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0/type",
    "sys/devices/LNXSYSTM:00/ACPI0003:00/power_supply/AC/online",
];

/// Bytes that look like sysfs values often enough to reach deep into the parsers.
fn attribute_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        "[0-9: \\-=/A-Za-z\\n\\t]{0,80}".prop_map(String::into_bytes),
        (any::<u64>(), any::<bool>())
            .prop_map(|(n, neg)| { format!("{}{n}\n", if neg { "-" } else { "" }).into_bytes() }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn garbage_attributes_never_panic(
        contents in proptest::collection::vec(attribute_bytes(), GARBAGE_TARGETS.len())
    ) {
        let t = Tree::new();
        sata_laptop(&t);
        for (rel, bytes) in GARBAGE_TARGETS.iter().zip(&contents) {
            fs::write(t.path(rel), bytes).unwrap();
        }
        let r = probe(&t.root()).unwrap();
        let _ = render::human(&r);
        serde_json::to_string(&r).unwrap();
        // The disk is still found and still named, whatever its attributes say.
        prop_assert_eq!(r.disks.len(), 1);
        prop_assert_eq!(r.disks[0].name.as_str(), "sda");
        prop_assert!(Path::new(&r.disks[0].dev_path).ends_with("sda"));
    }
}
