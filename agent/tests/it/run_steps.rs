//! The run's steps over a recorded laptop whose disk is a stand-in file (nothing of this machine
//! is touched): the set of disks is checked again before the first write and before signing (a
//! disk that appears meanwhile is in the certificate as not sanitized, and the run is not a
//! success); a certificate that lives only in memory with no server to take it is no finished
//! run.

use std::path::Path;

use reprise::flow::DataDir;
use reprise::flow::config::{self, Given, RunFlags};
use reprise::flow::medium::Home;
use reprise::flow::run::{Hooks, Run, RunStatus};
use reprise::model::Language;
use reprise::verdict::{Decision, Reason};
use reprise::wipe::CancelToken;

use crate::support::tree::{self, Tree};

/// A SATA laptop (the tree's base) whose disk a stand-in file replaces; the station's data
/// folder is `dir/data`.
fn run_over(t: &Tree, dir: &Path) -> Run {
    run_in(t, dir, "disks")
}

/// [`run_over`], its stand-ins in `dir/DISKS` (a station's next run has new ones).
fn run_in(t: &Tree, dir: &Path, disks: &str) -> Run {
    let given = Given {
        language: Some(Language::En),
        ..Given::default()
    };
    let flags = RunFlags::new(t.root(), DataDir(dir.join("data")));
    let disks = dir.join(disks);
    std::fs::create_dir(&disks).unwrap();
    let config = config::resolve(given, Given::default(), flags, None);
    Run::demo(config, &disks, |_| 1 << 20, u64::MAX).unwrap()
}

/// A USB disk `sdc` plugged in.
fn plug_usb_disk(t: &Tree) {
    let dev = "sys/devices/pci0000:00/0000:00:14.0/usb2/2-2/2-2:1.0/host7/target7:0:0/7:0:0:0";
    t.file(&format!("{dev}/model"), "Cruzer Blade    \n")
        .file(&format!("{dev}/vendor"), "SanDisk \n")
        .file(&format!("{dev}/block/sdc/dev"), "8:32\n")
        .file(&format!("{dev}/block/sdc/size"), "2048\n")
        .file(&format!("{dev}/block/sdc/removable"), "1\n")
        .file(&format!("{dev}/block/sdc/queue/rotational"), "0\n")
        .link(&format!("{dev}/block/sdc/device"), "../../../7:0:0:0")
        .dir(&format!("{dev}/block/sdc/holders"))
        .link(
            "sys/block/sdc",
            &format!("../{}/block/sdc", &dev["sys/".len()..]),
        );
}

fn execute(run: &Run) -> reprise::flow::run::Executed {
    let station = run.station().unwrap();
    let (tx, _rx) = std::sync::mpsc::channel();
    run.execute(&station, &run.plan, Hooks::plain(tx, CancelToken::new()))
        .unwrap()
}

#[test]
fn a_disk_that_appears_during_the_run_is_not_sanitized_and_the_run_is_no_success() {
    let t = Tree::new();
    tree::sata_laptop(&t);
    let dir = tempfile::tempdir().unwrap();
    let run = run_over(&t, dir.path());
    assert_eq!(
        run.plan.targets().len(),
        1,
        "the laptop's disk, as a stand-in"
    );

    // The operator confirmed the plan; then a USB disk shows up.
    plug_usb_disk(&t);
    let e = execute(&run);
    assert!(
        e.wipe.devices.iter().all(|d| d.is_sanitized()),
        "{:?}",
        e.wipe
    );
    assert_eq!(e.appeared.len(), 1);
    assert_eq!(e.appeared[0].dev_path, "/dev/sdc");
    assert_eq!(e.status(), RunStatus::NotSanitized);
    let appeared = e.appeared[0].id.to_string();
    assert!(
        e.verdict.reasons.iter().any(|r| *r
            == Reason::DiskAppeared {
                disk: appeared.clone()
            }),
        "{:?}",
        e.verdict.reasons
    );
    assert_eq!(e.verdict.decision, Decision::Recycle);
    // The certificate as read back says it, in words and as a key.
    let text = &e.read_back.as_ref().unwrap().text;
    assert!(
        text.contains("appeared during the run — not sanitized"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&e.certificate).unwrap()).unwrap();
    let reasons = json["certificate"]["verdict"]["reasons"]
        .as_array()
        .unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r["key"] == "disk_appeared" && r["disk"] == appeared.as_str()),
        "{reasons:?}"
    );
}

