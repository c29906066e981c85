//! Storage that is not a disk the run sanitizes, told apart from disks and listed for what it
//! is: optical drives, card readers with no card, read-only removable media, eMMC boot
//! partitions and RPMB, and NVMe namespaces the controller has but the kernel shows no disk for.
//!
//! How sysfs tells them apart:
//! - an optical drive is SCSI peripheral type 5 (`device/type`, the `sr` driver's `srN`);
//!   whether a disc is in it, the drive itself is asked (`CDROM_DRIVE_STATUS`, on the real
//!   machine): its `size` is 0, or the `sr` driver's placeholder of 0x1fffff sectors, until a
//!   disc's capacity has been read;
//! - a drive of removable media (`removable` 1) of `size` 0 has no medium: a card reader's
//!   empty slot (a USB reader shows one such disk per slot); an SD/MMC host with no card under
//!   it is an empty built-in slot;
//! - a removable medium the kernel marks read-only (`ro` 1: a write-protected card) cannot be
//!   written, so it cannot be sanitized: it is to be taken out, not counted as the laptop's disk;
//! - `mmcblkNbootM` and `mmcblkNrpmb` (or, on newer kernels, the `mmc_rpmb` bus device) are the
//!   eMMC's hardware partitions;
//! - the Active Namespace ID list an NVMe controller returns may name namespaces the kernel has
//!   no block device for (a format it cannot use, a namespace attached late).
//!
//! [`classify`] is pure; the rest reads through the `SysRoot`.

use super::DiscStatus;
use super::model::{Disk, DriveFacts, OtherStorage, StorageHandling, StorageKind};
use crate::model::{DiskId, Field, Transport};
use crate::parse::names::is_mmc_hw_partition;
use crate::sys::{SysRoot, fs};

/// SCSI peripheral device type of a CD/DVD drive (SPC: 05h, "CD/DVD device").
const SCSI_TYPE_CDROM: u8 = 5;

/// The `sr` driver's capacity before it has read a disc's (`drivers/scsi/sr.c`: 0x1fffff
/// sectors of 512 bytes), in bytes.
const SR_PLACEHOLDER_BYTES: u64 = 0x1f_ffff * 512;

/// One RPMB size unit (JEDEC eMMC `RPMB_SIZE_MULT`): 128 KiB.
const RPMB_UNIT: u64 = 128 << 10;

/// What a block device is when it is not a disk, what the run does with it, and what said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub kind: StorageKind,
    pub handling: StorageHandling,
    pub evidence: String,
}

/// What the block device `name` is, from what sysfs says of it, when it is not a disk the run
/// sanitizes. `None`: a disk (every unknown keeps it a disk, so nothing that may hold data
/// leaves the run's sight). `disc` asks an optical drive whether it holds a disc; it is called
/// for optical drives only.
#[allow(clippy::too_many_arguments)]
pub fn classify(
    name: &str,
    scsi_type: Option<u8>,
    removable: Option<bool>,
    size_bytes: Option<u64>,
    read_only: Option<bool>,
    transport: Transport,
    soldered: bool,
    disc: impl FnOnce() -> Result<DiscStatus, String>,
) -> Option<Class> {
    let sr = name
        .strip_prefix("sr")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if scsi_type == Some(SCSI_TYPE_CDROM) || sr {
        let what = if scsi_type == Some(SCSI_TYPE_CDROM) {
            "SCSI peripheral type 5 (CD/DVD)"
        } else {
            "the kernel's CD/DVD driver (sr)"
        };
        let (handling, medium) = optical(size_bytes, disc());
        return Some(Class {
            kind: StorageKind::OpticalDrive,
            handling,
            evidence: format!("{what}; {medium}"),
        });
    }
    // An SD card in a reader is removable whatever the reader's `removable` flag says; a
    // soldered eMMC never is.
    let removable_medium = removable == Some(true) || (transport == Transport::Mmc && !soldered);
    match (removable_medium, size_bytes, read_only) {
        (true, Some(0), _) => Some(Class {
            kind: StorageKind::CardReader,
            handling: StorageHandling::NoMedium,
            evidence: "removable media, size 0: no card in it".into(),
        }),
        (true, Some(b), Some(true)) if b > 0 => Some(Class {
            kind: StorageKind::ReadOnlyMedium,
            handling: StorageHandling::RemoveMedium,
            evidence: format!("removable medium of {b} bytes the kernel marks read-only (ro 1)"),
        }),
        _ => None,
    }
}

