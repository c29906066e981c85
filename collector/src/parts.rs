//! The parts fitted on a laptop once it was repaired (issue 23, item 3: "once done, the parts
//! fitted and their cost"), recorded as a `parts-fitted` event of its life.
//!
//! The plan is the priced verdict of the laptop's latest certificate: its actions, each named
//! by its stable `key` as the certificate has it (`replace_battery`; `replace_disk#2` when the
//! plan holds that key more than once), with its planned `cost_cents`. A workshop says which of
//! them it did, at the plan's cost unless the invoice says otherwise, and adds parts the plan did
//! not foresee by a label and a cost. [`fields`] resolves that against the plan read from the
//! certificate's stored bytes ([`plan`]) and writes the event's fields, naming the certificate
//! (its digest) whose plan it followed; the store's transaction then checks, with the other
//! rules (`life::check_event`, through [`check`]), that this certificate is still the latest and
//! that its verdict is refurbish. So the plan is read outside the transaction but the event can
//! only land against the plan it was checked with.
//!
//! Append-only like every event: a correction is a new `parts-fitted` event, and the laptop's
//! parts are those of its latest one ([`current`]); the history keeps the others.

use reprise_cert::envelope;
use reprise_cert::messages;
use reprise_cert::model::Language;
use serde_json::{Map, Value, json};

use crate::store::{CertRow, Event, Store, StoreError};

/// The event kind, as stored and as the CLI names it.
pub const PARTS_FITTED: &str = "parts-fitted";

/// At most this many lines in one event, and this long a label: a form, not a warehouse.
const MAX_PARTS: usize = 64;
const MAX_LABEL: usize = 200;
/// One part costs at most 10 000 € (a typo guard: a laptop is worth at most a few hundred).
const MAX_CENTS: u64 = 1_000_000;

/// One action of a certificate's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanAction {
    /// The action's key as the certificate has it, `#N` added when the plan holds it N times.
    pub id: String,
    /// The certificate's words for it (in its language).
    pub text: String,
    /// What the plan priced it at, euro cents TTC (none: not a repair, or not priced).
    pub cost_cents: Option<u64>,
    /// A repair the workshop pays for (`Action::is_repair`), rather than a check or a note.
    pub repair: bool,
}

/// The plan of a certificate: its verdict's actions, total and budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The certificate's digest (`sha256:<hex>`).
    pub certificate: String,
    /// "refurbish" or "recycle".
    pub decision: String,
    pub actions: Vec<PlanAction>,
    pub repair_cost_cents: Option<u64>,
    pub budget_cents: Option<u64>,
}

/// Why parts cannot be recorded as given (before the store's rules run).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartsError {
    #[error("certificate {digest}: its plan cannot be read: {why}")]
    Certificate { digest: String, why: String },
    #[error("{0:?} is not an amount in euros (45, 45.50 or 45,50; at most 10000)")]
    Euros(String),
    #[error(
        "no action {id:?} in the plan of the latest certificate {certificate} (its actions: {known})"
    )]
    UnknownAction {
        id: String,
        certificate: String,
        known: String,
    },
    #[error("action {0:?} is given twice")]
    Twice(String),
    #[error("action {0:?} has no price in the plan: give what it cost ({0}=EUROS)")]
    NotPriced(String),
    #[error(
        "extra part {0:?}: give a label and what it cost (LABEL=EUROS, label at most 200 characters)"
    )]
    Extra(String),
    #[error("more than {MAX_PARTS} parts in one event")]
    TooMany,
}

/// The plan of the certificate whose exact stored bytes are `body` (digest `digest`): its
/// signature and digest are checked again, as the certificate page does.
pub fn plan(digest: &str, body: &[u8]) -> Result<Plan, PartsError> {
    let bad = |why: String| PartsError::Certificate {
        digest: digest.to_string(),
        why,
    };
    let verified = envelope::verify(body, None).map_err(|e| bad(e.to_string()))?;
    if verified.digest != digest {
        return Err(bad(format!("its bytes have digest {}", verified.digest)));
    }
    let v = &verified.envelope.certificate.verdict;
    let keys: Vec<String> = v
        .actions
        .iter()
        .map(|a| {
            serde_json::to_value(&a.action)
                .ok()
                .and_then(|j| j.get("key").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| "action".into())
        })
        .collect();
    let mut actions = Vec::new();
    for (i, a) in v.actions.iter().enumerate() {
        let key = &keys[i];
        let id = if keys.iter().filter(|k| *k == key).count() > 1 {
            let nth = keys[..=i].iter().filter(|k| *k == key).count();
            format!("{key}#{nth}")
        } else {
            key.clone()
        };
        actions.push(PlanAction {
            id,
            text: a.message.clone(),
            cost_cents: a.cost_cents,
            repair: a.action.is_repair(),
        });
    }
    let decision = serde_json::to_value(v.decision)
        .ok()
        .and_then(|d| d.as_str().map(str::to_string))
        .unwrap_or_default();
    Ok(Plan {
        certificate: digest.to_string(),
        decision,
        actions,
        repair_cost_cents: v.repair_cost_cents,
        budget_cents: v.budget_cents,
    })
}

