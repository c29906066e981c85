//! Storage of stations, certificates, web users and PXE marks, behind one small trait with two
//! backends: SQLite (one file, the embedded default) and PostgreSQL (a Département-wide server
//! that several workshops share). `--db` chooses: a `postgres://` (or `postgresql://`) URL is
//! PostgreSQL, anything else is the path of a SQLite file.
//!
//! The rules a store enforces — which key may upload, idempotency on the digest, one certificate
//! per id and station, conflicts, enrolment tokens (a cap per MAC), users, sessions, marks, and
//! what each case answers —
//! are written once (`rules.rs`) over a few database primitives, and run the same SQL (`sql.rs`,
//! written with `?N` placeholders that PostgreSQL gets as `$N`) on the same tables
//! (`sql::schema`, which differs only in two column types). A backend keeps only what truly
//! differs: connecting, how a rule gets a connection or a transaction, placeholders and types.
//! Every write that a caller is told succeeded is durable (see each backend for how).

pub mod postgres;
mod rules;
mod sql;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use sql::Filter;

/// A boxed `Send` future: the trait must be object-safe so one `Arc<dyn Store>` serves both
/// backends (one copy of the web code instead of one per backend).
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a storage operation failed. Every message names the database (path or URL without
/// password) so an operator knows which one.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {db}: cannot open")]
    Open {
        db: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("database {db}: {what}")]
    Query {
        db: String,
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("database {db}: commit failed: {message}")]
    Commit { db: String, message: String },
    #[error("database {db}: the writer thread has stopped")]
    WriterGone { db: String },
    #[error("database {db}: schema version {found}, this collector knows version {known}")]
    SchemaVersion { db: String, found: i64, known: i64 },
    #[error("database {db}: {what} {name:?} already exists")]
    Exists {
        db: String,
        what: &'static str,
        name: String,
    },
    #[error("database {db}: no {what} {name:?}")]
    NotFound {
        db: String,
        what: &'static str,
        name: String,
    },
    #[error("database {db}: stored value out of range in {what}")]
    Range { db: String, what: String },
    /// A SQLite rule waited on something: never expected, as every SQLite primitive completes
    /// before it returns (`sqlite::run_now`).
    #[error("database {db}: a query did not complete at once")]
    Stalled { db: String },
}

impl StoreError {
    /// A statement (`what`: its SQL, or what it was for) failed.
    fn query(
        db: &str,
        what: &str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError::Query {
            db: db.to_string(),
            what: what.to_string(),
            source: source.into(),
        }
    }
}

/// An enrolled station key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Station {
    /// `sha256:<hex of the raw public key>` (the fingerprint shown on the stick).
    pub key_id: String,
    pub name: String,
    pub site: String,
    /// Base64 of the 32-byte raw public key, as certificates carry it.
    pub public_key: String,
    /// SPKI PEM, as enrolled.
    pub public_key_pem: String,
    pub enrolled_at: String,
    pub revoked_at: Option<String>,
    /// "cli" (the operator compared the fingerprint) or "pxe" (a one-time PXE token).
    pub enrolled_via: String,
    /// For PXE enrolments: the MAC and IP address the token was given to.
    pub note: Option<String>,
}

/// A station with what the collector has received from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationSummary {
    pub station: Station,
    pub certificates: u64,
    /// Highest `chain.sequence` received, and when that certificate arrived.
    pub highest_sequence: Option<u64>,
    pub highest_received_at: Option<String>,
    pub last_received_at: Option<String>,
}

/// The indexed fields of a certificate, extracted from its verified content (`ingest.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRow {
    /// `sha256:<hex>` of the canonical content.
    pub digest: String,
    pub id: String,
    pub station_key_id: String,
    pub sequence: i64,
    pub previous_digest: Option<String>,
    pub issued_at: String,
    pub received_at: String,
    pub site: String,
    pub operator: String,
    pub organisation: Option<String>,
    pub vendor: Option<String>,
    pub product: Option<String>,
    /// SMBIOS version (Lenovo puts the marketing name there: "ThinkPad T480") or family.
    pub model_name: Option<String>,
    pub serial: Option<String>,
    /// Identity of the machine for statistics: serial, else UUID, else the certificate id.
    pub machine_key: String,
    /// "refurbish" or "recycle".
    pub decision: String,
    /// "A", "B" or "C".
    pub grade: String,
    pub disks: i64,
    pub disks_sanitized: i64,
    /// "sanitized" (every disk), "failed" (at least one not), "none" (no disk).
    pub result: String,
    pub language: String,
}

