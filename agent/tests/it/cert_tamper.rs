//! Tampering: any change to a certificate's content, or a wrong key, makes verification fail.

use base64::Engine as _;
use reprise::cert::envelope::{self, VerifyError};
use reprise::cert::issue::issue_certificate;
use reprise::cert::model::Language;
use reprise::cert::sign;
use serde_json::Value;

use crate::support::certs;

fn issued() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = issue_certificate(
        certs::inputs("wipe-failed.json", Language::En, "2026-11-26T10:00:00.000Z"),
        &certs::test_key(),
        dir.path(),
    )
    .unwrap();
    std::fs::read(path).unwrap()
}

/// Every leaf of `v` as a JSON pointer.
fn leaves(v: &Value, pointer: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| {
            leaves(
                v,
                format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")),
                out,
            )
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| leaves(v, format!("{pointer}/{i}"), out)),
        _ => out.push(pointer),
    }
}

#[test]
fn the_untouched_certificate_verifies() {
    envelope::verify(&issued(), None).unwrap();
}

#[test]
fn changing_any_leaf_value_breaks_the_signature() {
    let original: Value = serde_json::from_slice(&issued()).unwrap();
    let mut pointers = Vec::new();
    leaves(
        &original["certificate"],
        "/certificate".into(),
        &mut pointers,
    );
    assert!(pointers.len() > 100, "only {} leaves", pointers.len());
    for p in &pointers {
        let mut v = original.clone();
        let leaf = v.pointer_mut(p).unwrap();
        *leaf = match leaf.take() {
            Value::String(s) => Value::String(format!("{s}x")),
            Value::Number(n) => Value::from(n.as_u64().unwrap() + 1),
            Value::Bool(b) => Value::Bool(!b),
            Value::Null => Value::String("0".into()),
            other => panic!("not a leaf: {other}"),
        };
        let bytes = serde_json::to_vec(&v).unwrap();
        let err = envelope::verify(&bytes, None).expect_err(p);
        assert!(matches!(err, VerifyError::BadSignature), "{p}: {err}");
    }
}

#[test]
fn adding_removing_or_renaming_a_member_breaks_the_signature() {
    let original: Value = serde_json::from_slice(&issued()).unwrap();
    let mut v = original.clone();
    v["certificate"]["note"] = Value::String("added later".into());
    assert!(matches!(
        envelope::verify(&serde_json::to_vec(&v).unwrap(), None),
        Err(VerifyError::BadSignature)
    ));
    let mut v = original.clone();
    v["certificate"].as_object_mut().unwrap().remove("verdict");
    assert!(matches!(
        envelope::verify(&serde_json::to_vec(&v).unwrap(), None),
        Err(VerifyError::BadSignature)
    ));
    let mut v = original.clone();
    v["certificate"]["sanitization"]
        .as_array_mut()
        .unwrap()
        .clear();
    assert!(matches!(
        envelope::verify(&serde_json::to_vec(&v).unwrap(), None),
        Err(VerifyError::BadSignature)
    ));
    // Unsigned data next to the certificate is refused too.
    let mut v = original.clone();
    v["comment"] = Value::String("x".into());
    assert!(matches!(
        envelope::verify(&serde_json::to_vec(&v).unwrap(), None),
        Err(VerifyError::Malformed(_))
    ));
}

#[test]
fn flipping_any_single_byte_of_the_file_fails() {
    let bytes = issued();
    let mut checked = 0;
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x20] {
            let mut b = bytes.clone();
            b[i] ^= mask;
            assert!(
                envelope::verify(&b, None).is_err(),
                "byte {i} ({:?}) ^ {mask:#x} still verifies",
                bytes[i] as char
            );
            checked += 1;
        }
    }
    assert!(checked > 8000, "{checked}");
}

#[test]
fn a_duplicate_key_is_refused_even_with_a_valid_signature() {
    // The signed value is the last one; a reader keeping the first would see "Forged".
    let text = String::from_utf8(issued()).unwrap();
    let forged = text.replacen(
        "\"operator\":",
        "\"operator\": \"Forged\",\n      \"operator\":",
        1,
    );
    assert_ne!(forged, text);
    assert!(matches!(
        envelope::verify(forged.as_bytes(), None),
        Err(VerifyError::Json(_))
    ));
}

#[test]
fn wrong_key_fails() {
    let bytes = issued();
    let other = sign::generate().unwrap();
    let err = envelope::verify(&bytes, Some(&other.verifying_key())).unwrap_err();
    assert!(matches!(err, VerifyError::UnexpectedKey { .. }), "{err}");

    // Swap in another public key (and its matching key id): the signature no longer matches.
    let mut v: Value = serde_json::from_slice(&bytes).unwrap();
    let vk = other.verifying_key();
    v["signature"]["public_key"] =
        Value::String(base64::engine::general_purpose::STANDARD.encode(vk.as_bytes()));
    v["signature"]["key_id"] = Value::String(sign::key_id(&vk));
    let err = envelope::verify(&serde_json::to_vec(&v).unwrap(), None).unwrap_err();
    assert!(matches!(err, VerifyError::BadSignature), "{err}");

    // A key id that does not belong to the public key is refused.
    let mut v: Value = serde_json::from_slice(&bytes).unwrap();
    v["signature"]["key_id"] = Value::String(sign::key_id(&vk));
    assert!(matches!(
        envelope::verify(&serde_json::to_vec(&v).unwrap(), None),
        Err(VerifyError::KeyIdMismatch { .. })
    ));
}

