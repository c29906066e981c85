//! The sanitization planner: for one disk, from its identity (as probed) and what its drive says
//! it can do ([`DriveFacts`]), the technique for the requested level, its fallbacks in order, what
//! happens to hidden areas, and why — as typed explanations ([`Explanation`]) an operator reads in
//! French or English.
//!
//! Pure: structs in, a [`DiskStrategy`] out. The order of preference follows DESIGN §4 (NIST SP
//! 800-88 Rev.1 Appendix A):
//!
//! | media | Purge, preferred first | then |
//! |---|---|---|
//! | NVMe | Sanitize crypto, block, overwrite; Format crypto (SES 2); Format user data (SES 1) | overwrite (Clear) |
//! | ATA HDD | SANITIZE overwrite, crypto scramble; SECURITY ERASE UNIT enhanced | overwrite (Clear) |
//! | ATA SSD | SANITIZE block erase, crypto scramble | overwrite (Clear) |
//! | SCSI/SAS | SANITIZE overwrite, block erase, crypto erase | overwrite (Clear) |
//! | USB, SD, eMMC, virtual | none: said so | pattern + complement / overwrite (Clear) |
//!
//! Clear is always an overwrite with read-back (its content can be verified byte for byte).
//! A Purge that is not possible becomes a Clear, and the plan says why: the certificate then says
//! "Purge requested, Clear performed" with the reason, never Purge.

use std::collections::BTreeSet;

use reprise_cert::plan::{Explanation, SanitizeKind};
use serde::Serialize;

use super::capability::{Access, DriveFacts};
use super::method::Method;
use super::technique::{FormatErase, PostErase, Technique};
use crate::model::{DiskIdentity, Level, MediaType, Transport};

/// Byte pattern of the Clear of flash media: 0x55 then its complement 0xAA, so every cell is
/// programmed both ways (NIST SP 800-88 Table A-8 for flash: "overwrite ... pattern, then its
/// complement").
pub const FLASH_PATTERN: u8 = 0x55;

/// The overwrite a disk gets: flash media (USB, SD, eMMC) always pattern + complement, whatever
/// was asked — the one place of the flash rule; every other disk the method asked.
pub fn overwrite_method(media: MediaType, asked: &Method) -> Method {
    if media == MediaType::Flash {
        Method::PatternComplement(vec![FLASH_PATTERN])
    } else {
        asked.clone()
    }
}

/// What the operator asked for, for every disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanitizeRequest {
    pub level: Level,
    /// Overwrite method of HDDs and SSDs (flash always gets pattern + complement).
    pub method: Method,
    /// After a firmware erase, overwrite with zeros and read back (`--then-zero`).
    pub then_zero: bool,
    /// Restore a Device Configuration Overlay to the factory capacity (`--dco-restore`).
    pub dco_restore: bool,
    /// Whether this machine can suspend to RAM and resume (to unfreeze drives), or why not.
    pub can_suspend: Result<(), String>,
}

impl SanitizeRequest {
    pub fn new(level: Level) -> SanitizeRequest {
        SanitizeRequest {
            level,
            method: Method::Zero,
            then_zero: false,
            dco_restore: false,
            can_suspend: Err("not checked".into()),
        }
    }
}

/// What happens to the hidden areas of an ATA drive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HiddenPlan {
    /// Sectors of each, as found (`None`: not checked).
    pub hpa_sectors: Option<u64>,
    pub dco_sectors: Option<u64>,
    /// Accessible, native and factory capacities in sectors, as found.
    pub identify_sectors: u64,
    pub native_sectors: Option<u64>,
    pub factory_sectors: Option<u64>,
    pub remove_hpa: bool,
    pub restore_dco: bool,
    /// The accessible max address commands (ACS-3) instead of SET MAX ADDRESS.
    pub amac: bool,
}

impl HiddenPlan {
    /// The capacity, in sectors, the disk has once the plan's removals are done.
    pub fn sectors_after(&self) -> u64 {
        let native = self.native_sectors.unwrap_or(self.identify_sectors);
        match (self.restore_dco, self.factory_sectors) {
            (true, Some(f)) if f > native => f,
            _ if self.remove_hpa => native,
            _ => self.identify_sectors,
        }
    }

