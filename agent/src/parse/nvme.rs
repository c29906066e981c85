//! NVMe admin data structures (NVM Express Base Specification 2.0c): Identify Controller
//! (CNS 01h, §5.17.2.1), Identify Namespace (CNS 00h, NVM Command Set 1.0 §4.1.5.1), and the log
//! pages SMART / Health Information (02h, §5.16.1.3), Device Self-test (06h, §5.16.1.7) and
//! Sanitize Status (81h, §5.16.1.25). All fields are little-endian.
//!
//! 128-bit counters are kept exact (`u128`) and ALWAYS serialized as decimal strings, whatever
//! their value: one rule, no threshold to test, and every RFC 8785 (JCS) implementation agrees
//! on a string, while an integer above 2^53 − 1 would not survive a JSON number.

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{le_u8, le_u16, le_u32, le_u64, le_u128};
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NvmeError {
    #[error(
        "NVMe {structure}: {len} bytes, expected {expected} (the input ends at offset {len:#x})"
    )]
    WrongLength {
        structure: &'static str,
        len: usize,
        expected: usize,
    },
}

/// A 128-bit counter, serialized as a decimal string (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Counter128(pub u128);

impl Serialize for Counter128 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl std::fmt::Display for Counter128 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

fn check_len(structure: &'static str, bytes: &[u8], expected: usize) -> Result<(), NvmeError> {
    if bytes.len() == expected {
        Ok(())
    } else {
        Err(NvmeError::WrongLength {
            structure,
            len: bytes.len(),
            expected,
        })
    }
}

/// Little-endian readers over a structure whose length was checked first.
struct At<'a>(&'a [u8]);

impl At<'_> {
    fn u8(&self, off: usize) -> u8 {
        self.0[off]
    }
    fn u16(&self, off: usize) -> u16 {
        le_u16::<_, nom::error::Error<&[u8]>>(&self.0[off..]).map_or(0, |(_, v)| v)
    }
    fn u32(&self, off: usize) -> u32 {
        le_u32::<_, nom::error::Error<&[u8]>>(&self.0[off..]).map_or(0, |(_, v)| v)
    }
    fn u64(&self, off: usize) -> u64 {
        le_u64::<_, nom::error::Error<&[u8]>>(&self.0[off..]).map_or(0, |(_, v)| v)
    }
    fn u128(&self, off: usize) -> u128 {
        le_u128::<_, nom::error::Error<&[u8]>>(&self.0[off..]).map_or(0, |(_, v)| v)
    }
    fn bytes(&self, off: usize, len: usize) -> &[u8] {
        &self.0[off..off + len]
    }
}

/// An ASCII string field (§1.5: left-justified, padded with spaces), trimmed of padding on both
/// sides (some controllers right-justify their serial number); non-ASCII bytes become U+FFFD
/// rather than being guessed.
pub fn ascii_field(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_matches([' ', '\0'])
        .to_string()
}

/// A temperature in Kelvin with its value in °C (integers; 0 K means "not reported").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Temperature {
    pub kelvin: u16,
    pub celsius: i32,
}

pub fn temperature(kelvin: u16) -> Temperature {
    Temperature {
        kelvin,
        celsius: i32::from(kelvin) - 273,
    }
}

// ---------------------------------------------------------------------------------------------
// Identify Controller

/// Size of Identify Controller and Identify Namespace data.
pub const IDENTIFY_LEN: usize = 4096;

/// Version (VER, bytes 83:80): major.minor.tertiary; 0 before NVMe 1.2 (not reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NvmeVersion {
    pub raw: u32,
    pub major: u16,
    pub minor: u8,
    pub tertiary: u8,
}

pub fn version(raw: u32) -> NvmeVersion {
    NvmeVersion {
        raw,
        major: (raw >> 16) as u16,
        minor: (raw >> 8) as u8,
        tertiary: raw as u8,
    }
}

/// Optional Admin Command Support (OACS, bytes 257:256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Oacs {
    pub raw: u16,
    pub security_send_receive: bool,
    pub format_nvm: bool,
    pub firmware_download: bool,
    pub namespace_management: bool,
    pub device_self_test: bool,
    pub directives: bool,
    pub nvme_mi: bool,
    pub virtualization_management: bool,
    pub doorbell_buffer_config: bool,
    pub get_lba_status: bool,
    pub command_feature_lockdown: bool,
}

