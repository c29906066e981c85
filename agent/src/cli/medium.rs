//! `reprise medium`: the data partition of the medium this system booted from, proven by its
//! partition table (for init, which mounts it and reads settings and keys only from there).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::sys::SysRoot;

/// Arguments of `reprise medium`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Root of the sysfs/procfs view (tests); `/` on a real machine.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// Prints the data partition's device path and exits 0, or says why there is none and exits 1.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match crate::flow::boot_data_partition(&SysRoot::new(&args.root)) {
        Ok(path) => {
            println!("{}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            eprintln!("reprise: no Reprise boot medium: {why}");
            Ok(ExitCode::from(super::EXIT_ERROR))
        }
    }
}
