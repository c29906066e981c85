//! Agreement of `parse::ata` (IDENTIFY DEVICE) with `hdparm -I` (9.65) and of `parse::ata_smart`
//! (SMART READ DATA + READ THRESHOLDS) with `smartctl -j` (7.3) and `skdump` (libatasmart 0.19)
//! over every drive of the corpus; a failure names the file, the field and both values.
//! Plus robustness properties: no panic on any input.

use std::path::PathBuf;

use proptest::prelude::*;
use reprise::parse::ata::{self, EraseTime, Integrity, RotationRate};

use crate::support::oracle;
use oracle::Check;

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
            // "not" = bit clear; "(?)" is how hdparm marks the first line (supported) when clear.
            (rest == name).then_some(not != "not" && not != "(?)")
        })
}

fn erase_text(t: EraseTime, what: &str) -> Option<String> {
    match t {
        EraseTime::NotReported => None,
        EraseTime::Minutes { minutes } => Some(format!("{minutes}min for {what}.")),
        EraseTime::MoreThan { minutes } => Some(format!("more than {minutes}min for {what}.")),
    }
}

#[test]
fn identify_agrees_with_hdparm_on_every_drive() {
    let mut c = Check::default();
    for stem in stems() {
        let bin = read(&stem, "identify.bin").unwrap();
        let hd = text(&stem, "hdparm-I.txt");
        let id = compare_with_hdparm(&mut c, &stem, &bin, &hd, false);
        let f = stem.as_str();
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

/// The same over random sectors no drive produced, made by
/// `fuzz/differential/gen_identify.py` (200 sectors, seed 20261201) and decoded by this
/// machine's `hdparm --Istdin`. A directory made outside can be given instead:
/// `REPRISE_ATA_DIFF_DIR=DIR` (see fuzz/differential/README.md).
#[test]
#[ignore = "needs python3 and hdparm (scripts/deps installs them)"]
fn identify_agrees_with_hdparm_on_random_sectors() {
    let (_generated, dir) =
        oracle::random_inputs("REPRISE_ATA_DIFF_DIR", "gen_identify.py", |dir, name| {
            let Some(stem) = name.strip_suffix(".words.txt") else {
                return;
            };
            let words = std::fs::File::open(dir.join(name)).unwrap();
            let out = std::process::Command::new("hdparm")
                .arg("--Istdin")
                .stdin(words)
                .output()
                .expect("hdparm (scripts/deps installs it)");
            std::fs::write(dir.join(format!("{stem}.hdparm-I.txt")), out.stdout).unwrap();
        });
    let mut c = Check::default();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".identify.bin") else {
            continue;
        };
        let bin = std::fs::read(dir.join(&name)).unwrap();
        let hd = String::from_utf8_lossy(
            &std::fs::read(dir.join(format!("{stem}.hdparm-I.txt"))).unwrap(),
        )
        .into_owned();
        compare_with_hdparm(&mut c, stem, &bin, &hd, true);
        n += 1;
    }
    assert!(n >= 100, "{n} sectors in {}", dir.display());
    eprintln!("{n} sectors, {} fields compared", c.compared);
    c.done(n * 10);
}

