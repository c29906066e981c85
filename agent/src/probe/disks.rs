//! Disks from `ROOT/sys/block/*`: identity (one [`DiskIdentity`] per disk, named by its
//! [`DiskId`]), transport and media, geometry, partitions, mount points, and whether a disk holds
//! the running system (so that it is never wiped).
//!
//! What the system uses comes from `sys::usage`, the reader the write guard asks too. The pure
//! parts (transport from the device path; VPD, wwid and IDENTIFY parsing in `parse`) are tested
//! alone; [`probe_disks`] reads.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::{
    Disk, DiskHealth, DriveFacts, OtherStorage, Partition, RepriseMedium, StorageKind,
};
use super::{Drives, drive, medium, storage};
use crate::model::{DiskId, Field, MediaType, Transport};
use crate::parse::libata::{ata_identity, parse_ata_id_text};
use crate::parse::names::{is_mmc_hw_partition, is_virtual, natural_key};
use crate::parse::scsi::{ata_model_from_wwid, parse_vpd_pg80, serial_from_wwid};
use crate::sys::usage::{BlockUsage, dev_number};
use crate::sys::{SysRoot, fs};

const BLOCK: &str = "sys/block";

/// Bytes per unit of the `size` attribute: always 512, whatever the sector size (see
/// Documentation/ABI/stable/sysfs-block).
const SIZE_UNIT: u64 = 512;

