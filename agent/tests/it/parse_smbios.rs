//! Agreement of `parse::smbios` with dmidecode 3.4 over every dump of the corpus: each field the
//! parser decodes is rendered the way dmidecode prints it and compared with the stored
//! `dmidecode --from-dump` output; every field dmidecode prints for a decoded type is either
//! compared or named below as not decoded. Plus robustness properties (no panic on any input).

use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::prelude::*;
use reprise::parse::smbios::{
    self, Capacity, Code, MemorySize, MemorySpeed, ProcessorVoltage, RomSize, SmbiosString,
    Structure, StructureData, SystemUuid, TpmFirmware,
};

use crate::support::oracle;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/smbios")
}

/// Every `NAME.bin` of `dir` with its `NAME.dmidecode.txt`.
fn dumps_in(dir: &std::path::Path) -> Vec<(String, Vec<u8>, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bin") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(dir.join(format!("{stem}.dmidecode.txt"))).unwrap();
            out.push((stem, std::fs::read(&path).unwrap(), text));
        }
    }
    out.sort();
    out
}

fn dumps() -> Vec<(String, Vec<u8>, String)> {
    let out = dumps_in(&corpus_dir());
    assert_eq!(out.len(), 13, "the corpus holds 13 SMBIOS dumps");
    out
}

// ---- dmidecode's text output ------------------------------------------------------------------

/// One "Handle ..." block of dmidecode output.
#[derive(Debug, Default)]
struct Block {
    handle: u16,
    stype: u8,
    length: u8,
    /// key → (value after the colon, list items on the following lines)
    attrs: BTreeMap<String, (String, Vec<String>)>,
}

fn parse_dmidecode(text: &str) -> (Vec<String>, Vec<Block>) {
    let mut preamble = Vec::new();
    let mut blocks: Vec<Block> = Vec::new();
    let mut last_key = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Handle ") {
            // Handle 0x0004, DMI type 17, 40 bytes
            let parts: Vec<&str> = rest.split(", ").collect();
            blocks.push(Block {
                handle: u16::from_str_radix(parts[0].trim_start_matches("0x"), 16).unwrap(),
                stype: parts[1].trim_start_matches("DMI type ").parse().unwrap(),
                length: parts[2].trim_end_matches(" bytes").parse().unwrap(),
                ..Block::default()
            });
        } else if let Some(b) = blocks.last_mut() {
            if let Some(item) = line.strip_prefix("\t\t") {
                if let Some(a) = b.attrs.get_mut(&last_key) {
                    a.1.push(item.to_string());
                }
            } else if let Some(attr) = line.strip_prefix('\t') {
                let (k, v) = attr.split_once(':').unwrap_or((attr, ""));
                last_key = k.to_string();
                b.attrs.insert(
                    k.to_string(),
                    (v.strip_prefix(' ').unwrap_or(v).to_string(), Vec::new()),
                );
            }
        } else if !line.is_empty() {
            preamble.push(line.to_string());
        }
    }
    (preamble, blocks)
}

// ---- rendering our values as dmidecode prints them --------------------------------------------

/// dmidecode replaces control characters by '.' (ascii_filter) and names the two odd indexes.
fn s(v: &SmbiosString) -> String {
    match v {
        SmbiosString::None => "Not Specified".into(),
        SmbiosString::BadIndex(_) => "<BAD INDEX>".into(),
        SmbiosString::Text(t) => t
            .chars()
            .map(|c| {
                if (c as u32) < 32 || c as u32 == 127 {
                    '.'
                } else {
                    c
                }
            })
            .collect(),
    }
}

fn code(c: &Code) -> String {
    c.name.unwrap_or("<OUT OF SPEC>").to_string()
}

/// Values DSP0134 3.6/3.7 added after dmidecode 3.4 (2022) was written: dmidecode 3.4 shows
/// them as "<OUT OF SPEC>"; we follow the specification and name them.
fn code34(key: &str, stype: u8, c: &Code) -> String {
    let newer = match (stype, key) {
        (4, "Upgrade") => c.value > 0x3F,
        (4, "Family") => matches!(c.value, 0x16 | 0x102 | 0x103 | 0x258..=0x271),
        (17, "Type") => c.value == 0x24,
        (16, "Location") => c.value == 0xA4,
        _ => false,
    };
    if newer {
        "<OUT OF SPEC>".into()
    } else {
        code(c)
    }
}

