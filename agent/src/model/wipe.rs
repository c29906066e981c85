//! Words of the sanitization record shared by the wipe engine, the verdict and the certificate
//! (the level is `reprise_cert`'s [`Level`](crate::model::Level): the certificate records it).

use serde::{Deserialize, Serialize};

/// What a wipe error is about. Serialized in kebab-case ("write-retried"), the names the wipe
/// report and the certificate have always used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The device could not be opened, or the write guard refused it.
    Open,
    /// The opened device is not the disk the plan names (device number, serial or size differ).
    Identity,
    /// Sectors that could not be written, even one at a time.
    Write,
    /// A write failed, then succeeded when retried in smaller pieces: nothing is left unwritten,
    /// but the disk deserves a look.
    WriteRetried,
    /// Sectors that could not be read back during verification.
    Read,
    /// Sectors that did not hold what was written.
    Verify,
    /// The final flush of a pass to the media failed.
    Flush,
    /// A periodic data sync of buffered writes failed: the range written since the previous
    /// good sync may not have reached the media.
    Sync,
    /// The device disappeared (unplugged, dead controller).
    DeviceGone,
    /// The operator stopped the wipe.
    Cancelled,
    /// A firmware erase command failed, was aborted, timed out, or reported success that
    /// cannot be trusted.
    Firmware,
    /// A Host Protected Area or Device Configuration Overlay could not be removed, or still
    /// hides sectors.
    HiddenArea,
}

impl ErrorKind {
    /// The name used in reports and certificates ("write-retried").
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Open => "open",
            ErrorKind::Identity => "identity",
            ErrorKind::Write => "write",
            ErrorKind::WriteRetried => "write-retried",
            ErrorKind::Read => "read",
            ErrorKind::Verify => "verify",
            ErrorKind::Flush => "flush",
            ErrorKind::Sync => "sync",
            ErrorKind::DeviceGone => "device-gone",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Firmware => "firmware",
            ErrorKind::HiddenArea => "hidden-area",
        }
    }

    /// What went wrong, in French: the report's messages are the engine's and the OS's, in
    /// English, so the French screen says the kind instead.
    pub fn words_fr(self) -> &'static str {
        match self {
            ErrorKind::Open => "ouverture refusée",
            ErrorKind::Identity => "ce n'est pas le disque prévu",
            ErrorKind::Write => "écriture impossible",
            ErrorKind::WriteRetried => "écriture réussie au second essai",
            ErrorKind::Read => "relecture impossible",
            ErrorKind::Verify => "contenu relu différent de l'écrit",
            ErrorKind::Flush => "vidage du cache du disque impossible",
            ErrorKind::Sync => "synchronisation des écritures impossible",
            ErrorKind::DeviceGone => "disque disparu",
            ErrorKind::Cancelled => "annulé",
            ErrorKind::Firmware => "effacement par le firmware en échec",
            ErrorKind::HiddenArea => "zone cachée (HPA/DCO) restante",
        }
    }

    /// Whether an error of this kind leaves bytes that may not hold what was written. Only a
    /// retried-then-written range does not: every other kind means the disk is not sanitized.
    pub fn breaks_sanitization(self) -> bool {
        self != ErrorKind::WriteRetried
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for k in [
            ErrorKind::Open,
            ErrorKind::Identity,
            ErrorKind::Write,
            ErrorKind::WriteRetried,
            ErrorKind::Read,
            ErrorKind::Verify,
            ErrorKind::Flush,
            ErrorKind::Sync,
            ErrorKind::DeviceGone,
            ErrorKind::Cancelled,
            ErrorKind::Firmware,
            ErrorKind::HiddenArea,
        ] {
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
    }
}
