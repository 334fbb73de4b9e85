//! Navigation on real files: nearest fuel, what is ahead on a ridden track, fuel gaps.
//!
//! The fixtures are parsed with the `gpx` crate here (the project's importer is tested on its
//! own); kinds come from the Garmin `<sym>` the riders used.

use std::io::BufReader;
use std::path::Path;

use trailatlas::core::along::{DEFAULT_CORRIDOR_M, RouteLine, RouteWaypoints};
use trailatlas::core::logistics::{GapEnd, Logistics, LogisticsParams, M_PER_MILE};
use trailatlas::core::model::{LatLon, WaypointId, WaypointKind};
use trailatlas::core::nearest::WaypointIndex;

use crate::support;

struct Fixture {
    gpx: gpx::Gpx,
}

impl Fixture {
    fn open(name: &str) -> Option<Fixture> {
        let path = support::real_fixtures()?.join(name);
        Some(Fixture { gpx: read(&path) })
    }

    /// Waypoints as `(index, position, kind)`; the index doubles as the id.
    fn waypoints(&self) -> Vec<(WaypointId, LatLon, WaypointKind)> {
        self.gpx
            .waypoints
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let p = w.point();
                (
                    i as WaypointId,
                    LatLon::new(p.y(), p.x()),
                    kind_of(w.symbol.as_deref()),
                )
            })
            .collect()
    }

    fn name(&self, id: WaypointId) -> &str {
        self.gpx
            .waypoints
            .get(id as usize)
            .and_then(|w| w.name.as_deref())
            .unwrap_or("?")
    }

    fn id(&self, name: &str) -> WaypointId {
        self.gpx
            .waypoints
            .iter()
            .position(|w| w.name.as_deref() == Some(name))
            .unwrap() as WaypointId
    }

    fn track(&self, name: &str) -> RouteLine {
        let t = self
            .gpx
            .tracks
            .iter()
            .find(|t| t.name.as_deref() == Some(name))
            .unwrap();
        let pts = t
            .segments
            .iter()
            .flat_map(|s| &s.points)
            .map(|w| LatLon::new(w.point().y(), w.point().x()));
        RouteLine::new(pts.collect()).unwrap()
    }
}

fn read(path: &Path) -> gpx::Gpx {
    gpx::read(BufReader::new(std::fs::File::open(path).unwrap())).unwrap()
}

fn kind_of(sym: Option<&str>) -> WaypointKind {
    match sym {
        Some("Gas Station") => WaypointKind::Fuel,
        Some("Campground") => WaypointKind::Campground,
        Some("Lodging") => WaypointKind::Lodging,
        Some("Restaurant") => WaypointKind::Food,
        Some("Restroom") => WaypointKind::Services,
        Some("Scenic Area") => WaypointKind::Viewpoint,
        _ => WaypointKind::Other,
    }
}

#[test]
fn basecamp_fuel_ahead_from_the_start_is_guerneville_then_bodega_bay() {
    let Some(f) = Fixture::open("gpxtr-basecamp.gpx") else {
        return;
    };
    let track = f.track("Fort Ross Run tk");
    let passes = RouteWaypoints::new(&track, f.waypoints(), DEFAULT_CORRIDOR_M);
    let start = track.points()[0];
    let (here, ahead) = passes
        .ahead_of(&track, start, None, &[WaypointKind::Fuel], 5)
        .unwrap();
    assert_eq!(here.along_m, 0.0);
    let names: Vec<&str> = ahead.iter().map(|a| f.name(a.id)).collect();
    assert_eq!(names, ["76 Guerneville", "76 Bodega Bay"]);
    assert!(ahead.iter().all(|a| a.off_route_m < 100.0), "{ahead:?}");
}

#[test]
fn basecamp_stops_are_passed_in_the_order_the_route_visits_them() {
    let Some(f) = Fixture::open("gpxtr-basecamp.gpx") else {
        return;
    };
    let track = f.track("Fort Ross Run tk");
    // The route's via points that are also waypoints, in route order.
    let route_order: Vec<WaypointId> = f.gpx.routes[0]
        .points
        .iter()
        .filter_map(|p| p.name.as_deref())
        .filter(|n| {
            f.gpx
                .waypoints
                .iter()
                .any(|w| w.name.as_deref() == Some(*n))
        })
        .map(|n| f.id(n))
        .collect();
    assert_eq!(route_order.len(), 8);
    // A tight corridor: the passes come in route order, except that the rider rode past
    // 76 Guerneville to Pat's (160 m on) and came back to the pump: two passes.
    let passes = RouteWaypoints::new(&track, f.waypoints(), 150.0);
    let by_along: Vec<WaypointId> = passes.all_passes().iter().map(|p| p.id).collect();
    let names: Vec<&str> = by_along.iter().map(|id| f.name(*id)).collect();
    assert_eq!(
        names,
        [
            "Peet's Coffee Northgate Mall",
            "Nicasio Square",
            "76 Guerneville",
            "Pat's International",
            "76 Guerneville",
            "Willy's America",
            "76 Bodega Bay",
            "Point Reyes Station",
            "Starbucks Strawberry Village"
        ]
    );
    let mut rest = by_along.iter();
    assert!(
        route_order.iter().all(|id| rest.any(|p| p == id)),
        "route order is a subsequence"
    );
}

