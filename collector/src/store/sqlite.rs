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
//!
//! The rules themselves are `rules.rs`'s, the same as PostgreSQL's; this file only gives them a
//! connection ([`Lite`]) and runs them where they belong: writes on the writer thread, reads on
//! a reader.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, params_from_iter};
use tokio::sync::oneshot;

use super::rules::{self, Backend, Db, Mapper};
use super::sql::{self, Dialect, Param};
use super::{BoxFut, StoreError};

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
            Param::Int(i) | Param::OptInt(Some(i)) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Param::OptInt(None) => ToSqlOutput::Borrowed(ValueRef::Null),
            Param::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

sql::cells_through!(rusqlite::Row<'_>, get);

/// What a rule sees of SQLite: one connection and the database's name.
///
/// The connection sits in a mutex only because rules must be `Sync` (PostgreSQL's are sent
/// between threads, and the rules are one code); one thread at a time ever uses it, so the lock
/// is never contended.
#[derive(Debug)]
pub struct Lite<'c> {
    conn: &'c Mutex<Connection>,
    db: &'c str,
}

impl Lite<'_> {
    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic elsewhere while holding the lock leaves the connection as SQLite left it
        // (statements are atomic): keep using it.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Db for Lite<'_> {
    const DIALECT: Dialect = Dialect::Sqlite;

    fn name(&self) -> &str {
        self.db
    }

    async fn rows<T: Send + 'static>(
        &self,
        sql: &str,
        params: &[Param],
        map: Mapper<T>,
    ) -> Result<Vec<T>, StoreError> {
        let err = |e: rusqlite::Error| StoreError::query(self.db, sql, e);
        let conn = self.conn();
        let mut st = conn.prepare_cached(sql).map_err(err)?;
        let mut rs = st.query(params_from_iter(params.iter())).map_err(err)?;
        let mut out = Vec::new();
        while let Some(r) = rs.next().map_err(err)? {
            out.push(map(r).map_err(|e| StoreError::query(self.db, sql, e))?);
        }
        Ok(out)
    }

    async fn exec(&self, sql: &str, params: &[Param]) -> Result<u64, StoreError> {
        let changed = self
            .conn()
            .prepare_cached(sql)
            .and_then(|mut st| st.execute(params_from_iter(params.iter())))
            .map_err(|e| StoreError::query(self.db, sql, e))?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    }

    async fn batch(&self, sql: &str, what: &str) -> Result<(), StoreError> {
        self.conn()
            .execute_batch(sql)
            .map_err(|e| StoreError::query(self.db, what, e))
    }
}

/// Runs a rule to its end at once: every SQLite primitive above completes before it returns,
/// so one poll finishes the rule, on the calling thread.
fn run_now<T>(
    db: &str,
    rule: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match pin!(rule).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(StoreError::Stalled { db: db.into() }),
    }
}

