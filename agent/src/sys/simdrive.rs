//! Simulated drives behind the [`Passthrough`] seam, with real state: what a drive's firmware
//! answers (IDENTIFY, SMART data and thresholds, the self-test running and its result, NVMe
//! Identify and log pages), and what a USB bridge that carries no ATA commands answers. The
//! probe's health reading, the self-test, the demo and the tests run against them.
//!
//! The answers start from real dumps (the corpus in `agent/tests/fixtures/corpus`); a test then
//! changes the state (a failing attribute, a self-test that fails) as a drive would.

use std::collections::BTreeMap;

use super::passthrough::{
    AtaCommand, AtaData, NvmeCommand, Passthrough, PassthroughError, ata, nvme,
};
use super::simfirmware::{SimAtaFirmware, SimNvmeFirmware};
use crate::parse::sat::AtaRegisters;

/// Status of the drive's self-test in SMART READ DATA byte 363 (ACS-4 Table A.19): high nibble
/// the result (0 done without error, 15 in progress), low nibble the tenths remaining.
const SELF_TEST_STATUS_BYTE: usize = 363;

/// A self-test the simulated drive is running or ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfTest {
    Idle,
    /// Running: this many progress reads to go before it completes.
    Running {
        reads_left: u8,
    },
}

/// How a simulated self-test ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfTestEnd {
    Pass,
    /// Fails with a read error at this LBA (ATA result 7, NVMe result 7 "segment failed").
    ReadFailure {
        lba: u64,
    },
}

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
    /// Media, security, sanitize and hidden areas (`simfirmware`), when simulated.
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
pub fn fix_checksum(sector: &mut [u8]) {
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
            return Err(PassthroughError::Unsupported {
                dev: self.name.clone(),
                why: "ATA pass-through refused (ILLEGAL REQUEST, ASC 0x20/0x00): a USB bridge or SCSI disk that does not carry ATA commands".into(),
            });
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
        Err(PassthroughError::Unsupported {
            dev: self.name.clone(),
            why: "not an NVMe drive".into(),
        })
    }
}

/// A simulated NVMe controller with its namespaces.
#[derive(Debug, Clone)]
pub struct SimNvme {
    pub name: String,
    pub id_ctrl: Vec<u8>,
    /// Identify Namespace data per namespace id.
    pub id_ns: BTreeMap<u32, Vec<u8>>,
    pub smart_log: Vec<u8>,
    /// Device Self-test log (564 bytes: current operation, completion, 20 results).
    pub self_test_log: Vec<u8>,
    pub sanitize_log: Vec<u8>,
    pub self_test: SelfTest,
    pub self_test_end: SelfTestEnd,
    pub commands: Vec<String>,
    /// Media per namespace, Sanitize and Format (`simfirmware`), when simulated.
    pub fw: SimNvmeFirmware,
}

/// Size of the Device Self-test log page (NVMe Base 2.0 Figure 213).
pub const NVME_SELF_TEST_LOG_BYTES: usize = 564;

impl SimNvme {
    pub fn new(name: &str, id_ctrl: Vec<u8>, id_ns: Vec<u8>, smart_log: Vec<u8>) -> SimNvme {
        SimNvme {
            name: name.to_owned(),
            id_ctrl,
            id_ns: BTreeMap::from([(1, id_ns)]),
            smart_log,
            self_test_log: vec![0; NVME_SELF_TEST_LOG_BYTES],
            sanitize_log: vec![0; 512],
            self_test: SelfTest::Idle,
            self_test_end: SelfTestEnd::Pass,
            commands: Vec::new(),
            fw: SimNvmeFirmware::default(),
        }
    }

    fn failed(&self, cmd: &NvmeCommand, status: u16) -> PassthroughError {
        PassthroughError::NvmeStatus {
            dev: self.name.clone(),
            opcode: cmd.opcode,
            status,
        }
    }

    /// Advances a running self-test: current operation and completion in bytes 0 and 1; once
    /// done, its result becomes the newest of the 20 entries (28 bytes each, from byte 4).
    fn tick_self_test(&mut self) {
        let SelfTest::Running { reads_left } = self.self_test else {
            return;
        };
        if reads_left == 0 {
            self.self_test = SelfTest::Idle;
            self.self_test_log[0] = 0;
            self.self_test_log[1] = 0;
            // Shift the results down one entry; the newest goes first.
            self.self_test_log.copy_within(4..4 + 19 * 28, 4 + 28);
            let entry = &mut self.self_test_log[4..4 + 28];
            entry.fill(0);
            let (result, lba) = match self.self_test_end {
                SelfTestEnd::Pass => (0u8, None),
                SelfTestEnd::ReadFailure { lba } => (7, Some(lba)),
            };
            entry[0] = (1 << 4) | result; // short self-test, result
            if let Some(lba) = lba {
                entry[2] = 0x02; // failing LBA valid
                entry[16..24].copy_from_slice(&lba.to_le_bytes());
            }
        } else {
            self.self_test_log[0] = 1;
            self.self_test_log[1] = 100 - 25 * reads_left.min(4);
            self.self_test = SelfTest::Running {
                reads_left: reads_left - 1,
            };
        }
    }
}

