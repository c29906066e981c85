//! `reprise probe --json --self-test short` in a real guest (NVMe + AHCI disks, an SMBIOS
//! identity) names the same disks, serials and sizes as smartctl and nvme-cli run in the same
//! guest (test-only initramfs overlay), and as what QEMU was given; every health field the probe
//! reads through its own SG_IO and NVMe ioctls equals what smartctl and nvme-cli read; and the
//! drive's short self-test runs through the same path.

use std::collections::BTreeMap;
use std::fs;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use reprise::model::Field;
use reprise::probe::model::{DiskHealth, HealthStatus, ProbeReport, SelfTestKind};
use reprise_e2e::{Firmware, Vm, between, outputs, sparse_disk};
use serde_json::Value;

const NVME_SERIAL: &str = "E2E-NVME-0001";
const NVME_SIZE: u64 = 1 << 30;
const SATA_SERIAL: &str = "E2E-SATA-0002";
const SATA_SIZE: u64 = 3 << 29;
const SYSTEM_SERIAL: &str = "E2E-LAPTOP-42";

/// What one tool says about one disk.
#[derive(Debug, PartialEq, Eq)]
struct DiskFacts {
    serial: String,
    size: u64,
}

/// The JSON a tool printed between its markers for disk `name`.
fn tool_json(serial: &str, tool: &str, name: &str) -> Result<Value> {
    let text = between(
        serial,
        &format!("tool {tool} {name} begin"),
        &format!("tool {tool} {name} end"),
    )
    .with_context(|| format!("no {tool} output for {name}"))?;
    serde_json::from_str(text).with_context(|| format!("{tool} {name} printed no JSON: {text}"))
}

fn smartctl_facts(serial: &str, name: &str) -> Result<DiskFacts> {
    let v = tool_json(serial, "smartctl", name)?;
    Ok(DiskFacts {
        serial: v["serial_number"]
            .as_str()
            .context("smartctl: no serial_number")?
            .to_owned(),
        size: v["user_capacity"]["bytes"]
            .as_u64()
            .context("smartctl: no user_capacity.bytes")?,
    })
}

fn nvme_cli_facts(serial: &str, name: &str) -> Result<DiskFacts> {
    let ctrl = tool_json(serial, "nvme-id-ctrl", name)?;
    let ns = tool_json(serial, "nvme-id-ns", name)?;
    let format = usize::try_from(ns["flbas"].as_u64().context("nvme id-ns: no flbas")? & 0xf)?;
    let shift = ns["lbafs"][format]["ds"]
        .as_u64()
        .context("nvme id-ns: no lbafs[flbas].ds")?;
    let blocks = ns["nsze"].as_u64().context("nvme id-ns: no nsze")?;
    Ok(DiskFacts {
        serial: ctrl["sn"]
            .as_str()
            .context("nvme id-ctrl: no sn")?
            .trim()
            .to_owned(),
        size: blocks << shift,
    })
}

