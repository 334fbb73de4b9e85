//! `trailatlas` with no subcommand (or `trailatlas app`): opens the desktop app on the
//! database, importing the bundled sample data first when the database is empty.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::{Global, import};
use crate::app::NavApp;
use crate::gps::SourceSpec;
use crate::gps::recorder::{Recorder, SystemClock};
use crate::store::Store;

/// App options (also accepted without the `app` subcommand).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AppArgs {
    /// GPS source: serial:DEVICE[@BAUD], gpsd[:HOST:PORT] or replay:FILE[@SPEED].
    #[arg(long, value_name = "SOURCE")]
    pub gps: Option<SourceSpec>,
    /// The track or route to follow, by id or name (default: the first one).
    #[arg(long, value_name = "NAME")]
    pub route: Option<String>,
    /// Record the GPS fixes as a drive in the database.
    #[arg(long, requires = "gps")]
    pub record: bool,
}

/// The bundled sample trip: a loop on real Andorran roads (OSM), built by `data/make_sample.py`.
pub const SAMPLE_GPX: &str = "data/sample-andorra-loop.gpx";

/// The bundled map data (OpenStreetMap, ODbL) and elevation model (SRTM, public domain)
/// under the sample trip; see `data/LICENSES.md`.
pub const SAMPLE_MAP: &str = "data/andorra.osm.pbf";
/// See [`SAMPLE_MAP`].
pub const SAMPLE_TERRAIN: &str = "data/N42E001.hgt.zip";

/// Imports the bundled sample trip, its map data and its elevation model into an empty
/// database, so a first run shows a real route on a real map.
pub fn ensure_sample(global: &Global) -> anyhow::Result<()> {
    let store = global.open_store()?;
    if !store.lines()?.is_empty() {
        return Ok(());
    }
    drop(store);
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SAMPLE_GPX);
    if !sample.is_file() {
        return Ok(());
    }
    eprintln!(
        "empty database: importing the bundled sample data from {}",
        sample.display()
    );
    let args = import::ImportArgs {
        replace: false,
        json: false,
        kinds_file: None,
        paths: vec![sample],
    };
    import::run(&args, global)?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut store = global.open_store()?;
    let map = root.join(SAMPLE_MAP);
    if map.is_file() && store.map_files()?.is_empty() {
        eprintln!("importing the sample's map data from {}", map.display());
        let r = store.import_map_file(&map, crate::store::MapImportOptions::default(), &mut |_| {});
        if let Some(e) = r.error {
            eprintln!("{e}");
        }
    }
    let dem = root.join(SAMPLE_TERRAIN);
    if dem.is_file() && store.dems()?.is_empty() {
        eprintln!(
            "importing the sample's elevation model from {}",
            dem.display()
        );
        if let Some(e) = store.import_dem_file(&dem).error {
            eprintln!("{e}");
        }
    }
    Ok(())
}

/// True when a window can be opened: on Linux and the BSDs an X11 or Wayland display must be
/// named in the environment (winit's own error says so at length, after start-up work).
fn display_available() -> bool {
    if !cfg!(unix) || cfg!(target_os = "macos") {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY", "WAYLAND_SOCKET"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// Set to print `first_frame_ms=N` (from process start to the first frame on screen) and
/// close: the startup benchmark.
pub const FIRST_FRAME_ENV: &str = "TRAILATLAS_EXIT_AFTER_FIRST_FRAME";

/// Opens the app window; returns when it is closed. `started` is when the process started,
/// for the startup benchmark.
pub fn run(
    args: &AppArgs,
    global: &Global,
    started: std::time::Instant,
) -> anyhow::Result<ExitCode> {
    if !display_available() {
        anyhow::bail!(
            "no display to open the app window on (DISPLAY and WAYLAND_DISPLAY are unset); \
             everything also works from the command line: trailatlas --help"
        );
    }
    ensure_sample(global)?;
    let store = global.open_store()?;
    let prefs_file = global.db_path()?.with_extension("prefs.json");
    let mut app = NavApp::new(store, args.route.as_deref())
        .with_db_path(global.db_path()?)
        .with_prefs_file(prefs_file)
        .with_garmin_roots(crate::devices::default_roots());
    if std::env::var_os(FIRST_FRAME_ENV).is_some() {
        app.exit_after_first_frame(started);
    }
    if let Some(spec) = &args.gps {
        let handle = spec
            .start()
            .with_context(|| format!("cannot start GPS source {spec:?}"))?;
        app.attach_source(handle);
        if args.record {
            let path = global.db_path()?;
            let sink = Store::open(&path)
                .with_context(|| format!("cannot open database {} to record", path.display()))?;
            app.attach_recorder(Recorder::new(sink, SystemClock, None));
        }
    }
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("trailatlas")
            .with_inner_size([1280.0, 800.0]),
        ..Default::default()
    };
    eframe::run_native("trailatlas", options, Box::new(|_cc| Ok(Box::new(app))))
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot open the app window ({e}); everything also works from the command line: trailatlas --help"
            )
        })?;
    Ok(ExitCode::SUCCESS)
}
