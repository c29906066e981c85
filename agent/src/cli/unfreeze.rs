//! `reprise unfreeze [--seconds N]`: suspends the machine to RAM and lets its real-time clock
//! wake it N seconds later, so that drives frozen by the BIOS lose power and come back
//! unfrozen; then says which ATA drives are still frozen. Only from the live image; says
//! plainly when the machine cannot suspend (no S3, only suspend-to-idle, no RTC alarm).
//! `reprise run` does the same by itself when a frozen drive hides a Purge.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::sys::SysRoot;

/// Arguments of `reprise unfreeze`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How long to sleep before the RTC wakes the machine (at least 2).
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Root of the sysfs view (tests); `/` on a real machine.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// Runs `reprise unfreeze`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = SysRoot::new(&args.root);
    if let Err(why) = crate::sys::suspend::check(&root) {
        println!("This machine cannot suspend to unfreeze drives: {why}.");
        return Ok(ExitCode::from(super::EXIT_CHECK_FAILED));
    }
    println!(
        "Suspending to RAM; the machine wakes up by itself in {} s.",
        args.seconds.max(2)
    );
    let probe = crate::probe::probe(&root).context("cannot probe this machine")?;
    let (inspection, resumed) =
        crate::flow::run::unfreeze(&root, &probe, Duration::from_secs(args.seconds))
            .context("suspend to RAM failed")?;
    match resumed.suspends {
        Some(n) => println!(
            "Resumed after {} ms (the kernel counts {n} suspend(s) since boot).",
            resumed.asleep.as_millis()
        ),
        None => println!("Resumed after {} ms.", resumed.asleep.as_millis()),
    }
    for d in &probe.disks {
        if let Some(a) = inspection.drives.get(&d.id).and_then(|f| f.ata.as_ref()) {
            println!(
                "{}: security {}, {}",
                d.dev_path,
                if !a.security_supported {
                    "not supported"
                } else if a.frozen {
                    "still frozen"
                } else {
                    "not frozen"
                },
                match a.sanitize.as_ref().map(|s| s.frozen) {
                    None => "no SANITIZE",
                    Some(Some(true)) => "SANITIZE still frozen",
                    Some(Some(false)) => "SANITIZE not frozen",
                    Some(None) => "SANITIZE state unknown",
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
