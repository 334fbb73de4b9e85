//! Cartography benchmark (issue 13): the screen map's frame build at every zoom, and a
//! 100-page atlas, on a state-size map with terrain.
//!
//!     cargo build --release --bins --examples
//!     target/release/examples/map_state target/bench-data/state.osm.pbf
//!     target/release/examples/map_screen_bench [--pbf target/bench-data/state.osm.pbf]
//!
//! Setup, kept between runs in `target/bench-data/screen-state.sqlite`: the state-size
//! extract of the map import benchmark (Liechtenstein tiled 140 times over 9.47–11.87° E,
//! 47.04–50.04° N), twelve SRTM tiles over it (the Andorra tile's real relief under each
//! name N47E009 … N50E011), and a 1,000,000-point route snaking over the whole map
//! (six north–south legs, about 2,000 km).
//!
//! Frame build: the app itself (`NavApp` over the database, headless through egui_kittest at
//! 1280 × 800), its map loaded by the map loader and its map layer built by the layer worker
//! for each zoom; then the layer build alone (what the worker does), a zoom frame (a wheel
//! step: the old layer drawn scaled while the worker builds), 30 panned frames (the layer
//! moved; past its margin the worker builds the next), each as the view scene alone and as
//! the whole UI frame (every panel laid out, the scene painted to egui shapes and
//! tessellated). Reference, same zooms: the scene without the map (route, waypoints, frames
//! only), which the app built before the map existed.
//!
//! Atlas: `trailatlas atlas` (the release binary) over that route at 1:100,000, with the map,
//! hillshade and contours; pages, seconds, bytes per page. Reference: the same atlas of a
//! database holding only the route (no map, no terrain).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "common/app_bench.rs"]
mod app_bench;

use app_bench::{harness, median, time_ms};
use trailatlas::app::NavApp;
use trailatlas::core::model::LatLon;
use trailatlas::import::dem::DemLimits;
use trailatlas::scene::view::ViewSpec;
use trailatlas::store::{FileStatus, ImportOptions, MapImportOptions, Store};

const ROUTE_POINTS: usize = 1_000_000;

/// The route: six legs north and south over the map, joined at their ends.
fn write_route(path: &Path) {
    let legs: Vec<(f64, f64, f64, f64)> = (0..6)
        .map(|i| {
            let lon = 9.65 + f64::from(i) * 0.4;
            if i % 2 == 0 {
                (47.15, lon, 49.9, lon + 0.05)
            } else {
                (49.9, lon, 47.15, lon + 0.05)
            }
        })
        .collect();
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        w,
        r#"<?xml version="1.0"?><gpx version="1.1" creator="bench" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>State snake</name><trkseg>"#
    )
    .unwrap();
    let per = ROUTE_POINTS / legs.len();
    for (a_lat, a_lon, b_lat, b_lon) in legs {
        for k in 0..per {
            let t = k as f64 / per as f64;
            // A gentle wiggle so the line is not straight.
            let wig = (t * 400.0).sin() * 0.01;
            let lat = a_lat + t * (b_lat - a_lat);
            let lon = a_lon + t * (b_lon - a_lon) + wig;
            writeln!(w, r#"<trkpt lat="{lat:.7}" lon="{lon:.7}"/>"#).unwrap();
        }
    }
    writeln!(w, "</trkseg></trk></gpx>").unwrap();
}

fn srtm_bytes(root: &Path) -> Vec<u8> {
    let zip = root.join("../shared/fixtures/maps/N42E001.hgt.zip");
    let f = std::fs::File::open(&zip).expect("the Andorra SRTM tile in ../shared");
    let mut a = zip::ZipArchive::new(f).unwrap();
    let mut e = a.by_index(0).unwrap();
    let mut out = Vec::new();
    e.read_to_end(&mut out).unwrap();
    out
}

