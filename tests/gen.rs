//! Data generated in code for tests, benchmarks and fixtures: deterministic, no files.

#![allow(dead_code)]

use trailatlas::core::model::{
    GpxData, LatLon, LineMeta, Route, RoutePoint, Track, TrackPoint, Waypoint, WaypointKind,
};

/// A small deterministic pseudo-random generator (xorshift), so data is the same every run.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    /// Uniform in `0..1`.
    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A wandering track of `n` points starting at `start`, about 30 m apart, with elevation and
/// one-second times.
pub fn wander(start: LatLon, n: usize, seed: u64) -> Vec<TrackPoint> {
    let mut rng = Rng::new(seed);
    let mut heading: f64 = 0.7;
    let mut p = start;
    let mut ele = 1200.0;
    (0..n)
        .map(|i| {
            heading += (rng.next_f64() - 0.5) * 0.3;
            p.lat += heading.cos() * 0.00027;
            p.lon += heading.sin() * 0.00027 / p.lat.to_radians().cos();
            ele += (rng.next_f64() - 0.5) * 4.0;
            TrackPoint {
                pos: p,
                ele_m: Some((ele * 10.0).round() / 10.0),
                time_ms: Some(1_700_000_000_000 + i as i64 * 1000),
            }
        })
        .collect()
}

/// A waypoint of `kind` named `name` at `pos`, with a Garmin symbol to match.
pub fn waypoint(name: &str, kind: WaypointKind, pos: LatLon) -> Waypoint {
    let sym = match kind {
        WaypointKind::Fuel => "Gas Station",
        WaypointKind::Campground => "Campground",
        WaypointKind::Checkpoint => "Flag, Blue",
        _ => "Waypoint",
    };
    Waypoint {
        pos,
        ele_m: Some(1000.0),
        name: Some(name.to_string()),
        sym: Some(sym.to_string()),
        kind,
        categories: vec!["Trip".to_string()],
        ..Waypoint::default()
    }
}

/// A file's worth of data: a two-segment track (one empty segment, one longer than a
/// stored piece), a route with shaping points, and waypoints of several kinds.
pub fn sample_data() -> GpxData {
    let start = LatLon::new(44.0582, -121.3153);
    let pts = wander(start, 700, 7);
    let track = Track {
        meta: LineMeta {
            name: Some("Sample Track".into()),
            desc: Some("generated".into()),
            display_color: Some("DarkRed".into()),
            ..LineMeta::default()
        },
        segments: vec![pts[..20].to_vec(), Vec::new(), pts[20..].to_vec()],
    };
    let route = Route {
        meta: LineMeta {
            name: Some("Sample Route".into()),
            ..LineMeta::default()
        },
        points: vec![
            RoutePoint {
                wpt: waypoint("Start", WaypointKind::Other, pts[0].pos),
                shaping: pts[1..300].iter().map(|p| p.pos).collect(),
            },
            RoutePoint {
                wpt: waypoint("Middle", WaypointKind::Other, pts[300].pos),
                shaping: vec![],
            },
            RoutePoint {
                wpt: waypoint("End", WaypointKind::Other, pts[301].pos),
                shaping: pts[302..650].iter().map(|p| p.pos).collect(),
            },
        ],
    };
    GpxData {
        waypoints: vec![
            waypoint("Fuel A", WaypointKind::Fuel, pts[100].pos),
            waypoint("Camp B", WaypointKind::Campground, pts[400].pos),
            waypoint("CP 1", WaypointKind::Checkpoint, pts[600].pos),
        ],
        tracks: vec![track],
        routes: vec![route],
        ..GpxData::default()
    }
}

/// Writes the benchmarks' GPX 1.1 file (a 100 MB, 1,000,000-point track at n = 1e6): `wpts` waypoints, then one track of `n` points with ele and time.
pub fn write_bench_gpx(path: &std::path::Path, n: usize, wpts: usize) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<gpx version="1.1" creator="trailatlas bench" xmlns="http://www.topografix.com/GPX/1/1">"#
    )?;
    let mut rng = Rng::new(99);
    let syms = [
        "Gas Station",
        "Campground",
        "Flag, Blue",
        "Restaurant",
        "Scenic Area",
    ];
    for i in 0..wpts {
        let lat = 42.0 + rng.next_f64() * 4.0;
        let lon = -124.0 + rng.next_f64() * 7.0;
        let sym = syms[i % syms.len()];
        writeln!(
            w,
            r#"  <wpt lat="{lat:.7}" lon="{lon:.7}"><ele>{:.1}</ele><name>WPT {i}</name><sym>{sym}</sym></wpt>"#,
            1000.0 + rng.next_f64() * 500.0
        )?;
    }
    writeln!(w, "  <trk><name>Bench track</name><trkseg>")?;
    let (mut lat, mut lon, mut heading, mut ele) = (44.0f64, -121.0f64, 0.5f64, 1200.0f64);
    let t0 = 1_700_000_000i64;
    for i in 0..n {
        heading += (rng.next_f64() - 0.5) * 0.2;
        lat += heading.cos() * 0.0002;
        lon += heading.sin() * 0.0003;
        ele += (rng.next_f64() - 0.5) * 2.0;
        let time = trailatlas::import::format_time_ms((t0 + i as i64) * 1000);
        writeln!(
            w,
            r#"    <trkpt lat="{lat:.7}" lon="{lon:.7}"><ele>{ele:.1}</ele><time>{time}</time></trkpt>"#
        )?;
    }
    writeln!(w, "  </trkseg></trk>\n</gpx>")?;
    w.flush()
}

/// The benchmarks' `points`-point GPX file in `target/bench-data/`, written on first use.
pub fn bench_gpx(points: usize) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let file = dir.join(format!("track-{points}.gpx"));
    if !file.exists() {
        eprintln!("generating {} ...", file.display());
        let written =
            std::fs::create_dir_all(&dir).and_then(|()| write_bench_gpx(&file, points, 10_000));
        if let Err(e) = written {
            eprintln!("cannot write {}: {e}", file.display());
        }
    }
    file
}
