//! The SQL both backends run, the search filter turned into a `WHERE` clause, and row mappers
//! over a tiny cell-reading trait that both drivers implement.
//!
//! Statements use numbered `?N` placeholders: SQLite takes them as they are and PostgreSQL gets
//! them as `$N` ([`pg`]). None of our SQL holds a `?` in a literal, so the rewrite is exact.
//! Where the dialects differ (column types, row locks), the text is chosen here by [`Dialect`].

use super::{
    CertRow, Conflict, DiskRow, Event, Image, Laptop, LaptopFilter, Lot, Mark, NewLaptop, NewLot,
    RecordRow, Station, StationSummary, StatsRow, StoredRecord,
};

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bytes(Vec<u8>),
}

/// The same statement with PostgreSQL's `$N` placeholders.
pub fn pg(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// The search of the certificate list, the CSV and the statistics. Text criteria match a part
/// of the value, ignoring ASCII case; dates are `YYYY-MM-DD` (UTC), both ends included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Machine serial number or the serial of any of its disks.
    pub serial: Option<String>,
    /// Maker, product or model name (e.g. "T480", "20L5", "lenovo").
    pub model: Option<String>,
    pub site: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// "refurbish" or "recycle".
    pub decision: Option<String>,
    /// "sanitized", "failed" or "none".
    pub result: Option<String>,
    /// A station key id.
    pub station: Option<String>,
    /// Only rows after this (issued_at, id, digest) in the list's order (newest first): keyset
    /// pagination for exports, which never re-sorts what it has already sent. (The digest
    /// breaks ties: ids are unique per station only.)
    pub before: Option<(String, String, String)>,
}

/// `%part%` for LIKE, with the user's `%`, `_` and `\` taken literally.
fn like(part: &str) -> String {
    let mut out = String::from("%");
    for c in part.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Filter {
    /// ` WHERE ...` (or nothing) over table alias `c`, with placeholders numbered from
    /// `params.len() + 1`; pushes the values onto `params`.
    pub fn where_clause(&self, params: &mut Vec<Param>) -> String {
        let mut terms: Vec<String> = Vec::new();
        let push = |params: &mut Vec<Param>, p: Param| {
            params.push(p);
            params.len()
        };
        if let Some(s) = self.serial.as_deref().filter(|s| !s.is_empty()) {
            let n = push(params, Param::Text(like(s)));
            terms.push(format!(
                "(lower(coalesce(c.serial, '')) LIKE ?{n} ESCAPE '\\' OR EXISTS (SELECT 1 FROM \
                 disks d WHERE d.digest = c.digest AND lower(coalesce(d.serial, '')) LIKE ?{n} \
                 ESCAPE '\\'))"
            ));
        }
        if let Some(s) = self.model.as_deref().filter(|s| !s.is_empty()) {
            let n = push(params, Param::Text(like(s)));
            terms.push(format!(
                "lower(coalesce(c.vendor, '') || ' ' || coalesce(c.product, '') || ' ' || \
                 coalesce(c.model_name, '')) LIKE ?{n} ESCAPE '\\'"
            ));
        }
        if let Some(s) = self.site.as_deref().filter(|s| !s.is_empty()) {
            let n = push(params, Param::Text(like(s)));
            terms.push(format!("lower(c.site) LIKE ?{n} ESCAPE '\\'"));
        }
        if let Some(s) = self.from.as_deref().filter(|s| !s.is_empty()) {
            let n = push(params, Param::Text(s.to_string()));
            terms.push(format!("substr(c.issued_at, 1, 10) >= ?{n}"));
        }
        if let Some(s) = self.to.as_deref().filter(|s| !s.is_empty()) {
            let n = push(params, Param::Text(s.to_string()));
            terms.push(format!("substr(c.issued_at, 1, 10) <= ?{n}"));
        }
        if let Some(s) = self.decision.as_deref().filter(|s| !s.is_empty()) {
            let n = push(params, Param::Text(s.to_string()));
            terms.push(format!("c.decision = ?{n}"));
        }
        if let Some(s) = self.result.as_deref().filter(|s| !s.is_empty()) {
            let n = push(params, Param::Text(s.to_string()));
            terms.push(format!("c.result = ?{n}"));
        }
        if let Some(s) = self.station.as_deref().filter(|s| !s.is_empty()) {
            let n = push(params, Param::Text(s.to_string()));
            terms.push(format!("c.station_key_id = ?{n}"));
        }
        if let Some((at, id, digest)) = &self.before {
            let a = push(params, Param::Text(at.clone()));
            let b = push(params, Param::Text(id.clone()));
            let d = push(params, Param::Text(digest.clone()));
            terms.push(format!(
                "(c.issued_at, c.id, c.digest) < (?{a}, ?{b}, ?{d})"
            ));
        }
        if terms.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", terms.join(" AND "))
        }
    }
}

/// Reads one cell of a result row; implemented for both drivers' rows.
pub trait Cells {
    fn text(&self, i: usize) -> Result<String, CellError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, CellError>;
    fn int(&self, i: usize) -> Result<i64, CellError>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, CellError>;
    fn bytes(&self, i: usize) -> Result<Vec<u8>, CellError>;
}

/// A cell of an unexpected type (a schema that is not ours).
pub type CellError = Box<dyn std::error::Error + Send + Sync>;

/// Implements [`Cells`] for a driver's row type through its typed getter (`get` for rusqlite,
/// `try_get` for tokio-postgres): the drivers convert, each with its own conversion traits.
macro_rules! cells_through {
    ($row:ty, $get:ident) => {
        impl $crate::store::sql::Cells for $row {
            fn text(&self, i: usize) -> Result<String, $crate::store::sql::CellError> {
                Ok(self.$get(i)?)
            }
            fn opt_text(&self, i: usize) -> Result<Option<String>, $crate::store::sql::CellError> {
                Ok(self.$get(i)?)
            }
            fn int(&self, i: usize) -> Result<i64, $crate::store::sql::CellError> {
                Ok(self.$get(i)?)
            }
            fn opt_int(&self, i: usize) -> Result<Option<i64>, $crate::store::sql::CellError> {
                Ok(self.$get(i)?)
            }
            fn bytes(&self, i: usize) -> Result<Vec<u8>, $crate::store::sql::CellError> {
                Ok(self.$get(i)?)
            }
        }
    };
}
pub(crate) use cells_through;

