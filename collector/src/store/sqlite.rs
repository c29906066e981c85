//! SQLite backend: one file in WAL mode, the embedded default.
//!
//! Why rusqlite (bundled) and not sqlx: SQLite is a synchronous library; rusqlite calls it
//! directly, with the SQLite version compiled in (no system library to match), and keeps what
//! runs on which thread explicit — which is what durability and throughput hinge on here.
//!
//! - **One writer thread** owns the only write connection. Writes arrive on a channel; the thread
//!   takes every waiting write (up to [`MAX_BATCH`]), runs each inside its own SAVEPOINT of one
//!   transaction (a failing write rolls back alone), commits once, and only then answers each
//!   caller. SQLite allows one writer at a time anyway; batching turns N uploads arriving
//!   together into one commit, that is one fsync, instead of N (group commit).
//! - **Durability**: `journal_mode=WAL` + `synchronous=FULL`: every COMMIT fsyncs the WAL before
//!   it returns, so an acknowledged certificate survives `kill -9` (the data is in the WAL file)
//!   *and* power loss (the WAL is on disk). `NORMAL` would survive `kill -9` but could lose the
//!   last commits on power loss — not acceptable when a 201 tells a PXE laptop it may power off
//!   without a copy of its certificate. Group commit pays for the fsync.
//! - **Readers** (web pages, CSV) use a small pool of their own connections on tokio's blocking
//!   threads: WAL readers never block the writer, and see only committed rows.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params_from_iter};
use tokio::sync::oneshot;

use super::sql::{self, CellError, Cells, Param};
use super::*;

/// Most writes committed together (a bound on the latency of the first one in a burst).
pub const MAX_BATCH: usize = 256;

/// Reader connections kept open between requests.
const MAX_IDLE_READERS: usize = 8;

/// How long a connection waits for another process's lock (the CLI enrolling a station while
/// the server runs) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::OptText(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::OptText(None) => ToSqlOutput::Borrowed(ValueRef::Null),
            Param::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
        })
    }
}

