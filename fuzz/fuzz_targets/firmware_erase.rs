//! Fuzz target: what drives answer about firmware erases and hidden areas (DEVICE CONFIGURATION
//! IDENTIFY, SCSI REPORT SUPPORTED OPERATION CODES, SANITIZE sense data, ATA SANITIZE status).
#![no_main]

use libfuzzer_sys::fuzz_target;
use reprise::parse::erase;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = erase::parse_dco_identify(data) {
        assert!(d.max_lba > 0);
        drop(serde_json::to_string(&d).expect("serializable"));
    }
    let _ = erase::opcode_support(data);
    let _ = erase::scsi_sanitize_sense(data);
    if data.len() >= 10 {
        let count = u16::from_le_bytes([data[0], data[1]]);
        let lba = u64::from_le_bytes(data[2..10].try_into().expect("8 bytes"));
        let s = erase::ata_sanitize_status(count, lba);
        assert_eq!(u64::from(s.progress), lba & 0xffff);
        drop(erase::ata_sanitize_error(lba).describe());
    }
});
