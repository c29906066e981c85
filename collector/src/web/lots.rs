//! Lots and laptops on the web: the lots (`/lots`), a lot's laptops (`/lots/<name>`) and its
//! sheet of labels for the crates (`/lots/<name>/labels`: QR code of each laptop's page,
//! serial, asset tag, lot), a laptop's page (`/laptops/<serial>`: identity, lot, certificates,
//! its life and every event with who recorded it) with the forms that record an event (a
//! logged-in user, CSRF token), the laptop list behind each figure of the donor's report
//! (`/laptops?site=&lot=&from=&to=&figure=`), and the report itself (`/report`).
//!
//! Every count and list reads a laptop through `crate::life`, as the CLI's report does.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use reprise_cert::Language;
use reprise_cert::{messages, render};
use serde::Deserialize;

use super::list::{decision_label, hex_of, result_label, short_time};
use super::{App, Ctx, enc, query_param, t};
use crate::life::{self, Figure, Outcome};
use crate::report;
use crate::store::{Event, EventRecord, LaptopFilter, LaptopLife};
use crate::util::esc;

/// The URL of a laptop's page (what its label's QR code holds).
pub fn laptop_url(base: &str, serial: &str) -> String {
    format!("{base}/laptops/{}", enc(serial))
}

fn outcome_label(lang: Language, o: &Outcome) -> String {
    match o {
        Outcome::Pending => t(lang, "pending", "en attente").to_string(),
        Outcome::HandedOver { date } => {
            format!("{} {}", t(lang, "handed over on", "remis le"), esc(date))
        }
        Outcome::Recycled { date } => {
            format!("{} {}", t(lang, "recycled on", "recyclé le"), esc(date))
        }
    }
}

fn kind_label(lang: Language, kind: &str) -> &'static str {
    match kind {
        life::HANDED_OVER => t(lang, "handed over", "remis"),
        life::RECYCLED => t(lang, "recycled", "recyclé"),
        life::CANCELLED => t(lang, "cancelled", "annulé"),
        life::PARTS_FITTED => t(lang, "parts fitted", "pièces posées"),
        _ => "?",
    }
}

fn field_label(lang: Language, name: &str) -> String {
    match name {
        "partner" => t(lang, "partner", "partenaire").into(),
        "receipt" => t(lang, "receipt", "reçu").into(),
        "channel" => t(lang, "channel", "filière").into(),
        "weight_g" => t(lang, "weight (g)", "poids (g)").into(),
        "disks" => t(lang, "disks not sanitized", "disques non effacés").into(),
        "note" => t(lang, "note", "remarque").into(),
        "parts" => t(lang, "parts", "pièces").into(),
        "total" => t(lang, "total", "total").into(),
        "plan" => t(lang, "plan", "prévu").into(),
        "budget" => t(lang, "budget", "budget").into(),
        "certificate" => t(lang, "certificate", "certificat").into(),
        other => esc(other),
    }
}

/// The state of a laptop's latest certificate, for tables (`here`: linked to its page).
fn sanitized_cell(lang: Language, l: &LaptopLife, here: bool) -> String {
    match life::latest_certificate(l) {
        None => format!(
            "<span class=\"warn\">{}</span>",
            t(lang, "no certificate", "aucun certificat")
        ),
        Some(c) => format!(
            "<{} class=\"{}\">{}</{}> {}/{} — {}",
            if here {
                format!("a href=\"/c/{}\"", esc(hex_of(&c.digest)))
            } else {
                "span".to_string()
            },
            if life::every_disk_sanitized(c) {
                "ok"
            } else {
                "bad"
            },
            result_label(lang, &c.result),
            if here { "a" } else { "span" },
            c.disks_sanitized,
            c.disks,
            decision_label(lang, &c.decision),
        ),
    }
}

/// A table of laptops (a lot's page, the list behind a figure). `here`: they are this
/// database's, so their pages, lots and certificates are served here (not another
/// workshop's, whose pages are on its own collector).
fn laptops_table(lang: Language, lives: &[LaptopLife], here: bool) -> String {
    let mut h = format!(
        "<table class=\"list\" id=\"laptops\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        t(lang, "Serial number", "Numéro de série"),
        t(lang, "Asset tag", "N° d'inventaire"),
        t(lang, "Model", "Modèle"),
        t(lang, "Purchased", "Achat"),
        t(lang, "Lot", "Lot"),
        t(lang, "Site", "Site"),
        t(lang, "Latest certificate", "Dernier certificat"),
        t(lang, "Now", "Aujourd'hui"),
    );
    let link = |href: &str, text: &str| {
        if here {
            format!("<a href=\"{}\">{}</a>", esc(href), esc(text))
        } else {
            esc(text)
        }
    };
    for l in lives {
        let lap = &l.laptop;
        let _ = writeln!(
            h,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            link(
                &format!("/laptops/{}", enc(&lap.laptop.serial)),
                &lap.laptop.serial
            ),
            esc(lap.laptop.asset_tag.as_deref().unwrap_or("")),
            esc(lap.laptop.model.as_deref().unwrap_or("")),
            lap.laptop
                .purchase_year
                .map_or_else(String::new, |y| y.to_string()),
            link(&format!("/lots/{}", enc(&lap.lot)), &lap.lot),
            esc(&lap.site),
            sanitized_cell(lang, l, here),
            outcome_label(lang, &life::outcome(&l.events)),
        );
    }
    h.push_str("</tbody>\n</table>\n");
    h
}

macro_rules! guard {
    ($app:expr, $headers:expr, $uri:expr) => {
        match Ctx::guard(&$app, &$headers, &$uri).await {
            Ok(c) => c,
            Err(r) => return r,
        }
    };
}

