//! The confirmation: every disk about to be destroyed, named by model, serial and size; the
//! two keys that start the wipe (F10, then Enter) and where the operator is between them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{boxed, vga};
use crate::tui::i18n::{self, t};
use crate::tui::model::Model;
use crate::tui::palette;
use crate::wipe::VerifySpec;

pub fn confirm(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let [banner, list, steps] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(4),
    ])
    .areas(area);
    let Ok(plan) = &m.plan else {
        f.render_widget(
            Paragraph::new(m.plan.as_ref().err().cloned().unwrap_or_default())
                .style(palette::bad()),
            area,
        );
        return;
    };
    let n = plan.targets().len();
    let banner_text = if n == 0 {
        t(
            l,
            " No disk will be written. ",
            " Aucun disque ne sera écrit. ",
        )
        .to_owned()
    } else {
        format!(
            " {} {n} {} ",
            t(
                l,
                "ALL DATA WILL BE DESTROYED ON",
                "TOUTES LES DONNÉES SERONT DÉTRUITES SUR"
            ),
            t(l, "DISK(S):", "DISQUE(S) :")
        )
    };
    f.render_widget(
        Paragraph::new(banner_text).style(if n == 0 {
            palette::warn()
        } else {
            palette::danger()
        }),
        banner,
    );
    let verify = match plan.verify {
        VerifySpec::None => t(l, "no verification", "sans vérification").to_owned(),
        VerifySpec::Full => t(l, "full verification", "vérification complète").to_owned(),
        VerifySpec::Sample { permille } => format!(
            "{} {}",
            t(l, "verification of a sample of", "vérification sur"),
            i18n::percent(permille)
        ),
    };
    let mut lines: Vec<Line<'_>> = Vec::new();
    for (i, d) in plan.targets().iter().enumerate() {
        let id = d.identity();
        let name = m
            .stands_for
            .get(&id.id)
            .cloned()
            .unwrap_or_else(|| id.dev_path.clone());
        lines.push(Line::from(vec![
            Span::styled(format!("{}. {name}  ", i + 1), palette::heading()),
            Span::styled(
                vga(id
                    .model
                    .as_deref()
                    .unwrap_or(t(l, "unknown model", "modèle inconnu"))),
                palette::value(),
            ),
        ]));
        lines.push(Line::from(vec![
            Span::styled(format!("   {} ", t(l, "S/N", "N/S")), palette::label()),
            Span::styled(vga(id.serial.as_deref().unwrap_or("?")), palette::value()),
            Span::styled(
                format!("  {}  ", i18n::size(l, id.size_bytes)),
                palette::value(),
            ),
            Span::styled(format!("{}, {verify}", i18n::technique(d)), palette::dim()),
        ]));
        // Under Purge, why each disk gets what it gets: the operator confirms a firmware erase
        // or an overwrite knowing which, and why a disk cannot be purged.
        if plan.level == crate::model::Level::Purge
            && let Some(why) = i18n::technique_reason(l, d)
        {
            let style = match d.strategy().map(|s| s.level) {
                Some(crate::model::Level::Purge) => palette::dim(),
                _ => palette::warn(),
            };
            lines.push(Line::from(Span::styled(format!("   {}", vga(&why)), style)));
        }
    }
    for s in &plan.skipped {
        lines.push(Line::from(Span::styled(
            format!(
                "{} {} ({})",
                t(l, "Not touched:", "Non touché :"),
                m.stands_for.get(&s.disk.id).unwrap_or(&s.disk.dev_path),
                s.reason.words(l, false)
            ),
            palette::dim(),
        )));
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(boxed(t(l, "Disks to sanitize", "Disques à effacer")))
            .wrap(Wrap { trim: false }),
        list,
    );
    let step_lines = if m.automatic() {
        let left = m
            .cfg
            .auto_step
            .saturating_sub(m.now.saturating_sub(m.auto.since));
        vec![Line::from(Span::styled(
            format!(
                "{} {} s. (Esc: {})",
                t(
                    l,
                    "Automatic mode: the wipe starts in",
                    "Mode automatique : l'effacement commence dans"
                ),
                left.as_secs() + u64::from(left.subsec_millis() > 0),
                t(l, "stop", "arrêter")
            ),
            palette::warn(),
        ))]
    } else {
        let armed = m.armed();
        let (one, two) = if armed {
            (palette::good(), palette::danger())
        } else {
            (palette::danger(), palette::dim())
        };
        let mut v = vec![
            Line::from(vec![
                Span::styled(t(l, " 1. Press F10 ", " 1. Appuyez sur F10 "), one),
                Span::raw(if armed { t(l, "  done", "  fait") } else { "" }),
            ]),
            Line::from(vec![Span::styled(
                t(
                    l,
                    " 2. Then Enter: the wipe starts ",
                    " 2. Puis Entrée : l'effacement commence ",
                ),
                two,
            )]),
            Line::from(Span::styled(
                t(l, "Esc: back", "Échap : retour"),
                palette::dim(),
            )),
        ];
        if let Some(n) = &m.notice {
            v.push(Line::from(Span::styled(n.clone(), palette::warn())));
        }
        v
    };
    f.render_widget(Paragraph::new(step_lines), steps);
}
