//! Reasons, actions, incidents, exceptions and the contract's closed sets (level, result,
//! health, decision, grade, disk problem, the rules of a firmware erase's check, hidden area
//! state, validation outcome and rule) in words, in French or English: the one place where the
//! agent's screen, the rendered certificate and the collector find them.
//!
//! The certificate stores the key and parameters (for machines) and the rendered sentence (for
//! people); renderers and the collector can re-render in another language from the key.

use crate::model::{
    CanaryRule, HealthStatus, HiddenAreaState, Incident, Language, Level, LevelException, Occupant,
    Outcome, PostErase, ValidationOutcome, ValidationRule,
};
use crate::verdict::{Action, Decision, DiskProblem, Grade, Reason};
use crate::words::{
    CheckName, ControllerFinding, ControllerKind, NotRunWhy, StorageHandling, StorageKind,
};

/// Human form of a byte count in GiB with one decimal ("3.8 GiB" / "3,8 Gio"), integers only.
pub fn gib(bytes: u64, lang: Language) -> String {
    let tenths = (u128::from(bytes) * 10 + (1 << 29)) / (1 << 30);
    let (int, frac) = (tenths / 10, tenths % 10);
    match (lang, frac) {
        (Language::En, 0) => format!("{int} GiB"),
        (Language::En, f) => format!("{int}.{f} GiB"),
        (Language::Fr, 0) => format!("{int} Gio"),
        (Language::Fr, f) => format!("{int},{f} Gio"),
    }
}

/// Euro cents as euros ("212 €", "45,50 €" / "45.50 €"), integers only.
pub fn euros(cents: u64, lang: Language) -> String {
    let (int, frac) = (cents / 100, cents % 100);
    match (lang, frac) {
        (_, 0) => format!("{int} €"),
        (Language::En, f) => format!("{int}.{f:02} €"),
        (Language::Fr, f) => format!("{int},{f:02} €"),
    }
}

/// An action as an instruction with its cost: "replace battery BAT0 (41 %) — 45 €". A repair
/// the price list cannot price says so; an action that is not a repair has no cost to say.
pub fn priced_action(a: &Action, cost_cents: Option<u64>, lang: Language) -> String {
    let text = action(a, lang);
    match (cost_cents, lang) {
        (Some(c), l) => format!("{text} — {}", euros(c, l)),
        (None, _) if !a.is_repair() => text,
        (None, Language::En) => format!("{text} — not priced"),
        (None, Language::Fr) => format!("{text} — non chiffré"),
    }
}

/// The plan's total against the budget, short enough for the screen's narrow column:
/// "repairs 72.50 €, budget 180 €".
pub fn repair_total(repair_cost_cents: u64, budget_cents: u64, lang: Language) -> String {
    let (cost, budget) = (euros(repair_cost_cents, lang), euros(budget_cents, lang));
    match lang {
        Language::En => format!("repairs {cost}, budget {budget}"),
        Language::Fr => format!("réparations {cost}, budget {budget}"),
    }
}

/// Per-mille as a whole percentage ("41 %").
pub fn percent(permille: u32) -> String {
    format!("{} %", (permille + 5) / 10)
}

/// Millidegrees Celsius as whole degrees ("97 °C"), integers only.
pub fn celsius(millicelsius: u32) -> String {
    format!("{} °C", (millicelsius + 500) / 1000)
}

/// The screen check's colour names in French ("white" → "blanc").
pub fn colour_fr(colour: &str) -> &str {
    match colour {
        "white" => "blanc",
        "black" => "noir",
        "red" => "rouge",
        "green" => "vert",
        "blue" => "bleu",
        "grey" => "gris",
        other => other,
    }
}

/// "Clear" / "Purge": the same word in both languages (the standard's term, and the
/// certificate's).
/// Where a certificate's time comes from, and what was done about a laptop clock found too
/// early: "the laptop's clock, 17 years behind: set to the image's build time".
pub fn time(r: &crate::model::TimeRecord, lang: Language) -> String {
    use crate::model::{TimeFloor, TimeSource};
    let fr = lang == Language::Fr;
    let source = match (r.source, fr) {
        (TimeSource::Rtc, false) => "the laptop's clock",
        (TimeSource::Rtc, true) => "l'horloge du portable",
        (TimeSource::Server, false) => "the workshop server",
        (TimeSource::Server, true) => "le serveur de l'atelier",
        (TimeSource::Ntp, false) => "a network time server (NTP)",
        (TimeSource::Ntp, true) => "un serveur de temps du réseau (NTP)",
    };
    let offset = r.rtc_offset_ms.map(|ms| {
        let (secs, behind) = (ms.unsigned_abs() / 1000, ms < 0);
        let amount = if secs >= 2 * 86_400 * 365 {
            format!(
                "{} {}",
                secs / (86_400 * 365),
                if fr { "ans" } else { "years" }
            )
        } else if secs >= 2 * 86_400 {
            format!("{} {}", secs / 86_400, if fr { "jours" } else { "days" })
        } else {
            format!("{secs} s")
        };
        match (behind, fr) {
            (true, false) => format!("the laptop's clock was {amount} behind"),
            (true, true) => format!("l'horloge du portable retardait de {amount}"),
            (false, false) => format!("the laptop's clock was {amount} ahead"),
            (false, true) => format!("l'horloge du portable avançait de {amount}"),
        }
    });
    let floor = r.corrected_to.map(|f| match (f, fr) {
        (TimeFloor::ImageBuild, false) => "set to the build time of the image",
        (TimeFloor::ImageBuild, true) => "ramenée à la date de construction de l'image",
        (TimeFloor::PreviousCertificate, false) => "set to the time of the previous certificate",
        (TimeFloor::PreviousCertificate, true) => "ramenée à la date du certificat précédent",
    });
    let mut out = source.to_owned();
    if let Some(o) = offset {
        out.push_str(&format!(" ({o}"));
        if let Some(f) = floor {
            out.push_str(&format!(": {f}"));
        }
        out.push(')');
    }
    out
}

pub fn level(l: Level) -> &'static str {
    match l {
        Level::Clear => "Clear",
        Level::Purge => "Purge",
    }
}

/// How a disk's sanitization ended, as the screen's log says it (whether the disk is sanitized
/// is the record's business: `Passed` alone is not enough).
pub fn outcome(o: Outcome, lang: Language) -> &'static str {
    match (o, lang) {
        (Outcome::Passed, Language::En) => "written and verified",
        (Outcome::Passed, Language::Fr) => "écrit et vérifié",
        (Outcome::Unverified, Language::En) => "written, NOT verified",
        (Outcome::Unverified, Language::Fr) => "écrit, NON vérifié",
        (Outcome::Failed, Language::En) => "FAILED",
        (Outcome::Failed, Language::Fr) => "ÉCHEC",
        (Outcome::Cancelled, Language::En) => "CANCELLED",
        (Outcome::Cancelled, Language::Fr) => "ANNULÉ",
    }
}

