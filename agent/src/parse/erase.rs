//! What drives answer about firmware erases and hidden areas: the ATA SANITIZE STATUS EXT
//! registers and the reason a SANITIZE was refused (ACS-3 §7.36), the DEVICE CONFIGURATION
//! IDENTIFY data structure (ACS-2 §7.10.5, the capacity a DCO hides), the SCSI REPORT SUPPORTED
//! OPERATION CODES answer for one command (SPC-4 §6.35) and the SCSI sense data of a SANITIZE
//! in progress or failed (SBC-3 §4.11.2, SPC-4 §4.5.2.4.4).
//!
//! Pure: registers and bytes in, structs out. Every function accepts any input without panicking
//! (property tests below): these bytes come from a drive's firmware, which may be anything.

use serde::Serialize;

use super::ata::{Integrity, integrity};
use super::sat::sense_code;

/// What SANITIZE STATUS EXT (or any SANITIZE command) returns in the COUNT and LBA fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AtaSanitizeStatus {
    /// COUNT bit 15: the last sanitize operation completed without error. Some drives set it
    /// when no sanitize ever ran, which is why success is trusted only after an in-progress
    /// state was seen.
    pub completed_without_error: bool,
    /// COUNT bit 14: a sanitize operation is in progress.
    pub in_progress: bool,
    /// COUNT bit 13: the drive is in the sanitize frozen state (SANITIZE FREEZE LOCK EXT).
    pub frozen: bool,
    /// COUNT bit 12: SANITIZE ANTIFREEZE LOCK EXT is in effect.
    pub antifreeze: bool,
    /// LBA 15:0: progress of the operation in progress, as a numerator of n/65536.
    pub progress: u16,
}

/// Decodes the COUNT and LBA fields of a SANITIZE STATUS EXT completion (ACS-3 Table 144).
pub fn ata_sanitize_status(count: u16, lba: u64) -> AtaSanitizeStatus {
    AtaSanitizeStatus {
        completed_without_error: count & (1 << 15) != 0,
        in_progress: count & (1 << 14) != 0,
        frozen: count & (1 << 13) != 0,
        antifreeze: count & (1 << 12) != 0,
        progress: (lba & 0xFFFF) as u16,
    }
}

/// Why a SANITIZE command was aborted: LBA 7:0 of the error output (ACS-3 Table 145).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum AtaSanitizeError {
    NotReported,
    /// The sanitize operation completed with an error (the drive is in the failure state).
    Unsuccessful,
    /// The FEATURE field names a sanitize operation the drive does not support.
    Unsupported,
    /// The drive is in the sanitize frozen state.
    Frozen,
    /// SANITIZE FREEZE LOCK EXT refused because of SANITIZE ANTIFREEZE LOCK EXT.
    AntifreezeLock,
    Reserved(u8),
}

pub fn ata_sanitize_error(lba: u64) -> AtaSanitizeError {
    match (lba & 0xFF) as u8 {
        0 => AtaSanitizeError::NotReported,
        1 => AtaSanitizeError::Unsuccessful,
        2 => AtaSanitizeError::Unsupported,
        3 => AtaSanitizeError::Frozen,
        4 => AtaSanitizeError::AntifreezeLock,
        r => AtaSanitizeError::Reserved(r),
    }
}

impl AtaSanitizeError {
    /// The reason in words, with its code.
    pub fn describe(self) -> String {
        match self {
            AtaSanitizeError::NotReported => "no reason reported (00h)".into(),
            AtaSanitizeError::Unsuccessful => "the sanitize operation failed (01h)".into(),
            AtaSanitizeError::Unsupported => "unsupported sanitize operation (02h)".into(),
            AtaSanitizeError::Frozen => "the drive is in the sanitize frozen state (03h)".into(),
            AtaSanitizeError::AntifreezeLock => "antifreeze lock in effect (04h)".into(),
            AtaSanitizeError::Reserved(r) => format!("reserved reason {r:#04x}"),
        }
    }
}

/// Size of the DEVICE CONFIGURATION IDENTIFY data structure.
pub const DCO_IDENTIFY_LEN: usize = 512;

/// The DEVICE CONFIGURATION IDENTIFY data structure (ACS-2 Table 39): what the drive could be
/// with its Device Configuration Overlay removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DcoIdentify {
    /// Word 0: data structure revision (0002h in ATA/ATAPI-6 and later).
    pub revision: u16,
    /// Words 3-6: the highest LBA the drive has once the overlay is restored (factory).
    pub max_lba: u64,
    /// Word 7 bit 8: the overlay may hide the Host Protected Area feature set.
    pub hpa_supported: bool,
    pub integrity: Integrity,
}