/// An amount in euros ("45", "45.5", "45,50") as cents.
pub fn parse_euros(s: &str) -> Result<u64, PartsError> {
    let bad = || PartsError::Euros(s.to_string());
    let t = s.trim().trim_end_matches('€').trim();
    let (int, frac) = match t.split_once(['.', ',']) {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 6 || !digits(int) || frac.len() > 2 || !digits(frac) {
        return Err(bad());
    }
    let int: u64 = int.parse().map_err(|_| bad())?;
    let frac: u64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    let cents = int * 100 + frac;
    if cents > MAX_CENTS {
        return Err(bad());
    }
    Ok(cents)
}

/// A plan's action as the workshop names it: its id, and what it cost when that is not the
/// plan's price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRequest {
    pub id: String,
    pub cost_cents: Option<u64>,
}

/// A part the plan did not foresee: a label and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraPart {
    pub label: String,
    pub cost_cents: u64,
}

/// `ACTION[=EUROS]` (the CLI's `--part`).
pub fn parse_part(s: &str) -> Result<PartRequest, PartsError> {
    match s.split_once('=') {
        Some((id, euros)) => Ok(PartRequest {
            id: id.trim().to_string(),
            cost_cents: Some(parse_euros(euros)?),
        }),
        None => Ok(PartRequest {
            id: s.trim().to_string(),
            cost_cents: None,
        }),
    }
}

/// `LABEL=EUROS` (the CLI's `--extra`): the label is what comes before the last `=`.
pub fn parse_extra(s: &str) -> Result<ExtraPart, PartsError> {
    let Some((label, euros)) = s.rsplit_once('=') else {
        return Err(PartsError::Extra(s.to_string()));
    };
    extra(label, euros)
}

/// An extra part from its label and its cost in euros (the form's two fields).
pub fn extra(label: &str, euros: &str) -> Result<ExtraPart, PartsError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > MAX_LABEL || label.chars().any(char::is_control)
    {
        return Err(PartsError::Extra(format!("{label}={euros}")));
    }
    Ok(ExtraPart {
        label: label.to_string(),
        cost_cents: parse_euros(euros)?,
    })
}

