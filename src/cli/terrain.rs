//! `trailatlas terrain import | list` and `trailatlas elevation --at`: elevation models into
//! the database, and what they say at a position.
//!
//! Glue only: the store imports (one transaction per file) and samples; this prints text or
//! JSON. Exit status 1 when any file failed, as `import`.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::Global;
use super::nav::parse_lat_lon;
use crate::core::model::LatLon;
use crate::store::{DemInfo, DemReport, FileStatus};

/// Arguments of `trailatlas terrain`.
#[derive(Debug, clap::Args)]
pub struct TerrainArgs {
    #[command(subcommand)]
    command: TerrainCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TerrainCommand {
    /// Import SRTM .hgt / .hgt.zip tiles and GeoTIFF DEMs into the database.
    Import(ImportDemArgs),
    /// List the stored elevation models.
    List(ListDemArgs),
}

/// Arguments of `trailatlas terrain import`.
#[derive(Debug, clap::Args)]
pub struct ImportDemArgs {
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// `.hgt`, `.hgt.zip` or GeoTIFF (`.tif`) files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Arguments of `trailatlas terrain list`.
#[derive(Debug, clap::Args)]
pub struct ListDemArgs {
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `trailatlas elevation`.
#[derive(Debug, clap::Args)]
pub struct ElevationArgs {
    /// The position, `LAT,LON` in decimal degrees.
    #[arg(long, value_parser = parse_lat_lon, allow_hyphen_values = true)]
    pub at: LatLon,
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `trailatlas terrain …`.
pub fn run(args: &TerrainArgs, global: &Global) -> anyhow::Result<ExitCode> {
    match &args.command {
        TerrainCommand::Import(a) => import(a, global),
        TerrainCommand::List(a) => list(a, global),
    }
}

fn info_json(i: &DemInfo) -> Value {
    json!({
        "name": i.name,
        "path": i.path,
        "epsg": i.geom.crs.epsg(),
        "width": i.geom.width,
        "height": i.geom.height,
        "cell_m": (i.cell_m * 100.0).round() / 100.0,
        "bbox": [i.bbox.min_lon, i.bbox.min_lat, i.bbox.max_lon, i.bbox.max_lat],
        "voids_filled": i.voids.filled,
        "voids_left": i.voids.left,
    })
}

fn report_json(r: &DemReport) -> Value {
    let mut v = json!({
        "path": r.path.display().to_string(),
        "status": r.status.as_str(),
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(i) = &r.info {
            obj.insert("model".into(), info_json(i));
        }
        if let Some(e) = &r.error {
            obj.insert("error".into(), json!(e));
        }
    }
    v
}

fn info_text(i: &DemInfo) -> String {
    let voids = if i.voids.left > 0 || i.voids.filled > 0 {
        format!(
            ", {} void nodes filled, {} left void",
            i.voids.filled, i.voids.left
        )
    } else {
        String::new()
    };
    format!(
        "{}: {} × {} nodes, {:.0} m cells{voids}",
        i.name, i.geom.width, i.geom.height, i.cell_m
    )
}

fn import(args: &ImportDemArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut store = global.open_store()?;
    let mut reports = Vec::with_capacity(args.files.len());
    for f in &args.files {
        let r = store.import_dem_file(f);
        if !args.json {
            match (&r.status, &r.info) {
                (FileStatus::Failed, _) | (_, None) => println!("failed     {}", f.display()),
                (s, Some(i)) => println!("{:<10} {}: {}", s.as_str(), f.display(), info_text(i)),
            }
        }
        reports.push(r);
    }
    let count = |s: FileStatus| reports.iter().filter(|r| r.status == s).count();
    if args.json {
        let files: Vec<Value> = reports.iter().map(report_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "files": files }))?
        );
    } else {
        println!(
            "{} imported, {} unchanged, {} failed",
            count(FileStatus::Imported),
            count(FileStatus::Unchanged),
            count(FileStatus::Failed)
        );
    }
    for r in &reports {
        if let Some(e) = &r.error {
            eprintln!("{e}");
        }
    }
    Ok(if count(FileStatus::Failed) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn list(args: &ListDemArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let store = global.open_store()?;
    let dems = store.dems()?;
    if args.json {
        let list: Vec<Value> = dems.iter().map(info_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "models": list }))?
        );
    } else if dems.is_empty() {
        println!("No elevation models (import some with `trailatlas terrain import FILE`)");
    } else {
        for d in &dems {
            println!("{}", info_text(d));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `trailatlas elevation`.
pub fn elevation(args: &ElevationArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let store = global.open_store()?;
    let (values, source) = store.elevations(&[args.at])?;
    let value = values.first().copied().flatten();
    let source = source.map(|s| s.label());
    if args.json {
        let v = json!({
            "lat": args.at.lat,
            "lon": args.at.lon,
            "elevation_m": value,
            "source": source,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        match (value, source) {
            (Some(v), Some(s)) => println!("{v} m (from the {s} model)"),
            _ if store.dems()?.is_empty() => println!(
                "No elevation models stored (import some with `trailatlas terrain import FILE`)"
            ),
            _ => println!("No elevation data at {},{}", args.at.lat, args.at.lon),
        }
    }
    Ok(ExitCode::SUCCESS)
}
