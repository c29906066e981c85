//! Block devices (and regular files standing in for them): the [`BlockIo`] seam the wipe engine
//! writes through, its real implementation [`Device`], and read-only peeks for the probe: a
//! disk's first sectors, whether an optical drive holds a disc.
//!
//! [`Device::open_read_write`] is a primitive: only the write guard
//! (`wipe::guard::open_for_write`) may call it, after its checks — an architecture test fails if
//! anything else does. It opens block devices `O_EXCL` (the kernel refuses one that is mounted or
//! claimed) and `O_DIRECT`; where the kernel refuses direct I/O, it goes on buffered with a data
//! sync every [`BUFFERED_SYNC_BYTES`], and remembers which ranges a failed sync leaves unproven
//! ([`BlockIo::take_sync_failures`]) — the kernel reports a writeback error only once, so a
//! later successful flush proves nothing about them.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::fcntl::{FcntlArg, OFlag, PosixFadviseAdvice, fcntl, posix_fadvise};
use nix::libc;

use super::ioctl;
use crate::model::DevNo;

/// Positioned I/O on a whole device (or a file standing in for one).
pub trait BlockIo: Send + Sync {
    /// The path the device was opened as (for messages).
    fn path(&self) -> &Path;
    /// Size in bytes.
    fn len(&self) -> u64;
    /// Whether the device has no bytes at all.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Logical sector size in bytes (512 for files).
    fn sector_size(&self) -> u32;
    /// Writes some of `buf` at `offset`; may write less than asked (a short write). Takes
    /// `&self` so that several writes can be in flight at once (positioned I/O, like pwrite).
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize>;
    /// Reads some of `buf` from `offset`; may read less than asked.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// Makes every write durable on the media (data sync, device write-cache flush) and drops
    /// cached pages, so that later reads come from the media and not from memory.
    fn flush(&mut self) -> io::Result<()>;
    /// Byte ranges whose periodic data sync failed since the last call (buffered mode only):
    /// their writes were accepted into the page cache but may never reach the media.
    fn take_sync_failures(&self) -> Vec<SyncFailure> {
        Vec::new()
    }
    /// Asks for the capacity again after the drive's accessible size changed (a Host Protected
    /// Area removed, a Device Configuration Overlay restored) and returns it; `len` then says
    /// the new size.
    fn reread_capacity(&mut self) -> io::Result<u64> {
        Ok(self.len())
    }
    /// Asks the kernel to read the disk's partition table again (after an installed image's
    /// GPT was rewritten), so its partitions appear as devices. Unsupported for a regular file.
    fn reread_partitions(&self) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "not a block device: no partitions to re-read",
        ))
    }
}

/// A failed periodic data sync: every byte written in `offset..offset + len` since the previous
/// good sync is unproven.
#[derive(Debug)]
pub struct SyncFailure {
    pub offset: u64,
    pub len: u64,
    pub error: io::Error,
}

/// Whether an error means the device itself is gone (unplugged, dead controller): retrying or
/// narrowing would only repeat it.
pub fn is_device_gone(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENODEV) | Some(libc::ENXIO) | Some(libc::ENOMEDIUM)
    )
}

/// Writes all of `buf` at `offset`, following short writes and retrying interrupted ones; a
/// write that accepts no bytes is an error (the device would never take the rest).
pub fn write_all_at(io: &dyn BlockIo, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match io.write_at(buf, offset) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "device accepted no bytes (short write)",
                ));
            }
            Ok(n) => {
                buf = buf.get(n..).unwrap_or_default();
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads all of `buf` from `offset`, following short reads; the end of the device before `buf`
/// is full is an error.
pub fn read_exact_at(io: &dyn BlockIo, buf: &mut [u8], offset: u64) -> io::Result<()> {
    if read_full_at(|b, o| io.read_at(b, o), buf, offset)? < buf.len() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "device returned no bytes before its end (short read)",
        ));
    }
    Ok(())
}

/// Reads from `offset` until `buf` is full or a read returns nothing (the end), following short
/// reads and retrying interrupted ones; returns how many bytes were read. The one read loop of
/// this module: exact reads of the engine and the firmware check, and the probe's peek.
fn read_full_at(
    read_at: impl Fn(&mut [u8], u64) -> io::Result<usize>,
    buf: &mut [u8],
    offset: u64,
) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done.min(buf.len()))
}

/// In buffered mode, sync every this many bytes so dirty pages stay bounded, the rate shown is
/// the device's, and a writeback error is pinned to a bounded range.
pub const BUFFERED_SYNC_BYTES: u64 = 128 << 20;

