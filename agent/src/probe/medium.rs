//! The Reprise stick, recognised positively: by the fixed GUIDs of its partition table (a fact
//! of the medium itself), never only because something on it happens to be mounted.
//!
//! `scripts/build-image` writes the same GUIDs (a test keeps the two in step). A stick carrying
//! them is never wiped; a copy on the laptop's own storage (NVMe, fixed SATA, eMMC) is the
//! laptop's disk, never a stick. A stick is the *boot* medium when it is the only one — or the
//! one the operator chose among several — and the kernel was loaded from a disk by a boot
//! loader (`BOOT_IMAGE=` on the command line; iPXE sets none); the settings, keys and
//! certificates of a run live only on that medium's data partition.

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
    fs::read_text(root, "proc/cmdline").is_ok_and(|c| cmdline::has_param(&c, "BOOT_IMAGE"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