/// The rule of a firmware erase's canary check, as a sentence.
pub fn canary_rule(r: CanaryRule, lang: Language) -> &'static str {
    match (r, lang) {
        (CanaryRule::Differs, Language::En) => {
            "each sampled block written with random bytes before the erase, and none of them left afterwards"
        }
        (CanaryRule::Differs, Language::Fr) => {
            "chaque bloc échantillonné écrit d'octets aléatoires avant l'effacement, et aucun d'eux ne reste après"
        }
        (CanaryRule::Zeros, Language::En) => {
            "each sampled block written with random bytes before the erase, and holding zeros afterwards"
        }
        (CanaryRule::Zeros, Language::Fr) => {
            "chaque bloc échantillonné écrit d'octets aléatoires avant l'effacement, et rempli de zéros après"
        }
        (CanaryRule::Ones, Language::En) => {
            "each sampled block written with random bytes before the erase, and holding FFh bytes afterwards"
        }
        (CanaryRule::Ones, Language::Fr) => {
            "chaque bloc échantillonné écrit d'octets aléatoires avant l'effacement, et rempli d'octets FFh après"
        }
    }
}

/// The rule of a firmware erase's check made before canaries (certificates issued before them):
/// each block read before and after.
pub fn before_after_rule(r: PostErase, lang: Language) -> &'static str {
    match (r, lang) {
        (PostErase::Changed, Language::En) => "each sampled block different from before",
        (PostErase::Changed, Language::Fr) => "chaque bloc échantillonné différent d'avant",
        (PostErase::Zeros, Language::En) => "each sampled block different from before, or zeros",
        (PostErase::Zeros, Language::Fr) => {
            "chaque bloc échantillonné différent d'avant, ou rempli de zéros"
        }
        (PostErase::Ones, Language::En) => "each sampled block different from before, or FFh bytes",
        (PostErase::Ones, Language::Fr) => {
            "chaque bloc échantillonné différent d'avant, ou rempli d'octets FFh"
        }
    }
}

/// A drive's own health status in words.
pub fn health_status(s: HealthStatus, lang: Language) -> &'static str {
    match (s, lang) {
        (HealthStatus::Passed, Language::En) => "passed",
        (HealthStatus::Passed, Language::Fr) => "bon",
        (HealthStatus::Failing, Language::En) => "FAILING",
        (HealthStatus::Failing, Language::Fr) => "DÉFAILLANT",
        (HealthStatus::Unknown, Language::En) => "unknown",
        (HealthStatus::Unknown, Language::Fr) => "inconnu",
    }
}

/// What became of a hidden area (HPA or DCO) in words.
pub fn hidden_area_state(s: HiddenAreaState, lang: Language) -> &'static str {
    match (s, lang) {
        (HiddenAreaState::Absent, Language::En) => "none",
        (HiddenAreaState::Absent, Language::Fr) => "aucune",
        (HiddenAreaState::Removed, Language::En) => "removed",
        (HiddenAreaState::Removed, Language::Fr) => "supprimée",
        (HiddenAreaState::Present, Language::En) => "STILL HIDING SECTORS",
        (HiddenAreaState::Present, Language::Fr) => "CACHE ENCORE DES SECTEURS",
        (HiddenAreaState::Indeterminate, Language::En) => "indeterminate (could not be read)",
        (HiddenAreaState::Indeterminate, Language::Fr) => "indéterminée (illisible)",
        (HiddenAreaState::NotApplicable, Language::En) => "not applicable (no such feature)",
        (HiddenAreaState::NotApplicable, Language::Fr) => "sans objet (fonction absente)",
    }
}

/// A validation outcome in words.
pub fn validation_outcome(o: ValidationOutcome, lang: Language) -> &'static str {
    match (o, lang) {
        (ValidationOutcome::Approve, Language::En) => "APPROVE",
        (ValidationOutcome::Approve, Language::Fr) => "APPROUVÉ",
        (ValidationOutcome::Reject, Language::En) => "REJECT",
        (ValidationOutcome::Reject, Language::Fr) => "REJETÉ",
        (ValidationOutcome::Escalate, Language::En) => "ESCALATE",
        (ValidationOutcome::Escalate, Language::Fr) => "À ARBITRER",
    }
}

/// The sentence of a validation rule: its outcome, then why.
pub fn validation(r: ValidationRule, lang: Language) -> String {
    use Language::{En, Fr};
    let why = match (r, lang) {
        (ValidationRule::OverwriteVerified, En) => {
            "every addressable sector was overwritten, then read back as written"
        }
        (ValidationRule::OverwriteVerified, Fr) => {
            "chaque secteur adressable a été écrasé, puis relu conforme"
        }
        (ValidationRule::FirmwareEraseChecked, En) => {
            "the drive reported its own erase done, and the sampled blocks, read before and after, hold what the technique documents"
        }
        (ValidationRule::FirmwareEraseChecked, Fr) => {
            "le disque a annoncé son effacement terminé, et les blocs échantillonnés, lus avant et après, contiennent ce que la technique prévoit"
        }
        (ValidationRule::RemappedSectorsUnreachable, En) => {
            "sectors the drive remapped keep their old content out of an overwrite's reach: purge the disk with its own erase command, or destroy it"
        }
        (ValidationRule::RemappedSectorsUnreachable, Fr) => {
            "les secteurs réalloués par le disque gardent leur ancien contenu hors de portée d'un écrasement : purger le disque par sa propre commande d'effacement, ou le détruire"
        }
        (ValidationRule::HiddenAreasIndeterminate, En) => {
            "its hidden areas (HPA/DCO) could not be read: sectors may be hidden that were not sanitized"
        }
        (ValidationRule::HiddenAreasIndeterminate, Fr) => {
            "ses zones cachées (HPA/DCO) n'ont pas pu être lues : des secteurs non effacés peuvent y être cachés"
        }
        (ValidationRule::HiddenSectorsLeft, En) => {
            "sectors still hidden by an HPA or DCO were not sanitized"
        }
        (ValidationRule::HiddenSectorsLeft, Fr) => {
            "des secteurs encore cachés par une HPA ou un DCO n'ont pas été effacés"
        }
        (ValidationRule::NotVerified, En) => {
            "written, but never read back: nothing proves the result"
        }
        (ValidationRule::NotVerified, Fr) => "écrit, mais jamais relu : rien ne prouve le résultat",
        (ValidationRule::SanitizationFailed, En) => "the sanitization failed (see its errors)",
        (ValidationRule::SanitizationFailed, Fr) => "l'effacement a échoué (voir ses erreurs)",
        (ValidationRule::SanitizationCancelled, En) => {
            "the sanitization was stopped before the end"
        }
        (ValidationRule::SanitizationCancelled, Fr) => "l'effacement a été arrêté avant la fin",
    };
    match lang {
        En => format!("{}: {why}", validation_outcome(r.outcome(), lang)),
        Fr => format!("{} : {why}", validation_outcome(r.outcome(), lang)),
    }
}

/// What a level did not reach, said with the level: "Clear, with exception: 12 remapped
/// sectors not reachable".
pub fn exception(l: Level, e: &LevelException, lang: Language) -> String {
    match (e, lang) {
        (LevelException::RemappedSectorsUnreachable { sectors }, Language::En) => format!(
            "{}, with exception: {sectors} remapped sectors not reachable",
            level(l)
        ),
        (LevelException::RemappedSectorsUnreachable { sectors }, Language::Fr) => format!(
            "{}, avec exception : {sectors} secteurs réalloués hors d'atteinte",
            level(l)
        ),
    }
}

