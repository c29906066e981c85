//! The operator's screen on the emulated laptop's own display: the stick boots through SeaBIOS
//! and GRUB (as on a real laptop), the agent draws on the VGA console, and the test reads that
//! console from outside — QEMU's monitor `screendump`, the text read back with the VGA BIOS's
//! own font, the QR code decoded — in interactive mode (the operator's three keystrokes pressed
//! on the emulated keyboard) and in automatic mode (none). Also recorded: how long the boot
//! takes from QEMU's start to the first screen (README, "The live image").

use std::fs;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use reprise_e2e::{Firmware, Run, Stick, Vm, outputs, read_qr, read_screen, tail};

const TIMEOUT: Duration = Duration::from_secs(600);
const DISK: u64 = 16 << 20;

fn screen(run: &Run, name: &str) -> Result<(String, std::path::PathBuf)> {
    let (_, file) = run
        .screens
        .iter()
        .find(|(n, _)| n == name)
        .with_context(|| format!("no screendump {name}:\n{}", tail(&run.serial, 40)))?;
    Ok((read_screen(file)?, file.clone()))
}

fn timings(run: &Run) {
    for (mark, t) in &run.marks {
        eprintln!("e2e: {:>6.1} s  {mark}", t.as_secs_f64());
    }
    if let Some(b) = run.boot_breakdown() {
        eprintln!("e2e: {b}");
    }
}

/// The certificate the run left on the stick, and its digest as a verifier computes it.
fn certificate(stick: &Stick) -> Result<(serde_json::Value, String)> {
    let names = stick.data.certificates()?;
    ensure!(names.len() == 1, "one certificate expected: {names:?}");
    let bytes = stick.data.read(&format!("certs/{}", names[0]))?;
    let verified = reprise::cert::envelope::verify(&bytes, None)?;
    Ok((serde_json::from_slice(&bytes)?, verified.digest))
}

#[test]
fn interactive_the_first_screen_is_on_the_laptops_display_and_three_keys_reach_the_certificate()
-> Result<()> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let stick = Stick::configured(&out, dir.path(), "reprise.lang=en\nreprise.operator=E2E\n")?;
    let nvme = dir.path().join("nvme.img");
    fs::write(&nvme, vec![0x5au8; DISK as usize])?;
    let run = Vm::new(dir.path(), Firmware::Bios)
        .usb_stick(&stick.path)
        .nvme(&nvme, "SCREEN-NVME-1")
        .smbios("E2E Computers", "Screen Laptop", "SCREEN-LAPTOP-1")
        .screendump_after("reprise: screen machine", "machine")
        .press_after("reprise: screen machine", &["ret"])
        .screendump_after("reprise: screen confirm", "confirm")
        .press_after("reprise: screen confirm", &["f10", "ret"])
        .screendump_after("reprise: screen result", "result")
        .press_after("reprise: screen result", &["ret"])
        // The end is the operator's: the last dialog, power off under the cursor; Enter.
        .screendump_after("reprise: screen end", "end")
        .press_after("reprise: screen end", &["ret"])
        .run(TIMEOUT)?;
    timings(&run);
    let (machine, _) = screen(&run, "machine")?;
    eprintln!("{machine}");
    for want in [
        "This machine",
        "E2E Computers",
        "SCREEN-LAPTOP-1",
        "nvme0n1",
        "SCREEN-NVME-1",
        "boot medium - never wiped",
        "Enter Wipe",
    ] {
        ensure!(
            machine.contains(want),
            "{want:?} is not on the first screen:\n{machine}"
        );
    }
    let (confirm, _) = screen(&run, "confirm")?;
    ensure!(
        confirm.contains("ALL DATA WILL BE DESTROYED ON 1 DISK(S)")
            && confirm.contains("SCREEN-NVME-1"),
        "the confirmation names the disk:\n{confirm}"
    );
    let (result, result_file) = screen(&run, "result")?;
    eprintln!("{result}");
    ensure!(result.contains("nvme0n1: SANITIZED"), "{result}");
    ensure!(
        run.keystrokes == 5,
        "Enter, F10, Enter to the certificate, Enter to finish, Enter to power off: {}",
        run.keystrokes
    );
    let (end, _) = screen(&run, "end")?;
    eprintln!("{end}");
    ensure!(
        end.contains("End of the run") && end.contains("> Power off") && end.contains("Reboot"),
        "the last dialog offers power off first, then reboot:\n{end}"
    );
    ensure!(
        !end.contains("Maintenance"),
        "the maintenance shell is on no button without reprise.shell=1:\n{end}"
    );
    // Init acted on the operator's choice: no shell, no prompt; the machine powered off.
    ensure!(
        run.serial
            .contains("reprise-init: agent finished (status 0); the operator chose: poweroff")
            && run
                .serial
                .contains("reprise-init: powering off (the operator's choice)"),
        "init did not power off as the operator chose:\n{}",
        tail(&run.serial, 40)
    );
    ensure!(
        run.agent_status == Some(0),
        "agent status {:?}:\n{}",
        run.agent_status,
        tail(&run.serial, 40)
    );
    let (cert, digest) = certificate(&stick)?;
    let destination = cert["certificate"]["destination"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    ensure!(
        result.contains(&destination),
        "the screen's verdict is the certificate's {destination}:\n{result}"
    );
    ensure!(
        read_qr(&result_file)? == digest,
        "the QR code on the laptop's screen holds the digest"
    );
    // The RAM test ran alongside the wipe, and its record says what happened: memory written
    // and read back by at least one pattern, or — the 16 MiB wipe of an emulated laptop can end
    // before the first pattern is through — "not run" because the wipe ended, never a test of
    // memory that no pattern read back.
    let checks = &cert["certificate"]["checks"];
    eprintln!("hands-on checks recorded: {checks}");
    let memory = &checks["memory"];
    let tested = memory["bytes_tested"].as_u64().unwrap_or(0) > 0
        && memory["patterns"].as_array().is_some_and(|p| !p.is_empty());
    let not_run = checks["not_run"].as_array().is_some_and(|n| {
        n.iter()
            .any(|n| n["check"] == "memory" && n["why"] == "wipe_ended")
    });
    ensure!(
        (tested && !not_run) || (not_run && memory.is_null()),
        "the RAM test ran during the wipe, or says why it tested nothing: {checks:#}"
    );
    ensure!(
        fs::read(&nvme)?.iter().all(|b| *b == 0),
        "the disk was wiped"
    );
    let logs = stick.data.list("logs")?;
    ensure!(
        logs.iter().any(|n| n.ends_with("-run.log")),
        "the agent keeps its own log: {logs:?}"
    );
    ensure!(
        stick.unchanged_outside_data()?,
        "the stick changed outside its data partition"
    );
    Ok(())
}

