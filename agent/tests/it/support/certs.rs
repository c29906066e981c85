//! Shared helpers of the certificate and verdict tests: fixtures, the test key, inputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use reprise::cert::issue::IssueInputs;
use reprise::cert::model::Language;
use reprise::cert::sign;
use reprise::model::DiskId;
use reprise::probe::model::{DiskHealth, ProbeReport};
use reprise::verdict::Policy;
use reprise::wipe::report::WipeReport;

/// The fixture folder, from the agent's tests and from the end-to-end crate (`tests/`), which
/// includes this file too.
pub fn fixtures() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let agent = here.join("tests/fixtures/cert");
    if agent.is_dir() {
        agent
    } else {
        here.join("../agent/tests/fixtures/cert")
    }
}

pub fn read(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// The committed TEST key (public; never used outside tests).
pub fn test_key() -> SigningKey {
    sign::signing_key_from_pem(&read("key/test-station.key"), "test-station.key")
        .expect("test key parses")
}

pub fn probe() -> ProbeReport {
    serde_json::from_str(&read("probe-t480.json")).expect("probe fixture parses")
}

pub fn wipe(name: &str) -> WipeReport {
    serde_json::from_str(&read(name)).expect("wipe fixture parses")
}

pub fn good_health() -> BTreeMap<DiskId, DiskHealth> {
    serde_json::from_str(&read("health-good.json")).expect("health fixture parses")
}

/// Inputs with a fixed time, so certificates are deterministic.
pub fn inputs(wipe_fixture: &str, language: Language, issued_at: &str) -> IssueInputs {
    let (probe, wipe, health) = (probe(), wipe(wipe_fixture), good_health());
    let verdict = reprise::verdict::evaluate(&probe, &wipe, &health, &Policy::default());
    IssueInputs {
        probe,
        wipe,
        verdict,
        health,
        incidents: Vec::new(),
        organisation: Some("Reprise Atelier".into()),
        site: "Lycée Jean Moulin, Besançon".into(),
        operator: "Amina K.".into(),
        language,
        issued_at: Some(issued_at.into()),
        time: None,
        checks: None,
    }
}

/// Every `*.json` file name of `dir`, sorted.
pub fn json_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
        .collect();
    names.sort();
    names
}
