//! Statistics for the funder, per site and month, with a server-rendered SVG chart.
//!
//! Definitions (also in `collector/README.md`):
//! - a *machine* is its maker + serial number (else its SMBIOS UUID, else the certificate): a
//!   laptop wiped twice is one machine;
//! - *machines received* in a month at a site: distinct machines with a certificate issued there
//!   that month; *refurbished* / *recycled*: by each machine's latest certificate of that month
//!   (so they add up to the machines received);
//! - *disks sanitized*: disks the certificates count as sanitized; *failures*: disks that were
//!   not (every attempt counts, so a disk that failed then passed counts once in each).
//!   Months are UTC (`issued_at`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header::HeaderMap;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use reprise_cert::Language;
use reprise_cert::verdict::Decision;
use serde::Deserialize;

use super::{App, Ctx, t};
use crate::store::{Filter, StatsRow};
use crate::util::esc;

/// What the funder counts, for one site and one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub received: u64,
    pub refurbished: u64,
    pub recycled: u64,
    pub disks_sanitized: u64,
    pub failures: u64,
    pub certificates: u64,
}

fn count(rows: &[&StatsRow]) -> Counts {
    // Rows come in issued_at order: the last decision seen for a machine is its latest.
    let mut machines: BTreeMap<&str, Option<Decision>> = BTreeMap::new();
    let mut c = Counts::default();
    for r in rows {
        machines.insert(&r.machine_key, r.decision.parse().ok());
        c.certificates += 1;
        c.disks_sanitized += u64::try_from(r.disks_sanitized).unwrap_or(0);
        c.failures += u64::try_from(r.disks - r.disks_sanitized).unwrap_or(0);
    }
    c.received = machines.len() as u64;
    let decided = |decision| machines.values().filter(|d| **d == Some(decision)).count() as u64;
    c.refurbished = decided(Decision::Refurbish);
    c.recycled = decided(Decision::Recycle);
    c
}

/// Per site: (per month, the whole period).
pub type Table = BTreeMap<String, (BTreeMap<String, Counts>, Counts)>;

/// Groups rows (in `issued_at` order) by site and month (`YYYY-MM`).
pub fn aggregate(rows: &[StatsRow]) -> Table {
    let mut by_site: BTreeMap<&str, Vec<&StatsRow>> = BTreeMap::new();
    for r in rows {
        by_site.entry(&r.site).or_default().push(r);
    }
    by_site
        .into_iter()
        .map(|(site, rows)| {
            let mut by_month: BTreeMap<String, Vec<&StatsRow>> = BTreeMap::new();
            for r in &rows {
                by_month.entry(month(&r.issued_at)).or_default().push(r);
            }
            let months = by_month
                .into_iter()
                .map(|(m, rs)| (m, count(&rs)))
                .collect();
            (site.to_string(), (months, count(&rows)))
        })
        .collect()
}

/// Every site together, per month and for the period.
pub fn overall(rows: &[StatsRow]) -> (BTreeMap<String, Counts>, Counts) {
    let all: Vec<&StatsRow> = rows.iter().collect();
    let mut by_month: BTreeMap<String, Vec<&StatsRow>> = BTreeMap::new();
    for r in &all {
        by_month.entry(month(&r.issued_at)).or_default().push(r);
    }
    (
        by_month
            .into_iter()
            .map(|(m, rs)| (m, count(&rs)))
            .collect(),
        count(&all),
    )
}

fn month(issued_at: &str) -> String {
    issued_at.chars().take(7).collect()
}

