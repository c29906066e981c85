//! Ingest benchmark (`scripts/bench-collector`): N distinct genuine certificates uploaded over
//! loopback by C keep-alive clients to the release binary, on SQLite and on PostgreSQL.
//! Reports certificates/s, p50/p99 latency and the database size per certificate.
//!
//! Environment: `BENCH_N` (default 10000), `BENCH_CLIENTS` (default 8), `BENCH_STATIONS`
//! (default 8), `BENCH_BACKENDS` (default `sqlite,postgres`). No timed assertion: it measures,
//! and fails only if a certificate is refused or missing afterwards.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{Conn, Postgres, Server, Signed, Spec, Station, enroll};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Outcome {
    seconds: f64,
    latencies: Vec<Duration>,
}

/// Signs `n` certificates over `stations` stations, in parallel (one thread per station).
fn make_certificates(stations: &mut [Station], n: usize) -> Vec<Vec<Signed>> {
    let per = n.div_ceil(stations.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = stations
            .iter_mut()
            .enumerate()
            .map(|(k, st)| {
                s.spawn(move || {
                    (0..per)
                        .map(|i| {
                            st.issue(&Spec {
                                serial: format!("BENCH-{k}-{i:06}"),
                                issued_at: format!(
                                    "2026-{:02}-{:02}T10:00:00.000Z",
                                    1 + i % 12,
                                    1 + i % 28
                                ),
                                failed: i % 10 == 0,
                                ..Spec::default()
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Uploads every certificate with `clients` connections; a station's certificates go in order
/// on one connection (as a station's queue would send them).
fn run(server: &Server, batches: &[Vec<Signed>], clients: usize) -> Outcome {
    let addr = server.addr;
    // Spread stations over clients round-robin; each client sends its stations interleaved.
    let mut work: Vec<Vec<Signed>> = vec![Vec::new(); clients];
    let longest = batches.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        for (s, batch) in batches.iter().enumerate() {
            if let Some(c) = batch.get(i) {
                work[s % clients].push(c.clone());
            }
        }
    }
    let work = Arc::new(work);
    let start = Instant::now();
    let latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|k| {
                let work = Arc::clone(&work);
                s.spawn(move || {
                    let mut conn = Conn::open(addr).unwrap();
                    let mut lat = Vec::with_capacity(work[k].len());
                    for c in &work[k] {
                        let t = Instant::now();
                        let r = conn.upload(&c.bytes).unwrap();
                        lat.push(t.elapsed());
                        assert_eq!(r.status, 201, "{}: {}", c.id, r.text());
                    }
                    lat
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    Outcome {
        seconds: start.elapsed().as_secs_f64(),
        latencies,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// CPU time (user + system) the server process has used so far, from /proc.
fn cpu_seconds(server: &Server) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", server.child.id())).unwrap();
    // Fields after the command name (which is in parentheses): utime is the 14th, stime 15th.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0 // USER_HZ
}

fn report(backend: &str, n: usize, o: &mut Outcome, db_bytes: u64, cpu: f64) {
    o.latencies.sort();
    #[allow(clippy::cast_precision_loss)]
    let rate = n as f64 / o.seconds;
    #[allow(clippy::cast_precision_loss)]
    let per = db_bytes as f64 / n as f64;
    println!(
        "{backend:<10} {n:>6} certificates in {:>6.2} s: {rate:>7.0} certificates/s, p50 {:>6.2} ms, \
         p99 {:>6.2} ms, max {:>7.2} ms; database {:.1} MiB = {:.0} bytes/certificate",
        o.seconds,
        percentile(&o.latencies, 0.50),
        percentile(&o.latencies, 0.99),
        percentile(&o.latencies, 1.0),
        db_bytes as f64 / f64::from(1 << 20),
        per
    );
    #[allow(clippy::cast_precision_loss)]
    let per_cert_us = cpu * 1e6 / n as f64;
    println!(
        "{:<10} server CPU {cpu:.2} s = {per_cert_us:.0} µs/certificate; load average: {}",
        "",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
        .sum()
}

fn main() {
    // `cargo bench` passes --bench; nothing else is expected.
    let n = env_usize("BENCH_N", 10_000);
    let clients = env_usize("BENCH_CLIENTS", 8);
    let nstations = env_usize("BENCH_STATIONS", 8);
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let mut stations: Vec<Station> = (0..nstations).map(|_| Station::new()).collect();
    let t = Instant::now();
    let batches = make_certificates(&mut stations, n);
    let n: usize = batches.iter().map(Vec::len).sum();
    let avg = batches
        .iter()
        .flatten()
        .map(|c| c.bytes.len())
        .sum::<usize>()
        / n;
    println!(
        "{n} certificates ({avg} bytes each on average) from {nstations} stations signed in {:.1} s; \
         {clients} concurrent keep-alive clients over loopback",
        t.elapsed().as_secs_f64()
    );
    for backend in backends.split(',') {
        match backend {
            "sqlite" => {
                let dir = tempfile::tempdir().unwrap();
                let db = dir.path().join("collector.db");
                let db = db.to_str().unwrap();
                for (i, st) in stations.iter().enumerate() {
                    enroll(db, st, &format!("bench-{i}"), "Bench");
                }
                let server = Server::open(db, &[]);
                let mut o = run(&server, &batches, clients);
                let cpu = cpu_seconds(&server);
                assert_eq!(server.count(), n, "every certificate stored");
                server.kill();
                // Everything into the main file first (as a clean shutdown or the next
                // automatic checkpoint would), so the size is the database's, not the WAL's.
                let conn = rusqlite::Connection::open(db).unwrap();
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                    .unwrap();
                drop(conn);
                report("SQLite", n, &mut o, dir_size(dir.path()), cpu);
            }
            "postgres" => {
                let pg = Postgres::start();
                let db = pg.database();
                for (i, st) in stations.iter().enumerate() {
                    enroll(&db, st, &format!("bench-{i}"), "Bench");
                }
                let server = Server::open(&db, &[]);
                let empty = pg.database_size(&db);
                let mut o = run(&server, &batches, clients);
                let cpu = cpu_seconds(&server);
                assert_eq!(server.count(), n, "every certificate stored");
                report("PostgreSQL", n, &mut o, pg.database_size(&db) - empty, cpu);
            }
            other => panic!("unknown backend {other:?} (sqlite, postgres)"),
        }
    }
}