/// Why a device could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("{path}: no such device or file")]
    NotFound {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: neither a block device nor a regular file")]
    NotADevice { path: PathBuf },
    #[error("{path}: the kernel reports it busy (mounted, claimed or open exclusively)")]
    Busy { path: PathBuf },
    #[error("{path}: the device is read-only")]
    ReadOnly { path: PathBuf },
    #[error("cannot open {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{op} failed on {path}")]
    Ioctl {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: nix::Error,
    },
}

/// Writes in buffered mode since the last good sync.
#[derive(Debug, Default)]
struct Unsynced {
    bytes: u64,
    /// Lowest offset and highest end written since the last good sync.
    range: Option<(u64, u64)>,
}

/// An opened device (or file) ready for the wipe engine.
#[derive(Debug)]
pub struct Device {
    file: File,
    path: PathBuf,
    len: u64,
    sector: u32,
    rdev: Option<DevNo>,
    direct: AtomicBool,
    unsynced: Mutex<Unsynced>,
    sync_failures: Mutex<Vec<SyncFailure>>,
}

impl Device {
    /// Opens `path` for reading and writing. THE PRIMITIVE BEHIND THE WRITE GUARD: call it only
    /// from `wipe::guard::open_for_write`, which checks the device first and the opened
    /// descriptor after.
    ///
    /// Block devices: `O_EXCL | O_DIRECT`, refused when the kernel says read-only. Regular files:
    /// `O_DIRECT` when the filesystem supports it (tmpfs does not), else buffered.
    pub fn open_read_write(path: &Path) -> Result<Device, DeviceError> {
        let meta = std::fs::metadata(path).map_err(|source| DeviceError::NotFound {
            path: path.to_owned(),
            source,
        })?;
        let ft = meta.file_type();
        let open = |flags: i32| {
            OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_CLOEXEC | flags)
                .open(path)
        };
        let err = |source: io::Error| match source.raw_os_error() {
            Some(libc::EBUSY) => DeviceError::Busy {
                path: path.to_owned(),
            },
            Some(libc::EROFS) => DeviceError::ReadOnly {
                path: path.to_owned(),
            },
            _ => DeviceError::Open {
                path: path.to_owned(),
                source,
            },
        };
        if ft.is_file() {
            let (file, direct) = match open(libc::O_DIRECT) {
                Ok(f) => (f, true),
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => (open(0).map_err(err)?, false),
                Err(e) => return Err(err(e)),
            };
            let len = file.metadata().map_err(err)?.len();
            return Ok(Device::new(file, path, len, 512, None, direct));
        }
        if !ft.is_block_device() {
            return Err(DeviceError::NotADevice {
                path: path.to_owned(),
            });
        }
        let file = open(libc::O_EXCL | libc::O_DIRECT).map_err(err)?;
        let ioctl_err = |op, source| DeviceError::Ioctl {
            path: path.to_owned(),
            op,
            source,
        };
        if ioctl::is_read_only(file.as_fd()).map_err(|e| ioctl_err("BLKROGET", e))? {
            return Err(DeviceError::ReadOnly {
                path: path.to_owned(),
            });
        }
        let len =
            ioctl::block_size_bytes(file.as_fd()).map_err(|e| ioctl_err("BLKGETSIZE64", e))?;
        let sector =
            ioctl::logical_sector_size(file.as_fd()).map_err(|e| ioctl_err("BLKSSZGET", e))?;
        // The descriptor, not the path: the path could have been replaced since the stat above.
        let rdev = file.metadata().map_err(err)?.rdev();
        let rdev = Some(devno(rdev));
        Ok(Device::new(file, path, len, sector, rdev, true))
    }

    fn new(
        file: File,
        path: &Path,
        len: u64,
        sector: u32,
        rdev: Option<DevNo>,
        direct: bool,
    ) -> Device {
        Device {
            file,
            path: path.to_owned(),
            len,
            sector,
            rdev,
            direct: AtomicBool::new(direct),
            unsynced: Mutex::new(Unsynced::default()),
            sync_failures: Mutex::new(Vec::new()),
        }
    }

    /// The path as opened, for messages.
    pub fn path_display(&self) -> String {
        self.path.display().to_string()
    }

    /// A second descriptor of the same open device (for the drive's firmware commands, which
    /// must go to the very device the guard checked).
    pub(super) fn clone_file(&self) -> io::Result<File> {
        self.file.try_clone()
    }

    /// Reads the device's size again (after its capacity changed: a Host Protected Area or a
    /// Device Configuration Overlay removed and the kernel told to rescan), and keeps it.
    pub fn refresh_len(&mut self) -> Result<u64, DeviceError> {
        if !self.is_block_device() {
            return Ok(self.len);
        }
        self.len =
            ioctl::block_size_bytes(self.file.as_fd()).map_err(|source| DeviceError::Ioctl {
                path: self.path.clone(),
                op: "BLKGETSIZE64",
                source,
            })?;
        Ok(self.len)
    }

    /// Device number of the open descriptor (`fstat`), for block devices.
    pub fn devno(&self) -> Option<DevNo> {
        self.rdev
    }

    /// Whether writes still bypass the page cache (false after the buffered fallback).
    pub fn is_direct(&self) -> bool {
        self.direct.load(Ordering::Relaxed)
    }

    pub fn is_block_device(&self) -> bool {
        self.rdev.is_some()
    }

    /// Drops O_DIRECT after the kernel refused it for this request (unaligned tail of a file,
    /// a filesystem that does not support it): the rest of the wipe is buffered, with periodic
    /// data syncs.
    fn go_buffered(&self) -> io::Result<()> {
        let flags = fcntl(&self.file, FcntlArg::F_GETFL)?;
        let flags = OFlag::from_bits_truncate(flags) & !OFlag::O_DIRECT;
        fcntl(&self.file, FcntlArg::F_SETFL(flags))?;
        self.direct.store(false, Ordering::Relaxed);
        Ok(())
    }

    fn lock_unsynced(&self) -> std::sync::MutexGuard<'_, Unsynced> {
        self.unsynced.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Accounts a buffered write and syncs when enough is dirty. A failed sync does not fail
    /// this write (it reached the page cache): it pins the failure on every range written since
    /// the last good sync, which the engine collects with `take_sync_failures`.
    fn after_buffered_write(&self, offset: u64, n: usize) {
        let due = {
            let mut u = self.lock_unsynced();
            let end = offset + n as u64;
            u.range = Some(match u.range {
                Some((lo, hi)) => (lo.min(offset), hi.max(end)),
                None => (offset, end),
            });
            u.bytes += n as u64;
            if u.bytes >= BUFFERED_SYNC_BYTES {
                u.bytes = 0;
                u.range.take()
            } else {
                None
            }
        };
        if let Some((lo, hi)) = due
            && let Err(error) = self.file.sync_data()
        {
            self.sync_failures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(SyncFailure {
                    offset: lo,
                    len: hi - lo,
                    error,
                });
        }
    }
}

