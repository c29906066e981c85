//! The workshop server, believed only on what was checked. A TCP connection that opens proves
//! nothing (any machine on the network can accept one); what the agent believes of the server —
//! that it will keep this station's certificates, and what time it is — comes from one signed
//! exchange ([`meet`], `reprise_cert::exchange`): the agent's hello, signed with its station
//! key, carries a fresh nonce; the server's answer, signed with its own key, carries the nonce
//! back, its clock, and what it knows of this station.
//!
//! The server's key is pinned: by the setting `reprise.server-key=` (the stick's `reprise.conf`,
//! or the kernel command line — the collector's PXE scripts carry it); else by the file
//! [`pin_file`] on the data folder, written at the first answer (trust on first use, said in the
//! run's log); else — a network boot has no stick to write it to — for the rest of this boot
//! only, said too. The boot itself came over that same network, so a pin could only have come
//! from there; the collector's PXE scripts always carry it. An answer signed by any other key
//! is refused.
//!
//! The time servers the network offers ([`time_servers`], SNTP) are unauthenticated: the
//! certificate's time comes from them only when the server gave no verified answer.

use std::path::PathBuf;

use ed25519_dalek::SigningKey;

use super::DataDir;
use super::config::Server;
use super::time::Stated;
use crate::cert::exchange::{self, Hello, StationStatus};
use crate::model::Language;
use crate::sys::http::Client;
use crate::sys::{atomic, file};

/// Where the key of the workshop server's first answer is pinned, on the data folder.
pub fn pin_file(data: &DataDir) -> PathBuf {
    data.keys().join("server-key")
}

/// Where the pin an answer was checked against came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pinned {
    /// `reprise.server-key=`.
    Setting,
    /// The data folder's pin file, from an earlier run.
    Stick,
    /// An earlier answer of this boot (no pin kept anywhere else).
    Boot,
    /// No pin: this answer's key is now pinned in the data folder's pin file.
    FirstOnStick,
    /// No pin and nowhere to keep one (a network boot), or the pin file could not be written
    /// (why): believed for this boot only.
    FirstForBoot { not_kept: Option<String> },
}

/// A verified answer of the workshop server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Met {
    pub url: String,
    /// `sha256:…` of the key that signed the answer (the pinned one).
    pub server_key_id: String,
    /// This station's key id, which the hello named and the answer carried back.
    pub station_key_id: String,
    pub pinned: Pinned,
    pub station: StationStatus,
    pub station_name: Option<String>,
    pub note: Option<String>,
    /// The server's clock when it answered, as it stated it.
    pub server_time: String,
    /// The laptop's clock minus the server's, milliseconds (negative: the laptop is behind).
    pub rtc_offset_ms: i64,
}

impl Met {
    /// Whether the server keeps this station's certificates (a durable home for them).
    pub fn takes_certificates(&self) -> bool {
        self.station.takes_certificates()
    }

    /// What the run's log says of it.
    pub fn lines(&self) -> Vec<String> {
        let (url, key) = (&self.url, &self.server_key_id);
        let how = match &self.pinned {
            Pinned::Setting => format!("signed by the pinned key {key} (reprise.server-key)"),
            Pinned::Stick => format!("signed by the key pinned on the stick, {key}"),
            Pinned::Boot => format!("signed by the key of its first answer in this boot, {key}"),
            Pinned::FirstOnStick => format!(
                "signed by {key}, now pinned on the stick at its first answer (trust on first \
                 use): an answer signed by any other key will be refused. Compare it with \
                 `reprise-collector server-key` on the server"
            ),
            Pinned::FirstForBoot { not_kept } => format!(
                "signed by {key}, believed for this boot only (trust on first use: no \
                 reprise.server-key= and {})",
                not_kept.as_deref().unwrap_or("no stick to keep a pin on")
            ),
        };
        let station = match self.station {
            StationStatus::Enrolled => "knows this station".to_owned(),
            StationStatus::EnrolledNow => "enrolled this station now (PXE token)".to_owned(),
            StationStatus::Revoked => "has REVOKED this station's key".to_owned(),
            StationStatus::Unknown => "does NOT know this station's key".to_owned(),
        };
        let name = self
            .station_name
            .as_deref()
            .map(|n| format!(" as {n:?}"))
            .unwrap_or_default();
        let note = self
            .note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        vec![
            format!("Workshop server {url}: answer {how}."),
            format!(
                "Workshop server {url} {station}{name}{note}; its time {}, this laptop's clock \
                 {} ms off.",
                self.server_time, self.rtc_offset_ms
            ),
        ]
    }
}

