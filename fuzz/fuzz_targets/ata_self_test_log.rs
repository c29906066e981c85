//! Fuzz target: `reprise::parse::ata_smart::parse_self_test_log`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reprise::parse::ata_smart;

/// Checks what must hold of any decoded log: at most the 21 descriptors, no empty one, and a
/// failing LBA of 28 bits at most.
fn check(log: &ata_smart::AtaSelfTestLog) {
    assert!(log.entries.len() <= ata_smart::SELF_TEST_LOG_ENTRIES);
    for e in &log.entries {
        assert!(e.subcommand != 0);
        assert!(e.failing_lba.is_none_or(|l| l <= 0x0FFF_FFFF));
    }
    drop(serde_json::to_string(log).expect("serializable"));
}

fuzz_target!(|data: &[u8]| {
    match ata_smart::parse_self_test_log(data) {
        Ok(log) => check(&log),
        Err(e) => assert!(e.to_string().contains("offset")),
    }
    // Also cut or zero-padded to the sector, so the fuzzer reaches the descriptors without
    // first having to guess the exact length.
    let mut sized = data.to_vec();
    sized.resize(ata_smart::SECTOR_LEN, 0);
    check(&ata_smart::parse_self_test_log(&sized).expect("a 512-byte sector always decodes"));
});
