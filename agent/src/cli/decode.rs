//! `reprise decode`: decodes a dump (SMBIOS, ATA, NVMe) for a support case — command-line
//! arguments and glue to `parse::*`; the decoding and the text live in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::parse::{ata, ata_smart, nvme, render, smbios};

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// SMBIOS: a `dmidecode --dump-bin` file, or a directory holding `smbios_entry_point` and
    /// `DMI` (a copy of /sys/firmware/dmi/tables).
    Smbios,
    /// ATA IDENTIFY DEVICE data (512 bytes).
    AtaIdentify,
    /// ATA SMART READ DATA (512 bytes); give READ THRESHOLDS with --thresholds.
    AtaSmart,
    /// NVMe Identify Controller data (4096 bytes).
    NvmeIdentify,
    /// NVMe Identify Namespace data (4096 bytes).
    NvmeIdNs,
    /// NVMe SMART / Health Information log page 02h (512 bytes).
    NvmeSmart,
    /// NVMe Sanitize Status log page 81h (512 bytes).
    NvmeSanitizeLog,
    /// NVMe Device Self-test log page 06h (564 bytes).
    NvmeSelfTestLog,
}

/// Arguments of `reprise decode`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What FILE holds.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The dump to decode.
    pub file: PathBuf,
    /// ata-smart: the SMART READ THRESHOLDS sector (without it, health is unknown).
    #[arg(long, value_name = "FILE")]
    pub thresholds: Option<PathBuf>,
    /// ata-smart: the drive's IDENTIFY sector, to name attributes as for an SSD or an HDD.
    #[arg(long, value_name = "FILE")]
    pub identify: Option<PathBuf>,
    /// Print the decoded structure as JSON (64- and 128-bit fields as decimal strings).
    #[arg(long)]
    pub json: bool,
}

/// Reads a whole dump (bounded, regular files only).
fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    Ok(crate::sys::file::read(path)?)
}

/// Prints a decoded value as JSON or as text.
fn emit<T: serde::Serialize>(
    json: bool,
    value: &T,
    text: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).context("cannot encode the result")?
        );
    } else {
        print!("{}", text(value));
    }
    Ok(())
}

/// Runs `reprise decode`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let file = &args.file;
    let what = || format!("cannot decode {}", file.display());
    match args.kind {
        Kind::Smbios => {
            let is_dir = matches!(
                crate::sys::file::kind(file),
                Ok(crate::sys::file::Kind::Directory)
            );
            let decoded = if is_dir {
                let ep = read(&file.join("smbios_entry_point"))?;
                let dmi = read(&file.join("DMI"))?;
                smbios::parse_sysfs(&ep, &dmi)
            } else {
                smbios::parse_dump_bin(&read(file)?)
            }
            .with_context(what)?;
            emit(args.json, &decoded, render::smbios)?;
        }
        Kind::AtaIdentify => {
            let id = ata::parse_identify(&read(file)?).with_context(what)?;
            emit(args.json, &id, render::ata_identify)?;
        }
        Kind::AtaSmart => {
            let data = read(file)?;
            let thresholds = args.thresholds.as_deref().map(read).transpose()?;
            let media = match args.identify.as_deref().map(read).transpose()? {
                None => ata_smart::MediaHint::Unknown,
                Some(b) => {
                    let id =
                        ata::parse_identify(&b).context("cannot decode the --identify sector")?;
                    match id.rotation_rate {
                        ata::RotationRate::NonRotating => ata_smart::MediaHint::Ssd,
                        ata::RotationRate::Rpm { .. } => ata_smart::MediaHint::Hdd,
                        _ => ata_smart::MediaHint::Unknown,
                    }
                }
            };
            let sm =
                ata_smart::parse_smart(&data, thresholds.as_deref(), media).with_context(what)?;
            emit(args.json, &sm, render::ata_smart)?;
        }
        Kind::NvmeIdentify => {
            let c = nvme::parse_identify_controller(&read(file)?).with_context(what)?;
            emit(args.json, &c, render::nvme_identify_controller)?;
        }
        Kind::NvmeIdNs => {
            let n = nvme::parse_identify_namespace(&read(file)?).with_context(what)?;
            emit(args.json, &n, render::nvme_identify_namespace)?;
        }
        Kind::NvmeSmart => {
            let l = nvme::parse_smart_log(&read(file)?).with_context(what)?;
            emit(args.json, &l, render::nvme_smart)?;
        }
        Kind::NvmeSanitizeLog => {
            let l = nvme::parse_sanitize_log(&read(file)?).with_context(what)?;
            emit(args.json, &l, render::nvme_sanitize)?;
        }
        Kind::NvmeSelfTestLog => {
            let l = nvme::parse_self_test_log(&read(file)?).with_context(what)?;
            emit(args.json, &l, render::nvme_self_test)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
