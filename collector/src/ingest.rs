//! From the bytes of an upload to what is stored: verification with the shared certificate code
//! (`reprise_cert::envelope::verify`), the HTTP status of every refusal, and the indexed fields.
//!
//! Pure: bytes in, a row or a refusal out. Whether the key is enrolled, and whether the id or
//! digest is already stored, is the store's business (`store::Store::insert`, atomically).

use reprise_cert::envelope::{self, Verified, VerifyError};
use reprise_cert::model::{Certificate, DiskSanitization};

use crate::store::{CertRow, DiskRow, NewCertificate, NewRecord, RecordRow};

/// Largest certificate accepted: 1 MiB. A real one is 5–10 KiB (one page per disk adds about
/// 1.5 KiB), so this leaves room for laptops with many disks and errors while bounding what one
/// request can make the server hold.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Why an upload is refused: the HTTP status, a stable machine code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }
}

/// A verified certificate, ready to store.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub new: NewCertificate,
    pub verified: Verified,
}

/// The status and code of a verification failure. The signature block and the signature itself
/// (algorithm, encodings, key id, value, station key in the content) are 422: the request was a
/// certificate, but not a genuinely signed one; so is a certificate whose id is not its signer's
/// (`id_mismatch`: a key claiming another station's ids). Anything that is not a certificate envelope at
/// all, or whose signed content is not a certificate of this schema, is 400.
pub fn refusal_of(err: &VerifyError, body: &[u8]) -> Refusal {
    let message = reprise_cert::error_chain(err);
    match err {
        VerifyError::Json(_) | VerifyError::Canonical(_) => Refusal::new(400, "malformed", message),
        VerifyError::Malformed(_) if unsigned(body) => Refusal::new(
            422,
            "unsigned",
            format!("the certificate carries no signature ({message})"),
        ),
        VerifyError::Malformed(_) => Refusal::new(400, "malformed", message),
        VerifyError::Schema(_) => Refusal::new(400, "schema", message),
        VerifyError::Algorithm(_) => Refusal::new(422, "unsupported_algorithm", message),
        VerifyError::PublicKeyEncoding(_)
        | VerifyError::PublicKeyInvalid
        | VerifyError::SignatureEncoding(_) => Refusal::new(422, "signature_malformed", message),
        VerifyError::KeyIdMismatch { .. } | VerifyError::StationKeyMismatch { .. } => {
            Refusal::new(422, "key_mismatch", message)
        }
        VerifyError::IdMismatch { .. } => Refusal::new(422, "id_mismatch", message),
        VerifyError::BadSignature | VerifyError::UnexpectedKey { .. } => {
            Refusal::new(422, "bad_signature", message)
        }
    }
}

/// A JSON object without a `signature` member that is a certificate envelope or content: a
/// certificate someone did not (or could not) sign, told apart from garbage so the operator
/// knows what to fix.
fn unsigned(body: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => {
            !map.contains_key("signature")
                && (map.contains_key("certificate") || map.contains_key("schema_version"))
        }
        _ => false,
    }
}

