//! What the built image offers, read from the outputs alone (no boot): the stick's boot menus
//! under UEFI (GRUB) and legacy BIOS (SYSLINUX) offer a safe-graphics entry for laptops whose
//! screen stays black, the same boot otherwise; and the initramfs carries the drivers of the
//! workshop's real laptops — USB Ethernet adapters, CPU temperature sensors, Intel VMD — with
//! every module they depend on, each found by a kind of alias init's coldplug reads.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, ensure};
use reprise_e2e::{gpt_partition, outputs};

/// A file of the stick's ESP (GPT partition 2, FAT), read with mtools.
fn esp_file(img: &Path, path: &str) -> Result<String> {
    let (offset, _) = gpt_partition(img, 2)?;
    let out = Command::new("mcopy")
        .arg("-n")
        .arg("-i")
        .arg(format!("{}@@{offset}", img.display()))
        .arg(format!("::{path}"))
        .arg("-")
        .env("MTOOLS_SKIP_CHECK", "1")
        .output()
        .context("running mcopy (mtools)")?;
    ensure!(
        out.status.success(),
        "mcopy {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

/// GRUB's menu entries: (title, lines of the body, trimmed).
fn grub_entries(cfg: &str) -> Vec<(String, Vec<String>)> {
    let mut entries = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in cfg.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("menuentry \"") {
            let title = rest.split('"').next().unwrap_or_default().to_owned();
            current = Some((title, Vec::new()));
        } else if line == "}" {
            entries.extend(current.take());
        } else if let Some((_, body)) = current.as_mut() {
            body.push(line.to_owned());
        }
    }
    entries
}

fn line_starting<'a>(lines: &'a [String], prefix: &str) -> Option<&'a str> {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .map(str::trim)
}

/// SYSLINUX's labels: (label, APPEND line).
fn syslinux_labels(cfg: &str) -> Vec<(String, String)> {
    let mut labels = Vec::new();
    let mut label = None;
    for line in cfg.lines().map(str::trim) {
        if let Some(l) = line.strip_prefix("LABEL ") {
            label = Some(l.trim().to_owned());
        } else if let (Some(l), Some(append)) = (&label, line.strip_prefix("APPEND ")) {
            labels.push((l.clone(), append.trim().to_owned()));
            label = None;
        }
    }
    labels
}

#[test]
fn the_stick_offers_safe_graphics_under_uefi_and_legacy_bios() -> Result<()> {
    let out = outputs()?;
    let img = out.reprise_img();

    // UEFI: Debian's GRUB reads EFI/debian/grub.cfg (its copy in EFI/BOOT is the same).
    let grub = esp_file(&img, "EFI/debian/grub.cfg")?;
    ensure!(
        esp_file(&img, "EFI/BOOT/grub.cfg")? == grub,
        "the two copies of GRUB's menu differ"
    );
    let entries = grub_entries(&grub);
    let (first_title, first) = entries.first().context("no GRUB menu entry")?;
    ensure!(first_title == "Reprise", "first entry {first_title:?}");
    let normal = line_starting(first, "linux ").context("no linux line")?;
    let safe: Vec<_> = entries
        .iter()
        .filter(|(t, _)| t.to_lowercase().contains("safe graphics"))
        .collect();
    ensure!(
        safe.len() == 1,
        "one safe-graphics entry in GRUB's menu:\n{grub}"
    );
    let (_, body) = safe[0];
    ensure!(
        line_starting(body, "linux ") == Some(&format!("{normal} nomodeset")),
        "the safe entry boots the first one's kernel and options, plus nomodeset:\n{grub}"
    );
    ensure!(
        line_starting(body, "initrd ") == line_starting(first, "initrd "),
        "the safe entry boots the same initramfs:\n{grub}"
    );
    ensure!(
        body.iter().any(|l| l == "set gfxpayload=keep"),
        "GRUB keeps the firmware's screen mode for the safe entry:\n{grub}"
    );
    for (title, body) in &entries {
        let safe_one = title.to_lowercase().contains("safe graphics");
        let has = line_starting(body, "linux ").is_some_and(|l| l.contains(" nomodeset"));
        ensure!(
            has == safe_one,
            "nomodeset only in the safe entry ({title:?})"
        );
    }

    // Legacy BIOS: SYSLINUX's prompt, keys that are digits (the same place on AZERTY and
    // QWERTY), each listed on the screen it shows.
    let syslinux = esp_file(&img, "syslinux/syslinux.cfg")?;
    let screen = esp_file(&img, "syslinux/boot.txt")?;
    let labels = syslinux_labels(&syslinux);
    ensure!(!labels.is_empty(), "no SYSLINUX label:\n{syslinux}");
    for (label, _) in &labels {
        ensure!(
            label.len() == 1 && label.chars().all(|c| c.is_ascii_digit()),
            "SYSLINUX label {label:?} is not one digit"
        );
        ensure!(
            screen
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{label} "))),
            "label {label} is not on the prompt's screen:\n{screen}"
        );
    }
    let normal = &labels[0].1;
    let safe: Vec<_> = labels
        .iter()
        .filter(|(_, a)| a.split_whitespace().any(|w| w == "nomodeset"))
        .collect();
    ensure!(
        safe.len() == 1 && safe[0].1 == format!("{normal} nomodeset"),
        "one SYSLINUX label boots the first one's options plus nomodeset:\n{syslinux}"
    );
    let key = &safe[0].0;
    ensure!(
        screen
            .lines()
            .any(|l| l.trim_start().starts_with(&format!("{key} "))
                && l.to_lowercase().contains("safe graphics")),
        "the prompt's screen names key {key} safe graphics:\n{screen}"
    );
    // The kernel options of the stick's first entries are the same under UEFI and BIOS.
    ensure!(
        normal.strip_prefix("initrd=/boot/initrd.img ")
            == first
                .iter()
                .find_map(|l| l.strip_prefix("linux /boot/vmlinuz ")),
        "GRUB and SYSLINUX boot with different options:\n{grub}\n{syslinux}"
    );
    Ok(())
}