/// dmidecode's memory size display: the highest non-zero 1024-unit, combined with the next one
/// down when that is non-zero too (lower units are dropped, as dmidecode does).
fn memsize(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"];
    let split: Vec<u64> = (0..7).map(|i| (bytes >> (10 * i)) & 0x3FF).collect();
    let mut i = 6;
    while i > 0 && split[i] == 0 {
        i -= 1;
    }
    if i > 0 && split[i - 1] != 0 {
        format!("{} {}", split[i - 1] + (split[i] << 10), UNITS[i - 1])
    } else {
        format!("{} {}", split[i], UNITS[i])
    }
}

fn speed(v: &MemorySpeed) -> String {
    match v {
        MemorySpeed::Unknown => "Unknown".into(),
        MemorySpeed::MtPerSecond { value } => format!("{value} MT/s"),
    }
}

/// dmidecode prints "%.1f V" for whole tenths and "%g V" otherwise.
fn volts(mv: Option<u16>) -> String {
    match mv {
        None => "Unknown".into(),
        Some(mv) if mv % 100 == 0 => format!("{}.{} V", mv / 1000, (mv % 1000) / 100),
        Some(mv) => {
            let t = format!("{}.{:03}", mv / 1000, mv % 1000);
            format!("{} V", t.trim_end_matches('0'))
        }
    }
}

fn mhz(v: u16) -> String {
    if v == 0 {
        "Unknown".into()
    } else {
        format!("{v} MHz")
    }
}

fn err_handle(h: u16) -> String {
    match h {
        0xFFFE => "Not Provided".into(),
        0xFFFF => "No Error".into(),
        h => format!("0x{h:04X}"),
    }
}

/// What we expect dmidecode to print for one key.
enum Want {
    Value(String),
    List(String, Vec<String>),
}
use Want::{List, Value};

/// Fields dmidecode prints for a type we decode but that our decoder does not decode (yet).
fn not_decoded(stype: u8) -> &'static [&'static str] {
    match stype {
        // BIOS characteristics are kept raw (bit fields): `characteristics`, `_ext1/2`.
        0 => &["Characteristics"],
        // CPUID signature and flags: derived from the raw ID, which is compared.
        4 => &["Signature", "Flags"],
        // SMBIOS 3.2+ memory device fields past 0x28 (NVDIMM, sizes, ids).
        17 => &[
            "Memory Technology",
            "Memory Operating Mode Capability",
            "Firmware Version",
            "Module Manufacturer ID",
            "Module Product ID",
            "Memory Subsystem Controller Manufacturer ID",
            "Memory Subsystem Controller Product ID",
            "Non-Volatile Size",
            "Volatile Size",
            "Cache Size",
            "Logical Size",
        ],
        _ => &[],
    }
}

