//! Test helpers for wipe tests: loop devices and files the test created itself, and nothing else.
//!
//! SAFETY RULE (common.md): a test may open for writing only a file or a loop device it created.
//! [`LoopDevice`] creates its own backing file in a fresh temp dir, attaches it with
//! `losetup -f --show`, checks that the kernel really backs the new device with that file, and
//! detaches it on drop. [`checked_target`] refuses every path that is neither such a loop device
//! nor a file inside one of this process's own temp dirs.

use std::collections::HashSet;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Paths this process created (loop devices and their backing files).
static OWNED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn own(p: &Path) {
    OWNED
        .lock()
        .unwrap()
        .get_or_insert_with(HashSet::new)
        .insert(p.to_owned());
}

fn disown(p: &Path) {
    if let Some(s) = OWNED.lock().unwrap().as_mut() {
        s.remove(p);
    }
}

/// Returns `path` if this process created it (loop device or file in its temp dir); refuses
/// anything else, such as the machine's own disks.
pub fn checked_target(path: &Path) -> Result<&Path, String> {
    let owned = OWNED
        .lock()
        .unwrap()
        .as_ref()
        .is_some_and(|s| s.contains(path));
    if owned {
        Ok(path)
    } else {
        Err(format!(
            "test helper refuses {}: this test did not create it",
            path.display()
        ))
    }
}

/// A temp dir whose regular files may be written by the test.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::Builder::new()
                .prefix("reprise-wipe-test")
                .tempdir_in(
                    std::env::var_os("REPRISE_TEST_TMP").unwrap_or_else(|| "/var/tmp".into()),
                )
                .expect("temp dir"),
        }
    }

    /// Creates a file of `len` bytes filled with "old data" and registers it as a target.
    pub fn file(&self, name: &str, len: usize) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, old_data(len)).expect("write fixture file");
        own(&p);
        p
    }
}

/// Recognisable non-zero "old data" (so that zero wipes are visible).
pub fn old_data(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] | 1)
        .collect()
}

/// Fails the test unless loop devices can be used here (root and losetup present): a test
/// that needs them must fail where they are missing, never pass by skipping (CI runs as root
/// with util-linux).
pub fn require_loop() {
    assert!(
        nix_is_root(),
        "this test needs root (loop devices); run the suite as root, as CI does"
    );
    assert!(
        Command::new("losetup").arg("--version").output().is_ok(),
        "this test needs losetup (Debian package util-linux)"
    );
}

/// Fails the test unless `program` runs (`program --version`).
pub fn require_program(program: &str, package: &str) {
    assert!(
        Command::new(program).arg("--version").output().is_ok(),
        "this test needs {program} (Debian package {package})"
    );
}

/// A validated plan for regular files (or the fake device) of `len` bytes, all with `method`.
pub fn file_plan(
    paths: &[PathBuf],
    len: u64,
    method: &str,
    verify: reprise::wipe::VerifySpec,
) -> reprise::wipe::ValidatedPlan {
    reprise::wipe::WipePlan {
        devices: paths
            .iter()
            .map(|p| reprise::wipe::PlannedDevice {
                path: p.clone(),
                identity: reprise::model::DiskIdentity::for_file(&p.display().to_string(), len),
                method: method.parse().unwrap(),
                strategy: None,
            })
            .collect(),
        rounds: 1,
        verify,
    }
    .validate()
    .unwrap()
}

/// A write guard for regular files under `root`, protecting nothing (files are never disks of
/// the system).
pub fn file_guard(root: &reprise::sys::SysRoot) -> reprise::wipe::WriteGuard {
    reprise::wipe::WriteGuard::new(root.clone(), Vec::new(), std::sync::Arc::new(|_, _| None))
}

/// The host's disks as the probe sees them (virtual ones included), and the write guard a run
/// would use: the machine's own disks are protected.
pub fn host_guard() -> reprise::wipe::WriteGuard {
    let root = reprise::sys::SysRoot::host();
    let disks = reprise::probe::disks::probe_disks(&root, true);
    reprise::flow::guard(&root, &disks)
}

