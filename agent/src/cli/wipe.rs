//! `reprise wipe`: command-line arguments and glue to the library.

use std::process::ExitCode;

/// Arguments of `reprise wipe`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `reprise wipe`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`reprise wipe` is not available in this build yet")
}
