//! The web UI: list, search, certificate page and statistics read back in headless Chromium
//! (screenshots kept under target/tmp/collector-ui/), the CSV export, and logins.

mod support;

use reprise_cert::verdict::Decision;
use support::{Server, Signed, Spec, Station, cli, cli_ok, dump_dom, enroll, request, screenshot};

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
