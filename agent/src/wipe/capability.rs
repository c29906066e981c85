//! What a drive says it can do, asked through the inspection-only passthrough: ATA IDENTIFY
//! (security, SANITIZE, HPA, DCO, erase times), READ NATIVE MAX ADDRESS and DEVICE
//! CONFIGURATION IDENTIFY (hidden areas), SANITIZE STATUS (frozen); NVMe Identify Controller
//! (OACS, FNA, SANICAP), Identify Namespace (LBA format, what deallocated blocks read as), the
//! active namespace list and the Sanitize Status log; SCSI REPORT SUPPORTED OPERATION CODES
//! for SANITIZE.
//!
//! Only commands that read go out ([`crate::sys::passthrough::open_for_inspection`] refuses
//! anything else). The result, [`DriveFacts`], is plain data: the planner
//! (`wipe::strategy`) decides from it without I/O.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::technique::PostErase;
use crate::model::{Transport, error_chain};
use crate::parse::{ata as pata, erase as perase, nvme as pnvme};
use crate::sys::passthrough::{
    AtaCommand, AtaData, NvmeCommand, Passthrough, Protocol, ScsiData, ata, nvme,
    open_for_inspection, scsi,
};

/// How the drive was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Access {
    /// The drive answered.
    Inspected,
    /// Not asked: no drive firmware behind this kind of device (virtio, loop, file, SD).
    NotAsked { why: String },
    /// Asked, and the device refused or failed (a USB bridge without passthrough, no
    /// permission, an error).
    Refused { why: String },
}

/// ATA SANITIZE as IDENTIFY word 59 and SANITIZE STATUS EXT say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtaSanitizeFacts {
    pub crypto: bool,
    pub block: bool,
    pub overwrite: bool,
    /// `None`: the status could not be read.
    pub frozen: Option<bool>,
    pub in_progress: bool,
}

/// What an ATA drive offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtaFacts {
    pub model: String,
    pub serial: String,
    pub security_supported: bool,
    pub security_enabled: bool,
    pub locked: bool,
    pub frozen: bool,
    pub password_attempts_expired: bool,
    pub enhanced_erase_supported: bool,
    /// The drive's estimates (words 89/90), minutes; `None` when not reported.
    pub erase_minutes: Option<u32>,
    pub enhanced_erase_minutes: Option<u32>,
    pub sanitize: Option<AtaSanitizeFacts>,
    pub sector_size: u32,
    /// Accessible sectors (IDENTIFY), native sectors (READ NATIVE MAX ADDRESS: more when an
    /// HPA hides the end) and factory sectors (DEVICE CONFIGURATION IDENTIFY: more when a DCO
    /// hides the end). `None`: could not be read (`hidden_why` says why).
    pub identify_sectors: u64,
    pub native_sectors: Option<u64>,
    pub factory_sectors: Option<u64>,
    pub hidden_why: Option<String>,
    pub lba48: bool,
    /// Accessible Max Address Configuration (ACS-3) instead of SET MAX ADDRESS.
    pub amac: bool,
    pub dco_supported: bool,
}

impl AtaFacts {
    /// Sectors hidden by a Host Protected Area, when known.
    pub fn hpa_sectors(&self) -> Option<u64> {
        self.native_sectors
            .map(|n| n.saturating_sub(self.identify_sectors))
    }

    /// Sectors hidden by a Device Configuration Overlay, when known.
    pub fn dco_sectors(&self) -> Option<u64> {
        Some(self.factory_sectors?.saturating_sub(self.native_sectors?))
    }
}

