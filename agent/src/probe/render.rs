//! Human-readable rendering of a [`ProbeReport`]: the one screen an operator reads.
//!
//! Pure: report in, text out. Unknown values read "unknown"; where the reason matters to the
//! operator (no DMI at all, no serial) it is shown in parentheses. Control characters and
//! bidirectional overrides the machine put in its strings are escaped (`line`).

use std::fmt::Write as _;

use super::identity::is_portable;
use super::model::{
    Battery, CapacityUnit, Controller, Disk, DiskHealth, HealthStatus, Memory, OtherStorage,
    ProbeReport,
};
use crate::model::{Field, Language, MediaType, text};
use reprise_cert::messages;

/// Width of the left label column.
const LABEL: usize = 10;

fn show<T: ToString>(f: &Field<T>) -> String {
    match f {
        Field::Known(v) => v.to_string(),
        Field::Unknown(_) => "unknown".to_owned(),
    }
}

fn show_why<T: ToString>(f: &Field<T>) -> String {
    match f {
        Field::Known(v) => v.to_string(),
        Field::Unknown(why) => format!("unknown ({why})"),
    }
}

/// "512.1 GB (476.9 GiB)", or MB/MiB below a gigabyte.
pub fn size(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes >= 1_000_000_000 {
        format!("{:.1} GB ({:.1} GiB)", b / 1e9, b / f64::from(1u32 << 30))
    } else {
        format!("{:.1} MB ({:.1} MiB)", b / 1e6, b / f64::from(1u32 << 20))
    }
}

fn permille(p: u32) -> String {
    format!("{}.{} %", p / 10, p % 10)
}

/// Every line of the report is made here, and escaped here: the strings the machine gave
/// (SMBIOS fields, disk models and serials, partition names, battery names) reach the console
/// and the run's log as visible escapes, never as control sequences or extra lines.
fn line(out: &mut String, label: &str, text: &str) {
    let _ = writeln!(out, "{label:<LABEL$}{}", text::escape(text));
}

fn capacity(unit: &Field<CapacityUnit>, v: &Field<u64>) -> String {
    match (unit, v) {
        (Field::Known(CapacityUnit::MicroWattHours), Field::Known(v)) => {
            format!("{:.1} Wh", *v as f64 / 1e6)
        }
        (Field::Known(CapacityUnit::MicroAmpHours), Field::Known(v)) => {
            format!("{} mAh", v / 1000)
        }
        _ => "unknown".to_owned(),
    }
}

fn battery(out: &mut String, b: &Battery) {
    let mut head = format!(
        "{}: {} {}",
        b.name,
        show(&b.manufacturer),
        show(&b.model_name)
    );
    if let Field::Known(t) = &b.technology {
        let _ = write!(head, " ({t})");
    }
    let _ = write!(head, ", serial {}", show(&b.serial));
    line(out, "BATTERY", &head);
    let health = match &b.health_permille {
        Field::Known(p) => format!(
            "health {} ({} of {} design)",
            permille(*p),
            capacity(&b.capacity_unit, &b.full_capacity),
            capacity(&b.capacity_unit, &b.design_capacity)
        ),
        Field::Unknown(why) => format!("health unknown ({why})"),
    };
    let cycles = match &b.cycle_count {
        Field::Known(Some(c)) => format!("{c} cycles"),
        _ => "cycles unknown".to_owned(),
    };
    line(
        out,
        "",
        &format!("{health} · {cycles} · {}", show(&b.status)),
    );
}

/// The drive's own health in one line: what decides refurbish or recycle first.
fn health(h: &DiskHealth) -> String {
    let mut s = match h.status {
        HealthStatus::Passed => "health PASSED".to_owned(),
        HealthStatus::Failing => "health FAILING".to_owned(),
        HealthStatus::Unknown => "health unknown".to_owned(),
    };
    if let Some(why) = &h.why {
        let _ = write!(s, " ({why})");
    }
    let mut facts = Vec::new();
    if let Some(p) = h.percentage_used {
        facts.push(format!("{p} % used"));
    }
    if let Some(n) = h.reallocated {
        facts.push(format!("{n} reallocated"));
    }
    if let Some(n) = h.pending {
        facts.push(format!("{n} pending"));
    }
    if let Some(n) = h.media_errors {
        facts.push(format!("{n} media errors"));
    }
    if let (Some(a), Some(t)) = (h.available_spare, h.available_spare_threshold) {
        facts.push(format!("spare {a} % (threshold {t} %)"));
    }
    if let Some(hours) = h.power_on_hours {
        facts.push(format!("{hours} h powered on"));
    }
    if let Some(t) = h.temperature_celsius {
        facts.push(format!("{t} °C"));
    }
    for w in &h.critical_warnings {
        facts.push(format!("WARNING {w}"));
    }
    if let Some(t) = &h.self_test {
        facts.push(format!(
            "{} self-test {}",
            t.kind,
            if t.passed { "passed" } else { "FAILED" }
        ));
    }
    if !facts.is_empty() {
        let _ = write!(s, " · {}", facts.join(" · "));
    }
    s
}

