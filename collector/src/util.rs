//! Small helpers shared by the server and the CLI: time stamps, random tokens, hashing, HTML
//! escaping, error chains, sizes.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Now, as RFC 3339 UTC with milliseconds ("2026-11-26T10:00:00.000Z"): the form certificates
/// use, so stored time stamps sort as text.
pub fn now() -> String {
    at(OffsetDateTime::now_utc())
}

/// `t` in the same form as [`now`].
pub fn at(t: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| t.format(&Rfc3339).unwrap_or_default())
}

/// `now() + seconds`, in the same form.
pub fn in_seconds(seconds: i64) -> String {
    at(OffsetDateTime::now_utc() + time::Duration::seconds(seconds))
}

/// Checks that `s` is a time as certificates carry it: RFC 3339 in UTC, ASCII only,
/// `YYYY-MM-DDTHH:MM:SS` with an optional fraction of 1 to 9 digits, then `Z` (upper-case `T`
/// and `Z`; no offset, not even `+00:00`), a date that exists and a time of day (no leap second).
/// Every time the collector stores from a certificate passes here, so that pages, CSV and SQL
/// can slice it by byte position (`YYYY-MM-DD` is its first 10 bytes) and sort it as text.
pub fn check_utc_time(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let shape = || "not an RFC 3339 UTC time YYYY-MM-DDTHH:MM:SS[.fraction]Z".to_string();
    if !s.is_ascii() || b.len() < 20 || b.len() > 30 {
        return Err(shape());
    }
    let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b[i] != c) || b[b.len() - 1] != b'Z' {
        return Err(shape());
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let fields = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    );
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = fields
    else {
        return Err(shape());
    };
    let fraction = &b[19..b.len() - 1];
    if !fraction.is_empty()
        && (fraction[0] != b'.'
            || fraction.len() < 2
            || !fraction[1..].iter().all(u8::is_ascii_digit))
    {
        return Err(shape());
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("month {month:02} does not exist")),
    };
    if day == 0 || day > days {
        return Err(format!("day {day:02} of month {month:02} does not exist"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!(
            "{hour:02}:{minute:02}:{second:02} is not a time of day"
        ));
    }
    Ok(())
}

/// A fresh random token: 32 bytes from the OS, hex.
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// SHA-256 of `s`, hex: how tokens are stored (a leaked database gives no usable session).
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Text for HTML content and attribute values: the certificate page's own escaping.
pub use reprise_cert::render::escape as esc;

/// An error and all its causes on one line.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    reprise_cert::error_chain(err)
}

/// `sha256:<hex>` from the last part of a URL (`/c/<hex>`, `/stations/<hex>`), if it is 64 hex
/// digits.
pub fn digest_from_path(hex: &str) -> Option<String> {
    (hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| format!("sha256:{}", hex.to_ascii_lowercase()))
}

/// Bytes in a human unit (the exact count is in the list's other columns and the API).
pub fn human_size(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    #[allow(clippy::cast_precision_loss)]
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Where a spreadsheet may start a new cell inside one of our fields: a French-locale one
/// splits on `;`, others on `,` or tab, and a line break ends a row when the quoting is not
/// understood.
pub const CELL_BREAKS: [char; 5] = [';', ',', '\t', '\r', '\n'];

/// What a spreadsheet runs as a formula when a cell starts with it (OWASP, CSV injection).
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One CSV field (RFC 4180): quoted when it holds a quote, a separator (`,`, `;`, tab) or a
/// line break, quotes doubled.
///
/// Certificate text comes from the stations, and much of it from the donated machine (SMBIOS
/// strings), so no part of a field may run as a formula in whatever way a spreadsheet cuts the
/// line: every segment of the field — its start, and whatever follows a `;`, `,`, tab or line
/// break — that begins with `=`, `+`, `-`, `@`, tab or CR (after spaces or quotes) gets a
/// leading `'`. Guarding only the field's first character is not enough: a French spreadsheet
/// reads `Lycée;=HYPERLINK(…)` as two cells.
pub fn csv_field(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    let mut segment_start = true;
    for (i, c) in s.char_indices() {
        if segment_start {
            let first = s[i..].chars().find(|c| !matches!(c, ' ' | '"'));
            if first.is_some_and(|f| FORMULA_STARTS.contains(&f)) {
                out.push('\'');
            }
        }
        out.push(c);
        segment_start = CELL_BREAKS.contains(&c);
    }
    if out.contains(|c| c == '"' || CELL_BREAKS.contains(&c)) {
        format!("\"{}\"", out.replace('"', "\"\""))
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(8 << 30), "8.0 GiB");
    }

    #[test]
    fn time_stamps_are_utc_with_milliseconds_and_sort_as_text() {
        let t = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        assert_eq!(at(t), "2026-11-18T11:06:40.000Z");
        assert!(now() < in_seconds(60));
    }

    #[test]
    fn certificate_times_are_strict_rfc_3339_utc() {
        for good in [
            "2026-11-26T10:00:00.000Z",
            "2026-11-26T10:00:00Z",
            "2028-02-29T23:59:59.123456789Z",
            "2000-02-29T00:00:00.5Z",
        ] {
            assert_eq!(check_utc_time(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "2026-11-26",
            "2026-11-26T10:0é:00Z",
            "2026-11-26T10:00:00.00é",
            "２026-11-26T10:00:00Z",
            "2026-11-26T10:00:00+00:00",
            "2026-11-26T10:00:00.000+01:00",
            "2026-11-26t10:00:00Z",
            "2026-11-26T10:00:00z",
            "2026-11-26 10:00:00Z",
            "2026-11-26T10:00:00.Z",
            "2026-11-26T10:00:00.1234567890Z",
            "2026-11-26T10:00Z",
            "+2026-11-26T10:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-00T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T10:60:00Z",
            "2026-12-31T23:59:60Z",
            "2026-11-26T10:00:00.000Z\n",
            "2026-1-26T10:00:00.000Z",
        ] {
            assert!(check_utc_time(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn escapes_what_html_needs() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token().unwrap());
        assert_eq!(sha256_hex("abc").len(), 64);
    }
}