fn is_numbered(component: &str, prefix: &str) -> bool {
    component
        .strip_prefix(prefix)
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// Transport of a disk from its kernel name and its resolved sysfs path (the `sys/block/NAME`
/// link target, which holds the whole chain of parent devices).
pub fn transport_from_path(name: &str, path: &str) -> Transport {
    let comps: Vec<&str> = path.split('/').collect();
    let has = |f: &dyn Fn(&str) -> bool| comps.iter().any(|c| f(c));
    if has(&|c| is_numbered(c, "usb")) {
        // Anything behind a USB host controller, whatever speaks over it (UAS, BOT, NVMe bridge).
        Transport::Usb
    } else if name.starts_with("nvme") || has(&|c| c == "nvme" || c.starts_with("nvme-subsys")) {
        Transport::Nvme
    } else if name.starts_with("mmcblk") || has(&|c| c == "mmc_host") {
        Transport::Mmc
    } else if has(&|c| is_numbered(c, "ata")) {
        Transport::Sata
    } else if name.starts_with("loop") {
        Transport::Loop
    } else if name.starts_with("vd")
        || (has(&|c| c.starts_with("virtio")) && !has(&|c| is_numbered(c, "host")))
    {
        Transport::Virtio
    } else if has(&|c| is_numbered(c, "host")) || name.starts_with("sd") || name.starts_with("sr") {
        // SAS HBAs, virtio-scsi, iSCSI: SCSI commands reach the disk.
        Transport::Scsi
    } else {
        Transport::Unknown
    }
}

/// Serial of a disk behind USB: the `serial` of the nearest USB device among its ancestors.
fn usb_serial(root: &SysRoot, resolved: &Path) -> Option<String> {
    let mut p = resolved.parent();
    while let Some(dir) = p {
        if fs::exists(root, dir.join("idVendor")) {
            return fs::read_attr(root, dir.join("serial")).known().cloned();
        }
        p = dir.parent();
    }
    None
}

/// Identity of the disk at `dir` (model, serial, firmware, vendor) by transport.
fn identity(
    root: &SysRoot,
    dir: &str,
    transport: Transport,
    resolved: Option<&Path>,
) -> [Field<String>; 4] {
    let a = |rel: &str| fs::read_attr(root, format!("{dir}/{rel}"));
    match transport {
        Transport::Nvme => [
            a("device/model"),
            a("device/serial"),
            a("device/firmware_rev"),
            // The controller has no vendor name; its PCI function has the vendor ID.
            a("device/device/vendor"),
        ],
        Transport::Mmc => {
            // The eMMC boot areas (mmcblk0boot0) are disks whose parent is the user area's
            // disk: the card's attributes are one level further up.
            let card = if fs::exists(root, format!("{dir}/device/cid")) {
                "device"
            } else {
                "device/device"
            };
            let c = |attr: &str| a(&format!("{card}/{attr}"));
            [
                c("name"),
                c("serial"),
                match c("fwrev") {
                    Field::Known(v) => Field::Known(v),
                    Field::Unknown(_) => c("rev"),
                },
                c("manfid"),
            ]
        }
        Transport::Virtio => [
            Field::Unknown(format!("{dir}: virtio disks report no model")),
            a("serial"),
            Field::Unknown(format!("{dir}: virtio disks report no firmware revision")),
            a("device/vendor"),
        ],
        Transport::Sata
        | Transport::Scsi
        | Transport::Usb
        | Transport::Loop
        | Transport::File
        | Transport::Unknown => {
            let mut serial = scsi_serial(root, dir, transport, resolved);
            let mut model = a("device/model");
            let mut firmware = a("device/rev");
            // SATA behind libata: SCSI INQUIRY has room for only 16 bytes of the model and 4 of
            // the firmware revision. The IDENTIFY words libata keeps have them whole; else the
            // T10 wwid has the full model.
            if let Some(full) = a("device/wwid")
                .known()
                .and_then(|w| ata_model_from_wwid(w))
            {
                let short = model.known().cloned().unwrap_or_default();
                if full.starts_with(&short) {
                    model = Field::Known(full);
                }
            }
            if transport == Transport::Sata
                && let Some(words) = resolved.and_then(|r| ata_id_words(root, r))
            {
                let (m, s, f) = ata_identity(&words);
                if let Some(m) = m {
                    model = Field::Known(m);
                }
                if let (Field::Unknown(_), Some(s)) = (&serial, s) {
                    serial = Field::Known(s);
                }
                if let Some(f) = f {
                    firmware = Field::Known(f);
                }
            }
            [model, serial, firmware, a("device/vendor")]
        }
    }
}

/// The IDENTIFY words libata keeps for the disk at `resolved` (`.../ataN/host0/...`): the
/// `ataN/linkL/devL.D/ata_device/devL.D/id` of its port, when the port has exactly one device
/// (behind a port multiplier the match would be a guess, so nothing is read).
fn ata_id_words(root: &SysRoot, resolved: &Path) -> Option<Vec<u16>> {
    let comps: Vec<_> = resolved.components().collect();
    let idx = comps
        .iter()
        .position(|c| is_numbered(&c.as_os_str().to_string_lossy(), "ata"))?;
    let port: std::path::PathBuf = comps[..=idx].iter().collect();
    let mut found = Vec::new();
    for link in fs::list_dir(root, &port)
        .ok()?
        .iter()
        .filter(|n| n.starts_with("link"))
    {
        let link_dir = port.join(link);
        for dev in fs::list_dir(root, &link_dir).unwrap_or_default() {
            let id = link_dir.join(&dev).join("ata_device").join(&dev).join("id");
            if dev.starts_with("dev") && fs::exists(root, &id) {
                found.push(id);
            }
        }
    }
    match found.as_slice() {
        [one] => parse_ata_id_text(&fs::read_text(root, one).ok()?),
        _ => None,
    }
}

/// SCSI/SATA/USB serial: VPD page 0x80, else the T10 wwid, else the USB device's serial.
fn scsi_serial(
    root: &SysRoot,
    dir: &str,
    transport: Transport,
    resolved: Option<&Path>,
) -> Field<String> {
    let mut why = Vec::new();
    let pg80 = format!("{dir}/device/vpd_pg80");
    match fs::read_bytes(root, &pg80) {
        Ok(b) => match parse_vpd_pg80(&b) {
            Some(s) => return Field::Known(s),
            None => why.push(fs::reason(&pg80, "no serial in page")),
        },
        Err(e) => why.push(e),
    }
    let wwid = format!("{dir}/device/wwid");
    match fs::read_attr(root, &wwid) {
        Field::Known(w) => match serial_from_wwid(&w) {
            Some(s) => return Field::Known(s),
            None => why.push(fs::reason(&wwid, "not a T10 identifier with a serial")),
        },
        Field::Unknown(e) => why.push(e),
    }
    if transport == Transport::Usb {
        if let Some(s) = resolved.and_then(|r| usb_serial(root, r)) {
            return Field::Known(s);
        }
        why.push("USB device has no serial".to_owned());
    }
    Field::Unknown(why.join("; "))
}

fn partitions(root: &SysRoot, dir: &str, name: &str) -> Vec<(String, u32)> {
    let mut parts: Vec<(String, u32)> = fs::list_dir(root, dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.starts_with(name) && fs::exists(root, format!("{dir}/{n}/partition")))
        .map(|n| {
            let num = fs::read_num::<u32>(root, format!("{dir}/{n}/partition"));
            (n, num.known().copied().unwrap_or(u32::MAX))
        })
        .collect();
    parts.sort_by(|a, b| {
        a.1.cmp(&b.1)
            .then_with(|| natural_key(&a.0).cmp(&natural_key(&b.0)))
    });
    parts
}

fn size_of(root: &SysRoot, dir: &str) -> Field<u64> {
    let rel = format!("{dir}/size");
    match fs::read_num::<u64>(root, &rel) {
        Field::Known(n) => match n.checked_mul(SIZE_UNIT) {
            Some(b) => Field::Known(b),
            None => Field::Unknown(fs::reason(&rel, "size overflows")),
        },
        Field::Unknown(why) => Field::Unknown(why),
    }
}

/// The world-wide name of a disk, when the kernel shows one: libata and SCSI put the drive's
/// NAA identifier in `device/wwid` ("naa.5000c500a1b2c3d4"); NVMe namespaces have `wwid`
/// ("eui.…" from the EUI-64 or NGUID, or a constructed "nvme.…" that is not a WWN).
fn wwn(root: &SysRoot, dir: &str, transport: Transport) -> Field<String> {
    let rel = match transport {
        Transport::Nvme => format!("{dir}/wwid"),
        _ => format!("{dir}/device/wwid"),
    };
    match fs::read_attr(root, &rel) {
        Field::Known(w) if crate::model::is_world_wide_name(w.trim()) => {
            Field::Known(w.trim().to_ascii_lowercase())
        }
        Field::Known(w) => Field::Unknown(fs::reason(
            &rel,
            format_args!("not a world-wide name: {w:?}"),
        )),
        Field::Unknown(why) => Field::Unknown(why),
    }
}

fn probe_disk(root: &SysRoot, name: &str, usage: &BlockUsage, drives: &Drives) -> Disk {
    let dir = format!("{BLOCK}/{name}");
    let resolved = fs::resolve(root, &dir).ok();
    let path_text = resolved
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let transport = transport_from_path(name, &path_text);
    let [model, serial, firmware, vendor] = identity(root, &dir, transport, resolved.as_deref());
    let wwn = wwn(root, &dir, transport);
    let namespace = (transport == Transport::Nvme)
        .then(|| fs::read_num::<u32>(root, format!("{dir}/nsid")).into_known())
        .flatten();
    let dev_path = format!("/dev/{name}");
    let id = DiskId::derive(
        wwn.known().map(String::as_str),
        transport,
        serial.known().map(String::as_str),
        namespace,
        &dev_path,
    );

    let mut reasons = Vec::new();
    if let Err(why) = &usage.mounts {
        reasons.push(format!(
            "mount table unreadable ({why}): cannot prove the disk is unused"
        ));
    }
    reasons.extend(usage.uses(root, name, &dir).iter().map(ToString::to_string));
    let partitions = partitions(root, &dir, name)
        .into_iter()
        .map(|(pname, _)| {
            let pdir = format!("{dir}/{pname}");
            let devno = dev_number(root, &pdir);
            Partition {
                dev_path: format!("/dev/{pname}"),
                size_bytes: size_of(root, &pdir),
                mountpoints: usage.mountpoints(&pname, devno),
                name: pname,
            }
        })
        .collect();
    let devno = dev_number(root, &dir);
    let rotational = fs::read_bool(root, format!("{dir}/queue/rotational"));
    let removable = fs::read_bool(root, format!("{dir}/removable"));
    let (drive, health) = read_drive(root, name, transport, drives);
    let soldered = transport == Transport::Mmc && is_soldered_mmc(root, &dir, &removable);
    // A copy of the image on the laptop's own storage is the laptop's disk, not a stick: a
    // workshop that installed Reprise on it, or a donor's, must not configure the run.
    let (reprise_medium, reprise_copy) = match medium::recognise(root, name) {
        Some(reason) if medium::is_internal(transport, &removable, soldered) => (
            None,
            Some(format!(
                "{reason}; built into the laptop: never taken for the stick, sanitized like any \
                 other disk"
            )),
        ),
        Some(reason) => (
            Some(RepriseMedium {
                data_partition: medium::partition_named(root, name, medium::DATA_PARTITION_NUMBER),
                booted: false,
                reason,
            }),
            None,
        ),
        None => (None, None),
    };
    Disk {
        name: name.to_owned(),
        dev_path,
        id,
        devno,
        model,
        serial,
        firmware,
        vendor,
        wwn,
        transport,
        media_type: MediaType::classify(transport, rotational.known().copied()),
        rotational,
        soldered,
        removable,
        size_bytes: size_of(root, &dir),
        logical_sector_size: fs::read_num(root, format!("{dir}/queue/logical_block_size")),
        physical_sector_size: fs::read_num(root, format!("{dir}/queue/physical_block_size")),
        read_only: fs::read_bool(root, format!("{dir}/ro")),
        partitions,
        mountpoints: usage.mountpoints(name, devno),
        reprise_medium,
        reprise_copy,
        drive,
        health,
        holds_system: !reasons.is_empty(),
        system_reasons: reasons,
        appeared_during_run: false,
    }
}

/// The drive's facts and health through `drives` (see [`super::drive`]).
fn read_drive(
    root: &SysRoot,
    name: &str,
    transport: Transport,
    drives: &Drives,
) -> (Option<DriveFacts>, DiskHealth) {
    match drives.with(root, name, transport, |pt| drive::read(pt, transport)) {
        Ok(read) => read,
        Err(why) => (None, drive::unknown(why)),
    }
}

/// An eMMC soldered to the board, as opposed to an SD card in a reader: the card says which
/// (`device/type` "MMC" or "SD"); without it, a non-removable slot is taken as soldered.
fn is_soldered_mmc(root: &SysRoot, dir: &str, removable: &Field<bool>) -> bool {
    match fs::read_attr(root, format!("{dir}/device/type"))
        .known()
        .map(String::as_str)
    {
        Some("MMC") => true,
        Some(_) => false,
        None => removable.known() == Some(&false),
    }
}

/// Every disk under `ROOT/sys/block`, in natural name order. Virtual devices (loop, ram, zram,
/// dm, md, nbd), eMMC boot/RPMB areas and devices the kernel marks hidden (NVMe multipath
/// paths) are left out unless `include_virtual`; what is not a disk at all (an optical drive,
/// an empty card reader, a read-only removable medium) always is.
///
/// Two disks must never share a name: when they would (cheap card readers and sticks often
/// report the same serial), both are named by their path instead, which is then said.
pub fn probe_disks(root: &SysRoot, include_virtual: bool) -> Vec<Disk> {
    probe_disks_with(root, include_virtual, &Drives::None)
}

/// [`probe_disks`], reading each drive's facts and health through `drives`.
pub fn probe_disks_with(root: &SysRoot, include_virtual: bool, drives: &Drives) -> Vec<Disk> {
    probe_storage(root, include_virtual, drives).0
}

/// Every disk under `ROOT/sys/block` ([`probe_disks_with`]), and the storage that is not a disk
/// the run sanitizes ([`super::storage`]): optical drives, empty card readers and read-only
/// removable media (never in the disks, whatever `include_virtual` says), eMMC boot partitions
/// and RPMB (in the disks too when `include_virtual`, as before), empty SD/MMC slots, and NVMe
/// namespaces the kernel does not show.
pub fn probe_storage(
    root: &SysRoot,
    include_virtual: bool,
    drives: &Drives,
) -> (Vec<Disk>, Vec<OtherStorage>) {
    let Ok(mut all) = fs::list_dir(root, BLOCK) else {
        return (Vec::new(), storage::empty_card_slots(root));
    };
    all.sort_by_key(|n| natural_key(n));
    let usage = BlockUsage::read(root);
    let mut disks: Vec<Disk> = Vec::new();
    let mut other: Vec<OtherStorage> = Vec::new();
    for n in &all {
        let hidden = fs::read_bool(root, format!("{BLOCK}/{n}/hidden")) == Field::Known(true);
        let special = is_virtual(n) || is_mmc_hw_partition(n) || hidden;
        if !special && let Some(o) = not_a_disk(root, n, &usage, drives) {
            other.push(o);
            continue;
        }
        if include_virtual || !special {
            disks.push(probe_disk(root, n, &usage, drives));
        }
    }
    let mut seen: BTreeMap<DiskId, usize> = BTreeMap::new();
    for d in &disks {
        *seen.entry(d.id.clone()).or_default() += 1;
    }
    for d in &mut disks {
        if seen.get(&d.id).is_some_and(|n| *n > 1) {
            d.id = DiskId::Path(d.dev_path.clone());
        }
    }
    mark_boot_medium(root, &mut disks);
    other.extend(storage::emmc_areas(root, &all, &disks));
    other.extend(storage::empty_card_slots(root));
    other.extend(storage::hidden_namespaces(root, &disks));
    (disks, other)
}

/// The block device `name` as other storage, when it is not a disk ([`storage::classify`]). A
/// read-only medium that carries the Reprise image or that the system uses stays a disk: the
/// boot medium must be found, and what the system uses protected.
fn not_a_disk(
    root: &SysRoot,
    name: &str,
    usage: &BlockUsage,
    drives: &Drives,
) -> Option<OtherStorage> {
    let dir = format!("{BLOCK}/{name}");
    let resolved = fs::resolve(root, &dir).ok();
    let path_text = resolved
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let transport = transport_from_path(name, &path_text);
    let removable = fs::read_bool(root, format!("{dir}/removable"));
    let size_bytes = size_of(root, &dir);
    let read_only = fs::read_bool(root, format!("{dir}/ro"));
    // SCSI devices say their peripheral type as a number; MMC cards say "MMC" or "SD".
    let scsi_type = fs::read_num::<u8>(root, format!("{dir}/device/type")).into_known();
    let soldered = transport == Transport::Mmc && is_soldered_mmc(root, &dir, &removable);
    let class = storage::classify(
        name,
        scsi_type,
        removable.known().copied(),
        size_bytes.known().copied(),
        read_only.known().copied(),
        transport,
        soldered,
        || drives.disc_status(root, name),
    )?;
    if class.kind == StorageKind::ReadOnlyMedium
        && (medium::recognise(root, name).is_some() || !usage.uses(root, name, &dir).is_empty())
    {
        return None;
    }
    let [model, serial, _firmware, vendor] = identity(root, &dir, transport, resolved.as_deref());
    let dev_path = format!("/dev/{name}");
    Some(OtherStorage {
        name: name.to_owned(),
        id: Some(DiskId::derive(
            None,
            transport,
            serial.known().map(String::as_str),
            None,
            &dev_path,
        )),
        dev_path: Some(dev_path),
        kind: class.kind,
        part_of: None,
        vendor,
        model,
        serial,
        transport,
        size_bytes,
        read_only,
        handling: class.handling,
        evidence: class.evidence,
    })
}

/// Takes the Reprise stick as the boot medium only when it is proven: the one stick carrying
/// the image (the laptop's own disks are never candidates), or the one the operator chose
/// among several (`reprise medium --choose`), and a kernel loaded from a disk. Several sticks
/// and no choice, or a network boot, prove nothing: every stick stays protected, none is "the"
/// boot medium.
fn mark_boot_medium(root: &SysRoot, disks: &mut [Disk]) {
    let sticks = disks.iter().filter(|d| d.reprise_medium.is_some()).count();
    let from_disk = medium::booted_from_disk(root);
    let chosen = medium::operator_choice(root);
    let is_chosen = |d: &Disk| {
        chosen
            .as_ref()
            .is_some_and(|c| c.name == d.name && Some(c.devno) == d.devno)
    };
    let choice_valid = sticks > 1
        && disks
            .iter()
            .any(|d| d.reprise_medium.is_some() && is_chosen(d));
    for d in disks.iter_mut() {
        let this_chosen = is_chosen(d);
        let Some(m) = d.reprise_medium.as_mut() else {
            continue;
        };
        if sticks == 1 && from_disk {
            m.booted = true;
            m.reason
                .push_str("; the only one present, and the kernel was loaded from a disk");
        } else if choice_valid && from_disk && this_chosen {
            m.booted = true;
            m.reason.push_str(&format!(
                "; {sticks} disks carry the image, and the operator chose this one as the \
                 boot medium"
            ));
        } else if choice_valid && from_disk {
            m.reason.push_str(&format!(
                "; {sticks} disks carry the image, and the operator chose another one"
            ));
        } else if sticks > 1 {
            m.reason.push_str(&format!(
                "; {sticks} disks carry the image: none is taken as the boot medium until the \
                 operator chooses"
            ));
        } else {
            m.reason.push_str(
                "; the kernel was not loaded from a disk (network boot): not the boot medium",
            );
        }
    }
}

/// The disk whose device number is `devno`, probed afresh (the write guard re-reads the
/// identity of the device it opened with this, to check it is still the disk the plan names).
/// Every disk is probed, virtual ones included, so that names are given exactly as in a full
/// probe (two disks sharing a serial are both named by path there too).
pub fn probe_devno(root: &SysRoot, devno: crate::model::DevNo) -> Option<Disk> {
    probe_disks(root, true)
        .into_iter()
        .find(|d| d.devno == Some(devno))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_from_real_sysfs_paths() {
        let cases = [
            (
                "sda",
                "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda",
                Transport::Sata,
            ),
            (
                "sdb",
                "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb",
                Transport::Usb,
            ),
            (
                "nvme0n1",
                "sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1",
                Transport::Nvme,
            ),
            (
                "nvme0n1",
                "sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1",
                Transport::Nvme,
            ),
            (
                "mmcblk0",
                "sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/mmc_host/mmc0/mmc0:0001/block/mmcblk0",
                Transport::Mmc,
            ),
            (
                "vda",
                "sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda",
                Transport::Virtio,
            ),
            (
                "sda",
                "sys/devices/pci0000:00/0000:00:03.0/virtio0/host0/target0:0:0/0:0:0:0/block/sda",
                Transport::Scsi,
            ),
            (
                "sdc",
                "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/host2/port-2:0/end_device-2:0/target2:0:0/2:0:0:0/block/sdc",
                Transport::Scsi,
            ),
            (
                "sdd",
                "sys/devices/pci0000:00/0000:00:14.0/usb4/4-2/4-2:1.0/host7/target7:0:0/7:0:0:0/block/sdd",
                Transport::Usb,
            ),
            ("loop0", "sys/devices/virtual/block/loop0", Transport::Loop),
        ];
        for (name, path, want) in cases {
            assert_eq!(transport_from_path(name, path), want, "{path}");
        }
    }
}
