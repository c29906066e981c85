//! The PXE rack, server side: boot files, per-machine iPXE scripts and GRUB configurations
//! (automatic mode only for marked MACs and subnets; GRUB's over TFTP, read here with a client
//! of the test's own), and the one-time enrolment of a PXE-booted station's key.
//! Also the CLI around it (mark, unmark, marks, enroll errors).

mod support;

use support::{Server, Spec, Station, cli, cli_ok, request};

struct Rack {
    _dir: tempfile::TempDir,
    db: String,
    boot: std::path::PathBuf,
}

fn rack() -> Rack {
    let dir = tempfile::tempdir().unwrap();
    let boot = dir.path().join("out");
    std::fs::create_dir(&boot).unwrap();
    std::fs::write(boot.join("vmlinuz"), b"kernel bytes \x00\x01\x02").unwrap();
    std::fs::write(boot.join("vmlinuz-bios"), b"BIOS kernel bytes \x00\x03").unwrap();
    let initrd: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(boot.join("initrd.img"), initrd).unwrap();
    std::fs::write(boot.join("bootx64.efi"), b"MZ shim bytes").unwrap();
    std::fs::write(boot.join("grubx64.efi"), b"MZ network GRUB bytes").unwrap();
    std::fs::write(boot.join("station.key"), b"secret").unwrap();
    Rack {
        db: dir.path().join("c.db").to_str().unwrap().to_string(),
        boot,
        _dir: dir,
    }
}

fn script(server: &Server, mac: &str) -> String {
    let r = server.get(&format!("/boot.ipxe?mac={mac}"));
    assert_eq!(r.status, 200, "{}", r.text());
    let s = r.text();
    assert!(s.starts_with("#!ipxe\n"), "{s}");
    s
}

fn kernel_line(script: &str) -> &str {
    script.lines().find(|l| l.starts_with("kernel ")).unwrap()
}

fn token_of(script: &str) -> Option<String> {
    kernel_line(script)
        .split_whitespace()
        .find_map(|w| w.strip_prefix("reprise.enroll="))
        .map(str::to_string)
}

