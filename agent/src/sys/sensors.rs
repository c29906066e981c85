//! Live readings for the operator's screen and the cooling check: CPU load and frequency,
//! temperatures, thermal throttling, memory, battery charge and rate.
//!
//! On the real machine (`/`), `sysinfo` gives CPU load, frequency, memory and temperatures;
//! sysfs gives what it does not reach (thermal zones when it finds no sensor, the CPUs' thermal
//! throttle counters, the battery's charge and rate). Any other root — a fixture tree, the demo —
//! is read from its files only: sysinfo reads the real `/proc` and cannot follow a root.
//! Integers only: permille, kHz, millidegrees Celsius, bytes, microwatts.

use crate::model::Field;
use crate::parse::live::stat_cpu;
use crate::parse::meminfo;
use crate::sys::{SysRoot, fs};

const MEMINFO: &str = "proc/meminfo";

/// One temperature sensor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Temperature {
    /// "coretemp Package id 0", "thermal_zone0 x86_pkg_temp".
    pub label: String,
    pub millicelsius: u32,
    /// Whether the sensor measures the CPU (package or core).
    pub cpu: bool,
}

/// A battery as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatteryLive {
    pub name: String,
    /// Charge, percent of full.
    pub percent: Option<u32>,
    /// Charging (positive) or discharging (negative) rate, microwatts.
    pub microwatts: Option<i64>,
    /// "Charging", "Discharging", "Full", ...
    pub status: Option<String>,
}

/// Everything the live panel shows, read once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveSample {
    /// Share of CPU time busy since the previous reading, per mille (none on the first).
    pub cpu_load_permille: Option<u32>,
    /// Average current frequency of the CPUs, kHz.
    pub cpu_khz: Option<u64>,
    pub temperatures: Vec<Temperature>,
    /// Thermal throttling events counted by the CPUs since boot.
    pub throttle_events: Option<u64>,
    pub memory_total: Option<u64>,
    pub memory_available: Option<u64>,
    pub batteries: Vec<BatteryLive>,
}

impl LiveSample {
    /// The CPU's temperature: the hottest CPU sensor, else the hottest sensor of any kind.
    pub fn cpu_temperature(&self) -> Option<&Temperature> {
        let hottest = |cpu_only: bool| {
            self.temperatures
                .iter()
                .filter(|t| !cpu_only || t.cpu)
                .max_by_key(|t| t.millicelsius)
        };
        hottest(true).or_else(|| hottest(false))
    }
}

/// The reader: keeps what a load figure needs between two readings.
pub struct Sensors {
    root: SysRoot,
    host: Option<HostSensors>,
    last_stat: Option<(u64, u64)>,
}

/// sysinfo's view of the real machine.
struct HostSensors {
    system: sysinfo::System,
    components: Option<sysinfo::Components>,
}

impl std::fmt::Debug for Sensors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sensors")
            .field("root", &self.root)
            .field("sysinfo", &self.host.is_some())
            .finish_non_exhaustive()
    }
}

impl Sensors {
    /// A reader of `root`: sysinfo and sysfs on the real machine, the tree's files otherwise.
    pub fn new(root: &SysRoot) -> Self {
        let host = root.is_host().then(|| {
            sysinfo::System::new().ok().map(|mut system| {
                system.refresh_cpu_usage();
                HostSensors {
                    system,
                    components: sysinfo::Components::new_with_refreshed_list().ok(),
                }
            })
        });
        Sensors {
            root: root.clone(),
            host: host.flatten(),
            last_stat: None,
        }
    }

