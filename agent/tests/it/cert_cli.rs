//! The exact command-line forms scripts rely on: `reprise key generate`, `reprise cert issue`,
//! `verify` (files and `--chain`), `show`, `render`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::certs;
use crate::support::cli::reprise;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fx(name: &str) -> PathBuf {
    certs::fixtures().join(name)
}

/// `reprise cert issue` with the fixtures; returns the printed path.
fn issue(key: &Path, out: &Path, wipe: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "cert",
        "issue",
        "--report",
        s(&fx(wipe)).to_owned().leak(),
        "--key",
        s(key),
        "--operator",
        "Amina K.",
        "--site",
        "Lycée Jean Moulin",
        "--out",
        s(out),
        "--probe",
        s(&fx("probe-t480.json")).to_owned().leak(),
    ];
    args.extend_from_slice(extra);
    let o = reprise(&args);
    assert!(o.status.success(), "issue failed: {}", stderr(&o));
    let path = PathBuf::from(stdout(&o).trim());
    assert!(path.is_file(), "{path:?}");
    path
}

#[test]
fn key_generate_writes_pem_files_with_modes_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let o = reprise(&["key", "generate", "--out", s(&keys)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let id = stdout(&o).trim().to_string();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    let private = std::fs::read_to_string(keys.join("station.key")).unwrap();
    let public = std::fs::read_to_string(keys.join("station.pub")).unwrap();
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(
        std::fs::metadata(keys.join("station.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let vk = reprise::cert::sign::verifying_key_from_pem(&public, "pub").unwrap();
    assert_eq!(reprise::cert::sign::key_id(&vk), id);

    let o = reprise(&["key", "generate", "--out", s(&keys)]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("refusing to overwrite"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(keys.join("station.key")).unwrap(),
        private
    );
}

#[test]
fn issue_verify_show_render_and_chain() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    std::fs::create_dir(&out).unwrap();
    let key = fx("key/test-station.key");
    let c1 = issue(
        &key,
        &out,
        "wipe-passed.json",
        &["--lang", "en", "--org", "Reprise Atelier"],
    );
    let c2 = issue(
        &key,
        &out,
        "wipe-failed.json",
        &["--health", s(&fx("health-good.json"))],
    );
    assert!(
        c1.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with("-00000001.json")
    );
    assert!(
        c2.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with("-00000002.json")
    );

    let o = reprise(&[
        "cert",
        "verify",
        s(&c1),
        s(&c2),
        "--pubkey",
        s(&fx("key/test-station.pub")),
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o).matches(": OK ").count(), 2);

    let o = reprise(&["cert", "verify", "--chain", s(&out)]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).contains("chain intact"));

    let o = reprise(&["cert", "show", s(&c2)]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(
        text.contains("Certificat d'effacement des données"),
        "{text}"
    );
    assert!(
        text.contains("retirer le disque nvme:S41GNX0M123456:ns1 et le détruire"),
        "{text}"
    );

    let html = dir.path().join("c1.html");
    let o = reprise(&["cert", "render", s(&c1), "--html", s(&html)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<html lang=\"en\">") && page.contains("size: A4"));
    assert!(page.contains("<svg") && page.contains("Certificate of data sanitization"));
    assert!(page.contains("Lycée Jean Moulin"));

    // Tamper with c1 and delete nothing: verify names the file and fails; the chain names it.
    let text = std::fs::read_to_string(&c1)
        .unwrap()
        .replacen("Amina K.", "Someone", 1);
    std::fs::write(&c1, text).unwrap();
    let o = reprise(&["cert", "verify", s(&c1), s(&c2)]);
    assert_eq!(o.status.code(), Some(3));
    let report = stdout(&o);
    assert!(
        report.contains(&format!(
            "{}: INVALID: signature does not match",
            c1.display()
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!("{}: OK ", c2.display())),
        "{report}"
    );
    let o = reprise(&["cert", "verify", "--chain", s(&out)]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).contains("GAP "), "{}", stdout(&o));
    let o = reprise(&["cert", "show", s(&c1)]);
    assert!(!o.status.success());
}

#[test]
fn verify_with_the_wrong_key_and_chain_deletion_fail() {
    let dir = tempfile::tempdir().unwrap();
    let key = fx("key/test-station.key");
    let paths: Vec<PathBuf> = (0..3)
        .map(|_| issue(&key, dir.path(), "wipe-passed.json", &[]))
        .collect();
    let other = dir.path().join("other");
    assert!(
        reprise(&["key", "generate", "--out", s(&other)])
            .status
            .success()
    );
    let o = reprise(&[
        "cert",
        "verify",
        s(&paths[0]),
        "--pubkey",
        s(&other.join("station.pub")),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).contains("expected key"), "{}", stdout(&o));

    std::fs::remove_file(&paths[1]).unwrap();
    let o = reprise(&["cert", "verify", "--chain", s(dir.path())]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stdout(&o).contains("certificate #2 is missing (deleted)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let key = fx("key/test-station.key");
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[battery]\nreplace_below = 70\n").unwrap();
    let o = reprise(&[
        "cert",
        "issue",
        "--report",
        s(&fx("wipe-passed.json")),
        "--key",
        s(&key),
        "--operator",
        "A",
        "--site",
        "S",
        "--out",
        s(dir.path()),
        "--probe",
        s(&fx("probe-t480.json")),
        "--policy",
        s(&policy),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("policy.toml:2:1: invalid policy"),
        "{}",
        stderr(&o)
    );
    assert!(certs::json_files(dir.path()).is_empty());

    // Without --probe it probes the running machine (this VM: no DMI, one virtio disk).
    let o = reprise(&[
        "cert",
        "issue",
        "--report",
        s(&fx("wipe-passed.json")),
        "--key",
        s(&key),
        "--operator",
        "A",
        "--site",
        "S",
        "--out",
        s(dir.path()),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let issued = std::path::PathBuf::from(stdout(&o).trim());
    let o = reprise(&["cert", "verify", s(&issued)]);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = reprise(&["cert", "verify", s(&fx("probe-t480.json"))]);
    assert_eq!(o.status.code(), Some(3));
    let o = reprise(&["cert", "verify"]);
    assert_eq!(o.status.code(), Some(2));
}

/// `cert issue` refuses a wipe report that claims what the engine cannot have done; nothing is
/// issued.
#[test]
fn issue_refuses_a_report_that_claims_too_much() {
    let dir = tempfile::tempdir().unwrap();
    let key = fx("key/test-station.key");
    let good: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx("wipe-passed.json")).unwrap()).unwrap();
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 6] = [
        ("a Purge level", |r| {
            r["devices"][0]["level"] = "purge".into()
        }),
        ("a firmware technique", |r| {
            r["devices"][0]["technique"] = "nvme-sanitize-crypto".into()
        }),
        ("sanitized with verification none", |r| {
            r["devices"][0]["verification"]["mode"] = "none".into()
        }),
        ("fewer bytes than capacity × passes", |r| {
            r["devices"][0]["bytes_written"] = 4096.into();
            r["devices"][0]["passes"][0]["bytes_written"] = 4096.into();
        }),
        ("passes that are not the method's", |r| {
            r["devices"][0]["passes"][0]["pattern"] = "zero".into()
        }),
        ("a breaking error beside passed", |r| {
            r["devices"][0]["errors"] = serde_json::json!([{
                "operation": "write", "lba": 8, "sectors": 1, "message": "EIO"
            }])
        }),
    ];
    for (what, edit) in edits {
        let mut r = good.clone();
        edit(&mut r);
        let report = dir.path().join("report.json");
        std::fs::write(&report, serde_json::to_vec(&r).unwrap()).unwrap();
        let out = dir.path().join("certs");
        let o = reprise(&[
            "cert",
            "issue",
            "--report",
            s(&report),
            "--key",
            s(&key),
            "--operator",
            "A",
            "--site",
            "S",
            "--out",
            s(&out),
            "--probe",
            s(&fx("probe-t480.json")),
        ]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("claims what the engine cannot have done"),
            "{what}: {}",
            stderr(&o)
        );
        assert!(
            !out.exists() || certs::json_files(&out).is_empty(),
            "{what}: a certificate was issued"
        );
    }
}

/// `cert issue` refuses a wipe report whose verification numbers do not add up — against the
/// disk's size and sector size, against the sample its seed and share give, against each other
/// — naming the disk and what does not add up; nothing is issued.
#[test]
fn issue_refuses_a_verification_whose_numbers_do_not_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let key = fx("key/test-station.key");
    let good: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx("wipe-passed.json")).unwrap()).unwrap();
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit, &str); 10] = [
        (
            "a coverage the share asked does not give",
            |v| v["coverage_permille"] = 12.into(),
            "states 1000 subsections and 12‰ covered; its seed and 10‰ asked give 1000 and 10‰",
        ),
        (
            "a share asked larger than the one read",
            |v| v["requested_permille"] = 100.into(),
            "states 1000 subsections and 10‰ covered; its seed and 100‰ asked give 1000 and 114‰",
        ),
        (
            "more blocks than the sample holds",
            |v| v["blocks_checked"] = 6000.into(),
            "read 6000 blocks and 2561025024 bytes; its sample holds 2000 blocks",
        ),
        (
            "passed with fewer bytes than the sample holds",
            |v| v["bytes_checked"] = 3_072_000.into(),
            "read 2000 blocks and 3072000 bytes; its sample holds 2000 blocks and 2561025024 bytes (passed true)",
        ),
        (
            "sectors of another size than the disk's",
            |v| v["sector_size"] = 4096.into(),
            "in sectors of 4096 bytes, but the disk's are 512 bytes",
        ),
        (
            "another disk's sector count",
            |v| v["total_sectors"] = 1_000_000.into(),
            "over 1000000 sectors of 512 bytes, but the disk holds 256060514304 bytes",
        ),
        (
            "more bytes than the disk",
            |v| v["bytes_checked"] = 300_000_000_000u64.into(),
            "read 300000000000 bytes in 2000 blocks of a disk of 256060514304 bytes",
        ),
        (
            "a share beyond the whole",
            |v| v["requested_permille"] = 1500.into(),
            "of 1500‰ asked and 10‰ covered",
        ),
        (
            "mismatches without a place, beside passed",
            |v| v["mismatches"] = 3.into(),
            "states 3 mismatching sectors, the first at None",
        ),
        (
            "a full read that read part of the disk",
            |v| {
                v["mode"] = "full".into();
                v["requested_permille"] = 1000.into();
                v["coverage_permille"] = 1000.into();
                v["algorithm"] = serde_json::Value::Null;
                v["seed"] = serde_json::Value::Null;
                v["subsections"] = 0.into();
            },
            "full passed after reading 2561025024 of 256060514304 bytes",
        ),
    ];
    for (what, edit, why) in edits {
        let mut r = good.clone();
        edit(&mut r["devices"][0]["verification"]);
        let report = dir.path().join("report.json");
        std::fs::write(&report, serde_json::to_vec(&r).unwrap()).unwrap();
        let out = dir.path().join("certs");
        let o = reprise(&[
            "cert",
            "issue",
            "--report",
            s(&report),
            "--key",
            s(&key),
            "--operator",
            "A",
            "--site",
            "S",
            "--out",
            s(&out),
            "--probe",
            s(&fx("probe-t480.json")),
        ]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("/dev/nvme0n1: verification {why}")),
            "{what}: {}",
            stderr(&o)
        );
        assert!(
            !out.exists() || certs::json_files(&out).is_empty(),
            "{what}: a certificate was issued"
        );
    }
}

/// `cert render --html` creates a new file: it never overwrites one, nor writes into a
/// directory.
#[test]
fn render_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let golden = certs::fixtures().join("golden");
    let cert = golden.join(&certs::json_files(&golden)[0]);
    let page = dir.path().join("page.html");
    std::fs::write(&page, "precious").unwrap();
    for target in [page.as_path(), dir.path()] {
        let o = reprise(&["cert", "render", s(&cert), "--html", s(target)]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    }
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "precious");
    let fresh = dir.path().join("fresh.html");
    let o = reprise(&["cert", "render", s(&cert), "--html", s(&fresh)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read_to_string(&fresh)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
}
