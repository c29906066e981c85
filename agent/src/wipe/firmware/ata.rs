//! ATA firmware erases: SANITIZE (crypto scramble, block erase, overwrite; ACS-3 §7.36) followed
//! through SANITIZE STATUS EXT, and SECURITY ERASE UNIT (normal, enhanced; ACS-3 §7.40) with
//! Reprise's temporary password ([`super::password`]).
//!
//! A SANITIZE runs in the background and an idle drive may report the success of an earlier
//! one: success is trusted after the status showed it in progress, or when the status changed
//! across the command. What SANITIZE STATUS EXT offers for that (ACS-3 Table 144): COUNT bit 15
//! (the last sanitize completed without error), bit 14 (one is in progress), bits 13:12 (frozen,
//! antifreeze: not about an operation) and the progress in LBA 15:0 — no operation counter, no
//! record of which sanitize ended. Bits 15:14 are compared: a fast sanitize shows a change only
//! when the previous one had not completed without error (a new drive, or one whose last
//! sanitize failed); on a drive whose last sanitize succeeded, a completion too fast to be seen
//! cannot be told from that earlier one, and is not trusted. SECURITY ERASE UNIT
//! completes with its command; afterwards security must be found disabled — a drive still
//! holding the password is unlocked and disabled, and if it refuses, the disk fails (the next
//! boot recognises the password and unlocks it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reprise_cert::plan::SanitizeKind;

use super::super::report::{Completion, WipeError};
use super::super::strategy::DiskStrategy;
use super::super::technique::Technique;
use super::password::{security_data, temporary_password};
use super::{
    Attempt, Env, FirmwareTuning, Recorder, Status, Targets, classify, erase_progress,
    poll_until_end, sanitize_deadline,
};
use crate::model::{ErrorKind, error_chain};
use crate::parse::ata::{AtaIdentify, parse_identify};
use crate::parse::erase::{ata_sanitize_error, ata_sanitize_status};
use crate::sys::clock;
use crate::sys::passthrough::{AtaCommand, AtaData, Passthrough, PassthroughError, ata};
use crate::wipe::capability::AtaFacts;

fn status_cmd() -> AtaCommand {
    AtaCommand {
        features: ata::SANITIZE_STATUS_EXT,
        ext: true,
        device: ata::DEVICE_LBA,
        ..AtaCommand::new(ata::SANITIZE)
    }
}

/// The bits of SANITIZE STATUS EXT's COUNT that say how the last sanitize ended: 15 (completed
/// without error) and 14 (in progress).
fn status_words(count: u16) -> String {
    format!("COUNT {:04X}h", count & 0xC000)
}

/// The drive's IDENTIFY DEVICE data now; an answer that does not parse is taken as a path that
/// cannot carry ATA commands (`Unsupported`).
pub(super) fn identify(drive: &mut dyn Passthrough) -> Result<AtaIdentify, PassthroughError> {
    let mut buf = vec![0u8; 512];
    drive.ata(
        &AtaCommand::new(ata::IDENTIFY_DEVICE),
        AtaData::In(&mut buf),
    )?;
    parse_identify(&buf).map_err(|e| PassthroughError::Unsupported {
        dev: drive.name().to_owned(),
        why: e.to_string(),
    })
}

/// The drive's security word now: (enabled, locked, frozen).
fn security_now(drive: &mut dyn Passthrough) -> Result<(bool, bool, bool), PassthroughError> {
    let id = identify(drive)?;
    Ok((id.security.enabled, id.security.locked, id.security.frozen))
}

fn with_password(
    drive: &mut dyn Passthrough,
    command: u8,
    password: &[u8; 32],
    control: u16,
    timeout: Duration,
) -> Result<(), PassthroughError> {
    let data = security_data(password, control);
    drive
        .ata(
            &AtaCommand {
                timeout,
                ..AtaCommand::new(command)
            },
            AtaData::Out(&data),
        )
        .map(|_| ())
}