/// The SMBIOS slots: "2 slots: ChannelA-DIMM0 8 GiB DDR4 SODIMM; ChannelB-DIMM0 empty".
fn modules(m: &Memory) -> Option<String> {
    if m.modules.is_empty() {
        return match &m.smbios {
            Field::Unknown(why) => Some(format!("modules unknown ({why})")),
            Field::Known(_) => None,
        };
    }
    let list: Vec<String> = m
        .modules
        .iter()
        .map(|module| {
            let mut s = show(&module.slot);
            match module.size_bytes {
                Field::Known(0) => s.push_str(" empty"),
                Field::Known(b) => {
                    let _ = write!(s, " {} GiB", b >> 30);
                    for f in [&module.memory_type, &module.form_factor] {
                        if let Field::Known(v) = f {
                            let _ = write!(s, " {v}");
                        }
                    }
                    if module.soldered {
                        s.push_str(" (soldered)");
                    }
                }
                Field::Unknown(_) => s.push_str(" size unknown"),
            }
            s
        })
        .collect();
    let slots = match m.slots {
        Field::Known(n) => format!("{n} slots: "),
        Field::Unknown(_) => String::new(),
    };
    Some(format!("{slots}{}", list.join("; ")))
}

fn disk(out: &mut String, d: &Disk) {
    let mut kind = vec![d.transport.display_name().to_owned()];
    match d.media_type {
        MediaType::Hdd => kind.push("HDD".to_owned()),
        MediaType::Ssd => kind.push("SSD".to_owned()),
        MediaType::Flash => kind.push("flash".to_owned()),
        MediaType::File | MediaType::Unknown => {}
    }
    if d.soldered {
        kind.push("soldered".to_owned());
    }
    if d.removable == Field::Known(true) {
        kind.push("removable".to_owned());
    }
    if d.read_only == Field::Known(true) {
        kind.push("read-only".to_owned());
    }
    let sz = match d.size_bytes {
        Field::Known(b) => size(b),
        Field::Unknown(_) => "size unknown".to_owned(),
    };
    line(
        out,
        "DISK",
        &format!("{}  {}  {}", d.dev_path, kind.join(", "), sz),
    );
    let mut ident = String::new();
    // Numeric vendor IDs (PCI for NVMe, JEDEC for eMMC) and libata's "ATA" mean nothing to an
    // operator; the model names the maker there. The JSON keeps them.
    if let Field::Known(v) = &d.vendor
        && !v.starts_with("0x")
        && v != "ATA"
        && !d.model.known().is_some_and(|m| m.starts_with(v.as_str()))
    {
        let _ = write!(ident, "{v} ");
    }
    let _ = write!(
        ident,
        "{} · serial {} · firmware {}",
        match &d.model {
            Field::Known(m) => m.clone(),
            Field::Unknown(_) => "model unknown".to_owned(),
        },
        show_why(&d.serial),
        show(&d.firmware)
    );
    line(out, "", &ident);
    let sectors = format!(
        "id {} · sectors {}/{} bytes (logical/physical)",
        d.id,
        show(&d.logical_sector_size),
        show(&d.physical_sector_size)
    );
    line(out, "", &sectors);
    line(out, "", &health(&d.health));
    if !d.mountpoints.is_empty() {
        line(out, "", &format!("mounted on {}", d.mountpoints.join(", ")));
    }
    if !d.partitions.is_empty() {
        let parts: Vec<String> = d
            .partitions
            .iter()
            .map(|p| {
                let mut s = p.name.clone();
                if let Field::Known(b) = p.size_bytes {
                    let gb = size(b);
                    let short = gb.split(" (").next().unwrap_or(&gb).to_owned();
                    let _ = write!(s, " {short}");
                }
                if !p.mountpoints.is_empty() {
                    let _ = write!(s, " on {}", p.mountpoints.join(", "));
                }
                s
            })
            .collect();
        line(out, "", &format!("partitions: {}", parts.join("; ")));
    }
    if let Some(m) = &d.reprise_medium {
        let what = if m.booted {
            "BOOT MEDIUM (Reprise stick)"
        } else {
            "REPRISE STICK"
        };
        line(out, "", &format!("{what} — never wiped: {}", m.reason));
    }
    if let Some(why) = &d.reprise_copy {
        line(
            out,
            "",
            &format!("COPY OF THE REPRISE IMAGE — not a stick: {why}"),
        );
    }
    if d.holds_system {
        line(
            out,
            "",
            &format!(
                "IN USE BY THE RUNNING SYSTEM — never wiped: {}",
                d.system_reasons.join("; ")
            ),
        );
    }
}

