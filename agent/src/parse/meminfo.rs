//! Parser of `/proc/meminfo`: the `MemTotal` line, in bytes.

/// `MemTotal` in bytes from meminfo text ("MemTotal:       16135216 kB"), or what is wrong.
pub fn parse_mem_total(text: &str) -> Result<u64, String> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .ok_or_else(|| "no MemTotal line".to_owned())?;
    let mut parts = line.split_whitespace();
    let n: u64 = parts
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("MemTotal is not a number: {:?}", line.trim()))?;
    let mult = match parts.next() {
        Some("kB") | Some("KB") | Some("kb") => 1024,
        None => 1,
        Some(unit) => return Err(format!("MemTotal has unknown unit {unit:?}")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("MemTotal overflows: {n}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mem_total_in_bytes() {
        assert_eq!(
            parse_mem_total("MemTotal:       16135216 kB\nMemFree: 1 kB\n"),
            Ok(16135216 * 1024)
        );
        assert!(parse_mem_total("MemFree: 1 kB\n").is_err());
        assert!(parse_mem_total("MemTotal: lots kB\n").is_err());
        assert!(parse_mem_total("MemTotal: 18446744073709551615 kB\n").is_err());
        assert_eq!(parse_mem_total("MemTotal: 10\n"), Ok(10));
    }

    proptest! {
        #[test]
        fn kib_values_scale_exactly(kib in 0u64..(u64::MAX / 1024)) {
            prop_assert_eq!(parse_mem_total(&format!("MemTotal: {kib} kB\n")), Ok(kib * 1024));
        }

        #[test]
        fn any_text_gives_a_value_or_a_reason(text in ".{0,200}") {
            let _ = parse_mem_total(&text);
        }
    }
}