fn copy_out(data: &mut [u8], from: &[u8]) {
    let n = data.len().min(from.len());
    data[..n].copy_from_slice(&from[..n]);
    data[n..].fill(0);
}

impl Passthrough for SimNvme {
    fn name(&self) -> &str {
        &self.name
    }

    fn ata(
        &mut self,
        cmd: &AtaCommand,
        _data: AtaData<'_>,
    ) -> Result<AtaRegisters, PassthroughError> {
        self.commands.push(format!("ata {:#04x}", cmd.command));
        Err(PassthroughError::Unsupported {
            dev: self.name.clone(),
            why: "an NVMe drive takes no ATA commands".into(),
        })
    }

    fn nvme_admin(&mut self, cmd: &NvmeCommand, data: &mut [u8]) -> Result<u32, PassthroughError> {
        self.commands.push(format!("nvme {:#04x}", cmd.opcode));
        if self.firmware_gone() {
            return Err(PassthroughError::Gone {
                dev: self.name.clone(),
            });
        }
        match cmd.opcode {
            nvme::IDENTIFY => match cmd.cdw10 & 0xff {
                nvme::CNS_ACTIVE_NAMESPACES => {
                    copy_out(data, &self.active_namespaces());
                    Ok(0)
                }
                nvme::CNS_CONTROLLER => {
                    copy_out(data, &self.id_ctrl.clone());
                    Ok(0)
                }
                nvme::CNS_NAMESPACE => match self.id_ns.get(&cmd.nsid) {
                    Some(ns) => {
                        copy_out(data, &ns.clone());
                        Ok(0)
                    }
                    None => Err(self.failed(cmd, 0x000b)),
                },
                _ => Err(self.failed(cmd, 0x0002)),
            },
            nvme::GET_LOG_PAGE => match (cmd.cdw10 & 0xff) as u8 {
                nvme::LOG_SMART => {
                    copy_out(data, &self.smart_log.clone());
                    Ok(0)
                }
                nvme::LOG_SELF_TEST => {
                    self.tick_self_test();
                    copy_out(data, &self.self_test_log.clone());
                    Ok(0)
                }
                nvme::LOG_SANITIZE => {
                    self.tick_sanitize();
                    copy_out(data, &self.sanitize_log.clone());
                    Ok(0)
                }
                _ => Err(self.failed(cmd, 0x0109)),
            },
            nvme::DEVICE_SELF_TEST => match (cmd.cdw10 & 0xf, self.self_test) {
                (1 | 2, SelfTest::Idle) => {
                    self.self_test = SelfTest::Running { reads_left: 3 };
                    self.tick_self_test();
                    Ok(0)
                }
                (1 | 2, SelfTest::Running { .. }) => Err(self.failed(cmd, 0x011d)),
                (0xf, _) => {
                    self.self_test = SelfTest::Idle;
                    self.self_test_log[0] = 0;
                    Ok(0)
                }
                _ => Err(self.failed(cmd, 0x0002)),
            },
            _ => self.firmware_admin(cmd, data),
        }
    }

    fn nvme_nsid(&self) -> Option<u32> {
        (self.fw.node_nsid != 0).then_some(self.fw.node_nsid)
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

    #[test]
    fn nvme_self_test_log_records_the_result() {
        let mut d = SimNvme::new("/dev/nvme-sim", vec![0; 4096], vec![0; 4096], vec![0; 512]);
        d.self_test_end = SelfTestEnd::ReadFailure { lba: 0x1234 };
        let start = NvmeCommand {
            nsid: 0xffff_ffff,
            cdw10: 1,
            ..NvmeCommand::new(nvme::DEVICE_SELF_TEST)
        };
        d.nvme_admin(&start, &mut []).unwrap();
        assert!(d.nvme_admin(&start, &mut []).is_err(), "one at a time");
        let mut log = vec![0u8; NVME_SELF_TEST_LOG_BYTES];
        let get = NvmeCommand::get_log_page(nvme::LOG_SELF_TEST, 0xffff_ffff, log.len());
        for _ in 0..4 {
            d.nvme_admin(&get, &mut log).unwrap();
        }
        assert_eq!(log[0], 0, "no test running");
        assert_eq!(log[4], 0x17, "short test, segment failed");
        assert_eq!(u64::from_le_bytes(log[20..28].try_into().unwrap()), 0x1234);
    }
}
