//! The install: image → decoder thread → hasher thread → direct-I/O writes, then a read-back
//! of the written range checked against the image's SHA-256, then the GPT fitted to the disk
//! and the last ext4 filesystem grown.
//!
//! Why three threads: decompression (zstd), hashing (SHA-256 over the raw bytes) and the
//! disk's writes each take a core's worth of time at a fast disk's speed; in a pipeline of a
//! few large aligned buffers they overlap, so the install runs at the slowest of the three —
//! the disk, on any laptop worth refurbishing. The buffers go round (decoder → hasher → writer
//! → decoder): nothing is allocated per block, and memory stays bounded — `(depth + 2)` buffers
//! of `chunk` bytes plus the decoder's window, which is capped at [`ZSTD_WINDOW_LOG_MAX`].
//!
//! Same engine rules as a wipe: the device comes from the write guard (`O_DIRECT`, the disk
//! named before and after), writes are whole aligned sectors, a failed periodic sync in
//! buffered mode is a failed install, and the read-back comes from the media (the device is
//! flushed and its cache dropped first).

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::time::Duration;

use sha2::Digest;
use thiserror::Error;

use super::gpt::{self, Fixed, GptFixError, Layout};
use super::{Compression, ImageSpec, Sha256};
use crate::sys::blockdev::{BlockIo, read_exact_at, write_all_at};
use crate::sys::clock::Stopwatch;
use crate::sys::tool;
use crate::wipe::CancelToken;
use crate::wipe::buf::AlignedBuf;

/// The largest zstd window the decoder accepts: 2^25 = 32 MiB, which every level up to 19
/// fits (`zstd -19` uses 8 MiB); an image compressed with `--long=27` or `--ultra -22` is
/// refused rather than let the install take 128 MiB for the window alone.
pub const ZSTD_WINDOW_LOG_MAX: u32 = 25;

/// Buffer sizes of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Bytes per buffer (at least [`gpt::HEAD_BYTES`], so the first holds the whole GPT).
    pub chunk: usize,
    /// Buffers queued between two stages.
    pub depth: usize,
}

impl Default for Tuning {
    /// 8 MiB buffers, 4 deep: 48 MiB in flight, enough to keep an NVMe disk busy.
    fn default() -> Self {
        Tuning {
            chunk: 8 << 20,
            depth: 4,
        }
    }
}

impl Tuning {
    fn chunk(&self) -> usize {
        self.chunk.max(gpt::HEAD_BYTES).next_multiple_of(4096)
    }
    /// Peak bytes of buffers the pipeline holds (the decoder's window comes on top).
    pub fn peak_buffer_bytes(&self) -> usize {
        (self.depth.max(1) + 2) * self.chunk()
    }
}

/// What the install is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Write,
    ReadBack,
}

/// A progress sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallProgress {
    pub phase: Phase,
    pub bytes_done: u64,
    /// The raw size, when known.
    pub bytes_total: Option<u64>,
    /// Average rate of this phase so far, bytes per second.
    pub rate_bps: u64,
    /// Time left in this phase, when the total and a rate are known.
    pub eta_ms: Option<u64>,
}

fn sample(phase: Phase, done: u64, total: Option<u64>, watch: &Stopwatch) -> InstallProgress {
    let ms = watch.elapsed_ms().max(1);
    let rate_bps = done.saturating_mul(1000) / ms;
    let eta_ms = total
        .filter(|_| rate_bps > 0)
        .map(|t| t.saturating_sub(done).saturating_mul(1000) / rate_bps);
    InstallProgress {
        phase,
        bytes_done: done,
        bytes_total: total,
        rate_bps,
        eta_ms,
    }
}

/// The image written and read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Raw bytes of the image written (from byte 0 of the disk).
    pub raw_bytes: u64,
    /// Their SHA-256, computed while writing and again from the disk: both equal the image's.
    pub sha256: Sha256,
    pub layout: Layout,
    pub write_ms: u64,
    pub write_rate_bps: u64,
    pub readback_ms: u64,
    pub readback_rate_bps: u64,
}

