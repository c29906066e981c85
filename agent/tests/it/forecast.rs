//! The forecast of the first screen ("expected, if the planned disks are sanitized") judges
//! what-if records with the one predicate, `DeviceWipe::is_sanitized`. Each what-if is built by
//! the code that builds the real record of its technique (`wipe::as_if_sanitized`), so:
//!
//! - every firmware Purge the planner can choose — each technique, on each media, over each
//!   transport, with and without `--then-zero`, under every verification — gives a what-if the
//!   predicate calls sanitized (a change of its rules that a real success still meets cannot
//!   send a purged disk to destruction in the forecast again), and without verification one it
//!   calls unverified, as a real run would;
//! - the what-if says what a real success on a simulated drive records.
//!
//! `tui_screens.rs` checks the forecast itself: a disk the plan purges is never sent to
//! destruction.

use std::collections::BTreeSet;
use std::path::PathBuf;

use reprise::model::{DiskId, DiskIdentity, Level, MediaType, Transport};
use reprise::sys::passthrough::Passthrough;
use reprise::wipe::capability::{
    Access, AtaFacts, AtaSanitizeFacts, DriveFacts, NvmeFacts, ScsiFacts,
};
use reprise::wipe::report::{DeviceWipe, Outcome, PostErase};
use reprise::wipe::strategy::{DiskStrategy, SanitizeRequest, choose};
use reprise::wipe::technique::{FormatErase, Technique};
use reprise::wipe::{Method, PlannedDevice, ValidatedPlan, VerifySpec, WipePlan, as_if_sanitized};
use reprise_cert::plan::SanitizeKind;
use reprise_sim::media::SimMedia;

use crate::support::drives::{self, *};

/// Every media; a new one does not compile until it is listed here.
fn every_media() -> Vec<MediaType> {
    use MediaType::*;
    let listed = |m: MediaType| match m {
        Hdd | Ssd | Flash | File | Unknown => (),
    };
    let all = vec![Hdd, Ssd, Flash, File, Unknown];
    all.iter().copied().for_each(listed);
    all
}

/// Every transport; a new one does not compile until it is listed here.
fn every_transport() -> Vec<Transport> {
    use Transport::*;
    let listed = |t: Transport| match t {
        Nvme | Sata | Usb | Mmc | Virtio | Scsi | Loop | File | Unknown => (),
    };
    let all = vec![Nvme, Sata, Usb, Mmc, Virtio, Scsi, Loop, File, Unknown];
    all.iter().copied().for_each(listed);
    all
}

fn disk(transport: Transport, media: MediaType, bytes: u64, sector: u32) -> DiskIdentity {
    DiskIdentity {
        id: DiskId::derive(None, transport, Some("WHAT-IF"), None, "/dev/what-if"),
        media_type: media,
        transport,
        size_bytes: bytes,
        logical_sector_size: sector,
        ..DiskIdentity::for_file("/dev/what-if", bytes)
    }
}

fn ata(sectors: u64) -> AtaFacts {
    AtaFacts {
        model: "WHAT-IF".into(),
        serial: "WHAT-IF".into(),
        security_supported: false,
        security_enabled: false,
        locked: false,
        frozen: false,
        password_attempts_expired: false,
        enhanced_erase_supported: false,
        erase_minutes: None,
        enhanced_erase_minutes: None,
        sanitize: None,
        sector_size: 512,
        identify_sectors: sectors,
        native_sectors: Some(sectors),
        factory_sectors: Some(sectors),
        hidden_why: None,
        lba48: true,
        amac: false,
        dco_supported: true,
    }
}

