//! `reprise run`: the whole flow on the running machine, with the operator at the console.
//!
//! Probe, show the machine and the plan, wait for the operator's confirmation (unless `--auto`),
//! wipe every eligible disk in parallel with progress, then verdict and certificate on the data
//! folder. On a real terminal this is the operator's screen (`tui`); with `--no-tui`, or when
//! stdout is not a terminal (a pipe, a test), the line console (`console`) asks for "yes". Both
//! tell the same truth. Exit 0 when every planned disk was sanitized, `EXIT_CHECK_FAILED` when
//! the certificate records a disk not sanitized, `EXIT_CANCELLED` when the operator declined or
//! cancelled (Ctrl-C, SIGTERM). In automatic mode nothing is written unless the certificate has
//! a durable home (the boot stick's data partition, or a workshop server that answers).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;

use super::console;
use crate::cert::sign;
use crate::checks::keyboard::Layout;
use crate::flow::{self, DataDir, Mode, RunContext, RunPlan, RunStatus, Settings};
use crate::model::Language;
use crate::sys::SysRoot;
use crate::tui::{self, Exit};
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
    /// Language of the screen, the certificate and the verdict: fr or en (default: from
    /// `LANG`, else fr).
    #[arg(long)]
    pub lang: Option<Language>,
    /// Keyboard map of the keyboard check: fr (AZERTY) or us (QWERTY); default: fr when the
    /// language is French.
    #[arg(long, value_name = "MAP")]
    pub keymap: Option<Keymap>,
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
    /// Run the drives' own self-test on the disks to wipe before anything is written (`short`:
    /// one to two minutes, all drives at once). A disk that fails it is not overwritten: the
    /// certificate sends it to destruction.
    #[arg(long, value_name = "KIND")]
    pub self_test: Option<SelfTestKind>,
    /// Root of the sysfs/procfs view (tests); `/` on a real machine. Any other root accepts
    /// regular files only, never a block device.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// The line console even on a terminal (no full-screen interface).
    #[arg(long)]
    pub no_tui: bool,
    /// No RAM test while the disks are wiped.
    #[arg(long)]
    pub no_ram_test: bool,
    /// How long the result stays on screen in automatic mode before the agent ends.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub linger: u64,
}

/// Drive self-tests the operator can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SelfTestKind {
    Short,
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

/// The keyboard maps of the keyboard check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Keymap {
    Fr,
    Us,
}

/// `--lang`, else `LANG` (fr… or en…), else French.
pub fn language(arg: Option<Language>) -> Language {
    arg.or_else(|| {
        let lang = std::env::var("LANG").unwrap_or_default();
        if lang.starts_with("fr") {
            Some(Language::Fr)
        } else if lang.starts_with("en") {
            Some(Language::En)
        } else {
            None
        }
    })
    .unwrap_or(Language::Fr)
}

/// `--keymap`, else AZERTY for French and QWERTY otherwise.
pub fn keymap(arg: Option<Keymap>, lang: Language) -> Layout {
    match (arg, lang) {
        (Some(Keymap::Fr), _) | (None, Language::Fr) => Layout::FrAzerty,
        (Some(Keymap::Us), _) | (None, Language::En) => Layout::UsQwerty,
    }
}

/// Whether the operator's screen can run here: stdin and stdout are a terminal.
pub fn on_a_terminal() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// Where the transcript goes while the screen runs: stderr when it is not the same terminal
/// (in the live image, the serial console and the boot log); nowhere else, so that nothing
/// writes over the screen.
pub fn transcript_sink() -> Box<dyn Write + Send> {
    if std::io::stderr().is_terminal() {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stderr())
    }
}

