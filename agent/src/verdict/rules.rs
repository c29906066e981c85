//! Pure evaluation of the policy over the probe report, the wipe report and disk health.
//!
//! Unknown values never count as good: each one is stated as a reason (and usually a "check"
//! action), and lowers the grade to at least B.

use std::collections::BTreeMap;

use reprise_cert::model::ChecksRecord;

use reprise_cert::plan::Explanation;

use super::{
    Action, Decision, DiskProblem, Grade, Policy, Pricing, Reason, RemappedAfterOverwrite, Verdict,
    price,
};
use crate::model::DiskId;
use crate::probe::model::{DiskHealth, ProbeReport, StorageHandling};
use crate::wipe::report::{DeviceWipe, Outcome, WipeReport};

/// SMBIOS chassis types of portable machines (laptop, notebook, sub-notebook, tablet,
/// convertible, detachable, hand-held, portable).
const PORTABLE_CHASSIS: [u8; 8] = [8, 9, 10, 14, 11, 30, 31, 32];

/// Applies `policy`. `health` maps a disk (by its id) to its health; a disk absent from the
/// map has unknown health. Disks are joined across the probe, the wipe report and the health
/// map by their [`DiskId`], never by their `/dev` name.
pub fn evaluate(
    probe: &ProbeReport,
    wipe: &WipeReport,
    health: &BTreeMap<DiskId, DiskHealth>,
    policy: &Policy,
) -> Verdict {
    evaluate_with_checks(probe, wipe, health, &ChecksRecord::default(), policy)
}

/// [`evaluate`], with the hands-on checks done at the station weighed too (a check not done
/// weighs nothing).
pub fn evaluate_with_checks(
    probe: &ProbeReport,
    wipe: &WipeReport,
    health: &BTreeMap<DiskId, DiskHealth>,
    checks: &ChecksRecord,
    policy: &Policy,
) -> Verdict {
    let mut ev = Evaluation::default();
    cpu_rules(probe, policy, &mut ev);
    memory_rules(probe, policy, &mut ev);
    battery_rules(probe, policy, &mut ev);
    disk_rules(probe, wipe, health, checks.no_disk_stated, policy, &mut ev);
    other_storage_rules(probe, wipe, &mut ev);
    // A check that tested nothing weighs nothing: it is not run, not passed. (The language only
    // words the not-run list, which the verdict does not keep.)
    let checks = crate::checks::settle(checks.clone(), crate::model::Language::En);
    check_rules(&checks, policy, &mut ev);
    // The plan's price, weighed against the budget once every other rule has spoken: a laptop
    // that goes to recycling anyway keeps its own reasons, which outrank the budget.
    let repair_cost_cents = ev
        .actions
        .iter()
        .filter_map(|a| price::action_cost(a, probe, policy))
        .fold(0, u64::saturating_add);
    let budget_cents = policy.budget.repair_cents;
    if !ev.recycle && repair_cost_cents > budget_cents {
        ev.recycle(Reason::RepairOverBudget {
            repair_cost_cents,
            budget_cents,
        });
    }
    let mut verdict = ev.finish();
    verdict.pricing = Some(Pricing {
        action_cents: verdict
            .actions
            .iter()
            .map(|a| price::action_cost(a, probe, policy))
            .collect(),
        repair_cost_cents,
        budget_cents,
        budget_basis: policy.budget.basis(),
    });
    verdict
}

#[derive(Default)]
struct Evaluation {
    reasons: Vec<Reason>,
    actions: Vec<Action>,
    recycle: bool,
    unknowns: usize,
}

