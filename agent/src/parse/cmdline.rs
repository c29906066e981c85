//! Parser of the kernel command line (`/proc/cmdline`): how it names the root filesystem.

/// How the kernel command line names the root filesystem (`root=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootSpec {
    /// `root=/dev/X` (X may be a link such as `mapper/vg-root` or `disk/by-uuid/...`).
    DevPath(String),
    /// `root=UUID=...` (filesystem UUID).
    Uuid(String),
    /// `root=PARTUUID=...` (GPT/MBR partition UUID).
    PartUuid(String),
    /// `root=LABEL=...` (filesystem label).
    Label(String),
    /// `root=PARTLABEL=...` (GPT partition name).
    PartLabel(String),
    /// `root=MAJ:MIN`.
    DevNum(u32, u32),
}

/// The `KEY=VALUE` words of a kernel command line, in order (`(word, "")` for a word without
/// `=`), split as the kernel splits them: on white space, with double quotes grouping a value that
/// holds spaces (`"reprise.site=Lycee Jean Moulin"`); `--` ends the kernel's part.
pub fn words(cmdline: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = cmdline.trim_start();
    while !rest.is_empty() {
        // A word ends at white space outside double quotes.
        let mut quoted = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c.is_whitespace() && !quoted
            })
            .map_or(rest.len(), |(i, _)| i);
        let word = &rest[..end];
        rest = rest[end..].trim_start();
        if word == "--" {
            break;
        }
        let (key, value) = word.split_once('=').unwrap_or((word, ""));
        out.push((key.trim_matches('"'), value.trim_matches('"')));
    }
    out
}

/// The `root=` of a kernel command line, if any (the last one wins, as in the kernel).
pub fn parse_cmdline_root(cmdline: &str) -> Option<RootSpec> {
    let value = cmdline
        .split_whitespace()
        .take_while(|t| *t != "--")
        .filter_map(|t| t.strip_prefix("root="))
        .last()?;
    let spec = if let Some(v) = value.strip_prefix("UUID=") {
        RootSpec::Uuid(v.to_owned())
    } else if let Some(v) = value.strip_prefix("PARTUUID=") {
        RootSpec::PartUuid(v.to_owned())
    } else if let Some(v) = value.strip_prefix("LABEL=") {
        RootSpec::Label(v.to_owned())
    } else if let Some(v) = value.strip_prefix("PARTLABEL=") {
        RootSpec::PartLabel(v.to_owned())
    } else if let Some(v) = value.strip_prefix("/dev/") {
        RootSpec::DevPath(v.to_owned())
    } else if let Some((a, b)) = value.split_once(':') {
        RootSpec::DevNum(a.parse().ok()?, b.parse().ok()?)
    } else {
        return None;
    };
    Some(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cmdline_root_forms() {
        use RootSpec::*;
        let cases = [
            (
                "BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 ro quiet",
                Some(DevPath("nvme0n1p2".into())),
            ),
            ("root=UUID=0b1c-22 ro", Some(Uuid("0b1c-22".into()))),
            (
                "root=PARTUUID=6c2b4a1e-02",
                Some(PartUuid("6c2b4a1e-02".into())),
            ),
            ("root=LABEL=root", Some(Label("root".into()))),
            ("root=PARTLABEL=linux", Some(PartLabel("linux".into()))),
            ("root=8:2", Some(DevNum(8, 2))),
            (
                "root=/dev/sda1 root=/dev/sdb1",
                Some(DevPath("sdb1".into())),
            ),
            ("boot=live quiet", None),
            ("quiet -- root=/dev/sda1", None),
            ("root=garbage", None),
        ];
        for (line, want) in cases {
            assert_eq!(parse_cmdline_root(line), want, "{line}");
        }
    }

    proptest! {
        #[test]
        fn last_root_wins(a in "[a-z0-9]{1,8}", b in "[a-z0-9]{1,8}") {
            let line = format!("ro root=/dev/{a} quiet root=/dev/{b}");
            prop_assert_eq!(parse_cmdline_root(&line), Some(RootSpec::DevPath(b)));
        }

        #[test]
        fn any_line_parses_without_panic(text in ".{0,300}") {
            let _ = parse_cmdline_root(&text);
        }
    }
}