/// The fields of a `parts-fitted` event: the plan's actions named in `parts` (at the plan's
/// price unless given), the `extras`, the plan's total and budget, the certificate they come
/// from, and the note.
pub fn fields(
    plan: &Plan,
    parts: &[PartRequest],
    extras: &[ExtraPart],
    note: Option<&str>,
) -> Result<String, PartsError> {
    if parts.len() + extras.len() > MAX_PARTS {
        return Err(PartsError::TooMany);
    }
    let mut lines = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if parts[..i].iter().any(|q| q.id == p.id) {
            return Err(PartsError::Twice(p.id.clone()));
        }
        let Some(a) = plan.actions.iter().find(|a| a.id == p.id) else {
            return Err(PartsError::UnknownAction {
                id: p.id.clone(),
                certificate: plan.certificate.clone(),
                known: if plan.actions.is_empty() {
                    "none".into()
                } else {
                    plan.actions
                        .iter()
                        .map(|a| a.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            });
        };
        let Some(cost) = p.cost_cents.or(a.cost_cents) else {
            return Err(PartsError::NotPriced(p.id.clone()));
        };
        lines.push(json!({
            "action": a.id,
            "text": a.text,
            "planned_cents": a.cost_cents,
            "cost_cents": cost,
        }));
    }
    for e in extras {
        lines.push(json!({ "label": e.label, "cost_cents": e.cost_cents }));
    }
    let mut f = Map::new();
    f.insert(
        "certificate".into(),
        Value::String(plan.certificate.clone()),
    );
    f.insert("parts".into(), Value::Array(lines));
    if let Some(c) = plan.repair_cost_cents {
        f.insert("repair_cost_cents".into(), c.into());
    }
    if let Some(c) = plan.budget_cents {
        f.insert("budget_cents".into(), c.into());
    }
    if let Some(n) = note.map(str::trim).filter(|n| !n.is_empty()) {
        f.insert("note".into(), Value::String(n.to_string()));
    }
    Ok(Value::Object(f).to_string())
}

/// The plan of certificate `c`, read from its stored bytes (`Err`: why it cannot be). The
/// caller chose `c` by the rules (`life::plan_certificate`: the latest, when its verdict is
/// refurbish); this module stays below `life`, which reads events through it.
pub async fn plan_of(store: &dyn Store, c: &CertRow) -> Result<Result<Plan, String>, StoreError> {
    let Some(stored) = store.certificate(c.digest.clone()).await? else {
        return Ok(Err(format!("certificate {} is not stored", c.digest)));
    };
    Ok(plan(&c.digest, &stored.body).map_err(|e| e.to_string()))
}

/// The fields of a `parts-fitted` event for `life`, the parts resolved against its plan
/// (`Err`: why they cannot be, in words for the operator). The CLI and the form both go
/// through here; the store's rules then check the plan is still the latest.
pub async fn event_fields(
    store: &dyn Store,
    c: &CertRow,
    parts: &[PartRequest],
    extras: &[ExtraPart],
    note: Option<&str>,
) -> Result<Result<String, String>, StoreError> {
    Ok(match plan_of(store, c).await? {
        Err(why) => Err(why),
        Ok(plan) => fields(&plan, parts, extras, note).map_err(|e| e.to_string()),
    })
}

/// One line of the parts fitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FittedPart {
    /// The plan's action id; none for a part the plan did not foresee.
    pub action: Option<String>,
    /// The action's words in the certificate, or the part's label.
    pub text: String,
    pub planned_cents: Option<u64>,
    pub cost_cents: u64,
}

/// The parts of a `parts-fitted` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    /// The certificate whose plan they follow.
    pub certificate: String,
    pub parts: Vec<FittedPart>,
    pub repair_cost_cents: Option<u64>,
    pub budget_cents: Option<u64>,
    pub note: Option<String>,
}

impl Fitted {
    /// What the parts cost together.
    pub fn total_cents(&self) -> u64 {
        self.parts.iter().map(|p| p.cost_cents).sum()
    }

    /// The parts as one line: "replace battery BAT0 (41 %) 52 € (plan 45 €); paste 4.50 €".
    pub fn summary(&self, lang: Language) -> String {
        let (plan, none) = match lang {
            Language::En => ("plan", "no part"),
            Language::Fr => ("prévu", "aucune pièce"),
        };
        if self.parts.is_empty() {
            return none.to_string();
        }
        self.parts
            .iter()
            .map(|p| match p.planned_cents {
                Some(c) if p.action.is_some() && c != p.cost_cents => format!(
                    "{} {} ({plan} {})",
                    p.text,
                    messages::euros(p.cost_cents, lang),
                    messages::euros(c, lang)
                ),
                _ => format!("{} {}", p.text, messages::euros(p.cost_cents, lang)),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn cents(v: &Value, what: &str) -> Result<u64, String> {
    v.as_u64()
        .filter(|c| *c <= MAX_CENTS)
        .ok_or_else(|| format!("{what}: {v} is not an amount in cents"))
}

/// The fields of a `parts-fitted` event, checked strictly (the store's rules run this: a field
/// out of place is refused, not dropped).
pub fn read(fields: &str) -> Result<Fitted, String> {
    let f: Map<String, Value> = serde_json::from_str(fields).map_err(|e| e.to_string())?;
    for k in f.keys() {
        if ![
            "certificate",
            "parts",
            "repair_cost_cents",
            "budget_cents",
            "note",
        ]
        .contains(&k.as_str())
        {
            return Err(format!("unknown field {k:?}"));
        }
    }
    let certificate = f
        .get("certificate")
        .and_then(Value::as_str)
        .filter(|c| c.starts_with("sha256:"))
        .ok_or("no certificate digest")?
        .to_string();
    let list = f
        .get("parts")
        .and_then(Value::as_array)
        .ok_or("no list of parts")?;
    if list.len() > MAX_PARTS {
        return Err(format!("more than {MAX_PARTS} parts"));
    }
    let mut parts = Vec::new();
    for p in list {
        let o = p
            .as_object()
            .ok_or_else(|| format!("part {p} is not an object"))?;
        let text = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.chars().count() <= MAX_LABEL)
                .map(str::to_string)
        };
        let cost_cents = cents(o.get("cost_cents").unwrap_or(&Value::Null), "cost_cents")?;
        let part = if o.contains_key("action") {
            if o.keys()
                .any(|k| !["action", "text", "planned_cents", "cost_cents"].contains(&k.as_str()))
            {
                return Err(format!("part {p}: unknown field"));
            }
            let planned_cents = match o.get("planned_cents") {
                None | Some(Value::Null) => None,
                Some(v) => Some(cents(v, "planned_cents")?),
            };
            FittedPart {
                action: Some(text("action").ok_or_else(|| format!("part {p}: no action"))?),
                text: text("text").ok_or_else(|| format!("part {p}: no text"))?,
                planned_cents,
                cost_cents,
            }
        } else {
            if o.keys()
                .any(|k| !["label", "cost_cents"].contains(&k.as_str()))
            {
                return Err(format!("part {p}: unknown field"));
            }
            FittedPart {
                action: None,
                text: text("label").ok_or_else(|| format!("part {p}: no label"))?,
                planned_cents: None,
                cost_cents,
            }
        };
        if let Some(id) = &part.action
            && parts
                .iter()
                .any(|q: &FittedPart| q.action.as_ref() == Some(id))
        {
            return Err(format!("action {id:?} is given twice"));
        }
        parts.push(part);
    }
    let opt = |k: &str| match f.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => cents(v, k).map(Some),
    };
    Ok(Fitted {
        certificate,
        parts,
        repair_cost_cents: opt("repair_cost_cents")?,
        budget_cents: opt("budget_cents")?,
        note: f
            .get("note")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string),
    })
}