pub fn station(r: &dyn Cells) -> Result<Station, CellError> {
    Ok(Station {
        key_id: r.text(0)?,
        name: r.text(1)?,
        site: r.text(2)?,
        public_key: r.text(3)?,
        public_key_pem: r.text(4)?,
        enrolled_at: r.text(5)?,
        revoked_at: r.opt_text(6)?,
        enrolled_via: r.text(7)?,
        note: r.opt_text(8)?,
    })
}

pub fn station_params(s: &Station) -> Vec<Param> {
    vec![
        Param::Text(s.key_id.clone()),
        Param::Text(s.name.clone()),
        Param::Text(s.site.clone()),
        Param::Text(s.public_key.clone()),
        Param::Text(s.public_key_pem.clone()),
        Param::Text(s.enrolled_at.clone()),
        Param::OptText(s.revoked_at.clone()),
        Param::Text(s.enrolled_via.clone()),
        Param::OptText(s.note.clone()),
    ]
}

pub const INSERT_STATION: &str = "INSERT INTO stations (key_id, name, site, public_key, \
     public_key_pem, enrolled_at, revoked_at, enrolled_via, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, \
     ?7, ?8, ?9)";

/// Stations with their counts; STATION_COLS then count, highest sequence, when it arrived, and
/// the last arrival.
pub const STATION_SUMMARIES: &str = "SELECT s.key_id, s.name, s.site, s.public_key, \
     s.public_key_pem, s.enrolled_at, s.revoked_at, s.enrolled_via, s.note, \
     (SELECT count(*) FROM certificates c WHERE c.station_key_id = s.key_id), \
     (SELECT max(c.sequence) FROM certificates c WHERE c.station_key_id = s.key_id), \
     (SELECT c.received_at FROM certificates c WHERE c.station_key_id = s.key_id \
        ORDER BY c.sequence DESC, c.received_at DESC LIMIT 1), \
     (SELECT max(c.received_at) FROM certificates c WHERE c.station_key_id = s.key_id) \
     FROM stations s ORDER BY s.name";

/// A station summary row: STATION_COLS then the four aggregates.
pub fn station_summary(r: &dyn Cells) -> Result<StationSummary, CellError> {
    let to_u64 = |v: i64| u64::try_from(v).map_err(|e| -> CellError { Box::new(e) });
    Ok(StationSummary {
        station: station(r)?,
        certificates: to_u64(r.int(9)?)?,
        highest_sequence: r.opt_int(10)?.map(to_u64).transpose()?,
        highest_received_at: r.opt_text(11)?,
        last_received_at: r.opt_text(12)?,
    })
}

pub const STATION_BY_KEY: &str = "SELECT s.key_id, s.name, s.site, s.public_key, \
     s.public_key_pem, s.enrolled_at, s.revoked_at, s.enrolled_via, s.note FROM stations s WHERE \
     s.key_id = ?1";

pub const STATION_BY_NAME_OR_KEY: &str = "SELECT s.key_id, s.name, s.site, s.public_key, \
     s.public_key_pem, s.enrolled_at, s.revoked_at, s.enrolled_via, s.note FROM stations s WHERE \
     s.key_id = ?1 OR s.name = ?1";

pub const REVOKE: &str =
    "UPDATE stations SET revoked_at = coalesce(revoked_at, ?2) WHERE key_id = ?1";

pub const CERT_COLS: &str = "c.digest, c.id, c.station_key_id, c.sequence, c.previous_digest, \
     c.issued_at, c.received_at, c.site, c.operator, c.organisation, c.vendor, c.product, \
     c.model_name, c.serial, c.machine_key, c.decision, c.grade, c.disks, c.disks_sanitized, \
     c.result, c.language";
/// Number of columns in [`CERT_COLS`].
pub const CERT_NCOLS: usize = 21;

pub fn cert_row(r: &dyn Cells) -> Result<CertRow, CellError> {
    Ok(CertRow {
        digest: r.text(0)?,
        id: r.text(1)?,
        station_key_id: r.text(2)?,
        sequence: r.int(3)?,
        previous_digest: r.opt_text(4)?,
        issued_at: r.text(5)?,
        received_at: r.text(6)?,
        site: r.text(7)?,
        operator: r.text(8)?,
        organisation: r.opt_text(9)?,
        vendor: r.opt_text(10)?,
        product: r.opt_text(11)?,
        model_name: r.opt_text(12)?,
        serial: r.opt_text(13)?,
        machine_key: r.text(14)?,
        decision: r.text(15)?,
        grade: r.text(16)?,
        disks: r.int(17)?,
        disks_sanitized: r.int(18)?,
        result: r.text(19)?,
        language: r.text(20)?,
    })
}

/// INSERT of a certificate row ([`cert_params`]). A certificate whose digest, or whose id for
/// its station, is already stored is not inserted (zero rows), and the rules then look at what
/// is there: PostgreSQL needs this for concurrent uploads (a failed INSERT would abort the
/// transaction), and SQLite takes the same form.
pub const INSERT_CERTIFICATE: &str = "INSERT INTO certificates (digest, id, station_key_id, \
     sequence, previous_digest, issued_at, received_at, site, operator, organisation, vendor, \
     product, model_name, serial, machine_key, decision, grade, disks, disks_sanitized, result, \
     language, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
     ?16, ?17, ?18, ?19, ?20, ?21, ?22) ON CONFLICT DO NOTHING";

