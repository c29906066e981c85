//! The overwrite engine: writes every pass of a job at device speed, then verifies the last.
//!
//! Works on any [`BlockIo`]. Buffers are allocated once per pass; a pattern whose content does
//! not depend on the position (zero, one, short fixed patterns) is filled once and written
//! again and again, anything else (the AES-CTR stream) is produced by a generator thread one
//! buffer ahead of the writer, so the device, not the CPU, sets the pace. Full verification
//! runs the other way round: a reader thread stays one buffer ahead of the comparison.
//!
//! Nothing here ever reports a pass it did not see: a write that still fails after retries is
//! narrowed to the failing sectors and recorded, a vanished device stops the job, a mismatch or
//! unreadable sector fails verification, and cancellation gives `Cancelled`.

use std::io;
use std::sync::mpsc::{Sender, sync_channel};
use std::time::Instant;

use super::buf::AlignedBuf;
use super::pattern::{Filler, StreamKey};
use super::plan::{PassPattern, ValidatedDevice, ValidatedPlan, VerifySpec};
use super::report::{DeviceWipe, Outcome, PassReport, Verification, VerifyMode, WipeError};
use super::sample::{MAX_BLOCK_BYTES, plan_sample};
use super::{CancelToken, Phase, Progress, WipeEvent};
use crate::model::{DiskId, DiskIdentity, ErrorKind, Level};
use crate::sys::blockdev::{BlockIo, is_device_gone, read_exact_at, write_all_at};
use crate::sys::clock::{Stopwatch, monotonic_now, now_rfc3339};
use crate::sys::random;

/// Knobs of the engine; the defaults are what the benchmark was tuned with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuning {
    /// Bytes per write/read call (a multiple of 4096).
    pub buffer_bytes: usize,
    /// Buffers the generator may fill ahead of the writers (or the reader ahead of the
    /// comparison).
    pub buffers: usize,
    /// Writes in flight at once (one writer thread each).
    pub queue_depth: usize,
    /// How many times a failed write is retried before narrowing it down.
    pub retries: u32,
    /// Give up on a device after this many bad sectors: it is failing or gone.
    pub max_bad_sectors: u64,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            buffer_bytes: 8 << 20,
            buffers: 2,
            queue_depth: 2,
            retries: 2,
            max_bad_sectors: 8192,
        }
    }
}

/// One device's work, derived from its entry of a validated plan (never edited afterwards):
/// who it is, what to write, how to check it; plus the engine's knobs.
#[derive(Debug, Clone)]
pub struct WipeJob {
    identity: DiskIdentity,
    method: String,
    passes: Vec<PassPattern>,
    verify: VerifySpec,
    /// Seed of the sample locations; `None` draws one from the OS.
    pub seed: Option<u64>,
    /// Key of the random stream; `None` (production) draws one from the OS. Tests set it to
    /// check the written stream from outside the engine.
    pub key: Option<StreamKey>,
    pub tuning: Tuning,
}

impl WipeJob {
    /// The job of one device of a validated plan: exactly the passes and verification the plan
    /// holds.
    pub fn new(plan: &ValidatedPlan, device: &ValidatedDevice) -> Self {
        WipeJob {
            identity: device.identity().clone(),
            method: device.method().to_string(),
            passes: device.passes().to_vec(),
            verify: plan.verify(),
            seed: None,
            key: None,
            tuning: Tuning::default(),
        }
    }

    /// The zero pass that follows a firmware erase (`--then-zero`): one pass of zeros over the
    /// same device, verified as the plan says.
    pub fn zero_pass(&self) -> WipeJob {
        WipeJob {
            method: "zero".into(),
            passes: vec![PassPattern::Zero],
            ..self.clone()
        }
    }

    /// Who the device is, as planned.
    pub fn identity(&self) -> &DiskIdentity {
        &self.identity
    }

    /// The method's name ("dod-3pass").
    pub fn method(&self) -> &str {
        &self.method
    }

    pub fn verify(&self) -> VerifySpec {
        self.verify
    }
}

/// Why a pass stopped before its end.
enum Stop {
    Cancelled,
    Fatal(WipeError),
}

/// Progress accounting for one phase, throttled so the channel carries a few events a second.
struct Meter<'a> {
    events: &'a Sender<WipeEvent>,
    disk: DiskId,
    device: String,
    pass: u32,
    passes: u32,
    phase: Phase,
    total: u64,
    done: u64,
    start: Instant,
    last: Option<Instant>,
}

