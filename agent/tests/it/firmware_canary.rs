//! Firmware erases proven by canaries (issue 21, item 1), in both directions, against simulated
//! drives that deallocate as real SSDs do: a drive that erases passes whatever its media held
//! (blank, half full, full, data only between the sampled blocks), and one that reports success
//! without erasing fails on each. The canaries go through the device the firmware path was
//! handed (the write guard's), are flushed, and read back before the command; a sanitize that
//! completes too fast to be seen in progress is trusted only when its status changed across the
//! command.

use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};

use reprise::model::{DiskIdentity, ErrorKind, Level, MediaType, Transport};
use reprise::parse::sat::AtaRegisters;
use reprise::sys::blockdev::BlockIo;
use reprise::sys::passthrough::{
    AtaCommand, AtaData, NvmeCommand, Passthrough, PassthroughError, ScsiData, ScsiStatus,
};
use reprise::wipe::firmware::{self, Env, FirmwareJob, Member};
use reprise::wipe::report::{CanaryRule, DeviceWipe, Outcome};
use reprise::wipe::sample::plan_sample;
use reprise::wipe::{CancelToken, VerifySpec};
use reprise_sim::media::{Erased, SimBlock, SimMedia};
use reprise_sim::nvme::SimNvme;
use reprise_sim::pace::VirtualPace;

use crate::support::drives;
use drives::*;

const SAMPLE: VerifySpec = VerifySpec::Sample { permille: 100 };
/// The seed `drives::run` gives every job: the tests place data around its sample.
const SEED: u64 = 0x5eed;

/// What the media held before the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    /// Never written, or trimmed: reads as the drive's blank content everywhere.
    Blank,
    /// Old data in the first half, blank after.
    HalfFull,
    /// Old data everywhere.
    Full,
    /// Old data everywhere except in the sampled blocks, which read blank: the case where a
    /// lying drive passed the check without canaries.
    DataBetweenSamples,
}

const FILLS: [Fill; 4] = [
    Fill::Blank,
    Fill::HalfFull,
    Fill::Full,
    Fill::DataBetweenSamples,
];

fn fill(media: &SimMedia, how: Fill, blank: Erased) {
    let len = media.visible_bytes();
    match how {
        Fill::Blank => media.erase(0, len, blank),
        Fill::HalfFull => media.erase(len / 2, len, blank),
        Fill::Full => {}
        Fill::DataBetweenSamples => {
            let sample = plan_sample(len / 512, 512, 100, SEED);
            for b in &sample.blocks {
                media.erase(b.lba * 512, (b.lba + b.sectors) * 512, blank);
            }
        }
    }
}

/// A simulated drive, its media, and the disk the plan names.
type Made = (Box<dyn Passthrough>, SimMedia, DiskIdentity);

/// One kind of drive and the firmware erase its plan chooses for Purge.
struct Case {
    technique: &'static str,
    rule: CanaryRule,
    /// What its blank (never written, trimmed) blocks read as.
    blank: Erased,
    make: fn(bool) -> Made,
}

