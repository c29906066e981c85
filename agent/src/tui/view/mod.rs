//! `view(&Model, &mut Frame)`: draws the model, nothing else — one module per screen.
//!
//! Every screen fits 80×25 (the VGA console) and uses more room when there is more. Whatever
//! the size — even 1×1 — drawing never panics: each area is computed with saturating
//! arithmetic and ratatui clips what does not fit. The last pass keeps only characters the VGA
//! console's font has (code page 437), replacing the others.

mod checks;
mod confirm;
mod install;
mod machine;
mod result;
mod wipe;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::i18n::t;
use super::model::{Model, Overlay, Screen};
use super::palette;
use crate::model::Language;

pub use result::result_line;

/// The smallest terminal a screen is drawn in; below, the screen says how big it should be.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// Draws the whole screen.
pub fn view(m: &Model, f: &mut Frame) {
    let area = f.area();
    f.buffer_mut().set_style(area, palette::base());
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(m, f, area);
    } else if m.screen == Screen::Colours {
        checks::colours(m, f, area);
    } else {
        let body = Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(2),
            ..area
        };
        title_bar(m, f.buffer_mut(), Rect { height: 1, ..area });
        match m.screen {
            Screen::Machine => machine::machine(m, f, body),
            Screen::Choose => machine::choose(m, f, body),
            Screen::Confirm => confirm::confirm(m, f, body),
            Screen::Wipe => wipe::wipe(m, f, body),
            Screen::Install => install::install(m, f, body),
            Screen::Images => install::images(m, f, body),
            Screen::Result => result::result(m, f, body),
            Screen::Keyboard => checks::keyboard(m, f, body),
            Screen::Cooling => checks::cooling(m, f, body),
            Screen::Error => error(m, f, body),
            Screen::Colours => {}
        }
        let bar = Rect {
            y: area.y + area.height.saturating_sub(1),
            height: 1,
            ..area
        };
        key_bar(f.buffer_mut(), bar, &keys(m));
        match m.overlay {
            Some(Overlay::Help) => help(m, f, area),
            Some(Overlay::Quit) => quit(m, f, area),
            Some(Overlay::Cancel { armed }) => cancel(m, f, area, armed, &CANCEL_WIPE),
            Some(Overlay::End { selected }) => end(m, f, area, selected),
            Some(Overlay::CancelInstall { armed }) => cancel(m, f, area, armed, &CANCEL_INSTALL),
            None => {}
        }
    }
    vga_only(f.buffer_mut(), area);
}

fn too_small(m: &Model, f: &mut Frame, area: Rect) {
    let lang = m.cfg.lang();
    let text = format!(
        "Reprise: {} {MIN_WIDTH}×{MIN_HEIGHT} ({} 80×25)",
        t(
            lang,
            "the screen must be at least",
            "l'écran doit faire au moins"
        ),
        t(lang, "best", "idéal")
    );
    f.render_widget(
        Paragraph::new(text)
            .style(palette::warn())
            .wrap(Wrap { trim: true }),
        area,
    );
}

fn screen_title(lang: Language, s: Screen) -> &'static str {
    match s {
        Screen::Machine => t(lang, "This machine", "Cette machine"),
        Screen::Choose => t(lang, "Choose the disks", "Choix des disques"),
        Screen::Confirm => t(lang, "Confirm the wipe", "Confirmer l'effacement"),
        Screen::Wipe => t(lang, "Wiping", "Effacement"),
        Screen::Install => t(lang, "Installing", "Installation"),
        Screen::Images => t(lang, "Family system", "Système familial"),
        Screen::Result => t(lang, "Result", "Résultat"),
        Screen::Keyboard => t(lang, "Keyboard check", "Test du clavier"),
        Screen::Colours => t(lang, "Screen check", "Test de l'écran"),
        Screen::Cooling => t(lang, "Cooling check", "Test du refroidissement"),
        Screen::Error => t(lang, "Stopped", "Arrêt"),
    }
}

