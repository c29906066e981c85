//! NVMe firmware erases: Sanitize (crypto erase, block erase, overwrite; NVMe Base 2.0 §5.24)
//! followed through the Sanitize Status log (81h), and Format NVM with a secure erase (SES 1
//! user data erase, SES 2 cryptographic erase; §5.23), which completes with its command.
//!
//! A Sanitize runs in the background, over every namespace of the controller: success is
//! trusted when the log reports it completed with the action of this command (SCDW10) and
//! either showed it in progress first, or differs from the log read just before the command.
//!
//! What the Sanitize Status log (log page 81h, NVMe Base 2.0) offers to tell this sanitize's
//! end from an earlier one: SSTAT (the most recent operation's status: never, completed, in
//! progress, failed, completed without deallocation; overwrite passes completed; Global Data
//! Erased), SCDW10 (the command dword 10 of the most recent sanitize), SPROG (progress, FFFFh
//! when none runs; not compared) and the estimates. There is no operation counter. What makes
//! a fast sanitize visible is Global Data Erased (SSTAT bit 8): it is cleared by any write to the
//! media and set again only by a successful sanitize — and the canaries written just before the
//! command (`super::check`) clear it. So a controller that keeps it shows "completed, no data
//! written since" after a sanitize of its own even when the previous one was the same action;
//! one that does not keep it shows a change only when its previous state was another (never
//! sanitized, failed, another action). No change: the end may be an earlier one's, and is not
//! trusted.

use std::time::Duration;

use reprise_cert::plan::SanitizeKind;

use super::super::report::Completion;
use super::super::strategy::DiskStrategy;
use super::super::technique::{FormatErase, Technique};
use super::{
    Attempt, Env, FirmwareTuning, Pace, Recorder, Status, Targets, erase_progress, poll_until_end,
    sanitize_deadline,
};
use crate::parse::nvme::{LOG_512, SanitizeState, parse_sanitize_log};
use crate::sys::passthrough::{NvmeCommand, Passthrough, PassthroughError, nvme};

/// Statuses that mean "refused before doing anything": invalid opcode, invalid field,
/// invalid namespace or format, sanitize in progress (someone else's), invalid format.
fn refused_before_start(status: u16) -> bool {
    matches!(status & 0x7ff, 0x0001 | 0x0002 | 0x000b | 0x001d | 0x010a)
}

fn sanact(kind: SanitizeKind) -> u32 {
    match kind {
        SanitizeKind::Block => 2,
        SanitizeKind::Overwrite => 3,
        SanitizeKind::Crypto => 4,
    }
}

/// Starts a Sanitize and follows it to its end.
pub fn sanitize(
    drive: &mut dyn Passthrough,
    kind: SanitizeKind,
    strategy: &DiskStrategy,
    targets: &Targets,
    tuning: &FirmwareTuning,
    env: &mut Env<'_>,
    dev: &str,
) -> Attempt {
    let Some(facts) = strategy.facts.nvme.as_ref() else {
        return Attempt::NotStarted("no NVMe Identify data".into());
    };
    let action = sanact(kind);
    // AUSE: a failed sanitize may be left with Exit Failure Mode rather than a new sanitize;
    // overwrite: one pass of pattern 0 (OWPASS 1, OVRPAT 0).
    let mut cdw10 = action | 1 << 3;
    if kind == SanitizeKind::Overwrite {
        cdw10 |= 1 << 4;
    }
    let mut rec = Recorder::new(
        Technique::NvmeSanitize(kind),
        format!(
            "NVMe Sanitize (84h), {} (SANACT {action}){}",
            match kind {
                SanitizeKind::Crypto => "crypto erase",
                SanitizeKind::Block => "block erase",
                SanitizeKind::Overwrite => "overwrite",
            },
            if kind == SanitizeKind::Overwrite {
                ", 1 pass of zeros"
            } else {
                ""
            }
        ),
        env.pace,
    );
    rec.namespaces = facts.namespaces.clone();
    let estimate = match kind {
        SanitizeKind::Crypto => facts.estimate_crypto_s,
        SanitizeKind::Block => facts.estimate_block_s,
        SanitizeKind::Overwrite => facts.estimate_overwrite_s,
    };
    rec.estimated = estimate.map(|s| Duration::from_secs(u64::from(s)));
    let deadline = rec.deadline(tuning, sanitize_deadline(kind));
    // Someone else's sanitize must not pass for ours; and the status now is what a fast one
    // must change. Unread, only an end seen in progress is trusted.
    match read_log(drive) {
        Ok(log) if log.state == SanitizeState::InProgress => {
            return Attempt::NotStarted("a sanitize is already in progress".into());
        }
        Ok(log) => rec.status_before = Some(status_words(&log)),
        Err(_) => {}
    }
    let cmd = NvmeCommand {
        cdw10,
        cdw11: 0,
        timeout: Duration::from_secs(60),
        ..NvmeCommand::new(nvme::SANITIZE)
    };
    match drive.nvme_admin(&cmd, &mut []) {
        Ok(_) => {}
        Err(e) => return start_failed(&rec, env.pace, dev, &e),
    }
    poll_until_end(
        &mut rec,
        env,
        dev,
        targets,
        (deadline, tuning.poll),
        "controller",
        |rec, pace| {
            let log = read_log(drive)?;
            let now = status_words(&log);
            // A completion that reads exactly as before the command, never seen running, may be
            // the earlier one's (the controller not yet at ours): read again.
            let ours = rec.observed_in_progress || rec.status_before.as_deref() != Some(&now);
            Ok(match log.state {
                SanitizeState::InProgress => Status::Running(Some(log.sprog)),
                SanitizeState::CompletedSuccessfully | SanitizeState::CompletedNoDeallocate
                    if log.cdw10.raw & 7 == action && ours =>
                {
                    Status::Completed(Some(now))
                }
                SanitizeState::Failed => Status::ended(rec.failed(
                    pace,
                    Completion::Failed,
                    dev,
                    "the controller reports the sanitize failed (Sanitize Status log SSTAT 3)"
                        .into(),
                )),
                // Never sanitized, or an earlier sanitize's completion: not ours yet.
                _ if !rec.observed_in_progress && rec.polls > 10 => Status::ended(rec.failed(
                    pace,
                    Completion::Failed,
                    dev,
                    format!(
                        "the controller accepted the command but its Sanitize Status log never reported it: neither in progress nor a completion that differs from before the command ({now})"
                    ),
                )),
                _ => Status::Waiting,
            })
        },
    )
}