/// `GET /lots`
pub async fn lots(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let ctx = guard!(app, headers, uri);
    let l = ctx.lang;
    let lots = match app.store.lots().await {
        Ok(v) => v,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let mut h = format!(
        "<h1>{}</h1>\n<p class=\"noprint\"><a href=\"/report\">{}</a></p>\n\
         <table class=\"list\" id=\"lots\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead>\n<tbody>\n",
        t(l, "Lots", "Lots"),
        t(l, "Donor's report", "Rapport au donateur"),
        t(l, "Lot", "Lot"),
        t(l, "Site", "Site"),
        t(l, "Received", "Reçu le"),
        t(l, "Laptops", "Ordinateurs"),
        t(l, "Inventory", "Inventaire"),
        t(l, "Imported", "Importé"),
    );
    for lot in &lots {
        let n = &lot.lot;
        let _ = writeln!(
            h,
            "<tr><td><a href=\"/lots/{e}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{} ({})</td><td><a href=\"/lots/{e}/labels\">{}</a></td></tr>",
            esc(&n.name),
            esc(&n.site),
            esc(&n.received),
            lot.laptops,
            esc(&n.source),
            esc(&short_time(&n.imported_at)),
            esc(&n.imported_by),
            t(l, "labels", "étiquettes"),
            e = enc(&n.name),
        );
    }
    h.push_str("</tbody>\n</table>\n");
    ctx.page(StatusCode::OK, t(l, "Lots", "Lots"), &h)
}

async fn lot_lives(app: &App, ctx: &Ctx, name: &str) -> Result<Vec<LaptopLife>, Response> {
    let lives = app
        .store
        .laptops(LaptopFilter {
            lot: Some(name.to_string()),
            ..LaptopFilter::default()
        })
        .await
        .map_err(|e| ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e))?;
    if lives.is_empty() {
        return Err(ctx.message(
            StatusCode::NOT_FOUND,
            t(ctx.lang, "No such lot.", "Lot inconnu."),
        ));
    }
    Ok(lives)
}

/// `GET /lots/{name}` and `GET /lots/{name}/labels`
pub async fn lot(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Path(name): Path<String>,
) -> Response {
    let ctx = guard!(app, headers, uri);
    let l = ctx.lang;
    let lives = match lot_lives(&app, &ctx, &name).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let first = &lives[0].laptop;
    let body = format!(
        "<h1>{} {}</h1>\n<p>{} {} — {} {} — {} {}</p>\n<p class=\"noprint\"><a href=\"/lots/{e}/labels\" \
         id=\"labels\">{}</a> — <a href=\"/report?by=lot&amp;from={r}&amp;to={r}\">{}</a></p>\n{}",
        t(l, "Lot", "Lot"),
        esc(&name),
        t(l, "Site", "Site"),
        esc(&first.site),
        t(l, "received", "reçu le"),
        esc(&first.received),
        lives.len(),
        t(l, "laptop(s)", "ordinateur(s)"),
        t(l, "Sheet of labels", "Planche d'étiquettes"),
        t(
            l,
            "Report of this reception day",
            "Rapport de ce jour de réception"
        ),
        laptops_table(l, &lives, true),
        e = enc(&name),
        r = esc(&first.received),
    );
    ctx.page(StatusCode::OK, &name, &body)
}

/// `GET /lots/{name}/labels`: labels of 70 × 37 mm, 3 × 8 on an A4 sheet.
pub async fn labels(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Path(name): Path<String>,
) -> Response {
    let ctx = guard!(app, headers, uri);
    let l = ctx.lang;
    let lives = match lot_lives(&app, &ctx, &name).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let base = app.base_url(&headers);
    let mut h = format!(
        "<style>\n.labels {{ display: grid; grid-template-columns: repeat(3, 70mm); \
         grid-auto-rows: 37mm; }}\n.label {{ box-sizing: border-box; border: 1px dashed #bbb; \
         padding: 2mm; display: flex; gap: 2mm; align-items: center; overflow: hidden; \
         break-inside: avoid; }}\n.label .qr svg {{ width: 30mm; height: 30mm; }}\n\
         .label p {{ margin: 0 0 1mm 0; font-size: 8pt; word-break: break-all; }}\n\
         .label .serial {{ font-family: monospace; font-weight: bold; font-size: 9pt; }}\n\
         @media print {{ .label {{ border-color: transparent; }} @page {{ size: A4; margin: 10mm 0 0 0; }} }}\n\
         </style>\n<h1 class=\"noprint\">{} {}</h1>\n<p class=\"noprint\">{}</p>\n<div class=\"labels\" id=\"labels\">\n",
        t(l, "Labels of lot", "Étiquettes du lot"),
        esc(&name),
        t(
            l,
            "3 × 8 labels of 70 × 37 mm per A4 sheet: print with the browser's Print command, margins as the page sets them.",
            "3 × 8 étiquettes de 70 × 37 mm par feuille A4 : imprimez avec la commande Imprimer du navigateur, marges de la page."
        ),
    );
    for life in &lives {
        let lap = &life.laptop;
        let url = laptop_url(&base, &lap.laptop.serial);
        let _ = writeln!(
            h,
            "<div class=\"label\"><div class=\"qr\">{}</div><div><p class=\"serial\">{}</p><p>{} {}</p>\
             <p>{} {}</p><p>{}</p></div></div>",
            render::qr_svg(&url),
            esc(&lap.laptop.serial),
            t(l, "Asset", "Inv."),
            esc(lap.laptop.asset_tag.as_deref().unwrap_or("—")),
            t(l, "Lot", "Lot"),
            esc(&lap.lot),
            esc(lap.laptop.model.as_deref().unwrap_or("")),
        );
    }
    h.push_str("</div>\n");
    ctx.page(StatusCode::OK, &name, &h)
}

