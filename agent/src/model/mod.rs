//! The types every layer shares (the bottom of the house, with `parse`): a value read from the
//! machine or why it is unknown ([`Field`]), how a disk is attached ([`Transport`]) and what it is
//! made of ([`MediaType`]), its stable name ([`DiskId`]) and its one identity ([`DiskIdentity`]),
//! the sanitization level ([`Level`]) and the kind of a wipe error ([`ErrorKind`]). [`Level`] and
//! [`Language`] are defined in `reprise-cert` and re-exported here: the certificate records them.
//! So is [`text`], the escaping of what the laptop tells us before it reaches a terminal or a
//! log, which the certificate's text rendering shares.
//!
//! Nothing here performs I/O or knows another module of the agent: `probe`, `wipe`, `verdict`,
//! `cert` and `flow` all speak these types, so a disk is named the same way everywhere.

mod disk;
mod field;
mod wipe;

pub use disk::{DevNo, DiskId, DiskIdentity, MediaType, Transport, is_world_wide_name};
pub use field::Field;
pub use reprise_cert::Language;
pub use reprise_cert::model::Level;
pub use reprise_cert::text;
pub use wipe::ErrorKind;

/// Name and version of this tool as recorded in reports and certificates.
pub fn tool_version() -> String {
    format!("reprise {}", env!("CARGO_PKG_VERSION"))
}

/// An error and all its causes on one line ("cannot open /dev/sdb: permission denied"), for
/// places that keep an error as text (reports, certificates, per-file verdicts). Library errors
/// never repeat their source in their own message, so nothing is said twice.
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

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("cannot write the log /data/logs/x.json")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn error_chain_names_every_cause_once() {
        let e = Outer(std::io::Error::other("disk full"));
        assert_eq!(
            super::error_chain(&e),
            "cannot write the log /data/logs/x.json: disk full"
        );
    }
}
