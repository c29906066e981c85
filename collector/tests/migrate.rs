//! A database of schema 1 — made when certificate ids were unique across the whole database —
//! holding what that allowed: a key that took another station's next id, and a time no page
//! could slice. A new collector migrates it (SQLite and PostgreSQL): the squatted station's
//! genuine certificate is accepted at last, nothing stored is lost, and every page is served.

mod support;

use support::{Postgres, Server, Signed, Spec, Station};

/// The statements that fill a schema 1 database (`bytes` writes a byte string literal).
fn schema_1_workshop(
    squatter: &Station,
    stick: &Station,
    squat: &Signed,
    odd: &Signed,
    bytes: fn(&[u8]) -> String,
) -> String {
    let station = |st: &Station, name: &str| {
        format!(
            "('{}', '{name}', 'Collège Pasteur', 'key', 'pem', '2026-11-01T00:00:00.000Z', NULL, \
             'cli', NULL)",
            st.key_id
        )
    };
    let cert = |c: &Signed, key: &str, sequence: u64, issued_at: &str| {
        format!(
            "('{}', '{}', '{key}', {sequence}, NULL, '{issued_at}', '2026-11-26T10:00:01.000Z', \
             'Collège Pasteur', 'Amina', NULL, 'LENOVO', '20L5', 'ThinkPad T480', 'PF1ABCDE', \
             'serial:LENOVO|PF1ABCDE', 'refurbish', 'A', 1, 1, 'sanitized', 'fr', {})",
            c.digest,
            c.id,
            bytes(&c.bytes)
        )
    };
    format!(
        "INSERT INTO reprise_schema (version) VALUES (1);
         INSERT INTO marks (kind, value, mode, site, created_at) VALUES ('mac', \
           '52:54:00:00:00:01', 'clear', 'rack-1', '2026-11-01T00:00:00.000Z');
         INSERT INTO stations (key_id, name, site, public_key, public_key_pem, enrolled_at, \
           revoked_at, enrolled_via, note) VALUES {}, {};
         INSERT INTO certificates (digest, id, station_key_id, sequence, previous_digest, \
           issued_at, received_at, site, operator, organisation, vendor, product, model_name, \
           serial, machine_key, decision, grade, disks, disks_sanitized, result, language, body) \
           VALUES {}, {};
         INSERT INTO disks (digest, idx, dev_path, vendor, model, serial, capacity_bytes, \
           interface, media_type, level, method, verification, result, sanitized, disposition) \
           VALUES ('{}', 0, '/dev/nvme0n1', NULL, 'Samsung', 'S1', 512110190592, 'nvme', \
           'ssd', 'clear', 'overwrite', 'sample 12‰ passed', 'passed', 1, 'reuse');",
        station(squatter, "pxe-squatter"),
        station(stick, "stick-1"),
        cert(squat, &squatter.key_id, 1, "2026-11-26T10:00:00.000Z"),
        cert(odd, &squatter.key_id, 2, "2026-11-26T10:0é:00Z"),
        squat.digest,
    )
}

/// The schema 1 tables in a backend's types.
fn schema_1(int: &str, bytes: &str) -> String {
    include_str!("fixtures/schema-1.sql")
        .replace("{INT}", int)
        .replace("{BYTES}", bytes)
}

/// Builds the database with `execute`, then checks a new collector on it.
fn migrates(
    db: &str,
    execute: &dyn Fn(&str),
    int: &str,
    bytes_type: &str,
    bytes: fn(&[u8]) -> String,
) {
    let squatter = Station::new();
    let mut stick = Station::new();
    let genuine = stick.issue(&Spec::default());
    // What schema 1 let a squatter store: the stick's id #1 under its own key.
    let mut c = genuine.cert.clone();
    c.chain.station_key_id = squatter.key_id.clone();
    c.machine.identity.serial = Some("SQUAT".into());
    let squat = squatter.seal(c);
    assert_eq!(squat.id, genuine.id);
    let odd = squatter.make(
        &Spec {
            issued_at: "2026-11-26T10:0é:00Z".into(),
            ..Spec::default()
        },
        2,
        None,
    );
    execute(&schema_1(int, bytes_type));
    execute(&schema_1_workshop(&squatter, &stick, &squat, &odd, bytes));

    let server = Server::open(db, &[]);
    // The stick's certificate #1, refused with 409 under schema 1, is stored now.
    let r = server.upload(&genuine.bytes);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(server.count(), 3, "the rows of schema 1 are kept");
    // Schema 5: the record of the stick's certificate is taken after it.
    let record = stick.record(&genuine, "2026.12");
    let r = server.upload_record(&record.bytes);
    assert_eq!(r.status, 201, "{}", r.text());
    // Every page, the old rows included (a time no page could slice, an id not its signer's).
    for path in [
        "/certificates".to_string(),
        "/certificates.csv".to_string(),
        "/stats".to_string(),
        "/stations".to_string(),
        "/images".to_string(),
        format!("/stations/{}", &squatter.key_id[7..]),
        format!("/stations/{}", &stick.key_id[7..]),
        format!("/c/{}", squat.hex()),
        format!("/c/{}", odd.hex()),
        format!("/c/{}", genuine.hex()),
    ] {
        let r = server.get(&format!("{path}?lang=en"));
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    let page = server.get(&format!("/c/{}?lang=en", squat.hex())).text();
    assert!(
        page.contains("Signature INVALID") && page.contains("is not its signer"),
        "the squatter's row says what it is: {page}"
    );
    // Schema 3: the marks kept, naming no image; no image yet.
    assert_eq!(
        support::cli_ok(&["marks", "--db", db]),
        "mac\t52:54:00:00:00:01\tclear\track-1\t\n"
    );
    assert_eq!(
        server.get("/api/v1/images").json()["images"],
        serde_json::json!([])
    );
    drop(server);
    // A second start finds the current schema and changes nothing.
    let server = Server::open(db, &[]);
    assert_eq!(server.count(), 3);
    assert_eq!(server.upload(&genuine.bytes).status, 200);
    assert_eq!(server.upload_record(&record.bytes).status, 200);
}

#[test]
fn a_schema_1_sqlite_database_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let db = path.to_str().unwrap();
    let execute = |sql: &str| {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        conn.execute_batch(sql).unwrap();
    };
    migrates(db, &execute, "INTEGER", "BLOB", |b| {
        format!("X'{}'", hex::encode(b))
    });
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("SELECT max(version) FROM reprise_schema", [], |r| r.get(0))
        .unwrap();
    // 1 → 2 (ids per station) → 3 (images, marks.image) → 4 (lots, laptops, events: new tables
    // only) → 5 (records: a new table only).
    assert_eq!(version, 5);
    let records: i64 = conn
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .unwrap();
    assert_eq!(records, 1);
    let lots: i64 = conn
        .query_row("SELECT count(*) FROM lots", [], |r| r.get(0))
        .unwrap();
    assert_eq!(lots, 0);
    let orphans: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(orphans, 0);
    let disks: i64 = conn
        .query_row("SELECT count(*) FROM disks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(disks, 2, "the old certificate's disk and the new one's");
}

#[test]
fn a_schema_1_postgres_database_is_migrated() {
    let pg = Postgres::start();
    let db = pg.database();
    let execute = |sql: &str| pg.execute(&db, sql);
    migrates(&db, &execute, "BIGINT", "BYTEA", |b| {
        format!("decode('{}', 'hex')", hex::encode(b))
    });
}
