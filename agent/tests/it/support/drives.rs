//! Simulated drives of every kind for the plan and firmware-erase tests. ATA and NVMe drives
//! start from real IDENTIFY / Identify data of the corpus (`fixtures/corpus`, see its
//! PROVENANCE.md); the simulation then holds the state (security, sanitize, media, hidden
//! areas) and answers as the drive's firmware would.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::channel;

use reprise::model::{DiskId, DiskIdentity, Level, MediaType, Transport};
use reprise::sys::passthrough::Passthrough;
use reprise::wipe::capability::{DriveFacts, inspect};
use reprise::wipe::firmware::{self, Env, FirmwareJob, Member};
use reprise::wipe::report::DeviceWipe;
use reprise::wipe::strategy::{DiskStrategy, SanitizeRequest, choose};
use reprise::wipe::{CancelToken, PlannedDevice, ValidatedPlan, VerifySpec, WipeEvent, WipePlan};
use reprise_sim::ata::{SimAta, SimSanitize, SimSecurity};
use reprise_sim::media::SimMedia;
use reprise_sim::nvme::SimNvme;
use reprise_sim::pace::VirtualPace;
use reprise_sim::scsi::SimScsi;

/// 8 MiB of 512-byte sectors.
pub const SECTORS: u64 = 16384;

pub fn corpus(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corpus")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn identity(
    path: &str,
    transport: Transport,
    media: MediaType,
    serial: &str,
    namespace: Option<u32>,
    bytes: u64,
) -> DiskIdentity {
    DiskIdentity {
        id: DiskId::derive(None, transport, Some(serial), namespace, path),
        dev_path: path.to_owned(),
        devno: None,
        vendor: None,
        model: Some(format!("simulated {}", transport.as_str())),
        serial: Some(serial.to_owned()),
        firmware: None,
        wwn: None,
        transport,
        media_type: media,
        size_bytes: bytes,
        logical_sector_size: 512,
    }
}

/// Samsung SSD 860 EVO (real IDENTIFY): security with enhanced erase, frozen by the BIOS as
/// in its dump; no SANITIZE.
pub fn samsung_860() -> SimAta {
    let mut d = SimAta::with_firmware(
        "/dev/sim-sda",
        corpus("ata/Samsung_SSD_860_EVO_500GB.identify.bin"),
        SECTORS,
        1,
    );
    d.fw.security = Some(SimSecurity {
        erase_time: 2,
        enhanced_erase_time: 4,
        ..SimSecurity::frozen_by_bios()
    });
    d
}

/// The same SSD with SANITIZE (block erase, crypto scramble) and security not frozen.
pub fn ssd_with_sanitize() -> SimAta {
    let mut d = samsung_860();
    d.fw.security = Some(SimSecurity::ready());
    d.fw.sanitize = Some(SimSanitize {
        overwrite: false,
        ..SimSanitize::all()
    });
    d
}

/// Toshiba MK1651GSY laptop hard disk (real IDENTIFY): normal security erase only, not
/// frozen here.
pub fn toshiba_hdd() -> SimAta {
    let mut d = SimAta::with_firmware(
        "/dev/sim-sdb",
        corpus("ata/TOSHIBA_MK1651GSY--38IGT0G5T.identify.bin"),
        SECTORS,
        2,
    );
    d.fw.security = Some(SimSecurity {
        enhanced_supported: false,
        ..SimSecurity::ready()
    });
    d
}

/// A hard disk with SANITIZE overwrite and crypto scramble, and enhanced security erase.
pub fn hdd_with_sanitize() -> SimAta {
    let mut d = toshiba_hdd();
    d.fw.security = Some(SimSecurity::ready());
    d.fw.sanitize = Some(SimSanitize {
        block: false,
        ..SimSanitize::all()
    });
    d
}

/// Identify Namespace of 16384 blocks of 512 bytes (LBA format 0), deallocated blocks reading
/// as zeros (DLFEAT 1).
pub fn id_ns() -> Vec<u8> {
    let mut b = vec![0u8; 4096];
    b[0..8].copy_from_slice(&SECTORS.to_le_bytes());
    b[8..16].copy_from_slice(&SECTORS.to_le_bytes());
    b[33] = 1;
    b[128 + 2] = 9;
    b
}

/// An NVMe controller from real Identify Controller data of the corpus.
pub fn nvme_from(idctrl: &str, seed: u64) -> SimNvme {
    SimNvme::with_firmware("/dev/sim-nvme0n1", corpus(idctrl), id_ns(), SECTORS, seed)
}

/// SK hynix Platinum P41 (real): Sanitize block erase only.
pub fn hynix_p41() -> SimNvme {
    nvme_from("nvme/skhynix-platinum-p41-2tb.id-ctrl.bin", 3)
}

/// A Samsung data-center SSD (real Identify): Sanitize crypto and block, Format with crypto
/// erase.
pub fn samsung_pm() -> SimNvme {
    nvme_from("nvme/samsung-anon-3.84tb-MPKD0P21.id-ctrl.bin", 4)
}

