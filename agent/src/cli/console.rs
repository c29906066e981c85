//! The line-based console dialogue shared by `reprise wipe` and `reprise run`: the confirmation
//! that names every disk, the progress lines, each disk's result line and the exit code — all
//! read off the one predicate of "sanitized" (`DeviceWipe::is_sanitized`).
//!
//! The TUI replaces this dialogue on a real terminal; both speak the same events.
//!
//! What the laptop told us (disk models and serials, SMBIOS strings) never reaches the
//! operator's terminal or the run's log raw: each line this module makes is escaped where it is
//! made (`text::escape`: no control character or bidirectional override, no extra line), and
//! the [`Transcript`] — the one writer of the line console and of what its log keeps — escapes
//! every control character but the line feed in whatever else passes through it.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::flow::RunStatus;
use crate::model::DiskIdentity;
use crate::model::text::{self, StreamEscaper};
use crate::probe::render::size as human_size;
use crate::sys::clock::Stopwatch;
use crate::wipe::report::{DeviceWipe, Outcome};
use crate::wipe::{Phase, WipeEvent};

/// The console's output: written through to the operator, and every line kept for the run's
/// log. Clones share both (the progress printer runs on a thread of its own).
#[derive(Clone)]
pub struct Transcript {
    shared: Arc<Mutex<Shared>>,
}

/// The operator's output, and the bytes written to it so far (escaped).
struct Shared {
    out: Box<dyn Write + Send>,
    kept: Vec<u8>,
    escaper: StreamEscaper,
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcript").finish_non_exhaustive()
    }
}

impl Transcript {
    pub fn new(out: Box<dyn Write + Send>) -> Transcript {
        Transcript {
            shared: Arc::new(Mutex::new(Shared {
                out,
                kept: Vec::new(),
                escaper: StreamEscaper::new(),
            })),
        }
    }

    /// Every line written so far.
    pub fn lines(&self) -> Vec<String> {
        let shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&shared.kept)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Transcript {
    /// Escapes every control character but the line feed (and every bidirectional override),
    /// then writes through and keeps: the terminal and the log see the same safe text.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let safe = shared.escaper.feed(buf);
        shared.kept.extend_from_slice(safe.as_bytes());
        shared.out.write_all(safe.as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.out.flush()
    }
}

/// Lists the disks about to be destroyed and waits for the word "yes" (or "oui"); anything else
/// declines. `what` says how they will be written ("method zero, verify sample 10 %").
pub fn confirm(
    out: &mut dyn Write,
    input: &mut dyn BufRead,
    disks: &[DiskIdentity],
    what: &str,
) -> io::Result<bool> {
    writeln!(out, "About to sanitize {} disk(s), {what}:", disks.len())?;
    for d in disks {
        let line = format!(
            "  {}  {}  serial {}  {} ({} bytes)  id {}",
            d.dev_path,
            d.model.as_deref().unwrap_or("unknown model"),
            d.serial.as_deref().unwrap_or("unknown"),
            human_size(d.size_bytes),
            d.size_bytes,
            d.id
        );
        writeln!(out, "{}", text::escape(&line))?;
    }
    write!(
        out,
        "ALL DATA ON THEM WILL BE DESTROYED. Type yes to go on: "
    )?;
    out.flush()?;
    let mut line = String::new();
    input.read_line(&mut line)?;
    let answer = line.trim().to_lowercase();
    Ok(answer == "yes" || answer == "oui")
}

/// The last question of an interactive run: what the machine does next. Enter powers off (the
/// default), `r` reboots; `shell` opens init's maintenance shell — listed only when the boot
/// says `reprise.shell=1`, accepted always (documented, on no button). Both languages, as
/// init's own prompt. Anything else asks again; the end of the input is no answer (`None`:
/// init then asks itself).
pub fn ask_end(
    out: &mut dyn Write,
    input: &mut dyn BufRead,
    shell: bool,
) -> io::Result<Option<crate::flow::end::Choice>> {
    loop {
        write!(
            out,
            "End of the run / Fin : Enter = power off / éteindre, r = reboot / redémarrer{}: ",
            if shell {
                ", shell = maintenance shell / shell de maintenance"
            } else {
                ""
            }
        )?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(out)?;
            return Ok(None);
        }
        if let Some(choice) = crate::flow::end::Choice::from_answer(&line) {
            return Ok(Some(choice));
        }
        writeln!(
            out,
            "Not understood / Pas compris : {}",
            text::escape(line.trim())
        )?;
    }
}

