//! The sanitization validation of one disk (NIST SP 800-88 Rev. 2, which replaces Rev. 1's
//! "verification" with a validation of the sanitization's effectiveness): approve, reject or
//! escalate, and the rule that decided it.
//!
//! Decided from the disk's certificate entry alone — its result, whether it is sanitized, its
//! technique, its hidden areas and its exception — so that a reader of the certificate (an
//! auditor, the workshop server) can decide it again and find the same rule.

use crate::messages;
use crate::model::{
    DiskSanitization, HiddenAreaState, Language, Outcome, ValidationRecord, ValidationRule,
};

/// The rule that decides `d`'s validation. In order: a disk not sanitized is rejected (hidden
/// sectors left, not verified, cancelled, failed); a sanitized one is escalated when something
/// is known, or may be, out of its technique's reach (remapped sectors under an overwrite, then
/// hidden areas that could not be read); else approved.
pub fn decide(d: &DiskSanitization) -> ValidationRule {
    let hidden = [d.hidden_areas.hpa_state(), d.hidden_areas.dco_state()];
    let left = hidden.contains(&HiddenAreaState::Present);
    if !d.sanitized {
        return match d.result {
            Outcome::Cancelled => ValidationRule::SanitizationCancelled,
            Outcome::Unverified => ValidationRule::NotVerified,
            _ if left => ValidationRule::HiddenSectorsLeft,
            Outcome::Failed | Outcome::Passed => ValidationRule::SanitizationFailed,
        };
    }
    if left {
        // A record that says sanitized with sectors still hidden is not one Reprise writes;
        // it is refused all the same.
        ValidationRule::HiddenSectorsLeft
    } else if d.exception.is_some() {
        ValidationRule::RemappedSectorsUnreachable
    } else if hidden.contains(&HiddenAreaState::Indeterminate) {
        ValidationRule::HiddenAreasIndeterminate
    } else if d.technique == "overwrite" {
        ValidationRule::OverwriteVerified
    } else {
        ValidationRule::FirmwareEraseChecked
    }
}

/// `d`'s validation as the certificate records it, its sentence in `lang`.
pub fn record(d: &DiskSanitization, lang: Language) -> ValidationRecord {
    let rule = decide(d);
    ValidationRecord {
        outcome: rule.outcome(),
        rule,
        message: messages::validation(rule, lang).to_owned(),
    }
}
