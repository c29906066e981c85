//! The whole flow on an emulated laptop, checked from outside: the stick boots (SeaBIOS, USB) in
//! automatic Clear mode, wipes an NVMe and a SATA disk pre-filled with random data, writes a
//! signed certificate on the data partition and powers off by itself. Afterwards: every byte of
//! both disks holds exactly what the method writes (zeros), the stick is unchanged outside its
//! data partition, and the certificate verifies with `reprise cert verify` and with openssl
//! alone (DESIGN §6). The SATA disk came with the laptop carrying a partition labelled REPRISE
//! with its own `reprise.conf`: it configures nothing and is wiped like any other disk.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use reprise_e2e::{Firmware, Stick, Vm, donor_disk_with_reprise_partition, outputs, repo_root};
use serde_json::Value;

const DISK_SIZE: usize = 64 << 20;
const NVME_SERIAL: &str = "AUTO-NVME-0001";
const SATA_SERIAL: &str = "AUTO-SATA-0002";
const SYSTEM_SERIAL: &str = "AUTO-LAPTOP-7";

fn agent() -> std::path::PathBuf {
    repo_root().join("target/image/x86_64-unknown-linux-gnu/release/reprise")
}

/// Deterministic pseudo-random bytes (xorshift64*): the disks' previous "user data".
fn random_bytes(len: usize, mut state: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        v.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    v.truncate(len);
    v
}

/// RFC 8785 canonical form for the certificate content (integers and strings only, as DESIGN
/// §6 requires): keys sorted (by UTF-16 code units; the same as bytes for the ASCII keys used
/// here), no whitespace, strings and integers as serde_json writes them (the JCS forms).
fn jcs(v: &Value) -> Result<String> {
    Ok(match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let members = keys
                .into_iter()
                .map(|k| Ok(format!("{}:{}", serde_json::to_string(k)?, jcs(&map[k])?)))
                .collect::<Result<Vec<_>>>()?;
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let items = items.iter().map(jcs).collect::<Result<Vec<_>>>()?;
            format!("[{}]", items.join(","))
        }
        Value::Number(n) => {
            ensure!(!n.is_f64(), "floating-point number in a certificate: {n}");
            n.to_string()
        }
        other => serde_json::to_string(other)?,
    })
}

/// Verifies a certificate envelope with openssl only: SPKI from the raw key, JCS bytes, Ed25519.
fn openssl_verify(envelope: &Value, dir: &Path) -> Result<()> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let sig = &envelope["signature"];
    ensure!(
        sig["algorithm"] == "Ed25519",
        "algorithm: {}",
        sig["algorithm"]
    );
    let key = b64.decode(sig["public_key"].as_str().context("no public_key")?)?;
    ensure!(key.len() == 32, "public key is {} bytes", key.len());
    let mut spki = hex::decode("302a300506032b6570032100")?;
    spki.extend(&key);
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        b64.encode(&spki)
    );
    fs::write(dir.join("pub.pem"), pem)?;
    fs::write(
        dir.join("sig.bin"),
        b64.decode(sig["value"].as_str().context("no signature value")?)?,
    )?;
    fs::write(dir.join("msg.bin"), jcs(&envelope["certificate"])?)?;
    let out = Command::new("openssl")
        .args([
            "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin",
        ])
        .args(["-in", "msg.bin", "-sigfile", "sig.bin"])
        .current_dir(dir)
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

