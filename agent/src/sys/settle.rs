//! Waiting for storage to settle before it is probed: drivers load in the background and by
//! hotplug (a USB disk behind `sd_mod`, `virtio_blk`, an SD card's `mmc_block` after its host
//! has scanned), so the set of block devices keeps changing for a moment after boot. A probe
//! taken while it still changes misses a disk, which the run would then neither wipe nor
//! certify.

use std::time::Duration;

use super::clock::{Stopwatch, sleep};
use super::{SysRoot, fs};

/// How long the set of block devices must stay the same to be taken as settled.
pub const QUIET: Duration = Duration::from_millis(500);
/// The same with an MMC host (an SD or eMMC slot): a card is found only after the host has
/// scanned its bus, which takes longer than a PCI or USB disk's probe.
pub const QUIET_MMC: Duration = Duration::from_millis(1000);
/// The longest wait: storage that keeps changing after this (a flapping USB link) is probed as
/// it is, and the run checks the set of disks again before writing and before signing.
pub const AT_MOST: Duration = Duration::from_secs(10);

/// What the wait saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub waited: Duration,
    /// The set was still changing when the wait gave up.
    pub gave_up: bool,
    /// Kernel names of the block devices at the end.
    pub devices: Vec<String>,
}

/// Waits until the block devices under `root` (`sys/class/block`) have not changed for
/// [`QUIET`] (or [`QUIET_MMC`] when the machine has an MMC host), at most [`AT_MOST`].
pub fn storage(root: &SysRoot) -> Settled {
    let quiet = if fs::list_dir(root, "sys/class/mmc_host").is_ok_and(|h| !h.is_empty()) {
        QUIET_MMC
    } else {
        QUIET
    };
    let poll = Duration::from_millis(100);
    let started = Stopwatch::start();
    let list = || {
        let mut names = fs::list_dir(root, "sys/class/block").unwrap_or_default();
        names.sort();
        names
    };
    let mut seen = list();
    let mut since = Stopwatch::start();
    loop {
        if since.elapsed() >= quiet {
            return Settled {
                waited: started.elapsed(),
                gave_up: false,
                devices: seen,
            };
        }
        if started.elapsed() >= AT_MOST {
            return Settled {
                waited: started.elapsed(),
                gave_up: true,
                devices: seen,
            };
        }
        sleep(poll);
        let now = list();
        if now != seen {
            seen = now;
            since = Stopwatch::start();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disk_that_appears_while_waiting_is_in_the_settled_set() {
        let dir = tempfile::tempdir().unwrap();
        let block = dir.path().join("sys/class/block");
        std::fs::create_dir_all(&block).unwrap();
        std::fs::create_dir(block.join("sda")).unwrap();
        let late = block.join("mmcblk0");
        let adder = std::thread::spawn(move || {
            sleep(Duration::from_millis(200));
            std::fs::create_dir(late).unwrap();
        });
        let s = storage(&SysRoot::new(dir.path()));
        adder.join().unwrap();
        assert!(!s.gave_up);
        assert_eq!(s.devices, ["mmcblk0", "sda"]);
    }

    #[test]
    fn no_block_devices_at_all_is_a_settled_empty_set() {
        let dir = tempfile::tempdir().unwrap();
        let s = storage(&SysRoot::new(dir.path()));
        assert!(!s.gave_up);
        assert!(s.devices.is_empty());
    }
}
