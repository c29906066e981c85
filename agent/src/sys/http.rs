//! HTTP with the workshop server, through `ureq` (a maintained HTTP/1.1 client: chunked bodies,
//! keep-alive, ranges; built without TLS, so it links static), in two shapes:
//!
//! - [`Client`]: small JSON exchanges — the signed hello, certificate and record uploads, the
//!   enrolment — each answer read whole, under a cap, with connect and total timeouts; one
//!   client reuses its connection for the requests of one pass. `http://` only: anything else is
//!   refused before a byte goes out ([`RequestError::Url`]). Its errors sort themselves into what
//!   the callers tell apart: the server unreachable (refused, no route), no answer in time, an
//!   answer that is not one (cut short, too big, not HTTP); an HTTP status is an answer.
//! - [`HttpImage`]: a streamed download that survives a dropped connection: an installed image
//!   read from the workshop server (`GET /api/v1/images/NAME`). When the body stops short (the
//!   connection cut, a read timeout), it asks again from the byte it reached
//!   (`Range: bytes=POS-`), a bounded number of times with a growing pause, and accepts the rest
//!   only from the same image: a 206 whose `Content-Range` starts at that byte, with the same
//!   `X-Reprise-Image-Sha256`, `ETag` and `Last-Modified` as the first answer.
//!
//! Whether the server is there is never a TCP connect: it is the signed exchange of
//! `flow::trust`.

use std::io::{self, Read};
use std::time::Duration;

use thiserror::Error;
use ureq::http::HeaderMap;

/// How long a server may take to accept a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long one small exchange may take, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Largest answer read from the server in a small exchange: its answers are a few hundred
/// bytes of JSON.
pub const MAX_ANSWER: u64 = 1 << 20;

/// What bounds a small exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub connect: Duration,
    /// The whole exchange: connection, request, answer.
    pub total: Duration,
    /// The answer's body, in bytes.
    pub max_answer: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect: CONNECT_TIMEOUT,
            total: REQUEST_TIMEOUT,
            max_answer: MAX_ANSWER,
        }
    }
}

/// The server's answer to one request: any status is an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why a small exchange got no answer.
#[derive(Debug, Error)]
pub enum RequestError {
    /// Not a URL the agent sends to (`https://`, no host): refused before anything was sent.
    #[error("{0}")]
    Url(String),
    /// The server could not be reached: refused, no route, no address, no connection in time.
    #[error("cannot reach {url}: {why}")]
    Connect { url: String, why: String },
    /// Connected, but no whole answer within the exchange's time.
    #[error("{url}: no answer within {} s", secs.max(&1))]
    TimedOut { url: String, secs: u64 },
    /// Something came back that is not a whole HTTP answer: cut short, too big, not HTTP.
    #[error("{url}: bad answer: {why}")]
    BadAnswer { url: String, why: String },
}

