//! Asking a time server the network offered (SNTP, RFC 4330): DHCP names them (option 42), the
//! image's `udhcpc.script` writes them to [`SERVERS_FILE`], and one UDP query each gives how far
//! the laptop's clock is from theirs. Unauthenticated — anyone on the network can answer — so
//! `flow` uses it only when no verified answer of the workshop server is there.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use crate::parse::sntp::{self, PACKET_LEN, SntpError};
use crate::sys::SysRoot;

/// How long one server may take to answer.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the image's DHCP hook writes the lease's NTP servers, one a line (under the root).
pub const SERVERS_FILE: &str = "run/reprise/ntp-servers";

/// At most this many servers are asked, in the lease's order.
const MAX_SERVERS: usize = 3;

/// The NTP servers the network offered (none outside the live image, or when DHCP named none).
pub fn servers(root: &SysRoot) -> Vec<String> {
    crate::sys::file::read_optional(&root.join(SERVERS_FILE))
        .ok()
        .flatten()
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .take(MAX_SERVERS)
        .map(str::to_owned)
        .collect()
}

/// What one time server said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub server: String,
    pub stratum: u8,
    /// The laptop's clock minus the server's, milliseconds (negative: the laptop is behind).
    pub rtc_offset_ms: i64,
}

/// Why a time server gave no usable time.
#[derive(Debug, thiserror::Error)]
pub enum NtpError {
    #[error("time server {server}: {why}")]
    Address { server: String, why: String },
    #[error("time server {server}")]
    Io {
        server: String,
        #[source]
        source: std::io::Error,
    },
    #[error("time server {server}")]
    Reply {
        server: String,
        #[source]
        source: SntpError,
    },
}

/// Asks `server` (`10.0.0.1`, `ntp.lan`, `10.0.0.1:1123`, `[fd00::1]:123`) for its time.
pub fn query(server: &str, timeout: Duration) -> Result<Reading, NtpError> {
    let addr = address(server)?;
    let io = |source| NtpError::Io {
        server: server.to_owned(),
        source,
    };
    let local: SocketAddr = if addr.is_ipv4() {
        (IpAddr::from([0u8; 4]), 0).into()
    } else {
        (IpAddr::from([0u16; 8]), 0).into()
    };
    let socket = UdpSocket::bind(local).map_err(io)?;
    socket.connect(addr).map_err(io)?;
    let stamp: [u8; 8] = crate::sys::random::bytes().map_err(io)?;
    let started = crate::sys::clock::Stopwatch::start();
    let t1 = unix_ms_now();
    socket.send(&sntp::request(stamp)).map_err(io)?;
    let mut buf = [0u8; 2 * PACKET_LEN];
    loop {
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(io(std::io::ErrorKind::TimedOut.into()));
        }
        socket.set_read_timeout(Some(left)).map_err(io)?;
        let n = socket.recv(&mut buf).map_err(io)?;
        let t4 = unix_ms_now();
        match sntp::reply(&buf[..n], stamp) {
            Ok(r) => {
                // RFC 4330 §5: the server's clock minus the client's is
                // ((T2 − T1) + (T3 − T4)) / 2; the laptop's offset is its opposite.
                let ahead = ((r.receive_ms - t1) + (r.transmit_ms - t4)) / 2;
                return Ok(Reading {
                    server: server.to_owned(),
                    stratum: r.stratum,
                    rtc_offset_ms: -ahead,
                });
            }
            // A late answer to an earlier query: wait for this one's.
            Err(SntpError::NotOurs) => continue,
            Err(source) => {
                return Err(NtpError::Reply {
                    server: server.to_owned(),
                    source,
                });
            }
        }
    }
}

/// The wall clock, Unix milliseconds.
fn unix_ms_now() -> i64 {
    i64::try_from(crate::sys::clock::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}

fn address(server: &str) -> Result<SocketAddr, NtpError> {
    let bad = |why: String| NtpError::Address {
        server: server.to_owned(),
        why,
    };
    if let Ok(a) = server.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = server.parse::<IpAddr>() {
        return Ok((ip, 123).into());
    }
    let found = if server.contains(':') {
        server.to_socket_addrs()
    } else {
        (server, 123).to_socket_addrs()
    };
    found
        .map_err(|e| bad(format!("cannot resolve: {e}")))?
        .next()
        .ok_or_else(|| bad("no address".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A time server on loopback that answers one query with its clock `ahead_ms` ahead of
    /// this machine's, copying the request's stamp (or not, when `ours` is false).
    fn stand_in(ahead_ms: i64, ours: bool) -> SocketAddr {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = s.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            let (n, from) = s.recv_from(&mut buf).unwrap();
            assert_eq!(n, PACKET_LEN);
            let now = unix_ms_now() + ahead_ms;
            let secs = u64::try_from(now / 1000 + 2_208_988_800).unwrap();
            let frac = (u64::try_from(now % 1000).unwrap() << 32) / 1000;
            let t = (secs << 32) | frac;
            let mut p = [0u8; PACKET_LEN];
            p[0] = (4 << 3) | 4;
            p[1] = 2;
            if ours {
                p[24..32].copy_from_slice(&buf[40..48]);
            }
            p[32..40].copy_from_slice(&t.to_be_bytes());
            p[40..48].copy_from_slice(&t.to_be_bytes());
            s.send_to(&p, from).unwrap();
        });
        addr
    }

    #[test]
    fn a_server_an_hour_ahead_says_the_laptop_is_an_hour_behind() {
        let addr = stand_in(3_600_000, true);
        let r = query(&addr.to_string(), QUERY_TIMEOUT).unwrap();
        assert_eq!(r.stratum, 2);
        // Within the round trip on loopback (no timing assumption beyond a minute).
        assert!(
            (r.rtc_offset_ms + 3_600_000).abs() < 60_000,
            "{}",
            r.rtc_offset_ms
        );
    }

    #[test]
    fn a_reply_to_another_request_is_not_taken() {
        let addr = stand_in(0, false);
        let e = query(&addr.to_string(), Duration::from_millis(300)).unwrap_err();
        assert!(matches!(e, NtpError::Io { .. }), "{e}");
        assert!(e.to_string().contains(&addr.to_string()), "{e}");
    }

    #[test]
    fn the_images_dhcp_hook_writes_where_the_agent_reads() {
        let hook = include_str!("../../../image/udhcpc.script");
        assert!(
            hook.contains(&format!(">>/{SERVERS_FILE}")) && hook.contains("$ntpsrv"),
            "image/udhcpc.script must write the lease's NTP servers to /{SERVERS_FILE}"
        );
    }

    #[test]
    fn the_lease_names_the_servers() {
        let dir = tempfile::tempdir().unwrap();
        let root = SysRoot::new(dir.path());
        assert!(servers(&root).is_empty());
        std::fs::create_dir_all(dir.path().join("run/reprise")).unwrap();
        std::fs::write(
            dir.path().join(SERVERS_FILE),
            "10.0.0.1\n\n10.0.0.2\n10.0.0.3\n10.0.0.4\n",
        )
        .unwrap();
        assert_eq!(servers(&root), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        assert_eq!(
            address("10.0.0.1").unwrap(),
            "10.0.0.1:123".parse().unwrap()
        );
        assert_eq!(
            address("[fd00::1]:1123").unwrap(),
            "[fd00::1]:1123".parse().unwrap()
        );
    }
}
