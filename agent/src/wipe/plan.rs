//! The wipe planner: what the operator asked for ([`WipePlan`]) checked into a [`ValidatedPlan`].
//!
//! Pure: strings and structs in, structs out, no I/O. Only a [`ValidatedPlan`] can be handed to
//! `wipe::guard::open_for_write`, so a device the plan does not name can never be opened, and
//! the passes it holds are exactly what the engine writes.

use std::path::{Path, PathBuf};

use thiserror::Error;

pub use super::method::{
    DEFAULT_SAMPLE_PERMILLE, MAX_PATTERN_LEN, Method, MethodError, PassPattern, VerifySpec,
};
use super::strategy::DiskStrategy;
use crate::model::DiskIdentity;

/// One device of a plan: where it is, who it is (as probed), and how to overwrite it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDevice {
    /// The path to open (`/dev/sdb`, or a regular file standing in for a disk).
    pub path: PathBuf,
    /// The identity the opened device must have (device number, serial, size).
    pub identity: DiskIdentity,
    pub method: Method,
    /// The sanitization plan of the disk (technique, fallbacks, hidden areas, why), from
    /// `wipe::strategy::choose`; `None`: an explicit overwrite with `method` (`--method`).
    pub strategy: Option<DiskStrategy>,
}

impl PlannedDevice {
    /// An explicit overwrite with `method`.
    pub fn overwrite(path: PathBuf, identity: DiskIdentity, method: Method) -> PlannedDevice {
        PlannedDevice {
            path,
            identity,
            method,
            strategy: None,
        }
    }
}

/// What the operator (or the run) asked for, unchecked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WipePlan {
    pub devices: Vec<PlannedDevice>,
    /// How many times each method's pass sequence is repeated (1 = the method as named).
    pub rounds: u32,
    pub verify: VerifySpec,
}

/// Most rounds accepted: more is never useful on modern media and only wears flash.
pub const MAX_ROUNDS: u32 = 16;

/// One device of a validated plan: its passes are final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedDevice {
    path: PathBuf,
    identity: DiskIdentity,
    method: Method,
    passes: Vec<PassPattern>,
    strategy: Option<DiskStrategy>,
}

impl ValidatedDevice {
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn identity(&self) -> &DiskIdentity {
        &self.identity
    }
    pub fn method(&self) -> &Method {
        &self.method
    }
    /// Every pass, all rounds flattened; verification applies to the last. For a firmware
    /// technique, the passes of its last fallback (the overwrite).
    pub fn passes(&self) -> &[PassPattern] {
        &self.passes
    }
    /// The disk's sanitization plan, when it has one (else: an explicit overwrite).
    pub fn strategy(&self) -> Option<&DiskStrategy> {
        self.strategy.as_ref()
    }
    /// Whether the drive's firmware is needed (a firmware technique, or hidden areas to
    /// remove): the device is then opened with a handle on its firmware.
    pub fn needs_firmware(&self) -> bool {
        self.strategy.as_ref().is_some_and(|s| {
            s.technique.is_firmware() || s.hidden.as_ref().is_some_and(|h| h.changes_anything())
        })
    }
}

/// A plan that passed [`WipePlan::validate`]: the only description of what gets written, and
/// the only key to `wipe::guard::open_for_write`. Nothing can change it after validation (its
/// fields are private and it has no setter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedPlan {
    devices: Vec<ValidatedDevice>,
    verify: VerifySpec,
}

impl ValidatedPlan {
    /// The plan's devices, in the order given.
    pub fn devices(&self) -> &[ValidatedDevice] {
        &self.devices
    }
    pub fn verify(&self) -> VerifySpec {
        self.verify
    }
    /// The device of the plan at `path`, compared literally (the guard also compares the
    /// canonical forms, since `/dev/disk/by-id/...` and `/dev/sda` name the same disk).
    pub fn device(&self, path: &Path) -> Option<&ValidatedDevice> {
        self.devices.iter().find(|d| d.path == path)
    }
}

