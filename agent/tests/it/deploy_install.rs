//! The install of a workshop image (`reprise::deploy`): images built here with `sgdisk` (and
//! `mkfs.ext4`), written raw or zstd-compressed to files this test created, through the write
//! guard; read back and checked; a corrupted image, a too-small disk and a disk that lies on
//! read-back are failed installs; the GPT fix-up leaves a table `sgdisk -v` finds no problem
//! in; over HTTP, a test server that cuts the connection mid-body, sends corrupted bytes or
//! another image on resume. As root: the real direct-I/O install on a loop device, with the
//! ext4 filesystem grown by resize2fs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reprise::deploy::engine::{
    self, Filesystem, InstallError, InstallProgress, Tuning, fix_gpt, write_image,
};
use reprise::deploy::{Compression, ImageSpec, Sha256};
use reprise::sys::SysRoot;
use reprise::sys::blockdev::{BlockIo, Device};
use reprise::sys::http::{HttpImage, Retry};
use reprise::wipe::{CancelToken, VerifySpec, open_for_write};
use sha2::Digest;

use crate::support::devices::{self, LoopDevice, Scratch, file_guard, file_plan, require_program};

const MIB: usize = 1 << 20;

/// A GPT image of `mib` MiB built by `sgdisk`: an ESP of 1 MiB and a Linux partition to the
/// end, the second holding an ext4 filesystem when `ext4`; the rest is recognisable bytes.
fn image(dir: &Path, mib: usize, ext4: bool) -> Vec<u8> {
    require_program("sgdisk", "gdisk");
    let p = dir.join(format!("image-{mib}-{ext4}.img"));
    let body: Vec<u8> = (0..mib * MIB).map(|i| (i % 251) as u8).collect();
    std::fs::write(&p, body).unwrap();
    devices::sh(
        "sgdisk",
        &[
            "-n",
            "1:2048:+1M",
            "-t",
            "1:ef00",
            "-n",
            "2:0:0",
            "-t",
            "2:8300",
            p.to_str().unwrap(),
        ],
    );
    let mut bytes = std::fs::read(&p).unwrap();
    if ext4 {
        require_program("mkfs.ext4", "e2fsprogs");
        let first = 4096 * 512;
        let last = bytes.len() - 34 * 512;
        let fs = dir.join("fs.img");
        std::fs::write(&fs, vec![0u8; last - first]).unwrap();
        devices::sh("mkfs.ext4", &["-q", "-F", fs.to_str().unwrap()]);
        bytes[first..last].copy_from_slice(&std::fs::read(&fs).unwrap());
    }
    bytes
}

fn spec(name: &str, raw: &[u8], compression: Compression) -> ImageSpec {
    ImageSpec {
        name: name.into(),
        version: "2026.12".into(),
        sha256: Sha256(sha2::Sha256::digest(raw).into()),
        compression,
        raw_size: Some(raw.len() as u64),
    }
}

fn small() -> Tuning {
    Tuning {
        chunk: MIB,
        depth: 2,
    }
}

/// A disk file of `len` bytes, opened through the write guard as a run would.
fn disk(scratch: &Scratch, len: usize) -> (PathBuf, Device) {
    let p = scratch.file("disk.img", len);
    let plan = file_plan(
        std::slice::from_ref(&p),
        len as u64,
        "zero",
        VerifySpec::None,
    );
    let root = SysRoot::new(scratch.dir.path());
    let dev = open_for_write(&plan, &p, &file_guard(&root))
        .unwrap()
        .device;
    (p, dev)
}

fn install(
    dev: &mut dyn BlockIo,
    source: Box<dyn Read + Send>,
    image: &ImageSpec,
) -> Result<engine::Written, InstallError> {
    let mut samples: Vec<InstallProgress> = Vec::new();
    let r = write_image(
        dev,
        source,
        image,
        small(),
        &mut |p| samples.push(p.clone()),
        &CancelToken::new(),
    );
    if r.is_ok() {
        // Progress went all the way in both phases.
        let last = samples.last().unwrap();
        assert_eq!(last.phase, engine::Phase::ReadBack);
        assert_eq!(Some(last.bytes_done), last.bytes_total);
        assert!(samples.iter().any(|s| s.phase == engine::Phase::Write));
    }
    r
}