/// Whether an optical drive holds a disc: what the drive says when it was asked, else what its
/// size suggests. The size alone is weak: the `sr` driver shows a placeholder of 0x1fffff
/// sectors until it has read a disc's capacity, which an empty drive and a disc nobody has
/// opened yet both show.
fn optical(size_bytes: Option<u64>, disc: Result<DiscStatus, String>) -> (StorageHandling, String) {
    let said = match disc {
        Ok(DiscStatus::NoDisc) => {
            return (StorageHandling::NoMedium, "the drive says: no disc".into());
        }
        Ok(DiscStatus::TrayOpen) => {
            return (
                StorageHandling::NoMedium,
                "the drive says: tray open, no disc".into(),
            );
        }
        Ok(DiscStatus::DiscOk | DiscStatus::NotReady) => {
            return (
                StorageHandling::RemoveMedium,
                "the drive says: a disc is in it".into(),
            );
        }
        Ok(DiscStatus::NoInfo) => "the drive gives no information".to_owned(),
        Err(why) => format!("the drive was not asked ({why})"),
    };
    let (handling, size) = match size_bytes {
        Some(0) => (StorageHandling::NoMedium, "size 0: no disc".to_owned()),
        Some(SR_PLACEHOLDER_BYTES) => (
            StorageHandling::CheckEmpty,
            "size is the sr driver's placeholder (2097151 sectors): a disc may be in it".to_owned(),
        ),
        Some(b) => (
            StorageHandling::RemoveMedium,
            format!("size {b} bytes: a disc is in it"),
        ),
        None => (
            StorageHandling::CheckEmpty,
            "size unknown: a disc may be in it".to_owned(),
        ),
    };
    (handling, format!("{said}; {size}"))
}

fn size_of(root: &SysRoot, dir: &str) -> Field<u64> {
    match fs::read_num::<u64>(root, format!("{dir}/size")) {
        Field::Known(n) => n.checked_mul(512).map_or_else(
            || Field::Unknown(fs::reason(dir, "size overflows")),
            Field::Known,
        ),
        Field::Unknown(why) => Field::Unknown(why),
    }
}

