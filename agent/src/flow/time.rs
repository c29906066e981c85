//! The time written on a certificate, and where it comes from. School laptops that sat in a
//! cupboard boot with a flat CMOS battery, their clock in 2000–2010: a certificate dated by such
//! a clock would say the disks were sanitized before the tool existed.
//!
//! The sources, best first ([`choose`]): the workshop server's time, stated in an answer the
//! agent verified against the pinned server key (`flow::trust`); else, only when there is no
//! verified answer at all, a time server the network offered (NTP, unauthenticated); else the
//! laptop's clock. A server or NTP time is carried as the laptop clock's offset from it, so it
//! holds for the whole run (the wall clock keeps counting through a suspend). None of them is
//! believed earlier than the floors — the live image's build time and the station's previous
//! certificate: a source that states such a time is refused (and the run's log says so), and a
//! laptop clock found earlier is corrected to the latest floor, which the certificate says
//! (`reprise_cert::model::TimeRecord`). Pure: the clock, the sources and the floors are handed
//! in.

use time::OffsetDateTime;

use crate::cert::model::{TimeFloor, TimeRecord, TimeSource};

/// A time no certificate may be dated before, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floor {
    pub kind: TimeFloor,
    pub at: OffsetDateTime,
}

/// A time another source than the laptop's clock stated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stated {
    /// [`TimeSource::Server`] or [`TimeSource::Ntp`].
    pub source: TimeSource,
    /// Who stated it: the server's URL, the time server's address.
    pub by: String,
    /// The laptop's clock minus the stated time, milliseconds (negative: the laptop is behind).
    pub rtc_offset_ms: i64,
}

/// A source not believed, for the run's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub stated: Stated,
    /// The time it gave for now.
    pub at: OffsetDateTime,
    /// The floor it is earlier than.
    pub floor: Floor,
}

impl Refused {
    /// The line for the run's log.
    pub fn line(&self) -> String {
        let who = match self.stated.source {
            TimeSource::Server => "the workshop server",
            TimeSource::Ntp => "the time server",
            TimeSource::Rtc => "the laptop's clock",
        };
        let floor = match self.floor.kind {
            TimeFloor::ImageBuild => "the build of this image",
            TimeFloor::PreviousCertificate => "the station's previous certificate",
        };
        format!(
            "Time: {who} {} says {}, earlier than {floor} ({}): not used as the certificate's time.",
            self.stated.by,
            crate::sys::clock::format_rfc3339(self.at),
            crate::sys::clock::format_rfc3339(self.floor.at),
        )
    }
}

/// The time chosen, its record, and the sources refused on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub at: OffsetDateTime,
    pub record: TimeRecord,
    pub refused: Vec<Refused>,
}

impl Chosen {
    /// What the run's log says: the sources refused, then the time and where it comes from.
    pub fn lines(&self) -> Vec<String> {
        let at = crate::sys::clock::format_rfc3339(self.at);
        let source = match (self.record.source, self.record.corrected_to) {
            (TimeSource::Server, _) => "the workshop server's".to_owned(),
            (TimeSource::Ntp, _) => "the time server's (NTP)".to_owned(),
            (TimeSource::Rtc, None) => "this laptop's clock".to_owned(),
            (TimeSource::Rtc, Some(_)) => {
                "the latest date it cannot be earlier than (this laptop's clock is behind)"
                    .to_owned()
            }
        };
        self.refused
            .iter()
            .map(Refused::line)
            .chain([format!("Time of the certificate: {at}, {source}.")])
            .collect()
    }
}

