//! `reprise run`: the whole flow on the running machine, with the operator at the console.
//!
//! Probe, show the machine and the plan, wait for the operator's "yes" (unless `--auto`), wipe
//! every eligible disk in parallel with progress, then verdict and certificate on the data
//! folder. Exit 0 when every planned disk was sanitized, `EXIT_CHECK_FAILED` when the
//! certificate records a disk not sanitized, `EXIT_CANCELLED` when the operator declined or
//! cancelled (Ctrl-C, SIGTERM). In automatic mode nothing is written unless the certificate has
//! a durable home (the boot stick's data partition, or a workshop server that answers).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;

use anyhow::Context;

use super::console;
use crate::cert::sign;
use crate::flow::{self, DataDir, Mode, RunContext, RunPlan, RunStatus, Settings};
use crate::model::Language;
use crate::sys::SysRoot;
use crate::wipe::{CancelToken, Method, VerifySpec};

/// Arguments of `reprise run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run without asking: `clear` (overwrite + verify) or `purge` (each drive's own Purge
    /// where it has one, checked before and after; a disk without one gets Clear, and the
    /// certificate says so and why).
    #[arg(long, value_name = "MODE")]
    pub auto: Option<AutoMode>,
    /// The level of an interactive run (`--auto` sets its own).
    #[arg(long, default_value = "clear", conflicts_with = "auto")]
    pub level: super::plan::LevelArg,
    /// After a firmware erase, overwrite every disk with zeros and read it back.
    #[arg(long)]
    pub then_zero: bool,
    /// Restore a Device Configuration Overlay to the drive's factory capacity before
    /// sanitizing (without it, a disk whose DCO hides sectors cannot count as sanitized).
    #[arg(long)]
    pub dco_restore: bool,
    /// Frozen drives: suspend to RAM for a few seconds to unfreeze them. `auto` (the default)
    /// asks in an interactive run and does it in an automatic one, `never` does not.
    #[arg(long, default_value = "auto")]
    pub unfreeze: Unfreeze,
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
    /// Workshop server (`reprise-collector`) to upload certificates to: every certificate of
    /// the data folder not yet acknowledged is sent after the run. On a network boot (no stick)
    /// the run does not end until the server has acknowledged the new certificate.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// One-time enrolment token of a network boot (`reprise.enroll=`): the station key, new at
    /// each network boot, is enrolled with the server before uploading.
    #[arg(long, value_name = "TOKEN", requires = "server")]
    pub enroll: Option<String>,
    /// Root of the sysfs/procfs view (tests); `/` on a real machine. Any other root accepts
    /// regular files only, never a block device.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// Whether to suspend and resume to unfreeze drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Unfreeze {
    Auto,
    Never,
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

    let settings = Settings {
        mode: match args.auto {
            Some(AutoMode::Purge) => Mode::Purge,
            Some(AutoMode::Clear) => Mode::Clear,
            None => args.level.mode(),
        },
        method: args.method.clone(),
        verify: args.verify,
        then_zero: args.then_zero,
        dco_restore: args.dco_restore,
    };
    let mut inspection = flow::inspect(&root, &probe);
    let mut run_plan = flow::plan_with(&probe, &inspection, &settings)?;
    print_plan(&run_plan, &inspection, args.lang);
    if args.auto.is_some()
        && let Err(why) = flow::check_auto_ready(&probe, &data, args.server.as_deref())
    {
        println!("NOTHING WAS WRITTEN: {why}.");
        println!("Automatic mode needs somewhere to keep the certificate.");
        return Err(flow::RunError::NotReady(why).into());
    }
    // Frozen drives hide a better technique: suspend and resume once, then plan again.
    let frozen = run_plan
        .targets()
        .iter()
        .filter(|t| t.strategy().is_some_and(|s| s.unfreeze_would_help))
        .count();
    if frozen > 0 && args.unfreeze == Unfreeze::Auto {
        match &inspection.can_suspend {
            Some(Ok(())) => {
                let go = args.auto.is_some()
                    || {
                        print!(
                            "{frozen} drive(s) frozen by the firmware. Suspend for a few seconds to unfreeze them? Type yes: "
                        );
                        use std::io::Write as _;
                        std::io::stdout().flush()?;
                        let mut line = String::new();
                        std::io::stdin().read_line(&mut line)?;
                        matches!(line.trim().to_lowercase().as_str(), "yes" | "oui")
                    };
                if go {
                    println!("Suspending to RAM; the machine wakes up by itself in 5 s.");
                    match flow::unfreeze(&root) {
                        Ok(slept) => {
                            println!(
                                "Resumed after {} s; asking the drives again.",
                                slept.as_secs()
                            );
                            inspection = flow::inspect(&root, &probe);
                            run_plan = flow::plan_with(&probe, &inspection, &settings)?;
                            print_plan(&run_plan, &inspection, args.lang);
                        }
                        Err(e) => println!(
                            "Suspend failed ({}): going on with the plan above.",
                            crate::model::error_chain(&e)
                        ),
                    }
                }
            }
            Some(Err(why)) => println!(
                "{frozen} drive(s) frozen, and this machine cannot suspend to unfreeze them: {why}."
            ),
            None => {}
        }
    }

    let policy = flow::load_policy(args.policy.as_deref(), Some(&data))?;
    let (key, created) = flow::load_or_create_key(&data)?;
    let key_id = sign::key_id(&key.verifying_key());
    if created {
        println!("New station key created: {key_id}");
        println!("Enrol this fingerprint with the workshop server.");
    } else {
        println!("Station key: {key_id}");
    }

    if args.auto.is_none() && !run_plan.targets().is_empty() {
        let disks: Vec<_> = run_plan
            .targets()
            .iter()
            .map(|t| t.identity().clone())
            .collect();
        let what = match run_plan.mode {
            Mode::Clear => console::describe_verify(run_plan.verify),
            Mode::Purge => format!(
                "as planned above, {}",
                console::describe_verify(run_plan.verify)
            ),
        };
        if !console::confirm(
            &mut std::io::stdout().lock(),
            &mut std::io::stdin().lock(),
            &disks,
            &what,
        )? {
            println!("Nothing was written.");
            return Ok(ExitCode::from(super::EXIT_CANCELLED));
        }
    }

    let (tx, rx) = mpsc::channel();
    let cancel = CancelToken::new();
    console::cancel_on_interrupt(&cancel);
    let cancel_for_upload = cancel.clone();
    let printer = std::thread::spawn(move || console::print_progress(rx, std::io::stdout()));
    let ctx = RunContext {
        root: &root,
        data: &data,
        key: &key,
        policy,
        organisation: args.org.clone(),
        site: args.site.clone(),
        operator: args.operator.clone(),
        language: args.lang,
        image_digest: crate::sys::power::image_digest(&root),
    };
    let result = flow::execute(&probe, &run_plan, ctx, tx, cancel);
    // The sender is gone once `execute` returns, so the printer ends by itself.
    let _ = printer.join();
    let outcome = result?;

    for d in &outcome.wipe.devices {
        println!("{}", console::result_line(d));
    }
    println!("Certificate: {}", outcome.certificate.display());
    let uploaded = match &args.server {
        Some(server) => upload(
            server,
            args.enroll.as_deref(),
            &data,
            &key,
            flow::data_is_durable(&probe, &data),
            &outcome.certificate,
            &cancel_for_upload,
        )?,
        None => true,
    };
    // Read back what reached the data partition: the operator sees the certificate as an
    // auditor will, and a file that does not verify is an error, not a silent success.
    let bytes = crate::sys::file::read(&outcome.certificate).context("cannot read it back")?;
    let verified = crate::cert::envelope::verify(&bytes, Some(&key.verifying_key()))
        .with_context(|| format!("{} does not verify", outcome.certificate.display()))?;
    println!(
        "{}",
        crate::cert::render::text(&verified.envelope.certificate, &verified.digest)
    );

    let status = if uploaded {
        outcome.status()
    } else {
        // The certificate lives in memory only and the server never took it: this run must not
        // look finished, and the machine must not power off.
        RunStatus::NotSanitized
    };
    // A run that did not sanitize everything never powers off by itself: the operator must see
    // the result.
    if args.poweroff && status == RunStatus::Sanitized {
        crate::sys::power::power_off().context("cannot power off")?;
    } else if args.poweroff {
        println!("Not powering off: not every disk was sanitized. The result stays on screen.");
    }
    Ok(console::exit_code(status))
}

