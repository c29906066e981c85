//! Every firmware technique against simulated drives with real state, the failure paths
//! included: a Purge is claimed only when the drive reported success (for a sanitize, after an
//! observed in-progress state or a status changed across the command) and the canary check
//! passed (`firmware_canary.rs` has the canaries' own tests); every failure is `failed` with
//! the drive's codes, never sanitized. Time is virtual: an hour-long sanitize and its timeout
//! run in no time.

use std::time::Duration;

use reprise::model::{ErrorKind, Level, MediaType};
use reprise::sys::passthrough::{Inspection, Passthrough, PassthroughError, ScsiData, scsi};
use reprise::wipe::firmware::password::temporary_password;
use reprise::wipe::report::{CanaryRule, Completion, DeviceWipe, Outcome, PostErase};
use reprise::wipe::technique::Technique;
use reprise::wipe::{CancelToken, Phase, VerifySpec, WipeEvent};
use reprise_cert::plan::Explanation;
use reprise_sim::ata::{EraseUnitFault, SanState, SecState};
use reprise_sim::media::SimMedia;

use crate::support::drives;
use drives::*;

const SAMPLE: VerifySpec = VerifySpec::Sample { permille: 100 };

fn kinds(w: &DeviceWipe) -> Vec<ErrorKind> {
    w.errors.iter().map(|e| e.operation).collect()
}

fn assert_purged(w: &DeviceWipe, technique: &str) {
    assert_eq!(w.technique, technique, "{w:#?}");
    assert_eq!(w.level, Level::Purge, "{w:#?}");
    assert_eq!(w.outcome, Outcome::Passed, "{:#?}", w.errors);
    assert!(w.is_sanitized(), "{:?}", w.check_consistency());
    let c = w.firmware_check.as_ref().unwrap();
    assert!(c.passed && c.blocks_checked > 1000 && c.unchanged_blocks == 0);
    assert_eq!(c.samples.len() as u64, c.blocks_checked);
    assert_eq!(
        c.canaries,
        Some(c.blocks_checked),
        "a canary in every block"
    );
}

fn assert_failed(w: &DeviceWipe, kind: ErrorKind, words: &str) {
    assert_eq!(w.outcome, Outcome::Failed, "{w:#?}");
    assert!(!w.is_sanitized());
    assert!(
        w.errors
            .iter()
            .any(|e| e.operation == kind && e.message.contains(words)),
        "no {kind:?} error saying {words:?}: {:#?}",
        w.errors
    );
}

/// Every sector of `media` changed from `old`.
fn all_erased(media: &SimMedia, old: &[u8]) -> bool {
    let now = media.snapshot();
    now.chunks(512).zip(old.chunks(512)).all(|(n, o)| n != o)
}

// --- NVMe -------------------------------------------------------------------------------

#[test]
fn nvme_sanitize_crypto_purges_every_namespace_and_says_how() {
    let mut d = samsung_pm();
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    let old = media.snapshot();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let plan = plan_of(&id, s, SAMPLE);
    let ran = run(
        &mut d,
        std::slice::from_ref(&media),
        &plan,
        |_| {},
        &CancelToken::new(),
    );
    let w = &ran.wipes[0];
    assert_purged(w, "nvme-sanitize-crypto");
    assert!(all_erased(&media, &old));
    let fw = w.firmware.as_ref().unwrap();
    assert!(fw.observed_in_progress && fw.reported_success);
    assert_eq!(fw.completion, Completion::Completed);
    assert_eq!(fw.namespaces, vec![1]);
    assert!(fw.polls >= 3, "{fw:?}");
    assert!(fw.command.starts_with("NVMe Sanitize (84h), crypto erase"));
    assert_eq!(w.firmware_check.as_ref().unwrap().rule, PostErase::Changed);
    assert_eq!(
        w.firmware_check.as_ref().unwrap().canary_rule(),
        Some(CanaryRule::Differs)
    );
    // The controller deallocated: the namespace reads as DLFEAT says (zeros).
    assert!(media.snapshot().iter().all(|&b| b == 0));
    assert_eq!(
        (fw.status_before.as_deref(), fw.status_after.as_deref()),
        (
            Some("SSTAT 0000h, SCDW10 00000000h"),
            Some("SSTAT 0101h, SCDW10 0000000Ch")
        )
    );
    assert_eq!(w.method, "none");
    assert_eq!(w.bytes_written, 0);
    // Progress of the erase reached the screen, from the drive's SPROG.
    assert!(ran.events.iter().any(|e| matches!(
        e,
        WipeEvent::Progress(p) if p.phase == Phase::Erase && p.bytes_done > 0
    )));
    assert!(matches!(
        ran.events.last(),
        Some(WipeEvent::Finished {
            outcome: Outcome::Passed,
            ..
        })
    ));
}

