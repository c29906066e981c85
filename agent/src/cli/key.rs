//! `reprise key`: the station's signing key (generate).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cert::{sign, station};

/// Arguments of `reprise key`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Create DIR/station.key (PKCS#8 PEM, mode 0600) and DIR/station.pub (SPKI PEM); print the key id.
    Generate {
        /// Folder for the key pair (created if missing); existing keys are never overwritten.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// Runs `reprise key`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Generate { out } => {
            let key = station::create(&out)?;
            println!("{}", sign::key_id(&key.verifying_key()));
            Ok(ExitCode::SUCCESS)
        }
    }
}
