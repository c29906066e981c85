//! Wipes on loop devices this test creates itself (root only): every method and verification
//! mode checked byte by byte through the device; the write guard refusing mounted, partitioned,
//! protected, read-only and busy devices and leaving their data intact; several devices in
//! parallel; cancellation mid-wipe.

use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::mpsc;

use reprise::model::{DiskIdentity, Transport};
use reprise::sys::blockdev::DeviceError;
use reprise::wipe::report::Outcome;
use reprise::wipe::{
    CancelToken, OpenError, OpenedDevice, PlannedDevice, ProtectedDisk, Tuning, ValidatedPlan,
    VerifySpec, WipeEvent, WipeJob, WipePlan, WriteGuard, open_for_write, open_plan, run_plan,
    wipe_device,
};

use crate::support::devices;
use devices::{LoopDevice, expected_content, host_guard, host_identity, require_loop, sh};

const KEY: [u8; 16] = *b"loop-device-key!";
const MIB: usize = 1 << 20;

/// A plan for our loop devices, with the identity the probe gives them (or a made-up one for
/// a path that does not exist).
fn plan(devs: Vec<PathBuf>, method: &str, verify: VerifySpec) -> ValidatedPlan {
    WipePlan {
        devices: devs
            .into_iter()
            .map(|path| {
                let identity = if path.exists() {
                    host_identity(&path)
                } else {
                    let mut id = DiskIdentity::for_file(&path.display().to_string(), 1 << 20);
                    id.transport = Transport::Loop;
                    id
                };
                PlannedDevice {
                    path,
                    identity,
                    method: method.parse().unwrap(),
                    strategy: None,
                }
            })
            .collect(),
        rounds: 1,
        verify,
    }
    .validate()
    .unwrap()
}

/// ext4 with everything initialised up front, so the mounted filesystem stays quiet.
fn mkfs(dev: &str) {
    sh(
        "mkfs.ext4",
        &[
            "-q",
            "-F",
            "-E",
            "lazy_itable_init=0,lazy_journal_init=0",
            dev,
        ],
    );
}

fn small() -> Tuning {
    Tuning {
        buffer_bytes: MIB,
        ..Tuning::default()
    }
}

#[test]
#[ignore = "needs root and loop devices: scripts/test (and CI) run it as root"]
fn every_method_and_verify_mode_on_a_loop_device() {
    require_loop();
    // 3 MiB + 512: spans several buffers, with a partial last one.
    let len = 3 * MIB + 512;
    let lo = LoopDevice::create(len, false, false);
    let dev = lo.path().to_owned();
    let methods = [
        "zero",
        "one",
        "random",
        "pattern:5a",
        "pattern:0102030405",
        "pattern-complement:33",
        "dod-3pass",
    ];
    let verifies = [
        VerifySpec::None,
        VerifySpec::Sample { permille: 100 },
        VerifySpec::Full,
    ];
    for m in methods {
        for v in verifies {
            let p = plan(vec![dev.clone()], m, v);
            let mut d = open_for_write(&p, &dev, &host_guard()).unwrap().device;
            assert!(d.is_block_device());
            let mut j = WipeJob::new(&p, &p.devices()[0]);
            j.key = Some(KEY);
            j.tuning = small();
            let (tx, _rx) = mpsc::channel();
            let r = wipe_device(&mut d, j, &tx, &CancelToken::new());
            drop(d);
            let want = if v == VerifySpec::None {
                Outcome::Unverified
            } else {
                Outcome::Passed
            };
            assert_eq!(r.outcome, want, "{m} {v:?}: {:?}", r.errors);
            assert_eq!(r.device.size_bytes, len as u64);
            assert_eq!(r.device.logical_sector_size, 512);
            assert_eq!(r.device.transport, Transport::Loop);
            assert_eq!(r.device.id.to_string(), format!("path:{}", dev.display()));
            let got = lo.read_all();
            assert!(
                got == expected_content(m, &KEY, len),
                "{m} {v:?}: device content differs"
            );
            // And the backing file agrees: the data really reached the "media".
            assert!(
                std::fs::read(lo.backing()).unwrap() == got,
                "{m} {v:?}: backing file"
            );
        }
    }
}

