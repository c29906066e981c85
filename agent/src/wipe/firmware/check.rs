//! The check of a firmware erase (DESIGN §4), proven by canaries. The NIST §4.7 sample
//! (`wipe::sample`, seeded and recorded, so an auditor lists the blocks again) is planned; before
//! the erase every sampled block is written with fresh random bytes from the OS (`sys::random`:
//! its canary) through the descriptor the write guard opened, the device is flushed, and each
//! block is read back: a canary is in place only when it reads back intact. After the erase each
//! block is read again and judged by [`FirmwareCheck::judge`]: it must no longer hold its canary
//! and, where the technique documents a content (zeros after an NVMe Format whose deallocated
//! blocks read as zeros, say), hold it.
//!
//! Why canaries: comparing a block with what it held before proves nothing where the media was
//! blank. A crypto sanitize of an SSD deallocates, so its free (trimmed) space reads zeros
//! before and after — "unchanged", a false failure on nearly every SSD that is not full; and
//! where zeros are the documented content, a drive that reports success without erasing passed
//! whenever no sampled block held data. Random bytes that nothing but this run knows cannot be
//! there by chance before, and cannot survive a real erase; blank media stops mattering.
//!
//! Reading each canary back before the erase matters too: a drive that dropped the writes would
//! otherwise pass the rule "differs from its canary" with its old data. A block whose canary is
//! not in place (a write or read error, another content read back) proves nothing and fails the
//! check; the erase still runs, since the data must go either way.

use std::io;
use std::sync::mpsc::Sender;

use super::super::buf::AlignedBuf;
use super::super::plan::VerifySpec;
use super::super::report::{FirmwareCheck, SampleDigest, Verification, VerifyMode};
use super::super::sample::{ALGORITHM, MAX_BLOCK_BYTES, Sample, plan_sample};
use super::super::technique::PostErase;
use super::super::{CancelToken, Phase, Progress, WipeEvent};
use crate::model::{DiskId, ErrorKind};
use crate::sys::blockdev::{BlockIo, is_device_gone, read_exact_at, write_all_at};
use crate::sys::clock::Stopwatch;
use crate::sys::random;

/// The canaries in place before the erase.
#[derive(Debug, Clone)]
pub struct Canaries {
    pub sample: Sample,
    pub seed: u64,
    pub permille: u32,
    pub total_sectors: u64,
    pub sector_size: u32,
    /// One digest per block of the canary it holds (written, flushed, read back intact); `None`:
    /// no canary in place there.
    pub digests: Vec<Option<blake3::Hash>>,
    /// The first block without its canary and why, for the record's message.
    pub first_missing: Option<(u64, String)>,
}

impl Canaries {
    /// Blocks holding their canary.
    pub fn in_place(&self) -> u64 {
        self.digests.iter().filter(|d| d.is_some()).count() as u64
    }
}

/// Why the canaries could not be put in place, or the sample read.
#[derive(Debug)]
pub enum Stopped {
    Cancelled,
    Gone(io::Error),
    /// Nothing written can be proven durable (the flush failed), or no random bytes could be
    /// drawn: no check can be made, so the disk is not erased by this run.
    Failed {
        kind: ErrorKind,
        why: String,
    },
}

/// Progress of writing and reading the sample, for the screen.
#[derive(Debug)]
pub struct Reporter<'a> {
    pub events: &'a Sender<WipeEvent>,
    pub disk: DiskId,
    pub device: String,
    pub pass: u32,
    pub passes: u32,
}

/// Progress of one walk over the sample.
struct Walk<'a> {
    report: &'a Reporter<'a>,
    phase: Phase,
    total: u64,
    done: u64,
    t0: Stopwatch,
    last: Stopwatch,
}

impl<'a> Walk<'a> {
    fn new(report: &'a Reporter<'a>, phase: Phase, sample: &Sample, sector: u64) -> Walk<'a> {
        Walk {
            report,
            phase,
            total: sample.blocks.iter().map(|b| b.sectors * sector).sum(),
            done: 0,
            t0: Stopwatch::start(),
            last: Stopwatch::start(),
        }
    }

    fn advance(&mut self, n: u64) {
        self.done += n;
        if self.last.elapsed_ms() < 200 && self.done < self.total {
            return;
        }
        self.last = Stopwatch::start();
        let ms = self.t0.elapsed_ms().max(1);
        let rate = self.done.saturating_mul(1000) / ms;
        let r = self.report;
        let _ = r.events.send(WipeEvent::Progress(Progress {
            disk: r.disk.clone(),
            device: r.device.clone(),
            pass: r.pass,
            passes: r.passes,
            phase: self.phase,
            bytes_done: self.done,
            bytes_total: self.total,
            rate_bps: rate,
            eta_ms: (rate > 0).then(|| (self.total - self.done.min(self.total)) * 1000 / rate),
        }));
    }
}

/// The bytes of block `b` on the device (the last block may end at the device's end).
fn block_len(io: &dyn BlockIo, lba: u64, sectors: u64, sector: u64) -> (u64, usize) {
    block_at(io.len(), lba, sectors, sector)
}

