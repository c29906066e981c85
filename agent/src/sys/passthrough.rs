//! Commands to a drive's own firmware, behind the [`Passthrough`] seam: ATA commands through
//! SCSI/ATA Translation (SG_IO carrying ATA PASS-THROUGH (16), SAT-4 §12.2.2) and NVMe admin
//! commands (NVME_IOCTL_ADMIN_CMD). [`DeviceNode`] sends them to a real device; the simulated
//! drives of the tests' own crate (`reprise-sim`, in `sim/`) answer them with real state, so
//! everything above is tested without hardware.
//!
//! Reading a drive (IDENTIFY, SMART, logs, a self-test) goes through [`open_for_inspection`],
//! which refuses every command that changes the media or the drive's security state
//! ([`is_destructive_ata`], [`is_destructive_nvme`], [`is_destructive_scsi`]): those belong to
//! the firmware-erase path behind the write guard, never to the probe. The refusal is made twice:
//! by the [`Inspection`] wrapper, and by the [`DeviceNode`] itself, which only accepts such a
//! command when it was made by [`firmware_handle`] from a device the write guard opened (an
//! architecture test keeps that primitive to the guard).

use std::fs::{File, OpenOptions};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use nix::libc;

use super::blockdev::Device;
use super::ioctl::{self, NvmePassthruCmd, SgDirection};
use crate::parse::sat::{AtaRegisters, ata_registers, sense_code};

/// One ATA command (ACS-4 register model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtaCommand {
    pub command: u8,
    pub features: u16,
    pub count: u16,
    /// 28-bit (or 48-bit when `ext`) LBA field, also used as a parameter by many commands.
    pub lba: u64,
    pub device: u8,
    /// A 48-bit (EXT) command.
    pub ext: bool,
    pub timeout: Duration,
}

impl AtaCommand {
    /// A command with everything else zero, a 10-second timeout.
    pub fn new(command: u8) -> AtaCommand {
        AtaCommand {
            command,
            features: 0,
            count: 0,
            lba: 0,
            device: 0,
            ext: false,
            timeout: Duration::from_secs(10),
        }
    }
}

/// ATA command codes and SMART subcommands Reprise sends (ACS-4 §7).
pub mod ata {
    pub const IDENTIFY_DEVICE: u8 = 0xEC;
    pub const SMART: u8 = 0xB0;
    pub const SMART_READ_DATA: u16 = 0xD0;
    pub const SMART_READ_THRESHOLDS: u16 = 0xD1;
    pub const SMART_EXECUTE_OFFLINE_IMMEDIATE: u16 = 0xD4;
    pub const SMART_READ_LOG: u16 = 0xD5;
    pub const SMART_RETURN_STATUS: u16 = 0xDA;
    /// DEVICE register with the LBA bit: addresses in the LBA fields are LBAs, not
    /// cylinder/head/sector (QEMU, and drives following ATA-1 rules, answer in CHS without it).
    pub const DEVICE_LBA: u8 = 0x40;
    /// LBA mid/high of SMART commands: the key that tells the drive it is meant.
    pub const SMART_LBA_KEY: u64 = 0xC2_4F00;
    pub const READ_NATIVE_MAX_ADDRESS_EXT: u8 = 0x27;
    pub const READ_LOG_EXT: u8 = 0x2F;
    pub const SECURITY_SET_PASSWORD: u8 = 0xF1;
    pub const SECURITY_UNLOCK: u8 = 0xF2;
    pub const SECURITY_ERASE_PREPARE: u8 = 0xF3;
    pub const SECURITY_ERASE_UNIT: u8 = 0xF4;
    pub const SECURITY_FREEZE_LOCK: u8 = 0xF5;
    pub const SECURITY_DISABLE_PASSWORD: u8 = 0xF6;
    pub const SANITIZE: u8 = 0xB4;
    pub const SET_MAX_ADDRESS_EXT: u8 = 0x37;
    pub const DEVICE_CONFIGURATION: u8 = 0xB1;
    /// ACCESSIBLE MAX ADDRESS CONFIGURATION (ACS-3 §7.5), successor of SET MAX and DCO.
    pub const ACCESSIBLE_MAX_ADDRESS: u8 = 0x78;
    /// Its features: GET NATIVE MAX ADDRESS EXT, SET ACCESSIBLE MAX ADDRESS EXT.
    pub const AMAC_GET_NATIVE_MAX: u16 = 0x0000;
    pub const AMAC_SET_ACCESSIBLE_MAX: u16 = 0x0001;
    /// DEVICE CONFIGURATION features (ATA8-ACS §7.11): RESTORE, IDENTIFY.
    pub const DCO_RESTORE: u16 = 0x00C0;
    pub const DCO_IDENTIFY: u16 = 0x00C2;
    /// SANITIZE features (ACS-3 §7.36) and their LBA keys ("Cryp", "BkEr", "OW").
    pub const SANITIZE_STATUS_EXT: u16 = 0x0000;
    pub const SANITIZE_CRYPTO_SCRAMBLE_EXT: u16 = 0x0011;
    pub const SANITIZE_BLOCK_ERASE_EXT: u16 = 0x0012;
    pub const SANITIZE_OVERWRITE_EXT: u16 = 0x0014;
    pub const SANITIZE_FREEZE_LOCK_EXT: u16 = 0x0020;
    pub const SANITIZE_CRYPTO_KEY: u64 = 0x4372_7970;
    pub const SANITIZE_BLOCK_KEY: u64 = 0x426B_4572;
    pub const SANITIZE_OVERWRITE_KEY: u64 = 0x4F57 << 32;
}