fn title_bar(m: &Model, buf: &mut Buffer, area: Rect) {
    let lang = m.cfg.lang();
    buf.set_style(area, palette::title());
    let mut left = format!(
        " Reprise {} | {}",
        env!("CARGO_PKG_VERSION"),
        screen_title(lang, m.screen)
    );
    if m.cfg.demo {
        left.push_str(t(lang, " | DEMO", " | DÉMO"));
    }
    if m.cfg.auto() {
        left.push_str(t(lang, " | AUTOMATIC", " | AUTOMATIQUE"));
    }
    let id = &m.probe.identity.system;
    let right = format!(
        "{} {} ",
        id.vendor.known().map_or("", String::as_str),
        machine::product(m)
    );
    buf.set_stringn(
        area.x,
        area.y,
        &left,
        usize::from(area.width),
        palette::title(),
    );
    let rw = u16::try_from(right.chars().count()).unwrap_or(u16::MAX);
    let lw = u16::try_from(left.chars().count()).unwrap_or(u16::MAX);
    if lw + rw + 2 <= area.width {
        buf.set_string(area.x + area.width - rw, area.y, &right, palette::title());
    }
}

/// (key, what it does) pairs of the key bar.
fn keys(m: &Model) -> Vec<(&'static str, &'static str)> {
    let l = m.cfg.lang();
    let mut k = match m.screen {
        _ if m.automatic() && matches!(m.screen, Screen::Machine | Screen::Confirm) => {
            vec![("Esc", t(l, "Stop automatic", "Arrêter l'auto"))]
        }
        Screen::Machine => vec![
            ("Enter", t(l, "Wipe", "Effacer")),
            ("Tab", t(l, "Choose", "Choisir")),
            ("F1", t(l, "Help", "Aide")),
            ("F2", t(l, "Keys", "Clavier")),
            ("F3", t(l, "Screen", "Écran")),
            ("F4", t(l, "Cooling", "Refroid.")),
            ("Esc", t(l, "Quit", "Quitter")),
            ("F5", t(l, "RAM test", "Test RAM")),
        ],
        Screen::Choose => vec![
            ("Up/Down", t(l, "Move", "Aller")),
            ("Space", t(l, "Select", "Cocher")),
            ("Left/Right", "Clear/Purge"),
            ("Enter", t(l, "Next", "Suite")),
            ("Esc", t(l, "Back", "Retour")),
        ],
        Screen::Confirm => vec![
            ("F10", t(l, "Arm", "Armer")),
            ("Enter", t(l, "Start", "Lancer")),
            ("Esc", t(l, "Back", "Retour")),
        ],
        Screen::Wipe if m.run.is_running() => vec![
            ("Esc", t(l, "Cancel", "Annuler")),
            ("F2", t(l, "Keys", "Clavier")),
            ("F3", t(l, "Screen", "Écran")),
            ("F4", t(l, "Cooling", "Refroid.")),
        ],
        Screen::Wipe => vec![],
        Screen::Install if m.installing() => vec![("Esc", t(l, "Cancel", "Annuler"))],
        Screen::Install => vec![],
        Screen::Images => vec![
            ("Up/Down", t(l, "Move", "Aller")),
            ("Enter", t(l, "Install", "Installer")),
            ("Esc", t(l, "Back", "Retour")),
        ],
        Screen::Error
            if !m.cfg.auto()
                && matches!(m.pending_exit, Some(super::model::Exit::NoStorage(_))) =>
        {
            vec![
                ("F7", t(l, "No disk (state it)", "Pas de disque (déclarer)")),
                quit_or_end(m),
            ]
        }
        Screen::Error if matches!(m.pending_exit, Some(super::model::Exit::NoStorage(_))) => {
            vec![quit_or_end(m)]
        }
        Screen::Result | Screen::Error => {
            if m.cfg.auto() {
                vec![]
            } else if m.cfg.asks_end() {
                vec![(
                    "Enter",
                    t(
                        l,
                        "Finish: power off or reboot",
                        "Terminer : éteindre ou redémarrer",
                    ),
                )]
            } else if m.cfg.poweroff()
                && m.result
                    .as_ref()
                    .is_some_and(|r| r.status == crate::flow::RunStatus::Sanitized)
                // A certificate only in memory with no server to take it is no finished run.
                && (m.home != crate::flow::medium::Home::Memory || m.cfg.server().is_some())
            {
                vec![("Enter", t(l, "Finish, power off", "Terminer, éteindre"))]
            } else {
                vec![("Enter", t(l, "Finish", "Terminer"))]
            }
        }
        Screen::Keyboard => vec![("Esc Esc Esc", t(l, "End the check", "Finir le test"))],
        Screen::Colours => vec![],
        Screen::Cooling => vec![("Esc", t(l, "Back", "Retour"))],
    };
    if m.screen == Screen::Result && m.offers_install() {
        k.insert(0, ("F9", t(l, "Install system", "Installer système")));
    }
    // Only when it can help: frozen drives under Purge, and a machine that can suspend.
    if m.screen == Screen::Choose && m.frozen_to_unfreeze() > 0 {
        k.insert(3, ("F6", t(l, "Unfreeze", "Dégeler")));
    }
    if !matches!(
        m.screen,
        Screen::Keyboard | Screen::Colours | Screen::Machine
    ) || m.automatic()
    {
        k.push(("F1", t(l, "Help", "Aide")));
    }
    if m.cfg.demo {
        k.push(("q", t(l, "Quit", "Quitter")));
    }
    k
}

