//! Which disk receives the workshop's image: the laptop's main internal disk — a sanitized
//! internal disk, the largest when there are several — never the boot medium, never a disk
//! whose sanitization failed. Pure: the run hands in what its probe and wipe found.

use crate::model::{DiskId, DiskIdentity};

/// A disk of the run, as the install sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub identity: DiskIdentity,
    /// Inside the laptop (not USB, not a card reader): where a family's system lives.
    pub internal: bool,
    /// The boot medium or the running system (the guard refuses it anyway).
    pub protected: bool,
    /// Proven sanitized by THE predicate (`DeviceWipe::is_sanitized`).
    pub sanitized: bool,
}

/// Why no disk receives the image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoTarget {
    #[error("no sanitized internal disk to install on")]
    NoInternalDisk,
    #[error("{0} was not sanitized: nothing is installed until every disk is")]
    NotSanitized(DiskId),
}

/// The disk to install on. Every disk of the run must be sanitized (the install follows a
/// complete sanitization only); among the internal, unprotected ones the largest wins, and
/// equal sizes are decided by the disk's stable name so the choice never depends on
/// enumeration order.
pub fn choose(candidates: &[Candidate]) -> Result<&Candidate, NoTarget> {
    if let Some(c) = candidates.iter().find(|c| !c.sanitized && !c.protected) {
        return Err(NoTarget::NotSanitized(c.identity.id.clone()));
    }
    candidates
        .iter()
        .filter(|c| c.internal && !c.protected && c.sanitized)
        .max_by(|a, b| {
            a.identity
                .size_bytes
                .cmp(&b.identity.size_bytes)
                // Reversed: of two equal sizes, the smaller name wins.
                .then_with(|| b.identity.id.to_string().cmp(&a.identity.id.to_string()))
        })
        .ok_or(NoTarget::NoInternalDisk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(name: &str, size: u64, internal: bool, protected: bool, sanitized: bool) -> Candidate {
        let mut identity = DiskIdentity::for_file(name, size);
        identity.id = DiskId::Path(name.to_owned());
        Candidate {
            identity,
            internal,
            protected,
            sanitized,
        }
    }

    #[test]
    fn the_largest_sanitized_internal_disk() {
        let c = [
            disk("/dev/sda", 500 << 30, true, false, true),
            disk("/dev/nvme0n1", 256 << 30, true, false, true),
            disk("/dev/sdb", 1 << 40, false, true, false),
        ];
        assert_eq!(choose(&c).unwrap().identity.dev_path, "/dev/sda");
    }

    #[test]
    fn never_the_boot_medium_nor_an_external_disk() {
        let c = [
            disk("/dev/sdb", 64 << 30, false, true, true),
            disk("/dev/sdc", 2 << 40, false, false, true),
        ];
        assert_eq!(choose(&c), Err(NoTarget::NoInternalDisk));
        assert_eq!(choose(&[]), Err(NoTarget::NoInternalDisk));
    }

    #[test]
    fn a_disk_that_failed_stops_the_install() {
        let c = [
            disk("/dev/sda", 500 << 30, true, false, true),
            disk("/dev/sdb", 100 << 30, true, false, false),
        ];
        assert_eq!(
            choose(&c),
            Err(NoTarget::NotSanitized(DiskId::Path("/dev/sdb".into())))
        );
    }

    #[test]
    fn equal_sizes_are_decided_by_name() {
        let c = [
            disk("/dev/sdb", 1 << 30, true, false, true),
            disk("/dev/sda", 1 << 30, true, false, true),
        ];
        assert_eq!(choose(&c).unwrap().identity.dev_path, "/dev/sda");
    }
}
