//! Each laptop's life, from what is stored: received (its lot), sanitized (its latest
//! certificate says every disk was), the verdict (that certificate's destination), then handed
//! over or recycled (its events). Pure functions over [`LaptopLife`]: the store's rules
//! (`store::rules`), the CLI, the pages and the donor's report (`report.rs`) all read a life
//! through here, so a laptop counts in a figure of the report exactly when its page says so.
//!
//! Events are append-only: a correction is a new event, and the laptop's outcome is its latest
//! `handed-over`, `recycled` or `cancelled` event (`cancelled` takes it back to pending). A
//! `parts-fitted` event (`crate::parts`) is no outcome: its latest says the parts fitted.

use serde_json::{Map, Value};

use crate::store::{CertRow, Event, LaptopLife};

/// Event kinds, as stored and as the CLI names them.
pub const HANDED_OVER: &str = "handed-over";
pub const RECYCLED: &str = "recycled";
pub const CANCELLED: &str = "cancelled";
/// The outcome kinds: the latest of them is where the laptop's life ended.
pub const KINDS: [&str; 3] = [HANDED_OVER, RECYCLED, CANCELLED];
/// The parts fitted after the repair (`crate::parts`): not an outcome.
pub use crate::parts::PARTS_FITTED;

/// Whether `s` is a date `YYYY-MM-DD` that exists.
pub fn is_date(s: &str) -> bool {
    crate::util::check_utc_time(&format!("{s}T00:00:00Z")).is_ok() && s.len() == 10
}

/// The certificate that speaks for the laptop now: the latest issued (then received).
pub fn latest_certificate(life: &LaptopLife) -> Option<&CertRow> {
    life.certificates
        .iter()
        .max_by(|a, b| (&a.issued_at, &a.received_at).cmp(&(&b.issued_at, &b.received_at)))
}

/// A certificate whose every disk was sanitized (at least one disk: a laptop whose certificate
/// found no disk has not been shown to hold no data).
pub fn every_disk_sanitized(c: &CertRow) -> bool {
    c.result == "sanitized" && c.disks > 0 && c.disks_sanitized == c.disks
}

/// Where a laptop's life ended, by its latest outcome event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    HandedOver { date: String },
    Recycled { date: String },
}

pub fn outcome(events: &[Event]) -> Outcome {
    match events
        .iter()
        .filter(|e| KINDS.contains(&e.kind.as_str()))
        .max_by_key(|e| e.seq)
    {
        Some(e) if e.kind == HANDED_OVER => Outcome::HandedOver {
            date: e.date.clone(),
        },
        Some(e) if e.kind == RECYCLED => Outcome::Recycled {
            date: e.date.clone(),
        },
        _ => Outcome::Pending,
    }
}

/// Age in years at reception by the inventory's purchase year (none when it is not known).
pub fn age_at_reception(life: &LaptopLife) -> Option<i64> {
    let year: i64 = life.laptop.received.get(..4)?.parse().ok()?;
    Some(year - life.laptop.laptop.purchase_year?)
}

/// Over ten years old at reception: left out of the re-use rate (décret n° 2023-266). A laptop
/// whose purchase year is not known counts as at most ten years old (nothing excludes it).
pub fn over_ten_years(life: &LaptopLife) -> bool {
    age_at_reception(life).is_some_and(|age| age > 10)
}

/// The figures of the donor's report, in its column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Figure {
    Received,
    Sanitized,
    Refurbish,
    Recycle,
    HandedOver,
    Recycled,
    Pending,
    Over10Years,
}

impl Figure {
    pub const ALL: [Figure; 8] = [
        Figure::Received,
        Figure::Sanitized,
        Figure::Refurbish,
        Figure::Recycle,
        Figure::HandedOver,
        Figure::Recycled,
        Figure::Pending,
        Figure::Over10Years,
    ];

