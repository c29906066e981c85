//! The network as the agent needs it to talk to the workshop server: one HTTP request at a time
//! (plain HTTP/1.1 on the workshop's network: a few lines instead of a client library in a
//! static binary; the server's answers are small JSON documents). Whether the server is there
//! is never a TCP connect: it is the signed exchange of `flow::trust`.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long a server may take to accept a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

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

/// How long one request may take, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Largest answer read from the server: its answers are a few hundred bytes of JSON.
const MAX_RESPONSE: usize = 1 << 20;

/// The server's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Url(String),
    #[error("cannot reach {url}: {why}")]
    Connect { url: String, why: String },
    #[error("{url}: {why}")]
    Exchange { url: String, why: String },
}

/// Sends `method url` with `body` (of `content_type`, when not empty) and returns the status
/// and body of the answer. `http://` only: the workshop's own network.
pub fn http_request(
    method: &str,
    url: &str,
    content_type: &str,
    body: &[u8],
) -> Result<HttpResponse, HttpError> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(HttpError::Url(format!(
            "{url:?}: only http:// URLs (the workshop network) are supported"
        )));
    };
    let (host, port) = host_port(url).map_err(HttpError::Url)?;
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    let authority = rest.split('/').next().unwrap_or(&host);
    let connect = |why: String| HttpError::Connect {
        url: url.to_owned(),
        why,
    };
    let addrs: Vec<_> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| connect(format!("cannot resolve {host}: {e}")))?
        .collect();
    let mut last = format!("{host} has no address");
    let mut stream = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = format!("{a}: {e}"),
        }
    }
    let mut stream = stream.ok_or_else(|| connect(last))?;
    let exchange = |why: String| HttpError::Exchange {
        url: url.to_owned(),
        why,
    };
    let io = |e: std::io::Error| exchange(e.to_string());
    stream.set_read_timeout(Some(REQUEST_TIMEOUT)).map_err(io)?;
    stream
        .set_write_timeout(Some(REQUEST_TIMEOUT))
        .map_err(io)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {}\r\nAccept: application/json\r\nConnection: close\r\nContent-Length: {}\r\n",
        crate::model::tool_version(),
        body.len()
    );
    if !body.is_empty() {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(body).map_err(io)?;
    stream.flush().map_err(io)?;
    let mut answer = Vec::new();
    stream
        .take(MAX_RESPONSE as u64 + 1)
        .read_to_end(&mut answer)
        .map_err(io)?;
    parse_response(&answer).map_err(exchange)
}

/// Status and body of an HTTP/1.1 response (`Content-Length` or read to the end; chunked
/// bodies are decoded).
pub fn parse_response(bytes: &[u8]) -> Result<HttpResponse, String> {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no complete response header")?;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| "response header is not text")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| format!("not an HTTP status line: {status_line:?}"))?;
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let rest = &bytes[end + 4..];
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().map_err(|_| "bad Content-Length")?;
        rest.get(..len)
            .ok_or("response body shorter than its Content-Length")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(HttpResponse { status, body })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).map_err(|_| "bad chunk size")?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("truncated chunk end")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn responses_parse() {
        let r =
            parse_response(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}extra").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (201, &b"{}"[..]));
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"abcde");
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"SMTP 200\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab").is_err());
    }

    #[test]
    fn a_request_reaches_a_server_and_its_answer_comes_back() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !got.ends_with(b"{\"x\":1}") {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0);
                got.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\nokay")
                .unwrap();
            String::from_utf8(got).unwrap()
        });
        let url = format!("http://127.0.0.1:{port}/api/v1/certificates");
        let r = http_request("POST", &url, "application/json", br#"{"x":1}"#).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (201, &b"okay"[..]));
        let sent = server.join().unwrap();
        assert!(
            sent.starts_with("POST /api/v1/certificates HTTP/1.1\r\n"),
            "{sent}"
        );
        assert!(sent.contains("Content-Length: 7\r\n"), "{sent}");
        assert!(matches!(
            http_request("POST", "https://x/", "a", b""),
            Err(HttpError::Url(_))
        ));
    }
}
