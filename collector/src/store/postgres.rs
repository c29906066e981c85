//! PostgreSQL backend, for a Département-wide server that several workshops share.
//!
//! tokio-postgres (async, pipelined) behind a deadpool connection pool; no TLS: the database is
//! expected on the same host or a trusted network (use a unix socket: `postgres://user@%2Frun%2Fpostgresql/db`).
//!
//! Durability: each upload is one transaction, and the 2xx goes out only after COMMIT returned.
//! Every connection sets `synchronous_commit = on`, so COMMIT waits for the WAL flush whatever the
//! server's default — an acknowledged certificate survives a crash of PostgreSQL or of the
//! machine (unless the server itself runs with `fsync = off`, which the collector refuses).
//! Concurrent uploads of one certificate are settled by the unique keys (`ON CONFLICT DO
//! NOTHING`, then a look at what won), not by locks held across requests.
//!
//! The rules themselves are `rules.rs`'s, the same as SQLite's; this file only gives them a
//! pooled connection for reads and a transaction of their own for writes ([`Pg`]).

use std::sync::atomic::{AtomicBool, Ordering};

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use super::rules::{self, Backend, Db, Mapper};
use super::sql::{self, Dialect, Param, pg};
use super::{BoxFut, StoreError};

/// Connections kept open (requests beyond wait for one).
const POOL_SIZE: usize = 16;

/// Serializes schema creation between collectors starting at once (any constant will do).
const SCHEMA_LOCK: i64 = 0x0052_4550_5249_5345;

sql::cells_through!(tokio_postgres::Row, try_get);

type PgParam = Box<dyn ToSql + Sync + Send>;

fn to_pg(params: &[Param]) -> Vec<PgParam> {
    params
        .iter()
        .map(|p| -> PgParam {
            match p {
                Param::Text(s) => Box::new(s.clone()),
                Param::OptText(s) => Box::new(s.clone()),
                Param::Int(i) => Box::new(*i),
                Param::OptInt(i) => Box::new(*i),
                Param::Bytes(b) => Box::new(b.clone()),
            }
        })
        .collect()
}

fn refs(params: &[PgParam]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// The URL with its password replaced, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = rest
        .split_once('/')
        .map_or((rest, None), |(a, t)| (a, Some(t)));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    match tail {
        Some(t) => format!("{scheme}://{authority}/{t}"),
        None => format!("{scheme}://{authority}"),
    }
}

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    name: String,
    pool: Pool,
}

/// What a rule sees of PostgreSQL: a pooled connection (reads) or a transaction (writes), and
/// the database's name.
#[derive(Debug)]
pub struct Pg<'c, C> {
    c: &'c C,
    db: &'c str,
    /// Whether a statement changed something. A write that changed nothing (a duplicate upload,
    /// a refusal) is rolled back rather than committed: its row locks may have given it a
    /// transaction id, and a COMMIT would then wait for a WAL flush for nothing.
    changed: AtomicBool,
}

impl<'c, C> Pg<'c, C> {
    fn new(c: &'c C, db: &'c str) -> Self {
        Pg {
            c,
            db,
            changed: AtomicBool::new(false),
        }
    }
}

impl<C: GenericClient> Db for Pg<'_, C> {
    const DIALECT: Dialect = Dialect::Postgres;

    fn name(&self) -> &str {
        self.db
    }

    async fn rows<T: Send + 'static>(
        &self,
        sql: &str,
        params: &[Param],
        map: Mapper<T>,
    ) -> Result<Vec<T>, StoreError> {
        let err = |e| StoreError::query(self.db, sql, e);
        let stmt = self.c.prepare_cached(&pg(sql)).await.map_err(err)?;
        let owned = to_pg(params);
        let found = self.c.query(&stmt, &refs(&owned)).await.map_err(err)?;
        found
            .iter()
            .map(|r| map(r).map_err(|e| StoreError::query(self.db, sql, e)))
            .collect()
    }

    async fn exec(&self, sql: &str, params: &[Param]) -> Result<u64, StoreError> {
        let err = |e| StoreError::query(self.db, sql, e);
        let stmt = self.c.prepare_cached(&pg(sql)).await.map_err(err)?;
        let owned = to_pg(params);
        let n = self.c.execute(&stmt, &refs(&owned)).await.map_err(err)?;
        if n > 0 {
            self.changed.store(true, Ordering::Relaxed);
        }
        Ok(n)
    }

    async fn batch(&self, sql: &str, what: &str) -> Result<(), StoreError> {
        self.changed.store(true, Ordering::Relaxed);
        self.c
            .batch_execute(sql)
            .await
            .map_err(|e| StoreError::query(self.db, what, e))
    }
}

