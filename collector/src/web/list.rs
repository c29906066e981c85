//! The certificate list with its search, and `certificates.csv`: the same filters, the same rows
//! (every page of them) and the same columns, plus the identifiers a spreadsheet needs.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header::{self, HeaderMap};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use reprise_cert::Language;
use reprise_cert::messages;
use reprise_cert::verdict::Decision;
use serde::Deserialize;

use super::{App, Ctx, enc, t};
use crate::ingest::CertResult;
use crate::store::{CertRow, Filter, ListRow};
use crate::util::esc;

/// Rows per page of the list.
pub const PAGE_SIZE: u64 = 50;

/// The search, as the form sends it (every field optional; empty means "any").
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    pub serial: Option<String>,
    pub model: Option<String>,
    pub site: Option<String>,
    /// `YYYY-MM-DD`, included.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, included.
    pub to: Option<String>,
    /// `refurbish` or `recycle`.
    pub decision: Option<String>,
    /// `sanitized`, `failed` or `none`.
    pub result: Option<String>,
    pub page: Option<u64>,
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

impl ListQuery {
    /// The store filter, or what is wrong with the search (in the page language).
    pub fn filter(&self, lang: Language) -> Result<Filter, String> {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        for (name, v) in [("from", &self.from), ("to", &self.to)] {
            if let Some(d) = clean(v)
                && !is_date(&d)
            {
                return Err(format!(
                    "{} {name}={d:?} (YYYY-MM-DD)",
                    t(lang, "Bad date:", "Date incorrecte :")
                ));
            }
        }
        let decision = clean(&self.decision);
        if let Some(d) = &decision
            && d.parse::<Decision>().is_err()
        {
            return Err(format!("decision={d:?}: refurbish | recycle"));
        }
        let result = clean(&self.result);
        if let Some(r) = &result
            && CertResult::from_word(r).is_none()
        {
            return Err(format!("result={r:?}: sanitized | failed | none"));
        }
        Ok(Filter {
            serial: clean(&self.serial),
            model: clean(&self.model),
            site: clean(&self.site),
            from: clean(&self.from),
            to: clean(&self.to),
            decision,
            result,
            station: None,
            before: None,
        })
    }

