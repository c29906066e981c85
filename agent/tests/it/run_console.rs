//! `reprise run` on the line console, as a workshop's serial console or a script sees it: the
//! settings read from the kernel command line and the data folder's `reprise.conf` (and the
//! agent's flags over both), the operator's "yes", each disk's result, the certificate read back,
//! the run's log, the exit code — over a recorded laptop, whose block devices the write guard
//! refuses (a test tree is never the real machine), so every disk ends `FAILED` and nothing of
//! this machine is touched.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::cli::reprise_typing;

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/probe/demo-laptop"
);

/// A copy of the demo laptop whose kernel command line is `cmdline`.
fn laptop(dir: &Path, cmdline: &str) -> PathBuf {
    let root = dir.join("laptop");
    let copied = Command::new("cp")
        .args(["-a", DEMO])
        .arg(&root)
        .status()
        .unwrap();
    assert!(copied.success());
    std::fs::write(root.join("proc/cmdline"), cmdline).unwrap();
    root
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The only certificate of a data folder, as JSON.
fn certificate(data: &Path) -> serde_json::Value {
    let certs: Vec<_> = std::fs::read_dir(data.join("certs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(certs.len(), 1, "{certs:?}");
    serde_json::from_slice(&std::fs::read(&certs[0]).unwrap()).unwrap()
}

#[test]
fn the_console_asks_wipes_signs_reads_back_and_keeps_the_runs_log() {
    let dir = tempfile::tempdir().unwrap();
    let root = laptop(
        dir.path(),
        "BOOT_IMAGE=/boot/vmlinuz quiet \"reprise.site=Collège Jean Moulin\" reprise.lang=en",
    );
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    // The stick's settings: the kernel command line wins over them, the agent's flags over both.
    std::fs::write(
        data.join("reprise.conf"),
        "# the workshop's stick\r\nreprise.operator=Camille\r\nreprise.site=Stick\r\nreprise.lang=fr\r\n",
    )
    .unwrap();
    let (root, data_arg) = (root.to_str().unwrap(), data.to_str().unwrap());
    let out = reprise_typing(
        &[
            "run", "--no-tui", "--root", root, "--data", data_arg, "--org", "Atelier",
        ],
        "yes\n",
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("About to sanitize 2 disk(s)"), "{stdout}");
    assert!(stdout.contains("Type yes to go on:"), "{stdout}");
    // The guard refuses a block device of a test tree: each disk says so, none is sanitized.
    assert_eq!(stdout.matches(": FAILED — ").count(), 2, "{stdout}");
    assert!(stdout.contains("Certificate: "), "{stdout}");
    // The certificate as read back: rendered after it verified.
    assert!(stdout.contains("sha256:"), "{stdout}");

    let c = certificate(&data);
    let issuer = &c["certificate"]["issuer"];
    assert_eq!(issuer["operator"], "Camille");
    assert_eq!(issuer["site"], "Collège Jean Moulin");
    assert_eq!(issuer["organisation"], "Atelier");
    assert_eq!(c["certificate"]["language"], "en");

    // The run's log holds what the operator saw.
    let logs: Vec<PathBuf> = std::fs::read_dir(data.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("-run.log"))
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let log = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(log.contains("About to sanitize 2 disk(s)"), "{log}");
    assert!(log.contains("Certificate: "), "{log}");
}

#[test]
fn a_no_writes_nothing_and_leaves_no_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = reprise_typing(
        &[
            "run",
            "--no-tui",
            "--root",
            DEMO,
            "--data",
            data.to_str().unwrap(),
        ],
        "no\n",
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Nothing was written."));
    assert!(!data.join("certs").exists());
}

#[test]
fn automatic_mode_with_no_home_for_the_certificate_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = laptop(dir.path(), "BOOT_IMAGE=/boot/vmlinuz reprise.auto=clear");
    let data = dir.path().join("data");
    let out = reprise_typing(
        &[
            "run",
            "--no-tui",
            "--root",
            root.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ],
        "",
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    // The recorded laptop booted from its stick, whose data partition is not this folder.
    assert!(
        stdout.contains("NOTHING WAS WRITTEN: the stick's data partition sdb3 is not mounted on ")
            && stdout.contains(", and no workshop server is configured."),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).contains("automatic mode cannot start"),
        "{}",
        text(&out.stderr)
    );
    assert!(!data.join("certs").exists());
}

#[test]
fn settings_are_printed_for_init_and_a_bad_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = laptop(
        dir.path(),
        "BOOT_IMAGE=/boot/vmlinuz reprise.lang=fr reprise.server=http://10.0.2.2:8080 reprise.enroll=s3cret",
    );
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("reprise.conf"),
        "reprise.poweroff=1\nreprise.auto=purge\n",
    )
    .unwrap();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a = vec![
            "settings".to_owned(),
            "--root".to_owned(),
            root.display().to_string(),
            "--data".to_owned(),
            data.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let a = args(&[]);
    let out = reprise_typing(&a.iter().map(String::as_str).collect::<Vec<_>>(), "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "lang=fr\nkeymap=fr\nauto=purge\npoweroff=1\noperator=unknown\nsite=unknown\n\
         server=http://10.0.2.2:8080\nenroll=given\n"
    );

    std::fs::write(data.join("reprise.conf"), "reprise.auto=wipe\n").unwrap();
    let out = reprise_typing(&a.iter().map(String::as_str).collect::<Vec<_>>(), "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("reprise.conf: reprise.auto=wipe: expected clear or purge"),
        "{}",
        text(&out.stderr)
    );
}

/// A stick whose logs cannot be written (here `logs` is a file, not a folder): the probe and
/// wipe logs fail, and the certificate is written all the same, saying so in its language; the
/// run's log fails too, which the operator is told, and the run ends as its disks say.
#[test]
fn a_log_that_cannot_be_written_never_keeps_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let root = laptop(dir.path(), "BOOT_IMAGE=/boot/vmlinuz reprise.lang=fr");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("logs"), "not a folder").unwrap();
    let out = reprise_typing(
        &[
            "run",
            "--no-tui",
            "--root",
            root.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ],
        "yes\n",
    );
    let stdout = text(&out.stdout);
    // The guard refuses a test tree's block devices: not sanitized (3), not an error (1).
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("The run's log could not be written: "),
        "{stdout}"
    );
    let c = certificate(&data);
    let incidents = c["certificate"]["incidents"].as_array().unwrap();
    let files: Vec<&str> = incidents
        .iter()
        .map(|i| {
            assert_eq!(i["key"], "log_not_written", "{i}");
            i["file"].as_str().unwrap()
        })
        .collect();
    assert_eq!(files.len(), 2, "{incidents:?}");
    assert!(files[0].ends_with("-probe.json") && files[1].ends_with("-wipe.json"));
    assert!(
        incidents[0]["message"]
            .as_str()
            .unwrap()
            .contains("n'a pas pu être conservé"),
        "{incidents:?}"
    );
    // Read back and verified like any other: the operator saw it.
    assert!(stdout.contains("Incidents"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(data.join("logs")).unwrap(),
        "not a folder"
    );
}