fn nvme_case(mut d: SimNvme, lies: bool) -> Made {
    d.fw.lies = lies;
    let media = d.media(1).clone();
    let id = nvme_identity(&d, 1);
    (Box::new(d), media, id)
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            technique: "nvme-sanitize-crypto",
            rule: CanaryRule::Differs,
            blank: Erased::Zeros,
            make: |lies| nvme_case(samsung_pm(), lies),
        },
        Case {
            technique: "nvme-sanitize-block",
            rule: CanaryRule::Zeros,
            blank: Erased::Zeros,
            make: |lies| nvme_case(hynix_p41(), lies),
        },
        Case {
            technique: "nvme-format-user-data",
            rule: CanaryRule::Zeros,
            blank: Erased::Zeros,
            make: |lies| nvme_case(qemu_nvme(), lies),
        },
        Case {
            // Deallocated blocks read as FFh (DLFEAT 2).
            technique: "nvme-format-user-data",
            rule: CanaryRule::Ones,
            blank: Erased::Ones,
            make: |lies| {
                let mut d = qemu_nvme();
                d.id_ns.get_mut(&1).unwrap()[33] = 2;
                nvme_case(d, lies)
            },
        },
        Case {
            technique: "ata-sanitize-block",
            rule: CanaryRule::Differs,
            blank: Erased::Zeros,
            make: |lies| {
                let mut d = ssd_with_sanitize();
                d.fw.lies = lies;
                let id = ata_identity(&d, MediaType::Ssd);
                let media = d.media().clone();
                (Box::new(d), media, id)
            },
        },
        Case {
            // An SSD whose crypto scramble also trims: it reads zeros afterwards.
            technique: "ata-sanitize-crypto",
            rule: CanaryRule::Differs,
            blank: Erased::Zeros,
            make: |lies| {
                let mut d = ssd_with_sanitize();
                let s = d.fw.sanitize.as_mut().unwrap();
                s.block = false;
                s.crypto_content = Some(Erased::Zeros);
                d.fw.lies = lies;
                let id = ata_identity(&d, MediaType::Ssd);
                let media = d.media().clone();
                (Box::new(d), media, id)
            },
        },
        Case {
            technique: "ata-sanitize-overwrite",
            rule: CanaryRule::Zeros,
            blank: Erased::Zeros,
            make: |lies| {
                let mut d = hdd_with_sanitize();
                d.fw.lies = lies;
                let id = ata_identity(&d, MediaType::Hdd);
                let media = d.media().clone();
                (Box::new(d), media, id)
            },
        },
        Case {
            technique: "ata-security-erase-enhanced",
            rule: CanaryRule::Differs,
            blank: Erased::Zeros,
            make: |lies| {
                let mut d = hdd_with_sanitize();
                d.fw.sanitize = None;
                d.fw.lies = lies;
                let id = ata_identity(&d, MediaType::Hdd);
                let media = d.media().clone();
                (Box::new(d), media, id)
            },
        },
        Case {
            technique: "scsi-sanitize-overwrite",
            rule: CanaryRule::Zeros,
            blank: Erased::Zeros,
            make: |lies| {
                let mut d = sas_disk();
                d.lies = lies;
                let id = identity(
                    "/dev/sim-sdc",
                    Transport::Scsi,
                    MediaType::Hdd,
                    "S1",
                    None,
                    SECTORS * 512,
                );
                let media = d.media.clone();
                (Box::new(d), media, id)
            },
        },
    ]
}

/// Purges one drive of `case` on media filled as `how`.
fn purge(case: &Case, how: Fill, lies: bool) -> DeviceWipe {
    let (mut d, media, id) = (case.make)(lies);
    fill(&media, how, case.blank);
    let (_, s) = strategy_of(&mut *d, &id, &request(Level::Purge));
    assert_eq!(s.technique.name(), case.technique, "{how:?}");
    run1(&mut *d, &media, &plan_of(&id, s, SAMPLE))
}

#[test]
fn a_drive_that_erases_passes_on_blank_half_full_and_full_media() {
    for case in cases() {
        for how in FILLS {
            let w = purge(&case, how, false);
            let what = format!("{} on {how:?}", case.technique);
            assert_eq!(w.outcome, Outcome::Passed, "{what}: {:#?}", w.errors);
            assert!(w.is_sanitized(), "{what}: {:?}", w.check_consistency());
            assert_eq!(w.level, Level::Purge, "{what}");
            let c = w.firmware_check.as_ref().unwrap();
            assert_eq!(c.canary_rule(), Some(case.rule), "{what}");
            assert!(c.blocks_checked > 1000, "{what}");
            assert_eq!(c.canaries, Some(c.blocks_checked), "{what}");
            assert_eq!(
                (
                    c.unchanged_blocks,
                    c.wrong_content_blocks,
                    c.unreadable_blocks
                ),
                (0, Some(0), 0),
                "{what}"
            );
            // Every block held its canary, never what blank media reads as.
            let byte = if case.blank == Erased::Ones { 0xff } else { 0 };
            for s in &c.samples {
                let blank = blake3::hash(&vec![byte; s.sectors as usize * 512]);
                assert_ne!(s.before.as_deref(), Some(blank.to_hex().as_str()), "{what}");
            }
        }
    }
}

#[test]
fn a_drive_that_reports_success_without_erasing_fails_on_each() {
    for case in cases() {
        for how in FILLS {
            let w = purge(&case, how, true);
            let what = format!("lying {} on {how:?}", case.technique);
            assert_eq!(w.outcome, Outcome::Failed, "{what}");
            assert!(!w.is_sanitized(), "{what}");
            assert!(w.check_consistency().is_ok(), "{what}");
            assert!(w.firmware.as_ref().unwrap().reported_success, "{what}");
            let c = w.firmware_check.as_ref().unwrap();
            assert_eq!(c.unchanged_blocks, c.blocks_checked, "{what}: {c:?}");
            assert!(!c.passed, "{what}");
            assert!(
                w.errors.iter().any(|e| e.operation == ErrorKind::Verify
                    && e.message.contains("still held their canary")),
                "{what}: {:#?}",
                w.errors
            );
        }
    }
}