/// Why an install failed. Nothing is "installed" after any of these.
#[derive(Debug, Error)]
pub enum InstallError {
    #[error("cannot read the image {image}")]
    Source {
        image: String,
        #[source]
        source: io::Error,
    },
    #[error("image {image}")]
    Layout {
        image: String,
        #[source]
        source: GptFixError,
    },
    #[error(
        "refusing {dev}: its {disk}-byte sectors differ from the {image}-byte sectors the image's GPT was written for"
    )]
    SectorSize { dev: PathBuf, disk: u32, image: u32 },
    #[error(
        "refusing {dev}: the disk ({disk_bytes} bytes) is smaller than the image {image} needs ({needed} bytes); nothing was written"
    )]
    DiskTooSmall {
        dev: PathBuf,
        image: String,
        disk_bytes: u64,
        needed: u64,
    },
    #[error("writing the image to {dev} at byte {offset}")]
    Write {
        dev: PathBuf,
        offset: u64,
        #[source]
        source: io::Error,
    },
    #[error("{dev}: the data sync of bytes {offset}..{end} failed: they may never reach the disk")]
    SyncFailed {
        dev: PathBuf,
        offset: u64,
        end: u64,
        #[source]
        source: io::Error,
    },
    #[error("flushing {dev}")]
    Flush {
        dev: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "image {image}: its bytes have {actual}, its source states {expected}: not the image, the install failed"
    )]
    SourceMismatch {
        image: String,
        expected: Sha256,
        actual: Sha256,
    },
    #[error("reading {dev} back at byte {offset}")]
    Read {
        dev: PathBuf,
        offset: u64,
        #[source]
        source: io::Error,
    },
    #[error(
        "{dev}: read back, the written bytes have {actual}, the image {expected}: the disk does not hold the image, the install failed"
    )]
    ReadBackMismatch {
        dev: PathBuf,
        expected: Sha256,
        actual: Sha256,
    },
    #[error("{dev}: the rewritten GPT does not read back valid ({what})")]
    GptCheck { dev: PathBuf, what: String },
    #[error("install on {dev} cancelled")]
    Cancelled { dev: PathBuf },
    #[error("image {image}: a pipeline thread stopped unexpectedly")]
    Thread { image: String },
}

/// One buffer of raw image bytes on its way round the pipeline.
struct Chunk {
    buf: AlignedBuf,
    len: usize,
}

