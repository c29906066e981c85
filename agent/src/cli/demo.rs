//! `reprise demo [--auto]`: the operator's screen over a simulated laptop — a recorded machine
//! (a probe fixture tree) whose disks are stood in for by files in a new temporary folder — with
//! no root, no QEMU and no device: anyone sees the whole flow in a terminal in under a minute.
//! `--auto` runs it through and exits 0; `q` quits at any time.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};

use super::run::{Keymap, on_a_terminal, on_screen};
use crate::flow::config::{self, Given, RunFlags};
use crate::flow::{self, DataDir};
use crate::model::{Language, Level, Transport};
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
    /// End with the operator's choice, as the live image does: power off (Enter), reboot, or
    /// the maintenance shell (F12) — written to FILE (a new file) and not acted on.
    #[arg(long, value_name = "FILE")]
    pub choice_file: Option<PathBuf>,
    /// After the run, install the workshop image NAME on the laptop's main disk (its
    /// stand-in), as `reprise.deploy=` does: from `--images`, else the `--server`'s.
    #[arg(long, value_name = "NAME", value_parser = super::run::image_name)]
    pub deploy: Option<String>,
    /// A folder of workshop images (`NAME.img` or `NAME.img.zst` with `NAME.sha256`, each at
    /// most 64 MiB) copied to the demo's data folder, as they sit on a stick's `images/`.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// A workshop server (`reprise-collector`): its images can be chosen on the result screen
    /// (F9), and the certificate is sent to it.
    #[arg(long, value_name = "URL", value_parser = super::server_url)]
    pub server: Option<String>,
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
    let dir =
        crate::sys::scratch::new_dir("reprise-demo").context("cannot create the demo's folder")?;
    let disks = dir.join("disks");
    crate::sys::atomic::ensure_dir(&disks).context("cannot create the demo's folder")?;
    let given = Given {
        auto: args.auto.then_some(Level::Clear),
        language: args.lang,
        keymap: args.keymap.map(Keymap::layout),
        organisation: Some("Reprise demo".into()),
        site: Some("demo".into()),
        operator: Some("demo".into()),
        deploy: args.deploy.clone(),
        server: args.server.clone(),
        ..Given::default()
    };
    if let Some(images) = &args.images {
        crate::sys::file::copy_files(images, &dir.join("data/images"))
            .context("cannot copy the workshop images to the demo's data folder")?;
    }
    // The recorded laptop configures nothing: no kernel command line, no reprise.conf.
    let config = config::resolve(
        given,
        Given::default(),
        RunFlags {
            linger: Duration::from_secs(3),
            choice_file: args.choice_file.clone(),
            ..RunFlags::new(SysRoot::new(&args.root), DataDir(dir.join("data")))
        },
        crate::sys::env::locale().as_deref(),
    );
    // On the demo's test tree no drive is asked: the plan says so for each disk under Purge.
    let mut run =
        flow::run::Run::demo(config, &disks, stand_in_size, args.speed.max(1) * 1_000_000)
            .with_context(|| format!("cannot set up the demo laptop {}", args.root.display()))?;
    let stand_ins = run
        .demo
        .as_ref()
        .map(|d| d.stand_ins.clone())
        .unwrap_or_default();
    let station = run.station()?;
    let mut cfg = tui::Config::new(&run.config);
    cfg.demo = true;
    cfg.cooling_ms = args.cooling.max(1) * 1000;
    cfg.auto_step = Duration::from_millis(1500);
    cfg.panic_after_first_frame = args.panic_after_first_frame;
    let ready = run.ready();
    let model = tui::Model::new(cfg, &run).ready(ready);
    let code = on_screen(run, station, model, Vec::new());
    // The stand-ins are the demo's own files: they go; the certificate and logs stay to look at.
    for s in &stand_ins {
        let _ = crate::sys::scratch::remove_file_in(&disks, &s.file);
    }
    println!("Demo folder (certificate, logs): {}", dir.display());
    code
}
