//! The house rules of ARCHITECTURE.md, read from the code so that the house cannot bend
//! silently: imports point one way (`cli → tui → flow → {cert, verdict} → {wipe, probe,
//! checks} → sys → {parse, model}`), only `sys/` touches the OS, all `unsafe` lives in
//! `sys/ioctl.rs`, only the write guard opens a device for writing or makes a handle for
//! destructive firmware commands, and the tests' simulated drives stay out of the binary.
//!
//! The reading is textual (every `crate::MODULE` path in a file, outside comments and unit
//! tests), which is all these rules need: a module path cannot be written any other way.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Layer of each top-level module of the agent: a module may name only modules of a strictly
/// lower layer.
const LAYERS: &[(&str, u32)] = &[
    ("model", 0),
    ("parse", 0),
    ("sys", 1),
    ("probe", 2),
    ("wipe", 2),
    ("checks", 2),
    ("cert", 3),
    ("deploy", 3),
    ("verdict", 3),
    ("flow", 4),
    ("tui", 5),
    ("cli", 6),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file that ships: comments removed, unit tests (the trailing `#[cfg(test)]`
/// module, by convention the end of every file) cut off.
fn shipped_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let code = match text.find("\n#[cfg(test)]") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    code.lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string literal ("http://") is kept: count the quotes before it.
            Some(i) if l[..i].matches('"').count() % 2 == 0 => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Top-level module of a source file ("probe" for src/probe/disks.rs); `None` for the crate
/// root files (lib.rs, main.rs), which sit above every layer.
fn module_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src()).unwrap();
    let mut comps = rel.components();
    let first = comps.next()?.as_os_str().to_string_lossy().into_owned();
    if comps.next().is_none() {
        let stem = first.trim_end_matches(".rs");
        return (stem != "lib" && stem != "main").then(|| stem.to_owned());
    }
    Some(first)
}

fn layer(module: &str) -> u32 {
    LAYERS
        .iter()
        .find(|(m, _)| *m == module)
        .unwrap_or_else(|| panic!("module {module} has no layer in this test: add it"))
        .1
}

/// Every top-level module a file names through `crate::`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // use crate::{a::x, b};
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out
}

#[test]
fn imports_point_one_way() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut violations = Vec::new();
    for f in &files {
        let Some(own) = module_of(f) else { continue };
        let code = shipped_code(f);
        for m in named_modules(&code) {
            if m == own {
                continue;
            }
            if !LAYERS.iter().any(|(name, _)| *name == m) {
                violations.push(format!(
                    "{}: names crate::{m}, which is no layer (crate-root items belong in model)",
                    f.display()
                ));
                continue;
            }
            if layer(&m) >= layer(&own) {
                violations.push(format!(
                    "{}: {own} (layer {}) names {m} (layer {}): an arrow that runs up or sideways",
                    f.display(),
                    layer(&own),
                    layer(&m)
                ));
            }
        }
    }
    assert!(violations.is_empty(), "\n{}", violations.join("\n"));
}

#[test]
fn only_sys_touches_the_os() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let forbidden = [
        "std::fs",
        "std::net",
        "std::process::Command",
        "std::os::unix::fs",
        "File::open",
        "OpenOptions",
        "libc::open",
        "nix::fcntl",
        "nix::sys::",
        "nix::unistd",
        "nix::ioctl",
    ];
    let mut violations = Vec::new();
    for f in &files {
        if module_of(f).as_deref() == Some("sys") {
            continue;
        }
        let code = shipped_code(f);
        for word in forbidden {
            if code.contains(word) {
                violations.push(format!("{}: uses {word} outside sys/", f.display()));
            }
        }
    }
    assert!(violations.is_empty(), "\n{}", violations.join("\n"));
}

/// What reads the clocks, the OS's randomness or the environment, or makes a thread wait: only
/// `sys`, so that time and chance are parameters everywhere else (a test gives a virtual clock
/// and a seed) and the list of environment variables the agent heeds is one module.
const SYS_ONLY: &[&str] = &[
    "Instant::now",
    "SystemTime",
    "OffsetDateTime::now",
    "getrandom",
    "thread::sleep",
    "std::env",
];

/// The places outside `sys` allowed one of [`SYS_ONLY`], and why.
const SYS_ONLY_EXCEPTIONS: &[(&str, &str, &str)] = &[];

#[test]
fn clocks_randomness_and_the_environment_come_from_sys() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut violations = Vec::new();
    for f in &files {
        if module_of(f).as_deref() == Some("sys") {
            continue;
        }
        let rel = f
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let code = shipped_code(f);
        for word in SYS_ONLY {
            let excepted = SYS_ONLY_EXCEPTIONS
                .iter()
                .any(|(file, w, _why)| *file == rel && w == word);
            if code.contains(word) && !excepted {
                violations.push(format!("src/{rel}: uses {word} outside sys/"));
            }
        }
    }
    // An exception that no longer applies is removed, not kept as a licence.
    for (file, word, why) in SYS_ONLY_EXCEPTIONS {
        assert!(!why.is_empty(), "src/{file}: an exception says why");
        let code = shipped_code(&src().join(file));
        assert!(
            code.contains(word),
            "src/{file} no longer uses {word}: drop its exception"
        );
    }
    assert!(violations.is_empty(), "\n{}", violations.join("\n"));
}

