//! `reprise wipe` as the operator runs it: confirmation, report, exit codes, clear errors.

use std::process::{Command, Stdio};

use reprise::wipe::report::{Outcome, VerifyMode, WipeReport};

use crate::support::cli::reprise_typing;
use crate::support::devices;
use devices::{LoopDevice, Scratch, old_data, require_loop};

#[test]
fn declining_writes_nothing_and_exits_non_zero() {
    let s = Scratch::new();
    let f = s.file("disk.img", 1 << 20);
    let f = devices::checked_target(&f).unwrap();
    for answer in ["no\n", "y\n", "", "YES please\n"] {
        let out = reprise_typing(&["wipe", f.to_str().unwrap(), "--method", "zero"], answer);
        assert_eq!(out.status.code(), Some(4), "{answer:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(f.to_str().unwrap()) && err.contains("(1048576 bytes)"),
            "{err}"
        );
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(std::fs::read(f).unwrap(), old_data(1 << 20));
    }
}

#[test]
fn confirmed_wipe_writes_the_report() {
    let s = Scratch::new();
    let f = s.file("disk.img", 3 << 20);
    let f = devices::checked_target(&f).unwrap();
    let report = s.dir.path().join("report.json");
    let out = reprise_typing(
        &[
            "wipe",
            f.to_str().unwrap(),
            "--method",
            "pattern:a5",
            "--verify",
            "sample:5",
            "--passes",
            "2",
            "--report",
            report.to_str().unwrap(),
        ],
        "yes\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("verify 100%"));
    assert!(std::fs::read(f).unwrap().iter().all(|&b| b == 0xa5));
    let r: WipeReport = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r.devices.len(), 1);
    let d = &r.devices[0];
    assert_eq!(d.outcome, Outcome::Passed);
    assert_eq!(d.method, "pattern:a5");
    assert_eq!(d.passes.len(), 2);
    assert_eq!(d.bytes_written, 2 * (3 << 20));
    assert_eq!(d.verification.mode, VerifyMode::Sample);
    assert!(d.verification.coverage_permille >= 50);
    assert_eq!(d.verification.seed.as_ref().unwrap().len(), 16);
    assert!(d.verification.passed);
    assert!(
        d.started_at.ends_with('Z') && d.started_at.len() == 24,
        "{}",
        d.started_at
    );
    // Integers only: no float anywhere in the JSON.
    let text = std::fs::read_to_string(&report).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    fn no_floats(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Number(n) => n.is_u64() || n.is_i64(),
            serde_json::Value::Array(a) => a.iter().all(no_floats),
            serde_json::Value::Object(o) => o.values().all(no_floats),
            _ => true,
        }
    }
    assert!(no_floats(&v));
}

