//! The plan on simulated drives of every kind: what each supports, the technique chosen for the
//! level asked and the level it reaches, its fallbacks in order, and the explanation an operator
//! reads. The drives start from real IDENTIFY / Identify data (the corpus); the whole plan text
//! is a snapshot an operator can read (`snapshots/purge_plan__*.snap`).

use std::collections::BTreeSet;

use reprise::cli::plan::{human, view};
use reprise::flow::{Inspection, RunPlan};
use reprise::model::{Language, Level, MediaType, Transport};
use reprise::wipe::capability::{DriveFacts, inspect};
use reprise::wipe::strategy::{DiskStrategy, choose};
use reprise::wipe::technique::Technique;
use reprise::wipe::{PlannedDevice, VerifySpec, WipePlan};
use reprise_cert::plan::{Explanation, SanitizeKind};
use reprise_sim::ata::{SimAta, SimSecurity};

use crate::support::drives;
use drives::*;

/// Technique, level, fallbacks.
type Want = (String, Level, Vec<String>);

fn names(s: &DiskStrategy) -> Want {
    (
        s.technique.name(),
        s.level,
        s.fallbacks.iter().map(|t| t.name()).collect(),
    )
}

fn t(name: &str) -> String {
    name.to_owned()
}

#[test]
fn nvme_drives_get_their_best_purge() {
    let req = request(Level::Purge);
    let cases: Vec<(&str, reprise_sim::nvme::SimNvme, Want)> = vec![
        (
            "SK hynix P41: Sanitize block erase",
            hynix_p41(),
            // Its Format works per namespace: not a fallback of a controller-wide command.
            (t("nvme-sanitize-block"), Level::Purge, vec![t("overwrite")]),
        ),
        (
            "Samsung PM: Sanitize crypto first",
            samsung_pm(),
            (
                t("nvme-sanitize-crypto"),
                Level::Purge,
                vec![t("nvme-sanitize-block"), t("overwrite")],
            ),
        ),
        (
            "Toshiba: Format user data erase",
            toshiba_nvme(),
            (
                t("nvme-format-user-data"),
                Level::Purge,
                vec![t("overwrite")],
            ),
        ),
        (
            "QEMU: Format user data erase",
            qemu_nvme(),
            (
                t("nvme-format-user-data"),
                Level::Purge,
                vec![t("overwrite")],
            ),
        ),
    ];
    for (what, mut d, want) in cases {
        let id = nvme_identity(&d, 1);
        let (_, s) = strategy_of(&mut d, &id, &req);
        assert_eq!(names(&s), want, "{what}: {:#?}", s.explanations);
        assert_eq!(s.requested, Level::Purge);
        assert!(s.explanations[0].is_chosen(), "{what}");
    }
}