    /// Reads everything once. Never fails: what cannot be read is `None` or absent.
    pub fn sample(&mut self) -> LiveSample {
        let mut s = LiveSample {
            throttle_events: throttle_events(&self.root),
            batteries: batteries(&self.root),
            ..LiveSample::default()
        };
        match &mut self.host {
            Some(h) => {
                h.system.refresh_cpu_usage();
                h.system.refresh_cpu_frequency();
                h.system.refresh_memory();
                s.cpu_load_permille = Some(permille(h.system.global_cpu_usage()));
                let cpus = h.system.cpus();
                let khz: u64 = cpus.iter().map(|c| c.frequency() * 1000).sum();
                s.cpu_khz = u64::try_from(cpus.len())
                    .ok()
                    .filter(|n| *n > 0 && khz > 0)
                    .map(|n| khz / n);
                s.memory_total = Some(h.system.total_memory());
                s.memory_available = Some(h.system.available_memory());
                if let Some(c) = &mut h.components {
                    c.refresh(false);
                    s.temperatures = c
                        .iter()
                        .filter_map(|c| {
                            let t = c.temperature()?;
                            let label = c.label().to_owned();
                            Some(Temperature {
                                cpu: is_cpu_sensor(&label),
                                millicelsius: millicelsius(t),
                                label,
                            })
                        })
                        .collect();
                }
            }
            None => {
                let stat = fs::read_text(&self.root, "proc/stat")
                    .ok()
                    .and_then(|t| stat_cpu(&t));
                if let (Some((busy, total)), Some((b0, t0))) = (stat, self.last_stat)
                    && total > t0
                {
                    let load = busy.saturating_sub(b0) * 1000 / (total - t0);
                    s.cpu_load_permille = u32::try_from(load.min(1000)).ok();
                }
                self.last_stat = stat;
                s.cpu_khz = average_khz(&self.root);
                let text = fs::read_text(&self.root, MEMINFO).ok();
                let field = |name| text.as_deref().and_then(|t| meminfo::field(t, name).ok());
                s.memory_total = field("MemTotal");
                s.memory_available = field("MemAvailable");
                s.temperatures = hwmon(&self.root);
            }
        }
        if s.temperatures.is_empty() {
            s.temperatures = thermal_zones(&self.root);
        }
        s
    }

    /// Memory the kernel could give now without swapping (`MemAvailable`), for the RAM test.
    pub fn memory_available(&self) -> Option<u64> {
        fs::read_text(&self.root, MEMINFO)
            .ok()
            .and_then(|t| meminfo::field(&t, "MemAvailable").ok())
    }
}

fn permille(percent: f32) -> u32 {
    // sysinfo reports a percentage as a float; the screen and the records use integers.
    (percent.clamp(0.0, 100.0) * 10.0).round() as u32
}

fn millicelsius(celsius: f32) -> u32 {
    (celsius.max(0.0) * 1000.0).round() as u32
}

fn is_cpu_sensor(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    [
        "package",
        "core",
        "tctl",
        "tdie",
        "cpu",
        "x86_pkg_temp",
        "k10temp",
        "coretemp",
    ]
    .iter()
    .any(|k| l.contains(k))
}

/// Every `tempN_input` of every hwmon device, labelled "NAME LABEL".
fn hwmon(root: &SysRoot) -> Vec<Temperature> {
    let mut out = Vec::new();
    for dev in fs::list_dir(root, "sys/class/hwmon").unwrap_or_default() {
        let base = format!("sys/class/hwmon/{dev}");
        let name = fs::read_attr(root, format!("{base}/name"))
            .known()
            .cloned()
            .unwrap_or_else(|| dev.clone());
        let mut inputs: Vec<String> = fs::list_dir(root, &base)
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f.starts_with("temp") && f.ends_with("_input"))
            .collect();
        inputs.sort();
        for input in inputs {
            let n = input.trim_end_matches("_input");
            let Some(&value) = fs::read_num::<i64>(root, format!("{base}/{input}")).known() else {
                continue;
            };
            let label = fs::read_attr(root, format!("{base}/{n}_label"))
                .known()
                .cloned()
                .unwrap_or_else(|| n.to_owned());
            let label = format!("{name} {label}");
            out.push(Temperature {
                cpu: is_cpu_sensor(&label),
                millicelsius: u32::try_from(value.max(0)).unwrap_or(u32::MAX),
                label,
            });
        }
    }
    out
}

/// Every thermal zone, labelled "thermal_zoneN TYPE".
fn thermal_zones(root: &SysRoot) -> Vec<Temperature> {
    let mut zones = fs::list_dir(root, "sys/class/thermal").unwrap_or_default();
    zones.retain(|z| z.starts_with("thermal_zone"));
    zones.sort();
    zones
        .into_iter()
        .filter_map(|z| {
            let base = format!("sys/class/thermal/{z}");
            let value = *fs::read_num::<i64>(root, format!("{base}/temp")).known()?;
            let kind = fs::read_attr(root, format!("{base}/type"))
                .known()
                .cloned()
                .unwrap_or_default();
            let label = format!("{z} {kind}");
            Some(Temperature {
                cpu: is_cpu_sensor(&kind),
                millicelsius: u32::try_from(value.max(0)).unwrap_or(u32::MAX),
                label,
            })
        })
        .collect()
}

fn cpus(root: &SysRoot) -> Vec<String> {
    let mut cpus = fs::list_dir(root, "sys/devices/system/cpu").unwrap_or_default();
    cpus.retain(|c| {
        c.strip_prefix("cpu")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|d| d.is_ascii_digit()))
    });
    cpus
}

