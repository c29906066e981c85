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

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use super::sql::{self, CellError, Cells, Param, pg};
use super::*;

/// Connections kept open (requests beyond wait for one).
const POOL_SIZE: usize = 16;

/// Serializes schema creation between collectors starting at once (any constant will do).
const SCHEMA_LOCK: i64 = 0x0052_4550_5249_5345;

impl Cells for tokio_postgres::Row {
    fn text(&self, i: usize) -> Result<String, CellError> {
        Ok(self.try_get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, CellError> {
        Ok(self.try_get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64, CellError> {
        Ok(self.try_get(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, CellError> {
        Ok(self.try_get(i)?)
    }
}

type PgParam = Box<dyn ToSql + Sync + Send>;

fn to_pg(params: &[Param]) -> Vec<PgParam> {
    params
        .iter()
        .map(|p| -> PgParam {
            match p {
                Param::Text(s) => Box::new(s.clone()),
                Param::OptText(s) => Box::new(s.clone()),
                Param::Int(i) => Box::new(*i),
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

async fn rows<T, C: GenericClient + Sync>(
    c: &C,
    db: &str,
    sql: &str,
    params: &[Param],
    map: impl Fn(&tokio_postgres::Row) -> Result<T, CellError>,
) -> Result<Vec<T>, StoreError> {
    let text = pg(sql);
    let stmt = c
        .prepare_cached(&text)
        .await
        .map_err(|e| query_err(db, sql, e))?;
    let owned = to_pg(params);
    let found = c
        .query(&stmt, &refs(&owned))
        .await
        .map_err(|e| query_err(db, sql, e))?;
    found
        .iter()
        .map(|r| {
            map(r).map_err(|e| StoreError::Query {
                db: db.to_string(),
                what: sql.to_string(),
                source: e,
            })
        })
        .collect()
}

async fn exec<C: GenericClient + Sync>(
    c: &C,
    db: &str,
    sql: &str,
    params: &[Param],
) -> Result<u64, StoreError> {
    let text = pg(sql);
    let stmt = c
        .prepare_cached(&text)
        .await
        .map_err(|e| query_err(db, sql, e))?;
    let owned = to_pg(params);
    c.execute(&stmt, &refs(&owned))
        .await
        .map_err(|e| query_err(db, sql, e))
}

async fn one_text<C: GenericClient + Sync>(
    c: &C,
    db: &str,
    sql: &str,
    params: &[Param],
) -> Result<Option<String>, StoreError> {
    Ok(rows(c, db, sql, params, |r| r.opt_text(0))
        .await?
        .into_iter()
        .next()
        .flatten())
}

impl PgStore {
    /// Connects, checks the server is durable, and creates the schema if needed.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
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
        let mut client = store.client().await?;
        let fsync = one_text(&client, &name, "SHOW fsync", &[]).await?;
        if fsync.as_deref() != Some("on") {
            return Err(open_err(
                "the server runs with fsync off: acknowledged certificates could be lost".into(),
            ));
        }
        let tx = client
            .transaction()
            .await
            .map_err(|e| query_err(&name, "begin", e))?;
        exec(
            &tx,
            &name,
            "SELECT pg_advisory_xact_lock(?1)",
            &[Param::Int(SCHEMA_LOCK)],
        )
        .await
        .map(|_| ())?;
        tx.batch_execute(&sql::schema(sql::Dialect::Postgres))
            .await
            .map_err(|e| query_err(&name, "cannot create the schema", e))?;
        let version = rows(
            &tx,
            &name,
            "SELECT max(version) FROM reprise_schema",
            &[],
            |r| r.opt_int(0),
        )
        .await?
        .into_iter()
        .next()
        .flatten();
        match version {
            None => {
                exec(
                    &tx,
                    &name,
                    "INSERT INTO reprise_schema (version) VALUES (?1)",
                    &[Param::Int(sql::SCHEMA_VERSION)],
                )
                .await?;
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
        tx.commit()
            .await
            .map_err(|e| query_err(&name, "commit the schema", e))?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(|e| StoreError::Open {
            db: self.name.clone(),
            source: Box::new(e),
        })
    }

    async fn commit(&self, tx: deadpool_postgres::Transaction<'_>) -> Result<(), StoreError> {
        tx.commit().await.map_err(|e| StoreError::Commit {
            db: self.name.clone(),
            message: crate::util::error_chain(&e),
        })
    }
}

impl Store for PgStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn enroll(&self, station: Station) -> BoxFut<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let db = &self.name;
            let mut client = self.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(|e| query_err(db, "begin", e))?;
            let by_key = rows(
                &tx,
                db,
                sql::STATION_BY_KEY,
                &[Param::Text(station.key_id.clone())],
                sql::station,
            )
            .await?;
            if let Some(s) = by_key.first() {
                return Err(StoreError::Exists {
                    db: db.clone(),
                    what: "station key",
                    name: format!("{} (station {})", s.key_id, s.name),
                });
            }
            let by_name = rows(
                &tx,
                db,
                sql::STATION_BY_NAME_OR_KEY,
                &[Param::Text(station.name.clone())],
                sql::station,
            )
            .await?;
            if !by_name.is_empty() {
                return Err(StoreError::Exists {
                    db: db.clone(),
                    what: "station",
                    name: station.name.clone(),
                });
            }
            exec(&tx, db, sql::INSERT_STATION, &sql::station_params(&station)).await?;
            self.commit(tx).await
        })
    }

    fn stations(&self) -> BoxFut<'_, Result<Vec<StationSummary>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            rows(&client, &self.name, sql::STATION_SUMMARIES, &[], |r| {
                sql::station_summary(r)
            })
            .await
        })
    }

    fn station(&self, key_id: String) -> BoxFut<'_, Result<Option<Station>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            Ok(rows(
                &client,
                &self.name,
                sql::STATION_BY_KEY,
                &[Param::Text(key_id)],
                sql::station,
            )
            .await?
            .into_iter()
            .next())
        })
    }

    fn revoke(&self, name_or_key: String, at: String) -> BoxFut<'_, Result<Station, StoreError>> {
        Box::pin(async move {
            let db = &self.name;
            let mut client = self.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(|e| query_err(db, "begin", e))?;
            let found = rows(
                &tx,
                db,
                sql::STATION_BY_NAME_OR_KEY,
                &[Param::Text(name_or_key.clone())],
                sql::station,
            )
            .await?;
            let Some(s) = found.into_iter().next() else {
                return Err(StoreError::NotFound {
                    db: db.clone(),
                    what: "station",
                    name: name_or_key,
                });
            };
            exec(
                &tx,
                db,
                sql::REVOKE,
                &[Param::Text(s.key_id.clone()), Param::Text(at)],
            )
            .await?;
            let now = rows(
                &tx,
                db,
                sql::STATION_BY_KEY,
                &[Param::Text(s.key_id)],
                sql::station,
            )
            .await?
            .into_iter()
            .next();
            self.commit(tx).await?;
            now.ok_or_else(|| StoreError::NotFound {
                db: db.clone(),
                what: "station",
                name: name_or_key,
            })
        })
    }

    fn insert(&self, cert: NewCertificate) -> BoxFut<'_, Result<Insert, StoreError>> {
        Box::pin(async move {
            let db = &self.name;
            let row = &cert.row;
            let mut client = self.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(|e| query_err(db, "begin", e))?;
            // FOR SHARE: a revocation committing meanwhile waits for this upload, or wins.
            let status = rows(
                &tx,
                db,
                &format!("{} FOR SHARE", sql::STATION_STATUS),
                &[Param::Text(row.station_key_id.clone())],
                |r| r.opt_text(0),
            )
            .await?;
            match status.into_iter().next() {
                None => return Ok(Insert::UnknownKey),
                Some(Some(revoked_at)) => return Ok(Insert::RevokedKey { revoked_at }),
                Some(None) => {}
            }
            let text = pg(&sql::insert_certificate(" ON CONFLICT DO NOTHING"));
            let stmt = tx
                .prepare_cached(&text)
                .await
                .map_err(|e| query_err(db, "insert certificate", e))?;
            let mut owned = to_pg(&sql::cert_params(row));
            owned.push(Box::new(cert.body.clone()));
            let inserted = tx
                .execute(&stmt, &refs(&owned))
                .await
                .map_err(|e| query_err(db, "insert certificate", e))?;
            if inserted == 0 {
                // A row with this digest or this id exists (perhaps committed just now by a
                // concurrent upload, which ON CONFLICT waited for).
                let outcome = if one_text(
                    &tx,
                    db,
                    sql::DIGEST_EXISTS,
                    &[Param::Text(row.digest.clone())],
                )
                .await?
                .is_some()
                {
                    Insert::Duplicate
                } else {
                    match one_text(&tx, db, sql::DIGEST_OF_ID, &[Param::Text(row.id.clone())])
                        .await?
                    {
                        Some(existing_digest) => Insert::IdConflict { existing_digest },
                        None => {
                            return Err(StoreError::Commit {
                                db: db.clone(),
                                message: format!(
                                    "certificate {} neither inserted nor found",
                                    row.id
                                ),
                            });
                        }
                    }
                };
                return Ok(outcome);
            }
            for d in &cert.disks {
                exec(&tx, db, sql::INSERT_DISK, &sql::disk_params(&row.digest, d)).await?;
            }
            self.commit(tx).await?;
            Ok(Insert::Created)
        })
    }

    fn record_conflict(&self, conflict: Conflict) -> BoxFut<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let sql = format!("{}{}", sql::INSERT_CONFLICT, sql::INSERT_CONFLICT_SUFFIX);
            exec(&client, &self.name, &sql, &sql::conflict_params(&conflict))
                .await
                .map(|_| ())
        })
    }

    fn conflicts(&self, key_id: String) -> BoxFut<'_, Result<Vec<Conflict>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            rows(
                &client,
                &self.name,
                sql::CONFLICTS_OF,
                &[Param::Text(key_id)],
                sql::conflict,
            )
            .await
        })
    }

    fn certificate(
        &self,
        digest: String,
    ) -> BoxFut<'_, Result<Option<StoredCertificate>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            Ok(rows(
                &client,
                &self.name,
                &sql::certificate_by_digest(),
                &[Param::Text(digest)],
                |r| {
                    Ok(StoredCertificate {
                        row: sql::cert_row(r)?,
                        body: r.try_get(sql::CERT_NCOLS)?,
                    })
                },
            )
            .await?
            .into_iter()
            .next())
        })
    }

    fn disks(&self, digest: String) -> BoxFut<'_, Result<Vec<DiskRow>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            rows(
                &client,
                &self.name,
                sql::DISKS_OF,
                &[Param::Text(digest)],
                sql::disk_row,
            )
            .await
        })
    }

    fn search(
        &self,
        filter: Filter,
        offset: u64,
        limit: u64,
    ) -> BoxFut<'_, Result<(u64, Vec<ListRow>), StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let db = &self.name;
            let mut params = Vec::new();
            let w = filter.where_clause(&mut params);
            let count = rows(&client, db, &sql::search_count(&w), &params, |r| r.int(0))
                .await?
                .first()
                .copied()
                .unwrap_or(0);
            let page_sql = sql::search_page(&w, params.len());
            params.push(Param::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
            params.push(Param::Int(i64::try_from(offset).unwrap_or(i64::MAX)));
            let list = rows(&client, db, &page_sql, &params, |r| {
                Ok(ListRow {
                    row: sql::cert_row(r)?,
                    station_name: r.opt_text(sql::CERT_NCOLS)?,
                })
            })
            .await?;
            Ok((u64::try_from(count).unwrap_or(0), list))
        })
    }

    fn station_certificates(&self, key_id: String) -> BoxFut<'_, Result<Vec<CertRow>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            rows(
                &client,
                &self.name,
                &sql::station_certificates(),
                &[Param::Text(key_id)],
                sql::cert_row,
            )
            .await
        })
    }

    fn stats_rows(&self, filter: Filter) -> BoxFut<'_, Result<Vec<StatsRow>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let mut params = Vec::new();
            let w = filter.where_clause(&mut params);
            rows(
                &client,
                &self.name,
                &sql::stats_rows(&w),
                &params,
                sql::stats_row,
            )
            .await
        })
    }

    fn sites(&self) -> BoxFut<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            rows(&client, &self.name, sql::SITES, &[], |r| r.text(0)).await
        })
    }

    fn add_user(
        &self,
        name: String,
        password_hash: String,
        at: String,
    ) -> BoxFut<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let db = &self.name;
            let mut client = self.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(|e| query_err(db, "begin", e))?;
            let exists = one_text(&tx, db, sql::USER_EXISTS, &[Param::Text(name.clone())])
                .await?
                .is_some();
            if exists {
                exec(
                    &tx,
                    db,
                    sql::UPDATE_USER,
                    &[Param::Text(name), Param::Text(password_hash)],
                )
                .await?;
            } else {
                exec(
                    &tx,
                    db,
                    sql::INSERT_USER,
                    &[
                        Param::Text(name),
                        Param::Text(password_hash),
                        Param::Text(at),
                    ],
                )
                .await?;
            }
            self.commit(tx).await
        })
    }

    fn password_hash(&self, name: String) -> BoxFut<'_, Result<Option<String>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            one_text(&client, &self.name, sql::USER_HASH, &[Param::Text(name)]).await
        })
    }

    fn create_session(
        &self,
        token_hash: String,
        session: Session,
    ) -> BoxFut<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let db = &self.name;
            exec(
                &client,
                db,
                sql::DELETE_EXPIRED_SESSIONS,
                &[Param::Text(crate::util::now())],
            )
            .await?;
            exec(
                &client,
                db,
                sql::INSERT_SESSION,
                &[
                    Param::Text(token_hash),
                    Param::Text(session.user),
                    Param::Text(session.expires_at),
                ],
            )
            .await
            .map(|_| ())
        })
    }

    fn session(
        &self,
        token_hash: String,
        now: String,
    ) -> BoxFut<'_, Result<Option<Session>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            Ok(rows(
                &client,
                &self.name,
                sql::SESSION,
                &[Param::Text(token_hash), Param::Text(now)],
                |r| {
                    Ok(Session {
                        user: r.text(0)?,
                        expires_at: r.text(1)?,
                    })
                },
            )
            .await?
            .into_iter()
            .next())
        })
    }

    fn delete_session(&self, token_hash: String) -> BoxFut<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            exec(
                &client,
                &self.name,
                sql::DELETE_SESSION,
                &[Param::Text(token_hash)],
            )
            .await
            .map(|_| ())
        })
    }

    fn mark(&self, mark: Mark) -> BoxFut<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let db = &self.name;
            let mut client = self.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(|e| query_err(db, "begin", e))?;
            exec(
                &tx,
                db,
                sql::DELETE_MARK,
                &[
                    Param::Text(mark.kind.clone()),
                    Param::Text(mark.value.clone()),
                ],
            )
            .await?;
            exec(&tx, db, sql::INSERT_MARK, &sql::mark_params(&mark)).await?;
            self.commit(tx).await
        })
    }

    fn unmark(&self, kind: String, value: String) -> BoxFut<'_, Result<bool, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            exec(
                &client,
                &self.name,
                sql::DELETE_MARK,
                &[Param::Text(kind), Param::Text(value)],
            )
            .await
            .map(|n| n > 0)
        })
    }

    fn marks(&self) -> BoxFut<'_, Result<Vec<Mark>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            rows(&client, &self.name, sql::MARKS, &[], sql::mark).await
        })
    }

    fn issue_token(&self, token: EnrollToken) -> BoxFut<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let db = &self.name;
            exec(
                &client,
                db,
                sql::DELETE_EXPIRED_TOKENS,
                &[Param::Text(token.created_at.clone())],
            )
            .await?;
            exec(
                &client,
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
            .await
            .map(|_| ())
        })
    }

    fn enroll_with_token(
        &self,
        token_hash: String,
        station: Station,
    ) -> BoxFut<'_, Result<TokenEnroll, StoreError>> {
        Box::pin(async move {
            let db = &self.name;
            let mut client = self.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(|e| query_err(db, "begin", e))?;
            // FOR UPDATE: two enrolments with one token settle one after the other.
            let found = rows(
                &tx,
                db,
                &format!("{} FOR UPDATE", sql::TOKEN),
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
            )
            .await?;
            let Some((mac, ip, site, expires_at, used_by)) = found.into_iter().next() else {
                return Ok(TokenEnroll::Refused("unknown token"));
            };
            let existing = rows(
                &tx,
                db,
                sql::STATION_BY_KEY,
                &[Param::Text(station.key_id.clone())],
                sql::station,
            )
            .await?;
            match used_by {
                Some(key) if key == station.key_id => {
                    return existing
                        .into_iter()
                        .next()
                        .map(TokenEnroll::Again)
                        .ok_or_else(|| StoreError::NotFound {
                            db: db.clone(),
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
            let taken = rows(
                &tx,
                db,
                sql::STATION_BY_NAME_OR_KEY,
                &[Param::Text(station.name.clone())],
                sql::station,
            )
            .await?;
            if !taken.is_empty() {
                return Ok(TokenEnroll::Refused("station name taken"));
            }
            let station = Station {
                site,
                note: Some(sql::pxe_note(mac.as_deref(), &ip)),
                ..station
            };
            exec(&tx, db, sql::INSERT_STATION, &sql::station_params(&station)).await?;
            exec(
                &tx,
                db,
                sql::USE_TOKEN,
                &[Param::Text(token_hash), Param::Text(station.key_id.clone())],
            )
            .await?;
            self.commit(tx).await?;
            Ok(TokenEnroll::Enrolled(station))
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
