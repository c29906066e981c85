//! JSON forms shared by the parsers: every field wider than 53 bits (64- and 128-bit fields) is
//! serialized as a decimal string, always — whatever its value — so that reports and
//! certificates hold no integer beyond 2^53 − 1 and every RFC 8785 implementation agrees.
//! Fields of 53 bits or fewer (e.g. a 48-bit ATA sector count) stay numbers.

use serde::Serializer;

/// A 64-bit field as a decimal string.
pub fn u64_string<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

/// An optional 64-bit field as a decimal string or `null`.
pub fn opt_u64_string<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&v.to_string()),
        None => s.serialize_none(),
    }
}

/// An optional 128-bit field as a decimal string or `null`.
pub fn opt_u128_string<S: Serializer>(v: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&v.to_string()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct T {
        #[serde(serialize_with = "super::u64_string")]
        a: u64,
        #[serde(serialize_with = "super::opt_u128_string")]
        b: Option<u128>,
    }

    #[test]
    fn wide_fields_are_strings() {
        let t = T {
            a: 1,
            b: Some(u128::MAX),
        };
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"a":"1","b":"340282366920938463463374607431768211455"}"#
        );
    }
}