/// The values of [`INSERT_CERTIFICATE`]: the row's fields, then its exact bytes.
pub fn cert_params(c: &CertRow, body: Vec<u8>) -> Vec<Param> {
    vec![
        Param::Text(c.digest.clone()),
        Param::Text(c.id.clone()),
        Param::Text(c.station_key_id.clone()),
        Param::Int(c.sequence),
        Param::OptText(c.previous_digest.clone()),
        Param::Text(c.issued_at.clone()),
        Param::Text(c.received_at.clone()),
        Param::Text(c.site.clone()),
        Param::Text(c.operator.clone()),
        Param::OptText(c.organisation.clone()),
        Param::OptText(c.vendor.clone()),
        Param::OptText(c.product.clone()),
        Param::OptText(c.model_name.clone()),
        Param::OptText(c.serial.clone()),
        Param::Text(c.machine_key.clone()),
        Param::Text(c.decision.clone()),
        Param::Text(c.grade.clone()),
        Param::Int(c.disks),
        Param::Int(c.disks_sanitized),
        Param::Text(c.result.clone()),
        Param::Text(c.language.clone()),
        Param::Bytes(body),
    ]
}

pub const INSERT_DISK: &str = "INSERT INTO disks (digest, idx, dev_path, vendor, model, serial, \
     capacity_bytes, interface, media_type, level, method, verification, result, sanitized, \
     disposition) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

pub fn disk_params(digest: &str, d: &DiskRow) -> Vec<Param> {
    vec![
        Param::Text(digest.to_string()),
        Param::Int(d.index),
        Param::Text(d.dev_path.clone()),
        Param::OptText(d.vendor.clone()),
        Param::OptText(d.model.clone()),
        Param::OptText(d.serial.clone()),
        Param::Int(d.capacity_bytes),
        Param::Text(d.interface.clone()),
        Param::Text(d.media_type.clone()),
        Param::Text(d.level.clone()),
        Param::Text(d.method.clone()),
        Param::Text(d.verification.clone()),
        Param::Text(d.result.clone()),
        Param::Int(i64::from(d.sanitized)),
        Param::Text(d.disposition.clone()),
    ]
}

pub const DISKS_OF: &str = "SELECT idx, dev_path, vendor, model, serial, capacity_bytes, \
     interface, media_type, level, method, verification, result, sanitized, disposition FROM disks \
     WHERE digest = ?1 ORDER BY idx";

pub fn disk_row(r: &dyn Cells) -> Result<DiskRow, CellError> {
    Ok(DiskRow {
        index: r.int(0)?,
        dev_path: r.text(1)?,
        vendor: r.opt_text(2)?,
        model: r.opt_text(3)?,
        serial: r.opt_text(4)?,
        capacity_bytes: r.int(5)?,
        interface: r.text(6)?,
        media_type: r.text(7)?,
        level: r.text(8)?,
        method: r.text(9)?,
        verification: r.text(10)?,
        result: r.text(11)?,
        sanitized: r.int(12)? != 0,
        disposition: r.text(13)?,
    })
}

pub const STATION_STATUS: &str = "SELECT revoked_at FROM stations WHERE key_id = ?1";
pub const DIGEST_EXISTS: &str = "SELECT digest FROM certificates WHERE digest = ?1";
/// The certificate a station already has under an id (ids are unique per station: the
/// certificate's id is a function of its signing key, `reprise_cert::chain::certificate_id`).
pub const DIGEST_OF_ID: &str =
    "SELECT digest FROM certificates WHERE station_key_id = ?1 AND id = ?2";

/// INSERT of a record ([`record_params`]); like [`INSERT_CERTIFICATE`], a record whose digest, or
/// whose id for its station, is stored already is not inserted (zero rows).
pub const INSERT_RECORD: &str = "INSERT INTO records (digest, id, station_key_id, \
     certificate_digest, issued_at, received_at, image_name, image_version, body) VALUES (?1, ?2, \
     ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING";

pub fn record_params(r: &RecordRow, body: Vec<u8>) -> Vec<Param> {
    vec![
        Param::Text(r.digest.clone()),
        Param::Text(r.id.clone()),
        Param::Text(r.station_key_id.clone()),
        Param::Text(r.certificate_digest.clone()),
        Param::Text(r.issued_at.clone()),
        Param::Text(r.received_at.clone()),
        Param::Text(r.image_name.clone()),
        Param::Text(r.image_version.clone()),
        Param::Bytes(body),
    ]
}

const RECORD_COLS: &str = "digest, id, station_key_id, certificate_digest, issued_at, \
     received_at, image_name, image_version, body";

pub fn record_by_certificate() -> String {
    format!("SELECT {RECORD_COLS} FROM records WHERE certificate_digest = ?1")
}

pub fn stored_record(r: &dyn Cells) -> Result<StoredRecord, CellError> {
    Ok(StoredRecord {
        row: RecordRow {
            digest: r.text(0)?,
            id: r.text(1)?,
            station_key_id: r.text(2)?,
            certificate_digest: r.text(3)?,
            issued_at: r.text(4)?,
            received_at: r.text(5)?,
            image_name: r.text(6)?,
            image_version: r.text(7)?,
        },
        body: r.bytes(8)?,
    })
}

/// The certificate a record names, if its station stored it under that id.
pub const CERTIFICATE_OF_RECORD: &str =
    "SELECT digest FROM certificates WHERE digest = ?1 AND station_key_id = ?2 AND id = ?3";
pub const RECORD_DIGEST_EXISTS: &str = "SELECT digest FROM records WHERE digest = ?1";
pub const RECORD_DIGEST_OF_ID: &str =
    "SELECT digest FROM records WHERE station_key_id = ?1 AND id = ?2";

pub fn certificate_by_digest() -> String {
    format!("SELECT {CERT_COLS}, c.body FROM certificates c WHERE c.digest = ?1")
}

pub fn station_certificates() -> String {
    format!(
        "SELECT {CERT_COLS} FROM certificates c WHERE c.station_key_id = ?1 ORDER BY c.sequence, \
         c.received_at"
    )
}