/// A copy of the demo laptop without its NVMe and SATA disks (as an Intel RST or VMD laptop
/// shows itself without the right driver): only the Reprise stick is left.
fn diskless_laptop(dir: &Path, cmdline: &str) -> PathBuf {
    let root = laptop(dir, cmdline);
    for disk in ["nvme0n1", "sda"] {
        std::fs::remove_file(root.join("sys/block").join(disk)).unwrap();
    }
    root
}

/// No internal storage found: nothing is written and no certificate is signed, unless the
/// operator types that the laptop has no disk — which the certificate then records, and which
/// sends the laptop to be fitted with a new disk.
#[test]
fn no_internal_storage_stops_the_run_unless_the_operator_states_there_is_no_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = diskless_laptop(dir.path(), "BOOT_IMAGE=/boot/vmlinuz reprise.lang=en");
    let data = dir.path().join("data");
    let args = [
        "run",
        "--no-tui",
        "--root",
        root.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ];
    let out = reprise_typing(&args, "\n");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    for line in [
        "NO INTERNAL STORAGE FOUND: nothing is written, no certificate is signed.",
        "No controller seems to hide one: check that the laptop has a disk and that it is connected.",
        "Nothing was written.",
    ] {
        assert!(stdout.contains(line), "{line:?} not in:\n{stdout}");
    }
    assert!(!data.join("certs").exists());

    let out = reprise_typing(&args, "no disk\n");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("The operator states that this laptop has no disk."));
    let c = certificate(&data);
    let body = &c["certificate"];
    assert_eq!(body["checks"]["no_disk_stated"], true, "{body:#}");
    let verdict = &body["verdict"];
    let reasons: Vec<&str> = verdict["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"no_disk"), "{verdict:#}");
    assert!(
        !reasons.contains(&"no_internal_storage_found"),
        "{verdict:#}"
    );
    assert!(
        stdout.contains("Operator's statement  this laptop has no disk"),
        "{stdout}"
    );
}

/// In automatic mode nobody is there to state anything: the run stops, writes nothing, and ends
/// with the status of a check that failed (init then leaves the laptop on, its reason on screen).
#[test]
fn automatic_mode_with_no_internal_storage_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = diskless_laptop(dir.path(), "BOOT_IMAGE=/boot/vmlinuz reprise.auto=clear");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    // The stick's data partition is this folder: a home for certificates, so the run is ready.
    let mounts = std::fs::read_to_string(root.join("proc/self/mountinfo")).unwrap();
    std::fs::write(
        root.join("proc/self/mountinfo"),
        mounts.replace("/run/reprise/data", data.to_str().unwrap()),
    )
    .unwrap();
    let out = reprise_typing(
        &[
            "run",
            "--no-tui",
            "--root",
            root.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ],
        "",
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("NO INTERNAL STORAGE FOUND: nothing is written, no certificate is signed."),
        "{stdout}"
    );
    assert!(!data.join("certs").exists());
}