/// What held a sequence number's file name, in words.
pub fn occupant(o: Occupant, lang: Language) -> &'static str {
    match (o, lang) {
        (Occupant::Unreadable, Language::En) => "a file that cannot be read",
        (Occupant::Unreadable, Language::Fr) => "un fichier illisible",
        (Occupant::NotAFile, Language::En) => "something that is not a file",
        (Occupant::NotAFile, Language::Fr) => "autre chose qu'un fichier",
        (Occupant::NotACertificate, Language::En) => {
            "a file that is not a certificate of this station"
        }
        (Occupant::NotACertificate, Language::Fr) => {
            "un fichier qui n'est pas un certificat de cette station"
        }
    }
}

/// An incident as a sentence.
pub fn incident(i: &Incident, lang: Language) -> String {
    use Language::{En, Fr};
    match (i, lang) {
        (Incident::LogNotWritten { file, error }, En) => format!(
            "the log {file} could not be kept ({error}); this certificate was written all the same"
        ),
        (Incident::LogNotWritten { file, error }, Fr) => format!(
            "le journal {file} n'a pas pu être conservé ({error}) ; ce certificat a été écrit malgré tout"
        ),
        (
            Incident::SequenceSkipped {
                sequence,
                file,
                occupant: o,
                error,
            },
            l,
        ) => {
            let why = error
                .as_ref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            match l {
                En => format!(
                    "sequence number {sequence} skipped: its file name {file} is held by {}{why}",
                    occupant(*o, l)
                ),
                Fr => format!(
                    "numéro d'ordre {sequence} sauté : le nom {file} est occupé par {}{why}",
                    occupant(*o, l)
                ),
            }
        }
        (Incident::FileUnreadable { file, error }, En) => format!(
            "the certificate folder's file {file} could not be read ({error}): if it is a later certificate of this station, this one does not link to it"
        ),
        (Incident::FileUnreadable { file, error }, Fr) => format!(
            "le fichier {file} du dossier des certificats n'a pas pu être lu ({error}) : si c'est un certificat plus récent de cette station, celui-ci n'y est pas lié"
        ),
    }
}

/// Why a disk is to be replaced, with its count ("12 reallocated sectors").
pub fn disk_problem(p: DiskProblem, count: Option<&str>, lang: Language) -> String {
    use Language::{En, Fr};
    let count = count.unwrap_or("?");
    match (p, lang) {
        (DiskProblem::SmartFailed, En) => "SMART failing".to_owned(),
        (DiskProblem::SmartFailed, Fr) => "SMART en échec".to_owned(),
        (DiskProblem::SelfTestFailed, En) => "self-test failed".to_owned(),
        (DiskProblem::SelfTestFailed, Fr) => "autotest en échec".to_owned(),
        (DiskProblem::WornOut, En) => format!("{count} % of its rated endurance used"),
        (DiskProblem::WornOut, Fr) => format!("{count} % de son endurance nominale consommée"),
        (DiskProblem::Reallocated, En) => format!("{count} reallocated sectors"),
        (DiskProblem::Reallocated, Fr) => format!("{count} secteurs réalloués"),
        (DiskProblem::Pending, En) => format!("{count} pending sectors"),
        (DiskProblem::Pending, Fr) => format!("{count} secteurs en attente"),
        (DiskProblem::MediaErrors, En) => format!("{count} media errors"),
        (DiskProblem::MediaErrors, Fr) => format!("{count} erreurs de support"),
    }
}

/// The verdict's decision in words.
pub fn decision(d: Decision, lang: Language) -> &'static str {
    match (d, lang) {
        (Decision::Refurbish, Language::En) => "refurbish",
        (Decision::Refurbish, Language::Fr) => "reconditionner",
        (Decision::Recycle, Language::En) => "recycle",
        (Decision::Recycle, Language::Fr) => "recycler",
    }
}

/// The grade in words.
pub fn grade(g: Grade, lang: Language) -> &'static str {
    match (g, lang) {
        (Grade::A, Language::En) => "A (ready as is)",
        (Grade::A, Language::Fr) => "A (prêt tel quel)",
        (Grade::B, Language::En) => "B (one fix or check)",
        (Grade::B, Language::Fr) => "B (une intervention ou vérification)",
        (Grade::C, Language::En) => "C (several fixes, or recycling)",
        (Grade::C, Language::Fr) => "C (plusieurs interventions, ou recyclage)",
    }
}

