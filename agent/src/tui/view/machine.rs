//! The first screen (the machine, its disks and the plan, the verdict it heads for) and the
//! choosing screen (which disks, Clear or Purge).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::{boxed, vga};
use crate::model::{DiskId, Language, Level};
use crate::probe::model::Disk;
use crate::tui::i18n::{self, t};
use crate::tui::model::Model;
use crate::tui::palette;
use crate::verdict::{Decision, messages};
use crate::wipe::VerifySpec;

/// "ThinkPad T480s (20L8S07A14)": the name people know, and the maker's model code. Lenovo
/// keeps the name in SMBIOS's version field and a code in the product name; other makers put
/// the name in the product name (and QEMU its machine type in the version).
pub fn product(m: &Model) -> String {
    let s = &m.probe.identity.system;
    let name = s.product_name.known().cloned().unwrap_or_default();
    let lenovo = s
        .vendor
        .known()
        .is_some_and(|v| v.eq_ignore_ascii_case("lenovo"));
    let friendly = s
        .version
        .known()
        .filter(|v| lenovo && !is_placeholder(v))
        .or(s.family.known().filter(|f| !is_placeholder(f) && lenovo));
    match friendly {
        Some(f) if *f != name && !name.is_empty() => format!("{f} ({name})"),
        Some(f) => f.clone(),
        None => name,
    }
}

fn is_placeholder(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    [
        "default string",
        "to be filled",
        "not available",
        "none",
        "not specified",
        "system version",
    ]
    .iter()
    .any(|p| l.contains(p))
}

/// "Intel(R) Core(TM) i5-8350U CPU @ 1.70GHz" → "Intel Core i5-8350U": what is printed on the
/// sticker, without the marks and the base clock.
pub fn tidy_cpu(name: &str) -> String {
    let name = name.split(" @ ").next().unwrap_or(name);
    let name = name
        .replace("(R)", "")
        .replace("(TM)", "")
        .replace("(tm)", "");
    let words: Vec<&str> = name
        .split_whitespace()
        .filter(|w| !matches!(*w, "CPU" | "Processor"))
        .collect();
    words.join(" ")
}

fn unknown(l: Language) -> &'static str {
    t(l, "unknown", "inconnu")
}

fn row<'a>(label: &'a str, value: String) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<10}"), palette::label()),
        Span::styled(vga(&value), palette::value()),
    ])
}

