//! The wipe: one gauge per disk (pass, phase, %, MB/s, ETA), the log, the live panel and the
//! RAM test running alongside.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{boxed, vga};
use crate::tui::i18n::{self, t};
use crate::tui::model::{DiskProgress, Model, RunState};
use crate::tui::palette;
use crate::tui::update::phase_name;
use crate::verdict::messages;
use crate::wipe::report::Outcome;

/// A gauge: `label` over a bar filled to `permille`.
pub fn gauge(buf: &mut Buffer, area: Rect, permille: u32, label: &str, filled: Style) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let done = u16::try_from(u32::from(area.width) * permille.min(1000) / 1000).unwrap_or(0);
    buf.set_style(area, palette::gauge_rest());
    buf.set_style(
        Rect {
            width: done,
            ..area
        },
        filled,
    );
    let text: String = label.chars().take(usize::from(area.width)).collect();
    for (i, ch) in text.chars().enumerate() {
        let x = area.x + u16::try_from(i).unwrap_or(0);
        if let Some(cell) = buf.cell_mut((x, area.y)) {
            cell.set_symbol(&ch.to_string());
        }
    }
    // The rest of the bar shows its cells as light shade, so it reads as a bar in monochrome too.
    for x in
        area.x + u16::try_from(text.chars().count()).unwrap_or(0).max(done)..area.x + area.width
    {
        if let Some(cell) = buf.cell_mut((x, area.y)) {
            cell.set_symbol("░");
        }
    }
}

fn disk_gauge(m: &Model, d: &DiskProgress, buf: &mut Buffer, area: Rect) {
    let l = m.cfg.lang();
    let (permille, text, style) = match (&d.finished, &d.last) {
        (Some(o), _) => (
            1000,
            format!(" {} {}", d.name, messages::outcome(*o, l)),
            if *o == Outcome::Passed {
                palette::gauge_good()
            } else {
                palette::gauge_bad()
            },
        ),
        (None, Some(p)) => {
            let pm = u32::try_from(
                (p.bytes_done * 1000)
                    .checked_div(p.bytes_total)
                    .unwrap_or(0),
            )
            .unwrap_or(0);
            let eta = p
                .eta_ms
                .map(|ms| format!(" ETA {}", i18n::clock(ms)))
                .unwrap_or_default();
            (
                pm,
                format!(
                    " {} {} {}/{} {} {} {}{eta}",
                    d.name,
                    t(l, "pass", "passe"),
                    p.pass,
                    p.passes,
                    phase_name(l, p.phase),
                    i18n::percent(pm),
                    i18n::rate(l, p.rate_bps),
                ),
                palette::gauge_done(),
            )
        }
        (None, None) => (
            0,
            format!(" {} {}", d.name, t(l, "opening...", "ouverture...")),
            palette::gauge_done(),
        ),
    };
    gauge(buf, area, permille, &vga(&text), style);
}