/// Device number from an `st_rdev`.
pub fn devno(rdev: u64) -> DevNo {
    DevNo {
        major: nix::sys::stat::major(rdev) as u32,
        minor: nix::sys::stat::minor(rdev) as u32,
    }
}

impl BlockIo for Device {
    fn path(&self) -> &Path {
        &self.path
    }
    fn len(&self) -> u64 {
        self.len
    }
    fn sector_size(&self) -> u32 {
        self.sector
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let n = match self.file.write_at(buf, offset) {
            Err(e) if self.is_direct() && e.raw_os_error() == Some(libc::EINVAL) => {
                self.go_buffered()?;
                self.file.write_at(buf, offset)?
            }
            r => r?,
        };
        if !self.is_direct() {
            self.after_buffered_write(offset, n);
        }
        Ok(n)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match self.file.read_at(buf, offset) {
            Err(e) if self.is_direct() && e.raw_os_error() == Some(libc::EINVAL) => {
                self.go_buffered()?;
                self.file.read_at(buf, offset)
            }
            r => r,
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        // fdatasync on a block device also sends a cache FLUSH to the drive. A failure here
        // fails the whole pass (the caller records it); what it covered needs no range.
        *self.lock_unsynced() = Unsynced::default();
        self.file.sync_data()?;
        if self.is_block_device() {
            ioctl::flush_buffers(self.file.as_fd()).map_err(io::Error::from)?;
        } else {
            posix_fadvise(&self.file, 0, 0, PosixFadviseAdvice::POSIX_FADV_DONTNEED)
                .map_err(io::Error::from)?;
        }
        Ok(())
    }
    fn take_sync_failures(&self) -> Vec<SyncFailure> {
        std::mem::take(&mut *self.sync_failures.lock().unwrap_or_else(|e| e.into_inner()))
    }
    fn reread_partitions(&self) -> io::Result<()> {
        if !self.is_block_device() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "not a block device: no partitions to re-read",
            ));
        }
        ioctl::reread_partitions(self.file.as_fd()).map_err(io::Error::from)
    }
    fn reread_capacity(&mut self) -> io::Result<u64> {
        // A block device is written only on the real machine (the guard refuses one under a
        // test root), so the kernel to ask is the host's.
        if let Some(devno) = self.rdev {
            super::attr::rescan_disk(&super::SysRoot::host(), devno).map_err(io::Error::other)?;
        }
        self.refresh_len().map_err(io::Error::other)
    }
}

