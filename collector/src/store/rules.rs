//! The store's rules, written once for SQLite and PostgreSQL: [`Store`] is implemented here for
//! every [`Backend`], over the few primitives a backend's connection offers ([`Db`]).
//!
//! What a store enforces lives only here: an upload's key must be enrolled and not revoked in
//! the same transaction as the insert; the digest makes uploads idempotent; one certificate per
//! id and station, a second one being a conflict; which refusal each case gets; station names
//! and keys unique; PXE tokens used once, by one key, before they expire, and a cap on those
//! minted per MAC; users, sessions, marks; images (a name and version taken once, removal
//! keeping the record); the schema version and its migrations. A backend decides only how a rule runs: on which connection, in which
//! transaction (SQLite: a savepoint of the writer thread's group commit; PostgreSQL: a
//! transaction of its own), with which placeholders and value types.
//!
//! The rules are `async` because PostgreSQL's driver is; SQLite's primitives complete before
//! they return, so a SQLite rule finishes in one poll on the thread that runs it.

use std::future::Future;

use super::sql::{self, CellError, Cells, Dialect, Lock, Param};
use super::{
    BoxFut, CertRow, Conflict, DiskRow, EnrollToken, Event, EventRecord, Filter, Forgotten, Image,
    Insert, LaptopFilter, LaptopLife, ListRow, Lot, LotImport, Mark, NewCertificate, NewLaptop,
    NewLot, NewRecord, RecordInsert, Session, Station, StationSummary, StatsRow, Store, StoreError,
    StoredCertificate, StoredRecord, TokenEnroll,
};

/// Turns one result row into a value. A plain function (no captures): rules map rows with the
/// mappers of `sql.rs`, and a backend may hold the mapper across an `.await`.
pub type Mapper<T> = fn(&dyn Cells) -> Result<T, CellError>;

/// What a rule may do with the database: a connection or a transaction of one backend.
///
/// `Sync`, and every future `Send`, so that a rule's future is `Send` whatever the backend: the
/// server's handlers need that for PostgreSQL.
pub trait Db: Sync {
    const DIALECT: Dialect;

    /// How the database is named in messages.
    fn name(&self) -> &str;

    /// Every row `sql` returns, each through `map`.
    fn rows<T: Send + 'static>(
        &self,
        sql: &str,
        params: &[Param],
        map: Mapper<T>,
    ) -> impl Future<Output = Result<Vec<T>, StoreError>> + Send;

    /// Runs `sql`; the number of rows it changed.
    fn exec(
        &self,
        sql: &str,
        params: &[Param],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Runs several statements without parameters (`what` names them in an error).
    fn batch(&self, sql: &str, what: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// How a backend runs rules: reads on a connection that sees committed data, writes in a
/// transaction that is durable once the returned future resolves with `Ok` (a rule's `Err`
/// leaves nothing of it behind).
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// What a read rule gets.
    type Reader<'c>: Db;
    /// What a write rule gets: one transaction, or one savepoint of one.
    type Writer<'c>: Db;

    /// How the database is named in messages.
    fn db_name(&self) -> &str;

    fn read<T, F>(&self, rule: F) -> BoxFut<'_, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Self::Reader<'c>) -> BoxFut<'c, Result<T, StoreError>>
            + Send
            + 'static;

    fn write<T, F>(&self, rule: F) -> BoxFut<'_, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Self::Writer<'c>) -> BoxFut<'c, Result<T, StoreError>>
            + Send
            + 'static;
}

/// The first row `sql` returns, if any.
async fn first<C: Db, T: Send + 'static>(
    c: &C,
    sql: &str,
    params: &[Param],
    map: Mapper<T>,
) -> Result<Option<T>, StoreError> {
    Ok(c.rows(sql, params, map).await?.into_iter().next())
}

/// The first column of the first row, `None` when there is no row or it is NULL.
async fn one_text<C: Db>(c: &C, sql: &str, params: &[Param]) -> Result<Option<String>, StoreError> {
    Ok(first(c, sql, params, |r| r.opt_text(0)).await?.flatten())
}

async fn station_by(c: &impl Db, sql: &str, key: &str) -> Result<Option<Station>, StoreError> {
    first(c, sql, &[Param::Text(key.to_string())], sql::station).await
}