/// What an NVMe controller and namespace offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NvmeFacts {
    /// The controller, as model and serial (namespaces of one controller share it).
    pub controller: String,
    pub nsid: u32,
    /// Active namespaces of the controller (empty: the list could not be read).
    pub namespaces: Vec<u32>,
    pub sanitize_crypto: bool,
    pub sanitize_block: bool,
    pub sanitize_overwrite: bool,
    pub format: bool,
    /// FNA bit 0 / bit 1: a format / a secure erase applies to every namespace.
    pub format_all_namespaces: bool,
    pub secure_erase_all_namespaces: bool,
    /// FNA bit 2: cryptographic erase in Format NVM.
    pub crypto_erase: bool,
    /// LBA format in use, metadata at the end of the block (MSET), protection type and
    /// location (PI, PIL): a Format keeps them.
    pub lba_format: u8,
    pub mset: bool,
    pub pi: u8,
    pub pil: bool,
    /// What deallocated blocks read as (DLFEAT): "changed_or_zeros", "changed_or_ones".
    pub dealloc: Option<PostErase>,
    /// The controller's estimates for a sanitize, seconds (Sanitize Status log).
    pub estimate_crypto_s: Option<u32>,
    pub estimate_block_s: Option<u32>,
    pub estimate_overwrite_s: Option<u32>,
    /// A sanitize is in progress or failed (from the log).
    pub sanitize_state: Option<String>,
}

/// What a SCSI disk reports for SANITIZE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScsiFacts {
    pub overwrite: bool,
    pub block: bool,
    pub crypto: bool,
    /// Why SANITIZE support could not be established, if it could not.
    pub why_unknown: Option<String>,
}

/// Everything the planner knows about a drive's firmware.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriveFacts {
    pub access: Access,
    pub ata: Option<AtaFacts>,
    pub nvme: Option<NvmeFacts>,
    pub scsi: Option<ScsiFacts>,
}

impl DriveFacts {
    /// Facts that say only that nothing was asked, and why.
    pub fn not_asked(why: impl Into<String>) -> DriveFacts {
        DriveFacts {
            access: Access::NotAsked { why: why.into() },
            ata: None,
            nvme: None,
            scsi: None,
        }
    }

    fn refused(why: impl Into<String>) -> DriveFacts {
        DriveFacts {
            access: Access::Refused { why: why.into() },
            ..DriveFacts::not_asked("")
        }
    }

    /// What the drive can do, in a few words per technique ("nvme sanitize: crypto, block").
    pub fn supports(&self) -> Vec<String> {
        let yes = |list: &[(&str, bool)]| {
            let v: Vec<&str> = list.iter().filter(|(_, b)| *b).map(|(n, _)| *n).collect();
            if v.is_empty() {
                "no".to_owned()
            } else {
                v.join(", ")
            }
        };
        let mut out = Vec::new();
        if let Some(n) = &self.nvme {
            out.push(format!(
                "NVMe Sanitize: {}",
                yes(&[
                    ("crypto", n.sanitize_crypto),
                    ("block", n.sanitize_block),
                    ("overwrite", n.sanitize_overwrite)
                ])
            ));
            out.push(format!(
                "NVMe Format: {}",
                if n.format {
                    if n.crypto_erase {
                        "user data erase, crypto erase"
                    } else {
                        "user data erase"
                    }
                } else {
                    "no"
                }
            ));
        }
        if let Some(a) = &self.ata {
            match &a.sanitize {
                Some(s) => out.push(format!(
                    "ATA SANITIZE: {}{}",
                    yes(&[
                        ("crypto", s.crypto),
                        ("block", s.block),
                        ("overwrite", s.overwrite)
                    ]),
                    if s.frozen == Some(true) {
                        " (frozen)"
                    } else {
                        ""
                    }
                )),
                None => out.push("ATA SANITIZE: no".into()),
            }
            out.push(format!(
                "ATA security erase: {}",
                match (a.security_supported, a.enhanced_erase_supported) {
                    (false, _) => "no".to_owned(),
                    (true, e) => format!(
                        "{}{}{}",
                        if e { "normal, enhanced" } else { "normal" },
                        if a.frozen { " (frozen)" } else { "" },
                        if a.locked { " (locked)" } else { "" }
                    ),
                }
            ));
        }
        if let Some(s) = &self.scsi {
            out.push(format!(
                "SCSI SANITIZE: {}",
                match &s.why_unknown {
                    Some(w) => format!("unknown ({w})"),
                    None => yes(&[
                        ("overwrite", s.overwrite),
                        ("block", s.block),
                        ("crypto", s.crypto)
                    ]),
                }
            ));
        }
        out
    }
}