/// The bytes of block `b` on a device of `len` bytes.
fn block_at(len: u64, lba: u64, sectors: u64, sector: u64) -> (u64, usize) {
    let off = lba * sector;
    (
        off,
        ((sectors * sector).min(len.saturating_sub(off))) as usize,
    )
}

/// The share of the media that carries canaries for `spec`; `None`: no verification asked,
/// nothing is written and the erase goes unchecked.
fn canary_permille(spec: VerifySpec) -> Option<u32> {
    match spec {
        VerifySpec::None => None,
        VerifySpec::Sample { permille } => Some(permille),
        // Every block, in sample-sized pieces: the same check, complete.
        VerifySpec::Full => Some(1000),
    }
}

/// Reads every block of `sample`, hashing each and handing its bytes to `each`.
fn read_sample(
    io: &dyn BlockIo,
    sample: &Sample,
    sector: u64,
    cancel: &CancelToken,
    report: &Reporter<'_>,
    mut each: impl FnMut(usize, Result<(&[u8], blake3::Hash), io::Error>),
) -> Result<(), Stopped> {
    let cap = MAX_BLOCK_BYTES.max(sector) as usize;
    let mut buf = AlignedBuf::new(cap);
    let mut walk = Walk::new(report, Phase::Verify, sample, sector);
    for (i, b) in sample.blocks.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(Stopped::Cancelled);
        }
        let (off, n) = block_len(io, b.lba, b.sectors, sector);
        let bytes = &mut buf.as_mut_slice()[..n];
        match read_exact_at(io, bytes, off) {
            Ok(()) => {
                let h = blake3::hash(bytes);
                each(i, Ok((bytes, h)));
            }
            Err(e) if is_device_gone(&e) => return Err(Stopped::Gone(e)),
            Err(e) => each(i, Err(e)),
        }
        walk.advance(n as u64);
    }
    Ok(())
}

/// Puts a canary in every sampled block of `io` (the descriptor the write guard opened: the
/// only way to the device), flushes, and reads each back. `None` when no verification was
/// asked for: nothing is written then.
pub fn plant(
    io: &mut dyn BlockIo,
    spec: VerifySpec,
    seed: u64,
    cancel: &CancelToken,
    report: &Reporter<'_>,
) -> Result<Option<Canaries>, Stopped> {
    let Some(permille) = canary_permille(spec) else {
        return Ok(None);
    };
    let sector_size = io.sector_size().max(1);
    let sector = u64::from(sector_size);
    let total_sectors = io.len() / sector;
    let sample = plan_sample(total_sectors, sector_size, permille, seed);
    let mut digests: Vec<Option<blake3::Hash>> = vec![None; sample.blocks.len()];
    let mut missing: Vec<Option<String>> = vec![None; sample.blocks.len()];

    // 1. Fresh random bytes into every block. A block that cannot be written keeps no canary
    //    (the check fails there); the device gone stops everything.
    let mut buf = AlignedBuf::new(MAX_BLOCK_BYTES.max(sector) as usize);
    let mut walk = Walk::new(report, Phase::Write, &sample, sector);
    for (i, b) in sample.blocks.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(Stopped::Cancelled);
        }
        let (off, n) = block_len(&*io, b.lba, b.sectors, sector);
        let bytes = &mut buf.as_mut_slice()[..n];
        random::fill(bytes).map_err(|e| Stopped::Failed {
            kind: ErrorKind::Write,
            why: format!("no random bytes for the canaries from the OS: {e}"),
        })?;
        match write_all_at(&*io, bytes, off) {
            Ok(()) => digests[i] = Some(blake3::hash(bytes)),
            Err(e) if is_device_gone(&e) => return Err(Stopped::Gone(e)),
            Err(e) => missing[i] = Some(format!("its canary could not be written: {e}")),
        }
        walk.advance(n as u64);
    }

    // 2. Durable: a canary the drive only holds in its cache proves nothing about its media.
    if let Err(e) = io.flush() {
        if is_device_gone(&e) {
            return Err(Stopped::Gone(e));
        }
        return Err(Stopped::Failed {
            kind: ErrorKind::Flush,
            why: format!("the canaries written before the erase could not be flushed: {e}"),
        });
    }
    for f in io.take_sync_failures() {
        for (i, b) in sample.blocks.iter().enumerate() {
            let (off, n) = block_len(&*io, b.lba, b.sectors, sector);
            if off < f.offset + f.len && f.offset < off + n as u64 && digests[i].is_some() {
                digests[i] = None;
                missing[i] = Some(format!("the data sync of its canary failed: {}", f.error));
            }
        }
    }

    // 3. Read back: only a canary the drive returns intact is in place (a drive that drops
    //    writes would otherwise pass "differs from its canary" with its old data).
    read_sample(&*io, &sample, sector, cancel, report, |i, r| match r {
        Ok((_, h)) if digests[i] == Some(h) => {}
        Ok(_) if digests[i].is_some() => {
            digests[i] = None;
            missing[i] = Some("its canary did not read back as written".into());
        }
        Ok(_) => {}
        Err(e) => {
            if digests[i].take().is_some() || missing[i].is_none() {
                missing[i] = Some(format!("its canary could not be read back: {e}"));
            }
        }
    })?;
    let first_missing = sample
        .blocks
        .iter()
        .zip(&missing)
        .find_map(|(b, m)| m.clone().map(|why| (b.lba, why)));
    Ok(Some(Canaries {
        sample,
        seed,
        permille,
        total_sectors,
        sector_size,
        digests,
        first_missing,
    }))
}

