//! `reprise run`: the whole flow on the running machine, with the operator at the console.
//!
//! Probe, show the machine and the plan, wait for the operator's "yes" (unless `--auto`), wipe
//! every eligible disk in parallel with progress, then verdict and certificate on the data
//! folder. Exit 0 when every planned disk was sanitized, `EXIT_CHECK_FAILED` when the
//! certificate records a failure, `EXIT_CANCELLED` when the operator declined.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::cert::model::Language;
use crate::cert::sign;
use crate::flow::{self, DataDir, Mode, RunContext, RunPlan, Settings};
use crate::probe::render::size as format_bytes;
use crate::sys::SysRoot;
use crate::verdict::Policy;
use crate::wipe::report::Outcome;
use crate::wipe::{CancelToken, Method, Phase, VerifySpec, WipeEvent};

/// Arguments of `reprise run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run without asking: `clear` (overwrite + verify) or `purge` (firmware Purge is not
    /// available yet: Clear runs and the certificate says so).
    #[arg(long, value_name = "MODE")]
    pub auto: Option<AutoMode>,
    /// Power the machine off at the end (only from the live image).
    #[arg(long)]
    pub poweroff: bool,
    /// Operator name recorded in the certificate.
    #[arg(long, default_value = "unknown")]
    pub operator: String,
    /// Site (school, batch) the machine came from.
    #[arg(long, default_value = "unknown")]
    pub site: String,
    /// Organisation recorded in the certificate.
    #[arg(long)]
    pub org: Option<String>,
    /// Data folder: keys/, certs/, logs/, policy.toml (the stick's REPRISE partition).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub data: PathBuf,
    /// Language of the certificate and verdict: fr or en.
    #[arg(long, default_value = "fr")]
    pub lang: Language,
    /// Overwrite method for HDDs and SSDs (flash media always get pattern + complement).
    #[arg(long, default_value = "zero")]
    pub method: Method,
    /// Verification: none, sample[:PCT] (default 10 %), full.
    #[arg(long, default_value = "sample")]
    pub verify: VerifySpec,
    /// Verdict policy (TOML); default: DATA/policy.toml if present, else built-in.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Workshop server to upload the certificate to. The collector does not exist yet: the
    /// certificate stays on the data partition and the run says so.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Root of the sysfs/procfs view (tests); `/` on a real machine.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// The two automatic modes of the boot menu and `reprise.auto=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AutoMode {
    Clear,
    Purge,
}

/// Runs `reprise run`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = SysRoot::new(&args.root);
    let data = DataDir(args.data.clone());
    let probe = crate::probe::probe(&root).context("cannot probe this machine")?;
    println!("{}", crate::probe::render::human(&probe));

    let policy_path = args.policy.clone().or_else(|| flow::workshop_policy(&data));
    let policy = match &policy_path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the policy {}", p.display()))?;
            Policy::from_toml(&text, p)?
        }
        None => Policy::default(),
    };

    let (key, created) = flow::load_or_create_key(&data)?;
    let key_id = sign::key_id(&key.verifying_key());
    if created {
        println!("New station key created: {key_id}");
        println!("Enrol this fingerprint with the workshop server.");
    } else {
        println!("Station key: {key_id}");
    }

    let settings = Settings {
        mode: match args.auto {
            Some(AutoMode::Purge) => Mode::Purge,
            _ => Mode::Clear,
        },
        method: args.method.clone(),
        verify: args.verify,
    };
    let run_plan = flow::plan(&probe, &settings);
    print_plan(&run_plan);

    if args.auto.is_none() && !run_plan.targets.is_empty() && !confirm(&run_plan)? {
        println!("Nothing was written.");
        return Ok(ExitCode::from(super::EXIT_CANCELLED));
    }

    let (tx, rx) = mpsc::channel();
    let printer = std::thread::spawn(move || print_progress(rx));
    let ctx = RunContext {
        root: &root,
        data: &data,
        key: &key,
        policy,
        organisation: args.org.clone(),
        site: args.site.clone(),
        operator: args.operator.clone(),
        language: args.lang,
        image_digest: flow::image_digest(&root),
    };
    let result = flow::execute(&probe, &run_plan, ctx, tx, CancelToken::new());
    // The sender is gone once `execute` returns, so the printer ends by itself.
    let _ = printer.join();
    let outcome = result?;

    for d in &outcome.wipe.devices {
        let verdict = match d.outcome {
            Outcome::Passed => "SANITIZED".to_string(),
            Outcome::Failed => format!(
                "FAILED: {}",
                d.errors
                    .first()
                    .map(|e| e.message.as_str())
                    .unwrap_or("verification failed")
            ),
            Outcome::Cancelled => "CANCELLED".into(),
        };
        println!("{}: {verdict}", d.device.dev_path);
    }
    println!("Certificate: {}", outcome.certificate.display());
    if let Some(server) = &args.server {
        println!(
            "Upload to {server}: not available in this version; the certificate is kept on the \
             data partition."
        );
    }
    // Read back what reached the data partition: the operator sees the certificate as an
    // auditor will, and a file that does not verify is an error, not a silent success.
    let bytes = std::fs::read(&outcome.certificate)
        .with_context(|| format!("cannot read back {}", outcome.certificate.display()))?;
    let verified = crate::cert::envelope::verify(&bytes, Some(&key.verifying_key()))
        .with_context(|| format!("{} does not verify", outcome.certificate.display()))?;
    println!(
        "{}",
        crate::cert::render::text(&verified.envelope.certificate, &verified.digest)
    );

    let code = if outcome.all_sanitized() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_CHECK_FAILED)
    };
    if args.poweroff {
        crate::sys::power::power_off().context("cannot power off")?;
    }
    Ok(code)
}