impl Meter<'_> {
    fn advance(&mut self, n: u64) {
        self.done += n;
        let now = monotonic_now();
        if self
            .last
            .is_none_or(|l| now.duration_since(l).as_millis() >= 200)
            || self.done >= self.total
        {
            self.last = Some(now);
            self.emit(now);
        }
    }

    fn emit(&self, now: Instant) {
        let ms = now.duration_since(self.start).as_millis().max(1) as u64;
        let rate = self.done.saturating_mul(1000) / ms;
        let eta_ms = (rate > 0).then(|| (self.total - self.done.min(self.total)) * 1000 / rate);
        // A closed channel only means nobody is watching; the wipe goes on.
        let _ = self.events.send(WipeEvent::Progress(Progress {
            disk: self.disk.clone(),
            device: self.device.clone(),
            pass: self.pass,
            passes: self.passes,
            phase: self.phase,
            bytes_done: self.done,
            bytes_total: self.total,
            rate_bps: rate,
            eta_ms,
        }));
    }
}

/// Shared state of one device's run.
struct Ctx<'a> {
    events: &'a Sender<WipeEvent>,
    cancel: &'a CancelToken,
    disk: DiskId,
    device: String,
    passes: u32,
    tuning: Tuning,
    sector: u64,
    errors: Vec<WipeError>,
    bad_sectors: u64,
}

impl<'a> Ctx<'a> {
    fn meter(&self, pass: u32, phase: Phase, total: u64) -> Meter<'a> {
        Meter {
            events: self.events,
            disk: self.disk.clone(),
            device: self.device.clone(),
            pass,
            passes: self.passes,
            phase,
            total,
            done: 0,
            start: monotonic_now(),
            last: None,
        }
    }
}

fn gone_error(ctx: &Ctx<'_>, op: &str, offset: u64, e: &io::Error) -> WipeError {
    WipeError {
        operation: ErrorKind::DeviceGone,
        lba: Some(offset / ctx.sector),
        sectors: None,
        message: format!("{}: {op} at byte {offset}: device gone: {e}", ctx.device),
    }
}

/// Writes with retries; returns the last error when every attempt failed.
fn write_retrying(
    io: &dyn BlockIo,
    buf: &[u8],
    offset: u64,
    retries: u32,
) -> Result<(), io::Error> {
    let mut last = None;
    for _ in 0..=retries {
        match write_all_at(io, buf, offset) {
            Ok(()) => return Ok(()),
            Err(e) if is_device_gone(&e) => return Err(e),
            Err(e) => last = Some(e),
        }
    }
    Err(last.expect("at least one attempt"))
}

/// The slow path of a chunk whose write failed `retries + 1` times: narrows to 64 KiB pieces
/// then to single sectors, records the bad sector ranges and goes on. Returns the bytes
/// actually written.
fn write_chunk_slow(
    io: &dyn BlockIo,
    ctx: &mut Ctx<'_>,
    buf: &[u8],
    offset: u64,
    first_err: io::Error,
) -> Result<u64, Stop> {
    if is_device_gone(&first_err) {
        return Err(Stop::Fatal(gone_error(ctx, "write", offset, &first_err)));
    }
    let retries = ctx.tuning.retries;
    let sector = ctx.sector as usize;
    let mut written = 0u64;
    let piece = (64 << 10).max(sector);
    for (pi, p) in buf.chunks(piece).enumerate() {
        let poff = offset + (pi * piece) as u64;
        match write_retrying(io, p, poff, retries) {
            Ok(()) => {
                written += p.len() as u64;
                continue;
            }
            Err(e) if is_device_gone(&e) => {
                return Err(Stop::Fatal(gone_error(ctx, "write", poff, &e)));
            }
            Err(_) => {}
        }
        for (si, s) in p.chunks(sector).enumerate() {
            let soff = poff + (si * sector) as u64;
            match write_retrying(io, s, soff, retries) {
                Ok(()) => written += s.len() as u64,
                Err(e) if is_device_gone(&e) => {
                    return Err(Stop::Fatal(gone_error(ctx, "write", soff, &e)));
                }
                Err(e) => record_bad_sector(ctx, soff / ctx.sector, &e)?,
            }
        }
    }
    if written == buf.len() as u64 {
        // The whole chunk failed but every piece went through on its own: note it, since a
        // flaky device deserves a look, but nothing is left unwritten.
        ctx.errors.push(WipeError {
            operation: ErrorKind::WriteRetried,
            lba: Some(offset / ctx.sector),
            sectors: Some(buf.len() as u64 / ctx.sector),
            message: format!(
                "{}: write at LBA {} failed ({first_err}) then succeeded in smaller pieces",
                ctx.device,
                offset / ctx.sector
            ),
        });
    }
    Ok(written)
}

