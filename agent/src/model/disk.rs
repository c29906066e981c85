//! One disk, one name: how it is attached ([`Transport`]), what it is made of ([`MediaType`]),
//! its stable name ([`DiskId`]) and the identity every layer records ([`DiskIdentity`]).
//!
//! The classification lives here, once: the probe builds a [`DiskIdentity`] from sysfs, the wipe
//! report and the certificate copy it, and the verdict joins disks by [`DiskId`] — never by the
//! `/dev` name, which can change between two commands (a USB stick re-plugged, a second NVMe
//! controller probed first).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How a disk is attached to the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Nvme,
    Sata,
    /// Anything behind a USB host controller (stick, card reader, USB-SATA enclosure).
    Usb,
    /// SD card or eMMC.
    Mmc,
    Virtio,
    /// SAS HBAs, virtio-scsi, iSCSI: SCSI commands reach the disk.
    Scsi,
    /// A loop device (a file seen as a disk).
    Loop,
    /// A regular file standing in for a disk (tests, benchmarks).
    File,
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
            Transport::Loop => "loop",
            Transport::File => "file",
            Transport::Unknown => "unknown",
        }
    }

    /// Whether a disk on this interface can have sectors hidden from the host by the drive
    /// (an ATA Host Protected Area or Device Configuration Overlay): SATA, anything behind a USB
    /// bridge or a SCSI layer (a SATA drive can sit behind either), and an unknown interface.
    /// NVMe, SD/eMMC, virtual disks and files have no such thing.
    pub fn may_hide_sectors(self) -> bool {
        // One rule, the certificate's, over the word the certificate records.
        reprise_cert::model::interface_may_hide_sectors(self.as_str())
    }

    /// Operator-facing name ("NVMe", "SATA", "USB", "SD/eMMC").
    pub fn display_name(self) -> &'static str {
        match self {
            Transport::Nvme => "NVMe",
            Transport::Sata => "SATA",
            Transport::Usb => "USB",
            Transport::Mmc => "SD/eMMC",
            Transport::Virtio => "virtio",
            Transport::Scsi => "SCSI",
            Transport::Loop => "loop",
            Transport::File => "file",
            Transport::Unknown => "unknown",
        }
    }
}

impl FromStr for Transport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "nvme" => Transport::Nvme,
            "sata" => Transport::Sata,
            "usb" => Transport::Usb,
            "mmc" => Transport::Mmc,
            "virtio" => Transport::Virtio,
            "scsi" => Transport::Scsi,
            "loop" => Transport::Loop,
            "file" => Transport::File,
            "unknown" => Transport::Unknown,
            other => return Err(format!("unknown transport {other:?}")),
        })
    }
}

/// What the storage is made of, which decides how it can be sanitized (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    /// Spinning disk.
    Hdd,
    /// Solid-state drive with a controller that speaks ATA, NVMe or SCSI.
    Ssd,
    /// USB stick, SD card or eMMC: NAND flash behind a simple controller (no reliable Purge).
    Flash,
    /// A regular file standing in for a disk.
    File,
    Unknown,
}

impl MediaType {
    /// The one classification of a disk's media, from its transport and the kernel's
    /// `queue/rotational` flag (`None` when unknown).
    ///
    /// SD, eMMC and anything behind USB are flash: USB bridges and card readers report
    /// "rotational" for flash as readily as for disks, and a stick, a card reader and a USB SSD
    /// cannot be told apart from sysfs — flash is the cautious answer (pattern + complement,
    /// never a Purge claimed). Internal interfaces (NVMe, SATA, SCSI) report the flag truthfully.
    /// Virtio and loop devices say nothing about the media under them.
    pub fn classify(transport: Transport, rotational: Option<bool>) -> MediaType {
        match (transport, rotational) {
            (Transport::File, _) => MediaType::File,
            (Transport::Mmc | Transport::Usb, _) => MediaType::Flash,
            (Transport::Nvme | Transport::Sata | Transport::Scsi, Some(true)) => MediaType::Hdd,
            (Transport::Nvme | Transport::Sata | Transport::Scsi, Some(false)) => MediaType::Ssd,
            _ => MediaType::Unknown,
        }
    }

    /// The name used in JSON, reports and certificates ("hdd", "ssd", "flash", ...).
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Hdd => "hdd",
            MediaType::Ssd => "ssd",
            MediaType::Flash => "flash",
            MediaType::File => "file",
            MediaType::Unknown => "unknown",
        }
    }
}

