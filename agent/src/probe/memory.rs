//! Memory: total usable RAM from `ROOT/proc/meminfo` (modules come from SMBIOS type 17 later).

use super::model::{Field, Memory};
use crate::sys::{SysRoot, fs};

const MEMINFO: &str = "proc/meminfo";

/// `MemTotal` in bytes from meminfo text ("MemTotal:       16135216 kB").
pub fn parse_mem_total(text: &str) -> Result<u64, String> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .ok_or_else(|| format!("{MEMINFO}: no MemTotal line"))?;
    let mut parts = line.split_whitespace();
    let n: u64 = parts
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("{MEMINFO}: MemTotal is not a number: {:?}", line.trim()))?;
    let mult = match parts.next() {
        Some("kB") | Some("KB") | Some("kb") => 1024,
        None => 1,
        Some(unit) => return Err(format!("{MEMINFO}: MemTotal has unknown unit {unit:?}")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("{MEMINFO}: MemTotal overflows: {n}"))
}

/// Reads the memory summary.
pub fn probe_memory(root: &SysRoot) -> Memory {
    let total = match fs::read_text(root, MEMINFO) {
        Ok(text) => match parse_mem_total(&text) {
            Ok(b) => Field::Known(b),
            Err(why) => Field::Unknown(why),
        },
        Err(why) => Field::Unknown(why),
    };
    Memory {
        total_usable_bytes: total,
        modules: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_total_in_bytes() {
        assert_eq!(
            parse_mem_total("MemTotal:       16135216 kB\nMemFree: 1 kB\n"),
            Ok(16135216 * 1024)
        );
        assert!(parse_mem_total("MemFree: 1 kB\n").is_err());
        assert!(parse_mem_total("MemTotal: lots kB\n").is_err());
        assert!(parse_mem_total("MemTotal: 18446744073709551615 kB\n").is_err());
    }
}
