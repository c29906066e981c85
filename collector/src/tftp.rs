//! A read-only TFTP server for the PXE rack's UEFI machines: Debian's signed network GRUB can
//! fetch files over TFTP only (no HTTP in Debian 12's grubnetx64), so the collector answers it
//! over TFTP with each machine's own configuration, the kernel and the initramfs.
//!
//! RFC 1350 (read requests, octet mode) with the options GRUB and UEFI firmware ask for:
//! `blksize` (RFC 2348, at most [`MAX_BLKSIZE`]: one Ethernet frame), `tsize` and `timeout`
//! (RFC 2349); others are left out of the answer, as RFC 2347 says. Write requests are refused.
//! A file is one of a fixed set of names (the server's [`Resolve`] decides which), never a path
//! into the file system. Each transfer runs on a socket of its own (the TFTP "transfer
//! id"), one block in flight, sent again after a silence of `timeout` seconds, at most
//! [`RETRIES`] times.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

/// Largest block sent whatever a client asks: 1500-byte Ethernet frames less the IP, UDP and
/// TFTP headers, so that no block is ever fragmented.
pub const MAX_BLKSIZE: usize = 1468;
/// Block size without the `blksize` option (RFC 1350).
pub const DEFAULT_BLKSIZE: usize = 512;
/// Sends of a block without its acknowledgement before the transfer is given up.
pub const RETRIES: u32 = 5;
/// Transfers at once; a request beyond is answered "busy" (a rack boots tens of machines).
pub const MAX_TRANSFERS: usize = 128;

const RRQ: u16 = 1;
const WRQ: u16 = 2;
const DATA: u16 = 3;
const ACK: u16 = 4;
const ERROR: u16 = 5;
const OACK: u16 = 6;

/// TFTP error codes (RFC 1350, 2347).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    NotDefined = 0,
    FileNotFound = 1,
    AccessViolation = 2,
    IllegalOperation = 4,
}

/// Why a packet is not a read request this server answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("not a TFTP request")]
    Malformed,
    #[error("this server only reads: no writes")]
    Write,
    #[error("only octet (binary) mode is served, not {0:?}")]
    Mode(String),
}

impl RequestError {
    fn code(&self) -> ErrorCode {
        match self {
            RequestError::Malformed => ErrorCode::IllegalOperation,
            RequestError::Write => ErrorCode::AccessViolation,
            RequestError::Mode(_) => ErrorCode::NotDefined,
        }
    }
}

/// A read request: the file name as sent (GRUB starts it with `/`, firmware does not), and the
/// options this server takes up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub filename: String,
    /// `blksize` asked for (already bounded to 8..=[`MAX_BLKSIZE`]).
    pub blksize: Option<usize>,
    /// `tsize` asked for (the client wants the file's size in the answer).
    pub tsize: bool,
    /// `timeout` in seconds asked for (1..=255).
    pub timeout: Option<u8>,
}

/// Splits NUL-terminated strings.
fn strings(mut b: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let end = b.iter().position(|&c| c == 0)?;
        out.push(&b[..end]);
        b = &b[end + 1..];
    }
    Some(out)
}

impl Request {
    /// Parses a request packet.
    pub fn parse(packet: &[u8]) -> Result<Request, RequestError> {
        let op = packet
            .get(..2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or(RequestError::Malformed)?;
        match op {
            RRQ => {}
            WRQ => return Err(RequestError::Write),
            _ => return Err(RequestError::Malformed),
        }
        let fields = strings(&packet[2..]).ok_or(RequestError::Malformed)?;
        if fields.len() < 2 || fields.len() % 2 != 0 {
            return Err(RequestError::Malformed);
        }
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| RequestError::Malformed);
        let filename = text(fields[0])?;
        let mode = text(fields[1])?.to_ascii_lowercase();
        if mode != "octet" {
            return Err(RequestError::Mode(mode));
        }
        let mut req = Request {
            filename,
            blksize: None,
            tsize: false,
            timeout: None,
        };
        for pair in fields[2..].chunks(2) {
            let (name, value) = (text(pair[0])?.to_ascii_lowercase(), text(pair[1])?);
            match name.as_str() {
                // A value out of range is an option not taken up (RFC 2347), not an error.
                "blksize" => {
                    req.blksize = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n >= 8)
                        .map(|n| n.min(MAX_BLKSIZE));
                }
                "tsize" => req.tsize = true,
                "timeout" => req.timeout = value.parse::<u8>().ok().filter(|t| *t >= 1),
                _ => {}
            }
        }
        Ok(req)
    }

    /// The block size of the transfer.
    pub fn block_size(&self) -> usize {
        self.blksize.unwrap_or(DEFAULT_BLKSIZE)
    }

    /// The option acknowledgement to send first, if the client asked for an option this server
    /// takes up; `size` is the file's size.
    pub fn oack(&self, size: u64) -> Option<Vec<u8>> {
        let mut options = Vec::new();
        if let Some(b) = self.blksize {
            options.push(("blksize", b.to_string()));
        }
        if self.tsize {
            options.push(("tsize", size.to_string()));
        }
        if let Some(t) = self.timeout {
            options.push(("timeout", t.to_string()));
        }
        if options.is_empty() {
            return None;
        }
        let mut p = OACK.to_be_bytes().to_vec();
        for (k, v) in options {
            p.extend_from_slice(k.as_bytes());
            p.push(0);
            p.extend_from_slice(v.as_bytes());
            p.push(0);
        }
        Some(p)
    }
}