/// The protocol to reach a drive of this transport, if it has firmware to reach.
pub fn protocol(transport: Transport) -> Option<Protocol> {
    match transport {
        Transport::Nvme => Some(Protocol::Nvme),
        Transport::Sata | Transport::Usb | Transport::Scsi => Some(Protocol::Sat),
        _ => None,
    }
}

/// Opens the device at `path` for inspection and asks its drive what it can do.
pub fn inspect_path(path: &Path, transport: Transport) -> DriveFacts {
    let Some(proto) = protocol(transport) else {
        return DriveFacts::not_asked(format!(
            "a {} device has no drive firmware to ask",
            transport.display_name()
        ));
    };
    match open_for_inspection(path, proto) {
        Ok(mut drive) => inspect(&mut drive, transport),
        Err(e) => DriveFacts::refused(error_chain(&e)),
    }
}

/// Asks `drive` (reached over `transport`) what it can do. Never fails: what could not be read
/// is said in the facts.
pub fn inspect(drive: &mut dyn Passthrough, transport: Transport) -> DriveFacts {
    match transport {
        Transport::Nvme => inspect_nvme(drive),
        Transport::Sata | Transport::Usb => inspect_ata(drive),
        Transport::Scsi => {
            // A SATA disk behind a SAS HBA answers ATA; a SAS disk only SCSI.
            let facts = inspect_ata(drive);
            if facts.ata.is_some() {
                facts
            } else {
                inspect_scsi(drive)
            }
        }
        t => DriveFacts::not_asked(format!(
            "a {} device has no drive firmware to ask",
            t.display_name()
        )),
    }
}

/// The command that reads an ATA drive's native maximum address: GET NATIVE MAX ADDRESS EXT of
/// ACCESSIBLE MAX ADDRESS CONFIGURATION on the (ACS-3) drives that have it (`amac`), else READ
/// NATIVE MAX ADDRESS EXT.
pub(crate) fn read_native_max(amac: bool) -> AtaCommand {
    if amac {
        AtaCommand {
            features: ata::AMAC_GET_NATIVE_MAX,
            ext: true,
            device: ata::DEVICE_LBA,
            ..AtaCommand::new(ata::ACCESSIBLE_MAX_ADDRESS)
        }
    } else {
        AtaCommand {
            ext: true,
            device: ata::DEVICE_LBA,
            ..AtaCommand::new(ata::READ_NATIVE_MAX_ADDRESS_EXT)
        }
    }
}

