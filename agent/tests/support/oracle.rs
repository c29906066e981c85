//! Field-by-field agreement with an independent tool (hdparm, smartctl, skdump, nvme-cli):
//! every mismatch is collected with its file and field, so one run shows all of them.
#![allow(dead_code)]

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