/// A reason as a sentence.
pub fn reason(r: &Reason, lang: Language) -> String {
    use Language::{En, Fr};
    match (r, lang) {
        (Reason::CpuLevelTooLow { level, minimum }, En) => {
            format!("CPU is x86-64-v{level}, below the required x86-64-v{minimum}")
        }
        (Reason::CpuLevelTooLow { level, minimum }, Fr) => {
            format!("processeur x86-64-v{level}, en dessous du niveau requis x86-64-v{minimum}")
        }
        (Reason::CpuLevelUnknown, En) => "CPU instruction-set level unknown".into(),
        (Reason::CpuLevelUnknown, Fr) => {
            "niveau du jeu d'instructions du processeur inconnu".into()
        }
        (Reason::TooFewCores { cores, minimum }, En) => {
            format!("{cores} CPU core(s), {minimum} required")
        }
        (Reason::TooFewCores { cores, minimum }, Fr) => {
            format!("{cores} cœur(s) de processeur, {minimum} requis")
        }
        (Reason::CoresUnknown, En) => "number of CPU cores unknown".into(),
        (Reason::CoresUnknown, Fr) => "nombre de cœurs du processeur inconnu".into(),
        (
            Reason::RamTooLowNotUpgradable {
                installed_bytes,
                minimum_bytes,
            },
            l,
        ) => match l {
            En => format!(
                "RAM {} below the minimum {} and cannot be upgraded",
                gib(*installed_bytes, l),
                gib(*minimum_bytes, l)
            ),
            Fr => format!(
                "mémoire {} sous le minimum de {} et non extensible",
                gib(*installed_bytes, l),
                gib(*minimum_bytes, l)
            ),
        },
        (
            Reason::RamTooLowUpgradable {
                installed_bytes,
                minimum_bytes,
            },
            l,
        ) => match l {
            En => format!(
                "RAM {} below the minimum {}",
                gib(*installed_bytes, l),
                gib(*minimum_bytes, l)
            ),
            Fr => format!(
                "mémoire {} sous le minimum de {}",
                gib(*installed_bytes, l),
                gib(*minimum_bytes, l)
            ),
        },
        (
            Reason::RamBelowRecommended {
                installed_bytes,
                recommended_bytes,
            },
            l,
        ) => match l {
            En => format!(
                "RAM {} below the recommended {}",
                gib(*installed_bytes, l),
                gib(*recommended_bytes, l)
            ),
            Fr => format!(
                "mémoire {} sous les {} recommandés",
                gib(*installed_bytes, l),
                gib(*recommended_bytes, l)
            ),
        },
        (Reason::RamUnknown, En) => "amount of RAM unknown".into(),
        (Reason::RamUnknown, Fr) => "quantité de mémoire inconnue".into(),
        (Reason::RamSlotsUnknown { installed_bytes }, l) => match l {
            En => format!("RAM {}; memory slots unknown", gib(*installed_bytes, l)),
            Fr => format!(
                "mémoire {} ; emplacements mémoire inconnus",
                gib(*installed_bytes, l)
            ),
        },
        (
            Reason::BatteryWorn {
                battery,
                health_permille,
                threshold_permille,
            },
            En,
        ) => format!(
            "battery {battery} holds {} of its design capacity (threshold {})",
            percent(*health_permille),
            percent(*threshold_permille)
        ),
        (
            Reason::BatteryWorn {
                battery,
                health_permille,
                threshold_permille,
            },
            Fr,
        ) => format!(
            "batterie {battery} à {} de sa capacité d'origine (seuil {})",
            percent(*health_permille),
            percent(*threshold_permille)
        ),
        (Reason::BatteryHealthUnknown { battery }, En) => {
            format!("battery {battery}: health unknown")
        }
        (Reason::BatteryHealthUnknown { battery }, Fr) => {
            format!("batterie {battery} : état inconnu")
        }
        (Reason::NoBattery, En) => "no battery found".into(),
        (Reason::NoBattery, Fr) => "aucune batterie détectée".into(),
        (
            Reason::DiskWornOut {
                disk,
                percentage_used,
                limit,
            },
            En,
        ) => format!(
            "disk {disk}: {percentage_used} % of its rated endurance used (limit {limit} %)"
        ),
        (
            Reason::DiskWornOut {
                disk,
                percentage_used,
                limit,
            },
            Fr,
        ) => format!(
            "disque {disk} : {percentage_used} % de son endurance nominale consommée (limite {limit} %)"
        ),
        (Reason::SelfTestFailed { disk, result }, En) => {
            format!("disk {disk}: its self-test failed ({result})")
        }
        (Reason::SelfTestFailed { disk, result }, Fr) => {
            format!("disque {disk} : son autotest a échoué ({result})")
        }
        (Reason::SmartFailed { disk }, En) => format!("disk {disk}: SMART health check failing"),
        (Reason::SmartFailed { disk }, Fr) => {
            format!("disque {disk} : test de santé SMART en échec")
        }
        (Reason::ReallocatedSectors { disk, count }, En) => {
            format!("disk {disk}: {count} reallocated sectors")
        }
        (Reason::ReallocatedSectors { disk, count }, Fr) => {
            format!("disque {disk} : {count} secteurs réalloués")
        }
        (Reason::PendingSectors { disk, count }, En) => {
            format!("disk {disk}: {count} sectors pending reallocation")
        }
        (Reason::PendingSectors { disk, count }, Fr) => {
            format!("disque {disk} : {count} secteurs en attente de réallocation")
        }
        (Reason::MediaErrors { disk, count }, En) => format!("disk {disk}: {count} media errors"),
        (Reason::MediaErrors { disk, count }, Fr) => {
            format!("disque {disk} : {count} erreurs de support")
        }
        (Reason::RemappedSectorsUnreachable { disk, sectors }, En) => format!(
            "disk {disk}: cleared by an overwrite, with exception: {sectors} remapped sectors not reachable (they may keep old data)"
        ),
        (Reason::RemappedSectorsUnreachable { disk, sectors }, Fr) => format!(
            "disque {disk} : effacé par écrasement, avec exception : {sectors} secteurs réalloués hors d'atteinte (ils peuvent garder d'anciennes données)"
        ),
        (Reason::DiskHealthUnknown { disk }, En) => format!("disk {disk}: health (SMART) unknown"),
        (Reason::DiskHealthUnknown { disk }, Fr) => {
            format!("disque {disk} : santé (SMART) inconnue")
        }
        (Reason::SanitizationFailed { disk, result }, En) => {
            let why = match result {
                Outcome::Failed => "failed",
                Outcome::Cancelled => "cancelled by the operator",
                // Never a reason (the verdict says failed or cancelled).
                other => outcome(*other, En),
            };
            format!("disk {disk}: sanitization not completed ({why})")
        }
        (Reason::SanitizationFailed { disk, result }, Fr) => {
            let why = match result {
                Outcome::Failed => "échec",
                Outcome::Cancelled => "annulé par l'opérateur",
                other => outcome(*other, Fr),
            };
            format!("disque {disk} : effacement non abouti ({why})")
        }
        (Reason::SanitizationNotVerified { disk }, En) => {
            format!("disk {disk} was overwritten but not verified: not sanitized")
        }
        (Reason::SanitizationNotVerified { disk }, Fr) => {
            format!("le disque {disk} a été écrasé sans vérification : effacement non prouvé")
        }
        (Reason::WritesRetried { disk, count }, En) => format!(
            "disk {disk}: {count} write(s) failed before succeeding on retry (sanitized; health to check)"
        ),
        (Reason::WritesRetried { disk, count }, Fr) => format!(
            "disque {disk} : {count} écriture(s) réussie(s) seulement après nouvel essai (effacé ; santé à vérifier)"
        ),
        (Reason::FailedDiskNotRemovable { disk }, En) => {
            format!("disk {disk} is built in and could not be sanitized")
        }
        (Reason::FailedDiskNotRemovable { disk }, Fr) => {
            format!("le disque {disk} est soudé et n'a pas pu être effacé")
        }
        (Reason::DiskNotSanitized { disk, why: None }, En) => {
            format!("disk {disk} was not sanitized")
        }
        (Reason::DiskNotSanitized { disk, why: None }, Fr) => {
            format!("le disque {disk} n'a pas été effacé")
        }
        (
            Reason::DiskNotSanitized {
                disk,
                why: Some(why),
            },
            En,
        ) => {
            format!("disk {disk} was not sanitized ({why})")
        }
        (
            Reason::DiskNotSanitized {
                disk,
                why: Some(why),
            },
            Fr,
        ) => {
            format!("le disque {disk} n'a pas été effacé ({why})")
        }
        (Reason::NoDisk, En) => "no disk (stated by the operator)".into(),
        (Reason::NoDisk, Fr) => "aucun disque (déclaré par l'opérateur)".into(),
        (Reason::NoInternalStorageFound, En) => {
            "no internal storage found, and nobody stated that the laptop has none".into()
        }
        (Reason::NoInternalStorageFound, Fr) => {
            "aucun stockage interne trouvé, et personne n'a déclaré que le portable n'en a pas"
                .into()
        }
        (Reason::DiskAppeared { disk }, En) => {
            format!("disk {disk} appeared during the run — not sanitized")
        }
        (Reason::DiskAppeared { disk }, Fr) => {
            format!("le disque {disk} est apparu pendant l'effacement — non effacé")
        }
        (
            Reason::DisksHidden {
                controller,
                pci_id,
                finding,
            },
            l,
        ) => {
            let what = finding_what(*finding, l);
            match l {
                En => {
                    format!("disks may be hidden behind controller {controller} ({pci_id}): {what}")
                }
                Fr => format!(
                    "des disques peuvent être cachés derrière le contrôleur {controller} ({pci_id}) : {what}"
                ),
            }
        }
        (Reason::KeysDead { keys }, En) => {
            format!("keyboard: {} never answered", keys.join(", "))
        }
        (Reason::KeysDead { keys }, Fr) => {
            format!("clavier : {} sans réponse", keys.join(", "))
        }
        (Reason::ScreenDefect { colour: None }, En) => "screen: defect seen".into(),
        (Reason::ScreenDefect { colour: None }, Fr) => "écran : défaut constaté".into(),
        (Reason::ScreenDefect { colour: Some(c) }, En) => {
            format!("screen: defect seen on {c}")
        }
        (Reason::ScreenDefect { colour: Some(c) }, Fr) => {
            format!("écran : défaut constaté sur le {}", colour_fr(c))
        }
        (
            Reason::CpuOverheated {
                max_millicelsius,
                limit_millicelsius,
            },
            En,
        ) => format!(
            "CPU reached {} under load (limit {})",
            celsius(*max_millicelsius),
            celsius(*limit_millicelsius)
        ),
        (
            Reason::CpuOverheated {
                max_millicelsius,
                limit_millicelsius,
            },
            Fr,
        ) => format!(
            "processeur à {} en charge (limite {})",
            celsius(*max_millicelsius),
            celsius(*limit_millicelsius)
        ),
        (Reason::CpuThrottled { events }, En) => {
            format!("CPU throttled {events} time(s) under load to keep cool")
        }
        (Reason::CpuThrottled { events }, Fr) => {
            format!("processeur bridé {events} fois en charge pour refroidir")
        }
        (Reason::MemoryErrors { errors, module }, En) => match module {
            Some(m) => format!("RAM test: {errors} error(s), module {m}"),
            None => format!("RAM test: {errors} error(s)"),
        },
        (Reason::MemoryErrors { errors, module }, Fr) => match module {
            Some(m) => format!("test mémoire : {errors} erreur(s), barrette {m}"),
            None => format!("test mémoire : {errors} erreur(s)"),
        },
        (
            Reason::RepairOverBudget {
                repair_cost_cents,
                budget_cents,
            },
            l,
        ) => {
            let (cost, budget) = (euros(*repair_cost_cents, l), euros(*budget_cents, l));
            match l {
                En => format!("repair {cost} over the {budget} budget"),
                Fr => format!("réparation de {cost}, au-delà du budget de {budget}"),
            }
        }
    }
}

