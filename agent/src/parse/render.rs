//! Human-readable text of the decoded structures, for `reprise decode`: what a support
//! technician reads beside the dump. Pure (structs in, text out); unknown and reserved values
//! are shown with their code, never mapped to a neighbour.

use std::fmt::Write;

use super::ata::{AtaIdentify, EraseTime, Integrity, RotationRate};
use super::ata_smart::{AtaSmart, AttributeState, OfflineState, RawValue, SelfTestState};
use super::nvme::{
    Estimate, IdentifyController, IdentifyNamespace, SanitizeLog, SanitizeState, SelfTestLog,
    SmartLog,
};
use super::smbios::{
    Capacity, MemorySize, MemorySpeed, ProcessorVoltage, RomSize, Smbios, SmbiosString,
    StructureData, SystemUuid, TpmFirmware,
};

/// Bytes as an exact count with a binary-unit approximation ("16 GiB (17179869184 bytes)").
pub fn size(bytes: u128) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut unit = None;
    for (i, u) in UNITS.iter().enumerate().rev() {
        let scale = 1u128 << (10 * (i + 1));
        if bytes >= scale {
            unit = Some((scale, *u));
            break;
        }
    }
    match unit {
        None => format!("{bytes} bytes"),
        Some((scale, u)) => {
            // One decimal, by integer arithmetic (no floating point anywhere in Reprise).
            let tenths = (bytes * 10 + scale / 2) / scale;
            let text = if tenths.is_multiple_of(10) {
                format!("{} {u}", tenths / 10)
            } else {
                format!("{}.{} {u}", tenths / 10, tenths % 10)
            };
            let approx = if bytes.is_multiple_of(scale) { "" } else { "~" };
            format!("{approx}{text} ({bytes} bytes)")
        }
    }
}

fn s(v: &SmbiosString) -> String {
    match v {
        SmbiosString::None => "(none)".into(),
        SmbiosString::BadIndex(i) => format!("<bad string index {i}>"),
        SmbiosString::Text(t) => format!("{t:?}"),
    }
}