/// Count, then page, of a search; `where_clause` from [`Filter::where_clause`] with
/// `nparams` values, then LIMIT and OFFSET as the next two placeholders.
pub fn search_count(where_clause: &str) -> String {
    format!("SELECT count(*) FROM certificates c{where_clause}")
}

pub fn search_page(where_clause: &str, nparams: usize) -> String {
    format!(
        "SELECT {CERT_COLS}, s.name, (SELECT l.lot FROM laptops l WHERE l.serial = \
         upper(c.serial)) FROM certificates c LEFT JOIN stations s ON s.key_id = \
         c.station_key_id{where_clause} ORDER BY c.issued_at DESC, c.id DESC, c.digest DESC \
         LIMIT ?{} OFFSET ?{}",
        nparams + 1,
        nparams + 2
    )
}

pub fn stats_rows(where_clause: &str) -> String {
    format!(
        "SELECT c.site, c.issued_at, c.machine_key, c.decision, c.disks, c.disks_sanitized FROM \
         certificates c{where_clause} ORDER BY c.issued_at"
    )
}

pub fn stats_row(r: &dyn Cells) -> Result<StatsRow, CellError> {
    Ok(StatsRow {
        site: r.text(0)?,
        issued_at: r.text(1)?,
        machine_key: r.text(2)?,
        decision: r.text(3)?,
        disks: r.int(4)?,
        disks_sanitized: r.int(5)?,
    })
}

pub const SITES: &str = "SELECT DISTINCT site FROM certificates ORDER BY site";

/// Keeps the first record of a digest (PostgreSQL and SQLite both take this form).
pub const INSERT_CONFLICT: &str = "INSERT INTO conflicts (station_key_id, certificate_id, digest, \
     sequence, received_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING";
pub const CONFLICTS_OF: &str = "SELECT station_key_id, certificate_id, digest, sequence, \
     received_at FROM conflicts WHERE station_key_id = ?1 ORDER BY received_at";

pub fn conflict(r: &dyn Cells) -> Result<Conflict, CellError> {
    Ok(Conflict {
        station_key_id: r.text(0)?,
        certificate_id: r.text(1)?,
        digest: r.text(2)?,
        sequence: r.int(3)?,
        received_at: r.text(4)?,
    })
}

pub fn conflict_params(c: &Conflict) -> Vec<Param> {
    vec![
        Param::Text(c.station_key_id.clone()),
        Param::Text(c.certificate_id.clone()),
        Param::Text(c.digest.clone()),
        Param::Int(c.sequence),
        Param::Text(c.received_at.clone()),
    ]
}

pub const INSERT_USER: &str =
    "INSERT INTO users (name, password_hash, created_at) VALUES (?1, ?2, ?3)";
pub const USER_EXISTS: &str = "SELECT name FROM users WHERE name = ?1";
/// Replacing a password keeps the user (`user add` on an existing name sets a new password).
pub const UPDATE_USER: &str = "UPDATE users SET password_hash = ?2 WHERE name = ?1";
pub const USER_HASH: &str = "SELECT password_hash FROM users WHERE name = ?1";
pub const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_name, expires_at) VALUES (?1, ?2, ?3)";
pub const SESSION: &str =
    "SELECT user_name, expires_at FROM sessions WHERE token_hash = ?1 AND expires_at > ?2";
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = ?1";
pub const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at <= ?1";

pub const DELETE_MARK: &str = "DELETE FROM marks WHERE kind = ?1 AND value = ?2";
pub const INSERT_MARK: &str = "INSERT INTO marks (kind, value, mode, site, created_at, image) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub const MARKS: &str =
    "SELECT kind, value, mode, site, created_at, image FROM marks ORDER BY kind, value";

pub fn mark(r: &dyn Cells) -> Result<Mark, CellError> {
    Ok(Mark {
        kind: r.text(0)?,
        value: r.text(1)?,
        mode: r.text(2)?,
        site: r.opt_text(3)?,
        created_at: r.text(4)?,
        image: r.opt_text(5)?,
    })
}

pub fn mark_params(m: &Mark) -> Vec<Param> {
    vec![
        Param::Text(m.kind.clone()),
        Param::Text(m.value.clone()),
        Param::Text(m.mode.clone()),
        Param::OptText(m.site.clone()),
        Param::Text(m.created_at.clone()),
        Param::OptText(m.image.clone()),
    ]
}

const IMAGE_COLS: &str = "name, version, file, compression, size, raw_size, sha256, added_at, \
     added_by, source, removed_at";

pub const INSERT_IMAGE: &str = "INSERT INTO images (name, version, file, compression, size, \
     raw_size, sha256, added_at, added_by, source, removed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, \
     ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING";

pub fn image_params(i: &Image) -> Vec<Param> {
    vec![
        Param::Text(i.name.clone()),
        Param::Text(i.version.clone()),
        Param::Text(i.file.clone()),
        Param::Text(i.compression.clone()),
        Param::Int(i.size),
        Param::Int(i.raw_size),
        Param::Text(i.sha256.clone()),
        Param::Text(i.added_at.clone()),
        Param::Text(i.added_by.clone()),
        Param::Text(i.source.clone()),
        Param::OptText(i.removed_at.clone()),
    ]
}

pub fn image(r: &dyn Cells) -> Result<Image, CellError> {
    Ok(Image {
        name: r.text(0)?,
        version: r.text(1)?,
        file: r.text(2)?,
        compression: r.text(3)?,
        size: r.int(4)?,
        raw_size: r.int(5)?,
        sha256: r.text(6)?,
        added_at: r.text(7)?,
        added_by: r.text(8)?,
        source: r.text(9)?,
        removed_at: r.opt_text(10)?,
    })
}

/// Every image, by name, newest first (the order `NAME` alone resolves in).
pub fn images() -> String {
    format!("SELECT {IMAGE_COLS} FROM images ORDER BY name, added_at DESC, version DESC")
}