/// An action as an instruction.
pub fn action(a: &Action, lang: Language) -> String {
    use Language::{En, Fr};
    match (a, lang) {
        (
            Action::ReplaceBattery {
                battery,
                health_permille,
            },
            En,
        ) => {
            format!("replace battery {battery} ({})", percent(*health_permille))
        }
        (
            Action::ReplaceBattery {
                battery,
                health_permille,
            },
            Fr,
        ) => {
            format!(
                "remplacer la batterie {battery} ({})",
                percent(*health_permille)
            )
        }
        (Action::CheckBattery { battery }, En) => format!("check battery {battery}"),
        (Action::CheckBattery { battery }, Fr) => format!("vérifier la batterie {battery}"),
        (Action::FitBattery, En) => "fit a battery".into(),
        (Action::FitBattery, Fr) => "installer une batterie".into(),
        (
            Action::ReplaceDisk {
                disk,
                problem,
                count,
            },
            l,
        ) => {
            let what = disk_problem(*problem, count.as_deref(), l);
            match l {
                En => format!("replace disk {disk}: {what}"),
                Fr => format!("remplacer le disque {disk} : {what}"),
            }
        }
        (Action::CheckDisk { disk }, En) => format!("check the health of disk {disk}"),
        (Action::CheckDisk { disk }, Fr) => format!("vérifier la santé du disque {disk}"),
        (Action::PurgeDisk { disk }, En) => format!(
            "purge disk {disk} with the drive's own erase (run again at Purge level), or destroy it if it has none"
        ),
        (Action::PurgeDisk { disk }, Fr) => format!(
            "purger le disque {disk} par sa propre commande d'effacement (relancer en Purge), ou le détruire s'il n'en a pas"
        ),
        (Action::DestroyDisk { disk }, En) => format!("remove disk {disk} and destroy it"),
        (Action::DestroyDisk { disk }, Fr) => format!("retirer le disque {disk} et le détruire"),
        (Action::FitNewDisk, En) => "fit a new disk".into(),
        (Action::FitNewDisk, Fr) => "installer un disque neuf".into(),
        (
            Action::AddRam {
                installed_bytes,
                free_slots,
                module_bytes: Some(size),
                module_kind,
            },
            l,
        ) => {
            let kind = module_kind
                .as_deref()
                .map(|k| format!(" {k}"))
                .unwrap_or_default();
            match l {
                En => format!(
                    "add RAM: one {}{kind} module in a free slot ({} installed, {free_slots} free slot(s))",
                    gib(*size, l),
                    gib(*installed_bytes, l)
                ),
                Fr => format!(
                    "ajouter de la mémoire : une barrette{kind} de {} dans un emplacement libre ({} installés, {free_slots} emplacement(s) libre(s))",
                    gib(*size, l),
                    gib(*installed_bytes, l)
                ),
            }
        }
        (
            Action::AddRam {
                installed_bytes,
                free_slots,
                module_bytes: None,
                ..
            },
            l,
        ) => match l {
            En => format!(
                "add RAM: {} installed, {free_slots} free slot(s)",
                gib(*installed_bytes, l)
            ),
            Fr => format!(
                "ajouter de la mémoire : {} installés, {free_slots} emplacement(s) libre(s)",
                gib(*installed_bytes, l)
            ),
        },
        (Action::SwapRam { installed_bytes }, l) => match l {
            En => format!(
                "no free slot: swap RAM for larger modules ({} installed)",
                gib(*installed_bytes, l)
            ),
            Fr => format!(
                "aucun emplacement libre : remplacer la mémoire par des barrettes plus grandes ({} installés)",
                gib(*installed_bytes, l)
            ),
        },
        (Action::CheckRamSlots { installed_bytes }, l) => match l {
            En => format!(
                "check whether RAM can be added ({} installed)",
                gib(*installed_bytes, l)
            ),
            Fr => format!(
                "vérifier si la mémoire peut être étendue ({} installés)",
                gib(*installed_bytes, l)
            ),
        },
        (Action::SanitizeOrRemoveDisk { disk }, En) => {
            format!("sanitize disk {disk}, or remove it")
        }
        (Action::SanitizeOrRemoveDisk { disk }, Fr) => {
            format!("effacer le disque {disk}, ou le retirer")
        }
        (
            Action::RevealDisks {
                pci_id, finding, ..
            },
            l,
        ) => finding_fix(*finding, pci_id, false, l),
        (Action::RemoveMedium { device, kind }, l) => match (kind, l) {
            (StorageKind::OpticalDrive, En) => {
                format!("remove the disc from optical drive {device}")
            }
            (StorageKind::OpticalDrive, Fr) => {
                format!("retirer le disque du lecteur optique {device}")
            }
            (StorageKind::ReadOnlyMedium, En) => {
                format!("remove the write-protected medium {device} (not sanitized)")
            }
            (StorageKind::ReadOnlyMedium, Fr) => {
                format!("retirer le support protégé en écriture {device} (non effacé)")
            }
            (_, En) => format!("remove the medium from {device}"),
            (_, Fr) => format!("retirer le support de {device}"),
        },
        (Action::CheckNoMedium { device, kind }, l) => match (kind, l) {
            (StorageKind::OpticalDrive, En) => {
                format!("check that optical drive {device} is empty (take out any disc)")
            }
            (StorageKind::OpticalDrive, Fr) => {
                format!("vérifier que le lecteur optique {device} est vide (retirer tout disque)")
            }
            (_, En) => format!("check that {device} is empty (take out any card)"),
            (_, Fr) => format!("vérifier que {device} est vide (retirer toute carte)"),
        },
        (Action::ReplaceKeyboard { keys }, En) => {
            format!("replace the keyboard ({} dead)", keys.join(", "))
        }
        (Action::ReplaceKeyboard { keys }, Fr) => {
            format!("remplacer le clavier ({} sans réponse)", keys.join(", "))
        }
        (Action::ReplaceScreen, En) => "replace the screen".into(),
        (Action::ReplaceScreen, Fr) => "remplacer l'écran".into(),
        (Action::CleanCooling, En) => "clean the fan, replace the thermal paste".into(),
        (Action::CleanCooling, Fr) => "nettoyer le ventilateur, remplacer la pâte thermique".into(),
        (Action::ReplaceRam { module: Some(m) }, En) => format!("replace RAM module {m}"),
        (Action::ReplaceRam { module: Some(m) }, Fr) => {
            format!("remplacer la barrette mémoire {m}")
        }
        (Action::ReplaceRam { module: None }, En) => "replace the faulty RAM".into(),
        (Action::ReplaceRam { module: None }, Fr) => "remplacer la mémoire défectueuse".into(),
        (Action::Recycle, En) => "send to recycling".into(),
        (Action::Recycle, Fr) => "envoyer au recyclage".into(),
    }
}

