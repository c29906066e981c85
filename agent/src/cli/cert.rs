//! `reprise cert`: issue, verify, show and render certificates.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::EXIT_CHECK_FAILED;
use crate::cert::{chain, envelope, render, sign};
use crate::flow::issue::{IssueRequest, issue_from_files};
use crate::model::Language;
use crate::sys::{atomic, file};

/// Arguments of `reprise cert`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Decide the verdict and write a new signed certificate DIR/<id>.json; print its path.
    Issue(Box<IssueArgs>),
    /// Check certificates (exit 0 only if all are valid), or the hash chain of a folder.
    Verify(VerifyArgs),
    /// Print a certificate as readable text (after checking its signature).
    Show { file: PathBuf },
    /// Write a certificate as one printable A4 HTML page (after checking its signature).
    Render {
        file: PathBuf,
        #[arg(long, value_name = "OUT.html")]
        html: PathBuf,
        /// The workshop server the certificate was uploaded to: the QR code then holds the
        /// address of its page there (`URL/c/<digest>`) instead of the bare digest.
        #[arg(long, value_name = "URL")]
        server: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
struct IssueArgs {
    /// The wipe report (JSON) written by `reprise wipe --report`.
    #[arg(long, value_name = "WIPE.json")]
    report: PathBuf,
    /// The station's private key (PKCS#8 PEM).
    #[arg(long, value_name = "station.key")]
    key: PathBuf,
    #[arg(long)]
    operator: String,
    #[arg(long)]
    site: String,
    /// Certificate folder of this station.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// A probe report (JSON); without it the running machine is probed.
    #[arg(long, value_name = "PROBE.json")]
    probe: Option<PathBuf>,
    /// Verdict policy (TOML); built-in defaults otherwise.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Disk health (JSON object: disk id → {smart_passed, reallocated, pending, media_errors}).
    #[arg(long, value_name = "HEALTH.json")]
    health: Option<PathBuf>,
    #[arg(long, value_name = "NAME")]
    org: Option<String>,
    #[arg(long, default_value = "fr", value_parser = ["fr", "en"])]
    lang: String,
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// Certificate files.
    #[arg(required_unless_present = "chain", conflicts_with = "chain")]
    files: Vec<PathBuf>,
    /// Check every certificate of a folder and the hash chain of each station in it.
    #[arg(long, value_name = "DIR")]
    chain: Option<PathBuf>,
    /// Require this signer (SPKI PEM public key).
    #[arg(long, value_name = "PEM")]
    pubkey: Option<PathBuf>,
}

/// Runs `reprise cert`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Issue(a) => issue(*a),
        Command::Verify(a) => verify(a),
        Command::Show { file } => {
            let v = verify_file(&file, None)?;
            print!("{}", render::text(&v.envelope.certificate, &v.digest));
            Ok(ExitCode::SUCCESS)
        }
        Command::Render { file, html, server } => {
            let v = verify_file(&file, None)?;
            let page = render::html_for(&v.envelope.certificate, &v.digest, server.as_deref());
            file::create_new(&html, page.as_bytes())?;
            println!("{}", html.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn issue(a: IssueArgs) -> anyhow::Result<ExitCode> {
    let language: Language = a.lang.parse().map_err(anyhow::Error::msg)?;
    let path = issue_from_files(IssueRequest {
        report: a.report,
        key: a.key,
        probe: a.probe,
        policy: a.policy,
        health: a.health,
        organisation: a.org,
        site: a.site,
        operator: a.operator,
        language,
        out: a.out,
    })?;
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn read_pubkey(path: &Path) -> anyhow::Result<ed25519_dalek::VerifyingKey> {
    let pem = file::read_to_string(path).context("cannot read the public key")?;
    Ok(sign::verifying_key_from_pem(
        &pem,
        &path.display().to_string(),
    )?)
}

fn verify_file(
    path: &Path,
    expected: Option<&ed25519_dalek::VerifyingKey>,
) -> anyhow::Result<envelope::Verified> {
    // The caller names the file; the reasons here do not repeat it.
    let bytes = file::read(path).context("cannot read the file")?;
    Ok(envelope::verify(&bytes, expected)?)
}

fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let expected = a.pubkey.as_deref().map(read_pubkey).transpose()?;
    if let Some(dir) = &a.chain {
        let files = atomic::read_json_files(dir)?;
        let checked: Vec<_> = files
            .into_iter()
            .map(|(name, bytes)| (name, envelope::verify(&bytes, expected.as_ref())))
            .collect();
        let report = chain::check(checked);
        for (station, certs) in &report.stations {
            println!("station {station}: {} valid certificate(s)", certs.len());
        }
        for gap in &report.gaps {
            println!("GAP {gap}");
        }
        for skip in &report.skipped {
            println!("SKIPPED {skip}");
        }
        if report.is_intact() {
            println!("{}: chain intact", dir.display());
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "reprise: {}: {} problem(s) in the chain",
            dir.display(),
            report.gaps.len()
        );
        return Ok(ExitCode::from(EXIT_CHECK_FAILED));
    }
    let mut failed = 0;
    for file in &a.files {
        match verify_file(file, expected.as_ref()) {
            Ok(v) => println!(
                "{}: OK {} signed by {} digest {}",
                file.display(),
                v.envelope.certificate.id,
                v.key_id,
                v.digest
            ),
            Err(e) => {
                failed += 1;
                println!("{}: INVALID: {e:#}", file.display());
            }
        }
    }
    if failed == 0 {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "reprise: {failed} of {} certificate(s) invalid",
            a.files.len()
        );
        Ok(ExitCode::from(EXIT_CHECK_FAILED))
    }
}