/// Enter on a stopped screen: the end's dialog when init acts on the answer, else quit.
fn quit_or_end(m: &Model) -> (&'static str, &'static str) {
    let l = m.cfg.lang();
    if m.cfg.asks_end() {
        (
            "Enter",
            t(l, "Power off or reboot", "Éteindre ou redémarrer"),
        )
    } else {
        ("Enter", t(l, "Quit", "Quitter"))
    }
}

fn key_bar(buf: &mut Buffer, area: Rect, keys: &[(&str, &str)]) {
    buf.set_style(area, palette::keys());
    let mut x = area.x;
    let end = area.x + area.width;
    for (key, what) in keys {
        let need =
            u16::try_from(key.chars().count() + what.chars().count() + 2).unwrap_or(u16::MAX);
        if x + need > end {
            break;
        }
        let (nx, _) = buf.set_stringn(x, area.y, key, usize::from(end - x), palette::key_name());
        let (nx, _) = buf.set_stringn(
            nx,
            area.y,
            format!(" {what} "),
            usize::from(end - nx),
            palette::keys(),
        );
        x = nx;
    }
}

/// A bordered box with a title.
pub(super) fn boxed(title: &str) -> Block<'_> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(palette::frame())
        .title(Span::styled(format!(" {title} "), palette::heading()))
        .style(palette::base())
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub(super) fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn popup(f: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'_>>, style: Style) {
    let w = lines
        .iter()
        .map(|l| l.width())
        .max()
        .unwrap_or(0)
        .saturating_add(4);
    let w = u16::try_from(w)
        .unwrap_or(u16::MAX)
        .clamp(30, area.width.saturating_sub(2).max(1));
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let r = centred(area, w, h);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .block(boxed(title).style(style).border_style(style))
            .style(style)
            .wrap(Wrap { trim: false }),
        r,
    );
}

fn help(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let mut lines: Vec<Line<'_>> = vec![
        Line::from(t(
            l,
            "Reprise probes this laptop, wipes its disks (NIST SP 800-88),",
            "Reprise examine ce portable, efface ses disques (NIST SP 800-88),",
        )),
        Line::from(t(
            l,
            "decides refurbish or recycle, and signs a certificate.",
            "décide reconditionner ou recycler, et signe un certificat.",
        )),
        Line::from(""),
        Line::from(t(
            l,
            "Usual path: Enter, F10, Enter.",
            "Parcours habituel : Entrée, F10, Entrée.",
        )),
        Line::from(""),
    ];
    let rows: &[(&str, &str, &str)] = &[
        (
            "Enter",
            "wipe the planned disks / next",
            "effacer les disques prévus / suite",
        ),
        (
            "Tab",
            "choose disks, Clear or Purge",
            "choisir disques, Clear ou Purge",
        ),
        (
            "F10 Enter",
            "confirm (two keys: no stray key)",
            "confirmer (deux touches)",
        ),
        ("Esc", "back, cancel, quit", "retour, annuler, quitter"),
        ("F2", "keyboard check", "test du clavier"),
        ("F3", "screen check (colours)", "test de l'écran (couleurs)"),
        ("F4", "cooling check (CPU load)", "test du refroidissement"),
        (
            "F5",
            "RAM test during the wipe on/off",
            "test mémoire pendant l'effacement",
        ),
        (
            "F6",
            "frozen drives: suspend to unfreeze (Purge)",
            "disques gelés : veille pour dégeler (Purge)",
        ),
        ("F1", "this help", "cette aide"),
    ];
    for (k, en, fr) in rows {
        lines.push(Line::from(vec![
            Span::styled(format!("{k:<10}"), palette::label()),
            Span::raw(t(l, en, fr)),
        ]));
    }
    // Only where it answers: the result of a run that may receive the server's images.
    if m.offers_install() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<10}", "F9"), palette::label()),
            Span::raw(t(
                l,
                "install one of the workshop server's images",
                "installer une image du serveur d'atelier",
            )),
        ]));
    }
    if m.cfg.demo {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<10}", "q"), palette::label()),
            Span::raw(t(l, "leave the demo", "quitter la démo")),
        ]));
    }
    popup(f, area, t(l, "Help", "Aide"), lines, palette::base());
}

