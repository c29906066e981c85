//! Suspend-to-RAM and resume, woken by the real-time clock: how a frozen ATA drive is unfrozen.
//!
//! The BIOS of most laptops sends SECURITY FREEZE LOCK (and sometimes SANITIZE FREEZE LOCK) at
//! power-on, so that nothing can set a password; a frozen drive refuses SECURITY ERASE UNIT until
//! it loses power. Suspending to RAM (ACPI S3) powers the drive off while the machine keeps its
//! memory; on resume the kernel powers it on again, and the BIOS is not there to freeze it.
//! Suspend-to-idle (`s2idle`) does not power the drive off: it is no use here.
//!
//! Everything goes through attributes under a `SysRoot`: `sys/power/state` (must offer `mem`),
//! `sys/power/mem_sleep` (must offer `deep`, selected here), `sys/class/rtc/rtc0/wakealarm`
//! (cleared, then set to `+SECONDS`). On the real machine the write of `mem` returns once the
//! machine has resumed.

use std::time::Duration;

use super::SysRoot;
use super::attr::{AttrError, write_attribute};
use super::file;

const STATE: &str = "sys/power/state";
const MEM_SLEEP: &str = "sys/power/mem_sleep";
const WAKEALARM: &str = "sys/class/rtc/rtc0/wakealarm";
/// How many suspends have succeeded since boot (Linux 5.3 and later).
const SUSPENDS: &str = "sys/power/suspend_stats/success";

/// Why this machine cannot suspend to RAM and wake by itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CannotSuspend {
    #[error("the kernel offers no suspend-to-RAM (/{STATE} says {offers:?})")]
    NoMem { offers: String },
    #[error(
        "the firmware offers only suspend-to-idle (/{MEM_SLEEP} says {offers:?}): the drives keep their power, so a frozen drive stays frozen"
    )]
    NoDeep { offers: String },
    #[error("no real-time clock alarm to wake the machine (/{WAKEALARM} is missing)")]
    NoWakeAlarm,
    #[error("not running from the Reprise live image: this machine is not suspended by Reprise")]
    NotLiveImage,
}

/// Whether this machine can suspend to RAM and wake by its RTC alarm.
pub fn check(root: &SysRoot) -> Result<(), CannotSuspend> {
    if root.is_host() && super::power::image_digest(root).is_none() {
        // A workstation (or a test run on one) is never suspended by mistake.
        return Err(CannotSuspend::NotLiveImage);
    }
    let offers = file::read_to_string(&root.join(STATE)).unwrap_or_default();
    if !offers.split_whitespace().any(|w| w == "mem") {
        return Err(CannotSuspend::NoMem {
            offers: offers.trim().to_owned(),
        });
    }
    // Without mem_sleep (kernels before 4.15), "mem" is S3.
    if let Ok(modes) = file::read_to_string(&root.join(MEM_SLEEP))
        && !modes
            .split_whitespace()
            .any(|w| w.trim_matches(|c| c == '[' || c == ']') == "deep")
    {
        return Err(CannotSuspend::NoDeep {
            offers: modes.trim().to_owned(),
        });
    }
    if !file::exists(&root.join(WAKEALARM)) {
        return Err(CannotSuspend::NoWakeAlarm);
    }
    Ok(())
}

/// Why a suspend did not happen or did not come back as planned.
#[derive(Debug, thiserror::Error)]
pub enum SuspendError {
    #[error("cannot suspend")]
    Cannot(#[from] CannotSuspend),
    #[error("suspend to RAM failed")]
    Attr(#[from] AttrError),
    #[error(
        "the write of \"mem\" returned, but the kernel counts no new suspend (/{SUSPENDS} went from {before} to {after}): the drives did not lose power"
    )]
    DidNotSleep { before: u64, after: u64 },
}

/// A suspend that came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resumed {
    /// How long the write of `mem` took by the wall clock: the time asleep, give or take a
    /// second (the kernel adds the time asleep from the RTC, which counts whole seconds).
    pub asleep: Duration,
    /// The kernel's count of successful suspends since boot, this one included, where the
    /// kernel keeps it: the proof that the machine really slept.
    pub suspends: Option<u64>,
}

