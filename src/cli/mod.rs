//! The `trailatlas` command line (clap). Glue only: parses arguments, opens the store, calls
//! library functions, prints text or JSON. Subcommands live one per file.

pub mod data;
pub mod import;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::core::model::BBox;
use crate::store::Store;

pub mod coord;

/// Options every subcommand shares.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// The database file (default: env TRAILATLAS_DB, else the platform data directory).
    #[arg(long, global = true, env = "TRAILATLAS_DB")]
    pub db: Option<PathBuf>,
}

impl Global {
    /// The database path to use.
    pub fn db_path(&self) -> anyhow::Result<PathBuf> {
        if let Some(p) = &self.db {
            return Ok(p.clone());
        }
        let dirs = directories::ProjectDirs::from("org", "trailatlas", "trailatlas")
            .context("cannot find a data directory for the database; pass --db PATH")?;
        Ok(dirs.data_dir().join("trailatlas.sqlite"))
    }

    /// Opens (creating if needed) the database.
    pub fn open_store(&self) -> anyhow::Result<Store> {
        let path = self.db_path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Store::open(&path).with_context(|| format!("cannot open database {}", path.display()))
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "trailatlas",
    version,
    about = "Offline GPX route and waypoint navigator for overlanders"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import GPX files or folders (recursively) into the database.
    Import(import::ImportArgs),
    /// List tracks, routes and recorded drives.
    Routes(data::RoutesArgs),
    /// List waypoints, optionally by kind and bounding box.
    Waypoints(data::WaypointsArgs),
    /// Export a track, route or drive (with its file's waypoints) to GPX 1.1.
    Export(data::ExportArgs),
    /// Database counts, schema version and size.
    Info(data::InfoArgs),
    /// Convert a coordinate between DD, DMS, DDM, UTM and MGRS, and between datums.
    Coord(coord::CoordArgs),
}

/// Parses `min_lon,min_lat,max_lon,max_lat` in degrees.
pub fn parse_bbox(s: &str) -> Result<BBox, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .map_err(|_| format!("{x:?} is not a number"))
        })
        .collect::<Result<_, _>>()?;
    let [min_lon, min_lat, max_lon, max_lat] = v[..] else {
        return Err("expected min_lon,min_lat,max_lon,max_lat".into());
    };
    let b = BBox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    };
    if b.min_lon > b.max_lon
        || b.min_lat > b.max_lat
        || !b.min_lon.is_finite()
        || !b.max_lat.is_finite()
    {
        return Err("the box must have min_lon <= max_lon and min_lat <= max_lat".into());
    }
    Ok(b)
}

/// What `trailatlas` without a subcommand does until the desktop app exists: make sure the
/// database has the bundled sample route, then show what is there and what to try.
fn overview(global: &Global) -> anyhow::Result<ExitCode> {
    let mut store = global.open_store()?;
    if store.lines()?.is_empty() {
        let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
        if sample.is_dir() {
            eprintln!(
                "empty database: importing the bundled sample data from {}",
                sample.display()
            );
            let args = import::ImportArgs {
                replace: false,
                json: false,
                paths: vec![sample],
            };
            drop(store);
            import::run(&args, global)?;
            store = global.open_store()?;
        }
    }
    println!(
        "trailatlas: the desktop app is not built yet; everything below works from the command line."
    );
    println!("database: {}\n", global.db_path()?.display());
    data::routes(&data::RoutesArgs { json: false }, global)?;
    let wpts = store.waypoints(&[], None)?;
    let mut by_kind = std::collections::BTreeMap::new();
    for w in &wpts {
        *by_kind.entry(w.wpt.kind).or_insert(0u32) += 1;
    }
    let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!(
        "\nwaypoints: {}",
        if kinds.is_empty() {
            "none".to_string()
        } else {
            kinds.join(", ")
        }
    );
    println!("\ntry: trailatlas --help");
    Ok(ExitCode::SUCCESS)
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let g = &cli.global;
    let result: anyhow::Result<ExitCode> = match &cli.command {
        None => overview(g),
        Some(Command::Import(a)) => import::run(a, g),
        Some(Command::Routes(a)) => data::routes(a, g),
        Some(Command::Waypoints(a)) => data::waypoints(a, g),
        Some(Command::Export(a)) => data::export(a, g),
        Some(Command::Info(a)) => data::info(a, g),
        Some(Command::Coord(a)) => coord::run(a, g),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
