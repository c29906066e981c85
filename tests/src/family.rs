//! The family's system as a workshop would prepare it, small enough for a test: a raw GPT disk
//! image that boots on its own under UEFI (Debian's signed shim and GRUB, the live image's
//! kernel, an initramfs whose `/init` reports what it sees and powers off), with an ext4 data
//! partition last, so that an install can be checked by booting the laptop from its own disk.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use crate::{Outputs, gpt_partition, run};

/// What the installed system prints on its serial console when it has booted.
pub const BOOTED: &str = "family-system: booted";
/// The line that precedes the image's version (baked into its `/init`).
pub const VERSION_LINE: &str = "family-system: version ";
/// The line that says the size of its last partition and of the ext4 filesystem in it, as the
/// installed system reads them (sysfs, the superblock): the live image's kernel has no ext4
/// driver, so the system reads its superblock rather than mounting it.
pub const HOME_LINE: &str = "family-system: home: ";
/// The line that gives the kernel's lockdown state (`/sys/kernel/security/lockdown`): Debian's
/// kernel locks itself down (`[integrity]`) when the firmware booted it under Secure Boot, so
/// the line proves the whole chain — shim, GRUB, kernel — was verified on the laptop's disk.
pub const LOCKDOWN_LINE: &str = "family-system: lockdown: ";
/// Its last line, before it powers off.
pub const DONE: &str = "family-system: done";

/// The FAT volume id of the image's ESP (GRUB finds its root by it).
const ESP_VOLID: &str = "FA3117E5";
const ESP_MIB: u64 = 28;
const HOME_MIB: u64 = 8;

/// A bootable family image: the raw disk image, its zstd-compressed copy, what it holds.
#[derive(Debug, Clone)]
pub struct FamilyImage {
    pub raw: PathBuf,
    pub zst: PathBuf,
    /// `sha256:<hex>` of the raw bytes.
    pub sha256: String,
    /// The text of `/family-marker` on its ext4 partition (read back with `debugfs`).
    pub marker: String,
    /// The version its console prints.
    pub version: String,
    /// Byte offset of the end of its last partition (exclusive): the smallest disk it fits.
    pub last_partition_end: u64,
    /// Size of its ext4 partition, in bytes, as built.
    pub home_bytes: u64,
}

fn utf8(p: &Path) -> Result<&str> {
    p.to_str()
        .with_context(|| format!("not UTF-8: {}", p.display()))
}

