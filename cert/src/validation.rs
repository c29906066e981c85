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
    let (hpa, dco) = d.hidden_states();
    let hidden = [hpa, dco];
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        DeviceRecord, Disposition, ExceptionRecord, HiddenAreas, Level, LevelException,
        ValidationOutcome, VerificationRecord, VerifyMode,
    };

    /// A sanitized overwrite of an NVMe disk: nothing hidden, nothing out of reach.
    fn entry() -> DiskSanitization {
        DiskSanitization {
            device: DeviceRecord {
                disk_id: "nvme:S1:ns1".into(),
                dev_path: "/dev/nvme0n1".into(),
                vendor: None,
                model: None,
                serial: Some("S1".into()),
                firmware: None,
                capacity_bytes: 1 << 20,
                logical_sector_size: 512,
                interface: "nvme".into(),
                media_type: "ssd".into(),
            },
            hidden_areas: HiddenAreas {
                hpa: Some(HiddenAreaState::NotApplicable),
                dco: Some(HiddenAreaState::NotApplicable),
                ..HiddenAreas::default()
            },
            level: Level::Clear,
            requested_level: None,
            technique: "overwrite".into(),
            method: "zero".into(),
            passes: Vec::new(),
            bytes_written: 1 << 20,
            started_at: String::new(),
            finished_at: String::new(),
            duration_ms: 0,
            write_rate_bps: 0,
            verification: VerificationRecord {
                mode: VerifyMode::Full,
                requested_permille: 1000,
                coverage_permille: 1000,
                algorithm: None,
                seed: None,
                total_sectors: 2048,
                sector_size: 512,
                subsections: 0,
                blocks_checked: 1,
                bytes_checked: 1 << 20,
                mismatches: 0,
                first_mismatch_lba: None,
                passed: true,
                firmware_check: None,
            },
            result: Outcome::Passed,
            sanitized: true,
            errors: Vec::new(),
            disposition: Disposition::Keep,
            explanations: Vec::new(),
            firmware: None,
            exception: None,
            validation: None,
        }
    }

    fn with(f: impl FnOnce(&mut DiskSanitization)) -> ValidationRule {
        let mut d = entry();
        f(&mut d);
        decide(&d)
    }

    fn remapped() -> Option<ExceptionRecord> {
        Some(ExceptionRecord {
            exception: LevelException::RemappedSectorsUnreachable {
                sectors: "12".into(),
            },
            message: String::new(),
        })
    }

    #[test]
    fn a_complete_record_is_approved_by_its_technique() {
        assert_eq!(with(|_| {}), ValidationRule::OverwriteVerified);
        assert_eq!(
            with(|d| d.technique = "nvme-sanitize-crypto".into()),
            ValidationRule::FirmwareEraseChecked
        );
        // Read and found empty, or emptied: as good as not applicable.
        for state in [HiddenAreaState::Absent, HiddenAreaState::Removed] {
            assert_eq!(
                with(|d| d.hidden_areas.hpa = Some(state)),
                ValidationRule::OverwriteVerified
            );
        }
    }

    #[test]
    fn what_is_out_of_reach_escalates() {
        assert_eq!(
            with(|d| d.exception = remapped()),
            ValidationRule::RemappedSectorsUnreachable
        );
        assert_eq!(
            with(|d| d.hidden_areas.dco = Some(HiddenAreaState::Indeterminate)),
            ValidationRule::HiddenAreasIndeterminate
        );
        // The exception is the stronger fact: it is known, the hidden area only may be.
        assert_eq!(
            with(|d| {
                d.exception = remapped();
                d.hidden_areas.hpa = Some(HiddenAreaState::Indeterminate);
            }),
            ValidationRule::RemappedSectorsUnreachable
        );
    }

    #[test]
    fn a_disk_not_sanitized_is_rejected_with_why() {
        let not = |result: Outcome| {
            move |d: &mut DiskSanitization| {
                d.sanitized = false;
                d.result = result;
            }
        };
        assert_eq!(
            with(not(Outcome::Failed)),
            ValidationRule::SanitizationFailed
        );
        assert_eq!(
            with(not(Outcome::Cancelled)),
            ValidationRule::SanitizationCancelled
        );
        assert_eq!(with(not(Outcome::Unverified)), ValidationRule::NotVerified);
        // "passed" that is not sanitized (an inconsistent record) is a failure.
        assert_eq!(
            with(not(Outcome::Passed)),
            ValidationRule::SanitizationFailed
        );
        assert_eq!(
            with(|d| {
                not(Outcome::Failed)(d);
                d.hidden_areas.dco = Some(HiddenAreaState::Present);
            }),
            ValidationRule::HiddenSectorsLeft
        );
        // Sectors still hidden are never approved, whatever the record claims.
        assert_eq!(
            with(|d| d.hidden_areas.hpa = Some(HiddenAreaState::Present)),
            ValidationRule::HiddenSectorsLeft
        );
    }

    /// A certificate issued before the states were recorded: its counters say what is known,
    /// and a count never read is indeterminate, not "none".
    #[test]
    fn counters_alone_decide_for_older_certificates() {
        let counts = |hpa: (Option<u64>, Option<u64>)| {
            move |d: &mut DiskSanitization| {
                d.hidden_areas = HiddenAreas {
                    hpa_sectors_before: hpa.0,
                    hpa_sectors_after: hpa.1,
                    dco_sectors_before: Some(0),
                    dco_sectors_after: Some(0),
                    hpa: None,
                    dco: None,
                }
            }
        };
        assert_eq!(
            with(|d| {
                counts((None, None))(d);
                d.device.interface = "sata".into();
            }),
            ValidationRule::HiddenAreasIndeterminate
        );
        // Never read on an NVMe disk: it has none.
        assert_eq!(
            with(|d| {
                counts((None, None))(d);
                d.hidden_areas.dco_sectors_before = None;
                d.hidden_areas.dco_sectors_after = None;
            }),
            ValidationRule::OverwriteVerified
        );
        assert_eq!(
            with(counts((Some(0), Some(0)))),
            ValidationRule::OverwriteVerified
        );
        assert_eq!(
            with(counts((Some(64), Some(0)))),
            ValidationRule::OverwriteVerified
        );
        assert_eq!(
            with(counts((Some(64), Some(64)))),
            ValidationRule::HiddenSectorsLeft
        );
    }

    #[test]
    fn the_record_pairs_the_rule_with_its_outcome_and_sentence() {
        let mut d = entry();
        d.exception = remapped();
        let r = record(&d, Language::En);
        assert_eq!(r.outcome, ValidationOutcome::Escalate);
        assert_eq!(r.rule, ValidationRule::RemappedSectorsUnreachable);
        assert!(r.message.starts_with("ESCALATE: "), "{}", r.message);
        let r = record(&d, Language::Fr);
        assert!(r.message.starts_with("À ARBITRER : "), "{}", r.message);
    }
}
