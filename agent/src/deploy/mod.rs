//! Installing the workshop's family system after a verified sanitization: which disk receives
//! it ([`target`]), what the image's GPT needs of it and its fix-up after writing ([`gpt`]),
//! and the install itself ([`engine`]): the image streamed from its source (a file on the
//! stick, or the workshop server over HTTP), decompressed on its own thread, written with
//! direct I/O through the write guard's device, then read back and checked against the image's
//! SHA-256 — a mismatch is a failed install, never "installed" — and finally the GPT moved to
//! the disk's end and the last ext4 filesystem grown to it ([`engine::finish_layout`]).
//!
//! `deploy` sits beside `cert` and `verdict`: it uses the write guard and aligned buffers of
//! `wipe` and the I/O of `sys`; `flow` runs it as the step after `execute`.

pub mod engine;
pub mod gpt;
pub mod target;

use std::fmt;

/// How an image's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// The raw disk image itself (`.img`).
    None,
    /// Zstandard (`.img.zst`), decompressed while writing.
    Zstd,
}

impl Compression {
    /// From the server's list ("zstd" | "none").
    pub fn parse(s: &str) -> Option<Compression> {
        match s {
            "none" | "" => Some(Compression::None),
            "zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Zstd => "zstd",
        }
    }
}

/// The raw size a zstd frame's header states (the `zstd` tool writes it when it knew its
/// input's size), from the first bytes of a `.img.zst`; `None` when the header is short,
/// malformed or silent. For a file of several frames it is the first frame's: a total for the
/// gauge and the disk-size check that can only be too small, never a refusal of its own.
pub fn zstd_stated_size(head: &[u8]) -> Option<u64> {
    zstd::zstd_safe::get_frame_content_size(head).ok().flatten()
}

/// Bytes that hold any zstd frame header (`ZSTD_FRAMEHEADERSIZE_MAX`).
pub const ZSTD_HEADER_MAX: u64 = 18;

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// From "sha256:<hex>" or bare hex (64 digits, either case): both forms servers send.
    pub fn parse(s: &str) -> Option<Sha256> {
        let hex = s.trim();
        let hex = hex.strip_prefix("sha256:").unwrap_or(hex);
        if hex.len() != 64 {
            return None;
        }
        let bytes = hex::decode(hex.to_ascii_lowercase()).ok()?;
        Some(Sha256(bytes.try_into().ok()?))
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The image to install, as its source describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    pub name: String,
    /// The workshop's version of it ("" when its source says none).
    pub version: String,
    /// The SHA-256 of its raw (decompressed) bytes.
    pub sha256: Sha256,
    pub compression: Compression,
    /// Its raw size, when the source says it (refused before writing when the disk is smaller).
    pub raw_size: Option<u64>,
}

impl ImageSpec {
    /// "famille 2.0", or the name alone when its source gives no version: how screens and
    /// logs name it.
    pub fn label(&self) -> String {
        format!("{} {}", self.name, self.version)
            .trim_end()
            .to_owned()
    }
}

/// A verified install and its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub image: ImageSpec,
    pub disk: crate::model::DiskIdentity,
    pub written: engine::Written,
    pub filesystem: engine::Filesystem,
    /// The signed record, as written and verified.
    pub record: std::path::PathBuf,
}

/// What the install step of a run did (`flow::deploy`); here, below the run, so that the run
/// can hold it without the step's file and the run's importing each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Install {
    /// Nothing to install: no image named, a recycle verdict, or not every disk sanitized.
    NotDue(String),
    Installed(Box<Installed>),
    /// The install was due and failed: the laptop keeps a sanitized disk, no record is
    /// written, and the run does not end as a success.
    Failed(String),
}

/// Why an install failed, as one word of the operator's (the screen says it in French or
/// English; the step's own line keeps the detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No disk may receive it (none sanitized and internal), or the write guard refused it.
    NoDisk,
    /// The image could not be had: not on the stick, the server unreachable or without it.
    Source,
    /// The image's bytes are not its SHA-256 (a damaged file or download).
    NotTheImage,
    /// The disk is smaller than the image needs (nothing written).
    DiskTooSmall,
    /// The disk's sectors are not those the image's GPT was made for (nothing written).
    SectorSize,
    /// Writing, flushing or reading the disk failed.
    DiskError,
    /// Read back, the disk does not hold the image.
    ReadBack,
    /// The GPT could not be moved to the disk's end, or does not read back valid.
    Layout,
    /// The operator (or a signal) stopped it.
    Cancelled,
    /// The refurbishment record could not be signed, written or verified.
    Record,
    /// The install's own machinery stopped (a thread).
    Internal,
}

impl From<&engine::InstallError> for Failure {
    fn from(e: &engine::InstallError) -> Failure {
        use engine::InstallError as E;
        match e {
            E::Source { .. } => Failure::Source,
            E::Layout { .. } | E::GptCheck { .. } => Failure::Layout,
            E::SectorSize { .. } => Failure::SectorSize,
            E::DiskTooSmall { .. } => Failure::DiskTooSmall,
            E::Write { .. } | E::SyncFailed { .. } | E::Flush { .. } | E::Read { .. } => {
                Failure::DiskError
            }
            E::SourceMismatch { .. } => Failure::NotTheImage,
            E::ReadBackMismatch { .. } => Failure::ReadBack,
            E::Cancelled { .. } => Failure::Cancelled,
            E::Thread { .. } => Failure::Internal,
        }
    }
}

impl Install {
    /// The line the console and the run's log say.
    pub fn line(&self) -> String {
        match self {
            Install::NotDue(why) => format!("No system installed: {why}."),
            Install::Installed(i) => format!(
                "Installed {} {} on {} ({} bytes, read back and verified {}); record {}.",
                i.image.name,
                i.image.version,
                i.disk.dev_path,
                i.written.raw_bytes,
                i.written.sha256,
                i.record.display()
            ),
            Install::Failed(why) => format!("THE SYSTEM WAS NOT INSTALLED: {why}."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zstd_header_states_the_raw_size_when_the_tool_knew_it() {
        let raw = vec![7u8; 100_000];
        let known = zstd::bulk::compress(&raw, 3).unwrap();
        assert_eq!(
            zstd_stated_size(&known[..ZSTD_HEADER_MAX as usize]),
            Some(100_000)
        );
        // A stream compressed without knowing its size says nothing.
        let streamed = zstd::encode_all(&raw[..], 3).unwrap();
        assert_eq!(zstd_stated_size(&streamed), None);
        assert_eq!(zstd_stated_size(&known[..2]), None);
        assert_eq!(zstd_stated_size(b"not zstd at all, no magic"), None);
    }

    #[test]
    fn both_digest_forms_are_accepted() {
        let hex = "ab".repeat(32);
        let a = Sha256::parse(&format!("sha256:{hex}")).unwrap();
        let b = Sha256::parse(&hex.to_uppercase()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), format!("sha256:{hex}"));
        assert!(Sha256::parse("sha256:abc").is_none());
        assert!(Sha256::parse(&"zz".repeat(32)).is_none());
        assert_eq!(Compression::parse("zstd"), Some(Compression::Zstd));
        assert_eq!(Compression::parse("gzip"), None);
    }
}
