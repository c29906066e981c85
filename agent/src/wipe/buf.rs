//! Aligned I/O buffers for `O_DIRECT`, allocated once per wipe and reused for every block.
//!
//! Safe code only: the allocation is over-sized by the alignment and the slice starts at the
//! first aligned address inside it. Moving the `Vec` between threads does not move its heap
//! block, so the alignment holds for the buffer's whole life.

/// Alignment that satisfies `O_DIRECT` for every logical sector size in use (512, 4096).
pub const IO_ALIGN: usize = 4096;

/// A zero-initialised byte buffer whose start is aligned to [`IO_ALIGN`].
#[derive(Debug)]
pub struct AlignedBuf {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    /// A buffer of `len` bytes.
    pub fn new(len: usize) -> Self {
        let raw = vec![0u8; len + IO_ALIGN];
        let addr = raw.as_ptr() as usize;
        let start = (IO_ALIGN - addr % IO_ALIGN) % IO_ALIGN;
        AlignedBuf { raw, start, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.raw[self.start..self.start + self.len]
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.raw[self.start..self.start + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_sized() {
        for len in [0, 1, 4096, 8 << 20] {
            let mut b = AlignedBuf::new(len);
            assert_eq!(b.as_slice().as_ptr() as usize % IO_ALIGN, 0);
            assert_eq!(b.as_mut_slice().len(), len);
            let moved = std::thread::spawn(move || b).join().unwrap();
            assert_eq!(moved.as_slice().as_ptr() as usize % IO_ALIGN, 0);
        }
    }
}
