//! The real binary in a real terminal: `reprise demo` under tmux, driven by keys sent with
//! `send-keys` and read back with `capture-pane` — start, (select,) confirm, watch the wipe, read
//! the verdict off the screen — counting the keystrokes; `--auto` with none; resizing down to a
//! few cells and back while it runs. tmux is a test dependency (`scripts/deps` installs it), so
//! these tests are `#[ignore]`d for a plain `cargo test` (nothing to install) and run by
//! `scripts/test` (`--run-ignored all`): there, without tmux, they fail — never pass by skipping.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), so nothing else's sessions are touched.
struct Tmux {
    socket: String,
    session: String,
    dir: tempfile::TempDir,
    keystrokes: usize,
}

impl Tmux {
    fn start(args: &str, w: u16, h: u16) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let socket = format!(
            "reprise-test-{}-{}",
            std::process::id(),
            dir.path().file_name().unwrap().to_string_lossy()
        );
        let session = "demo".to_owned();
        let exe = env!("CARGO_BIN_EXE_reprise");
        let status_file = dir.path().join("status");
        let err_file = dir.path().join("transcript");
        // The demo's temporary folder goes inside the test's own.
        let cmd = format!(
            "TMPDIR={} {exe} demo {args} 2>{}; echo $? >{}; exec sh",
            dir.path().display(),
            err_file.display(),
            status_file.display()
        );
        let out = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                &session,
            ])
            .args(["-x", &w.to_string(), "-y", &h.to_string(), &cmd])
            .output()
            .expect("tmux must be installed (scripts/deps installs it)");
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmux {
            socket,
            session,
            dir,
            keystrokes: 0,
        }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.session])
    }

    /// One deliberate keystroke (tmux key name: Enter, F10, Tab, Space, Down...).
    fn key(&mut self, k: &str) {
        self.keystrokes += 1;
        self.tmux(&["send-keys", "-t", &self.session, k]);
        sleep(Duration::from_millis(300));
    }

    fn wait_for(&self, what: &[&str], timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if what.iter().all(|w| s.contains(w)) {
                return s;
            }
            assert!(
                start.elapsed() < timeout,
                "{what:?} never appeared on the screen; last screen:\n{s}\ntranscript:\n{}",
                self.transcript()
            );
            sleep(Duration::from_millis(50));
        }
    }

    fn transcript(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("transcript")).unwrap_or_default()
    }

    fn exit_status(&self, timeout: Duration) -> i32 {
        let path: PathBuf = self.dir.path().join("status");
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(s) = std::fs::read_to_string(&path)
                && !s.trim().is_empty()
            {
                return s.trim().parse().unwrap();
            }
            sleep(Duration::from_millis(100));
        }
        panic!("the demo did not end; screen:\n{}", self.screen());
    }

    fn certificates(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for d in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            let certs = d.path().join("data/certs");
            if let Ok(entries) = std::fs::read_dir(&certs) {
                out.extend(entries.flatten().map(|e| e.path()));
            }
        }
        out
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn verify(cert: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(["cert", "verify"])
        .arg(cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs tmux (scripts/deps installs it); scripts/test runs it"]
fn an_interactive_run_takes_three_keystrokes_from_the_first_screen_to_the_certificate() {
    let mut t = Tmux::start("--lang en --speed 60 --cooling 2", 80, 25);
    // Everything checked of a screen is waited for: tmux may show a screen half redrawn.
    t.wait_for(
        &[
            "This machine",
            "boot medium - never wiped",
            "nvme0n1",
            "sda",
        ],
        Duration::from_secs(30),
    );
    t.key("Enter");
    // Each disk named.
    t.wait_for(
        &[
            "ALL DATA WILL BE DESTROYED ON 2 DISK(S)",
            "37RSDEADBEEF",
            "W62A1B2C",
        ],
        Duration::from_secs(10),
    );
    t.key("F10");
    t.key("Enter");
    t.wait_for(
        &["Wiping 2 disk(s)", "pass 1/1", "MB/s"],
        Duration::from_secs(20),
    );
    t.wait_for(
        &[
            "REFURBISH",
            "Certificate",
            "nvme0n1: SANITIZED",
            "sda: SANITIZED",
            "replace battery BAT0",
        ],
        Duration::from_secs(120),
    );
    assert_eq!(t.keystrokes, 3, "first screen to certificate");
    let certs = t.certificates();
    assert_eq!(certs.len(), 1, "{certs:?}");
    verify(&certs[0]);
    t.key("Enter");
    assert_eq!(t.exit_status(Duration::from_secs(20)), 0);
    let transcript = t.transcript();
    for s in ["machine", "confirm", "wipe", "result"] {
        assert!(
            transcript.contains(&format!("reprise: screen {s}")),
            "{transcript}"
        );
    }
    let cert: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&certs[0]).unwrap()).unwrap();
    // The RAM test ran with the wipe: it tested memory, or — on a machine so loaded that the
    // wipe ended before one pattern went over the memory — it is recorded as not run, saying
    // so (never a check with 0 bytes).
    let checks = &cert["certificate"]["checks"];
    match checks["memory"]["bytes_tested"].as_u64() {
        Some(bytes) => assert!(bytes > 0, "a RAM check that tested nothing: {checks}"),
        None => assert!(
            checks["not_run"]
                .as_array()
                .is_some_and(|n| n.iter().any(|c| c["why"] == "wipe_ended")),
            "the RAM test is neither a check nor a check not run: {checks}"
        ),
    }
}