fn identity_lines(m: &Model) -> Vec<Line<'_>> {
    let l = m.cfg.lang();
    let p = &m.probe;
    let sys = &p.identity.system;
    let serial = sys
        .serial
        .known()
        .cloned()
        .unwrap_or_else(|| unknown(l).into());
    let asset = p
        .identity
        .chassis
        .asset_tag
        .known()
        .or(p.identity.board.asset_tag.known())
        .filter(|a| !is_placeholder(a) && !a.to_ascii_lowercase().contains("asset"))
        .cloned();
    let mut machine = format!(
        "{} {}  {} {serial}",
        sys.vendor.known().map_or("", String::as_str),
        product(m),
        t(l, "S/N", "N/S")
    );
    if let Some(a) = asset {
        machine.push_str(&format!("  {} {a}", t(l, "asset", "inventaire")));
    }
    let cpu = &p.cpu;
    let cpu_line = format!(
        "{}, {} {} / {} {}, x86-64-v{}",
        cpu.model_name
            .known()
            .map_or_else(|| unknown(l).to_owned(), |n| tidy_cpu(n)),
        cpu.physical_cores
            .known()
            .map_or_else(|| "?".into(), u32::to_string),
        t(l, "cores", "coeurs"),
        cpu.threads
            .known()
            .map_or_else(|| "?".into(), u32::to_string),
        t(l, "threads", "threads"),
        cpu.x86_64_level
            .known()
            .map_or_else(|| "?".into(), u8::to_string),
    );
    let mem = &p.memory;
    let mut ram = mem.total_usable_bytes.known().map_or_else(
        || unknown(l).to_owned(),
        |b| format!("{} {}", i18n::gib(l, *b), t(l, "usable", "utilisables")),
    );
    let modules: Vec<String> = mem
        .modules
        .iter()
        .filter_map(|mm| {
            let size = *mm.size_bytes.known()?;
            let slot = mm.slot.known().cloned().unwrap_or_default();
            Some(if size == 0 {
                format!("{slot}: {}", t(l, "empty", "vide"))
            } else {
                format!("{slot}: {}", i18n::gib(l, size))
            })
        })
        .collect();
    if !modules.is_empty() {
        ram.push_str(&format!(" ({})", modules.join(", ")));
    }
    let batteries = if p.power.batteries.is_empty() {
        t(l, "none", "aucune").to_owned()
    } else {
        p.power
            .batteries
            .iter()
            .map(|b| {
                let health = b.health_permille.known().map_or_else(
                    || unknown(l).to_owned(),
                    |h| {
                        format!(
                            "{} {}",
                            i18n::percent(*h),
                            t(l, "of design", "de l'origine")
                        )
                    },
                );
                match b.cycle_count.known() {
                    Some(Some(c)) => {
                        format!("{} {health}, {c} {}", b.name, t(l, "cycles", "cycles"))
                    }
                    _ => format!("{} {health}", b.name),
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    vec![
        row(t(l, "Machine", "Machine"), machine),
        row(t(l, "CPU", "CPU"), cpu_line),
        row(t(l, "RAM", "Mémoire"), ram),
        row(t(l, "Battery", "Batterie"), batteries),
    ]
}

/// What the plan does with `disk`: its method, or why it is left alone.
fn plan_text(m: &Model, disk: &Disk) -> (String, Style) {
    let l = m.cfg.lang();
    let Ok(plan) = &m.plan else {
        return (unknown(l).into(), palette::bad());
    };
    if let Some(target) = plan.targets().iter().find(|d| d.identity().id == disk.id) {
        let verify = match plan.verify {
            VerifySpec::None => t(l, "no check", "sans contrôle").to_owned(),
            VerifySpec::Full => t(l, "all checked", "tout contrôlé").to_owned(),
            VerifySpec::Sample { permille } => i18n::percent(permille),
        };
        // A Purge asked for and not possible on this disk is the operator's business: in the
        // warning colour.
        let short = plan.level == Level::Purge
            && target
                .strategy()
                .is_none_or(|s| s.level != crate::model::Level::Purge);
        return (
            format!("{}, {verify}", i18n::technique(target)),
            if short {
                palette::warn()
            } else {
                palette::good()
            },
        );
    }
    let reason = plan
        .skipped
        .iter()
        .find(|s| s.disk.id == disk.id)
        .map(|s| s.reason.words(l, true))
        .unwrap_or_default();
    (reason, palette::warn())
}

/// The drive's health as its firmware reported it at the probe (SMART, NVMe health log), unless
/// the session learned better since (`Model::health`).
fn health_text(m: &Model, id: &DiskId) -> (String, Style) {
    let l = m.cfg.lang();
    let probed = || {
        m.probe
            .disks
            .iter()
            .find(|d| &d.id == id)
            .map(|d| &d.health)
    };
    match m.health.get(id).or_else(probed) {
        None => (t(l, "unknown", "inconnue").into(), palette::dim()),
        Some(h) if h.smart_passed == Some(false) => {
            (t(l, "FAILING", "DÉFAILLANT").into(), palette::bad())
        }
        Some(h)
            if h.reallocated.unwrap_or(0)
                + h.pending.unwrap_or(0)
                + h.media_errors.unwrap_or(0)
                > 0 =>
        {
            (t(l, "worn", "usé").into(), palette::warn())
        }
        Some(h) if h.smart_passed == Some(true) => ("OK".into(), palette::good()),
        Some(_) => (t(l, "unknown", "inconnue").into(), palette::dim()),
    }
}

fn disk_name(m: &Model, d: &Disk) -> String {
    m.stands_for.get(&d.id).map_or_else(
        || d.name.clone(),
        |dev| dev.trim_start_matches("/dev/").to_owned(),
    )
}

/// [`disk_name`] of a planned disk.
fn disk_name_of(m: &Model, id: &crate::model::DiskIdentity) -> String {
    m.stands_for
        .get(&id.id)
        .map_or(id.dev_path.as_str(), String::as_str)
        .trim_start_matches("/dev/")
        .to_owned()
}

fn disk_table(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let wide = area.width >= 110;
    let header = Row::new(vec![
        t(l, "Disk", "Disque"),
        t(l, "Model", "Modèle"),
        t(l, "Serial", "N/S"),
        t(l, "Size", "Taille"),
        t(l, "Health", "Santé"),
        t(l, "Plan", "Prévu"),
    ])
    .style(palette::label());
    let rows: Vec<Row<'_>> = m
        .probe
        .disks
        .iter()
        .map(|d| {
            let (plan, plan_style) = plan_text(m, d);
            let (health, health_style) = health_text(m, &d.id);
            let mut model = d.model.known().cloned().unwrap_or_default();
            if wide {
                model = format!("{} {}", d.transport.as_str(), model);
            }
            Row::new(vec![
                Cell::from(disk_name(m, d)),
                Cell::from(vga(model.trim())),
                Cell::from(vga(d.serial.known().map_or("?", String::as_str))),
                Cell::from(i18n::size(l, *d.size_bytes.known().unwrap_or(&0))),
                Cell::from(Span::styled(health, health_style)),
                Cell::from(Span::styled(plan, plan_style)),
            ])
            .style(palette::value())
        })
        .collect();
    let widths = if wide {
        [
            Constraint::Length(9),
            Constraint::Length(30),
            Constraint::Length(22),
            Constraint::Length(10),
            Constraint::Length(9),
            Constraint::Min(20),
        ]
    } else {
        [
            Constraint::Length(7),
            // The serial names the disk the operator holds: it gets the width first.
            Constraint::Length(13),
            Constraint::Length(14),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Min(10),
        ]
    };
    let title = if m.cfg.demo {
        t(
            l,
            "Disks (demo: files stand in for them)",
            "Disques (démo : des fichiers les remplacent)",
        )
    } else {
        t(l, "Disks", "Disques")
    };
    f.render_widget(
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .block(boxed(title).borders(ratatui::widgets::Borders::TOP)),
        area,
    );
}

/// The verdict the machine heads for, with its reasons and actions.
pub fn verdict_lines(m: &Model, max: usize) -> Vec<Line<'_>> {
    let l = m.cfg.lang();
    let Some(v) = &m.expected else {
        return vec![Line::from(Span::styled(
            m.plan.as_ref().err().cloned().unwrap_or_default(),
            palette::bad(),
        ))];
    };
    let n = m.plan.as_ref().map_or(0, |p| p.targets().len());
    let style = match v.decision {
        Decision::Refurbish => palette::good(),
        Decision::Recycle => palette::bad(),
    };
    let head = match l {
        Language::En => format!("Expected, if the {n} planned disk(s) are sanitized: "),
        Language::Fr => format!("Verdict attendu, si le(s) {n} disque(s) prévu(s) sont effacés : "),
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(head, palette::label()),
        Span::styled(messages::decision(v.decision, l).to_uppercase(), style),
        Span::styled(
            format!(
                ", {} {}",
                t(l, "grade", "note"),
                vga(messages::grade(v.grade, l))
            ),
            palette::value(),
        ),
    ])];
    for (a, cost) in v.priced_actions() {
        lines.push(Line::from(vec![
            Span::styled(" -> ", palette::warn()),
            Span::styled(vga(&super::action_text(v, a, cost, l)), palette::value()),
        ]));
    }
    lines.extend(super::plan_total(v, l));
    for r in &v.reasons {
        lines.push(Line::from(vec![
            Span::styled(" • ", palette::dim()),
            Span::styled(vga(&messages::reason(r, l)), palette::dim()),
        ]));
    }
    if lines.len() > max {
        let hidden = lines.len() - max + 1;
        lines.truncate(max.saturating_sub(1));
        lines.push(Line::from(Span::styled(
            format!(
                "   (+{hidden} {})",
                t(l, "more on the certificate", "de plus sur le certificat")
            ),
            palette::dim(),
        )));
    }
    lines
}

