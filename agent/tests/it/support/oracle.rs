//! Field-by-field agreement with an independent tool (hdparm, smartctl, skdump, nvme-cli):
//! every mismatch is collected with its file and field, so one run shows all of them.

/// Collects mismatches as "file: field: ours X oracle Y".
#[derive(Default)]
pub struct Check {
    pub failures: Vec<String>,
    pub compared: usize,
}

impl Check {
    pub fn eq<T: PartialEq + std::fmt::Debug>(
        &mut self,
        file: &str,
        field: &str,
        ours: T,
        oracle: T,
    ) {
        self.compared += 1;
        if ours != oracle {
            self.failures
                .push(format!("{file}: {field}: ours {ours:?} oracle {oracle:?}"));
        }
    }

    /// Same, with the oracle's value first.
    pub fn eqo<T: PartialEq + std::fmt::Debug>(
        &mut self,
        file: &str,
        field: &str,
        oracle: T,
        ours: T,
    ) {
        self.eq(file, field, ours, oracle)
    }

    /// Fails on any mismatch, and when fewer than `minimum` fields were compared (a run that
    /// compared nothing agrees with everything).
    pub fn done(self, minimum: usize) {
        assert!(
            self.failures.is_empty(),
            "{} mismatches:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(
            self.compared >= minimum,
            "only {} fields compared",
            self.compared
        );
    }
}

/// The inputs of a differential test over random data: the directory named by `env_var` when it
/// is set (made outside, see fuzz/differential/README.md), else one made here by
/// `fuzz/differential/<script>` (200 inputs, seed 20261201), in which `decode(dir, file name)`
/// then runs the oracle over every file the script wrote. The temporary directory, when there
/// is one, comes back too: the files live as long as it does.
pub fn random_inputs(
    env_var: &str,
    script: &str,
    decode: impl Fn(&std::path::Path, &str),
) -> (Option<tempfile::TempDir>, std::path::PathBuf) {
    if let Some(d) = std::env::var_os(env_var) {
        return (None, d.into());
    }
    let generated = tempfile::tempdir().unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/differential")
        .join(script);
    let ok = std::process::Command::new("python3")
        .arg(&script)
        .arg(generated.path())
        .args(["200", "20261201"])
        .status()
        .expect("python3 (scripts/deps installs it)")
        .success();
    assert!(ok, "{} failed", script.display());
    for e in std::fs::read_dir(generated.path()).unwrap() {
        decode(generated.path(), &e.unwrap().file_name().to_string_lossy());
    }
    let dir = generated.path().to_path_buf();
    (Some(generated), dir)
}
