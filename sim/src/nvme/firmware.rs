//! The firmware-erase half of the simulated NVMe controller ([`SimNvmeFirmware`], on
//! [`SimNvme`]): Sanitize (crypto, block, overwrite) progressing through the Sanitize Status
//! log, Format NVM (SES 0, 1, 2) per namespace or controller-wide as FNA says, the active
//! namespace list.
//!
//! As a real SSD does: a sanitize deallocates every block once it succeeds (Reprise never sets
//! No-Deallocate After Sanitize), so they read as DLFEAT says — zeros, 0xFF, or (DLFEAT "not
//! reported") whatever the controller returns, noise here; a user data erase (Format SES 1)
//! deallocates too. The log's Global Data Erased bit (SSTAT bit 8) is set by a successful
//! sanitize and cleared by the host's next write, unless the controller does not keep it.
//!
//! Failures a test can ask for: a command that fails with a status, a sanitize or format that
//! fails, a sanitize that ends before anyone could see it in progress, a firmware that reports
//! success without touching the media, a controller that vanishes.

use std::collections::BTreeMap;

use reprise::sys::passthrough::{NvmeCommand, PassthroughError, nvme};

use super::SimNvme;
use crate::media::{Erased, SimMedia, fresh_seed};

/// The Sanitize state of a simulated NVMe controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NvmeSanState {
    /// SSTAT bits 2:0 as given: 0 (never), 1 (completed successfully); Global Data Erased is
    /// added when the log is read.
    Idle {
        sstat: u16,
    },
    InProgress {
        cdw10: u32,
        pattern: u32,
        left: u8,
        total: u8,
    },
    Failed,
}

/// Everything of a simulated NVMe controller that firmware erases touch.
#[derive(Debug, Clone, Default)]
pub struct SimNvmeFirmware {
    /// Media of each namespace (absent: the older simulation).
    pub media: BTreeMap<u32, SimMedia>,
    /// The namespace of the node commands go through.
    pub node_nsid: u32,
    pub sanitize: Option<NvmeSanState>,
    /// Log reads a sanitize stays in progress for.
    pub sanitize_polls: u8,
    pub sanitize_fails: bool,
    /// The sanitize completes before its first log read.
    pub sanitize_instant: bool,
    /// Format NVM answers this status instead of formatting.
    pub format_status: Option<u16>,
    /// Sanitize and Format report success without touching the media (a lying firmware: the
    /// canary check must catch it).
    pub lies: bool,
    /// The controller does not keep Global Data Erased (always 0 in SSTAT).
    pub no_gde: bool,
    /// The host's writes (over every namespace) when the last sanitize succeeded: Global Data
    /// Erased holds while they have not moved.
    pub erased_at_writes: Option<u64>,
    /// Opcodes that fail with a status whatever they ask.
    pub fail: Vec<(u8, u16)>,
    pub vanish_after: Option<u32>,
    pub gone: bool,
}

impl SimNvme {
    /// A controller with real firmware state: namespace 1 of `blocks` blocks of 512 bytes
    /// holding pseudo-random old data; OACS, FNA, SANICAP and DLFEAT as the Identify data says.
    pub fn with_firmware(
        name: &str,
        id_ctrl: Vec<u8>,
        id_ns: Vec<u8>,
        blocks: u64,
        seed: u64,
    ) -> SimNvme {
        let mut d = SimNvme::new(name, id_ctrl, id_ns, vec![0; 512]);
        d.fw = SimNvmeFirmware {
            media: BTreeMap::from([(1, SimMedia::new((blocks * 512) as usize, 512, seed))]),
            node_nsid: 1,
            sanitize: Some(NvmeSanState::Idle { sstat: 0 }),
            sanitize_polls: 3,
            ..SimNvmeFirmware::default()
        };
        d
    }

    /// The media of namespace `nsid`.
    pub fn media(&self, nsid: u32) -> &SimMedia {
        &self.fw.media[&nsid]
    }

    fn id_byte(&self, at: usize) -> u8 {
        self.id_ctrl.get(at).copied().unwrap_or(0)
    }

    fn sanicap(&self) -> u32 {
        u32::from_le_bytes(
            self.id_ctrl
                .get(328..332)
                .and_then(|b| b.try_into().ok())
                .unwrap_or([0; 4]),
        )
    }

