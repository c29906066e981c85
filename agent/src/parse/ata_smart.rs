//! ATA SMART READ DATA and READ THRESHOLDS sectors (ATA8-ACS §7.52.6-7 and SFF-8035i rev 2,
//! which ACS leaves vendor specific but every drive follows): the 30 attribute slots with their
//! thresholds, the offline and self-test status, capabilities and polling times, both checksums,
//! and the health verdict computed from the attributes as smartctl does.
//!
//! Attribute names and raw-value interpretations follow smartctl 7.3's built-in defaults (its
//! drive database "DEFAULT" entry); drive-specific overrides of that database are not applied:
//! the raw 48-bit value is always kept, so nothing is lost.

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{le_u8, le_u16};
use serde::Serialize;

/// Size of a SMART data or thresholds sector.
pub const SECTOR_LEN: usize = 512;
/// Number of attribute slots in each sector.
pub const SLOTS: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtaSmartError {
    #[error(
        "ATA SMART {what} sector: {len} bytes, expected 512 (the input ends at offset {len:#x})"
    )]
    WrongLength { what: &'static str, len: usize },
}

/// Whether the drive is rotating, as IDENTIFY word 217 says; smartctl names some attributes
/// differently for SSDs and HDDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaHint {
    Ssd,
    Hdd,
    Unknown,
}

/// Attribute flags (SFF-8035i §3.4.1 and the bits smartctl names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AttributeFlags {
    pub raw: u16,
    /// Bit 0: pre-failure (warranty) attribute; otherwise "old age" (advisory).
    pub prefailure: bool,
    /// Bit 1: updated during normal operation (online), not only by offline collection.
    pub online: bool,
    pub performance: bool,
    pub error_rate: bool,
    pub event_count: bool,
    /// Bit 5: self-preserving.
    pub auto_keep: bool,
}

pub fn attribute_flags(raw: u16) -> AttributeFlags {
    AttributeFlags {
        raw,
        prefailure: raw & 1 != 0,
        online: raw & 2 != 0,
        performance: raw & 4 != 0,
        error_rate: raw & 8 != 0,
        event_count: raw & 0x10 != 0,
        auto_keep: raw & 0x20 != 0,
    }
}

/// How smartctl shows a raw value by default (its `-v` formats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawFormat {
    /// The 48-bit value as one number.
    Raw48,
    /// Low word, with the two other words when non-zero ("raw16(raw16)").
    Raw16Raw16,
    /// Low word, with the second word as an average when non-zero ("raw16(avg16)").
    Raw16Avg16,
    /// Low 24 bits (hours), with the three high bytes when non-zero ("raw24(raw8)").
    Raw24Raw8,
    /// Current temperature in the low byte, with min/max where the other bytes hold them.
    TempMinMax,
}

/// The interpreted raw value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RawValue {
    Number {
        value: u64,
    },
    /// Low word and the two other words (high first), as raw16(raw16) shows them.
    Words {
        value: u16,
        high: [u16; 2],
    },
    WithAverage {
        value: u16,
        average: u16,
    },
    /// 24-bit count (hours) and the three high bytes (high first).
    Hours {
        value: u32,
        high: [u8; 3],
    },
    /// °C; `min`/`max` when the layout is recognised; `over_limit_count` for the WDC form
    /// that counts over-temperature events in the top word.
    Temperature {
        celsius: i8,
        min: Option<i8>,
        max: Option<i8>,
        over_limit_count: Option<u16>,
    },
    /// A temperature whose other bytes match no known layout: current byte, other bytes raw.
    TemperatureUnparsed {
        celsius: i8,
        bytes: [u8; 5],
    },
}

/// Health state of one attribute (smartctl's "WHEN_FAILED").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeState {
    Ok,
    /// The normalized value is at or below its (non-zero) threshold.
    FailingNow,
    /// The worst value ever was at or below the threshold.
    FailedInPast,
    /// No threshold sector given, or no threshold entry with this id.
    NoThreshold,
}

/// One attribute slot with its threshold and interpretation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    pub id: u8,
    /// smartctl's default name ("Unknown_Attribute" when it has none).
    pub name: &'static str,
    pub flags: AttributeFlags,
    /// Normalized current and worst values.
    pub value: u8,
    pub worst: u8,
    pub threshold: Option<u8>,
    /// The 6 raw bytes as a little-endian 48-bit number.
    pub raw: u64,
    pub raw_format: RawFormat,
    pub interpreted: RawValue,
    pub state: AttributeState,
}