/// A hands-on check's name, as the certificate's rows label it.
pub fn check_name(c: CheckName, lang: Language) -> &'static str {
    use Language::{En, Fr};
    match (c, lang) {
        (CheckName::Keyboard, En) => "Keyboard",
        (CheckName::Keyboard, Fr) => "Clavier",
        (CheckName::Screen, En) => "Screen",
        (CheckName::Screen, Fr) => "Écran",
        (CheckName::Cooling, En) => "Cooling",
        (CheckName::Cooling, Fr) => "Refroidissement",
        (CheckName::Memory, En) => "RAM test",
        (CheckName::Memory, Fr) => "Test mémoire",
    }
}

/// What a piece of storage that is not a disk is, in words.
pub fn storage_kind(k: StorageKind, lang: Language) -> &'static str {
    use Language::{En, Fr};
    match (k, lang) {
        (StorageKind::OpticalDrive, En) => "optical drive",
        (StorageKind::OpticalDrive, Fr) => "lecteur optique",
        (StorageKind::CardReader, En) => "card reader",
        (StorageKind::CardReader, Fr) => "lecteur de cartes",
        (StorageKind::ReadOnlyMedium, En) => "read-only removable medium",
        (StorageKind::ReadOnlyMedium, Fr) => "support amovible en lecture seule",
        (StorageKind::EmmcBootPartition, En) => "eMMC boot partition",
        (StorageKind::EmmcBootPartition, Fr) => "partition de démarrage eMMC",
        (StorageKind::EmmcRpmb, En) => "eMMC RPMB (replay-protected memory block)",
        (StorageKind::EmmcRpmb, Fr) => "RPMB de l'eMMC (bloc mémoire protégé)",
        (StorageKind::NvmeNamespace, En) => "NVMe namespace the kernel does not show",
        (StorageKind::NvmeNamespace, Fr) => "espace de noms NVMe que le noyau ne montre pas",
    }
}

/// A piece of storage that is not a disk and what was done to it, as one sentence: "optical
/// drive, empty: nothing stored, nothing to sanitize".
pub fn other_storage(k: StorageKind, h: StorageHandling, lang: Language) -> String {
    use Language::{En, Fr};
    use StorageHandling as H;
    use StorageKind as K;
    let what = storage_kind(k, lang);
    let done = match (k, h, lang) {
        (K::OpticalDrive | K::CardReader, H::NoMedium, En) => {
            "empty: nothing stored, nothing to sanitize"
        }
        (K::OpticalDrive | K::CardReader, H::NoMedium, Fr) => {
            "vide : rien n'y est stocké, rien à effacer"
        }
        (_, H::NoMedium, En) => "no medium: nothing stored, nothing to sanitize",
        (_, H::NoMedium, Fr) => "sans support : rien n'y est stocké, rien à effacer",
        (_, H::CheckEmpty, En) => "whether a medium is in it is unknown: check that it is empty",
        (_, H::CheckEmpty, Fr) => "présence d'un support inconnue : vérifier qu'il est vide",
        (K::OpticalDrive, H::RemoveMedium, En) => "a disc is in it, not sanitized: remove the disc",
        (K::OpticalDrive, H::RemoveMedium, Fr) => {
            "un disque y est inséré, non effacé : retirer le disque"
        }
        (_, H::RemoveMedium, En) => "write-protected, not sanitized: remove it",
        (_, H::RemoveMedium, Fr) => "protégé en écriture, non effacé : le retirer",
        (K::EmmcRpmb, H::NotWritten, En) => {
            "not written: it can be written only with the eMMC's own authentication key, and holds \
             keys and counters, not files"
        }
        (K::EmmcRpmb, H::NotWritten, Fr) => {
            "non écrite : seule la clé d'authentification propre à l'eMMC permet de l'écrire, et elle \
             contient des clés et des compteurs, pas des fichiers"
        }
        (_, H::NotWritten, En) => {
            "not written: read-only by default, and outside the user area where the operating \
             system keeps files"
        }
        (_, H::NotWritten, Fr) => {
            "non écrite : en lecture seule par défaut, et hors de la zone utilisateur où le système \
             range les fichiers"
        }
        (_, H::NotSanitized, En) => "not sanitized: no disk of the system reaches it",
        (_, H::NotSanitized, Fr) => "non effacé : aucun disque du système n'y donne accès",
        (_, H::ErasedWithController, En) => {
            "erased with its whole controller by the NVMe Sanitize of another namespace"
        }
        (_, H::ErasedWithController, Fr) => {
            "effacé avec tout son contrôleur par le NVMe Sanitize d'un autre espace de noms"
        }
    };
    format!("{what}, {done}")
}

/// What a PCI controller is, in words ("SATA (AHCI)", "Intel VMD").
pub fn controller_kind(k: ControllerKind, lang: Language) -> &'static str {
    use Language::{En, Fr};
    match (k, lang) {
        (ControllerKind::SataAhci, _) => "SATA (AHCI)",
        (ControllerKind::Sata, _) => "SATA",
        (ControllerKind::Raid, _) => "RAID",
        (ControllerKind::Vmd, _) => "Intel VMD",
        (ControllerKind::Nvme, _) => "NVMe",
        (ControllerKind::Ide, _) => "IDE",
        (ControllerKind::Scsi, _) => "SAS/SCSI",
        (ControllerKind::SdHost, _) => "SD/MMC",
        (ControllerKind::OtherStorage, En) => "storage",
        (ControllerKind::OtherStorage, Fr) => "de stockage",
        (ControllerKind::Ethernet, _) => "Ethernet",
        (ControllerKind::OtherNetwork, En) => "network",
        (ControllerKind::OtherNetwork, Fr) => "réseau",
    }
}

/// Why a controller may hide disks, in a few words.
pub fn finding_what(f: ControllerFinding, lang: Language) -> &'static str {
    use Language::{En, Fr};
    match (f, lang) {
        (ControllerFinding::RaidMode, En) => "SATA in RAID mode (Intel RST) with no driver",
        (ControllerFinding::RaidMode, Fr) => "SATA en mode RAID (Intel RST) sans pilote",
        (ControllerFinding::RemappedNvme, En) => {
            "NVMe drives remapped behind SATA in RAID mode (Intel RST)"
        }
        (ControllerFinding::RemappedNvme, Fr) => {
            "disques NVMe remappés derrière le SATA en mode RAID (Intel RST)"
        }
        (ControllerFinding::VmdWithoutDriver, En) => "Intel VMD with no driver",
        (ControllerFinding::VmdWithoutDriver, Fr) => "Intel VMD sans pilote",
        (ControllerFinding::NoDriver, En) => "no driver in this image",
        (ControllerFinding::NoDriver, Fr) => "aucun pilote dans cette image",
    }
}

