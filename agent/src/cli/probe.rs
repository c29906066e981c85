//! `reprise probe`: command-line arguments and glue to the library.

use std::process::ExitCode;

/// Arguments of `reprise probe`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `reprise probe`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`reprise probe` is not available in this build yet")
}