/// Offline data collection status (byte 362).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OfflineStatus {
    pub raw: u8,
    /// Bit 7: automatic offline data collection is enabled.
    pub auto_offline_enabled: bool,
    pub state: OfflineState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum OfflineState {
    NeverStarted,
    CompletedWithoutError,
    InProgress,
    SuspendedByHost,
    AbortedByHost,
    AbortedByDevice,
    /// 01h and 07h-3Fh.
    Reserved(u8),
    /// 40h-7Fh.
    VendorSpecific(u8),
}

pub fn offline_status(b: u8) -> OfflineStatus {
    let v = b & 0x7F;
    OfflineStatus {
        raw: b,
        auto_offline_enabled: b & 0x80 != 0,
        state: match v {
            0 => OfflineState::NeverStarted,
            2 => OfflineState::CompletedWithoutError,
            3 => OfflineState::InProgress,
            4 => OfflineState::SuspendedByHost,
            5 => OfflineState::AbortedByHost,
            6 => OfflineState::AbortedByDevice,
            0x40..=0x7F => OfflineState::VendorSpecific(v),
            _ => OfflineState::Reserved(v),
        },
    }
}

/// Self-test execution status (byte 363: bits 7:4 status, bits 3:0 remaining in tenths).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SelfTestStatus {
    pub raw: u8,
    pub state: SelfTestState,
    /// Percent of the test remaining (bits 3:0 × 10), meaningful while in progress.
    pub remaining_percent: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum SelfTestState {
    CompletedWithoutError,
    AbortedByHost,
    InterruptedByReset,
    FatalError,
    FailedUnknownElement,
    FailedElectrical,
    FailedServo,
    FailedRead,
    FailedHandlingDamage,
    InProgress,
    /// 9h-Eh.
    Reserved(u8),
}

pub fn self_test_status(b: u8) -> SelfTestStatus {
    let st = b >> 4;
    SelfTestStatus {
        raw: b,
        state: match st {
            0 => SelfTestState::CompletedWithoutError,
            1 => SelfTestState::AbortedByHost,
            2 => SelfTestState::InterruptedByReset,
            3 => SelfTestState::FatalError,
            4 => SelfTestState::FailedUnknownElement,
            5 => SelfTestState::FailedElectrical,
            6 => SelfTestState::FailedServo,
            7 => SelfTestState::FailedRead,
            8 => SelfTestState::FailedHandlingDamage,
            15 => SelfTestState::InProgress,
            r => SelfTestState::Reserved(r),
        },
        remaining_percent: (b & 0x0F) * 10,
    }
}

/// Offline data collection capability (byte 367) and SMART capability (word 368).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub offline_raw: u8,
    pub smart_raw: u16,
    pub exec_offline_immediate: bool,
    pub offline_aborted_on_new_command: bool,
    pub offline_surface_scan: bool,
    pub self_tests: bool,
    pub conveyance_self_test: bool,
    pub selective_self_test: bool,
    /// SMART capability bit 0: saves SMART data before entering power-saving mode.
    pub saves_before_power_saving: bool,
    /// Bit 1: supports the attribute autosave timer.
    pub attribute_autosave: bool,
    /// Byte 370 bit 0: SMART error logging supported.
    pub error_logging: bool,
}

pub fn capabilities(offline: u8, smart: u16, error_log: u8) -> Capabilities {
    Capabilities {
        offline_raw: offline,
        smart_raw: smart,
        exec_offline_immediate: offline & 1 != 0,
        offline_aborted_on_new_command: offline & 4 != 0,
        offline_surface_scan: offline & 8 != 0,
        self_tests: offline & 0x10 != 0,
        conveyance_self_test: offline & 0x20 != 0,
        selective_self_test: offline & 0x40 != 0,
        saves_before_power_saving: smart & 1 != 0,
        attribute_autosave: smart & 2 != 0,
        error_logging: error_log & 1 != 0,
    }
}

/// Recommended polling times in minutes (bytes 372-376).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PollingMinutes {
    pub short: u8,
    /// Byte 373, or word 375 when byte 373 is FFh.
    pub extended: u16,
    /// Byte 374, when the conveyance self-test is supported.
    pub conveyance: Option<u8>,
}