#[test]
#[ignore = "needs root and loop devices: scripts/test (and CI) run it as root"]
fn full_verify_on_a_loop_device_catches_a_byte_changed_behind_its_back() {
    require_loop();
    let len = 2 * MIB;
    let lo = LoopDevice::create(len, false, false);
    let dev = lo.path().to_owned();
    for off in [0usize, len / 2 + 3, len - 1] {
        let p = plan(vec![dev.clone()], "random", VerifySpec::None);
        let mut d = open_for_write(&p, &dev, &host_guard()).unwrap().device;
        let mut j = WipeJob::new(&p, &p.devices()[0]);
        j.key = Some(KEY);
        let (tx, _rx) = mpsc::channel();
        assert_eq!(
            wipe_device(&mut d, j, &tx, &CancelToken::new()).outcome,
            Outcome::Unverified
        );
        drop(d);
        // Plant the change through the device, as a faulty medium would return it.
        {
            use std::os::unix::fs::FileExt;
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&dev)
                .unwrap();
            let mut b = [0u8; 1];
            f.read_at(&mut b, off as u64).unwrap();
            f.write_at(&[b[0] ^ 0x80], off as u64).unwrap();
            f.sync_all().unwrap();
        }
        let mut d = open_for_write(&p, &dev, &host_guard()).unwrap().device;
        let (v, errors) = reprise::wipe::verify_device(
            &mut d,
            &dev.display().to_string(),
            &reprise::wipe::PassPattern::Random,
            0,
            &KEY,
            VerifySpec::Full,
            None,
            &tx,
            &CancelToken::new(),
        );
        assert!(!v.passed, "@{off}");
        assert_eq!(
            (v.mismatches, v.first_mismatch_lba),
            (1, Some(off as u64 / 512))
        );
        assert!(errors[0].message.contains(&dev.display().to_string()));
    }
}