#[test]
fn re_signing_with_another_key_is_caught_by_the_station_id() {
    // An attacker re-signs altered content with their own key: the signature is valid, but the
    // certificate names the station key it claims to come from.
    let bytes = issued();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    let cert: reprise::cert::model::Certificate =
        serde_json::from_value(v["certificate"].clone()).unwrap();
    let forged = envelope::seal(cert, &sign::generate().unwrap()).unwrap();
    let err = envelope::verify(&envelope::to_file_bytes(&forged), None).unwrap_err();
    assert!(
        matches!(err, VerifyError::StationKeyMismatch { .. }),
        "{err}"
    );
}

#[test]
fn an_id_belongs_to_its_signer() {
    // Another station's key signs a certificate under this station's id (chain key honest, id
    // borrowed): refused, so that nobody can take the ids of another station.
    let v: Value = serde_json::from_slice(&issued()).unwrap();
    let mut cert: reprise::cert::model::Certificate =
        serde_json::from_value(v["certificate"].clone()).unwrap();
    let other = sign::generate().unwrap();
    cert.chain.station_key_id = sign::key_id(&other.verifying_key());
    let borrowed = cert.id.clone();
    let forged = envelope::seal(cert.clone(), &other).unwrap();
    let err = envelope::verify(&envelope::to_file_bytes(&forged), None).unwrap_err();
    assert!(
        matches!(&err, VerifyError::IdMismatch { stated, .. } if *stated == borrowed),
        "{err}"
    );
    // The same content under the signer's own id for that sequence is fine.
    cert.id = reprise::cert::build::certificate_id(&cert.chain.station_key_id, cert.chain.sequence);
    let own = envelope::seal(cert, &other).unwrap();
    envelope::verify(&envelope::to_file_bytes(&own), None).unwrap();
}

#[test]
fn signature_block_damage_is_named() {
    let original: Value = serde_json::from_slice(&issued()).unwrap();
    let cases: [(&str, Value); 4] = [
        ("algorithm", Value::String("RSA".into())),
        ("public_key", Value::String("AAAA".into())),
        ("value", Value::String("not base64!".into())),
        (
            "value",
            Value::String(base64::engine::general_purpose::STANDARD.encode([0u8; 64])),
        ),
    ];
    for (field, value) in cases {
        let mut v = original.clone();
        v["signature"][field] = value;
        let err = envelope::verify(&serde_json::to_vec(&v).unwrap(), None).unwrap_err();
        let expected = match field {
            "algorithm" => matches!(err, VerifyError::Algorithm(_)),
            "public_key" => matches!(err, VerifyError::PublicKeyEncoding(_)),
            _ => matches!(
                err,
                VerifyError::SignatureEncoding(_) | VerifyError::BadSignature
            ),
        };
        assert!(expected, "{field}: {err}");
    }
    for bad in [
        &b""[..],
        b"[]",
        b"{}",
        b"{\"certificate\":1,\"signature\":{}}",
        b"\xff\xfe",
    ] {
        assert!(envelope::verify(bad, None).is_err());
    }
}

#[test]
fn content_beyond_2_pow_53_is_refused_at_issue_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = certs::inputs("wipe-passed.json", Language::En, "2026-11-26T10:00:00.000Z");
    inputs.wipe.devices[0].bytes_written = 1 << 53;
    let err = issue_certificate(inputs, &certs::test_key(), dir.path()).unwrap_err();
    let text = reprise::model::error_chain(&err);
    assert!(
        text.contains("$.sanitization[0].bytes_written") && text.contains("2^53"),
        "{text}"
    );
    assert!(certs::json_files(dir.path()).is_empty(), "nothing written");
}

#[test]
fn a_signed_float_is_refused_by_verify() {
    // Content signed over a float could not be reproduced by every JCS implementation: refused
    // even though the signature (over serde_json's rendering) would match.
    let key = certs::test_key();
    let original: Value = serde_json::from_slice(&issued()).unwrap();
    let mut content = original["certificate"].clone();
    content["schema_version"] = serde_json::json!(1.5);
    let payload = serde_json::to_vec(&content).unwrap();
    let sig = sign::sign(&key, &payload);
    let mut v = original.clone();
    v["certificate"] = content;
    v["signature"]["value"] = Value::String(base64::engine::general_purpose::STANDARD.encode(sig));
    let err = envelope::verify(&serde_json::to_vec(&v).unwrap(), None).unwrap_err();
    assert!(matches!(err, VerifyError::Canonical(_)), "{err}");
}
