//! `reprise install IMAGE DEVICE --sha256 HEX [--yes] [--root DIR]`: the install engine alone
//! (`deploy::engine`), for the workshop's bench and by hand — the run's own step is
//! `flow::deploy`. The device is opened through the write guard exactly as `reprise wipe` opens
//! it; the image (`.img`, or `.img.zst` decoded while writing) is written with direct I/O, read
//! back and checked against `--sha256` (of its raw bytes), then its GPT is fitted to the disk and
//! its last ext4 filesystem grown. Progress on stderr; the result, with the measured rates, on
//! stdout. Exit codes: 0 installed and verified, 3 a failed install, 4 not confirmed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::console;
use crate::deploy::engine::{self, Tuning};
use crate::deploy::{Compression, ImageSpec, Sha256};
use crate::flow::wipe::{WipeRequest, prepare};
use crate::sys::SysRoot;
use crate::wipe::{CancelToken, VerifySpec};

/// Arguments of `reprise install`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The image: a raw disk image, or zstd-compressed when its name ends in `.zst`.
    #[arg(value_name = "IMAGE")]
    pub image: PathBuf,
    /// The disk (or file) to install on.
    #[arg(value_name = "DEVICE")]
    pub device: PathBuf,
    /// SHA-256 of the image's raw bytes (`sha256:HEX` or HEX).
    #[arg(long, value_name = "HEX")]
    pub sha256: String,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Root of the sysfs/procfs view (tests); `/` on a real machine.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// Runs `reprise install`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let sha256 = Sha256::parse(&args.sha256)
        .with_context(|| format!("--sha256 {}: not a SHA-256", args.sha256))?;
    let compression = if args.image.extension().is_some_and(|e| e == "zst") {
        Compression::Zstd
    } else {
        Compression::None
    };
    let (reader, len) = crate::sys::file::open_stream(&args.image)?;
    let image = ImageSpec {
        name: args.image.display().to_string(),
        version: String::new(),
        sha256,
        compression,
        raw_size: (compression == Compression::None).then_some(len),
    };
    let prepared = prepare(&WipeRequest {
        root: SysRoot::new(&args.root),
        devices: vec![args.device.clone()],
        method: "zero".parse().map_err(|e| anyhow::anyhow!("{e:?}"))?,
        rounds: 1,
        verify: VerifySpec::None,
        level: None,
        then_zero: false,
        dco_restore: false,
    })?;
    if !args.yes {
        let confirmed = console::confirm(
            &mut std::io::stderr().lock(),
            &mut std::io::stdin().lock(),
            &prepared.devices(),
            &format!("by installing {} over it", args.image.display()),
        )?;
        if !confirmed {
            eprintln!("reprise: not confirmed; nothing was written");
            return Ok(ExitCode::from(super::EXIT_CANCELLED));
        }
    }
    let Some(mut device) = prepared.into_devices().pop() else {
        anyhow::bail!("{}: not opened for writing", args.device.display());
    };
    let cancel = CancelToken::new();
    console::cancel_on_interrupt(&cancel);
    let written = {
        let mut progress = console::install_printer(std::io::stderr());
        engine::write_image(
            device.as_mut(),
            reader,
            &image,
            Tuning::default(),
            &mut progress,
            &cancel,
        )
    };
    let written = match written {
        Ok(w) => w,
        Err(e) => {
            eprintln!(
                "reprise: THE IMAGE WAS NOT INSTALLED: {}",
                crate::model::error_chain(&e)
            );
            return Ok(ExitCode::from(super::EXIT_CHECK_FAILED));
        }
    };
    let layout = match engine::fix_gpt(device.as_mut(), &image) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "reprise: THE IMAGE WAS NOT INSTALLED: {}",
                crate::model::error_chain(&e)
            );
            return Ok(ExitCode::from(super::EXIT_CHECK_FAILED));
        }
    };
    let fs = engine::grow_filesystem(device, &layout);
    println!(
        "installed {} bytes, {sha256}: write {} ms ({} MB/s), read-back {} ms ({} MB/s); filesystem {fs}",
        written.raw_bytes,
        written.write_ms,
        written.write_rate_bps / 1_000_000,
        written.readback_ms,
        written.readback_rate_bps / 1_000_000,
    );
    Ok(ExitCode::SUCCESS)
}
