//! A sysfs/procfs tree built per test in its own temp dir, and the base laptop the probe tests
//! extend or break.

use std::fs;

use reprise::sys::SysRoot;

/// A sysfs/procfs tree under construction in its own temp dir.
pub struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Self {
        Tree {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn path(&self, rel: &str) -> std::path::PathBuf {
        self.dir.path().join(rel)
    }
    pub fn file(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Self {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, contents).unwrap();
        self
    }
    pub fn dir(&self, rel: &str) -> &Self {
        fs::create_dir_all(self.path(rel)).unwrap();
        self
    }
    pub fn link(&self, rel: &str, target: &str) -> &Self {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
        self
    }
    pub fn root(&self) -> SysRoot {
        SysRoot::new(self.dir.path())
    }
}

pub const SDA: &str = "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0";

/// A laptop with a SATA disk sda (partitions sda1..sda3), one battery, AC, an empty mount
/// table: the base that tests then break or extend.
pub fn sata_laptop(t: &Tree) {
    t.file("sys/class/dmi/id/sys_vendor", "LENOVO\n")
        .file("sys/class/dmi/id/chassis_type", "10\n")
        .file(
            "proc/cpuinfo",
            "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 142\n\
             model name\t: Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz\nstepping\t: 10\n\
             physical id\t: 0\ncore id\t\t: 0\nflags\t\t: fpu cx8 cmov mmx fxsr sse sse2 syscall lm\n",
        )
        .file("proc/meminfo", "MemTotal:        8000000 kB\n")
        .file("proc/cmdline", "quiet\n")
        .file("proc/self/mountinfo", "22 1 0:21 / /proc rw - proc proc rw\n")
        .file(&format!("{SDA}/model"), "Samsung SSD 860 \n")
        .file(&format!("{SDA}/vendor"), "ATA     \n")
        .file(&format!("{SDA}/rev"), "1B6Q\n")
        .file(&format!("{SDA}/vpd_pg80"), b"\x00\x80\x00\x05ABC12")
        .file(&format!("{SDA}/block/sda/dev"), "8:0\n")
        .file(&format!("{SDA}/block/sda/size"), "1000\n")
        .file(&format!("{SDA}/block/sda/queue/rotational"), "0\n")
        .link(&format!("{SDA}/block/sda/device"), "../../../0:0:0:0")
        .link("sys/block/sda", &format!("../{}/block/sda", &SDA["sys/".len()..]))
        .dir(&format!("{SDA}/block/sda/holders"));
    for (n, minor) in [(1, 1), (2, 2), (3, 3)] {
        let p = format!("{SDA}/block/sda/sda{n}");
        t.file(&format!("{p}/partition"), format!("{n}\n"))
            .file(&format!("{p}/dev"), format!("8:{minor}\n"))
            .file(&format!("{p}/size"), "100\n")
            .file(
                &format!("{p}/uevent"),
                format!("MAJOR=8\nMINOR={minor}\nDEVNAME=sda{n}\nDEVTYPE=partition\nPARTN={n}\nPARTUUID=aaaa-000{n}\nPARTNAME=part{n}\n"),
            )
            .dir(&format!("{p}/holders"));
    }
    let bat = "sys/devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0";
    t.file(&format!("{bat}/type"), "Battery\n")
        .file(&format!("{bat}/energy_full_design"), "50000000\n")
        .file(&format!("{bat}/energy_full"), "40000000\n")
        .file(&format!("{bat}/cycle_count"), "7\n")
        .link(
            "sys/class/power_supply/BAT0",
            "../../devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0",
        );
    let ac = "sys/devices/LNXSYSTM:00/ACPI0003:00/power_supply/AC";
    t.file(&format!("{ac}/type"), "Mains\n")
        .file(&format!("{ac}/online"), "1\n")
        .link(
            "sys/class/power_supply/AC",
            "../../devices/LNXSYSTM:00/ACPI0003:00/power_supply/AC",
        );
}