#[test]
fn with_no_disk_appearing_the_same_run_is_a_success() {
    let t = Tree::new();
    tree::sata_laptop(&t);
    let dir = tempfile::tempdir().unwrap();
    let run = run_over(&t, dir.path());
    let e = execute(&run);
    assert!(e.appeared.is_empty());
    assert_eq!(e.status(), RunStatus::Sanitized);
    assert!(
        !e.verdict
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::DiskAppeared { .. }))
    );
}

#[test]
fn a_certificate_only_in_memory_with_no_server_is_no_finished_run() {
    let t = Tree::new();
    tree::sata_laptop(&t);
    // The live image (its digest is there), and no stick: the data folder is memory.
    t.file("etc/reprise/image-digest", "sha256:00\n");
    let dir = tempfile::tempdir().unwrap();
    let run = run_over(&t, dir.path());
    assert_eq!(run.home(), Home::Memory);
    let e = execute(&run);
    assert_eq!(e.status(), RunStatus::Sanitized, "every disk was sanitized");
    let mut said = Vec::new();
    let ended = run
        .finish(
            &run.station().unwrap(),
            Some(&e),
            &[],
            &CancelToken::new(),
            &mut said,
        )
        .unwrap();
    assert_eq!(
        ended,
        RunStatus::NotSanitized,
        "lost at power-off: no success"
    );

    // Outside the live image, the same folder keeps it.
    let t = Tree::new();
    tree::sata_laptop(&t);
    let dir = tempfile::tempdir().unwrap();
    let run = run_over(&t, dir.path());
    assert_eq!(run.home(), Home::Folder);
    let e = execute(&run);
    let ended = run
        .finish(
            &run.station().unwrap(),
            Some(&e),
            &[],
            &CancelToken::new(),
            &mut said,
        )
        .unwrap();
    assert_eq!(ended, RunStatus::Sanitized);
}

#[test]
fn a_clock_earlier_than_the_image_is_corrected_to_its_build_time_and_the_certificate_says_so() {
    let t = Tree::new();
    tree::sata_laptop(&t);
    // An image built in the future of this machine's clock: the clock is "too early".
    t.file("etc/reprise/build-time", "2100-01-01T00:00:00Z\n");
    let dir = tempfile::tempdir().unwrap();
    let run = run_over(&t, dir.path());
    let e = execute(&run);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&e.certificate).unwrap()).unwrap();
    let c = &json["certificate"];
    assert_eq!(c["issued_at"], "2100-01-01T00:00:00.000Z");
    assert_eq!(c["time"]["source"], "rtc");
    assert_eq!(c["time"]["corrected_to"], "image_build");
    assert!(c["time"]["rtc_offset_ms"].as_i64().unwrap() < 0);
    let text = &e.read_back.as_ref().unwrap().text;
    assert!(
        text.contains("the laptop's clock (the laptop's clock was")
            && text.contains("behind: set to the build time of the image)"),
        "{text}"
    );

    // The next certificate of the same station is not dated before it either, whatever the
    // image says.
    std::fs::remove_file(t.path("etc/reprise/build-time")).unwrap();
    let run = run_in(&t, dir.path(), "disks-again");
    let e = execute(&run);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&e.certificate).unwrap()).unwrap();
    assert_eq!(json["certificate"]["issued_at"], "2100-01-01T00:00:00.000Z");
    assert_eq!(
        json["certificate"]["time"]["corrected_to"],
        "previous_certificate"
    );
}

