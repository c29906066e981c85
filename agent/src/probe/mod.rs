//! Hardware probe: identity, CPU, memory, batteries, disks and network, read from a `SysRoot`.
//!
//! Nothing here fails because one file is missing or odd: each value degrades to
//! [`model::Field::Unknown`] with the reason. Only a root that is not a directory is an error.

pub mod cpu;
pub mod disks;
pub mod identity;
pub mod medium;
pub mod memory;
pub mod model;
pub mod network;
pub mod power;
pub mod render;

use std::path::PathBuf;

use crate::sys::SysRoot;
use model::{ProbeReport, SCHEMA_VERSION};

/// Why a probe could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The root given (`--root`) does not exist.
    #[error("sysfs/procfs root {path} does not exist")]
    RootMissing { path: PathBuf },
    /// The root exists but is not a directory, or cannot be inspected.
    #[error("sysfs/procfs root {path} is not a readable directory: {reason}")]
    RootNotDirectory { path: PathBuf, reason: String },
}

/// What to include beyond the default view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeOptions {
    /// List virtual block devices (loop, zram, dm...) and eMMC boot areas too.
    pub include_virtual: bool,
}

/// Probes the machine seen through `root` with default options.
pub fn probe(root: &SysRoot) -> Result<ProbeReport, ProbeError> {
    probe_with(root, ProbeOptions::default())
}

/// Probes the machine seen through `root`.
pub fn probe_with(root: &SysRoot, options: ProbeOptions) -> Result<ProbeReport, ProbeError> {
    let path = root.path().to_path_buf();
    match crate::sys::file::kind(&path) {
        Ok(crate::sys::file::Kind::Directory) => {}
        Ok(_) => {
            return Err(ProbeError::RootNotDirectory {
                path,
                reason: "not a directory".to_owned(),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ProbeError::RootMissing { path });
        }
        Err(e) => {
            return Err(ProbeError::RootNotDirectory {
                path,
                reason: e.to_string(),
            });
        }
    }
    Ok(ProbeReport {
        schema_version: SCHEMA_VERSION,
        tool_version: crate::model::tool_version(),
        identity: identity::probe_identity(root),
        cpu: cpu::probe_cpu(root),
        memory: memory::probe_memory(root),
        power: power::probe_power(root),
        disks: disks::probe_disks(root, options.include_virtual),
        network: network::probe_network(root),
    })
}
