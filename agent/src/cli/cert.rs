//! `reprise cert`: command-line arguments and glue to the library.

use std::process::ExitCode;

/// Arguments of `reprise cert`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `reprise cert`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`reprise cert` is not available in this build yet")
}