/// The certificate's time at the laptop's clock `rtc`: the verified `server` answer's, else —
/// only when there is no verified server answer — `ntp`'s, else the clock's with its floors
/// ([`from_rtc`]). A source whose time is earlier than the latest floor is refused.
pub fn choose(
    rtc: OffsetDateTime,
    server: Option<&Stated>,
    ntp: Option<&Stated>,
    floors: &[Floor],
) -> Chosen {
    let floor = floors.iter().max_by_key(|f| f.at);
    // NTP is unauthenticated: anyone on the network can answer. A verified answer of the
    // workshop server, even one refused below, leaves it out.
    let stated = server.or(ntp);
    let mut refused = Vec::new();
    if let Some(s) = stated {
        let at = rtc - time::Duration::milliseconds(s.rtc_offset_ms);
        match floor {
            Some(f) if at < f.at => refused.push(Refused {
                stated: s.clone(),
                at,
                floor: *f,
            }),
            _ => {
                return Chosen {
                    at,
                    record: TimeRecord {
                        source: s.source,
                        rtc_offset_ms: Some(s.rtc_offset_ms),
                        corrected_to: None,
                    },
                    refused,
                };
            }
        }
    }
    let (at, record) = from_rtc(rtc, floors);
    Chosen {
        at,
        record,
        refused,
    }
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

    fn stated(source: TimeSource, rtc_offset_ms: i64) -> Stated {
        Stated {
            source,
            by: "http://10.0.5.1:8080".into(),
            rtc_offset_ms,
        }
    }

    /// The laptop clock in 2009, the server in December 2026: 17 years and a half behind.
    const RTC_2009: OffsetDateTime = datetime!(2009-06-01 10:00:15 UTC);
    const SERVER_NOW: OffsetDateTime = datetime!(2026-12-07 09:30:00.250 UTC);

    fn behind(now: OffsetDateTime) -> i64 {
        millis(RTC_2009 - now)
    }

    #[test]
    fn a_verified_server_answer_dates_the_certificate_with_the_clocks_offset() {
        let server = stated(TimeSource::Server, behind(SERVER_NOW));
        let ntp = stated(TimeSource::Ntp, behind(datetime!(2026-12-07 09:31 UTC)));
        let c = choose(RTC_2009, Some(&server), Some(&ntp), &[BUILD]);
        assert_eq!(c.at, SERVER_NOW);
        assert_eq!(c.record.source, TimeSource::Server);
        assert_eq!(c.record.rtc_offset_ms, Some(behind(SERVER_NOW)));
        assert_eq!(c.record.corrected_to, None);
        assert!(c.refused.is_empty());
    }

    #[test]
    fn ntp_only_without_a_verified_server_answer() {
        let at = datetime!(2026-12-07 09:31 UTC);
        let ntp = stated(TimeSource::Ntp, behind(at));
        let c = choose(RTC_2009, None, Some(&ntp), &[BUILD]);
        assert_eq!((c.at, c.record.source), (at, TimeSource::Ntp));
        // A verified answer earlier than the floors is refused, and NTP is not asked instead:
        // the clock with its floors.
        let early = stated(TimeSource::Server, behind(datetime!(2020-01-01 0:00 UTC)));
        let c = choose(RTC_2009, Some(&early), Some(&ntp), &[BUILD]);
        assert_eq!(c.record.source, TimeSource::Rtc);
        assert_eq!(c.at, BUILD.at);
        assert_eq!(c.record.corrected_to, Some(TimeFloor::ImageBuild));
    }

    #[test]
    fn a_source_earlier_than_the_floors_is_refused_and_said() {
        let previous = Floor {
            kind: TimeFloor::PreviousCertificate,
            at: datetime!(2026-12-07 11:00 UTC),
        };
        // The server's clock is an hour and a half behind the station's last certificate.
        let server = stated(TimeSource::Server, behind(SERVER_NOW));
        let c = choose(RTC_2009, Some(&server), None, &[BUILD, previous]);
        assert_eq!(c.at, previous.at);
        assert_eq!(c.record.source, TimeSource::Rtc);
        assert_eq!(c.record.corrected_to, Some(TimeFloor::PreviousCertificate));
        assert_eq!(c.refused.len(), 1);
        assert_eq!(c.refused[0].at, SERVER_NOW);
        let line = c.refused[0].line();
        assert!(
            line.contains("the workshop server http://10.0.5.1:8080 says 2026-12-07T09:30:00.250Z")
                && line.contains("earlier than the station's previous certificate"),
            "{line}"
        );
        // The same for NTP.
        let ntp = stated(TimeSource::Ntp, behind(datetime!(2001-01-01 0:00 UTC)));
        let c = choose(RTC_2009, None, Some(&ntp), &[BUILD]);
        assert_eq!((c.at, c.refused.len()), (BUILD.at, 1));
    }

    #[test]
    fn with_no_other_source_the_clock_and_its_floors() {
        let c = choose(RTC_2009, None, None, &[BUILD]);
        assert_eq!((c.at, c.record.source), (BUILD.at, TimeSource::Rtc));
        assert!(c.refused.is_empty());
        // No floor known: a source is believed as it is.
        let ntp = stated(TimeSource::Ntp, 1_000);
        let c = choose(RTC_2009, None, Some(&ntp), &[]);
        assert_eq!(c.at, RTC_2009 - time::Duration::seconds(1));
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