/// NVMe admin opcodes Reprise sends (NVMe Base 2.0 Figure 28).
pub mod nvme {
    pub const GET_LOG_PAGE: u8 = 0x02;
    pub const IDENTIFY: u8 = 0x06;
    pub const DEVICE_SELF_TEST: u8 = 0x14;
    pub const FORMAT_NVM: u8 = 0x80;
    pub const SANITIZE: u8 = 0x84;
    /// Identify CNS values.
    pub const CNS_NAMESPACE: u32 = 0x00;
    pub const CNS_CONTROLLER: u32 = 0x01;
    pub const CNS_ACTIVE_NAMESPACES: u32 = 0x02;
    /// Every namespace (Format NVM, Get Log Page).
    pub const NSID_ALL: u32 = 0xFFFF_FFFF;
    /// Log page identifiers.
    pub const LOG_SMART: u8 = 0x02;
    pub const LOG_SELF_TEST: u8 = 0x06;
    pub const LOG_SANITIZE: u8 = 0x81;
}

/// SCSI operation codes Reprise sends (SPC-4, SBC-3).
pub mod scsi {
    pub const TEST_UNIT_READY: u8 = 0x00;
    pub const REQUEST_SENSE: u8 = 0x03;
    pub const INQUIRY: u8 = 0x12;
    pub const SANITIZE: u8 = 0x48;
    pub const LOG_SENSE: u8 = 0x4D;
    pub const MODE_SENSE_10: u8 = 0x5A;
    pub const MAINTENANCE_IN: u8 = 0xA3;
    /// MAINTENANCE IN service action REPORT SUPPORTED OPERATION CODES.
    pub const REPORT_SUPPORTED_OPERATION_CODES: u8 = 0x0C;
    pub const READ_CAPACITY_10: u8 = 0x25;
    pub const SERVICE_ACTION_IN_16: u8 = 0x9E;
    /// SANITIZE service actions (SBC-3 Table 81).
    pub const SANITIZE_OVERWRITE: u8 = 0x01;
    pub const SANITIZE_BLOCK_ERASE: u8 = 0x02;
    pub const SANITIZE_CRYPTO_ERASE: u8 = 0x03;
}

/// The data of a SCSI command.
#[derive(Debug)]
pub enum ScsiData<'a> {
    None,
    In(&'a mut [u8]),
    Out(&'a [u8]),
}

/// How a SCSI command ended at the device (a transport failure is an error instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScsiStatus {
    /// SCSI status: 0 GOOD, 2 CHECK CONDITION (the sense data says why).
    pub status: u8,
    pub sense: Vec<u8>,
}

impl ScsiStatus {
    pub fn good(&self) -> bool {
        self.status == 0
    }
}

/// The data of an ATA command.
#[derive(Debug)]
pub enum AtaData<'a> {
    None,
    /// PIO data-in: the buffer's length in 512-byte blocks is the transfer.
    In(&'a mut [u8]),
    /// PIO data-out.
    Out(&'a [u8]),
}

/// One NVMe admin command (submission queue entry fields that matter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NvmeCommand {
    pub opcode: u8,
    pub nsid: u32,
    pub cdw10: u32,
    pub cdw11: u32,
    pub cdw12: u32,
    pub cdw13: u32,
    pub cdw14: u32,
    pub cdw15: u32,
    pub timeout: Duration,
}

