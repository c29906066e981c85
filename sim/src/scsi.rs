//! A simulated SCSI (SAS) disk ([`SimScsi`]): REPORT SUPPORTED OPERATION CODES and SANITIZE
//! (overwrite, block erase, crypto erase) with IMMED, its progress in REQUEST SENSE, and a
//! sanitize that fails, a firmware that lies, or a disk that vanishes when a test asks.

use std::time::Duration;

use reprise::parse::sat::AtaRegisters;
use reprise::sys::passthrough::{
    AtaCommand, AtaData, NvmeCommand, Passthrough, PassthroughError, ScsiData, ScsiStatus, scsi,
};

use crate::media::{Erased, SimMedia, fresh_seed};
use crate::refusal;

/// A simulated SCSI (SAS) disk that may support SANITIZE.
#[derive(Debug, Clone)]
pub struct SimScsi {
    pub name: String,
    pub media: SimMedia,
    /// SANITIZE service actions supported: overwrite, block erase, crypto erase.
    pub overwrite: bool,
    pub block: bool,
    pub crypto: bool,
    /// REPORT SUPPORTED OPERATION CODES is not implemented (ILLEGAL REQUEST).
    pub no_rsoc: bool,
    pub state: ScsiSanState,
    pub duration_polls: u8,
    pub fails: bool,
    /// SANITIZE reports success without touching the media (a lying firmware: the canary check
    /// must catch it).
    pub lies: bool,
    pub commands: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScsiSanState {
    Idle,
    InProgress { action: u8, left: u8, total: u8 },
    Failed,
}

fn fixed_sense(key: u8, asc: u8, ascq: u8, progress: Option<u16>) -> Vec<u8> {
    let mut s = vec![0u8; 18];
    s[0] = 0x70;
    s[2] = key;
    s[7] = 10;
    s[12] = asc;
    s[13] = ascq;
    if let Some(p) = progress {
        s[15] = 0x80;
        s[16..18].copy_from_slice(&p.to_be_bytes());
    }
    s
}

impl SimScsi {
    pub fn new(name: &str, blocks: u64, seed: u64) -> SimScsi {
        SimScsi {
            name: name.to_owned(),
            media: SimMedia::new((blocks * 512) as usize, 512, seed),
            overwrite: true,
            block: false,
            crypto: true,
            no_rsoc: false,
            state: ScsiSanState::Idle,
            duration_polls: 3,
            fails: false,
            lies: false,
            commands: Vec::new(),
        }
    }

    fn check(sense: Vec<u8>) -> ScsiStatus {
        ScsiStatus { status: 2, sense }
    }

    fn sense_now(&mut self) -> Vec<u8> {
        match self.state {
            ScsiSanState::Idle => Vec::new(),
            ScsiSanState::Failed => fixed_sense(3, 0x31, 0x03, None),
            ScsiSanState::InProgress {
                action,
                left,
                total,
            } => {
                let done = (u32::from(total - left) * 65536 / u32::from(total.max(1))) as u16;
                if left <= 1 {
                    let content = match action {
                        scsi::SANITIZE_CRYPTO_ERASE => Erased::Random(fresh_seed()),
                        scsi::SANITIZE_BLOCK_ERASE => Erased::Zeros,
                        _ => Erased::Pattern(0),
                    };
                    if self.fails {
                        let half = self.media.total_bytes() / 2;
                        self.media.erase(0, half, content);
                        self.state = ScsiSanState::Failed;
                    } else {
                        if !self.lies {
                            self.media.erase_all(content);
                        }
                        self.state = ScsiSanState::Idle;
                    }
                } else {
                    self.state = ScsiSanState::InProgress {
                        action,
                        left: left - 1,
                        total,
                    };
                }
                fixed_sense(2, 0x04, 0x1B, Some(done))
            }
        }
    }
}

impl Passthrough for SimScsi {
    fn name(&self) -> &str {
        &self.name
    }
    fn ata(
        &mut self,
        cmd: &AtaCommand,
        _data: AtaData<'_>,
    ) -> Result<AtaRegisters, PassthroughError> {
        self.commands.push(format!("ata {:#04x}", cmd.command));
        Err(refusal::no_ata_passthrough(&self.name))
    }
    fn nvme_admin(&mut self, cmd: &NvmeCommand, _data: &mut [u8]) -> Result<u32, PassthroughError> {
        self.commands.push(format!("nvme {:#04x}", cmd.opcode));
        Err(refusal::not_nvme(&self.name))
    }
    fn scsi(
        &mut self,
        cdb: &[u8],
        data: ScsiData<'_>,
        _timeout: Duration,
    ) -> Result<ScsiStatus, PassthroughError> {
        let op = cdb.first().copied().unwrap_or(0);
        self.commands.push(format!("scsi {op:#04x}"));
        if self.media.is_gone() {
            return Err(PassthroughError::Gone {
                dev: self.name.clone(),
            });
        }
        let illegal = || Self::check(fixed_sense(5, 0x20, 0, None));
        match op {
            scsi::REQUEST_SENSE => {
                let sense = self.sense_now();
                if let ScsiData::In(buf) = data {
                    let n = buf.len().min(sense.len());
                    buf[..n].copy_from_slice(&sense[..n]);
                }
                Ok(ScsiStatus {
                    status: 0,
                    sense: Vec::new(),
                })
            }
            scsi::MAINTENANCE_IN if cdb.get(1).map(|b| b & 0x1f) == Some(0x0C) => {
                if self.no_rsoc {
                    return Ok(illegal());
                }
                let (opcode, sa) = (cdb.get(3).copied(), cdb.get(4..6));
                let supported = match (opcode, sa.map(|s| s[1])) {
                    (Some(scsi::SANITIZE), Some(scsi::SANITIZE_OVERWRITE)) => self.overwrite,
                    (Some(scsi::SANITIZE), Some(scsi::SANITIZE_BLOCK_ERASE)) => self.block,
                    (Some(scsi::SANITIZE), Some(scsi::SANITIZE_CRYPTO_ERASE)) => self.crypto,
                    _ => false,
                };
                if let ScsiData::In(buf) = data
                    && buf.len() >= 4
                {
                    buf.fill(0);
                    buf[1] = if supported { 3 } else { 1 };
                    buf[3] = 10;
                }
                Ok(ScsiStatus {
                    status: 0,
                    sense: Vec::new(),
                })
            }
            scsi::SANITIZE => {
                if matches!(self.state, ScsiSanState::InProgress { .. }) {
                    return Ok(Self::check(fixed_sense(2, 0x04, 0x1B, None)));
                }
                let action = cdb.get(1).map_or(0, |b| b & 0x1f);
                let supported = match action {
                    scsi::SANITIZE_OVERWRITE => self.overwrite,
                    scsi::SANITIZE_BLOCK_ERASE => self.block,
                    scsi::SANITIZE_CRYPTO_ERASE => self.crypto,
                    _ => false,
                };
                if !supported {
                    return Ok(Self::check(fixed_sense(5, 0x24, 0, None)));
                }
                let total = self.duration_polls.max(1);
                self.state = ScsiSanState::InProgress {
                    action,
                    left: total,
                    total,
                };
                Ok(ScsiStatus {
                    status: 0,
                    sense: Vec::new(),
                })
            }
            _ => Ok(illegal()),
        }
    }
}
