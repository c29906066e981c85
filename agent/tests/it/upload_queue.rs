//! The upload queue of the data folder: with the server down nothing is lost (every certificate
//! stays pending); once it is up, every pending certificate goes, byte for byte, and gets a
//! receipt; nothing is sent twice; a refusal leaves the certificate pending, and so does a 2xx
//! that does not name the certificate's digest. The server here is a small HTTP responder of
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
                format!(
                    r#"{{"status":"created","digest":"{digest}","url":"http://127.0.0.1:{port}/c/ab"}}"#
                )
            } else {
                r#"{"error":"station key is not enrolled","code":"unknown_key"}"#.to_owned()
            };
            write!(
                s,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/json\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        }
    });
    (port, got)
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

    // The server refuses (station not enrolled): still pending, the reason shown.
    let (port, _) = server(403, 2);
    let o = reprise(&[
        "upload",
        dir,
        "--server",
        &format!("http://127.0.0.1:{port}"),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("HTTP 403: station key is not enrolled"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // Up: both go, byte for byte, each gets its receipt.
    let (port, got) = server(201, 2);
    let o = reprise(&[
        "upload",
        dir,
        "--server",
        &format!("http://127.0.0.1:{port}"),
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
    }

    // Again: nothing pending, nothing sent (the server would fail the test by not answering).
    let o = reprise(&["upload", dir, "--server", &down]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("Nothing to upload"));
}

/// A 201 is an acknowledgement only when it names the digest of the certificate sent: one that
/// names another digest, or says nothing, leaves the certificate pending, to be sent again.
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
    for ack in [Ack::OtherDigest, Ack::NoBody] {
        w.set(|b| b.ack = ack);
        let r = upload_pending(&data, &w.url()).unwrap();
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
    let r = upload_pending(&data, &w.url()).unwrap();
    assert_eq!(r.uploaded.len(), 1, "{r:?}");
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
    assert_eq!(sent, vec![std::fs::read(&cert).unwrap(); 3]);
}
