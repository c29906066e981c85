//! The drive's own short self-test: started with SMART EXECUTE OFF-LINE IMMEDIATE (ATA) or
//! Device Self-test (NVMe), polled until the drive says it ended, and its result read from the
//! drive's self-test log.
//!
//! A state machine rather than a loop, so that the flow can start the test on every disk, then
//! poll them all in turn: drives test themselves in parallel, and a run with three disks waits
//! for the slowest one, not the sum. The commands go through the inspection-only passthrough
//! (the self-test is the one non-reading command it lets through: it changes no data).

use std::time::Duration;

use super::model::{SelfTestKind, SelfTestResult};
use crate::model::Transport;
use crate::parse::ata_smart::{self, MediaHint, SelfTestState};
use crate::parse::nvme::{self as nvme_parse, SelfTestCode};
use crate::sys::passthrough::{
    AtaCommand, AtaData, NvmeCommand, Passthrough, PassthroughError, ata, nvme,
};

/// What can keep a self-test from giving a result.
#[derive(Debug, thiserror::Error)]
pub enum SelfTestError {
    /// The drive has no self-test (or the path to it does not carry the command).
    #[error("{dev}: no self-test: {why}")]
    Unsupported { dev: String, why: String },
    /// A self-test was already running when we asked: its owner is not us.
    #[error("{dev}: a self-test is already running on the drive")]
    Busy { dev: String },
    /// The test ended without a verdict on the drive: aborted by a reset, by another command,
    /// or by us (cancel). Not a failure of the drive.
    #[error("{dev}: self-test interrupted: {why}")]
    Interrupted { dev: String, why: String },
    #[error(transparent)]
    Drive(#[from] PassthroughError),
    #[error("{dev}: {what}")]
    Malformed { dev: String, what: String },
}

/// How the drive is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Ata,
    Nvme,
}

/// A short self-test that was started and has not ended yet.
#[derive(Debug, Clone)]
pub struct Running {
    dev: String,
    protocol: Protocol,
    /// Give up (abort, record a failure) after this long.
    pub timeout: Duration,
    /// The drive's own estimate, when it gives one.
    pub expected: Option<Duration>,
}

/// Where a running test stands after one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// Still running: percent done, when the drive says.
    Running(Option<u8>),
    Done(SelfTestResult),
}

/// An NVMe short self-test shall end within two minutes (NVMe Base 2.0 §5.23); twice that before
/// giving up.
const NVME_SHORT_TIMEOUT: Duration = Duration::from_secs(4 * 60);
/// At least this long for an ATA short test, whatever the drive estimates (some say 0 or 1).
const ATA_MIN_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// All namespaces (NVMe): the short test covers the controller and every namespace.
const ALL_NAMESPACES: u32 = 0xFFFF_FFFF;
/// Self-test code of Device Self-test CDW10: 1 short, Fh abort.
const NVME_SHORT: u32 = 0x1;
const NVME_ABORT: u32 = 0xF;
/// LBA-low subcommand of SMART EXECUTE OFF-LINE IMMEDIATE: 1 short (off-line mode), 7Fh abort.
const ATA_SHORT: u64 = 0x01;
const ATA_ABORT: u64 = 0x7F;
/// Log address of the SMART self-test log.
const ATA_SELF_TEST_LOG: u64 = 0x06;

fn smart(features: u16, lba_low: u64) -> AtaCommand {
    AtaCommand {
        features,
        lba: ata::SMART_LBA_KEY | lba_low,
        count: 1,
        ..AtaCommand::new(ata::SMART)
    }
}

fn read_smart(pt: &mut dyn Passthrough) -> Result<ata_smart::AtaSmart, SelfTestError> {
    let mut buf = [0u8; ata_smart::SECTOR_LEN];
    pt.ata(&smart(ata::SMART_READ_DATA, 0), AtaData::In(&mut buf))?;
    ata_smart::parse_smart(&buf, None, MediaHint::Unknown).map_err(|e| SelfTestError::Malformed {
        dev: pt.name().to_owned(),
        what: e.to_string(),
    })
}

fn read_nvme_log(pt: &mut dyn Passthrough) -> Result<nvme_parse::SelfTestLog, SelfTestError> {
    let mut buf = vec![0u8; nvme_parse::SELF_TEST_LOG_LEN];
    pt.nvme_admin(
        &NvmeCommand::get_log_page(nvme::LOG_SELF_TEST, ALL_NAMESPACES, buf.len()),
        &mut buf,
    )?;
    nvme_parse::parse_self_test_log(&buf).map_err(|e| SelfTestError::Malformed {
        dev: pt.name().to_owned(),
        what: e.to_string(),
    })
}

