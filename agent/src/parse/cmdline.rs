//! Parser of the kernel command line (`/proc/cmdline`): its words, split the way the kernel
//! splits them ([`params`]), and what Reprise reads from them — how it names the root
//! filesystem ([`root_spec`]), whether a boot loader loaded it ([`has_param`]), the
//! `reprise.KEY=VALUE` settings ([`reprise_settings`]).
//!
//! The kernel's rules (`next_arg` and `parse_args` in lib/cmdline.c and kernel/params.c): words
//! are separated by white space; a double quote opens or closes a quoted stretch in which white
//! space does not separate (`reprise.site="Atelier 2"`); a word is `KEY` or `KEY=VALUE`, split at
//! its first `=`; one pair of quotes around the whole word or around the value is removed, other
//! quotes stay; a bare `--` ends the kernel's part (what follows is for init). The kernel also
//! takes the Latin-1 byte 0xA0 as white space; in UTF-8 text that byte is part of a character,
//! so it is not split here.

/// One word of the kernel command line: `key`, or `key=value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    pub key: &'a str,
    /// `None` for a word without `=`; `Some("")` for `key=`.
    pub value: Option<&'a str>,
}

/// The words of the kernel's part of `cmdline`, in order, as the kernel reads them.
pub fn params(cmdline: &str) -> Params<'_> {
    Params { rest: cmdline }
}

/// Iterator over the words of a kernel command line (see [`params`]).
#[derive(Debug, Clone)]
pub struct Params<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Params<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        let line = self.rest.trim_start_matches(is_space);
        if line.is_empty() {
            self.rest = line;
            return None;
        }
        // A word that opens with a quote starts inside it; the quote is not part of the key.
        let quoted = line.starts_with('"');
        let word = if quoted { &line[1..] } else { line };
        let bytes = word.as_bytes();
        // `equals == 0`: no `=` yet — so, as in the kernel, an `=` as the word's first byte does
        // not split it, and a later one does.
        let (mut in_quote, mut equals, mut end) = (quoted, 0, bytes.len());
        for (i, &b) in bytes.iter().enumerate() {
            if is_space(b as char) && !in_quote {
                end = i;
                break;
            }
            if equals == 0 && b == b'=' {
                equals = i;
            }
            if b == b'"' {
                in_quote = !in_quote;
            }
        }
        self.rest = &word[end..];
        // Every index below is at an ASCII byte (white space, `=`, `"`) or an end, so each slice
        // falls on a character boundary.
        let closing = end > 0 && bytes[end - 1] == b'"';
        let param = match equals {
            0 => Param {
                key: &word[..if quoted && closing { end - 1 } else { end }],
                value: None,
            },
            eq => {
                let mut start = eq + 1;
                let value_quoted = start < end && bytes[start] == b'"';
                if value_quoted {
                    start += 1;
                }
                let stop = if (value_quoted || quoted) && closing {
                    end - 1
                } else {
                    end
                };
                Param {
                    key: &word[..eq],
                    value: Some(&word[start..stop.max(start)]),
                }
            }
        };
        if param.value.is_none() && param.key == "--" {
            self.rest = "";
            return None;
        }
        Some(param)
    }
}

/// The kernel's white space (`isspace` on ASCII, vertical tab included).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// Whether the kernel's part of `cmdline` has the word `key=...` (any value).
pub fn has_param(cmdline: &str, key: &str) -> bool {
    params(cmdline).any(|p| p.key == key && p.value.is_some())
}

/// The value of the last `key=...` of the kernel's part of `cmdline` (the last one wins, as for
/// the kernel's own parameters).
pub fn last_value<'a>(cmdline: &'a str, key: &str) -> Option<&'a str> {
    params(cmdline)
        .filter(|p| p.key == key)
        .filter_map(|p| p.value)
        .last()
}

/// Prefix of Reprise's settings on the kernel command line.
pub const SETTING_PREFIX: &str = "reprise.";

