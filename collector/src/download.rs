//! The image API for the agents (`collector/README.md`, "Images"): the list of images, and each
//! image's stored file with HTTP ranges, so that a download of several GB resumes where a
//! dropped connection left it.
//!
//! - `GET /api/v1/images`: JSON, the images that can be downloaded (not removed).
//! - `GET|HEAD /api/v1/images/NAME[/VERSION]`: the stored file (`NAME` alone: its latest added
//!   version). `Accept-Ranges: bytes`; one `Range: bytes=a-b`, `a-` or `-n` gives 206 with
//!   `Content-Range`, a range past the end 416 (`Content-Range: bytes */SIZE`); a Range this
//!   server does not take (several ranges, another unit, bad syntax) is ignored (200, the whole
//!   file), as RFC 9110 allows. `If-Range` with the `ETag` honours the range only while the
//!   file is that one. The headers name the image (`X-Reprise-Image-Name`, `-Version`,
//!   `-Sha256` of the raw bytes, `-Raw-Size`, `-Compression`).
//!
//! No login, like the certificate API: an image is no secret in the workshop, and what
//! protects a laptop is the agent's check of what it wrote against the record's SHA-256. A
//! download is one response body: the connection's read timeout (`conn`) covers only request
//! heads and bodies, so a slow disk on the agent's side may take hours to read it.

use std::io::SeekFrom;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio_util::io::ReaderStream;

use crate::api::error;
use crate::store::Image;
use crate::util;
use crate::web::App;

/// Bytes read from the file per chunk sent.
const CHUNK: usize = 256 * 1024;

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// The whole file (no Range, or one this server ignores).
    Full,
    /// Bytes `start..=end` (within the file).
    Part { start: u64, end: u64 },
    /// Nothing of the file can be given (416).
    Unsatisfiable,
}

/// Reads one `Range` header value for a file of `len` bytes (RFC 9110 §14.1.2): `bytes=a-b`,
/// `bytes=a-`, `bytes=-n`. An end past the file is cut to it; a first byte past it, or a
/// suffix of zero bytes, is unsatisfiable. Several ranges, another unit or bad syntax: the
/// whole file (a server may ignore Range).
pub fn parse_range(value: &str, len: u64) -> Range {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Range::Full;
    };
    let spec = spec.trim();
    if spec.contains(',') {
        return Range::Full;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Range::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let number = |s: &str| {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            // More digits than a u64 holds: as large as can be.
            Some(s.parse::<u64>().unwrap_or(u64::MAX))
        }
    };
    match (a.is_empty(), number(a), number(b)) {
        // -n: the last n bytes.
        (true, _, Some(n)) => {
            if n == 0 || len == 0 {
                Range::Unsatisfiable
            } else {
                Range::Part {
                    start: len.saturating_sub(n),
                    end: len - 1,
                }
            }
        }
        (false, Some(start), end) if b.is_empty() || end.is_some() => {
            if end.is_some_and(|e| e < start) {
                return Range::Full;
            }
            if start >= len {
                return Range::Unsatisfiable;
            }
            Range::Part {
                start,
                end: end.map_or(len - 1, |e| e.min(len - 1)),
            }
        }
        _ => Range::Full,
    }
}

/// The entity tag of an image's stored file. A name and version are never reused, and the
/// tag names the raw content, the stored form and its size: `If-Range` with it resumes only
/// the very file a download began.
pub fn etag(image: &Image) -> String {
    format!("\"{}-{}-{}\"", image.sha256, image.compression, image.size)
}

/// The URL of an image's file for the agent (`base` without a trailing slash).
pub fn url_of(base: &str, image: &Image) -> String {
    format!("{base}/api/v1/images/{}/{}", image.name, image.version)
}

/// An image as the list gives it.
fn listed(base: &str, i: &Image) -> serde_json::Value {
    json!({
        "name": i.name,
        "version": i.version,
        "sha256": i.sha256,
        "raw_size": i.raw_size,
        "size": i.size,
        "compression": i.compression,
        "added_at": i.added_at,
        "url": url_of(base, i),
    })
}

/// `GET /api/v1/images`: `{"images": [...]}`, the images that can be downloaded, each name's
/// versions newest first (the first of a name is what `NAME` alone downloads).
pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let images = match app.store.images().await {
        Ok(i) => i,
        Err(e) => return error(503, "storage_unavailable", &util::error_chain(&e)),
    };
    let base = app.agent_base_url(&headers);
    let list: Vec<_> = images
        .iter()
        .filter(|i| i.removed_at.is_none())
        .map(|i| listed(&base, i))
        .collect();
    let mut resp = axum::Json(json!({ "images": list })).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `GET|HEAD /api/v1/images/NAME`: the latest version.
pub async fn latest(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&app, name, None, &headers).await
}