/// One version of an image (?1 name, ?2 version), removed or not.
pub fn image_version() -> String {
    format!("SELECT {IMAGE_COLS} FROM images WHERE name = ?1 AND version = ?2")
}

/// What `NAME` alone means: its latest added version that is not removed (ties on the time of
/// adding go to the greater version).
pub fn image_latest() -> String {
    format!(
        "SELECT {IMAGE_COLS} FROM images WHERE name = ?1 AND removed_at IS NULL ORDER BY \
         added_at DESC, version DESC LIMIT 1"
    )
}

pub const REMOVE_IMAGE: &str =
    "UPDATE images SET removed_at = ?3 WHERE name = ?1 AND version = ?2 AND removed_at IS NULL";

/// Tokens minted since ?2 for one MAC (?1), or for one address (?3) when the script was asked
/// without a MAC: what the cap per machine counts (used tokens included).
pub const TOKENS_MINTED_SINCE: &str = "SELECT count(*) FROM enroll_tokens WHERE created_at > ?2 \
     AND ((?1 IS NOT NULL AND mac = ?1) OR (?1 IS NULL AND mac IS NULL AND client_ip = ?3))";
pub const INSERT_TOKEN: &str = "INSERT INTO enroll_tokens (token_hash, mac, client_ip, site, \
     created_at, expires_at, used_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)";
pub const TOKEN: &str =
    "SELECT mac, client_ip, site, expires_at, used_by FROM enroll_tokens WHERE token_hash = ?1";
pub const USE_TOKEN: &str = "UPDATE enroll_tokens SET used_by = ?2 WHERE token_hash = ?1";
pub const DELETE_EXPIRED_TOKENS: &str =
    "DELETE FROM enroll_tokens WHERE expires_at <= ?1 AND used_by IS NULL";

pub const LOT_EXISTS: &str = "SELECT name FROM lots WHERE name = ?1";
pub const LOT_OF_SERIAL: &str = "SELECT lot FROM laptops WHERE serial = ?1";
pub const INSERT_LOT: &str = "INSERT INTO lots (name, site, received, source, imported_at, \
     imported_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

pub fn lot_params(l: &NewLot) -> Vec<Param> {
    vec![
        Param::Text(l.name.clone()),
        Param::Text(l.site.clone()),
        Param::Text(l.received.clone()),
        Param::Text(l.source.clone()),
        Param::Text(l.imported_at.clone()),
        Param::Text(l.imported_by.clone()),
    ]
}

pub const INSERT_LAPTOP: &str = "INSERT INTO laptops (serial, lot, line, asset_tag, model, \
     purchase_year, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

pub fn laptop_params(lot: &str, l: &NewLaptop) -> Vec<Param> {
    vec![
        Param::Text(l.serial.clone()),
        Param::Text(lot.to_string()),
        Param::Int(i64::try_from(l.line).unwrap_or(i64::MAX)),
        Param::OptText(l.asset_tag.clone()),
        Param::OptText(l.model.clone()),
        Param::OptInt(l.purchase_year),
        Param::Text(l.extra.clone()),
    ]
}

pub const LOTS: &str = "SELECT o.name, o.site, o.received, o.source, o.imported_at, \
     o.imported_by, (SELECT count(*) FROM laptops l WHERE l.lot = o.name) FROM lots o ORDER BY \
     o.received, o.name";

pub fn lot(r: &dyn Cells) -> Result<Lot, CellError> {
    Ok(Lot {
        lot: NewLot {
            name: r.text(0)?,
            site: r.text(1)?,
            received: r.text(2)?,
            source: r.text(3)?,
            imported_at: r.text(4)?,
            imported_by: r.text(5)?,
        },
        laptops: u64::try_from(r.int(6)?)?,
    })
}

impl LaptopFilter {
    /// ` WHERE ...` (or nothing) over laptops `l` and their lots `o`, with placeholders
    /// numbered from `params.len() + 1`; pushes the values onto `params`.
    pub fn where_clause(&self, params: &mut Vec<Param>) -> String {
        let mut terms: Vec<String> = Vec::new();
        let mut term = |params: &mut Vec<Param>, value: &Option<String>, sql: &str| {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                params.push(Param::Text(v.to_string()));
                terms.push(sql.replace("?N", &format!("?{}", params.len())));
            }
        };
        term(params, &self.site, "o.site = ?N");
        term(params, &self.lot, "l.lot = ?N");
        term(params, &self.from, "o.received >= ?N");
        term(params, &self.to, "o.received <= ?N");
        if terms.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", terms.join(" AND "))
        }
    }
}

/// The laptops of a filter: LAPTOP_COLS, by site, lot and line.
pub fn laptops(where_clause: &str) -> String {
    format!(
        "SELECT l.serial, l.line, l.asset_tag, l.model, l.purchase_year, l.extra, l.lot, o.site, \
         o.received FROM laptops l JOIN lots o ON o.name = l.lot{where_clause} ORDER BY o.site, \
         l.lot, l.line"
    )
}

pub fn laptop(r: &dyn Cells) -> Result<Laptop, CellError> {
    Ok(Laptop {
        laptop: NewLaptop {
            serial: r.text(0)?,
            line: u64::try_from(r.int(1)?)?,
            asset_tag: r.opt_text(2)?,
            model: r.opt_text(3)?,
            purchase_year: r.opt_int(4)?,
            extra: r.text(5)?,
        },
        lot: r.text(6)?,
        site: r.text(7)?,
        received: r.text(8)?,
    })
}

/// The certificates of the laptops of a filter (a certificate is a laptop's when its machine
/// serial, in upper case, is the laptop's): CERT_COLS then the laptop's serial, oldest first.
pub fn laptop_certificates(where_clause: &str) -> String {
    format!(
        "SELECT {CERT_COLS}, l.serial FROM certificates c JOIN laptops l ON l.serial = \
         upper(c.serial) JOIN lots o ON o.name = l.lot{where_clause} ORDER BY c.issued_at, \
         c.received_at, c.digest"
    )
}