/// A drive that acknowledges writes without storing them keeps its old data, which differs
/// from any canary: only reading the canaries back before the erase catches it.
#[test]
fn canaries_that_do_not_read_back_prove_nothing() {
    let mut d = samsung_pm();
    d.fw.lies = true;
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    media.drop_writes();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_eq!(w.outcome, Outcome::Failed);
    assert!(!w.is_sanitized());
    let c = w.firmware_check.as_ref().unwrap();
    assert_eq!(c.canaries, Some(0));
    assert_eq!(c.unreadable_blocks, c.blocks_checked);
    assert!(
        w.errors.iter().any(|e| e
            .message
            .contains("its canary did not read back as written")),
        "{:#?}",
        w.errors
    );
    // One sampled block that cannot be read: no canary there, and the disk is not proven.
    let mut d = samsung_pm();
    let media = d.media(1).clone();
    let lba = plan_sample(SECTORS, 512, 100, SEED).blocks[7].lba;
    media.make_unreadable(lba);
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_eq!(w.outcome, Outcome::Failed);
    let c = w.firmware_check.as_ref().unwrap();
    assert_eq!((c.unreadable_blocks, c.first_bad_lba), (1, Some(lba)));
    assert_eq!(c.canaries, Some(c.blocks_checked - 1));
    assert!(
        w.errors.iter().any(|e| e
            .message
            .contains(&format!("LBA {lba}: its canary could not be"))),
        "{:#?}",
        w.errors
    );
}

/// Where the technique documents a content, "no longer the canary" is not enough: a namespace
/// that said its deallocated blocks read as zeros (DLFEAT 1) when inspected, and reads noise
/// after its user data erase, fails.
#[test]
fn a_block_changed_but_not_to_the_documented_content_fails() {
    let mut d = qemu_nvme();
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    d.id_ns.get_mut(&1).unwrap()[33] = 0;
    let w = run1(&mut d, &media, &plan_of(&id, s, SAMPLE));
    assert_eq!(w.outcome, Outcome::Failed);
    assert!(!w.is_sanitized());
    assert!(w.check_consistency().is_ok(), "{:?}", w.check_consistency());
    let c = w.firmware_check.as_ref().unwrap();
    assert_eq!(c.canary_rule(), Some(CanaryRule::Zeros));
    assert_eq!(c.unchanged_blocks, 0);
    assert_eq!(c.wrong_content_blocks, Some(c.blocks_checked));
    assert!(
        w.errors.iter().any(|e| e.operation == ErrorKind::Verify
            && e.message.contains(&format!(
                "{} held other content than the technique documents",
                c.blocks_checked
            ))),
        "{:#?}",
        w.errors
    );
}

// --- what happens, in which order, on which device ----------------------------------------

type Log = Arc<Mutex<Vec<String>>>;
/// Each write: its first LBA, the digest of its bytes, its first 64 bytes.
type Written = Vec<(u64, blake3::Hash, Vec<u8>)>;

/// The device the firmware path is handed (in production, the write guard's), recording every
/// operation in a log shared with the drive.
struct Spy {
    inner: SimBlock,
    log: Log,
    written: Arc<Mutex<Written>>,
}

