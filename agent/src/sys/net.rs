//! The network as the agent needs it before talking to the workshop server: is it there?

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long a server may take to accept a connection before it counts as unreachable.
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

/// Whether a TCP connection to the URL's host and port opens within [`CONNECT_TIMEOUT`].
pub fn reachable(url: &str) -> Result<(), String> {
    let (host, port) = host_port(url)?;
    let addrs: Vec<_> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let mut last = format!("{host} has no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("{a}: {e}"),
        }
    }
    Err(last)
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
    fn a_listening_socket_is_reachable_a_closed_one_is_not() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(reachable(&format!("http://127.0.0.1:{port}/")).is_ok());
        drop(l);
        assert!(reachable(&format!("http://127.0.0.1:{port}/")).is_err());
    }
}
