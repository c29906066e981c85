//! What a donated laptop tells us — its SMBIOS strings, its disks' models — reaches the line
//! console, the run's log and the printed certificate as visible escapes, never as control
//! sequences (issue 21, item 6, the console half): a laptop whose SMBIOS product name clears
//! the screen, rings, returns to the start of the line, forges a line and reverses the text
//! after it, and whose disk model does the same, is probed, planned, run and certified.

use std::path::{Path, PathBuf};
use std::process::Command;

use reprise::cert::envelope;
use reprise::model::text::is_hostile;

use crate::support::cli::{reprise, reprise_typing};

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/probe/demo-laptop"
);

/// Clear the screen, ring, carriage return, a forged line, a right-to-left override, an 8-bit
/// CSI, a left-to-right isolate.
pub const HOSTILE_PRODUCT: &str =
    "T480\u{1b}[2J\u{7}\rSANITIZED\nFAKE: all disks SANITIZED\u{202e}dab\u{9b}31m\u{2066}end";
const HOSTILE_MODEL: &str = "MZ-76E\u{1b}]0;pwned\u{7}\rFAKE-MODEL\u{202e}x";

/// The demo laptop, copied, with the hostile product name and SATA disk model.
pub fn hostile_laptop(dir: &Path) -> PathBuf {
    let root = dir.join("laptop");
    let copied = Command::new("cp")
        .args(["-a", DEMO])
        .arg(&root)
        .status()
        .unwrap();
    assert!(copied.success());
    std::fs::write(
        root.join("sys/class/dmi/id/product_name"),
        format!("{HOSTILE_PRODUCT}\n"),
    )
    .unwrap();
    std::fs::write(
        root.join("sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/model"),
        format!("{HOSTILE_MODEL}\n"),
    )
    .unwrap();
    std::fs::write(
        root.join("proc/cmdline"),
        "BOOT_IMAGE=/boot/vmlinuz quiet\n",
    )
    .unwrap();
    root
}

/// No control character but the line feed, no bidirectional override, no forged line — and
/// the hostile strings are there, escaped (what the laptop said is shown, not hidden).
pub fn assert_clean(what: &str, text: &str, shows: &[&str]) {
    if let Some(c) = text.chars().find(|c| *c != '\n' && is_hostile(*c)) {
        panic!("{what}: raw {c:?} in:\n{text}");
    }
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with("FAKE")),
        "{what}: a forged line in:\n{text}"
    );
    for s in shows {
        assert!(text.contains(s), "{what}: {s:?} not in:\n{text}");
    }
}

/// How the product name reads once escaped.
const PRODUCT_SHOWN: &str = "T480\\u{1b}[2J\\u{7}\\u{d}SANITIZED\\u{a}FAKE: all disks SANITIZED\\u{202e}dab\\u{9b}31m\\u{2066}end";
const MODEL_SHOWN: &str = "MZ-76E\\u{1b}]0;pwned\\u{7}\\u{d}FAKE-MODEL\\u{202e}x";

fn out(o: &std::process::Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("the console is UTF-8")
}

#[test]
fn the_probe_and_the_plan_print_what_the_laptop_said_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let root = hostile_laptop(dir.path());
    let root = root.to_str().unwrap();
    let o = reprise(&["probe", "--root", root]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_clean("reprise probe", &out(&o), &[PRODUCT_SHOWN, MODEL_SHOWN]);
    // The JSON keeps the exact strings (JSON escapes what it must).
    let o = reprise(&["probe", "--root", root, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["identity"]["system"]["product_name"]["value"],
        HOSTILE_PRODUCT
    );

    let o = reprise(&["plan", "--root", root, "--level", "clear"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_clean("reprise plan", &out(&o), &[MODEL_SHOWN]);
}

/// The line console and the run's log: the probe, the plan, the confirmation naming the disks,
/// each disk's result and the certificate read back — all escaped. The certificate keeps the
/// exact strings, and `cert show` prints them escaped.
#[test]
fn the_line_console_the_runs_log_and_the_certificate_text_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let root = hostile_laptop(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let o = reprise_typing(
        &[
            "run",
            "--no-tui",
            "--root",
            root.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--lang",
            "en",
        ],
        "yes\n",
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let console = out(&o);
    // The confirmation and the certificate read back both name the machine and the disk.
    assert!(console.matches(MODEL_SHOWN).count() >= 2, "{console}");
    assert_clean("the line console", &console, &[PRODUCT_SHOWN, MODEL_SHOWN]);
    assert_clean(
        "reprise run's stderr",
        &String::from_utf8_lossy(&o.stderr),
        &[],
    );

    let logs: Vec<PathBuf> = std::fs::read_dir(data.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("-run.log"))
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let log = std::fs::read_to_string(&logs[0]).unwrap();
    assert_clean("the run's log", &log, &[PRODUCT_SHOWN, MODEL_SHOWN]);

    let certs: Vec<PathBuf> = std::fs::read_dir(data.join("certs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    let bytes = std::fs::read(&certs[0]).unwrap();
    let v = envelope::verify(&bytes, None).unwrap();
    let c = &v.envelope.certificate;
    assert_eq!(c.machine.identity.product.as_deref(), Some(HOSTILE_PRODUCT));
    let o = reprise(&["cert", "show", certs[0].to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_clean("reprise cert show", &out(&o), &[PRODUCT_SHOWN]);
}

/// The run's log is escaped line by line where it is written, whatever a front-end hands it: a
/// raw control sequence becomes visible, a block of several lines stays several lines.
#[test]
fn the_runs_log_escapes_every_line_it_is_given() {
    use reprise::flow::config::{self, Given, RunFlags};
    use reprise::flow::{self, DataDir};
    use reprise::sys::SysRoot;
    let dir = tempfile::tempdir().unwrap();
    let disks = dir.path().join("disks");
    std::fs::create_dir(&disks).unwrap();
    let data = dir.path().join("data");
    let config = config::resolve(
        Given::default(),
        Given::default(),
        RunFlags::new(SysRoot::new(DEMO), DataDir(data.clone())),
        None,
    );
    let run = flow::run::Run::demo(config, &disks, |_| 1 << 20, 1_000_000).unwrap();
    let station = run.station().unwrap();
    let transcript = vec![
        "model \u{1b}[2J\u{7}\rFAKE".to_owned(),
        "Certificate\n  Model  X\u{202e}Y".to_owned(),
    ];
    let mut said = Vec::new();
    run.finish(
        &station,
        None,
        &transcript,
        &reprise::wipe::CancelToken::new(),
        &mut said,
    )
    .unwrap();
    let logs: Vec<PathBuf> = std::fs::read_dir(data.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let log = std::fs::read_to_string(&logs[0]).unwrap();
    assert_eq!(
        log,
        "model \\u{1b}[2J\\u{7}\\u{d}FAKE\nCertificate\n  Model  X\\u{202e}Y\n"
    );
}

/// An error is printed escaped, on one line (an error may quote what a drive said).
#[test]
fn an_error_is_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("gone\u{1b}[2J\rFAKE");
    let o = reprise(&["probe", "--root", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_clean("the error", &err, &["gone\\u{1b}[2J\\u{d}FAKE"]);
    assert_eq!(err.lines().count(), 1, "{err}");
}
