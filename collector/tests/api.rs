//! The upload API over a real socket on 127.0.0.1, against the real binary: genuine, repeated,
//! tampered, unsigned, unknown-key, revoked, garbage, oversized and conflicting certificates,
//! another key's ids, malformed times, chain checks, restarts; refurbishment records after their
//! certificate, and from the wrong signer. The same cases run on SQLite (one test each) and on a PostgreSQL
//! cluster the test starts itself (`postgres_runs_the_same_api_cases`).

mod support;

use reprise_cert::model::{Incident, IncidentRecord, Occupant};
use reprise_cert::verdict::Decision;
use support::{Postgres, Resp, Server, Signed, Spec, Station, cli_ok, enroll};

/// Checks a refusal: status, JSON `{"error", "code"}`.
fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        r.headers
    );
    let j = r.json();
    assert_eq!(j["code"], code, "{j}");
    assert!(j["error"].as_str().is_some_and(|e| !e.is_empty()), "{j}");
}

/// The answer's receipt, checked (signature, purpose, the digest sent).
fn receipt(j: &serde_json::Value, digest: &str) -> reprise_cert::exchange::OpenedReceipt {
    let sealed = serde_json::to_vec(&j["receipt"]).unwrap();
    reprise_cert::exchange::open_receipt(&sealed, digest).expect("a signed receipt")
}

fn assert_created(r: &Resp, s: &Signed) {
    assert_eq!(r.status, 201, "{}", r.text());
    let j = r.json();
    assert_eq!(j["status"], "created");
    assert_eq!(j["id"], s.id.as_str());
    assert_eq!(j["digest"], s.digest.as_str());
    let got = receipt(&j, &s.digest).receipt;
    assert_eq!(
        (got.kind.as_str(), got.id.as_str(), got.status.as_str()),
        ("certificate", s.id.as_str(), "created")
    );
    assert!(
        j["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/c/{}", s.hex())),
        "{j}"
    );
}

/// The stored file, byte for byte.
fn stored(server: &Server, s: &Signed) -> Option<Vec<u8>> {
    let r = server.get(&format!("/c/{}.json", s.hex()));
    match r.status {
        200 => Some(r.body),
        404 => None,
        other => panic!("GET {}.json: {other} {}", s.hex(), r.text()),
    }
}

/// The station's hello is answered with the nonce, the server's time and what it knows of the
/// station, signed with the server key that `reprise-collector server-key` prints — unknown,
/// then enrolled, then revoked; a hello that does not verify gets no signed answer.
fn hello_is_answered_with_the_server_key_and_the_station_status(db: &str) {
    use reprise_cert::exchange::StationStatus;
    let server = Server::open(db, &[]);
    let mut key_args = vec!["server-key", "--db", db];
    let extra = support::server_key_args(db, &[]);
    key_args.extend(extra.iter().map(String::as_str));
    let pinned = cli_ok(&key_args).trim().to_owned();
    assert!(reprise_cert::exchange::is_key_id(&pinned), "{pinned}");

    let st = Station::new();
    let h = support::say_hello(server.addr, &st.key, None);
    assert_eq!(h.resp.status, 200, "{}", h.resp.text());
    let a = h.answer.expect("a signed answer to this hello");
    assert_eq!(
        a.server_key_id, pinned,
        "signed with the key the CLI prints"
    );
    assert_eq!(a.answer.station, StationStatus::Unknown);
    // The server's own clock, not the station's 2009.
    let t = &a.answer.server_time;
    assert!(
        t.len() == 24 && t.ends_with('Z') && t.as_str() > "2025",
        "{t}"
    );

    enroll(db, &st, "stick-1", "Site");
    let a = support::say_hello(server.addr, &st.key, None)
        .answer
        .unwrap();
    assert_eq!(a.answer.station, StationStatus::Enrolled);
    assert_eq!(a.answer.station_name.as_deref(), Some("stick-1"));
    // A token changes nothing for a key already enrolled.
    let a = support::say_hello(server.addr, &st.key, Some(&"ab".repeat(32)))
        .answer
        .unwrap();
    assert_eq!(a.answer.station, StationStatus::Enrolled);

    cli_ok(&["revoke", "stick-1", "--db", db]);
    let a = support::say_hello(server.addr, &st.key, None)
        .answer
        .unwrap();
    assert_eq!(a.answer.station, StationStatus::Revoked);
    assert!(a.answer.note.unwrap().starts_with("revoked on "));

    // A hello signed by another key than the one it names: refused, nothing signed.
    let other = Station::new();
    let hello = reprise_cert::exchange::Hello {
        purpose: reprise_cert::exchange::HELLO_PURPOSE.into(),
        nonce: "ab".repeat(32),
        station_key_id: st.key_id.clone(),
        station_time: "2026-12-01T10:00:00.000Z".into(),
        enroll_token: None,
    };
    let forged = reprise_cert::exchange::seal(&hello, &other.key).unwrap();
    let r = server.hello(&forged);
    assert_error(&r, 400, "hello_refused");
    // A time that is not strict UTC, garbage, a certificate: refused the same way.
    let mut bad = hello.clone();
    bad.station_time = "2026-12-01T10:00:00+02:00".into();
    let r = server.hello(&reprise_cert::exchange::seal(&bad, &st.key).unwrap());
    assert_error(&r, 400, "hello_refused");
    assert_error(&server.hello(b"{not json"), 400, "hello_refused");
    let mut cert = Station::new();
    assert_error(
        &server.hello(&cert.issue(&Spec::default()).bytes),
        400,
        "hello_refused",
    );
    // The same key after a restart: sticks that pinned it still believe the server.
    drop(server);
    let server = Server::open(db, &[]);
    let a = support::say_hello(server.addr, &st.key, None)
        .answer
        .unwrap();
    assert_eq!(a.server_key_id, pinned);
}

