//! ATA IDENTIFY DEVICE data (ACS-3 §7.12.7, ACS-4 §9.11): the 512-byte sector of 256
//! little-endian words — identity, capacity, sector sizes, media, and the feature sets the
//! firmware erases need (security, SANITIZE, HPA, DCO, TRIM), with the integrity word checked.

use nom::Parser;
use nom::multi::count;
use nom::number::complete::le_u16;
use serde::Serialize;

/// Size of an IDENTIFY DEVICE sector.
pub const IDENTIFY_LEN: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtaIdentifyError {
    #[error(
        "ATA IDENTIFY DEVICE data: {len} bytes, expected 512 (the input ends at offset {len:#x})"
    )]
    WrongLength { len: usize },
    #[error(
        "ATA IDENTIFY DEVICE data: word 0 at offset 0x0 is {word0:#06x}: bit 15 set, so this is not ATA device data (ATAPI or garbage)"
    )]
    NotAtaDevice { word0: u16 },
}

/// The 256 words of the sector (little-endian, ACS-3 §7.12.7).
pub fn words(bytes: &[u8]) -> Result<Vec<u16>, AtaIdentifyError> {
    if bytes.len() != IDENTIFY_LEN {
        return Err(AtaIdentifyError::WrongLength { len: bytes.len() });
    }
    let r: nom::IResult<&[u8], Vec<u16>> = count(le_u16, 256).parse(bytes);
    r.map(|(_, w)| w)
        .map_err(|_| AtaIdentifyError::WrongLength { len: bytes.len() })
}

/// An ATA string (ACS-3 §3.4.9): two characters per word, the first in the high byte; trimmed of
/// the space padding. Non-ASCII bytes are kept as U+FFFD rather than guessed.
pub fn ata_string(words: &[u16]) -> String {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    String::from_utf8_lossy(&bytes)
        .trim_matches(|c: char| c == ' ' || c == '\0')
        .to_string()
}

/// Whether a word whose bits 15:14 must be 01b (ACS-3 words 83, 84, 87, 106, 119, 120) is valid.
pub fn valid_word(w: u16) -> bool {
    w & 0xC000 == 0x4000
}

/// Integrity word 255 (ACS-3 §7.12.7.91): low byte A5h signature, high byte a checksum that makes
/// the 512 bytes sum to 0 mod 256. Before ATA-5 the word is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrity {
    Valid,
    Invalid {
        sum: u8,
    },
    /// No A5h signature: the drive does not provide the checksum.
    Absent,
}

/// Checks word 255 against the bytes.
pub fn integrity(bytes: &[u8]) -> Integrity {
    if bytes.len() != IDENTIFY_LEN || bytes[510] != 0xA5 {
        return Integrity::Absent;
    }
    let sum = bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    if sum == 0 {
        Integrity::Valid
    } else {
        Integrity::Invalid { sum }
    }
}

/// Nominal media rotation rate (word 217, ACS-3 §7.12.7.84).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RotationRate {
    NotReported,
    /// 0001h: non-rotating media (solid state).
    NonRotating,
    Rpm {
        rpm: u16,
    },
    /// 0002h-0400h and FFFFh are reserved.
    Reserved {
        raw: u16,
    },
}

pub fn rotation_rate(w: u16) -> RotationRate {
    match w {
        0 => RotationRate::NotReported,
        1 => RotationRate::NonRotating,
        0x0401..=0xFFFE => RotationRate::Rpm { rpm: w },
        _ => RotationRate::Reserved { raw: w },
    }
}

/// Nominal form factor (word 168 bits 3:0, ACS-3 §7.12.7.66 / ACS-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FormFactor {
    pub value: u8,
    /// `None` for 0 (not reported) and reserved values.
    pub name: Option<&'static str>,
}

pub fn form_factor(w: u16) -> FormFactor {
    let value = (w & 0x0F) as u8;
    let name = match value {
        1 => Some("5.25 inch"),
        2 => Some("3.5 inch"),
        3 => Some("2.5 inch"),
        4 => Some("1.8 inch"),
        5 => Some("less than 1.8 inch"),
        6 => Some("mSATA"),
        7 => Some("M.2"),
        8 => Some("MicroSSD"),
        9 => Some("CFast"),
        _ => None,
    };
    FormFactor { value, name }
}

