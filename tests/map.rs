//! OpenStreetMap map data: the real extracts against osmium as the oracle (per-class
//! kilometres within 0.5 %, POI and place counts exact), generated extracts for every
//! feature (multipolygons with holes, broken relations, ways cut at the extract's edge,
//! closed-way and relation POIs), bad files through the real binary, re-import and
//! replacement, the corridor, scale filtering, OSM POIs in `nearest`/`ahead`/`logistics`,
//! SIGKILL during a map import, and the v1 database gaining the map tables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::support::maps;
use serde_json::Value;
use trailatlas::core::map::{AreaKind, PoiKind, RoadClass, Surface};
use trailatlas::core::model::{BBox, LatLon};
use trailatlas::import::osm::{MapCollect, ReadOptions, read_bytes};
use trailatlas::store::{FileStatus, Store};

use crate::generator::Rng;
use crate::pbf_writer::Pbf;
use crate::support::bin;

fn have_osmium() -> bool {
    let ok = Command::new("osmium")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipping: osmium (osmium-tool) is not installed");
    }
    ok
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(db: &Path, args: &[&std::ffi::OsStr]) -> Run {
    let out = Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr))
}

fn map_info(db: &Path) -> Value {
    let r = run(db, &["map".as_ref(), "info".as_ref(), "--json".as_ref()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    json_of(&r)
}

fn import(db: &Path, files: &[&Path]) -> Run {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["map".as_ref(), "import".as_ref(), "--json".as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    run(db, &args)
}

// ---- the osmium oracle ----

fn haversine_m(a: &Value, b: &Value) -> f64 {
    let p = |v: &Value| LatLon::new(v[1].as_f64().unwrap(), v[0].as_f64().unwrap());
    trailatlas::core::geodesy::distance_m(p(a), p(b))
}

fn line_m(coords: &Value) -> f64 {
    let c = coords.as_array().unwrap();
    c.windows(2).map(|w| haversine_m(&w[0], &w[1])).sum()
}

struct Oracle {
    roads_km: BTreeMap<String, f64>,
    /// POIs of the four checked kinds: distinct (type, id) as points or areas.
    pois: BTreeMap<&'static str, usize>,
    places: usize,
}

/// `osmium export` as GeoJSON: highway ways as lines (a closed way osmium makes both a line
/// and an area of is counted once, by its line; one osmium makes only an area of, by its
/// ring), POIs as nodes and areas.
fn osmium_oracle(pbf: &Path) -> Oracle {
    let out = Command::new("osmium")
        .args([
            "export",
            "-f",
            "geojsonseq",
            "-a",
            "type,id",
            "-x",
            "print_record_separator=false",
            "-O",
            "-o",
            "-",
        ])
        .arg(pbf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines: BTreeMap<(String, i64), (String, f64)> = BTreeMap::new();
    let mut rings: BTreeMap<(String, i64), (String, f64)> = BTreeMap::new();
    let mut pois: BTreeMap<&'static str, std::collections::BTreeSet<(String, i64)>> =
        BTreeMap::new();
    let mut places = std::collections::BTreeSet::new();
    for l in text.lines() {
        let l = l.trim_matches('\u{1e}');
        if l.is_empty() {
            continue;
        }
        let f: Value = serde_json::from_str(l).unwrap();
        let p = &f["properties"];
        let g = &f["geometry"];
        let key = (
            p["@type"].as_str().unwrap().to_string(),
            p["@id"].as_i64().unwrap(),
        );
        let gt = g["type"].as_str().unwrap();
        if let (Some(hw), "way") = (p["highway"].as_str(), key.0.as_str()) {
            match gt {
                "LineString" => {
                    lines.insert(key.clone(), (hw.to_string(), line_m(&g["coordinates"])));
                }
                "Polygon" => {
                    rings.insert(key.clone(), (hw.to_string(), line_m(&g["coordinates"][0])));
                }
                "MultiPolygon" => {
                    rings.insert(
                        key.clone(),
                        (hw.to_string(), line_m(&g["coordinates"][0][0])),
                    );
                }
                _ => {}
            }
        }
        let point_or_area = matches!(gt, "Point" | "Polygon" | "MultiPolygon");
        for (k, v, name) in [
            ("amenity", "fuel", "fuel"),
            ("tourism", "camp_site", "camp_site"),
            ("amenity", "drinking_water", "drinking_water"),
            ("natural", "peak", "peak"),
        ] {
            if p[k] == v && point_or_area {
                pois.entry(name).or_default().insert(key.clone());
            }
        }
        let kinds = [
            "city",
            "town",
            "village",
            "hamlet",
            "locality",
            "isolated_dwelling",
        ];
        if point_or_area
            && p["name"].is_string()
            && p["place"].as_str().is_some_and(|k| kinds.contains(&k))
        {
            places.insert(key);
        }
    }
    let mut roads_km = BTreeMap::new();
    for (k, (hw, m)) in &rings {
        if !lines.contains_key(k) {
            *roads_km.entry(hw.clone()).or_insert(0.0) += m / 1000.0;
        }
    }
    for (hw, m) in lines.values() {
        *roads_km.entry(hw.clone()).or_insert(0.0) += m / 1000.0;
    }
    Oracle {
        roads_km,
        pois: pois.into_iter().map(|(k, v)| (k, v.len())).collect(),
        places: places.len(),
    }
}

fn check_against_osmium(name: &str) {
    let (Some(dir), true) = (maps(), have_osmium()) else {
        return;
    };
    let pbf = dir.join(name);
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let r = import(&db, &[&pbf]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let info = map_info(&db);
    let oracle = osmium_oracle(&pbf);
    let ours = info["roads_km"].as_object().unwrap();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        oracle.roads_km.keys().collect::<Vec<_>>(),
        "highway values"
    );
    for (hw, want) in &oracle.roads_km {
        let got = ours[hw].as_f64().unwrap();
        let rel = (got - want).abs() / want.max(1e-9);
        assert!(rel <= 0.005, "{name} {hw}: {got} km, osmium {want} km");
    }
    for kind in ["fuel", "camp_site", "drinking_water", "peak"] {
        let want = oracle.pois.get(kind).copied().unwrap_or(0) as u64;
        let got = info["pois"][kind].as_u64().unwrap_or(0);
        assert_eq!(got, want, "{name}: {kind}");
    }
    assert_eq!(
        info["places"].as_u64().unwrap(),
        oracle.places as u64,
        "{name}: places"
    );
    let files = info["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert!(files[0]["osm_timestamp"].is_string(), "{info}");
}

#[test]
fn andorra_matches_osmium() {
    check_against_osmium("andorra.osm.pbf");
}

#[test]
fn liechtenstein_matches_osmium() {
    check_against_osmium("liechtenstein-latest.osm.pbf");
}

#[test]
fn felton_matches_osmium() {
    check_against_osmium("felton.osm.pbf");
}

#[test]
fn real_extracts_hold_what_sources_md_says() {
    let Some(dir) = maps() else { return };
    let mut c = MapCollect::default();
    let bytes = std::fs::read(dir.join("liechtenstein-latest.osm.pbf")).unwrap();
    let counts = read_bytes(
        Path::new("l.osm.pbf"),
        &bytes,
        &mut c,
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (counts.nodes, counts.ways, counts.relations),
        (142_832, 15_247, 358)
    );
    assert_eq!(c.roads.len(), 4660);
    assert_eq!(
        c.roads
            .iter()
            .filter(|r| r.class == RoadClass::Track)
            .count(),
        1091
    );
    // One closed-way fuel station: a POI inside its outline.
    let way_fuel: Vec<_> = c
        .pois
        .iter()
        .filter(|p| {
            p.kind == PoiKind::Fuel && matches!(p.osm, trailatlas::core::map::OsmId::Way(_))
        })
        .collect();
    assert_eq!(way_fuel.len(), 1);
    let h = &c.header;
    let b = h.bbox.unwrap();
    assert!((b.min_lon - 9.471078).abs() < 1e-6 && (b.max_lat - 47.27128).abs() < 1e-6);
    assert_eq!(
        trailatlas::import::format_time_ms(h.replication_ms.unwrap())[..10].to_string(),
        "2015-07-27"
    );
    // Andorra: every peak but the unit-less, a `2317m` too.
    let bytes = std::fs::read(dir.join("andorra.osm.pbf")).unwrap();
    let mut c = MapCollect::default();
    read_bytes(
        Path::new("a.osm.pbf"),
        &bytes,
        &mut c,
        ReadOptions::default(),
    )
    .unwrap();
    let peaks: Vec<_> = c.pois.iter().filter(|p| p.kind == PoiKind::Peak).collect();
    assert_eq!(peaks.len(), 106);
    assert_eq!(peaks.iter().filter(|p| p.ele_m.is_some()).count(), 99);
    assert!(peaks.iter().any(|p| p.ele_m == Some(2317.0)));
}

// ---- generated extracts ----

/// A square of `n` nodes per side starting at node id `first`, closed.
fn square(p: &mut Pbf, first: i64, lat: f64, lon: f64, d: f64) -> Vec<i64> {
    p.node(first, lat, lon, &[]);
    p.node(first + 1, lat, lon + d, &[]);
    p.node(first + 2, lat + d, lon + d, &[]);
    p.node(first + 3, lat + d, lon, &[]);
    vec![first, first + 1, first + 2, first + 3, first]
}

pub fn generated() -> Pbf {
    let mut p = Pbf::new();
    p.bbox = Some([7.0, 45.0, 7.2, 45.2]);
    p.timestamp = Some(1_700_000_000);
    // A forest road known by its ref, gravel, seasonal; one node missing from the extract in
    // the middle, so it is cut into two runs.
    for i in 0..6 {
        p.node(10 + i, 45.01, 7.01 + i as f64 * 0.001, &[]);
    }
    p.way(
        100,
        &[10, 11, 12, 999_999, 13, 14, 15],
        &[
            ("highway", "unclassified"),
            ("ref", "NF 2310"),
            ("surface", "gravel"),
            ("seasonal", "yes"),
        ],
    );
    // A track with a gate node on it, a path.
    p.node(20, 45.02, 7.01, &[("barrier", "gate")]);
    p.node(21, 45.02, 7.02, &[]);
    p.way(
        101,
        &[20, 21],
        &[("highway", "track"), ("tracktype", "grade4")],
    );
    p.way(102, &[21, 20], &[("highway", "footway")]);
    // A lake with an island (multipolygon, two outer pieces joined), a broken multipolygon.
    let outer = square(&mut p, 30, 45.05, 7.05, 0.02);
    let island = square(&mut p, 40, 45.055, 7.055, 0.005);
    p.way(200, &outer[..3], &[]);
    p.way(201, &outer[2..], &[]);
    p.way(202, &island, &[]);
    p.relation(
        300,
        &[
            ('w', 200, "outer"),
            ('w', 201, "outer"),
            ('w', 202, "inner"),
        ],
        &[
            ("type", "multipolygon"),
            ("natural", "water"),
            ("name", "Lago"),
        ],
    );
    p.relation(
        301,
        &[('w', 200, "outer")],
        &[("type", "multipolygon"), ("landuse", "forest")],
    );
    // A fuel station as a closed way, a camp site as a relation, a town node.
    let station = square(&mut p, 50, 45.1, 7.1, 0.0005);
    p.way(
        203,
        &station,
        &[
            ("amenity", "fuel"),
            ("brand", "Esso"),
            ("opening_hours", "24/7"),
        ],
    );
    let camp = square(&mut p, 60, 45.12, 7.12, 0.002);
    p.way(204, &camp, &[]);
    p.relation(
        302,
        &[('w', 204, "outer")],
        &[
            ("type", "multipolygon"),
            ("tourism", "camp_site"),
            ("name", "Camp"),
        ],
    );
    p.node(
        70,
        45.15,
        7.15,
        &[
            ("place", "town"),
            ("name", "Borgo"),
            ("population", "12 000"),
        ],
    );
    p.node(
        71,
        45.16,
        7.15,
        &[("natural", "peak"), ("name", "Monte"), ("ele", "2317 m")],
    );
    // A river, and national forest land.
    p.node(80, 45.0, 7.0, &[]);
    p.node(81, 45.1, 7.1, &[]);
    p.way(205, &[80, 81], &[("waterway", "river"), ("name", "Fiume")]);
    let forest = square(&mut p, 90, 45.0, 7.0, 0.15);
    p.way(
        206,
        &forest,
        &[
            ("boundary", "protected_area"),
            ("protect_class", "6"),
            ("operator", "US Forest Service"),
        ],
    );
    p
}

#[test]
fn a_generated_extract_yields_every_feature() {
    let bytes = generated().to_bytes();
    let mut c = MapCollect::default();
    let counts = read_bytes(
        Path::new("g.osm.pbf"),
        &bytes,
        &mut c,
        ReadOptions::default(),
    )
    .unwrap();
    // The forest road: two runs around the missing node, its tags read.
    let nf: Vec<_> = c
        .roads
        .iter()
        .filter(|r| r.ref_.as_deref() == Some("NF 2310"))
        .collect();
    assert_eq!(nf.len(), 2);
    assert_eq!(nf.iter().map(|r| r.geometry.len()).sum::<usize>(), 6);
    assert!(
        nf.iter()
            .all(|r| r.surface == Surface::Gravel && r.seasonal && r.drivable)
    );
    assert_eq!(counts.clipped_ways, 1);
    let track = c
        .roads
        .iter()
        .find(|r| r.class == RoadClass::Track)
        .unwrap();
    assert_eq!((track.surface, track.tracktype), (Surface::Dirt, Some(4)));
    assert!(
        !c.roads
            .iter()
            .find(|r| r.class == RoadClass::Path)
            .unwrap()
            .drivable
    );
    // The lake: joined outer ring with its island; the one-piece forest cannot close.
    let lake = c.areas.iter().find(|a| a.kind == AreaKind::Lake).unwrap();
    assert_eq!(lake.polygons.len(), 1);
    assert_eq!(lake.polygons[0].inners.len(), 1);
    assert_eq!(lake.polygons[0].outer.len(), 5);
    let d = 0.02f64.to_radians() * 6_371_008.8;
    let island = (0.005f64.to_radians() * 6_371_008.8).powi(2);
    let want = d * d * 45.06f64.to_radians().cos() - island * 45.06f64.to_radians().cos();
    assert!(
        (lake.area_m2 - want).abs() / want < 0.01,
        "{} vs {want}",
        lake.area_m2
    );
    assert_eq!(counts.broken_relations, 1);
    assert!(!c.areas.iter().any(|a| a.kind == AreaKind::Wood));
    // POIs: gate node, closed-way fuel (inside its outline), relation camp site, peak.
    let fuel = c.pois.iter().find(|p| p.kind == PoiKind::Fuel).unwrap();
    assert_eq!(fuel.brand.as_deref(), Some("Esso"));
    assert!(
        fuel.at.lat > 45.1 && fuel.at.lat < 45.1005 && fuel.at.lon > 7.1 && fuel.at.lon < 7.1005
    );
    assert!(
        c.pois
            .iter()
            .any(|p| p.kind == PoiKind::CampSite && p.name.as_deref() == Some("Camp"))
    );
    assert!(c.pois.iter().any(|p| p.kind == PoiKind::Gate));
    assert_eq!(
        c.pois
            .iter()
            .find(|p| p.kind == PoiKind::Peak)
            .unwrap()
            .ele_m,
        Some(2317.0)
    );
    let town = c.places.iter().find(|p| p.name == "Borgo").unwrap();
    assert_eq!(town.population, Some(12_000));
    assert_eq!(c.water_lines.len(), 1);
    let public = c
        .areas
        .iter()
        .find(|a| a.kind == AreaKind::Protected)
        .unwrap();
    assert_eq!(public.operator.as_deref(), Some("US Forest Service"));
    assert_eq!(public.protect_class.as_deref(), Some("6"));
    assert_eq!(c.header.replication_ms, Some(1_700_000_000_000));
}

fn collect(bytes: &[u8]) -> String {
    let mut c = MapCollect::default();
    let counts = read_bytes(
        Path::new("g.osm.pbf"),
        bytes,
        &mut c,
        ReadOptions::default(),
    )
    .unwrap();
    format!("{counts:?}\n{c:?}")
}

#[test]
fn blocks_that_mix_types_or_are_uncompressed_read_the_same() {
    let p = generated();
    let want = collect(&p.to_bytes());
    assert!(want.contains("Borgo") && want.contains("NF 2310"), "{want}");
    for order in ["nwr", "wnr", "rnw", "wrn"] {
        assert_eq!(
            collect(&p.to_one_block(order)),
            want,
            "groups in order {order}"
        );
    }
    // Blocks filled across types, as osmium writes them, at sizes that put the change
    // from nodes to ways at every place in a block.
    for size in [1, 2, 3, 5, 7, 8, 13, 40] {
        let mut q = p.clone();
        q.block_size = size;
        assert_eq!(collect(&q.to_filled_bytes()), want, "blocks of {size}");
    }
    // A block of nodes and ways before another block of nodes (no writer we know does
    // this): pass 3 finds the ways in a block pass 1 left, and the file is read again.
    let (n, w, r) = (p.nodes.len(), p.ways.len(), p.relations.len());
    let mut odd = p.header_frame();
    odd.extend(p.block_frame(0..n / 2, 0..w, 0..0));
    odd.extend(p.block_frame(n / 2..n, 0..0, 0..r));
    assert_eq!(collect(&odd), want);
    assert_eq!(
        collect(&crate::pbf_writer::uncompressed(&p.to_bytes())),
        want
    );
    assert_eq!(collect(&crate::pbf_writer::uncompressed(&odd)), want);
}

#[test]
fn the_store_answers_by_box_and_scale() {
    let bytes = generated().to_bytes();
    let mut store = Store::open_in_memory().unwrap();
    let r = store.import_map_bytes("g.osm.pbf", &bytes);
    assert_eq!(r.status, FileStatus::Imported, "{:?}", r.error);
    let all = BBox {
        min_lon: 6.9,
        min_lat: 44.9,
        max_lon: 7.3,
        max_lat: 45.3,
    };
    let close = store.map_in_bbox(&all, 24_000).unwrap();
    assert_eq!(close.roads.len(), 4);
    assert_eq!(close.pois.len(), 4);
    // At 1:2,000,000 the minor roads, tracks and paths are gone; the river too (1:1,000,000);
    // the 23 km forest stays.
    let far = store.map_in_bbox(&all, 2_000_000).unwrap();
    assert!(far.roads.is_empty(), "{:?}", far.roads);
    assert!(far.water_lines.is_empty());
    assert!(far.areas.iter().any(|a| a.kind == AreaKind::Protected));
    assert!(!far.areas.iter().any(|a| a.kind == AreaKind::Lake));
    // A box elsewhere is empty.
    let away = BBox {
        min_lon: 8.0,
        min_lat: 46.0,
        max_lon: 8.1,
        max_lat: 46.1,
    };
    assert!(store.map_in_bbox(&away, 24_000).unwrap().is_empty());
    // POIs for navigation: by kind, near a point.
    assert_eq!(store.map_pois(None, &[PoiKind::Fuel]).unwrap().len(), 1);
    let near = store
        .map_pois_near(LatLon::new(45.1, 7.1), 1_000.0, &[])
        .unwrap();
    assert_eq!(near.len(), 1);
    assert_eq!(
        store
            .map_pois_near(LatLon::new(45.1, 7.1), 10.0, &[])
            .unwrap()
            .len(),
        0
    );
    // The same bytes again: unchanged.
    assert_eq!(
        store.import_map_bytes("g.osm.pbf", &bytes).status,
        FileStatus::Unchanged
    );
}

#[test]
fn coarse_levels_have_fewer_points_and_stay_close() {
    let Some(dir) = maps() else { return };
    let mut store = Store::open_in_memory().unwrap();
    let bytes = std::fs::read(dir.join("andorra.osm.pbf")).unwrap();
    assert_eq!(
        store.import_map_bytes("a", &bytes).status,
        FileStatus::Imported
    );
    let b = BBox {
        min_lon: 1.0,
        min_lat: 41.7,
        max_lon: 1.9,
        max_lat: 42.8,
    };
    let full = store.map_in_bbox(&b, 4_000_000).unwrap();
    let mut coarse = 0;
    let mut fine = 0;
    let detail = store.map_in_bbox(&b, 10_000).unwrap();
    for r in &full.roads {
        assert!(matches!(
            r.class,
            RoadClass::Primary | RoadClass::Trunk | RoadClass::Motorway
        ));
        let d = detail
            .roads
            .iter()
            .find(|x| x.osm == r.osm && x.geometry.first() == r.geometry.first())
            .unwrap();
        coarse += r.geometry.len();
        fine += d.geometry.len();
        // Douglas-Peucker keeps the ends.
        assert_eq!(r.geometry.last(), d.geometry.last());
    }
    assert!(coarse * 2 < fine, "{coarse} vs {fine}");
    assert!(!full.roads.is_empty());
}

// ---- bad input through the binary ----

fn felton(dir: &Path) -> Option<PathBuf> {
    let src = maps()?.join("felton.osm.pbf");
    let dst = dir.join("felton.osm.pbf");
    std::fs::copy(src, &dst).unwrap();
    Some(dst)
}

fn check_bad(name: &str, make: impl FnOnce(&Path) -> Vec<u8>, needle: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let good_a = tmp.path().join("good_a.osm.pbf");
    std::fs::write(&good_a, generated().to_bytes()).unwrap();
    let Some(good_b) = felton(tmp.path()) else {
        return;
    };
    let bad = tmp.path().join(name);
    let bytes = make(&bad);
    if !bad.exists() {
        std::fs::write(&bad, bytes).unwrap();
    }
    let db = tmp.path().join("t.sqlite");
    let r = import(&db, &[&good_a, &bad, &good_b]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = json_of(&r);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files[0]["status"], "imported");
    assert_eq!(files[2]["status"], "imported");
    assert_eq!(files[1]["status"], "failed");
    let err = files[1]["error"].as_str().unwrap();
    assert!(!err.contains('\n'));
    assert!(err.starts_with(&format!("{}:", bad.display())), "{err}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.contains(name)).collect();
    assert_eq!(lines, vec![err]);
    let info = map_info(&db);
    assert_eq!(info["files"].as_array().unwrap().len(), 2, "{info}");
    Store::open(&db).unwrap().integrity_check().unwrap();
}

fn real_bytes() -> Option<Vec<u8>> {
    Some(std::fs::read(maps()?.join("felton.osm.pbf")).unwrap())
}

#[test]
fn a_png_renamed_osm_pbf_is_refused() {
    let png = include_bytes!("../assets/icons/fuel.svg").to_vec();
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend(png);
    check_bad(
        "picture.osm.pbf",
        |_| bytes,
        "not an OpenStreetMap PBF file",
    );
}

#[test]
fn a_truncated_pbf_is_refused_with_the_blob_offset() {
    let Some(b) = real_bytes() else { return };
    let cut = b[..b.len() / 2].to_vec();
    check_bad("cut.osm.pbf", |_| cut, "truncated");
}

#[test]
fn a_huge_blob_size_is_refused_before_allocating() {
    let mut p = Pbf::new().header_frame();
    // OSMData header claiming 2 GB.
    let mut h = vec![0x0a, 7];
    h.extend_from_slice(b"OSMData");
    h.extend([0x18, 0x80, 0x80, 0x80, 0x80, 0x07]);
    let at = p.len();
    p.extend((h.len() as u32).to_be_bytes());
    p.extend(h);
    p.extend([0u8; 64]);
    check_bad(
        "huge.osm.pbf",
        |_| p,
        &format!("blob at byte {at}: blob of 1879048192 bytes; the limit"),
    );
}

#[test]
fn an_unknown_blob_type_is_refused() {
    let mut p = Pbf::new().header_frame();
    let at = p.len();
    p.extend(crate::pbf_writer::frame("OSMWhat", b"abc"));
    check_bad(
        "odd.osm.pbf",
        |_| p,
        &format!("blob at byte {at}: unknown blob type \"OSMWhat\""),
    );
}

#[test]
fn a_corrupt_blob_is_refused() {
    let mut p = Pbf::new().header_frame();
    p.extend(crate::pbf_writer::frame(
        "OSMData",
        b"\xff\xff\xff garbage that is not protobuf",
    ));
    check_bad("corrupt.osm.pbf", |_| p, "blob at byte");
}

#[test]
fn a_zero_byte_file_is_refused() {
    check_bad("empty.osm.pbf", |_| Vec::new(), "empty file");
}

#[test]
fn a_directory_is_refused() {
    check_bad(
        "folder.osm.pbf",
        |p| {
            std::fs::create_dir(p).unwrap();
            Vec::new()
        },
        "is a directory",
    );
}

// ---- re-import and replacement ----

#[test]
fn same_file_is_unchanged_and_a_newer_extract_replaces_the_older() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let old = tmp.path().join("region-2023.osm.pbf");
    let mut g = generated();
    std::fs::write(&old, g.to_bytes()).unwrap();
    assert_eq!(import(&db, &[&old]).code, 0);
    let r = import(&db, &[&old]);
    assert_eq!(json_of(&r)["files"][0]["status"], "unchanged");
    // A newer extract of the same area: the fuel station closed, a new one opened.
    g.ways.retain(|w| w.0 != 203);
    g.node(500, 45.11, 7.11, &[("amenity", "fuel"), ("name", "Nuovo")]);
    g.timestamp = Some(1_800_000_000);
    let new = tmp.path().join("region-2026.osm.pbf");
    std::fs::write(&new, g.to_bytes()).unwrap();
    let r = import(&db, &[&new]);
    let v = json_of(&r);
    assert_eq!(v["files"][0]["replaced_files"], 1, "{v}");
    let info = map_info(&db);
    assert_eq!(info["files"].as_array().unwrap().len(), 1);
    assert_eq!(info["pois"]["fuel"], 1);
    let store = Store::open(&db).unwrap();
    let fuel = store.map_pois(None, &[PoiKind::Fuel]).unwrap();
    assert_eq!(fuel[0].name.as_deref(), Some("Nuovo"));
    // A neighbouring extract overlapping on the border: shared features are not doubled.
    let mut n = Pbf::new();
    n.bbox = Some([7.15, 45.0, 7.4, 45.2]);
    n.node(70, 45.15, 7.15, &[("place", "town"), ("name", "Borgo")]);
    n.node(600, 45.16, 7.3, &[("place", "village"), ("name", "Altro")]);
    let neighbour = tmp.path().join("east.osm.pbf");
    std::fs::write(&neighbour, n.to_bytes()).unwrap();
    assert_eq!(import(&db, &[&neighbour]).code, 0);
    let info = map_info(&db);
    assert_eq!(info["files"].as_array().unwrap().len(), 2);
    assert_eq!(info["places"], 2, "{info}");
}

// ---- corridor ----

fn write_gpx(path: &Path, body: &str) {
    std::fs::write(
        path,
        format!(
            r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">{body}</gpx>"#
        ),
    )
    .unwrap();
}

#[test]
fn around_a_route_keeps_only_its_corridor() {
    let Some(dir) = maps() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    // A short drive through Vaduz.
    let gpx = tmp.path().join("vaduz.gpx");
    write_gpx(
        &gpx,
        r#"<trk><name>Vaduz</name><trkseg><trkpt lat="47.13" lon="9.51"/><trkpt lat="47.15" lon="9.52"/></trkseg></trk>"#,
    );
    assert_eq!(run(&db, &["import".as_ref(), gpx.as_os_str()]).code, 0);
    let pbf = dir.join("liechtenstein-latest.osm.pbf");
    let r = run(
        &db,
        &[
            "map".as_ref(),
            "import".as_ref(),
            "--json".as_ref(),
            "--around".as_ref(),
            "Vaduz".as_ref(),
            "--corridor".as_ref(),
            "1km".as_ref(),
            pbf.as_os_str(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let part = map_info(&db);
    let store = Store::open(&db).unwrap();
    let all = BBox {
        min_lon: 9.0,
        min_lat: 46.0,
        max_lon: 10.0,
        max_lat: 48.0,
    };
    let kept = store.map_in_bbox(&all, 10_000).unwrap();
    assert!(!kept.roads.is_empty());
    let route = trailatlas::core::along::RouteLine::new(vec![
        LatLon::new(47.13, 9.51),
        LatLon::new(47.15, 9.52),
    ])
    .unwrap();
    for r in &kept.roads {
        let near = r
            .geometry
            .iter()
            .any(|&p| route.locate(p, None).unwrap().off_route_m <= 1000.0);
        assert!(near, "{:?} is outside the corridor", r.osm);
    }
    // The whole file afterwards replaces the corridor import.
    assert_eq!(import(&db, &[&pbf]).code, 0);
    let whole = map_info(&db);
    assert_eq!(whole["files"].as_array().unwrap().len(), 1);
    assert!(whole["roads"].as_u64().unwrap() > 5 * part["roads"].as_u64().unwrap());
}

// ---- navigation with OSM POIs ----

#[test]
fn nearest_ahead_and_logistics_use_osm_fuel_beside_gpx() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let pbf = tmp.path().join("g.osm.pbf");
    std::fs::write(&pbf, generated().to_bytes()).unwrap();
    assert_eq!(import(&db, &[&pbf]).code, 0);
    // A GPX fuel waypoint 20 m from the OSM station (the same place), and one far away.
    let gpx = tmp.path().join("trip.gpx");
    write_gpx(
        &gpx,
        r#"<wpt lat="45.10043" lon="7.10025"><name>Esso (my note)</name><sym>Gas Station</sym></wpt>
           <wpt lat="45.0" lon="7.3"><name>Far fuel</name><sym>Gas Station</sym></wpt>
           <trk><name>Trip</name><trkseg><trkpt lat="45.0" lon="7.0"/><trkpt lat="45.2" lon="7.2"/></trkseg></trk>"#,
    );
    assert_eq!(run(&db, &["import".as_ref(), gpx.as_os_str()]).code, 0);
    let near = |source: &str| {
        let r = run(
            &db,
            &[
                "nearest".as_ref(),
                "--at".as_ref(),
                "45.11,7.11".as_ref(),
                "--kind".as_ref(),
                "fuel".as_ref(),
                "--json".as_ref(),
                "--source".as_ref(),
                source.as_ref(),
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        json_of(&r)
    };
    let all = near("all");
    let list = all.as_array().unwrap();
    // Shown once, as the GPX waypoint, noting the OSM match.
    assert_eq!(list.len(), 2, "{all}");
    assert_eq!(list[0]["source"], "gpx");
    assert_eq!(list[0]["matched_osm"], "w203");
    let osm = near("osm");
    assert_eq!(osm.as_array().unwrap().len(), 1);
    assert_eq!(osm[0]["source"], "osm");
    assert_eq!(osm[0]["osm"], "w203");
    assert_eq!(osm[0]["name"], "Esso");
    assert_eq!(near("gpx").as_array().unwrap().len(), 2);
    // Ahead on the trip: the camp site from OSM.
    let r = run(
        &db,
        &[
            "ahead".as_ref(),
            "--route".as_ref(),
            "Trip".as_ref(),
            "--at".as_ref(),
            "45.0,7.0".as_ref(),
            "--kind".as_ref(),
            "campground".as_ref(),
            "--corridor-m".as_ref(),
            "3000".as_ref(),
            "--json".as_ref(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_of(&r);
    assert_eq!(v["ahead"][0]["source"], "osm", "{v}");
    assert_eq!(v["ahead"][0]["name"], "Camp");
    // Logistics sees the station; without OSM only the GPX note.
    let r = run(
        &db,
        &[
            "logistics".as_ref(),
            "--route".as_ref(),
            "Trip".as_ref(),
            "--range".as_ref(),
            "10km".as_ref(),
            "--corridor-m".as_ref(),
            "3000".as_ref(),
            "--json".as_ref(),
        ],
    );
    let v = json_of(&r);
    assert_eq!(v["waypoints_by_kind"]["campground"], 1, "{v}");
    assert_eq!(v["waypoints_by_kind"]["fuel"], 1, "{v}");
    let r = run(
        &db,
        &[
            "logistics".as_ref(),
            "--route".as_ref(),
            "Trip".as_ref(),
            "--corridor-m".as_ref(),
            "3000".as_ref(),
            "--json".as_ref(),
            "--source".as_ref(),
            "gpx".as_ref(),
        ],
    );
    let v = json_of(&r);
    assert!(v["waypoints_by_kind"]["campground"].is_null(), "{v}");
}

#[test]
fn real_andorra_gas_stations_fill_the_logistics() {
    let Some(dir) = maps() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    assert_eq!(import(&db, &[&dir.join("andorra.osm.pbf")]).code, 0);
    // The CG-1/CG-2 main road from the Spanish border to Pas de la Casa.
    let gpx = tmp.path().join("andorra.gpx");
    write_gpx(
        &gpx,
        r#"<trk><name>Across</name><trkseg>
           <trkpt lat="42.4365" lon="1.4761"/><trkpt lat="42.4630" lon="1.4910"/>
           <trkpt lat="42.5078" lon="1.5211"/><trkpt lat="42.5440" lon="1.5980"/>
           <trkpt lat="42.5430" lon="1.7330"/></trkseg></trk>"#,
    );
    assert_eq!(run(&db, &["import".as_ref(), gpx.as_os_str()]).code, 0);
    let r = run(
        &db,
        &[
            "logistics".as_ref(),
            "--route".as_ref(),
            "Across".as_ref(),
            "--range".as_ref(),
            "100km".as_ref(),
            "--corridor-m".as_ref(),
            "2000".as_ref(),
            "--json".as_ref(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_of(&r);
    let fuel = v["waypoints_by_kind"]["fuel"].as_u64().unwrap_or(0);
    assert!(fuel >= 5, "{v}");
    assert!(
        v["fuel_gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["to_source"] == "osm"),
        "{v}"
    );
}

// ---- crashes ----

#[test]
fn sigkill_during_a_map_import_leaves_the_old_map_or_the_new() {
    let Some(dir) = maps() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old.osm.pbf");
    let new = dir.join("liechtenstein-latest.osm.pbf");
    let mut g = generated();
    g.bbox = Some([9.0, 46.5, 10.0, 47.5]);
    std::fs::write(&old, g.to_bytes()).unwrap();
    let template = tmp.path().join("template.sqlite");
    assert_eq!(import(&template, &[&old]).code, 0);
    let fresh = |name: &str| {
        let db = tmp.path().join(name);
        std::fs::copy(&template, &db).unwrap();
        db
    };
    let cmd = |db: &Path| {
        let mut c = Command::new(bin());
        c.arg("--db").arg(db).args(["map", "import"]).arg(&new);
        c.stdout(Stdio::null()).stderr(Stdio::null());
        c
    };
    let db = fresh("full.sqlite");
    let started = Instant::now();
    assert!(cmd(&db).status().unwrap().success());
    let full = started.elapsed();
    let whole = Store::open(&db).unwrap().map_info().unwrap();
    let old_info = Store::open(&template).unwrap().map_info().unwrap();
    let mut rng = Rng::new(11);
    let mut seen = [0usize; 2];
    for k in 0..20 {
        let db = fresh(&format!("k{k}.sqlite"));
        let mut child = cmd(&db).spawn().unwrap();
        std::thread::sleep(full.mul_f64(rng.next_f64() * 1.1));
        let _ = child.kill();
        let _ = child.wait();
        let store = Store::open(&db).unwrap();
        store.integrity_check().unwrap();
        let info = store.map_info().unwrap();
        let strip = |mut i: trailatlas::store::MapInfo| {
            for f in &mut i.files {
                f.imported_ms = 0;
            }
            i
        };
        if strip(info.clone()) == strip(whole.clone()) {
            seen[1] += 1;
        } else {
            assert_eq!(strip(info), strip(old_info.clone()), "kill {k}: half a map");
            seen[0] += 1;
        }
    }
    eprintln!(
        "after 20 kills: {} old maps, {} new maps (import {full:?})",
        seen[0], seen[1]
    );
}

/// The journal mode as a fresh connection sees it in the file.
fn journal_mode(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_map_import_alone_or_beside_another_connection_leaves_the_file_in_wal() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let bytes = generated().to_bytes();
    // Alone: written in rollback-journal mode, back in WAL after, no journal left behind.
    {
        let mut s = Store::open(&db).unwrap();
        let r = s.import_map_bytes("g.osm.pbf", &bytes);
        assert_eq!(r.status, FileStatus::Imported, "{:?}", r.error);
        s.integrity_check().unwrap();
    }
    assert_eq!(journal_mode(&db), "wal");
    assert!(!tmp.path().join("t.sqlite-journal").exists());
    // Beside a reader (the app): SQLite refuses to leave WAL, the import runs in WAL, and the
    // reader sees the new file once it commits.
    let reader = Store::open(&db).unwrap();
    let before = reader.map_info().unwrap().files.len();
    let mut writer = Store::open(&db).unwrap();
    let mut other = generated();
    other.bbox = Some([100.0, 10.0, 101.0, 11.0]);
    let r = writer.import_map_bytes("other.osm.pbf", &other.to_bytes());
    assert_eq!(r.status, FileStatus::Imported, "{:?}", r.error);
    assert_eq!(reader.map_info().unwrap().files.len(), before + 1);
    assert_eq!(journal_mode(&db), "wal");
    reader.integrity_check().unwrap();
    // A connection recording a drive (synchronous FULL) keeps FULL through an import.
    drop(reader);
    drop(writer);
    let mut rec = Store::open(&db).unwrap();
    rec.begin_drive("drive", 0).unwrap();
    let mut third = generated();
    third.bbox = Some([120.0, 10.0, 121.0, 11.0]);
    let r = rec.import_map_bytes("third.osm.pbf", &third.to_bytes());
    assert_eq!(r.status, FileStatus::Imported, "{:?}", r.error);
    assert_eq!(rec.synchronous().unwrap(), 2, "FULL");
    assert_eq!(journal_mode(&db), "wal");
}

// ---- schema ----

#[test]
fn a_v1_database_gains_the_map_tables_and_keeps_its_gpx() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/db/v1.sqlite");
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("v1.sqlite");
    std::fs::copy(&src, &db).unwrap();
    let before = counts_of_a_copy(&db);
    let mut store = Store::open(&db).unwrap();
    assert!(store.schema_version().unwrap() >= 2);
    assert!(store.map_info().unwrap().files.is_empty());
    let r = store.import_map_bytes("g.osm.pbf", &generated().to_bytes());
    assert_eq!(r.status, FileStatus::Imported, "{:?}", r.error);
    assert_eq!(store.map_pois(None, &[]).unwrap().len(), 4);
    let after = store.info().unwrap();
    assert_eq!((after.files, after.points, after.waypoints), before);
    store.integrity_check().unwrap();
}

/// `(files, points, waypoints)` of a copy of the file (opening migrates it).
fn counts_of_a_copy(db: &Path) -> (u64, u64, u64) {
    let copy = db.with_extension("probe");
    std::fs::copy(db, &copy).unwrap();
    let i = Store::open(&copy).unwrap().info().unwrap();
    (i.files, i.points, i.waypoints)
}

#[test]
fn the_v2_database_holds_its_map() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/db/v2.sqlite");
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("v2.sqlite");
    std::fs::copy(&src, &db).unwrap();
    let store = Store::open(&db).unwrap();
    let info = store.map_info().unwrap();
    assert_eq!(info.files.len(), 1);
    assert_eq!(
        info.pois.iter().find(|(k, _)| k == "fuel").map(|(_, n)| *n),
        Some(4)
    );
    assert_eq!(info.roads, 124);
    store.integrity_check().unwrap();
}

/// The seed inputs of the `osm_import` fuzz target: small generated extracts in blocks of a
/// few entities, so mutations reach every message. Each must import (or, the header alone,
/// import empty) without error; they are written to `target/fuzz-seeds/osm_import/` for
/// `cargo fuzz run osm_import ../target/fuzz-seeds/osm_import`.
#[test]
fn fuzz_seeds_import_and_are_written_for_the_fuzzer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-seeds/osm_import");
    std::fs::create_dir_all(&dir).unwrap();
    let mut g = generated();
    g.block_size = 4;
    let mut small = Pbf::new();
    small.bbox = Some([7.0, 45.0, 7.1, 45.1]);
    small.node(1, 45.0, 7.0, &[("amenity", "fuel")]);
    small.node(2, 45.01, 7.0, &[]);
    small.node(3, 45.01, 7.01, &[]);
    small.way(10, &[1, 2, 3, 1], &[("natural", "water")]);
    small.way(11, &[1, 2], &[("highway", "track")]);
    small.relation(
        20,
        &[('w', 10, "outer")],
        &[("type", "multipolygon"), ("landuse", "forest")],
    );
    let seeds = [
        ("generated.osm.pbf", g.to_bytes()),
        ("small.osm.pbf", small.to_bytes()),
        ("header.osm.pbf", small.header_frame()),
    ];
    for (name, bytes) in &seeds {
        let mut store = Store::open_in_memory().unwrap();
        let r = store.import_map_bytes(name, bytes);
        assert!(r.error.is_none(), "{name}: {:?}", r.error);
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let mut store = Store::open_in_memory().unwrap();
    store.import_map_bytes("small", &seeds[1].1);
    let info = store.map_info().unwrap();
    assert_eq!(info.roads, 1);
    // The lake (way 10) and the forest (relation 20, drawn with the same ring).
    assert_eq!(info.areas.iter().map(|a| a.1).sum::<u64>(), 2);
}

#[test]
fn the_roads_near_a_route_keep_every_run_of_a_way_cut_by_a_missing_node() {
    let mut store = Store::open_in_memory().unwrap();
    let r = store.import_map_bytes("generated.osm.pbf", &generated().to_bytes());
    assert_eq!(r.status, FileStatus::Imported, "{:?}", r.error);
    // Along the forest road (way 100, cut in two around node 999999), in two chunks' worth
    // of points so both chunks find both runs.
    let pts: Vec<LatLon> = (0..3000)
        .map(|i| LatLon::new(45.01, 7.01 + 0.005 * f64::from(i) / 3000.0))
        .collect();
    let roads = store.map_roads_near(&pts).unwrap();
    let runs: Vec<_> = roads
        .iter()
        .filter(|r| r.osm == trailatlas::core::map::OsmId::Way(100))
        .collect();
    assert_eq!(runs.len(), 2, "both runs, once each");
    assert_ne!(runs[0].geometry[0], runs[1].geometry[0]);
}