/// The overall verdict from the attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// No pre-failure attribute at or below its threshold.
    pub passed: bool,
    /// Ids of pre-failure attributes failing now.
    pub failing_prefail: Vec<u8>,
    /// Ids of advisory (old age) attributes failing now.
    pub failing_old_age: Vec<u8>,
    /// Ids of attributes whose worst value was at or below threshold.
    pub failed_in_past: Vec<u8>,
    /// False when no thresholds were given: the verdict is then unknown, `passed` is false.
    pub thresholds_known: bool,
}

/// A decoded SMART READ DATA (+ thresholds) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtaSmart {
    pub revision: u16,
    pub attributes: Vec<Attribute>,
    pub offline_status: OfflineStatus,
    pub self_test_status: SelfTestStatus,
    /// Seconds to complete offline data collection (word 364).
    pub offline_completion_seconds: u16,
    pub capabilities: Capabilities,
    pub polling_minutes: PollingMinutes,
    /// The data sector sums to 0 mod 256 (byte 511 is its checksum).
    pub data_checksum_valid: bool,
    pub thresholds_revision: Option<u16>,
    pub thresholds_checksum_valid: Option<bool>,
    pub health: Health,
}

/// Sum of the sector mod 256 is 0.
pub fn checksum_ok(sector: &[u8]) -> bool {
    sector.iter().fold(0u8, |a, b| a.wrapping_add(*b)) == 0
}

/// One 12-byte attribute slot: id, flags, current, worst, raw[6], reserved.
pub fn attribute_slot(input: &[u8]) -> nom::IResult<&[u8], (u8, u16, u8, u8, u64)> {
    let (rest, (id, flags, current, worst, raw, _)) =
        (le_u8, le_u16, le_u8, le_u8, take(6usize), le_u8).parse(input)?;
    let mut b = [0u8; 8];
    b[..6].copy_from_slice(raw);
    Ok((rest, (id, flags, current, worst, u64::from_le_bytes(b))))
}

/// One 12-byte threshold slot: id, threshold, reserved[10].
pub fn threshold_slot(input: &[u8]) -> nom::IResult<&[u8], (u8, u8)> {
    let (rest, (id, thr, _)) = (le_u8, le_u8, take(10usize)).parse(input)?;
    Ok((rest, (id, thr)))
}

