//! A simulated SATA drive behind the [`Passthrough`] seam, with real state: what its firmware
//! answers (IDENTIFY, SMART data and thresholds, the self-test running and its result, the
//! self-test log), and what a USB bridge that carries no ATA commands answers. The probe's
//! health reading and the self-test run against it; its firmware erases and hidden areas are in
//! `firmware.rs`.
//!
//! The answers start from real dumps (the corpus in `agent/tests/fixtures/corpus`); a test then
//! changes the state (a failing attribute, a self-test that fails) as a drive would.

mod firmware;

pub use firmware::{EraseUnitFault, SanState, SecState, SimAtaFirmware, SimSanitize, SimSecurity};

use reprise::parse::sat::AtaRegisters;
use reprise::sys::passthrough::{
    AtaCommand, AtaData, NvmeCommand, Passthrough, PassthroughError, ata,
};

use crate::refusal;
use crate::self_test::{SelfTest, SelfTestEnd};

/// Status of the drive's self-test in SMART READ DATA byte 363 (ACS-4 Table A.19): high nibble
/// the result (0 done without error, 15 in progress), low nibble the tenths remaining.
const SELF_TEST_STATUS_BYTE: usize = 363;

/// A simulated SATA drive (or a USB bridge in front of one).
#[derive(Debug, Clone)]
pub struct SimAta {
    pub name: String,
    pub identify: Vec<u8>,
    pub smart_data: Option<Vec<u8>>,
    pub smart_thresholds: Option<Vec<u8>>,
    /// SMART RETURN STATUS: `Some(true)` healthy, `Some(false)` threshold exceeded, `None`
    /// the command is aborted.
    pub smart_status: Option<bool>,
    /// A USB bridge that does not translate ATA commands: every command is refused.
    pub bridge_refuses: bool,
    pub self_test: SelfTest,
    pub self_test_end: SelfTestEnd,
    /// SMART self-test log (log address 06h, 512 bytes): one descriptor per finished test.
    pub self_test_log: Vec<u8>,
    /// Power-on hours stamped into self-test log descriptors.
    pub power_on_hours: u16,
    /// Every command received, in order ("ata 0xEC", "ata 0xB0/0xD0").
    pub commands: Vec<String>,
    /// Media, security, sanitize and hidden areas (`firmware.rs`), when simulated.
    pub fw: SimAtaFirmware,
}

/// Log address of the SMART self-test log.
const ATA_SELF_TEST_LOG: u64 = 0x06;

impl SimAta {
    /// A drive answering IDENTIFY with `identify` (512 bytes) and, when given, SMART data and
    /// thresholds (512 bytes each).
    pub fn new(
        name: &str,
        identify: Vec<u8>,
        smart: Option<(Vec<u8>, Vec<u8>)>,
        smart_status: Option<bool>,
    ) -> SimAta {
        let (data, thresholds) = match smart {
            Some((d, t)) => (Some(d), Some(t)),
            None => (None, None),
        };
        SimAta {
            name: name.to_owned(),
            identify,
            smart_data: data,
            smart_thresholds: thresholds,
            smart_status,
            bridge_refuses: false,
            self_test: SelfTest::Idle,
            self_test_end: SelfTestEnd::Pass,
            self_test_log: {
                let mut log = vec![0; 512];
                log[0] = 1;
                fix_checksum(&mut log);
                log
            },
            power_on_hours: 1000,
            commands: Vec::new(),
            fw: SimAtaFirmware::default(),
        }
    }