#[test]
fn nvme_format_of_the_qemu_kind_is_a_purge_checked_against_zeros() {
    let mut d = qemu_nvme();
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    let (facts, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    assert_eq!(s.technique.name(), "nvme-format-user-data");
    assert_eq!(
        facts.nvme.as_ref().unwrap().dealloc,
        Some(reprise::wipe::technique::PostErase::Zeros)
    );
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_purged(&w, "nvme-format-user-data");
    assert_eq!(w.firmware_check.as_ref().unwrap().rule, PostErase::Zeros);
    assert!(media.snapshot().iter().all(|&b| b == 0));
    let fw = w.firmware.unwrap();
    assert!(
        fw.command
            .contains("SES 1 (user data erase), LBA format 0, namespace 1")
    );
    assert!(
        !fw.observed_in_progress,
        "a format completes with its command"
    );
}

#[test]
fn a_firmware_that_reports_success_without_erasing_is_caught() {
    for mut d in [samsung_pm(), qemu_nvme()] {
        d.fw.lies = true;
        let id = nvme_identity(&d, 1);
        let media = d.media(1).clone();
        let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
        let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
        assert_failed(&w, ErrorKind::Verify, "still held their canary");
        assert!(w.firmware.as_ref().unwrap().reported_success);
        let c = w.firmware_check.as_ref().unwrap();
        assert_eq!(c.unchanged_blocks, c.blocks_checked);
    }
}

#[test]
fn a_sanitize_reported_done_in_a_status_that_never_changed_is_not_trusted() {
    // Completed before the first status read, on a controller whose log reads the same before
    // and after (sanitized the same way before, no Global Data Erased): not this command's end.
    let mut d = samsung_pm();
    d.fw.sanitize_instant = true;
    d.fw.no_gde = true;
    d.sanitized_before(4 | 1 << 3);
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_failed(&w, ErrorKind::Firmware, "never reported it");
    let fw = w.firmware.unwrap();
    assert!(!fw.reported_success && !fw.observed_in_progress);
    assert!(!fw.status_changed());
}

#[test]
fn nvme_sanitize_failed_timeout_and_vanished() {
    // The controller reports the sanitize failed.
    let mut d = samsung_pm();
    d.fw.sanitize_fails = true;
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let plan = plan_of(&id, s, SAMPLE);
    let w = run1(&mut d, &media, &plan);
    assert_failed(&w, ErrorKind::Firmware, "SSTAT 3");
    assert_eq!(w.firmware.as_ref().unwrap().completion, Completion::Failed);
    // It never ends: timeout, in virtual time.
    let mut d = samsung_pm();
    d.fw.sanitize_polls = 250;
    let media = d.media(1).clone();
    let w = run(
        &mut d,
        &[media],
        &plan,
        |j| j.tuning.timeout = Some(Duration::from_secs(60)),
        &CancelToken::new(),
    )
    .wipes
    .remove(0);
    assert_failed(&w, ErrorKind::Firmware, "no end reported within 60 s");
    assert_eq!(w.firmware.as_ref().unwrap().completion, Completion::Timeout);
    // The drive vanishes while sanitizing.
    let mut d = samsung_pm();
    d.fw.sanitize_polls = 20;
    d.fw.vanish_after = Some(4);
    let media = d.media(1).clone();
    let w = run1(&mut d, &media, &plan);
    assert_eq!(w.outcome, Outcome::Failed);
    assert!(
        kinds(&w).contains(&ErrorKind::DeviceGone),
        "{:#?}",
        w.errors
    );
    assert!(!w.is_sanitized());
}

#[test]
fn a_refused_technique_falls_back_and_the_record_says_clear() {
    // The format is refused with "invalid field" before anything happens: the plan's overwrite
    // runs, and the record says Clear (with the refusal), never Purge.
    let mut d = qemu_nvme();
    d.fw.format_status = Some(0x0002);
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_eq!(w.technique, "overwrite");
    assert_eq!(w.level, Level::Clear);
    assert_eq!(w.outcome, Outcome::Passed, "{:#?}", w.errors);
    assert!(w.is_sanitized());
    assert!(w.explanations.iter().any(|e| matches!(
        e,
        Explanation::TechniqueRefused { technique, why }
            if technique == "nvme-format-user-data" && why.contains("0x0002")
    )));
    assert!(media.snapshot().iter().all(|&b| b == 0));
    // An internal error during the format is not a refusal: the disk fails.
    let mut d = qemu_nvme();
    d.fw.format_status = Some(0x0006);
    let media = d.media(1).clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_failed(&w, ErrorKind::Firmware, "internal error");
}

#[test]
fn one_sanitize_for_every_namespace_of_the_controller() {
    let mut d = hynix_p41();
    d.fw.media
        .insert(2, SimMedia::new((SECTORS * 512) as usize, 512, 8));
    d.id_ns.insert(2, id_ns());
    let facts = reprise::wipe::capability::inspect(&mut d, reprise::model::Transport::Nvme);
    let both = std::collections::BTreeSet::from([1, 2]);
    let mut devices = Vec::new();
    for ns in [1, 2] {
        let id = nvme_identity(&d, ns);
        let mut f = facts.clone();
        f.nvme.as_mut().unwrap().nsid = ns;
        let s = reprise::wipe::strategy::choose(&id, &f, &request(Level::Purge), &both);
        devices.push(reprise::wipe::PlannedDevice {
            path: id.dev_path.clone().into(),
            identity: id,
            method: s.method.clone(),
            strategy: Some(s),
        });
    }
    let plan = reprise::wipe::WipePlan {
        devices,
        rounds: 1,
        verify: SAMPLE,
    }
    .validate()
    .unwrap();
    let media = [d.media(1).clone(), d.media(2).clone()];
    let ran = run(&mut d, &media, &plan, |_| {}, &CancelToken::new());
    assert_eq!(ran.wipes.len(), 2);
    for w in &ran.wipes {
        assert_purged(w, "nvme-sanitize-block");
        assert_eq!(w.firmware.as_ref().unwrap().namespaces, vec![1, 2]);
    }
    let sanitizes = d.commands.iter().filter(|c| *c == "nvme 0x84").count();
    assert_eq!(sanitizes, 1, "one command for the whole controller");
}

// --- ATA security erase -----------------------------------------------------------------

#[test]
fn enhanced_security_erase_purges_an_hdd_and_leaves_no_password() {
    let mut d = hdd_with_sanitize();
    d.fw.sanitize = None;
    let id = ata_identity(&d, MediaType::Hdd);
    let media = d.media().clone();
    let old = media.snapshot();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    assert_eq!(s.technique, Technique::AtaSecurityErase { enhanced: true });
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_purged(&w, "ata-security-erase-enhanced");
    let fw = w.firmware.as_ref().unwrap();
    assert_eq!(fw.security_disabled_after, Some(true));
    assert_eq!(fw.estimated_ms, Some(4 * 60_000));
    assert!(all_erased(&media, &old));
    let sec = d.fw.security.as_ref().unwrap();
    assert_eq!(sec.state, SecState::Sec1);
    assert!(sec.user_password.is_none());
    // The command sequence: password, prepare, erase unit.
    let seq: Vec<&str> = d
        .commands
        .iter()
        .map(String::as_str)
        .filter(|c| c.starts_with("ata 0xf"))
        .collect();
    assert_eq!(seq, ["ata 0xf1", "ata 0xf3", "ata 0xf4"]);
}

#[test]
fn a_drive_that_stays_locked_fails_and_is_unlocked_at_the_next_boot() {
    let mut d = hdd_with_sanitize();
    d.fw.sanitize = None;
    d.fw.security.as_mut().unwrap().fault = EraseUnitFault::StaysLocked;
    let id = ata_identity(&d, MediaType::Hdd);
    let media = d.media().clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let plan = plan_of(&id, s, SAMPLE);
    let w = run1(&mut d, &media, &plan);
    assert_failed(&w, ErrorKind::Firmware, "security is still enabled");
    assert_eq!(
        w.firmware.as_ref().unwrap().security_disabled_after,
        Some(false)
    );
    // Power off and on: the drive comes up locked with Reprise's password.
    d.fw.security.as_mut().unwrap().fault = EraseUnitFault::None;
    d.power_cycle(false);
    assert_eq!(d.fw.security.as_ref().unwrap().state, SecState::Sec4);
    let (facts, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    assert!(facts.ata.as_ref().unwrap().locked);
    assert!(s.explanations.contains(&Explanation::AtaLocked));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_purged(&w, "ata-security-erase-enhanced");
    assert_eq!(d.fw.security.as_ref().unwrap().state, SecState::Sec1);
}

#[test]
fn a_drive_locked_with_a_stranger_password_cannot_be_sanitized() {
    let mut d = hdd_with_sanitize();
    d.fw.sanitize = None;
    {
        let sec = d.fw.security.as_mut().unwrap();
        sec.user_password = Some(*b"the owner's secret password 1234");
        sec.state = SecState::Sec4;
    }
    let id = ata_identity(&d, MediaType::Hdd);
    let media = d.media().clone();
    let old = media.snapshot();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_failed(
        &w,
        ErrorKind::Firmware,
        "not with Reprise's temporary password",
    );
    assert_eq!(media.snapshot(), old, "nothing was written");
    // One attempt only: the drive's counter is barely touched.
    assert_eq!(d.fw.security.as_ref().unwrap().attempts_left, 4);
}

#[test]
fn security_erase_aborted_or_timed_out_fails_with_the_codes() {
    for (fault, words, completion) in [
        (
            EraseUnitFault::Aborted,
            "aborted by the drive (status 0x51, error 0x04)",
            Completion::Failed,
        ),
        (EraseUnitFault::Timeout, "host 0x3", Completion::Timeout),
    ] {
        let mut d = hdd_with_sanitize();
        d.fw.sanitize = None;
        d.fw.security.as_mut().unwrap().fault = fault;
        let id = ata_identity(&d, MediaType::Hdd);
        let media = d.media().clone();
        let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
        let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
        assert_failed(&w, ErrorKind::Firmware, words);
        assert_eq!(w.firmware.as_ref().unwrap().completion, completion);
        // The temporary password was taken off again.
        assert!(
            d.fw.security.as_ref().unwrap().user_password.is_none(),
            "{fault:?}"
        );
        assert!(
            w.errors[0]
                .message
                .contains("temporary password was removed")
        );
    }
}

#[test]
fn the_password_is_the_documented_one() {
    let mut d = hdd_with_sanitize();
    d.fw.sanitize = None;
    d.fw.security.as_mut().unwrap().fault = EraseUnitFault::StaysLocked;
    let id = ata_identity(&d, MediaType::Hdd);
    let media = d.media().clone();
    let (facts, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let _ = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    let a = facts.ata.unwrap();
    assert_eq!(
        d.fw.security.as_ref().unwrap().user_password,
        Some(temporary_password(&a.model, &a.serial))
    );
    assert_eq!(a.model, "TOSHIBA MK1651GSY");
}

// --- ATA SANITIZE -----------------------------------------------------------------------

#[test]
fn ata_sanitize_block_erase_purges_an_ssd() {
    let mut d = ssd_with_sanitize();
    let id = ata_identity(&d, MediaType::Ssd);
    let media = d.media().clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_purged(&w, "ata-sanitize-block");
    assert!(w.firmware.as_ref().unwrap().observed_in_progress);
    assert_eq!(d.fw.sanitize.as_ref().unwrap().state, SanState::Idle);
}

#[test]
fn an_idle_drive_reporting_success_is_not_believed() {
    // The drive says "completed without error" for an earlier sanitize, and completes this one
    // before anyone can see it running.
    let mut d = ssd_with_sanitize();
    {
        let s = d.fw.sanitize.as_mut().unwrap();
        s.idle_reports_success = true;
        s.instant = true;
    }
    let id = ata_identity(&d, MediaType::Ssd);
    let media = d.media().clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_failed(
        &w,
        ErrorKind::Firmware,
        "reports neither progress nor a completion that differs from before the command",
    );
}

#[test]
fn ata_sanitize_failure_and_a_freeze_at_run_time() {
    let mut d = ssd_with_sanitize();
    d.fw.sanitize.as_mut().unwrap().fails = true;
    let id = ata_identity(&d, MediaType::Ssd);
    let media = d.media().clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let plan = plan_of(&id, s, SAMPLE);
    let w = run1(&mut d, &media, &plan);
    assert_failed(
        &w,
        ErrorKind::Firmware,
        "the sanitize operation failed (01h)",
    );
    // Frozen after the plan was made (by the BIOS at a reboot): refused before anything
    // changed, then block erase... also refused, then the overwrite: Clear, said so.
    let mut d = ssd_with_sanitize();
    d.fw.sanitize.as_mut().unwrap().frozen = true;
    let media = d.media().clone();
    let w = run1(&mut d, &media, &plan);
    assert_eq!((w.technique.as_str(), w.level), ("overwrite", Level::Clear));
    assert!(w.is_sanitized(), "{:#?}", w.errors);
    let refused: Vec<_> = w
        .explanations
        .iter()
        .filter(|e| matches!(e, Explanation::TechniqueRefused { .. }))
        .collect();
    assert_eq!(refused.len(), 2, "{refused:#?}");
}

// --- SCSI -------------------------------------------------------------------------------

#[test]
fn scsi_sanitize_and_its_failure() {
    let id = identity(
        "/dev/sim-sdc",
        reprise::model::Transport::Scsi,
        MediaType::Hdd,
        "S1",
        None,
        SECTORS * 512,
    );
    let mut d = sas_disk();
    let media = d.media.clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(&mut d, &media, &plan_of(&id, s.clone(), SAMPLE));
    assert_purged(&w, "scsi-sanitize-overwrite");
    assert!(media.snapshot().iter().all(|&b| b == 0));
    let mut d = sas_disk();
    d.fails = true;
    let media = d.media.clone();
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_failed(&w, ErrorKind::Firmware, "SANITIZE COMMAND FAILED (31h/03h)");
}

// --- hidden areas -----------------------------------------------------------------------

/// The probe's handle (`Inspection`) refuses a SANITIZE before it reaches the drive: the drive
/// sees no command at all.
#[test]
fn inspection_refuses_a_scsi_sanitize_before_the_drive_sees_it() {
    let mut d = Inspection(sas_disk());
    let e = d
        .scsi(
            &[scsi::SANITIZE, 0x83, 0, 0, 0, 0, 0, 0, 0, 0],
            ScsiData::None,
            Duration::from_secs(1),
        )
        .unwrap_err();
    assert!(matches!(e, PassthroughError::Destructive { .. }), "{e}");
    assert!(d.0.commands.is_empty());
}

#[test]
fn an_hpa_is_removed_before_the_overwrite_and_recorded() {
    let mut d = toshiba_hdd();
    d.set_hpa(1000);
    let id = ata_identity(&d, MediaType::Hdd);
    assert_eq!(id.size_bytes, (SECTORS - 1000) * 512);
    let media = d.media().clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Clear));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_eq!(w.outcome, Outcome::Passed, "{:#?}", w.errors);
    assert!(w.is_sanitized());
    let h = w.hidden_areas.as_ref().unwrap();
    assert_eq!(
        (h.hpa_sectors_before, h.hpa_sectors_after),
        (Some(1000), Some(0))
    );
    assert_eq!(
        w.device.size_bytes,
        SECTORS * 512,
        "the whole native capacity"
    );
    assert!(
        media.snapshot().iter().all(|&b| b == 0),
        "the hidden end too"
    );
}

#[test]
fn a_dco_left_in_place_fails_the_disk_and_a_restored_one_does_not() {
    let mut d = toshiba_hdd();
    d.set_dco(64);
    let id = ata_identity(&d, MediaType::Hdd);
    let media = d.media().clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Clear));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_failed(&w, ErrorKind::HiddenArea, "64 sector(s) stay hidden");
    let h = w.hidden_areas.unwrap();
    assert_eq!(
        (h.dco_sectors_before, h.dco_sectors_after),
        (Some(64), Some(64))
    );
    // With --dco-restore, the factory capacity comes back and is written.
    let mut d = toshiba_hdd();
    d.set_dco(64);
    let media = d.media().clone();
    let mut req = request(Level::Clear);
    req.dco_restore = true;
    let (_, s) = strategy_of(&mut d, &id, &req);
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert!(w.is_sanitized(), "{:#?}", w.errors);
    let h = w.hidden_areas.unwrap();
    assert_eq!(
        (h.dco_sectors_before, h.dco_sectors_after),
        (Some(64), Some(0))
    );
    assert!(media.snapshot().iter().all(|&b| b == 0));
}