/// Reads into `buf` until it is full or the stream ends; how many bytes it holds.
fn fill(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The decoder stage: raw bytes into free buffers, until the stream ends or the writer stops.
fn decode(
    source: Box<dyn Read + Send>,
    compression: Compression,
    free: Receiver<AlignedBuf>,
    full: SyncSender<Chunk>,
) -> io::Result<()> {
    let mut reader: Box<dyn Read> = match compression {
        Compression::None => source,
        Compression::Zstd => {
            let mut d = zstd::stream::read::Decoder::new(source)?;
            d.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
            Box::new(d)
        }
    };
    // `recv` fails once the writer has stopped and dropped its return path.
    while let Ok(mut buf) = free.recv() {
        let len = fill(&mut reader, buf.as_mut_slice())?;
        let end = len < buf.len();
        if len > 0 && full.send(Chunk { buf, len }).is_err() {
            break;
        }
        if end {
            break;
        }
    }
    Ok(())
}

/// The hasher stage: the SHA-256 of every raw byte, in order, and how many there were.
fn hash(full: Receiver<Chunk>, hashed: SyncSender<Chunk>) -> (Sha256, u64) {
    let mut h = sha2::Sha256::new();
    let mut n = 0u64;
    for c in full {
        h.update(&c.buf.as_slice()[..c.len]);
        n += c.len as u64;
        if hashed.send(c).is_err() {
            break;
        }
    }
    (Sha256(h.finalize().into()), n)
}

/// Checks what the image's GPT needs of the disk, from its first bytes.
fn check_layout(head: &[u8], io: &dyn BlockIo, image: &ImageSpec) -> Result<Layout, InstallError> {
    let layout = gpt::layout(head).map_err(|source| InstallError::Layout {
        image: image.name.clone(),
        source,
    })?;
    if layout.sector_size != io.sector_size() {
        return Err(InstallError::SectorSize {
            dev: io.path().to_owned(),
            disk: io.sector_size(),
            image: layout.sector_size,
        });
    }
    if layout.min_disk_bytes() > io.len() {
        return Err(InstallError::DiskTooSmall {
            dev: io.path().to_owned(),
            image: image.name.clone(),
            disk_bytes: io.len(),
            needed: layout.min_disk_bytes(),
        });
    }
    Ok(layout)
}

/// The writer stage: each buffer written whole-sector at its offset, then handed back.
#[allow(clippy::too_many_arguments)]
fn write_loop(
    io: &dyn BlockIo,
    hashed: Receiver<Chunk>,
    free: Sender<AlignedBuf>,
    image: &ImageSpec,
    progress: &mut dyn FnMut(&InstallProgress),
    cancel: &CancelToken,
    watch: &Stopwatch,
) -> Result<(u64, Option<Layout>), InstallError> {
    let dev = io.path().to_owned();
    let sector = io.sector_size().max(1) as usize;
    let mut offset = 0u64;
    let mut layout = None;
    for mut c in hashed {
        if cancel.is_cancelled() {
            return Err(InstallError::Cancelled { dev });
        }
        if layout.is_none() {
            layout = Some(check_layout(&c.buf.as_slice()[..c.len], io, image)?);
        }
        // The image's last bytes fill their sector with zeros: direct I/O writes whole sectors.
        let padded = c.len.next_multiple_of(sector).min(c.buf.len());
        c.buf.as_mut_slice()[c.len..padded].fill(0);
        if offset + padded as u64 > io.len() {
            return Err(InstallError::DiskTooSmall {
                dev,
                image: image.name.clone(),
                disk_bytes: io.len(),
                needed: offset + c.len as u64,
            });
        }
        write_all_at(io, &c.buf.as_slice()[..padded], offset).map_err(|source| {
            InstallError::Write {
                dev: dev.clone(),
                offset,
                source,
            }
        })?;
        offset += c.len as u64;
        progress(&sample(Phase::Write, offset, image.raw_size, watch));
        // The decoder may have finished: then nobody takes the buffer back, which is fine.
        let _ = free.send(c.buf);
    }
    Ok((offset, layout))
}

/// Writes the image from `source` to `io` (opened by the write guard) and reads it back.
/// Returns only when every byte is on the disk and both SHA-256 checks passed.
pub fn write_image(
    io: &mut dyn BlockIo,
    source: Box<dyn Read + Send>,
    image: &ImageSpec,
    tuning: Tuning,
    progress: &mut dyn FnMut(&InstallProgress),
    cancel: &CancelToken,
) -> Result<Written, InstallError> {
    let dev = io.path().to_owned();
    if let Some(raw) = image.raw_size
        && raw > io.len()
    {
        return Err(InstallError::DiskTooSmall {
            dev,
            image: image.name.clone(),
            disk_bytes: io.len(),
            needed: raw,
        });
    }
    let chunk = tuning.chunk();
    let depth = tuning.depth.max(1);
    let (free_tx, free_rx) = channel();
    for _ in 0..depth + 2 {
        // Cannot fail: the receiver is alive.
        let _ = free_tx.send(AlignedBuf::new(chunk));
    }
    let (full_tx, full_rx) = sync_channel(depth);
    let (hashed_tx, hashed_rx) = sync_channel(depth);
    let watch = Stopwatch::start();
    let compression = image.compression;
    let (written, decoded, hashed) = std::thread::scope(|s| {
        let decoder = s.spawn(move || decode(source, compression, free_rx, full_tx));
        let hasher = s.spawn(move || hash(full_rx, hashed_tx));
        let written = write_loop(&*io, hashed_rx, free_tx, image, progress, cancel, &watch);
        (written, decoder.join(), hasher.join())
    });
    let thread = || InstallError::Thread {
        image: image.name.clone(),
    };
    let (raw_bytes, layout) = written?;
    decoded
        .map_err(|_| thread())?
        .map_err(|source| InstallError::Source {
            image: image.name.clone(),
            source,
        })?;
    let (digest, hashed_bytes) = hashed.map_err(|_| thread())?;
    let Some(layout) = layout else {
        return Err(InstallError::Layout {
            image: image.name.clone(),
            source: GptFixError::NotGpt(crate::parse::gpt::GptError::NoHeader),
        });
    };
    if hashed_bytes != raw_bytes {
        return Err(thread());
    }
    if digest != image.sha256 {
        return Err(InstallError::SourceMismatch {
            image: image.name.clone(),
            expected: image.sha256,
            actual: digest,
        });
    }
    io.flush().map_err(|source| InstallError::Flush {
        dev: dev.clone(),
        source,
    })?;
    if let Some(f) = io.take_sync_failures().into_iter().next() {
        return Err(InstallError::SyncFailed {
            dev,
            offset: f.offset,
            end: f.offset + f.len,
            source: f.error,
        });
    }
    let write_ms = watch.elapsed_ms();
    let rb = Stopwatch::start();
    let back = read_back(&*io, raw_bytes, tuning, progress, cancel)?;
    if back != image.sha256 {
        return Err(InstallError::ReadBackMismatch {
            dev,
            expected: image.sha256,
            actual: back,
        });
    }
    let readback_ms = rb.elapsed_ms();
    Ok(Written {
        raw_bytes,
        sha256: back,
        layout,
        write_ms,
        write_rate_bps: raw_bytes.saturating_mul(1000) / write_ms.max(1),
        readback_ms,
        readback_rate_bps: raw_bytes.saturating_mul(1000) / readback_ms.max(1),
    })
}

/// The SHA-256 of the first `len` bytes of `io`, read with direct I/O (whole sectors) while a
/// second thread hashes, so reading and hashing overlap.
pub fn read_back(
    io: &dyn BlockIo,
    len: u64,
    tuning: Tuning,
    progress: &mut dyn FnMut(&InstallProgress),
    cancel: &CancelToken,
) -> Result<Sha256, InstallError> {
    let dev = io.path().to_owned();
    let sector = io.sector_size().max(1) as u64;
    let chunk = tuning.chunk();
    let (free_tx, free_rx) = channel();
    for _ in 0..3 {
        let _ = free_tx.send(AlignedBuf::new(chunk));
    }
    let (full_tx, full_rx) = sync_channel::<Chunk>(1);
    let watch = Stopwatch::start();
    let (read, digest) = std::thread::scope(|s| {
        let hasher = s.spawn(move || {
            let mut h = sha2::Sha256::new();
            for c in full_rx {
                h.update(&c.buf.as_slice()[..c.len]);
                let _ = free_tx.send(c.buf);
            }
            Sha256(h.finalize().into())
        });
        let read = (|| {
            let mut offset = 0u64;
            while offset < len {
                if cancel.is_cancelled() {
                    return Err(InstallError::Cancelled { dev: dev.clone() });
                }
                let Ok(mut buf) = free_rx.recv() else {
                    return Err(InstallError::Thread {
                        image: dev.display().to_string(),
                    });
                };
                let want = (len - offset).min(chunk as u64);
                let whole = want.next_multiple_of(sector) as usize;
                read_exact_at(io, &mut buf.as_mut_slice()[..whole], offset).map_err(|source| {
                    InstallError::Read {
                        dev: dev.clone(),
                        offset,
                        source,
                    }
                })?;
                let _ = full_tx.send(Chunk {
                    buf,
                    len: want as usize,
                });
                offset += want;
                progress(&sample(Phase::ReadBack, offset, Some(len), &watch));
            }
            drop(full_tx);
            Ok(())
        })();
        (read, hasher.join())
    });
    read?;
    digest.map_err(|_| InstallError::Thread {
        image: dev.display().to_string(),
    })
}

/// What became of the last partition's filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filesystem {
    /// ext4, grown to its partition by `resize2fs` (after `e2fsck -f`), through `device`: the
    /// partition's node, or a loop device over the disk at the partition's offset.
    Grown { device: PathBuf },
    /// Not ext2/3/4 (no 0xEF53 magic): kept as it is.
    Kept { type_guid: String },
    /// The partition already ended at the disk's end: nothing to grow.
    AlreadyFull,
    /// Growing was tried and failed: the install stands (its bytes were verified) but the
    /// filesystem keeps the image's size; the record says so.
    NotGrown { why: String },
}

