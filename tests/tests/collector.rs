//! The agent and the workshop server together, over real sockets and the real binaries:
//!
//! - the agent's upload queue against a `reprise-collector` that is down, then up, then killed
//!   and restarted: every certificate arrives once, nothing is lost, nothing is duplicated;
//! - a QEMU laptop PXE-boots from the collector (QEMU's user network reaches the host's loopback
//!   at 10.0.2.2): a UEFI laptop with Secure Boot on, marked by its MAC, boots Debian's signed
//!   shim and network GRUB, GRUB its configuration, kernel and initramfs over the collector's
//!   TFTP; it runs automatic Clear, enrols its fresh station key with the one-time token of its
//!   configuration (in its signed hello, whose answer, signed by the server key the configuration
//!   pins, is its durable home), uploads, and powers off only once the server holds the
//!   certificate — dated by the server although the laptop's clock says 2009. Under
//!   lockdown, the drivers no QEMU device brings (vmd, k10temp, coretemp) load by hand. A BIOS
//!   laptop, not marked, boots iPXE's script over HTTP, waits at the confirmation and writes
//!   nothing;
//! - a laptop without an RJ45, network-booted through a USB Ethernet adapter that USB enumerates
//!   late: DHCP on the adapter, and its certificate reaches the server;
//! - refurbish in the same boot: a laptop wiped in automatic mode installs the family system the
//!   collector keeps (`reprise.deploy=`), read back and grown to its disk, with its signed
//!   record; then it boots that system from its own disk, without the stick. A download cut
//!   midway by a proxy resumes from where it was (`Range`) and the install is verified. An
//!   image damaged on the server, and one bigger than the disk: no install, no record, the
//!   laptop stays on.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use reprise::cert::issue::issue_certificate;
use reprise::flow::DataDir;
use reprise::flow::upload::{pending, upload_pending};
use reprise::model::Language;
use reprise_e2e::{Firmware, Vm, outputs, repo_root};

// The agent's certificate fixtures, shared rather than copied; this test uses part of them.
#[path = "../../agent/tests/it/support/certs.rs"]
#[allow(dead_code)]
mod support;

/// QEMU's first network card gets this MAC unless told otherwise.
const QEMU_MAC: &str = "52:54:00:12:34:56";
const DISK_SIZE: usize = 32 << 20;
const SYSTEM_SERIAL: &str = "E2E-PXE-0042";

/// The collector binary, built now if needed (a no-op when `scripts/test` built the workspace).
fn collector_bin() -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(repo_root())
        .args([
            "build",
            "--quiet",
            "-p",
            "reprise-collector",
            "--bin",
            "reprise-collector",
        ])
        .status()
        .context("running cargo build -p reprise-collector")?;
    ensure!(status.success(), "cargo build -p reprise-collector failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    Ok(target.join("debug/reprise-collector"))
}

/// `reprise-collector ARGS`, which must succeed; its stdout.
fn cli(args: &[&str]) -> Result<String> {
    let out = Command::new(collector_bin()?).args(args).output()?;
    ensure!(
        out.status.success(),
        "reprise-collector {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

/// A port nobody listens on now (the collector is then started on it: its public URL must be
/// known before it starts).
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `GET path` from the collector on loopback `port` over HTTP/1.0: the body of a 200.
fn http_get(port: u16, path: &str) -> Result<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no HTTP head")?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    ensure!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "GET {path}: {head}"
    );
    Ok(raw[head_end + 4..].to_vec())
}

/// A running collector on loopback, killed (SIGKILL) on drop. Its pages need a login: the
/// test logs in as a user of its own.
struct Collector {
    child: Child,
    addr: SocketAddr,
    /// The session's cookies, sent with every page request.
    cookie: String,
}

/// The value of cookie `name` set by a response head.
fn set_cookie(head: &str, name: &str) -> Result<String> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.trim().strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .with_context(|| format!("no {name} cookie in {head}"))
}

