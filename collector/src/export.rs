//! Everything the collector holds about one laptop, as one JSON document (issue 23, item 5):
//! `reprise-collector laptop SERIAL --export json` and `/laptops/<serial>/export.json`. Its
//! lot's row with the inventory's extra columns, every certificate with its exact stored bytes
//! (base64: a signature covers bytes, not a re-serialization) and their digests, every disk
//! row, the refurbishment record that follows a certificate (its exact bytes too), every event
//! with who recorded it, and the parts fitted now with their costs. Nothing of a family is in
//! it because nothing of a family is stored (a hand-over names the partner, never the
//! household).

use base64::Engine as _;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::store::{LaptopLife, Store, StoreError};

/// The document's `format`: bump when a field changes meaning or disappears.
pub const FORMAT: &str = "reprise-laptop-export/1";

/// The export of the laptop `serial` (matched as laptops are keyed), or None when it is in no
/// lot. `exported_at` is written in the document.
pub async fn laptop(
    store: &dyn Store,
    serial: &str,
    exported_at: &str,
) -> Result<Option<Value>, StoreError> {
    let Some(life) = store.laptop(serial.to_string()).await? else {
        return Ok(None);
    };
    let lot = store
        .lots()
        .await?
        .into_iter()
        .find(|l| l.lot.name == life.laptop.lot);
    let mut certificates = Vec::new();
    for row in &life.certificates {
        let stored = store.certificate(row.digest.clone()).await?;
        let disks = store.disks(row.digest.clone()).await?;
        let record = store.record_of(row.digest.clone()).await?;
        let mut c = certificate(row, stored.map(|s| s.body), &disks);
        c["refurbishment_record"] = record.map_or(Value::Null, |r| refurbishment(&r));
        certificates.push(c);
    }
    Ok(Some(document(
        &life,
        lot.as_ref(),
        certificates,
        exported_at,
    )))
}

fn document(
    life: &LaptopLife,
    lot: Option<&crate::store::Lot>,
    certificates: Vec<Value>,
    exported_at: &str,
) -> Value {
    let l = &life.laptop;
    json!({
        "format": FORMAT,
        "exported_at": exported_at,
        "laptop": {
            "serial": l.laptop.serial,
            "lot": l.lot,
            "site": l.site,
            "received": l.received,
            "line": l.laptop.line,
            "asset_tag": l.laptop.asset_tag,
            "model": l.laptop.model,
            "purchase_year": l.laptop.purchase_year,
            "extra": json_text(&l.laptop.extra),
        },
        "lot": lot.map(|o| json!({
            "name": o.lot.name,
            "site": o.lot.site,
            "received": o.lot.received,
            "source": o.lot.source,
            "imported_at": o.lot.imported_at,
            "imported_by": o.lot.imported_by,
            "laptops": o.laptops,
        })),
        "certificates": certificates,
        "parts_fitted": parts_fitted(life),
        "events": life.events.iter().map(|e| json!({
            "seq": e.seq,
            "kind": e.kind,
            "date": e.date,
            "fields": json_text(&e.fields),
            "recorded_by": e.recorded_by,
            "recorded_at": e.recorded_at,
        })).collect::<Vec<_>>(),
    })
}

/// The parts fitted now (the latest `parts-fitted` event, which corrects the earlier ones,
/// all of which are in `events`), with their total against the plan's and the budget.
fn parts_fitted(life: &LaptopLife) -> Value {
    let Some((e, f)) = crate::parts::current(&life.events) else {
        return Value::Null;
    };
    json!({
        "event_seq": e.seq,
        "date": e.date,
        "certificate": f.certificate,
        "parts": f.parts.iter().map(|p| json!({
            "action": p.action,
            "text": p.text,
            "planned_cents": p.planned_cents,
            "cost_cents": p.cost_cents,
        })).collect::<Vec<_>>(),
        "total_cents": f.total_cents(),
        "repair_cost_cents": f.repair_cost_cents,
        "budget_cents": f.budget_cents,
        "recorded_by": e.recorded_by,
        "recorded_at": e.recorded_at,
    })
}

fn certificate(
    c: &crate::store::CertRow,
    body: Option<Vec<u8>>,
    disks: &[crate::store::DiskRow],
) -> Value {
    json!({
        "digest": c.digest,
        "body_sha256": body.as_ref().map(|b| hex::encode(Sha256::digest(b))),
        "body_base64": body.as_ref().map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
        "id": c.id,
        "station_key_id": c.station_key_id,
        "sequence": c.sequence,
        "previous_digest": c.previous_digest,
        "issued_at": c.issued_at,
        "received_at": c.received_at,
        "site": c.site,
        "operator": c.operator,
        "organisation": c.organisation,
        "vendor": c.vendor,
        "product": c.product,
        "model_name": c.model_name,
        "serial": c.serial,
        "decision": c.decision,
        "grade": c.grade,
        "disks": c.disks,
        "disks_sanitized": c.disks_sanitized,
        "result": c.result,
        "language": c.language,
        "disk_rows": disks.iter().map(|d| json!({
            "index": d.index,
            "dev_path": d.dev_path,
            "vendor": d.vendor,
            "model": d.model,
            "serial": d.serial,
            "capacity_bytes": d.capacity_bytes,
            "interface": d.interface,
            "media_type": d.media_type,
            "level": d.level,
            "method": d.method,
            "verification": d.verification,
            "result": d.result,
            "sanitized": d.sanitized,
            "disposition": d.disposition,
        })).collect::<Vec<_>>(),
    })
}

/// The refurbishment record that followed a certificate: its indexed fields and exact bytes.
fn refurbishment(r: &crate::store::StoredRecord) -> Value {
    json!({
        "digest": r.row.digest,
        "id": r.row.id,
        "station_key_id": r.row.station_key_id,
        "issued_at": r.row.issued_at,
        "received_at": r.row.received_at,
        "image_name": r.row.image_name,
        "image_version": r.row.image_version,
        "body_sha256": hex::encode(Sha256::digest(&r.body)),
        "body_base64": base64::engine::general_purpose::STANDARD.encode(&r.body),
    })
}

/// A stored JSON text (an object written by the collector) as JSON; kept as a string if a
/// row holds something else, so the export never loses it.
fn json_text(s: &str) -> Value {
    serde_json::from_str::<Map<String, Value>>(s)
        .map_or_else(|_| Value::String(s.into()), Value::Object)
}