impl Cells for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String, CellError> {
        Ok(self.get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, CellError> {
        Ok(self.get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64, CellError> {
        Ok(self.get(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, CellError> {
        Ok(self.get(i)?)
    }
}

/// One write, type-erased so the writer thread can batch writes of different result types.
trait WriteJob: Send {
    /// Runs the write inside the batch's transaction; true if it succeeded (keep it).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the batch is committed (or failed as a whole).
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Job<T, F> {
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
    db: String,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let result = (self.work.take().expect("a job runs once"))(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let answer = match (commit, self.result) {
            (Err(message), _) => Err(StoreError::Commit {
                db: self.db,
                message,
            }),
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(StoreError::Commit {
                db: self.db,
                message: "the write did not run".into(),
            }),
        };
        // The caller may have gone (client disconnected): the write stands regardless.
        let _ = self.reply.send(answer);
    }
}

/// The SQLite store. Cloning shares the writer and the reader pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    name: String,
    path: PathBuf,
    writer: mpsc::Sender<Box<dyn WriteJob>>,
    readers: Arc<Mutex<Vec<Connection>>>,
}

fn query_err(
    db: &str,
    what: &str,
    e: impl std::error::Error + Send + Sync + 'static,
) -> StoreError {
    StoreError::Query {
        db: db.to_string(),
        what: what.to_string(),
        source: Box::new(e),
    }
}

fn cell_err(db: &str, what: &str, e: CellError) -> StoreError {
    StoreError::Query {
        db: db.to_string(),
        what: what.to_string(),
        source: e,
    }
}

/// Opens a connection with the pragmas every connection needs.
fn connect(path: &Path, name: &str) -> Result<Connection, StoreError> {
    let open_err = |e: rusqlite::Error| StoreError::Open {
        db: name.to_string(),
        source: Box::new(e),
    };
    let conn = Connection::open(path).map_err(open_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
    // journal_mode answers with the mode in force: check that WAL really took.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(open_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Open {
            db: name.to_string(),
            source: format!("journal_mode is {mode}, WAL refused").into(),
        });
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .map_err(open_err)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens or creates the database file and starts its writer thread (blocking).
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let name = path.display().to_string();
        // A new database is readable by its owner only: it holds password and session hashes
        // and people's names. SQLite gives its -wal and -shm files the same mode.
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt as _;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| StoreError::Open {
                    db: name.clone(),
                    source: Box::new(e),
                })?;
        }
        let conn = connect(path, &name)?;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {} COMMIT;",
            sql::schema(sql::Dialect::Sqlite)
        ))
        .map_err(|e| query_err(&name, "cannot create the schema", e))?;
        let version: Option<i64> = conn
            .query_row("SELECT max(version) FROM reprise_schema", [], |r| r.get(0))
            .map_err(|e| query_err(&name, "cannot read the schema version", e))?;
        match version {
            None => {
                conn.execute(
                    "INSERT INTO reprise_schema (version) VALUES (?1)",
                    [sql::SCHEMA_VERSION],
                )
                .map_err(|e| query_err(&name, "cannot record the schema version", e))?;
            }
            Some(v) if v == sql::SCHEMA_VERSION => {}
            Some(found) => {
                return Err(StoreError::SchemaVersion {
                    db: name,
                    found,
                    known: sql::SCHEMA_VERSION,
                });
            }
        }
        let (tx, rx) = mpsc::channel::<Box<dyn WriteJob>>();
        let thread_name = name.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(&conn, &rx, &thread_name))
            .map_err(|e| StoreError::Open {
                db: name.clone(),
                source: Box::new(e),
            })?;
        Ok(SqliteStore {
            name,
            path: path.to_path_buf(),
            writer: tx,
            readers: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// Runs `work` on the writer thread inside a batch transaction; resolves once committed.
    fn write<T, F>(&self, work: F) -> BoxFut<'_, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &str) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.name.clone();
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Job {
            work: Some(move |conn: &Connection| work(conn, &db)),
            result: None,
            reply,
            db: self.name.clone(),
        });
        let sent = self.writer.send(job);
        Box::pin(async move {
            if sent.is_err() {
                return Err(StoreError::WriterGone {
                    db: self.name.clone(),
                });
            }
            answer.await.unwrap_or_else(|_| {
                Err(StoreError::WriterGone {
                    db: self.name.clone(),
                })
            })
        })
    }

    /// Runs `work` on a pooled read connection, on a blocking thread.
    fn read<T, F>(&self, work: F) -> BoxFut<'_, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &str) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(&self.readers);
        let path = self.path.clone();
        let name = self.name.clone();
        Box::pin(async move {
            let db = name.clone();
            tokio::task::spawn_blocking(move || {
                let pooled = pool.lock().map_or(None, |mut p| p.pop());
                let conn = match pooled {
                    Some(c) => c,
                    None => {
                        let c = connect(&path, &name)?;
                        // Readers: a 16 MiB page cache and the file mapped (256 MiB) instead
                        // of a pread per page, for lists, exports and statistics. (The writer
                        // keeps the default: a large cache costs it at every commit.)
                        c.execute_batch(
                            "PRAGMA query_only = ON; PRAGMA cache_size = -16384; \
                             PRAGMA mmap_size = 268435456;",
                        )
                        .map_err(|e| query_err(&name, "cannot open a reader", e))?;
                        c
                    }
                };
                let result = work(&conn, &name);
                // Keep a few connections for the next readers; close the rest of a burst.
                if let Ok(mut p) = pool.lock()
                    && p.len() < MAX_IDLE_READERS
                {
                    p.push(conn);
                }
                result
            })
            .await
            .map_err(|e| query_err(&db, "reader thread failed", e))?
        })
    }
}

