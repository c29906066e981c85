//! The sanitization techniques Reprise performs, the level each one reaches on each kind of
//! media (DESIGN §4, NIST SP 800-88 Rev.1 Appendix A), and what each documents the media to
//! hold afterwards (what the canary check requires of each sampled block, besides no longer
//! holding its canary).
//!
//! Pure. The names are the contract of the wipe report and the certificate (`technique`).

use std::fmt;
use std::str::FromStr;

use reprise_cert::plan::SanitizeKind;

use crate::model::{Level, MediaType, Transport};

/// NVMe Format NVM secure erase settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormatErase {
    /// SES 1: user data erase ("all user data shall be erased, regardless of location").
    UserData,
    /// SES 2: cryptographic erase.
    Crypto,
}

/// One way to sanitize a disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Technique {
    /// Every sector written by Reprise with the plan's method, then read back: Clear.
    Overwrite,
    NvmeSanitize(SanitizeKind),
    NvmeFormat(FormatErase),
    AtaSanitize(SanitizeKind),
    AtaSecurityErase {
        enhanced: bool,
    },
    ScsiSanitize(SanitizeKind),
}

/// Which command set a technique speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Overwrite,
    Nvme,
    Ata,
    Scsi,
}

/// What a technique documents the media to hold afterwards, which the canary check requires
/// (`CanaryRule::of`): defined in `reprise-cert`, whose certificate records it.
pub use reprise_cert::model::PostErase;

impl Technique {
    /// The name in reports and certificates ("nvme-sanitize-crypto", "overwrite", ...).
    pub fn name(self) -> String {
        match self {
            Technique::Overwrite => "overwrite".into(),
            Technique::NvmeSanitize(k) => format!("nvme-sanitize-{}", k.as_str()),
            Technique::NvmeFormat(FormatErase::UserData) => "nvme-format-user-data".into(),
            Technique::NvmeFormat(FormatErase::Crypto) => "nvme-format-crypto".into(),
            Technique::AtaSanitize(k) => format!("ata-sanitize-{}", k.as_str()),
            Technique::AtaSecurityErase { enhanced: false } => "ata-security-erase".into(),
            Technique::AtaSecurityErase { enhanced: true } => "ata-security-erase-enhanced".into(),
            Technique::ScsiSanitize(k) => format!("scsi-sanitize-{}", k.as_str()),
        }
    }

    pub fn family(self) -> Family {
        match self {
            Technique::Overwrite => Family::Overwrite,
            Technique::NvmeSanitize(_) | Technique::NvmeFormat(_) => Family::Nvme,
            Technique::AtaSanitize(_) | Technique::AtaSecurityErase { .. } => Family::Ata,
            Technique::ScsiSanitize(_) => Family::Scsi,
        }
    }

    pub fn is_firmware(self) -> bool {
        self != Technique::Overwrite
    }

    /// A sanitize operation runs in the background after its command: success is trusted only
    /// once the drive was seen reporting it in progress. Format NVM and SECURITY ERASE UNIT
    /// complete with their command.
    pub fn runs_in_background(self) -> bool {
        matches!(
            self,
            Technique::NvmeSanitize(_) | Technique::AtaSanitize(_) | Technique::ScsiSanitize(_)
        )
    }

