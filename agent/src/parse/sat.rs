//! Parser of the sense data a SATA disk returns through SCSI/ATA Translation (SAT-4 §12.2.2.6–7):
//! the ATA registers after an ATA PASS-THROUGH command, in descriptor format (ATA Status Return
//! descriptor, code 09h) or fixed format (INFORMATION and COMMAND-SPECIFIC INFORMATION fields).

/// The ATA registers a command left, as the translation layer reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AtaRegisters {
    pub status: u8,
    pub error: u8,
    /// Sector count (16 bits for 48-bit commands).
    pub count: u16,
    /// LBA (48 bits for 48-bit commands).
    pub lba: u64,
    pub device: u8,
}

impl AtaRegisters {
    /// ERR bit of the status register: the device aborted or failed the command.
    pub fn failed(&self) -> bool {
        self.status & 0x01 != 0
    }
}

/// Sense key, additional sense code and qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenseCode {
    pub key: u8,
    pub asc: u8,
    pub ascq: u8,
}

/// The sense key and codes of sense data in either format, when it is sense data.
pub fn sense_code(sense: &[u8]) -> Option<SenseCode> {
    match sense.first()? & 0x7f {
        0x72 | 0x73 => Some(SenseCode {
            key: sense.get(1)? & 0x0f,
            asc: *sense.get(2)?,
            ascq: *sense.get(3)?,
        }),
        0x70 | 0x71 => Some(SenseCode {
            key: sense.get(2)? & 0x0f,
            asc: *sense.get(12)?,
            ascq: *sense.get(13)?,
        }),
        _ => None,
    }
}

/// The ATA registers in `sense`, when the translation layer put them there.
pub fn ata_registers(sense: &[u8]) -> Option<AtaRegisters> {
    match sense.first()? & 0x7f {
        0x72 | 0x73 => descriptor_format(sense),
        0x70 | 0x71 => fixed_format(sense),
        _ => None,
    }
}

fn descriptor_format(sense: &[u8]) -> Option<AtaRegisters> {
    let additional = usize::from(*sense.get(7)?);
    let end = sense.len().min(8 + additional);
    let mut i = 8;
    while i + 1 < end {
        let (code, len) = (sense[i], usize::from(sense[i + 1]));
        if code == 0x09 && len >= 0x0c && i + 14 <= sense.len() {
            let d = &sense[i..i + 14];
            let extend = d[2] & 1 != 0;
            let mut lba = u64::from(d[7]) | u64::from(d[9]) << 8 | u64::from(d[11]) << 16;
            let mut count = u16::from(d[5]);
            if extend {
                lba |= u64::from(d[6]) << 24 | u64::from(d[8]) << 32 | u64::from(d[10]) << 40;
                count |= u16::from(d[4]) << 8;
            }
            return Some(AtaRegisters {
                status: d[13],
                error: d[3],
                count,
                lba,
                device: d[12],
            });
        }
        i += 2 + len;
    }
    None
}

fn fixed_format(sense: &[u8]) -> Option<AtaRegisters> {
    let f = sense.get(..12)?;
    // Only sense that says "ATA pass-through information available" carries the registers.
    let (asc, ascq) = (*sense.get(12)?, *sense.get(13)?);
    if (asc, ascq) != (0x00, 0x1d) && f[2] & 0x0f != 0x0b && f[2] & 0x0f != 0x01 {
        return None;
    }
    Some(AtaRegisters {
        error: f[3],
        status: f[4],
        device: f[5],
        count: u16::from(f[6]),
        lba: u64::from(f[9]) | u64::from(f[10]) << 8 | u64::from(f[11]) << 16,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What libata returns for a successful IDENTIFY with CK_COND (status 50h: DRDY | DSC).
    fn descriptor(status: u8, error: u8) -> Vec<u8> {
        let mut s = vec![0x72, 0x01, 0x00, 0x1d, 0, 0, 0, 14];
        s.extend_from_slice(&[
            0x09, 0x0c, 0x01, error, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xe0, status,
        ]);
        s
    }

    #[test]
    fn descriptor_format_registers() {
        let r = ata_registers(&descriptor(0x50, 0)).unwrap();
        assert_eq!(r.status, 0x50);
        assert!(!r.failed());
        assert_eq!(r.count, 1);
        // LBA bytes in the descriptor: 31:24=12 7:0=34 39:32=56 15:8=78 47:40=9a 23:16=bc.
        assert_eq!(r.lba, 0x9a56_12bc_7834);
        assert_eq!(r.device, 0xe0);
        let aborted = ata_registers(&descriptor(0x51, 0x04)).unwrap();
        assert!(aborted.failed());
        assert_eq!(aborted.error, 0x04);
        assert_eq!(
            sense_code(&descriptor(0x50, 0)),
            Some(SenseCode {
                key: 1,
                asc: 0,
                ascq: 0x1d
            })
        );
    }

    #[test]
    fn fixed_format_registers() {
        let mut s = vec![0u8; 18];
        s[0] = 0x70;
        s[2] = 0x01;
        s[3] = 0x00; // error
        s[4] = 0x50; // status
        s[5] = 0x40; // device
        s[6] = 0x02; // count
        s[9] = 0x11;
        s[10] = 0x22;
        s[11] = 0x33;
        s[12] = 0x00;
        s[13] = 0x1d;
        let r = ata_registers(&s).unwrap();
        assert_eq!(
            (r.status, r.count, r.lba, r.device),
            (0x50, 2, 0x33_2211, 0x40)
        );
    }

    #[test]
    fn not_sense_or_no_descriptor() {
        assert_eq!(ata_registers(&[]), None);
        assert_eq!(ata_registers(&[0x00, 0, 0]), None);
        assert_eq!(ata_registers(&[0x72, 0x05, 0x24, 0x00, 0, 0, 0, 0]), None);
        assert_eq!(sense_code(&[0x72]), None);
    }

    proptest! {
        #[test]
        fn any_sense_bytes_parse_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
            let _ = ata_registers(&bytes);
            let _ = sense_code(&bytes);
        }
    }
}