/// The probe's identity of a block device of this host (a loop device of ours).
pub fn host_identity(dev: &Path) -> reprise::model::DiskIdentity {
    let root = reprise::sys::SysRoot::host();
    let meta = std::fs::metadata(dev).unwrap_or_else(|e| panic!("{}: {e}", dev.display()));
    assert!(
        meta.file_type().is_block_device(),
        "{}: not a block device",
        dev.display()
    );
    let devno = reprise::sys::blockdev::devno(meta.rdev());
    reprise::probe::disks::probe_devno(&root, devno)
        .unwrap_or_else(|| panic!("the probe does not see {}", dev.display()))
        .identity()
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// A loop device over a backing file this test created; detached on drop.
pub struct LoopDevice {
    path: PathBuf,
    backing: PathBuf,
    _scratch: Scratch,
}

impl LoopDevice {
    /// A loop device of `len` bytes filled with [`old_data`]; `read_only` attaches it `-r`;
    /// `partscan` attaches it `-P`.
    pub fn create(len: usize, read_only: bool, partscan: bool) -> LoopDevice {
        let scratch = Scratch::new();
        let backing = scratch.dir.path().join("backing.img");
        std::fs::write(&backing, old_data(len)).expect("write backing file");
        let mut cmd = Command::new("losetup");
        cmd.args(["-f", "--show"]);
        if read_only {
            cmd.arg("-r");
        }
        if partscan {
            cmd.arg("-P");
        }
        let out = cmd.arg(&backing).output().expect("run losetup");
        assert!(
            out.status.success(),
            "losetup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        assert!(
            path.to_string_lossy().starts_with("/dev/loop"),
            "losetup returned {}",
            path.display()
        );
        let dev = LoopDevice {
            path,
            backing,
            _scratch: scratch,
        };
        // Make sure the kernel backs this device with our file before anyone writes to it.
        assert_eq!(
            dev.backing_file_of_device().as_deref(),
            Some(dev.backing.as_path()),
            "{} is not backed by our file",
            dev.path.display()
        );
        own(&dev.path);
        dev
    }

    fn backing_file_of_device(&self) -> Option<PathBuf> {
        let name = self.path.file_name()?.to_str()?;
        let s = std::fs::read_to_string(format!("/sys/block/{name}/loop/backing_file")).ok()?;
        Some(PathBuf::from(s.trim()))
    }

    pub fn path(&self) -> &Path {
        checked_target(&self.path).expect("own loop device")
    }

    pub fn backing(&self) -> &Path {
        &self.backing
    }

    /// The device's content, read through the device (page cache dropped first).
    pub fn read_all(&self) -> Vec<u8> {
        let _ = Command::new("blockdev")
            .arg("--flushbufs")
            .arg(&self.path)
            .status();
        std::fs::read(&self.path).expect("read loop device")
    }
}

impl Drop for LoopDevice {
    fn drop(&mut self) {
        disown(&self.path);
        // Detach only if it is still ours.
        if self.backing_file_of_device().as_deref() == Some(self.backing.as_path()) {
            let _ = Command::new("losetup").arg("-d").arg(&self.path).status();
        }
    }
}

/// A GPT disk image of `mib` MiB (one Linux partition, `sgdisk`) in the folder `dir` as
/// `NAME.img`, its SHA-256 beside it as `NAME.sha256` (as on a stick's `images/`); its bytes.
pub fn workshop_image(dir: &Path, name: &str, mib: usize) -> Vec<u8> {
    use sha2::Digest;
    require_program("sgdisk", "gdisk");
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("{name}.img"));
    let body: Vec<u8> = (0..mib << 20).map(|i| (i % 251) as u8 | 1).collect();
    std::fs::write(&path, body).unwrap();
    sh(
        "sgdisk",
        &["-n", "1:2048:0", "-t", "1:8300", path.to_str().unwrap()],
    );
    let bytes = std::fs::read(&path).unwrap();
    let hex = hex::encode(sha2::Sha256::digest(&bytes));
    std::fs::write(
        dir.join(format!("{name}.sha256")),
        format!("{hex}  {name}.img\n"),
    )
    .unwrap();
    bytes
}

/// Runs a command, panicking with its stderr on failure.
pub fn sh(prog: &str, args: &[&str]) {
    let out = Command::new(prog)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{prog}: {e}"));
    assert!(
        out.status.success(),
        "{prog} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Independent AES-128-CTR keystream (what the random pass must have written): the pass
/// number in the high 64 bits of the IV, counter from 0 at byte 0.
pub fn aes_ctr_stream(key: &[u8; 16], pass: u32, len: usize) -> Vec<u8> {
    use aes::cipher::{KeyIvInit, StreamCipher};
    let mut iv = [0u8; 16];
    iv[..8].copy_from_slice(&u64::from(pass).to_be_bytes());
    let mut c = ctr::Ctr128BE::<aes::Aes128>::new(key.into(), &iv.into());
    let mut out = vec![0u8; len];
    c.apply_keystream(&mut out);
    out
}

/// What a pass of `method` left on a device of `len` bytes (independent of the engine).
pub fn expected_content(method: &str, key: &[u8; 16], len: usize) -> Vec<u8> {
    let rep = |p: &[u8]| (0..len).map(|i| p[i % p.len()]).collect::<Vec<u8>>();
    match method {
        "zero" => vec![0; len],
        "one" => vec![0xff; len],
        "random" => aes_ctr_stream(key, 0, len),
        "dod-3pass" => aes_ctr_stream(key, 2, len),
        m if m.starts_with("pattern:") => rep(&hex::decode(&m[8..]).unwrap()),
        m if m.starts_with("pattern-complement:") => {
            let p: Vec<u8> = hex::decode(&m[19..]).unwrap().iter().map(|b| !b).collect();
            rep(&p)
        }
        m => panic!("unknown method {m}"),
    }
}

#[test]
fn helper_refuses_devices_it_did_not_create() {
    for p in [
        "/dev/vda",
        "/dev/sda",
        "/dev/nvme0n1",
        "/dev/loop999",
        "/etc/passwd",
    ] {
        assert!(checked_target(Path::new(p)).is_err(), "{p}");
    }
    let s = Scratch::new();
    let f = s.file("x.img", 4096);
    assert!(checked_target(&f).is_ok());
    assert!(checked_target(&s.dir.path().join("other")).is_err());
}
