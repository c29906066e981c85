//! Reprise agent library: probe a laptop, sanitize and verify its disks, decide its fate, sign
//! the certificate. See ARCHITECTURE.md for the map and the invariants.

pub mod cert;
pub mod cli;
pub mod flow;
pub mod model;
pub mod parse;
pub mod probe;
pub mod sys;
pub mod verdict;
pub mod wipe;

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