/// A drive that answered and offers `t` alone (an NVMe namespace's deallocated blocks reading
/// as `dealloc` says).
fn offering(t: Technique, sectors: u64, dealloc: Option<PostErase>) -> DriveFacts {
    let mut f = DriveFacts {
        access: Access::Inspected,
        ata: None,
        nvme: None,
        scsi: None,
    };
    let kinds = |k: SanitizeKind| {
        (
            k == SanitizeKind::Crypto,
            k == SanitizeKind::Block,
            k == SanitizeKind::Overwrite,
        )
    };
    let nvme = || NvmeFacts {
        controller: "WHAT-IF".into(),
        nsid: 1,
        namespaces: vec![1],
        sanitize_crypto: false,
        sanitize_block: false,
        sanitize_overwrite: false,
        format: false,
        format_all_namespaces: false,
        secure_erase_all_namespaces: false,
        crypto_erase: false,
        lba_format: 0,
        mset: false,
        pi: 0,
        pil: false,
        dealloc,
        estimate_crypto_s: None,
        estimate_block_s: None,
        estimate_overwrite_s: None,
        sanitize_state: None,
    };
    match t {
        Technique::Overwrite => {}
        Technique::NvmeSanitize(k) => {
            let (crypto, block, overwrite) = kinds(k);
            f.nvme = Some(NvmeFacts {
                sanitize_crypto: crypto,
                sanitize_block: block,
                sanitize_overwrite: overwrite,
                ..nvme()
            });
        }
        Technique::NvmeFormat(e) => {
            f.nvme = Some(NvmeFacts {
                format: true,
                crypto_erase: e == FormatErase::Crypto,
                ..nvme()
            });
        }
        Technique::AtaSanitize(k) => {
            let (crypto, block, overwrite) = kinds(k);
            f.ata = Some(AtaFacts {
                sanitize: Some(AtaSanitizeFacts {
                    crypto,
                    block,
                    overwrite,
                    frozen: Some(false),
                    in_progress: false,
                }),
                ..ata(sectors)
            });
        }
        Technique::AtaSecurityErase { enhanced } => {
            f.ata = Some(AtaFacts {
                security_supported: true,
                enhanced_erase_supported: enhanced,
                erase_minutes: Some(60),
                enhanced_erase_minutes: Some(60),
                ..ata(sectors)
            });
        }
        Technique::ScsiSanitize(k) => {
            let (crypto, block, overwrite) = kinds(k);
            f.scsi = Some(ScsiFacts {
                overwrite,
                block,
                crypto,
                why_unknown: None,
            });
        }
    }
    f
}

fn plan_of(
    id: &DiskIdentity,
    method: Method,
    s: Option<DiskStrategy>,
    v: VerifySpec,
) -> ValidatedPlan {
    WipePlan {
        devices: vec![PlannedDevice {
            path: PathBuf::from(&id.dev_path),
            identity: id.clone(),
            method,
            strategy: s,
        }],
        rounds: 1,
        verify: v,
    }
    .validate()
    .unwrap()
}

fn what_if(plan: &ValidatedPlan) -> DeviceWipe {
    as_if_sanitized(plan, &plan.devices()[0])
}

/// Every verification an operator can ask for, from the least share to every sector.
const VERIFIED: [VerifySpec; 4] = [
    VerifySpec::Sample { permille: 1 },
    VerifySpec::Sample { permille: 100 },
    VerifySpec::Sample { permille: 1000 },
    VerifySpec::Full,
];

/// Disks of a few sectors, of 8 MiB, of 64 GiB and of 4 KiB sectors (bytes, sector size).
const SIZES: [(u64, u32); 4] = [
    (3 * 512, 512),
    (8 << 20, 512),
    (64 << 30, 512),
    (1 << 30, 4096),
];