fn genuine_is_201_then_200_and_stored_byte_for_byte(db: &str) {
    let mut st = Station::new();
    let key_id = enroll(db, &st, "stick-1", "Collège Pasteur");
    assert_eq!(
        key_id, st.key_id,
        "enroll prints the key id the stick shows"
    );
    let server = Server::open(db, &[]);
    let c = st.issue(&Spec::default());
    assert_created(&server.upload(&c.bytes), &c);
    let again = server.upload(&c.bytes);
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["status"], "already_stored");
    // The same content in another layout is the same certificate (same digest): 200.
    let compact =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&c.bytes).unwrap())
            .unwrap();
    assert_ne!(compact, c.bytes);
    assert_eq!(server.upload(&compact).status, 200);
    assert_eq!(stored(&server, &c).as_deref(), Some(c.bytes.as_slice()));
    assert_eq!(server.count(), 1);
}

fn tampered_content_or_signature_is_422_and_not_stored(db: &str) {
    let mut st = Station::new();
    enroll(db, &st, "stick-1", "Collège Pasteur");
    let server = Server::open(db, &[]);
    let c = st.issue(&Spec::default());
    // One byte of the content: the serial number.
    let text = String::from_utf8(c.bytes.clone()).unwrap();
    let content = text
        .replacen("\"PF1ABCDE\"", "\"PF1ABCDF\"", 1)
        .into_bytes();
    assert_ne!(content, c.bytes);
    assert_error(&server.upload(&content), 422, "bad_signature");
    // One character of the signature value (still 64 bytes of base64).
    let mut env: serde_json::Value = serde_json::from_slice(&c.bytes).unwrap();
    let sig = env["signature"]["value"].as_str().unwrap().to_string();
    let first = if sig.starts_with('A') { "B" } else { "A" };
    let flipped = format!("{first}{}", &sig[1..]);
    env["signature"]["value"] = flipped.into();
    assert_error(
        &server.upload(&serde_json::to_vec(&env).unwrap()),
        422,
        "bad_signature",
    );
    // A byte of the raw bytes inside the signature block (not valid base64 any more).
    let mut raw = c.bytes.clone();
    let at = text.find(&sig).unwrap() + 10;
    raw[at] = b'!';
    assert_error(&server.upload(&raw), 422, "signature_malformed");
    // Another key's public key in the block: the key id no longer matches.
    let other = Station::new().issue(&Spec::default());
    let other_env: serde_json::Value = serde_json::from_slice(&other.bytes).unwrap();
    let mut env: serde_json::Value = serde_json::from_slice(&c.bytes).unwrap();
    env["signature"]["public_key"] = other_env["signature"]["public_key"].clone();
    assert_error(
        &server.upload(&serde_json::to_vec(&env).unwrap()),
        422,
        "key_mismatch",
    );
    assert_eq!(server.count(), 0);
    assert_eq!(stored(&server, &c), None);
    // The genuine one is still welcome.
    assert_created(&server.upload(&c.bytes), &c);
}

