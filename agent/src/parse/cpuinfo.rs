//! Parser of `/proc/cpuinfo` (blocks of `key : value` lines) and the x86-64 micro-architecture
//! level its flags reach.

use std::collections::BTreeSet;

/// One `processor` block of /proc/cpuinfo, as (key, value) pairs in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuinfoBlock(pub Vec<(String, String)>);

impl CpuinfoBlock {
    /// Value of `key` (keys are compared after trimming the tab padding).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits /proc/cpuinfo into blocks separated by blank lines; lines without ':' are ignored.
pub fn parse_cpuinfo(text: &str) -> Vec<CpuinfoBlock> {
    let mut blocks = Vec::new();
    let mut cur = CpuinfoBlock::default();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.0.is_empty() {
                blocks.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            cur.0.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    if !cur.0.is_empty() {
        blocks.push(cur);
    }
    blocks
}

/// Flags a CPU must have for each x86-64 micro-architecture level (x86-64 psABI, §3.1.1), as
/// Linux names them in /proc/cpuinfo. v1 is the AMD64 baseline (`lm` = long mode; `syscall` is
/// SCE; OSFXSR is implied by `fxsr` under Linux). v3's LZCNT is reported as `abm`; OSXSAVE is not
/// listed by Linux, `xsave` stands for it.
pub const LEVEL_FLAGS: [&[&str]; 4] = [
    &[
        "lm", "cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2",
    ],
    &["cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"],
    &[
        "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave",
    ],
    &["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"],
];

/// x86-64 level (1 to 4) the flags reach; 0 when even the baseline is missing.
pub fn x86_64_level(flags: &BTreeSet<&str>) -> u8 {
    let mut level = 0;
    for (i, needed) in LEVEL_FLAGS.iter().enumerate() {
        if needed.iter().all(|f| flags.contains(f)) {
            level = i as u8 + 1;
        } else {
            break;
        }
    }
    level
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn flags(s: &str) -> BTreeSet<&str> {
        s.split_whitespace().collect()
    }

    const V1: &str = "fpu cx8 cmov mmx fxsr sse sse2 syscall lm";
    const V2: &str = "cx16 lahf_lm popcnt sse4_1 sse4_2 ssse3";
    const V3: &str = "avx avx2 bmi1 bmi2 f16c fma abm movbe xsave";
    const V4: &str = "avx512f avx512bw avx512cd avx512dq avx512vl";

    #[test]
    fn levels_follow_the_psabi() {
        assert_eq!(x86_64_level(&flags("fpu sse sse2")), 0);
        assert_eq!(x86_64_level(&flags(V1)), 1);
        assert_eq!(x86_64_level(&flags(&format!("{V1} {V2}"))), 2);
        assert_eq!(x86_64_level(&flags(&format!("{V1} {V2} {V3}"))), 3);
        assert_eq!(x86_64_level(&flags(&format!("{V1} {V2} {V3} {V4}"))), 4);
        // A level is reached only when all lower levels are: AVX-512 without v2 stays v1.
        assert_eq!(x86_64_level(&flags(&format!("{V1} {V3} {V4}"))), 1);
        // Missing LZCNT (abm) keeps a Haswell-like CPU at v2.
        let no_abm = V3.replace("abm", "");
        assert_eq!(x86_64_level(&flags(&format!("{V1} {V2} {no_abm}"))), 2);
    }

    #[test]
    fn blocks_split_on_blank_lines() {
        let b = parse_cpuinfo("processor\t: 0\nflags\t: fpu sse\n\n\nprocessor\t: 1\nnoise\n");
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].get("flags"), Some("fpu sse"));
        assert_eq!(b[1].get("processor"), Some("1"));
        assert_eq!(b[1].get("noise"), None);
    }

    proptest! {
        #[test]
        fn any_text_parses_without_panic(text in ".{0,400}") {
            for b in parse_cpuinfo(&text) {
                prop_assert!(!b.0.is_empty());
            }
        }

        #[test]
        fn level_is_monotonic_in_flags(extra in prop::collection::vec("[a-z0-9_]{1,8}", 0..20)) {
            let all = LEVEL_FLAGS.concat();
            let mut more: BTreeSet<&str> = all.iter().copied().collect();
            let base = x86_64_level(&more);
            prop_assert_eq!(base, 4);
            for e in &extra {
                more.insert(e.as_str());
            }
            prop_assert_eq!(x86_64_level(&more), 4);
        }
    }
}
