//! The OS random source, read here and nowhere else: key material (the random pass's AES key,
//! station keys), unguessable temporary names, and the seeds of verification samples.

use std::io;

/// Fills `buf` from the OS random generator (getrandom(2)).
pub fn fill(buf: &mut [u8]) -> io::Result<()> {
    getrandom::fill(buf).map_err(|e| io::Error::other(e.to_string()))
}

/// `N` bytes from the OS random generator.
pub fn bytes<const N: usize>() -> io::Result<[u8; N]> {
    let mut b = [0u8; N];
    fill(&mut b)?;
    Ok(b)
}

/// A seed for the verification sample's locations (recorded in the report, so an auditor lists
/// the same blocks again). Never fails: a failing OS generator would be extraordinary, and the
/// wall clock's nanoseconds still give distinct sample locations, which is all a seed is for.
pub fn seed() -> u64 {
    match bytes::<8>() {
        Ok(b) => u64::from_le_bytes(b),
        Err(_) => seed_from_time(super::clock::now_utc()),
    }
}

/// The fallback seed: nanoseconds since the epoch (truncated), or a fixed value before it.
fn seed_from_time(t: time::OffsetDateTime) -> u64 {
    let nanos = t.unix_timestamp_nanos();
    if nanos < 0 { 0x5eed } else { nanos as u64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_differ() {
        assert_ne!(bytes::<16>().unwrap(), bytes::<16>().unwrap());
        assert_ne!(seed(), seed());
        let mut empty = [];
        fill(&mut empty).unwrap();
    }

    #[test]
    fn time_fallback_is_the_epoch_nanoseconds() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.000000007 UTC);
        assert_eq!(seed_from_time(t), 1_767_323_045_000_000_007);
        let old = time::macros::datetime!(1960-01-01 00:00 UTC);
        assert_eq!(seed_from_time(old), 0x5eed);
    }
}
