//! The write guard and THE function in Reprise that opens a device for writing
//! ([`open_for_write`]).
//!
//! Before opening, it refuses, each with its own error naming the device and the reason: a
//! device the validated plan does not name; a block device when the system view is not the
//! real machine (`--root` of a fixture tree); a device whose number differs from the one probed;
//! a protected disk (the boot medium, the running system) or a partition of one; a device with a
//! mounted filesystem, active swap or the kernel's `root=` on it or on one of its partitions
//! (the same `sys::usage` reader the probe uses); a device used by device-mapper or RAID; a
//! read-only device. Block devices are then opened `O_EXCL`, so the kernel itself refuses one
//! that is mounted or claimed elsewhere. After opening, it checks that the open descriptor is
//! the disk the plan names — device number, then the identity read afresh (id, serial, size) —
//! and that there is at least one sector to write.
//!
//! [`open_firmware`] is the only way to a drive's destructive firmware commands: the same
//! checks, then a passthrough handle made from the descriptor they opened.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

use super::capability::protocol;
use super::plan::{ValidatedDevice, ValidatedPlan};
use crate::model::{DevNo, DiskId, DiskIdentity, ErrorKind, Transport};
use crate::sys::blockdev::{BlockIo, Device, DeviceError};
use crate::sys::file::{self, Kind};
use crate::sys::passthrough::{DeviceNode, Passthrough, firmware_handle};
use crate::sys::usage::{self, BlockUsage, UseKind};
use crate::sys::{SysRoot, fs};

/// A disk that must never be written, and why (from the probe: boot medium, running system).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedDisk {
    pub id: DiskId,
    pub devno: Option<DevNo>,
    pub dev_path: String,
    pub why: String,
}

/// Reads the identity of the disk with a given device number afresh (the probe's reader, handed
/// in by `flow`, so that `wipe` does not depend on `probe`).
pub type Reidentify = Arc<dyn Fn(&SysRoot, DevNo) -> Option<DiskIdentity> + Send + Sync>;

/// What must never be written, the system view the guard reads, and how it re-reads a disk's
/// identity.
#[derive(Clone)]
pub struct WriteGuard {
    root: SysRoot,
    protected: Vec<ProtectedDisk>,
    reidentify: Reidentify,
}

impl std::fmt::Debug for WriteGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteGuard")
            .field("root", &self.root)
            .field("protected", &self.protected)
            .finish_non_exhaustive()
    }
}

impl WriteGuard {
    /// A guard reading `root` that refuses every disk of `protected` (and their partitions) on
    /// top of the checks it always does, and re-reads identities with `reidentify`.
    pub fn new(root: SysRoot, protected: Vec<ProtectedDisk>, reidentify: Reidentify) -> Self {
        WriteGuard {
            root,
            protected,
            reidentify,
        }
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
        source: std::io::Error,
    },
    #[error(
        "refusing {dev}: a block device, while the system view is {root} (a test tree): only regular files can be wiped there"
    )]
    BlockDeviceOutsideHost { dev: PathBuf, root: PathBuf },
    #[error("refusing {dev}: it is a {found}, but the plan names a {planned}")]
    KindMismatch {
        dev: PathBuf,
        found: &'static str,
        planned: &'static str,
    },
    #[error("refusing {dev}: it holds the running system or the boot medium ({why})")]
    Protected { dev: PathBuf, why: String },
    #[error("refusing {dev}: {part} is mounted on {mount_point}")]
    Mounted {
        dev: PathBuf,
        part: String,
        mount_point: String,
    },
    #[error("refusing {dev}: {part} is active swap")]
    Swap { dev: PathBuf, part: String },
    #[error("refusing {dev}: the kernel command line {argument} names {part}")]
    RootArgument {
        dev: PathBuf,
        part: String,
        argument: String,
    },
    #[error("refusing {dev}: {part} is in use by {holder} (device-mapper, RAID or LVM)")]
    Held {
        dev: PathBuf,
        part: String,
        holder: String,
    },
    #[error(
        "refusing {dev}: the mount table cannot be read ({why}), so it cannot be proven unused"
    )]
    MountTableUnreadable { dev: PathBuf, why: String },
    #[error("refusing {dev}: the swap table cannot be read ({why})")]
    SwapTableUnreadable { dev: PathBuf, why: String },
    #[error("refusing {dev}: the device is read-only")]
    ReadOnly { dev: PathBuf },
    #[error("refusing {dev}: {what}; it is not the disk the plan names")]
    IdentityMismatch { dev: PathBuf, what: String },
    #[error(
        "refusing {dev}: {size} bytes is not a disk to sanitize (empty, or smaller than one {sector}-byte sector)"
    )]
    TooSmall {
        dev: PathBuf,
        size: u64,
        sector: u32,
    },
    #[error("cannot open {dev} for writing")]
    Device {
        dev: PathBuf,
        #[source]
        source: DeviceError,
    },
    #[error("refusing {dev}: its plan sends no command to the drive's firmware")]
    NoFirmwarePlanned { dev: PathBuf },
    #[error("cannot reach the firmware of {dev}")]
    Firmware {
        dev: PathBuf,
        #[source]
        source: crate::sys::passthrough::PassthroughError,
    },
}