#[test]
fn automatic_every_screen_shows_without_a_key_and_the_qr_code_holds_the_digest() -> Result<()> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let stick = Stick::configured(
        &out,
        dir.path(),
        "reprise.lang=fr\nreprise.auto=clear\nreprise.poweroff=1\nreprise.operator=E2E\n",
    )?;
    let nvme = dir.path().join("nvme.img");
    fs::write(&nvme, vec![0xa5u8; DISK as usize])?;
    let run = Vm::new(dir.path(), Firmware::Bios)
        .usb_stick(&stick.path)
        .nvme(&nvme, "AUTO-SCREEN-1")
        .smbios("E2E Computers", "Auto Screen", "AUTO-SCREEN-LAPTOP")
        .screendump_after("reprise: screen machine", "machine")
        .screendump_after("reprise: screen wipe", "wipe")
        .screendump_after("reprise: screen result", "result")
        .run(TIMEOUT)?;
    timings(&run);
    ensure!(run.keystrokes == 0);
    let (machine, _) = screen(&run, "machine")?;
    eprintln!("{machine}");
    for want in [
        "Cette machine",
        "AUTOMATIQUE",
        "AUTO-SCREEN-1",
        "Mode automatique",
    ] {
        ensure!(
            machine.contains(want),
            "{want:?} is not on the first screen:\n{machine}"
        );
    }
    let (wipe, _) = screen(&run, "wipe")?;
    ensure!(wipe.contains("Effacement de 1 disque(s)"), "{wipe}");
    let (result, result_file) = screen(&run, "result")?;
    ensure!(result.contains("nvme0n1: EFFACÉ"), "{result}");
    let (cert, digest) = certificate(&stick)?;
    ensure!(
        read_qr(&result_file)? == digest,
        "the QR code holds the digest"
    );
    // This laptop has q35's default DVD drive (no IDE/SCSI disk was given, so QEMU adds it,
    // empty, on the chipset's AHCI: ATAPI, serial QM00005). It is an optical drive, listed for
    // what it is — never a disk, never a disk "not sanitized" in the verdict.
    let machine = &cert["certificate"]["machine"];
    let dvd = machine["other_storage"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["name"] == "sr0"))
        .with_context(|| format!("no sr0 among the other storage: {machine:#}"))?;
    ensure!(
        dvd["kind"] == "optical_drive" && dvd["handling"] == "no_medium",
        "the DVD drive: {dvd:#}"
    );
    ensure!(
        dvd["message"] == "lecteur optique, vide : rien n'y est stocké, rien à effacer",
        "the DVD drive in the certificate's French: {dvd:#}"
    );
    ensure!(
        !machine["disks"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["name"] == "sr0")),
        "the DVD drive is listed as a disk: {:#}",
        machine["disks"]
    );
    let verdict = &cert["certificate"]["verdict"];
    ensure!(
        !verdict.to_string().contains("QM00005") && !verdict.to_string().contains("sr0"),
        "the verdict counts the DVD drive: {verdict:#}"
    );
    ensure!(
        !result.contains("QM00005"),
        "the result screen names the DVD drive:\n{result}"
    );
    ensure!(
        run.serial.contains("reprise-init: powering off"),
        "{}",
        tail(&run.serial, 30)
    );
    Ok(())
}