    /// The report's column name (also the `figure=` of the laptop list's links).
    pub fn column(self) -> &'static str {
        match self {
            Figure::Received => "received",
            Figure::Sanitized => "sanitized",
            Figure::Refurbish => "refurbish",
            Figure::Recycle => "recycle",
            Figure::HandedOver => "handed_over",
            Figure::Recycled => "recycled",
            Figure::Pending => "pending",
            Figure::Over10Years => "over_10_years",
        }
    }

    pub fn from_column(s: &str) -> Option<Figure> {
        Figure::ALL.into_iter().find(|f| f.column() == s)
    }

    /// Whether the laptop counts in this figure.
    pub fn holds(self, life: &LaptopLife) -> bool {
        let latest = latest_certificate(life);
        match self {
            Figure::Received => true,
            Figure::Sanitized => latest.is_some_and(every_disk_sanitized),
            Figure::Refurbish => latest.is_some_and(|c| c.decision == "refurbish"),
            Figure::Recycle => latest.is_some_and(|c| c.decision == "recycle"),
            Figure::HandedOver => matches!(outcome(&life.events), Outcome::HandedOver { .. }),
            Figure::Recycled => matches!(outcome(&life.events), Outcome::Recycled { .. }),
            Figure::Pending => outcome(&life.events) == Outcome::Pending,
            Figure::Over10Years => over_ten_years(life),
        }
    }
}

/// Why an event is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("unknown event kind {0:?} (handed-over, recycled, cancelled or parts-fitted)")]
    Kind(String),
    #[error("date {0:?} is not a date YYYY-MM-DD")]
    Date(String),
    #[error("date {date} is before the laptop was received ({received}, lot {lot})")]
    BeforeReception {
        date: String,
        received: String,
        lot: String,
    },
    #[error("date {date} is after the day it is recorded ({today})")]
    Future { date: String, today: String },
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("fields are not a JSON object of known names: {0}")]
    Fields(String),
    #[error(
        "laptop {serial} cannot be handed over: {why}; a laptop is handed over only when its \
         latest certificate says every disk was sanitized"
    )]
    NotSanitized { serial: String, why: String },
    #[error(
        "laptop {serial}: {why}; say what happened to its disks (--disks) to record it recycled"
    )]
    DisksUnaccounted { serial: String, why: String },
    #[error("laptop {serial} has no outcome to cancel (it is pending)")]
    NothingToCancel { serial: String },
    #[error(
        "laptop {serial}: {why}; parts fitted are recorded against the plan of a latest \
         certificate whose verdict is refurbish"
    )]
    NotRefurbish { serial: String, why: String },
    #[error(
        "laptop {serial}: the parts were checked against the plan of certificate {given}, but \
         its latest certificate is now {latest}: record them again against that plan"
    )]
    PlanChanged {
        serial: String,
        given: String,
        latest: String,
    },
    #[error("date {date} is before the certificate whose plan was repaired ({issued})")]
    BeforeCertificate { date: String, issued: String },
    #[error("parts fitted: {0}")]
    Parts(String),
    #[error("an empty list of parts only corrects an earlier one, and says why (--note)")]
    EmptyParts,
}

/// The fields each kind takes (text, except `weight_g`: a positive integer).
fn allowed(kind: &str) -> &'static [&'static str] {
    match kind {
        HANDED_OVER => &["partner", "receipt", "note"],
        RECYCLED => &["channel", "weight_g", "disks", "note"],
        _ => &["note"],
    }
}

/// A text field, trimmed, if present and not empty.
pub fn text_field(fields: &Map<String, Value>, name: &str) -> Option<String> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Why the latest certificate does not say every disk was sanitized (None when it does).
fn not_sanitized_why(life: &LaptopLife) -> Option<String> {
    match latest_certificate(life) {
        None => Some("no certificate of it was received".into()),
        Some(c) if every_disk_sanitized(c) => None,
        Some(c) => Some(format!(
            "its latest certificate ({}, issued {}) has {} of {} disks sanitized",
            c.id, c.issued_at, c.disks_sanitized, c.disks
        )),
    }
}