#[test]
fn every_firmware_purge_the_planner_can_choose_is_forecast_sanitized() {
    let mut chosen: BTreeSet<(String, &str, &str)> = BTreeSet::new();
    let mut runs = 0usize;
    for t in Technique::all().into_iter().filter(|t| t.is_firmware()) {
        let deallocs: &[Option<PostErase>] = if t.fits(Transport::Nvme) {
            &[None, Some(PostErase::Zeros), Some(PostErase::Ones)]
        } else {
            &[None]
        };
        for media in every_media() {
            for transport in every_transport() {
                for &(bytes, sector) in &SIZES {
                    let id = disk(transport, media, bytes, sector);
                    for &dealloc in deallocs {
                        let facts = offering(t, bytes / u64::from(sector), dealloc);
                        for then_zero in [false, true] {
                            let req = SanitizeRequest {
                                then_zero,
                                can_suspend: Ok(()),
                                ..SanitizeRequest::new(Level::Purge)
                            };
                            let s = choose(&id, &facts, &req, &BTreeSet::from([1]));
                            if s.technique != t {
                                continue;
                            }
                            chosen.insert((t.name(), media.as_str(), transport.as_str()));
                            let case = format!(
                                "{t} on {} over {}, {bytes} bytes in sectors of {sector}, dealloc {dealloc:?}, then_zero {then_zero}",
                                media.as_str(),
                                transport.as_str()
                            );
                            for v in VERIFIED {
                                let plan = plan_of(&id, s.method.clone(), Some(s.clone()), v);
                                let w = what_if(&plan);
                                assert!(
                                    w.is_sanitized(),
                                    "{case}, {v:?}: {:?}",
                                    w.check_consistency()
                                );
                                assert_eq!(
                                    (w.technique.as_str(), w.level, w.method.as_str()),
                                    (
                                        t.name().as_str(),
                                        Level::Purge,
                                        if then_zero { "zero" } else { "none" }
                                    ),
                                    "{case}, {v:?}"
                                );
                                assert!(w.reaches_remapped(), "{case}");
                                runs += 1;
                            }
                            // Without verification a real run is unverified, not sanitized:
                            // so is the forecast, and its record is one a run can produce.
                            let plan =
                                plan_of(&id, s.method.clone(), Some(s.clone()), VerifySpec::None);
                            let w = what_if(&plan);
                            assert_eq!(w.outcome, Outcome::Unverified, "{case}");
                            assert!(!w.is_sanitized(), "{case}");
                            assert!(
                                w.check_consistency().is_ok(),
                                "{case}: {:?}",
                                w.check_consistency()
                            );
                        }
                    }
                }
            }
        }
    }
    // The loop left nothing out: the planner chose every technique the table lets reach Purge
    // on a media over a transport (DESIGN §4), and no other.
    let table: BTreeSet<(String, &str, &str)> = Technique::all()
        .into_iter()
        .filter(|t| t.is_firmware())
        .flat_map(|t| {
            every_media().into_iter().flat_map(move |m| {
                every_transport()
                    .into_iter()
                    .filter(move |tr| t.fits(*tr) && t.level(m) == Some(Level::Purge))
                    .map(move |tr| (t.name(), m.as_str(), tr.as_str()))
            })
        })
        .collect();
    assert_eq!(chosen, table);
    assert!(
        chosen.len() >= 20 && runs > 1000,
        "{} combinations, {runs} runs",
        chosen.len()
    );
}

/// The overwrites too: an explicit `--method`, a Clear, a Purge the drive cannot do.
#[test]
fn every_overwrite_is_forecast_sanitized() {
    for media in every_media() {
        for transport in every_transport() {
            for &(bytes, sector) in &SIZES {
                let id = disk(transport, media, bytes, sector);
                for method in [
                    Method::Zero,
                    Method::Dod3Pass,
                    Method::PatternComplement(vec![0x55]),
                ] {
                    for v in VERIFIED {
                        let case = format!(
                            "{method} on {} over {}, {bytes} bytes, {v:?}",
                            media.as_str(),
                            transport.as_str()
                        );
                        let explicit = what_if(&plan_of(&id, method.clone(), None, v));
                        assert!(
                            explicit.is_sanitized(),
                            "{case}: {:?}",
                            explicit.check_consistency()
                        );
                        for level in [Level::Clear, Level::Purge] {
                            let req = SanitizeRequest {
                                method: method.clone(),
                                ..SanitizeRequest::new(level)
                            };
                            let s =
                                choose(&id, &DriveFacts::not_asked("test"), &req, &BTreeSet::new());
                            assert_eq!(s.technique, Technique::Overwrite);
                            let w = what_if(&plan_of(&id, s.method.clone(), Some(s.clone()), v));
                            assert!(
                                w.is_sanitized(),
                                "{case}, {level:?}: {:?}",
                                w.check_consistency()
                            );
                            assert_eq!(w.explanations, s.explanations);
                        }
                    }
                    let w = what_if(&plan_of(&id, method.clone(), None, VerifySpec::None));
                    assert_eq!(w.outcome, Outcome::Unverified);
                    assert!(w.check_consistency().is_ok(), "{:?}", w.check_consistency());
                }
            }
        }
    }
}

