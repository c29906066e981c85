//! Uploading certificates and refurbishment records to the workshop server: every certificate
//! of the data folder without a receipt is pending, and so is every record
//! (`certs/refurbish/`), sent once its certificate has its receipt; an upload the server acknowledges leaves a receipt (`uploads/<certificate
//! file name>`), anything else leaves it pending for the next run or `reprise upload`. An
//! acknowledgement is a 201 (stored) or 200 (already stored) whose JSON body carries a
//! `receipt` signed by the pinned server key (the key the signed hello is checked against,
//! `flow::trust`) naming the digest of the file, as the agent computes it from the bytes it
//! sent: a bare 2xx proves nothing (a proxy's page, a server that stored something else, a
//! machine that took the server's address), nor does an unsigned or wrongly signed answer. Nothing is lost (the certificate stays on the data partition) and
//! nothing is duplicated (the server is idempotent on the certificate's digest). A run with no
//! stick ([`deliver`]) keeps trying until the server has its certificate.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

use super::DataDir;
use super::config::Server;
use crate::sys::atomic::{self, AtomicWriteError};
use crate::sys::http::{Client, RequestError};
use crate::wipe::CancelToken;

/// What the server said when it kept a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub certificate: String,
    pub server: String,
    /// 201 (stored) or 200 (already stored).
    pub status: u16,
    /// The certificate's digest (`sha256:…` of its canonical content), as the server named it
    /// in its answer. Absent from receipts written before it was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `sha256:…` of the server key that signed the receipt (the pinned one). Absent from
    /// receipts written before receipts were signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_key: Option<String>,
    /// The server's signed receipt, as received (`{"message", "signature"}`): an auditor checks
    /// it against the server key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<serde_json::Value>,
    /// The certificate's page on the server (what its QR code points to).
    pub url: Option<String>,
    pub at: String,
}

/// One certificate that could not be uploaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUploaded {
    pub certificate: String,
    pub why: String,
    /// The server refused it (4xx): trying again will not help until something changes (the
    /// station enrolled, say). Otherwise it was unreachable or busy.
    pub refused: bool,
}

/// The outcome of one pass over the pending certificates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadReport {
    pub uploaded: Vec<Receipt>,
    pub not_uploaded: Vec<NotUploaded>,
}

/// Why the folder itself could not be worked on.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("cannot read the certificate folder {path}")]
    Folder {
        path: PathBuf,
        #[source]
        source: AtomicWriteError,
    },
    #[error("cannot write the upload receipt into {path}")]
    Receipt {
        path: PathBuf,
        #[source]
        source: AtomicWriteError,
    },
}

/// File names of the certificates that have no receipt yet, in name order.
pub fn pending(data: &DataDir) -> Result<Vec<(String, Vec<u8>)>, UploadError> {
    let certs = data.certs();
    if !crate::sys::file::exists(&certs) {
        return Ok(Vec::new());
    }
    let files = atomic::read_json_files(&certs).map_err(|source| UploadError::Folder {
        path: certs.clone(),
        source,
    })?;
    let uploads = data.uploads();
    Ok(files
        .into_iter()
        .filter(|(name, _)| !crate::sys::file::exists(&uploads.join(name)))
        .collect())
}

/// The server's error sentence, from its JSON error body or the status alone.
pub(crate) fn server_says(status: u16, body: &[u8]) -> String {
    let text = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned));
    match text {
        Some(t) => format!("HTTP {status}: {t}"),
        None => format!("HTTP {status}"),
    }
}

/// The folder of refurbishment records, inside the certificates' (`flow::deploy` writes them), and
/// the folder of their receipts, inside the uploads'.
pub const RECORDS: &str = "refurbish";

/// File names of the refurbishment records that have no receipt yet, in name order.
pub fn pending_records(data: &DataDir) -> Result<Vec<(String, Vec<u8>)>, UploadError> {
    let dir = data.certs().join(RECORDS);
    if !crate::sys::file::exists(&dir) {
        return Ok(Vec::new());
    }
    let files = atomic::read_json_files(&dir).map_err(|source| UploadError::Folder {
        path: dir.clone(),
        source,
    })?;
    let receipts = data.uploads().join(RECORDS);
    Ok(files
        .into_iter()
        .filter(|(name, _)| !crate::sys::file::exists(&receipts.join(name)))
        .collect())
}