/// One sanitized disk of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskRow {
    pub index: i64,
    pub dev_path: String,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub capacity_bytes: i64,
    pub interface: String,
    pub media_type: String,
    pub level: String,
    pub method: String,
    pub verification: String,
    pub result: String,
    pub sanitized: bool,
    pub disposition: String,
}

/// A certificate to store: its exact bytes and its indexed fields.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub row: CertRow,
    pub disks: Vec<DiskRow>,
    pub body: Vec<u8>,
}

/// What happened to an upload. Only `Created` stored anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insert {
    Created,
    /// The same content (digest) is already stored: nothing changed.
    Duplicate,
    /// Another certificate with this id is stored (its digest): nothing stored.
    IdConflict {
        existing_digest: String,
    },
    UnknownKey,
    RevokedKey {
        revoked_at: String,
    },
}

/// A stored certificate: its row and its exact bytes.
#[derive(Debug, Clone)]
pub struct StoredCertificate {
    pub row: CertRow,
    pub body: Vec<u8>,
}

/// The indexed fields of a refurbishment record (`reprise_cert::refurbish`), extracted from its
/// verified content (`ingest::prepare_record`); the page reads the rest from its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    /// `sha256:<hex>` of the record's canonical content.
    pub digest: String,
    /// The certificate's id and `-r`.
    pub id: String,
    pub station_key_id: String,
    /// The digest of the certificate it follows (stored before it, same station).
    pub certificate_digest: String,
    pub issued_at: String,
    pub received_at: String,
    pub image_name: String,
    pub image_version: String,
}

/// A record to store: its exact bytes and its indexed fields.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub row: RecordRow,
    pub body: Vec<u8>,
}

/// A stored record: its row and its exact bytes.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub row: RecordRow,
    pub body: Vec<u8>,
}

/// What happened to a record upload. Only `Created` stored anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordInsert {
    /// Stored (or, with the other words of [`Insert`], as a certificate upload).
    Stored(Insert),
    /// The station has no certificate with the digest and id the record names.
    NoCertificate,
}

/// A refused upload of a second, different certificate with an id already stored (a fork of the
/// station's chain, or a re-issued certificate): kept so the station page can show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub station_key_id: String,
    pub certificate_id: String,
    pub digest: String,
    pub sequence: i64,
    pub received_at: String,
}

/// One line of the certificate list (and of the CSV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub row: CertRow,
    pub station_name: Option<String>,
    /// The lot whose inventory holds the certificate's machine serial, if any.
    pub lot: Option<String>,
}

/// PXE automatic mode for a machine (by MAC) or a rack (by subnet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// "mac" or "subnet".
    pub kind: String,
    /// Lower-case `aa:bb:cc:dd:ee:ff`, or a CIDR in canonical form.
    pub value: String,
    /// "clear" or "purge".
    pub mode: String,
    /// Site given to stations enrolled from this mark (optional).
    pub site: Option<String>,
    pub created_at: String,
    /// The OS image these machines deploy after a refurbish verdict (`reprise.deploy=NAME`):
    /// an image's name, its latest version at download time. Kept when the image is removed.
    pub image: Option<String>,
}

/// An OS image the collector keeps for the agents (`images.rs`). A removed image keeps its
/// record (`removed_at`), so that what names it can still say what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub name: String,
    pub version: String,
    /// The stored file's name inside the images directory.
    pub file: String,
    /// "zstd" (the stored file is a zstd frame sequence) or "none" (raw).
    pub compression: String,
    /// Bytes of the stored file (what a download sends).
    pub size: i64,
    /// Bytes once decompressed: what lands on the disk.
    pub raw_size: i64,
    /// Lower-case hex SHA-256 of the raw (decompressed) bytes.
    pub sha256: String,
    pub added_at: String,
    /// Who or what added it (`cli`, with the user name when known).
    pub added_by: String,
    /// The path it was added from.
    pub source: String,
    pub removed_at: Option<String>,
}