#[test]
fn the_samsung_pm_crypto_format_is_controller_wide_so_it_falls_in_with_the_sanitize() {
    // FNA bit 2 (crypto erase) without bits 0-1: its Format works per namespace; the Sanitize
    // is controller-wide. Fallbacks keep the scope of the choice.
    let mut d = samsung_pm();
    let id = nvme_identity(&d, 1);
    let (facts, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    let n = facts.nvme.as_ref().unwrap();
    assert!(n.crypto_erase && n.sanitize_crypto && n.sanitize_block);
    assert_eq!(n.namespaces, vec![1]);
    assert!(s.controller.is_some());
    assert!(!s.fallbacks.contains(&Technique::NvmeFormat(
        reprise::wipe::technique::FormatErase::Crypto
    )));
}

#[test]
fn controller_wide_commands_never_reach_a_namespace_outside_the_plan() {
    let mut d = hynix_p41();
    d.fw.media.insert(
        2,
        reprise_sim::media::SimMedia::new((SECTORS * 512) as usize, 512, 9),
    );
    d.id_ns.insert(2, id_ns());
    let id = nvme_identity(&d, 1);
    let facts = inspect(&mut d, Transport::Nvme);
    assert_eq!(facts.nvme.as_ref().unwrap().namespaces, vec![1, 2]);
    // Only namespace 1 in the plan: no Sanitize (it would erase namespace 2); per-namespace
    // Format instead (FNA 0).
    let s = choose(&id, &facts, &request(Level::Purge), &BTreeSet::from([1]));
    assert_eq!(s.technique.name(), "nvme-format-user-data");
    assert!(s.controller.is_none());
    assert!(s.explanations.contains(&Explanation::NvmeOtherNamespaces {
        namespaces: vec![2]
    }));
    // Both in the plan: the Sanitize, for both, validated together.
    let both = BTreeSet::from([1, 2]);
    let s1 = choose(&id, &facts, &request(Level::Purge), &both);
    assert_eq!(s1.technique.name(), "nvme-sanitize-block");
    let id2 = nvme_identity(&d, 2);
    let mut f2 = facts.clone();
    f2.nvme.as_mut().unwrap().nsid = 2;
    let s2 = choose(&id2, &f2, &request(Level::Purge), &both);
    let dev = |id: &reprise::model::DiskIdentity, s: DiskStrategy| PlannedDevice {
        path: id.dev_path.clone().into(),
        identity: id.clone(),
        method: s.method.clone(),
        strategy: Some(s),
    };
    assert!(
        WipePlan {
            devices: vec![dev(&id, s1.clone()), dev(&id2, s2)],
            rounds: 1,
            verify: VerifySpec::Sample { permille: 100 },
        }
        .validate()
        .is_ok()
    );
    // A plan naming one namespace with a controller-wide strategy is refused.
    let e = WipePlan {
        devices: vec![dev(&id, s1)],
        rounds: 1,
        verify: VerifySpec::Sample { permille: 100 },
    }
    .validate()
    .unwrap_err();
    assert!(e.to_string().contains("erases every namespace"), "{e}");
}

#[test]
fn ata_drives_by_media_and_state() {
    let req = request(Level::Purge);
    let cases: Vec<(&str, SimAta, MediaType, Want)> = vec![
        (
            "SSD with SANITIZE: block erase first",
            ssd_with_sanitize(),
            MediaType::Ssd,
            (
                t("ata-sanitize-block"),
                Level::Purge,
                vec![t("ata-sanitize-crypto"), t("overwrite")],
            ),
        ),
        (
            "HDD with SANITIZE: overwrite first, enhanced erase after",
            hdd_with_sanitize(),
            MediaType::Hdd,
            (
                t("ata-sanitize-overwrite"),
                Level::Purge,
                vec![
                    t("ata-sanitize-crypto"),
                    t("ata-security-erase-enhanced"),
                    t("overwrite"),
                ],
            ),
        ),
        (
            "860 EVO: security erase is a Clear on an SSD",
            samsung_860(),
            MediaType::Ssd,
            (t("overwrite"), Level::Clear, vec![]),
        ),
        (
            "Toshiba HDD: normal erase only is a Clear",
            toshiba_hdd(),
            MediaType::Hdd,
            (t("overwrite"), Level::Clear, vec![]),
        ),
    ];
    for (what, mut d, media, want) in cases {
        let id = ata_identity(&d, media);
        let (_, s) = strategy_of(&mut d, &id, &req);
        assert_eq!(names(&s), want, "{what}: {:#?}", s.explanations);
    }
    // The SSD whose only erase is a Clear says why there is no Purge, and that it is frozen.
    let mut d = samsung_860();
    let id = ata_identity(&d, MediaType::Ssd);
    let (facts, s) = strategy_of(&mut d, &id, &req);
    let a = facts.ata.unwrap();
    assert!(a.security_supported && a.frozen && a.enhanced_erase_supported);
    assert_eq!(a.enhanced_erase_minutes, Some(8));
    assert!(s.explanations.contains(&Explanation::PurgeUnavailable));
    assert!(s.explanations.contains(&Explanation::AtaSecurityFrozen {
        can_suspend: true,
        why_not: None
    }));
    assert!(!s.unfreeze_would_help, "unfreezing brings only a Clear");
}

#[test]
fn a_frozen_hdd_asks_for_a_suspend_and_gets_its_purge_after_it() {
    let mut d = toshiba_hdd();
    d.fw.security = Some(SimSecurity::frozen_by_bios());
    let id = ata_identity(&d, MediaType::Hdd);
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    assert_eq!(s.technique, Technique::Overwrite);
    assert!(s.unfreeze_would_help);
    // Suspend to RAM and resume: the drive loses power, the BIOS does not run.
    d.power_cycle(true);
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Purge));
    assert_eq!(s.technique, Technique::AtaSecurityErase { enhanced: true });
    assert_eq!(s.level, Level::Purge);
    // A machine that cannot suspend says so plainly.
    let mut d = toshiba_hdd();
    d.fw.security = Some(SimSecurity::frozen_by_bios());
    let mut req = request(Level::Purge);
    req.can_suspend = Err("the firmware offers only suspend-to-idle".into());
    let (_, s) = strategy_of(&mut d, &id, &req);
    let line = s
        .explanations
        .iter()
        .map(|e| reprise_cert::plan::explanation(e, Language::En))
        .find(|l| l.starts_with("ATA security frozen"))
        .unwrap();
    assert!(
        line.contains("cannot suspend to RAM (the firmware offers only suspend-to-idle)"),
        "{line}"
    );
}

