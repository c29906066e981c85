//! What a drive's own firmware says, read by the agent itself through the passthrough seam:
//! IDENTIFY DEVICE and SMART for SATA (and USB bridges that carry ATA commands), Identify and
//! the SMART / Health log for NVMe — turned into the disk's [`DriveFacts`] and [`DiskHealth`].
//!
//! The commands go through `sys::passthrough::open_for_inspection` (or a simulated drive), which
//! lets only reading commands through. Anything that cannot be read is unknown with the reason,
//! never a guess: a USB bridge that refuses ATA pass-through gives "unknown — USB bridge".

use super::model::{DiskHealth, DriveFacts, HealthStatus};
use crate::model::Transport;
use crate::parse::ata::{self, AtaIdentify, EraseTime, RotationRate};
use crate::parse::ata_smart::{self, AtaSmart, MediaHint, RawValue};
use crate::parse::nvme::{self, IdentifyController, SmartLog};
use crate::sys::passthrough::{
    AtaCommand, AtaData, NvmeCommand, Passthrough, PassthroughError, ata as atacmd, nvme as nvmecmd,
};

/// The namespace id meaning "the controller as a whole" in NVMe log page requests.
const ALL_NAMESPACES: u32 = 0xFFFF_FFFF;

/// Reads the drive behind `pt`: its facts and its health.
pub fn read(pt: &mut dyn Passthrough, transport: Transport) -> (Option<DriveFacts>, DiskHealth) {
    match transport {
        Transport::Nvme => read_nvme(pt),
        Transport::Sata | Transport::Usb | Transport::Scsi => read_ata(pt, transport),
        other => (
            None,
            unknown(format!(
                "{} disk: the agent reads no SMART through it",
                other.display_name()
            )),
        ),
    }
}

/// Health unknown, with the reason.
pub fn unknown(why: String) -> DiskHealth {
    DiskHealth {
        status: HealthStatus::Unknown,
        why: Some(why),
        ..DiskHealth::default()
    }
}

fn why(e: &PassthroughError, transport: Transport) -> String {
    match (e, transport) {
        // The operator needs the conclusion; the sense bytes are for the JSON reader of
        // `reprise decode`, not for this line.
        (PassthroughError::Unsupported { .. }, Transport::Usb) => {
            "the USB bridge carries no ATA commands".to_owned()
        }
        _ => e.to_string(),
    }
}

fn smart_cmd(features: u16) -> AtaCommand {
    AtaCommand {
        features,
        lba: atacmd::SMART_LBA_KEY,
        ..AtaCommand::new(atacmd::SMART)
    }
}

/// The facts the plan and the operator need, from an IDENTIFY DEVICE.
pub fn ata_facts(id: &AtaIdentify) -> DriveFacts {
    let minutes = |t: &EraseTime| match t {
        EraseTime::Minutes { minutes } | EraseTime::MoreThan { minutes } => Some(*minutes),
        EraseTime::NotReported => None,
    };
    DriveFacts::Ata {
        model: id.model.clone(),
        serial: id.serial.clone(),
        firmware: id.firmware.clone(),
        capacity_sectors: id.capacity_sectors,
        logical_sector_size: id.logical_sector_size,
        rotation_rpm: match id.rotation_rate {
            RotationRate::NonRotating => Some(0),
            RotationRate::Rpm { rpm } => Some(u32::from(rpm)),
            _ => None,
        },
        smart_supported: id.smart_supported,
        smart_enabled: id.smart_enabled,
        security_supported: id.security.supported,
        security_enabled: id.security.enabled,
        security_locked: id.security.locked,
        security_frozen: id.security.frozen,
        enhanced_erase_supported: id.security.enhanced_erase_supported,
        erase_minutes: minutes(&id.security.erase_time),
        enhanced_erase_minutes: minutes(&id.security.enhanced_erase_time),
        sanitize_supported: id.sanitize.supported,
        sanitize_crypto: id.sanitize.crypto_scramble,
        sanitize_block: id.sanitize.block_erase,
        sanitize_overwrite: id.sanitize.overwrite,
        hpa_supported: id.hpa_supported,
        hpa_enabled: id.hpa_enabled,
        dco_supported: id.dco_supported,
        trim_supported: id.trim_supported,
        identify_trusted: !matches!(id.integrity, ata::Integrity::Invalid { .. }),
    }
}