/// A web session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    pub expires_at: String,
}

/// A one-time PXE enrolment token, as issued in a `boot.ipxe` script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollToken {
    /// SHA-256 hex of the token (the token itself is never stored).
    pub token_hash: String,
    pub mac: Option<String>,
    pub client_ip: String,
    pub site: String,
    pub created_at: String,
    pub expires_at: String,
}

/// What a PXE enrolment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenEnroll {
    /// A new station was enrolled.
    Enrolled(Station),
    /// This token already enrolled this very key (a retried request).
    Again(Station),
    /// Unknown, expired or already used by another key.
    Refused(&'static str),
}

/// Columns of the statistics (one per certificate; aggregated in `web::stats`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsRow {
    pub site: String,
    pub issued_at: String,
    pub machine_key: String,
    pub decision: String,
    pub disks: i64,
    pub disks_sanitized: i64,
}

/// A lot: one delivery of laptops from a donor, imported from its inventory (`lot import`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLot {
    /// `[A-Za-z0-9._-]`, 1 to 64 characters: it is part of URLs.
    pub name: String,
    pub site: String,
    /// `YYYY-MM-DD`: the day the workshop received the laptops.
    pub received: String,
    /// The file it was imported from (its name only).
    pub source: String,
    pub imported_at: String,
    pub imported_by: String,
}

/// A stored lot and how many laptops it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    pub lot: NewLot,
    pub laptops: u64,
}

/// One line of a donor's inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLaptop {
    /// The line of the file it came from (1 is the header).
    pub line: u64,
    /// The SMBIOS serial, trimmed and in ASCII upper case (how certificates are matched).
    pub serial: String,
    pub asset_tag: Option<String>,
    pub model: Option<String>,
    pub purchase_year: Option<i64>,
    /// The inventory's other columns, as a JSON object of strings (header: value).
    pub extra: String,
}

/// A laptop of a lot, with its lot's site and reception date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Laptop {
    pub laptop: NewLaptop,
    pub lot: String,
    pub site: String,
    pub received: String,
}

/// What an import did. Only `Imported` stored anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LotImport {
    Imported {
        laptops: u64,
    },
    /// A lot of this name exists already.
    LotExists,
    /// Serials already in a lot: (line of the file, serial, lot that holds it).
    SerialsTaken(Vec<(u64, String, String)>),
}

/// One event of a laptop's life (append-only: a correction is a new event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub serial: String,
    /// 1, 2, ... per laptop, in the order they were recorded.
    pub seq: i64,
    /// "handed-over", "recycled" or "cancelled".
    pub kind: String,
    /// `YYYY-MM-DD`: when it happened (not when it was recorded).
    pub date: String,
    /// The kind's fields, a JSON object (partner, receipt; channel, weight_g, disks; note).
    pub fields: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// One row: a site, or a site and a lot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportRow {
    pub site: String,
    pub lot: Option<String>,
    /// Laptops per figure, in `crate::life::Figure::ALL`'s order.
    pub counts: [u64; 8],
    /// Handed over and recycled among laptops at most ten years old (the rate's terms).
    pub rate_handed_over: u64,
    pub rate_recycled: u64,
}

/// The rules an event must pass against the laptop's life, run in the store's transaction:
/// `Err` is why it is refused.
pub type EventRules = fn(&LaptopLife, &Event) -> Result<(), String>;

/// A serial as laptops are keyed: trimmed, ASCII upper case.
pub fn serial_key(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

/// What recording an event did. Only `Recorded` stored anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventRecord {
    Recorded(Event),
    /// The serial is in no lot.
    NotInLot,
    /// A rule refused it (`crate::life::check_event`): why.
    Refused(String),
}

/// What replaces an operator's name once its retention period is over (`retention`).
pub const FORGOTTEN: &str = "(forgotten)";

/// How many rows [`Store::forget_operators`] rewrote, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub certificates: u64,
    pub events: u64,
    pub lots: u64,
}

/// Which laptops: text criteria are exact; dates (`YYYY-MM-DD`) bound the lot's reception,
/// both ends included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaptopFilter {
    pub site: Option<String>,
    pub lot: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A laptop and everything known of it: its certificates (oldest issued first) and its events