/// The step that fixes a finding. `network`: the controller is a network one (no disk behind
/// it, the workshop needs another way onto the network).
pub fn finding_fix(f: ControllerFinding, pci_id: &str, network: bool, lang: Language) -> String {
    use Language::{En, Fr};
    match (f, network, lang) {
        (ControllerFinding::RaidMode | ControllerFinding::RemappedNvme, _, En) => {
            "BIOS → Storage → SATA operation: AHCI, then start again".into()
        }
        (ControllerFinding::RaidMode | ControllerFinding::RemappedNvme, _, Fr) => {
            "BIOS → Stockage → SATA Operation : AHCI, puis recommencer".into()
        }
        (ControllerFinding::VmdWithoutDriver, _, En) => {
            "boot an image that has the vmd driver, or BIOS → Storage → Intel VMD: off, then \
             start again"
                .into()
        }
        (ControllerFinding::VmdWithoutDriver, _, Fr) => {
            "démarrer une image qui a le pilote vmd, ou BIOS → Stockage → Intel VMD : désactivé, \
             puis recommencer"
                .into()
        }
        (ControllerFinding::NoDriver, false, En) => {
            format!(
                "the image has no driver for {pci_id}: the disks behind it need an image that has one"
            )
        }
        (ControllerFinding::NoDriver, false, Fr) => format!(
            "l'image n'a pas de pilote pour {pci_id} : les disques derrière lui demandent une image qui en a un"
        ),
        (ControllerFinding::NoDriver, true, En) => {
            format!(
                "the image has no driver for network controller {pci_id}: use a USB Ethernet adapter"
            )
        }
        (ControllerFinding::NoDriver, true, Fr) => format!(
            "l'image n'a pas de pilote pour le contrôleur réseau {pci_id} : utiliser un adaptateur Ethernet USB"
        ),
    }
}

/// A controller's finding and its fix in one sentence; `remapped`: how many NVMe drives the
/// AHCI driver found remapped, when it says.
pub fn controller_finding(
    kind: ControllerKind,
    f: ControllerFinding,
    pci_id: &str,
    remapped: Option<u32>,
    lang: Language,
) -> String {
    let network = matches!(
        kind,
        ControllerKind::Ethernet | ControllerKind::OtherNetwork
    );
    let what = match (f, remapped, lang) {
        (ControllerFinding::RemappedNvme, Some(n), Language::En) => {
            format!("{n} NVMe drive(s) remapped behind SATA in RAID mode (Intel RST), hidden")
        }
        (ControllerFinding::RemappedNvme, Some(n), Language::Fr) => format!(
            "{n} disque(s) NVMe remappé(s) derrière le SATA en mode RAID (Intel RST), caché(s)"
        ),
        _ => finding_what(f, lang).to_owned(),
    };
    format!("{what} — {}", finding_fix(f, pci_id, network, lang))
}

