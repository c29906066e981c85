//! The family's system, end to end: the test's family image (`reprise_e2e::family`) boots on
//! its own from an NVMe disk under UEFI — the baseline that an install is later compared with.

use std::time::Duration;

use anyhow::{Result, ensure};
use reprise_e2e::family::{self, BOOTED, DONE, HOME_LINE, VERSION_LINE};
use reprise_e2e::{Firmware, Vm, outputs};

#[test]
fn the_family_image_boots_on_its_own_from_an_nvme_disk() -> Result<()> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let image = family::family_image(&out, &dir.path().join("family"), "1.0")?;
    let vm_dir = dir.path().join("vm");
    std::fs::create_dir(&vm_dir)?;
    let mut vm = Vm::new(&vm_dir, Firmware::Uefi);
    vm.nvme(&image.raw, "FAMILY-NVME");
    let run = vm.run(Duration::from_secs(120))?;
    let home = format!(
        "{HOME_LINE}partition {} sectors, ext4 {} blocks of 4096 bytes",
        image.home_bytes / 512,
        image.home_bytes / 4096
    );
    for line in [
        BOOTED,
        &format!("{VERSION_LINE}{}", image.version),
        &home,
        DONE,
    ] {
        ensure!(
            run.serial.contains(line),
            "no {line:?} on the family system's console:\n{}",
            reprise_e2e::tail(&run.serial, 40)
        );
    }
    let home_part = reprise_e2e::gpt_partition(&image.raw, 2)?;
    ensure!(
        family::ext4_size(&image.raw, home_part.0)? == image.home_bytes,
        "the home partition's ext4 is not the size it was built with"
    );
    let marker = family::ext4_file(&image.raw, home_part, "/family-marker", dir.path())?;
    ensure!(marker == image.marker, "marker {marker:?}");
    Ok(())
}
