//! Fuzz target: SMBIOS as a `--dump-bin` file, as the sysfs pair, and as a bare table.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reprise::parse::smbios;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = smbios::parse_dump_bin(data) {
        // Every error must render (it names a structure and an offset).
        assert!(!e.to_string().is_empty());
    }
    let split = data.len().min(0x20);
    let _ = smbios::parse_sysfs(&data[..split], &data[split..]);
    let v = smbios::Version {
        major: 2,
        minor: 6,
        docrev: 0,
    };
    let _ = smbios::parse_table(data, v, None);
});
