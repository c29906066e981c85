//! The keyboard check: a map of the laptop's keyboard on screen; every key pressed lights up;
//! the keys never pressed are listed ("E, Z, F5") and recorded.
//!
//! A terminal sees the characters and the named keys a key produces, not the key itself: each
//! keycap of the map answers to what its key types in the console's keymap (both cases, and
//! AltGr's characters), and the modifiers light up with a key they modify (Shift with a capital,
//! Ctrl and Alt with a letter). Caps Lock, Fn and the Windows key reach no terminal: they are not
//! on the map rather than reported dead.

use reprise_cert::model::KeyboardCheck;

/// The keyboard map shown (the console's keymap: French AZERTY or US QWERTY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    FrAzerty,
    UsQwerty,
}

impl Layout {
    /// The name recorded in the certificate.
    pub fn name(self) -> &'static str {
        match self {
            Layout::FrAzerty => "fr-azerty",
            Layout::UsQwerty => "us-qwerty",
        }
    }
}

/// Keys a terminal names rather than types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Esc,
    F(u8),
    Backspace,
    Tab,
    Enter,
    Insert,
    Delete,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
}

/// Modifier keys, seen only with a key they modify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    Shift,
    Ctrl,
    Alt,
    AltGr,
}

/// What lights a keycap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// Any of these characters.
    Chars(&'static str),
    Named(Named),
    Modifier(Modifier),
}

/// One key of the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCap {
    /// What the operator reads on the screen and in the record ("E", "F5", "&1").
    pub label: &'static str,
    pub answers: Answers,
}

/// A key as the terminal reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pressed {
    Char(char),
    Named(Named),
}

/// A key press with its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    pub key: Pressed,
    pub shift: bool,
    pub ctrl: bool,
    pub alt: bool,
}

const fn c(label: &'static str, chars: &'static str) -> KeyCap {
    KeyCap {
        label,
        answers: Answers::Chars(chars),
    }
}
const fn n(label: &'static str, named: Named) -> KeyCap {
    KeyCap {
        label,
        answers: Answers::Named(named),
    }
}
const fn m(label: &'static str, modifier: Modifier) -> KeyCap {
    KeyCap {
        label,
        answers: Answers::Modifier(modifier),
    }
}

const FUNCTION_ROW: [KeyCap; 13] = [
    n("Esc", Named::Esc),
    n("F1", Named::F(1)),
    n("F2", Named::F(2)),
    n("F3", Named::F(3)),
    n("F4", Named::F(4)),
    n("F5", Named::F(5)),
    n("F6", Named::F(6)),
    n("F7", Named::F(7)),
    n("F8", Named::F(8)),
    n("F9", Named::F(9)),
    n("F10", Named::F(10)),
    n("F11", Named::F(11)),
    n("F12", Named::F(12)),
];

const NAVIGATION: [KeyCap; 10] = [
    n("Ins", Named::Insert),
    n("Del", Named::Delete),
    n("Home", Named::Home),
    n("End", Named::End),
    n("PgUp", Named::PageUp),
    n("PgDn", Named::PageDown),
    n("Left", Named::Left),
    n("Up", Named::Up),
    n("Down", Named::Down),
    n("Right", Named::Right),
];

const AZERTY: [&[KeyCap]; 4] = [
    &[
        c("&1", "&1"),
        c("é2", "é2~"),
        c("\"3", "\"3#"),
        c("'4", "'4{"),
        c("(5", "(5["),
        c("-6", "-6|"),
        c("è7", "è7`"),
        c("_8", "_8\\"),
        c("ç9", "ç9"),
        c("à0", "à0@"),
        c(")°", ")°]"),
        c("=+", "=+}"),
        n("Back", Named::Backspace),
    ],
    &[
        n("Tab", Named::Tab),
        c("A", "aA"),
        c("Z", "zZ"),
        c("E", "eE€"),
        c("R", "rR"),
        c("T", "tT"),
        c("Y", "yY"),
        c("U", "uU"),
        c("I", "iI"),
        c("O", "oO"),
        c("P", "pP"),
        c("^", "^¨"),
        c("$", "$£¤"),
        n("Enter", Named::Enter),
    ],
    &[
        c("Q", "qQ"),
        c("S", "sS"),
        c("D", "dD"),
        c("F", "fF"),
        c("G", "gG"),
        c("H", "hH"),
        c("J", "jJ"),
        c("K", "kK"),
        c("L", "lL"),
        c("M", "mM"),
        c("ù%", "ù%"),
        c("*µ", "*µ"),
    ],
    &[
        m("Shift", Modifier::Shift),
        c("<>", "<>"),
        c("W", "wW"),
        c("X", "xX"),
        c("C", "cC"),
        c("V", "vV"),
        c("B", "bB"),
        c("N", "nN"),
        c(",?", ",?"),
        c(";.", ";."),
        c(":/", ":/"),
        c("!§", "!§"),
    ],
];

