//! Why a disk is sanitized the way it is: the facts of the sanitization plan as typed data (a key
//! and parameters, serialized `{"key": ..., params...}`), so that the agent's screen, `reprise
//! plan --json`, the wipe report and the certificate all carry the same explanation, and any of
//! them can render it in French or English ([`crate::messages::explanation`]).
//!
//! They live here, not in the agent, because the certificate records them (part of the signed
//! content): the collector must be able to read and render them.

use serde::{Deserialize, Serialize};

use crate::words::Language;

/// A sanitize operation of a drive's firmware (NVMe Sanitize, ATA SANITIZE, SCSI SANITIZE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SanitizeKind {
    /// The media encryption key is changed: every bit written before is unreadable.
    Crypto,
    /// Every block of the media is erased (flash) by the firmware.
    Block,
    /// The firmware overwrites every block, spare area included.
    Overwrite,
}

impl SanitizeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SanitizeKind::Crypto => "crypto",
            SanitizeKind::Block => "block",
            SanitizeKind::Overwrite => "overwrite",
        }
    }
}

/// One fact of a disk's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "key", rename_all = "snake_case")]
pub enum Explanation {
    // --- what the drive offers, and what was chosen -------------------------------------------
    /// NVMe Sanitize with this action is supported (and chosen when `chosen`).
    NvmeSanitize {
        action: SanitizeKind,
        chosen: bool,
    },
    /// NVMe Format NVM with Secure Erase Settings 2 (cryptographic erase).
    NvmeFormatCrypto {
        chosen: bool,
    },
    /// NVMe Format NVM with Secure Erase Settings 1 (user data erase: "all user data,
    /// regardless of location"), the last of the NVMe Purge techniques.
    NvmeFormatUserData {
        chosen: bool,
    },
    AtaSanitize {
        action: SanitizeKind,
        chosen: bool,
    },
    /// ATA SECURITY ERASE UNIT (enhanced or normal); `minutes` is the drive's own estimate.
    AtaSecurityErase {
        enhanced: bool,
        minutes: Option<u32>,
        chosen: bool,
    },
    ScsiSanitize {
        action: SanitizeKind,
        chosen: bool,
    },
    /// Clear by overwriting every sector (`method`), then reading back.
    Overwrite {
        method: String,
        chosen: bool,
    },
    /// After the firmware erase, every sector is overwritten with zeros and read back
    /// (`--then-zero`).
    ThenZero,
    // --- why Purge is not (or not yet) possible ------------------------------------------------
    /// Purge was asked for but this disk offers none: Clear is what it gets.
    PurgeUnavailable,
    /// A USB bridge that carries no ATA or SCSI commands to the drive.
    UsbNoPassthrough {
        why: String,
    },
    /// A USB bridge that does carry commands, but a firmware erase through a bridge is not
    /// trusted (bridges time out long commands and hide the drive's state).
    UsbBridgeNotTrusted,
    /// USB flash, SD cards and eMMC: no reliable Purge exists; destroy the medium if Purge is
    /// required.
    FlashNoPurge,
    /// A virtual or unknown disk (virtio, loop, file): no drive firmware to reach.
    NoDriveFirmware {
        transport: String,
    },
    /// The drive could not be asked what it supports.
    NotInspected {
        why: String,
    },
    /// The NVMe controller offers neither Sanitize nor a cryptographic Format.
    NvmeNoPurge,
    /// The ATA drive offers no SANITIZE and no SECURITY ERASE UNIT usable for Purge.
    AtaNoPurge,
    /// The SCSI drive reports no usable SANITIZE service action.
    ScsiNoSanitize {
        why: String,
    },
    /// Controller-wide NVMe commands would also erase namespaces that the plan does not name.
    NvmeOtherNamespaces {
        namespaces: Vec<u32>,
    },
    // --- drive states -------------------------------------------------------------------------
    /// ATA security is frozen (by the BIOS, usually): SECURITY ERASE UNIT is refused until the
    /// drive is power-cycled; suspend-to-RAM and resume does that when the machine can suspend.
    AtaSecurityFrozen {
        can_suspend: bool,
        why_not: Option<String>,
    },
    /// ATA SANITIZE is frozen (SANITIZE FREEZE LOCK).
    AtaSanitizeFrozen {
        can_suspend: bool,
        why_not: Option<String>,
    },
    /// The drive is locked; an interrupted Reprise run leaves it locked with Reprise's
    /// temporary password, which is tried.
    AtaLocked,
    /// A user password is set (not locked): only Reprise's own temporary password is tried.
    AtaPasswordSet,
    /// Too many wrong passwords: the drive refuses security commands until power-cycled.
    AtaPasswordAttemptsExpired,
    // --- hidden areas -------------------------------------------------------------------------
    /// A Host Protected Area hides `sectors` sectors; removed before sanitizing when `remove`.
    HpaFound {
        sectors: u64,
        remove: bool,
    },
    /// A Device Configuration Overlay hides `sectors` sectors; restored when `restore`.
    DcoFound {
        sectors: u64,
        restore: bool,
    },
    /// HPA and DCO were checked: nothing hidden.
    NothingHidden,
    /// HPA/DCO could not be checked.
    HiddenNotChecked {
        why: String,
    },
    // --- during the run -----------------------------------------------------------------------
    /// The chosen technique was refused before it changed anything; the next one was used.
    TechniqueRefused {
        technique: String,
        why: String,
    },
}