/// What an automatic run left: each disk (serial, old and new contents) and the certificate.
struct Outcome {
    disks: Vec<(&'static str, Vec<u8>, Vec<u8>)>,
    certificate: Value,
}

/// One automatic run on an emulated laptop (`firmware`, stick on USB, NVMe + SATA disks pre-filled
/// with random data). `failing_sector`: the SATA disk's writes fail there (blkdebug).
/// Returns the disks' old and new contents and the certificate envelope, after the checks that
/// hold in every case (power-off by itself, stick unchanged outside its data partition, one
/// certificate that verifies with `reprise cert verify` and with openssl, naming the machine).
fn automatic_run(firmware: Firmware, mode: &str, failing_sector: Option<u64>) -> Result<Outcome> {
    // A failed disk leaves the result on screen (no power-off): stop the machine once the agent
    // has finished and the logs are saved.
    let expect_success = failing_sector.is_none();
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let stick = Stick::configured(
        &out,
        dir.path(),
        &format!(
            "reprise.auto={mode}\nreprise.poweroff=1\nreprise.operator=E2E\nreprise.site=QEMU\nreprise.self-test=short\n"
        ),
    )?;
    let data = &stick.data;
    let (nvme, sata) = (dir.path().join("nvme.img"), dir.path().join("sata.img"));
    let nvme_old = random_bytes(DISK_SIZE, 1);
    fs::write(&nvme, &nvme_old)?;
    // The SATA disk came with the laptop carrying its own "REPRISE" partition and settings: a
    // disk of the laptop never configures the run.
    donor_disk_with_reprise_partition(
        &sata,
        &random_bytes(DISK_SIZE, 2),
        "reprise.operator=DONOR\nreprise.site=DONOR\nreprise.auto=purge\nreprise.lang=fr\n",
    )?;
    let sata_old = fs::read(&sata)?;

    let mut vm = Vm::new(dir.path(), firmware);
    vm.usb_stick(&stick.path).nvme(&nvme, NVME_SERIAL);
    match failing_sector {
        None => vm.ahci(&sata, SATA_SERIAL),
        Some(sector) => vm.ahci_failing_write(&sata, SATA_SERIAL, sector)?,
    };
    vm.smbios("E2E Computers", "Auto Laptop", SYSTEM_SERIAL);
    let run = if expect_success {
        vm.run(Duration::from_secs(600))?
    } else {
        vm.run_until_finished(Duration::from_secs(600))?
    };
    ensure!(
        run.settings()
            == format!(
                "lang=en keymap=us auto={mode} poweroff=1 self-test=short operator=E2E site=QEMU"
            ),
        "the settings must come from the stick alone: {:?}\n{}",
        run.settings(),
        run.serial
    );
    ensure!(
        !run.serial.contains("DONOR"),
        "the donor disk's reprise.conf was read:\n{}",
        run.serial
    );
    let want_status = if expect_success { 0 } else { 3 };
    ensure!(
        run.agent_status == Some(want_status),
        "agent status {:?}, expected {want_status}",
        run.agent_status
    );

    ensure!(
        stick.unchanged_outside_data()?,
        "the stick changed outside its data partition"
    );
    let certs = data.certificates()?;
    ensure!(
        certs.len() == 1,
        "expected one certificate, found {certs:?}"
    );
    let bytes = data.read(&format!("certs/{}", certs[0]))?;
    let path = dir.path().join("cert.json");
    fs::write(&path, &bytes)?;
    let status = Command::new(agent())
        .args(["cert", "verify"])
        .arg(&path)
        .status()?;
    ensure!(
        status.success(),
        "`reprise cert verify` rejects the certificate: {status}"
    );
    let envelope: Value = serde_json::from_slice(&bytes)?;
    openssl_verify(&envelope, dir.path())?;
    let certificate = envelope["certificate"].clone();
    ensure!(
        certificate["machine"]["identity"]["serial"] == SYSTEM_SERIAL,
        "machine serial: {}",
        certificate["machine"]["identity"]["serial"]
    );
    ensure!(
        certificate["tool"]["image_digest"] == out.image_digest()?.as_str(),
        "image digest: {}",
        certificate["tool"]["image_digest"]
    );
    // The drives' own short test ran before the wipe, through the agent's SG_IO path: QEMU's
    // SATA disk logs it as passed; its NVMe controller has none, so nothing is recorded there.
    let health = |serial: &str| {
        certificate["machine"]["disks"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["serial"] == serial))
            .map(|d| d["health"].clone())
            .with_context(|| format!("no machine disk {serial}"))
    };
    let sata_health = health(SATA_SERIAL)?;
    ensure!(
        sata_health["self_test"]["passed"] == true && sata_health["self_test"]["kind"] == "short",
        "SATA self-test: {sata_health:#}"
    );
    ensure!(
        health(NVME_SERIAL)?["self_test"].is_null(),
        "NVMe: {:#}",
        health(NVME_SERIAL)?
    );
    ensure!(
        run.serial
            .lines()
            .any(|l| l.starts_with("self-test /dev/sd") && l.contains(": PASSED (")),
        "the operator sees the self-test result"
    );
    Ok(Outcome {
        disks: vec![
            (NVME_SERIAL, nvme_old, fs::read(&nvme)?),
            (SATA_SERIAL, sata_old, fs::read(&sata)?),
        ],
        certificate,
    })
}