/// Creates the tables if needed, migrates an older schema and checks or records the schema
/// version, in the caller's transaction (which the backend serializes between collectors
/// starting at once): a migration that fails leaves the database as it was.
pub async fn prepare_schema<C: Db>(c: &C) -> Result<(), StoreError> {
    let schema = sql::schema(C::DIALECT);
    c.batch(&schema, "cannot create the schema").await?;
    let version = first(c, sql::READ_SCHEMA_VERSION, &[], |r| r.opt_int(0))
        .await?
        .flatten();
    let Some(mut version) = version else {
        c.exec(
            sql::RECORD_SCHEMA_VERSION,
            &[Param::Int(sql::SCHEMA_VERSION)],
        )
        .await?;
        return Ok(());
    };
    while version < sql::SCHEMA_VERSION {
        let Some(steps) = sql::migration(version, C::DIALECT) else {
            break;
        };
        let what = format!("cannot migrate the schema from version {version}");
        c.batch(&steps, &what).await?;
        c.batch(&schema, &what).await?;
        version += 1;
        c.exec(sql::RECORD_SCHEMA_VERSION, &[Param::Int(version)])
            .await?;
    }
    if version == sql::SCHEMA_VERSION {
        Ok(())
    } else {
        Err(StoreError::SchemaVersion {
            db: c.name().to_string(),
            found: version,
            known: sql::SCHEMA_VERSION,
        })
    }
}

/// Checks, without creating or migrating anything, that the database holds this collector's
/// schema version (a database opened only to be read: `store::open_to_read`).
pub async fn check_schema<C: Db>(c: &C) -> Result<(), StoreError> {
    let found = first(c, sql::READ_SCHEMA_VERSION, &[], |r| r.opt_int(0))
        .await?
        .flatten()
        .unwrap_or(0);
    if found == sql::SCHEMA_VERSION {
        Ok(())
    } else {
        Err(StoreError::SchemaVersion {
            db: c.name().to_string(),
            found,
            known: sql::SCHEMA_VERSION,
        })
    }
}

/// Enrols a station: its key must be neither a key nor a name already enrolled, and its name
/// neither (`revoke` takes either, so the two never overlap).
async fn enroll(c: &impl Db, station: Station) -> Result<(), StoreError> {
    if let Some(s) = station_by(c, sql::STATION_BY_NAME_OR_KEY, &station.key_id).await? {
        return Err(StoreError::Exists {
            db: c.name().to_string(),
            what: "station key",
            name: format!("{} (station {})", s.key_id, s.name),
        });
    }
    if station_by(c, sql::STATION_BY_NAME_OR_KEY, &station.name)
        .await?
        .is_some()
    {
        return Err(StoreError::Exists {
            db: c.name().to_string(),
            what: "station",
            name: station.name,
        });
    }
    c.exec(sql::INSERT_STATION, &sql::station_params(&station))
        .await?;
    Ok(())
}

/// Revokes by name or key id (a revocation stands: revoking again keeps the first date).
async fn revoke(c: &impl Db, name_or_key: String, at: String) -> Result<Station, StoreError> {
    let not_found = |name| StoreError::NotFound {
        db: c.name().to_string(),
        what: "station",
        name,
    };
    let Some(s) = station_by(c, sql::STATION_BY_NAME_OR_KEY, &name_or_key).await? else {
        return Err(not_found(name_or_key));
    };
    c.exec(
        sql::REVOKE,
        &[Param::Text(s.key_id.clone()), Param::Text(at)],
    )
    .await?;
    station_by(c, sql::STATION_BY_KEY, &s.key_id)
        .await?
        .ok_or_else(|| not_found(name_or_key))
}

