//! The refurbishment record: what was installed on a laptop after its sanitization, signed by
//! the same station key in the same envelope as a certificate (`{"certificate": {...},
//! "signature": {...}}`, the content's JCS bytes signed with Ed25519), and linked to the
//! certificate by its digest.
//!
//! A record is told from a certificate by its content's `"kind": "refurbishment"` (a
//! certificate has no `kind`): [`crate::envelope::verify`] refuses a record, [`verify`] refuses
//! a certificate. It belongs to its signer the way a certificate does — `station_key_id` is the
//! signing key — and to one certificate: its `id` is that certificate's id with `-r` appended
//! and `certificate.digest` is the digest of that certificate's content. It takes no sequence
//! number of the station's chain: it annexes a link of the chain rather than adding one, so the
//! chain of certificates, its gaps and its forks read exactly as before records existed.
//!
//! Only a verified install is recorded: `read_back.result` is always "passed" (a failed install
//! leaves no record, and the certificate stands alone).

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::envelope::{SignError, SignatureBlock, Signed, VerifyError, check_signature};
use crate::jcs;
use crate::sign;

/// The content's `kind`.
pub const KIND: &str = "refurbishment";

/// Version of the record's schema.
pub const RECORD_SCHEMA_VERSION: u32 = 1;

/// The signed content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Always [`KIND`].
    pub kind: String,
    pub schema_version: u32,
    /// The certificate's id and `-r`; also the file name (`<id>.json`).
    pub id: String,
    /// RFC 3339 UTC, from the same clock as the certificate's.
    pub issued_at: String,
    /// `sha256:<hex>` of the signing station's raw public key.
    pub station_key_id: String,
    pub certificate: CertificateRef,
    /// The machine, by the identity its certificate states.
    pub machine_serial: Option<String>,
    pub image: ImageRef,
    pub disk: DiskRef,
    /// Raw bytes of the image written, from the disk's first byte.
    pub bytes_written: u64,
    /// From the first byte written to the end of the fix-up, milliseconds.
    pub duration_ms: u64,
    pub write_ms: u64,
    pub readback_ms: u64,
    pub read_back: ReadBack,
    /// The checks done, each with its result ("source_sha256", "read_back_sha256",
    /// "gpt_relocated", "gpt_read_back", "filesystem").
    pub checks: Vec<CheckDone>,
    /// "grown" (ext4, resize2fs), "kept" (another filesystem), "already_full", or "not_grown"
    /// (tried and failed; `filesystem_note` says why).
    pub filesystem: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filesystem_note: Option<String>,
    /// The tool that installed ("reprise 0.1.0").
    pub tool: String,
}

/// The certificate a record follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateRef {
    pub id: String,
    /// `sha256:<hex>` of the certificate's canonical content.
    pub digest: String,
}

/// The image installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRef {
    pub name: String,
    pub version: String,
    /// `sha256:<hex>` of its raw bytes.
    pub sha256: String,
    /// "zstd" or "none".
    pub compression: String,
    /// "server" (with `url`) or "stick" (with `path`).
    pub source: String,
    pub location: String,
}

/// The disk that received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskRef {
    /// The disk's stable id, as the certificate names it.
    pub id: String,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub size_bytes: u64,
}

/// The read-back of the written bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadBack {
    /// Always "passed" in a record.
    pub result: String,
    /// `sha256:<hex>` of the bytes read back from the disk.
    pub sha256: String,
}

/// One check of the install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckDone {
    pub name: String,
    /// "passed", or "not_applicable" for a check that did not apply (no filesystem to grow).
    pub result: String,
}

/// A signed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordEnvelope {
    /// The same member name as a certificate's envelope, so one tool checks both.
    pub certificate: Record,
    pub signature: SignatureBlock,
}

/// A record whose signature and ownership checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRecord {
    pub envelope: RecordEnvelope,
    pub digest: String,
    pub key_id: String,
}

/// Signs `record` into its envelope.
pub fn seal(record: Record, key: &SigningKey) -> Result<RecordEnvelope, SignError> {
    let canonical = jcs::to_canonical(&record).map_err(|source| SignError::Canonical {
        id: record.id.clone(),
        source,
    })?;
    let vk = key.verifying_key();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(RecordEnvelope {
        signature: SignatureBlock {
            algorithm: crate::envelope::ALGORITHM.into(),
            key_id: sign::key_id(&vk),
            public_key: b64.encode(vk.as_bytes()),
            value: b64.encode(sign::sign(key, &canonical)),
        },
        certificate: record,
    })
}

/// The file form: pretty JSON and a final newline.
pub fn to_file_bytes(envelope: &RecordEnvelope) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(envelope).expect("a record always serializes");
    bytes.push(b'\n');
    bytes
}