#[test]
fn all_unsafe_lives_in_the_ioctl_module() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let ioctl = src().join("sys/ioctl.rs");
    for f in &files {
        let code = shipped_code(f);
        let has_unsafe = code.contains("unsafe {") || code.contains("unsafe fn");
        let allows = code.contains("allow(unsafe_code)");
        if *f == ioctl {
            assert!(allows && has_unsafe, "sys/ioctl.rs holds the ioctls");
        } else {
            assert!(!has_unsafe, "{}: unsafe outside sys/ioctl.rs", f.display());
            assert!(!allows, "{}: allows unsafe_code", f.display());
        }
    }
}

#[test]
fn only_the_write_guard_opens_a_device_for_writing() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let callers: Vec<String> = files
        .iter()
        .filter(|f| {
            let code = shipped_code(f);
            code.contains("open_read_write(") && !code.contains("pub fn open_read_write(")
        })
        .map(|f| {
            f.strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(callers, ["wipe/guard.rs"]);
    // The drive's destructive firmware commands: only through a handle the guard made from
    // the device it opened (`sys::passthrough::firmware_handle`).
    let firmware: Vec<String> = files
        .iter()
        .filter(|f| {
            let code = shipped_code(f);
            code.contains("firmware_handle(") && !code.contains("pub fn firmware_handle(")
        })
        .map(|f| {
            f.strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(firmware, ["wipe/guard.rs"]);
    // And nothing else in the agent opens a file with write access (kernel attributes are
    // written by sys/attr.rs: capacity rescan, suspend).
    for f in &files {
        let code = shipped_code(f);
        let rel = f.strip_prefix(src()).unwrap();
        if code.contains(".write(true)") {
            assert!(
                ["sys/blockdev.rs", "sys/atomic.rs", "sys/attr.rs"]
                    .contains(&rel.to_str().unwrap()),
                "{}: opens a file for writing",
                rel.display()
            );
        }
    }
}

/// One path from a validated plan to the devices: outside `wipe/`, nothing opens a planned
/// device or runs a wipe except through `wipe::open_plan` and `wipe::run_plan`, so no caller
/// can skip a disk's planned technique.
#[test]
fn the_plan_reaches_the_devices_one_way() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    for f in &files {
        let rel = f
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.starts_with("wipe/") {
            continue;
        }
        let code = shipped_code(f);
        for call in [
            "open_for_write(",
            "open_firmware(",
            "wipe_device(",
            "overwrite_planned(",
            "firmware::sanitize(",
        ] {
            assert!(
                !code.contains(call),
                "{rel}: calls {call} — a plan reaches its devices only through wipe::open_plan \
                 and wipe::run_plan"
            );
        }
    }
}

/// The what-if records of a successful sanitization (`wipe::as_if_sanitized` and the pieces it
/// is made of) exist for the forecast of the first screen alone: outside `wipe/`, only
/// `flow::expect` makes them, and it hands them to the verdict and nowhere else — never to a
/// report, a certificate or a result on screen.
#[test]
fn what_if_records_stay_in_the_forecast() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let makers: Vec<String> = files
        .iter()
        .filter(|f| !f.strip_prefix(src()).unwrap().starts_with("wipe"))
        .filter(|f| shipped_code(f).contains("as_if_"))
        .map(|f| {
            f.strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(makers, ["flow/expect.rs"]);
    let expect = shipped_code(&src().join("flow/expect.rs"));
    let public: Vec<&str> = expect
        .lines()
        .filter(|l| l.trim_start().starts_with("pub "))
        .collect();
    assert_eq!(
        public,
        ["pub fn expected_verdict("],
        "flow::expect gives out the verdict only"
    );
    assert!(expect.contains(") -> Verdict {"));
}

/// The simulated drives (`reprise-sim`, in `sim/`) are for the tests: the agent takes them as a
/// dev-dependency only, and no file of its library or binary names them, so none of their code
/// can reach the `reprise` binary.
#[test]
fn the_simulated_drives_stay_out_of_the_binary() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // A dependency table names the crate by its key, or by `package` or `path` when renamed.
    let names_sim = |deps: Option<&toml::Value>| {
        deps.and_then(toml::Value::as_table).is_some_and(|deps| {
            deps.iter().any(|(key, dep)| {
                key == "reprise-sim"
                    || ["package", "path"].iter().any(|field| {
                        dep.get(field)
                            .and_then(toml::Value::as_str)
                            .is_some_and(|v| v == "reprise-sim" || v.ends_with("/sim"))
                    })
            })
        })
    };
    assert!(
        names_sim(manifest.get("dev-dependencies")),
        "the tests use it"
    );
    let mut tables = vec![("", &manifest)];
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        for (name, target) in targets {
            tables.extend(target.as_table().map(|t| (name.as_str(), t)));
        }
    }
    for (target, table) in tables {
        for kind in ["dependencies", "build-dependencies"] {
            assert!(
                !names_sim(table.get(kind)),
                "agent/Cargo.toml: reprise-sim in {target} [{kind}]: the simulated drives would \
                 ship in the binary; they are a dev-dependency only"
            );
        }
    }
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            !text.contains("reprise_sim"),
            "{}: names reprise_sim; the library and the binary never use the simulated drives",
            f.display()
        );
    }
}

/// The reader itself: what it must see, and what it must not.
#[test]
fn the_reading_is_right() {
    let code = "use crate::{probe::model::Disk, sys};\nlet x = crate::wipe::run();\n";
    let named: Vec<_> = named_modules(code).into_iter().collect();
    assert_eq!(named, ["probe", "sys", "wipe"]);
    assert_eq!(
        module_of(&src().join("probe/disks.rs")).as_deref(),
        Some("probe")
    );
    assert_eq!(module_of(&src().join("lib.rs")), None);
    assert_eq!(
        module_of(&src().join("flow/mod.rs")).as_deref(),
        Some("flow")
    );
}
