//! The probe report: what `reprise probe --json` prints (schema below is a contract).
//!
//! Every field that the machine may fail to tell us is a [`Field`], so that "unknown, because
//! the file was missing" is distinguishable from an empty value. Integers only: bytes, kHz,
//! µWh/µAh, per-mille. Bump [`SCHEMA_VERSION`] on any incompatible change. Member by member
//! meaning and sources: `SCHEMA.md` next to this file.

use serde::{Deserialize, Serialize};

use crate::model::{DevNo, DiskId, DiskIdentity, Field, MediaType, Transport};
/// The closed sets the certificate records too (what a piece of storage or a controller is,
/// what was done, what may hide disks): defined in `reprise-cert`.
pub use reprise_cert::words::{ControllerFinding, ControllerKind, StorageHandling, StorageKind};

/// Version of the JSON schema of [`ProbeReport`]. Additive changes keep it; renames bump it.
pub const SCHEMA_VERSION: u32 = 1;

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
    /// The TPM (SMBIOS type 43, or the kernel's `sys/class/tpm`); `Known(None)`: none.
    #[serde(default = "unknown_tpm")]
    pub tpm: Field<Option<Tpm>>,
    /// Storage that is not a disk the run sanitizes: optical drives, empty card readers,
    /// read-only removable media, eMMC boot partitions and RPMB, NVMe namespaces the kernel does
    /// not show. Never in `disks`.
    #[serde(default)]
    pub other_storage: Vec<OtherStorage>,
    /// PCI storage controllers (class 01h, SD hosts, Intel VMD) and network controllers
    /// (class 02h): their driver, what they show, and what may hide disks.
    #[serde(default)]
    pub controllers: Vec<Controller>,
}

fn unknown_tpm() -> Field<Option<Tpm>> {
    Field::Unknown("not probed (older report)".into())
}

/// A Trusted Platform Module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tpm {
    /// Specification version: "2.0", "1.2".
    pub spec_version: String,
    /// Vendor ID as the TPM states it ("INTC", "IFX ", "STM ").
    pub vendor: Option<String>,
    /// Firmware version, when SMBIOS gives it.
    pub firmware: Option<String>,
    /// Where this comes from: "SMBIOS type 43" or "sys/class/tpm".
    pub source: String,
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
    /// Memory devices from SMBIOS type 17, one per slot (an empty slot has size 0); empty when
    /// the table could not be read (`smbios` says why).
    pub modules: Vec<MemoryModule>,
    /// Slots the memory arrays declare (SMBIOS type 16), when the table was read.
    #[serde(default = "unknown_smbios")]
    pub slots: Field<u32>,
    /// The SMBIOS version the table was read from ("3.0.0"), or why it was not.
    #[serde(default = "unknown_smbios")]
    pub smbios: Field<String>,
}