impl NvmeCommand {
    pub fn new(opcode: u8) -> NvmeCommand {
        NvmeCommand {
            opcode,
            nsid: 0,
            cdw10: 0,
            cdw11: 0,
            cdw12: 0,
            cdw13: 0,
            cdw14: 0,
            cdw15: 0,
            timeout: Duration::from_secs(10),
        }
    }

    /// Identify with `cns` for namespace `nsid` (4096 bytes of data).
    pub fn identify(cns: u32, nsid: u32) -> NvmeCommand {
        NvmeCommand {
            nsid,
            cdw10: cns,
            ..NvmeCommand::new(nvme::IDENTIFY)
        }
    }

    /// Get Log Page `lid` for `nsid`, `len` bytes (a multiple of 4).
    pub fn get_log_page(lid: u8, nsid: u32, len: usize) -> NvmeCommand {
        let dwords = (len / 4).saturating_sub(1) as u32;
        NvmeCommand {
            nsid,
            cdw10: u32::from(lid) | (dwords & 0xffff) << 16,
            cdw11: dwords >> 16,
            ..NvmeCommand::new(nvme::GET_LOG_PAGE)
        }
    }
}

/// Why a command did not complete.
#[derive(Debug, thiserror::Error)]
pub enum PassthroughError {
    #[error("{dev}: {why}")]
    Unsupported { dev: String, why: String },
    #[error(
        "{dev}: ATA command {command:#04x} aborted by the drive (status {status:#04x}, error {error:#04x})"
    )]
    Aborted {
        dev: String,
        command: u8,
        status: u8,
        error: u8,
        /// LBA and COUNT left by the drive: some commands say why there (SANITIZE: the reason
        /// in LBA 7:0).
        lba: u64,
        count: u16,
    },
    #[error("{dev}: NVMe admin command {opcode:#04x} failed: status {status:#06x} ({})", nvme_status_text(*status))]
    NvmeStatus {
        dev: String,
        opcode: u8,
        status: u16,
    },
    #[error(
        "{dev}: ATA command {command:#04x}: SCSI status {status:#04x}, host {host:#x}, driver {driver:#x}, sense {sense}"
    )]
    Transport {
        dev: String,
        command: u8,
        status: u8,
        host: u16,
        driver: u16,
        sense: String,
    },
    #[error(
        "{dev}: refusing {what}: it changes the drive; only the firmware-erase path may send it"
    )]
    Destructive { dev: String, what: String },
    #[error("{dev}: {op} failed")]
    Os {
        dev: String,
        op: &'static str,
        #[source]
        source: nix::Error,
    },
    #[error("{dev}: the drive is gone")]
    Gone { dev: String },
}

/// The NVMe status field in words (Status Code Type and Status Code).
pub fn nvme_status_text(status: u16) -> String {
    let (sct, sc) = ((status >> 8) & 0x7, status & 0xff);
    let what = match (sct, sc) {
        (0, 0x01) => "invalid command opcode",
        (0, 0x02) => "invalid field in command",
        (0, 0x06) => "internal error",
        (0, 0x0b) => "invalid namespace or format",
        (0, 0x1c) => "sanitize failed",
        (0, 0x1d) => "sanitize in progress",
        (0, 0x20) => "namespace is write protected",
        (1, 0x0a) => "invalid format",
        (1, 0x1d) => "self-test in progress",
        (2, 0x81) => "unrecovered read error",
        _ => "see NVMe Base §4.6.1.2",
    };
    format!("type {sct}, code {sc:#04x}: {what}")
}

/// A drive's firmware, as commands reach it.
pub trait Passthrough: Send {
    /// The device this talks to, for messages.
    fn name(&self) -> &str;
    /// Sends an ATA command; returns the registers it left.
    fn ata(
        &mut self,
        cmd: &AtaCommand,
        data: AtaData<'_>,
    ) -> Result<AtaRegisters, PassthroughError>;
    /// Sends an NVMe admin command; returns completion dword 0.
    fn nvme_admin(&mut self, cmd: &NvmeCommand, data: &mut [u8]) -> Result<u32, PassthroughError>;
    /// Sends a SCSI command (`cdb`) and returns its status and sense data. Drives that speak no
    /// SCSI (NVMe) refuse it.
    fn scsi(
        &mut self,
        _cdb: &[u8],
        _data: ScsiData<'_>,
        _timeout: Duration,
    ) -> Result<ScsiStatus, PassthroughError> {
        Err(PassthroughError::Unsupported {
            dev: self.name().to_owned(),
            why: "this drive takes no SCSI commands".into(),
        })
    }
    /// The NVMe namespace id of the node commands go through, when it is an NVMe namespace.
    fn nvme_nsid(&self) -> Option<u32> {
        None
    }
}

