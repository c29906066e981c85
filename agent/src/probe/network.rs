//! Network interfaces for inventory (name, MAC, driver) from `ROOT/sys/class/net/*`.

use super::model::NetInterface;
use crate::model::Field;
use crate::sys::{SysRoot, fs};

const NET: &str = "sys/class/net";

/// Every interface except loopback, sorted by name.
pub fn probe_network(root: &SysRoot) -> Vec<NetInterface> {
    let Ok(names) = fs::list_dir(root, NET) else {
        return Vec::new();
    };
    names
        .into_iter()
        .filter(|n| n != "lo")
        .map(|name| {
            let dir = format!("{NET}/{name}");
            let driver = if fs::exists(root, format!("{dir}/device")) {
                fs::link_name(root, format!("{dir}/device/driver"))
            } else {
                Field::Unknown(format!("{dir}: no device link (virtual interface)"))
            };
            NetInterface {
                mac: fs::read_attr(root, format!("{dir}/address")),
                driver,
                name,
            }
        })
        .collect()
}