/// 404 for a serial that no imported inventory holds.
fn not_in_any_lot(ctx: &Ctx, serial: &str) -> Response {
    ctx.message(
        StatusCode::NOT_FOUND,
        &format!(
            "{} {serial}",
            t(
                ctx.lang,
                "Not in any lot: no laptop of an imported inventory has the serial",
                "Dans aucun lot : aucun ordinateur d'un inventaire importé n'a le numéro de série"
            )
        ),
    )
}

/// `GET /laptops/{serial}`
pub async fn laptop(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Path(serial): Path<String>,
) -> Response {
    let ctx = guard!(app, headers, uri);
    let found = match app.store.laptop(serial.clone()).await {
        Ok(f) => f,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let Some(life) = found else {
        return not_in_any_lot(&ctx, &serial);
    };
    match PageData::of(&app, &life).await {
        Ok(d) => laptop_page(&app, &ctx, &headers, &life, &d, None),
        Err(e) => ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

/// What a laptop's page reads besides its life: the refurbishment record that followed its
/// latest certificate, and that certificate's plan when its verdict is refurbish (what the
/// parts form offers).
struct PageData {
    record: Option<crate::store::RecordRow>,
    plan: Option<crate::parts::Plan>,
}

impl PageData {
    async fn of(app: &App, life: &LaptopLife) -> Result<PageData, crate::store::StoreError> {
        Ok(PageData {
            record: refurbishment(app, life).await?,
            plan: match life::plan_certificate(life) {
                Ok(c) => crate::parts::plan_of(app.store.as_ref(), c).await?.ok(),
                Err(_) => None,
            },
        })
    }
}

/// The refurbishment record that followed the laptop's latest certificate, if one was
/// received: the family's system installed, read back and verified on this laptop.
async fn refurbishment(
    app: &App,
    life: &LaptopLife,
) -> Result<Option<crate::store::RecordRow>, crate::store::StoreError> {
    let Some(latest) = life::latest_certificate(life) else {
        return Ok(None);
    };
    Ok(app
        .store
        .record_of(latest.digest.clone())
        .await?
        .map(|r| r.row))
}

fn laptop_page(
    app: &App,
    ctx: &Ctx,
    headers: &HeaderMap,
    life: &LaptopLife,
    data: &PageData,
    refusal: Option<&str>,
) -> Response {
    let record = data.record.as_ref();
    let fitted = crate::parts::current(&life.events);
    let l = ctx.lang;
    let lap = &life.laptop;
    let url = laptop_url(&app.base_url(headers), &lap.laptop.serial);
    let mut h = format!(
        "<div class=\"cert-head\"><div><h1>{} <span class=\"mono\">{}</span></h1>\n\
         <table id=\"identity\"><tr><td class=\"k\">{}</td><td>{}</td></tr>\
         <tr><td class=\"k\">{}</td><td>{}</td></tr><tr><td class=\"k\">{}</td><td>{}</td></tr>\
         <tr><td class=\"k\">{}</td><td><a href=\"/lots/{}\">{}</a> — {} ({} {})</td></tr>",
        t(l, "Laptop", "Ordinateur"),
        esc(&lap.laptop.serial),
        t(l, "Asset tag", "N° d'inventaire"),
        esc(lap.laptop.asset_tag.as_deref().unwrap_or("—")),
        t(l, "Model", "Modèle"),
        esc(lap.laptop.model.as_deref().unwrap_or("—")),
        t(l, "Purchased", "Acheté en"),
        lap.laptop
            .purchase_year
            .map_or_else(|| "—".to_string(), |y| y.to_string()),
        t(l, "Lot", "Lot"),
        enc(&lap.lot),
        esc(&lap.lot),
        esc(&lap.site),
        t(l, "line", "ligne"),
        lap.laptop.line,
    );
    if let Ok(serde_json::Value::Object(extra)) = serde_json::from_str(&lap.laptop.extra) {
        for (k, v) in extra {
            let _ = write!(
                h,
                "<tr><td class=\"k\">{}</td><td>{}</td></tr>",
                esc(&k),
                esc(v.as_str().unwrap_or_default())
            );
        }
    }
    let _ = writeln!(
        h,
        "</table><p class=\"noprint\"><a href=\"/laptops/{}/export.json\" id=\"export\">{}</a></p>\
         </div><div class=\"qr\">{}</div></div>",
        enc(&lap.laptop.serial),
        t(
            l,
            "Everything held about this laptop (JSON)",
            "Tout ce qui est conservé sur cet ordinateur (JSON)"
        ),
        render::qr_svg(&url)
    );
    if let Some(why) = refusal {
        let _ = writeln!(
            h,
            "<p class=\"err box\" id=\"refusal\">{} {}</p>",
            t(l, "Refused:", "Refusé :"),
            esc(why)
        );
    }
    // The life, step by step.
    let latest = life::latest_certificate(life);
    let step = |done: bool, text: String| {
        format!(
            "<li class=\"{}\">{} {text}</li>",
            if done { "ok" } else { "warn" },
            if done { "✔" } else { "…" }
        )
    };
    let parts_step = match &fitted {
        Some((_, f)) => format!(
            " — <a href=\"#parts-fitted\">{}</a> {}{}",
            t(l, "parts fitted:", "pièces posées :"),
            esc(&messages::euros(f.total_cents(), l)),
            f.repair_cost_cents
                .map(|c| format!(
                    " ({} {})",
                    t(l, "plan", "prévu"),
                    esc(&messages::euros(c, l))
                ))
                .unwrap_or_default()
        ),
        None => String::new(),
    };
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<ol id=\"life\">{}{}{}{}{}</ol>",
        t(l, "Life", "Parcours"),
        step(
            true,
            format!("{} {}", t(l, "received on", "reçu le"), esc(&lap.received))
        ),
        step(
            latest.is_some_and(life::every_disk_sanitized),
            match latest {
                Some(c) if life::every_disk_sanitized(c) => format!(
                    "{} ({})",
                    t(l, "sanitized: every disk", "effacé : chaque disque"),
                    esc(&short_time(&c.issued_at))
                ),
                Some(c) => format!(
                    "{} {}/{}",
                    t(
                        l,
                        "not sanitized: latest certificate, disks sanitized",
                        "non effacé : dernier certificat, disques effacés"
                    ),
                    c.disks_sanitized,
                    c.disks
                ),
                None => t(l, "no certificate yet", "aucun certificat pour l'instant").into(),
            }
        ),
        step(
            latest.is_some(),
            format!(
                "{} {}",
                t(l, "verdict:", "verdict :"),
                latest.map_or("—", |c| decision_label(l, &c.decision))
            )
        ),
        // Refurbished: the record of the system installed after that certificate (issue 22),
        // and the parts fitted.
        match (record, latest) {
            (Some(r), _) => step(
                true,
                format!(
                    "{} <a href=\"/c/{}\">{} {}</a> ({}){parts_step}",
                    t(l, "refurbished: installed", "remis en état : installé"),
                    esc(hex_of(&r.certificate_digest)),
                    esc(&r.image_name),
                    esc(&r.image_version),
                    esc(&short_time(&r.issued_at))
                ),
            ),
            (None, Some(c)) if c.decision == "refurbish" => step(
                false,
                format!(
                    "{}{parts_step}",
                    t(
                        l,
                        "refurbished: no system installed yet",
                        "remis en état : aucun système installé pour l'instant",
                    )
                ),
            ),
            _ => String::new(),
        },
        step(
            life::outcome(&life.events) != Outcome::Pending,
            outcome_label(l, &life::outcome(&life.events))
        ),
    );
    // Certificates.
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<table class=\"list\" id=\"certificates\"><thead><tr><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th></tr></thead><tbody>",
        t(l, "Certificates", "Certificats"),
        t(l, "Date (UTC)", "Date (UTC)"),
        t(l, "Certificate", "Certificat"),
        t(l, "Disks sanitized", "Disques effacés"),
        t(l, "Verdict", "Verdict"),
    );
    for c in &life.certificates {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><a href=\"/c/{}\">{}</a></td><td>{}/{} — {}</td><td>{}</td></tr>",
            esc(&short_time(&c.issued_at)),
            esc(hex_of(&c.digest)),
            esc(&c.id),
            c.disks_sanitized,
            c.disks,
            result_label(l, &c.result),
            decision_label(l, &c.decision),
        );
    }
    h.push_str("</tbody></table>\n");
    if let Some((e, f)) = &fitted {
        h.push_str(&fitted_html(l, e, f));
    }
    // Events: the whole history, corrections included.
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<table class=\"list\" id=\"events\"><thead><tr><th>#</th><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th></tr></thead><tbody>",
        t(
            l,
            "Events (every one is kept)",
            "Événements (tous sont conservés)"
        ),
        t(l, "Date", "Date"),
        t(l, "Event", "Événement"),
        t(l, "Details", "Détails"),
        t(l, "Recorded by", "Enregistré par"),
    );
    for e in &life.events {
        let pairs = match crate::parts::read(&e.fields) {
            Ok(f) if e.kind == life::PARTS_FITTED => life::parts_pairs(&f, l),
            _ => life::field_pairs(e),
        };
        let details: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{}: {}", field_label(l, &k), esc(&v)))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} ({})</td></tr>",
            e.seq,
            esc(&e.date),
            kind_label(l, &e.kind),
            details.join("; "),
            esc(&e.recorded_by),
            esc(&short_time(&e.recorded_at)),
        );
    }
    h.push_str("</tbody></table>\n");
    h.push_str(&event_forms(ctx, &lap.laptop.serial, data.plan.as_ref()));
    ctx.page(StatusCode::OK, &lap.laptop.serial, &h)
}

