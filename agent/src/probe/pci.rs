//! PCI storage and network controllers from `ROOT/sys/bus/pci/devices/*`: what each is (class
//! code, and Intel VMD by its device ID), the driver bound to it, the disks it shows, and why it
//! may hide disks — a SATA controller in RAID mode, Intel VMD without its driver, NVMe drives
//! remapped behind SATA (Intel RST), or no driver at all in the image.
//!
//! A laptop whose disk sits behind such a controller shows Linux no disk: the run would say "no
//! disk" about a laptop whose disk still holds its owner's files. The pure parts (the kind of a
//! controller, its finding) are tested alone; [`probe_controllers`] reads.

use std::collections::BTreeSet;

use super::model::{Controller, ControllerFinding, ControllerKind, Disk, OtherStorage};
use crate::model::DiskId;
use crate::sys::{SysRoot, fs};

const PCI_DEVICES: &str = "sys/bus/pci/devices";
const BLOCK: &str = "sys/block";

/// Intel's vendor ID.
const INTEL: u16 = 0x8086;

/// Device IDs of Intel Volume Management Device controllers, as the kernel's `vmd` driver lists
/// them (`drivers/pci/controller/vmd.c`): Skylake-SP (201d), Ice Lake-SP (28c0), Alder Lake
/// (467f), Rocket Lake (4c3d), Raptor Lake (a77f), Meteor Lake (7d0b), Arrow Lake (ad0b), Tiger
/// Lake (9a0b), Lunar Lake (b60b), and b06f. Their class code varies (RAID 01 04 00 on most
/// laptops, "system peripheral" 08 80 00 on some), so they are known by ID.
pub const VMD_DEVICE_IDS: [u16; 10] = [
    0x201d, 0x28c0, 0x467f, 0x4c3d, 0xa77f, 0x7d0b, 0xad0b, 0x9a0b, 0xb60b, 0xb06f,
];

/// What the controller with this class code and IDs is; `None`: neither storage nor network.
pub fn kind_of(class: u32, vendor: u16, device: u16) -> Option<ControllerKind> {
    if vendor == INTEL && VMD_DEVICE_IDS.contains(&device) {
        return Some(ControllerKind::Vmd);
    }
    let (base, sub, prog_if) = ((class >> 16) & 0xff, (class >> 8) & 0xff, class & 0xff);
    Some(match (base, sub) {
        (0x01, 0x06) if prog_if == 0x01 => ControllerKind::SataAhci,
        (0x01, 0x06) => ControllerKind::Sata,
        (0x01, 0x04) => ControllerKind::Raid,
        (0x01, 0x08) => ControllerKind::Nvme,
        (0x01, 0x01) => ControllerKind::Ide,
        (0x01, 0x00 | 0x07) => ControllerKind::Scsi,
        (0x01, _) => ControllerKind::OtherStorage,
        // SD host controllers carry the eMMC of cheap laptops and their SD card slots.
        (0x08, 0x05) => ControllerKind::SdHost,
        (0x02, 0x00) => ControllerKind::Ethernet,
        (0x02, _) => ControllerKind::OtherNetwork,
        _ => return None,
    })
}

/// Why a controller may hide disks (a network controller: why it cannot be used), from what
/// the probe saw: its kind and vendor, whether a driver is bound, and how many NVMe drives the
/// AHCI driver found remapped behind it.
pub fn finding(
    kind: ControllerKind,
    vendor: u16,
    driver: Option<&str>,
    remapped_nvme: Option<u32>,
) -> Option<ControllerFinding> {
    match (kind, driver) {
        (ControllerKind::Vmd, None) => Some(ControllerFinding::VmdWithoutDriver),
        // The AHCI driver drives the SATA ports of a controller in RAID mode, but the NVMe
        // drives the firmware remapped into its registers stay hidden from Linux.
        _ if remapped_nvme.is_some_and(|n| n > 0) => Some(ControllerFinding::RemappedNvme),
        // Intel RST "RAID On": the SATA controller takes a RAID class code no Linux driver
        // binds unless the image carries one for that exact ID.
        (ControllerKind::Raid, None) if vendor == INTEL => Some(ControllerFinding::RaidMode),
        (_, None) => Some(ControllerFinding::NoDriver),
        (_, Some(_)) => None,
    }
}

/// Whether `component` of a sysfs path is a PCI address ("0000:00:17.0", "10000:e1:00.0"
/// behind VMD).
fn is_pci_address(component: &str) -> bool {
    let mut parts = component.split(':');
    let (Some(domain), Some(bus), Some(rest), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some((slot, function)) = rest.split_once('.') else {
        return false;
    };
    let hex = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit())
    };
    hex(domain, 4, 8) && hex(bus, 2, 2) && hex(slot, 2, 2) && hex(function, 1, 1)
}

/// The PCI addresses on the sysfs path of block device `name`, with the name of the device the
/// probe lists for it: an NVMe multipath path (`nvme0c0n1`, hidden) stands for its namespace
/// head (`nvme0n1`), whose own path runs through the virtual NVMe subsystem, not the PCI bus.
fn block_behind(root: &SysRoot) -> Vec<(String, BTreeSet<String>)> {
    let Ok(names) = fs::list_dir(root, BLOCK) else {
        return Vec::new();
    };
    names
        .into_iter()
        .filter_map(|name| {
            let path = fs::resolve(root, format!("{BLOCK}/{name}")).ok()?;
            let addresses: BTreeSet<String> = path
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .filter(|c| is_pci_address(c))
                .collect();
            Some((head_name(&name), addresses))
        })
        .collect()
}

