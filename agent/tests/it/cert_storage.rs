//! The certificate lists what is storage but not a disk (an optical drive, the eMMC's boot
//! partitions, an NVMe namespace the kernel did not show) with what was done to it, and the
//! storage controllers with the disks they show or the step that makes hidden disks visible —
//! additive members, absent from certificates that have none (the golden files keep their
//! bytes), signed like the rest, in the certificate's language.

use reprise::cert::build::build_certificate;
use reprise::cert::model::{ChainLink, Language, StorageHandling};
use reprise::cert::{envelope, render};
use reprise::model::{Field, Level, Transport};
use reprise::probe::model::{
    Controller, ControllerFinding, ControllerKind, OtherStorage, StorageKind,
};
use reprise::wipe::VerifySpec;
use reprise::wipe::report::DeviceWipe;

use crate::support::{certs, drives};

fn link() -> ChainLink {
    ChainLink {
        station_key_id: "sha256:00".into(),
        sequence: 1,
        previous_digest: None,
    }
}

/// The fixture's NVMe disk purged by a simulated NVMe Sanitize whose record names `namespaces`
/// as erased (a Sanitize erases every namespace of its controller, shown by the kernel or not).
pub fn sanitized_with_namespaces(namespaces: &[u32]) -> DeviceWipe {
    let mut d = drives::samsung_pm();
    let mut id = certs::probe().disks[0].identity();
    id.size_bytes = drives::SECTORS * 512;
    let media = d.media(1).clone();
    let (_, s) = drives::strategy_of(&mut d, &id, &drives::request(Level::Purge));
    let mut w = drives::run1(
        &mut d,
        &media,
        &drives::plan_of(&id, s, VerifySpec::Sample { permille: 100 }),
    );
    assert!(w.is_sanitized());
    w.firmware.as_mut().unwrap().namespaces = namespaces.to_vec();
    assert!(
        w.is_sanitized(),
        "the namespaces erased are the record's to say"
    );
    w
}

fn stored(name: &str, kind: StorageKind, handling: StorageHandling) -> OtherStorage {
    OtherStorage {
        name: name.into(),
        dev_path: Some(format!("/dev/{name}")),
        kind,
        id: None,
        part_of: None,
        vendor: Field::Known("QEMU".into()),
        model: Field::Known("QEMU DVD-ROM".into()),
        serial: Field::Unknown("none".into()),
        transport: Transport::Sata,
        size_bytes: Field::Known(0),
        read_only: Field::Known(true),
        handling,
        evidence: "test".into(),
    }
}

fn controller(address: &str, kind: ControllerKind, driver: Option<&str>) -> Controller {
    Controller {
        address: address.into(),
        kind,
        class: "010601".into(),
        vendor_id: "8086".into(),
        device_id: "2922".into(),
        driver: driver.map(Into::into),
        disks: vec![],
        other_storage: vec![],
        remapped_nvme: None,
        finding: None,
    }
}

