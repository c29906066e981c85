//! Parser of the live CPU load the operator's screen shows: the aggregate `cpu` line of
//! `/proc/stat` (its memory figures come from `parse::meminfo`).

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
    fn stat_cpu_counts_idle_and_iowait_as_not_busy() {
        let text = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(stat_cpu(text), Some((150, 1000)));
        assert_eq!(stat_cpu("cpu0 1 2 3 4\n"), None);
        assert_eq!(stat_cpu("cpu  1 2\n"), None);
    }

    proptest! {
        #[test]
        fn any_text_is_a_value_or_none(text in ".{0,200}") {
            let _ = stat_cpu(&text);
        }
    }
}