/// What an optical drive says of its tray and disc (the kernel's `CDROM_DRIVE_STATUS`, which
/// asks the drive with TEST UNIT READY and reads its sense).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscStatus {
    /// The tray is closed and empty.
    NoDisc,
    /// The tray is open (so no disc can be read).
    TrayOpen,
    /// A disc is in it but the drive is not ready (spinning up, unreadable).
    NotReady,
    /// A disc is in it.
    DiscOk,
    /// The drive gives no information.
    NoInfo,
}

impl DiscStatus {
    /// From the kernel's `CDS_*` code (`linux/cdrom.h`).
    pub fn from_code(code: i32) -> DiscStatus {
        match code {
            1 => DiscStatus::NoDisc,
            2 => DiscStatus::TrayOpen,
            3 => DiscStatus::NotReady,
            4 => DiscStatus::DiscOk,
            _ => DiscStatus::NoInfo,
        }
    }
}

/// Whether the optical drive at `path` holds a disc. It is opened read-only and non-blocking:
/// the kernel's optical layer then neither requires a disc nor closes an open tray.
pub fn disc_status(path: &Path) -> io::Result<DiscStatus> {
    let meta = std::fs::metadata(path)?;
    if !meta.file_type().is_block_device() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a block device", path.display()),
        ));
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)?;
    let code = ioctl::cdrom_drive_status(file.as_fd()).map_err(io::Error::from)?;
    Ok(DiscStatus::from_code(code))
}

/// The first `len` bytes of the block device (or file) at `path`, read-only and without caching
/// anything: the probe reads partition tables with it. Refuses anything that is neither a block
/// device nor a regular file (a FIFO would block).
pub fn read_head(path: &Path, len: usize) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    let ft = meta.file_type();
    if !(ft.is_block_device() || ft.is_file()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "neither a block device nor a regular file",
        ));
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)?;
    let mut buf = vec![0u8; len];
    let done = read_full_at(|b, o| file.read_at(b, o), &mut buf, 0)?;
    buf.truncate(done);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device that moves at most three bytes a call and is interrupted every other call.
    struct Chunky {
        data: Mutex<Vec<u8>>,
        calls: std::sync::atomic::AtomicU32,
        accepts: bool,
    }

    impl Chunky {
        fn new(len: usize, accepts: bool) -> Chunky {
            Chunky {
                data: Mutex::new((0..len).map(|i| i as u8).collect()),
                calls: Default::default(),
                accepts,
            }
        }
        fn interrupted(&self) -> bool {
            self.calls.fetch_add(1, Ordering::Relaxed).is_multiple_of(2)
        }
    }

    impl BlockIo for Chunky {
        fn path(&self) -> &Path {
            Path::new("chunky")
        }
        fn len(&self) -> u64 {
            self.data.lock().unwrap().len() as u64
        }
        fn sector_size(&self) -> u32 {
            512
        }
        fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
            if self.interrupted() {
                return Err(io::ErrorKind::Interrupted.into());
            }
            if !self.accepts {
                return Ok(0);
            }
            let mut data = self.data.lock().unwrap();
            let n = buf.len().min(3);
            data[offset as usize..][..n].copy_from_slice(&buf[..n]);
            Ok(n)
        }
        fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
            if self.interrupted() {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let data = self.data.lock().unwrap();
            let rest = data.get(offset as usize..).unwrap_or_default();
            let n = buf.len().min(3).min(rest.len());
            buf[..n].copy_from_slice(&rest[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn exact_reads_follow_short_and_interrupted_reads() {
        let dev = Chunky::new(20, true);
        let mut buf = [0u8; 10];
        read_exact_at(&dev, &mut buf, 5).unwrap();
        assert_eq!(buf, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
        read_exact_at(&dev, &mut [], 20).unwrap();
        let e = read_exact_at(&dev, &mut buf, 15).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn whole_writes_follow_short_writes_and_refuse_a_device_that_takes_nothing() {
        let dev = Chunky::new(20, true);
        write_all_at(&dev, &[0xaa; 7], 2).unwrap();
        let mut buf = [0u8; 10];
        read_exact_at(&dev, &mut buf, 0).unwrap();
        assert_eq!(buf, [0, 1, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 9]);
        let stuck = Chunky::new(20, false);
        let e = write_all_at(&stuck, &[1; 4], 0).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WriteZero);
    }

    #[test]
    fn the_head_of_a_short_file_is_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::write(&path, [7u8; 100]).unwrap();
        assert_eq!(read_head(&path, 4096).unwrap(), vec![7u8; 100]);
        assert_eq!(read_head(&path, 10).unwrap(), vec![7u8; 10]);
        assert!(read_head(dir.path(), 10).is_err());
    }
}
