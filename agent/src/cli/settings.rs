//! `reprise settings --data DIR`: the settings of this boot as `reprise run` will read them —
//! the kernel command line's `reprise.KEY=VALUE` words, then the data folder's `reprise.conf`,
//! then the defaults — one `KEY=VALUE` line each, for init (which loads the keyboard map, starts
//! the network and powers off from them, and never evaluates them as shell code) and the boot
//! log. A setting that cannot be understood is an error that names it.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::flow::DataDir;
use crate::flow::config::{self, Given, RunFlags};
use crate::sys::SysRoot;

/// Arguments of `reprise settings`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data folder (the boot medium's REPRISE partition), where `reprise.conf` is.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub data: PathBuf,
    /// Root of the procfs view (tests); `/` on a real machine.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// Prints the resolved settings.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = SysRoot::new(&args.root);
    let data = DataDir(args.data);
    let booted = config::booted(&root, &data)?;
    let config = config::resolve(
        Given::default(),
        booted,
        RunFlags::new(root, data),
        crate::sys::env::locale().as_deref(),
    );
    for (key, value) in config.lines() {
        println!("{key}={value}");
    }
    Ok(ExitCode::SUCCESS)
}