#[test]
fn clear_errors_for_bad_input() {
    let out = reprise_typing(&["wipe", "/nonexistent/disk", "--yes"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/disk") && err.contains("no such device"),
        "{err}"
    );

    let out = reprise_typing(
        &[
            "wipe",
            "/nonexistent/disk",
            "--method",
            "pattern:xyz",
            "--yes",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad byte pattern"));

    let out = reprise_typing(&["wipe", "/x", "--verify", "sample:200", "--yes"], "");
    assert_eq!(out.status.code(), Some(2));

    let out = reprise_typing(&["wipe", "/x", "/x", "--yes"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("named twice"));

    let out = reprise_typing(&["wipe", "/x", "--passes", "0", "--yes"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("passes"));
}

#[test]
#[ignore = "needs root and loop devices: scripts/test (and CI) run it as root"]
fn loop_devices_every_method_from_the_command_line() {
    require_loop();
    let lo = LoopDevice::create(2 << 20, false, false);
    let dev = lo.path().to_str().unwrap().to_owned();
    for (m, v, want) in [
        ("zero", "full", Some(0u8)),
        ("one", "sample", Some(0xff)),
        ("random", "full", None),
        ("dod-3pass", "sample:50", None),
        ("pattern:c3", "none", Some(0xc3)),
        ("pattern-complement:c3", "full", Some(0x3c)),
    ] {
        let s = Scratch::new();
        let report = s.dir.path().join("r.json");
        let out = reprise_typing(
            &[
                "wipe",
                &dev,
                "--method",
                m,
                "--verify",
                v,
                "--yes",
                "--report",
                report.to_str().unwrap(),
            ],
            "",
        );
        // Written without verification is not sanitized: exit 3, and the report says so.
        let (code, outcome) = if v == "none" {
            (3, Outcome::Unverified)
        } else {
            (0, Outcome::Passed)
        };
        assert_eq!(
            out.status.code(),
            Some(code),
            "{m}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: WipeReport = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        assert_eq!(r.devices[0].outcome, outcome);
        assert_eq!(r.devices[0].device.size_bytes, 2 << 20);
        let data = lo.read_all();
        match want {
            Some(b) => assert!(data.iter().all(|&x| x == b), "{m}"),
            // The key is not kept: check that the stream replaced the old data and looks random.
            None => {
                let old = old_data(2 << 20);
                let same = data.iter().zip(&old).filter(|(a, b)| a == b).count();
                assert!(same < (2 << 20) / 64, "{m}: {same} bytes unchanged");
                let zeros = data.iter().filter(|&&x| x == 0).count();
                assert!(zeros < (2 << 20) / 64, "{m}: {zeros} zero bytes");
            }
        }
    }
}

#[test]
#[ignore = "needs root and loop devices: scripts/test (and CI) run it as root"]
fn sigint_cancels_and_the_report_says_cancelled() {
    require_loop();
    // Forty-eight passes over 64 MiB: seconds of work, so the signal always lands mid-wipe.
    let lo = LoopDevice::create(64 << 20, false, false);
    let dev = lo.path().to_str().unwrap().to_owned();
    let s = Scratch::new();
    let report = s.dir.path().join("r.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args([
            "wipe",
            &dev,
            "--method",
            "dod-3pass",
            "--passes",
            "16",
            "--verify",
            "full",
            "--yes",
        ])
        .args(["--report", report.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first progress line, freeze the process, interrupt it, let it go on: the
    // signal is handled while most of the work is still ahead, whatever the machine's load.
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
    assert!(line.contains("pass 1/48"), "{line}");
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = child.wait().unwrap();
    let r: WipeReport = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r.devices[0].outcome, Outcome::Cancelled, "{rest}");
    assert!(!r.devices[0].verification.passed);
    assert!(!r.devices[0].is_sanitized());
    assert!(rest.contains("CANCELLED"), "{rest}");
    assert_eq!(status.code(), Some(4), "EXIT_CANCELLED");
}

/// `--report` creates a new file through the atomic writer: an existing file or a directory is
/// refused, and nothing is overwritten.
#[test]
fn the_report_never_overwrites_anything() {
    let s = Scratch::new();
    let f = s.file("disk.img", 64 << 10);
    let f = devices::checked_target(&f).unwrap().to_owned();
    let existing = s.dir.path().join("existing.json");
    std::fs::write(&existing, "precious").unwrap();
    for target in [existing.as_path(), s.dir.path()] {
        let out = reprise_typing(
            &[
                "wipe",
                f.to_str().unwrap(),
                "--verify",
                "full",
                "--yes",
                "--report",
                target.to_str().unwrap(),
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("already exists"), "{err}");
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "precious");
    assert!(
        std::fs::read(&f).unwrap() == old_data(64 << 10),
        "the disk was wiped although its report could not be saved"
    );
}

/// With a system view other than the real machine (`--root` of a test tree), only regular
/// files can be wiped: a block device is refused and left intact.
#[test]
#[ignore = "needs root and loop devices: scripts/test (and CI) run it as root"]
fn a_test_root_never_reaches_a_block_device() {
    require_loop();
    let lo = LoopDevice::create(1 << 20, false, false);
    let root = tempfile::tempdir().unwrap();
    let out = reprise_typing(
        &[
            "wipe",
            lo.path().to_str().unwrap(),
            "--yes",
            "--root",
            root.path().to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(lo.read_all() == old_data(1 << 20));
}

/// `--level purge` on a regular file: no drive to ask, so the plan is the Clear overwrite, and
/// the report says why — never Purge.
#[test]
fn level_purge_on_a_file_is_a_clear_that_says_why() {
    let s = Scratch::new();
    let f = s.file("disk.img", 1 << 20);
    let f = devices::checked_target(&f).unwrap();
    let report = s.dir.path().join("report.json");
    let out = reprise_typing(
        &[
            "wipe",
            f.to_str().unwrap(),
            "--level",
            "purge",
            "--yes",
            "--report",
            report.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let r: WipeReport = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r.requested_level, Some(reprise::model::Level::Purge));
    let d = &r.devices[0];
    assert_eq!(
        (d.technique.as_str(), d.level),
        ("overwrite", reprise::model::Level::Clear)
    );
    assert!(d.is_sanitized());
    let keys: Vec<String> = d
        .explanations
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["key"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        keys.contains(&"purge_unavailable".to_owned())
            && keys.contains(&"no_drive_firmware".to_owned()),
        "{keys:?}"
    );
    assert!(std::fs::read(f).unwrap().iter().all(|&b| b == 0));
}
