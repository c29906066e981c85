//! `reprise wipe`: command-line arguments and glue to the library.
//!
//! `reprise wipe DEVICE... --method M --verify V [--passes N] [--yes] [--report FILE]
//! [--root DIR]`. Without `--yes` it names every device (model, serial, size) and asks the
//! operator to type "yes"; anything else exits non-zero with nothing written. All devices are
//! opened (and so checked by the write guard) before the first byte is written. Progress goes
//! to stderr; the JSON report to `--report` (or stdout when not given). Exit codes: 0 all passed,
//! 3 (`EXIT_CHECK_FAILED`) any device failed, 4 (`EXIT_CANCELLED`) declined or cancelled
//! (Ctrl-C cancels the running wipe; the report still gets written).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;

use anyhow::Context;

use crate::sys::SysRoot;
use crate::sys::blockdev::{WriteGuard, device_identity, open_for_write};
use crate::wipe::report::{Outcome, SCHEMA_VERSION, WipeReport};
use crate::wipe::{
    BlockIo, CancelToken, Method, Phase, VerifySpec, WipeEvent, WipeJob, WipePlan, run_devices,
};

/// Arguments of `reprise wipe`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Devices (or files) to overwrite, e.g. /dev/sdb /dev/nvme0n1.
    #[arg(required = true, value_name = "DEVICE")]
    pub devices: Vec<PathBuf>,
    /// zero, one, random, pattern:HEX, pattern-complement:HEX (flash), dod-3pass.
    #[arg(long, default_value = "zero")]
    pub method: Method,
    /// none, sample[:PCT] (NIST SP 800-88 §4.7, default 10 %), full.
    #[arg(long, default_value = "sample")]
    pub verify: VerifySpec,
    /// Repeat the method's passes N times (the last pass is verified).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub passes: u32,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Write the JSON report here (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Root of the sysfs/procfs view (tests); `/` on a real machine.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = bytes;
    let mut u = 0;
    while v >= 10_000 && u + 1 < UNITS.len() {
        v /= 1000;
        u += 1;
    }
    format!("{v} {}", UNITS[u])
}

/// Turns SIGINT/SIGTERM into cancellation: the workers stop at the next buffer and the report
/// still gets written, saying `cancelled`. The signals are blocked in this thread before the
/// workers start (they inherit the mask) and received synchronously by one watcher thread.
fn watch_signals(cancel: &CancelToken) {
    use nix::sys::signal::{SigSet, Signal};
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    if set.thread_block().is_err() {
        return;
    }
    let cancel = cancel.clone();
    std::thread::spawn(move || {
        if let Ok(sig) = set.wait() {
            eprintln!(
                "reprise: {sig} received, cancelling the wipe (the report will say cancelled)"
            );
            cancel.cancel();
        }
    });
}

/// Runs `reprise wipe`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plan = WipePlan {
        devices: args.devices.clone(),
        method: args.method,
        rounds: args.passes,
        verify: args.verify,
    }
    .validate()
    .context("invalid wipe plan")?;
    let root = SysRoot::new(&args.root);
    // The probe names the disks of the running system and of the boot medium (mounted, swap,
    // `root=`, holders); the guard refuses them and re-checks mounts itself when opening.
    let disks = crate::probe::disks::probe_disks(&root, true);
    let protected = disks
        .iter()
        .filter(|d| d.holds_system)
        .map(|d| PathBuf::from(&d.dev_path))
        .collect();
    let guard = WriteGuard::new(root.clone(), protected);

    // Open everything first: one refusal stops the whole command before any write.
    let mut opened: Vec<(Box<dyn BlockIo>, WipeJob)> = Vec::new();
    for dev in plan.devices() {
        let d = open_for_write(&plan, dev, &guard)?;
        // The probe's view when it knows the disk (full ATA model, serial from VPD), else the
        // minimal one (regular files, devices outside sysfs).
        let canonical = std::fs::canonicalize(dev).unwrap_or_else(|_| dev.clone());
        let mut identity = disks
            .iter()
            .find(|d| Path::new(&d.dev_path) == canonical)
            .map(crate::flow::identity)
            .unwrap_or_else(|| device_identity(&root, dev));
        identity.size_bytes = d.len();
        identity.logical_sector_size = d.sector_size();
        opened.push((Box::new(d), WipeJob::new(&plan, identity)));
    }

    if !args.yes {
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "About to overwrite {} device(s) with method {} ({} pass(es)), verify {:?}:",
            opened.len(),
            plan.method(),
            plan.passes().len(),
            plan.verify()
        )?;
        for (_, job) in &opened {
            let id = &job.identity;
            writeln!(
                err,
                "  {}  model: {}  serial: {}  size: {} ({} bytes)",
                id.dev_path,
                id.model.as_deref().unwrap_or("unknown"),
                id.serial.as_deref().unwrap_or("unknown"),
                human(id.size_bytes),
                id.size_bytes
            )?;
        }
        write!(
            err,
            "ALL DATA ON THEM WILL BE DESTROYED. Type yes to continue: "
        )?;
        err.flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if line.trim() != "yes" {
            eprintln!("reprise: not confirmed; nothing was written");
            return Ok(ExitCode::from(super::EXIT_CANCELLED));
        }
    }

    let (tx, rx) = mpsc::channel();
    let cancel = CancelToken::new();
    watch_signals(&cancel);
    let printer = std::thread::spawn(move || {
        for ev in rx {
            match ev {
                WipeEvent::Progress(p) => {
                    let pct = p.bytes_done * 100 / p.bytes_total.max(1);
                    let phase = match p.phase {
                        Phase::Write => "write",
                        Phase::Verify => "verify",
                    };
                    let eta = p.eta_ms.map_or("?".into(), |ms| format!("{}s", ms / 1000));
                    eprintln!(
                        "{}: pass {}/{} {phase} {pct:>3}% {} of {} at {} MB/s, ETA {eta}",
                        p.device,
                        p.pass,
                        p.passes,
                        human(p.bytes_done),
                        human(p.bytes_total),
                        p.rate_bps / 1_000_000
                    );
                }
                WipeEvent::Finished { device, outcome } => {
                    eprintln!("{device}: {outcome:?}");
                }
            }
        }
    });
    let results = run_devices(opened, tx, cancel);
    let _ = printer.join();

    let failed = results.iter().any(|d| d.outcome == Outcome::Failed);
    let cancelled = results.iter().any(|d| d.outcome == Outcome::Cancelled);
    for d in &results {
        for e in &d.errors {
            eprintln!("{}: {}", d.device.dev_path, e.message);
        }
    }
    let report = WipeReport {
        requested_level: None,
        schema_version: SCHEMA_VERSION,
        tool: crate::tool_version(),
        image_digest: None,
        devices: results,
    };
    let json = serde_json::to_string_pretty(&report)?;
    match &args.report {
        Some(path) => std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write the report to {}", path.display()))?,
        None => println!("{json}"),
    }
    Ok(if failed {
        ExitCode::from(super::EXIT_CHECK_FAILED)
    } else if cancelled {
        ExitCode::from(super::EXIT_CANCELLED)
    } else {
        ExitCode::SUCCESS
    })
}
