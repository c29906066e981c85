//! No client stops the collector: slow and idle clients against the real binary on 127.0.0.1.
//! A body sent a byte a second is cut off at the read timeout (408), so is a request head sent
//! that way; idle connections, many more than the cap, do not keep a genuine upload out.

mod support;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use support::{Server, Spec, Station, enroll};

/// A database with one enrolled station.
fn workshop() -> (tempfile::TempDir, String, Station) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db").to_str().unwrap().to_string();
    let st = Station::new();
    enroll(&db, &st, "stick-1", "Collège Pasteur");
    (dir, db, st)
}

/// The status line of what the server sent before it closed, and whether it then closed
/// (EOF), read for at most `within`.
fn answer_then_close(s: &TcpStream, within: Duration) -> (Option<String>, bool) {
    s.set_read_timeout(Some(within)).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut status = String::new();
    let status = match r.read_line(&mut status) {
        Ok(0) => return (None, true),
        Ok(_) => Some(status.trim_end().to_string()),
        Err(_) => return (None, false),
    };
    let mut rest = Vec::new();
    let closed = r.read_to_end(&mut rest).is_ok();
    (status, closed)
}

/// Sends `bytes` one a second from another thread until the server closes the connection (or
/// `limit` passes); returns when it stopped sending.
fn trickle(s: &TcpStream, bytes: Vec<u8>, limit: Duration) -> std::thread::JoinHandle<Duration> {
    let mut w = s.try_clone().unwrap();
    std::thread::spawn(move || {
        let start = Instant::now();
        for b in bytes {
            if w.write_all(&[b]).is_err() || start.elapsed() > limit {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        start.elapsed()
    })
}

#[test]
fn a_body_sent_a_byte_a_second_is_cut_off() {
    let (_dir, db, mut st) = workshop();
    let server = Server::open(&db, &["--read-timeout", "3"]);
    let c = st.issue(&Spec::default());
    let s = TcpStream::connect(server.addr).unwrap();
    let head = format!(
        "POST /api/v1/certificates HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        server.addr,
        c.bytes.len()
    );
    (&s).write_all(head.as_bytes()).unwrap();
    let start = Instant::now();
    let sender = trickle(&s, c.bytes.clone(), Duration::from_secs(30));
    let (status, closed) = answer_then_close(&s, Duration::from_secs(20));
    let cut_after = start.elapsed();
    let status = status.expect("an answer before the connection closed");
    assert!(status.starts_with("HTTP/1.1 408"), "{status}");
    assert!(closed, "the connection is closed after the 408");
    assert!(
        cut_after >= Duration::from_secs(3) && cut_after < Duration::from_secs(8),
        "cut off after {cut_after:?} (read timeout 3 s)"
    );
    let sent_for = sender.join().unwrap();
    assert!(
        sent_for < Duration::from_secs(12),
        "the server stopped reading: the sender gave up after {sent_for:?}"
    );
    // Nothing stored; the same certificate sent at once is welcome.
    assert_eq!(server.count(), 0);
    assert_eq!(server.upload(&c.bytes).status, 201);
}

#[test]
fn a_request_head_sent_a_byte_a_second_is_cut_off() {
    let (_dir, db, _st) = workshop();
    let server = Server::open(&db, &["--read-timeout", "3"]);
    let s = TcpStream::connect(server.addr).unwrap();
    let head = format!(
        "GET /certificates HTTP/1.1\r\nHost: {}\r\nX-Slow: {}\r\n\r\n",
        server.addr,
        "a".repeat(60)
    );
    let start = Instant::now();
    let sender = trickle(&s, head.into_bytes(), Duration::from_secs(30));
    let (status, closed) = answer_then_close(&s, Duration::from_secs(20));
    let cut_after = start.elapsed();
    assert!(closed, "closed ({status:?})");
    assert!(
        status.as_deref().is_none_or(|s| !s.contains(" 200 ")),
        "{status:?}"
    );
    assert!(
        cut_after < Duration::from_secs(8),
        "cut off after {cut_after:?} (read timeout 3 s)"
    );
    sender.join().unwrap();
    assert_eq!(server.get("/healthz").status, 200);
}

/// Opens `n` connections that stay idle: every other one sent half a request head.
fn idle_connections(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|i| {
            let mut s = TcpStream::connect(addr).unwrap();
            if i % 2 == 1 {
                s.write_all(b"POST /api/v1/certificates HTTP/1.1\r\nHost: x\r\n")
                    .unwrap();
            }
            s
        })
        .collect()
}

#[test]
fn idle_connections_do_not_keep_a_genuine_upload_out() {
    let (_dir, db, mut st) = workshop();
    // A cap of 8 and a read timeout of an hour: an upload that had to wait for an idle
    // connection to time out would never be answered before the client's own read timeout
    // (a minute) and fail — no clock is compared here.
    let server = Server::open(&db, &["--max-connections", "8", "--read-timeout", "3600"]);
    let idle = idle_connections(server.addr, 40);
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..3 {
        let c = st.issue(&Spec::default());
        let r = server.upload(&c.bytes);
        assert_eq!(r.status, 201, "{}", r.text());
        // More idle connections meanwhile.
        let _more = idle_connections(server.addr, 10);
    }
    assert_eq!(server.get("/healthz").status, 200);
    assert_eq!(server.count(), 3);
    // The cap held: the oldest idle connections were closed to make room.
    for s in &idle[..2] {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut byte = [0u8; 1];
        // Closed: an end of stream, or a reset when the close found bytes unread.
        match (&*s).read(&mut byte) {
            Ok(n) => assert_eq!(n, 0, "closed by the server"),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
    }
    drop(idle);
}

#[test]
fn a_connection_busy_with_a_request_is_not_the_one_that_makes_room() {
    let (_dir, db, mut st) = workshop();
    let server = Server::open(&db, &["--max-connections", "2", "--read-timeout", "20"]);
    // A slow but genuine upload holds one of the two places...
    let c = st.issue(&Spec::default());
    let s = TcpStream::connect(server.addr).unwrap();
    let head = format!(
        "POST /api/v1/certificates HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
         Content-Length: {}\r\n\r\n",
        server.addr,
        c.bytes.len()
    );
    (&s).write_all(head.as_bytes()).unwrap();
    let (first, rest) = c.bytes.split_at(c.bytes.len() / 2);
    (&s).write_all(first).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // ...while idle connections come and go and other uploads are served.
    let _idle = idle_connections(server.addr, 6);
    let d = st.issue(&Spec::default());
    assert_eq!(server.upload(&d.bytes).status, 201);
    (&s).write_all(rest).unwrap();
    let (status, _) = answer_then_close(&s, Duration::from_secs(10));
    assert!(
        status
            .as_deref()
            .is_some_and(|l| l.starts_with("HTTP/1.1 201")),
        "{status:?}"
    );
    assert_eq!(server.count(), 2);
}