impl Evaluation {
    fn recycle(&mut self, reason: Reason) {
        self.recycle = true;
        self.reasons.push(reason);
    }
    fn unknown(&mut self, reason: Reason, action: Option<Action>) {
        self.unknowns += 1;
        self.reasons.push(reason);
        self.actions.extend(action);
    }
    fn fix(&mut self, reason: Reason, action: Action) {
        self.reasons.push(reason);
        if !self.actions.contains(&action) {
            self.actions.push(action);
        }
    }
    fn finish(mut self) -> Verdict {
        let fixes = self
            .actions
            .iter()
            .filter(|a| {
                !matches!(
                    a,
                    Action::CheckBattery { .. }
                        | Action::CheckDisk { .. }
                        | Action::CheckRamSlots { .. }
                        | Action::RemoveMedium { .. }
                        | Action::CheckNoMedium { .. }
                )
            })
            .count();
        let (decision, grade) = if self.recycle {
            self.actions.push(Action::Recycle);
            (Decision::Recycle, Grade::C)
        } else if fixes >= 2 {
            (Decision::Refurbish, Grade::C)
        } else if fixes == 1 || self.unknowns > 0 {
            (Decision::Refurbish, Grade::B)
        } else {
            (Decision::Refurbish, Grade::A)
        };
        Verdict {
            decision,
            grade,
            reasons: self.reasons,
            actions: self.actions,
            pricing: None,
        }
    }
}

fn cpu_rules(probe: &ProbeReport, policy: &Policy, ev: &mut Evaluation) {
    match probe.cpu.x86_64_level.known() {
        Some(&level) if level < policy.cpu.minimum_x86_64_level => {
            ev.recycle(Reason::CpuLevelTooLow {
                level,
                minimum: policy.cpu.minimum_x86_64_level,
            })
        }
        Some(_) => {}
        None => ev.unknown(Reason::CpuLevelUnknown, None),
    }
    match probe.cpu.physical_cores.known() {
        Some(&cores) if cores < policy.cpu.minimum_cores => ev.recycle(Reason::TooFewCores {
            cores,
            minimum: policy.cpu.minimum_cores,
        }),
        Some(_) => {}
        None => ev.unknown(Reason::CoresUnknown, None),
    }
}

/// What SMBIOS says about memory slots: (installed bytes, slots, free slots, swappable slots).
struct Slots {
    installed: u64,
    free: u32,
    /// Occupied slots whose module is not soldered (can be swapped for a larger one).
    swappable: u32,
}

fn slots(probe: &ProbeReport) -> Option<Slots> {
    let modules = &probe.memory.modules;
    if modules.is_empty() {
        return None;
    }
    let mut s = Slots {
        installed: 0,
        free: 0,
        swappable: 0,
    };
    for m in modules {
        // A slot of unknown size tells nothing: the whole picture is unknown.
        let size = *m.size_bytes.known()?;
        let soldered = m.soldered
            || m.slot.known().is_some_and(|name| {
                let name = name.to_ascii_lowercase();
                name.contains("onboard") || name.contains("soldered") || name.contains("on board")
            });
        if size == 0 {
            s.free += 1;
        } else {
            s.installed += size;
            if !soldered {
                s.swappable += 1;
            }
        }
    }
    Some(s)
}

/// The module to add in a free slot: the smallest power-of-two size (at least 1 GiB) that
/// brings the machine to the recommended amount, of the kind the installed modules are
/// ("DDR4 SODIMM"), when SMBIOS says.
fn suggested_module(
    probe: &ProbeReport,
    installed: u64,
    recommended: u64,
) -> (Option<u64>, Option<String>) {
    let missing = recommended.saturating_sub(installed);
    let size = (missing > 0).then(|| missing.next_power_of_two().max(1 << 30));
    let kind = probe
        .memory
        .modules
        .iter()
        .filter(|m| m.size_bytes.known().is_some_and(|b| *b > 0) && !m.soldered)
        .find_map(|m| {
            let t = m.memory_type.known()?;
            let f = m.form_factor.known()?;
            Some(format!("{t} {f}"))
        });
    (size, kind)
}