/// "zero, verify sample 10.0 %".
pub fn describe_verify(v: crate::wipe::VerifySpec) -> String {
    match v {
        crate::wipe::VerifySpec::None => "no verification".into(),
        crate::wipe::VerifySpec::Full => "full verification".into(),
        crate::wipe::VerifySpec::Sample { permille } => {
            format!("verify a sample of {}.{} %", permille / 10, permille % 10)
        }
    }
}

/// Prints one progress line per device every few seconds and each device's end, until the
/// channel closes (every worker done). Runs on its own thread.
pub fn print_progress(rx: Receiver<WipeEvent>, mut out: impl Write) {
    let mut last: HashMap<String, Stopwatch> = HashMap::new();
    for event in rx {
        let line = match event {
            WipeEvent::Progress(p) => {
                let due = last
                    .get(&p.device)
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(2));
                if !due && p.bytes_done < p.bytes_total {
                    continue;
                }
                last.insert(p.device.clone(), Stopwatch::start());
                let pct = (p.bytes_done * 100).checked_div(p.bytes_total).unwrap_or(0);
                let phase = match p.phase {
                    Phase::Write => "write",
                    Phase::Verify => "verify",
                    Phase::Erase => "firmware erase",
                };
                let eta = p
                    .eta_ms
                    .map(|ms| format!(" ETA {}:{:02}", ms / 60_000, (ms / 1000) % 60))
                    .unwrap_or_default();
                format!(
                    "{} pass {}/{} {phase} {pct:>3}% {}/s{eta}",
                    p.device,
                    p.pass,
                    p.passes,
                    human_size(p.rate_bps)
                )
            }
            WipeEvent::Finished {
                device, outcome, ..
            } => format!("{device}: finished, {}", outcome.as_str()),
        };
        // Nobody reading is not a reason to stop the wipe.
        let _ = writeln!(out, "{}", text::escape(&line));
    }
}

/// The line that tells the operator what became of one disk.
pub fn result_line(d: &DeviceWipe) -> String {
    let first_error = || {
        d.errors
            .iter()
            .find(|e| e.operation.breaks_sanitization())
            .map_or("verification failed", |e| e.message.as_str())
            .to_owned()
    };
    let verdict = if d.is_sanitized() {
        // The level reached and how: a Purge asked for may have been a Clear on this disk.
        let done = format!("SANITIZED — {} by {}", d.level.as_str(), d.technique);
        match d.writes_retried() {
            0 => done,
            n => format!("{done} ({n} write(s) needed a retry: check the disk's health)"),
        }
    } else {
        match d.outcome {
            Outcome::Unverified => {
                "WRITTEN BUT NOT VERIFIED — not sanitized (verification none)".to_owned()
            }
            Outcome::Cancelled => "CANCELLED — not sanitized".to_owned(),
            Outcome::Failed | Outcome::Passed => format!("FAILED — {}", first_error()),
        }
    };
    // The first error's message may quote what the drive said (a serial that changed).
    text::escape(&format!(
        "{} ({}): {verdict}",
        d.device.dev_path, d.device.id
    ))
    .into_owned()
}

/// The line for a disk that appeared while the run was under way.
pub fn appeared_line(d: &DiskIdentity) -> String {
    format!(
        "{} ({}): APPEARED DURING THE RUN — not sanitized",
        d.dev_path, d.id
    )
}

/// One line per self-test event; progress only when a drive's percentage moves, so that a slow
/// test does not flood a serial console.
pub fn self_test_printer(mut out: impl Write) -> impl FnMut(crate::flow::selftest::SelfTestEvent) {
    use crate::flow::selftest::SelfTestEvent;
    let mut last: HashMap<String, Option<u8>> = HashMap::new();
    move |event| {
        let line = match event {
            SelfTestEvent::Started { dev_path } => {
                format!("self-test {dev_path}: started (short)")
            }
            SelfTestEvent::Progress { dev_path, percent } => {
                if last.insert(dev_path.clone(), percent) == Some(percent) {
                    return;
                }
                match percent {
                    Some(p) => format!("self-test {dev_path}: {p} %"),
                    None => format!("self-test {dev_path}: running"),
                }
            }
            SelfTestEvent::Finished(o) => self_test_line(&o),
        };
        let _ = writeln!(out, "{}", text::escape(&line));
    }
}