/// Why the workshop server is not a home for the certificate, or not believed at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoServer {
    /// It was not asked (no hello yet in this run).
    NotAsked,
    /// No answer: unreachable, or the exchange broke.
    Silent(String),
    /// It answered with an HTTP error (an old collector without the hello, a 5xx).
    Refused(String),
    /// Its answer does not verify (signature, nonce, station): why.
    Unverified(String),
    /// Signed, but by another key than the pinned one.
    OtherKey {
        pinned: String,
        found: String,
        from: Pinned,
    },
    /// The pin file cannot be read: nothing is believed until it is fixed.
    BadPin { path: PathBuf, why: String },
    /// It does not know this station's key (and no PXE token enrolled it).
    Unknown {
        key_id: String,
        note: Option<String>,
    },
    /// It revoked this station's key.
    Revoked { note: Option<String> },
}

impl NoServer {
    /// The predicate of "the workshop server URL …", in `lang`.
    pub fn words(&self, lang: Language) -> String {
        let fr = lang == Language::Fr;
        let paren =
            |n: &Option<String>| n.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
        match self {
            NoServer::NotAsked if fr => "n'a pas encore été interrogé".into(),
            NoServer::NotAsked => "was not asked yet".into(),
            NoServer::Silent(why) if fr => format!("ne répond pas ({why})"),
            NoServer::Silent(why) => format!("does not answer ({why})"),
            NoServer::Refused(why) if fr => format!("refuse l'échange ({why})"),
            NoServer::Refused(why) => format!("refuses the exchange ({why})"),
            NoServer::Unverified(why) if fr => {
                format!("donne une réponse qui ne se vérifie pas ({why})")
            }
            NoServer::Unverified(why) => format!("gave an answer that does not verify ({why})"),
            NoServer::OtherKey {
                pinned,
                found,
                from,
            } => {
                let whence = match (from, fr) {
                    (Pinned::Setting, _) => "reprise.server-key",
                    (Pinned::Boot, true) => "sa première réponse de ce démarrage",
                    (Pinned::Boot, false) => "its first answer in this boot",
                    (_, true) => "épinglée sur la clé",
                    (_, false) => "pinned on the stick",
                };
                if fr {
                    format!(
                        "signe avec la clé {found}, pas avec la clé attendue {pinned} ({whence}) : \
                         réponse refusée"
                    )
                } else {
                    format!(
                        "signs with key {found}, not with the expected key {pinned} ({whence}): \
                         answer refused"
                    )
                }
            }
            NoServer::BadPin { path, why } if fr => format!(
                "ne peut être vérifié : la clé épinglée {} est illisible ({why})",
                path.display()
            ),
            NoServer::BadPin { path, why } => format!(
                "cannot be checked: the pinned key {} cannot be read ({why})",
                path.display()
            ),
            NoServer::Unknown { key_id, note } if fr => format!(
                "ne connaît pas la clé de ce poste {key_id}{} (à inscrire : reprise-collector \
                 enroll)",
                paren(note)
            ),
            NoServer::Unknown { key_id, note } => format!(
                "does not know this station's key {key_id}{} (enrol it: reprise-collector enroll)",
                paren(note)
            ),
            NoServer::Revoked { note } if fr => {
                format!("a révoqué la clé de ce poste{}", paren(note))
            }
            NoServer::Revoked { note } => format!("has revoked this station's key{}", paren(note)),
        }
    }
}

impl std::fmt::Display for NoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words(Language::En))
    }
}

/// Why a verified answer gives the certificate no home: the station is not enrolled there.
pub fn as_home(met: &Met) -> Result<(), NoServer> {
    match met.station {
        StationStatus::Enrolled | StationStatus::EnrolledNow => Ok(()),
        StationStatus::Revoked => Err(NoServer::Revoked {
            note: met.note.clone(),
        }),
        StationStatus::Unknown => Err(NoServer::Unknown {
            key_id: met.station_key_id.clone(),
            note: met.note.clone(),
        }),
    }
}