impl OpenError {
    /// The kind of wipe error a refusal is recorded as.
    pub fn kind(&self) -> ErrorKind {
        match self {
            OpenError::IdentityMismatch { .. } | OpenError::KindMismatch { .. } => {
                ErrorKind::Identity
            }
            _ => ErrorKind::Open,
        }
    }
}

/// A device the guard opened: the plan's entry it answers to, and the open device.
#[derive(Debug)]
pub struct Opened<'p> {
    pub planned: &'p ValidatedDevice,
    pub device: Device,
}

/// A device the guard opened for a firmware erase: the open device (for the canary check,
/// the zero pass and the overwrite fallback) and a handle on its drive that accepts the commands
/// which change the media — made from that very open descriptor.
#[derive(Debug)]
pub struct FirmwareOpened<'p> {
    pub planned: &'p ValidatedDevice,
    pub device: Device,
    pub drive: DeviceNode,
}

/// THE path to a drive's destructive firmware commands: [`open_for_write`] with all its checks
/// (the plan names the device, it is the planned disk, nothing uses it), then a passthrough
/// handle on the descriptor it opened. Refused for a device whose plan needs no firmware
/// command, and for an NVMe node whose namespace is not the one the plan inspected.
pub fn open_firmware<'p>(
    plan: &'p ValidatedPlan,
    dev: &Path,
    guard: &WriteGuard,
) -> Result<FirmwareOpened<'p>, OpenError> {
    let opened = open_for_write(plan, dev, guard)?;
    let planned = opened.planned;
    let Some(strategy) = planned.strategy().filter(|_| planned.needs_firmware()) else {
        return Err(OpenError::NoFirmwarePlanned {
            dev: dev.to_owned(),
        });
    };
    let protocol =
        protocol(planned.identity().transport).ok_or_else(|| OpenError::NoFirmwarePlanned {
            dev: dev.to_owned(),
        })?;
    let drive =
        firmware_handle(&opened.device, protocol).map_err(|source| OpenError::Firmware {
            dev: dev.to_owned(),
            source,
        })?;
    if let Some(n) = &strategy.facts.nvme
        && drive.nvme_nsid() != Some(n.nsid)
    {
        return Err(OpenError::IdentityMismatch {
            dev: dev.to_owned(),
            what: format!(
                "NVMe namespace {:?}, inspected as {}",
                drive.nvme_nsid(),
                n.nsid
            ),
        });
    }
    Ok(FirmwareOpened {
        planned,
        device: opened.device,
        drive,
    })
}

/// The plan's entry for `dev`, literally or after resolving symlinks.
fn planned<'p>(plan: &'p ValidatedPlan, dev: &Path) -> Option<&'p ValidatedDevice> {
    if let Some(d) = plan.device(dev) {
        return Some(d);
    }
    let canon = file::canonical(dev);
    plan.devices()
        .iter()
        .find(|d| file::canonical(d.path()) == canon)
}

/// THE function that opens a device for writing. Everything that writes to a disk in Reprise
/// goes through here; see the module documentation for what it refuses.
pub fn open_for_write<'p>(
    plan: &'p ValidatedPlan,
    dev: &Path,
    guard: &WriteGuard,
) -> Result<Opened<'p>, OpenError> {
    let planned = planned(plan, dev).ok_or_else(|| OpenError::NotInPlan {
        dev: dev.to_owned(),
    })?;
    let want = planned.identity();
    let kind = file::kind(dev).map_err(|source| OpenError::NotFound {
        dev: dev.to_owned(),
        source,
    })?;
    let is_file = matches!(kind, Kind::Regular { .. });
    let devno = match kind {
        Kind::Block { devno } => Some(devno),
        _ => None,
    };
    match (is_file, devno, want.transport == Transport::File) {
        (true, _, true) => {}
        (true, _, false) => {
            return Err(OpenError::KindMismatch {
                dev: dev.to_owned(),
                found: "regular file",
                planned: "disk",
            });
        }
        (false, Some(_), true) => {
            return Err(OpenError::KindMismatch {
                dev: dev.to_owned(),
                found: "block device",
                planned: "regular file",
            });
        }
        (false, Some(n), false) => {
            if !guard.root.is_host() {
                return Err(OpenError::BlockDeviceOutsideHost {
                    dev: dev.to_owned(),
                    root: guard.root.path().to_owned(),
                });
            }
            if let Some(p) = want.devno
                && p != n
            {
                return Err(OpenError::IdentityMismatch {
                    dev: dev.to_owned(),
                    what: format!("device number {n}, probed as {p}"),
                });
            }
            check_block(guard, dev, n, want)?;
        }
        (false, None, _) => {
            return Err(OpenError::Device {
                dev: dev.to_owned(),
                source: DeviceError::NotADevice {
                    path: dev.to_owned(),
                },
            });
        }
    }
    let device = Device::open_read_write(dev).map_err(|source| match source {
        DeviceError::ReadOnly { .. } => OpenError::ReadOnly {
            dev: dev.to_owned(),
        },
        source => OpenError::Device {
            dev: dev.to_owned(),
            source,
        },
    })?;
    check_opened(guard, dev, devno, want, &device)?;
    Ok(Opened { planned, device })
}

