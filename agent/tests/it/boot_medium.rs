//! The Reprise stick is known positively, by its partition table's fixed GUIDs, never only
//! because something on it is mounted ("the stick is never wiped"). The partition tables were
//! written by `sgdisk` (an independent tool) the way `scripts/build-image` does
//! (`fixtures/gpt/README.md`), and the probe, the plan, the write guard and the automatic-mode
//! check are asked about them.

use std::path::Path;

use reprise::flow::{self, DataDir, Settings};
use reprise::probe::probe;

use crate::support::cli::{reprise, reprise_typing};
use crate::support::tree;
use tree::{Tree, sata_laptop};

const USB: &str = "sys/devices/pci0000:00/0000:00:14.0/usb3/3-1/3-1:1.0/host6/target6:0:0/6:0:0:0";

/// The first 24 KiB of a disk partitioned by sgdisk (`fixtures/gpt/README.md`): with the Reprise
/// stick's GUIDs (`reprise`), or with random GUIDs and the same partition names (a donor's disk
/// that happens to carry a partition called REPRISE).
fn gpt_head(reprise: bool) -> Vec<u8> {
    let name = if reprise {
        "reprise-stick.head"
    } else {
        "donor-reprise-label.head"
    };
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gpt")
            .join(name),
    )
    .unwrap()
}

/// Adds a USB stick `name` (devno 8:MINOR) with three partitions to the tree; `head` is what
/// reading its first bytes gives (`dev/NAME` in the tree).
fn usb_stick(t: &Tree, name: &str, minor: u32, head: Option<Vec<u8>>) {
    let dev = format!("{USB}/block/{name}");
    t.file(&format!("{dev}/dev"), format!("8:{minor}\n"))
        .file(&format!("{dev}/size"), "131072\n")
        .file(&format!("{dev}/removable"), "1\n")
        .file(&format!("{dev}/queue/rotational"), "1\n")
        .file(&format!("{USB}/model"), "Ultra Fit       \n")
        .file(
            &format!("{USB}/vpd_pg80"),
            format!("\0\u{80}\0\u{8}{name:>8}"),
        )
        .link(&format!("{dev}/device"), "../../../6:0:0:0")
        .link(
            &format!("sys/block/{name}"),
            &format!("../{}", &dev["sys/".len()..]),
        )
        .dir(&format!("{dev}/holders"));
    for n in 1..=3u32 {
        let p = format!("{dev}/{name}{n}");
        t.file(&format!("{p}/partition"), format!("{n}\n"))
            .file(&format!("{p}/dev"), format!("8:{}\n", minor + n))
            .file(&format!("{p}/size"), "100\n")
            .dir(&format!("{p}/holders"));
    }
    if let Some(h) = head {
        t.file(&format!("dev/{name}"), h);
    }
}

fn booted_from_usb(t: &Tree) {
    t.file(
        "proc/cmdline",
        "BOOT_IMAGE=/boot/vmlinuz console=ttyS0 quiet reprise.auto=clear\n",
    );
}

#[test]
fn the_stick_is_the_boot_medium_even_when_its_data_partition_is_not_mounted() {
    let t = Tree::new();
    sata_laptop(&t);
    booted_from_usb(&t);
    usb_stick(&t, "sdb", 16, Some(gpt_head(true)));
    let report = probe(&t.root()).unwrap();
    let stick = &report.disks[1];
    assert_eq!(stick.name, "sdb");
    // Nothing of it is mounted: the old test "is something mounted" would call it a target.
    assert!(!stick.holds_system, "{:?}", stick.system_reasons);
    let m = stick.reprise_medium.as_ref().expect("recognised");
    assert!(m.booted, "{m:?}");
    assert_eq!(m.data_partition.as_deref(), Some("sdb3"));
    assert!(stick.is_boot_medium() && stick.is_protected());
    assert!(
        reprise::probe::render::human(&report)
            .contains("BOOT MEDIUM (Reprise stick) — never wiped")
    );

    let plan = flow::plan(&report, &Settings::default()).unwrap();
    let targets: Vec<_> = plan.targets().iter().map(|t| t.path().to_owned()).collect();
    assert_eq!(targets, [Path::new("/dev/sda")]);
    assert!(
        plan.skipped[0]
            .reason
            .to_string()
            .starts_with("boot medium — never wiped")
    );
    let protected = flow::protected_disks(&report.disks);
    assert_eq!(protected.len(), 1);
    assert_eq!(protected[0].dev_path, "/dev/sdb");

    // Automatic mode: the certificate would have nowhere to go: stop before writing.
    let data = tempfile::tempdir().unwrap();
    let why = flow::check_auto_ready(&report, &DataDir(data.path().to_owned()), None)
        .unwrap_err()
        .to_string();
    assert!(why.contains("sdb3 is not mounted"), "{why}");
    assert!(why.contains("no workshop server"), "{why}");
}