fn os(v: &Option<SmbiosString>) -> String {
    v.as_ref().map_or("(absent: older SMBIOS)".into(), s)
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The SMBIOS reading, structure by structure.
pub fn smbios(m: &Smbios) -> String {
    let mut o = String::new();
    let ep = &m.entry_point;
    let kind = match ep.kind {
        super::smbios::EntryPointKind::Smbios2 { .. } => "_SM_ (32-bit)",
        super::smbios::EntryPointKind::Smbios3 { .. } => "_SM3_ (64-bit)",
    };
    let _ = writeln!(o, "SMBIOS {} — entry point {kind}", ep.version);
    if ep.effective_version() != ep.version {
        let _ = writeln!(
            o,
            "  version read as {} (known firmware quirk)",
            ep.effective_version()
        );
    }
    let _ = writeln!(
        o,
        "  table: {} structures, {} bytes used{}",
        m.table.structures.len(),
        m.table.used_len,
        if m.table.trailing_len > 0 {
            format!(", {} bytes after the end", m.table.trailing_len)
        } else {
            String::new()
        }
    );
    if let Some(n) = m.table.announced_count {
        let _ = writeln!(
            o,
            "  WARNING: the entry point announces {n} structures, {} were read",
            m.table.structures.len()
        );
    }
    for st in &m.table.structures {
        let _ = writeln!(
            o,
            "\nHandle {:#06x}, type {}, {} bytes, at table offset {:#x}",
            st.handle, st.stype, st.length, st.offset
        );
        let mut kv = |k: &str, v: String| {
            let _ = writeln!(o, "  {k}: {v}");
        };
        match &st.data {
            StructureData::Bios(b) => {
                kv("Kind", "BIOS".into());
                kv("Vendor", s(&b.vendor));
                kv("Version", s(&b.version));
                kv("Release date", s(&b.release_date));
                if b.starting_segment != 0 {
                    kv(
                        "Address",
                        format!("{:#x}", u32::from(b.starting_segment) << 4),
                    );
                }
                kv(
                    "ROM size",
                    match b.rom_size {
                        RomSize::Bytes { bytes } => size(bytes.into()),
                        RomSize::AtLeast16MiB => "16 MiB or more".into(),
                        RomSize::ReservedUnit { raw } => {
                            format!("unknown (extended size word {raw:#06x}, reserved unit)")
                        }
                    },
                );
                kv("Characteristics", format!("{:#018x}", b.characteristics));
                if let Some((a, c)) = b.bios_release {
                    kv("BIOS release", format!("{a}.{c}"));
                }
                if let Some((a, c)) = b.ec_release {
                    kv("Embedded controller firmware", format!("{a}.{c}"));
                }
            }
            StructureData::System(x) => {
                kv("Kind", "System".into());
                kv("Manufacturer", s(&x.manufacturer));
                kv("Product", s(&x.product_name));
                kv("Version", s(&x.version));
                kv("Serial number", s(&x.serial_number));
                if let Some(u) = &x.uuid {
                    kv(
                        "UUID",
                        match u {
                            SystemUuid::Id(id) => id.clone(),
                            SystemUuid::NotPresent => "not present (all 00h)".into(),
                            SystemUuid::NotPresentSettable => {
                                "not present, settable (all FFh)".into()
                            }
                        },
                    );
                }
                if let Some(w) = &x.wake_up_type {
                    kv("Wake-up type", w.to_string());
                }
                kv("SKU", os(&x.sku_number));
                kv("Family", os(&x.family));
            }
            StructureData::Board(x) => {
                kv("Kind", "Base board".into());
                kv("Manufacturer", s(&x.manufacturer));
                kv("Product", s(&x.product_name));
                kv("Version", s(&x.version));
                kv("Serial number", s(&x.serial_number));
                kv("Asset tag", os(&x.asset_tag));
                if let Some(t) = &x.board_type {
                    kv("Type", t.to_string());
                }
            }
            StructureData::Chassis(x) => {
                kv("Kind", "Chassis".into());
                kv("Manufacturer", s(&x.manufacturer));
                kv("Type", x.chassis_type.to_string());
                kv("Lock", yes(x.lock_present).into());
                kv("Version", s(&x.version));
                kv("Serial number", s(&x.serial_number));
                kv("Asset tag", s(&x.asset_tag));
                kv("SKU", os(&x.sku_number));
            }
            StructureData::Processor(p) => {
                kv("Kind", "Processor".into());
                kv("Socket", s(&p.socket_designation));
                kv("Type", p.processor_type.to_string());
                kv("Family", p.family.to_string());
                kv("Manufacturer", s(&p.manufacturer));
                kv("Version", s(&p.version));
                kv("ID", hex::encode(&p.id));
                kv(
                    "Voltage",
                    match &p.voltage {
                        ProcessorVoltage::Current { millivolts } => format!("{millivolts} mV"),
                        ProcessorVoltage::Legacy { millivolts } if millivolts.is_empty() => {
                            "unknown".into()
                        }
                        ProcessorVoltage::Legacy { millivolts } => {
                            format!("supports {millivolts:?} mV")
                        }
                    },
                );
                let mhz = |v: u16| {
                    if v == 0 {
                        "unknown".to_string()
                    } else {
                        format!("{v} MHz")
                    }
                };
                kv("Max speed", mhz(p.max_speed_mhz));
                kv("Current speed", mhz(p.current_speed_mhz));
                kv("Socket populated", yes(p.socket_populated).into());
                kv("Status", p.cpu_status.to_string());
                kv("Upgrade", p.upgrade.to_string());
                let n = |v: Option<u16>| v.map_or("unknown".to_string(), |v| v.to_string());
                kv("Cores", n(p.core_count));
                kv("Cores enabled", n(p.core_enabled));
                kv("Threads", n(p.thread_count));
                if !p.characteristic_names.is_empty() {
                    kv("Characteristics", p.characteristic_names.join(", "));
                }
            }
            StructureData::MemoryArray(a) => {
                kv("Kind", "Physical memory array".into());
                kv("Location", a.location.to_string());
                kv("Use", a.array_use.to_string());
                kv("Error correction", a.error_correction.to_string());
                kv(
                    "Maximum capacity",
                    match a.maximum_capacity {
                        Capacity::Bytes { bytes } => size(bytes.into()),
                        Capacity::Unknown => "unknown".into(),
                    },
                );
                kv("Slots", a.number_of_devices.to_string());
            }
            StructureData::MemoryDevice(d) => {
                kv("Kind", "Memory device".into());
                kv("Locator", s(&d.locator));
                kv("Bank", s(&d.bank_locator));
                kv(
                    "Size",
                    match d.size {
                        MemorySize::NotInstalled => "empty slot (no module installed)".into(),
                        MemorySize::Unknown => "unknown".into(),
                        MemorySize::Bytes { bytes } => size(bytes.into()),
                    },
                );
                kv("Form factor", d.form_factor.to_string());
                kv("Type", d.memory_type.to_string());
                if !d.type_detail_names.is_empty() {
                    kv("Type detail", d.type_detail_names.join(", "));
                }
                let sp = |v: &Option<MemorySpeed>| match v {
                    None => "(absent: older SMBIOS)".to_string(),
                    Some(MemorySpeed::Unknown) => "unknown".into(),
                    Some(MemorySpeed::MtPerSecond { value }) => format!("{value} MT/s"),
                };
                kv("Speed", sp(&d.speed));
                kv("Configured speed", sp(&d.configured_speed));
                kv("Manufacturer", os(&d.manufacturer));
                kv("Serial number", os(&d.serial_number));
                kv("Part number", os(&d.part_number));
                if let Some(r) = d.rank {
                    kv("Rank", r.to_string());
                }
                if let Some(v) = d.configured_voltage_mv {
                    kv("Configured voltage", format!("{v} mV"));
                }
            }
            StructureData::Battery(b) => {
                kv("Kind", "Portable battery".into());
                kv("Location", s(&b.location));
                kv("Manufacturer", s(&b.manufacturer));
                kv("Name", s(&b.device_name));
                kv("Chemistry", b.chemistry.to_string());
                if let Some(c) = &b.sbds_chemistry {
                    kv("SBDS chemistry", s(c));
                }
                kv(
                    "Design capacity",
                    b.design_capacity_mwh
                        .map_or("unknown".into(), |c| format!("{c} mWh")),
                );
                kv(
                    "Design voltage",
                    b.design_voltage_mv
                        .map_or("unknown".into(), |v| format!("{v} mV")),
                );
                kv(
                    "Serial number",
                    match (&b.serial_number, b.sbds_serial_number) {
                        (SmbiosString::None, Some(n)) => format!("{n:04X} (SBDS)"),
                        (v, _) => s(v),
                    },
                );
                kv(
                    "Manufacture date",
                    match (&b.manufacture_date, b.sbds_manufacture_date) {
                        (SmbiosString::None, Some(d)) => {
                            format!("{}-{:02}-{:02} (SBDS)", d.year, d.month, d.day)
                        }
                        (v, _) => s(v),
                    },
                );
            }
            StructureData::Tpm(t) => {
                kv("Kind", "TPM device".into());
                kv(
                    "Vendor",
                    format!("{:?} ({})", t.vendor_id, hex::encode(&t.vendor_id_raw)),
                );
                kv(
                    "Specification",
                    format!("{}.{}", t.spec_major, t.spec_minor),
                );
                kv(
                    "Firmware",
                    match t.firmware {
                        TpmFirmware::Tpm12 { major, minor } => format!("{major}.{minor}"),
                        TpmFirmware::Tpm20 {
                            major,
                            minor,
                            version_2,
                        } => format!("{major}.{minor} (version 2 word {version_2:#010x})"),
                        TpmFirmware::Other {
                            version_1,
                            version_2,
                        } => format!("unknown format ({version_1:#010x}, {version_2:#010x})"),
                    },
                );
                kv("Description", s(&t.description));
            }
            StructureData::EndOfTable => kv("Kind", "End of table".into()),
            StructureData::Raw(r) => {
                kv("Kind", "not decoded (raw)".into());
                kv("Bytes", hex::encode(&r.formatted));
                for (i, t) in r.strings.iter().enumerate() {
                    kv(&format!("String {}", i + 1), format!("{t:?}"));
                }
            }
        }
    }
    o
}

fn erase(t: EraseTime) -> String {
    match t {
        EraseTime::NotReported => "not reported".into(),
        EraseTime::Minutes { minutes } => format!("{minutes} min"),
        EraseTime::MoreThan { minutes } => format!("more than {minutes} min"),
    }
}

/// ATA IDENTIFY DEVICE.
pub fn ata_identify(id: &AtaIdentify) -> String {
    let mut o = String::new();
    let mut kv = |k: &str, v: String| {
        let _ = writeln!(o, "{k:<28} {v}");
    };
    kv("Model", id.model.clone());
    kv("Serial", id.serial.clone());
    kv("Firmware", id.firmware.clone());
    kv(
        "Capacity",
        format!(
            "{} sectors, {}",
            id.capacity_sectors,
            size(id.capacity_bytes.into())
        ),
    );
    kv(
        "LBA28 / LBA48 sectors",
        format!(
            "{} / {}",
            id.lba28_sectors,
            id.lba48_sectors
                .map_or("not supported".into(), |n| n.to_string())
        ),
    );
    kv(
        "Sector size",
        format!(
            "{} logical, {} physical",
            id.logical_sector_size, id.physical_sector_size
        ),
    );
    kv(
        "Media",
        match id.rotation_rate {
            RotationRate::NotReported => "rotation rate not reported".into(),
            RotationRate::NonRotating => "solid state (non-rotating)".into(),
            RotationRate::Rpm { rpm } => format!("rotating, {rpm} rpm"),
            RotationRate::Reserved { raw } => {
                format!("unknown (rotation word {raw:#06x}, reserved)")
            }
        },
    );
    kv(
        "Form factor",
        match (id.form_factor.value, id.form_factor.name) {
            (0, _) => "not reported".into(),
            (_, Some(n)) => n.into(),
            (v, None) => format!("unknown ({v:#x})"),
        },
    );
    kv(
        "SMART",
        format!(
            "supported {}, enabled {}",
            yes(id.smart_supported),
            yes(id.smart_enabled)
        ),
    );
    let sec = &id.security;
    kv(
        "Security",
        format!(
            "supported {}, enabled {}, locked {}, frozen {}, count expired {}, enhanced erase {}",
            yes(sec.supported),
            yes(sec.enabled),
            yes(sec.locked),
            yes(sec.frozen),
            yes(sec.count_expired),
            yes(sec.enhanced_erase_supported)
        ),
    );
    kv(
        "Security erase time",
        format!(
            "{} (enhanced: {})",
            erase(sec.erase_time),
            erase(sec.enhanced_erase_time)
        ),
    );
    let sa = &id.sanitize;
    kv(
        "SANITIZE",
        format!(
            "supported {}, crypto scramble {}, block erase {}, overwrite {}",
            yes(sa.supported),
            yes(sa.crypto_scramble),
            yes(sa.block_erase),
            yes(sa.overwrite)
        ),
    );
    kv(
        "Host Protected Area",
        format!(
            "supported {}, enabled {}",
            yes(id.hpa_supported),
            yes(id.hpa_enabled)
        ),
    );
    kv(
        "Device Config. Overlay",
        format!("supported {}", yes(id.dco_supported)),
    );
    kv(
        "TRIM",
        format!(
            "supported {}, deterministic {}, zeroes {}",
            yes(id.trim_supported),
            yes(id.trim_deterministic),
            yes(id.trim_zeroes)
        ),
    );
    if let Some(w) = &id.wwn {
        kv("WWN", w.clone());
    }
    kv("ATA major versions", format!("{:?}", id.major_versions));
    kv(
        "Integrity word 255",
        match id.integrity {
            Integrity::Valid => "valid".into(),
            Integrity::Invalid { sum } => {
                format!("INVALID (sector sums to {sum:#04x}, not 0): do not trust this sector")
            }
            Integrity::Absent => "absent (no A5h signature)".into(),
        },
    );
    o
}

fn raw_text(v: &RawValue) -> String {
    match v {
        RawValue::Number { value } => value.to_string(),
        RawValue::Words {
            value,
            high: [0, 0],
        } => value.to_string(),
        RawValue::Words { value, high } => format!("{value} ({} {})", high[0], high[1]),
        RawValue::WithAverage { value, average: 0 } => value.to_string(),
        RawValue::WithAverage { value, average } => format!("{value} (average {average})"),
        RawValue::Hours {
            value,
            high: [0, 0, 0],
        } => value.to_string(),
        RawValue::Hours { value, high } => format!("{value} ({} {} {})", high[0], high[1], high[2]),
        RawValue::Temperature {
            celsius,
            min: Some(lo),
            max: Some(hi),
            ..
        } => format!("{celsius} °C (min/max {lo}/{hi})"),
        RawValue::Temperature { celsius, .. } => format!("{celsius} °C"),
        RawValue::TemperatureUnparsed { celsius, bytes } => {
            format!("{celsius} °C (other bytes {bytes:?})")
        }
    }
}

/// ATA SMART data and thresholds.
pub fn ata_smart(sm: &AtaSmart) -> String {
    let mut o = String::new();
    let h = &sm.health;
    let verdict = if !h.thresholds_known {
        "UNKNOWN (no thresholds given)".to_string()
    } else if h.passed {
        "PASSED (no pre-failure attribute at or below its threshold)".into()
    } else {
        format!(
            "FAILING (pre-failure attributes at or below threshold: {:?})",
            h.failing_prefail
        )
    };
    let _ = writeln!(o, "Overall health (from attributes): {verdict}");
    if !h.failed_in_past.is_empty() {
        let _ = writeln!(o, "Failed in the past: attributes {:?}", h.failed_in_past);
    }
    if !h.failing_old_age.is_empty() {
        let _ = writeln!(
            o,
            "Old-age attributes at or below threshold now: {:?}",
            h.failing_old_age
        );
    }
    let off = match sm.offline_status.state {
        OfflineState::NeverStarted => "never started".into(),
        OfflineState::CompletedWithoutError => "completed without error".into(),
        OfflineState::InProgress => "in progress".into(),
        OfflineState::SuspendedByHost => "suspended by the host".into(),
        OfflineState::AbortedByHost => "aborted by the host".into(),
        OfflineState::AbortedByDevice => "aborted by the device (fatal error)".into(),
        OfflineState::Reserved(v) => format!("unknown ({v:#x}, reserved)"),
        OfflineState::VendorSpecific(v) => format!("vendor specific ({v:#x})"),
    };
    let _ = writeln!(
        o,
        "Offline data collection: {off} ({} s to complete)",
        sm.offline_completion_seconds
    );
    let st = &sm.self_test_status;
    let test = match st.state {
        SelfTestState::InProgress => format!("in progress, {}% remaining", st.remaining_percent),
        SelfTestState::CompletedWithoutError => {
            "last test completed without error (or none run)".into()
        }
        SelfTestState::Reserved(v) => format!("unknown ({v:#x}, reserved)"),
        other => format!("{other:?}"),
    };
    let _ = writeln!(o, "Self-test: {test}");
    let p = &sm.polling_minutes;
    let _ = writeln!(
        o,
        "Polling minutes: short {}, extended {}{}",
        p.short,
        p.extended,
        p.conveyance
            .map_or(String::new(), |c| format!(", conveyance {c}"))
    );
    if !sm.data_checksum_valid {
        let _ = writeln!(o, "WARNING: the data sector checksum is wrong");
    }
    if sm.thresholds_checksum_valid == Some(false) {
        let _ = writeln!(o, "WARNING: the thresholds sector checksum is wrong");
    }
    let _ = writeln!(
        o,
        "\n{:>3} {:<24} {:>5} {:>5} {:>6} {:<8} {:<8} {:<8} Raw",
        "ID", "Name", "Value", "Worst", "Thresh", "Type", "Updated", "State"
    );
    for a in &sm.attributes {
        let state = match a.state {
            AttributeState::Ok => "-",
            AttributeState::FailingNow => "FAILING",
            AttributeState::FailedInPast => "past",
            AttributeState::NoThreshold => "?",
        };
        let _ = writeln!(
            o,
            "{:>3} {:<24} {:>5} {:>5} {:>6} {:<8} {:<8} {:<8} {}",
            a.id,
            a.name,
            a.value,
            a.worst,
            a.threshold.map_or("?".into(), |t| t.to_string()),
            if a.flags.prefailure {
                "pre-fail"
            } else {
                "old-age"
            },
            if a.flags.online { "always" } else { "offline" },
            state,
            raw_text(&a.interpreted)
        );
    }
    o
}

/// NVMe Identify Controller.
pub fn nvme_identify_controller(c: &IdentifyController) -> String {
    let mut o = String::new();
    let mut kv = |k: &str, v: String| {
        let _ = writeln!(o, "{k:<30} {v}");
    };
    kv("Model", c.model.clone());
    kv("Serial", c.serial.clone());
    kv("Firmware", c.firmware.clone());
    kv(
        "PCI vendor / subsystem",
        format!("{:#06x} / {:#06x}", c.vid, c.ssvid),
    );
    kv("IEEE OUI", format!("{:06x}", c.ieee_oui));
    kv("Controller id", c.cntlid.to_string());
    kv(
        "NVMe version",
        if c.version.raw == 0 {
            "not reported (before 1.2)".into()
        } else {
            format!(
                "{}.{}.{}",
                c.version.major, c.version.minor, c.version.tertiary
            )
        },
    );
    kv("Namespaces", c.nn.to_string());
    kv(
        "Total / unallocated capacity",
        format!("{} / {} bytes", c.tnvmcap, c.unvmcap),
    );
    kv("Format NVM", yes(c.oacs.format_nvm).into());
    kv(
        "Format applies to all NS",
        yes(c.fna.format_all_namespaces).into(),
    );
    kv(
        "Secure erase applies to all NS",
        yes(c.fna.secure_erase_all_namespaces).into(),
    );
    kv(
        "Crypto erase (in Format)",
        yes(c.fna.crypto_erase_supported).into(),
    );
    kv(
        "Sanitize",
        format!(
            "crypto erase {}, block erase {}, overwrite {}, no-deallocate inhibited {}, NODMMAS {:?}",
            yes(c.sanicap.crypto_erase),
            yes(c.sanicap.block_erase),
            yes(c.sanicap.overwrite),
            yes(c.sanicap.no_deallocate_inhibited),
            c.sanicap.nodmmas
        ),
    );
    kv(
        "Device self-test",
        format!(
            "{} (extended test: {} min)",
            yes(c.oacs.device_self_test),
            c.edstt
        ),
    );
    kv(
        "Security send/receive",
        yes(c.oacs.security_send_receive).into(),
    );
    let t = |x: super::nvme::Temperature| {
        if x.kelvin == 0 {
            "not reported".to_string()
        } else {
            format!("{} °C ({} K)", x.celsius, x.kelvin)
        }
    };
    kv("Warning temperature", t(c.wctemp));
    kv("Critical temperature", t(c.cctemp));
    kv("Power states", (u16::from(c.npss) + 1).to_string());
    o
}

/// NVMe Identify Namespace.
pub fn nvme_identify_namespace(n: &IdentifyNamespace) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Size        {} blocks{}",
        n.nsze,
        n.size_bytes
            .map_or(String::new(), |b| format!(", {}", size(b)))
    );
    let _ = writeln!(
        o,
        "Capacity    {} blocks{}",
        n.ncap,
        n.capacity_bytes
            .map_or(String::new(), |b| format!(", {}", size(b)))
    );
    let _ = writeln!(o, "Utilization {} blocks", n.nuse);
    match n.sector_size {
        Some(sz) => {
            let _ = writeln!(
                o,
                "LBA format  #{} in use: {sz}-byte sectors, {} metadata bytes",
                n.lba_format_index,
                n.metadata_size.unwrap_or(0)
            );
        }
        None => {
            let _ = writeln!(
                o,
                "LBA format  #{} in use: INVALID (no such format or size out of range)",
                n.lba_format_index
            );
        }
    }
    for (i, f) in n.lba_formats.iter().enumerate() {
        let _ = writeln!(
            o,
            "  format {i}: 2^{} bytes, metadata {}, relative performance {}",
            f.lbads, f.metadata_size, f.relative_performance
        );
    }
    let _ = writeln!(o, "NGUID       {}\nEUI-64      {}", n.nguid, n.eui64);
    o
}

