//! The only code that touches the OS: sysfs/procfs reads under a root, block-device I/O, the
//! ioctls (with all the `unsafe`), which devices the system uses, files (atomic creation, plain
//! reads), the clocks, the OS random source, signals, power, the network (HTTP to the workshop
//! server, a resumable image download, SNTP), external programs (e2fsck, resize2fs), and the live sensors (load, temperatures, battery).

pub mod atomic;
pub mod attr;
pub mod blockdev;
pub mod clock;
pub mod env;
pub mod file;
pub mod fs;
pub mod http;
pub mod ioctl;
pub mod ntp;
pub mod passthrough;
pub mod power;
pub mod random;
pub mod scratch;
pub mod sensors;
pub mod settle;
pub mod signals;
pub mod suspend;
pub mod tool;
pub mod usage;

use std::path::{Path, PathBuf};

/// Root of the sysfs/procfs view the probe reads: `/` in production, a fixture tree in tests.
///
/// Every path into `/sys`, `/proc` or `/dev` goes through [`SysRoot::join`], so no absolute
/// literal is buried in logic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysRoot(PathBuf);

impl SysRoot {
    /// A view rooted at `root` (which must exist; the caller checks).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        SysRoot(root.into())
    }

    /// The real machine.
    pub fn host() -> Self {
        SysRoot(PathBuf::from("/"))
    }

    /// Whether this is the real machine's root.
    pub fn is_host(&self) -> bool {
        self.0 == Path::new("/")
    }

    /// The root directory itself.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `rel` (e.g. "sys/class/dmi/id") under the root; `rel` must be relative.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        let rel = rel.as_ref();
        let rel = rel.strip_prefix("/").unwrap_or(rel);
        self.0.join(rel)
    }
}
