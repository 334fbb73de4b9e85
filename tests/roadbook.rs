//! The roadbook and the tactical overview end to end: the bundled Andorra sample (GPX, OSM
//! extract and SRTM tile in `data/`) imported into a real database file, then `trailatlas
//! roadbook`, `overview` and `logistics` as a user runs them; and the stored match, reused
//! while the map is unchanged and redone when a map file is imported.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use trailatlas::core::along::RouteLine;
use trailatlas::store::{ImportOptions, MapImportOptions, Store};

use crate::pbf_writer::Pbf;
use crate::support::bin;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

fn run(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(db: &Path, args: &[&str]) -> Value {
    let (code, out, err) = run(db, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

/// A database with the sample trip, its map and its terrain.
fn sample_db(dir: &Path) -> PathBuf {
    let db = dir.join("t.db");
    for args in [
        vec!["import", data("sample-andorra-loop.gpx").to_str().unwrap()],
        vec!["map", "import", data("andorra.osm.pbf").to_str().unwrap()],
        vec![
            "terrain",
            "import",
            data("N42E001.hgt.zip").to_str().unwrap(),
        ],
    ] {
        let (code, _, err) = run(&db, &args);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    db
}

fn km(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn surface_sum(s: &Value) -> f64 {
    ["paved", "gravel", "dirt", "track", "unknown", "off_map"]
        .iter()
        .map(|k| km(&s[*k]))
        .sum()
}

#[test]
fn the_sample_loop_is_on_the_map_road_by_road() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let v = json(&db, &["roadbook", "--route", "1", "--json"]);
    let length = km(&v["length_km"]);
    assert!(v["map"].as_bool().unwrap());
    // The parts sum to the route's length (each rounded to 0.1 km).
    let sum = surface_sum(&v["surface_km"]);
    assert!((sum - length).abs() <= 0.4, "{sum} vs {length}");
    // The sample lies on OSM roads (ARCHITECTURE.md): next to nothing is off the map.
    let off = km(&v["surface_km"]["off_map"]);
    assert!(off <= 0.01 * length, "{off} km off the map of {length}");
    // It is mostly paved with a track section (data/make_sample.py made it so).
    assert!(km(&v["surface_km"]["paved"]) > 0.5 * length);
    assert!(km(&v["surface_km"]["track"]) > 1.0);
    let stretches = v["stretches"].as_array().unwrap();
    assert!(stretches.len() > 20);
    assert_eq!(km(&stretches[0]["from_km"]), 0.0);
    for w in stretches.windows(2) {
        assert_eq!(w[0]["to_km"], w[1]["from_km"]);
    }
    let cues = v["cues"].as_array().unwrap();
    assert_eq!(cues[0]["what"], "start");
    assert!(
        cues.iter()
            .any(|c| c["what"] == "left" || c["what"] == "right")
    );
    assert!(cues.iter().all(|c| !c["text"].as_str().unwrap().is_empty()));
    // Fuel and camps passed, with names.
    let stops = v["stops"].as_array().unwrap();
    assert!(stops.iter().any(|s| s["kind"] == "fuel"));
    // The text form says the same.
    let (code, text, _) = run(&db, &["roadbook", "--route", "1", "--units", "metric"]);
    assert_eq!(code, 0);
    assert!(text.contains("start on "), "{text}");
    assert!(text.contains("Surface: "), "{text}");
    assert!(text.contains("[fuel +"), "{text}");
}

#[test]
fn the_overview_splits_by_day_and_warns_of_fuel_and_camps() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let v = json(
        &db,
        &[
            "overview", "--route", "1", "--range", "30km", "--day", "40km", "--json",
        ],
    );
    let length = km(&v["length_km"]);
    assert!((surface_sum(&v["surface_km"]) - length).abs() <= 0.4);
    let sections = v["sections"].as_array().unwrap();
    // 118 km at 40 km a day: three days.
    assert_eq!(sections.len(), 3, "{sections:?}");
    assert_eq!(km(&sections[0]["from_km"]), 0.0);
    assert!((km(&sections[2]["to_km"]) - length).abs() < 0.1);
    for w in sections.windows(2) {
        assert_eq!(w[0]["to_km"], w[1]["from_km"]);
    }
    let mut total = 0.0;
    for s in sections {
        let len = km(&s["length_km"]);
        total += len;
        assert!((surface_sum(&s["surface_km"]) - len).abs() <= 0.4, "{s}");
        assert!(s["climb_m"].as_f64().unwrap() > 100.0, "mountains: {s}");
        assert!(s["highest_m"].as_f64().unwrap() > 1000.0);
        for key in ["fuel", "camps", "warnings"] {
            assert!(s[key].is_array());
        }
    }
    assert!((total - length).abs() < 0.3);
    // Andorra has fuel everywhere but few campgrounds: 40 km days show the camp gaps.
    let all: Vec<String> = sections
        .iter()
        .flat_map(|s| s["warnings"].as_array().unwrap().clone())
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    assert!(
        all.iter().any(|w| w.starts_with("no campground for ")),
        "{all:?}"
    );
    assert!(all.iter().any(|w| w.contains("of 4x4 track")), "{all:?}");
    // With the terrain model, the steep valleys show as stretches with no flat ground.
    assert!(
        sections
            .iter()
            .all(|s| s["longest_without_flat_km"].is_number())
    );
    assert!(
        all.iter()
            .any(|w| w.starts_with("no flat ground to camp for ")),
        "{all:?}"
    );
}

#[test]
fn a_short_range_says_where_to_fill_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    for args in [
        vec!["import", data("sample-andorra-loop.gpx").to_str().unwrap()],
        vec!["map", "import", data("andorra.osm.pbf").to_str().unwrap()],
    ] {
        assert_eq!(run(&db, &args).0, 0);
    }
    // GPX waypoints only: the sample's fuel stops are few; a 10 km range cannot bridge
    // the longest gap.
    let v = json(
        &db,
        &[
            "overview", "--route", "1", "--range", "10km", "--source", "gpx", "--json",
        ],
    );
    let warnings: Vec<String> = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["warnings"].as_array().unwrap().clone())
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    let fill: Vec<&String> = warnings
        .iter()
        .filter(|w| w.starts_with("fill up at ") && w.contains(": next fuel in "))
        .collect();
    assert!(!fill.is_empty(), "{warnings:?}");
    assert!(
        fill.iter().any(|w| w.contains("beyond your usable range")),
        "{fill:?}"
    );
    let route_warnings = v["warnings"].as_array().unwrap();
    assert!(
        route_warnings
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("longest fuel gap ")),
        "{route_warnings:?}"
    );
    // No terrain model imported here: flat ground is unknown, not absent.
    assert!(v["sections"][0]["longest_without_flat_km"].is_null());
    // And logistics gives the same surface figures.
    let l = json(&db, &["logistics", "--route", "1", "--json"]);
    assert_eq!(l["surface_km"], v["surface_km"]);
}

