//! The authenticated exchange between a station and the workshop server (`POST /api/v1/hello`),
//! shared by the agent and the collector so that both sides sign and check the same bytes.
//!
//! Plain HTTP on the workshop's network carries it; what makes it trustworthy is two Ed25519
//! signatures over the RFC 8785 canonical form of each message, the same signing code as
//! certificates ([`crate::jcs`], [`crate::sign`]):
//!
//! ```text
//! station → server   {"message": Hello,  "signature": {…station key…}}
//!                    Hello  = purpose, a fresh nonce, the station's key id and clock,
//!                             and the one-time PXE token when it has one
//! server  → station  {"message": Answer, "signature": {…server key…}}
//!                    Answer = purpose, the same nonce and key id, the server's clock (UTC),
//!                             what the server knows of the station
//! ```
//!
//! The same server key signs its receipts for uploads (`POST /api/v1/certificates` and
//! `/api/v1/records`): the upload's answer carries `"receipt": {"message": Receipt,
//! "signature": {…server key…}}`, the `Receipt` naming what was kept — its kind, id, digest and
//! station key — and when ([`open_receipt`]).
//!
//! The station believes an answer only when it is signed by the server key it pinned, carries
//! the nonce it just chose (no replay of an older answer) and names its own key. The server
//! believes a hello only when the key it names signed it (a PXE token enrols the key that holds
//! it, nothing else). Each message names its `purpose`, so neither can be taken for the other
//! nor for a certificate (whose content has no such member) signed by the same key.
//!
//! Pure: bytes and keys in, checked messages out; clocks and randomness are the callers'.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::envelope::{ALGORITHM, SignatureBlock};
use crate::jcs::{self, JcsError};
use crate::sign;

/// The `purpose` of a station's hello.
pub const HELLO_PURPOSE: &str = "reprise-station-hello/1";
/// The `purpose` of a server's answer.
pub const ANSWER_PURPOSE: &str = "reprise-server-answer/1";
/// Bytes of randomness in a nonce (written as 64 lower-case hex digits).
pub const NONCE_BYTES: usize = 32;
/// Largest message either side reads: both are a few hundred bytes.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;

/// What a station says when it asks the server who it is to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    /// Always [`HELLO_PURPOSE`].
    pub purpose: String,
    /// Fresh random bytes, hex: the answer must carry them back.
    pub nonce: String,
    /// `sha256:<hex>` of the station key that signs this hello.
    pub station_key_id: String,
    /// The station's clock (RFC 3339 UTC), as it reads it: the server may log how far off it is.
    pub station_time: String,
    /// The one-time token of a network boot (`reprise.enroll=`): enrols the signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enroll_token: Option<String>,
}

closed_set! {
    /// What the server knows of the station that said hello.
    pub enum StationStatus ("station status") {
        /// Enrolled before this exchange, not revoked: its certificates are taken.
        Enrolled = "enrolled",
        /// Enrolled by this exchange, with the PXE token the hello carried.
        EnrolledNow = "enrolled_now",
        /// Enrolled once, revoked since: its certificates are refused.
        Revoked = "revoked",
        /// Not enrolled (and no token, or a token the server refused).
        Unknown = "unknown",
    }
}

impl StationStatus {
    /// Whether the server takes this station's certificates.
    pub fn takes_certificates(self) -> bool {
        matches!(self, StationStatus::Enrolled | StationStatus::EnrolledNow)
    }
}

/// What the server answers to a hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Always [`ANSWER_PURPOSE`].
    pub purpose: String,
    /// The hello's nonce, unchanged.
    pub nonce: String,
    /// The hello's station key id, unchanged.
    pub station_key_id: String,
    /// The server's clock when it answered, RFC 3339 UTC.
    pub server_time: String,
    pub station: StationStatus,
    /// The station's name on the server, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station_name: Option<String>,
    /// Why a station stays unknown or revoked (a token refused, the date of revocation), in
    /// the server's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The `purpose` of a server's receipt for an upload.
pub const RECEIPT_PURPOSE: &str = "reprise-server-receipt/1";

/// What the server signs when it keeps an upload (or already had it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Always [`RECEIPT_PURPOSE`].
    pub purpose: String,
    /// `certificate` or `refurbishment` (a record).
    pub kind: String,
    /// The certificate's or record's id.
    pub id: String,
    /// `sha256:…` of its canonical signed content, as the server computed it.
    pub digest: String,
    /// The station key that signed it.
    pub station_key_id: String,
    /// `created` or `already_stored`.
    pub status: String,
    /// The server's clock when it answered, RFC 3339 UTC.
    pub server_time: String,
}

