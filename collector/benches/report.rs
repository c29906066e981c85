//! Donor's report benchmark (`cargo bench -p reprise-collector --bench report`): a database
//! of N laptops (default 100 000) in lots over several sites, one certificate per laptop (two
//! for one in five), an outcome event for most, then the report timed as the CLI and `/report`
//! compute it (`Store::report`: one aggregate query), and compared with every laptop loaded and
//! classified one by one (`Store::laptops`, then `report::rows`), on SQLite and on
//! PostgreSQL (a cluster of its own, as the tests start it).
//!
//! Environment: `BENCH_LAPTOPS` (default 100000), `BENCH_RUNS` (default 3),
//! `BENCH_BACKENDS` (default `sqlite,postgres`). No timed assertion: it prints the times, and
//! fails only if the report does not count every laptop it filled or differs from the laptops
//! classified one by one.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use reprise_collector::life::Figure;
use reprise_collector::report;
use reprise_collector::store::{self, LaptopFilter};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Sites, and laptops per lot.
const SITES: usize = 12;
const PER_LOT: usize = 200;

/// The fill, in SQL both backends run: numbers from a recursive CTE, so nothing crosses the
/// client one row at a time. `{N}` laptops, `{LOTS}` lots; a certificate body of 1.5 kB
/// (a signed certificate's usual size, so the tables weigh what they would).
const FILL: &str = "
INSERT INTO stations (key_id, name, site, public_key, public_key_pem, enrolled_at, revoked_at,
    enrolled_via, note) VALUES ('bench-key', 'bench', 'bench', 'x', 'x',
    '2026-01-01T00:00:00Z', NULL, 'cli', NULL);
INSERT INTO lots (name, site, received, source, imported_at, imported_by)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {LOTS})
SELECT 'LOT-' || i, 'Site ' || (i % {SITES}), '2026-0' || (1 + i % 9) || '-15', 'bench.csv', '2026-01-01T00:00:00Z', 'bench' FROM n;
INSERT INTO laptops (serial, lot, line, asset_tag, model, purchase_year, extra)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {N})
SELECT 'SN' || i, 'LOT-' || (i / {PER_LOT}), 2 + i % {PER_LOT}, 'AT-' || i, 'Latitude 5490',
    2012 + i % 12, '{}' FROM n;
INSERT INTO certificates (digest, id, station_key_id, sequence, previous_digest, issued_at,
    received_at, site, operator, organisation, vendor, product, model_name, serial, machine_key,
    decision, grade, disks, disks_sanitized, result, language, body)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {CERTS})
SELECT 'd' || i, 'c' || i, 'bench-key', i, NULL, '2026-10-1' || (i % 10) ||
    'T10:00:00.000Z', '2026-06-28T10:00:00.000Z', 'Site', 'Op ' || (i % 40), NULL, 'Dell',
    'Latitude', NULL, 'sn' || (i % {N}), 'mk' || (i % {N}),
    CASE WHEN i % 7 = 0 THEN 'recycle' ELSE 'refurbish' END, 'B', 1,
    CASE WHEN i % 13 = 0 THEN 0 ELSE 1 END,
    CASE WHEN i % 13 = 0 THEN 'failed' ELSE 'sanitized' END, 'fr', {BODY} FROM n;
INSERT INTO events (serial, seq, kind, date, fields, recorded_by, recorded_at)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {N})
SELECT 'SN' || i, 1, CASE WHEN i % 7 = 0 THEN 'recycled' ELSE 'handed-over' END,
    '2026-11-02', '{\"partner\":\"Emmaüs\"}', 'Op ' || (i % 40), '2026-11-02T10:00:00Z'
    FROM n WHERE i % 5 <> 4;
";

fn fill_sql(n: usize, body: &str) -> String {
    FILL.replace("{N}", &n.to_string())
        .replace("{LOTS}", &n.div_ceil(PER_LOT).to_string())
        .replace("{PER_LOT}", &PER_LOT.to_string())
        .replace("{SITES}", &SITES.to_string())
        .replace("{CERTS}", &(n + n / 5).to_string())
        .replace("{BODY}", body)
}

/// Opens `db` (creating its schema), fills it, then times the report `runs` times.
fn bench(backend: &str, db: &str, fill: impl FnOnce(), n: usize, runs: usize) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    drop(rt.block_on(store::open(db)).unwrap());
    let t = Instant::now();
    fill();
    println!(
        "{backend}: filled {n} laptops in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let store = rt.block_on(store::open(db)).unwrap();
    let filter = LaptopFilter {
        from: Some("2026-01-01".into()),
        to: Some("2026-12-31".into()),
        ..LaptopFilter::default()
    };
    for run in 1..=runs {
        for by_lot in [false, true] {
            let t = Instant::now();
            let rows = rt.block_on(store.report(filter.clone(), by_lot)).unwrap();
            let took = t.elapsed();
            let total = report::total(&rows);
            assert_eq!(total.count(Figure::Received), n as u64);
            let groups = if by_lot {
                n.div_ceil(PER_LOT)
            } else {
                SITES.min(n.div_ceil(PER_LOT))
            };
            assert_eq!(rows.len(), groups);
            println!(
                "{backend}: report over {n} laptops ({}), run {run}: {:.3} s",
                if by_lot { "by site and lot" } else { "by site" },
                took.as_secs_f64()
            );
        }
    }
    // What the report was before (and what the laptop lists still do): every laptop loaded
    // with its certificates and events, each classified by `Figure::holds`. Same counts.
    let t = Instant::now();
    let lives = rt.block_on(store.laptops(filter.clone())).unwrap();
    let loaded = t.elapsed();
    for by_lot in [false, true] {
        let one_by_one = report::rows(&lives, by_lot);
        assert_eq!(
            rt.block_on(store.report(filter.clone(), by_lot)).unwrap(),
            one_by_one
        );
    }
    println!(
        "{backend}: every laptop loaded and classified one by one: {:.3} s (loading {:.3} s); \
         same rows as the report's query",
        t.elapsed().as_secs_f64(),
        loaded.as_secs_f64()
    );
}

fn main() {
    let n = env_usize("BENCH_LAPTOPS", 100_000);
    let runs = env_usize("BENCH_RUNS", 3);
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    for backend in backends.split(',') {
        match backend {
            "sqlite" => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("report.sqlite");
                let db = path.to_str().unwrap().to_string();
                let sql = fill_sql(n, "zeroblob(1500)");
                bench(
                    "sqlite",
                    &db,
                    || {
                        let c = rusqlite::Connection::open(&path).unwrap();
                        c.pragma_update(None, "recursive_triggers", false).unwrap();
                        c.execute_batch(&format!("BEGIN;{sql}COMMIT;ANALYZE;"))
                            .unwrap();
                    },
                    n,
                    runs,
                );
            }
            "postgres" => {
                let pg = support::Postgres::start();
                let url = pg.database();
                let sql = fill_sql(n, "convert_to(repeat('x', 1500), 'UTF8')");
                bench(
                    "postgres",
                    &url,
                    || pg.execute(&url, &format!("BEGIN;{sql}COMMIT;ANALYZE;")),
                    n,
                    runs,
                );
            }
            other => panic!("unknown backend {other:?} in BENCH_BACKENDS (sqlite, postgres)"),
        }
    }
}
