//! Parser of `/proc/self/mountinfo`: which block device (major:minor) is mounted where.
//!
//! Used both by the probe (to report mount points) and by the write guard (to refuse a device
//! with a mounted filesystem), so both agree on what "mounted" means.

/// One line of mountinfo (see proc(5)); only the fields Reprise needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Device number of the mounted filesystem (`st_dev`), e.g. (8, 1) for sda1.
    pub major: u32,
    pub minor: u32,
    /// Where it is mounted, with the kernel's octal escapes (`\040` for space) decoded.
    pub mount_point: String,
    pub fs_type: String,
    /// Mount source as the kernel names it ("/dev/sda1", "tmpfs", "none").
    pub source: String,
}

/// Parses a whole mountinfo file. Lines that do not follow the format are skipped, not fatal:
/// one odd line must not hide the others from the write guard.
pub fn parse(text: &str) -> Vec<MountEntry> {
    text.lines().filter_map(parse_line).collect()
}

/// One line of `/proc/mounts` (fstab format): source and mount point, without device number.
/// The fallback when mountinfo cannot be read (very old kernels, odd containers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountsEntry {
    pub source: String,
    pub mount_point: String,
}

/// Parses `/proc/mounts`; lines with fewer than two fields are skipped.
pub fn parse_mounts(text: &str) -> Vec<MountsEntry> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some(MountsEntry {
                source: unescape(f.next()?),
                mount_point: unescape(f.next()?),
            })
        })
        .collect()
}

/// Parses one line: `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`.
pub fn parse_line(line: &str) -> Option<MountEntry> {
    let (left, right) = line.split_once(" - ")?;
    let mut fields = left.split(' ');
    let _mount_id = fields.next()?;
    let _parent_id = fields.next()?;
    let (major, minor) = fields.next()?.split_once(':')?;
    let _root = fields.next()?;
    let mount_point = unescape(fields.next()?);
    let mut right = right.split(' ');
    let fs_type = right.next()?.to_owned();
    let source = unescape(right.next()?);
    Some(MountEntry {
        major: major.parse().ok()?,
        minor: minor.parse().ok()?,
        mount_point,
        fs_type,
        source,
    })
}

/// Decodes the `\ooo` octal escapes the kernel uses for space, tab, newline and backslash.
pub fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() {
            let oct = &bytes[i + 1..i + 4];
            if oct.iter().all(|b| (b'0'..=b'7').contains(b)) {
                let v = (oct[0] - b'0') as u32 * 64
                    + (oct[1] - b'0') as u32 * 8
                    + (oct[2] - b'0') as u32;
                if let Ok(b) = u8::try_from(v) {
                    out.push(b);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_proc5_example() {
        let e = parse_line(
            "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue",
        )
        .unwrap();
        assert_eq!((e.major, e.minor), (98, 0));
        assert_eq!(e.mount_point, "/mnt2");
        assert_eq!(e.fs_type, "ext3");
        assert_eq!(e.source, "/dev/root");
    }

    #[test]
    fn no_optional_fields_and_escaped_spaces() {
        let e = parse_line("40 30 8:17 / /media/REPRISE\\040DATA rw,relatime - vfat /dev/sdb1 rw")
            .unwrap();
        assert_eq!((e.major, e.minor), (8, 17));
        assert_eq!(e.mount_point, "/media/REPRISE DATA");
    }

    #[test]
    fn garbage_lines_are_skipped() {
        let text = "garbage\n\n22 1 0:21 / /proc rw - proc proc rw\n1 2 x:y / / - a b\n";
        let all = parse(text);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].mount_point, "/proc");
    }

    #[test]
    fn proc_mounts_fallback() {
        let m = parse_mounts("/dev/sdb1 /media/REPRISE\\040DATA vfat rw 0 0\nlonely\n");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].source, "/dev/sdb1");
        assert_eq!(m[0].mount_point, "/media/REPRISE DATA");
    }

    proptest! {
        #[test]
        fn any_text_parses_without_panic(text in ".{0,400}") {
            for e in parse(&text) {
                prop_assert!(!e.mount_point.contains('\n'));
            }
            let _ = parse_mounts(&text);
        }

        #[test]
        fn well_formed_lines_parse(major in 0u32..4096, minor in 0u32..1_000_000, mp in "/[a-z]{1,12}") {
            let line = format!("36 35 {major}:{minor} / {mp} rw - ext4 /dev/x rw");
            let e = parse_line(&line).unwrap();
            prop_assert_eq!((e.major, e.minor), (major, minor));
            prop_assert_eq!(e.mount_point, mp);
        }

        #[test]
        fn unescape_is_identity_without_backslash(s in "[^\\\\]{0,60}") {
            prop_assert_eq!(unescape(&s), s);
        }
    }

    #[test]
    fn trailing_backslash_does_not_panic() {
        assert_eq!(unescape("a\\"), "a\\");
        assert_eq!(unescape("a\\04"), "a\\04");
        assert_eq!(unescape("\\134"), "\\");
    }
}
