//! Stations: the list, and one station's page with its key, status and chain check.
//!
//! The chain check is `reprise_cert::chain::check_station` over the stored rows (sequence,
//! digest, previous digest): missing sequence numbers (deletions), forks, broken links
//! (reordering, replacement). What no chain can show — the newest certificates deleted from a
//! stick before they were uploaded — shows here as the highest sequence received and when: a
//! station whose sequence stops while the stick keeps working is missing certificates.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::http::header::HeaderMap;
use axum::response::Response;
use reprise_cert::Language;
use reprise_cert::chain::{self, Gap, Link};
use reprise_cert::envelope;

use super::list::{hex_of, result_label, short_time};
use super::{App, Ctx, t};
use crate::store::{CertRow, StationSummary, Store, StoreError};
use crate::util::esc;

/// The chain links of stored rows, labelled with the certificate id. A certificate whose
/// predecessor's number is not stored is read whole for the sequence numbers it declares it
/// skipped (`chain::declared_skips`): only there can a declared skip matter, so a page reads
/// one more certificate per hole, not the station's every certificate.
pub async fn links_of(store: &dyn Store, rows: &[CertRow]) -> Result<Vec<Link>, StoreError> {
    let mut links = Vec::with_capacity(rows.len());
    for r in rows {
        let sequence = u64::try_from(r.sequence).unwrap_or(0);
        let after_hole = sequence > 1 && !rows.iter().any(|o| o.sequence + 1 == r.sequence);
        let skipped = match after_hole {
            true => match store.certificate(r.digest.clone()).await? {
                // Stored bytes were verified at ingest; a body that no longer verifies declares
                // nothing (and the hole stays a gap).
                Some(c) => envelope::verify(&c.body, None)
                    .map(|v| chain::declared_skips(&v.envelope.certificate))
                    .unwrap_or_default(),
                None => Vec::new(),
            },
            false => Vec::new(),
        };
        links.push(Link {
            label: r.id.clone(),
            sequence,
            digest: r.digest.clone(),
            previous_digest: r.previous_digest.clone(),
            skipped,
        });
    }
    Ok(links)
}

/// A gap in words (the `Display` of `chain::Gap` is English; the page says it in its language).
fn gap_text(lang: Language, g: &Gap) -> String {
    match (lang, g) {
        (Language::Fr, Gap::Missing { from, to, .. }) if from == to => {
            format!("le certificat n°{from} manque (supprimé ou jamais reçu)")
        }
        (Language::Fr, Gap::Missing { from, to, .. }) => {
            format!("les certificats n°{from} à n°{to} manquent (supprimés ou jamais reçus)")
        }
        (
            Language::Fr,
            Gap::Fork {
                sequence, files, ..
            },
        ) => format!(
            "bifurcation : le n°{sequence} est revendiqué par {}",
            files.join(", ")
        ),
        (
            Language::Fr,
            Gap::BrokenLink {
                file,
                sequence,
                detail,
                ..
            },
        ) => {
            format!("{file} (n°{sequence}) : lien rompu — {detail}")
        }
        (Language::En, Gap::Missing { from, to, .. }) if from == to => {
            format!("certificate #{from} is missing (deleted, or never received)")
        }
        (Language::En, Gap::Missing { from, to, .. }) => {
            format!("certificates #{from} to #{to} are missing (deleted, or never received)")
        }
        (
            Language::En,
            Gap::Fork {
                sequence, files, ..
            },
        ) => {
            format!("fork: #{sequence} is claimed by {}", files.join(", "))
        }
        (
            Language::En,
            Gap::BrokenLink {
                file,
                sequence,
                detail,
                ..
            },
        ) => {
            format!("{file} (#{sequence}): broken link — {detail}")
        }
        (_, other) => other.to_string(),
    }
}