impl PgStore {
    /// Connects, checks the server is durable, and creates the schema if needed.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        PgStore::open_as(url, false).await
    }

    /// [`PgStore::open`], or when `to_read` only checks that the database holds this
    /// collector's schema (nothing created or migrated: another workshop's database).
    pub async fn open_as(url: &str, to_read: bool) -> Result<PgStore, StoreError> {
        let name = redact(url);
        let open_err = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
            db: name.clone(),
            source: e,
        };
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| open_err(Box::new(e)))?;
        // COMMIT must wait for the WAL flush, whatever the server's default.
        let options = match config.get_options() {
            Some(o) => format!("{o} -c synchronous_commit=on"),
            None => "-c synchronous_commit=on".to_string(),
        };
        config.options(&options);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| open_err(Box::new(e)))?;
        let store = PgStore {
            name: name.clone(),
            pool,
        };
        let fsync = store
            .read(|c| Box::pin(c.rows("SHOW fsync", &[], |r| r.text(0))))
            .await?;
        if fsync.first().map(String::as_str) != Some("on") {
            return Err(open_err(
                "the server runs with fsync off: acknowledged certificates could be lost".into(),
            ));
        }
        if to_read {
            store
                .read(|c| Box::pin(async move { rules::check_schema(c).await }))
                .await?;
            return Ok(store);
        }
        store
            .write(|tx| {
                Box::pin(async move {
                    tx.exec(
                        "SELECT pg_advisory_xact_lock(?1)",
                        &[Param::Int(SCHEMA_LOCK)],
                    )
                    .await?;
                    rules::prepare_schema(tx).await
                })
            })
            .await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(|e| StoreError::Open {
            db: self.name.clone(),
            source: Box::new(e),
        })
    }
}

impl Backend for PgStore {
    type Reader<'c> = Pg<'c, deadpool_postgres::Client>;
    type Writer<'c> = Pg<'c, deadpool_postgres::Transaction<'c>>;

    fn db_name(&self) -> &str {
        &self.name
    }

    /// Runs `rule` on a pooled connection, outside any transaction.
    fn read<T, F>(&self, rule: F) -> BoxFut<'_, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Self::Reader<'c>) -> BoxFut<'c, Result<T, StoreError>>
            + Send
            + 'static,
    {
        Box::pin(async move {
            let client = self.client().await?;
            rule(&Pg::new(&client, &self.name)).await
        })
    }

    /// Runs `rule` in a transaction of its own, committed (the WAL flushed) before the future
    /// resolves; a rule's error, or a rule that changed nothing, rolls it back.
    fn write<T, F>(&self, rule: F) -> BoxFut<'_, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Self::Writer<'c>) -> BoxFut<'c, Result<T, StoreError>>
            + Send
            + 'static,
    {
        Box::pin(async move {
            let db = &self.name;
            let mut client = self.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(|e| StoreError::query(db, "begin", e))?;
            let pg = Pg::new(&tx, db);
            let out = rule(&pg).await?;
            if !pg.changed.into_inner() {
                // Dropping the transaction rolls it back.
                return Ok(out);
            }
            tx.commit().await.map_err(|e| StoreError::Commit {
                db: db.clone(),
                message: crate::util::error_chain(&e),
            })?;
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://reprise:s3cret@db.example:5432/reprise"),
            "postgres://reprise:***@db.example:5432/reprise"
        );
        assert_eq!(
            redact("postgres://reprise@127.0.0.1:5433/r"),
            "postgres://reprise@127.0.0.1:5433/r"
        );
        assert_eq!(redact("postgresql://h"), "postgresql://h");
    }
}