    /// The search as a query string (for pager and CSV links), without `page`.
    pub fn to_query(&self) -> String {
        [
            ("serial", &self.serial),
            ("model", &self.model),
            ("site", &self.site),
            ("from", &self.from),
            ("to", &self.to),
            ("decision", &self.decision),
            ("result", &self.result),
        ]
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|v| format!("{k}={}", enc(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// Machine as shown: maker and model name (or product number).
pub fn machine(r: &CertRow) -> String {
    let model = r.model_name.as_deref().or(r.product.as_deref());
    match (r.vendor.as_deref(), model) {
        (Some(v), Some(m)) => format!("{v} {m}"),
        (Some(v), None) => v.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => "?".to_string(),
    }
}

/// A stored decision in words ("?" for a word that is none).
pub fn decision_label(lang: Language, d: &str) -> &'static str {
    d.parse::<Decision>()
        .map_or("?", |d| messages::decision(d, lang))
}

/// A stored result in words ("?" for a word that is none).
pub fn result_label(lang: Language, r: &str) -> &'static str {
    CertResult::from_word(r).map_or("?", |r| result_words(lang, r))
}

fn result_words(lang: Language, r: CertResult) -> &'static str {
    match r {
        CertResult::Sanitized => t(lang, "all disks sanitized", "tous les disques effacés"),
        CertResult::Failed => t(lang, "sanitization failed", "effacement en échec"),
        CertResult::NoDisk => t(lang, "no disk", "aucun disque"),
    }
}

/// "2026-11-26 10:00" from an RFC 3339 time stamp (as stored); anything else as it is. Never
/// panics, whatever an older database holds (times are checked at ingest since schema 2).
pub fn short_time(s: &str) -> String {
    match (s.get(..10), s.get(10..11), s.get(11..16)) {
        (Some(day), Some("T"), Some(minute)) => format!("{day} {minute}"),
        _ => s.to_string(),
    }
}

/// The hex part of a `sha256:<hex>` digest (the URL of its page).
pub fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

fn select(name: &str, current: Option<&str>, options: &[(&str, &str)]) -> String {
    let mut out = format!("<select name=\"{name}\">");
    for (value, label) in options {
        let sel = if current == Some(*value) || (current.is_none() && value.is_empty()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<option value=\"{value}\"{sel}>{}</option>",
            esc(label)
        );
    }
    out.push_str("</select>");
    out
}

fn search_form(lang: Language, q: &ListQuery) -> String {
    let input = |name: &str, label: &str, v: &Option<String>, kind: &str| {
        format!(
            "<label>{}<input type=\"{kind}\" name=\"{name}\" value=\"{}\"></label>",
            esc(label),
            esc(v.as_deref().unwrap_or(""))
        )
    };
    format!(
        "<form class=\"search\" method=\"get\" action=\"/certificates\">{}{}{}{}{}\
         <label>{}{}</label><label>{}{}</label><button type=\"submit\">{}</button></form>\n",
        input(
            "serial",
            t(lang, "Serial number", "Numéro de série"),
            &q.serial,
            "search"
        ),
        input("model", t(lang, "Model", "Modèle"), &q.model, "search"),
        input("site", t(lang, "Site", "Site"), &q.site, "search"),
        input("from", t(lang, "From", "Du"), &q.from, "date"),
        input("to", t(lang, "To", "Au"), &q.to, "date"),
        t(lang, "Verdict", "Verdict"),
        select(
            "decision",
            q.decision.as_deref().filter(|s| !s.is_empty()),
            &std::iter::once(("", t(lang, "any", "tous")))
                .chain(
                    Decision::ALL
                        .iter()
                        .map(|d| (d.as_str(), messages::decision(*d, lang)))
                )
                .collect::<Vec<_>>()
        ),
        t(lang, "Result", "Résultat"),
        select(
            "result",
            q.result.as_deref().filter(|s| !s.is_empty()),
            &std::iter::once(("", t(lang, "any", "tous")))
                .chain(
                    CertResult::ALL
                        .iter()
                        .map(|r| (r.as_str(), result_words(lang, *r)))
                )
                .collect::<Vec<_>>()
        ),
        t(lang, "Search", "Rechercher"),
    )
}

/// The table of certificates (list and station pages).
pub fn table(lang: Language, rows: &[ListRow]) -> String {
    let mut out = format!(
        "<table class=\"list\" id=\"certificates\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        t(lang, "Date (UTC)", "Date (UTC)"),
        t(lang, "Site", "Site"),
        t(lang, "Machine", "Machine"),
        t(lang, "Serial number", "Numéro de série"),
        t(lang, "Verdict", "Verdict"),
        t(lang, "Disks sanitized", "Disques effacés"),
        t(lang, "Result", "Résultat"),
        t(lang, "Station", "Station"),
        t(lang, "Certificate", "Certificat"),
        t(lang, "Lot", "Lot"),
    );
    for lr in rows {
        let r = &lr.row;
        let class = match CertResult::from_word(&r.result) {
            Some(CertResult::Sanitized) => "ok",
            Some(CertResult::Failed) => "bad",
            Some(CertResult::NoDisk) | None => "warn",
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{} ({})</td>\
             <td>{}/{}</td><td class=\"{class}\">{}</td><td>{}</td><td><a href=\"/c/{}\">{}</a></td><td>{}</td></tr>",
            esc(&short_time(&r.issued_at)),
            esc(&r.site),
            esc(&machine(r)),
            esc(r.serial.as_deref().unwrap_or("?")),
            decision_label(lang, &r.decision),
            esc(&r.grade),
            r.disks_sanitized,
            r.disks,
            result_label(lang, &r.result),
            esc(lr.station_name.as_deref().unwrap_or("?")),
            esc(hex_of(&r.digest)),
            esc(&r.id),
            lot_cell(lang, r.serial.as_deref(), lr.lot.as_deref()),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// `GET /certificates`
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<ListQuery>,
) -> Response {
    let ctx = match Ctx::guard(&app, &headers, &uri).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let l = ctx.lang;
    let filter = match q.filter(l) {
        Ok(f) => f,
        Err(msg) => return ctx.message(StatusCode::BAD_REQUEST, &msg),
    };
    let page = q.page.unwrap_or(1).max(1);
    let (total, rows) = match app
        .store
        .search(filter, (page - 1).saturating_mul(PAGE_SIZE), PAGE_SIZE)
        .await
    {
        Ok(x) => x,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let query = q.to_query();
    let amp = if query.is_empty() { "" } else { "&" };
    let mut body = format!(
        "<h1>{}</h1>\n{}<p><span id=\"total\">{total}</span> {} — {} {page}/{pages} — \
         <a href=\"/certificates.csv?{}\" id=\"csv\">{}</a></p>\n",
        t(l, "Certificates", "Certificats"),
        search_form(l, &q),
        t(l, "certificate(s)", "certificat(s)"),
        t(l, "page", "page"),
        esc(&query),
        t(l, "Export CSV", "Exporter en CSV"),
    );
    body.push_str(&table(l, &rows));
    let mut pager = String::from("<div class=\"pager noprint\">");
    if page > 1 {
        let _ = write!(
            pager,
            "<a href=\"/certificates?{}{amp}page={}\" rel=\"prev\">← {}</a>",
            esc(&query),
            page - 1,
            t(l, "previous", "précédents")
        );
    }
    if page < pages {
        let _ = write!(
            pager,
            "<a href=\"/certificates?{}{amp}page={}\" rel=\"next\">{} →</a>",
            esc(&query),
            page + 1,
            t(l, "next", "suivants")
        );
    }
    pager.push_str("</div>\n");
    body.push_str(&pager);
    ctx.page(StatusCode::OK, t(l, "Certificates", "Certificats"), &body)
}

// CSV cells are made in `util` (the report's CSV is not a page of its own).
pub use crate::util::csv_field;

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 19] = [
    "issued_at",
    "site",
    "organisation",
    "operator",
    "vendor",
    "product",
    "model_name",
    "serial",
    "decision",
    "grade",
    "disks",
    "disks_sanitized",
    "result",
    "station",
    "station_key_id",
    "sequence",
    "id",
    "digest",
    "url",
];

fn csv_line(out: &mut String, fields: &[String]) {
    let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// `GET /certificates.csv`
pub async fn csv(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<ListQuery>,
) -> Response {
    let ctx = match Ctx::guard(&app, &headers, &uri).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let filter = match q.filter(ctx.lang) {
        Ok(f) => f,
        Err(msg) => return ctx.message(StatusCode::BAD_REQUEST, &msg),
    };
    let base = app.base_url(&headers);
    let mut out = String::new();
    csv_line(
        &mut out,
        &CSV_HEADER
            .iter()
            .map(|s| (*s).to_string())
            .collect::<Vec<_>>(),
    );
    // In chunks, newest first like the list, each after the last row of the one before
    // (keyset: no OFFSET to re-sort what was already written).
    // Debug builds (the tests) use small chunks so that exports of a few hundred rows cross
    // several chunk boundaries.
    const CHUNK: u64 = if cfg!(debug_assertions) { 64 } else { 2000 };
    let mut filter = filter;
    loop {
        let rows = match app.store.search(filter.clone(), 0, CHUNK).await {
            Ok((_, rows)) => rows,
            Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
        };
        let n = rows.len() as u64;
        filter.before = rows.last().map(|lr| {
            (
                lr.row.issued_at.clone(),
                lr.row.id.clone(),
                lr.row.digest.clone(),
            )
        });
        for lr in rows {
            let r = lr.row;
            let url = format!("{base}/c/{}", hex_of(&r.digest));
            csv_line(
                &mut out,
                &[
                    r.issued_at,
                    r.site,
                    r.organisation.unwrap_or_default(),
                    r.operator,
                    r.vendor.unwrap_or_default(),
                    r.product.unwrap_or_default(),
                    r.model_name.unwrap_or_default(),
                    r.serial.unwrap_or_default(),
                    r.decision,
                    r.grade,
                    r.disks.to_string(),
                    r.disks_sanitized.to_string(),
                    r.result,
                    lr.station_name.unwrap_or_default(),
                    r.station_key_id,
                    r.sequence.to_string(),
                    r.id,
                    r.digest,
                    url,
                ],
            );
        }
        if n < CHUNK {
            break;
        }
    }
    let mut resp = (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/csv; charset=utf-8; header=present",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"certificates.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response();
    ctx.apply(&mut resp);
    resp
}

/// The lot column of the certificate list: the laptop's page, or "not in any lot".
pub fn lot_cell(lang: Language, serial: Option<&str>, lot: Option<&str>) -> String {
    match (serial, lot) {
        (Some(serial), Some(lot)) => format!(
            "<a href=\"/laptops/{}\">{}</a>",
            super::enc(&crate::store::serial_key(serial)),
            crate::util::esc(lot)
        ),
        _ => format!(
            "<span class=\"warn not-in-lot\">{}</span>",
            super::t(lang, "not in any lot", "dans aucun lot")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::{CELL_BREAKS, FORMULA_STARTS};

    #[test]
    fn csv_fields_follow_rfc_4180_and_defuse_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("Lycée, Besançon"), "\"Lycée, Besançon\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field(""), "");
        assert_eq!(
            csv_field("2026-11-26T10:00:00.000Z"),
            "2026-11-26T10:00:00.000Z"
        );
    }

    #[test]
    fn no_segment_of_a_csv_field_starts_a_formula() {
        assert_eq!(csv_field("Lycée;=1+1"), "\"Lycée;'=1+1\"");
        assert_eq!(csv_field("a, -2+3"), "\"a,' -2+3\"");
        assert_eq!(csv_field("a;\"@SUM(A1)"), "\"a;'\"\"@SUM(A1)\"");
        assert_eq!(csv_field("a;\t=x"), "\"a;'\t'=x\"");
        assert_eq!(csv_field("x\r\n+cmd"), "\"x\r\n'+cmd\"");
        assert_eq!(csv_field("T480;20L5"), "\"T480;20L5\"");
        // Every way of cutting the field leaves no cell that starts a formula.
        for field in ["Lycée;=1+1", "a,+1;-1\t@1\r=1\n=1", "; =1", ",\"=1"] {
            let out = csv_field(field);
            for cell in out.split(CELL_BREAKS) {
                let cell = cell.trim_start_matches([' ', '"']);
                assert!(!cell.starts_with(FORMULA_STARTS), "{field:?} -> {out:?}");
            }
        }
    }

    #[test]
    fn short_times_never_panic() {
        assert_eq!(short_time("2026-11-26T10:00:00.000Z"), "2026-11-26 10:00");
        for odd in [
            "2026-11-26T10:0é:00Z",
            "2026-11-2éT10:00Z",
            "é",
            "",
            "2026-11-26",
        ] {
            assert_eq!(short_time(odd), odd);
        }
    }

    #[test]
    fn the_search_is_checked_and_kept_in_links() {
        let q = ListQuery {
            site: Some("Lycée & Co".into()),
            from: Some("2026-11-01".into()),
            decision: Some(String::new()),
            ..ListQuery::default()
        };
        let f = q.filter(Language::En).unwrap();
        assert_eq!(f.site.as_deref(), Some("Lycée & Co"));
        assert_eq!(f.decision, None);
        assert_eq!(q.to_query(), "site=Lyc%C3%A9e%20%26%20Co&from=2026-11-01");
        let bad = ListQuery {
            to: Some("26/11/2026".into()),
            ..ListQuery::default()
        };
        assert!(
            bad.filter(Language::Fr)
                .unwrap_err()
                .contains("Date incorrecte")
        );
        let bad = ListQuery {
            result: Some("maybe".into()),
            ..ListQuery::default()
        };
        assert!(bad.filter(Language::En).is_err());
    }
}
