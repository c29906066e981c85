//! `reprise probe`: command-line arguments and glue to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::probe::{self, ProbeOptions, render};
use crate::sys::SysRoot;

/// Arguments of `reprise probe`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Root of the sysfs/procfs view to read (`/` for this machine; a fixture tree in tests).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Print the report as JSON (versioned by `schema_version`; documented in
    /// agent/src/probe/SCHEMA.md).
    #[arg(long)]
    pub json: bool,
    /// Also list virtual block devices (loop, ram, zram, dm, md) and eMMC boot areas.
    #[arg(long)]
    pub all: bool,
    /// Run the drives' own self-test first (`short`: one to two minutes, all drives at once,
    /// no data touched) and include the results. Progress goes to stderr.
    #[arg(long, value_name = "KIND")]
    pub self_test: Option<super::run::SelfTestArg>,
}

/// Runs `reprise probe`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = SysRoot::new(&args.root);
    let options = ProbeOptions {
        include_virtual: args.all,
        drives: probe::Drives::for_root(&root),
    };
    let drives = options.drives.clone();
    let mut report = probe::probe_with(&root, options)
        .with_context(|| format!("cannot probe the machine under {}", args.root.display()))?;
    if args.self_test.is_some() {
        // Every drive but the running system's and the Reprise sticks: a self-test changes no
        // data, but those are not the machine's disks.
        let disks: Vec<_> = report
            .disks
            .iter()
            .filter(|d| !d.holds_system && d.reprise_medium.is_none())
            .map(|d| d.id.clone())
            .collect();
        let cancel = crate::wipe::CancelToken::new();
        super::console::cancel_on_interrupt(&cancel);
        crate::flow::selftest::run_short(
            &root,
            &drives,
            &mut report,
            &disks,
            &mut crate::sys::clock::RealPace::new(),
            &cancel,
            &mut super::console::self_test_printer(std::io::stderr()),
        )?;
    }
    if args.json {
        let text = serde_json::to_string_pretty(&report).context("cannot encode the report")?;
        println!("{text}");
    } else {
        print!("{}", render::human(&report));
    }
    Ok(ExitCode::SUCCESS)
}