impl Collector {
    fn start(db: &Path, port: u16, extra: &[&str]) -> Result<Collector> {
        let listen = format!("127.0.0.1:{port}");
        let mut child = Command::new(collector_bin()?)
            .args(["serve", "--listen", &listen, "--db"])
            .arg(db)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting reprise-collector serve")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        let Some(addr) = line.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            bail!("the collector did not start: {line:?}");
        };
        let mut c = Collector {
            addr: addr.parse()?,
            child,
            cookie: String::new(),
        };
        c.log_in(db)?;
        Ok(c)
    }

    /// Adds the test's user (or sets its password again) and opens a session.
    fn log_in(&mut self, db: &Path) -> Result<()> {
        let mut add = Command::new(collector_bin()?)
            .args(["user", "add", "e2e", "--db"])
            .arg(db)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        add.stdin
            .take()
            .context("stdin")?
            .write_all(b"e2e password\n")?;
        ensure!(add.wait()?.success(), "reprise-collector user add failed");
        let (_, head, _) = self.exchange("GET", "/login", "")?;
        let csrf = set_cookie(&head, "reprise_csrf")?;
        self.cookie = format!("reprise_csrf={csrf}");
        let form = format!("user=e2e&password=e2e+password&csrf={csrf}");
        let (status, head, body) = self.exchange("POST", "/login", &form)?;
        ensure!(status == 303, "login: HTTP {status}: {body}");
        let session = set_cookie(&head, "reprise_session")?;
        self.cookie = format!("reprise_csrf={csrf}; reprise_session={session}");
        Ok(())
    }

    /// One request over HTTP/1.0 (no chunked body to decode), with the session's cookies:
    /// status, head and body.
    fn exchange(&self, method: &str, path: &str, form: &str) -> Result<(u16, String, String)> {
        let mut s = TcpStream::connect(self.addr)?;
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nCookie: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            self.addr,
            self.cookie,
            form.len()
        )?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").context("no HTTP head")?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .context("no HTTP status")?;
        Ok((status, head.to_owned(), body.to_owned()))
    }

    /// GET a page: status and body.
    fn get(&self, path: &str) -> Result<(u16, String)> {
        let (status, _, body) = self.exchange("GET", path, "")?;
        Ok((status, body))
    }

    /// The rows of the certificate list (CSV without its header line).
    fn rows(&self) -> Result<Vec<String>> {
        let (status, body) = self.get("/certificates.csv")?;
        ensure!(status == 200, "certificates.csv: HTTP {status}: {body}");
        Ok(body.lines().skip(1).map(str::to_owned).collect())
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn issue(data: &DataDir, at: &str) -> Result<PathBuf> {
    let certs = data.certs();
    fs::create_dir_all(&certs)?;
    Ok(issue_certificate(
        support::inputs("wipe-passed.json", Language::En, at),
        &support::test_key(),
        &certs,
    )?)
}

#[test]
fn the_upload_queue_survives_a_server_down_then_up_then_killed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("atelier.db");
    let db_s = db.to_str().context("utf-8 path")?;
    let key = support::fixtures().join("key/test-station.pub");
    cli(&[
        "enroll",
        key.to_str().context("utf-8 path")?,
        "--station",
        "stick-1",
        "--site",
        "College-Pasteur",
        "--db",
        db_s,
    ])?;
    // The key its receipts are signed with, pinned as a stick pins it.
    let pin = cli(&["server-key", "--db", db_s])?.trim().to_owned();
    let data = DataDir(dir.path().join("data"));
    issue(&data, "2026-12-01T09:00:00.000Z")?;
    issue(&data, "2026-12-01T09:30:00.000Z")?;
    let port = free_port()?;
    let server = format!("http://127.0.0.1:{port}");

    // Down: nothing sent, nothing lost, both still pending and not "refused".
    let r = upload_pending(&data, &server, Some(&pin))?;
    ensure!(r.uploaded.is_empty() && r.not_uploaded.len() == 2, "{r:?}");
    ensure!(r.not_uploaded.iter().all(|n| !n.refused), "{r:?}");
    ensure!(pending(&data)?.len() == 2);

    // Up: both go, each with a receipt naming its page on the server.
    let c = Collector::start(&db, port, &[])?;
    let r = upload_pending(&data, &server, Some(&pin))?;
    ensure!(r.uploaded.len() == 2 && r.not_uploaded.is_empty(), "{r:?}");
    for receipt in &r.uploaded {
        ensure!(receipt.status == 201, "{receipt:?}");
        let url = receipt.url.as_deref().context("no url in the answer")?;
        let path = url
            .strip_prefix(&server)
            .with_context(|| format!("{url} is not on {server}"))?;
        let (status, page) = c.get(path)?;
        ensure!(status == 200 && page.contains("stick-1"), "{url}: {status}");
    }
    ensure!(pending(&data)?.is_empty());
    ensure!(c.rows()?.len() == 2);
    // A second pass sends nothing.
    let r = upload_pending(&data, &server, Some(&pin))?;
    ensure!(r.uploaded.is_empty() && r.not_uploaded.is_empty(), "{r:?}");

    // Killed: the third certificate waits; restarted on the same database, it arrives, and the
    // first two are still there (acknowledged means durable).
    c.kill();
    issue(&data, "2026-12-01T10:00:00.000Z")?;
    let r = upload_pending(&data, &server, Some(&pin))?;
    ensure!(r.not_uploaded.len() == 1, "{r:?}");
    let c = Collector::start(&db, port, &[])?;
    let r = upload_pending(&data, &server, Some(&pin))?;
    ensure!(
        r.uploaded.len() == 1 && r.uploaded[0].status == 201,
        "{r:?}"
    );
    ensure!(c.rows()?.len() == 3);

    // A receipt lost (the stick's folder copied without uploads/): sent again, stored once.
    fs::remove_dir_all(data.uploads())?;
    let r = upload_pending(&data, &server, Some(&pin))?;
    ensure!(
        r.uploaded.len() == 3 && r.uploaded.iter().all(|u| u.status == 200),
        "{r:?}"
    );
    ensure!(c.rows()?.len() == 3, "duplicated: {:?}", c.rows()?);

    // Revoked: refused, and the certificate stays pending for an operator to sort out.
    cli(&["revoke", "stick-1", "--db", db_s])?;
    issue(&data, "2026-12-01T11:00:00.000Z")?;
    let r = upload_pending(&data, &server, Some(&pin))?;
    ensure!(
        r.not_uploaded.len() == 1 && r.not_uploaded[0].refused,
        "{r:?}"
    );
    ensure!(pending(&data)?.len() == 1);
    ensure!(c.rows()?.len() == 3);
    Ok(())
}