#[test]
fn automatic_mode_is_ready_when_the_sticks_data_partition_is_mounted_and_writable() {
    let t = Tree::new();
    sata_laptop(&t);
    booted_from_usb(&t);
    usb_stick(&t, "sdb", 16, Some(gpt_head(true)));
    let data = tempfile::tempdir().unwrap();
    let mp = data.path().canonicalize().unwrap();
    t.file(
        "proc/self/mountinfo",
        format!(
            "22 1 0:21 / /proc rw - proc proc rw\n40 1 8:19 / {} rw - vfat /dev/sdb3 rw\n",
            mp.display()
        ),
    );
    let report = probe(&t.root()).unwrap();
    assert!(report.disks[1].is_boot_medium());
    flow::check_auto_ready(&report, &DataDir(mp.clone()), None).unwrap();
    // The same partition mounted elsewhere is not the data folder given.
    let other = tempfile::tempdir().unwrap();
    assert!(flow::check_auto_ready(&report, &DataDir(other.path().to_owned()), None).is_err());
}

#[test]
fn two_sticks_or_a_network_boot_prove_no_boot_medium_and_both_stay_protected() {
    let t = Tree::new();
    sata_laptop(&t);
    booted_from_usb(&t);
    usb_stick(&t, "sdb", 16, Some(gpt_head(true)));
    usb_stick(&t, "sdc", 32, Some(gpt_head(true)));
    let report = probe(&t.root()).unwrap();
    for d in &report.disks[1..] {
        let m = d.reprise_medium.as_ref().unwrap();
        assert!(!m.booted, "{m:?}");
        assert!(m.reason.contains("2 disks carry the image"), "{}", m.reason);
        assert!(d.is_protected());
    }
    let plan = flow::plan(&report, &Settings::default()).unwrap();
    assert_eq!(plan.targets().len(), 1);
    let data = tempfile::tempdir().unwrap();
    let why = flow::check_auto_ready(&report, &DataDir(data.path().to_owned()), None)
        .unwrap_err()
        .to_string();
    assert!(why.contains("2 Reprise sticks"), "{why}");

    // Over PXE there is no BOOT_IMAGE: the stick left in the laptop is not the boot medium,
    // and it is still never wiped.
    let t = Tree::new();
    sata_laptop(&t);
    t.file("proc/cmdline", "console=ttyS0 reprise.auto=clear\n");
    usb_stick(&t, "sdb", 16, Some(gpt_head(true)));
    let report = probe(&t.root()).unwrap();
    let m = report.disks[1].reprise_medium.as_ref().unwrap();
    assert!(!m.booted && m.reason.contains("network boot"), "{m:?}");
    assert_eq!(
        flow::plan(&report, &Settings::default())
            .unwrap()
            .targets()
            .len(),
        1
    );
}