pub fn oacs(raw: u16) -> Oacs {
    let b = |n: u16| raw & (1 << n) != 0;
    Oacs {
        raw,
        security_send_receive: b(0),
        format_nvm: b(1),
        firmware_download: b(2),
        namespace_management: b(3),
        device_self_test: b(4),
        directives: b(5),
        nvme_mi: b(6),
        virtualization_management: b(7),
        doorbell_buffer_config: b(8),
        get_lba_status: b(9),
        command_feature_lockdown: b(10),
    }
}

/// Format NVM Attributes (FNA, byte 524).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fna {
    pub raw: u8,
    /// Bit 0: a format applies to all namespaces.
    pub format_all_namespaces: bool,
    /// Bit 1: a secure erase applies to all namespaces.
    pub secure_erase_all_namespaces: bool,
    /// Bit 2: cryptographic erase is supported as part of the secure erase of a format.
    pub crypto_erase_supported: bool,
    /// Bit 3: formatting with NSID FFFFFFFFh is not supported.
    pub broadcast_format_not_supported: bool,
}

pub fn fna(raw: u8) -> Fna {
    Fna {
        raw,
        format_all_namespaces: raw & 1 != 0,
        secure_erase_all_namespaces: raw & 2 != 0,
        crypto_erase_supported: raw & 4 != 0,
        broadcast_format_not_supported: raw & 8 != 0,
    }
}

/// Sanitize Capabilities (SANICAP, bytes 331:328).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sanicap {
    pub raw: u32,
    pub crypto_erase: bool,
    pub block_erase: bool,
    pub overwrite: bool,
    /// Bit 29: No-Deallocate Inhibited.
    pub no_deallocate_inhibited: bool,
    /// Bits 31:30: No-Deallocate Modifies Media After Sanitize.
    pub nodmmas: Nodmmas,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Nodmmas {
    /// 00b: not reported (before NVMe 1.4).
    NotDefined,
    /// 01b: media is not additionally modified after a sanitize with No-Deallocate.
    NotModified,
    /// 10b: media is additionally modified.
    Modified,
    /// 11b.
    Reserved,
}

pub fn sanicap(raw: u32) -> Sanicap {
    Sanicap {
        raw,
        crypto_erase: raw & 1 != 0,
        block_erase: raw & 2 != 0,
        overwrite: raw & 4 != 0,
        no_deallocate_inhibited: raw & (1 << 29) != 0,
        nodmmas: match raw >> 30 {
            0 => Nodmmas::NotDefined,
            1 => Nodmmas::NotModified,
            2 => Nodmmas::Modified,
            _ => Nodmmas::Reserved,
        },
    }
}

/// Log Page Attributes (LPA, byte 261).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lpa {
    pub raw: u8,
    pub smart_per_namespace: bool,
    pub commands_effects_log: bool,
    pub extended_data: bool,
    pub telemetry: bool,
    pub persistent_event_log: bool,
}

pub fn lpa(raw: u8) -> Lpa {
    Lpa {
        raw,
        smart_per_namespace: raw & 1 != 0,
        commands_effects_log: raw & 2 != 0,
        extended_data: raw & 4 != 0,
        telemetry: raw & 8 != 0,
        persistent_event_log: raw & 16 != 0,
    }
}

/// One power state descriptor (§5.17.2.1, figure 276), the fields a support case reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PowerState {
    /// Maximum power, in units of 0.01 W or 0.0001 W (`max_power_scale_0001w`).
    pub max_power: u16,
    pub max_power_scale_0001w: bool,
    pub non_operational: bool,
    /// Entry and exit latency, microseconds.
    pub entry_latency_us: u32,
    pub exit_latency_us: u32,
}