/// `GET /stations`
pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let ctx = match Ctx::guard(&app, &headers, &uri).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let l = ctx.lang;
    let stations = match app.store.stations().await {
        Ok(s) => s,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let mut body = format!(
        "<h1>{}</h1>\n<table class=\"list\" id=\"stations\">\n<thead><tr><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        t(l, "Stations", "Stations"),
        t(l, "Station", "Station"),
        t(l, "Site", "Site"),
        t(l, "Key", "Clé"),
        t(l, "Status", "État"),
        t(l, "Certificates", "Certificats"),
        t(l, "Highest sequence", "Numéro le plus élevé"),
        t(l, "Last received", "Dernière réception"),
        t(l, "Chain", "Chaîne"),
    );
    for s in &stations {
        let rows = match app
            .store
            .station_certificates(s.station.key_id.clone())
            .await
        {
            Ok(r) => r,
            Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
        };
        let links = match links_of(app.store.as_ref(), &rows).await {
            Ok(l) => l,
            Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
        };
        let (_, gaps) = chain::check_station(&s.station.key_id, links);
        let chain_cell = if gaps.is_empty() {
            format!("<span class=\"ok\">{}</span>", t(l, "intact", "intacte"))
        } else {
            format!(
                "<span class=\"bad\">{} {}</span>",
                gaps.len(),
                t(l, "problem(s)", "problème(s)")
            )
        };
        let _ = writeln!(
            body,
            "<tr><td><a href=\"/stations/{}\">{}</a></td><td>{}</td><td class=\"mono\">{}…</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{chain_cell}</td></tr>",
            esc(hex_of(&s.station.key_id)),
            esc(&s.station.name),
            esc(&s.station.site),
            esc(&s.station.key_id.chars().take(23).collect::<String>()),
            status(l, s),
            s.certificates,
            s.highest_sequence
                .map_or_else(|| "—".to_string(), |n| format!("#{n}")),
            esc(&s
                .last_received_at
                .as_deref()
                .map(short_time)
                .unwrap_or_default()),
        );
    }
    body.push_str("</tbody>\n</table>\n");
    ctx.page(StatusCode::OK, t(l, "Stations", "Stations"), &body)
}

fn status(l: Language, s: &StationSummary) -> String {
    match &s.station.revoked_at {
        Some(at) => format!(
            "<span class=\"bad\">{} {}</span>",
            t(l, "revoked", "révoquée"),
            esc(&short_time(at))
        ),
        None => format!(
            "<span class=\"ok\">{}</span>",
            t(l, "enrolled", "enregistrée")
        ),
    }
}