fn memory_rules(probe: &ProbeReport, policy: &Policy, ev: &mut Evaluation) {
    let min = policy.memory.minimum_bytes;
    let rec = policy.memory.recommended_bytes;
    let slots = slots(probe);
    // Installed (SMBIOS) is the honest figure; usable (MemTotal) is lower by the firmware's and
    // kernel's reservations, so it is compared with a 10 % allowance.
    // `installed` is compared with the policy; `shown` is what the operator reads (the usable
    // figure when SMBIOS is silent, never the estimate).
    let (installed, shown) = match (&slots, probe.memory.total_usable_bytes.known()) {
        (Some(s), _) if s.installed > 0 => (s.installed, s.installed),
        (_, Some(&usable)) => (usable + usable / 9, usable),
        (_, None) => {
            ev.unknown(Reason::RamUnknown, None);
            return;
        }
    };
    if installed >= rec {
        return;
    }
    match slots {
        Some(s) if s.free > 0 || s.swappable > 0 => {
            let action = if s.free > 0 {
                let (module_bytes, module_kind) = suggested_module(probe, installed, rec);
                Action::AddRam {
                    installed_bytes: shown,
                    free_slots: s.free,
                    module_bytes,
                    module_kind,
                }
            } else {
                Action::SwapRam {
                    installed_bytes: shown,
                }
            };
            if installed < min {
                ev.fix(
                    Reason::RamTooLowUpgradable {
                        installed_bytes: shown,
                        minimum_bytes: min,
                    },
                    action,
                );
            } else {
                ev.fix(
                    Reason::RamBelowRecommended {
                        installed_bytes: shown,
                        recommended_bytes: rec,
                    },
                    action,
                );
            }
        }
        Some(_) => {
            if installed < min {
                ev.recycle(Reason::RamTooLowNotUpgradable {
                    installed_bytes: shown,
                    minimum_bytes: min,
                });
            } else {
                ev.reasons.push(Reason::RamBelowRecommended {
                    installed_bytes: shown,
                    recommended_bytes: rec,
                });
            }
        }
        None => ev.unknown(
            Reason::RamSlotsUnknown {
                installed_bytes: shown,
            },
            Some(Action::CheckRamSlots {
                installed_bytes: shown,
            }),
        ),
    }
}

fn battery_rules(probe: &ProbeReport, policy: &Policy, ev: &mut Evaluation) {
    let batteries = &probe.power.batteries;
    if batteries.is_empty() {
        let portable = probe
            .identity
            .chassis
            .chassis_type
            .known()
            .map(|t| PORTABLE_CHASSIS.contains(t));
        match portable {
            Some(true) if policy.battery.require_on_laptops => {
                ev.fix(Reason::NoBattery, Action::FitBattery)
            }
            Some(_) => {}
            // Unknown chassis: say no battery was found, without asking for one.
            None => ev.unknown(Reason::NoBattery, None),
        }
        return;
    }
    for b in batteries {
        match b.health_permille.known() {
            Some(&h) if h < policy.battery.replace_below_permille => ev.fix(
                Reason::BatteryWorn {
                    battery: b.name.clone(),
                    health_permille: h,
                    threshold_permille: policy.battery.replace_below_permille,
                },
                Action::ReplaceBattery {
                    battery: b.name.clone(),
                    health_permille: h,
                },
            ),
            Some(_) => {}
            None => ev.unknown(
                Reason::BatteryHealthUnknown {
                    battery: b.name.clone(),
                },
                Some(Action::CheckBattery {
                    battery: b.name.clone(),
                }),
            ),
        }
    }
}

