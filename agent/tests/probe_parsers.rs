//! Property tests of the probe's pure parsers of untrusted text and bytes: no input panics,
//! and what they return keeps its promises.

use proptest::prelude::*;
use reprise::probe::cpu::{parse_cpuinfo, summarize, x86_64_level};
use reprise::probe::disks::{
    ata_identity, ata_model_from_wwid, natural_key, parse_ata_id_text, parse_cmdline_root,
    parse_vpd_pg80, serial_from_wwid, transport_from_path,
};
use reprise::probe::memory::parse_mem_total;
use reprise::probe::model::Field;
use reprise::probe::power::health_permille;

proptest! {
    #[test]
    fn cpuinfo_never_panics(text in ".{0,600}", sys in proptest::collection::vec((0u32..4, 0u32..64), 0..8)) {
        let blocks = parse_cpuinfo(&text);
        let cpu = summarize(&blocks, Ok(sys.clone()), Field::Unknown("x".into()));
        if let Field::Known(n) = cpu.threads {
            prop_assert_eq!(n as usize, blocks.len());
        }
        if !sys.is_empty() {
            prop_assert!(matches!(cpu.physical_cores, Field::Known(c) if c as usize <= sys.len()));
        }
    }

    #[test]
    fn level_is_at_most_four(flags in proptest::collection::btree_set("[a-z0-9_]{1,10}", 0..60)) {
        let set = flags.iter().map(String::as_str).collect();
        prop_assert!(x86_64_level(&set) <= 4);
    }

    #[test]
    fn meminfo_never_panics(text in ".{0,300}") {
        let _ = parse_mem_total(&text);
    }

    #[test]
    fn vpd_pages_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Some(s) = parse_vpd_pg80(&bytes) {
            prop_assert!(!s.is_empty());
            prop_assert!(s.chars().all(|c| c.is_ascii_graphic() || c == ' '));
            prop_assert_eq!(s.trim(), s.as_str());
        }
    }

    #[test]
    fn text_parsers_never_panic(text in ".{0,200}") {
        let _ = parse_cmdline_root(&text);
        let _ = serial_from_wwid(&text);
        let _ = ata_model_from_wwid(&text);
        let _ = natural_key(&text);
        let _ = transport_from_path(&text, &text);
        if let Some(words) = parse_ata_id_text(&text) {
            prop_assert_eq!(words.len(), 256);
        }
    }

    #[test]
    fn ata_identify_words_never_panic(words in proptest::collection::vec(any::<u16>(), 0..300)) {
        let (m, s, f) = ata_identity(&words);
        for v in [m, s, f].into_iter().flatten() {
            prop_assert!(!v.is_empty() && v.is_ascii());
        }
        let text: String = words.iter().map(|w| format!("{w:04x} ")).collect();
        prop_assert_eq!(parse_ata_id_text(&text).is_some(), words.len() == 256);
    }

    #[test]
    fn health_never_panics(d in any::<u64>(), f in any::<u64>()) {
        let h = health_permille(&Field::Known(d), &Field::Known(f));
        prop_assert_eq!(d == 0, matches!(h, Field::Unknown(_)));
    }
}
