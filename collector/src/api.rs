//! The HTTP API the agent talks to (documented in `collector/README.md`):
//!
//! - `POST /api/v1/certificates`: a certificate file; 201 stored, 200 already stored, 4xx refused
//!   (nothing stored), 503 storage unavailable (retry). A 2xx is sent only once the row is
//!   durable, and carries a `receipt` signed with the server key (`reprise_cert::exchange::
//!   Receipt`: kind, id, digest, station key, status, time) — what the agent believes.
//! - `POST /api/v1/records`: a signed refurbishment record, answered as a certificate upload;
//!   409 `no_certificate` while the certificate it follows is not stored.
//! - `POST /api/v1/stations`: enrol the station key of a PXE-booted machine with the one-time
//!   token its `boot.ipxe` carried (`reprise.enroll=`).
//! - `POST /api/v1/hello`: a station's signed hello; the answer, signed with the server key,
//!   carries the hello's nonce, the server's time and whether the station is enrolled, revoked
//!   or unknown (or enrolled now, with the PXE token the hello carried).
//! - `GET /healthz`.
//!
//! Every error is `{"error": "<sentence>", "code": "<stable code>"}`.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use reprise_cert::exchange::{self, Answer, Receipt, StationStatus};
use serde::Deserialize;
use serde_json::json;

use crate::ingest::{self, MAX_BODY_BYTES, Refusal};
use crate::store::{Conflict, Insert, RecordInsert, Station, TokenEnroll};
use crate::util;
use crate::web::list::hex_of;
use crate::web::{App, PxeEnroll};

/// Past the limit, the rest of a body is read and dropped up to this size, so that the client
/// (which is still sending) reads the 413 instead of a connection reset; beyond it, the
/// connection is closed.
const DRAIN_LIMIT: usize = 8 << 20;

/// A JSON error response.
pub fn error(status: u16, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(json!({"error": message, "code": code}))).into_response()
}

/// A certificate or record the store could not keep: said in the server's log, and a 503 the
/// agent retries (its file stays pending).
fn not_stored(what: &str, id: &str, e: &dyn std::error::Error) -> Response {
    eprintln!("{what} {id}: {}", util::error_chain(e));
    error(
        503,
        "storage_unavailable",
        &format!("not stored, try again: {}", util::error_chain(e)),
    )
}

fn refusal(r: &Refusal) -> Response {
    error(r.status, r.code, &r.message)
}

/// Reads a body of at most `limit` bytes; Err is the response to send: 413 past the limit, 408
/// (and the connection closed) when it did not arrive within the read timeout (`conn`).
async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, Response> {
    let too_large = || error(413, "too_large", &format!("the body exceeds {limit} bytes"));
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > DRAIN_LIMIT as u64) {
        return Err(too_large());
    }
    let mut body = body;
    let mut buf = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            Err(e) if crate::conn::is_body_timeout(&e) => {
                let mut r = error(408, "timeout", &util::error_chain(&e));
                r.headers_mut().insert(
                    header::CONNECTION,
                    header::HeaderValue::from_static("close"),
                );
                return Err(r);
            }
            Err(e) => {
                return Err(error(
                    400,
                    "malformed",
                    &format!("cannot read the body: {}", util::error_chain(&e)),
                ));
            }
        };
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen <= limit {
                buf.extend_from_slice(&data);
            } else if seen > DRAIN_LIMIT {
                return Err(too_large());
            }
        }
    }
    if seen > limit {
        return Err(too_large());
    }
    Ok(buf)
}

