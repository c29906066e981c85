//! The hands-on checks a refurbisher does on every laptop, as logic the operator's screen drives:
//! the keyboard map ([`keyboard`]), the screen's solid colours ([`screen`]), a short all-core
//! load read against the sensors ([`cooling`]), and a RAM pattern test run while the disks are
//! wiped ([`ram`]).
//!
//! Each produces the record the certificate carries (`reprise_cert::model::ChecksRecord`), which
//! the verdict's policy weighs. Nothing here touches the OS: the sensors and the physical
//! addresses come from `sys` through parameters, the keys from the screen.
//!
//! A record is what happened: a check that was started but tested nothing (a RAM test stopped
//! before its first chunk, a keyboard check where no key was pressed, a cooling load with no
//! reading) is "not run" with its reason ([`settle`]), never a check that passed with 0 errors.

pub mod cooling;
pub mod keyboard;
pub mod ram;
pub mod screen;

use reprise_cert::messages;
use reprise_cert::model::{
    CheckName, CheckNotRun, ChecksRecord, CoolingCheck, KeyboardCheck, Language, MemoryCheck,
    NotRunWhy, RamEnd, ScreenCheck,
};

/// Why the RAM test tested nothing, if it did: no memory taken, or no pattern written and read
/// back over it (and no error found meanwhile: an error found is a finding, whatever else).
pub fn memory_not_run(m: &MemoryCheck) -> Option<NotRunWhy> {
    let nothing = m.bytes_tested == 0 || (m.patterns.is_empty() && m.errors == 0);
    if !nothing {
        return None;
    }
    Some(match m.ended_by {
        Some(RamEnd::WipeEnded) => NotRunWhy::WipeEnded,
        Some(RamEnd::NoMemoryFree) => NotRunWhy::NoMemoryFree,
        Some(RamEnd::AllocationRefused) => NotRunWhy::AllocationRefused,
        None => NotRunWhy::NothingTested,
    })
}

/// Why the keyboard check tested nothing: no key pressed but Esc (three of which end the
/// check).
pub fn keyboard_not_run(k: &KeyboardCheck) -> Option<NotRunWhy> {
    // Every map has an Esc keycap (the function row): pressed when it is not listed missing.
    let esc_pressed = !k.keys_not_pressed.iter().any(|key| key == "Esc");
    let others = k.keys_pressed.saturating_sub(u32::from(esc_pressed));
    (others == 0).then_some(NotRunWhy::NoKeyPressed)
}

/// Why the screen check tested nothing: no colour shown and judged.
pub fn screen_not_run(s: &ScreenCheck) -> Option<NotRunWhy> {
    s.colours.is_empty().then_some(NotRunWhy::NoColourShown)
}

/// Why the cooling check tested nothing: no reading at all under load (no temperature, no
/// frequency, no throttle counter).
pub fn cooling_not_run(c: &CoolingCheck) -> Option<NotRunWhy> {
    (c.max_millicelsius.is_none()
        && c.average_khz.is_none()
        && c.lowest_khz.is_none()
        && c.throttle_events.is_none())
    .then_some(NotRunWhy::NoReading)
}