#[test]
fn basecamp_track_length_and_hinted_locate_follow_the_ride() {
    let Some(f) = Fixture::open("gpxtr-basecamp.gpx") else {
        return;
    };
    let track = f.track("Fort Ross Run tk");
    assert!(
        (300_000.0..330_000.0).contains(&track.length_m()),
        "{}",
        track.length_m()
    );
    // Replaying the ride point by point with the previous position as the hint never jumps
    // backwards by more than a few metres, even around Nicasio Square, which the ride circles
    // (point 329 lies exactly on the route 170 m earlier too; without the hint it jumps back).
    let mut hint = None;
    for (i, p) in track.points().iter().enumerate().step_by(3) {
        let l = track.locate(*p, hint).unwrap();
        if let Some(h) = hint {
            assert!(l.along_m >= h - 5.0, "point {i}: {} after {h}", l.along_m);
        }
        assert!(l.off_route_m < 1.0, "point {i}: {l:?}");
        hint = Some(l.along_m);
    }
}

#[test]
fn ich_north_nearest_fuel_to_arcata_is_a_gas_station_nearby() {
    let Some(f) = Fixture::open("gpxtr-ich-north-4.gpx") else {
        return;
    };
    let wpts = f.waypoints();
    assert_eq!(
        wpts.iter().filter(|w| w.2 == WaypointKind::Fuel).count(),
        20
    );
    let index = WaypointIndex::new(wpts.iter().copied());
    let arcata = LatLon::new(40.8665, -124.0828);
    let near = index.nearest(arcata, &[WaypointKind::Fuel], 3);
    assert_eq!(near.len(), 3);
    assert!(near.windows(2).all(|w| w[0].distance_m <= w[1].distance_m));
    assert!(near.iter().all(|n| n.kind == WaypointKind::Fuel));
    // Brute force over the file agrees.
    let mut brute: Vec<(f64, WaypointId)> = wpts
        .iter()
        .filter(|w| w.2 == WaypointKind::Fuel)
        .map(|w| (trailatlas::core::geodesy::distance_m(arcata, w.1), w.0))
        .collect();
    brute.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    assert_eq!(
        near.iter().map(|n| n.id).collect::<Vec<_>>(),
        brute.iter().take(3).map(|b| b.1).collect::<Vec<_>>()
    );
}

#[test]
fn ich_north_day_one_fuel_gaps_cover_the_day_and_fit_a_250_mile_tank() {
    let Some(f) = Fixture::open("gpxtr-ich-north-4.gpx") else {
        return;
    };
    let day1 = f.track("D1 Arcata 361 miles");
    let miles = day1.length_m() / M_PER_MILE;
    assert!((340.0..380.0).contains(&miles), "{miles}");
    let passes = RouteWaypoints::new(&day1, f.waypoints(), DEFAULT_CORRIDOR_M);
    let params = LogisticsParams {
        range_m: Some(250.0 * M_PER_MILE),
        reserve: 0.15,
        ..Default::default()
    };
    let l = Logistics::compute(&day1, std::iter::empty(), &passes, &params);
    let gaps = &l.fuel_gaps;
    assert!(gaps.len() >= 3, "{gaps:?}");
    assert_eq!(gaps.first().map(|g| g.from), Some(GapEnd::Start));
    assert_eq!(gaps.last().map(|g| g.to), Some(GapEnd::End));
    let total: f64 = gaps.iter().map(|g| g.gap_m).sum();
    assert!((total - day1.length_m()).abs() < 1e-6);
    assert!(
        gaps.iter().all(|g| g.gap_m >= 0.0 && !g.exceeds_limit),
        "{gaps:?}"
    );
    // A 100-mile tank with 15 % reserve does not make it.
    let small = LogisticsParams {
        range_m: Some(100.0 * M_PER_MILE),
        reserve: 0.15,
        ..Default::default()
    };
    let l = Logistics::compute(&day1, std::iter::empty(), &passes, &small);
    assert!(
        l.fuel_gaps.iter().any(|g| g.exceeds_limit),
        "{:?}",
        l.fuel_gaps
    );
    assert_eq!(l.elevation.max_ele_m, None);
}

