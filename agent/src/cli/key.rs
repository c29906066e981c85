//! `reprise key`: the station's signing key (generate).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cert::sign;
use crate::sys::atomic;

/// File name of the private key in the key folder.
pub const PRIVATE_KEY_FILE: &str = "station.key";
/// File name of the public key in the key folder.
pub const PUBLIC_KEY_FILE: &str = "station.pub";

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
        Command::Generate { out } => generate(&out),
    }
}

fn generate(out: &std::path::Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create key folder {}", out.display()))?;
    for name in [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE] {
        let path = out.join(name);
        if path.exists() {
            bail!(
                "{}: a key already exists; refusing to overwrite it",
                path.display()
            );
        }
    }
    let key = sign::generate()?;
    let private = sign::private_key_pem(&key)?;
    let public = sign::public_key_pem(&key.verifying_key())?;
    // Private key first: a station.pub without its station.key would be useless.
    atomic::write_new(out, PRIVATE_KEY_FILE, private.as_bytes(), 0o600)?;
    atomic::write_new(out, PUBLIC_KEY_FILE, public.as_bytes(), 0o644)?;
    println!("{}", sign::key_id(&key.verifying_key()));
    Ok(ExitCode::SUCCESS)
}
