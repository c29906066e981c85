//! Powering the machine off at the end of an automatic run — only ever from the live image.

use std::path::Path;

/// Present only in the live image's initramfs. Powering off is refused anywhere else, so that
/// `reprise run --poweroff` started by mistake on a workstation (or by a test) never stops it.
pub const LIVE_IMAGE_MARKER: &str = "/etc/reprise/image-digest";

/// Why the machine was not powered off.
#[derive(Debug, thiserror::Error)]
pub enum PowerError {
    #[error(
        "not running from the Reprise live image ({LIVE_IMAGE_MARKER} is absent): not powering off"
    )]
    NotLiveImage,
    #[error("power-off failed")]
    Reboot(#[source] nix::Error),
}

/// Flushes the filesystems and powers off. Returns only on failure.
pub fn power_off() -> Result<(), PowerError> {
    if !Path::new(LIVE_IMAGE_MARKER).exists() {
        return Err(PowerError::NotLiveImage);
    }
    nix::unistd::sync();
    match nix::sys::reboot::reboot(nix::sys::reboot::RebootMode::RB_POWER_OFF) {
        Ok(never) => match never {},
        Err(e) => Err(PowerError::Reboot(e)),
    }
}