#[test]
#[ignore = "needs root and loop devices: scripts/test (and CI) run it as root"]
fn a_mounted_loop_device_is_refused_and_left_intact() {
    require_loop();
    let lo = LoopDevice::create(16 * MIB, false, false);
    let dev = lo.path().to_owned();
    mkfs(dev.to_str().unwrap());
    let mnt = tempfile::tempdir().unwrap();
    sh(
        "mount",
        &[dev.to_str().unwrap(), mnt.path().to_str().unwrap()],
    );
    std::fs::write(mnt.path().join("precious.txt"), b"pupil homework").unwrap();
    sh("sync", &[]);
    let before = lo.read_all();
    let p = plan(vec![dev.clone()], "zero", VerifySpec::Full);
    let err = open_for_write(&p, &dev, &host_guard())
        .map(|_| ())
        .unwrap_err();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args([
            "wipe",
            dev.to_str().unwrap(),
            "--method",
            "zero",
            "--verify",
            "none",
            "--yes",
        ])
        .output()
        .unwrap();
    let after = lo.read_all();
    sh("umount", &[mnt.path().to_str().unwrap()]);
    assert!(after == before, "mounted device was modified");
    sh(
        "mount",
        &[
            "-o",
            "ro",
            dev.to_str().unwrap(),
            mnt.path().to_str().unwrap(),
        ],
    );
    let precious = std::fs::read(mnt.path().join("precious.txt"));
    sh("umount", &[mnt.path().to_str().unwrap()]);
    assert_eq!(precious.unwrap(), b"pupil homework");
    assert!(matches!(err, OpenError::Mounted { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(dev.to_str().unwrap()) && msg.contains("mounted on"),
        "{msg}"
    );
    assert!(!cli.status.success());
    let stderr = String::from_utf8_lossy(&cli.stderr);
    assert!(stderr.contains("mounted on"), "{stderr}");
}

#[test]
#[ignore = "needs root and loop devices: scripts/test (and CI) run it as root"]
fn a_device_with_a_mounted_partition_is_refused() {
    require_loop();
    devices::require_program("sfdisk", "fdisk");
    let lo = LoopDevice::create(16 * MIB, false, true);
    let dev = lo.path().to_owned();
    let out = std::process::Command::new("sfdisk")
        .arg(&dev)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(b"label: dos\n,8M,c\n,,83\n")?;
            c.wait()
        })
        .unwrap();
    assert!(out.success());
    sh("partx", &["-u", dev.to_str().unwrap()]);
    let part = PathBuf::from(format!("{}p1", dev.display()));
    // udev may take a moment to create the node.
    for _ in 0..50 {
        if part.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    mkfs(part.to_str().unwrap());
    let mnt = tempfile::tempdir().unwrap();
    sh(
        "mount",
        &[part.to_str().unwrap(), mnt.path().to_str().unwrap()],
    );
    let before = lo.read_all();
    let p = plan(vec![dev.clone()], "zero", VerifySpec::Full);
    let err = open_for_write(&p, &dev, &host_guard())
        .map(|_| ())
        .unwrap_err();
    let after = lo.read_all();
    sh("umount", &[mnt.path().to_str().unwrap()]);
    assert!(
        after == before,
        "device with a mounted partition was modified"
    );
    let msg = err.to_string();
    assert!(matches!(err, OpenError::Mounted { .. }), "{msg}");
    let pname = part.file_name().unwrap().to_str().unwrap();
    assert!(msg.contains(pname), "{msg}");
}

#[test]
#[ignore = "needs root and loop devices: scripts/test (and CI) run it as root"]
fn protected_read_only_and_busy_devices_are_refused() {
    require_loop();
    let lo = LoopDevice::create(MIB, false, false);
    let dev = lo.path().to_owned();
    let p = plan(vec![dev.clone()], "zero", VerifySpec::Full);

    let id = p.devices()[0].identity().clone();
    let guard = WriteGuard::new(
        reprise::sys::SysRoot::host(),
        vec![ProtectedDisk {
            id: id.id.clone(),
            devno: id.devno,
            dev_path: id.dev_path.clone(),
            why: "the boot medium, for this test".into(),
        }],
        std::sync::Arc::new(|root, n| {
            reprise::probe::disks::probe_devno(root, n).map(|d| d.identity())
        }),
    );
    let e = open_for_write(&p, &dev, &guard).map(|_| ()).unwrap_err();
    assert!(matches!(e, OpenError::Protected { .. }), "{e}");
    assert!(e.to_string().contains("running system or the boot medium"));

    // Someone else holds it exclusively: O_EXCL makes the kernel say no.
    let holder = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_EXCL)
        .open(&dev)
        .unwrap();
    let e = open_for_write(&p, &dev, &host_guard())
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(
            e,
            OpenError::Device {
                source: DeviceError::Busy { .. },
                ..
            }
        ),
        "{e}"
    );
    drop(holder);

    let ro = LoopDevice::create(MIB, true, false);
    let rdev = ro.path().to_owned();
    let p = plan(vec![rdev.clone()], "zero", VerifySpec::Full);
    let e = open_for_write(&p, &rdev, &host_guard())
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(e, OpenError::ReadOnly { .. }), "{e}");
    assert!(e.to_string().contains(rdev.to_str().unwrap()));
    assert!(ro.read_all() == devices::old_data(MIB));

    // Not in the plan, even though it is a perfectly good loop device of ours.
    let other = plan(
        vec![PathBuf::from("/dev/loop-not-this-one")],
        "zero",
        VerifySpec::Full,
    );
    let e = open_for_write(&other, &dev, &host_guard())
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(e, OpenError::NotInPlan { .. }), "{e}");
}