#[test]
fn a_donor_disk_with_a_reprise_label_is_an_ordinary_target() {
    let t = Tree::new();
    sata_laptop(&t);
    booted_from_usb(&t);
    usb_stick(&t, "sdb", 16, Some(gpt_head(false)));
    let report = probe(&t.root()).unwrap();
    assert!(report.disks[1].reprise_medium.is_none());
    let plan = flow::plan(&report, &Settings::default()).unwrap();
    let targets: Vec<_> = plan
        .targets()
        .iter()
        .map(|t| t.path().display().to_string())
        .collect();
    assert_eq!(targets, ["/dev/sda", "/dev/sdb"]);
    // An unreadable disk (no dev node here) is not a stick either: nothing is assumed.
    let t = Tree::new();
    sata_laptop(&t);
    booted_from_usb(&t);
    usb_stick(&t, "sdb", 16, None);
    assert!(probe(&t.root()).unwrap().disks[1].reprise_medium.is_none());
}

#[test]
fn a_copy_of_the_image_on_the_laptops_own_disk_is_never_the_stick() {
    // The laptop's SATA disk carries the image (a workshop installed Reprise on it, or a
    // donor did); the operator's USB stick carries it too.
    let t = Tree::new();
    sata_laptop(&t);
    booted_from_usb(&t);
    t.file("dev/sda", gpt_head(true));
    usb_stick(&t, "sdb", 16, Some(gpt_head(true)));
    let report = probe(&t.root()).unwrap();
    let internal = &report.disks[0];
    assert_eq!(internal.name, "sda");
    assert!(
        internal.reprise_medium.is_none(),
        "{:?}",
        internal.reprise_medium
    );
    assert!(
        internal
            .reprise_copy
            .as_deref()
            .is_some_and(|w| w.contains("built into the laptop")),
        "{:?}",
        internal.reprise_copy
    );
    assert!(
        !internal.is_protected(),
        "the laptop's disk is sanitized like any other"
    );
    let stick = &report.disks[1];
    assert!(stick.is_boot_medium(), "{:?}", stick.reprise_medium);
    let plan = flow::plan(&report, &Settings::default()).unwrap();
    let targets: Vec<_> = plan.targets().iter().map(|t| t.path().to_owned()).collect();
    assert_eq!(targets, [Path::new("/dev/sda")]);
    assert!(
        reprise::probe::render::human(&report).contains("COPY OF THE REPRISE IMAGE — not a stick")
    );
    assert_eq!(
        flow::boot_medium(&t.root()),
        flow::BootMedium::Found("/dev/sdb3".into())
    );
}

#[test]
fn several_sticks_wait_for_the_operators_choice() {
    let t = Tree::new();
    sata_laptop(&t);
    booted_from_usb(&t);
    usb_stick(&t, "sdb", 16, Some(gpt_head(true)));
    usb_stick(&t, "sdc", 32, Some(gpt_head(true)));
    let flow::BootMedium::Choose(sticks) = flow::boot_medium(&t.root()) else {
        panic!("two sticks: the operator must choose");
    };
    let names: Vec<_> = sticks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["sdb", "sdc"]);
    let root = t.root().path().to_str().unwrap().to_owned();

    // Without --choose, init learns it must ask; nothing is read from either.
    let out = reprise(&["medium", "--root", &root]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(out.stdout.is_empty());
    // A wrong answer chooses nothing.
    let out = reprise_typing(&["medium", "--choose", "--root", &root], "7\n");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(!t.path("run/reprise/boot-medium").exists());

    let out = reprise_typing(&["medium", "--choose", "--root", &root], "2\n");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "/dev/sdc3\n");
    let asked = String::from_utf8_lossy(&out.stderr);
    assert!(asked.contains("2) /dev/sdc"), "{asked}");
    // From now on the probe takes the chosen one as proven, and the other as a stick.
    let report = probe(&t.root()).unwrap();
    let (b, c) = (&report.disks[1], &report.disks[2]);
    assert!(c.is_boot_medium(), "{:?}", c.reprise_medium);
    assert!(
        c.reprise_medium
            .as_ref()
            .unwrap()
            .reason
            .contains("the operator chose this one"),
        "{:?}",
        c.reprise_medium
    );
    assert!(!b.is_boot_medium() && b.is_protected());
}
