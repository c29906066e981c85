//! Lots, each laptop's life and the donor's report (issue 23, items 1, 2 and 4), through the
//! real binary: an inventory imported (and bad ones refused whole, with their lines),
//! certificates uploaded to a running collector, hand-over and recycling events recorded from
//! the CLI and the web forms (those the rules refuse included), and the report's counts and
//! re-use rate compared with what was done — on SQLite and on a PostgreSQL cluster of the
//! test's own. The report page printed to PDF by headless Chromium and read back with
//! `pdftotext`.

mod support;

use std::path::Path;

use reprise_cert::verdict::Decision;
use support::{
    Postgres, Resp, Server, Signed, Spec, Station, chromium, cli, cli_ok, dump_dom, enroll,
    request, screenshot,
};

const INVENTORY: &str = "serial,asset_tag,model,purchase_year,service\n\
    pf-s1,INV-001,ThinkPad T480,2018,Compta\n\
    PF-S2,INV-002,ThinkPad T440,2014,\"RH, 2e étage\"\n\
    PF-S3,INV-003,Latitude 5490,2019,\n\
    PF-S4,INV-004,Latitude 5490,2020,\n\
    PF-S5,INV-005,EliteBook 840,2017,\n";

/// Runs the CLI; (success, stdout, stderr).
fn run(args: &[&str]) -> (bool, String, String) {
    let out = cli(args, None);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `event ARGS --db DB`; (success, stdout, stderr).
fn event_on(db: &str, args: &[&str]) -> (bool, String, String) {
    let mut a = vec!["event"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--db", db]);
    run(&a)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn upload(
    server: &Server,
    st: &mut Station,
    serial: &str,
    at: &str,
    failed: bool,
    d: Decision,
) -> Signed {
    let c = st.issue(&Spec {
        serial: serial.into(),
        site: "Lycée Hugo".into(),
        issued_at: at.into(),
        failed,
        decision: d,
        product: None,
    });
    assert_eq!(server.upload(&c.bytes).status, 201, "{serial}");
    c
}

/// The whole life of a small donation, on the database `db`. Returns the server (still
/// running) for the web checks.
fn donation(db: &str) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // A broken inventory: every error with its line, and nothing imported.
    let broken = write(
        d,
        "broken.csv",
        "serial,asset_tag,model,purchase_year\nA1,T1,X,2015\nA1,T2,X,2015\nB1,T3,X,20x5\nC1,T4\n",
    );
    let (ok, _, err) = run(&[
        "lot",
        "import",
        &broken,
        "--site",
        "Lycée Hugo",
        "--received",
        "2026-11-02",
        "--db",
        db,
    ]);
    assert!(!ok);
    for want in [
        "nothing imported, 3 error(s)",
        "line 3: serial A1 is already on line 2",
        "line 4: purchase_year \"20x5\"",
        "line 5: 2 fields, the header has 4",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    let no_header = write(d, "nh.csv", "serial,model\nA1,X\n");
    let (ok, _, err) = run(&[
        "lot",
        "import",
        &no_header,
        "--site",
        "S",
        "--received",
        "2026-11-02",
        "--db",
        db,
    ]);
    assert!(
        !ok && err.contains("line 1: the header has no column \"asset_tag\""),
        "{err}"
    );
    assert_eq!(
        cli_ok(&["lot", "list", "--db", db]).lines().count(),
        1,
        "nothing imported"
    );

    // The real one.
    let inv = write(d, "don-2026-11.csv", INVENTORY);
    let out = cli_ok(&[
        "lot",
        "import",
        &inv,
        "--site",
        "Lycée Hugo",
        "--received",
        "2026-11-02",
        "--by",
        "amina",
        "--db",
        db,
    ]);
    assert_eq!(out.trim(), "lot don-2026-11: 5 laptops imported");
    // Another file holding a serial of that lot: refused with its line, nothing of it stored.
    let again = write(
        d,
        "again.csv",
        "serial,asset_tag,model,purchase_year\nNEW-1,,X,2020\npf-s3,,X,2019\n",
    );
    let (ok, _, err) = run(&[
        "lot",
        "import",
        &again,
        "--site",
        "Collège Pasteur",
        "--received",
        "2026-12-01",
        "--db",
        db,
    ]);
    assert!(
        !ok && err.contains("line 3: serial PF-S3 is already in lot don-2026-11"),
        "{err}"
    );
    let (ok, _, err) = run(&[
        "lot",
        "import",
        &inv,
        "--site",
        "X",
        "--received",
        "2026-11-02",
        "--db",
        db,
    ]);
    assert!(
        !ok && err.contains("lot don-2026-11 exists already"),
        "{err}"
    );
    let second = write(
        d,
        "second.csv",
        "serial,asset_tag,model,purchase_year\nNEW-1,,X,2020\n",
    );
    cli_ok(&[
        "lot",
        "import",
        &second,
        "--site",
        "Collège Pasteur",
        "--received",
        "2026-12-01",
        "--lot",
        "pasteur-1",
        "--db",
        db,
    ]);
    let lots = cli_ok(&["lot", "list", "--db", db]);
    assert!(
        lots.contains("don-2026-11\tLycée Hugo\t2026-11-02\t5\tdon-2026-11.csv"),
        "{lots}"
    );
    assert!(
        lots.contains("pasteur-1\tCollège Pasteur\t2026-12-01\t1"),
        "{lots}"
    );

    // Certificates: S1, S2 sanitized; S3 failed; S5 sanitized then failed later; none for S4;
    // one for a laptop of no lot.
    let mut st = Station::new();
    enroll(db, &st, "stick-1", "Lycée Hugo");
    let server = Server::open(db, &[]);
    let s1 = upload(
        &server,
        &mut st,
        "PF-S1",
        "2026-11-03T09:00:00.000Z",
        false,
        Decision::Refurbish,
    );
    // S1 was given the family system: its refurbishment record follows its certificate.
    let r1 = st.record(&s1, "1.0");
    assert_eq!(server.upload_record(&r1.bytes).status, 201);
    upload(
        &server,
        &mut st,
        "PF-S2",
        "2026-11-03T10:00:00.000Z",
        false,
        Decision::Refurbish,
    );
    upload(
        &server,
        &mut st,
        "PF-S3",
        "2026-11-03T11:00:00.000Z",
        true,
        Decision::Recycle,
    );
    upload(
        &server,
        &mut st,
        "PF-S5",
        "2026-11-03T12:00:00.000Z",
        false,
        Decision::Refurbish,
    );
    upload(
        &server,
        &mut st,
        "PF-S5",
        "2026-11-05T12:00:00.000Z",
        true,
        Decision::Refurbish,
    );
    upload(
        &server,
        &mut st,
        "STRAY-9",
        "2026-11-05T13:00:00.000Z",
        false,
        Decision::Refurbish,
    );

    let event = |args: &[&str]| event_on(db, args);
    // Handed over: S1 and S2 (S2 is over ten years old).
    let (ok, out, err) = event(&[
        "PF-S1",
        "handed-over",
        "--date",
        "2026-11-20",
        "--partner",
        "Emmaüs Connect",
        "--receipt",
        "R-17",
        "--by",
        "amina",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        "PF-S1 #1: handed-over on 2026-11-20 (recorded by amina)"
    );
    assert!(
        event(&[
            "pf-s2",
            "handed-over",
            "--date",
            "2026-11-20",
            "--partner",
            "Emmaüs Connect"
        ])
        .0
    );
    // Refused: S5's latest certificate failed; S4 has none; a serial in no lot; before reception.
    let (ok, _, err) = event(&[
        "PF-S5",
        "handed-over",
        "--date",
        "2026-11-20",
        "--partner",
        "P",
    ]);
    assert!(
        !ok && err.contains("disks sanitized; a laptop is handed over only"),
        "{err}"
    );
    let (ok, _, err) = event(&[
        "PF-S4",
        "handed-over",
        "--date",
        "2026-11-20",
        "--partner",
        "P",
    ]);
    assert!(
        !ok && err.contains("no certificate of it was received"),
        "{err}"
    );
    let (ok, _, err) = event(&[
        "STRAY-9",
        "handed-over",
        "--date",
        "2026-11-20",
        "--partner",
        "P",
    ]);
    assert!(!ok && err.contains("STRAY-9 is in no lot"), "{err}");
    let (ok, _, err) = event(&[
        "PF-S1",
        "recycled",
        "--date",
        "2026-10-01",
        "--channel",
        "C",
    ]);
    assert!(
        !ok && err.contains("before the laptop was received"),
        "{err}"
    );
    // Recycled: S3 (failed disk) needs what happened to it; S4 too (no certificate).
    let (ok, _, err) = event(&[
        "PF-S3",
        "recycled",
        "--date",
        "2026-11-21",
        "--channel",
        "Ecosystem",
    ]);
    assert!(!ok && err.contains("--disks"), "{err}");
    assert!(
        event(&[
            "PF-S3",
            "recycled",
            "--date",
            "2026-11-21",
            "--channel",
            "Ecosystem",
            "--weight-g",
            "2100",
            "--disks",
            "shredded on site, certificate D-88"
        ])
        .0
    );
    assert!(
        event(&[
            "PF-S4",
            "recycled",
            "--date",
            "2026-11-21",
            "--channel",
            "Ecosystem",
            "--disks",
            "no disk inside"
        ])
        .0
    );
    // A correction: S1's hand-over cancelled, then recorded again with the right partner.
    let (ok, _, err) = event(&["PF-S5", "cancelled", "--date", "2026-11-22", "--note", "x"]);
    assert!(!ok && err.contains("no outcome to cancel"), "{err}");
    assert!(
        event(&[
            "PF-S1",
            "cancelled",
            "--date",
            "2026-11-22",
            "--note",
            "wrong partner"
        ])
        .0
    );
    assert!(
        event(&[
            "PF-S1",
            "handed-over",
            "--date",
            "2026-11-20",
            "--partner",
            "Secours populaire",
            "--receipt",
            "SP-4"
        ])
        .0
    );

    let life = cli_ok(&["laptop", "pf-s1", "--db", db]);
    for want in [
        "asset tag\tINV-001",
        "lot\tdon-2026-11 (site Lycée Hugo, received 2026-11-02, line 2)",
        "event #1\t2026-11-20 handed-over — partner: Emmaüs Connect, receipt: R-17 — recorded by amina",
        "event #2\t2026-11-22 cancelled — note: wrong partner",
        "event #3\t2026-11-20 handed-over — partner: Secours populaire, receipt: SP-4",
        "now\thanded over on 2026-11-20",
    ] {
        assert!(life.contains(want), "{want}: {life}");
    }
    let (ok, _, err) = run(&["laptop", "STRAY-9", "--db", db]);
    assert!(!ok && err.contains("STRAY-9 is in no lot"), "{err}");
    exports_everything_about_one_laptop(db, &s1, &r1);
    let (ok, _, err) = run(&["laptop", "STRAY-9", "--export", "json", "--db", db]);
    assert!(!ok && err.contains("STRAY-9 is in no lot"), "{err}");
    (server, dir)
}

/// `laptop SERIAL --export json`: the lot's row with the inventory's extra columns, the
/// certificate's exact bytes (base64) and digests, the refurbishment record that follows it
/// (its bytes too), every event with who recorded it.
fn exports_everything_about_one_laptop(db: &str, s1: &Signed, r1: &Signed) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let out = cli_ok(&["laptop", "pf-s1", "--export", "json", "--db", db]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["format"], "reprise-laptop-export/1");
    let l = &doc["laptop"];
    assert_eq!(
        (
            &l["serial"],
            &l["lot"],
            &l["site"],
            &l["received"],
            &l["line"]
        ),
        (
            &"PF-S1".into(),
            &"don-2026-11".into(),
            &"Lycée Hugo".into(),
            &"2026-11-02".into(),
            &2.into()
        )
    );
    assert_eq!(l["asset_tag"], "INV-001");
    assert_eq!(l["purchase_year"], 2018);
    assert_eq!(l["extra"]["service"], "Compta");
    assert_eq!(doc["lot"]["imported_by"], "amina");
    assert_eq!(doc["lot"]["source"], "don-2026-11.csv");
    let certs = doc["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 1, "{doc}");
    let c = &certs[0];
    assert_eq!(c["digest"], s1.digest.as_str());
    let body = base64::engine::general_purpose::STANDARD
        .decode(c["body_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(body, s1.bytes, "the exact bytes uploaded");
    assert_eq!(
        c["body_sha256"],
        hex::encode(sha2::Sha256::digest(&s1.bytes))
    );
    assert_eq!(c["decision"], "refurbish");
    assert!(!c["disk_rows"].as_array().unwrap().is_empty(), "{c}");
    let r = &c["refurbishment_record"];
    assert_eq!(r["digest"], r1.digest.as_str(), "{c}");
    assert_eq!(r["image_version"], "1.0");
    let record = base64::engine::general_purpose::STANDARD
        .decode(r["body_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(record, r1.bytes, "the record's exact bytes");
    let events = doc["events"].as_array().unwrap();
    let seen: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e["seq"].as_i64().unwrap(),
                e["kind"].as_str().unwrap(),
                e["recorded_by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen.len(), 3, "{doc}");
    assert_eq!(seen[0], (1, "handed-over", "amina"));
    assert_eq!(seen[1].1, "cancelled");
    assert_eq!(events[2]["fields"]["partner"], "Secours populaire");
    // A laptop with two certificates exports both, oldest first.
    let out = cli_ok(&["laptop", "PF-S5", "--export", "json", "--db", db]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let certs = doc["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2, "{doc}");
    assert!(
        certs.iter().all(|c| c["refurbishment_record"].is_null()),
        "no record was uploaded for S5: {doc}"
    );
}

/// The report of November: S1..S5 (the second lot was received in December).
const NOVEMBER: &str = "site,received,sanitized,refurbish,recycle,handed_over,recycled,pending,over_10_years,reuse_rate_permille,co2e_avoided_kg\r\n\
    Lycée Hugo,5,2,3,1,2,2,1,1,333,54\r\n";

fn reports_count_what_was_done(db: &str) {
    let (server, _dir) = donation(db);
    let report = |extra: &[&str]| {
        let mut a = vec!["report", "--db", db];
        a.extend_from_slice(extra);
        cli_ok(&a)
    };
    // received 5; sanitized S1 S2 (S5's latest failed); refurbish S1 S2 S5, recycle S3; handed
    // over S1 S2, recycled S3 S4, pending S5; over ten years S2; the rate leaves S2 out: 1 / (1
    // + 2) = 333 ‰; CO2e 2 × 27 kg.
    assert_eq!(
        report(&[
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "csv"
        ]),
        NOVEMBER
    );
    let both = report(&["--from", "2026-11-02", "--to", "2026-12-01", "--by-lot"]);
    assert_eq!(
        both.lines().collect::<Vec<_>>(),
        [
            "site,lot,received,sanitized,refurbish,recycle,handed_over,recycled,pending,over_10_years,reuse_rate_permille,co2e_avoided_kg",
            "Collège Pasteur,pasteur-1,1,0,0,0,0,0,1,0,,0",
            "Lycée Hugo,don-2026-11,5,2,3,1,2,2,1,1,333,54",
        ]
    );
    assert_eq!(
        report(&["--from", "2026-12-02", "--to", "2026-12-31"]),
        "site,received,sanitized,refurbish,recycle,handed_over,recycled,pending,over_10_years,reuse_rate_permille,co2e_avoided_kg\r\n"
    );
    let html = report(&[
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "html",
        "--lang",
        "en",
    ]);
    assert!(
        html.contains("<html lang=\"en\">") && html.contains("ADEME 2022"),
        "{html}"
    );
    assert!(html.contains("data-column=\"reuse_rate_permille\" title=\"at most 10 years old: handed over 1 / (1 + 2)\">333</td>"), "{html}");
    let (ok, _, err) = run(&[
        "report",
        "--from",
        "2026-11-31",
        "--to",
        "2026-12-01",
        "--db",
        db,
    ]);
    assert!(!ok && err.contains("not a date"), "{err}");
    report_matches_the_laptops_classified_one_by_one(db);
    operators_names_are_forgotten_after_their_retention(db);
    drop(server);
}

/// The report's aggregate query (`Store::report`) gives the rows of every laptop loaded and
/// classified by `life::Figure::holds` (`report::rows`), per site and per lot, over periods
/// with and without laptops.
fn report_matches_the_laptops_classified_one_by_one(db: &str) {
    use reprise_collector::store::{self, LaptopFilter};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(store::open(db)).unwrap();
    for (from, to) in [
        ("2026-11-01", "2026-11-30"),
        ("2026-11-02", "2026-12-01"),
        ("2026-12-02", "2026-12-31"),
        ("2000-01-01", "2099-12-31"),
    ] {
        let filter = LaptopFilter {
            from: Some(from.into()),
            to: Some(to.into()),
            ..LaptopFilter::default()
        };
        let lives = rt.block_on(store.laptops(filter.clone())).unwrap();
        for by_lot in [false, true] {
            let counted = rt.block_on(store.report(filter.clone(), by_lot)).unwrap();
            assert_eq!(
                counted,
                reprise_collector::report::rows(&lives, by_lot),
                "{from} {to} by lot {by_lot}"
            );
        }
    }
}

/// `retention --operator-days N`: names younger than N days stay; older ones become the marker
/// in certificates' rows, events and lots, the signed bytes and the report unchanged; a second
/// run rewrites nothing.
fn operators_names_are_forgotten_after_their_retention(db: &str) {
    let export = || -> serde_json::Value {
        serde_json::from_str(&cli_ok(&[
            "laptop", "pf-s1", "--export", "json", "--db", db,
        ]))
        .unwrap()
    };
    let before = export();
    let kept = cli_ok(&["retention", "--operator-days", "3650", "--db", db]);
    assert!(
        kept.ends_with("forgotten: 0 certificate(s), 0 event(s), 0 lot(s)\n"),
        "{kept}"
    );
    assert_eq!(export()["events"], before["events"]);
    let operator = before["certificates"][0]["operator"].as_str().unwrap();
    assert_ne!(operator, "(forgotten)");
    assert!(cli_ok(&["laptop", "pf-s1", "--db", db]).contains("recorded by amina"));

    let gone = cli_ok(&["retention", "--operator-days", "0", "--db", db]);
    // Every row the donation stored: 6 certificates (S1, S2, S3, S5 twice, the stray one), 6
    // events, 2 lots.
    assert!(
        gone.ends_with("forgotten: 6 certificate(s), 6 event(s), 2 lot(s)\n"),
        "{gone}"
    );
    let after = export();
    let c = &after["certificates"][0];
    assert_eq!(c["operator"], "(forgotten)");
    assert_eq!(c["body_base64"], before["certificates"][0]["body_base64"]);
    assert_eq!(c["digest"], before["certificates"][0]["digest"]);
    assert_eq!(after["lot"]["imported_by"], "(forgotten)");
    for (e, was) in after["events"]
        .as_array()
        .unwrap()
        .iter()
        .zip(before["events"].as_array().unwrap())
    {
        assert_eq!(e["recorded_by"], "(forgotten)");
        assert_eq!(
            (&e["kind"], &e["date"], &e["fields"]),
            (&was["kind"], &was["date"], &was["fields"])
        );
    }
    let life = cli_ok(&["laptop", "pf-s1", "--db", db]);
    assert!(!life.contains("amina"), "{life}");
    assert!(!cli_ok(&["lot", "list", "--db", db]).contains("amina"));
    assert_eq!(
        cli_ok(&[
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
            "--db",
            db
        ]),
        NOVEMBER
    );
    let again = cli_ok(&["retention", "--operator-days", "0", "--db", db]);
    assert!(
        again.ends_with("forgotten: 0 certificate(s), 0 event(s), 0 lot(s)\n"),
        "{again}"
    );
}

#[test]
fn sqlite_reports_count_what_was_done() {
    let dir = tempfile::tempdir().unwrap();
    reports_count_what_was_done(dir.path().join("c.db").to_str().unwrap());
}

/// Runs `case` on a database of a PostgreSQL cluster of the test's own; on failure, shows the
/// server's log.
fn on_postgres(case: fn(&str)) {
    let pg = Postgres::start();
    let db = pg.database();
    let result = std::panic::catch_unwind(|| case(&db));
    if result.is_err() {
        panic!(
            "the PostgreSQL case failed (see above); server log:\n{}",
            pg.log()
        );
    }
}

#[test]
fn postgres_reports_count_what_was_done() {
    on_postgres(reports_count_what_was_done);
}

/// Several workshops of the département on one PostgreSQL server, one database each with its
/// sites (the same serial in both: each workshop's own); the report with `--workshop NAME=DB`
/// covers them all, a `workshop` column first; per workshop it is that workshop's report.
#[test]
fn postgres_reports_over_several_workshops_on_one_server() {
    let pg = Postgres::start();
    let (nord, sud) = (pg.database(), pg.database());
    let dir = tempfile::tempdir().unwrap();
    let import = |db: &str, file: &str, text: &str, site: &str| {
        let f = write(dir.path(), file, text);
        cli_ok(&[
            "lot",
            "import",
            &f,
            "--site",
            site,
            "--received",
            "2026-11-02",
            "--by",
            "amina",
            "--db",
            db,
        ]);
    };
    let header = "serial,asset_tag,model,purchase_year\n";
    import(
        &nord,
        "lille-1.csv",
        &format!("{header}N1,,X,2019\nN2,,X,2010\nSAME,,X,\n"),
        "Lille",
    );
    import(
        &nord,
        "roubaix-1.csv",
        &format!("{header}N3,,X,2020\n"),
        "Roubaix",
    );
    import(
        &sud,
        "arras-1.csv",
        &format!("{header}S1,,X,2018\nSAME,,X,\n"),
        "Arras",
    );
    cli_ok(&[
        "event",
        "S1",
        "recycled",
        "--date",
        "2026-11-10",
        "--channel",
        "D3E",
        "--disks",
        "shredded",
        "--db",
        &sud,
    ]);
    let report = |args: &[&str]| {
        let mut a = vec!["report", "--from", "2026-11-01", "--to", "2026-11-30"];
        a.extend_from_slice(args);
        cli_ok(&a)
    };
    let nord_w = format!("Nord={nord}");
    let sud_w = format!("Sud={sud}");
    let both = report(&["--workshop", &nord_w, "--workshop", &sud_w]);
    assert_eq!(
        both.lines().collect::<Vec<_>>(),
        [
            "workshop,site,received,sanitized,refurbish,recycle,handed_over,recycled,pending,over_10_years,reuse_rate_permille,co2e_avoided_kg",
            "Nord,Lille,3,0,0,0,0,0,3,1,,0",
            "Nord,Roubaix,1,0,0,0,0,0,1,0,,0",
            "Sud,Arras,2,0,0,0,0,1,1,0,0,0",
        ]
    );
    // Per workshop, its own report is those rows.
    assert_eq!(
        report(&["--db", &sud]).lines().nth(1),
        Some("Arras,2,0,0,0,0,1,1,0,0,0")
    );
    let by_lot = report(&["--by-lot", "--workshop", &sud_w, "--workshop", &nord_w]);
    assert_eq!(
        by_lot.lines().nth(1),
        Some("Sud,Arras,arras-1,2,0,0,0,0,1,1,0,0,0")
    );
    assert_eq!(by_lot.lines().count(), 4);
    let html = report(&[
        "--format",
        "html",
        "--lang",
        "en",
        "--workshop",
        &nord_w,
        "--workshop",
        &sud_w,
    ]);
    assert!(
        html.contains("<tr><td data-column=\"workshop\">Sud</td><td>Arras</td>"),
        "{html}"
    );
    // The total row covers every workshop: 6 received.
    assert!(
        html.contains(
            "<tr class=\"total\"><th colspan=\"2\">Total</th><td class=\"n\" data-column=\"received\">6</td>"
        ),
        "{html}"
    );
    // A workshop's database is only read: one that holds no collector's schema is refused,
    // not given one.
    let ghost = pg.database();
    for (bad, want) in [
        (vec!["--workshop", "Nord"], "is not NAME=DB"),
        (
            vec!["--workshop", &nord_w, "--workshop", &nord_w],
            "given twice",
        ),
        (
            vec!["--workshop", &format!("Ghost={ghost}")],
            "--workshop Ghost",
        ),
    ] {
        let mut a = vec!["report", "--from", "2026-11-01", "--to", "2026-11-30"];
        a.extend_from_slice(&bad);
        let (ok, _, err) = run(&a);
        assert!(!ok && err.contains(want), "{want}: {err}");
    }
    let (ok, _, _) = run(&[
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--db",
        &nord,
        "--workshop",
        &sud_w,
    ]);
    assert!(!ok, "--db and --workshop together");
    // The département's server on Nord's database: its web report is the CLI's, and Sud's
    // figures list Sud's laptops (SAME is in both: each workshop's own).
    let server = Server::open(
        &nord,
        &["--workshop-name", "Nord", "--report-workshop", &sud_w],
    );
    assert_eq!(
        server
            .get("/report.csv?from=2026-11-01&to=2026-11-30")
            .text(),
        both
    );
    let list = server
        .get("/laptops?from=2026-11-01&to=2026-11-30&workshop=Sud&figure=received")
        .text();
    assert!(
        list.contains("<span id=\"total\">2</span>")
            && list.contains("<td class=\"mono\">SAME</td><td></td><td>X</td><td></td><td>arras-1</td><td>Arras</td>"),
        "{list}"
    );
}

/// Events of one laptop recorded at once are numbered one after the other, none lost.
#[test]
fn postgres_numbers_concurrent_events_of_one_laptop() {
    let pg = Postgres::start();
    let db = pg.database();
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "l.csv",
        "serial,asset_tag,model,purchase_year\nC-1,,X,2020\n",
    );
    cli_ok(&[
        "lot",
        "import",
        &inv,
        "--site",
        "S",
        "--received",
        "2026-11-02",
        "--db",
        &db,
    ]);
    std::thread::scope(|s| {
        for i in 0..6 {
            let db = &db;
            s.spawn(move || {
                let note = format!("disk {i}");
                cli_ok(&[
                    "event",
                    "C-1",
                    "recycled",
                    "--date",
                    "2026-11-20",
                    "--channel",
                    "E",
                    "--disks",
                    &note,
                    "--db",
                    db,
                ]);
            });
        }
    });
    let life = cli_ok(&["laptop", "C-1", "--db", &db]);
    for n in 1..=6 {
        assert!(life.contains(&format!("event #{n}\t")), "{life}");
    }
    assert!(!life.contains("event #7"), "{life}");
}

fn cookie_of(r: &Resp, name: &str) -> String {
    r.headers_named("set-cookie")
        .into_iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no cookie {name}"))
        .to_string()
}

/// A logged-in user's cookies (session and CSRF) and CSRF token.
fn log_in(server: &Server, db: &str) -> (String, String) {
    let out = cli(
        &["user", "add", "amina", "--db", db],
        Some("correct horse battery\n"),
    );
    assert!(out.status.success());
    let csrf = cookie_of(&server.get("/login"), "reprise_csrf");
    let r = request(
        server.addr,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &format!("reprise_csrf={csrf}")),
        ],
        format!("user=amina&password=correct+horse+battery&csrf={csrf}&next=%2Flots").as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let session = cookie_of(&r, "reprise_session");
    (
        format!("reprise_session={session}; reprise_csrf={csrf}"),
        csrf,
    )
}

fn get(server: &Server, cookie: &str, path: &str) -> Resp {
    request(server.addr, "GET", path, &[("Cookie", cookie)], b"")
}

fn post(server: &Server, cookie: &str, path: &str, body: &str) -> Resp {
    request(
        server.addr,
        "POST",
        path,
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", cookie),
        ],
        body.as_bytes(),
    )
}

#[test]
fn laptop_pages_forms_labels_and_the_report_page() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let (open, _files) = donation(db);
    let server = Server::start(db, &[]);
    let (cookie, csrf) = log_in(&server, db);

    // The laptop's page: identity, lot, certificates, every event with who recorded it.
    let page = get(&server, &cookie, "/laptops/pf-s1?lang=en");
    assert_eq!(page.status, 200);
    let page = page.text();
    for want in [
        "INV-001",
        "ThinkPad T480",
        "<a href=\"/lots/don-2026-11\">don-2026-11</a>",
        "<td class=\"k\">service</td><td>Compta</td>",
        "partner: Emmaüs Connect; receipt: R-17</td><td>amina (",
        "note: wrong partner",
        "partner: Secours populaire; receipt: SP-4",
        "handed over on 2026-11-20",
        "name=\"csrf\" value=\"",
        "<a href=\"/laptops/PF-S1/export.json\" id=\"export\">Everything held about this laptop (JSON)</a>",
        // Its refurbishment record followed its latest certificate: the family's system.
        "✔ refurbished: installed <a href=\"/c/",
        "\">famille 1.0</a>",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    // A laptop sent to refurbishment whose record has not come yet: the step is pending.
    let page = get(&server, &cookie, "/laptops/pf-s2?lang=fr").text();
    assert!(
        page.contains("… remis en état : aucun système installé pour l'instant"),
        "{page}"
    );
    assert_eq!(page.matches("<a href=\"/c/").count(), 1, "one certificate");
    // Its export: logged in only, the same document as the CLI's.
    let r = get(&server, &cookie, "/laptops/pf-s1/export.json");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"laptop-PF-S1.json\"")
    );
    let doc = r.json();
    assert_eq!(doc["laptop"]["extra"]["service"], "Compta");
    assert_eq!(doc["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(doc["events"].as_array().unwrap().len(), 3);
    let anonymous = server.get("/laptops/pf-s1/export.json");
    assert_ne!(anonymous.status, 200);
    assert!(!anonymous.text().contains("Compta"));
    assert_eq!(
        get(&server, &cookie, "/laptops/STRAY-9/export.json").status,
        404
    );
    // Forms: refused by the rules (422, the page says why), without the CSRF token (403), for a
    // serial of no lot (422); recorded (303) and shown with the user who recorded it.
    let r = post(
        &server,
        &cookie,
        "/laptops/PF-S5/events?lang=en",
        &format!("csrf={csrf}&kind=handed-over&date=2026-11-23&partner=P"),
    );
    assert_eq!(r.status, 422);
    assert!(
        r.text()
            .contains("id=\"refusal\">Refused: laptop PF-S5 cannot be handed over"),
        "{}",
        r.text()
    );
    let r = post(
        &server,
        &cookie,
        "/laptops/PF-S5/events",
        &format!(
            "csrf={}&kind=recycled&date=2026-11-23&channel=E&disks=x",
            "0".repeat(64)
        ),
    );
    assert_eq!(r.status, 403);
    let r = post(
        &server,
        &cookie,
        "/laptops/STRAY-9/events",
        &format!("csrf={csrf}&kind=recycled&date=2026-11-23&channel=E&disks=x"),
    );
    assert_eq!(r.status, 422);
    let r = post(
        &server,
        &cookie,
        "/laptops/PF-S5/events",
        &format!(
            "csrf={csrf}&kind=recycled&date=2026-11-23&channel=Ecosystem&weight_g=1900&disks=shredded&partner="
        ),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some("/laptops/PF-S5#events"));
    let life = cli_ok(&["laptop", "PF-S5", "--db", db]);
    assert!(life.contains("event #1\t2026-11-23 recycled — channel: Ecosystem, disks: shredded, weight_g: 1900 — recorded by amina at"), "{life}");
    // Without a login nobody is named: the open server refuses to record.
    let csrf_open = cookie_of(&open.get("/laptops/PF-S2"), "reprise_csrf");
    let r = post(
        &open,
        &format!("reprise_csrf={csrf_open}"),
        "/laptops/PF-S2/events",
        &format!("csrf={csrf_open}&kind=cancelled&date=2026-11-23&note=x"),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    // Pages need a login.
    assert_eq!(server.get("/laptops/PF-S1").status, 303);
    assert_eq!(server.get("/report").status, 303);

    // The certificate list and page say which laptop a certificate is, or "not in any lot".
    let list = get(&server, &cookie, "/certificates?lang=en").text();
    assert_eq!(list.matches("not in any lot").count(), 1, "{list}");
    assert!(
        list.contains("<a href=\"/laptops/PF-S1\">don-2026-11</a>"),
        "{list}"
    );
    let stray = get(&server, &cookie, "/certificates?serial=STRAY&lang=fr").text();
    assert!(stray.contains("dans aucun lot"), "{stray}");

    // A certificate received before its laptop's lot was imported attaches once it is.
    let late = write(
        dir.path(),
        "late.csv",
        "serial,asset_tag,model,purchase_year\nstray-9,,X,2021\n",
    );
    cli_ok(&[
        "lot",
        "import",
        &late,
        "--site",
        "Lycée Hugo",
        "--received",
        "2026-11-04",
        "--lot",
        "late",
        "--db",
        db,
    ]);
    let list = get(&server, &cookie, "/certificates?lang=en").text();
    assert!(
        !list.contains("not in any lot") && list.contains("<a href=\"/laptops/STRAY-9\">late</a>"),
        "{list}"
    );
    let page = get(&server, &cookie, "/laptops/STRAY-9").text();
    assert_eq!(page.matches("<a href=\"/c/").count(), 1, "{page}");
    let out = cli_ok(&[
        "event",
        "STRAY-9",
        "handed-over",
        "--date",
        "2026-11-20",
        "--partner",
        "P",
        "--db",
        db,
    ]);
    assert!(out.starts_with("STRAY-9 #1: handed-over"), "{out}");

    // Labels: a QR code of each laptop's page, its serial, asset tag and lot.
    let labels = get(&server, &cookie, "/lots/don-2026-11/labels").text();
    assert_eq!(labels.matches("class=\"label\"").count(), 5);
    let url = format!("http://{}/laptops/PF-S1", server.addr);
    assert!(
        labels.contains(&reprise_cert::render::qr_svg(&url)),
        "the QR code of {url}"
    );
    assert!(
        labels.contains("<p class=\"serial\">PF-S2</p><p>Inv. INV-002</p><p>Lot don-2026-11</p>"),
        "{labels}"
    );
    assert_eq!(get(&server, &cookie, "/lots/nope/labels").status, 404);
    let lots = get(&server, &cookie, "/lots").text();
    assert!(
        lots.contains("<a href=\"/lots/don-2026-11\">don-2026-11</a>"),
        "{lots}"
    );

    // The report page: the CLI's figures, each linking to the laptops behind it.
    let report = get(
        &server,
        &cookie,
        "/report?from=2026-11-01&to=2026-11-30&lang=en",
    )
    .text();
    let cell = |col: &str, n: &str, figure: bool| {
        if figure {
            format!(
                "data-column=\"{col}\"><a href=\"/laptops?from=2026-11-01&amp;to=2026-11-30&amp;site=Lyc%C3%A9e%20Hugo&amp;figure={col}\">{n}</a>"
            )
        } else {
            format!("data-column=\"{col}\"")
        }
    };
    for (col, n) in [
        ("received", "6"),
        ("sanitized", "3"),
        ("handed_over", "3"),
        ("recycled", "3"),
        ("pending", "0"),
        ("over_10_years", "1"),
    ] {
        assert!(report.contains(&cell(col, n, true)), "{col} {n}: {report}");
    }
    // S5 recycled from the form, the late lot's laptop handed over: the rate leaves S2 out,
    // 2 / (2 + 3); CO2e 3 × 27 kg.
    assert!(
        report.contains(">400</td>")
            && report.contains("data-column=\"co2e_avoided_kg\">81</td>")
            && report.contains("ADEME 2022"),
        "{report}"
    );
    let behind = get(
        &server,
        &cookie,
        "/laptops?from=2026-11-01&to=2026-11-30&site=Lyc%C3%A9e%20Hugo&figure=handed_over",
    )
    .text();
    assert!(behind.contains("<span id=\"total\">3</span>"), "{behind}");
    assert!(
        behind.contains(">PF-S1</a>")
            && behind.contains(">PF-S2</a>")
            && behind.contains(">STRAY-9</a>")
            && !behind.contains(">PF-S3</a>"),
        "{behind}"
    );
    let csv = get(
        &server,
        &cookie,
        "/report.csv?from=2026-11-01&to=2026-11-30",
    )
    .text();
    assert_eq!(
        csv,
        cli_ok(&[
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--db",
            db
        ])
    );
    let by_lot = get(
        &server,
        &cookie,
        "/report?from=2026-11-01&to=2026-12-31&by=lot",
    )
    .text();
    assert!(
        by_lot.contains("<td><a href=\"/lots/pasteur-1\">pasteur-1</a></td>"),
        "{by_lot}"
    );
    assert_eq!(get(&server, &cookie, "/report?from=2026-13-01").status, 400);
}

/// `pdftotext -layout` of a PDF, whitespace runs made one space.
fn pdf_text(pdf: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext is missing: run scripts/deps as root (Debian package poppler-utils)");
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The report page rendered by headless Chromium, printed to PDF (A4) in French and English,
/// and read back: the figures are on the paper.
#[test]
fn the_report_prints_to_a4_pdf_with_its_figures_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let (server, _files) = donation(db);
    // The laptop's page and the labels as a browser renders them (kept as test artifacts).
    let dom = dump_dom(&server.url("/laptops/PF-S1?lang=en"));
    assert!(
        dom.contains("Secours populaire") && dom.contains("<svg"),
        "{dom}"
    );
    screenshot(
        &server.url("/laptops/PF-S1?lang=en"),
        "laptop.png",
        "1000,1100",
    );
    let dom = dump_dom(&server.url("/lots/don-2026-11/labels"));
    assert_eq!(dom.matches("class=\"label\"").count(), 5, "{dom}");
    screenshot(
        &server.url("/lots/don-2026-11/labels"),
        "labels.png",
        "900,700",
    );
    let out_dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("collector-ui");
    std::fs::create_dir_all(&out_dir).unwrap();
    for (lang, heading, assumption) in [
        (
            "fr",
            "Rapport au donateur",
            "ADEME 2022 pour un ordinateur portable reconditionné",
        ),
        (
            "en",
            "Donor's report",
            "ADEME 2022 figure for a refurbished laptop",
        ),
    ] {
        let pdf = out_dir.join(format!("report-{lang}.pdf"));
        let _ = std::fs::remove_file(&pdf);
        let url = server.url(&format!(
            "/report?from=2026-11-01&to=2026-11-30&lang={lang}"
        ));
        let out = chromium(&[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
            &url,
        ]);
        assert!(
            out.status.success(),
            "chromium --print-to-pdf: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&pdf).unwrap_or_else(|e| panic!("{}: {e}", pdf.display()));
        assert!(
            bytes.starts_with(b"%PDF-"),
            "{} is not a PDF",
            pdf.display()
        );
        let text = pdf_text(&pdf);
        assert!(text.contains(heading), "{lang}: {text}");
        assert!(
            text.contains("Lycée Hugo 5 2 3 1 2 2 1 1 333 54"),
            "{lang}: the figures: {text}"
        );
        assert!(
            text.contains(assumption) && text.contains("27 kg CO2e"),
            "{lang}: {text}"
        );
        assert!(
            text.contains("2026-11-01") && text.contains("2026-11-30"),
            "{lang}: {text}"
        );
        assert!(
            !text.contains("Enregistrer") && !text.contains("Afficher"),
            "no form on paper: {text}"
        );
        let info = std::process::Command::new("pdfinfo")
            .arg(&pdf)
            .output()
            .expect("pdfinfo (poppler-utils)");
        let info = String::from_utf8_lossy(&info.stdout).into_owned();
        assert!(info.contains("(A4)"), "{lang}: not A4: {info}");
    }
}

/// A certificate of `serial` whose verdict is `d`, its plan priced: battery 45 €, RAM 25 €
/// (70 € of repairs), budget 180 €.
fn priced(server: &Server, st: &mut Station, serial: &str, at: &str, d: Decision) -> Signed {
    let spec = Spec {
        serial: serial.into(),
        site: "Lycée Hugo".into(),
        issued_at: at.into(),
        failed: false,
        decision: d,
        product: None,
    };
    let c = st.issue_with(&spec, |c| {
        for a in &mut c.verdict.actions {
            a.cost_cents = Some(if a.message.contains("battery") {
                4500
            } else {
                2500
            });
        }
        c.verdict.repair_cost_cents = Some(7000);
        c.verdict.budget_cents = Some(18_000);
    });
    assert_eq!(server.upload(&c.bytes).status, 201, "{serial}");
    c
}

/// The parts fitted on a laptop, from the CLI and the laptop's page, on the database `db`:
/// resolved against the priced plan of its latest certificate (at the plan's cost unless the
/// invoice's is given, extras by label), refused for an action not in the plan, a recycle
/// verdict, a serial of no lot, a date before the certificate, without the CSRF token; a
/// correction supersedes the list and the history keeps both; exported with the laptop; the
/// recorder forgotten after the retention; the report unchanged (not an outcome).
fn parts_fitted(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "atelier.csv",
        "serial,asset_tag,model,purchase_year\nR-1,A1,T480,2019\nR-2,A2,T440,2015\nR-3,A3,T480,2019\n",
    );
    cli_ok(&[
        "lot",
        "import",
        &inv,
        "--site",
        "Lycée Hugo",
        "--received",
        "2026-11-02",
        "--db",
        db,
    ]);
    let mut st = Station::new();
    enroll(db, &st, "stick-1", "Lycée Hugo");
    let server = Server::start(db, &[]);
    let r1 = priced(
        &server,
        &mut st,
        "R-1",
        "2026-11-03T09:00:00.000Z",
        Decision::Refurbish,
    );
    priced(
        &server,
        &mut st,
        "R-2",
        "2026-11-03T10:00:00.000Z",
        Decision::Recycle,
    );
    let event = |args: &[&str]| event_on(db, args);
    let report = || {
        cli_ok(&[
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--db",
            db,
        ])
    };
    let before = report();

    let (ok, out, err) = event(&[
        "R-1",
        "parts-fitted",
        "--date",
        "2026-11-10",
        "--part",
        "replace_battery",
        "--part",
        "add_ram=31,90",
        "--extra",
        "pâte thermique=4.50",
        "--by",
        "lucas",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        "R-1 #1: parts-fitted on 2026-11-10 (recorded by lucas)"
    );
    // Refused: an action the plan does not hold (the plan's actions named), a recycle verdict,
    // no certificate, a serial of no lot, before the certificate, a cost that is no amount.
    for (args, want) in [
        (
            vec![
                "R-1",
                "parts-fitted",
                "--date",
                "2026-11-10",
                "--part",
                "replace_screen",
            ],
            "no action \"replace_screen\" in the plan of the latest certificate",
        ),
        (
            vec![
                "R-1",
                "parts-fitted",
                "--date",
                "2026-11-10",
                "--part",
                "replace_screen",
            ],
            "(its actions: add_ram, replace_battery)",
        ),
        (
            vec![
                "R-2",
                "parts-fitted",
                "--date",
                "2026-11-10",
                "--part",
                "add_ram",
            ],
            "says recycle; parts fitted are recorded against the plan of a latest certificate whose verdict is refurbish",
        ),
        (
            vec![
                "R-3",
                "parts-fitted",
                "--date",
                "2026-11-10",
                "--part",
                "add_ram",
            ],
            "no certificate of it was received",
        ),
        (
            vec![
                "NOPE-1",
                "parts-fitted",
                "--date",
                "2026-11-10",
                "--part",
                "add_ram",
            ],
            "NOPE-1 is in no lot",
        ),
        (
            vec![
                "R-1",
                "parts-fitted",
                "--date",
                "2026-11-02",
                "--part",
                "add_ram",
            ],
            "is before the certificate whose plan was repaired",
        ),
        (
            vec![
                "R-1",
                "parts-fitted",
                "--date",
                "2026-11-10",
                "--part",
                "add_ram=-3",
            ],
            "\"-3\" is not an amount in euros",
        ),
        (
            vec![
                "R-1",
                "parts-fitted",
                "--date",
                "2026-11-10",
                "--extra",
                "vis",
            ],
            "extra part \"vis\"",
        ),
        (
            vec!["R-1", "parts-fitted", "--date", "2026-11-10"],
            "an empty list of parts only corrects an earlier one",
        ),
    ] {
        let (ok, _, err) = event(&args);
        assert!(!ok && err.contains(want), "{args:?}: {want}: {err}");
    }
    // The correction: the invoice says 52 € for the battery, and the RAM was not fitted.
    let (ok, _, err) = event(&[
        "r-1",
        "parts-fitted",
        "--date",
        "2026-11-11",
        "--part",
        "replace_battery=52",
        "--note",
        "invoice F-12",
        "--by",
        "lucas",
    ]);
    assert!(ok, "{err}");
    let life = cli_ok(&["laptop", "R-1", "--db", db]);
    for want in [
        "event #1\t2026-11-10 parts-fitted — parts: replace battery BAT0 (41 %) 45 €; add RAM: 4 GiB installed, 1 free slot(s) 31.90 € (plan 25 €); pâte thermique 4.50 €, total: 81.40 €, plan: 70 €, budget: 180 €, certificate: sha256:",
        "event #2\t2026-11-11 parts-fitted — parts: replace battery BAT0 (41 %) 52 € (plan 45 €), total: 52 €",
        "note: invoice F-12 — recorded by lucas",
        "parts fitted\treplace battery BAT0 (41 %) 52 € (plan 45 €) — total 52 € (plan 70 €, budget 180 €) — event #2 of 2026-11-11",
        "now\tpending",
    ] {
        assert!(life.contains(want), "{want}: {life}");
    }
    assert_eq!(report(), before, "parts fitted are not an outcome");

    // Exported with the laptop: every event, and the parts fitted now.
    let doc: serde_json::Value =
        serde_json::from_str(&cli_ok(&["laptop", "R-1", "--export", "json", "--db", db])).unwrap();
    let p = &doc["parts_fitted"];
    assert_eq!(p["event_seq"], 2);
    assert_eq!(p["total_cents"], 5200);
    assert_eq!(p["repair_cost_cents"], 7000);
    assert_eq!(p["budget_cents"], 18_000);
    assert_eq!(p["certificate"], r1.digest.as_str());
    assert_eq!(p["parts"][0]["action"], "replace_battery");
    assert_eq!(p["parts"][0]["planned_cents"], 4500);
    assert_eq!(p["recorded_by"], "lucas");
    let first = &doc["events"][0]["fields"]["parts"];
    assert_eq!(first.as_array().unwrap().len(), 3);
    assert_eq!(first[1]["cost_cents"], 3190);
    assert_eq!(first[2]["label"], "pâte thermique");

    // The page: the plan's actions as boxes with their cost, the parts fitted against the
    // plan and the budget, the refurbished step.
    let (cookie, csrf) = log_in(&server, db);
    let page = get(&server, &cookie, "/laptops/R-1?lang=en").text();
    for want in [
        "<input type=\"checkbox\" name=\"fit\" value=\"replace_battery\"> replace battery BAT0 (41 %)</label>",
        "name=\"cost:replace_battery\" value=\"45.00\"",
        "name=\"cost:add_ram\" value=\"25.00\"",
        "name=\"extra_label\"",
        "<a href=\"#parts-fitted\">parts fitted:</a> 52 € (plan 70 €)",
        "id=\"parts-total\">Total: <strong>52 €</strong>",
        "id=\"parts-plan\">Plan's total: 70 € — <span class=\"ok\">18 € under</span>",
        "id=\"parts-budget\">Budget: 180 € — <span class=\"ok\">128 € under</span>",
        "<td>parts fitted</td>",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    assert!(page.contains(&format!("name=\"plan\" value=\"{}\"", r1.digest)));
    let page = get(&server, &cookie, "/laptops/R-2?lang=en").text();
    assert!(
        !page.contains("form-parts-fitted"),
        "recycle: no parts form"
    );
    // Recorded from the form: the plan's price when the cost is left empty, the RAM at the
    // invoice's, a screw as an extra line; empty extra lines ignored.
    let form = format!(
        "csrf={csrf}&plan={}&fit=replace_battery&cost%3Areplace_battery=&fit=add_ram&cost%3Aadd_ram=30&\
         extra_label=vis&extra_cost=1%2C20&extra_label=&extra_cost=&date=2026-11-12&note=",
        r1.digest.replace(':', "%3A")
    );
    let r = post(&server, &cookie, "/laptops/R-1/parts", &form);
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some("/laptops/R-1#events"));
    let page = get(&server, &cookie, "/laptops/R-1?lang=fr").text();
    for want in [
        "id=\"parts-total\">Total : <strong>76,20 €</strong>",
        "<span class=\"bad\">6,20 € de plus</span>",
        "<td>pièces posées</td>",
        "vis 1,20 €",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    // Refused: without the CSRF token (403, nothing recorded), an action not in the plan and
    // a recycle verdict (422, the page says why).
    let r = post(
        &server,
        &cookie,
        "/laptops/R-1/parts",
        &format!("csrf={}&fit=add_ram&date=2026-11-12", "0".repeat(64)),
    );
    assert_eq!(r.status, 403);
    // The form names the certificate whose plan it showed: another one is refused.
    let r = post(
        &server,
        &cookie,
        "/laptops/R-1/parts?lang=en",
        &format!(
            "csrf={csrf}&plan=sha256%3A{}&fit=add_ram&date=2026-11-12",
            "0".repeat(64)
        ),
    );
    assert_eq!(r.status, 422);
    assert!(
        r.text().contains("but its latest certificate is now"),
        "{}",
        r.text()
    );
    for (serial, fit, want) in [
        (
            "R-1",
            "replace_screen",
            "id=\"refusal\">Refused: no action &quot;replace_screen&quot; in the plan",
        ),
        ("R-2", "add_ram", "says recycle"),
        (
            "NOPE-1",
            "add_ram",
            "Refused: no lot holds the serial NOPE-1",
        ),
    ] {
        let r = post(
            &server,
            &cookie,
            &format!("/laptops/{serial}/parts?lang=en"),
            &format!("csrf={csrf}&fit={fit}&date=2026-11-12"),
        );
        assert_eq!(r.status, 422, "{serial}");
        assert!(r.text().contains(want), "{want}: {}", r.text());
    }
    let life = cli_ok(&["laptop", "R-1", "--db", db]);
    assert!(life.contains("event #3\t2026-11-12 parts-fitted"), "{life}");
    assert!(!life.contains("event #4"), "{life}");
    assert!(life.contains("recorded by amina"), "{life}");

    // The recorders' names go with the retention; the parts stay.
    cli_ok(&["retention", "--operator-days", "0", "--db", db]);
    let life = cli_ok(&["laptop", "R-1", "--db", db]);
    assert!(
        !life.contains("lucas") && !life.contains("amina") && life.contains("total 76.20 €"),
        "{life}"
    );
    drop(server);
}

#[test]
fn sqlite_parts_fitted() {
    let dir = tempfile::tempdir().unwrap();
    parts_fitted(dir.path().join("c.db").to_str().unwrap());
}

#[test]
fn postgres_parts_fitted() {
    on_postgres(parts_fitted);
}

/// The département's server (`serve --workshop-name --report-workshop NAME=DB`): `/report` and
/// its CSV cover every workshop with a `workshop` column, each figure links to the laptops
/// behind it read from that workshop's own database (another workshop's laptops are named,
/// their pages being on its collector), and the page prints to A4 in French and English with
/// every workshop's figures, in headless Chromium. A workshop's database is only read.
#[test]
fn the_departements_report_covers_every_workshop_and_prints_to_a4_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let hugo = dir.path().join("hugo.db");
    let hugo = hugo.to_str().unwrap();
    let (_own, _files) = donation(hugo);
    // Another workshop: its own database, one laptop recycled, one pending.
    let pasteur = dir.path().join("pasteur.db");
    let pasteur = pasteur.to_str().unwrap();
    let inv = write(
        dir.path(),
        "p.csv",
        "serial,asset_tag,model,purchase_year\nP-1,,X,2019\nP-2,,X,2020\n",
    );
    cli_ok(&[
        "lot",
        "import",
        &inv,
        "--site",
        "Collège Pasteur",
        "--received",
        "2026-11-05",
        "--lot",
        "pasteur-nov",
        "--db",
        pasteur,
    ]);
    cli_ok(&[
        "event",
        "P-1",
        "recycled",
        "--date",
        "2026-11-10",
        "--channel",
        "D3E",
        "--disks",
        "no disk inside",
        "--db",
        pasteur,
    ]);

    // Refused at start: a workshop's name without another workshop, a database that does not
    // exist (not created), a file that is no collector's database (left as it was).
    let serve = |extra: &[&str]| {
        let mut a = vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-login",
            "--db",
            hugo,
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    let (ok, _, err) = serve(&["--workshop-name", "Hugo"]);
    assert!(!ok && err.contains("--report-workshop"), "{err}");
    let missing = dir.path().join("missing.db");
    let (ok, _, err) = serve(&[
        "--workshop-name",
        "Hugo",
        "--report-workshop",
        &format!("Ghost={}", missing.display()),
    ]);
    assert!(!ok && err.contains("no such database file"), "{err}");
    assert!(!missing.exists());
    let other = write(dir.path(), "other.db", "");
    let (ok, _, err) = serve(&[
        "--workshop-name",
        "Hugo",
        "--report-workshop",
        &format!("Other={other}"),
    ]);
    assert!(!ok && err.contains("--report-workshop Other"), "{err}");
    assert_eq!(std::fs::metadata(&other).unwrap().len(), 0);
    let (ok, _, err) = serve(&[
        "--workshop-name",
        "Hugo",
        "--report-workshop",
        &format!("Hugo={pasteur}"),
    ]);
    assert!(!ok && err.contains("given twice"), "{err}");

    let pasteur_w = format!("Pasteur={pasteur}");
    let server = Server::open(
        hugo,
        &["--workshop-name", "Hugo", "--report-workshop", &pasteur_w],
    );
    let period = "from=2026-11-01&to=2026-11-30";
    let page = server.get(&format!("/report?{period}&lang=en")).text();
    for want in [
        "id=\"workshops\">Workshops of the département (one database each): Hugo, Pasteur</p>",
        "<th>Workshop<br><span class=\"mono\">workshop</span></th>",
        "<tr><td data-column=\"workshop\">Hugo</td><td>Lycée Hugo</td>",
        "<tr><td data-column=\"workshop\">Pasteur</td><td>Collège Pasteur</td>",
        "<tr class=\"total\"><th colspan=\"2\">Total</th><td class=\"n\" data-column=\"received\"><a href=\"/laptops?from=2026-11-01&amp;to=2026-11-30&amp;figure=received\">7</a>",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    // Per lot: this workshop's lots link to their pages, another's are named.
    let by_lot = server.get(&format!("/report?{period}&by=lot")).text();
    assert!(
        by_lot
            .contains("<td>Lycée Hugo</td><td><a href=\"/lots/don-2026-11\">don-2026-11</a></td>")
            && by_lot.contains("<td>Collège Pasteur</td><td>pasteur-nov</td>"),
        "{by_lot}"
    );
    let csv = server.get(&format!("/report.csv?{period}")).text();
    assert_eq!(
        csv,
        "workshop,site,received,sanitized,refurbish,recycle,handed_over,recycled,pending,over_10_years,reuse_rate_permille,co2e_avoided_kg\r\n\
         Hugo,Lycée Hugo,5,2,3,1,2,2,1,1,333,54\r\n\
         Pasteur,Collège Pasteur,2,0,0,0,0,1,1,0,0,0\r\n"
    );
    // The figures link to the laptops behind them, in the right workshop's database: P-1 is
    // Pasteur's (named, its page is on Pasteur's collector), PF-S3 and PF-S4 are Hugo's.
    let recycled = "figure=recycled";
    let link = format!(
        "/laptops?from=2026-11-01&amp;to=2026-11-30&amp;workshop=Pasteur&amp;site=Coll%C3%A8ge%20Pasteur&amp;{recycled}"
    );
    assert!(page.contains(&link), "{link}: {page}");
    let list = server.get(&link.replace("&amp;", "&")).text();
    assert!(list.contains("<span id=\"total\">1</span>"), "{list}");
    assert!(
        list.contains("<td class=\"mono\">P-1</td>") && !list.contains("href=\"/laptops/P-1\""),
        "{list}"
    );
    assert!(list.contains("id=\"workshop\">Pasteur</strong>"), "{list}");
    let list = server
        .get(&format!(
            "/laptops?{period}&workshop=Hugo&site=Lyc%C3%A9e%20Hugo&{recycled}"
        ))
        .text();
    assert!(list.contains("<span id=\"total\">2</span>"), "{list}");
    assert!(
        list.contains("<a href=\"/laptops/PF-S3\">PF-S3</a>"),
        "{list}"
    );
    assert!(!list.contains("P-1"), "{list}");
    assert_eq!(
        server
            .get(&format!("/laptops?{period}&workshop=Ghost"))
            .status,
        404
    );

    // On paper: A4, every workshop's figures, in French and English.
    let out_dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("collector-ui");
    std::fs::create_dir_all(&out_dir).unwrap();
    for (lang, heading) in [("fr", "Rapport au donateur"), ("en", "Donor's report")] {
        let pdf = out_dir.join(format!("report-workshops-{lang}.pdf"));
        let _ = std::fs::remove_file(&pdf);
        let out = chromium(&[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
            &server.url(&format!("/report?{period}&lang={lang}")),
        ]);
        assert!(
            out.status.success(),
            "chromium --print-to-pdf: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = pdf_text(&pdf);
        for want in [
            heading,
            "Hugo Lycée Hugo 5 2 3 1 2 2 1 1 333 54",
            "Pasteur Collège Pasteur 2 0 0 0 0 1 1 0 0 0",
            "Total 7 2 3 1 2 3 2 1 250 54",
        ] {
            assert!(text.contains(want), "{lang}: {want}: {text}");
        }
        let info = std::process::Command::new("pdfinfo")
            .arg(&pdf)
            .output()
            .expect("pdfinfo (poppler-utils)");
        let info = String::from_utf8_lossy(&info.stdout).into_owned();
        assert!(info.contains("(A4)"), "{lang}: not A4: {info}");
    }
}
