//! Machine identity (SMBIOS system, board, chassis, BIOS) from `ROOT/sys/class/dmi/id`.

use super::model::{BiosId, BoardId, ChassisId, Identity, SystemId};
use crate::model::Field;
use crate::sys::{SysRoot, fs};

/// Directory of the kernel's DMI attributes, relative to the root.
const DMI_ID: &str = "sys/class/dmi/id";

/// Reads the identity; a machine without DMI (a VM, an ARM board) gets every field unknown.
pub fn probe_identity(root: &SysRoot) -> Identity {
    let a = |name: &str| fs::read_attr(root, format!("{DMI_ID}/{name}"));
    let chassis_type = fs::read_num::<u8>(root, format!("{DMI_ID}/chassis_type"));
    let chassis_type_name = match &chassis_type {
        Field::Known(n) => match chassis_type_name(*n) {
            Some(name) => Field::Known(name.to_owned()),
            None => Field::Unknown(format!("chassis type {n} is not in the SMBIOS table")),
        },
        Field::Unknown(why) => Field::Unknown(why.clone()),
    };
    Identity {
        system: SystemId {
            vendor: a("sys_vendor"),
            product_name: a("product_name"),
            version: a("product_version"),
            serial: a("product_serial"),
            uuid: a("product_uuid"),
            sku: a("product_sku"),
            family: a("product_family"),
        },
        board: BoardId {
            vendor: a("board_vendor"),
            product_name: a("board_name"),
            version: a("board_version"),
            serial: a("board_serial"),
            asset_tag: a("board_asset_tag"),
        },
        chassis: ChassisId {
            vendor: a("chassis_vendor"),
            chassis_type,
            chassis_type_name,
            version: a("chassis_version"),
            serial: a("chassis_serial"),
            asset_tag: a("chassis_asset_tag"),
        },
        bios: BiosId {
            vendor: a("bios_vendor"),
            version: a("bios_version"),
            date: a("bios_date"),
        },
    }
}

/// Name of an SMBIOS chassis type (SMBIOS 3.7, table 17, "System Enclosure or Chassis Types").
///
/// The kernel already strips the lock bit (bit 7) from `chassis_type`; we strip it again so a
/// raw byte from the SMBIOS table gives the same answer.
pub fn chassis_type_name(n: u8) -> Option<&'static str> {
    Some(match n & 0x7f {
        0x01 => "Other",
        0x02 => "Unknown",
        0x03 => "Desktop",
        0x04 => "Low Profile Desktop",
        0x05 => "Pizza Box",
        0x06 => "Mini Tower",
        0x07 => "Tower",
        0x08 => "Portable",
        0x09 => "Laptop",
        0x0A => "Notebook",
        0x0B => "Hand Held",
        0x0C => "Docking Station",
        0x0D => "All in One",
        0x0E => "Sub Notebook",
        0x0F => "Space-saving",
        0x10 => "Lunch Box",
        0x11 => "Main Server Chassis",
        0x12 => "Expansion Chassis",
        0x13 => "SubChassis",
        0x14 => "Bus Expansion Chassis",
        0x15 => "Peripheral Chassis",
        0x16 => "RAID Chassis",
        0x17 => "Rack Mount Chassis",
        0x18 => "Sealed-case PC",
        0x19 => "Multi-system chassis",
        0x1A => "Compact PCI",
        0x1B => "Advanced TCA",
        0x1C => "Blade",
        0x1D => "Blade Enclosure",
        0x1E => "Tablet",
        0x1F => "Convertible",
        0x20 => "Detachable",
        0x21 => "IoT Gateway",
        0x22 => "Embedded PC",
        0x23 => "Mini PC",
        0x24 => "Stick PC",
        _ => return None,
    })
}

/// Whether a chassis type is a portable computer (laptop, notebook, convertible...), the
/// machines that are expected to have a battery.
pub fn is_portable(n: u8) -> bool {
    matches!(n & 0x7f, 0x08..=0x0B | 0x0E | 0x1E..=0x20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chassis_names_from_the_smbios_table() {
        for (n, name) in [
            (3, "Desktop"),
            (9, "Laptop"),
            (10, "Notebook"),
            (14, "Sub Notebook"),
            (31, "Convertible"),
            (35, "Mini PC"),
            (36, "Stick PC"),
            (0x80 | 10, "Notebook"),
        ] {
            assert_eq!(chassis_type_name(n), Some(name), "type {n}");
        }
        assert_eq!(chassis_type_name(0), None);
        assert_eq!(chassis_type_name(37), None);
        assert!(is_portable(10) && is_portable(31) && !is_portable(3));
    }
}
