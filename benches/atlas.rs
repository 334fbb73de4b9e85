//! Atlas benchmark: a generated 1,000,000-point route paginated at 1:100,000 on Letter into
//! about 100 pages; pagination alone (the reference) against the whole PDF (pagination,
//! scenes with simplification, krilla). Prints bytes per page once.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use trailatlas::core::atlas::{Orientation, PageSpec, Paper, paginate};
use trailatlas::core::model::{LatLon, Waypoint, WaypointKind};
use trailatlas::render::atlas::{AtlasRoute, atlas_pdf};
use trailatlas::scene::build::SceneOptions;

/// A meandering route eastward from Oregon: 1,000,000 points, about 2,600 km, wiggles of a few
/// km so the line is not trivially simplified away.
fn route(n: usize) -> Vec<LatLon> {
    (0..n)
        .map(|i| {
            let t = i as f64 / n as f64;
            let lon = -122.0 + 26.0 * t + 0.01 * (t * 9000.0).sin();
            let lat = 44.0 + 0.5 * (t * 40.0).sin() + 0.02 * (t * 3100.0).cos();
            LatLon::new(lat, lon)
        })
        .collect()
}

fn waypoints(path: &[LatLon]) -> Vec<Waypoint> {
    path.iter()
        .step_by(5_000)
        .enumerate()
        .map(|(i, p)| Waypoint {
            pos: LatLon::new(p.lat + 0.003, p.lon),
            name: Some(format!("Stop {i}")),
            kind: WaypointKind::ALL[i % WaypointKind::ALL.len()],
            ..Default::default()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let path = route(1_000_000);
    let wpts = waypoints(&path);
    let Ok(spec) = PageSpec::new(Paper::Letter, Orientation::Auto, 100_000) else {
        return;
    };
    let opts = SceneOptions::default();
    if let Ok((bytes, atlas)) = atlas_pdf(
        &spec,
        AtlasRoute {
            name: "Bench",
            path: &path,
        },
        &[],
        &wpts,
        &opts,
    ) {
        let pages = atlas.pages.len();
        eprintln!(
            "atlas bench: {} map pages, {} PDF bytes total, {} bytes per map page",
            pages,
            bytes.len(),
            bytes.len() / pages.max(1)
        );
    }
    let mut g = c.benchmark_group("atlas_1m_points");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .warm_up_time(Duration::from_secs(2));
    g.bench_function("paginate_only", |b| {
        b.iter(|| paginate(&spec, black_box(&path)).map(|a| a.pages.len()))
    });
    g.bench_function("full_pdf", |b| {
        b.iter(|| {
            atlas_pdf(
                &spec,
                AtlasRoute {
                    name: "Bench",
                    path: black_box(&path),
                },
                &[],
                &wpts,
                &opts,
            )
            .map(|(b, _)| b.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
