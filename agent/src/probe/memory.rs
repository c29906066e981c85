//! Memory: total usable RAM from `ROOT/proc/meminfo`, modules and slots from SMBIOS.

use super::model::Memory;
use crate::model::Field;
use crate::parse::meminfo::parse_mem_total;
use crate::sys::{SysRoot, fs};

const MEMINFO: &str = "proc/meminfo";

/// Reads the memory summary (`smbios`: the table, read once by the probe).
pub fn probe_memory(
    root: &SysRoot,
    smbios: &Result<crate::parse::smbios::Smbios, String>,
) -> Memory {
    let total = match fs::read_text(root, MEMINFO) {
        Ok(text) => match parse_mem_total(&text) {
            Ok(b) => Field::Known(b),
            Err(why) => Field::Unknown(format!("{MEMINFO}: {why}")),
        },
        Err(why) => Field::Unknown(why),
    };
    let (modules, slots, smbios) = super::firmware::memory(smbios);
    Memory {
        total_usable_bytes: total,
        modules,
        slots,
        smbios,
    }
}