/// Stores a certificate if its key is enrolled and not revoked, checked in the same
/// transaction. The insert comes first and does nothing when the digest, or the id for this
/// station, is already stored (perhaps by a concurrent upload, which PostgreSQL's ON CONFLICT
/// waited for); what is there then says which. Ids are unique per station: another station's
/// certificate never stands in the way.
async fn insert(c: &impl Db, cert: NewCertificate) -> Result<Insert, StoreError> {
    let NewCertificate { row, disks, body } = cert;
    let status = sql::locked(sql::STATION_STATUS, Lock::Share, Dialect::of(c));
    let key = [Param::Text(row.station_key_id.clone())];
    match first(c, &status, &key, |r| r.opt_text(0)).await? {
        None => return Ok(Insert::UnknownKey),
        Some(Some(revoked_at)) => return Ok(Insert::RevokedKey { revoked_at }),
        Some(None) => {}
    }
    if c.exec(sql::INSERT_CERTIFICATE, &sql::cert_params(&row, body))
        .await?
        == 0
    {
        let digest = [Param::Text(row.digest.clone())];
        if one_text(c, sql::DIGEST_EXISTS, &digest).await?.is_some() {
            return Ok(Insert::Duplicate);
        }
        let id = [
            Param::Text(row.station_key_id.clone()),
            Param::Text(row.id.clone()),
        ];
        return match one_text(c, sql::DIGEST_OF_ID, &id).await? {
            Some(existing_digest) => Ok(Insert::IdConflict { existing_digest }),
            None => Err(StoreError::Commit {
                db: c.name().to_string(),
                message: format!("certificate {} neither inserted nor found", row.id),
            }),
        };
    }
    for d in &disks {
        c.exec(sql::INSERT_DISK, &sql::disk_params(&row.digest, d))
            .await?;
    }
    Ok(Insert::Created)
}

/// Stores a refurbishment record under the certificate rules (key enrolled and not revoked in
/// the same transaction, idempotent on the digest, one record per id and station) and one more:
/// the certificate it follows must be stored, from the same station under the id it names. A
/// record without its certificate would be a claim about a laptop nobody can look up.
async fn insert_record(c: &impl Db, record: NewRecord) -> Result<RecordInsert, StoreError> {
    let NewRecord { row, body } = record;
    let stored = |i| Ok(RecordInsert::Stored(i));
    let status = sql::locked(sql::STATION_STATUS, Lock::Share, Dialect::of(c));
    let key = [Param::Text(row.station_key_id.clone())];
    match first(c, &status, &key, |r| r.opt_text(0)).await? {
        None => return stored(Insert::UnknownKey),
        Some(Some(revoked_at)) => return stored(Insert::RevokedKey { revoked_at }),
        Some(None) => {}
    }
    let certificate_id = row.id.strip_suffix("-r").unwrap_or(&row.id).to_string();
    let named = [
        Param::Text(row.certificate_digest.clone()),
        Param::Text(row.station_key_id.clone()),
        Param::Text(certificate_id),
    ];
    if one_text(c, sql::CERTIFICATE_OF_RECORD, &named)
        .await?
        .is_none()
    {
        return Ok(RecordInsert::NoCertificate);
    }
    if c.exec(sql::INSERT_RECORD, &sql::record_params(&row, body))
        .await?
        > 0
    {
        return stored(Insert::Created);
    }
    let digest = [Param::Text(row.digest.clone())];
    if one_text(c, sql::RECORD_DIGEST_EXISTS, &digest)
        .await?
        .is_some()
    {
        return stored(Insert::Duplicate);
    }
    let id = [
        Param::Text(row.station_key_id.clone()),
        Param::Text(row.id.clone()),
    ];
    match one_text(c, sql::RECORD_DIGEST_OF_ID, &id).await? {
        Some(existing_digest) => stored(Insert::IdConflict { existing_digest }),
        None => Err(StoreError::Commit {
            db: c.name().to_string(),
            message: format!("record {} neither inserted nor found", row.id),
        }),
    }
}

/// An image's name and version are taken once: a removed one's too (a version names one
/// content forever, and records that name it keep meaning it).
async fn add_image(c: &impl Db, image: Image) -> Result<(), StoreError> {
    if c.exec(sql::INSERT_IMAGE, &sql::image_params(&image))
        .await?
        == 0
    {
        return Err(StoreError::Exists {
            db: c.name().to_string(),
            what: "image",
            name: format!("{} {}", image.name, image.version),
        });
    }
    Ok(())
}

/// The image `name` `version`, or without a version the latest added one not removed.
async fn image_by(
    c: &impl Db,
    name: String,
    version: Option<String>,
) -> Result<Option<Image>, StoreError> {
    match version {
        Some(v) => {
            first(
                c,
                &sql::image_version(),
                &[Param::Text(name), Param::Text(v)],
                sql::image,
            )
            .await
        }
        None => first(c, &sql::image_latest(), &[Param::Text(name)], sql::image).await,
    }
}