pub fn power_state(b: &[u8]) -> PowerState {
    let a = At(b);
    let flags = a.u8(3);
    PowerState {
        max_power: a.u16(0),
        max_power_scale_0001w: flags & 1 != 0,
        non_operational: flags & 2 != 0,
        entry_latency_us: a.u32(4),
        exit_latency_us: a.u32(8),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentifyController {
    pub vid: u16,
    pub ssvid: u16,
    pub serial: String,
    pub model: String,
    pub firmware: String,
    pub rab: u8,
    /// IEEE OUI (bytes 75:73, least significant byte first), as a 24-bit number.
    pub ieee_oui: u32,
    pub cmic: u8,
    pub mdts: u8,
    pub cntlid: u16,
    pub version: NvmeVersion,
    pub rtd3r: u32,
    pub rtd3e: u32,
    pub oaes: u32,
    pub ctratt: u32,
    pub cntrltype: u8,
    pub oacs: Oacs,
    pub acl: u8,
    pub aerl: u8,
    pub frmw: u8,
    pub lpa: Lpa,
    /// Error Log Page Entries, 0's based.
    pub elpe: u8,
    /// Number of Power States Support, 0's based.
    pub npss: u8,
    pub avscc: u8,
    pub apsta: u8,
    /// Warning and critical composite temperature thresholds (0 K: not reported).
    pub wctemp: Temperature,
    pub cctemp: Temperature,
    pub mtfa: u16,
    pub hmpre: u32,
    pub hmmin: u32,
    /// Total and unallocated NVM capacity, bytes (0 when namespace management is absent).
    pub tnvmcap: Counter128,
    pub unvmcap: Counter128,
    pub rpmbs: u32,
    /// Extended Device Self-test Time, minutes.
    pub edstt: u16,
    pub dsto: u8,
    pub fwug: u8,
    pub kas: u16,
    pub hctma: u16,
    pub mntmt: u16,
    pub mxtmt: u16,
    pub sanicap: Sanicap,
    pub hmminds: u32,
    pub hmmaxd: u16,
    pub nsetidmax: u16,
    pub endgidmax: u16,
    pub anatt: u8,
    pub anacap: u8,
    pub anagrpmax: u32,
    pub nanagrpid: u32,
    pub pels: u32,
    pub sqes: u8,
    pub cqes: u8,
    pub maxcmd: u16,
    /// Number of Namespaces (the largest namespace id).
    pub nn: u32,
    pub oncs: u16,
    pub fuses: u16,
    pub fna: Fna,
    pub vwc: u8,
    pub awun: u16,
    pub awupf: u16,
    pub icsvscc: u8,
    pub nwpc: u8,
    pub acwu: u16,
    pub sgls: u32,
    pub mnan: u32,
    pub subnqn: String,
    /// Power states 0..=npss.
    pub power_states: Vec<PowerState>,
}

/// Decodes Identify Controller data (exactly 4096 bytes).
pub fn parse_identify_controller(b: &[u8]) -> Result<IdentifyController, NvmeError> {
    check_len("Identify Controller data", b, IDENTIFY_LEN)?;
    let a = At(b);
    let oui = a.bytes(73, 3);
    let npss = a.u8(263);
    Ok(IdentifyController {
        vid: a.u16(0),
        ssvid: a.u16(2),
        serial: ascii_field(a.bytes(4, 20)),
        model: ascii_field(a.bytes(24, 40)),
        firmware: ascii_field(a.bytes(64, 8)),
        rab: a.u8(72),
        ieee_oui: u32::from(oui[0]) | (u32::from(oui[1]) << 8) | (u32::from(oui[2]) << 16),
        cmic: a.u8(76),
        mdts: a.u8(77),
        cntlid: a.u16(78),
        version: version(a.u32(80)),
        rtd3r: a.u32(84),
        rtd3e: a.u32(88),
        oaes: a.u32(92),
        ctratt: a.u32(96),
        cntrltype: a.u8(111),
        oacs: oacs(a.u16(256)),
        acl: a.u8(258),
        aerl: a.u8(259),
        frmw: a.u8(260),
        lpa: lpa(a.u8(261)),
        elpe: a.u8(262),
        npss,
        avscc: a.u8(264),
        apsta: a.u8(265),
        wctemp: temperature(a.u16(266)),
        cctemp: temperature(a.u16(268)),
        mtfa: a.u16(270),
        hmpre: a.u32(272),
        hmmin: a.u32(276),
        tnvmcap: Counter128(a.u128(280)),
        unvmcap: Counter128(a.u128(296)),
        rpmbs: a.u32(312),
        edstt: a.u16(316),
        dsto: a.u8(318),
        fwug: a.u8(319),
        kas: a.u16(320),
        hctma: a.u16(322),
        mntmt: a.u16(324),
        mxtmt: a.u16(326),
        sanicap: sanicap(a.u32(328)),
        hmminds: a.u32(332),
        hmmaxd: a.u16(336),
        nsetidmax: a.u16(338),
        endgidmax: a.u16(340),
        anatt: a.u8(342),
        anacap: a.u8(343),
        anagrpmax: a.u32(344),
        nanagrpid: a.u32(348),
        pels: a.u32(352),
        sqes: a.u8(512),
        cqes: a.u8(513),
        maxcmd: a.u16(514),
        nn: a.u32(516),
        oncs: a.u16(520),
        fuses: a.u16(522),
        fna: fna(a.u8(524)),
        vwc: a.u8(525),
        awun: a.u16(526),
        awupf: a.u16(528),
        icsvscc: a.u8(530),
        nwpc: a.u8(531),
        acwu: a.u16(532),
        sgls: a.u32(536),
        mnan: a.u32(540),
        subnqn: ascii_field(
            a.bytes(768, 256)
                .split(|c| *c == 0)
                .next()
                .unwrap_or_default(),
        ),
        power_states: (0..=usize::from(npss).min(31))
            .map(|i| power_state(a.bytes(2048 + 32 * i, 32)))
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Identify Namespace

/// One LBA format (LBAF, NVM Command Set §4.1.5.1 figure 98).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LbaFormat {
    /// Metadata bytes per LBA.
    pub metadata_size: u16,
    /// LBA data size as a power of two (LBADS); 0 means the format is not available.
    pub lbads: u8,
    /// Relative performance, 0 (best) to 3.
    pub relative_performance: u8,
}

pub fn lba_format(v: u32) -> LbaFormat {
    LbaFormat {
        metadata_size: (v & 0xFFFF) as u16,
        lbads: ((v >> 16) & 0xFF) as u8,
        relative_performance: ((v >> 24) & 3) as u8,
    }
}

/// The format in use: FLBAS bits 3:0, with bits 6:5 as the high bits when more than 16 formats
/// exist (NVMe 2.0: NLBAF > 16).
pub fn flbas_index(flbas: u8, nlbaf: u8) -> usize {
    let low = usize::from(flbas & 0x0F);
    if nlbaf >= 16 {
        low | (usize::from((flbas >> 5) & 3) << 4)
    } else {
        low
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentifyNamespace {
    /// Namespace size, capacity and utilization, in logical blocks.
    #[serde(serialize_with = "crate::parse::json::u64_string")]
    pub nsze: u64,
    #[serde(serialize_with = "crate::parse::json::u64_string")]
    pub ncap: u64,
    #[serde(serialize_with = "crate::parse::json::u64_string")]
    pub nuse: u64,
    pub nsfeat: u8,
    /// Number of LBA formats, 0's based.
    pub nlbaf: u8,
    pub flbas: u8,
    /// Index of the LBA format in use, and whether metadata is at the end of each LBA.
    pub lba_format_index: usize,
    pub metadata_at_end_of_lba: bool,
    pub mc: u8,
    pub dpc: u8,
    pub dps: u8,
    pub nmic: u8,
    pub rescap: u8,
    pub fpi: u8,
    pub dlfeat: u8,
    pub nvmcap: Counter128,
    pub anagrpid: u32,
    pub nsattr: u8,
    pub nvmsetid: u16,
    pub endgid: u16,
    pub nguid: String,
    pub eui64: String,
    /// LBA formats 0..=nlbaf (at most 64).
    pub lba_formats: Vec<LbaFormat>,
    /// The in-use format's sector size in bytes (`None` if the index names no valid format) and
    /// metadata size; the namespace size in bytes.
    pub sector_size: Option<u64>,
    pub metadata_size: Option<u16>,
    #[serde(serialize_with = "crate::parse::json::opt_u128_string")]
    pub size_bytes: Option<u128>,
    #[serde(serialize_with = "crate::parse::json::opt_u128_string")]
    pub capacity_bytes: Option<u128>,
}

/// Decodes Identify Namespace data (exactly 4096 bytes).
pub fn parse_identify_namespace(b: &[u8]) -> Result<IdentifyNamespace, NvmeError> {
    check_len("Identify Namespace data", b, IDENTIFY_LEN)?;
    let a = At(b);
    let nlbaf = a.u8(25);
    let flbas = a.u8(26);
    let lba_formats: Vec<LbaFormat> = (0..=usize::from(nlbaf).min(63))
        .map(|i| lba_format(a.u32(128 + 4 * i)))
        .collect();
    let index = flbas_index(flbas, nlbaf);
    let in_use = lba_formats
        .get(index)
        .filter(|f| (9..64).contains(&f.lbads));
    let sector_size = in_use.map(|f| 1u64 << f.lbads);
    let nsze = a.u64(0);
    let ncap = a.u64(8);
    Ok(IdentifyNamespace {
        nsze,
        ncap,
        nuse: a.u64(16),
        nsfeat: a.u8(24),
        nlbaf,
        flbas,
        lba_format_index: index,
        metadata_at_end_of_lba: flbas & 0x10 != 0,
        mc: a.u8(27),
        dpc: a.u8(28),
        dps: a.u8(29),
        nmic: a.u8(30),
        rescap: a.u8(31),
        fpi: a.u8(32),
        dlfeat: a.u8(33),
        nvmcap: Counter128(a.u128(48)),
        anagrpid: a.u32(92),
        nsattr: a.u8(99),
        nvmsetid: a.u16(100),
        endgid: a.u16(102),
        nguid: hex::encode(a.bytes(104, 16)),
        eui64: hex::encode(a.bytes(120, 8)),
        sector_size,
        metadata_size: in_use.map(|f| f.metadata_size),
        size_bytes: sector_size.map(|s| u128::from(nsze) * u128::from(s)),
        capacity_bytes: sector_size.map(|s| u128::from(ncap) * u128::from(s)),
        lba_formats,
    })
}

// ---------------------------------------------------------------------------------------------
// SMART / Health Information log (02h)

/// Size of the SMART / Health log page and of the Sanitize Status log page.
pub const LOG_512: usize = 512;

/// Critical Warning (byte 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CriticalWarning {
    pub raw: u8,
    pub available_spare_below_threshold: bool,
    pub temperature: bool,
    pub reliability_degraded: bool,
    pub read_only: bool,
    pub volatile_backup_failed: bool,
    pub persistent_memory_read_only: bool,
}

pub fn critical_warning(raw: u8) -> CriticalWarning {
    CriticalWarning {
        raw,
        available_spare_below_threshold: raw & 1 != 0,
        temperature: raw & 2 != 0,
        reliability_degraded: raw & 4 != 0,
        read_only: raw & 8 != 0,
        volatile_backup_failed: raw & 16 != 0,
        persistent_memory_read_only: raw & 32 != 0,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmartLog {
    pub critical_warning: CriticalWarning,
    pub composite_temperature: Temperature,
    /// Percent.
    pub available_spare: u8,
    pub available_spare_threshold: u8,
    /// May exceed 100 (§5.16.1.3: up to 255).
    pub percentage_used: u8,
    pub endurance_group_critical_warning: u8,
    /// In thousands of 512-byte units (1 = 512 000 bytes).
    pub data_units_read: Counter128,
    pub data_units_written: Counter128,
    pub host_read_commands: Counter128,
    pub host_write_commands: Counter128,
    /// Minutes.
    pub controller_busy_time: Counter128,
    pub power_cycles: Counter128,
    pub power_on_hours: Counter128,
    pub unsafe_shutdowns: Counter128,
    pub media_errors: Counter128,
    pub error_log_entries: Counter128,
    /// Minutes above the warning and critical composite temperature thresholds.
    pub warning_temperature_minutes: u32,
    pub critical_temperature_minutes: u32,
    /// Temperature sensors 1-8 that report one (0 K: not implemented), as (number, value).
    pub temperature_sensors: Vec<(u8, Temperature)>,
    pub thermal_transitions: [u32; 2],
    /// Seconds spent in thermal management states 1 and 2.
    pub thermal_seconds: [u32; 2],
}

/// Decodes the SMART / Health Information log page (512 bytes).
pub fn parse_smart_log(b: &[u8]) -> Result<SmartLog, NvmeError> {
    check_len("SMART / Health Information log page (02h)", b, LOG_512)?;
    let a = At(b);
    let c = |off: usize| Counter128(a.u128(off));
    Ok(SmartLog {
        critical_warning: critical_warning(a.u8(0)),
        composite_temperature: temperature(a.u16(1)),
        available_spare: a.u8(3),
        available_spare_threshold: a.u8(4),
        percentage_used: a.u8(5),
        endurance_group_critical_warning: a.u8(6),
        data_units_read: c(32),
        data_units_written: c(48),
        host_read_commands: c(64),
        host_write_commands: c(80),
        controller_busy_time: c(96),
        power_cycles: c(112),
        power_on_hours: c(128),
        unsafe_shutdowns: c(144),
        media_errors: c(160),
        error_log_entries: c(176),
        warning_temperature_minutes: a.u32(192),
        critical_temperature_minutes: a.u32(196),
        temperature_sensors: (0..8u8)
            .filter_map(|i| {
                let k = a.u16(200 + 2 * usize::from(i));
                (k != 0).then(|| (i + 1, temperature(k)))
            })
            .collect(),
        thermal_transitions: [a.u32(216), a.u32(220)],
        thermal_seconds: [a.u32(224), a.u32(228)],
    })
}

// ---------------------------------------------------------------------------------------------
// Sanitize Status log (81h)

/// Status of the most recent sanitize operation (SSTAT bits 2:0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum SanitizeState {
    NeverSanitized,
    CompletedSuccessfully,
    InProgress,
    Failed,
    /// Completed successfully with No-Deallocate After Sanitize.
    CompletedNoDeallocate,
    Reserved(u8),
}

/// The sanitize action of a Sanitize command dword 10 (SANACT, bits 2:0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum SanitizeAction {
    ExitFailureMode,
    BlockErase,
    Overwrite,
    CryptoErase,
    Reserved(u8),
}

/// The Sanitize command dword 10 recorded in the log (SCDW10, §5.24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SanitizeCdw10 {
    pub raw: u32,
    pub action: SanitizeAction,
    /// Allow Unrestricted Sanitize Exit.
    pub ause: bool,
    /// Overwrite pass count (OWPASS); 0 means 16.
    pub overwrite_passes: u8,
    /// Overwrite invert pattern between passes.
    pub overwrite_invert: bool,
    /// No-Deallocate After Sanitize.
    pub no_deallocate: bool,
}

pub fn sanitize_cdw10(raw: u32) -> SanitizeCdw10 {
    SanitizeCdw10 {
        raw,
        action: match raw & 7 {
            1 => SanitizeAction::ExitFailureMode,
            2 => SanitizeAction::BlockErase,
            3 => SanitizeAction::Overwrite,
            4 => SanitizeAction::CryptoErase,
            r => SanitizeAction::Reserved(r as u8),
        },
        ause: raw & 8 != 0,
        overwrite_passes: ((raw >> 4) & 0xF) as u8,
        overwrite_invert: raw & (1 << 8) != 0,
        no_deallocate: raw & (1 << 9) != 0,
    }
}

/// An estimated time in seconds; FFFFFFFFh = no estimate; 0 in the ND fields = not supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Estimate {
    NoEstimate,
    Seconds { seconds: u32 },
}

pub fn estimate(v: u32) -> Estimate {
    if v == u32::MAX {
        Estimate::NoEstimate
    } else {
        Estimate::Seconds { seconds: v }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SanitizeLog {
    /// Progress of the sanitize in progress, numerator of n/65536 (FFFFh when none is running).
    pub sprog: u16,
    pub sstat_raw: u16,
    pub state: SanitizeState,
    /// SSTAT bits 7:3: overwrite passes completed by the most recent overwrite sanitize.
    pub overwrite_passes_completed: u8,
    /// SSTAT bit 8: no user data has been written since the last sanitize (or ever).
    pub global_data_erased: bool,
    pub cdw10: SanitizeCdw10,
    pub estimated_overwrite: Estimate,
    pub estimated_block_erase: Estimate,
    pub estimated_crypto_erase: Estimate,
    pub estimated_overwrite_no_deallocate: Estimate,
    pub estimated_block_erase_no_deallocate: Estimate,
    pub estimated_crypto_erase_no_deallocate: Estimate,
}

/// Decodes the Sanitize Status log page (512 bytes).
pub fn parse_sanitize_log(b: &[u8]) -> Result<SanitizeLog, NvmeError> {
    check_len("Sanitize Status log page (81h)", b, LOG_512)?;
    let a = At(b);
    let sstat = a.u16(2);
    Ok(SanitizeLog {
        sprog: a.u16(0),
        sstat_raw: sstat,
        state: match sstat & 7 {
            0 => SanitizeState::NeverSanitized,
            1 => SanitizeState::CompletedSuccessfully,
            2 => SanitizeState::InProgress,
            3 => SanitizeState::Failed,
            4 => SanitizeState::CompletedNoDeallocate,
            r => SanitizeState::Reserved(r as u8),
        },
        overwrite_passes_completed: ((sstat >> 3) & 0x1F) as u8,
        global_data_erased: sstat & (1 << 8) != 0,
        cdw10: sanitize_cdw10(a.u32(4)),
        estimated_overwrite: estimate(a.u32(8)),
        estimated_block_erase: estimate(a.u32(12)),
        estimated_crypto_erase: estimate(a.u32(16)),
        estimated_overwrite_no_deallocate: estimate(a.u32(20)),
        estimated_block_erase_no_deallocate: estimate(a.u32(24)),
        estimated_crypto_erase_no_deallocate: estimate(a.u32(28)),
    })
}

// ---------------------------------------------------------------------------------------------
// Device Self-test log (06h)

/// Size of the Device Self-test log page: 4-byte header and 20 results of 28 bytes.
pub const SELF_TEST_LOG_LEN: usize = 564;

/// The kind of a self-test (bits 3:0 of byte 0, or 7:4 of a result's byte 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum SelfTestCode {
    None,
    Short,
    Extended,
    VendorSpecific,
    Reserved(u8),
}

pub fn self_test_code(v: u8) -> SelfTestCode {
    match v {
        0 => SelfTestCode::None,
        1 => SelfTestCode::Short,
        2 => SelfTestCode::Extended,
        0xE => SelfTestCode::VendorSpecific,
        r => SelfTestCode::Reserved(r),
    }
}

/// Result of one self-test (bits 3:0 of a result's byte 0, figure 208).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum SelfTestResult {
    CompletedWithoutError,
    AbortedBySelfTestCommand,
    AbortedByControllerReset,
    AbortedByNamespaceRemoval,
    AbortedByFormat,
    FatalError,
    UnknownSegmentFailed,
    SegmentsFailed,
    AbortedUnknownReason,
    AbortedBySanitize,
    Reserved(u8),
    /// Fh: this entry holds no result.
    Unused,
}

pub fn self_test_result(v: u8) -> SelfTestResult {
    match v {
        0 => SelfTestResult::CompletedWithoutError,
        1 => SelfTestResult::AbortedBySelfTestCommand,
        2 => SelfTestResult::AbortedByControllerReset,
        3 => SelfTestResult::AbortedByNamespaceRemoval,
        4 => SelfTestResult::AbortedByFormat,
        5 => SelfTestResult::FatalError,
        6 => SelfTestResult::UnknownSegmentFailed,
        7 => SelfTestResult::SegmentsFailed,
        8 => SelfTestResult::AbortedUnknownReason,
        9 => SelfTestResult::AbortedBySanitize,
        0xF => SelfTestResult::Unused,
        r => SelfTestResult::Reserved(r),
    }
}

/// One Self-test Result Data Structure (28 bytes, figure 207).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SelfTestEntry {
    pub result: SelfTestResult,
    pub code: SelfTestCode,
    /// Number of the first segment that failed (when `result` is `SegmentsFailed`).
    pub segment: u8,
    /// Power-on hours when the test completed or aborted.
    #[serde(serialize_with = "crate::parse::json::u64_string")]
    pub power_on_hours: u64,
    /// Namespace, failing LBA and status code (type, code): `None` when the valid
    /// diagnostic information bits say they are not valid.
    pub nsid: Option<u32>,
    #[serde(serialize_with = "crate::parse::json::opt_u64_string")]
    pub failing_lba: Option<u64>,
    pub status_code_type: Option<u8>,
    pub status_code: Option<u8>,
    pub vendor_specific: u16,
}

/// One result entry.
pub fn self_test_entry(input: &[u8]) -> nom::IResult<&[u8], SelfTestEntry> {
    let (rest, (status, segment, valid, _, poh, nsid, lba, sct, sc, vs)) = (
        le_u8, le_u8, le_u8, le_u8, le_u64, le_u32, le_u64, le_u8, le_u8, le_u16,
    )
        .parse(input)?;
    Ok((
        rest,
        SelfTestEntry {
            result: self_test_result(status & 0xF),
            code: self_test_code(status >> 4),
            segment,
            power_on_hours: poh,
            nsid: (valid & 1 != 0).then_some(nsid),
            failing_lba: (valid & 2 != 0).then_some(lba),
            status_code_type: (valid & 4 != 0).then_some(sct & 7),
            status_code: (valid & 8 != 0).then_some(sc),
            vendor_specific: vs,
        },
    ))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelfTestLog {
    /// The self-test in progress, if any.
    pub current_operation: SelfTestCode,
    /// Percent complete of the test in progress (bits 6:0 of byte 1).
    pub current_completion_percent: u8,
    /// The 20 most recent results, newest first, unused entries (result Fh) left out.
    pub results: Vec<SelfTestEntry>,
}

/// Decodes the Device Self-test log page (564 bytes).
pub fn parse_self_test_log(b: &[u8]) -> Result<SelfTestLog, NvmeError> {
    check_len("Device Self-test log page (06h)", b, SELF_TEST_LOG_LEN)?;
    let wrong = |_| NvmeError::WrongLength {
        structure: "Device Self-test log page (06h)",
        len: b.len(),
        expected: SELF_TEST_LOG_LEN,
    };
    let (rest, (op, completion, _)) = (le_u8, le_u8, take(2usize)).parse(b).map_err(wrong)?;
    let (_, entries) = nom::multi::count(self_test_entry, 20)
        .parse(rest)
        .map_err(wrong)?;
    Ok(SelfTestLog {
        current_operation: self_test_code(op & 0xF),
        current_completion_percent: completion & 0x7F,
        results: entries
            .into_iter()
            .filter(|e| e.result != SelfTestResult::Unused)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_serialize_as_strings() {
        let v = serde_json::to_string(&Counter128(u128::MAX)).unwrap();
        assert_eq!(v, "\"340282366920938463463374607431768211455\"");
        assert_eq!(serde_json::to_string(&Counter128(5)).unwrap(), "\"5\"");
    }

    #[test]
    fn temperatures() {
        assert_eq!(temperature(330).celsius, 57);
        assert_eq!(temperature(0).celsius, -273);
    }

    #[test]
    fn version_fields() {
        let v = version(0x0001_0400);
        assert_eq!((v.major, v.minor, v.tertiary), (1, 4, 0));
    }

    #[test]
    fn capability_bits() {
        assert!(oacs(0x17).device_self_test && oacs(0x17).format_nvm && !oacs(0x17).directives);
        let f = fna(0x05);
        assert!(
            f.format_all_namespaces && f.crypto_erase_supported && !f.secure_erase_all_namespaces
        );
        let s = sanicap(0x6000_0002);
        assert!(s.block_erase && !s.crypto_erase && s.no_deallocate_inhibited);
        assert_eq!(s.nodmmas, Nodmmas::NotModified);
    }

    #[test]
    fn lba_formats() {
        let f = lba_format(0x0009_0000);
        assert_eq!((f.lbads, f.metadata_size), (9, 0));
        assert_eq!(flbas_index(0x01, 1), 1);
        assert_eq!(flbas_index(0x61, 40), 0x31);
        assert_eq!(flbas_index(0x61, 4), 1);
    }

    #[test]
    fn sanitize_log_fields() {
        let mut b = vec![0u8; 512];
        b[0..2].copy_from_slice(&0x8000u16.to_le_bytes());
        b[2..4].copy_from_slice(&(0x0100u16 | (3 << 3) | 1).to_le_bytes());
        b[4..8].copy_from_slice(&(0x33u32 | (1 << 8)).to_le_bytes());
        b[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        b[16..20].copy_from_slice(&30u32.to_le_bytes());
        let l = parse_sanitize_log(&b).unwrap();
        assert_eq!(l.sprog, 0x8000);
        assert_eq!(l.state, SanitizeState::CompletedSuccessfully);
        assert_eq!(l.overwrite_passes_completed, 3);
        assert!(l.global_data_erased);
        assert_eq!(l.cdw10.action, SanitizeAction::Overwrite);
        assert_eq!(l.cdw10.overwrite_passes, 3);
        assert!(l.cdw10.overwrite_invert);
        assert_eq!(l.estimated_overwrite, Estimate::NoEstimate);
        assert_eq!(l.estimated_crypto_erase, Estimate::Seconds { seconds: 30 });
    }

    #[test]
    fn self_test_log_fields() {
        let mut b = vec![0u8; 564];
        b[0] = 1; // short test running
        b[1] = 0x2A; // 42 %
        // Entry 0: extended test, segments failed at segment 3, NSID and LBA valid.
        let e = 4;
        b[e] = 0x27;
        b[e + 1] = 3;
        b[e + 2] = 0x03;
        b[e + 4..e + 12].copy_from_slice(&1234u64.to_le_bytes());
        b[e + 12..e + 16].copy_from_slice(&1u32.to_le_bytes());
        b[e + 16..e + 24].copy_from_slice(&0xDEADu64.to_le_bytes());
        // Entries 1..19 unused.
        for i in 1..20 {
            b[4 + 28 * i] = 0x0F;
        }
        let l = parse_self_test_log(&b).unwrap();
        assert_eq!(l.current_operation, SelfTestCode::Short);
        assert_eq!(l.current_completion_percent, 42);
        assert_eq!(l.results.len(), 1);
        let r = l.results[0];
        assert_eq!(r.result, SelfTestResult::SegmentsFailed);
        assert_eq!(r.code, SelfTestCode::Extended);
        assert_eq!(r.segment, 3);
        assert_eq!(r.power_on_hours, 1234);
        assert_eq!(r.nsid, Some(1));
        assert_eq!(r.failing_lba, Some(0xDEAD));
        assert_eq!(r.status_code_type, None);
    }

    #[test]
    fn lengths_are_checked() {
        assert!(parse_identify_controller(&[0; 4095]).is_err());
        assert!(parse_identify_namespace(&[0; 100]).is_err());
        assert!(parse_smart_log(&[0; 511]).is_err());
        assert!(parse_sanitize_log(&[0; 513]).is_err());
        let e = parse_self_test_log(&[0; 100]).unwrap_err().to_string();
        assert!(e.contains("offset 0x64"), "{e}");
    }

    #[test]
    fn zero_namespace_has_no_sector_size() {
        let n = parse_identify_namespace(&[0; 4096]).unwrap();
        assert_eq!(n.sector_size, None);
        assert_eq!(n.size_bytes, None);
    }
}