/// A bar chart of machines (refurbished + recycled, stacked) and disks (sanitized + failures,
/// stacked) per month, as inline SVG.
pub fn chart_svg(lang: Language, months: &BTreeMap<String, Counts>) -> String {
    const H: u64 = 220;
    const TOP: u64 = 30;
    const LEFT: u64 = 44;
    const STEP: u64 = 64;
    // Wide enough for the legend (four entries, 150 px each) however few months.
    let width = (LEFT + 20 + STEP * (months.len().max(1) as u64)).max(LEFT + 600);
    let max = months
        .values()
        .map(|c| (c.refurbished + c.recycled).max(c.disks_sanitized + c.failures))
        .max()
        .unwrap_or(0)
        .max(1);
    // A round top for the scale: 1, 2, 5 × 10^n.
    let mut top = 1u64;
    while top < max {
        top = match top.to_string().chars().next() {
            Some('1') => top * 2,
            Some('2') => top / 2 * 5,
            _ => top * 2,
        };
    }
    let y = |v: u64| TOP + H - v * H / top;
    let total_h = TOP + H + 40;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart\" width=\"{width}\" height=\"{total_h}\" \
         viewBox=\"0 0 {width} {total_h}\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <title>{}</title>\n",
        esc(t(
            lang,
            "Machines and disks per month",
            "Machines et disques par mois"
        ))
    );
    // Whole-number grid lines: five (or four, or one per unit) steps up to the top.
    let step = if top.is_multiple_of(5) {
        top / 5
    } else if top.is_multiple_of(4) {
        top / 4
    } else {
        1
    }
    .max(1);
    for v in (0..=top).step_by(usize::try_from(step).unwrap_or(1)) {
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{width}\" y1=\"{0}\" y2=\"{0}\" stroke=\"#ddd\"/>\
             <text x=\"{1}\" y=\"{2}\" text-anchor=\"end\">{v}</text>",
            y(v),
            LEFT - 4,
            y(v) + 4
        );
    }
    let legend = [
        ("#2e7d32", t(lang, "refurbished", "reconditionnées")),
        ("#ef6c00", t(lang, "recycled", "recyclées")),
        ("#1565c0", t(lang, "disks sanitized", "disques effacés")),
        ("#c62828", t(lang, "failures", "échecs")),
    ];
    for (i, (color, label)) in legend.iter().enumerate() {
        let x = LEFT + 150 * i as u64;
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"6\" width=\"10\" height=\"10\" fill=\"{color}\"/>\
             <text x=\"{}\" y=\"15\">{}</text>",
            x + 14,
            esc(label)
        );
    }
    let bar = |svg: &mut String, x: u64, from: u64, to: u64, color: &str, what: &str| {
        if to > from {
            let _ = writeln!(
                svg,
                "<rect x=\"{x}\" y=\"{}\" width=\"22\" height=\"{}\" fill=\"{color}\"><title>{}</title></rect>",
                y(to),
                y(from) - y(to),
                esc(what)
            );
        }
    };
    for (i, (m, c)) in months.iter().enumerate() {
        let x = LEFT + 10 + STEP * i as u64;
        let machines = c.refurbished + c.recycled;
        bar(
            &mut svg,
            x,
            0,
            c.refurbished,
            legend[0].0,
            &format!("{m}: {} {}", c.refurbished, legend[0].1),
        );
        bar(
            &mut svg,
            x,
            c.refurbished,
            machines,
            legend[1].0,
            &format!("{m}: {} {}", c.recycled, legend[1].1),
        );
        let disks = c.disks_sanitized + c.failures;
        bar(
            &mut svg,
            x + 24,
            0,
            c.disks_sanitized,
            legend[2].0,
            &format!("{m}: {} {}", c.disks_sanitized, legend[2].1),
        );
        bar(
            &mut svg,
            x + 24,
            c.disks_sanitized,
            disks,
            legend[3].0,
            &format!("{m}: {} {}", c.failures, legend[3].1),
        );
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{machines}</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{disks}</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x + 11,
            y(machines) - 3,
            x + 35,
            y(disks) - 3,
            x + 23,
            TOP + H + 16,
            esc(m)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatsQuery {
    /// Exact site name; empty: every site.
    pub site: Option<String>,
    /// `YYYY-MM`, included.
    pub from: Option<String>,
    /// `YYYY-MM`, included.
    pub to: Option<String>,
}

fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
}

