//! Agreement of `parse::nvme` with nvme-cli 2.3 (`-o json` and text) and smartctl 7.3 (`-j`)
//! over every NVMe structure of the corpus; the Sanitize Status and Device Self-test logs have
//! no oracle in the corpus and are checked against the specification in the unit tests of
//! `parse::nvme` and the properties below. A failure names the file, the field and both values.

use std::path::PathBuf;

use proptest::prelude::*;
use reprise::parse::nvme;
use serde_json::Value;

use crate::support::oracle;
use oracle::Check;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/nvme")
}

fn files(suffix: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name()?.to_string_lossy().into_owned();
            let stem = name.strip_suffix(suffix)?.to_string();
            Some((stem, std::fs::read(&p).unwrap()))
        })
        .collect();
    out.sort();
    out
}

fn json(name: &str) -> Option<Value> {
    let b = std::fs::read(dir().join(name)).ok()?;
    Some(serde_json::from_slice(&b).unwrap())
}

#[test]
fn identify_controller_agrees_with_nvme_cli_and_smartctl() {
    let mut c = Check::default();
    let all = files(".id-ctrl.bin");
    assert_eq!(all.len(), 3);
    for (stem, bin) in all {
        let id = nvme::parse_identify_controller(&bin).unwrap();
        let j = json(&format!("{stem}.id-ctrl.nvme-cli.json")).unwrap();
        let f = stem.as_str();
        let n = |k: &str| j[k].as_u64();
        // nvme-cli prints the field raw; we trim the padding on both sides (the Toshiba pads
        // its serial on the left, against §1.5's left-justified rule), as smartctl does.
        c.eq(
            f,
            "sn",
            Some(id.serial.as_str()),
            j["sn"].as_str().map(str::trim),
        );
        c.eq(
            f,
            "mn",
            Some(id.model.as_str()),
            j["mn"].as_str().map(str::trim_end),
        );
        c.eq(
            f,
            "fr",
            Some(id.firmware.as_str()),
            j["fr"].as_str().map(str::trim_end),
        );
        // nvme-cli leaves subnqn out when the controller reports none.
        if let Some(q) = j["subnqn"].as_str() {
            c.eq(f, "subnqn", id.subnqn.as_str(), q.trim_end());
        } else {
            c.eq(f, "subnqn", id.subnqn.as_str(), "");
        }
        for (k, v) in [
            ("vid", u64::from(id.vid)),
            ("ssvid", u64::from(id.ssvid)),
            ("rab", id.rab.into()),
            ("ieee", id.ieee_oui.into()),
            ("cmic", id.cmic.into()),
            ("mdts", id.mdts.into()),
            ("cntlid", id.cntlid.into()),
            ("ver", id.version.raw.into()),
            ("rtd3r", id.rtd3r.into()),
            ("rtd3e", id.rtd3e.into()),
            ("oaes", id.oaes.into()),
            ("ctratt", id.ctratt.into()),
            ("cntrltype", id.cntrltype.into()),
            ("oacs", id.oacs.raw.into()),
            ("acl", id.acl.into()),
            ("aerl", id.aerl.into()),
            ("frmw", id.frmw.into()),
            ("lpa", id.lpa.raw.into()),
            ("elpe", id.elpe.into()),
            ("npss", id.npss.into()),
            ("avscc", id.avscc.into()),
            ("apsta", id.apsta.into()),
            ("wctemp", id.wctemp.kelvin.into()),
            ("cctemp", id.cctemp.kelvin.into()),
            ("mtfa", id.mtfa.into()),
            ("hmpre", id.hmpre.into()),
            ("hmmin", id.hmmin.into()),
            ("rpmbs", id.rpmbs.into()),
            ("edstt", id.edstt.into()),
            ("dsto", id.dsto.into()),
            ("fwug", id.fwug.into()),
            ("kas", id.kas.into()),
            ("hctma", id.hctma.into()),
            ("mntmt", id.mntmt.into()),
            ("mxtmt", id.mxtmt.into()),
            ("sanicap", id.sanicap.raw.into()),
            ("hmminds", id.hmminds.into()),
            ("hmmaxd", id.hmmaxd.into()),
            ("nsetidmax", id.nsetidmax.into()),
            ("endgidmax", id.endgidmax.into()),
            ("anatt", id.anatt.into()),
            ("anacap", id.anacap.into()),
            ("anagrpmax", id.anagrpmax.into()),
            ("nanagrpid", id.nanagrpid.into()),
            ("pels", id.pels.into()),
            ("sqes", id.sqes.into()),
            ("cqes", id.cqes.into()),
            ("maxcmd", id.maxcmd.into()),
            ("nn", id.nn.into()),
            ("oncs", id.oncs.into()),
            ("fuses", id.fuses.into()),
            ("fna", id.fna.raw.into()),
            ("vwc", id.vwc.into()),
            ("awun", id.awun.into()),
            ("awupf", id.awupf.into()),
            ("icsvscc", id.icsvscc.into()),
            ("nwpc", id.nwpc.into()),
            ("acwu", id.acwu.into()),
            ("sgls", id.sgls.into()),
            ("mnan", id.mnan.into()),
        ] {
            c.eq(f, k, Some(v), n(k));
        }
        c.eq(
            f,
            "tnvmcap",
            Some(id.tnvmcap.to_string()),
            j["tnvmcap"].as_str().map(str::to_string),
        );
        c.eq(
            f,
            "unvmcap",
            Some(id.unvmcap.to_string()),
            j["unvmcap"].as_str().map(str::to_string),
        );
        let psds = j["psds"].as_array().unwrap();
        c.eq(f, "psds count", psds.len(), id.power_states.len());
        for (i, (p, o)) in id.power_states.iter().zip(psds).enumerate() {
            c.eq(
                f,
                &format!("ps{i} max_power"),
                Some(u64::from(p.max_power)),
                o["max_power"].as_u64(),
            );
            let flags = u64::from(p.max_power_scale_0001w) | (u64::from(p.non_operational) << 1);
            c.eq(f, &format!("ps{i} flags"), Some(flags), o["flags"].as_u64());
            c.eq(
                f,
                &format!("ps{i} entry_lat"),
                Some(u64::from(p.entry_latency_us)),
                o["entry_lat"].as_u64(),
            );
            c.eq(
                f,
                &format!("ps{i} exit_lat"),
                Some(u64::from(p.exit_latency_us)),
                o["exit_lat"].as_u64(),
            );
        }
        // The -H text names the capability bits; check the erase-relevant ones by their words.
        let h =
            std::fs::read_to_string(dir().join(format!("{stem}.id-ctrl.nvme-cli-H.txt"))).unwrap();
        // Lines look like "  [1:1] : 0x1\tFormat NVM Supported" or "... : 0\t... Not Supported".
        let bit = |needle: &str| -> Option<bool> {
            let l = h.lines().find(|l| l.contains(needle))?;
            let v = l.split_once(" : ")?.1.split('\t').next()?;
            Some(v != "0")
        };
        c.eq(
            f,
            "oacs format",
            bit("Format NVM "),
            Some(id.oacs.format_nvm),
        );
        c.eq(
            f,
            "oacs self-test",
            bit("Device Self-test "),
            Some(id.oacs.device_self_test),
        );
        c.eq(
            f,
            "oacs security",
            bit("Security Send and Receive "),
            Some(id.oacs.security_send_receive),
        );
        c.eq(
            f,
            "fna crypto",
            bit("as part of Secure Erase"),
            Some(id.fna.crypto_erase_supported),
        );
        c.eq(
            f,
            "fna secure erase all",
            bit("Crypto Erase Applies to"),
            Some(id.fna.secure_erase_all_namespaces),
        );
        c.eq(
            f,
            "fna format all",
            bit("Format Applies to"),
            Some(id.fna.format_all_namespaces),
        );
        c.eq(
            f,
            "sanicap overwrite",
            bit("Overwrite Sanitize Operation"),
            Some(id.sanicap.overwrite),
        );
        c.eq(
            f,
            "sanicap block",
            bit("Block Erase Sanitize Operation"),
            Some(id.sanicap.block_erase),
        );
        c.eq(
            f,
            "sanicap crypto",
            bit("Crypto Erase Sanitize Operation"),
            Some(id.sanicap.crypto_erase),
        );
        if let Some(s) = json(&format!("{stem}.smartctl.json")) {
            c.eq(
                f,
                "smartctl model_name",
                s["model_name"].as_str(),
                Some(id.model.as_str()),
            );
            c.eq(
                f,
                "smartctl serial_number",
                s["serial_number"].as_str(),
                Some(id.serial.as_str()),
            );
            c.eq(
                f,
                "smartctl firmware_version",
                s["firmware_version"].as_str(),
                Some(id.firmware.as_str()),
            );
            c.eq(
                f,
                "smartctl vendor id",
                s["nvme_pci_vendor"]["id"].as_u64(),
                Some(id.vid.into()),
            );
            c.eq(
                f,
                "smartctl subsystem id",
                s["nvme_pci_vendor"]["subsystem_id"].as_u64(),
                Some(id.ssvid.into()),
            );
            c.eq(
                f,
                "smartctl ieee oui",
                s["nvme_ieee_oui_identifier"].as_u64(),
                Some(id.ieee_oui.into()),
            );
            c.eq(
                f,
                "smartctl controller id",
                s["nvme_controller_id"].as_u64(),
                Some(id.cntlid.into()),
            );
            c.eq(
                f,
                "smartctl number of namespaces",
                s["nvme_number_of_namespaces"].as_u64(),
                Some(id.nn.into()),
            );
            if id.version.raw != 0 {
                let v = format!("{}.{}", id.version.major, id.version.minor);
                let v = if id.version.tertiary != 0 {
                    format!("{v}.{}", id.version.tertiary)
                } else {
                    v
                };
                c.eq(
                    f,
                    "smartctl version",
                    s["nvme_version"]["string"].as_str(),
                    Some(v.as_str()),
                );
            }
            if id.tnvmcap.0 != 0 {
                c.eq(
                    f,
                    "smartctl total capacity",
                    s["nvme_total_capacity"].as_u64().map(u128::from),
                    Some(id.tnvmcap.0),
                );
            }
        }
    }
    c.done(3 * 80);
}

