//! Every screen of the operator's interface drawn through ratatui's `TestBackend`, at 80×25 (the
//! VGA console) and 120×40, in French and English, kept as insta snapshots; and what must hold on
//! every screen at every size: nothing panics (down to 0×0), only the VGA console's 8 background
//! colours and 16 foreground colours, only characters its font has, and a QR code that a reader
//! decodes back to the certificate's digest at 80×25.

use std::path::PathBuf;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use reprise::checks::cooling::CoolingSample;
use reprise::checks::keyboard::{KeyboardState, Layout, Named, Press, Pressed};
use reprise::deploy::engine::{Filesystem, InstallProgress, Phase as InstallPhase, Written};
use reprise::deploy::gpt::Layout as GptLayout;
use reprise::deploy::{Compression, ImageSpec, Install, Installed, Sha256};
use reprise::flow::config::{self, Given, RunFlags, Server};
use reprise::flow::deploy::{Due, InstallEvent, Installing, ListedImage};
use reprise::flow::medium::{Home, NoStick, NotReady};
use reprise::flow::run::{Hooks, Run};
use reprise::flow::storage::{HidingController, NoStorage};
use reprise::flow::{self, DataDir, Inspection};
use reprise::model::{Language, Level, Transport};
use reprise::probe::model::{ControllerFinding, ControllerKind};
use reprise::sys::SysRoot;
use reprise::sys::sensors::Sensors;
use reprise::tui::keys::Key;
use reprise::tui::model::{Config, InstallRun, InstallState, Model, Overlay, RunResult, Screen};
use reprise::tui::msg::Effect;
use reprise::tui::{Msg, palette, update, view};
use reprise::verdict::Policy;
use reprise::wipe::capability::inspect;
use reprise::wipe::report::{Outcome, WipeError};
use reprise::wipe::{CancelToken, Phase, Progress, WipeEvent};
use reprise_sim::ata::{SimAta, SimSecurity};

use crate::support::drives;

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/probe/demo-laptop"
);
/// A digest as a certificate has one (fixed, so the snapshots are).
const DIGEST: &str = "sha256:5f0c3e1d9a7b2c4e8f6a1d3b5c7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e";

/// The settings of a run over `root` in `lang`, powering off at the end.
fn settings(lang: Language, root: &str, data: PathBuf) -> flow::Config {
    let given = Given {
        language: Some(lang),
        poweroff: Some(true),
        ..Given::default()
    };
    config::resolve(
        given,
        Given::default(),
        RunFlags::new(SysRoot::new(root), DataDir(data)),
        None,
    )
}

fn cfg(run: &Run) -> Config {
    let mut c = Config::new(&run.config);
    c.cooling_ms = 30_000;
    c.auto_step = Duration::from_secs(3);
    c
}

fn machine(lang: Language) -> Model {
    let run = Run::prepare(settings(lang, DEMO, PathBuf::from("/run/reprise/data"))).unwrap();
    let mut m = Model::new(cfg(&run), &run);
    let mut sensors = Sensors::new(&SysRoot::new(DEMO));
    m.live = Some(sensors.sample());
    m
}

/// `machine`, in automatic mode.
fn automatic(lang: Language) -> Model {
    let mut m = machine(lang);
    std::sync::Arc::make_mut(&mut m.cfg.run).auto = Some(Level::Clear);
    m
}

/// The demo laptop with what its drives say: the NVMe disk answers as QEMU's controller does
/// (Format with user data erase: a Purge), the SATA disk as a real Samsung 860 SSD (its security
/// erase is no Purge on flash: a Clear, and the screen must say why).
fn purging(lang: Language) -> Model {
    purging_on(
        lang,
        drives::samsung_860(),
        Err("no suspend-to-RAM state (test)".into()),
    )
}