fn disk_rules(
    probe: &ProbeReport,
    wipe: &WipeReport,
    health: &BTreeMap<DiskId, DiskHealth>,
    no_disk_stated: bool,
    policy: &Policy,
    ev: &mut Evaluation,
) {
    // Every disk is accounted for: only the proven boot medium is left out. A disk the probe
    // saw and the run did not sanitize (the running system's, a second Reprise stick, one that
    // was skipped) is a reason and an action of its own.
    let considered: Vec<&crate::probe::model::Disk> =
        probe.disks.iter().filter(|d| !d.is_boot_medium()).collect();
    // A controller that may hide disks: the laptop's storage was not all seen. Its disk may
    // still hold its owner's files, so "no disk, fit a new one" would be wrong.
    let hiding = probe.controllers_hiding_disks();
    for c in &hiding {
        if let Some(finding) = c.finding {
            ev.fix(
                Reason::DisksHidden {
                    controller: c.address.clone(),
                    pci_id: c.pci_id(),
                    finding,
                },
                Action::RevealDisks {
                    controller: c.address.clone(),
                    pci_id: c.pci_id(),
                    finding,
                },
            );
        }
    }
    // No disk of the laptop's own (a USB disk, an SD card in a reader, an optical drive are not
    // one): it needs a disk, unless one may be hidden.
    let internal = !probe.internal_disks().is_empty()
        || wipe
            .devices
            .iter()
            .any(|w| !probe.disks.iter().any(|d| d.id == w.device.id));
    // A run that found no storage of the laptop's own is never a clean finish: only the
    // operator's statement that the laptop has no disk makes it one that needs a disk. Without
    // it nothing is known of what the laptop holds (a controller may hide it: its reason and
    // fix are above), and it is not refurbished as it is.
    if !internal {
        if no_disk_stated {
            ev.fix(Reason::NoDisk, Action::FitNewDisk);
        } else {
            ev.recycle(Reason::NoInternalStorageFound);
        }
    }
    if considered.is_empty() && wipe.devices.is_empty() {
        return;
    }
    for d in &considered {
        if !wipe.devices.iter().any(|w| w.device.id == d.id) {
            let disk = d.id.to_string();
            if d.appeared_during_run {
                ev.fix(
                    Reason::DiskAppeared { disk: disk.clone() },
                    Action::SanitizeOrRemoveDisk { disk },
                );
                continue;
            }
            if let Some(t) = d.health.self_test.as_ref().filter(|t| !t.passed) {
                // Left alone because its own test failed: not sanitized, so destroyed.
                ev.fix(
                    Reason::SelfTestFailed {
                        disk: disk.clone(),
                        result: t.result.clone(),
                    },
                    Action::DestroyDisk { disk: disk.clone() },
                );
                ev.fix(
                    Reason::DiskNotSanitized {
                        disk: disk.clone(),
                        why: Some("it failed its self-test".into()),
                    },
                    Action::DestroyDisk { disk: disk.clone() },
                );
                replace_destroyed(probe, &d.id, ev);
                continue;
            }
            let why = if d.reprise_medium.is_some() {
                Some("it carries a Reprise image".to_owned())
            } else if d.holds_system {
                Some(d.system_reasons.join("; "))
            } else {
                None
            };
            ev.fix(
                Reason::DiskNotSanitized {
                    disk: disk.clone(),
                    why,
                },
                Action::SanitizeOrRemoveDisk { disk },
            );
        }
    }
    for w in &wipe.devices {
        let disk = w.device.id.to_string();
        match w.outcome {
            _ if w.is_sanitized() => {
                let retried = w.writes_retried();
                if retried > 0 {
                    ev.fix(
                        Reason::WritesRetried {
                            disk: disk.clone(),
                            count: retried,
                        },
                        Action::CheckDisk { disk: disk.clone() },
                    );
                }
                // An explicit health record (cert issue --health) wins over what the probe
                // read from the drive.
                let probed = probe
                    .disks
                    .iter()
                    .find(|d| d.id == w.device.id)
                    .map(|d| &d.health);
                let h = health.get(&w.device.id).or(probed);
                health_rules(&disk, h, policy, ev);
                remapped_rule(probe, w, h, policy, ev);
            }
            Outcome::Unverified => ev.fix(
                Reason::SanitizationNotVerified { disk: disk.clone() },
                Action::SanitizeOrRemoveDisk { disk },
            ),
            Outcome::Cancelled => ev.fix(
                Reason::SanitizationFailed {
                    disk: disk.clone(),
                    result: Outcome::Cancelled,
                },
                Action::SanitizeOrRemoveDisk { disk },
            ),
            Outcome::Failed | Outcome::Passed => {
                ev.fix(
                    Reason::SanitizationFailed {
                        disk: disk.clone(),
                        result: Outcome::Failed,
                    },
                    Action::DestroyDisk { disk: disk.clone() },
                );
                replace_destroyed(probe, &w.device.id, ev);
            }
        }
    }
}

