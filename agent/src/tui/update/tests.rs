//! `update` alone: keys, ticks and events in, model and effects out — no terminal, no thread.

use std::time::Duration;

use proptest::prelude::*;

use std::path::PathBuf;

use super::*;
use crate::checks::keyboard::Layout;
use crate::flow::config::{self, Given, RunFlags};
use crate::flow::medium::{NoStick, NotReady};
use crate::flow::run::Run;
use crate::flow::{DataDir, SkipReason};
use crate::sys::SysRoot;
use crate::tui::model::{Config, Model};
use crate::verdict::Action;
use crate::wipe::Progress;

/// A run over the demo laptop (a recorded machine; no drive is asked), in English.
fn demo_run(auto: bool) -> Run {
    let given = Given {
        auto: auto.then_some(Level::Clear),
        language: Some(Language::En),
        keymap: Some(Layout::UsQwerty),
        ..Given::default()
    };
    let root = SysRoot::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/probe/demo-laptop"
    ));
    let flags = RunFlags::new(root, DataDir(PathBuf::from("/run/reprise/data")));
    Run::prepare(config::resolve(given, Given::default(), flags, None)).unwrap()
}

fn screen(auto: bool, demo: bool) -> Model {
    let run = demo_run(auto);
    let mut cfg = Config::new(&run.config);
    cfg.demo = demo;
    cfg.cooling_ms = 30_000;
    cfg.auto_step = Duration::from_secs(3);
    Model::new(cfg, &run)
}

fn model(auto: bool) -> Model {
    screen(auto, false)
}

fn keys(m: &mut Model, keys: &[Key]) -> Vec<Effect> {
    keys.iter().flat_map(|k| update(m, Msg::Key(*k))).collect()
}

fn started(fx: &[Effect]) -> bool {
    fx.iter().any(|e| matches!(e, Effect::StartRun { .. }))
}

fn letter(ch: char) -> Key {
    Key::Char {
        ch,
        shift: false,
        ctrl: false,
        alt: false,
    }
}

#[test]
fn the_usual_path_is_three_keystrokes_and_names_every_planned_disk() {
    let mut m = model(false);
    let planned = m.plan.as_ref().unwrap().targets().len();
    assert_eq!(planned, 2, "the demo laptop's NVMe and SATA disks");
    let fx = keys(&mut m, &[Key::Enter, Key::F(10), Key::Enter]);
    let Some(Effect::StartRun { plan, ram_test }) =
        fx.iter().find(|e| matches!(e, Effect::StartRun { .. }))
    else {
        panic!("no run started: {fx:?}");
    };
    assert_eq!(plan.targets().len(), 2);
    assert!(ram_test);
    assert_eq!(m.screen, Screen::Wipe);
    assert!(fx.contains(&Effect::Transcript("reprise: screen wipe".into())));
}

#[test]
fn enter_alone_never_starts_a_wipe() {
    let mut m = model(false);
    let fx = keys(
        &mut m,
        &[Key::Enter, Key::Enter, Key::Enter, Key::Space, Key::Enter],
    );
    assert!(!started(&fx));
    assert_eq!(m.screen, Screen::Confirm);
    assert!(m.notice.as_deref().unwrap().contains("F10"));
}

#[test]
fn f10_is_forgotten_after_a_while() {
    let mut m = model(false);
    keys(&mut m, &[Key::Enter, Key::F(10)]);
    update(&mut m, Msg::Tick(ARMED + Duration::from_secs(1)));
    assert!(!m.armed());
    assert!(!started(&keys(&mut m, &[Key::Enter])));
}

const ARMED: Duration = crate::tui::model::ARMED_FOR;

fn any_key() -> impl Strategy<Value = Key> {
    prop_oneof![
        Just(Key::Enter),
        Just(Key::Esc),
        Just(Key::Tab),
        Just(Key::Space),
        Just(Key::Up),
        Just(Key::Down),
        Just(Key::Left),
        Just(Key::Right),
        Just(Key::Backspace),
        Just(Key::CtrlC),
        (1u8..=12)
            .prop_filter("not F10", |n| *n != 10)
            .prop_map(Key::F),
        "[a-z0-9]".prop_map(|s| letter(s.chars().next().unwrap())),
    ]
}

