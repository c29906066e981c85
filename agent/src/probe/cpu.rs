//! CPU: vendor, model, topology, maximum frequency and x86-64 level, from `ROOT/proc/cpuinfo`
//! and `ROOT/sys/devices/system/cpu`.
//!
//! The text parsing and the level computation are pure functions; only [`probe_cpu`] reads.

use std::collections::BTreeSet;

use super::model::Cpu;
use crate::model::Field;
use crate::parse::cpuinfo::{CpuinfoBlock, parse_cpuinfo, x86_64_level};
use crate::sys::{SysRoot, fs};

const CPUINFO: &str = "proc/cpuinfo";
const CPU_DIR: &str = "sys/devices/system/cpu";

/// Topology of one logical CPU: (package, core).
type Topo = (u32, u32);

/// Computes the CPU summary from the parsed cpuinfo and, when sysfs gave them, the topology
/// of each logical CPU and the highest `cpuinfo_max_freq`.
pub fn summarize(
    blocks: &[CpuinfoBlock],
    sysfs_topology: Result<Vec<Topo>, String>,
    max_freq_khz: Field<u64>,
) -> Cpu {
    let first = blocks.first();
    let text = |key: &str| -> Field<String> {
        match first.and_then(|b| b.get(key)) {
            Some(v) if !v.is_empty() => Field::Known(v.to_owned()),
            Some(_) => Field::Unknown(format!("{CPUINFO}: \"{key}\" is empty")),
            None => Field::Unknown(format!("{CPUINFO}: no \"{key}\" line")),
        }
    };
    let num = |key: &str| -> Field<u32> {
        match text(key) {
            Field::Known(v) => match v.parse() {
                Ok(n) => Field::Known(n),
                Err(_) => Field::Unknown(format!("{CPUINFO}: \"{key}\" is not a number: {v:?}")),
            },
            Field::Unknown(why) => Field::Unknown(why),
        }
    };

    // Threads: one cpuinfo block per logical CPU that is online.
    let threads = if blocks.is_empty() {
        Field::Unknown(format!("{CPUINFO}: no processor entries"))
    } else {
        Field::Known(blocks.len() as u32)
    };

    // Topology: sysfs first (exact), else the "physical id"/"core id" lines of cpuinfo.
    let topo: Result<Vec<Topo>, String> = match sysfs_topology {
        Ok(t) if !t.is_empty() => Ok(t),
        sys_err => {
            let from_cpuinfo: Option<Vec<Topo>> = blocks
                .iter()
                .map(|b| {
                    let p = b.get("physical id")?.parse().ok()?;
                    let c = b.get("core id")?.parse().ok()?;
                    Some((p, c))
                })
                .collect();
            match from_cpuinfo {
                Some(t) if !t.is_empty() => Ok(t),
                _ => Err(match sys_err {
                    Err(why) => format!("{why}; {CPUINFO} has no \"physical id\"/\"core id\""),
                    Ok(_) => format!("{CPU_DIR}: no cpuN topology; {CPUINFO} has no core ids"),
                }),
            }
        }
    };
    let (sockets, physical_cores) = match &topo {
        Ok(t) => {
            let packages: BTreeSet<u32> = t.iter().map(|(p, _)| *p).collect();
            let cores: BTreeSet<Topo> = t.iter().copied().collect();
            (
                Field::Known(packages.len() as u32),
                Field::Known(cores.len() as u32),
            )
        }
        Err(why) => (Field::Unknown(why.clone()), Field::Unknown(why.clone())),
    };

    // Flags: x86 calls them "flags"; other architectures "Features" (and have no x86 level).
    let (x86_64_level, aes_ni, virtualization) = match first.and_then(|b| b.get("flags")) {
        Some(flags) => {
            let set: BTreeSet<&str> = flags.split_whitespace().collect();
            let virt = if set.contains("vmx") {
                Some("vmx".to_owned())
            } else if set.contains("svm") {
                Some("svm".to_owned())
            } else {
                None
            };
            (
                Field::Known(x86_64_level(&set)),
                Field::Known(set.contains("aes")),
                Field::Known(virt),
            )
        }
        None => {
            let why = format!("{CPUINFO}: no \"flags\" line (not an x86 CPU, or unreadable)");
            if first.is_some_and(|b| b.get("Features").is_some()) {
                // Not x86 at all: level 0 by definition, and AES-NI/VT-x do not exist there.
                (Field::Known(0), Field::Known(false), Field::Unknown(why))
            } else {
                (
                    Field::Unknown(why.clone()),
                    Field::Unknown(why.clone()),
                    Field::Unknown(why),
                )
            }
        }
    };

    Cpu {
        vendor: text("vendor_id"),
        model_name: text("model name"),
        family: num("cpu family"),
        model: num("model"),
        stepping: num("stepping"),
        sockets,
        physical_cores,
        threads,
        max_frequency_khz: max_freq_khz,
        x86_64_level,
        aes_ni,
        virtualization,
    }
}