fn quit(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    popup(
        f,
        area,
        t(l, "Quit", "Quitter"),
        vec![
            Line::from(t(
                l,
                "Leave without wiping anything?",
                "Quitter sans rien effacer ?",
            )),
            Line::from(""),
            Line::from(t(
                l,
                "Enter: quit    Esc: stay",
                "Entrée : quitter    Échap : rester",
            )),
        ],
        palette::base(),
    );
}

/// The end's dialog: what the machine does next; power off is first, under the cursor.
fn end(m: &Model, f: &mut Frame, area: Rect, selected: usize) {
    use crate::flow::end::Choice;
    let l = m.cfg.lang();
    let mut lines = vec![
        Line::from(t(
            l,
            "The run is over. What does the machine do now?",
            "Le travail est fini. Que fait la machine maintenant ?",
        )),
        Line::from(""),
    ];
    for (i, c) in m.cfg.ending_choices().into_iter().enumerate() {
        let name = match c {
            Choice::PowerOff => t(l, "Power off", "Éteindre"),
            Choice::Reboot => t(l, "Reboot", "Redémarrer"),
            Choice::Shell => t(l, "Maintenance shell", "Shell de maintenance"),
        };
        lines.push(if i == selected {
            Line::from(Span::styled(format!(" > {name} "), palette::cursor()))
        } else {
            Line::from(format!("   {name}"))
        });
    }
    lines.push(Line::from(""));
    lines.push(Line::from(t(
        l,
        "Enter: confirm    Up/Down: choose    Esc: back",
        "Entrée : valider    Haut/Bas : choisir    Échap : retour",
    )));
    popup(
        f,
        area,
        t(l, "End of the run", "Fin du travail"),
        lines,
        palette::base(),
    );
}

/// What a cancel question names: the wipe's or the install's.
struct CancelWords {
    title: (&'static str, &'static str),
    consequence: (&'static str, &'static str),
    /// The armed step's English (its French is the same for both).
    armed: &'static str,
}

const CANCEL_WIPE: CancelWords = CancelWords {
    title: ("Cancel the wipe?", "Annuler l'effacement ?"),
    consequence: (
        "The disks will NOT be sanitized; the certificate will say so.",
        "Les disques ne seront PAS effacés ; le certificat le dira.",
    ),
    armed: "Enter: cancel the wipe    Esc: go on",
};

const CANCEL_INSTALL: CancelWords = CancelWords {
    title: ("Cancel the install?", "Annuler l'installation ?"),
    consequence: (
        "The system will NOT be installed; the disk stays sanitized.",
        "Le système ne sera PAS installé ; le disque reste effacé.",
    ),
    armed: "Enter: cancel the install    Esc: go on",
};

/// The two-key cancel question (F10, then Enter) over the wipe or the install.
fn cancel(m: &Model, f: &mut Frame, area: Rect, armed: bool, words: &CancelWords) {
    let l = m.cfg.lang();
    let step = if armed {
        t(l, words.armed, "Entrée : annuler    Échap : continuer")
    } else {
        t(
            l,
            "F10 then Enter: cancel    Esc: go on",
            "F10 puis Entrée : annuler    Échap : continuer",
        )
    };
    popup(
        f,
        area,
        t(l, words.title.0, words.title.1),
        vec![
            Line::from(t(l, words.consequence.0, words.consequence.1)),
            Line::from(""),
            Line::from(step),
        ],
        palette::danger(),
    );
}

