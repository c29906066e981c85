//! Reprise certificates of sanitization, shared by the agent (which issues them) and the
//! collector (which verifies and stores them): the signed content model, its RFC 8785 canonical
//! form, Ed25519 keys and signatures, the envelope, the per-station hash chain, the verdict's
//! typed reasons and actions, and their rendering (text, printable HTML, QR code) in French and
//! English.
//!
//! [`envelope::verify`] is the one check of a certificate, for the agent and the collector alike:
//! a valid Ed25519 signature over the canonical content, a supported schema, and a certificate
//! that belongs to its signer — `chain.station_key_id` is the signing key and `id` is
//! [`chain::certificate_id`] of that key and `chain.sequence`, so no key can sign under another
//! station's ids.
//!
//! Everything here is pure (bytes or structs in, structs out) and knows nothing of the agent:
//! no probe, no wipe engine, no file system. DESIGN §6 is the contract; `README.md` shows how to
//! check a certificate with openssl alone.

pub mod chain;
#[macro_use]
pub mod closed;
pub mod envelope;
pub mod exchange;
pub mod jcs;
pub mod messages;
pub mod model;
pub mod plan;
pub mod refurbish;
pub mod render;
pub mod sign;
pub mod text;
pub mod validation;
pub mod verdict;
pub mod words;

pub use closed::UnknownWord;
pub use words::Language;

/// An error and all its causes on one line ("cannot open x: permission denied"), for places that
/// keep an error as text (per-file verdicts of a chain check).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