/// A simulated drive whose first Purge is `technique`, its disk and its media.
fn simulated(technique: &str) -> (Box<dyn Passthrough>, DiskIdentity, SimMedia) {
    let nvme = |d: reprise_sim::nvme::SimNvme| {
        let (id, m) = (nvme_identity(&d, 1), d.media(1).clone());
        (Box::new(d) as Box<dyn Passthrough>, id, m)
    };
    let ata = |d: reprise_sim::ata::SimAta, media| {
        let (id, m) = (ata_identity(&d, media), d.media().clone());
        (Box::new(d) as Box<dyn Passthrough>, id, m)
    };
    match technique {
        "nvme-sanitize-crypto" => nvme(samsung_pm()),
        "nvme-sanitize-block" => nvme(hynix_p41()),
        "nvme-format-user-data" => nvme(qemu_nvme()),
        "ata-sanitize-block" => ata(ssd_with_sanitize(), MediaType::Ssd),
        "ata-sanitize-overwrite" => ata(hdd_with_sanitize(), MediaType::Hdd),
        "ata-security-erase-enhanced" => {
            let mut d = hdd_with_sanitize();
            d.fw.sanitize = None;
            ata(d, MediaType::Hdd)
        }
        "scsi-sanitize-overwrite" => {
            let d = sas_disk();
            let id = drives::identity(
                "/dev/sim-sdc",
                Transport::Scsi,
                MediaType::Hdd,
                "S1",
                None,
                SECTORS * 512,
            );
            let m = d.media.clone();
            (Box::new(d), id, m)
        }
        other => panic!("no simulated drive for {other}"),
    }
}

/// What the what-if says is what a real success records, on simulated drives of every
/// protocol: the same technique, level, method and passes, the drive's answer as the
/// predicate reads it, the same canary check and verification (their numbers; the seed only
/// moves the blocks). Hidden areas are not forecast (a success leaves none).
#[test]
fn the_what_if_says_what_a_real_success_records() {
    const SAMPLE: VerifySpec = VerifySpec::Sample { permille: 100 };
    for technique in [
        "nvme-sanitize-crypto",
        "nvme-sanitize-block",
        "nvme-format-user-data",
        "ata-sanitize-block",
        "ata-sanitize-overwrite",
        "ata-security-erase-enhanced",
        "scsi-sanitize-overwrite",
    ] {
        for then_zero in [false, true] {
            for v in [SAMPLE, VerifySpec::Full] {
                let case = format!("{technique}, then_zero {then_zero}, {v:?}");
                let (mut d, id, media) = simulated(technique);
                let mut req = request(Level::Purge);
                req.then_zero = then_zero;
                let (_, s) = strategy_of(d.as_mut(), &id, &req);
                assert_eq!(s.technique.name(), technique, "{case}");
                let plan = drives::plan_of(&id, s, v);
                let real = run1(d.as_mut(), &media, &plan);
                assert!(
                    real.is_sanitized(),
                    "{case}: {:?}",
                    real.check_consistency()
                );
                let w = what_if(&plan);
                assert!(w.is_sanitized(), "{case}: {:?}", w.check_consistency());
                let said = |w: &DeviceWipe| {
                    let fw = w.firmware.as_ref().unwrap();
                    let c = w.firmware_check.as_ref().unwrap();
                    let v = &w.verification;
                    let passes: Vec<(String, u64)> = w
                        .passes
                        .iter()
                        .map(|p| (p.pattern.clone(), p.bytes_written))
                        .collect();
                    format!(
                        "{} {:?} {} {passes:?} {} {:?} {:?}\n\
                         firmware {} {:?} {} {} {:?} {:?}\n\
                         check {:?} {:?} {} {} {} {} {} {} {} {:?} {:?} {}\n\
                         verification {:?} {} {} {:?} {} {} {} {} {} {} {}",
                        w.device.id,
                        w.level,
                        w.method,
                        w.bytes_written,
                        w.outcome,
                        w.explanations,
                        fw.technique,
                        fw.completion,
                        fw.reported_success,
                        fw.end_is_ours(),
                        fw.security_disabled_after,
                        fw.namespaces,
                        c.rule,
                        c.canary_rule(),
                        c.total_sectors,
                        c.sector_size,
                        c.requested_permille,
                        c.coverage_permille,
                        c.subsections,
                        c.blocks_checked,
                        c.bytes_checked,
                        c.canaries,
                        c.wrong_content_blocks,
                        c.samples.iter().filter(|s| s.documented).count(),
                        v.mode,
                        v.requested_permille,
                        v.coverage_permille,
                        v.algorithm,
                        v.total_sectors,
                        v.sector_size,
                        v.subsections,
                        v.blocks_checked,
                        v.bytes_checked,
                        v.mismatches,
                        v.passed,
                    )
                };
                assert_eq!(said(&w), said(&real), "{case}");
                assert!(w.errors.is_empty() && real.errors.is_empty(), "{case}");
            }
        }
    }
}