/// The agent's upload round trip against a real collector (debug build, SQLite, loopback):
/// `BENCH_N` certificates (300 unless told) uploaded by `upload_pending`, then sent again once
/// their receipts are gone (the server answers "already stored"). Prints the time per
/// certificate of each pass; asserts only that every one was acknowledged. Run by
/// `scripts/bench-upload`.
#[test]
#[ignore = "a benchmark: scripts/bench-upload"]
fn upload_round_trip_bench() -> Result<()> {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("atelier.db");
    let key = support::fixtures().join("key/test-station.pub");
    cli(&[
        "enroll",
        key.to_str().context("utf-8 path")?,
        "--station",
        "stick-1",
        "--site",
        "College-Pasteur",
        "--db",
        db.to_str().context("utf-8 path")?,
    ])?;
    let pin = cli(&["server-key", "--db", db.to_str().context("utf-8 path")?])?
        .trim()
        .to_owned();
    // Issued one at a time in a scratch folder holding only the previous link of the chain (the
    // issuer reads every certificate of its folder: n of them would make this quadratic).
    let data = DataDir(dir.path().join("data"));
    let scratch = DataDir(dir.path().join("scratch"));
    fs::create_dir_all(data.certs())?;
    let mut previous: Option<PathBuf> = None;
    for i in 0..n {
        let at = format!(
            "2026-12-{:02}T{:02}:{:02}:00.000Z",
            1 + i / 1440,
            (i / 60) % 24,
            i % 60
        );
        let issued = issue(&scratch, &at)?;
        if let Some(p) = previous.take() {
            fs::rename(&p, data.certs().join(p.file_name().context("name")?))?;
        }
        previous = Some(issued);
    }
    if let Some(p) = previous {
        fs::rename(&p, data.certs().join(p.file_name().context("name")?))?;
    }
    ensure!(pending(&data)?.len() == n);
    let port = free_port()?;
    let server = format!("http://127.0.0.1:{port}");
    let _c = Collector::start(&db, port, &[])?;
    let pass = |label: &str, status: u16| -> Result<()> {
        let started = std::time::Instant::now();
        let r = upload_pending(&data, &server, Some(&pin))?;
        let took = started.elapsed();
        ensure!(
            r.uploaded.len() == n && r.uploaded.iter().all(|u| u.status == status),
            "{:?}",
            r.not_uploaded.first()
        );
        println!(
            "{label}: {n} certificates in {} ms, {} µs each",
            took.as_millis(),
            took.as_micros() / n as u128
        );
        Ok(())
    };
    pass("stored (201)", 201)?;
    fs::remove_dir_all(data.uploads())?;
    pass("already stored (200)", 200)?;
    Ok(())
}

/// What one PXE boot from the collector left.
struct PxeRun {
    /// The settings init logged (`reprise settings`).
    settings: String,
    serial: String,
    agent_status: Option<i32>,
    old: Vec<u8>,
    new: Vec<u8>,
    rows: Vec<String>,
    /// The certificates the server holds, as it received them.
    certificates: Vec<serde_json::Value>,
    /// The server key's fingerprint (`reprise-collector server-key`).
    server_key: String,
    /// The server's date (UTC) before and after the boot.
    dates: [String; 2],
}

/// Today's date (UTC) on this machine, where the collector runs.
fn today() -> String {
    reprise::sys::clock::now_rfc3339()[..10].to_owned()
}

