//! Which block devices the running system uses: mounted filesystems, swap, the root named on the
//! kernel command line, and device-mapper/RAID holders — read once, asked by both the probe
//! (to mark a disk that holds the system) and the write guard (to refuse it).
//!
//! One reader, so that the two can never disagree on what "in use" means.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use super::{SysRoot, fs};
use crate::model::DevNo;
use crate::parse::cmdline::{self, RootSpec};
use crate::parse::names::natural_key;
use crate::parse::{mountinfo, swaps};

const MOUNTINFO: &str = "proc/self/mountinfo";
const MOUNTS: &str = "proc/mounts";
const SWAPS: &str = "proc/swaps";
const CMDLINE: &str = "proc/cmdline";
const BLOCK: &str = "sys/block";

/// One mounted filesystem, from mountinfo (with device number) or /proc/mounts (without).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub devno: Option<DevNo>,
    pub source: String,
    pub mount_point: String,
}

/// The `root=` of the kernel command line and the kernel name it resolves to, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RootArg {
    raw: String,
    spec: RootSpec,
    name: Option<String>,
}

/// What the running system uses, read once.
#[derive(Debug, Clone)]
pub struct BlockUsage {
    /// The mount table, or why it could not be read (then no disk can be proven unused).
    pub mounts: Result<Vec<Mount>, String>,
    /// Kernel names of active swap devices, or why /proc/swaps could not be read.
    pub swaps: Result<BTreeSet<String>, String>,
    root: Option<RootArg>,
}

/// What a device (or one of its partitions, or a device built on them) is used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UseKind {
    Mounted {
        mount_point: String,
    },
    Swap,
    /// `root=` on the kernel command line names it.
    RootArgument {
        argument: String,
    },
}

/// One use of a block device: which device (disk, partition, through which holders) and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InUse {
    /// "disk sda", "partition sdb1".
    pub subject: String,
    /// Kernel name of the disk or partition.
    pub part: String,
    /// Devices built on it that carry the use (dm-0 for an LVM or LUKS volume), outermost last.
    pub through: Vec<String>,
    pub kind: UseKind,
}

impl fmt::Display for InUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut what = self.subject.clone();
        for h in &self.through {
            what = format!("{what} (through {h})");
        }
        match &self.kind {
            UseKind::Mounted { mount_point } => write!(f, "{what} mounted on {mount_point}"),
            UseKind::Swap => write!(f, "{what} is an active swap area"),
            UseKind::RootArgument { argument } => {
                write!(f, "kernel command line {argument} names {what}")
            }
        }
    }
}

/// A device built on a disk or partition (dm-crypt, LVM, md RAID): `part` is held by `holder`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub part: String,
    pub holder: String,
}

impl BlockUsage {
    /// Reads mountinfo (else /proc/mounts), /proc/swaps and the kernel command line.
    pub fn read(root: &SysRoot) -> BlockUsage {
        BlockUsage {
            mounts: read_mounts(root),
            swaps: read_swaps(root),
            root: read_root_arg(root),
        }
    }

    /// Mount points of the block device `name` with number `devno`.
    pub fn mountpoints(&self, name: &str, devno: Option<DevNo>) -> Vec<String> {
        let Ok(mounts) = &self.mounts else {
            return Vec::new();
        };
        let source = format!("/dev/{name}");
        let mut out: Vec<String> = Vec::new();
        for m in mounts {
            let same_dev = matches!((m.devno, devno), (Some(a), Some(b)) if a == b);
            if (same_dev || m.source == source) && !out.contains(&m.mount_point) {
                out.push(m.mount_point.clone());
            }
        }
        out
    }