/// One write, type-erased so the writer thread can batch writes of different result types.
trait WriteJob: Send {
    /// Runs the write inside the batch's transaction; true if it succeeded (keep it).
    fn run(&mut self, lite: &Lite<'_>) -> bool;
    /// Answers the caller once the batch is committed (or failed as a whole).
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Job<T, F> {
    rule: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
    db: String,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: for<'c> FnOnce(&'c Lite<'c>) -> BoxFut<'c, Result<T, StoreError>> + Send,
{
    fn run(&mut self, lite: &Lite<'_>) -> bool {
        let result = match self.rule.take() {
            Some(rule) => run_now(lite.db, rule(lite)),
            None => Err(StoreError::Commit {
                db: self.db.clone(),
                message: "the write ran twice".into(),
            }),
        };
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
        SqliteStore::open_as(path, false)
    }

    /// [`SqliteStore::open`], or when `to_read` opens only an existing file that holds this
    /// collector's schema (nothing created or migrated: another workshop's database).
    pub fn open_as(path: &Path, to_read: bool) -> Result<SqliteStore, StoreError> {
        let name = path.display().to_string();
        if to_read {
            if !path.is_file() {
                return Err(StoreError::Open {
                    db: name,
                    source: "no such database file".into(),
                });
            }
            // Checked on a read-only connection first: `connect` turns WAL on, which would
            // write to a file that is no collector's database.
            let ro = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| StoreError::Open {
                    db: name.clone(),
                    source: Box::new(e),
                })?;
            let ro = Mutex::new(ro);
            let lite = Lite {
                conn: &ro,
                db: &name,
            };
            run_now(&name, rules::check_schema(&lite))?;
        }
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
        let conn = Mutex::new(connect(path, &name)?);
        // One IMMEDIATE transaction: collectors starting at once create the schema one after
        // the other.
        let lite = Lite {
            conn: &conn,
            db: &name,
        };
        run_now(&name, async {
            if to_read {
                return Ok(());
            }
            lite.batch("BEGIN IMMEDIATE", "cannot create the schema")
                .await?;
            let prepared = rules::prepare_schema(&lite).await;
            let end = if prepared.is_ok() {
                "COMMIT"
            } else {
                "ROLLBACK"
            };
            lite.batch(end, "cannot create the schema").await?;
            prepared
        })?;
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

    /// A pooled read connection, or a new one.
    fn reader(&self) -> Result<Connection, StoreError> {
        if let Some(c) = self.readers.lock().map_or(None, |mut p| p.pop()) {
            return Ok(c);
        }
        let c = connect(&self.path, &self.name)?;
        // Readers: a 16 MiB page cache and the file mapped (256 MiB) instead of a pread per
        // page, for lists, exports and statistics. (The writer keeps the default: a large cache
        // costs it at every commit.)
        c.execute_batch(
            "PRAGMA query_only = ON; PRAGMA cache_size = -16384; PRAGMA mmap_size = 268435456;",
        )
        .map_err(|e| StoreError::query(&self.name, "cannot open a reader", e))?;
        Ok(c)
    }
}

impl Backend for SqliteStore {
    type Reader<'c> = Lite<'c>;
    type Writer<'c> = Lite<'c>;

    fn db_name(&self) -> &str {
        &self.name
    }

    /// Runs `rule` on a pooled read connection, on a blocking thread.
    fn read<T, F>(&self, rule: F) -> BoxFut<'_, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Lite<'c>) -> BoxFut<'c, Result<T, StoreError>> + Send + 'static,
    {
        let store = self.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let conn = Mutex::new(store.reader()?);
                let lite = Lite {
                    conn: &conn,
                    db: &store.name,
                };
                let result = run_now(&store.name, rule(&lite));
                // Keep a few connections for the next readers; close the rest of a burst.
                if let Ok(mut p) = store.readers.lock()
                    && p.len() < MAX_IDLE_READERS
                {
                    p.push(conn.into_inner().unwrap_or_else(PoisonError::into_inner));
                }
                result
            })
            .await
            .map_err(|e| StoreError::query(&self.name, "reader thread failed", e))?
        })
    }

    /// Runs `rule` on the writer thread inside a batch transaction; resolves once committed.
    fn write<T, F>(&self, rule: F) -> BoxFut<'_, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Lite<'c>) -> BoxFut<'c, Result<T, StoreError>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Job {
            rule: Some(rule),
            result: None,
            reply,
            db: self.name.clone(),
        });
        let sent = self.writer.send(job);
        Box::pin(async move {
            let gone = || StoreError::WriterGone {
                db: self.name.clone(),
            };
            if sent.is_err() {
                return Err(gone());
            }
            answer.await.unwrap_or_else(|_| Err(gone()))
        })
    }
}

fn writer_loop(conn: &Mutex<Connection>, rx: &mpsc::Receiver<Box<dyn WriteJob>>, db: &str) {
    let lite = Lite { conn, db };
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let outcome = run_batch(&lite, &mut jobs);
        if outcome.is_err() {
            // Leave no transaction open behind a failed batch (ignore "no transaction").
            let _ = lite.conn().execute_batch("ROLLBACK");
        }
        for job in jobs {
            job.finish(outcome.clone());
        }
    }
    // All senders dropped: the store is gone. The connection closes with the thread.
}

fn run_batch(lite: &Lite<'_>, jobs: &mut [Box<dyn WriteJob>]) -> Result<(), String> {
    let batch = |sql: &str, what: &str| {
        lite.conn()
            .execute_batch(sql)
            .map_err(|e| format!("{what}: {e}"))
    };
    batch("BEGIN IMMEDIATE", "cannot begin")?;
    for job in jobs.iter_mut() {
        batch("SAVEPOINT job", "savepoint")?;
        if job.run(lite) {
            batch("RELEASE job", "release")?;
        } else {
            batch("ROLLBACK TO job; RELEASE job", "rollback to savepoint")?;
        }
    }
    batch("COMMIT", "commit")
}