/// Why a plan was rejected.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("no device to wipe was given")]
    NoDevices,
    #[error("device {0} is named twice in the plan")]
    DuplicateDevice(PathBuf),
    #[error("{0} and {1} are the same disk ({2})")]
    DuplicateDisk(PathBuf, PathBuf, String),
    #[error("device path {0:?} is empty")]
    BadDevicePath(PathBuf),
    #[error("passes must be between 1 and {MAX_ROUNDS}, got {0}")]
    BadPasses(u32),
    #[error(transparent)]
    Method(#[from] MethodError),
    #[error(
        "{path}: {size} bytes is not a disk to sanitize (empty, or smaller than one {sector}-byte sector)"
    )]
    TooSmall {
        path: PathBuf,
        size: u64,
        sector: u32,
    },
    /// A plan made again (after self-tests) named a disk the confirmed plan did not.
    #[error("{0} was not in the plan the operator confirmed")]
    NotConfirmed(PathBuf),
    #[error("{path}: {technique} cannot sanitize a {media} disk over {transport}")]
    TechniqueMismatch {
        path: PathBuf,
        technique: String,
        media: &'static str,
        transport: &'static str,
    },
    #[error("{path}: the plan overwrites with {planned}, its strategy with {strategy}")]
    MethodMismatch {
        path: PathBuf,
        planned: String,
        strategy: String,
    },
    #[error(
        "{path}: {technique} erases every namespace of {controller} ({namespaces:?}), but the plan names only {planned:?} with it"
    )]
    ControllerScope {
        path: PathBuf,
        technique: String,
        controller: String,
        namespaces: Vec<u32>,
        planned: Vec<u32>,
    },
}

impl WipePlan {
    /// Checks the plan; the result is the only thing the write guard accepts.
    pub fn validate(self) -> Result<ValidatedPlan, PlanError> {
        if self.devices.is_empty() {
            return Err(PlanError::NoDevices);
        }
        if self.rounds == 0 || self.rounds > MAX_ROUNDS {
            return Err(PlanError::BadPasses(self.rounds));
        }
        if let VerifySpec::Sample { permille } = self.verify
            && !(1..=1000).contains(&permille)
        {
            return Err(MethodError::BadCoverage(permille.to_string()).into());
        }
        for (i, d) in self.devices.iter().enumerate() {
            if d.path.as_os_str().is_empty() {
                return Err(PlanError::BadDevicePath(d.path.clone()));
            }
            if let Some(prev) = self.devices[..i].iter().find(|p| p.path == d.path) {
                return Err(PlanError::DuplicateDevice(prev.path.clone()));
            }
            if let Some(prev) = self.devices[..i]
                .iter()
                .find(|p| p.identity.id == d.identity.id)
            {
                return Err(PlanError::DuplicateDisk(
                    prev.path.clone(),
                    d.path.clone(),
                    d.identity.id.to_string(),
                ));
            }
            let (size, sector) = (d.identity.size_bytes, d.identity.logical_sector_size);
            if sector == 0 || size < u64::from(sector) {
                return Err(PlanError::TooSmall {
                    path: d.path.clone(),
                    size,
                    sector,
                });
            }
        }
        for d in &self.devices {
            if let Some(s) = &d.strategy {
                check_strategy(d, s, &self.devices)?;
            }
        }
        let devices = self
            .devices
            .into_iter()
            .map(|d| {
                let one = d.method.passes();
                let passes = (0..self.rounds).flat_map(|_| one.iter().cloned()).collect();
                ValidatedDevice {
                    path: d.path,
                    identity: d.identity,
                    method: d.method,
                    passes,
                    strategy: d.strategy,
                }
            })
            .collect();
        Ok(ValidatedPlan {
            devices,
            verify: self.verify,
        })
    }
}