/// "Keyboard: 2 dead | Screen: OK | Cooling: 71 °C | RAM: during the wipe".
pub fn checks_line(m: &Model) -> Line<'_> {
    let l = m.cfg.lang();
    let c = &m.checks;
    let none = || ("-".to_owned(), palette::dim());
    let kb = c.keyboard.as_ref().map_or_else(none, |k| {
        if k.keys_not_pressed.is_empty() {
            ("OK".into(), palette::good())
        } else {
            (
                format!("{} {}", k.keys_not_pressed.len(), t(l, "dead", "HS")),
                palette::bad(),
            )
        }
    });
    let sc = c.screen.as_ref().map_or_else(none, |s| {
        if s.passed {
            ("OK".into(), palette::good())
        } else {
            (t(l, "defect", "défaut").into(), palette::bad())
        }
    });
    let co = c.cooling.as_ref().map_or_else(none, |k| {
        let text = k.max_millicelsius.map_or_else(|| "?".into(), i18n::celsius);
        let hot = k
            .max_millicelsius
            .is_some_and(|x| x > m.policy.checks.max_cpu_millicelsius)
            || k.throttle_events
                .is_some_and(|e| e > m.policy.checks.max_throttle_events);
        (text, if hot { palette::bad() } else { palette::good() })
    });
    let ram = match (&c.memory, m.ram_test) {
        (Some(r), _) if r.errors > 0 => (
            format!("{} {}", r.errors, t(l, "errors", "erreurs")),
            palette::bad(),
        ),
        (Some(_), _) => ("OK".into(), palette::good()),
        (None, true) => (
            t(l, "with the wipe", "avec l'effacement").into(),
            palette::value(),
        ),
        (None, false) => (t(l, "off", "non").into(), palette::dim()),
    };
    let mut spans = vec![Span::styled(
        format!("{:<10}", t(l, "Checks", "Tests")),
        palette::label(),
    )];
    for (i, (name, (text, style))) in [
        (t(l, "Keyboard", "Clavier"), kb),
        (t(l, "Screen", "Écran"), sc),
        (t(l, "Cooling", "Refroid."), co),
        ("RAM", ram),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            spans.push(Span::styled(" | ", palette::dim()));
        }
        spans.push(Span::styled(format!("{name} "), palette::value()));
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