    /// Whether anything will be changed.
    pub fn changes_anything(&self) -> bool {
        (self.remove_hpa && self.hpa_sectors.unwrap_or(0) > 0)
            || (self.restore_dco && self.dco_sectors.unwrap_or(0) > 0)
    }
}

/// The NVMe namespaces a controller-wide command erases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControllerScope {
    /// The controller (model and serial): namespaces sharing it share the command.
    pub controller: String,
    pub namespaces: Vec<u32>,
    /// This disk's namespace.
    pub nsid: u32,
}

/// The plan of one disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiskStrategy {
    pub requested: Level,
    #[serde(serialize_with = "technique_name")]
    pub technique: Technique,
    /// What the chosen technique achieves.
    pub level: Level,
    /// Tried in order when the previous one is refused before it changed anything.
    #[serde(serialize_with = "technique_names")]
    pub fallbacks: Vec<Technique>,
    /// The overwrite (primary, or last fallback).
    #[serde(serialize_with = "method_name")]
    pub method: Method,
    pub then_zero: bool,
    pub hidden: Option<HiddenPlan>,
    /// Set when the technique is a controller-wide NVMe command.
    pub controller: Option<ControllerScope>,
    /// A frozen drive hides a better technique; suspend-and-resume may bring it back.
    pub unfreeze_would_help: bool,
    pub explanations: Vec<Explanation>,
    pub facts: DriveFacts,
}

fn technique_name<S: serde::Serializer>(t: &Technique, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.name())
}

fn technique_names<S: serde::Serializer>(t: &[Technique], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(t.iter().map(|t| t.name()))
}

fn method_name<S: serde::Serializer>(m: &Method, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(m)
}

impl DiskStrategy {
    /// What deallocated blocks of this NVMe namespace read as, when the drive says.
    pub fn dealloc(&self) -> Option<PostErase> {
        self.facts.nvme.as_ref().and_then(|n| n.dealloc)
    }
}

/// A technique the drive offers, with whether it runs on the whole controller.
struct Candidate {
    technique: Technique,
    controller_wide: bool,
}

