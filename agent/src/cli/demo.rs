//! `reprise demo [--auto]`: the operator's screen over a simulated laptop — a recorded machine
//! (a probe fixture tree) whose disks are stood in for by files in a new temporary folder — with
//! no root, no QEMU and no device: anyone sees the whole flow in a terminal in under a minute.
//! `--auto` runs it through and exits 0; `q` quits at any time.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};

use super::run::{Keymap, finish_screen, keymap, language, on_a_terminal, transcript_sink};
use crate::flow::{self, DataDir, Settings};
use crate::model::{Language, Transport};
use crate::sys::SysRoot;
use crate::tui;

/// The recorded laptop the demo shows (see `make-demo-laptop.sh` next to it).
const DEMO_LAPTOP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/probe/demo-laptop"
);

/// Arguments of `reprise demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run through every screen without a keystroke, and exit 0 when every disk was sanitized.
    #[arg(long)]
    pub auto: bool,
    /// Language: fr or en (default: from `LANG`, else fr).
    #[arg(long)]
    pub lang: Option<Language>,
    /// Keyboard map of the keyboard check: fr or us.
    #[arg(long, value_name = "MAP")]
    pub keymap: Option<Keymap>,
    /// The recorded machine to show (a sysfs/procfs tree).
    #[arg(long, value_name = "DIR", default_value = DEMO_LAPTOP)]
    pub root: PathBuf,
    /// How fast the simulated disks write and read, MB/s.
    #[arg(long, value_name = "MBPS", default_value_t = 25)]
    pub speed: u64,
    /// How long the cooling check loads the CPU, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub cooling: u64,
    /// Tests only: panic once the first screen is drawn (the terminal must come back).
    #[arg(long, hide = true)]
    pub panic_after_first_frame: bool,
}

/// Size of a stand-in: small enough to wipe in seconds at the demo's pace.
fn stand_in_size(transport: Transport) -> u64 {
    match transport {
        Transport::Nvme => 96 << 20,
        _ => 128 << 20,
    }
}

/// Runs `reprise demo`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !on_a_terminal() {
        bail!("reprise demo needs a terminal (run it in a terminal window, or under tmux)");
    }
    let lang = language(args.lang);
    let root = SysRoot::new(&args.root);
    let probe = crate::probe::probe(&root)
        .with_context(|| format!("cannot read the demo laptop {}", args.root.display()))?;
    let dir =
        crate::sys::scratch::new_dir("reprise-demo").context("cannot create the demo's folder")?;
    let disks_dir = dir.join("disks");
    crate::sys::atomic::ensure_dir(&disks_dir).context("cannot create the demo's folder")?;
    let transports: Vec<Transport> = probe.disks.iter().map(|d| d.transport).collect();
    let (probe, stand_ins) = flow::demo::stand_in(&probe, &disks_dir, |i| {
        stand_in_size(transports.get(i).copied().unwrap_or(Transport::Unknown))
    })?;
    let data = DataDir(dir.join("data"));
    let (key, _) = flow::load_or_create_key(&data)?;
    let policy = flow::load_policy(None, None)?;
    let settings = Settings::default();
    let session = tui::Session {
        probe: probe.clone(),
        root: root.clone(),
        data: data.clone(),
        key: key.clone(),
        policy: policy.clone(),
        organisation: Some("Reprise demo".into()),
        site: "demo".into(),
        operator: "demo".into(),
        language: lang,
        image_digest: None,
        server: None,
        demo: Some(tui::DemoRun {
            dir: disks_dir.clone(),
            stand_ins: stand_ins.clone(),
            pace_bps: args.speed.max(1) * 1_000_000,
        }),
        transcript: transcript_sink(),
        panic_after_first_frame: args.panic_after_first_frame,
    };
    let cfg = tui::Config {
        lang,
        auto: args.auto,
        demo: true,
        keymap: keymap(args.keymap, lang),
        poweroff: false,
        ram_test: true,
        cooling_ms: args.cooling.max(1) * 1000,
        auto_step: Duration::from_millis(1500),
        linger: Duration::from_secs(3),
        certificate_home: data.certs().display().to_string(),
        server: None,
    };
    let stands_for = tui::runtime::stands_for(&probe, &stand_ins);
    // On the demo's test tree no drive is asked: the plan says so for each disk under Purge.
    let inspection = flow::inspect(&root, &probe);
    let model =
        tui::Model::new(cfg, probe, policy, settings, stands_for).with_inspection(inspection);
    let ending = tui::run(model, session)?;
    // The stand-ins are the demo's own files: they go; the certificate and logs stay to look at.
    for s in &stand_ins {
        let _ = crate::sys::scratch::remove_file_in(&disks_dir, &s.file);
    }
    let code = finish_screen(ending, &key, &data, None, false);
    println!("Demo folder (certificate, logs): {}", dir.display());
    code
}
