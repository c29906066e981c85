//! Text that came from the laptop — SMBIOS strings, disk models and serials, partition labels,
//! anything a donor's machine tells us — made safe for a terminal and a log: every control
//! character and bidirectional override is written as a visible escape (`\u{1b}`), so that no
//! such string can move the cursor, clear the screen, ring the bell, rewrite a line with a
//! carriage return, forge a line with a line feed, or reorder what an operator or an auditor
//! reads.
//!
//! Escaping is idempotent (an escape holds no character it escapes), so text escaped by its
//! renderer can pass through a writer that escapes again. Certificates and reports keep the
//! strings exactly as read (JSON escapes what it must); only their renderings for people are
//! escaped.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw: C0 controls (line feed, carriage return, escape,
/// bell…), DEL, C1 controls (U+0080–U+009F: some terminals take U+009B for an escape
/// sequence), the bidirectional marks, embeddings, overrides and isolates, and the line and
/// paragraph separators.
pub fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `s` on one line, every hostile character (line feeds included) written as `\u{…}`.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_where(s, is_hostile)
}

/// `s` with its line feeds kept and every other hostile character escaped: for text made of
/// lines whose single-line parts were escaped where the lines were made.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && is_hostile(c))
}

fn escape_where(s: &str, hostile: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hostile(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Escapes a byte stream chunk by chunk (what a `Write` adapter receives): a character cut
/// between two chunks is held until it is whole; bytes that are not UTF-8 come out as U+FFFD.
/// Line feeds are kept ([`escape_lines`]).
#[derive(Debug, Default, Clone)]
pub struct StreamEscaper {
    pending: Vec<u8>,
}

impl StreamEscaper {
    pub fn new() -> StreamEscaper {
        StreamEscaper::default()
    }

    /// The escaped text of `chunk`, after what was held from the previous one.
    pub fn feed(&mut self, chunk: &[u8]) -> String {
        self.pending.extend_from_slice(chunk);
        let mut text = String::new();
        let mut rest: &[u8] = &self.pending;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    text.push_str(s);
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // `valid_up_to` bytes are UTF-8 by definition: the default is never used.
                    text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        // Invalid bytes: replaced, and reading goes on after them.
                        Some(n) => {
                            text.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[n..];
                        }
                        // A character cut at the end of the chunk: held for the next one.
                        None => {
                            rest = after;
                            break;
                        }
                    }
                }
            }
        }
        self.pending = rest.to_vec();
        escape_lines(&text).into_owned()
    }

    /// What is still held at the end of the stream (a cut character), as U+FFFD.
    pub fn finish(&mut self) -> String {
        if self.pending.is_empty() {
            String::new()
        } else {
            self.pending.clear();
            char::REPLACEMENT_CHARACTER.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a hostile SMBIOS product name tries: clear the screen, ring, go back to the start
    /// of the line, forge a new line, reverse what follows, and an 8-bit CSI.
    const HOSTILE: &str =
        "T480\u{1b}[2J\u{7}\rSANITIZED\nFAKE LINE\u{202e}dab\u{9b}31m\u{2066}x\u{7f}\t";

    #[test]
    fn every_control_and_bidi_override_becomes_a_visible_escape() {
        let e = escape(HOSTILE);
        assert_eq!(
            e,
            "T480\\u{1b}[2J\\u{7}\\u{d}SANITIZED\\u{a}FAKE LINE\\u{202e}dab\\u{9b}31m\\u{2066}x\\u{7f}\\u{9}"
        );
        assert!(!e.chars().any(is_hostile));
        // Line feeds kept, everything else escaped.
        let l = escape_lines(HOSTILE);
        assert_eq!(l.matches('\n').count(), 1);
        assert!(!l.chars().any(|c| c != '\n' && is_hostile(c)));
    }

    #[test]
    fn plain_text_is_untouched_and_borrowed() {
        for s in [
            "ThinkPad T480 — 20L5CTO1WW",
            "Lycée Jean-Moulin",
            "é中😀",
            "",
        ] {
            assert!(matches!(escape(s), Cow::Borrowed(t) if t == s));
        }
    }

    #[test]
    fn escaping_is_idempotent() {
        let once = escape(HOSTILE).into_owned();
        assert_eq!(escape(&once), once);
        let once = escape_lines(HOSTILE).into_owned();
        assert_eq!(escape_lines(&once), once);
    }

    #[test]
    fn a_stream_cut_anywhere_escapes_as_the_whole() {
        let bytes = HOSTILE.as_bytes();
        let whole = escape_lines(HOSTILE).into_owned();
        for cut in 0..=bytes.len() {
            let mut s = StreamEscaper::new();
            let mut out = s.feed(&bytes[..cut]);
            out.push_str(&s.feed(&bytes[cut..]));
            out.push_str(&s.finish());
            assert_eq!(out, whole, "cut at {cut}");
        }
        // One byte at a time, too.
        let mut s = StreamEscaper::new();
        let out: String = bytes.iter().map(|b| s.feed(&[*b])).collect();
        assert_eq!(out, whole);
    }

    #[test]
    fn bytes_that_are_not_utf8_cannot_smuggle_a_c1_control() {
        // 0x9b alone is CSI to an 8-bit terminal.
        let mut s = StreamEscaper::new();
        let out = s.feed(b"a\x9b31mb\xe2\x80");
        assert_eq!(out, "a\u{fffd}31mb");
        assert_eq!(s.finish(), "\u{fffd}");
    }
}
