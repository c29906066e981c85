//! The Reprise stick, recognised positively: by the fixed GUIDs of its partition table (a fact
//! of the medium itself), never only because something on it happens to be mounted.
//!
//! `scripts/build-image` writes the same GUIDs (a test keeps the two in step). A stick carrying
//! them is never wiped; a copy on the laptop's own storage (NVMe, fixed SATA, eMMC) is the
//! laptop's disk, never a stick. A stick is the *boot* medium when it is the only one — or the
//! one the operator chose among several — and the kernel was loaded from a disk by a boot
//! loader (`BOOT_IMAGE=` on the command line naming no network device; iPXE sets none); the
//! settings, keys and certificates of a run live only on that medium's data partition.

use crate::model::{DevNo, Field, Transport};
use crate::parse::cmdline;
use crate::parse::gpt::{self, Guid};
use crate::sys::{SysRoot, blockdev, fs};

/// Disk GUID of every Reprise stick (`DISK_GUID` in scripts/build-image).
pub const DISK_GUID: &str = "52455052-4953-4500-0000-000000000000";
/// Unique GUID of the ESP, partition 2 (`ESP_GUID`).
pub const ESP_GUID: &str = "52455052-4953-4500-0000-000000000002";
/// Unique GUID of the data partition "REPRISE", partition 3 (`DATA_GUID`).
pub const DATA_GUID: &str = "52455052-4953-4500-0000-000000000003";
/// GPT number of the data partition.
pub const DATA_PARTITION_NUMBER: u32 = 3;

/// How much of a disk is read to find its partition table: the header and 128 entries with
/// 4096-byte sectors (LBA 2..6 → 24 KiB).
const HEAD_BYTES: usize = 24 << 10;

/// What the partition table of disk `name` says: `Some(reason)` when it is a Reprise stick.
/// Unreadable devices and tables are simply not Reprise sticks (the probe runs as root in the
/// live image; elsewhere nothing depends on this).
pub fn recognise(root: &SysRoot, name: &str) -> Option<String> {
    let head = blockdev::read_head(&root.join(format!("dev/{name}")), HEAD_BYTES).ok()?;
    let table = gpt::parse(&head).ok()?;
    let want = |s: &str| Guid::parse(s).expect("constant GUID");
    let has = |number: u32, guid: &str| {
        table
            .partitions
            .iter()
            .any(|p| p.number == number && p.unique_guid == want(guid))
    };
    (table.disk_guid == want(DISK_GUID)
        && has(2, ESP_GUID)
        && has(DATA_PARTITION_NUMBER, DATA_GUID))
    .then(|| format!("Reprise image: GPT disk GUID {DISK_GUID}, ESP and data partition GUIDs"))
}

/// Kernel name of partition `number` of disk `name` (its sysfs `partition` attribute).
pub fn partition_named(root: &SysRoot, name: &str, number: u32) -> Option<String> {
    let dir = format!("sys/block/{name}");
    fs::list_dir(root, &dir).ok()?.into_iter().find(|p| {
        p.starts_with(name)
            && fs::read_num::<u32>(root, format!("{dir}/{p}/partition")).known() == Some(&number)
    })
}

/// Whether a disk is built into the laptop (an NVMe disk, a fixed SATA/SAS disk, a soldered
/// eMMC, a virtual machine's disk): a copy of the image there is never the stick. A USB disk,
/// an SD card, a removable SATA disk are not.
pub fn is_internal(transport: Transport, removable: &Field<bool>, soldered: bool) -> bool {
    match transport {
        Transport::Nvme | Transport::Virtio => true,
        Transport::Sata | Transport::Scsi => removable.known() != Some(&true),
        Transport::Mmc => soldered,
        _ => false,
    }
}

/// Where `reprise medium --choose` keeps the operator's choice among several sticks, for this
/// boot only (tmpfs).
pub const CHOICE: &str = "run/reprise/boot-medium";

/// The stick the operator chose as the boot medium: its kernel name and device number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    pub devno: DevNo,
}

impl Choice {
    /// The file's content: `sda 8:0`.
    pub fn to_line(&self) -> String {
        format!("{} {}\n", self.name, self.devno)
    }
}

/// The operator's choice, if one was made this boot (a malformed file is no choice).
pub fn operator_choice(root: &SysRoot) -> Option<Choice> {
    let text = fs::read_text(root, CHOICE).ok()?;
    let (name, devno) = text.trim().split_once(' ')?;
    Some(Choice {
        name: name.to_owned(),
        devno: devno.parse().ok()?,
    })
}

/// Whether the kernel was loaded from a disk by a boot loader (GRUB passes `BOOT_IMAGE=`), as
/// opposed to over the network (iPXE passes none).
pub fn booted_from_disk(root: &SysRoot) -> bool {
    fs::read_text(root, "proc/cmdline").is_ok_and(|c| loaded_from_disk(&c))
}

/// GRUB's names of network devices: they start `BOOT_IMAGE=` when GRUB loaded the kernel over
/// the network (UEFI network boot: `BOOT_IMAGE=(tftp,10.0.5.1:6969)/boot/vmlinuz`).
const NETWORK_DEVICES: [&str; 3] = ["(tftp,", "(http,", "(pxe"];

/// [`booted_from_disk`] for the command line `cmdline`: a `BOOT_IMAGE=` that names no network
/// device (the stick's GRUB and SYSLINUX give a path: `BOOT_IMAGE=/boot/vmlinuz`).
pub fn loaded_from_disk(cmdline: &str) -> bool {
    cmdline::last_value(cmdline, "BOOT_IMAGE")
        .is_some_and(|image| !NETWORK_DEVICES.iter().any(|d| image.starts_with(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kernel_grub_fetched_over_the_network_was_not_loaded_from_a_disk() {
        for (line, from_disk) in [
            ("BOOT_IMAGE=/boot/vmlinuz console=tty0 quiet", true),
            (
                "BOOT_IMAGE=/boot/vmlinuz-bios initrd=/boot/initrd.img",
                true,
            ),
            ("BOOT_IMAGE=(hd0,gpt2)/boot/vmlinuz quiet", true),
            (
                "BOOT_IMAGE=(tftp,10.0.5.1:6969)/boot/vmlinuz ip=dhcp",
                false,
            ),
            ("BOOT_IMAGE=(http,10.0.5.1)/boot/vmlinuz", false),
            ("BOOT_IMAGE=(pxe)/vmlinuz", false),
            ("initrd=initrd.img console=tty0 ip=dhcp", false),
        ] {
            assert_eq!(loaded_from_disk(line), from_disk, "{line}");
        }
    }

    /// The GUIDs here are the ones the image build writes.
    #[test]
    fn guids_match_the_image_build() {
        let script = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/build-image"
        ))
        .unwrap();
        for (var, guid) in [
            ("DISK_GUID", DISK_GUID),
            ("ESP_GUID", ESP_GUID),
            ("DATA_GUID", DATA_GUID),
        ] {
            assert!(
                script.contains(&format!("{var}={guid}")),
                "scripts/build-image does not set {var}={guid}"
            );
        }
        assert!(
            script.contains("-n 3:$DATA_START:$DATA_END -t 3:0700 -c 3:REPRISE -u 3:$DATA_GUID")
        );
    }
}