/// Every `reprise.KEY=VALUE` of the kernel's part of `cmdline`, in order, as `(KEY, VALUE)`
/// without the prefix (`reprise.auto=clear` gives `("auto", "clear")`). Repeats are all kept,
/// so that the caller decides (the last one wins, as for `root=`); a `reprise.KEY` without `=`
/// and an empty KEY are not settings.
pub fn reprise_settings(cmdline: &str) -> Vec<(String, String)> {
    params(cmdline)
        .filter_map(|p| Some((p.key.strip_prefix(SETTING_PREFIX)?, p.value?)))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

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

/// What the value of a `root=` names (`last_value(cmdline, "root")`: the last one wins, as in
/// the kernel), if it is one of the forms the kernel knows.
pub fn root_spec(value: &str) -> Option<RootSpec> {
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
            assert_eq!(root_of(line), want, "{line}");
        }
    }

    fn root_of(line: &str) -> Option<RootSpec> {
        root_spec(last_value(line, "root")?)
    }

    fn words(line: &str) -> Vec<(&str, Option<&str>)> {
        params(line).map(|p| (p.key, p.value)).collect()
    }

    #[test]
    fn words_split_like_the_kernel() {
        type Words = &'static [(&'static str, Option<&'static str>)];
        let cases: &[(&str, Words)] = &[
            ("", &[]),
            (" \t\n", &[]),
            (
                "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro quiet\n",
                &[
                    ("BOOT_IMAGE", Some("/boot/vmlinuz")),
                    ("root", Some("/dev/sda1")),
                    ("ro", None),
                    ("quiet", None),
                ],
            ),
            // Quotes group white space into a value and are removed around it.
            (
                "reprise.site=\"Atelier 2\"\tquiet",
                &[("reprise.site", Some("Atelier 2")), ("quiet", None)],
            ),
            // ... or around the whole word.
            (
                "\"reprise.site=Atelier 2\" \"a key\"",
                &[("reprise.site", Some("Atelier 2")), ("a key", None)],
            ),
            // Quotes inside a value stay; they still group.
            ("a=b\"c d\"e f", &[("a", Some("b\"c d\"e")), ("f", None)]),
            // An unclosed quote runs to the end of the line.
            ("a=\"b c", &[("a", Some("b c"))]),
            ("\"a b", &[("a b", None)]),
            // Split at the first `=`; empty values.
            (
                "a=b=c d= e=\"\" f=\"",
                &[
                    ("a", Some("b=c")),
                    ("d", Some("")),
                    ("e", Some("")),
                    ("f", Some("")),
                ],
            ),
            // An `=` as the first byte does not split the word; a later one does.
            ("=x =a=b", &[("=x", None), ("=a", Some("b"))]),
            // `--` ends the kernel's part, quoted or not; `--=x` is a word.
            ("a --=x -- b=c", &[("a", None), ("--", Some("x"))]),
            ("a \"--\" b", &[("a", None)]),
            (
                "a\x0bb\x0cc\rd",
                &[("a", None), ("b", None), ("c", None), ("d", None)],
            ),
            (
                "reprise.operator=\"Zoé Müller\" x=é",
                &[("reprise.operator", Some("Zoé Müller")), ("x", Some("é"))],
            ),
        ];
        for (line, want) in cases {
            assert_eq!(words(line), *want, "{line:?}");
        }
    }

    #[test]
    fn settings_are_the_reprise_words_in_order() {
        let line = "BOOT_IMAGE=/vmlinuz reprise.auto=clear reprise.site=\"Atelier 2\" \
                    reprise.flag reprise.=x other.auto=1 reprise.auto=purge reprise.server= \
                    -- reprise.lang=fr";
        let owned = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            reprise_settings(line),
            owned(&[
                ("auto", "clear"),
                ("site", "Atelier 2"),
                ("auto", "purge"),
                ("server", ""),
            ])
        );
        assert!(reprise_settings("quiet").is_empty());
    }

    #[test]
    fn last_value_and_presence() {
        let line = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet root=\"/dev/sdb 1\" -- root=x";
        assert_eq!(last_value(line, "root"), Some("/dev/sdb 1"));
        assert_eq!(last_value(line, "quiet"), None);
        assert!(has_param(line, "BOOT_IMAGE"));
        assert!(!has_param(line, "quiet"), "a word without `=` has no value");
        assert!(!has_param("-- BOOT_IMAGE=/vmlinuz", "BOOT_IMAGE"));
        assert!(!has_param("BOOT_IMAGEX=/vmlinuz", "BOOT_IMAGE"));
    }

    /// A port of the kernel's own loop (`parse_args` calling `next_arg`, on a NUL-terminated
    /// copy it cuts up in place), to hold [`params`] to it.
    fn kernel_words(line: &str) -> Vec<(String, Option<String>)> {
        let mut a: Vec<u8> = line.bytes().collect();
        a.push(0);
        let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
        let cstr = |a: &[u8], from: usize| {
            let len = a[from..].iter().position(|&b| b == 0).unwrap();
            String::from_utf8(a[from..from + len].to_vec()).unwrap()
        };
        let mut p = 0;
        while space(a[p]) {
            p += 1;
        }
        let mut out = Vec::new();
        while a[p] != 0 {
            let (mut args, mut in_quote, mut quoted, mut equals) = (p, false, false, 0);
            if a[args] == b'"' {
                args += 1;
                in_quote = true;
                quoted = true;
            }
            let mut i = 0;
            while a[args + i] != 0 {
                if space(a[args + i]) && !in_quote {
                    break;
                }
                if equals == 0 && a[args + i] == b'=' {
                    equals = i;
                }
                if a[args + i] == b'"' {
                    in_quote = !in_quote;
                }
                i += 1;
            }
            let mut val = None;
            if equals != 0 {
                a[args + equals] = 0;
                let mut v = args + equals + 1;
                if a[v] == b'"' {
                    v += 1;
                    if a[args + i - 1] == b'"' {
                        a[args + i - 1] = 0;
                    }
                }
                val = Some(v);
            }
            if quoted && i > 0 && a[args + i - 1] == b'"' {
                a[args + i - 1] = 0;
            }
            p = if a[args + i] != 0 {
                a[args + i] = 0;
                args + i + 1
            } else {
                args + i
            };
            while space(a[p]) {
                p += 1;
            }
            let (key, val) = (cstr(&a, args), val.map(|v| cstr(&a, v)));
            if val.is_none() && key == "--" {
                break;
            }
            out.push((key, val));
        }
        out
    }

    proptest! {
        #[test]
        fn same_words_as_the_kernel(line in "[ \t\x0b\"=ab\\-é]{0,40}") {
            let ours: Vec<(String, Option<String>)> = params(&line)
                .map(|p| (p.key.to_owned(), p.value.map(str::to_owned)))
                .collect();
            prop_assert_eq!(ours, kernel_words(&line));
        }

        #[test]
        fn quoted_values_come_back_whole(
            words in proptest::collection::vec(
                ("[a-z][a-z0-9._-]{0,8}", proptest::option::of("[A-Za-z0-9 /.:é-]{0,12}")),
                0..8,
            ),
            sep in "[ \t\n]{1,3}",
        ) {
            let line = words
                .iter()
                .map(|(k, v)| match v {
                    Some(v) => format!("{k}=\"{v}\""),
                    None => k.clone(),
                })
                .collect::<Vec<_>>()
                .join(&sep);
            let got: Vec<(String, Option<String>)> = params(&line)
                .map(|p| (p.key.to_owned(), p.value.map(str::to_owned)))
                .collect();
            prop_assert_eq!(got, words);
        }

        #[test]
        fn any_line_splits_without_panic(text in "(?s).{0,300}") {
            let _ = params(&text).count();
            let _ = reprise_settings(&text);
            let _ = has_param(&text, "BOOT_IMAGE");
            let _ = root_of(&text);
        }

        #[test]
        fn last_root_wins(a in "[a-z0-9]{1,8}", b in "[a-z0-9]{1,8}") {
            let line = format!("ro root=/dev/{a} quiet root=/dev/{b}");
            prop_assert_eq!(root_of(&line), Some(RootSpec::DevPath(b)));
        }
    }
}