#[test]
fn storage_and_controllers_are_listed_with_what_was_done() {
    for lang in [Language::En, Language::Fr] {
        let mut inputs = certs::inputs("wipe-passed.json", lang, "2026-12-01T10:00:00.000Z");
        let p = &mut inputs.probe;
        let mut ns2 = stored(
            "nvme0 namespace 2",
            StorageKind::NvmeNamespace,
            StorageHandling::NotSanitized,
        );
        ns2.id = Some("nvme:S41GNX0M123456:ns2".parse().unwrap());
        p.other_storage = vec![
            stored("sr0", StorageKind::OpticalDrive, StorageHandling::NoMedium),
            stored(
                "mmcblk0boot0",
                StorageKind::EmmcBootPartition,
                StorageHandling::NotWritten,
            ),
            ns2,
        ];
        let mut ahci = controller("0000:00:1f.2", ControllerKind::SataAhci, Some("ahci"));
        ahci.disks = vec![p.disks[0].id.clone()];
        let mut raid = controller("0000:00:17.0", ControllerKind::Raid, None);
        raid.device_id = "282a".into();
        raid.finding = Some(ControllerFinding::RaidMode);
        let mut wifi = controller(
            "0000:03:00.0",
            ControllerKind::OtherNetwork,
            Some("iwlwifi"),
        );
        wifi.class = "028000".into();
        p.controllers = vec![ahci, raid, wifi];
        inputs.verdict = reprise::verdict::evaluate(
            &inputs.probe,
            &inputs.wipe,
            &inputs.health,
            &reprise::verdict::Policy::default(),
        );
        let key = certs::test_key();
        let station = ChainLink {
            station_key_id: reprise::cert::sign::key_id(&key.verifying_key()),
            ..link()
        };
        let cert = build_certificate(
            &inputs,
            "2026-12-01T10:00:00.000Z".into(),
            station,
            "t".into(),
        );
        let m = &cert.machine;
        let listed: Vec<(&str, StorageHandling)> = m
            .other_storage
            .iter()
            .map(|o| (o.name.as_str(), o.handling))
            .collect();
        assert_eq!(
            listed,
            [
                ("sr0", StorageHandling::NoMedium),
                ("mmcblk0boot0", StorageHandling::NotWritten),
                ("nvme0 namespace 2", StorageHandling::NotSanitized),
            ]
        );
        assert_eq!(
            m.other_storage[2].id.as_deref(),
            Some("nvme:S41GNX0M123456:ns2")
        );
        // Storage controllers all, network ones only without a driver: the Wi-Fi card is not.
        let addresses: Vec<&str> = m.controllers.iter().map(|c| c.address.as_str()).collect();
        assert_eq!(addresses, ["0000:00:1f.2", "0000:00:17.0"]);
        assert_eq!(m.controllers[0].disks, ["nvme:S41GNX0M123456:ns1"]);
        assert_eq!(m.controllers[0].message, None);

        let env = envelope::seal(cert.clone(), &key).unwrap();
        let bytes = envelope::to_file_bytes(&env);
        let v = envelope::verify(&bytes, Some(&key.verifying_key())).unwrap();
        assert_eq!(v.envelope.certificate, cert);
        let text = render::text(&cert, &v.digest);
        let want: &[&str] = match lang {
            Language::En => &[
                "QEMU DVD-ROM — optical drive, empty: nothing stored, nothing to sanitize",
                "eMMC boot partition, not written: read-only by default, and outside the user area",
                "NVMe namespace the kernel does not show, not sanitized: no disk of the system reaches it",
                "Controller 0000:00:17.0  RAID 8086:282a, no driver — SATA in RAID mode (Intel RST) with no driver — BIOS → Storage → SATA operation: AHCI, then start again",
                "Controller 0000:00:1f.2  SATA (AHCI) 8086:2922, driver ahci, disks nvme:S41GNX0M123456:ns1",
                "disk nvme:S41GNX0M123456:ns2 was not sanitized (nvme0 namespace 2: the kernel shows no disk for it)",
            ],
            Language::Fr => &[
                "lecteur optique, vide : rien n'y est stocké, rien à effacer",
                "partition de démarrage eMMC, non écrite : en lecture seule par défaut",
                "espace de noms NVMe que le noyau ne montre pas, non effacé",
                "Contrôleur 0000:00:17.0",
                "SATA en mode RAID (Intel RST) sans pilote — BIOS → Stockage → SATA Operation : AHCI, puis recommencer",
                "des disques peuvent être cachés derrière le contrôleur 0000:00:17.0 (8086:282a) : SATA en mode RAID (Intel RST) sans pilote",
            ],
        };
        for line in want {
            assert!(text.contains(line), "{line:?} not in:\n{text}");
        }
    }
}

/// Without any such storage or controller, the certificate carries neither member: the
/// certificates issued before keep their exact bytes.
#[test]
fn the_members_are_absent_when_there_is_nothing_to_list() {
    let inputs = certs::inputs("wipe-passed.json", Language::En, "2026-12-01T10:00:00.000Z");
    let cert = build_certificate(
        &inputs,
        "2026-12-01T10:00:00.000Z".into(),
        link(),
        "t".into(),
    );
    let json = serde_json::to_value(&cert).unwrap();
    let machine = json["machine"].as_object().unwrap();
    assert!(!machine.contains_key("other_storage"), "{machine:?}");
    assert!(!machine.contains_key("controllers"), "{machine:?}");
}

/// A namespace the kernel did not show, erased by the NVMe Sanitize of its controller (run
/// through the namespace that was shown): the certificate says so, and the verdict does not
/// count it as a disk not sanitized.
#[test]
fn a_hidden_namespace_erased_with_its_controller_says_so() {
    let mut inputs = certs::inputs("wipe-passed.json", Language::En, "2026-12-01T10:00:00.000Z");
    let mut ns2 = stored(
        "nvme0 namespace 2",
        StorageKind::NvmeNamespace,
        StorageHandling::NotSanitized,
    );
    ns2.id = Some("nvme:S41GNX0M123456:ns2".parse().unwrap());
    inputs.probe.other_storage = vec![ns2];
    inputs.wipe.devices = vec![sanitized_with_namespaces(&[1, 2])];
    inputs.verdict = reprise::verdict::evaluate(
        &inputs.probe,
        &inputs.wipe,
        &inputs.health,
        &reprise::verdict::Policy::default(),
    );
    let cert = build_certificate(
        &inputs,
        "2026-12-01T10:00:00.000Z".into(),
        link(),
        "t".into(),
    );
    let ns = &cert.machine.other_storage[0];
    assert_eq!(ns.handling, StorageHandling::ErasedWithController);
    assert_eq!(
        ns.message,
        "NVMe namespace the kernel does not show, erased with its whole controller by the NVMe Sanitize of another namespace"
    );
    assert!(
        !cert
            .verdict
            .reasons
            .iter()
            .any(|r| r.message.contains(":ns2")),
        "{:?}",
        cert.verdict.reasons
    );
}
