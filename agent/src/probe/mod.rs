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
pub mod pci;
pub mod power;
pub mod render;
pub mod selftest;
pub mod storage;

use std::path::PathBuf;

use crate::model::Transport;
use crate::sys::SysRoot;
pub use crate::sys::blockdev::DiscStatus;
use crate::sys::passthrough::{Inspection, Passthrough, Protocol, open_for_inspection};
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

/// Simulated drives by kernel name ("sda", "nvme0n1"), shared with whoever set them up.
pub type SimulatedDrives =
    std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, Box<dyn Passthrough>>>>;

/// How the probe reaches the drives' firmware (IDENTIFY, SMART, NVMe logs).
#[derive(Clone, Default)]
pub enum Drives {
    /// Not at all: health is unknown ("not queried").
    #[default]
    None,
    /// The real device nodes (`/dev/NAME`), through the inspection-only passthrough. Only for
    /// the real machine's root.
    Host,
    /// Simulated drives by kernel name (the tests, with the drives of `reprise-sim`).
    Simulated(SimulatedDrives),
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
    /// Whether the optical drive `name` holds a disc, as the drive says (the real machine only:
    /// a test tree's `/dev` is not a machine's, and simulated drives have no tray).
    pub fn disc_status(&self, root: &SysRoot, name: &str) -> Result<DiscStatus, String> {
        match self {
            Drives::Host => crate::sys::blockdev::disc_status(&root.join(format!("dev/{name}")))
                .map_err(|e| format!("/dev/{name}: {e}")),
            Drives::None => Err("drives not queried".into()),
            Drives::Simulated(_) => Err("no simulated optical drive".into()),
        }
    }

    /// The drives of the machine `root` shows: the real ones for the real root, none for a
    /// test tree (whose `/dev` is not a machine's).
    pub fn for_root(root: &SysRoot) -> Drives {
        if root.is_host() {
            Drives::Host
        } else {
            Drives::None
        }
    }

    /// Runs `f` with the drive behind disk `name` (kernel name), reached through the
    /// inspection-only passthrough: reads, and the self-test, and nothing else. `Err` says in
    /// words why the drive cannot be reached (not queried, an SD card, no such node).
    pub fn with<R>(
        &self,
        root: &SysRoot,
        name: &str,
        transport: Transport,
        f: impl FnOnce(&mut dyn Passthrough) -> R,
    ) -> Result<R, String> {
        let protocol = match transport {
            Transport::Nvme => Protocol::Nvme,
            Transport::Sata | Transport::Usb | Transport::Scsi => Protocol::Sat,
            other => return Err(format!("{} disk: no SMART to read", other.display_name())),
        };
        match self {
            Drives::None => Err("drives not queried".into()),
            Drives::Host => {
                let mut node = open_for_inspection(&root.join(format!("dev/{name}")), protocol)
                    .map_err(|e| e.to_string())?;
                Ok(f(&mut node))
            }
            Drives::Simulated(sims) => {
                let mut sims = sims.lock().unwrap_or_else(|e| e.into_inner());
                match sims.get_mut(name) {
                    // The simulated drive is wrapped too, so that tests meet the same refusals.
                    Some(sim) => Ok(f(&mut Inspection(sim.as_mut()))),
                    None => Err("no simulated drive".into()),
                }
            }
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
    let (disks, other_storage) =
        disks::probe_storage(root, options.include_virtual, &options.drives);
    let controllers = pci::probe_controllers(root, &disks, &other_storage);
    Ok(ProbeReport {
        schema_version: SCHEMA_VERSION,
        tool_version: crate::model::tool_version(),
        identity: identity::probe_identity(root),
        cpu: cpu::probe_cpu(root),
        memory: memory::probe_memory(root, &smbios),
        power: power::probe_power(root),
        disks,
        network: network::probe_network(root),
        tpm: firmware::tpm(root, &smbios),
        other_storage,
        controllers,
    })
}