/// The certificate's sanitization entry for the disk with `serial`.
fn entry<'a>(certificate: &'a Value, serial: &str) -> Result<&'a Value> {
    certificate["sanitization"]
        .as_array()
        .context("no sanitization list")?
        .iter()
        .find(|e| e["device"]["serial"] == serial)
        .with_context(|| format!("no sanitization entry for {serial}"))
}

/// The first byte that is not zero (what the zero method must leave everywhere).
fn first_nonzero(new: &[u8]) -> Option<usize> {
    new.iter().position(|&b| b != 0)
}

/// Both disks passed, every byte accounted for and overwritten.
fn check_clear(run: &Outcome) -> Result<()> {
    for (serial, old, new) in &run.disks {
        let e = entry(&run.certificate, serial)?;
        ensure!(
            e["result"] == "passed" && e["sanitized"] == true && e["level"] == "clear",
            "{serial}: {e:#}"
        );
        ensure!(
            e["bytes_written"] == DISK_SIZE as u64,
            "{serial}: bytes_written {}",
            e["bytes_written"]
        );
        ensure!(old.len() == new.len() && old != new, "{serial}: unchanged");
        let left = first_nonzero(new);
        ensure!(left.is_none(), "{serial}: byte {left:?} is not zero");
    }
    Ok(())
}

#[test]
fn automatic_clear_under_seabios_wipes_both_disks_and_signs_a_certificate() -> Result<()> {
    check_clear(&automatic_run(Firmware::Bios, "clear", None)?)
}

#[test]
fn automatic_clear_under_uefi_wipes_both_disks_and_signs_a_certificate() -> Result<()> {
    check_clear(&automatic_run(Firmware::Uefi, "clear", None)?)
}

#[test]
fn automatic_clear_under_uefi_secure_boot_wipes_both_disks_and_signs_a_certificate() -> Result<()> {
    check_clear(&automatic_run(Firmware::SecureBoot, "clear", None)?)
}