/// smartctl's default definition of an attribute id: name, format, and whether the name is
/// meant for HDDs only or SSDs only (drivedb.h "DEFAULT" entry, smartmontools 7.3).
pub fn default_definition(id: u8) -> Option<(&'static str, RawFormat, Option<MediaHint>)> {
    use MediaHint::{Hdd, Ssd};
    use RawFormat::*;
    Some(match id {
        1 => ("Raw_Read_Error_Rate", Raw48, None),
        2 => ("Throughput_Performance", Raw48, None),
        3 => ("Spin_Up_Time", Raw16Avg16, None),
        4 => ("Start_Stop_Count", Raw48, None),
        5 => ("Reallocated_Sector_Ct", Raw16Raw16, None),
        6 => ("Read_Channel_Margin", Raw48, Some(Hdd)),
        7 => ("Seek_Error_Rate", Raw48, Some(Hdd)),
        8 => ("Seek_Time_Performance", Raw48, Some(Hdd)),
        9 => ("Power_On_Hours", Raw24Raw8, None),
        10 => ("Spin_Retry_Count", Raw48, Some(Hdd)),
        11 => ("Calibration_Retry_Count", Raw48, Some(Hdd)),
        12 => ("Power_Cycle_Count", Raw48, None),
        13 => ("Read_Soft_Error_Rate", Raw48, None),
        22 => ("Helium_Level", Raw16Raw16, Some(Hdd)),
        23 => ("Helium_Condition_Lower", Raw48, Some(Hdd)),
        24 => ("Helium_Condition_Upper", Raw48, Some(Hdd)),
        175 => ("Program_Fail_Count_Chip", Raw48, Some(Ssd)),
        176 => ("Erase_Fail_Count_Chip", Raw48, Some(Ssd)),
        177 => ("Wear_Leveling_Count", Raw48, Some(Ssd)),
        178 => ("Used_Rsvd_Blk_Cnt_Chip", Raw48, Some(Ssd)),
        179 => ("Used_Rsvd_Blk_Cnt_Tot", Raw48, Some(Ssd)),
        180 => ("Unused_Rsvd_Blk_Cnt_Tot", Raw48, Some(Ssd)),
        181 => ("Program_Fail_Cnt_Total", Raw48, None),
        182 => ("Erase_Fail_Count_Total", Raw48, Some(Ssd)),
        183 => ("Runtime_Bad_Block", Raw48, None),
        184 => ("End-to-End_Error", Raw48, None),
        187 => ("Reported_Uncorrect", Raw48, None),
        188 => ("Command_Timeout", Raw48, None),
        189 => ("High_Fly_Writes", Raw48, Some(Hdd)),
        190 => ("Airflow_Temperature_Cel", TempMinMax, None),
        191 => ("G-Sense_Error_Rate", Raw48, Some(Hdd)),
        192 => ("Power-Off_Retract_Count", Raw48, None),
        193 => ("Load_Cycle_Count", Raw48, Some(Hdd)),
        194 => ("Temperature_Celsius", TempMinMax, None),
        195 => ("Hardware_ECC_Recovered", Raw48, None),
        196 => ("Reallocated_Event_Count", Raw16Raw16, None),
        197 => ("Current_Pending_Sector", Raw48, None),
        198 => ("Offline_Uncorrectable", Raw48, None),
        199 => ("UDMA_CRC_Error_Count", Raw48, None),
        200 => ("Multi_Zone_Error_Rate", Raw48, Some(Hdd)),
        201 => ("Soft_Read_Error_Rate", Raw48, Some(Hdd)),
        202 => ("Data_Address_Mark_Errs", Raw48, Some(Hdd)),
        203 => ("Run_Out_Cancel", Raw48, None),
        204 => ("Soft_ECC_Correction", Raw48, None),
        205 => ("Thermal_Asperity_Rate", Raw48, None),
        206 => ("Flying_Height", Raw48, Some(Hdd)),
        207 => ("Spin_High_Current", Raw48, Some(Hdd)),
        208 => ("Spin_Buzz", Raw48, Some(Hdd)),
        209 => ("Offline_Seek_Performnce", Raw48, Some(Hdd)),
        220 => ("Disk_Shift", Raw48, Some(Hdd)),
        221 => ("G-Sense_Error_Rate", Raw48, Some(Hdd)),
        222 => ("Loaded_Hours", Raw48, Some(Hdd)),
        223 => ("Load_Retry_Count", Raw48, Some(Hdd)),
        224 => ("Load_Friction", Raw48, Some(Hdd)),
        225 => ("Load_Cycle_Count", Raw48, Some(Hdd)),
        226 => ("Load-in_Time", Raw48, Some(Hdd)),
        227 => ("Torq-amp_Count", Raw48, Some(Hdd)),
        228 => ("Power-off_Retract_Count", Raw48, None),
        230 => ("Head_Amplitude", Raw48, Some(Hdd)),
        231 => ("Temperature_Celsius", Raw48, Some(Hdd)),
        232 => ("Available_Reservd_Space", Raw48, None),
        233 => ("Media_Wearout_Indicator", Raw48, Some(Ssd)),
        240 => ("Head_Flying_Hours", Raw24Raw8, Some(Hdd)),
        241 => ("Total_LBAs_Written", Raw48, None),
        242 => ("Total_LBAs_Read", Raw48, None),
        250 => ("Read_Error_Retry_Rate", Raw48, None),
        254 => ("Free_Fall_Sensor", Raw48, Some(Hdd)),
        _ => return None,
    })
}

/// The name smartctl gives by default: a name meant for HDDs is not given on an SSD and the
/// reverse ("Unknown_SSD_Attribute" / "Unknown_HDD_Attribute").
pub fn attribute_name(id: u8, media: MediaHint) -> &'static str {
    match (default_definition(id), media) {
        (None, _) => "Unknown_Attribute",
        (Some((_, _, Some(MediaHint::Hdd))), MediaHint::Ssd) => "Unknown_SSD_Attribute",
        (Some((_, _, Some(MediaHint::Ssd))), MediaHint::Hdd) => "Unknown_HDD_Attribute",
        (Some((name, _, _)), _) => name,
    }
}

/// How a temperature word reads: non-negative byte/word, negative byte, negative word.
fn temp_word_kind(w: u16) -> u8 {
    match w {
        0..=0x7F => 0x11,
        0x80..=0xFF => 0x01,
        0xFF80..=0xFFFF => 0x10,
        _ => 0,
    }
}

