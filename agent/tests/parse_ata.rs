//! Agreement of `parse::ata` (IDENTIFY DEVICE) with `hdparm -I` (9.65) and of `parse::ata_smart`
//! (SMART READ DATA + READ THRESHOLDS) with `smartctl -j` (7.3) and `skdump` (libatasmart 0.19)
//! over every drive of the corpus; a failure names the file, the field and both values.
//! Plus robustness properties: no panic on any input.

use std::path::PathBuf;

use proptest::prelude::*;
use reprise::parse::ata::{self, EraseTime, Integrity, RotationRate};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/ata")
}

/// Every drive stem of the corpus (22 drives, each with an IDENTIFY sector).
fn stems() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".identify.bin").map(str::to_string)
        })
        .collect();
    out.sort();
    assert_eq!(out.len(), 22);
    out
}

fn read(stem: &str, suffix: &str) -> Option<Vec<u8>> {
    std::fs::read(corpus_dir().join(format!("{stem}.{suffix}"))).ok()
}

fn text(stem: &str, suffix: &str) -> String {
    String::from_utf8(read(stem, suffix).unwrap()).unwrap()
}

/// Collects mismatches as "file: field: ours X oracle Y".
#[derive(Default)]
struct Check {
    failures: Vec<String>,
    compared: usize,
}

impl Check {
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, file: &str, field: &str, ours: T, oracle: T) {
        self.compared += 1;
        if ours != oracle {
            self.failures
                .push(format!("{file}: {field}: ours {ours:?} oracle {oracle:?}"));
        }
    }
    fn done(self, minimum: usize) {
        assert!(
            self.failures.is_empty(),
            "{} mismatches:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(
            self.compared >= minimum,
            "only {} fields compared",
            self.compared
        );
    }
}

// ---- hdparm -I ---------------------------------------------------------------------------------

/// The value after `key` on the first line (tabs stripped) that starts with it.
fn hd_value<'a>(hd: &'a str, key: &str) -> Option<&'a str> {
    hd.lines()
        .map(|l| l.trim_start_matches('\t'))
        .find_map(|l| l.strip_prefix(key))
        .map(str::trim)
}

/// A "Commands/features" line: None if absent, Some(enabled) if present.
fn hd_feature(hd: &str, name: &str) -> Option<bool> {
    hd.lines().find_map(|l| {
        let (mark, rest) = l.strip_prefix("\t   ")?.split_once('\t')?;
        rest.starts_with(name).then_some(mark == "*")
    })
}

/// A "Security:" line such as "\tnot\tlocked" or "\t\tfrozen": Some(true/false) if present.
fn hd_security(hd: &str, name: &str) -> Option<bool> {
    let sec = hd.split("Security:").nth(1)?;
    sec.lines()
        .skip(1)
        .take_while(|l| l.starts_with('\t'))
        .find_map(|l| {
            let (not, rest) = l.strip_prefix('\t')?.split_once('\t')?;
            (rest == name).then_some(not != "not")
        })
}

fn erase_text(t: EraseTime, what: &str) -> Option<String> {
    match t {
        EraseTime::NotReported => None,
        EraseTime::Minutes { minutes } => Some(format!("{minutes}min for {what}.")),
        EraseTime::MoreThan { minutes } => Some(format!(">{minutes}min for {what}.")),
    }
}

