//! `reprise probe` as a user runs it: the binary, its exit codes, its JSON and its messages.

use std::path::PathBuf;

use crate::support::cli::reprise;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/probe")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn missing_root_is_a_clear_error() {
    let out = reprise(&["probe", "--root", "/nonexistent"]);
    assert!(!out.status.success());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent") && err.contains("does not exist"),
        "stderr: {err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn root_that_is_a_file_is_an_error() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let path = file.path().to_string_lossy().into_owned();
    let out = reprise(&["probe", "--json", "--root", &path]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a readable directory"), "stderr: {err}");
}

#[test]
fn json_on_a_fixture_is_versioned_and_parses() {
    let out = reprise(&["probe", "--json", "--root", &fixture("laptop-sata-usb")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["disks"][1]["name"], "sdb");
    assert_eq!(v["disks"][1]["holds_system"], true);
    assert_eq!(v["power"]["batteries"].as_array().unwrap().len(), 2);
}

#[test]
fn all_flag_lists_virtual_devices() {
    let root = fixture("laptop-nvme");
    let names = |args: &[&str]| -> Vec<String> {
        let out = reprise(args);
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["disks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&["probe", "--json", "--root", &root]), ["nvme0n1"]);
    assert_eq!(
        names(&["probe", "--json", "--all", "--root", &root]),
        ["loop0", "nvme0n1", "zram0"]
    );
}

#[test]
fn human_output_is_the_default() {
    let out = reprise(&["probe", "--root", &fixture("mini-emmc")]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("No battery"), "{text}");
    assert!(text.contains("/dev/mmcblk0"), "{text}");
}