fn table_html(
    lang: Language,
    id: &str,
    months: &BTreeMap<String, Counts>,
    total: &Counts,
) -> String {
    let mut out = format!(
        "<table class=\"list\" id=\"{}\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        esc(id),
        t(lang, "Month", "Mois"),
        t(lang, "Machines received", "Machines reçues"),
        t(lang, "Refurbished", "Reconditionnées"),
        t(lang, "Recycled", "Recyclées"),
        t(lang, "Disks sanitized", "Disques effacés"),
        t(lang, "Failures", "Échecs"),
        t(lang, "Certificates", "Certificats"),
    );
    let line = |out: &mut String, label: &str, c: &Counts, strong: bool| {
        let (a, b) = if strong {
            ("<strong>", "</strong>")
        } else {
            ("", "")
        };
        let _ = writeln!(
            out,
            "<tr><td>{a}{}{b}</td><td>{a}{}{b}</td><td>{a}{}{b}</td><td>{a}{}{b}</td><td>{a}{}{b}</td><td>{a}{}{b}</td><td>{a}{}{b}</td></tr>",
            esc(label),
            c.received,
            c.refurbished,
            c.recycled,
            c.disks_sanitized,
            c.failures,
            c.certificates
        );
    };
    for (m, c) in months {
        line(&mut out, m, c, false);
    }
    line(
        &mut out,
        t(lang, "Whole period", "Toute la période"),
        total,
        true,
    );
    out.push_str("</tbody>\n</table>\n");
    out
}