/// What the demo laptop's drives say, `sata` answering for its SATA disk, on a machine that
/// can suspend or not; Purge chosen.
fn inspection(m: &Model, mut sata: SimAta, can_suspend: Result<(), String>) -> Inspection {
    let drives = m
        .probe
        .disks
        .iter()
        .filter_map(|d| {
            let facts = match d.transport {
                Transport::Nvme => inspect(&mut drives::qemu_nvme(), Transport::Nvme),
                Transport::Sata => inspect(&mut sata, Transport::Sata),
                _ => return None,
            };
            Some((d.id.clone(), facts))
        })
        .collect();
    Inspection {
        drives,
        can_suspend: Some(can_suspend),
    }
}

fn purging_on(lang: Language, sata: SimAta, can_suspend: Result<(), String>) -> Model {
    let m = machine(lang);
    let i = inspection(&m, sata, can_suspend);
    let mut m = m.with_inspection(i);
    press(&mut m, &[Key::Tab, Key::Right]);
    m
}

fn press(m: &mut Model, keys: &[Key]) {
    for k in keys {
        update(m, Msg::Key(*k));
    }
}

fn wiping(lang: Language) -> Model {
    let mut m = machine(lang);
    press(&mut m, &[Key::Enter, Key::F(10), Key::Enter]);
    update(&mut m, Msg::Tick(Duration::from_secs(42)));
    let disks = m.run.disks().to_vec();
    let p = |i: usize, phase, done| {
        Msg::Wipe(WipeEvent::Progress(Progress {
            disk: disks[i].id.clone(),
            device: disks[i].name.clone(),
            pass: 1,
            passes: 1,
            phase,
            bytes_done: done,
            bytes_total: disks[i].size,
            rate_bps: 412_000_000,
            eta_ms: Some(754_000),
        }))
    };
    update(&mut m, p(0, Phase::Write, disks[0].size / 10 * 4));
    update(&mut m, p(1, Phase::Verify, disks[1].size / 10 * 7));
    update(
        &mut m,
        Msg::RamProgress {
            done: 3,
            total: 10,
            errors: 0,
        },
    );
    m
}

/// A real run over small stand-in files (the demo's way), its certificate path and digest then
/// fixed so the screen is the same every time.
fn finished(lang: Language, fail_second: bool) -> Model {
    let dir = tempfile::tempdir().unwrap();
    let disks = dir.path().join("disks");
    std::fs::create_dir(&disks).unwrap();
    let run = flow::run::Run::demo(
        settings(lang, DEMO, dir.path().join("data")),
        &disks,
        |_| 1 << 20,
        u64::MAX,
    )
    .unwrap();
    let mut m = Model::new(cfg(&run), &run);
    press(&mut m, &[Key::Enter, Key::F(10), Key::Enter]);
    let plan = m.plan.clone().unwrap();
    let station = run.station().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let outcome = run
        .execute(&station, &plan, Hooks::plain(tx, CancelToken::new()))
        .unwrap();
    let probe = run.probe.clone();
    // The screen shows the certificate's place on the stick, where a laptop's run keeps it.
    std::sync::Arc::make_mut(&mut m.cfg.run).data = DataDir(PathBuf::from("/run/reprise/data"));
    m.home = Home::Stick;
    for e in rx.try_iter() {
        update(&mut m, Msg::Wipe(e));
    }
    let mut devices = outcome.wipe.devices;
    let mut verdict = outcome.verdict;
    if fail_second {
        let d = &mut devices[1];
        d.outcome = Outcome::Failed;
        d.errors.push(WipeError {
            operation: reprise::model::ErrorKind::Write,
            lba: Some(2048),
            sectors: Some(8),
            message: "write failed at LBA 2048: Input/output error (os error 5)".into(),
        });
        let wipe = reprise::wipe::report::WipeReport {
            devices: devices.clone(),
            ..outcome_wipe_shell()
        };
        verdict =
            reprise::verdict::evaluate(&probe, &wipe, &Default::default(), &Policy::default());
    }
    update(&mut m, Msg::Tick(Duration::from_secs(95)));
    update(
        &mut m,
        Msg::RunDone(Box::new(Ok(RunResult {
            status: flow::status(&devices),
            verdict,
            devices,
            certificate: PathBuf::from("/run/reprise/data/certs/15641ff86eb03331-00000007.json"),
            digest: Ok(DIGEST.into()),
            requested_purge: false,
            appeared: Vec::new(),
            install: Due::No(Install::NotDue("no image named (reprise.deploy=)".into())),
        }))),
    );
    m
}

