//! The simulated medium every simulated drive is made of: its bytes ([`SimMedia`]), shared
//! with the block view the host sees of it ([`SimBlock`], what the wipe engine writes and the
//! firmware erase's canary check writes and reads), and changed by the firmware's erases
//! ([`Erased`]). Its visible length follows the drive's accessible capacity (HPA, DCO). It
//! counts the host's writes (what NVMe's Global Data Erased follows), and can drop them (a
//! drive that acknowledges writes it never stores).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use reprise::sys::blockdev::BlockIo;

/// A seed never used before: two crypto erases never leave the same bytes.
pub(crate) fn fresh_seed() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x5eed_0000);
    NEXT.fetch_add(0x9e37_79b9, std::sync::atomic::Ordering::Relaxed)
}

/// What an erase leaves on the media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erased {
    Zeros,
    Ones,
    /// Unpredictable bytes (a new encryption key: the old data decrypts to noise).
    Random(u64),
    /// A 32-bit pattern repeated (ATA/NVMe overwrite).
    Pattern(u32),
}

#[derive(Debug)]
struct MediaState {
    data: Vec<u8>,
    /// Bytes the host can address (less than `data` when an HPA or DCO hides the end).
    visible: u64,
    sector: u32,
    gone: bool,
    /// Reads fail with EIO at these sectors.
    unreadable: Vec<u64>,
    /// Writes from the host that stored at least one byte.
    host_writes: u64,
    /// Writes are acknowledged and not stored.
    drops_writes: bool,
}

/// The bytes of a simulated drive (cheap to clone: clones share the media).
#[derive(Debug, Clone)]
pub struct SimMedia(Arc<Mutex<MediaState>>);

/// Deterministic pseudo-random bytes (xorshift64*), for "old data" and crypto erases.
fn noise(len: usize, mut state: u64) -> Vec<u8> {
    state |= 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        v.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    v.truncate(len);
    v
}

impl SimMedia {
    /// `len` bytes of `sector`-byte sectors holding pseudo-random "old data" from `seed`.
    pub fn new(len: usize, sector: u32, seed: u64) -> SimMedia {
        SimMedia(Arc::new(Mutex::new(MediaState {
            data: noise(len, seed),
            visible: len as u64,
            sector,
            gone: false,
            unreadable: Vec::new(),
            host_writes: 0,
            drops_writes: false,
        })))
    }

    /// Writes from the host so far (firmware erases are not host writes).
    pub fn host_writes(&self) -> u64 {
        self.lock().host_writes
    }

    /// From now on, writes are acknowledged in full and never stored.
    pub fn drop_writes(&self) {
        self.lock().drops_writes = true;
    }

    fn lock(&self) -> MutexGuard<'_, MediaState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of every byte, hidden ones included.
    pub fn snapshot(&self) -> Vec<u8> {
        self.lock().data.clone()
    }

    pub fn total_bytes(&self) -> u64 {
        self.lock().data.len() as u64
    }

    pub fn sector(&self) -> u32 {
        self.lock().sector
    }

    pub fn visible_bytes(&self) -> u64 {
        self.lock().visible
    }

    /// Sets the addressable length (the host sees only this much).
    pub fn set_visible(&self, bytes: u64) {
        let mut m = self.lock();
        m.visible = bytes.min(m.data.len() as u64);
    }

    /// Replaces bytes `from..to` with what an erase leaves.
    pub fn erase(&self, from: u64, to: u64, what: Erased) {
        let mut m = self.lock();
        let to = (to as usize).min(m.data.len());
        let from = (from as usize).min(to);
        let range = &mut m.data[from..to];
        match what {
            Erased::Zeros => range.fill(0),
            Erased::Ones => range.fill(0xff),
            Erased::Random(seed) => range.copy_from_slice(&noise(range.len(), seed)),
            Erased::Pattern(p) => {
                let b = p.to_le_bytes();
                for (i, x) in range.iter_mut().enumerate() {
                    *x = b[(from + i) % 4];
                }
            }
        }
    }

    /// Erases every byte, hidden ones included.
    pub fn erase_all(&self, what: Erased) {
        let len = self.total_bytes();
        self.erase(0, len, what);
    }

    /// The drive disappears: every read and write fails with ENODEV.
    pub fn vanish(&self) {
        self.lock().gone = true;
    }

    pub fn is_gone(&self) -> bool {
        self.lock().gone
    }

    /// Reads of sector `lba` fail with EIO from now on.
    pub fn make_unreadable(&self, lba: u64) {
        self.lock().unreadable.push(lba);
    }

    /// The block device the host sees of this media.
    pub fn block(&self, path: impl Into<PathBuf>) -> SimBlock {
        SimBlock {
            path: path.into(),
            media: self.clone(),
        }
    }
}

/// The host's block view of a [`SimMedia`].
#[derive(Debug, Clone)]
pub struct SimBlock {
    path: PathBuf,
    media: SimMedia,
}

impl BlockIo for SimBlock {
    fn path(&self) -> &Path {
        &self.path
    }
    fn len(&self) -> u64 {
        self.media.visible_bytes()
    }
    fn sector_size(&self) -> u32 {
        self.media.sector()
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let mut m = self.media.lock();
        if m.gone {
            return Err(io::Error::from_raw_os_error(libc::ENODEV));
        }
        let end = (offset + buf.len() as u64).min(m.visible) as usize;
        let start = (offset as usize).min(end);
        if m.drops_writes {
            return Ok(end - start);
        }
        m.data[start..end].copy_from_slice(&buf[..end - start]);
        if end > start {
            m.host_writes += 1;
        }
        Ok(end - start)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let m = self.media.lock();
        if m.gone {
            return Err(io::Error::from_raw_os_error(libc::ENODEV));
        }
        let sector = u64::from(m.sector.max(1));
        let end = (offset + buf.len() as u64).min(m.visible);
        if m.unreadable
            .iter()
            .any(|l| *l * sector < end && (*l + 1) * sector > offset)
        {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        let (start, end) = ((offset as usize).min(end as usize), end as usize);
        buf[..end - start].copy_from_slice(&m.data[start..end]);
        Ok(end - start)
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.media.is_gone() {
            return Err(io::Error::from_raw_os_error(libc::ENODEV));
        }
        Ok(())
    }
}