/// `GET /stats`
pub async fn page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<StatsQuery>,
) -> Response {
    let ctx = match Ctx::guard(&app, &headers, &uri).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let l = ctx.lang;
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (from, to, site) = (clean(&q.from), clean(&q.to), clean(&q.site));
    for m in [&from, &to].into_iter().flatten() {
        if !is_month(m) {
            return ctx.message(
                StatusCode::BAD_REQUEST,
                &format!("{} {m:?} (YYYY-MM)", t(l, "Bad month:", "Mois incorrect :")),
            );
        }
    }
    let filter = Filter {
        from: from.as_ref().map(|m| format!("{m}-01")),
        to: to.as_ref().map(|m| format!("{m}-31")),
        ..Filter::default()
    };
    let (rows, sites) = match (app.store.stats_rows(filter).await, app.store.sites().await) {
        (Ok(r), Ok(s)) => (r, s),
        (Err(e), _) | (_, Err(e)) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let rows: Vec<StatsRow> = match &site {
        Some(s) => rows.into_iter().filter(|r| &r.site == s).collect(),
        None => rows,
    };
    let mut options = format!(
        "<option value=\"\">{}</option>",
        t(l, "every site", "tous les sites")
    );
    for s in &sites {
        let sel = if site.as_deref() == Some(s.as_str()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(options, "<option value=\"{0}\"{sel}>{0}</option>", esc(s));
    }
    let mut body = format!(
        "<h1>{}</h1>\n<form class=\"search\" method=\"get\" action=\"/stats\">\
         <label>{}<select name=\"site\">{options}</select></label>\
         <label>{}<input type=\"month\" name=\"from\" value=\"{}\" placeholder=\"YYYY-MM\"></label>\
         <label>{}<input type=\"month\" name=\"to\" value=\"{}\" placeholder=\"YYYY-MM\"></label>\
         <button type=\"submit\">{}</button></form>\n",
        t(l, "Statistics", "Statistiques"),
        t(l, "Site", "Site"),
        t(l, "From (month)", "Du mois"),
        esc(from.as_deref().unwrap_or("")),
        t(l, "To (month)", "Au mois"),
        esc(to.as_deref().unwrap_or("")),
        t(l, "Show", "Afficher"),
    );
    let (months, total) = overall(&rows);
    let scope = site
        .clone()
        .unwrap_or_else(|| t(l, "Every site", "Tous les sites").to_string());
    let _ = write!(
        body,
        "<h2>{}</h2>\n<div class=\"chart\">{}</div>\n{}",
        esc(&scope),
        chart_svg(l, &months),
        table_html(l, "total", &months, &total)
    );
    if site.is_none() {
        for (i, (s, (months, total))) in aggregate(&rows).iter().enumerate() {
            let _ = write!(
                body,
                "<h2>{}</h2>\n{}",
                esc(s),
                table_html(l, &format!("site-{i}"), months, total)
            );
        }
    }
    let _ = writeln!(
        body,
        "<p class=\"noprint\" style=\"font-size: 0.85em\">{}</p>",
        t(
            l,
            "A machine is its maker and serial number: wiped twice, it counts once, with the verdict of its latest certificate of the month. Disks sanitized and failures count every attempt. Months in UTC.",
            "Une machine est identifiée par son fabricant et son numéro de série : effacée deux fois, elle compte une fois, avec le verdict de son dernier certificat du mois. Disques effacés et échecs comptent chaque tentative. Mois en UTC."
        )
    );
    ctx.page(StatusCode::OK, t(l, "Statistics", "Statistiques"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(site: &str, at: &str, machine: &str, decision: &str, disks: i64, ok: i64) -> StatsRow {
        StatsRow {
            site: site.into(),
            issued_at: at.into(),
            machine_key: machine.into(),
            decision: decision.into(),
            disks,
            disks_sanitized: ok,
        }
    }

    #[test]
    fn machines_count_once_with_their_latest_verdict_and_disks_count_every_attempt() {
        let rows = vec![
            row("A", "2026-10-03T10:00:00.000Z", "m1", "recycle", 1, 0),
            row("A", "2026-10-04T10:00:00.000Z", "m1", "refurbish", 1, 1),
            row("A", "2026-10-05T10:00:00.000Z", "m2", "recycle", 2, 1),
            row("A", "2026-11-01T10:00:00.000Z", "m3", "refurbish", 1, 1),
            row("B", "2026-11-02T10:00:00.000Z", "m4", "refurbish", 0, 0),
        ];
        let table = aggregate(&rows);
        let (months, total) = &table["A"];
        assert_eq!(
            months["2026-10"],
            Counts {
                received: 2,
                refurbished: 1,
                recycled: 1,
                disks_sanitized: 2,
                failures: 2,
                certificates: 3
            }
        );
        assert_eq!(months["2026-11"].received, 1);
        assert_eq!(
            (total.received, total.refurbished, total.recycled),
            (3, 2, 1)
        );
        assert_eq!(table["B"].1.received, 1);
        let (all_months, all) = overall(&rows);
        assert_eq!(all.received, 4);
        assert_eq!(all_months.len(), 2);
    }

    #[test]
    fn the_chart_has_one_group_of_bars_per_month_and_a_round_scale() {
        let (months, _) = overall(&[
            row("A", "2026-10-03T10:00:00.000Z", "m1", "refurbish", 3, 3),
            row("A", "2026-11-03T10:00:00.000Z", "m2", "recycle", 1, 0),
        ]);
        let svg = chart_svg(Language::En, &months);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(">2026-10</text>") && svg.contains(">2026-11</text>"));
        assert!(svg.contains("2026-11: 1 recycled"));
        assert!(svg.contains("2026-11: 1 failures"));
        assert!(
            svg.contains(">5</text>"),
            "scale tops at 5 for a maximum of 3: {svg}"
        );
        assert!(chart_svg(Language::Fr, &BTreeMap::new()).contains("</svg>"));
    }

    #[test]
    fn months_are_checked() {
        assert!(is_month("2026-11"));
        assert!(!is_month("2026-1") && !is_month("2026/11") && !is_month("abcd-ef"));
    }
}
