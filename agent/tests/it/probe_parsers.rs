//! Property tests of the probe's pure computations over what the parsers return: no input
//! panics, and what they return keeps its promises. (Each parser of `parse/` has its own
//! properties next to it.)

use proptest::prelude::*;
use reprise::model::Field;
use reprise::parse::cpuinfo::parse_cpuinfo;
use reprise::probe::cpu::summarize;
use reprise::probe::disks::transport_from_path;
use reprise::probe::power::health_permille;

proptest! {
    #[test]
    fn cpu_summary_never_panics(text in ".{0,600}", sys in proptest::collection::vec((0u32..4, 0u32..64), 0..8)) {
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
    fn transport_never_panics(name in ".{0,20}", path in ".{0,200}") {
        let _ = transport_from_path(&name, &path);
    }

    #[test]
    fn health_never_panics(d in any::<u64>(), f in any::<u64>()) {
        let h = health_permille(&Field::Known(d), &Field::Known(f));
        prop_assert_eq!(d == 0, matches!(h, Field::Unknown(_)));
    }
}