#[test]
#[ignore = "needs tmux (scripts/deps installs it); scripts/test runs it"]
fn the_end_is_the_operators_choice_written_for_init() {
    let dir = tempfile::tempdir().unwrap();
    let next = dir.path().join("next");
    let mut t = Tmux::start(
        &format!(
            "--lang fr --speed 60 --cooling 2 --choice-file {}",
            next.display()
        ),
        80,
        25,
    );
    t.wait_for(&["Cette machine"], Duration::from_secs(30));
    t.key("Enter");
    t.wait_for(&["F10"], Duration::from_secs(10));
    t.key("F10");
    t.key("Enter");
    let result = t.wait_for(
        &["RECONDITIONNER", "Terminer : éteindre ou redémarrer"],
        Duration::from_secs(120),
    );
    assert!(result.contains("nvme0n1: EFFACÉ"), "{result}");
    // Enter opens the end's dialog: power off under the cursor, then reboot; no shell listed.
    t.key("Enter");
    let end = t.wait_for(&["Fin du travail", "> Éteindre"], Duration::from_secs(10));
    assert!(
        end.contains("Redémarrer") && !end.contains("Shell"),
        "{end}"
    );
    // Esc goes back to the result, nothing chosen yet.
    t.key("Escape");
    t.wait_for(
        &["Terminer : éteindre ou redémarrer"],
        Duration::from_secs(10),
    );
    assert!(!t.screen().contains("Fin du travail"));
    assert!(!next.exists());
    t.key("Enter");
    t.wait_for(&["> Éteindre"], Duration::from_secs(10));
    t.key("Down");
    t.wait_for(&["> Redémarrer"], Duration::from_secs(10));
    t.key("Enter");
    // The exit status still says how the run went; the choice is init's to act on.
    assert_eq!(t.exit_status(Duration::from_secs(20)), 0);
    assert_eq!(std::fs::read_to_string(&next).unwrap(), "reboot\n");
    let transcript = t.transcript();
    for line in [
        "reprise: screen end",
        "reprise: end: reboot",
        "reprise: the operator chose: reboot",
    ] {
        assert!(transcript.contains(line), "{line:?} missing:\n{transcript}");
    }
    assert_eq!(t.keystrokes, 8, "three to the certificate, five at the end");
}