/// Host and port of an `http://` or `https://` URL ("http://10.0.0.1:8080/x" → ("10.0.0.1",
/// 8080)); IPv6 hosts in brackets.
pub fn host_port(url: &str) -> Result<(String, u16), String> {
    let (rest, default_port) = if let Some(r) = url.strip_prefix("http://") {
        (r, 80)
    } else if let Some(r) = url.strip_prefix("https://") {
        (r, 443)
    } else {
        return Err(format!("{url:?} is not an http:// or https:// URL"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{url:?}: unclosed IPv6 bracket"))?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    let port = match port {
        Some(p) => p.parse().map_err(|_| format!("{url:?}: bad port {p:?}"))?,
        None => default_port,
    };
    Ok((host.to_owned(), port))
}

/// A client for small exchanges with the workshop server; its connection is kept between the
/// requests of one pass (keep-alive).
pub struct Client {
    agent: ureq::Agent,
    limits: Limits,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new(Limits::default())
    }
}

impl Client {
    pub fn new(limits: Limits) -> Client {
        let agent = ureq::Agent::config_builder()
            // A status is an answer the callers read (the server's error sentence is in it).
            .http_status_as_error(false)
            // The API never redirects; a redirect is shown as what it is, not followed.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(limits.connect))
            .timeout_global(Some(limits.total))
            .user_agent(crate::model::tool_version())
            .accept("application/json")
            .build()
            .new_agent();
        Client { agent, limits }
    }

    /// POSTs `body` (JSON) to `url` and returns the status and body of the answer.
    pub fn post_json(&self, url: &str, body: &[u8]) -> Result<Response, RequestError> {
        if !url.starts_with("http://") {
            return Err(RequestError::Url(format!(
                "{url:?}: only http:// URLs (the workshop network) are supported"
            )));
        }
        host_port(url).map_err(RequestError::Url)?;
        let sort = |e: ureq::Error| self.sort(url, e);
        let resp = self
            .agent
            .post(url)
            .content_type("application/json")
            .send(body)
            .map_err(sort)?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .into_with_config()
            .limit(self.limits.max_answer)
            .read_to_vec()
            .map_err(sort)?;
        Ok(Response { status, body })
    }

    /// Which class of failure a `ureq` error is.
    fn sort(&self, url: &str, e: ureq::Error) -> RequestError {
        use std::io::ErrorKind as K;
        let url = url.to_owned();
        let connect = |why: String| RequestError::Connect {
            url: url.clone(),
            why,
        };
        let bad = |why: String| RequestError::BadAnswer {
            url: url.clone(),
            why,
        };
        match e {
            ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => connect(
                format!("no connection within {} s", self.limits.connect.as_secs()),
            ),
            ureq::Error::Timeout(_) => RequestError::TimedOut {
                secs: self.limits.total.as_secs(),
                url,
            },
            ureq::Error::HostNotFound => connect("no address for that host".into()),
            ureq::Error::ConnectionFailed => connect("the connection failed".into()),
            ureq::Error::Io(io) => match io.kind() {
                K::ConnectionRefused
                | K::HostUnreachable
                | K::NetworkUnreachable
                | K::AddrNotAvailable
                | K::NotFound => connect(io.to_string()),
                K::TimedOut | K::WouldBlock => RequestError::TimedOut {
                    secs: self.limits.total.as_secs(),
                    url,
                },
                K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
                    bad(format!("the connection closed mid-answer ({io})"))
                }
                _ => bad(io.to_string()),
            },
            ureq::Error::BodyExceedsLimit(n) => bad(format!("the answer is larger than {n} bytes")),
            ureq::Error::BadUri(why) => RequestError::Url(format!("{url:?}: {why}")),
            other => bad(other.to_string()),
        }
    }
}

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

    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    /// Reads one request (head, then `Content-Length` bytes of body) from `s`: the head and the
    /// body, or `None` when the client closed first.
    fn read_request(s: &mut TcpStream) -> Option<(String, Vec<u8>)> {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8(got[..i].to_vec()).unwrap();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                while got.len() < i + 4 + len {
                    let n = s.read(&mut buf).ok()?;
                    if n == 0 {
                        return None;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
                return Some((head, got[i + 4..i + 4 + len].to_vec()));
            }
            let n = s.read(&mut buf).ok()?;
            if n == 0 {
                return None;
            }
            got.extend_from_slice(&buf[..n]);
        }
    }

    /// A server on loopback that accepts one connection and hands it to `serve`; its URL and
    /// what `serve` returned.
    fn one_connection<T: Send + 'static>(
        serve: impl FnOnce(TcpStream) -> T + Send + 'static,
    ) -> (String, std::thread::JoinHandle<T>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api/v1/certificates", l.local_addr().unwrap());
        let server = std::thread::spawn(move || serve(l.accept().unwrap().0));
        (url, server)
    }

    #[test]
    fn urls() {
        assert_eq!(
            host_port("http://10.0.0.1:8080/api").unwrap(),
            ("10.0.0.1".into(), 8080)
        );
        assert_eq!(
            host_port("https://collector.local").unwrap(),
            ("collector.local".into(), 443)
        );
        assert_eq!(host_port("http://[::1]:81/").unwrap(), ("::1".into(), 81));
        assert!(host_port("ftp://x").is_err());
        assert!(host_port("http://:80").is_err());
        assert!(host_port("http://h:port").is_err());
    }

    #[test]
    fn a_request_reaches_a_server_and_its_answer_comes_back() {
        let (url, server) = one_connection(|mut s| {
            let sent = read_request(&mut s).unwrap();
            s.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\nokay")
                .unwrap();
            sent
        });
        let r = Client::default().post_json(&url, br#"{"x":1}"#).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (201, &b"okay"[..]));
        let (head, body) = server.join().unwrap();
        assert!(
            head.starts_with("POST /api/v1/certificates HTTP/1.1\r\n"),
            "{head}"
        );
        let head = head.to_ascii_lowercase();
        assert!(head.contains("content-length: 7\r\n"), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert_eq!(body, br#"{"x":1}"#);
    }

    #[test]
    fn https_and_urls_without_a_host_are_refused_before_anything_is_sent() {
        // A listener that would see any connection: none may come.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let c = Client::default();
        for url in [
            format!("https://127.0.0.1:{port}/"),
            format!("ftp://127.0.0.1:{port}/"),
            "http://:80/".to_owned(),
        ] {
            assert!(
                matches!(c.post_json(&url, b"{}"), Err(RequestError::Url(_))),
                "{url}"
            );
        }
        assert!(l.accept().is_err(), "a connection was made");
    }

    #[test]
    fn a_chunked_answer_is_read_whole_and_the_connection_is_kept_for_the_next_request() {
        // One connection, two requests on it: keep-alive, each answer chunked.
        let (url, server) = one_connection(|mut s| {
            let mut bodies = Vec::new();
            for answer in ["{\"n\":", "{\"m\":"] {
                let (_, body) = read_request(&mut s).unwrap();
                bodies.push(body);
                write!(
                    s,
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{answer}\r\n2;ext=1\r\n1}}\r\n0\r\n\r\n",
                    answer.len()
                )
                .unwrap();
            }
            bodies
        });
        let c = Client::default();
        let a = c.post_json(&url, b"[1]").unwrap();
        let b = c.post_json(&url, b"[2]").unwrap();
        assert_eq!((a.status, a.body.as_slice()), (200, &b"{\"n\":1}"[..]));
        assert_eq!((b.status, b.body.as_slice()), (200, &b"{\"m\":1}"[..]));
        assert_eq!(server.join().unwrap(), [b"[1]".to_vec(), b"[2]".to_vec()]);
    }

    #[test]
    fn an_answer_cut_short_is_a_bad_answer() {
        for cut in [
            // Shorter than its length.
            &b"HTTP/1.1 201 Created\r\nContent-Length: 100\r\n\r\n{\"digest\""[..],
            // A chunked body without its last chunk.
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n",
            // Not even a whole head.
            b"HTTP/1.1 201 Crea",
        ] {
            let (url, server) = one_connection(move |mut s| {
                read_request(&mut s).unwrap();
                s.write_all(cut).unwrap();
                // Dropped: the connection closes mid-answer.
            });
            let e = Client::default().post_json(&url, b"{}").unwrap_err();
            server.join().unwrap();
            assert!(
                matches!(e, RequestError::BadAnswer { .. }),
                "{}: {e:?}",
                String::from_utf8_lossy(cut)
            );
        }
    }

    #[test]
    fn a_server_that_never_answers_times_out_as_told() {
        let (url, server) = one_connection(|mut s| {
            read_request(&mut s).unwrap();
            // Holds the connection, silent, until the client gives up and closes it.
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
        });
        let limits = Limits {
            total: Duration::from_millis(300),
            ..Limits::default()
        };
        let e = error_of(limits, &url, server);
        assert!(matches!(e, RequestError::TimedOut { .. }), "{e:?}");
    }

    /// The error of one POST to `url` with `limits`, once the client is gone and `server` ended.
    fn error_of(limits: Limits, url: &str, server: std::thread::JoinHandle<()>) -> RequestError {
        let c = Client::new(limits);
        let e = c.post_json(url, b"{}").unwrap_err();
        drop(c);
        server.join().unwrap();
        e
    }

    #[test]
    fn an_answer_over_the_cap_is_a_bad_answer() {
        let (url, server) = one_connection(|mut s| {
            read_request(&mut s).unwrap();
            let body = vec![b' '; 2048];
            write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .unwrap();
            let _ = s.write_all(&body);
        });
        let limits = Limits {
            max_answer: 1024,
            ..Limits::default()
        };
        let e = error_of(limits, &url, server);
        assert!(matches!(e, RequestError::BadAnswer { .. }), "{e:?}");
    }

    #[test]
    fn a_closed_port_cannot_be_reached_and_an_http_error_is_an_answer() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = Client::default()
            .post_json(&format!("http://127.0.0.1:{port}/"), b"{}")
            .unwrap_err();
        assert!(matches!(e, RequestError::Connect { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with("cannot reach http://127.0.0.1:"),
            "{e}"
        );
        let (url, server) = one_connection(|mut s| {
            read_request(&mut s).unwrap();
            s.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 11\r\n\r\n{\"error\":1}")
                .unwrap();
        });
        let r = Client::default().post_json(&url, b"{}").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (403, &b"{\"error\":1}"[..]));
        server.join().unwrap();
    }

    #[test]
    fn content_range_start_is_read() {
        assert_eq!(content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(content_range_start("bytes */200"), None);
        assert_eq!(content_range_start(""), None);
    }
}
