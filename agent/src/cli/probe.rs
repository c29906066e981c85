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
}

/// Runs `reprise probe`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = SysRoot::new(&args.root);
    let options = ProbeOptions {
        include_virtual: args.all,
        drives: probe::Drives::for_root(&root),
    };
    let report = probe::probe_with(&root, options)
        .with_context(|| format!("cannot probe the machine under {}", args.root.display()))?;
    if args.json {
        let text = serde_json::to_string_pretty(&report).context("cannot encode the report")?;
        println!("{text}");
    } else {
        print!("{}", render::human(&report));
    }
    Ok(ExitCode::SUCCESS)
}
