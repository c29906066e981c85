//! The donor's report (issue 23, item 4): per site (or per site and lot), the laptops received
//! in a period and what became of them, with the re-use rate the décret n° 2023-266 asks of
//! public bodies and the CO2e avoided. Written by `reprise-collector report` (CSV or HTML) and
//! served at `/report`; both take their rows from `Store::report` (one aggregate query, the
//! rules of [`crate::life::Figure::holds`] in SQL), and [`rows`] counts the same from laptops
//! loaded one by one with `Figure::holds` itself — the laptop list behind each figure uses it,
//! and the tests and the benchmark check that both give the same rows.
//!
//! - **Period**: the laptops of the lots *received* from `from` to `to`, both days included.
//!   What became of them is what is known now (certificates and events up to today, whatever
//!   their dates), so a report of last month grows more complete as hand-overs are recorded.
//! - **Re-use rate**: handed over ÷ (handed over + recycled), in thousandths rounded to the
//!   nearest (half up), among the laptops at most ten years old at reception (reception year −
//!   purchase year ≤ 10; an unknown purchase year counts as at most ten). Empty when nothing
//!   was handed over or recycled yet. Every other column counts every laptop.
//! - **CO2e avoided**: [`CO2E_KG_PER_YEAR`] kg per laptop handed over, counting one extra year
//!   of use per laptop handed over ([`CO2E_ASSUMPTION_EN`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use reprise_cert::Language;

use crate::life::Figure;
use crate::store::LaptopLife;
use crate::util::esc;

/// ADEME (2022): CO2e avoided by a refurbished laptop, per year of use.
pub const CO2E_KG_PER_YEAR: u64 = 27;

pub const CO2E_ASSUMPTION_EN: &str = "CO2e avoided: 27 kg CO2e per laptop handed over — the \
     ADEME 2022 figure for a refurbished laptop (27 kg CO2e avoided per year of use), counting \
     one extra year of use for each laptop handed over, none for a laptop recycled.";
pub const CO2E_ASSUMPTION_FR: &str = "CO2e évité : 27 kg CO2e par ordinateur remis — le chiffre \
     ADEME 2022 pour un ordinateur portable reconditionné (27 kg CO2e évités par année d'usage), \
     en comptant une année d'usage supplémentaire pour chaque ordinateur remis, aucune pour un \
     ordinateur recyclé.";

// The row is the store's (it counts the report in one query); its figures are read here.
pub use crate::store::ReportRow as Row;

impl Row {
    pub fn count(&self, f: Figure) -> u64 {
        self.counts[f as usize]
    }

    /// Thousandths, rounded half up; None when nothing was handed over or recycled.
    pub fn reuse_rate_permille(&self) -> Option<u64> {
        let d = self.rate_handed_over + self.rate_recycled;
        (d > 0).then(|| (self.rate_handed_over * 1000 + d / 2) / d)
    }

    pub fn co2e_avoided_kg(&self) -> u64 {
        self.count(Figure::HandedOver) * CO2E_KG_PER_YEAR
    }
}

/// The rows of the report, by site (then lot when `by_lot`), in name order.
pub fn rows(lives: &[LaptopLife], by_lot: bool) -> Vec<Row> {
    let mut rows: BTreeMap<(String, Option<String>), Row> = BTreeMap::new();
    for life in lives {
        let lot = by_lot.then(|| life.laptop.lot.clone());
        let row = rows
            .entry((life.laptop.site.clone(), lot.clone()))
            .or_insert_with(|| Row {
                site: life.laptop.site.clone(),
                lot,
                ..Row::default()
            });
        for f in Figure::ALL {
            if f.holds(life) {
                row.counts[f as usize] += 1;
            }
        }
        if !crate::life::over_ten_years(life) {
            if Figure::HandedOver.holds(life) {
                row.rate_handed_over += 1;
            }
            if Figure::Recycled.holds(life) {
                row.rate_recycled += 1;
            }
        }
    }
    rows.into_values().collect()
}

/// All rows summed (the whole period).
pub fn total(rows: &[Row]) -> Row {
    let mut t = Row::default();
    for r in rows {
        for (a, b) in t.counts.iter_mut().zip(r.counts) {
            *a += b;
        }
        t.rate_handed_over += r.rate_handed_over;
        t.rate_recycled += r.rate_recycled;
    }
    t
}

/// The CSV header, exactly as the donor's spreadsheet expects it.
pub fn csv_header(by_lot: bool) -> Vec<&'static str> {
    let mut h = vec!["site"];
    if by_lot {
        h.push("lot");
    }
    h.extend(Figure::ALL.map(Figure::column));
    h.extend(["reuse_rate_permille", "co2e_avoided_kg"]);
    h
}

