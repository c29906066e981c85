//! Test support: genuine certificates signed with keys made per test, the real
//! `reprise-collector` binary as a child process on 127.0.0.1 (port 0), a small HTTP/1.1
//! client over `std::net`, a PostgreSQL cluster of the test's own, and headless Chromium.
//!
//! Nothing here skips: a missing PostgreSQL or Chromium is a panic (a failed test).

// Each test file uses part of this module.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use reprise_cert::envelope;
use reprise_cert::model::Certificate;
use reprise_cert::refurbish;
use reprise_cert::sign;
use reprise_cert::verdict::Decision;

pub const BIN: &str = env!("CARGO_BIN_EXE_reprise-collector");

// ---------------------------------------------------------------- certificates

/// One of the two template contents (`fixtures/README.md`).
pub fn template(failed: bool) -> Certificate {
    let text = if failed {
        include_str!("../fixtures/content-failed.json")
    } else {
        include_str!("../fixtures/content-passed.json")
    };
    serde_json::from_str(text).expect("template certificate")
}

/// A station: a fresh key, its public PEM on disk, and its chain so far.
#[derive(Debug)]
pub struct Station {
    pub key: SigningKey,
    pub key_id: String,
    pub pub_pem: PathBuf,
    pub next_sequence: u64,
    pub previous: Option<String>,
    _dir: tempfile::TempDir,
}

/// A signed certificate ready to upload.
#[derive(Debug, Clone)]
pub struct Signed {
    pub id: String,
    pub digest: String,
    pub bytes: Vec<u8>,
    pub cert: Certificate,
}

impl Signed {
    /// The hex of the digest: the `/c/<hex>` URL.
    pub fn hex(&self) -> &str {
        self.digest.strip_prefix("sha256:").unwrap()
    }
}

/// What varies between test certificates.
#[derive(Debug, Clone)]
pub struct Spec {
    pub serial: String,
    pub site: String,
    pub issued_at: String,
    pub failed: bool,
    pub decision: Decision,
    pub product: Option<String>,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            serial: "PF1ABCDE".into(),
            site: "Collège Pasteur, Besançon".into(),
            issued_at: "2026-11-26T10:00:00.000Z".into(),
            failed: false,
            decision: Decision::Refurbish,
            product: None,
        }
    }
}

impl Station {
    pub fn new() -> Station {
        let key = sign::generate().unwrap();
        let key_id = sign::key_id(&key.verifying_key());
        let dir = tempfile::tempdir().unwrap();
        let pub_pem = dir.path().join("station.pub");
        std::fs::write(
            &pub_pem,
            sign::public_key_pem(&key.verifying_key()).unwrap(),
        )
        .unwrap();
        Station {
            key,
            key_id,
            pub_pem,
            next_sequence: 1,
            previous: None,
            _dir: dir,
        }
    }

    /// The station's next certificate (advances its chain).
    pub fn issue(&mut self, spec: &Spec) -> Signed {
        self.issue_with(spec, |_| {})
    }

    /// The station's next certificate, changed by `edit` before it is signed (a priced plan).
    pub fn issue_with(&mut self, spec: &Spec, edit: impl FnOnce(&mut Certificate)) -> Signed {
        let seq = self.next_sequence;
        let prev = self.previous.clone();
        let s = self.make_edited(spec, seq, prev, edit);
        self.next_sequence += 1;
        self.previous = Some(s.digest.clone());
        s
    }

    /// A certificate with any chain position (forks, gaps), without advancing the chain.
    pub fn make(&self, spec: &Spec, sequence: u64, previous: Option<String>) -> Signed {
        self.make_edited(spec, sequence, previous, |_| {})
    }

    /// [`Station::make`], with `edit` applied to the content before it is signed.
    pub fn make_edited(
        &self,
        spec: &Spec,
        sequence: u64,
        previous: Option<String>,
        edit: impl FnOnce(&mut Certificate),
    ) -> Signed {
        let mut c = template(spec.failed);
        c.id = format!("{}-{sequence:08}", &self.key_id[7..23]);
        c.issued_at = spec.issued_at.clone();
        c.issuer.site = spec.site.clone();
        c.chain.station_key_id = self.key_id.clone();
        c.chain.sequence = sequence;
        c.chain.previous_digest = previous;
        c.machine.identity.serial = Some(spec.serial.clone());
        c.machine.identity.chassis_serial = Some(spec.serial.clone());
        if let Some(p) = &spec.product {
            c.machine.identity.version = Some(p.clone());
            c.machine.identity.family = Some(p.clone());
        }
        c.destination = spec.decision;
        c.verdict.decision = spec.decision;
        edit(&mut c);
        self.seal(c)
    }

