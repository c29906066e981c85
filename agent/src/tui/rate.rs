//! The install gauge's rate and time left, from (time, bytes) samples — pure. The figure is the
//! bytes of the last [`WINDOW`] over its length, not the gap between two samples: samples come
//! in bursts (one per multi-MiB buffer, timed by the screen's 250 ms ticks), and a download
//! stalls and resumes, so a rate between neighbours would jump from zero to gigabytes.

use std::collections::VecDeque;
use std::time::Duration;

/// How far back the rate looks.
pub const WINDOW: Duration = Duration::from_secs(8);
/// Less than this between the oldest and newest sample says no rate yet.
pub const MIN_SPAN: Duration = Duration::from_secs(1);

/// The samples of one phase (a new phase starts the meter again).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateMeter {
    samples: VecDeque<(Duration, u64)>,
}

impl RateMeter {
    /// Records `bytes` done at `at`. Bytes going back (a new phase) start the meter again;
    /// samples of the same instant (or, late, of an earlier one) count at the latest instant.
    pub fn push(&mut self, at: Duration, bytes: u64) {
        if self.samples.back().is_some_and(|&(_, b)| bytes < b) {
            self.samples.clear();
        }
        let at = self.samples.back().map_or(at, |&(t, _)| at.max(t));
        match self.samples.back_mut() {
            Some(last) if last.0 == at => last.1 = bytes,
            _ => self.samples.push_back((at, bytes)),
        }
        // Keep one sample at or before the window's start, so that the window is covered whole.
        while self.samples.len() > 2 && at.saturating_sub(self.samples[1].0) >= WINDOW {
            self.samples.pop_front();
        }
    }

    /// Bytes per second over the window, once it spans [`MIN_SPAN`].
    pub fn rate_bps(&self) -> Option<u64> {
        rate_bps(self.samples.iter().copied())
    }

    /// Milliseconds left to reach `total` at the current rate.
    pub fn eta_ms(&self, total: Option<u64>) -> Option<u64> {
        let done = self.samples.back()?.1;
        eta_ms(done, total?, self.rate_bps()?)
    }
}

/// The rate between the oldest and the newest of `samples` (time, bytes), in bytes per second;
/// `None` over less than [`MIN_SPAN`].
pub fn rate_bps(samples: impl IntoIterator<Item = (Duration, u64)>) -> Option<u64> {
    let mut it = samples.into_iter();
    let first = it.next()?;
    let last = it.last()?;
    let span = last.0.checked_sub(first.0)?;
    if span < MIN_SPAN {
        return None;
    }
    let bytes = u128::from(last.1.saturating_sub(first.1));
    u64::try_from(bytes * 1000 / span.as_millis()).ok()
}

/// Milliseconds to go from `done` to `total` at `rate` bytes per second; `None` at rate 0.
pub fn eta_ms(done: u64, total: u64, rate: u64) -> Option<u64> {
    if rate == 0 {
        return None;
    }
    let left = u128::from(total.saturating_sub(done));
    u64::try_from(left * 1000 / u128::from(rate)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1_000_000;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    /// 100 MB/s written in 8 MiB bursts, each seen at the screen's next 250 ms tick, the
    /// ticks late by up to 200 ms more: once the window is full the figure stays within 7 % of
    /// 100 MB/s (a rate between neighbouring samples swings from 0 to over 300 MB/s).
    #[test]
    fn bursts_and_late_ticks_do_not_shake_the_rate() {
        let mut m = RateMeter::default();
        let burst = 8 << 20;
        let (mut done, mut last_tick) = (0u64, 0u64);
        let (mut early, mut full) = (Vec::new(), Vec::new());
        let mut neighbours = Vec::new();
        for i in 0..400u64 {
            done += burst;
            let real_ms = done * 1000 / (100 * MB);
            let jitter = (i * 37) % 200;
            let tick = ((real_ms / 250 + 1) * 250 + jitter).max(last_tick);
            if tick > last_tick {
                neighbours.push(burst * 1000 / (tick - last_tick));
            }
            last_tick = tick;
            m.push(ms(tick), done);
            if tick > WINDOW.as_millis() as u64 + 1000 {
                full.push(m.rate_bps().unwrap());
            } else if tick > 2000 {
                early.push(m.rate_bps().unwrap());
            }
        }
        assert!(!full.is_empty() && !early.is_empty());
        for r in full {
            assert!(
                (93 * MB..=107 * MB).contains(&r),
                "{} MB/s is not steady at 100",
                r / MB
            );
        }
        for r in early {
            assert!((80 * MB..=120 * MB).contains(&r), "{} MB/s", r / MB);
        }
        assert!(
            neighbours.iter().any(|&r| r > 150 * MB),
            "the bursts are bursts"
        );
    }

    #[test]
    fn no_rate_before_a_second_of_samples() {
        let mut m = RateMeter::default();
        assert_eq!(m.rate_bps(), None);
        m.push(ms(0), 0);
        m.push(ms(500), 50 * MB);
        assert_eq!(m.rate_bps(), None);
        assert_eq!(m.eta_ms(Some(1000 * MB)), None);
        m.push(ms(1000), 100 * MB);
        assert_eq!(m.rate_bps(), Some(100 * MB));
        // 900 MB left at 100 MB/s.
        assert_eq!(m.eta_ms(Some(1000 * MB)), Some(9_000));
        assert_eq!(m.eta_ms(None), None);
    }

    /// A stalled download (a dropped connection, then its resumption) lowers the rate over the
    /// window, never to zero in one sample; the meter forgets what is older than the window.
    #[test]
    fn a_stall_lowers_the_rate_gradually_and_old_samples_go() {
        let mut m = RateMeter::default();
        for s in 0..=10 {
            m.push(Duration::from_secs(s), s * 10 * MB);
        }
        assert_eq!(m.rate_bps(), Some(10 * MB));
        m.push(Duration::from_secs(12), 100 * MB);
        let r = m.rate_bps().unwrap();
        assert!(r > 5 * MB && r < 10 * MB, "{r}");
        for s in 13..=30 {
            m.push(Duration::from_secs(s), 100 * MB + (s - 12) * 20 * MB);
        }
        assert_eq!(m.rate_bps(), Some(20 * MB));
        assert!(m.samples.len() <= 10, "{}", m.samples.len());
    }

    #[test]
    fn a_new_phase_starts_again() {
        let mut m = RateMeter::default();
        m.push(ms(0), 0);
        m.push(ms(2000), 200 * MB);
        m.push(ms(2250), 8 * MB);
        assert_eq!(m.rate_bps(), None);
        m.push(ms(3250), 408 * MB);
        assert_eq!(m.rate_bps(), Some(400 * MB));
    }

    #[test]
    fn figures_never_overflow() {
        assert_eq!(eta_ms(0, u64::MAX, 0), None);
        assert_eq!(eta_ms(u64::MAX, 10, 1), Some(0));
        assert_eq!(rate_bps([(ms(0), 0), (ms(1000), u64::MAX)]), Some(u64::MAX));
        assert!(eta_ms(0, u64::MAX, 1).is_none());
    }
}
