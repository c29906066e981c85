//! The OS images the collector keeps for the agents: `image add/list/remove` (SQLite and
//! PostgreSQL), the SHA-256 of the raw bytes whatever the stored form, the image API with HTTP
//! ranges (206, 416, If-Range, HEAD, a resumed download), a slow reader that the read timeout
//! does not cut, the images page, and PXE marks naming an image (`reprise.deploy=`).

mod support;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};
use support::{Server, cli, cli_ok, head, request};

/// Bytes that look like a disk image and do not compress to nothing: a repeating pattern with
/// a counter, so that a shifted or truncated range is seen.
fn image_bytes(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut i: u64 = 0;
    while out.len() < len {
        out.extend_from_slice(&i.to_le_bytes());
        out.extend_from_slice(b"reprise image block ");
        i += 1;
    }
    out.truncate(len);
    // No compression magic at the start (a raw disk image starts with its boot sector).
    out[0] = 0xeb;
    out
}

fn sha_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn zstd_of(b: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(b, 3).unwrap()
}

/// A folder with a database path and image files.
struct Workshop {
    dir: tempfile::TempDir,
}

impl Workshop {
    fn new() -> Workshop {
        Workshop {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> String {
        self.dir.path().join("atelier.db").display().to_string()
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// `reprise-collector ARGS... --db DB EXTRA...`, which must fail; its stderr.
fn cli_err(args: &[&str]) -> String {
    let out = cli(args, None);
    assert!(
        !out.status.success(),
        "reprise-collector {args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The lines of `image list` (header dropped), split at tabs.
fn list(db: &str) -> Vec<Vec<String>> {
    cli_ok(&["image", "list", "--db", db])
        .lines()
        .skip(1)
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// The files of the images directory (temporaries included: none may be left).
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// add, list, remove, with the images in `images_dir` (`extra`: `--images DIR` or nothing).
fn lifecycle(w: &Workshop, db: &str, images_dir: &Path, extra: &[&str]) {
    let raw = image_bytes(3_000_000);
    let sha = sha_hex(&raw);
    let plain = w.file("master.img", &raw);
    let packed = w.file("master.img.zst", &zstd_of(&raw));
    let with = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| (*s).to_string()).collect();
        v.extend(["--db".to_string(), db.to_string()]);
        v.extend(extra.iter().map(|s| (*s).to_string()));
        v
    };
    let run_ok = |args: &[&str]| {
        let v = with(args);
        cli_ok(&v.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let run_err = |args: &[&str]| {
        let v = with(args);
        cli_err(&v.iter().map(String::as_str).collect::<Vec<_>>())
    };

    // The SHA-256 printed is that of the raw bytes, stored plain or compressed.
    let out = run_ok(&[
        "image",
        "add",
        &plain,
        "--name",
        "debian-12",
        "--version",
        "1",
    ]);
    assert_eq!(out.trim(), sha);
    let out = run_ok(&[
        "image",
        "add",
        &packed,
        "--name",
        "debian-12",
        "--version",
        "2",
    ]);
    assert_eq!(out.trim(), sha, "a .zst image's SHA-256 is its raw bytes'");
    let rows = list(db);
    assert_eq!(rows.len(), 2, "{rows:?}");
    // Newest first within a name.
    assert_eq!(rows[0][..3], ["debian-12", "2", "zstd"]);
    assert_eq!(rows[1][..3], ["debian-12", "1", "none"]);
    let zst_len = std::fs::metadata(&packed).unwrap().len().to_string();
    assert_eq!(rows[0][3], zst_len, "size: the stored file");
    assert_eq!(rows[0][4], "3000000", "raw size");
    assert_eq!(rows[1][3], "3000000");
    assert!(
        rows.iter().all(|r| r[5] == sha && r[7] == "available"),
        "{rows:?}"
    );
    // Copies, byte for byte, in the images directory; no temporary left.
    let files = files_in(images_dir);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files.iter().all(|f| f.starts_with("debian-12@")),
        "{files:?}"
    );
    let stored_zst = files.iter().find(|f| f.ends_with(".img.zst")).unwrap();
    assert_eq!(
        std::fs::read(images_dir.join(stored_zst)).unwrap(),
        std::fs::read(&packed).unwrap()
    );

    // A name and version are taken once.
    let err = run_err(&[
        "image",
        "add",
        &plain,
        "--name",
        "debian-12",
        "--version",
        "2",
    ]);
    assert!(err.contains("image debian-12 2 already exists"), "{err}");
    assert_eq!(files_in(images_dir).len(), 2);

    // NAME alone: the latest added version.
    let out = run_ok(&["image", "remove", "debian-12"]);
    assert!(out.contains("image debian-12 2 removed"), "{out}");
    let rows = list(db);
    assert_eq!(rows.len(), 2, "the record stays: {rows:?}");
    assert!(rows[0][7].starts_with("removed 20"), "{rows:?}");
    assert_eq!(rows[1][7], "available");
    let files = files_in(images_dir);
    assert_eq!(files.len(), 1, "the file goes: {files:?}");
    assert!(files[0].ends_with(".img"), "{files:?}");
    // Never reused, even removed; removing it again, or an unknown image, says so.
    let err = run_err(&[
        "image",
        "add",
        &plain,
        "--name",
        "debian-12",
        "--version",
        "2",
    ]);
    assert!(
        err.contains("removed") && err.contains("never reused"),
        "{err}"
    );
    let err = run_err(&["image", "remove", "debian-12", "--version", "2"]);
    assert!(
        err.contains("no image (not removed) \"debian-12 2\""),
        "{err}"
    );
    let err = run_err(&["image", "remove", "windows"]);
    assert!(err.contains("no image (not removed) \"windows\""), "{err}");
    // Without --version, a version named by the time of adding.
    run_ok(&["image", "add", &plain, "--name", "tiny"]);
    let rows = list(db);
    let tiny = rows.iter().find(|r| r[0] == "tiny").unwrap();
    assert!(
        tiny[1].len() == 15 && tiny[1].as_bytes()[8] == b'-',
        "{tiny:?}"
    );
}

#[test]
fn images_are_added_listed_and_removed_on_sqlite() {
    let w = Workshop::new();
    let db = w.db();
    lifecycle(&w, &db, &w.path("atelier.db.images"), &[]);
}

#[test]
fn images_are_added_listed_and_removed_on_postgres() {
    let pg = support::Postgres::start();
    let db = pg.database();
    let w = Workshop::new();
    let plain = w.file("a.img", &image_bytes(1000));
    // PostgreSQL has no folder beside it.
    let err = cli_err(&["image", "add", &plain, "--name", "a", "--db", &db]);
    assert!(err.contains("give --images DIR"), "{err}");
    let dir = w.path("images");
    lifecycle(&w, &db, &dir, &["--images", dir.to_str().unwrap()]);
    // Served from that folder.
    let server = Server::open(&db, &["--images", dir.to_str().unwrap()]);
    let r = server.get("/api/v1/images/debian-12");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-reprise-image-version"), Some("1"));
    assert_eq!(r.body, image_bytes(3_000_000));
}

/// Two `image add` of one name and version at once: one is recorded, the other refused, and
/// only the recorded one's file is left.
#[test]
fn two_adds_of_one_version_at_once_leave_one_image() {
    let w = Workshop::new();
    let db = w.db();
    let raw = image_bytes(32 << 20);
    let file = w.file("m.img", &raw);
    // The database exists before both start (its creation is not what is tested).
    cli_ok(&["image", "list", "--db", &db]);
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let (db, file) = (db.clone(), file.clone());
            std::thread::spawn(move || {
                cli(
                    &[
                        "image",
                        "add",
                        &file,
                        "--name",
                        "m",
                        "--version",
                        "1",
                        "--db",
                        &db,
                    ],
                    None,
                )
            })
        })
        .collect();
    let outs: Vec<_> = runs.into_iter().map(|t| t.join().unwrap()).collect();
    let ok = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(ok, 1, "{outs:?}");
    let refused = outs.iter().find(|o| !o.status.success()).unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(list(&db).len(), 1);
    let files = files_in(&w.path("atelier.db.images"));
    assert_eq!(files.len(), 1, "{files:?}");
    let stored = std::fs::read(w.path("atelier.db.images").join(&files[0])).unwrap();
    assert_eq!(sha_hex(&stored), sha_hex(&raw));
}

#[test]
fn the_cli_refuses_bad_images_and_says_why() {
    let w = Workshop::new();
    let db = w.db();
    let raw = image_bytes(100_000);
    let good = w.file("good.img", &raw);
    for (args, says) in [
        (vec!["--name", "a b"], "--name \"a b\": 1 to 64 letters"),
        (vec!["--name", "../x"], "--name \"../x\""),
        (vec!["--name", "x", "--version", "1/2"], "--version \"1/2\""),
        (vec!["--name", "x", "--version=-1"], "--version \"-1\""),
    ] {
        let mut a = vec!["image", "add", good.as_str()];
        a.extend(args);
        a.extend(["--db", &db]);
        let err = cli_err(&a);
        assert!(err.contains(says), "{a:?}: {err}");
    }
    let not_zstd = w.file("fake.img.zst", &raw);
    let err = cli_err(&["image", "add", &not_zstd, "--name", "x", "--db", &db]);
    assert!(
        err.contains("fake.img.zst is named .zst but is not a valid zstd stream"),
        "{err}"
    );
    let mut cut = zstd_of(&image_bytes(2_000_000));
    cut.truncate(cut.len() / 2);
    let truncated = w.file("cut.img.zst", &cut);
    let err = cli_err(&["image", "add", &truncated, "--name", "x", "--db", &db]);
    assert!(
        err.contains("cut.img.zst is named .zst but is not a valid zstd stream"),
        "{err}"
    );
    let zst_unnamed = w.file("packed.img", &zstd_of(&raw));
    let err = cli_err(&["image", "add", &zst_unnamed, "--name", "x", "--db", &db]);
    assert!(
        err.contains("packed.img starts like a zstd (name it .zst) file"),
        "{err}"
    );
    let gz = w.file("disk.img.gz", &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    let err = cli_err(&["image", "add", &gz, "--name", "x", "--db", &db]);
    assert!(err.contains("starts like a gzip file"), "{err}");
    let empty = w.file("empty.img", b"");
    let err = cli_err(&["image", "add", &empty, "--name", "x", "--db", &db]);
    assert!(err.contains("empty.img is empty"), "{err}");
    let missing = w.path("missing.img").display().to_string();
    let err = cli_err(&["image", "add", &missing, "--name", "x", "--db", &db]);
    assert!(
        err.contains("cannot read") && err.contains("missing.img"),
        "{err}"
    );
    // Nothing was recorded, nothing left in the folder.
    assert!(list(&db).is_empty());
    assert!(files_in(&w.path("atelier.db.images")).is_empty());
    let err = cli_err(&[
        "mark",
        "--mac",
        "52:54:00:00:00:01",
        "--mode",
        "clear",
        "--image",
        "nothing",
        "--db",
        &db,
    ]);
    assert!(err.contains("--image nothing: no such image here"), "{err}");
    let err = cli_err(&[
        "mark",
        "--mac",
        "52:54:00:00:00:01",
        "--mode",
        "clear",
        "--image",
        "a;b",
        "--db",
        &db,
    ]);
    assert!(err.contains("--image \"a;b\""), "{err}");
    assert_eq!(cli_ok(&["marks", "--db", &db]), "");
}

/// A server (`start`: `Server::open` or `Server::start`) with `debian-12` 1 (raw) and 2 (zstd)
/// of `raw`.
fn served(w: &Workshop, raw: &[u8], start: fn(&str, &[&str]) -> Server, extra: &[&str]) -> Server {
    let db = w.db();
    let plain = w.file("master.img", raw);
    let packed = w.file("master.img.zst", &zstd_of(raw));
    cli_ok(&[
        "image",
        "add",
        &plain,
        "--name",
        "debian-12",
        "--version",
        "1",
        "--db",
        &db,
    ]);
    cli_ok(&[
        "image",
        "add",
        &packed,
        "--name",
        "debian-12",
        "--version",
        "2",
        "--db",
        &db,
    ]);
    start(&db, extra)
}

#[test]
fn the_api_lists_the_images_and_serves_them_with_ranges() {
    let w = Workshop::new();
    let raw = image_bytes(1_500_000);
    let sha = sha_hex(&raw);
    let server = served(
        &w,
        &raw,
        Server::open,
        &["--public-url", "http://127.0.0.1:8080"],
    );
    let stored = std::fs::read(w.path("master.img.zst")).unwrap();
    let len = stored.len();

    let r = server.get("/api/v1/images");
    assert_eq!(r.status, 200, "{}", r.text());
    let images = r.json()["images"].as_array().unwrap().clone();
    assert_eq!(images.len(), 2, "{images:?}");
    let latest = &images[0];
    assert_eq!(latest["name"], "debian-12");
    assert_eq!(latest["version"], "2");
    assert_eq!(latest["sha256"], sha.as_str());
    assert_eq!(latest["raw_size"], 1_500_000);
    assert_eq!(latest["size"], len);
    assert_eq!(latest["compression"], "zstd");
    assert_eq!(
        latest["url"],
        "http://127.0.0.1:8080/api/v1/images/debian-12/2"
    );
    assert_eq!(images[1]["compression"], "none");

    // The whole file: NAME alone is the latest version.
    let full = server.get("/api/v1/images/debian-12");
    assert_eq!(full.status, 200);
    assert_eq!(full.body, stored);
    assert_eq!(
        full.header("content-length"),
        Some(len.to_string().as_str())
    );
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    assert_eq!(full.header("x-reprise-image-sha256"), Some(sha.as_str()));
    assert_eq!(full.header("x-reprise-image-version"), Some("2"));
    assert_eq!(full.header("x-reprise-image-name"), Some("debian-12"));
    assert_eq!(full.header("x-reprise-image-raw-size"), Some("1500000"));
    assert_eq!(full.header("x-reprise-image-compression"), Some("zstd"));
    let etag = full.header("etag").unwrap().to_string();
    assert_eq!(zstd::stream::decode_all(&full.body[..]).unwrap(), raw);
    let v1 = server.get("/api/v1/images/debian-12/1");
    assert_eq!(v1.status, 200);
    assert_eq!(v1.body, raw);
    assert_eq!(v1.header("x-reprise-image-compression"), Some("none"));
    assert_ne!(v1.header("etag"), Some(etag.as_str()));

    let ranged = |range: &str, extra: &[(&str, &str)]| {
        let mut h = vec![("Range", range)];
        h.extend_from_slice(extra);
        request(server.addr, "GET", "/api/v1/images/debian-12/2", &h, b"")
    };
    let r = ranged("bytes=100-199", &[]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, stored[100..200]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 100-199/{len}").as_str())
    );
    assert_eq!(r.header("content-length"), Some("100"));
    assert_eq!(r.header("x-reprise-image-sha256"), Some(sha.as_str()));
    let r = ranged("bytes=-10", &[]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, stored[len - 10..]);
    let r = ranged(&format!("bytes={}-{}", len - 5, len + 100), &[]);
    assert_eq!(r.status, 206, "an end past the file is cut to it");
    assert_eq!(r.body, stored[len - 5..]);
    for unsatisfiable in [format!("bytes={len}-"), "bytes=-0".to_string()] {
        let r = ranged(&unsatisfiable, &[]);
        assert_eq!(r.status, 416, "{unsatisfiable}");
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes */{len}").as_str())
        );
        assert_eq!(r.json()["code"], "range_not_satisfiable");
    }
    // Ranges this server does not take: the whole file.
    for ignored in ["bytes=0-1,5-6", "items=0-9", "bytes=9-1"] {
        let r = ranged(ignored, &[]);
        assert_eq!(r.status, 200, "{ignored}");
        assert_eq!(r.body, stored);
    }
    // If-Range: the range while the file is the one begun, else the whole file.
    let r = ranged("bytes=10-19", &[("If-Range", &etag)]);
    assert_eq!((r.status, &r.body[..]), (206, &stored[10..20]));
    let r = ranged("bytes=10-19", &[("If-Range", "\"another\"")]);
    assert_eq!((r.status, r.body.len()), (200, len));
    let r = ranged(
        "bytes=10-19",
        &[("If-Range", "Mon, 07 Dec 2026 10:00:00 GMT")],
    );
    assert_eq!(r.status, 200);

    // A download dropped after `cut` bytes resumes from there: the exact tail.
    let cut = len / 3;
    let mut s = TcpStream::connect(server.addr).unwrap();
    write!(
        s,
        "GET /api/v1/images/debian-12/2 HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
    }
    let mut first = vec![0u8; cut];
    reader.read_exact(&mut first).unwrap();
    drop(reader);
    let tail = ranged(&format!("bytes={cut}-"), &[("If-Range", &etag)]);
    assert_eq!(tail.status, 206);
    assert_eq!(tail.body, stored[cut..]);
    first.extend_from_slice(&tail.body);
    let decoded = zstd::stream::decode_all(&first[..]).unwrap();
    assert_eq!(sha_hex(&decoded), sha);

    // HEAD: the same headers, no body.
    let h = head(server.addr, "/api/v1/images/debian-12", &[]);
    assert_eq!(h.status, 200);
    assert_eq!(h.header("content-length"), Some(len.to_string().as_str()));
    assert_eq!(h.header("x-reprise-image-sha256"), Some(sha.as_str()));
    assert_eq!(h.header("accept-ranges"), Some("bytes"));
    let h = head(
        server.addr,
        "/api/v1/images/debian-12/1",
        &[("Range", "bytes=0-9")],
    );
    assert_eq!(h.status, 206);
    assert_eq!(h.header("content-range"), Some("bytes 0-9/1500000"));

    // Unknown, then removed: 404, 410; NAME alone falls back to the version left.
    let r = server.get("/api/v1/images/windows");
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (404, Some("unknown_image"))
    );
    let r = server.get("/api/v1/images/debian-12/9");
    assert_eq!(r.status, 404);
    cli_ok(&["image", "remove", "debian-12", "--db", &server.db]);
    let r = server.get("/api/v1/images/debian-12/2");
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (410, Some("image_removed"))
    );
    let r = server.get("/api/v1/images/debian-12");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-reprise-image-version"), Some("1"));
    let listed = server.get("/api/v1/images").json();
    assert_eq!(listed["images"].as_array().unwrap().len(), 1, "{listed}");
    cli_ok(&["image", "remove", "debian-12", "--db", &server.db]);
    let r = server.get("/api/v1/images/debian-12");
    assert_eq!(r.status, 404);
    assert_eq!(
        server.get("/api/v1/images").json()["images"],
        serde_json::json!([])
    );
}

/// A client that reads a download slowly (a slow disk behind it) is not cut off by the read
/// timeout, which is for request heads and bodies: the response takes several times the
/// timeout, through socket buffers that fill and wait.
#[test]
fn a_slow_reader_downloads_past_the_read_timeout() {
    let w = Workshop::new();
    let db = w.db();
    // Larger than loopback's socket buffers (a few MiB each way).
    let raw = image_bytes(24 << 20);
    let sha = sha_hex(&raw);
    let file = w.file("big.img", &raw);
    cli_ok(&["image", "add", &file, "--name", "big", "--db", &db]);
    // A cap of 2 connections: idle ones arriving during the download replace each other,
    // never the download (its response is in flight).
    let server = Server::open(&db, &["--read-timeout", "1", "--max-connections", "2"]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "GET /api/v1/images/big HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let start = Instant::now();
    let mut reader = BufReader::with_capacity(64 << 10, s);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
    }
    let mut got = Vec::with_capacity(raw.len());
    let mut buf = vec![0u8; 64 << 10];
    let mut idle = Vec::new();
    while got.len() < raw.len() {
        if idle.len() < 3 && got.len() > (idle.len() + 1) * (2 << 20) {
            let c = TcpStream::connect(server.addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            idle.push(c);
        }
        let n = reader
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("cut after {} bytes: {e}", got.len()));
        assert!(n > 0, "the server closed after {} bytes", got.len());
        got.extend_from_slice(&buf[..n]);
        // About 3 MiB/s: 24 MiB take 5 s or more, five times the timeout.
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = start.elapsed();
    // The idle connections were closed without a byte (by the cap, each making room for the
    // next, or by the read timeout), and the download was never the one closed.
    for c in &mut idle[..2] {
        let mut b = [0u8; 1];
        assert_eq!(c.read(&mut b).unwrap(), 0, "an idle connection is closed");
    }
    assert!(
        took > Duration::from_secs(4),
        "too fast to test anything: {took:?}"
    );
    assert_eq!(got.len(), raw.len());
    assert_eq!(sha_hex(&got), sha);
    // (The connection then closes once idle for the read timeout: the response was written
    // into the socket buffers long before this reader took its last bytes.)
}

#[test]
fn a_mark_names_an_image_and_the_page_shows_it_even_removed() {
    let w = Workshop::new();
    let db = w.db();
    let boot = w.path("out");
    std::fs::create_dir(&boot).unwrap();
    for f in [
        "vmlinuz",
        "vmlinuz-bios",
        "initrd.img",
        "bootx64.efi",
        "grubx64.efi",
    ] {
        std::fs::write(boot.join(f), b"boot file").unwrap();
    }
    let plain = w.file("m.img", &image_bytes(10_000));
    cli_ok(&[
        "image",
        "add",
        &plain,
        "--name",
        "debian-12",
        "--version",
        "1",
        "--db",
        &db,
    ]);
    let out = cli_ok(&[
        "mark",
        "--mac",
        "52:54:00:00:00:01",
        "--mode",
        "clear",
        "--site",
        "rack-1",
        "--image",
        "debian-12",
        "--db",
        &db,
    ]);
    assert!(out.contains("then image debian-12"), "{out}");
    cli_ok(&[
        "mark",
        "--subnet",
        "10.9.0.0/16",
        "--mode",
        "purge",
        "--db",
        &db,
    ]);
    assert_eq!(
        cli_ok(&["marks", "--db", &db]),
        "mac\t52:54:00:00:00:01\tclear\track-1\tdebian-12\nsubnet\t10.9.0.0/16\tpurge\t\t\n"
    );
    let server = Server::open(
        &db,
        &[
            "--boot-dir",
            boot.to_str().unwrap(),
            "--public-url",
            "http://127.0.0.1:8080",
        ],
    );
    let kernel = |mac: &str| {
        let r = server.get(&format!("/boot.ipxe?mac={mac}"));
        assert_eq!(r.status, 200, "{}", r.text());
        r.text()
            .lines()
            .find(|l| l.starts_with("kernel "))
            .unwrap()
            .to_string()
    };
    let marked = kernel("52:54:00:00:00:01");
    assert!(
        marked.contains(
            " reprise.auto=clear reprise.poweroff=1 reprise.site=rack-1 reprise.deploy=debian-12"
        ),
        "{marked}"
    );
    let script = server.get("/boot.ipxe?mac=52:54:00:00:00:01").text();
    assert!(
        script.contains(
            "echo Reprise: AUTOMATIC CLEAR of this machine's disks (MAC 52:54:00:00:00:01), \
             image debian-12 on a refurbish verdict, then power off\n"
        ),
        "{script}"
    );
    let unmarked = kernel("52:54:00:00:00:02");
    assert!(!unmarked.contains("reprise.deploy"), "{unmarked}");

    // The page, in both languages.
    let page = server.get("/images?lang=en").text();
    assert!(
        page.contains("<td>debian-12</td><td>1</td><td>none</td>"),
        "{page}"
    );
    assert!(page.contains(&sha_hex(&image_bytes(10_000))), "{page}");
    assert!(
        page.contains("available") && page.contains("Gives today"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"ok\">version 1</span>"),
        "{page}"
    );
    let page = server.get("/images?lang=fr").text();
    assert!(
        page.contains("disponible") && page.contains("Taille brute"),
        "{page}"
    );

    // Removed: the mark still names it, the page says so, the machines still get the name
    // (their agent is told it was removed when it asks).
    cli_ok(&["image", "remove", "debian-12", "--db", &db]);
    assert!(cli_ok(&["marks", "--db", &db]).contains("\tdebian-12\n"));
    let page = server.get("/images?lang=en").text();
    assert!(page.contains(">image removed<"), "{page}");
    assert!(page.contains(">removed 20"), "{page}");
    assert!(kernel("52:54:00:00:00:01").contains("reprise.deploy=debian-12"));
    let page = server.get("/images?lang=fr").text();
    assert!(page.contains(">image supprimée<"), "{page}");
}

#[test]
fn the_images_page_needs_a_login_and_the_api_does_not() {
    let w = Workshop::new();
    let raw = image_bytes(5000);
    let server = served(&w, &raw, Server::start, &[]);
    let r = server.get("/images");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login?next=%2Fimages"));
    assert_eq!(server.get("/api/v1/images").status, 200);
    assert_eq!(server.get("/api/v1/images/debian-12/1").body, raw);
}
