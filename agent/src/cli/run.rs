//! `reprise run`: the whole run on this machine — its arguments, and the line dialogue.
//!
//! The steps are `flow::run`'s (prepare, ready, unfreeze, self-tests, execute, finish); this file
//! turns the command line into settings, asks the operator on the console, and hands a real
//! terminal to the operator's screen (`tui`). With `--no-tui`, or when stdout is not a terminal
//! (a pipe, a serial console, a test), the line console asks for "yes". Both tell the same
//! truth. Exit 0 when every planned disk was sanitized, `EXIT_CHECK_FAILED` when the certificate
//! records a disk not sanitized, `EXIT_CANCELLED` when the operator declined or cancelled
//! (Ctrl-C, SIGTERM). In automatic mode nothing is written unless the certificate has a durable
//! home (the boot stick's data partition, or a workshop server whose signed answer says it keeps
//! this station's certificates).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use super::console::{self, Transcript};
use crate::deploy::Install;
use crate::flow::config::{self, Given, RunFlags};
use crate::flow::deploy::Due;
use crate::flow::medium::Home;
use crate::flow::run::{Executed, Hooks, Run, Station};
use crate::flow::{Config, DataDir, RunError};
use crate::model::{Language, Level};
use crate::probe::model::SelfTestKind;
use crate::sys::SysRoot;
use crate::tui::{self, Exit};
use crate::wipe::{CancelToken, Method, VerifySpec};

/// Arguments of `reprise run`. The settings a boot medium can give (automatic mode, language,
/// operator…) are read from the kernel command line and `DATA/reprise.conf` too; a flag given
/// here wins over both.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run without asking: `clear` (overwrite + verify) or `purge` (each drive's own Purge
    /// where it has one, checked before and after; a disk without one gets Clear, and the
    /// certificate says so and why).
    #[arg(long, value_name = "MODE", value_parser = super::level_parser())]
    pub auto: Option<Level>,
    /// The level of an interactive run (`--auto` sets its own).
    #[arg(long, default_value = "clear", conflicts_with = "auto", value_parser = super::level_parser())]
    pub level: Level,
    /// After a firmware erase, overwrite every disk with zeros and read it back.
    #[arg(long)]
    pub then_zero: bool,
    /// Restore a Device Configuration Overlay to the drive's factory capacity before
    /// sanitizing (without it, a disk whose DCO hides sectors cannot count as sanitized).
    #[arg(long)]
    pub dco_restore: bool,
    /// Frozen drives: suspend to RAM for a few seconds to unfreeze them. `auto` (the default)
    /// offers it in an interactive run and does it in an automatic one, `never` does not.
    #[arg(long, default_value = "auto")]
    pub unfreeze: Unfreeze,
    /// Power the machine off at the end (only from the live image).
    #[arg(long)]
    pub poweroff: bool,
    /// Operator name recorded in the certificate (default: unknown).
    #[arg(long)]
    pub operator: Option<String>,
    /// Site (school, batch) the machine came from (default: unknown).
    #[arg(long)]
    pub site: Option<String>,
    /// Organisation recorded in the certificate.
    #[arg(long)]
    pub org: Option<String>,
    /// Data folder: keys/, certs/, logs/, policy.toml, reprise.conf (the stick's REPRISE
    /// partition).
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
    /// the run does not end until the server has acknowledged the new certificate. Plain HTTP
    /// (an https:// one is refused): its answers are believed by their signature.
    #[arg(long, value_name = "URL", value_parser = super::server_url)]
    pub server: Option<String>,
    /// The server key's fingerprint (`reprise-collector server-key` prints it): an answer
    /// signed by any other key is refused. Without it, the key of the first answer is pinned
    /// in DATA/keys/server-key.
    #[arg(long, value_name = "sha256:HEX", value_parser = super::server_key)]
    pub server_key: Option<String>,
    /// One-time enrolment token of a network boot (`reprise.enroll=`): the station key, new at
    /// each network boot, is enrolled with the server before uploading.
    #[arg(long, value_name = "TOKEN")]
    pub enroll: Option<String>,
    /// Run the drives' own self-test on the disks to wipe before anything is written (`short`:
    /// one to two minutes, all drives at once). A disk that fails it is not overwritten: the
    /// certificate sends it to destruction.
    #[arg(long, value_name = "KIND")]
    pub self_test: Option<SelfTestArg>,
    /// After every disk is sanitized and the verdict is refurbish, install the workshop image
    /// NAME on the main internal disk (`reprise.deploy=`): the data folder's
    /// `images/NAME.img.zst` or `images/NAME.img` (with `NAME.sha256` beside it), else the
    /// workshop server's image NAME.
    #[arg(long, value_name = "NAME", value_parser = image_name)]
    pub deploy: Option<String>,
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
    /// Ask the operator at the end of the run what the machine does next — power off (Enter),
    /// reboot, or the maintenance shell — and write the answer (`poweroff`, `reboot`, `shell`)
    /// to FILE, a new file, for the live image's init to act on. An automatic run asks nothing.
    #[arg(long, value_name = "FILE")]
    pub choice_file: Option<PathBuf>,
}