pub fn wipe(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let disks = m.run.disks();
    let n = u16::try_from(disks.len()).unwrap_or(u16::MAX);
    let rows_per_disk = if area.height >= n * 2 + 8 { 2 } else { 1 };
    let [head, gauges, rest] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(n.saturating_mul(rows_per_disk)),
        Constraint::Min(3),
    ])
    .areas(area);
    let (elapsed, cancelling) = match &m.run {
        RunState::Running {
            started,
            cancelling,
            ..
        } => (m.now.saturating_sub(*started), *cancelling),
        RunState::Done { took, .. } => (*took, false),
        RunState::NotStarted => (Default::default(), false),
    };
    let mut head_spans = vec![Span::styled(
        format!(
            "{} {} {} | {} {}",
            t(l, "Wiping", "Effacement de"),
            disks.len(),
            t(l, "disk(s)", "disque(s)"),
            i18n::clock(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)),
            t(l, "elapsed", "écoulé"),
        ),
        palette::heading(),
    )];
    if m.purge_requested() {
        head_spans.push(Span::styled(" | Purge", palette::warn()));
    }
    if cancelling {
        head_spans.push(Span::styled(
            t(l, " | CANCELLING", " | ANNULATION"),
            palette::bad(),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(head_spans)), head);
    for (i, d) in disks.iter().enumerate() {
        let y = gauges.y + u16::try_from(i).unwrap_or(0) * rows_per_disk;
        if y >= gauges.y + gauges.height {
            break;
        }
        if rows_per_disk == 2 {
            let label = format!("{}  {}  {}", d.name, vga(&d.model), i18n::size(l, d.size));
            f.buffer_mut().set_stringn(
                gauges.x,
                y,
                &label,
                usize::from(gauges.width),
                palette::value(),
            );
        }
        let bar = Rect {
            x: gauges.x,
            y: y + rows_per_disk - 1,
            width: gauges.width,
            height: 1,
        };
        disk_gauge(m, d, f.buffer_mut(), bar);
    }
    let side = if rest.width >= 100 { 38 } else { 28 };
    let [log_area, live_area] =
        Layout::horizontal([Constraint::Min(20), Constraint::Length(side)]).areas(rest);
    let take = usize::from(log_area.height.saturating_sub(2));
    let log: Vec<Line<'_>> = m
        .log
        .iter()
        .rev()
        .take(take)
        .rev()
        .map(|line| {
            Line::from(vec![
                Span::styled(
                    format!(
                        "{} ",
                        i18n::clock(u64::try_from(line.at.as_millis()).unwrap_or(0))
                    ),
                    palette::dim(),
                ),
                Span::styled(
                    vga(&line.text),
                    if line.bad {
                        palette::bad()
                    } else {
                        palette::value()
                    },
                ),
            ])
        })
        .collect();
    f.render_widget(
        Paragraph::new(log).block(boxed(t(l, "Log", "Journal"))),
        log_area,
    );
    f.render_widget(
        Paragraph::new(live_panel(m))
            .block(boxed(t(l, "Live", "En direct")))
            .wrap(Wrap { trim: true }),
        live_area,
    );
}

/// The live panel's lines: load, temperature, frequency, memory, batteries, the RAM test.
pub fn live_panel(m: &Model) -> Vec<Line<'_>> {
    let l = m.cfg.lang();
    let mut lines = Vec::new();
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<6}"), palette::label()),
            Span::styled(v, palette::value()),
        ])
    };
    match &m.live {
        None => lines.push(Line::from(Span::styled(
            t(l, "reading...", "lecture..."),
            palette::dim(),
        ))),
        Some(s) => {
            lines.push(kv(
                "CPU",
                s.cpu_load_permille
                    .map_or_else(|| "?".into(), i18n::percent),
            ));
            lines.push(kv(
                t(l, "Temp", "Temp"),
                s.cpu_temperature().map_or_else(
                    || t(l, "no sensor", "pas de capteur").into(),
                    |t| i18n::celsius(t.millicelsius),
                ),
            ));
            if let Some(khz) = s.cpu_khz {
                lines.push(kv(t(l, "Freq", "Fréq"), i18n::ghz(l, khz)));
            }
            if let (Some(total), Some(avail)) = (s.memory_total, s.memory_available) {
                lines.push(kv(
                    "RAM",
                    format!(
                        "{} / {}",
                        i18n::gib(l, total.saturating_sub(avail)),
                        i18n::gib(l, total)
                    ),
                ));
            }
            for b in &s.batteries {
                let mut v = b.percent.map_or_else(|| "?".into(), |p| format!("{p} %"));
                if let Some(w) = b.microwatts.filter(|w| *w != 0) {
                    v.push_str(&format!(" {}", i18n::watts(l, w)));
                }
                lines.push(kv(&b.name, v));
            }
        }
    }
    let r = &m.ram;
    if r.running || r.record.is_some() {
        let v = match &r.record {
            Some(rec) => format!(
                "{} {}, {} {}",
                i18n::gib(l, rec.bytes_tested),
                t(l, "tested", "testés"),
                rec.errors,
                t(l, "err.", "err.")
            ),
            None => format!(
                "{}, {} {}",
                i18n::percent(
                    u32::try_from((r.done * 1000).checked_div(r.total).unwrap_or(0)).unwrap_or(0)
                ),
                r.errors,
                t(l, "err.", "err.")
            ),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<6}", t(l, "Test", "Test")), palette::label()),
            Span::styled(
                format!("RAM {v}"),
                if r.errors > 0 {
                    palette::bad()
                } else {
                    palette::value()
                },
            ),
        ]));
    }
    lines
}