#[test]
fn identify_agrees_with_hdparm_on_every_drive() {
    let mut c = Check::default();
    for stem in stems() {
        let bin = read(&stem, "identify.bin").unwrap();
        let id = ata::parse_identify(&bin).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let hd = text(&stem, "hdparm-I.txt");
        let f = stem.as_str();
        c.eq(
            f,
            "model",
            Some(id.model.as_str()),
            hd_value(&hd, "Model Number:"),
        );
        c.eq(
            f,
            "serial",
            Some(id.serial.as_str()),
            hd_value(&hd, "Serial Number:"),
        );
        c.eq(
            f,
            "firmware",
            Some(id.firmware.as_str()),
            hd_value(&hd, "Firmware Revision:"),
        );
        let removable = if id.removable_media {
            "ATA device, with removable media"
        } else {
            "ATA device, with non-removable media"
        };
        c.eq(f, "removable", true, hd.contains(removable));
        // hdparm prints the LBA28 line only when LBA is supported (word 49 bit 9).
        if id.words[49] & (1 << 9) != 0 {
            c.eq(
                f,
                "lba28_sectors",
                Some(id.lba28_sectors.to_string()),
                hd_value(&hd, "LBA    user addressable sectors:").map(str::to_string),
            );
        }
        c.eq(
            f,
            "lba48_sectors",
            id.lba48_sectors.map(|n| n.to_string()),
            hd_value(&hd, "LBA48  user addressable sectors:").map(str::to_string),
        );
        let sizes = match hd_value(&hd, "Logical/Physical Sector size:") {
            Some(both) => (Some(both), Some(both)),
            None => (
                hd_value(&hd, "Logical  Sector size:"),
                hd_value(&hd, "Physical Sector size:"),
            ),
        };
        c.eq(
            f,
            "logical_sector_size",
            Some(format!("{} bytes", id.logical_sector_size)),
            sizes.0.map(str::to_string),
        );
        c.eq(
            f,
            "physical_sector_size",
            Some(format!("{} bytes", id.physical_sector_size)),
            sizes.1.map(str::to_string),
        );
        let rot = match id.rotation_rate {
            RotationRate::NotReported => None,
            RotationRate::NonRotating => Some("Solid State Device".to_string()),
            RotationRate::Rpm { rpm } => Some(rpm.to_string()),
            RotationRate::Reserved { raw } => Some(format!("unknown (0x{raw:04x})")),
        };
        c.eq(
            f,
            "rotation_rate",
            rot,
            hd_value(&hd, "Nominal Media Rotation Rate:").map(str::to_string),
        );
        let ff = match (id.form_factor.value, id.form_factor.name) {
            (0, _) => None,
            // ACS-4 §9.10.5.6 (word 168) defines 6 = mSATA, 7 = M.2, 8 = MicroSSD, 9 = CFast;
            // hdparm 9.65 knows only 1-5 and prints "unknown (0x0007]". We follow ACS-4.
            (v @ 6..=9, Some(_)) => Some(format!("unknown (0x{v:04x}]")),
            (_, Some(n)) => Some(n.to_string()),
            (v, None) => Some(format!("unknown (0x{v:04x}]")),
        };
        c.eq(
            f,
            "form_factor",
            ff,
            hd_value(&hd, "Form Factor:").map(str::to_string),
        );
        let feature = |sup: bool, en: bool| sup.then_some(en);
        c.eq(
            f,
            "smart",
            feature(id.smart_supported, id.smart_enabled),
            hd_feature(&hd, "SMART feature set"),
        );
        c.eq(
            f,
            "smart_error_log",
            feature(id.smart_error_log_supported, true),
            hd_feature(&hd, "SMART error logging"),
        );
        c.eq(
            f,
            "smart_self_test",
            feature(id.smart_self_test_supported, true),
            hd_feature(&hd, "SMART self-test"),
        );
        c.eq(
            f,
            "security feature",
            feature(id.security.supported, id.security.enabled),
            hd_feature(&hd, "Security Mode feature set"),
        );
        c.eq(
            f,
            "hpa",
            feature(id.hpa_supported, id.hpa_enabled),
            hd_feature(&hd, "Host Protected Area feature set"),
        );
        let dco_enabled = id.command_sets[4] & (1 << 11) != 0;
        c.eq(
            f,
            "dco",
            feature(id.dco_supported, dco_enabled),
            hd_feature(&hd, "Device Configuration Overlay feature set"),
        );
        c.eq(
            f,
            "write_cache",
            feature(id.write_cache_supported, id.write_cache_enabled),
            hd_feature(&hd, "Write cache"),
        );
        c.eq(
            f,
            "lba48",
            feature(id.lba48_supported, id.command_sets[4] & (1 << 10) != 0),
            hd_feature(&hd, "48-bit Address feature set"),
        );
        c.eq(
            f,
            "trim",
            feature(id.trim_supported, true),
            hd_feature(&hd, "Data Set Management TRIM supported"),
        );
        c.eq(
            f,
            "trim zeroes",
            feature(id.trim_deterministic && id.trim_zeroes, true),
            hd_feature(&hd, "Deterministic read ZEROs after TRIM"),
        );
        c.eq(
            f,
            "trim deterministic data",
            feature(id.trim_deterministic && !id.trim_zeroes, true),
            hd_feature(&hd, "Deterministic read data after TRIM"),
        );
        c.eq(
            f,
            "sanitize",
            feature(id.sanitize.supported, true),
            hd_feature(&hd, "SANITIZE feature set"),
        );
        c.eq(
            f,
            "crypto scramble",
            feature(id.sanitize.crypto_scramble, true),
            hd_feature(&hd, "CRYPTO_SCRAMBLE_EXT command"),
        );
        c.eq(
            f,
            "overwrite",
            feature(id.sanitize.overwrite, true),
            hd_feature(&hd, "OVERWRITE_EXT command"),
        );
        c.eq(
            f,
            "block erase",
            feature(id.sanitize.block_erase, true),
            hd_feature(&hd, "BLOCK_ERASE_EXT command"),
        );
        // Security block: hdparm prints it when word 128 says the set is supported.
        let s = &id.security;
        if s.supported {
            c.eq(
                f,
                "security.supported",
                Some(true),
                hd_security(&hd, "supported"),
            );
            c.eq(
                f,
                "security.enabled",
                Some(s.enabled),
                hd_security(&hd, "enabled"),
            );
            c.eq(
                f,
                "security.locked",
                Some(s.locked),
                hd_security(&hd, "locked"),
            );
            c.eq(
                f,
                "security.frozen",
                Some(s.frozen),
                hd_security(&hd, "frozen"),
            );
            c.eq(
                f,
                "security.count_expired",
                Some(s.count_expired),
                hd_security(&hd, "expired: security count"),
            );
            c.eq(
                f,
                "security.enhanced_erase",
                Some(s.enhanced_erase_supported),
                hd_security(&hd, "supported: enhanced erase"),
            );
            let level = s
                .enabled
                .then_some(if s.level_maximum { "maximum" } else { "high" });
            c.eq(f, "security.level", level, hd_value(&hd, "Security level "));
            let times: Vec<String> = [
                erase_text(s.erase_time, "SECURITY ERASE UNIT"),
                erase_text(s.enhanced_erase_time, "ENHANCED SECURITY ERASE UNIT"),
            ]
            .into_iter()
            .flatten()
            .collect();
            let hd_times = hd
                .lines()
                .find(|l| l.contains("for SECURITY ERASE UNIT"))
                .map(|l| l.trim().to_string());
            c.eq(
                f,
                "security.erase_times",
                (!times.is_empty()).then(|| times.join(" ")),
                hd_times,
            );
            c.eq(
                f,
                "security.master_password_revision",
                s.master_password_revision.map(|v| v.to_string()),
                hd_value(&hd, "Master password revision code =").map(str::to_string),
            );
        } else {
            c.eq(f, "security block", false, hd.contains("Security:"));
        }
        c.eq(
            f,
            "wwn",
            id.wwn.clone(),
            hd_value(&hd, "Logical Unit WWN Device Identifier:").map(str::to_string),
        );
        let majors: Vec<String> = id.major_versions.iter().map(|v| v.to_string()).collect();
        let hd_majors = hd_value(&hd, "Supported:").map(str::to_string);
        c.eq(
            f,
            "major_versions",
            (!majors.is_empty()).then(|| majors.join(" ")),
            hd_majors,
        );
        let checksum = match id.integrity {
            Integrity::Valid => "correct",
            Integrity::Invalid { .. } => "incorrect",
            Integrity::Absent => "not supported",
        };
        c.eq(f, "integrity", Some(checksum), hd_value(&hd, "Checksum:"));
        // skdump prints model, serial and firmware of every blob, IDENTIFY-only ones included.
        let sk = text(&stem, "skdump.txt");
        c.eq(
            f,
            "skdump model",
            Some(format!("[{}]", id.model)),
            sk.lines()
                .find_map(|l| l.strip_prefix("Model: "))
                .map(str::to_string),
        );
        c.eq(
            f,
            "skdump serial",
            Some(format!("[{}]", id.serial)),
            sk.lines()
                .find_map(|l| l.strip_prefix("Serial: "))
                .map(str::to_string),
        );
        c.eq(
            f,
            "skdump firmware",
            Some(format!("[{}]", id.firmware)),
            sk.lines()
                .find_map(|l| l.strip_prefix("Firmware: "))
                .map(str::to_string),
        );
    }
    c.done(22 * 30);
}