#[test]
fn identify_namespace_agrees_with_nvme_cli() {
    let mut c = Check::default();
    let all = files(".id-ns.bin");
    assert_eq!(all.len(), 1);
    for (stem, bin) in all {
        let ns = nvme::parse_identify_namespace(&bin).unwrap();
        let t = std::fs::read_to_string(dir().join(format!("{stem}.id-ns.nvme-cli.txt"))).unwrap();
        let f = stem.as_str();
        let get = |k: &str| -> Option<String> {
            t.lines().find_map(|l| {
                let (key, v) = l.split_once(':')?;
                (key.trim() == k).then(|| v.trim().to_string())
            })
        };
        let num = |k: &str| -> Option<u64> {
            let v = get(k)?;
            match v.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => v.parse().ok(),
            }
        };
        for (k, v) in [
            ("nsze", ns.nsze),
            ("ncap", ns.ncap),
            ("nuse", ns.nuse),
            ("nsfeat", ns.nsfeat.into()),
            ("nlbaf", ns.nlbaf.into()),
            ("flbas", ns.flbas.into()),
            ("mc", ns.mc.into()),
            ("dpc", ns.dpc.into()),
            ("dps", ns.dps.into()),
            ("nmic", ns.nmic.into()),
            ("rescap", ns.rescap.into()),
            ("fpi", ns.fpi.into()),
            ("dlfeat", ns.dlfeat.into()),
            ("anagrpid", ns.anagrpid.into()),
            ("nsattr", ns.nsattr.into()),
            ("nvmsetid", ns.nvmsetid.into()),
            ("endgid", ns.endgid.into()),
        ] {
            c.eq(f, k, Some(v), num(k));
        }
        c.eq(f, "nvmcap", Some(ns.nvmcap.to_string()), get("nvmcap"));
        c.eq(f, "nguid", Some(ns.nguid.clone()), get("nguid"));
        c.eq(f, "eui64", Some(ns.eui64.clone()), get("eui64"));
        let lbafs: Vec<&str> = t.lines().filter(|l| l.starts_with("lbaf")).collect();
        c.eq(f, "lbaf count", lbafs.len(), ns.lba_formats.len());
        for (i, (l, lf)) in lbafs.iter().zip(&ns.lba_formats).enumerate() {
            let v = l.split_once(':').unwrap().1;
            let words: Vec<&str> = v.split_whitespace().collect();
            c.eq(
                f,
                &format!("lbaf{i} ms"),
                format!("ms:{}", lf.metadata_size),
                words[0].to_string(),
            );
            c.eq(
                f,
                &format!("lbaf{i} lbads"),
                format!("lbads:{}", lf.lbads),
                words[1].to_string(),
            );
            c.eq(
                f,
                &format!("lbaf{i} rp"),
                format!("rp:{}", lf.relative_performance),
                words[2].to_string(),
            );
            c.eq(
                f,
                &format!("lbaf{i} in use"),
                i == ns.lba_format_index,
                l.contains("(in use)"),
            );
        }
        // smartctl prints the namespace sizes in bytes and the formatted LBA size.
        let s = json(&format!("{stem}.smartctl.json")).unwrap();
        let n0 = &s["nvme_namespaces"][0];
        c.eq(
            f,
            "smartctl formatted_lba_size",
            n0["formatted_lba_size"].as_u64(),
            ns.sector_size,
        );
        c.eq(
            f,
            "smartctl size bytes",
            n0["size"]["bytes"].as_u64().map(u128::from),
            ns.size_bytes,
        );
        c.eq(
            f,
            "smartctl capacity bytes",
            n0["capacity"]["bytes"].as_u64().map(u128::from),
            ns.capacity_bytes,
        );
        c.eq(
            f,
            "smartctl user_capacity blocks",
            s["user_capacity"]["blocks"].as_u64(),
            Some(ns.nsze),
        );
    }
    c.done(30);
}