/// A receipt whose signature checked out and that names the upload it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedReceipt {
    pub receipt: Receipt,
    /// `sha256:<hex>` of the server key that signed it: the caller compares it with its pin.
    pub server_key_id: String,
}

/// Checks a receipt as received (the sealed `receipt` member of an upload's answer) against
/// the upload it must answer: a valid signature by the key it carries, its purpose, the
/// `digest` of the file sent. Which key signed — the pinned one or not — is the caller's to
/// judge with `server_key_id`.
pub fn open_receipt(bytes: &[u8], digest: &str) -> Result<OpenedReceipt, ExchangeError> {
    let (content, key) = open(bytes)?;
    let receipt: Receipt = serde_json::from_value(content)
        .map_err(|e| ExchangeError::Malformed(format!("message: {e}")))?;
    purpose(&receipt.purpose, RECEIPT_PURPOSE)?;
    if receipt.digest != digest {
        return Err(ExchangeError::DigestMismatch {
            stated: receipt.digest,
            sent: digest.to_owned(),
        });
    }
    Ok(OpenedReceipt {
        receipt,
        server_key_id: sign::key_id(&key),
    })
}

/// A message and its signature, as sent.
#[derive(Debug, Clone, Serialize)]
struct Sealed<'a, T> {
    message: &'a T,
    signature: SignatureBlock,
}

/// Why a message could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the message has no canonical form")]
pub struct SealError(#[from] JcsError);

/// Why a received message is not believed. Each variant is one reason to refuse it.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("the message is {0} bytes, more than {MAX_MESSAGE_BYTES}")]
    TooLarge(usize),
    #[error("not JSON, or a duplicate key: {0}")]
    Json(String),
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("unsupported signature algorithm {0:?} (expected Ed25519)")]
    Algorithm(String),
    #[error("public_key is not base64 of a valid Ed25519 key: {0}")]
    PublicKey(String),
    #[error("key_id {stated} does not match the public key (its id is {actual})")]
    KeyIdMismatch { stated: String, actual: String },
    #[error("signature value is not base64 of 64 bytes: {0}")]
    SignatureEncoding(String),
    #[error("the message has no canonical form")]
    Canonical(#[from] JcsError),
    #[error("the signature does not match the message (altered, or another key)")]
    BadSignature,
    #[error("purpose {found:?}, expected {expected:?}")]
    Purpose {
        found: String,
        expected: &'static str,
    },
    #[error("nonce {0:?} is not {NONCE_BYTES} bytes in lower-case hex")]
    NonceShape(String),
    #[error("the answer carries another nonce than the one sent (an old answer replayed?)")]
    NonceMismatch,
    #[error("the receipt names digest {stated}, not {sent} (the file sent)")]
    DigestMismatch { stated: String, sent: String },
    #[error("the message names station key {stated}, but {actual} is concerned")]
    StationMismatch { stated: String, actual: String },
}

/// The bytes to send: `{"message": …, "signature": …}` signed by `key` over the canonical
/// form of `message`.
pub fn seal<T: Serialize>(message: &T, key: &SigningKey) -> Result<Vec<u8>, SealError> {
    let canonical = jcs::to_canonical(message)?;
    let vk = key.verifying_key();
    let sealed = Sealed {
        message,
        signature: SignatureBlock {
            algorithm: ALGORITHM.into(),
            key_id: sign::key_id(&vk),
            public_key: BASE64.encode(vk.as_bytes()),
            value: BASE64.encode(sign::sign(key, &canonical)),
        },
    };
    Ok(serde_json::to_vec(&sealed).expect("a sealed message always serializes"))
}

/// A hello whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedHello {
    pub hello: Hello,
    /// The station key that signed it (the one `hello.station_key_id` names).
    pub key: VerifyingKey,
}

/// An answer whose signature checked out and that answers the hello sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedAnswer {
    pub answer: Answer,
    /// `sha256:<hex>` of the server key that signed it: the caller compares it with its pin.
    pub server_key_id: String,
}