/// Sanitized by a technique that does not reach remapped sectors (an overwrite) on a drive
/// that had some: "Clear, with exception", and the disk goes where the policy says — Purge by
/// default (the drive's own erase reaches them), destruction when the plan recorded that the
/// drive offers no Purge, or when the policy says so.
fn remapped_rule(
    probe: &ProbeReport,
    w: &DeviceWipe,
    health: Option<&DiskHealth>,
    policy: &Policy,
    ev: &mut Evaluation,
) {
    if w.reaches_remapped() {
        return;
    }
    let Some(n) = health
        .and_then(DiskHealth::remapped_sectors)
        .filter(|n| *n > 0)
    else {
        return;
    };
    let disk = w.device.id.to_string();
    let reason = Reason::RemappedSectorsUnreachable {
        disk: disk.clone(),
        sectors: n.to_string(),
    };
    let purge = match policy.disk.remapped_after_overwrite {
        RemappedAfterOverwrite::Purge => !w.explanations.iter().any(no_purge_ever),
        RemappedAfterOverwrite::Destroy => false,
    };
    if purge {
        ev.fix(reason, Action::PurgeDisk { disk });
    } else {
        ev.fix(reason, Action::DestroyDisk { disk });
        replace_destroyed(probe, &w.device.id, ev);
    }
}

/// A fact of the plan that says the drive can never be purged here (as opposed to not yet: a
/// frozen or locked drive may be, after a power cycle).
fn no_purge_ever(e: &Explanation) -> bool {
    matches!(
        e,
        Explanation::PurgeUnavailable
            | Explanation::UsbNoPassthrough { .. }
            | Explanation::UsbBridgeNotTrusted
            | Explanation::FlashNoPurge
            | Explanation::NoDriveFirmware { .. }
            | Explanation::NvmeNoPurge
            | Explanation::AtaNoPurge
            | Explanation::ScsiNoSanitize { .. }
    )
}

/// Storage that is not a disk: a medium left in a drive is a note (take it out), never a disk
/// not sanitized; an NVMe namespace the kernel did not show holds data like any disk, so it is
/// one, unless the firmware erase of a sanitized namespace of its controller erased it too.
fn other_storage_rules(probe: &ProbeReport, wipe: &WipeReport, ev: &mut Evaluation) {
    for o in &probe.other_storage {
        match o.handling {
            StorageHandling::RemoveMedium | StorageHandling::CheckEmpty => {
                let (device, kind) = (o.name.clone(), o.kind);
                let action = if o.handling == StorageHandling::RemoveMedium {
                    Action::RemoveMedium { device, kind }
                } else {
                    Action::CheckNoMedium { device, kind }
                };
                if !ev.actions.contains(&action) {
                    ev.actions.push(action);
                }
            }
            StorageHandling::NotSanitized => {
                let Some((serial, nsid)) = o.nvme_namespace() else {
                    continue;
                };
                if wipe.erased_namespace(serial, nsid) {
                    continue;
                }
                let disk =
                    o.id.as_ref()
                        .map_or_else(|| o.name.clone(), ToString::to_string);
                ev.fix(
                    Reason::DiskNotSanitized {
                        disk: disk.clone(),
                        why: Some(format!("{}: the kernel shows no disk for it", o.name)),
                    },
                    Action::SanitizeOrRemoveDisk { disk },
                );
            }
            StorageHandling::NoMedium
            | StorageHandling::NotWritten
            | StorageHandling::ErasedWithController => {}
        }
    }
}

/// A disk going to destruction must be replaced — unless it is a soldered eMMC, which cannot
/// be: then the machine cannot be reused. An SD card in a reader, or any removable disk, can.
fn replace_destroyed(probe: &ProbeReport, id: &DiskId, ev: &mut Evaluation) {
    let soldered = probe.disks.iter().any(|d| &d.id == id && d.soldered);
    if soldered {
        ev.recycle(Reason::FailedDiskNotRemovable {
            disk: id.to_string(),
        });
    } else if !ev.actions.contains(&Action::FitNewDisk) {
        ev.actions.push(Action::FitNewDisk);
    }
}

