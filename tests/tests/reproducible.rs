//! Two builds of the image from the same inputs give byte-identical outputs
//! (`scripts/build-image --check-reproducible` builds twice in scratch directories).

use std::process::Command;

use anyhow::{Context, Result, ensure};
use reprise_e2e::{outputs, repo_root};

#[test]
fn two_builds_give_identical_digests() -> Result<()> {
    outputs()?; // the build machine is set up (dependencies, cached packages, agent)
    let out = Command::new(repo_root().join("scripts/build-image"))
        .arg("--check-reproducible")
        .current_dir(repo_root())
        .output()
        .context("running scripts/build-image --check-reproducible")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    ensure!(
        out.status.success(),
        "the reproducibility check failed (a build failed, or the builds differ): {}",
        out.status
    );
    for name in [
        "vmlinuz",
        "vmlinuz-bios",
        "initrd.img",
        "reprise.img",
        "boot.ipxe",
        "image-manifest",
    ] {
        ensure!(
            stdout.lines().any(|l| l.ends_with(&format!("  {name}"))),
            "{name} was not compared"
        );
    }
    Ok(())
}