/// The eMMC `mmcblkN` a hardware partition name belongs to (`mmcblk0boot1` → `mmcblk0`).
fn emmc_of(name: &str) -> &str {
    let digits = name["mmcblk".len().min(name.len())..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    &name[..("mmcblk".len() + digits).min(name.len())]
}

/// An eMMC hardware partition (`name`, listed under `sys/block` or, for the RPMB of newer
/// kernels, on the `mmc_rpmb` bus), as other storage: never written by the run.
fn emmc_area(
    root: &SysRoot,
    name: &str,
    dir: &str,
    disks: &[Disk],
    size_bytes: Field<u64>,
) -> OtherStorage {
    let rpmb = name.ends_with("rpmb");
    let parent = disks.iter().find(|d| d.name == emmc_of(name));
    let from_parent = |f: fn(&Disk) -> &Field<String>| match parent {
        Some(d) => f(d).clone(),
        None => Field::Unknown(format!("{name}: its eMMC {} is not listed", emmc_of(name))),
    };
    let read_only = fs::read_bool(root, format!("{dir}/ro"));
    let evidence = if rpmb {
        "eMMC replay-protected memory block: written only with the device's own key".to_owned()
    } else {
        let force_ro = match fs::read_bool(root, format!("{dir}/force_ro")) {
            Field::Known(true) => "force_ro 1 (the kernel keeps it read-only)",
            Field::Known(false) => "force_ro 0",
            Field::Unknown(_) => "force_ro unknown",
        };
        format!("eMMC boot partition; {force_ro}")
    };
    OtherStorage {
        name: name.to_owned(),
        dev_path: Some(format!("/dev/{name}")),
        kind: if rpmb {
            StorageKind::EmmcRpmb
        } else {
            StorageKind::EmmcBootPartition
        },
        id: None,
        part_of: parent.map(|d| d.id.clone()),
        vendor: from_parent(|d| &d.vendor),
        model: from_parent(|d| &d.model),
        serial: from_parent(|d| &d.serial),
        transport: Transport::Mmc,
        size_bytes,
        read_only,
        // The run never opens them: the plan is made of `disks` only.
        handling: StorageHandling::NotWritten,
        evidence,
    }
}

/// The eMMC boot partitions and RPMB among `names` (the entries of `sys/block`), and the RPMB
/// devices newer kernels put on the `mmc_rpmb` bus instead, its size from the card's
/// `raw_rpmb_size_mult`.
pub fn emmc_areas(root: &SysRoot, names: &[String], disks: &[Disk]) -> Vec<OtherStorage> {
    let mut out: Vec<OtherStorage> = names
        .iter()
        .filter(|n| is_mmc_hw_partition(n))
        .map(|n| {
            let dir = format!("sys/block/{n}");
            emmc_area(root, n, &dir, disks, size_of(root, &dir))
        })
        .collect();
    let bus = "sys/bus/mmc_rpmb/devices";
    for n in fs::list_dir(root, bus).unwrap_or_default() {
        if out.iter().any(|o| o.name == n) || !is_mmc_hw_partition(&n) {
            continue;
        }
        let dir = format!("{bus}/{n}");
        // The RPMB device sits under its card, which says how big the RPMB is.
        let rel = format!("{dir}/../raw_rpmb_size_mult");
        let size = match fs::read_attr(root, &rel) {
            Field::Known(m) => match u64::from_str_radix(m.trim_start_matches("0x"), 16) {
                Ok(m) => Field::Known(m.saturating_mul(RPMB_UNIT)),
                Err(_) => Field::Unknown(fs::reason(&rel, format_args!("not a hex number: {m:?}"))),
            },
            Field::Unknown(why) => Field::Unknown(why),
        };
        out.push(emmc_area(root, &n, &dir, disks, size));
    }
    out
}

/// Built-in SD/MMC slots with no card (`sys/class/mmc_host/mmcN` with no `mmcN:RCA` card under
/// it): an empty card reader.
pub fn empty_card_slots(root: &SysRoot) -> Vec<OtherStorage> {
    let class = "sys/class/mmc_host";
    fs::list_dir(root, class)
        .unwrap_or_default()
        .into_iter()
        .filter(|host| {
            let prefix = format!("{host}:");
            fs::list_dir(root, format!("{class}/{host}"))
                .is_ok_and(|entries| !entries.iter().any(|e| e.starts_with(&prefix)))
        })
        .map(|host| OtherStorage {
            dev_path: None,
            kind: StorageKind::CardReader,
            id: None,
            part_of: None,
            vendor: Field::Unknown(format!("{class}/{host}: a host has no maker of its own")),
            model: Field::Unknown(format!("{class}/{host}: no card")),
            serial: Field::Unknown(format!("{class}/{host}: no card")),
            transport: Transport::Mmc,
            size_bytes: Field::Known(0),
            read_only: Field::Unknown(format!("{class}/{host}: no card")),
            handling: StorageHandling::NoMedium,
            evidence: "SD/MMC host with no card under it: an empty slot (a soldered eMMC that \
                       did not answer would look the same, and leave the laptop with no disk)"
                .into(),
            name: host,
        })
        .collect()
}

/// The NVMe namespaces each controller lists as active (Identify CNS 02h, read with the drive's
/// facts) that no disk of the kernel stands for. A controller whose disks' namespace IDs cannot
/// all be read is left out rather than guessed at.
pub fn hidden_namespaces(root: &SysRoot, disks: &[Disk]) -> Vec<OtherStorage> {
    let mut out = Vec::new();
    let mut done: Vec<&str> = Vec::new();
    for d in disks.iter().filter(|d| d.transport == Transport::Nvme) {
        let Some(DriveFacts::Nvme {
            serial,
            active_namespaces: Some(active),
            ..
        }) = &d.drive
        else {
            continue;
        };
        let serial = serial.trim();
        if done.contains(&serial) {
            continue;
        }
        done.push(serial);
        let siblings: Vec<&Disk> = disks
            .iter()
            .filter(|s| {
                matches!(&s.drive, Some(DriveFacts::Nvme { serial: other, .. }) if other.trim() == serial)
            })
            .collect();
        let shown: Option<Vec<u32>> = siblings
            .iter()
            .map(|s| fs::read_num::<u32>(root, format!("sys/block/{}/nsid", s.name)).into_known())
            .collect();
        let Some(shown) = shown else {
            continue;
        };
        // "nvme0n1" → "nvme0": the controller as the kernel names it.
        let controller = d.name.rsplit_once('n').map_or(d.name.as_str(), |(c, _)| c);
        for nsid in active.iter().filter(|n| !shown.contains(n)) {
            out.push(OtherStorage {
                name: format!("{controller} namespace {nsid}"),
                dev_path: None,
                kind: StorageKind::NvmeNamespace,
                id: Some(DiskId::derive(
                    None,
                    Transport::Nvme,
                    Some(serial),
                    Some(*nsid),
                    &format!("{controller} namespace {nsid}"),
                )),
                part_of: Some(d.id.clone()),
                vendor: d.vendor.clone(),
                model: d.model.clone(),
                serial: d.serial.clone(),
                transport: Transport::Nvme,
                size_bytes: Field::Unknown(format!(
                    "namespace {nsid} of {controller}: the kernel shows no disk for it"
                )),
                read_only: Field::Unknown(format!("namespace {nsid} of {controller}: not shown")),
                handling: StorageHandling::NotSanitized,
                evidence: format!(
                    "the controller lists namespace {nsid} as active (Identify, Active \
                     Namespace ID list); the kernel shows namespace(s) {} only",
                    shown
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(
        name: &str,
        scsi: Option<u8>,
        removable: Option<bool>,
        size: Option<u64>,
        ro: Option<bool>,
        t: Transport,
    ) -> Option<(StorageKind, StorageHandling)> {
        classify(name, scsi, removable, size, ro, t, false, || {
            Err("not asked".into())
        })
        .map(|c| (c.kind, c.handling))
    }

    /// An optical drive of `size` bytes whose drive says `disc`.
    fn drive(size: Option<u64>, disc: Result<DiscStatus, String>) -> StorageHandling {
        classify(
            "sr0",
            Some(5),
            Some(true),
            size,
            Some(true),
            Transport::Sata,
            false,
            || disc,
        )
        .unwrap()
        .handling
    }

    /// QEMU's empty DVD drive shows the sr driver's placeholder size (1 GiB less 512 bytes, seen
    /// in the end-to-end test): only the drive can tell it is empty.
    #[test]
    fn what_the_drive_says_of_its_disc_wins_over_its_size() {
        use StorageHandling::*;
        let placeholder = Some(1_073_741_312);
        assert_eq!(drive(placeholder, Ok(DiscStatus::NoDisc)), NoMedium);
        assert_eq!(drive(placeholder, Ok(DiscStatus::TrayOpen)), NoMedium);
        assert_eq!(drive(placeholder, Ok(DiscStatus::DiscOk)), RemoveMedium);
        assert_eq!(drive(Some(0), Ok(DiscStatus::NotReady)), RemoveMedium);
        // Not asked, or no answer: the size decides, and the placeholder decides nothing.
        assert_eq!(drive(placeholder, Err("not asked".into())), CheckEmpty);
        assert_eq!(drive(placeholder, Ok(DiscStatus::NoInfo)), CheckEmpty);
        assert_eq!(drive(Some(0), Err("not asked".into())), NoMedium);
        assert_eq!(
            drive(Some(713_031_680), Err("not asked".into())),
            RemoveMedium
        );
        assert_eq!(drive(None, Err("not asked".into())), CheckEmpty);
    }

    /// Only an optical drive is asked about a disc.
    #[test]
    fn only_optical_drives_are_asked() {
        let asked = std::cell::Cell::new(false);
        let c = classify(
            "sdb",
            Some(0),
            Some(true),
            Some(0),
            Some(false),
            Transport::Usb,
            false,
            || {
                asked.set(true);
                Err("no".into())
            },
        );
        assert_eq!(c.map(|c| c.kind), Some(StorageKind::CardReader));
        assert!(!asked.get());
    }

    #[test]
    fn optical_drives_with_and_without_a_disc() {
        use StorageHandling::*;
        let k = StorageKind::OpticalDrive;
        // QEMU q35's empty DVD drive: ATAPI on AHCI, removable, read-only, size 0.
        assert_eq!(
            class(
                "sr0",
                Some(5),
                Some(true),
                Some(0),
                Some(true),
                Transport::Sata
            ),
            Some((k, NoMedium))
        );
        assert_eq!(
            class(
                "sr0",
                Some(5),
                Some(true),
                Some(700 << 20),
                Some(true),
                Transport::Sata
            ),
            Some((k, RemoveMedium))
        );
        assert_eq!(
            class("sr1", None, None, None, None, Transport::Usb),
            Some((k, CheckEmpty))
        );
        // A USB DVD writer on the sd driver is still type 5.
        assert_eq!(
            class(
                "sdc",
                Some(5),
                Some(true),
                Some(0),
                Some(false),
                Transport::Usb
            ),
            Some((k, NoMedium))
        );
    }

    #[test]
    fn empty_readers_and_read_only_media_are_not_disks() {
        use StorageHandling::*;
        assert_eq!(
            class(
                "sdb",
                Some(0),
                Some(true),
                Some(0),
                Some(false),
                Transport::Usb
            ),
            Some((StorageKind::CardReader, NoMedium))
        );
        assert_eq!(
            class(
                "sdb",
                Some(0),
                Some(true),
                Some(8 << 30),
                Some(true),
                Transport::Usb
            ),
            Some((StorageKind::ReadOnlyMedium, RemoveMedium))
        );
        // A write-protected SD card in a built-in reader reports removable 0 on some hosts.
        assert_eq!(
            class(
                "mmcblk1",
                None,
                Some(false),
                Some(8 << 30),
                Some(true),
                Transport::Mmc
            ),
            Some((StorageKind::ReadOnlyMedium, RemoveMedium))
        );
    }

    #[test]
    fn disks_stay_disks() {
        // A writable USB stick, an internal disk (even read-only, even of size 0: a broken disk
        // is the laptop's problem), a soldered eMMC gone read-only, anything unknown.
        assert_eq!(
            class(
                "sdb",
                Some(0),
                Some(true),
                Some(8 << 30),
                Some(false),
                Transport::Usb
            ),
            None
        );
        assert_eq!(
            class(
                "sda",
                Some(0),
                Some(false),
                Some(0),
                Some(true),
                Transport::Sata
            ),
            None
        );
        assert_eq!(
            classify(
                "mmcblk0",
                None,
                Some(false),
                Some(32 << 30),
                Some(true),
                Transport::Mmc,
                true,
                || Err("not asked".into())
            ),
            None
        );
        assert_eq!(
            class("sdb", None, Some(true), None, None, Transport::Usb),
            None
        );
        assert_eq!(
            class("nvme0n1", None, None, Some(0), None, Transport::Nvme),
            None
        );
    }

    #[test]
    fn emmc_names() {
        assert_eq!(emmc_of("mmcblk0boot1"), "mmcblk0");
        assert_eq!(emmc_of("mmcblk12rpmb"), "mmcblk12");
    }
}