    pub fn seal(&self, c: Certificate) -> Signed {
        let env = envelope::seal(c, &self.key).unwrap();
        let digest = envelope::certificate_digest(&env.certificate).unwrap();
        Signed {
            id: env.certificate.id.clone(),
            digest,
            bytes: envelope::to_file_bytes(&env),
            cert: env.certificate,
        }
    }
}

/// The refurbishment record a station signs after installing image `version` on the machine of
/// `cert` (`reprise_cert::refurbish`, as the agent writes it).
pub fn record_content(key_id: &str, cert: &Signed, version: &str) -> refurbish::Record {
    use refurbish::*;
    Record {
        kind: KIND.into(),
        schema_version: RECORD_SCHEMA_VERSION,
        id: record_id(&cert.id),
        issued_at: "2026-11-26T10:20:00.000Z".into(),
        station_key_id: key_id.to_string(),
        certificate: CertificateRef {
            id: cert.id.clone(),
            digest: cert.digest.clone(),
        },
        machine_serial: cert.cert.machine.identity.serial.clone(),
        image: ImageRef {
            name: "famille".into(),
            version: version.into(),
            sha256: format!("sha256:{}", "ab".repeat(32)),
            compression: "zstd".into(),
            source: "server".into(),
            location: "http://10.0.5.1:8080/api/v1/images/famille".into(),
        },
        disk: DiskRef {
            id: "nvme:S4EWNX0N123456:1".into(),
            model: Some("Samsung SSD 970".into()),
            serial: Some("S4EWNX0N123456".into()),
            size_bytes: 256_060_514_304,
        },
        bytes_written: 8_589_934_592,
        duration_ms: 61_400,
        write_ms: 40_000,
        readback_ms: 20_000,
        read_back: ReadBack {
            result: "passed".into(),
            sha256: format!("sha256:{}", "ab".repeat(32)),
        },
        checks: vec![CheckDone {
            name: "read_back_sha256".into(),
            result: "passed".into(),
        }],
        filesystem: "grown".into(),
        filesystem_note: None,
        tool: "reprise 0.1.0".into(),
    }
}

/// A signed record ready to upload (`id` and `digest` its own).
pub fn seal_record(key: &SigningKey, record: refurbish::Record) -> Signed {
    let env = refurbish::seal(record, key).unwrap();
    let bytes = refurbish::to_file_bytes(&env);
    let digest = sign::sha256_digest(&reprise_cert::jcs::to_canonical(&env.certificate).unwrap());
    // A certificate stands in the `cert` member only for the fields tests do not read.
    Signed {
        id: env.certificate.id.clone(),
        digest,
        bytes,
        cert: template(false),
    }
}

impl Station {
    /// This station's record for its certificate `cert`, image version `version`.
    pub fn record(&self, cert: &Signed, version: &str) -> Signed {
        seal_record(&self.key, record_content(&self.key_id, cert, version))
    }
}

// ---------------------------------------------------------------- the hello exchange

/// What a station learnt from one hello.
#[derive(Debug)]
pub struct Hello {
    pub resp: Resp,
    /// The answer, when it verified against the nonce and station sent.
    pub answer: Option<reprise_cert::exchange::OpenedAnswer>,
}

/// A station's signed hello (`POST /api/v1/hello`) with a fresh nonce and `token`, and the
/// answer checked as the agent checks it (nonce, station, signature; the pin is the caller's).
pub fn say_hello(addr: SocketAddr, key: &SigningKey, token: Option<&str>) -> Hello {
    use reprise_cert::exchange;
    let mut nonce = [0u8; exchange::NONCE_BYTES];
    getrandom::fill(&mut nonce).unwrap();
    let nonce = exchange::nonce_hex(&nonce);
    let key_id = sign::key_id(&key.verifying_key());
    let hello = exchange::Hello {
        purpose: exchange::HELLO_PURPOSE.into(),
        nonce: nonce.clone(),
        station_key_id: key_id.clone(),
        station_time: "2009-06-01T10:00:15.000Z".into(),
        enroll_token: token.map(str::to_owned),
    };
    let body = exchange::seal(&hello, key).unwrap();
    let resp = request(
        addr,
        "POST",
        "/api/v1/hello",
        &[("Content-Type", "application/json")],
        &body,
    );
    let answer = exchange::open_answer(&resp.body, &nonce, &key_id).ok();
    Hello { resp, answer }
}