/// The forms that record an event (hidden when printing).
fn event_forms(ctx: &Ctx, serial: &str, plan: Option<&crate::parts::Plan>) -> String {
    let l = ctx.lang;
    let action = format!("/laptops/{}/events", enc(serial));
    let input = |name: &str, label: &str, kind: &str, required: bool| {
        format!(
            "<label>{}<input type=\"{kind}\" name=\"{name}\"{}></label>",
            esc(label),
            if required { " required" } else { "" }
        )
    };
    let form = |kind: &str, title: &str, fields: String| {
        format!(
            "<form method=\"post\" action=\"{}\" class=\"search box\" id=\"form-{kind}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" \
             name=\"kind\" value=\"{kind}\"><strong>{}</strong>{}{fields}{}\
             <button type=\"submit\">{}</button></form>\n",
            esc(&action),
            esc(&ctx.csrf),
            esc(title),
            input("date", t(l, "Date", "Date"), "date", true),
            input(
                "note",
                t(l, "Note", "Remarque"),
                "text",
                kind == life::CANCELLED
            ),
            t(l, "Record", "Enregistrer"),
        )
    };
    format!(
        "<div class=\"noprint\" id=\"record\"><h2>{}</h2>\n<p>{}</p>\n{}{}{}</div>\n",
        t(l, "Record an event", "Enregistrer un événement"),
        t(
            l,
            "No personal data of the family: the partner organisation and its receipt number only. A correction is a new event.",
            "Aucune donnée personnelle de la famille : l'organisation partenaire et son numéro de reçu seulement. Une correction est un nouvel événement."
        ),
        form(
            life::HANDED_OVER,
            t(l, "Handed over", "Remis"),
            input(
                "partner",
                t(l, "Partner organisation", "Organisation partenaire"),
                "text",
                true
            ) + &input(
                "receipt",
                t(l, "Receipt number", "Numéro de reçu"),
                "text",
                false
            )
        ),
        form(
            life::RECYCLED,
            t(l, "Recycled", "Recyclé"),
            input("channel", t(l, "Channel", "Filière"), "text", true)
                + &input("weight_g", t(l, "Weight (g)", "Poids (g)"), "number", false)
                + &input(
                    "disks",
                    t(
                        l,
                        "Disks not sanitized: what became of them",
                        "Disques non effacés : leur devenir"
                    ),
                    "text",
                    false
                )
        ),
        form(
            life::CANCELLED,
            t(l, "Cancel the latest outcome", "Annuler le dernier devenir"),
            String::new()
        ),
    ) + &plan.map(|p| parts_form(ctx, serial, p)).unwrap_or_default()
}