/// "CPU 3 %  47 °C  1.9 GHz | RAM free 7.2 GiB | BAT0 63 % -6.1 W".
pub fn live_line(m: &Model) -> Line<'_> {
    let l = m.cfg.lang();
    let Some(s) = &m.live else {
        return Line::from(vec![
            Span::styled(
                format!("{:<10}", t(l, "Live", "En direct")),
                palette::label(),
            ),
            Span::styled(
                t(l, "reading the sensors...", "lecture des capteurs..."),
                palette::dim(),
            ),
        ]);
    };
    let mut parts = vec![format!(
        "CPU {}",
        s.cpu_load_permille
            .map_or_else(|| "?".into(), i18n::percent)
    )];
    if let Some(temp) = s.cpu_temperature() {
        parts.push(i18n::celsius(temp.millicelsius));
    }
    if let Some(khz) = s.cpu_khz {
        parts.push(i18n::ghz(l, khz));
    }
    if let Some(a) = s.memory_available {
        parts.push(format!("RAM {} {}", t(l, "free", "libre"), i18n::gib(l, a)));
    }
    for b in &s.batteries {
        let mut text = b.name.clone();
        if let Some(p) = b.percent {
            text.push_str(&format!(" {p} %"));
        }
        if let Some(w) = b.microwatts.filter(|w| *w != 0) {
            text.push_str(&format!(" {}", i18n::watts(l, w)));
        }
        parts.push(text);
    }
    Line::from(vec![
        Span::styled(
            format!("{:<10}", t(l, "Live", "En direct")),
            palette::label(),
        ),
        Span::styled(parts.join(" | "), palette::value()),
    ])
}

pub fn machine(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let disks = u16::try_from(m.probe.disks.len()).unwrap_or(8).clamp(1, 8);
    let auto_rows = u16::from(m.cfg.auto());
    let [ident, table, checks, live, auto, verdict] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(disks + 2),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(auto_rows),
        Constraint::Min(2),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(identity_lines(m)), ident);
    disk_table(m, f, table);
    f.render_widget(Paragraph::new(checks_line(m)), checks);
    f.render_widget(Paragraph::new(live_line(m)), live);
    if m.cfg.auto() {
        f.render_widget(Paragraph::new(auto_line(m)), auto);
    }
    let max = usize::from(verdict.height);
    f.render_widget(
        Paragraph::new(verdict_lines(m, max)).wrap(Wrap { trim: false }),
        verdict,
    );
    let _ = l;
}