fn unknown_smbios<T>() -> Field<T> {
    Field::Unknown("not probed (older report)".into())
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
    /// "SODIMM", "DIMM", "Row Of Chips" (soldered).
    #[serde(default = "unknown_smbios")]
    pub form_factor: Field<String>,
    /// Soldered to the board (form factor "Row Of Chips", or a locator that says so): it cannot
    /// be swapped.
    #[serde(default)]
    pub soldered: bool,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disk {
    /// Kernel name: sda, nvme0n1, mmcblk0.
    pub name: String,
    /// /dev path, e.g. /dev/nvme0n1.
    pub dev_path: String,
    /// The disk's stable name (WWN, else transport + serial, else the path, said so), by which
    /// the wipe report, the verdict and the certificate refer to it.
    pub id: DiskId,
    /// Device number ("8:0") when probed.
    pub devno: Option<DevNo>,
    pub model: Field<String>,
    pub serial: Field<String>,
    pub firmware: Field<String>,
    pub vendor: Field<String>,
    /// World-wide name (NAA or EUI), when the drive has one.
    pub wwn: Field<String>,
    pub transport: Transport,
    /// What the storage is made of, from the transport and the rotational flag.
    pub media_type: MediaType,
    pub rotational: Field<bool>,
    pub removable: Field<bool>,
    pub size_bytes: Field<u64>,
    pub logical_sector_size: Field<u32>,
    pub physical_sector_size: Field<u32>,
    pub read_only: Field<bool>,
    pub partitions: Vec<Partition>,
    /// Mount points of the whole disk itself (a filesystem without partition table).
    pub mountpoints: Vec<String>,
    /// The disk carries the Reprise live image (recognised by its partition table's fixed
    /// GUIDs, not by what is mounted), and whether it is the medium this system booted from.
    pub reprise_medium: Option<RepriseMedium>,
    /// The disk carries a copy of the Reprise image but is built into the laptop (NVMe, a
    /// fixed SATA disk, an eMMC): never taken for the stick, nothing is read from it, and it is
    /// sanitized like any other disk. Why, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprise_copy: Option<String>,
    /// Soldered to the board (an eMMC, not an SD card in a reader): it cannot be removed.
    pub soldered: bool,
    /// What the drive's own firmware says of its health (SMART, NVMe SMART/Health log), read by
    /// the agent itself; unknown with the reason when it cannot be read (a USB bridge without
    /// ATA pass-through, SMART disabled, a test tree).
    #[serde(default)]
    pub health: DiskHealth,
    /// What the drive's IDENTIFY / Identify Controller data says it can do (erase commands,
    /// security state, hidden areas), when it was read.
    #[serde(default)]
    pub drive: Option<DriveFacts>,
    /// The disk holds the running system: never wipe it.
    pub holds_system: bool,
    /// Why `holds_system` is true ("partition sdb1 mounted on /run/live", "root=... names it").
    pub system_reasons: Vec<String>,
    /// The disk was not there when the run was planned: it appeared while the run was under
    /// way (a late driver, a hot-plugged disk), so it was not sanitized. Absent from a probe's
    /// own report.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub appeared_during_run: bool,
}

/// A disk carrying the Reprise live image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepriseMedium {
    /// Kernel name of its data partition (GPT partition 3, "REPRISE"), when the kernel has it.
    pub data_partition: Option<String>,
    /// Proven to be the medium this system booted from: the only Reprise medium present, and
    /// the kernel was loaded from a disk (not over the network).
    pub booted: bool,
    /// How it was recognised, and why it is (or is not) taken as the boot medium.
    pub reason: String,
}

/// Whether a drive's firmware considers it healthy, and which self-test ran: defined in
/// `reprise-cert`, whose certificate records them.
pub use reprise_cert::model::{HealthStatus, SelfTestKind};

/// SMART / NVMe health of one disk, as far as it could be read (`None` = unknown). Counters are
/// raw values as the drive reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskHealth {
    #[serde(default)]
    pub status: HealthStatus,
    /// Why the status is failing or unknown ("attribute 5 Reallocated_Sector_Ct at or below
    /// threshold", "USB bridge: no ATA pass-through").
    #[serde(default)]
    pub why: Option<String>,
    /// Where the facts come from: "ATA SMART", "NVMe SMART/Health log".
    #[serde(default)]
    pub source: Option<String>,
    /// SMART RETURN STATUS (ATA) or no critical warning (NVMe).
    pub smart_passed: Option<bool>,
    /// ATA attribute 5.
    pub reallocated: Option<u64>,
    /// ATA attribute 197.
    pub pending: Option<u64>,
    /// ATA attribute 198 (offline uncorrectable) or NVMe media and data integrity errors.
    pub media_errors: Option<u64>,
    #[serde(default)]
    pub power_on_hours: Option<u64>,
    #[serde(default)]
    pub temperature_celsius: Option<i16>,
    /// NVMe percentage used (may exceed 100), or ATA wear attribute 231/233 as 100 − value.
    #[serde(default)]
    pub percentage_used: Option<u16>,
    /// NVMe available spare and its threshold, percent.
    #[serde(default)]
    pub available_spare: Option<u8>,
    #[serde(default)]
    pub available_spare_threshold: Option<u8>,
    /// NVMe critical warnings set ("available spare below threshold", "reliability degraded").
    #[serde(default)]
    pub critical_warnings: Vec<String>,
    /// The drive's short self-test, when one was run (`--self-test short`).
    #[serde(default)]
    pub self_test: Option<SelfTestResult>,
}