/// NVMe SMART / Health log.
pub fn nvme_smart(l: &SmartLog) -> String {
    let mut o = String::new();
    let mut kv = |k: &str, v: String| {
        let _ = writeln!(o, "{k:<34} {v}");
    };
    let w = l.critical_warning;
    let mut warnings = Vec::new();
    for (on, name) in [
        (
            w.available_spare_below_threshold,
            "available spare below threshold",
        ),
        (w.temperature, "temperature"),
        (w.reliability_degraded, "reliability degraded"),
        (w.read_only, "read-only"),
        (w.volatile_backup_failed, "volatile memory backup failed"),
        (
            w.persistent_memory_read_only,
            "persistent memory region read-only",
        ),
    ] {
        if on {
            warnings.push(name);
        }
    }
    kv(
        "Critical warning",
        if w.raw == 0 {
            "none".into()
        } else {
            format!("{:#04x}: {}", w.raw, warnings.join(", "))
        },
    );
    kv(
        "Composite temperature",
        format!(
            "{} °C ({} K)",
            l.composite_temperature.celsius, l.composite_temperature.kelvin
        ),
    );
    kv(
        "Available spare",
        format!(
            "{}% (threshold {}%)",
            l.available_spare, l.available_spare_threshold
        ),
    );
    kv("Percentage used", format!("{}%", l.percentage_used));
    kv(
        "Data units read",
        format!("{} (× 512 000 bytes)", l.data_units_read),
    );
    kv(
        "Data units written",
        format!("{} (× 512 000 bytes)", l.data_units_written),
    );
    kv(
        "Host read / write commands",
        format!("{} / {}", l.host_read_commands, l.host_write_commands),
    );
    kv(
        "Controller busy time",
        format!("{} min", l.controller_busy_time),
    );
    kv("Power cycles", l.power_cycles.to_string());
    kv("Power-on hours", l.power_on_hours.to_string());
    kv("Unsafe shutdowns", l.unsafe_shutdowns.to_string());
    kv(
        "Media and data integrity errors",
        l.media_errors.to_string(),
    );
    kv("Error log entries", l.error_log_entries.to_string());
    kv(
        "Time above warning / critical temp.",
        format!(
            "{} / {} min",
            l.warning_temperature_minutes, l.critical_temperature_minutes
        ),
    );
    for (i, t) in &l.temperature_sensors {
        kv(
            &format!("Temperature sensor {i}"),
            format!("{} °C ({} K)", t.celsius, t.kelvin),
        );
    }
    o
}

