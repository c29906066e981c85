//! The runtime around `update`, on ratatui's `TestBackend`: the screen's thread waits only on its
//! message channel, so a disk that stops answering (here a stand-in paced at 1 kB/s, whose worker
//! sleeps for hours in one write) never freezes it — a signal still gets its answer at once.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use reprise::flow::config::{self, Given, RunFlags};
use reprise::flow::{self, DataDir};
use reprise::model::Language;
use reprise::sys::SysRoot;
use reprise::tui::Msg;
use reprise::tui::keys::Key;
use reprise::tui::model::{Config, Model};
use reprise::tui::runtime::{Ending, Session, drive};

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/probe/demo-laptop"
);

/// A transcript that hands each line to the test.
struct Lines(mpsc::Sender<String>, Vec<u8>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.1.extend_from_slice(buf);
        while let Some(i) = self.1.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.1.drain(..=i).collect();
            let _ = self
                .0
                .send(String::from_utf8_lossy(&line).trim_end().to_owned());
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn wait_for(lines: &mpsc::Receiver<String>, what: &str, within: Duration) -> Duration {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Ok(l) = lines.recv_timeout(Duration::from_millis(50))
            && l.contains(what)
        {
            return start.elapsed();
        }
    }
    panic!("{what:?} not in the transcript within {within:?}");
}

/// A demo run's screen driven on ratatui's `TestBackend` on its own thread: `given`'s settings,
/// stand-ins of `stand_in` bytes written at `pace` bytes per second, `prepare` run on the data
/// folder first. Messages go in by `msgs`, transcript lines come out by `lines`, the session's
/// end by `end`.
struct Driven {
    dir: tempfile::TempDir,
    msgs: mpsc::Sender<Msg>,
    lines: mpsc::Receiver<String>,
    end: mpsc::Receiver<Ending>,
}

fn driven(given: Given, stand_in: u64, pace: u64, prepare: impl FnOnce(&Path)) -> Driven {
    let dir = tempfile::tempdir().unwrap();
    let disks = dir.path().join("disks");
    std::fs::create_dir(&disks).unwrap();
    prepare(&dir.path().join("data"));
    let flags = RunFlags {
        ram_test: false,
        ..RunFlags::new(SysRoot::new(DEMO), DataDir(dir.path().join("data")))
    };
    let config = config::resolve(given, Given::default(), flags, None);
    let run = flow::run::Run::demo(config, &disks, move |_| stand_in, pace).unwrap();
    let station = run.station().unwrap();
    let mut cfg = Config::new(&run.config);
    cfg.demo = true;
    cfg.cooling_ms = 1000;
    cfg.auto_step = Duration::from_secs(1);
    let mut model = Model::new(cfg, &run);
    let (lines_tx, lines) = mpsc::channel();
    let session = Session {
        run: Arc::new(run),
        station,
        transcript: Box::new(Lines(lines_tx, Vec::new())),
    };
    let (tx, rx) = mpsc::channel();
    let msgs = tx.clone();
    let (end_tx, end) = mpsc::channel();
    std::thread::spawn(move || {
        let mut term = Terminal::new(TestBackend::new(80, 25)).unwrap();
        if let Ok(ending) = drive(&mut model, session, &mut term, &tx, rx) {
            let _ = end_tx.send(ending);
        }
    });
    Driven {
        dir,
        msgs,
        lines,
        end,
    }
}

fn english() -> Given {
    Given {
        language: Some(Language::En),
        ..Given::default()
    }
}