/// Uploads every pending certificate to `server` (its base URL), then every pending
/// refurbishment record whose certificate the server has acknowledged (a record the server
/// cannot link to its certificate is refused); writes a receipt for each one the server
/// acknowledged with a receipt signed by the server key `pin` (`sha256:…`; with none, nothing
/// is acknowledged). A record is named `refurbish/<file>` in the report and its receipt is
/// `uploads/refurbish/<file>`.
pub fn upload_pending(
    data: &DataDir,
    server: &str,
    pin: Option<&str>,
) -> Result<UploadReport, UploadError> {
    let mut report = UploadReport::default();
    // One client for the pass: its connection is kept from one file to the next.
    let client = Client::default();
    let base = server.trim_end_matches('/');
    let url = format!("{base}/api/v1/certificates");
    for (name, bytes) in pending(data)? {
        // The digest the acknowledgement must name, from the very bytes sent. A file that does
        // not verify here is not sent: no answer could acknowledge it.
        let digest = match crate::cert::envelope::verify(&bytes, None) {
            Ok(v) => v.digest,
            Err(e) => {
                report.not_uploaded.push(unverified(name, &e));
                continue;
            }
        };
        let to = Sent {
            url: &url,
            pin,
            receipts: data.uploads(),
            file: &name,
            label: name.clone(),
        };
        send(&client, &mut report, server, &to, &bytes, digest)?;
    }
    let url = format!("{base}/api/v1/records");
    for (name, bytes) in pending_records(data)? {
        let label = format!("{RECORDS}/{name}");
        let record = match crate::cert::refurbish::verify(&bytes, None) {
            Ok(v) => v,
            Err(e) => {
                report.not_uploaded.push(unverified(label, &e));
                continue;
            }
        };
        // Its certificate first: until the server has it, the record would only be refused.
        let certificate = format!("{}.json", record.envelope.certificate.certificate.id);
        if !crate::sys::file::exists(&data.uploads().join(&certificate)) {
            report.not_uploaded.push(NotUploaded {
                certificate: label,
                why: format!(
                    "not sent: its certificate {certificate} is not acknowledged by the server yet"
                ),
                refused: false,
            });
            continue;
        }
        let to = Sent {
            url: &url,
            pin,
            receipts: data.uploads().join(RECORDS),
            file: &name,
            label,
        };
        send(&client, &mut report, server, &to, &bytes, record.digest)?;
    }
    Ok(report)
}

/// A file that does not verify on the station: never sent.
fn unverified(label: String, e: &crate::cert::envelope::VerifyError) -> NotUploaded {
    NotUploaded {
        certificate: label,
        why: format!(
            "it does not verify, not sent: {}",
            crate::model::error_chain(e)
        ),
        refused: true,
    }
}

/// Where one file goes: the endpoint, the folder of its receipt, its file name there, and how
/// the report names it.
struct Sent<'a> {
    url: &'a str,
    /// The server key its receipt must be signed by.
    pin: Option<&'a str>,
    receipts: PathBuf,
    file: &'a str,
    label: String,
}

/// Posts one file and records the outcome: a receipt when the answer names `digest`.
fn send(
    client: &Client,
    report: &mut UploadReport,
    server: &str,
    to: &Sent<'_>,
    bytes: &[u8],
    digest: String,
) -> Result<(), UploadError> {
    let name = to.label.clone();
    match client.post_json(to.url, bytes) {
        Ok(r) if r.status == 200 || r.status == 201 => {
            let answer = serde_json::from_slice::<serde_json::Value>(&r.body).ok();
            let signed = answer
                .as_ref()
                .and_then(|v| v.get("receipt"))
                .filter(|r| !r.is_null())
                .cloned();
            let server_key = match acknowledged(signed.as_ref(), &digest, to.pin) {
                Ok(key) => key,
                Err(why) => {
                    report.not_uploaded.push(NotUploaded {
                        certificate: name,
                        why: format!(
                            "HTTP {} without an acknowledgement of digest {digest} ({why}): not \
                             counted as stored",
                            r.status
                        ),
                        // Nothing proves it was stored: it is sent again later.
                        refused: false,
                    });
                    return Ok(());
                }
            };
            let page = answer
                .as_ref()
                .and_then(|v| v.get("url").and_then(|u| u.as_str()).map(str::to_owned));
            let receipt = Receipt {
                certificate: name,
                server: server.to_owned(),
                status: r.status,
                digest: Some(digest),
                server_key: Some(server_key),
                signed,
                url: page,
                at: crate::sys::clock::now_rfc3339(),
            };
            let dir = &to.receipts;
            let write = atomic::ensure_dir(dir).and_then(|()| {
                let mut json = serde_json::to_vec_pretty(&receipt).expect("serializes");
                json.push(b'\n');
                atomic::write_new(dir, to.file, &json, 0o644)
            });
            match write {
                Ok(_) => {}
                // A receipt already there: another run acknowledged it meanwhile.
                Err(AtomicWriteError::Exists { .. }) => {}
                Err(source) => {
                    return Err(UploadError::Receipt {
                        path: dir.clone(),
                        source,
                    });
                }
            }
            report.uploaded.push(receipt);
        }
        Ok(r) => report.not_uploaded.push(NotUploaded {
            certificate: name,
            why: server_says(r.status, &r.body),
            // 408 timeout, 429 busy, 5xx: the server may take it later.
            refused: (400..500).contains(&r.status) && r.status != 408 && r.status != 429,
        }),
        Err(e) => report.not_uploaded.push(NotUploaded {
            certificate: name,
            why: match &e {
                RequestError::Url(w) => w.clone(),
                other => other.to_string(),
            },
            // Never sent (an https:// URL): sending again will not help.
            refused: matches!(e, RequestError::Url(_)),
        }),
    }
    Ok(())
}

