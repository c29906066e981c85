//! A streamed HTTP download that survives a dropped connection: an installed image read from
//! the workshop server (`GET /api/v1/images/NAME`) through `ureq`, a maintained HTTP/1.1 client
//! (chunked bodies, ranges) — the hand-written client of `net.rs` is kept for small JSON
//! exchanges. When the body stops short (the connection cut, a read timeout), [`HttpImage`]
//! asks again from the byte it reached (`Range: bytes=POS-`), a bounded number of times with a
//! growing pause, and accepts the rest only from the same image: a 206 whose `Content-Range`
//! starts at that byte, with the same `X-Reprise-Image-Sha256`, `ETag` and `Last-Modified` as
//! the first answer.

use std::io::{self, Read};
use std::time::Duration;

use thiserror::Error;
use ureq::http::HeaderMap;

/// Header in which the workshop server names the image's SHA-256 (over its raw bytes).
pub const SHA_HEADER: &str = "x-reprise-image-sha256";

/// How a download retries after its connection dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Resumptions allowed in a row without a byte of progress in between.
    pub attempts: u32,
    /// The first pause; each further attempt in a row doubles it.
    pub backoff: Duration,
    /// A read that waits longer than this is a dropped connection.
    pub read_timeout: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 6,
            backoff: Duration::from_secs(1),
            read_timeout: Duration::from_secs(30),
        }
    }
}

/// Why a download failed.
#[derive(Debug, Error)]
pub enum HttpError {
    #[error("GET {url}")]
    Request {
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },
    #[error("GET {url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("GET {url}: resuming at byte {pos}: {what}")]
    Resume { url: String, pos: u64, what: String },
    #[error(
        "GET {url}: the connection dropped {attempts} times in a row at byte {pos} (last: {last}); giving up"
    )]
    GaveUp {
        url: String,
        pos: u64,
        attempts: u32,
        last: String,
    },
    #[error("GET {url}: the body")]
    Body {
        url: String,
        #[source]
        source: io::Error,
    },
}

/// What identifies the image a server sends, compared on every resumption.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Identity {
    sha256: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
}

impl Identity {
    fn of(h: &HeaderMap) -> Identity {
        let get = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_owned())
        };
        Identity {
            sha256: get(SHA_HEADER),
            etag: get("etag"),
            last_modified: get("last-modified"),
        }
    }
}

fn agent(read_timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_recv_response(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(read_timeout))
        .build()
        .new_agent()
}

/// GETs a small document (`GET /api/v1/images`), at most `limit` bytes.
pub fn get_small(url: &str, limit: u64) -> Result<Vec<u8>, HttpError> {
    let resp = agent(Duration::from_secs(30))
        .get(url)
        .call()
        .map_err(|e| HttpError::Request {
            url: url.to_owned(),
            source: Box::new(e),
        })?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(HttpError::Status {
            url: url.to_owned(),
            status,
        });
    }
    let mut out = Vec::new();
    resp.into_body()
        .into_with_config()
        .limit(limit)
        .reader()
        .read_to_end(&mut out)
        .map_err(|source| HttpError::Body {
            url: url.to_owned(),
            source,
        })?;
    Ok(out)
}

/// The body of a large GET, read as a stream that resumes after a dropped connection.
pub struct HttpImage {
    agent: ureq::Agent,
    url: String,
    retry: Retry,
    identity: Identity,
    /// Bytes of the body delivered so far: where a resumption starts.
    pos: u64,
    /// The body's length, when the server said it.
    total: Option<u64>,
    body: Option<ureq::BodyReader<'static>>,
    /// Resumptions done, for the record.
    resumes: u32,
}

impl std::fmt::Debug for HttpImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpImage")
            .field("url", &self.url)
            .field("pos", &self.pos)
            .field("total", &self.total)
            .field("resumes", &self.resumes)
            .finish_non_exhaustive()
    }
}