/// The part of the Sanitize Status log that says which sanitize ended how: SSTAT (status,
/// overwrite passes, Global Data Erased) and SCDW10; not SPROG, which only moves while one runs.
fn status_words(log: &crate::parse::nvme::SanitizeLog) -> String {
    format!(
        "SSTAT {:04X}h, SCDW10 {:08X}h",
        log.sstat_raw, log.cdw10.raw
    )
}

fn read_log(
    drive: &mut dyn Passthrough,
) -> Result<crate::parse::nvme::SanitizeLog, PassthroughError> {
    let mut log = vec![0u8; LOG_512];
    drive.nvme_admin(
        &NvmeCommand::get_log_page(nvme::LOG_SANITIZE, 0, log.len()),
        &mut log,
    )?;
    parse_sanitize_log(&log).map_err(|e| PassthroughError::Unsupported {
        dev: drive.name().to_owned(),
        why: e.to_string(),
    })
}

/// Formats the namespace (and, when FNA says so, every namespace) with a secure erase, keeping
/// its LBA format and protection settings.
pub fn format(
    drive: &mut dyn Passthrough,
    erase: FormatErase,
    strategy: &DiskStrategy,
    targets: &Targets,
    tuning: &FirmwareTuning,
    env: &mut Env<'_>,
    dev: &str,
) -> Attempt {
    let Some(f) = strategy.facts.nvme.as_ref() else {
        return Attempt::NotStarted("no NVMe Identify data".into());
    };
    let ses: u32 = match erase {
        FormatErase::UserData => 1,
        FormatErase::Crypto => 2,
    };
    let lbaf = u32::from(f.lba_format);
    let cdw10 = (lbaf & 0xF)
        | ((lbaf >> 4) & 3) << 12
        | u32::from(f.mset) << 4
        | u32::from(f.pi & 7) << 5
        | u32::from(f.pil) << 8
        | ses << 9;
    let wide = f.format_all_namespaces || f.secure_erase_all_namespaces;
    let mut rec = Recorder::new(
        Technique::NvmeFormat(erase),
        format!(
            "NVMe Format NVM (80h), SES {ses} ({}), LBA format {lbaf}, namespace {}{}",
            match erase {
                FormatErase::UserData => "user data erase",
                FormatErase::Crypto => "cryptographic erase",
            },
            f.nsid,
            if wide {
                " (the controller formats every namespace)"
            } else {
                ""
            }
        ),
        env.pace,
    );
    rec.namespaces = if wide && !f.namespaces.is_empty() {
        f.namespaces.clone()
    } else {
        vec![f.nsid]
    };
    let timeout = tuning.timeout.unwrap_or(Duration::from_secs(4 * 3600));
    erase_progress(env.events, targets, None, Duration::ZERO, None);
    let cmd = NvmeCommand {
        nsid: f.nsid,
        cdw10,
        timeout,
        ..NvmeCommand::new(nvme::FORMAT_NVM)
    };
    match drive.nvme_admin(&cmd, &mut []) {
        Ok(_) => {
            erase_progress(
                env.events,
                targets,
                Some(0xFFFF),
                env.pace.elapsed().saturating_sub(rec.t0),
                None,
            );
            Attempt::Done(rec.finish(env.pace, Completion::Completed, true, None))
        }
        Err(e) => start_failed(&rec, env.pace, dev, &e),
    }
}

/// An admin command that starts an erase did not go through: a status that says the controller
/// refused it before starting changed nothing, like a path that cannot carry it.
fn start_failed(rec: &Recorder, pace: &dyn Pace, dev: &str, e: &PassthroughError) -> Attempt {
    match e {
        PassthroughError::NvmeStatus { status, .. } if refused_before_start(*status) => {
            Attempt::NotStarted(format!(
                "status {status:#06x} ({})",
                crate::sys::passthrough::nvme_status_text(*status)
            ))
        }
        _ => rec.start_failed(pace, dev, e),
    }
}