fn inspect_ata(drive: &mut dyn Passthrough) -> DriveFacts {
    let mut buf = vec![0u8; 512];
    if let Err(e) = drive.ata(
        &AtaCommand::new(ata::IDENTIFY_DEVICE),
        AtaData::In(&mut buf),
    ) {
        return DriveFacts::refused(error_chain(&e));
    }
    let id = match pata::parse_identify(&buf) {
        Ok(id) => id,
        Err(e) => return DriveFacts::refused(error_chain(&e)),
    };
    let w = &id.words;
    let amac = pata::valid_word(w[119]) && w[119] & (1 << 8) != 0;
    let mut hidden_why = None;
    let read_native = read_native_max(amac);
    let native_sectors = if !id.lba48_supported {
        hidden_why = Some("a 28-bit drive: native capacity not read".to_owned());
        None
    } else {
        match drive.ata(&read_native, AtaData::None) {
            // Below the accessible capacity is impossible: an answer not to be trusted (a
            // translation that returned CHS, say).
            Ok(r) if r.lba + 1 < id.capacity_sectors => {
                hidden_why = Some(format!(
                    "the native capacity reported ({} sectors) is below the accessible one ({}): not trusted",
                    r.lba + 1,
                    id.capacity_sectors
                ));
                None
            }
            Ok(r) => Some(r.lba + 1),
            // A drive without the HPA feature set cannot hide anything behind one.
            Err(_) if !id.hpa_supported && !amac => Some(id.capacity_sectors),
            Err(e) => {
                hidden_why = Some(format!("native capacity: {}", error_chain(&e)));
                None
            }
        }
    };
    let factory_sectors = if id.dco_supported {
        let mut dco = vec![0u8; 512];
        let cmd = AtaCommand {
            features: ata::DCO_IDENTIFY,
            ..AtaCommand::new(ata::DEVICE_CONFIGURATION)
        };
        match drive
            .ata(&cmd, AtaData::In(&mut dco))
            .map_err(|e| error_chain(&e))
            .and_then(|_| perase::parse_dco_identify(&dco).map_err(|e| e.to_string()))
        {
            Ok(d) => Some(d.factory_sectors()),
            Err(why) => {
                hidden_why.get_or_insert(format!("device configuration overlay: {why}"));
                None
            }
        }
    } else {
        // No DCO feature set: nothing hidden beyond the native capacity.
        native_sectors
    };
    let sanitize = id.sanitize.supported.then(|| {
        let status = drive.ata(
            &AtaCommand {
                features: ata::SANITIZE_STATUS_EXT,
                ext: true,
                device: ata::DEVICE_LBA,
                ..AtaCommand::new(ata::SANITIZE)
            },
            AtaData::None,
        );
        let st = status
            .ok()
            .map(|r| perase::ata_sanitize_status(r.count, r.lba));
        AtaSanitizeFacts {
            crypto: id.sanitize.crypto_scramble,
            block: id.sanitize.block_erase,
            overwrite: id.sanitize.overwrite,
            frozen: st.map(|s| s.frozen),
            in_progress: st.is_some_and(|s| s.in_progress),
        }
    });
    let minutes = |t: pata::EraseTime| match t {
        pata::EraseTime::NotReported => None,
        pata::EraseTime::Minutes { minutes } | pata::EraseTime::MoreThan { minutes } => {
            Some(minutes)
        }
    };
    let s = &id.security;
    DriveFacts {
        access: Access::Inspected,
        ata: Some(AtaFacts {
            model: id.model.clone(),
            serial: id.serial.clone(),
            security_supported: s.supported,
            security_enabled: s.enabled,
            locked: s.locked,
            frozen: s.frozen,
            password_attempts_expired: s.count_expired,
            enhanced_erase_supported: s.enhanced_erase_supported,
            erase_minutes: minutes(s.erase_time),
            enhanced_erase_minutes: minutes(s.enhanced_erase_time),
            sanitize,
            sector_size: id.logical_sector_size,
            identify_sectors: id.capacity_sectors,
            native_sectors,
            factory_sectors,
            hidden_why,
            lba48: id.lba48_supported,
            amac,
            dco_supported: id.dco_supported,
        }),
        nvme: None,
        scsi: None,
    }
}

