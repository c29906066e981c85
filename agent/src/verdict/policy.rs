//! The verdict policy: thresholds in TOML, with built-in defaults a workshop may override.
//!
//! Every section and key is optional (missing ones keep their default); unknown keys are an
//! error, so a typo never silently keeps a default. Parse errors carry line and column; values
//! that parse but make no sense name their key.
//!
//! `[prices]` and `[budget]` price the refurbishment plan (euro cents TTC): the defaults are
//! plausible figures for second-hand parts and an associative workshop's labour, there to be
//! replaced by the workshop's own; the default budget is the ceiling on the resale price of a
//! computer given away by a public body (180 € TTC, décret of 7 November 2022).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// 1 GiB in bytes.
pub const GIB: u64 = 1 << 30;

/// All thresholds of the verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    pub battery: BatteryPolicy,
    pub disk: DiskPolicy,
    pub memory: MemoryPolicy,
    pub cpu: CpuPolicy,
    /// Thresholds of the hands-on checks (keyboard, cooling, RAM); a check not done is not
    /// judged.
    pub checks: ChecksPolicy,
    /// The workshop's price list: parts and labour of each repair.
    pub prices: PricesPolicy,
    /// The most a repair may cost for the laptop to be refurbished.
    pub budget: BudgetPolicy,
}

/// The highest price, labour rate or budget a policy may state (100 000 €): far above any
/// laptop repair, and low enough that no sum of a plan comes near 2^53 (the certificate's
/// integer limit).
pub const MAX_CENTS: u64 = 10_000_000;

/// The most minutes of labour a policy may give one repair (a week of work).
pub const MAX_MINUTES: u32 = 10_080;

/// The default budget, euro cents TTC.
pub const DEFAULT_BUDGET_CENTS: u64 = 18_000;

/// What the default budget is.
pub const DEFAULT_BUDGET_BASIS: &str = "plafond de revente d'un ordinateur cédé par une \
personne publique, 180 € TTC, décret du 7 novembre 2022";

/// What a budget the workshop set without naming it is.
pub const WORKSHOP_BUDGET_BASIS: &str = "budget de réparation fixé par l'atelier";

/// Parts and labour, euro cents TTC. A repair costs its part (if any) plus its minutes of
/// labour at the hourly rate. A size list given in the policy replaces the default list whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PricesPolicy {
    /// Labour, cents per hour.
    pub labour_cents_per_hour: u64,
    /// Minutes of labour per repair.
    pub labour_minutes: LabourMinutes,
    /// A laptop battery.
    pub battery_cents: u64,
    /// A laptop keyboard.
    pub keyboard_cents: u64,
    /// A screen panel: no default (panels vary too much to guess), so a screen replacement is
    /// "not priced" until the workshop sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screen_cents: Option<u64>,
    /// A RAM module, by size in GiB ("8" = 8 GiB). The module priced is the smallest listed
    /// that is at least the size the plan needs.
    pub ram_module_cents: BTreeMap<String, u64>,
    /// An SSD, by size in GB ("256" = 256 GB). A replacement is the smallest listed at least
    /// as large as the disk it replaces (the largest listed when none is).
    pub ssd_cents: BTreeMap<String, u64>,
    /// The size of SSD fitted in a laptop that has no disk of known size, GB: one of
    /// `ssd_cents`.
    pub new_disk_gb: u64,
}

/// Minutes of labour of each repair (removing the old part, fitting and testing the new one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LabourMinutes {
    pub replace_battery: u32,
    pub fit_battery: u32,
    pub replace_disk: u32,
    pub fit_new_disk: u32,
    pub add_ram: u32,
    pub swap_ram: u32,
    pub replace_ram: u32,
    pub replace_keyboard: u32,
    pub replace_screen: u32,
    pub clean_cooling: u32,
}

