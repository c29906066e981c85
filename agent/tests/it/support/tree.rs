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

/// A PCI function at `path` (under `sys/devices`, e.g. "pci0000:00/0000:00:1f.2") with its class
/// code and IDs, its driver link when a driver is bound (`None`: the image has no driver for
/// it), and its `sys/bus/pci/devices` link.
pub fn pci(t: &Tree, path: &str, class: u32, vendor: u16, device: u16, driver: Option<&str>) {
    let dir = format!("sys/devices/{path}");
    t.file(&format!("{dir}/class"), format!("{class:#08x}\n"))
        .file(&format!("{dir}/vendor"), format!("{vendor:#06x}\n"))
        .file(&format!("{dir}/device"), format!("{device:#06x}\n"));
    if let Some(d) = driver {
        let up = "../".repeat(path.matches('/').count() + 2);
        t.link(
            &format!("{dir}/driver"),
            &format!("{up}bus/pci/drivers/{d}"),
        );
    }
    let address = path.rsplit('/').next().unwrap();
    t.link(
        &format!("sys/bus/pci/devices/{address}"),
        &format!("../../../devices/{path}"),
    );
}

/// A SCSI block device `name` at `scsi` (a `.../hostH/targetH:0:0/H:0:0:L` path under
/// `sys/devices`) with its INQUIRY strings, peripheral type, `removable`, `ro` and size in
/// 512-byte units, linked from `sys/block`.
#[allow(clippy::too_many_arguments)]
pub fn scsi_block(
    t: &Tree,
    scsi: &str,
    name: &str,
    (vendor, model): (&str, &str),
    scsi_type: u8,
    removable: bool,
    read_only: bool,
    sectors: u64,
) {
    let dev = format!("sys/devices/{scsi}");
    let blk = format!("{dev}/block/{name}");
    t.file(&format!("{dev}/vendor"), format!("{vendor}\n"))
        .file(&format!("{dev}/model"), format!("{model}\n"))
        .file(&format!("{dev}/type"), format!("{scsi_type}\n"))
        // Distinct device numbers per name, so that mounts are never matched to the wrong one.
        .file(
            &format!("{blk}/dev"),
            format!("8:{}\n", name.bytes().map(u32::from).sum::<u32>()),
        )
        .file(&format!("{blk}/size"), format!("{sectors}\n"))
        .file(
            &format!("{blk}/removable"),
            format!("{}\n", u8::from(removable)),
        )
        .file(&format!("{blk}/ro"), format!("{}\n", u8::from(read_only)))
        .file(&format!("{blk}/queue/rotational"), "0\n")
        .link(&format!("{blk}/device"), "../..")
        .dir(&format!("{blk}/holders"))
        .link(
            &format!("sys/block/{name}"),
            &format!("../devices/{scsi}/block/{name}"),
        );
}

/// QEMU q35's default DVD drive, empty: ATAPI on port 3 of the ICH9 AHCI controller (8086:2922,
/// `ahci`), `sr0`, "QEMU DVD-ROM", serial QM00005 (from its T10 wwid), removable, read-only,
/// and the size the `sr` driver shows before it has read a disc (0x1fffff sectors: seen in the
/// end-to-end test's guest).
pub fn qemu_dvd(t: &Tree) {
    let ahci = "pci0000:00/0000:00:1f.2";
    pci(t, ahci, 0x010601, 0x8086, 0x2922, Some("ahci"));
    let scsi = format!("{ahci}/ata3/host2/target2:0:0/2:0:0:0");
    scsi_block(
        t,
        &scsi,
        "sr0",
        ("QEMU    ", "QEMU DVD-ROM    "),
        5,
        true,
        true,
        0x1f_ffff,
    );
    t.file(
        &format!("sys/devices/{scsi}/wwid"),
        "t10.ATA     QEMU DVD-ROM                            QM00005\n",
    )
    .file(
        &format!("sys/devices/{scsi}/block/sr0/events"),
        "media_change eject_request\n",
    );
}

/// An NVMe namespace `nvmeCnN` (namespace 1) of controller `nvmeC` with `serial`, behind the PCI
/// function at `path` (NVMe class, `nvme` driver), the way a non-multipath kernel shows it.
pub fn nvme_disk(t: &Tree, path: &str, ctrl: u32, serial: &str) {
    pci(t, path, 0x010802, 0x1b36, 0x0010, Some("nvme"));
    let c = format!("sys/devices/{path}/nvme/nvme{ctrl}");
    let ns = format!("{c}/nvme{ctrl}n1");
    t.file(&format!("{c}/serial"), format!("{serial}\n"))
        .file(&format!("{c}/model"), "QEMU NVMe Ctrl\n")
        .file(&format!("{ns}/dev"), "259:0\n")
        .file(&format!("{ns}/size"), "16384\n")
        .file(&format!("{ns}/nsid"), "1\n")
        .file(&format!("{ns}/queue/rotational"), "0\n")
        .file(&format!("{ns}/removable"), "0\n")
        .file(&format!("{ns}/ro"), "0\n")
        .link(&format!("{ns}/device"), &format!("../../nvme{ctrl}"))
        .dir(&format!("{ns}/holders"))
        .link(
            &format!("sys/block/nvme{ctrl}n1"),
            &format!("../devices/{path}/nvme/nvme{ctrl}/nvme{ctrl}n1"),
        );
}

/// A USB stick `name` (removable, 1 GB) behind the xHCI controller.
pub fn usb_stick(t: &Tree, name: &str) {
    let usb = "pci0000:00/0000:00:14.0/usb2/2-1";
    t.file(&format!("sys/devices/{usb}/idVendor"), "0781\n")
        .file(
            &format!("sys/devices/{usb}/serial"),
            "4C530001230817116153\n",
        );
    scsi_block(
        t,
        &format!("{usb}/2-1:1.0/host6/target6:0:0/6:0:0:0"),
        name,
        ("SanDisk ", "Cruzer Blade    "),
        0,
        true,
        false,
        2_000_000,
    );
}