#[test]
fn only_marked_machines_boot_into_automatic_mode() {
    let r = rack();
    let db = r.db.as_str();
    let server = Server::start(
        db,
        &[
            "--boot-dir",
            r.boot.to_str().unwrap(),
            "--public-url",
            "http://10.0.2.2:8080",
        ],
    );
    // Nothing marked: interactive, no token (the default gives tokens to marked machines only).
    let s = script(&server, "52:54:00:12:34:56");
    let k = kernel_line(&s);
    assert!(
        k.starts_with("kernel http://10.0.2.2:8080/boot/${reprise-kernel} initrd=initrd.img console=ttyS0,115200 console=tty0 quiet cryptomgr.notests initcall_blacklist=init_kprobe_trace ip=dhcp reprise.server=http://10.0.2.2:8080"),
        "{s}"
    );
    assert!(
        !k.contains("reprise.auto") && !k.contains("reprise.poweroff"),
        "{s}"
    );
    assert_eq!(token_of(&s), None);
    assert!(
        s.contains("initrd http://10.0.2.2:8080/boot/initrd.img\nboot\n"),
        "{s}"
    );

    // One machine by its MAC (any spelling), while the server runs.
    cli_ok(&[
        "mark",
        "--mac",
        "52-54-00-12-34-56",
        "--mode",
        "clear",
        "--site",
        "college-pasteur",
        "--db",
        db,
    ]);
    let s = script(&server, "52:54:00:12:34:56");
    let k = kernel_line(&s);
    assert!(
        k.contains(
            " reprise.auto=clear reprise.poweroff=1 reprise.site=college-pasteur reprise.enroll="
        ),
        "{s}"
    );
    assert!(s.contains("because of MAC 52:54:00:12:34:56"), "{s}");
    assert!(token_of(&s).is_some_and(|t| t.len() == 64));
    // Another machine on the same network is not.
    let other = script(&server, "52:54:00:00:00:99");
    assert!(!kernel_line(&other).contains("reprise.auto"), "{other}");
    // No MAC at all: a script that asks again with iPXE's ${net0/mac}.
    let ask = server.get("/boot.ipxe");
    assert_eq!(
        ask.text(),
        "#!ipxe\nchain http://10.0.2.2:8080/boot.ipxe?mac=${net0/mac}\n"
    );
    // Garbage MAC (not expanded): treated as no MAC.
    let junk = script(&server, "%24%7Bnet0%2Fmac%7D");
    assert!(!kernel_line(&junk).contains("reprise.auto"), "{junk}");
    assert!(junk.contains("unknown MAC"), "{junk}");

    // The whole rack by subnet (the test connects from 127.0.0.1).
    cli_ok(&[
        "mark",
        "--subnet",
        "127.0.0.0/8",
        "--mode",
        "purge",
        "--db",
        db,
    ]);
    let other = script(&server, "52:54:00:00:00:99");
    assert!(
        kernel_line(&other).contains(" reprise.auto=purge reprise.poweroff=1"),
        "{other}"
    );
    assert!(other.contains("because of subnet 127.0.0.0/8"), "{other}");
    // The MAC mark still wins for its machine.
    assert!(kernel_line(&script(&server, "52:54:00:12:34:56")).contains("reprise.auto=clear"));
    let marks = cli_ok(&["marks", "--db", db]);
    assert!(
        marks.contains("mac\t52:54:00:12:34:56\tclear\tcollege-pasteur"),
        "{marks}"
    );
    assert!(marks.contains("subnet\t127.0.0.0/8\tpurge"), "{marks}");

    cli_ok(&["unmark", "--subnet", "127.0.0.1/8", "--db", db]);
    cli_ok(&["unmark", "--mac", "52:54:00:12:34:56", "--db", db]);
    for mac in ["52:54:00:12:34:56", "52:54:00:00:00:99"] {
        assert!(
            !kernel_line(&script(&server, mac)).contains("reprise.auto"),
            "{mac}"
        );
    }
    let out = cli(&["unmark", "--mac", "52:54:00:12:34:56", "--db", db], None);
    assert!(
        !out.status.success(),
        "unmarking twice says it was not marked"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("was not marked"));
}

#[test]
fn boot_files_are_served_and_nothing_else_of_the_directory() {
    let r = rack();
    let server = Server::open(&r.db, &["--boot-dir", r.boot.to_str().unwrap()]);
    for f in [
        "vmlinuz",
        "vmlinuz-bios",
        "initrd.img",
        "bootx64.efi",
        "grubx64.efi",
    ] {
        let resp = server.get(&format!("/boot/{f}"));
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, std::fs::read(r.boot.join(f)).unwrap(), "{f}");
    }
    for path in ["/boot/station.key", "/boot/..%2Fc.db", "/boot/"] {
        assert_eq!(server.get(path).status, 404, "{path}");
    }
    // Without --public-url, URLs name the host the machine asked for.
    let s = script(&server, "52:54:00:12:34:56");
    assert!(
        kernel_line(&s).contains(&format!("reprise.server=http://{}", server.addr)),
        "{s}"
    );
    // No --boot-dir: no boot files, no scripts.
    let bare = Server::open(&r.db, &[]);
    assert_eq!(bare.get("/boot.ipxe?mac=52:54:00:12:34:56").status, 404);
    assert_eq!(bare.get("/boot/vmlinuz").status, 404);
}

fn enrol(server: &Server, token: &str, st: &Station) -> support::Resp {
    let body = serde_json::json!({
        "token": token,
        "public_key": std::fs::read_to_string(&st.pub_pem).unwrap(),
    });
    request(
        server.addr,
        "POST",
        "/api/v1/stations",
        &[("Content-Type", "application/json")],
        &serde_json::to_vec(&body).unwrap(),
    )
}