// --- the zero pass, cancellation, no verification ---------------------------------------

#[test]
fn then_zero_leaves_verified_zeros_after_the_purge() {
    let mut d = samsung_pm();
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    let mut req = request(Level::Purge);
    req.then_zero = true;
    let (_, s) = strategy_of(&mut d, &id, &req);
    assert!(s.explanations.contains(&Explanation::ThenZero));
    let w = run1(&mut d, &media, &plan_of(&id, s, VerifySpec::Full));
    assert_purged(&w, "nvme-sanitize-crypto");
    assert_eq!(w.method, "zero");
    assert_eq!(w.passes.len(), 1);
    assert_eq!(w.bytes_written, SECTORS * 512);
    assert_eq!(w.verification.coverage_permille, 1000);
    assert!(media.snapshot().iter().all(|&b| b == 0));
}

#[test]
fn without_verification_a_purge_is_unverified_and_cancel_is_cancelled() {
    let mut d = samsung_pm();
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(&mut d, &media, &plan_of(&id, s.clone(), VerifySpec::None));
    assert_eq!(w.outcome, Outcome::Unverified);
    assert!(!w.is_sanitized());
    assert!(w.check_consistency().is_ok(), "{:?}", w.check_consistency());
    let mut d = samsung_pm();
    let media = d.media(1).clone();
    let cancel = CancelToken::new();
    cancel.cancel();
    let w = run(&mut d, &[media], &plan_of(&id, s, SAMPLE), |_| {}, &cancel)
        .wipes
        .remove(0);
    assert_eq!(w.outcome, Outcome::Cancelled);
    assert!(kinds(&w).contains(&ErrorKind::Cancelled));
}