fn unsigned_is_422(db: &str) {
    let mut st = Station::new();
    enroll(db, &st, "stick-1", "Collège Pasteur");
    let server = Server::open(db, &[]);
    let c = st.issue(&Spec::default());
    let env: serde_json::Value = serde_json::from_slice(&c.bytes).unwrap();
    let no_signature = serde_json::json!({"certificate": env["certificate"]});
    assert_error(
        &server.upload(&serde_json::to_vec(&no_signature).unwrap()),
        422,
        "unsigned",
    );
    assert_error(
        &server.upload(&serde_json::to_vec(&env["certificate"]).unwrap()),
        422,
        "unsigned",
    );
    assert_eq!(server.count(), 0);
}

fn unknown_key_is_403(db: &str) {
    let mut enrolled = Station::new();
    enroll(db, &enrolled, "stick-1", "Collège Pasteur");
    let server = Server::open(db, &[]);
    let c = Station::new().issue(&Spec::default());
    let r = server.upload(&c.bytes);
    assert_error(&r, 403, "unknown_key");
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains(&c.cert.chain.station_key_id)
    );
    assert_eq!(server.count(), 0);
    assert_eq!(stored(&server, &c), None);
    assert_eq!(
        server
            .upload(&enrolled.issue(&Spec::default()).bytes)
            .status,
        201
    );
}

fn revoked_key_is_403_and_earlier_certificates_stay(db: &str) {
    let mut st = Station::new();
    let mut other = Station::new();
    enroll(db, &st, "stick-1", "Collège Pasteur");
    enroll(db, &other, "stick-2", "Collège Pasteur");
    let server = Server::open(db, &[]);
    let first = st.issue(&Spec::default());
    assert_eq!(server.upload(&first.bytes).status, 201);
    // Revoked while the server runs: by key id for one, by name for the other.
    cli_ok(&["revoke", &st.key_id, "--db", db]);
    cli_ok(&["revoke", "stick-2", "--db", db]);
    let second = st.issue(&Spec::default());
    assert_error(&server.upload(&second.bytes), 403, "revoked_key");
    assert_error(
        &server.upload(&other.issue(&Spec::default()).bytes),
        403,
        "revoked_key",
    );
    assert_eq!(server.count(), 1);
    assert!(stored(&server, &first).is_some());
    assert_eq!(stored(&server, &second), None);
    let page = server.get(&format!("/stations/{}", &st.key_id[7..])).text();
    assert!(
        page.contains("révoquée") || page.contains("revoked"),
        "{page}"
    );
    let list = cli_ok(&["list", "--db", db]);
    assert!(
        list.contains("stick-1") && list.contains("revoked"),
        "{list}"
    );
}

fn garbage_is_400(db: &str) {
    let mut st = Station::new();
    enroll(db, &st, "stick-1", "Collège Pasteur");
    let server = Server::open(db, &[]);
    let c = st.issue(&Spec::default());
    let half = &c.bytes[..c.bytes.len() / 2];
    let dup = {
        let text = String::from_utf8(c.bytes.clone()).unwrap();
        text.replacen("\"certificate\": {", "\"certificate\": {\"id\": \"x\", ", 1)
    };
    for (what, body) in [
        ("empty", b"".as_slice()),
        ("text", b"this is not a certificate".as_slice()),
        ("null", b"null".as_slice()),
        ("empty object", b"{}".as_slice()),
        ("array", b"[1, 2, 3]".as_slice()),
        ("binary", &[0xff, 0xfe, 0x00, 0x80, 0x7b][..]),
        ("truncated", half),
        ("duplicate key", dup.as_bytes()),
        (
            "wrong types",
            br#"{"certificate": 1, "signature": {"algorithm": "Ed25519"}}"#.as_slice(),
        ),
    ] {
        let r = server.upload(body);
        assert_eq!(r.status, 400, "{what}: {}", r.text());
        assert_error(&r, 400, "malformed");
    }
    assert_eq!(server.count(), 0);
}