/// Adds one bad sector, merging it with the previous range when adjacent.
fn record_bad_sector(ctx: &mut Ctx<'_>, lba: u64, e: &io::Error) -> Result<(), Stop> {
    ctx.bad_sectors += 1;
    if let Some(last) = ctx.errors.last_mut()
        && last.operation == ErrorKind::Write
        && let (Some(l), Some(n)) = (last.lba, last.sectors)
        && l + n == lba
    {
        last.sectors = Some(n + 1);
        last.message = format!(
            "{}: write failed at LBA {l}..{}: {e}",
            ctx.device,
            l + n + 1
        );
    } else {
        ctx.errors.push(WipeError {
            operation: ErrorKind::Write,
            lba: Some(lba),
            sectors: Some(1),
            message: format!("{}: write failed at LBA {lba}: {e}", ctx.device),
        });
    }
    if ctx.bad_sectors > ctx.tuning.max_bad_sectors {
        return Err(Stop::Fatal(WipeError {
            operation: ErrorKind::Write,
            lba: Some(lba),
            sectors: None,
            message: format!(
                "{}: more than {} sectors failed to write; the device is failing, giving up",
                ctx.device, ctx.tuning.max_bad_sectors
            ),
        }));
    }
    Ok(())
}

/// Chunk offsets and lengths covering `0..len`.
fn chunks(len: u64, chunk: usize) -> impl Iterator<Item = (u64, usize)> {
    let chunk = chunk as u64;
    (0..len.div_ceil(chunk)).map(move |i| {
        let off = i * chunk;
        (off, (len - off).min(chunk) as usize)
    })
}

/// A chunk handed to a writer thread: `None` means the shared static buffer.
type Job = (u64, usize, Option<AlignedBuf>);

