//! Fuzz target: ATA IDENTIFY DEVICE data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reprise::parse::ata;

fn check(data: &[u8]) {
    match ata::parse_identify(data) {
        Ok(id) => {
            if id.sector_sizes_plausible {
                assert!(id.logical_sector_size >= 512);
                assert!(id.physical_sector_size >= id.logical_sector_size);
            }
            drop(serde_json::to_string(&id).expect("serializable"));
        }
        Err(e) => assert!(e.to_string().contains("offset")),
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    // Also cut or zero-padded to 512 bytes, so the field decoders are reached at once.
    let mut sized = data.to_vec();
    sized.resize(512, 0);
    check(&sized);
});