/// The parts fitted now (the latest `parts-fitted` event): each part with its cost and what the
/// plan said, the total against the plan's total and the budget.
fn fitted_html(l: Language, e: &Event, f: &crate::parts::Fitted) -> String {
    let euros = |c: u64| esc(&messages::euros(c, l));
    let mut rows = String::new();
    for p in &f.parts {
        let _ = writeln!(
            rows,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&p.text),
            match (&p.action, p.planned_cents) {
                (Some(_), Some(c)) => euros(c),
                (Some(_), None) => t(l, "not priced", "non chiffré").into(),
                (None, _) => t(l, "not in the plan", "hors plan").into(),
            },
            euros(p.cost_cents),
        );
    }
    let total = f.total_cents();
    let against = |what: &str, c: Option<u64>, id: &str| match c {
        Some(c) => format!(
            "<p id=\"{id}\">{what} {} — <span class=\"{}\">{}</span></p>\n",
            euros(c),
            if total > c { "bad" } else { "ok" },
            if total > c {
                format!("{} {}", euros(total - c), t(l, "over", "de plus"))
            } else {
                format!("{} {}", euros(c - total), t(l, "under", "de moins"))
            }
        ),
        None => String::new(),
    };
    format!(
        "<h2>{}</h2>\n<div class=\"box\" id=\"parts-fitted\">\n<table class=\"list\"><thead><tr><th>{}</th>\
         <th>{}</th><th>{}</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n\
         <p id=\"parts-total\">{} <strong>{}</strong></p>\n{}{}<p>{} #{} — {} {} ({}){}</p>\n</div>\n",
        t(l, "Parts fitted", "Pièces posées"),
        t(l, "Part", "Pièce"),
        t(l, "Planned (TTC)", "Prévu (TTC)"),
        t(l, "Cost (TTC)", "Coût (TTC)"),
        t(l, "Total:", "Total :"),
        euros(total),
        against(
            t(l, "Plan's total:", "Total du plan :"),
            f.repair_cost_cents,
            "parts-plan"
        ),
        against(t(l, "Budget:", "Budget :"), f.budget_cents, "parts-budget"),
        t(l, "Event", "Événement"),
        e.seq,
        esc(&e.date),
        esc(&e.recorded_by),
        esc(&short_time(&e.recorded_at)),
        f.note
            .as_deref()
            .map(|n| format!(" — {}", esc(n)))
            .unwrap_or_default(),
    )
}

/// The form that records the parts fitted: the plan's actions as boxes with their planned cost
/// in an editable field (the invoice may differ), and lines for parts the plan did not foresee.
fn parts_form(ctx: &Ctx, serial: &str, plan: &crate::parts::Plan) -> String {
    let l = ctx.lang;
    let mut rows = String::new();
    for a in &plan.actions {
        let cost = a
            .cost_cents
            .map(|c| format!("{}.{:02}", c / 100, c % 100))
            .unwrap_or_default();
        let _ = writeln!(
            rows,
            "<tr><td><label><input type=\"checkbox\" name=\"fit\" value=\"{id}\"> {}</label> \
             <span class=\"mono\">{id}</span></td><td><input type=\"text\" inputmode=\"decimal\" \
             size=\"8\" name=\"cost:{id}\" value=\"{cost}\"> €</td></tr>",
            esc(&a.text),
            id = esc(&a.id),
        );
    }
    for _ in 0..3 {
        let _ = writeln!(
            rows,
            "<tr><td><input type=\"text\" name=\"extra_label\" placeholder=\"{}\"></td>\
             <td><input type=\"text\" inputmode=\"decimal\" size=\"8\" name=\"extra_cost\"> €</td></tr>",
            t(l, "part not in the plan", "pièce hors plan"),
        );
    }
    format!(
        "<form method=\"post\" action=\"/laptops/{}/parts\" class=\"box noprint\" id=\"form-parts-fitted\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"plan\" \
         value=\"{}\"><strong>{}</strong>\n<p>{}</p>\n\
         <table class=\"list\"><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>\n{rows}</tbody></table>\n\
         <div class=\"search\"><label>{}<input type=\"date\" name=\"date\" required></label>\
         <label>{}<input type=\"text\" name=\"note\"></label><button type=\"submit\">{}</button></div></form>\n",
        enc(serial),
        esc(&ctx.csrf),
        esc(&plan.certificate),
        t(l, "Parts fitted", "Pièces posées"),
        t(
            l,
            "Tick what was done, at the plan's cost or the invoice's; add parts the plan did not foresee. A new record replaces the previous list (the history keeps it). No personal data.",
            "Cochez ce qui a été fait, au coût du plan ou de la facture ; ajoutez les pièces hors plan. Un nouvel enregistrement remplace la liste précédente (l'historique la garde). Aucune donnée personnelle."
        ),
        t(l, "Action of the plan", "Action du plan"),
        t(l, "Cost (TTC)", "Coût (TTC)"),
        t(l, "Date", "Date"),
        t(l, "Note", "Remarque"),
        t(l, "Record", "Enregistrer"),
    )
}

