//! Disks from `ROOT/sys/block/*`: identity, transport, geometry, partitions, mount points, and
//! whether a disk holds the running system or the boot medium (so it is never wiped).
//!
//! The pure parts (transport from the device path, VPD page 0x80, `root=` of the kernel command
//! line, which names are virtual) are separate functions tested alone; [`probe_disks`] reads.

use std::collections::BTreeSet;
use std::path::Path;

use super::model::{Disk, Field, Partition, Transport};
use crate::parse::mountinfo;
use crate::sys::{SysRoot, fs};

const BLOCK: &str = "sys/block";
const MOUNTINFO: &str = "proc/self/mountinfo";
const MOUNTS: &str = "proc/mounts";
const SWAPS: &str = "proc/swaps";
const CMDLINE: &str = "proc/cmdline";

/// Bytes per unit of the `size` attribute: always 512, whatever the sector size (see
/// Documentation/ABI/stable/sysfs-block).
const SIZE_UNIT: u64 = 512;

/// Whether a kernel block device name is virtual (not a disk a laptop carries): loop, ram,
/// zram, device-mapper, md RAID, network block devices.
pub fn is_virtual(name: &str) -> bool {
    ["loop", "ram", "zram", "dm-", "md", "nbd"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Whether `name` is an eMMC hardware partition (`mmcblk0boot0`, `mmcblk0rpmb`): part of the
/// eMMC `mmcblkN` (small, usually force-read-only boot areas), so it is not listed as a disk of
/// its own unless everything is asked for.
pub fn is_mmc_hw_partition(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("mmcblk") else {
        return false;
    };
    let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    digits.len() < rest.len()
        && (digits == "rpmb"
            || digits
                .strip_prefix("boot")
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())))
}

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

/// Serial number in a SCSI VPD page 0x80 (Unit Serial Number): 4-byte header (peripheral,
/// page code 0x80, big-endian length), then ASCII, often space-padded.
pub fn parse_vpd_pg80(bytes: &[u8]) -> Option<String> {
    if bytes.len() < 4 || bytes[1] != 0x80 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    let body = &bytes[4..bytes.len().min(4 + len)];
    let text: String = body
        .iter()
        .filter(|b| b.is_ascii_graphic() || **b == b' ')
        .map(|b| char::from(*b))
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Serial number from a SCSI `wwid` of the T10 vendor-identification form
/// ("t10.ATA     Samsung SSD 860 EVO 500GB   S3Z1NB0K123456A": vendor, model, serial). Other
/// forms (naa., eui.) are world-wide names, not serials.
pub fn serial_from_wwid(wwid: &str) -> Option<String> {
    let rest = wwid.trim().strip_prefix("t10.")?;
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    // vendor, at least one model word, serial
    (tokens.len() >= 3).then(|| tokens[tokens.len() - 1].to_owned())
}

/// Full ATA model from a libata `wwid` ("t10.ATA     " + 40-byte model + serial). The SCSI
/// `model` attribute holds only the first 16 bytes of it ("Samsung SSD 860 "), because SCSI
/// INQUIRY has room for no more; the operator and the certificate need the whole name.
pub fn ata_model_from_wwid(wwid: &str) -> Option<String> {
    let rest = wwid.trim().strip_prefix("t10.ATA")?;
    let mut words: Vec<&str> = rest.split_whitespace().collect();
    words.pop()?; // the serial
    (!words.is_empty()).then(|| words.join(" "))
}

/// The 256 IDENTIFY DEVICE words of an ATA device as libata prints them in
/// `ata_device/devN.M/id` (4 hex digits per word, 8 words per line).
pub fn parse_ata_id_text(text: &str) -> Option<Vec<u16>> {
    let words: Option<Vec<u16>> = text
        .split_whitespace()
        .map(|w| {
            if w.len() == 4 {
                u16::from_str_radix(w, 16).ok()
            } else {
                None
            }
        })
        .collect();
    words.filter(|w| w.len() == 256)
}

/// An ATA string of IDENTIFY words `range` (two characters per word, high byte first),
/// trimmed; None when blank or not ASCII.
pub fn ata_id_string(words: &[u16], range: std::ops::Range<usize>) -> Option<String> {
    let bytes: Vec<u8> = words
        .get(range)?
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    if !bytes
        .iter()
        .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == 0)
    {
        return None;
    }
    let text: String = bytes
        .iter()
        .filter(|b| **b != 0)
        .map(|b| char::from(*b))
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Model, serial and firmware revision in IDENTIFY DEVICE (ACS-3 words 27-46, 10-19, 23-26).
pub fn ata_identity(words: &[u16]) -> (Option<String>, Option<String>, Option<String>) {
    (
        ata_id_string(words, 27..47),
        ata_id_string(words, 10..20),
        ata_id_string(words, 23..27),
    )
}

/// How the kernel command line names the root filesystem (`root=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootSpec {
    /// `root=/dev/X` (X may be a link such as `mapper/vg-root` or `disk/by-uuid/...`).
    DevPath(String),
    /// `root=UUID=...` (filesystem UUID).
    Uuid(String),
    /// `root=PARTUUID=...` (GPT/MBR partition UUID).
    PartUuid(String),
    /// `root=LABEL=...` (filesystem label).
    Label(String),
    /// `root=PARTLABEL=...` (GPT partition name).
    PartLabel(String),
    /// `root=MAJ:MIN`.
    DevNum(u32, u32),
}

