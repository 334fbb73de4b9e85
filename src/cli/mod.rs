//! The `trailatlas` command line (clap). Glue only: parses arguments, opens the store, calls
//! library functions, prints text or JSON. Subcommands live one per file.
//!
//! Output to stdout goes through [`outln!`]/[`out!`], never `println!` (which panics when the
//! reader has gone): a closed pipe (`trailatlas waypoints | head`) comes back as an error
//! that [`main`] ends quietly on, as other Unix tools do.

/// `println!` to stdout that returns the write's `io::Result` instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($t)*)
    }};
}

/// `print!` to stdout that returns the write's `io::Result` instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($t)*)
    }};
}

pub mod app;
pub mod atlas;
pub mod data;
pub mod gps;
pub mod import;
pub mod map;
pub mod nav;
pub mod roadbook;
pub mod terrain;

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
        Store::open(&path).map_err(|e| match e {
            // Already names the file; said once.
            e @ crate::store::StoreError::Open { .. } => anyhow::Error::new(e),
            e => anyhow::Error::new(e).context(format!("cannot open database {}", path.display())),
        })
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
    /// Without a subcommand, the app opens with these.
    #[command(flatten)]
    app: app::AppArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open the desktop app (the default when no subcommand is given).
    App(app::AppArgs),
    /// Import GPX files or folders (recursively) into the database.
    Import(import::ImportArgs),
    /// OpenStreetMap map data: `map import FILE.osm.pbf...`, `map info`.
    Map(map::MapArgs),
    /// List tracks, routes and recorded drives.
    Routes(data::RoutesArgs),
    /// List waypoints, optionally by kind and bounding box.
    Waypoints(data::WaypointsArgs),
    /// Export a track, route or drive (with its file's waypoints) to GPX 1.1.
    Export(data::ExportArgs),
    /// Database counts, schema version and size.
    Info(data::InfoArgs),
    /// Print a route as a PDF road atlas: index, map pages with edge links, cue sheet.
    Atlas(atlas::AtlasArgs),
    /// Show live or replayed GPS fixes; optionally record them as a drive.
    Gps(gps::GpsArgs),
    /// List recorded drives.
    Drives(gps::DrivesArgs),
    /// Convert a coordinate between DD, DMS, DDM, UTM and MGRS, and between datums.
    Coord(coord::CoordArgs),
    /// The waypoints nearest to a position, optionally of some kinds.
    Nearest(nav::NearestArgs),
    /// Where you are on a route and the waypoints ahead along it.
    Ahead(nav::AheadArgs),
    /// Length, climbing, surface, and fuel and campground gaps along a route.
    Logistics(nav::LogisticsArgs),
    /// The roads of a route, matched onto the map: surface breakdown and road cues.
    Roadbook(roadbook::RoadbookArgs),
    /// The tactical overview: sections with surface, climb, fuel, camps and warnings.
    Overview(roadbook::OverviewArgs),
    /// Import and list elevation models (SRTM .hgt/.hgt.zip, GeoTIFF DEMs).
    Terrain(terrain::TerrainArgs),
    /// The elevation at a position from the stored elevation models.
    Elevation(terrain::ElevationArgs),
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

/// Set to print `peak_rss_kb=N` on stderr at exit (tests and benchmarks). The process's own
/// high-water mark (`VmHWM`) is exact; `wait4`'s `ru_maxrss` also counts the parent's memory
/// when a large process spawns this one (Linux carries it across `exec`).
pub const PEAK_RSS_ENV: &str = "TRAILATLAS_PEAK_RSS";

fn report_peak_rss() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(kb) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    {
        eprintln!("peak_rss_kb={kb}");
    }
}

/// True when `e` comes from writing to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let started = std::time::Instant::now();
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
        None => app::run(&cli.app, g, started),
        Some(Command::App(a)) => app::run(a, g, started),
        Some(Command::Import(a)) => import::run(a, g),
        Some(Command::Map(a)) => map::run(a, g),
        Some(Command::Routes(a)) => data::routes(a, g),
        Some(Command::Waypoints(a)) => data::waypoints(a, g),
        Some(Command::Export(a)) => data::export(a, g),
        Some(Command::Info(a)) => data::info(a, g),
        Some(Command::Atlas(a)) => atlas::run(a, g),
        Some(Command::Gps(a)) => gps::run(a, g),
        Some(Command::Drives(a)) => gps::drives(a, g),
        Some(Command::Coord(a)) => coord::run(a, g),
        Some(Command::Nearest(a)) => nav::nearest(a, g),
        Some(Command::Ahead(a)) => nav::ahead(a, g),
        Some(Command::Logistics(a)) => nav::logistics(a, g),
        Some(Command::Roadbook(a)) => roadbook::roadbook(a, g),
        Some(Command::Overview(a)) => roadbook::overview(a, g),
        Some(Command::Terrain(a)) => terrain::run(a, g),
        Some(Command::Elevation(a)) => terrain::elevation(a, g),
    };
    if std::env::var_os(PEAK_RSS_ENV).is_some() {
        report_peak_rss();
    }
    match result {
        Ok(code) => code,
        // The reader of our stdout has gone (`| head`): nothing more to say, to anyone.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