fn error(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    // What stopped the run, in the screen's language (the transcript keeps it in English).
    let what = match &m.pending_exit {
        Some(super::model::Exit::NotReady(why)) => format!(
            "{} {}.",
            t(l, "NOTHING WAS WRITTEN:", "RIEN N'A ÉTÉ ÉCRIT :"),
            why.words(l)
        ),
        Some(super::model::Exit::Failed(why)) => format!(
            "{} {why}",
            t(l, "The run failed:", "L'exécution a échoué :")
        ),
        Some(super::model::Exit::NoStorage(none)) => none.lines(l).join("\n"),
        _ => m.fatal.clone().unwrap_or_default(),
    };
    let mut lines: Vec<Line> = what
        .lines()
        .map(|w| Line::from(Span::styled(vga(w), palette::bad())))
        .collect();
    if matches!(m.pending_exit, Some(super::model::Exit::NoStorage(_))) && !m.cfg.auto() {
        lines.push(Line::from(""));
        lines.push(Line::from(t(
            l,
            "If this laptop has no disk, press F7 to state it: the certificate will record it.",
            "Si ce portable n'a pas de disque, appuyez sur F7 pour le déclarer : le certificat l'indiquera.",
        )));
    }
    if matches!(m.pending_exit, Some(super::model::Exit::NotReady(_))) {
        lines.push(Line::from(""));
        lines.push(Line::from(t(
            l,
            "Automatic mode needs somewhere to keep the certificate: the boot stick's data partition, or a workshop server.",
            "Le mode automatique doit pouvoir garder le certificat : sur la partition de données de la clé, ou sur un serveur d'atelier.",
        )));
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(boxed(t(l, "Stopped", "Arrêt")))
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// Characters of code page 437 beyond ASCII: the VGA console's font (the kernel maps these
/// Unicode characters to its glyphs; anything else would show as a blob).
const CP437: &str = "☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼⌂\
ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐\
└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// Whether the VGA console can show `c`.
pub fn on_vga(c: char) -> bool {
    (' '..='~').contains(&c) || CP437.contains(c)
}

/// The closest character the VGA console has.
fn vga_fallback(c: char) -> char {
    match c {
        '—' | '–' | '‐' | '−' => '-',
        '’' | '‘' | '′' => '\'',
        '“' | '”' => '"',
        '…' => '.',
        'œ' => 'o',
        'Œ' => 'O',
        'À' | 'Â' => 'A',
        'È' | 'Ê' | 'Ë' => 'E',
        'Î' | 'Ï' => 'I',
        'Ô' => 'O',
        'Ù' | 'Û' => 'U',
        'Ÿ' => 'Y',
        '€' => 'E',
        '×' => 'x',
        '‰' => '%',
        '\u{202f}' => ' ',
        _ => '?',
    }
}

/// Replaces, in the drawn buffer, every character the VGA font lacks.
fn vga_only(buf: &mut Buffer, area: Rect) {
    for y in area.y..area.y + area.height {
        for x in area.x..area.x + area.width {
            if let Some(cell) = buf.cell_mut((x, y)) {
                let sym = cell.symbol();
                if !sym.chars().all(on_vga) {
                    let c = sym.chars().next().map_or(' ', vga_fallback);
                    cell.set_symbol(&c.to_string());
                }
            }
        }
    }
}

/// An action of the verdict as the screen says it: with its cost when the verdict was priced
/// ("replace battery BAT0 (41 %) - 52.50 EUR", or "not priced"), as the certificate will.
fn action_text(
    v: &crate::verdict::Verdict,
    a: &crate::verdict::Action,
    cost: Option<u64>,
    l: Language,
) -> String {
    match v.pricing {
        Some(_) => crate::verdict::messages::priced_action(a, cost, l),
        None => crate::verdict::messages::action(a, l),
    }
}

/// The priced plan's total against the budget, one line; nothing when the verdict was not
/// priced or has no repair.
fn plan_total(v: &crate::verdict::Verdict, l: Language) -> Option<Line<'static>> {
    let p = v.pricing.as_ref()?;
    if !v.actions.iter().any(crate::verdict::Action::is_repair) {
        return None;
    }
    let style = if p.repair_cost_cents > p.budget_cents {
        palette::bad()
    } else {
        palette::value()
    };
    Some(Line::from(vec![
        Span::styled(" = ", palette::warn()),
        Span::styled(
            vga(&crate::verdict::messages::repair_total(
                p.repair_cost_cents,
                p.budget_cents,
                l,
            )),
            style,
        ),
    ]))
}

/// A text with the characters the VGA font lacks written the long way ("cœur" → "coeur",
/// "—" → "-"), for texts that come from elsewhere (messages, SMBIOS strings).
pub fn vga(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'œ' => out.push_str("oe"),
            'Œ' => out.push_str("OE"),
            '…' => out.push_str("..."),
            '€' => out.push_str("EUR"),
            c if on_vga(c) => out.push(c),
            c => out.push(vga_fallback(c)),
        }
    }
    out
}
