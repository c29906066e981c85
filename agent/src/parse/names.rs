//! Kernel block-device names: which are virtual, which are eMMC hardware partitions, and their
//! natural order (nvme0n1p2 before nvme0n1p10).

/// Whether a kernel block device name is virtual (not a disk a laptop carries): loop, ram,
/// zram, device-mapper, md RAID, network block devices.
pub fn is_virtual(name: &str) -> bool {
    ["loop", "ram", "zram", "dm-", "md", "nbd"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Whether `name` is an eMMC hardware partition (`mmcblk0boot0`, `mmcblk0rpmb`): part of the
/// eMMC `mmcblkN` (small, usually force-read-only boot areas), so it is not listed as a disk of
/// its own unless everything is asked for.
pub fn is_mmc_hw_partition(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("mmcblk") else {
        return false;
    };
    let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    digits.len() < rest.len()
        && (digits == "rpmb"
            || digits
                .strip_prefix("boot")
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())))
}

/// Orders kernel names naturally: numbers compare as numbers (nvme0n1p2 < nvme0n1p10).
pub fn natural_key(name: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut num = String::new();
    for c in name.chars() {
        if c.is_ascii_digit() {
            num.push(c);
        } else {
            if !num.is_empty() {
                out.push((std::mem::take(&mut text), num.parse().unwrap_or(u64::MAX)));
                num.clear();
            }
            text.push(c);
        }
    }
    out.push((text, num.parse().unwrap_or(0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn virtual_and_mmc_hardware_partitions() {
        for n in ["loop0", "ram1", "zram0", "dm-3", "md127", "nbd0"] {
            assert!(is_virtual(n), "{n}");
        }
        for n in ["sda", "nvme0n1", "mmcblk0", "vda", "sr0"] {
            assert!(!is_virtual(n), "{n}");
        }
        assert!(is_mmc_hw_partition("mmcblk0boot0"));
        assert!(is_mmc_hw_partition("mmcblk1boot1"));
        assert!(is_mmc_hw_partition("mmcblk0rpmb"));
        assert!(!is_mmc_hw_partition("mmcblk0"));
        assert!(!is_mmc_hw_partition("mmcblk0p1"));
        assert!(!is_mmc_hw_partition("mmcblkboot0"));
    }

    #[test]
    fn natural_order() {
        let mut v = vec![
            "sdb",
            "nvme0n1p10",
            "sda",
            "nvme0n1p2",
            "nvme10n1",
            "nvme2n1",
        ];
        v.sort_by_key(|n| natural_key(n));
        assert_eq!(
            v,
            [
                "nvme0n1p2",
                "nvme0n1p10",
                "nvme2n1",
                "nvme10n1",
                "sda",
                "sdb"
            ]
        );
    }

    proptest! {
        #[test]
        fn natural_order_sorts_numbers_as_numbers(a in 0u64..100_000, b in 0u64..100_000) {
            let (x, y) = (format!("sd{a}"), format!("sd{b}"));
            prop_assert_eq!(natural_key(&x).cmp(&natural_key(&y)), a.cmp(&b));
        }

        #[test]
        fn any_name_classifies_without_panic(name in ".{0,40}") {
            let _ = (is_virtual(&name), is_mmc_hw_partition(&name), natural_key(&name));
        }
    }
}