/// A GPT image of 512 KiB (one Linux partition, `sgdisk -a 8`) in the station's data folder as
/// `images/NAME.img`, its digest in `images/NAME.sha256` (`sha256sum` form, or `digest`).
fn stick_image(data: &Path, name: &str, digest: Option<&str>) -> Vec<u8> {
    use sha2::Digest;
    crate::support::devices::require_program("sgdisk", "gdisk");
    let images = data.join("images");
    std::fs::create_dir_all(&images).unwrap();
    let path = images.join(format!("{name}.img"));
    let body: Vec<u8> = (0..512 * 1024).map(|i| (i % 241) as u8 | 1).collect();
    std::fs::write(&path, body).unwrap();
    crate::support::devices::sh(
        "sgdisk",
        &[
            "-a",
            "8",
            "-n",
            "1:40:0",
            "-t",
            "1:8300",
            path.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&path).unwrap();
    let hex = hex::encode(sha2::Sha256::digest(&bytes));
    std::fs::write(
        images.join(format!("{name}.sha256")),
        format!("{}  {name}.img\n", digest.unwrap_or(&hex)),
    )
    .unwrap();
    bytes
}

/// A recorded SATA laptop whose run installs `famille` after the wipe (the tree lives as long
/// as the run). Its CPU is below the default policy's: a workshop that takes it.
fn installing_run(dir: &Path) -> (Tree, Run) {
    let t = Tree::new();
    tree::sata_laptop(&t);
    let mut run = run_over(&t, dir);
    run.config.deploy = Some("famille".into());
    run.policy.cpu.minimum_x86_64_level = 1;
    run.policy.cpu.minimum_cores = 1;
    (t, run)
}

#[test]
fn a_refurbished_laptop_receives_the_sticks_image_and_a_signed_record() {
    use reprise::deploy::Install;
    let dir = tempfile::tempdir().unwrap();
    let (_tree, run) = installing_run(dir.path());
    let image = stick_image(&dir.path().join("data"), "famille", None);
    let mut e = execute(&run);
    assert_eq!(e.status(), RunStatus::Sanitized);
    assert_eq!(e.verdict.decision, Decision::Refurbish, "{:?}", e.verdict);
    let station = run.station().unwrap();
    let mut samples = 0;
    let done = run.deploy(&station, &e, &mut |_| samples += 1, &CancelToken::new());
    let Install::Installed(i) = &done else {
        panic!("{done:?}")
    };
    assert!(samples >= 2, "progress while writing and reading back");
    // The stand-in disk holds the image, its GPT now at its end.
    let disk = std::fs::read(&i.disk.dev_path).unwrap();
    assert_eq!(
        &disk[512 * 2 + 16 * 1024..image.len() - 33 * 512],
        &image[512 * 2 + 16 * 1024..image.len() - 33 * 512]
    );
    assert_eq!(&disk[disk.len() - 512..disk.len() - 504], b"EFI PART");
    // The record: signed by the station, linked to the certificate by its digest.
    let bytes = std::fs::read(&i.record).unwrap();
    let v = reprise::cert::refurbish::verify(&bytes, None).unwrap();
    let r = &v.envelope.certificate;
    assert_eq!(v.key_id, station.key_id);
    assert_eq!(r.certificate.digest, e.read_back.as_ref().unwrap().digest);
    assert_eq!(r.image.sha256, i.image.sha256.to_string());
    assert_eq!(r.read_back.result, "passed");
    assert_eq!(r.bytes_written, image.len() as u64);
    assert!(
        done.line().starts_with("Installed famille"),
        "{}",
        done.line()
    );
    e.install = Some(done);
    let mut out = Vec::new();
    let status = run
        .finish(&station, Some(&e), &[], &CancelToken::new(), &mut out)
        .unwrap();
    assert_eq!(status, RunStatus::Sanitized);
}

#[test]
fn an_image_that_is_not_its_digest_is_no_install_and_keeps_the_laptop_on() {
    use reprise::deploy::Install;
    let dir = tempfile::tempdir().unwrap();
    let (_tree, mut run) = installing_run(dir.path());
    stick_image(&dir.path().join("data"), "famille", Some(&"ab".repeat(32)));
    let mut e = execute(&run);
    let station = run.station().unwrap();
    let done = run.deploy(&station, &e, &mut |_| {}, &CancelToken::new());
    let Install::Failed(why) = &done else {
        panic!("{done:?}")
    };
    assert!(why.contains("not the image"), "{why}");
    // No record of an install that failed.
    assert!(!dir.path().join("data/certs/refurbish").exists());
    e.install = Some(done);
    let mut out = Vec::new();
    let status = run
        .finish(&station, Some(&e), &[], &CancelToken::new(), &mut out)
        .unwrap();
    assert_eq!(status, RunStatus::NotInstalled);
    let said = String::from_utf8(out).unwrap();
    assert!(said.contains("THE SYSTEM WAS NOT INSTALLED"), "{said}");

    // Nothing named: nothing due.
    run.config.deploy = None;
    assert!(matches!(
        run.deploy(&station, &e, &mut |_| {}, &CancelToken::new()),
        Install::NotDue(_)
    ));
}

/// A stick's `NAME.img.zst` whose frame states its raw size: the write's samples carry that
/// total (the screen's gauge and ETA), and the install is verified against the raw digest.
#[test]
fn a_sticks_zstd_image_gives_the_gauge_its_total() {
    use reprise::deploy::Install;
    use reprise::deploy::engine::Phase;
    let dir = tempfile::tempdir().unwrap();
    let (_tree, run) = installing_run(dir.path());
    let images = dir.path().join("data/images");
    let image = stick_image(&dir.path().join("data"), "famille", None);
    std::fs::write(
        images.join("famille.img.zst"),
        zstd::bulk::compress(&image, 3).unwrap(),
    )
    .unwrap();
    std::fs::remove_file(images.join("famille.img")).unwrap();
    let e = execute(&run);
    let station = run.station().unwrap();
    let mut totals = Vec::new();
    let done = run.deploy(
        &station,
        &e,
        &mut |p| {
            if p.phase == Phase::Write {
                totals.push(p.bytes_total);
            }
        },
        &CancelToken::new(),
    );
    assert!(matches!(done, Install::Installed(_)), "{done:?}");
    assert!(!totals.is_empty());
    assert!(
        totals.iter().all(|t| *t == Some(image.len() as u64)),
        "{totals:?}"
    );
}

/// The end of a run believes an upload only on a receipt signed by the server key it pinned
/// (`reprise.server-key=` here): a forged one (another key) or an unsigned one leaves the
/// certificate pending and says so — and with no stick to keep it, the run is no finished one —
/// while the server's own receipt gives it a home.
#[test]
fn a_forged_or_unsigned_upload_receipt_is_no_acknowledgement_at_the_end_of_a_run() {
    use crate::support::workshop::{Ack, Workshop, key_id, server_key};
    use reprise::flow::config::Server;
    use reprise::flow::upload::pending;

    let t = Tree::new();
    tree::sata_laptop(&t);
    let dir = tempfile::tempdir().unwrap();
    let w = Workshop::start("2026-12-07T10:00:00.000Z");
    let mut run = run_over(&t, dir.path());
    run.config.server = Some(Server {
        url: w.url(),
        enroll: None,
        key: Some(key_id(&server_key())),
    });
    let e = execute(&run);
    let station = run.station().unwrap();
    // Given up at once when not acknowledged: the test does not wait for the retries.
    let stop = CancelToken::new();
    stop.cancel();
    for (ack, says) in [
        (Ack::OtherKey, "not by the pinned server key"),
        (Ack::Unsigned, "the answer carries no signed receipt"),
    ] {
        w.set(|b| b.ack = ack);
        let mut out = Vec::new();
        let status = run
            .finish(&station, Some(&e), &[], &stop, &mut out)
            .unwrap();
        let said = String::from_utf8(out).unwrap();
        assert!(
            said.contains("Not uploaded") && said.contains(says),
            "{ack:?}: {said}"
        );
        assert_eq!(pending(&run.config.data).unwrap().len(), 1, "{ack:?}");
        if run.home() == Home::Memory {
            assert_eq!(status, RunStatus::NotSanitized, "{ack:?}: {said}");
            assert!(said.contains("NOT ACKNOWLEDGED"), "{said}");
        }
    }
    w.set(|b| b.ack = Ack::Digest);
    let mut out = Vec::new();
    let status = run
        .finish(&station, Some(&e), &[], &stop, &mut out)
        .unwrap();
    let said = String::from_utf8(out).unwrap();
    assert!(said.contains("Uploaded "), "{said}");
    assert!(pending(&run.config.data).unwrap().is_empty(), "{said}");
    assert_eq!(status, e.status(), "{said}");
}