/// An https:// server is refused before anything is written, naming the setting: on the
/// agent's command line, on the kernel command line, in the stick's reprise.conf.
#[test]
fn an_https_server_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = reprise_typing(
        &[
            "run",
            "--no-tui",
            "--root",
            DEMO,
            "--data",
            data.to_str().unwrap(),
            "--server",
            "https://collector.lan",
        ],
        "yes\n",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--server")
            && text(&out.stderr).contains("https:// is not supported"),
        "{}",
        text(&out.stderr)
    );
    let root = laptop(
        dir.path(),
        "BOOT_IMAGE=/boot/vmlinuz reprise.auto=clear reprise.server=https://collector.lan",
    );
    let out = reprise_typing(
        &[
            "run",
            "--no-tui",
            "--root",
            root.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains(
            "the kernel command line: reprise.server=https://collector.lan: https:// is not supported"
        ),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stdout).contains("About to sanitize"));
    assert!(!data.exists(), "something was written");
}

/// Automatic mode on the console with a workshop server and no stick: the server's signed
/// answer is its durable home and dates the certificate; its key is pinned on the data folder
/// at this first answer, and the run's log says so; the upload is acknowledged by its digest.
#[test]
fn automatic_mode_with_a_workshop_server_dates_the_certificate_by_its_answer() {
    use crate::support::workshop::{self, Workshop};
    let w = Workshop::start("2031-03-01T12:00:00.000Z");
    let dir = tempfile::tempdir().unwrap();
    let root = laptop(
        dir.path(),
        &format!(
            "BOOT_IMAGE=/boot/vmlinuz reprise.auto=clear reprise.lang=en reprise.server={}",
            w.url()
        ),
    );
    let data = dir.path().join("data");
    let out = reprise_typing(
        &[
            "run",
            "--no-tui",
            "--root",
            root.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ],
        "",
    );
    let stdout = text(&out.stdout);
    // The recorded laptop's disks are refused by the write guard: not sanitized (3), but
    // certified — the run was allowed to go.
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let c = certificate(&data);
    let c = &c["certificate"];
    assert_eq!(c["time"]["source"], "server", "{}", c["time"]);
    assert!(
        c["issued_at"]
            .as_str()
            .unwrap()
            .starts_with("2031-03-01T12:0"),
        "{}",
        c["issued_at"]
    );
    let id = workshop::key_id(&workshop::server_key());
    let pin = std::fs::read_to_string(data.join("keys/server-key")).unwrap();
    assert!(pin.starts_with(&id), "{pin}");
    let logs: Vec<PathBuf> = std::fs::read_dir(data.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("-run.log"))
        .collect();
    let log = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(
        log.contains("now pinned on the stick at its first answer (trust on first use)")
            && log.contains(&id),
        "{log}"
    );
    assert!(
        log.contains("Time of the certificate: 2031-03-01T12:0")
            && log.contains("the workshop server's"),
        "{log}"
    );
    // Uploaded, and acknowledged by its digest.
    let receipts: Vec<_> = std::fs::read_dir(data.join("uploads")).unwrap().collect();
    assert_eq!(receipts.len(), 1);
}