/// A laptop with one NVMe disk of random data PXE-boots from a collector on loopback; `marked`:
/// its MAC is marked for automatic Clear on the server. Its clock (RTC) is in 2009, a flat CMOS
/// battery. Under SeaBIOS: iPXE, its script and the
/// boot files over HTTP. Under OVMF: the firmware gets shim, GRUB and GRUB's first configuration
/// by TFTP from the rack's TFTP root (QEMU's own TFTP server here, filled from the collector as
/// the README says), then GRUB this machine's configuration, the kernel and the initramfs from
/// the collector's TFTP; the initramfs carries the test-only overlay (its hook loads the drivers
/// no QEMU device brings, then runs the agent as init would).
fn pxe_boot(marked: bool, firmware: Firmware) -> Result<PxeRun> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("atelier.db");
    let db_s = db.to_str().context("utf-8 path")?;
    cli(&["marks", "--db", db_s])?;
    if marked {
        cli(&[
            "mark", "--mac", QEMU_MAC, "--mode", "clear", "--site", "Rack-1", "--db", db_s,
        ])?;
    }
    let port = free_port()?;
    // The guest sees the host's loopback as 10.0.2.2 (QEMU user networking).
    let public = format!("http://10.0.2.2:{port}");
    let boot_dir = dir.path().join("boot");
    fs::create_dir(&boot_dir)?;
    for f in [
        out.vmlinuz(),
        out.vmlinuz_bios(),
        out.bootx64_efi(),
        out.grubx64_efi(),
    ] {
        fs::copy(&f, boot_dir.join(f.file_name().context("file name")?))?;
    }
    let mut initrd = fs::read(out.initrd())?;
    if firmware != Firmware::Bios {
        initrd.extend(fs::read(out.tools_overlay())?);
    }
    fs::write(boot_dir.join("initrd.img"), initrd)?;
    let c = Collector::start(
        &db,
        port,
        &[
            "--boot-dir",
            boot_dir.to_str().context("utf-8 path")?,
            "--public-url",
            &public,
            "--tftp",
            "127.0.0.1:0",
        ],
    )?;
    let server_key = cli(&["server-key", "--db", db_s])?.trim().to_owned();
    let before = today();

    let disk = dir.path().join("nvme.img");
    let old: Vec<u8> = (0..DISK_SIZE)
        .map(|i| (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes()[7] | 1)
        .collect();
    fs::write(&disk, &old)?;
    let tftp = dir.path().join("tftp");
    fs::create_dir(&tftp)?;
    let mut vm = Vm::new(dir.path(), firmware);
    if firmware == Firmware::Bios {
        vm.pxe(&tftp, &format!("{public}/boot.ipxe"));
    } else {
        // The rack's TFTP root, as collector/README.md fills it.
        fs::create_dir(tftp.join("grub"))?;
        for (from, to) in [
            ("/boot/bootx64.efi", "bootx64.efi"),
            ("/boot/grubx64.efi", "grubx64.efi"),
            ("/grub/grub.cfg", "grub/grub.cfg"),
        ] {
            fs::write(tftp.join(to), http_get(port, from)?)?;
        }
        vm.pxe(&tftp, "bootx64.efi");
    }
    vm.nvme(&disk, "E2E-PXE-NVME")
        .smbios("E2E Computers", "Rack Laptop", SYSTEM_SERIAL);
    let run = if marked {
        vm.rtc("2009-06-01");
        vm.run(Duration::from_secs(600))?
    } else {
        // On the first screen, the operator reads the plan and leaves: Esc, then Enter.
        vm.press_after("reprise: screen machine", &["esc", "ret"]);
        vm.run_until_finished(Duration::from_secs(600))?
    };
    let rows = c.rows()?;
    let mut certificates = Vec::new();
    for row in &rows {
        // The digest is the next-to-last column (the page's URL is the last).
        let digest = row.rsplit(',').nth(1).context("a digest column")?;
        let hex = digest
            .strip_prefix("sha256:")
            .with_context(|| format!("not a digest: {digest}"))?;
        let (status, body) = c.get(&format!("/c/{hex}.json"))?;
        ensure!(status == 200, "/c/{hex}.json: HTTP {status}");
        certificates.push(serde_json::from_str(&body)?);
    }
    Ok(PxeRun {
        settings: run.settings().to_owned(),
        serial: run.serial,
        agent_status: run.agent_status,
        old,
        new: fs::read(&disk)?,
        rows,
        certificates,
        server_key,
        dates: [before, today()],
    })
}

#[test]
fn a_marked_uefi_laptop_with_secure_boot_pxe_boots_wipes_and_its_certificate_reaches_the_server()
-> Result<()> {
    let r = pxe_boot(true, Firmware::SecureBoot)?;
    ensure!(
        r.serial
            .contains("reprise-init: Secure boot enabled, lockdown: integrity"),
        "the network boot did not go through Secure Boot's signed chain:\n{}",
        r.serial
    );
    // GRUB names its network device in BOOT_IMAGE=: a network boot still, with no stick to wait
    // for or to take settings from.
    ensure!(
        r.serial.contains(
            "reprise-init: no boot medium: the kernel was not loaded from a disk (network boot)"
        ),
        "a kernel GRUB fetched over TFTP was taken for a disk boot:\n{}",
        r.serial
    );
    ensure!(
        r.settings.contains(" auto=clear ") && r.settings.ends_with(" enroll=given"),
        "the marked machine's configuration gives automatic Clear and an enrolment token: {:?}\n{}",
        r.settings,
        r.serial
    );
    ensure!(
        r.agent_status == Some(0),
        "agent status {:?}",
        r.agent_status
    );
    ensure!(
        r.new.iter().all(|&b| b == 0) && r.old != r.new,
        "the disk was not overwritten with zeros"
    );
    // Powered off by itself only after the server acknowledged: the certificate is there, with
    // this machine's serial.
    ensure!(r.rows.len() == 1, "server rows: {:?}", r.rows);
    ensure!(
        r.rows[0].contains(SYSTEM_SERIAL),
        "the row names the machine: {}",
        r.rows[0]
    );
    // Drivers for what QEMU cannot emulate: shipped, signed (lockdown refuses any other), their
    // dependencies in the image. coretemp refuses the emulated CPU after it loaded.
    for expected in [
        "==== test-hook: modprobe vmd: status 0 ====",
        "==== test-hook: modprobe k10temp: status 0 ====",
        "==== test-hook: modprobe coretemp: status 1: No such device ====",
    ] {
        ensure!(
            r.serial.contains(expected),
            "no `{expected}`:\n{}",
            r.serial
        );
    }
    // The boot script pinned the server key; the hello's answer was signed with it.
    ensure!(
        r.settings
            .contains(&format!(" server-key={} ", r.server_key)),
        "the settings do not pin the server key {}: {:?}",
        r.server_key,
        r.settings
    );
    ensure!(
        r.serial.contains(&format!(
            "answer signed by the pinned key {} (reprise.server-key)",
            r.server_key
        )),
        "the run does not say the server's answer was checked against its pin:\n{}",
        r.serial
    );
    // The laptop's clock said 2009: the certificate is dated by the server, and says so.
    let c = &r.certificates[0]["certificate"];
    let issued = c["issued_at"].as_str().context("issued_at")?;
    ensure!(
        c["time"]["source"] == "server",
        "the certificate's time does not come from the server: {}",
        c["time"]
    );
    ensure!(
        r.dates.iter().any(|d| issued.starts_with(d.as_str())),
        "issued at {issued}, not on the server's date {:?}",
        r.dates
    );
    ensure!(
        c["time"]["rtc_offset_ms"]
            .as_i64()
            .is_some_and(|ms| ms < -500_000_000_000),
        "the certificate does not say how far behind the laptop's clock was: {}",
        c["time"]
    );
    Ok(())
}