/// `GET|HEAD /api/v1/images/NAME/VERSION`.
pub async fn version(
    State(app): State<Arc<App>>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    serve(&app, name, Some(version), &headers).await
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("?"))
}

async fn serve(app: &App, name: String, version: Option<String>, headers: &HeaderMap) -> Response {
    let what = match &version {
        Some(v) => format!("{name} {v}"),
        None => name.clone(),
    };
    let image = match app.store.image(name, version).await {
        Ok(Some(i)) => i,
        Ok(None) => {
            return error(
                404,
                "unknown_image",
                &format!("no image {what} here (or every version of it was removed)"),
            );
        }
        Err(e) => return error(503, "storage_unavailable", &util::error_chain(&e)),
    };
    if let Some(at) = &image.removed_at {
        return error(
            410,
            "image_removed",
            &format!("image {} {} was removed on {at}", image.name, image.version),
        );
    }
    let Some(dir) = &app.images_dir else {
        return error(
            503,
            "images_unavailable",
            "this collector was started without --images DIR: it serves no image files",
        );
    };
    let Some(path) = crate::images::path_of(dir, &image) else {
        return error(
            500,
            "image_missing",
            &format!(
                "image {} {}: its record names no file",
                image.name, image.version
            ),
        );
    };
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("image {what}: {}: {e}", path.display());
            return error(
                500,
                "image_missing",
                &format!(
                    "image {} {}: its file cannot be read ({e})",
                    image.name, image.version
                ),
            );
        }
    };
    let len = match file.metadata().await {
        Ok(m) => m.len(),
        Err(e) => {
            return error(
                500,
                "image_missing",
                &format!("image {what}: {}: {e}", path.display()),
            );
        }
    };
    let tag = etag(&image);
    // If-Range: the range only while the file is the one the client began (a date never
    // matches: only the tag says so exactly).
    let range_allowed = headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v.to_str().is_ok_and(|v| v.trim() == tag));
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(r) if range_allowed => parse_range(r, len),
        _ => Range::Full,
    };
    let mut resp = match range {
        Range::Unsatisfiable => {
            let mut r = error(
                416,
                "range_not_satisfiable",
                &format!("the image file has {len} bytes"),
            );
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes */{len}")),
            );
            r
        }
        Range::Full => body_of(file, len, StatusCode::OK),
        Range::Part { start, end } => {
            if let Err(e) = file.seek(SeekFrom::Start(start)).await {
                return error(
                    500,
                    "image_missing",
                    &format!("image {what}: {}: {e}", path.display()),
                );
            }
            let mut r = body_of(file, end - start + 1, StatusCode::PARTIAL_CONTENT);
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes {start}-{end}/{len}")),
            );
            r
        }
    };
    let h = resp.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, header_value(&tag));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    for (name, value) in [
        ("x-reprise-image-name", image.name.as_str()),
        ("x-reprise-image-version", image.version.as_str()),
        ("x-reprise-image-sha256", image.sha256.as_str()),
        ("x-reprise-image-raw-size", &image.raw_size.to_string()),
        ("x-reprise-image-compression", image.compression.as_str()),
    ] {
        h.insert(HeaderName::from_static(name), header_value(value));
    }
    resp
}

/// `count` bytes of `file` from where it stands, streamed.
fn body_of(file: tokio::fs::File, count: u64, status: StatusCode) -> Response {
    let stream = ReaderStream::with_capacity(file.take(count), CHUNK);
    let mut resp = (status, Body::from_stream(stream)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, header_value(&count.to_string()));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_one_part_are_read_and_cut_to_the_file() {
        let part = |start, end| Range::Part { start, end };
        assert_eq!(parse_range("bytes=0-99", 1000), part(0, 99));
        assert_eq!(parse_range("bytes=500-", 1000), part(500, 999));
        assert_eq!(parse_range("bytes=-100", 1000), part(900, 999));
        assert_eq!(parse_range("bytes=-5000", 1000), part(0, 999));
        assert_eq!(parse_range("bytes=990-5000", 1000), part(990, 999));
        assert_eq!(parse_range(" bytes = 7 - 7 ", 1000), Range::Full);
        assert_eq!(parse_range("bytes=7-7", 1000), part(7, 7));
        assert_eq!(
            parse_range("bytes=999-99999999999999999999999", 1000),
            part(999, 999)
        );
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(parse_range("bytes=1000-", 1000), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=1000-2000", 1000), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), Range::Unsatisfiable);
    }

    #[test]
    fn ranges_this_server_does_not_take_give_the_whole_file() {
        for v in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=5-1",
            "bytes=a-b",
            "bytes=-",
            "bytes=1",
            "bytes=+1-2",
            "0-1",
        ] {
            assert_eq!(parse_range(v, 1000), Range::Full, "{v}");
        }
    }
}
