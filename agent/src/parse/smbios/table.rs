//! The SMBIOS structure table (DSP0134 3.7 §6.1): 4-byte headers, formatted areas, string sets.

use nom::Parser;
use nom::number::complete::{le_u8, le_u16};
use serde::Serialize;

use super::fields::Ctx;
use super::types::{
    Battery, Bios, Board, Chassis, MemoryArray, MemoryDevice, Processor, System, Tpm,
};
use super::{SmbiosError, Version};

/// A structure of a type this module does not decode: its bytes and strings as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawStructure {
    /// The formatted area, header included, as lowercase hex.
    #[serde(serialize_with = "super::fields::hex_bytes")]
    pub formatted: Vec<u8>,
    pub strings: Vec<String>,
}

/// The decoded content of one structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "fields", rename_all = "snake_case")]
pub enum StructureData {
    Bios(Bios),
    System(System),
    Board(Board),
    Chassis(Chassis),
    Processor(Processor),
    MemoryArray(MemoryArray),
    MemoryDevice(Box<MemoryDevice>),
    Battery(Battery),
    Tpm(Tpm),
    /// Type 127: end of table.
    EndOfTable,
    /// Any other type, kept raw.
    Raw(RawStructure),
}

/// One structure of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Structure {
    #[serde(rename = "type")]
    pub stype: u8,
    pub handle: u16,
    /// Length of the formatted area (header included).
    pub length: u8,
    /// Offset of the structure from the start of the table.
    pub offset: usize,
    pub data: StructureData,
}

/// The decoded table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub structures: Vec<Structure>,
    /// Bytes occupied by the structures read (type 127 included).
    pub used_len: usize,
    /// Bytes of the table after the last structure read (after type 127, or fewer than a
    /// header); 0 in a well-formed table.
    pub trailing_len: usize,
    /// Structures announced by a 2.x entry point, when it differs from the number read: dmidecode
    /// warns ("Wrong DMI structures count") and so does `reprise decode`.
    pub announced_count: Option<u16>,
}

/// The 4-byte header (§6.1.2): type, length, handle.
pub fn header(input: &[u8]) -> nom::IResult<&[u8], (u8, u8, u16)> {
    (le_u8, le_u8, le_u16).parse(input)
}

/// Where the string set ends: the offset just past its double NUL, searched from the end of
/// the formatted area (as dmidecode does, so a structure without strings ends with `00 00`).
/// `None` if the table ends first.
pub fn string_set_end(table: &[u8], formatted_end: usize) -> Option<usize> {
    let mut pos = formatted_end;
    while pos + 1 < table.len() {
        if table[pos] == 0 && table[pos + 1] == 0 {
            return Some(pos + 2);
        }
        pos += 1;
    }
    None
}

/// Splits a string set (without its final double NUL) into strings. An empty string ends the
/// set: string lookup walks NUL-terminated strings and stops at an empty one (§6.1.3).
pub fn split_strings(area: &[u8]) -> Vec<&[u8]> {
    area.split(|b| *b == 0)
        .take_while(|s| !s.is_empty())
        .collect()
}

/// Walks the table: structure after structure until type 127, the announced count (2.x), or
/// fewer than 4 bytes left. A header shorter than 4 or a structure cut by the end of the table
/// is an error naming the structure and its offset.
pub fn parse_table(
    table: &[u8],
    version: Version,
    announced_count: Option<u16>,
) -> Result<Table, SmbiosError> {
    let mut structures = Vec::new();
    let mut offset = 0usize;
    loop {
        if let Some(n) = announced_count
            && structures.len() >= usize::from(n)
        {
            break;
        }
        let rest = &table[offset..];
        if rest.len() < 4 {
            // dmidecode stops silently here too; a 2.x count not reached is reported below.
            break;
        }
        let (_, (stype, length, handle)) =
            header(rest).map_err(|_| SmbiosError::HeaderTruncated {
                index: structures.len(),
                offset,
                available: rest.len(),
            })?;
        if length < 4 {
            return Err(SmbiosError::LengthBelowHeader {
                stype,
                handle,
                offset,
                length,
            });
        }
        let formatted_end = offset + usize::from(length);
        if formatted_end > table.len() {
            return Err(SmbiosError::StructureTruncated {
                stype,
                handle,
                offset,
                what: "the formatted area",
                table_len: table.len(),
            });
        }
        let end = string_set_end(table, formatted_end).ok_or(SmbiosError::StructureTruncated {
            stype,
            handle,
            offset,
            what: "the string set (no double NUL before the end)",
            table_len: table.len(),
        })?;
        let area_end = end - 2;
        let strings = if area_end > formatted_end {
            split_strings(&table[formatted_end..area_end])
        } else {
            Vec::new()
        };
        let ctx = Ctx {
            data: &table[offset..formatted_end],
            strings: &strings,
            version,
        };
        let data = decode_structure(stype, handle, offset, ctx)?;
        structures.push(Structure {
            stype,
            handle,
            length,
            offset,
            data,
        });
        offset = end;
        if stype == 127 {
            break;
        }
    }
    let announced_count = announced_count.filter(|&n| usize::from(n) != structures.len());
    Ok(Table {
        structures,
        used_len: offset,
        trailing_len: table.len() - offset,
        announced_count,
    })
}