/// Unlocks a drive an interrupted run left locked with Reprise's password, and disables its
/// security. Refused: locked with someone else's password (the owner's, or a master password
/// is needed) — the disk cannot be sanitized here.
pub fn unlock_ours(drive: &mut dyn Passthrough, a: &AtaFacts, dev: &str) -> Result<(), WipeError> {
    let p = temporary_password(&a.model, &a.serial);
    let err = |why: String| WipeError {
        operation: ErrorKind::Firmware,
        lba: None,
        sectors: None,
        message: format!("{dev}: {why}"),
    };
    let t = Duration::from_secs(15);
    with_password(drive, ata::SECURITY_UNLOCK, &p, 0, t).map_err(|e| {
        err(format!(
            "the drive is locked, and not with Reprise's temporary password ({}): it needs its owner's password, or its master password",
            error_chain(&e)
        ))
    })?;
    with_password(drive, ata::SECURITY_DISABLE_PASSWORD, &p, 0, t).map_err(|e| {
        err(format!(
            "unlocked with Reprise's temporary password, but SECURITY DISABLE PASSWORD failed: {}",
            error_chain(&e)
        ))
    })?;
    Ok(())
}

fn sanitize_feature(kind: SanitizeKind) -> (u16, u64, &'static str) {
    match kind {
        SanitizeKind::Crypto => (
            ata::SANITIZE_CRYPTO_SCRAMBLE_EXT,
            ata::SANITIZE_CRYPTO_KEY,
            "CRYPTO SCRAMBLE EXT",
        ),
        SanitizeKind::Block => (
            ata::SANITIZE_BLOCK_ERASE_EXT,
            ata::SANITIZE_BLOCK_KEY,
            "BLOCK ERASE EXT",
        ),
        // Pattern 0 in LBA 31:0.
        SanitizeKind::Overwrite => (
            ata::SANITIZE_OVERWRITE_EXT,
            ata::SANITIZE_OVERWRITE_KEY,
            "OVERWRITE EXT",
        ),
    }
}

/// Starts an ATA SANITIZE and follows it to its end.
pub fn sanitize(
    drive: &mut dyn Passthrough,
    kind: SanitizeKind,
    targets: &Targets,
    tuning: &FirmwareTuning,
    env: &mut Env<'_>,
    dev: &str,
) -> Attempt {
    let (feature, key, name) = sanitize_feature(kind);
    let mut rec = Recorder::new(
        Technique::AtaSanitize(kind),
        format!(
            "ATA SANITIZE {name} (B4h/{feature:04X}h){}",
            if kind == SanitizeKind::Overwrite {
                ", 1 pass of zeros"
            } else {
                ""
            }
        ),
        &*env.pace,
    );
    let deadline = rec.deadline(tuning, sanitize_deadline(kind));
    match drive.ata(&status_cmd(), AtaData::None) {
        Ok(r) if ata_sanitize_status(r.count, r.lba).in_progress => {
            return Attempt::NotStarted("a sanitize is already in progress".into());
        }
        Ok(r) if ata_sanitize_status(r.count, r.lba).frozen => {
            return Attempt::NotStarted("the drive is in the sanitize frozen state".into());
        }
        Ok(r) => rec.status_before = Some(status_words(r.count)),
        // Unread (a failure state left by an earlier sanitize, say): only an end seen in
        // progress is trusted.
        Err(_) => {}
    }
    let cmd = AtaCommand {
        features: feature,
        // OVERWRITE: one pass (COUNT 3:0); no FAILURE MODE bit: a failure stays reported.
        count: u16::from(kind == SanitizeKind::Overwrite),
        lba: key,
        ext: true,
        timeout: Duration::from_secs(60),
        device: ata::DEVICE_LBA,
        ..AtaCommand::new(ata::SANITIZE)
    };
    match drive.ata(&cmd, AtaData::None) {
        Ok(r) => {
            if ata_sanitize_status(r.count, r.lba).in_progress {
                rec.observed_in_progress = true;
            }
        }
        Err(PassthroughError::Aborted { lba, .. }) => {
            // Aborted at once: nothing started; the reason is in LBA 7:0.
            return Attempt::NotStarted(format!(
                "SANITIZE aborted: {}",
                ata_sanitize_error(lba).describe()
            ));
        }
        Err(e) => return rec.start_failed(&*env.pace, dev, &e),
    }
    poll_until_end(
        &mut rec,
        env,
        dev,
        targets,
        (deadline, tuning.poll),
        "drive",
        |rec, pace| {
            match drive.ata(&status_cmd(), AtaData::None) {
            Ok(r) => {
                let st = ata_sanitize_status(r.count, r.lba);
                let now = status_words(r.count);
                // A success that reads exactly as before the command, never seen running, may be
                // the earlier sanitize's: read again.
                let ours = rec.observed_in_progress || rec.status_before.as_deref() != Some(&now);
                Ok(if st.in_progress {
                    Status::Running(Some(st.progress))
                } else if st.completed_without_error && ours {
                    Status::Completed(Some(now))
                } else if rec.polls > 10 {
                    Status::ended(rec.failed(
                        pace,
                        Completion::Failed,
                        dev,
                        format!(
                            "the drive accepted the command but reports neither progress nor a completion that differs from before the command (status COUNT {:#06x}; before: {})",
                            r.count,
                            rec.status_before.as_deref().unwrap_or("not read")
                        ),
                    ))
                } else {
                    Status::Waiting
                })
            }
            // The sanitize failed: the drive is in the sanitize failure state.
            Err(PassthroughError::Aborted {
                lba, status, error, ..
            }) => Ok(Status::ended(rec.failed(
                pace,
                Completion::Failed,
                dev,
                format!(
                    "SANITIZE STATUS EXT reports the operation failed: {} (status {status:#04x}, error {error:#04x})",
                    ata_sanitize_error(lba).describe()
                ),
            ))),
            Err(e) => Err(e),
        }
        },
    )
}