/// Checks a hello as received: a valid signature by the key it names, its purpose, a nonce of
/// the right shape. The times and the token are the server's to judge.
pub fn open_hello(bytes: &[u8]) -> Result<OpenedHello, ExchangeError> {
    let (content, key) = open(bytes)?;
    let hello: Hello = serde_json::from_value(content)
        .map_err(|e| ExchangeError::Malformed(format!("message: {e}")))?;
    purpose(&hello.purpose, HELLO_PURPOSE)?;
    nonce_shape(&hello.nonce)?;
    let actual = sign::key_id(&key);
    if hello.station_key_id != actual {
        return Err(ExchangeError::StationMismatch {
            stated: hello.station_key_id,
            actual,
        });
    }
    Ok(OpenedHello { hello, key })
}

/// Checks an answer as received against the hello it answers (`nonce`, `station_key_id`): a
/// valid signature by the key it carries, its purpose, the same nonce and station. Which key
/// that is — the pinned one or not — is the caller's to judge with `server_key_id`.
pub fn open_answer(
    bytes: &[u8],
    nonce: &str,
    station_key_id: &str,
) -> Result<OpenedAnswer, ExchangeError> {
    let (content, key) = open(bytes)?;
    let answer: Answer = serde_json::from_value(content)
        .map_err(|e| ExchangeError::Malformed(format!("message: {e}")))?;
    purpose(&answer.purpose, ANSWER_PURPOSE)?;
    if answer.nonce != nonce {
        return Err(ExchangeError::NonceMismatch);
    }
    if answer.station_key_id != station_key_id {
        return Err(ExchangeError::StationMismatch {
            stated: answer.station_key_id,
            actual: station_key_id.to_owned(),
        });
    }
    Ok(OpenedAnswer {
        answer,
        server_key_id: sign::key_id(&key),
    })
}

/// A nonce as messages carry it: lower-case hex of [`NONCE_BYTES`] bytes.
pub fn nonce_hex(bytes: &[u8; NONCE_BYTES]) -> String {
    hex::encode(bytes)
}

/// Whether `s` is a key id as `reprise.server-key=` and stations write it: `sha256:` and 64
/// lower-case hex digits.
pub fn is_key_id(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

fn purpose(found: &str, expected: &'static str) -> Result<(), ExchangeError> {
    if found == expected {
        Ok(())
    } else {
        Err(ExchangeError::Purpose {
            found: found.to_owned(),
            expected,
        })
    }
}

fn nonce_shape(nonce: &str) -> Result<(), ExchangeError> {
    let ok = nonce.len() == 2 * NONCE_BYTES
        && nonce
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        Ok(())
    } else {
        Err(ExchangeError::NonceShape(nonce.to_owned()))
    }
}

