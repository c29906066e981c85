//! The paths where a data-wipe tool must not trust what it sees, on emulated laptops, checked
//! from outside: a stick whose data partition cannot be mounted (automatic mode must not write
//! a byte: the certificate would have nowhere to go), and a donor's disk carrying a REPRISE
//! partition with its own settings (it must not configure the run; interactive mode waits for
//! the operator, who declines: nothing is written).

use std::fs;
use std::time::Duration;

use anyhow::{Result, ensure};
use reprise_e2e::{Firmware, Stick, Vm, donor_disk_with_reprise_partition, gpt_partition, outputs};

const DISK_SIZE: usize = 32 << 20;
const TIMEOUT: Duration = Duration::from_secs(600);

/// Deterministic non-zero bytes: the disks' previous "user data".
fn old_data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed | 1)
        .collect()
}

#[test]
fn automatic_mode_writes_nothing_when_the_sticks_data_partition_cannot_be_mounted() -> Result<()> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let stick = Stick::configured(&out, dir.path(), "reprise.operator=E2E\n")?;
    // Break the data partition's FAT boot sector: the partition is there, it cannot be mounted.
    let (offset, _) = gpt_partition(&stick.path, 3)?;
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = fs::OpenOptions::new().write(true).open(&stick.path)?;
        f.seek(SeekFrom::Start(offset))?;
        f.write_all(&[0u8; 512])?;
    }
    let before = fs::read(&stick.path)?;
    let nvme = dir.path().join("nvme.img");
    let nvme_old = old_data(DISK_SIZE, 0x5a);
    fs::write(&nvme, &nvme_old)?;
    // As GRUB's "automatic Clear + power off" entry would start it (BOOT_IMAGE= included).
    let run = Vm::new(dir.path(), Firmware::Bios)
        .kernel(
            &out.vmlinuz_bios(),
            &out.initrd(),
            "BOOT_IMAGE=/boot/vmlinuz-bios console=ttyS0,115200 quiet reprise.auto=clear reprise.poweroff=1 reprise.wait=5",
        )
        .usb_stick(&stick.path)
        .nvme(&nvme, "TRUST-NVME-1")
        .run_until_finished(TIMEOUT)?;
    ensure!(
        run.serial
            .contains("cannot be mounted: settings from the command line only"),
        "init should say the data partition could not be mounted:\n{}",
        run.serial
    );
    ensure!(
        run.serial.contains("NOTHING WAS WRITTEN: the stick's data partition sda3 is not mounted on /run/reprise/data"),
        "the agent should refuse and say why:\n{}",
        run.serial
    );
    ensure!(
        run.agent_status == Some(1) && run.serial.contains("not powering off"),
        "a refused run stays on screen (status {:?})",
        run.agent_status
    );
    ensure!(fs::read(&nvme)? == nvme_old, "the NVMe disk was written");
    ensure!(
        fs::read(&stick.path)? == before,
        "the stick was written (it must be left exactly as it was)"
    );
    Ok(())
}

/// Init's own question at the end of a run that wrote no choice.
const ASKED: &str = "reprise-init: End of the run / Fin : Enter = power off";