/// For the operator's lines (`reprise install`): what became of the last filesystem.
impl std::fmt::Display for Filesystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Filesystem::Grown { device } => write!(f, "ext4 grown ({})", device.display()),
            Filesystem::Kept { type_guid } => {
                write!(f, "kept as it is (partition type {type_guid}, not ext4)")
            }
            Filesystem::AlreadyFull => write!(f, "already at the disk's end"),
            Filesystem::NotGrown { why } => write!(f, "NOT GROWN: {why}"),
        }
    }
}

/// The GPT fitted to the disk, checked by reading it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutFixed {
    pub fixed: Fixed,
    /// Whether the last partition holds an ext2/3/4 filesystem (to grow after the device is
    /// closed: `e2fsck` and `resize2fs` open the partition exclusively).
    pub last_is_ext4: bool,
}

/// Reads `len` bytes at `offset` (whole sectors) with an aligned buffer.
fn read_aligned(io: &dyn BlockIo, offset: u64, len: usize) -> Result<Vec<u8>, InstallError> {
    let sector = io.sector_size().max(1) as usize;
    let mut buf = AlignedBuf::new(len.next_multiple_of(sector));
    read_exact_at(io, buf.as_mut_slice(), offset).map_err(|source| InstallError::Read {
        dev: io.path().to_owned(),
        offset,
        source,
    })?;
    Ok(buf.as_slice()[..len].to_vec())
}

