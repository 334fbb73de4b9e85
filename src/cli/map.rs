//! `trailatlas map import | info`: OpenStreetMap extracts into the database, and what is there.
//!
//! Glue only: builds the `--around` corridor from stored routes, calls
//! `Store::import_map_file` per file with a progress bar, prints JSON or text.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use super::Global;
use crate::core::along::RouteLine;
use crate::core::logistics::parse_distance_m;
use crate::core::map::corridor::Corridor;
use crate::import::format_time_ms;
use crate::store::{FileStatus, MapFileInfo, MapImportOptions, MapImportReport, Store};

/// `trailatlas map ...`.
#[derive(Debug, clap::Args)]
pub struct MapArgs {
    #[command(subcommand)]
    command: MapCommand,
}

#[derive(Debug, clap::Subcommand)]
enum MapCommand {
    /// Import OpenStreetMap extracts (`.osm.pbf`): roads, water, land, places and POIs.
    Import(MapImportArgs),
    /// What map data the database holds.
    Info(MapInfoArgs),
}

/// Arguments of `trailatlas map import`.
#[derive(Debug, clap::Args)]
pub struct MapImportArgs {
    /// Keep only what lies within `--corridor` of this track or route (id or name); repeatable.
    #[arg(long, value_name = "ROUTE")]
    pub around: Vec<String>,
    /// Keep only what lies within `--corridor` of any stored track or route.
    #[arg(long)]
    pub around_all: bool,
    /// The corridor's half-width with `--around`, e.g. `25km`, `10mi`.
    #[arg(long, default_value = "25km", value_parser = parse_distance_arg)]
    pub corridor: f64,
    /// Decoding threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// The `.osm.pbf` files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Arguments of `trailatlas map info`.
#[derive(Debug, clap::Args)]
pub struct MapInfoArgs {
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

fn parse_distance_arg(s: &str) -> Result<f64, String> {
    parse_distance_m(s).map_err(|e| e.to_string())
}

/// Runs `trailatlas map`.
pub fn run(args: &MapArgs, global: &Global) -> anyhow::Result<ExitCode> {
    match &args.command {
        MapCommand::Import(a) => import(a, global),
        MapCommand::Info(a) => info(a, global),
    }
}

fn corridor_of(store: &Store, args: &MapImportArgs) -> anyhow::Result<Option<(Corridor, String)>> {
    if args.around.is_empty() && !args.around_all {
        return Ok(None);
    }
    let summaries = if args.around_all {
        store.lines()?
    } else {
        args.around
            .iter()
            .map(|r| store.find_line(r))
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut routes = Vec::new();
    let mut ids = Vec::new();
    for s in summaries {
        let stored = store.line(s.id)?;
        let path: Vec<_> = stored.points().map(|p| p.pos).collect();
        if path.is_empty() {
            continue;
        }
        let line = RouteLine::new(path)
            .with_context(|| format!("cannot use {} {}", s.kind.as_str(), s.id))?;
        routes.push(line);
        ids.push(s.id.to_string());
    }
    if routes.is_empty() {
        anyhow::bail!("--around: no stored track or route has points (import GPX first)");
    }
    let label = format!("around {} within {:.0} m", ids.join(","), args.corridor);
    Ok(Some((Corridor::new(routes, args.corridor), label)))
}

fn import(args: &MapImportArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut store = global.open_store()?;
    let corridor = corridor_of(&store, args)?;
    let bar = ProgressBar::new(1000);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {percent:>3}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let opts = MapImportOptions {
        corridor: corridor.as_ref().map(|(c, l)| (c, l.as_str())),
        threads: args.threads,
    };
    let mut reports = Vec::with_capacity(args.files.len());
    for file in &args.files {
        bar.set_message(file.display().to_string());
        bar.set_position(0);
        let report = store.import_map_file(file, opts, &mut |p| {
            if let Some(permille) = p.done.saturating_mul(1000).checked_div(p.total) {
                bar.set_position(permille);
            }
        });
        if !args.json {
            bar.suspend(|| print_report(&report));
        }
        reports.push(report);
    }
    bar.finish_and_clear();
    if args.json {
        let files: Vec<Value> = reports.iter().map(report_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "files": files }))?
        );
    } else {
        let n = |s: FileStatus| reports.iter().filter(|r| r.status == s).count();
        println!(
            "{} imported, {} unchanged, {} failed",
            n(FileStatus::Imported),
            n(FileStatus::Unchanged),
            n(FileStatus::Failed)
        );
    }
    for r in &reports {
        if let Some(e) = &r.error {
            eprintln!("{e}");
        }
    }
    Ok(if reports.iter().any(|r| r.status == FileStatus::Failed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_report(r: &MapImportReport) {
    let c = &r.counts;
    match r.status {
        FileStatus::Failed => println!("failed     {}", r.path.display()),
        status => {
            let date = r
                .header
                .as_ref()
                .and_then(|h| h.replication_ms)
                .map(|ms| format!(", OSM data of {}", date_of(ms)))
                .unwrap_or_default();
            println!(
                "{:<10} {}: {} roads, {} water lines, {} areas, {} places, {} POIs{date}",
                status.as_str(),
                r.path.display(),
                c.roads,
                c.water_lines,
                c.areas,
                c.places,
                c.pois
            );
            if c.broken_relations > 0 || c.outside_corridor > 0 || r.replaced_files > 0 {
                println!(
                    "           {} broken multipolygons skipped, {} outside the corridor, {} older files replaced",
                    c.broken_relations, c.outside_corridor, r.replaced_files
                );
            }
        }
    }
}

fn date_of(ms: i64) -> String {
    format_time_ms(ms).chars().take(10).collect()
}

fn report_json(r: &MapImportReport) -> Value {
    let c = &r.counts;
    let mut v = json!({
        "path": r.path.display().to_string(),
        "status": r.status.as_str(),
        "nodes": c.nodes,
        "ways": c.ways,
        "relations": c.relations,
        "roads": c.roads,
        "water_lines": c.water_lines,
        "areas": c.areas,
        "places": c.places,
        "pois": c.pois,
        "broken_relations": c.broken_relations,
        "clipped_ways": c.clipped_ways,
        "outside_corridor": c.outside_corridor,
        "replaced_files": r.replaced_files,
        "replaced_features": r.replaced_features,
        "osm_timestamp": r.header.as_ref().and_then(|h| h.replication_ms).map(format_time_ms),
    });
    if let (Some(e), Some(obj)) = (&r.error, v.as_object_mut()) {
        obj.insert("error".into(), json!(e));
    }
    v
}

/// Kilometres to the millimetre: short classes (a 50 m link road) compare to 0.1 %.
fn r6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn file_json(f: &MapFileInfo) -> Value {
    let c = &f.counts;
    json!({
        "path": f.path,
        "size_bytes": f.size_bytes,
        "osm_timestamp": f.replication_ms.map(format_time_ms),
        "generator": f.generator,
        "bbox": f.bbox.map(|b| [b.min_lon, b.min_lat, b.max_lon, b.max_lat]),
        "imported": format_time_ms(f.imported_ms),
        "filter": if f.filter.is_empty() { Value::Null } else { json!(f.filter) },
        "roads": c.roads,
        "water_lines": c.water_lines,
        "areas": c.areas,
        "places": c.places,
        "pois": c.pois,
        "broken_relations": c.broken_relations,
        "clipped_ways": c.clipped_ways,
    })
}

fn info(args: &MapInfoArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let store = global.open_store()?;
    let info = store.map_info()?;
    if args.json {
        let obj = |v: &[(String, u64)]| -> serde_json::Map<String, Value> {
            v.iter().map(|(k, n)| (k.clone(), json!(n))).collect()
        };
        let roads_km: serde_json::Map<String, Value> = info
            .roads_km
            .iter()
            .map(|(k, km)| (k.clone(), json!(r6(*km))))
            .collect();
        let v = json!({
            "roads": info.roads,
            "roads_km": roads_km,
            "water_lines": obj(&info.water_lines),
            "areas": obj(&info.areas),
            "places": info.places,
            "pois": obj(&info.pois),
            "bbox": info.bbox.map(|b| [b.min_lon, b.min_lat, b.max_lon, b.max_lat]),
            "files": info.files.iter().map(file_json).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    if info.files.is_empty() {
        println!("no map data (import an .osm.pbf extract with `trailatlas map import FILE`)");
        return Ok(ExitCode::SUCCESS);
    }
    for f in &info.files {
        println!(
            "{}: OSM data of {}, {} roads, {} POIs{}",
            f.path,
            f.replication_ms.map_or("unknown date".into(), date_of),
            f.counts.roads,
            f.counts.pois,
            if f.filter.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.filter)
            }
        );
    }
    let total_km: f64 = info.roads_km.iter().map(|(_, km)| km).sum();
    println!("roads: {} ({total_km:.1} km)", info.roads);
    for (k, km) in &info.roads_km {
        println!("  {k:<16} {km:>10.1} km");
    }
    let list = |v: &[(String, u64)]| {
        v.iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("water lines: {}", list(&info.water_lines));
    println!("areas: {}", list(&info.areas));
    println!("places: {}", info.places);
    println!("POIs: {}", list(&info.pois));
    if let Some(b) = info.bbox {
        println!(
            "box: {:.5},{:.5},{:.5},{:.5}",
            b.min_lon, b.min_lat, b.max_lon, b.max_lat
        );
    }
    Ok(ExitCode::SUCCESS)
}
