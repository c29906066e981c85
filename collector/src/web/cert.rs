//! The certificate page, `/c/<hex of the digest>`: the URL a certificate's QR code holds. It
//! re-checks the stored bytes with `reprise_cert::envelope::verify` on every view, shows the
//! station and the certificate's place in its chain, the priced refurbishment plan (each action's
//! cost, the total and the budget) when the verdict was priced, then the full content as
//! `reprise_cert::render` writes it, after the refurbishment record that follows it when one was
//! received (re-checked the same way). `/c/<hex>.json` is the exact file as received.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::{self, HeaderMap};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use reprise_cert::chain;
use reprise_cert::envelope;
use reprise_cert::messages;
use reprise_cert::model::{Certificate, Language};
use reprise_cert::refurbish;
use reprise_cert::render;

use super::list::{decision_label, hex_of, short_time};
use super::stations::links_of;
use super::{App, Ctx, t};
use crate::store::StoredRecord;
use crate::util::{digest_from_path, esc};

/// A certificate id as a download name: the id comes from the station, so only
/// `[A-Za-z0-9._-]` is kept (no quote or line break can reach the header).
fn file_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `GET /c/{hex}` and `GET /c/{hex}.json`
pub async fn page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Path(name): Path<String>,
) -> Response {
    let ctx = match Ctx::guard(&app, &headers, &uri).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let l = ctx.lang;
    let (hex, raw) = match name.strip_suffix(".json") {
        Some(h) => (h, true),
        None => (name.as_str(), false),
    };
    let not_found = || {
        ctx.message(
            StatusCode::NOT_FOUND,
            t(l, "No such certificate.", "Certificat inconnu."),
        )
    };
    let Some(digest) = digest_from_path(hex) else {
        return not_found();
    };
    let stored = match app.store.certificate(digest.clone()).await {
        Ok(Some(s)) => s,
        Ok(None) => return not_found(),
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    if raw {
        let mut resp = (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}.json\"",
                        file_name(&stored.row.id)
                    ),
                ),
            ],
            stored.body,
        )
            .into_response();
        ctx.apply(&mut resp);
        return resp;
    }
    let row = &stored.row;
    let station = match app.store.station(row.station_key_id.clone()).await {
        Ok(s) => s,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let siblings = match app
        .store
        .station_certificates(row.station_key_id.clone())
        .await
    {
        Ok(s) => s,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let base = app.base_url(&headers);
    let url = format!("{base}/c/{}", hex_of(&digest));

    // The signature, checked again now, on the bytes as stored.
    let verified = envelope::verify(&stored.body, None);
    let mut check = String::new();
    let cert = match &verified {
        Ok(v) if v.digest == row.digest => {
            let _ = writeln!(
                check,
                "<p id=\"signature\" class=\"ok\">✔ {}</p>\n<p>{} <span class=\"mono\">{}</span></p>",
                t(
                    l,
                    "Signature valid: Ed25519 over the RFC 8785 canonical content, checked now on the stored file.",
                    "Signature valide : Ed25519 sur le contenu canonique RFC 8785, vérifiée à l'instant sur le fichier conservé."
                ),
                t(l, "Signing key", "Clé de signature"),
                esc(&v.key_id)
            );
            Some(&v.envelope.certificate)
        }
        Ok(v) => {
            let _ = writeln!(
                check,
                "<p id=\"signature\" class=\"bad\">✘ {} {}</p>",
                t(
                    l,
                    "Digest differs from the index:",
                    "L'empreinte diffère de l'index :"
                ),
                esc(&v.digest)
            );
            Some(&v.envelope.certificate)
        }
        Err(e) => {
            let _ = writeln!(
                check,
                "<p id=\"signature\" class=\"bad\">✘ {} {}</p>",
                t(l, "Signature INVALID:", "Signature INVALIDE :"),
                esc(&reprise_cert::error_chain(e))
            );
            None
        }
    };
    match &station {
        Some(s) => {
            let status = match &s.revoked_at {
                Some(at) => format!(
                    "<span class=\"bad\">{} {}</span>",
                    t(l, "key revoked on", "clé révoquée le"),
                    esc(&short_time(at))
                ),
                None => format!(
                    "<span class=\"ok\">{}</span>",
                    t(l, "key enrolled", "clé enregistrée")
                ),
            };
            let _ = writeln!(
                check,
                "<p>{} <a href=\"/stations/{}\">{}</a> ({}) — {status}; {} {}</p>",
                t(l, "Station", "Station"),
                esc(hex_of(&s.key_id)),
                esc(&s.name),
                esc(&s.site),
                t(l, "received", "reçu le"),
                esc(&short_time(&row.received_at)),
            );
        }
        None => {
            let _ = writeln!(
                check,
                "<p class=\"bad\">{}</p>",
                t(
                    l,
                    "Station key not enrolled.",
                    "Clé de station non enregistrée."
                )
            );
        }
    }

    // The laptop of an imported inventory this certificate is about, if any.
    let laptop = match row.serial.as_deref() {
        Some(serial) => match app.store.laptop(serial.to_string()).await {
            Ok(l) => l,
            Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
        },
        None => None,
    };
    let _ = writeln!(
        check,
        "<p id=\"lot\">{} {}</p>",
        t(l, "Laptop:", "Ordinateur :"),
        match &laptop {
            Some(life) => format!(
                "<a href=\"/laptops/{}\">{}</a> ({} {}, {})",
                super::enc(&life.laptop.laptop.serial),
                esc(&life.laptop.laptop.serial),
                t(l, "lot", "lot"),
                esc(&life.laptop.lot),
                esc(&life.laptop.site)
            ),
            None => super::list::lot_cell(l, None, None),
        }
    );

    // Place in the chain.
    let mut chain_html = String::new();
    let highest = siblings.iter().map(|c| c.sequence).max().unwrap_or(0);
    let _ = writeln!(
        chain_html,
        "<p id=\"position\">{} #{} — {} {}, {} #{}</p>",
        t(l, "Certificate", "Certificat"),
        row.sequence,
        siblings.len(),
        t(l, "received from this station", "reçus de cette station"),
        t(l, "highest", "le plus élevé"),
        highest
    );
    let prev = row
        .previous_digest
        .as_deref()
        .map(|d| (d, siblings.iter().find(|c| c.digest == d)));
    let _ = match prev {
        None => writeln!(
            chain_html,
            "<p>{}: {}</p>",
            t(l, "Previous", "Précédent"),
            t(
                l,
                "none (first of the station)",
                "aucun (premier de la station)"
            )
        ),
        Some((d, Some(p))) => writeln!(
            chain_html,
            "<p>{}: <a href=\"/c/{}\">#{} {}</a></p>",
            t(l, "Previous", "Précédent"),
            esc(hex_of(d)),
            p.sequence,
            esc(&p.id)
        ),
        Some((d, None)) => writeln!(
            chain_html,
            "<p class=\"warn\">{}: <span class=\"mono\">{}</span> — {}</p>",
            t(l, "Previous", "Précédent"),
            esc(d),
            t(l, "not received", "non reçu")
        ),
    };
    let next: Vec<_> = siblings
        .iter()
        .filter(|c| c.previous_digest.as_deref() == Some(row.digest.as_str()))
        .collect();
    if next.is_empty() {
        let _ = writeln!(
            chain_html,
            "<p>{}: {}</p>",
            t(l, "Next", "Suivant"),
            t(l, "none received yet", "aucun reçu pour l'instant")
        );
    }
    for n in &next {
        let _ = writeln!(
            chain_html,
            "<p>{}: <a href=\"/c/{}\">#{} {}</a></p>",
            t(l, "Next", "Suivant"),
            esc(hex_of(&n.digest)),
            n.sequence,
            esc(&n.id)
        );
    }
    let links = match links_of(app.store.as_ref(), &siblings).await {
        Ok(l) => l,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let (_, gaps) = chain::check_station(&row.station_key_id, links);
    let mine: Vec<String> = gaps
        .iter()
        .filter(|g| match g {
            chain::Gap::Fork { sequence, .. } => {
                *sequence == u64::try_from(row.sequence).unwrap_or(0)
            }
            chain::Gap::BrokenLink { file, .. } => *file == row.id,
            _ => false,
        })
        .map(ToString::to_string)
        .collect();
    for g in &mine {
        let _ = writeln!(chain_html, "<p class=\"bad\">⚠ {}</p>", esc(g));
    }

    let record = match app.store.record_of(row.digest.clone()).await {
        Ok(r) => r,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let record_html = record.map(|r| record_html(&r, l)).unwrap_or_default();

    let Some(cert) = cert else {
        let body = format!(
            "<h1>{}</h1>\n<div class=\"box\" id=\"check\">{check}</div>\n",
            esc(&row.id)
        );
        return ctx.page(StatusCode::OK, &row.id, &body);
    };
    let title = t(
        l,
        "Certificate of data sanitization (NIST SP 800-88)",
        "Certificat d'effacement des données (NIST SP 800-88)",
    );
    let body = format!(
        "<div class=\"cert-head\"><div><h1>{title}</h1>\n<p class=\"dest\" id=\"destination\">{}: \
         <strong>{}</strong></p>\n<p class=\"mono\">{}</p></div><div class=\"qr\">{}</div></div>\n\
         <h2>{}</h2>\n<div class=\"box\" id=\"check\">{check}</div>\n\
         <h2>{}</h2>\n<div class=\"box\" id=\"chain\">{chain_html}</div>\n\
         {record_html}{}\
         <p class=\"noprint\"><a href=\"/c/{}.json\" id=\"download\">{}</a> — {}</p>\n\
         <div id=\"content\" lang=\"{}\">\n{}</div>\n",
        t(l, "Destination", "Destination"),
        decision_label(l, &row.decision).to_uppercase(),
        esc(&url),
        render::qr_svg(&url),
        t(l, "Signature check", "Vérification de la signature"),
        t(l, "Chain of the station", "Chaîne de la station"),
        plan_html(cert, l),
        esc(hex_of(&digest)),
        t(
            l,
            "Download the signed file",
            "Télécharger le fichier signé"
        ),
        t(
            l,
            "print this page with the browser's Print command.",
            "imprimez cette page avec la commande Imprimer du navigateur."
        ),
        super::lang_code(cert.language),
        render::html_sections(cert, &row.digest),
    );
    ctx.page(StatusCode::OK, &row.id, &body)
}

/// The refurbishment record that follows the certificate (`POST /api/v1/records`): what was
/// installed, on which disk, how long it took and how it was checked — its signature checked
/// again now on the stored bytes, as the certificate's is.
fn record_html(stored: &StoredRecord, l: Language) -> String {
    let verified = match refurbish::verify(&stored.body, None) {
        Ok(v) if v.digest == stored.row.digest => v,
        Ok(v) => {
            return format!(
                "<h2>{}</h2>\n<div class=\"box\" id=\"record\"><p class=\"bad\">✘ {} {}</p></div>\n",
                t(l, "Refurbishment", "Remise en état"),
                t(
                    l,
                    "Record digest differs from the index:",
                    "L'empreinte de l'attestation diffère de l'index :"
                ),
                esc(&v.digest)
            );
        }
        Err(e) => {
            return format!(
                "<h2>{}</h2>\n<div class=\"box\" id=\"record\"><p class=\"bad\">✘ {} {}</p></div>\n",
                t(l, "Refurbishment", "Remise en état"),
                t(
                    l,
                    "Record signature INVALID:",
                    "Signature de l'attestation INVALIDE :"
                ),
                esc(&reprise_cert::error_chain(&e))
            );
        }
    };
    let r = &verified.envelope.certificate;
    let seconds = |ms: u64| format!("{}.{:01} s", ms / 1000, (ms % 1000) / 100);
    let disk = [r.disk.model.as_deref(), r.disk.serial.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let disk = if disk.is_empty() {
        r.disk.id.clone()
    } else {
        format!("{disk} ({})", r.disk.id)
    };
    let filesystem = match r.filesystem.as_str() {
        "grown" => t(l, "grown to fill the disk", "agrandi à la taille du disque"),
        "kept" => t(
            l,
            "kept as written (not ext4)",
            "laissé tel quel (pas ext4)",
        ),
        "already_full" => t(l, "already filled the disk", "occupait déjà tout le disque"),
        "not_grown" => t(l, "NOT grown", "NON agrandi"),
        other => other,
    };
    let note = r
        .filesystem_note
        .as_deref()
        .map(|n| format!(" — {}", esc(n)))
        .unwrap_or_default();
    let read_back = if r.read_back.result == "passed" && r.read_back.sha256 == r.image.sha256 {
        format!(
            "<span class=\"ok\">✔ {}</span>",
            t(
                l,
                "passed: the disk holds the image's exact bytes",
                "réussie : le disque contient exactement les octets de l'image"
            )
        )
    } else {
        format!(
            "<span class=\"bad\">✘ {} {}</span>",
            esc(&r.read_back.result),
            esc(&r.read_back.sha256)
        )
    };
    let rows = [
        (
            t(l, "Image", "Image"),
            format!(
                "<strong>{}</strong> {}",
                esc(&r.image.name),
                esc(&r.image.version)
            ),
        ),
        (
            "SHA-256",
            format!("<span class=\"mono\">{}</span>", esc(&r.image.sha256)),
        ),
        (t(l, "Disk", "Disque"), esc(&disk)),
        (
            t(l, "Bytes written", "Octets écrits"),
            r.bytes_written.to_string(),
        ),
        (
            t(l, "Duration", "Durée"),
            format!(
                "{} ({} {}, {} {})",
                seconds(r.duration_ms),
                t(l, "write", "écriture"),
                seconds(r.write_ms),
                t(l, "read-back", "relecture"),
                seconds(r.readback_ms)
            ),
        ),
        (t(l, "Read-back", "Relecture"), read_back),
        (
            t(l, "Filesystem", "Système de fichiers"),
            format!("{}{note}", esc(filesystem)),
        ),
        (
            t(l, "Installed on", "Installé le"),
            esc(&short_time(&r.issued_at)),
        ),
    ];
    let mut table = String::new();
    for (k, v) in rows {
        let _ = writeln!(table, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    format!(
        "<h2>{}</h2>\n<div class=\"box\" id=\"record\">\n<p class=\"ok\">✔ {}</p>\n\
         <table class=\"list\">\n{table}</table>\n<p class=\"mono\">{} {}</p>\n</div>\n",
        t(l, "Refurbishment", "Remise en état"),
        t(
            l,
            "Signed refurbishment record, signature valid (checked now on the stored file).",
            "Attestation de remise en état signée, signature valide (vérifiée à l'instant sur le fichier conservé)."
        ),
        esc(&verified.envelope.certificate.id),
        esc(&verified.digest),
    )
}

/// The refurbishment plan of a priced verdict: each action with its cost (the actions in the
/// certificate's language, the rest in the page's), the repairs' total and the budget with what
/// it is. Nothing for a certificate whose verdict was not priced (issued before prices): its
/// actions are in the content below, and no cost is made up for them.
fn plan_html(cert: &Certificate, l: Language) -> String {
    let v = &cert.verdict;
    let (Some(total), Some(budget)) = (v.repair_cost_cents, v.budget_cents) else {
        return String::new();
    };
    let cl = cert.language;
    let mut rows = String::new();
    for a in &v.actions {
        let cost = match a.cost_cents {
            Some(c) => esc(&messages::euros(c, l)),
            None if a.action.is_repair() => format!(
                "<span class=\"warn\">{}</span>",
                t(l, "not priced", "non chiffré")
            ),
            None => "—".into(),
        };
        let _ = writeln!(
            rows,
            "<tr><td>{}</td><td class=\"num\">{cost}</td></tr>",
            esc(&messages::action(&a.action, cl))
        );
    }
    let unpriced = v
        .actions
        .iter()
        .filter(|a| a.action.is_repair() && a.cost_cents.is_none())
        .count();
    let (class, verdict) = if total > budget {
        ("bad", t(l, "over the budget", "au-delà du budget"))
    } else {
        ("ok", t(l, "within the budget", "dans le budget"))
    };
    let note = if unpriced > 0 {
        format!(
            "<p class=\"warn\">{unpriced} {}</p>\n",
            t(
                l,
                "repair(s) not priced: the total leaves them out.",
                "réparation(s) non chiffrée(s) : le total ne les compte pas."
            )
        )
    } else {
        String::new()
    };
    let basis = v
        .budget_basis
        .as_deref()
        .map(|b| format!(" ({})", esc(b)))
        .unwrap_or_default();
    format!(
        "<h2>{}</h2>\n<div class=\"box\" id=\"plan\">\n<table class=\"list\">\n<thead><tr><th>{}</th><th>{}</th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table>\n\
         <p id=\"repair-total\">{}: <strong>{}</strong> — <span class=\"{class}\">{verdict}</span></p>\n\
         <p id=\"budget\">{}: {}{basis}</p>\n{note}</div>\n",
        t(l, "Refurbishment plan", "Plan de remise en état"),
        t(l, "Action", "Action"),
        t(l, "Cost (TTC)", "Coût (TTC)"),
        t(l, "Repairs", "Réparations"),
        esc(&messages::euros(total, l)),
        t(l, "Budget", "Budget"),
        esc(&messages::euros(budget, l)),
    )
}

#[cfg(test)]
mod tests {
    use crate::util::digest_from_path;

    #[test]
    fn download_names_keep_only_safe_characters() {
        assert_eq!(super::file_name("0123abcd-00000001"), "0123abcd-00000001");
        assert_eq!(super::file_name("a\"b\r\nc/d"), "a_b__c_d");
    }

    #[test]
    fn only_64_hex_digits_name_a_certificate() {
        let hex = "AB".repeat(32);
        assert_eq!(
            digest_from_path(&hex),
            Some(format!("sha256:{}", "ab".repeat(32)))
        );
        assert_eq!(digest_from_path("ab"), None);
        assert_eq!(digest_from_path(&"zz".repeat(32)), None);
        assert_eq!(digest_from_path(&format!("{}/..", "a".repeat(61))), None);
    }
}
