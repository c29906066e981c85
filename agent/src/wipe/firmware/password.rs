//! Reprise's temporary ATA security password.
//!
//! SECURITY ERASE UNIT needs a user password set first; Reprise sets a temporary one, erases
//! (which clears it), and checks that security is disabled afterwards. If a run is interrupted
//! in between (power cut, drive reset, timeout), the drive stays locked with that password at
//! the next power-on. So the password is not random: it is derived from the drive's own
//! identity, and any later run — or anyone with `hdparm` — can compute it again and unlock:
//!
//! ```text
//! password = "reprise" + the first 25 hex digits of
//!            blake3("reprise ata security password v1" 0x00 MODEL 0x00 SERIAL)
//! ```
//!
//! MODEL and SERIAL are the IDENTIFY strings (words 27-46 and 10-19) with their space padding
//! trimmed. The result is exactly 32 ASCII characters, the whole ATA password field, so
//! `hdparm --user-master u --security-unlock PASSWORD /dev/sdX` and then
//! `hdparm --user-master u --security-disable PASSWORD /dev/sdX` unlock such a drive by hand.
//!
//! It protects nothing and is not meant to: it exists for a few seconds on a drive being erased,
//! and recognising it is the point.

/// The 32-byte password field for the drive with this model and serial.
pub fn temporary_password(model: &str, serial: &str) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"reprise ata security password v1\0");
    h.update(model.trim().as_bytes());
    h.update(b"\0");
    h.update(serial.trim().as_bytes());
    let hex = h.finalize().to_hex();
    let text = format!("reprise{}", &hex.as_str()[..25]);
    let mut out = [0u8; 32];
    out.copy_from_slice(text.as_bytes());
    out
}

/// The 512-byte data of SECURITY SET PASSWORD / UNLOCK / DISABLE PASSWORD / ERASE UNIT: word 0
/// the control bits (bit 0: master password; bit 1: enhanced erase; bit 8: maximum security
/// level), words 1-16 the password.
pub fn security_data(password: &[u8; 32], control: u16) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    b[..2].copy_from_slice(&control.to_le_bytes());
    b[2..34].copy_from_slice(password);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_from_the_drive_and_32_characters() {
        let p = temporary_password("Samsung SSD 860 EVO 500GB ", " S3Z1NB0K123456A");
        let text = String::from_utf8_lossy(&p);
        assert_eq!(text.len(), 32);
        assert!(text.starts_with("reprise"));
        assert!(text[7..].chars().all(|c| c.is_ascii_hexdigit()));
        // Trimmed: the same drive read twice gives the same password.
        assert_eq!(
            p,
            temporary_password("Samsung SSD 860 EVO 500GB", "S3Z1NB0K123456A")
        );
        assert_ne!(
            p,
            temporary_password("Samsung SSD 860 EVO 500GB", "S3Z1NB0K123456B")
        );
        let d = security_data(&p, 2);
        assert_eq!((d[0], d[1]), (2, 0));
        assert_eq!(&d[2..34], &p);
    }
}