#[test]
fn a_pxe_booted_station_enrols_once_with_its_token_then_uploads() {
    let r = rack();
    let db = r.db.as_str();
    cli_ok(&[
        "mark",
        "--mac",
        "52:54:00:12:34:56",
        "--mode",
        "clear",
        "--site",
        "rack-a",
        "--db",
        db,
    ]);
    let server = Server::open(db, &["--boot-dir", r.boot.to_str().unwrap()]);
    let token = token_of(&script(&server, "52:54:00:12:34:56")).unwrap();
    let mut st = Station::new();
    let c = st.issue(&Spec::default());
    assert_eq!(server.upload(&c.bytes).status, 403, "not enrolled yet");
    let first = enrol(&server, &token, &st);
    assert_eq!(first.status, 201, "{}", first.text());
    let j = first.json();
    assert_eq!(j["key_id"], st.key_id.as_str());
    assert_eq!(j["site"], "rack-a");
    // A retry of the same enrolment is fine; the token is spent for any other key.
    assert_eq!(enrol(&server, &token, &st).status, 200);
    let thief = enrol(&server, &token, &Station::new());
    assert_eq!(thief.status, 403);
    assert_eq!(thief.json()["code"], "token_refused");
    assert_eq!(enrol(&server, &"0".repeat(64), &Station::new()).status, 403);
    let bad = request(
        server.addr,
        "POST",
        "/api/v1/stations",
        &[],
        br#"{"token": "x", "public_key": "not a key", "extra": 1}"#,
    );
    assert_eq!(bad.status, 400);
    // Now its certificates are accepted, and the station page says how it was enrolled.
    assert_eq!(server.upload(&c.bytes).status, 201);
    let page = server
        .get(&format!("/stations/{}?lang=en", &st.key_id[7..]))
        .text();
    assert!(
        page.contains("pxe") && page.contains("MAC 52:54:00:12:34:56"),
        "{page}"
    );
    // Unmarked machines get no token by default; with --pxe-enroll all they do; with none nobody.
    let unmarked = script(&server, "52:54:00:00:00:01");
    assert_eq!(token_of(&unmarked), None);
    drop(server);
    let all = Server::open(
        db,
        &[
            "--boot-dir",
            r.boot.to_str().unwrap(),
            "--pxe-enroll",
            "all",
        ],
    );
    assert!(token_of(&script(&all, "52:54:00:00:00:01")).is_some());
    drop(all);
    let none = Server::open(
        db,
        &[
            "--boot-dir",
            r.boot.to_str().unwrap(),
            "--pxe-enroll",
            "none",
        ],
    );
    let s = script(&none, "52:54:00:12:34:56");
    assert!(
        kernel_line(&s).contains("reprise.auto=clear"),
        "marking still works: {s}"
    );
    assert_eq!(token_of(&s), None);
    assert_eq!(
        enrol(&none, &token, &st).json()["code"],
        "pxe_enroll_disabled"
    );
}

/// A PXE-booted agent's hello carries its token: the key that signed the hello is enrolled,
/// the signed answer says so, and the machine's script pins the server key it is signed with.
#[test]
fn a_hello_with_the_pxe_token_enrols_the_key_that_signed_it() {
    use reprise_cert::exchange::StationStatus;
    let r = rack();
    let db = r.db.as_str();
    cli_ok(&[
        "mark",
        "--mac",
        "52:54:00:12:34:56",
        "--mode",
        "clear",
        "--db",
        db,
    ]);
    let server = Server::open(db, &["--boot-dir", r.boot.to_str().unwrap()]);
    let pinned = cli_ok(&["server-key", "--db", db]).trim().to_owned();
    let s = script(&server, "52:54:00:12:34:56");
    assert!(
        kernel_line(&s).contains(&format!(" reprise.server-key={pinned} ")),
        "the script pins the server key: {s}"
    );
    let token = token_of(&s).unwrap();
    let mut st = Station::new();
    let a = support::say_hello(server.addr, &st.key, Some(&token))
        .answer
        .expect("a signed answer");
    assert_eq!(a.server_key_id, pinned);
    assert_eq!(a.answer.station, StationStatus::EnrolledNow);
    assert_eq!(server.upload(&st.issue(&Spec::default()).bytes).status, 201);
    // The token is spent: another key that heard it stays unknown, and says why.
    let thief = Station::new();
    let a = support::say_hello(server.addr, &thief.key, Some(&token))
        .answer
        .unwrap();
    assert_eq!(a.answer.station, StationStatus::Unknown);
    assert!(
        a.answer.note.as_deref().unwrap().contains("token refused"),
        "{:?}",
        a.answer.note
    );
    // The enrolled station, asking again (after a resume), is enrolled.
    let a = support::say_hello(server.addr, &st.key, Some(&token))
        .answer
        .unwrap();
    assert_eq!(a.answer.station, StationStatus::Enrolled);
}

