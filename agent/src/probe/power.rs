//! Batteries and AC adapter from `ROOT/sys/class/power_supply/*`.
//!
//! Laptops report capacities either as energy (µWh: `energy_full_design`, `energy_full`) or as
//! charge (µAh: `charge_*`); some omit the design value. Batteries of HID devices (a wireless
//! mouse) are also type Battery but have `scope` = Device: they are not the machine's.

use super::model::{Battery, CapacityUnit, Power};
use crate::model::Field;
use crate::sys::{SysRoot, fs};

const POWER_SUPPLY: &str = "sys/class/power_supply";

/// Health of a battery: full / design in per-mille, or why it cannot be computed.
pub fn health_permille(design: &Field<u64>, full: &Field<u64>) -> Field<u32> {
    match (design, full) {
        (Field::Known(0), _) => Field::Unknown("design capacity is 0".to_owned()),
        (Field::Known(d), Field::Known(f)) => {
            let permille = (u128::from(*f) * 1000 + u128::from(*d) / 2) / u128::from(*d);
            Field::Known(u32::try_from(permille).unwrap_or(u32::MAX))
        }
        (Field::Unknown(why), _) => Field::Unknown(format!("design capacity unknown ({why})")),
        (_, Field::Unknown(why)) => Field::Unknown(format!("full capacity unknown ({why})")),
    }
}

fn probe_battery(root: &SysRoot, name: &str) -> Battery {
    let dir = format!("{POWER_SUPPLY}/{name}");
    let a = |attr: &str| fs::read_attr(root, format!("{dir}/{attr}"));
    let n = |attr: &str| fs::read_num::<u64>(root, format!("{dir}/{attr}"));

    // The unit is whichever family of attributes the driver exposes; energy wins when both do
    // (the ACPI driver exposes one or the other, never both).
    let energy = ["energy_full_design", "energy_full", "energy_now"]
        .iter()
        .any(|f| fs::exists(root, format!("{dir}/{f}")));
    let charge = ["charge_full_design", "charge_full", "charge_now"]
        .iter()
        .any(|f| fs::exists(root, format!("{dir}/{f}")));
    let (unit, prefix) = if energy {
        (Field::Known(CapacityUnit::MicroWattHours), Some("energy"))
    } else if charge {
        (Field::Known(CapacityUnit::MicroAmpHours), Some("charge"))
    } else {
        (
            Field::Unknown(format!("{dir}: neither energy_* nor charge_* attributes")),
            None,
        )
    };
    let cap = |suffix: &str| match prefix {
        Some(p) => n(&format!("{p}_{suffix}")),
        None => Field::Unknown(format!("{dir}: no {{energy,charge}}_{suffix}")),
    };
    let design = cap("full_design");
    let full = cap("full");
    let now = cap("now");
    let health = health_permille(&design, &full);
    let cycle_count = match fs::read_num::<u32>(root, format!("{dir}/cycle_count")) {
        // The kernel documents 0 as "unknown"; keep that distinct from a missing file.
        Field::Known(0) => Field::Known(None),
        Field::Known(c) => Field::Known(Some(c)),
        Field::Unknown(why) => Field::Unknown(why),
    };
    Battery {
        name: name.to_owned(),
        manufacturer: a("manufacturer"),
        model_name: a("model_name"),
        serial: a("serial_number"),
        technology: a("technology"),
        capacity_unit: unit,
        design_capacity: design,
        full_capacity: full,
        now_capacity: now,
        health_permille: health,
        cycle_count,
        status: a("status"),
    }
}

/// Reads every system battery and whether mains power is online.
pub fn probe_power(root: &SysRoot) -> Power {
    let names = match fs::list_dir(root, POWER_SUPPLY) {
        Ok(n) => n,
        Err(why) => {
            // No power_supply class at all (a VM, a desktop without ACPI battery driver).
            return Power {
                batteries: Vec::new(),
                ac_online: Field::Unknown(format!("no AC adapter reported ({why})")),
            };
        }
    };
    let mut batteries = Vec::new();
    let mut mains: Vec<Field<bool>> = Vec::new();
    for name in &names {
        let dir = format!("{POWER_SUPPLY}/{name}");
        let kind = fs::read_attr(root, format!("{dir}/type"));
        let scope = fs::read_attr(root, format!("{dir}/scope"));
        match kind.known().map(String::as_str) {
            Some("Battery") if scope.known().map(String::as_str) != Some("Device") => {
                batteries.push(probe_battery(root, name));
            }
            Some("Mains") => mains.push(fs::read_bool(root, format!("{dir}/online"))),
            _ => {}
        }
    }
    let ac_online = if mains.is_empty() {
        Field::Unknown(format!("{POWER_SUPPLY}: no supply of type Mains"))
    } else if mains.iter().any(|m| m == &Field::Known(true)) {
        Field::Known(true)
    } else if let Some(Field::Unknown(why)) = mains.iter().find(|m| m.known().is_none()) {
        Field::Unknown(why.clone())
    } else {
        Field::Known(false)
    };
    Power {
        batteries,
        ac_online,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_rounds_and_explains() {
        assert_eq!(
            health_permille(&Field::Known(57_000_000), &Field::Known(49_800_000)),
            Field::Known(874)
        );
        assert_eq!(
            health_permille(&Field::Known(2_000), &Field::Known(2_100)),
            Field::Known(1050)
        );
        assert!(matches!(
            health_permille(&Field::Known(0), &Field::Known(1)),
            Field::Unknown(r) if r.contains("is 0")
        ));
        assert!(matches!(
            health_permille(&Field::Unknown("x: not found".into()), &Field::Known(1)),
            Field::Unknown(r) if r == "design capacity unknown (x: not found)"
        ));
        assert_eq!(
            health_permille(&Field::Known(1), &Field::Known(u64::MAX)),
            Field::Known(u32::MAX)
        );
    }
}