/// (in the order recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaptopLife {
    pub laptop: Laptop,
    pub certificates: Vec<CertRow>,
    pub events: Vec<Event>,
}

/// Where certificates, stations, users, sessions and marks live.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// How the database is named in messages (SQLite path, or the URL without its password).
    fn name(&self) -> &str;

    fn enroll(&self, station: Station) -> BoxFut<'_, Result<(), StoreError>>;
    fn stations(&self) -> BoxFut<'_, Result<Vec<StationSummary>, StoreError>>;
    fn station(&self, key_id: String) -> BoxFut<'_, Result<Option<Station>, StoreError>>;
    /// Revokes by station name or key id; returns the station as it is now.
    fn revoke(&self, name_or_key: String, at: String) -> BoxFut<'_, Result<Station, StoreError>>;

    /// Stores a certificate atomically with its key check: the key must be enrolled and not
    /// revoked at the moment of the insert. Returns only once `Created` is durable.
    fn insert(&self, cert: NewCertificate) -> BoxFut<'_, Result<Insert, StoreError>>;
    /// Records a refused conflicting upload (authenticated by a valid signature).
    fn record_conflict(&self, conflict: Conflict) -> BoxFut<'_, Result<(), StoreError>>;
    fn conflicts(&self, key_id: String) -> BoxFut<'_, Result<Vec<Conflict>, StoreError>>;
    fn certificate(
        &self,
        digest: String,
    ) -> BoxFut<'_, Result<Option<StoredCertificate>, StoreError>>;
    fn disks(&self, digest: String) -> BoxFut<'_, Result<Vec<DiskRow>, StoreError>>;
    /// Stores a refurbishment record under the same key rule as [`Store::insert`], and only if
    /// the certificate it names (digest and id, same station) is stored. Returns only once
    /// `Created` is durable.
    fn insert_record(&self, record: NewRecord) -> BoxFut<'_, Result<RecordInsert, StoreError>>;
    /// The record that follows the certificate `certificate_digest`, if one was received.
    fn record_of(
        &self,
        certificate_digest: String,
    ) -> BoxFut<'_, Result<Option<StoredRecord>, StoreError>>;
    /// Certificates matching `filter`, newest first: (total count, rows `offset..offset+limit`).
    fn search(
        &self,
        filter: Filter,
        offset: u64,
        limit: u64,
    ) -> BoxFut<'_, Result<(u64, Vec<ListRow>), StoreError>>;
    /// Every certificate of a station, in sequence order (chain check, station page).
    fn station_certificates(&self, key_id: String) -> BoxFut<'_, Result<Vec<CertRow>, StoreError>>;
    /// The rows statistics are made of, for certificates matching `filter`.
    fn stats_rows(&self, filter: Filter) -> BoxFut<'_, Result<Vec<StatsRow>, StoreError>>;
    /// Distinct sites of stored certificates (filters, statistics).
    fn sites(&self) -> BoxFut<'_, Result<Vec<String>, StoreError>>;

    fn add_user(
        &self,
        name: String,
        password_hash: String,
        at: String,
    ) -> BoxFut<'_, Result<(), StoreError>>;
    fn password_hash(&self, name: String) -> BoxFut<'_, Result<Option<String>, StoreError>>;
    fn create_session(
        &self,
        token_hash: String,
        session: Session,
    ) -> BoxFut<'_, Result<(), StoreError>>;
    /// The session of a token hash if it has not expired at `now`.
    fn session(
        &self,
        token_hash: String,
        now: String,
    ) -> BoxFut<'_, Result<Option<Session>, StoreError>>;
    fn delete_session(&self, token_hash: String) -> BoxFut<'_, Result<(), StoreError>>;

    /// Imports a lot and its laptops, all or nothing: nothing is stored when the lot's name or
    /// any serial is taken.
    fn import_lot(
        &self,
        lot: NewLot,
        laptops: Vec<NewLaptop>,
    ) -> BoxFut<'_, Result<LotImport, StoreError>>;
    /// Every lot, by reception date then name.
    fn lots(&self) -> BoxFut<'_, Result<Vec<Lot>, StoreError>>;
    /// The laptops matching `filter` with their certificates and events, by site, lot and line.
    fn laptops(&self, filter: LaptopFilter) -> BoxFut<'_, Result<Vec<LaptopLife>, StoreError>>;
    /// The donor's report over the laptops matching `filter`, per site (and lot when
    /// `by_lot`), counted by the database in one query, in name order: what
    /// `report::rows(&laptops(filter), by_lot)` gives without loading every laptop.
    fn report(
        &self,
        filter: LaptopFilter,
        by_lot: bool,
    ) -> BoxFut<'_, Result<Vec<ReportRow>, StoreError>>;
    /// One laptop by serial (any case, spaces around ignored).
    fn laptop(&self, serial: String) -> BoxFut<'_, Result<Option<LaptopLife>, StoreError>>;
    /// Appends an event to a laptop's life if `rules` (`crate::life::check_event`, given by the
    /// caller: the rules sit above the store, which only runs them) allow it, checked in the
    /// same transaction.
    fn record_event(
        &self,
        event: Event,
        rules: EventRules,
    ) -> BoxFut<'_, Result<EventRecord, StoreError>>;

    /// Replaces the operators' names recorded before `before` (a time as [`crate::util::now`]
    /// writes it) by `marker`, in one transaction: certificates' indexed operator, events'
    /// recorder, lots' importer. The certificates' signed bytes are left as they are.
    fn forget_operators(
        &self,
        before: String,
        marker: String,
    ) -> BoxFut<'_, Result<Forgotten, StoreError>>;

    /// Adds or replaces the mark of a MAC or subnet.
    fn mark(&self, mark: Mark) -> BoxFut<'_, Result<(), StoreError>>;
    /// Removes a mark; false when there was none.
    fn unmark(&self, kind: String, value: String) -> BoxFut<'_, Result<bool, StoreError>>;
    fn marks(&self) -> BoxFut<'_, Result<Vec<Mark>, StoreError>>;

    /// Records an image; `Exists` when its name and version were ever used (removed ones too:
    /// a version names one content forever).
    fn add_image(&self, image: Image) -> BoxFut<'_, Result<(), StoreError>>;
    /// Every image, removed ones included, by name then newest first.
    fn images(&self) -> BoxFut<'_, Result<Vec<Image>, StoreError>>;
    /// The image `name` `version` (removed or not); without a version, the latest added one
    /// not removed.
    fn image(
        &self,
        name: String,
        version: Option<String>,
    ) -> BoxFut<'_, Result<Option<Image>, StoreError>>;
    /// Marks an image removed (its record stays); without a version, the latest added one not
    /// removed. Returns it as it was (its file still to delete).
    fn remove_image(
        &self,
        name: String,
        version: Option<String>,
        at: String,
    ) -> BoxFut<'_, Result<Image, StoreError>>;

    /// Stores a token unless `cap` were already minted since `since` for its MAC (for its
    /// address when it has no MAC); true when stored.
    fn issue_token(
        &self,
        token: EnrollToken,
        cap: u32,
        since: String,
    ) -> BoxFut<'_, Result<bool, StoreError>>;
    /// Enrols `station` with the token whose hash is given, if it is unused (or used by this
    /// same key) and not expired at `station.enrolled_at`.
    fn enroll_with_token(
        &self,
        token_hash: String,
        station: Station,
    ) -> BoxFut<'_, Result<TokenEnroll, StoreError>>;
}

/// Opens (creating if needed) the database `db`: a `postgres://` URL or a SQLite file path.
pub async fn open(db: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_as(db, false).await
}

/// Opens an existing database `db` to read it (another workshop's, for the département's
/// report): nothing is created or migrated, and its schema must be this collector's. The
/// caller only reads through it.
pub async fn open_to_read(db: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_as(db, true).await
}

async fn open_as(db: &str, to_read: bool) -> Result<Arc<dyn Store>, StoreError> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open_as(db, to_read).await?))
    } else {
        let path = std::path::PathBuf::from(db);
        let store =
            tokio::task::spawn_blocking(move || sqlite::SqliteStore::open_as(&path, to_read))
                .await
                .map_err(|e| StoreError::Open {
                    db: db.to_string(),
                    source: Box::new(e),
                })??;
        Ok(Arc::new(store))
    }
}