/// The report as CSV (RFC 4180, CRLF, fields defused against spreadsheet formulas).
pub fn csv(rows: &[Row], by_lot: bool) -> String {
    let mut out = csv_header(by_lot).join(",");
    out.push_str("\r\n");
    for r in rows {
        let mut fields = vec![crate::util::csv_field(&r.site)];
        if by_lot {
            fields.push(crate::util::csv_field(r.lot.as_deref().unwrap_or_default()));
        }
        fields.extend(r.counts.iter().map(u64::to_string));
        fields.push(
            r.reuse_rate_permille()
                .map_or_else(String::new, |v| v.to_string()),
        );
        fields.push(r.co2e_avoided_kg().to_string());
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The département's report over several workshops (one database each): a `workshop` column
/// first, then each workshop's rows as [`csv`] writes them, workshops in the order given.
pub fn csv_workshops(parts: &[(String, Vec<Row>)], by_lot: bool) -> String {
    let mut out = format!("workshop,{}\r\n", csv_header(by_lot).join(","));
    for (name, rows) in parts {
        let workshop = crate::util::csv_field(name);
        for line in csv(rows, by_lot).split("\r\n").skip(1) {
            if !line.is_empty() {
                out.push_str(&format!("{workshop},{line}\r\n"));
            }
        }
    }
    out
}

/// One workshop's rows: its name (empty in a workshop's own report) and its rows.
pub type Part = (String, Vec<Row>);

/// A workshop's own report as the one part [`table_html`] and [`html_document`] take.
pub fn single(rows: Vec<Row>) -> Vec<Part> {
    vec![(String::new(), rows)]
}

/// Column titles of the HTML report, in the page's language (the CSV name below each).
fn title(lang: Language, column: &str) -> &'static str {
    let (en, fr) = match column {
        "workshop" => ("Workshop", "Atelier"),
        "site" => ("Site", "Site"),
        "lot" => ("Lot", "Lot"),
        "received" => ("Received", "Reçus"),
        "sanitized" => ("Sanitized", "Effacés"),
        "refurbish" => ("Verdict: refurbish", "Verdict : reconditionner"),
        "recycle" => ("Verdict: recycle", "Verdict : recycler"),
        "handed_over" => ("Handed over", "Remis"),
        "recycled" => ("Recycled", "Recyclés"),
        "pending" => ("Pending", "En attente"),
        "over_10_years" => ("Over 10 years", "Plus de 10 ans"),
        "reuse_rate_permille" => ("Re-use rate (‰)", "Taux de réemploi (‰)"),
        _ => ("CO2e avoided (kg)", "CO2e évité (kg)"),
    };
    super::web::t(lang, en, fr)
}

/// How the HTML table links a figure of a workshop's row to the laptops behind it (`None`: no
/// links, the CLI's file).
pub type Link<'a> = &'a dyn Fn(&str, &Row, Option<Figure>) -> String;

/// The report's table: one row per site (or site and lot) of each workshop, then the total.
/// With `workshops`, a `workshop` column first (the département's report over several
/// workshops, one database each).
pub fn table_html(
    lang: Language,
    parts: &[Part],
    workshops: bool,
    by_lot: bool,
    link: Option<Link<'_>>,
) -> String {
    let mut h = String::from("<table class=\"list report\" id=\"report\">\n<thead><tr>");
    let mut columns = csv_header(by_lot);
    if workshops {
        columns.insert(0, "workshop");
    }
    for c in &columns {
        let _ = write!(
            h,
            "<th>{}<br><span class=\"mono\">{c}</span></th>",
            esc(title(lang, c))
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let cell = |w: &str, r: &Row, f: Figure| -> String {
        let n = r.count(f);
        match link {
            Some(link) => format!(
                "<td class=\"n\" data-column=\"{c}\"><a href=\"{}\">{n}</a></td>",
                esc(&link(w, r, Some(f))),
                c = f.column()
            ),
            None => format!("<td class=\"n\" data-column=\"{}\">{n}</td>", f.column()),
        }
    };
    let line = |h: &mut String, w: &str, r: &Row, head: String| {
        h.push_str(&head);
        for f in Figure::ALL {
            h.push_str(&cell(w, r, f));
        }
        let rate = r
            .reuse_rate_permille()
            .map_or_else(|| "—".to_string(), |v| v.to_string());
        let _ = writeln!(
            h,
            "<td class=\"n\" data-column=\"reuse_rate_permille\" title=\"{} {} / ({} + {})\">{rate}</td>\
             <td class=\"n\" data-column=\"co2e_avoided_kg\">{}</td></tr>",
            t_rate(lang),
            r.rate_handed_over,
            r.rate_handed_over,
            r.rate_recycled,
            r.co2e_avoided_kg()
        );
    };
    for (w, rows) in parts {
        for r in rows {
            let mut head = String::from("<tr>");
            if workshops {
                let _ = write!(head, "<td data-column=\"workshop\">{}</td>", esc(w));
            }
            let _ = write!(head, "<td>{}</td>", esc(&r.site));
            if by_lot {
                let lot = r.lot.as_deref().unwrap_or_default();
                // A lot's page is the serving workshop's: other workshops' lots are named only.
                let _ = match link {
                    Some(_) if !workshops || Some(w) == parts.first().map(|p| &p.0) => write!(
                        head,
                        "<td><a href=\"/lots/{}\">{}</a></td>",
                        crate::web::enc(lot),
                        esc(lot)
                    ),
                    _ => write!(head, "<td>{}</td>", esc(lot)),
                };
            }
            line(&mut h, w, r, head);
        }
    }
    h.push_str("</tbody>\n<tfoot>");
    let all: Vec<Row> = parts.iter().flat_map(|(_, r)| r.iter().cloned()).collect();
    let t = total(&all);
    let span = columns.len() - csv_header(false).len() + 1;
    let span = if span > 1 {
        format!(" colspan=\"{span}\"")
    } else {
        String::new()
    };
    line(
        &mut h,
        "",
        &t,
        format!(
            "<tr class=\"total\"><th{span}>{}</th>",
            super::web::t(lang, "Total", "Total")
        ),
    );
    h.push_str("</tfoot>\n</table>\n");
    h
}

fn t_rate(lang: Language) -> &'static str {
    super::web::t(
        lang,
        "at most 10 years old: handed over",
        "10 ans au plus : remis",
    )
}

/// What the figures mean, under the table (both the page and the CLI's file).
pub fn notes_html(lang: Language, from: &str, to: &str) -> String {
    let l = lang;
    let t = super::web::t;
    format!(
        "<div class=\"notes\" id=\"notes\">\n<p>{} <strong>{}</strong> {} <strong>{}</strong> {}</p>\n\
         <p>{}</p>\n<p>{}</p>\n<p id=\"co2e-assumption\">{}</p>\n</div>\n",
        t(
            l,
            "Laptops of the lots received from",
            "Ordinateurs des lots reçus du"
        ),
        esc(from),
        t(l, "to", "au"),
        esc(to),
        t(
            l,
            "(both days included); what became of them is what is recorded now.",
            "(inclus) ; leur devenir est celui enregistré à ce jour."
        ),
        t(
            l,
            "Sanitized: the laptop's latest certificate says every disk was sanitized. Verdict: \
             that certificate's destination. Handed over, recycled: the laptop's latest event \
             (a correction is a new event; a cancellation makes it pending again). Pending: \
             neither handed over nor recycled.",
            "Effacés : le dernier certificat de l'ordinateur atteste que chaque disque a été \
             effacé. Verdict : la destination de ce certificat. Remis, recyclés : le dernier \
             événement de l'ordinateur (une correction est un nouvel événement ; une annulation \
             le remet en attente). En attente : ni remis ni recyclé."
        ),
        t(
            l,
            "Re-use rate (décret n° 2023-266): handed over ÷ (handed over + recycled), in \
             thousandths, among the laptops at most ten years old at reception (reception year \
             − purchase year); older ones are left out of the rate and counted in “Over 10 \
             years”. Every other column counts every laptop.",
            "Taux de réemploi (décret n° 2023-266) : remis ÷ (remis + recyclés), en \
             millièmes, parmi les ordinateurs de dix ans au plus à la réception (année de \
             réception − année d'achat) ; les plus anciens sont exclus du taux et comptés dans \
             « Plus de 10 ans ». Toutes les autres colonnes comptent chaque ordinateur."
        ),
        t(l, CO2E_ASSUMPTION_EN, CO2E_ASSUMPTION_FR),
    )
}

/// Print styles of the report: A4, landscape-friendly margins, links printed as plain text.
pub const PRINT_CSS: &str = "
table.report td { word-break: normal; }
table.report tbody td:not(.n) { white-space: nowrap; }
table.report th .mono { font-size: 0.75em; color: #555; }
table.report td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.report tfoot th, table.report tfoot td { border-top: 2px solid #333; font-weight: bold; }
table.report a { color: inherit; }
.notes { font-size: 0.85em; max-width: 60em; }
@page { size: A4; margin: 12mm; }
@media print {
  table.report { font-size: 8pt; width: 100%; }
  table.report a { text-decoration: none; }
}
";

/// The CLI's HTML file: a standalone printable page (no links: it leaves the collector).
pub fn html_document(
    lang: Language,
    parts: &[Part],
    workshops: bool,
    by_lot: bool,
    from: &str,
    to: &str,
) -> String {
    let t = super::web::t;
    let title = t(lang, "Donor's report", "Rapport au donateur");
    format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title} {from} — {to}</title>\n<style>\nbody {{ font-family: sans-serif; }}\n\
         table {{ border-collapse: collapse; }}\n\
         table.list th, table.list td {{ border-bottom: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }}\n\
         .mono {{ font-family: monospace; font-size: 0.8em; color: #555; }}\n{PRINT_CSS}</style>\n\
         </head>\n<body>\n<h1>{title}</h1>\n<p>{period} {from} — {to}</p>\n{table}{notes}</body>\n</html>\n",
        code = super::web::lang_code(lang),
        title = esc(title),
        period = t(lang, "Period of reception:", "Période de réception :"),
        from = esc(from),
        to = esc(to),
        table = table_html(lang, parts, workshops, by_lot, None),
        notes = notes_html(lang, from, to),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_rounded_half_up_and_empty_without_outcomes() {
        let mut r = Row {
            rate_handed_over: 2,
            rate_recycled: 1,
            ..Row::default()
        };
        assert_eq!(r.reuse_rate_permille(), Some(667));
        r.rate_handed_over = 1;
        r.rate_recycled = 7;
        assert_eq!(r.reuse_rate_permille(), Some(125));
        r.rate_handed_over = 0;
        r.rate_recycled = 0;
        assert_eq!(r.reuse_rate_permille(), None);
        r.counts[Figure::HandedOver as usize] = 3;
        assert_eq!(r.co2e_avoided_kg(), 81);
    }

    #[test]
    fn several_workshops_get_a_workshop_column_and_their_own_rows() {
        let row = |site: &str, received: u64| {
            let mut r = Row {
                site: site.into(),
                ..Row::default()
            };
            r.counts[Figure::Received as usize] = received;
            r
        };
        let parts = vec![
            ("Nord".to_string(), vec![row("Lille", 3), row("Roubaix", 1)]),
            ("Sud, =Arras".to_string(), vec![row("Lille", 2)]),
            ("Vide".to_string(), vec![]),
        ];
        // The workshop's name is defused like every field (a formula after its comma).
        assert_eq!(
            csv_workshops(&parts, false),
            "workshop,site,received,sanitized,refurbish,recycle,handed_over,recycled,pending,\
             over_10_years,reuse_rate_permille,co2e_avoided_kg\r\n\
             Nord,Lille,3,0,0,0,0,0,0,0,,0\r\n\
             Nord,Roubaix,1,0,0,0,0,0,0,0,,0\r\n\
             \"Sud,' =Arras\",Lille,2,0,0,0,0,0,0,0,,0\r\n"
        );
        let html = table_html(Language::En, &parts, true, false, None);
        assert!(
            html.contains("<tr><td data-column=\"workshop\">Sud, =Arras</td><td>Lille</td><td class=\"n\" data-column=\"received\">2</td>"),
            "{html}"
        );
        assert!(
            html.contains("<tr class=\"total\"><th colspan=\"2\">Total</th><td class=\"n\" data-column=\"received\">6</td>"),
            "{html}"
        );
        let one = table_html(
            Language::En,
            &single(vec![row("Lille", 1)]),
            false,
            false,
            None,
        );
        assert!(
            !one.contains("workshop") && one.contains("<tr class=\"total\"><th>Total</th>"),
            "{one}"
        );
    }

    #[test]
    fn the_csv_header_is_the_donors() {
        assert_eq!(
            csv_header(false).join(","),
            "site,received,sanitized,refurbish,recycle,handed_over,recycled,pending,\
             over_10_years,reuse_rate_permille,co2e_avoided_kg"
        );
        assert_eq!(csv_header(true)[..2], ["site", "lot"]);
        let rows = vec![Row {
            site: "=Lycée, Hugo".into(),
            ..Row::default()
        }];
        assert_eq!(
            csv(&rows, false).lines().nth(1),
            Some("\"'=Lycée, Hugo\",0,0,0,0,0,0,0,0,,0")
        );
    }
}
