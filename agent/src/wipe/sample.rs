//! Sample locations for NIST SP 800-88 Rev.1 §4.7 verification: pure, seeded, reproducible.
//!
//! The media is cut into at least [`MIN_SUBSECTIONS`] equal subsections (the last one takes the
//! remainder); each subsection is cut into `k ≥ 2` equal slots and one block is drawn at a
//! pseudorandom offset inside each slot, so blocks never overlap. The first block of the first
//! subsection starts at LBA 0 and the last block of the last subsection ends at the last LBA,
//! so both ends of the media are always read. The same seed always gives the same blocks, so an
//! auditor (or a test) can recompute exactly which sectors were checked.

/// Name and version of this sampler, recorded with every sampled verification: an auditor
/// recomputes the blocks from it (see `SAMPLING.md` beside this file).
pub const ALGORITHM: &str = "reprise-nist-sample-v1";

/// Fewest subsections NIST §4.7 asks for.
pub const MIN_SUBSECTIONS: u64 = 1000;
/// Largest sample block, in bytes: one read of at most this many bytes per block.
pub const MAX_BLOCK_BYTES: u64 = 4 << 20;

/// One sampled range, in logical sectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleBlock {
    pub lba: u64,
    pub sectors: u64,
}

/// The sample of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub subsections: u64,
    /// Sorted by LBA, pairwise disjoint.
    pub blocks: Vec<SampleBlock>,
}

impl Sample {
    /// Sectors covered by the blocks.
    pub fn sectors(&self) -> u64 {
        self.blocks.iter().map(|b| b.sectors).sum()
    }

    /// Whether `lba` is inside one of the blocks.
    pub fn contains(&self, lba: u64) -> bool {
        let i = self.blocks.partition_point(|b| b.lba + b.sectors <= lba);
        self.blocks.get(i).is_some_and(|b| b.lba <= lba)
    }
}

/// SplitMix64: tiny, well-mixed, and trivially re-implementable by an auditor from the seed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform-enough value in `0..=max` (modulo bias is irrelevant for sample placement).
    pub fn below_or_eq(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            self.next_u64()
        } else {
            self.next_u64() % (max + 1)
        }
    }
}

/// Computes the sample of a device of `total_sectors` sectors of `sector_size` bytes.
///
/// `permille` is the share to read (1..=1000). A device too small for 1000 subsections of two
/// sectors each is divided into as many as fit (every sector is then a subsection's worth).
pub fn plan_sample(total_sectors: u64, sector_size: u32, permille: u32, seed: u64) -> Sample {
    if total_sectors == 0 {
        return Sample {
            subsections: 0,
            blocks: Vec::new(),
        };
    }
    let permille = u64::from(permille.clamp(1, 1000));
    let max_block = (MAX_BLOCK_BYTES / u64::from(sector_size.max(1))).max(1);
    // Each subsection needs room for two one-sector blocks.
    let subsections = MIN_SUBSECTIONS.min(total_sectors / 2).max(1);
    let base_len = total_sectors / subsections;
    let mut rng = SplitMix64::new(seed);
    let mut blocks = Vec::new();
    for s in 0..subsections {
        let start = s * base_len;
        let len = if s + 1 == subsections {
            total_sectors - start
        } else {
            base_len
        };
        // Sectors to read in this subsection, rounded up, never fewer than two blocks' worth.
        let target = (len * permille).div_ceil(1000).max(2.min(len));
        // Two blocks at least; big blocks for speed, but no bigger than one read buffer.
        let block = (target / 2).clamp(1, max_block);
        let k = target.div_ceil(block).max(2).min(len);
        let slot = len / k;
        let block = block.min(slot).max(1);
        for j in 0..k {
            let slot_start = start + j * slot;
            let slot_len = if j + 1 == k { len - j * slot } else { slot };
            let room = slot_len - block;
            let off = if s == 0 && j == 0 {
                0
            } else if s + 1 == subsections && j + 1 == k {
                room
            } else {
                rng.below_or_eq(room)
            };
            blocks.push(SampleBlock {
                lba: slot_start + off,
                sectors: block,
            });
        }
    }
    Sample {
        subsections,
        blocks,
    }
}

/// How much a sample holds, without listing its blocks: what [`plan_sample`] gives for the
/// same inputs (any seed: the seed moves blocks, never their number or size). Computed per
/// subsection in constant time, so that a report claiming an absurd device is judged at once,
/// never by listing billions of blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub subsections: u64,
    pub blocks: u64,
    pub sectors: u64,
}

impl Counts {
    /// Share of the device covered, per mille (rounded down, as the verification records it).
    pub fn permille(&self, total_sectors: u64) -> u32 {
        (u128::from(self.sectors) * 1000 / u128::from(total_sectors.max(1))) as u32
    }

    /// Bytes read on a device of `device_bytes` bytes in sectors of `sector_size`: the last
    /// block ends at the last sector, which the device's end may cut short.
    pub fn bytes(&self, sector_size: u32, total_sectors: u64, device_bytes: u64) -> u64 {
        let sector = u128::from(sector_size.max(1));
        let whole = u128::from(self.sectors) * sector;
        let cut = (u128::from(total_sectors) * sector).saturating_sub(u128::from(device_bytes));
        u64::try_from(whole.saturating_sub(cut)).unwrap_or(u64::MAX)
    }
}