    /// Appends a finished test to the circular self-test log (ACS-4 A.11): the index in byte
    /// 508 moves to the next of the 21 descriptors, which gets subcommand, status, hours and
    /// the failing LBA.
    fn log_self_test(&mut self, status: u8, lba: Option<u64>) {
        let log = &mut self.self_test_log;
        let next = usize::from(log[508]) % 21 + 1;
        let d = 2 + 24 * (next - 1);
        log[d..d + 24].fill(0);
        log[d] = 1; // short, offline mode
        log[d + 1] = status;
        log[d + 2..d + 4].copy_from_slice(&self.power_on_hours.to_le_bytes());
        let lba = lba.map_or(u32::MAX, |l| {
            u32::try_from(l & 0x0FFF_FFFF).unwrap_or(u32::MAX)
        });
        log[d + 5..d + 9].copy_from_slice(&lba.to_le_bytes());
        log[508] = u8::try_from(next).unwrap_or(1);
        fix_checksum(log);
    }

    fn aborted(&self, cmd: &AtaCommand) -> PassthroughError {
        PassthroughError::Aborted {
            dev: self.name.clone(),
            command: cmd.command,
            status: 0x51,
            error: 0x04,
            lba: 0,
            count: 0,
        }
    }

    /// Advances a running self-test by one progress read and writes its status byte; a test
    /// that ends goes into the self-test log.
    fn tick_self_test(&mut self) {
        let SelfTest::Running { reads_left } = self.self_test else {
            return;
        };
        let Some(data) = self.smart_data.as_mut() else {
            return;
        };
        if reads_left > 0 {
            data[SELF_TEST_STATUS_BYTE] = 0xF0 | reads_left.min(9);
            fix_checksum(data);
            self.self_test = SelfTest::Running {
                reads_left: reads_left - 1,
            };
            return;
        }
        self.self_test = SelfTest::Idle;
        let (status, lba) = match self.self_test_end {
            SelfTestEnd::Pass => (0x00, None),
            SelfTestEnd::ReadFailure { lba } => (0x70, Some(lba)),
        };
        data[SELF_TEST_STATUS_BYTE] = status;
        fix_checksum(data);
        self.log_self_test(status, lba);
    }
}

/// Sets byte 511 so that the 512 bytes sum to zero (ATA data structure checksum).
fn fix_checksum(sector: &mut [u8]) {
    if sector.len() < 512 {
        return;
    }
    let sum = sector[..511].iter().fold(0u8, |a, b| a.wrapping_add(*b));
    sector[511] = 0u8.wrapping_sub(sum);
}

fn copy_in(data: AtaData<'_>, from: &[u8]) {
    if let AtaData::In(buf) = data {
        let n = buf.len().min(from.len());
        buf[..n].copy_from_slice(&from[..n]);
        buf[n..].fill(0);
    }
}

fn ok() -> AtaRegisters {
    AtaRegisters {
        status: 0x50,
        ..AtaRegisters::default()
    }
}

impl Passthrough for SimAta {
    fn name(&self) -> &str {
        &self.name
    }

