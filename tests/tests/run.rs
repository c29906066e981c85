//! The whole chain on emulated laptops: the stick boots in automatic mode, `reprise run` wipes
//! an NVMe and a SATA disk, verifies them, signs a certificate on the data partition, and the
//! machine powers off by itself. Everything is then checked from outside the guest: the disks'
//! bytes, the stick outside its data partition, and the certificate with `reprise cert verify`
//! and with openssl alone.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use reprise_e2e::{DataPartition, Firmware, Outputs, Vm, copy_stick, gpt_partition, outputs};
use serde_json::Value;

const BOOT_TIMEOUT: Duration = Duration::from_secs(420);
const DISK_BYTES: u64 = 48 << 20;
const SMBIOS_SERIAL: &str = "PF0XTEST42";
const NVME_SERIAL: &str = "NVME-E2E-0001";
const SATA_SERIAL: &str = "SATA-E2E-0002";

/// A disk image full of pseudorandom bytes (what a pupil's files look like to a wipe).
fn random_disk(path: &Path) -> Result<()> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ path.as_os_str().len() as u64;
    let mut bytes = vec![0u8; DISK_BYTES as usize];
    for chunk in bytes.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
    }
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Offset of the first byte that is not zero, if any.
fn first_nonzero(path: &Path) -> Result<Option<u64>> {
    let mut f = fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut offset = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(i) = buf[..n].iter().position(|&b| b != 0) {
            return Ok(Some(offset + i as u64));
        }
        offset += n as u64;
    }
}

/// The one certificate on the data partition, and its bytes.
fn certificate(data: &DataPartition) -> Result<(String, Vec<u8>)> {
    let names: Vec<String> = data
        .list("certs")?
        .into_iter()
        .filter(|n| n.ends_with(".json"))
        .collect();
    ensure!(names.len() == 1, "expected one certificate, found {names:?}");
    let bytes = data.read(&format!("certs/{}", names[0]))?;
    Ok((names[0].clone(), bytes))
}

/// Verifies with openssl alone: JCS by Python's json (integers and strings only), the raw
/// Ed25519 signature, and the public key carried in the envelope, checked against the key id.
fn openssl_verify(cert: &Path, work: &Path) -> Result<()> {
    let script = r#"
import base64, hashlib, json, sys
env = json.load(open(sys.argv[1], encoding="utf-8"))
payload = json.dumps(env["certificate"], sort_keys=True, separators=(",", ":"),
                     ensure_ascii=False).encode("utf-8")
open(sys.argv[2] + "/payload", "wb").write(payload)
open(sys.argv[2] + "/sig.bin", "wb").write(base64.b64decode(env["signature"]["value"]))
raw = base64.b64decode(env["signature"]["public_key"])
assert env["signature"]["key_id"] == "sha256:" + hashlib.sha256(raw).hexdigest()
der = bytes.fromhex("302a300506032b6570032100") + raw
pem = base64.encodebytes(der).decode().replace("\n", "")
open(sys.argv[2] + "/pub.pem", "w").write(
    "-----BEGIN PUBLIC KEY-----\n" + pem + "\n-----END PUBLIC KEY-----\n")
"#;
    let py = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(cert)
        .arg(work)
        .status()
        .context("running python3")?;
    ensure!(py.success(), "python3 could not split the certificate");
    let out = Command::new("openssl")
        .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
        .arg(work.join("pub.pem"))
        .arg("-rawin")
        .arg("-in")
        .arg(work.join("payload"))
        .arg("-sigfile")
        .arg(work.join("sig.bin"))
        .output()
        .context("running openssl")?;
    ensure!(
        out.status.success(),
        "openssl rejects the certificate: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

fn sanitization_of<'a>(cert: &'a Value, serial: &str) -> Result<&'a Value> {
    cert["certificate"]["sanitization"]
        .as_array()
        .context("no sanitization list")?
        .iter()
        .find(|d| d["device"]["serial"] == serial)
        .with_context(|| format!("no sanitization record for serial {serial}"))
}

struct Laptop {
    dir: tempfile::TempDir,
    stick: PathBuf,
    before: PathBuf,
    nvme: PathBuf,
    sata: PathBuf,
    data: DataPartition,
}

fn prepare(out: &Outputs) -> Result<Laptop> {
    let dir = tempfile::tempdir()?;
    let stick = copy_stick(out, dir.path())?;
    let data = DataPartition::of(&stick)?;
    data.write(
        "reprise.conf",
        "# written by the e2e test\nreprise.auto=clear\nreprise.poweroff=1\n\
         reprise.operator=Camille E2E\nreprise.site=College Test\nreprise.lang=en\n",
        dir.path(),
    )?;
    let before = dir.path().join("before.img");
    fs::copy(&stick, &before)?;
    let nvme = dir.path().join("nvme.img");
    let sata = dir.path().join("sata.img");
    random_disk(&nvme)?;
    random_disk(&sata)?;
    Ok(Laptop {
        stick,
        before,
        nvme,
        sata,
        data,
        dir,
    })
}