/// Who records an event sent from a form: the logged-in user, once the CSRF token is checked
/// (`Err`: the answer that refuses it, 403).
fn recorder(ctx: &Ctx, headers: &HeaderMap, csrf: &str) -> Result<String, Box<Response>> {
    let l = ctx.lang;
    if !super::auth::csrf_ok(headers, csrf) {
        return Err(Box::new(ctx.message(
            StatusCode::FORBIDDEN,
            t(
                l,
                "Refused: not sent from this site.",
                "Refusé : ne vient pas de ce site.",
            ),
        )));
    }
    ctx.user.clone().ok_or_else(|| {
        Box::new(ctx.message(
            StatusCode::FORBIDDEN,
            t(
                l,
                "Recording an event needs a login: who recorded it is part of the event (this collector runs with --no-login).",
                "Enregistrer un événement demande une connexion : qui l'a enregistré en fait partie (ce collecteur fonctionne avec --no-login).",
            ),
        ))
    })
}

/// The event form's fields (all text, as browsers send them).
#[derive(Debug, Deserialize)]
pub struct EventForm {
    csrf: String,
    kind: String,
    date: String,
    #[serde(default)]
    partner: String,
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    weight_g: String,
    #[serde(default)]
    disks: String,
    #[serde(default)]
    note: String,
}

/// `POST /laptops/{serial}/events`: a logged-in user (who recorded it is part of the event)
/// and the CSRF token; the store checks the rules. A refusal shows the laptop's page with why
/// (422); a recorded event goes back to it (303).
pub async fn record(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Path(serial): Path<String>,
    Form(form): Form<EventForm>,
) -> Response {
    let ctx = guard!(app, headers, uri);
    let user = match recorder(&ctx, &headers, &form.csrf) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let mut fields = serde_json::Map::new();
    let mut put = |k: &str, v: &str| {
        let v = v.trim();
        if !v.is_empty() {
            fields.insert(k.into(), serde_json::Value::String(v.into()));
        }
    };
    put("partner", &form.partner);
    put("receipt", &form.receipt);
    put("channel", &form.channel);
    put("disks", &form.disks);
    put("note", &form.note);
    let weight = form.weight_g.trim();
    if !weight.is_empty() {
        // Not a positive integer: kept as text, which the rules refuse with its name.
        let v = weight
            .parse::<u64>()
            .map_or_else(|_| serde_json::Value::String(weight.into()), Into::into);
        fields.insert("weight_g".into(), v);
    }
    // Each kind keeps only its own fields (the forms are separate; a stray one is refused).
    let event = Event {
        serial: serial.clone(),
        seq: 0,
        kind: form.kind.clone(),
        date: form.date.trim().to_string(),
        fields: serde_json::Value::Object(fields).to_string(),
        recorded_by: user,
        recorded_at: crate::util::now(),
    };
    append(&app, &ctx, &headers, serial, event).await
}

/// 422 for an event of a serial that no lot holds.
fn refused_not_in_lot(ctx: &Ctx, serial: &str) -> Response {
    ctx.message(
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!(
            "{} {serial}",
            t(
                ctx.lang,
                "Refused: no lot holds the serial",
                "Refusé : aucun lot ne contient le numéro de série"
            )
        ),
    )
}

/// Appends `event` under the rules: back to the laptop's page once recorded (303), or the page
/// with why it was refused (422).
async fn append(
    app: &App,
    ctx: &Ctx,
    headers: &HeaderMap,
    serial: String,
    event: Event,
) -> Response {
    let refusal = match app
        .store
        .record_event(event, crate::life::event_rules)
        .await
    {
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
        Ok(EventRecord::NotInLot) => return refused_not_in_lot(ctx, &serial),
        Ok(EventRecord::Refused(why)) => why,
        Ok(EventRecord::Recorded(e)) => {
            let mut resp = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/laptops/{}#events", enc(&e.serial))) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            ctx.apply(&mut resp);
            return resp;
        }
    };
    refused(app, ctx, headers, serial, &refusal).await
}