#[test]
fn an_unmarked_laptop_pxe_boots_to_the_screen_and_writes_nothing() -> Result<()> {
    let r = pxe_boot(false, Firmware::Bios)?;
    ensure!(
        r.settings.starts_with("lang=") && !r.settings.contains(" auto="),
        "an unmarked machine must never run automatically: {:?}\n{}",
        r.settings,
        r.serial
    );
    ensure!(
        r.serial.contains("Nothing was written."),
        "the operator's no is honoured:\n{}",
        r.serial
    );
    ensure!(
        r.agent_status == Some(4),
        "agent status {:?}",
        r.agent_status
    );
    ensure!(r.new == r.old, "the disk changed");
    ensure!(r.rows.is_empty(), "server rows: {:?}", r.rows);
    Ok(())
}

/// The MAC of the USB Ethernet adapter (QEMU's usb-net) of the laptop without an RJ45.
const USB_NIC_MAC: &str = "52:54:00:00:0e:01";

/// A laptop without an RJ45 — no network card on PCI, a USB Ethernet adapter instead — network-
/// booted through the adapter (which UEFI firmware does, QEMU's cannot: the kernel is loaded
/// directly, with the command line the collector gives that MAC, marked for automatic Clear).
/// A network boot waits for no stick, so the adapter may not be there yet when init wants the
/// network: here it is plugged in only once init has its settings, just before it asks DHCP.
/// It wipes its NVMe disk and its certificate reaches the server through the adapter.
#[test]
fn a_laptop_without_rj45_network_booted_through_a_usb_ethernet_adapter_uploads_through_it()
-> Result<()> {
    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("atelier.db");
    let db_s = db.to_str().context("utf-8 path")?;
    let port = free_port()?;
    let boot_dir = out.vmlinuz();
    let boot_dir = boot_dir.parent().context("out/")?;
    cli(&[
        "mark",
        "--mac",
        USB_NIC_MAC,
        "--mode",
        "clear",
        "--db",
        db_s,
    ])?;
    let c = Collector::start(
        &db,
        port,
        &[
            "--public-url",
            &format!("http://10.0.2.2:{port}"),
            "--boot-dir",
            boot_dir.to_str().context("utf-8 path")?,
        ],
    )?;
    // The collector's command line for this MAC (automatic Clear, an enrolment token), as its
    // iPXE script gives it, without iPXE's initrd name.
    let script = String::from_utf8(http_get(port, &format!("/boot.ipxe?mac={USB_NIC_MAC}"))?)?;
    let line = script
        .lines()
        .find_map(|l| l.split_once(" initrd=initrd.img ").map(|(_, rest)| rest))
        .with_context(|| format!("no kernel line: {script}"))?;
    ensure!(
        line.contains(" reprise.auto=clear ") && line.contains(" reprise.enroll="),
        "not marked: {script}"
    );
    let disk = dir.path().join("nvme.img");
    fs::write(&disk, vec![0x5au8; DISK_SIZE])?;
    let serial = "E2E-USBNET-0001";
    let run = Vm::new(dir.path(), Firmware::Bios)
        .kernel(&out.vmlinuz_bios(), &out.initrd(), line)
        .usb_ethernet_only(USB_NIC_MAC, Some("reprise-init: settings:"))
        .nvme(&disk, "E2E-USB-NIC-NVME")
        .smbios("E2E Computers", "Laptop Without RJ45", serial)
        .run(Duration::from_secs(600))?;
    let drivers = run
        .serial
        .lines()
        .find_map(|l| l.strip_prefix("reprise-init: drivers loaded: "))
        .unwrap_or_default()
        .split(' ')
        .collect::<Vec<_>>();
    ensure!(
        drivers.contains(&"cdc_ether") && !drivers.iter().any(|d| d.starts_with("e1000")),
        "the USB adapter's driver (and no PCI card's) expected: {drivers:?}\n{}",
        run.serial
    );
    ensure!(
        run.serial
            .lines()
            .any(|l| l.starts_with("reprise-init: network ") && l.trim_end().ends_with(" up")),
        "no DHCP on the USB adapter (the only interface):\n{}",
        run.serial
    );
    ensure!(
        fs::read(&disk)?.iter().all(|&b| b == 0),
        "the disk was not overwritten with zeros"
    );
    let rows = c.rows()?;
    ensure!(
        rows.len() == 1 && rows[0].contains(serial),
        "the certificate did not reach the server over the USB adapter: {rows:?}\n{}",
        run.serial
    );
    Ok(())
}

