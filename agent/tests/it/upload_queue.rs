//! The upload queue of the data folder: with the server down nothing is lost (every certificate
//! stays pending); once it is up, every pending certificate goes, byte for byte, and gets a
//! receipt; nothing is sent twice; a refusal leaves the certificate pending, and so does a 2xx
//! that does not name the certificate's digest; a refurbishment record goes only after its
//! certificate and gets its own receipt. The server here is a small HTTP responder of
//! the test's own (the collector's own tests run the real one).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use reprise::cert::issue::issue_certificate;
use reprise::model::Language;

use crate::support::certs;
use crate::support::cli::reprise;

/// A server answering every request with `status` and a JSON body (a 2xx names the digest of
/// the certificate received, as the collector does); returns its port and the bodies it
/// received.
fn server(status: u16, count: usize) -> (u16, Arc<Mutex<Vec<Vec<u8>>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&got);
    std::thread::spawn(move || {
        for _ in 0..count {
            let (mut s, _) = l.accept().unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 8192];
            // Read the head, then Content-Length bytes of body.
            let (head_end, len) = loop {
                let n = s.read(&mut buf).unwrap();
                req.extend_from_slice(&buf[..n]);
                if let Some(i) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&req[..i]).to_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map(|v| v.trim().parse().unwrap())
                        .unwrap_or(0);
                    break (i + 4, len);
                }
            };
            while req.len() < head_end + len {
                let n = s.read(&mut buf).unwrap();
                req.extend_from_slice(&buf[..n]);
            }
            seen.lock().unwrap().push(req[head_end..].to_vec());
            let body = if status < 300 {
                let digest = reprise::cert::envelope::verify(&req[head_end..], None)
                    .unwrap()
                    .digest;
                let receipt = reprise::cert::exchange::Receipt {
                    purpose: reprise::cert::exchange::RECEIPT_PURPOSE.into(),
                    kind: "certificate".into(),
                    id: "x".into(),
                    digest: digest.clone(),
                    station_key_id: "sha256:x".into(),
                    status: "created".into(),
                    server_time: "2026-12-07T10:00:00.000Z".into(),
                };
                let receipt = reprise::cert::exchange::seal(&receipt, &server_key()).unwrap();
                format!(
                    r#"{{"status":"created","digest":"{digest}","url":"http://127.0.0.1:{port}/c/ab","receipt":{}}}"#,
                    String::from_utf8(receipt).unwrap()
                )
            } else {
                r#"{"error":"station key is not enrolled","code":"unknown_key"}"#.to_owned()
            };
            write!(
                s,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        }
    });
    (port, got)
}

/// The key the server of [`server`] signs its receipts with.
fn server_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[9u8; 32])
}

#[test]
fn nothing_lost_nothing_twice() {
    let data = tempfile::tempdir().unwrap();
    let certs = data.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    let key = certs::test_key();
    let a = issue_certificate(
        certs::inputs("wipe-passed.json", Language::En, "2026-12-01T10:00:00.000Z"),
        &key,
        &certs,
    )
    .unwrap();
    let b = issue_certificate(
        certs::inputs("wipe-failed.json", Language::Fr, "2026-12-01T10:05:00.000Z"),
        &key,
        &certs,
    )
    .unwrap();
    let dir = data.path().to_str().unwrap();

    // Server down: a port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let o = reprise(&["upload", dir, "--server", &down]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!data.path().join("uploads").exists());

    // The server refuses (station not enrolled), or answers 201 with no server key pinned here:
    // both stay pending, the reason shown.
    for (status, says) in [
        (403, "HTTP 403: station key is not enrolled"),
        (201, "but no server key is pinned"),
    ] {
        let (port, _) = server(status, 2);
        let url = format!("http://127.0.0.1:{port}");
        let o = reprise(&["upload", dir, "--server", &url]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(3), "{out}");
        assert!(out.contains(says), "{out}");
        assert!(!data.path().join("uploads").exists());
    }

    // Up, its key pinned: both go, byte for byte, each gets its receipt.
    let pin = reprise::cert::sign::key_id(&server_key().verifying_key());
    let (port, got) = server(201, 2);
    let o = reprise(&[
        "upload",
        dir,
        "--server",
        &format!("http://127.0.0.1:{port}"),
        "--server-key",
        &pin,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let got = got.lock().unwrap().clone();
    assert_eq!(
        got,
        vec![std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap()]
    );
    for c in [&a, &b] {
        let receipt = data.path().join("uploads").join(c.file_name().unwrap());
        let r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&receipt).unwrap()).unwrap();
        assert_eq!(r["status"], 201);
        assert_eq!(r["url"], format!("http://127.0.0.1:{port}/c/ab"));
        let digest = reprise::cert::envelope::verify(&std::fs::read(c).unwrap(), None)
            .unwrap()
            .digest;
        assert_eq!(r["digest"], digest.as_str());
        assert_eq!(r["server_key"], pin.as_str());
        assert!(r["signed"]["signature"].is_object(), "{r}");
    }

    // Again: nothing pending, nothing sent (the server would fail the test by not answering).
    let o = reprise(&["upload", dir, "--server", &down]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("Nothing to upload"));
}

