//! The screen check: full-screen solid colours in turn, for dead pixels, stains and backlight
//! bleed; the operator says whether a defect was seen, and on which colour.

use reprise_cert::model::ScreenCheck;

/// The colours shown, in order: white and black first (dead and stuck pixels), then the
/// primaries (sub-pixels), then black again in the end is not needed: bleed shows on black.
pub const COLOURS: [&str; 5] = ["white", "red", "green", "blue", "black"];

/// Where the operator is in the sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScreenState {
    /// Index into [`COLOURS`]; `COLOURS.len()` once every colour was shown.
    pub shown: usize,
}

impl ScreenState {
    /// The colour on screen now, if the sequence is not over.
    pub fn colour(&self) -> Option<&'static str> {
        COLOURS.get(self.shown).copied()
    }

    /// Next colour; true when the sequence is over.
    pub fn advance(&mut self) -> bool {
        self.shown = (self.shown + 1).min(COLOURS.len());
        self.shown == COLOURS.len()
    }

    /// The record: passed when the operator went through every colour without marking a
    /// defect; failed on the colour where the defect was marked.
    pub fn record(&self, defect: bool) -> ScreenCheck {
        let shown = (self.shown + usize::from(defect)).min(COLOURS.len());
        ScreenCheck {
            colours: COLOURS[..shown].iter().map(|c| (*c).to_owned()).collect(),
            passed: !defect,
            defect_on: defect.then(|| self.colour().unwrap_or("black").to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_defect_names_its_colour() {
        let mut s = ScreenState::default();
        assert!(!s.advance());
        let r = s.record(true);
        assert_eq!(r.colours, ["white", "red"]);
        assert!(!r.passed);
        assert_eq!(r.defect_on.as_deref(), Some("red"));
        while !s.advance() {}
        let r = s.record(false);
        assert!(r.passed && r.colours.len() == COLOURS.len() && r.defect_on.is_none());
    }
}