/// Reads the sample after the erase and judges each block by the canary rule of `rule`.
pub fn after(
    io: &dyn BlockIo,
    canaries: &Canaries,
    rule: PostErase,
    cancel: &CancelToken,
    report: &Reporter<'_>,
) -> Result<FirmwareCheck, Stopped> {
    let sector = u64::from(canaries.sector_size);
    let mut check = unread(canaries, rule);
    let mut bytes_checked = 0u64;
    read_sample(io, &canaries.sample, sector, cancel, report, |i, r| {
        if let Ok((bytes, h)) = r {
            bytes_checked += bytes.len() as u64;
            check.samples[i].after = Some(h.to_hex().to_string());
            check.samples[i].documented = rule.holds(bytes);
        }
    })?;
    check.bytes_checked = bytes_checked;
    check.tally();
    Ok(check)
}

/// The check of `canaries` under `rule` before anything is read after the erase.
fn unread(canaries: &Canaries, rule: PostErase) -> FirmwareCheck {
    let samples: Vec<SampleDigest> = canaries
        .sample
        .blocks
        .iter()
        .zip(&canaries.digests)
        .map(|(b, d)| SampleDigest {
            lba: b.lba,
            sectors: b.sectors,
            before: d.map(|h| h.to_hex().to_string()),
            after: None,
            documented: false,
        })
        .collect();
    FirmwareCheck {
        rule,
        algorithm: ALGORITHM.to_owned(),
        seed: format!("{:016x}", canaries.seed),
        total_sectors: canaries.total_sectors,
        sector_size: canaries.sector_size,
        requested_permille: canaries.permille,
        coverage_permille: (canaries.sample.sectors() * 1000 / canaries.total_sectors.max(1))
            as u32,
        subsections: canaries.sample.subsections,
        blocks_checked: 0,
        bytes_checked: 0,
        unchanged_blocks: 0,
        unreadable_blocks: 0,
        first_bad_lba: None,
        passed: false,
        samples,
        canaries: Some(canaries.in_place()),
        wrong_content_blocks: Some(0),
    }
}

/// The check [`after`] gives when the drive erased every sampled block of a device of `len`
/// bytes: [`plant`] put every canary in place (the sample seed 0 draws), and afterwards each
/// block no longer holds it and holds the content `rule` documents, where it documents one. A
/// what-if, for the forecast of the first screen (`wipe::as_if_sanitized`): its digests stand
/// for canaries nobody drew and blocks nobody read. `None` where [`plant`] puts no canary (no
/// verification asked).
pub fn as_if_erased(
    len: u64,
    sector_size: u32,
    spec: VerifySpec,
    rule: PostErase,
) -> Option<FirmwareCheck> {
    let permille = canary_permille(spec)?;
    let sector_size = sector_size.max(1);
    let sector = u64::from(sector_size);
    let total_sectors = len / sector;
    let sample = plan_sample(total_sectors, sector_size, permille, 0);
    let canaries = Canaries {
        digests: vec![Some(blake3::hash(b"reprise what-if: canary")); sample.blocks.len()],
        sample,
        seed: 0,
        permille,
        total_sectors,
        sector_size,
        first_missing: None,
    };
    let mut check = unread(&canaries, rule);
    let erased = blake3::hash(b"reprise what-if: erased")
        .to_hex()
        .to_string();
    let mut bytes_checked = 0u64;
    for (s, b) in check.samples.iter_mut().zip(&canaries.sample.blocks) {
        bytes_checked += block_at(len, b.lba, b.sectors, sector).1 as u64;
        s.after = Some(erased.clone());
        // The erased block holds what the technique documents; "changed" documents nothing.
        s.documented = rule != PostErase::Changed;
    }
    check.bytes_checked = bytes_checked;
    check.tally();
    Some(check)
}

/// The verification record that states a firmware erase's check (when no zero pass follows).
pub fn as_verification(c: &FirmwareCheck) -> Verification {
    Verification {
        mode: VerifyMode::Sample,
        requested_permille: c.requested_permille,
        coverage_permille: c.coverage_permille,
        algorithm: Some(c.algorithm.clone()),
        seed: Some(c.seed.clone()),
        total_sectors: c.total_sectors,
        sector_size: c.sector_size,
        subsections: c.subsections,
        blocks_checked: c.blocks_checked,
        bytes_checked: c.bytes_checked,
        mismatches: c.bad_sectors(),
        first_mismatch_lba: c.first_bad_lba,
        passed: c.passed,
    }
}
