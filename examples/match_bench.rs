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
use trailatlas::core::overview::{Overview, OverviewInput, OverviewParams};

#[path = "common/grid.rs"]
mod grid;

const N: usize = 400;
const POINTS: usize = 1_000_000;

fn main() {
    let mut rng = grid::Rng(42);
    let t = Instant::now();
    let roads: Vec<_> = grid::ways(N, &mut rng)
        .into_iter()
        .enumerate()
        .filter_map(|(i, (_, _, g, kind))| {
            road(OsmId::Way(i as i64 + 1), &[("highway", kind)][..], g)
        })
        .collect();
    let gen_s = t.elapsed().as_secs_f64();
    let pts = grid::drive(N, POINTS, &mut rng);
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
            flat_at_m: None,
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