/// The agent speaks plain HTTP only: behind an https public URL (a reverse proxy for the
/// browsers), the machines are sent to the address their iPXE reached.
#[test]
fn an_https_public_url_still_gives_machines_a_plain_http_server() {
    let r = rack();
    let server = Server::start(
        &r.db,
        &[
            "--boot-dir",
            r.boot.to_str().unwrap(),
            "--public-url",
            "https://reprise.example.org",
        ],
    );
    let s = script(&server, "52:54:00:12:34:56");
    let here = format!("http://{}", server.addr);
    assert!(
        kernel_line(&s).starts_with(&format!("kernel {here}/boot/")),
        "{s}"
    );
    assert!(
        kernel_line(&s).contains(&format!(" reprise.server={here} ")),
        "{s}"
    );
    assert!(!s.contains("https://"), "{s}");
}

#[test]
fn enrolment_tokens_are_capped_per_mac() {
    let r = rack();
    let db = r.db.as_str();
    for mac in ["52:54:00:12:34:56", "52:54:00:12:34:57"] {
        cli_ok(&["mark", "--mac", mac, "--mode", "clear", "--db", db]);
    }
    let server = Server::start(
        db,
        &[
            "--boot-dir",
            r.boot.to_str().unwrap(),
            "--pxe-tokens-per-mac",
            "2",
        ],
    );
    let a = "52:54:00:12:34:56";
    let first = token_of(&script(&server, a)).expect("a token");
    let second = token_of(&script(&server, a)).expect("a second token");
    assert_ne!(first, second);
    // Past the cap the machine still boots (automatic mode as marked), without a token; the
    // MAC's spelling does not matter.
    for spelling in [a, "52-54-00-12-34-56", "525400123456"] {
        let s = script(&server, spelling);
        assert!(kernel_line(&s).contains("reprise.auto=clear"), "{s}");
        assert_eq!(token_of(&s), None, "{s}");
    }
    // Another machine is not held up by it, and the tokens given stay good.
    assert!(token_of(&script(&server, "52:54:00:12:34:57")).is_some());
    assert_eq!(enrol(&server, &second, &Station::new()).status, 201);
}

/// A PXE token is enough to enrol a key; that key still cannot take a stick's ids.
#[test]
fn a_pxe_enrolled_key_cannot_take_a_stick_s_ids() {
    let r = rack();
    let db = r.db.as_str();
    cli_ok(&[
        "mark",
        "--mac",
        "52:54:00:12:34:56",
        "--mode",
        "clear",
        "--db",
        db,
    ]);
    let mut stick = Station::new();
    support::enroll(db, &stick, "stick-1", "Collège Pasteur");
    let server = Server::open(
        db,
        &[
            "--boot-dir",
            r.boot.to_str().unwrap(),
            "--pxe-enroll",
            "all",
        ],
    );
    let token = token_of(&script(&server, "52:54:00:99:99:99")).unwrap();
    let pxe = Station::new();
    assert_eq!(enrol(&server, &token, &pxe).status, 201);
    let genuine = stick.issue(&Spec::default());
    let mut forged = genuine.cert.clone();
    forged.chain.station_key_id = pxe.key_id.clone();
    forged.machine.identity.serial = Some("NOT-THE-STICK-S".into());
    let forged = pxe.seal(forged);
    assert_eq!(forged.id, genuine.id);
    let refused = server.upload(&forged.bytes);
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(refused.json()["code"], "id_mismatch");
    assert_eq!(server.upload(&genuine.bytes).status, 201);
    assert_eq!(server.count(), 1);
}