/// Automatic mode's state on the first screens.
pub fn auto_line(m: &Model) -> Line<'_> {
    let l = m.cfg.lang();
    let text = match (&m.auto.ready, m.auto.stopped) {
        (_, true) => t(
            l,
            "Automatic mode stopped: waiting for you.",
            "Mode automatique arrêté : à vous.",
        )
        .to_owned(),
        (Ok(()), _) => {
            let left = m
                .cfg
                .auto_step
                .saturating_sub(m.now.saturating_sub(m.auto.since));
            format!(
                "{} {} s (Esc: {})",
                t(
                    l,
                    "Automatic mode: next screen in",
                    "Mode automatique : écran suivant dans"
                ),
                left.as_secs() + u64::from(left.subsec_millis() > 0),
                t(l, "stop", "arrêter")
            )
        }
        (Err(_), _) => t(l, "Automatic mode refused.", "Mode automatique refusé.").to_owned(),
    };
    Line::from(Span::styled(text, palette::warn()))
}

pub fn choose(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let eligible = m.eligible();
    let mut lines: Vec<Line<'_>> = vec![Line::from(Span::styled(
        t(
            l,
            "Disks to wipe (Space selects):",
            "Disques à effacer (Espace coche) :",
        ),
        palette::heading(),
    ))];
    for (i, d) in eligible.iter().enumerate() {
        let on = !m.excluded.contains(&d.id);
        let style = if i == m.cursor {
            palette::cursor()
        } else {
            palette::value()
        };
        lines.push(Line::from(Span::styled(
            vga(&format!(
                " [{}] {:<8} {:<24} {} {:<16} {}",
                if on { "x" } else { " " },
                disk_name(m, d),
                d.model.known().map_or("?", String::as_str),
                t(l, "S/N", "N/S"),
                d.serial.known().map_or("?", String::as_str),
                i18n::size(l, *d.size_bytes.known().unwrap_or(&0))
            )),
            style,
        )));
    }
    for d in m
        .probe
        .disks
        .iter()
        .filter(|d| !eligible.iter().any(|e| e.id == d.id))
    {
        let why = m
            .plan
            .as_ref()
            .ok()
            .and_then(|p| p.skipped.iter().find(|s| s.disk.id == d.id))
            .map(|s| s.reason.words(l, false))
            .unwrap_or_default();
        lines.push(Line::from(Span::styled(
            format!("     {:<8} {why}", disk_name(m, d)),
            palette::dim(),
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        t(l, "Level (Left/Right):", "Niveau (Gauche/Droite) :"),
        palette::heading(),
    )));
    let (clear, purge) = match m.settings.level {
        Level::Clear => ("(o)", "( )"),
        Level::Purge => ("( )", "(o)"),
    };
    lines.push(Line::from(format!(
        " {clear} Clear: {}",
        t(
            l,
            "overwrite and verify (NIST SP 800-88)",
            "écrasement et vérification (NIST SP 800-88)"
        )
    )));
    lines.push(Line::from(format!(
        " {purge} Purge: {}",
        t(l, "firmware erase", "effacement par le micrologiciel")
    )));
    if m.settings.level == Level::Purge
        && let Ok(plan) = &m.plan
    {
        // Each disk's technique under Purge: a disk that can only be cleared says so here,
        // before the confirmation.
        for target in plan.targets() {
            let purged = target
                .strategy()
                .is_some_and(|s| s.level == crate::model::Level::Purge);
            lines.push(Line::from(Span::styled(
                format!(
                    "     {:<8} {}",
                    disk_name_of(m, target.identity()),
                    i18n::technique(target)
                ),
                if purged {
                    palette::dim()
                } else {
                    palette::warn()
                },
            )));
        }
    }
    let frozen = m.frozen_to_unfreeze();
    if frozen > 0 {
        lines.push(Line::from(Span::styled(
            format!(
                "     F6: {frozen} {}",
                t(
                    l,
                    "frozen drive(s) - suspend a few seconds to unfreeze them and purge",
                    "disque(s) gelé(s) - mise en veille quelques secondes pour les dégeler et purger"
                )
            ),
            palette::warn(),
        )));
    } else if m.unfreezing {
        lines.push(Line::from(Span::styled(
            t(
                l,
                "     Suspending: the machine wakes by itself in a few seconds...",
                "     Mise en veille : la machine se réveille seule dans quelques secondes...",
            ),
            palette::warn(),
        )));
    }
    lines.push(Line::from(""));
    lines.extend(verdict_lines(m, 6));
    f.render_widget(
        Paragraph::new(lines)
            .block(boxed(t(l, "Choose", "Choisir")))
            .wrap(Wrap { trim: false }),
        area,
    );
}