// ---------------------------------------------------------------- the binary

/// Runs `reprise-collector ARGS` to completion, with `stdin` as its standard input.
pub fn cli(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

/// Like [`cli`], and it must succeed; returns stdout.
pub fn cli_ok(args: &[&str]) -> String {
    let out = cli(args, None);
    assert!(
        out.status.success(),
        "reprise-collector {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Enrols a station; returns the key id the CLI printed.
pub fn enroll(db: &str, st: &Station, name: &str, site: &str) -> String {
    let out = cli_ok(&[
        "enroll",
        st.pub_pem.to_str().unwrap(),
        "--station",
        name,
        "--site",
        site,
        "--db",
        db,
    ]);
    out.trim().to_string()
}

/// `--server-key FILE` for a PostgreSQL database, which has no folder to keep the server key
/// beside it (a SQLite one keeps it as `DB.server-key`), unless `extra` names one: one file per
/// cluster port and database under the system's temporary folder, so that a restarted server
/// keeps its key as a real one would.
pub fn server_key_args(db: &str, extra: &[&str]) -> Vec<String> {
    if !db.starts_with("postgres") || extra.contains(&"--server-key") {
        return Vec::new();
    }
    let dir = std::env::temp_dir().join("reprise-test-server-keys");
    std::fs::create_dir_all(&dir).unwrap();
    let name: String = db
        .rsplit('@')
        .next()
        .unwrap_or(db)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    vec![
        "--server-key".into(),
        dir.join(format!("{name}.key")).display().to_string(),
    ]
}

/// A running server (killed on drop).
#[derive(Debug)]
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub db: String,
    pub stderr: PathBuf,
    _logs: tempfile::TempDir,
}

impl Server {
    /// `serve --listen 127.0.0.1:0 --db DB EXTRA...` (pages need a login unless EXTRA says
    /// `--no-login`).
    pub fn start(db: &str, extra: &[&str]) -> Server {
        let logs = tempfile::tempdir().unwrap();
        let stderr = logs.path().join("stderr");
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--db", db])
            .args(server_key_args(db, extra))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(addr) = line.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "server did not start: {line:?}\n{}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        };
        Server {
            addr: addr.parse().unwrap(),
            child,
            db: db.to_string(),
            stderr,
            _logs: logs,
        }
    }

    /// `serve --no-login ...`: pages open to this machine, as most tests read them.
    pub fn open(db: &str, extra: &[&str]) -> Server {
        let mut args = vec!["--no-login"];
        args.extend_from_slice(extra);
        Server::start(db, &args)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn get(&self, path: &str) -> Resp {
        request(self.addr, "GET", path, &[], b"")
    }

    pub fn upload(&self, bytes: &[u8]) -> Resp {
        request(
            self.addr,
            "POST",
            "/api/v1/certificates",
            &[("Content-Type", "application/json")],
            bytes,
        )
    }

    /// `POST /api/v1/records` with `bytes`.
    pub fn upload_record(&self, bytes: &[u8]) -> Resp {
        request(
            self.addr,
            "POST",
            "/api/v1/records",
            &[("Content-Type", "application/json")],
            bytes,
        )
    }

    /// `POST /api/v1/hello` with `bytes`.
    pub fn hello(&self, bytes: &[u8]) -> Resp {
        request(
            self.addr,
            "POST",
            "/api/v1/hello",
            &[("Content-Type", "application/json")],
            bytes,
        )
    }

    /// Rows the list shows (the CSV has a header line, then one per certificate).
    pub fn count(&self) -> usize {
        let r = self.get("/certificates.csv");
        assert_eq!(r.status, 200, "{}", r.text());
        r.text().lines().count() - 1
    }

    /// SIGKILL, as a crash or power cut would.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- a reverse proxy

/// A stand-in for a reverse proxy (nginx with `proxy_set_header X-Forwarded-For ...`) on
/// 127.0.0.1: each connection is forwarded to `upstream` with `headers` added to its request
/// head. One request per connection (the test client sends `Connection: close`). Its thread
/// ends when the proxy is dropped.
#[derive(Debug)]
pub struct Proxy {
    pub addr: SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr, headers: &[(&str, &str)]) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let flag = std::sync::Arc::clone(&stop);
        std::thread::spawn(move || {
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let extra = extra.clone();
                        std::thread::spawn(move || {
                            let _ = Proxy::forward(client, upstream, &extra);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Proxy { addr, stop }
    }

    fn forward(client: TcpStream, upstream: SocketAddr, extra: &str) -> std::io::Result<()> {
        client.set_nonblocking(false)?;
        client.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut reader = BufReader::new(client.try_clone()?);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let end = line == "\r\n";
            if end {
                head.push_str(extra);
            }
            head.push_str(&line);
            if end {
                break;
            }
        }
        let mut up = TcpStream::connect(upstream)?;
        up.write_all(head.as_bytes())?;
        up.write_all(reader.buffer())?;
        let mut up_reader = up.try_clone()?;
        let mut client_writer = client.try_clone()?;
        let back = std::thread::spawn(move || std::io::copy(&mut up_reader, &mut client_writer));
        let mut client_reader = client;
        let _ = std::io::copy(&mut client_reader, &mut up);
        let _ = back.join();
        Ok(())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------- HTTP

/// A response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn write_request(
    s: &mut TcpStream,
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    close: bool,
) -> std::io::Result<()> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" || !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut all = head.into_bytes();
    all.extend_from_slice(body);
    s.write_all(&all)
}

/// Reads one response from a buffered stream.
fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<Resp> {
    let head = read_head(r)?;
    read_body(r, head)
}

/// The status line and headers of a response (the body left unread).
fn read_head(r: &mut BufReader<TcpStream>) -> std::io::Result<Resp> {
    let mut status_line = String::new();
    if r.read_line(&mut status_line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed before a response",
        ));
    }
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(Resp {
        status,
        headers,
        body: Vec::new(),
    })
}

/// The body of the response whose head is `head`.
fn read_body(r: &mut BufReader<TcpStream>, head: Resp) -> std::io::Result<Resp> {
    let Resp {
        status, headers, ..
    } = head;
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim(), 16)
                .map_err(|e| std::io::Error::other(format!("chunk size {size:?}: {e}")))?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(Resp {
        status,
        headers,
        body,
    })
}

/// One request on its own connection (`Connection: close`). A write error is ignored when a
/// response arrives anyway (the server may answer 413 before reading everything).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let _ = write_request(&mut s, addr, method, path, headers, body, true);
    read_response(&mut BufReader::new(s))
        .unwrap_or_else(|e| panic!("{method} {path}: no response: {e}"))
}

/// A `HEAD` request on its own connection: the response's head (a HEAD response has no body,
/// whatever its Content-Length says).
pub fn head(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write_request(&mut s, addr, "HEAD", path, headers, b"", true).unwrap();
    let mut r = BufReader::new(s);
    let resp = read_head(&mut r).unwrap_or_else(|e| panic!("HEAD {path}: no response: {e}"));
    // Nothing may follow the head: the server closes (Connection: close) without a body.
    let mut rest = Vec::new();
    let _ = r.read_to_end(&mut rest);
    assert!(
        rest.is_empty(),
        "HEAD {path}: {} bytes after the head",
        rest.len()
    );
    resp
}

/// Sends raw bytes as a request (no framing added) and reads the response.
pub fn raw(addr: SocketAddr, bytes: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(bytes).unwrap();
    read_response(&mut BufReader::new(s)).unwrap_or_else(|e| panic!("no response: {e}"))
}

/// A keep-alive connection for bursts of uploads.
#[derive(Debug)]
pub struct Conn {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn {
            addr,
            reader: BufReader::new(s),
        })
    }

    pub fn upload(&mut self, bytes: &[u8]) -> std::io::Result<Resp> {
        write_request(
            self.reader.get_mut(),
            self.addr,
            "POST",
            "/api/v1/certificates",
            &[("Content-Type", "application/json")],
            bytes,
            false,
        )?;
        read_response(&mut self.reader)
    }
}