#[test]
fn without_map_data_the_route_is_all_off_the_map_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    assert_eq!(
        run(
            &db,
            &["import", data("sample-andorra-loop.gpx").to_str().unwrap()]
        )
        .0,
        0
    );
    let v = json(&db, &["overview", "--route", "1", "--json"]);
    assert_eq!(v["map"], false);
    assert!((km(&v["surface_km"]["off_map"]) - km(&v["length_km"])).abs() < 0.2);
    let (code, text, _) = run(&db, &["roadbook", "--route", "1"]);
    assert_eq!(code, 0);
    assert!(text.contains("No map data"), "{text}");
}

#[test]
fn a_match_is_stored_and_redone_when_the_map_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mut store = Store::open(&path).unwrap();
    let r = store.import_file(
        &data("sample-andorra-loop.gpx"),
        ImportOptions::default(),
        &mut |_| {},
    );
    assert!(r.error.is_none(), "{:?}", r.error);
    let rep = store.import_map_file(
        &data("andorra.osm.pbf"),
        MapImportOptions::default(),
        &mut |_| {},
    );
    assert!(rep.error.is_none());
    let line = store.lines().unwrap()[0].clone();
    let stored = store.line(line.id).unwrap();
    let route = RouteLine::new(stored.points().map(|p| p.pos).collect()).unwrap();
    let first = store
        .route_match(line.id, route.points(), route.chainage_m())
        .unwrap();
    assert!(first.computed);
    drop(store);
    // Read back from the file by a new connection: the same stretches and roads' names.
    let mut store = Store::open(&path).unwrap();
    let again = store
        .route_match(line.id, route.points(), route.chainage_m())
        .unwrap();
    assert!(!again.computed);
    assert_eq!(again.stretches.len(), first.stretches.len());
    for (a, b) in again.stretches.iter().zip(&first.stretches) {
        assert!((a.from_m - b.from_m).abs() < 1e-6 && (a.to_m - b.to_m).abs() < 1e-6);
        assert_eq!(again.road(a).map(|r| r.osm), first.road(b).map(|r| r.osm));
        assert_eq!(
            again.road(a).map(|r| r.name.clone()),
            first.road(b).map(|r| r.name.clone())
        );
    }
    // Another map file imported: the stamp changes and the route is matched again.
    let mut pbf = Pbf::new();
    pbf.node(1, 10.0, 10.0, &[]).node(2, 10.001, 10.0, &[]);
    pbf.way(1, &[1, 2], &[("highway", "track")]);
    let mut bytes = Vec::new();
    pbf.write_to(&mut bytes).unwrap();
    let rep = store.import_map_bytes("other.osm.pbf", &bytes);
    assert!(rep.error.is_none(), "{:?}", rep.error);
    let redone = store
        .route_match(line.id, route.points(), route.chainage_m())
        .unwrap();
    assert!(redone.computed);
    assert_eq!(redone.stretches.len(), first.stretches.len());
}

fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("-v").output().is_ok();
    if !ok {
        eprintln!("skipping: {tool} (poppler-utils) is not installed");
    }
    ok
}

/// The printed book of the sample: the overview page after the index, and the cue sheet
/// with the road cues and the OSM POIs passed, read back with poppler.
#[test]
fn the_atlas_prints_the_overview_and_the_roads_in_the_cue_sheet() {
    if !have("pdftotext") || !have("pdfinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let pdf = dir.path().join("book.pdf");
    let (code, out, err) = run(
        &db,
        &[
            "atlas",
            "--route",
            "1",
            "--scale",
            "1:100000",
            "--range",
            "10mi",
            "--day",
            "40mi",
            "-o",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("index, overview + "), "{out}");
    let page_text = |n: u32| {
        let o = Command::new("pdftotext")
            .args(["-f", &n.to_string(), "-l", &n.to_string(), "-layout"])
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    // PDF page 2 is the overview: sections, surface, warnings.
    let overview = page_text(2);
    assert!(
        overview.contains("Sample Andorra Loop: overview"),
        "{overview}"
    );
    assert!(overview.contains("Section 1: "), "{overview}");
    assert!(overview.contains("Section 2: "), "{overview}");
    assert!(overview.contains("paved"), "{overview}");
    assert!(overview.contains("!! fill up at "), "{overview}");
    assert!(overview.contains("no campground for "), "{overview}");
    // Page 3 of the PDF is map page 2: the numbering of map pages is unchanged.
    assert!(page_text(3).contains("Page 2") || page_text(3).contains("2"));
    // The cue sheet: road cues and stops in one list.
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let pages: u32 = String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let cue: String = (4..=pages).map(page_text).collect();
    assert!(cue.contains("cue sheet"), "{cue}");
    assert!(cue.contains("start on CG-1"), "{cue}");
    assert!(
        cue.contains("left onto ") && cue.contains("right onto "),
        "{cue}"
    );
    assert!(cue.contains("4x4 track"), "{cue}");
    assert!(cue.contains("Gasopas Grau Roig"), "{cue}");
}