/// The paths of the initramfs (`lz4 -dc | cpio -it`), and the text of the files `wanted`
/// ("/NAME": a file of that name anywhere; "PATH": from the root).
fn initrd(path: &Path, wanted: &[&str]) -> Result<(BTreeSet<String>, Vec<String>)> {
    let unpacked = Command::new("lz4")
        .args(["-dc"])
        .arg(path)
        .output()
        .context("running lz4")?;
    ensure!(unpacked.status.success(), "lz4 -dc {}", path.display());
    let cpio = |args: &[&str]| -> Result<Vec<u8>> {
        let mut child = Command::new("cpio")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("running cpio")?;
        let mut stdin = child.stdin.take().context("cpio stdin")?;
        let bytes = unpacked.stdout.clone();
        let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &bytes));
        let out = child.wait_with_output()?;
        writer.join().map_err(|_| anyhow::anyhow!("writer"))??;
        ensure!(out.status.success(), "cpio {args:?}");
        Ok(out.stdout)
    };
    let list: BTreeSet<String> = String::from_utf8(cpio(&["-it", "--quiet"])?)?
        .lines()
        .map(|l| l.trim_start_matches("./").to_owned())
        .collect();
    let mut texts = Vec::new();
    for w in wanted {
        // "/NAME": the file of that name anywhere; "PATH": that path from the root.
        let name = list
            .iter()
            .find(|p| {
                if w.starts_with('/') {
                    p.ends_with(w)
                } else {
                    p == w
                }
            })
            .with_context(|| format!("no {w} in the initramfs"))?;
        texts.push(String::from_utf8(cpio(&[
            "-i",
            "--quiet",
            "--to-stdout",
            name,
        ])?)?);
    }
    Ok((list, texts))
}

#[test]
fn the_image_ships_the_drivers_of_real_laptops_with_their_dependencies() -> Result<()> {
    let out = outputs()?;
    let (files, texts) = initrd(&out.initrd(), &["/modules.dep", "/modules.alias", "init"])?;
    let (dep, alias) = (&texts[0], &texts[1]);
    let modules_dir = files
        .iter()
        .find_map(|p| p.strip_suffix("/modules.dep"))
        .context("no modules.dep")?
        .to_owned();
    // name -> (path, dependencies), from the initramfs's own modules.dep.
    let deps: Vec<(String, String, Vec<String>)> = dep
        .lines()
        .filter_map(|l| {
            let (path, rest) = l.split_once(':')?;
            let name = Path::new(path)
                .file_name()?
                .to_str()?
                .trim_end_matches(".ko")
                .replace('-', "_");
            Some((
                name,
                path.to_owned(),
                rest.split_whitespace().map(str::to_owned).collect(),
            ))
        })
        .collect();
    // (module, the kinds of hardware alias that load it)
    for (module, kinds) in [
        ("r8152", &["usb"][..]),
        ("cdc_ether", &["usb"]),
        ("cdc_ncm", &["usb"]),
        ("ax88179_178a", &["usb"]),
        ("asix", &["usb"]),
        ("vmd", &["pci"]),
        ("k10temp", &["pci"]),
        // Found by the CPU's modalias, which coldplug reads (image/init).
        ("coretemp", &["cpu"]),
    ] {
        let (_, path, needs) = deps
            .iter()
            .find(|(n, _, _)| n == module)
            .with_context(|| format!("{module} is not in the initramfs's modules.dep"))?;
        for p in std::iter::once(path).chain(needs) {
            ensure!(
                files.contains(&format!("{modules_dir}/{p}")),
                "{module}: {p} is not in the initramfs"
            );
        }
        let found: BTreeSet<&str> = alias
            .lines()
            .filter(|l| l.ends_with(&format!(" {module}")))
            .filter_map(|l| l.split_whitespace().nth(1)?.split(':').next())
            .collect();
        ensure!(
            !found.is_empty() && found.iter().all(|k| kinds.contains(k)),
            "{module} is found by {found:?} aliases, expected {kinds:?}"
        );
    }
    // coretemp's only alias is the CPU's: init's coldplug must read it.
    ensure!(
        texts[2].contains("/sys/devices/system/cpu/modalias"),
        "init's coldplug does not read the CPU's modalias: coretemp would never load"
    );
    Ok(())
}
