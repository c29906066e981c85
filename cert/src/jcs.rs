//! RFC 8785 JSON Canonicalization Scheme (JCS), restricted to the integer-and-string JSON that
//! certificates hold.
//!
//! Why restricted: JCS serializes numbers the way ECMAScript does, which for integers within
//! ±(2^53 − 1) is the plain decimal form, and for anything else (fractions, exponents, huge
//! integers) needs the ECMAScript double-to-string algorithm, where implementations are known to
//! disagree. Certificates therefore contain no floats and no integer beyond 2^53 − 1 (such
//! counters are decimal strings); this module rejects both with a typed error instead of
//! producing bytes another verifier might not reproduce.
//!
//! Also provided: a strict parser ([`parse_strict`]) that rejects duplicate object keys, because
//! two JSON readers may keep different duplicates and so see different content under one
//! signature.

use std::fmt::Write as _;

use serde::Serialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Largest integer magnitude every JSON implementation represents exactly (I-JSON, RFC 7493).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a value has no canonical form here.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JcsError {
    /// A number with a fraction or exponent, or an integer too large for u64/i64.
    #[error("non-integer number {number} at {path}: certificates hold integers only")]
    Float { path: String, number: String },
    /// An integer whose magnitude exceeds 2^53 − 1.
    #[error("integer {number} at {path} exceeds 2^53 - 1: write it as a decimal string")]
    IntegerOutOfRange { path: String, number: String },
    /// The value could not be turned into JSON at all.
    #[error("cannot serialize value to JSON: {0}")]
    Serialize(String),
}

/// Canonical UTF-8 bytes of `value`.
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, JcsError> {
    let mut out = String::new();
    write_value(value, &mut String::from("$"), &mut out)?;
    Ok(out.into_bytes())
}

/// Canonical UTF-8 bytes of any serializable value (through `serde_json::Value`).
pub fn to_canonical<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, JcsError> {
    let value = serde_json::to_value(value).map_err(|e| JcsError::Serialize(e.to_string()))?;
    canonicalize(&value)
}

fn write_value(value: &Value, path: &mut String, out: &mut String) -> Result<(), JcsError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, path, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let len = path.len();
                let _ = write!(path, "[{i}]");
                write_value(item, path, out)?;
                path.truncate(len);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // RFC 8785 §3.2.3: members sorted by the UTF-16 code units of their names, which
            // differs from Rust's UTF-8 byte order for characters above U+FFFF.
            let mut keys: Vec<(&String, Vec<u16>)> = map
                .keys()
                .map(|k| (k, k.encode_utf16().collect()))
                .collect();
            keys.sort_by(|a, b| a.1.cmp(&b.1));
            out.push('{');
            for (i, (key, _)) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                let len = path.len();
                let _ = write!(path, ".{key}");
                write_value(&map[key.as_str()], path, out)?;
                path.truncate(len);
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_number(n: &Number, path: &str, out: &mut String) -> Result<(), JcsError> {
    let magnitude = if let Some(u) = n.as_u64() {
        Some(u)
    } else {
        n.as_i64().map(|i| i.unsigned_abs())
    };
    match magnitude {
        None => Err(JcsError::Float {
            path: path.to_string(),
            number: n.to_string(),
        }),
        Some(m) if m > MAX_SAFE_INTEGER => Err(JcsError::IntegerOutOfRange {
            path: path.to_string(),
            number: n.to_string(),
        }),
        Some(_) => {
            // serde_json prints integers in plain decimal, which is ECMAScript's form for safe
            // integers ("-0" cannot occur: it parses as a float and is rejected above).
            out.push_str(&n.to_string());
            Ok(())
        }
    }
}

