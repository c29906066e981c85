//! A writer killed at any moment leaves no partial certificate: only complete files carry a
//! `.json` name (temporary files are hidden and ignored by readers).
//!
//! The test re-runs its own executable as the writer (selected by an environment variable),
//! lets it publish a few files, SIGKILLs it mid-stream and checks every visible file is whole.

use std::path::Path;
use std::process::{Command, Stdio};

use reprise::sys::atomic;

const CHILD_ENV: &str = "REPRISE_TEST_ATOMIC_WRITER_DIR";
/// Large enough that a kill often lands in the middle of a write.
const PAYLOAD_BYTES: usize = 4 << 20;

/// The content of file `i`: a header line with its index and length, then filler, then a footer.
fn payload(i: usize) -> Vec<u8> {
    let mut v = format!("{{\"index\":{i},\"len\":{PAYLOAD_BYTES},\"fill\":\"").into_bytes();
    v.resize(PAYLOAD_BYTES - 3, b'a' + (i % 26) as u8);
    v.extend_from_slice(b"\"}\n");
    v
}

/// The writer: publishes files forever until killed.
fn writer(dir: &Path) -> ! {
    for i in 0.. {
        atomic::write_new(dir, &format!("{i:06}.json"), &payload(i), 0o644).expect("child write");
    }
    unreachable!("the loop is endless")
}

#[test]
fn killed_writer_leaves_only_complete_files() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        writer(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "cert_atomic::killed_writer_leaves_only_complete_files",
            "--nocapture",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait (without a deadline) until a few files are published, then kill mid-stream.
    loop {
        let published = atomic::read_json_files(dir.path())
            .map(|f| f.len())
            .unwrap_or(0);
        if published >= 3 {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("writer exited early: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();

    let files = atomic::read_json_files(dir.path()).unwrap();
    assert!(files.len() >= 3);
    for (name, bytes) in &files {
        let i: usize = name.trim_end_matches(".json").parse().unwrap();
        assert!(
            bytes == &payload(i),
            "{name} is incomplete or wrong ({} bytes)",
            bytes.len()
        );
    }
    // Whatever else is in the folder is a hidden temporary file, which cleanup removes.
    let others: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".json"))
        .collect();
    assert!(
        others
            .iter()
            .all(|n| n.starts_with('.') && n.ends_with(".tmp")),
        "{others:?}"
    );
    assert_eq!(
        atomic::remove_stale_temps(dir.path()).unwrap(),
        others.len()
    );
}
