//! `reprise probe --json` in a real guest (NVMe + AHCI disks, an SMBIOS identity) names the same
//! disks, serials and sizes as smartctl and nvme-cli run in the same guest (test-only initramfs
//! overlay), and as what QEMU was given.

use std::collections::BTreeMap;
use std::fs;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use reprise::model::Field;
use reprise::probe::model::ProbeReport;
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
            &out.vmlinuz(),
            &initrd,
            "console=ttyS0,115200 quiet reprise.poweroff=1 reprise.wait=1 \"reprise.cmd=probe --json\"",
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
    Ok(())
}