fn suspend_count(root: &SysRoot) -> Option<u64> {
    file::read_to_string(&root.join(SUSPENDS))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Suspends the machine to RAM and lets the RTC wake it `wake_after` later (at least 2 s).
/// A write of `mem` that returns without error is not taken as proof: the kernel's own count of
/// suspends must have moved too, where it keeps one.
pub fn suspend_and_resume(root: &SysRoot, wake_after: Duration) -> Result<Resumed, SuspendError> {
    check(root)?;
    if file::exists(&root.join(MEM_SLEEP)) {
        write_attribute(root, MEM_SLEEP, "deep")?;
    }
    // An alarm already set makes the kernel refuse a new one (EBUSY): clear it first.
    write_attribute(root, WAKEALARM, "0")?;
    let secs = wake_after.as_secs().max(2);
    write_attribute(root, WAKEALARM, &format!("+{secs}"))?;
    let before = suspend_count(root);
    // The wall clock: the monotonic clock (Instant) stops while the machine sleeps.
    let t0 = super::clock::now_utc();
    let slept = write_attribute(root, STATE, "mem");
    let elapsed = Duration::try_from(super::clock::now_utc() - t0).unwrap_or_default();
    // Never leave an alarm behind, whatever happened.
    let _ = write_attribute(root, WAKEALARM, "0");
    slept?;
    let after = suspend_count(root);
    if let (Some(before), Some(after)) = (before, after)
        && after <= before
    {
        return Err(SuspendError::DidNotSleep { before, after });
    }
    Ok(Resumed {
        asleep: elapsed,
        suspends: after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(state: &str, mem_sleep: Option<&str>, rtc: bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("sys/power")).unwrap();
        std::fs::write(p.join(STATE), state).unwrap();
        if let Some(m) = mem_sleep {
            std::fs::write(p.join(MEM_SLEEP), m).unwrap();
        }
        if rtc {
            std::fs::create_dir_all(p.join("sys/class/rtc/rtc0")).unwrap();
            std::fs::write(p.join(WAKEALARM), "").unwrap();
        }
        dir
    }

    #[test]
    fn says_plainly_when_the_firmware_cannot_suspend() {
        let d = tree("freeze disk\n", None, true);
        assert!(matches!(
            check(&SysRoot::new(d.path())),
            Err(CannotSuspend::NoMem { .. })
        ));
        let d = tree("freeze mem\n", Some("[s2idle]\n"), true);
        let e = check(&SysRoot::new(d.path())).unwrap_err();
        assert!(e.to_string().contains("only suspend-to-idle"), "{e}");
        let d = tree("freeze mem\n", Some("s2idle [deep]\n"), false);
        assert_eq!(
            check(&SysRoot::new(d.path())),
            Err(CannotSuspend::NoWakeAlarm)
        );
        let d = tree("freeze mem disk\n", Some("[s2idle] deep\n"), true);
        assert_eq!(check(&SysRoot::new(d.path())), Ok(()));
    }

    #[test]
    fn sets_deep_sleep_and_the_alarm_then_clears_it() {
        let d = tree("freeze mem disk\n", Some("[s2idle] deep\n"), true);
        let root = SysRoot::new(d.path());
        suspend_and_resume(&root, Duration::from_secs(1)).unwrap();
        let read = |rel| std::fs::read_to_string(d.path().join(rel)).unwrap();
        assert_eq!(read(MEM_SLEEP), "deep");
        assert_eq!(read(STATE), "mem");
        assert_eq!(read(WAKEALARM), "0", "the alarm is cleared afterwards");
    }

    /// A kernel that keeps count and did not count this suspend: the machine did not sleep (a
    /// file tree never does), and saying it did would let a frozen drive pass for unfrozen.
    #[test]
    fn a_suspend_the_kernel_did_not_count_is_an_error() {
        let d = tree("freeze mem disk\n", Some("[s2idle] deep\n"), true);
        std::fs::create_dir_all(d.path().join("sys/power/suspend_stats")).unwrap();
        std::fs::write(d.path().join(SUSPENDS), "3\n").unwrap();
        let e = suspend_and_resume(&SysRoot::new(d.path()), Duration::from_secs(2)).unwrap_err();
        assert!(
            matches!(
                e,
                SuspendError::DidNotSleep {
                    before: 3,
                    after: 3
                }
            ),
            "{e}"
        );
        let read = |rel| std::fs::read_to_string(d.path().join(rel)).unwrap();
        assert_eq!(read(WAKEALARM), "0", "the alarm is cleared afterwards");
    }
}