#[test]
fn identify_capacity_agrees_with_smartctl() {
    let mut c = Check::default();
    for stem in stems() {
        let id = ata::parse_identify(&read(&stem, "identify.bin").unwrap()).unwrap();
        let j: serde_json::Value =
            serde_json::from_slice(&read(&stem, "smartctl.json").unwrap()).unwrap();
        let f = stem.as_str();
        c.eq(
            f,
            "model",
            j["model_name"].as_str(),
            Some(id.model.as_str()),
        );
        c.eq(
            f,
            "serial",
            j["serial_number"].as_str(),
            Some(id.serial.as_str()),
        );
        c.eq(
            f,
            "firmware",
            j["firmware_version"].as_str(),
            Some(id.firmware.as_str()),
        );
        c.eq(
            f,
            "capacity_sectors",
            j["user_capacity"]["blocks"].as_u64(),
            Some(id.capacity_sectors),
        );
        c.eq(
            f,
            "capacity_bytes",
            j["user_capacity"]["bytes"].as_u64(),
            Some(id.capacity_bytes),
        );
        c.eq(
            f,
            "logical_sector_size",
            j["logical_block_size"].as_u64(),
            Some(id.logical_sector_size.into()),
        );
        if let Some(p) = j["physical_block_size"].as_u64() {
            c.eq(f, "physical_sector_size", p, id.physical_sector_size.into());
        }
        let rpm = match id.rotation_rate {
            RotationRate::NonRotating => Some(0),
            RotationRate::Rpm { rpm } => Some(u64::from(rpm)),
            _ => None,
        };
        c.eq(f, "rotation_rate", j["rotation_rate"].as_u64(), rpm);
        if let Some(t) = j.get("trim") {
            c.eq(
                f,
                "trim.supported",
                t["supported"].as_bool(),
                Some(id.trim_supported),
            );
        }
        if let Some(w) = j.get("wwn") {
            let wwn = format!(
                "{:x}{:06x}{:09x}",
                w["naa"].as_u64().unwrap(),
                w["oui"].as_u64().unwrap(),
                w["id"].as_u64().unwrap()
            );
            c.eq(f, "wwn", Some(wwn), id.wwn.clone());
        }
        c.eq(
            f,
            "smart available",
            j["smart_support"]["available"].as_bool(),
            Some(id.smart_supported),
        );
        c.eq(
            f,
            "smart enabled",
            j["smart_support"]["enabled"].as_bool(),
            Some(id.smart_enabled),
        );
        c.eq(
            f,
            "ata_version.major_value",
            j["ata_version"]["major_value"].as_u64(),
            Some(u64::from(id.words[80])),
        );
        c.eq(
            f,
            "ata_version.minor_value",
            j["ata_version"]["minor_value"].as_u64(),
            Some(u64::from(id.minor_version)),
        );
        if let Some(ff) = j.get("form_factor") {
            c.eq(
                f,
                "form_factor",
                ff["ata_value"].as_u64(),
                Some(u64::from(id.form_factor.value)),
            );
            // smartctl says "2.5 inches" where hdparm and we say "2.5 inch": wording only.
            let ours = id.form_factor.name.map(|n| n.replace(" inch", " inches"));
            c.eq(
                f,
                "form_factor name",
                ff["name"].as_str().map(str::to_string),
                ours,
            );
        }
    }
    c.done(22 * 12);
}