fn outcome_wipe_shell() -> reprise::wipe::report::WipeReport {
    reprise::wipe::report::WipeReport {
        schema_version: reprise::wipe::report::SCHEMA_VERSION,
        tool: "reprise test".into(),
        image_digest: None,
        requested_level: None,
        devices: Vec::new(),
    }
}

/// Every screen worth a snapshot, by name.
fn screens(lang: Language) -> Vec<(&'static str, Model)> {
    let mut out = vec![("machine", machine(lang))];
    let mut m = machine(lang);
    press(&mut m, &[Key::Tab, Key::Down, Key::Space, Key::Right]);
    out.push(("choose", m));
    let mut m = machine(lang);
    press(&mut m, &[Key::Enter]);
    out.push(("confirm", m));
    out.push(("choose_purge", purging(lang)));
    let mut m = purging(lang);
    press(&mut m, &[Key::Enter]);
    out.push(("confirm_purge", m));
    let mut m = machine(lang);
    press(&mut m, &[Key::Enter, Key::F(10)]);
    out.push(("confirm_armed", m));
    let mut m = automatic(lang);
    update::start(&mut m);
    update(&mut m, Msg::Tick(Duration::from_secs(1)));
    out.push(("machine_auto", m));
    out.push(("wipe", wiping(lang)));
    let mut m = wiping(lang);
    press(&mut m, &[Key::Esc, Key::F(10)]);
    out.push(("wipe_cancel", m));
    out.push(("result", finished(lang, false)));
    out.push(("result_failed", finished(lang, true)));
    let mut m = finished(lang, false);
    m.home = Home::Memory;
    out.push(("result_no_stick", m));
    // The end is the operator's (init's --choice-file): power off under the cursor, reboot;
    // the maintenance shell listed only with reprise.shell=1.
    let mut m = finished(lang, false);
    std::sync::Arc::make_mut(&mut m.cfg.run).choice_file = Some("/run/reprise/next".into());
    out.push(("result_then_choose", m.clone()));
    press(&mut m, &[Key::Enter]);
    out.push(("end", m));
    let mut m = finished(lang, true);
    let run = std::sync::Arc::make_mut(&mut m.cfg.run);
    run.choice_file = Some("/run/reprise/next".into());
    run.shell = true;
    press(&mut m, &[Key::Enter, Key::Down, Key::Down]);
    out.push(("end_shell", m));
    out.extend(install_screens(lang));
    let mut m = machine(lang);
    press(&mut m, &[Key::F(1)]);
    out.push(("help", m));
    let mut m = machine(lang);
    press(&mut m, &[Key::Esc]);
    out.push(("quit", m));
    let mut m = machine(lang);
    press(&mut m, &[Key::F(2)]);
    for ch in ['a', 'z', 'e', '1', ' '] {
        press(
            &mut m,
            &[Key::Char {
                ch,
                shift: false,
                ctrl: false,
                alt: false,
            }],
        );
    }
    press(&mut m, &[Key::F(5), Key::Up]);
    out.push(("keyboard", m));
    let mut m = machine(lang);
    press(&mut m, &[Key::F(3), Key::Enter]);
    out.push(("colours", m));
    let mut m = machine(lang);
    press(&mut m, &[Key::F(4)]);
    for (i, c) in [47_000, 78_000, 91_000, 96_000].into_iter().enumerate() {
        update(
            &mut m,
            Msg::CoolingSample(CoolingSample {
                at_ms: i as u64 * 1000,
                sensor: Some("coretemp Package id 0".into()),
                millicelsius: Some(c),
                khz: Some(3_400_000 - i as u64 * 400_000),
                throttle_events: Some(i as u64),
                load_permille: Some(1000),
            }),
        );
    }
    update(&mut m, Msg::Tick(Duration::from_secs(4)));
    out.push(("cooling", m));
    let mut m = automatic(lang).ready(Err(NotReady {
        stick: NoStick::None,
        server: None,
    }));
    update::start(&mut m);
    out.push(("error_not_ready", m));
    // An 11th-generation Intel laptop with VMD on and no driver for it: no disk of its own.
    let mut m = machine(lang);
    let say = |lang| {
        reprise::verdict::messages::controller_finding(
            ControllerKind::Vmd,
            ControllerFinding::VmdWithoutDriver,
            "8086:9a0b",
            None,
            lang,
        )
    };
    m.storage = Err(NoStorage {
        hiding: vec![HidingController {
            address: "0000:00:0e.0".into(),
            en: say(Language::En),
            fr: say(Language::Fr),
        }],
    });
    update::start(&mut m);
    out.push(("error_no_storage", m));
    out
}