#[test]
fn a_donor_disk_never_configures_the_run_and_a_declined_run_writes_nothing() -> Result<()> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    // The operator's stick: interactive, English, no power-off.
    let stick = Stick::configured(&out, dir.path(), "reprise.lang=en\nreprise.operator=E2E\n")?;
    let sata = dir.path().join("donor.img");
    donor_disk_with_reprise_partition(
        &sata,
        &old_data(DISK_SIZE, 0x33),
        "reprise.auto=clear\nreprise.poweroff=1\nreprise.operator=DONOR\n",
    )?;
    let donor_before = fs::read(&sata)?;
    // The laptop's SD card reader holds a copy of the image with a donor's settings: two disks
    // carry the image, so nothing is read from either until the operator says which one booted.
    let sd_dir = dir.path().join("sd");
    fs::create_dir(&sd_dir)?;
    let sd = Stick::configured(
        &out,
        &sd_dir,
        "reprise.auto=clear\nreprise.poweroff=1\nreprise.operator=DONOR-SD\nreprise.lang=fr\n",
    )?;
    let mut vm = Vm::new(dir.path(), Firmware::Bios);
    vm.usb_stick(&stick.path)
        .ahci(&sata, "DONOR-SATA-1")
        .sd_card(&sd.path)?;
    let sd_before = fs::read(&sd.path)?;
    let run = vm
        // The USB stick is listed first: the operator types 1.
        .press_after("Number / Numéro: ", &["1", "ret"])
        // The operator reads the plan on the first screen and leaves: Esc, then Enter.
        .press_after("reprise: screen machine", &["esc", "ret"])
        // A run left before its end wrote no choice: init asks on the laptop's screen, never a
        // root shell. The operator types the documented word for the maintenance shell, leaves
        // it with exit — which comes back to the choice, no reboot — then types r, Enter:
        // reboot (QEMU, -no-reboot, then exits).
        .type_after(ASKED, "shell\r")
        .type_after(
            "reprise-init: maintenance shell (root): type exit",
            "exit\r",
        )
        .type_after_nth(ASKED, 2, "r\r")
        .run(TIMEOUT)?;
    ensure!(
        run.serial.matches(ASKED).count() == 2,
        "init did not ask again once the shell was left:\n{}",
        run.serial
    );
    ensure!(
        run.serial
            .contains("reprise-init: agent finished (status 4)")
            && !run.serial.contains("(status 4); the operator chose")
            && run
                .serial
                .contains("reprise-init: rebooting (the operator's choice)"),
        "init did not ask, or did not reboot as answered:\n{}",
        run.serial
    );
    ensure!(
        !run.serial.contains("shell = maintenance shell"),
        "a shell was listed without reprise.shell=1:\n{}",
        run.serial
    );
    ensure!(
        run.serial.contains(
            "Several disks carry the Reprise image. Which one did this laptop boot from?"
        ) && run.serial.contains("1) /dev/sda")
            && run.serial.contains("2) /dev/mmcblk0")
            && run
                .serial
                .contains("/dev/sda chosen as the boot medium by the operator."),
        "the operator was not asked which stick booted:\n{}",
        run.serial
    );
    ensure!(
        run.serial
            .contains("the operator chose this one as the boot medium"),
        "the run's log does not record why the stick is the boot medium:\n{}",
        run.serial
    );
    ensure!(
        fs::read(&sd.path)? == sd_before,
        "the SD card carrying a copy of the image was written"
    );
    ensure!(
        run.settings() == "lang=en keymap=us poweroff=0 operator=E2E site=unknown",
        "the donor's settings were used: {:?}\n{}",
        run.settings(),
        run.serial
    );
    ensure!(
        !run.serial.contains("DONOR\n") && !run.serial.contains("DONOR-SD"),
        "{}",
        run.serial
    );
    ensure!(
        run.serial.contains("Disks to sanitize (1):") && run.serial.contains("DONOR-SATA-1"),
        "the donor disk is a disk like any other, planned for wiping:\n{}",
        run.serial
    );
    ensure!(
        run.serial.contains("Nothing was written.") && run.agent_status == Some(4),
        "declining must end the run (status {:?}):\n{}",
        run.agent_status,
        run.serial
    );
    ensure!(
        fs::read(&sata)? == donor_before,
        "the donor disk was written although the operator declined"
    );
    ensure!(
        stick.unchanged_outside_data()?,
        "the stick changed outside its data partition"
    );
    Ok(())
}

#[test]
fn sigterm_cancels_an_automatic_run_which_certifies_cancelled_and_stays_on() -> Result<()> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let stick = Stick::configured(
        &out,
        dir.path(),
        "reprise.auto=clear\nreprise.poweroff=1\nreprise.operator=E2E\nreprise.lang=en\n",
    )?;
    let initrd = dir.path().join("initrd-tools.img");
    let mut bytes = fs::read(out.initrd())?;
    bytes.extend(fs::read(out.tools_overlay())?);
    fs::write(&initrd, bytes)?;
    let nvme = dir.path().join("nvme.img");
    let old = old_data(128 << 20, 0x44);
    fs::write(&nvme, &old)?;
    let run = Vm::new(dir.path(), Firmware::Bios)
        .kernel(
            &out.vmlinuz_bios(),
            &initrd,
            "BOOT_IMAGE=/boot/vmlinuz-bios console=ttyS0,115200 quiet reprise.test-sigterm=1",
        )
        .usb_stick(&stick.path)
        .nvme(&nvme, "TERM-NVME-1")
        .run_until_finished(TIMEOUT)?;
    ensure!(
        run.serial.contains("==== test-hook: SIGTERM sent ===="),
        "the test hook did not signal the agent:\n{}",
        run.serial
    );
    ensure!(
        run.agent_status == Some(4) && run.serial.contains("CANCELLED — not sanitized"),
        "a cancelled run exits 4 and says so (status {:?}):\n{}",
        run.agent_status,
        run.serial
    );
    ensure!(
        run.serial.contains("not powering off"),
        "a cancelled run must stay on screen:\n{}",
        run.serial
    );
    let names = stick.data.certificates()?;
    ensure!(names.len() == 1, "one certificate expected: {names:?}");
    let envelope: serde_json::Value =
        serde_json::from_slice(&stick.data.read(&format!("certs/{}", names[0]))?)?;
    let e = &envelope["certificate"]["sanitization"][0];
    ensure!(
        e["result"] == "cancelled"
            && e["sanitized"] == false
            && e["disposition"] == "sanitize_again",
        "{e:#}"
    );
    ensure!(
        stick.unchanged_outside_data()?,
        "the stick changed outside its data partition"
    );
    Ok(())
}
