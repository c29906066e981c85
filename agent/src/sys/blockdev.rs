//! Block-device I/O: the write guard and the ONE function in Reprise that opens a device for
//! writing ([`open_for_write`]), plus the block ioctls (size, sector size, read-only flag,
//! buffer flush) the wipe needs.
//!
//! The guard refuses, each with its own error naming the device and the reason: a device the
//! validated plan does not name; a protected device (the running system, the boot medium) or a
//! partition/parent of one; a device with a mounted filesystem on it or on one of its
//! partitions (`ROOT/proc/self/mountinfo`); a device used by another block device (dm, md:
//! `holders/`); active swap (`ROOT/proc/swaps`); a read-only device (`ro` attribute and
//! `BLKROGET`). Block devices are then opened `O_EXCL`, so the kernel itself refuses one that
//! is mounted or claimed elsewhere. Regular files are accepted as targets (tests, benchmarks).
#![allow(unsafe_code)]

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use nix::fcntl::{FcntlArg, OFlag, PosixFadviseAdvice, fcntl, posix_fadvise};
use nix::libc;
use thiserror::Error;

use super::SysRoot;
use crate::parse::mountinfo;
use crate::wipe::io::BlockIo;
use crate::wipe::plan::ValidatedPlan;

nix::ioctl_read!(
    /// BLKGETSIZE64: device size in bytes.
    blkgetsize64,
    0x12,
    114,
    u64
);
nix::ioctl_read_bad!(
    /// BLKSSZGET: logical sector size.
    blksszget,
    nix::request_code_none!(0x12, 104),
    libc::c_int
);
nix::ioctl_read_bad!(
    /// BLKROGET: non-zero when the device is read-only.
    blkroget,
    nix::request_code_none!(0x12, 94),
    libc::c_int
);
nix::ioctl_none_bad!(
    /// BLKFLSBUF: write back and drop the device's buffer cache.
    blkflsbuf,
    nix::request_code_none!(0x12, 97)
);

/// In buffered fallback mode, sync every this many bytes so dirty pages stay bounded and the
/// rate shown is the device's, not the page cache's.
const BUFFERED_SYNC_BYTES: u64 = 128 << 20;

/// What must never be written: filled by the integrator from the probe (`holds_system`), plus
/// the sysfs/procfs root the guard reads.
#[derive(Debug, Clone)]
pub struct WriteGuard {
    root: SysRoot,
    protected: Vec<PathBuf>,
}

impl WriteGuard {
    /// A guard reading `root` that refuses every device in `protected` (and their partitions
    /// and parent disks) on top of the checks it always does.
    pub fn new(root: SysRoot, protected: Vec<PathBuf>) -> Self {
        WriteGuard { root, protected }
    }

    pub fn root(&self) -> &SysRoot {
        &self.root
    }
}