// --- the one predicate refuses what a firmware erase cannot have produced -----------------

#[test]
fn edited_firmware_records_are_refused() {
    let mut d = samsung_pm();
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let good = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert!(good.is_sanitized());
    type Edit = Box<dyn Fn(&mut DeviceWipe)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "never in progress, status unchanged",
            Box::new(|w| {
                let fw = w.firmware.as_mut().unwrap();
                fw.observed_in_progress = false;
                fw.status_after = fw.status_before.clone();
            }),
        ),
        (
            "never in progress, status before not read",
            Box::new(|w| {
                let fw = w.firmware.as_mut().unwrap();
                fw.observed_in_progress = false;
                fw.status_before = None;
            }),
        ),
        (
            "a check without canaries",
            Box::new(|w| {
                let c = w.firmware_check.as_mut().unwrap();
                c.canaries = None;
                c.wrong_content_blocks = None;
            }),
        ),
        (
            "canaries miscounted",
            Box::new(|w| {
                let c = w.firmware_check.as_mut().unwrap();
                c.canaries = c.canaries.map(|n| n + 1);
            }),
        ),
        (
            "a block still its canary",
            Box::new(|w| {
                let c = w.firmware_check.as_mut().unwrap();
                c.samples[5].after = c.samples[5].before.clone();
            }),
        ),
        (
            "a canary missing",
            Box::new(|w| w.firmware_check.as_mut().unwrap().samples[9].before = None),
        ),
        (
            "the rule changed after the check",
            Box::new(|w| {
                let c = w.firmware_check.as_mut().unwrap();
                c.rule = PostErase::Zeros;
            }),
        ),
        (
            "no success",
            Box::new(|w| w.firmware.as_mut().unwrap().reported_success = false),
        ),
        (
            "timeout",
            Box::new(|w| w.firmware.as_mut().unwrap().completion = Completion::Timeout),
        ),
        ("no record", Box::new(|w| w.firmware = None)),
        ("no check", Box::new(|w| w.firmware_check = None)),
        (
            "check counters",
            Box::new(|w| {
                w.firmware_check.as_mut().unwrap().samples[3].after =
                    w.firmware_check.as_ref().unwrap().samples[3].before.clone()
            }),
        ),
        (
            "purge by overwrite",
            Box::new(|w| w.technique = "overwrite".into()),
        ),
        (
            "clear claimed as purge on flash",
            Box::new(|w| w.device.media_type = MediaType::Flash),
        ),
        (
            "over sata",
            Box::new(|w| w.device.transport = reprise::model::Transport::Sata),
        ),
        ("bytes without a pass", Box::new(|w| w.bytes_written = 4096)),
        (
            "hidden sectors left",
            Box::new(|w| {
                w.hidden_areas = Some(reprise::wipe::report::HiddenAreas {
                    hpa_sectors_before: Some(8),
                    hpa_sectors_after: Some(8),
                    dco_sectors_before: Some(0),
                    dco_sectors_after: Some(0),
                })
            }),
        ),
        (
            "unknown technique",
            Box::new(|w| w.technique = "magic-erase".into()),
        ),
    ];
    for (what, edit) in edits {
        let mut w = good.clone();
        edit(&mut w);
        assert!(!w.is_sanitized(), "{what}: still sanitized");
        assert!(w.check_consistency().is_err(), "{what}");
    }
    // A failed record with a firmware error is consistent (and not sanitized).
    let mut w = good.clone();
    w.outcome = Outcome::Failed;
    assert!(w.check_consistency().is_ok());
    assert!(!w.is_sanitized());
    // The report round-trips through JSON, digests included.
    let json = serde_json::to_string(&good).unwrap();
    let back: DeviceWipe = serde_json::from_str(&json).unwrap();
    assert_eq!(back, good);
    assert!(back.is_sanitized());
    assert!(
        back.firmware_check
            .as_ref()
            .unwrap()
            .digest()
            .starts_with("blake3:")
    );
}