#[test]
fn usb_sd_virtual_and_scsi() {
    let req = request(Level::Purge);
    // A USB bridge that refuses ATA pass-through.
    let mut usb = samsung_860();
    usb.bridge_refuses = true;
    let id = identity(
        "/dev/sim-sdd",
        Transport::Usb,
        MediaType::Flash,
        "U1",
        None,
        1 << 23,
    );
    let (_, s) = strategy_of(&mut usb, &id, &req);
    assert_eq!(s.technique, Technique::Overwrite);
    assert_eq!(s.method.to_string(), "pattern-complement:55");
    let en: Vec<String> = s
        .explanations
        .iter()
        .map(|e| reprise_cert::plan::explanation(e, Language::En))
        .collect();
    assert!(
        en.iter()
            .any(|l| l.starts_with("USB bridge: no passthrough (")
                && l.ends_with("— overwrite only: Clear, not Purge")),
        "{en:#?}"
    );
    // An SD card: no drive to ask.
    let id = identity(
        "/dev/sim-mmc",
        Transport::Mmc,
        MediaType::Flash,
        "M1",
        None,
        1 << 23,
    );
    let s = choose(
        &id,
        &DriveFacts::not_asked("no firmware"),
        &req,
        &BTreeSet::new(),
    );
    assert!(s.explanations.contains(&Explanation::FlashNoPurge));
    assert_eq!(s.level, Level::Clear);
    // A virtio disk.
    let id = identity(
        "/dev/vda",
        Transport::Virtio,
        MediaType::Unknown,
        "V1",
        None,
        1 << 23,
    );
    let s = choose(
        &id,
        &DriveFacts::not_asked("virtio"),
        &req,
        &BTreeSet::new(),
    );
    assert!(s.explanations.contains(&Explanation::NoDriveFirmware {
        transport: "virtio".into()
    }));
    // A SAS disk with SANITIZE overwrite and crypto erase: overwrite first.
    let mut sas = sas_disk();
    let id = identity(
        "/dev/sim-sdc",
        Transport::Scsi,
        MediaType::Hdd,
        "S1",
        None,
        1 << 23,
    );
    let (facts, s) = strategy_of(&mut sas, &id, &req);
    assert!(facts.ata.is_none(), "a SAS disk answers no ATA");
    assert_eq!(
        names(&s),
        (
            t("scsi-sanitize-overwrite"),
            Level::Purge,
            vec![t("scsi-sanitize-crypto"), t("overwrite")]
        )
    );
    // A SAS disk that cannot report its commands: unsupported, with the reason.
    let mut sas = sas_disk();
    sas.no_rsoc = true;
    let (_, s) = strategy_of(&mut sas, &id, &req);
    assert_eq!(s.technique, Technique::Overwrite);
    assert!(
        s.explanations.iter().any(|e| matches!(
            e,
            Explanation::ScsiNoSanitize { why } if why.contains("ASC 0x20")
        )),
        "{:#?}",
        s.explanations
    );
}

