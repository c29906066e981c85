//! [`Paced`]: a device that runs no faster than a given rate, so that the demo's small files take
//! the time a disk would. The tests' in-memory device with faults is `FakeDevice`, in the
//! `reprise-sim` crate.

use std::io;
use std::path::Path;
use std::sync::Mutex;

use crate::sys::blockdev::{BlockIo, SyncFailure};
use crate::sys::clock;

/// A device that runs no faster than `bytes_per_second` (reads and writes share the budget):
/// the demo's small files then take the time a disk would, so the wipe can be watched. It
/// changes nothing of what is written or read.
pub struct Paced {
    inner: Box<dyn BlockIo>,
    bytes_per_second: u64,
    /// When the device is next free: each call books its share of time after the previous one.
    next_free: Mutex<std::time::Instant>,
}

impl std::fmt::Debug for Paced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paced")
            .field("path", &self.inner.path())
            .field("bytes_per_second", &self.bytes_per_second)
            .finish_non_exhaustive()
    }
}

impl Paced {
    pub fn new(inner: Box<dyn BlockIo>, bytes_per_second: u64) -> Self {
        Paced {
            inner,
            bytes_per_second: bytes_per_second.max(1),
            next_free: Mutex::new(clock::monotonic_now()),
        }
    }

    /// Books `bytes` of transfer time and sleeps until it is this call's turn to finish.
    fn pace(&self, bytes: usize) {
        let cost = std::time::Duration::from_nanos(
            u64::try_from(bytes as u128 * 1_000_000_000 / u128::from(self.bytes_per_second))
                .unwrap_or(u64::MAX),
        );
        let until = {
            let mut next = self.next_free.lock().unwrap_or_else(|e| e.into_inner());
            *next = (*next).max(clock::monotonic_now()) + cost;
            *next
        };
        if let Some(wait) = until.checked_duration_since(clock::monotonic_now()) {
            clock::sleep(wait);
        }
    }
}

impl BlockIo for Paced {
    fn path(&self) -> &Path {
        self.inner.path()
    }
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn sector_size(&self) -> u32 {
        self.inner.sector_size()
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let n = self.inner.write_at(buf, offset)?;
        self.pace(n);
        Ok(n)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let n = self.inner.read_at(buf, offset)?;
        self.pace(n);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
    fn take_sync_failures(&self) -> Vec<SyncFailure> {
        self.inner.take_sync_failures()
    }
}
