//! Parsers of what the kernel's SCSI layer shows of a disk: VPD page 0x80 (unit serial number)
//! and the T10 vendor-identification form of `wwid`.

/// Serial number in a SCSI VPD page 0x80 (Unit Serial Number): 4-byte header (peripheral,
/// page code 0x80, big-endian length), then ASCII, often space-padded.
pub fn parse_vpd_pg80(bytes: &[u8]) -> Option<String> {
    if bytes.len() < 4 || bytes[1] != 0x80 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    let body = &bytes[4..bytes.len().min(4 + len)];
    let text: String = body
        .iter()
        .filter(|b| b.is_ascii_graphic() || **b == b' ')
        .map(|b| char::from(*b))
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Serial number from a SCSI `wwid` of the T10 vendor-identification form
/// ("t10.ATA     Samsung SSD 860 EVO 500GB   S3Z1NB0K123456A": vendor, model, serial). Other
/// forms (naa., eui.) are world-wide names, not serials.
pub fn serial_from_wwid(wwid: &str) -> Option<String> {
    let rest = wwid.trim().strip_prefix("t10.")?;
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    // vendor, at least one model word, serial
    (tokens.len() >= 3).then(|| tokens[tokens.len() - 1].to_owned())
}

/// Full ATA model from a libata `wwid` ("t10.ATA     " + 40-byte model + serial). The SCSI
/// `model` attribute holds only the first 16 bytes of it ("Samsung SSD 860 "), because SCSI
/// INQUIRY has room for no more; the operator and the certificate need the whole name.
pub fn ata_model_from_wwid(wwid: &str) -> Option<String> {
    let rest = wwid.trim().strip_prefix("t10.ATA")?;
    let mut words: Vec<&str> = rest.split_whitespace().collect();
    words.pop()?; // the serial
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vpd_pg80_serials() {
        let mut page = vec![0x00, 0x80, 0x00, 0x14];
        page.extend_from_slice(b"     S3Z1NB0K123456A");
        assert_eq!(parse_vpd_pg80(&page).as_deref(), Some("S3Z1NB0K123456A"));
        // Length larger than the data: take what is there.
        assert_eq!(
            parse_vpd_pg80(&[0, 0x80, 0xff, 0xff, b'A']).as_deref(),
            Some("A")
        );
        assert_eq!(parse_vpd_pg80(&[0, 0x83, 0, 1, b'A']), None);
        assert_eq!(parse_vpd_pg80(&[0, 0x80, 0, 4, b' ', 0, b' ', b' ']), None);
        assert_eq!(parse_vpd_pg80(&[0, 0x80]), None);
    }

    #[test]
    fn wwid_serials() {
        assert_eq!(
            serial_from_wwid(
                "t10.ATA     Samsung SSD 860 EVO 500GB               S3Z1NB0K123456A\n"
            )
            .as_deref(),
            Some("S3Z1NB0K123456A")
        );
        assert_eq!(serial_from_wwid("naa.5000c500a1b2c3d4"), None);
        assert_eq!(serial_from_wwid("t10.ATA"), None);
        assert_eq!(
            ata_model_from_wwid("t10.ATA     Samsung SSD 860 EVO 500GB               S3Z1NB0K1\n")
                .as_deref(),
            Some("Samsung SSD 860 EVO 500GB")
        );
        assert_eq!(ata_model_from_wwid("t10.SanDisk Cruzer 1234"), None);
        assert_eq!(ata_model_from_wwid("t10.ATA     S3Z1"), None);
    }

    proptest! {
        #[test]
        fn vpd_pages_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            if let Some(s) = parse_vpd_pg80(&bytes) {
                prop_assert!(!s.is_empty());
                prop_assert!(s.chars().all(|c| c.is_ascii_graphic() || c == ' '));
                prop_assert_eq!(s.trim(), s.as_str());
            }
        }

        #[test]
        fn wwid_serial_is_the_last_word(vendor in "[A-Z]{1,8}", model in "[A-Za-z0-9 ]{1,30}", serial in "[A-Z0-9]{1,20}") {
            prop_assume!(!model.trim().is_empty());
            let wwid = format!("t10.{vendor} {model} {serial}");
            prop_assert_eq!(serial_from_wwid(&wwid), Some(serial));
        }

        #[test]
        fn wwid_text_never_panics(text in ".{0,200}") {
            let _ = serial_from_wwid(&text);
            let _ = ata_model_from_wwid(&text);
        }
    }
}
