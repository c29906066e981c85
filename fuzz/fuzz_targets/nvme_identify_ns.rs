//! Fuzz target: `reprise::parse::nvme::parse_identify_namespace`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reprise::parse::nvme;

/// The structure's size: every input is also decoded cut or zero-padded to it, so the fuzzer
/// reaches the field decoders without first having to guess the exact length.
const LEN: usize = 4096;

fuzz_target!(|data: &[u8]| {
    match nvme::parse_identify_namespace(data) {
        // The JSON form must hold: wide counters as strings.
        Ok(v) => drop(serde_json::to_string(&v).expect("serializable")),
        Err(e) => assert!(e.to_string().contains("offset")),
    }
    let mut sized = data.to_vec();
    sized.resize(LEN, 0);
    let v = nvme::parse_identify_namespace(&sized)
        .expect("a structure of the right size always decodes");
    drop(serde_json::to_string(&v).expect("serializable"));
});
