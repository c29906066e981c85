//! The time written on a certificate, and where it comes from. School laptops that sat in a
//! cupboard boot with a flat CMOS battery, their clock in 2000–2010: a certificate dated by such
//! a clock would say the disks were sanitized before the tool existed. The laptop's clock is
//! believed only when it is not earlier than the floors — the live image's build time and the
//! station's previous certificate — and is otherwise corrected to the latest floor, which the
//! certificate says (`reprise_cert::model::TimeRecord`). Pure: the clock and the floors are
//! handed in.

use time::OffsetDateTime;

use crate::cert::model::{TimeFloor, TimeRecord, TimeSource};

/// A time no certificate may be dated before, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floor {
    pub kind: TimeFloor,
    pub at: OffsetDateTime,
}

/// The time to write and its record, from the laptop's clock `rtc` and the `floors` known.
pub fn from_rtc(rtc: OffsetDateTime, floors: &[Floor]) -> (OffsetDateTime, TimeRecord) {
    match floors.iter().max_by_key(|f| f.at) {
        Some(f) if rtc < f.at => (
            f.at,
            TimeRecord {
                source: TimeSource::Rtc,
                rtc_offset_ms: Some(millis(rtc - f.at)),
                corrected_to: Some(f.kind),
            },
        ),
        _ => (
            rtc,
            TimeRecord {
                source: TimeSource::Rtc,
                rtc_offset_ms: None,
                corrected_to: None,
            },
        ),
    }
}

/// Whole milliseconds of a duration, saturating (a clock decades off still fits an i64).
fn millis(d: time::Duration) -> i64 {
    i64::try_from(d.whole_milliseconds()).unwrap_or(if d.is_negative() {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// An RFC 3339 time as certificates write it, read back (`None` if it is not one).
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const BUILD: Floor = Floor {
        kind: TimeFloor::ImageBuild,
        at: datetime!(2026-12-01 12:00 UTC),
    };

    #[test]
    fn a_flat_cmos_clock_is_corrected_to_the_latest_floor_and_says_so() {
        let rtc = datetime!(2009-06-01 10:00:15 UTC);
        let previous = Floor {
            kind: TimeFloor::PreviousCertificate,
            at: datetime!(2026-12-05 09:30 UTC),
        };
        let (at, record) = from_rtc(rtc, &[BUILD, previous]);
        assert_eq!(at, previous.at);
        assert_eq!(record.source, TimeSource::Rtc);
        assert_eq!(record.corrected_to, Some(TimeFloor::PreviousCertificate));
        let behind = record.rtc_offset_ms.unwrap();
        assert!(behind < -500_000_000_000, "{behind}");
    }

    #[test]
    fn a_clock_after_every_floor_is_believed() {
        let rtc = datetime!(2026-12-07 08:00 UTC);
        let (at, record) = from_rtc(rtc, &[BUILD]);
        assert_eq!(at, rtc);
        assert_eq!(record.corrected_to, None);
        assert_eq!(record.rtc_offset_ms, None);
        // No floor known (outside the image, a new station): the clock as it is.
        assert_eq!(from_rtc(rtc, &[]).0, rtc);
    }

    #[test]
    fn certificate_times_read_back() {
        assert_eq!(
            parse("2026-12-05T09:30:00.000Z"),
            Some(datetime!(2026-12-05 09:30 UTC))
        );
        assert_eq!(parse("yesterday"), None);
    }
}
