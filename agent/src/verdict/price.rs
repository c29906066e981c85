//! The price of each repair of the plan: its part from the workshop's price list plus its
//! minutes of labour at the hourly rate, euro cents TTC. Pure: the probe and the policy in, a
//! cost (or none) out.
//!
//! A repair the list cannot price (no screen price, a RAM module of unknown size, an empty size
//! list) has no cost: the plan says "not priced" rather than guess.

use std::collections::BTreeMap;

use super::Action;
use super::policy::{GIB, Policy};
use crate::probe::model::ProbeReport;

/// What `action` costs, or `None` when it is not a repair ([`Action::is_repair`]) or the price
/// list has no entry for what it needs.
pub fn action_cost(action: &Action, probe: &ProbeReport, policy: &Policy) -> Option<u64> {
    let p = &policy.prices;
    let m = &p.labour_minutes;
    let (part, minutes) = match action {
        Action::ReplaceBattery { .. } => (Some(p.battery_cents), m.replace_battery),
        Action::FitBattery => (Some(p.battery_cents), m.fit_battery),
        Action::ReplaceKeyboard { .. } => (Some(p.keyboard_cents), m.replace_keyboard),
        Action::ReplaceScreen => (p.screen_cents, m.replace_screen),
        // Cleaning and fresh thermal paste: labour only (the paste costs cents).
        Action::CleanCooling => (Some(0), m.clean_cooling),
        Action::AddRam {
            installed_bytes,
            module_bytes,
            ..
        } => {
            let needed = module_bytes.unwrap_or_else(|| {
                policy
                    .memory
                    .recommended_bytes
                    .saturating_sub(*installed_bytes)
                    .max(GIB)
            });
            (at_least(&p.ram_by_bytes(), needed), m.add_ram)
        }
        Action::SwapRam { installed_bytes } => {
            // The smallest removable module goes; the new one brings the machine to the
            // recommended amount on its own.
            let removed = probe
                .memory
                .modules
                .iter()
                .filter(|module| !module.soldered)
                .filter_map(|module| module.size_bytes.known().copied())
                .filter(|b| *b > 0)
                .min()
                .unwrap_or(0);
            let needed = policy
                .memory
                .recommended_bytes
                .saturating_sub(*installed_bytes)
                .saturating_add(removed)
                .max(GIB);
            (at_least(&p.ram_by_bytes(), needed), m.swap_ram)
        }
        Action::ReplaceRam { module } => {
            // The faulty module's own size, when the check named a module SMBIOS lists.
            let size = module.as_deref().and_then(|name| {
                probe
                    .memory
                    .modules
                    .iter()
                    .find(|x| x.slot.known().is_some_and(|s| s == name))
                    .and_then(|x| x.size_bytes.known().copied())
                    .filter(|b| *b > 0)
            });
            (
                size.and_then(|b| at_least(&p.ram_by_bytes(), b)),
                m.replace_ram,
            )
        }
        Action::ReplaceDisk { disk, .. } => {
            let ssd = p.ssd_by_bytes();
            let capacity = probe
                .disks
                .iter()
                .find(|d| d.id.to_string() == *disk)
                .and_then(|d| d.size_bytes.known().copied())
                .filter(|b| *b > 0);
            let part = match capacity {
                // Compared in whole GB, as disks are sold: a "256 GB" disk holds 256.06 GB and
                // is replaced by a 256 GB one. A laptop for a family does well with the largest
                // listed SSD even when the old disk was larger.
                Some(b) => {
                    at_least(&ssd, b / GB * GB).or_else(|| ssd.values().next_back().copied())
                }
                None => new_disk(policy, &ssd),
            };
            (part, m.replace_disk)
        }
        Action::FitNewDisk => (new_disk(policy, &p.ssd_by_bytes()), m.fit_new_disk),
        Action::CheckBattery { .. }
        | Action::CheckDisk { .. }
        | Action::PurgeDisk { .. }
        | Action::DestroyDisk { .. }
        | Action::CheckRamSlots { .. }
        | Action::SanitizeOrRemoveDisk { .. }
        | Action::RevealDisks { .. }
        | Action::RemoveMedium { .. }
        | Action::CheckNoMedium { .. }
        | Action::Recycle => return None,
    };
    Some(part?.saturating_add(labour(minutes, p.labour_cents_per_hour)))
}

/// 1 GB in bytes, as disks are sold.
const GB: u64 = 1_000_000_000;

/// Minutes at an hourly rate, rounded to the nearest cent (half up).
pub fn labour(minutes: u32, cents_per_hour: u64) -> u64 {
    (u64::from(minutes).saturating_mul(cents_per_hour) + 30) / 60
}

/// The price of the smallest listed size at least `bytes`.
fn at_least(list: &BTreeMap<u64, u64>, bytes: u64) -> Option<u64> {
    list.range(bytes..).next().map(|(_, cents)| *cents)
}

/// The price of the SSD fitted where no disk of known size was.
fn new_disk(policy: &Policy, ssd: &BTreeMap<u64, u64>) -> Option<u64> {
    let bytes = policy.prices.new_disk_gb.checked_mul(GB)?;
    ssd.get(&bytes).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labour_rounds_to_the_nearest_cent() {
        assert_eq!(labour(15, 3_000), 750);
        assert_eq!(labour(1, 3_000), 50);
        // 7 min at 31.00 €/h = 361.67 cents.
        assert_eq!(labour(7, 3_100), 362);
        assert_eq!(labour(0, 3_000), 0);
    }

    #[test]
    fn sizes_round_up_to_the_next_listed() {
        let list: BTreeMap<u64, u64> = [(4 * GIB, 1_500), (8 * GIB, 2_500)].into();
        assert_eq!(at_least(&list, 2 * GIB), Some(1_500));
        assert_eq!(at_least(&list, 4 * GIB), Some(1_500));
        assert_eq!(at_least(&list, 4 * GIB + 1), Some(2_500));
        assert_eq!(at_least(&list, 16 * GIB), None);
    }
}