/// Toshiba THNSN5 (real): Format only (user data erase), no Sanitize.
pub fn toshiba_nvme() -> SimNvme {
    nvme_from("nvme/toshiba-thnsn5512gpu7.id-ctrl.bin", 5)
}

/// What QEMU 7.2's NVMe controller says (seen in a guest): OACS 10Ah (Format), FNA 0, SANICAP 0.
pub fn qemu_nvme() -> SimNvme {
    let mut c = vec![0u8; 4096];
    c[0..2].copy_from_slice(&0x1b36u16.to_le_bytes());
    c[4..24].copy_from_slice(b"QEMU-SIM-0001       ");
    c[24..64].copy_from_slice(b"QEMU NVMe Ctrl                          ");
    c[64..72].copy_from_slice(b"7.2.0   ");
    c[256..258].copy_from_slice(&0x010au16.to_le_bytes());
    c[516..520].copy_from_slice(&256u32.to_le_bytes());
    SimNvme::with_firmware("/dev/sim-nvme0n1", c, id_ns(), SECTORS, 6)
}

pub fn sas_disk() -> SimScsi {
    SimScsi::new("/dev/sim-sdc", SECTORS, 7)
}

pub fn ata_identity(d: &SimAta, media: MediaType) -> DiskIdentity {
    identity(
        &d.name,
        Transport::Sata,
        media,
        &format!("SIM-{}", d.name.trim_start_matches("/dev/sim-")),
        None,
        d.media().visible_bytes(),
    )
}

pub fn nvme_identity(d: &SimNvme, nsid: u32) -> DiskIdentity {
    identity(
        &format!("/dev/sim-nvme0n{nsid}"),
        Transport::Nvme,
        MediaType::Ssd,
        "SIM-NVME",
        Some(nsid),
        d.media(nsid).visible_bytes(),
    )
}

/// The facts and strategy of one simulated drive for `level`.
pub fn strategy_of(
    drive: &mut dyn Passthrough,
    id: &DiskIdentity,
    req: &SanitizeRequest,
) -> (DriveFacts, DiskStrategy) {
    let facts = inspect(drive, id.transport);
    let ns: BTreeSet<u32> = facts
        .nvme
        .as_ref()
        .map(|n| n.namespaces.iter().copied().collect())
        .unwrap_or_default();
    let s = choose(id, &facts, req, &ns);
    (facts, s)
}

pub fn request(level: Level) -> SanitizeRequest {
    SanitizeRequest {
        can_suspend: Ok(()),
        ..SanitizeRequest::new(level)
    }
}

/// A validated plan of one device with its strategy.
pub fn plan_of(id: &DiskIdentity, s: DiskStrategy, verify: VerifySpec) -> ValidatedPlan {
    WipePlan {
        devices: vec![PlannedDevice {
            path: PathBuf::from(&id.dev_path),
            identity: id.clone(),
            method: s.method.clone(),
            strategy: Some(s),
        }],
        rounds: 1,
        verify,
    }
    .validate()
    .unwrap()
}

/// What a firmware run produced: the records and every event.
pub struct Ran {
    pub wipes: Vec<DeviceWipe>,
    pub events: Vec<WipeEvent>,
}

/// Runs the firmware path on `drive` for every device of `plan`, each on its media, with a
/// virtual clock (a sanitize of an hour takes no time; timeouts are real in virtual time).
pub fn run(
    drive: &mut dyn Passthrough,
    media: &[SimMedia],
    plan: &ValidatedPlan,
    tune: impl Fn(&mut FirmwareJob),
    cancel: &CancelToken,
) -> Ran {
    let mut blocks: Vec<_> = plan
        .devices()
        .iter()
        .zip(media)
        .map(|(d, m)| m.block(d.path()))
        .collect();
    let members: Vec<Member<'_>> = plan
        .devices()
        .iter()
        .zip(blocks.iter_mut())
        .map(|(d, b)| {
            let mut job = FirmwareJob::new(plan, d).expect("a strategy");
            job.job.seed = Some(0x5eed);
            tune(&mut job);
            Member { io: b, job }
        })
        .collect();
    let (tx, rx) = channel();
    let mut pace = VirtualPace::default();
    let wipes = firmware::sanitize(
        drive,
        members,
        Env {
            events: &tx,
            cancel,
            pace: &mut pace,
        },
    );
    drop(tx);
    Ran {
        wipes,
        events: rx.iter().collect(),
    }
}

/// One device, default tuning, not cancelled.
pub fn run1(drive: &mut dyn Passthrough, media: &SimMedia, plan: &ValidatedPlan) -> DeviceWipe {
    run(
        drive,
        std::slice::from_ref(media),
        plan,
        |_| {},
        &CancelToken::new(),
    )
    .wipes
    .remove(0)
}