fn inspect_nvme(drive: &mut dyn Passthrough) -> DriveFacts {
    let mut buf = vec![0u8; pnvme::IDENTIFY_LEN];
    let ctrl = match drive
        .nvme_admin(&NvmeCommand::identify(nvme::CNS_CONTROLLER, 0), &mut buf)
        .map_err(|e| error_chain(&e))
        .and_then(|_| pnvme::parse_identify_controller(&buf).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(why) => return DriveFacts::refused(why),
    };
    let nsid = drive.nvme_nsid().unwrap_or(1);
    let mut ns_buf = vec![0u8; pnvme::IDENTIFY_LEN];
    let ns = drive
        .nvme_admin(
            &NvmeCommand::identify(nvme::CNS_NAMESPACE, nsid),
            &mut ns_buf,
        )
        .ok()
        .and_then(|_| pnvme::parse_identify_namespace(&ns_buf).ok());
    let mut list = vec![0u8; 4096];
    let namespaces: Vec<u32> = match drive.nvme_admin(
        &NvmeCommand::identify(nvme::CNS_ACTIVE_NAMESPACES, 0),
        &mut list,
    ) {
        Ok(_) => list
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .take_while(|id| *id != 0)
            .collect(),
        Err(_) => Vec::new(),
    };
    let cap = ctrl.sanicap;
    let any_sanitize = cap.crypto_erase || cap.block_erase || cap.overwrite;
    let log = any_sanitize
        .then(|| {
            let mut l = vec![0u8; pnvme::LOG_512];
            drive
                .nvme_admin(
                    &NvmeCommand::get_log_page(nvme::LOG_SANITIZE, 0, l.len()),
                    &mut l,
                )
                .ok()
                .and_then(|_| pnvme::parse_sanitize_log(&l).ok())
        })
        .flatten();
    let secs = |e: pnvme::Estimate| match e {
        pnvme::Estimate::Seconds { seconds } => Some(seconds),
        pnvme::Estimate::NoEstimate => None,
    };
    DriveFacts {
        access: Access::Inspected,
        ata: None,
        nvme: Some(NvmeFacts {
            controller: format!("{} {}", ctrl.model.trim(), ctrl.serial.trim()),
            nsid,
            namespaces,
            sanitize_crypto: cap.crypto_erase,
            sanitize_block: cap.block_erase,
            sanitize_overwrite: cap.overwrite,
            format: ctrl.oacs.format_nvm,
            format_all_namespaces: ctrl.fna.format_all_namespaces,
            secure_erase_all_namespaces: ctrl.fna.secure_erase_all_namespaces,
            crypto_erase: ctrl.fna.crypto_erase_supported,
            lba_format: ns.as_ref().map_or(0, |n| n.lba_format_index as u8),
            mset: ns.as_ref().is_some_and(|n| n.metadata_at_end_of_lba),
            pi: ns.as_ref().map_or(0, |n| n.dps & 7),
            pil: ns.as_ref().is_some_and(|n| n.dps & 8 != 0),
            dealloc: ns.as_ref().and_then(|n| match n.dlfeat & 7 {
                1 => Some(PostErase::Zeros),
                2 => Some(PostErase::Ones),
                _ => None,
            }),
            estimate_crypto_s: log.as_ref().and_then(|l| secs(l.estimated_crypto_erase)),
            estimate_block_s: log.as_ref().and_then(|l| secs(l.estimated_block_erase)),
            estimate_overwrite_s: log.as_ref().and_then(|l| secs(l.estimated_overwrite)),
            sanitize_state: log.as_ref().and_then(|l| match l.state {
                pnvme::SanitizeState::InProgress => Some("in_progress".to_owned()),
                pnvme::SanitizeState::Failed => Some("failed".to_owned()),
                _ => None,
            }),
        }),
        scsi: None,
    }
}

/// REPORT SUPPORTED OPERATION CODES for one command and service action (SPC-4 §6.35).
pub fn rsoc_cdb(opcode: u8, service_action: u8) -> [u8; 12] {
    [
        scsi::MAINTENANCE_IN,
        scsi::REPORT_SUPPORTED_OPERATION_CODES,
        0x03, // reporting options 011b: one command, with its service action
        opcode,
        0,
        service_action,
        0,
        0,
        0,
        64,
        0,
        0,
    ]
}

fn inspect_scsi(drive: &mut dyn Passthrough) -> DriveFacts {
    let mut ask = |sa: u8| -> Result<bool, String> {
        let mut data = [0u8; 64];
        let st = drive
            .scsi(
                &rsoc_cdb(scsi::SANITIZE, sa),
                ScsiData::In(&mut data),
                Duration::from_secs(10),
            )
            .map_err(|e| error_chain(&e))?;
        if !st.good() {
            return Err(match crate::parse::sat::sense_code(&st.sense) {
                Some(c) => format!(
                    "REPORT SUPPORTED OPERATION CODES refused (sense key {:#x}, ASC {:#04x}/{:#04x})",
                    c.key, c.asc, c.ascq
                ),
                None => format!(
                    "REPORT SUPPORTED OPERATION CODES failed (status {:#04x})",
                    st.status
                ),
            });
        }
        Ok(perase::opcode_support(&data) == perase::OpcodeSupport::Supported)
    };
    let answers = [
        ask(scsi::SANITIZE_OVERWRITE),
        ask(scsi::SANITIZE_BLOCK_ERASE),
        ask(scsi::SANITIZE_CRYPTO_ERASE),
    ];
    let why_unknown = answers.iter().find_map(|a| a.as_ref().err().cloned());
    let got = |i: usize| answers[i].as_ref().is_ok_and(|b| *b);
    DriveFacts {
        access: Access::Inspected,
        ata: None,
        nvme: None,
        scsi: Some(ScsiFacts {
            overwrite: got(0),
            block: got(1),
            crypto: got(2),
            why_unknown,
        }),
    }
}