/// The rules an event must pass on the laptop it is for (the store checks them in the
/// transaction that appends it): a known kind, a date from the reception to the day it is
/// recorded (`recorded_at`), the kind's fields;
/// handed over only when the latest certificate says every disk was sanitized; recycled with
/// disks not shown sanitized only when `disks` says what happened to them; a cancellation only
/// of an outcome.
pub fn check_event(life: &LaptopLife, e: &Event) -> Result<(), Refusal> {
    let serial = life.laptop.laptop.serial.clone();
    if !KINDS.contains(&e.kind.as_str()) && e.kind != PARTS_FITTED {
        return Err(Refusal::Kind(e.kind.clone()));
    }
    if !is_date(&e.date) {
        return Err(Refusal::Date(e.date.clone()));
    }
    if e.date < life.laptop.received {
        return Err(Refusal::BeforeReception {
            date: e.date.clone(),
            received: life.laptop.received.clone(),
            lot: life.laptop.lot.clone(),
        });
    }
    let today = e.recorded_at.get(..10).unwrap_or_default();
    if e.date.as_str() > today {
        return Err(Refusal::Future {
            date: e.date.clone(),
            today: today.to_string(),
        });
    }
    if e.kind == PARTS_FITTED {
        return check_parts(life, e);
    }
    let fields: Map<String, Value> =
        serde_json::from_str(&e.fields).map_err(|err| Refusal::Fields(err.to_string()))?;
    let known = allowed(&e.kind);
    for (k, v) in &fields {
        let ok = match k.as_str() {
            "weight_g" => v.as_u64().is_some_and(|n| n > 0),
            _ => v.is_string(),
        };
        if !known.contains(&k.as_str()) || !ok {
            return Err(Refusal::Fields(format!("{k}: {v}")));
        }
    }
    match e.kind.as_str() {
        HANDED_OVER => {
            if text_field(&fields, "partner").is_none() {
                return Err(Refusal::Missing("the partner organisation (--partner)"));
            }
            if let Some(why) = not_sanitized_why(life) {
                return Err(Refusal::NotSanitized { serial, why });
            }
        }
        RECYCLED => {
            if text_field(&fields, "channel").is_none() {
                return Err(Refusal::Missing("the recycling channel (--channel)"));
            }
            if let Some(why) = not_sanitized_why(life)
                && text_field(&fields, "disks").is_none()
            {
                return Err(Refusal::DisksUnaccounted { serial, why });
            }
        }
        _ => {
            if text_field(&fields, "note").is_none() {
                return Err(Refusal::Missing("why it is cancelled (--note)"));
            }
            if outcome(&life.events) == Outcome::Pending {
                return Err(Refusal::NothingToCancel { serial });
            }
        }
    }
    Ok(())
}

/// The certificate whose plan the parts fitted follow: the latest, when its verdict is
/// refurbish.
pub fn plan_certificate(life: &LaptopLife) -> Result<&CertRow, Refusal> {
    let serial = life.laptop.laptop.serial.clone();
    match latest_certificate(life) {
        None => Err(Refusal::NotRefurbish {
            serial,
            why: "no certificate of it was received".into(),
        }),
        Some(c) if c.decision != "refurbish" => Err(Refusal::NotRefurbish {
            serial,
            why: format!(
                "its latest certificate ({}, issued {}) says {}",
                c.id, c.issued_at, c.decision
            ),
        }),
        Some(c) => Ok(c),
    }
}

/// The rules of a `parts-fitted` event (after the date's): its fields well formed
/// (`parts::read`), the latest certificate's verdict is refurbish and it is the certificate
/// whose plan the parts were resolved against, the repair is not dated before that
/// certificate, and an empty list only corrects an earlier one, with why.
fn check_parts(life: &LaptopLife, e: &Event) -> Result<(), Refusal> {
    let serial = life.laptop.laptop.serial.clone();
    let fitted = crate::parts::read(&e.fields).map_err(Refusal::Parts)?;
    let latest = plan_certificate(life)?;
    if fitted.certificate != latest.digest {
        return Err(Refusal::PlanChanged {
            serial,
            given: fitted.certificate,
            latest: latest.digest.clone(),
        });
    }
    if e.date.as_str() < latest.issued_at.get(..10).unwrap_or_default() {
        return Err(Refusal::BeforeCertificate {
            date: e.date.clone(),
            issued: latest.issued_at.clone(),
        });
    }
    if fitted.parts.is_empty()
        && (fitted.note.is_none() || crate::parts::current(&life.events).is_none())
    {
        return Err(Refusal::EmptyParts);
    }
    Ok(())
}

/// An event's fields as `name: value` pairs, in the order stored (JSON object order).
pub fn field_pairs(e: &Event) -> Vec<(String, String)> {
    if e.kind == PARTS_FITTED
        && let Ok(f) = crate::parts::read(&e.fields)
    {
        return parts_pairs(&f, reprise_cert::Language::En);
    }
    match serde_json::from_str::<Map<String, Value>>(&e.fields) {
        Ok(m) => m
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect(),
        Err(_) => vec![("fields".into(), e.fields.clone())],
    }
}