/// `nvme0c1n2` → `nvme0n2`; any other name unchanged.
fn head_name(name: &str) -> String {
    let Some(rest) = name.strip_prefix("nvme") else {
        return name.to_owned();
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if let Some((subsys, tail)) = rest.split_once('c')
        && let Some((ctrl, ns)) = tail.split_once('n')
        && digits(subsys)
        && digits(ctrl)
        && digits(ns)
    {
        return format!("nvme{subsys}n{ns}");
    }
    name.to_owned()
}

fn hex_attr(root: &SysRoot, rel: String) -> Option<u32> {
    let text = fs::read_attr(root, rel).into_known()?;
    u32::from_str_radix(text.trim_start_matches("0x"), 16).ok()
}

/// Every storage and network controller on the PCI bus, by address, with the disks and other
/// storage the probe found behind each.
pub fn probe_controllers(
    root: &SysRoot,
    disks: &[Disk],
    other: &[OtherStorage],
) -> Vec<Controller> {
    let Ok(addresses) = fs::list_dir(root, PCI_DEVICES) else {
        return Vec::new();
    };
    let behind = block_behind(root);
    addresses
        .into_iter()
        .filter_map(|address| {
            let dir = format!("{PCI_DEVICES}/{address}");
            let class = hex_attr(root, format!("{dir}/class"))?;
            let vendor = u16::try_from(hex_attr(root, format!("{dir}/vendor"))?).ok()?;
            let device = u16::try_from(hex_attr(root, format!("{dir}/device"))?).ok()?;
            let kind = kind_of(class, vendor, device)?;
            let driver = fs::link_name(root, format!("{dir}/driver")).into_known();
            let remapped_nvme =
                fs::read_num::<u32>(root, format!("{dir}/remapped_nvme")).into_known();
            let shown: BTreeSet<&str> = behind
                .iter()
                .filter(|(_, on_path)| on_path.contains(&address))
                .map(|(name, _)| name.as_str())
                .collect();
            let disks: Vec<DiskId> = disks
                .iter()
                .filter(|d| shown.contains(d.name.as_str()))
                .map(|d| d.id.clone())
                .collect();
            let other_storage: Vec<String> = other
                .iter()
                .filter(|o| shown.contains(o.name.as_str()))
                .map(|o| o.name.clone())
                .collect();
            Some(Controller {
                finding: finding(kind, vendor, driver.as_deref(), remapped_nvme),
                class: format!("{class:06x}"),
                vendor_id: format!("{vendor:04x}"),
                device_id: format!("{device:04x}"),
                address,
                kind,
                driver,
                disks,
                other_storage,
                remapped_nvme,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_class_codes_and_vmd_ids() {
        assert_eq!(
            kind_of(0x010601, 0x8086, 0x9dd3),
            Some(ControllerKind::SataAhci)
        );
        assert_eq!(
            kind_of(0x010400, 0x8086, 0x282a),
            Some(ControllerKind::Raid)
        );
        assert_eq!(
            kind_of(0x010802, 0x144d, 0xa808),
            Some(ControllerKind::Nvme)
        );
        // VMD by its ID whatever its class (RAID on Tiger Lake, "system peripheral" elsewhere).
        assert_eq!(kind_of(0x010400, 0x8086, 0x9a0b), Some(ControllerKind::Vmd));
        assert_eq!(kind_of(0x088000, 0x8086, 0x467f), Some(ControllerKind::Vmd));
        assert_eq!(kind_of(0x088000, 0x8086, 0x1234), None);
        assert_eq!(
            kind_of(0x080501, 0x8086, 0x02f5),
            Some(ControllerKind::SdHost)
        );
        assert_eq!(
            kind_of(0x020000, 0x10ec, 0x8168),
            Some(ControllerKind::Ethernet)
        );
        assert_eq!(
            kind_of(0x028000, 0x8086, 0x2723),
            Some(ControllerKind::OtherNetwork)
        );
        assert_eq!(kind_of(0x030000, 0x8086, 0x9a49), None);
        assert_eq!(
            kind_of(0x0c0330, 0x8086, 0xa0ed),
            None,
            "USB host: not storage"
        );
    }

    #[test]
    fn what_hides_disks() {
        use ControllerFinding as F;
        use ControllerKind as K;
        assert_eq!(
            finding(K::Vmd, INTEL, None, None),
            Some(F::VmdWithoutDriver)
        );
        assert_eq!(finding(K::Vmd, INTEL, Some("vmd"), None), None);
        assert_eq!(finding(K::Raid, INTEL, None, None), Some(F::RaidMode));
        assert_eq!(finding(K::Raid, INTEL, Some("ahci"), Some(0)), None);
        assert_eq!(
            finding(K::Raid, INTEL, Some("ahci"), Some(1)),
            Some(F::RemappedNvme)
        );
        assert_eq!(finding(K::Raid, 0x1b4b, None, None), Some(F::NoDriver));
        assert_eq!(finding(K::SataAhci, INTEL, None, None), Some(F::NoDriver));
        assert_eq!(finding(K::Ethernet, 0x10ec, None, None), Some(F::NoDriver));
        assert_eq!(finding(K::SataAhci, INTEL, Some("ahci"), None), None);
    }

    #[test]
    fn pci_addresses_and_multipath_heads() {
        assert!(is_pci_address("0000:00:17.0"));
        assert!(is_pci_address("10000:e1:00.0"));
        assert!(!is_pci_address("pci0000:00"));
        assert!(!is_pci_address("0:0:0:0"));
        assert!(!is_pci_address("target0:0:0"));
        assert_eq!(head_name("nvme0c0n1"), "nvme0n1");
        assert_eq!(head_name("nvme1c12n3"), "nvme1n3");
        assert_eq!(head_name("nvme0n1"), "nvme0n1");
        assert_eq!(head_name("sda"), "sda");
    }
}