/// The events of the laptops of a filter, in the order recorded.
pub fn laptop_events(where_clause: &str) -> String {
    format!(
        "SELECT e.serial, e.seq, e.kind, e.date, e.fields, e.recorded_by, e.recorded_at FROM \
         events e JOIN laptops l ON l.serial = e.serial JOIN lots o ON o.name = \
         l.lot{where_clause} ORDER BY e.serial, e.seq"
    )
}

pub fn event(r: &dyn Cells) -> Result<Event, CellError> {
    Ok(Event {
        serial: r.text(0)?,
        seq: r.int(1)?,
        kind: r.text(2)?,
        date: r.text(3)?,
        fields: r.text(4)?,
        recorded_by: r.text(5)?,
        recorded_at: r.text(6)?,
    })
}

/// The laptop row an event is appended to (locked: events of one laptop are numbered one
/// transaction at a time).
pub const LAPTOP_FOR_EVENT: &str = "SELECT serial FROM laptops WHERE serial = ?1";
pub const NEXT_EVENT_SEQ: &str = "SELECT coalesce(max(seq), 0) + 1 FROM events WHERE serial = ?1";
/// Events are only ever inserted: no statement deletes one, and the only update is the
/// retention of operators' names ([`FORGET_EVENT_RECORDERS`]: who recorded it, nothing of what
/// happened).
pub const INSERT_EVENT: &str = "INSERT INTO events (serial, seq, kind, date, fields, \
     recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

pub fn event_params(e: &Event) -> Vec<Param> {
    vec![
        Param::Text(e.serial.clone()),
        Param::Int(e.seq),
        Param::Text(e.kind.clone()),
        Param::Text(e.date.clone()),
        Param::Text(e.fields.clone()),
        Param::Text(e.recorded_by.clone()),
        Param::Text(e.recorded_at.clone()),
    ]
}

/// How a PXE-enrolled station says where it came from.
pub fn pxe_note(mac: Option<&str>, ip: &str) -> String {
    format!("PXE boot from MAC {}, IP {ip}", mac.unwrap_or("unknown"))
}

/// The SQL dialects of the two backends, for the places they differ: column types and row
/// locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A row lock taken by a read that a write of the same transaction depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// The row may not change until the transaction ends (a revocation waits for an upload).
    Share,
    /// Transactions reading the row for update settle one after the other.
    Update,
}

/// `sql` (one SELECT) with `lock` in `dialect`. PostgreSQL runs transactions side by side and
/// needs the row lock; SQLite has none and needs none: its one writer runs every write
/// transaction alone.
pub fn locked(sql: &str, lock: Lock, dialect: Dialect) -> String {
    match (dialect, lock) {
        (Dialect::Sqlite, _) => sql.to_string(),
        (Dialect::Postgres, Lock::Share) => format!("{sql} FOR SHARE"),
        (Dialect::Postgres, Lock::Update) => format!("{sql} FOR UPDATE"),
    }
}

/// Key of the lock that makes token minting one transaction at a time (the count of tokens
/// minted for a MAC and the new token must not interleave).
pub const TOKEN_LOCK: i64 = 0x0052_4550_544f_4b4e;

/// A statement (parameter: a lock key) after which transactions taking the same key run one at
/// a time: PostgreSQL's advisory lock, held until the transaction ends. SQLite needs none: its
/// one writer runs every write transaction alone.
pub fn one_at_a_time(dialect: Dialect) -> Option<&'static str> {
    match dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(?1)"),
    }
}

/// The donor's report counted by the database (`Store::report`): one row per site (and lot
/// when `by_lot`) with the counts of `report::Row` in its order — received, sanitized,
/// refurbish, recycle, handed over, recycled, pending, over ten years, then the rate's two
/// terms. It is `life::Figure::holds` written in SQL: the latest certificate is the last by
/// (`issued_at`, `received_at`, `digest`) as `life::latest_certificate` picks it among the rows
/// [`laptop_certificates`] orders, the outcome the latest handed-over/recycled/cancelled event
/// by number; `report_matches_the_laptops_classified_one_by_one` (tests/lots.rs) and the
/// benchmark compare the two.
pub fn report(where_clause: &str, by_lot: bool) -> String {
    let w = where_clause;
    let lot = if by_lot { "l.lot" } else { "''" };
    format!(
        "WITH lc AS (SELECT l.serial AS serial, c.decision AS decision, CASE WHEN c.result =          'sanitized' AND c.disks > 0 AND c.disks_sanitized = c.disks THEN 1 ELSE 0 END AS          sanitized, row_number() OVER (PARTITION BY l.serial ORDER BY c.issued_at DESC,          c.received_at DESC, c.digest DESC) AS rn FROM certificates c JOIN laptops l ON          l.serial = upper(c.serial) JOIN lots o ON o.name = l.lot{w}),          le AS (SELECT e.serial AS serial, e.kind AS kind, row_number() OVER (PARTITION BY          e.serial ORDER BY e.seq DESC) AS rn FROM events e JOIN laptops l ON l.serial =          e.serial AND e.kind IN ('handed-over', 'recycled', 'cancelled') JOIN lots o ON o.name          = l.lot{w}),          x AS (SELECT o.site AS site, {lot} AS lot, coalesce(lc.sanitized, 0) AS sanitized,          CASE WHEN lc.decision = 'refurbish' THEN 1 ELSE 0 END AS refurbish, CASE WHEN          lc.decision = 'recycle' THEN 1 ELSE 0 END AS recycle, CASE WHEN le.kind =          'handed-over' THEN 1 ELSE 0 END AS handed_over, CASE WHEN le.kind = 'recycled' THEN 1          ELSE 0 END AS recycled, CASE WHEN l.purchase_year IS NOT NULL AND CAST(substr(         o.received, 1, 4) AS INTEGER) - l.purchase_year > 10 THEN 1 ELSE 0 END AS old FROM          laptops l JOIN lots o ON o.name = l.lot LEFT JOIN lc ON lc.serial = l.serial AND lc.rn          = 1 LEFT JOIN le ON le.serial = l.serial AND le.rn = 1{w})          SELECT site, lot, count(*), sum(sanitized), sum(refurbish), sum(recycle),          sum(handed_over), sum(recycled), count(*) - sum(handed_over) - sum(recycled), sum(old),          sum(handed_over * (1 - old)), sum(recycled * (1 - old)) FROM x GROUP BY site, lot"
    )
}