/// Moves the GPT's backup to the end of the disk and grows the last partition's entry to it
/// (after the read-back, which checked the image's own bytes), then reads both copies back
/// and says whether the last partition holds ext4.
pub fn fix_gpt(io: &mut dyn BlockIo, image: &ImageSpec) -> Result<LayoutFixed, InstallError> {
    let dev = io.path().to_owned();
    let head_len = (gpt::HEAD_BYTES as u64).min(io.len()) as usize;
    let head = read_aligned(&*io, 0, head_len)?;
    let fixed = gpt::fix(&head, io.len()).map_err(|source| InstallError::Layout {
        image: image.name.clone(),
        source,
    })?;
    for (offset, bytes) in &fixed.writes {
        let mut buf = AlignedBuf::new(bytes.len());
        buf.as_mut_slice().copy_from_slice(bytes);
        write_all_at(&*io, buf.as_slice(), *offset).map_err(|source| InstallError::Write {
            dev: dev.clone(),
            offset: *offset,
            source,
        })?;
    }
    io.flush().map_err(|source| InstallError::Flush {
        dev: dev.clone(),
        source,
    })?;
    // Both copies as the disk now holds them: the primary must parse with the new last
    // partition, and the backup header must sit where the primary says, with a valid CRC.
    let check = |what: String| InstallError::GptCheck {
        dev: dev.clone(),
        what,
    };
    let head = read_aligned(&*io, 0, head_len)?;
    let table = crate::parse::gpt::parse(&head).map_err(|e| check(e.to_string()))?;
    let (number, first, last) = fixed.last_partition;
    if !table
        .partitions
        .iter()
        .any(|p| p.number == number && p.first_lba == first && p.last_lba == last)
    {
        return Err(check(format!("partition {number} is not {first}..={last}")));
    }
    let s = u64::from(fixed.sector_size);
    let backup = read_aligned(&*io, fixed.backup_lba_after * s, s as usize)?;
    let size = (u32::from_le_bytes([backup[12], backup[13], backup[14], backup[15]]) as usize)
        .clamp(92, s as usize);
    let mut copy = backup[..size].to_vec();
    copy[16..20].fill(0);
    if &backup[..8] != b"EFI PART"
        || crate::parse::gpt::crc32(&copy).to_le_bytes() != backup[16..20]
    {
        return Err(check(format!(
            "no valid backup header at LBA {}",
            fixed.backup_lba_after
        )));
    }
    let sb = read_aligned(&*io, first * s, 2048usize.max(s as usize))?;
    Ok(LayoutFixed {
        last_is_ext4: gpt::is_ext4_superblock(&sb[1024..2048]),
        fixed,
    })
}