/// Two bytes as a (min, max) range around `t` within −60..=120 °C, or `None`. A pair of −1 and
/// ≤ 0 is rejected: it is an unused field, not a range.
fn temp_range(t: i8, a: u8, b: u8) -> Option<(i8, i8)> {
    let (x, y) = (a as i8, b as i8);
    let (lo, hi) = if x > y { (y, x) } else { (x, y) };
    let ok = (-60..=t).contains(&lo) && (t..=120).contains(&hi) && !(lo == -1 && hi <= 0);
    ok.then_some((lo, hi))
}

/// The temperature layouts drives use (current in byte 0; min/max in bytes 2-3, 1-2 or 2 and 4;
/// WDC's over-temperature count in the top word), recognised as smartctl 7.3 recognises them.
pub fn temperature(raw: u64) -> RawValue {
    let r: [u8; 6] = {
        let b = raw.to_le_bytes();
        [b[0], b[1], b[2], b[3], b[4], b[5]]
    };
    let w = [
        u16::from_le_bytes([r[0], r[1]]),
        u16::from_le_bytes([r[2], r[3]]),
        u16::from_le_bytes([r[4], r[5]]),
    ];
    let t = r[0] as i8;
    let k0 = temp_word_kind(w[0]);
    let plain = |min: Option<i8>, max: Option<i8>, over: Option<u16>| RawValue::Temperature {
        celsius: t,
        min,
        max,
        over_limit_count: over,
    };
    let found = if w[2] == 0 {
        if w[1] == 0 && k0 != 0 {
            Some(plain(None, None, None))
        } else if let Some((lo, hi)) = (k0 != 0).then(|| temp_range(t, r[2], r[3])).flatten() {
            Some(plain(Some(lo), Some(hi), None))
        } else if let Some((lo, hi)) = (r[3] == 0).then(|| temp_range(t, r[1], r[2])).flatten() {
            Some(plain(Some(lo), Some(hi), None))
        } else {
            None
        }
    } else if k0 != 0 {
        let all = k0 & temp_word_kind(w[1]) & temp_word_kind(w[2]);
        if let Some((lo, hi)) = (all != 0).then(|| temp_range(t, r[2], r[4])).flatten() {
            Some(plain(Some(lo), Some(hi), None))
        } else if let Some((lo, hi)) = (w[2] < 0x7FFF)
            .then(|| temp_range(t, r[2], r[3]))
            .flatten()
            .filter(|(_, hi)| *hi >= 40)
        {
            Some(plain(Some(lo), Some(hi), Some(w[2])))
        } else {
            None
        }
    } else {
        None
    };
    found.unwrap_or(RawValue::TemperatureUnparsed {
        celsius: t,
        bytes: [r[5], r[4], r[3], r[2], r[1]],
    })
}

/// Interprets a raw value in a format.
pub fn interpret(raw: u64, format: RawFormat) -> RawValue {
    let w = |i: u32| ((raw >> (16 * i)) & 0xFFFF) as u16;
    let b = |i: u32| ((raw >> (8 * i)) & 0xFF) as u8;
    match format {
        RawFormat::Raw48 => RawValue::Number { value: raw },
        RawFormat::Raw16Raw16 => RawValue::Words {
            value: w(0),
            high: [w(2), w(1)],
        },
        RawFormat::Raw16Avg16 => RawValue::WithAverage {
            value: w(0),
            average: w(1),
        },
        RawFormat::Raw24Raw8 => RawValue::Hours {
            value: (raw & 0xFF_FFFF) as u32,
            high: [b(5), b(4), b(3)],
        },
        RawFormat::TempMinMax => temperature(raw),
    }
}

/// An attribute's state against its threshold (smartctl's rule): a zero threshold never fails
/// ("always passing", ATA-3); value ≤ threshold fails now; worst ≤ threshold failed in the past.
pub fn attribute_state(value: u8, worst: u8, threshold: Option<u8>) -> AttributeState {
    match threshold {
        None => AttributeState::NoThreshold,
        Some(0) => AttributeState::Ok,
        Some(t) if value <= t => AttributeState::FailingNow,
        Some(t) if worst <= t => AttributeState::FailedInPast,
        Some(_) => AttributeState::Ok,
    }
}

/// The threshold for attribute `id` in slot `index`: the same slot normally, else the first
/// slot with that id (as smartctl looks it up).
fn find_threshold(thresholds: &[(u8, u8)], index: usize, id: u8) -> Option<u8> {
    match thresholds.get(index) {
        Some((tid, t)) if *tid == id => Some(*t),
        _ => thresholds
            .iter()
            .find(|(tid, _)| *tid == id)
            .map(|(_, t)| *t),
    }
}

