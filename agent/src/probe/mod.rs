//! Hardware probe: identity, CPU, memory, batteries, disks and network, read from a `SysRoot`.
//!
//! Nothing here fails because one file is missing or odd: each value degrades to
//! [`model::Field::Unknown`] with the reason. Only a root that is not a directory is an error.

pub mod cpu;
pub mod disks;
pub mod drive;
pub mod firmware;
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
#[derive(Debug, Clone, Default)]
pub struct ProbeOptions {
    /// List virtual block devices (loop, zram, dm...) and eMMC boot areas too.
    pub include_virtual: bool,
    /// How drives' firmware is reached for their health.
    pub drives: Drives,
}

/// How the probe reaches the drives' firmware (IDENTIFY, SMART, NVMe logs).
#[derive(Clone, Default)]
pub enum Drives {
    /// Not at all: health is unknown ("not queried").
    #[default]
    None,
    /// The real device nodes (`/dev/NAME`), through the inspection-only passthrough. Only for
    /// the real machine's root.
    Host,
    /// Simulated drives by kernel name (tests, the demo).
    Simulated(
        std::sync::Arc<
            std::sync::Mutex<
                std::collections::BTreeMap<String, Box<dyn crate::sys::passthrough::Passthrough>>,
            >,
        >,
    ),
}

impl std::fmt::Debug for Drives {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drives::None => f.write_str("Drives::None"),
            Drives::Host => f.write_str("Drives::Host"),
            Drives::Simulated(_) => f.write_str("Drives::Simulated(..)"),
        }
    }
}

impl Drives {
    /// The drives of the machine `root` shows: the real ones for the real root, none for a
    /// test tree (whose `/dev` is not a machine's).
    pub fn for_root(root: &SysRoot) -> Drives {
        if root.is_host() {
            Drives::Host
        } else {
            Drives::None
        }
    }
}

/// Probes the machine seen through `root` with default options (drives queried on the real
/// machine only).
pub fn probe(root: &SysRoot) -> Result<ProbeReport, ProbeError> {
    probe_with(
        root,
        ProbeOptions {
            include_virtual: false,
            drives: Drives::for_root(root),
        },
    )
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
    let smbios = firmware::read_smbios(root);
    Ok(ProbeReport {
        schema_version: SCHEMA_VERSION,
        tool_version: crate::model::tool_version(),
        identity: identity::probe_identity(root),
        cpu: cpu::probe_cpu(root),
        memory: memory::probe_memory(root, &smbios),
        power: power::probe_power(root),
        disks: disks::probe_disks_with(root, options.include_virtual, &options.drives),
        network: network::probe_network(root),
        tpm: firmware::tpm(root, &smbios),
    })
}