/// A borrowed drive is a drive: lets a wrapper ([`Inspection`]) sit in front of a drive held
/// elsewhere (a `Box<dyn Passthrough>` in a map of simulated drives).
impl<T: Passthrough + ?Sized> Passthrough for &mut T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn ata(
        &mut self,
        cmd: &AtaCommand,
        data: AtaData<'_>,
    ) -> Result<AtaRegisters, PassthroughError> {
        (**self).ata(cmd, data)
    }
    fn nvme_admin(&mut self, cmd: &NvmeCommand, data: &mut [u8]) -> Result<u32, PassthroughError> {
        (**self).nvme_admin(cmd, data)
    }
}

/// Whether an ATA command changes the media, the capacity or the security state (or is unknown
/// to the inspection whitelist): the inspection path refuses it.
pub fn is_destructive_ata(cmd: &AtaCommand) -> bool {
    match cmd.command {
        ata::IDENTIFY_DEVICE | ata::READ_NATIVE_MAX_ADDRESS_EXT | ata::READ_LOG_EXT => false,
        // Reading the overlay's capacity, the native capacity, or the sanitize status (without
        // its CLEAR SANITIZE OPERATION FAILED bit, which changes the drive's state).
        ata::DEVICE_CONFIGURATION => cmd.features != ata::DCO_IDENTIFY,
        ata::ACCESSIBLE_MAX_ADDRESS => cmd.features != ata::AMAC_GET_NATIVE_MAX,
        ata::SANITIZE => cmd.features != ata::SANITIZE_STATUS_EXT || cmd.count & 1 != 0,
        ata::SMART => !matches!(
            cmd.features,
            ata::SMART_READ_DATA
                | ata::SMART_READ_THRESHOLDS
                | ata::SMART_RETURN_STATUS
                | ata::SMART_READ_LOG
                | ata::SMART_EXECUTE_OFFLINE_IMMEDIATE
        ),
        // Everything else — writes, security, sanitize, SET MAX, DCO, microcode, trim — and any
        // command not listed here.
        _ => true,
    }
}

/// Whether an NVMe admin command changes the media, the namespaces or the firmware (or is unknown
/// to the inspection whitelist).
pub fn is_destructive_nvme(cmd: &NvmeCommand) -> bool {
    !matches!(
        cmd.opcode,
        nvme::IDENTIFY | nvme::GET_LOG_PAGE | nvme::DEVICE_SELF_TEST
    )
}

/// Whether a SCSI command changes the media or the device (or is unknown to the inspection
/// whitelist): only commands that read are let through.
pub fn is_destructive_scsi(cdb: &[u8]) -> bool {
    match (cdb.first().copied(), cdb.get(1).map(|b| b & 0x1f)) {
        (
            Some(
                scsi::TEST_UNIT_READY
                | scsi::REQUEST_SENSE
                | scsi::INQUIRY
                | scsi::LOG_SENSE
                | scsi::MODE_SENSE_10
                | scsi::READ_CAPACITY_10,
            ),
            _,
        ) => false,
        (Some(scsi::MAINTENANCE_IN), Some(scsi::REPORT_SUPPORTED_OPERATION_CODES)) => false,
        // READ CAPACITY (16) is SERVICE ACTION IN (16) / 10h.
        (Some(scsi::SERVICE_ACTION_IN_16), Some(0x10)) => false,
        _ => true,
    }
}

/// Wraps a drive so that only commands that read it (and the self-test) pass.
#[derive(Debug)]
pub struct Inspection<P>(pub P);