/// Grows the last partition's ext4 filesystem to the partition: the kernel re-reads the
/// partition table (through the still-open `io`), the device is closed — `e2fsck` and
/// `resize2fs` open the partition exclusively, which a holder of the whole disk prevents —
/// then `e2fsck -f -y` (which `resize2fs` demands) and `resize2fs`.
pub fn grow_filesystem(io: Box<dyn BlockIo>, layout: &LayoutFixed) -> Filesystem {
    let Some(grown) = &layout.fixed.grown else {
        return Filesystem::AlreadyFull;
    };
    if !layout.last_is_ext4 {
        return Filesystem::Kept {
            type_guid: grown.type_guid.clone(),
        };
    }
    let disk = io.path().to_owned();
    if let Err(e) = io.reread_partitions() {
        return Filesystem::NotGrown {
            why: format!("{}: re-reading the partition table: {e}", disk.display()),
        };
    }
    drop(io);
    grow_partition(&disk, grown, layout.fixed.sector_size)
}

/// Grows the ext4 filesystem of partition `grown` of `disk` (`sector`-byte sectors) through the
/// partition's own node; when the kernel shows none (a loop device attached without partition
/// scanning, a kernel that does not scan), through a loop device over the disk from the
/// partition's first byte, with the partition's size given to `resize2fs`.
pub fn grow_partition(disk: &Path, grown: &gpt::Grown, sector: u32) -> Filesystem {
    let part = tool::partition_path(disk, grown.number);
    if tool::wait_for_block_device(&part, Duration::from_secs(5)) {
        return grow_ext4(&part, None);
    }
    let s = u64::from(sector);
    let offset = grown.first_lba * s;
    let size = (grown.new_last_lba + 1 - grown.first_lba) * s;
    let disk_arg = disk.to_string_lossy().into_owned();
    let lo = match tool::run(
        "losetup",
        &["-f", "--show", "-o", &offset.to_string(), &disk_arg],
    ) {
        Ok(o) if o.code == Some(0) && o.stdout.trim().starts_with("/dev/") => {
            PathBuf::from(o.stdout.trim())
        }
        Ok(o) => {
            return Filesystem::NotGrown {
                why: format!(
                    "{} did not appear, and losetup -o {offset} {disk_arg}: exit {:?}: {}",
                    part.display(),
                    o.code,
                    o.tail
                ),
            };
        }
        Err(e) => {
            return Filesystem::NotGrown {
                why: crate::model::error_chain(&e),
            };
        }
    };
    let result = grow_ext4(&lo, Some(size));
    let lo_arg = lo.to_string_lossy().into_owned();
    match tool::run("losetup", &["-d", &lo_arg]) {
        Ok(o) if o.code == Some(0) => result,
        other => Filesystem::NotGrown {
            why: format!("losetup -d {lo_arg}: {other:?} (after {result:?})"),
        },
    }
}

/// `e2fsck -f -y` then `resize2fs` on `dev`, to `size` bytes when given (else to the device).
fn grow_ext4(dev: &Path, size: Option<u64>) -> Filesystem {
    let part = dev.to_owned();
    let arg = part.to_string_lossy().into_owned();
    match tool::run("e2fsck", &["-f", "-y", &arg]) {
        // 0: clean; 1: errors corrected. Anything else leaves the filesystem as it was.
        Ok(o) if matches!(o.code, Some(0 | 1)) => {}
        Ok(o) => {
            return Filesystem::NotGrown {
                why: format!("e2fsck -f -y {arg}: exit {:?}: {}", o.code, o.tail),
            };
        }
        Err(e) => {
            return Filesystem::NotGrown {
                why: crate::model::error_chain(&e),
            };
        }
    }
    let size = size.map(|b| format!("{}K", b / 1024));
    let mut args = vec![arg.as_str()];
    args.extend(size.as_deref());
    match tool::run("resize2fs", &args) {
        Ok(o) if o.code == Some(0) => Filesystem::Grown { device: part },
        Ok(o) => Filesystem::NotGrown {
            why: format!("resize2fs {arg}: exit {:?}: {}", o.code, o.tail),
        },
        Err(e) => Filesystem::NotGrown {
            why: crate::model::error_chain(&e),
        },
    }
}