/// Starts the drive's short self-test.
pub fn start(pt: &mut dyn Passthrough, transport: Transport) -> Result<Running, SelfTestError> {
    let dev = pt.name().to_owned();
    match transport {
        Transport::Nvme => start_nvme(pt, dev),
        Transport::Sata | Transport::Usb | Transport::Scsi => start_ata(pt, dev),
        other => Err(SelfTestError::Unsupported {
            dev,
            why: format!("{} disk", other.display_name()),
        }),
    }
}

fn unsupported_or(e: PassthroughError, dev: &str) -> SelfTestError {
    match e {
        PassthroughError::Unsupported { why, .. } => SelfTestError::Unsupported {
            dev: dev.to_owned(),
            why,
        },
        other => SelfTestError::Drive(other),
    }
}

fn start_ata(pt: &mut dyn Passthrough, dev: String) -> Result<Running, SelfTestError> {
    let data = read_smart(pt).map_err(|e| match e {
        SelfTestError::Drive(e) => unsupported_or(e, &dev),
        other => other,
    })?;
    if !data.capabilities.self_tests {
        return Err(SelfTestError::Unsupported {
            dev,
            why: "the drive's SMART data says it has no self-test".into(),
        });
    }
    if data.self_test_status.state == SelfTestState::InProgress {
        return Err(SelfTestError::Busy { dev });
    }
    pt.ata(
        &smart(ata::SMART_EXECUTE_OFFLINE_IMMEDIATE, ATA_SHORT),
        AtaData::None,
    )?;
    let expected = Duration::from_secs(u64::from(data.polling_minutes.short) * 60);
    Ok(Running {
        dev,
        protocol: Protocol::Ata,
        timeout: (expected * 3).max(ATA_MIN_TIMEOUT),
        expected: (data.polling_minutes.short > 0).then_some(expected),
    })
}

fn start_nvme(pt: &mut dyn Passthrough, dev: String) -> Result<Running, SelfTestError> {
    let mut id = vec![0u8; 4096];
    pt.nvme_admin(&NvmeCommand::identify(nvme::CNS_CONTROLLER, 0), &mut id)
        .map_err(|e| unsupported_or(e, &dev))?;
    let ctrl =
        nvme_parse::parse_identify_controller(&id).map_err(|e| SelfTestError::Malformed {
            dev: dev.clone(),
            what: e.to_string(),
        })?;
    if !ctrl.oacs.device_self_test {
        return Err(SelfTestError::Unsupported {
            dev,
            why: "Identify Controller: no Device Self-test (OACS bit 4)".into(),
        });
    }
    let log = read_nvme_log(pt)?;
    if log.current_operation != SelfTestCode::None {
        return Err(SelfTestError::Busy { dev });
    }
    let mut cmd = NvmeCommand::new(nvme::DEVICE_SELF_TEST);
    cmd.nsid = ALL_NAMESPACES;
    cmd.cdw10 = NVME_SHORT;
    pt.nvme_admin(&cmd, &mut [])?;
    Ok(Running {
        dev,
        protocol: Protocol::Nvme,
        timeout: NVME_SHORT_TIMEOUT,
        expected: Some(Duration::from_secs(2 * 60)),
    })
}

impl Running {
    /// Asks the drive where its test stands; `elapsed` is the time since [`start`], recorded in
    /// the result.
    pub fn poll(&self, pt: &mut dyn Passthrough, elapsed: Duration) -> Result<Poll, SelfTestError> {
        let poll = match self.protocol {
            Protocol::Ata => self.poll_ata(pt, elapsed)?,
            Protocol::Nvme => self.poll_nvme(pt, elapsed)?,
        };
        if let Poll::Running(_) = poll
            && elapsed > self.timeout
        {
            // A short test that runs three times longer than the drive says it takes: stop it
            // and record why — a drive that cannot finish its own check is not passed.
            let _ = self.abort(pt);
            return Ok(Poll::Done(SelfTestResult {
                kind: SelfTestKind::Short,
                passed: false,
                result: format!(
                    "did not finish within {} s (aborted)",
                    self.timeout.as_secs()
                ),
                failing_lba: None,
                duration_ms: millis(elapsed),
            }));
        }
        Ok(poll)
    }