/// Compares one IDENTIFY sector with the text of `hdparm -I`, field by field. `random`: the
/// sector is random data (fuzz/differential), so a field hdparm does not print is skipped
/// (hdparm hides fields by its own guesses of the standard the drive follows), and where hdparm
/// reads a word the specification says is not valid, the comparison follows the specification.
fn compare_with_hdparm(
    c: &mut Check,
    f: &str,
    bin: &[u8],
    hd: &str,
    random: bool,
) -> ata::AtaIdentify {
    let id = ata::parse_identify(bin).unwrap_or_else(|e| panic!("{f}: {e}"));
    let w = &id.words;
    let valid = |i: usize| ata::valid_word(w[i]);
    // Compares an optional value; in random mode only when hdparm printed it.
    let opt = |c: &mut Check, field: &str, ours: Option<String>, oracle: Option<String>| {
        if !(random && oracle.is_none()) {
            c.eq(f, field, ours, oracle);
        }
    };
    let hv = |key: &str| hd_value(hd, key).map(str::to_string);
    opt(c, "model", Some(id.model.clone()), hv("Model Number:"));
    opt(c, "serial", Some(id.serial.clone()), hv("Serial Number:"));
    opt(
        c,
        "firmware",
        Some(id.firmware.clone()),
        hv("Firmware Revision:"),
    );
    // hdparm calls some word-0 values CompactFlash and then says nothing of removability.
    if !hd.contains("CompactFlash") {
        let removable = if id.removable_media {
            "with removable media"
        } else {
            "with non-removable media"
        };
        c.eq(f, "removable", true, hd.contains(removable));
    }
    if w[49] & (1 << 9) != 0 {
        opt(
            c,
            "lba28_sectors",
            Some(id.lba28_sectors.to_string()),
            hv("LBA    user addressable sectors:"),
        );
    }
    opt(
        c,
        "lba48_sectors",
        id.lba48_sectors.map(|n| n.to_string()),
        hv("LBA48  user addressable sectors:"),
    );
    let sizes = match hd_value(hd, "Logical/Physical Sector size:") {
        Some(both) => (Some(both.to_string()), Some(both.to_string())),
        None => (hv("Logical  Sector size:"), hv("Physical Sector size:")),
    };
    opt(
        c,
        "logical_sector_size",
        Some(format!("{} bytes", id.logical_sector_size)),
        sizes.0,
    );
    opt(
        c,
        "physical_sector_size",
        Some(format!("{} bytes", id.physical_sector_size)),
        sizes.1,
    );
    let rot = match id.rotation_rate {
        RotationRate::NotReported => None,
        RotationRate::NonRotating => Some("Solid State Device".to_string()),
        // hdparm prints rates above 0401h only; ACS-3 §7.12.7.84 makes 0401h a rate too.
        RotationRate::Rpm { rpm: 0x401 } => None,
        RotationRate::Rpm { rpm } => Some(rpm.to_string()),
        // ACS-3 §7.12.7.84: FFFFh is reserved; hdparm prints it as 65535 rpm. We say reserved.
        RotationRate::Reserved { raw: 0xFFFF } => Some("65535".to_string()),
        RotationRate::Reserved { .. } => None,
    };
    opt(c, "rotation_rate", rot, hv("Nominal Media Rotation Rate:"));
    // ACS-3 §7.12.7.66: word 168 bits 15:4 are reserved and bits 3:0 the form factor; hdparm
    // shows nothing when a reserved bit is set. We decode bits 3:0 regardless.
    if w[168] & 0xFFF0 == 0 && w[168] & 0x8 == 0 {
        let ff = match (id.form_factor.value, id.form_factor.name) {
            (0, _) => None,
            // ACS-4 §9.10.5.6 defines 6 = mSATA, 7 = M.2, 8 = MicroSSD, 9 = CFast; hdparm
            // 9.65 knows only 1-5 and prints "unknown (0x0007]". We follow ACS-4.
            (v @ 6..=9, Some(_)) => Some(format!("unknown (0x{v:04x}]")),
            (_, Some(n)) => Some(n.to_string()),
            (v, None) => Some(format!("unknown (0x{v:04x}]")),
        };
        opt(c, "form_factor", ff, hv("Form Factor:"));
    }
    // Feature lines: "*" marks enabled. ACS-3 §7.12.7.41: words 85-87 hold valid data only when
    // word 87 bits 15:14 are 01b; hdparm reads word 85 regardless, so the enabled mark is
    // compared only when word 87 is valid.
    let v87 = valid(87);
    let feature = |c: &mut Check, field: &str, sup: bool, en: bool, name: &str| {
        let ours = sup.then_some(en);
        let theirs = hd_feature(hd, name);
        if random && theirs.is_none() {
            return;
        }
        if v87 {
            c.eq(f, field, ours, theirs);
        } else {
            c.eq(f, field, ours.is_some(), theirs.is_some());
        }
    };
    feature(
        c,
        "smart",
        id.smart_supported,
        id.smart_enabled,
        "SMART feature set",
    );
    // hdparm lists word 84 only when word 87 is valid too; ACS-3 needs only word 84 valid.
    if !random || v87 {
        feature(
            c,
            "smart_error_log",
            id.smart_error_log_supported,
            // The "enabled" copies of word 84 bits 0-1 are word 87 bits 0-1.
            w[87] & 1 != 0,
            "SMART error logging",
        );
        feature(
            c,
            "smart_self_test",
            id.smart_self_test_supported,
            w[87] & 2 != 0,
            "SMART self-test",
        );
    }
    feature(
        c,
        "hpa",
        id.hpa_supported,
        id.hpa_enabled,
        "Host Protected Area feature set",
    );
    let dco_enabled = id.command_sets[4] & (1 << 11) != 0;
    feature(
        c,
        "dco",
        id.dco_supported,
        dco_enabled,
        "Device Configuration Overlay feature set",
    );
    feature(
        c,
        "write_cache",
        id.write_cache_supported,
        id.write_cache_enabled,
        "Write cache",
    );
    feature(
        c,
        "lba48",
        id.lba48_supported,
        id.command_sets[4] & (1 << 10) != 0,
        "48-bit Address feature set",
    );
    // Word 82 bit 1 (the command set word) as hdparm lists it.
    let w82_security = valid(83) && w[82] & 2 != 0;
    let w85_security = w[85] & 2 != 0;
    feature(
        c,
        "security feature",
        w82_security,
        w85_security,
        "Security Mode feature set",
    );
    // hdparm shows TRIM only for drives it takes for ATA-7 or later, and not when word 169 is
    // FFFFh; in random mode it is compared only when shown.
    feature(
        c,
        "trim",
        id.trim_supported && w[169] != 0xFFFF,
        true,
        "Data Set Management TRIM supported",
    );
    if id.trim_supported && w[169] != 0xFFFF {
        feature(
            c,
            "trim zeroes",
            id.trim_deterministic && id.trim_zeroes,
            true,
            "Deterministic read ZEROs after TRIM",
        );
        feature(
            c,
            "trim deterministic data",
            id.trim_deterministic && !id.trim_zeroes,
            true,
            "Deterministic read data after TRIM",
        );
    }
    // hdparm lists the word 59 sanitize bits only inside the command set list (word 83 valid).
    if valid(83) {
        feature(
            c,
            "sanitize",
            id.sanitize.supported,
            true,
            "SANITIZE feature set",
        );
        if id.sanitize.supported {
            feature(
                c,
                "crypto scramble",
                id.sanitize.crypto_scramble,
                true,
                "CRYPTO_SCRAMBLE_EXT command",
            );
            feature(
                c,
                "overwrite",
                id.sanitize.overwrite,
                true,
                "OVERWRITE_EXT command",
            );
            feature(
                c,
                "block erase",
                id.sanitize.block_erase,
                true,
                "BLOCK_ERASE_EXT command",
            );
        }
    }
    // The security block: hdparm prints it when word 82 bit 1 is set and word 128, 89 or 90
    // is not zero; the status lines are the bits of word 128.
    let s = &id.security;
    let shown = w[82] & 2 != 0 && (w[128] != 0 || w[89] != 0 || w[90] != 0);
    if shown && hd.contains("Security:") {
        if w[128] != 0 {
            c.eq(
                f,
                "security.supported",
                Some(s.supported),
                hd_security(hd, "supported"),
            );
            c.eq(
                f,
                "security.enabled",
                Some(s.enabled),
                hd_security(hd, "enabled"),
            );
            c.eq(
                f,
                "security.locked",
                Some(s.locked),
                hd_security(hd, "locked"),
            );
            c.eq(
                f,
                "security.frozen",
                Some(s.frozen),
                hd_security(hd, "frozen"),
            );
            c.eq(
                f,
                "security.count_expired",
                Some(s.count_expired),
                hd_security(hd, "expired: security count"),
            );
            c.eq(
                f,
                "security.enhanced_erase",
                Some(s.enhanced_erase_supported),
                hd_security(hd, "supported: enhanced erase"),
            );
            let level = s
                .enabled
                .then_some(if s.level_maximum { "maximum" } else { "high" });
            c.eq(f, "security.level", level, hd_value(hd, "Security level "));
        }
        let times: Vec<String> = [
            erase_text(s.erase_time, "SECURITY ERASE UNIT"),
            erase_text(s.enhanced_erase_time, "ENHANCED SECURITY ERASE UNIT"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let hd_times = hd
            .lines()
            .find(|l| {
                l.contains("for SECURITY ERASE UNIT")
                    || l.contains("for ENHANCED SECURITY ERASE UNIT")
            })
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
            hv("Master password revision code ="),
        );
    } else if !random {
        c.eq(f, "security block", false, hd.contains("Security:"));
    }
    // ACS-3 §7.12.7.40: the WWN bit of word 84 counts only when word 84 is valid; hdparm reads
    // the bit regardless.
    if valid(84) || !random {
        opt(
            c,
            "wwn",
            id.wwn.clone(),
            hv("Logical Unit WWN Device Identifier:"),
        );
    }
    let majors: Vec<String> = id.major_versions.iter().map(|v| v.to_string()).collect();
    // hdparm may add "& some of N" for obsolete bits; we leave them out (see `major_versions`).
    let hd_majors = hv("Supported:")
        .map(|v| v.split('&').next().unwrap_or_default().trim().to_string())
        .filter(|v| !v.is_empty());
    opt(
        c,
        "major_versions",
        (!majors.is_empty()).then(|| majors.join(" ")),
        hd_majors,
    );
    let checksum = match id.integrity {
        Integrity::Valid => Some("correct".to_string()),
        Integrity::Invalid { .. } => Some("incorrect".to_string()),
        Integrity::Absent => None,
    };
    let hd_checksum =
        hv("Checksum:").map(|v| v.split_whitespace().next().unwrap_or_default().to_string());
    opt(c, "integrity", checksum, hd_checksum);
    id
}

#[test]
fn identify_capacity_agrees_with_smartctl() {
    let mut c = Check::default();
    for stem in stems() {
        let id = ata::parse_identify(&read(&stem, "identify.bin").unwrap()).unwrap();
        let j: serde_json::Value =
            serde_json::from_slice(&read(&stem, "smartctl.json").unwrap()).unwrap();
        let f = stem.as_str();
        c.eqo(
            f,
            "model",
            j["model_name"].as_str(),
            Some(id.model.as_str()),
        );
        c.eqo(
            f,
            "serial",
            j["serial_number"].as_str(),
            Some(id.serial.as_str()),
        );
        c.eqo(
            f,
            "firmware",
            j["firmware_version"].as_str(),
            Some(id.firmware.as_str()),
        );
        c.eqo(
            f,
            "capacity_sectors",
            j["user_capacity"]["blocks"].as_u64(),
            Some(id.capacity_sectors),
        );
        c.eqo(
            f,
            "capacity_bytes",
            j["user_capacity"]["bytes"].as_u64(),
            Some(id.capacity_bytes),
        );
        c.eqo(
            f,
            "logical_sector_size",
            j["logical_block_size"].as_u64(),
            Some(id.logical_sector_size.into()),
        );
        if let Some(p) = j["physical_block_size"].as_u64() {
            c.eqo(f, "physical_sector_size", p, id.physical_sector_size.into());
        }
        let rpm = match id.rotation_rate {
            RotationRate::NonRotating => Some(0),
            RotationRate::Rpm { rpm } => Some(u64::from(rpm)),
            _ => None,
        };
        c.eqo(f, "rotation_rate", j["rotation_rate"].as_u64(), rpm);
        if let Some(t) = j.get("trim") {
            c.eqo(
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
            c.eqo(f, "wwn", Some(wwn), id.wwn.clone());
        }
        c.eqo(
            f,
            "smart available",
            j["smart_support"]["available"].as_bool(),
            Some(id.smart_supported),
        );
        c.eqo(
            f,
            "smart enabled",
            j["smart_support"]["enabled"].as_bool(),
            Some(id.smart_enabled),
        );
        c.eqo(
            f,
            "ata_version.major_value",
            j["ata_version"]["major_value"].as_u64(),
            Some(u64::from(id.words[80])),
        );
        c.eqo(
            f,
            "ata_version.minor_value",
            j["ata_version"]["minor_value"].as_u64(),
            Some(u64::from(id.minor_version)),
        );
        if let Some(ff) = j.get("form_factor") {
            c.eqo(
                f,
                "form_factor",
                ff["ata_value"].as_u64(),
                Some(u64::from(id.form_factor.value)),
            );
            // smartctl says "2.5 inches" where hdparm and we say "2.5 inch": wording only.
            let ours = id.form_factor.name.map(|n| n.replace(" inch", " inches"));
            c.eqo(
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
        if let Ok(id) = ata::parse_identify(&bytes)
            && id.sector_sizes_plausible
        {
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

// ---- SMART data vs smartctl -j and skdump ---------------------------------------------------

use reprise::parse::ata_smart::{
    self, AttributeState, MediaHint, OfflineState, RawValue, SelfTestState,
};

/// smartctl 7.3 applies its drive database on top of the defaults: these (drive, attribute)
/// pairs are named or shown differently by the database entry of the drive's family, which a
/// decoder without the database cannot know. Each is listed with smartctl's name and raw
/// string; the raw 48-bit value, the normalized values, the flags and the state are still
/// compared for them.
const DRIVEDB_OVERRIDES: &[(&str, u8, &str, &str)] = &[
    // "Fujitsu MHY BH": -v 240,raw48,Transfer_Error_Rate
    (
        "FUJITSU_MHY2120BH--0084000D",
        240,
        "Transfer_Error_Rate",
        "0",
    ),
    // "Intel 320 Series SSDs": vendor names for 170-172, 192, 225-228, 241-242.
    (
        "INTEL_SSDSA2CW120G3--4PC10302",
        170,
        "Reserve_Block_Count",
        "0",
    ),
    (
        "INTEL_SSDSA2CW120G3--4PC10302",
        171,
        "Program_Fail_Count",
        "0",
    ),
    (
        "INTEL_SSDSA2CW120G3--4PC10302",
        172,
        "Erase_Fail_Count",
        "0",
    ),
    (
        "INTEL_SSDSA2CW120G3--4PC10302",
        192,
        "Unsafe_Shutdown_Count",
        "2",
    ),
    (
        "INTEL_SSDSA2CW120G3--4PC10302",
        225,
        "Host_Writes_32MiB",
        "@",
    ),
    (
        "INTEL_SSDSA2CW120G3--4PC10302",
        226,
        "Workld_Media_Wear_Indic",
        "65535",
    ),
    (
        "INTEL_SSDSA2CW120G3--4PC10302",
        227,
        "Workld_Host_Reads_Perc",
        "65535",
    ),
    (
        "INTEL_SSDSA2CW120G3--4PC10302",
        228,
        "Workload_Minutes",
        "65535",
    ),
    (
        "INTEL_SSDSA2CW120G3--4PC10302",
        241,
        "Host_Writes_32MiB",
        "@",
    ),
    (
        "INTEL_SSDSA2CW120G3--4PC10302",
        242,
        "Host_Reads_32MiB",
        "4634",
    ),
    // "Intel X18-M/X25-M G1 SSDs".
    (
        "INTEL_SSDSA2MH080G1GC--045C8820",
        192,
        "Unsafe_Shutdown_Count",
        "@",
    ),
    (
        "INTEL_SSDSA2MH080G1GC--045C8820",
        225,
        "Host_Writes_32MiB",
        "@",
    ),
    (
        "INTEL_SSDSA2MH080G1GC--045C8820",
        226,
        "Intel_Internal",
        "@",
    ),
    (
        "INTEL_SSDSA2MH080G1GC--045C8820",
        227,
        "Intel_Internal",
        "@",
    ),
    (
        "INTEL_SSDSA2MH080G1GC--045C8820",
        228,
        "Intel_Internal",
        "@",
    ),
    // "Maxtor DiamondMax 60 ATA 100": -v 9,minutes
    (
        "Maxtor_96147H8--BAC51KJ0",
        9,
        "Power_On_Minutes",
        "2016h+57m",
    ),
    (
        "Maxtor_96147H8--BAC51KJ0--2",
        9,
        "Power_On_Minutes",
        "2262h+44m",
    ),
    // "SAMSUNG SpinPoint T166": -v 197,raw48,Total_Pending_Sectors
    (
        "SAMSUNG_HD501LJ--CR100-12",
        197,
        "Total_Pending_Sectors",
        "@",
    ),
    // "SAMSUNG SpinPoint M": -v 9,halfminutes
    (
        "SAMSUNG_MP0804H--UE100-14",
        9,
        "Power_On_Half_Minutes",
        "4645h+14m",
    ),
    // "Toshiba 2.5\" HDD MK..51GSY": -v 9,minutes
    (
        "TOSHIBA_MK1651GSY--38IGT0G5T",
        9,
        "Power_On_Minutes",
        "6310h+45m",
    ),
];

fn media_of(id: &ata::AtaIdentify) -> MediaHint {
    match id.rotation_rate {
        RotationRate::NonRotating => MediaHint::Ssd,
        RotationRate::Rpm { .. } => MediaHint::Hdd,
        _ => MediaHint::Unknown,
    }
}

/// Our interpretation written the way smartctl prints its raw string.
fn smartctl_raw_string(v: &RawValue) -> String {
    match v {
        RawValue::Number { value } => value.to_string(),
        RawValue::Words {
            value,
            high: [0, 0],
        } => value.to_string(),
        RawValue::Words { value, high } => format!("{value} ({} {})", high[0], high[1]),
        RawValue::WithAverage { value, average: 0 } => value.to_string(),
        RawValue::WithAverage { value, average } => format!("{value} (Average {average})"),
        RawValue::Hours {
            value,
            high: [0, 0, 0],
        } => value.to_string(),
        RawValue::Hours { value, high } => format!("{value} ({} {} {})", high[0], high[1], high[2]),
        RawValue::Temperature {
            celsius, min: None, ..
        } => celsius.to_string(),
        RawValue::Temperature {
            celsius,
            min: Some(lo),
            max: Some(hi),
            over_limit_count: None,
        } => {
            format!("{celsius} (Min/Max {lo}/{hi})")
        }
        RawValue::Temperature {
            celsius,
            min: Some(lo),
            max: Some(hi),
            over_limit_count: Some(n),
        } => {
            format!("{celsius} (Min/Max {lo}/{hi} #{n})")
        }
        RawValue::Temperature { celsius, .. } => celsius.to_string(),
        RawValue::TemperatureUnparsed { celsius, bytes } => format!(
            "{} ({} {} {} {} {})",
            *celsius as u8, bytes[0], bytes[1], bytes[2], bytes[3], bytes[4]
        ),
    }
}

fn offline_string(s: OfflineState) -> String {
    match s {
        OfflineState::NeverStarted => "was never started".into(),
        OfflineState::CompletedWithoutError => "was completed without error".into(),
        OfflineState::InProgress => "is in progress".into(),
        OfflineState::SuspendedByHost => {
            "was suspended by an interrupting command from host".into()
        }
        OfflineState::AbortedByHost => "was aborted by an interrupting command from host".into(),
        OfflineState::AbortedByDevice => "was aborted by the device with a fatal error".into(),
        OfflineState::Reserved(_) => "is in a Reserved state".into(),
        OfflineState::VendorSpecific(_) => "is in a Vendor Specific state".into(),
    }
}

fn self_test_string(s: SelfTestState, remaining: u8) -> String {
    match s {
        SelfTestState::CompletedWithoutError => "completed without error".into(),
        SelfTestState::AbortedByHost => "was aborted by the host".into(),
        SelfTestState::InterruptedByReset => "was interrupted by the host with a reset".into(),
        SelfTestState::FatalError => "could not complete due to a fatal or unknown error".into(),
        SelfTestState::FailedUnknownElement => "completed with error (unknown test element)".into(),
        SelfTestState::FailedElectrical => "completed with error (electrical test element)".into(),
        SelfTestState::FailedServo => "completed with error (servo/seek test element)".into(),
        SelfTestState::FailedRead => "completed with error (read test element)".into(),
        SelfTestState::FailedHandlingDamage => "completed with error (handling damage?)".into(),
        SelfTestState::InProgress => format!("in progress, {remaining}% remaining"),
        SelfTestState::Reserved(v) => format!("unknown status ({v:#x})"),
    }
}

#[test]
fn smart_agrees_with_smartctl_on_every_drive() {
    let mut c = Check::default();
    let mut drives = 0;
    for stem in stems() {
        let Some(data) = read(&stem, "smart-data.bin") else {
            continue;
        };
        drives += 1;
        let thr = read(&stem, "smart-thresholds.bin").unwrap();
        let id = ata::parse_identify(&read(&stem, "identify.bin").unwrap()).unwrap();
        let s = ata_smart::parse_smart(&data, Some(&thr), media_of(&id)).unwrap();
        let j: serde_json::Value =
            serde_json::from_slice(&read(&stem, "smartctl.json").unwrap()).unwrap();
        let f = stem.as_str();
        let table = j["ata_smart_attributes"]["table"].as_array().unwrap();
        c.eqo(
            f,
            "revision",
            j["ata_smart_attributes"]["revision"].as_u64(),
            Some(u64::from(s.revision)),
        );
        c.eqo(f, "attribute count", table.len(), s.attributes.len());
        for (a, o) in s.attributes.iter().zip(table) {
            let at = format!("attribute {}", a.id);
            c.eqo(
                f,
                &format!("{at} id"),
                o["id"].as_u64(),
                Some(u64::from(a.id)),
            );
            c.eqo(
                f,
                &format!("{at} value"),
                o["value"].as_u64(),
                Some(u64::from(a.value)),
            );
            c.eqo(
                f,
                &format!("{at} worst"),
                o["worst"].as_u64(),
                Some(u64::from(a.worst)),
            );
            c.eqo(
                f,
                &format!("{at} thresh"),
                o["thresh"].as_u64(),
                a.threshold.map(u64::from),
            );
            c.eqo(
                f,
                &format!("{at} flags"),
                o["flags"]["value"].as_u64(),
                Some(u64::from(a.flags.raw)),
            );
            c.eqo(
                f,
                &format!("{at} prefailure"),
                o["flags"]["prefailure"].as_bool(),
                Some(a.flags.prefailure),
            );
            c.eqo(
                f,
                &format!("{at} updated_online"),
                o["flags"]["updated_online"].as_bool(),
                Some(a.flags.online),
            );
            c.eqo(
                f,
                &format!("{at} performance"),
                o["flags"]["performance"].as_bool(),
                Some(a.flags.performance),
            );
            c.eqo(
                f,
                &format!("{at} error_rate"),
                o["flags"]["error_rate"].as_bool(),
                Some(a.flags.error_rate),
            );
            c.eqo(
                f,
                &format!("{at} event_count"),
                o["flags"]["event_count"].as_bool(),
                Some(a.flags.event_count),
            );
            c.eqo(
                f,
                &format!("{at} auto_keep"),
                o["flags"]["auto_keep"].as_bool(),
                Some(a.flags.auto_keep),
            );
            c.eqo(
                f,
                &format!("{at} raw.value"),
                o["raw"]["value"].as_u64(),
                Some(a.raw),
            );
            let when = match a.state {
                // smartctl -j writes "now" / "past" (its text output: FAILING_NOW / In_the_past).
                AttributeState::FailingNow => "now",
                AttributeState::FailedInPast => "past",
                _ => "",
            };
            c.eqo(
                f,
                &format!("{at} when_failed"),
                o["when_failed"].as_str(),
                Some(when),
            );
            let (name, raw_string) = match DRIVEDB_OVERRIDES
                .iter()
                .find(|(d, i, _, _)| *d == f && *i == a.id)
            {
                // "@": the database renames only; the raw string is the default one.
                Some((_, _, n, "@")) => (n.to_string(), smartctl_raw_string(&a.interpreted)),
                Some((_, _, n, r)) => (n.to_string(), r.to_string()),
                None => (a.name.to_string(), smartctl_raw_string(&a.interpreted)),
            };
            c.eqo(
                f,
                &format!("{at} name"),
                o["name"].as_str().map(str::to_string),
                Some(name),
            );
            c.eqo(
                f,
                &format!("{at} raw.string"),
                o["raw"]["string"].as_str().map(str::to_string),
                Some(raw_string),
            );
        }
        let d = &j["ata_smart_data"];
        c.eqo(
            f,
            "offline status value",
            d["offline_data_collection"]["status"]["value"].as_u64(),
            Some(u64::from(s.offline_status.raw)),
        );
        c.eqo(
            f,
            "offline status string",
            d["offline_data_collection"]["status"]["string"]
                .as_str()
                .map(str::to_string),
            Some(offline_string(s.offline_status.state)),
        );
        c.eqo(
            f,
            "offline completion_seconds",
            d["offline_data_collection"]["completion_seconds"].as_u64(),
            Some(u64::from(s.offline_completion_seconds)),
        );
        let st = &d["self_test"];
        c.eqo(
            f,
            "self-test status value",
            st["status"]["value"].as_u64(),
            Some(u64::from(s.self_test_status.raw)),
        );
        c.eqo(
            f,
            "self-test status string",
            st["status"]["string"].as_str().map(str::to_string),
            Some(self_test_string(
                s.self_test_status.state,
                s.self_test_status.remaining_percent,
            )),
        );
        let remaining = (s.self_test_status.state == SelfTestState::InProgress)
            .then_some(u64::from(s.self_test_status.remaining_percent));
        c.eqo(
            f,
            "self-test remaining_percent",
            st["status"]["remaining_percent"].as_u64(),
            remaining,
        );
        c.eqo(
            f,
            "polling short",
            st["polling_minutes"]["short"].as_u64(),
            Some(u64::from(s.polling_minutes.short)),
        );
        c.eqo(
            f,
            "polling extended",
            st["polling_minutes"]["extended"].as_u64(),
            Some(u64::from(s.polling_minutes.extended)),
        );
        c.eqo(
            f,
            "polling conveyance",
            st["polling_minutes"]["conveyance"].as_u64(),
            s.polling_minutes.conveyance.map(u64::from),
        );
        let cap = &d["capabilities"];
        c.eqo(
            f,
            "capabilities values",
            cap["values"].clone(),
            serde_json::json!([s.capabilities.offline_raw, s.capabilities.smart_raw]),
        );
        c.eqo(
            f,
            "exec_offline_immediate",
            cap["exec_offline_immediate_supported"].as_bool(),
            Some(s.capabilities.exec_offline_immediate),
        );
        c.eqo(
            f,
            "offline_is_aborted_upon_new_cmd",
            cap["offline_is_aborted_upon_new_cmd"].as_bool(),
            Some(s.capabilities.offline_aborted_on_new_command),
        );
        c.eqo(
            f,
            "offline_surface_scan",
            cap["offline_surface_scan_supported"].as_bool(),
            Some(s.capabilities.offline_surface_scan),
        );
        c.eqo(
            f,
            "self_tests",
            cap["self_tests_supported"].as_bool(),
            Some(s.capabilities.self_tests),
        );
        c.eqo(
            f,
            "conveyance",
            cap["conveyance_self_test_supported"].as_bool(),
            Some(s.capabilities.conveyance_self_test),
        );
        c.eqo(
            f,
            "selective",
            cap["selective_self_test_supported"].as_bool(),
            Some(s.capabilities.selective_self_test),
        );
        c.eqo(
            f,
            "attribute_autosave",
            cap["attribute_autosave_enabled"].as_bool(),
            Some(s.capabilities.attribute_autosave),
        );
        c.eqo(
            f,
            "error_logging",
            cap["error_logging_supported"].as_bool(),
            Some(s.capabilities.error_logging),
        );
        // smartctl's overall verdict is SMART RETURN STATUS when the drive answers it, and falls
        // back to the attribute check (ours) when it does not (WDC_WD2500JB: no status in the
        // blob). Both agree on every drive here: Maxtor--2 reports FAILING and has a pre-fail
        // attribute at its threshold.
        c.eqo(
            f,
            "smart_status.passed",
            j["smart_status"]["passed"].as_bool(),
            Some(s.health.passed),
        );
        // smartctl exit status: bit 4 = a pre-fail attribute at or below threshold now; bit 5 =
        // an attribute at or below threshold in the past, or an old-age one now (bit 3 is the
        // drive's own SMART RETURN STATUS, compared above through smart_status.passed).
        let exit = match f {
            "ST320410A--3.39"
            | "ST9100821AS--3.CME"
            | "ST9160821AS--3.CLH"
            | "WDC_WD2500JS-75NCB3--10.02E04" => 32,
            "Maxtor_96147H8--BAC51KJ0--2" => 24,
            "WDC_WD2500JB--00REA0-20.00K20" => 36,
            _ => 0,
        };
        let h = &s.health;
        c.eqo(
            f,
            "exit bit 4 (pre-fail failing now)",
            exit & 16 != 0,
            !h.failing_prefail.is_empty(),
        );
        c.eqo(
            f,
            "exit bit 5 (failed in the past or old-age now)",
            exit & 32 != 0,
            !h.failed_in_past.is_empty() || !h.failing_old_age.is_empty(),
        );
        c.eqo(f, "data checksum", true, s.data_checksum_valid);
        c.eqo(
            f,
            "thresholds checksum",
            Some(true),
            s.thresholds_checksum_valid,
        );
    }
    assert_eq!(drives, 19);
    c.done(19 * 200);
}

/// skdump prints the raw bytes of every attribute as hex in memory order, and value, worst,
/// threshold and pre-fail/online flags: compared for every attribute of every blob.
#[test]
fn smart_agrees_with_skdump_on_every_drive() {
    let mut c = Check::default();
    for stem in stems() {
        let Some(data) = read(&stem, "smart-data.bin") else {
            continue;
        };
        let thr = read(&stem, "smart-thresholds.bin").unwrap();
        let s = ata_smart::parse_smart(&data, Some(&thr), MediaHint::Unknown).unwrap();
        let sk = text(&stem, "skdump.txt")
            .replace("\x1b[1m", "")
            .replace("\x1b[0m", "");
        let rows: Vec<Vec<&str>> = sk
            .lines()
            .skip_while(|l| !l.starts_with("ID#"))
            .skip(1)
            .map(|l| l.split_whitespace().collect())
            .filter(|r: &Vec<&str>| r.len() >= 8)
            .collect();
        let f = stem.as_str();
        c.eqo(f, "attribute count", rows.len(), s.attributes.len());
        for (a, r) in s.attributes.iter().zip(&rows) {
            let at = format!("attribute {}", a.id);
            // Columns: ID name value worst thres pretty... raw type updates good good/past;
            // the pretty column may hold a space ("1.9 days"), so read raw from the end.
            let n = r.len();
            c.eqo(f, &format!("{at} id"), r[0].to_string(), a.id.to_string());
            // libatasmart shows a normalized value outside 1..=253 as "n/a" (SFF-8035i §3.4.2
            // gives normalized values that range; 0, 254 and 255 are not values). We keep the
            // byte as read, as smartctl does.
            let norm = |v: u8| {
                if (1..=0xFD).contains(&v) {
                    v.to_string()
                } else {
                    "n/a".into()
                }
            };
            c.eqo(f, &format!("{at} value"), r[2].to_string(), norm(a.value));
            c.eqo(f, &format!("{at} worst"), r[3].to_string(), norm(a.worst));
            c.eqo(
                f,
                &format!("{at} thresh"),
                r[4].to_string(),
                a.threshold.unwrap().to_string(),
            );
            let raw_bytes = &a.raw.to_le_bytes()[..6];
            c.eqo(
                f,
                &format!("{at} raw"),
                r[n - 5].to_string(),
                format!("0x{}", hex::encode(raw_bytes)),
            );
            c.eqo(
                f,
                &format!("{at} type"),
                r[n - 4],
                if a.flags.prefailure {
                    "prefail"
                } else {
                    "old-age"
                },
            );
            c.eqo(
                f,
                &format!("{at} updates"),
                r[n - 3],
                if a.flags.online { "online" } else { "offline" },
            );
        }
    }
    c.done(19 * 50);
}

#[test]
fn smart_errors_name_the_offset() {
    let e = ata_smart::parse_smart(&[0u8; 300], None, MediaHint::Unknown)
        .unwrap_err()
        .to_string();
    assert!(e.contains("offset 0x12c"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn smart_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600), thr in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = ata_smart::parse_smart(&data, Some(&thr), MediaHint::Unknown);
        let _ = ata_smart::parse_smart(&data, None, MediaHint::Ssd);
    }

    #[test]
    fn self_test_log_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        match ata_smart::parse_self_test_log(&data) {
            Ok(log) => {
                prop_assert_eq!(data.len(), 512);
                prop_assert!(log.entries.len() <= ata_smart::SELF_TEST_LOG_ENTRIES);
                prop_assert!(log.entries.iter().all(|e| e.subcommand != 0));
            }
            Err(e) => prop_assert!(e.to_string().contains("offset"), "{}", e),
        }
    }

    #[test]
    fn self_test_log_full_random_sectors(data in proptest::collection::vec(any::<u8>(), 512)) {
        let log = ata_smart::parse_self_test_log(&data).unwrap();
        // The index names the newest: when valid and that descriptor is used, it comes first.
        let newest = usize::from(data[508]);
        if (1..=21).contains(&newest) && data[2 + 24 * (newest - 1)] != 0 {
            prop_assert_eq!(log.entries[0].subcommand, data[2 + 24 * (newest - 1)]);
        }
    }

    #[test]
    fn smart_full_random_sectors(data in proptest::collection::vec(any::<u8>(), 512), thr in proptest::collection::vec(any::<u8>(), 512)) {
        let s = ata_smart::parse_smart(&data, Some(&thr), MediaHint::Hdd).unwrap();
        prop_assert!(s.attributes.len() <= 30);
        prop_assert_eq!(s.health.passed, s.health.failing_prefail.is_empty());
    }

    #[test]
    fn smart_bit_flips_of_real_sectors(which in 0usize..22, flips in proptest::collection::vec((0usize..1024, 0u8..8), 1..16)) {
        let stem = &stems()[which];
        if let (Some(mut d), Some(mut t)) = (read(stem, "smart-data.bin"), read(stem, "smart-thresholds.bin")) {
            for (i, bit) in flips {
                if i < 512 { d[i] ^= 1 << bit } else { t[i - 512] ^= 1 << bit }
            }
            let s = ata_smart::parse_smart(&d, Some(&t), MediaHint::Unknown).unwrap();
            for a in &s.attributes {
                let _ = smartctl_raw_string(&a.interpreted);
            }
        }
    }
}

#[test]
fn smart_every_truncation_is_an_error() {
    for stem in stems() {
        let Some(d) = read(&stem, "smart-data.bin") else {
            continue;
        };
        for n in 0..d.len() {
            let e = ata_smart::parse_smart(&d[..n], None, MediaHint::Unknown).unwrap_err();
            assert!(
                e.to_string().contains(&format!("offset {n:#x}")),
                "{stem} {n}: {e}"
            );
        }
    }
}