fn oversized_is_413(db: &str) {
    let mut st = Station::new();
    enroll(db, &st, "stick-1", "Collège Pasteur");
    let server = Server::open(db, &[]);
    let c = st.issue(&Spec::default());
    // A genuine certificate padded past 1 MiB with white space (still valid JSON).
    let mut big = c.bytes.clone();
    big.resize((1 << 20) + 1, b' ');
    assert_error(&server.upload(&big), 413, "too_large");
    // Far too large: refused from its Content-Length, before the body is sent.
    let head = format!(
        "POST /api/v1/certificates HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{{",
        server.addr,
        9 << 20
    );
    assert_error(
        &support::raw(server.addr, head.as_bytes()),
        413,
        "too_large",
    );
    // Exactly at the limit is read (and this one is genuine).
    let mut at_limit = c.bytes.clone();
    at_limit.resize(1 << 20, b' ');
    assert_created(&server.upload(&at_limit), &c);
    assert_eq!(server.count(), 1);
}

fn same_id_other_content_is_409(db: &str) {
    let mut st = Station::new();
    enroll(db, &st, "stick-1", "Collège Pasteur");
    let server = Server::open(db, &[]);
    let first = st.issue(&Spec::default());
    assert_eq!(server.upload(&first.bytes).status, 201);
    let twin = st.make(
        &Spec {
            serial: "OTHER-SERIAL".into(),
            ..Spec::default()
        },
        1,
        None,
    );
    assert_eq!(twin.id, first.id);
    assert_ne!(twin.digest, first.digest);
    let r = server.upload(&twin.bytes);
    assert_error(&r, 409, "id_conflict");
    assert!(
        r.json()["error"].as_str().unwrap().contains(&first.digest),
        "{}",
        r.text()
    );
    assert_eq!(server.count(), 1);
    assert_eq!(stored(&server, &twin), None);
    assert_eq!(
        stored(&server, &first).as_deref(),
        Some(first.bytes.as_slice())
    );
    // The refused twin is named on the station's page.
    let page = server
        .get(&format!("/stations/{}?lang=en", &st.key_id[7..]))
        .text();
    assert!(
        page.contains("refused: a second, different certificate"),
        "{page}"
    );
    assert!(page.contains(&twin.digest), "{page}");
}

/// Any enrolled key (a PXE token is enough to enrol one) signs certificates under another
/// station's next ids: every one is refused (422 `id_mismatch`, nothing stored), and that
/// station's genuine certificates are still accepted.
fn another_key_cannot_take_a_station_s_ids(db: &str) {
    let mut stick = Station::new();
    let squatter = Station::new();
    enroll(db, &stick, "stick-1", "Collège Pasteur");
    enroll(db, &squatter, "pxe-0123456789abcdef", "PXE");
    let server = Server::open(db, &[]);
    let first = stick.issue(&Spec::default());
    assert_created(&server.upload(&first.bytes), &first);
    // The stick's next two certificates are still on the stick when the squatter strikes.
    let second = stick.issue(&Spec::default());
    let third = stick.issue(&Spec::default());
    // The stick's next ids, re-signed by the squatter (its own key in the chain, honestly).
    for sequence in 2..=6 {
        let mut c = stick
            .make(
                &Spec {
                    serial: "SQUAT".into(),
                    ..Spec::default()
                },
                sequence,
                None,
            )
            .cert;
        c.chain.station_key_id = squatter.key_id.clone();
        let forged = squatter.seal(c);
        assert!(forged.id.starts_with(&stick.key_id[7..23]), "{}", forged.id);
        let r = server.upload(&forged.bytes);
        assert_error(&r, 422, "id_mismatch");
        assert!(
            r.json()["error"].as_str().unwrap().contains(&forged.id),
            "{}",
            r.text()
        );
        assert_eq!(stored(&server, &forged), None);
    }
    // Signed by the stick itself under the squatter's id: refused too.
    let mut c = stick
        .make(&Spec::default(), 2, Some(first.digest.clone()))
        .cert;
    c.id = format!("{}-00000002", &squatter.key_id[7..23]);
    assert_error(&server.upload(&stick.seal(c).bytes), 422, "id_mismatch");
    // The stick's genuine certificates go on being accepted.
    assert_created(&server.upload(&second.bytes), &second);
    assert_created(&server.upload(&third.bytes), &third);
    assert_eq!(server.count(), 3);
    let page = server
        .get(&format!("/stations/{}?lang=en", &stick.key_id[7..]))
        .text();
    assert!(page.contains("Chain intact"), "{page}");
}