/// The `root=` of a kernel command line, if any (the last one wins, as in the kernel).
pub fn parse_cmdline_root(cmdline: &str) -> Option<RootSpec> {
    let value = cmdline
        .split_whitespace()
        .take_while(|t| *t != "--")
        .filter_map(|t| t.strip_prefix("root="))
        .last()?;
    let spec = if let Some(v) = value.strip_prefix("UUID=") {
        RootSpec::Uuid(v.to_owned())
    } else if let Some(v) = value.strip_prefix("PARTUUID=") {
        RootSpec::PartUuid(v.to_owned())
    } else if let Some(v) = value.strip_prefix("LABEL=") {
        RootSpec::Label(v.to_owned())
    } else if let Some(v) = value.strip_prefix("PARTLABEL=") {
        RootSpec::PartLabel(v.to_owned())
    } else if let Some(v) = value.strip_prefix("/dev/") {
        RootSpec::DevPath(v.to_owned())
    } else if let Some((a, b)) = value.split_once(':') {
        RootSpec::DevNum(a.parse().ok()?, b.parse().ok()?)
    } else {
        return None;
    };
    Some(spec)
}

/// Orders kernel names naturally: numbers compare as numbers (nvme0n1p2 < nvme0n1p10).
pub fn natural_key(name: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut num = String::new();
    for c in name.chars() {
        if c.is_ascii_digit() {
            num.push(c);
        } else {
            if !num.is_empty() {
                out.push((std::mem::take(&mut text), num.parse().unwrap_or(u64::MAX)));
                num.clear();
            }
            text.push(c);
        }
    }
    out.push((text, num.parse().unwrap_or(0)));
    out
}

/// One mounted filesystem, from mountinfo (with device number) or /proc/mounts (without).
#[derive(Debug, Clone)]
struct Mount {
    dev: Option<(u32, u32)>,
    source: String,
    mount_point: String,
}

/// What the probe knows about the system's use of block devices.
#[derive(Debug)]
struct Usage {
    /// The mount table, or why it could not be read (then no disk can be proven unused).
    mounts: Result<Vec<Mount>, String>,
    /// Kernel names of active swap devices.
    swaps: BTreeSet<String>,
    /// The `root=` of the kernel command line and the kernel name it resolves to, if any.
    root: Option<(String, RootSpec, Option<String>)>,
}

fn read_mounts(root: &SysRoot) -> Result<Vec<Mount>, String> {
    match fs::read_text(root, MOUNTINFO) {
        Ok(text) => Ok(mountinfo::parse(&text)
            .into_iter()
            .map(|e| Mount {
                dev: Some((e.major, e.minor)),
                source: e.source,
                mount_point: e.mount_point,
            })
            .collect()),
        Err(first) => match fs::read_text(root, MOUNTS) {
            Ok(text) => Ok(text
                .lines()
                .filter_map(|l| {
                    let mut f = l.split_whitespace();
                    Some(Mount {
                        dev: None,
                        source: f.next()?.to_owned(),
                        mount_point: f.next()?.replace("\\040", " "),
                    })
                })
                .collect()),
            Err(second) => Err(format!("{first}; {second}")),
        },
    }
}

fn read_swaps(root: &SysRoot) -> BTreeSet<String> {
    let Ok(text) = fs::read_text(root, SWAPS) else {
        return BTreeSet::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|p| p.strip_prefix("/dev/"))
        .map(|n| kernel_name_of_dev(root, n))
        .collect()
}