    fn poll_ata(&self, pt: &mut dyn Passthrough, elapsed: Duration) -> Result<Poll, SelfTestError> {
        let status = read_smart(pt)?.self_test_status;
        let (passed, result) = match status.state {
            SelfTestState::InProgress => {
                return Ok(Poll::Running(Some(
                    100u8.saturating_sub(status.remaining_percent),
                )));
            }
            SelfTestState::CompletedWithoutError => (true, "completed without error"),
            SelfTestState::AbortedByHost => return Err(self.interrupted("aborted by the host")),
            SelfTestState::InterruptedByReset => {
                return Err(self.interrupted("interrupted by a reset"));
            }
            SelfTestState::FatalError => (false, "fatal error"),
            SelfTestState::FailedUnknownElement => (false, "failed: unknown element"),
            SelfTestState::FailedElectrical => (false, "failed: electrical element"),
            SelfTestState::FailedServo => (false, "failed: servo/seek element"),
            SelfTestState::FailedRead => (false, "failed: read element"),
            SelfTestState::FailedHandlingDamage => (false, "failed: handling damage"),
            SelfTestState::Reserved(_) => (false, "ended with a reserved status"),
        };
        // The failing LBA lives in the self-test log; a drive that cannot give the log still
        // gave its result.
        let failing_lba = if passed {
            None
        } else {
            let mut log = [0u8; ata_smart::SECTOR_LEN];
            pt.ata(
                &smart(ata::SMART_READ_LOG, ATA_SELF_TEST_LOG),
                AtaData::In(&mut log),
            )
            .ok()
            .and_then(|_| ata_smart::parse_self_test_log(&log).ok())
            .and_then(|l| l.entries.first().copied())
            .filter(|e| e.subcommand & 0x7F == ATA_SHORT as u8 && e.status.state == status.state)
            .and_then(|e| e.failing_lba)
            .map(u64::from)
        };
        Ok(Poll::Done(SelfTestResult {
            kind: SelfTestKind::Short,
            passed,
            result: result.into(),
            failing_lba,
            duration_ms: millis(elapsed),
        }))
    }

    fn poll_nvme(
        &self,
        pt: &mut dyn Passthrough,
        elapsed: Duration,
    ) -> Result<Poll, SelfTestError> {
        use nvme_parse::SelfTestResult as R;
        let log = read_nvme_log(pt)?;
        if log.current_operation != SelfTestCode::None {
            return Ok(Poll::Running(Some(log.current_completion_percent.min(100))));
        }
        let Some(entry) = log.results.first() else {
            return Err(self.interrupted("the drive logged no result"));
        };
        if entry.code != SelfTestCode::Short {
            return Err(self.interrupted("the newest logged test is not the short one"));
        }
        let segment = format!("failed: segment {}", entry.segment);
        let (passed, result) = match entry.result {
            R::CompletedWithoutError => (true, "completed without error"),
            R::AbortedBySelfTestCommand => {
                return Err(self.interrupted("aborted by a Device Self-test command"));
            }
            R::AbortedByControllerReset => {
                return Err(self.interrupted("aborted by a controller reset"));
            }
            R::AbortedByNamespaceRemoval => {
                return Err(self.interrupted("aborted by a namespace removal"));
            }
            R::AbortedByFormat => return Err(self.interrupted("aborted by a Format NVM")),
            R::AbortedBySanitize => return Err(self.interrupted("aborted by a sanitize")),
            R::AbortedUnknownReason => return Err(self.interrupted("aborted, reason unknown")),
            R::FatalError => (false, "fatal error"),
            R::UnknownSegmentFailed => (false, "failed: unknown segment"),
            R::SegmentsFailed => (false, segment.as_str()),
            R::Reserved(_) | R::Unused => (false, "ended with a reserved result"),
        };
        Ok(Poll::Done(SelfTestResult {
            kind: SelfTestKind::Short,
            passed,
            result: result.into(),
            failing_lba: if passed { None } else { entry.failing_lba },
            duration_ms: millis(elapsed),
        }))
    }

    /// Stops the test (cancel, timeout).
    pub fn abort(&self, pt: &mut dyn Passthrough) -> Result<(), SelfTestError> {
        match self.protocol {
            Protocol::Ata => {
                pt.ata(
                    &smart(ata::SMART_EXECUTE_OFFLINE_IMMEDIATE, ATA_ABORT),
                    AtaData::None,
                )?;
            }
            Protocol::Nvme => {
                let mut cmd = NvmeCommand::new(nvme::DEVICE_SELF_TEST);
                cmd.nsid = ALL_NAMESPACES;
                cmd.cdw10 = NVME_ABORT;
                pt.nvme_admin(&cmd, &mut [])?;
            }
        }
        Ok(())
    }

    fn interrupted(&self, why: &str) -> SelfTestError {
        SelfTestError::Interrupted {
            dev: self.dev.clone(),
            why: why.into(),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
