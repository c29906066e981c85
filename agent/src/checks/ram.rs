//! The RAM check: pattern tests over most of the free memory, run while the disks are wiped.
//!
//! Memory is taken in chunks while the kernel says it has more to give (`MemAvailable` above a
//! reserve kept for the wipe and the system), so the test never pushes the machine into the
//! out-of-memory killer. Each pattern is written over every chunk, then read back: walking ones
//! (word at address `a` holds `1 << (a/8 % 64)`, so every data line carries a single one in
//! turn), walking zeros (its complement), and address-in-address (every word holds its own
//! address, which catches address lines that alias two places). A word that reads back wrong is
//! an error, named by its address — physical when the kernel tells it — and by its module when
//! SMBIOS maps that address to one.

use std::sync::atomic::{AtomicBool, Ordering};

use reprise_cert::model::{MemoryCheck, MemoryErrorRecord, RamEnd};

use crate::sys::clock::Stopwatch;

/// What each word holds during a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    WalkingOnes,
    WalkingZeros,
    AddressInAddress,
}

impl Pattern {
    /// Every pattern, in the order run.
    pub const ALL: [Pattern; 3] = [
        Pattern::WalkingOnes,
        Pattern::WalkingZeros,
        Pattern::AddressInAddress,
    ];

    /// The name recorded in the certificate.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::WalkingOnes => "walking-ones",
            Pattern::WalkingZeros => "walking-zeros",
            Pattern::AddressInAddress => "address-in-address",
        }
    }

    /// The word expected at (virtual) address `addr`.
    pub fn word(self, addr: usize) -> u64 {
        let bit = 1u64 << ((addr / 8) % 64);
        match self {
            Pattern::WalkingOnes => bit,
            Pattern::WalkingZeros => !bit,
            Pattern::AddressInAddress => addr as u64,
        }
    }
}

/// Writes `pattern` over `words`.
pub fn fill(pattern: Pattern, words: &mut [u64]) {
    let base = words.as_ptr() as usize;
    for (i, w) in words.iter_mut().enumerate() {
        *w = pattern.word(base + i * 8);
    }
}

/// A word that did not read back what was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    pub pattern: Pattern,
    /// Its address in this process.
    pub addr: usize,
    pub expected: u64,
    pub found: u64,
}

/// Reads `words` back against `pattern`; calls `each` for every mismatch and returns how many.
pub fn verify(pattern: Pattern, words: &[u64], mut each: impl FnMut(Mismatch)) -> u64 {
    // The compiler must not assume it knows what the memory holds: read it for real.
    let words = std::hint::black_box(words);
    let base = words.as_ptr() as usize;
    let mut errors = 0;
    for (i, &found) in words.iter().enumerate() {
        let addr = base + i * 8;
        let expected = pattern.word(addr);
        if found != expected {
            errors += 1;
            each(Mismatch {
                pattern,
                addr,
                expected,
                found,
            });
        }
    }
    errors
}

/// How much to test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Memory left to the system and the wipe: the test takes no more once `MemAvailable`
    /// would fall below this.
    pub reserve_bytes: u64,
    /// At most this much is tested.
    pub max_bytes: u64,
    /// Memory is taken and tested in chunks of this size.
    pub chunk_bytes: usize,
    /// The first errors kept with their addresses.
    pub keep_errors: usize,
}

impl Config {
    /// Most of the free memory: a reserve of an eighth of it, at least 256 MiB.
    pub fn most_of(total: Option<u64>) -> Config {
        Config {
            reserve_bytes: (total.unwrap_or(0) / 8).max(256 << 20),
            max_bytes: u64::MAX,
            chunk_bytes: 64 << 20,
            keep_errors: 16,
        }
    }
}

/// What the test needs from the machine and tells its watcher (the operator's screen).
pub trait Host {
    /// `MemAvailable` now, in bytes.
    fn available(&mut self) -> Option<u64>;
    /// The physical address behind an address of this process, when the kernel says it.
    fn physical(&mut self, _addr: usize) -> Option<u64> {
        None
    }
    /// The memory module holding a physical address, when SMBIOS maps it.
    fn module(&mut self, _physical: u64) -> Option<String> {
        None
    }
    /// Work done so far, out of `total` bytes to write and read.
    fn progress(&mut self, _done: u64, _total: u64, _errors: u64) {}
    /// Called between writing a pattern and reading it back (tests plant faults here).
    fn after_fill(&mut self, _pattern: Pattern, _chunk: &mut [u64]) {}
}

