//! Every ioctl Reprise issues, and with them every `unsafe` block of the agent: block-device
//! size, sector size, read-only flag and buffer flush.
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