impl DcoIdentify {
    /// Sectors of the drive as it left the factory: `max_lba + 1`.
    pub fn factory_sectors(&self) -> u64 {
        self.max_lba.saturating_add(1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DcoError {
    #[error("DEVICE CONFIGURATION IDENTIFY data: {len} bytes, expected 512")]
    WrongLength { len: usize },
    #[error(
        "DEVICE CONFIGURATION IDENTIFY data: the integrity word (255) does not check (sum {sum:#04x}): corrupt data"
    )]
    Corrupt { sum: u8 },
    #[error("DEVICE CONFIGURATION IDENTIFY data: maximum LBA 0 (no device configuration data)")]
    Empty,
}

/// Decodes DEVICE CONFIGURATION IDENTIFY data. A failed checksum or a zero maximum LBA is an
/// error: an overlay's size must never be guessed.
pub fn parse_dco_identify(b: &[u8]) -> Result<DcoIdentify, DcoError> {
    if b.len() != DCO_IDENTIFY_LEN {
        return Err(DcoError::WrongLength { len: b.len() });
    }
    let w = |i: usize| u16::from_le_bytes([b[2 * i], b[2 * i + 1]]);
    let integrity = integrity(b);
    if let Integrity::Invalid { sum } = integrity {
        return Err(DcoError::Corrupt { sum });
    }
    let max_lba = (3..=6).fold(0u64, |acc, i| acc | (u64::from(w(i)) << (16 * (i - 3))));
    if max_lba == 0 {
        return Err(DcoError::Empty);
    }
    Ok(DcoIdentify {
        revision: w(0),
        max_lba,
        hpa_supported: w(7) & (1 << 8) != 0,
        integrity,
    })
}

/// Whether a command (with a service action) is supported, from the one-command form of REPORT
/// SUPPORTED OPERATION CODES (SPC-4 Table 260, SUPPORT field of byte 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpcodeSupport {
    /// 000b: the device cannot say.
    NotAvailable,
    /// 001b.
    NotSupported,
    /// 011b: supported as the standard says.
    Supported,
    /// 101b: supported in a vendor-specific way (not trusted for sanitization).
    VendorSpecific,
    Reserved(u8),
}

pub fn opcode_support(data: &[u8]) -> OpcodeSupport {
    match data.get(1).map(|b| b & 7) {
        None | Some(0) => OpcodeSupport::NotAvailable,
        Some(1) => OpcodeSupport::NotSupported,
        Some(3) => OpcodeSupport::Supported,
        Some(5) => OpcodeSupport::VendorSpecific,
        Some(r) => OpcodeSupport::Reserved(r),
    }
}

/// A SCSI device's state as REQUEST SENSE (or a command's sense data) tells it, regarding a
/// SANITIZE operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ScsiSanitizeSense {
    /// NO SENSE (or no sense data): nothing in progress, nothing failed.
    Idle,
    /// NOT READY, LOGICAL UNIT NOT READY, SANITIZE IN PROGRESS (04h/1Bh), with the progress
    /// (n/65536) when the sense-key specific field is valid.
    InProgress { progress: Option<u16> },
    /// MEDIUM ERROR, SANITIZE COMMAND FAILED (31h/03h).
    Failed,
    /// Any other sense.
    Other { key: u8, asc: u8, ascq: u8 },
}

/// Reads the sanitize state from sense data (fixed or descriptor format).
pub fn scsi_sanitize_sense(sense: &[u8]) -> ScsiSanitizeSense {
    let Some(code) = sense_code(sense) else {
        return ScsiSanitizeSense::Idle;
    };
    match (code.key, code.asc, code.ascq) {
        (0, 0, 0) => ScsiSanitizeSense::Idle,
        (2, 0x04, 0x1B) => ScsiSanitizeSense::InProgress {
            progress: sense_key_specific_progress(sense),
        },
        (3, 0x31, 0x03) => ScsiSanitizeSense::Failed,
        (key, asc, ascq) => ScsiSanitizeSense::Other { key, asc, ascq },
    }
}

