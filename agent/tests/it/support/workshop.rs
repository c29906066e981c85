//! A stand-in for the workshop server on 127.0.0.1, speaking the collector's API as the agent
//! needs it — `POST /api/v1/hello` (answers signed with a key of its own, over
//! `reprise::cert::exchange`), `POST /api/v1/certificates`, `POST /api/v1/records` (after
//! their certificate, as the collector), `POST /api/v1/stations` — with
//! what it says set by the test: its key, its clock, what it knows of the station, how it
//! acknowledges uploads, or an answer it replays. Every request it received is kept. Its thread
//! ends when it is dropped. (The collector's own tests run the real server.) And a stand-in
//! time server (SNTP, [`TimeServer`]), as DHCP would name one.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use reprise::cert::exchange::{self, Answer, StationStatus};

/// How uploads are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// 201 naming the digest of the certificate received, with a receipt signed by its key
    /// (as the collector).
    Digest,
    /// 201 naming the digest, without a receipt (an unsigned answer).
    Unsigned,
    /// 201 naming the digest, with a receipt signed by another key than its own (a forged
    /// acknowledgement).
    OtherKey,
    /// 201 naming another digest.
    OtherDigest,
    /// 201 with no body at all.
    NoBody,
}

/// What the stand-in says; changed by the test while it runs.
#[derive(Debug, Clone)]
pub struct Behaviour {
    pub key: SigningKey,
    /// The time its answers state.
    pub time: String,
    pub station: StationStatus,
    pub ack: Ack,
    /// Send these bytes as the answer to every hello (a replayed or forged answer).
    pub replay: Option<Vec<u8>>,
    /// Answer every request with this status and no body (an old collector: 404).
    pub status: Option<u16>,
}

/// One request received: path and body.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub body: Vec<u8>,
}

/// The running stand-in.
pub struct Workshop {
    pub addr: SocketAddr,
    pub behaviour: Arc<Mutex<Behaviour>>,
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Every answer to a hello it sent, as sent.
    pub answers: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
}

/// The server key the stand-in signs with unless told otherwise.
pub fn server_key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

/// Its fingerprint.
pub fn key_id(key: &SigningKey) -> String {
    reprise::cert::sign::key_id(&key.verifying_key())
}

impl Workshop {
    /// A stand-in that knows the station, answers at `time` and acknowledges uploads.
    pub fn start(time: &str) -> Workshop {
        Workshop::with(Behaviour {
            key: server_key(),
            time: time.to_owned(),
            station: StationStatus::Enrolled,
            ack: Ack::Digest,
            replay: None,
            status: None,
        })
    }

    pub fn with(behaviour: Behaviour) -> Workshop {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let w = Workshop {
            addr,
            behaviour: Arc::new(Mutex::new(behaviour)),
            received: Arc::new(Mutex::new(Vec::new())),
            answers: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (behaviour, received, answers, stop) = (
            Arc::clone(&w.behaviour),
            Arc::clone(&w.received),
            Arc::clone(&w.answers),
            Arc::clone(&w.stop),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => {
                        let b = behaviour.lock().unwrap().clone();
                        serve_one(s, &b, &answers, &received);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        w
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes what it says from now on.
    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.behaviour.lock().unwrap());
    }

    /// The paths requested so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.path.clone())
            .collect()
    }
}

impl Drop for Workshop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads one request, records it, then answers: recorded before the answer is written, so that
/// a client that has its answer finds its request counted.
fn serve_one(
    mut s: TcpStream,
    b: &Behaviour,
    answers: &Mutex<Vec<Vec<u8>>>,
    received: &Mutex<Vec<Received>>,
) -> Option<()> {
    s.set_nonblocking(false).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut req = Vec::new();
    let mut buf = [0u8; 8192];
    let (head_end, len) = loop {
        let n = s.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        req.extend_from_slice(&buf[..n]);
        if let Some(i) = req.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&req[..i]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap_or(0));
            break (i + 4, len);
        }
    };
    while req.len() < head_end + len {
        let n = s.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        req.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&req[..head_end]).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
    let body = req[head_end..].to_vec();
    let (status, answer) = match b.status {
        Some(status) => (status, Vec::new()),
        None => respond(&path, &body, b, answers, received),
    };
    received.lock().unwrap().push(Received { path, body });
    let _ = write!(
        s,
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
        answer.len()
    );
    let _ = s.write_all(&answer);
    Some(())
}