/// SECURITY ERASE UNIT: temporary password, ERASE PREPARE, ERASE UNIT (with the timeout the
/// drive's estimate asks for), then security checked disabled.
pub fn security_erase(
    drive: &mut dyn Passthrough,
    enhanced: bool,
    strategy: &DiskStrategy,
    targets: &Targets,
    tuning: &FirmwareTuning,
    env: &mut Env<'_>,
    dev: &str,
) -> Attempt {
    let Some(a) = strategy.facts.ata.as_ref() else {
        return Attempt::NotStarted("no ATA IDENTIFY data".into());
    };
    let password = temporary_password(&a.model, &a.serial);
    let minutes = if enhanced {
        a.enhanced_erase_minutes
    } else {
        a.erase_minutes
    };
    let mut rec = Recorder::new(
        Technique::AtaSecurityErase { enhanced },
        format!(
            "ATA SECURITY ERASE UNIT (F4h){}, with Reprise's temporary user password",
            if enhanced { ", enhanced" } else { "" }
        ),
        &*env.pace,
    );
    rec.estimated = minutes.map(|m| Duration::from_secs(u64::from(m) * 60));
    // Twice the drive's own estimate plus half an hour; 12 hours when it gives none.
    let timeout = tuning.timeout.unwrap_or(match minutes {
        Some(m) => Duration::from_secs(u64::from(m) * 120 + 1800),
        None => Duration::from_secs(12 * 3600),
    });
    let short = Duration::from_secs(15);
    match security_now(drive) {
        Ok((_, _, true)) => return Attempt::NotStarted("security is frozen".into()),
        Ok((_, true, _)) => {
            if let Err(e) = unlock_ours(drive, a, dev) {
                return Attempt::NotStarted(e.message);
            }
        }
        Ok(_) => {}
        Err(e) => {
            let (completion, why) = classify(&e);
            if completion == Completion::DeviceGone {
                return rec.failed(&*env.pace, completion, dev, why);
            }
            return Attempt::NotStarted(why);
        }
    }
    // 1. The temporary password (user, high security level).
    if let Err(e) = with_password(drive, ata::SECURITY_SET_PASSWORD, &password, 0, short) {
        return Attempt::NotStarted(format!("SECURITY SET PASSWORD: {}", error_chain(&e)));
    }
    match security_now(drive) {
        Ok((true, _, _)) => {}
        Ok(_) => {
            return Attempt::NotStarted(
                "SECURITY SET PASSWORD was accepted but security is not enabled".into(),
            );
        }
        Err(e) => return cleanup_then(drive, &password, rec, env, dev, e),
    }
    // 2. ERASE PREPARE, immediately followed by 3. ERASE UNIT.
    if let Err(e) = drive.ata(
        &AtaCommand {
            timeout: short,
            ..AtaCommand::new(ata::SECURITY_ERASE_PREPARE)
        },
        AtaData::None,
    ) {
        return cleanup_then(drive, &password, rec, env, dev, e);
    }
    let data = security_data(&password, if enhanced { 2 } else { 0 });
    let erase = AtaCommand {
        timeout,
        ..AtaCommand::new(ata::SECURITY_ERASE_UNIT)
    };
    // The command blocks for the whole erase: progress is the share of the drive's estimate.
    let done = AtomicBool::new(false);
    let t_start = clock::Stopwatch::start();
    let result = std::thread::scope(|s| {
        let events = env.events.clone();
        let est = rec.estimated;
        let done = &done;
        s.spawn(move || {
            while !done.load(Ordering::Relaxed) {
                erase_progress(&events, targets, None, t_start.elapsed(), est);
                for _ in 0..20 {
                    if done.load(Ordering::Relaxed) {
                        return;
                    }
                    clock::sleep(Duration::from_millis(100));
                }
            }
        });
        let r = drive.ata(&erase, AtaData::Out(&data));
        done.store(true, Ordering::Relaxed);
        r
    });
    if let Err(e) = result {
        let (completion, why) = classify(&e);
        let left = relock_state(drive, &password);
        let mut r = rec.finish(
            &*env.pace,
            completion,
            false,
            Some(format!("{why}; {left}")),
        );
        r.security_disabled_after = security_now(drive).ok().map(|(en, _, _)| !en);
        return Attempt::Failed(
            r,
            WipeError {
                operation: if completion == Completion::DeviceGone {
                    ErrorKind::DeviceGone
                } else {
                    ErrorKind::Firmware
                },
                lba: None,
                sectors: None,
                message: format!("{dev}: {}: {why}; {left}", rec.command),
            },
        );
    }
    // 4. Security must be disabled now (a successful erase clears the user password).
    let mut disabled = security_now(drive).ok().map(|(en, _, _)| !en);
    if disabled == Some(false) {
        let _ = with_password(drive, ata::SECURITY_DISABLE_PASSWORD, &password, 0, short);
        disabled = security_now(drive).ok().map(|(en, _, _)| !en);
    }
    let mut r = rec.finish(&*env.pace, Completion::Completed, true, None);
    r.security_disabled_after = disabled;
    if disabled != Some(true) {
        r.status = Some(
            "security is still enabled with Reprise's temporary password; the next Reprise boot recognises and unlocks it".into(),
        );
    }
    erase_progress(
        env.events,
        targets,
        Some(0xFFFF),
        env.pace.elapsed().saturating_sub(rec.t0),
        rec.estimated,
    );
    Attempt::Done(r)
}

