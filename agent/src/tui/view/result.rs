//! The result: the verdict with its reasons and actions, each disk's result line (from the one
//! predicate, `DeviceWipe::is_sanitized`), where the certificate was saved, and its QR code.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{boxed, vga};
use crate::flow::medium::Home;
use crate::model::Language;
use crate::tui::i18n::t;
use crate::tui::model::Model;
use crate::tui::palette;
use crate::verdict::{Decision, messages};
use crate::wipe::report::{DeviceWipe, Outcome};

/// What became of one disk, in words, and whether it is sanitized — the same truth as the
/// console's result line: only `is_sanitized` says SANITIZED.
pub fn result_line(lang: Language, d: &DeviceWipe) -> (String, bool) {
    if d.is_sanitized() {
        let done = format!(
            "{} - {}",
            t(lang, "SANITIZED", "EFFACÉ"),
            messages::level(d.level)
        );
        let text = match d.writes_retried() {
            0 => done,
            n => format!(
                "{done} ({n} {})",
                t(
                    lang,
                    "write(s) needed a retry: check the disk's health",
                    "écriture(s) reprise(s) : vérifier la santé du disque"
                )
            ),
        };
        return (text, true);
    }
    let text = match d.outcome {
        Outcome::Unverified => t(
            lang,
            "WRITTEN BUT NOT VERIFIED - not sanitized",
            "ÉCRIT MAIS NON VÉRIFIÉ - non effacé",
        )
        .to_owned(),
        Outcome::Cancelled => {
            t(lang, "CANCELLED - not sanitized", "ANNULÉ - non effacé").to_owned()
        }
        Outcome::Failed | Outcome::Passed => {
            let why = d
                .errors
                .iter()
                .find(|e| e.operation.breaks_sanitization())
                .map_or_else(
                    || t(lang, "verification failed", "vérification en échec").to_owned(),
                    // The record's message is the engine's, in English; in French, its kind
                    // and where.
                    |e| match lang {
                        Language::En => e.message.clone(),
                        Language::Fr => match e.lba {
                            Some(lba) => format!("{} (LBA {lba})", e.operation.words_fr()),
                            None => e.operation.words_fr().to_owned(),
                        },
                    },
                );
            format!("{} - {why}", t(lang, "FAILED", "ÉCHEC"))
        }
    };
    (text, false)
}