/// A block device number (`st_rdev`), written "MAJOR:MINOR" as sysfs does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DevNo {
    pub major: u32,
    pub minor: u32,
}

impl fmt::Display for DevNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.major, self.minor)
    }
}

impl FromStr for DevNo {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("not a device number MAJOR:MINOR: {s:?}");
        let (a, b) = s.trim().split_once(':').ok_or_else(bad)?;
        Ok(DevNo {
            major: a.parse().map_err(|_| bad())?,
            minor: b.parse().map_err(|_| bad())?,
        })
    }
}

impl Serialize for DevNo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DevNo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The stable name of a disk: its world-wide name when it has one, else its transport and serial
/// number, else — as a last resort, and saying so — the path it had when probed.
///
/// Written as text: `wwn:naa.5000c500a1b2c3d4`, `sata:S3Z1NB0K123456A`, `nvme:S4EWNX0R123:ns1`
/// (an NVMe serial belongs to the controller, so the namespace is part of the name),
/// `path:/dev/sdb`. The serial is what is printed on the drive's label, so an operator can find
/// the disk a certificate or a verdict names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiskId {
    /// A world-wide name as the drive reports it (NAA or EUI-64/NGUID): "naa.5000c500a1b2c3d4".
    Wwn(String),
    /// Transport and serial number; NVMe adds the namespace id.
    Serial {
        transport: Transport,
        serial: String,
        namespace: Option<u32>,
    },
    /// Neither a WWN nor a serial: the path when probed. Not stable across boots.
    Path(String),
}

impl DiskId {
    /// The name of a disk from what the probe found. `wwn` counts only when it is a real
    /// world-wide name (`naa.` or `eui.`): the T10 vendor form and the kernel's constructed NVMe
    /// form (`nvme.` + vendor, serial and model) are not.
    pub fn derive(
        wwn: Option<&str>,
        transport: Transport,
        serial: Option<&str>,
        namespace: Option<u32>,
        path: &str,
    ) -> DiskId {
        if let Some(w) = wwn.map(str::trim).filter(|w| is_world_wide_name(w)) {
            return DiskId::Wwn(w.to_ascii_lowercase());
        }
        match serial.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => DiskId::Serial {
                transport,
                serial: s.to_owned(),
                namespace: namespace.filter(|_| transport == Transport::Nvme),
            },
            None => DiskId::Path(path.to_owned()),
        }
    }
}

/// `naa.` + 16 or 32 hex digits, or `eui.` + 16 or 32 hex digits, and not all zeros (firmware
/// that has no WWN reports zeros).
pub fn is_world_wide_name(s: &str) -> bool {
    let Some(hex) = s.strip_prefix("naa.").or_else(|| s.strip_prefix("eui.")) else {
        return false;
    };
    matches!(hex.len(), 16 | 32)
        && hex.chars().all(|c| c.is_ascii_hexdigit())
        && hex.chars().any(|c| c != '0')
}

impl fmt::Display for DiskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiskId::Wwn(w) => write!(f, "wwn:{w}"),
            DiskId::Serial {
                transport,
                serial,
                namespace: None,
            } => write!(f, "{}:{serial}", transport.as_str()),
            DiskId::Serial {
                transport,
                serial,
                namespace: Some(ns),
            } => write!(f, "{}:{serial}:ns{ns}", transport.as_str()),
            DiskId::Path(p) => write!(f, "path:{p}"),
        }
    }
}

impl FromStr for DiskId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("not a disk id: {s:?}"))?;
        if rest.is_empty() {
            return Err(format!("not a disk id: {s:?}"));
        }
        match kind {
            "wwn" => Ok(DiskId::Wwn(rest.to_owned())),
            "path" => Ok(DiskId::Path(rest.to_owned())),
            t => {
                let transport: Transport = t.parse()?;
                let (serial, namespace) = match rest.rsplit_once(":ns") {
                    Some((s, n)) if transport == Transport::Nvme && !s.is_empty() => {
                        match n.parse() {
                            Ok(ns) => (s, Some(ns)),
                            Err(_) => (rest, None),
                        }
                    }
                    _ => (rest, None),
                };
                Ok(DiskId::Serial {
                    transport,
                    serial: serial.to_owned(),
                    namespace,
                })
            }
        }
    }
}