fn print_plan(p: &RunPlan, inspection: &flow::Inspection, lang: Language) {
    print!(
        "{}",
        super::plan::human(&super::plan::view(p, inspection, lang))
    );
}

/// Uploads the certificates of the data folder not yet acknowledged. On a stick, what fails
/// stays queued for the next run. In memory (network boot), keeps trying until the server
/// acknowledges the new certificate, or the operator stops it: returns whether it did.
fn upload(
    server: &str,
    enroll: Option<&str>,
    data: &DataDir,
    key: &ed25519_dalek::SigningKey,
    durable: bool,
    certificate: &std::path::Path,
    cancel: &CancelToken,
) -> anyhow::Result<bool> {
    if let Some(token) = enroll {
        let pem = sign::public_key_pem(&key.verifying_key())?;
        match flow::upload::enroll_station(server, token, &pem) {
            Ok(()) => println!("Station enrolled with {server}."),
            Err(why) => println!("Station enrolment with {server} failed: {why}"),
        }
    }
    let name = certificate
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut delay = std::time::Duration::from_secs(2);
    loop {
        let report = flow::upload::upload_pending(data, server)?;
        for r in &report.uploaded {
            let page = r.url.as_deref().unwrap_or("");
            println!(
                "Uploaded {} to {server} (HTTP {}) {page}",
                r.certificate, r.status
            );
        }
        for n in &report.not_uploaded {
            println!("Not uploaded {}: {}", n.certificate, n.why);
        }
        let done = !report.not_uploaded.iter().any(|n| n.certificate == name);
        if done {
            return Ok(true);
        }
        if durable {
            println!(
                "The certificate stays on the data partition; it will be sent again at the next \
                 run (or by `reprise upload`)."
            );
            return Ok(true);
        }
        if cancel.is_cancelled() {
            println!(
                "NOT ACKNOWLEDGED: this machine has no stick; the certificate is only in memory \
                 and is lost at power-off. Do not power off."
            );
            return Ok(false);
        }
        println!(
            "Waiting for {server} to take the certificate (no stick: it is only in memory); \
             trying again in {} s.",
            delay.as_secs()
        );
        std::thread::sleep(delay);
        delay = (delay * 2).min(std::time::Duration::from_secs(30));
    }
}