/// The stick of a laptop that installs the family system: automatic Clear, power-off,
/// `reprise.deploy=family` from the collector on the host's loopback `port` (10.0.2.2 in the
/// guest). QEMU's laptop (one x86-64-v1 core, 1 GiB) is below the default policy's minimums:
/// the workshop's policy for this rack takes it, so that the verdict is refurbish.
fn family_stick(
    out: &reprise_e2e::Outputs,
    laptop: &Path,
    port: u16,
) -> Result<reprise_e2e::Stick> {
    fs::create_dir(laptop)?;
    let stick = reprise_e2e::Stick::configured(
        out,
        laptop,
        &format!(
            "reprise.auto=clear\nreprise.poweroff=1\nreprise.lang=en\n\
             reprise.server=http://10.0.2.2:{port}\nreprise.deploy=family\n"
        ),
    )?;
    stick.data.write(
        "policy.toml",
        "[memory]\nminimum_bytes = 536870912\nrecommended_bytes = 536870912\n\
         [cpu]\nminimum_x86_64_level = 1\nminimum_cores = 1\n",
        laptop,
    )?;
    Ok(stick)
}

/// Refurbish in the same boot (issue 22): a laptop boots the stick in automatic mode with
/// `reprise.deploy=family`; after the wipe and a refurbish verdict it installs the family
/// image that a real collector keeps (zstd, served with ranges), checks it read back, grows the
/// GPT and the ext4 home to the disk, signs the refurbishment record, and powers off. Booted
/// again without the stick, from its own disk, the family's system starts and finds its home
/// grown. Both boots under Secure Boot: the installed system's kernel reports itself locked
/// down, which it does only when shim, GRUB and itself were verified by the firmware.
#[test]
fn a_laptop_wiped_then_given_the_family_system_boots_it_from_its_own_disk() -> Result<()> {
    use reprise_e2e::family::{self, BOOTED, DONE, HOME_LINE, LOCKDOWN_LINE, VERSION_LINE};
    use reprise_e2e::{gpt_partition, tail};

    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let image = family::family_image(&out, &dir.path().join("family"), "1.0")?;
    let db = dir.path().join("atelier.db");
    let db_s = db.to_str().context("utf-8 path")?;
    let zst = image.zst.to_str().context("utf-8 path")?;
    let added = cli(&[
        "image",
        "add",
        zst,
        "--name",
        "family",
        "--version",
        "1.0",
        "--db",
        db_s,
    ])?;
    ensure!(
        added.contains(image.sha256.trim_start_matches("sha256:")),
        "the collector's SHA-256 of the raw image is not the test's {}: {added}",
        image.sha256
    );
    let port = free_port()?;
    let _collector = Collector::start(&db, port, &[])?;

    let laptop = dir.path().join("laptop");
    let stick = family_stick(&out, &laptop, port)?;
    // The laptop's disk: larger than the image, full of the last owner's data.
    let disk = laptop.join("nvme.img");
    let disk_size: u64 = 96 << 20;
    let old: Vec<u8> = (0..disk_size)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes()[7] | 1)
        .collect();
    fs::write(&disk, &old)?;
    drop(old);
    // Secure Boot on, as the workshop's laptops have it: the stick boots under it, and so must
    // the system it installs.
    let mut vm = Vm::new(&laptop, Firmware::SecureBoot);
    vm.usb_stick(&stick.path)
        .nvme(&disk, "E2E-FAMILY-NVME")
        .smbios("E2E Computers", "Family Laptop", "E2E-FAMILY-0001");
    let run = vm.run(Duration::from_secs(480))?;
    ensure!(
        run.serial.contains("Installed family 1.0 on /dev/nvme0n1"),
        "the run does not say the family system was installed:\n{}",
        tail(&run.serial, 60)
    );

    // The stick: the certificate and the refurbishment record that names it.
    let certs = stick.data.certificates()?;
    ensure!(certs.len() == 1, "one certificate expected: {certs:?}");
    let records = stick.data.list("certs/refurbish")?;
    ensure!(records.len() == 1, "one refurbishment record: {records:?}");
    let record: serde_json::Value = serde_json::from_slice(
        &stick
            .data
            .read(&format!("certs/refurbish/{}", records[0]))?,
    )?;
    let text = record.to_string();
    ensure!(
        text.contains(image.sha256.trim_start_matches("sha256:")),
        "the record does not name the image's SHA-256 {}: {record:#}",
        image.sha256
    );

    // The disk from outside: the ESP as the image has it, the GPT valid and grown to the disk,
    // the home's ext4 grown with its partition, its files kept.
    let installed = fs::read(&disk)?;
    let raw = fs::read(&image.raw)?;
    let (esp_at, esp_len) = gpt_partition(&image.raw, 1)?;
    let esp = usize::try_from(esp_at)?..usize::try_from(esp_at + esp_len)?;
    ensure!(
        installed[esp.clone()] == raw[esp],
        "the ESP on the disk is not the image's"
    );
    drop((installed, raw));
    let verify = Command::new("sgdisk").arg("-v").arg(&disk).output()?;
    let verify = String::from_utf8_lossy(&verify.stdout);
    ensure!(
        verify.contains("No problems found"),
        "sgdisk -v on the installed disk:\n{verify}"
    );
    let home = gpt_partition(&disk, 2)?;
    ensure!(
        home.0 + home.1 > disk_size - (1 << 20) && home.1 > image.home_bytes,
        "the home partition was not grown to the disk: {home:?}"
    );
    let ext4 = family::ext4_size(&disk, home.0)?;
    ensure!(
        ext4 > image.home_bytes && ext4 <= home.1 && home.1 - ext4 < (1 << 20),
        "the home's ext4 ({ext4} bytes) was not grown to its partition ({} bytes)",
        home.1
    );
    let marker = family::ext4_file(&disk, home, "/family-marker", dir.path())?;
    ensure!(marker == image.marker, "the home's file: {marker:?}");

    // Its first boot from its own disk, without the stick.
    let again = dir.path().join("first-boot");
    fs::create_dir(&again)?;
    let mut vm = Vm::new(&again, Firmware::SecureBoot);
    vm.nvme(&disk, "E2E-FAMILY-NVME");
    let boot = vm.run(Duration::from_secs(180))?;
    let home_line = format!(
        "{HOME_LINE}partition {} sectors, ext4 {} blocks of 4096 bytes",
        home.1 / 512,
        ext4 / 4096
    );
    for line in [
        BOOTED,
        &format!("{VERSION_LINE}{}", image.version),
        &format!("{LOCKDOWN_LINE}none [integrity]"),
        &home_line,
        DONE,
    ] {
        ensure!(
            boot.serial.contains(line),
            "no {line:?} on the installed system's console:\n{}",
            tail(&boot.serial, 40)
        );
    }
    Ok(())
}