/// Verifies `body` and extracts the indexed fields; `received_at` is the server's clock.
pub fn prepare(body: &[u8], received_at: &str) -> Result<Prepared, Refusal> {
    if body.is_empty() {
        return Err(Refusal::new(400, "malformed", "empty body"));
    }
    let verified = envelope::verify(body, None).map_err(|e| refusal_of(&e, body))?;
    let c = &verified.envelope.certificate;
    // Pages, CSV and SQL slice and sort issued_at as text: only the strict form is stored.
    crate::util::check_utc_time(&c.issued_at).map_err(|why| {
        Refusal::new(400, "schema", format!("issued_at {:?}: {why}", c.issued_at))
    })?;
    let range = |what: &str| Refusal::new(400, "malformed", format!("{what} out of range"));
    let sequence = i64::try_from(c.chain.sequence).map_err(|_| range("chain.sequence"))?;
    let disks = c
        .sanitization
        .iter()
        .enumerate()
        .map(|(i, d)| disk_row(i, d).ok_or_else(|| range("a disk capacity")))
        .collect::<Result<Vec<_>, _>>()?;
    let sanitized = c.sanitization.iter().filter(|d| d.sanitized).count();
    let row = CertRow {
        digest: verified.digest.clone(),
        id: c.id.clone(),
        station_key_id: verified.key_id.clone(),
        sequence,
        previous_digest: c.chain.previous_digest.clone(),
        issued_at: c.issued_at.clone(),
        received_at: received_at.to_string(),
        site: c.issuer.site.clone(),
        operator: c.issuer.operator.clone(),
        organisation: c.issuer.organisation.clone(),
        vendor: meaningful(&c.machine.identity.vendor),
        product: meaningful(&c.machine.identity.product),
        model_name: meaningful(&c.machine.identity.version)
            .or_else(|| meaningful(&c.machine.identity.family)),
        serial: meaningful(&c.machine.identity.serial),
        machine_key: machine_key(c),
        decision: c.destination.as_str().to_owned(),
        grade: c.verdict.grade.as_str().to_owned(),
        disks: i64::try_from(c.sanitization.len()).map_err(|_| range("disk count"))?,
        disks_sanitized: i64::try_from(sanitized).map_err(|_| range("disk count"))?,
        result: CertResult::of(c).as_str().to_owned(),
        language: match c.language {
            reprise_cert::Language::Fr => "fr",
            reprise_cert::Language::En => "en",
        }
        .to_string(),
    };
    Ok(Prepared {
        new: NewCertificate {
            row,
            disks,
            body: body.to_vec(),
        },
        verified,
    })
}

/// Verifies a refurbishment record (`reprise_cert::refurbish::verify`: the signature, the kind,
/// and that it belongs to its signer) and extracts its indexed fields. Refusals take the
/// certificate's statuses and codes. Whether the key is enrolled and the certificate it names is
/// stored is the store's business (`store::Store::insert_record`).
pub fn prepare_record(body: &[u8], received_at: &str) -> Result<NewRecord, Refusal> {
    if body.is_empty() {
        return Err(Refusal::new(400, "malformed", "empty body"));
    }
    let verified = reprise_cert::refurbish::verify(body, None).map_err(|e| refusal_of(&e, body))?;
    let r = &verified.envelope.certificate;
    crate::util::check_utc_time(&r.issued_at).map_err(|why| {
        Refusal::new(400, "schema", format!("issued_at {:?}: {why}", r.issued_at))
    })?;
    Ok(NewRecord {
        row: RecordRow {
            digest: verified.digest.clone(),
            id: r.id.clone(),
            station_key_id: verified.key_id.clone(),
            certificate_digest: r.certificate.digest.clone(),
            issued_at: r.issued_at.clone(),
            received_at: received_at.to_string(),
            image_name: r.image.name.clone(),
            image_version: r.image.version.clone(),
        },
        body: body.to_vec(),
    })
}

/// A certificate's result as the list shows and searches it (a column of the collector's own:
/// the certificate records each disk's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertResult {
    /// Every disk sanitized.
    Sanitized,
    /// At least one disk not sanitized.
    Failed,
    /// No disk.
    NoDisk,
}

impl CertResult {
    /// Every value, in the order the search form offers them.
    pub const ALL: [CertResult; 3] = [
        CertResult::Sanitized,
        CertResult::Failed,
        CertResult::NoDisk,
    ];

    pub fn of(c: &Certificate) -> CertResult {
        if c.sanitization.is_empty() {
            CertResult::NoDisk
        } else if c.sanitization.iter().all(|d| d.sanitized) {
            CertResult::Sanitized
        } else {
            CertResult::Failed
        }
    }

