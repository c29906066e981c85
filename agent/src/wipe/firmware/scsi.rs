//! SCSI SANITIZE (SBC-3 §5.30): overwrite, block erase or cryptographic erase, started with
//! IMMED and followed through REQUEST SENSE, which reports NOT READY / SANITIZE IN PROGRESS
//! with a progress indication until the end, then nothing (success) or MEDIUM ERROR / SANITIZE
//! COMMAND FAILED. Success is trusted only after the in-progress state was seen: SCSI keeps no
//! status of a past sanitize (the sense data of its end is reported once, then cleared; no log
//! page records it), so a sanitize that ends before the first REQUEST SENSE leaves nothing that
//! differs from before the command.

use std::time::Duration;

use reprise_cert::plan::SanitizeKind;

use super::super::report::Completion;
use super::super::technique::Technique;
use super::{
    Attempt, Env, FirmwareTuning, Recorder, Status, Targets, poll_until_end, sanitize_deadline,
};
use crate::parse::erase::{ScsiSanitizeSense, scsi_sanitize_sense};
use crate::parse::sat::sense_code;
use crate::sys::passthrough::{Passthrough, ScsiData, scsi};

/// The SANITIZE CDB (10 bytes): IMMED, AUSE, the service action, the parameter list length.
pub fn sanitize_cdb(service_action: u8, parameter_len: u16) -> [u8; 10] {
    let [hi, lo] = parameter_len.to_be_bytes();
    [
        scsi::SANITIZE,
        0x80 | 0x20 | (service_action & 0x1f),
        0,
        0,
        0,
        0,
        0,
        hi,
        lo,
        0,
    ]
}

/// Starts a SCSI SANITIZE and follows it to its end.
pub fn sanitize(
    drive: &mut dyn Passthrough,
    kind: SanitizeKind,
    targets: &Targets,
    tuning: &FirmwareTuning,
    env: &mut Env<'_>,
    dev: &str,
) -> Attempt {
    let sa = match kind {
        SanitizeKind::Overwrite => scsi::SANITIZE_OVERWRITE,
        SanitizeKind::Block => scsi::SANITIZE_BLOCK_ERASE,
        SanitizeKind::Crypto => scsi::SANITIZE_CRYPTO_ERASE,
    };
    let mut rec = Recorder::new(
        Technique::ScsiSanitize(kind),
        format!(
            "SCSI SANITIZE (48h), service action {sa:02X}h ({}), IMMED",
            kind.as_str()
        ),
        &*env.pace,
    );
    let deadline = rec.deadline(tuning, sanitize_deadline(kind));
    // OVERWRITE takes a parameter list: one pass (count 1), a 4-byte pattern of zeros.
    let params = [0x01u8, 0, 0, 4, 0, 0, 0, 0];
    let (cdb, data) = if kind == SanitizeKind::Overwrite {
        (
            sanitize_cdb(sa, params.len() as u16),
            ScsiData::Out(&params),
        )
    } else {
        (sanitize_cdb(sa, 0), ScsiData::None)
    };
    match drive.scsi(&cdb, data, Duration::from_secs(60)) {
        Ok(st) if st.good() => {}
        Ok(st) => {
            let code = sense_code(&st.sense);
            // ILLEGAL REQUEST (unsupported, bad field) or NOT READY: nothing started.
            return Attempt::NotStarted(match code {
                Some(c) => format!(
                    "SANITIZE refused: sense key {:#x}, ASC {:#04x}/{:#04x}",
                    c.key, c.asc, c.ascq
                ),
                None => format!("SANITIZE refused: status {:#04x}", st.status),
            });
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
            let mut sense = [0u8; 252];
            drive.scsi(
                &[scsi::REQUEST_SENSE, 0, 0, 0, 252, 0],
                ScsiData::In(&mut sense),
                Duration::from_secs(15),
            )?;
            Ok(match scsi_sanitize_sense(&sense) {
                ScsiSanitizeSense::InProgress { progress } => Status::Running(progress),
                ScsiSanitizeSense::Idle if rec.observed_in_progress => Status::ended(
                    Attempt::Done(rec.finish(pace, Completion::Completed, true, None)),
                ),
                // Done before anyone saw it, or never started: not trusted either way.
                ScsiSanitizeSense::Idle if rec.polls > 10 => {
                    Status::ended(Attempt::Done(rec.finish(
                        pace,
                        Completion::Completed,
                        true,
                        Some("no sanitize in progress was ever reported".into()),
                    )))
                }
                ScsiSanitizeSense::Idle => Status::Waiting,
                ScsiSanitizeSense::Failed => Status::ended(rec.failed(
                    pace,
                    Completion::Failed,
                    dev,
                    "MEDIUM ERROR, SANITIZE COMMAND FAILED (31h/03h)".into(),
                )),
                ScsiSanitizeSense::Other { key, asc, ascq } => Status::ended(rec.failed(
                    pace,
                    Completion::Failed,
                    dev,
                    format!("unexpected sense: key {key:#x}, ASC {asc:#04x}/{ascq:#04x}"),
                )),
            })
        },
    )
}
