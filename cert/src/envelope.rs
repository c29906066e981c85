//! The signed envelope (DESIGN §6): `{"certificate": {...}, "signature": {...}}`, how it is made
//! and how it is checked.
//!
//! Verification works on the bytes as received: the `certificate` member is parsed strictly
//! (duplicate keys refused), canonicalized (JCS) and checked against the signature; only then is
//! it read into the typed [`Certificate`]. Unknown members of the envelope or of the signature
//! block are refused: nothing unsigned may ride along.
//!
//! A valid signature is not enough: the certificate must also belong to its signer. Its
//! `chain.station_key_id` must be the signing key, and its `id` must be
//! [`certificate_id`]`(signing key id, chain.sequence)`. Without the second rule any key could
//! sign a certificate under another station's id — a collector that keeps one certificate per
//! id would then refuse that station's genuine certificate as a conflict.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::jcs::{self, JcsError};
use super::model::{Certificate, SCHEMA_VERSION, SUPPORTED_SCHEMA_VERSIONS};
use super::sign;
use super::sign::certificate_id;

/// The only signature algorithm.
pub const ALGORITHM: &str = "Ed25519";

/// A certificate with its signature, as stored and exchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub certificate: Certificate,
    pub signature: SignatureBlock,
}

/// The `signature` member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureBlock {
    /// Always "Ed25519".
    pub algorithm: String,
    /// `sha256:<hex of the 32-byte raw public key>`.
    pub key_id: String,
    /// Base64 (standard, padded) of the 32-byte raw public key.
    pub public_key: String,
    /// Base64 (standard, padded) of the 64-byte signature.
    pub value: String,
}

/// Why an envelope could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("certificate {id} has no canonical form")]
    Canonical { id: String, source: JcsError },
}

/// Why an envelope is not valid. Each variant is one reason an auditor can act on.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("not JSON, or a duplicate key: {0}")]
    Json(String),
    #[error("envelope malformed: {0}")]
    Malformed(String),
    #[error("unsupported signature algorithm {0:?} (expected Ed25519)")]
    Algorithm(String),
    #[error("public_key is not base64 of 32 bytes: {0}")]
    PublicKeyEncoding(String),
    #[error("public_key is not a valid Ed25519 point")]
    PublicKeyInvalid,
    #[error("key_id {stated} does not match the public key (its id is {actual})")]
    KeyIdMismatch { stated: String, actual: String },
    #[error("signed by key {actual}, expected key {expected}")]
    UnexpectedKey { expected: String, actual: String },
    #[error("signature value is not base64 of 64 bytes: {0}")]
    SignatureEncoding(String),
    #[error("certificate has no canonical form")]
    Canonical(#[from] JcsError),
    #[error("signature does not match the certificate content (altered content or wrong key)")]
    BadSignature,
    #[error("signed content is not a schema {SCHEMA_VERSION} certificate: {0}")]
    Schema(String),
    #[error("certificate.chain.station_key_id {stated} differs from the signing key {actual}")]
    StationKeyMismatch { stated: String, actual: String },
    #[error(
        "certificate id {stated} is not its signer's: the signing key's certificate number \
         {sequence} is {expected}"
    )]
    IdMismatch {
        stated: String,
        expected: String,
        sequence: u64,
    },
}

/// A certificate whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub envelope: Envelope,
    /// `sha256:<hex>` of the canonical bytes of the certificate content (chain links, QR code).
    pub digest: String,
    pub key_id: String,
}

/// `sha256:<hex>` of the canonical form of a certificate's content.
pub fn certificate_digest(cert: &Certificate) -> Result<String, JcsError> {
    Ok(sign::sha256_digest(&jcs::to_canonical(cert)?))
}

/// Signs `cert` into an envelope.
pub fn seal(cert: Certificate, key: &SigningKey) -> Result<Envelope, SignError> {
    let canonical = jcs::to_canonical(&cert).map_err(|source| SignError::Canonical {
        id: cert.id.clone(),
        source,
    })?;
    let vk = key.verifying_key();
    let signature = sign::sign(key, &canonical);
    Ok(Envelope {
        certificate: cert,
        signature: SignatureBlock {
            algorithm: ALGORITHM.into(),
            key_id: sign::key_id(&vk),
            public_key: BASE64.encode(vk.as_bytes()),
            value: BASE64.encode(signature),
        },
    })
}

/// The file form of an envelope: pretty JSON plus a final newline (the signature covers the
/// canonical form of `certificate`, so the layout of the file does not matter).
pub fn to_file_bytes(envelope: &Envelope) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(envelope).expect("an envelope always serializes");
    bytes.push(b'\n');
    bytes
}

/// An envelope whose signature checked out, its content not yet read into a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The `certificate` member, as received.
    pub content: Value,
    pub block: SignatureBlock,
    /// `sha256:<hex>` of the content's canonical bytes.
    pub digest: String,
    /// The signing key's id.
    pub key_id: String,
}

