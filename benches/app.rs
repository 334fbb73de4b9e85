//! Desktop app benchmark (issue 7) on a generated 1,000,000-point database (the import
//! benchmark's file: one 1 M-point track, 10,000 waypoints).
//!
//! - Startup to first frame, in a child process each time (peak RSS from `wait4`): the app
//!   state built over the database and one whole frame laid out by egui (headless, through
//!   egui_kittest). Reference: the same child only opening the store and reading the track.
//!   The real window under X is timed by `bench/app-startup.sh` (`first_frame_ms`).
//! - Map frame build at the zoom that shows the whole track and at a close zoom (about 1 km
//!   across): the view scene from the level-of-detail lines, and the whole UI frame.
//!   Reference: the same scene from the line at full detail only (every visible point
//!   projected and thinned on the fly, as before level of detail).
//!
//! `cargo bench --bench app` (add `-- --points N` for another size).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[path = "child.rs"]
mod child;
#[path = "../tests/gen.rs"]
mod generator;

#[path = "../examples/common/app_bench.rs"]
mod app_bench;

use app_bench::{harness, median, time_ms};
use trailatlas::app::NavApp;
use trailatlas::core::model::LatLon;
use trailatlas::scene::view::{ViewData, ViewLine, ViewLineRef, ViewSpec, build_view_scene};
use trailatlas::store::{ImportOptions, Store};

/// Child: open the store, build the app, lay out the first frame; print the time.
fn child_startup(db: &Path) {
    let t = Instant::now();
    let store = Store::open(db).unwrap();
    let app = NavApp::new(store, None);
    let mut h = harness(app);
    h.step();
    println!("{:.3}", t.elapsed().as_secs_f64() * 1e3);
}

/// Child: open the store and read the track's points (the floor under any startup).
fn child_read(db: &Path) {
    let t = Instant::now();
    let store = Store::open(db).unwrap();
    let lines = store.lines().unwrap();
    let n: usize = lines
        .iter()
        .map(|l| store.line(l.id).unwrap().points().count())
        .sum();
    assert!(n > 0);
    println!("{:.3}", t.elapsed().as_secs_f64() * 1e3);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child-startup") {
        return child_startup(Path::new(&args[i + 1]));
    }
    if let Some(i) = args.iter().position(|a| a == "--child-read") {
        return child_read(Path::new(&args[i + 1]));
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let points: usize = args
        .iter()
        .position(|a| a == "--points")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let gpx = generator::bench_gpx(points);
    let dir = gpx.parent().unwrap().to_path_buf();
    let db = dir.join(format!("app-{points}.sqlite"));
    if !db.exists() {
        eprintln!("importing into {} ...", db.display());
        let mut store = Store::open(&db).unwrap();
        let r = store.import_file(&gpx, ImportOptions::default(), &mut |_| {});
        assert!(r.error.is_none(), "{r:?}");
    }
    let me = std::env::current_exe().unwrap();
    let run = |flag: &str| {
        let mut c = Command::new(&me);
        c.arg(flag).arg(&db);
        child::measure(c)
    };
    let startup: Vec<child::Run> = (0..5).map(|_| run("--child-startup")).collect();
    let read: Vec<child::Run> = (0..5).map(|_| run("--child-read")).collect();
    let ms =
        |v: &[child::Run]| median(v.iter().map(|r| r.stdout.trim().parse().unwrap()).collect());
    let rss = |v: &[child::Run]| median(v.iter().map(|r| r.peak_rss_mb).collect());
    let (startup_ms, read_ms) = (ms(&startup), ms(&read));
    println!("app startup, {points}-point database");
    println!(
        "  store + app state + first frame: {startup_ms:8.1} ms  peak RSS {:6.1} MB  (target 500 ms, 200 MB)",
        rss(&startup)
    );
    println!(
        "  reference, open + read the track: {read_ms:7.1} ms  peak RSS {:6.1} MB  ratio {:.2}x",
        rss(&read),
        startup_ms / read_ms
    );

    // Frame build.
    let store = Store::open(&db).unwrap();
    let mut app = NavApp::new(store, None);
    app.wait_idle();
    app.refresh();
    let path = app.model.route_path().to_vec();
    let full = ViewLine::full_detail_only(path.clone());
    let whole = app.model.view;
    let mid = path[path.len() / 2];
    let close = ViewSpec {
        center: mid,
        m_per_mm: 5.0,
        ..whole
    };
    println!(
        "map frame build ({} x {} mm view)",
        whole.size_mm.0, whole.size_mm.1
    );
    let mut h = harness(app);
    h.step();
    for (name, spec) in [("whole track", whole), ("close (1 km)", close)] {
        h.state_mut().model.view = spec;
        h.state_mut().model.prefs.follow = false;
        let model = &h.state().model;
        let scene_ms = time_ms(30, || {
            std::hint::black_box(model.view_scene());
        });
        let reference_ms = time_ms(10, || {
            let data = ViewData {
                route: Some(ViewLineRef {
                    line: &full,
                    color: None,
                }),
                graticule: true,
                ..Default::default()
            };
            std::hint::black_box(build_view_scene(&spec, &data, &model.scene_options()));
        });
        let items = model.view_scene().items.len();
        let frame_ms = time_ms(20, || h.step());
        println!(
            "  {name:13} scene {scene_ms:6.2} ms ({items} items)  whole UI frame {frame_ms:6.2} ms  (target 8 ms)  reference full-detail scene {reference_ms:7.2} ms  ratio {:.3}x",
            scene_ms / reference_ms
        );
    }
    let _ = LatLon::default();
}