impl<P: Passthrough> Passthrough for Inspection<P> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn ata(
        &mut self,
        cmd: &AtaCommand,
        data: AtaData<'_>,
    ) -> Result<AtaRegisters, PassthroughError> {
        if is_destructive_ata(cmd) || matches!(data, AtaData::Out(_)) {
            return Err(PassthroughError::Destructive {
                dev: self.0.name().to_owned(),
                what: format!(
                    "ATA command {:#04x} (features {:#06x})",
                    cmd.command, cmd.features
                ),
            });
        }
        self.0.ata(cmd, data)
    }
    fn nvme_admin(&mut self, cmd: &NvmeCommand, data: &mut [u8]) -> Result<u32, PassthroughError> {
        if is_destructive_nvme(cmd) {
            return Err(PassthroughError::Destructive {
                dev: self.0.name().to_owned(),
                what: format!("NVMe admin command {:#04x}", cmd.opcode),
            });
        }
        self.0.nvme_admin(cmd, data)
    }
    fn scsi(
        &mut self,
        cdb: &[u8],
        data: ScsiData<'_>,
        timeout: Duration,
    ) -> Result<ScsiStatus, PassthroughError> {
        if is_destructive_scsi(cdb) || matches!(data, ScsiData::Out(_)) {
            return Err(PassthroughError::Destructive {
                dev: self.0.name().to_owned(),
                what: format!("SCSI command {:#04x}", cdb.first().copied().unwrap_or(0)),
            });
        }
        self.0.scsi(cdb, data, timeout)
    }
    fn nvme_nsid(&self) -> Option<u32> {
        self.0.nvme_nsid()
    }
}

/// How a device node speaks to its drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// SCSI disk node of a SATA drive (libata) or behind a SAT-capable USB bridge.
    Sat,
    /// NVMe namespace or controller node.
    Nvme,
}

/// A real device node, commands sent by ioctl.
#[derive(Debug)]
pub struct DeviceNode {
    file: File,
    name: String,
    protocol: Protocol,
    /// Made from a device the write guard opened ([`firmware_handle`]): commands that change
    /// the drive are allowed. False for inspection, which refuses them here too.
    may_change: bool,
}

/// Opens the device node at `path` for inspection: read-only, and only commands that read the
/// drive (or start its self-test) go through.
pub fn open_for_inspection(
    path: &Path,
    protocol: Protocol,
) -> Result<Inspection<DeviceNode>, PassthroughError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| PassthroughError::Os {
            dev: path.display().to_string(),
            op: "open",
            source: nix::Error::from_raw(e.raw_os_error().unwrap_or(libc::EIO)),
        })?;
    Ok(Inspection(DeviceNode {
        file,
        name: path.display().to_string(),
        protocol,
        may_change: false,
    }))
}

/// THE PRIMITIVE BEHIND THE FIRMWARE-ERASE PATH: a handle on the drive behind `device` that
/// accepts commands which change the media or the drive's security state. `device` is what the
/// write guard opened (read-write, `O_EXCL`, checked to be the planned disk); only the guard
/// may call this — an architecture test fails if anything else does.
pub fn firmware_handle(
    device: &Device,
    protocol: Protocol,
) -> Result<DeviceNode, PassthroughError> {
    let name = device.path_display();
    if !device.is_block_device() {
        return Err(PassthroughError::Unsupported {
            dev: name,
            why: "a regular file has no drive firmware".into(),
        });
    }
    let file = device.clone_file().map_err(|e| PassthroughError::Os {
        dev: name.clone(),
        op: "dup",
        source: nix::Error::from_raw(e.raw_os_error().unwrap_or(libc::EIO)),
    })?;
    Ok(DeviceNode {
        file,
        name,
        protocol,
        may_change: true,
    })
}

/// The 16-byte ATA PASS-THROUGH (16) CDB of `cmd` (SAT-4 §12.2.2.3), with CK_COND set so that
/// the registers come back in the sense data.
pub fn ata_pass_through_16(cmd: &AtaCommand, data: &AtaData<'_>) -> [u8; 16] {
    // PROTOCOL: 3 non-data, 4 PIO data-in, 5 PIO data-out.
    let (protocol, t_dir, t_length) = match data {
        AtaData::None => (3u8, 0u8, 0u8),
        AtaData::In(_) => (4, 1, 2),
        AtaData::Out(_) => (5, 0, 2),
    };
    let byt_blok = u8::from(t_length != 0);
    let l = cmd.lba;
    [
        0x85,
        (protocol << 1) | u8::from(cmd.ext),
        (1 << 5) | (t_dir << 3) | (byt_blok << 2) | t_length,
        (cmd.features >> 8) as u8,
        cmd.features as u8,
        (cmd.count >> 8) as u8,
        cmd.count as u8,
        (l >> 24) as u8,
        l as u8,
        (l >> 32) as u8,
        (l >> 8) as u8,
        (l >> 40) as u8,
        (l >> 16) as u8,
        cmd.device,
        cmd.command,
        0,
    ]
}

