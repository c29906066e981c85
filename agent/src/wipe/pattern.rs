//! What each byte of a pass holds: fills a buffer with the content of the device at an offset.
//!
//! The content is a pure function of (pattern, key, pass, offset), so verification regenerates
//! exactly what was written, anywhere on the device, without storing it.

use aes::Aes128;
use aes::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};

use super::plan::PassPattern;

type Aes128Ctr = ctr::Ctr128BE<Aes128>;

/// A per-wipe random key; lives only in memory, for the verification of the random pass.
pub type StreamKey = [u8; 16];

/// Generates the expected content of one pass.
pub enum Filler {
    Byte(u8),
    Fixed(Vec<u8>),
    Random(Box<Aes128Ctr>),
}

impl std::fmt::Debug for Filler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Filler::Byte(b) => write!(f, "Filler::Byte({b:#04x})"),
            Filler::Fixed(p) => write!(f, "Filler::Fixed({})", hex::encode(p)),
            // Never print key material.
            Filler::Random(_) => f.write_str("Filler::Random(..)"),
        }
    }
}

/// The 16-byte CTR IV of pass `pass` (0-based): the pass number in the high half, so the
/// counter (low half, in 16-byte blocks) of each pass starts at 0 and passes never share
/// keystream.
pub fn pass_iv(pass: u32) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..8].copy_from_slice(&u64::from(pass).to_be_bytes());
    iv
}

impl Filler {
    /// The filler of pass `pass` (0-based) of `pattern` under `key`.
    pub fn new(pattern: &PassPattern, key: &StreamKey, pass: u32) -> Self {
        match pattern {
            PassPattern::Zero => Filler::Byte(0),
            PassPattern::One => Filler::Byte(0xff),
            PassPattern::Fixed(p) if p.iter().all(|&b| b == p[0]) => Filler::Byte(p[0]),
            PassPattern::Fixed(p) => Filler::Fixed(p.clone()),
            PassPattern::Random => {
                Filler::Random(Box::new(Aes128Ctr::new(key.into(), &pass_iv(pass).into())))
            }
        }
    }

    /// Whether every chunk of `chunk` bytes starting at a multiple of `chunk` has the same
    /// content, so one buffer filled once serves the whole pass (no generator thread).
    pub fn is_static(&self, chunk: usize) -> bool {
        match self {
            Filler::Byte(_) => true,
            Filler::Fixed(p) => chunk.is_multiple_of(p.len()),
            Filler::Random(_) => false,
        }
    }

    /// The single byte of a constant pattern, if it is one (lets verification skip the
    /// expected buffer).
    pub fn constant(&self) -> Option<u8> {
        match self {
            Filler::Byte(b) => Some(*b),
            _ => None,
        }
    }

    /// Fills `buf` with the device content at byte `offset`.
    pub fn fill(&mut self, buf: &mut [u8], offset: u64) {
        match self {
            Filler::Byte(b) => buf.fill(*b),
            Filler::Fixed(p) => {
                let len = p.len() as u64;
                let start = (offset % len) as usize;
                let head = (p.len() - start).min(buf.len());
                buf[..head].copy_from_slice(&p[start..start + head]);
                let mut done = head;
                // Each copied run is a whole number of periods: double it until full.
                if done < buf.len() {
                    let first = p.len().min(buf.len() - done);
                    buf[done..done + first].copy_from_slice(&p[..first]);
                    done += first;
                    let period_start = head;
                    while done < buf.len() {
                        let avail = done - period_start;
                        let n = avail.min(buf.len() - done);
                        buf.copy_within(period_start..period_start + n, done);
                        done += n;
                    }
                }
            }
            Filler::Random(c) => {
                buf.fill(0);
                c.seek(offset);
                c.apply_keystream(buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(pattern: &[u8], buf_len: usize, offset: u64) -> Vec<u8> {
        (0..buf_len as u64)
            .map(|i| pattern[((offset + i) % pattern.len() as u64) as usize])
            .collect()
    }

    #[test]
    fn fixed_pattern_is_position_dependent_and_exact() {
        let p = vec![1u8, 2, 3];
        let mut f = Filler::new(&PassPattern::Fixed(p.clone()), &[0; 16], 0);
        for (len, off) in [(0, 0), (1, 5), (2, 2), (10, 1), (4096, 4097), (100_000, 7)] {
            let mut buf = vec![0u8; len];
            f.fill(&mut buf, off);
            assert_eq!(buf, naive(&p, len, off), "len {len} off {off}");
        }
        assert!(!f.is_static(4096));
        assert!(Filler::new(&PassPattern::Fixed(vec![1, 2]), &[0; 16], 0).is_static(4096));
    }

    #[test]
    fn random_stream_is_seekable_and_differs_per_pass() {
        let key = [7u8; 16];
        let mut a = Filler::new(&PassPattern::Random, &key, 0);
        let mut whole = vec![0u8; 8192];
        a.fill(&mut whole, 0);
        let mut part = vec![0u8; 4096];
        a.fill(&mut part, 4096);
        assert_eq!(&whole[4096..], &part[..]);
        let mut b = Filler::new(&PassPattern::Random, &key, 1);
        let mut other = vec![0u8; 8192];
        b.fill(&mut other, 0);
        assert_ne!(whole, other);
        // Known answer: AES-128 of the zero block under the zero key (FIPS-197 style vector).
        let mut z = Filler::new(&PassPattern::Random, &[0; 16], 0);
        let mut block = [0u8; 16];
        z.fill(&mut block, 0);
        assert_eq!(hex::encode(block), "66e94bd4ef8a2c3b884cfa59ca342b2e");
    }
}