/// A signed certificate whose `issued_at` pages would slice wrongly (a multibyte character,
/// an offset, another format) is refused at ingest (400 `schema`, nothing stored); every page
/// is still served.
fn a_time_that_is_not_strict_utc_is_refused(db: &str) {
    let mut st = Station::new();
    enroll(db, &st, "stick-1", "Collège Pasteur");
    let server = Server::open(db, &[]);
    for at in [
        "2026-11-26T10:0é:00Z",
        "2026-11-26T1é:00:00.000Z",
        "2026-11-26T10:00:00+01:00",
        "2026-11-26 10:00:00Z",
        "26/11/2026 10:00",
        "2026-02-30T10:00:00Z",
    ] {
        let c = st.make(
            &Spec {
                issued_at: at.into(),
                ..Spec::default()
            },
            1,
            None,
        );
        let r = server.upload(&c.bytes);
        assert_error(&r, 400, "schema");
        assert!(
            r.json()["error"].as_str().unwrap().contains("issued_at"),
            "{at}: {}",
            r.text()
        );
        assert_eq!(stored(&server, &c), None, "{at}");
    }
    for page in ["/certificates", "/certificates.csv", "/stats", "/stations"] {
        assert_eq!(server.get(page).status, 200, "{page}");
    }
    let c = st.issue(&Spec::default());
    assert_created(&server.upload(&c.bytes), &c);
    assert_eq!(server.get("/certificates").status, 200);
}