const MB: u64 = 1_000_000;

fn image() -> ImageSpec {
    ImageSpec {
        name: "famille".into(),
        version: "2.0".into(),
        sha256: Sha256([0xab; 32]),
        compression: Compression::Zstd,
        raw_size: Some(8_400 * MB),
    }
}

fn listed(name: &str, version: &str, size: u64) -> ListedImage {
    ListedImage {
        name: name.into(),
        version: version.into(),
        sha256: format!("sha256:{}", "cd".repeat(32)),
        raw_size: Some(size),
        compression: Some("zstd".into()),
        url: format!("/api/v1/images/{name}/{version}"),
    }
}

/// The laptop's SATA disk, named as on a laptop (the demo's stand-in's path changes each run).
fn sda(_: &Model) -> reprise::model::DiskIdentity {
    let mut d = reprise::model::DiskIdentity::for_file("/dev/sda", 500_107_862_016);
    d.model = Some("ST500LM021-1KJ152".into());
    d
}

/// `finished`, with a workshop server: the result offers its images (F9).
fn offered(lang: Language) -> Model {
    let mut m = finished(lang, false);
    std::sync::Arc::make_mut(&mut m.cfg.run).server = Some(Server {
        url: "http://10.0.5.1:8080".into(),
        enroll: None,
        key: None,
    });
    m.result.as_mut().unwrap().install = Due::Offered;
    m.install = InstallState::Offered { error: None };
    m
}

/// `finished`, then the install of the server's image under way: 40 % written at 100 MB/s,
/// the download resumed once.
fn installing(lang: Language) -> Model {
    let mut m = finished(lang, false);
    m.install = InstallState::Running(Box::new(InstallRun::new(m.now)));
    m.screen = Screen::Install;
    // The wipe's lines come in its workers' order: the log starts with the install's.
    m.log.clear();
    let disk = sda(&m);
    update(
        &mut m,
        Msg::Install(InstallEvent::Started(Box::new(Installing {
            image: image(),
            source: "server",
            location: "http://10.0.5.1:8080/api/v1/images/famille/2.0".into(),
            disk,
        }))),
    );
    for s in 0..=10u64 {
        update(&mut m, Msg::Tick(Duration::from_secs(100 + s * 3)));
        update(
            &mut m,
            Msg::Install(InstallEvent::Progress(InstallProgress {
                phase: InstallPhase::Write,
                bytes_done: s * 336 * MB,
                bytes_total: Some(8_400 * MB),
                rate_bps: 97 * MB,
                eta_ms: None,
            })),
        );
        if s == 6 {
            update(&mut m, Msg::Install(InstallEvent::Resumed(1)));
        }
    }
    m
}