/// Minimum formatted length of each decoded type: the shortest it has in any SMBIOS version
/// (the 2.0 layouts); a shorter structure cannot be read at all.
fn minimum_length(stype: u8) -> Option<u8> {
    Some(match stype {
        0 => 0x12,
        1 | 2 => 0x08,
        3 => 0x09,
        4 => 0x1A,
        16 => 0x0F,
        17 => 0x15,
        22 => 0x10,
        43 => 0x1B,
        _ => return None,
    })
}

/// Dispatches on the type.
fn decode_structure(
    stype: u8,
    handle: u16,
    offset: usize,
    ctx: Ctx<'_>,
) -> Result<StructureData, SmbiosError> {
    if let Some(minimum) = minimum_length(stype)
        && ctx.len() < usize::from(minimum)
    {
        return Err(SmbiosError::StructureTooShort {
            stype,
            handle,
            offset,
            length: ctx.len() as u8,
            minimum,
        });
    }
    Ok(match stype {
        0 => StructureData::Bios(Bios::decode(&ctx)),
        1 => StructureData::System(System::decode(&ctx)),
        2 => StructureData::Board(Board::decode(&ctx)),
        3 => StructureData::Chassis(Chassis::decode(&ctx)),
        4 => StructureData::Processor(Processor::decode(&ctx)),
        16 => StructureData::MemoryArray(MemoryArray::decode(&ctx)),
        17 => StructureData::MemoryDevice(Box::new(MemoryDevice::decode(&ctx))),
        22 => StructureData::Battery(Battery::decode(&ctx)),
        43 => StructureData::Tpm(Tpm::decode(&ctx)),
        127 => StructureData::EndOfTable,
        _ => StructureData::Raw(RawStructure {
            formatted: ctx.data.to_vec(),
            strings: ctx
                .strings
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::smbios::fields::{SmbiosString, string_at};

    const V: Version = Version {
        major: 3,
        minor: 2,
        docrev: 0,
    };

    #[test]
    fn string_set_end_finds_double_nul() {
        assert_eq!(string_set_end(b"\x01\x04\x00\x00\x00\x00", 4), Some(6));
        assert_eq!(string_set_end(b"\x01\x04\x00\x00ab\0c\0\0", 4), Some(10));
        assert_eq!(string_set_end(b"\x01\x04\x00\x00ab\0c\0", 4), None);
    }

    #[test]
    fn an_empty_string_ends_the_set() {
        assert_eq!(split_strings(b"ab\0\0cd"), vec![&b"ab"[..]]);
        assert_eq!(split_strings(b""), Vec::<&[u8]>::new());
    }

    #[test]
    fn string_indexes() {
        let set: Vec<&[u8]> = vec![b"one", b"two"];
        assert_eq!(string_at(&set, 0), SmbiosString::None);
        assert_eq!(string_at(&set, 2), SmbiosString::Text("two".into()));
        assert_eq!(string_at(&set, 3), SmbiosString::BadIndex(3));
    }

    #[test]
    fn table_walk_raw_and_end() {
        let t = b"\x80\x05\x01\x00\xaaOEM\0\0\x7f\x04\xff\xfe\0\0junk";
        let table = parse_table(t, V, None).unwrap();
        assert_eq!(table.structures.len(), 2);
        assert_eq!(table.used_len, 16);
        assert_eq!(table.trailing_len, 4);
        match &table.structures[0].data {
            StructureData::Raw(r) => {
                assert_eq!(r.formatted, vec![0x80, 5, 1, 0, 0xaa]);
                assert_eq!(r.strings, vec!["OEM".to_string()]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_tables_name_the_offset() {
        let e = parse_table(b"\x80\x05\x01\x00\xaa\0\0\x10\x02\x05\x00", V, None).unwrap_err();
        assert!(e.to_string().contains("offset 0x7"), "{e}");
        let e = parse_table(b"\x80\x05\x01\x00\xaaAB", V, None).unwrap_err();
        assert!(e.to_string().contains("string set"), "{e}");
        let e = parse_table(b"\x11\x06\x01\x00\xaa\0\0\0", V, None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("SMBIOS type 17 structure (handle 0x0001) at table offset 0x0: length 0x6 shorter than 0x15"),
            "{e}"
        );
    }

    #[test]
    fn announced_count_mismatch_is_kept() {
        let t = b"\x80\x04\x01\x00\0\0";
        assert_eq!(parse_table(t, V, Some(3)).unwrap().announced_count, Some(3));
        assert_eq!(parse_table(t, V, Some(1)).unwrap().announced_count, None);
    }
}