/// `POST /api/v1/certificates`
pub async fn upload(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let bytes = match read_limited(&headers, body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let received_at = util::now();
    // Verification is CPU work (JSON, JCS, Ed25519): off the async threads for big bodies.
    let prepared = if bytes.len() > 64 * 1024 {
        let at = received_at.clone();
        match tokio::task::spawn_blocking(move || ingest::prepare(&bytes, &at)).await {
            Ok(p) => p,
            Err(e) => return error(500, "internal", &util::error_chain(&e)),
        }
    } else {
        ingest::prepare(&bytes, &received_at)
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(r) => return refusal(&r),
    };
    let row = prepared.new.row.clone();
    let outcome = match app.store.insert(prepared.new).await {
        Ok(o) => o,
        Err(e) => return not_stored("upload of", &row.id, &e),
    };
    let ok = |status: StatusCode, word: &str| {
        let receipt = signed_receipt(
            &app,
            "certificate",
            (&row.id, &row.digest, &row.station_key_id),
            word,
        );
        (
            status,
            Json(json!({
                "status": word,
                "id": row.id,
                "digest": row.digest,
                "station_key_id": row.station_key_id,
                "sequence": row.sequence,
                "url": format!("{}/c/{}", app.base_url(&headers), hex_of(&row.digest)),
                "receipt": receipt,
            })),
        )
            .into_response()
    };
    match outcome {
        Insert::Created => ok(StatusCode::CREATED, "created"),
        Insert::Duplicate => ok(StatusCode::OK, "already_stored"),
        Insert::UnknownKey => error(
            403,
            "unknown_key",
            &format!(
                "station key {} is not enrolled on this collector (reprise-collector enroll)",
                row.station_key_id
            ),
        ),
        Insert::RevokedKey { revoked_at } => error(
            403,
            "revoked_key",
            &format!(
                "station key {} was revoked on {revoked_at}",
                row.station_key_id
            ),
        ),
        Insert::IdConflict { existing_digest } => {
            // The signature is valid and the key enrolled: keep a trace for the station page.
            let conflict = Conflict {
                station_key_id: row.station_key_id.clone(),
                certificate_id: row.id.clone(),
                digest: row.digest.clone(),
                sequence: row.sequence,
                received_at: received_at.clone(),
            };
            if let Err(e) = app.store.record_conflict(conflict).await {
                eprintln!(
                    "recording the conflict of {}: {}",
                    row.id,
                    util::error_chain(&e)
                );
            }
            error(
                409,
                "id_conflict",
                &format!(
                    "certificate {} is already stored with other content (digest {existing_digest}; this one is {})",
                    row.id, row.digest
                ),
            )
        }
    }
}

/// `POST /api/v1/records`: a signed refurbishment record (`reprise_cert::refurbish`), taken as
/// a certificate is (same statuses and codes; the acknowledgement names its digest) and refused
/// with 409 `no_certificate` while the certificate it follows is not stored for its station.
pub async fn upload_record(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let bytes = match read_limited(&headers, body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    // A record is a few KiB: verified on the async thread, as small certificates are.
    let new = match ingest::prepare_record(&bytes, &util::now()) {
        Ok(n) => n,
        Err(r) => return refusal(&r),
    };
    let row = new.row.clone();
    let outcome = match app.store.insert_record(new).await {
        Ok(o) => o,
        Err(e) => return not_stored("upload of record", &row.id, &e),
    };
    let ok = |status: StatusCode, word: &str| {
        let receipt = signed_receipt(
            &app,
            "refurbishment",
            (&row.id, &row.digest, &row.station_key_id),
            word,
        );
        (
            status,
            Json(json!({
                "status": word,
                "id": row.id,
                "digest": row.digest,
                "station_key_id": row.station_key_id,
                "certificate_digest": row.certificate_digest,
                "receipt": receipt,
                "url": format!(
                    "{}/c/{}",
                    app.base_url(&headers),
                    hex_of(&row.certificate_digest)
                ),
            })),
        )
            .into_response()
    };
    match outcome {
        RecordInsert::Stored(Insert::Created) => ok(StatusCode::CREATED, "created"),
        RecordInsert::Stored(Insert::Duplicate) => ok(StatusCode::OK, "already_stored"),
        RecordInsert::Stored(Insert::UnknownKey) => error(
            403,
            "unknown_key",
            &format!(
                "station key {} is not enrolled on this collector (reprise-collector enroll)",
                row.station_key_id
            ),
        ),
        RecordInsert::Stored(Insert::RevokedKey { revoked_at }) => error(
            403,
            "revoked_key",
            &format!(
                "station key {} was revoked on {revoked_at}",
                row.station_key_id
            ),
        ),
        RecordInsert::Stored(Insert::IdConflict { existing_digest }) => error(
            409,
            "id_conflict",
            &format!(
                "record {} is already stored with other content (digest {existing_digest}; this one is {})",
                row.id, row.digest
            ),
        ),
        RecordInsert::NoCertificate => error(
            409,
            "no_certificate",
            &format!(
                "record {} follows certificate {} (digest {}), which this collector has not stored for station key {}: upload the certificate first",
                row.id,
                row.id.strip_suffix("-r").unwrap_or(&row.id),
                row.certificate_digest,
                row.station_key_id
            ),
        ),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The `reprise.enroll=` value of the kernel command line.
    pub token: String,
    /// The station's public key, SPKI PEM (`keys/station.pub`).
    pub public_key: String,
}

/// Why a PXE token enrolled nothing: the answer to send (status, code, sentence).
struct NotEnrolled(u16, &'static str, String);

impl NotEnrolled {
    fn response(&self) -> Response {
        error(self.0, self.1, &self.2)
    }
}

/// Enrols `key` (its SPKI PEM as given) with a PXE token, when this collector enrols PXE
/// stations at all: the one path of `POST /api/v1/stations` and of a hello carrying a token.
async fn enroll_with_token(
    app: &App,
    token: &str,
    key: &ed25519_dalek::VerifyingKey,
    pem: String,
) -> Result<TokenEnroll, NotEnrolled> {
    if app.pxe_enroll == PxeEnroll::None || app.boot_dir.is_none() {
        return Err(NotEnrolled(
            403,
            "pxe_enroll_disabled",
            "this collector does not enrol PXE stations (serve --boot-dir ... --pxe-enroll marked|all)"
                .into(),
        ));
    }
    if !crate::web::auth::plausible_token(token) {
        return Err(NotEnrolled(
            403,
            "token_refused",
            "not a token of this collector".into(),
        ));
    }
    let key_id = reprise_cert::sign::key_id(key);
    let hex = hex_of(&key_id);
    let station = Station {
        name: format!("pxe-{}", &hex[..hex.len().min(16)]),
        key_id,
        site: String::new(),
        public_key: base64_of(key.as_bytes()),
        public_key_pem: pem,
        enrolled_at: util::now(),
        revoked_at: None,
        enrolled_via: "pxe".into(),
        note: None,
    };
    app.store
        .enroll_with_token(util::sha256_hex(token), station)
        .await
        .map_err(|e| NotEnrolled(503, "storage_unavailable", util::error_chain(&e)))
}

/// `POST /api/v1/stations`
pub async fn enroll(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    if app.pxe_enroll == PxeEnroll::None || app.boot_dir.is_none() {
        // Said before the body is read, as it always was.
        return error(
            403,
            "pxe_enroll_disabled",
            "this collector does not enrol PXE stations (serve --boot-dir ... --pxe-enroll marked|all)",
        );
    }
    let bytes = match read_limited(&headers, body, 16 * 1024).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let req: EnrollRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return error(400, "malformed", &format!("enrolment request: {e}")),
    };
    if !crate::web::auth::plausible_token(&req.token) {
        return error(403, "token_refused", "not a token of this collector");
    }
    let key = match reprise_cert::sign::verifying_key_from_pem(&req.public_key, "public_key") {
        Ok(k) => k,
        Err(e) => return error(400, "malformed", &util::error_chain(&e)),
    };
    let reply = |status: StatusCode, s: &Station| {
        (
            status,
            Json(json!({"key_id": s.key_id, "station": s.name, "site": s.site})),
        )
            .into_response()
    };
    match enroll_with_token(&app, &req.token, &key, req.public_key.clone()).await {
        Ok(TokenEnroll::Enrolled(s)) => reply(StatusCode::CREATED, &s),
        Ok(TokenEnroll::Again(s)) => reply(StatusCode::OK, &s),
        Ok(TokenEnroll::Refused(why)) => error(403, "token_refused", why),
        Err(n) => n.response(),
    }
}

/// `POST /api/v1/hello`: a station's signed hello (`reprise_cert::exchange`), answered with the
/// server's time and what it knows of the station, signed with the server key. A hello that
/// carries a PXE token enrols the key that signed it (the signature proves the station holds
/// it). A hello that does not verify gets an unsigned 400: the station believes nothing of it.
pub async fn hello(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let bytes = match read_limited(&headers, body, exchange::MAX_MESSAGE_BYTES).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let opened = match exchange::open_hello(&bytes) {
        Ok(o) => o,
        Err(e) => return error(400, "hello_refused", &format!("hello: {e}")),
    };
    let hello = opened.hello;
    if let Err(why) = util::check_utc_time(&hello.station_time) {
        return error(
            400,
            "hello_refused",
            &format!("hello: station_time {:?}: {why}", hello.station_time),
        );
    }
    let known = match app.store.station(hello.station_key_id.clone()).await {
        Ok(s) => s,
        Err(e) => return error(503, "storage_unavailable", &util::error_chain(&e)),
    };
    let (station, name, note) = match known {
        Some(s) => match s.revoked_at {
            Some(at) => (
                StationStatus::Revoked,
                Some(s.name),
                Some(format!("revoked on {at}")),
            ),
            None => (StationStatus::Enrolled, Some(s.name), None),
        },
        None => match &hello.enroll_token {
            None => (StationStatus::Unknown, None, None),
            Some(token) => {
                let pem = match reprise_cert::sign::public_key_pem(&opened.key) {
                    Ok(p) => p,
                    Err(e) => return error(500, "internal", &util::error_chain(&e)),
                };
                match enroll_with_token(&app, token, &opened.key, pem).await {
                    Ok(TokenEnroll::Enrolled(s)) => {
                        (StationStatus::EnrolledNow, Some(s.name), None)
                    }
                    // Enrolled by the same token a moment ago (a retried hello).
                    Ok(TokenEnroll::Again(s)) => (StationStatus::Enrolled, Some(s.name), None),
                    Ok(TokenEnroll::Refused(why)) => (
                        StationStatus::Unknown,
                        None,
                        Some(format!("enrolment token refused: {why}")),
                    ),
                    Err(NotEnrolled(503, _, why)) => {
                        return error(503, "storage_unavailable", &why);
                    }
                    Err(NotEnrolled(_, _, why)) => (
                        StationStatus::Unknown,
                        None,
                        Some(format!("enrolment token refused: {why}")),
                    ),
                }
            }
        },
    };
    let answer = Answer {
        purpose: exchange::ANSWER_PURPOSE.into(),
        nonce: hello.nonce,
        station_key_id: hello.station_key_id,
        server_time: util::now(),
        station,
        station_name: name,
        note,
    };
    match exchange::seal(&answer, &app.server_key.key) {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error(500, "internal", &util::error_chain(&e)),
    }
}

/// The receipt of an upload the server keeps, sealed with its key (`{"message", "signature"}`,
/// as a hello's answer): the agent counts the upload as stored only on it. A receipt that
/// cannot be sealed (its strings always can) is `null`: the agent keeps the file and sends it
/// again, which is answered "already stored".
/// Named by the row's id, digest and station key id.
fn signed_receipt(
    app: &App,
    kind: &str,
    (id, digest, station_key_id): (&str, &str, &str),
    status: &str,
) -> serde_json::Value {
    let receipt = Receipt {
        purpose: exchange::RECEIPT_PURPOSE.into(),
        kind: kind.into(),
        id: id.into(),
        digest: digest.into(),
        station_key_id: station_key_id.into(),
        status: status.into(),
        server_time: util::now(),
    };
    match exchange::seal(&receipt, &app.server_key.key).map(|b| serde_json::from_slice(&b)) {
        Ok(Ok(v)) => v,
        _ => {
            eprintln!("the receipt of {kind} {id} could not be sealed");
            serde_json::Value::Null
        }
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `GET /healthz`
pub async fn health() -> Response {
    (StatusCode::OK, Json(json!({"status": "ok"}))).into_response()
}
