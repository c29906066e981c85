//! Decoders of the SMBIOS structure types Reprise reads (DSP0134 3.7 §7.1-7.5, 7.17, 7.18, 7.23,
//! 7.44). Each field comes from one small function of the bytes; a field that the structure is
//! too short to hold (an older SMBIOS version) is `None`, never a default.

use serde::Serialize;

use super::fields::{Ctx, SmbiosString, hex_bytes};
use super::names;
use crate::parse::gpt::Guid;

/// An enumerated value: its code and, when the specification defines it, its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Code {
    pub value: u16,
    /// `None` for reserved or out-of-specification values.
    pub name: Option<&'static str>,
}

impl Code {
    pub fn new(value: u16, table: fn(u16) -> Option<&'static str>) -> Self {
        Code {
            value,
            name: table(value),
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name {
            Some(n) => f.write_str(n),
            None => write!(f, "unknown ({:#04x})", self.value),
        }
    }
}

/// Names of the bits set in `bits` among a table that starts at bit `first`.
pub fn bit_names(bits: u64, first: u32, table: &[&'static str]) -> Vec<&'static str> {
    table
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1u64 << (first + *i as u32)) != 0)
        .map(|(_, n)| *n)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Type 0: BIOS Information (§7.1)

/// BIOS ROM size (§7.1, byte 09h and the extended size at 18h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RomSize {
    Bytes {
        bytes: u64,
    },
    /// Byte 09h is FFh ("16 MiB or more") and the structure is too short for the extended size.
    AtLeast16MiB,
    /// Extended size with a reserved unit (bits 15:14 = 10b or 11b).
    ReservedUnit {
        raw: u16,
    },
}

/// Decodes the ROM size from byte 09h and, when present, the extended size word 18h.
pub fn bios_rom_size(code: u8, extended: Option<u16>) -> RomSize {
    if code != 0xFF {
        return RomSize::Bytes {
            bytes: (u64::from(code) + 1) * 64 * 1024,
        };
    }
    match extended {
        None => RomSize::AtLeast16MiB,
        Some(ext) => {
            let size = u64::from(ext & 0x3FFF);
            match ext >> 14 {
                0 => RomSize::Bytes { bytes: size << 20 },
                1 => RomSize::Bytes { bytes: size << 30 },
                _ => RomSize::ReservedUnit { raw: ext },
            }
        }
    }
}

/// A "major.minor" pair where FFh in either byte means "not supported" (§7.1 bytes 14h-17h).
pub fn release(major: u8, minor: u8) -> Option<(u8, u8)> {
    (major != 0xFF && minor != 0xFF).then_some((major, minor))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bios {
    pub vendor: SmbiosString,
    pub version: SmbiosString,
    pub release_date: SmbiosString,
    /// Segment of the BIOS start address (address = segment × 16); 0 on UEFI systems (none).
    pub starting_segment: u16,
    /// Size of the runtime image, (10000h − segment) × 16 bytes; `None` when the segment is 0.
    pub runtime_size_bytes: Option<u32>,
    pub rom_size: RomSize,
    /// Byte 09h as written, and the extended ROM size word 18h (3.1) when present.
    pub rom_size_raw: u8,
    pub extended_rom_size_raw: Option<u16>,
    /// BIOS Characteristics (§7.1.1), raw 64-bit field.
    #[serde(serialize_with = "crate::parse::json::u64_string")]
    pub characteristics: u64,
    /// Extension bytes 1 and 2 (§7.1.2), when present.
    pub characteristics_ext1: Option<u8>,
    pub characteristics_ext2: Option<u8>,
    /// System BIOS major.minor release; `None` if FFh or absent (before 2.4).
    pub bios_release: Option<(u8, u8)>,
    /// Embedded controller firmware major.minor release; `None` if FFh or absent.
    pub ec_release: Option<(u8, u8)>,
}

impl Bios {
    pub(crate) fn decode(c: &Ctx<'_>) -> Self {
        let segment = c.u16(0x06).unwrap_or(0);
        let ext_rom = if c.len() >= 0x1A { c.u16(0x18) } else { None };
        let pair = |off: usize| match (c.u8(off), c.u8(off + 1)) {
            (Some(a), Some(b)) if c.len() >= 0x18 => release(a, b),
            _ => None,
        };
        Bios {
            vendor: c.string(0x04).unwrap_or(SmbiosString::None),
            version: c.string(0x05).unwrap_or(SmbiosString::None),
            release_date: c.string(0x08).unwrap_or(SmbiosString::None),
            starting_segment: segment,
            runtime_size_bytes: (segment != 0).then(|| (0x10000 - u32::from(segment)) << 4),
            rom_size: bios_rom_size(c.u8(0x09).unwrap_or(0), ext_rom),
            rom_size_raw: c.u8(0x09).unwrap_or(0),
            extended_rom_size_raw: ext_rom,
            characteristics: c.u64(0x0A).unwrap_or(0),
            characteristics_ext1: c.u8(0x12),
            characteristics_ext2: c.u8(0x13),
            bios_release: pair(0x14),
            ec_release: pair(0x16),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Type 1: System Information (§7.2)

/// The system UUID (§7.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SystemUuid {
    /// All bytes FFh: "not currently present in the system, but it can be set".
    NotPresentSettable,
    /// All bytes 00h: "not present in the system".
    NotPresent,
    /// The UUID in canonical text form.
    Id(String),
}

/// Decodes the 16 UUID bytes. From SMBIOS 2.6 on, the first three fields are little-endian
/// (§7.2.1: "wire format"); before 2.6 the bytes are taken in order, as dmidecode does, because
/// earlier firmware used either order and nothing tells them apart.
pub fn system_uuid(p: &[u8; 16], version_2_6_or_later: bool) -> SystemUuid {
    if p.iter().all(|b| *b == 0xFF) {
        return SystemUuid::NotPresentSettable;
    }
    if p.iter().all(|b| *b == 0) {
        return SystemUuid::NotPresent;
    }
    // The wire format is the mixed-endian one GPT stores its GUIDs in.
    let uuid = if version_2_6_or_later {
        Guid::from_disk(p)
    } else {
        Guid(*p)
    };
    SystemUuid::Id(uuid.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct System {
    pub manufacturer: SmbiosString,
    pub product_name: SmbiosString,
    pub version: SmbiosString,
    pub serial_number: SmbiosString,
    /// UUID, wake-up type: from SMBIOS 2.1 (length ≥ 19h).
    pub uuid: Option<SystemUuid>,
    pub wake_up_type: Option<Code>,
    /// SKU and family: from SMBIOS 2.4 (length ≥ 1Bh).
    pub sku_number: Option<SmbiosString>,
    pub family: Option<SmbiosString>,
}

impl System {
    pub(crate) fn decode(c: &Ctx<'_>) -> Self {
        let long = c.len() >= 0x19;
        let uuid = long.then(|| c.data.get(0x08..0x18)).flatten().map(|b| {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            system_uuid(&a, c.version.at_least(2, 6))
        });
        let newer = c.len() >= 0x1B;
        System {
            manufacturer: c.string(0x04).unwrap_or(SmbiosString::None),
            product_name: c.string(0x05).unwrap_or(SmbiosString::None),
            version: c.string(0x06).unwrap_or(SmbiosString::None),
            serial_number: c.string(0x07).unwrap_or(SmbiosString::None),
            uuid,
            wake_up_type: long
                .then(|| c.u8(0x18))
                .flatten()
                .map(|v| Code::new(v.into(), names::wake_up_type)),
            sku_number: newer.then(|| c.string(0x19)).flatten(),
            family: newer.then(|| c.string(0x1A)).flatten(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Type 2: Baseboard Information (§7.3)

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Board {
    pub manufacturer: SmbiosString,
    pub product_name: SmbiosString,
    pub version: SmbiosString,
    pub serial_number: SmbiosString,
    pub asset_tag: Option<SmbiosString>,
    /// Feature flags (§7.3.1), raw, and the names of the bits set.
    pub features: Option<u8>,
    pub feature_names: Vec<&'static str>,
    pub location_in_chassis: Option<SmbiosString>,
    pub chassis_handle: Option<u16>,
    pub board_type: Option<Code>,
    /// Contained object handles, when the structure holds the whole list.
    pub contained_handles: Option<Vec<u16>>,
}

impl Board {
    pub(crate) fn decode(c: &Ctx<'_>) -> Self {
        let features = (c.len() >= 0x0A).then(|| c.u8(0x09)).flatten();
        let full = c.len() >= 0x0E;
        let contained_handles = (c.len() >= 0x0F)
            .then(|| c.u8(0x0E))
            .flatten()
            .and_then(|n| {
                (0..usize::from(n))
                    .map(|i| c.u16(0x0F + 2 * i))
                    .collect::<Option<Vec<u16>>>()
            });
        Board {
            manufacturer: c.string(0x04).unwrap_or(SmbiosString::None),
            product_name: c.string(0x05).unwrap_or(SmbiosString::None),
            version: c.string(0x06).unwrap_or(SmbiosString::None),
            serial_number: c.string(0x07).unwrap_or(SmbiosString::None),
            asset_tag: c.string(0x08),
            features,
            feature_names: features
                .map(|f| bit_names(f.into(), 0, &names::BOARD_FEATURES))
                .unwrap_or_default(),
            location_in_chassis: full.then(|| c.string(0x0A)).flatten(),
            chassis_handle: full.then(|| c.u16(0x0B)).flatten(),
            board_type: full
                .then(|| c.u8(0x0D))
                .flatten()
                .map(|v| Code::new(v.into(), names::board_type)),
            contained_handles,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Type 3: System Enclosure or Chassis (§7.4)

/// One contained element (§7.4.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainedElement {
    /// True: `element_type` is an SMBIOS structure type; false: a board type (§7.3.2).
    pub is_structure_type: bool,
    pub element_type: Code,
    pub minimum: u8,
    pub maximum: u8,
}

/// Decodes one contained element record (at least 3 bytes).
pub fn contained_element(rec: &[u8]) -> Option<ContainedElement> {
    let (&t, &min, &max) = (rec.first()?, rec.get(1)?, rec.get(2)?);
    let is_structure_type = t & 0x80 != 0;
    let table = if is_structure_type {
        names::structure_type
    } else {
        names::board_type
    };
    Some(ContainedElement {
        is_structure_type,
        element_type: Code::new((t & 0x7F).into(), table),
        minimum: min,
        maximum: max,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chassis {
    pub manufacturer: SmbiosString,
    /// Bits 6:0 of byte 05h (§7.4.1).
    pub chassis_type: Code,
    /// Bit 7 of byte 05h: a chassis lock is present.
    pub lock_present: bool,
    pub version: SmbiosString,
    pub serial_number: SmbiosString,
    pub asset_tag: SmbiosString,
    pub boot_up_state: Option<Code>,
    pub power_supply_state: Option<Code>,
    pub thermal_state: Option<Code>,
    pub security_status: Option<Code>,
    pub oem_defined: Option<u32>,
    /// Height in rack units; 0 means unspecified.
    pub height_u: Option<u8>,
    /// Number of power cords; 0 means unspecified.
    pub power_cords: Option<u8>,
    /// Contained elements, when the structure holds them whole (record length ≥ 3).
    pub contained_elements: Option<Vec<ContainedElement>>,
    /// Count and record length as given (kept even when records are too short to decode).
    pub contained_element_count: Option<u8>,
    pub sku_number: Option<SmbiosString>,
}

impl Chassis {
    pub(crate) fn decode(c: &Ctx<'_>) -> Self {
        let t = c.u8(0x05).unwrap_or(0);
        let states = c.len() >= 0x0D;
        let state = |off: usize, f: fn(u16) -> Option<&'static str>| {
            states
                .then(|| c.u8(off))
                .flatten()
                .map(|v| Code::new(v.into(), f))
        };
        let sizes = c.len() >= 0x13;
        let (count, rec_len) = match (c.u8(0x13), c.u8(0x14)) {
            (Some(n), Some(m)) if c.len() >= 0x15 => (Some(n), Some(m)),
            _ => (None, None),
        };
        let elements_end = count
            .zip(rec_len)
            .map(|(n, m)| 0x15 + usize::from(n) * usize::from(m));
        let contained_elements = match (count, rec_len, elements_end) {
            (Some(n), Some(m), Some(end)) if c.len() >= end => Some(if m >= 3 {
                (0..usize::from(n))
                    .filter_map(|i| {
                        let start = 0x15 + i * usize::from(m);
                        contained_element(c.data.get(start..start + usize::from(m))?)
                    })
                    .collect()
            } else {
                Vec::new()
            }),
            _ => None,
        };
        let sku_number = elements_end
            .filter(|end| c.len() > *end)
            .and_then(|end| c.string(end));
        Chassis {
            manufacturer: c.string(0x04).unwrap_or(SmbiosString::None),
            chassis_type: Code::new((t & 0x7F).into(), names::chassis_type),
            lock_present: t & 0x80 != 0,
            version: c.string(0x06).unwrap_or(SmbiosString::None),
            serial_number: c.string(0x07).unwrap_or(SmbiosString::None),
            asset_tag: c.string(0x08).unwrap_or(SmbiosString::None),
            boot_up_state: state(0x09, names::chassis_state),
            power_supply_state: state(0x0A, names::chassis_state),
            thermal_state: state(0x0B, names::chassis_state),
            security_status: state(0x0C, names::chassis_security),
            oem_defined: (c.len() >= 0x11).then(|| c.u32(0x0D)).flatten(),
            height_u: sizes.then(|| c.u8(0x11)).flatten(),
            power_cords: sizes.then(|| c.u8(0x12)).flatten(),
            contained_elements,
            contained_element_count: count,
            sku_number,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Type 4: Processor Information (§7.5)

/// Processor voltage (§7.5.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProcessorVoltage {
    /// Bit 7 set: the current voltage, in tenths of a volt, here in millivolts.
    Current { millivolts: u32 },
    /// Bit 7 clear: the voltages the socket supports (5 V, 3.3 V, 2.9 V); empty = unknown.
    Legacy { millivolts: Vec<u32> },
}

/// Decodes the voltage byte (11h).
pub fn processor_voltage(code: u8) -> ProcessorVoltage {
    if code & 0x80 != 0 {
        ProcessorVoltage::Current {
            millivolts: u32::from(code & 0x7F) * 100,
        }
    } else {
        let mv = [5000, 3300, 2900];
        ProcessorVoltage::Legacy {
            millivolts: (0..3)
                .filter(|i| code & (1 << i) != 0)
                .map(|i| mv[i])
                .collect(),
        }
    }
}

/// A core or thread count: byte value, or the word at `wide` when the byte is FFh and the
/// structure holds it (§7.5, bytes 23h-25h and words 2Ah-2Eh). 0 means unknown (`None`).
pub fn processor_count(byte: u8, wide: Option<u16>) -> Option<u16> {
    let v = match (byte, wide) {
        (0xFF, Some(w)) => w,
        (b, _) => b.into(),
    };
    (v != 0).then_some(v)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Processor {
    pub socket_designation: SmbiosString,
    pub processor_type: Code,
    /// Family (§7.5.2): byte 06h, or word 28h when byte 06h is FEh.
    pub family: Code,
    pub manufacturer: SmbiosString,
    /// Processor ID (8 bytes, CPUID signature and feature flags on x86), hex in table order.
    #[serde(serialize_with = "hex_bytes")]
    pub id: Vec<u8>,
    pub version: SmbiosString,
    pub voltage: ProcessorVoltage,
    /// Frequencies in MHz; 0 means unknown.
    pub external_clock_mhz: u16,
    pub max_speed_mhz: u16,
    pub current_speed_mhz: u16,
    /// Bit 6 of byte 18h: a processor is in the socket.
    pub socket_populated: bool,
    pub cpu_status: Code,
    pub upgrade: Code,
    /// Cache handles (FFFFh: none / not provided), from 2.1.
    pub l1_cache_handle: Option<u16>,
    pub l2_cache_handle: Option<u16>,
    pub l3_cache_handle: Option<u16>,
    pub serial_number: Option<SmbiosString>,
    pub asset_tag: Option<SmbiosString>,
    pub part_number: Option<SmbiosString>,
    /// Counts (from 2.5); `None` when absent or 0 (unknown).
    pub core_count: Option<u16>,
    pub core_enabled: Option<u16>,
    pub thread_count: Option<u16>,
    /// Threads enabled (3.6, word 30h); `None` when absent or 0.
    pub thread_enabled: Option<u16>,
    /// Processor characteristics (§7.5.9) raw, and the names of bits 2-9 set.
    pub characteristics: Option<u16>,
    pub characteristic_names: Vec<&'static str>,
}

impl Processor {
    pub(crate) fn decode(c: &Ctx<'_>) -> Self {
        let fam_byte = c.u8(0x06).unwrap_or(0);
        let family = if fam_byte == 0xFE && c.len() >= 0x2A {
            c.u16(0x28).unwrap_or(0xFE)
        } else {
            fam_byte.into()
        };
        let status = c.u8(0x18).unwrap_or(0);
        let v21 = c.len() >= 0x20;
        let v23 = c.len() >= 0x23;
        let v25 = c.len() >= 0x28;
        let wide = |len: usize, off: usize| if c.len() >= len { c.u16(off) } else { None };
        let characteristics = v25.then(|| c.u16(0x26)).flatten();
        Processor {
            socket_designation: c.string(0x04).unwrap_or(SmbiosString::None),
            processor_type: Code::new(c.u8(0x05).unwrap_or(0).into(), names::processor_type),
            family: Code::new(family, names::processor_family),
            manufacturer: c.string(0x07).unwrap_or(SmbiosString::None),
            id: c.data.get(0x08..0x10).unwrap_or_default().to_vec(),
            version: c.string(0x10).unwrap_or(SmbiosString::None),
            voltage: processor_voltage(c.u8(0x11).unwrap_or(0)),
            external_clock_mhz: c.u16(0x12).unwrap_or(0),
            max_speed_mhz: c.u16(0x14).unwrap_or(0),
            current_speed_mhz: c.u16(0x16).unwrap_or(0),
            socket_populated: status & 0x40 != 0,
            cpu_status: Code::new((status & 0x07).into(), names::cpu_status),
            upgrade: Code::new(c.u8(0x19).unwrap_or(0).into(), names::processor_upgrade),
            l1_cache_handle: v21.then(|| c.u16(0x1A)).flatten(),
            l2_cache_handle: v21.then(|| c.u16(0x1C)).flatten(),
            l3_cache_handle: v21.then(|| c.u16(0x1E)).flatten(),
            serial_number: v23.then(|| c.string(0x20)).flatten(),
            asset_tag: v23.then(|| c.string(0x21)).flatten(),
            part_number: v23.then(|| c.string(0x22)).flatten(),
            core_count: v25
                .then(|| c.u8(0x23))
                .flatten()
                .and_then(|b| processor_count(b, wide(0x2C, 0x2A))),
            core_enabled: v25
                .then(|| c.u8(0x24))
                .flatten()
                .and_then(|b| processor_count(b, wide(0x2E, 0x2C))),
            thread_count: v25
                .then(|| c.u8(0x25))
                .flatten()
                .and_then(|b| processor_count(b, wide(0x30, 0x2E))),
            thread_enabled: wide(0x32, 0x30).filter(|v| *v != 0),
            characteristics,
            characteristic_names: characteristics
                .map(|v| bit_names(v.into(), 2, &names::PROCESSOR_CHARACTERISTICS))
                .unwrap_or_default(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Type 16: Physical Memory Array (§7.17)

/// A memory capacity or size that may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Capacity {
    Bytes {
        #[serde(serialize_with = "crate::parse::json::u64_string")]
        bytes: u64,
    },
    Unknown,
}

/// Maximum capacity (§7.17, dword 07h in KiB; 8000_0000h: see the extended qword 0Fh, in bytes).
pub fn array_max_capacity(kib: u32, extended: Option<u64>) -> Capacity {
    if kib == 0x8000_0000 {
        match extended {
            Some(bytes) => Capacity::Bytes { bytes },
            None => Capacity::Unknown,
        }
    } else {
        Capacity::Bytes {
            bytes: u64::from(kib) * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoryArray {
    pub location: Code,
    #[serde(rename = "use")]
    pub array_use: Code,
    pub error_correction: Code,
    pub maximum_capacity: Capacity,
    /// Handle of the error structure; FFFEh: not provided, FFFFh: no error.
    pub error_information_handle: u16,
    pub number_of_devices: u16,
}

impl MemoryArray {
    pub(crate) fn decode(c: &Ctx<'_>) -> Self {
        let ext = if c.len() >= 0x17 { c.u64(0x0F) } else { None };
        MemoryArray {
            location: Code::new(c.u8(0x04).unwrap_or(0).into(), names::memory_array_location),
            array_use: Code::new(c.u8(0x05).unwrap_or(0).into(), names::memory_array_use),
            error_correction: Code::new(c.u8(0x06).unwrap_or(0).into(), names::memory_array_ecc),
            maximum_capacity: array_max_capacity(c.u32(0x07).unwrap_or(0), ext),
            error_information_handle: c.u16(0x0B).unwrap_or(0),
            number_of_devices: c.u16(0x0D).unwrap_or(0),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Type 17: Memory Device (§7.18)

/// Size of a memory device (§7.18.5 and the extended size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MemorySize {
    /// 0: no module in this socket (an empty slot).
    NotInstalled,
    /// FFFFh: the size is unknown.
    Unknown,
    Bytes {
        bytes: u64,
    },
}

/// Decodes the size word 0Ch: bit 15 set = KiB units, clear = MiB; 7FFFh = see the extended
/// size dword 1Ch (MiB, bits 30:0), when the structure holds it.
pub fn memory_device_size(word: u16, extended: Option<u32>) -> MemorySize {
    match (word, extended) {
        (0, _) => MemorySize::NotInstalled,
        (0xFFFF, _) => MemorySize::Unknown,
        (0x7FFF, Some(ext)) => MemorySize::Bytes {
            bytes: u64::from(ext & 0x7FFF_FFFF) << 20,
        },
        (w, _) if w & 0x8000 != 0 => MemorySize::Bytes {
            bytes: u64::from(w & 0x7FFF) << 10,
        },
        (w, _) => MemorySize::Bytes {
            bytes: u64::from(w) << 20,
        },
    }
}

/// A memory speed in MT/s (§7.18 words 15h/20h; FFFFh: see the extended dwords 54h/58h of 3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MemorySpeed {
    Unknown,
    MtPerSecond { value: u32 },
}

/// Decodes a speed word and its extended dword (0 or absent: unknown).
pub fn memory_speed(word: u16, extended: Option<u32>) -> MemorySpeed {
    let v = if word == 0xFFFF {
        extended.unwrap_or(0)
    } else {
        u32::from(word)
    };
    if v == 0 {
        MemorySpeed::Unknown
    } else {
        MemorySpeed::MtPerSecond { value: v }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoryDevice {
    pub array_handle: u16,
    /// FFFEh: not provided, FFFFh: no error.
    pub error_information_handle: u16,
    /// Widths in bits; FFFFh unknown (0 is also used by empty slots).
    pub total_width: u16,
    pub data_width: u16,
    pub size: MemorySize,
    /// The size word 0Ch and the extended size dword 1Ch (from 2.7) as written.
    pub size_raw: u16,
    pub extended_size_raw: Option<u32>,
    pub form_factor: Code,
    /// Set number; 0: none, FFh: unknown.
    pub device_set: u8,
    pub locator: SmbiosString,
    pub bank_locator: SmbiosString,
    pub memory_type: Code,
    /// Type detail (§7.18.3) raw, and the names of bits 1-15 set.
    pub type_detail: u16,
    pub type_detail_names: Vec<&'static str>,
    /// From 2.3 (length ≥ 17h).
    pub speed: Option<MemorySpeed>,
    pub manufacturer: Option<SmbiosString>,
    pub serial_number: Option<SmbiosString>,
    pub asset_tag: Option<SmbiosString>,
    pub part_number: Option<SmbiosString>,
    /// Rank (bits 3:0 of byte 1Bh, from 2.6); `None` when absent or 0 (unknown).
    pub rank: Option<u8>,
    /// Configured speed (from 2.7).
    pub configured_speed: Option<MemorySpeed>,
    /// Voltages in mV (from 2.8); `None` when absent or 0 (unknown).
    pub minimum_voltage_mv: Option<u16>,
    pub maximum_voltage_mv: Option<u16>,
    pub configured_voltage_mv: Option<u16>,
}

impl MemoryDevice {
    pub(crate) fn decode(c: &Ctx<'_>) -> Self {
        let len = c.len();
        let ext_size = if len >= 0x20 { c.u32(0x1C) } else { None };
        let ext_speed = if len >= 0x5C { c.u32(0x54) } else { None };
        let ext_cspeed = if len >= 0x5C { c.u32(0x58) } else { None };
        let strings = len >= 0x1B;
        let volt = |off: usize| {
            (len >= 0x28)
                .then(|| c.u16(off))
                .flatten()
                .filter(|v| *v != 0)
        };
        let detail = c.u16(0x13).unwrap_or(0);
        MemoryDevice {
            array_handle: c.u16(0x04).unwrap_or(0),
            error_information_handle: c.u16(0x06).unwrap_or(0),
            total_width: c.u16(0x08).unwrap_or(0),
            data_width: c.u16(0x0A).unwrap_or(0),
            size: memory_device_size(c.u16(0x0C).unwrap_or(0), ext_size),
            size_raw: c.u16(0x0C).unwrap_or(0),
            extended_size_raw: ext_size,
            form_factor: Code::new(c.u8(0x0E).unwrap_or(0).into(), names::memory_form_factor),
            device_set: c.u8(0x0F).unwrap_or(0),
            locator: c.string(0x10).unwrap_or(SmbiosString::None),
            bank_locator: c.string(0x11).unwrap_or(SmbiosString::None),
            memory_type: Code::new(c.u8(0x12).unwrap_or(0).into(), names::memory_type),
            type_detail: detail,
            type_detail_names: bit_names(detail.into(), 1, &names::MEMORY_TYPE_DETAIL),
            speed: (len >= 0x17)
                .then(|| c.u16(0x15))
                .flatten()
                .map(|w| memory_speed(w, ext_speed)),
            manufacturer: strings.then(|| c.string(0x17)).flatten(),
            serial_number: strings.then(|| c.string(0x18)).flatten(),
            asset_tag: strings.then(|| c.string(0x19)).flatten(),
            part_number: strings.then(|| c.string(0x1A)).flatten(),
            rank: (len >= 0x1C)
                .then(|| c.u8(0x1B))
                .flatten()
                .map(|r| r & 0x0F)
                .filter(|r| *r != 0),
            configured_speed: (len >= 0x22)
                .then(|| c.u16(0x20))
                .flatten()
                .map(|w| memory_speed(w, ext_cspeed)),
            minimum_voltage_mv: volt(0x22),
            maximum_voltage_mv: volt(0x24),
            configured_voltage_mv: volt(0x26),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Type 22: Portable Battery (§7.23)

/// A date in the Smart Battery Data Specification packed form (§7.23, word 12h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SbdsDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

/// Decodes bits 15:9 year − 1980, 8:5 month, 4:0 day.
pub fn sbds_date(word: u16) -> SbdsDate {
    SbdsDate {
        year: 1980 + (word >> 9),
        month: ((word >> 5) & 0x0F) as u8,
        day: (word & 0x1F) as u8,
    }
}

/// Design capacity in mWh: word 0Ah × multiplier (byte 15h, from 2.2; 1 before); 0: unknown.
pub fn battery_design_capacity(raw: u16, multiplier: Option<u8>) -> Option<u32> {
    (raw != 0).then(|| u32::from(raw) * u32::from(multiplier.unwrap_or(1)))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Battery {
    pub location: SmbiosString,
    pub manufacturer: SmbiosString,
    /// Text date and serial; `None` (index 0) when the SBDS forms below are used instead.
    pub manufacture_date: SmbiosString,
    pub serial_number: SmbiosString,
    pub device_name: SmbiosString,
    /// Chemistry (§7.23.1); 02h "Unknown" defers to the SBDS chemistry string.
    pub chemistry: Code,
    /// Design capacity, raw word and multiplier, and the product in mWh (`None`: unknown).
    pub design_capacity_raw: u16,
    pub design_capacity_multiplier: Option<u8>,
    pub design_capacity_mwh: Option<u32>,
    /// Design voltage in mV; `None`: unknown.
    pub design_voltage_mv: Option<u16>,
    pub sbds_version: SmbiosString,
    /// Maximum error in the battery data, percent; `None` when FFh (unknown).
    pub maximum_error_percent: Option<u8>,
    /// SBDS forms (from 2.2, length ≥ 1Ah).
    pub sbds_serial_number: Option<u16>,
    pub sbds_manufacture_date: Option<SbdsDate>,
    pub sbds_chemistry: Option<SmbiosString>,
    pub oem_specific: Option<u32>,
}

impl Battery {
    pub(crate) fn decode(c: &Ctx<'_>) -> Self {
        let v22 = c.len() >= 0x1A;
        let multiplier = if c.len() >= 0x16 { c.u8(0x15) } else { None };
        let raw = c.u16(0x0A).unwrap_or(0);
        Battery {
            location: c.string(0x04).unwrap_or(SmbiosString::None),
            manufacturer: c.string(0x05).unwrap_or(SmbiosString::None),
            manufacture_date: c.string(0x06).unwrap_or(SmbiosString::None),
            serial_number: c.string(0x07).unwrap_or(SmbiosString::None),
            device_name: c.string(0x08).unwrap_or(SmbiosString::None),
            chemistry: Code::new(c.u8(0x09).unwrap_or(0).into(), names::battery_chemistry),
            design_capacity_raw: raw,
            design_capacity_multiplier: multiplier,
            design_capacity_mwh: battery_design_capacity(raw, multiplier),
            design_voltage_mv: c.u16(0x0C).filter(|v| *v != 0),
            sbds_version: c.string(0x0E).unwrap_or(SmbiosString::None),
            maximum_error_percent: c.u8(0x0F).filter(|v| *v != 0xFF),
            sbds_serial_number: v22.then(|| c.u16(0x10)).flatten(),
            sbds_manufacture_date: v22.then(|| c.u16(0x12)).flatten().map(sbds_date),
            sbds_chemistry: v22.then(|| c.string(0x14)).flatten(),
            oem_specific: v22.then(|| c.u32(0x16)).flatten(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Type 43: TPM Device (§7.44)

/// TPM firmware version (§7.44, dwords 0Ah and 0Eh), by specification major version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TpmFirmware {
    /// TPM 1.2: the TPM_VERSION structure; bytes 0Ch and 0Dh are the revision major.minor.
    Tpm12 { major: u8, minor: u8 },
    /// TPM 2.0: TPM_PT_FIRMWARE_VERSION_1 (dword 0Ah) as major.minor 16-bit halves, and
    /// TPM_PT_FIRMWARE_VERSION_2 (dword 0Eh), whose format the vendor defines.
    Tpm20 {
        major: u16,
        minor: u16,
        version_2: u32,
    },
    /// Another specification major version: both dwords raw.
    Other { version_1: u32, version_2: u32 },
}

/// Decodes the firmware version for the given specification major version.
pub fn tpm_firmware(spec_major: u8, v1: u32, v2: u32) -> TpmFirmware {
    match spec_major {
        1 => {
            let b = v1.to_le_bytes();
            TpmFirmware::Tpm12 {
                major: b[2],
                minor: b[3],
            }
        }
        2 => TpmFirmware::Tpm20 {
            major: (v1 >> 16) as u16,
            minor: (v1 & 0xFFFF) as u16,
            version_2: v2,
        },
        _ => TpmFirmware::Other {
            version_1: v1,
            version_2: v2,
        },
    }
}

/// The 4-byte vendor ID (§7.44.2: ASCII, e.g. "INTC", "IFX"); it ends at the first NUL, and
/// non-printable bytes are shown as '.'.
pub fn tpm_vendor_id(b: &[u8]) -> String {
    b.iter()
        .take(4)
        .take_while(|c| **c != 0)
        .map(|c| {
            if (32..127).contains(c) {
                char::from(*c)
            } else {
                '.'
            }
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tpm {
    pub vendor_id: String,
    /// Raw vendor ID bytes, hex.
    #[serde(serialize_with = "hex_bytes")]
    pub vendor_id_raw: Vec<u8>,
    pub spec_major: u8,
    pub spec_minor: u8,
    pub firmware: TpmFirmware,
    pub description: SmbiosString,
    /// Characteristics (§7.44.1) raw, and the names of bits 2-5 set.
    #[serde(serialize_with = "crate::parse::json::u64_string")]
    pub characteristics: u64,
    pub characteristic_names: Vec<&'static str>,
    pub oem_defined: Option<u32>,
}

impl Tpm {
    pub(crate) fn decode(c: &Ctx<'_>) -> Self {
        let raw = c.data.get(0x04..0x08).unwrap_or_default();
        let major = c.u8(0x08).unwrap_or(0);
        let ch = c.u64(0x13).unwrap_or(0);
        Tpm {
            vendor_id: tpm_vendor_id(raw),
            vendor_id_raw: raw.to_vec(),
            spec_major: major,
            spec_minor: c.u8(0x09).unwrap_or(0),
            firmware: tpm_firmware(major, c.u32(0x0A).unwrap_or(0), c.u32(0x0E).unwrap_or(0)),
            description: c.string(0x12).unwrap_or(SmbiosString::None),
            characteristics: ch,
            characteristic_names: bit_names(ch, 2, &names::TPM_CHARACTERISTICS),
            oem_defined: (c.len() >= 0x1F).then(|| c.u32(0x1B)).flatten(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rom_size_forms() {
        assert_eq!(bios_rom_size(0x0F, None), RomSize::Bytes { bytes: 1 << 20 });
        assert_eq!(bios_rom_size(0xFF, None), RomSize::AtLeast16MiB);
        assert_eq!(
            bios_rom_size(0xFF, Some(32)),
            RomSize::Bytes { bytes: 32 << 20 }
        );
        assert_eq!(
            bios_rom_size(0xFF, Some(0x4002)),
            RomSize::Bytes { bytes: 2 << 30 }
        );
        assert_eq!(
            bios_rom_size(0xFF, Some(0x8001)),
            RomSize::ReservedUnit { raw: 0x8001 }
        );
    }

    #[test]
    fn release_ff_means_none() {
        assert_eq!(release(1, 70), Some((1, 70)));
        assert_eq!(release(0xFF, 0xFF), None);
    }

    #[test]
    fn uuid_byte_order_follows_version() {
        let p = [
            0xcc, 0xd5, 0x77, 0x06, 0xb1, 0x25, 0xb2, 0x11, 0xa8, 0x5c, 0xc6, 0x6e, 0x0b, 0x64,
            0xb3, 0xd5,
        ];
        assert_eq!(
            system_uuid(&p, true),
            SystemUuid::Id("0677d5cc-25b1-11b2-a85c-c66e0b64b3d5".into())
        );
        assert_eq!(
            system_uuid(&p, false),
            SystemUuid::Id("ccd57706-b125-b211-a85c-c66e0b64b3d5".into())
        );
        assert_eq!(
            system_uuid(&[0xFF; 16], true),
            SystemUuid::NotPresentSettable
        );
        assert_eq!(system_uuid(&[0; 16], true), SystemUuid::NotPresent);
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(memory_device_size(0, None), MemorySize::NotInstalled);
        assert_eq!(memory_device_size(0xFFFF, None), MemorySize::Unknown);
        let bytes = |bytes: u64| MemorySize::Bytes { bytes };
        assert_eq!(memory_device_size(8192, None), bytes(8 << 30));
        assert_eq!(memory_device_size(0x8200, None), bytes(512 << 10));
        assert_eq!(memory_device_size(0x7FFF, Some(65536)), bytes(64 << 30));
        // Without the extended field (structure too short), 7FFFh is 32767 MiB as written.
        assert_eq!(memory_device_size(0x7FFF, None), bytes(32767 << 20));
    }

    #[test]
    fn memory_speeds() {
        assert_eq!(memory_speed(0, None), MemorySpeed::Unknown);
        assert_eq!(
            memory_speed(2400, None),
            MemorySpeed::MtPerSecond { value: 2400 }
        );
        assert_eq!(
            memory_speed(0xFFFF, Some(70000)),
            MemorySpeed::MtPerSecond { value: 70000 }
        );
        assert_eq!(memory_speed(0xFFFF, None), MemorySpeed::Unknown);
    }

    #[test]
    fn array_capacity() {
        assert_eq!(
            array_max_capacity(0x0200_0000, None),
            Capacity::Bytes { bytes: 32 << 30 }
        );
        assert_eq!(array_max_capacity(0x8000_0000, None), Capacity::Unknown);
        assert_eq!(
            array_max_capacity(0x8000_0000, Some(1 << 42)),
            Capacity::Bytes { bytes: 1 << 42 }
        );
    }

    #[test]
    fn battery_fields() {
        assert_eq!(battery_design_capacity(5045, Some(10)), Some(50450));
        assert_eq!(battery_design_capacity(0, Some(10)), None);
        assert_eq!(battery_design_capacity(4400, None), Some(4400));
        assert_eq!(
            sbds_date(((2019 - 1980) << 9) | (3 << 5) | 6),
            SbdsDate {
                year: 2019,
                month: 3,
                day: 6
            }
        );
    }

    #[test]
    fn processor_fields() {
        assert_eq!(
            processor_voltage(0x8B),
            ProcessorVoltage::Current { millivolts: 1100 }
        );
        assert_eq!(
            processor_voltage(0x03),
            ProcessorVoltage::Legacy {
                millivolts: vec![5000, 3300]
            }
        );
        assert_eq!(processor_count(4, None), Some(4));
        assert_eq!(processor_count(0xFF, Some(300)), Some(300));
        assert_eq!(processor_count(0, Some(8)), None);
    }

    #[test]
    fn tpm_fields() {
        assert_eq!(tpm_vendor_id(b"INTC"), "INTC");
        assert_eq!(tpm_vendor_id(b"IFX\0"), "IFX");
        assert_eq!(
            tpm_firmware(2, (600 << 16) | 18, 7),
            TpmFirmware::Tpm20 {
                major: 600,
                minor: 18,
                version_2: 7
            }
        );
        assert_eq!(
            tpm_firmware(1, u32::from_le_bytes([1, 2, 3, 4]), 0),
            TpmFirmware::Tpm12 { major: 3, minor: 4 }
        );
    }

    #[test]
    fn contained_elements() {
        let e = contained_element(&[0x83, 1, 2]).unwrap();
        assert!(e.is_structure_type);
        assert_eq!(e.element_type.name, Some("Chassis"));
        assert_eq!(
            contained_element(&[0x0A, 1, 1]).unwrap().element_type.name,
            Some("Motherboard")
        );
        assert!(contained_element(&[1, 2]).is_none());
    }

    #[test]
    fn codes_display_unknown_values() {
        assert_eq!(
            Code::new(0x7f, names::chassis_type).to_string(),
            "unknown (0x7f)"
        );
        assert_eq!(Code::new(0x0a, names::chassis_type).to_string(), "Notebook");
    }
}