/// Says hello to `server` with the station `key` and checks its answer against the pin. The
/// pin file is written on a first answer when `keep_pin` (the data folder outlives the run);
/// `boot_pin` is the key of an earlier answer of this run, believed when there is no other pin.
pub fn meet(
    server: &Server,
    key: &SigningKey,
    data: &DataDir,
    keep_pin: bool,
    boot_pin: Option<&str>,
) -> Result<Met, NoServer> {
    // The pin first: a damaged pin file stops everything before a byte goes out.
    let pin = match (&server.key, read_pin(data)?) {
        (Some(k), _) => Some((k.clone(), Pinned::Setting)),
        (None, Some(k)) => Some((k, Pinned::Stick)),
        (None, None) => boot_pin.map(|k| (k.to_owned(), Pinned::Boot)),
    };
    let key_id = crate::cert::sign::key_id(&key.verifying_key());
    let nonce: [u8; exchange::NONCE_BYTES] = crate::sys::random::bytes()
        .map_err(|e| NoServer::Silent(format!("no random bytes for a nonce: {e}")))?;
    let nonce = exchange::nonce_hex(&nonce);
    let sent_at = crate::sys::clock::now_utc();
    let round_trip = crate::sys::clock::Stopwatch::start();
    let hello = Hello {
        purpose: exchange::HELLO_PURPOSE.into(),
        nonce: nonce.clone(),
        station_key_id: key_id.clone(),
        station_time: crate::sys::clock::format_rfc3339(sent_at),
        enroll_token: server.enroll.clone(),
    };
    let body = exchange::seal(&hello, key).map_err(|e| NoServer::Silent(e.to_string()))?;
    let url = format!("{}/api/v1/hello", server.url.trim_end_matches('/'));
    let r = Client::default()
        .post_json(&url, &body)
        .map_err(|e| NoServer::Silent(e.to_string()))?;
    let took = round_trip.elapsed();
    if r.status != 200 {
        return Err(NoServer::Refused(super::upload::server_says(
            r.status, &r.body,
        )));
    }
    let opened = exchange::open_answer(&r.body, &nonce, &key_id)
        .map_err(|e| NoServer::Unverified(crate::model::error_chain(&e)))?;
    let found = opened.server_key_id;
    let pinned = match pin {
        Some((pinned, from)) if pinned != found => {
            return Err(NoServer::OtherKey {
                pinned,
                found,
                from,
            });
        }
        Some((_, from)) => from,
        None if keep_pin => match write_pin(data, &found, &server.url) {
            Ok(()) => Pinned::FirstOnStick,
            // Another run pinned a key meanwhile: that pin decides.
            Err(PinWrite::Exists) => match read_pin(data)? {
                Some(k) if k == found => Pinned::Stick,
                Some(k) => {
                    return Err(NoServer::OtherKey {
                        pinned: k,
                        found,
                        from: Pinned::Stick,
                    });
                }
                None => Pinned::FirstForBoot { not_kept: None },
            },
            Err(PinWrite::Failed(why)) => Pinned::FirstForBoot {
                not_kept: Some(format!("the pin could not be written: {why}")),
            },
        },
        None => Pinned::FirstForBoot { not_kept: None },
    };
    let server_time = super::time::parse(&opened.answer.server_time).ok_or_else(|| {
        NoServer::Unverified(format!(
            "server_time {:?} is not an RFC 3339 time",
            opened.answer.server_time
        ))
    })?;
    // The server read its clock somewhere in the round trip: its middle is the best guess.
    let laptop_then = sent_at + took / 2;
    let rtc_offset_ms =
        i64::try_from((laptop_then - server_time).whole_milliseconds()).unwrap_or(i64::MAX);
    Ok(Met {
        url: server.url.clone(),
        server_key_id: found,
        station_key_id: key_id,
        pinned,
        station: opened.answer.station,
        station_name: opened.answer.station_name,
        note: opened.answer.note,
        server_time: opened.answer.server_time,
        rtc_offset_ms,
    })
}

/// The first time server the network offered (the NTP servers of the DHCP lease) that answers,
/// as a source of the certificate's time; what failed goes to `said`. Unauthenticated: asked
/// only when the workshop server gave no verified answer.
pub fn time_servers(root: &crate::sys::SysRoot, said: &mut Vec<String>) -> Option<Stated> {
    for server in crate::sys::ntp::servers(root) {
        match crate::sys::ntp::query(&server, crate::sys::ntp::QUERY_TIMEOUT) {
            Ok(r) => {
                return Some(Stated {
                    source: crate::cert::model::TimeSource::Ntp,
                    by: r.server,
                    rtc_offset_ms: r.rtc_offset_ms,
                });
            }
            Err(e) => said.push(format!(
                "Time: no time from {}.",
                crate::model::error_chain(&e)
            )),
        }
    }
    None
}

/// The key id pinned in the data folder, if any. A file that is there but unreadable or not a
/// key id is an error: a pin is never dropped silently.
pub fn read_pin(data: &DataDir) -> Result<Option<String>, NoServer> {
    let path = pin_file(data);
    let bad = |why: String| NoServer::BadPin {
        path: path.clone(),
        why,
    };
    let Some(text) = file::read_optional(&path).map_err(|e| bad(crate::model::error_chain(&e)))?
    else {
        return Ok(None);
    };
    let id = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    if exchange::is_key_id(id) {
        Ok(Some(id.to_owned()))
    } else {
        Err(bad(format!("{id:?} is not a key id (sha256:…)")))
    }
}

enum PinWrite {
    Exists,
    Failed(String),
}

fn write_pin(data: &DataDir, key_id: &str, url: &str) -> Result<(), PinWrite> {
    let path = pin_file(data);
    let dir = data.keys();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = format!(
        "{key_id}\n# The workshop server's key, pinned at its first answer ({url}, {}).\n\
         # Answers signed by another key are refused. Delete this file to pin again.\n",
        crate::sys::clock::now_rfc3339()
    );
    atomic::ensure_dir(&dir)
        .and_then(|()| atomic::write_new(&dir, &name, text.as_bytes(), 0o644))
        .map(|_| ())
        .map_err(|e| match e {
            atomic::AtomicWriteError::Exists { .. } => PinWrite::Exists,
            other => PinWrite::Failed(crate::model::error_chain(&other)),
        })
}
