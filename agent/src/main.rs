//! The `reprise` binary: parses the command line and hands each subcommand to `reprise::cli`.
//!
//! Errors are printed with their whole chain (`{:#}`) and mapped to a non-zero exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use reprise::cli;

/// Reprise: probe, sanitize (NIST SP 800-88) and certify laptops for refurbishing.
#[derive(Debug, Parser)]
#[command(name = "reprise", version, about, propagate_version = true)]
struct Opts {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Describe the machine: identity, CPU, memory, batteries, disks, network.
    Probe(cli::probe::Args),
    /// Overwrite and verify disks (Clear), or sanitize them as planned (--level clear|purge).
    Wipe(cli::wipe::Args),
    /// Show how each disk would be sanitized, and why (nothing is written).
    Plan(cli::plan::Args),
    /// Manage the station's signing key.
    Key(cli::key::Args),
    /// Issue, verify, show and render certificates.
    Cert(cli::cert::Args),
    /// The whole flow on this machine: probe, wipe, verify, verdict, certificate.
    // Boxed: its flags outweigh every other command's (clippy::large_enum_variant).
    Run(Box<cli::run::Args>),
    /// Print the data partition of the Reprise stick this system booted from (for init).
    Medium(cli::medium::Args),
    /// Print this boot's settings (kernel command line, then reprise.conf), for init.
    Settings(cli::settings::Args),
    /// Suspend to RAM and resume by the RTC alarm, to unfreeze drives frozen by the BIOS.
    Unfreeze(cli::unfreeze::Args),
    /// Send the certificates the workshop server has not acknowledged yet.
    Upload(cli::upload::Args),
    /// Decode a firmware or drive dump (SMBIOS, ATA IDENTIFY/SMART, NVMe) for a support case.
    Decode(cli::decode::Args),
    /// The operator's screen over a simulated laptop: no root, no QEMU, no device written.
    Demo(cli::demo::Args),
    /// Install a workshop image on a disk (direct I/O, read back against its SHA-256, GPT fitted).
    Install(cli::install::Args),
}

/// Any panic ends the whole process at once, in every build: no thread may go on wiping, signing
/// or uploading after another one panicked. (The workspace's release profile unwinds, for the
/// collector; the agent's policy is this hook, which runs after the message is printed and after
/// the screen's own hook has given the terminal back.)
fn abort_on_panic() {
    let print = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        print(info);
        std::process::abort();
    }));
}

fn main() -> ExitCode {
    abort_on_panic();
    let opts = Opts::parse();
    let result = match opts.command {
        Command::Probe(args) => cli::probe::run(args),
        Command::Wipe(args) => cli::wipe::run(args),
        Command::Plan(args) => cli::plan::run(args),
        Command::Key(args) => cli::key::run(args),
        Command::Cert(args) => cli::cert::run(args),
        Command::Run(args) => cli::run::run(*args),
        Command::Medium(args) => cli::medium::run(args),
        Command::Settings(args) => cli::settings::run(args),
        Command::Upload(args) => cli::upload::run(args),
        Command::Unfreeze(args) => cli::unfreeze::run(args),
        Command::Decode(args) => cli::decode::run(args),
        Command::Demo(args) => cli::demo::run(args),
        Command::Install(args) => cli::install::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // An error may quote what a disk said (a serial, a model): escaped, on one line.
            eprintln!(
                "reprise: error: {}",
                reprise::model::text::escape(&format!("{err:#}"))
            );
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