impl Default for LabourMinutes {
    fn default() -> Self {
        LabourMinutes {
            replace_battery: 15,
            fit_battery: 15,
            replace_disk: 30,
            fit_new_disk: 30,
            add_ram: 10,
            swap_ram: 15,
            replace_ram: 15,
            replace_keyboard: 45,
            replace_screen: 45,
            clean_cooling: 30,
        }
    }
}

impl Default for PricesPolicy {
    fn default() -> Self {
        let list = |items: &[(&str, u64)]| {
            items
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect::<BTreeMap<_, _>>()
        };
        PricesPolicy {
            labour_cents_per_hour: 3_000,
            labour_minutes: LabourMinutes::default(),
            battery_cents: 4_500,
            keyboard_cents: 2_500,
            screen_cents: None,
            ram_module_cents: list(&[("4", 1_500), ("8", 2_500), ("16", 4_500)]),
            ssd_cents: list(&[
                ("128", 2_000),
                ("256", 3_000),
                ("512", 4_500),
                ("1000", 7_000),
            ]),
            new_disk_gb: 256,
        }
    }
}

impl PricesPolicy {
    /// The RAM list by size in bytes (keys checked by [`Policy::from_toml`]).
    pub fn ram_by_bytes(&self) -> BTreeMap<u64, u64> {
        sizes(&self.ram_module_cents, GIB)
    }

    /// The SSD list by size in bytes.
    pub fn ssd_by_bytes(&self) -> BTreeMap<u64, u64> {
        sizes(&self.ssd_cents, 1_000_000_000)
    }
}

/// A size list with its keys in bytes; a key that is not a size is left out (the policy's
/// check refuses it first).
fn sizes(list: &BTreeMap<String, u64>, unit: u64) -> BTreeMap<u64, u64> {
    list.iter()
        .filter_map(|(k, v)| Some((k.parse::<u64>().ok()?.checked_mul(unit)?, *v)))
        .collect()
}

/// The repair budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetPolicy {
    /// The most the priced repairs may cost for the laptop to be refurbished, cents TTC; a
    /// repair equal to it fits.
    pub repair_cents: u64,
    /// What the budget is, as the certificate names it. When absent: the décret's ceiling for
    /// the default amount, "budget fixed by the workshop" for any other.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
}

impl Default for BudgetPolicy {
    fn default() -> Self {
        BudgetPolicy {
            repair_cents: DEFAULT_BUDGET_CENTS,
            basis: None,
        }
    }
}

impl BudgetPolicy {
    /// The budget's name, as the certificate records it.
    pub fn basis(&self) -> String {
        match &self.basis {
            Some(b) => b.clone(),
            None if self.repair_cents == DEFAULT_BUDGET_CENTS => DEFAULT_BUDGET_BASIS.to_owned(),
            None => WORKSHOP_BUDGET_BASIS.to_owned(),
        }
    }
}

/// Defaults: any dead key, any RAM error or throttling, or a CPU above 95 °C under load means
/// a fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChecksPolicy {
    /// Replace the keyboard when more keys than this never answered a completed keyboard check.
    pub max_dead_keys: u32,
    /// Clean the cooling when the CPU gets hotter than this under the load, millidegrees C.
    pub max_cpu_millicelsius: u32,
    /// Clean the cooling when the CPU throttled more times than this under the load.
    pub max_throttle_events: u64,
    /// Replace the RAM when the pattern test found more errors than this.
    pub max_memory_errors: u64,
}