const QWERTY: [&[KeyCap]; 4] = [
    &[
        c("`~", "`~"),
        c("1!", "1!"),
        c("2@", "2@"),
        c("3#", "3#"),
        c("4$", "4$"),
        c("5%", "5%"),
        c("6^", "6^"),
        c("7&", "7&"),
        c("8*", "8*"),
        c("9(", "9("),
        c("0)", "0)"),
        c("-_", "-_"),
        c("=+", "=+"),
        n("Back", Named::Backspace),
    ],
    &[
        n("Tab", Named::Tab),
        c("Q", "qQ"),
        c("W", "wW"),
        c("E", "eE"),
        c("R", "rR"),
        c("T", "tT"),
        c("Y", "yY"),
        c("U", "uU"),
        c("I", "iI"),
        c("O", "oO"),
        c("P", "pP"),
        c("[{", "[{"),
        c("]}", "]}"),
        c("\\|", "\\|"),
    ],
    &[
        c("A", "aA"),
        c("S", "sS"),
        c("D", "dD"),
        c("F", "fF"),
        c("G", "gG"),
        c("H", "hH"),
        c("J", "jJ"),
        c("K", "kK"),
        c("L", "lL"),
        c(";:", ";:"),
        c("'\"", "'\""),
        n("Enter", Named::Enter),
    ],
    &[
        m("Shift", Modifier::Shift),
        c("Z", "zZ"),
        c("X", "xX"),
        c("C", "cC"),
        c("V", "vV"),
        c("B", "bB"),
        c("N", "nN"),
        c("M", "mM"),
        c(",<", ",<"),
        c(".>", ".>"),
        c("/?", "/?"),
    ],
];

/// Characters only AltGr types on the French keymap.
const ALTGR_CHARS: &str = "€~#{[|`\\@]}¤";

/// The rows of the map, top to bottom: function keys, the four rows of the main block, the
/// bottom row (modifiers and Space), the navigation keys.
pub fn rows(layout: Layout) -> Vec<Vec<KeyCap>> {
    let main = match layout {
        Layout::FrAzerty => AZERTY,
        Layout::UsQwerty => QWERTY,
    };
    let mut bottom = vec![
        m("Ctrl", Modifier::Ctrl),
        m("Alt", Modifier::Alt),
        c("Space", " "),
    ];
    if layout == Layout::FrAzerty {
        bottom.push(m("AltGr", Modifier::AltGr));
    }
    let mut out = vec![FUNCTION_ROW.to_vec()];
    out.extend(main.iter().map(|r| r.to_vec()));
    out.push(bottom);
    out.push(NAVIGATION.to_vec());
    out
}

/// Esc pressed this many times in a row ends the check.
pub const ESC_TO_FINISH: u8 = 3;

/// The check under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyboardState {
    pub layout: Layout,
    /// Every keycap, row after row.
    pub caps: Vec<KeyCap>,
    pub pressed: Vec<bool>,
    esc_in_a_row: u8,
}

/// What a key press did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// These keycaps (indexes into `caps`) lit up (empty: a key the map does not show).
    Lit(Vec<usize>),
    /// The check is over: every key answered, or Esc was pressed [`ESC_TO_FINISH`] times.
    Finished(KeyboardCheck),
}

impl KeyboardState {
    pub fn new(layout: Layout) -> Self {
        let caps: Vec<KeyCap> = rows(layout).into_iter().flatten().collect();
        KeyboardState {
            layout,
            pressed: vec![false; caps.len()],
            caps,
            esc_in_a_row: 0,
        }
    }

    fn answers(&self, cap: &KeyCap, p: &Press) -> bool {
        match (cap.answers, p.key) {
            (Answers::Chars(chars), Pressed::Char(ch)) => {
                chars.contains(ch) || chars.contains(ch.to_ascii_lowercase())
            }
            (Answers::Named(want), Pressed::Named(got)) => want == got,
            (Answers::Modifier(Modifier::Shift), Pressed::Char(ch)) => p.shift || ch.is_uppercase(),
            (Answers::Modifier(Modifier::Ctrl), _) => p.ctrl,
            (Answers::Modifier(Modifier::Alt), _) => p.alt,
            (Answers::Modifier(Modifier::AltGr), Pressed::Char(ch)) => ALTGR_CHARS.contains(ch),
            _ => false,
        }
    }