/// `reprise.auto=purge`: the NVMe disk is purged by its own firmware (QEMU's NVMe controller
/// offers Format NVM, not Sanitize: a user data erase, SES 1), proven by canaries written to the
/// sampled blocks before (through the kernel's NVMe driver, flushed, read back) and gone after,
/// every block holding the zeros its deallocated blocks read as; the AHCI disk (QEMU offers neither the security nor the sanitize feature
/// set) falls back to a Clear overwrite, and its certificate entry says Clear, not Purge, with
/// the reason. Both disks are read back from outside: every byte zero.
#[test]
fn automatic_purge_formats_the_nvme_disk_and_clears_the_sata_disk_saying_why() -> Result<()> {
    let run = automatic_run(Firmware::Bios, "purge", None)?;
    for (serial, old, new) in &run.disks {
        ensure!(old.len() == new.len() && old != new, "{serial}: unchanged");
        let left = first_nonzero(new);
        ensure!(left.is_none(), "{serial}: byte {left:?} is not zero");
    }
    let nvme = entry(&run.certificate, NVME_SERIAL)?;
    ensure!(
        nvme["level"] == "purge"
            && nvme["technique"] == "nvme-format-user-data"
            && nvme["result"] == "passed"
            && nvme["sanitized"] == true
            && nvme["requested_level"].is_null()
            && nvme["bytes_written"] == 0
            && nvme["method"] == "none",
        "NVMe: {nvme:#}"
    );
    let fw = &nvme["firmware"];
    ensure!(
        fw["completion"] == "completed"
            && fw["reported_success"] == true
            && fw["namespaces"] == serde_json::json!([1])
            && fw["command"]
                .as_str()
                .is_some_and(|c| c.starts_with("NVMe Format NVM (80h), SES 1")),
        "NVMe firmware record: {fw:#}"
    );
    let check = &nvme["verification"]["firmware_check"];
    ensure!(
        check["passed"] == true
            && check["rule"] == "changed_or_zeros"
            && check["canary_rule"] == "differs_from_canary_holds_zeros"
            && check["canaries"] == check["blocks_checked"]
            && check["wrong_content_blocks"] == 0
            && check["unchanged_blocks"] == 0
            && check["unreadable_blocks"] == 0
            && check["blocks_checked"].as_u64().is_some_and(|n| n > 1000)
            && check["digests"]
                .as_str()
                .is_some_and(|d| d.starts_with("blake3:"))
            && nvme["verification"]["mode"] == "sample",
        "NVMe check: {check:#}"
    );
    ensure!(
        nvme["explanations"][0]["key"] == "nvme_format_user_data",
        "NVMe explanations: {:#}",
        nvme["explanations"]
    );
    let sata = entry(&run.certificate, SATA_SERIAL)?;
    ensure!(
        sata["level"] == "clear"
            && sata["requested_level"] == "purge"
            && sata["technique"] == "overwrite"
            && sata["result"] == "passed"
            && sata["sanitized"] == true
            && sata["bytes_written"] == DISK_SIZE as u64
            && sata["firmware"].is_null(),
        "SATA: {sata:#}"
    );
    let keys: Vec<&str> = sata["explanations"]
        .as_array()
        .context("SATA: no explanations")?
        .iter()
        .filter_map(|e| e["key"].as_str())
        .collect();
    ensure!(
        keys.contains(&"purge_unavailable") && keys.contains(&"ata_no_purge"),
        "SATA explanations: {:#}",
        sata["explanations"]
    );
    // QEMU answers READ NATIVE MAX ADDRESS and has no DCO: nothing hidden, and checked.
    let h = &sata["hidden_areas"];
    ensure!(
        h["hpa_sectors_before"] == 0
            && h["hpa_sectors_after"] == 0
            && h["dco_sectors_before"] == 0
            && h["dco_sectors_after"] == 0,
        "SATA hidden areas: {h:#}"
    );
    Ok(())
}

#[test]
fn a_write_error_fails_that_disk_only_and_says_where() -> Result<()> {
    const SECTOR: u64 = 40_000;
    let run = automatic_run(Firmware::Bios, "clear", Some(SECTOR))?;
    let (_, nvme_old, nvme_new) = &run.disks[0];
    let good = entry(&run.certificate, NVME_SERIAL)?;
    ensure!(
        good["result"] == "passed" && good["sanitized"] == true,
        "NVMe: {good:#}"
    );
    ensure!(nvme_old != nvme_new, "NVMe: unchanged");
    let left = first_nonzero(nvme_new);
    ensure!(left.is_none(), "NVMe: byte {left:?} is not zero");
    let bad = entry(&run.certificate, SATA_SERIAL)?;
    ensure!(
        bad["result"] == "failed" && bad["sanitized"] == false,
        "SATA: {bad:#}"
    );
    // The engine narrows a failed write down to the sector: exactly the injected one, and
    // every other sector holds zeros.
    let writes: Vec<(u64, u64)> = bad["errors"]
        .as_array()
        .context("SATA: no errors list")?
        .iter()
        .filter(|e| e["operation"] == "write")
        .filter_map(|e| Some((e["lba"].as_u64()?, e["sectors"].as_u64()?)))
        .collect();
    ensure!(
        writes == [(SECTOR, 1)],
        "SATA: the failed write is not exactly sector {SECTOR}: {bad:#}"
    );
    let (_, _, sata_new) = &run.disks[1];
    let sector = SECTOR as usize * 512;
    ensure!(
        first_nonzero(&sata_new[..sector]).is_none()
            && first_nonzero(&sata_new[sector + 512..]).is_none(),
        "SATA: every sector but the failed one must hold zeros"
    );
    Ok(())
}