impl Serialize for DiskId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DiskId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Who a disk is, as probed: built once by the probe (or, for a regular file standing in for a
/// disk, by [`DiskIdentity::for_file`]) and copied unchanged into the wipe plan, the wipe report
/// and the certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskIdentity {
    pub id: DiskId,
    /// The `/dev` path when probed (for the operator; never used to join).
    pub dev_path: String,
    /// Device number when probed; the write guard checks the opened device against it.
    pub devno: Option<DevNo>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub firmware: Option<String>,
    /// World-wide name, when the drive has one.
    pub wwn: Option<String>,
    pub transport: Transport,
    pub media_type: MediaType,
    pub size_bytes: u64,
    pub logical_sector_size: u32,
}

impl DiskIdentity {
    /// The identity of a regular file standing in for a disk (tests, benchmarks): named by its
    /// path, 512-byte sectors.
    pub fn for_file(path: &str, size_bytes: u64) -> DiskIdentity {
        DiskIdentity {
            id: DiskId::Path(path.to_owned()),
            dev_path: path.to_owned(),
            devno: None,
            vendor: None,
            model: None,
            serial: None,
            firmware: None,
            wwn: None,
            transport: Transport::File,
            media_type: MediaType::File,
            size_bytes,
            logical_sector_size: 512,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_classification_of_media() {
        use MediaType as M;
        use Transport as T;
        let cases = [
            (T::Usb, Some(false), M::Flash),
            (T::Usb, Some(true), M::Flash),
            (T::Usb, None, M::Flash),
            (T::Virtio, Some(false), M::Unknown),
            (T::Mmc, Some(false), M::Flash),
            (T::Mmc, None, M::Flash),
            (T::Sata, Some(true), M::Hdd),
            (T::Sata, Some(false), M::Ssd),
            (T::Nvme, Some(false), M::Ssd),
            (T::Nvme, None, M::Unknown),
            (T::Loop, Some(false), M::Unknown),
            (T::File, None, M::File),
            (T::Unknown, Some(false), M::Unknown),
        ];
        for (t, r, want) in cases {
            assert_eq!(MediaType::classify(t, r), want, "{t:?} {r:?}");
        }
    }

    #[test]
    fn disk_ids_prefer_wwn_then_serial_then_path() {
        let id = |w, t, s, ns| DiskId::derive(w, t, s, ns, "/dev/sda");
        assert_eq!(
            id(
                Some("naa.5000C500A1B2C3D4"),
                Transport::Sata,
                Some("S1"),
                None
            )
            .to_string(),
            "wwn:naa.5000c500a1b2c3d4"
        );
        // Not world-wide names: T10 vendor ids, the kernel's NVMe construction, zeros.
        for w in [
            "t10.ATA     Samsung SSD 860 EVO 500GB   S3Z1",
            "nvme.1b36-31323334-51454d55204e564d65204374726c-00000001",
            "eui.0000000000000000",
            "naa.12",
        ] {
            assert_eq!(
                id(Some(w), Transport::Sata, Some(" S3Z1 "), None).to_string(),
                "sata:S3Z1",
                "{w}"
            );
        }
        assert_eq!(
            id(None, Transport::Nvme, Some("S4EW"), Some(1)).to_string(),
            "nvme:S4EW:ns1"
        );
        assert_eq!(
            id(None, Transport::Sata, Some("S4EW"), Some(1)).to_string(),
            "sata:S4EW"
        );
        let p = id(None, Transport::Usb, Some("  "), None);
        assert_eq!(p.to_string(), "path:/dev/sda");
    }

    #[test]
    fn disk_ids_round_trip_as_text() {
        for s in [
            "wwn:naa.5000c500a1b2c3d4",
            "sata:S3Z1NB0K123456A",
            "nvme:S4EWNX0R123:ns1",
            "nvme:odd:nsx",
            "usb:4C530001:2",
            "path:/dev/sdb",
        ] {
            let id: DiskId = s.parse().unwrap();
            assert_eq!(id.to_string(), s);
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(serde_json::from_str::<DiskId>(&json).unwrap(), id);
        }
        for bad in ["", "sata", "sata:", "floppy:1", "wwn:"] {
            assert!(bad.parse::<DiskId>().is_err(), "{bad}");
        }
        assert_eq!("8:16".parse::<DevNo>().unwrap().to_string(), "8:16");
        assert!("8-16".parse::<DevNo>().is_err());
    }
}
