//! The certificate's QR code drawn with half-block characters: each character cell holds two
//! modules, the upper one in the foreground colour of `▀` and the lower one in its background,
//! so a 33-module code takes 37 columns and 19 rows with its quiet zone — it fits beside the
//! verdict at 80×25. Light modules are grey, the only light colour a VGA console can put in a
//! background; dark ones black.

use qrcode::{EcLevel, QrCode};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

/// Light modules around the code (the standard asks for 4; phones read 2 on a black screen).
pub const QUIET: usize = 2;

/// A QR code's modules, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    pub width: usize,
    pub dark: Vec<bool>,
}

impl QrMatrix {
    /// The smallest code holding `data` (error correction level L keeps it small: the screen
    /// is sharp and flat, not a crumpled label).
    pub fn encode(data: &str) -> Option<QrMatrix> {
        let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::L).ok()?;
        Some(QrMatrix {
            width: code.width(),
            dark: code
                .to_colors()
                .iter()
                .map(|c| *c == qrcode::Color::Dark)
                .collect(),
        })
    }

    /// Whether the module at (x, y) is dark; outside the code (the quiet zone) it is light.
    pub fn is_dark(&self, x: isize, y: isize) -> bool {
        let w = self.width as isize;
        (0..w).contains(&x) && (0..w).contains(&y) && self.dark[(y * w + x) as usize]
    }

    /// Columns and rows the drawing takes, quiet zone included.
    pub fn cells(&self) -> (u16, u16) {
        let side = self.width + 2 * QUIET;
        (
            u16::try_from(side).unwrap_or(u16::MAX),
            u16::try_from(side.div_ceil(2)).unwrap_or(u16::MAX),
        )
    }

    /// The drawing, one line per two module rows.
    pub fn lines(&self) -> Vec<Line<'static>> {
        let side = (self.width + 2 * QUIET) as isize;
        let q = QUIET as isize;
        let colour = |dark: bool| if dark { Color::Black } else { Color::Gray };
        (0..side)
            .step_by(2)
            .map(|top| {
                let spans: Vec<Span<'static>> = (0..side)
                    .map(|x| {
                        let upper = self.is_dark(x - q, top - q);
                        // An odd number of rows leaves the last half cell in the quiet zone.
                        let lower = top + 1 < side && self.is_dark(x - q, top + 1 - q);
                        Span::styled("▀", Style::default().fg(colour(upper)).bg(colour(lower)))
                    })
                    .collect();
                Line::from(spans)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_fits_beside_the_verdict_at_80_by_25() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let q = QrMatrix::encode(&digest).unwrap();
        let (w, h) = q.cells();
        assert!(w <= 41 && h <= 21, "{w}x{h}");
        assert_eq!(q.lines().len(), usize::from(h));
    }
}
