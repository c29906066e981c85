//! `reprise key`: command-line arguments and glue to the library.

use std::process::ExitCode;

/// Arguments of `reprise key`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `reprise key`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`reprise key` is not available in this build yet")
}