proptest! {
    /// No stray keys, however many, start a wipe without F10 followed by Enter.
    #[test]
    fn no_sequence_without_f10_starts_a_wipe(seq in proptest::collection::vec(any_key(), 0..40)) {
        let mut m = model(false);
        let fx = keys(&mut m, &seq);
        prop_assert!(!started(&fx));
    }

    /// A single stray key after F10 starts nothing unless it is Enter on the confirmation.
    #[test]
    fn f10_then_a_key_other_than_enter_starts_nothing(k in any_key()) {
        prop_assume!(k != Key::Enter);
        let mut m = model(false);
        let fx = keys(&mut m, &[Key::Enter, Key::F(10), k]);
        prop_assert!(!started(&fx));
    }
}

#[test]
fn esc_then_enter_leaves_without_writing() {
    let mut m = model(false);
    let fx = keys(&mut m, &[Key::Esc]);
    assert_eq!(m.overlay, Some(Overlay::Quit));
    assert!(fx.is_empty());
    let fx = keys(&mut m, &[Key::Enter]);
    assert_eq!(m.exit, Some(Exit::Declined));
    assert!(fx.contains(&Effect::Quit));
    assert!(fx.contains(&Effect::Transcript("Nothing was written.".into())));
}

#[test]
fn deselecting_a_disk_leaves_it_out_and_the_forecast_says_so() {
    let mut m = model(false);
    keys(&mut m, &[Key::Tab, Key::Space]);
    let plan = m.plan.as_ref().unwrap();
    assert_eq!(plan.targets().len(), 1);
    assert!(
        plan.skipped
            .iter()
            .any(|s| s.reason == SkipReason::NotSelected)
    );
    let v = m.expected.as_ref().unwrap();
    assert!(
        v.actions
            .iter()
            .any(|a| matches!(a, Action::SanitizeOrRemoveDisk { .. }))
    );
    keys(&mut m, &[Key::Space]);
    assert_eq!(m.plan.as_ref().unwrap().targets().len(), 2);
}

#[test]
fn purge_asked_runs_clear_and_says_so() {
    let mut m = model(false);
    keys(&mut m, &[Key::Tab, Key::Right]);
    assert!(m.purge_requested());
    let plan = m.plan.as_ref().unwrap();
    assert_eq!(plan.level, Level::Purge);
    assert!(
        plan.targets()
            .iter()
            .all(|t| t.method().to_string() == "zero")
    );
    let fx = keys(&mut m, &[Key::Enter, Key::F(10), Key::Enter]);
    assert!(started(&fx));
    // No drive was asked: each disk's technique is in the log, a Clear.
    assert!(m.log.iter().any(|l| l.text.ends_with(": Clear: zero")));
}

#[test]
fn automatic_mode_presses_nothing_and_shows_every_screen() {
    let mut m = model(true);
    let fx = start(&mut m);
    assert_eq!(fx, [Effect::Transcript("reprise: screen machine".into())]);
    update(&mut m, Msg::Tick(Duration::from_secs(2)));
    assert_eq!(m.screen, Screen::Machine, "each screen stays up its time");
    update(&mut m, Msg::Tick(Duration::from_secs(4)));
    assert_eq!(m.screen, Screen::Confirm);
    update(&mut m, Msg::Tick(Duration::from_secs(5)));
    assert_eq!(
        m.screen,
        Screen::Confirm,
        "the confirmation stays up its time"
    );
    let fx = update(&mut m, Msg::Tick(Duration::from_secs(8)));
    assert!(started(&fx));
    assert_eq!(m.screen, Screen::Wipe);
}

#[test]
fn automatic_mode_without_a_home_for_the_certificate_writes_nothing() {
    let why = NotReady {
        stick: NoStick::None,
        server: None,
    };
    let mut m = model(true).ready(Err(why.clone()));
    let fx = start(&mut m);
    assert!(fx.iter().any(|e| matches!(e, Effect::Transcript(t) if t.starts_with("NOTHING WAS WRITTEN: no Reprise stick"))));
    assert_eq!(m.screen, Screen::Error);
    for s in 0..30 {
        let fx = update(&mut m, Msg::Tick(Duration::from_secs(s)));
        assert!(!started(&fx));
    }
    assert_eq!(m.exit, Some(Exit::NotReady(why)));
}