/// What one drive's self-test gave, in one line.
pub fn self_test_line(o: &crate::flow::selftest::SelfTestOutcome) -> String {
    let line = match &o.result {
        Ok(r) if r.passed => format!(
            "self-test {}: PASSED ({}, {} s)",
            o.dev_path,
            r.result,
            r.duration_ms / 1000
        ),
        Ok(r) => format!(
            "self-test {}: FAILED ({}{}) — this disk will not be overwritten: destroy it",
            o.dev_path,
            r.result,
            r.failing_lba
                .map(|l| format!(", first failing LBA {l}"))
                .unwrap_or_default()
        ),
        Err(why) => format!("self-test {}: no result — {why}", o.dev_path),
    };
    text::escape(&line).into_owned()
}

/// A writer that escapes every control character but the line feed (and every bidirectional
/// override) on its way to `W`: for what the console prints outside the [`Transcript`] (the
/// closing lines after the screen).
pub struct Escaped<W: Write> {
    inner: W,
    escaper: StreamEscaper,
}

impl<W: Write> std::fmt::Debug for Escaped<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Escaped").finish_non_exhaustive()
    }
}

impl<W: Write> Escaped<W> {
    pub fn new(inner: W) -> Escaped<W> {
        Escaped {
            inner,
            escaper: StreamEscaper::new(),
        }
    }
}

impl<W: Write> Write for Escaped<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let safe = self.escaper.feed(buf);
        self.inner.write_all(safe.as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The exit code of a command that wiped: 0 all sanitized, 3 something not sanitized, 4
/// cancelled.
pub fn exit_code(status: RunStatus) -> ExitCode {
    match status {
        RunStatus::Sanitized => ExitCode::SUCCESS,
        RunStatus::NotSanitized => ExitCode::from(super::EXIT_CHECK_FAILED),
        RunStatus::Cancelled => ExitCode::from(super::EXIT_CANCELLED),
    }
}

/// Makes Ctrl-C and SIGTERM cancel the wipe: the workers stop at the next buffer, and the report
/// and certificate say `cancelled`. Call before the workers start.
pub fn cancel_on_interrupt(cancel: &crate::wipe::CancelToken) {
    let cancel = cancel.clone();
    crate::sys::signals::on_interrupt(move |sig| {
        eprintln!("reprise: {sig} received, cancelling (the report will say cancelled)");
        cancel.cancel();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shared buffer standing in for the operator's terminal.
    #[derive(Clone, Default)]
    struct Screen(Arc<Mutex<Vec<u8>>>);

    impl Write for Screen {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Whatever passes through the console's writers — even a control sequence cut between two
    /// writes — reaches the terminal and the log escaped; its own line feeds stay.
    #[test]
    fn the_consoles_writers_escape_every_control_but_the_line_feed() {
        let screen = Screen::default();
        let mut t = Transcript::new(Box::new(screen.clone()));
        let bytes = "disk \u{1b}[2J\u{7}\r\u{202e}ok\nnext\n".as_bytes();
        let (a, b) = bytes.split_at(7);
        t.write_all(a).unwrap();
        t.write_all(b).unwrap();
        let shown = String::from_utf8(screen.0.lock().unwrap().clone()).unwrap();
        assert_eq!(shown, "disk \\u{1b}[2J\\u{7}\\u{d}\\u{202e}ok\nnext\n");
        assert_eq!(
            t.lines(),
            ["disk \\u{1b}[2J\\u{7}\\u{d}\\u{202e}ok", "next"]
        );

        let mut e = Escaped::new(Vec::new());
        e.write_all(b"\x1b]0;title\x07line\n").unwrap();
        assert_eq!(e.inner, b"\\u{1b}]0;title\\u{7}line\n");
    }

    /// A disk's model or serial cannot break the confirmation's lines: each disk is one line.
    #[test]
    fn the_confirmation_names_each_disk_on_one_line() {
        let mut d = DiskIdentity::for_file("/dev/sdb", 1 << 30);
        d.model = Some("X\r\nALL DATA IS SAFE: type yes".into());
        let mut out = Vec::new();
        let yes = confirm(&mut out, &mut "no\n".as_bytes(), &[d], "zero").unwrap();
        assert!(!yes);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(
            text.contains("X\\u{d}\\u{a}ALL DATA IS SAFE: type yes"),
            "{text}"
        );
    }
}