/// Runs `reprise run`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = SysRoot::new(&args.root);
    let data = DataDir(args.data.clone());
    let lang = language(args.lang);
    let mut probe = crate::probe::probe(&root).context("cannot probe this machine")?;
    let tui = !args.no_tui && on_a_terminal();
    let mut out: Box<dyn Write> = if tui {
        transcript_sink()
    } else {
        Box::new(std::io::stdout())
    };
    writeln!(out, "{}", crate::probe::render::human(&probe))?;

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
    print_plan(&mut out, &run_plan, &inspection, lang)?;
    let not_ready = match args.auto {
        Some(_) => flow::check_auto_ready(&probe, &data, args.server.as_deref()).err(),
        None => None,
    };
    if !tui && let Some(why) = not_ready.clone() {
        println!("NOTHING WAS WRITTEN: {why}.");
        println!("Automatic mode needs somewhere to keep the certificate.");
        return Err(flow::RunError::NotReady(why).into());
    }
    // Frozen drives hide a better technique: suspend and resume once, then plan again.
    if not_ready.is_none()
        && args.unfreeze == Unfreeze::Auto
        && offer_unfreeze(&root, &inspection, &run_plan, args.auto.is_some(), &mut out)?
    {
        inspection = flow::inspect(&root, &probe);
        run_plan = flow::plan_with(&probe, &inspection, &settings)?;
        print_plan(&mut out, &run_plan, &inspection, lang)?;
    }

    // The drives' own tests, before the question and before the screen: a failing drive is
    // known (and out of the plan) before the operator confirms or minutes are spent on it.
    if args.self_test.is_some() && not_ready.is_none() && !run_plan.targets().is_empty() {
        let Some(tested) = self_tests(&root, &mut probe, &run_plan, &mut out)? else {
            writeln!(out, "Self-tests cancelled. Nothing was written.")?;
            return Ok(ExitCode::from(super::EXIT_CANCELLED));
        };
        run_plan = flow::replan(&probe, &inspection, &settings, &run_plan)?;
        if tested
            .iter()
            .any(|o| o.result.as_ref().is_ok_and(|r| !r.passed))
        {
            print_plan(&mut out, &run_plan, &inspection, lang)?;
        }
    }

    let policy = flow::load_policy(args.policy.as_deref(), Some(&data))?;
    let (key, created) = flow::load_or_create_key(&data)?;
    let key_id = sign::key_id(&key.verifying_key());
    if created {
        writeln!(out, "New station key created: {key_id}")?;
        writeln!(out, "Enrol this fingerprint with the workshop server.")?;
    } else {
        writeln!(out, "Station key: {key_id}")?;
    }
    drop(out);

    if tui {
        let durable = flow::data_is_durable(&probe, &data);
        let session = tui::Session {
            probe: probe.clone(),
            root: root.clone(),
            data: data.clone(),
            key: key.clone(),
            policy: policy.clone(),
            organisation: args.org.clone(),
            site: args.site.clone(),
            operator: args.operator.clone(),
            language: lang,
            image_digest: crate::sys::power::image_digest(&root),
            server: args.server.clone(),
            demo: None,
            transcript: transcript_sink(),
            panic_after_first_frame: false,
        };
        let cfg = tui::Config {
            lang,
            auto: args.auto.is_some(),
            demo: false,
            keymap: keymap(args.keymap, lang),
            poweroff: args.poweroff,
            ram_test: !args.no_ram_test,
            cooling_ms: crate::checks::cooling::DEFAULT_DURATION_MS,
            auto_step: Duration::from_secs(2),
            linger: Duration::from_secs(args.linger),
            certificate_home: data.certs().display().to_string(),
            server: args.server.clone(),
        };
        let model = tui::Model::new(cfg, probe, policy, settings, Default::default())
            .with_inspection(inspection.clone());
        let ending = tui::run(model, session)?;
        let upload = args.server.as_deref().map(|server| Upload {
            server,
            enroll: args.enroll.as_deref(),
            durable,
        });
        return finish_screen(ending, &key, &data, upload, args.poweroff);
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
        language: lang,
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
            &Upload {
                server,
                enroll: args.enroll.as_deref(),
                durable: flow::data_is_durable(&probe, &data),
            },
            &data,
            &key,
            &outcome.certificate,
            &cancel_for_upload,
            &mut std::io::stdout(),
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

    let status = uploaded_status(outcome.status(), uploaded);
    power_off_if_asked(args.poweroff, status, &mut std::io::stdout())?;
    Ok(console::exit_code(status))
}

/// The status of a run whose certificate may not have reached its only home: a certificate kept
/// in memory (network boot) that the server never took means the run must not look finished,
/// and the machine must not power off.
fn uploaded_status(status: RunStatus, uploaded: bool) -> RunStatus {
    if uploaded {
        status
    } else {
        RunStatus::NotSanitized
    }
}

/// Runs the short self-test of every target drive at once, Ctrl-C and SIGTERM aborting them;
/// `None` when the operator cancelled.
fn self_tests(
    root: &SysRoot,
    probe: &mut crate::probe::model::ProbeReport,
    plan: &RunPlan,
    out: &mut dyn Write,
) -> anyhow::Result<Option<Vec<flow::selftest::SelfTestOutcome>>> {
    let targets: Vec<_> = plan
        .targets()
        .iter()
        .map(|t| t.identity().id.clone())
        .collect();
    let cancel = CancelToken::new();
    let c = cancel.clone();
    // Stopped after the tests: the screen or the wipe then watches the signals itself.
    let watch = crate::sys::signals::watch_phase(move |_| c.cancel());
    let tested = flow::selftest::run_short(
        root,
        &crate::probe::Drives::for_root(root),
        probe,
        &targets,
        &mut flow::selftest::WallClock::new(),
        &cancel,
        &mut console::self_test_printer(&mut *out),
    );
    if let Some(w) = watch {
        w.stop();
    }
    Ok(tested.ok())
}

