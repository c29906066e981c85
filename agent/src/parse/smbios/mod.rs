//! SMBIOS (DMTF DSP0134 3.7): entry points, the structure table with its string sets, and the
//! structure types Reprise reads (0 BIOS, 1 system, 2 board, 3 chassis, 4 processor, 16/17 memory,
//! 22 battery, 43 TPM); every other type is kept raw.
//!
//! Inputs are the two forms Linux and dmidecode give: the sysfs pair
//! `/sys/firmware/dmi/tables/{smbios_entry_point,DMI}` (entry point and table apart) and a
//! `dmidecode --dump-bin` file (entry point at 0, table at the address it names, 0x20).
//! What is tolerated follows dmidecode 3.4, the tool support technicians compare with: bad string
//! indexes (kept as such), an empty string ending a string set early, a 3.x table shorter than
//! its announced maximum or without type 127, bytes after type 127, values outside the
//! specification (kept as codes, named "unknown"). A structure cut by the end of the table, a
//! length below the 4-byte header, a 2.x table shorter than its entry point says, or a decoded
//! type shorter than its oldest layout is an error naming the structure and its offset.

mod entry;
mod fields;
mod names;
mod table;
mod types;

pub use entry::{EntryPoint, EntryPointKind, parse_entry_point};
pub use fields::SmbiosString;
pub use table::{RawStructure, Structure, StructureData, Table, parse_table};
pub use types::*;

use serde::Serialize;

/// Anything that makes an SMBIOS input unreadable. Each variant names the structure and the
/// byte offset, so a support case can point at the broken byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmbiosError {
    #[error("SMBIOS entry point: {0} bytes, too short for any entry point (at least 24)")]
    EntryPointTooShort(usize),
    #[error(
        "SMBIOS entry point: no anchor at offset 0 (\"_SM_\" or \"_SM3_\" expected, found {0})"
    )]
    NoAnchor(String),
    #[error(
        "SMBIOS {anchor} entry point: length field at offset {offset:#x} says {length:#x} bytes, {problem}"
    )]
    EntryPointLength {
        anchor: &'static str,
        offset: usize,
        length: usize,
        problem: &'static str,
    },
    #[error(
        "SMBIOS {anchor} entry point: checksum over bytes {start:#x}..{end:#x} is {sum:#04x}, not 0"
    )]
    EntryPointChecksum {
        anchor: &'static str,
        start: usize,
        end: usize,
        sum: u8,
    },
    #[error("SMBIOS _SM_ entry point: intermediate anchor \"_DMI_\" missing at offset 0x10")]
    NoIntermediateAnchor,
    #[error(
        "SMBIOS structure table: structure #{index} at table offset {offset:#x}: header needs 4 bytes, only {available} left"
    )]
    HeaderTruncated {
        index: usize,
        offset: usize,
        available: usize,
    },
    #[error(
        "SMBIOS type {stype} structure (handle {handle:#06x}) at table offset {offset:#x}: length {length:#x} is below the 4-byte header; the table is broken from here"
    )]
    LengthBelowHeader {
        stype: u8,
        handle: u16,
        offset: usize,
        length: u8,
    },
    #[error(
        "SMBIOS type {stype} structure (handle {handle:#06x}) at table offset {offset:#x}: {what} runs past the end of the table ({table_len:#x} bytes)"
    )]
    StructureTruncated {
        stype: u8,
        handle: u16,
        offset: usize,
        what: &'static str,
        table_len: usize,
    },
    #[error(
        "SMBIOS type {stype} structure (handle {handle:#06x}) at table offset {offset:#x}: length {length:#x} shorter than {minimum:#x}, the smallest this type has in any SMBIOS version"
    )]
    StructureTooShort {
        stype: u8,
        handle: u16,
        offset: usize,
        length: u8,
        minimum: u8,
    },
    #[error(
        "SMBIOS dump: the entry point places the table at {address:#x}, beyond the {file_len}-byte file"
    )]
    TableOutsideDump { address: u64, file_len: usize },
    #[error(
        "SMBIOS structure table: the _SM_ entry point announces {announced:#x} bytes, the input holds {available:#x} (truncated at table offset {available:#x})"
    )]
    TableTruncated { announced: usize, available: usize },
}

/// SMBIOS version as the entry point gives it (the docrev is 0 for 2.x entry points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Version {
    pub major: u8,
    pub minor: u8,
    pub docrev: u8,
}

impl Version {
    /// True if this version is at least `major.minor`.
    pub fn at_least(self, major: u8, minor: u8) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.docrev != 0 {
            write!(f, ".{}", self.docrev)?;
        }
        Ok(())
    }
}

/// A whole SMBIOS reading: the entry point and the table it describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Smbios {
    pub entry_point: EntryPoint,
    pub table: Table,
}

/// Decodes the sysfs pair: `smbios_entry_point` and `DMI` (the table alone; the entry point's
/// table address is a physical address and is ignored).
pub fn parse_sysfs(entry_point: &[u8], dmi: &[u8]) -> Result<Smbios, SmbiosError> {
    let ep = parse_entry_point(entry_point)?;
    check_exact_length(&ep, dmi.len())?;
    let len = dmi.len().min(ep.table_max_len as usize);
    let table = parse_table(&dmi[..len], ep.effective_version(), ep.structure_count())?;
    Ok(Smbios {
        entry_point: ep,
        table,
    })
}

/// A 2.x entry point gives the exact table length: fewer bytes means a truncated input. (A 3.x
/// entry point gives a maximum; the table may end earlier, at type 127.)
fn check_exact_length(ep: &EntryPoint, available: usize) -> Result<(), SmbiosError> {
    let announced = ep.table_max_len as usize;
    match ep.kind {
        EntryPointKind::Smbios2 { .. } if available < announced => {
            Err(SmbiosError::TableTruncated {
                announced,
                available,
            })
        }
        _ => Ok(()),
    }
}

/// Decodes a `dmidecode --dump-bin` file: entry point at offset 0, table at the address the entry
/// point gives (0x20 in files dmidecode writes). A file shorter than a 2.x table is an error; a
/// 3.x table may be shorter than its maximum, but a structure cut by the end is an error.
pub fn parse_dump_bin(file: &[u8]) -> Result<Smbios, SmbiosError> {
    let ep = parse_entry_point(file)?;
    let start = usize::try_from(ep.table_address)
        .ok()
        .filter(|&a| a <= file.len())
        .ok_or(SmbiosError::TableOutsideDump {
            address: ep.table_address,
            file_len: file.len(),
        })?;
    check_exact_length(&ep, file.len() - start)?;
    let end = start
        .saturating_add(ep.table_max_len as usize)
        .min(file.len());
    let table = parse_table(
        &file[start..end],
        ep.effective_version(),
        ep.structure_count(),
    )?;
    Ok(Smbios {
        entry_point: ep,
        table,
    })
}
