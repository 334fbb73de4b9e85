//! `trailatlas routes | waypoints | export | info`: listing and exporting what is stored.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;

use super::{Global, parse_bbox};
use crate::core::model::BBox;
use crate::store::LineSummary;

/// Arguments of `trailatlas routes`.
#[derive(Debug, clap::Args)]
pub struct RoutesArgs {
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `trailatlas waypoints`.
#[derive(Debug, clap::Args)]
pub struct WaypointsArgs {
    /// Only these kinds, comma-separated (fuel, campground, checkpoint, water, lodging, food,
    /// services, trailhead, viewpoint, hazard, gate, other).
    #[arg(long, value_delimiter = ',')]
    pub kind: Vec<crate::core::model::WaypointKind>,
    /// Only inside `min_lon,min_lat,max_lon,max_lat` (degrees).
    #[arg(long, value_parser = parse_bbox, allow_hyphen_values = true)]
    pub bbox: Option<BBox>,
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `trailatlas export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The track, route or drive: its id or its name.
    #[arg(long)]
    pub route: String,
    /// The GPX file to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Leave out the waypoints that came from the same file.
    #[arg(long)]
    pub no_waypoints: bool,
}

/// Arguments of `trailatlas info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

fn bbox_json(b: Option<BBox>) -> serde_json::Value {
    match b {
        Some(b) => json!([b.min_lon, b.min_lat, b.max_lon, b.max_lat]),
        None => serde_json::Value::Null,
    }
}

fn line_json(l: &LineSummary) -> serde_json::Value {
    json!({
        "id": l.id,
        "name": l.name,
        "kind": l.kind.as_str(),
        "points": l.points,
        "length_m": (l.length_m * 10.0).round() / 10.0,
        "bbox": bbox_json(l.bbox),
        "source": l.source,
    })
}

/// Runs `trailatlas routes`.
pub fn routes(args: &RoutesArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let store = global.open_store()?;
    let lines = store.lines()?;
    if args.json {
        let v: Vec<_> = lines.iter().map(line_json).collect();
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else if lines.is_empty() {
        outln!("no tracks or routes yet; add some with `trailatlas import FILE.gpx`")?;
    } else {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{:>5}  {:<6} {:>9} {:>10}  name",
            "id", "kind", "points", "miles"
        )?;
        for l in &lines {
            writeln!(
                out,
                "{:>5}  {:<6} {:>9} {:>10.1}  {}",
                l.id,
                l.kind.as_str(),
                l.points,
                l.length_m / crate::core::units::M_PER_MILE,
                l.name.as_deref().unwrap_or("(unnamed)")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `trailatlas waypoints`.
pub fn waypoints(args: &WaypointsArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let store = global.open_store()?;
    let wpts = store.waypoints(&args.kind, args.bbox)?;
    if args.json {
        let v: Vec<_> = wpts
            .iter()
            .map(|w| {
                json!({
                    "id": w.id, "name": w.wpt.name, "kind": w.wpt.kind.as_str(), "sym": w.wpt.sym,
                    "lat": w.wpt.pos.lat, "lon": w.wpt.pos.lon, "ele": w.wpt.ele_m,
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        let mut out = std::io::stdout().lock();
        for w in &wpts {
            writeln!(
                out,
                "{:>6}  {:<11} {:>10.5} {:>11.5}  {}  [{}]",
                w.id,
                w.wpt.kind.as_str(),
                w.wpt.pos.lat,
                w.wpt.pos.lon,
                w.wpt.name.as_deref().unwrap_or("(unnamed)"),
                w.wpt.sym.as_deref().unwrap_or("")
            )?;
        }
        writeln!(out, "{} waypoints", wpts.len())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `trailatlas export`.
pub fn export(args: &ExportArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let store = global.open_store()?;
    let line = store.find_line(&args.route)?;
    let data = store.gpx_for_line(line.id, !args.no_waypoints)?;
    // Write to a temporary file first so a failed export never leaves half a GPX behind.
    let tmp = args.output.with_extension("gpx.partial");
    {
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut w = std::io::BufWriter::new(file);
        crate::export::write_gpx(&mut w, &data)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        w.flush()
            .with_context(|| format!("cannot write {}", tmp.display()))?;
    }
    std::fs::rename(&tmp, &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!(
        "wrote {} ({} {}, {} waypoints)",
        args.output.display(),
        line.kind.as_str(),
        line.name.as_deref().unwrap_or("(unnamed)"),
        data.waypoints.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `trailatlas info`.
pub fn info(args: &InfoArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let store = global.open_store()?;
    let i = store.info()?;
    let path = global.db_path()?;
    if args.json {
        let v = json!({
            "db": path.display().to_string(), "schema_version": i.schema_version, "files": i.files,
            "tracks": i.tracks, "routes": i.routes, "drives": i.drives, "points": i.points,
            "waypoints": i.waypoints, "file_bytes": i.file_bytes,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        outln!("database   {}", path.display())?;
        outln!("schema     version {}", i.schema_version)?;
        outln!("files      {}", i.files)?;
        outln!("tracks     {}", i.tracks)?;
        outln!("routes     {}", i.routes)?;
        outln!("drives     {}", i.drives)?;
        outln!("points     {}", i.points)?;
        outln!("waypoints  {}", i.waypoints)?;
        outln!("size       {:.1} MB", i.file_bytes as f64 / 1e6)?;
    }
    Ok(ExitCode::SUCCESS)
}