/// A security erase time estimate (words 89 and 90, ACS-3 §7.12.7.37-38).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EraseTime {
    NotReported,
    Minutes {
        minutes: u32,
    },
    /// The largest value of the format: more than this many minutes.
    MoreThan {
        minutes: u32,
    },
}

/// Bit 15 clear: bits 7:0 × 2 minutes (FFh: > 508). Bit 15 set (extended format): bits 14:0 × 2
/// minutes (7FFFh: > 65532). 0 in either: not reported.
pub fn erase_time(w: u16) -> EraseTime {
    let (v, max) = if w & 0x8000 != 0 {
        (u32::from(w & 0x7FFF), 0x7FFF)
    } else {
        (u32::from(w & 0x00FF), 0xFF)
    };
    match v {
        0 => EraseTime::NotReported,
        v if v == max => EraseTime::MoreThan {
            minutes: (v - 1) * 2,
        },
        v => EraseTime::Minutes { minutes: v * 2 },
    }
}

/// The security feature set (words 82, 85, 89, 90, 92, 128).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Security {
    pub supported: bool,
    pub enabled: bool,
    pub locked: bool,
    pub frozen: bool,
    pub count_expired: bool,
    pub enhanced_erase_supported: bool,
    /// Word 128 bit 8: security level maximum (true) or high (false).
    pub level_maximum: bool,
    pub erase_time: EraseTime,
    pub enhanced_erase_time: EraseTime,
    /// Word 92; `None` when 0000h or FFFFh (not supported).
    pub master_password_revision: Option<u16>,
}

/// Decodes word 128 (security status) with the erase times and master password revision.
pub fn security(w: &[u16]) -> Security {
    let s = w[128];
    Security {
        // Word 128 bit 0; word 82 bit 1 says the same in the command set words (kept raw).
        supported: s & 1 != 0,
        enabled: s & 2 != 0,
        locked: s & 4 != 0,
        frozen: s & 8 != 0,
        count_expired: s & 0x10 != 0,
        enhanced_erase_supported: s & 0x20 != 0,
        level_maximum: s & 0x100 != 0,
        erase_time: erase_time(w[89]),
        enhanced_erase_time: erase_time(w[90]),
        master_password_revision: Some(w[92]).filter(|v| *v != 0 && *v != 0xFFFF),
    }
}

/// The SANITIZE feature set (word 59 bits 10-15, ACS-3 §7.12.7.19).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sanitize {
    pub supported: bool,
    pub crypto_scramble: bool,
    pub overwrite: bool,
    pub block_erase: bool,
    /// Bit 11: the commands allowed during a sanitize operation are as ACS-3 lists them.
    pub acs3_commands_allowed: bool,
    /// Bit 10: SANITIZE ANTIFREEZE LOCK EXT is supported.
    pub antifreeze_lock: bool,
}

pub fn sanitize(w59: u16) -> Sanitize {
    Sanitize {
        supported: w59 & (1 << 12) != 0,
        crypto_scramble: w59 & (1 << 13) != 0,
        overwrite: w59 & (1 << 14) != 0,
        block_erase: w59 & (1 << 15) != 0,
        acs3_commands_allowed: w59 & (1 << 11) != 0,
        antifreeze_lock: w59 & (1 << 10) != 0,
    }
}

/// Logical and physical sector sizes in bytes (word 106, words 117-118), as the drive states
/// them: when word 106 bit 12 says the logical sector is longer than 256 words, words 117-118
/// give its length in words, whatever that is (even 0); see `plausible_sector_size`.
pub fn sector_sizes(w: &[u16]) -> (u32, u32) {
    let w106 = w[106];
    if !valid_word(w106) {
        return (512, 512);
    }
    let logical = if w106 & (1 << 12) != 0 {
        (u32::from(w[117]) | (u32::from(w[118]) << 16)).wrapping_mul(2)
    } else {
        512
    };
    let physical = if w106 & (1 << 13) != 0 {
        logical.checked_shl(u32::from(w106 & 0x0F)).unwrap_or(0)
    } else {
        logical
    };
    (logical, physical)
}

