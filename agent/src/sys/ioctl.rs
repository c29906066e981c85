//! Every ioctl Reprise issues, and with them every `unsafe` block of the agent: block-device
//! size, sector size, read-only flag, buffer flush and partition re-read; SCSI generic I/O (`SG_IO`, which carries
//! ATA PASS-THROUGH commands to SATA disks) and NVMe admin commands and namespace id; whether an
//! optical drive holds a disc (`CDROM_DRIVE_STATUS`).
//!
//! Each wrapper takes a borrowed descriptor and returns a typed result, so the rest of the agent
//! stays in safe code (the workspace denies `unsafe_code`; this module alone allows it).
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, BorrowedFd};

use nix::libc;

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

nix::ioctl_none_bad!(
    /// BLKRRPART: re-read the partition table (after an installed image's GPT was written).
    blkrrpart,
    nix::request_code_none!(0x12, 95)
);

nix::ioctl_write_int_bad!(
    /// CDROM_DRIVE_STATUS: the state of an optical drive's tray (`linux/cdrom.h`).
    cdrom_drive_status_ioctl,
    0x5326
);

/// `CDSL_CURRENT`: the slot in the drive now (`linux/cdrom.h`: `(int)(~0U >> 1)`).
const CDSL_CURRENT: libc::c_int = libc::c_int::MAX;

/// What the optical drive open on `fd` says of its tray: the kernel's `CDS_*` code (1 no disc,
/// 2 tray open, 3 not ready, 4 disc in it, 0 no information).
pub fn cdrom_drive_status(fd: BorrowedFd<'_>) -> nix::Result<libc::c_int> {
    // SAFETY: `fd` is live; CDROM_DRIVE_STATUS takes an int by value (the slot) and touches no
    // user memory.
    unsafe { cdrom_drive_status_ioctl(fd.as_raw_fd(), CDSL_CURRENT) }
}

/// Size in bytes of the block device open on `fd`.
pub fn block_size_bytes(fd: BorrowedFd<'_>) -> nix::Result<u64> {
    let mut len: u64 = 0;
    // SAFETY: `fd` is a live descriptor for the duration of the borrow; BLKGETSIZE64 writes one
    // u64 through the pointer, which points to a local of that type.
    unsafe { blkgetsize64(fd.as_raw_fd(), &mut len) }?;
    Ok(len)
}

/// Logical sector size of the block device open on `fd`.
pub fn logical_sector_size(fd: BorrowedFd<'_>) -> nix::Result<u32> {
    let mut size: libc::c_int = 0;
    // SAFETY: `fd` is live; BLKSSZGET writes one c_int through a pointer to a local c_int.
    unsafe { blksszget(fd.as_raw_fd(), &mut size) }?;
    Ok(u32::try_from(size).unwrap_or(0))
}

/// Whether the kernel marks the block device open on `fd` read-only.
pub fn is_read_only(fd: BorrowedFd<'_>) -> nix::Result<bool> {
    let mut ro: libc::c_int = 0;
    // SAFETY: `fd` is live; BLKROGET writes one c_int through a pointer to a local c_int.
    unsafe { blkroget(fd.as_raw_fd(), &mut ro) }?;
    Ok(ro != 0)
}

/// Writes back and drops the buffer cache of the block device open on `fd`, so that later
/// reads come from the media.
pub fn flush_buffers(fd: BorrowedFd<'_>) -> nix::Result<()> {
    // SAFETY: `fd` is live; BLKFLSBUF takes no argument and touches no user memory.
    unsafe { blkflsbuf(fd.as_raw_fd()) }?;
    Ok(())
}

/// Asks the kernel to read the partition table of the disk open on `fd` again (refused with
/// EBUSY while one of its partitions is in use).
pub fn reread_partitions(fd: BorrowedFd<'_>) -> nix::Result<()> {
    // SAFETY: `fd` is live; BLKRRPART takes no argument and touches no user memory.
    unsafe { blkrrpart(fd.as_raw_fd()) }?;
    Ok(())
}

/// `struct sg_io_hdr` of `<scsi/sg.h>` (interface 'S').
#[repr(C)]
#[derive(Debug)]
pub struct SgIoHdr {
    pub interface_id: libc::c_int,
    pub dxfer_direction: libc::c_int,
    pub cmd_len: u8,
    pub mx_sb_len: u8,
    pub iovec_count: u16,
    pub dxfer_len: u32,
    pub dxferp: *mut libc::c_void,
    pub cmdp: *const u8,
    pub sbp: *mut u8,
    pub timeout: u32,
    pub flags: u32,
    pub pack_id: libc::c_int,
    pub usr_ptr: *mut libc::c_void,
    pub status: u8,
    pub masked_status: u8,
    pub msg_status: u8,
    pub sb_len_wr: u8,
    pub host_status: u16,
    pub driver_status: u16,
    pub resid: libc::c_int,
    pub duration: u32,
    pub info: u32,
}

/// Data direction of an SG_IO request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SgDirection {
    None,
    ToDevice,
    FromDevice,
}

/// What the SCSI layer returned for one SG_IO request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SgOutcome {
    /// SCSI status (0 good, 2 CHECK CONDITION).
    pub status: u8,
    pub host_status: u16,
    pub driver_status: u16,
    /// The sense data the device returned (`sb_len_wr` bytes).
    pub sense: Vec<u8>,
    /// Bytes not transferred.
    pub resid: i32,
}