/// Boots `firmware` in automatic Clear mode and checks everything from outside.
fn automatic_clear(firmware: Firmware) -> Result<()> {
    let out = outputs()?;
    let l = prepare(&out)?;
    let run = Vm::new(l.dir.path(), firmware)
        .usb_stick(&l.stick)
        .nvme(&l.nvme, NVME_SERIAL)
        .ahci(&l.sata, SATA_SERIAL)
        .smbios("Reprise Test Laptops", "E2E-1", SMBIOS_SERIAL)
        .run(BOOT_TIMEOUT)?;
    ensure!(
        run.serial.contains("reprise-init: powering off"),
        "the machine did not power off by itself:\n{}",
        reprise_e2e::tail(&run.serial, 60)
    );

    // The disks: every byte overwritten with zeros, as the certificate will claim.
    for disk in [&l.nvme, &l.sata] {
        if let Some(at) = first_nonzero(disk)? {
            bail!(
                "{} still holds data at byte {at}:\n{}",
                disk.display(),
                reprise_e2e::tail(&run.serial, 60)
            );
        }
    }
    // The stick: unchanged outside its data partition.
    ensure!(
        reprise_e2e::same_outside(&l.before, &l.stick, gpt_partition(&l.stick, 3)?)?,
        "the stick changed outside its data partition"
    );

    // The certificate: on the data partition, valid for Reprise and for openssl alone.
    let (name, bytes) = certificate(&l.data)?;
    let local = l.dir.path().join(&name);
    fs::write(&local, &bytes)?;
    // What `reprise cert verify` does, in process (same library as the image's agent).
    reprise::cert::envelope::verify(&bytes, None)
        .map_err(|e| anyhow::anyhow!("reprise rejects the certificate {name}: {e}"))?;
    let work = l.dir.path().join("openssl");
    fs::create_dir_all(&work)?;
    openssl_verify(&local, &work)?;

    let cert: Value = serde_json::from_slice(&bytes)?;
    let c = &cert["certificate"];
    ensure!(
        c["machine"]["identity"]["serial"] == SMBIOS_SERIAL,
        "the certificate does not name the SMBIOS serial {SMBIOS_SERIAL}: {}",
        c["machine"]["identity"]
    );
    ensure!(
        c["tool"]["image_digest"] == out.image_digest()?.as_str(),
        "the certificate's image digest is not this build's: {}",
        c["tool"]
    );
    for serial in [NVME_SERIAL, SATA_SERIAL] {
        let s = sanitization_of(&cert, serial)?;
        ensure!(
            s["result"] == "passed" && s["sanitized"] == true,
            "{serial}: {s}"
        );
        ensure!(s["level"] == "clear" && s["method"] == "zero", "{serial}: {s}");
        ensure!(
            s["bytes_written"] == DISK_BYTES && s["device"]["capacity_bytes"] == DISK_BYTES,
            "{serial}: not every byte is accounted for: {s}"
        );
        ensure!(
            s["verification"]["passed"] == true && s["verification"]["mode"] == "sample",
            "{serial}: {s}"
        );
    }
    Ok(())
}

#[test]
fn usb_stick_under_seabios_wipes_and_certifies() -> Result<()> {
    automatic_clear(Firmware::Bios)
}

#[test]
fn usb_stick_under_uefi_secure_boot_wipes_and_certifies() -> Result<()> {
    automatic_clear(Firmware::SecureBoot)
}

#[test]
fn an_io_error_fails_that_disk_only_and_says_where() -> Result<()> {
    const BAD_SECTOR: u64 = 40_000;
    let out = outputs()?;
    let l = prepare(&out)?;
    let run = Vm::new(l.dir.path(), Firmware::Bios)
        .usb_stick(&l.stick)
        .nvme(&l.nvme, NVME_SERIAL)
        .ahci_failing_write(&l.sata, SATA_SERIAL, BAD_SECTOR)?
        .smbios("Reprise Test Laptops", "E2E-2", SMBIOS_SERIAL)
        .run(BOOT_TIMEOUT)?;
    ensure!(
        run.serial.contains("reprise-init: powering off"),
        "the machine did not power off by itself:\n{}",
        reprise_e2e::tail(&run.serial, 60)
    );
    let (_, bytes) = certificate(&l.data)?;
    let cert: Value = serde_json::from_slice(&bytes)?;

    let good = sanitization_of(&cert, NVME_SERIAL)?;
    ensure!(good["result"] == "passed", "NVMe: {good}");
    ensure!(first_nonzero(&l.nvme)?.is_none(), "the NVMe disk was not fully wiped");

    let bad = sanitization_of(&cert, SATA_SERIAL)?;
    ensure!(
        bad["result"] == "failed" && bad["sanitized"] == false,
        "SATA: {bad}"
    );
    ensure!(bad["disposition"] == "destroy", "SATA: {bad}");
    let errors = bad["errors"].as_array().context("no errors list")?;
    let covers = |e: &Value| {
        let (Some(lba), Some(n)) = (e["lba"].as_u64(), e["sectors"].as_u64()) else {
            return false;
        };
        e["operation"] == "write" && lba <= BAD_SECTOR && BAD_SECTOR < lba + n
    };
    ensure!(
        errors.iter().any(covers),
        "no write error covers sector {BAD_SECTOR}: {errors:?}"
    );
    Ok(())
}