fn chain_problems_are_flagged_on_the_station_page(db: &str) {
    let mut st = Station::new();
    let mut intact = Station::new();
    enroll(db, &st, "stick-1", "Collège Pasteur");
    enroll(db, &intact, "stick-2", "Collège Pasteur");
    let server = Server::open(db, &[]);
    let spec = Spec::default();
    let c1 = st.issue(&spec);
    let c2 = st.issue(&spec);
    let _c3 = st.issue(&spec); // never uploaded: deleted from the stick
    let c4 = st.issue(&spec);
    // #5 links to #2 instead of #4 (re-sequenced), and a second, different #2 (fork): its id
    // is #2's (an id is its key's and sequence's), so it is refused and recorded.
    let c5 = st.make(&spec, 5, Some(c2.digest.clone()));
    let fork = st.make(
        &Spec {
            serial: "FORKED".into(),
            ..Spec::default()
        },
        2,
        Some(c1.digest.clone()),
    );
    // Arrival order does not matter: #4 before #1.
    for c in [&c4, &c1, &c2, &c5] {
        assert_eq!(server.upload(&c.bytes).status, 201, "{}", c.id);
    }
    assert_error(&server.upload(&fork.bytes), 409, "id_conflict");
    for n in 0..3 {
        assert_eq!(server.upload(&intact.issue(&spec).bytes).status, 201, "{n}");
    }
    let page = server
        .get(&format!("/stations/{}?lang=en", &st.key_id[7..]))
        .text();
    assert!(page.contains("certificate #3 is missing"), "{page}");
    assert!(
        page.contains("refused: a second, different certificate") && page.contains(&fork.digest),
        "{page}"
    );
    assert!(page.contains("links to #2 instead of #4"), "{page}");
    assert!(
        page.contains("Highest sequence received: <strong>#5</strong>"),
        "{page}"
    );
    let ok = server
        .get(&format!("/stations/{}?lang=en", &intact.key_id[7..]))
        .text();
    assert!(ok.contains("Chain intact"), "{ok}");
    assert!(ok.contains("<strong>#3</strong>"), "{ok}");
    // The certificate page shows the chain position too.
    let p4 = server.get(&format!("/c/{}?lang=en", c4.hex())).text();
    assert!(
        p4.contains("not received"),
        "#4's predecessor #3 was never received: {p4}"
    );
    let list = server.get("/stations?lang=en").text();
    assert!(
        list.contains("problem(s)") && list.contains("intact"),
        "{list}"
    );

    // #2's file was damaged on the stick: #3 took the next number, declared the skip in its
    // signed content and links to #1. No deletion, so no gap; the skip is listed apart.
    let skipper = Station::new();
    enroll(db, &skipper, "stick-3", "Collège Pasteur");
    let s1 = skipper.make(&spec, 1, None);
    let s3 = skipper.make_edited(&spec, 3, Some(s1.digest.clone()), |c| {
        c.incidents.push(IncidentRecord {
            incident: Incident::SequenceSkipped {
                sequence: 2,
                file: format!("{}-00000002.json", &skipper.key_id[7..23]),
                occupant: Occupant::NotACertificate,
                error: Some("not JSON".into()),
            },
            message: "sequence 2 skipped".into(),
        });
    });
    for c in [&s1, &s3] {
        assert_eq!(server.upload(&c.bytes).status, 201, "{}", c.id);
    }
    let page = server
        .get(&format!("/stations/{}?lang=en", &skipper.key_id[7..]))
        .text();
    assert!(page.contains("Chain intact"), "{page}");
    assert!(
        page.contains(&format!("#2 skipped, as declared (signed) by {}", s3.id)),
        "{page}"
    );
    let p3 = server.get(&format!("/c/{}?lang=en", s3.hex())).text();
    assert!(!p3.contains("links to"), "{p3}");
    // The same bytes without the declaration would be a deletion: the declaration is what
    // the signature vouches for, not the hole.
    let liar = Station::new();
    enroll(db, &liar, "stick-4", "Collège Pasteur");
    let l1 = liar.make(&spec, 1, None);
    let l3 = liar.make(&spec, 3, Some(l1.digest.clone()));
    for c in [&l1, &l3] {
        assert_eq!(server.upload(&c.bytes).status, 201, "{}", c.id);
    }
    let page = server
        .get(&format!("/stations/{}?lang=en", &liar.key_id[7..]))
        .text();
    assert!(page.contains("certificate #2 is missing"), "{page}");
}

/// A refurbishment record is taken after its certificate, like one: 409 `no_certificate` before
/// it, then 201 naming its digest, 200 for the same bytes again, 409 `id_conflict` for other
/// content under its id; stored byte for byte and shown on the certificate's page (fr and en).
fn a_record_follows_its_certificate_and_shows_on_its_page(db: &str) {
    let mut st = Station::new();
    enroll(db, &st, "stick-1", "Collège Pasteur");
    let server = Server::open(db, &[]);
    let c = st.issue(&Spec::default());
    let rec = st.record(&c, "2026.12");
    let early = server.upload_record(&rec.bytes);
    assert_error(&early, 409, "no_certificate");
    assert!(early.json()["error"].as_str().unwrap().contains(&c.digest));
    assert_created(&server.upload(&c.bytes), &c);
    let page = server.get(&format!("/c/{}?lang=en", c.hex())).text();
    assert!(!page.contains("id=\"record\""), "no record yet");

    let r = server.upload_record(&rec.bytes);
    assert_eq!(r.status, 201, "{}", r.text());
    let j = r.json();
    assert_eq!(
        (
            &j["status"],
            &j["id"],
            &j["digest"],
            &j["certificate_digest"]
        ),
        (
            &"created".into(),
            &format!("{}-r", c.id).into(),
            &rec.digest.as_str().into(),
            &c.digest.as_str().into()
        ),
        "{j}"
    );
    assert!(
        j["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/c/{}", c.hex()))
    );
    // Its receipt, signed with the server key the CLI prints, names the record.
    let mut key_args = vec!["server-key", "--db", db];
    let extra = support::server_key_args(db, &[]);
    key_args.extend(extra.iter().map(String::as_str));
    let pinned = cli_ok(&key_args).trim().to_owned();
    let signed = receipt(&j, &rec.digest);
    assert_eq!(signed.server_key_id, pinned);
    assert_eq!(
        (signed.receipt.kind.as_str(), signed.receipt.id.as_str()),
        ("refurbishment", format!("{}-r", c.id).as_str())
    );
    assert_eq!(signed.receipt.station_key_id, st.key_id);
    let again = server.upload_record(&rec.bytes);
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(
        receipt(&again.json(), &rec.digest).receipt.status,
        "already_stored"
    );
    assert_eq!(
        (&again.json()["status"], &again.json()["digest"]),
        (&"already_stored".into(), &rec.digest.as_str().into())
    );
    let other = st.record(&c, "2027.01");
    assert_error(&server.upload_record(&other.bytes), 409, "id_conflict");
    // A record is not a certificate, nor a certificate a record.
    assert_error(&server.upload(&rec.bytes), 400, "schema");
    assert_error(&server.upload_record(&c.bytes), 400, "schema");
    assert_eq!(server.count(), 1, "a record is no line of the list");

    let en = server.get(&format!("/c/{}?lang=en", c.hex())).text();
    let section = &en[en.find("id=\"record\"").expect("the record's section")..];
    assert!(en.contains("<h2>Refurbishment</h2>"));
    for shown in [
        "Signed refurbishment record, signature valid",
        "famille",
        "2026.12",
        &format!("sha256:{}", "ab".repeat(32)),
        "Samsung SSD 970 S4EWNX0N123456 (nvme:S4EWNX0N123456:1)",
        "8589934592",
        "61.4 s",
        "passed: the disk holds the image's exact bytes",
        "grown to fill the disk",
        &rec.digest,
    ] {
        assert!(section.contains(shown), "{shown:?} not in\n{section}");
    }
    assert!(!section.contains("2027.01"));
    let fr = server.get(&format!("/c/{}?lang=fr", c.hex())).text();
    for shown in [
        "Remise en état",
        "Relecture",
        "agrandi à la taille du disque",
    ] {
        assert!(fr.contains(shown), "{shown:?} not in the French page");
    }
}