/// `GET /stations/{hex of the key id}`
pub async fn page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Path(hex): Path<String>,
) -> Response {
    let ctx = match Ctx::guard(&app, &headers, &uri).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let l = ctx.lang;
    let Some(key_id) = crate::util::digest_from_path(&hex) else {
        return ctx.message(
            StatusCode::NOT_FOUND,
            t(l, "No such station.", "Station inconnue."),
        );
    };
    let summaries = match app.store.stations().await {
        Ok(s) => s,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let Some(summary) = summaries.into_iter().find(|s| s.station.key_id == key_id) else {
        return ctx.message(
            StatusCode::NOT_FOUND,
            t(l, "No such station.", "Station inconnue."),
        );
    };
    let (rows, conflicts) = match (
        app.store.station_certificates(key_id.clone()).await,
        app.store.conflicts(key_id.clone()).await,
    ) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(e), _) | (_, Err(e)) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let s = &summary.station;
    let links = match links_of(app.store.as_ref(), &rows).await {
        Ok(l) => l,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let skipped = chain::skips(&key_id, &links);
    let (_, gaps) = chain::check_station(&key_id, links);
    let mut body = format!(
        "<h1>{} {}</h1>\n<table>\n\
         <tr><td class=\"k\">{}</td><td>{}</td></tr>\n\
         <tr><td class=\"k\">{}</td><td class=\"mono\" id=\"key-id\">{}</td></tr>\n\
         <tr><td class=\"k\">{}</td><td id=\"status\">{}</td></tr>\n\
         <tr><td class=\"k\">{}</td><td>{} ({}{})</td></tr>\n\
         </table>\n<details><summary>{}</summary><pre>{}</pre></details>\n",
        t(l, "Station", "Station"),
        esc(&s.name),
        t(l, "Site", "Site"),
        esc(&s.site),
        t(l, "Key id (fingerprint)", "Identifiant de clé (empreinte)"),
        esc(&s.key_id),
        t(l, "Status", "État"),
        status(l, &summary),
        t(l, "Enrolled", "Enregistrée le"),
        esc(&short_time(&s.enrolled_at)),
        esc(&s.enrolled_via),
        s.note
            .as_deref()
            .map_or(String::new(), |n| format!(", {}", esc(n))),
        t(l, "Public key (PEM)", "Clé publique (PEM)"),
        esc(&s.public_key_pem),
    );
    let _ = write!(
        body,
        "<h2>{}</h2>\n<div class=\"box\" id=\"chain\">\n<p id=\"highest\">{}</p>\n",
        t(l, "Chain", "Chaîne"),
        match (summary.highest_sequence, &summary.highest_received_at) {
            (Some(n), Some(at)) => format!(
                "{} <strong>#{n}</strong>, {} {} — {}",
                t(
                    l,
                    "Highest sequence received:",
                    "Numéro le plus élevé reçu :"
                ),
                t(l, "received", "reçu le"),
                esc(&short_time(at)),
                t(
                    l,
                    "if the station has issued more since, the newest certificates are missing.",
                    "si la station en a émis d'autres depuis, les plus récents manquent."
                )
            ),
            _ => t(l, "Nothing received yet.", "Rien reçu pour l'instant.").to_string(),
        }
    );
    if gaps.is_empty() && conflicts.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"ok\" id=\"chain-status\">{}</p>",
            t(
                l,
                "Chain intact: every certificate from #1 to the highest is here (or declared skipped) and links to its predecessor.",
                "Chaîne intacte : chaque certificat du n°1 au plus élevé est là (ou déclaré sauté) et pointe vers le précédent."
            )
        );
    } else {
        let _ = writeln!(body, "<ul class=\"bad\" id=\"chain-status\">");
        for g in &gaps {
            let _ = writeln!(body, "<li>{}</li>", esc(&gap_text(l, g)));
        }
        for c in &conflicts {
            let _ = writeln!(
                body,
                "<li>{} #{} ({}) — <span class=\"mono\">{}</span>, {}</li>",
                t(
                    l,
                    "refused: a second, different certificate",
                    "refusé : un second certificat, différent,"
                ),
                c.sequence,
                esc(&c.certificate_id),
                esc(&c.digest),
                esc(&short_time(&c.received_at)),
            );
        }
        let _ = writeln!(body, "</ul>");
    }
    if !skipped.is_empty() {
        let _ = writeln!(body, "<ul id=\"chain-skipped\">");
        for s in &skipped {
            let _ = writeln!(
                body,
                "<li>{}{} {} {}</li>",
                t(l, "#", "n°"),
                s.sequence,
                t(
                    l,
                    "skipped, as declared (signed) by",
                    "sauté, comme le déclare (signé)"
                ),
                esc(&s.by),
            );
        }
        let _ = writeln!(
            body,
            "</ul>\n<p class=\"note\">{}</p>",
            t(
                l,
                "A skipped number is no deletion: its file on the stick was not a certificate \
                 (damaged) when the next one was issued, which says so in its signed content.",
                "Un numéro sauté n'est pas une suppression : son fichier sur la clé n'était pas \
                 un certificat (abîmé) quand le suivant a été émis, qui le dit dans son contenu signé."
            )
        );
    }
    body.push_str("</div>\n");
    let _ = write!(
        body,
        "<h2>{}</h2>\n<table class=\"list\" id=\"station-certificates\">\n<thead><tr><th>#</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        t(
            l,
            "Certificates, in sequence order",
            "Certificats, dans l'ordre"
        ),
        t(l, "Certificate", "Certificat"),
        t(l, "Issued (UTC)", "Émis (UTC)"),
        t(l, "Received (UTC)", "Reçu (UTC)"),
        t(l, "Result", "Résultat"),
    );
    for r in &rows {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td><a href=\"/c/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.sequence,
            esc(hex_of(&r.digest)),
            esc(&r.id),
            esc(&short_time(&r.issued_at)),
            esc(&short_time(&r.received_at)),
            result_label(l, &r.result),
        );
    }
    body.push_str("</tbody>\n</table>\n");
    ctx.page(StatusCode::OK, &s.name, &body)
}
