//! Station keys (Ed25519): PEM encoding (PKCS#8 private, SPKI public), key ids, signing.
//!
//! PEM because `openssl pkeyutl -verify -rawin -pubin -inkey station.pub` must check a
//! certificate with no Reprise code. The private key is written as PKCS#8 v1 (RFC 8410, no
//! embedded public key) — the form every OpenSSL 1.1.1+ reads.

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, KeypairBytes};
use ed25519_dalek::pkcs8::{DecodePublicKey, EncodePublicKey};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Why a key could not be made, read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot get random bytes for a new key: {0}")]
    Random(String),
    #[error("{source_name}: not an Ed25519 PKCS#8 PEM private key: {message}")]
    DecodePrivate {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: not an Ed25519 SPKI PEM public key: {message}")]
    DecodePublic {
        source_name: String,
        message: String,
    },
    #[error("cannot encode key as PEM: {0}")]
    Encode(String),
}

/// A new random signing key (OS randomness).
pub fn generate() -> Result<SigningKey, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// PKCS#8 v1 PEM of the private key.
pub fn private_key_pem(key: &SigningKey) -> Result<String, KeyError> {
    let bytes = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    let pem = bytes
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Encode(e.to_string()))?;
    Ok(pem.as_str().to_owned())
}

/// SPKI PEM of the public key.
pub fn public_key_pem(key: &VerifyingKey) -> Result<String, KeyError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError::Encode(e.to_string()))
}

/// Reads a PKCS#8 PEM private key; `source_name` (a path) only labels errors.
pub fn signing_key_from_pem(pem: &str, source_name: &str) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| KeyError::DecodePrivate {
        source_name: source_name.into(),
        message: e.to_string(),
    })
}

/// Reads an SPKI PEM public key; `source_name` (a path) only labels errors.
pub fn verifying_key_from_pem(pem: &str, source_name: &str) -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_public_key_pem(pem).map_err(|e| KeyError::DecodePublic {
        source_name: source_name.into(),
        message: e.to_string(),
    })
}

/// `sha256:<hex>` of the raw 32-byte public key: the station's fingerprint.
pub fn key_id(key: &VerifyingKey) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(key.as_bytes())))
}

/// `sha256:<hex>` of arbitrary bytes (certificate digests).
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Ed25519 signature of `message` (deterministic: same key and bytes, same signature).
pub fn sign(key: &SigningKey, message: &[u8]) -> [u8; 64] {
    key.sign(message).to_bytes()
}

/// The id of a station's certificate number `sequence`: the first 16 hex digits of the station
/// key id, a dash, the sequence on 8 digits (`f8889d3b4fd36bcb-00000001`). An id belongs to its
/// signer: [`crate::envelope::verify`] refuses a certificate whose id is not this function of
/// its own signing key and sequence, so no key can claim the ids of another station.
pub fn certificate_id(station_key_id: &str, sequence: u64) -> String {
    let hex = station_key_id
        .strip_prefix("sha256:")
        .unwrap_or(station_key_id);
    let prefix: String = hex.chars().take(16).collect();
    format!("{prefix}-{sequence:08}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_and_key_id() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let pem = private_key_pem(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        assert_eq!(
            signing_key_from_pem(&pem, "k").unwrap().to_bytes(),
            key.to_bytes()
        );
        let pubpem = public_key_pem(&key.verifying_key()).unwrap();
        assert!(
            pubpem.starts_with("-----BEGIN PUBLIC KEY-----\n"),
            "{pubpem}"
        );
        let vk = verifying_key_from_pem(&pubpem, "p").unwrap();
        assert_eq!(vk, key.verifying_key());
        let id = key_id(&vk);
        assert_eq!(id.len(), "sha256:".len() + 64);
        assert_eq!(id, sha256_digest(vk.as_bytes()));
    }

    #[test]
    fn garbage_pem_is_a_typed_error_naming_the_source() {
        let err = signing_key_from_pem("not a key", "/keys/station.key").unwrap_err();
        assert!(err.to_string().contains("/keys/station.key"), "{err}");
        let err = verifying_key_from_pem(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "p.pub",
        )
        .unwrap_err();
        assert!(matches!(err, KeyError::DecodePublic { .. }));
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(
            generate().unwrap().to_bytes(),
            generate().unwrap().to_bytes()
        );
    }
}