fn lines(m: &Model) -> Vec<Line<'_>> {
    let l = m.cfg.lang();
    let Some(r) = &m.result else {
        return Vec::new();
    };
    let v = &r.verdict;
    let style = match v.decision {
        Decision::Refurbish => palette::good(),
        Decision::Recycle => palette::bad(),
    };
    let mut out = vec![Line::from(vec![
        Span::styled(messages::decision(v.decision, l).to_uppercase(), style),
        Span::styled(
            format!(
                "  {} {}",
                t(l, "grade", "note"),
                vga(messages::grade(v.grade, l))
            ),
            palette::value(),
        ),
    ])];
    out.push(Line::from(Span::styled(
        t(l, "Disks", "Disques"),
        palette::label(),
    )));
    if r.devices.is_empty() {
        out.push(Line::from(t(
            l,
            " no disk was wiped",
            " aucun disque effacé",
        )));
    }
    for d in &r.devices {
        let (text, ok) = result_line(l, d);
        let name = m
            .stands_for
            .get(&d.device.id)
            .cloned()
            .unwrap_or_else(|| d.device.dev_path.clone());
        out.push(Line::from(vec![
            Span::styled(
                format!(" {}: ", name.trim_start_matches("/dev/")),
                palette::value(),
            ),
            Span::styled(
                vga(&text),
                if ok { palette::good() } else { palette::bad() },
            ),
        ]));
    }
    for d in &r.appeared {
        out.push(Line::from(vec![
            Span::styled(
                format!(" {}: ", d.dev_path.trim_start_matches("/dev/")),
                palette::value(),
            ),
            Span::styled(
                t(
                    l,
                    "APPEARED DURING THE RUN - not sanitized",
                    "APPARU PENDANT L'EFFACEMENT - non effacé",
                ),
                palette::bad(),
            ),
        ]));
    }
    out.extend(super::install::outcome_lines(m));
    let cleared = r
        .devices
        .iter()
        .filter(|d| d.level == crate::model::Level::Clear)
        .count();
    if r.requested_purge && cleared > 0 {
        out.push(Line::from(Span::styled(
            format!(
                " {} {cleared} {}",
                t(l, "Purge requested:", "Purge demandée :"),
                t(
                    l,
                    "disk(s) could only be cleared",
                    "disque(s) seulement en Clear"
                ),
            ),
            palette::warn(),
        )));
    }
    if !v.actions.is_empty() {
        out.push(Line::from(Span::styled(
            t(l, "Actions", "Actions"),
            palette::label(),
        )));
        for (a, cost) in v.priced_actions() {
            out.push(Line::from(vec![
                Span::styled(" -> ", palette::warn()),
                Span::styled(vga(&super::action_text(v, a, cost, l)), palette::value()),
            ]));
        }
        out.extend(super::plan_total(v, l));
    }
    out.push(Line::from(Span::styled(
        t(l, "Certificate", "Certificat"),
        palette::label(),
    )));
    let folder = m.cfg.certificate_home();
    let folder = folder.as_path();
    match (
        m.home,
        r.certificate
            .strip_prefix(folder.parent().unwrap_or(folder)),
    ) {
        (Home::Stick, Ok(rel)) => out.push(Line::from(Span::styled(
            format!(
                " {} ({})",
                rel.display(),
                t(l, "on the data partition", "sur la partition de données")
            ),
            palette::value(),
        ))),
        (Home::Memory, _) => {
            out.push(Line::from(Span::styled(
                format!(" {}", r.certificate.display()),
                palette::value(),
            )));
            // No stick: the operator must know the certificate is not kept yet.
            out.push(Line::from(Span::styled(
                match m.cfg.server() {
                    Some(_) => t(
                        l,
                        " ONLY IN MEMORY (no stick): kept once the workshop server has it",
                        " SEULEMENT EN MÉMOIRE (pas de clé) : gardé quand le serveur l'aura reçu",
                    ),
                    None => t(
                        l,
                        " ONLY IN MEMORY (no stick, no server): LOST at power-off",
                        " SEULEMENT EN MÉMOIRE (ni clé ni serveur) : PERDU à l'extinction",
                    ),
                },
                palette::bad(),
            )));
        }
        _ => out.push(Line::from(Span::styled(
            format!(" {}", r.certificate.display()),
            palette::value(),
        ))),
    }
    match &r.digest {
        Ok(d) => out.push(Line::from(vec![
            Span::styled(
                format!(" {}...", d.chars().take(23).collect::<String>()),
                palette::value(),
            ),
            Span::styled(t(l, " (verified)", " (vérifié)"), palette::good()),
        ])),
        Err(e) => out.push(Line::from(Span::styled(
            format!(" {}: {}", t(l, "DOES NOT VERIFY", "NON VÉRIFIABLE"), vga(e)),
            palette::bad(),
        ))),
    }
    out.push(Line::from(Span::styled(
        match m.cfg.server() {
            Some(s) => format!(
                " {} {s}: {}",
                t(l, "Upload to", "Envoi vers"),
                t(l, "when this screen closes", "à la fermeture de cet écran")
            ),
            None => t(
                l,
                " Upload: no workshop server",
                " Envoi : pas de serveur d'atelier",
            )
            .to_owned(),
        },
        palette::dim(),
    )));
    if !v.reasons.is_empty() {
        out.push(Line::from(Span::styled(
            t(l, "Reasons", "Motifs"),
            palette::label(),
        )));
        for reason in &v.reasons {
            out.push(Line::from(Span::styled(
                format!(" • {}", vga(&messages::reason(reason, l))),
                palette::dim(),
            )));
        }
    }
    out
}

pub fn result(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let text = lines(m);
    let qr = m.qr();
    let (qw, qh) = qr.as_ref().map_or((0, 0), |q| q.cells());
    let fits_beside = qr.is_some() && area.width >= qw + 30 && area.height >= qh;
    if !fits_beside {
        f.render_widget(
            Paragraph::new(text)
                .block(boxed(t(l, "Result", "Résultat")))
                .wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Min(28), Constraint::Length(qw + 1)]).areas(area);
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), left);
    let q = qr.expect("fits_beside needs a code");
    let code = Rect {
        x: right.x + 1,
        y: right.y,
        width: qw,
        height: qh,
    };
    f.render_widget(Paragraph::new(q.lines()), code);
    if right.height > qh {
        let caption = Rect {
            x: right.x + 1,
            y: right.y + qh,
            width: qw,
            height: 1,
        };
        f.render_widget(
            Paragraph::new(if m.cfg.server().is_some() {
                t(
                    l,
                    "scan: certificate's page",
                    "scanner : page du certificat",
                )
            } else {
                t(
                    l,
                    "scan: certificate digest",
                    "scanner : empreinte du certificat",
                )
            })
            .style(palette::dim()),
            caption,
        );
    }
}