pub fn report_row(r: &dyn Cells, by_lot: bool) -> Result<super::ReportRow, CellError> {
    let mut counts = [0u64; 8];
    for (i, c) in counts.iter_mut().enumerate() {
        *c = u64::try_from(r.int(2 + i)?)?;
    }
    Ok(super::ReportRow {
        site: r.text(0)?,
        lot: if by_lot { Some(r.text(1)?) } else { None },
        counts,
        rate_handed_over: u64::try_from(r.int(10)?)?,
        rate_recycled: u64::try_from(r.int(11)?)?,
    })
}

/// Operators' names older than ?1 replaced by the marker ?2 (`retention`): a certificate's
/// indexed operator by its reception, an event's recorder by its recording, a lot's importer by
/// its import. Rows already forgotten are not rewritten, so a second run counts nothing.
pub const FORGET_CERT_OPERATORS: &str =
    "UPDATE certificates SET operator = ?2 WHERE received_at < ?1 AND operator <> ?2";
pub const FORGET_EVENT_RECORDERS: &str =
    "UPDATE events SET recorded_by = ?2 WHERE recorded_at < ?1 AND recorded_by <> ?2";
pub const FORGET_LOT_IMPORTERS: &str =
    "UPDATE lots SET imported_by = ?2 WHERE imported_at < ?1 AND imported_by <> ?2";