impl Passthrough for DeviceNode {
    fn name(&self) -> &str {
        &self.name
    }

    fn ata(
        &mut self,
        cmd: &AtaCommand,
        data: AtaData<'_>,
    ) -> Result<AtaRegisters, PassthroughError> {
        if self.protocol != Protocol::Sat {
            return Err(PassthroughError::Unsupported {
                dev: self.name.clone(),
                why: "an NVMe drive takes no ATA commands".into(),
            });
        }
        if !self.may_change && (is_destructive_ata(cmd) || matches!(data, AtaData::Out(_))) {
            return Err(self.refused(format!("ATA command {:#04x}", cmd.command)));
        }
        let cdb = ata_pass_through_16(cmd, &data);
        let timeout = u32::try_from(cmd.timeout.as_millis()).unwrap_or(u32::MAX);
        let mut empty = [0u8; 0];
        let (direction, buf): (SgDirection, &mut [u8]) = match data {
            AtaData::None => (SgDirection::None, &mut empty),
            AtaData::In(b) => (SgDirection::FromDevice, b),
            // SG_IO takes a mutable pointer either way; copy to keep the caller's slice shared.
            AtaData::Out(b) => {
                let mut owned = b.to_vec();
                return self.send_out(cmd, &cdb, &mut owned, timeout);
            }
        };
        let out = ioctl::sg_io(self.file.as_fd(), &cdb, direction, buf, timeout)
            .map_err(|e| self.os_error("SG_IO", e))?;
        self.registers(cmd, &out)
    }

    fn nvme_admin(&mut self, cmd: &NvmeCommand, data: &mut [u8]) -> Result<u32, PassthroughError> {
        if self.protocol != Protocol::Nvme {
            return Err(PassthroughError::Unsupported {
                dev: self.name.clone(),
                why: "not an NVMe drive".into(),
            });
        }
        if !self.may_change && is_destructive_nvme(cmd) {
            return Err(self.refused(format!("NVMe admin command {:#04x}", cmd.opcode)));
        }
        let mut raw = NvmePassthruCmd {
            opcode: cmd.opcode,
            nsid: cmd.nsid,
            cdw10: cmd.cdw10,
            cdw11: cmd.cdw11,
            cdw12: cmd.cdw12,
            cdw13: cmd.cdw13,
            cdw14: cmd.cdw14,
            cdw15: cmd.cdw15,
            timeout_ms: u32::try_from(cmd.timeout.as_millis()).unwrap_or(u32::MAX),
            ..NvmePassthruCmd::default()
        };
        let status = ioctl::nvme_admin(self.file.as_fd(), &mut raw, data)
            .map_err(|e| self.os_error("NVME_IOCTL_ADMIN_CMD", e))?;
        if status != 0 {
            return Err(PassthroughError::NvmeStatus {
                dev: self.name.clone(),
                opcode: cmd.opcode,
                status,
            });
        }
        Ok(raw.result)
    }

    fn scsi(
        &mut self,
        cdb: &[u8],
        data: ScsiData<'_>,
        timeout: Duration,
    ) -> Result<ScsiStatus, PassthroughError> {
        if self.protocol != Protocol::Sat {
            return Err(PassthroughError::Unsupported {
                dev: self.name.clone(),
                why: "an NVMe drive takes no SCSI commands".into(),
            });
        }
        if !self.may_change && (is_destructive_scsi(cdb) || matches!(data, ScsiData::Out(_))) {
            return Err(self.refused(format!(
                "SCSI command {:#04x}",
                cdb.first().copied().unwrap_or(0)
            )));
        }
        let timeout = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        let mut empty = [0u8; 0];
        let mut owned;
        let (direction, buf): (SgDirection, &mut [u8]) = match data {
            ScsiData::None => (SgDirection::None, &mut empty),
            ScsiData::In(b) => (SgDirection::FromDevice, b),
            ScsiData::Out(b) => {
                owned = b.to_vec();
                (SgDirection::ToDevice, &mut owned)
            }
        };
        let out = ioctl::sg_io(self.file.as_fd(), cdb, direction, buf, timeout)
            .map_err(|e| self.os_error("SG_IO", e))?;
        // Host or driver trouble (a timeout, a reset, the device gone) is not the device's
        // answer: no status to read.
        let driver = out.driver_status & 0x0f;
        if out.host_status != 0 || (driver != 0 && driver != 0x08) {
            return Err(PassthroughError::Transport {
                dev: self.name.clone(),
                command: cdb.first().copied().unwrap_or(0),
                status: out.status,
                host: out.host_status,
                driver: out.driver_status,
                sense: hex::encode(&out.sense),
            });
        }
        Ok(ScsiStatus {
            status: out.status,
            sense: out.sense,
        })
    }