fn print_plan(p: &RunPlan) {
    if p.mode == Mode::Purge {
        println!(
            "Purge was requested, but firmware Purge is not available in this version: \
             every disk gets Clear (overwrite + verification), and the certificate says so."
        );
    }
    if p.targets.is_empty() {
        println!("No disk to sanitize.");
    } else {
        println!("Disks to sanitize ({}):", p.targets.len());
        for t in &p.targets {
            println!(
                "  {}  {}  serial {}  {}  method {}  verify {}",
                t.disk.dev_path,
                t.identity.model.as_deref().unwrap_or("unknown model"),
                t.identity.serial.as_deref().unwrap_or("unknown"),
                format_bytes(t.identity.size_bytes),
                t.method,
                verify_name(p.verify),
            );
        }
    }
    for s in &p.skipped {
        println!("  not touched: {}  ({})", s.disk.dev_path, s.reason);
    }
}

fn verify_name(v: VerifySpec) -> String {
    match v {
        VerifySpec::None => "none".into(),
        VerifySpec::Full => "full".into(),
        VerifySpec::Sample { permille } => format!("sample {}.{} %", permille / 10, permille % 10),
    }
}

/// Asks the operator; only the word "yes" (or "oui") goes on.
fn confirm(p: &RunPlan) -> anyhow::Result<bool> {
    print!(
        "ALL DATA on these {} disk(s) will be destroyed. Type yes to go on: ",
        p.targets.len()
    );
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let answer = line.trim().to_lowercase();
    Ok(answer == "yes" || answer == "oui")
}

/// Prints one progress line per device every few seconds, and each device's end.
fn print_progress(rx: mpsc::Receiver<WipeEvent>) {
    let mut last: std::collections::HashMap<String, Instant> = Default::default();
    for event in rx {
        match event {
            WipeEvent::Progress(p) => {
                let due = last
                    .get(&p.device)
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(2));
                if !due && p.bytes_done < p.bytes_total {
                    continue;
                }
                last.insert(p.device.clone(), Instant::now());
                let pct = (p.bytes_done * 100).checked_div(p.bytes_total).unwrap_or(0);
                let phase = match p.phase {
                    Phase::Write => "write",
                    Phase::Verify => "verify",
                };
                let eta = p
                    .eta_ms
                    .map(|ms| format!(" ETA {}:{:02}", ms / 60_000, (ms / 1000) % 60))
                    .unwrap_or_default();
                println!(
                    "{} pass {}/{} {phase} {pct:>3}% {}/s{eta}",
                    p.device,
                    p.pass,
                    p.passes,
                    format_bytes(p.rate_bps)
                );
            }
            WipeEvent::Finished { device, outcome } => {
                println!("{device}: finished, {outcome:?}");
            }
        }
    }
}
