//! End-to-end benchmark of route matching through the store, at the issue's size: a
//! state-size road network (a 570 × 570 grid of 500 m blocks: 651,000 ways, as many road ways
//! as the state-size extract of the map import benchmark) written as an `.osm.pbf` and
//! imported, a 1,000,000-point drive log imported from GPX, then `Store::route_match` (load
//! the roads near the route from SQLite, index them, match, store the match), the second call
//! (read back), and the overview. The reference, measured in the same run, is reading the
//! route back from the store with `Store::line`.
//!
//!     cargo run --release --example match_store_bench

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::time::Instant;

use trailatlas::core::overview::{Overview, OverviewInput, OverviewParams};
use trailatlas::store::{ImportOptions, MapImportOptions, Store};

#[path = "common/grid.rs"]
mod grid;
#[path = "../tests/pbf_writer.rs"]
mod pbf_writer;

const N: usize = 570;
const POINTS: usize = 1_000_000;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = grid::Rng(42);
    // The network as OSM: crossings are shared nodes, bends their own.
    let mut pbf = pbf_writer::Pbf::new();
    let cross = |i: usize, j: usize| (i * (N + 1) + j + 1) as i64;
    for i in 0..=N {
        for j in 0..=N {
            let p = grid::node(i, j);
            pbf.node(cross(i, j), p.lat, p.lon, &[]);
        }
    }
    let mut next_node = ((N + 1) * (N + 1) + 1) as i64;
    let ways = grid::ways(N, &mut rng);
    let n_ways = ways.len();
    for (w, (a, b, g, kind)) in ways.into_iter().enumerate() {
        let mut refs = vec![cross(a.0, a.1)];
        for p in &g[1..g.len() - 1] {
            pbf.node(next_node, p.lat, p.lon, &[]);
            refs.push(next_node);
            next_node += 1;
        }
        refs.push(cross(b.0, b.1));
        pbf.way(w as i64 + 1, &refs, &[("highway", kind)]);
    }
    let map_path = dir.path().join("grid.osm.pbf");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&map_path).unwrap());
    pbf.write_to(&mut f).unwrap();
    f.flush().unwrap();
    drop(f);
    drop(pbf);
    // The drive as GPX.
    let pts = grid::drive(N, POINTS, &mut rng);
    let gpx_path = dir.path().join("drive.gpx");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&gpx_path).unwrap());
    writeln!(f, r#"<?xml version="1.0"?><gpx version="1.1" creator="bench" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>drive</name><trkseg>"#).unwrap();
    for p in &pts {
        writeln!(f, r#"<trkpt lat="{:.7}" lon="{:.7}"/>"#, p.lat, p.lon).unwrap();
    }
    writeln!(f, "</trkseg></trk></gpx>").unwrap();
    f.flush().unwrap();
    drop(f);

    let mut store = Store::open(&dir.path().join("t.sqlite")).unwrap();
    let t = Instant::now();
    let rep = store.import_map_file(&map_path, MapImportOptions::default(), &mut |_| {});
    assert!(rep.error.is_none(), "{:?}", rep.error);
    let map_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let r = store.import_file(&gpx_path, ImportOptions::default(), &mut |_| {});
    assert!(r.error.is_none(), "{:?}", r.error);
    let gpx_s = t.elapsed().as_secs_f64();
    let id = store.lines().unwrap()[0].id;

    let t = Instant::now();
    let line = store.line(id).unwrap();
    let reference_s = t.elapsed().as_secs_f64();
    let route =
        trailatlas::core::along::RouteLine::new(line.points().map(|p| p.pos).collect()).unwrap();

    let t = Instant::now();
    let near = store.map_roads_near(route.points()).unwrap().len();
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let m = store
        .route_match(id, route.points(), route.chainage_m())
        .unwrap();
    let match_s = t.elapsed().as_secs_f64();
    assert!(m.computed);
    let t = Instant::now();
    let again = store
        .route_match(id, route.points(), route.chainage_m())
        .unwrap();
    let read_s = t.elapsed().as_secs_f64();
    assert!(!again.computed);
    let t = Instant::now();
    let eles = vec![None; route.points().len()];
    let o = Overview::compute(
        OverviewInput {
            chainage_m: route.chainage_m(),
            elevations_m: &eles,
            stretches: &again.stretches,
            roads: &again.roads,
            stops: &[],
            flat_at_m: None,
        },
        &OverviewParams {
            day_m: Some(300_000.0),
            ..OverviewParams::default()
        },
    );
    let overview_s = t.elapsed().as_secs_f64();
    let off: f64 = m
        .stretches
        .iter()
        .filter(|s| s.road.is_none())
        .map(|s| s.length_m())
        .sum();
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "network: {n_ways} ways imported in {map_s:.1} s; drive GPX ({POINTS} points) imported in {gpx_s:.1} s"
    );
    println!(
        "route: {:.0} km, {} stretches, {:.2} km off the map; {near} roads within 200 m",
        route.length_m() / 1000.0,
        m.stretches.len(),
        off / 1000.0
    );
    println!("reference Store::line (read the route back): {reference_s:.3} s");
    println!(
        "map_roads_near alone: {load_s:.3} s ({:.1}x reference)",
        load_s / reference_s
    );
    println!(
        "route_match, first (load + index + match + store): {match_s:.3} s ({:.1}x reference)",
        match_s / reference_s
    );
    println!(
        "route_match, stored (read back): {read_s:.3} s ({:.1}x reference)",
        read_s / reference_s
    );
    println!(
        "overview after it: {overview_s:.3} s ({:.2}x reference), {} sections",
        overview_s / reference_s,
        o.sections.len()
    );
}
