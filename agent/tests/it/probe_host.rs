//! Probes the machine the tests run on (`/`): it must succeed whatever the machine is (here a
//! Firecracker VM with no DMI and one virtio disk; in CI a VM or a container), and every disk
//! the running system mounts must be flagged as holding the system.

use std::process::Command;

use reprise::model::Field;
use reprise::probe::{probe, render};
use reprise::sys::SysRoot;

#[test]
fn probing_this_host_succeeds() {
    let r = probe(&SysRoot::host()).expect("probe of / succeeds");
    assert_eq!(r.schema_version, 1);
    // Linux always has cpuinfo and meminfo.
    assert!(
        matches!(r.cpu.threads, Field::Known(n) if n >= 1),
        "{:?}",
        r.cpu.threads
    );
    assert!(
        matches!(r.memory.total_usable_bytes, Field::Known(n) if n > 0),
        "{:?}",
        r.memory.total_usable_bytes
    );
    for d in &r.disks {
        let mounted =
            !d.mountpoints.is_empty() || d.partitions.iter().any(|p| !p.mountpoints.is_empty());
        if mounted {
            assert!(d.holds_system, "{} is mounted but not flagged", d.name);
            assert!(!d.system_reasons.is_empty());
        }
        assert!(!d.name.starts_with("loop") && !d.name.starts_with("zram"));
    }
    // Whatever disk carries `/` (when `/` comes from a disk at all) is flagged.
    if let Some(d) = r
        .disks
        .iter()
        .find(|d| d.mountpoints.iter().any(|m| m == "/"))
    {
        assert!(d.holds_system);
        assert!(
            d.system_reasons.iter().any(|s| s.ends_with("mounted on /")),
            "{:?}",
            d.system_reasons
        );
    }
    // The development VM (Firecracker): no DMI, one virtio disk vda that carries `/`.
    if std::path::Path::new("/sys/block/vda").exists() {
        let vda = r
            .disks
            .iter()
            .find(|d| d.name == "vda")
            .expect("vda listed");
        assert_eq!(vda.transport, reprise::model::Transport::Virtio);
        assert!(matches!(vda.size_bytes, Field::Known(n) if n > 0));
    }
    // The human screen renders.
    let text = render::human(&r);
    assert!(text.contains("CPU"));
    assert!(text.contains("MEMORY"));
}

#[test]
fn reprise_probe_on_this_host_exits_zero() {
    for args in [&["probe"][..], &["probe", "--json"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_reprise"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty());
    }
}
