//! `reprise plan [--level clear|purge] [--json]`: what `reprise run` would do to each disk of
//! this machine, and why — nothing is written, only read-only commands reach the drives.
//!
//! Per disk: media type, interface, what its drive supports, the technique chosen for the level
//! asked (and the level it reaches), its fallbacks in order, hidden areas, and the plan's
//! explanations in the operator's language. `--json` prints the same as data (explanations as
//! `{"key": ..., params, "message": ...}`), with the drive's facts.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::flow::{self, RunPlan, Settings};
use crate::model::{Language, Level};
use crate::probe::render::size as format_bytes;
use crate::sys::SysRoot;
use crate::wipe::capability::DriveFacts;
use crate::wipe::{Method, VerifySpec};

/// Arguments of `reprise plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The level to plan for: clear (overwrite + verification) or purge (the drive's own erase
    /// where it has one that reaches Purge).
    #[arg(long, default_value = "purge", value_parser = super::level_parser())]
    pub level: Level,
    /// Overwrite method for HDDs and SSDs (flash media always get pattern + complement).
    #[arg(long, default_value = "zero")]
    pub method: Method,
    /// After a firmware erase, overwrite with zeros and read back.
    #[arg(long)]
    pub then_zero: bool,
    /// Restore a Device Configuration Overlay to the factory capacity.
    #[arg(long)]
    pub dco_restore: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Language of the explanations: fr or en.
    #[arg(long, default_value = "en")]
    pub lang: Language,
    /// Root of the sysfs/procfs view (tests); `/` on a real machine. Under any other root no
    /// drive is asked anything.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// One fact of a disk's plan, as JSON shows it.
#[derive(Debug, Serialize)]
pub struct ExplanationView {
    #[serde(flatten)]
    pub explanation: reprise_cert::plan::Explanation,
    pub message: String,
}

/// One disk of the plan, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct DiskView {
    pub id: String,
    pub path: String,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub size_bytes: u64,
    pub interface: &'static str,
    pub media_type: &'static str,
    pub supports: Vec<String>,
    pub requested_level: Level,
    pub technique: String,
    pub level: Level,
    pub fallbacks: Vec<String>,
    pub then_zero: bool,
    pub hidden: Option<crate::wipe::strategy::HiddenPlan>,
    pub unfreeze_would_help: bool,
    pub explanations: Vec<ExplanationView>,
    pub facts: Option<DriveFacts>,
}

/// A disk left alone.
#[derive(Debug, Serialize)]
pub struct SkippedView {
    pub id: String,
    pub path: String,
    pub reason: String,
}

/// The whole plan, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct PlanView {
    pub requested_level: Level,
    pub verify: String,
    /// "possible", or why this machine cannot suspend to RAM to unfreeze drives.
    pub suspend: String,
    pub disks: Vec<DiskView>,
    pub skipped: Vec<SkippedView>,
}

/// The plan as data.
pub fn view(p: &RunPlan, inspection: &flow::Inspection, lang: Language) -> PlanView {
    let disks = p
        .targets()
        .iter()
        .map(|t| {
            let id = t.identity();
            let s = t.strategy();
            DiskView {
                id: id.id.to_string(),
                path: id.dev_path.clone(),
                model: id.model.clone(),
                serial: id.serial.clone(),
                size_bytes: id.size_bytes,
                interface: id.transport.as_str(),
                media_type: id.media_type.as_str(),
                supports: s.map(|s| s.facts.supports()).unwrap_or_default(),
                requested_level: p.level,
                technique: s.map_or_else(|| "overwrite".into(), |s| s.technique.name()),
                level: s.map_or(Level::Clear, |s| s.level),
                fallbacks: s
                    .map(|s| s.fallbacks.iter().map(|f| f.name()).collect())
                    .unwrap_or_default(),
                then_zero: s.is_some_and(|s| s.then_zero),
                hidden: s.and_then(|s| s.hidden.clone()),
                unfreeze_would_help: s.is_some_and(|s| s.unfreeze_would_help),
                explanations: s
                    .map(|s| {
                        s.explanations
                            .iter()
                            .map(|e| ExplanationView {
                                explanation: e.clone(),
                                message: reprise_cert::plan::explanation(e, lang),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                facts: s.map(|s| s.facts.clone()),
            }
        })
        .collect();
    PlanView {
        requested_level: p.level,
        verify: super::console::describe_verify(p.verify),
        suspend: match &inspection.can_suspend {
            Some(Ok(())) => "possible".into(),
            Some(Err(why)) => why.clone(),
            None => "not checked".into(),
        },
        disks,
        skipped: p
            .skipped
            .iter()
            .map(|s| SkippedView {
                id: s.disk.id.to_string(),
                path: s.disk.dev_path.clone(),
                reason: s.reason.to_string(),
            })
            .collect(),
    }
}

/// The plan for the operator: one block per disk. Every line is made by `push`, which escapes
/// it: what the disks told us (models, serials) reaches the console as visible escapes, never as
/// control sequences or extra lines.
pub fn human(v: &PlanView) -> String {
    let mut out = String::new();
    let push = |out: &mut String, line: String| {
        out.push_str(&crate::model::text::escape(&line));
        out.push('\n');
    };
    let level = |l: Level| l.as_str().to_uppercase();
    if v.disks.is_empty() {
        push(&mut out, "No disk to sanitize.".into());
    } else {
        push(
            &mut out,
            format!(
                "Disks to sanitize ({}): {} asked, {}",
                v.disks.len(),
                level(v.requested_level),
                v.verify
            ),
        );
    }
    for d in &v.disks {
        push(
            &mut out,
            format!(
                "  {}  {}  serial {}  {}  {} {}",
                d.path,
                d.model.as_deref().unwrap_or("unknown model"),
                d.serial.as_deref().unwrap_or("unknown"),
                format_bytes(d.size_bytes),
                d.interface,
                d.media_type
            ),
        );
        if !d.supports.is_empty() {
            push(
                &mut out,
                format!("      supports: {}", d.supports.join("; ")),
            );
        }
        let mark = if d.level == d.requested_level {
            String::new()
        } else {
            format!(" — {} asked", level(d.requested_level))
        };
        push(
            &mut out,
            format!(
                "      → {} ({}{mark}){}",
                d.technique,
                level(d.level),
                if d.then_zero { " then zeros" } else { "" }
            ),
        );
        if !d.fallbacks.is_empty() {
            push(
                &mut out,
                format!("      if refused: {}", d.fallbacks.join(", then ")),
            );
        }
        for e in &d.explanations {
            push(&mut out, format!("      · {}", e.message));
        }
    }
    for s in &v.skipped {
        push(
            &mut out,
            format!("  not touched: {}  ({})", s.path, s.reason),
        );
    }
    out
}

/// Runs `reprise plan`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = SysRoot::new(&args.root);
    let probe = crate::probe::probe(&root).context("cannot probe this machine")?;
    let settings = Settings {
        level: args.level,
        method: args.method.clone(),
        verify: VerifySpec::Sample { permille: 100 },
        then_zero: args.then_zero,
        dco_restore: args.dco_restore,
    };
    let inspection = flow::inspect(&root, &probe);
    let plan = flow::plan_with(&probe, &inspection, &settings)?;
    let v = view(&plan, &inspection, args.lang);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", human(&v));
    }
    Ok(ExitCode::SUCCESS)
}