/// Decodes a SMART READ DATA sector and, when given, the READ THRESHOLDS sector.
pub fn parse_smart(
    data: &[u8],
    thresholds: Option<&[u8]>,
    media: MediaHint,
) -> Result<AtaSmart, AtaSmartError> {
    if data.len() != SECTOR_LEN {
        return Err(AtaSmartError::WrongLength {
            what: "READ DATA",
            len: data.len(),
        });
    }
    if let Some(t) = thresholds
        && t.len() != SECTOR_LEN
    {
        return Err(AtaSmartError::WrongLength {
            what: "READ THRESHOLDS",
            len: t.len(),
        });
    }
    // The lengths are checked: the fixed layouts below cannot run short.
    let short = |_| AtaSmartError::WrongLength {
        what: "READ DATA",
        len: data.len(),
    };
    let (rest, revision) = le_u16::<_, nom::error::Error<&[u8]>>(data).map_err(short)?;
    let (_, slots) = nom::multi::count(attribute_slot, SLOTS)
        .parse(rest)
        .map_err(short)?;
    let thr: Option<(u16, Vec<(u8, u8)>)> = thresholds.and_then(|t| {
        let (rest, rev) = le_u16::<_, nom::error::Error<&[u8]>>(t).ok()?;
        let (_, v) = nom::multi::count(threshold_slot, SLOTS).parse(rest).ok()?;
        Some((rev, v))
    });
    let mut attributes = Vec::new();
    for (i, (id, flags, value, worst, raw)) in slots.into_iter().enumerate() {
        if id == 0 {
            continue;
        }
        let format = default_definition(id).map_or(RawFormat::Raw48, |d| d.1);
        let threshold = thr.as_ref().and_then(|(_, t)| find_threshold(t, i, id));
        attributes.push(Attribute {
            id,
            name: attribute_name(id, media),
            flags: attribute_flags(flags),
            value,
            worst,
            threshold,
            raw,
            raw_format: format,
            interpreted: interpret(raw, format),
            state: attribute_state(value, worst, threshold),
        });
    }
    let health = health(&attributes, thr.is_some());
    let caps = capabilities(
        data[367],
        u16::from_le_bytes([data[368], data[369]]),
        data[370],
    );
    let extended = if data[373] == 0xFF {
        u16::from_le_bytes([data[375], data[376]])
    } else {
        data[373].into()
    };
    Ok(AtaSmart {
        revision,
        attributes,
        offline_status: offline_status(data[362]),
        self_test_status: self_test_status(data[363]),
        offline_completion_seconds: u16::from_le_bytes([data[364], data[365]]),
        capabilities: caps,
        polling_minutes: PollingMinutes {
            short: data[372],
            extended,
            conveyance: caps.conveyance_self_test.then_some(data[374]),
        },
        data_checksum_valid: checksum_ok(data),
        thresholds_revision: thr.as_ref().map(|(r, _)| *r),
        thresholds_checksum_valid: thresholds.map(checksum_ok),
        health,
    })
}

/// The verdict: failing if a pre-failure attribute is failing now (smartctl: "FAILING_NOW" on a
/// Pre-fail attribute, exit status bit 3).
pub fn health(attributes: &[Attribute], thresholds_known: bool) -> Health {
    let ids = |pred: &dyn Fn(&Attribute) -> bool| -> Vec<u8> {
        attributes
            .iter()
            .filter(|a| pred(a))
            .map(|a| a.id)
            .collect()
    };
    let failing_prefail = ids(&|a| a.state == AttributeState::FailingNow && a.flags.prefailure);
    Health {
        passed: thresholds_known && failing_prefail.is_empty(),
        failing_old_age: ids(&|a| a.state == AttributeState::FailingNow && !a.flags.prefailure),
        failed_in_past: ids(&|a| a.state == AttributeState::FailedInPast),
        failing_prefail,
        thresholds_known,
    }
}

/// Descriptors in the SMART self-test log (ACS-4 Table A.11: 21 entries of 24 bytes).
pub const SELF_TEST_LOG_ENTRIES: usize = 21;

