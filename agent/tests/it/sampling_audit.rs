//! An auditor can recompute the sample: from a certificate alone, an independent Python
//! implementation of `wipe/SAMPLING.md` lists exactly the blocks the agent read back — for
//! devices of several sizes, 512- and 4096-byte sectors, and several requested shares.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;

use reprise::cert::issue::{IssueInputs, issue_certificate};
use reprise::model::Language;
use reprise::verdict::Policy;
use reprise::wipe::report::{SCHEMA_VERSION, WipeReport};
use reprise::wipe::sample::plan_sample;
use reprise::wipe::{CancelToken, Tuning, VerifySpec, WipeJob, wipe_device};
use reprise_sim::device::FakeDevice;

use crate::support::certs;
use crate::support::devices;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sampling/reprise_sample.py")
}

#[test]
fn the_python_sampler_lists_the_blocks_the_agent_read() {
    assert!(
        Command::new("python3").arg("--version").output().is_ok(),
        "this test needs python3 (Debian package python3)"
    );
    let dir = tempfile::tempdir().unwrap();
    let key = certs::test_key();
    let cases = [
        (
            3 * (1 << 20) + 7 * 512,
            512u32,
            100u32,
            0x0123_4567_89ab_cdefu64,
        ),
        (1 << 20, 4096, 1, 42),
        (2000 * 512, 512, 1000, u64::MAX),
        (5 * 512, 512, 250, 9),
        (777 * 4096, 4096, 333, 1 << 63),
    ];
    for (i, (len, sector, permille, seed)) in cases.into_iter().enumerate() {
        let path = PathBuf::from(format!("/dev/sample{i}"));
        let plan = devices::file_plan(
            std::slice::from_ref(&path),
            len as u64,
            "zero",
            VerifySpec::Sample { permille },
        );
        let mut job = WipeJob::new(&plan, &plan.devices()[0]);
        job.seed = Some(seed);
        job.tuning = Tuning {
            buffer_bytes: 1 << 20,
            ..Tuning::default()
        };
        let mut dev = FakeDevice::new(&path, len, sector);
        let (tx, _rx) = mpsc::channel();
        let d = wipe_device(&mut dev, job, &tx, &CancelToken::new());
        assert!(d.is_sanitized(), "{:?}", d.errors);
        let wipe = WipeReport {
            schema_version: SCHEMA_VERSION,
            tool: "reprise test".into(),
            image_digest: None,
            requested_level: None,
            devices: vec![d.clone()],
        };
        let probe = certs::probe();
        let verdict =
            reprise::verdict::evaluate(&probe, &wipe, &BTreeMap::new(), &Policy::default());
        let out_dir = dir.path().join(format!("certs{i}"));
        std::fs::create_dir(&out_dir).unwrap();
        let cert = issue_certificate(
            IssueInputs {
                probe,
                wipe,
                verdict,
                health: BTreeMap::new(),
                incidents: Vec::new(),
                organisation: None,
                site: "audit".into(),
                operator: "audit".into(),
                language: Language::En,
                issued_at: Some("2026-12-01T00:00:00.000Z".into()),
                time: None,
                checks: None,
            },
            &key,
            &out_dir,
        )
        .unwrap();
        let out = Command::new("python3")
            .arg(script())
            .arg(&cert)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let listed: Vec<(u64, u64)> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let (a, b) = l.split_once(' ').unwrap();
                (a.parse().unwrap(), b.parse().unwrap())
            })
            .collect();
        let total = (len as u64).div_ceil(u64::from(sector));
        let agent: Vec<(u64, u64)> = plan_sample(total, sector, permille, seed)
            .blocks
            .iter()
            .map(|b| (b.lba, b.sectors))
            .collect();
        assert_eq!(listed, agent, "case {i}");
        assert_eq!(
            listed.len() as u64,
            d.verification.blocks_checked,
            "case {i}"
        );
        assert_eq!(d.verification.total_sectors, total);
        assert_eq!(d.verification.requested_permille, permille);
    }
}