/// A record is believed only from the station whose certificate it follows: another key's
/// signature over its content is 422, a record naming a certificate its signer did not upload
/// (unknown key 403; enrolled key 409), a revoked station's record 403 — nothing stored.
fn a_record_from_another_signer_is_refused(db: &str) {
    let mut st = Station::new();
    enroll(db, &st, "stick-1", "Collège Pasteur");
    let server = Server::open(db, &[]);
    let c = st.issue(&Spec::default());
    assert_created(&server.upload(&c.bytes), &c);
    let intruder = Station::new();
    // The station's record content, signed by another key.
    let forged = support::seal_record(
        &intruder.key,
        support::record_content(&st.key_id, &c, "2026.12"),
    );
    assert_error(&server.upload_record(&forged.bytes), 422, "key_mismatch");
    // The intruder's own record about the station's certificate, before and after enrolment.
    let mut content = support::record_content(&intruder.key_id, &c, "2026.12");
    content.certificate.id = format!("{}-{:08}", &intruder.key_id[7..23], 1);
    content.id = format!("{}-r", content.certificate.id);
    let own = support::seal_record(&intruder.key, content);
    assert_error(&server.upload_record(&own.bytes), 403, "unknown_key");
    enroll(db, &intruder, "stick-2", "Collège Pasteur");
    assert_error(&server.upload_record(&own.bytes), 409, "no_certificate");
    // A record naming a digest the station never uploaded under that id.
    let mut content = support::record_content(&st.key_id, &c, "2026.12");
    content.certificate.digest = format!("sha256:{}", "00".repeat(32));
    let stray = support::seal_record(&st.key, content);
    assert_error(&server.upload_record(&stray.bytes), 409, "no_certificate");
    cli_ok(&["revoke", "stick-1", "--db", db]);
    assert_error(
        &server.upload_record(&st.record(&c, "2026.12").bytes),
        403,
        "revoked_key",
    );
    let page = server.get(&format!("/c/{}", c.hex())).text();
    assert!(!page.contains("id=\"record\""), "nothing was stored");
}