fn writer_loop(conn: &Connection, rx: &mpsc::Receiver<Box<dyn WriteJob>>, db: &str) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let outcome = run_batch(conn, &mut jobs);
        if outcome.is_err() {
            // Leave no transaction open behind a failed batch (ignore "no transaction").
            let _ = conn.execute_batch("ROLLBACK");
        }
        for job in jobs {
            job.finish(outcome.clone());
        }
    }
    // All senders dropped: the store is gone. The connection closes with the thread.
    let _ = db;
}

fn run_batch(conn: &Connection, jobs: &mut [Box<dyn WriteJob>]) -> Result<(), String> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| format!("cannot begin: {e}"))?;
    for job in jobs.iter_mut() {
        conn.execute_batch("SAVEPOINT job")
            .map_err(|e| format!("savepoint: {e}"))?;
        if job.run(conn) {
            conn.execute_batch("RELEASE job")
                .map_err(|e| format!("release: {e}"))?;
        } else {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")
                .map_err(|e| format!("rollback to savepoint: {e}"))?;
        }
    }
    conn.execute_batch("COMMIT")
        .map_err(|e| format!("commit: {e}"))
}

fn one_text(
    conn: &Connection,
    db: &str,
    sql: &str,
    params: &[Param],
) -> Result<Option<String>, StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut st| {
            st.query_row(params_from_iter(params.iter()), |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()
        })
        .map(Option::flatten)
        .map_err(|e| query_err(db, sql, e))
}

fn exec(conn: &Connection, db: &str, sql: &str, params: &[Param]) -> Result<usize, StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut st| st.execute(params_from_iter(params.iter())))
        .map_err(|e| query_err(db, sql, e))
}