#[test]
fn smart_log_agrees_with_nvme_cli_and_smartctl() {
    let mut c = Check::default();
    let all = files(".smart-log.bin");
    assert_eq!(all.len(), 2);
    for (stem, bin) in all {
        let l = nvme::parse_smart_log(&bin).unwrap();
        let j = json(&format!("{stem}.smart-log.nvme-cli.json")).unwrap();
        let f = stem.as_str();
        let n = |k: &str| j[k].as_u64();
        let st = |k: &str| j[k].as_str().map(str::to_string);
        c.eq(
            f,
            "critical_warning",
            Some(u64::from(l.critical_warning.raw)),
            n("critical_warning"),
        );
        c.eq(
            f,
            "temperature",
            Some(u64::from(l.composite_temperature.kelvin)),
            n("temperature"),
        );
        c.eq(
            f,
            "avail_spare",
            Some(u64::from(l.available_spare)),
            n("avail_spare"),
        );
        c.eq(
            f,
            "spare_thresh",
            Some(u64::from(l.available_spare_threshold)),
            n("spare_thresh"),
        );
        c.eq(
            f,
            "percent_used",
            Some(u64::from(l.percentage_used)),
            n("percent_used"),
        );
        c.eq(
            f,
            "endurance_grp_critical_warning_summary",
            Some(u64::from(l.endurance_group_critical_warning)),
            n("endurance_grp_critical_warning_summary"),
        );
        for (k, v) in [
            ("data_units_read", l.data_units_read),
            ("data_units_written", l.data_units_written),
            ("host_read_commands", l.host_read_commands),
            ("host_write_commands", l.host_write_commands),
            ("controller_busy_time", l.controller_busy_time),
            ("power_cycles", l.power_cycles),
            ("power_on_hours", l.power_on_hours),
            ("unsafe_shutdowns", l.unsafe_shutdowns),
            ("media_errors", l.media_errors),
            ("num_err_log_entries", l.error_log_entries),
        ] {
            c.eq(f, k, Some(v.to_string()), st(k));
        }
        c.eq(
            f,
            "warning_temp_time",
            Some(u64::from(l.warning_temperature_minutes)),
            n("warning_temp_time"),
        );
        c.eq(
            f,
            "critical_comp_time",
            Some(u64::from(l.critical_temperature_minutes)),
            n("critical_comp_time"),
        );
        for i in 1..=8u8 {
            let ours = l
                .temperature_sensors
                .iter()
                .find(|(s, _)| *s == i)
                .map(|(_, t)| u64::from(t.kelvin));
            c.eq(
                f,
                &format!("temperature_sensor_{i}"),
                ours,
                n(&format!("temperature_sensor_{i}")),
            );
        }
        c.eq(
            f,
            "thm_temp1_trans_count",
            Some(u64::from(l.thermal_transitions[0])),
            n("thm_temp1_trans_count"),
        );
        c.eq(
            f,
            "thm_temp2_trans_count",
            Some(u64::from(l.thermal_transitions[1])),
            n("thm_temp2_trans_count"),
        );
        c.eq(
            f,
            "thm_temp1_total_time",
            Some(u64::from(l.thermal_seconds[0])),
            n("thm_temp1_total_time"),
        );
        c.eq(
            f,
            "thm_temp2_total_time",
            Some(u64::from(l.thermal_seconds[1])),
            n("thm_temp2_total_time"),
        );
        if let Some(s) = json(&format!("{stem}.smartctl.json")) {
            let h = &s["nvme_smart_health_information_log"];
            let n = |k: &str| h[k].as_u64();
            c.eq(
                f,
                "smartctl critical_warning",
                Some(u64::from(l.critical_warning.raw)),
                n("critical_warning"),
            );
            c.eq(
                f,
                "smartctl temperature (°C)",
                h["temperature"].as_i64(),
                Some(i64::from(l.composite_temperature.celsius)),
            );
            c.eq(
                f,
                "smartctl available_spare",
                Some(u64::from(l.available_spare)),
                n("available_spare"),
            );
            c.eq(
                f,
                "smartctl available_spare_threshold",
                Some(u64::from(l.available_spare_threshold)),
                n("available_spare_threshold"),
            );
            c.eq(
                f,
                "smartctl percentage_used",
                Some(u64::from(l.percentage_used)),
                n("percentage_used"),
            );
            for (k, v) in [
                ("data_units_read", l.data_units_read),
                ("data_units_written", l.data_units_written),
                ("host_reads", l.host_read_commands),
                ("host_writes", l.host_write_commands),
                ("controller_busy_time", l.controller_busy_time),
                ("power_cycles", l.power_cycles),
                ("power_on_hours", l.power_on_hours),
                ("unsafe_shutdowns", l.unsafe_shutdowns),
                ("media_errors", l.media_errors),
                ("num_err_log_entries", l.error_log_entries),
            ] {
                c.eq(f, &format!("smartctl {k}"), n(k).map(u128::from), Some(v.0));
            }
            let sensors: Vec<i64> = l
                .temperature_sensors
                .iter()
                .map(|(_, t)| i64::from(t.celsius))
                .collect();
            let theirs: Vec<i64> = h["temperature_sensors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            c.eq(f, "smartctl temperature_sensors (°C)", theirs, sensors);
            // smartctl's verdict for NVMe: passed unless a critical warning bit is set.
            c.eq(
                f,
                "smartctl smart_status.passed",
                s["smart_status"]["passed"].as_bool(),
                Some(l.critical_warning.raw == 0),
            );
        }
    }
    c.done(2 * 30);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn nvme_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4200)) {
        let _ = nvme::parse_identify_controller(&bytes);
        let _ = nvme::parse_identify_namespace(&bytes);
        let _ = nvme::parse_smart_log(&bytes);
        let _ = nvme::parse_sanitize_log(&bytes);
        let _ = nvme::parse_self_test_log(&bytes);
    }

    #[test]
    fn nvme_full_size_random_structures(
        ctrl in proptest::collection::vec(any::<u8>(), 4096),
        log in proptest::collection::vec(any::<u8>(), 564),
    ) {
        let c = nvme::parse_identify_controller(&ctrl).unwrap();
        prop_assert!(c.power_states.len() <= 32);
        let n = nvme::parse_identify_namespace(&ctrl).unwrap();
        prop_assert!(n.lba_formats.len() <= 64);
        let _ = serde_json::to_string(&n).unwrap();
        nvme::parse_smart_log(&log[..512]).unwrap();
        nvme::parse_sanitize_log(&log[..512]).unwrap();
        let st = nvme::parse_self_test_log(&log).unwrap();
        prop_assert!(st.results.len() <= 20);
    }

    #[test]
    fn nvme_bit_flips_of_real_structures(which in 0usize..6, flips in proptest::collection::vec((any::<usize>(), 0u8..8), 1..16)) {
        let mut all = files(".id-ctrl.bin");
        all.extend(files(".id-ns.bin"));
        all.extend(files(".smart-log.bin"));
        let (_, mut b) = all.swap_remove(which);
        for (i, bit) in flips { let n = b.len(); b[i % n] ^= 1 << bit; }
        let _ = nvme::parse_identify_controller(&b);
        let _ = nvme::parse_identify_namespace(&b);
        let _ = nvme::parse_smart_log(&b);
    }
}

#[test]
fn every_truncation_is_an_error_naming_the_offset() {
    let mut all = files(".id-ctrl.bin");
    all.extend(files(".id-ns.bin"));
    all.extend(files(".smart-log.bin"));
    for (stem, b) in all {
        for n in (0..b.len()).step_by(13) {
            let cut = &b[..n];
            for e in [
                nvme::parse_identify_controller(cut).err(),
                nvme::parse_identify_namespace(cut).err(),
                nvme::parse_smart_log(cut).err(),
                nvme::parse_sanitize_log(cut).err(),
                nvme::parse_self_test_log(cut).err(),
            ]
            .into_iter()
            .flatten()
            {
                assert!(
                    e.to_string().contains(&format!("offset {n:#x}")),
                    "{stem} {n}: {e}"
                );
            }
        }
    }
}