    /// The level this technique reaches on `media` (DESIGN §4; `None`: not a technique for
    /// that media). Unknown media are taken as solid-state, the stricter case.
    ///
    /// Departure from DESIGN's table, on purpose: NVMe Format with SES 1 counts as Purge. The
    /// NVMe specification makes a user data erase apply to "all user data, regardless of
    /// location" (caches and deallocated blocks included), and NIST SP 800-88 Rev.1 Table A-8
    /// lists it under Purge; issue 11 asks for it. It comes last among the Purge techniques,
    /// and the certificate names it exactly, so an auditor applying IEEE 2883 can tell.
    pub fn level(self, media: MediaType) -> Option<Level> {
        let hdd = media == MediaType::Hdd;
        match (self, media) {
            (Technique::Overwrite, _) => Some(Level::Clear),
            // No firmware erase reaches flash behind USB, SD or eMMC controllers reliably.
            (_, MediaType::Flash | MediaType::File) => None,
            (Technique::NvmeSanitize(_) | Technique::NvmeFormat(_), _) => Some(Level::Purge),
            (Technique::AtaSanitize(SanitizeKind::Overwrite), _) if !hdd => Some(Level::Clear),
            (Technique::AtaSanitize(SanitizeKind::Block), _) if hdd => None,
            (Technique::AtaSanitize(_), _) => Some(Level::Purge),
            (Technique::AtaSecurityErase { enhanced: true }, _) if hdd => Some(Level::Purge),
            (Technique::AtaSecurityErase { .. }, _) => Some(Level::Clear),
            (Technique::ScsiSanitize(_), _) => Some(Level::Purge),
        }
    }

    /// Whether the technique reaches sectors the drive has remapped (reallocated after a
    /// failure, or pending reallocation). An overwrite goes through the logical addresses,
    /// which no longer lead to the retired sectors, so their old content stays; so does a
    /// normal ATA SECURITY ERASE UNIT, which ACS-3 limits to the user data area. Enhanced
    /// SECURITY ERASE UNIT ("all user data areas, including sectors no longer in use due to
    /// reallocation"), the sanitize operations (every physical location of user data) and the
    /// cryptographic erases (the key that encrypted them is gone) reach them.
    pub fn reaches_remapped(self) -> bool {
        !matches!(
            self,
            Technique::Overwrite | Technique::AtaSecurityErase { enhanced: false }
        )
    }

    /// Whether the technique can be sent over `transport` at all.
    pub fn fits(self, transport: Transport) -> bool {
        match self.family() {
            Family::Overwrite => true,
            Family::Nvme => transport == Transport::Nvme,
            Family::Ata => transport == Transport::Sata,
            Family::Scsi => transport == Transport::Scsi,
        }
    }

    /// What the media holds afterwards as the standards (and the drive) document it. `dealloc`
    /// is what an NVMe namespace's deallocated blocks read as (DLFEAT), when it says.
    pub fn post_erase(self, dealloc: Option<PostErase>) -> PostErase {
        match self {
            // Crypto erases and vendor patterns leave nothing predictable.
            Technique::NvmeSanitize(SanitizeKind::Crypto)
            | Technique::NvmeFormat(FormatErase::Crypto)
            | Technique::AtaSanitize(SanitizeKind::Crypto)
            | Technique::ScsiSanitize(SanitizeKind::Crypto)
            | Technique::AtaSecurityErase { enhanced: true } => PostErase::Changed,
            // NVMe: a block erase or user data erase leaves deallocated blocks.
            Technique::NvmeSanitize(SanitizeKind::Block)
            | Technique::NvmeFormat(FormatErase::UserData) => dealloc.unwrap_or(PostErase::Changed),
            // NVMe: Reprise asks for pattern 0, and leaves No-Deallocate After Sanitize clear,
            // so the controller may deallocate afterwards: zeros either way only when
            // deallocated blocks read as zeros; otherwise one of two contents.
            Technique::NvmeSanitize(SanitizeKind::Overwrite) => match dealloc {
                Some(PostErase::Zeros) => PostErase::Zeros,
                _ => PostErase::Changed,
            },
            // Reprise asks the firmware to overwrite with zeros (pattern 0).
            Technique::AtaSanitize(SanitizeKind::Overwrite)
            | Technique::ScsiSanitize(SanitizeKind::Overwrite) => PostErase::Zeros,
            // ACS-3: a normal erase writes binary zeros.
            Technique::AtaSecurityErase { enhanced: false } => PostErase::Zeros,
            Technique::AtaSanitize(SanitizeKind::Block)
            | Technique::ScsiSanitize(SanitizeKind::Block) => PostErase::Changed,
            Technique::Overwrite => PostErase::Changed,
        }
    }