/// Why a device was not opened for writing.
#[derive(Debug, Error)]
pub enum OpenError {
    #[error("refusing {dev}: it is not named by the validated wipe plan")]
    NotInPlan { dev: PathBuf },
    #[error("cannot wipe {dev}: no such device or file")]
    NotFound {
        dev: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("refusing {dev}: it is neither a block device nor a regular file")]
    NotADevice { dev: PathBuf },
    #[error("refusing {dev}: it holds the running system or the boot medium ({protected})")]
    Protected { dev: PathBuf, protected: PathBuf },
    #[error("refusing {dev}: {part} is mounted on {mount_point}")]
    Mounted {
        dev: PathBuf,
        part: String,
        mount_point: String,
    },
    #[error("refusing {dev}: {part} is in use by {holder} (device-mapper, RAID or LVM)")]
    Held {
        dev: PathBuf,
        part: String,
        holder: String,
    },
    #[error("refusing {dev}: {part} is active swap")]
    Swap { dev: PathBuf, part: String },
    #[error("refusing {dev}: the device is read-only")]
    ReadOnly { dev: PathBuf },
    #[error("refusing {dev}: the kernel reports it busy (mounted, claimed or open exclusively)")]
    Busy { dev: PathBuf },
    #[error("cannot read {path} to check {dev}")]
    Sysfs {
        dev: PathBuf,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot open {dev} for writing")]
    Open {
        dev: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{op} failed on {dev}")]
    Ioctl {
        dev: PathBuf,
        op: &'static str,
        #[source]
        source: nix::Error,
    },
}

/// An opened device (or file) ready for the wipe engine.
#[derive(Debug)]
pub struct Device {
    file: File,
    path: PathBuf,
    len: u64,
    sector: u32,
    is_block: bool,
    direct: AtomicBool,
    since_sync: AtomicU64,
}

impl Device {
    /// Whether writes still bypass the page cache (false after the buffered fallback).
    pub fn is_direct(&self) -> bool {
        self.direct.load(Ordering::Relaxed)
    }
    pub fn is_block_device(&self) -> bool {
        self.is_block
    }
}

/// Kernel name of a block device ("loop3", "nvme0n1p2") from its device number.
fn block_name(root: &SysRoot, dev: &Path, rdev: u64) -> Option<String> {
    let link = root.join(format!(
        "sys/dev/block/{}:{}",
        nix::sys::stat::major(rdev),
        nix::sys::stat::minor(rdev)
    ));
    let target = fs::read_link(&link)
        .ok()
        .or_else(|| fs::canonicalize(dev).ok())?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// The device itself and its partitions: (name, major, minor).
fn members(root: &SysRoot, name: &str, rdev: u64) -> Vec<(String, u32, u32)> {
    let mut out = vec![(
        name.to_owned(),
        nix::sys::stat::major(rdev) as u32,
        nix::sys::stat::minor(rdev) as u32,
    )];
    let dir = root.join(format!("sys/class/block/{name}"));
    if let Ok(rd) = fs::read_dir(&dir) {
        for e in rd.flatten() {
            let p = e.path();
            if !p.join("partition").exists() {
                continue;
            }
            let Ok(devno) = fs::read_to_string(p.join("dev")) else {
                continue;
            };
            if let Some((ma, mi)) = devno.trim().split_once(':')
                && let (Ok(ma), Ok(mi)) = (ma.parse(), mi.parse())
            {
                out.push((e.file_name().to_string_lossy().into_owned(), ma, mi));
            }
        }
    }
    out
}

/// Parent disk of a partition ("sda" for "sda1"), if `name` is a partition.
fn parent_disk(root: &SysRoot, name: &str) -> Option<String> {
    let p = root.join(format!("sys/class/block/{name}"));
    if !p.join("partition").exists() {
        return None;
    }
    let real = fs::canonicalize(&p).ok()?;
    Some(real.parent()?.file_name()?.to_string_lossy().into_owned())
}

fn read_optional(dev: &Path, path: PathBuf) -> Result<Option<String>, OpenError> {
    match fs::read_to_string(&path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(OpenError::Sysfs {
            dev: dev.to_owned(),
            path,
            source,
        }),
    }
}

/// Every check of the guard on a block device; `Ok` means it may be opened.
fn check_block(guard: &WriteGuard, dev: &Path, rdev: u64) -> Result<(), OpenError> {
    let root = &guard.root;
    let name = block_name(root, dev, rdev).unwrap_or_default();
    let members = members(root, &name, rdev);
    let parent = parent_disk(root, &name);

    // Mounted filesystems on the device or any partition.
    let mi_path = root.join("proc/self/mountinfo");
    let text = read_optional(dev, mi_path.clone())?.ok_or_else(|| OpenError::Sysfs {
        dev: dev.to_owned(),
        path: mi_path,
        source: io::Error::from(io::ErrorKind::NotFound),
    })?;
    for m in mountinfo::parse(&text) {
        if let Some((part, _, _)) = members
            .iter()
            .find(|(_, ma, mi)| *ma == m.major && *mi == m.minor)
        {
            return Err(OpenError::Mounted {
                dev: dev.to_owned(),
                part: part.clone(),
                mount_point: m.mount_point,
            });
        }
    }

    // Protected devices (the probe's system and boot disks): the same device number, or the
    // same disk family by name. Checked after mounts, whose refusal names the mount point.
    for p in &guard.protected {
        let same_number =
            fs::metadata(p).is_ok_and(|m| m.file_type().is_block_device() && m.rdev() == rdev);
        let pname = fs::canonicalize(p)
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
            .or_else(|| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        let related = pname.as_deref().is_some_and(|pn| {
            members.iter().any(|(m, _, _)| m == pn) || parent.as_deref() == Some(pn)
        });
        if same_number || related {
            return Err(OpenError::Protected {
                dev: dev.to_owned(),
                protected: p.clone(),
            });
        }
    }

    // Holders: dm-crypt, LVM, md RAID built on the device or a partition.
    for (part, _, _) in &members {
        let hd = root.join(format!("sys/class/block/{part}/holders"));
        if let Ok(rd) = fs::read_dir(&hd)
            && let Some(h) = rd.flatten().next()
        {
            return Err(OpenError::Held {
                dev: dev.to_owned(),
                part: part.clone(),
                holder: h.file_name().to_string_lossy().into_owned(),
            });
        }
    }

    // Active swap.
    if let Some(swaps) = read_optional(dev, root.join("proc/swaps"))? {
        for line in swaps.lines().skip(1) {
            let Some(path) = line.split_whitespace().next() else {
                continue;
            };
            let sname = Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some((part, _, _)) = members.iter().find(|(m, _, _)| *m == sname) {
                return Err(OpenError::Swap {
                    dev: dev.to_owned(),
                    part: part.clone(),
                });
            }
        }
    }

    // Read-only attribute.
    if let Some(ro) = read_optional(dev, root.join(format!("sys/class/block/{name}/ro")))?
        && ro.trim() == "1"
    {
        return Err(OpenError::ReadOnly {
            dev: dev.to_owned(),
        });
    }
    Ok(())
}

/// Whether `dev` is one of the plan's devices, literally or after resolving symlinks.
fn plan_names(plan: &ValidatedPlan, dev: &Path) -> bool {
    if plan.names(dev) {
        return true;
    }
    let Ok(canon) = fs::canonicalize(dev) else {
        return false;
    };
    plan.devices()
        .iter()
        .any(|d| fs::canonicalize(d).is_ok_and(|c| c == canon))
}

/// THE function that opens a device for writing. Everything that writes to a disk in Reprise
/// goes through here; see the module documentation for what it refuses.
pub fn open_for_write(
    plan: &ValidatedPlan,
    dev: &Path,
    guard: &WriteGuard,
) -> Result<Device, OpenError> {
    if !plan_names(plan, dev) {
        return Err(OpenError::NotInPlan {
            dev: dev.to_owned(),
        });
    }
    let meta = fs::metadata(dev).map_err(|source| OpenError::NotFound {
        dev: dev.to_owned(),
        source,
    })?;
    let ft = meta.file_type();
    if ft.is_file() {
        let open = |direct: bool| {
            let mut o = OpenOptions::new();
            o.read(true).write(true);
            o.custom_flags(libc::O_CLOEXEC | if direct { libc::O_DIRECT } else { 0 });
            o.open(dev)
        };
        let (file, direct) = match open(true) {
            Ok(f) => (f, true),
            // Filesystems without O_DIRECT (tmpfs) refuse it at open: go buffered.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => (
                open(false).map_err(|source| OpenError::Open {
                    dev: dev.to_owned(),
                    source,
                })?,
                false,
            ),
            Err(source) => {
                return Err(OpenError::Open {
                    dev: dev.to_owned(),
                    source,
                });
            }
        };
        return Ok(Device {
            file,
            path: dev.to_owned(),
            len: meta.len(),
            sector: 512,
            is_block: false,
            direct: AtomicBool::new(direct),
            since_sync: AtomicU64::new(0),
        });
    }
    if !ft.is_block_device() {
        return Err(OpenError::NotADevice {
            dev: dev.to_owned(),
        });
    }
    check_block(guard, dev, meta.rdev())?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_EXCL | libc::O_DIRECT)
        .open(dev)
        .map_err(|source| match source.raw_os_error() {
            Some(libc::EBUSY) => OpenError::Busy {
                dev: dev.to_owned(),
            },
            Some(libc::EROFS) => OpenError::ReadOnly {
                dev: dev.to_owned(),
            },
            _ => OpenError::Open {
                dev: dev.to_owned(),
                source,
            },
        })?;
    let fd = file.as_raw_fd();
    let ioctl_err = |op, source| OpenError::Ioctl {
        dev: dev.to_owned(),
        op,
        source,
    };
    let mut ro: libc::c_int = 0;
    // SAFETY: fd is an open block device owned by `file`; BLKROGET writes one int to `ro`.
    unsafe { blkroget(fd, &mut ro) }.map_err(|e| ioctl_err("BLKROGET", e))?;
    if ro != 0 {
        return Err(OpenError::ReadOnly {
            dev: dev.to_owned(),
        });
    }
    let mut len: u64 = 0;
    // SAFETY: fd is an open block device; BLKGETSIZE64 writes one u64 to `len`.
    unsafe { blkgetsize64(fd, &mut len) }.map_err(|e| ioctl_err("BLKGETSIZE64", e))?;
    let mut ssz: libc::c_int = 0;
    // SAFETY: fd is an open block device; BLKSSZGET writes one int to `ssz`.
    unsafe { blksszget(fd, &mut ssz) }.map_err(|e| ioctl_err("BLKSSZGET", e))?;
    Ok(Device {
        file,
        path: dev.to_owned(),
        len,
        sector: u32::try_from(ssz).ok().filter(|s| *s > 0).unwrap_or(512),
        is_block: true,
        direct: AtomicBool::new(true),
        since_sync: AtomicU64::new(0),
    })
}

impl Device {
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
            let total = self.since_sync.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
            if total >= BUFFERED_SYNC_BYTES {
                self.since_sync.store(0, Ordering::Relaxed);
                self.file.sync_data()?;
            }
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
        // fdatasync on a block device also sends a cache FLUSH to the drive.
        self.file.sync_data()?;
        self.since_sync.store(0, Ordering::Relaxed);
        if self.is_block {
            // SAFETY: fd is an open block device owned by `self.file`; BLKFLSBUF takes no
            // argument. It drops cached pages so verification reads come from the media.
            unsafe { blkflsbuf(self.file.as_raw_fd()) }.map_err(io::Error::from)?;
        } else {
            posix_fadvise(&self.file, 0, 0, PosixFadviseAdvice::POSIX_FADV_DONTNEED)
                .map_err(io::Error::from)?;
        }
        Ok(())
    }
}

/// Who the device is, for the confirmation prompt and the report: model, serial, firmware and
/// vendor from `ROOT/sys/class/block/NAME/device/`; a regular file is a "file". Size and sector
/// size are filled in by the engine from the opened device. (The integrator may swap this for
/// the probe's richer view.)
pub fn device_identity(root: &SysRoot, dev: &Path) -> crate::wipe::report::DeviceIdentity {
    let meta = fs::metadata(dev).ok();
    let is_block = meta
        .as_ref()
        .is_some_and(|m| m.file_type().is_block_device());
    let name = meta
        .as_ref()
        .filter(|_| is_block)
        .and_then(|m| block_name(root, dev, m.rdev()));
    let attr = |rel: &str| -> Option<String> {
        let n = name.as_ref()?;
        let s = fs::read_to_string(root.join(format!("sys/class/block/{n}/{rel}"))).ok()?;
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    let size_bytes = attr("size")
        .and_then(|s| s.parse::<u64>().ok())
        .map(|sectors| sectors * 512)
        .or_else(|| meta.as_ref().filter(|m| m.is_file()).map(|m| m.len()))
        .unwrap_or(0);
    let transport = match name.as_deref() {
        None => {
            if is_block {
                "unknown"
            } else {
                "file"
            }
        }
        Some(n) if n.starts_with("nvme") => "nvme",
        Some(n) if n.starts_with("mmcblk") => "mmc",
        Some(n) if n.starts_with("vd") => "virtio",
        Some(n) if n.starts_with("loop") => "loop",
        Some(n) if n.starts_with("sd") => "scsi",
        Some(_) => "unknown",
    };
    let media_type = match (is_block, attr("queue/rotational").as_deref()) {
        (false, _) => "file",
        (true, Some("1")) => "hdd",
        (true, Some("0")) if transport == "mmc" => "flash",
        (true, Some("0")) if transport == "loop" => "unknown",
        (true, Some("0")) => "ssd",
        _ => "unknown",
    };
    crate::wipe::report::DeviceIdentity {
        dev_path: dev.display().to_string(),
        model: attr("device/model"),
        serial: attr("device/serial").or_else(|| attr("device/wwid")),
        firmware: attr("device/firmware_rev").or_else(|| attr("device/rev")),
        vendor: attr("device/vendor"),
        transport: transport.into(),
        media_type: media_type.into(),
        size_bytes,
        logical_sector_size: attr("queue/logical_block_size")
            .and_then(|s| s.parse().ok())
            .unwrap_or(512),
    }
}