nix::ioctl_readwrite_bad!(
    /// SG_IO: one SCSI command with its data, status and sense.
    sg_io_raw,
    0x2285,
    SgIoHdr
);

/// Sends the SCSI command `cdb` to the device open on `fd`, moving `data` in the given
/// direction, waiting at most `timeout_ms`.
pub fn sg_io(
    fd: BorrowedFd<'_>,
    cdb: &[u8],
    direction: SgDirection,
    data: &mut [u8],
    timeout_ms: u32,
) -> nix::Result<SgOutcome> {
    let mut sense = [0u8; 64];
    let mut hdr = SgIoHdr {
        interface_id: libc::c_int::from(b'S'),
        dxfer_direction: match direction {
            SgDirection::None => -1,
            SgDirection::ToDevice => -2,
            SgDirection::FromDevice => -3,
        },
        cmd_len: u8::try_from(cdb.len()).map_err(|_| nix::Error::EINVAL)?,
        mx_sb_len: sense.len() as u8,
        iovec_count: 0,
        dxfer_len: if direction == SgDirection::None {
            0
        } else {
            u32::try_from(data.len()).map_err(|_| nix::Error::EINVAL)?
        },
        dxferp: if direction == SgDirection::None {
            std::ptr::null_mut()
        } else {
            data.as_mut_ptr().cast()
        },
        cmdp: cdb.as_ptr(),
        sbp: sense.as_mut_ptr(),
        timeout: timeout_ms,
        flags: 0,
        pack_id: 0,
        usr_ptr: std::ptr::null_mut(),
        status: 0,
        masked_status: 0,
        msg_status: 0,
        sb_len_wr: 0,
        host_status: 0,
        driver_status: 0,
        resid: 0,
        duration: 0,
        info: 0,
    };
    // SAFETY: `fd` is live; every pointer in `hdr` points to a local or to `data`/`cdb`, which
    // outlive the call, with the lengths given (`dxfer_len` = data.len(), `cmd_len` = cdb.len(),
    // `mx_sb_len` = sense.len()); the kernel writes at most those lengths.
    unsafe { sg_io_raw(fd.as_raw_fd(), &mut hdr) }?;
    let written = usize::from(hdr.sb_len_wr).min(sense.len());
    Ok(SgOutcome {
        status: hdr.status,
        host_status: hdr.host_status,
        driver_status: hdr.driver_status,
        sense: sense[..written].to_vec(),
        resid: hdr.resid,
    })
}

/// `struct nvme_passthru_cmd` of `<linux/nvme_ioctl.h>` (72 bytes).
#[repr(C)]
#[derive(Debug, Default)]
pub struct NvmePassthruCmd {
    pub opcode: u8,
    pub flags: u8,
    pub rsvd1: u16,
    pub nsid: u32,
    pub cdw2: u32,
    pub cdw3: u32,
    pub metadata: u64,
    pub addr: u64,
    pub metadata_len: u32,
    pub data_len: u32,
    pub cdw10: u32,
    pub cdw11: u32,
    pub cdw12: u32,
    pub cdw13: u32,
    pub cdw14: u32,
    pub cdw15: u32,
    pub timeout_ms: u32,
    pub result: u32,
}

nix::ioctl_readwrite!(
    /// NVME_IOCTL_ADMIN_CMD: one NVMe admin command.
    nvme_admin_raw,
    b'N',
    0x41,
    NvmePassthruCmd
);

/// Sends an NVMe admin command to the controller behind `fd` (the controller's character
/// device or one of its namespaces). `cmd.addr`/`cmd.data_len` are set from `data`. Returns the
/// NVMe status field (0 = success; the ioctl reports a non-zero status as a positive return).
pub fn nvme_admin(
    fd: BorrowedFd<'_>,
    cmd: &mut NvmePassthruCmd,
    data: &mut [u8],
) -> nix::Result<u16> {
    cmd.addr = if data.is_empty() {
        0
    } else {
        data.as_mut_ptr() as u64
    };
    cmd.data_len = u32::try_from(data.len()).map_err(|_| nix::Error::EINVAL)?;
    // SAFETY: `fd` is live; `cmd` is a valid `nvme_passthru_cmd`; `addr`/`data_len` describe
    // `data`, which outlives the call, so the kernel's copy in or out stays inside it.
    let status = unsafe { nvme_admin_raw(fd.as_raw_fd(), cmd) }?;
    Ok(u16::try_from(status).unwrap_or(u16::MAX))
}

nix::ioctl_none!(
    /// NVME_IOCTL_ID: the namespace id of an NVMe namespace node.
    nvme_ioctl_id,
    b'N',
    0x40
);

/// The namespace id of the NVMe namespace open on `fd` (ENOTTY on a controller node).
pub fn nvme_namespace_id(fd: BorrowedFd<'_>) -> nix::Result<u32> {
    // SAFETY: `fd` is live; NVME_IOCTL_ID takes no argument and touches no user memory; the
    // namespace id is the ioctl's return value.
    let id = unsafe { nvme_ioctl_id(fd.as_raw_fd()) }?;
    u32::try_from(id).map_err(|_| nix::Error::EINVAL)
}