fn expected(st: &Structure, v23: bool) -> Vec<(&'static str, Want)> {
    let mut w: Vec<(&'static str, Want)> = Vec::new();
    let len = usize::from(st.length);
    match &st.data {
        StructureData::Bios(b) => {
            w.push(("Vendor", Value(s(&b.vendor))));
            w.push(("Version", Value(s(&b.version))));
            w.push(("Release Date", Value(s(&b.release_date))));
            if b.starting_segment != 0 {
                w.push(("Address", Value(format!("0x{:04X}0", b.starting_segment))));
                let r = b.runtime_size_bytes.unwrap();
                let r = if r & 0x3FF != 0 {
                    format!("{r} bytes")
                } else {
                    format!("{} kB", r >> 10)
                };
                w.push(("Runtime Size", Value(r)));
            }
            let rom = match (b.rom_size, b.extended_rom_size_raw) {
                // The extended form: dmidecode prints the 14-bit count and its unit as written.
                (RomSize::Bytes { .. }, Some(ext)) if b.rom_size_raw == 0xFF => {
                    let unit = if ext >> 14 == 0 { "MB" } else { "GB" };
                    format!("{} {unit}", ext & 0x3FFF)
                }
                (RomSize::Bytes { bytes }, _) => memsize(bytes),
                (RomSize::AtLeast16MiB, _) => "16 MB".into(),
                (RomSize::ReservedUnit { raw }, _) => format!("{} <OUT OF SPEC>", raw & 0x3FFF),
            };
            w.push(("ROM Size", Value(rom)));
            if let Some((a, b)) = b.bios_release {
                w.push(("BIOS Revision", Value(format!("{a}.{b}"))));
            }
            if let Some((a, b)) = b.ec_release {
                w.push(("Firmware Revision", Value(format!("{a}.{b}"))));
            }
        }
        StructureData::System(x) => {
            w.push(("Manufacturer", Value(s(&x.manufacturer))));
            w.push(("Product Name", Value(s(&x.product_name))));
            w.push(("Version", Value(s(&x.version))));
            w.push(("Serial Number", Value(s(&x.serial_number))));
            if let Some(u) = &x.uuid {
                // DSP0134 §7.2.1: all FFh = "not present but settable", all 00h = "not present";
                // dmidecode words them "Not Present" and "Not Settable".
                let t = match u {
                    SystemUuid::NotPresentSettable => "Not Present".to_string(),
                    SystemUuid::NotPresent => "Not Settable".to_string(),
                    SystemUuid::Id(id) => id.clone(),
                };
                w.push(("UUID", Value(t)));
            }
            if let Some(c) = &x.wake_up_type {
                w.push(("Wake-up Type", Value(code(c))));
            }
            if let Some(v) = &x.sku_number {
                w.push(("SKU Number", Value(s(v))));
            }
            if let Some(v) = &x.family {
                w.push(("Family", Value(s(v))));
            }
        }
        StructureData::Board(x) => {
            w.push(("Manufacturer", Value(s(&x.manufacturer))));
            w.push(("Product Name", Value(s(&x.product_name))));
            w.push(("Version", Value(s(&x.version))));
            w.push(("Serial Number", Value(s(&x.serial_number))));
            if let Some(v) = &x.asset_tag {
                w.push(("Asset Tag", Value(s(v))));
            }
            if let Some(f) = x.features {
                if f & 0x1F == 0 {
                    w.push(("Features", Value("None".into())));
                } else {
                    let items = x.feature_names.iter().map(|n| n.to_string()).collect();
                    w.push(("Features", List(String::new(), items)));
                }
            }
            if let Some(v) = &x.location_in_chassis {
                w.push(("Location In Chassis", Value(s(v))));
            }
            if let Some(h) = x.chassis_handle {
                w.push(("Chassis Handle", Value(format!("0x{h:04X}"))));
            }
            if let Some(c) = &x.board_type {
                w.push(("Type", Value(code(c))));
            }
            if let Some(hs) = &x.contained_handles {
                let items = hs.iter().map(|h| format!("0x{h:04X}")).collect();
                w.push((
                    "Contained Object Handles",
                    List(hs.len().to_string(), items),
                ));
            }
        }
        StructureData::Chassis(x) => {
            w.push(("Manufacturer", Value(s(&x.manufacturer))));
            w.push(("Type", Value(code(&x.chassis_type))));
            let lock = if x.lock_present {
                "Present"
            } else {
                "Not Present"
            };
            w.push(("Lock", Value(lock.into())));
            w.push(("Version", Value(s(&x.version))));
            w.push(("Serial Number", Value(s(&x.serial_number))));
            w.push(("Asset Tag", Value(s(&x.asset_tag))));
            for (k, v) in [
                ("Boot-up State", &x.boot_up_state),
                ("Power Supply State", &x.power_supply_state),
                ("Thermal State", &x.thermal_state),
                ("Security Status", &x.security_status),
            ] {
                if let Some(c) = v {
                    w.push((k, Value(code(c))));
                }
            }
            if let Some(o) = x.oem_defined {
                w.push(("OEM Information", Value(format!("0x{o:08X}"))));
            }
            if let Some(h) = x.height_u {
                let t = if h == 0 {
                    "Unspecified".into()
                } else {
                    format!("{h} U")
                };
                w.push(("Height", Value(t)));
            }
            if let Some(p) = x.power_cords {
                let t = if p == 0 {
                    "Unspecified".into()
                } else {
                    p.to_string()
                };
                w.push(("Number Of Power Cords", Value(t)));
            }
            if let Some(es) = &x.contained_elements {
                let items = es
                    .iter()
                    .map(|e| {
                        if e.minimum == e.maximum {
                            format!("{} ({})", code(&e.element_type), e.minimum)
                        } else {
                            format!("{} ({}-{})", code(&e.element_type), e.minimum, e.maximum)
                        }
                    })
                    .collect();
                let n = x.contained_element_count.unwrap();
                w.push(("Contained Elements", List(n.to_string(), items)));
            }
            if let Some(v) = &x.sku_number {
                w.push(("SKU Number", Value(s(v))));
            }
        }
        StructureData::Processor(p) => {
            w.push(("Socket Designation", Value(s(&p.socket_designation))));
            w.push(("Type", Value(code(&p.processor_type))));
            w.push(("Family", Value(code34("Family", 4, &p.family))));
            w.push(("Manufacturer", Value(s(&p.manufacturer))));
            let id: Vec<String> = p.id.iter().map(|b| format!("{b:02X}")).collect();
            w.push(("ID", Value(id.join(" "))));
            w.push(("Version", Value(s(&p.version))));
            let v = match &p.voltage {
                ProcessorVoltage::Current { millivolts } => {
                    format!("{}.{} V", millivolts / 1000, (millivolts % 1000) / 100)
                }
                ProcessorVoltage::Legacy { millivolts } if millivolts.is_empty() => {
                    "Unknown".into()
                }
                ProcessorVoltage::Legacy { millivolts } => millivolts
                    .iter()
                    .map(|mv| format!("{}.{} V", mv / 1000, (mv % 1000) / 100))
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            w.push(("Voltage", Value(v)));
            w.push(("External Clock", Value(mhz(p.external_clock_mhz))));
            w.push(("Max Speed", Value(mhz(p.max_speed_mhz))));
            w.push(("Current Speed", Value(mhz(p.current_speed_mhz))));
            let status = if p.socket_populated {
                format!("Populated, {}", code(&p.cpu_status))
            } else {
                "Unpopulated".into()
            };
            w.push(("Status", Value(status)));
            w.push(("Upgrade", Value(code34("Upgrade", 4, &p.upgrade))));
            for (k, lvl, h) in [
                ("L1 Cache Handle", "L1", p.l1_cache_handle),
                ("L2 Cache Handle", "L2", p.l2_cache_handle),
                ("L3 Cache Handle", "L3", p.l3_cache_handle),
            ] {
                if let Some(h) = h {
                    let t = match h {
                        0xFFFF if v23 => "Not Provided".into(),
                        0xFFFF => format!("No {lvl} Cache"),
                        h => format!("0x{h:04X}"),
                    };
                    w.push((k, Value(t)));
                }
            }
            for (k, v) in [
                ("Serial Number", &p.serial_number),
                ("Asset Tag", &p.asset_tag),
                ("Part Number", &p.part_number),
            ] {
                if let Some(v) = v {
                    w.push((k, Value(s(v))));
                }
            }
            // "Thread Enabled" (DSP0134 3.6, word 30h) is newer than dmidecode 3.4, which does
            // not print it: not compared.
            for (k, v) in [
                ("Core Count", p.core_count),
                ("Core Enabled", p.core_enabled),
                ("Thread Count", p.thread_count),
            ] {
                if let Some(v) = v {
                    w.push((k, Value(v.to_string())));
                }
            }
            if let Some(c) = p.characteristics {
                if c & 0xFC == 0 {
                    w.push(("Characteristics", Value("None".into())));
                } else {
                    let items = p
                        .characteristic_names
                        .iter()
                        .map(|n| n.to_string())
                        .collect();
                    w.push(("Characteristics", List(String::new(), items)));
                }
            }
        }
        StructureData::MemoryArray(a) => {
            w.push(("Location", Value(code34("Location", 16, &a.location))));
            w.push(("Use", Value(code(&a.array_use))));
            w.push(("Error Correction Type", Value(code(&a.error_correction))));
            let cap = match a.maximum_capacity {
                Capacity::Unknown => "Unknown".into(),
                Capacity::Bytes { bytes } => memsize(bytes),
            };
            w.push(("Maximum Capacity", Value(cap)));
            w.push((
                "Error Information Handle",
                Value(err_handle(a.error_information_handle)),
            ));
            w.push(("Number Of Devices", Value(a.number_of_devices.to_string())));
        }
        StructureData::MemoryDevice(d) => {
            w.push(("Array Handle", Value(format!("0x{:04X}", d.array_handle))));
            w.push((
                "Error Information Handle",
                Value(err_handle(d.error_information_handle)),
            ));
            for (k, v) in [("Total Width", d.total_width), ("Data Width", d.data_width)] {
                let t = if v == 0xFFFF || v == 0 {
                    "Unknown".into()
                } else {
                    format!("{v} bits")
                };
                w.push((k, Value(t)));
            }
            let size = match d.size {
                MemorySize::NotInstalled => "No Module Installed".into(),
                MemorySize::Unknown => "Unknown".into(),
                // dmidecode counts from the unit of the field: 0 kB (8000h), 0 TB (extended 0).
                MemorySize::Bytes { bytes: 0 } if d.size_raw == 0x8000 => "0 kB".into(),
                // The extended size: dmidecode picks the largest of MB, GB, TB that is exact.
                MemorySize::Bytes { .. }
                    if d.size_raw == 0x7FFF && d.extended_size_raw.is_some() =>
                {
                    let mb = d.extended_size_raw.unwrap() & 0x7FFF_FFFF;
                    if mb & 0x3FF != 0 {
                        format!("{mb} MB")
                    } else if mb & 0xFFC00 != 0 {
                        format!("{} GB", mb >> 10)
                    } else {
                        format!("{} TB", mb >> 20)
                    }
                }
                MemorySize::Bytes { bytes } => memsize(bytes),
            };
            w.push(("Size", Value(size)));
            w.push(("Form Factor", Value(code(&d.form_factor))));
            let set = match d.device_set {
                0 => "None".into(),
                0xFF => "Unknown".into(),
                n => n.to_string(),
            };
            w.push(("Set", Value(set)));
            w.push(("Locator", Value(s(&d.locator))));
            w.push(("Bank Locator", Value(s(&d.bank_locator))));
            // 15h-17h are reserved: we say "unknown (0x16)", dmidecode "Reserved".
            let t = match d.memory_type.value {
                0x15..=0x17 => "Reserved".to_string(),
                _ => code34("Type", 17, &d.memory_type),
            };
            w.push(("Type", Value(t)));
            let detail = if d.type_detail & 0xFFFE == 0 {
                "None".into()
            } else {
                d.type_detail_names.join(" ")
            };
            w.push(("Type Detail", Value(detail)));
            // dmidecode prints nothing more for an empty slot ("the remaining fields are
            // irrelevant"); our decoder still reads them.
            if d.size != MemorySize::NotInstalled {
                if let Some(v) = &d.speed {
                    w.push(("Speed", Value(speed(v))));
                }
                for (k, v) in [
                    ("Manufacturer", &d.manufacturer),
                    ("Serial Number", &d.serial_number),
                    ("Asset Tag", &d.asset_tag),
                    ("Part Number", &d.part_number),
                ] {
                    if let Some(v) = v {
                        w.push((k, Value(s(v))));
                    }
                }
                if len >= 0x1C {
                    let r = d.rank.map_or("Unknown".into(), |r| r.to_string());
                    w.push(("Rank", Value(r)));
                }
                if let Some(v) = &d.configured_speed {
                    w.push(("Configured Memory Speed", Value(speed(v))));
                }
                if len >= 0x28 {
                    w.push(("Minimum Voltage", Value(volts(d.minimum_voltage_mv))));
                    w.push(("Maximum Voltage", Value(volts(d.maximum_voltage_mv))));
                    w.push(("Configured Voltage", Value(volts(d.configured_voltage_mv))));
                }
            }
        }
        StructureData::Battery(b) => {
            let v22 = len >= 0x1A;
            w.push(("Location", Value(s(&b.location))));
            w.push(("Manufacturer", Value(s(&b.manufacturer))));
            if b.manufacture_date != SmbiosString::None || !v22 {
                w.push(("Manufacture Date", Value(s(&b.manufacture_date))));
            }
            if b.serial_number != SmbiosString::None || !v22 {
                w.push(("Serial Number", Value(s(&b.serial_number))));
            }
            w.push(("Name", Value(s(&b.device_name))));
            if b.chemistry.value != 2 || !v22 {
                w.push(("Chemistry", Value(code(&b.chemistry))));
            }
            let cap = b
                .design_capacity_mwh
                .map_or("Unknown".into(), |c| format!("{c} mWh"));
            w.push(("Design Capacity", Value(cap)));
            let v = b
                .design_voltage_mv
                .map_or("Unknown".into(), |v| format!("{v} mV"));
            w.push(("Design Voltage", Value(v)));
            w.push(("SBDS Version", Value(s(&b.sbds_version))));
            let e = b
                .maximum_error_percent
                .map_or("Unknown".into(), |e| format!("{e}%"));
            w.push(("Maximum Error", Value(e)));
            if v22 {
                if b.serial_number == SmbiosString::None {
                    w.push((
                        "SBDS Serial Number",
                        Value(format!("{:04X}", b.sbds_serial_number.unwrap())),
                    ));
                }
                if b.manufacture_date == SmbiosString::None {
                    let d = b.sbds_manufacture_date.unwrap();
                    w.push((
                        "SBDS Manufacture Date",
                        Value(format!("{}-{:02}-{:02}", d.year, d.month, d.day)),
                    ));
                }
                if b.chemistry.value == 2 {
                    w.push((
                        "SBDS Chemistry",
                        Value(s(b.sbds_chemistry.as_ref().unwrap())),
                    ));
                }
                w.push((
                    "OEM-specific Information",
                    Value(format!("0x{:08X}", b.oem_specific.unwrap())),
                ));
            }
        }
        StructureData::Tpm(t) => {
            w.push(("Vendor ID", Value(t.vendor_id.clone())));
            w.push((
                "Specification Version",
                Value(format!("{}.{}", t.spec_major, t.spec_minor)),
            ));
            match t.firmware {
                TpmFirmware::Tpm12 { major, minor } => {
                    w.push(("Firmware Revision", Value(format!("{major}.{minor}"))));
                }
                TpmFirmware::Tpm20 { major, minor, .. } => {
                    w.push(("Firmware Revision", Value(format!("{major}.{minor}"))));
                }
                TpmFirmware::Other { .. } => {}
            }
            w.push(("Description", Value(s(&t.description))));
            // dmidecode lists only "not supported" when bit 2 is set.
            let mut items: Vec<String> = t
                .characteristic_names
                .iter()
                .map(|n| n.to_string())
                .collect();
            if t.characteristics & 4 != 0 {
                items.truncate(1);
            }
            w.push(("Characteristics", List(String::new(), items)));
            if let Some(o) = t.oem_defined {
                w.push(("OEM-specific Information", Value(format!("0x{o:08X}"))));
            }
        }
        StructureData::EndOfTable | StructureData::Raw(_) => {}
    }
    w
}

#[test]
fn smbios_agrees_with_dmidecode_on_every_dump() {
    let (failures, compared) = compare_with_dmidecode(dumps());
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(compared > 2000, "only {compared} fields compared");
}

/// The same comparison over random tables that no machine produced: every decoded type at
/// every length, bad string indexes, OEM types — made by `fuzz/differential/gen_smbios.py`
/// (200 tables, seed 20261201) and decoded by this machine's dmidecode. A directory made
/// outside can be given instead: `REPRISE_SMBIOS_DIFF_DIR=DIR` (see fuzz/differential/README.md).
#[test]
#[ignore = "needs python3 and dmidecode (scripts/deps installs them)"]
fn smbios_agrees_with_dmidecode_on_random_tables() {
    let (_generated, dir) =
        oracle::random_inputs("REPRISE_SMBIOS_DIFF_DIR", "gen_smbios.py", |dir, name| {
            let path = dir.join(name);
            if path.extension().is_some_and(|x| x == "bin") {
                let out = std::process::Command::new("dmidecode")
                    .arg("--from-dump")
                    .arg(&path)
                    .output()
                    .expect("dmidecode (scripts/deps installs it)");
                std::fs::write(path.with_extension("dmidecode.txt"), out.stdout).unwrap();
            }
        });
    let dumps = dumps_in(&dir);
    assert!(
        dumps.len() >= 100,
        "{} dumps in {}",
        dumps.len(),
        dir.display()
    );
    let n = dumps.len();
    let (failures, compared) = compare_with_dmidecode(dumps);
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        compared > n * 20,
        "only {compared} fields compared over {n} dumps"
    );
    eprintln!("{n} dumps, {compared} fields compared");
}

/// Compares every dump with its dmidecode output: (mismatches, fields compared).
fn compare_with_dmidecode(dumps: Vec<(String, Vec<u8>, String)>) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let mut compared = 0usize;
    for (name, bin, text) in dumps {
        let parsed = smbios::parse_dump_bin(&bin).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (preamble, blocks) = parse_dmidecode(&text);
        let v = parsed.entry_point.version;
        let version_line = match parsed.entry_point.kind {
            smbios::EntryPointKind::Smbios3 { .. } => {
                format!("SMBIOS {}.{}.{} present.", v.major, v.minor, v.docrev)
            }
            smbios::EntryPointKind::Smbios2 {
                structure_count, ..
            } => {
                let line = format!(
                    "{structure_count} structures occupying {} bytes.",
                    parsed.entry_point.table_max_len
                );
                if !preamble.contains(&line) {
                    failures.push(format!("{name}: preamble lacks {line:?}: {preamble:?}"));
                }
                format!("SMBIOS {}.{} present.", v.major, v.minor)
            }
        };
        if !preamble.contains(&version_line) {
            failures.push(format!(
                "{name}: preamble lacks {version_line:?}: {preamble:?}"
            ));
        }
        let ours = &parsed.table.structures;
        if ours.len() != blocks.len() {
            failures.push(format!(
                "{name}: {} structures decoded, dmidecode shows {}",
                ours.len(),
                blocks.len()
            ));
        }
        let v23 = parsed.entry_point.effective_version().at_least(2, 3);
        for (st, b) in ours.iter().zip(&blocks) {
            let at = format!("{name}: handle 0x{:04X} type {}", st.handle, st.stype);
            if (st.handle, st.stype, st.length) != (b.handle, b.stype, b.length) {
                failures.push(format!(
                    "{at}: header ours (0x{:04X}, {}, {}) dmidecode (0x{:04X}, {}, {})",
                    st.handle, st.stype, st.length, b.handle, b.stype, b.length
                ));
                continue;
            }
            // dmidecode decodes some OEM types itself (HP, Lenovo): only those it dumps raw
            // are compared byte for byte.
            if let StructureData::Raw(raw) = &st.data
                && b.attrs.contains_key("Header and Data")
            {
                // dmidecode dumps OEM types: "Header and Data" hex and the strings.
                let hex: Vec<String> = raw.formatted.iter().map(|x| format!("{x:02X}")).collect();
                let got = b.attrs.get("Header and Data").map(|a| a.1.join(" "));
                if got.as_deref() != Some(&hex.join(" ")) {
                    failures.push(format!(
                        "{at}: Header and Data ours {hex:?} dmidecode {got:?}"
                    ));
                }
                let strings = b
                    .attrs
                    .get("Strings")
                    .map(|a| a.1.clone())
                    .unwrap_or_default();
                let ours_s: Vec<String> = raw
                    .strings
                    .iter()
                    .map(|t| s(&SmbiosString::Text(t.clone())))
                    .collect();
                if strings != ours_s {
                    failures.push(format!(
                        "{at}: Strings ours {ours_s:?} dmidecode {strings:?}"
                    ));
                }
                compared += 2;
                continue;
            }
            let want = expected(st, v23);
            if want.is_empty() {
                continue;
            }
            let mut seen: Vec<&str> = Vec::new();
            for (key, w) in &want {
                seen.push(key);
                compared += 1;
                let got = b.attrs.get(*key);
                match (w, got) {
                    (_, None) => {
                        failures.push(format!("{at}: {key}: ours {} dmidecode (absent)", show(w)))
                    }
                    (Value(v), Some((g, items))) => {
                        if v != g || !items.is_empty() {
                            failures
                                .push(format!("{at}: {key}: ours {v:?} dmidecode {g:?} {items:?}"));
                        }
                    }
                    (List(head, vs), Some((g, items))) => {
                        if head != g || vs != items {
                            failures.push(format!(
                                "{at}: {key}: ours {head:?} {vs:?} dmidecode {g:?} {items:?}"
                            ));
                        }
                    }
                }
            }
            for (key, (value, _)) in &b.attrs {
                // DSP0134 §7.5: a count of 0 is "unknown" (we give none); dmidecode prints 0.
                let unknown_count = st.stype == 4
                    && matches!(key.as_str(), "Core Count" | "Core Enabled" | "Thread Count")
                    && value == "0";
                if !seen.contains(&key.as_str())
                    && !not_decoded(st.stype).contains(&key.as_str())
                    && !unknown_count
                {
                    failures.push(format!("{at}: {key}: dmidecode prints it, ours (absent)"));
                }
            }
        }
    }
    (failures, compared)
}

