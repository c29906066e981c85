//! `reprise medium [--choose]`: the data partition of the medium this system booted from, proven
//! by its partition table (for init, which mounts it and reads settings and keys only from
//! there). When several sticks carry the image, none is taken until the operator says which one
//! booted: `--choose` asks on the terminal (nothing is read from any of them before).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::flow::BootMedium;
use crate::probe::model::Disk;
use crate::probe::render::size;
use crate::sys::SysRoot;

/// Exit code when several sticks carry the image and the operator must choose.
pub const EXIT_CHOOSE: u8 = 3;

/// Arguments of `reprise medium`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// When several sticks carry the image, list them and ask which one this laptop booted
    /// from (a number typed on the terminal); the choice holds for this boot.
    #[arg(long)]
    pub choose: bool,
    /// Root of the sysfs/procfs view (tests); `/` on a real machine.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// Prints the data partition's device path and exits 0; exits `EXIT_CHOOSE` when the operator
/// must choose among several sticks (without `--choose`), 1 when there is no boot medium.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = SysRoot::new(&args.root);
    match crate::flow::boot_medium(&root) {
        BootMedium::Found(path) => {
            println!("{}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        BootMedium::None(why) => {
            eprintln!("reprise: no Reprise boot medium: {why}");
            Ok(ExitCode::from(super::EXIT_ERROR))
        }
        BootMedium::Choose(sticks) if !args.choose => {
            eprintln!(
                "reprise: {} disks carry the Reprise image: nothing is read from any of them until \
                 the operator chooses (reprise medium --choose)",
                sticks.len()
            );
            Ok(ExitCode::from(EXIT_CHOOSE))
        }
        BootMedium::Choose(sticks) => {
            let mut err = std::io::stderr();
            let Some(stick) = ask(&sticks, &mut err, &mut std::io::stdin().lock())? else {
                writeln!(err, "No stick chosen: nothing is read from any of them.")?;
                return Ok(ExitCode::from(EXIT_CHOOSE));
            };
            let path = crate::flow::medium::choose_boot_medium(&root, stick)
                .with_context(|| format!("cannot take {} as the boot medium", stick.dev_path))?;
            writeln!(
                err,
                "{} chosen as the boot medium by the operator.",
                stick.dev_path
            )?;
            println!("{}", path.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Lists the sticks, numbered, and reads the operator's number (digits sit on the same keys on
/// AZERTY and QWERTY before any keymap is loaded); `None` for anything else.
fn ask<'a>(
    sticks: &'a [Disk],
    out: &mut dyn Write,
    input: &mut dyn BufRead,
) -> std::io::Result<Option<&'a Disk>> {
    writeln!(
        out,
        "Several disks carry the Reprise image. Which one did this laptop boot from?"
    )?;
    writeln!(
        out,
        "Plusieurs disques portent l'image Reprise. Sur lequel ce portable a-t-il démarré ?"
    )?;
    for (i, d) in sticks.iter().enumerate() {
        writeln!(
            out,
            "  {}) {}  {}  {}  {}  serial {}",
            i + 1,
            d.dev_path,
            d.transport.display_name(),
            d.model.known().map_or("unknown model", String::as_str),
            d.size_bytes
                .known()
                .map_or_else(|| "size unknown".into(), |b| size(*b)),
            d.serial.known().map_or("unknown", String::as_str),
        )?;
    }
    write!(out, "Number / Numéro: ")?;
    out.flush()?;
    let mut line = String::new();
    input.read_line(&mut line)?;
    Ok(line
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| sticks.get(i)))
}