/// An image name for `--deploy`, checked as `reprise.deploy=` is.
pub(super) fn image_name(s: &str) -> Result<String, String> {
    config::check_image_name(s)
        .map(|()| s.to_owned())
        .map_err(str::to_owned)
}

/// Drive self-tests the operator can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SelfTestArg {
    Short,
}

/// Whether to suspend and resume to unfreeze drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Unfreeze {
    Auto,
    Never,
}

/// The keyboard maps of the keyboard check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Keymap {
    Fr,
    Us,
}

impl Keymap {
    pub fn layout(self) -> crate::checks::keyboard::Layout {
        match self {
            Keymap::Fr => crate::checks::keyboard::Layout::FrAzerty,
            Keymap::Us => crate::checks::keyboard::Layout::UsQwerty,
        }
    }
}

impl Args {
    /// What the flags say of the settings a boot medium can also give.
    fn given(&self) -> Given {
        Given {
            auto: self.auto,
            poweroff: self.poweroff.then_some(true),
            language: self.lang,
            keymap: self.keymap.map(Keymap::layout),
            operator: self.operator.clone(),
            site: self.site.clone(),
            organisation: self.org.clone(),
            server: self.server.clone(),
            server_key: self.server_key.clone(),
            enroll: self.enroll.clone(),
            self_test: self.self_test.map(|SelfTestArg::Short| SelfTestKind::Short),
            shell: None,
            deploy: self.deploy.clone(),
        }
    }

