//! Parser of the IDENTIFY DEVICE words libata shows in `ata_device/devN.M/id` (256 words as
//! 4-digit hex), and the ATA strings (model, serial, firmware) they hold.

/// The 256 IDENTIFY DEVICE words of an ATA device as libata prints them in
/// `ata_device/devN.M/id` (4 hex digits per word, 8 words per line).
pub fn parse_ata_id_text(text: &str) -> Option<Vec<u16>> {
    let words: Option<Vec<u16>> = text
        .split_whitespace()
        .map(|w| {
            if w.len() == 4 {
                u16::from_str_radix(w, 16).ok()
            } else {
                None
            }
        })
        .collect();
    words.filter(|w| w.len() == 256)
}

/// An ATA string of IDENTIFY words `range` (two characters per word, high byte first),
/// trimmed; None when blank or not ASCII.
pub fn ata_id_string(words: &[u16], range: std::ops::Range<usize>) -> Option<String> {
    let bytes: Vec<u8> = words
        .get(range)?
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    if !bytes
        .iter()
        .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == 0)
    {
        return None;
    }
    let text: String = bytes
        .iter()
        .filter(|b| **b != 0)
        .map(|b| char::from(*b))
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Model, serial and firmware revision in IDENTIFY DEVICE (ACS-3 words 27-46, 10-19, 23-26).
pub fn ata_identity(words: &[u16]) -> (Option<String>, Option<String>, Option<String>) {
    (
        ata_id_string(words, 27..47),
        ata_id_string(words, 10..20),
        ata_id_string(words, 23..27),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ata_identify_strings_from_the_corpus() {
        // An Intel 320 Series SSD's IDENTIFY DEVICE (shared corpus), printed as libata does.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/corpus/ata/INTEL_SSDSA2CW120G3--4PC10302.identify.bin"
        );
        let bytes = std::fs::read(path).expect("corpus fixture present");
        let words: Vec<u16> = bytes
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let text: String = words
            .iter()
            .enumerate()
            .map(|(i, w)| format!("{w:04x}{}", if (i + 1) % 8 == 0 { '\n' } else { ' ' }))
            .collect();
        let parsed = parse_ata_id_text(&text).unwrap();
        assert_eq!(parsed, words);
        let (model, serial, fw) = ata_identity(&parsed);
        assert_eq!(model.as_deref(), Some("INTEL SSDSA2CW120G3"));
        assert_eq!(serial.as_deref(), Some("CVPR109301UZ120LGN"));
        assert_eq!(fw.as_deref(), Some("4PC10302"));
        assert_eq!(parse_ata_id_text("0040 3fff"), None);
        assert_eq!(parse_ata_id_text(&text.replacen("0040", "zz40", 1)), None);
        assert_eq!(ata_id_string(&[0x2020, 0x2020], 0..2), None);
        assert_eq!(ata_id_string(&[0xff41], 0..1), None);
        assert_eq!(ata_id_string(&[0x4142], 0..9), None);
    }

    proptest! {
        #[test]
        fn id_text_round_trips(words in prop::collection::vec(any::<u16>(), 0..300)) {
            let text: String = words.iter().map(|w| format!("{w:04x} ")).collect();
            let parsed = parse_ata_id_text(&text);
            prop_assert_eq!(parsed.is_some(), words.len() == 256);
            if let Some(p) = parsed {
                prop_assert_eq!(p, words);
            }
        }

        #[test]
        fn identity_strings_are_clean(words in prop::collection::vec(any::<u16>(), 0..300)) {
            let (m, s, f) = ata_identity(&words);
            for v in [m, s, f].into_iter().flatten() {
                prop_assert!(!v.is_empty() && v.is_ascii());
                prop_assert_eq!(v.trim(), v.as_str());
            }
        }

        #[test]
        fn id_text_never_panics(text in ".{0,300}") {
            let _ = parse_ata_id_text(&text);
        }
    }
}