/// Kernel name of `/dev/REL` under the root: follows a link (`mapper/vg-root`,
/// `disk/by-uuid/...`) when the tree has one, else the last component.
fn kernel_name_of_dev(root: &SysRoot, rel: &str) -> String {
    match fs::resolve(root, format!("dev/{rel}")) {
        Ok(p) => p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| rel.to_owned()),
        Err(_) => Path::new(rel)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| rel.to_owned()),
    }
}

fn read_usage(root: &SysRoot) -> Usage {
    let root_spec = fs::read_text(root, CMDLINE).ok().and_then(|text| {
        let raw = text
            .split_whitespace()
            .take_while(|t| *t != "--")
            .filter(|t| t.starts_with("root="))
            .last()?
            .to_owned();
        let spec = parse_cmdline_root(&text)?;
        // Resolve through /dev links when the tree has them (udev's by-uuid, by-label...).
        let link = |dir: &str, v: &str| {
            fs::resolve(root, format!("dev/disk/{dir}/{v}"))
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        };
        let name = match &spec {
            RootSpec::DevPath(p) => Some(kernel_name_of_dev(root, p)),
            RootSpec::Uuid(u) => link("by-uuid", u),
            RootSpec::PartUuid(u) => link("by-partuuid", u),
            RootSpec::Label(l) => link("by-label", l),
            RootSpec::PartLabel(l) => link("by-partlabel", l),
            RootSpec::DevNum(..) => None,
        };
        Some((raw, spec, name))
    });
    Usage {
        mounts: read_mounts(root),
        swaps: read_swaps(root),
        root: root_spec,
    }
}