/// Checks a record read from `bytes`: the signature (as for a certificate), the kind and schema,
/// and that it belongs to its signer and to a certificate of that signer.
pub fn verify(
    bytes: &[u8],
    expected: Option<&VerifyingKey>,
) -> Result<VerifiedRecord, VerifyError> {
    let Signed {
        content,
        block,
        digest,
        key_id,
    } = check_signature(bytes, expected)?;
    if content.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
        return Err(VerifyError::Schema(format!(
            "not a {KIND} record (kind {:?})",
            content.get("kind")
        )));
    }
    let record: Record =
        serde_json::from_value(content).map_err(|e| VerifyError::Schema(e.to_string()))?;
    if record.schema_version != RECORD_SCHEMA_VERSION {
        return Err(VerifyError::Schema(format!(
            "record schema_version {}",
            record.schema_version
        )));
    }
    if record.station_key_id != key_id {
        return Err(VerifyError::StationKeyMismatch {
            stated: record.station_key_id,
            actual: key_id,
        });
    }
    // The certificate it follows is one of its signer's: its id is the signer's id for its
    // sequence number, and the record's id is that id and "-r".
    let sequence = record
        .certificate
        .id
        .rsplit('-')
        .next()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    let expected = record_id(&crate::chain::certificate_id(&key_id, sequence));
    if record.id != expected || record_id(&record.certificate.id) != expected {
        return Err(VerifyError::IdMismatch {
            stated: record.id.clone(),
            expected,
            sequence,
        });
    }
    if record.read_back.result != "passed" {
        return Err(VerifyError::Schema(format!(
            "read_back.result {:?}: only a verified install is recorded",
            record.read_back.result
        )));
    }
    Ok(VerifiedRecord {
        envelope: RecordEnvelope {
            certificate: record,
            signature: block,
        },
        digest,
        key_id,
    })
}

/// The id of the record that follows certificate `certificate_id`.
pub fn record_id(certificate_id: &str) -> String {
    format!("{certificate_id}-r")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn record(key: &SigningKey) -> Record {
        let kid = sign::key_id(&key.verifying_key());
        let cert_id = crate::chain::certificate_id(&kid, 4);
        Record {
            kind: KIND.into(),
            schema_version: RECORD_SCHEMA_VERSION,
            id: record_id(&cert_id),
            issued_at: "2026-12-07T14:00:00Z".into(),
            station_key_id: kid,
            certificate: CertificateRef {
                id: cert_id,
                digest: format!("sha256:{}", "c".repeat(64)),
            },
            machine_serial: Some("PF0ABCD".into()),
            image: ImageRef {
                name: "famille".into(),
                version: "2026.12".into(),
                sha256: format!("sha256:{}", "a".repeat(64)),
                compression: "zstd".into(),
                source: "server".into(),
                location: "http://10.0.5.1:8080/api/v1/images/famille".into(),
            },
            disk: DiskRef {
                id: "nvme:S4EWNX0N123456:1".into(),
                model: Some("Samsung SSD 970".into()),
                serial: Some("S4EWNX0N123456".into()),
                size_bytes: 256_060_514_304,
            },
            bytes_written: 8_589_934_592,
            duration_ms: 61_000,
            write_ms: 40_000,
            readback_ms: 20_000,
            read_back: ReadBack {
                result: "passed".into(),
                sha256: format!("sha256:{}", "a".repeat(64)),
            },
            checks: vec![CheckDone {
                name: "read_back_sha256".into(),
                result: "passed".into(),
            }],
            filesystem: "grown".into(),
            filesystem_note: None,
            tool: "reprise 0.1.0".into(),
        }
    }

    #[test]
    fn a_record_seals_and_verifies_and_is_no_certificate() {
        let k = key();
        let env = seal(record(&k), &k).unwrap();
        let bytes = to_file_bytes(&env);
        let v = verify(&bytes, Some(&k.verifying_key())).unwrap();
        assert_eq!(v.envelope, env);
        assert!(v.digest.starts_with("sha256:"));
        let e = crate::envelope::verify(&bytes, None).unwrap_err();
        assert!(matches!(e, VerifyError::Schema(_)), "{e}");
    }

    #[test]
    fn a_changed_byte_or_another_owner_is_refused() {
        let k = key();
        let env = seal(record(&k), &k).unwrap();
        let text = String::from_utf8(to_file_bytes(&env)).unwrap();
        let altered = text.replace("8589934592", "8589934593");
        assert!(matches!(
            verify(altered.as_bytes(), None),
            Err(VerifyError::BadSignature)
        ));
        // Signed by another key under the first station's ids.
        let other = SigningKey::from_bytes(&[9u8; 32]);
        let mut r = record(&k);
        r.station_key_id = sign::key_id(&other.verifying_key());
        let bytes = to_file_bytes(&seal(r, &other).unwrap());
        assert!(matches!(
            verify(&bytes, None),
            Err(VerifyError::IdMismatch { .. })
        ));
        let mut r = record(&k);
        r.read_back.result = "failed".into();
        let bytes = to_file_bytes(&seal(r, &k).unwrap());
        assert!(matches!(verify(&bytes, None), Err(VerifyError::Schema(_))));
    }
}
