//! Parsers of the live figures the operator's screen shows: a `/proc/meminfo` field and the
//! aggregate `cpu` line of `/proc/stat`.

/// A `/proc/meminfo` field in bytes ("MemAvailable:  7523980 kB").
pub fn meminfo_field(text: &str, field: &str) -> Option<u64> {
    let line = text.lines().find_map(|l| {
        l.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
    })?;
    let mut parts = line.split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") | Some("KB") | Some("kb") => n.checked_mul(1024),
        None => Some(n),
        Some(_) => None,
    }
}

/// The aggregate `cpu` line of `/proc/stat` as (busy, total) jiffies: load is the share of busy
/// time between two readings (idle and iowait are not busy).
pub fn stat_cpu(text: &str) -> Option<(u64, u64)> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    if values.len() < 4 {
        return None;
    }
    // guest and guest_nice (9th, 10th) are already counted in user and nice.
    let total: u64 = values
        .iter()
        .take(8)
        .fold(0u64, |a, v| a.saturating_add(*v));
    let idle = values[3].saturating_add(values.get(4).copied().unwrap_or(0));
    Some((total.saturating_sub(idle), total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn meminfo_fields_in_bytes() {
        let text = "MemTotal:  8 kB\nMemAvailable:    7523980 kB\n";
        assert_eq!(meminfo_field(text, "MemAvailable"), Some(7_523_980 * 1024));
        assert_eq!(meminfo_field(text, "MemTotal"), Some(8192));
        assert_eq!(meminfo_field(text, "MemFree"), None);
        assert_eq!(meminfo_field("Mem: x kB", "Mem"), None);
    }

    #[test]
    fn stat_cpu_counts_idle_and_iowait_as_not_busy() {
        let text = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(stat_cpu(text), Some((150, 1000)));
        assert_eq!(stat_cpu("cpu0 1 2 3 4\n"), None);
        assert_eq!(stat_cpu("cpu  1 2\n"), None);
    }

    proptest! {
        #[test]
        fn any_text_is_a_value_or_none(text in ".{0,200}") {
            let _ = meminfo_field(&text, "MemAvailable");
            let _ = stat_cpu(&text);
        }
    }
}