/// The hands-on checks: dead keys, a screen defect, a CPU that overheats or throttles, RAM
/// errors — each a fix with its action.
fn check_rules(checks: &ChecksRecord, policy: &Policy, ev: &mut Evaluation) {
    let p = &policy.checks;
    if let Some(k) = &checks.keyboard {
        // Keys not pressed in a check stopped early are not proven dead.
        let dead = u32::try_from(k.keys_not_pressed.len()).unwrap_or(u32::MAX);
        if k.completed && dead > p.max_dead_keys {
            ev.fix(
                Reason::KeysDead {
                    keys: k.keys_not_pressed.clone(),
                },
                Action::ReplaceKeyboard {
                    keys: k.keys_not_pressed.clone(),
                },
            );
        }
    }
    if let Some(s) = &checks.screen
        && !s.passed
    {
        ev.fix(
            Reason::ScreenDefect {
                colour: s.defect_on.clone(),
            },
            Action::ReplaceScreen,
        );
    }
    if let Some(c) = &checks.cooling {
        if let Some(max) = c.max_millicelsius.filter(|m| *m > p.max_cpu_millicelsius) {
            ev.fix(
                Reason::CpuOverheated {
                    max_millicelsius: max,
                    limit_millicelsius: p.max_cpu_millicelsius,
                },
                Action::CleanCooling,
            );
        }
        if let Some(events) = c.throttle_events.filter(|e| *e > p.max_throttle_events) {
            ev.fix(Reason::CpuThrottled { events }, Action::CleanCooling);
        }
    }
    if let Some(m) = &checks.memory
        && m.errors > p.max_memory_errors
    {
        ev.fix(
            Reason::MemoryErrors {
                errors: m.errors,
                module: m.module.clone(),
            },
            Action::ReplaceRam {
                module: m.module.clone(),
            },
        );
    }
}

fn health_rules(disk: &str, health: Option<&DiskHealth>, policy: &Policy, ev: &mut Evaluation) {
    let Some(h) = health else {
        ev.unknown(
            Reason::DiskHealthUnknown { disk: disk.into() },
            Some(Action::CheckDisk { disk: disk.into() }),
        );
        return;
    };
    let mut problems = Vec::new();
    if h.smart_passed == Some(false) {
        problems.push((
            Reason::SmartFailed { disk: disk.into() },
            DiskProblem::SmartFailed,
            None,
        ));
    }
    if let Some(t) = h.self_test.as_ref().filter(|t| !t.passed) {
        problems.push((
            Reason::SelfTestFailed {
                disk: disk.into(),
                result: t.result.clone(),
            },
            DiskProblem::SelfTestFailed,
            None,
        ));
    }
    if let Some(used) = h
        .percentage_used
        .filter(|u| *u >= policy.disk.max_percentage_used)
    {
        problems.push((
            Reason::DiskWornOut {
                disk: disk.into(),
                percentage_used: used,
                limit: policy.disk.max_percentage_used,
            },
            DiskProblem::WornOut,
            Some(used.to_string()),
        ));
    }
    let counters = [
        (
            h.reallocated,
            policy.disk.max_reallocated,
            DiskProblem::Reallocated,
        ),
        (h.pending, policy.disk.max_pending, DiskProblem::Pending),
        (
            h.media_errors,
            policy.disk.max_media_errors,
            DiskProblem::MediaErrors,
        ),
    ];
    for (value, max, problem) in counters {
        if let Some(v) = value.filter(|v| *v > max) {
            let count = v.to_string();
            let reason = match problem {
                DiskProblem::Reallocated => Reason::ReallocatedSectors {
                    disk: disk.into(),
                    count: count.clone(),
                },
                DiskProblem::Pending => Reason::PendingSectors {
                    disk: disk.into(),
                    count: count.clone(),
                },
                _ => Reason::MediaErrors {
                    disk: disk.into(),
                    count: count.clone(),
                },
            };
            problems.push((reason, problem, Some(count)));
        }
    }
    let all_unknown = h.smart_passed.is_none()
        && h.reallocated.is_none()
        && h.pending.is_none()
        && h.media_errors.is_none()
        && h.percentage_used.is_none();
    if problems.is_empty() {
        if all_unknown {
            ev.unknown(
                Reason::DiskHealthUnknown { disk: disk.into() },
                Some(Action::CheckDisk { disk: disk.into() }),
            );
        }
        return;
    }
    // One replace action per disk, naming its first problem; every problem is a reason.
    let (_, problem, count) = &problems[0];
    let action = Action::ReplaceDisk {
        disk: disk.into(),
        problem: *problem,
        count: count.clone(),
    };
    for (reason, _, _) in problems {
        ev.fix(reason, action.clone());
    }
}