/// Why a check tested nothing: "not run: …" (the check's name is the label of the row it is
/// shown in).
pub fn check_not_run(why: NotRunWhy, lang: Language) -> String {
    use Language::{En, Fr};
    let why = match (why, lang) {
        (NotRunWhy::WipeEnded, En) => "the wipe ended before one pattern was written and read back",
        (NotRunWhy::WipeEnded, Fr) => {
            "l'effacement s'est terminé avant qu'un motif soit écrit et relu"
        }
        (NotRunWhy::NoMemoryFree, En) => {
            "no memory was free above the reserve kept for the system and the wipe"
        }
        (NotRunWhy::NoMemoryFree, Fr) => {
            "aucune mémoire libre au-delà de la réserve gardée pour le système et l'effacement"
        }
        (NotRunWhy::AllocationRefused, En) => "the system refused to lend the memory",
        (NotRunWhy::AllocationRefused, Fr) => "le système a refusé de prêter la mémoire",
        (NotRunWhy::NothingTested, En) => "no memory was tested",
        (NotRunWhy::NothingTested, Fr) => "aucune mémoire n'a été testée",
        (NotRunWhy::NoKeyPressed, En) => "no key was pressed",
        (NotRunWhy::NoKeyPressed, Fr) => "aucune touche n'a été pressée",
        (NotRunWhy::NoColourShown, En) => "stopped before the first colour was judged",
        (NotRunWhy::NoColourShown, Fr) => "arrêté avant que la première couleur soit jugée",
        (NotRunWhy::NoReading, En) => "no temperature, frequency or throttling reading under load",
        (NotRunWhy::NoReading, Fr) => {
            "aucune mesure de température, de fréquence ou de bridage en charge"
        }
    };
    match lang {
        En => format!("not run: {why}"),
        Fr => format!("non effectué : {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gib_rounds_to_tenths_without_floats() {
        assert_eq!(gib(2 << 30, Language::En), "2 GiB");
        assert_eq!(gib(4_080_000_000, Language::En), "3.8 GiB");
        assert_eq!(gib(4_080_000_000, Language::Fr), "3,8 Gio");
        assert_eq!(gib(u64::MAX, Language::En), "17179869184 GiB");
    }

    #[test]
    fn checks_read_as_a_workshop_says_them() {
        let r = Reason::KeysDead {
            keys: vec!["E".into(), "Z".into(), "F5".into()],
        };
        assert_eq!(
            reason(&r, Language::En),
            "keyboard: E, Z, F5 never answered"
        );
        assert_eq!(
            action(&Action::CleanCooling, Language::En),
            "clean the fan, replace the thermal paste"
        );
        let r = Reason::CpuOverheated {
            max_millicelsius: 97_400,
            limit_millicelsius: 95_000,
        };
        assert_eq!(
            reason(&r, Language::Fr),
            "processeur à 97 °C en charge (limite 95 °C)"
        );
    }

    /// Every disk problem has its words: no machine key ("worn_out", "smart_failed") in a
    /// sentence.
    #[test]
    fn disk_problems_read_as_words_in_both_languages() {
        for p in DiskProblem::ALL {
            for lang in [Language::En, Language::Fr] {
                let a = Action::ReplaceDisk {
                    disk: "sata:S1".into(),
                    problem: *p,
                    count: Some("97".into()),
                };
                let text = action(&a, lang);
                assert!(!text.contains('_'), "{text}");
            }
        }
        let a = Action::ReplaceDisk {
            disk: "sata:S1".into(),
            problem: DiskProblem::WornOut,
            count: Some("103".into()),
        };
        assert_eq!(
            action(&a, Language::Fr),
            "remplacer le disque sata:S1 : 103 % de son endurance nominale consommée"
        );
    }

    /// Every word of the new closed sets, every incident and exception has its sentence in both
    /// languages, and no sentence shows a machine key.
    #[test]
    fn evidence_reads_as_words_in_both_languages() {
        let incidents = [
            Incident::LogNotWritten {
                file: "2026-probe.json".into(),
                error: "no space left on device".into(),
            },
            Incident::SequenceSkipped {
                sequence: 7,
                file: "ab-00000007.json".into(),
                occupant: Occupant::NotAFile,
                error: None,
            },
            Incident::FileUnreadable {
                file: "ab-00000003.json".into(),
                error: "Input/output error".into(),
            },
        ];
        let e = LevelException::RemappedSectorsUnreachable {
            sectors: "12".into(),
        };
        for lang in [Language::En, Language::Fr] {
            let mut said: Vec<String> = Vec::new();
            said.extend(ValidationRule::ALL.iter().map(|r| validation(*r, lang)));
            said.extend(
                HiddenAreaState::ALL
                    .iter()
                    .map(|s| hidden_area_state(*s, lang).to_owned()),
            );
            said.extend(Occupant::ALL.iter().map(|o| occupant(*o, lang).to_owned()));
            said.extend(incidents.iter().map(|i| incident(i, lang)));
            said.push(exception(Level::Clear, &e, lang));
            for text in &said {
                let words = text
                    .replace("ab-00000007.json", "")
                    .replace("ab-00000003.json", "")
                    .replace("2026-probe.json", "");
                assert!(!words.contains('_'), "{text}");
            }
        }
        assert_eq!(
            exception(Level::Clear, &e, Language::En),
            "Clear, with exception: 12 remapped sectors not reachable"
        );
        assert_eq!(
            exception(Level::Clear, &e, Language::Fr),
            "Clear, avec exception : 12 secteurs réalloués hors d'atteinte"
        );
        assert_eq!(
            incident(&incidents[1], Language::En),
            "sequence number 7 skipped: its file name ab-00000007.json is held by something that is not a file"
        );
    }

    /// Every piece of storage that is not a disk, every handling, every finding, every reason a
    /// check did not run has its words in both languages: no machine key in a sentence.
    #[test]
    fn storage_controllers_and_checks_not_run_read_as_words() {
        for lang in [Language::En, Language::Fr] {
            for k in StorageKind::ALL {
                for h in StorageHandling::ALL {
                    let text = other_storage(*k, *h, lang);
                    assert!(!text.contains('_'), "{text}");
                }
            }
            for k in ControllerKind::ALL {
                for f in ControllerFinding::ALL {
                    let text = controller_finding(*k, *f, "8086:9a0b", Some(2), lang);
                    assert!(!text.contains('_'), "{text}");
                    let r = Reason::DisksHidden {
                        controller: "0000:00:0e.0".into(),
                        pci_id: "8086:9a0b".into(),
                        finding: *f,
                    };
                    assert!(!reason(&r, lang).contains('_'));
                }
            }
            for w in NotRunWhy::ALL {
                let text = check_not_run(*w, lang);
                assert!(!text.contains('_'), "{text}");
                assert!(
                    text.starts_with(match lang {
                        Language::En => "not run: ",
                        Language::Fr => "non effectué : ",
                    }),
                    "{text}"
                );
            }
        }
        assert_eq!(
            other_storage(
                StorageKind::OpticalDrive,
                StorageHandling::RemoveMedium,
                Language::Fr
            ),
            "lecteur optique, un disque y est inséré, non effacé : retirer le disque"
        );
        assert_eq!(
            controller_finding(
                ControllerKind::Raid,
                ControllerFinding::RaidMode,
                "8086:282a",
                None,
                Language::En
            ),
            "SATA in RAID mode (Intel RST) with no driver — BIOS → Storage → SATA operation: AHCI, then start again"
        );
        assert_eq!(
            controller_finding(
                ControllerKind::Raid,
                ControllerFinding::RemappedNvme,
                "8086:282a",
                Some(1),
                Language::Fr
            ),
            "1 disque(s) NVMe remappé(s) derrière le SATA en mode RAID (Intel RST), caché(s) — BIOS → Stockage → SATA Operation : AHCI, puis recommencer"
        );
    }

    #[test]
    fn euros_are_whole_or_two_decimals_in_each_language() {
        assert_eq!(euros(18_000, Language::En), "180 €");
        assert_eq!(euros(5_250, Language::En), "52.50 €");
        assert_eq!(euros(5_250, Language::Fr), "52,50 €");
        assert_eq!(euros(7, Language::Fr), "0,07 €");
        assert_eq!(euros(0, Language::En), "0 €");
    }

    #[test]
    fn priced_actions_say_their_cost_or_that_they_have_none() {
        let battery = Action::ReplaceBattery {
            battery: "BAT0".into(),
            health_permille: 410,
        };
        assert_eq!(
            priced_action(&battery, Some(5_250), Language::En),
            "replace battery BAT0 (41 %) — 52.50 €"
        );
        assert_eq!(
            priced_action(&battery, None, Language::Fr),
            "remplacer la batterie BAT0 (41 %) — non chiffré"
        );
        // Not a repair: nothing to price, nothing said about a price.
        let destroy = Action::DestroyDisk { disk: "d".into() };
        assert_eq!(
            priced_action(&destroy, None, Language::En),
            action(&destroy, Language::En)
        );
        assert_eq!(
            priced_action(&Action::Recycle, None, Language::Fr),
            "envoyer au recyclage"
        );
        let over = Reason::RepairOverBudget {
            repair_cost_cents: 21_200,
            budget_cents: 18_000,
        };
        assert_eq!(
            reason(&over, Language::En),
            "repair 212 € over the 180 € budget"
        );
        assert_eq!(
            reason(&over, Language::Fr),
            "réparation de 212 €, au-delà du budget de 180 €"
        );
        assert_eq!(
            repair_total(7_250, 18_000, Language::En),
            "repairs 72.50 €, budget 180 €"
        );
    }

    #[test]
    fn percent_rounds() {
        assert_eq!(percent(414), "41 %");
        assert_eq!(percent(415), "42 %");
        assert_eq!(percent(1000), "100 %");
    }

    #[test]
    fn issue_examples_read_as_written() {
        let a = Action::ReplaceBattery {
            battery: "BAT0".into(),
            health_permille: 410,
        };
        assert_eq!(action(&a, Language::En), "replace battery BAT0 (41 %)");
        let a = Action::ReplaceDisk {
            disk: "/dev/sda".into(),
            problem: DiskProblem::Reallocated,
            count: Some("12".into()),
        };
        assert_eq!(
            action(&a, Language::En),
            "replace disk /dev/sda: 12 reallocated sectors"
        );
        let a = Action::AddRam {
            installed_bytes: 2 << 30,
            free_slots: 1,
            module_bytes: None,
            module_kind: None,
        };
        assert_eq!(
            action(&a, Language::En),
            "add RAM: 2 GiB installed, 1 free slot(s)"
        );
        assert_eq!(
            action(&a, Language::Fr),
            "ajouter de la mémoire : 2 Gio installés, 1 emplacement(s) libre(s)"
        );
        let a = Action::AddRam {
            installed_bytes: 4 << 30,
            free_slots: 1,
            module_bytes: Some(4 << 30),
            module_kind: Some("DDR4 SODIMM".into()),
        };
        assert_eq!(
            action(&a, Language::En),
            "add RAM: one 4 GiB DDR4 SODIMM module in a free slot (4 GiB installed, 1 free slot(s))"
        );
        assert_eq!(
            action(&a, Language::Fr),
            "ajouter de la mémoire : une barrette DDR4 SODIMM de 4 Gio dans un emplacement libre (4 Gio installés, 1 emplacement(s) libre(s))"
        );
    }
}