#[test]
#[ignore = "needs tmux (scripts/deps installs it); scripts/test runs it"]
fn selecting_one_disk_and_purge_runs_clear_on_it_alone_and_says_so() {
    let mut t = Tmux::start("--lang fr --speed 60", 100, 30);
    t.wait_for(&["Cette machine"], Duration::from_secs(30));
    t.key("Tab");
    t.key("Down");
    t.key("Space");
    t.key("Right");
    // The demo's disks are files: no drive firmware, the disk can only be cleared, and the
    // choosing screen and the confirmation say so before anything is written. (Everything
    // checked of a screen is waited for: tmux may show a screen half redrawn.)
    t.wait_for(
        &[
            "[x] nvme0n1",
            "[ ] sda",
            "(o) Purge",
            "nvme0n1  Clear: zero",
        ],
        Duration::from_secs(10),
    );
    t.key("Enter");
    t.wait_for(
        &[
            "SERONT DÉTRUITES SUR 1 DISQUE(S)",
            "Clear: zero",
            "aucun micrologiciel de disque accessible",
        ],
        Duration::from_secs(10),
    );
    t.key("F10");
    t.key("Enter");
    t.wait_for(
        &[
            "Résultat",
            "nvme0n1: EFFACÉ",
            "effacer le disque sata:W62A1B2C, ou le retirer",
            "Purge demandée : 1 disque(s) seulement en Clear",
        ],
        Duration::from_secs(120),
    );
    t.key("Enter");
    // Exit codes speak of the planned disks (`flow::status`): the one planned was sanitized;
    // the verdict and the certificate speak of the other.
    assert_eq!(t.exit_status(Duration::from_secs(20)), 0);
}

#[test]
#[ignore = "needs tmux (scripts/deps installs it); scripts/test runs it"]
fn demo_auto_runs_through_every_screen_without_a_key_and_exits_0() {
    let t = Tmux::start("--auto --lang en --speed 80", 120, 40);
    t.wait_for(&["This machine", "AUTOMATIC"], Duration::from_secs(30));
    t.wait_for(&["Wiping"], Duration::from_secs(30));
    t.wait_for(&["Result", "SANITIZED"], Duration::from_secs(120));
    assert_eq!(t.exit_status(Duration::from_secs(60)), 0);
    assert_eq!(t.keystrokes, 0);
    let transcript = t.transcript();
    for s in ["machine", "confirm", "wipe", "result"] {
        assert!(
            transcript.contains(&format!("reprise: screen {s}")),
            "{transcript}"
        );
    }
    verify(&t.certificates()[0]);
}

#[test]
#[ignore = "needs tmux (scripts/deps installs it); scripts/test runs it"]
fn a_panic_gives_the_terminal_back() {
    let t = Tmux::start("--lang en --panic-after-first-frame", 80, 25);
    let status = t.exit_status(Duration::from_secs(60));
    assert_ne!(status, 0, "it panicked on purpose");
    // Back in the shell of the pane: the terminal is in cooked mode again (echo, canonical).
    let stty = t.dir.path().join("stty");
    t.tmux(&[
        "send-keys",
        "-t",
        &t.session,
        &format!("stty -a > {}", stty.display()),
        "Enter",
    ]);
    let start = Instant::now();
    let mut modes = String::new();
    while !modes.contains("icanon") && start.elapsed() < Duration::from_secs(10) {
        sleep(Duration::from_millis(100));
        modes = std::fs::read_to_string(&stty).unwrap_or_default();
    }
    assert!(
        modes.contains(" icanon") && modes.contains(" echo"),
        "raw mode left on:\n{modes}"
    );
    assert!(
        t.transcript().contains("a panic on purpose"),
        "{}",
        t.transcript()
    );
}

#[test]
#[ignore = "needs tmux (scripts/deps installs it); scripts/test runs it"]
fn resizing_to_a_few_cells_and_back_never_crashes_and_q_quits() {
    let mut t = Tmux::start("--lang en --speed 20", 80, 25);
    t.wait_for(&["This machine"], Duration::from_secs(30));
    t.key("Enter");
    t.key("F10");
    t.key("Enter");
    t.wait_for(&["Wiping"], Duration::from_secs(20));
    for (w, h) in [(20, 5), (2, 2), (39, 11), (200, 60), (80, 25)] {
        t.tmux(&[
            "resize-window",
            "-t",
            &t.session,
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
        ]);
        sleep(Duration::from_millis(300));
    }
    t.wait_for(&["Wiping"], Duration::from_secs(10));
    t.key("q");
    // q cancels the wipe, waits for the workers, and leaves: cancelled is exit 4.
    assert_eq!(t.exit_status(Duration::from_secs(30)), 4);
    let transcript = t.transcript();
    assert!(
        transcript.contains("CANCELLED — not sanitized"),
        "the closing lines say it:\n{transcript}"
    );
    assert!(
        t.screen().contains("REFURBISH"),
        "the certificate's text closes the session"
    );
}