// ---- The CLI, on a database built by `trailatlas import` from a GPX written here. ----

/// Metres per degree of a great circle on the mean sphere.
const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// "Test Road": 101 points due east along 44°N from 121°W to 120°W (≈80 km), climbing 0→100 m
/// and back down; fuel 100 m north of it at 120.8°W and 120.3°W, a campground at 120.5°W, a
/// fuel station 10 km off the road, and a water tap far away.
fn test_gpx() -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="trailatlas tests" xmlns="http://www.topografix.com/GPX/1/1">
"#,
    );
    let north_100m = 44.0 + 100.0 / M_PER_DEG;
    let wpts = [
        ("Fuel West", north_100m, -120.8, "Gas Station"),
        ("Fuel East", north_100m, -120.3, "Gas Station"),
        ("Camp Middle", north_100m, -120.5, "Campground"),
        ("Fuel Far", 44.09, -120.6, "Gas Station"),
        ("Tap", 45.0, -110.0, "Drinking Water"),
    ];
    for (name, lat, lon, sym) in wpts {
        s.push_str(&format!(
            "<wpt lat=\"{lat}\" lon=\"{lon}\"><name>{name}</name><sym>{sym}</sym></wpt>\n"
        ));
    }
    s.push_str("<trk><name>Test Road</name><trkseg>\n");
    for i in 0..=100 {
        let ele = 100.0 - (f64::from(i) - 50.0).abs() * 2.0;
        s.push_str(&format!(
            "<trkpt lat=\"44.0\" lon=\"{}\"><ele>{ele}</ele></trkpt>\n",
            -121.0 + f64::from(i) * 0.01
        ));
    }
    s.push_str("</trkseg></trk>\n</gpx>\n");
    s
}

struct Db {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
}

