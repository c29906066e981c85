//! Parser of `/proc/swaps`: the devices in use as swap.

/// The paths of the active swap areas (first column, header line skipped): "/dev/sda2",
/// "/swapfile". Paths keep the kernel's octal escapes decoded.
pub fn parse(text: &str) -> Vec<String> {
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(super::mountinfo::unescape)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn devices_and_files() {
        let text = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n\
                    /dev/sda2                               partition\t8388604\t\t0\t\t-2\n\
                    /swap\\040file                            file\t\t1024\t\t0\t\t-3\n";
        assert_eq!(parse(text), ["/dev/sda2", "/swap file"]);
        assert!(parse("Filename Type\n").is_empty());
        assert!(parse("").is_empty());
    }

    proptest! {
        #[test]
        fn one_entry_per_non_blank_line(lines in prop::collection::vec("[ -~]{0,40}", 0..20)) {
            let text = format!("header\n{}", lines.join("\n"));
            let n = lines.iter().filter(|l| !l.trim().is_empty()).count();
            prop_assert_eq!(parse(&text).len(), n);
        }
    }
}
