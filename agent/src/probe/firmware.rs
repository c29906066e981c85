//! The machine's firmware tables (SMBIOS, from `ROOT/sys/firmware/dmi/tables/`): memory modules
//! and slots (types 16, 17) and the TPM (type 43, or the kernel's `sys/class/tpm` when SMBIOS
//! does not list it).

use super::model::{MemoryModule, Tpm};
use crate::model::Field;
use crate::parse::smbios::{self, MemoryDevice, MemorySize, MemorySpeed, Smbios, StructureData};
use crate::sys::{SysRoot, fs};

const TABLES: &str = "sys/firmware/dmi/tables";

/// The SMBIOS table of the machine, or why it cannot be read.
pub fn read_smbios(root: &SysRoot) -> Result<Smbios, String> {
    let ep = fs::read_bytes(root, format!("{TABLES}/smbios_entry_point"))?;
    let dmi = fs::read_bytes(root, format!("{TABLES}/DMI"))?;
    smbios::parse_sysfs(&ep, &dmi).map_err(|e| format!("{TABLES}: {e}"))
}

/// A string field of the table: unknown (with why) when absent, "Not Specified" or a firmware
/// placeholder.
fn text(s: Option<&smbios::SmbiosString>, what: &str) -> Field<String> {
    match s.and_then(|s| s.text()).map(str::trim) {
        Some(t)
            if !t.is_empty()
                && !matches!(
                    t.to_ascii_lowercase().as_str(),
                    "not specified" | "unknown" | "to be filled by o.e.m." | "default string"
                ) =>
        {
            Field::Known(t.to_owned())
        }
        Some(t) => Field::Unknown(format!("SMBIOS type 17 {what}: {t:?}")),
        None => Field::Unknown(format!("SMBIOS type 17 has no {what}")),
    }
}

/// Whether a module is soldered: SMBIOS says "Row Of Chips", or the slot's name says on-board.
fn soldered(d: &MemoryDevice) -> bool {
    let locator = d.locator.text().unwrap_or("").to_ascii_lowercase();
    d.form_factor.value == 0x0F // Row Of Chips (§7.18.1)
        || ["onboard", "on board", "soldered"]
            .iter()
            .any(|w| locator.contains(w))
}

/// One slot as the probe reports it.
pub fn module(d: &MemoryDevice) -> MemoryModule {
    let code = |c: &smbios::Code, what: &str| match c.name {
        Some(n) if n != "Unknown" && n != "Other" => Field::Known(n.to_owned()),
        _ => Field::Unknown(format!("SMBIOS type 17 {what}: {c}")),
    };
    let installed = !matches!(d.size, MemorySize::NotInstalled);
    let unless_empty = |f: Field<String>| {
        if installed {
            f
        } else {
            Field::Unknown("empty slot".into())
        }
    };
    MemoryModule {
        slot: match d.locator.text().map(str::trim) {
            Some(l) if !l.is_empty() => Field::Known(l.to_owned()),
            _ => Field::Unknown("SMBIOS type 17 has no locator".into()),
        },
        size_bytes: match d.size {
            MemorySize::NotInstalled => Field::Known(0),
            MemorySize::Bytes { bytes } => Field::Known(bytes),
            MemorySize::Unknown => Field::Unknown("SMBIOS type 17 size FFFFh (unknown)".into()),
        },
        memory_type: unless_empty(code(&d.memory_type, "memory type")),
        speed_mts: match d.speed {
            Some(MemorySpeed::MtPerSecond { value }) if installed => Field::Known(value),
            _ => Field::Unknown("SMBIOS type 17 speed unknown".into()),
        },
        manufacturer: unless_empty(text(d.manufacturer.as_ref(), "manufacturer")),
        part_number: unless_empty(text(d.part_number.as_ref(), "part number")),
        serial: unless_empty(text(d.serial_number.as_ref(), "serial number")),
        form_factor: code(&d.form_factor, "form factor"),
        soldered: soldered(d),
    }
}

/// Memory modules, declared slots and the SMBIOS version; unknown with the reason when the
/// table cannot be read.
pub fn memory(smbios: &Result<Smbios, String>) -> (Vec<MemoryModule>, Field<u32>, Field<String>) {
    match smbios {
        Ok(s) => {
            let mut modules = Vec::new();
            let mut slots = 0u32;
            for st in &s.table.structures {
                match &st.data {
                    StructureData::MemoryDevice(d) => modules.push(module(d)),
                    // Only system memory (use 03h), not a cache or flash array.
                    StructureData::MemoryArray(a) if a.array_use.value == 0x03 => {
                        slots += u32::from(a.number_of_devices);
                    }
                    _ => {}
                }
            }
            let slots = if slots > 0 {
                Field::Known(slots)
            } else {
                Field::Unknown("SMBIOS has no system memory array (type 16)".into())
            };
            let v = s.entry_point.version;
            (
                modules,
                slots,
                Field::Known(format!("{}.{}.{}", v.major, v.minor, v.docrev)),
            )
        }
        Err(why) => (
            Vec::new(),
            Field::Unknown(why.clone()),
            Field::Unknown(why.clone()),
        ),
    }
}

/// The TPM: SMBIOS type 43 first (vendor, version, firmware), else the kernel's device.
pub fn tpm(root: &SysRoot, smbios: &Result<Smbios, String>) -> Field<Option<Tpm>> {
    if let Ok(s) = smbios
        && let Some(t) = s.table.structures.iter().find_map(|st| match &st.data {
            StructureData::Tpm(t) => Some(t),
            _ => None,
        })
    {
        let vendor = t.vendor_id.trim_end_matches('\0').to_owned();
        return Field::Known(Some(Tpm {
            spec_version: format!("{}.{}", t.spec_major, t.spec_minor),
            vendor: (!vendor.trim().is_empty()).then_some(vendor),
            firmware: Some(match t.firmware {
                smbios::TpmFirmware::Tpm12 { major, minor } => format!("{major}.{minor}"),
                smbios::TpmFirmware::Tpm20 { major, minor, .. } => format!("{major}.{minor}"),
                _ => "unknown".into(),
            }),
            source: "SMBIOS type 43".into(),
        }));
    }
    let dir = "sys/class/tpm/tpm0";
    if fs::is_dir(root, dir) {
        let major = fs::read_num::<u32>(root, format!("{dir}/tpm_version_major"));
        return Field::Known(Some(Tpm {
            spec_version: match major {
                Field::Known(2) => "2.0".into(),
                Field::Known(1) => "1.2".into(),
                Field::Known(n) => format!("{n}"),
                Field::Unknown(_) => "unknown".into(),
            },
            vendor: None,
            firmware: None,
            source: "sys/class/tpm".into(),
        }));
    }
    match smbios {
        Ok(_) => Field::Known(None),
        Err(why) => Field::Unknown(format!("{why}; and no {dir}")),
    }
}