/// A number nvme-cli prints as a JSON number or, for its 128-bit counters, a string.
fn number(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

/// The health fields smartctl's JSON gives for an ATA disk, as the probe names them.
fn smartctl_health(v: &Value) -> Result<DiskHealth> {
    let raw = |id: u64| {
        v["ata_smart_attributes"]["table"]
            .as_array()
            .and_then(|t| t.iter().find(|a| a["id"].as_u64() == Some(id)))
            .and_then(|a| a["raw"]["value"].as_u64())
    };
    let passed = v["smart_status"]["passed"]
        .as_bool()
        .context("smartctl: no smart_status.passed")?;
    Ok(DiskHealth {
        status: if passed {
            HealthStatus::Passed
        } else {
            HealthStatus::Failing
        },
        smart_passed: Some(passed),
        reallocated: raw(5),
        pending: raw(197),
        media_errors: raw(198),
        power_on_hours: v["power_on_time"]["hours"].as_u64(),
        temperature_celsius: v["temperature"]["current"]
            .as_i64()
            .and_then(|t| i16::try_from(t).ok()),
        ..DiskHealth::default()
    })
}

/// The health fields `nvme smart-log -o json` gives, as the probe names them.
fn nvme_cli_health(v: &Value) -> Result<DiskHealth> {
    let warning = number(&v["critical_warning"]).context("nvme smart-log: critical_warning")?;
    let kelvin = number(&v["temperature"]).context("nvme smart-log: temperature")?;
    Ok(DiskHealth {
        status: if warning & !0x02 == 0 {
            HealthStatus::Passed
        } else {
            HealthStatus::Failing
        },
        smart_passed: Some(warning & !0x02 == 0),
        media_errors: number(&v["media_errors"]),
        power_on_hours: number(&v["power_on_hours"]),
        temperature_celsius: i16::try_from(kelvin).ok().map(|k| k - 273),
        percentage_used: number(&v["percent_used"]).and_then(|p| u16::try_from(p).ok()),
        available_spare: number(&v["avail_spare"]).and_then(|p| u8::try_from(p).ok()),
        available_spare_threshold: number(&v["spare_thresh"]).and_then(|p| u8::try_from(p).ok()),
        ..DiskHealth::default()
    })
}

/// The probe's health with only the fields the oracle prints.
fn comparable(h: &DiskHealth, ata: bool) -> DiskHealth {
    DiskHealth {
        status: h.status,
        smart_passed: h.smart_passed,
        reallocated: h.reallocated,
        pending: h.pending,
        media_errors: h.media_errors,
        power_on_hours: h.power_on_hours,
        temperature_celsius: h.temperature_celsius,
        percentage_used: if ata { None } else { h.percentage_used },
        available_spare: h.available_spare,
        available_spare_threshold: h.available_spare_threshold,
        ..DiskHealth::default()
    }
}

fn known<T: Clone>(field: &Field<T>, what: &str) -> Result<T> {
    field
        .known()
        .cloned()
        .with_context(|| format!("probe: {what} unknown"))
}

#[test]
fn probe_agrees_with_smartctl_and_nvme_cli() -> Result<()> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let initrd = dir.path().join("initrd-tools.img");
    // Concatenated compressed cpio archives: the kernel unpacks both (overlay last).
    let mut bytes = fs::read(out.initrd())?;
    bytes.extend(fs::read(out.tools_overlay())?);
    fs::write(&initrd, bytes)?;
    let (nvme, sata) = (dir.path().join("nvme.img"), dir.path().join("sata.img"));
    sparse_disk(&nvme, NVME_SIZE)?;
    sparse_disk(&sata, SATA_SIZE)?;

    let run = Vm::new(dir.path(), Firmware::Bios)
        .kernel(
            &out.vmlinuz_bios(),
            &initrd,
            "console=ttyS0,115200 quiet reprise.poweroff=1 reprise.wait=1 \"reprise.cmd=probe --json --self-test short\"",
        )
        .nvme(&nvme, NVME_SERIAL)
        .ahci(&sata, SATA_SERIAL)
        .smbios("E2E Computers", "Test Laptop 14", SYSTEM_SERIAL)
        .run(Duration::from_secs(300))?;

    let json = between(&run.serial, "reprise cmd begin", "reprise cmd end")
        .context("no `reprise probe --json` output between markers")?;
    ensure!(
        run.serial.contains("reprise cmd end (status 0)"),
        "reprise probe failed:\n{json}"
    );
    let report: ProbeReport = serde_json::from_str(json).context("parsing the probe report")?;
    ensure!(
        report.identity.system.serial.known().map(String::as_str) == Some(SYSTEM_SERIAL),
        "SMBIOS serial: {:?}",
        report.identity.system.serial
    );

    let probed: BTreeMap<String, DiskFacts> = report
        .disks
        .iter()
        .map(|d| {
            Ok((
                d.name.clone(),
                DiskFacts {
                    serial: known(&d.serial, "serial")?,
                    size: known(&d.size_bytes, "size")?,
                },
            ))
        })
        .collect::<Result<_>>()?;
    let given = BTreeMap::from([
        (
            "nvme0n1".to_owned(),
            DiskFacts {
                serial: NVME_SERIAL.into(),
                size: NVME_SIZE,
            },
        ),
        (
            "sda".to_owned(),
            DiskFacts {
                serial: SATA_SERIAL.into(),
                size: SATA_SIZE,
            },
        ),
    ]);
    ensure!(
        probed == given,
        "probe {probed:?} != QEMU's disks {given:?}"
    );
    for name in given.keys() {
        let smart = smartctl_facts(&run.serial, name)?;
        ensure!(
            smart == probed[name],
            "{name}: smartctl {smart:?} != probe {:?}",
            probed[name]
        );
    }
    let nvme_cli = nvme_cli_facts(&run.serial, "nvme0n1")?;
    ensure!(
        nvme_cli == probed["nvme0n1"],
        "nvme-cli {nvme_cli:?} != probe {:?}",
        probed["nvme0n1"]
    );

    // Health, field by field, against the tools that read the same drives.
    let disk = |name: &str| {
        report
            .disks
            .iter()
            .find(|d| d.name == name)
            .with_context(|| format!("probe: no {name}"))
    };
    let sda = disk("sda")?;
    let want = smartctl_health(&tool_json(&run.serial, "smartctl", "sda")?)?;
    ensure!(
        comparable(&sda.health, true) == want,
        "sda health: probe {:?} != smartctl {want:?}",
        sda.health
    );
    ensure!(sda.health.source.as_deref() == Some("ATA SMART"));
    // Not a comparison of two blanks: QEMU's drives give hours and temperatures.
    ensure!(
        sda.health.power_on_hours.is_some() && sda.health.temperature_celsius.is_some(),
        "sda: {:?}",
        sda.health
    );
    let nvme = disk("nvme0n1")?;
    let want = nvme_cli_health(&tool_json(&run.serial, "nvme-smart-log", "nvme0n1")?)?;
    ensure!(
        comparable(&nvme.health, false) == want,
        "nvme0n1 health: probe {:?} != nvme-cli {want:?}",
        nvme.health
    );
    ensure!(
        nvme.health.temperature_celsius.is_some() && nvme.health.percentage_used.is_some(),
        "nvme0n1: {:?}",
        nvme.health
    );

    // The short self-test went through the probe's own SG_IO path and QEMU's SMART emulation
    // logged it as passed. QEMU's NVMe controller has no Device Self-test: the probe records
    // nothing and says why on stderr, which the serial console shows.
    let test = sda
        .health
        .self_test
        .as_ref()
        .context("sda: no self-test result")?;
    ensure!(
        test.passed && test.kind == SelfTestKind::Short,
        "sda self-test: {test:?}"
    );
    let ctrl = tool_json(&run.serial, "nvme-id-ctrl", "nvme0n1")?;
    let dst = number(&ctrl["oacs"]).context("nvme id-ctrl: no oacs")? & 0x10 != 0;
    ensure!(
        nvme.health.self_test.is_some() == dst,
        "nvme0n1: OACS says self-test {dst}, probe recorded {:?}",
        nvme.health.self_test
    );
    if !dst {
        ensure!(
            between(
                &run.serial,
                "reprise cmd stderr begin",
                "reprise cmd stderr end"
            )
            .is_some_and(|e| e.contains("self-test /dev/nvme0n1: no result")),
            "the operator is told why nvme0n1 has no self-test"
        );
    }
    Ok(())
}