/// An ERROR packet.
pub fn error_packet(code: ErrorCode, message: &str) -> Vec<u8> {
    let mut p = ERROR.to_be_bytes().to_vec();
    p.extend_from_slice(&(code as u16).to_be_bytes());
    p.extend_from_slice(message.replace('\0', " ").as_bytes());
    p.push(0);
    p
}

/// A DATA packet.
pub fn data_packet(block: u16, data: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(4 + data.len());
    p.extend_from_slice(&DATA.to_be_bytes());
    p.extend_from_slice(&block.to_be_bytes());
    p.extend_from_slice(data);
    p
}

/// What a packet from the client says about the transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Ack(u16),
    /// The client gave up (an ERROR packet), e.g. refusing the options.
    Error,
    Other,
}

/// Reads a client's packet.
pub fn reply(packet: &[u8]) -> Reply {
    match packet {
        [o1, o2, b1, b2, ..] if u16::from_be_bytes([*o1, *o2]) == ACK => {
            Reply::Ack(u16::from_be_bytes([*b1, *b2]))
        }
        [o1, o2, ..] if u16::from_be_bytes([*o1, *o2]) == ERROR => Reply::Error,
        _ => Reply::Other,
    }
}

/// What a name resolves to.
#[derive(Debug)]
pub enum Content {
    /// A file of the boot directory, read block by block as it is sent.
    File(PathBuf),
    /// Text made for this request (a GRUB configuration).
    Bytes(Vec<u8>),
}

/// Decides what a request names: the server's namespace (fixed names, per-machine text). An
/// `Err` is the message sent back with "file not found".
pub trait Resolve: Send + Sync + 'static {
    fn resolve(
        &self,
        filename: &str,
        peer: SocketAddr,
    ) -> impl Future<Output = Result<Content, String>> + Send;
}

/// Serves read requests arriving on `socket` until the task is dropped.
pub async fn serve<R: Resolve>(socket: UdpSocket, resolver: Arc<R>) {
    let local = match socket.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("tftp: no local address: {e}");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(MAX_TRANSFERS));
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(got) => got,
            Err(e) => {
                // A datagram's error (an ICMP reply to an earlier answer) ends no service.
                eprintln!("tftp: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let packet = buf[..n].to_vec();
        let request = match Request::parse(&packet) {
            Ok(r) => r,
            Err(e) => {
                let _ = socket
                    .send_to(&error_packet(e.code(), &e.to_string()), peer)
                    .await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            let _ = socket
                .send_to(
                    &error_packet(ErrorCode::NotDefined, "busy: try again"),
                    peer,
                )
                .await;
            continue;
        };
        let resolver = Arc::clone(&resolver);
        tokio::spawn(async move {
            if let Err(e) = transfer(local, peer, request, resolver.as_ref()).await {
                eprintln!("tftp: transfer to {peer}: {e}");
            }
            drop(slot);
        });
    }
}

/// One transfer, on a socket of its own.
async fn transfer<R: Resolve>(
    local: SocketAddr,
    peer: SocketAddr,
    request: Request,
    resolver: &R,
) -> std::io::Result<()> {
    let socket = UdpSocket::bind(SocketAddr::new(local.ip(), 0)).await?;
    socket.connect(peer).await?;
    let content = match resolver.resolve(&request.filename, peer).await {
        Ok(c) => c,
        Err(message) => {
            socket
                .send(&error_packet(ErrorCode::FileNotFound, &message))
                .await?;
            return Ok(());
        }
    };
    let (mut file, bytes, size) = match content {
        Content::File(path) => match tokio::fs::File::open(&path).await {
            Ok(f) => {
                let size = f.metadata().await?.len();
                (Some(f), Vec::new(), size)
            }
            Err(e) => {
                let message = format!("{}: {e}", request.filename);
                socket
                    .send(&error_packet(ErrorCode::FileNotFound, &message))
                    .await?;
                return Ok(());
            }
        },
        Content::Bytes(b) => {
            let size = b.len() as u64;
            (None, b, size)
        }
    };
    let timeout = Duration::from_secs(u64::from(request.timeout.unwrap_or(1)));
    let blksize = request.block_size();
    // The option acknowledgement is block 0: the client's ACK 0 starts the data.
    if let Some(oack) = request.oack(size)
        && !send_until_acked(&socket, &oack, 0, timeout).await?
    {
        return Ok(());
    }
    let mut block: u16 = 1;
    let mut offset = 0usize;
    let mut data = vec![0u8; blksize];
    loop {
        let n = match &mut file {
            Some(f) => read_block(f, &mut data).await?,
            None => {
                let end = (offset + blksize).min(bytes.len());
                let n = end - offset;
                data[..n].copy_from_slice(&bytes[offset..end]);
                offset = end;
                n
            }
        };
        if !send_until_acked(&socket, &data_packet(block, &data[..n]), block, timeout).await? {
            return Ok(());
        }
        // The last block is the first one shorter than the block size (maybe empty).
        if n < blksize {
            return Ok(());
        }
        // Block numbers wrap past 65535, as GRUB and UEFI firmware expect for large files.
        block = block.wrapping_add(1);
    }
}

/// Fills `buf` from `f` as far as the file goes; the count read.
async fn read_block(f: &mut tokio::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let got = f.read(&mut buf[n..]).await?;
        if got == 0 {
            break;
        }
        n += got;
    }
    Ok(n)
}