/// The operator's screen on a laptop whose SMBIOS product name and disk model carry control
/// sequences and a bidirectional override: the transcript (the serial console, the boot log),
/// the closing lines and the run's log carry them as visible escapes, never raw.
#[test]
#[ignore = "needs tmux (scripts/deps installs it); scripts/test runs it"]
fn the_screens_transcript_and_log_escape_what_the_laptop_said() {
    use crate::donor_strings::{assert_clean, hostile_laptop};
    let laptop = tempfile::tempdir().unwrap();
    let root = hostile_laptop(laptop.path());
    let t = Tmux::start(
        &format!("--auto --lang en --speed 80 --root {}", root.display()),
        120,
        40,
    );
    t.wait_for(&["Result", "SANITIZED"], Duration::from_secs(120));
    assert_eq!(t.exit_status(Duration::from_secs(60)), 0);
    // The closing lines hold the certificate as read back: the machine's name, escaped.
    assert_clean(
        "the transcript",
        &t.transcript(),
        &[
            "reprise: screen result",
            "T480\\u{1b}[2J\\u{7}\\u{d}SANITIZED",
        ],
    );
    let certs = t.certificates();
    let data = certs[0].parent().unwrap().parent().unwrap();
    let logs: Vec<PathBuf> = std::fs::read_dir(data.join("logs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with("-run.log"))
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_clean(
        "the run's log",
        &std::fs::read_to_string(&logs[0]).unwrap(),
        &["MZ-76E\\u{1b}]0;pwned\\u{7}\\u{d}FAKE-MODEL\\u{202e}x"],
    );
}

/// The demo's refurbishment records.
fn records(t: &Tmux) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in std::fs::read_dir(t.dir.path()).unwrap().flatten() {
        if let Ok(entries) = std::fs::read_dir(d.path().join("data/certs/refurbish")) {
            out.extend(entries.flatten().map(|e| e.path()));
        }
    }
    out
}

/// Automatic mode with an image named, in French: the install follows the wipe without a key,
/// its gauge (%, Mo/s) on screen, then the result says it installed and verified, with its
/// record. (The transcript stays in English.)
#[test]
#[ignore = "needs tmux (scripts/deps installs it); scripts/test runs it"]
fn an_automatic_run_installs_the_sticks_image_after_the_wipe_with_a_gauge() {
    let images = tempfile::tempdir().unwrap();
    let image = crate::support::devices::workshop_image(images.path(), "famille", 48);
    let t = Tmux::start(
        &format!(
            "--auto --lang fr --speed 20 --cooling 1 --deploy famille --images {}",
            images.path().display()
        ),
        80,
        25,
    );
    t.wait_for(&["Effacement"], Duration::from_secs(60));
    let s = t.wait_for(
        &[
            "Installation du système familial",
            "famille",
            "[>] écriture",
            " % ",
            "Mo/s",
        ],
        Duration::from_secs(180),
    );
    assert!(s.contains("ETA") || s.contains("Depuis    clé"), "{s}");
    t.wait_for(
        &["Résultat", "INSTALLÉ ET VÉRIFIÉ", "famille"],
        Duration::from_secs(180),
    );
    assert_eq!(t.exit_status(Duration::from_secs(60)), 0);
    assert_eq!(t.keystrokes, 0);
    let transcript = t.transcript();
    assert!(
        transcript.contains("reprise: screen install") && transcript.contains("Installed famille"),
        "{transcript}"
    );
    // Said once: the console after the screen does not install again.
    assert_eq!(
        transcript.matches("reprise: install famille").count(),
        1,
        "{transcript}"
    );
    let records = records(&t);
    assert_eq!(records.len(), 1, "one signed record");
    let v = reprise::cert::refurbish::verify(&std::fs::read(&records[0]).unwrap(), None).unwrap();
    assert_eq!(v.envelope.certificate.bytes_written, image.len() as u64);
    assert_eq!(v.envelope.certificate.read_back.result, "passed");
}

/// A tiny workshop server: its list (`GET /api/v1/images`) names `famille` and `mint`, and it
/// serves `famille`'s bytes — the first download cut halfway (the connection closed), the next
/// from the byte asked (`Range: bytes=N-`, 206); anything else is 404. Its address.
fn image_server(image: Vec<u8>) -> String {
    use sha2::Digest;
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let digest = hex::encode(sha2::Sha256::digest(&image));
    let list = format!(
        r#"{{"images": [
        {{"name": "famille", "version": "2.0", "sha256": "sha256:{digest}", "raw_size": {},
          "compression": "none", "url": "/api/v1/images/famille/2.0"}},
        {{"name": "mint", "version": "22", "sha256": "sha256:{}", "raw_size": 1000,
          "compression": "none", "url": "/api/v1/images/mint/22"}}]}}"#,
        image.len(),
        "00".repeat(32)
    );
    std::thread::spawn(move || {
        let mut downloads = 0;
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let mut from = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some(r) = h.to_ascii_lowercase().strip_prefix("range: bytes=") {
                    from = r.trim().trim_end_matches('-').parse().unwrap_or(0);
                }
            }
            let path = first.split_whitespace().nth(1).unwrap_or("").to_owned();
            let mut out = stream;
            let head = |status: &str, len: usize, extra: String| {
                format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {len}\r\n{extra}Connection: close\r\n\r\n"
                )
            };
            let _ = match path.as_str() {
                "/api/v1/images" => out
                    .write_all(head("200 OK", list.len(), String::new()).as_bytes())
                    .and_then(|()| out.write_all(list.as_bytes())),
                "/api/v1/images/famille/2.0" => {
                    downloads += 1;
                    let body = &image[from..];
                    let (status, extra) = if from == 0 {
                        ("200 OK", String::new())
                    } else {
                        let range = format!(
                            "Content-Range: bytes {from}-{}/{}\r\n",
                            image.len() - 1,
                            image.len()
                        );
                        ("206 Partial Content", range)
                    };
                    // The first download stops halfway: a dropped connection.
                    let sent = if downloads == 1 {
                        &body[..body.len() / 2]
                    } else {
                        body
                    };
                    out.write_all(head(status, body.len(), extra).as_bytes())
                        .and_then(|()| out.write_all(sent))
                }
                _ => out.write_all(head("404 Not Found", 0, String::new()).as_bytes()),
            };
        }
    });
    base
}