/// The install's screens: under way, its cancel question, the server's list, and the
/// outcomes on the result screen.
fn install_screens(lang: Language) -> Vec<(&'static str, Model)> {
    let mut out = vec![("install", installing(lang))];
    let mut m = installing(lang);
    press(&mut m, &[Key::Esc, Key::F(10)]);
    out.push(("install_cancel", m));
    out.push(("result_offers_install", offered(lang)));
    let mut m = offered(lang);
    press(&mut m, &[Key::F(9)]);
    update(
        &mut m,
        Msg::Images(Ok(vec![
            listed("famille", "2.0", 8_400 * MB),
            listed("famille", "1.0", 8_100 * MB),
            listed("mint-oem", "22.1", 12_000 * MB),
        ])),
    );
    press(&mut m, &[Key::Down]);
    out.push(("install_images", m));
    let mut m = offered(lang);
    press(&mut m, &[Key::F(9)]);
    update(
        &mut m,
        Msg::Images(Err(
            "GET http://10.0.5.1:8080/api/v1/images: connection refused".into(),
        )),
    );
    out.push(("result_images_unreachable", m));
    let mut m = installing(lang);
    let disk = sda(&m);
    update(
        &mut m,
        Msg::InstallDone(Box::new(Install::Installed(Box::new(Installed {
            image: image(),
            disk,
            written: Written {
                raw_bytes: 8_400 * MB,
                sha256: Sha256([0xab; 32]),
                layout: GptLayout {
                    sector_size: 512,
                    partitions: 3,
                    last_partition_end: 8_400 * MB - 33 * 512,
                    entry_sectors: 32,
                },
                write_ms: 86_000,
                write_rate_bps: 97 * MB,
                readback_ms: 40_000,
                readback_rate_bps: 210 * MB,
            },
            filesystem: Filesystem::Grown {
                device: "/dev/sda3".into(),
            },
            record: PathBuf::from(
                "/run/reprise/data/certs/refurbish/15641ff86eb03331-00000007-r.json",
            ),
        })))),
    );
    out.push(("result_installed", m));
    let mut m = installing(lang);
    update(
        &mut m,
        Msg::Install(InstallEvent::Failed(reprise::deploy::Failure::ReadBack)),
    );
    update(
        &mut m,
        Msg::InstallDone(Box::new(Install::Failed(
            "/dev/sda: read back, the written bytes have sha256:0101..., the image sha256:abab...: \
             the disk does not hold the image, the install failed"
                .into(),
        ))),
    );
    out.push(("result_install_failed", m));
    out
}

fn draw(m: &Model, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| view(m, f)).unwrap();
    term.backend().buffer().clone()
}

