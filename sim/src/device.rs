//! [`FakeDevice`]: an in-memory device with real state behind the wipe engine's [`BlockIo`]
//! seam, which fails where a test tells it to: bad sectors, flaky sectors, short writes, a device
//! that vanishes, a data sync that fails.
//!
//! The real implementation (file or block device, `O_DIRECT`, ioctls) is
//! `reprise::sys::blockdev::Device`; the engine only ever sees the trait.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use reprise::sys::blockdev::{BlockIo, SyncFailure};
use reprise::wipe::CancelToken;

/// An in-memory device for the tests: real bytes, plus faults at chosen places.
#[derive(Debug)]
pub struct FakeDevice {
    path: PathBuf,
    len: usize,
    state: Mutex<FakeState>,
    sector_size: u32,
    /// Sectors whose writes always fail with EIO (a grown defect).
    pub bad_sectors: BTreeSet<u64>,
    /// Every write is cut to at most this many bytes (short writes).
    pub max_write: Option<usize>,
    /// After this many write calls the device vanishes: every call fails with ENODEV.
    pub vanish_after_writes: Option<u64>,
    /// Cancel this token when the given number of write calls has been made.
    pub cancel_after_writes: Option<(u64, CancelToken)>,
    /// The data sync that follows a write ending past this byte offset fails, once: every
    /// write since the previous sync is then unproven (what a buffered device reports when
    /// writeback fails).
    pub fail_sync_after: Option<u64>,
}

/// The mutable part of a [`FakeDevice`], behind a lock because writes may run concurrently.
#[derive(Debug, Default)]
struct FakeState {
    data: Vec<u8>,
    /// Sectors whose next N writes fail (transient errors the retry should absorb).
    flaky: std::collections::BTreeMap<u64, u32>,
    writes: u64,
    flushes: u64,
    /// Lowest offset and highest end written since the last sync, in buffered mode.
    unsynced: Option<(u64, u64)>,
    sync_failures: Vec<SyncFailure>,
    sync_failed_once: bool,
}

impl FakeDevice {
    /// A device of `len` bytes filled with 0x5a ("old data"), with `sector_size` sectors.
    pub fn new(path: impl Into<PathBuf>, len: usize, sector_size: u32) -> Self {
        FakeDevice {
            path: path.into(),
            len,
            state: Mutex::new(FakeState {
                data: vec![0x5a; len],
                ..FakeState::default()
            }),
            sector_size,
            bad_sectors: BTreeSet::new(),
            max_write: None,
            vanish_after_writes: None,
            cancel_after_writes: None,
            fail_sync_after: None,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        // A panicking test thread must not hide the device's state from the assertions.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the device's current content.
    pub fn data(&self) -> Vec<u8> {
        self.state().data.clone()
    }

    /// Changes one byte behind the engine's back (a planted corruption).
    pub fn poke(&mut self, offset: usize, value: u8) {
        self.state().data[offset] = value;
    }

    /// The next `times` writes touching `lba` fail with EIO.
    pub fn set_flaky(&mut self, lba: u64, times: u32) {
        self.state().flaky.insert(lba, times);
    }

    /// Write calls so far.
    pub fn writes(&self) -> u64 {
        self.state().writes
    }

    /// Flushes so far.
    pub fn flushes(&self) -> u64 {
        self.state().flushes
    }

    fn gone(&self, st: &FakeState) -> bool {
        self.vanish_after_writes.is_some_and(|n| st.writes > n)
    }
}

fn os_err(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

impl BlockIo for FakeDevice {
    fn path(&self) -> &Path {
        &self.path
    }
    fn len(&self) -> u64 {
        self.len as u64
    }
    fn sector_size(&self) -> u32 {
        self.sector_size
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let mut st = self.state();
        st.writes += 1;
        if let Some((n, token)) = &self.cancel_after_writes
            && st.writes >= *n
        {
            token.cancel();
        }
        if self.gone(&st) {
            return Err(os_err(libc::ENODEV));
        }
        let len = buf.len().min(self.max_write.unwrap_or(usize::MAX));
        let end = offset
            .checked_add(len as u64)
            .filter(|&e| e <= self.len())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "write past the end"))?;
        if len == 0 {
            return Ok(0);
        }
        let ss = u64::from(self.sector_size);
        let (first, last) = (offset / ss, (end - 1) / ss);
        if self.bad_sectors.range(first..=last).next().is_some() {
            return Err(os_err(libc::EIO));
        }
        let flaky: Vec<u64> = st
            .flaky
            .range(first..=last)
            .filter(|(_, n)| **n > 0)
            .map(|(s, _)| *s)
            .collect();
        if !flaky.is_empty() {
            for s in flaky {
                *st.flaky.get_mut(&s).expect("key from range") -= 1;
            }
            return Err(os_err(libc::EIO));
        }
        st.data[offset as usize..end as usize].copy_from_slice(&buf[..len]);
        st.unsynced = Some(match st.unsynced {
            Some((lo, hi)) => (lo.min(offset), hi.max(end)),
            None => (offset, end),
        });
        if let Some(limit) = self.fail_sync_after
            && end > limit
            && !st.sync_failed_once
        {
            // The periodic sync after this write fails: the whole unsynced range is unproven,
            // and (as with the kernel's writeback errors) it is reported only this once.
            st.sync_failed_once = true;
            let (lo, hi) = st.unsynced.take().expect("set above");
            st.sync_failures.push(SyncFailure {
                offset: lo,
                len: hi - lo,
                error: os_err(libc::EIO),
            });
        }
        Ok(len)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let st = self.state();
        if self.gone(&st) {
            return Err(os_err(libc::ENODEV));
        }
        let start = usize::try_from(offset)
            .ok()
            .filter(|&s| s <= self.len)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "read past the end"))?;
        let n = buf.len().min(self.len - start);
        buf[..n].copy_from_slice(&st.data[start..start + n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        let mut st = self.state();
        st.flushes += 1;
        st.unsynced = None;
        if self.gone(&st) {
            return Err(os_err(libc::ENODEV));
        }
        Ok(())
    }
    fn take_sync_failures(&self) -> Vec<SyncFailure> {
        std::mem::take(&mut self.state().sync_failures)
    }
}
