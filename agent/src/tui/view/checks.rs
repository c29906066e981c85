//! The checks' screens: the keyboard map lighting up, the solid colours, the cooling load.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{boxed, wipe::gauge};
use crate::checks::keyboard::{ESC_TO_FINISH, rows};
use crate::tui::i18n::{self, t};
use crate::tui::model::Model;
use crate::tui::palette;
use crate::tui::update::colour_name;

pub fn keyboard(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let Some(k) = &m.keyboard else { return };
    let mut lines = vec![
        Line::from(Span::styled(
            t(
                l,
                "Press every key. The keys light up; the ones never pressed are recorded.",
                "Appuyez sur chaque touche. Elles s'allument ; celles jamais pressées sont notées.",
            ),
            palette::value(),
        )),
        Line::from(Span::styled(
            format!(
                "{} {ESC_TO_FINISH} {}  ({}: {})",
                t(l, "Esc", "Échap"),
                t(
                    l,
                    "times in a row ends the check",
                    "fois de suite termine le test"
                ),
                t(l, "map", "disposition"),
                k.layout.name()
            ),
            palette::dim(),
        )),
        Line::from(""),
    ];
    let mut i = 0;
    for row in rows(k.layout) {
        let mut spans = Vec::new();
        for cap in row {
            let lit = k.pressed.get(i).copied().unwrap_or(false);
            i += 1;
            let style = if lit {
                palette::gauge_good()
            } else {
                palette::cursor()
            };
            spans.push(Span::styled(format!(" {} ", cap.label), style));
            spans.push(Span::raw(" "));
        }
        lines.push(Line::from(spans));
        lines.push(Line::from(""));
    }
    let pressed = k.pressed.iter().filter(|p| **p).count();
    lines.push(Line::from(Span::styled(
        format!(
            "{pressed}/{} {}",
            k.caps.len(),
            t(l, "keys answered", "touches répondent")
        ),
        palette::label(),
    )));
    f.render_widget(
        Paragraph::new(lines).block(boxed(t(l, "Keyboard", "Clavier"))),
        area,
    );
}

fn solid(c: &str) -> Color {
    match c {
        "white" => Color::White,
        "red" => Color::LightRed,
        "green" => Color::LightGreen,
        "blue" => Color::LightBlue,
        _ => Color::Black,
    }
}

/// A whole screen of one colour, drawn with full blocks: the VGA console can show bright
/// colours only as foregrounds.
pub fn colours(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let Some(c) = m.colours.colour() else { return };
    let colour = solid(c);
    let buf = f.buffer_mut();
    for y in area.y..area.y + area.height {
        for x in area.x..area.x + area.width {
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_symbol("█");
                cell.set_style(Style::default().fg(colour).bg(Color::Black));
            }
        }
    }
    // The hint stays only a moment, so the whole screen can be inspected.
    if m.now.saturating_sub(m.auto.since) < std::time::Duration::from_secs(3) {
        let hint = format!(
            " {} ({}/{}). Enter: {}  F8: {}  Esc: {} ",
            colour_name(l, c),
            m.colours.shown + 1,
            crate::checks::screen::COLOURS.len(),
            t(l, "next", "suivant"),
            t(l, "defect seen", "défaut vu"),
            t(l, "stop", "arrêter")
        );
        let y = area.y + area.height.saturating_sub(1);
        buf.set_stringn(area.x, y, &hint, usize::from(area.width), palette::keys());
    }
}

pub fn cooling(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let c = &m.cooling;
    let [info, bar, history] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    let last = c.samples.last();
    let max = c
        .samples
        .iter()
        .skip(1)
        .filter_map(|s| s.millicelsius)
        .max();
    let text = vec![
        Line::from(t(
            l,
            "Every CPU is loaded; a clogged fan or dry thermal paste shows as heat or throttling.",
            "Tous les coeurs sont chargés ; un ventilateur encrassé ou une pâte sèche se voient vite.",
        )),
        Line::from(vec![
            Span::styled(
                format!("{:<12}", t(l, "Temperature", "Température")),
                palette::label(),
            ),
            Span::styled(
                last.and_then(|s| s.millicelsius).map_or_else(
                    || t(l, "no sensor", "pas de capteur").to_owned(),
                    i18n::celsius,
                ),
                palette::value(),
            ),
            Span::styled(format!("   {} ", t(l, "peak", "max")), palette::label()),
            Span::styled(
                max.map_or_else(|| "?".into(), i18n::celsius),
                palette::value(),
            ),
        ]),
        Line::from(vec![
            Span::styled(
                format!("{:<12}", t(l, "Frequency", "Fréquence")),
                palette::label(),
            ),
            Span::styled(
                last.and_then(|s| s.khz)
                    .map_or_else(|| "?".into(), |k| i18n::ghz(l, k)),
                palette::value(),
            ),
            Span::styled(
                format!("   {} ", t(l, "throttling", "bridage")),
                palette::label(),
            ),
            Span::styled(
                match (
                    c.samples.first().and_then(|s| s.throttle_events),
                    last.and_then(|s| s.throttle_events),
                ) {
                    (Some(a), Some(b)) => b.saturating_sub(a).to_string(),
                    _ => "?".into(),
                },
                palette::value(),
            ),
        ]),
        Line::from(Span::styled(
            match &c.record {
                Some(_) => t(
                    l,
                    "Done: recorded. Esc or Enter: back.",
                    "Terminé : noté. Échap ou Entrée : retour.",
                )
                .to_owned(),
                None => t(
                    l,
                    "Esc: stop early (what was measured is kept)",
                    "Échap : arrêter (les mesures sont gardées)",
                )
                .to_owned(),
            },
            palette::dim(),
        )),
    ];
    f.render_widget(Paragraph::new(text), info);
    let elapsed = u64::try_from(m.now.saturating_sub(c.started).as_millis()).unwrap_or(0);
    let permille = if c.record.is_some() {
        1000
    } else {
        u32::try_from(
            (elapsed * 1000)
                .checked_div(m.cfg.cooling_ms)
                .unwrap_or(0)
                .min(1000),
        )
        .unwrap_or(0)
    };
    gauge(
        f.buffer_mut(),
        bar,
        permille,
        &format!(
            " {} / {}",
            i18n::clock(elapsed.min(m.cfg.cooling_ms)),
            i18n::clock(m.cfg.cooling_ms)
        ),
        palette::gauge_done(),
    );
    let rows: Vec<Line<'_>> = c
        .samples
        .iter()
        .rev()
        .take(usize::from(history.height.saturating_sub(2)))
        .map(|s| {
            Line::from(format!(
                "{:>5}  {:>7}  {:>8}  CPU {}",
                i18n::clock(s.at_ms),
                s.millicelsius.map_or_else(|| "?".into(), i18n::celsius),
                s.khz.map_or_else(|| "?".into(), |k| i18n::ghz(l, k)),
                s.load_permille.map_or_else(|| "?".into(), i18n::percent),
            ))
        })
        .collect();
    f.render_widget(
        Paragraph::new(rows).block(boxed(t(l, "Readings", "Mesures"))),
        history,
    );
}
