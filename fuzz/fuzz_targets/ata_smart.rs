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
    // Both sectors cut or zero-padded to 512 bytes: always decodes.
    let mut sized = data.to_vec();
    sized.resize(1024, 0);
    let s = ata_smart::parse_smart(&sized[..512], Some(&sized[512..]), MediaHint::Unknown)
        .expect("two 512-byte sectors always decode");
    assert_eq!(s.health.passed, s.health.failing_prefail.is_empty());
    drop(serde_json::to_string(&s).expect("serializable"));
});