/// How a refused install is made to happen on the workshop's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The collector's stored file was damaged after it was added (one byte of the ESP): it
    /// still streams, but its bytes are not the image's SHA-256.
    CorruptedOnTheServer,
    /// The laptop's disk is smaller than the image's last partition.
    DiskTooSmall,
}

/// A laptop whose install cannot be verified: the wipe and the certificate stand, no record
/// of success is written, the run ends "not installed" (status 3) and the laptop stays on.
fn an_install_that_cannot_be_verified(refusal: Refusal) -> Result<()> {
    use reprise_e2e::tail;

    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let image = reprise_e2e::family::family_image(&out, &dir.path().join("family"), "1.0")?;
    let db = dir.path().join("atelier.db");
    let db_s = db.to_str().context("utf-8 path")?;
    // The raw image: a damaged byte then streams as it is, and only the SHA-256 can tell.
    let raw = image.raw.to_str().context("utf-8 path")?;
    cli(&["image", "add", raw, "--name", "family", "--db", db_s])?;
    if refusal == Refusal::CorruptedOnTheServer {
        let stored: Vec<PathBuf> = fs::read_dir(dir.path().join("atelier.db.images"))?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()?;
        ensure!(stored.len() == 1, "one stored image: {stored:?}");
        let mut bytes = fs::read(&stored[0])?;
        let at = (2 << 20) + 12_345; // inside the ESP
        bytes[at] ^= 0x5a;
        fs::write(&stored[0], bytes)?;
    }
    let port = free_port()?;
    let _collector = Collector::start(&db, port, &[])?;
    let laptop = dir.path().join("laptop");
    let stick = family_stick(&out, &laptop, port)?;
    let disk = laptop.join("nvme.img");
    let disk_size: usize = match refusal {
        Refusal::CorruptedOnTheServer => 64 << 20,
        Refusal::DiskTooSmall => usize::try_from(image.last_partition_end)? - (4 << 20),
    };
    fs::write(&disk, vec![0x5au8; disk_size])?;
    let mut vm = Vm::new(&laptop, Firmware::Uefi);
    vm.usb_stick(&stick.path).nvme(&disk, "E2E-REFUSED-NVME");
    let run = vm.run_until_finished(Duration::from_secs(480))?;
    ensure!(
        run.serial.contains("THE SYSTEM WAS NOT INSTALLED")
            && run
                .serial
                .contains("reprise-init: not powering off: the agent did not succeed (status 3)"),
        "the run must say the system was not installed and stay on:\n{}",
        tail(&run.serial, 50)
    );
    // Each for its own reason.
    let why = match refusal {
        Refusal::CorruptedOnTheServer => "its source states",
        Refusal::DiskTooSmall => "is smaller than the image",
    };
    ensure!(
        run.serial.contains(why),
        "the run does not say why ({why:?}):\n{}",
        tail(&run.serial, 50)
    );
    let certs = stick.data.certificates()?;
    ensure!(certs.len() == 1, "the wipe's certificate stands: {certs:?}");
    let records = stick.data.list("certs/refurbish").unwrap_or_default();
    ensure!(
        !records.iter().any(|n| n.ends_with(".json")),
        "a record of success for an install that failed: {records:?}"
    );
    if refusal == Refusal::DiskTooSmall {
        // Refused before writing: the disk is as the wipe left it.
        ensure!(
            fs::read(&disk)?.iter().all(|&b| b == 0),
            "the install wrote to a disk too small for the image"
        );
    }
    Ok(())
}