fn average_khz(root: &SysRoot) -> Option<u64> {
    let freqs: Vec<u64> = cpus(root)
        .iter()
        .filter_map(|c| {
            fs::read_num::<u64>(
                root,
                format!("sys/devices/system/cpu/{c}/cpufreq/scaling_cur_freq"),
            )
            .known()
            .copied()
        })
        .collect();
    let n = u64::try_from(freqs.len()).ok().filter(|n| *n > 0)?;
    Some(freqs.iter().sum::<u64>() / n)
}

/// Thermal throttling events since boot: every core's count, plus the package's (counted once:
/// every CPU of a package shows the same package count).
fn throttle_events(root: &SysRoot) -> Option<u64> {
    let mut core = None::<u64>;
    let mut package = None::<u64>;
    for c in cpus(root) {
        let base = format!("sys/devices/system/cpu/{c}/thermal_throttle");
        if let Field::Known(n) = fs::read_num::<u64>(root, format!("{base}/core_throttle_count")) {
            core = Some(core.unwrap_or(0).saturating_add(n));
        }
        if let Field::Known(n) = fs::read_num::<u64>(root, format!("{base}/package_throttle_count"))
        {
            package = Some(package.unwrap_or(0).max(n));
        }
    }
    match (core, package) {
        (None, None) => None,
        (c, p) => Some(c.unwrap_or(0).saturating_add(p.unwrap_or(0))),
    }
}

/// The machine's batteries (not a mouse's: scope Device is left out), charge and rate.
fn batteries(root: &SysRoot) -> Vec<BatteryLive> {
    let mut names = fs::list_dir(root, "sys/class/power_supply").unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter_map(|n| {
            let base = format!("sys/class/power_supply/{n}");
            let attr = |a: &str| fs::read_attr(root, format!("{base}/{a}")).known().cloned();
            let num = |a: &str| {
                fs::read_num::<i64>(root, format!("{base}/{a}"))
                    .known()
                    .copied()
            };
            if attr("type").as_deref() != Some("Battery")
                || attr("scope").as_deref() == Some("Device")
            {
                return None;
            }
            let status = attr("status");
            let rate = num("power_now").or_else(|| {
                let (i, v) = (num("current_now")?, num("voltage_now")?);
                i64::try_from(i128::from(i) * i128::from(v) / 1_000_000).ok()
            });
            let sign = if status.as_deref() == Some("Discharging") {
                -1
            } else {
                1
            };
            Some(BatteryLive {
                percent: num("capacity").and_then(|c| u32::try_from(c.clamp(0, 100)).ok()),
                microwatts: rate.map(|r| sign * r.abs()),
                status,
                name: n,
            })
        })
        .collect()
}

/// The physical address behind `virt`, an address of this process, from `/proc/self/pagemap`
/// (root only: without CAP_SYS_ADMIN the kernel shows frame 0, which is taken as unknown). The
/// RAM test names failing addresses with it.
pub fn physical_address(root: &SysRoot, virt: usize) -> Option<u64> {
    use std::os::unix::fs::FileExt;
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|p| u64::try_from(p).ok())
        .filter(|p| *p > 0)?;
    let virt = u64::try_from(virt).ok()?;
    let file = std::fs::File::open(root.join("proc/self/pagemap")).ok()?;
    let mut entry = [0u8; 8];
    file.read_exact_at(&mut entry, virt / page * 8).ok()?;
    let entry = u64::from_le_bytes(entry);
    // Bit 63: page present; bits 0-54: page frame number.
    let frame = entry & ((1 << 55) - 1);
    (entry >> 63 == 1 && frame != 0).then(|| frame * page + virt % page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> SysRoot {
        SysRoot::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/probe/demo-laptop"
        ))
    }

    #[test]
    fn a_fixture_tree_is_read_from_its_files() {
        let mut s = Sensors::new(&demo());
        let first = s.sample();
        assert_eq!(first.cpu_load_permille, None, "no load before two readings");
        assert_eq!(first.cpu_khz, Some(1_900_000));
        assert_eq!(first.throttle_events, Some(0));
        assert_eq!(first.memory_available, Some(7_523_980 * 1024));
        let t = first.cpu_temperature().unwrap();
        assert_eq!(
            (t.label.as_str(), t.millicelsius),
            ("coretemp Package id 0", 47_000)
        );
        assert_eq!(
            first.batteries.len(),
            1,
            "the mouse's battery is not the machine's"
        );
        let b = &first.batteries[0];
        assert_eq!((b.name.as_str(), b.percent), ("BAT0", Some(63)));
        assert_eq!(b.microwatts, Some(-6_120_000));
        assert_eq!(
            s.sample().cpu_load_permille,
            None,
            "the same counters twice: no time passed"
        );
    }
}