fn respond(
    path: &str,
    body: &[u8],
    b: &Behaviour,
    answers: &Mutex<Vec<Vec<u8>>>,
    received: &Mutex<Vec<Received>>,
) -> (u16, Vec<u8>) {
    match path {
        "/api/v1/hello" => {
            let bytes = match &b.replay {
                Some(r) => r.clone(),
                None => {
                    let Ok(opened) = exchange::open_hello(body) else {
                        return (
                            400,
                            br#"{"error":"hello refused","code":"hello_refused"}"#.to_vec(),
                        );
                    };
                    let answer = Answer {
                        purpose: exchange::ANSWER_PURPOSE.into(),
                        nonce: opened.hello.nonce,
                        station_key_id: opened.hello.station_key_id,
                        server_time: b.time.clone(),
                        station: match (b.station, &opened.hello.enroll_token) {
                            (StationStatus::Unknown, Some(_)) => StationStatus::EnrolledNow,
                            (s, _) => s,
                        },
                        station_name: Some("stand-in".into()),
                        note: None,
                    };
                    exchange::seal(&answer, &b.key).unwrap()
                }
            };
            answers.lock().unwrap().push(bytes.clone());
            (200, bytes)
        }
        "/api/v1/certificates" => {
            let digest = match reprise::cert::envelope::verify(body, None) {
                Ok(v) => v.digest,
                Err(_) => return (422, br#"{"error":"invalid","code":"invalid"}"#.to_vec()),
            };
            (201, ack(b, &digest))
        }
        // As the collector: a record is taken only after the certificate it names.
        "/api/v1/records" => {
            let Ok(v) = reprise::cert::refurbish::verify(body, None) else {
                return (422, br#"{"error":"invalid","code":"invalid"}"#.to_vec());
            };
            let follows = &v.envelope.certificate.certificate.digest;
            let had = received.lock().unwrap().iter().any(|r| {
                r.path == "/api/v1/certificates"
                    && reprise::cert::envelope::verify(&r.body, None)
                        .is_ok_and(|c| &c.digest == follows)
            });
            if !had {
                return (
                    409,
                    br#"{"error":"upload the certificate first","code":"no_certificate"}"#.to_vec(),
                );
            }
            (201, ack(b, &v.digest))
        }
        "/api/v1/stations" => (201, br#"{"station":"stand-in"}"#.to_vec()),
        _ => (
            404,
            br#"{"error":"no such page","code":"not_found"}"#.to_vec(),
        ),
    }
}

/// The answer to an upload of the file of `digest`, as `b.ack` says.
fn ack(b: &Behaviour, digest: &str) -> Vec<u8> {
    let (named, signer) = match b.ack {
        Ack::NoBody => return Vec::new(),
        Ack::Digest | Ack::Unsigned => (digest.to_owned(), Some(b.key.clone())),
        Ack::OtherDigest => (format!("sha256:{}", "0".repeat(64)), Some(b.key.clone())),
        Ack::OtherKey => (digest.to_owned(), Some(SigningKey::from_bytes(&[7u8; 32]))),
    };
    let receipt = signer.filter(|_| b.ack != Ack::Unsigned).map(|key| {
        let r = exchange::Receipt {
            purpose: exchange::RECEIPT_PURPOSE.into(),
            kind: "certificate".into(),
            id: "x".into(),
            digest: named.clone(),
            station_key_id: "sha256:stand-in".into(),
            status: "created".into(),
            server_time: b.time.clone(),
        };
        serde_json::from_slice::<serde_json::Value>(&exchange::seal(&r, &key).unwrap()).unwrap()
    });
    serde_json::to_vec(&serde_json::json!({
        "status": "created",
        "id": "x",
        "digest": named,
        "url": format!("http://stand-in/c/{}", named.trim_start_matches("sha256:")),
        "receipt": receipt,
    }))
    .unwrap()
}

/// A time server on 127.0.0.1 that answers every SNTP query with a fixed time (as a server whose
/// clock says `unix_ms`), counting the queries. Its thread ends when it is dropped.
pub struct TimeServer {
    pub addr: SocketAddr,
    pub queries: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl TimeServer {
    pub fn start(unix_ms: i64) -> TimeServer {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let addr = s.local_addr().unwrap();
        let queries = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, flag) = (Arc::clone(&queries), Arc::clone(&stop));
        std::thread::spawn(move || {
            let secs = u64::try_from(unix_ms / 1000 + 2_208_988_800).unwrap();
            let frac = (u64::try_from(unix_ms % 1000).unwrap() << 32) / 1000;
            let t = ((secs << 32) | frac).to_be_bytes();
            let mut buf = [0u8; 64];
            while !flag.load(Ordering::SeqCst) {
                let Ok((n, from)) = s.recv_from(&mut buf) else {
                    continue;
                };
                if n < 48 {
                    continue;
                }
                count.fetch_add(1, Ordering::SeqCst);
                let mut p = [0u8; 48];
                p[0] = (4 << 3) | 4;
                p[1] = 2;
                p[24..32].copy_from_slice(&buf[40..48]);
                p[32..40].copy_from_slice(&t);
                p[40..48].copy_from_slice(&t);
                let _ = s.send_to(&p, from);
            }
        });
        TimeServer {
            addr,
            queries,
            stop,
        }
    }

    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }
}

impl Drop for TimeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