/// Waits until `f` is true (polling), or panics after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------- PostgreSQL

/// PostgreSQL's binaries: the newest /usr/lib/postgresql/*/bin (Debian's `postgresql`).
fn pg_bin() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect(
            "PostgreSQL is not installed (/usr/lib/postgresql missing): run scripts/deps as root",
        )
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("no /usr/lib/postgresql/*/bin/initdb: run scripts/deps as root")
        .1
}

fn is_root() -> bool {
    // The effective uid of this process, from procfs (no libc needed).
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// A PostgreSQL cluster of this test alone: initdb in a temp dir, TCP on 127.0.0.1 at a free
/// port, its unix socket in the temp dir. PostgreSQL refuses to run as root, so as root it runs
/// as the `postgres` user (runuser). Stopped (immediate) on drop.
#[derive(Debug)]
pub struct Postgres {
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
    databases: std::cell::Cell<u32>,
}

fn as_pg_user(bin: &Path, prog: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(prog));
        c
    } else {
        Command::new(bin.join(prog))
    }
}

fn run_ok(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = pg_bin();
        let dir = tempfile::Builder::new()
            .prefix("reprise-pg-")
            .tempdir()
            .unwrap();
        if is_root() {
            let mut c = Command::new("chown");
            c.args(["postgres:postgres"]).arg(dir.path());
            run_ok(c, "chown of the PostgreSQL temp dir");
        }
        let data = dir.path().join("data");
        let mut c = as_pg_user(&bin, "initdb");
        c.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        run_ok(c, "initdb");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut c = as_pg_user(&bin, "pg_ctl");
        c.arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("log"))
            .arg("-o")
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=100",
                dir.path().display()
            ))
            .args(["-w", "-t", "60", "start"]);
        run_ok(c, "pg_ctl start");
        Postgres {
            port,
            bin,
            dir,
            databases: std::cell::Cell::new(0),
        }
    }

    /// A new, empty database; returns its URL.
    pub fn database(&self) -> String {
        let n = self.databases.get() + 1;
        self.databases.set(n);
        let name = format!("reprise_{n}");
        let mut c = Command::new(self.bin.join("psql"));
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
        ])
        .args([
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            &format!("CREATE DATABASE {name}"),
        ]);
        run_ok(c, "CREATE DATABASE");
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs `sql` (one or more statements) in the database at `url` (made by
    /// [`Postgres::database`]); stops at the first error.
    pub fn execute(&self, url: &str, sql: &str) {
        let name = url.rsplit('/').next().unwrap();
        let mut c = Command::new(self.bin.join("psql"));
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            "-d",
            name,
        ])
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql]);
        run_ok(c, "psql");
    }

    /// `pg_database_size` of the database at `url` (made by [`Postgres::database`]).
    pub fn database_size(&self, url: &str) -> u64 {
        let name = url.rsplit('/').next().unwrap();
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-At", "-c", &format!("SELECT pg_database_size('{name}')")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut c = as_pg_user(&self.bin, "pg_ctl");
        c.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"]);
        let _ = c.output();
    }
}