/// The outside verifier above accepts an envelope signed by openssl over the JCS bytes, and
/// rejects it once the content changes (so the end-to-end check can fail).
#[test]
fn the_openssl_verifier_checks_jcs_bytes() -> Result<()> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let dir = tempfile::tempdir()?;
    let openssl = |args: &[&str]| -> Result<Vec<u8>> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()?;
        ensure!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(out.stdout)
    };
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", "key.pem"])?;
    let spki = openssl(&["pkey", "-in", "key.pem", "-pubout", "-outform", "DER"])?;
    let certificate: Value = serde_json::from_str(
        r#"{"who":{"site":"Lycée","operator":"E2E"},"disks":[{"serial":"S1","bytes":"9007199254740993"}],"a":1}"#,
    )?;
    let canonical = jcs(&certificate)?;
    assert_eq!(
        canonical,
        r#"{"a":1,"disks":[{"bytes":"9007199254740993","serial":"S1"}],"who":{"operator":"E2E","site":"Lycée"}}"#
    );
    fs::write(dir.path().join("content"), &canonical)?;
    let signature = openssl(&[
        "pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-in", "content",
    ])?;
    let mut envelope = serde_json::json!({
        "certificate": certificate,
        "signature": {
            "algorithm": "Ed25519",
            "public_key": b64.encode(&spki[spki.len() - 32..]),
            "value": b64.encode(&signature),
        }
    });
    openssl_verify(&envelope, dir.path())?;
    envelope["certificate"]["who"]["site"] = Value::from("elsewhere");
    ensure!(
        openssl_verify(&envelope, dir.path()).is_err(),
        "a changed certificate still verified"
    );
    Ok(())
}

/// Disks of awkward shapes: an NVMe namespace of 4096-byte logical blocks and a SATA disk whose
/// size is no multiple of the I/O chunk (8 MiB) nor of 4 KiB. Every byte holds zeros afterwards,
/// and the certificate says what the devices really are.
#[test]
fn four_kib_sectors_and_odd_sizes_are_wiped_to_the_last_byte() -> Result<()> {
    const NVME_4K: usize = (24 << 20) + 3 * 4096;
    const SATA_ODD: usize = (20 << 20) + 5 * 512;
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let stick = Stick::configured(
        &out,
        dir.path(),
        "reprise.auto=clear\nreprise.poweroff=1\nreprise.operator=E2E\nreprise.site=QEMU\nreprise.lang=en\n",
    )?;
    let (nvme, sata) = (dir.path().join("nvme4k.img"), dir.path().join("odd.img"));
    fs::write(&nvme, random_bytes(NVME_4K, 3))?;
    fs::write(&sata, random_bytes(SATA_ODD, 4))?;
    Vm::new(dir.path(), Firmware::Bios)
        .usb_stick(&stick.path)
        .nvme_sectors(&nvme, "ODD-NVME-4K", 4096)
        .ahci(&sata, "ODD-SATA-512")
        .run(Duration::from_secs(600))?;
    ensure!(
        stick.unchanged_outside_data()?,
        "the stick changed outside its data partition"
    );
    let names = stick.data.certificates()?;
    ensure!(names.len() == 1, "one certificate expected: {names:?}");
    let envelope: Value =
        serde_json::from_slice(&stick.data.read(&format!("certs/{}", names[0]))?)?;
    let cert = &envelope["certificate"];
    for (serial, file, size, sector) in [
        ("ODD-NVME-4K", &nvme, NVME_4K, 4096),
        ("ODD-SATA-512", &sata, SATA_ODD, 512),
    ] {
        let e = entry(cert, serial)?;
        ensure!(
            e["sanitized"] == true
                && e["device"]["capacity_bytes"] == size as u64
                && e["device"]["logical_sector_size"] == sector
                && e["bytes_written"] == size as u64,
            "{serial}: {e:#}"
        );
        let left = first_nonzero(&fs::read(file)?);
        ensure!(left.is_none(), "{serial}: byte {left:?} is not zero");
    }
    Ok(())
}