/// Logical CPU numbers present under `sys/devices/system/cpu` (the `cpuN` directories).
fn cpu_numbers(root: &SysRoot) -> Result<Vec<u32>, String> {
    let names = fs::list_dir(root, CPU_DIR)?;
    let mut nums: Vec<u32> = names
        .iter()
        .filter_map(|n| n.strip_prefix("cpu")?.parse().ok())
        .collect();
    nums.sort_unstable();
    Ok(nums)
}

/// Reads the CPU description.
pub fn probe_cpu(root: &SysRoot) -> Cpu {
    let blocks = match fs::read_text(root, CPUINFO) {
        Ok(text) => parse_cpuinfo(&text),
        Err(why) => {
            let mut cpu = summarize(&[], Err(why.clone()), Field::Unknown(why.clone()));
            // Every cpuinfo-derived field says the real reason: the file could not be read.
            for f in [&mut cpu.vendor, &mut cpu.model_name] {
                *f = Field::Unknown(why.clone());
            }
            for f in [
                &mut cpu.family,
                &mut cpu.model,
                &mut cpu.stepping,
                &mut cpu.threads,
            ] {
                *f = Field::Unknown(why.clone());
            }
            cpu.max_frequency_khz = max_frequency(root, &cpu_numbers(root).unwrap_or_default());
            return cpu;
        }
    };
    let nums = cpu_numbers(root);
    let topology = nums.as_ref().map_err(Clone::clone).and_then(|nums| {
        nums.iter()
            .filter(|n| is_online(root, **n))
            .map(|n| {
                let dir = format!("{CPU_DIR}/cpu{n}/topology");
                let p = fs::read_num::<i64>(root, format!("{dir}/physical_package_id"));
                let c = fs::read_num::<i64>(root, format!("{dir}/core_id"));
                match (p, c) {
                    // -1 means "not known to the kernel"; cpuinfo may know better.
                    (Field::Known(p), Field::Known(c)) if p >= 0 && c >= 0 => {
                        Ok((p as u32, c as u32))
                    }
                    (Field::Unknown(why), _) | (_, Field::Unknown(why)) => Err(why),
                    _ => Err(format!("{dir}: package or core id is -1")),
                }
            })
            .collect::<Result<Vec<Topo>, String>>()
    });
    let max = max_frequency(root, nums.as_deref().unwrap_or(&[]));
    summarize(&blocks, topology, max)
}

/// Whether logical CPU `n` is online (cpu0 often has no `online` file: it cannot go offline).
fn is_online(root: &SysRoot, n: u32) -> bool {
    !matches!(
        fs::read_bool(root, format!("{CPU_DIR}/cpu{n}/online")),
        Field::Known(false)
    )
}

/// Highest `cpufreq/cpuinfo_max_freq` over all CPUs (hybrid CPUs: the performance cores').
fn max_frequency(root: &SysRoot, nums: &[u32]) -> Field<u64> {
    let mut best: Option<u64> = None;
    let mut first_reason = None;
    for n in nums {
        match fs::read_num::<u64>(root, format!("{CPU_DIR}/cpu{n}/cpufreq/cpuinfo_max_freq")) {
            Field::Known(v) => best = Some(best.map_or(v, |b| b.max(v))),
            Field::Unknown(why) => {
                first_reason.get_or_insert(why);
            }
        }
    }
    match best {
        Some(v) => Field::Known(v),
        None => Field::Unknown(first_reason.unwrap_or_else(|| format!("{CPU_DIR}: no cpuN"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_from_cpuinfo_when_sysfs_has_none() {
        let text = "processor\t: 0\nvendor_id\t: GenuineIntel\nphysical id\t: 0\ncore id\t\t: 0\n\n\
                    processor\t: 1\nvendor_id\t: GenuineIntel\nphysical id\t: 0\ncore id\t\t: 0\n\n\
                    processor\t: 2\nvendor_id\t: GenuineIntel\nphysical id\t: 0\ncore id\t\t: 1\n";
        let blocks = parse_cpuinfo(text);
        let cpu = summarize(&blocks, Err("no sysfs".into()), Field::Unknown("x".into()));
        assert_eq!(cpu.threads, Field::Known(3));
        assert_eq!(cpu.physical_cores, Field::Known(2));
        assert_eq!(cpu.sockets, Field::Known(1));
        assert_eq!(cpu.vendor, Field::Known("GenuineIntel".into()));
        assert!(matches!(cpu.model_name, Field::Unknown(_)));
        assert!(matches!(cpu.x86_64_level, Field::Unknown(_)));
    }

    #[test]
    fn arm_cpuinfo_is_level_zero() {
        let blocks = parse_cpuinfo("processor\t: 0\nFeatures\t: fp asimd\nCPU part\t: 0xd08\n");
        let cpu = summarize(&blocks, Ok(vec![(0, 0)]), Field::Known(1_500_000));
        assert_eq!(cpu.x86_64_level, Field::Known(0));
        assert_eq!(cpu.aes_ni, Field::Known(false));
    }
}
