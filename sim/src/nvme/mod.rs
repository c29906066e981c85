//! A simulated NVMe controller behind the [`Passthrough`] seam, with real state: Identify
//! (controller, namespaces, the active namespace list), the SMART / Health log, the Device
//! Self-test running and its log. The probe's health reading and the self-test run against it;
//! its Sanitize and Format are in `firmware.rs`.
//!
//! The answers start from real Identify data (the corpus in `agent/tests/fixtures/corpus`); a
//! test then changes the state as a controller would.

mod firmware;

pub use firmware::{NvmeSanState, SimNvmeFirmware};

use std::collections::BTreeMap;

use reprise::parse::sat::AtaRegisters;
use reprise::sys::passthrough::{
    AtaCommand, AtaData, NvmeCommand, Passthrough, PassthroughError, nvme,
};

use crate::self_test::{SelfTest, SelfTestEnd};

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
    /// Media per namespace, Sanitize and Format (`firmware.rs`), when simulated.
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