/// "sr0  optical drive, empty: nothing stored, nothing to sanitize" and what it is.
fn other_storage(out: &mut String, o: &OtherStorage) {
    line(
        out,
        "STORAGE",
        &format!(
            "{}  {}",
            o.dev_path.as_deref().unwrap_or(&o.name),
            messages::other_storage(o.kind, o.handling, Language::En)
        ),
    );
    let mut what = Vec::new();
    if let Field::Known(m) = &o.model {
        what.push(match &o.vendor {
            Field::Known(v) if !v.starts_with("0x") && !m.starts_with(v.as_str()) => {
                format!("{v} {m}")
            }
            _ => m.clone(),
        });
    }
    if let Field::Known(b) = o.size_bytes
        && b > 0
    {
        what.push(size(b));
    }
    if let Some(p) = &o.part_of {
        what.push(format!("part of {p}"));
    }
    what.push(o.evidence.clone());
    line(out, "", &what.join(" · "));
}

/// A controller, what it shows, and — when it may hide disks or has no driver — why and the
/// step that fixes it, in English and in French (the workshop's language).
fn controller(out: &mut String, c: &Controller) {
    let mut shows: Vec<String> = c.disks.iter().map(ToString::to_string).collect();
    shows.extend(c.other_storage.iter().cloned());
    let shows = if shows.is_empty() {
        if c.is_storage() {
            "no disk".to_owned()
        } else {
            String::new()
        }
    } else {
        format!("shows {}", shows.join(", "))
    };
    let head = format!(
        "{}  {} {}  {}  {}",
        c.address,
        messages::controller_kind(c.kind, Language::En),
        c.pci_id(),
        c.driver
            .as_ref()
            .map_or_else(|| "NO DRIVER".to_owned(), |d| format!("driver {d}")),
        shows
    );
    line(out, "PCI", head.trim_end());
    if let Some(f) = c.finding {
        for lang in [Language::En, Language::Fr] {
            let label = match (c.is_storage(), lang) {
                (true, Language::En) => "MAY HIDE DISKS",
                (true, Language::Fr) => "PEUT CACHER DES DISQUES",
                (false, Language::En) => "NOT USABLE",
                (false, Language::Fr) => "INUTILISABLE",
            };
            line(
                out,
                "",
                &format!(
                    "{label}: {}",
                    messages::controller_finding(c.kind, f, &c.pci_id(), c.remapped_nvme, lang)
                ),
            );
        }
    }
}

