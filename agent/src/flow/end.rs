//! The end of a run is the operator's: power off (the default), reboot, or — only behind a key
//! named on no button, or the boot option `reprise.shell=1` — the maintenance shell. The
//! front-ends ask (the screen's last dialog, the console's last line); the agent never acts on
//! the answer itself: it writes it to the file init named (`--choice-file`, in the live image
//! `/run/reprise/next`), and init — which saves the boot log and unmounts the stick first —
//! powers off, reboots or opens the shell. The exit status keeps saying how the run went
//! (0, 3, 4…); the choice says what the machine does next, so neither has to carry the other.

use std::path::{Path, PathBuf};

/// What the machine does once the agent has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    PowerOff,
    Reboot,
    /// Init's maintenance shell; leaving it (`exit`) comes back to the choice.
    Shell,
}

impl Choice {
    /// The word written for init (`poweroff`, `reboot`, `shell`): init's `case` matches these.
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::PowerOff => "poweroff",
            Choice::Reboot => "reboot",
            Choice::Shell => "shell",
        }
    }

    /// The operator's answer to the console's last question (init's prompt reads the same
    /// words): an empty line is the default, power off; `r`, `reboot` or `redémarrer` reboots;
    /// `shell` is the maintenance shell, offered or not. Anything else: `None`, ask again.
    pub fn from_answer(line: &str) -> Option<Choice> {
        match line.trim().to_lowercase().as_str() {
            "" | "p" | "poweroff" | "power off" | "e" | "éteindre" | "eteindre" => {
                Some(Choice::PowerOff)
            }
            "r" | "reboot" | "redémarrer" | "redemarrer" => Some(Choice::Reboot),
            "shell" => Some(Choice::Shell),
            _ => None,
        }
    }
}

/// The choice could not be handed to init.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the operator's choice ({choice}) to {path}")]
pub struct ChoiceError {
    pub choice: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: crate::sys::file::FileError,
}

/// Writes `choice` to `path` for init: one word and a newline, in a new file (init removes it
/// before it starts the agent, so an old answer is never acted on twice).
pub fn write(path: &Path, choice: Choice) -> Result<(), ChoiceError> {
    let bytes = format!("{}\n", choice.as_str());
    crate::sys::file::create_new(path, bytes.as_bytes())
        .map(|_| ())
        .map_err(|source| ChoiceError {
            choice: choice.as_str(),
            path: path.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_both_languages_and_enter_powers_off() {
        assert_eq!(Choice::from_answer("\n"), Some(Choice::PowerOff));
        assert_eq!(Choice::from_answer("  "), Some(Choice::PowerOff));
        assert_eq!(Choice::from_answer("R\n"), Some(Choice::Reboot));
        assert_eq!(Choice::from_answer("Redémarrer"), Some(Choice::Reboot));
        assert_eq!(Choice::from_answer("reboot"), Some(Choice::Reboot));
        assert_eq!(Choice::from_answer("éteindre"), Some(Choice::PowerOff));
        assert_eq!(Choice::from_answer("shell"), Some(Choice::Shell));
        assert_eq!(Choice::from_answer("sh"), None);
        assert_eq!(Choice::from_answer("yes"), None);
    }

    #[test]
    fn the_choice_is_one_word_in_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("next");
        write(&path, Choice::Reboot).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "reboot\n");
        // Never over an answer already there: init removed it before the agent started.
        let e = write(&path, Choice::PowerOff).unwrap_err();
        assert!(e.to_string().contains("(poweroff)"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "reboot\n");
    }
}