fn est(e: Estimate) -> String {
    match e {
        Estimate::NoEstimate => "no estimate".into(),
        Estimate::Seconds { seconds } => format!("{seconds} s"),
    }
}

/// NVMe Sanitize Status log.
pub fn nvme_sanitize(l: &SanitizeLog) -> String {
    let mut o = String::new();
    let state = match l.state {
        SanitizeState::NeverSanitized => "never sanitized".into(),
        SanitizeState::CompletedSuccessfully => "last sanitize completed successfully".into(),
        SanitizeState::InProgress => format!("sanitize in progress: {}/65536 done", l.sprog),
        SanitizeState::Failed => "last sanitize FAILED".into(),
        SanitizeState::CompletedNoDeallocate => {
            "last sanitize completed successfully (no-deallocate)".into()
        }
        SanitizeState::Reserved(v) => format!("unknown ({v}, reserved)"),
    };
    let _ = writeln!(o, "Status                     {state}");
    let _ = writeln!(
        o,
        "Global data erased         {}",
        yes(l.global_data_erased)
    );
    let _ = writeln!(
        o,
        "Overwrite passes completed {}",
        l.overwrite_passes_completed
    );
    let _ = writeln!(
        o,
        "Last command (CDW10)       {:#010x}: {:?}, overwrite passes {}, invert {}, no-deallocate {}",
        l.cdw10.raw,
        l.cdw10.action,
        l.cdw10.overwrite_passes,
        yes(l.cdw10.overwrite_invert),
        yes(l.cdw10.no_deallocate)
    );
    let _ = writeln!(
        o,
        "Estimated time             overwrite {}, block erase {}, crypto erase {}",
        est(l.estimated_overwrite),
        est(l.estimated_block_erase),
        est(l.estimated_crypto_erase)
    );
    o
}

/// NVMe Device Self-test log.
pub fn nvme_self_test(l: &SelfTestLog) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Current operation: {:?} ({}% complete)",
        l.current_operation, l.current_completion_percent
    );
    let _ = writeln!(o, "Results (newest first): {}", l.results.len());
    for (i, r) in l.results.iter().enumerate() {
        let _ = write!(
            o,
            "  #{i}: {:?} test, {:?}, at {} power-on hours",
            r.code, r.result, r.power_on_hours
        );
        if r.result == super::nvme::SelfTestResult::SegmentsFailed {
            let _ = write!(o, ", segment {}", r.segment);
        }
        if let Some(lba) = r.failing_lba {
            let _ = write!(o, ", failing LBA {lba}");
        }
        if let Some(ns) = r.nsid {
            let _ = write!(o, ", namespace {ns}");
        }
        if let (Some(t), Some(c)) = (r.status_code_type, r.status_code) {
            let _ = write!(o, ", status {t:#x}/{c:#04x}");
        }
        let _ = writeln!(o);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(8 << 30), "8 GiB (8589934592 bytes)");
        assert_eq!(size(120_034_123_776), "~111.8 GiB (120034123776 bytes)");
    }
}
