//! The fields of a structure as its type decoders read them: little-endian numbers from the
//! formatted area, strings by index from the string set ([`SmbiosString`]), bytes as hex.

use serde::{Serialize, Serializer};

use super::Version;

/// A string field: index 0 means "no string" (§6.1.3); an index past the structure's string
/// set is a firmware bug that dmidecode shows as `<BAD INDEX>`; both are kept as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmbiosString {
    /// Index 0: the firmware gives no string ("Not Specified").
    None,
    /// The index points past the string set.
    BadIndex(u8),
    /// The string, decoded as UTF-8 (invalid sequences replaced), unfiltered and untrimmed.
    Text(String),
}

impl SmbiosString {
    /// The text if there is one.
    pub fn text(&self) -> Option<&str> {
        match self {
            SmbiosString::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl std::fmt::Display for SmbiosString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmbiosString::None => f.write_str("Not Specified"),
            SmbiosString::BadIndex(i) => write!(f, "<BAD INDEX {i}>"),
            SmbiosString::Text(s) => f.write_str(s),
        }
    }
}

/// JSON: `null`, the text, or `{"bad_index": N}`.
impl Serialize for SmbiosString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SmbiosString::None => s.serialize_none(),
            SmbiosString::Text(t) => s.serialize_str(t),
            SmbiosString::BadIndex(i) => {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("bad_index", i)?;
                m.end()
            }
        }
    }
}

/// What a type decoder sees: the formatted area, the strings, and where it sits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub data: &'a [u8],
    pub strings: &'a [&'a [u8]],
    pub version: Version,
}

impl Ctx<'_> {
    /// Length of the formatted area.
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn u8(&self, off: usize) -> Option<u8> {
        self.data.get(off).copied()
    }
    pub fn u16(&self, off: usize) -> Option<u16> {
        let b = self.data.get(off..off + 2)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }
    pub fn u32(&self, off: usize) -> Option<u32> {
        let b = self.data.get(off..off + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&self, off: usize) -> Option<u64> {
        let b = self.data.get(off..off + 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }
    /// The string whose index is at `off`, if the formatted area reaches `off`.
    pub fn string(&self, off: usize) -> Option<SmbiosString> {
        self.u8(off).map(|i| string_at(self.strings, i))
    }
}

/// Resolves a string index against a string set.
pub fn string_at(strings: &[&[u8]], index: u8) -> SmbiosString {
    match index {
        0 => SmbiosString::None,
        i => match strings.get(usize::from(i) - 1) {
            Some(s) => SmbiosString::Text(String::from_utf8_lossy(s).into_owned()),
            None => SmbiosString::BadIndex(i),
        },
    }
}

/// Serializes bytes as lowercase hex.
pub fn hex_bytes<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(bytes))
}
