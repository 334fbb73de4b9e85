//! Navigation benchmarks: k=5 nearest over 1,000,000 waypoints (rstar on unit vectors vs an
//! exhaustive scan vs an SQLite R*Tree window search), and "what is ahead" on a
//! 1,000,000-point route (indexed vs an exhaustive locate). All data is generated here.
//!
//! Run: `cargo bench --bench nav`. Figures go in BENCHMARKS.md, section "nav".

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rusqlite::{Connection, params};
use trailatlas::core::along::{RouteLine, RouteWaypoints};
use trailatlas::core::geodesy::distance_m;
use trailatlas::core::model::{LatLon, WaypointId, WaypointKind};
use trailatlas::core::nearest::WaypointIndex;

const N_WAYPOINTS: usize = 1_000_000;
const N_ROUTE_POINTS: usize = 1_000_000;
const K: usize = 5;

/// SplitMix64: deterministic data without a rand dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// Waypoints spread over the continental US box (25–50°N, 125–65°W), random kinds.
fn waypoints(n: usize) -> Vec<(WaypointId, LatLon, WaypointKind)> {
    let mut rng = Rng(42);
    (0..n)
        .map(|i| {
            let kind = WaypointKind::ALL[(rng.next_u64() % 12) as usize];
            (
                i as WaypointId,
                LatLon::new(rng.range(25.0, 50.0), rng.range(-125.0, -65.0)),
                kind,
            )
        })
        .collect()
}

fn queries(n: usize, seed: u64) -> Vec<LatLon> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| LatLon::new(rng.range(26.0, 49.0), rng.range(-124.0, -66.0)))
        .collect()
}

fn brute_nearest(
    items: &[(WaypointId, LatLon, WaypointKind)],
    at: LatLon,
    k: usize,
) -> Vec<WaypointId> {
    let mut best: Vec<(f64, WaypointId)> = Vec::with_capacity(k + 1);
    for &(id, p, _) in items {
        let d = distance_m(at, p);
        if best.len() < k || d < best[best.len() - 1].0 {
            let i = best.partition_point(|b| (b.0, b.1) < (d, id));
            best.insert(i, (d, id));
            best.truncate(k);
        }
    }
    best.into_iter().map(|(_, id)| id).collect()
}

/// The store-style approach: an SQLite R*Tree of point boxes joined to a table of exact
/// positions, searched with a window that doubles until the k-th hit lies inside the circle
/// the window inscribes.
struct SqliteIndex {
    conn: Connection,
}

impl SqliteIndex {
    fn build(items: &[(WaypointId, LatLon, WaypointKind)]) -> SqliteIndex {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE wp(id INTEGER PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL);
             CREATE VIRTUAL TABLE wp_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);",
        )
        .unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        {
            let mut a = tx.prepare("INSERT INTO wp VALUES (?1, ?2, ?3)").unwrap();
            let mut b = tx
                .prepare("INSERT INTO wp_rtree VALUES (?1, ?2, ?2, ?3, ?3)")
                .unwrap();
            for &(id, p, _) in items {
                a.execute(params![id, p.lat, p.lon]).unwrap();
                b.execute(params![id, p.lon, p.lat]).unwrap();
            }
        }
        tx.commit().unwrap();
        SqliteIndex { conn }
    }

    fn nearest(&self, at: LatLon, k: usize) -> Vec<WaypointId> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT wp.id, wp.lat, wp.lon FROM wp_rtree r JOIN wp ON wp.id = r.id
                 WHERE r.max_lon >= ?1 AND r.min_lon <= ?2 AND r.max_lat >= ?3 AND r.min_lat <= ?4",
            )
            .unwrap();
        let mut half_deg = 0.02;
        loop {
            let rows = stmt
                .query_map(
                    params![
                        at.lon - half_deg,
                        at.lon + half_deg,
                        at.lat - half_deg,
                        at.lat + half_deg
                    ],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, f64>(1)?,
                            r.get::<_, f64>(2)?,
                        ))
                    },
                )
                .unwrap();
            let mut hits: Vec<(f64, WaypointId)> = rows
                .map(|r| r.unwrap())
                .map(|(id, lat, lon)| (distance_m(at, LatLon::new(lat, lon)), id))
                .collect();
            hits.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            // Radius of the circle inside the window: the narrower of its half-height and its
            // half-width at the latitude furthest from the equator.
            let far_lat = (at.lat.abs() + half_deg).min(89.9).to_radians();
            let inscribed_m = half_deg.to_radians() * 6_371_008.8 * far_lat.cos();
            if hits.len() >= k && hits[k - 1].0 <= inscribed_m {
                return hits.into_iter().take(k).map(|(_, id)| id).collect();
            }
            half_deg *= 2.0;
        }
    }
}