#[test]
#[ignore = "needs root and loop devices: scripts/test (and CI) run it as root"]
fn two_devices_in_parallel_and_cancellation() {
    require_loop();
    let a = LoopDevice::create(4 * MIB, false, false);
    let b = LoopDevice::create(4 * MIB, false, false);
    let devs = vec![a.path().to_owned(), b.path().to_owned()];
    let p = plan(devs.clone(), "one", VerifySpec::Full);
    let (tx, rx) = mpsc::channel();
    let res = run_plan(open_plan(&p, &host_guard()), tx, CancelToken::new());
    assert_eq!(res.len(), 2);
    for (r, lo) in res.iter().zip([&a, &b]) {
        assert_eq!(r.outcome, Outcome::Passed, "{:?}", r.errors);
        assert_eq!(r.device.dev_path, lo.path().display().to_string());
        assert!(lo.read_all().iter().all(|&x| x == 0xff));
    }
    let finished = rx
        .iter()
        .filter(|e| matches!(e, WipeEvent::Finished { .. }))
        .count();
    assert_eq!(finished, 2);

    // Cancel as soon as the first progress event arrives.
    let c = LoopDevice::create(16 * MIB, false, false);
    let dev = c.path().to_owned();
    let p = plan(vec![dev.clone()], "random", VerifySpec::Full);
    let mut opened = open_plan(&p, &host_guard());
    match &mut opened[0] {
        Ok(OpenedDevice::Overwrite(_, job, _)) => {
            job.tuning = Tuning {
                buffer_bytes: 256 << 10,
                ..Tuning::default()
            }
        }
        other => panic!("a plain overwrite opens as one: {other:?}"),
    }
    let cancel = CancelToken::new();
    let (tx, rx) = mpsc::channel();
    let watcher = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            if rx.recv().is_ok() {
                cancel.cancel();
            }
        })
    };
    let res = run_plan(opened, tx, cancel);
    watcher.join().unwrap();
    assert_eq!(res[0].outcome, Outcome::Cancelled);
    assert!(!res[0].verification.passed);

    // A refused device becomes a failed entry, the others still run.
    let p = plan(
        vec![dev.clone(), PathBuf::from("/nonexistent/disk")],
        "zero",
        VerifySpec::None,
    );
    let (tx, _rx) = mpsc::channel();
    let res = run_plan(open_plan(&p, &host_guard()), tx, CancelToken::new());
    assert_eq!(res[0].outcome, Outcome::Unverified);
    assert_eq!(res[1].outcome, Outcome::Failed);
    assert!(res[1].errors[0].message.contains("/nonexistent/disk"));
}

#[test]
#[ignore = "needs root and loop devices: scripts/test (and CI) run it as root"]
fn the_device_opened_must_be_the_disk_planned() {
    require_loop();
    let a = LoopDevice::create(MIB, false, false);
    let b = LoopDevice::create(2 * MIB, false, false);
    // The plan names a's path with b's identity (as if the disk had been swapped between the
    // probe and the "yes"): refused before any byte is written.
    let swapped = WipePlan {
        devices: vec![PlannedDevice {
            path: a.path().to_owned(),
            identity: host_identity(b.path()),
            method: "zero".parse().unwrap(),
            strategy: None,
        }],
        rounds: 1,
        verify: VerifySpec::Full,
    }
    .validate()
    .unwrap();
    let e = open_for_write(&swapped, a.path(), &host_guard())
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(e, OpenError::IdentityMismatch { .. }), "{e}");
    assert!(a.read_all() == devices::old_data(MIB));
    // Same device number, but the size probed differs from what the device now reports.
    let mut id = host_identity(a.path());
    id.size_bytes += 512;
    let p = WipePlan {
        devices: vec![PlannedDevice {
            path: a.path().to_owned(),
            identity: id,
            method: "zero".parse().unwrap(),
            strategy: None,
        }],
        rounds: 1,
        verify: VerifySpec::Full,
    }
    .validate()
    .unwrap();
    let e = open_for_write(&p, a.path(), &host_guard())
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(e, OpenError::IdentityMismatch { ref what, .. } if what.contains("size")),
        "{e}"
    );
    assert!(a.read_all() == devices::old_data(MIB));
    assert!(b.read_all() == devices::old_data(2 * MIB));
}