fn restart_keeps_everything(db: &str) {
    let mut a = Station::new();
    let mut b = Station::new();
    enroll(db, &a, "stick-a", "Collège Pasteur");
    enroll(db, &b, "stick-b", "Lycée Hugo");
    let server = Server::open(db, &[]);
    let mut all = Vec::new();
    for i in 0..6 {
        let st = if i % 2 == 0 { &mut a } else { &mut b };
        let c = st.issue(&Spec {
            serial: format!("SN{i}"),
            ..Spec::default()
        });
        assert_eq!(server.upload(&c.bytes).status, 201);
        all.push(c);
    }
    server.kill();
    let server = Server::open(db, &[]);
    assert_eq!(server.count(), all.len());
    for c in &all {
        assert_eq!(
            stored(&server, c).as_deref(),
            Some(c.bytes.as_slice()),
            "{}",
            c.id
        );
        assert_eq!(server.upload(&c.bytes).status, 200, "{}", c.id);
    }
    // And the stations and their keys.
    let list = cli_ok(&["list", "--db", db]);
    assert!(
        list.contains("stick-a") && list.contains("stick-b"),
        "{list}"
    );
    let next = a.issue(&Spec {
        decision: Decision::Recycle,
        ..Spec::default()
    });
    assert_eq!(server.upload(&next.bytes).status, 201);
}

type Case = fn(&str);

/// Every case, for the PostgreSQL run.
const CASES: &[(&str, Case)] = &[
    ("genuine", genuine_is_201_then_200_and_stored_byte_for_byte),
    (
        "tampered",
        tampered_content_or_signature_is_422_and_not_stored,
    ),
    ("unsigned", unsigned_is_422),
    ("unknown key", unknown_key_is_403),
    ("revoked", revoked_key_is_403_and_earlier_certificates_stay),
    ("garbage", garbage_is_400),
    ("oversized", oversized_is_413),
    ("same id", same_id_other_content_is_409),
    ("another key's ids", another_key_cannot_take_a_station_s_ids),
    ("strict times", a_time_that_is_not_strict_utc_is_refused),
    ("chain", chain_problems_are_flagged_on_the_station_page),
    ("restart", restart_keeps_everything),
    (
        "record",
        a_record_follows_its_certificate_and_shows_on_its_page,
    ),
    ("record signer", a_record_from_another_signer_is_refused),
    (
        "hello",
        hello_is_answered_with_the_server_key_and_the_station_status,
    ),
];

macro_rules! on_sqlite {
    ($($case:ident),* $(,)?) => {
        /// The cases on SQLite, one test each, each with its own database file.
        mod sqlite {
            $(
                #[test]
                fn $case() {
                    let dir = tempfile::tempdir().unwrap();
                    let db = dir.path().join("collector.db");
                    super::$case(db.to_str().unwrap());
                }
            )*
        }
    };
}

on_sqlite!(
    genuine_is_201_then_200_and_stored_byte_for_byte,
    tampered_content_or_signature_is_422_and_not_stored,
    unsigned_is_422,
    unknown_key_is_403,
    revoked_key_is_403_and_earlier_certificates_stay,
    garbage_is_400,
    oversized_is_413,
    same_id_other_content_is_409,
    another_key_cannot_take_a_station_s_ids,
    a_time_that_is_not_strict_utc_is_refused,
    chain_problems_are_flagged_on_the_station_page,
    restart_keeps_everything,
    a_record_follows_its_certificate_and_shows_on_its_page,
    a_record_from_another_signer_is_refused,
    hello_is_answered_with_the_server_key_and_the_station_status,
);

#[test]
fn postgres_runs_the_same_api_cases() {
    let pg = Postgres::start();
    let dbs: Vec<String> = CASES.iter().map(|_| pg.database()).collect();
    // Two at a time: each case runs its own collector; PostgreSQL serves them all.
    let work: Vec<_> = CASES.iter().zip(&dbs).collect();
    std::thread::scope(|s| {
        for pair in work.chunks(2) {
            let handles: Vec<_> = pair
                .iter()
                .map(|&((name, case), db)| {
                    std::thread::Builder::new()
                        .name(format!("postgres case {name}"))
                        .spawn_scoped(s, move || case(db))
                        .unwrap()
                })
                .collect();
            for h in handles {
                if h.join().is_err() {
                    panic!(
                        "a PostgreSQL case failed (see above); server log:\n{}",
                        pg.log()
                    );
                }
            }
        }
    });
}