fn bench_nearest(c: &mut Criterion) {
    let items = waypoints(N_WAYPOINTS);
    let t = Instant::now();
    let index = WaypointIndex::new(items.iter().copied());
    eprintln!(
        "nav: WaypointIndex over {N_WAYPOINTS} built in {:.2?}",
        t.elapsed()
    );
    let t = Instant::now();
    let sqlite = SqliteIndex::build(&items);
    eprintln!(
        "nav: SQLite R*Tree over {N_WAYPOINTS} built in {:.2?}",
        t.elapsed()
    );
    let qs = queries(1000, 7);

    // Same answers before timing anything.
    for q in qs.iter().take(20) {
        let ids: Vec<WaypointId> = index.nearest(*q, &[], K).iter().map(|n| n.id).collect();
        assert_eq!(ids, brute_nearest(&items, *q, K));
        assert_eq!(ids, sqlite.nearest(*q, K));
    }

    let mut g = c.benchmark_group("nav_nearest_k5_1M");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    let mut i = 0;
    g.bench_function("rstar_all_kinds", |b| {
        b.iter(|| {
            i = (i + 1) % qs.len();
            black_box(index.nearest(qs[i], &[], K))
        })
    });
    g.bench_function("rstar_fuel_only", |b| {
        b.iter(|| {
            i = (i + 1) % qs.len();
            black_box(index.nearest(qs[i], &[WaypointKind::Fuel], K))
        })
    });
    g.bench_function("rstar_fuel_or_camp", |b| {
        b.iter(|| {
            i = (i + 1) % qs.len();
            black_box(index.nearest(qs[i], &[WaypointKind::Fuel, WaypointKind::Campground], K))
        })
    });
    g.bench_function("sqlite_rtree_window", |b| {
        b.iter(|| {
            i = (i + 1) % qs.len();
            black_box(sqlite.nearest(qs[i], K))
        })
    });
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.bench_function("brute_force_scan", |b| {
        b.iter(|| {
            i = (i + 1) % qs.len();
            black_box(brute_nearest(&items, qs[i], K))
        })
    });
    g.finish();
}

/// A meandering 1,000,000-point drive of ~25 m steps (≈25,000 km) across the US box,
/// turning back at its edges, plus waypoints scattered within ~3 km of it.
fn route_and_waypoints() -> (Vec<LatLon>, Vec<(WaypointId, LatLon, WaypointKind)>) {
    let mut rng = Rng(99);
    let mut pts = Vec::with_capacity(N_ROUTE_POINTS);
    let (mut lat, mut lon, mut heading) = (37.0f64, -100.0f64, 0.5f64);
    for _ in 0..N_ROUTE_POINTS {
        pts.push(LatLon::new(lat, lon));
        heading += rng.range(-0.05, 0.05);
        if !(26.0..49.0).contains(&lat) || !(-124.0..-66.0).contains(&lon) {
            heading += std::f64::consts::PI / 16.0;
        }
        let step_deg = 25.0 / 111_195.0;
        lat += step_deg * heading.cos();
        lon += step_deg * heading.sin() / lat.to_radians().cos();
    }
    let wpts = (0..20_000)
        .map(|i| {
            let base = pts[(rng.next_u64() % pts.len() as u64) as usize];
            let kind = WaypointKind::ALL[(rng.next_u64() % 12) as usize];
            (
                i,
                LatLon::new(
                    base.lat + rng.range(-0.03, 0.03),
                    base.lon + rng.range(-0.03, 0.03),
                ),
                kind,
            )
        })
        .collect();
    (pts, wpts)
}

fn bench_ahead(c: &mut Criterion) {
    let (pts, wpts) = route_and_waypoints();
    let mut rng = Rng(5);
    let qs: Vec<LatLon> = (0..1000)
        .map(|_| {
            let p = pts[(rng.next_u64() % pts.len() as u64) as usize];
            LatLon::new(
                p.lat + rng.range(-0.0005, 0.0005),
                p.lon + rng.range(-0.0005, 0.0005),
            )
        })
        .collect();
    let t = Instant::now();
    let route = RouteLine::new(pts).unwrap();
    eprintln!(
        "nav: RouteLine over {N_ROUTE_POINTS} points built in {:.2?}",
        t.elapsed()
    );
    let t = Instant::now();
    let passes = RouteWaypoints::new(&route, wpts.iter().copied(), 2000.0);
    eprintln!(
        "nav: RouteWaypoints for {} waypoints ({} passes) built in {:.2?}",
        wpts.len(),
        passes.all_passes().len(),
        t.elapsed()
    );
    let all = passes.all_passes();
    // The reference: locate by checking every segment, then scan every pass.
    let brute = |at: LatLon| {
        let here = route.locate_exhaustive(at).unwrap();
        let mut v: Vec<_> = all
            .iter()
            .filter(|p| p.kind == WaypointKind::Fuel && p.along_m > here.along_m)
            .copied()
            .collect();
        v.sort_by(|a, b| a.along_m.total_cmp(&b.along_m).then(a.id.cmp(&b.id)));
        v.truncate(K);
        v.iter().map(|p| p.id).collect::<Vec<_>>()
    };
    for q in qs.iter().take(5) {
        let (_, ahead) = passes
            .ahead_of(&route, *q, None, &[WaypointKind::Fuel], K)
            .unwrap();
        assert_eq!(ahead.iter().map(|a| a.id).collect::<Vec<_>>(), brute(*q));
    }

    let mut g = c.benchmark_group("nav_ahead_1M_route");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    let mut i = 0;
    g.bench_function("locate_plus_passes", |b| {
        b.iter(|| {
            i = (i + 1) % qs.len();
            black_box(passes.ahead_of(&route, qs[i], None, &[WaypointKind::Fuel], K))
        })
    });
    g.bench_function("locate_with_hint_plus_passes", |b| {
        b.iter(|| {
            i = (i + 1) % qs.len();
            black_box(passes.ahead_of(&route, qs[i], Some(1.0e6), &[WaypointKind::Fuel], K))
        })
    });
    g.sample_size(10);
    g.bench_function("brute_force_locate_and_scan", |b| {
        b.iter(|| {
            i = (i + 1) % qs.len();
            black_box(brute(qs[i]))
        })
    });
    g.finish();
}

criterion_group!(benches, bench_nearest, bench_ahead);
criterion_main!(benches);