/// Sends `packet` until the client acknowledges block `block`; false when it gave up or went
/// silent. Acknowledgements of earlier blocks are ignored, never answered (answering a duplicate
/// would double every later block: the "sorcerer's apprentice" bug).
async fn send_until_acked(
    socket: &UdpSocket,
    packet: &[u8],
    block: u16,
    timeout: Duration,
) -> std::io::Result<bool> {
    let mut buf = [0u8; 1024];
    for _ in 0..RETRIES {
        socket.send(packet).await?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
                Err(_) => break, // silence: send again
                // An ICMP "port unreachable" from an earlier send: the client is gone.
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return Ok(false);
                }
                Ok(Err(e)) => return Err(e),
                Ok(Ok(n)) => match reply(&buf[..n]) {
                    Reply::Ack(b) if b == block => return Ok(true),
                    Reply::Error => return Ok(false),
                    Reply::Ack(_) | Reply::Other => {}
                },
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rrq(fields: &[&str]) -> Vec<u8> {
        let mut p = RRQ.to_be_bytes().to_vec();
        for f in fields {
            p.extend_from_slice(f.as_bytes());
            p.push(0);
        }
        p
    }

    #[test]
    fn a_grub_request_with_its_options_is_read() {
        let r = Request::parse(&rrq(&[
            "/grub/grub.cfg",
            "octet",
            "blksize",
            "1024",
            "tsize",
            "0",
        ]))
        .unwrap();
        assert_eq!(r.filename, "/grub/grub.cfg");
        assert_eq!((r.blksize, r.tsize, r.timeout), (Some(1024), true, None));
        assert_eq!(r.block_size(), 1024);
        assert_eq!(
            r.oack(700).unwrap(),
            b"\0\x06blksize\x001024\0tsize\x00700\0".to_vec()
        );
    }

    #[test]
    fn options_out_of_range_are_bounded_or_left_out_and_unknown_ones_ignored() {
        let r = Request::parse(&rrq(&[
            "boot/vmlinuz",
            "OCTET",
            "blksize",
            "65464",
            "windowsize",
            "16",
            "timeout",
            "0",
        ]))
        .unwrap();
        assert_eq!(r.blksize, Some(MAX_BLKSIZE));
        assert_eq!(r.timeout, None);
        let plain = Request::parse(&rrq(&["boot/vmlinuz", "octet"])).unwrap();
        assert_eq!(plain.block_size(), DEFAULT_BLKSIZE);
        assert_eq!(plain.oack(5), None);
        let tiny = Request::parse(&rrq(&["x", "octet", "blksize", "4"])).unwrap();
        assert_eq!(tiny.blksize, None);
    }

    #[test]
    fn writes_other_modes_and_garbage_are_refused() {
        let mut wrq = rrq(&["x", "octet"]);
        wrq[1] = 2;
        assert_eq!(Request::parse(&wrq), Err(RequestError::Write));
        assert_eq!(
            Request::parse(&rrq(&["x", "netascii"])),
            Err(RequestError::Mode("netascii".into()))
        );
        for bad in [
            &b""[..],
            b"\0",
            b"\0\x01name-without-nul",
            b"\0\x01x\0",
            b"\0\x01x\0octet\0blksize\0",
            b"\0\x03\0\x01data",
        ] {
            assert_eq!(Request::parse(bad), Err(RequestError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn packets_are_encoded_as_the_rfc_says() {
        assert_eq!(data_packet(258, b"ab"), b"\0\x03\x01\x02ab".to_vec());
        assert_eq!(
            error_packet(ErrorCode::FileNotFound, "no such file"),
            b"\0\x05\0\x01no such file\0".to_vec()
        );
        assert_eq!(reply(b"\0\x04\xff\xff"), Reply::Ack(65535));
        assert_eq!(reply(b"\0\x05\0\x08refused\0"), Reply::Error);
        assert_eq!(reply(b"\0\x04"), Reply::Other);
    }
}