    /// Every technique, for tests and name parsing.
    pub fn all() -> Vec<Technique> {
        let kinds = [
            SanitizeKind::Crypto,
            SanitizeKind::Block,
            SanitizeKind::Overwrite,
        ];
        let mut v = vec![Technique::Overwrite];
        for k in kinds {
            v.push(Technique::NvmeSanitize(k));
            v.push(Technique::AtaSanitize(k));
            v.push(Technique::ScsiSanitize(k));
        }
        v.extend([
            Technique::NvmeFormat(FormatErase::UserData),
            Technique::NvmeFormat(FormatErase::Crypto),
            Technique::AtaSecurityErase { enhanced: false },
            Technique::AtaSecurityErase { enhanced: true },
        ]);
        v
    }
}

impl fmt::Display for Technique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Technique {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Technique::all()
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("unknown technique {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_overwrite_and_a_normal_security_erase_miss_remapped_sectors() {
        let missing: Vec<String> = Technique::all()
            .into_iter()
            .filter(|t| !t.reaches_remapped())
            .map(Technique::name)
            .collect();
        assert_eq!(missing, ["overwrite", "ata-security-erase"]);
    }

    #[test]
    fn names_round_trip() {
        for t in Technique::all() {
            assert_eq!(t.name().parse::<Technique>().unwrap(), t);
        }
        assert!("nvme-sanitize".parse::<Technique>().is_err());
    }

    #[test]
    fn levels_follow_the_table() {
        use MediaType::*;
        let t = |s: &str| s.parse::<Technique>().unwrap();
        let cases = [
            ("overwrite", Flash, Some(Level::Clear)),
            ("nvme-sanitize-crypto", Ssd, Some(Level::Purge)),
            ("nvme-format-crypto", Ssd, Some(Level::Purge)),
            ("nvme-format-user-data", Ssd, Some(Level::Purge)),
            ("ata-sanitize-overwrite", Hdd, Some(Level::Purge)),
            ("ata-sanitize-overwrite", Ssd, Some(Level::Clear)),
            ("ata-sanitize-block", Ssd, Some(Level::Purge)),
            ("ata-sanitize-block", Hdd, None),
            ("ata-sanitize-crypto", Hdd, Some(Level::Purge)),
            ("ata-security-erase-enhanced", Hdd, Some(Level::Purge)),
            ("ata-security-erase-enhanced", Ssd, Some(Level::Clear)),
            ("ata-security-erase", Hdd, Some(Level::Clear)),
            ("ata-security-erase-enhanced", Unknown, Some(Level::Clear)),
            ("scsi-sanitize-block", Ssd, Some(Level::Purge)),
            ("nvme-sanitize-crypto", Flash, None),
            ("ata-sanitize-crypto", File, None),
        ];
        for (name, media, want) in cases {
            assert_eq!(t(name).level(media), want, "{name} on {media:?}");
        }
    }

    #[test]
    fn documented_content() {
        let z = Some(PostErase::Zeros);
        assert_eq!(
            Technique::NvmeFormat(FormatErase::UserData).post_erase(z),
            PostErase::Zeros
        );
        assert_eq!(
            Technique::NvmeFormat(FormatErase::UserData).post_erase(None),
            PostErase::Changed
        );
        assert_eq!(
            Technique::NvmeSanitize(SanitizeKind::Crypto).post_erase(z),
            PostErase::Changed
        );
        let overwrite = Technique::NvmeSanitize(SanitizeKind::Overwrite);
        assert_eq!(overwrite.post_erase(z), PostErase::Zeros);
        assert_eq!(
            overwrite.post_erase(Some(PostErase::Ones)),
            PostErase::Changed,
            "pattern 0, or FFh where deallocated"
        );
        assert_eq!(overwrite.post_erase(None), PostErase::Changed);
    }
}