/// The laptop's parts fitted now: its latest `parts-fitted` event (earlier ones are corrected
/// by it) and what it holds.
pub fn current(events: &[Event]) -> Option<(&Event, Fitted)> {
    let e = events
        .iter()
        .filter(|e| e.kind == PARTS_FITTED)
        .max_by_key(|e| e.seq)?;
    read(&e.fields).ok().map(|f| (e, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let a = |id: &str, cost: Option<u64>| PlanAction {
            id: id.into(),
            text: format!("do {id}"),
            cost_cents: cost,
            repair: true,
        };
        Plan {
            certificate: "sha256:ab".into(),
            decision: "refurbish".into(),
            actions: vec![
                a("replace_battery", Some(4500)),
                a("replace_disk#1", Some(3900)),
                a("replace_disk#2", Some(3900)),
                a("replace_keyboard", None),
            ],
            repair_cost_cents: Some(12_300),
            budget_cents: Some(18_000),
        }
    }

    /// The plan as a signed certificate holds it: the test fixture's two actions, the battery
    /// one twice (two batteries), priced.
    #[test]
    fn the_plan_is_read_from_the_signed_bytes_and_repeated_keys_are_numbered() {
        use reprise_cert::model::Certificate;
        let mut c: Certificate =
            serde_json::from_str(include_str!("../tests/fixtures/content-passed.json")).unwrap();
        let battery = c.verdict.actions[1].clone();
        c.verdict.actions.push(battery);
        for (a, cost) in c.verdict.actions.iter_mut().zip([2500, 4500, 3900]) {
            a.cost_cents = Some(cost);
        }
        c.verdict.repair_cost_cents = Some(10_900);
        c.verdict.budget_cents = Some(18_000);
        let key = reprise_cert::sign::generate().unwrap();
        c.chain.station_key_id = reprise_cert::sign::key_id(&key.verifying_key());
        c.id = reprise_cert::sign::certificate_id(&c.chain.station_key_id, c.chain.sequence);
        let env = envelope::seal(c, &key).unwrap();
        let digest = envelope::certificate_digest(&env.certificate).unwrap();
        let body = envelope::to_file_bytes(&env);
        let p = super::plan(&digest, &body).unwrap();
        let ids: Vec<(&str, Option<u64>)> = p
            .actions
            .iter()
            .map(|a| (a.id.as_str(), a.cost_cents))
            .collect();
        assert_eq!(
            ids,
            [
                ("add_ram", Some(2500)),
                ("replace_battery#1", Some(4500)),
                ("replace_battery#2", Some(3900))
            ]
        );
        assert_eq!(p.decision, "refurbish");
        assert_eq!(
            (p.repair_cost_cents, p.budget_cents),
            (Some(10_900), Some(18_000))
        );
        assert!(p.actions.iter().all(|a| a.repair));
        // Bytes that are not the certificate the index names: no plan.
        let other = format!("sha256:{}", "0".repeat(64));
        assert!(matches!(
            super::plan(&other, &body),
            Err(PartsError::Certificate { .. })
        ));
        let mut tampered = body.clone();
        let at = tampered.len() / 2;
        tampered[at] ^= 1;
        assert!(super::plan(&digest, &tampered).is_err());
    }

    #[test]
    fn euros_are_read_with_a_point_or_a_comma_and_never_negative() {
        assert_eq!(parse_euros("45"), Ok(4500));
        assert_eq!(parse_euros("45.5"), Ok(4550));
        assert_eq!(parse_euros(" 45,05 € "), Ok(4505));
        assert_eq!(parse_euros("0"), Ok(0));
        for bad in ["", "-3", "4.555", "1e3", "abc", "10000.01", ".5"] {
            assert!(parse_euros(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parts_take_the_plans_price_unless_given_and_extras_need_a_cost() {
        let p = plan();
        let f = fields(
            &p,
            &[
                parse_part("replace_battery").unwrap(),
                parse_part("replace_disk#2=41,90").unwrap(),
            ],
            &[parse_extra("pâte thermique = x=4.5").unwrap()],
            Some(" invoice F-12 "),
        )
        .unwrap();
        let got = read(&f).unwrap();
        assert_eq!(got.certificate, "sha256:ab");
        assert_eq!(got.parts.len(), 3);
        assert_eq!(got.parts[0].cost_cents, 4500);
        assert_eq!(got.parts[1].planned_cents, Some(3900));
        assert_eq!(got.parts[1].cost_cents, 4190);
        assert_eq!(got.parts[2].text, "pâte thermique = x");
        assert_eq!(got.parts[2].action, None);
        assert_eq!(got.total_cents(), 4500 + 4190 + 450);
        assert_eq!(got.repair_cost_cents, Some(12_300));
        assert_eq!(got.note.as_deref(), Some("invoice F-12"));
        assert_eq!(
            got.summary(Language::En),
            "do replace_battery 45 €; do replace_disk#2 41.90 € (plan 39 €); pâte thermique = x 4.50 €"
        );

        let err = |parts: &[&str], extras: &[&str]| {
            let parts: Vec<_> = parts.iter().map(|s| parse_part(s).unwrap()).collect();
            let extras: Result<Vec<_>, _> = extras.iter().map(|s| parse_extra(s)).collect();
            match extras {
                Err(e) => e,
                Ok(x) => fields(&p, &parts, &x, None).unwrap_err(),
            }
        };
        assert!(matches!(
            err(&["replace_disk"], &[]),
            PartsError::UnknownAction { .. }
        ));
        assert!(
            err(&["replace_screen"], &[])
                .to_string()
                .contains("replace_battery, replace_disk#1, replace_disk#2, replace_keyboard")
        );
        assert_eq!(
            err(&["replace_keyboard"], &[]),
            PartsError::NotPriced("replace_keyboard".into())
        );
        assert!(fields(&p, &[parse_part("replace_keyboard=60").unwrap()], &[], None).is_ok());
        assert_eq!(
            err(&["replace_battery", "replace_battery=3"], &[]),
            PartsError::Twice("replace_battery".into())
        );
        assert!(matches!(err(&[], &["paste"]), PartsError::Extra(_)));
        assert!(matches!(err(&[], &["=4"]), PartsError::Extra(_)));
        assert!(matches!(err(&[], &["paste=-4"]), PartsError::Euros(_)));
    }

    #[test]
    fn the_stored_fields_are_read_strictly() {
        for bad in [
            r#"{"parts":[]}"#,
            r#"{"certificate":"sha256:ab"}"#,
            r#"{"certificate":"sha256:ab","parts":[],"family":"X"}"#,
            r#"{"certificate":"sha256:ab","parts":[{"label":"x","cost_cents":-1}]}"#,
            r#"{"certificate":"sha256:ab","parts":[{"label":"","cost_cents":1}]}"#,
            r#"{"certificate":"sha256:ab","parts":[{"label":"x","cost_cents":1,"who":"y"}]}"#,
            r#"{"certificate":"sha256:ab","parts":[{"action":"a","cost_cents":1}]}"#,
            r#"{"certificate":"sha256:ab","parts":[{"action":"a","text":"t","cost_cents":1},{"action":"a","text":"t","cost_cents":2}]}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
        let ok = read(r#"{"certificate":"sha256:ab","parts":[]}"#).unwrap();
        assert_eq!(ok.summary(Language::Fr), "aucune pièce");
    }
}