    fn ata(
        &mut self,
        cmd: &AtaCommand,
        data: AtaData<'_>,
    ) -> Result<AtaRegisters, PassthroughError> {
        self.commands.push(if cmd.command == ata::SMART {
            format!("ata {:#04x}/{:#04x}", cmd.command, cmd.features)
        } else {
            format!("ata {:#04x}", cmd.command)
        });
        if self.bridge_refuses {
            return Err(refusal::no_ata_passthrough(&self.name));
        }
        if self.firmware_gone() {
            return Err(PassthroughError::Gone {
                dev: self.name.clone(),
            });
        }
        match (cmd.command, cmd.features) {
            (ata::IDENTIFY_DEVICE, _) => {
                let id = self.identify_now();
                copy_in(data, &id);
                Ok(ok())
            }
            // SMART commands carry the key C2h/4Fh in LBA high/mid; without it they abort.
            (ata::SMART, _) if cmd.lba & 0xFF_FF00 != ata::SMART_LBA_KEY => Err(self.aborted(cmd)),
            (ata::SMART, ata::SMART_READ_DATA) => {
                self.tick_self_test();
                match &self.smart_data {
                    Some(d) => {
                        let d = d.clone();
                        copy_in(data, &d);
                        Ok(ok())
                    }
                    None => Err(self.aborted(cmd)),
                }
            }
            (ata::SMART, ata::SMART_READ_THRESHOLDS) => match &self.smart_thresholds {
                Some(t) => {
                    let t = t.clone();
                    copy_in(data, &t);
                    Ok(ok())
                }
                None => Err(self.aborted(cmd)),
            },
            (ata::SMART, ata::SMART_READ_LOG)
                if cmd.lba & 0xff == ATA_SELF_TEST_LOG && self.smart_data.is_some() =>
            {
                let log = self.self_test_log.clone();
                copy_in(data, &log);
                Ok(ok())
            }
            (ata::SMART, ata::SMART_RETURN_STATUS) => match self.smart_status {
                // The answer is in LBA mid/high: 4Fh/C2h healthy, F4h/2Ch threshold exceeded.
                Some(true) => Ok(AtaRegisters {
                    lba: 0xC2_4F00,
                    ..ok()
                }),
                Some(false) => Ok(AtaRegisters {
                    lba: 0x2C_F400,
                    ..ok()
                }),
                None => Err(self.aborted(cmd)),
            },
            (ata::SMART, ata::SMART_EXECUTE_OFFLINE_IMMEDIATE) => {
                // LBA low 1 = short self-test, 2 = extended; 127 = abort.
                match (cmd.lba & 0xff, self.smart_data.is_some()) {
                    (1 | 2, true) => {
                        self.self_test = SelfTest::Running { reads_left: 3 };
                        self.tick_self_test();
                        Ok(ok())
                    }
                    (127, true) => {
                        self.self_test = SelfTest::Idle;
                        Ok(ok())
                    }
                    _ => Err(self.aborted(cmd)),
                }
            }
            _ => self.firmware_command(cmd, data),
        }
    }

    fn nvme_admin(&mut self, cmd: &NvmeCommand, _data: &mut [u8]) -> Result<u32, PassthroughError> {
        self.commands.push(format!("nvme {:#04x}", cmd.opcode));
        Err(refusal::not_nvme(&self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smart_cmd(features: u16) -> AtaCommand {
        AtaCommand {
            features,
            lba: ata::SMART_LBA_KEY,
            ..AtaCommand::new(ata::SMART)
        }
    }

    #[test]
    fn ata_self_test_runs_then_reports() {
        let mut d = SimAta::new(
            "/dev/sim",
            vec![0; 512],
            Some((vec![0; 512], vec![0; 512])),
            Some(true),
        );
        d.ata(
            &smart_cmd(ata::SMART_EXECUTE_OFFLINE_IMMEDIATE).clone(),
            AtaData::None,
        )
        .unwrap_err();
        let start = AtaCommand {
            lba: ata::SMART_LBA_KEY | 1,
            ..smart_cmd(ata::SMART_EXECUTE_OFFLINE_IMMEDIATE)
        };
        d.ata(&start, AtaData::None).unwrap();
        let mut buf = [0u8; 512];
        let mut seen = Vec::new();
        for _ in 0..5 {
            d.ata(&smart_cmd(ata::SMART_READ_DATA), AtaData::In(&mut buf))
                .unwrap();
            assert_eq!(buf.iter().fold(0u8, |a, b| a.wrapping_add(*b)), 0);
            seen.push(buf[SELF_TEST_STATUS_BYTE]);
        }
        assert_eq!(seen, [0xF2, 0xF1, 0x00, 0x00, 0x00]);
        let status = d
            .ata(&smart_cmd(ata::SMART_RETURN_STATUS), AtaData::None)
            .unwrap();
        assert_eq!(status.lba, 0xC2_4F00);
    }

    #[test]
    fn a_bridge_refuses_everything() {
        let mut d = SimAta::new("/dev/sim", vec![0; 512], None, None);
        d.bridge_refuses = true;
        let e = d
            .ata(
                &AtaCommand::new(ata::IDENTIFY_DEVICE),
                AtaData::In(&mut [0; 512]),
            )
            .unwrap_err();
        assert!(matches!(e, PassthroughError::Unsupported { .. }), "{e}");
    }
}
