//! Firmware erases and frozen drives on a real kernel (QEMU, TCG), checked from outside:
//! - `reprise plan --level purge --json` in a guest with an NVMe and an AHCI disk says what the
//!   emulated drives support and what each gets (QEMU's NVMe: Format, no Sanitize; its AHCI
//!   disks: neither security nor sanitize);
//! - `reprise unfreeze` suspends the guest to RAM and its RTC alarm wakes it: the path a frozen
//!   laptop drive takes, on the real kernel's `/sys/power/state` and `rtc0/wakealarm`.
//!
//! The automatic Purge itself (NVMe formatted, AHCI cleared) is in `auto_clear.rs`.

use std::fs;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use reprise_e2e::{Chipset, Firmware, Vm, between, outputs, sparse_disk};
use serde_json::Value;

fn tools_initrd(dir: &std::path::Path) -> Result<std::path::PathBuf> {
    let out = outputs()?;
    let initrd = dir.join("initrd-tools.img");
    let mut bytes = fs::read(out.initrd())?;
    bytes.extend(fs::read(out.tools_overlay())?);
    fs::write(&initrd, bytes)?;
    Ok(initrd)
}

/// One boot running `reprise CMD` on the given chipset.
fn boot(cmd: &str, chipset: Chipset) -> Result<String> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let initrd = tools_initrd(dir.path())?;
    let (nvme, sata) = (dir.path().join("nvme.img"), dir.path().join("sata.img"));
    sparse_disk(&nvme, 32 << 20)?;
    sparse_disk(&sata, 32 << 20)?;
    let run = Vm::new(dir.path(), Firmware::Bios)
        .chipset(chipset)
        .kernel(
            &out.vmlinuz_bios(),
            &initrd,
            &format!(
                "console=ttyS0,115200 quiet reprise.poweroff=1 reprise.wait=1 \"reprise.cmd={cmd}\""
            ),
        )
        .nvme(&nvme, "PLAN-NVME-1")
        .ahci(&sata, "PLAN-SATA-2")
        .run(Duration::from_secs(300))?;
    Ok(run.serial)
}

#[test]
fn the_plan_of_the_emulated_drives_and_a_suspend_resume_by_rtc() -> Result<()> {
    let serial = boot("plan --level purge --json", Chipset::Q35)?;
    let json = between(&serial, "reprise cmd begin", "reprise cmd end")
        .context("no `reprise plan` output between markers")?;
    ensure!(
        serial.contains("reprise cmd end (status 0)"),
        "reprise plan failed:\n{json}"
    );
    // The plan as the operator reads it, kept for the record of this test run.
    eprintln!("{json}");
    let v: Value = serde_json::from_str(json).context("plan JSON")?;
    let disks = v["disks"].as_array().context("no disks")?;
    let by = |serial: &str| {
        disks
            .iter()
            .find(|d| d["serial"] == serial)
            .with_context(|| format!("no plan for {serial}"))
    };
    let nvme = by("PLAN-NVME-1")?;
    ensure!(
        nvme["technique"] == "nvme-format-user-data"
            && nvme["level"] == "purge"
            && nvme["fallbacks"] == serde_json::json!(["overwrite"])
            && nvme["facts"]["nvme"]["format"] == true
            && nvme["facts"]["nvme"]["sanitize_crypto"] == false
            && nvme["facts"]["nvme"]["dealloc"] == "changed_or_zeros",
        "NVMe plan: {nvme:#}"
    );
    let sata = by("PLAN-SATA-2")?;
    ensure!(
        sata["technique"] == "overwrite"
            && sata["level"] == "clear"
            && sata["facts"]["ata"]["security_supported"] == false
            && sata["facts"]["ata"]["sanitize"].is_null()
            && sata["hidden"]["hpa_sectors"] == 0
            && sata["hidden"]["dco_sectors"] == 0,
        "SATA plan: {sata:#}"
    );
    let messages: Vec<&str> = sata["explanations"]
        .as_array()
        .context("explanations")?
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    ensure!(
        messages.contains(&"Purge asked for, but this disk offers no Purge: Clear, not Purge"),
        "{messages:#?}"
    );
    ensure!(v["suspend"] == "possible", "suspend: {}", v["suspend"]);

    // i440fx: QEMU's q35 under SeaBIOS resumes from S3 but then ignores the kernel's ACPI
    // power-off ("reboot: Power down" printed, QEMU still running), so the boot would only end
    // at its timeout. A laptop's firmware has no such gap; the kernel's path is the same.
    let serial = boot("unfreeze --seconds 2", Chipset::I440fx)?;
    let text = between(&serial, "reprise cmd begin", "reprise cmd end")
        .context("no `reprise unfreeze` output")?;
    ensure!(
        serial.contains("reprise cmd end (status 0)") && text.contains("Resumed after"),
        "unfreeze:\n{text}"
    );
    // The proof of a real suspend is the kernel's own count (the agent refuses a write of
    // "mem" that the count does not follow), not the time asleep: the RTC alarm rings on a
    // whole second and the kernel adds the time asleep from the RTC, so anything from under a
    // second to two is normal.
    ensure!(
        text.contains("(the kernel counts 1 suspend(s) since boot)"),
        "no suspend counted by the kernel:\n{text}"
    );
    Ok(())
}