/// The report as text for the console.
pub fn human(r: &ProbeReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Reprise probe — {} (schema {})",
        text::escape(&r.tool_version),
        r.schema_version
    );
    let _ = writeln!(out);

    let id = &r.identity;
    let sys = &id.system;
    if sys.vendor.known().is_none() && sys.product_name.known().is_none() {
        line(
            &mut out,
            "MACHINE",
            &format!(
                "unknown ({})",
                match &sys.vendor {
                    Field::Unknown(why) => why.as_str(),
                    Field::Known(_) => "",
                }
            ),
        );
    } else {
        let mut m = format!("{} {}", show(&sys.vendor), show(&sys.product_name));
        if let Field::Known(v) = &sys.version {
            let _ = write!(m, " ({v})");
        }
        if let Field::Known(c) = &id.chassis.chassis_type_name {
            let _ = write!(m, " · {c}");
        }
        line(&mut out, "MACHINE", &m);
        line(
            &mut out,
            "",
            &format!(
                "serial {} · UUID {}",
                show_why(&sys.serial),
                show(&sys.uuid)
            ),
        );
        line(
            &mut out,
            "",
            &format!("SKU {} · family {}", show(&sys.sku), show(&sys.family)),
        );
        line(
            &mut out,
            "BOARD",
            &format!(
                "{} {} · serial {}",
                show(&id.board.vendor),
                show(&id.board.product_name),
                show(&id.board.serial)
            ),
        );
        line(
            &mut out,
            "BIOS",
            &format!(
                "{} {} ({})",
                show(&id.bios.vendor),
                show(&id.bios.version),
                show(&id.bios.date)
            ),
        );
    }

    let c = &r.cpu;
    line(&mut out, "CPU", &show(&c.model_name));
    let mut topo = format!(
        "{} socket(s), {} cores, {} threads",
        show(&c.sockets),
        show(&c.physical_cores),
        show(&c.threads)
    );
    if let Field::Known(khz) = c.max_frequency_khz {
        let _ = write!(topo, " · max {:.2} GHz", khz as f64 / 1e6);
    }
    match c.x86_64_level {
        Field::Known(0) => topo.push_str(" · not x86-64"),
        Field::Known(l) => {
            let _ = write!(topo, " · x86-64-v{l}");
        }
        Field::Unknown(_) => {}
    }
    match c.aes_ni {
        Field::Known(true) => topo.push_str(" · AES-NI"),
        Field::Known(false) => topo.push_str(" · no AES-NI"),
        Field::Unknown(_) => {}
    }
    match &c.virtualization {
        Field::Known(Some(v)) if v == "vmx" => topo.push_str(" · VT-x"),
        Field::Known(Some(v)) if v == "svm" => topo.push_str(" · AMD-V"),
        Field::Known(Some(v)) => {
            let _ = write!(topo, " · {v}");
        }
        Field::Known(None) => topo.push_str(" · no virtualization"),
        Field::Unknown(_) => {}
    }
    line(&mut out, "", &topo);

    let mem = match r.memory.total_usable_bytes {
        Field::Known(b) => format!("{:.1} GiB usable", b as f64 / f64::from(1u32 << 30)),
        ref f => show_why(f),
    };
    line(&mut out, "MEMORY", &mem);
    if let Some(m) = modules(&r.memory) {
        line(&mut out, "", &m);
    }
    match &r.tpm {
        Field::Known(Some(t)) => {
            let mut s = format!("TPM {}", t.spec_version);
            if let Some(v) = &t.vendor {
                let _ = write!(s, " · vendor {}", v.trim());
            }
            if let Some(f) = &t.firmware {
                let _ = write!(s, " · firmware {f}");
            }
            line(&mut out, "TPM", &s);
        }
        Field::Known(None) => line(&mut out, "TPM", "none found"),
        Field::Unknown(why) => line(&mut out, "TPM", &format!("unknown ({why})")),
    }

    let ac = match r.power.ac_online {
        Field::Known(true) => "AC adapter online".to_owned(),
        Field::Known(false) => "AC adapter present, offline (running on battery)".to_owned(),
        Field::Unknown(_) => "no AC adapter reported".to_owned(),
    };
    line(&mut out, "POWER", &ac);
    if r.power.batteries.is_empty() {
        let mut s = "No battery".to_owned();
        if let Field::Known(t) = id.chassis.chassis_type
            && is_portable(t)
        {
            s.push_str(" — this is a portable computer: battery missing or not detected");
        }
        line(&mut out, "BATTERY", &s);
    }
    for b in &r.power.batteries {
        battery(&mut out, b);
    }

    if r.disks.is_empty() {
        line(&mut out, "DISK", "No disk found");
    }
    for d in &r.disks {
        disk(&mut out, d);
    }
    for o in &r.other_storage {
        other_storage(&mut out, o);
    }
    if !r.has_internal_storage() {
        let hiding = r.controllers_hiding_disks();
        let text = if hiding.is_empty() {
            "none found: no disk of the laptop's own (USB, SD cards and optical drives aside)"
                .to_owned()
        } else {
            format!(
                "none found — {} controller(s) may hide the laptop's disks (see PCI)",
                hiding.len()
            )
        };
        line(&mut out, "INTERNAL", &text);
    }
    for c in &r.controllers {
        controller(&mut out, c);
    }

    for n in &r.network {
        line(
            &mut out,
            "NETWORK",
            &format!("{}  {}  {}", n.name, show(&n.mac), show(&n.driver)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_both_units() {
        assert_eq!(size(512_110_190_592), "512.1 GB (476.9 GiB)");
        assert_eq!(size(16_000_000), "16.0 MB (15.3 MiB)");
        assert_eq!(permille(874), "87.4 %");
    }
}