/// Offers to suspend and resume when frozen drives hide a better technique: asked on the
/// terminal in an interactive run, done in an automatic one. Whether the machine slept (the
/// drives must then be asked again).
fn offer_unfreeze(
    root: &SysRoot,
    inspection: &flow::Inspection,
    plan: &RunPlan,
    auto: bool,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let frozen = plan.frozen();
    if frozen == 0 {
        return Ok(false);
    }
    match &inspection.can_suspend {
        Some(Ok(())) => {}
        Some(Err(why)) => {
            writeln!(
                out,
                "{frozen} drive(s) frozen, and this machine cannot suspend to unfreeze them: {why}."
            )?;
            return Ok(false);
        }
        None => return Ok(false),
    }
    if !auto {
        // Before any screen: the question is a plain line on the terminal.
        let mut stdout = std::io::stdout();
        write!(
            stdout,
            "{frozen} drive(s) frozen by the firmware. Suspend for a few seconds to unfreeze them? Type yes: "
        )?;
        stdout.flush()?;
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        if !matches!(line.trim().to_lowercase().as_str(), "yes" | "oui") {
            return Ok(false);
        }
    }
    writeln!(
        out,
        "Suspending to RAM; the machine wakes up by itself in 5 s."
    )?;
    out.flush()?;
    match flow::unfreeze(root) {
        Ok(slept) => {
            writeln!(
                out,
                "Resumed after {} s; asking the drives again.",
                slept.asleep.as_secs()
            )?;
            Ok(true)
        }
        Err(e) => {
            writeln!(
                out,
                "Suspend failed ({}): going on with the plan above.",
                crate::model::error_chain(&e)
            )?;
            Ok(false)
        }
    }
}

/// A run that did not sanitize everything never powers off by itself: the operator must see
/// the result.
fn power_off_if_asked(
    poweroff: bool,
    status: RunStatus,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if poweroff && status == RunStatus::Sanitized {
        crate::sys::power::power_off().context("cannot power off")?;
    } else if poweroff {
        writeln!(
            out,
            "Not powering off: not every disk was sanitized. The result stays on screen."
        )?;
    }
    Ok(())
}

/// After the screen: the same lines the line console prints (to the terminal and the
/// transcript), the run's log on the data partition, the exit code.
pub fn finish_screen(
    ending: tui::Ending,
    key: &ed25519_dalek::SigningKey,
    data: &DataDir,
    upload_to: Option<Upload<'_>>,
    poweroff: bool,
) -> anyhow::Result<ExitCode> {
    let mut lines: Vec<String> = Vec::new();
    let status = match &ending.exit {
        Exit::Declined => {
            lines.push("Nothing was written.".into());
            emit(&lines, &ending, data);
            return Ok(ExitCode::from(super::EXIT_CANCELLED));
        }
        Exit::NotReady(why) => {
            lines.push(format!("NOTHING WAS WRITTEN: {why}."));
            lines.push("Automatic mode needs somewhere to keep the certificate.".into());
            emit(&lines, &ending, data);
            return Err(flow::RunError::NotReady(why.clone()).into());
        }
        Exit::Failed(why) => {
            emit(&lines, &ending, data);
            anyhow::bail!("the run failed: {why}");
        }
        Exit::Finished(status) => *status,
    };
    let certificate = ending.result.as_ref().map(|r| r.certificate.clone());
    if let Some(r) = &ending.result {
        for d in &r.devices {
            lines.push(console::result_line(d));
        }
        lines.push(format!("Certificate: {}", r.certificate.display()));
        let bytes = crate::sys::file::read(&r.certificate).context("cannot read it back")?;
        let verified = crate::cert::envelope::verify(&bytes, Some(&key.verifying_key()))
            .with_context(|| format!("{} does not verify", r.certificate.display()))?;
        lines.push(crate::cert::render::text(
            &verified.envelope.certificate,
            &verified.digest,
        ));
    }
    emit(&lines, &ending, data);
    // After the screen, on the terminal and in the transcript: the upload may wait for the
    // server (a network boot), and the operator must see why.
    let mut out = Tee(std::io::stdout(), transcript_sink());
    let uploaded = match (upload_to, &certificate) {
        (Some(u), Some(cert)) => {
            let cancel = CancelToken::new();
            let c = cancel.clone();
            let watch = crate::sys::signals::watch_phase(move |_| c.cancel());
            let done = upload(&u, data, key, cert, &cancel, &mut out);
            if let Some(w) = watch {
                w.stop();
            }
            done?
        }
        _ => true,
    };
    let status = uploaded_status(status, uploaded);
    power_off_if_asked(poweroff, status, &mut out)?;
    Ok(console::exit_code(status))
}