/// The key id of the server key that signed `receipt` for the file of `digest`, when that is
/// the pinned key `pin`; otherwise why the answer acknowledges nothing.
fn acknowledged(
    receipt: Option<&serde_json::Value>,
    digest: &str,
    pin: Option<&str>,
) -> Result<String, String> {
    let receipt = receipt.ok_or("the answer carries no signed receipt")?;
    let bytes = serde_json::to_vec(receipt).map_err(|e| e.to_string())?;
    let opened = crate::cert::exchange::open_receipt(&bytes, digest).map_err(|e| {
        format!(
            "its receipt does not verify: {}",
            crate::model::error_chain(&e)
        )
    })?;
    match pin {
        Some(pin) if pin == opened.server_key_id => Ok(opened.server_key_id),
        Some(pin) => Err(format!(
            "its receipt is signed by {}, not by the pinned server key {pin}",
            opened.server_key_id
        )),
        None => Err(format!(
            "its receipt is signed by {}, but no server key is pinned (reprise.server-key=, \
             or a first signed hello)",
            opened.server_key_id
        )),
    }
}

/// Enrols this station's public key with the server, with the one-time token a PXE boot script
/// carried (`reprise.enroll=`): a machine booted over the network has a fresh key each boot.
pub fn enroll_station(server: &str, token: &str, public_key_pem: &str) -> Result<(), String> {
    let url = format!("{}/api/v1/stations", server.trim_end_matches('/'));
    let body = serde_json::json!({"token": token, "public_key": public_key_pem});
    let body = serde_json::to_vec(&body).expect("serializes");
    match Client::default().post_json(&url, &body) {
        Ok(r) if r.status == 200 || r.status == 201 => Ok(()),
        Ok(r) => Err(server_says(r.status, &r.body)),
        Err(e) => Err(e.to_string()),
    }
}

/// After a run: enrols the station when the network boot gave a token, then uploads every
/// certificate and refurbishment record not yet acknowledged, saying each on `out`. With a stick
/// (`durable`), what fails stays queued for the next run. In memory (network boot), keeps trying
/// — 2 s, then twice as long each time, up to 30 s — until the server acknowledges
/// `certificate` and the run's `record` (if it installed a system), or the operator stops it
/// (`cancel`). An upload counts only with a receipt signed by the server key `pin`. Returns whether the certificate has a durable home (a record the server never
/// took is said, and lost, but the certificate stands alone).
#[allow(clippy::too_many_arguments)]
pub fn deliver(
    server: &Server,
    pin: Option<&str>,
    data: &DataDir,
    key: &SigningKey,
    certificate: &Path,
    record: Option<&Path>,
    durable: bool,
    cancel: &CancelToken,
    out: &mut dyn Write,
) -> Result<bool, UploadError> {
    let url = server.url.as_str();
    // Nobody reading the terminal is no reason to stop: the lines are also the run's log.
    let mut say = |line: String| {
        let _ = writeln!(out, "{line}");
    };
    if let Some(token) = &server.enroll {
        let enrolled = crate::cert::sign::public_key_pem(&key.verifying_key())
            .map_err(|e| e.to_string())
            .and_then(|pem| enroll_station(url, token, &pem));
        match enrolled {
            Ok(()) => say(format!("Station enrolled with {url}.")),
            Err(why) => say(format!("Station enrolment with {url} failed: {why}")),
        }
    }
    let file_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let name = file_name(certificate);
    let record_name = record.map(|r| format!("{RECORDS}/{}", file_name(r)));
    let mut delay = Duration::from_secs(2);
    loop {
        let report = upload_pending(data, url, pin)?;
        for r in &report.uploaded {
            let page = r.url.as_deref().unwrap_or("");
            say(format!(
                "Uploaded {} to {url} (HTTP {}) {page}",
                r.certificate, r.status
            ));
        }
        for n in &report.not_uploaded {
            say(format!("Not uploaded {}: {}", n.certificate, n.why));
        }
        let waiting = |label: &str| report.not_uploaded.iter().any(|n| n.certificate == label);
        let certificate_waits = waiting(&name);
        let record_waits = record_name.as_deref().is_some_and(waiting);
        if !certificate_waits && !record_waits {
            return Ok(true);
        }
        if durable {
            say(
                "What was not uploaded stays on the data partition; it will be sent again at the \
                 next run (or by `reprise upload`)."
                    .into(),
            );
            return Ok(true);
        }
        if cancel.is_cancelled() {
            if certificate_waits {
                say(
                    "NOT ACKNOWLEDGED: this machine has no stick; the certificate is only in \
                     memory and is lost at power-off. Do not power off."
                        .into(),
                );
                return Ok(false);
            }
            say(
                "NOT ACKNOWLEDGED: the refurbishment record is only in memory (no stick) and is \
                 lost at power-off; the certificate is stored on the server."
                    .into(),
            );
            return Ok(true);
        }
        say(format!(
            "Waiting for {url} to take the {} (no stick: it is only in memory); trying again in \
             {} s.",
            if certificate_waits {
                "certificate"
            } else {
                "refurbishment record"
            },
            delay.as_secs()
        ));
        crate::sys::clock::sleep(delay);
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}