/// The tables, written once for both backends: `{INT}` is a 64-bit integer, `{BYTES}` a byte
/// string.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS reprise_schema (version {INT} NOT NULL);
CREATE TABLE IF NOT EXISTS stations (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    public_key TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,
    enrolled_via TEXT NOT NULL,
    note TEXT
);
CREATE TABLE IF NOT EXISTS certificates (
    digest TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    station_key_id TEXT NOT NULL REFERENCES stations(key_id),
    sequence {INT} NOT NULL,
    previous_digest TEXT,
    issued_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    site TEXT NOT NULL,
    operator TEXT NOT NULL,
    organisation TEXT,
    vendor TEXT,
    product TEXT,
    model_name TEXT,
    serial TEXT,
    machine_key TEXT NOT NULL,
    decision TEXT NOT NULL,
    grade TEXT NOT NULL,
    disks {INT} NOT NULL,
    disks_sanitized {INT} NOT NULL,
    result TEXT NOT NULL,
    language TEXT NOT NULL,
    body {BYTES} NOT NULL,
    UNIQUE (station_key_id, id)
);
CREATE INDEX IF NOT EXISTS certificates_station ON certificates (station_key_id, sequence);
CREATE INDEX IF NOT EXISTS certificates_issued ON certificates (issued_at, id);
CREATE TABLE IF NOT EXISTS disks (
    digest TEXT NOT NULL REFERENCES certificates(digest),
    idx {INT} NOT NULL,
    dev_path TEXT NOT NULL,
    vendor TEXT,
    model TEXT,
    serial TEXT,
    capacity_bytes {INT} NOT NULL,
    interface TEXT NOT NULL,
    media_type TEXT NOT NULL,
    level TEXT NOT NULL,
    method TEXT NOT NULL,
    verification TEXT NOT NULL,
    result TEXT NOT NULL,
    sanitized {INT} NOT NULL,
    disposition TEXT NOT NULL,
    PRIMARY KEY (digest, idx)
);
CREATE TABLE IF NOT EXISTS conflicts (
    station_key_id TEXT NOT NULL,
    certificate_id TEXT NOT NULL,
    digest TEXT PRIMARY KEY,
    sequence {INT} NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS marks (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    mode TEXT NOT NULL,
    site TEXT,
    created_at TEXT NOT NULL,
    image TEXT,
    PRIMARY KEY (kind, value)
);
CREATE TABLE IF NOT EXISTS images (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    file TEXT NOT NULL,
    compression TEXT NOT NULL,
    size {INT} NOT NULL,
    raw_size {INT} NOT NULL,
    sha256 TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    source TEXT NOT NULL,
    removed_at TEXT,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS enroll_tokens (
    token_hash TEXT PRIMARY KEY,
    mac TEXT,
    client_ip TEXT NOT NULL,
    site TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS lots (
    name TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    received TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS laptops (
    serial TEXT PRIMARY KEY,
    lot TEXT NOT NULL REFERENCES lots(name),
    line {INT} NOT NULL,
    asset_tag TEXT,
    model TEXT,
    purchase_year {INT},
    extra TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS laptops_lot ON laptops (lot, line);
CREATE INDEX IF NOT EXISTS certificates_upper_serial ON certificates ((upper(serial)));
CREATE TABLE IF NOT EXISTS events (
    serial TEXT NOT NULL REFERENCES laptops(serial),
    seq {INT} NOT NULL,
    kind TEXT NOT NULL,
    date TEXT NOT NULL,
    fields TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (serial, seq)
);
CREATE TABLE IF NOT EXISTS records (
    digest TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    station_key_id TEXT NOT NULL REFERENCES stations(key_id),
    certificate_digest TEXT NOT NULL REFERENCES certificates(digest),
    issued_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    image_name TEXT NOT NULL,
    image_version TEXT NOT NULL,
    body {BYTES} NOT NULL,
    UNIQUE (station_key_id, id)
);
CREATE INDEX IF NOT EXISTS records_certificate ON records (certificate_digest);
";

/// The statements that create the tables (each `IF NOT EXISTS`) in `dialect`.
pub fn schema(dialect: Dialect) -> String {
    let (int, bytes) = match dialect {
        Dialect::Sqlite => ("INTEGER", "BLOB"),
        Dialect::Postgres => ("BIGINT", "BYTEA"),
    };
    SCHEMA.replace("{INT}", int).replace("{BYTES}", bytes)
}

/// Schema version both backends record; bump with a migration ([`migration`]).
///
/// 2: a certificate id is unique per station (`UNIQUE (station_key_id, id)`), no longer across
/// the database: ids belong to their signer, and a key that uploaded another station's future
/// ids under schema 1 blocked that station's genuine certificates.
///
/// 3: the OS images the collector keeps for the agents (`images`), and the image a PXE mark
/// names (`marks.image`).
///
/// 4: lots, their laptops and each laptop's events (issue 23), and an index of certificates by
/// machine serial in upper case (how a certificate finds its laptop). New tables only: the
/// schema's `CREATE ... IF NOT EXISTS` makes them, the migration has nothing else to do.
///
/// 5: refurbishment records (issue 22, `records`): exact bytes and a few indexed fields, each
/// linked to the certificate it follows. A new table only, like 4.
pub const SCHEMA_VERSION: i64 = 5;

/// The statements that take a database from `from` to `from + 1` in `dialect`, run in the
/// schema's transaction. The tables of [`schema`] are created (if missing) before, and again
/// after (indexes of a rebuilt table).
pub fn migration(from: i64, dialect: Dialect) -> Option<String> {
    match (from, dialect) {
        // SQLite cannot drop a column's UNIQUE: the table is rebuilt. Foreign keys are on and
        // cannot be turned off inside a transaction, so they are deferred to the COMMIT: the
        // disks lose their certificates at the DROP and find them again at the INSERT.
        (1, Dialect::Sqlite) => Some(
            "PRAGMA defer_foreign_keys = ON;
             CREATE TABLE certificates_schema_1 AS SELECT * FROM certificates;
             DROP TABLE certificates;"
                .to_string()
                + &schema(Dialect::Sqlite)
                + "INSERT INTO certificates SELECT * FROM certificates_schema_1;
                   DROP TABLE certificates_schema_1;",
        ),
        // PostgreSQL named the column's constraint <table>_<column>_key.
        (1, Dialect::Postgres) => Some(
            "ALTER TABLE certificates DROP CONSTRAINT certificates_id_key;
             ALTER TABLE certificates ADD UNIQUE (station_key_id, id);"
                .to_string(),
        ),
        // The `images` table is created by the schema; a mark's column is added (both
        // dialects take the same statement).
        (2, _) => Some("ALTER TABLE marks ADD COLUMN image TEXT;".to_string()),
        (3 | 4, _) => Some(String::new()),
        _ => None,
    }
}
pub const READ_SCHEMA_VERSION: &str = "SELECT max(version) FROM reprise_schema";
pub const RECORD_SCHEMA_VERSION: &str = "INSERT INTO reprise_schema (version) VALUES (?1)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_differs_between_backends_only_in_its_column_types() {
        let lite = schema(Dialect::Sqlite);
        let pg = schema(Dialect::Postgres);
        assert!(
            !lite.contains('{') && !pg.contains('{'),
            "a placeholder is left"
        );
        assert!(lite.contains("body BLOB NOT NULL") && pg.contains("body BYTEA NOT NULL"));
        assert_eq!(
            lite.replace("INTEGER", "BIGINT").replace("BLOB", "BYTEA"),
            pg
        );
    }

    #[test]
    fn only_postgres_takes_row_locks() {
        assert_eq!(
            locked(STATION_STATUS, Lock::Share, Dialect::Postgres),
            format!("{STATION_STATUS} FOR SHARE")
        );
        assert_eq!(
            locked(TOKEN, Lock::Update, Dialect::Postgres),
            format!("{TOKEN} FOR UPDATE")
        );
        assert_eq!(locked(TOKEN, Lock::Update, Dialect::Sqlite), TOKEN);
    }

    #[test]
    fn placeholders_become_dollars_for_postgres_and_nothing_else_changes() {
        assert_eq!(
            pg("SELECT a FROM t WHERE a = ?1 AND b LIKE ?12 ESCAPE '\\' AND c = '?'"),
            "SELECT a FROM t WHERE a = $1 AND b LIKE $12 ESCAPE '\\' AND c = '?'"
        );
    }

    #[test]
    fn filter_numbers_placeholders_after_existing_ones_and_escapes_like() {
        let f = Filter {
            serial: Some("PF1_%".into()),
            to: Some("2026-12-31".into()),
            decision: Some("recycle".into()),
            model: Some(String::new()),
            ..Filter::default()
        };
        let mut params = vec![Param::Int(0)];
        let w = f.where_clause(&mut params);
        assert!(
            w.starts_with(" WHERE (lower(coalesce(c.serial, '')) LIKE ?2"),
            "{w}"
        );
        assert!(w.contains("substr(c.issued_at, 1, 10) <= ?3"), "{w}");
        assert!(w.ends_with("c.decision = ?4"), "{w}");
        assert_eq!(params[1], Param::Text("%pf1\\_\\%%".into()));
        assert_eq!(Filter::default().where_clause(&mut Vec::new()), "");
        let after = Filter {
            before: Some((
                "2026-11-26T10:00:00.000Z".into(),
                "abc-00000007".into(),
                "sha256:00".into(),
            )),
            ..Filter::default()
        };
        let mut params = Vec::new();
        assert_eq!(
            after.where_clause(&mut params),
            " WHERE (c.issued_at, c.id, c.digest) < (?1, ?2, ?3)"
        );
        assert_eq!(params.len(), 3);
    }
}