/// The initramfs overlay: `/init` replaced by the family system's (the live image's initramfs
/// below it brings busybox, modprobe and the kernel's modules).
fn overlay(dir: &Path, version: &str) -> Result<PathBuf> {
    let root = dir.join("overlay");
    fs::create_dir_all(&root)?;
    fs::write(
        root.join("init"),
        format!(
            "#!/bin/sh\n\
             export PATH=/bin:/sbin\n\
             mount -t proc proc /proc\n\
             mount -t sysfs sysfs /sys\n\
             mount -t devtmpfs devtmpfs /dev\n\
             echo \"{BOOTED} from $(cat /proc/cmdline)\"\n\
             echo '{VERSION_LINE}{version}'\n\
             mount -t securityfs securityfs /sys/kernel/security\n\
             echo \"{LOCKDOWN_LINE}$(cat /sys/kernel/security/lockdown || echo unknown)\"\n\
             modprobe -q nvme\n\
             i=0\n\
             while [ ! -b /dev/nvme0n1p2 ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done\n\
             sb() {{ dd if=/dev/nvme0n1p2 bs=1024 skip=1 count=1 2>/dev/null | od -A n -t u4 -j $1 -N 4 | tr -d ' '; }}\n\
             echo \"{HOME_LINE}partition $(cat /sys/class/block/nvme0n1p2/size) sectors, \
             ext4 $(sb 4) blocks of $((1024 << $(sb 24))) bytes\"\n\
             echo '{DONE}'\n\
             poweroff -f\n"
        ),
    )?;
    run("chmod", &["0755", utf8(&root.join("init"))?])?;
    let cpio = dir.join("family.cpio.lz4");
    let out = Command::new("sh")
        .arg("-c")
        // Compressed like the live image's own test overlay: the kernel unpacks an archive
        // appended to a compressed one only if it is compressed too ("Decoding failed").
        .arg("find . | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0 | lz4 -l -q")
        .current_dir(&root)
        .output()
        .context("running cpio")?;
    ensure!(
        out.status.success(),
        "cpio: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::write(&cpio, out.stdout)?;
    Ok(cpio)
}

/// Builds the family image in `dir` from the live image's outputs: `version` goes into its
/// marker file, so that two builds can differ.
pub fn family_image(out: &Outputs, dir: &Path, version: &str) -> Result<FamilyImage> {
    fs::create_dir_all(dir)?;
    // Shim and Debian's signed (disk) GRUB, taken from the stick's ESP (partition 2).
    let stick = out.reprise_img();
    let (esp_offset, _) = gpt_partition(&stick, 2)?;
    let stick_esp = format!("{}@@{esp_offset}", utf8(&stick)?);
    let shim = dir.join("BOOTX64.EFI");
    let grub = dir.join("grubx64.efi");
    for (from, to) in [
        ("::EFI/BOOT/BOOTX64.EFI", &shim),
        ("::EFI/BOOT/grubx64.efi", &grub),
    ] {
        run("mcopy", &["-o", "-n", "-i", &stick_esp, from, utf8(to)?])?;
    }
    let volid = format!("{}-{}", &ESP_VOLID[..4], &ESP_VOLID[4..]);
    let grub_cfg = dir.join("grub.cfg");
    fs::write(
        &grub_cfg,
        format!(
            "serial --unit=0 --speed=115200\n\
             terminal_input console serial\n\
             terminal_output console serial\n\
             set timeout=0\n\
             search --no-floppy --fs-uuid --set=root {volid}\n\
             linux /boot/vmlinuz console=ttyS0,115200 quiet\n\
             initrd /boot/initrd.img\n\
             boot\n"
        ),
    )?;
    // One initramfs file: the live image's, then the overlay. GRUB pads each file it is given to
    // 4 bytes, and the kernel's LZ4 (legacy) decoder reads that padding as a broken block.
    let mut initrd_bytes = fs::read(out.initrd())?;
    initrd_bytes.extend(fs::read(overlay(dir, version)?)?);
    let initrd = dir.join("initrd.img");
    fs::write(&initrd, initrd_bytes)?;

    // The ESP: FAT16, shim as the removable-media loader, GRUB and its configuration beside it
    // (Debian's GRUB reads grub.cfg from the directory it was loaded from), kernel, initramfs.
    let esp = dir.join("esp.fat");
    let _ = fs::remove_file(&esp);
    run(
        "mkfs.vfat",
        &[
            "-n",
            "FAMILY-EFI",
            "-i",
            ESP_VOLID,
            "-C",
            utf8(&esp)?,
            &(ESP_MIB * 1024).to_string(),
        ],
    )?;
    let esp_s = utf8(&esp)?;
    for d in ["::EFI", "::EFI/BOOT", "::EFI/debian", "::boot"] {
        run("mmd", &["-i", esp_s, d])?;
    }
    for (from, to) in [
        (shim.clone(), "::EFI/BOOT/BOOTX64.EFI"),
        (grub.clone(), "::EFI/BOOT/grubx64.efi"),
        (grub_cfg.clone(), "::EFI/BOOT/grub.cfg"),
        (grub_cfg.clone(), "::EFI/debian/grub.cfg"),
        (out.vmlinuz(), "::boot/vmlinuz"),
        (initrd.clone(), "::boot/initrd.img"),
    ] {
        run("mcopy", &["-i", esp_s, utf8(&from)?, to])?;
    }

    // The family's home: ext4, last on the disk, so that an install grows it to the disk's end.
    let home_dir = dir.join("home");
    fs::create_dir_all(&home_dir)?;
    let marker = format!("Reprise test family image {version}");
    fs::write(home_dir.join("family-marker"), &marker)?;
    let home = dir.join("home.ext4");
    let _ = fs::remove_file(&home);
    run(
        "mkfs.ext4",
        &[
            "-q",
            "-F",
            // 4 KiB blocks, as a real system's filesystem has (mke2fs picks 1 KiB for one so small).
            "-b",
            "4096",
            "-L",
            "family-home",
            "-d",
            utf8(&home_dir)?,
            "-E",
            "root_owner=0:0",
            utf8(&home)?,
            &format!("{HOME_MIB}M"),
        ],
    )?;

    // The disk: GPT, ESP first, home last, 1 MiB of slack for the backup table.
    let raw = dir.join("family.img");
    let esp_start = 2048u64;
    let esp_end = esp_start + ESP_MIB * 2048 - 1;
    let home_start = esp_end + 1;
    let home_end = home_start + HOME_MIB * 2048 - 1;
    let total = (home_end + 1 + 2048) * 512;
    let f = fs::File::create(&raw)?;
    f.set_len(total)?;
    drop(f);
    run(
        "sgdisk",
        &[
            "-n",
            &format!("1:{esp_start}:{esp_end}"),
            "-t",
            "1:EF00",
            "-c",
            "1:EFI",
            "-n",
            &format!("2:{home_start}:{home_end}"),
            "-t",
            "2:8300",
            "-c",
            "2:family-home",
            utf8(&raw)?,
        ],
    )?;
    let mut disk = fs::OpenOptions::new().write(true).open(&raw)?;
    for (part, start) in [(&esp, esp_start), (&home, home_start)] {
        let bytes = fs::read(part)?;
        disk.seek(SeekFrom::Start(start * 512))?;
        disk.write_all(&bytes)?;
    }
    disk.sync_all()?;
    drop(disk);

    let zst = dir.join("family.img.zst");
    run(
        "zstd",
        &["-q", "-f", "-T0", "-3", utf8(&raw)?, "-o", utf8(&zst)?],
    )?;
    let sum = String::from_utf8(run("sha256sum", &[utf8(&raw)?])?)?;
    let hex = sum.split_whitespace().next().context("sha256sum output")?;
    Ok(FamilyImage {
        raw,
        zst,
        sha256: format!("sha256:{hex}"),
        marker,
        version: version.to_owned(),
        last_partition_end: (home_end + 1) * 512,
        home_bytes: HOME_MIB << 20,
    })
}

/// Size in bytes of the ext4 filesystem starting at `offset` in `img` (its superblock's block
/// count × block size): how an install's growth is read back from outside.
pub fn ext4_size(img: &Path, offset: u64) -> Result<u64> {
    let mut f = fs::File::open(img).with_context(|| format!("opening {}", img.display()))?;
    let mut sb = [0u8; 1024];
    f.seek(SeekFrom::Start(offset + 1024))?;
    f.read_exact(&mut sb)?;
    let le32 = |at: usize| u64::from(u32::from_le_bytes(sb[at..at + 4].try_into().expect("4")));
    ensure!(
        u16::from_le_bytes([sb[0x38], sb[0x39]]) == 0xEF53,
        "{}: no ext4 superblock at {offset}",
        img.display()
    );
    let blocks = le32(0x04) | (le32(0x150) << 32);
    let block_size = 1024u64 << le32(0x18);
    Ok(blocks * block_size)
}

/// The text of file `path` in the ext4 filesystem at `offset` (`len` bytes) of `img`, read with
/// e2fsprogs' `debugfs` from a copy of the partition: what the installed system's files hold.
pub fn ext4_file(
    img: &Path,
    (offset, len): (u64, u64),
    path: &str,
    scratch: &Path,
) -> Result<String> {
    let mut f = fs::File::open(img).with_context(|| format!("opening {}", img.display()))?;
    f.seek(SeekFrom::Start(offset))?;
    let mut part = vec![0u8; usize::try_from(len)?];
    f.read_exact(&mut part)?;
    let copy = scratch.join("ext4-partition.img");
    fs::write(&copy, part)?;
    let text = run("debugfs", &["-R", &format!("cat {path}"), utf8(&copy)?])?;
    let _ = fs::remove_file(&copy);
    Ok(String::from_utf8(text)?)
}