    /// The word stored and searched ("sanitized", "failed", "none").
    pub fn as_str(self) -> &'static str {
        match self {
            CertResult::Sanitized => "sanitized",
            CertResult::Failed => "failed",
            CertResult::NoDisk => "none",
        }
    }

    /// The value of a stored or searched word, if it is one.
    pub fn from_word(word: &str) -> Option<CertResult> {
        CertResult::ALL.into_iter().find(|r| r.as_str() == word)
    }
}

fn disk_row(index: usize, d: &DiskSanitization) -> Option<DiskRow> {
    let v = &d.verification;
    Some(DiskRow {
        index: i64::try_from(index).ok()?,
        dev_path: d.device.dev_path.clone(),
        vendor: d.device.vendor.clone(),
        model: d.device.model.clone(),
        serial: d.device.serial.clone(),
        capacity_bytes: i64::try_from(d.device.capacity_bytes).ok()?,
        interface: d.device.interface.clone(),
        media_type: d.device.media_type.clone(),
        level: d.level.as_str().to_owned(),
        method: d.method.clone(),
        verification: format!(
            "{} {}‰ {}",
            v.mode.as_str(),
            v.coverage_permille,
            if v.passed { "passed" } else { "not passed" }
        ),
        result: d.result.as_str().to_owned(),
        sanitized: d.sanitized,
        disposition: d.disposition.as_str().to_owned(),
    })
}

/// Placeholders firmware writers leave in SMBIOS strings: they identify nothing.
fn meaningful(v: &Option<String>) -> Option<String> {
    let s = v.as_deref()?.trim();
    let lower = s.to_ascii_lowercase();
    let junk = s.is_empty()
        || s.chars().all(|c| c == '0' || c == ' ' || c == '-')
        || lower.contains("to be filled")
        || lower.contains("default string")
        || lower.contains("not specified")
        || lower == "system serial number"
        || lower == "none"
        || lower == "n/a";
    (!junk).then(|| s.to_string())
}