/// Whether a sector size is one a drive can have: a power of two from 512 bytes to 64 KiB.
/// Anything else means the IDENTIFY data is corrupt and capacities in bytes are meaningless.
pub fn plausible_sector_size(bytes: u32) -> bool {
    bytes.is_power_of_two() && (512..=65536).contains(&bytes)
}

/// Major versions supported (word 80; bit n = ATA/ATAPI-n up to 7, 8 = ATA8-ACS, 9 = ACS-2,
/// 10 = ACS-3, 11 = ACS-4, 12 = ACS-5), highest first; empty when 0000h or FFFFh.
///
/// Bits the highest claimed standard declares obsolete are not reported: ATA/ATAPI-6 and -7
/// made bits 3:1 obsolete (ATA-1 to ATA-3), ATA8-ACS and later bits 4:1 as well; drives still
/// set them, and they say nothing about what the drive implements. (hdparm shows the same.)
pub fn major_versions(w80: u16) -> Vec<u8> {
    if w80 == 0 || w80 == 0xFFFF {
        return Vec::new();
    }
    let all: Vec<u8> = (1..=14u8).rev().filter(|b| w80 & (1 << b) != 0).collect();
    let lowest_meaningful = match all.first() {
        Some(&h) if h >= 8 => 5,
        Some(&h) if h >= 6 => 4,
        _ => 1,
    };
    all.into_iter()
        .filter(|b| *b >= lowest_meaningful)
        .collect()
}

/// A decoded IDENTIFY DEVICE sector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtaIdentify {
    pub model: String,
    pub serial: String,
    pub firmware: String,
    /// Word 0 bit 7: removable media device.
    pub removable_media: bool,
    /// User addressable sectors, 28-bit (words 60-61).
    pub lba28_sectors: u32,
    /// 48-bit address feature set supported (word 83 bit 10) and its sector count (100-103).
    pub lba48_supported: bool,
    pub lba48_sectors: Option<u64>,
    pub logical_sector_size: u32,
    pub physical_sector_size: u32,
    /// Both sizes are powers of two from 512 to 65536 with physical ≥ logical; when false, the
    /// sizes (and `capacity_bytes`) are as stated by corrupt data and must not be used.
    pub sector_sizes_plausible: bool,
    /// User addressable sectors (48-bit count when supported, else 28-bit) and bytes.
    pub capacity_sectors: u64,
    #[serde(serialize_with = "crate::parse::json::u64_string")]
    pub capacity_bytes: u64,
    pub rotation_rate: RotationRate,
    pub form_factor: FormFactor,
    pub smart_supported: bool,
    pub smart_enabled: bool,
    /// SMART error logging and self-test (word 84 bits 0-1).
    pub smart_error_log_supported: bool,
    pub smart_self_test_supported: bool,
    pub security: Security,
    pub sanitize: Sanitize,
    pub hpa_supported: bool,
    pub hpa_enabled: bool,
    /// Device Configuration Overlay (word 83 bit 11; word 86 bit 11 mirrors it).
    pub dco_supported: bool,
    pub trim_supported: bool,
    /// Word 69 bit 14: deterministic data after TRIM; bit 5: zeros after TRIM.
    pub trim_deterministic: bool,
    pub trim_zeroes: bool,
    pub write_cache_supported: bool,
    pub write_cache_enabled: bool,
    /// World wide name (words 108-111, when word 84 bit 8 says it is there), 16 hex digits.
    pub wwn: Option<String>,
    pub major_versions: Vec<u8>,
    /// Word 81, minor version code (0 / FFFFh: not reported).
    pub minor_version: u16,
    /// Words 82-87 and 119-120 as read (the command set words).
    pub command_sets: [u16; 6],
    pub command_sets_ext: [u16; 2],
    pub integrity: Integrity,
    /// All 256 words, for fields not decoded here.
    #[serde(skip)]
    pub words: Vec<u16>,
}