    fn nvme_nsid(&self) -> Option<u32> {
        if self.protocol != Protocol::Nvme {
            return None;
        }
        // The controller's character device (/dev/nvme0) has no namespace: ENOTTY.
        ioctl::nvme_namespace_id(self.file.as_fd()).ok()
    }
}

impl DeviceNode {
    fn refused(&self, what: String) -> PassthroughError {
        PassthroughError::Destructive {
            dev: self.name.clone(),
            what,
        }
    }

    fn send_out(
        &mut self,
        cmd: &AtaCommand,
        cdb: &[u8; 16],
        data: &mut [u8],
        timeout: u32,
    ) -> Result<AtaRegisters, PassthroughError> {
        let out = ioctl::sg_io(self.file.as_fd(), cdb, SgDirection::ToDevice, data, timeout)
            .map_err(|e| self.os_error("SG_IO", e))?;
        self.registers(cmd, &out)
    }

    fn os_error(&self, op: &'static str, e: nix::Error) -> PassthroughError {
        match e {
            nix::Error::ENODEV | nix::Error::ENXIO | nix::Error::ENOMEDIUM => {
                PassthroughError::Gone {
                    dev: self.name.clone(),
                }
            }
            source => PassthroughError::Os {
                dev: self.name.clone(),
                op,
                source,
            },
        }
    }