impl Explanation {
    /// Whether this fact says why a Purge is not possible on the disk (or not yet: a frozen or
    /// locked drive), as opposed to what it can do.
    pub fn is_limitation(&self) -> bool {
        matches!(
            self,
            Explanation::PurgeUnavailable
                | Explanation::UsbNoPassthrough { .. }
                | Explanation::UsbBridgeNotTrusted
                | Explanation::FlashNoPurge
                | Explanation::NoDriveFirmware { .. }
                | Explanation::NotInspected { .. }
                | Explanation::NvmeNoPurge
                | Explanation::AtaNoPurge
                | Explanation::ScsiNoSanitize { .. }
                | Explanation::NvmeOtherNamespaces { .. }
                | Explanation::AtaSecurityFrozen { .. }
                | Explanation::AtaSanitizeFrozen { .. }
                | Explanation::AtaLocked
                | Explanation::AtaPasswordAttemptsExpired
        )
    }

    /// Whether this fact describes the technique that was chosen (as opposed to an alternative
    /// or a state).
    pub fn is_chosen(&self) -> bool {
        matches!(
            self,
            Explanation::NvmeSanitize { chosen: true, .. }
                | Explanation::NvmeFormatCrypto { chosen: true }
                | Explanation::NvmeFormatUserData { chosen: true }
                | Explanation::AtaSanitize { chosen: true, .. }
                | Explanation::AtaSecurityErase { chosen: true, .. }
                | Explanation::ScsiSanitize { chosen: true, .. }
                | Explanation::Overwrite { chosen: true, .. }
        )
    }
}