fn sgdisk(args: &[&str]) -> String {
    let out = Command::new("sgdisk").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_raw_image_is_written_read_back_and_its_gpt_fitted_to_the_disk() {
    let scratch = Scratch::new();
    let raw = image(scratch.dir.path(), 8, false);
    let (path, mut dev) = disk(&scratch, 16 * MIB);
    let img = spec("family", &raw, Compression::None);
    let w = install(&mut dev, Box::new(std::io::Cursor::new(raw.clone())), &img).unwrap();
    assert_eq!(w.raw_bytes, raw.len() as u64);
    assert_eq!(w.sha256, img.sha256);
    assert_eq!(w.layout.sector_size, 512);
    assert_eq!(w.layout.last_partition_end, (8 * MIB - 33 * 512) as u64);
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(&on_disk[..raw.len()], &raw[..]);

    let fixed = fix_gpt(&mut dev, &img).unwrap();
    assert!(!fixed.last_is_ext4);
    let sectors = (16 * MIB / 512) as u64;
    assert_eq!(fixed.fixed.backup_lba_after, sectors - 1);
    let grown = fixed.fixed.grown.clone().unwrap();
    assert_eq!(grown.number, 2);
    assert_eq!(grown.new_last_lba, sectors - 34);
    drop(dev);
    let p = path.to_str().unwrap();
    let verify = sgdisk(&["-v", p]);
    assert!(verify.contains("No problems found"), "{verify}");
    let info = sgdisk(&["-i", "2", p]);
    assert!(
        info.contains(&format!("Last sector: {} ", sectors - 34)),
        "{info}"
    );
    // The partitions' bytes are the image's.
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(
        &on_disk[MIB..8 * MIB - 34 * 512],
        &raw[MIB..8 * MIB - 34 * 512]
    );
    // Nothing to grow on the same disk again.
    let mut dev = Device::open_read_write(&path).unwrap();
    let again = fix_gpt(&mut dev, &img).unwrap();
    assert_eq!(again.fixed.grown, None);
    assert_eq!(
        engine::grow_filesystem(Box::new(dev), &again),
        Filesystem::AlreadyFull
    );
}

#[test]
fn a_zstd_image_is_decompressed_while_writing() {
    let scratch = Scratch::new();
    let raw = image(scratch.dir.path(), 6, true);
    let packed = zstd::encode_all(&raw[..], 3).unwrap();
    assert!(packed.len() < raw.len());
    let (path, mut dev) = disk(&scratch, 12 * MIB);
    let mut img = spec("family", &raw, Compression::Zstd);
    // A list entry may not know the raw size: the stream's end says it.
    img.raw_size = None;
    let w = install(&mut dev, Box::new(std::io::Cursor::new(packed)), &img).unwrap();
    assert_eq!(w.raw_bytes, raw.len() as u64);
    let fixed = fix_gpt(&mut dev, &img).unwrap();
    assert!(fixed.last_is_ext4, "the second partition holds ext4");
    // A regular file has no partitions for resize2fs: said, not pretended.
    assert!(matches!(
        engine::grow_filesystem(Box::new(dev), &fixed),
        Filesystem::NotGrown { .. }
    ));
    assert_eq!(
        &std::fs::read(&path).unwrap()[MIB..5 * MIB],
        &raw[MIB..5 * MIB]
    );
}

#[test]
fn a_corrupted_image_is_a_failed_install() {
    let scratch = Scratch::new();
    let raw = image(scratch.dir.path(), 4, false);
    let img = spec("family", &raw, Compression::None);
    let mut bad = raw.clone();
    bad[3 * MIB + 17] ^= 0x40;
    let (_, mut dev) = disk(&scratch, 8 * MIB);
    let e = install(&mut dev, Box::new(std::io::Cursor::new(bad)), &img).unwrap_err();
    assert!(matches!(e, InstallError::SourceMismatch { .. }), "{e:?}");
    // A zstd stream cut short is a failed read, not a short image.
    let packed = zstd::encode_all(&raw[..], 1).unwrap();
    let cut = packed[..packed.len() / 2].to_vec();
    let zimg = spec("family", &raw, Compression::Zstd);
    let e = install(&mut dev, Box::new(std::io::Cursor::new(cut)), &zimg).unwrap_err();
    assert!(matches!(e, InstallError::Source { .. }), "{e:?}");
}

#[test]
fn a_disk_smaller_than_the_image_is_refused_before_writing() {
    let scratch = Scratch::new();
    let raw = image(scratch.dir.path(), 8, false);
    let mut img = spec("family", &raw, Compression::None);
    let (path, mut dev) = disk(&scratch, 4 * MIB);
    let e = install(&mut dev, Box::new(std::io::Cursor::new(raw.clone())), &img).unwrap_err();
    assert!(matches!(e, InstallError::DiskTooSmall { .. }), "{e:?}");
    // Without a stated size, the GPT's last partition says it, before the first write.
    img.raw_size = None;
    let e = install(&mut dev, Box::new(std::io::Cursor::new(raw)), &img).unwrap_err();
    assert!(
        matches!(e, InstallError::DiskTooSmall { needed, .. } if needed == 8 * MIB as u64),
        "{e:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), devices::old_data(4 * MIB));
}

#[test]
fn an_image_without_a_gpt_is_refused() {
    let scratch = Scratch::new();
    let raw = vec![0x5Au8; 2 * MIB];
    let (path, mut dev) = disk(&scratch, 4 * MIB);
    let e = install(
        &mut dev,
        Box::new(std::io::Cursor::new(raw.clone())),
        &spec("x", &raw, Compression::None),
    )
    .unwrap_err();
    assert!(matches!(e, InstallError::Layout { .. }), "{e:?}");
    assert_eq!(std::fs::read(&path).unwrap(), devices::old_data(4 * MIB));
}

/// A disk that returns one wrong byte when read: the read-back must see it.
struct Lying(Device);

impl BlockIo for Lying {
    fn path(&self) -> &Path {
        self.0.path()
    }
    fn len(&self) -> u64 {
        self.0.len()
    }
    fn sector_size(&self) -> u32 {
        self.0.sector_size()
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> std::io::Result<usize> {
        self.0.write_at(buf, offset)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let n = self.0.read_at(buf, offset)?;
        let at = 2 * MIB as u64 + 5;
        if (offset..offset + n as u64).contains(&at) {
            buf[(at - offset) as usize] ^= 1;
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[test]
fn a_disk_that_reads_back_other_bytes_is_a_failed_install() {
    let scratch = Scratch::new();
    let raw = image(scratch.dir.path(), 4, false);
    let img = spec("family", &raw, Compression::None);
    let (_, dev) = disk(&scratch, 8 * MIB);
    let mut lying = Lying(dev);
    let e = install(&mut lying, Box::new(std::io::Cursor::new(raw)), &img).unwrap_err();
    assert!(matches!(e, InstallError::ReadBackMismatch { .. }), "{e:?}");
}

#[test]
fn the_pipeline_stays_within_its_memory_budget() {
    // 128 MiB per install: the buffers plus the zstd window (2^25).
    let t = Tuning::default();
    assert!(t.peak_buffer_bytes() + (1 << engine::ZSTD_WINDOW_LOG_MAX) <= 128 << 20);
}

/// How the test server answers each request, in order (the last one repeats).
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// The requested range, whole.
    Whole,
    /// The headers of the whole range, then only this many bytes, then the connection closed.
    Cut(usize),
    /// The whole range, with one byte changed.
    Corrupt,
    /// The whole range, under another image's digest.
    Other,
}

/// A small HTTP/1.1 server of the image API (`GET /api/v1/images/NAME`, Range, 206,
/// `X-Reprise-Image-Sha256`), one connection at a time; returns its URL and the count of
/// requests served.
fn serve(body: Vec<u8>, sha: String, answers: Vec<Answer>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/api/v1/images/family",
        listener.local_addr().unwrap()
    );
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut start = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(r) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
                    start = r.trim().trim_end_matches('-').parse().unwrap();
                }
            }
            let n = count.fetch_add(1, Ordering::SeqCst);
            let answer = answers[n.min(answers.len() - 1)];
            let mut part = body[start..].to_vec();
            let mut digest = sha.clone();
            match answer {
                Answer::Corrupt => {
                    let mid = part.len() / 2;
                    part[mid] ^= 0xFF;
                }
                Answer::Other => digest = format!("sha256:{}", "0".repeat(64)),
                _ => {}
            }
            let status = if start > 0 {
                format!(
                    "206 Partial Content\r\nContent-Range: bytes {start}-{}/{}",
                    body.len() - 1,
                    body.len()
                )
            } else {
                "200 OK".to_owned()
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nETag: \"v1\"\r\nX-Reprise-Image-Sha256: {digest}\r\nConnection: close\r\n\r\n",
                part.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let send = match answer {
                Answer::Cut(k) => &part[..k.min(part.len())],
                _ => &part[..],
            };
            let _ = stream.write_all(send);
            let _ = stream.flush();
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    });
    (url, served)
}

fn fast_retry() -> Retry {
    Retry {
        attempts: 3,
        backoff: Duration::from_millis(10),
        read_timeout: Duration::from_secs(5),
    }
}

#[test]
fn an_http_download_resumes_after_a_dropped_connection() {
    let scratch = Scratch::new();
    let raw = image(scratch.dir.path(), 6, false);
    let packed = zstd::encode_all(&raw[..], 3).unwrap();
    let img = spec("family", &raw, Compression::Zstd);
    let (url, served) = serve(
        packed.clone(),
        img.sha256.to_string(),
        vec![
            Answer::Cut(packed.len() / 3),
            Answer::Cut(packed.len() / 3),
            Answer::Whole,
        ],
    );
    let http = HttpImage::open(&url, fast_retry()).unwrap();
    assert_eq!(http.stated_sha256(), Some(img.sha256.to_string().as_str()));
    assert_eq!(http.content_length(), Some(packed.len() as u64));
    let (path, mut dev) = disk(&scratch, 8 * MIB);
    let w = install(&mut dev, Box::new(http), &img).unwrap();
    assert_eq!(w.sha256, img.sha256);
    assert_eq!(served.load(Ordering::SeqCst), 3, "two resumptions");
    assert_eq!(&std::fs::read(&path).unwrap()[..raw.len()], &raw[..]);
}

#[test]
fn corrupted_bytes_over_http_are_a_failed_install() {
    let scratch = Scratch::new();
    let raw = image(scratch.dir.path(), 4, false);
    let img = spec("family", &raw, Compression::None);
    let (url, _) = serve(raw.clone(), img.sha256.to_string(), vec![Answer::Corrupt]);
    let (_, mut dev) = disk(&scratch, 8 * MIB);
    let http = HttpImage::open(&url, fast_retry()).unwrap();
    let e = install(&mut dev, Box::new(http), &img).unwrap_err();
    assert!(matches!(e, InstallError::SourceMismatch { .. }), "{e:?}");
}

#[test]
fn another_image_on_resume_or_a_server_that_keeps_dropping_is_refused() {
    let scratch = Scratch::new();
    let raw = image(scratch.dir.path(), 4, false);
    let img = spec("family", &raw, Compression::None);
    let (_, mut dev) = disk(&scratch, 8 * MIB);

    let (url, _) = serve(
        raw.clone(),
        img.sha256.to_string(),
        vec![Answer::Cut(MIB), Answer::Other],
    );
    let http = HttpImage::open(&url, fast_retry()).unwrap();
    let e = install(&mut dev, Box::new(http), &img).unwrap_err();
    let text = reprise::model::error_chain(&e);
    assert!(text.contains("another image"), "{text}");

    // Some bytes, then answers that bring none: a server that keeps dropping.
    let (url, served) = serve(
        raw.clone(),
        img.sha256.to_string(),
        vec![Answer::Cut(10), Answer::Cut(0)],
    );
    let http = HttpImage::open(&url, fast_retry()).unwrap();
    let e = install(&mut dev, Box::new(http), &img).unwrap_err();
    let text = reprise::model::error_chain(&e);
    assert!(text.contains("giving up"), "{text}");
    assert_eq!(
        served.load(Ordering::SeqCst),
        4,
        "the first GET and 3 attempts"
    );
}

/// A read-only loop device over `dev` (our own loop device) from byte `offset`.
fn lo_at(dev: &Path, offset: u64) -> PathBuf {
    let out = Command::new("losetup")
        .args(["-f", "--show", "-r", "-o", &offset.to_string()])
        .arg(devices::checked_target(dev).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
#[ignore = "needs root and loop devices: scripts/test (and CI) run it as root"]
fn a_loop_device_receives_the_image_and_its_ext4_grows() {
    devices::require_loop();
    require_program("resize2fs", "e2fsprogs");
    let scratch = Scratch::new();
    let raw = image(scratch.dir.path(), 8, true);
    let packed = zstd::encode_all(&raw[..], 3).unwrap();
    let img = spec("family", &raw, Compression::Zstd);
    let lo = LoopDevice::create(32 * MIB, false, true);
    let dev_path = lo.path().to_owned();
    let plan = reprise::wipe::WipePlan {
        devices: vec![reprise::wipe::PlannedDevice::overwrite(
            dev_path.clone(),
            devices::host_identity(&dev_path),
            "zero".parse().unwrap(),
        )],
        rounds: 1,
        verify: VerifySpec::None,
    }
    .validate()
    .unwrap();
    let mut dev = open_for_write(&plan, &dev_path, &devices::host_guard())
        .unwrap()
        .device;
    assert!(dev.is_direct(), "a loop device takes direct I/O");
    let w = install(&mut dev, Box::new(std::io::Cursor::new(packed)), &img).unwrap();
    assert_eq!(w.sha256, img.sha256);
    let fixed = fix_gpt(&mut dev, &img).unwrap();
    assert!(fixed.last_is_ext4);
    let fs = engine::grow_filesystem(Box::new(dev), &fixed);
    assert!(matches!(fs, Filesystem::Grown { .. }), "not grown: {fs:?}");
    // The filesystem as the disk now holds it (the test's own loop device at the partition's
    // offset: this kernel may not scan loop devices' partitions).
    let lo = lo_at(&dev_path, 2 * MIB as u64);
    let out = Command::new("dumpe2fs")
        .args(["-h", lo.to_str().unwrap()])
        .output()
        .unwrap();
    devices::sh("losetup", &["-d", lo.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let blocks: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Block count:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let block: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Block size:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The partition now runs from 2 MiB to the disk's end less the backup GPT.
    let part_bytes = (32 * MIB - 2 * MIB - 34 * 512) as u64;
    assert!(
        blocks * block > part_bytes - 2 * MIB as u64,
        "{blocks} blocks of {block}: not grown to {part_bytes}"
    );
    let verify = sgdisk(&["-v", dev_path.to_str().unwrap()]);
    assert!(verify.contains("No problems found"), "{verify}");
}

/// `reprise install` as the bench and an operator run it: a zstd image onto a file this test
/// created, confirmed by typing; exit 0, the image's bytes on the "disk", the rates and what
/// became of the filesystem said in words. Declined, it writes nothing (exit 4); a wrong
/// SHA-256 is a failed install (exit 3).
#[test]
fn the_install_command_says_what_it_did_and_exits_by_its_outcome() {
    use crate::support::cli::reprise_typing;
    let scratch = Scratch::new();
    let raw = image(scratch.dir.path(), 8, false);
    let zst = scratch.dir.path().join("famille.img.zst");
    std::fs::write(&zst, zstd::bulk::compress(&raw, 3).unwrap()).unwrap();
    let target = scratch.file("disk.img", 16 * MIB);
    let target = devices::checked_target(&target).unwrap();
    let hex: String = sha2::Sha256::digest(&raw)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let args = |sha: &str| {
        vec![
            "install".to_owned(),
            zst.display().to_string(),
            target.display().to_string(),
            "--sha256".to_owned(),
            sha.to_owned(),
        ]
    };
    let run = |args: Vec<String>, typed: &str| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        reprise_typing(&refs, typed)
    };

    let before = std::fs::read(target).unwrap();
    let declined = run(args(&hex), "no\n");
    assert_eq!(declined.status.code(), Some(4), "{declined:?}");
    assert!(
        std::fs::read(target).unwrap() == before,
        "declined, yet written"
    );

    let out = run(args(&hex), "yes\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains(&format!("installed {} bytes, sha256:{hex}", raw.len())),
        "{stdout}"
    );
    assert!(stdout.contains("MB/s"), "{stdout}");
    assert!(
        stdout.contains("filesystem kept as it is (partition type 0fc63daf-"),
        "{stdout}"
    );
    // The partitions' bytes are the image's (its GPT is fitted to the larger disk).
    let partitions = 2048 * 512..raw.len() - 34 * 512;
    assert!(std::fs::read(target).unwrap()[partitions.clone()] == raw[partitions]);

    let wrong = "0".repeat(64);
    let failed = run(args(&wrong), "yes\n");
    assert_eq!(failed.status.code(), Some(3), "{failed:?}");
}
