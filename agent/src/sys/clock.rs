//! The clocks: the wall clock, as reports and certificates write it, and the monotonic clock
//! that measures durations.

/// Current UTC time as RFC 3339 with milliseconds ("2026-11-26T10:00:00.123Z").
///
/// Infallible by construction (each component printed with a fixed width), so that a wipe record
/// and a certificate written in the same second can never disagree on how a time failed to print.
/// A clock set before 1970 prints the epoch.
pub fn now_rfc3339() -> String {
    format_rfc3339(time::OffsetDateTime::now_utc())
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

/// Time elapsed since it was started, on the monotonic clock (never moved by a clock change).
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(std::time::Instant);

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch(std::time::Instant::now())
    }

    pub fn elapsed(&self) -> std::time::Duration {
        self.0.elapsed()
    }
}

/// Waits `d` (a retry's back-off, a poll's interval).
pub fn sleep(d: std::time::Duration) {
    std::thread::sleep(d);
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
}
