//! `reprise wipe`: command-line arguments and glue to `flow::wipe`.
//!
//! `reprise wipe DEVICE... --method M --verify V [--passes N] [--yes] [--report FILE]
//! [--root DIR]`. Without `--yes` it names every device (model, serial, size) and asks the
//! operator to type "yes"; anything else exits non-zero with nothing written. All devices are
//! opened (and so checked by the write guard) before the first byte is written. Progress goes
//! to stderr; the JSON report to `--report` (a new file; or stdout when not given). Exit codes:
//! 0 all sanitized, 3 (`EXIT_CHECK_FAILED`) any device not sanitized, 4 (`EXIT_CANCELLED`)
//! declined or cancelled (Ctrl-C cancels the running wipe; the report still gets written).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;

use anyhow::Context;

use super::console;
use crate::flow::wipe::{WipeRequest, prepare};
use crate::sys::SysRoot;
use crate::wipe::{CancelToken, Method, VerifySpec};

/// Arguments of `reprise wipe`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Devices (or files) to overwrite, e.g. /dev/sdb /dev/nvme0n1.
    #[arg(required = true, value_name = "DEVICE")]
    pub devices: Vec<PathBuf>,
    /// zero, one, random, pattern:HEX, pattern-complement:HEX (flash), dod-3pass. With
    /// `--level`, the overwrite of the plan (its last fallback, or its Clear).
    #[arg(long, default_value = "zero")]
    pub method: Method,
    /// Sanitize as planned for this level (`reprise plan` shows how): purge uses the drive's
    /// own erase where it reaches Purge; without it, an explicit overwrite with --method.
    #[arg(long, value_parser = super::level_parser())]
    pub level: Option<crate::model::Level>,
    /// After a firmware erase, overwrite with zeros and read back (with --level).
    #[arg(long, requires = "level")]
    pub then_zero: bool,
    /// Restore a Device Configuration Overlay to the factory capacity (with --level).
    #[arg(long, requires = "level")]
    pub dco_restore: bool,
    /// none, sample[:PCT] (NIST SP 800-88 §4.7, default 10 %), full.
    #[arg(long, default_value = "sample")]
    pub verify: VerifySpec,
    /// Repeat the method's passes N times (the last pass is verified).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub passes: u32,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Write the JSON report into this new file (never overwritten; default: stdout).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Root of the sysfs/procfs view (tests); `/` on a real machine. Any other root accepts
    /// regular files only, never a block device.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// Runs `reprise wipe`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // A report that could not be saved would leave a wipe without its record: check the path
    // before anything is written (the atomic writer still refuses a race later).
    if let Some(path) = &args.report
        && crate::sys::file::exists(path)
    {
        anyhow::bail!(
            "{}: already exists; refusing to overwrite it (nothing was written)",
            path.display()
        );
    }
    let request = WipeRequest {
        root: SysRoot::new(&args.root),
        devices: args.devices.clone(),
        method: args.method.clone(),
        rounds: args.passes,
        verify: args.verify,
        level: args.level,
        then_zero: args.then_zero,
        dco_restore: args.dco_restore,
    };
    let prepared = prepare(&request)?;
    if !args.yes {
        let what = match args.level {
            None => format!(
                "method {} ({} pass(es)), {}",
                args.method,
                prepared.plan().devices()[0].passes().len(),
                console::describe_verify(args.verify)
            ),
            Some(_) => {
                let techniques: Vec<String> = prepared
                    .plan()
                    .devices()
                    .iter()
                    .map(|d| {
                        let s = d.strategy().expect("--level plans every device");
                        format!(
                            "{}: {} ({})",
                            d.identity().dev_path,
                            s.technique,
                            s.level.as_str().to_uppercase()
                        )
                    })
                    .collect();
                format!(
                    "as planned — {}; {}",
                    techniques.join(", "),
                    console::describe_verify(args.verify)
                )
            }
        };
        let confirmed = console::confirm(
            &mut std::io::stderr().lock(),
            &mut std::io::stdin().lock(),
            &prepared.devices(),
            &what,
        )?;
        if !confirmed {
            eprintln!("reprise: not confirmed; nothing was written");
            return Ok(ExitCode::from(super::EXIT_CANCELLED));
        }
    }

    let (tx, rx) = mpsc::channel();
    let cancel = CancelToken::new();
    console::cancel_on_interrupt(&cancel);
    let printer = std::thread::spawn(move || console::print_progress(rx, std::io::stderr()));
    let report = prepared.run(tx, cancel);
    let _ = printer.join();

    for d in &report.devices {
        eprintln!("{}", console::result_line(d));
        for e in &d.errors {
            eprintln!(
                "  {}: {}",
                e.operation.as_str(),
                crate::model::text::escape(&e.message)
            );
        }
    }
    let json = serde_json::to_string_pretty(&report)? + "\n";
    match &args.report {
        Some(path) => {
            crate::sys::file::create_new(path, json.as_bytes())
                .context("cannot write the report")?;
        }
        None => print!("{json}"),
    }
    Ok(console::exit_code(crate::flow::status(&report.devices)))
}