/// A `parts-fitted` event's fields as `name: value` pairs: the parts with their costs, the
/// total against the plan's total and budget, the certificate, the note.
pub fn parts_pairs(
    f: &crate::parts::Fitted,
    lang: reprise_cert::Language,
) -> Vec<(String, String)> {
    use reprise_cert::messages::euros;
    let mut v = vec![
        ("parts".to_string(), f.summary(lang)),
        ("total".to_string(), euros(f.total_cents(), lang)),
    ];
    if let Some(c) = f.repair_cost_cents {
        v.push(("plan".into(), euros(c, lang)));
    }
    if let Some(c) = f.budget_cents {
        v.push(("budget".into(), euros(c, lang)));
    }
    v.push(("certificate".into(), f.certificate.clone()));
    if let Some(n) = &f.note {
        v.push(("note".into(), n.clone()));
    }
    v
}

/// A laptop's life as text (`reprise-collector laptop SERIAL`).
pub fn text(life: &LaptopLife) -> String {
    use std::fmt::Write as _;
    let l = &life.laptop;
    let mut out = String::new();
    let _ = writeln!(out, "serial\t{}", l.laptop.serial);
    let _ = writeln!(
        out,
        "asset tag\t{}",
        l.laptop.asset_tag.as_deref().unwrap_or("-")
    );
    let _ = writeln!(out, "model\t{}", l.laptop.model.as_deref().unwrap_or("-"));
    let _ = writeln!(
        out,
        "purchased\t{}",
        l.laptop
            .purchase_year
            .map_or_else(|| "-".to_string(), |y| y.to_string())
    );
    let _ = writeln!(
        out,
        "lot\t{} (site {}, received {}, line {})",
        l.lot, l.site, l.received, l.laptop.line
    );
    let _ = writeln!(out, "received\t{}", l.received);
    for c in &life.certificates {
        let _ = writeln!(
            out,
            "certificate\t{} {} — {} of {} disks sanitized — verdict {}",
            c.issued_at, c.id, c.disks_sanitized, c.disks, c.decision
        );
    }
    let latest = latest_certificate(life);
    let _ = writeln!(
        out,
        "sanitized\t{}",
        match latest {
            Some(c) if every_disk_sanitized(c) => format!("yes ({})", c.id),
            Some(c) => format!("no ({}: {} of {} disks)", c.id, c.disks_sanitized, c.disks),
            None => "no certificate".to_string(),
        }
    );
    for e in &life.events {
        let fields: Vec<String> = field_pairs(e)
            .into_iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let _ = writeln!(
            out,
            "event #{}\t{} {} — {} — recorded by {} at {}",
            e.seq,
            e.date,
            e.kind,
            fields.join(", "),
            e.recorded_by,
            e.recorded_at
        );
    }
    if let Some((e, f)) = crate::parts::current(&life.events) {
        let _ = writeln!(
            out,
            "parts fitted\t{} — total {} (plan {}, budget {}) — event #{} of {}",
            f.summary(reprise_cert::Language::En),
            reprise_cert::messages::euros(f.total_cents(), reprise_cert::Language::En),
            f.repair_cost_cents.map_or_else(
                || "not priced".to_string(),
                |c| reprise_cert::messages::euros(c, reprise_cert::Language::En)
            ),
            f.budget_cents.map_or_else(
                || "-".to_string(),
                |c| reprise_cert::messages::euros(c, reprise_cert::Language::En)
            ),
            e.seq,
            e.date
        );
    }
    let _ = writeln!(
        out,
        "now\t{}",
        match outcome(&life.events) {
            Outcome::Pending => "pending".to_string(),
            Outcome::HandedOver { date } => format!("handed over on {date}"),
            Outcome::Recycled { date } => format!("recycled on {date}"),
        }
    );
    out
}

/// The serial as laptops are keyed: trimmed, ASCII upper case.
pub use crate::store::serial_key;

