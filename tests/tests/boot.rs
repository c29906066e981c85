//! Boot tests: the live image boots under SeaBIOS (USB stick), OVMF, OVMF with Secure Boot
//! enforced, and over PXE, reaches the agent, and powers off by itself. Checked from outside:
//! the serial console, the stick's data partition (boot log written), the rest of the stick
//! unchanged.

use std::fs;
use std::time::Duration;

use anyhow::{Result, ensure};
use reprise_e2e::{DataPartition, Firmware, Outputs, Run, Stick, Vm, copy_stick, outputs};

/// Generous but bounded: firmware + GRUB + kernel under TCG on a loaded 2-core machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(300);

/// Boots a copy of the stick with `firmware` and checks what every boot must show.
fn boot_stick(firmware: Firmware) -> Result<(tempfile::TempDir, Run)> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    // `reprise probe` never waits for a keystroke (the serial console here has no keyboard).
    let stick = Stick::configured(
        &out,
        dir.path(),
        "# written by the e2e test\nreprise.poweroff=1\nreprise.cmd=probe\n",
    )?;
    let data = &stick.data;

    let run = Vm::new(dir.path(), firmware)
        .usb_stick(&stick.path)
        .run(BOOT_TIMEOUT)?;
    check_reached_agent(&out, &run)?;
    ensure!(
        run.serial.contains("reprise-init: data partition /dev/sd"),
        "the data partition was not found on the USB stick:\n{}",
        run.serial
    );
    ensure!(
        run.serial.contains("reprise-init: powering off"),
        "init did not power off as reprise.conf asked:\n{}",
        run.serial
    );
    let logs = data.list("logs")?;
    ensure!(
        logs.iter()
            .any(|n| n.starts_with("boot-") && n.ends_with(".log")),
        "no boot log on the data partition: {logs:?}"
    );
    ensure!(
        stick.unchanged_outside_data()?,
        "the stick changed outside its data partition"
    );
    Ok((dir, run))
}

/// The banner names this build's image digest and the agent (static binary) ran in the guest.
fn check_reached_agent(out: &Outputs, run: &Run) -> Result<()> {
    let digest = out.image_digest()?;
    ensure!(
        run.serial
            .contains(&format!("reprise-init: Reprise live image {digest}")),
        "init banner with image digest {digest} missing:\n{}",
        run.serial
    );
    let version = format!("reprise-init: reprise {}", env!("CARGO_PKG_VERSION"));
    ensure!(
        run.serial.contains(&version),
        "the agent did not run (no `{version}`):\n{}",
        run.serial
    );
    ensure!(
        run.serial.contains("reprise-init: starting: reprise probe")
            && run.serial.contains("==== reprise cmd end (status "),
        "init did not run `reprise probe` (reprise.cmd):\n{}",
        run.serial
    );
    Ok(())
}

#[test]
fn seabios_boots_the_usb_stick_to_the_agent() -> Result<()> {
    let (_dir, run) = boot_stick(Firmware::Bios)?;
    ensure!(
        run.serial.contains("Secure boot unknown (legacy BIOS)"),
        "expected a legacy boot:\n{}",
        run.serial
    );
    Ok(())
}

#[test]
fn uefi_boots_the_usb_stick_to_the_agent() -> Result<()> {
    let (_dir, run) = boot_stick(Firmware::Uefi)?;
    ensure!(
        run.serial.contains("reprise-init: Secure boot disabled"),
        "expected UEFI without Secure Boot:\n{}",
        run.serial
    );
    Ok(())
}

#[test]
fn uefi_secure_boot_boots_the_signed_chain() -> Result<()> {
    let (_dir, run) = boot_stick(Firmware::SecureBoot)?;
    // Secure Boot on, kernel lockdown on, and the USB stick was found: Debian's signed
    // modules (xhci, usb-storage, sd_mod, vfat) loaded under lockdown.
    ensure!(
        run.serial
            .contains("reprise-init: Secure boot enabled, lockdown: integrity"),
        "Secure Boot or lockdown not reported:\n{}",
        run.serial
    );
    Ok(())
}

#[test]
fn pxe_boots_kernel_and_initrd_to_the_agent() -> Result<()> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let tftp = dir.path().join("tftp");
    fs::create_dir(&tftp)?;
    for f in [out.vmlinuz(), out.initrd()] {
        fs::copy(&f, tftp.join(f.file_name().expect("file name")))?;
    }
    // The shipped script, plus power-off so that the test ends by itself.
    let script = fs::read_to_string(out.boot_ipxe())?;
    ensure!(
        script.starts_with("#!ipxe"),
        "boot.ipxe is not an iPXE script"
    );
    let script = script.replace(
        "reprise.wait=3",
        "reprise.wait=3 reprise.poweroff=1 reprise.cmd=probe",
    );
    ensure!(
        script.contains("reprise.poweroff=1"),
        "boot.ipxe has no kernel line to extend"
    );
    fs::write(tftp.join("boot.ipxe"), script)?;

    let run = Vm::new(dir.path(), Firmware::Bios)
        .pxe(&tftp, "boot.ipxe")
        .run(BOOT_TIMEOUT)?;
    check_reached_agent(&out, &run)?;
    ensure!(
        run.serial
            .contains("reprise-init: no partition labelled REPRISE"),
        "PXE boot without a stick should run without a data partition:\n{}",
        run.serial
    );
    ensure!(
        run.serial.contains("reprise-init: network eth0 up"),
        "ip=dhcp did not bring the network up:\n{}",
        run.serial
    );
    Ok(())
}

#[test]
fn settings_come_from_reprise_conf_and_the_command_line_wins() -> Result<()> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let stick = copy_stick(&out, dir.path())?;
    // Automatic mode with no disk but the (protected) stick: nothing waits for a keystroke.
    DataPartition::of(&stick)?.write(
        "reprise.conf",
        "# operator and site from the stick\r\nreprise.operator=Camille Martin\r\nreprise.site=Site du stick\r\nreprise.lang=en\r\nreprise.auto=clear\r\n",
        dir.path(),
    )?;
    let run = Vm::new(dir.path(), Firmware::Bios)
        .kernel(
            &out.vmlinuz(),
            &out.initrd(),
            "console=ttyS0,115200 quiet reprise.poweroff=1 reprise.lang=fr \"reprise.site=Lycee Jean Moulin\"",
        )
        .usb_stick(&stick)
        .run(BOOT_TIMEOUT)?;
    ensure!(
        run.serial.contains("reprise-init: keymap fr"),
        "reprise.lang=fr did not load the French keymap:\n{}",
        run.serial
    );
    ensure!(
        run.serial.contains(
            "reprise-init: starting: reprise run --data /run/reprise/data --lang fr --auto clear \
             --operator Camille Martin --site Lycee Jean Moulin"
        ),
        "settings not merged as documented:\n{}",
        run.serial
    );
    ensure!(
        run.serial.contains("reprise-init: powering off"),
        "reprise.poweroff=1 (command line) did not power off after the agent:\n{}",
        run.serial
    );
    Ok(())
}