impl DiskHealth {
    /// Sectors the drive has remapped out of the host's addresses, or is about to: reallocated
    /// (ATA attribute 5) plus pending reallocation (197, which a write may reallocate). Their
    /// old content stays where no overwrite reaches. `None` when the drive gives neither count
    /// (NVMe has none: it remaps inside the controller and says nothing).
    pub fn remapped_sectors(&self) -> Option<u64> {
        match (self.reallocated, self.pending) {
            (None, None) => None,
            (r, p) => Some(r.unwrap_or(0).saturating_add(p.unwrap_or(0))),
        }
    }
}

/// How a drive self-test ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfTestResult {
    pub kind: SelfTestKind,
    pub passed: bool,
    /// In words: "completed without error", "read failure", "aborted by the host".
    pub result: String,
    /// First failing LBA, when the drive gives it.
    pub failing_lba: Option<u64>,
    pub duration_ms: u64,
}

/// What a drive says it can do, from IDENTIFY DEVICE (ATA) or Identify Controller (NVMe): the
/// facts the sanitization plan and the operator need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "protocol", rename_all = "snake_case")]
pub enum DriveFacts {
    Ata {
        model: String,
        serial: String,
        firmware: String,
        /// User addressable sectors (what the drive shows now).
        capacity_sectors: u64,
        logical_sector_size: u32,
        /// Nominal rotation rate in rpm; 0 for solid state; `None` not reported.
        rotation_rpm: Option<u32>,
        smart_supported: bool,
        smart_enabled: bool,
        security_supported: bool,
        security_enabled: bool,
        security_locked: bool,
        security_frozen: bool,
        enhanced_erase_supported: bool,
        /// Erase times in minutes, when stated.
        erase_minutes: Option<u32>,
        enhanced_erase_minutes: Option<u32>,
        sanitize_supported: bool,
        sanitize_crypto: bool,
        sanitize_block: bool,
        sanitize_overwrite: bool,
        hpa_supported: bool,
        hpa_enabled: bool,
        dco_supported: bool,
        trim_supported: bool,
        /// The IDENTIFY integrity word (checksum) is valid or absent.
        identify_trusted: bool,
    },
    Nvme {
        model: String,
        serial: String,
        firmware: String,
        /// Number of namespaces the controller supports (NN: the highest namespace ID it may
        /// have, not how many exist).
        namespaces: u32,
        /// The namespaces that exist and are attached (Identify CNS 02h, the Active Namespace ID
        /// list), when it was read: one the kernel shows no disk for is listed in
        /// `other_storage`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        active_namespaces: Option<Vec<u32>>,
        format_supported: bool,
        /// Format applies to all namespaces at once (FNA bit 0); crypto erase supported
        /// (bit 2).
        format_all_namespaces: bool,
        crypto_erase_supported: bool,
        sanitize_crypto: bool,
        sanitize_block: bool,
        sanitize_overwrite: bool,
        self_test_supported: bool,
    },
}

impl ProbeReport {
    /// The laptop's own disks ([`Disk::is_internal`]): what a run must have found before it can
    /// say anything about the laptop's storage.
    pub fn internal_disks(&self) -> Vec<&Disk> {
        self.disks.iter().filter(|d| d.is_internal()).collect()
    }

    /// Whether this probe found internal storage: at least one internal disk.
    pub fn has_internal_storage(&self) -> bool {
        self.disks.iter().any(Disk::is_internal)
    }

    /// The storage controllers that may hide disks (RAID mode, Intel VMD without its driver,
    /// NVMe drives remapped behind SATA, no driver): each names the step that fixes it
    /// (`reprise_cert::messages::controller_finding`).
    pub fn controllers_hiding_disks(&self) -> Vec<&Controller> {
        self.controllers
            .iter()
            .filter(|c| c.hides_disks())
            .collect()
    }
}

impl Disk {
    /// Whether this disk is the proven boot medium: the one disk the verdict leaves out.
    pub fn is_boot_medium(&self) -> bool {
        self.reprise_medium.as_ref().is_some_and(|m| m.booted)
    }

    /// Whether the run must leave this disk alone: it holds the running system or carries a
    /// Reprise image (a stick is never wiped, booted from or not).
    pub fn is_protected(&self) -> bool {
        self.holds_system || self.reprise_medium.is_some()
    }