/// Writes to both: the operator's terminal and the transcript (serial console, boot log).
struct Tee<A, B>(A, B);

impl<A: Write, B: Write> Write for Tee<A, B> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(buf)?;
        self.1.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
}

/// The closing lines on the terminal and in the transcript, and the run's log kept on the data
/// partition (the transcript of the whole session).
fn emit(lines: &[String], ending: &tui::Ending, data: &DataDir) {
    let mut stdout = std::io::stdout();
    let _ = write!(stdout, "\x1b[2J\x1b[H");
    let mut transcript = transcript_sink();
    for l in lines {
        let _ = writeln!(stdout, "{l}");
        let _ = writeln!(transcript, "{l}");
    }
    let mut log: Vec<u8> = Vec::new();
    for l in ending.transcript.iter().chain(lines) {
        log.extend_from_slice(l.as_bytes());
        log.push(b'\n');
    }
    let dir = data.logs();
    let stamp = crate::sys::clock::now_rfc3339().replace([':', '.'], "-");
    let saved = crate::sys::atomic::ensure_dir(&dir).and_then(|()| {
        crate::sys::atomic::write_new(&dir, &format!("{stamp}-run.log"), &log, 0o644)
    });
    if let Err(e) = saved {
        let _ = writeln!(
            transcript,
            "reprise: the run's log could not be kept: {}",
            crate::model::error_chain(&e)
        );
    }
}

/// The plan, as `reprise plan` shows it: each disk's technique for the level asked and why.
fn print_plan(
    out: &mut dyn Write,
    p: &RunPlan,
    inspection: &flow::Inspection,
    lang: Language,
) -> std::io::Result<()> {
    write!(
        out,
        "{}",
        super::plan::human(&super::plan::view(p, inspection, lang))
    )
}

/// Where a run's certificates go besides the data folder.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub server: &'a str,
    /// The one-time enrolment token of a network boot (`reprise.enroll=`).
    pub enroll: Option<&'a str>,
    /// The data folder survives the power-off (a stick); otherwise the certificate is only in
    /// memory until the server takes it.
    pub durable: bool,
}

/// Uploads the certificates of the data folder not yet acknowledged. On a stick, what fails
/// stays queued for the next run. In memory (network boot), keeps trying until the server
/// acknowledges the new certificate, or the operator stops it: returns whether it did.
fn upload(
    u: &Upload<'_>,
    data: &DataDir,
    key: &ed25519_dalek::SigningKey,
    certificate: &std::path::Path,
    cancel: &CancelToken,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let server = u.server;
    if let Some(token) = u.enroll {
        let pem = sign::public_key_pem(&key.verifying_key())?;
        match flow::upload::enroll_station(server, token, &pem) {
            Ok(()) => writeln!(out, "Station enrolled with {server}.")?,
            Err(why) => writeln!(out, "Station enrolment with {server} failed: {why}")?,
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
            writeln!(
                out,
                "Uploaded {} to {server} (HTTP {}) {page}",
                r.certificate, r.status
            )?;
        }
        for n in &report.not_uploaded {
            writeln!(out, "Not uploaded {}: {}", n.certificate, n.why)?;
        }
        let done = !report.not_uploaded.iter().any(|n| n.certificate == name);
        if done {
            return Ok(true);
        }
        if u.durable {
            writeln!(
                out,
                "The certificate stays on the data partition; it will be sent again at the next \
                 run (or by `reprise upload`)."
            )?;
            return Ok(true);
        }
        if cancel.is_cancelled() {
            writeln!(
                out,
                "NOT ACKNOWLEDGED: this machine has no stick; the certificate is only in memory \
                 and is lost at power-off. Do not power off."
            )?;
            return Ok(false);
        }
        writeln!(
            out,
            "Waiting for {server} to take the certificate (no stick: it is only in memory); \
             trying again in {} s.",
            delay.as_secs()
        )?;
        std::thread::sleep(delay);
        delay = (delay * 2).min(std::time::Duration::from_secs(30));
    }
}
