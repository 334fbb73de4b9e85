//! Helpers for `bench/peers.sh` (trailatlas against GDAL and GPSBabel; see BENCHMARKS.md,
//! section peers).
//!
//! `peers gen FILE POINTS WAYPOINTS` writes a GPX 1.1 file: WAYPOINTS waypoints spread over
//! Oregon, then one track of POINTS points with ele and time.
//! `peers gpx FILE` parses FILE with the `gpx` crate (`gpx::read`) and nothing else.
//! `peers queries FILE N` writes N seeded query positions `lat,lon`, one a line.
//! `peers nearest DB QUERIES K` answers each query with the K nearest waypoints of DB,
//! through `core::nearest::WaypointIndex` built from the store's waypoints, and prints the
//! time per query.

use std::io::{BufRead as _, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

#[path = "../tests/gen.rs"]
mod generator;

use generator::Rng;

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Oregon, where the waypoints and queries fall.
const LAT0: f64 = 42.0;
const LAT_SPAN: f64 = 4.0;
const LON0: f64 = -124.0;
const LON_SPAN: f64 = 7.0;

fn generate(path: &Path, points: u64, waypoints: u64) -> AnyResult<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<gpx version="1.1" creator="trailatlas peers" xmlns="http://www.topografix.com/GPX/1/1">"#
    )?;
    let mut rng = Rng::new(42);
    let syms = ["Gas Station", "Campground", "Flag, Blue", "Restaurant"];
    for i in 0..waypoints {
        let lat = LAT0 + rng.next_f64() * LAT_SPAN;
        let lon = LON0 + rng.next_f64() * LON_SPAN;
        let sym = syms
            .get(i as usize % syms.len())
            .copied()
            .unwrap_or("Waypoint");
        writeln!(
            w,
            r#"  <wpt lat="{lat:.7}" lon="{lon:.7}"><ele>{:.1}</ele><name>WPT {i}</name><sym>{sym}</sym></wpt>"#,
            1000.0 + rng.next_f64() * 500.0
        )?;
    }
    writeln!(w, "  <trk><name>Peers track</name><trkseg>")?;
    let (mut lat, mut lon, mut heading, mut ele) = (44.0f64, -121.0f64, 0.5f64, 1200.0f64);
    let t0 = 1_700_000_000i64;
    for i in 0..points {
        heading += (rng.next_f64() - 0.5) * 0.2;
        lat += heading.cos() * 0.00002;
        lon += heading.sin() * 0.00003;
        ele += (rng.next_f64() - 0.5) * 2.0;
        let t = t0 + i as i64;
        // 2023-11-14 plus seconds; the date part only needs to be valid, not to roll over.
        let (d, s) = (14 + (t - t0) / 86_400 % 14, (t - t0) % 86_400);
        writeln!(
            w,
            r#"    <trkpt lat="{lat:.7}" lon="{lon:.7}"><ele>{ele:.1}</ele><time>2023-11-{d:02}T{:02}:{:02}:{:02}Z</time></trkpt>"#,
            s / 3600,
            s / 60 % 60,
            s % 60
        )?;
    }
    writeln!(w, "  </trkseg></trk>\n</gpx>")?;
    w.flush()?;
    Ok(())
}

fn gpx_crate(path: &Path) -> AnyResult<()> {
    let t = Instant::now();
    let gpx = gpx::read(BufReader::new(std::fs::File::open(path)?))?;
    let points: usize = gpx
        .tracks
        .iter()
        .flat_map(|t| t.segments.iter())
        .map(|s| s.points.len())
        .sum();
    println!(
        "gpx::read: {points} points, {} waypoints in {:.3} s",
        gpx.waypoints.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn queries(path: &Path, n: u64) -> AnyResult<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    let mut rng = Rng::new(7);
    for _ in 0..n {
        let lat = LAT0 + rng.next_f64() * LAT_SPAN;
        let lon = LON0 + rng.next_f64() * LON_SPAN;
        writeln!(w, "{lat:.6},{lon:.6}")?;
    }
    w.flush()?;
    Ok(())
}

fn read_queries(path: &Path) -> AnyResult<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    for line in BufReader::new(std::fs::File::open(path)?).lines() {
        let line = line?;
        let Some((a, b)) = line.split_once(',') else {
            continue;
        };
        out.push((a.trim().parse()?, b.trim().parse()?));
    }
    Ok(out)
}

fn nearest(db: &Path, queries_path: &Path, k: usize) -> AnyResult<()> {
    use trailatlas::core::model::LatLon;
    use trailatlas::core::nearest::WaypointIndex;

    let qs = read_queries(queries_path)?;
    let t_load = Instant::now();
    let store = trailatlas::store::Store::open(db)?;
    let wpts = store.waypoints(&[], None)?;
    // What `trailatlas nearest` does: the store's waypoints into the library's R-tree index.
    let index = WaypointIndex::from_stored(&wpts);
    let load_s = t_load.elapsed().as_secs_f64();
    let t = Instant::now();
    let (mut check, mut answers) = (0.0, 0usize);
    for &(lat, lon) in &qs {
        let found = index.nearest(LatLon::new(lat, lon), &[], k);
        answers += found.len();
        check += found.iter().map(|n| n.distance_m).sum::<f64>();
    }
    let per_query_us = t.elapsed().as_secs_f64() * 1e6 / qs.len().max(1) as f64;
    println!(
        "trailatlas WaypointIndex: {} waypoints, load+index {load_s:.3} s, {} queries, {answers} answers, {per_query_us:.2} us/query (check {check:.0})",
        index.len(),
        qs.len()
    );
    Ok(())
}

fn main() -> AnyResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let num = |i: usize| arg(i).parse::<u64>().unwrap_or(0);
    match arg(0) {
        "gen" => generate(Path::new(arg(1)), num(2), num(3)),
        "gpx" => gpx_crate(Path::new(arg(1))),
        "queries" => queries(Path::new(arg(1)), num(2)),
        "nearest" => nearest(Path::new(arg(1)), Path::new(arg(2)), num(3) as usize),
        _ => {
            eprintln!(
                "usage: peers gen FILE POINTS WAYPOINTS | gpx FILE | queries FILE N | nearest DB QUERIES K"
            );
            std::process::exit(2);
        }
    }
}
