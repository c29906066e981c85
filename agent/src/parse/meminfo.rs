//! Parser of `/proc/meminfo`, the one for every reader: the probe's `MemTotal`, the screen's and
//! the RAM check's `MemAvailable`.

/// `MemTotal` in bytes from meminfo text ("MemTotal:       16135216 kB"), or what is wrong.
pub fn parse_mem_total(text: &str) -> Result<u64, String> {
    field(text, "MemTotal")
}

/// The meminfo field `name` in bytes ("MemAvailable:    7523980 kB"), or what is wrong. The
/// first line of that name counts; a value without a unit is taken as bytes.
pub fn field(text: &str, name: &str) -> Result<u64, String> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(':')))
        .ok_or_else(|| format!("no {name} line"))?;
    let mut parts = line.split_whitespace();
    let n: u64 = parts
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("{name} is not a number: {:?}", line.trim()))?;
    let mult = match parts.next() {
        Some("kB") | Some("KB") | Some("kb") => 1024,
        None => 1,
        Some(unit) => return Err(format!("{name} has unknown unit {unit:?}")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("{name} overflows: {n}"))
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

    #[test]
    fn any_field_in_bytes() {
        let text = "MemTotal:  8 kB\nMemAvailable:    7523980 kB\n";
        assert_eq!(field(text, "MemAvailable"), Ok(7_523_980 * 1024));
        assert_eq!(field(text, "MemTotal"), Ok(8192));
        assert_eq!(field(text, "MemFree"), Err("no MemFree line".into()));
        assert!(field("Mem: x kB", "Mem").is_err());
        // A longer name that starts like the one asked for is another field.
        assert!(field("MemTotalX: 1 kB\n", "MemTotal").is_err());
    }

    proptest! {
        #[test]
        fn kib_values_scale_exactly(kib in 0u64..(u64::MAX / 1024)) {
            prop_assert_eq!(parse_mem_total(&format!("MemTotal: {kib} kB\n")), Ok(kib * 1024));
        }

        #[test]
        fn any_text_gives_a_value_or_a_reason(text in ".{0,200}") {
            let _ = parse_mem_total(&text);
            let _ = field(&text, "MemAvailable");
        }
    }
}
