//! `reprise demo`: the whole run over a simulated laptop, with no root, no QEMU and no device.
//!
//! The machine is a probe fixture tree (a recorded laptop); each disk the run would wipe is
//! replaced by a *stand-in*: a regular file created here, in the demo's own temporary folder,
//! filled with pseudo-random "pupils' files". The replacement is the only demo-specific step and
//! it cannot reach a device: every target becomes a file this module created inside `dir`
//! ([`check_targets`] proves it before anything is written), and the system view stays the
//! fixture tree, where the write guard refuses every block device anyway. The stand-ins keep the
//! probed disk's id, model and serial, so the verdict and the certificate join them as they
//! would join the real disks.

use std::path::{Path, PathBuf};

use super::{RunPlan, SkipReason};
use crate::model::{Field, MediaType, Transport};
use crate::probe::model::ProbeReport;
use crate::sys::atomic::{self, AtomicWriteError};

/// Why the demo could not set up its laptop.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot create the stand-in disk {path}")]
    StandIn {
        path: PathBuf,
        #[source]
        source: AtomicWriteError,
    },
    #[error("demo target {path} is not a stand-in file inside {dir}: refusing to run")]
    Escaped { path: PathBuf, dir: PathBuf },
}

/// The demo's stand-in disks: files it created in its own folder, paced like a disk.
#[derive(Debug, Clone)]
pub struct Demo {
    pub dir: PathBuf,
    pub stand_ins: Vec<StandIn>,
    /// Each stand-in's throughput, bytes per second.
    pub pace_bps: u64,
}

/// A disk of the fixture and the file standing in for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandIn {
    /// The fixture's device ("/dev/nvme0n1"), shown to the operator.
    pub stands_for: String,
    pub file: PathBuf,
}

/// The probe of the demo laptop: `probe` with each disk the run would wipe replaced by a file of
/// `size(disk_index)` bytes in `dir` (created here; `dir` must be the demo's own new folder).
pub fn stand_in(
    probe: &ProbeReport,
    dir: &Path,
    size: impl Fn(usize) -> u64,
) -> Result<(ProbeReport, Vec<StandIn>), DemoError> {
    let mut demo = probe.clone();
    let mut stand_ins = Vec::new();
    let mut seed = 0x5eed_u64;
    for (i, disk) in demo.disks.iter_mut().enumerate() {
        if SkipReason::of(disk).is_some() {
            continue;
        }
        let bytes = pupils_files(size(i), &mut seed);
        let name = format!("{}.img", disk.name);
        let file =
            atomic::write_new(dir, &name, &bytes, 0o600).map_err(|source| DemoError::StandIn {
                path: dir.join(&name),
                source,
            })?;
        stand_ins.push(StandIn {
            stands_for: disk.dev_path.clone(),
            file: file.clone(),
        });
        disk.dev_path = file.display().to_string();
        disk.devno = None;
        disk.transport = Transport::File;
        disk.media_type = MediaType::File;
        disk.size_bytes = Field::Known(bytes.len() as u64);
        disk.logical_sector_size = Field::Known(512);
        disk.physical_sector_size = Field::Known(512);
        disk.read_only = Field::Known(false);
        disk.partitions.clear();
        disk.mountpoints.clear();
    }
    Ok((demo, stand_ins))
}

/// Pseudo-random bytes (xorshift): old data that a wipe visibly replaces.
fn pupils_files(len: u64, seed: &mut u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    while (out.len() as u64) < len {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(usize::try_from(len).unwrap_or(0));
    out
}

/// The demo's own safety check, in place of the automatic mode's: every target of the plan is
/// one of the stand-in files, inside `dir`.
pub fn check_targets(plan: &RunPlan, stand_ins: &[StandIn], dir: &Path) -> Result<(), DemoError> {
    for t in plan.targets() {
        let path = t.path();
        let ours = path.starts_with(dir)
            && t.identity().transport == Transport::File
            && stand_ins.iter().any(|s| s.file == path);
        if !ours {
            return Err(DemoError::Escaped {
                path: path.to_owned(),
                dir: dir.to_owned(),
            });
        }
    }
    Ok(())
}
