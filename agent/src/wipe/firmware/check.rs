//! The check of a firmware erase (DESIGN §4): the same NIST §4.7 sample (`wipe::sample`, seeded
//! and recorded, so an auditor lists the blocks again) is read before and after; each block's
//! blake3 digest is kept. Afterwards each block must differ from before, or hold the content
//! the technique documents (zeros after an NVMe Format whose deallocated blocks read as zeros,
//! say). A block unreadable before or after fails the check: what cannot be read was not
//! verified.

use std::io;
use std::sync::mpsc::Sender;

use super::super::buf::AlignedBuf;
use super::super::plan::VerifySpec;
use super::super::report::{FirmwareCheck, SampleDigest, Verification, VerifyMode};
use super::super::sample::{ALGORITHM, MAX_BLOCK_BYTES, Sample, plan_sample};
use super::super::technique::PostErase;
use super::super::{CancelToken, Phase, Progress, WipeEvent};
use crate::model::DiskId;
use crate::sys::blockdev::{BlockIo, is_device_gone, read_exact_at};
use crate::sys::clock::Stopwatch;

/// The sample read before the erase.
#[derive(Debug, Clone)]
pub struct Before {
    pub sample: Sample,
    pub seed: u64,
    pub permille: u32,
    pub total_sectors: u64,
    pub sector_size: u32,
    /// One digest per block; `None`: unreadable.
    pub digests: Vec<Option<blake3::Hash>>,
}

/// Why reading the sample stopped.
#[derive(Debug)]
pub enum Stopped {
    Cancelled,
    Gone(io::Error),
}

/// Progress of reading the sample, for the screen.
#[derive(Debug)]
pub struct Reporter<'a> {
    pub events: &'a Sender<WipeEvent>,
    pub disk: DiskId,
    pub device: String,
    pub pass: u32,
    pub passes: u32,
}

/// Reads every block of `sample`, hashing each and handing its bytes to `each`.
fn read_sample(
    io: &dyn BlockIo,
    sample: &Sample,
    sector: u64,
    cancel: &CancelToken,
    report: &Reporter<'_>,
    mut each: impl FnMut(usize, Option<(&[u8], blake3::Hash)>),
) -> Result<(), Stopped> {
    let total: u64 = sample.blocks.iter().map(|b| b.sectors * sector).sum();
    let cap = MAX_BLOCK_BYTES.max(sector) as usize;
    let mut buf = AlignedBuf::new(cap);
    let (t0, mut last, mut done) = (Stopwatch::start(), Stopwatch::start(), 0u64);
    for (i, b) in sample.blocks.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(Stopped::Cancelled);
        }
        let off = b.lba * sector;
        let n = ((b.sectors * sector).min(io.len().saturating_sub(off))) as usize;
        let bytes = &mut buf.as_mut_slice()[..n];
        match read_exact_at(io, bytes, off) {
            Ok(()) => {
                let h = blake3::hash(bytes);
                each(i, Some((bytes, h)));
            }
            Err(e) if is_device_gone(&e) => return Err(Stopped::Gone(e)),
            Err(_) => each(i, None),
        }
        done += n as u64;
        if last.elapsed_ms() >= 200 || done >= total {
            last = Stopwatch::start();
            let ms = t0.elapsed_ms().max(1);
            let rate = done.saturating_mul(1000) / ms;
            let _ = report.events.send(WipeEvent::Progress(Progress {
                disk: report.disk.clone(),
                device: report.device.clone(),
                pass: report.pass,
                passes: report.passes,
                phase: Phase::Verify,
                bytes_done: done,
                bytes_total: total,
                rate_bps: rate,
                eta_ms: (rate > 0).then(|| (total - done.min(total)) * 1000 / rate),
            }));
        }
    }
    Ok(())
}

/// Reads the sample before the erase. `None` when no verification was asked for.
pub fn before(
    io: &dyn BlockIo,
    spec: VerifySpec,
    seed: u64,
    cancel: &CancelToken,
    report: &Reporter<'_>,
) -> Result<Option<Before>, Stopped> {
    let permille = match spec {
        VerifySpec::None => return Ok(None),
        VerifySpec::Sample { permille } => permille,
        // Every block, in sample-sized pieces: the same check, complete.
        VerifySpec::Full => 1000,
    };
    let sector_size = io.sector_size().max(1);
    let sector = u64::from(sector_size);
    let total_sectors = io.len() / sector;
    let sample = plan_sample(total_sectors, sector_size, permille, seed);
    let mut digests = vec![None; sample.blocks.len()];
    read_sample(io, &sample, sector, cancel, report, |i, r| {
        digests[i] = r.map(|(_, h)| h);
    })?;
    Ok(Some(Before {
        sample,
        seed,
        permille,
        total_sectors,
        sector_size,
        digests,
    }))
}

/// Reads the same sample after the erase and judges each block by `rule`.
pub fn after(
    io: &dyn BlockIo,
    before: &Before,
    rule: PostErase,
    cancel: &CancelToken,
    report: &Reporter<'_>,
) -> Result<FirmwareCheck, Stopped> {
    let sector = u64::from(before.sector_size);
    let mut samples: Vec<SampleDigest> = before
        .sample
        .blocks
        .iter()
        .zip(&before.digests)
        .map(|(b, d)| SampleDigest {
            lba: b.lba,
            sectors: b.sectors,
            before: d.map(|h| h.to_hex().to_string()),
            after: None,
            documented: false,
        })
        .collect();
    let mut bytes_checked = 0u64;
    read_sample(io, &before.sample, sector, cancel, report, |i, r| {
        if let Some((bytes, h)) = r {
            bytes_checked += bytes.len() as u64;
            samples[i].after = Some(h.to_hex().to_string());
            samples[i].documented = rule.holds(bytes);
        }
    })?;
    let unreadable = samples
        .iter()
        .filter(|s| s.before.is_none() || s.after.is_none())
        .count() as u64;
    let bad = |s: &SampleDigest| {
        s.before.is_none() || s.after.is_none() || (s.before == s.after && !s.documented)
    };
    let unchanged = samples
        .iter()
        .filter(|s| s.before.is_some() && s.before == s.after && !s.documented)
        .count() as u64;
    let first_bad_lba = samples.iter().find(|s| bad(s)).map(|s| s.lba);
    let blocks = samples.len() as u64;
    Ok(FirmwareCheck {
        rule,
        algorithm: ALGORITHM.to_owned(),
        seed: format!("{:016x}", before.seed),
        total_sectors: before.total_sectors,
        sector_size: before.sector_size,
        requested_permille: before.permille,
        coverage_permille: (before.sample.sectors() * 1000 / before.total_sectors.max(1)) as u32,
        subsections: before.sample.subsections,
        blocks_checked: blocks,
        bytes_checked,
        unchanged_blocks: unchanged,
        unreadable_blocks: unreadable,
        first_bad_lba,
        passed: blocks > 0 && unchanged == 0 && unreadable == 0,
        samples,
    })
}

/// The verification record that states a before/after check (when no zero pass follows).
pub fn as_verification(c: &FirmwareCheck) -> Verification {
    let bad_sectors: u64 = c
        .samples
        .iter()
        .filter(|s| {
            s.before.is_none() || s.after.is_none() || (s.before == s.after && !s.documented)
        })
        .map(|s| s.sectors)
        .sum();
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
        mismatches: bad_sectors,
        first_mismatch_lba: c.first_bad_lba,
        passed: c.passed,
    }
}
