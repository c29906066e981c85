//! Fuzz target: `reprise::parse::nvme::parse_identify_namespace`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reprise::parse::nvme;

fuzz_target!(|data: &[u8]| {
    match nvme::parse_identify_namespace(data) {
        // The JSON form must hold: 128-bit counters as strings.
        Ok(v) => drop(serde_json::to_string(&v).expect("serializable")),
        Err(e) => assert!(e.to_string().contains("offset")),
    }
});
