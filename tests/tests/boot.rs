//! Boot tests: the live image boots under SeaBIOS (USB stick), OVMF, OVMF with Secure Boot
//! enforced, and over PXE, and reaches the agent. From a stick, an automatic run on a laptop
//! with a small NVMe disk wipes it, certifies and powers off; on a laptop where no internal
//! storage is found it writes nothing, signs nothing and stays on; over PXE with no stick and no
//! server, the automatic run refuses to start and the result stays on screen. Checked from
//! outside: the serial console, the stick's data partition (certificate and boot log written),
//! the rest of the stick unchanged.

use std::fs;
use std::time::Duration;

use anyhow::{Result, ensure};
use reprise_e2e::{Firmware, Outputs, Run, Stick, Vm, outputs};

/// Generous but bounded: firmware + GRUB + kernel under TCG on a loaded 2-core machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(300);

/// The laptop's disk where a boot test has one: 4 MiB, enough to be a disk, quick to wipe.
const DISK: usize = 4 << 20;

/// Boots a copy of the stick with `firmware` and checks what every boot must show.
fn boot_stick(firmware: Firmware) -> Result<(tempfile::TempDir, Run)> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    // Automatic mode: nothing waits for a keystroke. The laptop's disk is small, its wipe quick.
    let stick = Stick::configured(
        &out,
        dir.path(),
        "# written by the e2e test\nreprise.poweroff=1\nreprise.auto=clear\n",
    )?;
    let data = &stick.data;
    let nvme = dir.path().join("nvme.img");
    fs::write(&nvme, vec![0x5au8; DISK])?;

    let run = Vm::new(dir.path(), firmware)
        .usb_stick(&stick.path)
        .nvme(&nvme, "BOOT-NVME-1")
        .run(BOOT_TIMEOUT)?;
    check_reached_agent(
        &out,
        &run,
        "lang=en keymap=us auto=clear poweroff=1 operator=unknown site=unknown",
    )?;
    ensure!(
        run.serial
            .contains("reprise-init: data partition /dev/sda3 of the boot medium mounted"),
        "the data partition was not found on the USB stick:\n{}",
        run.serial
    );
    let certs = data.list("certs")?;
    ensure!(
        certs.iter().filter(|n| n.ends_with(".json")).count() == 1,
        "one certificate expected on the stick: {certs:?}"
    );
    ensure!(
        fs::read(&nvme)?.iter().all(|&b| b == 0),
        "the laptop's disk was not cleared to zeros"
    );
    ensure!(
        run.serial.contains("reprise-init: powering off"),
        "init did not power off as reprise.conf asked:\n{}",
        run.serial
    );
    // Drivers loaded by init (the USB controller's and vfat with the stick's, the network
    // card's by coldplug) and by hotplug: the virtio RNG's device only appears once virtio_pci
    // has probed, so only mdev can load its driver.
    let drivers = run
        .serial
        .lines()
        .find_map(|l| l.strip_prefix("reprise-init: drivers loaded: "))
        .unwrap_or_default()
        .split(' ')
        .collect::<Vec<_>>();
    for driver in [
        "xhci_pci",
        "usb_storage",
        "sd_mod",
        "vfat",
        "e1000e",
        "virtio_rng",
    ] {
        ensure!(
            drivers.contains(&driver),
            "{driver} not among the drivers loaded: {drivers:?}\n{}",
            run.serial
        );
    }
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