#[test]
fn esc_stops_the_automatic_countdown() {
    let mut m = model(true);
    keys(&mut m, &[Key::Esc]);
    for s in 0..60 {
        assert!(!started(&update(&mut m, Msg::Tick(Duration::from_secs(s)))));
    }
    assert_eq!(m.screen, Screen::Machine);
    assert!(started(&keys(
        &mut m,
        &[Key::Enter, Key::F(10), Key::Enter]
    )));
}

fn running() -> Model {
    let mut m = model(false);
    keys(&mut m, &[Key::Enter, Key::F(10), Key::Enter]);
    m
}

fn progress(m: &Model, i: usize, done: u64) -> Msg {
    let d = &m.run.disks()[i];
    Msg::Wipe(WipeEvent::Progress(Progress {
        disk: d.id.clone(),
        device: d.name.clone(),
        pass: 1,
        passes: 1,
        phase: Phase::Write,
        bytes_done: done,
        bytes_total: d.size,
        rate_bps: 100_000_000,
        eta_ms: Some(60_000),
    }))
}

#[test]
fn progress_and_a_worker_error_show_and_never_stop_the_screen() {
    let mut m = running();
    let p = progress(&m, 0, 10);
    let fx = update(&mut m, p);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Transcript(t) if t.contains("pass 1/1 write")))
    );
    assert!(m.run.disks()[0].last.is_some());
    let d = m.run.disks()[1].clone();
    update(
        &mut m,
        Msg::Wipe(WipeEvent::Finished {
            disk: d.id.clone(),
            device: d.name.clone(),
            outcome: Outcome::Failed,
        }),
    );
    assert_eq!(m.run.disks()[1].finished, Some(Outcome::Failed));
    assert!(m.log.iter().any(|l| l.bad && l.text.contains("FAILED")));
    // The screen goes on: keys still work.
    keys(&mut m, &[Key::F(1)]);
    assert_eq!(m.overlay, Some(Overlay::Help));
}

#[test]
fn cancel_needs_its_own_confirmation() {
    let mut m = running();
    keys(&mut m, &[Key::Esc]);
    assert_eq!(m.overlay, Some(Overlay::Cancel { armed: false }));
    assert!(!keys(&mut m, &[Key::Enter]).contains(&Effect::Cancel));
    let fx = keys(&mut m, &[Key::F(10), Key::Enter]);
    assert!(fx.contains(&Effect::Cancel));
    assert!(matches!(
        m.run,
        RunState::Running {
            cancelling: true,
            ..
        }
    ));
}

#[test]
fn sigterm_cancels_at_once() {
    let mut m = running();
    let fx = update(&mut m, Msg::Signal("SIGTERM".into()));
    assert!(fx.contains(&Effect::Cancel));
}

#[test]
fn a_failed_run_shows_why_and_exits_with_it() {
    let mut m = running();
    update(
        &mut m,
        Msg::RunDone(Box::new(Err("cannot issue the certificate".into()))),
    );
    assert_eq!(m.screen, Screen::Error);
    assert!(m.fatal.as_deref().unwrap().contains("cannot issue"));
    keys(&mut m, &[Key::Enter]);
    assert_eq!(
        m.exit,
        Some(Exit::Failed("cannot issue the certificate".into()))
    );
}

#[test]
fn the_keyboard_check_lists_dead_keys_and_the_forecast_asks_for_a_new_keyboard() {
    let mut m = model(false);
    let fx = keys(&mut m, &[Key::F(2)]);
    assert_eq!(m.screen, Screen::Keyboard);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Checks { busy: true, .. }))
    );
    // F1 is a key to test here, not help.
    keys(&mut m, &[Key::F(1), letter('a'), Key::Enter]);
    assert!(m.overlay.is_none());
    let fx = keys(&mut m, &[Key::Esc, Key::Esc, Key::Esc]);
    assert_eq!(m.screen, Screen::Machine);
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::Checks { busy: false, record } if record.keyboard.is_some())
        )
    );
    let k = m.checks.keyboard.as_ref().unwrap();
    assert!(k.keys_not_pressed.contains(&"E".to_owned()));
    assert!(!k.keys_not_pressed.contains(&"A".to_owned()));
    let v = m.expected.as_ref().unwrap();
    assert!(
        v.actions
            .iter()
            .any(|a| matches!(a, Action::ReplaceKeyboard { .. }))
    );
}