/// An interactive run with a workshop server and no image named: F9 on the result lists the
/// server's images, the operator picks one with the arrows and Enter, its download cut halfway
/// resumes, and it is installed and verified.
#[test]
#[ignore = "needs tmux (scripts/deps installs it); scripts/test runs it"]
fn the_operator_chooses_the_image_from_the_servers_list_and_it_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    let image = crate::support::devices::workshop_image(dir.path(), "famille", 8);
    let server = image_server(image);
    let mut t = Tmux::start(
        &format!("--lang en --speed 40 --cooling 1 --server {server}"),
        80,
        25,
    );
    t.wait_for(&["This machine", "Enter"], Duration::from_secs(30));
    t.key("Enter");
    t.wait_for(&["F10"], Duration::from_secs(30));
    t.key("F10");
    t.key("Enter");
    t.wait_for(
        &["Result", "F9 Install system", "Family system"],
        Duration::from_secs(180),
    );
    t.key("F9");
    t.wait_for(
        &["Install the family system", "> famille", "mint"],
        Duration::from_secs(60),
    );
    // Down then Up: the cursor comes back to famille.
    t.key("Down");
    t.wait_for(&["> mint"], Duration::from_secs(30));
    t.key("Up");
    t.wait_for(&["> famille"], Duration::from_secs(30));
    t.key("Enter");
    t.wait_for(
        &["Result", "INSTALLED AND VERIFIED", "famille 2.0"],
        Duration::from_secs(180),
    );
    let transcript = t.transcript();
    assert!(
        transcript.contains("reprise: the operator chose image famille 2.0")
            && transcript.contains("from the server")
            && transcript.contains("the download resumed after a dropped connection (1)"),
        "{transcript}"
    );
    assert_eq!(records(&t).len(), 1, "one signed record");
}