#[test]
fn an_image_damaged_on_the_server_is_no_install_and_no_record() -> Result<()> {
    an_install_that_cannot_be_verified(Refusal::CorruptedOnTheServer)
}

#[test]
fn an_image_bigger_than_the_disk_is_refused_before_writing() -> Result<()> {
    an_install_that_cannot_be_verified(Refusal::DiskTooSmall)
}

/// What the cutting proxy saw.
#[derive(Debug, Default)]
struct ProxyLog {
    /// Image responses cut short (the connection closed mid-body).
    cuts: usize,
    /// `Range` headers of the requests it relayed.
    ranges: Vec<String>,
}

/// A TCP proxy on loopback to `to` that relays every connection both ways, except that the
/// first image response (its `X-Reprise-Image-Sha256` header) is cut `after` bytes later: both
/// sockets closed, as a switch rebooting mid-download would. Its port, and what it saw.
fn cutting_proxy(
    to: SocketAddr,
    after: usize,
) -> Result<(u16, std::sync::Arc<std::sync::Mutex<ProxyLog>>)> {
    use std::sync::{Arc, Mutex};
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let log = Arc::new(Mutex::new(ProxyLog::default()));
    let shared = Arc::clone(&log);
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(to) else {
                continue;
            };
            let log = Arc::clone(&shared);
            // Requests: relayed, their Range headers noted.
            let (mut from_client, mut to_server) = match (client.try_clone(), server.try_clone()) {
                (Ok(c), Ok(s)) => (c, s),
                _ => continue,
            };
            let up_log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 << 10];
                while let Ok(n) = from_client.read(&mut buf) {
                    if n == 0 || to_server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    let text = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
                    for line in text.lines().filter(|l| l.starts_with("range:")) {
                        up_log.lock().unwrap().ranges.push(line.trim().to_owned());
                    }
                }
                let _ = to_server.shutdown(std::net::Shutdown::Write);
            });
            // Responses: relayed, the first image cut.
            std::thread::spawn(move || {
                let (mut from_server, mut to_client) = (server, client);
                let mut buf = [0u8; 16 << 10];
                let mut left: Option<usize> = None;
                while let Ok(n) = from_server.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if left.is_none()
                        && String::from_utf8_lossy(&buf[..n])
                            .to_ascii_lowercase()
                            .contains("x-reprise-image-sha256:")
                    {
                        let mut l = log.lock().unwrap();
                        if l.cuts == 0 {
                            l.cuts = 1;
                            left = Some(after);
                        }
                    }
                    let take = left.map_or(n, |l| l.min(n));
                    if to_client.write_all(&buf[..take]).is_err() {
                        break;
                    }
                    if let Some(l) = left.as_mut() {
                        *l -= take;
                        if *l == 0 {
                            let _ = to_client.shutdown(std::net::Shutdown::Both);
                            let _ = from_server.shutdown(std::net::Shutdown::Both);
                            break;
                        }
                    }
                }
                let _ = to_client.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    Ok((port, log))
}

/// The download of the family image is cut a few MiB in (a proxy closes the connection): the
/// agent resumes it from the byte it reached (`Range`), and the install is verified as a whole.
#[test]
fn a_download_cut_midway_resumes_and_the_install_is_verified() -> Result<()> {
    use reprise_e2e::tail;

    let out = outputs()?;
    let dir = tempfile::tempdir()?;
    let image = reprise_e2e::family::family_image(&out, &dir.path().join("family"), "1.0")?;
    let db = dir.path().join("atelier.db");
    let db_s = db.to_str().context("utf-8 path")?;
    let zst = image.zst.to_str().context("utf-8 path")?;
    cli(&[
        "image",
        "add",
        zst,
        "--name",
        "family",
        "--version",
        "1.0",
        "--db",
        db_s,
    ])?;
    let port = free_port()?;
    let collector = Collector::start(&db, port, &[])?;
    let (proxy, seen) = cutting_proxy(collector.addr, 3 << 20)?;
    let laptop = dir.path().join("laptop");
    let stick = family_stick(&out, &laptop, proxy)?;
    let disk = laptop.join("nvme.img");
    fs::write(&disk, vec![0x5au8; 64 << 20])?;
    let mut vm = Vm::new(&laptop, Firmware::Uefi);
    vm.usb_stick(&stick.path).nvme(&disk, "E2E-RESUME-NVME");
    let run = vm.run(Duration::from_secs(480))?;
    ensure!(
        run.serial.contains("Installed family 1.0 on /dev/nvme0n1"),
        "the install was not verified after the cut:\n{}",
        tail(&run.serial, 50)
    );
    let seen = seen.lock().unwrap();
    ensure!(seen.cuts == 1, "the proxy cut no download: {seen:?}");
    ensure!(
        seen.ranges
            .iter()
            .any(|r| r.starts_with("range: bytes=") && !r.starts_with("range: bytes=0-")),
        "the agent did not resume from where it was: {seen:?}"
    );
    let records = stick.data.list("certs/refurbish")?;
    ensure!(records.len() == 1, "one refurbishment record: {records:?}");
    Ok(())
}