fn text(b: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            out.push_str(b[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn every_screen_in_both_languages_at_80x25_and_120x40() {
    for lang in [Language::En, Language::Fr] {
        let code = match lang {
            Language::En => "en",
            Language::Fr => "fr",
        };
        for (name, m) in screens(lang) {
            for (w, h) in [(80, 25), (120, 40)] {
                let b = draw(&m, w, h);
                insta::assert_snapshot!(format!("{name}_{code}_{w}x{h}"), text(&b));
            }
        }
    }
}

#[test]
fn every_cell_is_vga_console_safe() {
    for lang in [Language::En, Language::Fr] {
        for (name, m) in screens(lang) {
            for (w, h) in [(80, 25), (120, 40), (100, 30)] {
                let b = draw(&m, w, h);
                for cell in b.content() {
                    assert!(
                        palette::BACKGROUNDS.contains(&cell.bg),
                        "{name} {w}x{h}: background {:?} is not one of the VGA console's 8",
                        cell.bg
                    );
                    assert!(
                        palette::is_console_colour(cell.fg),
                        "{name}: foreground {:?}",
                        cell.fg
                    );
                    assert!(
                        cell.symbol().chars().all(reprise::tui::view::on_vga),
                        "{name} {w}x{h}: {:?} is not in the VGA font",
                        cell.symbol()
                    );
                }
            }
        }
    }
}

#[test]
fn no_size_makes_a_screen_panic() {
    for (name, m) in screens(Language::Fr) {
        for w in (0..=130).step_by(7) {
            for h in (0..=45).step_by(4) {
                let _ = draw(&m, w, h);
                let _ = name;
            }
        }
        for (w, h) in [(1, 1), (39, 11), (40, 12), (80, 24), (79, 25)] {
            let _ = draw(&m, w, h);
        }
    }
}

/// The half-block QR code, rendered as pixels the way a VGA console shows it (9×16 cells), is
/// read back by a QR decoder as the certificate's digest.
#[test]
fn the_qr_code_at_80x25_scans_to_the_digest_or_the_servers_page() {
    const SERVER: &str = "http://10.0.5.1:8080";
    for (lang, server) in [
        (Language::En, None),
        (Language::Fr, None),
        (Language::Fr, Some(SERVER)),
    ] {
        let mut m = finished(lang, false);
        std::sync::Arc::make_mut(&mut m.cfg.run).server = server.map(|url| Server {
            url: url.to_owned(),
            enroll: None,
            key: None,
        });
        let b = draw(&m, 80, 25);
        let (cw, ch) = (9usize, 16usize);
        let (w, h) = (80 * cw, 25 * ch);
        let luma = |c: Color| match c {
            Color::Black | Color::Reset => 0u8,
            Color::Gray => 0xaa,
            Color::White => 0xff,
            _ => 0x55,
        };
        let mut img = vec![0u8; w * h];
        for y in 0..25u16 {
            for x in 0..80u16 {
                let cell = &b[(x, y)];
                let (top, bottom) = if cell.symbol() == "▀" {
                    (luma(cell.fg), luma(cell.bg))
                } else {
                    // Text cells: dark background (a reader ignores them).
                    (luma(cell.bg), luma(cell.bg))
                };
                for py in 0..ch {
                    for px in 0..cw {
                        img[(usize::from(y) * ch + py) * w + usize::from(x) * cw + px] =
                            if py < ch / 2 { top } else { bottom };
                    }
                }
            }
        }
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img[y * w + x]);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "one code on the result screen");
        let (_, content) = grids[0].decode().expect("the code decodes");
        let expected = match server {
            Some(s) => format!("{s}/c/{}", DIGEST.trim_start_matches("sha256:")),
            None => DIGEST.to_owned(),
        };
        assert_eq!(content, expected);
    }
}

#[test]
fn the_keyboard_map_answers_in_both_layouts() {
    let mut k = KeyboardState::new(Layout::FrAzerty);
    k.press(&Press {
        key: Pressed::Named(Named::F(5)),
        shift: false,
        ctrl: false,
        alt: false,
    });
    assert!(k.pressed.iter().any(|p| *p));
    let m = machine(Language::Fr);
    assert_eq!(m.screen, Screen::Machine);
    assert!(m.overlay != Some(Overlay::Help));
}

#[test]
fn under_purge_the_confirmation_names_each_disks_technique_and_why_not_purge() {
    let mut m = purging(Language::En);
    press(&mut m, &[Key::Enter]);
    let screen = text(&draw(&m, 120, 40));
    assert!(
        screen.contains("Purge: nvme-format-user-data"),
        "the NVMe disk is purged by its own Format:\n{screen}"
    );
    assert!(
        screen.contains("Clear: zero") && screen.contains("ATA security frozen"),
        "the frozen SATA disk is cleared, and the screen says why:\n{screen}"
    );
}

/// The forecast under Purge: a disk the plan purges by its drive's own erase (an NVMe Format
/// here, an ATA SANITIZE on an SSD that offers it) is expected sanitized, never sent to
/// destruction nor replaced by a new disk.
#[test]
fn under_purge_the_forecast_keeps_every_purged_disk() {
    use reprise_cert::verdict::{Action, Reason};
    let both = |sata: SimAta| purging_on(Language::En, sata, Ok(()));
    for m in [purging(Language::En), both(drives::ssd_with_sanitize())] {
        let plan = m.plan.as_ref().unwrap();
        let purged: Vec<String> = plan
            .targets()
            .iter()
            .filter(|d| d.strategy().is_some_and(|s| s.technique.is_firmware()))
            .map(|d| d.identity().id.to_string())
            .collect();
        assert!(!purged.is_empty());
        let v = m.expected.as_ref().unwrap();
        for disk in &purged {
            assert!(
                !v.actions.iter().any(|a| matches!(
                    a,
                    Action::DestroyDisk { disk: d } | Action::SanitizeOrRemoveDisk { disk: d }
                        if d == disk
                )),
                "{disk}: {v:#?}"
            );
            assert!(
                !v.reasons.iter().any(|r| matches!(
                    r,
                    Reason::SanitizationFailed { disk: d, .. }
                        | Reason::SanitizationNotVerified { disk: d }
                        if d == disk
                )),
                "{disk}: {v:#?}"
            );
        }
        if purged.len() == plan.targets().len() {
            assert!(!v.actions.contains(&Action::FitNewDisk), "{v:#?}");
        }
    }
}

#[test]
fn the_disk_table_shows_the_health_the_probe_read() {
    let mut m = machine(Language::En);
    let nvme = m
        .probe
        .disks
        .iter_mut()
        .find(|d| d.transport == Transport::Nvme)
        .unwrap();
    nvme.health.smart_passed = Some(false);
    let sata = m
        .probe
        .disks
        .iter_mut()
        .find(|d| d.transport == Transport::Sata)
        .unwrap();
    sata.health.smart_passed = Some(true);
    let screen = text(&draw(&m, 120, 40));
    let row = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(row("nvme0n1").contains("FAILING"), "{screen}");
    assert!(row("sda ").contains("OK"), "{screen}");
}

#[test]
fn f6_suspends_to_unfreeze_and_the_frozen_disk_is_then_purged() {
    // The SATA disk (a hard disk in the probe) is frozen by the BIOS: its enhanced security
    // erase, a Purge on a hard disk, is out of reach until a suspend and resume.
    let mut m = purging_on(Language::En, drives::samsung_860(), Ok(()));
    let sata = |m: &Model| {
        let plan = m.plan.as_ref().unwrap();
        let t = plan
            .targets()
            .iter()
            .find(|t| t.identity().transport == Transport::Sata)
            .unwrap();
        t.strategy().map(|s| (s.level, s.technique.name()))
    };
    assert_eq!(sata(&m).map(|(l, _)| l), Some(reprise::model::Level::Clear));
    assert_eq!(m.frozen_to_unfreeze(), 1);
    let screen = text(&draw(&m, 80, 25));
    assert!(screen.contains("F6: 1 frozen drive(s)"), "{screen}");
    let fx = update(&mut m, Msg::Key(Key::F(6)));
    assert!(fx.contains(&Effect::Unfreeze), "{fx:?}");
    assert!(m.unfreezing);
    // A second F6 while asleep asks nothing more, and no wipe starts until the drives answered.
    assert!(!update(&mut m, Msg::Key(Key::F(6))).contains(&Effect::Unfreeze));
    press(&mut m, &[Key::Enter, Key::F(10), Key::Enter]);
    assert!(!m.run.is_running(), "no wipe while the machine wakes");
    // Back from the suspend: the drive is no longer frozen, and the plan purges it.
    let mut awake = drives::samsung_860();
    awake.fw.security = Some(SimSecurity {
        erase_time: 2,
        enhanced_erase_time: 4,
        ..SimSecurity::ready()
    });
    let after = inspection(&m, awake, Ok(()));
    update(
        &mut m,
        Msg::Unfrozen(Box::new(Ok((after, Duration::from_secs(5))))),
    );
    assert!(!m.unfreezing);
    assert_eq!(m.frozen_to_unfreeze(), 0);
    let (level, technique) = sata(&m).unwrap();
    assert_eq!(level, reprise::model::Level::Purge, "{technique}");
    assert!(m.log.iter().any(|l| l.text.contains("Resumed after 5 s")));
}

#[test]
fn f6_is_not_offered_where_the_machine_cannot_suspend_and_a_failed_suspend_is_said() {
    let mut m = purging(Language::En);
    assert_eq!(m.frozen_to_unfreeze(), 0);
    assert!(!update(&mut m, Msg::Key(Key::F(6))).contains(&Effect::Unfreeze));
    let mut m = purging_on(Language::Fr, drives::samsung_860(), Ok(()));
    update(&mut m, Msg::Key(Key::F(6)));
    update(
        &mut m,
        Msg::Unfrozen(Box::new(Err("/sys/power/state: no mem".into()))),
    );
    assert!(!m.unfreezing);
    assert!(
        m.log
            .iter()
            .any(|l| l.bad && l.text.contains("Mise en veille impossible"))
    );
}
