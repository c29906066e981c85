//! `kill -9` of the collector in the middle of a burst of uploads loses no certificate it
//! acknowledged: the real binary runs as a child process, four clients upload in a loop, the
//! test SIGKILLs the server while requests are in flight, starts a new one on the same
//! database, and finds every acknowledged certificate, byte for byte. On SQLite and PostgreSQL.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{Conn, Postgres, Server, Signed, Spec, Station, enroll, wait_for};

const STATIONS: usize = 4;
const PER_STATION: usize = 150;
/// Kill once this many are acknowledged (the rest of the burst is in flight or not sent).
const KILL_AFTER: usize = 120;

fn burst_then_kill(db: &str) {
    let mut stations: Vec<Station> = (0..STATIONS).map(|_| Station::new()).collect();
    for (i, st) in stations.iter().enumerate() {
        enroll(db, st, &format!("stick-{i}"), "Collège Pasteur");
    }
    let batches: Vec<Vec<Signed>> = stations
        .iter_mut()
        .enumerate()
        .map(|(s, st)| {
            (0..PER_STATION)
                .map(|i| {
                    st.issue(&Spec {
                        serial: format!("S{s}-{i:04}"),
                        ..Spec::default()
                    })
                })
                .collect()
        })
        .collect();
    let server = Server::open(db, &[]);
    let addr = server.addr;
    let acked: Arc<Mutex<Vec<Signed>>> = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = batches
        .iter()
        .cloned()
        .map(|batch| {
            let acked = Arc::clone(&acked);
            std::thread::spawn(move || {
                let Ok(mut conn) = Conn::open(addr) else {
                    return;
                };
                for c in batch {
                    match conn.upload(&c.bytes) {
                        Ok(r) if r.status == 201 || r.status == 200 => {
                            acked.lock().unwrap().push(c);
                        }
                        Ok(r) => panic!("{}: {} {}", c.id, r.status, r.text()),
                        // The server is gone: this one was not acknowledged.
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    wait_for("acknowledged uploads", Duration::from_secs(120), || {
        acked.lock().unwrap().len() >= KILL_AFTER
    });
    server.kill();
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let total = STATIONS * PER_STATION;
    assert!(
        acked.len() < total,
        "the burst ended before the kill ({} of {total}): nothing was in flight",
        acked.len()
    );

    let server = Server::open(db, &[]);
    for c in &acked {
        let r = server.get(&format!("/c/{}.json", c.hex()));
        assert_eq!(r.status, 200, "acknowledged {} lost after kill -9", c.id);
        assert_eq!(r.body, c.bytes, "{} changed", c.id);
    }
    // Nothing half-stored either: every certificate uploads again as 200 (kept) or 201 (it was
    // never acknowledged), and the count is then exact.
    let mut conn = Conn::open(server.addr).unwrap();
    for c in batches.iter().flatten() {
        let r = conn.upload(&c.bytes).unwrap();
        assert!(
            r.status == 200 || r.status == 201,
            "{}: {} {}",
            c.id,
            r.status,
            r.text()
        );
        if acked.iter().any(|a| a.digest == c.digest) {
            assert_eq!(
                r.status, 200,
                "{} was acknowledged, so it must be stored",
                c.id
            );
        }
    }
    assert_eq!(server.count(), total);
}

#[test]
fn sqlite_loses_no_acknowledged_certificate_to_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    burst_then_kill(dir.path().join("collector.db").to_str().unwrap());
}

#[test]
fn postgres_loses_no_acknowledged_certificate_to_kill_9() {
    let pg = Postgres::start();
    burst_then_kill(&pg.database());
}
