//! The operator's screen on a laptop where no internal storage is found (a RAID-mode or VMD
//! laptop without the driver, shown by the demo laptop without its disks): it stops on its first
//! screen and writes nothing; F7 lets the operator state the laptop has no disk, which the
//! checks record; an automatic run offers no statement and ends.

use std::path::Path;
use std::time::Duration;

use reprise::checks::keyboard::Layout;
use reprise::flow::DataDir;
use reprise::flow::config::{self, Given, RunFlags};
use reprise::flow::run::Run;
use reprise::model::{Language, Level};
use reprise::sys::SysRoot;
use reprise::tui::keys::Key;
use reprise::tui::model::{Config, Exit, Model, Screen};
use reprise::tui::msg::Effect;
use reprise::tui::{Msg, update};

fn keys(m: &mut Model, keys: &[Key]) -> Vec<Effect> {
    keys.iter().flat_map(|k| update(m, Msg::Key(*k))).collect()
}

fn started(fx: &[Effect]) -> bool {
    fx.iter().any(|e| matches!(e, Effect::StartRun { .. }))
}

/// The demo laptop without its NVMe and SATA disks (a RAID-mode or VMD laptop without the
/// driver): a copy in `dir`, and a screen over it.
fn diskless(dir: &Path, auto: bool) -> Model {
    let root = dir.join("laptop");
    let copied = std::process::Command::new("cp")
        .args([
            "-a",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/probe/demo-laptop"
            ),
        ])
        .arg(&root)
        .status()
        .unwrap();
    assert!(copied.success());
    for disk in ["nvme0n1", "sda"] {
        std::fs::remove_file(root.join("sys/block").join(disk)).unwrap();
    }
    let given = Given {
        auto: auto.then_some(Level::Clear),
        language: Some(Language::En),
        keymap: Some(Layout::UsQwerty),
        ..Given::default()
    };
    let flags = RunFlags::new(SysRoot::new(&root), DataDir(dir.join("data")));
    let run = Run::prepare(config::resolve(given, Given::default(), flags, None)).unwrap();
    let mut cfg = Config::new(&run.config);
    cfg.auto_step = Duration::from_secs(3);
    Model::new(cfg, &run)
}

#[test]
fn no_internal_storage_stops_on_the_first_screen_and_f7_states_there_is_no_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = diskless(dir.path(), false);
    let fx = update::start(&mut m);
    assert_eq!(m.screen, Screen::Error);
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::Transcript(t) if t.starts_with("NO INTERNAL STORAGE FOUND"))
        ),
        "{fx:?}"
    );
    assert!(matches!(m.pending_exit, Some(Exit::NoStorage(_))));
    // Keys that are not F7 or a way out do nothing; nothing ever starts.
    assert!(!started(&keys(
        &mut m,
        &[Key::F(10), Key::Space, Key::F(6)]
    )));
    assert_eq!(m.screen, Screen::Error);

    let fx = keys(&mut m, &[Key::F(7)]);
    assert_eq!(m.screen, Screen::Machine);
    assert!(m.checks.no_disk_stated);
    assert!(m.fatal.is_none() && m.pending_exit.is_none() && m.exit.is_none());
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Checks { record, .. } if record.no_disk_stated)),
        "{fx:?}"
    );
    assert!(fx.contains(&Effect::Transcript(
        "reprise: the operator states that this laptop has no disk".into()
    )));
}

#[test]
fn no_internal_storage_left_with_enter_ends_the_run_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = diskless(dir.path(), false);
    update::start(&mut m);
    let fx = keys(&mut m, &[Key::Enter]);
    assert!(fx.contains(&Effect::Quit));
    assert!(matches!(m.exit, Some(Exit::NoStorage(ref none)) if none.hiding.is_empty()));
}

#[test]
fn automatic_mode_with_no_internal_storage_offers_no_statement_and_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = diskless(dir.path(), true);
    update::start(&mut m);
    assert_eq!(m.screen, Screen::Error);
    keys(&mut m, &[Key::F(7)]);
    assert!(!m.checks.no_disk_stated, "nobody is there to state it");
    assert_eq!(m.screen, Screen::Error);
    for s in 0..60 {
        assert!(!started(&update(&mut m, Msg::Tick(Duration::from_secs(s)))));
    }
    assert!(matches!(m.exit, Some(Exit::NoStorage(_))));
}