/// The laptop's page with why what was sent is refused (422).
async fn refused(
    app: &App,
    ctx: &Ctx,
    headers: &HeaderMap,
    serial: String,
    refusal: &str,
) -> Response {
    match app.store.laptop(serial).await {
        Ok(Some(life)) => {
            let mut resp = match PageData::of(app, &life).await {
                Ok(d) => laptop_page(app, ctx, headers, &life, &d, Some(refusal)),
                Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
            };
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            resp
        }
        Ok(None) => ctx.message(StatusCode::UNPROCESSABLE_ENTITY, refusal),
        Err(e) => ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

/// The parts form's fields: `plan` (the digest of the certificate whose plan it showed), `fit`
/// (a plan action's id, once per box ticked), `cost:<id>` (its
/// cost in euros, empty for the plan's), `extra_label`/`extra_cost` (in pairs, in order),
/// `date`, `note`, `csrf`. Read as pairs: a box ticked several times comes as repeated keys.
type PairsForm = Vec<(String, String)>;

/// `POST /laptops/{serial}/parts`: the parts fitted, resolved against the plan of the latest
/// certificate (`parts::event_fields`, as the CLI does), then recorded like any event (a
/// logged-in user, the CSRF token, the store's rules).
pub async fn record_parts(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Path(serial): Path<String>,
    Form(form): Form<PairsForm>,
) -> Response {
    let ctx = guard!(app, headers, uri);
    let value = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
    };
    let user = match recorder(&ctx, &headers, value("csrf")) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let life = match app.store.laptop(serial.clone()).await {
        Ok(Some(life)) => life,
        Ok(None) => return refused_not_in_lot(&ctx, &serial),
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    // The form showed the plan of the certificate it names: if another has become the latest
    // since, what was ticked (and the costs prefilled) followed an old plan.
    let shown = value("plan");
    if let Ok(c) = life::plan_certificate(&life)
        && !shown.is_empty()
        && shown != c.digest
    {
        let why = life::Refusal::PlanChanged {
            serial: life.laptop.laptop.serial.clone(),
            given: shown.to_string(),
            latest: c.digest.clone(),
        };
        return refused(&app, &ctx, &headers, serial, &why.to_string()).await;
    }
    let mut parts = Vec::new();
    for (_, id) in form.iter().filter(|(n, _)| n == "fit") {
        let cost = value(&format!("cost:{id}")).trim();
        let cost_cents = if cost.is_empty() {
            None
        } else {
            match crate::parts::parse_euros(cost) {
                Ok(c) => Some(c),
                Err(e) => return refused(&app, &ctx, &headers, serial, &e.to_string()).await,
            }
        };
        parts.push(crate::parts::PartRequest {
            id: id.clone(),
            cost_cents,
        });
    }
    let labels = form.iter().filter(|(n, _)| n == "extra_label");
    let costs = form.iter().filter(|(n, _)| n == "extra_cost");
    let mut extras = Vec::new();
    for ((_, label), (_, cost)) in labels.zip(costs) {
        if label.trim().is_empty() && cost.trim().is_empty() {
            continue;
        }
        match crate::parts::extra(label, cost) {
            Ok(x) => extras.push(x),
            Err(e) => return refused(&app, &ctx, &headers, serial, &e.to_string()).await,
        }
    }
    let plan = match life::plan_certificate(&life) {
        Ok(c) => c,
        Err(why) => return refused(&app, &ctx, &headers, serial, &why.to_string()).await,
    };
    let fields = match crate::parts::event_fields(
        app.store.as_ref(),
        plan,
        &parts,
        &extras,
        Some(value("note")),
    )
    .await
    {
        Ok(Ok(f)) => f,
        Ok(Err(why)) => return refused(&app, &ctx, &headers, serial, &why).await,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let event = Event {
        serial: serial.clone(),
        seq: 0,
        kind: life::PARTS_FITTED.into(),
        date: value("date").trim().to_string(),
        fields,
        recorded_by: user,
        recorded_at: crate::util::now(),
    };
    append(&app, &ctx, &headers, serial, event).await
}

/// The period and grouping of the report page and its laptop lists.
struct Period {
    from: String,
    to: String,
    site: Option<String>,
    lot: Option<String>,
    by_lot: bool,
}

impl Period {
    /// From the query: `from`, `to` (default: the current year), `site`, `lot`, `by=lot`.
    fn of(uri: &Uri, lang: Language) -> Result<Period, String> {
        let year = crate::util::now()[..4].to_string();
        let from = query_param(uri, "from")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("{year}-01-01"));
        let to = query_param(uri, "to")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("{year}-12-31"));
        for d in [&from, &to] {
            if !life::is_date(d) {
                return Err(format!(
                    "{} {d:?}",
                    t(lang, "Not a date YYYY-MM-DD:", "Pas une date AAAA-MM-JJ :")
                ));
            }
        }
        Ok(Period {
            from,
            to,
            site: query_param(uri, "site").filter(|s| !s.is_empty()),
            lot: query_param(uri, "lot").filter(|s| !s.is_empty()),
            by_lot: query_param(uri, "by").as_deref() == Some("lot"),
        })
    }

    fn filter(&self) -> LaptopFilter {
        LaptopFilter {
            site: self.site.clone(),
            lot: self.lot.clone(),
            from: Some(self.from.clone()),
            to: Some(self.to.clone()),
        }
    }
}

/// The report's rows: this database's, or each workshop's of the département
/// (`App::workshops`), each counted by its own database.
async fn report_parts(
    app: &App,
    p: &Period,
) -> Result<Vec<report::Part>, crate::store::StoreError> {
    if app.workshops.is_empty() {
        return Ok(report::single(
            app.store.report(p.filter(), p.by_lot).await?,
        ));
    }
    let mut parts = Vec::new();
    for w in &app.workshops {
        parts.push((w.name.clone(), w.store.report(p.filter(), p.by_lot).await?));
    }
    Ok(parts)
}

/// `GET /report?from=&to=[&by=lot]`
pub async fn report_page(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let ctx = guard!(app, headers, uri);
    let l = ctx.lang;
    let p = match Period::of(&uri, l) {
        Ok(p) => p,
        Err(e) => return ctx.message(StatusCode::BAD_REQUEST, &e),
    };
    let parts = match report_parts(&app, &p).await {
        Ok(v) => v,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let (from, to) = (p.from.clone(), p.to.clone());
    let link = move |w: &str, r: &report::Row, f: Option<Figure>| {
        let mut q = format!("/laptops?from={}&to={}", enc(&from), enc(&to));
        if !w.is_empty() {
            let _ = write!(q, "&workshop={}", enc(w));
        }
        if !r.site.is_empty() {
            let _ = write!(q, "&site={}", enc(&r.site));
        }
        if let Some(lot) = &r.lot {
            let _ = write!(q, "&lot={}", enc(lot));
        }
        if let Some(f) = f {
            let _ = write!(q, "&figure={}", f.column());
        }
        q
    };
    let mut table = report::table_html(l, &parts, !app.workshops.is_empty(), p.by_lot, Some(&link));
    if !app.workshops.is_empty() {
        let names: Vec<String> = app.workshops.iter().map(|w| esc(&w.name)).collect();
        table = format!(
            "<p id=\"workshops\">{} {}</p>\n{table}",
            t(
                l,
                "Workshops of the département (one database each):",
                "Ateliers du département (une base de données chacun) :"
            ),
            names.join(", ")
        );
    }
    let other = if p.by_lot {
        format!(
            "<a href=\"/report?from={}&amp;to={}\">{}</a>",
            enc(&p.from),
            enc(&p.to),
            t(l, "per site", "par site")
        )
    } else {
        format!(
            "<a href=\"/report?from={}&amp;to={}&amp;by=lot\" id=\"by-lot\">{}</a>",
            enc(&p.from),
            enc(&p.to),
            t(l, "per site and lot", "par site et par lot")
        )
    };
    let body = format!(
        "<style>{}</style>\n<h1>{}</h1>\n<form class=\"search\" method=\"get\" action=\"/report\">\
         <label>{}<input type=\"date\" name=\"from\" value=\"{}\"></label>\
         <label>{}<input type=\"date\" name=\"to\" value=\"{}\"></label>{}\
         <button type=\"submit\">{}</button></form>\n<p>{} <strong id=\"period\">{} — {}</strong> \
         <span class=\"noprint\">— {other} — <a href=\"/report.csv?from={}&amp;to={}{}\" id=\"csv\">CSV</a></span></p>\n{table}{}",
        report::PRINT_CSS,
        t(l, "Donor's report", "Rapport au donateur"),
        t(l, "Received from", "Reçus du"),
        esc(&p.from),
        t(l, "to", "au"),
        esc(&p.to),
        if p.by_lot {
            "<input type=\"hidden\" name=\"by\" value=\"lot\">"
        } else {
            ""
        },
        t(l, "Show", "Afficher"),
        t(l, "Period of reception:", "Période de réception :"),
        esc(&p.from),
        esc(&p.to),
        enc(&p.from),
        enc(&p.to),
        if p.by_lot { "&amp;by=lot" } else { "" },
        report::notes_html(l, &p.from, &p.to),
    );
    ctx.page(
        StatusCode::OK,
        t(l, "Donor's report", "Rapport au donateur"),
        &body,
    )
}

/// `GET /report.csv?from=&to=[&by=lot]`: the CLI's CSV.
pub async fn report_csv(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let ctx = guard!(app, headers, uri);
    let p = match Period::of(&uri, ctx.lang) {
        Ok(p) => p,
        Err(e) => return ctx.message(StatusCode::BAD_REQUEST, &e),
    };
    let parts = match report_parts(&app, &p).await {
        Ok(v) => v,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let csv = if app.workshops.is_empty() {
        report::csv(&parts[0].1, p.by_lot)
    } else {
        report::csv_workshops(&parts, p.by_lot)
    };
    let mut resp = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"report-{}-{}.csv\"", p.from, p.to),
            ),
        ],
        csv,
    )
        .into_response();
    ctx.apply(&mut resp);
    resp
}