/// Decodes an IDENTIFY DEVICE sector. Only the length and word 0 bit 15 (not ATA device data)
/// are errors; every other field is read as the drive wrote it, and the integrity word says
/// whether the sector is trustworthy.
pub fn parse_identify(bytes: &[u8]) -> Result<AtaIdentify, AtaIdentifyError> {
    let w = words(bytes)?;
    if w[0] & 0x8000 != 0 {
        return Err(AtaIdentifyError::NotAtaDevice { word0: w[0] });
    }
    let v83 = valid_word(w[83]);
    let v84 = valid_word(w[84]);
    let v87 = valid_word(w[87]);
    let lba28 = u32::from(w[60]) | (u32::from(w[61]) << 16);
    let lba48_supported = v83 && w[83] & (1 << 10) != 0;
    let lba48 = lba48_supported.then(|| {
        u64::from(w[100])
            | (u64::from(w[101]) << 16)
            | (u64::from(w[102]) << 32)
            | (u64::from(w[103]) << 48)
    });
    let (logical, physical) = sector_sizes(&w);
    let capacity_sectors = match lba48 {
        Some(n) if n != 0 => n,
        _ => u64::from(lba28),
    };
    let wwn = (v84 && w[84] & (1 << 8) != 0)
        .then(|| format!("{:04x}{:04x}{:04x}{:04x}", w[108], w[109], w[110], w[111]));
    Ok(AtaIdentify {
        model: ata_string(&w[27..47]),
        serial: ata_string(&w[10..20]),
        firmware: ata_string(&w[23..27]),
        removable_media: w[0] & 0x80 != 0,
        lba28_sectors: lba28,
        lba48_supported,
        lba48_sectors: lba48,
        logical_sector_size: logical,
        physical_sector_size: physical,
        sector_sizes_plausible: plausible_sector_size(logical)
            && plausible_sector_size(physical)
            && physical >= logical,
        capacity_sectors,
        capacity_bytes: capacity_sectors.saturating_mul(u64::from(logical)),
        rotation_rate: rotation_rate(w[217]),
        form_factor: form_factor(w[168]),
        smart_supported: v83 && w[82] & 1 != 0,
        smart_enabled: v87 && w[85] & 1 != 0,
        smart_error_log_supported: v84 && w[84] & 1 != 0,
        smart_self_test_supported: v84 && w[84] & 2 != 0,
        security: security(&w),
        sanitize: sanitize(w[59]),
        hpa_supported: v83 && w[82] & (1 << 10) != 0,
        hpa_enabled: v87 && w[85] & (1 << 10) != 0,
        dco_supported: v83 && w[83] & (1 << 11) != 0,
        trim_supported: w[169] & 1 != 0,
        trim_deterministic: w[69] & (1 << 14) != 0,
        trim_zeroes: w[69] & (1 << 5) != 0,
        write_cache_supported: v83 && w[82] & (1 << 5) != 0,
        write_cache_enabled: v87 && w[85] & (1 << 5) != 0,
        wwn,
        major_versions: major_versions(w[80]),
        minor_version: w[81],
        command_sets: [w[82], w[83], w[84], w[85], w[86], w[87]],
        command_sets_ext: [w[119], w[120]],
        integrity: integrity(bytes),
        words: w,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sector(set: &[(usize, u16)]) -> Vec<u8> {
        let mut w = [0u16; 256];
        for (i, v) in set {
            w[*i] = *v;
        }
        w.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn strings_are_byte_swapped_and_trimmed() {
        assert_eq!(ata_string(&[0x4142, 0x4320, 0x2020]), "ABC");
        assert_eq!(ata_string(&[0x2020, 0x3120]), "1");
    }

    #[test]
    fn integrity_word() {
        let mut b = sector(&[]);
        assert_eq!(integrity(&b), Integrity::Absent);
        b[510] = 0xA5;
        b[511] = 0u8.wrapping_sub(0xA5);
        assert_eq!(integrity(&b), Integrity::Valid);
        b[0] = 1;
        assert_eq!(integrity(&b), Integrity::Invalid { sum: 1 });
    }

    #[test]
    fn rotation_and_form_factor() {
        assert_eq!(rotation_rate(1), RotationRate::NonRotating);
        assert_eq!(rotation_rate(7200), RotationRate::Rpm { rpm: 7200 });
        assert_eq!(rotation_rate(0), RotationRate::NotReported);
        assert_eq!(rotation_rate(0x200), RotationRate::Reserved { raw: 0x200 });
        assert_eq!(form_factor(3).name, Some("2.5 inch"));
        assert_eq!(form_factor(0x0F).name, None);
    }

    #[test]
    fn erase_times_both_formats() {
        assert_eq!(erase_time(0), EraseTime::NotReported);
        assert_eq!(erase_time(1), EraseTime::Minutes { minutes: 2 });
        assert_eq!(erase_time(0xFF), EraseTime::MoreThan { minutes: 508 });
        assert_eq!(
            erase_time(0x8000 | 300),
            EraseTime::Minutes { minutes: 600 }
        );
        assert_eq!(erase_time(0xFFFF), EraseTime::MoreThan { minutes: 65532 });
        // Bits 14:8 are reserved in the short format and ignored.
        assert_eq!(erase_time(0x0105), EraseTime::Minutes { minutes: 10 });
    }

    #[test]
    fn sanitize_bits() {
        let s = sanitize(0xF000 | 0x0010);
        assert!(s.supported && s.crypto_scramble && s.overwrite && s.block_erase);
        assert!(!sanitize(0x0110).supported);
    }

    #[test]
    fn sector_size_words() {
        let mut w = vec![0u16; 256];
        assert_eq!(sector_sizes(&w), (512, 512));
        w[106] = 0x6003; // multiple logical per physical, 2^3
        assert_eq!(sector_sizes(&w), (512, 4096));
        w[106] = 0x5000; // logical sector longer than 256 words
        w[117] = 2048;
        assert_eq!(sector_sizes(&w), (4096, 4096));
        w[117] = 0;
        assert_eq!(sector_sizes(&w), (0, 0));
        assert!(!plausible_sector_size(0));
        assert!(plausible_sector_size(4096));
        assert!(!plausible_sector_size(520));
    }

    #[test]
    fn security_word() {
        let w = {
            let mut w = vec![0u16; 256];
            w[128] = 0x0029; // supported, frozen, enhanced
            w[89] = 2;
            w
        };
        let s = security(&w);
        assert!(s.supported && s.frozen && s.enhanced_erase_supported && !s.enabled);
        assert_eq!(s.erase_time, EraseTime::Minutes { minutes: 4 });
    }

    #[test]
    fn capacity_prefers_lba48() {
        let b = sector(&[
            (60, 0xFFFF),
            (61, 0x0FFF),
            (83, 0x4400),
            (100, 0x1000),
            (101, 0x1000),
        ]);
        let id = parse_identify(&b).unwrap();
        assert_eq!(id.capacity_sectors, 0x1000_1000);
        assert_eq!(id.capacity_bytes, 0x1000_1000 * 512);
    }

    #[test]
    fn wrong_length_and_atapi() {
        assert_eq!(
            parse_identify(&[0; 511]).unwrap_err(),
            AtaIdentifyError::WrongLength { len: 511 }
        );
        assert!(matches!(
            parse_identify(&sector(&[(0, 0x8580)])),
            Err(AtaIdentifyError::NotAtaDevice { .. })
        ));
    }

    #[test]
    fn major_version_bits() {
        assert_eq!(major_versions(0x01F8), vec![8, 7, 6, 5]);
        assert_eq!(major_versions(0x00FE), vec![7, 6, 5, 4]);
        assert_eq!(major_versions(0x0006), vec![2, 1]);
        assert!(major_versions(0xFFFF).is_empty());
    }
}