/// Marks an image removed; its record stays. `NotFound` for an unknown or already removed one.
async fn remove_image(
    c: &impl Db,
    name: String,
    version: Option<String>,
    at: String,
) -> Result<Image, StoreError> {
    let what = match &version {
        Some(v) => format!("{name} {v}"),
        None => name.clone(),
    };
    let not_found = |what| StoreError::NotFound {
        db: c.name().to_string(),
        what: "image (not removed)",
        name: what,
    };
    let Some(image) = image_by(c, name, version).await? else {
        return Err(not_found(what));
    };
    let params = [
        Param::Text(image.name.clone()),
        Param::Text(image.version.clone()),
        Param::Text(at),
    ];
    if c.exec(sql::REMOVE_IMAGE, &params).await? == 0 {
        return Err(not_found(what));
    }
    Ok(image)
}

/// `user add` on an existing name sets a new password and keeps the user.
async fn add_user(
    c: &impl Db,
    name: String,
    password_hash: String,
    at: String,
) -> Result<(), StoreError> {
    let exists = one_text(c, sql::USER_EXISTS, &[Param::Text(name.clone())])
        .await?
        .is_some();
    if exists {
        c.exec(
            sql::UPDATE_USER,
            &[Param::Text(name), Param::Text(password_hash)],
        )
        .await?;
    } else {
        c.exec(
            sql::INSERT_USER,
            &[
                Param::Text(name),
                Param::Text(password_hash),
                Param::Text(at),
            ],
        )
        .await?;
    }
    Ok(())
}

/// A new session; expired ones go at the same time.
async fn create_session(
    c: &impl Db,
    token_hash: String,
    session: Session,
) -> Result<(), StoreError> {
    c.exec(
        sql::DELETE_EXPIRED_SESSIONS,
        &[Param::Text(crate::util::now())],
    )
    .await?;
    c.exec(
        sql::INSERT_SESSION,
        &[
            Param::Text(token_hash),
            Param::Text(session.user),
            Param::Text(session.expires_at),
        ],
    )
    .await?;
    Ok(())
}