/// One self-test log descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AtaSelfTestEntry {
    /// The LBA-low subcommand that started it: 1 short, 2 extended, 3 conveyance, 4 selective
    /// (offline mode); 0x81-0x84 the same in captive mode.
    pub subcommand: u8,
    pub status: SelfTestStatus,
    /// Power-on hours when it ended (16 bits, wraps).
    pub lifetime_hours: u16,
    /// First failing LBA (28 bits in the descriptor), when the status is a failure.
    pub failing_lba: Option<u32>,
}

/// The SMART self-test log (log address 06h), newest entry first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtaSelfTestLog {
    pub revision: u16,
    pub entries: Vec<AtaSelfTestEntry>,
    pub checksum_valid: bool,
}

/// One 24-byte descriptor: subcommand, status, timestamp, checkpoint, failing LBA, vendor bytes.
pub fn self_test_descriptor(input: &[u8]) -> nom::IResult<&[u8], AtaSelfTestEntry> {
    let (rest, (subcommand, status, hours, _checkpoint, lba, _vendor)) = (
        le_u8,
        le_u8,
        le_u16,
        le_u8,
        nom::number::complete::le_u32,
        take(15usize),
    )
        .parse(input)?;
    let status = self_test_status(status);
    // The LBA means something only for a test that failed on an element (3h-8h); smartctl
    // prints "-" otherwise.
    let failed = matches!(
        status.state,
        SelfTestState::FatalError
            | SelfTestState::FailedUnknownElement
            | SelfTestState::FailedElectrical
            | SelfTestState::FailedServo
            | SelfTestState::FailedRead
            | SelfTestState::FailedHandlingDamage
    );
    Ok((
        rest,
        AtaSelfTestEntry {
            subcommand,
            status,
            lifetime_hours: hours,
            failing_lba: (failed && lba != u32::MAX).then_some(lba & 0x0FFF_FFFF),
        },
    ))
}