#[test]
fn the_screen_check_records_the_colour_of_a_defect() {
    let mut m = model(false);
    keys(&mut m, &[Key::F(3), Key::Enter, Key::F(8)]);
    let s = m.checks.screen.as_ref().unwrap();
    assert!(!s.passed);
    assert_eq!(s.defect_on.as_deref(), Some("red"));
    assert_eq!(m.screen, Screen::Machine);
}

#[test]
fn the_cooling_check_starts_the_load_and_records_its_readings() {
    let mut m = model(false);
    let fx = keys(&mut m, &[Key::F(4)]);
    assert!(fx.contains(&Effect::StartCooling {
        duration_ms: 30_000
    }));
    let r = crate::checks::cooling::evaluate(&[], 8, 30_000);
    update(
        &mut m,
        Msg::CoolingDone(crate::cert::model::CoolingCheck {
            max_millicelsius: Some(99_000),
            ..r
        }),
    );
    assert!(m.checks.cooling.is_some());
    keys(&mut m, &[Key::Esc]);
    assert_eq!(m.screen, Screen::Machine);
    let v = m.expected.as_ref().unwrap();
    assert!(v.actions.contains(&Action::CleanCooling));
}

/// A RAM test that tested nothing (the wipe ended before its first chunk) is logged as not run,
/// with why — never "0 GiB tested, 0 error(s)".
#[test]
fn a_ram_test_that_tested_nothing_is_logged_as_not_run() {
    let mut m = model(false);
    update(
        &mut m,
        Msg::RamDone(crate::cert::model::MemoryCheck {
            patterns: Vec::new(),
            bytes_tested: 0,
            bytes_total: Some(8 << 30),
            duration_ms: 2,
            completed: false,
            errors: 0,
            first_errors: Vec::new(),
            module: None,
            ended_by: Some(crate::cert::model::RamEnd::WipeEnded),
        }),
    );
    let last = &m.log.back().unwrap().text;
    assert_eq!(
        last,
        "RAM test: not run: the wipe ended before one pattern was written and read back"
    );
}

#[test]
fn the_demo_quits_on_q_even_mid_wipe_once_the_workers_stopped() {
    let mut m = screen(false, true);
    keys(&mut m, &[Key::Enter, Key::F(10), Key::Enter]);
    let fx = keys(&mut m, &[letter('q')]);
    assert!(fx.contains(&Effect::Cancel));
    assert!(m.exit.is_none(), "the workers stop first");
    update(&mut m, Msg::RunDone(Box::new(Err("cancelled".into()))));
    assert!(m.exit.is_some());
    let mut idle = screen(false, true);
    assert!(keys(&mut idle, &[letter('q')]).contains(&Effect::Quit));
    // Outside the demo, q is nothing.
    let mut real = model(false);
    assert!(keys(&mut real, &[letter('q')]).is_empty());
}

/// `m`, ending with the operator's choice (init's `--choice-file`), the shell listed or not.
fn asking_end(mut m: Model, shell: bool) -> Model {
    let run = std::sync::Arc::make_mut(&mut m.cfg.run);
    run.choice_file = Some(PathBuf::from("/run/reprise/next"));
    run.shell = shell;
    m
}

/// A run that failed, on its last screen.
fn failed(m: &mut Model) {
    keys(m, &[Key::Enter, Key::F(10), Key::Enter]);
    update(m, Msg::RunDone(Box::new(Err("cannot issue".into()))));
    assert_eq!(m.screen, Screen::Error);
}

