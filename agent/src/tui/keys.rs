//! Keys as the screen understands them, from crossterm's events.
//!
//! Only keys that sit at the same place on AZERTY and QWERTY drive the run (Enter, Space,
//! arrows, Tab, Esc, F-keys); letters are read only by the keyboard check, and by the demo for
//! `q`.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::checks::keyboard::{Named, Press, Pressed};

/// A key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Enter,
    Esc,
    Tab,
    BackTab,
    Space,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Insert,
    Delete,
    F(u8),
    /// Ctrl-C: in raw mode the terminal no longer turns it into SIGINT.
    CtrlC,
    Char {
        ch: char,
        shift: bool,
        ctrl: bool,
        alt: bool,
    },
}

impl Key {
    /// The key of a crossterm event; `None` for a release or a key the screen ignores.
    pub fn from_event(e: KeyEvent) -> Option<Key> {
        if e.kind == KeyEventKind::Release {
            return None;
        }
        let m = e.modifiers;
        Some(match e.code {
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Insert => Key::Insert,
            KeyCode::Delete => Key::Delete,
            KeyCode::F(n) => Key::F(n),
            KeyCode::Char('c') if m.contains(KeyModifiers::CONTROL) => Key::CtrlC,
            KeyCode::Char(' ') if m.is_empty() => Key::Space,
            KeyCode::Char(ch) => Key::Char {
                ch,
                shift: m.contains(KeyModifiers::SHIFT),
                ctrl: m.contains(KeyModifiers::CONTROL),
                alt: m.contains(KeyModifiers::ALT),
            },
            _ => return None,
        })
    }

    /// The same press, as the keyboard check sees it.
    pub fn press(self) -> Option<Press> {
        let plain = |key| Press {
            key,
            shift: false,
            ctrl: false,
            alt: false,
        };
        Some(match self {
            Key::Char {
                ch,
                shift,
                ctrl,
                alt,
            } => Press {
                key: Pressed::Char(ch),
                shift,
                ctrl,
                alt,
            },
            Key::CtrlC => Press {
                ctrl: true,
                ..plain(Pressed::Char('c'))
            },
            Key::Space => plain(Pressed::Char(' ')),
            Key::Enter => plain(Pressed::Named(Named::Enter)),
            Key::Esc => plain(Pressed::Named(Named::Esc)),
            Key::Tab => plain(Pressed::Named(Named::Tab)),
            Key::BackTab => Press {
                shift: true,
                ..plain(Pressed::Named(Named::Tab))
            },
            Key::Backspace => plain(Pressed::Named(Named::Backspace)),
            Key::Up => plain(Pressed::Named(Named::Up)),
            Key::Down => plain(Pressed::Named(Named::Down)),
            Key::Left => plain(Pressed::Named(Named::Left)),
            Key::Right => plain(Pressed::Named(Named::Right)),
            Key::Home => plain(Pressed::Named(Named::Home)),
            Key::End => plain(Pressed::Named(Named::End)),
            Key::PageUp => plain(Pressed::Named(Named::PageUp)),
            Key::PageDown => plain(Pressed::Named(Named::PageDown)),
            Key::Insert => plain(Pressed::Named(Named::Insert)),
            Key::Delete => plain(Pressed::Named(Named::Delete)),
            Key::F(n) => plain(Pressed::Named(Named::F(n))),
        })
    }

    /// Whether this is `q`, the demo's quit key.
    pub fn is_q(self) -> bool {
        matches!(
            self,
            Key::Char {
                ch: 'q' | 'Q',
                ctrl: false,
                alt: false,
                ..
            }
        )
    }
}