/// JCS string escaping (ECMAScript `JSON.stringify`): `"` and `\` escaped, the short forms for
/// \b \t \n \f \r, `\u00xx` (lower-case hex) for other controls, everything else literal.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Why [`parse_strict`] refused its input.
#[derive(Debug, thiserror::Error)]
#[error("invalid JSON")]
pub struct ParseError(#[from] serde_json::Error);

/// Parses JSON like `serde_json::from_slice::<Value>`, but rejects an object that repeats a key.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Seed that builds a `Value` and fails on duplicate keys at any depth.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            let value = map.next_value_seed(StrictValue)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(json: &str) -> Result<String, JcsError> {
        let v = parse_strict(json.as_bytes()).expect("test input parses");
        canonicalize(&v).map(|b| String::from_utf8(b).expect("utf-8"))
    }

    #[test]
    fn rfc8785_sorting_example_without_numbers() {
        // RFC 8785 §3.2.3, with the values replaced by strings (the RFC's are floats).
        let input = r#"{
          "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
            \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
            \"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canon(input).unwrap(), expected);
    }

    #[test]
    fn rfc8785_string_and_literal_example() {
        // RFC 8785 §3.2.2 example minus its "numbers" member.
        let input = r#"{
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        let expected = "{\"literals\":[null,true,false],\"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        assert_eq!(canon(input).unwrap(), expected);
    }

    #[test]
    fn rfc8785_nested_structures_with_integers() {
        // RFC 8785 §3.2.3 ("1" < "10" < "d") with an integer array member.
        let input = r#"{ "1": {"f": {"f": "hi","F": 5} ,"\n": 56}, "10": { }, "": "empty",
            "a": { }, "111": [ {"e": "yes","E": "no" } ], "A": { } }"#;
        let expected = r#"{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{},"a":{}}"#;
        assert_eq!(canon(input).unwrap(), expected);
    }

    #[test]
    fn control_characters_use_lowercase_unicode_escapes() {
        assert_eq!(
            canon(r#"["\u001f\u0000\u007f\u2028\b\f\t"]"#).unwrap(),
            "[\"\\u001f\\u0000\u{7f}\u{2028}\\b\\f\\t\"]"
        );
    }

    #[test]
    fn integers_at_the_limits() {
        assert_eq!(
            canon("[9007199254740991,-9007199254740991,0,-1]").unwrap(),
            "[9007199254740991,-9007199254740991,0,-1]"
        );
        assert!(matches!(
            canon("[9007199254740992]"),
            Err(JcsError::IntegerOutOfRange { .. })
        ));
        assert!(
            matches!(canon("{\"a\":[-9007199254740992]}"), Err(JcsError::IntegerOutOfRange { path, .. }) if path == "$.a[0]")
        );
        assert!(matches!(
            canon("[18446744073709551615]"),
            Err(JcsError::IntegerOutOfRange { .. })
        ));
    }

    #[test]
    fn floats_are_rejected_with_their_path() {
        for f in ["1.5", "1.0", "1e3", "-0", "0.0", "18446744073709551616"] {
            let err = canon(&format!("{{\"x\":{{\"y\":{f}}}}}")).unwrap_err();
            assert!(
                matches!(&err, JcsError::Float { path, .. } if path == "$.x.y"),
                "{f}: {err}"
            );
        }
    }

    #[test]
    fn duplicate_keys_are_rejected_at_any_depth() {
        assert!(parse_strict(br#"{"a":1,"a":2}"#).is_err());
        assert!(parse_strict(br#"{"x":[{"b":1,"c":{"d":1,"d":1}}]}"#).is_err());
        assert!(parse_strict(br#"{"a":1,"b":{"a":2}}"#).is_ok());
        assert!(parse_strict(br#"{"a":1} x"#).is_err());
    }

    #[test]
    fn canonical_form_is_a_fixed_point() {
        let input = r#"{"z":[1,{"b":"\u00e9","a":null}],"y":"\ud834\udd1e"}"#;
        let once = canon(input).unwrap();
        assert_eq!(canon(&once).unwrap(), once);
    }
}