/// The message member and the key whose valid signature covers its canonical form. Parsed
/// strictly (duplicate keys refused) and with no member but `message` and `signature`: nothing
/// unsigned rides along.
fn open(bytes: &[u8]) -> Result<(Value, VerifyingKey), ExchangeError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(ExchangeError::TooLarge(bytes.len()));
    }
    let value =
        jcs::parse_strict(bytes).map_err(|e| ExchangeError::Json(crate::error_chain(&e)))?;
    let Value::Object(mut top) = value else {
        return Err(ExchangeError::Malformed(
            "top level is not an object".into(),
        ));
    };
    if let Some(extra) = top.keys().find(|k| *k != "message" && *k != "signature") {
        return Err(ExchangeError::Malformed(format!(
            "unexpected member {extra:?}"
        )));
    }
    let content = top
        .remove("message")
        .filter(Value::is_object)
        .ok_or_else(|| ExchangeError::Malformed("no message object".into()))?;
    let block: SignatureBlock = top
        .remove("signature")
        .ok_or_else(|| ExchangeError::Malformed("no signature member".into()))
        .and_then(|v| {
            serde_json::from_value(v)
                .map_err(|e| ExchangeError::Malformed(format!("signature: {e}")))
        })?;
    if block.algorithm != ALGORITHM {
        return Err(ExchangeError::Algorithm(block.algorithm));
    }
    let pk: [u8; 32] = BASE64
        .decode(&block.public_key)
        .map_err(|e| ExchangeError::PublicKey(e.to_string()))?
        .try_into()
        .map_err(|v: Vec<u8>| ExchangeError::PublicKey(format!("{} bytes", v.len())))?;
    let key = VerifyingKey::from_bytes(&pk)
        .map_err(|_| ExchangeError::PublicKey("not a curve point".into()))?;
    let actual = sign::key_id(&key);
    if block.key_id != actual {
        return Err(ExchangeError::KeyIdMismatch {
            stated: block.key_id,
            actual,
        });
    }
    let sig: [u8; 64] = BASE64
        .decode(&block.value)
        .map_err(|e| ExchangeError::SignatureEncoding(e.to_string()))?
        .try_into()
        .map_err(|v: Vec<u8>| ExchangeError::SignatureEncoding(format!("{} bytes", v.len())))?;
    let canonical = jcs::canonicalize(&content)?;
    // As for certificates: small-order keys and malleable signatures are refused.
    key.verify_strict(&canonical, &Signature::from_bytes(&sig))
        .map_err(|_| ExchangeError::BadSignature)?;
    Ok((content, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn station() -> SigningKey {
        SigningKey::from_bytes(&[1u8; 32])
    }

    fn server() -> SigningKey {
        SigningKey::from_bytes(&[2u8; 32])
    }

    fn hello(key: &SigningKey) -> Hello {
        Hello {
            purpose: HELLO_PURPOSE.into(),
            nonce: NONCE.into(),
            station_key_id: sign::key_id(&key.verifying_key()),
            station_time: "2009-06-01T10:00:00.000Z".into(),
            enroll_token: None,
        }
    }

    fn answer(station: &SigningKey) -> Answer {
        Answer {
            purpose: ANSWER_PURPOSE.into(),
            nonce: NONCE.into(),
            station_key_id: sign::key_id(&station.verifying_key()),
            server_time: "2026-12-07T10:00:00.000Z".into(),
            station: StationStatus::Enrolled,
            station_name: Some("stick-1".into()),
            note: None,
        }
    }

    fn receipt(station: &SigningKey) -> Receipt {
        Receipt {
            purpose: RECEIPT_PURPOSE.into(),
            kind: "certificate".into(),
            id: "st-abc-000001".into(),
            digest: format!("sha256:{}", "ab".repeat(32)),
            station_key_id: sign::key_id(&station.verifying_key()),
            status: "created".into(),
            server_time: "2026-12-07T10:00:00.000Z".into(),
        }
    }

    #[test]
    fn a_receipt_opens_for_its_digest_only_and_names_its_signer() {
        let r = receipt(&station());
        let bytes = seal(&r, &server()).unwrap();
        let opened = open_receipt(&bytes, &r.digest).unwrap();
        assert_eq!(opened.receipt, r);
        assert_eq!(
            opened.server_key_id,
            sign::key_id(&server().verifying_key())
        );
        let other = format!("sha256:{}", "cd".repeat(32));
        assert!(matches!(
            open_receipt(&bytes, &other),
            Err(ExchangeError::DigestMismatch { .. })
        ));
        // Forged: the digest changed after signing.
        let forged = edited(&bytes, |v| v["message"]["digest"] = other.clone().into());
        assert!(matches!(
            open_receipt(&forged, &other),
            Err(ExchangeError::BadSignature)
        ));
        // A hello's answer is no receipt, though the same key signed it.
        let answer = seal(&answer(&station()), &server()).unwrap();
        assert!(open_receipt(&answer, &r.digest).is_err());
        // Unsigned: the bare message.
        let bare = serde_json::to_vec(&r).unwrap();
        assert!(open_receipt(&bare, &r.digest).is_err());
    }

    /// Re-serializes a sealed message after `edit`.
    fn edited(bytes: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(bytes).unwrap();
        edit(&mut v);
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn a_hello_and_its_answer_round_trip() {
        let st = station();
        let bytes = seal(&hello(&st), &st).unwrap();
        let opened = open_hello(&bytes).unwrap();
        assert_eq!(opened.hello, hello(&st));
        assert_eq!(opened.key, st.verifying_key());
        let sv = server();
        let bytes = seal(&answer(&st), &sv).unwrap();
        let id = sign::key_id(&st.verifying_key());
        let opened = open_answer(&bytes, NONCE, &id).unwrap();
        assert_eq!(opened.answer, answer(&st));
        assert_eq!(opened.server_key_id, sign::key_id(&sv.verifying_key()));
    }

    #[test]
    fn an_altered_or_resigned_message_is_refused() {
        let st = station();
        let id = sign::key_id(&st.verifying_key());
        let good = seal(&answer(&st), &server()).unwrap();
        // The time changed on the way: the signature no longer matches.
        let bytes = edited(&good, |v| {
            v["message"]["server_time"] = "2030-01-01T00:00:00.000Z".into();
        });
        assert!(matches!(
            open_answer(&bytes, NONCE, &id),
            Err(ExchangeError::BadSignature)
        ));
        // Another key's public key in the block with the old signature.
        let other = SigningKey::from_bytes(&[9u8; 32]).verifying_key();
        let bytes = edited(&good, |v| {
            v["signature"]["public_key"] = BASE64.encode(other.as_bytes()).into();
            v["signature"]["key_id"] = sign::key_id(&other).into();
        });
        assert!(matches!(
            open_answer(&bytes, NONCE, &id),
            Err(ExchangeError::BadSignature)
        ));
        // A key id that is not the key's.
        let bytes = edited(&good, |v| v["signature"]["key_id"] = "sha256:00".into());
        assert!(matches!(
            open_answer(&bytes, NONCE, &id),
            Err(ExchangeError::KeyIdMismatch { .. })
        ));
        // Something unsigned riding along.
        let bytes = edited(&good, |v| v["extra"] = 1.into());
        assert!(matches!(
            open_answer(&bytes, NONCE, &id),
            Err(ExchangeError::Malformed(_))
        ));
    }

    #[test]
    fn an_answer_to_another_hello_is_refused() {
        let st = station();
        let id = sign::key_id(&st.verifying_key());
        let good = seal(&answer(&st), &server()).unwrap();
        let other_nonce = NONCE.replace('0', "1");
        assert!(matches!(
            open_answer(&good, &other_nonce, &id),
            Err(ExchangeError::NonceMismatch)
        ));
        let other_station = sign::key_id(&SigningKey::from_bytes(&[5u8; 32]).verifying_key());
        assert!(matches!(
            open_answer(&good, NONCE, &other_station),
            Err(ExchangeError::StationMismatch { .. })
        ));
    }

    #[test]
    fn a_message_is_never_taken_for_another_kind() {
        let st = station();
        let id = sign::key_id(&st.verifying_key());
        // A hello signed by the station is not an answer, even with the right nonce.
        let h = seal(&hello(&st), &st).unwrap();
        assert!(open_answer(&h, NONCE, &id).is_err());
        // An answer is not a hello.
        let a = seal(&answer(&st), &st).unwrap();
        assert!(open_hello(&a).is_err());
        // A purpose that is not the hello's.
        let mut wrong = hello(&st);
        wrong.purpose = ANSWER_PURPOSE.into();
        let bytes = seal(&wrong, &st).unwrap();
        assert!(matches!(
            open_hello(&bytes),
            Err(ExchangeError::Purpose { .. })
        ));
    }

    #[test]
    fn a_hello_must_be_signed_by_the_key_it_names_with_a_real_nonce() {
        let st = station();
        let other = SigningKey::from_bytes(&[3u8; 32]);
        let bytes = seal(&hello(&st), &other).unwrap();
        assert!(matches!(
            open_hello(&bytes),
            Err(ExchangeError::StationMismatch { .. })
        ));
        let mut h = hello(&st);
        h.nonce = "1234".into();
        let bytes = seal(&h, &st).unwrap();
        assert!(matches!(
            open_hello(&bytes),
            Err(ExchangeError::NonceShape(_))
        ));
        assert!(matches!(
            open_hello(&vec![b' '; MAX_MESSAGE_BYTES + 1]),
            Err(ExchangeError::TooLarge(_))
        ));
        assert!(matches!(
            open_hello(b"{\"message\":{},\"message\":{}}"),
            Err(ExchangeError::Json(_))
        ));
    }

    #[test]
    fn key_ids() {
        let id = sign::key_id(&server().verifying_key());
        assert!(is_key_id(&id));
        assert!(!is_key_id(&id.to_uppercase()));
        assert!(!is_key_id(&id[..id.len() - 1]));
        assert!(!is_key_id(id.trim_start_matches("sha256:")));
        assert_eq!(nonce_hex(&[0xab; NONCE_BYTES]).len(), 64);
    }

    #[test]
    fn station_statuses() {
        assert_eq!(
            StationStatus::WORDS,
            ["enrolled", "enrolled_now", "revoked", "unknown"]
        );
        assert!(StationStatus::Enrolled.takes_certificates());
        assert!(StationStatus::EnrolledNow.takes_certificates());
        assert!(!StationStatus::Revoked.takes_certificates());
        assert!(!StationStatus::Unknown.takes_certificates());
    }
}