/// After a failure with the password set: disables it (unlocking first if needed) and says
/// what state the drive is left in.
fn relock_state(drive: &mut dyn Passthrough, password: &[u8; 32]) -> String {
    let short = Duration::from_secs(15);
    if let Ok((_, true, _)) = security_now(drive) {
        let _ = with_password(drive, ata::SECURITY_UNLOCK, password, 0, short);
    }
    let _ = with_password(drive, ata::SECURITY_DISABLE_PASSWORD, password, 0, short);
    match security_now(drive) {
        Ok((false, _, _)) => "Reprise's temporary password was removed".into(),
        Ok((true, _, _)) => {
            "the drive keeps Reprise's temporary password; the next Reprise boot recognises and unlocks it".into()
        }
        Err(e) => format!(
            "the drive's security state cannot be read ({}); the next Reprise boot recognises the password if it is set",
            error_chain(&e)
        ),
    }
}

/// A failure before ERASE UNIT, with the password set: remove it; then it did not start (or,
/// if the password stays, the disk fails).
fn cleanup_then(
    drive: &mut dyn Passthrough,
    password: &[u8; 32],
    rec: Recorder,
    env: &mut Env<'_>,
    dev: &str,
    e: PassthroughError,
) -> Attempt {
    let (completion, why) = classify(&e);
    let left = relock_state(drive, password);
    if completion != Completion::DeviceGone && matches!(security_now(drive), Ok((false, _, _))) {
        return Attempt::NotStarted(format!("{why}; {left}"));
    }
    rec.failed(&*env.pace, completion, dev, format!("{why}; {left}"))
}