/// A new token, unless `cap` tokens were already minted since `since` for the same MAC (for
/// the same address when there is no MAC); unused expired ones go at the same time. True when
/// the token was stored.
async fn issue_token(
    c: &impl Db,
    token: EnrollToken,
    cap: u32,
    since: String,
) -> Result<bool, StoreError> {
    c.exec(
        sql::DELETE_EXPIRED_TOKENS,
        &[Param::Text(token.created_at.clone())],
    )
    .await?;
    if let Some(serialize) = sql::one_at_a_time(Dialect::of(c)) {
        c.exec(serialize, &[Param::Int(sql::TOKEN_LOCK)]).await?;
    }
    let minted = first(
        c,
        sql::TOKENS_MINTED_SINCE,
        &[
            Param::OptText(token.mac.clone()),
            Param::Text(since),
            Param::Text(token.client_ip.clone()),
        ],
        |r| r.int(0),
    )
    .await?
    .unwrap_or(0);
    if minted >= i64::from(cap) {
        return Ok(false);
    }
    c.exec(
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
    .await?;
    Ok(true)
}

/// A PXE enrolment: the token must be known and unexpired, and unused — or used by this very
/// key (a retried request, answered with the station as enrolled). The token row is locked, so
/// two enrolments with one token settle one after the other.
async fn enroll_with_token(
    c: &impl Db,
    token_hash: String,
    station: Station,
) -> Result<TokenEnroll, StoreError> {
    let token = sql::locked(sql::TOKEN, Lock::Update, Dialect::of(c));
    let found = first(c, &token, &[Param::Text(token_hash.clone())], |r| {
        Ok((
            r.opt_text(0)?,
            r.text(1)?,
            r.text(2)?,
            r.text(3)?,
            r.opt_text(4)?,
        ))
    })
    .await?;
    let Some((mac, ip, site, expires_at, used_by)) = found else {
        return Ok(TokenEnroll::Refused("unknown token"));
    };
    let existing = station_by(c, sql::STATION_BY_KEY, &station.key_id).await?;
    match used_by {
        Some(key) if key == station.key_id => {
            return existing
                .map(TokenEnroll::Again)
                .ok_or_else(|| StoreError::NotFound {
                    db: c.name().to_string(),
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
    if existing.is_some() {
        return Ok(TokenEnroll::Refused("key already enrolled"));
    }
    if station_by(c, sql::STATION_BY_NAME_OR_KEY, &station.name)
        .await?
        .is_some()
    {
        return Ok(TokenEnroll::Refused("station name taken"));
    }
    let station = Station {
        site,
        note: Some(sql::pxe_note(mac.as_deref(), &ip)),
        ..station
    };
    c.exec(sql::INSERT_STATION, &sql::station_params(&station))
        .await?;
    c.exec(
        sql::USE_TOKEN,
        &[Param::Text(token_hash), Param::Text(station.key_id.clone())],
    )
    .await?;
    Ok(TokenEnroll::Enrolled(station))
}

/// Certificates matching `filter`, newest first: (total count, rows `offset..offset+limit`).
async fn search(
    c: &impl Db,
    filter: Filter,
    offset: u64,
    limit: u64,
) -> Result<(u64, Vec<ListRow>), StoreError> {
    let mut params = Vec::new();
    let w = filter.where_clause(&mut params);
    let count = first(c, &sql::search_count(&w), &params, |r| r.int(0))
        .await?
        .unwrap_or(0);
    let page_sql = sql::search_page(&w, params.len());
    params.push(Param::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
    params.push(Param::Int(i64::try_from(offset).unwrap_or(i64::MAX)));
    let list = c
        .rows(&page_sql, &params, |r| {
            Ok(ListRow {
                row: sql::cert_row(r)?,
                station_name: r.opt_text(sql::CERT_NCOLS)?,
                lot: r.opt_text(sql::CERT_NCOLS + 1)?,
            })
        })
        .await?;
    Ok((u64::try_from(count).unwrap_or(0), list))
}

/// A lot and its laptops, all or nothing: the lot's name and every serial must be free (the
/// file's duplicates are the caller's to refuse, with their lines). Concurrent imports of one
/// serial settle on its primary key: the second fails whole.
async fn import_lot(
    c: &impl Db,
    lot: NewLot,
    laptops: Vec<NewLaptop>,
) -> Result<LotImport, StoreError> {
    if one_text(c, sql::LOT_EXISTS, &[Param::Text(lot.name.clone())])
        .await?
        .is_some()
    {
        return Ok(LotImport::LotExists);
    }
    let mut taken = Vec::new();
    for l in &laptops {
        if let Some(other) =
            one_text(c, sql::LOT_OF_SERIAL, &[Param::Text(l.serial.clone())]).await?
        {
            taken.push((l.line, l.serial.clone(), other));
        }
    }
    if !taken.is_empty() {
        return Ok(LotImport::SerialsTaken(taken));
    }
    c.exec(sql::INSERT_LOT, &sql::lot_params(&lot)).await?;
    for l in &laptops {
        c.exec(sql::INSERT_LAPTOP, &sql::laptop_params(&lot.name, l))
            .await?;
    }
    Ok(LotImport::Imported {
        laptops: u64::try_from(laptops.len()).unwrap_or(u64::MAX),
    })
}

/// The laptops of `filter` with their certificates and events: three queries, joined here.
async fn laptops(c: &impl Db, filter: LaptopFilter) -> Result<Vec<LaptopLife>, StoreError> {
    let mut params = Vec::new();
    let w = filter.where_clause(&mut params);
    let found = c.rows(&sql::laptops(&w), &params, sql::laptop).await?;
    let certs = c
        .rows(&sql::laptop_certificates(&w), &params, |r| {
            Ok((r.text(sql::CERT_NCOLS)?, sql::cert_row(r)?))
        })
        .await?;
    let events = c.rows(&sql::laptop_events(&w), &params, sql::event).await?;
    let mut lives: Vec<LaptopLife> = found
        .into_iter()
        .map(|laptop| LaptopLife {
            laptop,
            certificates: Vec::new(),
            events: Vec::new(),
        })
        .collect();
    let index: std::collections::HashMap<String, usize> = lives
        .iter()
        .enumerate()
        .map(|(i, l)| (l.laptop.laptop.serial.clone(), i))
        .collect();
    for (serial, cert) in certs {
        if let Some(&i) = index.get(&serial) {
            lives[i].certificates.push(cert);
        }
    }
    for e in events {
        if let Some(&i) = index.get(&e.serial) {
            lives[i].events.push(e);
        }
    }
    Ok(lives)
}

/// One laptop's life by serial (matched as laptops are keyed: trimmed, ASCII upper case).
async fn laptop(c: &impl Db, serial: &str) -> Result<Option<LaptopLife>, StoreError> {
    let key = super::serial_key(serial);
    let params = vec![Param::Text(key)];
    let w = " WHERE l.serial = ?1";
    let found = first(c, &sql::laptops(w), &params, sql::laptop).await?;
    let Some(laptop) = found else {
        return Ok(None);
    };
    let certificates = c
        .rows(&sql::laptop_certificates(w), &params, sql::cert_row)
        .await?;
    let events = c.rows(&sql::laptop_events(w), &params, sql::event).await?;
    Ok(Some(LaptopLife {
        laptop,
        certificates,
        events,
    }))
}

/// Appends an event: the laptop's row is locked, its life read and the rules checked
/// (`rules`: `life::check_event`) in the transaction that numbers and inserts the event, so two
/// events of one laptop are checked and numbered one after the other.
async fn record_event(
    c: &impl Db,
    event: Event,
    rules: super::EventRules,
) -> Result<EventRecord, StoreError> {
    let key = super::serial_key(&event.serial);
    let lock = sql::locked(sql::LAPTOP_FOR_EVENT, Lock::Update, Dialect::of(c));
    if one_text(c, &lock, &[Param::Text(key.clone())])
        .await?
        .is_none()
    {
        return Ok(EventRecord::NotInLot);
    }
    let Some(life) = laptop(c, &key).await? else {
        return Ok(EventRecord::NotInLot);
    };
    if let Err(refusal) = rules(&life, &event) {
        return Ok(EventRecord::Refused(refusal));
    }
    let seq = first(c, sql::NEXT_EVENT_SEQ, &[Param::Text(key.clone())], |r| {
        r.int(0)
    })
    .await?
    .unwrap_or(1);
    let event = Event {
        serial: key,
        seq,
        ..event
    };
    c.exec(sql::INSERT_EVENT, &sql::event_params(&event))
        .await?;
    Ok(EventRecord::Recorded(event))
}

impl Dialect {
    /// The dialect of `c`'s backend.
    fn of<C: Db>(_: &C) -> Dialect {
        C::DIALECT
    }
}

impl<B: Backend> Store for B {
    fn name(&self) -> &str {
        self.db_name()
    }

    fn enroll(&self, station: Station) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |c| Box::pin(enroll(c, station)))
    }

    fn stations(&self) -> BoxFut<'_, Result<Vec<StationSummary>, StoreError>> {
        self.read(|c| Box::pin(c.rows(sql::STATION_SUMMARIES, &[], sql::station_summary)))
    }

    fn station(&self, key_id: String) -> BoxFut<'_, Result<Option<Station>, StoreError>> {
        self.read(move |c| {
            Box::pin(async move { station_by(c, sql::STATION_BY_KEY, &key_id).await })
        })
    }

    fn revoke(&self, name_or_key: String, at: String) -> BoxFut<'_, Result<Station, StoreError>> {
        self.write(move |c| Box::pin(revoke(c, name_or_key, at)))
    }

    fn insert(&self, cert: NewCertificate) -> BoxFut<'_, Result<Insert, StoreError>> {
        self.write(move |c| Box::pin(insert(c, cert)))
    }

    fn record_conflict(&self, conflict: Conflict) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |c| {
            Box::pin(async move {
                c.exec(sql::INSERT_CONFLICT, &sql::conflict_params(&conflict))
                    .await
                    .map(|_| ())
            })
        })
    }

    fn conflicts(&self, key_id: String) -> BoxFut<'_, Result<Vec<Conflict>, StoreError>> {
        self.read(move |c| {
            Box::pin(async move {
                c.rows(sql::CONFLICTS_OF, &[Param::Text(key_id)], sql::conflict)
                    .await
            })
        })
    }

    fn certificate(
        &self,
        digest: String,
    ) -> BoxFut<'_, Result<Option<StoredCertificate>, StoreError>> {
        self.read(move |c| {
            Box::pin(async move {
                let by_digest = sql::certificate_by_digest();
                first(c, &by_digest, &[Param::Text(digest)], |r| {
                    Ok(StoredCertificate {
                        row: sql::cert_row(r)?,
                        body: r.bytes(sql::CERT_NCOLS)?,
                    })
                })
                .await
            })
        })
    }

    fn disks(&self, digest: String) -> BoxFut<'_, Result<Vec<DiskRow>, StoreError>> {
        self.read(move |c| {
            Box::pin(async move {
                c.rows(sql::DISKS_OF, &[Param::Text(digest)], sql::disk_row)
                    .await
            })
        })
    }

    fn insert_record(&self, record: NewRecord) -> BoxFut<'_, Result<RecordInsert, StoreError>> {
        self.write(move |c| Box::pin(insert_record(c, record)))
    }

    fn record_of(
        &self,
        certificate_digest: String,
    ) -> BoxFut<'_, Result<Option<StoredRecord>, StoreError>> {
        self.read(move |c| {
            Box::pin(async move {
                let sql = sql::record_by_certificate();
                first(
                    c,
                    &sql,
                    &[Param::Text(certificate_digest)],
                    sql::stored_record,
                )
                .await
            })
        })
    }

    fn search(
        &self,
        filter: Filter,
        offset: u64,
        limit: u64,
    ) -> BoxFut<'_, Result<(u64, Vec<ListRow>), StoreError>> {
        self.read(move |c| Box::pin(search(c, filter, offset, limit)))
    }

    fn station_certificates(&self, key_id: String) -> BoxFut<'_, Result<Vec<CertRow>, StoreError>> {
        self.read(move |c| {
            Box::pin(async move {
                let of_station = sql::station_certificates();
                c.rows(&of_station, &[Param::Text(key_id)], sql::cert_row)
                    .await
            })
        })
    }

    fn stats_rows(&self, filter: Filter) -> BoxFut<'_, Result<Vec<StatsRow>, StoreError>> {
        self.read(move |c| {
            Box::pin(async move {
                let mut params = Vec::new();
                let w = filter.where_clause(&mut params);
                c.rows(&sql::stats_rows(&w), &params, sql::stats_row).await
            })
        })
    }

    fn sites(&self) -> BoxFut<'_, Result<Vec<String>, StoreError>> {
        self.read(|c| Box::pin(c.rows(sql::SITES, &[], |r| r.text(0))))
    }

    fn add_user(
        &self,
        name: String,
        password_hash: String,
        at: String,
    ) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |c| Box::pin(add_user(c, name, password_hash, at)))
    }

    fn password_hash(&self, name: String) -> BoxFut<'_, Result<Option<String>, StoreError>> {
        self.read(move |c| {
            Box::pin(async move { one_text(c, sql::USER_HASH, &[Param::Text(name)]).await })
        })
    }

    fn create_session(
        &self,
        token_hash: String,
        session: Session,
    ) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |c| Box::pin(create_session(c, token_hash, session)))
    }

    fn session(
        &self,
        token_hash: String,
        now: String,
    ) -> BoxFut<'_, Result<Option<Session>, StoreError>> {
        self.read(move |c| {
            Box::pin(async move {
                let params = [Param::Text(token_hash), Param::Text(now)];
                first(c, sql::SESSION, &params, |r| {
                    Ok(Session {
                        user: r.text(0)?,
                        expires_at: r.text(1)?,
                    })
                })
                .await
            })
        })
    }

    fn delete_session(&self, token_hash: String) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |c| {
            Box::pin(async move {
                c.exec(sql::DELETE_SESSION, &[Param::Text(token_hash)])
                    .await
                    .map(|_| ())
            })
        })
    }

    fn import_lot(
        &self,
        lot: NewLot,
        laptops: Vec<NewLaptop>,
    ) -> BoxFut<'_, Result<LotImport, StoreError>> {
        self.write(move |c| Box::pin(import_lot(c, lot, laptops)))
    }

    fn lots(&self) -> BoxFut<'_, Result<Vec<Lot>, StoreError>> {
        self.read(|c| Box::pin(c.rows(sql::LOTS, &[], sql::lot)))
    }

    fn laptops(&self, filter: LaptopFilter) -> BoxFut<'_, Result<Vec<LaptopLife>, StoreError>> {
        self.read(move |c| Box::pin(laptops(c, filter)))
    }

    fn report(
        &self,
        filter: LaptopFilter,
        by_lot: bool,
    ) -> BoxFut<'_, Result<Vec<super::ReportRow>, StoreError>> {
        self.read(move |c| {
            Box::pin(async move {
                let mut params = Vec::new();
                let w = filter.where_clause(&mut params);
                let map: Mapper<super::ReportRow> = if by_lot {
                    |r| sql::report_row(r, true)
                } else {
                    |r| sql::report_row(r, false)
                };
                let mut rows = c.rows(&sql::report(&w, by_lot), &params, map).await?;
                // Name order as `report::rows` gives it (bytes, whatever the database's collation).
                rows.sort_by(|a, b| (&a.site, &a.lot).cmp(&(&b.site, &b.lot)));
                Ok(rows)
            })
        })
    }

    fn laptop(&self, serial: String) -> BoxFut<'_, Result<Option<LaptopLife>, StoreError>> {
        self.read(move |c| Box::pin(async move { laptop(c, &serial).await }))
    }

    fn record_event(
        &self,
        event: Event,
        rules: super::EventRules,
    ) -> BoxFut<'_, Result<EventRecord, StoreError>> {
        self.write(move |c| Box::pin(record_event(c, event, rules)))
    }

    fn forget_operators(
        &self,
        before: String,
        marker: String,
    ) -> BoxFut<'_, Result<Forgotten, StoreError>> {
        self.write(move |c| {
            Box::pin(async move {
                let p = [Param::Text(before), Param::Text(marker)];
                Ok(Forgotten {
                    certificates: c.exec(sql::FORGET_CERT_OPERATORS, &p).await?,
                    events: c.exec(sql::FORGET_EVENT_RECORDERS, &p).await?,
                    lots: c.exec(sql::FORGET_LOT_IMPORTERS, &p).await?,
                })
            })
        })
    }

    /// A mark replaces any earlier one of the same MAC or subnet.
    fn mark(&self, mark: Mark) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |c| {
            Box::pin(async move {
                let key = [
                    Param::Text(mark.kind.clone()),
                    Param::Text(mark.value.clone()),
                ];
                c.exec(sql::DELETE_MARK, &key).await?;
                c.exec(sql::INSERT_MARK, &sql::mark_params(&mark)).await?;
                Ok(())
            })
        })
    }

    fn unmark(&self, kind: String, value: String) -> BoxFut<'_, Result<bool, StoreError>> {
        self.write(move |c| {
            Box::pin(async move {
                let key = [Param::Text(kind), Param::Text(value)];
                Ok(c.exec(sql::DELETE_MARK, &key).await? > 0)
            })
        })
    }

    fn marks(&self) -> BoxFut<'_, Result<Vec<Mark>, StoreError>> {
        self.read(|c| Box::pin(c.rows(sql::MARKS, &[], sql::mark)))
    }

    fn add_image(&self, image: Image) -> BoxFut<'_, Result<(), StoreError>> {
        self.write(move |c| Box::pin(add_image(c, image)))
    }

    fn images(&self) -> BoxFut<'_, Result<Vec<Image>, StoreError>> {
        self.read(|c| {
            Box::pin(async move {
                let all = sql::images();
                c.rows(&all, &[], sql::image).await
            })
        })
    }

    fn image(
        &self,
        name: String,
        version: Option<String>,
    ) -> BoxFut<'_, Result<Option<Image>, StoreError>> {
        self.read(move |c| Box::pin(image_by(c, name, version)))
    }

    fn remove_image(
        &self,
        name: String,
        version: Option<String>,
        at: String,
    ) -> BoxFut<'_, Result<Image, StoreError>> {
        self.write(move |c| Box::pin(remove_image(c, name, version, at)))
    }

    fn issue_token(
        &self,
        token: EnrollToken,
        cap: u32,
        since: String,
    ) -> BoxFut<'_, Result<bool, StoreError>> {
        self.write(move |c| Box::pin(issue_token(c, token, cap, since)))
    }

    fn enroll_with_token(
        &self,
        token_hash: String,
        station: Station,
    ) -> BoxFut<'_, Result<TokenEnroll, StoreError>> {
        self.write(move |c| Box::pin(enroll_with_token(c, token_hash, station)))
    }
}