fn read_ata(pt: &mut dyn Passthrough, transport: Transport) -> (Option<DriveFacts>, DiskHealth) {
    let mut sector = vec![0u8; 512];
    if let Err(e) = pt.ata(
        &AtaCommand::new(atacmd::IDENTIFY_DEVICE),
        AtaData::In(&mut sector),
    ) {
        return (None, unknown(why(&e, transport)));
    }
    let id = match ata::parse_identify(&sector) {
        Ok(id) => id,
        Err(e) => return (None, unknown(format!("IDENTIFY DEVICE: {e}"))),
    };
    let facts = ata_facts(&id);
    if !id.smart_supported {
        return (Some(facts), unknown("the drive has no SMART".into()));
    }
    if !id.smart_enabled {
        return (
            Some(facts),
            unknown("SMART is disabled on the drive".into()),
        );
    }
    let mut data = vec![0u8; 512];
    if let Err(e) = pt.ata(&smart_cmd(atacmd::SMART_READ_DATA), AtaData::In(&mut data)) {
        return (
            Some(facts),
            unknown(format!("SMART READ DATA: {}", why(&e, transport))),
        );
    }
    let mut thresholds = vec![0u8; 512];
    let thresholds = pt
        .ata(
            &smart_cmd(atacmd::SMART_READ_THRESHOLDS),
            AtaData::In(&mut thresholds),
        )
        .ok()
        .map(|_| thresholds);
    let status = pt
        .ata(&smart_cmd(atacmd::SMART_RETURN_STATUS), AtaData::None)
        .ok()
        .and_then(|regs| match (regs.lba >> 8) & 0xFFFF {
            0xC24F => Some(true),
            0x2CF4 => Some(false),
            _ => None,
        });
    let media = match id.rotation_rate {
        RotationRate::NonRotating => MediaHint::Ssd,
        RotationRate::Rpm { .. } => MediaHint::Hdd,
        _ => MediaHint::Unknown,
    };
    let smart = match ata_smart::parse_smart(&data, thresholds.as_deref(), media) {
        Ok(s) => s,
        Err(e) => return (Some(facts), unknown(format!("SMART data: {e}"))),
    };
    (Some(facts), ata_health(&smart, status))
}

/// The raw count of attribute `id`, when the drive has it.
fn counter(smart: &AtaSmart, id: u8) -> Option<u64> {
    smart
        .attributes
        .iter()
        .find(|a| a.id == id)
        .map(|a| match a.interpreted {
            RawValue::Number { value } => value,
            RawValue::Words { value, .. } => u64::from(value),
            RawValue::WithAverage { value, .. } => u64::from(value),
            RawValue::Hours { value, .. } => u64::from(value),
            _ => a.raw,
        })
}