// --- the guard ------------------------------------------------------------------------------

#[test]
fn the_firmware_path_is_refused_where_the_plan_needs_no_firmware() {
    use reprise::wipe::capability::DriveFacts;
    use reprise::wipe::{OpenError, WriteGuard, open_firmware, open_for_write};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("disk.img");
    std::fs::write(&path, vec![0x5a; 1 << 20]).unwrap();
    let id = reprise::model::DiskIdentity::for_file(&path.display().to_string(), 1 << 20);
    let s = reprise::wipe::strategy::choose(
        &id,
        &DriveFacts::not_asked("a regular file has no drive firmware"),
        &request(Level::Purge),
        &Default::default(),
    );
    assert_eq!(s.technique, Technique::Overwrite);
    let plan = plan_of(&id, s, SAMPLE);
    assert!(!plan.devices()[0].needs_firmware());
    let guard = WriteGuard::new(
        reprise::sys::SysRoot::new(dir.path()),
        Vec::new(),
        std::sync::Arc::new(|_, _| None),
    );
    let e = open_firmware(&plan, &path, &guard).unwrap_err();
    assert!(matches!(e, OpenError::NoFirmwarePlanned { .. }), "{e}");
    assert!(open_for_write(&plan, &path, &guard).is_ok());
    // A firmware technique cannot even be planned for a file.
    let mut s = reprise::wipe::strategy::choose(
        &id,
        &DriveFacts::not_asked("x"),
        &request(Level::Purge),
        &Default::default(),
    );
    s.technique = Technique::NvmeFormat(reprise::wipe::technique::FormatErase::Crypto);
    let e = reprise::wipe::WipePlan {
        devices: vec![reprise::wipe::PlannedDevice {
            path: path.clone(),
            identity: id.clone(),
            method: s.method.clone(),
            strategy: Some(s),
        }],
        rounds: 1,
        verify: SAMPLE,
    }
    .validate()
    .unwrap_err();
    assert!(e.to_string().contains("cannot sanitize a file disk"), "{e}");
}