#[test]
fn the_end_offers_power_off_first_then_reboot_and_the_shell_only_behind_f12() {
    use crate::flow::end::Choice;
    // Enter, Enter: power off, the default.
    let mut m = asking_end(model(false), false);
    failed(&mut m);
    let fx = keys(&mut m, &[Key::Enter]);
    assert_eq!(m.overlay, Some(Overlay::End { selected: 0 }));
    assert!(fx.contains(&Effect::Transcript("reprise: screen end".into())));
    assert!(m.exit.is_none(), "the dialog waits for the operator");
    let fx = keys(&mut m, &[Key::Enter]);
    assert_eq!(m.choice, Some(Choice::PowerOff));
    assert_eq!(m.exit, Some(Exit::Failed("cannot issue".into())));
    assert!(fx.contains(&Effect::Transcript("reprise: end: poweroff".into())));
    assert!(fx.contains(&Effect::Quit));

    // Down, Enter: reboot; the cursor stops at the last choice listed (no shell without
    // reprise.shell=1).
    let mut m = asking_end(model(false), false);
    failed(&mut m);
    keys(&mut m, &[Key::Enter, Key::Down, Key::Down, Key::Down]);
    assert_eq!(m.overlay, Some(Overlay::End { selected: 1 }));
    keys(&mut m, &[Key::Enter]);
    assert_eq!(m.choice, Some(Choice::Reboot));

    // Esc goes back to the result; F12, on no button, is the maintenance shell.
    let mut m = asking_end(model(false), false);
    failed(&mut m);
    keys(&mut m, &[Key::Enter, Key::Esc]);
    assert_eq!((m.overlay, m.exit.clone()), (None, None));
    keys(&mut m, &[Key::Esc, Key::F(12)]);
    assert_eq!(m.choice, Some(Choice::Shell));

    // reprise.shell=1 lists it: third, never under the cursor at first.
    let mut m = asking_end(model(false), true);
    assert_eq!(
        m.cfg.ending_choices(),
        [Choice::PowerOff, Choice::Reboot, Choice::Shell]
    );
    failed(&mut m);
    keys(&mut m, &[Key::Enter, Key::Down, Key::Down, Key::Enter]);
    assert_eq!(m.choice, Some(Choice::Shell));

    // Without init to act on it (a run by hand), Enter finishes as before.
    let mut m = model(false);
    failed(&mut m);
    keys(&mut m, &[Key::Enter]);
    assert_eq!((m.overlay, m.choice), (None, None));
    assert!(m.exit.is_some());
}

#[test]
fn an_automatic_run_asks_nothing_and_leaves_the_end_to_init() {
    let mut m = asking_end(model(true), false);
    failed(&mut m);
    update(&mut m, Msg::Tick(Duration::from_secs(600)));
    assert_eq!(m.exit, Some(Exit::Failed("cannot issue".into())));
    assert_eq!((m.overlay, m.choice), (None, None));
    // An operator who is there presses Enter before the countdown ends: the dialog then
    // waits for the answer, whatever the countdown says.
    let mut m = asking_end(model(true), false);
    failed(&mut m);
    keys(&mut m, &[Key::Enter]);
    update(&mut m, Msg::Tick(Duration::from_secs(600)));
    assert!(m.exit.is_none());
    assert_eq!(m.overlay, Some(Overlay::End { selected: 0 }));
    keys(&mut m, &[Key::Down, Key::Enter]);
    assert_eq!(m.choice, Some(crate::flow::end::Choice::Reboot));
}

mod install {
    //! The family system's install on the screen: it follows, or is chosen from the server's
    //! list, moves its gauge, is cancelled only through F10 then Enter, and ends on the result.

    use super::*;
    use crate::deploy::engine::{Filesystem, InstallProgress, Phase as Step, Written};
    use crate::deploy::gpt::Layout as Gpt;
    use crate::deploy::{Compression, ImageSpec, Install, Installed, Sha256};
    use crate::flow::deploy::{Due, InstallEvent, Installing, ListedImage};
    use crate::model::DiskIdentity;
    use crate::tui::model::{InstallState, InstallStep, RunResult};

    const MB: u64 = 1_000_000;

    fn image() -> ImageSpec {
        ImageSpec {
            name: "famille".into(),
            version: "2.0".into(),
            sha256: Sha256([0xab; 32]),
            compression: Compression::Zstd,
            raw_size: Some(800 * MB),
        }
    }

    fn disk() -> DiskIdentity {
        DiskIdentity::for_file("/dev/sda", 128_000 * MB)
    }

    /// The run is over, sanitized and refurbish; `install` says what follows.
    fn finished(auto: bool, install: Due) -> (Model, Vec<Effect>) {
        let mut m = model(auto);
        if auto {
            update(&mut m, Msg::Tick(Duration::from_secs(3)));
            update(&mut m, Msg::Tick(Duration::from_secs(6)));
        } else {
            keys(&mut m, &[Key::Enter, Key::F(10), Key::Enter]);
        }
        assert!(m.run.is_running());
        let verdict = m.expected.clone().unwrap();
        let fx = update(
            &mut m,
            Msg::RunDone(Box::new(Ok(RunResult {
                status: RunStatus::Sanitized,
                verdict,
                devices: Vec::new(),
                certificate: PathBuf::from("/run/reprise/data/certs/a-00000001.json"),
                digest: Ok("sha256:00".into()),
                requested_purge: false,
                appeared: Vec::new(),
                install,
            }))),
        );
        (m, fx)
    }

