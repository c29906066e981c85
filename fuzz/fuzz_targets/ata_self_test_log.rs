//! Fuzz target: `reprise::parse::ata_smart::parse_self_test_log`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reprise::parse::ata_smart;

fuzz_target!(|data: &[u8]| {
    match ata_smart::parse_self_test_log(data) {
        Ok(log) => {
            // At most the 21 descriptors, and a failing LBA only on a failed test.
            assert!(log.entries.len() <= ata_smart::SELF_TEST_LOG_ENTRIES);
            for e in &log.entries {
                assert!(e.failing_lba.is_none_or(|l| l <= 0x0FFF_FFFF));
            }
            drop(serde_json::to_string(&log).expect("serializable"));
        }
        Err(e) => assert!(e.to_string().contains("offset")),
    }
});
