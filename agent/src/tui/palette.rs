//! Colours that read the same on the 16-colour Linux VGA console as in a modern terminal.
//!
//! The VGA text console has 16 foreground colours but only the 8 dark ones as backgrounds (the
//! kernel maps a bright background to its dark twin), so every background here is one of those
//! 8; bright colours are only ever foregrounds. `tests` check every cell of every screen.

use ratatui::style::{Color, Modifier, Style};

/// The 8 backgrounds the VGA console can show.
pub const BACKGROUNDS: [Color; 9] = [
    Color::Reset,
    Color::Black,
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Gray,
];

/// Whether `c` is one of the 16 console colours (or the terminal's default).
pub fn is_console_colour(c: Color) -> bool {
    matches!(
        c,
        Color::Reset
            | Color::Black
            | Color::Red
            | Color::Green
            | Color::Yellow
            | Color::Blue
            | Color::Magenta
            | Color::Cyan
            | Color::Gray
            | Color::DarkGray
            | Color::LightRed
            | Color::LightGreen
            | Color::LightYellow
            | Color::LightBlue
            | Color::LightMagenta
            | Color::LightCyan
            | Color::White
    )
}

pub fn base() -> Style {
    Style::default().fg(Color::Gray).bg(Color::Black)
}
/// The title bar.
pub fn title() -> Style {
    Style::default().fg(Color::White).bg(Color::Blue)
}
/// The key bar at the bottom.
pub fn keys() -> Style {
    Style::default().fg(Color::Black).bg(Color::Cyan)
}
/// A key's name inside the key bar.
pub fn key_name() -> Style {
    Style::default().fg(Color::White).bg(Color::Blue)
}
pub fn label() -> Style {
    Style::default().fg(Color::LightCyan).bg(Color::Black)
}
pub fn value() -> Style {
    Style::default().fg(Color::White).bg(Color::Black)
}
pub fn dim() -> Style {
    Style::default().fg(Color::DarkGray).bg(Color::Black)
}
pub fn good() -> Style {
    Style::default().fg(Color::LightGreen).bg(Color::Black)
}
pub fn warn() -> Style {
    Style::default().fg(Color::LightYellow).bg(Color::Black)
}
pub fn bad() -> Style {
    Style::default().fg(Color::LightRed).bg(Color::Black)
}
/// The row under the cursor.
pub fn cursor() -> Style {
    Style::default().fg(Color::Black).bg(Color::Gray)
}
/// The destructive banner of the confirmation.
pub fn danger() -> Style {
    Style::default()
        .fg(Color::White)
        .bg(Color::Red)
        .add_modifier(Modifier::BOLD)
}
/// A gauge's filled part and the rest.
pub fn gauge_done() -> Style {
    Style::default().fg(Color::White).bg(Color::Blue)
}
pub fn gauge_good() -> Style {
    Style::default().fg(Color::Black).bg(Color::Green)
}
pub fn gauge_bad() -> Style {
    Style::default().fg(Color::White).bg(Color::Red)
}
pub fn gauge_rest() -> Style {
    Style::default().fg(Color::Gray).bg(Color::Black)
}
/// Borders and headings.
pub fn frame() -> Style {
    Style::default().fg(Color::Cyan).bg(Color::Black)
}
pub fn heading() -> Style {
    Style::default()
        .fg(Color::White)
        .bg(Color::Black)
        .add_modifier(Modifier::BOLD)
}