#[test]
fn a_stuck_disk_never_freezes_the_screen() {
    // 1 kB/s: the first 8 MiB write sleeps for hours, as a disk that stopped answering.
    // The folder (and its stand-ins) lives as long as the test.
    let Driven {
        dir: _dir,
        msgs: keys,
        lines,
        ..
    } = driven(english(), 16 << 20, 1000, |_| {});
    wait_for(&lines, "reprise: screen machine", Duration::from_secs(20));
    for k in [Key::Enter, Key::F(10), Key::Enter] {
        keys.send(Msg::Key(k)).unwrap();
    }
    wait_for(&lines, "reprise: screen wipe", Duration::from_secs(20));
    // Let the workers get stuck in their first write.
    std::thread::sleep(Duration::from_millis(500));
    keys.send(Msg::Signal("SIGTERM".into())).unwrap();
    let took = wait_for(
        &lines,
        "SIGTERM received, cancelling",
        Duration::from_secs(5),
    );
    assert!(
        took < Duration::from_secs(2),
        "the screen answered after {took:?}"
    );
}

/// Every line of the screen's transcript passes through one place that escapes it: an error
/// that quotes what a drive said (here with a screen-clearing sequence, a carriage return and a
/// line feed) reaches the serial console as one line of visible escapes.
#[test]
fn the_screens_transcript_lines_are_escaped() {
    let Driven {
        dir: _dir,
        msgs,
        lines,
        ..
    } = driven(english(), 1 << 20, 1_000_000, |_| {});
    wait_for(&lines, "reprise: screen machine", Duration::from_secs(20));
    msgs.send(Msg::RunDone(Box::new(Err(
        "serial S1\u{1b}[2J\r\nFAKE: SANITIZED\u{202e}".into(),
    ))))
    .unwrap();
    let start = Instant::now();
    let line = loop {
        let l = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the failure reaches the transcript");
        if l.contains("The run failed") {
            break l;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no failure line");
    };
    assert_eq!(
        line,
        "The run failed: serial S1\\u{1b}[2J\\u{d}\\u{a}FAKE: SANITIZED\\u{202e}"
    );
    // Nothing after it starts with the forged text.
    while let Ok(l) = lines.recv_timeout(Duration::from_millis(200)) {
        assert!(!l.starts_with("FAKE"), "{l}");
    }
}

/// The install through the real runtime: it follows the wipe (an image named), F10 then Enter
/// on its cancel question stops it, and the run's `Executed` records a failed install — never
/// "installed", and no record — for `Run::finish` to keep the laptop on.
#[test]
fn a_cancelled_install_is_a_failed_install_in_the_runs_record() {
    let given = Given {
        deploy: Some("famille".into()),
        ..english()
    };
    // 10 MB/s: the 24 MiB image takes seconds to write and as long to read back.
    let Driven {
        dir,
        msgs: keys,
        lines,
        end,
    } = driven(given, 40 << 20, 10_000_000, |data| {
        crate::support::devices::workshop_image(&data.join("images"), "famille", 24);
    });
    wait_for(&lines, "reprise: screen machine", Duration::from_secs(20));
    for k in [Key::Enter, Key::F(10), Key::Enter] {
        keys.send(Msg::Key(k)).unwrap();
    }
    wait_for(&lines, "reprise: screen install", Duration::from_secs(120));
    wait_for(&lines, "install write", Duration::from_secs(60));
    for k in [Key::Esc, Key::F(10), Key::Enter] {
        keys.send(Msg::Key(k)).unwrap();
    }
    wait_for(
        &lines,
        "install cancelled by the operator",
        Duration::from_secs(20),
    );
    wait_for(
        &lines,
        "THE SYSTEM WAS NOT INSTALLED",
        Duration::from_secs(60),
    );
    wait_for(&lines, "reprise: screen result", Duration::from_secs(20));
    keys.send(Msg::Key(Key::Enter)).unwrap();
    let ending = end.recv_timeout(Duration::from_secs(60)).unwrap();
    let executed = ending.executed.expect("the run's record");
    match executed.install {
        Some(reprise::deploy::Install::Failed(why)) => assert!(why.contains("cancelled"), "{why}"),
        other => panic!("a cancelled install must be a failed one: {other:?}"),
    }
    assert!(
        !dir.path().join("data/certs/refurbish").exists(),
        "no record"
    );
}
