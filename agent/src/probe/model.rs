//! The probe report: what `reprise probe --json` prints (schema below is a contract).
//!
//! Every field that the machine may fail to tell us is a [`Field`], so that "unknown, because
//! the file was missing" is distinguishable from an empty value. Integers only: bytes, kHz,
//! µWh/µAh, per-mille. Bump [`SCHEMA_VERSION`] on any incompatible change. Member by member
//! meaning and sources: `SCHEMA.md` next to this file.

use serde::{Deserialize, Serialize};

/// Version of the JSON schema of [`ProbeReport`]. Additive changes keep it; renames bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// A value read from the machine, or the reason it is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "value")]
pub enum Field<T> {
    /// Read successfully.
    Known(T),
    /// Not available; the string says why (e.g. "sys/class/dmi/id/product_serial: not found").
    Unknown(String),
}

impl<T> Field<T> {
    /// The value when known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Field::Known(v) => Some(v),
            Field::Unknown(_) => None,
        }
    }
}

/// Everything the probe found on one machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub schema_version: u32,
    /// Version of the reprise binary that produced this report.
    pub tool_version: String,
    pub identity: Identity,
    pub cpu: Cpu,
    pub memory: Memory,
    pub power: Power,
    pub disks: Vec<Disk>,
    pub network: Vec<NetInterface>,
}

/// SMBIOS identity of the machine (system, baseboard, chassis, BIOS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub system: SystemId,
    pub board: BoardId,
    pub chassis: ChassisId,
    pub bios: BiosId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemId {
    pub vendor: Field<String>,
    pub product_name: Field<String>,
    pub version: Field<String>,
    pub serial: Field<String>,
    pub uuid: Field<String>,
    pub sku: Field<String>,
    pub family: Field<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardId {
    pub vendor: Field<String>,
    pub product_name: Field<String>,
    pub version: Field<String>,
    pub serial: Field<String>,
    pub asset_tag: Field<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChassisId {
    pub vendor: Field<String>,
    /// SMBIOS chassis type number (3 = desktop, 9 = laptop, 10 = notebook, ...).
    pub chassis_type: Field<u8>,
    /// Human name of `chassis_type` ("Notebook").
    pub chassis_type_name: Field<String>,
    pub version: Field<String>,
    pub serial: Field<String>,
    pub asset_tag: Field<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BiosId {
    pub vendor: Field<String>,
    pub version: Field<String>,
    pub date: Field<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cpu {
    pub vendor: Field<String>,
    pub model_name: Field<String>,
    pub family: Field<u32>,
    pub model: Field<u32>,
    pub stepping: Field<u32>,
    pub sockets: Field<u32>,
    pub physical_cores: Field<u32>,
    pub threads: Field<u32>,
    pub max_frequency_khz: Field<u64>,
    /// x86-64 micro-architecture level, 1 to 4 (0 when not x86-64 at all).
    pub x86_64_level: Field<u8>,
    pub aes_ni: Field<bool>,
    /// "vmx" (Intel VT-x), "svm" (AMD-V) or none.
    pub virtualization: Field<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    /// MemTotal from /proc/meminfo, in bytes.
    pub total_usable_bytes: Field<u64>,
    /// Memory devices from SMBIOS type 17 (empty until the table is parsed).
    pub modules: Vec<MemoryModule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryModule {
    pub slot: Field<String>,
    /// 0 means an empty slot.
    pub size_bytes: Field<u64>,
    pub memory_type: Field<String>,
    pub speed_mts: Field<u32>,
    pub manufacturer: Field<String>,
    pub part_number: Field<String>,
    pub serial: Field<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Power {
    /// Every power_supply of type Battery; empty means "no battery".
    pub batteries: Vec<Battery>,
    /// Whether an AC adapter (type Mains) is present and online.
    pub ac_online: Field<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Battery {
    /// Kernel name, e.g. BAT0.
    pub name: String,
    pub manufacturer: Field<String>,
    pub model_name: Field<String>,
    pub serial: Field<String>,
    pub technology: Field<String>,
    /// "energy" (µWh) or "charge" (µAh): the unit of the capacities below.
    pub capacity_unit: Field<CapacityUnit>,
    pub design_capacity: Field<u64>,
    pub full_capacity: Field<u64>,
    pub now_capacity: Field<u64>,
    /// full / design, per mille (1000 = as new; may exceed 1000).
    pub health_permille: Field<u32>,
    /// None when the kernel reports 0 (unknown).
    pub cycle_count: Field<Option<u32>>,
    pub status: Field<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityUnit {
    /// Capacities in µWh (energy_full, energy_full_design).
    MicroWattHours,
    /// Capacities in µAh (charge_full, charge_full_design).
    MicroAmpHours,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Nvme,
    Sata,
    Usb,
    Mmc,
    Virtio,
    Scsi,
    Unknown,
}

impl Transport {
    /// The name used in JSON, reports and certificates ("nvme", "sata", ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Nvme => "nvme",
            Transport::Sata => "sata",
            Transport::Usb => "usb",
            Transport::Mmc => "mmc",
            Transport::Virtio => "virtio",
            Transport::Scsi => "scsi",
            Transport::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disk {
    /// Kernel name: sda, nvme0n1, mmcblk0.
    pub name: String,
    /// /dev path, e.g. /dev/nvme0n1.
    pub dev_path: String,
    pub model: Field<String>,
    pub serial: Field<String>,
    pub firmware: Field<String>,
    pub vendor: Field<String>,
    pub transport: Transport,
    pub rotational: Field<bool>,
    pub removable: Field<bool>,
    pub size_bytes: Field<u64>,
    pub logical_sector_size: Field<u32>,
    pub physical_sector_size: Field<u32>,
    pub read_only: Field<bool>,
    pub partitions: Vec<Partition>,
    /// Mount points of the whole disk itself (a filesystem without partition table).
    pub mountpoints: Vec<String>,
    /// The disk holds the running system or the boot medium: never wipe it.
    pub holds_system: bool,
    /// Why `holds_system` is true ("partition sdb1 mounted on /run/live", "root=... names it").
    pub system_reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub name: String,
    pub dev_path: String,
    pub size_bytes: Field<u64>,
    pub mountpoints: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetInterface {
    pub name: String,
    pub mac: Field<String>,
    pub driver: Field<String>,
}