    fn sample(phase: Step, done: u64) -> Msg {
        Msg::Install(InstallEvent::Progress(InstallProgress {
            phase,
            bytes_done: done,
            bytes_total: Some(800 * MB),
            rate_bps: 50 * MB,
            eta_ms: None,
        }))
    }

    fn installed() -> Install {
        Install::Installed(Box::new(Installed {
            image: image(),
            disk: disk(),
            written: Written {
                raw_bytes: 800 * MB,
                sha256: Sha256([0xab; 32]),
                layout: Gpt {
                    sector_size: 512,
                    partitions: 1,
                    last_partition_end: 800 * MB - 33 * 512,
                    entry_sectors: 32,
                },
                write_ms: 8000,
                write_rate_bps: 100 * MB,
                readback_ms: 4000,
                readback_rate_bps: 200 * MB,
            },
            filesystem: Filesystem::AlreadyFull,
            record: PathBuf::from("/run/reprise/data/certs/refurbish/a-00000001-r.json"),
        }))
    }

    fn listed(name: &str, version: &str) -> ListedImage {
        ListedImage {
            name: name.into(),
            version: version.into(),
            sha256: format!("sha256:{}", "cd".repeat(32)),
            raw_size: Some(4_000 * MB),
            compression: Some("zstd".into()),
            url: format!("/api/v1/images/{name}/{version}"),
        }
    }

    fn running(m: &Model) -> &crate::tui::model::InstallRun {
        match &m.install {
            InstallState::Running(r) => r,
            other => panic!("no install under way: {other:?}"),
        }
    }