    /// Whether the disk is the laptop's own storage: not behind USB, not an SD card in a
    /// reader, not the boot medium. (Optical drives and empty readers are not disks at all.)
    pub fn is_internal(&self) -> bool {
        let external = match self.transport {
            Transport::Usb => true,
            Transport::Mmc => !self.soldered,
            _ => false,
        };
        !external && !self.is_boot_medium()
    }

    /// The disk's identity as every later step records it: built here, once.
    pub fn identity(&self) -> DiskIdentity {
        DiskIdentity {
            id: self.id.clone(),
            dev_path: self.dev_path.clone(),
            devno: self.devno,
            vendor: self.vendor.known().cloned(),
            model: self.model.known().cloned(),
            serial: self.serial.known().cloned(),
            firmware: self.firmware.known().cloned(),
            wwn: self.wwn.known().cloned(),
            transport: self.transport,
            media_type: self.media_type,
            size_bytes: self.size_bytes.known().copied().unwrap_or(0),
            logical_sector_size: self.logical_sector_size.known().copied().unwrap_or(512),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub name: String,
    pub dev_path: String,
    pub size_bytes: Field<u64>,
    pub mountpoints: Vec<String>,
}

/// Storage that is not a disk the run sanitizes, listed for what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherStorage {
    /// Kernel name ("sr0", "sdc", "mmcblk0boot0", "mmcblk0rpmb"); an NVMe namespace the kernel
    /// does not show: its controller and number ("nvme0 namespace 2").
    pub name: String,
    /// Its device node, when the kernel made one.
    pub dev_path: Option<String>,
    pub kind: StorageKind,
    /// Its stable name, when it has one (an NVMe namespace: `nvme:<serial>:ns<n>`).
    pub id: Option<DiskId>,
    /// The disk it is part of (the eMMC of a boot partition, a namespace's sibling disk).
    pub part_of: Option<DiskId>,
    pub vendor: Field<String>,
    pub model: Field<String>,
    pub serial: Field<String>,
    pub transport: Transport,
    pub size_bytes: Field<u64>,
    pub read_only: Field<bool>,
    /// What the run does with it.
    pub handling: StorageHandling,
    /// What the probe saw that says so ("SCSI peripheral type 5", "removable, size 0").
    pub evidence: String,
}

impl OtherStorage {
    /// An NVMe namespace the kernel does not show: its controller's serial and its number.
    pub fn nvme_namespace(&self) -> Option<(&str, u32)> {
        match (&self.kind, &self.id) {
            (
                StorageKind::NvmeNamespace,
                Some(DiskId::Serial {
                    serial,
                    namespace: Some(ns),
                    ..
                }),
            ) => Some((serial.as_str(), *ns)),
            _ => None,
        }
    }
}

/// A PCI controller: storage (with what it shows) or network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controller {
    /// PCI address ("0000:00:17.0").
    pub address: String,
    pub kind: ControllerKind,
    /// PCI class code, six hex digits ("010601").
    pub class: String,
    /// Vendor and device IDs, four hex digits each ("8086", "9a0b").
    pub vendor_id: String,
    pub device_id: String,
    /// The kernel driver bound to it (the `driver` link); `None`: no driver bound.
    pub driver: Option<String>,
    /// The disks behind it (ids), in `disks` order.
    pub disks: Vec<DiskId>,
    /// The other storage behind it (kernel names: "sr0").
    pub other_storage: Vec<String>,
    /// NVMe drives the AHCI driver found remapped behind it (Intel RST), when it says.
    pub remapped_nvme: Option<u32>,
    /// Why it may hide disks (or, a network controller, cannot be used), when it may.
    pub finding: Option<ControllerFinding>,
}

impl Controller {
    /// "8086:9a0b".
    pub fn pci_id(&self) -> String {
        format!("{}:{}", self.vendor_id, self.device_id)
    }

    /// A storage controller (as opposed to a network one).
    pub fn is_storage(&self) -> bool {
        !matches!(
            self.kind,
            ControllerKind::Ethernet | ControllerKind::OtherNetwork
        )
    }

    /// A storage controller whose disks the run may not see: RAID mode, VMD without its
    /// driver, NVMe drives remapped behind it, or no driver at all.
    pub fn hides_disks(&self) -> bool {
        self.is_storage() && self.finding.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetInterface {
    pub name: String,
    pub mac: Field<String>,
    pub driver: Field<String>,
}