/// Health from decoded SMART data and SMART RETURN STATUS, as smartctl judges it: failing when
/// the drive says its thresholds are exceeded or a pre-failure attribute is at or below its
/// threshold.
pub fn ata_health(smart: &AtaSmart, return_status: Option<bool>) -> DiskHealth {
    let names = |ids: &[u8]| {
        ids.iter()
            .map(|id| {
                let name = smart
                    .attributes
                    .iter()
                    .find(|a| a.id == *id)
                    .map_or("?", |a| a.name);
                format!("{id} {name}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (status, why) = if return_status == Some(false) {
        (
            HealthStatus::Failing,
            Some("SMART RETURN STATUS: threshold exceeded".to_owned()),
        )
    } else if !smart.health.failing_prefail.is_empty() {
        (
            HealthStatus::Failing,
            Some(format!(
                "pre-failure attribute at or below its threshold: {}",
                names(&smart.health.failing_prefail)
            )),
        )
    } else if return_status == Some(true) || smart.health.thresholds_known {
        (HealthStatus::Passed, None)
    } else {
        (
            HealthStatus::Unknown,
            Some("neither SMART RETURN STATUS nor the thresholds could be read".into()),
        )
    };
    let temperature = [194u8, 190].iter().find_map(|id| {
        smart
            .attributes
            .iter()
            .find(|a| a.id == *id)
            .and_then(|a| match a.interpreted {
                RawValue::Temperature { celsius, .. }
                | RawValue::TemperatureUnparsed { celsius, .. } => Some(i16::from(celsius)),
                _ => None,
            })
    });
    let wear = [233u8, 231].iter().find_map(|id| {
        smart
            .attributes
            .iter()
            .find(|a| a.id == *id)
            .map(|a| 100u16.saturating_sub(u16::from(a.value.min(100))))
    });
    DiskHealth {
        status,
        why,
        source: Some("ATA SMART".into()),
        smart_passed: match status {
            HealthStatus::Passed => Some(true),
            HealthStatus::Failing => Some(false),
            HealthStatus::Unknown => None,
        },
        reallocated: counter(smart, 5),
        pending: counter(smart, 197),
        media_errors: counter(smart, 198),
        power_on_hours: counter(smart, 9),
        temperature_celsius: temperature,
        percentage_used: wear,
        available_spare: None,
        available_spare_threshold: None,
        critical_warnings: Vec::new(),
        self_test: None,
    }
}

/// The facts from Identify Controller, and the Active Namespace ID list when it was read.
pub fn nvme_facts(c: &IdentifyController, active: Option<Vec<u32>>) -> DriveFacts {
    DriveFacts::Nvme {
        model: c.model.clone(),
        serial: c.serial.clone(),
        firmware: c.firmware.clone(),
        namespaces: c.nn,
        active_namespaces: active,
        format_supported: c.oacs.format_nvm,
        format_all_namespaces: c.fna.format_all_namespaces,
        crypto_erase_supported: c.fna.crypto_erase_supported,
        sanitize_crypto: c.sanicap.crypto_erase,
        sanitize_block: c.sanicap.block_erase,
        sanitize_overwrite: c.sanicap.overwrite,
        self_test_supported: c.oacs.device_self_test,
    }
}

fn read_nvme(pt: &mut dyn Passthrough) -> (Option<DriveFacts>, DiskHealth) {
    let mut id = vec![0u8; nvme::IDENTIFY_LEN];
    let facts = match pt.nvme_admin(&NvmeCommand::identify(nvmecmd::CNS_CONTROLLER, 0), &mut id) {
        Ok(_) => match nvme::parse_identify_controller(&id) {
            Ok(c) => Some(nvme_facts(&c, active_namespaces(pt))),
            Err(e) => return (None, unknown(format!("Identify Controller: {e}"))),
        },
        Err(e) => return (None, unknown(e.to_string())),
    };
    let mut log = vec![0u8; nvme::LOG_512];
    let cmd = NvmeCommand::get_log_page(nvmecmd::LOG_SMART, ALL_NAMESPACES, log.len());
    if let Err(e) = pt.nvme_admin(&cmd, &mut log) {
        return (facts, unknown(format!("SMART / Health log: {e}")));
    }
    match nvme::parse_smart_log(&log) {
        Ok(s) => (facts, nvme_health(&s)),
        Err(e) => (facts, unknown(format!("SMART / Health log: {e}"))),
    }
}

/// The Active Namespace ID list (Identify CNS 02h from namespace 0): the namespaces that exist
/// and are attached to this controller, in increasing order, up to the first 0. `None` when the
/// controller does not answer (NVMe before 1.1 has no such list).
fn active_namespaces(pt: &mut dyn Passthrough) -> Option<Vec<u32>> {
    let mut list = vec![0u8; nvme::IDENTIFY_LEN];
    pt.nvme_admin(
        &NvmeCommand::identify(nvmecmd::CNS_ACTIVE_NAMESPACES, 0),
        &mut list,
    )
    .ok()?;
    Some(
        list.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .take_while(|id| *id != 0)
            .collect(),
    )
}

/// Health from the NVMe SMART / Health log: failing on any critical warning that says the
/// media is wearing out or unreliable.
pub fn nvme_health(s: &SmartLog) -> DiskHealth {
    let w = &s.critical_warning;
    let mut warnings = Vec::new();
    for (set, what) in [
        (
            w.available_spare_below_threshold,
            "available spare below threshold",
        ),
        (w.temperature, "temperature above or below a threshold"),
        (w.reliability_degraded, "reliability degraded"),
        (w.read_only, "media placed in read-only mode"),
        (w.volatile_backup_failed, "volatile memory backup failed"),
        (w.persistent_memory_read_only, "persistent memory read-only"),
    ] {
        if set {
            warnings.push(what.to_owned());
        }
    }
    // A temperature warning alone says the room is hot, not that the drive is failing.
    let failing: Vec<&String> = warnings
        .iter()
        .filter(|w| !w.starts_with("temperature"))
        .collect();
    let (status, why) = if failing.is_empty() {
        (HealthStatus::Passed, None)
    } else {
        (
            HealthStatus::Failing,
            Some(format!(
                "critical warning: {}",
                failing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        )
    };
    let saturate = |c: nvme::Counter128| u64::try_from(c.0).unwrap_or(u64::MAX);
    DiskHealth {
        status,
        why,
        source: Some("NVMe SMART/Health log".into()),
        smart_passed: Some(status == HealthStatus::Passed),
        reallocated: None,
        pending: None,
        media_errors: Some(saturate(s.media_errors)),
        power_on_hours: Some(saturate(s.power_on_hours)),
        temperature_celsius: (s.composite_temperature.kelvin != 0)
            .then(|| i16::try_from(s.composite_temperature.celsius).unwrap_or(i16::MAX)),
        percentage_used: Some(u16::from(s.percentage_used)),
        available_spare: Some(s.available_spare),
        available_spare_threshold: Some(s.available_spare_threshold),
        critical_warnings: warnings,
        self_test: None,
    }
}
