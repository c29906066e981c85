//! Small helpers shared by the server and the CLI: time stamps, random tokens, hashing, HTML
//! escaping, error chains.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_stamps_are_utc_with_milliseconds_and_sort_as_text() {
        let t = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        assert_eq!(at(t), "2026-11-18T11:06:40.000Z");
        assert!(now() < in_seconds(60));
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