fn test_db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let gpx = dir.path().join("test-road.gpx");
    std::fs::write(&gpx, test_gpx()).unwrap();
    let db = dir.path().join("t.sqlite");
    let out = cli(&db, &["import", gpx.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Db { _dir: dir, db }
}

/// The binary under test; `TRAILATLAS_TEST_BIN` overrides it (for a shared target directory,
/// where another checkout may have replaced `target/debug/trailatlas`).
fn bin() -> std::path::PathBuf {
    std::env::var_os("TRAILATLAS_TEST_BIN").map_or_else(support::bin, std::path::PathBuf::from)
}

fn cli(db: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

fn cli_json(db: &Path, args: &[&str]) -> serde_json::Value {
    let out = cli(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn cli_text(db: &Path, args: &[&str]) -> String {
    let out = cli(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn names(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect()
}

fn near(v: &serde_json::Value, expect: f64, tol: f64) -> bool {
    (v.as_f64().unwrap() - expect).abs() <= tol
}

#[test]
fn cli_nearest_lists_fuel_nearest_first_with_distance_and_bearing() {
    let t = test_db();
    let v = cli_json(
        &t.db,
        &[
            "nearest",
            "--at",
            "44.0,-120.79",
            "--kind",
            "fuel",
            "-n",
            "2",
            "--json",
        ],
    );
    assert_eq!(names(&v), ["Fuel West", "Fuel Far"]);
    let first = &v[0];
    assert_eq!(first["kind"], "fuel");
    let expect_m =
        (100.0f64.powi(2) + (0.01 * M_PER_DEG * 44f64.to_radians().cos()).powi(2)).sqrt();
    assert!(near(&first["distance_m"], expect_m, 2.0), "{first}");
    assert!(near(&first["bearing_deg"], 277.0, 2.0), "{first}");
    assert!(first["id"].is_i64() && first["lat"].is_f64() && first["lon"].is_f64());
}

#[test]
fn cli_nearest_without_kind_includes_every_kind() {
    let t = test_db();
    let v = cli_json(
        &t.db,
        &["nearest", "--at", "45.0,-110.0", "-n", "1", "--json"],
    );
    assert_eq!(names(&v), ["Tap"]);
}

#[test]
fn cli_nearest_text_uses_units() {
    let t = test_db();
    let imperial = cli_text(
        &t.db,
        &[
            "nearest",
            "--at",
            "44.0,-120.79",
            "--kind",
            "fuel",
            "-n",
            "1",
        ],
    );
    assert!(
        imperial.contains("Fuel West") && imperial.contains(" mi "),
        "{imperial}"
    );
    let metric = cli_text(
        &t.db,
        &[
            "nearest",
            "--at",
            "44.0,-120.79",
            "--kind",
            "fuel",
            "-n",
            "1",
            "--units",
            "metric",
        ],
    );
    assert!(
        metric.contains(" m ") || metric.contains(" km "),
        "{metric}"
    );
}

#[test]
fn cli_ahead_lists_fuel_ahead_in_the_corridor_only() {
    let t = test_db();
    let v = cli_json(
        &t.db,
        &[
            "ahead",
            "--route",
            "Test Road",
            "--at",
            "44.0005,-120.6",
            "--kind",
            "fuel",
            "--json",
        ],
    );
    let along = 0.4 * M_PER_DEG * 44f64.to_radians().cos();
    assert!(near(&v["position"]["along_m"], along, 300.0), "{v}");
    assert!(near(&v["position"]["off_route_m"], 55.6, 1.0), "{v}");
    // Fuel West is behind, Fuel Far is 10 km off the road.
    assert_eq!(names(&v["ahead"]), ["Fuel East"]);
    let a = &v["ahead"][0];
    assert!(near(&a["off_route_m"], 100.0, 1.0), "{a}");
    let gap = a["along_m"].as_f64().unwrap() - v["position"]["along_m"].as_f64().unwrap();
    assert!(near(&a["ahead_m"], gap, 0.2), "{a}");
}

#[test]
fn cli_ahead_with_a_wide_corridor_and_all_kinds() {
    let t = test_db();
    let v = cli_json(
        &t.db,
        &[
            "ahead",
            "--route",
            "Test Road",
            "--at",
            "44.0,-120.9",
            "--corridor-m",
            "12000",
            "--json",
        ],
    );
    assert_eq!(
        names(&v["ahead"]),
        ["Fuel West", "Fuel Far", "Camp Middle", "Fuel East"]
    );
}

#[test]
fn cli_ahead_text_says_next_fuel() {
    let t = test_db();
    let text = cli_text(
        &t.db,
        &[
            "ahead",
            "--route",
            "Test Road",
            "--at",
            "44.0,-120.6",
            "--kind",
            "fuel",
        ],
    );
    assert!(
        text.contains("Next fuel: Fuel East in 14.9 mi (0.1 mi off route)"),
        "{text}"
    );
}

#[test]
fn cli_logistics_reports_length_climb_and_gaps() {
    let t = test_db();
    let v = cli_json(
        &t.db,
        &[
            "logistics",
            "--route",
            "Test Road",
            "--range",
            "40km",
            "--reserve",
            "10%",
            "--day",
            "30 km",
            "--json",
        ],
    );
    let len = M_PER_DEG * 44f64.to_radians().cos();
    assert!(near(&v["length_m"], len, 300.0), "{v}");
    assert!(
        near(&v["gain_m"], 100.0, 0.01) && near(&v["loss_m"], 100.0, 0.01),
        "{v}"
    );
    assert!(
        near(&v["min_ele_m"], 0.0, 0.01) && near(&v["max_ele_m"], 100.0, 0.01),
        "{v}"
    );
    assert_eq!(
        v["waypoints_by_kind"],
        serde_json::json!({"fuel": 2, "campground": 1})
    );
    // Fuel at 0.2° and 0.7° of 1° (≈80 km): gaps 16, 40 and 24 km against 36 km usable.
    let fuel = v["fuel_gaps"].as_array().unwrap();
    let ends: Vec<(&str, &str, bool)> = fuel
        .iter()
        .map(|g| {
            (
                g["from"].as_str().unwrap(),
                g["to"].as_str().unwrap(),
                g["exceeds_range"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ends,
        [
            ("start", "Fuel West", false),
            ("Fuel West", "Fuel East", true),
            ("Fuel East", "end", false)
        ]
    );
    assert!(near(&fuel[1]["gap_m"], 0.5 * len, 200.0), "{}", fuel[1]);
    // The campground at 0.5° (≈40 km) is more than a 30 km day from either end.
    let camp: Vec<bool> = v["camp_gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["exceeds_day"].as_bool().unwrap())
        .collect();
    assert_eq!(camp, [true, true]);
}

#[test]
fn cli_logistics_text_flags_long_gaps() {
    let t = test_db();
    let text = cli_text(
        &t.db,
        &[
            "logistics",
            "--route",
            "Test Road",
            "--range",
            "20mi",
            "--units",
            "metric",
        ],
    );
    assert!(
        text.contains("Fuel West -> Fuel East  !! LONGER THAN RANGE"),
        "{text}"
    );
    assert!(text.contains("Test Road: 80.0 km"), "{text}");
}

#[test]
fn cli_unknown_route_is_one_line_on_stderr_and_exit_1() {
    let t = test_db();
    let out = cli(
        &t.db,
        &["ahead", "--route", "Nowhere", "--at", "44.0,-120.6"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("Nowhere"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn cli_bad_range_is_rejected() {
    let t = test_db();
    let out = cli(
        &t.db,
        &[
            "logistics",
            "--route",
            "Test Road",
            "--range",
            "25 furlongs",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read distance"));
}