/// `MAJ:MIN` of a block device from its `dev` attribute.
fn dev_number(root: &SysRoot, dir: &str) -> Option<(u32, u32)> {
    let dev = fs::read_attr(root, format!("{dir}/dev"));
    let (a, b) = dev.known()?.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Mount points of the block device `name` with number `dev`.
fn mountpoints(usage: &Usage, name: &str, dev: Option<(u32, u32)>) -> Vec<String> {
    let Ok(mounts) = &usage.mounts else {
        return Vec::new();
    };
    let source = format!("/dev/{name}");
    let mut out: Vec<String> = Vec::new();
    for m in mounts {
        let same_dev = matches!((m.dev, dev), (Some(a), Some(b)) if a == b);
        if (same_dev || m.source == source) && !out.contains(&m.mount_point) {
            out.push(m.mount_point.clone());
        }
    }
    out
}

/// Why the block device `name` (a disk or one of its partitions, at `dir`) is in use by the
/// running system: mounted, active swap, named by `root=`, or used by a holder (dm, md) that is.
fn usage_reasons(
    root: &SysRoot,
    usage: &Usage,
    name: &str,
    dir: &str,
    what: &str,
    depth: u32,
    reasons: &mut Vec<String>,
) {
    let dev = dev_number(root, dir);
    for mp in mountpoints(usage, name, dev) {
        reasons.push(format!("{what} mounted on {mp}"));
    }
    if usage.swaps.contains(name) {
        reasons.push(format!("{what} is an active swap area"));
    }
    if let Some((raw, spec, resolved)) = &usage.root {
        let uevent = || fs::read_text(root, format!("{dir}/uevent")).unwrap_or_default();
        let uevent_has = |key: &str, v: &str| {
            uevent()
                .lines()
                .filter_map(|l| l.strip_prefix(key))
                .any(|x| x.eq_ignore_ascii_case(v))
        };
        let named = resolved.as_deref() == Some(name)
            || match spec {
                RootSpec::PartUuid(u) => uevent_has("PARTUUID=", u),
                RootSpec::PartLabel(l) => uevent_has("PARTNAME=", l),
                RootSpec::DevNum(a, b) => dev == Some((*a, *b)),
                _ => false,
            };
        if named {
            reasons.push(format!("kernel command line {raw} names {what}"));
        }
    }
    // A partition used through LVM, LUKS or RAID: its holders carry the filesystem. Bounded
    // depth guards against a looping fixture.
    if depth < 8 {
        for holder in fs::list_dir(root, format!("{dir}/holders")).unwrap_or_default() {
            let hdir = format!("{BLOCK}/{holder}");
            let hwhat = format!("{what} (through {holder})");
            usage_reasons(root, usage, &holder, &hdir, &hwhat, depth + 1, reasons);
        }
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
        Transport::Sata | Transport::Scsi | Transport::Usb | Transport::Unknown => {
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

fn probe_disk(root: &SysRoot, name: &str, usage: &Usage) -> Disk {
    let dir = format!("{BLOCK}/{name}");
    let resolved = fs::resolve(root, &dir).ok();
    let path_text = resolved
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let transport = transport_from_path(name, &path_text);
    let [model, serial, firmware, vendor] = identity(root, &dir, transport, resolved.as_deref());

    let mut reasons = Vec::new();
    if let Err(why) = &usage.mounts {
        reasons.push(format!(
            "mount table unreadable ({why}): cannot prove the disk is unused"
        ));
    }
    usage_reasons(
        root,
        usage,
        name,
        &dir,
        &format!("disk {name}"),
        0,
        &mut reasons,
    );
    let partitions = partitions(root, &dir, name)
        .into_iter()
        .map(|(pname, _)| {
            let pdir = format!("{dir}/{pname}");
            let dev = dev_number(root, &pdir);
            usage_reasons(
                root,
                usage,
                &pname,
                &pdir,
                &format!("partition {pname}"),
                0,
                &mut reasons,
            );
            Partition {
                dev_path: format!("/dev/{pname}"),
                size_bytes: size_of(root, &pdir),
                mountpoints: mountpoints(usage, &pname, dev),
                name: pname,
            }
        })
        .collect();
    let dev = dev_number(root, &dir);
    Disk {
        name: name.to_owned(),
        dev_path: format!("/dev/{name}"),
        model,
        serial,
        firmware,
        vendor,
        transport,
        rotational: fs::read_bool(root, format!("{dir}/queue/rotational")),
        removable: fs::read_bool(root, format!("{dir}/removable")),
        size_bytes: size_of(root, &dir),
        logical_sector_size: fs::read_num(root, format!("{dir}/queue/logical_block_size")),
        physical_sector_size: fs::read_num(root, format!("{dir}/queue/physical_block_size")),
        read_only: fs::read_bool(root, format!("{dir}/ro")),
        partitions,
        mountpoints: mountpoints(usage, name, dev),
        holds_system: !reasons.is_empty(),
        system_reasons: reasons,
    }
}

/// Every disk under `ROOT/sys/block`, in natural name order. Virtual devices (loop, ram, zram,
/// dm, md, nbd), eMMC boot/RPMB areas and devices the kernel marks hidden (NVMe multipath
/// paths) are left out unless `include_virtual`.
pub fn probe_disks(root: &SysRoot, include_virtual: bool) -> Vec<Disk> {
    let Ok(mut names) = fs::list_dir(root, BLOCK) else {
        return Vec::new();
    };
    names.retain(|n| {
        include_virtual
            || !(is_virtual(n)
                || is_mmc_hw_partition(n)
                || fs::read_bool(root, format!("{BLOCK}/{n}/hidden")) == Field::Known(true))
    });
    names.sort_by_key(|n| natural_key(n));
    let usage = read_usage(root);
    names.iter().map(|n| probe_disk(root, n, &usage)).collect()
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
            (
                "loop0",
                "sys/devices/virtual/block/loop0",
                Transport::Unknown,
            ),
        ];
        for (name, path, want) in cases {
            assert_eq!(transport_from_path(name, path), want, "{path}");
        }
    }

    #[test]
    fn vpd_pg80_serials() {
        let mut page = vec![0x00, 0x80, 0x00, 0x14];
        page.extend_from_slice(b"     S3Z1NB0K123456A");
        assert_eq!(parse_vpd_pg80(&page).as_deref(), Some("S3Z1NB0K123456A"));
        // Length larger than the data: take what is there.
        assert_eq!(
            parse_vpd_pg80(&[0, 0x80, 0xff, 0xff, b'A']).as_deref(),
            Some("A")
        );
        assert_eq!(parse_vpd_pg80(&[0, 0x83, 0, 1, b'A']), None);
        assert_eq!(parse_vpd_pg80(&[0, 0x80, 0, 4, b' ', 0, b' ', b' ']), None);
        assert_eq!(parse_vpd_pg80(&[0, 0x80]), None);
    }

    #[test]
    fn wwid_serials() {
        assert_eq!(
            serial_from_wwid(
                "t10.ATA     Samsung SSD 860 EVO 500GB               S3Z1NB0K123456A\n"
            )
            .as_deref(),
            Some("S3Z1NB0K123456A")
        );
        assert_eq!(serial_from_wwid("naa.5000c500a1b2c3d4"), None);
        assert_eq!(serial_from_wwid("t10.ATA"), None);
        assert_eq!(
            ata_model_from_wwid("t10.ATA     Samsung SSD 860 EVO 500GB               S3Z1NB0K1\n")
                .as_deref(),
            Some("Samsung SSD 860 EVO 500GB")
        );
        assert_eq!(ata_model_from_wwid("t10.SanDisk Cruzer 1234"), None);
        assert_eq!(ata_model_from_wwid("t10.ATA     S3Z1"), None);
    }

    #[test]
    fn ata_identify_strings_from_the_corpus() {
        // An Intel 320 Series SSD's IDENTIFY DEVICE (shared corpus), printed as libata does.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/corpus/ata/INTEL_SSDSA2CW120G3--4PC10302.identify.bin"
        );
        let bytes = std::fs::read(path).expect("shared corpus present");
        let words: Vec<u16> = bytes
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let text: String = words
            .iter()
            .enumerate()
            .map(|(i, w)| format!("{w:04x}{}", if (i + 1) % 8 == 0 { '\n' } else { ' ' }))
            .collect();
        let parsed = parse_ata_id_text(&text).unwrap();
        assert_eq!(parsed, words);
        let (model, serial, fw) = ata_identity(&parsed);
        assert_eq!(model.as_deref(), Some("INTEL SSDSA2CW120G3"));
        assert_eq!(serial.as_deref(), Some("CVPR109301UZ120LGN"));
        assert_eq!(fw.as_deref(), Some("4PC10302"));
        assert_eq!(parse_ata_id_text("0040 3fff"), None);
        assert_eq!(parse_ata_id_text(&text.replacen("0040", "zz40", 1)), None);
        assert_eq!(ata_id_string(&[0x2020, 0x2020], 0..2), None);
        assert_eq!(ata_id_string(&[0xff41], 0..1), None);
        assert_eq!(ata_id_string(&[0x4142], 0..9), None);
    }

    #[test]
    fn cmdline_root_forms() {
        use RootSpec::*;
        let cases = [
            (
                "BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 ro quiet",
                Some(DevPath("nvme0n1p2".into())),
            ),
            ("root=UUID=0b1c-22 ro", Some(Uuid("0b1c-22".into()))),
            (
                "root=PARTUUID=6c2b4a1e-02",
                Some(PartUuid("6c2b4a1e-02".into())),
            ),
            ("root=LABEL=root", Some(Label("root".into()))),
            ("root=PARTLABEL=linux", Some(PartLabel("linux".into()))),
            ("root=8:2", Some(DevNum(8, 2))),
            (
                "root=/dev/sda1 root=/dev/sdb1",
                Some(DevPath("sdb1".into())),
            ),
            ("boot=live quiet", None),
            ("quiet -- root=/dev/sda1", None),
            ("root=garbage", None),
        ];
        for (line, want) in cases {
            assert_eq!(parse_cmdline_root(line), want, "{line}");
        }
    }

    #[test]
    fn virtual_and_mmc_hardware_partitions() {
        for n in ["loop0", "ram1", "zram0", "dm-3", "md127", "nbd0"] {
            assert!(is_virtual(n), "{n}");
        }
        for n in ["sda", "nvme0n1", "mmcblk0", "vda", "sr0"] {
            assert!(!is_virtual(n), "{n}");
        }
        assert!(is_mmc_hw_partition("mmcblk0boot0"));
        assert!(is_mmc_hw_partition("mmcblk1boot1"));
        assert!(is_mmc_hw_partition("mmcblk0rpmb"));
        assert!(!is_mmc_hw_partition("mmcblk0"));
        assert!(!is_mmc_hw_partition("mmcblk0p1"));
        assert!(!is_mmc_hw_partition("mmcblkboot0"));
    }

    #[test]
    fn natural_order() {
        let mut v = vec![
            "sdb",
            "nvme0n1p10",
            "sda",
            "nvme0n1p2",
            "nvme10n1",
            "nvme2n1",
        ];
        v.sort_by_key(|n| natural_key(n));
        assert_eq!(
            v,
            [
                "nvme0n1p2",
                "nvme0n1p10",
                "nvme2n1",
                "nvme10n1",
                "sda",
                "sdb"
            ]
        );
    }
}