fn show(w: &Want) -> String {
    match w {
        Value(v) => format!("{v:?}"),
        List(h, vs) => format!("{h:?} {vs:?}"),
    }
}

#[test]
fn sysfs_pair_decodes_like_the_dump() {
    // The sysfs form: the entry point alone and the table alone (at any physical address).
    for (name, bin, _) in dumps() {
        let ep = smbios::parse_entry_point(&bin).unwrap();
        let table = &bin[0x20..(0x20 + ep.table_max_len as usize).min(bin.len())];
        let ep_len = usize::from(ep.length);
        let from_sysfs = smbios::parse_sysfs(&bin[..ep_len], table).unwrap();
        let from_dump = smbios::parse_dump_bin(&bin).unwrap();
        assert_eq!(from_sysfs, from_dump, "{name}");
    }
}

#[test]
fn every_truncation_of_every_dump_is_an_error_or_a_shorter_table() {
    for (name, bin, _) in dumps() {
        let whole = smbios::parse_dump_bin(&bin).unwrap();
        for n in (0..bin.len()).step_by(7) {
            match smbios::parse_dump_bin(&bin[..n]) {
                Ok(t) => assert!(
                    t.table.structures.len() <= whole.table.structures.len(),
                    "{name} {n}"
                ),
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
}

#[test]
fn truncated_table_error_names_structure_and_offset() {
    let bin = std::fs::read(corpus_dir().join("lenovo-thinkpad-t480s.bin")).unwrap();
    let e = smbios::parse_dump_bin(&bin[..0x20 + 0x100])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("SMBIOS type "), "{e}");
    assert!(e.contains("at table offset 0x"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = smbios::parse_dump_bin(&bytes);
        let _ = smbios::parse_sysfs(&bytes, &bytes);
        let v = smbios::Version { major: 3, minor: 0, docrev: 0 };
        let _ = smbios::parse_table(&bytes, v, None);
    }

    #[test]
    fn bit_flips_of_real_dumps_never_panic(
        which in 0usize..13,
        flips in proptest::collection::vec((any::<usize>(), 0u8..8), 1..8),
    ) {
        let (_, mut bin, _) = dumps().swap_remove(which);
        for (pos, bit) in flips {
            let i = pos % bin.len();
            bin[i] ^= 1 << bit;
        }
        if let Err(e) = smbios::parse_dump_bin(&bin) {
            prop_assert!(!e.to_string().is_empty());
        }
        // The table alone, whatever the entry point says.
        let v = smbios::Version { major: 2, minor: 7, docrev: 0 };
        let _ = smbios::parse_table(&bin[0x20..], v, None);
    }
}

/// One well-formed structure: a decoded type at any length from its oldest layout up, random
/// bytes, random (possibly bad) string indexes, a string set.
fn arb_structure() -> impl Strategy<Value = (u8, Vec<u8>, Vec<String>)> {
    let types = prop_oneof![
        Just((0u8, 0x12u8)),
        Just((1, 0x08)),
        Just((2, 0x08)),
        Just((3, 0x09)),
        Just((4, 0x1A)),
        Just((16, 0x0F)),
        Just((17, 0x15)),
        Just((22, 0x10)),
        Just((43, 0x1B)),
        Just((200, 0x04)),
    ];
    (
        types,
        0usize..0x60,
        proptest::collection::vec(any::<u8>(), 0x100),
        proptest::collection::vec("[ -~]{1,12}", 0..4),
    )
        .prop_map(|((t, min), extra, bytes, strings)| {
            let len = (usize::from(min) + extra).min(0xFF);
            let mut body = bytes[..len].to_vec();
            body[0] = t;
            body[1] = len as u8;
            (t, body, strings)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Any well-formed table decodes whole, whatever the field values, and serializes.
    #[test]
    fn well_formed_tables_always_decode(structures in proptest::collection::vec(arb_structure(), 0..12), v3 in any::<bool>()) {
        let mut table = Vec::new();
        for (handle, (_, body, strings)) in structures.iter().enumerate() {
            let mut body = body.clone();
            body[2..4].copy_from_slice(&(handle as u16).to_le_bytes());
            table.extend(&body);
            if strings.is_empty() {
                table.extend([0, 0]);
            } else {
                for s in strings {
                    table.extend(s.as_bytes());
                    table.push(0);
                }
                table.push(0);
            }
        }
        table.extend([127, 4, 0xFF, 0xFE, 0, 0]);
        let v = if v3 {
            smbios::Version { major: 3, minor: 7, docrev: 0 }
        } else {
            smbios::Version { major: 2, minor: 3, docrev: 0 }
        };
        let parsed = smbios::parse_table(&table, v, None);
        prop_assert!(parsed.is_ok(), "{:?}", parsed.err());
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.structures.len(), structures.len() + 1);
        prop_assert_eq!(parsed.trailing_len, 0);
        let json = serde_json::to_string(&parsed).unwrap();
        prop_assert!(!json.is_empty());
    }
}
