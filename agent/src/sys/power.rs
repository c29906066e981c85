//! Powering the machine off at the end of an automatic run — only ever from the live image —
//! and the image digest the live image records.

use super::SysRoot;

/// Where the live image records its own digest, relative to the root (`scripts/build-image`
/// writes it; certificates carry it).
pub const IMAGE_DIGEST_FILE: &str = "etc/reprise/image-digest";

/// Present only in the live image's initramfs. Powering off is refused anywhere else, so that
/// `reprise run --poweroff` started by mistake on a workstation (or by a test) never stops it.
/// Always the real root, never `--root`: a fixture tree must not unlock a power-off.
fn live_image_marker() -> std::path::PathBuf {
    SysRoot::host().join(IMAGE_DIGEST_FILE)
}

/// The image digest recorded by the image build (`sha256:...`), if this runs from the live
/// image (or `root` is a tree that has one).
pub fn image_digest(root: &SysRoot) -> Option<String> {
    let text = super::file::read_to_string(&root.join(IMAGE_DIGEST_FILE)).ok()?;
    let d = text.trim();
    (!d.is_empty()).then(|| d.to_owned())
}

/// Where the live image keeps its build time (RFC 3339, UTC): the time of its sources
/// (`SOURCE_DATE_EPOCH`), covered by the image digest.
pub const IMAGE_BUILD_TIME_FILE: &str = "etc/reprise/build-time";

/// The live image's build time as written by `scripts/build-image`, when running from it.
pub fn image_build_time(root: &SysRoot) -> Option<String> {
    let text = super::file::read_to_string(&root.join(IMAGE_BUILD_TIME_FILE)).ok()?;
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Why the machine was not powered off.
#[derive(Debug, thiserror::Error)]
pub enum PowerError {
    #[error(
        "not running from the Reprise live image (/{IMAGE_DIGEST_FILE} is absent): not powering off"
    )]
    NotLiveImage,
    #[error("power-off failed")]
    Reboot(#[source] nix::Error),
}

/// Flushes the filesystems and powers off. Returns only on failure.
pub fn power_off() -> Result<(), PowerError> {
    if !live_image_marker().exists() {
        return Err(PowerError::NotLiveImage);
    }
    nix::unistd::sync();
    match nix::sys::reboot::reboot(nix::sys::reboot::RebootMode::RB_POWER_OFF) {
        Ok(never) => match never {},
        Err(e) => Err(PowerError::Reboot(e)),
    }
}
