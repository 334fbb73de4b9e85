//! `trailatlas import`: GPX files and folders into the database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::Global;
use crate::core::kinds::Classifier;
use crate::store::{FileStatus, ImportOptions, ImportReport};

/// Arguments of `trailatlas import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Re-import files whose content changed since they were imported, replacing them.
    #[arg(long)]
    pub replace: bool,
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Extra waypoint-kind rules, one per line (`sym:Truck Stop = fuel`, `name:*gas* = fuel`),
    /// tried before the built-in table (see src/core/kinds.rs).
    #[arg(long, value_name = "FILE", env = "TRAILATLAS_KINDS")]
    pub kinds_file: Option<PathBuf>,
    /// GPX files (plain or gzip-compressed), or folders searched recursively for `*.gpx` and
    /// `*.gpx.gz`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// Expands folders into the `.gpx` and `.gpx.gz` files under them (sorted, so imports are repeatable);
/// files given by name are kept whatever their extension, and missing ones fail later.
fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            out.push(dir.to_path_buf());
            return;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            let is_gpx = crate::import::is_gpx_name(&p);
            if p.is_dir() && !is_gpx {
                walk(&p, out);
            } else if is_gpx {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() && !crate::import::is_gpx_name(p) {
            walk(p, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Runs `trailatlas import`.
pub fn run(args: &ImportArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let classifier = match &args.kinds_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Classifier::with_extra_rules(&text)
                .map_err(|e| anyhow::anyhow!("{}:{}: {}", path.display(), e.line, e.message))?
        }
        None => Classifier::new(),
    };
    let mut store = global.open_store()?;
    let files = expand(&args.paths);
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    // Draws only when stderr is a terminal.
    let bar = ProgressBar::new(total_bytes);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let opts = ImportOptions {
        replace: args.replace,
    };
    let mut reports: Vec<ImportReport> = Vec::with_capacity(files.len());
    for file in &files {
        let name = file.display().to_string();
        bar.set_message(name.clone());
        let report = store.import_file_with(file, opts, &classifier, &mut |points| {
            bar.set_message(format!("{name}: {points} points"));
        });
        bar.inc(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0));
        if !args.json {
            bar.suspend(|| print_report(&report))?;
        }
        reports.push(report);
    }
    bar.finish_and_clear();
    if args.json {
        let files: Vec<_> = reports.iter().map(report_json).collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({ "files": files }))?
        )?;
    } else {
        let failed = reports
            .iter()
            .filter(|r| r.status == FileStatus::Failed)
            .count();
        let imported = reports
            .iter()
            .filter(|r| r.status == FileStatus::Imported)
            .count();
        let unchanged = reports
            .iter()
            .filter(|r| r.status == FileStatus::Unchanged)
            .count();
        outln!("{imported} imported, {unchanged} unchanged, {failed} failed")?;
    }
    for r in &reports {
        if let Some(e) = &r.error {
            eprintln!("{e}");
        }
    }
    let any_failed = reports.iter().any(|r| r.status == FileStatus::Failed);
    Ok(if any_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_report(r: &ImportReport) -> std::io::Result<()> {
    let c = &r.counts;
    match r.status {
        FileStatus::Failed => outln!("failed     {}", r.path.display())?,
        status => outln!(
            "{:<10} {}: {} tracks ({} points), {} routes ({} points), {} waypoints",
            status.as_str(),
            r.path.display(),
            c.tracks,
            c.track_points,
            c.routes,
            c.route_points,
            c.waypoints
        )?,
    }
    Ok(())
}

fn report_json(r: &ImportReport) -> serde_json::Value {
    let c = &r.counts;
    let mut v = json!({
        "path": r.path.display().to_string(),
        "status": r.status.as_str(),
        "tracks": c.tracks,
        "track_points": c.track_points,
        "routes": c.routes,
        "route_points": c.route_points,
        "waypoints": c.waypoints,
    });
    if let (Some(e), Some(obj)) = (&r.error, v.as_object_mut()) {
        obj.insert("error".into(), json!(e));
    }
    v
}
