//! SMBIOS entry points (DSP0134 3.7 §5.2): the 31-byte `_SM_` (2.x) and the 24-byte `_SM3_` (3.x).

use nom::Parser;
use nom::bytes::complete::{tag, take};
use nom::number::complete::{le_u8, le_u16, le_u32, le_u64};
use serde::Serialize;

use super::{SmbiosError, Version};

/// Which entry point the firmware gave, with the fields only that kind has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryPointKind {
    /// `_SM_` 32-bit entry point (§5.2.1).
    Smbios2 {
        /// Size of the largest structure, in bytes.
        max_structure_size: u16,
        entry_point_revision: u8,
        /// Number of structures in the table.
        structure_count: u16,
        /// BCD revision (e.g. 0x28 for 2.8); 0 means "see major/minor".
        bcd_revision: u8,
    },
    /// `_SM3_` 64-bit entry point (§5.2.2).
    Smbios3 { entry_point_revision: u8 },
}

/// A decoded entry point, checksums verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryPoint {
    #[serde(flatten)]
    pub kind: EntryPointKind,
    /// The version the entry point states.
    pub version: Version,
    /// Length of the entry point structure itself.
    pub length: u8,
    /// Physical address of the table (0x20 in a `--dump-bin` file).
    pub table_address: u64,
    /// 2.x: exact table length; 3.x: maximum table size (the table may be shorter).
    pub table_max_len: u32,
}

impl EntryPoint {
    /// Number of structures announced (2.x only; 3.x tables end at type 127 or at the length).
    pub fn structure_count(&self) -> Option<u16> {
        match self.kind {
            EntryPointKind::Smbios2 {
                structure_count, ..
            } => Some(structure_count),
            EntryPointKind::Smbios3 { .. } => None,
        }
    }

    /// The version used for version-dependent decoding. A few 2.x BIOSes wrote the version in
    /// decimal-looking hex (2.31 as 0x1F, 2.33 as 0x21, 2.51 as 0x33); like dmidecode, these are
    /// read as 2.3, 2.3 and 2.6 — otherwise the UUID byte order (≥ 2.6) would come out wrong.
    pub fn effective_version(&self) -> Version {
        let v = self.version;
        if let EntryPointKind::Smbios2 { .. } = self.kind {
            let fixed = match (v.major, v.minor) {
                (2, 0x1F) | (2, 0x21) => Some(3),
                (2, 0x33) => Some(6),
                _ => None,
            };
            if let Some(minor) = fixed {
                return Version { minor, ..v };
            }
        }
        v
    }
}

/// Sum of bytes modulo 256 (§5.2: a valid entry point sums to 0).
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b))
}

/// Decodes an entry point at the start of `bytes` (extra bytes after it are ignored).
pub fn parse_entry_point(bytes: &[u8]) -> Result<EntryPoint, SmbiosError> {
    if bytes.starts_with(b"_SM3_") {
        parse_smbios3(bytes)
    } else if bytes.starts_with(b"_SM_") {
        parse_smbios2(bytes)
    } else if bytes.len() < 5 {
        Err(SmbiosError::EntryPointTooShort(bytes.len()))
    } else {
        Err(SmbiosError::NoAnchor(format!("{:02x?}", &bytes[..5])))
    }
}

/// Checks the length byte against the buffer and the minimum, then the checksum over it.
fn check_length_and_sum(
    bytes: &[u8],
    anchor: &'static str,
    length_offset: usize,
    minimum: usize,
) -> Result<usize, SmbiosError> {
    let length = *bytes
        .get(length_offset)
        .ok_or(SmbiosError::EntryPointTooShort(bytes.len()))? as usize;
    let problem = if length < minimum {
        Some("shorter than the structure")
    } else if length > bytes.len() {
        Some("more than the input holds")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(SmbiosError::EntryPointLength {
            anchor,
            offset: length_offset,
            length,
            problem,
        });
    }
    let sum = checksum(&bytes[..length]);
    if sum != 0 {
        return Err(SmbiosError::EntryPointChecksum {
            anchor,
            start: 0,
            end: length,
            sum,
        });
    }
    Ok(length)
}

/// `_SM3_` (§5.2.2, table 2).
fn parse_smbios3(bytes: &[u8]) -> Result<EntryPoint, SmbiosError> {
    // The length byte must cover at least the 24 bytes of the structure (§5.2.2), as dmidecode
    // requires; the checksum runs over that many bytes.
    let length = check_length_and_sum(bytes, "_SM3_", 0x06, 0x18)?;
    let mut fields = (
        tag(&b"_SM3_"[..]),
        le_u8, // checksum
        le_u8, // length
        le_u8, // major
        le_u8, // minor
        le_u8, // docrev
        le_u8, // entry point revision
        le_u8, // reserved
        le_u32,
        le_u64,
    );
    let (_, (_, _, _, major, minor, docrev, rev, _, max, addr)) =
        fields
            .parse(bytes)
            .map_err(|_: nom::Err<nom::error::Error<&[u8]>>| {
                SmbiosError::EntryPointTooShort(bytes.len())
            })?;
    Ok(EntryPoint {
        kind: EntryPointKind::Smbios3 {
            entry_point_revision: rev,
        },
        version: Version {
            major,
            minor,
            docrev,
        },
        length: length as u8,
        table_address: addr,
        table_max_len: max,
    })
}