#[test]
fn the_cli_refuses_what_it_cannot_do_and_says_why() {
    let r = rack();
    let db = r.db.as_str();
    let st = Station::new();
    let key_id = cli_ok(&[
        "enroll",
        st.pub_pem.to_str().unwrap(),
        "--station",
        "stick-1",
        "--site",
        "Collège Pasteur",
        "--db",
        db,
    ]);
    assert_eq!(key_id.trim(), st.key_id);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a new database is readable by its owner only");
    let fails = |args: &[&str], says: &str| {
        let out = cli(args, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    let pem = st.pub_pem.to_str().unwrap();
    fails(
        &[
            "enroll",
            pem,
            "--station",
            "again",
            "--site",
            "x",
            "--db",
            db,
        ],
        "already exists",
    );
    fails(
        &[
            "enroll",
            Station::new().pub_pem.to_str().unwrap(),
            "--station",
            "stick-1",
            "--site",
            "x",
            "--db",
            db,
        ],
        "station \"stick-1\" already exists",
    );
    let garbage = r.boot.join("vmlinuz");
    fails(
        &[
            "enroll",
            garbage.to_str().unwrap(),
            "--station",
            "x",
            "--site",
            "x",
            "--db",
            db,
        ],
        "vmlinuz",
    );
    fails(&["revoke", "nobody", "--db", db], "no station \"nobody\"");
    fails(
        &["mark", "--mac", "52:54:00", "--mode", "clear", "--db", db],
        "not a MAC address",
    );
    fails(
        &[
            "mark",
            "--subnet",
            "10.0.0.0/40",
            "--mode",
            "clear",
            "--db",
            db,
        ],
        "not a subnet",
    );
    fails(
        &[
            "mark",
            "--mac",
            "52:54:00:12:34:56",
            "--mode",
            "clear",
            "--site",
            "Lycée Hugo",
            "--db",
            db,
        ],
        "one word",
    );
    fails(
        &["list", "--db", "/nonexistent-dir/c.db"],
        "/nonexistent-dir/c.db",
    );
    fails(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            db,
            "--boot-dir",
            "/nonexistent-dir",
        ],
        "/nonexistent-dir",
    );
    let revoked = cli_ok(&["revoke", "stick-1", "--db", db]);
    assert!(revoked.contains(&st.key_id), "{revoked}");
}

// ---------------------------------------------------------------- TFTP, for GRUB

/// What a TFTP read gave: the bytes, the options the server acknowledged, and the port the
/// transfer came from (its transfer id).
struct Tftp {
    data: Vec<u8>,
    oack: Vec<(String, String)>,
    tid_port: u16,
}

/// Reads `name` from the TFTP server on 127.0.0.1:`port` (RFC 1350, octet mode), asking for
/// `options`; `Err((code, message))` when the server answers with an error.
fn tftp_get(port: u16, name: &str, options: &[(&str, &str)]) -> Result<Tftp, (u16, String)> {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut rrq = vec![0u8, 1];
    for field in [name, "octet"]
        .into_iter()
        .chain(options.iter().flat_map(|(k, v)| [*k, *v]))
    {
        rrq.extend_from_slice(field.as_bytes());
        rrq.push(0);
    }
    sock.send_to(&rrq, ("127.0.0.1", port)).unwrap();
    let mut got = Tftp {
        data: Vec::new(),
        oack: Vec::new(),
        tid_port: 0,
    };
    let mut blksize = 512;
    let mut next: u16 = 1;
    let mut buf = vec![0u8; 70_000];
    loop {
        let (n, from) = sock.recv_from(&mut buf).expect("a TFTP answer within 10 s");
        let p = &buf[..n];
        if got.tid_port == 0 {
            got.tid_port = from.port();
        }
        assert_eq!(from.port(), got.tid_port, "one transfer id per transfer");
        match u16::from_be_bytes([p[0], p[1]]) {
            5 => {
                let code = u16::from_be_bytes([p[2], p[3]]);
                let msg = String::from_utf8_lossy(&p[4..n - 1]).into_owned();
                return Err((code, msg));
            }
            6 => {
                let fields: Vec<String> = p[2..n - 1]
                    .split(|&b| b == 0)
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                for kv in fields.chunks(2) {
                    if kv[0] == "blksize" {
                        blksize = kv[1].parse().unwrap();
                    }
                    got.oack.push((kv[0].clone(), kv[1].clone()));
                }
                sock.send_to(&[0, 4, 0, 0], from).unwrap();
            }
            3 => {
                let block = u16::from_be_bytes([p[2], p[3]]);
                if block == next {
                    got.data.extend_from_slice(&p[4..n]);
                    next = next.wrapping_add(1);
                }
                sock.send_to(&[0, 4, p[2], p[3]], from).unwrap();
                if block == next.wrapping_sub(1) && n - 4 < blksize {
                    return Ok(got);
                }
            }
            op => panic!("unexpected TFTP opcode {op}"),
        }
    }
}

fn tftp_text(port: u16, name: &str) -> String {
    let got = tftp_get(port, name, &[("blksize", "1024"), ("tsize", "0")])
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    String::from_utf8(got.data).unwrap()
}

/// The kernel command line of a boot script's `kernel` (iPXE) or `linux` (GRUB) line, without
/// the file and iPXE's initrd name, and without the one-time token (each request gets its own).
fn command_line(script: &str) -> String {
    let line = script
        .lines()
        .find(|l| l.starts_with("kernel ") || l.starts_with("linux "))
        .unwrap();
    line.split_whitespace()
        .skip(2)
        .filter(|w| *w != "initrd=initrd.img" && !w.starts_with("reprise.enroll="))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn uefi_machines_get_their_grub_configuration_over_tftp_with_the_same_marks_and_command_line() {
    let r = rack();
    let db = r.db.as_str();
    cli_ok(&[
        "mark",
        "--mac",
        "52:54:00:12:34:56",
        "--mode",
        "clear",
        "--site",
        "rack-a",
        "--db",
        db,
    ]);
    let server = Server::start(
        db,
        &[
            "--boot-dir",
            r.boot.to_str().unwrap(),
            "--public-url",
            "http://10.0.2.2:8080",
            "--tftp",
            "127.0.0.1:0",
        ],
    );
    // GRUB's first configuration, for the rack's TFTP root: it names the collector's TFTP by the
    // public URL's host and the port really bound.
    let first = server.get("/grub/grub.cfg");
    assert_eq!(first.status, 200);
    let first = first.text();
    let device = first
        .split('"')
        .find_map(|w| w.strip_suffix("/grub/mac/${net_default_mac}.cfg"))
        .unwrap_or_else(|| panic!("no per-machine source line: {first}"));
    let port: u16 = device
        .strip_prefix("(tftp,10.0.2.2:")
        .and_then(|p| p.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{device}"))
        .parse()
        .unwrap();
    assert_eq!(tftp_text(port, "/grub/grub.cfg"), first);

    // The marked machine: automatic Clear, its site, a token, and iPXE's command line.
    let marked = tftp_text(port, "/grub/mac/52:54:00:12:34:56.cfg");
    assert!(
        marked.contains(&format!("\nlinux {device}/boot/vmlinuz "))
            && marked.contains(&format!("\ninitrd {device}/boot/initrd.img\nboot\n")),
        "{marked}"
    );
    assert!(
        marked.contains("because of MAC 52:54:00:12:34:56"),
        "{marked}"
    );
    let token = command_line_token(&marked).expect("a marked machine gets a token");
    assert_eq!(token.len(), 64);
    assert_eq!(
        command_line(&marked),
        command_line(&script(&server, "52:54:00:12:34:56"))
    );
    let pinned = cli_ok(&["server-key", "--db", db]).trim().to_owned();
    assert!(
        command_line(&marked).ends_with(&format!(
            "reprise.server=http://10.0.2.2:8080 reprise.server-key={pinned} reprise.auto=clear \
             reprise.poweroff=1 reprise.site=rack-a"
        )),
        "{marked}"
    );
    // The token enrols a key, as iPXE's does.
    let st = Station::new();
    assert_eq!(enrol(&server, &token, &st).status, 201);

    // Another machine, and one whose MAC GRUB did not know: interactive.
    for name in ["/grub/mac/52:54:00:00:00:99.cfg", "/grub/mac/.cfg"] {
        let other = tftp_text(port, name);
        assert!(!other.contains("reprise.auto"), "{other}");
        assert!(
            other.contains("echo \"Reprise: interactive - nothing is wiped"),
            "{other}"
        );
    }
    // A subnet mark reaches GRUB's machines too (the test's requests come from 127.0.0.1).
    cli_ok(&[
        "mark",
        "--subnet",
        "127.0.0.0/8",
        "--mode",
        "purge",
        "--db",
        db,
    ]);
    let rack_machine = tftp_text(port, "grub/mac/52:54:00:00:00:99.cfg");
    assert!(
        command_line(&rack_machine).contains(" reprise.auto=purge reprise.poweroff=1"),
        "{rack_machine}"
    );

    // The boot files, byte for byte, whatever the block size; the transfer on its own port.
    let initrd = std::fs::read(r.boot.join("initrd.img")).unwrap();
    let plain = tftp_get(port, "boot/initrd.img", &[]).unwrap();
    assert_eq!(plain.data, initrd);
    assert!(plain.oack.is_empty());
    assert_ne!(plain.tid_port, port);
    let big = tftp_get(
        port,
        "/boot/initrd.img",
        &[("blksize", "65464"), ("tsize", "0"), ("windowsize", "8")],
    )
    .unwrap();
    assert_eq!(big.data, initrd);
    assert_eq!(
        big.oack,
        [
            ("blksize".to_string(), "1468".to_string()),
            ("tsize".to_string(), initrd.len().to_string())
        ]
    );
    for f in ["vmlinuz", "bootx64.efi", "grubx64.efi"] {
        let got = tftp_get(port, &format!("boot/{f}"), &[("blksize", "1024")]).unwrap();
        assert_eq!(got.data, std::fs::read(r.boot.join(f)).unwrap(), "{f}");
    }
    // Nothing else: not the directory's other files, not a path out of it.
    for name in [
        "boot/station.key",
        "boot/../c.db",
        "c.db",
        "/etc/passwd",
        "grub/x.cfg",
    ] {
        let err = tftp_get(port, name, &[]).err();
        assert_eq!(err.map(|(code, _)| code), Some(1), "{name}");
    }
    // Writes and other modes are refused.
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    for (packet, code) in [
        (&b"\0\x02boot/vmlinuz\0octet\0"[..], 2u16),
        (&b"\0\x01boot/vmlinuz\0netascii\0"[..], 0),
        (&b"\0\x01garbage"[..], 4),
    ] {
        sock.send_to(packet, ("127.0.0.1", port)).unwrap();
        let mut buf = [0u8; 600];
        let n = sock.recv(&mut buf).unwrap();
        assert_eq!(
            buf[..4],
            [0, 5, 0, code as u8],
            "{packet:?}: {:?}",
            &buf[..n]
        );
    }
    drop(server);

    // No --tftp: no GRUB configuration; --tftp without a public URL, or with an https:// one:
    // refused at start.
    let bare = Server::start(db, &["--boot-dir", r.boot.to_str().unwrap()]);
    assert_eq!(bare.get("/grub/grub.cfg").status, 404);
    let out = cli(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            db,
            "--boot-dir",
            r.boot.to_str().unwrap(),
            "--tftp",
            "127.0.0.1:0",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tftp needs --boot-dir"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An https:// public URL: GRUB's configurations would give the agents a server they refuse.
    let out = cli(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            db,
            "--boot-dir",
            r.boot.to_str().unwrap(),
            "--public-url",
            "https://atelier.example",
            "--tftp",
            "127.0.0.1:0",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--tftp needs an http:// --public-url: it is the server the network-booted"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn command_line_token(script: &str) -> Option<String> {
    script
        .split_whitespace()
        .find_map(|w| w.strip_prefix("reprise.enroll="))
        .map(str::to_string)
}