fn build_db(db: &Path, pbf: &Path, root: &Path, with_map: bool) {
    let work = db.parent().unwrap();
    let mut store = Store::open(db).unwrap();
    let route = work.join("state-snake.gpx");
    if !route.exists() {
        write_route(&route);
    }
    let t = Instant::now();
    let r = store.import_file(&route, ImportOptions::default(), &mut |_| {});
    assert!(r.error.is_none(), "{r:?}");
    eprintln!("route imported in {:.1} s", t.elapsed().as_secs_f64());
    if !with_map {
        return;
    }
    let t = Instant::now();
    let r = store.import_map_file(pbf, MapImportOptions::default(), &mut |_| {});
    assert!(r.error.is_none(), "{:?}", r.error);
    eprintln!("map imported in {:.1} s", t.elapsed().as_secs_f64());
    let hgt = srtm_bytes(root);
    let t = Instant::now();
    for lat in 47..=50 {
        for lon in 9..=11 {
            let name = format!("N{lat:02}E{lon:03}.hgt");
            let r = store.import_dem_bytes(&name, &hgt, &DemLimits::default());
            assert_eq!(r.status, FileStatus::Imported, "{:?}", r.error);
        }
    }
    eprintln!(
        "12 DEM tiles imported in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = root.join("target/bench-data");
    std::fs::create_dir_all(&work).unwrap();
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let pbf = arg("--pbf").map_or_else(|| work.join("state.osm.pbf"), PathBuf::from);
    if !pbf.exists() {
        eprintln!(
            "{} is missing: run target/release/examples/map_state {} first",
            pbf.display(),
            pbf.display()
        );
        std::process::exit(2);
    }
    let db = work.join("screen-state.sqlite");
    if !db.exists() {
        build_db(&db, &pbf, &root, true);
    }
    let bare = work.join("screen-route-only.sqlite");
    if !bare.exists() {
        build_db(&bare, &pbf, &root, false);
    }

    println!("screen frame build, 1280 x 800 window, state-size map with terrain");
    println!(
        "| zoom (scale) | items | map layer build (on its worker) | zoom frame (the old layer scaled in): scene / whole UI frame, medians | panning (30 frames of 1.5 mm): scene median / worst | whole UI frame panning: median / worst | reference: scene without the map | map load on the worker |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut app = NavApp::new(Store::open(&db).unwrap(), None);
    app.wait_idle();
    let mut h = harness(app);
    h.run_steps(3);
    let size = h.state().model.view.size_mm;
    let centre = LatLon::new(48.55, 10.45);
    for m_per_mm in [2_000.0, 1_000.0, 400.0, 100.0, 24.0, 10.0] {
        let spec = ViewSpec {
            center: centre,
            m_per_mm,
            size_mm: size,
            rotation_deg: 0.0,
        };
        let t = Instant::now();
        {
            let m = &mut h.state_mut().model;
            m.prefs.follow = false;
            m.view = spec;
        }
        h.step();
        h.state_mut().wait_idle();
        h.step();
        let load_ms = t.elapsed().as_secs_f64() * 1e3;
        h.state_mut().wait_idle();
        let model = &h.state().model;
        let items = model.view_scene().items.len();
        // The layer build, which the app's worker does: timed as the scene of a copy of the
        // model without the worker (it then builds the layer itself), its cache emptied.
        let build_ms = {
            let m = model.clone();
            time_ms(10, || {
                m.map_layer.replace(Default::default());
                std::hint::black_box(m.view_scene());
            })
        };
        if std::env::var_os("BREAKDOWN").is_some() {
            use trailatlas::scene::layers::MapLayers;
            let all = MapLayers::default();
            let offs: [(&str, MapLayers); 7] = [
                (
                    "roads",
                    MapLayers {
                        roads: false,
                        ..all
                    },
                ),
                (
                    "water",
                    MapLayers {
                        water: false,
                        ..all
                    },
                ),
                (
                    "land",
                    MapLayers {
                        land: false,
                        public_land: false,
                        ..all
                    },
                ),
                (
                    "places",
                    MapLayers {
                        places: false,
                        ..all
                    },
                ),
                ("pois", MapLayers { pois: false, ..all }),
                (
                    "contours",
                    MapLayers {
                        contours: false,
                        ..all
                    },
                ),
                (
                    "hillshade",
                    MapLayers {
                        hillshade: false,
                        ..all
                    },
                ),
            ];
            for (name, l) in offs {
                let mut m = model.clone();
                m.prefs.layers = l;
                let ms = time_ms(5, || {
                    m.map_layer.replace(Default::default());
                    std::hint::black_box(m.view_scene());
                });
                eprintln!(
                    "  1:{:.0} without {name}: {ms:.1} ms (all: {build_ms:.1})",
                    m_per_mm * 1000.0
                );
            }
        }
        let mut bare_model = model.clone();
        bare_model.map_view = Default::default();
        bare_model.map_layer.replace(Default::default());
        let ref_ms = time_ms(20, || {
            std::hint::black_box(bare_model.view_scene());
        });
        // The app as it runs: the layer for this zoom built by its worker.
        h.state_mut().wait_idle();
        h.step();
        // A zoom (a wheel step in, 1.25 times): the frame draws the layer it has scaled into
        // place and asks the worker for one; scene alone, then the whole UI frame.
        let zoomed = ViewSpec {
            m_per_mm: m_per_mm / 1.25,
            ..spec
        };
        let mut zoom_scene = Vec::new();
        let mut zoom_ui = Vec::new();
        for _ in 0..5 {
            h.state_mut().model.view = zoomed;
            let t = Instant::now();
            std::hint::black_box(h.state().model.view_scene());
            zoom_scene.push(t.elapsed().as_secs_f64() * 1e3);
            h.state_mut().model.view = spec;
            h.state_mut().wait_idle();
            h.step();
            h.state_mut().model.view = zoomed;
            let t = Instant::now();
            h.step();
            zoom_ui.push(t.elapsed().as_secs_f64() * 1e3);
            h.state_mut().model.view = spec;
            h.state_mut().wait_idle();
            h.step();
        }
        let worst = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
        // Panning: each frame 1.5 mm further (past the layer's margin once in 30, where the
        // worker builds the next while the old one is drawn).
        let pans: Vec<f64> = (0..30)
            .map(|_| {
                let v = h.state().model.view.panned([1.5, 0.0]);
                h.state_mut().model.view = v;
                let t = Instant::now();
                std::hint::black_box(h.state().model.view_scene());
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        let (pan_med, pan_worst) = (median(pans.clone()), worst(&pans));
        h.state_mut().model.view = spec;
        h.state_mut().wait_idle();
        h.step();
        // The whole UI frame, 30 panned.
        let ui: Vec<f64> = (0..30)
            .map(|_| {
                let v = h.state().model.view.panned([1.5, 0.0]);
                h.state_mut().model.view = v;
                let t = Instant::now();
                h.step();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        let scale = m_per_mm * 1000.0;
        println!(
            "| 1:{scale:.0} | {items} | {build_ms:.1} ms | {:.2} / {:.1} ms | {pan_med:.2} / {pan_worst:.1} ms | {:.1} / {:.1} ms | {ref_ms:.2} ms | {load_ms:.0} ms |",
            median(zoom_scene),
            median(zoom_ui),
            median(ui.clone()),
            worst(&ui),
        );
        // Back to the centre for the next zoom.
        h.state_mut().model.view = spec;
    }

    // The trailatlas binary of the same build, beside the examples directory.
    let bin = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("trailatlas"))
        .unwrap();
    if !bin.exists() {
        eprintln!("{} missing: cargo build --release --bins", bin.display());
        return;
    }
    println!();
    println!("atlas of the 1,000,000-point route at 1:100,000, letter");
    println!("| database | pages | time | PDF | per page |");
    println!("|---|---|---|---|---|");
    for (label, db) in [("map + terrain", &db), ("reference: route only", &bare)] {
        let out = work.join("screen-atlas.pdf");
        let layout = work.join("screen-atlas.json");
        let t = Instant::now();
        let st = Command::new(&bin)
            .arg("--db")
            .arg(db)
            .args([
                "atlas",
                "--route",
                "State snake",
                "--scale",
                "1:100000",
                "-o",
            ])
            .arg(&out)
            .arg("--layout-json")
            .arg(&layout)
            .status()
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert!(st.success());
        let bytes = std::fs::metadata(&out).unwrap().len();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&layout).unwrap()).unwrap();
        let pages = json["pages"].as_array().map_or(0, Vec::len);
        println!(
            "| {label} | {pages} | {secs:.1} s | {:.1} MB | {:.0} KB |",
            bytes as f64 / 1e6,
            bytes as f64 / 1e3 / pages.max(1) as f64
        );
    }
}