    /// The run's settings, resolved once: these flags, then the kernel command line and the
    /// data folder's `reprise.conf`, then the defaults.
    pub fn config(&self) -> anyhow::Result<Config> {
        let root = SysRoot::new(&self.root);
        let data = DataDir(self.data.clone());
        let booted = config::booted(&root, &data)?;
        let config = config::resolve(
            self.given(),
            booted,
            RunFlags {
                root,
                data,
                level: self.level,
                method: self.method.clone(),
                verify: self.verify,
                then_zero: self.then_zero,
                dco_restore: self.dco_restore,
                unfreeze: self.unfreeze == Unfreeze::Auto,
                policy: self.policy.clone(),
                ram_test: !self.no_ram_test,
                linger: Duration::from_secs(self.linger),
                choice_file: self.choice_file.clone(),
            },
            crate::sys::env::locale().as_deref(),
        );
        Ok(config)
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
    let config = args.config()?;
    let screen = !args.no_tui && on_a_terminal();
    // Before the screen, what is said goes to the transcript (the screen owns the terminal);
    // on the console, to the terminal. Both are kept for the run's log.
    let mut out = Transcript::new(if screen {
        transcript_sink()
    } else {
        Box::new(std::io::stdout())
    });
    let mut run = Run::prepare(config)?;
    if let Some(s) = &run.settled {
        writeln!(
            out,
            "reprise: storage {} after {} ms ({} block devices)",
            if s.gave_up {
                "still changing"
            } else {
                "settled"
            },
            s.waited.as_millis(),
            s.devices.len()
        )?;
    }
    writeln!(out, "{}", crate::probe::render::human(&run.probe))?;
    print_plan(&mut out, &run)?;
    let mut ready = run.ready();
    if let Err(why) = &ready
        && !screen
    {
        return Err(refused(&mut out, why)?);
    }
    // A run that found no storage of the laptop's own stops (the screen says it itself, and
    // offers F7 to state the laptop has no disk).
    if !screen && let Err(none) = run.storage() {
        for line in none.lines(Language::En) {
            writeln!(out, "{line}")?;
        }
        if run.config.auto.is_some() {
            return Ok(ExitCode::from(super::EXIT_CHECK_FAILED));
        }
        write!(
            out,
            "If this laptop has no disk, type \"no disk\" to state it (the certificate records \
             it); anything else stops: "
        )?;
        out.flush()?;
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        if !matches!(
            line.trim().to_lowercase().as_str(),
            "no disk" | "pas de disque"
        ) {
            writeln!(out, "Nothing was written.")?;
            return Ok(ExitCode::from(super::EXIT_CANCELLED));
        }
        run.state_no_disk();
        writeln!(out, "The operator states that this laptop has no disk.")?;
    }
    if ready.is_ok() {
        // An interactive screen offers it itself (F6 on its choosing screen).
        let ask = run.config.auto.is_none() && !screen;
        if (run.config.auto.is_some() || ask) && offer_unfreeze(&mut run, ask, &mut out)? {
            print_plan(&mut out, &run)?;
            // The resume made automatic mode's check again: nothing is written on the one
            // from before the machine slept.
            ready = run.readiness();
            if let Err(why) = &ready
                && !screen
            {
                return Err(refused(&mut out, why)?);
            }
        }
        if ready.is_ok() && run.wants_self_tests() {
            let cancel = CancelToken::new();
            let c = cancel.clone();
            // Watched for the tests only: the screen or the wipe then watches the signals.
            let watch = crate::sys::signals::watch_phase(move |_| c.cancel());
            let tested = run.self_tests(&cancel, &mut console::self_test_printer(&mut out));
            if let Some(w) = watch {
                w.stop();
            }
            match tested? {
                Err(_) => {
                    writeln!(out, "Self-tests cancelled. Nothing was written.")?;
                    return Ok(ExitCode::from(super::EXIT_CANCELLED));
                }
                Ok(t) if t.iter().any(|o| o.result.as_ref().is_ok_and(|r| !r.passed)) => {
                    print_plan(&mut out, &run)?;
                }
                Ok(_) => {}
            }
        }
    }
    let station = run.station()?;
    if station.created {
        writeln!(out, "New station key created: {}", station.key_id)?;
        writeln!(out, "Enrol this fingerprint with the workshop server.")?;
    } else {
        writeln!(out, "Station key: {}", station.key_id)?;
    }
    if screen {
        let model = tui::Model::new(tui::Config::new(&run.config), &run).ready(ready);
        return on_screen(run, station, model, out.lines());
    }
    on_console(&run, &station, out)
}

/// Says on the console that automatic mode wrote nothing, and why; the error the run ends with.
fn refused(out: &mut Transcript, why: &crate::flow::NotReady) -> anyhow::Result<anyhow::Error> {
    writeln!(out, "NOTHING WAS WRITTEN: {why}.")?;
    writeln!(
        out,
        "Automatic mode needs somewhere to keep the certificate."
    )?;
    Ok(RunError::NotReady(why.clone()).into())
}

/// The line dialogue: the operator types "yes", progress lines, each disk's result, the
/// certificate as read back.
fn on_console(run: &Run, station: &Station, mut out: Transcript) -> anyhow::Result<ExitCode> {
    let plan = &run.plan;
    if run.config.auto.is_none() && !plan.targets().is_empty() {
        let disks: Vec<_> = plan
            .targets()
            .iter()
            .map(|t| t.identity().clone())
            .collect();
        let what = match plan.level {
            Level::Clear => console::describe_verify(plan.verify),
            Level::Purge => format!(
                "as planned above, {}",
                console::describe_verify(plan.verify)
            ),
        };
        if !console::confirm(&mut out, &mut std::io::stdin().lock(), &disks, &what)? {
            writeln!(out, "Nothing was written.")?;
            return Ok(ExitCode::from(super::EXIT_CANCELLED));
        }
    }
    let (tx, rx) = mpsc::channel();
    let cancel = CancelToken::new();
    console::cancel_on_interrupt(&cancel);
    let progress = out.clone();
    let printer = std::thread::spawn(move || console::print_progress(rx, progress));
    let executed = run.execute(station, plan, Hooks::plain(tx, cancel.clone()));
    // The sender is gone once `execute` returns, so the printer ends by itself.
    let _ = printer.join();
    let mut executed = executed?;
    for line in closing_lines(run, &executed) {
        writeln!(out, "{line}")?;
    }
    // A certificate that does not verify where it was written is an error, not a success.
    if let Err(why) = &executed.read_back {
        anyhow::bail!("the certificate {why}");
    }
    // The install follows the wipe without a key (automatic mode as much as by hand).
    install(run, station, &mut executed, &mut out, &cancel);
    let lines = out.lines();
    let status = run.finish(station, Some(&executed), &lines, &cancel, &mut out)?;
    if let Some(file) = &run.config.choice_file
        && run.config.auto.is_none()
        && let Some(choice) =
            console::ask_end(&mut out, &mut std::io::stdin().lock(), run.config.shell)?
    {
        hand_over(&mut out, file, choice);
    }
    Ok(console::exit_code(status))
}

/// Writes the operator's choice for init; a choice that cannot be written is said (init then
/// asks again, on its own prompt), and changes nothing of how the run ended.
fn hand_over(out: &mut dyn Write, file: &std::path::Path, choice: crate::flow::end::Choice) {
    match crate::flow::end::write(file, choice) {
        Ok(()) => {
            let _ = writeln!(out, "reprise: the operator chose: {}", choice.as_str());
        }
        Err(e) => {
            let _ = writeln!(out, "{}", crate::model::error_chain(&e));
        }
    }
}

/// The install step (`Run::deploy`) with its progress lines on `out`; what it did goes into
/// `executed` for `Run::finish`, which says the result once, as it does after the screen, and
/// powers off only after a verified install.
fn install(
    run: &Run,
    station: &Station,
    executed: &mut Executed,
    out: &mut dyn Write,
    cancel: &CancelToken,
) {
    let result = {
        let mut progress = console::install_printer(&mut *out);
        run.deploy(station, executed, &mut progress, cancel)
    };
    executed.install = Some(result);
}

/// The operator's screen (which runs the install step after the run), then what follows it on
/// the terminal and in the transcript: the closing lines with the install's outcome, the upload (which may wait for the server on a network boot) and the end.
pub fn on_screen(
    run: Run,
    station: Station,
    model: tui::Model,
    before: Vec<String>,
) -> anyhow::Result<ExitCode> {
    let run = std::sync::Arc::new(run);
    let session = tui::Session {
        run: std::sync::Arc::clone(&run),
        station: station.clone(),
        transcript: transcript_sink(),
    };
    let mut ending = tui::run(model, session)?;
    let mut lines: Vec<String> = Vec::new();
    let mut refused = None;
    match &ending.exit {
        Exit::Declined => lines.push("Nothing was written.".into()),
        Exit::NotReady(why) => {
            lines.push(format!("NOTHING WAS WRITTEN: {why}."));
            lines.push("Automatic mode needs somewhere to keep the certificate.".into());
            refused = Some(RunError::NotReady(why.clone()).into());
        }
        Exit::Failed(why) => refused = Some(anyhow::anyhow!("the run failed: {why}")),
        Exit::NoStorage(none) => lines.extend(none.lines(Language::En)),
        Exit::Finished(_) => {}
    }
    if let Some(e) = ending.executed.as_mut() {
        lines.extend(closing_lines(&run, e));
        // The screen ran the install step (or knew it was not due): `Run::finish` says its
        // outcome, and nothing runs it a second time. An install the screen never reached is
        // not one.
        if e.install.is_none() {
            e.install = Some(match run.install_due(e) {
                Due::No(i) => i,
                Due::Offered => Install::NotDue("no image chosen on the screen".into()),
                Due::Configured(_) => Install::Failed("the screen ended before the install".into()),
            });
        }
    }
    // The screen is gone: the closing lines on the terminal and in the transcript.
    let mut out = Tee(
        console::Escaped::new(std::io::stdout()),
        console::Escaped::new(transcript_sink()),
    );
    let _ = write!(std::io::stdout(), "\x1b[2J\x1b[H");
    for l in &lines {
        let _ = writeln!(out, "{l}");
    }
    let transcript: Vec<String> = before
        .into_iter()
        .chain(ending.transcript)
        .chain(lines)
        .collect();
    let cancel = CancelToken::new();
    let c = cancel.clone();
    let watch = crate::sys::signals::watch_phase(move |_| c.cancel());
    let status = run.finish(
        &station,
        ending.executed.as_ref(),
        &transcript,
        &cancel,
        &mut out,
    );
    if let Some(w) = watch {
        w.stop();
    }
    let status = status?;
    if let (Some(file), Some(choice)) = (&run.config.choice_file, ending.choice) {
        hand_over(&mut out, file, choice);
    }
    if let Some(e) = refused {
        return Err(e);
    }
    Ok(match ending.exit {
        Exit::Declined => ExitCode::from(super::EXIT_CANCELLED),
        Exit::NoStorage(_) => ExitCode::from(super::EXIT_CHECK_FAILED),
        _ => console::exit_code(status),
    })
}

/// What became of each disk, where the certificate is, and the certificate as read back.
fn closing_lines(run: &Run, e: &Executed) -> Vec<String> {
    let mut lines: Vec<String> = e.wipe.devices.iter().map(console::result_line).collect();
    lines.extend(e.appeared.iter().map(console::appeared_line));
    lines.push(format!("Certificate: {}", e.certificate.display()));
    if run.home() == Home::Memory {
        lines.push(
            match &run.config.server {
                Some(_) => "ONLY IN MEMORY (no stick): it is kept once the workshop server has it.",
                None => "ONLY IN MEMORY (no stick, no server): it is LOST at power-off.",
            }
            .to_owned(),
        );
    }
    if let Ok(r) = &e.read_back {
        lines.push(r.text.clone());
    }
    lines
}

/// Frozen drives hide a better technique: suspend and resume once (asked on the console in an
/// interactive run, done in an automatic one), then the plan is made again. Whether it slept.
fn offer_unfreeze(run: &mut Run, ask: bool, out: &mut dyn Write) -> anyhow::Result<bool> {
    let Some(frozen) = run.frozen() else {
        return Ok(false);
    };
    let n = frozen.drives;
    if let Err(why) = &frozen.can_suspend {
        writeln!(
            out,
            "{n} drive(s) frozen, and this machine cannot suspend to unfreeze them: {why}."
        )?;
        return Ok(false);
    }
    if ask {
        write!(
            out,
            "{n} drive(s) frozen by the firmware. Suspend for a few seconds to unfreeze them? Type yes: "
        )?;
        out.flush()?;
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
    match run.unfreeze() {
        Ok(slept) => {
            writeln!(
                out,
                "Resumed after {} s; asking the drives again.",
                slept.as_secs()
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

/// The plan, as `reprise plan` shows it: each disk's technique for the level asked and why.
fn print_plan(out: &mut dyn Write, run: &Run) -> std::io::Result<()> {
    write!(
        out,
        "{}",
        super::plan::human(&super::plan::view(
            &run.plan,
            &run.inspection,
            run.config.language
        ))
    )
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
