//! The BIOS kernel (`out/vmlinuz-bios`) is Debian's signed kernel in another wrapper: the same
//! payload byte for byte, the same banner, both in the image manifest. Checked here from the
//! outputs alone, with the stock `xz` and `zstd`, independently of `scripts/bios-kernel`'s own
//! check.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};
use reprise_e2e::outputs;

/// A bzImage's compressed payload and its banner, from the x86 boot protocol's setup header.
struct BzImage {
    payload: Vec<u8>,
    banner: String,
}

fn u16_at(b: &[u8], at: usize) -> Result<usize> {
    let s = b.get(at..at + 2).context("setup header cut short")?;
    Ok(u16::from_le_bytes([s[0], s[1]]) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Result<usize> {
    let s = b.get(at..at + 4).context("setup header cut short")?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
}

fn bzimage(path: &Path) -> Result<BzImage> {
    let b = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    ensure!(
        b.get(0x202..0x206) == Some(b"HdrS".as_slice()),
        "{}: not a bzImage",
        path.display()
    );
    let setup_sects = match b[0x1f1] {
        0 => 4,
        n => n as usize,
    };
    let pm = (setup_sects + 1) * 512;
    // payload_offset/payload_length (protocol 2.08+), relative to the protected-mode code; the
    // last 4 bytes are the uncompressed length, not part of the compressed stream.
    let (offset, length) = (u32_at(&b, 0x248)?, u32_at(&b, 0x24c)?);
    let payload = b
        .get(pm + offset..pm + offset + length - 4)
        .with_context(|| format!("{}: payload out of the file", path.display()))?
        .to_vec();
    // kernel_version: a pointer, 0x200 bytes before its place in the file.
    let at = u16_at(&b, 0x20e)? + 0x200;
    let end = b[at..]
        .iter()
        .position(|&c| c == 0)
        .context("unterminated banner")?;
    Ok(BzImage {
        payload,
        banner: String::from_utf8_lossy(&b[at..at + end]).into_owned(),
    })
}

fn decompress(tool: &str, args: &[&str], input: &[u8]) -> Result<Vec<u8>> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {tool} (is it installed?)"))?;
    let mut stdin = child.stdin.take().context("stdin")?;
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output()?;
    writer.join().expect("writer thread")?;
    if !out.status.success() {
        bail!("{tool}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(out.stdout)
}

#[test]
fn the_bios_kernel_is_the_signed_kernel_in_a_zstd_wrapper() -> Result<()> {
    let out = outputs()?;
    let signed = bzimage(&out.vmlinuz())?;
    let bios = bzimage(&out.vmlinuz_bios())?;
    ensure!(
        signed.payload.starts_with(b"\xfd7zXZ\0"),
        "Debian's image is expected to be xz"
    );
    ensure!(
        bios.payload.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]),
        "vmlinuz-bios is not zstd"
    );
    let a = decompress("xz", &["-dc", "--single-stream"], &signed.payload)?;
    let b = decompress("zstd", &["-dc"], &bios.payload)?;
    ensure!(
        a.len() > 10 << 20 && a.starts_with(b"\x7fELF"),
        "the signed kernel's payload is not an ELF kernel ({} bytes)",
        a.len()
    );
    ensure!(
        a == b,
        "vmlinuz-bios does not carry the signed kernel's payload ({} and {} bytes)",
        a.len(),
        b.len()
    );
    ensure!(
        signed.banner == bios.banner && signed.banner.contains("Debian"),
        "banners differ: {:?} and {:?}",
        signed.banner,
        bios.banner
    );
    // Both are covered by the image digest.
    let manifest = std::fs::read_to_string(out.dir.join("image-manifest"))?;
    for (name, path) in [
        ("vmlinuz", out.vmlinuz()),
        ("vmlinuz-bios", out.vmlinuz_bios()),
    ] {
        let sum = Command::new("sha256sum").arg(&path).output()?;
        let hex = String::from_utf8(sum.stdout)?;
        let hex = hex.split_whitespace().next().context("sha256sum")?;
        ensure!(
            manifest.lines().any(|l| l == format!("{hex}  {name}")),
            "{name} ({hex}) is not in the image manifest"
        );
    }
    Ok(())
}
