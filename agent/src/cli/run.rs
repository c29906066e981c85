//! `reprise run`: command-line arguments and glue to the library.

use std::process::ExitCode;

/// Arguments of `reprise run`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `reprise run`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`reprise run` is not available in this build yet")
}