    pub(super) fn firmware_gone(&mut self) -> bool {
        if let Some(n) = self.fw.vanish_after.as_mut() {
            if *n == 0 {
                self.fw.gone = true;
                for m in self.fw.media.values() {
                    m.vanish();
                }
            } else {
                *n -= 1;
            }
        }
        self.fw.gone
    }

    fn status(&self, cmd: &NvmeCommand, status: u16) -> PassthroughError {
        PassthroughError::NvmeStatus {
            dev: self.name.clone(),
            opcode: cmd.opcode,
            status,
        }
    }

    /// What the deallocated blocks read as (DLFEAT bits 2:0 of namespace 1): zeros, 0xFF, or
    /// (not reported) whatever the controller returns.
    fn dealloc_content(&self) -> Erased {
        match self.id_ns.get(&1).and_then(|n| n.get(33)).map(|b| b & 7) {
            Some(1) => Erased::Zeros,
            Some(2) => Erased::Ones,
            _ => Erased::Random(fresh_seed()),
        }
    }

    fn host_writes(&self) -> u64 {
        self.fw.media.values().map(SimMedia::host_writes).sum()
    }

    /// SSTAT bit 8, Global Data Erased: nothing written since the last successful sanitize.
    fn global_data_erased(&self) -> bool {
        !self.fw.no_gde && self.fw.erased_at_writes == Some(self.host_writes())
    }

    /// The controller's last sanitize was `cdw10` and it completed successfully, and nothing
    /// has been written since (a disk sanitized before, by Reprise or another tool).
    pub fn sanitized_before(&mut self, cdw10: u32) {
        self.fw.sanitize = Some(NvmeSanState::Idle { sstat: 1 });
        self.sanitize_log[4..8].copy_from_slice(&cdw10.to_le_bytes());
        self.fw.erased_at_writes = Some(self.host_writes());
    }

    /// Writes the Sanitize Status log from the state (and advances a sanitize in progress by
    /// one read).
    pub(super) fn tick_sanitize(&mut self) {
        let Some(state) = self.fw.sanitize else {
            return;
        };
        let gde = u16::from(self.global_data_erased()) << 8;
        let (sprog, sstat, cdw10) = match state {
            NvmeSanState::Idle { sstat } => (0xFFFF, sstat | gde, self.last_sanitize_cdw10()),
            NvmeSanState::Failed => (0xFFFF, 3, self.last_sanitize_cdw10()),
            NvmeSanState::InProgress {
                cdw10,
                pattern,
                left,
                total,
            } => {
                let done = (u32::from(total - left) * 65536 / u32::from(total.max(1))) as u16;
                if left <= 1 {
                    self.finish_nvme_sanitize(cdw10, pattern);
                } else {
                    self.fw.sanitize = Some(NvmeSanState::InProgress {
                        cdw10,
                        pattern,
                        left: left - 1,
                        total,
                    });
                }
                (done, 2, cdw10)
            }
        };
        let log = &mut self.sanitize_log;
        log[0..2].copy_from_slice(&sprog.to_le_bytes());
        log[2..4].copy_from_slice(&sstat.to_le_bytes());
        log[4..8].copy_from_slice(&cdw10.to_le_bytes());
        // Estimated times (seconds): overwrite, block erase, crypto erase.
        log[8..12].copy_from_slice(&600u32.to_le_bytes());
        log[12..16].copy_from_slice(&60u32.to_le_bytes());
        log[16..20].copy_from_slice(&2u32.to_le_bytes());
    }

    fn last_sanitize_cdw10(&self) -> u32 {
        u32::from_le_bytes(self.sanitize_log[4..8].try_into().unwrap_or([0; 4]))
    }

    fn finish_nvme_sanitize(&mut self, cdw10: u32, pattern: u32) {
        // What the operation itself leaves (a new key: noise; a block erase: erased cells, read
        // as deallocated; an overwrite: the pattern), then, once it succeeded, deallocation
        // unless No-Deallocate After Sanitize (bit 9) was asked.
        let done = match cdw10 & 7 {
            4 => Erased::Random(fresh_seed()),
            2 => self.dealloc_content(),
            _ => Erased::Pattern(pattern),
        };
        let after = if cdw10 & (1 << 9) == 0 {
            self.dealloc_content()
        } else {
            done
        };
        for m in self.fw.media.values().filter(|_| !self.fw.lies) {
            if self.fw.sanitize_fails {
                let half = m.total_bytes() / 2;
                m.erase(0, half, done);
            } else {
                m.erase_all(after);
            }
        }
        self.fw.sanitize = Some(if self.fw.sanitize_fails {
            NvmeSanState::Failed
        } else {
            // Completed successfully; global data erased until the next write.
            self.fw.erased_at_writes = Some(self.host_writes());
            NvmeSanState::Idle { sstat: 1 }
        });
    }

