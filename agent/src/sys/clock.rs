//! The clocks, read here and nowhere else: the wall clock (what reports and certificates write;
//! it keeps counting while the machine sleeps), the monotonic clock (durations, rates, progress;
//! it never jumps when the wall clock is set) and sleeping. A test replaces time by handing a
//! [`Pace`] of its own where a loop waits.

use std::time::{Duration, Instant};

/// The wall clock now, in UTC.
pub fn now_utc() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Current UTC time as RFC 3339 with milliseconds ("2026-11-26T10:00:00.123Z").
///
/// Infallible by construction (each component printed with a fixed width), so that a wipe record
/// and a certificate written in the same second can never disagree on how a time failed to print.
/// A clock set before 1970 prints the epoch.
pub fn now_rfc3339() -> String {
    format_rfc3339(now_utc())
}

/// `t` as RFC 3339 UTC with milliseconds.
pub fn format_rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let t = if t.year() < 1970 {
        time::OffsetDateTime::UNIX_EPOCH
    } else {
        t
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// The monotonic clock now: for code that books time slots or compares instants (progress
/// throttling, pacing); a plain duration is a [`Stopwatch`].
pub fn monotonic_now() -> Instant {
    Instant::now()
}

/// Time since it was started, on the monotonic clock.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch(monotonic_now())
    }

    /// When it was started.
    pub fn started(&self) -> Instant {
        self.0
    }

    pub fn elapsed(&self) -> Duration {
        monotonic_now().saturating_duration_since(self.0)
    }

    /// Elapsed milliseconds, as reports record durations (integers only).
    pub fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// Blocks the calling thread for `d`.
pub fn sleep(d: Duration) {
    std::thread::sleep(d);
}

/// Time as a waiting loop sees it (a drive's erase, a self-test): real on a machine
/// ([`RealPace`]), virtual in tests (an hour-long sanitize, timeouts included, in no time).
pub trait Pace: Send {
    /// Time since the start.
    fn elapsed(&self) -> Duration;
    fn sleep(&mut self, d: Duration);
}

/// The real clock: monotonic time since it was made, and real sleeps.
#[derive(Debug)]
pub struct RealPace(Stopwatch);

impl RealPace {
    pub fn new() -> RealPace {
        RealPace(Stopwatch::start())
    }
}

impl Default for RealPace {
    fn default() -> Self {
        RealPace::new()
    }
}

impl Pace for RealPace {
    fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
    fn sleep(&mut self, d: Duration) {
        sleep(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_utc() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.067 +01:00);
        assert_eq!(format_rfc3339(t), "2026-01-02T02:04:05.067Z");
        let old = time::macros::datetime!(1960-01-01 00:00 UTC);
        assert_eq!(format_rfc3339(old), "1970-01-01T00:00:00.000Z");
        let now = now_rfc3339();
        assert_eq!(now.len(), 24, "{now}");
    }

    #[test]
    fn stopwatch_and_pace_move_forward() {
        let w = Stopwatch::start();
        let mut p = RealPace::new();
        p.sleep(Duration::from_millis(2));
        assert!(p.elapsed() >= Duration::from_millis(2));
        assert!(w.elapsed() >= Duration::from_millis(2));
        assert!(w.elapsed_ms() >= 2);
        assert!(w.started() <= monotonic_now());
    }
}