#[test]
fn the_console_ends_with_the_operators_choice_for_init() {
    let dir = tempfile::tempdir().unwrap();
    let root = laptop(dir.path(), "BOOT_IMAGE=/boot/vmlinuz quiet reprise.lang=en");
    let root = root.to_str().unwrap();
    let run = |name: &str, typed: &str| {
        let data = dir.path().join(format!("data-{name}"));
        let next = dir.path().join(format!("next-{name}"));
        let out = reprise_typing(
            &[
                "run",
                "--no-tui",
                "--root",
                root,
                "--data",
                data.to_str().unwrap(),
                "--choice-file",
                next.to_str().unwrap(),
            ],
            typed,
        );
        let choice = std::fs::read_to_string(&next).ok();
        (out, choice)
    };
    // Enter: power off, the default. The exit status still says how the run went (the test
    // tree's disks are refused: 3).
    let (out, choice) = run("enter", "yes\n\n");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert_eq!(choice.as_deref(), Some("poweroff\n"), "{stdout}");
    let question = "End of the run / Fin : Enter = power off / éteindre, r = reboot / redémarrer: ";
    assert!(stdout.contains(question), "{stdout}");
    // The shell is on no line unless the boot says reprise.shell=1.
    assert!(!stdout.contains("shell"), "{stdout}");
    assert!(
        stdout.contains("reprise: the operator chose: poweroff"),
        "{stdout}"
    );
    // A word it does not know asks again; r reboots.
    let (out, choice) = run("reboot", "yes\nmaybe\nr\n");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Not understood / Pas compris : maybe"),
        "{stdout}"
    );
    assert_eq!(stdout.matches(question).count(), 2, "{stdout}");
    assert_eq!(choice.as_deref(), Some("reboot\n"), "{stdout}");
    // "shell", documented and on no line, is the maintenance shell.
    let (_, choice) = run("shell", "yes\nshell\n");
    assert_eq!(choice.as_deref(), Some("shell\n"));
    // No answer (the input ended): nothing written, init asks on its own prompt.
    let (out, choice) = run("eof", "yes\n");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(choice, None, "{}", text(&out.stdout));
    // Declined: the run ends before its last step, and init asks.
    let (out, choice) = run("declined", "no\n");
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(choice, None);
}

#[test]
fn with_reprise_shell_1_the_console_lists_the_maintenance_shell() {
    let dir = tempfile::tempdir().unwrap();
    let root = laptop(
        dir.path(),
        "BOOT_IMAGE=/boot/vmlinuz quiet reprise.lang=en reprise.shell=1",
    );
    let data = dir.path().join("data");
    let next = dir.path().join("next");
    let args = [
        "run",
        "--no-tui",
        "--root",
        root.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--choice-file",
        next.to_str().unwrap(),
    ];
    let out = reprise_typing(&args, "yes\nshell\n");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(", shell = maintenance shell / shell de maintenance: "),
        "{stdout}"
    );
    assert_eq!(std::fs::read_to_string(&next).unwrap(), "shell\n");
    // reprise settings says it, for init.
    let settings = crate::support::cli::reprise_typing(
        &[
            "settings",
            "--root",
            root.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ],
        "",
    );
    assert!(
        text(&settings.stdout).contains("shell=1"),
        "{}",
        text(&settings.stdout)
    );
}