impl Default for ChecksPolicy {
    fn default() -> Self {
        ChecksPolicy {
            max_dead_keys: 0,
            max_cpu_millicelsius: 95_000,
            max_throttle_events: 0,
            max_memory_errors: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatteryPolicy {
    /// Replace a battery whose full/design capacity is below this, per mille.
    pub replace_below_permille: u32,
    /// Ask for a battery when a laptop (SMBIOS chassis) has none.
    pub require_on_laptops: bool,
}

/// Defaults: any reallocated or pending sector or media error means "replace", and so does a
/// drive that has used its whole rated endurance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiskPolicy {
    /// Replace the disk when more sectors than this are reallocated.
    pub max_reallocated: u64,
    /// Replace the disk when more sectors than this are pending reallocation.
    pub max_pending: u64,
    /// Replace the disk when more media errors than this were logged.
    pub max_media_errors: u64,
    /// Replace the disk when it has used this share of its rated endurance or more (NVMe
    /// "percentage used", ATA wear attributes), percent.
    pub max_percentage_used: u16,
    /// Where a disk goes when it was only overwritten and its drive had remapped sectors
    /// (reallocated or pending), whose old content no overwrite reaches.
    pub remapped_after_overwrite: RemappedAfterOverwrite,
}

/// Where the verdict sends a disk that an overwrite sanitized with remapped sectors out of its
/// reach ("Clear, with exception").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemappedAfterOverwrite {
    /// The default: sanitize it again at Purge, with the drive's own erase, which reaches
    /// remapped sectors — a re-use workshop keeps a drive it can still use. When the plan
    /// recorded that the drive offers no Purge (behind a USB bridge, flash, none supported),
    /// destroy it instead: a Purge it cannot do would leave it in limbo.
    #[default]
    Purge,
    /// Always destroy it (a workshop whose own rules take no chance with old data).
    Destroy,
}

impl Default for DiskPolicy {
    fn default() -> Self {
        DiskPolicy {
            max_reallocated: 0,
            max_pending: 0,
            max_media_errors: 0,
            max_percentage_used: 100,
            remapped_after_overwrite: RemappedAfterOverwrite::Purge,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemoryPolicy {
    /// Below this (installed, or usable when modules are unknown) and not upgradable: recycle.
    pub minimum_bytes: u64,
    /// Below this: suggest an upgrade when a slot allows it.
    pub recommended_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CpuPolicy {
    /// Minimum x86-64 micro-architecture level (2 = x86-64-v2).
    pub minimum_x86_64_level: u8,
    pub minimum_cores: u32,
}

impl Default for BatteryPolicy {
    fn default() -> Self {
        BatteryPolicy {
            replace_below_permille: 800,
            require_on_laptops: true,
        }
    }
}

impl Default for MemoryPolicy {
    fn default() -> Self {
        MemoryPolicy {
            minimum_bytes: 4 * GIB,
            recommended_bytes: 8 * GIB,
        }
    }
}

impl Default for CpuPolicy {
    fn default() -> Self {
        CpuPolicy {
            minimum_x86_64_level: 2,
            minimum_cores: 2,
        }
    }
}

/// Why a policy was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The TOML is malformed or names an unknown key.
    #[error("{path}:{line}:{column}: invalid policy: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The values are inconsistent.
    #[error("{path}: invalid policy: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Policy {
    /// Parses a policy; `path` only names the source in errors. Lines and columns are 1-based.
    pub fn from_toml(text: &str, path: &Path) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map_or((0, 0), |span| line_column(text, span.start));
            PolicyError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        if policy.memory.recommended_bytes < policy.memory.minimum_bytes {
            return Err(PolicyError::Invalid {
                path: path.to_path_buf(),
                message: "memory.recommended_bytes is below memory.minimum_bytes".into(),
            });
        }
        if policy.battery.replace_below_permille > 1000 {
            return Err(PolicyError::Invalid {
                path: path.to_path_buf(),
                message: "battery.replace_below_permille is above 1000".into(),
            });
        }
        policy.prices_problem().map_or(Ok(policy), |message| {
            Err(PolicyError::Invalid {
                path: path.to_path_buf(),
                message,
            })
        })
    }

    /// What is wrong with the price list or the budget, naming the key.
    fn prices_problem(&self) -> Option<String> {
        let p = &self.prices;
        let m = &p.labour_minutes;
        let mut cents: Vec<(String, u64)> = vec![
            (
                "prices.labour_cents_per_hour".into(),
                p.labour_cents_per_hour,
            ),
            ("prices.battery_cents".into(), p.battery_cents),
            ("prices.keyboard_cents".into(), p.keyboard_cents),
            ("budget.repair_cents".into(), self.budget.repair_cents),
        ];
        cents.extend(p.screen_cents.map(|c| ("prices.screen_cents".into(), c)));
        for (list, name, unit) in [
            (&p.ram_module_cents, "ram_module_cents", "GiB"),
            (&p.ssd_cents, "ssd_cents", "GB"),
        ] {
            let mut seen = std::collections::BTreeSet::new();
            for (size, price) in list {
                let Some(n) = size
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=1_000_000).contains(s))
                else {
                    return Some(format!(
                        "prices.{name}: key {size:?} is not a size in {unit} (a whole number from 1 to 1000000)"
                    ));
                };
                // "8" and "08" are one size: two prices for it would leave one unused.
                if !seen.insert(n) {
                    return Some(format!("prices.{name}: size {n} {unit} is given twice"));
                }
                cents.push((format!("prices.{name}.{size}"), *price));
            }
        }
        if let Some((key, value)) = cents.iter().find(|(_, c)| *c > MAX_CENTS) {
            return Some(format!(
                "{key} = {value} is above {MAX_CENTS} cents (100 000 €)"
            ));
        }
        let minutes = [
            ("replace_battery", m.replace_battery),
            ("fit_battery", m.fit_battery),
            ("replace_disk", m.replace_disk),
            ("fit_new_disk", m.fit_new_disk),
            ("add_ram", m.add_ram),
            ("swap_ram", m.swap_ram),
            ("replace_ram", m.replace_ram),
            ("replace_keyboard", m.replace_keyboard),
            ("replace_screen", m.replace_screen),
            ("clean_cooling", m.clean_cooling),
        ];
        if let Some((key, value)) = minutes.iter().find(|(_, v)| *v > MAX_MINUTES) {
            return Some(format!(
                "prices.labour_minutes.{key} = {value} is above {MAX_MINUTES} minutes"
            ));
        }
        let new_disk = p.new_disk_gb.checked_mul(1_000_000_000);
        if !p.ssd_cents.is_empty() && !new_disk.is_some_and(|b| p.ssd_by_bytes().contains_key(&b)) {
            return Some(format!(
                "prices.new_disk_gb = {} is not a size of prices.ssd_cents ({})",
                p.new_disk_gb,
                p.ssd_by_bytes()
                    .keys()
                    .map(|b| (b / 1_000_000_000).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if self
            .budget
            .basis
            .as_deref()
            .is_some_and(|b| b.trim().is_empty())
        {
            return Some("budget.basis is empty (leave it out for the default)".into());
        }
        None
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_defaults() {
        assert_eq!(
            Policy::from_toml("", Path::new("p.toml")).unwrap(),
            Policy::default()
        );
    }

    #[test]
    fn partial_override_keeps_other_defaults() {
        let p =
            Policy::from_toml("[battery]\nreplace_below_permille = 700\n", Path::new("p")).unwrap();
        assert_eq!(p.battery.replace_below_permille, 700);
        assert!(p.battery.require_on_laptops);
        assert_eq!(p.memory, MemoryPolicy::default());
    }

    #[test]
    fn unknown_key_is_rejected_with_its_position() {
        let text = "[battery]\nreplace_below_permille = 700\n[disk]\nmax_realocated = 3\n";
        let err = Policy::from_toml(text, Path::new("policy.toml")).unwrap_err();
        match &err {
            PolicyError::Parse {
                line,
                column,
                message,
                ..
            } => {
                assert_eq!((*line, *column), (4, 1), "{err}");
                assert!(message.contains("max_realocated"), "{message}");
            }
            other => panic!("unexpected {other}"),
        }
        assert!(err.to_string().starts_with("policy.toml:4:1: "), "{err}");
    }

    #[test]
    fn unknown_section_is_rejected() {
        assert!(matches!(
            Policy::from_toml("[gpu]\nx = 1\n", Path::new("p")),
            Err(PolicyError::Parse { line: 1, .. })
        ));
    }

    #[test]
    fn syntax_and_type_errors_give_line_and_column() {
        let err =
            Policy::from_toml("[cpu]\nminimum_cores = \"two\"\n", Path::new("p")).unwrap_err();
        assert!(
            matches!(
                err,
                PolicyError::Parse {
                    line: 2,
                    column: 17,
                    ..
                }
            ),
            "{err}"
        );
        let err = Policy::from_toml("[cpu\n", Path::new("p")).unwrap_err();
        assert!(matches!(err, PolicyError::Parse { line: 1, .. }), "{err}");
        let err = Policy::from_toml("[memory]\nminimum_bytes = -1\n", Path::new("p")).unwrap_err();
        assert!(matches!(err, PolicyError::Parse { line: 2, .. }), "{err}");
    }

    #[test]
    fn checks_thresholds_can_be_set() {
        let text = "[checks]\nmax_cpu_millicelsius = 90000\nmax_dead_keys = 1\n";
        let p = Policy::from_toml(text, Path::new("p")).unwrap();
        assert_eq!(p.checks.max_cpu_millicelsius, 90_000);
        assert_eq!(p.checks.max_dead_keys, 1);
        assert_eq!(p.checks.max_memory_errors, 0);
    }

    #[test]
    fn remapped_sectors_go_to_purge_unless_told_destroy() {
        assert_eq!(
            Policy::default().disk.remapped_after_overwrite,
            RemappedAfterOverwrite::Purge
        );
        let p = Policy::from_toml(
            "[disk]\nremapped_after_overwrite = \"destroy\"\n",
            Path::new("p"),
        )
        .unwrap();
        assert_eq!(
            p.disk.remapped_after_overwrite,
            RemappedAfterOverwrite::Destroy
        );
        let err = Policy::from_toml(
            "[disk]\nremapped_after_overwrite = \"keep\"\n",
            Path::new("p"),
        )
        .unwrap_err();
        assert!(matches!(err, PolicyError::Parse { line: 2, .. }), "{err}");
    }

    #[test]
    fn inconsistent_values_are_rejected() {
        let text = "[memory]\nminimum_bytes = 8589934592\nrecommended_bytes = 4294967296\n";
        assert!(matches!(
            Policy::from_toml(text, Path::new("p")),
            Err(PolicyError::Invalid { .. })
        ));
        let text = "[battery]\nreplace_below_permille = 1200\n";
        assert!(matches!(
            Policy::from_toml(text, Path::new("p")),
            Err(PolicyError::Invalid { .. })
        ));
    }

    #[test]
    fn the_default_budget_is_the_decree_ceiling_and_says_so() {
        let p = Policy::default();
        assert_eq!(p.budget.repair_cents, 18_000);
        let basis = p.budget.basis();
        assert!(
            basis.contains("180 € TTC") && basis.contains("décret du 7 novembre 2022"),
            "{basis}"
        );
        // Another amount without a name is the workshop's, never the decree's.
        let p = Policy::from_toml("[budget]\nrepair_cents = 25000\n", Path::new("p")).unwrap();
        assert_eq!(p.budget.repair_cents, 25_000);
        assert_eq!(p.budget.basis(), WORKSHOP_BUDGET_BASIS);
        let p = Policy::from_toml(
            "[budget]\nrepair_cents = 15000\nbasis = \"convention avec la mairie\"\n",
            Path::new("p"),
        )
        .unwrap();
        assert_eq!(p.budget.basis(), "convention avec la mairie");
    }

    #[test]
    fn prices_can_be_set_and_keep_the_other_defaults() {
        let text = "[prices]\nbattery_cents = 3900\nscreen_cents = 6000\n\
                    [prices.labour_minutes]\nreplace_battery = 20\n\
                    [prices.ram_module_cents]\n8 = 2200\n";
        let p = Policy::from_toml(text, Path::new("p")).unwrap();
        assert_eq!(p.prices.battery_cents, 3_900);
        assert_eq!(p.prices.screen_cents, Some(6_000));
        assert_eq!(p.prices.labour_minutes.replace_battery, 20);
        // One minute set: the others keep theirs.
        assert_eq!(p.prices.labour_minutes.fit_new_disk, 30);
        // A size list given replaces the default list whole.
        assert_eq!(p.prices.ram_by_bytes(), BTreeMap::from([(8 * GIB, 2_200)]));
        assert_eq!(
            p.prices.keyboard_cents,
            PricesPolicy::default().keyboard_cents
        );
        assert_eq!(p.prices.ssd_by_bytes().get(&256_000_000_000), Some(&3_000));
        assert_eq!(Policy::default().prices.screen_cents, None);
    }

    #[test]
    fn bad_prices_name_the_file_and_the_key() {
        let cases = [
            (
                "[prices.ram_module_cents]\n8GB = 2500\n",
                "prices.ram_module_cents: key \"8GB\" is not a size in GiB",
            ),
            (
                "[prices.ssd_cents]\n0 = 2500\n",
                "prices.ssd_cents: key \"0\" is not a size in GB",
            ),
            (
                "[prices]\nbattery_cents = 20000000\n",
                "prices.battery_cents = 20000000 is above 10000000 cents",
            ),
            (
                "[prices.ssd_cents]\n512 = 99000000\n",
                "prices.ssd_cents.512 = 99000000 is above",
            ),
            (
                "[budget]\nrepair_cents = 10000001\n",
                "budget.repair_cents = 10000001 is above",
            ),
            (
                "[prices.labour_minutes]\nclean_cooling = 20000\n",
                "prices.labour_minutes.clean_cooling = 20000 is above 10080 minutes",
            ),
            (
                "[prices]\nnew_disk_gb = 240\n",
                "prices.new_disk_gb = 240 is not a size of prices.ssd_cents (128, 256, 512, 1000)",
            ),
            (
                "[prices.ram_module_cents]\n8 = 2500\n08 = 2600\n",
                "prices.ram_module_cents: size 8 GiB is given twice",
            ),
            ("[budget]\nbasis = \"  \"\n", "budget.basis is empty"),
        ];
        for (text, expected) in cases {
            let err = Policy::from_toml(text, Path::new("/data/policy.toml")).unwrap_err();
            assert!(matches!(err, PolicyError::Invalid { .. }), "{text}: {err}");
            let said = err.to_string();
            assert!(
                said.starts_with("/data/policy.toml: invalid policy: ") && said.contains(expected),
                "{text}: {said}"
            );
        }
        // A typo in a key, a negative price, a price in euros with a decimal point: the TOML
        // parse refuses them with their line.
        for (text, line) in [
            ("[prices]\nbatery_cents = 4500\n", 2),
            ("[prices.labour_minutes]\nreplace_batery = 10\n", 2),
            ("[prices]\nkeyboard_cents = -1\n", 2),
            ("[prices]\n\nbattery_cents = 45.0\n", 3),
            ("[budget]\nrepair_cents = \"180 €\"\n", 2),
        ] {
            let err = Policy::from_toml(text, Path::new("p.toml")).unwrap_err();
            assert!(
                matches!(err, PolicyError::Parse { line: l, .. } if l == line),
                "{text}: {err}"
            );
        }
    }

    /// The policy README.md shows is the built-in one: the documented prices and budget are
    /// the ones a workshop gets when it sets none.
    #[test]
    fn the_readme_policy_is_the_default() {
        let readme = include_str!("../../../README.md");
        let section = &readme[readme.find("### Verdict policy").unwrap()..];
        let start = section.find("```toml\n").unwrap() + "```toml\n".len();
        let block = &section[start..start + section[start..].find("```").unwrap()];
        assert!(
            block.contains("[prices]") && block.contains("[budget]"),
            "{block}"
        );
        assert_eq!(
            Policy::from_toml(block, Path::new("README.md")).unwrap(),
            Policy::default()
        );
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_column("x", 0), (1, 1));
    }
}