/// The progress indication of the sense-key specific field, when SKSV says it is valid: bytes
/// 15-17 of fixed-format sense, or the sense-key specific descriptor (02h) of descriptor format.
fn sense_key_specific_progress(sense: &[u8]) -> Option<u16> {
    let field = match sense.first()? & 0x7f {
        0x70 | 0x71 => sense.get(15..18)?,
        0x72 | 0x73 => {
            let end = sense.len().min(8 + usize::from(*sense.get(7)?));
            let mut i = 8;
            loop {
                if i + 1 >= end {
                    return None;
                }
                let (code, len) = (sense[i], usize::from(sense[i + 1]));
                if code == 0x02 && len >= 6 {
                    break sense.get(i + 4..i + 7)?;
                }
                i += 2 + len;
            }
        }
        _ => return None,
    };
    (field[0] & 0x80 != 0).then(|| u16::from_be_bytes([field[1], field[2]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sanitize_status_bits() {
        let s = ata_sanitize_status(0x4000, 0x1234_8000);
        assert!(s.in_progress && !s.completed_without_error && !s.frozen);
        assert_eq!(s.progress, 0x8000);
        let s = ata_sanitize_status(0x8000, 0);
        assert!(s.completed_without_error && !s.in_progress);
        let s = ata_sanitize_status(0x3000, 0);
        assert!(s.frozen && s.antifreeze);
        assert_eq!(ata_sanitize_error(0x03), AtaSanitizeError::Frozen);
        assert_eq!(ata_sanitize_error(0xFF01), AtaSanitizeError::Unsuccessful);
        assert_eq!(ata_sanitize_error(0x09), AtaSanitizeError::Reserved(9));
        assert!(AtaSanitizeError::Frozen.describe().contains("03h"));
    }

    fn dco(max_lba: u64, signed: bool) -> Vec<u8> {
        let mut b = vec![0u8; 512];
        b[0] = 2;
        for i in 0..4 {
            let w = (max_lba >> (16 * i)) as u16;
            b[6 + 2 * i..8 + 2 * i].copy_from_slice(&w.to_le_bytes());
        }
        b[15] = 1; // word 7 bit 8
        if signed {
            b[510] = 0xA5;
            let sum = b[..511].iter().fold(0u8, |a, x| a.wrapping_add(*x));
            b[511] = 0u8.wrapping_sub(sum);
        }
        b
    }

    #[test]
    fn dco_identify_max_lba() {
        let d = parse_dco_identify(&dco(976_773_167, true)).unwrap();
        assert_eq!(d.revision, 2);
        assert_eq!(d.factory_sectors(), 976_773_168);
        assert!(d.hpa_supported);
        assert_eq!(d.integrity, Integrity::Valid);
        // Drives before ATA-5 may not sign the structure: accepted, said so.
        assert_eq!(
            parse_dco_identify(&dco(1000, false)).unwrap().integrity,
            Integrity::Absent
        );
        let mut bad = dco(1000, true);
        bad[6] ^= 1;
        assert!(matches!(
            parse_dco_identify(&bad),
            Err(DcoError::Corrupt { .. })
        ));
        assert_eq!(parse_dco_identify(&dco(0, true)), Err(DcoError::Empty));
        assert_eq!(
            parse_dco_identify(&[0; 511]),
            Err(DcoError::WrongLength { len: 511 })
        );
    }

    #[test]
    fn report_supported_operation_codes() {
        assert_eq!(opcode_support(&[0, 3, 0, 0x48]), OpcodeSupport::Supported);
        assert_eq!(opcode_support(&[0, 1]), OpcodeSupport::NotSupported);
        assert_eq!(opcode_support(&[0, 0x85]), OpcodeSupport::VendorSpecific);
        assert_eq!(opcode_support(&[]), OpcodeSupport::NotAvailable);
        assert_eq!(opcode_support(&[0, 2]), OpcodeSupport::Reserved(2));
    }

    #[test]
    fn sanitize_sense_fixed_and_descriptor() {
        let mut fixed = vec![0u8; 18];
        fixed[0] = 0x70;
        fixed[2] = 0x02;
        fixed[7] = 10;
        fixed[12] = 0x04;
        fixed[13] = 0x1B;
        fixed[15] = 0x80;
        fixed[16] = 0x40;
        assert_eq!(
            scsi_sanitize_sense(&fixed),
            ScsiSanitizeSense::InProgress {
                progress: Some(0x4000)
            }
        );
        fixed[15] = 0;
        assert_eq!(
            scsi_sanitize_sense(&fixed),
            ScsiSanitizeSense::InProgress { progress: None }
        );
        let desc = [
            0x72, 0x02, 0x04, 0x1B, 0, 0, 0, 8, 0x02, 0x06, 0, 0, 0x80, 0xC0, 0x00, 0,
        ];
        assert_eq!(
            scsi_sanitize_sense(&desc),
            ScsiSanitizeSense::InProgress {
                progress: Some(0xC000)
            }
        );
        assert_eq!(
            scsi_sanitize_sense(&[0x72, 0x03, 0x31, 0x03, 0, 0, 0, 0]),
            ScsiSanitizeSense::Failed
        );
        assert_eq!(scsi_sanitize_sense(&[]), ScsiSanitizeSense::Idle);
        assert_eq!(
            scsi_sanitize_sense(&[0x72, 0x05, 0x20, 0x00, 0, 0, 0, 0]),
            ScsiSanitizeSense::Other {
                key: 5,
                asc: 0x20,
                ascq: 0
            }
        );
    }

    proptest! {
        #[test]
        fn any_bytes_parse_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_dco_identify(&bytes);
            let _ = opcode_support(&bytes);
            let _ = scsi_sanitize_sense(&bytes);
        }

        #[test]
        fn any_registers_decode(count in any::<u16>(), lba in any::<u64>()) {
            let s = ata_sanitize_status(count, lba);
            prop_assert_eq!(s.progress, (lba & 0xffff) as u16);
            let _ = ata_sanitize_error(lba).describe();
        }

        #[test]
        fn dco_max_lba_round_trips(max in 1u64..(1 << 48)) {
            let d = parse_dco_identify(&dco(max, true)).unwrap();
            prop_assert_eq!(d.max_lba, max);
        }
    }
}
