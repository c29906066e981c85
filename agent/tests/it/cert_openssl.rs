//! A certificate verifies with no Reprise code in the loop: Python's json module canonicalizes
//! (for integer/string content, `json.dumps(sort_keys=True, separators=(",", ":"),
//! ensure_ascii=False)` is RFC 8785), the `openssl` binary checks the Ed25519 signature. This is
//! exactly the README's "Verify a certificate with openssl alone".

use std::path::Path;
use std::process::Command;

use reprise::cert::issue::issue_certificate;
use reprise::cert::model::Language;

use crate::support::certs;

/// The README's recipe, read from the README itself: the first `sh` block after the heading
/// "Verify a certificate with openssl alone", run with `set -eu` in a folder holding the
/// certificate as `cert.json` and the public key as `station.pub`.
fn recipe() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let section = &readme[readme
        .find("### Verify a certificate with openssl alone")
        .expect("README section")..];
    let start = section.find("```sh\n").expect("an sh block") + "```sh\n".len();
    let end = start + section[start..].find("```").expect("end of block");
    format!("set -eu\n{}", &section[start..end])
}
/// Fails the test unless openssl and python3 run: the recipe is the README's, and CI has both.
fn require_tools() {
    let ok = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    assert!(
        ok("openssl", "version") && ok("python3", "--version"),
        "this test needs the openssl and python3 binaries (Debian packages openssl, python3)"
    );
}

fn run_recipe(cert: &Path, pubkey: &Path, work: &Path) -> (bool, String) {
    // A fresh folder per run: nothing left by an earlier run can make this one pass.
    let dir = tempfile::tempdir_in(work).unwrap();
    std::fs::copy(cert, dir.path().join("cert.json")).unwrap();
    std::fs::copy(pubkey, dir.path().join("station.pub")).unwrap();
    let out = Command::new("sh")
        .args(["-c", &recipe()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn openssl_alone_verifies_and_rejects() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let key = certs::test_key();
    let pubkey = certs::fixtures().join("key/test-station.pub");
    // A French certificate (accents in content) with a failed disk (errors, nulls).
    let path = issue_certificate(
        certs::inputs("wipe-failed.json", Language::Fr, "2026-11-26T10:00:00.000Z"),
        &key,
        dir.path(),
    )
    .unwrap();
    let (ok, out) = run_recipe(&path, &pubkey, dir.path());
    assert!(
        ok && out.contains("Signature Verified Successfully"),
        "{out}"
    );
    // Python's digest of the canonical bytes is the one Reprise reports.
    let verified = reprise::cert::envelope::verify(&std::fs::read(&path).unwrap(), None).unwrap();
    assert!(
        out.contains(&format!("digest  {}", verified.digest)),
        "{out} vs {}",
        verified.digest
    );
    // And the id the recipe expects of the signer is the certificate's.
    let id = &verified.envelope.certificate.id;
    assert!(
        out.contains(&format!("id      {id} (its signer's: {id})")),
        "{out}"
    );
    // The recipe refuses a file that names a member twice (JSON parsers disagree on which one
    // wins, so what is shown could differ from what was signed).
    let text = std::fs::read_to_string(&path).unwrap();
    let dup = dir.path().join("duplicate.json");
    std::fs::write(
        &dup,
        text.replacen(
            "\"operator\": ",
            "\"operator\": \"Mallory\",\n      \"operator\": ",
            1,
        ),
    )
    .unwrap();
    let (ok, out) = run_recipe(&dup, &pubkey, dir.path());
    assert!(!ok && out.contains("appears twice"), "{out}");

    // The golden files too.
    for name in certs::json_files(&certs::fixtures().join("golden")) {
        let (ok, out) = run_recipe(
            &certs::fixtures().join("golden").join(&name),
            &pubkey,
            dir.path(),
        );
        assert!(ok, "{name}: {out}");
    }

    // Altered content: openssl refuses.
    let text = std::fs::read_to_string(&path).unwrap();
    let tampered = dir.path().join("tampered.json");
    std::fs::write(
        &tampered,
        text.replacen("\"recycle\"", "\"refurbish\"", 1)
            .replacen("Amina K.", "Amina L.", 1),
    )
    .unwrap();
    let (ok, out) = run_recipe(&tampered, &pubkey, dir.path());
    assert!(!ok, "tampered certificate verified: {out}");

    // Another station's public key: openssl refuses.
    let other = dir.path().join("other.pub");
    let pem = reprise::cert::sign::public_key_pem(
        &reprise::cert::sign::generate().unwrap().verifying_key(),
    )
    .unwrap();
    std::fs::write(&other, pem).unwrap();
    let (ok, out) = run_recipe(&path, &other, dir.path());
    assert!(!ok, "wrong key verified: {out}");
}

#[test]
fn openssl_reads_the_generated_keys() {
    require_tools();
    // A key written by Reprise signs; openssl alone derives the same public key.
    let dir = tempfile::tempdir().unwrap();
    let key = reprise::cert::sign::generate().unwrap();
    std::fs::write(
        dir.path().join("k.pem"),
        reprise::cert::sign::private_key_pem(&key).unwrap(),
    )
    .unwrap();
    let out = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(dir.path().join("k.pem"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        reprise::cert::sign::public_key_pem(&key.verifying_key()).unwrap()
    );
}