impl HttpImage {
    /// Starts the download of `url` (a 200 answer).
    pub fn open(url: &str, retry: Retry) -> Result<HttpImage, HttpError> {
        let agent = agent(retry.read_timeout);
        let resp = agent.get(url).call().map_err(|e| HttpError::Request {
            url: url.to_owned(),
            source: Box::new(e),
        })?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(HttpError::Status {
                url: url.to_owned(),
                status,
            });
        }
        let identity = Identity::of(resp.headers());
        let total = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        Ok(HttpImage {
            agent,
            url: url.to_owned(),
            retry,
            identity,
            pos: 0,
            total,
            body: Some(resp.into_body().into_reader()),
            resumes: 0,
        })
    }

    /// The SHA-256 the server states for the image (`X-Reprise-Image-Sha256`), as sent.
    pub fn stated_sha256(&self) -> Option<&str> {
        self.identity.sha256.as_deref()
    }

    /// The body's length, when the server said it.
    pub fn content_length(&self) -> Option<u64> {
        self.total
    }

    /// How many times the download resumed after a dropped connection.
    pub fn resumes(&self) -> u32 {
        self.resumes
    }

    /// Asks for the rest of the body from `self.pos`; refuses anything but the same image
    /// from that very byte.
    fn resume(&mut self) -> Result<(), HttpError> {
        let pos = self.pos;
        let resp = self
            .agent
            .get(&self.url)
            .header("Range", format!("bytes={pos}-"))
            .call()
            .map_err(|e| HttpError::Request {
                url: self.url.clone(),
                source: Box::new(e),
            })?;
        let fail = |what: String| HttpError::Resume {
            url: self.url.clone(),
            pos,
            what,
        };
        let status = resp.status().as_u16();
        if status != 206 {
            return Err(fail(format!(
                "HTTP {status} to a range request (206 expected)"
            )));
        }
        let range = resp
            .headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if content_range_start(&range) != Some(pos) {
            return Err(fail(format!(
                "Content-Range {range:?} does not start there"
            )));
        }
        let identity = Identity::of(resp.headers());
        if identity != self.identity {
            return Err(fail(format!(
                "the server now sends another image ({identity:?}, first {:?})",
                self.identity
            )));
        }
        self.body = Some(resp.into_body().into_reader());
        self.resumes += 1;
        Ok(())
    }
}

/// The first byte of a `Content-Range: bytes FIRST-LAST/TOTAL`.
fn content_range_start(v: &str) -> Option<u64> {
    v.trim()
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .trim()
        .parse()
        .ok()
}

impl Read for HttpImage {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut failures = 0u32;
        let mut last = String::new();
        loop {
            match self.body.as_mut().map(|b| b.read(buf)) {
                Some(Ok(0)) if self.total.is_none_or(|t| self.pos >= t) => return Ok(0),
                Some(Ok(0)) => last = format!("the body ended at byte {}", self.pos),
                Some(Ok(n)) => {
                    self.pos += n as u64;
                    return Ok(n);
                }
                Some(Err(e)) => last = e.to_string(),
                // The previous resumption failed; `last` says why.
                None => {}
            }
            self.body = None;
            if failures >= self.retry.attempts {
                return Err(io::Error::other(HttpError::GaveUp {
                    url: self.url.clone(),
                    pos: self.pos,
                    attempts: failures,
                    last,
                }));
            }
            let pause = self.retry.backoff.saturating_mul(1 << failures.min(10));
            failures += 1;
            super::clock::sleep(pause);
            match self.resume() {
                Ok(()) => {}
                // A server that answers, but with another image, will not change its mind.
                Err(e @ HttpError::Resume { .. }) => return Err(io::Error::other(e)),
                Err(e) => last = crate::model::error_chain(&e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_start_is_read() {
        assert_eq!(content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(content_range_start("bytes */200"), None);
        assert_eq!(content_range_start(""), None);
    }
}