#[test]
fn clear_is_always_an_overwrite() {
    let req = request(Level::Clear);
    let mut d = samsung_pm();
    let id = nvme_identity(&d, 1);
    let (_, s) = strategy_of(&mut d, &id, &req);
    assert_eq!(names(&s), (t("overwrite"), Level::Clear, vec![]));
    assert!(!s.explanations.contains(&Explanation::PurgeUnavailable));
}

#[test]
fn hidden_areas_are_found_and_planned() {
    let mut d = toshiba_hdd();
    d.set_dco(50);
    d.set_hpa(100);
    let id = ata_identity(&d, MediaType::Hdd);
    let (facts, s) = strategy_of(&mut d, &id, &request(Level::Clear));
    let a = facts.ata.unwrap();
    assert_eq!(
        (a.identify_sectors, a.native_sectors, a.factory_sectors),
        (SECTORS - 150, Some(SECTORS - 50), Some(SECTORS))
    );
    let h = s.hidden.as_ref().unwrap();
    assert_eq!((h.hpa_sectors, h.dco_sectors), (Some(100), Some(50)));
    assert!(s.explanations.contains(&Explanation::HpaFound {
        sectors: 100,
        remove: true
    }));
    assert!(s.explanations.contains(&Explanation::DcoFound {
        sectors: 50,
        restore: false
    }));
    let mut req = request(Level::Clear);
    req.dco_restore = true;
    let (_, s) = strategy_of(&mut d, &id, &req);
    assert_eq!(s.hidden.as_ref().unwrap().sectors_after(), SECTORS);
    let mut d = toshiba_hdd();
    let (_, s) = strategy_of(&mut d, &id, &request(Level::Clear));
    assert!(s.explanations.contains(&Explanation::NothingHidden));
}