/// Where the block device numbered `devno` lives in sysfs (relative to the root), its kernel
/// name, and its parent disk's number when it is a partition.
fn sysfs_place(root: &SysRoot, devno: DevNo) -> Option<(String, String, Option<DevNo>)> {
    let rel = fs::resolve(root, format!("sys/dev/block/{devno}")).ok()?;
    let name = rel.file_name()?.to_string_lossy().into_owned();
    let dir = rel.to_string_lossy().into_owned();
    let parent = fs::exists(root, format!("{dir}/partition"))
        .then(|| {
            let pdir = rel.parent()?.to_string_lossy().into_owned();
            usage::dev_number(root, &pdir)
        })
        .flatten();
    Some((dir, name, parent))
}

/// Every check of the guard on a block device before it is opened.
fn check_block(
    guard: &WriteGuard,
    dev: &Path,
    devno: DevNo,
    want: &DiskIdentity,
) -> Result<(), OpenError> {
    let root = &guard.root;
    let d = || dev.to_owned();
    let (dir, name, parent) = sysfs_place(root, devno).ok_or_else(|| OpenError::Device {
        dev: d(),
        source: DeviceError::NotADevice { path: d() },
    })?;
    let usage = BlockUsage::read(root);
    if let Err(why) = &usage.mounts {
        return Err(OpenError::MountTableUnreadable {
            dev: d(),
            why: why.clone(),
        });
    }
    if let Err(why) = &usage.swaps {
        return Err(OpenError::SwapTableUnreadable {
            dev: d(),
            why: why.clone(),
        });
    }
    // Mounts first: their refusal names the mount point, which tells the operator the most.
    let uses = usage.uses(root, &name, &dir);
    let mut sorted: Vec<_> = uses.iter().collect();
    sorted.sort_by_key(|u| match u.kind {
        UseKind::Mounted { .. } => 0,
        UseKind::Swap => 1,
        UseKind::RootArgument { .. } => 2,
    });
    if let Some(u) = sorted.first() {
        let part = match u.through.last() {
            Some(h) => format!("{} (through {h})", u.part),
            None => u.part.clone(),
        };
        return Err(match &u.kind {
            UseKind::Mounted { mount_point } => OpenError::Mounted {
                dev: d(),
                part,
                mount_point: mount_point.clone(),
            },
            UseKind::Swap => OpenError::Swap { dev: d(), part },
            UseKind::RootArgument { argument } => OpenError::RootArgument {
                dev: d(),
                part,
                argument: argument.clone(),
            },
        });
    }
    for p in &guard.protected {
        let same = p.devno == Some(devno) || (parent.is_some() && p.devno == parent);
        if same || p.id == want.id {
            return Err(OpenError::Protected {
                dev: d(),
                why: format!("{} {}: {}", p.dev_path, p.id, p.why),
            });
        }
    }
    if let Some(h) = usage::holders(root, &name, &dir).first() {
        return Err(OpenError::Held {
            dev: d(),
            part: h.part.clone(),
            holder: h.holder.clone(),
        });
    }
    if fs::read_bool(root, format!("{dir}/ro")).known() == Some(&true) {
        return Err(OpenError::ReadOnly { dev: d() });
    }
    Ok(())
}

/// The checks on the open descriptor: the same device number as checked, the identity read
/// afresh equal to the plan's, the size the plan recorded, and at least one sector.
fn check_opened(
    guard: &WriteGuard,
    dev: &Path,
    checked: Option<DevNo>,
    want: &DiskIdentity,
    device: &Device,
) -> Result<(), OpenError> {
    let mismatch = |what: String| OpenError::IdentityMismatch {
        dev: dev.to_owned(),
        what,
    };
    if device.devno() != checked {
        return Err(mismatch(format!(
            "the path now leads to device {:?}, not the {checked:?} checked",
            device.devno()
        )));
    }
    let (size, sector) = (device.len(), device.sector_size());
    if sector == 0 || size < u64::from(sector) {
        return Err(OpenError::TooSmall {
            dev: dev.to_owned(),
            size,
            sector,
        });
    }
    if size != want.size_bytes {
        return Err(mismatch(format!(
            "size {size} bytes, probed as {} bytes",
            want.size_bytes
        )));
    }
    if let Some(n) = device.devno() {
        let now = (guard.reidentify)(&guard.root, n)
            .ok_or_else(|| mismatch(format!("device {n} can no longer be identified in sysfs")))?;
        if now.id != want.id {
            return Err(mismatch(format!(
                "its id is {}, probed as {}",
                now.id, want.id
            )));
        }
        if now.serial != want.serial {
            return Err(mismatch(format!(
                "serial {:?}, probed as {:?}",
                now.serial, want.serial
            )));
        }
        if now.size_bytes != size {
            return Err(mismatch(format!(
                "sysfs says {} bytes, the device {size}",
                now.size_bytes
            )));
        }
    }
    Ok(())
}