/// [`check_event`] as the store runs it ([`crate::store::EventRules`]).
pub fn event_rules(life: &LaptopLife, e: &Event) -> Result<(), String> {
    check_event(life, e).map_err(|r| r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Laptop, NewLaptop};

    fn cert(issued: &str, disks: i64, ok: i64, decision: &str) -> CertRow {
        CertRow {
            digest: format!("sha256:{issued}"),
            id: format!("id-{issued}"),
            station_key_id: "k".into(),
            sequence: 1,
            previous_digest: None,
            issued_at: issued.into(),
            received_at: issued.into(),
            site: "s".into(),
            operator: "o".into(),
            organisation: None,
            vendor: None,
            product: None,
            model_name: None,
            serial: Some("PF1".into()),
            machine_key: "m".into(),
            decision: decision.into(),
            grade: "A".into(),
            disks,
            disks_sanitized: ok,
            result: if disks == 0 {
                "none"
            } else if ok == disks {
                "sanitized"
            } else {
                "failed"
            }
            .into(),
            language: "fr".into(),
        }
    }

    fn life(purchase_year: Option<i64>, certs: Vec<CertRow>) -> LaptopLife {
        LaptopLife {
            laptop: Laptop {
                laptop: NewLaptop {
                    line: 2,
                    serial: "PF1".into(),
                    asset_tag: None,
                    model: None,
                    purchase_year,
                    extra: "{}".into(),
                },
                lot: "lot-1".into(),
                site: "Site".into(),
                received: "2026-11-02".into(),
            },
            certificates: certs,
            events: Vec::new(),
        }
    }

    fn event(kind: &str, date: &str, fields: &str) -> Event {
        Event {
            serial: "PF1".into(),
            seq: 0,
            kind: kind.into(),
            date: date.into(),
            fields: fields.into(),
            recorded_by: "amina".into(),
            recorded_at: "2026-12-31T10:00:00.000Z".into(),
        }
    }

    #[test]
    fn handed_over_only_when_the_latest_certificate_sanitized_every_disk() {
        let ho = event(HANDED_OVER, "2026-12-01", r#"{"partner":"Emmaüs Connect"}"#);
        let none = life(Some(2018), vec![]);
        assert!(matches!(
            check_event(&none, &ho),
            Err(Refusal::NotSanitized { .. })
        ));
        // Sanitized once, then a later certificate failed: the latest speaks.
        let later_failed = life(
            Some(2018),
            vec![
                cert("2026-11-03T10:00:00Z", 1, 1, "refurbish"),
                cert("2026-11-04T10:00:00Z", 2, 1, "refurbish"),
            ],
        );
        let err = check_event(&later_failed, &ho).unwrap_err().to_string();
        assert!(err.contains("1 of 2 disks"), "{err}");
        let no_disk = life(
            Some(2018),
            vec![cert("2026-11-04T10:00:00Z", 0, 0, "recycle")],
        );
        assert!(check_event(&no_disk, &ho).is_err());
        let ok = life(
            Some(2018),
            vec![
                cert("2026-11-03T10:00:00Z", 2, 1, "refurbish"),
                cert("2026-11-04T10:00:00Z", 2, 2, "refurbish"),
            ],
        );
        check_event(&ok, &ho).unwrap();
        assert_eq!(
            check_event(&ok, &event(HANDED_OVER, "2026-12-01", "{}")),
            Err(Refusal::Missing("the partner organisation (--partner)"))
        );
        assert!(matches!(
            check_event(&ok, &event(HANDED_OVER, "2026-11-01", r#"{"partner":"P"}"#)),
            Err(Refusal::BeforeReception { .. })
        ));
        assert!(matches!(
            check_event(&ok, &event(HANDED_OVER, "2026-02-30", r#"{"partner":"P"}"#)),
            Err(Refusal::Date(_))
        ));
        assert!(matches!(
            check_event(&ok, &event(HANDED_OVER, "2027-01-01", r#"{"partner":"P"}"#)),
            Err(Refusal::Future { .. })
        ));
        assert!(matches!(
            check_event(
                &ok,
                &event(HANDED_OVER, "2026-12-01", r#"{"partner":"P","family":"X"}"#)
            ),
            Err(Refusal::Fields(_))
        ));
    }

    #[test]
    fn recycling_unsanitized_disks_needs_their_fate_and_weights_are_positive() {
        let failed = life(
            Some(2012),
            vec![cert("2026-11-04T10:00:00Z", 1, 0, "recycle")],
        );
        let plain = event(RECYCLED, "2026-12-01", r#"{"channel":"Ecosystem"}"#);
        assert!(matches!(
            check_event(&failed, &plain),
            Err(Refusal::DisksUnaccounted { .. })
        ));
        let told = event(
            RECYCLED,
            "2026-12-01",
            r#"{"channel":"Ecosystem","disks":"shredded","weight_g":2100}"#,
        );
        check_event(&failed, &told).unwrap();
        let zero = event(
            RECYCLED,
            "2026-12-01",
            r#"{"channel":"E","disks":"x","weight_g":0}"#,
        );
        assert!(matches!(
            check_event(&failed, &zero),
            Err(Refusal::Fields(_))
        ));
    }

    #[test]
    fn the_latest_outcome_event_wins_and_a_cancellation_needs_one() {
        let mut l = life(
            Some(2020),
            vec![cert("2026-11-04T10:00:00Z", 1, 1, "refurbish")],
        );
        let cancel = event(CANCELLED, "2026-12-02", r#"{"note":"wrong laptop"}"#);
        assert!(matches!(
            check_event(&l, &cancel),
            Err(Refusal::NothingToCancel { .. })
        ));
        let mut e1 = event(HANDED_OVER, "2026-12-01", r#"{"partner":"P"}"#);
        e1.seq = 1;
        l.events.push(e1);
        assert!(Figure::HandedOver.holds(&l) && !Figure::Pending.holds(&l));
        check_event(&l, &cancel).unwrap();
        let mut e2 = cancel;
        e2.seq = 2;
        l.events.push(e2);
        assert!(Figure::Pending.holds(&l) && !Figure::HandedOver.holds(&l));
        let mut e3 = event(RECYCLED, "2026-12-03", r#"{"channel":"E"}"#);
        e3.seq = 3;
        l.events.push(e3);
        assert_eq!(
            outcome(&l.events),
            Outcome::Recycled {
                date: "2026-12-03".into()
            }
        );
    }

    #[test]
    fn parts_fitted_follow_the_latest_refurbish_plan_and_corrections_need_a_reason() {
        let parts = |cert: &str, list: &str, note: &str| {
            event(
                PARTS_FITTED,
                "2026-11-20",
                &format!(r#"{{"certificate":"{cert}","parts":[{list}]{note}}}"#),
            )
        };
        let battery =
            r#"{"action":"replace_battery","text":"t","planned_cents":4500,"cost_cents":5200}"#;
        let first = cert("2026-11-03T10:00:00Z", 1, 1, "refurbish");
        let mut l = life(Some(2018), vec![first.clone()]);
        check_event(&l, &parts(&first.digest, battery, "")).unwrap();
        // Against an older certificate's plan: refused, naming the latest.
        let second = cert("2026-11-05T10:00:00Z", 1, 1, "refurbish");
        l.certificates.push(second.clone());
        let err = check_event(&l, &parts(&first.digest, battery, "")).unwrap_err();
        assert!(
            matches!(&err, Refusal::PlanChanged { latest, .. } if *latest == second.digest),
            "{err}"
        );
        // Dated before the certificate whose plan it follows.
        let mut early = parts(&second.digest, battery, "");
        early.date = "2026-11-04".into();
        assert!(matches!(
            check_event(&l, &early),
            Err(Refusal::BeforeCertificate { .. })
        ));
        // A recycle verdict, or no certificate: no plan to repair.
        let recycle = life(
            Some(2018),
            vec![cert("2026-11-03T10:00:00Z", 1, 1, "recycle")],
        );
        let digest = recycle.certificates[0].digest.clone();
        assert!(matches!(
            check_event(&recycle, &parts(&digest, battery, "")),
            Err(Refusal::NotRefurbish { .. })
        ));
        assert!(matches!(
            check_event(&life(None, vec![]), &parts(&digest, battery, "")),
            Err(Refusal::NotRefurbish { .. })
        ));
        // Malformed fields are refused, not dropped.
        assert!(matches!(
            check_event(
                &l,
                &parts(&second.digest, r#"{"label":"x","cost_cents":"12"}"#, "")
            ),
            Err(Refusal::Parts(_))
        ));
        // An empty list corrects an earlier one, with why; not as a first record.
        let empty_why = parts(&second.digest, "", r#","note":"wrong laptop""#);
        assert_eq!(check_event(&l, &empty_why), Err(Refusal::EmptyParts));
        let mut recorded = parts(&second.digest, battery, "");
        recorded.seq = 1;
        l.events.push(recorded);
        assert_eq!(
            check_event(&l, &parts(&second.digest, "", "")),
            Err(Refusal::EmptyParts)
        );
        check_event(&l, &empty_why).unwrap();
        // Not an outcome: the laptop is still pending.
        assert!(Figure::Pending.holds(&l));
        let (e, f) = crate::parts::current(&l.events).unwrap();
        assert_eq!((e.seq, f.total_cents()), (1, 5200));
        assert!(text(&l).contains("parts fitted\tt 52 € (plan 45 €) — total 52 €"));
    }

    #[test]
    fn age_is_counted_from_the_purchase_year_to_the_reception_year() {
        assert!(!over_ten_years(&life(Some(2016), vec![])));
        assert!(over_ten_years(&life(Some(2015), vec![])));
        assert!(!over_ten_years(&life(None, vec![])));
        assert_eq!(age_at_reception(&life(Some(2016), vec![])), Some(10));
    }
}