/// The whole plan text for a laptop shelf of simulated drives, as `reprise plan` prints it.
#[test]
fn plan_text_of_simulated_drives() {
    let mut devices = Vec::new();
    let mut add = |id: reprise::model::DiskIdentity, s: DiskStrategy| {
        devices.push(PlannedDevice {
            path: id.dev_path.clone().into(),
            identity: id,
            method: s.method.clone(),
            strategy: Some(s),
        })
    };
    let req = request(Level::Purge);
    let mut d = samsung_pm();
    let mut id = nvme_identity(&d, 1);
    id.dev_path = "/dev/nvme0n1".into();
    add(id.clone(), strategy_of(&mut d, &id, &req).1);
    let mut d = qemu_nvme();
    let mut id = nvme_identity(&d, 1);
    id.dev_path = "/dev/nvme1n1".into();
    id.id = reprise::model::DiskId::derive(None, Transport::Nvme, Some("QEMU-SIM"), Some(1), "x");
    add(id.clone(), strategy_of(&mut d, &id, &req).1);
    let mut d = ssd_with_sanitize();
    d.set_hpa(2048);
    let mut id = ata_identity(&d, MediaType::Ssd);
    id.dev_path = "/dev/sda".into();
    add(id.clone(), strategy_of(&mut d, &id, &req).1);
    let mut d = samsung_860();
    let mut id = ata_identity(&d, MediaType::Ssd);
    id.dev_path = "/dev/sdb".into();
    id.id = reprise::model::DiskId::derive(None, Transport::Sata, Some("S3Z1-860"), None, "x");
    add(id.clone(), strategy_of(&mut d, &id, &req).1);
    let mut d = toshiba_hdd();
    d.fw.security = Some(SimSecurity::frozen_by_bios());
    let mut id = ata_identity(&d, MediaType::Hdd);
    id.dev_path = "/dev/sdc".into();
    add(id.clone(), strategy_of(&mut d, &id, &req).1);
    let mut usb = samsung_860();
    usb.bridge_refuses = true;
    let id = identity(
        "/dev/sdd",
        Transport::Usb,
        MediaType::Flash,
        "USB-1",
        None,
        1 << 23,
    );
    add(id.clone(), strategy_of(&mut usb, &id, &req).1);
    let mut sas = sas_disk();
    let id = identity(
        "/dev/sde",
        Transport::Scsi,
        MediaType::Hdd,
        "SAS-1",
        None,
        1 << 23,
    );
    add(id.clone(), strategy_of(&mut sas, &id, &req).1);
    let plan = WipePlan {
        devices,
        rounds: 1,
        verify: VerifySpec::Sample { permille: 100 },
    }
    .validate()
    .unwrap();
    let run = RunPlan {
        wipe: Some(plan),
        skipped: Vec::new(),
        verify: VerifySpec::Sample { permille: 100 },
        level: Level::Purge,
    };
    let inspection = Inspection {
        drives: Default::default(),
        can_suspend: Some(Ok(())),
    };
    let text = human(&view(&run, &inspection, Language::En));
    insta::assert_snapshot!("plan_en", text);
    let fr = human(&view(&run, &inspection, Language::Fr));
    insta::assert_snapshot!("plan_fr", fr);
    // Everything in --json is data: each explanation a key with parameters and its message.
    let json = serde_json::to_value(view(&run, &inspection, Language::En)).unwrap();
    assert_eq!(json["disks"][0]["technique"], "nvme-sanitize-crypto");
    assert_eq!(json["disks"][0]["explanations"][0]["key"], "nvme_sanitize");
    assert_eq!(json["disks"][0]["explanations"][0]["action"], "crypto");
    assert!(
        json["disks"][0]["explanations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("the fastest Purge")
    );
    let _ = SanitizeKind::Crypto;
}

/// `flow::plan_with`: a recorded laptop's NVMe disk, with what its (simulated) drive says.
#[test]
fn the_run_plans_each_disk_from_what_its_drive_says() {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/probe/laptop-nvme");
    let probe = reprise::probe::probe(&reprise::sys::SysRoot::new(root)).unwrap();
    let disk = probe
        .disks
        .iter()
        .find(|d| d.transport == Transport::Nvme)
        .unwrap();
    let mut d = qemu_nvme();
    let facts = inspect(&mut d, Transport::Nvme);
    let inspection = Inspection {
        drives: [(disk.id.clone(), facts)].into_iter().collect(),
        can_suspend: Some(Err("test tree".into())),
    };
    let purge = reprise::flow::Settings {
        level: Level::Purge,
        ..Default::default()
    };
    let plan = reprise::flow::plan_with(&probe, &inspection, &purge).unwrap();
    let s = plan.targets()[0].strategy().unwrap();
    assert_eq!(
        (s.technique.name().as_str(), s.level),
        ("nvme-format-user-data", Level::Purge)
    );
    assert!(plan.targets()[0].needs_firmware());
    let clear = reprise::flow::plan_with(&probe, &inspection, &Default::default()).unwrap();
    let s = clear.targets()[0].strategy().unwrap();
    assert_eq!(s.technique, Technique::Overwrite);
    assert!(!clear.targets()[0].needs_firmware());
    // Without inspection (a test tree), the plan is the overwrite it always was.
    let plain = reprise::flow::plan(&probe, &purge).unwrap();
    assert!(plain.targets()[0].strategy().is_none());
}