    /// Automatic mode with `reprise.deploy=`: the install follows the wipe without a key, its
    /// steps move the gauge, and the result comes once it is verified.
    #[test]
    fn a_named_image_follows_the_wipe_without_a_key_and_ends_on_the_result() {
        let (mut m, fx) = finished(true, Due::Configured("famille".into()));
        assert!(fx.contains(&Effect::StartInstall { image: None }));
        assert_eq!(m.screen, Screen::Install);
        assert_eq!(running(&m).step, InstallStep::Opening);
        update(
            &mut m,
            Msg::Install(InstallEvent::Started(Box::new(Installing {
                image: image(),
                source: "server",
                location: "http://10.0.2.2:8080/api/v1/images/famille/2.0".into(),
                disk: disk(),
            }))),
        );
        for s in 0..=4u64 {
            update(&mut m, Msg::Tick(Duration::from_secs(10 + s)));
            update(&mut m, sample(Step::Write, s * 100 * MB));
        }
        let r = running(&m);
        assert_eq!(r.step, InstallStep::Write);
        assert_eq!(r.permille(), 500);
        assert_eq!(
            r.rate_bps(),
            100 * MB,
            "the window's rate, not the engine's"
        );
        assert_eq!(r.eta_ms(), Some(4_000));
        update(&mut m, Msg::Install(InstallEvent::Resumed(1)));
        assert_eq!(running(&m).resumes, 1);
        update(&mut m, sample(Step::ReadBack, 8 * MB));
        assert_eq!(running(&m).step, InstallStep::ReadBack);
        assert_eq!(
            running(&m).meter.rate_bps(),
            None,
            "a new step, a new meter"
        );
        update(&mut m, Msg::Install(InstallEvent::Layout));
        update(&mut m, Msg::Install(InstallEvent::Filesystem));
        assert_eq!(running(&m).step, InstallStep::Filesystem);
        // The result waits for the install: the linger has long passed.
        update(&mut m, Msg::Tick(Duration::from_secs(60)));
        assert_eq!(m.screen, Screen::Install);
        assert!(m.exit.is_none());
        let fx = update(&mut m, Msg::InstallDone(Box::new(installed())));
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::Transcript(t) if t.starts_with("Installed famille")))
        );
        assert_eq!(m.screen, Screen::Result);
        assert!(!m.offers_install());
        update(&mut m, Msg::Tick(Duration::from_secs(70)));
        assert_eq!(m.exit, Some(Exit::Finished(RunStatus::Sanitized)));
    }

    /// Interactive, a server, no image named: F9 lists the server's images, arrows and Enter
    /// choose one, Esc goes back; a list that cannot be had is said in words.
    #[test]
    fn the_operator_chooses_an_image_from_the_servers_list() {
        let (mut m, fx) = finished(false, Due::Offered);
        assert!(!fx.iter().any(|e| matches!(e, Effect::StartInstall { .. })));
        assert_eq!(m.screen, Screen::Result);
        assert!(m.offers_install());
        assert!(keys(&mut m, &[Key::F(9)]).contains(&Effect::ListImages));
        assert_eq!(m.install, InstallState::Listing);
        update(&mut m, Msg::Images(Err("connection refused".into())));
        match &m.install {
            InstallState::Offered { error: Some(e) } => {
                assert!(e.contains("connection refused"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        keys(&mut m, &[Key::F(9)]);
        update(
            &mut m,
            Msg::Images(Ok(vec![listed("famille", "2.0"), listed("mint", "22")])),
        );
        assert_eq!(m.screen, Screen::Images);
        keys(&mut m, &[Key::Esc]);
        assert_eq!(m.screen, Screen::Result);
        assert!(m.offers_install());
        keys(&mut m, &[Key::F(9)]);
        update(
            &mut m,
            Msg::Images(Ok(vec![listed("famille", "2.0"), listed("mint", "22")])),
        );
        let fx = keys(&mut m, &[Key::Down, Key::Down, Key::Enter]);
        assert!(fx.contains(&Effect::StartInstall {
            image: Some(Box::new(listed("mint", "22")))
        }));
        assert_eq!(m.screen, Screen::Install);
        // Enter on the install screen ends nothing.
        keys(&mut m, &[Key::Enter]);
        assert!(m.exit.is_none());
    }

    /// Automatic mode never asks: an offer there is no install.
    #[test]
    fn automatic_mode_never_asks_for_an_image() {
        let (mut m, _) = finished(true, Due::Offered);
        assert_eq!(m.screen, Screen::Result);
        assert!(!m.offers_install());
        assert!(!keys(&mut m, &[Key::F(9)]).contains(&Effect::ListImages));
    }

    /// Esc asks; Enter alone does not cancel; F10 then Enter does, and the outcome is a failed
    /// install said as cancelled — never installed. A signal cancels at once.
    #[test]
    fn cancelling_the_install_needs_its_confirmation_and_is_no_install() {
        let (mut m, _) = finished(false, Due::Configured("famille".into()));
        keys(&mut m, &[Key::Esc]);
        assert_eq!(m.overlay, Some(Overlay::CancelInstall { armed: false }));
        assert!(!keys(&mut m, &[Key::Enter]).contains(&Effect::CancelInstall));
        assert!(keys(&mut m, &[Key::F(10), Key::Enter]).contains(&Effect::CancelInstall));
        assert!(running(&m).cancelling);
        update(
            &mut m,
            Msg::Install(InstallEvent::Failed(crate::deploy::Failure::Cancelled)),
        );
        update(
            &mut m,
            Msg::InstallDone(Box::new(Install::Failed(
                "install on /dev/sda cancelled".into(),
            ))),
        );
        assert!(matches!(
            m.install,
            InstallState::Done {
                outcome: Install::Failed(_),
                cancelled: true,
                failure: Some(crate::deploy::Failure::Cancelled),
            }
        ));
        assert_eq!(m.screen, Screen::Result);

        let (mut m, _) = finished(false, Due::Configured("famille".into()));
        let fx = update(&mut m, Msg::Signal("SIGTERM".into()));
        assert!(fx.contains(&Effect::CancelInstall));
        assert!(m.exit.is_none(), "the screen waits for the install to stop");
    }

    /// Not due (a recycle verdict): nothing runs, and the step's reason is kept.
    #[test]
    fn an_install_not_due_starts_nothing() {
        let (m, fx) = finished(
            false,
            Due::No(Install::NotDue("the verdict is recycle".into())),
        );
        assert!(!fx.iter().any(|e| matches!(e, Effect::StartInstall { .. })));
        assert_eq!(m.screen, Screen::Result);
        assert!(!m.offers_install());
    }
}