    /// Reads the outcome of an ATA PASS-THROUGH: the registers from the sense data, or why
    /// there are none (a USB bridge that does not translate ATA says ILLEGAL REQUEST).
    fn registers(
        &self,
        cmd: &AtaCommand,
        out: &ioctl::SgOutcome,
    ) -> Result<AtaRegisters, PassthroughError> {
        if let Some(regs) = ata_registers(&out.sense) {
            if regs.failed() {
                return Err(PassthroughError::Aborted {
                    dev: self.name.clone(),
                    command: cmd.command,
                    status: regs.status,
                    error: regs.error,
                    lba: regs.lba,
                    count: regs.count,
                });
            }
            return Ok(regs);
        }
        let sense_text = hex::encode(&out.sense);
        if let Some(code) = sense_code(&out.sense)
            && code.key == 0x05
        {
            return Err(PassthroughError::Unsupported {
                dev: self.name.clone(),
                why: format!(
                    "ATA pass-through refused (ILLEGAL REQUEST, ASC {:#04x}/{:#04x}): a USB bridge or SCSI disk that does not carry ATA commands",
                    code.asc, code.ascq
                ),
            });
        }
        Err(PassthroughError::Transport {
            dev: self.name.clone(),
            command: cmd.command,
            status: out.status,
            host: out.host_status,
            driver: out.driver_status,
            sense: sense_text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identify_cdb_is_the_sat_pio_in_form() {
        let cdb = ata_pass_through_16(
            &AtaCommand::new(ata::IDENTIFY_DEVICE),
            &AtaData::In(&mut [0u8; 512]),
        );
        // PIO data-in (protocol 4), CK_COND, T_DIR in, BYT_BLOK, length in COUNT.
        assert_eq!(cdb[..3], [0x85, 0x08, 0x2e]);
        assert_eq!(cdb[14], 0xEC);
        let smart = AtaCommand {
            features: ata::SMART_RETURN_STATUS,
            lba: ata::SMART_LBA_KEY,
            ..AtaCommand::new(ata::SMART)
        };
        let cdb = ata_pass_through_16(&smart, &AtaData::None);
        assert_eq!(cdb[..3], [0x85, 0x06, 0x20]);
        assert_eq!(
            (cdb[4], cdb[10], cdb[12], cdb[14]),
            (0xDA, 0x4F, 0xC2, 0xB0)
        );
    }

    #[test]
    fn ext_commands_carry_48_bits() {
        let cmd = AtaCommand {
            lba: 0x0102_0304_0506,
            count: 0xABCD,
            ext: true,
            ..AtaCommand::new(ata::READ_NATIVE_MAX_ADDRESS_EXT)
        };
        let cdb = ata_pass_through_16(&cmd, &AtaData::None);
        assert_eq!(cdb[1] & 1, 1);
        assert_eq!(
            &cdb[5..13],
            &[0xAB, 0xCD, 0x03, 0x06, 0x02, 0x05, 0x01, 0x04]
        );
    }

    #[test]
    fn inspection_lets_only_reading_commands_through() {
        let read = [
            AtaCommand::new(ata::IDENTIFY_DEVICE),
            AtaCommand {
                features: ata::SMART_READ_DATA,
                ..AtaCommand::new(ata::SMART)
            },
            // SANITIZE STATUS EXT, DEVICE CONFIGURATION IDENTIFY, GET NATIVE MAX ADDRESS EXT.
            AtaCommand::new(ata::SANITIZE),
            AtaCommand {
                features: ata::DCO_IDENTIFY,
                ..AtaCommand::new(ata::DEVICE_CONFIGURATION)
            },
            AtaCommand::new(ata::ACCESSIBLE_MAX_ADDRESS),
        ];
        for c in &read {
            assert!(!is_destructive_ata(c), "{c:?}");
        }
        let destructive = [
            AtaCommand::new(ata::SECURITY_ERASE_UNIT),
            AtaCommand::new(ata::SECURITY_SET_PASSWORD),
            AtaCommand {
                features: ata::SANITIZE_CRYPTO_SCRAMBLE_EXT,
                ..AtaCommand::new(ata::SANITIZE)
            },
            // SANITIZE STATUS EXT with CLEAR SANITIZE OPERATION FAILED changes the state.
            AtaCommand {
                count: 1,
                ..AtaCommand::new(ata::SANITIZE)
            },
            AtaCommand {
                features: ata::DCO_RESTORE,
                ..AtaCommand::new(ata::DEVICE_CONFIGURATION)
            },
            AtaCommand {
                features: ata::AMAC_SET_ACCESSIBLE_MAX,
                ..AtaCommand::new(ata::ACCESSIBLE_MAX_ADDRESS)
            },
            AtaCommand::new(ata::SET_MAX_ADDRESS_EXT),
            AtaCommand::new(0x30), // WRITE SECTORS
            AtaCommand::new(0x00),
            AtaCommand {
                features: 0xD8, // SMART ENABLE OPERATIONS changes the drive's settings
                ..AtaCommand::new(ata::SMART)
            },
        ];
        for c in &destructive {
            assert!(is_destructive_ata(c), "{c:?}");
        }
        assert!(!is_destructive_nvme(&NvmeCommand::identify(
            nvme::CNS_CONTROLLER,
            0
        )));
        assert!(!is_destructive_nvme(&NvmeCommand::get_log_page(
            nvme::LOG_SMART,
            0xffff_ffff,
            512
        )));
        for op in [
            nvme::FORMAT_NVM,
            nvme::SANITIZE,
            0x10, // Firmware Commit
            0xC0,
        ] {
            assert!(is_destructive_nvme(&NvmeCommand::new(op)), "{op:#x}");
        }
    }

    #[test]
    fn inspection_lets_only_reading_scsi_commands_through() {
        for cdb in [
            &[scsi::INQUIRY, 0, 0, 0, 96, 0][..],
            &[scsi::REQUEST_SENSE, 0, 0, 0, 252, 0],
            &[scsi::MAINTENANCE_IN, 0x0C, 3, 0x48, 0, 1, 0, 0, 0, 64, 0, 0],
            &[scsi::SERVICE_ACTION_IN_16, 0x10],
        ] {
            assert!(!is_destructive_scsi(cdb), "{cdb:x?}");
        }
        for cdb in [
            &[scsi::SANITIZE, 0x83][..],
            &[0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0],
            &[scsi::MAINTENANCE_IN, 0x0A],
            &[],
        ] {
            assert!(is_destructive_scsi(cdb), "{cdb:x?}");
        }
        // That the `Inspection` wrapper refuses them before they reach a drive is tested
        // against a simulated disk (`agent/tests/it/firmware_erase.rs`).
    }

    #[test]
    fn get_log_page_counts_dwords() {
        let c = NvmeCommand::get_log_page(nvme::LOG_SMART, 1, 512);
        assert_eq!(c.cdw10, 0x02 | (127 << 16));
        assert_eq!(c.cdw11, 0);
        assert!(nvme_status_text(0x011d).contains("self-test in progress"));
    }
}