/// Which machine a certificate is about, for statistics (a laptop wiped twice is one machine):
/// the maker and serial number, else the SMBIOS UUID, else the certificate itself.
pub fn machine_key(c: &Certificate) -> String {
    let id = &c.machine.identity;
    if let Some(serial) = meaningful(&id.serial) {
        let vendor = meaningful(&id.vendor).unwrap_or_default();
        return format!("serial:{}|{}", vendor.to_uppercase(), serial.to_uppercase());
    }
    if let Some(uuid) = meaningful(&id.uuid)
        && !uuid.eq_ignore_ascii_case("ffffffff-ffff-ffff-ffff-ffffffffffff")
        && !uuid.eq_ignore_ascii_case("03000200-0400-0500-0006-000700080009")
    {
        return format!("uuid:{}", uuid.to_lowercase());
    }
    format!("certificate:{}", c.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_not_identities() {
        for junk in [
            "",
            "  ",
            "To be filled by O.E.M.",
            "Default string",
            "0000000",
            "None",
        ] {
            assert_eq!(meaningful(&Some(junk.into())), None, "{junk:?}");
        }
        assert_eq!(
            meaningful(&Some(" PF1ABCDE ".into())),
            Some("PF1ABCDE".into())
        );
        assert_eq!(meaningful(&None), None);
    }

    /// The schema 1 fixture's content, changed by `edit`, signed by a fresh station key: the
    /// content and the envelope as uploaded.
    fn signed(edit: impl FnOnce(&mut serde_json::Value)) -> (serde_json::Value, Vec<u8>) {
        use base64::Engine as _;
        use reprise_cert::{jcs, sign};
        let key = sign::generate().unwrap();
        let vk = key.verifying_key();
        let mut content: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/content-failed.json")).unwrap();
        content["chain"]["station_key_id"] = sign::key_id(&vk).into();
        let sequence = content["chain"]["sequence"].as_u64().unwrap();
        content["id"] = reprise_cert::chain::certificate_id(&sign::key_id(&vk), sequence).into();
        edit(&mut content);
        let signature = sign::sign(&key, &jcs::canonicalize(&content).unwrap());
        let b64 = base64::engine::general_purpose::STANDARD;
        let envelope = serde_json::json!({
            "certificate": content,
            "signature": {
                "algorithm": "Ed25519",
                "key_id": sign::key_id(&vk),
                "public_key": b64.encode(vk.as_bytes()),
                "value": b64.encode(signature),
            }
        });
        (content, serde_json::to_vec(&envelope).unwrap())
    }

    /// A schema 1 certificate, signed as it was issued (its content untouched but for the
    /// station key), is stored with the very words it carries: the disk rows, hence the CSV and
    /// the pages, say what the certificate says.
    #[test]
    fn a_schema_1_certificate_is_stored_with_its_own_words() {
        let (content, body) = signed(|_| {});
        assert_eq!(content["schema_version"], 1);
        let prepared = prepare(&body, "t").unwrap();
        let row = &prepared.new.row;
        assert_eq!(
            (
                row.decision.as_str(),
                row.grade.as_str(),
                row.result.as_str()
            ),
            ("refurbish", "C", "failed")
        );
        let d = &prepared.new.disks[0];
        let disk = &content["sanitization"][0];
        assert_eq!(d.level, disk["level"]);
        assert_eq!(d.result, disk["result"]);
        assert_eq!(d.disposition, disk["disposition"]);
        assert_eq!(d.verification, "sample 12‰ not passed");
    }

    /// A signed certificate carrying a word Reprise never wrote is not read as a certificate:
    /// 400 `schema`, naming the word and the words expected.
    #[test]
    fn a_word_outside_its_set_is_a_schema_error_naming_it() {
        let (_, body) = signed(|c| c["sanitization"][0]["result"] = "partly".into());
        let r = prepare(&body, "t").unwrap_err();
        assert_eq!((r.status, r.code), (400, "schema"));
        assert!(
            r.message.contains("unknown variant `partly`"),
            "{}",
            r.message
        );
    }

    /// A signed time that pages and SQL could not slice is refused before it is stored.
    #[test]
    fn a_time_that_is_not_strict_utc_is_a_schema_error() {
        for at in [
            "2026-11-26T10:0é:00Z",
            "2026-11-26T11:00:00+01:00",
            "yesterday",
        ] {
            let (_, body) = signed(|c| c["issued_at"] = at.into());
            let r = prepare(&body, "t").unwrap_err();
            assert_eq!((r.status, r.code), (400, "schema"), "{at}: {}", r.message);
            assert!(r.message.contains("issued_at"), "{}", r.message);
        }
    }

    /// Another key's id, validly signed: refused as not the signer's.
    #[test]
    fn an_id_of_another_key_is_422() {
        let (_, body) = signed(|c| c["id"] = "0123456789abcdef-00000002".into());
        let r = prepare(&body, "t").unwrap_err();
        assert_eq!((r.status, r.code), (422, "id_mismatch"), "{}", r.message);
    }

    #[test]
    fn garbage_is_400_and_an_unsigned_certificate_is_422() {
        let r = prepare(b"not json", "t").unwrap_err();
        assert_eq!((r.status, r.code), (400, "malformed"));
        let r = prepare(b"", "t").unwrap_err();
        assert_eq!((r.status, r.code), (400, "malformed"));
        let r = prepare(br#"{"certificate": {"id": "x"}}"#, "t").unwrap_err();
        assert_eq!((r.status, r.code), (422, "unsigned"));
        let r = prepare(br#"{"schema_version": 1, "id": "x"}"#, "t").unwrap_err();
        assert_eq!((r.status, r.code), (422, "unsigned"));
        let r = prepare(b"{}", "t").unwrap_err();
        assert_eq!((r.status, r.code), (400, "malformed"));
        let r = prepare(br#"[1, 2]"#, "t").unwrap_err();
        assert_eq!((r.status, r.code), (400, "malformed"));
    }
}
