//! Benchmark of route-to-road matching at the size: a 1,000,000-point drive log
//! (1 s at 15 m/s, 5 to 15 m of GPS noise) matched against a state-size road network (a
//! 400 × 400 grid of 500 m blocks, every block side its own way with bends: 320,800 ways,
//! 1.6 M points), then the overview of it. The reference, measured in the same run, is
//! preparing the same points as a `RouteLine` (chainage and R-tree), which every route
//! command does anyway.
//!
//!     cargo run --release --example match_bench

#![allow(clippy::expect_used)]

use std::time::Instant;

use trailatlas::core::along::RouteLine;
use trailatlas::core::map::OsmId;
use trailatlas::core::map::build::road;
use trailatlas::core::matching::{MatchParams, RoadNet, match_route};
use trailatlas::core::model::LatLon;
use trailatlas::core::overview::{Overview, OverviewInput, OverviewParams};

const N: usize = 400;
const BLOCK_M: f64 = 500.0;
const POINTS: usize = 1_000_000;

struct Rng(u64);
impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn offset(p: LatLon, e: f64, n: f64) -> LatLon {
    LatLon {
        lat: p.lat + n / 111_319.49,
        lon: p.lon + e / (111_319.49 * p.lat.to_radians().cos()),
    }
}

fn main() {
    let origin = LatLon {
        lat: 43.0,
        lon: -122.0,
    };
    let node = |i: usize, j: usize| offset(origin, i as f64 * BLOCK_M, j as f64 * BLOCK_M);
    let mut rng = Rng(42);
    let t = Instant::now();
    let mut roads = Vec::with_capacity(2 * (N + 1) * N);
    let mut id = 1;
    for line in 0..=N {
        for horizontal in [true, false] {
            let kind = match line % 4 {
                0 => "secondary",
                1 => "track",
                2 => "unclassified",
                _ => "residential",
            };
            for b in 0..N {
                let (a, z) = if horizontal {
                    (node(b, line), node(b + 1, line))
                } else {
                    (node(line, b), node(line, b + 1))
                };
                let mut g = vec![a];
                for k in 1..4 {
                    let f = k as f64 / 4.0;
                    let p = LatLon {
                        lat: a.lat + (z.lat - a.lat) * f,
                        lon: a.lon + (z.lon - a.lon) * f,
                    };
                    g.push(offset(p, 6.0 * rng.unit() - 3.0, 6.0 * rng.unit() - 3.0));
                }
                g.push(z);
                if let Some(r) = road(OsmId::Way(id), &[("highway", kind)][..], g) {
                    roads.push(r);
                }
                id += 1;
            }
        }
    }
    let gen_s = t.elapsed().as_secs_f64();
    // The drive: up and down the grid's columns (a boustrophedon), 15 m a second.
    let mut truth: Vec<LatLon> = Vec::new();
    'outer: for col in 0..=N {
        let rows: Vec<usize> = if col % 2 == 0 {
            (0..=N).collect()
        } else {
            (0..=N).rev().collect()
        };
        for j in rows {
            truth.push(node(col, j));
            if truth.len() * (BLOCK_M as usize / 15) > POINTS + 1000 {
                break 'outer;
            }
        }
        truth.push(node(col + 1, if col % 2 == 0 { N } else { 0 }));
    }
    let mut pts = Vec::with_capacity(POINTS);
    'fill: for w in truth.windows(2) {
        let d = trailatlas::core::geodesy::distance_m(w[0], w[1]);
        let n = (d / 15.0).ceil() as usize;
        for k in 0..n {
            let f = k as f64 / n as f64;
            let p = LatLon {
                lat: w[0].lat + (w[1].lat - w[0].lat) * f,
                lon: w[0].lon + (w[1].lon - w[0].lon) * f,
            };
            let a = rng.unit() * std::f64::consts::TAU;
            let r = 5.0 + 10.0 * rng.unit();
            pts.push(offset(p, r * a.sin(), r * a.cos()));
            if pts.len() == POINTS {
                break 'fill;
            }
        }
    }
    let t = Instant::now();
    let route = RouteLine::new(pts).expect("route");
    let reference_s = t.elapsed().as_secs_f64();
    let n_roads = roads.len();
    let t = Instant::now();
    let net = RoadNet::new(roads);
    let net_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let m = match_route(
        &net,
        route.points(),
        route.chainage_m(),
        &MatchParams::default(),
    );
    let match_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let eles = vec![None; route.points().len()];
    let o = Overview::compute(
        OverviewInput {
            chainage_m: route.chainage_m(),
            elevations_m: &eles,
            stretches: &m.stretches,
            roads: net.roads(),
            stops: &[],
        },
        &OverviewParams {
            day_m: Some(300_000.0),
            ..OverviewParams::default()
        },
    );
    let overview_s = t.elapsed().as_secs_f64();
    println!(
        "network: {n_roads} ways, {} junctions (generated in {gen_s:.2} s)",
        net.junction_count()
    );
    println!(
        "route: {} points, {:.0} km; {} samples, {} stretches, {:.1} km off the map",
        route.points().len(),
        route.length_m() / 1000.0,
        m.samples,
        m.stretches.len(),
        m.off_map_m() / 1000.0
    );
    println!("reference RouteLine::new: {reference_s:.3} s");
    println!(
        "RoadNet::new: {net_s:.3} s ({:.1}x reference)",
        net_s / reference_s
    );
    println!(
        "match_route: {match_s:.3} s ({:.1}x reference); index + match {:.3} s",
        match_s / reference_s,
        net_s + match_s
    );
    println!(
        "overview: {overview_s:.3} s ({:.2}x reference), {} sections",
        overview_s / reference_s,
        o.sections.len()
    );
}
