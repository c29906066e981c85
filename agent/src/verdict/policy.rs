//! The verdict policy: thresholds in TOML, with built-in defaults a workshop may override.
//!
//! Every section and key is optional (missing ones keep their default); unknown keys are an
//! error, so a typo never silently keeps a default. Parse errors carry line and column.

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
        Ok(policy)
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
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_column("x", 0), (1, 1));
    }
}