/// The checks every signed document of Reprise shares (a certificate, a refurbishment record):
/// the envelope's shape, the key and its id, the Ed25519 signature over the canonical content;
/// with `expected`, also that this key signed it.
pub fn check_signature(
    bytes: &[u8],
    expected: Option<&VerifyingKey>,
) -> Result<Signed, VerifyError> {
    let value = jcs::parse_strict(bytes).map_err(|e| VerifyError::Json(crate::error_chain(&e)))?;
    let Value::Object(mut top) = value else {
        return Err(VerifyError::Malformed("top level is not an object".into()));
    };
    if let Some(extra) = top
        .keys()
        .find(|k| *k != "certificate" && *k != "signature")
    {
        return Err(VerifyError::Malformed(format!(
            "unexpected member {extra:?}"
        )));
    }
    let content = top
        .remove("certificate")
        .ok_or_else(|| VerifyError::Malformed("no certificate member".into()))?;
    let sig_value = top
        .remove("signature")
        .ok_or_else(|| VerifyError::Malformed("no signature member".into()))?;
    if !content.is_object() {
        return Err(VerifyError::Malformed(
            "certificate is not an object".into(),
        ));
    }
    let block: SignatureBlock = serde_json::from_value(sig_value)
        .map_err(|e| VerifyError::Malformed(format!("signature: {e}")))?;
    if block.algorithm != ALGORITHM {
        return Err(VerifyError::Algorithm(block.algorithm));
    }
    let pk_bytes = BASE64
        .decode(&block.public_key)
        .map_err(|e| VerifyError::PublicKeyEncoding(e.to_string()))?;
    let pk_bytes: [u8; 32] = pk_bytes
        .try_into()
        .map_err(|v: Vec<u8>| VerifyError::PublicKeyEncoding(format!("{} bytes", v.len())))?;
    let vk = VerifyingKey::from_bytes(&pk_bytes).map_err(|_| VerifyError::PublicKeyInvalid)?;
    let actual = sign::key_id(&vk);
    if block.key_id != actual {
        return Err(VerifyError::KeyIdMismatch {
            stated: block.key_id,
            actual,
        });
    }
    if let Some(expected) = expected
        && expected != &vk
    {
        return Err(VerifyError::UnexpectedKey {
            expected: sign::key_id(expected),
            actual,
        });
    }
    let sig_bytes = BASE64
        .decode(&block.value)
        .map_err(|e| VerifyError::SignatureEncoding(e.to_string()))?;
    let sig_bytes: [u8; 64] = sig_bytes
        .try_into()
        .map_err(|v: Vec<u8>| VerifyError::SignatureEncoding(format!("{} bytes", v.len())))?;
    let canonical = jcs::canonicalize(&content)?;
    // verify_strict also refuses small-order keys and non-canonical signatures (malleability).
    vk.verify_strict(&canonical, &Signature::from_bytes(&sig_bytes))
        .map_err(|_| VerifyError::BadSignature)?;
    Ok(Signed {
        digest: sign::sha256_digest(&canonical),
        key_id: actual,
        content,
        block,
    })
}

/// Checks an envelope read from `bytes`; with `expected`, also that this key signed it.
///
/// `Ok` means: the signature is valid for the canonical content, the content is a certificate
/// of a supported schema, and it belongs to its signer (`chain.station_key_id` is the signing
/// key and `id` is [`certificate_id`] of that key and `chain.sequence`).
pub fn verify(bytes: &[u8], expected: Option<&VerifyingKey>) -> Result<Verified, VerifyError> {
    let Signed {
        content,
        block,
        digest,
        key_id: actual,
    } = check_signature(bytes, expected)?;
    // Another signed document of the station (a refurbishment record) is not a certificate.
    if let Some(kind) = content.get("kind") {
        return Err(VerifyError::Schema(format!(
            "a document of kind {kind}, not a certificate"
        )));
    }
    let certificate: Certificate =
        serde_json::from_value(content).map_err(|e| VerifyError::Schema(e.to_string()))?;
    if !SUPPORTED_SCHEMA_VERSIONS.contains(&certificate.schema_version) {
        return Err(VerifyError::Schema(format!(
            "schema_version {}",
            certificate.schema_version
        )));
    }
    if certificate.chain.station_key_id != actual {
        return Err(VerifyError::StationKeyMismatch {
            stated: certificate.chain.station_key_id,
            actual,
        });
    }
    let expected_id = certificate_id(&actual, certificate.chain.sequence);
    if certificate.id != expected_id {
        return Err(VerifyError::IdMismatch {
            stated: certificate.id,
            expected: expected_id,
            sequence: certificate.chain.sequence,
        });
    }
    Ok(Verified {
        digest,
        key_id: actual,
        envelope: Envelope {
            certificate,
            signature: block,
        },
    })
}
