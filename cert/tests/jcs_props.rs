//! Property tests: the canonical form is a fixed point that parses back to the same value, keys
//! come out in UTF-16 order, and no input bytes make verification panic.

use proptest::prelude::*;
use reprise_cert::envelope;
use reprise_cert::jcs;
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-(jcs::MAX_SAFE_INTEGER as i64)..=jcs::MAX_SAFE_INTEGER as i64).prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn canonical_form_round_trips_and_is_stable(v in json_value()) {
        let bytes = jcs::canonicalize(&v).unwrap();
        let back = jcs::parse_strict(&bytes).unwrap();
        prop_assert_eq!(&back, &v);
        prop_assert_eq!(jcs::canonicalize(&back).unwrap(), bytes);
    }

    #[test]
    fn object_keys_come_out_in_utf16_order(keys in prop::collection::btree_set(any::<String>(), 0..8)) {
        let v = Value::Object(keys.iter().map(|k| (k.clone(), Value::Null)).collect());
        let bytes = jcs::canonicalize(&v).unwrap();
        // All values are null, so the canonical text is the sorted members joined by commas.
        let mut sorted: Vec<&String> = keys.iter().collect();
        sorted.sort_by_key(|k| k.encode_utf16().collect::<Vec<u16>>());
        let members: Vec<String> = sorted
            .iter()
            .map(|k| {
                let key = jcs::canonicalize(&Value::String((*k).clone())).unwrap();
                format!("{}:null", String::from_utf8(key).unwrap())
            })
            .collect();
        prop_assert_eq!(String::from_utf8(bytes).unwrap(), format!("{{{}}}", members.join(",")));
    }

    #[test]
    fn verify_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        prop_assert!(envelope::verify(&bytes, None).is_err());
    }
}