/// Decodes the SMART self-test log sector. Byte 508 names the newest descriptor (1-21, 0: none
/// logged); the log is circular, so entries are read backwards from it. Descriptors whose
/// subcommand is 0 are empty.
pub fn parse_self_test_log(b: &[u8]) -> Result<AtaSelfTestLog, AtaSmartError> {
    if b.len() != SECTOR_LEN {
        return Err(AtaSmartError::WrongLength {
            what: "self-test log",
            len: b.len(),
        });
    }
    let short = |_| AtaSmartError::WrongLength {
        what: "self-test log",
        len: b.len(),
    };
    let (rest, revision) = le_u16::<_, nom::error::Error<&[u8]>>(b).map_err(short)?;
    let (_, slots) = nom::multi::count(self_test_descriptor, SELF_TEST_LOG_ENTRIES)
        .parse(rest)
        .map_err(short)?;
    let newest = usize::from(b[508]);
    let entries = if (1..=SELF_TEST_LOG_ENTRIES).contains(&newest) {
        (0..SELF_TEST_LOG_ENTRIES)
            .map(|k| slots[(newest - 1 + SELF_TEST_LOG_ENTRIES - k) % SELF_TEST_LOG_ENTRIES])
            .filter(|e| e.subcommand != 0)
            .collect()
    } else {
        Vec::new()
    };
    Ok(AtaSelfTestLog {
        revision,
        entries,
        checksum_valid: checksum_ok(b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_bits() {
        let f = attribute_flags(0x33);
        assert!(f.prefailure && f.online && f.event_count && f.auto_keep);
        assert!(!f.performance && !f.error_rate);
    }

    #[test]
    fn names_depend_on_media() {
        assert_eq!(attribute_name(9, MediaHint::Ssd), "Power_On_Hours");
        assert_eq!(attribute_name(7, MediaHint::Ssd), "Unknown_SSD_Attribute");
        assert_eq!(attribute_name(177, MediaHint::Hdd), "Unknown_HDD_Attribute");
        assert_eq!(
            attribute_name(177, MediaHint::Unknown),
            "Wear_Leveling_Count"
        );
        assert_eq!(attribute_name(100, MediaHint::Hdd), "Unknown_Attribute");
    }

    #[test]
    fn raw_formats() {
        assert_eq!(
            interpret(0x0024_0000_5000, RawFormat::Raw16Raw16),
            RawValue::Words {
                value: 0x5000,
                high: [0x24, 0]
            }
        );
        assert_eq!(
            interpret(0x00B3_7000_1119, RawFormat::Raw24Raw8),
            RawValue::Hours {
                value: 0x00_1119,
                high: [0x00, 0xB3, 0x70]
            }
        );
        assert_eq!(
            interpret(0x0003_0036, RawFormat::Raw16Avg16),
            RawValue::WithAverage {
                value: 0x36,
                average: 3
            }
        );
    }

    #[test]
    fn temperature_layouts() {
        // 00 00 00 00 00 1c: 28 °C alone.
        assert_eq!(
            temperature(0x1c),
            RawValue::Temperature {
                celsius: 28,
                min: None,
                max: None,
                over_limit_count: None
            }
        );
        // 00 00 HH LL 00 TT: min 15, max 54 in bytes 2-3.
        assert_eq!(
            temperature(0x0000_360F_001C),
            RawValue::Temperature {
                celsius: 28,
                min: Some(15),
                max: Some(54),
                over_limit_count: None
            }
        );
        // Unrecognised: bytes kept.
        assert!(matches!(
            temperature(0x0000_1400_0022),
            RawValue::TemperatureUnparsed { celsius: 34, .. }
        ));
    }

    #[test]
    fn states() {
        assert_eq!(attribute_state(100, 100, Some(0)), AttributeState::Ok);
        assert_eq!(
            attribute_state(10, 10, Some(10)),
            AttributeState::FailingNow
        );
        assert_eq!(
            attribute_state(100, 9, Some(10)),
            AttributeState::FailedInPast
        );
        assert_eq!(attribute_state(100, 9, None), AttributeState::NoThreshold);
    }

    #[test]
    fn status_bytes() {
        let s = self_test_status(0xF7);
        assert_eq!(s.state, SelfTestState::InProgress);
        assert_eq!(s.remaining_percent, 70);
        assert_eq!(self_test_status(0x17).state, SelfTestState::AbortedByHost);
        assert_eq!(self_test_status(0x90).state, SelfTestState::Reserved(9));
        let o = offline_status(0x84);
        assert!(o.auto_offline_enabled);
        assert_eq!(o.state, OfflineState::SuspendedByHost);
        assert_eq!(
            offline_status(0x41).state,
            OfflineState::VendorSpecific(0x41)
        );
    }

    #[test]
    fn capability_bits() {
        let c = capabilities(0x71, 3, 1);
        assert!(c.exec_offline_immediate && !c.offline_surface_scan && c.self_tests);
        assert!(c.conveyance_self_test && c.selective_self_test && c.attribute_autosave);
    }

    #[test]
    fn lengths() {
        assert!(parse_smart(&[0; 511], None, MediaHint::Unknown).is_err());
        assert!(parse_smart(&[0; 512], Some(&[0; 10]), MediaHint::Unknown).is_err());
        let s = parse_smart(&[0; 512], None, MediaHint::Unknown).unwrap();
        assert!(s.attributes.is_empty() && !s.health.passed && s.data_checksum_valid);
    }

    #[test]
    fn self_test_log_reads_backwards_from_the_index() {
        let mut b = vec![0u8; SECTOR_LEN];
        b[0] = 1;
        // Descriptor 1: short, passed; descriptor 2: short, read failure at LBA 0x123456.
        let d = |i: usize| 2 + 24 * i;
        b[d(0)] = 1;
        b[d(0) + 2] = 10;
        b[d(1)] = 1;
        b[d(1) + 1] = 0x70;
        b[d(1) + 2] = 11;
        b[d(1) + 5..d(1) + 9].copy_from_slice(&0x0012_3456u32.to_le_bytes());
        b[508] = 2;
        let log = parse_self_test_log(&b).unwrap();
        assert_eq!(log.entries.len(), 2);
        assert_eq!(log.entries[0].status.state, SelfTestState::FailedRead);
        assert_eq!(log.entries[0].failing_lba, Some(0x12_3456));
        assert_eq!(log.entries[0].lifetime_hours, 11);
        assert_eq!(
            log.entries[1].status.state,
            SelfTestState::CompletedWithoutError
        );
        assert_eq!(log.entries[1].failing_lba, None);
        // Wrapped: the newest is descriptor 1, the one before it descriptor 21.
        b[508] = 1;
        b[d(20)] = 2;
        let log = parse_self_test_log(&b).unwrap();
        let subs: Vec<u8> = log.entries.iter().map(|e| e.subcommand).collect();
        assert_eq!(subs, [1, 2, 1]);
        b[508] = 0;
        assert!(parse_self_test_log(&b).unwrap().entries.is_empty());
        assert!(parse_self_test_log(&b[..100]).is_err());
    }
}