    /// Every use of the block device `name` whose sysfs directory is `dir` (relative to the
    /// root: `sys/block/sda`, or a partition's `sys/block/sda/sda1`), of its partitions, and of
    /// the devices built on them (holders, followed to a bounded depth).
    pub fn uses(&self, root: &SysRoot, name: &str, dir: &str) -> Vec<InUse> {
        let mut out = Vec::new();
        let subject = if fs::exists(root, format!("{dir}/partition")) {
            format!("partition {name}")
        } else {
            format!("disk {name}")
        };
        self.uses_of(root, name, dir, &subject, &[], 0, &mut out);
        for part in partitions(root, dir, name) {
            let pdir = format!("{dir}/{part}");
            let subject = format!("partition {part}");
            self.uses_of(root, &part, &pdir, &subject, &[], 0, &mut out);
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn uses_of(
        &self,
        root: &SysRoot,
        name: &str,
        dir: &str,
        subject: &str,
        through: &[String],
        depth: u32,
        out: &mut Vec<InUse>,
    ) {
        let devno = dev_number(root, dir);
        let part = name.to_owned();
        let push = |out: &mut Vec<InUse>, kind| {
            out.push(InUse {
                subject: subject.to_owned(),
                part: part.clone(),
                through: through.to_vec(),
                kind,
            })
        };
        for mount_point in self.mountpoints(name, devno) {
            push(out, UseKind::Mounted { mount_point });
        }
        if self.swaps.as_ref().is_ok_and(|s| s.contains(name)) {
            push(out, UseKind::Swap);
        }
        if let Some(arg) = &self.root {
            let uevent = || fs::read_text(root, format!("{dir}/uevent")).unwrap_or_default();
            let uevent_has = |key: &str, v: &str| {
                uevent()
                    .lines()
                    .filter_map(|l| l.strip_prefix(key))
                    .any(|x| x.eq_ignore_ascii_case(v))
            };
            let named = arg.name.as_deref() == Some(name)
                || match &arg.spec {
                    // Kernels since 5.x put the GPT/MBR partition UUID and name in the uevent.
                    RootSpec::PartUuid(u) => uevent_has("PARTUUID=", u),
                    RootSpec::PartLabel(l) => uevent_has("PARTNAME=", l),
                    RootSpec::DevNum(a, b) => {
                        devno
                            == Some(DevNo {
                                major: *a,
                                minor: *b,
                            })
                    }
                    _ => false,
                };
            if named {
                push(
                    out,
                    UseKind::RootArgument {
                        argument: arg.raw.clone(),
                    },
                );
            }
        }
        // A partition used through LVM, LUKS or RAID: its holders carry the filesystem. The
        // depth bound guards against a looping tree.
        if depth < 8 {
            for holder in fs::list_dir(root, format!("{dir}/holders")).unwrap_or_default() {
                let hdir = format!("{BLOCK}/{holder}");
                let mut chain = through.to_vec();
                chain.push(holder.clone());
                let before = out.len();
                self.uses_of(root, &holder, &hdir, subject, &chain, depth + 1, out);
                for u in &mut out[before..] {
                    u.part = name.to_owned();
                }
            }
        }
    }
}

/// Devices built on the block device at `dir` or on its partitions (dm, md): any of them means
/// the kernel has the device claimed, mounted or not.
pub fn holders(root: &SysRoot, name: &str, dir: &str) -> Vec<Holder> {
    let mut out = Vec::new();
    let mut add = |part: &str, pdir: &str| {
        for holder in fs::list_dir(root, format!("{pdir}/holders")).unwrap_or_default() {
            out.push(Holder {
                part: part.to_owned(),
                holder,
            });
        }
    };
    add(name, dir);
    for part in partitions(root, dir, name) {
        add(&part, &format!("{dir}/{part}"));
    }
    out
}

/// Kernel names of the partitions of the block device at `dir` (subdirectories holding a
/// `partition` attribute), in natural order.
fn partitions(root: &SysRoot, dir: &str, name: &str) -> Vec<String> {
    let mut parts: Vec<String> = fs::list_dir(root, dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.starts_with(name) && fs::exists(root, format!("{dir}/{n}/partition")))
        .collect();
    parts.sort_by_key(|n| natural_key(n));
    parts
}

/// `MAJ:MIN` of a block device from its `dev` attribute.
pub fn dev_number(root: &SysRoot, dir: &str) -> Option<DevNo> {
    fs::read_attr(root, format!("{dir}/dev"))
        .known()?
        .parse()
        .ok()
}

fn read_mounts(root: &SysRoot) -> Result<Vec<Mount>, String> {
    match fs::read_text(root, MOUNTINFO) {
        Ok(text) => Ok(mountinfo::parse(&text)
            .into_iter()
            .map(|e| Mount {
                devno: Some(DevNo {
                    major: e.major,
                    minor: e.minor,
                }),
                source: e.source,
                mount_point: e.mount_point,
            })
            .collect()),
        Err(first) => match fs::read_text(root, MOUNTS) {
            Ok(text) => Ok(mountinfo::parse_mounts(&text)
                .into_iter()
                .map(|e| Mount {
                    devno: None,
                    source: e.source,
                    mount_point: e.mount_point,
                })
                .collect()),
            Err(second) => Err(format!("{first}; {second}")),
        },
    }
}

fn read_swaps(root: &SysRoot) -> Result<BTreeSet<String>, String> {
    match fs::read_text(root, SWAPS) {
        Ok(text) => Ok(swaps::parse(&text)
            .iter()
            .filter_map(|p| p.strip_prefix("/dev/"))
            .map(|n| kernel_name_of_dev(root, n))
            .collect()),
        // No swap support in the kernel: no swap in use.
        Err(why) if why.ends_with("not found") => Ok(BTreeSet::new()),
        Err(why) => Err(why),
    }
}

/// Kernel name of `/dev/REL` under the root: follows a link (`mapper/vg-root`,
/// `disk/by-uuid/...`) when the tree has one, else the last component.
fn kernel_name_of_dev(root: &SysRoot, rel: &str) -> String {
    let last = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| rel.to_owned())
    };
    match fs::resolve(root, format!("dev/{rel}")) {
        Ok(p) => last(&p),
        Err(_) => last(Path::new(rel)),
    }
}

fn read_root_arg(root: &SysRoot) -> Option<RootArg> {
    let text = fs::read_text(root, CMDLINE).ok()?;
    let value = cmdline::last_value(&text, "root")?;
    let raw = format!("root={value}");
    let spec = cmdline::root_spec(value)?;
    // Resolve through /dev links when the tree has them (udev's by-uuid, by-label...).
    let link = |dir: &str, v: &str| {
        fs::resolve(root, format!("dev/disk/{dir}/{v}"))
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
    };
    let name = match &spec {
        RootSpec::DevPath(p) => Some(kernel_name_of_dev(root, p)),
        RootSpec::Uuid(u) => link("by-uuid", u),
        RootSpec::PartUuid(u) => link("by-partuuid", u),
        RootSpec::Label(l) => link("by-label", l),
        RootSpec::PartLabel(l) => link("by-partlabel", l),
        RootSpec::DevNum(..) => None,
    };
    Some(RootArg { raw, spec, name })
}