/// The sentence of one fact, in `lang`. Said the way an operator at the bench understands it:
/// what the drive can do, what will be done, and what it means (Clear or Purge).
pub fn explanation(e: &Explanation, lang: Language) -> String {
    use Language::{En, Fr};
    let kind = |k: SanitizeKind, l: Language| match (k, l) {
        (SanitizeKind::Crypto, En) => "crypto erase",
        (SanitizeKind::Crypto, Fr) => "effacement cryptographique",
        (SanitizeKind::Block, En) => "block erase",
        (SanitizeKind::Block, Fr) => "effacement des blocs",
        (SanitizeKind::Overwrite, En) => "overwrite",
        (SanitizeKind::Overwrite, Fr) => "réécriture",
    };
    let choice = |chosen: bool, l: Language, purge: bool| match (chosen, l, purge) {
        (true, En, true) => " — chosen: Purge",
        (true, En, false) => " — chosen: Clear",
        (true, Fr, true) => " — choisi : Purge",
        (true, Fr, false) => " — choisi : Clear",
        (false, En, _) => " — fallback",
        (false, Fr, _) => " — solution de repli",
    };
    let suspend = |can: bool, why: &Option<String>, l: Language| match (can, l) {
        (true, En) => "suspend and resume to unfreeze".to_string(),
        (true, Fr) => "mise en veille puis réveil pour le dégeler".to_string(),
        (false, En) => format!(
            "this machine cannot suspend to RAM ({}): unplug and replug the drive's power while it runs, or use another machine",
            why.as_deref().unwrap_or("unknown reason")
        ),
        (false, Fr) => format!(
            "cette machine ne peut pas se mettre en veille ({}) : débrancher et rebrancher l'alimentation du disque machine allumée, ou utiliser une autre machine",
            why.as_deref().unwrap_or("raison inconnue")
        ),
    };
    match (e, lang) {
        (Explanation::NvmeSanitize { action, chosen }, l) => {
            let fastest = *action == SanitizeKind::Crypto && *chosen;
            match l {
                En => format!(
                    "NVMe Sanitize, {}: supported{}{}",
                    kind(*action, l),
                    if fastest { " — the fastest Purge" } else { "" },
                    if fastest { "" } else { choice(*chosen, l, true) }
                ),
                Fr => format!(
                    "NVMe Sanitize, {} : disponible{}{}",
                    kind(*action, l),
                    if fastest { " — le Purge le plus rapide" } else { "" },
                    if fastest { "" } else { choice(*chosen, l, true) }
                ),
            }
        }
        (Explanation::NvmeFormatCrypto { chosen }, En) => format!(
            "NVMe Format with cryptographic erase (SES 2): supported{}",
            choice(*chosen, En, true)
        ),
        (Explanation::NvmeFormatCrypto { chosen }, Fr) => format!(
            "NVMe Format avec effacement cryptographique (SES 2) : disponible{}",
            choice(*chosen, Fr, true)
        ),
        (Explanation::NvmeFormatUserData { chosen }, En) => format!(
            "NVMe Format with user data erase (SES 1): supported — erases all user data wherever it is{}",
            choice(*chosen, En, true)
        ),
        (Explanation::NvmeFormatUserData { chosen }, Fr) => format!(
            "NVMe Format avec effacement des données (SES 1) : disponible — efface toutes les données où qu'elles soient{}",
            choice(*chosen, Fr, true)
        ),
        (Explanation::AtaSanitize { action, chosen }, l) => match l {
            En => format!(
                "ATA SANITIZE, {}: supported{}",
                kind(*action, l),
                choice(*chosen, l, true)
            ),
            Fr => format!(
                "ATA SANITIZE, {} : disponible{}",
                kind(*action, l),
                choice(*chosen, l, true)
            ),
        },
        (
            Explanation::AtaSecurityErase {
                enhanced,
                minutes,
                chosen,
            },
            l,
        ) => {
            let time = match (minutes, l) {
                (Some(m), En) => format!(", about {m} min"),
                (Some(m), Fr) => format!(", environ {m} min"),
                (None, _) => String::new(),
            };
            match l {
                En => format!(
                    "ATA SECURITY ERASE UNIT{}: supported{time}{}",
                    if *enhanced { " (enhanced)" } else { "" },
                    choice(*chosen, l, *enhanced)
                ),
                Fr => format!(
                    "ATA SECURITY ERASE UNIT{} : disponible{time}{}",
                    if *enhanced { " (renforcé)" } else { "" },
                    choice(*chosen, l, *enhanced)
                ),
            }
        }
        (Explanation::ScsiSanitize { action, chosen }, l) => match l {
            En => format!(
                "SCSI SANITIZE, {}: supported{}",
                kind(*action, l),
                choice(*chosen, l, true)
            ),
            Fr => format!(
                "SCSI SANITIZE, {} : disponible{}",
                kind(*action, l),
                choice(*chosen, l, true)
            ),
        },
        (Explanation::Overwrite { method, chosen }, En) => format!(
            "overwrite every sector ({method}), then read back: Clear{}",
            if *chosen { "" } else { " — last resort" }
        ),
        (Explanation::Overwrite { method, chosen }, Fr) => format!(
            "réécriture de chaque secteur ({method}) puis relecture : Clear{}",
            if *chosen { "" } else { " — dernier recours" }
        ),
        (Explanation::ThenZero, En) => {
            "then every sector is overwritten with zeros and read back".into()
        }
        (Explanation::ThenZero, Fr) => {
            "puis chaque secteur est réécrit avec des zéros et relu".into()
        }
        (Explanation::PurgeUnavailable, En) => {
            "Purge asked for, but this disk offers no Purge: Clear, not Purge".into()
        }
        (Explanation::PurgeUnavailable, Fr) => {
            "Purge demandé, mais ce disque n'en offre aucun : Clear, pas Purge".into()
        }
        (Explanation::UsbNoPassthrough { why }, En) => {
            format!("USB bridge: no passthrough ({why}) — overwrite only: Clear, not Purge")
        }
        (Explanation::UsbNoPassthrough { why }, Fr) => format!(
            "pont USB : pas de passage des commandes ({why}) — réécriture seulement : Clear, pas Purge"
        ),
        (Explanation::UsbBridgeNotTrusted, En) => {
            "USB bridge: a firmware erase through a bridge is not trusted — overwrite only: Clear, not Purge".into()
        }
        (Explanation::UsbBridgeNotTrusted, Fr) => {
            "pont USB : un effacement par le micrologiciel à travers un pont n'est pas fiable — réécriture seulement : Clear, pas Purge".into()
        }
        (Explanation::FlashNoPurge, En) => {
            "USB flash, SD card or eMMC: no reliable Purge exists — Clear by overwrite; destroy the medium if Purge is required".into()
        }
        (Explanation::FlashNoPurge, Fr) => {
            "clé USB, carte SD ou eMMC : aucun Purge fiable n'existe — Clear par réécriture ; détruire le support si le Purge est exigé".into()
        }
        (Explanation::NoDriveFirmware { transport }, En) => format!(
            "{transport} disk: no drive firmware to reach — overwrite only: Clear, not Purge"
        ),
        (Explanation::NoDriveFirmware { transport }, Fr) => format!(
            "disque {transport} : aucun micrologiciel de disque accessible — réécriture seulement : Clear, pas Purge"
        ),
        (Explanation::NotInspected { why }, En) => {
            format!("the drive could not be asked what it supports ({why}): overwrite only")
        }
        (Explanation::NotInspected { why }, Fr) => format!(
            "impossible de demander au disque ce qu'il sait faire ({why}) : réécriture seulement"
        ),
        (Explanation::NvmeNoPurge, En) => {
            "NVMe: neither Sanitize nor a cryptographic Format is supported".into()
        }
        (Explanation::NvmeNoPurge, Fr) => {
            "NVMe : ni Sanitize ni Format cryptographique disponibles".into()
        }
        (Explanation::AtaNoPurge, En) => {
            "ATA: no SANITIZE and no SECURITY ERASE UNIT usable for Purge".into()
        }
        (Explanation::AtaNoPurge, Fr) => {
            "ATA : ni SANITIZE ni SECURITY ERASE UNIT utilisables pour un Purge".into()
        }
        (Explanation::ScsiNoSanitize { why }, En) => format!("SCSI SANITIZE unsupported: {why}"),
        (Explanation::ScsiNoSanitize { why }, Fr) => {
            format!("SCSI SANITIZE non disponible : {why}")
        }
        (Explanation::NvmeOtherNamespaces { namespaces }, l) => {
            let list = namespaces
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            match l {
                En => format!(
                    "the controller also holds namespace(s) {list}, which are not sanitized with it: controller-wide commands are not used"
                ),
                Fr => format!(
                    "le contrôleur porte aussi le(s) espace(s) de noms {list}, non effacés avec lui : les commandes globales au contrôleur ne sont pas utilisées"
                ),
            }
        }
        (Explanation::AtaSecurityFrozen { can_suspend, why_not }, l) => match l {
            En => format!("ATA security frozen: {}", suspend(*can_suspend, why_not, l)),
            Fr => format!("sécurité ATA gelée : {}", suspend(*can_suspend, why_not, l)),
        },
        (Explanation::AtaSanitizeFrozen { can_suspend, why_not }, l) => match l {
            En => format!("ATA SANITIZE frozen: {}", suspend(*can_suspend, why_not, l)),
            Fr => format!("ATA SANITIZE gelé : {}", suspend(*can_suspend, why_not, l)),
        },
        (Explanation::AtaLocked, En) => {
            "ATA drive locked: Reprise's temporary password (left by an interrupted run) is tried".into()
        }
        (Explanation::AtaLocked, Fr) => {
            "disque ATA verrouillé : le mot de passe temporaire de Reprise (laissé par une exécution interrompue) est essayé".into()
        }
        (Explanation::AtaPasswordSet, En) => {
            "ATA user password set: only Reprise's temporary password can be used".into()
        }
        (Explanation::AtaPasswordSet, Fr) => {
            "mot de passe utilisateur ATA défini : seul celui, temporaire, de Reprise peut servir".into()
        }
        (Explanation::AtaPasswordAttemptsExpired, En) => {
            "ATA password attempts exhausted: power the drive off and on before trying again".into()
        }
        (Explanation::AtaPasswordAttemptsExpired, Fr) => {
            "tentatives de mot de passe ATA épuisées : éteindre et rallumer le disque avant de réessayer".into()
        }
        (Explanation::HpaFound { sectors, remove }, En) => format!(
            "a Host Protected Area hides {sectors} sectors{}",
            if *remove {
                ": removed before sanitizing"
            } else {
                ": they stay hidden, so the disk cannot count as sanitized"
            }
        ),
        (Explanation::HpaFound { sectors, remove }, Fr) => format!(
            "une zone protégée (HPA) cache {sectors} secteurs{}",
            if *remove {
                " : supprimée avant l'effacement"
            } else {
                " : ils restent cachés, le disque ne peut donc pas être déclaré effacé"
            }
        ),
        (Explanation::DcoFound { sectors, restore }, En) => format!(
            "a Device Configuration Overlay hides {sectors} sectors{}",
            if *restore {
                ": restored to the factory configuration before sanitizing"
            } else {
                ": not restored (asked for with --dco-restore), so the disk cannot count as sanitized"
            }
        ),
        (Explanation::DcoFound { sectors, restore }, Fr) => format!(
            "une surcouche de configuration (DCO) cache {sectors} secteurs{}",
            if *restore {
                " : configuration d'usine rétablie avant l'effacement"
            } else {
                " : non rétablie (option --dco-restore), le disque ne peut donc pas être déclaré effacé"
            }
        ),
        (Explanation::NothingHidden, En) => "HPA and DCO checked: nothing hidden".into(),
        (Explanation::NothingHidden, Fr) => "HPA et DCO vérifiés : rien de caché".into(),
        (Explanation::HiddenNotChecked { why }, En) => format!("HPA/DCO not checked: {why}"),
        (Explanation::HiddenNotChecked { why }, Fr) => format!("HPA/DCO non vérifiés : {why}"),
        (Explanation::TechniqueRefused { technique, why }, En) => {
            format!("{technique} refused by the drive before it changed anything ({why}): the next technique was used")
        }
        (Explanation::TechniqueRefused { technique, why }, Fr) => {
            format!("{technique} refusé par le disque avant toute modification ({why}) : la technique suivante a été utilisée")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explanations_are_key_and_parameters() {
        let e = Explanation::NvmeSanitize {
            action: SanitizeKind::Crypto,
            chosen: true,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"key":"nvme_sanitize","action":"crypto","chosen":true}"#
        );
        assert!(e.is_chosen());
        let back: Explanation =
            serde_json::from_str(r#"{"key":"hpa_found","sectors":4096,"remove":true}"#).unwrap();
        assert_eq!(
            back,
            Explanation::HpaFound {
                sectors: 4096,
                remove: true
            }
        );
        assert!(!back.is_chosen());
    }

    #[test]
    fn the_issue_examples_read_as_written() {
        let e = Explanation::NvmeSanitize {
            action: SanitizeKind::Crypto,
            chosen: true,
        };
        assert_eq!(
            explanation(&e, Language::En),
            "NVMe Sanitize, crypto erase: supported — the fastest Purge"
        );
        let e = Explanation::UsbNoPassthrough {
            why: "ILLEGAL REQUEST".into(),
        };
        assert_eq!(
            explanation(&e, Language::En),
            "USB bridge: no passthrough (ILLEGAL REQUEST) — overwrite only: Clear, not Purge"
        );
        let e = Explanation::AtaSecurityFrozen {
            can_suspend: true,
            why_not: None,
        };
        assert_eq!(
            explanation(&e, Language::En),
            "ATA security frozen: suspend and resume to unfreeze"
        );
        assert_eq!(
            explanation(&e, Language::Fr),
            "sécurité ATA gelée : mise en veille puis réveil pour le dégeler"
        );
    }
}