/// Chooses how to sanitize one disk. `plan_namespaces`: the namespaces of the same NVMe
/// controller that the plan sanitizes (this one included); controller-wide commands are used
/// only when they cover no other namespace.
pub fn choose(
    identity: &DiskIdentity,
    facts: &DriveFacts,
    req: &SanitizeRequest,
    plan_namespaces: &BTreeSet<u32>,
) -> DiskStrategy {
    let media = identity.media_type;
    let flash = media == MediaType::Flash;
    let method = overwrite_method(media, &req.method);
    let mut why: Vec<Explanation> = Vec::new();
    let mut unfreeze_would_help = false;

    // Why firmware cannot be used at all, when it cannot.
    match (identity.transport, &facts.access) {
        (Transport::Usb, Access::Refused { why: w }) => {
            why.push(Explanation::UsbNoPassthrough { why: w.clone() })
        }
        (Transport::Usb, _) => why.push(Explanation::UsbBridgeNotTrusted),
        (Transport::Nvme | Transport::Sata | Transport::Scsi, Access::Refused { why: w }) => {
            why.push(Explanation::NotInspected { why: w.clone() })
        }
        (Transport::Nvme | Transport::Sata | Transport::Scsi, _) => {}
        (t, _) if !flash => why.push(Explanation::NoDriveFirmware {
            transport: t.display_name().to_owned(),
        }),
        _ => {}
    }
    if flash {
        why.push(Explanation::FlashNoPurge);
    }

    // Hidden areas (ATA).
    let hidden = facts.ata.as_ref().map(|a| HiddenPlan {
        hpa_sectors: a.hpa_sectors(),
        dco_sectors: a.dco_sectors(),
        identify_sectors: a.identify_sectors,
        native_sectors: a.native_sectors,
        factory_sectors: a.factory_sectors,
        remove_hpa: true,
        restore_dco: req.dco_restore,
        amac: a.amac,
    });
    if let Some(h) = &hidden {
        match (h.hpa_sectors, h.dco_sectors) {
            (Some(0), Some(0)) => why.push(Explanation::NothingHidden),
            (hpa, dco) => {
                if let Some(n) = hpa.filter(|n| *n > 0) {
                    why.push(Explanation::HpaFound {
                        sectors: n,
                        remove: true,
                    });
                }
                if let Some(n) = dco.filter(|n| *n > 0) {
                    why.push(Explanation::DcoFound {
                        sectors: n,
                        restore: req.dco_restore,
                    });
                }
                if hpa.is_none() || dco.is_none() {
                    let w = facts
                        .ata
                        .as_ref()
                        .and_then(|a| a.hidden_why.clone())
                        .unwrap_or_else(|| "not read".into());
                    why.push(Explanation::HiddenNotChecked { why: w });
                }
            }
        }
    }

    // The drive's Purge techniques, in order of preference, and what stands in their way.
    let mut candidates: Vec<Candidate> = Vec::new();
    let suspend_why = req.can_suspend.clone().err();
    let can_suspend = req.can_suspend.is_ok();
    if let Some(n) = &facts.nvme {
        let others: Vec<u32> = n
            .namespaces
            .iter()
            .copied()
            .filter(|ns| !plan_namespaces.contains(ns))
            .collect();
        // An unknown namespace list proves nothing: controller-wide commands need it.
        let whole_controller_ok = !n.namespaces.is_empty() && others.is_empty();
        let mut blocked_by_others = false;
        let mut add = |t: Technique, supported: bool, wide: bool| {
            if !supported {
                return;
            }
            if wide && !whole_controller_ok {
                blocked_by_others = true;
                return;
            }
            candidates.push(Candidate {
                technique: t,
                controller_wide: wide,
            });
        };
        add(
            Technique::NvmeSanitize(SanitizeKind::Crypto),
            n.sanitize_crypto,
            true,
        );
        add(
            Technique::NvmeSanitize(SanitizeKind::Block),
            n.sanitize_block,
            true,
        );
        add(
            Technique::NvmeSanitize(SanitizeKind::Overwrite),
            n.sanitize_overwrite,
            true,
        );
        let format_wide = n.format_all_namespaces || n.secure_erase_all_namespaces;
        add(
            Technique::NvmeFormat(FormatErase::Crypto),
            n.format && n.crypto_erase,
            format_wide,
        );
        add(
            Technique::NvmeFormat(FormatErase::UserData),
            n.format,
            format_wide,
        );
        if blocked_by_others {
            why.push(Explanation::NvmeOtherNamespaces {
                namespaces: if n.namespaces.is_empty() {
                    Vec::new()
                } else {
                    others
                },
            });
        }
    }
    if let Some(a) = &facts.ata {
        let hdd = media == MediaType::Hdd;
        if let Some(s) = &a.sanitize {
            let frozen = s.frozen == Some(true);
            let order: &[(SanitizeKind, bool)] = if hdd {
                &[
                    (SanitizeKind::Overwrite, s.overwrite),
                    (SanitizeKind::Crypto, s.crypto),
                ]
            } else {
                &[
                    (SanitizeKind::Block, s.block),
                    (SanitizeKind::Crypto, s.crypto),
                ]
            };
            let usable: Vec<SanitizeKind> = order
                .iter()
                .filter(|(_, ok)| *ok)
                .map(|(k, _)| *k)
                .collect();
            if frozen && !usable.is_empty() {
                unfreeze_would_help = true;
                why.push(Explanation::AtaSanitizeFrozen {
                    can_suspend,
                    why_not: suspend_why.clone(),
                });
            } else {
                for k in usable {
                    candidates.push(Candidate {
                        technique: Technique::AtaSanitize(k),
                        controller_wide: false,
                    });
                }
            }
        }
        if a.security_supported {
            let enhanced = a.enhanced_erase_supported;
            let t = Technique::AtaSecurityErase { enhanced };
            let purge = t.level(media) == Some(Level::Purge);
            if a.password_attempts_expired {
                why.push(Explanation::AtaPasswordAttemptsExpired);
            } else if a.frozen {
                if purge {
                    unfreeze_would_help = true;
                }
                why.push(Explanation::AtaSecurityFrozen {
                    can_suspend,
                    why_not: suspend_why.clone(),
                });
            } else {
                if a.locked {
                    why.push(Explanation::AtaLocked);
                } else if a.security_enabled {
                    why.push(Explanation::AtaPasswordSet);
                }
                candidates.push(Candidate {
                    technique: t,
                    controller_wide: false,
                });
            }
        }
    }
    if let Some(s) = &facts.scsi {
        for (k, ok) in [
            (SanitizeKind::Overwrite, s.overwrite),
            (SanitizeKind::Block, s.block),
            (SanitizeKind::Crypto, s.crypto),
        ] {
            if ok {
                candidates.push(Candidate {
                    technique: Technique::ScsiSanitize(k),
                    controller_wide: false,
                });
            }
        }
    }
    // Only techniques that reach Purge on this media, over this transport.
    candidates.retain(|c| {
        c.technique.fits(identity.transport) && c.technique.level(media) == Some(Level::Purge)
    });

    let firmware_ok = !flash && identity.transport != Transport::Usb;
    let (technique, fallbacks, controller_wide) =
        if req.level == Level::Purge && firmware_ok && !candidates.is_empty() {
            let first = &candidates[0];
            let mut rest: Vec<Technique> = candidates[1..]
                .iter()
                // A controller-wide fallback of a namespace-wide choice (or the reverse) would
                // change what the plan checked; keep fallbacks of the same scope.
                .filter(|c| c.controller_wide == first.controller_wide)
                .map(|c| c.technique)
                .collect();
            rest.push(Technique::Overwrite);
            (first.technique, rest, first.controller_wide)
        } else {
            if req.level == Level::Purge {
                why.insert(0, Explanation::PurgeUnavailable);
                // "No Purge" is said only when unfreezing would not bring one either.
                if firmware_ok
                    && candidates.is_empty()
                    && !unfreeze_would_help
                    && facts.access == Access::Inspected
                {
                    if facts.nvme.is_some() {
                        why.push(Explanation::NvmeNoPurge);
                    } else if facts.ata.is_some() {
                        why.push(Explanation::AtaNoPurge);
                    } else if let Some(s) = &facts.scsi {
                        why.push(Explanation::ScsiNoSanitize {
                            why: s
                                .why_unknown
                                .clone()
                                .unwrap_or_else(|| "no service action supported".into()),
                        });
                    }
                }
            }
            (Technique::Overwrite, Vec::new(), false)
        };

    // The technique chosen, then each fallback, as the operator reads them.
    let mut plan_lines = vec![explain(technique, true, &method, facts)];
    for t in &fallbacks {
        plan_lines.push(explain(*t, false, &method, facts));
    }
    if req.then_zero && technique.is_firmware() {
        plan_lines.push(Explanation::ThenZero);
    }
    plan_lines.extend(why);

    let controller = match (&facts.nvme, controller_wide) {
        (Some(n), true) => Some(ControllerScope {
            controller: n.controller.clone(),
            namespaces: n.namespaces.clone(),
            nsid: n.nsid,
        }),
        _ => None,
    };
    DiskStrategy {
        requested: req.level,
        technique,
        level: technique.level(media).unwrap_or(Level::Clear),
        fallbacks,
        method,
        then_zero: req.then_zero && technique.is_firmware(),
        hidden,
        controller,
        unfreeze_would_help: unfreeze_would_help && req.level == Level::Purge,
        explanations: plan_lines,
        facts: facts.clone(),
    }
}

/// The explanation of one technique, chosen or as a fallback.
fn explain(t: Technique, chosen: bool, method: &Method, facts: &DriveFacts) -> Explanation {
    match t {
        Technique::Overwrite => Explanation::Overwrite {
            method: method.to_string(),
            chosen,
        },
        Technique::NvmeSanitize(action) => Explanation::NvmeSanitize { action, chosen },
        Technique::NvmeFormat(FormatErase::Crypto) => Explanation::NvmeFormatCrypto { chosen },
        Technique::NvmeFormat(FormatErase::UserData) => Explanation::NvmeFormatUserData { chosen },
        Technique::AtaSanitize(action) => Explanation::AtaSanitize { action, chosen },
        Technique::AtaSecurityErase { enhanced } => Explanation::AtaSecurityErase {
            enhanced,
            minutes: facts.ata.as_ref().and_then(|a| {
                if enhanced {
                    a.enhanced_erase_minutes
                } else {
                    a.erase_minutes
                }
            }),
            chosen,
        },
        Technique::ScsiSanitize(action) => Explanation::ScsiSanitize { action, chosen },
    }
}
