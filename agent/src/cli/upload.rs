//! `reprise upload`: sends the certificates of a data folder that the workshop server has not
//! acknowledged yet (what a run could not upload stays queued there).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::flow::{self, DataDir};

/// Arguments of `reprise upload`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data folder (the stick's REPRISE partition): its certs/ are sent, receipts go to
    /// uploads/.
    #[arg(value_name = "DIR")]
    pub data: PathBuf,
    /// The workshop server's base URL, e.g. http://10.0.0.1:8080 (plain HTTP: an https:// one
    /// is refused).
    #[arg(long, value_name = "URL", value_parser = super::server_url)]
    pub server: String,
    /// The workshop server's key id (`reprise-collector server-key`): an upload counts only
    /// with a receipt signed by it. Default: the key pinned in the data folder
    /// (`keys/server-key`, written at a run's first signed hello).
    #[arg(long, value_name = "sha256:HEX", value_parser = super::server_key)]
    pub server_key: Option<String>,
}

/// Runs `reprise upload`: exit 0 when nothing is left pending, 3 when some certificate is.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let data = DataDir(args.data);
    let pin = match args.server_key {
        Some(k) => Some(k),
        None => flow::trust::read_pin(&data).map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    if pin.is_none() {
        println!(
            "No server key pinned (--server-key, or keys/server-key in {}): no upload can be \
             acknowledged. / Aucune clé de serveur épinglée : aucun envoi ne peut être confirmé.",
            data.0.display()
        );
    }
    let report = flow::upload::upload_pending(&data, &args.server, pin.as_deref())?;
    for r in &report.uploaded {
        println!(
            "{}: uploaded (HTTP {}) {}",
            r.certificate,
            r.status,
            r.url.as_deref().unwrap_or("")
        );
    }
    for n in &report.not_uploaded {
        println!("{}: NOT uploaded: {}", n.certificate, n.why);
    }
    if report.uploaded.is_empty() && report.not_uploaded.is_empty() {
        println!("Nothing to upload: every certificate has its receipt.");
    }
    Ok(if report.not_uploaded.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_CHECK_FAILED)
    })
}