// ---------------------------------------------------------------- Chromium

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Headless Chromium with a fresh profile; `args` add `--dump-dom URL` or `--screenshot=...`.
/// Killed if it runs over 90 s.
pub fn chromium(args: &[&str]) -> std::process::Output {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: run scripts/deps as root (Debian package chromium)"
    );
    let profile = tempfile::tempdir().unwrap();
    let child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start chromium");
    let id = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&done);
    let watchdog = std::thread::spawn(move || {
        let start = Instant::now();
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            if start.elapsed() > Duration::from_secs(90) {
                // Our own child, by its pid.
                let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let out = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    watchdog.join().unwrap();
    out
}

/// The DOM of `url` after load, as Chromium renders it.
pub fn dump_dom(url: &str) -> String {
    let out = chromium(&["--dump-dom", url]);
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && dom.contains("</html>"),
        "chromium --dump-dom {url} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// A PNG screenshot of `url` kept under target/ as a test artifact; returns its path.
pub fn screenshot(url: &str, name: &str, size: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("collector-ui");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    let out = chromium(&[
        &format!("--screenshot={}", path.display()),
        &format!("--window-size={size}"),
        "--hide-scrollbars",
        url,
    ]);
    assert!(
        out.status.success(),
        "chromium --screenshot {url} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        png.len() > 1000,
        "{} is only {} bytes",
        path.display(),
        png.len()
    );
    assert_eq!(
        &png[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    path
}