#[test]
fn identify_errors_name_the_offset() {
    let e = ata::parse_identify(&[0u8; 100]).unwrap_err().to_string();
    assert!(e.contains("offset 0x64"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn identify_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = ata::parse_identify(&bytes);
    }

    #[test]
    fn identify_never_panics_on_full_random_sectors(bytes in proptest::collection::vec(any::<u8>(), 512)) {
        if let Ok(id) = ata::parse_identify(&bytes) {
            prop_assert!(id.logical_sector_size >= 512);
        }
    }

    #[test]
    fn identify_bit_flips_of_real_sectors(which in 0usize..22, flips in proptest::collection::vec((0usize..512, 0u8..8), 1..16)) {
        let mut b = read(&stems()[which], "identify.bin").unwrap();
        for (i, bit) in flips { b[i] ^= 1 << bit; }
        match ata::parse_identify(&b) {
            Ok(id) => prop_assert!(id.integrity != Integrity::Valid || b.iter().fold(0u8, |a, x| a.wrapping_add(*x)) == 0),
            Err(e) => prop_assert!(e.to_string().contains("offset")),
        }
    }
}

#[test]
fn identify_every_truncation_is_an_error() {
    for stem in stems() {
        let b = read(&stem, "identify.bin").unwrap();
        for n in 0..b.len() {
            let e = ata::parse_identify(&b[..n]).unwrap_err();
            assert!(
                e.to_string().contains(&format!("offset {n:#x}")),
                "{stem} {n}: {e}"
            );
        }
    }
}