impl BlockIo for Spy {
    fn path(&self) -> &std::path::Path {
        self.inner.path()
    }
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn sector_size(&self) -> u32 {
        self.inner.sector_size()
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> std::io::Result<usize> {
        self.log
            .lock()
            .unwrap()
            .push(format!("write {}", offset / 512));
        let head = buf[..buf.len().min(64)].to_vec();
        self.written
            .lock()
            .unwrap()
            .push((offset / 512, blake3::hash(buf), head));
        self.inner.write_at(buf, offset)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        self.log
            .lock()
            .unwrap()
            .push(format!("read {}", offset / 512));
        self.inner.read_at(buf, offset)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.log.lock().unwrap().push("flush".into());
        self.inner.flush()
    }
}

/// The drive, recording its erase commands in the same log.
struct SpyDrive {
    inner: SimNvme,
    log: Log,
}

impl Passthrough for SpyDrive {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn ata(
        &mut self,
        cmd: &AtaCommand,
        data: AtaData<'_>,
    ) -> Result<AtaRegisters, PassthroughError> {
        self.inner.ata(cmd, data)
    }
    fn nvme_admin(&mut self, cmd: &NvmeCommand, data: &mut [u8]) -> Result<u32, PassthroughError> {
        if cmd.opcode == reprise::sys::passthrough::nvme::SANITIZE {
            self.log.lock().unwrap().push("sanitize".into());
        }
        self.inner.nvme_admin(cmd, data)
    }
    fn scsi(
        &mut self,
        cdb: &[u8],
        data: ScsiData<'_>,
        timeout: std::time::Duration,
    ) -> Result<ScsiStatus, PassthroughError> {
        self.inner.scsi(cdb, data, timeout)
    }
    fn nvme_nsid(&self) -> Option<u32> {
        self.inner.nvme_nsid()
    }
}

struct Spied {
    wipe: DeviceWipe,
    log: Vec<String>,
    written: Written,
}

/// One crypto sanitize of a fresh Samsung drive, spied on.
fn spied_run() -> Spied {
    let mut d = samsung_pm();
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let plan = plan_of(&id, s, SAMPLE);
    let log: Log = Arc::default();
    let written = Arc::default();
    let mut io = Spy {
        inner: media.block(&id.dev_path),
        log: log.clone(),
        written: Arc::clone(&written),
    };
    let mut drive = SpyDrive {
        inner: d,
        log: log.clone(),
    };
    let mut job = FirmwareJob::new(&plan, &plan.devices()[0]).unwrap();
    job.job.seed = Some(SEED);
    let (tx, _rx) = channel();
    let mut pace = VirtualPace::default();
    let wipe = firmware::sanitize(
        &mut drive,
        vec![Member { io: &mut io, job }],
        Env {
            events: &tx,
            cancel: &CancelToken::new(),
            pace: &mut pace,
        },
    )
    .remove(0);
    let log = log.lock().unwrap().clone();
    let written = written.lock().unwrap().clone();
    Spied { wipe, log, written }
}

#[test]
fn canaries_are_written_to_the_device_handed_in_flushed_and_read_back_before_the_command() {
    let run = spied_run();
    let w = &run.wipe;
    assert!(w.is_sanitized(), "{:#?}", w.errors);
    let c = w.firmware_check.as_ref().unwrap();
    let blocks: Vec<u64> = c.samples.iter().map(|s| s.lba).collect();
    let n = blocks.len();
    // Exactly: one write per sampled block, the flush, the read-back, the command, the check.
    let kinds: Vec<&str> = run
        .log
        .iter()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let flush = kinds.iter().position(|k| *k == "flush").unwrap();
    let sanitize = kinds.iter().position(|k| *k == "sanitize").unwrap();
    assert_eq!(flush, n, "every canary written before the flush");
    assert!(kinds[..n].iter().all(|k| *k == "write"));
    assert_eq!(sanitize, 2 * n + 1, "read back before the command");
    assert!(kinds[n + 1..sanitize].iter().all(|k| *k == "read"));
    assert!(kinds[sanitize + 1..].iter().all(|k| *k == "read"));
    assert_eq!(kinds.len(), 3 * n + 2);
    let at = |from: usize| -> Vec<u64> {
        run.log[from..from + n]
            .iter()
            .map(|l| l.split(' ').nth(1).unwrap().parse().unwrap())
            .collect()
    };
    assert_eq!(at(0), blocks, "the canaries are the sampled blocks");
    assert_eq!(at(n + 1), blocks);
    assert_eq!(at(sanitize + 1), blocks);
    // The report's "before" of each block is the canary written there.
    for (s, (lba, h, _)) in c.samples.iter().zip(&run.written) {
        assert_eq!(s.lba, *lba);
        assert_eq!(s.before.as_deref(), Some(h.to_hex().as_str()));
        assert_ne!(s.after, s.before);
    }
}

#[test]
fn canaries_are_fresh_random_bytes_each_time() {
    let a = spied_run();
    let b = spied_run();
    // The same blocks (the sample is seeded and recorded) but never the same bytes: the
    // canaries come from the OS's random source, not from the seed an auditor reads.
    let lbas = |s: &Spied| s.written.iter().map(|w| w.0).collect::<Vec<_>>();
    assert_eq!(lbas(&a), lbas(&b));
    for (x, y) in a.written.iter().zip(&b.written) {
        assert_ne!(x.1, y.1, "block {}", x.0);
    }
    let mut heads: Vec<&Vec<u8>> = a.written.iter().map(|w| &w.2).collect();
    heads.sort();
    heads.dedup();
    assert_eq!(heads.len(), a.written.len(), "every block its own canary");
    assert!(a.written.iter().all(|w| w.2.iter().any(|&x| x != w.2[0])));
}

// --- a sanitize too fast to be seen in progress -------------------------------------------

/// What the agent sends for an NVMe crypto erase: SANACT 4, AUSE.
const NVME_CRYPTO_CDW10: u32 = 4 | 1 << 3;

fn nvme_fast(prepare: impl Fn(&mut SimNvme)) -> DeviceWipe {
    let mut d = samsung_pm();
    d.fw.sanitize_instant = true;
    prepare(&mut d);
    let id = nvme_identity(&d, 1);
    let media = d.media(1).clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    run1(&mut d, &media, &plan_of(&id, s, SAMPLE))
}

fn ata_fast(completed_before: bool, lies: bool) -> DeviceWipe {
    let mut d = ssd_with_sanitize();
    let s = d.fw.sanitize.as_mut().unwrap();
    s.instant = true;
    s.completed_ok = completed_before;
    d.fw.lies = lies;
    let id = ata_identity(&d, MediaType::Ssd);
    let media = d.media().clone();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    run1(&mut d, &media, &plan_of(&id, s, SAMPLE))
}

fn statuses(w: &DeviceWipe) -> (Option<&str>, Option<&str>) {
    let fw = w.firmware.as_ref().unwrap();
    (fw.status_before.as_deref(), fw.status_after.as_deref())
}

#[test]
fn a_fast_sanitize_whose_status_changed_across_the_command_is_trusted() {
    // Never sanitized: SSTAT goes from "never" to "completed, global data erased".
    let w = nvme_fast(|_| {});
    assert!(w.is_sanitized(), "{:#?}", w.errors);
    assert!(!w.firmware.as_ref().unwrap().observed_in_progress);
    assert_eq!(
        statuses(&w),
        (
            Some("SSTAT 0000h, SCDW10 00000000h"),
            Some("SSTAT 0101h, SCDW10 0000000Ch")
        )
    );
    // Sanitized before with the same action: the canaries written since cleared Global Data
    // Erased, and this sanitize set it again.
    let w = nvme_fast(|d| d.sanitized_before(NVME_CRYPTO_CDW10));
    assert!(w.is_sanitized(), "{:#?}", w.errors);
    assert_eq!(
        statuses(&w),
        (
            Some("SSTAT 0001h, SCDW10 0000000Ch"),
            Some("SSTAT 0101h, SCDW10 0000000Ch")
        )
    );
    // ATA: the last sanitize had not completed without error before; it has now.
    let w = ata_fast(false, false);
    assert!(w.is_sanitized(), "{:#?}", w.errors);
    assert!(!w.firmware.as_ref().unwrap().observed_in_progress);
    assert_eq!(statuses(&w), (Some("COUNT 0000h"), Some("COUNT 8000h")));
    // A changed status is not a proof of erasure: the canaries still are.
    let w = nvme_fast(|d| d.fw.lies = true);
    assert_eq!(w.outcome, Outcome::Failed);
    assert!(w.firmware.as_ref().unwrap().status_changed());
    assert!(w.errors.iter().any(|e| e.operation == ErrorKind::Verify));
}

#[test]
fn a_fast_sanitize_whose_status_did_not_change_is_not_trusted() {
    // A controller that keeps no Global Data Erased, sanitized before the same way: its log
    // reads the same before and after, so the success may be the earlier one's.
    let w = nvme_fast(|d| {
        d.sanitized_before(NVME_CRYPTO_CDW10);
        d.fw.no_gde = true;
    });
    assert_eq!(w.outcome, Outcome::Failed);
    assert!(!w.is_sanitized());
    assert!(
        w.errors.iter().any(|e| e.operation == ErrorKind::Firmware
            && e.message.contains(
                "neither in progress nor a completion that differs from before the command"
            )),
        "{:#?}",
        w.errors
    );
    // ATA: the last sanitize had completed without error already.
    let w = ata_fast(true, false);
    assert_eq!(w.outcome, Outcome::Failed);
    assert!(!w.is_sanitized());
    assert!(
        w.errors.iter().any(|e| e.operation == ErrorKind::Firmware
            && e.message
                .contains("a completion that differs from before the command")
            && e.message.contains("before: COUNT 8000h")),
        "{:#?}",
        w.errors
    );
}