/// The banner names this build's image digest and the agent's version, and init started the
/// agent with these arguments (that it ran, each caller sees from what it left: a certificate,
/// its refusal).
/// Init started the agent, from the image it says, with `settings` resolved from the stick and
/// the command line.
fn check_reached_agent(out: &Outputs, run: &Run, settings: &str) -> Result<()> {
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
        "init did not name the agent's version (no `{version}`):\n{}",
        run.serial
    );
    let command = "reprise run --data /run/reprise/data";
    ensure!(
        run.serial
            .contains(&format!("reprise-init: starting: {command}")),
        "init did not start `{command}`:\n{}",
        run.serial
    );
    ensure!(
        run.settings() == settings,
        "settings {:?}, expected {settings:?}:\n{}",
        run.settings(),
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
    for f in [out.vmlinuz(), out.vmlinuz_bios(), out.initrd()] {
        fs::copy(&f, tftp.join(f.file_name().expect("file name")))?;
    }
    // The shipped script, in automatic mode with power-off: with no stick and no server, the
    // certificate would have nowhere to go, so the agent must refuse before writing anything,
    // and the machine must stay on with the reason on screen.
    let script = fs::read_to_string(out.boot_ipxe())?;
    ensure!(
        script.starts_with("#!ipxe"),
        "boot.ipxe is not an iPXE script"
    );
    let script = script.replace(" ip=dhcp", " ip=dhcp reprise.poweroff=1 reprise.auto=clear");
    ensure!(
        script.contains("reprise.poweroff=1"),
        "boot.ipxe has no kernel line to extend"
    );
    fs::write(tftp.join("boot.ipxe"), script)?;

    let run = Vm::new(dir.path(), Firmware::Bios)
        .pxe(&tftp, "boot.ipxe")
        .run_until_finished(BOOT_TIMEOUT)?;
    check_reached_agent(
        &out,
        &run,
        "lang=en keymap=us auto=clear poweroff=1 operator=unknown site=unknown",
    )?;
    ensure!(
        run.serial
            .contains("no boot medium: the kernel was not loaded from a disk (network boot): settings from the command line only"),
        "PXE boot without a stick should run without a data partition:\n{}",
        run.serial
    );
    ensure!(
        run.serial.contains("NOTHING WAS WRITTEN: no Reprise stick was found among the disks, and no workshop server is configured"),
        "the automatic run should refuse without a home for its certificate:\n{}",
        run.serial
    );
    ensure!(
        run.agent_status == Some(1) && run.serial.contains("reprise-init: not powering off"),
        "a refused run must not power off (status {:?}):\n{}",
        run.agent_status,
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
    // Automatic mode on a laptop whose only disk is the (protected) stick, as a laptop in RAID
    // or VMD mode shows itself without the driver: the run must stop, sign nothing, stay on.
    let stick = Stick::configured(
        &out,
        dir.path(),
        "# operator and site from the stick\r\nreprise.operator=Camille Martin\r\nreprise.site=Site du stick\r\nreprise.lang=en\r\nreprise.auto=clear\r\n",
    )?;
    // BOOT_IMAGE= is what GRUB puts on the command line when it loads the kernel from the stick.
    let run = Vm::new(dir.path(), Firmware::Bios)
        .kernel(
            &out.vmlinuz_bios(),
            &out.initrd(),
            "BOOT_IMAGE=/boot/vmlinuz-bios console=ttyS0,115200 quiet reprise.poweroff=1 reprise.lang=fr \"reprise.site=Lycee Jean Moulin\"",
        )
        .usb_stick(&stick.path)
        .run_until_finished(BOOT_TIMEOUT)?;
    ensure!(
        stick.unchanged_outside_data()?,
        "the stick changed outside its data partition"
    );
    ensure!(
        run.serial.contains("reprise-init: keymap fr"),
        "reprise.lang=fr did not load the French keymap:\n{}",
        run.serial
    );
    ensure!(
        run.settings()
            == "lang=fr keymap=fr auto=clear poweroff=1 operator=Camille Martin \
                site=Lycee Jean Moulin",
        "settings not merged as documented (the command line wins over reprise.conf): {:?}\n{}",
        run.settings(),
        run.serial
    );
    ensure!(
        run.serial
            .contains("NO INTERNAL STORAGE FOUND: nothing is written, no certificate is signed."),
        "a run with no internal storage did not stop saying so:\n{}",
        run.serial
    );
    ensure!(
        stick
            .data
            .list("certs")
            .map(|c| !c.iter().any(|n| n.ends_with(".json")))
            .unwrap_or(true),
        "a certificate was signed for a laptop whose storage was never seen"
    );
    // reprise.poweroff=1 (command line) was read, and a run that found no storage stays on.
    ensure!(
        run.agent_status == Some(3)
            && run
                .serial
                .contains("reprise-init: not powering off: the agent did not succeed (status 3)"),
        "a run with no internal storage must end with status 3 and stay on (status {:?}):\n{}",
        run.agent_status,
        run.serial
    );
    Ok(())
}
