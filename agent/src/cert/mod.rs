//! Certificates of sanitization: content model, canonical form (RFC 8785), Ed25519 signatures.
