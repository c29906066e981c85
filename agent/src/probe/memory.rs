//! Memory: total usable RAM from `ROOT/proc/meminfo` (modules come from SMBIOS type 17 later).

use super::model::Memory;
use crate::model::Field;
use crate::parse::meminfo::parse_mem_total;
use crate::sys::{SysRoot, fs};

const MEMINFO: &str = "proc/meminfo";

/// Reads the memory summary.
pub fn probe_memory(root: &SysRoot) -> Memory {
    let total = match fs::read_text(root, MEMINFO) {
        Ok(text) => match parse_mem_total(&text) {
            Ok(b) => Field::Known(b),
            Err(why) => Field::Unknown(format!("{MEMINFO}: {why}")),
        },
        Err(why) => Field::Unknown(why),
    };
    Memory {
        total_usable_bytes: total,
        modules: Vec::new(),
    }
}
