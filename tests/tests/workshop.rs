//! The workshop's laptops, not QEMU's default one: what real machines do to a run, emulated —
//! a flat CMOS battery (the clock in 2009) and a disk that appears while the run is under way (a
//! late driver, a disk plugged in), which must be in the certificate as not sanitized, and the
//! run no success. One boot holds both, to keep the suite's time.

use std::fs;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use reprise_e2e::{Firmware, Stick, Vm, outputs};

const TIMEOUT: Duration = Duration::from_secs(600);

/// Pseudo-random bytes: old data a wipe visibly replaces.
fn old_data(len: usize, seed: u8) -> Vec<u8> {
    let mut x = u32::from(seed) | 0x100;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn a_flat_cmos_clock_and_a_disk_plugged_in_during_an_automatic_run() -> Result<()> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let stick = Stick::configured(
        &out,
        dir.path(),
        "reprise.auto=clear\nreprise.poweroff=1\nreprise.operator=E2E\nreprise.lang=en\n",
    )?;
    let nvme = dir.path().join("nvme.img");
    fs::write(&nvme, old_data(64 << 20, 7))?;
    let hot = dir.path().join("hot.img");
    let hot_old = old_data(16 << 20, 9);
    fs::write(&hot, &hot_old)?;
    let run = Vm::new(dir.path(), Firmware::Bios)
        .rtc("2009-06-01")
        .usb_stick(&stick.path)
        .nvme(&nvme, "E2E-NVME-1")
        // Once the plan is on screen, a USB disk is plugged in: it was not in the plan.
        .usb_disk_after("reprise: screen machine", &hot)
        .run_until_finished(TIMEOUT)?;
    ensure!(
        run.serial
            .contains("APPEARED DURING THE RUN — not sanitized"),
        "the run does not say a disk appeared:\n{}",
        run.serial
    );
    ensure!(
        run.agent_status == Some(3) && run.serial.contains("not powering off"),
        "a run with a disk not sanitized is no success and stays on (status {:?}):\n{}",
        run.agent_status,
        run.serial
    );
    ensure!(
        fs::read(&hot)? == hot_old,
        "the disk that appeared was written"
    );
    ensure!(
        fs::read(&nvme)?.iter().all(|&b| b == 0),
        "the planned disk was not wiped"
    );
    let certs = stick.data.certificates()?;
    ensure!(certs.len() == 1, "one certificate expected: {certs:?}");
    let cert: serde_json::Value =
        serde_json::from_slice(&stick.data.read(&format!("certs/{}", certs[0]))?)
            .context("the certificate is JSON")?;
    let reasons = cert["certificate"]["verdict"]["reasons"]
        .as_array()
        .context("reasons")?;
    ensure!(
        reasons.iter().any(|r| r["key"] == "disk_appeared"),
        "the certificate does not name the disk that appeared: {reasons:?}"
    );
    // The clock said 2009: the certificate is dated at the image's build, and says why.
    let c = &cert["certificate"];
    let issued = c["issued_at"].as_str().context("issued_at")?;
    ensure!(
        issued.get(..4).is_some_and(|y| y >= "2026"),
        "a certificate dated before the tool existed: {issued}"
    );
    ensure!(
        c["time"]["source"] == "rtc"
            && c["time"]["corrected_to"] == "image_build"
            && c["time"]["rtc_offset_ms"].as_i64().is_some_and(|ms| ms < 0),
        "the certificate does not say its time was corrected: {}",
        c["time"]
    );
    Ok(())
}