/// A 201 is an acknowledgement only with a receipt signed by the pinned server key naming the
/// digest of the certificate sent: one that names another digest, says nothing, is unsigned or
/// signed by another key (forged) leaves the certificate pending, to be sent again.
#[test]
fn a_2xx_that_does_not_name_the_digest_is_no_acknowledgement() {
    use crate::support::workshop::{Ack, Workshop};
    use reprise::flow::DataDir;
    use reprise::flow::upload::{pending, upload_pending};

    let dir = tempfile::tempdir().unwrap();
    let data = DataDir(dir.path().to_owned());
    std::fs::create_dir(data.certs()).unwrap();
    let cert = issue_certificate(
        certs::inputs("wipe-passed.json", Language::En, "2026-12-01T10:00:00.000Z"),
        &certs::test_key(),
        &data.certs(),
    )
    .unwrap();
    let w = Workshop::start("2026-12-07T10:00:00.000Z");
    let pin = crate::support::workshop::key_id(&crate::support::workshop::server_key());
    for ack in [Ack::OtherDigest, Ack::NoBody, Ack::Unsigned, Ack::OtherKey] {
        w.set(|b| b.ack = ack);
        let r = upload_pending(&data, &w.url(), Some(&pin)).unwrap();
        assert!(r.uploaded.is_empty(), "{ack:?}: {r:?}");
        assert_eq!(r.not_uploaded.len(), 1, "{ack:?}");
        let n = &r.not_uploaded[0];
        assert!(
            !n.refused
                && n.why
                    .contains("without an acknowledgement of digest sha256:"),
            "{ack:?}: {n:?}"
        );
        assert_eq!(pending(&data).unwrap().len(), 1, "{ack:?}");
        assert!(!data.uploads().exists(), "{ack:?}: a receipt was written");
    }
    // The same certificate, acknowledged by its digest: a receipt, nothing pending.
    w.set(|b| b.ack = Ack::Digest);
    let r = upload_pending(&data, &w.url(), Some(&pin)).unwrap();
    assert_eq!(r.uploaded.len(), 1, "{r:?}");
    assert_eq!(r.uploaded[0].server_key.as_deref(), Some(pin.as_str()));
    assert!(pending(&data).unwrap().is_empty());
    // Three times sent, byte for byte the file.
    let sent: Vec<_> = w
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path == "/api/v1/certificates")
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(sent, vec![std::fs::read(&cert).unwrap(); 5]);
}