fn rows<T>(
    conn: &Connection,
    db: &str,
    sql: &str,
    params: &[Param],
    map: impl Fn(&rusqlite::Row<'_>) -> Result<T, CellError>,
) -> Result<Vec<T>, StoreError> {
    let mut st = conn
        .prepare_cached(sql)
        .map_err(|e| query_err(db, sql, e))?;
    let mut rs = st
        .query(params_from_iter(params.iter()))
        .map_err(|e| query_err(db, sql, e))?;
    let mut out = Vec::new();
    while let Some(r) = rs.next().map_err(|e| query_err(db, sql, e))? {
        out.push(map(r).map_err(|e| cell_err(db, sql, e))?);
    }
    Ok(out)
}

fn is_unique_violation(e: &StoreError) -> bool {
    match e {
        StoreError::Query { source, .. } => {
            source
                .downcast_ref::<rusqlite::Error>()
                .and_then(rusqlite::Error::sqlite_error_code)
                == Some(rusqlite::ErrorCode::ConstraintViolation)
        }
        _ => false,
    }
}

impl Store for SqliteStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn enroll(&self, station: Station) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |conn, db| {
            let existing = rows(
                conn,
                db,
                sql::STATION_BY_NAME_OR_KEY,
                &[Param::Text(station.key_id.clone())],
                |r| sql::station(r),
            )?;
            let by_name = rows(
                conn,
                db,
                sql::STATION_BY_NAME_OR_KEY,
                &[Param::Text(station.name.clone())],
                |r| sql::station(r),
            )?;
            if let Some(s) = existing.first() {
                return Err(StoreError::Exists {
                    db: db.into(),
                    what: "station key",
                    name: format!("{} (station {})", s.key_id, s.name),
                });
            }
            if !by_name.is_empty() {
                return Err(StoreError::Exists {
                    db: db.into(),
                    what: "station",
                    name: station.name.clone(),
                });
            }
            exec(
                conn,
                db,
                sql::INSERT_STATION,
                &sql::station_params(&station),
            )
            .map(|_| ())
        })
    }

    fn stations(&self) -> BoxFut<'_, Result<Vec<StationSummary>, StoreError>> {
        self.read(|conn, db| {
            rows(conn, db, sql::STATION_SUMMARIES, &[], |r| {
                sql::station_summary(r)
            })
        })
    }

    fn station(&self, key_id: String) -> BoxFut<'_, Result<Option<Station>, StoreError>> {
        self.read(move |conn, db| {
            Ok(
                rows(conn, db, sql::STATION_BY_KEY, &[Param::Text(key_id)], |r| {
                    sql::station(r)
                })?
                .into_iter()
                .next(),
            )
        })
    }

    fn revoke(&self, name_or_key: String, at: String) -> BoxFut<'_, Result<Station, StoreError>> {
        self.write(move |conn, db| {
            let found = rows(
                conn,
                db,
                sql::STATION_BY_NAME_OR_KEY,
                &[Param::Text(name_or_key.clone())],
                |r| sql::station(r),
            )?;
            let Some(s) = found.into_iter().next() else {
                return Err(StoreError::NotFound {
                    db: db.into(),
                    what: "station",
                    name: name_or_key,
                });
            };
            exec(
                conn,
                db,
                sql::REVOKE,
                &[Param::Text(s.key_id.clone()), Param::Text(at)],
            )?;
            rows(
                conn,
                db,
                sql::STATION_BY_KEY,
                &[Param::Text(s.key_id)],
                |r| sql::station(r),
            )?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound {
                db: db.into(),
                what: "station",
                name: name_or_key,
            })
        })
    }

    fn insert(&self, cert: NewCertificate) -> BoxFut<'_, Result<Insert, StoreError>> {
        self.write(move |conn, db| {
            let row = &cert.row;
            // The single writer makes check-then-insert race-free.
            let status = rows(
                conn,
                db,
                sql::STATION_STATUS,
                &[Param::Text(row.station_key_id.clone())],
                |r| r.opt_text(0),
            )?;
            match status.into_iter().next() {
                None => return Ok(Insert::UnknownKey),
                Some(Some(revoked_at)) => return Ok(Insert::RevokedKey { revoked_at }),
                Some(None) => {}
            }
            if one_text(
                conn,
                db,
                sql::DIGEST_EXISTS,
                &[Param::Text(row.digest.clone())],
            )?
            .is_some()
            {
                return Ok(Insert::Duplicate);
            }
            if let Some(existing_digest) =
                one_text(conn, db, sql::DIGEST_OF_ID, &[Param::Text(row.id.clone())])?
            {
                return Ok(Insert::IdConflict { existing_digest });
            }
            let mut params = sql::cert_params(row);
            let body = cert.body;
            let insert = sql::insert_certificate("");
            conn.prepare_cached(&insert)
                .and_then(|mut st| {
                    let mut values: Vec<&dyn rusqlite::ToSql> =
                        params.iter().map(|p| p as &dyn rusqlite::ToSql).collect();
                    values.push(&body);
                    st.execute(values.as_slice())
                })
                .map_err(|e| query_err(db, "insert certificate", e))?;
            params.clear();
            for d in &cert.disks {
                exec(
                    conn,
                    db,
                    sql::INSERT_DISK,
                    &sql::disk_params(&row.digest, d),
                )?;
            }
            Ok(Insert::Created)
        })
    }

    fn record_conflict(&self, conflict: Conflict) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |conn, db| {
            let sql = format!("{}{}", sql::INSERT_CONFLICT, sql::INSERT_CONFLICT_SUFFIX);
            exec(conn, db, &sql, &sql::conflict_params(&conflict)).map(|_| ())
        })
    }

    fn conflicts(&self, key_id: String) -> BoxFut<'_, Result<Vec<Conflict>, StoreError>> {
        self.read(move |conn, db| {
            rows(conn, db, sql::CONFLICTS_OF, &[Param::Text(key_id)], |r| {
                sql::conflict(r)
            })
        })
    }

    fn certificate(
        &self,
        digest: String,
    ) -> BoxFut<'_, Result<Option<StoredCertificate>, StoreError>> {
        self.read(move |conn, db| {
            let sql = sql::certificate_by_digest();
            Ok(rows(conn, db, &sql, &[Param::Text(digest)], |r| {
                Ok(StoredCertificate {
                    row: sql::cert_row(r)?,
                    body: r.get(sql::CERT_NCOLS)?,
                })
            })?
            .into_iter()
            .next())
        })
    }

    fn disks(&self, digest: String) -> BoxFut<'_, Result<Vec<DiskRow>, StoreError>> {
        self.read(move |conn, db| {
            rows(conn, db, sql::DISKS_OF, &[Param::Text(digest)], |r| {
                sql::disk_row(r)
            })
        })
    }

    fn search(
        &self,
        filter: Filter,
        offset: u64,
        limit: u64,
    ) -> BoxFut<'_, Result<(u64, Vec<ListRow>), StoreError>> {
        self.read(move |conn, db| {
            let mut params = Vec::new();
            let w = filter.where_clause(&mut params);
            let count = rows(conn, db, &sql::search_count(&w), &params, |r| r.int(0))?
                .first()
                .copied()
                .unwrap_or(0);
            let page_sql = sql::search_page(&w, params.len());
            params.push(Param::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
            params.push(Param::Int(i64::try_from(offset).unwrap_or(i64::MAX)));
            let list = rows(conn, db, &page_sql, &params, |r| {
                Ok(ListRow {
                    row: sql::cert_row(r)?,
                    station_name: r.opt_text(sql::CERT_NCOLS)?,
                })
            })?;
            Ok((u64::try_from(count).unwrap_or(0), list))
        })
    }

    fn station_certificates(&self, key_id: String) -> BoxFut<'_, Result<Vec<CertRow>, StoreError>> {
        self.read(move |conn, db| {
            rows(
                conn,
                db,
                &sql::station_certificates(),
                &[Param::Text(key_id)],
                |r| sql::cert_row(r),
            )
        })
    }

    fn stats_rows(&self, filter: Filter) -> BoxFut<'_, Result<Vec<StatsRow>, StoreError>> {
        self.read(move |conn, db| {
            let mut params = Vec::new();
            let w = filter.where_clause(&mut params);
            rows(conn, db, &sql::stats_rows(&w), &params, |r| {
                sql::stats_row(r)
            })
        })
    }

    fn sites(&self) -> BoxFut<'_, Result<Vec<String>, StoreError>> {
        self.read(|conn, db| rows(conn, db, sql::SITES, &[], |r| r.text(0)))
    }

    fn add_user(
        &self,
        name: String,
        password_hash: String,
        at: String,
    ) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |conn, db| {
            if one_text(conn, db, sql::USER_EXISTS, &[Param::Text(name.clone())])?.is_some() {
                exec(
                    conn,
                    db,
                    sql::UPDATE_USER,
                    &[Param::Text(name), Param::Text(password_hash)],
                )
            } else {
                exec(
                    conn,
                    db,
                    sql::INSERT_USER,
                    &[
                        Param::Text(name),
                        Param::Text(password_hash),
                        Param::Text(at),
                    ],
                )
            }
            .map(|_| ())
        })
    }

    fn password_hash(&self, name: String) -> BoxFut<'_, Result<Option<String>, StoreError>> {
        self.read(move |conn, db| one_text(conn, db, sql::USER_HASH, &[Param::Text(name)]))
    }

    fn create_session(
        &self,
        token_hash: String,
        session: Session,
    ) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |conn, db| {
            exec(
                conn,
                db,
                sql::DELETE_EXPIRED_SESSIONS,
                &[Param::Text(crate::util::now())],
            )?;
            exec(
                conn,
                db,
                sql::INSERT_SESSION,
                &[
                    Param::Text(token_hash),
                    Param::Text(session.user),
                    Param::Text(session.expires_at),
                ],
            )
            .map(|_| ())
        })
    }

    fn session(
        &self,
        token_hash: String,
        now: String,
    ) -> BoxFut<'_, Result<Option<Session>, StoreError>> {
        self.read(move |conn, db| {
            Ok(rows(
                conn,
                db,
                sql::SESSION,
                &[Param::Text(token_hash), Param::Text(now)],
                |r| {
                    Ok(Session {
                        user: r.text(0)?,
                        expires_at: r.text(1)?,
                    })
                },
            )?
            .into_iter()
            .next())
        })
    }

    fn delete_session(&self, token_hash: String) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |conn, db| {
            exec(conn, db, sql::DELETE_SESSION, &[Param::Text(token_hash)]).map(|_| ())
        })
    }

    fn mark(&self, mark: Mark) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |conn, db| {
            exec(
                conn,
                db,
                sql::DELETE_MARK,
                &[
                    Param::Text(mark.kind.clone()),
                    Param::Text(mark.value.clone()),
                ],
            )?;
            exec(conn, db, sql::INSERT_MARK, &sql::mark_params(&mark)).map(|_| ())
        })
    }

    fn unmark(&self, kind: String, value: String) -> BoxFut<'_, Result<bool, StoreError>> {
        self.write(move |conn, db| {
            exec(
                conn,
                db,
                sql::DELETE_MARK,
                &[Param::Text(kind), Param::Text(value)],
            )
            .map(|n| n > 0)
        })
    }

    fn marks(&self) -> BoxFut<'_, Result<Vec<Mark>, StoreError>> {
        self.read(|conn, db| rows(conn, db, sql::MARKS, &[], |r| sql::mark(r)))
    }

    fn issue_token(&self, token: EnrollToken) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |conn, db| {
            exec(
                conn,
                db,
                sql::DELETE_EXPIRED_TOKENS,
                &[Param::Text(token.created_at.clone())],
            )?;
            exec(
                conn,
                db,
                sql::INSERT_TOKEN,
                &[
                    Param::Text(token.token_hash),
                    Param::OptText(token.mac),
                    Param::Text(token.client_ip),
                    Param::Text(token.site),
                    Param::Text(token.created_at),
                    Param::Text(token.expires_at),
                ],
            )
            .map(|_| ())
        })
    }

    fn enroll_with_token(
        &self,
        token_hash: String,
        station: Station,
    ) -> BoxFut<'_, Result<TokenEnroll, StoreError>> {
        self.write(move |conn, db| {
            let found = rows(
                conn,
                db,
                sql::TOKEN,
                &[Param::Text(token_hash.clone())],
                |r| {
                    Ok((
                        r.opt_text(0)?,
                        r.text(1)?,
                        r.text(2)?,
                        r.text(3)?,
                        r.opt_text(4)?,
                    ))
                },
            )?;
            let Some((mac, ip, site, expires_at, used_by)) = found.into_iter().next() else {
                return Ok(TokenEnroll::Refused("unknown token"));
            };
            let existing = rows(
                conn,
                db,
                sql::STATION_BY_KEY,
                &[Param::Text(station.key_id.clone())],
                |r| sql::station(r),
            )?;
            match used_by {
                Some(key) if key == station.key_id => {
                    return existing
                        .into_iter()
                        .next()
                        .map(TokenEnroll::Again)
                        .ok_or_else(|| StoreError::NotFound {
                            db: db.into(),
                            what: "station",
                            name: key,
                        });
                }
                Some(_) => return Ok(TokenEnroll::Refused("token already used")),
                None => {}
            }
            if expires_at <= station.enrolled_at {
                return Ok(TokenEnroll::Refused("token expired"));
            }
            if !existing.is_empty() {
                return Ok(TokenEnroll::Refused("key already enrolled"));
            }
            let station = Station {
                site,
                note: Some(sql::pxe_note(mac.as_deref(), &ip)),
                ..station
            };
            match exec(
                conn,
                db,
                sql::INSERT_STATION,
                &sql::station_params(&station),
            ) {
                Err(e) if is_unique_violation(&e) => {
                    return Ok(TokenEnroll::Refused("station name taken"));
                }
                other => other?,
            };
            exec(
                conn,
                db,
                sql::USE_TOKEN,
                &[Param::Text(token_hash), Param::Text(station.key_id.clone())],
            )?;
            Ok(TokenEnroll::Enrolled(station))
        })
    }
}