/// The record as it happened: every check that tested nothing taken out of its member and
/// listed as not run, with its reason in `lang`. The verdict and the certificate read records
/// through this, whoever made them.
pub fn settle(mut record: ChecksRecord, lang: Language) -> ChecksRecord {
    let mut not_run: Vec<(CheckName, NotRunWhy)> = Vec::new();
    if let Some(why) = record.keyboard.as_ref().and_then(keyboard_not_run) {
        record.keyboard = None;
        not_run.push((CheckName::Keyboard, why));
    }
    if let Some(why) = record.screen.as_ref().and_then(screen_not_run) {
        record.screen = None;
        not_run.push((CheckName::Screen, why));
    }
    if let Some(why) = record.cooling.as_ref().and_then(cooling_not_run) {
        record.cooling = None;
        not_run.push((CheckName::Cooling, why));
    }
    if let Some(why) = record.memory.as_ref().and_then(memory_not_run) {
        record.memory = None;
        not_run.push((CheckName::Memory, why));
    }
    for (check, why) in not_run {
        // A record settled before (read back from a file) says it once.
        if !record.not_run.iter().any(|n| n.check == check) {
            record.not_run.push(CheckNotRun {
                check,
                why,
                message: messages::check_not_run(why, lang),
            });
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(bytes: u64, patterns: &[&str], errors: u64, ended_by: Option<RamEnd>) -> MemoryCheck {
        MemoryCheck {
            patterns: patterns.iter().map(|p| (*p).to_owned()).collect(),
            bytes_tested: bytes,
            bytes_total: Some(8 << 30),
            duration_ms: 10,
            completed: false,
            errors,
            first_errors: Vec::new(),
            module: None,
            ended_by,
        }
    }

    fn keyboard(pressed: u32, not_pressed: &[&str]) -> KeyboardCheck {
        KeyboardCheck {
            layout: "fr-azerty".into(),
            keys_total: pressed + u32::try_from(not_pressed.len()).unwrap(),
            keys_pressed: pressed,
            keys_not_pressed: not_pressed.iter().map(|k| (*k).to_owned()).collect(),
            completed: true,
        }
    }

    #[test]
    fn a_ram_test_that_tested_nothing_is_not_run_with_its_reason() {
        use NotRunWhy::*;
        let wipe = Some(RamEnd::WipeEnded);
        assert_eq!(memory_not_run(&memory(0, &[], 0, wipe)), Some(WipeEnded));
        assert_eq!(
            memory_not_run(&memory(0, &[], 0, Some(RamEnd::AllocationRefused))),
            Some(AllocationRefused)
        );
        // Memory taken, but stopped before the first pattern was read back: nothing tested.
        assert_eq!(
            memory_not_run(&memory(64 << 20, &[], 0, wipe)),
            Some(WipeEnded)
        );
        // A record from before `ended_by` was kept.
        assert_eq!(
            memory_not_run(&memory(0, &[], 0, None)),
            Some(NothingTested)
        );
        // One pattern over 64 MiB: it ran. An error found before any pattern ended: a finding.
        assert_eq!(
            memory_not_run(&memory(64 << 20, &["walking-ones"], 0, wipe)),
            None
        );
        assert_eq!(memory_not_run(&memory(64 << 20, &[], 3, wipe)), None);
    }

    #[test]
    fn a_keyboard_check_with_no_key_but_esc_is_not_run() {
        // Esc three times at once: the only key pressed is the one that ends the check.
        assert_eq!(
            keyboard_not_run(&keyboard(1, &["F1", "A", "Z"])),
            Some(NotRunWhy::NoKeyPressed)
        );
        assert_eq!(
            keyboard_not_run(&keyboard(0, &["Esc", "F1", "A"])),
            Some(NotRunWhy::NoKeyPressed)
        );
        assert_eq!(keyboard_not_run(&keyboard(2, &["F1", "A"])), None);
        // One key that is not Esc: tested something.
        assert_eq!(keyboard_not_run(&keyboard(1, &["Esc", "A"])), None);
    }

    #[test]
    fn settle_moves_what_tested_nothing_to_not_run_in_the_language_asked() {
        let record = ChecksRecord {
            keyboard: Some(keyboard(1, &["F1", "A"])),
            screen: Some(ScreenCheck {
                colours: Vec::new(),
                passed: true,
                defect_on: None,
            }),
            cooling: Some(CoolingCheck {
                duration_ms: 30_000,
                threads: 4,
                sensor: None,
                idle_millicelsius: None,
                max_millicelsius: None,
                average_khz: None,
                lowest_khz: None,
                throttle_events: None,
            }),
            memory: Some(memory(0, &[], 0, Some(RamEnd::WipeEnded))),
            not_run: Vec::new(),
            no_disk_stated: false,
        };
        let fr = settle(record.clone(), Language::Fr);
        assert!(
            fr.keyboard.is_none()
                && fr.screen.is_none()
                && fr.cooling.is_none()
                && fr.memory.is_none()
        );
        let listed: Vec<(CheckName, NotRunWhy)> =
            fr.not_run.iter().map(|n| (n.check, n.why)).collect();
        assert_eq!(
            listed,
            [
                (CheckName::Keyboard, NotRunWhy::NoKeyPressed),
                (CheckName::Screen, NotRunWhy::NoColourShown),
                (CheckName::Cooling, NotRunWhy::NoReading),
                (CheckName::Memory, NotRunWhy::WipeEnded),
            ]
        );
        assert_eq!(
            fr.not_run[3].message,
            "non effectué : l'effacement s'est terminé avant qu'un motif soit écrit et relu"
        );
        assert_eq!(
            settle(record, Language::En).not_run[3].message,
            "not run: the wipe ended before one pattern was written and read back"
        );
        // Settling twice changes nothing.
        assert_eq!(settle(fr.clone(), Language::Fr), fr);
        assert!(!fr.is_empty(), "a check not run is still recorded");
    }
}