/// Takes most of the free memory, runs every pattern over it, gives it back. Stops early (the
/// record then says `completed: false`) as soon as `stop` is set, e.g. when the wipe ends.
pub fn run(
    config: Config,
    stop: &AtomicBool,
    total: Option<u64>,
    host: &mut dyn Host,
) -> MemoryCheck {
    let start = Stopwatch::start();
    let words_per_chunk = (config.chunk_bytes / 8).max(1);
    let mut chunks: Vec<Vec<u64>> = Vec::new();
    let mut taken: u64 = 0;
    // Why no more memory was taken: what the record says when none was.
    let mut short = None;
    while taken < config.max_bytes {
        if stop.load(Ordering::Relaxed) {
            short = Some(RamEnd::WipeEnded);
            break;
        }
        let chunk = (config.chunk_bytes as u64).min(config.max_bytes - taken);
        let room = host
            .available()
            .map_or(0, |a| a.saturating_sub(config.reserve_bytes));
        if room < chunk {
            short = Some(RamEnd::NoMemoryFree);
            break;
        }
        let words = usize::try_from(chunk / 8).unwrap_or(words_per_chunk);
        let mut v: Vec<u64> = Vec::new();
        if v.try_reserve_exact(words).is_err() {
            short = Some(RamEnd::AllocationRefused);
            break;
        }
        // Touching every page commits it now, so the next MemAvailable reading counts it.
        v.resize(words, 0);
        taken += chunk;
        chunks.push(v);
    }
    let total_work = taken * 2 * Pattern::ALL.len() as u64;
    let mut done = 0u64;
    let mut errors = 0u64;
    let mut first: Vec<Mismatch> = Vec::new();
    let mut patterns = Vec::new();
    let mut completed = taken > 0;
    let mut ended_by = None;
    'patterns: for pattern in Pattern::ALL {
        if chunks.is_empty() {
            completed = false;
            ended_by = short;
            break;
        }
        if stop.load(Ordering::Relaxed) {
            completed = false;
            ended_by = Some(RamEnd::WipeEnded);
            break;
        }
        for c in &mut chunks {
            if stop.load(Ordering::Relaxed) {
                completed = false;
                ended_by = Some(RamEnd::WipeEnded);
                break 'patterns;
            }
            fill(pattern, c);
            host.after_fill(pattern, c);
            done += c.len() as u64 * 8;
            host.progress(done, total_work, errors);
        }
        for c in &chunks {
            if stop.load(Ordering::Relaxed) {
                completed = false;
                ended_by = Some(RamEnd::WipeEnded);
                break 'patterns;
            }
            errors += verify(pattern, c, |m| {
                if first.len() < config.keep_errors {
                    first.push(m);
                }
            });
            done += c.len() as u64 * 8;
            host.progress(done, total_work, errors);
        }
        patterns.push(pattern.name().to_owned());
    }
    drop(chunks);
    let first_errors: Vec<MemoryErrorRecord> = first
        .iter()
        .map(|m| MemoryErrorRecord {
            pattern: m.pattern.name().to_owned(),
            physical_address: host.physical(m.addr).map(|p| format!("{p:#x}")),
            virtual_address: format!("{:#x}", m.addr),
            expected: format!("{:#018x}", m.expected),
            found: format!("{:#018x}", m.found),
        })
        .collect();
    let module = first
        .first()
        .and_then(|m| host.physical(m.addr))
        .and_then(|p| host.module(p));
    MemoryCheck {
        patterns,
        bytes_tested: taken,
        bytes_total: total,
        duration_ms: start.elapsed_ms(),
        completed,
        errors,
        first_errors,
        module,
        ended_by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A machine with `free` bytes available, that flips one bit of the walking-ones pass.
    struct Machine {
        free: u64,
        taken: u64,
        flip: Option<usize>,
    }

    impl Host for Machine {
        fn available(&mut self) -> Option<u64> {
            let free = self.free.saturating_sub(self.taken);
            self.taken += 1 << 20;
            Some(free)
        }
        fn physical(&mut self, addr: usize) -> Option<u64> {
            Some(addr as u64 + 0x1000_0000)
        }
        fn module(&mut self, _physical: u64) -> Option<String> {
            Some("DIMM A".into())
        }
        fn after_fill(&mut self, pattern: Pattern, chunk: &mut [u64]) {
            if let (Pattern::WalkingOnes, Some(i)) = (pattern, self.flip.take()) {
                chunk[i] ^= 1 << 5;
            }
        }
    }

    fn config() -> Config {
        Config {
            reserve_bytes: 1 << 20,
            max_bytes: 4 << 20,
            chunk_bytes: 1 << 20,
            keep_errors: 4,
        }
    }

    #[test]
    fn good_memory_passes_every_pattern() {
        let mut m = Machine {
            free: 64 << 20,
            taken: 0,
            flip: None,
        };
        let r = run(config(), &AtomicBool::new(false), Some(8 << 30), &mut m);
        assert_eq!(r.bytes_tested, 4 << 20);
        assert_eq!(r.errors, 0);
        assert!(r.completed);
        assert_eq!(
            r.patterns,
            ["walking-ones", "walking-zeros", "address-in-address"]
        );
    }

    #[test]
    fn a_flipped_bit_is_found_with_its_address_and_module() {
        let mut m = Machine {
            free: 64 << 20,
            taken: 0,
            flip: Some(1000),
        };
        let r = run(config(), &AtomicBool::new(false), None, &mut m);
        assert_eq!(r.errors, 1);
        let e = &r.first_errors[0];
        assert_eq!(e.pattern, "walking-ones");
        assert!(e.physical_address.as_deref().unwrap().starts_with("0x"));
        assert_ne!(e.expected, e.found);
        assert_eq!(r.module.as_deref(), Some("DIMM A"));
    }

    #[test]
    fn the_reserve_is_never_taken() {
        let mut m = Machine {
            free: (2 << 20) + 10,
            taken: 0,
            flip: None,
        };
        let r = run(config(), &AtomicBool::new(false), None, &mut m);
        assert_eq!(r.bytes_tested, 1 << 20, "one chunk fits above the reserve");
    }

    #[test]
    fn stopping_says_not_completed() {
        let mut m = Machine {
            free: 64 << 20,
            taken: 0,
            flip: None,
        };
        let r = run(config(), &AtomicBool::new(true), None, &mut m);
        assert!(!r.completed);
        assert!(r.patterns.is_empty());
        // Stopped before its first chunk: it tested nothing, and says why.
        assert_eq!(r.bytes_tested, 0);
        assert_eq!(r.ended_by, Some(RamEnd::WipeEnded));
        assert_eq!(
            crate::checks::memory_not_run(&r),
            Some(reprise_cert::model::NotRunWhy::WipeEnded)
        );
    }

    #[test]
    fn no_memory_above_the_reserve_says_so() {
        let mut m = Machine {
            free: 1 << 20,
            taken: 0,
            flip: None,
        };
        let r = run(config(), &AtomicBool::new(false), None, &mut m);
        assert_eq!((r.bytes_tested, r.completed), (0, false));
        assert_eq!(r.ended_by, Some(RamEnd::NoMemoryFree));
        assert_eq!(
            crate::checks::memory_not_run(&r),
            Some(reprise_cert::model::NotRunWhy::NoMemoryFree)
        );
    }

    /// A complete run says nothing of an end: it was not cut short.
    #[test]
    fn a_complete_run_has_no_end_reason() {
        let mut m = Machine {
            free: 64 << 20,
            taken: 0,
            flip: None,
        };
        let r = run(config(), &AtomicBool::new(false), None, &mut m);
        assert!(r.completed);
        assert_eq!(r.ended_by, None);
        assert_eq!(crate::checks::memory_not_run(&r), None);
    }

    #[test]
    fn each_pattern_writes_what_it_checks() {
        for p in Pattern::ALL {
            let mut w = vec![0u64; 256];
            fill(p, &mut w);
            assert_eq!(verify(p, &w, |_| {}), 0);
            w[7] = !w[7];
            assert_eq!(verify(p, &w, |_| {}), 1);
        }
        assert_eq!(Pattern::WalkingOnes.word(8 * 65), 2);
        assert_eq!(Pattern::WalkingZeros.word(0), !1);
    }
}