/// A strategy's techniques must fit the disk (transport, media), its overwrite must be the
/// plan's method, and a controller-wide NVMe command must cover only namespaces the plan names,
/// all with the same technique.
fn check_strategy(
    d: &PlannedDevice,
    s: &DiskStrategy,
    all: &[PlannedDevice],
) -> Result<(), PlanError> {
    let id = &d.identity;
    for t in std::iter::once(&s.technique).chain(&s.fallbacks) {
        if !t.fits(id.transport) || t.level(id.media_type).is_none() {
            return Err(PlanError::TechniqueMismatch {
                path: d.path.clone(),
                technique: t.name(),
                media: id.media_type.as_str(),
                transport: id.transport.as_str(),
            });
        }
    }
    if s.method != d.method {
        return Err(PlanError::MethodMismatch {
            path: d.path.clone(),
            planned: d.method.to_string(),
            strategy: s.method.to_string(),
        });
    }
    if let Some(scope) = &s.controller {
        let mut planned: Vec<u32> = all
            .iter()
            .filter_map(|o| o.strategy.as_ref())
            .filter_map(|o| o.controller.as_ref().map(|c| (o.technique, c)))
            .filter(|(t, c)| c.controller == scope.controller && *t == s.technique)
            .map(|(_, c)| c.nsid)
            .collect();
        planned.sort_unstable();
        planned.dedup();
        let mut want = scope.namespaces.clone();
        want.sort_unstable();
        if want.is_empty() || planned != want {
            return Err(PlanError::ControllerScope {
                path: d.path.clone(),
                technique: s.technique.name(),
                controller: scope.controller.clone(),
                namespaces: want,
                planned,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_parse_and_print_back() {
        for s in [
            "zero",
            "one",
            "random",
            "dod-3pass",
            "pattern:a5",
            "pattern:deadbeef",
            "pattern-complement:55",
        ] {
            assert_eq!(s.parse::<Method>().unwrap().to_string(), s);
        }
        assert_eq!(
            "pattern:A5".parse::<Method>().unwrap(),
            Method::Pattern(vec![0xa5])
        );
        for bad in [
            "",
            "zeros",
            "pattern:",
            "pattern:abc",
            "pattern:zz",
            "pattern-complement:",
        ] {
            assert!(bad.parse::<Method>().is_err(), "{bad}");
        }
    }

    #[test]
    fn presets_expand_to_their_passes() {
        assert_eq!(
            Method::Dod3Pass.passes(),
            vec![PassPattern::Zero, PassPattern::One, PassPattern::Random]
        );
        assert_eq!(
            Method::PatternComplement(vec![0x55, 0x0f]).passes(),
            vec![
                PassPattern::Fixed(vec![0x55, 0x0f]),
                PassPattern::Fixed(vec![0xaa, 0xf0])
            ]
        );
    }

    #[test]
    fn verify_specs() {
        let cases = [
            ("none", Some(VerifySpec::None)),
            ("full", Some(VerifySpec::Full)),
            ("sample", Some(VerifySpec::Sample { permille: 100 })),
            ("sample:5", Some(VerifySpec::Sample { permille: 50 })),
            ("sample:2.5", Some(VerifySpec::Sample { permille: 25 })),
            ("sample:100", Some(VerifySpec::Sample { permille: 1000 })),
            ("sample:0.1", Some(VerifySpec::Sample { permille: 1 })),
            ("sample:0", None),
            ("sample:101", None),
            ("sample:0.05", None),
            ("sample:", None),
            ("sample:x", None),
            ("sample:-1", None),
            ("bogus", None),
        ];
        for (s, want) in cases {
            assert_eq!(s.parse::<VerifySpec>().ok(), want, "{s}");
        }
    }

    fn plan(devs: &[&str]) -> WipePlan {
        WipePlan {
            devices: devs
                .iter()
                .map(|d| {
                    PlannedDevice::overwrite(
                        PathBuf::from(d),
                        DiskIdentity::for_file(d, 1 << 20),
                        Method::Dod3Pass,
                    )
                })
                .collect(),
            rounds: 2,
            verify: VerifySpec::Full,
        }
    }

    #[test]
    fn validation() {
        let v = plan(&["/dev/loop0"]).validate().unwrap();
        assert_eq!(v.devices()[0].passes().len(), 6);
        assert!(v.device(Path::new("/dev/loop0")).is_some());
        assert!(v.device(Path::new("/dev/loop1")).is_none());
        assert_eq!(plan(&[]).validate(), Err(PlanError::NoDevices));
        assert!(matches!(
            plan(&["/dev/a", "/dev/a"]).validate(),
            Err(PlanError::DuplicateDevice(_))
        ));
        let mut p = plan(&["/dev/a"]);
        p.rounds = 0;
        assert_eq!(p.validate(), Err(PlanError::BadPasses(0)));
        // Two paths, one disk.
        let mut p = plan(&["/dev/a", "/dev/b"]);
        p.devices[1].identity.id = p.devices[0].identity.id.clone();
        assert!(matches!(p.validate(), Err(PlanError::DuplicateDisk(..))));
        // Nothing to sanitize: empty, or less than a sector.
        for (size, sector) in [(0, 512), (511, 512), (4095, 4096), (4096, 0)] {
            let mut p = plan(&["/dev/a"]);
            p.devices[0].identity.size_bytes = size;
            p.devices[0].identity.logical_sector_size = sector;
            assert!(
                matches!(p.validate(), Err(PlanError::TooSmall { .. })),
                "{size} {sector}"
            );
        }
    }
}