    /// Lights the keycaps `p` answers to.
    pub fn press(&mut self, p: &Press) -> Step {
        self.esc_in_a_row = match p.key {
            Pressed::Named(Named::Esc) => self.esc_in_a_row.saturating_add(1),
            _ => 0,
        };
        let lit: Vec<usize> = (0..self.caps.len())
            .filter(|&i| self.answers(&self.caps[i], p))
            .collect();
        for &i in &lit {
            self.pressed[i] = true;
        }
        if self.pressed.iter().all(|p| *p) || self.esc_in_a_row >= ESC_TO_FINISH {
            return Step::Finished(self.record(true));
        }
        Step::Lit(lit)
    }

    /// The record: `completed` when the operator went through the map (every key, or ended it
    /// with Esc), false when the check was left half done.
    pub fn record(&self, completed: bool) -> KeyboardCheck {
        let missing: Vec<String> = self
            .caps
            .iter()
            .zip(&self.pressed)
            .filter(|(_, p)| !**p)
            .map(|(c, _)| c.label.to_owned())
            .collect();
        KeyboardCheck {
            layout: self.layout.name().to_owned(),
            keys_total: u32::try_from(self.caps.len()).unwrap_or(u32::MAX),
            keys_pressed: u32::try_from(self.pressed.iter().filter(|p| **p).count())
                .unwrap_or(u32::MAX),
            keys_not_pressed: missing,
            completed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(c: char) -> Press {
        Press {
            key: Pressed::Char(c),
            shift: c.is_uppercase(),
            ctrl: false,
            alt: false,
        }
    }
    fn named(k: Named) -> Press {
        Press {
            key: Pressed::Named(k),
            shift: false,
            ctrl: false,
            alt: false,
        }
    }

    #[test]
    fn azerty_keys_answer_to_what_they_type() {
        let mut k = KeyboardState::new(Layout::FrAzerty);
        let Step::Lit(lit) = k.press(&ch('é')) else {
            panic!()
        };
        assert_eq!(k.caps[lit[0]].label, "é2");
        let Step::Lit(lit) = k.press(&ch('A')) else {
            panic!()
        };
        let labels: Vec<_> = lit.iter().map(|&i| k.caps[i].label).collect();
        assert_eq!(labels, ["A", "Shift"]);
        let Step::Lit(lit) = k.press(&ch('€')) else {
            panic!()
        };
        let labels: Vec<_> = lit.iter().map(|&i| k.caps[i].label).collect();
        assert_eq!(labels, ["E", "AltGr"]);
    }

    #[test]
    fn three_escapes_end_the_check_and_list_the_keys_never_pressed() {
        let mut k = KeyboardState::new(Layout::UsQwerty);
        for key in k.caps.clone() {
            match key.answers {
                Answers::Chars(cs) if !matches!(key.label, "E" | "Z") => {
                    k.press(&ch(cs.chars().next().unwrap()));
                }
                Answers::Named(n) if n != Named::F(5) && n != Named::Esc => {
                    k.press(&named(n));
                }
                _ => {}
            }
        }
        k.press(&Press {
            ctrl: true,
            ..ch('c')
        });
        k.press(&Press {
            alt: true,
            ..ch('x')
        });
        k.press(&ch('Q'));
        assert!(matches!(k.press(&named(Named::Esc)), Step::Lit(_)));
        assert!(matches!(k.press(&named(Named::Esc)), Step::Lit(_)));
        let Step::Finished(r) = k.press(&named(Named::Esc)) else {
            panic!("not finished")
        };
        assert_eq!(r.keys_not_pressed, ["F5", "E", "Z"]);
        assert!(r.completed);
        assert_eq!(r.layout, "us-qwerty");
        assert_eq!(r.keys_total - r.keys_pressed, 3);
    }

    #[test]
    fn pressing_everything_finishes_by_itself() {
        let mut k = KeyboardState::new(Layout::FrAzerty);
        let mut last = None;
        for key in k.caps.clone() {
            let p = match key.answers {
                Answers::Chars(cs) => ch(cs.chars().next().unwrap()),
                Answers::Named(n) => named(n),
                Answers::Modifier(Modifier::Shift) => ch('B'),
                Answers::Modifier(Modifier::Ctrl) => Press {
                    ctrl: true,
                    ..ch('c')
                },
                Answers::Modifier(Modifier::Alt) => Press {
                    alt: true,
                    ..ch('x')
                },
                Answers::Modifier(Modifier::AltGr) => ch('@'),
            };
            last = Some(k.press(&p));
        }
        let Some(Step::Finished(r)) = last else {
            panic!("{last:?}")
        };
        assert!(r.keys_not_pressed.is_empty());
    }
}