/// The [`Counts`] of `plan_sample(total_sectors, sector_size, permille, _)`: the same
/// arithmetic, subsection by subsection, without drawing positions.
pub fn counts(total_sectors: u64, sector_size: u32, permille: u32) -> Counts {
    if total_sectors == 0 {
        return Counts {
            subsections: 0,
            blocks: 0,
            sectors: 0,
        };
    }
    let permille = u128::from(permille.clamp(1, 1000));
    let max_block = (MAX_BLOCK_BYTES / u64::from(sector_size.max(1))).max(1);
    let subsections = MIN_SUBSECTIONS.min(total_sectors / 2).max(1);
    let base_len = total_sectors / subsections;
    let mut c = Counts {
        subsections,
        blocks: 0,
        sectors: 0,
    };
    // Every subsection but the last has the same length, hence the same blocks.
    let mut add = |len: u64, times: u64| {
        let target = ((u128::from(len) * permille).div_ceil(1000) as u64).max(2.min(len));
        let block = (target / 2).clamp(1, max_block);
        let k = target.div_ceil(block).max(2).min(len);
        let block = block.min(len / k).max(1);
        c.blocks = c.blocks.saturating_add(k.saturating_mul(times));
        c.sectors = c.sectors.saturating_add((k * block).saturating_mul(times));
    };
    add(base_len, subsections - 1);
    add(total_sectors - (subsections - 1) * base_len, 1);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(total: u64, ss: u32, permille: u32, seed: u64) {
        let s = plan_sample(total, ss, permille, seed);
        assert!(!s.blocks.is_empty());
        assert_eq!(s.blocks[0].lba, 0, "first LBA sampled");
        let last = s.blocks.last().unwrap();
        assert_eq!(last.lba + last.sectors, total, "last LBA sampled");
        for w in s.blocks.windows(2) {
            assert!(w[0].lba + w[0].sectors <= w[1].lba, "overlap {:?}", w);
        }
        for b in &s.blocks {
            assert!(b.sectors >= 1);
            assert!(b.lba + b.sectors <= total);
            assert!(b.sectors * u64::from(ss) <= MAX_BLOCK_BYTES.max(u64::from(ss)));
        }
        if total >= 2 * MIN_SUBSECTIONS {
            assert!(s.subsections >= MIN_SUBSECTIONS);
            assert!(s.blocks.len() as u64 >= 2 * s.subsections);
        }
        // Coverage reaches the request, up to one sector of rounding per block.
        assert!((s.sectors() + s.blocks.len() as u64) * 1000 >= total * u64::from(permille));
        assert!(s.contains(0) && s.contains(total - 1));
        assert_eq!(plan_sample(total, ss, permille, seed), s, "reproducible");
        // The counts, computed without listing the blocks, are the sample's.
        let c = counts(total, ss, permille);
        assert_eq!(
            (c.subsections, c.blocks, c.sectors),
            (s.subsections, s.blocks.len() as u64, s.sectors())
        );
        assert_eq!(c.permille(total), (s.sectors() * 1000 / total) as u32);
        // A device whose last sector is cut short: only the last block is shorter.
        let len = total * u64::from(ss) - 1;
        let bytes: u64 = s
            .blocks
            .iter()
            .map(|b| (b.sectors * u64::from(ss)).min(len - b.lba * u64::from(ss)))
            .sum();
        assert_eq!(c.bytes(ss, total, len), bytes);
        assert_eq!(
            c.bytes(ss, total, total * u64::from(ss)),
            s.sectors() * u64::from(ss)
        );
    }

    #[test]
    fn typical_devices() {
        check(4 << 21, 512, 100, 1); // 4 GiB
        check(1 << 31, 512, 100, 7); // 1 TiB
        check(2000, 512, 100, 3);
        check(3, 4096, 1000, 3);
        check(1, 512, 1, 3);
    }

    /// An absurd device (a report edited by hand) is counted at once, without overflow.
    #[test]
    fn counts_of_an_absurd_device_come_at_once() {
        let c = counts(u64::MAX, 1, 1000);
        assert_eq!(c.subsections, 1000);
        assert!(c.blocks > 1 << 40 && c.sectors >= c.blocks);
        assert!(c.permille(u64::MAX) <= 1000);
    }

    #[test]
    fn seeds_move_blocks() {
        let a = plan_sample(1 << 22, 512, 100, 1);
        let b = plan_sample(1 << 22, 512, 100, 2);
        assert_ne!(a, b);
        assert_eq!(a.subsections, 1000);
    }

    proptest! {
        #[test]
        fn sampler_invariants(bits in 0u32..=42, r in any::<u64>(),
                              ss in prop::sample::select(vec![512u32, 4096]),
                              permille in 1u32..=1000, seed in any::<u64>()) {
            // Log-uniform sizes, from one sector to 2^42 sectors.
            let total = 1 + r % (1u64 << bits);
            // Bound the block count (and test time) for huge, densely sampled devices.
            let max_block = MAX_BLOCK_BYTES / u64::from(ss);
            let cap = (200_000 * max_block * 1000 / total).clamp(1, 1000) as u32;
            check(total, ss, permille.min(cap), seed);
        }
    }
}