/// A refurbishment record (`certs/refurbish/`) goes after its certificate, never before: while
/// the server does not take the certificate the record is not sent; once it does, the record
/// follows in the same pass, byte for byte, acknowledged by its own digest and receipted in
/// `uploads/refurbish/`; nothing is sent twice.
#[test]
fn a_record_goes_after_its_certificate_and_gets_its_receipt() {
    use crate::support::workshop::Workshop;
    use reprise::cert::refurbish;
    use reprise::flow::DataDir;
    use reprise::flow::upload::{pending, pending_records, upload_pending};

    let dir = tempfile::tempdir().unwrap();
    let data = DataDir(dir.path().to_owned());
    std::fs::create_dir(data.certs()).unwrap();
    let key = certs::test_key();
    let cert = issue_certificate(
        certs::inputs("wipe-passed.json", Language::En, "2026-12-01T10:00:00.000Z"),
        &key,
        &data.certs(),
    )
    .unwrap();
    let cert_bytes = std::fs::read(&cert).unwrap();
    let cert_digest = reprise::cert::envelope::verify(&cert_bytes, None)
        .unwrap()
        .digest;
    let cert_id = cert.file_stem().unwrap().to_str().unwrap().to_owned();
    let record = refurbish::Record {
        kind: refurbish::KIND.into(),
        schema_version: refurbish::RECORD_SCHEMA_VERSION,
        id: refurbish::record_id(&cert_id),
        issued_at: "2026-12-01T10:20:00.000Z".into(),
        station_key_id: reprise::cert::sign::key_id(&key.verifying_key()),
        certificate: refurbish::CertificateRef {
            id: cert_id.clone(),
            digest: cert_digest,
        },
        machine_serial: None,
        image: refurbish::ImageRef {
            name: "famille".into(),
            version: "2026.12".into(),
            sha256: format!("sha256:{}", "ab".repeat(32)),
            compression: "none".into(),
            source: "stick".into(),
            location: "images/famille.img".into(),
        },
        disk: refurbish::DiskRef {
            id: "nvme:S1:1".into(),
            model: None,
            serial: None,
            size_bytes: 1 << 30,
        },
        bytes_written: 1 << 20,
        duration_ms: 1000,
        write_ms: 600,
        readback_ms: 300,
        read_back: refurbish::ReadBack {
            result: "passed".into(),
            sha256: format!("sha256:{}", "ab".repeat(32)),
        },
        checks: vec![],
        filesystem: "kept".into(),
        filesystem_note: None,
        tool: "reprise test".into(),
    };
    let record_bytes = refurbish::to_file_bytes(&refurbish::seal(record, &key).unwrap());
    let record_digest = refurbish::verify(&record_bytes, None).unwrap().digest;
    let records = data.certs().join("refurbish");
    std::fs::create_dir(&records).unwrap();
    let record_name = format!("{cert_id}-r.json");
    std::fs::write(records.join(&record_name), &record_bytes).unwrap();
    assert_eq!(
        pending(&data).unwrap().len(),
        1,
        "a record is no certificate"
    );
    assert_eq!(pending_records(&data).unwrap().len(), 1);

    // The server is busy: the certificate stays pending, and its record is not even sent.
    let w = Workshop::start("2026-12-07T10:00:00.000Z");
    let pin = crate::support::workshop::key_id(&crate::support::workshop::server_key());
    w.set(|b| b.status = Some(503));
    let r = upload_pending(&data, &w.url(), Some(&pin)).unwrap();
    assert!(r.uploaded.is_empty(), "{r:?}");
    let label = format!("refurbish/{record_name}");
    let waits = r
        .not_uploaded
        .iter()
        .find(|n| n.certificate == label)
        .expect("the record is reported");
    assert!(
        !waits.refused && waits.why.contains("not acknowledged by the server yet"),
        "{waits:?}"
    );
    assert_eq!(w.paths(), vec!["/api/v1/certificates"]);

    // The server takes them: the certificate, then its record, each receipted by its digest.
    w.set(|b| b.status = None);
    let r = upload_pending(&data, &w.url(), Some(&pin)).unwrap();
    assert!(r.not_uploaded.is_empty(), "{r:?}");
    let names: Vec<_> = r.uploaded.iter().map(|u| u.certificate.clone()).collect();
    assert_eq!(names, vec![format!("{cert_id}.json"), label.clone()]);
    assert_eq!(
        w.paths(),
        vec![
            "/api/v1/certificates",
            "/api/v1/certificates",
            "/api/v1/records"
        ]
    );
    let sent = w.received.lock().unwrap().last().unwrap().body.clone();
    assert_eq!(sent, record_bytes, "the record byte for byte");
    let receipt: serde_json::Value = serde_json::from_slice(
        &std::fs::read(data.uploads().join("refurbish").join(&record_name)).unwrap(),
    )
    .unwrap();
    assert_eq!(receipt["digest"], record_digest.as_str());
    assert_eq!(receipt["certificate"], label.as_str());
    assert!(pending(&data).unwrap().is_empty());
    assert!(pending_records(&data).unwrap().is_empty());

    // Again: nothing pending, nothing sent.
    let r = upload_pending(&data, &w.url(), Some(&pin)).unwrap();
    assert_eq!(r, Default::default());
    assert_eq!(w.paths().len(), 3);
}