/// `_SM_` (§5.2.1, table 1), with the `_DMI_` intermediate anchor and its own checksum.
fn parse_smbios2(bytes: &[u8]) -> Result<EntryPoint, SmbiosError> {
    // 0x1E is accepted too: SMBIOS 2.1 wrongly stated 0x1E and firmware of that time followed it.
    let length = check_length_and_sum(bytes, "_SM_", 0x05, 0x1E)?;
    let mut fields = (
        tag(&b"_SM_"[..]),
        le_u8, // checksum
        le_u8, // length
        le_u8, // major
        le_u8, // minor
        le_u16,
        le_u8,
        take(5usize), // formatted area
    );
    let too_short =
        |_: nom::Err<nom::error::Error<&[u8]>>| SmbiosError::EntryPointTooShort(bytes.len());
    let (rest, (_, _, _, major, minor, max_size, rev, _)) =
        fields.parse(bytes).map_err(too_short)?;
    if !rest.starts_with(b"_DMI_") {
        return Err(SmbiosError::NoIntermediateAnchor);
    }
    // The intermediate structure is 15 bytes from 0x10 (to 0x1F); a 0x1E-long entry point
    // still carries it whole in every dump seen, so the whole 15 bytes are required.
    let intermediate = bytes.get(0x10..0x1F).ok_or(SmbiosError::EntryPointLength {
        anchor: "_SM_",
        offset: 0x05,
        length,
        problem: "too short to hold the _DMI_ intermediate structure",
    })?;
    let sum = checksum(intermediate);
    if sum != 0 {
        return Err(SmbiosError::EntryPointChecksum {
            anchor: "_SM_",
            start: 0x10,
            end: 0x1F,
            sum,
        });
    }
    let mut dmi = (
        tag(&b"_DMI_"[..]),
        le_u8, // intermediate checksum
        le_u16,
        le_u32,
        le_u16,
        le_u8,
    );
    let (_, (_, _, table_len, addr, count, bcd)) = dmi.parse(intermediate).map_err(too_short)?;
    Ok(EntryPoint {
        kind: EntryPointKind::Smbios2 {
            max_structure_size: max_size,
            entry_point_revision: rev,
            structure_count: count,
            bcd_revision: bcd,
        },
        version: Version {
            major,
            minor,
            docrev: 0,
        },
        length: length as u8,
        table_address: u64::from(addr),
        table_max_len: u32::from(table_len),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sm3(major: u8, minor: u8, max: u32, addr: u64) -> Vec<u8> {
        let mut b = b"_SM3_".to_vec();
        b.extend([0, 0x18, major, minor, 0, 1, 0]);
        b.extend(max.to_le_bytes());
        b.extend(addr.to_le_bytes());
        b[5] = 0u8.wrapping_sub(checksum(&b));
        b
    }

    fn sm2(major: u8, minor: u8, len: u16, addr: u32, count: u16) -> Vec<u8> {
        let mut b = b"_SM_".to_vec();
        b.extend([0, 0x1F, major, minor, 0x40, 0, 0, 0, 0, 0, 0, 0]);
        b.extend(b"_DMI_");
        b.push(0);
        b.extend(len.to_le_bytes());
        b.extend(addr.to_le_bytes());
        b.extend(count.to_le_bytes());
        b.push(0x27);
        b[0x15] = 0u8.wrapping_sub(checksum(&b[0x10..0x1F]));
        b[4] = 0u8.wrapping_sub(checksum(&b));
        b
    }

    #[test]
    fn smbios3_fields() {
        let ep = parse_entry_point(&sm3(3, 2, 0x1234, 0x20)).unwrap();
        assert_eq!(ep.version.to_string(), "3.2");
        assert_eq!(ep.table_max_len, 0x1234);
        assert_eq!(ep.table_address, 0x20);
        assert_eq!(ep.structure_count(), None);
    }

    #[test]
    fn smbios2_fields_and_both_checksums() {
        let b = sm2(2, 7, 0x0ab0, 0x20, 69);
        let ep = parse_entry_point(&b).unwrap();
        assert_eq!(ep.version.to_string(), "2.7");
        assert_eq!(ep.structure_count(), Some(69));
        assert_eq!(ep.table_max_len, 0x0ab0);
        let mut bad = b.clone();
        // Break the intermediate sum only: the outer checksum is fixed up again.
        bad[0x16] = bad[0x16].wrapping_add(1);
        bad[4] = bad[4].wrapping_sub(1);
        assert!(matches!(
            parse_entry_point(&bad),
            Err(SmbiosError::EntryPointChecksum { start: 0x10, .. })
        ));
        let mut bad = b;
        bad[0x1C] ^= 1;
        assert!(matches!(
            parse_entry_point(&bad),
            Err(SmbiosError::EntryPointChecksum { start: 0, .. })
        ));
    }

    #[test]
    fn version_fixups_like_dmidecode() {
        let ep = parse_entry_point(&sm2(2, 0x33, 0, 0x20, 0)).unwrap();
        assert_eq!(ep.effective_version().to_string(), "2.6");
        assert_eq!(ep.version.minor, 0x33);
    }

    #[test]
    fn truncated_and_garbage() {
        let b = sm3(3, 0, 0, 0x20);
        for n in 0..b.len() {
            assert!(parse_entry_point(&b[..n]).is_err(), "{n}");
        }
        assert!(matches!(
            parse_entry_point(b"hello world"),
            Err(SmbiosError::NoAnchor(_))
        ));
    }
}