/// `GET /laptops/<serial>/export.json`: everything held about one laptop (`crate::export`),
/// as a download.
pub async fn export(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Path(serial): Path<String>,
) -> Response {
    let ctx = guard!(app, headers, uri);
    let found = match crate::export::laptop(app.store.as_ref(), &serial, &crate::util::now()).await
    {
        Ok(f) => f,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let Some(doc) = found else {
        return not_in_any_lot(&ctx, &serial);
    };
    let key = life::serial_key(&serial);
    let file: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut resp = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"laptop-{file}.json\""),
            ),
        ],
        serde_json::to_string_pretty(&doc).unwrap_or_default(),
    )
        .into_response();
    ctx.apply(&mut resp);
    resp
}

/// `GET /laptops?from=&to=&site=&lot=&figure=`: the laptops behind a figure of the report.
pub async fn laptops(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let ctx = guard!(app, headers, uri);
    let l = ctx.lang;
    let p = match Period::of(&uri, l) {
        Ok(p) => p,
        Err(e) => return ctx.message(StatusCode::BAD_REQUEST, &e),
    };
    let figure = match query_param(&uri, "figure").filter(|f| !f.is_empty()) {
        None => Figure::Received,
        Some(f) => match Figure::from_column(&f) {
            Some(f) => f,
            None => {
                return ctx.message(
                    StatusCode::BAD_REQUEST,
                    &format!("{} {f:?}", t(l, "Unknown figure", "Chiffre inconnu")),
                );
            }
        },
    };
    // The laptops of a workshop of the département (`&workshop=`, the report's links), from
    // its own database; another workshop's laptops and lots have their pages on its collector.
    let (store, workshop, elsewhere) = match query_param(&uri, "workshop").filter(|w| !w.is_empty())
    {
        None => (&app.store, None, false),
        Some(w) => match app.workshops.iter().position(|x| x.name == w) {
            Some(i) => (&app.workshops[i].store, Some(w), i > 0),
            None => {
                return ctx.message(
                    StatusCode::NOT_FOUND,
                    &format!("{} {w:?}", t(l, "No such workshop", "Atelier inconnu")),
                );
            }
        },
    };
    let lives = match store.laptops(p.filter()).await {
        Ok(v) => v,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let shown: Vec<LaptopLife> = lives.into_iter().filter(|x| figure.holds(x)).collect();
    let mut scope = format!("{} — {}", esc(&p.from), esc(&p.to));
    if let Some(w) = &workshop {
        let _ = write!(
            scope,
            ", {} <strong id=\"workshop\">{}</strong>",
            t(l, "workshop", "atelier"),
            esc(w)
        );
    }
    if let Some(s) = &p.site {
        let _ = write!(scope, ", {}", esc(s));
    }
    if let Some(s) = &p.lot {
        let _ = write!(scope, ", {} {}", t(l, "lot", "lot"), esc(s));
    }
    let body = format!(
        "<h1>{} <span class=\"mono\">{}</span></h1>\n<p>{scope} — <span id=\"total\">{}</span> {}</p>\n{}",
        t(l, "Laptops", "Ordinateurs"),
        figure.column(),
        shown.len(),
        t(l, "laptop(s)", "ordinateur(s)"),
        laptops_table(l, &shown, !elsewhere),
    );
    ctx.page(StatusCode::OK, t(l, "Laptops", "Ordinateurs"), &body)
}