    /// Admin commands of the firmware erases (everything `SimNvme::nvme_admin` does not answer
    /// itself).
    pub(super) fn firmware_admin(
        &mut self,
        cmd: &NvmeCommand,
        _data: &mut [u8],
    ) -> Result<u32, PassthroughError> {
        if let Some((_, st)) = self.fw.fail.iter().find(|(op, _)| *op == cmd.opcode) {
            return Err(self.status(cmd, *st));
        }
        if matches!(self.fw.sanitize, Some(NvmeSanState::InProgress { .. })) {
            return Err(self.status(cmd, 0x001d));
        }
        match cmd.opcode {
            nvme::SANITIZE => {
                let action = cmd.cdw10 & 7;
                let cap = self.sanicap();
                let supported = match action {
                    2 => cap & 2 != 0,
                    3 => cap & 4 != 0,
                    4 => cap & 1 != 0,
                    1 => cap & 7 != 0,
                    _ => false,
                };
                if self.fw.media.is_empty() || !supported {
                    return Err(self.status(cmd, 0x0002));
                }
                if action == 1 {
                    self.fw.sanitize = Some(NvmeSanState::Idle { sstat: 0 });
                    return Ok(0);
                }
                if self.fw.sanitize == Some(NvmeSanState::Failed) && cmd.cdw10 & 8 == 0 {
                    return Err(self.status(cmd, 0x001c));
                }
                self.sanitize_log[4..8].copy_from_slice(&cmd.cdw10.to_le_bytes());
                if self.fw.sanitize_instant {
                    self.finish_nvme_sanitize(cmd.cdw10, cmd.cdw11);
                } else {
                    let total = self.fw.sanitize_polls.max(1);
                    self.fw.sanitize = Some(NvmeSanState::InProgress {
                        cdw10: cmd.cdw10,
                        pattern: cmd.cdw11,
                        left: total,
                        total,
                    });
                }
                Ok(0)
            }
            nvme::FORMAT_NVM => {
                let oacs = u16::from_le_bytes([self.id_byte(256), self.id_byte(257)]);
                let fna = self.id_byte(524);
                if oacs & 2 == 0 || self.fw.media.is_empty() {
                    return Err(self.status(cmd, 0x0001));
                }
                if let Some(st) = self.fw.format_status {
                    return Err(self.status(cmd, st));
                }
                let ses = (cmd.cdw10 >> 9) & 7;
                let lbaf = cmd.cdw10 & 0xF;
                let current = self
                    .id_ns
                    .get(&self.fw.node_nsid)
                    .and_then(|n| n.get(26))
                    .map_or(0, |f| u32::from(f & 0xF));
                if ses > 2 || (ses == 2 && fna & 4 == 0) {
                    return Err(self.status(cmd, 0x0002));
                }
                if lbaf != current {
                    return Err(self.status(cmd, 0x010a));
                }
                let all = cmd.nsid == nvme::NSID_ALL || fna & 1 != 0 || (ses > 0 && fna & 2 != 0);
                if !all && !self.fw.media.contains_key(&cmd.nsid) {
                    return Err(self.status(cmd, 0x000b));
                }
                let content = match ses {
                    2 => Erased::Random(fresh_seed()),
                    _ => self.dealloc_content(),
                };
                for (nsid, m) in &self.fw.media {
                    if (all || *nsid == cmd.nsid) && !self.fw.lies {
                        m.erase_all(content);
                    }
                }
                Ok(0)
            }
            _ => Err(self.status(cmd, 0x0001)),
        }
    }

    /// The Active Namespace ID list (Identify CNS 02h): the namespaces with media.
    pub(super) fn active_namespaces(&self) -> Vec<u8> {
        let mut list = vec![0u8; 4096];
        let ids: Vec<u32> = if self.fw.media.is_empty() {
            self.id_ns.keys().copied().collect()
        } else {
            self.fw.media.keys().copied().collect()
        };
        for (i, id) in ids.iter().take(1024).enumerate() {
            list[4 * i..4 * i + 4].copy_from_slice(&id.to_le_bytes());
        }
        list
    }
}
