//! Fuzz target: ATA SMART READ DATA with READ THRESHOLDS (the input split at byte 512).
#![no_main]

use libfuzzer_sys::fuzz_target;
use reprise::parse::ata_smart::{self, MediaHint};

fuzz_target!(|data: &[u8]| {
    let (d, t) = data.split_at(data.len().min(512));
    for media in [MediaHint::Ssd, MediaHint::Hdd, MediaHint::Unknown] {
        match ata_smart::parse_smart(d, Some(t), media) {
            Ok(s) => assert!(s.attributes.len() <= 30),
            Err(e) => assert!(e.to_string().contains("offset")),
        }
    }
    let _ = ata_smart::parse_smart(d, None, MediaHint::Unknown);
});