/// Writes one whole pass; returns the bytes written.
///
/// `queue_depth` writer threads keep that many writes in flight (a device, or the loop/dm
/// layer above it, is faster with more than one request queued); the coordinator (this
/// thread) feeds them, handles failures through the slow path, and keeps the meter.
fn write_pass(
    io: &dyn BlockIo,
    ctx: &mut Ctx<'_>,
    mut filler: Filler,
    pass: u32,
) -> Result<u64, Stop> {
    let len = io.len();
    let bsz = ctx.tuning.buffer_bytes;
    let depth = ctx.tuning.queue_depth.max(1);
    let mut meter = ctx.meter(pass, Phase::Write, len);
    let mut written = 0u64;
    let is_static = filler.is_static(bsz);
    let mut static_buf = AlignedBuf::new(if is_static {
        bsz.min(len as usize).max(1)
    } else {
        0
    });
    if is_static {
        filler.fill(static_buf.as_mut_slice(), 0);
    }
    let static_buf = &static_buf;
    let retries = ctx.tuning.retries;
    let nbuf = if is_static {
        0
    } else {
        depth + ctx.tuning.buffers.max(1)
    };
    std::thread::scope(|s| {
        // Generator: fills buffers in device order, ahead of the writers.
        let (full_tx, full_rx) = sync_channel::<(u64, usize, AlignedBuf)>(nbuf.max(1));
        let (empty_tx, empty_rx) = sync_channel::<AlignedBuf>(nbuf.max(1));
        if !is_static {
            for _ in 0..nbuf {
                empty_tx.send(AlignedBuf::new(bsz)).expect("receiver alive");
            }
            s.spawn(move || {
                for (off, n) in chunks(len, bsz) {
                    let Ok(mut b) = empty_rx.recv() else { return };
                    filler.fill(&mut b.as_mut_slice()[..n], off);
                    if full_tx.send((off, n, b)).is_err() {
                        return;
                    }
                }
            });
        }
        // Writers: take a job, write it (with retries), report back.
        let (job_tx, job_rx) = sync_channel::<Job>(depth);
        let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
        let (done_tx, done_rx) = sync_channel::<(Job, io::Result<()>)>(depth);
        for _ in 0..depth {
            let done_tx = done_tx.clone();
            let job_rx = std::sync::Arc::clone(&job_rx);
            s.spawn(move || {
                loop {
                    let job = {
                        let rx = job_rx.lock().unwrap_or_else(|e| e.into_inner());
                        rx.recv()
                    };
                    let Ok((off, n, b)) = job else { return };
                    let data = match &b {
                        Some(b) => &b.as_slice()[..n],
                        None => &static_buf.as_slice()[..n],
                    };
                    let r = write_retrying(io, data, off, retries);
                    if done_tx.send(((off, n, b), r)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut todo = chunks(len, bsz);
        let mut inflight = 0usize;
        let mut result: Result<(), Stop> = Ok(());
        loop {
            while inflight < depth && result.is_ok() {
                let Some((off, n)) = todo.next() else { break };
                if ctx.cancel.is_cancelled() {
                    result = Err(Stop::Cancelled);
                    break;
                }
                let job = if is_static {
                    (off, n, None)
                } else {
                    let (o, n, b) = full_rx.recv().expect("generator sends every chunk");
                    (o, n, Some(b))
                };
                job_tx.send(job).expect("writers alive");
                inflight += 1;
            }
            if inflight == 0 {
                break;
            }
            let ((off, n, b), r) = done_rx.recv().expect("writers report every job");
            inflight -= 1;
            if result.is_ok() {
                match r {
                    Ok(()) => written += n as u64,
                    Err(e) => {
                        let data = match &b {
                            Some(b) => &b.as_slice()[..n],
                            None => &static_buf.as_slice()[..n],
                        };
                        match write_chunk_slow(io, ctx, data, off, e) {
                            Ok(w) => written += w,
                            Err(stop) => result = Err(stop),
                        }
                    }
                }
                meter.advance(n as u64);
            }
            if let Some(b) = b {
                let _ = empty_tx.send(b);
            }
        }
        drop(job_tx);
        result.map(|()| written)
    })
}

/// Verification tally.
#[derive(Default)]
struct Tally {
    blocks: u64,
    bytes: u64,
    mismatches: u64,
    first: Option<u64>,
}

/// What the content should be: a constant byte, or generated bytes.
enum Expect<'a> {
    Byte(u8, &'a [u8]),
    Bytes(&'a [u8]),
}

/// Compares `got` (read at `offset`) with the expectation; counts mismatching sectors.
fn compare(got: &[u8], expect: Expect<'_>, offset: u64, sector: u64, t: &mut Tally) {
    t.blocks += 1;
    t.bytes += got.len() as u64;
    let same = match expect {
        Expect::Byte(_, pat) => got.chunks(pat.len()).all(|c| c == &pat[..c.len()]),
        Expect::Bytes(e) => got == e,
    };
    if same {
        return;
    }
    for (i, c) in got.chunks(sector as usize).enumerate() {
        let start = i * sector as usize;
        let ok = match expect {
            Expect::Byte(b, _) => c.iter().all(|&x| x == b),
            Expect::Bytes(e) => c == &e[start..start + c.len()],
        };
        if !ok {
            t.mismatches += 1;
            let lba = offset / sector + i as u64;
            t.first = Some(t.first.map_or(lba, |f| f.min(lba)));
        }
    }
}

/// Records an unreadable range as mismatching sectors: what cannot be read is not verified.
fn unreadable(ctx: &mut Ctx<'_>, t: &mut Tally, offset: u64, n: usize, e: &io::Error) {
    let lba = offset / ctx.sector;
    let sectors = (n as u64).div_ceil(ctx.sector);
    t.mismatches += sectors;
    t.first = Some(t.first.map_or(lba, |f| f.min(lba)));
    ctx.errors.push(WipeError {
        operation: ErrorKind::Read,
        lba: Some(lba),
        sectors: Some(sectors),
        message: format!("{}: verification read failed at LBA {lba}: {e}", ctx.device),
    });
}

const CMP_CHUNK: usize = 64 << 10;

/// Reads everything back and compares; a reader thread stays ahead of the comparison.
fn verify_full(
    io: &mut dyn BlockIo,
    ctx: &mut Ctx<'_>,
    mut filler: Filler,
    pass: u32,
    t: &mut Tally,
) -> Result<(), Stop> {
    let len = io.len();
    let bsz = ctx.tuning.buffer_bytes;
    let nbuf = ctx.tuning.buffers.max(2);
    let mut meter = ctx.meter(pass, Phase::Verify, len);
    let constant = filler.constant().map(|b| (b, vec![b; CMP_CHUNK]));
    let mut expected = match constant {
        Some(_) => AlignedBuf::new(0),
        None => AlignedBuf::new(bsz),
    };
    let cancel = ctx.cancel;
    let depth = ctx.tuning.queue_depth.max(1);
    let nbuf = nbuf + depth;
    let io: &dyn BlockIo = io;
    let next = std::sync::atomic::AtomicU64::new(0);
    let count = len.div_ceil(bsz as u64);
    std::thread::scope(|s| {
        let (full_tx, full_rx) = sync_channel::<(u64, usize, AlignedBuf, io::Result<()>)>(nbuf);
        let (empty_tx, empty_rx) = sync_channel::<AlignedBuf>(nbuf);
        for _ in 0..nbuf {
            empty_tx.send(AlignedBuf::new(bsz)).expect("receiver alive");
        }
        // `depth` readers keep that many reads in flight; chunks may complete out of order,
        // which the comparison does not mind (each carries its offset).
        let empty_rx = std::sync::Arc::new(std::sync::Mutex::new(empty_rx));
        for _ in 0..depth {
            let full_tx = full_tx.clone();
            let empty_rx = std::sync::Arc::clone(&empty_rx);
            let next = &next;
            s.spawn(move || {
                loop {
                    if cancel.is_cancelled() {
                        return;
                    }
                    let b = empty_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(mut b) = b else { return };
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= count {
                        return;
                    }
                    let off = i * bsz as u64;
                    let n = (len - off).min(bsz as u64) as usize;
                    let r = read_exact_at(io, &mut b.as_mut_slice()[..n], off);
                    if full_tx.send((off, n, b, r)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(full_tx);
        for _ in chunks(len, bsz) {
            if cancel.is_cancelled() {
                return Err(Stop::Cancelled);
            }
            let Ok((off, n, b, r)) = full_rx.recv() else {
                return Err(Stop::Cancelled);
            };
            match r {
                Err(e) if is_device_gone(&e) => {
                    return Err(Stop::Fatal(gone_error(ctx, "read", off, &e)));
                }
                Err(e) => unreadable(ctx, t, off, n, &e),
                Ok(()) => {
                    let got = &b.as_slice()[..n];
                    let exp = match &constant {
                        Some((c, pat)) => Expect::Byte(*c, pat),
                        None => {
                            filler.fill(&mut expected.as_mut_slice()[..n], off);
                            Expect::Bytes(&expected.as_slice()[..n])
                        }
                    };
                    compare(got, exp, off, ctx.sector, t);
                }
            }
            let _ = empty_tx.send(b);
            meter.advance(n as u64);
        }
        Ok(())
    })
}

/// Reads the sampled blocks and compares them.
fn verify_sample(
    io: &mut dyn BlockIo,
    ctx: &mut Ctx<'_>,
    mut filler: Filler,
    pass: u32,
    blocks: &[super::sample::SampleBlock],
    t: &mut Tally,
) -> Result<(), Stop> {
    let len = io.len();
    let total: u64 = blocks.iter().map(|b| b.sectors * ctx.sector).sum();
    let mut meter = ctx.meter(pass, Phase::Verify, total);
    let cap = MAX_BLOCK_BYTES.max(ctx.sector) as usize;
    let mut buf = AlignedBuf::new(cap);
    let mut expected = AlignedBuf::new(cap);
    let pat = filler.constant().map(|b| (b, vec![b; CMP_CHUNK]));
    for b in blocks {
        if ctx.cancel.is_cancelled() {
            return Err(Stop::Cancelled);
        }
        let off = b.lba * ctx.sector;
        let n = (b.sectors * ctx.sector).min(len - off) as usize;
        match read_exact_at(io, &mut buf.as_mut_slice()[..n], off) {
            Err(e) if is_device_gone(&e) => {
                return Err(Stop::Fatal(gone_error(ctx, "read", off, &e)));
            }
            Err(e) => unreadable(ctx, t, off, n, &e),
            Ok(()) => {
                let exp = match &pat {
                    Some((c, p)) => Expect::Byte(*c, p),
                    None => {
                        filler.fill(&mut expected.as_mut_slice()[..n], off);
                        Expect::Bytes(&expected.as_slice()[..n])
                    }
                };
                compare(&buf.as_slice()[..n], exp, off, ctx.sector, t);
            }
        }
        meter.advance(n as u64);
    }
    Ok(())
}

fn unverified() -> Verification {
    Verification::not_run()
}

/// Verifies that the device holds pass `pass` (0-based) of `pattern` under `key`.
fn run_verify(
    io: &mut dyn BlockIo,
    ctx: &mut Ctx<'_>,
    pattern: &PassPattern,
    pass: u32,
    key: &StreamKey,
    spec: VerifySpec,
    seed: Option<u64>,
) -> (Verification, Result<(), Stop>) {
    let mut verification = unverified();
    let mut tally = Tally::default();
    let filler = Filler::new(pattern, key, pass);
    let sector = ctx.sector;
    let total = io.len().div_ceil(sector);
    let r = match spec {
        VerifySpec::None => Ok(()),
        VerifySpec::Full => {
            verification.mode = VerifyMode::Full;
            verification.requested_permille = 1000;
            verification.coverage_permille = 1000;
            verification.total_sectors = total;
            verification.sector_size = sector as u32;
            verify_full(io, ctx, filler, pass + 1, &mut tally)
        }
        VerifySpec::Sample { permille } => {
            let seed = seed.unwrap_or_else(random::seed);
            let sample = plan_sample(total, sector as u32, permille, seed);
            verification.mode = VerifyMode::Sample;
            verification.requested_permille = permille;
            verification.algorithm = Some(Verification::sample_algorithm());
            verification.total_sectors = total;
            verification.sector_size = sector as u32;
            verification.seed = Some(format!("{seed:016x}"));
            verification.subsections = sample.subsections;
            verification.coverage_permille = (sample.sectors() * 1000 / total.max(1)) as u32;
            verify_sample(io, ctx, filler, pass + 1, &sample.blocks, &mut tally)
        }
    };
    verification.blocks_checked = tally.blocks;
    verification.bytes_checked = tally.bytes;
    verification.mismatches = tally.mismatches;
    verification.first_mismatch_lba = tally.first;
    if r.is_ok() {
        verification.passed = spec != VerifySpec::None && tally.mismatches == 0;
        if tally.mismatches > 0 {
            ctx.errors.push(WipeError {
                operation: ErrorKind::Verify,
                lba: tally.first,
                sectors: Some(tally.mismatches),
                message: format!(
                    "{}: verification found {} sector(s) that do not hold what was written; first at LBA {}",
                    ctx.device,
                    tally.mismatches,
                    tally.first.unwrap_or(0)
                ),
            });
        }
    }
    (verification, r)
}

/// Verifies, without writing, that `io` holds pass `pass` (0-based) of `pattern` under `key`
/// (re-verification, audits, tests that plant corruption between write and verify). Errors
/// found (unreadable ranges, mismatches, device gone, cancellation) are returned alongside.
#[allow(clippy::too_many_arguments)]
pub fn verify_device(
    io: &mut dyn BlockIo,
    device: &str,
    pattern: &PassPattern,
    pass: u32,
    key: &StreamKey,
    spec: VerifySpec,
    seed: Option<u64>,
    events: &Sender<WipeEvent>,
    cancel: &CancelToken,
) -> (Verification, Vec<WipeError>) {
    let mut ctx = Ctx {
        events,
        cancel,
        disk: DiskId::Path(device.to_owned()),
        device: device.to_owned(),
        passes: pass + 1,
        tuning: Tuning::default(),
        sector: u64::from(io.sector_size().max(1)),
        errors: Vec::new(),
        bad_sectors: 0,
    };
    let (v, r) = run_verify(io, &mut ctx, pattern, pass, key, spec, seed);
    match r {
        Ok(()) => {}
        Err(Stop::Fatal(e)) => ctx.errors.push(e),
        Err(Stop::Cancelled) => ctx.errors.push(WipeError {
            operation: ErrorKind::Cancelled,
            lba: None,
            sectors: None,
            message: format!("{device}: verification cancelled"),
        }),
    }
    (v, ctx.errors)
}

/// Turns the data syncs that failed during a pass (buffered mode) into errors covering every
/// range they leave unproven.
fn record_sync_failures(io: &dyn BlockIo, ctx: &mut Ctx<'_>) {
    for f in io.take_sync_failures() {
        let lba = f.offset / ctx.sector;
        let sectors = f.len.div_ceil(ctx.sector);
        ctx.errors.push(WipeError {
            operation: ErrorKind::Sync,
            lba: Some(lba),
            sectors: Some(sectors),
            message: format!(
                "{}: syncing the writes of LBA {lba}..{} to the media failed ({}); they may never have reached it",
                ctx.device,
                lba + sectors,
                f.error
            ),
        });
    }
}

/// Sorts located errors by LBA (writes complete out of order when several are in flight) and
/// merges adjacent bad-sector ranges that were found in different chunks.
fn normalize_errors(errors: &mut Vec<WipeError>) {
    errors.sort_by_key(|e| (e.lba.is_none(), e.lba));
    let mut out: Vec<WipeError> = Vec::with_capacity(errors.len());
    for e in errors.drain(..) {
        if let Some(prev) = out.last_mut()
            && prev.operation == ErrorKind::Write
            && e.operation == ErrorKind::Write
            && let (Some(pl), Some(pn), Some(el), Some(en)) =
                (prev.lba, prev.sectors, e.lba, e.sectors)
            && pl + pn == el
        {
            prev.sectors = Some(pn + en);
            prev.message = format!("{} (and the {en} sector(s) after)", prev.message);
            continue;
        }
        out.push(e);
    }
    *errors = out;
}

/// Runs one job on one opened device and reports what happened. Never panics on I/O errors;
/// never reports `Passed` unless every pass wrote every byte and verification (if asked) passed.
pub fn wipe_device(
    io: &mut dyn BlockIo,
    job: WipeJob,
    events: &Sender<WipeEvent>,
    cancel: &CancelToken,
) -> DeviceWipe {
    let started_at = now_rfc3339();
    let t0 = Stopwatch::start();
    let mut identity = job.identity;
    identity.size_bytes = io.len();
    identity.logical_sector_size = io.sector_size();
    let sector = u64::from(io.sector_size().max(1));
    let device = identity.dev_path.clone();
    let mut ctx = Ctx {
        events,
        cancel,
        disk: identity.id.clone(),
        device: device.clone(),
        passes: job.passes.len() as u32,
        tuning: job.tuning,
        sector,
        errors: Vec::new(),
        bad_sectors: 0,
    };
    let key_err = WipeError {
        operation: ErrorKind::Open,
        lba: None,
        sectors: None,
        message: format!("{device}: the OS random generator failed; no key for the random pass"),
    };
    let key = match job.key {
        Some(k) => Some(k),
        None => random::bytes::<16>().ok(),
    };
    let mut stop: Option<Stop> = None;
    // A device with no whole sector holds nothing to sanitize: never report it sanitized (the
    // guard refuses such devices; this keeps the engine honest on any BlockIo).
    let too_small = io.len() < sector;
    if too_small {
        stop = Some(Stop::Fatal(WipeError {
            operation: ErrorKind::Open,
            lba: None,
            sectors: None,
            message: format!(
                "{device}: {} bytes is not a disk to sanitize (less than one {sector}-byte sector)",
                io.len()
            ),
        }));
    }
    let mut pass_reports = Vec::new();
    let mut write_ms = 0u64;
    let mut bytes_written = 0u64;
    for (i, pattern) in job.passes.iter().enumerate() {
        if stop.is_some() {
            break;
        }
        let pass = i as u32;
        let Some(key) = key
            .as_ref()
            .or((*pattern != PassPattern::Random).then_some(&[0u8; 16]))
        else {
            stop = Some(Stop::Fatal(key_err.clone()));
            break;
        };
        let ts = Stopwatch::start();
        let r = write_pass(&*io, &mut ctx, Filler::new(pattern, key, pass), pass + 1);
        let flushed = io.flush();
        record_sync_failures(&*io, &mut ctx);
        let ms = ts.elapsed_ms();
        write_ms += ms;
        let n = match r {
            Ok(n) => n,
            Err(s) => {
                stop = Some(s);
                0
            }
        };
        bytes_written += n;
        pass_reports.push(PassReport {
            pass: pass + 1,
            pattern: pattern.name(),
            bytes_written: n,
            duration_ms: ms,
        });
        if stop.is_some() {
            break;
        }
        if let Err(e) = flushed {
            let err = WipeError {
                operation: ErrorKind::Flush,
                lba: None,
                sectors: None,
                message: format!(
                    "{device}: flushing pass {} to the media failed: {e}",
                    pass + 1
                ),
            };
            if is_device_gone(&e) {
                stop = Some(Stop::Fatal(err));
                break;
            }
            ctx.errors.push(err);
        }
    }
    // Verification of the last pass.
    let mut verification = unverified();
    let last = job.passes.len().checked_sub(1);
    if let (None, Some(last)) = (&stop, last) {
        let key = key.unwrap_or([0; 16]);
        let (v, r) = run_verify(
            io,
            &mut ctx,
            &job.passes[last],
            last as u32,
            &key,
            job.verify,
            job.seed,
        );
        verification = v;
        if let Err(s) = r {
            stop = Some(s);
        }
    }
    let outcome = match &stop {
        Some(Stop::Cancelled) => {
            ctx.errors.push(WipeError {
                operation: ErrorKind::Cancelled,
                lba: None,
                sectors: None,
                message: format!("{device}: cancelled by the operator before the end"),
            });
            Outcome::Cancelled
        }
        Some(Stop::Fatal(e)) => {
            ctx.errors.push(e.clone());
            Outcome::Failed
        }
        None if ctx.errors.iter().any(|e| e.operation.breaks_sanitization()) => Outcome::Failed,
        None if job.passes.is_empty() || too_small => Outcome::Failed,
        // Everything written; what is it worth? Only a verification that read back what was
        // written makes it sanitized (NIST SP 800-88 §4.7).
        None if job.verify == VerifySpec::None => Outcome::Unverified,
        None if verification.passed => Outcome::Passed,
        None => Outcome::Failed,
    };
    let duration_ms = t0.elapsed_ms();
    normalize_errors(&mut ctx.errors);
    let _ = events.send(WipeEvent::Finished {
        disk: identity.id.clone(),
        device: device.clone(),
        outcome,
    });
    DeviceWipe {
        device: identity,
        level: Level::Clear,
        technique: "overwrite".into(),
        method: job.method,
        passes: pass_reports,
        bytes_written,
        started_at,
        finished_at: now_rfc3339(),
        duration_ms,
        write_rate_bps: bytes_written.saturating_mul(1000) / write_ms.max(1),
        verification,
        outcome,
        errors: ctx.errors,
        explanations: Vec::new(),
        firmware: None,
        firmware_check: None,
        hidden_areas: None,
    }
}

/// The record [`wipe_device`] returns for `job` when every pass wrote every byte and the
/// verification read back exactly what was written: a what-if, for the forecast of the first
/// screen (`wipe::as_if_sanitized`, called by `flow::expect` only), never written, signed or
/// shown as a result. The device is taken at its planned size; a sample is the one seed 0
/// draws, counted (as [`Verification::check_numbers`] counts it), not listed, so the forecast
/// of a large disk costs nothing.
pub fn as_if_written(job: &WipeJob) -> DeviceWipe {
    let id = &job.identity;
    let size = id.size_bytes;
    let passes: Vec<PassReport> = job
        .passes
        .iter()
        .zip(1u32..)
        .map(|(p, n)| PassReport {
            pass: n,
            pattern: p.name(),
            bytes_written: size,
            duration_ms: 0,
        })
        .collect();
    DeviceWipe {
        device: id.clone(),
        level: Level::Clear,
        technique: "overwrite".into(),
        method: job.method.clone(),
        bytes_written: size.saturating_mul(passes.len() as u64),
        passes,
        started_at: String::new(),
        finished_at: String::new(),
        duration_ms: 0,
        write_rate_bps: 0,
        verification: as_if_verified(job, size, id.logical_sector_size),
        // As `wipe_device` decides: written without verification is not sanitized.
        outcome: if job.verify == VerifySpec::None {
            Outcome::Unverified
        } else {
            Outcome::Passed
        },
        errors: Vec::new(),
        explanations: Vec::new(),
        firmware: None,
        firmware_check: None,
        hidden_areas: None,
    }
}

/// The verification [`run_verify`] records when it read back all it was asked to on a disk of
/// `size` bytes and found nothing wrong: every sector (in read buffers of the job's tuning), or
/// the blocks of the sample seed 0 draws.
fn as_if_verified(job: &WipeJob, size: u64, sector_size: u32) -> Verification {
    let sector_size = sector_size.max(1);
    let total_sectors = size.div_ceil(u64::from(sector_size));
    let read = Verification {
        total_sectors,
        sector_size,
        passed: true,
        ..Verification::not_run()
    };
    match job.verify {
        VerifySpec::None => Verification::not_run(),
        VerifySpec::Full => Verification {
            mode: VerifyMode::Full,
            requested_permille: 1000,
            coverage_permille: 1000,
            blocks_checked: size.div_ceil(job.tuning.buffer_bytes.max(1) as u64),
            bytes_checked: size,
            ..read
        },
        VerifySpec::Sample { permille } => {
            let s = super::sample::counts(total_sectors, sector_size, permille);
            Verification {
                mode: VerifyMode::Sample,
                requested_permille: permille,
                coverage_permille: s.permille(total_sectors),
                algorithm: Some(Verification::sample_algorithm()),
                seed: Some(format!("{:016x}", 0)),
                subsections: s.subsections,
                blocks_checked: s.blocks,
                bytes_checked: s.bytes(sector_size, total_sectors, size),
                ..read
            }
        }
    }
}
