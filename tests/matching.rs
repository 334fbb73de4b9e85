//! Route-to-road matching, judged against routes whose roads are known: drives made by
//! chaining the ways of a map (a generated street grid with tracks, and the real Andorra and
//! Liechtenstein extracts), resampled as devices log (1 to 10 s at driving speed, or sparse
//! shaping points) and jittered by 5 to 15 m. The matched road must be right for at least
//! 98 % of the length, the turn at at least 95 % of the road changes, and a stretch driven
//! where the map has no road must come out as off the map.

use std::collections::HashMap;

use crate::support::maps;
use trailatlas::core::geodesy::distance_m;
use trailatlas::core::map::build::road as make_road;
use trailatlas::core::map::{OsmId, Road, RoadClass};
use trailatlas::core::matching::{
    MatchParams, RoadNet, RouteMatch, Turn, match_route, turn_angle_deg,
};
use trailatlas::core::model::{BBox, LatLon};
use trailatlas::store::{MapImportOptions, Store};

/// A small deterministic generator (xorshift64*), so every run drives the same routes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.unit()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A drive along known roads: its polyline, the road of each segment, and each change of road.
struct Truth {
    pts: Vec<LatLon>,
    /// Road index (into the roads given) of segment `i` (pts[i]..pts[i+1]).
    seg_road: Vec<usize>,
    chain: Vec<f64>,
    /// (chainage, turn angle) at each change of road.
    changes: Vec<(f64, f64)>,
}

impl Truth {
    fn road_at(&self, m: f64) -> usize {
        let i = self
            .chain
            .partition_point(|&c| c <= m)
            .clamp(1, self.seg_road.len());
        self.seg_road[i - 1]
    }
    fn point_at(&self, m: f64) -> LatLon {
        let i = self
            .chain
            .partition_point(|&c| c <= m)
            .clamp(1, self.pts.len() - 1);
        let (a, b) = (self.pts[i - 1], self.pts[i]);
        let len = self.chain[i] - self.chain[i - 1];
        let t = if len > 0.0 {
            ((m - self.chain[i - 1]) / len).clamp(0.0, 1.0)
        } else {
            0.0
        };
        LatLon {
            lat: a.lat + (b.lat - a.lat) * t,
            lon: a.lon + (b.lon - a.lon) * t,
        }
    }
    fn length(&self) -> f64 {
        *self.chain.last().unwrap()
    }
}

fn key(p: LatLon) -> (i64, i64) {
    ((p.lat * 1e7).round() as i64, (p.lon * 1e7).round() as i64)
}

/// How a driver picking roads weighs them: tracks and minor roads preferred, as on a
/// backcountry route; service roads and streets only where needed.
fn class_cost(c: RoadClass) -> f64 {
    match c {
        RoadClass::Track => 0.8,
        RoadClass::Minor => 0.9,
        RoadClass::Tertiary => 1.0,
        RoadClass::Secondary => 1.1,
        RoadClass::Primary | RoadClass::Trunk | RoadClass::Motorway => 1.3,
        RoadClass::Residential => 1.6,
        RoadClass::Service => 4.0,
        _ => 3.0,
    }
}

/// One piece of a road between two graph nodes.
#[derive(Clone, Copy)]
struct Edge {
    road: usize,
    from_v: usize,
    to_v: usize,
    to: usize,
    cost: f64,
}

/// A drive of about `target_m` over the drivable roads, made as a route planner would: the
/// cheapest path (by [`class_cost`]) to a random place 1.5 to 5 km away, then on to the
/// next, so it has loops, out-and-back legs into dead ends and roads driven twice.
fn drive(roads: &[Road], rng: &mut Rng, target_m: f64) -> Truth {
    let drivable: Vec<usize> = (0..roads.len())
        .filter(|&i| roads[i].drivable && roads[i].class != RoadClass::Path)
        .collect();
    let mut count: HashMap<(i64, i64), usize> = HashMap::new();
    for &r in &drivable {
        for p in &roads[r].geometry {
            *count.entry(key(*p)).or_default() += 1;
        }
    }
    let mut node_of: HashMap<(i64, i64), usize> = HashMap::new();
    let mut node_pos: Vec<LatLon> = Vec::new();
    let mut adj: Vec<Vec<Edge>> = Vec::new();
    let mut node = |p: LatLon, adj: &mut Vec<Vec<Edge>>| -> usize {
        *node_of.entry(key(p)).or_insert_with(|| {
            node_pos.push(p);
            adj.push(Vec::new());
            node_pos.len() - 1
        })
    };
    for &r in &drivable {
        let g = &roads[r].geometry;
        let mut from_v = 0;
        let mut len = 0.0;
        for v in 1..g.len() {
            len += distance_m(g[v - 1], g[v]);
            if v == g.len() - 1 || count[&key(g[v])] > 1 {
                let a = node(g[from_v], &mut adj);
                let b = node(g[v], &mut adj);
                let cost = len * class_cost(roads[r].class);
                // As a route planner would: one-way roads only their way.
                if roads[r].oneway >= 0 {
                    adj[a].push(Edge {
                        road: r,
                        from_v,
                        to_v: v,
                        to: b,
                        cost,
                    });
                }
                if roads[r].oneway <= 0 {
                    adj[b].push(Edge {
                        road: r,
                        from_v: v,
                        to_v: from_v,
                        to: a,
                        cost,
                    });
                }
                from_v = v;
                len = 0.0;
            }
        }
    }
    let n = node_pos.len();
    let mut pts: Vec<LatLon> = Vec::new();
    let mut seg_road: Vec<usize> = Vec::new();
    let mut change_idx: Vec<usize> = Vec::new();
    // Places to drive to: crossings, and the ends of spurs at least 500 m long (for
    // out-and-back legs); not every cul-de-sac, whose turn-around a log cannot show.
    let degree = |u: usize| adj[u].len();
    let spur_m = |u: usize| {
        adj[u]
            .first()
            .map_or(0.0, |e| e.cost / class_cost(roads[e.road].class))
    };
    let targets: Vec<usize> = (0..n)
        .filter(|&u| degree(u) >= 3 || (degree(u) == 1 && spur_m(u) >= 500.0))
        .collect();
    let mut here = targets[rng.below(targets.len())];
    // Start where there is somewhere to go (not on an island of a few ways).
    for _ in 0..100 {
        let reach = adj[here].len();
        if reach >= 3 {
            break;
        }
        here = targets[rng.below(targets.len())];
    }
    pts.push(node_pos[here]);
    let mut len = 0.0;
    let mut tries = 0;
    while len < target_m && tries < 2_000 {
        tries += 1;
        let to = targets[rng.below(targets.len())];
        let d = distance_m(node_pos[here], node_pos[to]);
        if !(1_500.0..=5_000.0).contains(&d) {
            continue;
        }
        // Dijkstra from here.
        let mut dist = vec![f64::INFINITY; n];
        let mut pred: Vec<Option<(usize, Edge)>> = vec![None; n];
        let mut heap = std::collections::BinaryHeap::new();
        dist[here] = 0.0;
        heap.push((std::cmp::Reverse(0u64), here));
        while let Some((std::cmp::Reverse(dk), u)) = heap.pop() {
            let du = dk as f64 / 1000.0;
            if du > dist[u] {
                continue;
            }
            if u == to {
                break;
            }
            for e in &adj[u] {
                let nd = du + e.cost;
                if nd < dist[e.to] {
                    dist[e.to] = nd;
                    pred[e.to] = Some((u, *e));
                    heap.push((std::cmp::Reverse((nd * 1000.0) as u64), e.to));
                }
            }
        }
        if !dist[to].is_finite() {
            // Unreachable from here: an island; start again elsewhere if nothing is driven.
            if pts.len() == 1 && tries % 20 == 0 {
                here = targets[rng.below(targets.len())];
                pts[0] = node_pos[here];
            }
            continue;
        }
        let mut path = Vec::new();
        let mut at = to;
        while let Some((u, e)) = pred[at] {
            path.push(e);
            at = u;
        }
        path.reverse();
        for e in path {
            if seg_road.last().is_some_and(|&r| r != e.road) {
                change_idx.push(pts.len() - 1);
            }
            let g = &roads[e.road].geometry;
            let step: isize = if e.to_v > e.from_v { 1 } else { -1 };
            let mut v = e.from_v as isize;
            while v != e.to_v as isize {
                v += step;
                let p = g[v as usize];
                len += distance_m(*pts.last().unwrap(), p);
                pts.push(p);
                seg_road.push(e.road);
            }
        }
        here = to;
    }
    let mut chain = vec![0.0];
    for w in pts.windows(2) {
        chain.push(chain.last().unwrap() + distance_m(w[0], w[1]));
    }
    let mut t = Truth {
        pts,
        seg_road,
        chain,
        changes: Vec::new(),
    };
    // Changes closer than 30 m (a crossing with a link way) are one turn, measured from 30 m
    // before the first to 30 m after the last, as a driver sees it (and as the matcher does).
    let cs: Vec<f64> = change_idx.iter().map(|&i| t.chain[i]).collect();
    let mut i = 0;
    while i < cs.len() {
        let mut j = i;
        while j + 1 < cs.len() && cs[j + 1] - cs[j] < 30.0 {
            j += 1;
        }
        let (c0, c1) = (cs[i], cs[j]);
        if c0 >= 30.0 && c1 <= t.length() - 30.0 {
            let angle = turn_angle_deg(
                t.point_at(c0 - 30.0),
                t.point_at(0.5 * (c0 + c1)),
                t.point_at(c1 + 30.0),
            );
            for &c in &cs[i..=j] {
                t.changes.push((c, angle));
            }
        }
        i = j + 1;
    }
    t
}

fn offset(p: LatLon, east_m: f64, north_m: f64) -> LatLon {
    LatLon {
        lat: p.lat + north_m / 111_319.49,
        lon: p.lon + east_m / (111_319.49 * p.lat.to_radians().cos()),
    }
}

/// A device log of the drive: a point every `step_m` metres of road, each `5..15` m off in a
/// random direction. Returns the points and the true chainage of each.
fn log(t: &Truth, step_m: f64, noise: (f64, f64), rng: &mut Rng) -> (Vec<LatLon>, Vec<f64>) {
    let mut pts = Vec::new();
    let mut truth_m = Vec::new();
    let mut m = 0.0;
    while m <= t.length() {
        let a = rng.range(0.0, std::f64::consts::TAU);
        let r = rng.range(noise.0, noise.1);
        pts.push(offset(t.point_at(m), r * a.sin(), r * a.cos()));
        truth_m.push(m);
        m += step_m;
    }
    (pts, truth_m)
}

fn chainage(pts: &[LatLon]) -> Vec<f64> {
    let mut c = vec![0.0];
    for w in pts.windows(2) {
        c.push(c.last().unwrap() + distance_m(w[0], w[1]));
    }
    c
}

/// The route's chainage at true chainage `x`, from the log's pairs.
fn route_at(x: f64, truth_m: &[f64], route_m: &[f64]) -> f64 {
    let k = truth_m
        .partition_point(|&c| c <= x)
        .clamp(1, truth_m.len() - 1);
    let f = ((x - truth_m[k - 1]) / (truth_m[k] - truth_m[k - 1]).max(1e-9)).clamp(0.0, 1.0);
    route_m[k - 1] + f * (route_m[k] - route_m[k - 1])
}

/// Share of the drive's length whose road the match names, judged visit by visit: each run
/// of the drive on one way counts as right when the match has that way there, for at least
/// half of it, with the change of road placed within `tol_m` (GPS noise, the log's step) of
/// the junction. Where along the road within that noise the match puts the junction does
/// not make the road wrong (as in Newson & Krumm's route mismatch fraction).
fn road_accuracy(
    t: &Truth,
    roads: &[Road],
    net: &RoadNet,
    m: &RouteMatch,
    route_m: &[f64],
    truth_m: &[f64],
    tol_m: f64,
) -> f64 {
    let (mut ok, mut all) = (0.0, 0.0);
    let mut i = 0;
    while i < t.seg_road.len() {
        let r = t.seg_road[i];
        let mut j = i;
        while j < t.seg_road.len() && t.seg_road[j] == r {
            j += 1;
        }
        let (t0, t1) = (t.chain[i], t.chain[j]);
        let (r0, r1) = (
            route_at(t0, truth_m, route_m),
            route_at(t1, truth_m, route_m),
        );
        let osm = roads[r].osm;
        let overlap: f64 = m
            .stretches
            .iter()
            .filter(|s| s.road.is_some_and(|x| net.roads()[x as usize].osm == osm))
            .map(|s| (s.to_m.min(r1 + tol_m) - s.from_m.max(r0 - tol_m)).max(0.0))
            .sum();
        let need = if r1 - r0 < 2.0 * tol_m {
            1e-9
        } else {
            0.5 * (r1 - r0)
        };
        all += t1 - t0;
        if overlap >= need {
            ok += t1 - t0;
        }
        i = j;
    }
    ok / all
}

/// Share of the length whose matched road is the true one point by point (for the report).
fn point_accuracy(
    t: &Truth,
    roads: &[Road],
    net: &RoadNet,
    m: &RouteMatch,
    route_m: &[f64],
    truth_m: &[f64],
) -> f64 {
    let (mut ok, mut all) = (0.0, 0.0);
    for i in 0..truth_m.len().saturating_sub(1) {
        let w = truth_m[i + 1] - truth_m[i];
        all += w;
        let truth = roads[t.road_at(truth_m[i] + 0.5 * w)].osm;
        let mid = 0.5 * (route_m[i] + route_m[i + 1]);
        if m.at(mid)
            .and_then(|s| s.road)
            .is_some_and(|r| net.roads()[r as usize].osm == truth)
        {
            ok += w;
        }
    }
    ok / all
}

/// Share of the drive's road changes where a change is matched nearby with the same turn.
fn turn_accuracy(
    t: &Truth,
    m: &RouteMatch,
    route_m: &[f64],
    truth_m: &[f64],
    tol_m: f64,
) -> (f64, usize) {
    let mut ok = 0;
    for &(c, angle) in &t.changes {
        // Where the route log is at the junction.
        let here = route_at(c, truth_m, route_m);
        let window = tol_m;
        let near = m
            .stretches
            .iter()
            .skip(1)
            .filter(|s| (s.from_m - here).abs() <= window)
            .filter_map(|s| s.turn_deg.map(|d| (s.from_m, d)))
            .min_by(|a, b| (a.0 - here).abs().total_cmp(&(b.0 - here).abs()));
        if let Some((_, d)) = near
            && (Turn::from_deg(d) == Turn::from_deg(angle) || (d - angle).abs() < 15.0)
        {
            ok += 1;
        }
    }
    let n = t.changes.len();
    (if n == 0 { 1.0 } else { ok as f64 / n as f64 }, n)
}

/// A street grid of `n × n` blocks of `block_m`, every street split into one way per block
/// as OSM has them: named residential streets, tracks on every third line, a paved avenue.
fn grid(n: usize, block_m: f64, rng: &mut Rng) -> Vec<Road> {
    let origin = LatLon {
        lat: 44.05,
        lon: -121.3,
    };
    let node = |i: usize, j: usize| offset(origin, i as f64 * block_m, j as f64 * block_m);
    let mut roads = Vec::new();
    let mut id = 1;
    for line in 0..=n {
        for horizontal in [true, false] {
            let (tags, name): (Vec<(&str, &str)>, String) = if line % 3 == 1 {
                (
                    vec![("highway", "track"), ("tracktype", "grade3")],
                    String::new(),
                )
            } else if line == n / 2 {
                (
                    vec![("highway", "secondary"), ("surface", "asphalt")],
                    "Main Avenue".into(),
                )
            } else {
                (
                    vec![("highway", "residential"), ("surface", "gravel")],
                    format!("{} {line}", if horizontal { "East" } else { "North" }),
                )
            };
            for b in 0..n {
                let (a, z) = if horizontal {
                    (node(b, line), node(b + 1, line))
                } else {
                    (node(line, b), node(line, b + 1))
                };
                // A few bends inside the block, as real streets have.
                let mut geom = vec![a];
                for k in 1..4 {
                    let t = k as f64 / 4.0;
                    let p = LatLon {
                        lat: a.lat + (z.lat - a.lat) * t,
                        lon: a.lon + (z.lon - a.lon) * t,
                    };
                    geom.push(offset(p, rng.range(-4.0, 4.0), rng.range(-4.0, 4.0)));
                }
                geom.push(z);
                let mut t: Vec<(&str, &str)> = tags.clone();
                if !name.is_empty() {
                    t.push(("name", name.as_str()));
                }
                roads.push(make_road(OsmId::Way(id), &t, geom).unwrap());
                id += 1;
            }
        }
    }
    roads
}

fn check_drives(label: &str, roads: &[Road], seed: u64, drives: usize, target_m: f64) {
    let net = RoadNet::new(roads.to_vec());
    let mut rng = Rng(seed);
    let (mut ok_m, mut all_m) = (0.0, 0.0);
    let (mut turns_ok, mut turns) = (0.0, 0usize);
    for d in 0..drives {
        let t = drive(roads, &mut rng, target_m);
        // 1 to 10 s at 8 to 25 m/s.
        let step = rng.range(1.0, 10.0) * rng.range(8.0, 25.0);
        let (pts, truth_m) = log(&t, step, (5.0, 15.0), &mut rng);
        let route_m = chainage(&pts);
        let m = match_route(&net, &pts, &route_m, &MatchParams::default());
        assert!((m.stretches.last().unwrap().to_m - route_m.last().unwrap()).abs() < 1e-6);
        let tol = 30.0_f64.max(step);
        let acc = road_accuracy(&t, roads, &net, &m, &route_m, &truth_m, tol);
        let pacc = point_accuracy(&t, roads, &net, &m, &route_m, &truth_m);
        let (ta, n) = turn_accuracy(&t, &m, &route_m, &truth_m, tol);
        eprintln!(
            "{label} drive {d}: {:.1} km, step {step:.0} m, road {:.1} % (point by point {:.1} %), turns {:.1} % of {n}",
            t.length() / 1000.0,
            acc * 100.0,
            pacc * 100.0,
            ta * 100.0
        );
        ok_m += acc * t.length();
        all_m += t.length();
        turns_ok += ta * n as f64;
        turns += n;
    }
    let acc = ok_m / all_m;
    let ta = turns_ok / turns.max(1) as f64;
    eprintln!(
        "{label}: road right for {:.2} % of {:.0} km, turn right at {:.2} % of {turns} changes",
        acc * 100.0,
        all_m / 1000.0,
        ta * 100.0
    );
    assert!(
        acc >= 0.98,
        "{label}: road right for only {:.2} %",
        acc * 100.0
    );
    assert!(
        ta >= 0.95,
        "{label}: turn right at only {:.2} %",
        ta * 100.0
    );
    assert!(turns > 0);
}

#[test]
fn drives_over_a_generated_grid_are_matched_road_by_road() {
    let mut rng = Rng(7);
    let roads = grid(12, 180.0, &mut rng);
    check_drives("grid", &roads, 11, 6, 8_000.0);
}

fn real_roads(file: &str) -> Option<Vec<Road>> {
    let path = maps()?.join(file);
    let mut store = Store::open_in_memory().unwrap();
    let r = store.import_map_file(&path, MapImportOptions::default(), &mut |_| {});
    assert!(r.error.is_none(), "{:?}", r.error);
    let all = BBox {
        min_lon: -180.0,
        min_lat: -90.0,
        max_lon: 180.0,
        max_lat: 90.0,
    };
    Some(store.map_roads_in_bbox(&all).unwrap())
}

#[test]
fn drives_over_andorra_are_matched_road_by_road() {
    let Some(roads) = real_roads("andorra.osm.pbf") else {
        return;
    };
    check_drives("andorra", &roads, 3, 8, 15_000.0);
}

#[test]
fn drives_over_liechtenstein_are_matched_road_by_road() {
    let Some(roads) = real_roads("liechtenstein-latest.osm.pbf") else {
        return;
    };
    check_drives("liechtenstein", &roads, 5, 8, 15_000.0);
}

/// Shaping points as a BaseCamp route has them: at each change of road and every 2 km, on
/// the road (no noise): the matcher has to find the roads between them itself.
#[test]
fn sparse_shaping_points_are_matched_through_the_network() {
    for (label, roads) in [
        ("grid", Some(grid(12, 180.0, &mut Rng(7)))),
        ("andorra", real_roads("andorra.osm.pbf")),
    ] {
        let Some(roads) = roads else { continue };
        let net = RoadNet::new(roads.clone());
        let mut rng = Rng(21);
        let (mut ok, mut all) = (0.0, 0.0);
        for _ in 0..5 {
            let t = drive(&roads, &mut rng, 12_000.0);
            let mut at: Vec<f64> = vec![0.0];
            for &(c, _) in &t.changes {
                at.push(c);
            }
            // And where it turns back (the end of an out-and-back leg), as a planner does.
            for i in 1..t.pts.len() - 1 {
                if turn_angle_deg(t.pts[i - 1], t.pts[i], t.pts[i + 1]).abs() > 150.0 {
                    at.push(t.chain[i]);
                }
            }
            at.sort_by(f64::total_cmp);
            at.push(t.length());
            let mut truth_m = Vec::new();
            for w in at.windows(2) {
                let mut m = w[0];
                while m < w[1] {
                    truth_m.push(m);
                    m += 2_000.0;
                }
            }
            truth_m.push(t.length());
            truth_m.dedup_by(|a, b| (*a - *b).abs() < 1.0);
            let pts: Vec<LatLon> = truth_m.iter().map(|&m| t.point_at(m)).collect();
            let route_m = chainage(&pts);
            let m = match_route(&net, &pts, &route_m, &MatchParams::default());
            // Judge on a fine resampling of the route: chainage scales between truth and route.
            let (mut o, mut a) = (0.0, 0.0);
            let mut x = 5.0;
            while x < t.length() {
                a += 10.0;
                let truth = roads[t.road_at(x)].osm;
                // The route's chainage at true chainage x: interpolate between shaping points.
                let k = truth_m
                    .partition_point(|&c| c <= x)
                    .clamp(1, truth_m.len() - 1);
                let f = (x - truth_m[k - 1]) / (truth_m[k] - truth_m[k - 1]).max(1e-9);
                let rm = route_m[k - 1] + f * (route_m[k] - route_m[k - 1]);
                if m.at(rm)
                    .and_then(|s| s.road)
                    .is_some_and(|r| net.roads()[r as usize].osm == truth)
                {
                    o += 10.0;
                }
                x += 10.0;
            }
            eprintln!(
                "{label} shaping drive: {:.1} %, {} points, {} stretches",
                100.0 * o / a,
                pts.len(),
                m.stretches.len()
            );
            ok += o;
            all += a;
        }
        let acc = ok / all;
        eprintln!(
            "{label} shaping points: road right for {:.2} %",
            acc * 100.0
        );
        assert!(
            acc >= 0.98,
            "{label}: shaping points matched right for {:.2} %",
            acc * 100.0
        );
    }
}

/// A drive that leaves the grid for 2 km of open country and comes back: that stretch is off
/// the map, the rest is on the roads.
#[test]
fn a_stretch_where_the_map_has_no_road_is_off_the_map() {
    let mut rng = Rng(7);
    let roads = grid(8, 180.0, &mut rng);
    let net = RoadNet::new(roads.clone());
    // Along the south edge street eastwards, then out into the open due south for 1 km,
    // back north, then along the edge again.
    let south: Vec<LatLon> = (0..8).flat_map(|b| roads_along(&roads, b)).collect();
    let corner = *south.last().unwrap();
    let mut pts: Vec<LatLon> = south.clone();
    let n_out = 100;
    for k in 1..=n_out {
        pts.push(offset(corner, 0.0, -10.0 * k as f64));
    }
    for k in (0..n_out).rev() {
        pts.push(offset(corner, 20.0, -10.0 * k as f64));
    }
    let mut noisy = Vec::new();
    for p in &pts {
        let a = rng.range(0.0, std::f64::consts::TAU);
        let r = rng.range(5.0, 15.0);
        noisy.push(offset(*p, r * a.sin(), r * a.cos()));
    }
    let ch = chainage(&noisy);
    let m = match_route(&net, &noisy, &ch, &MatchParams::default());
    let off = m.off_map_m();
    let on_edge = ch[south.len() - 1];
    let excursion = ch.last().unwrap() - on_edge;
    eprintln!(
        "off map {off:.0} m of an excursion of {excursion:.0} m; stretches {:?}",
        m.stretches.len()
    );
    // The excursion's far part (beyond the search radius) is off the map.
    assert!(
        off >= 0.8 * (excursion - 2.0 * 60.0),
        "off map only {off:.0} m"
    );
    // The street part is on the map.
    let on: f64 = m
        .stretches
        .iter()
        .filter(|s| s.road.is_some() && s.to_m <= on_edge + 60.0)
        .map(|s| s.length_m())
        .sum();
    assert!(
        on >= 0.95 * on_edge,
        "on map only {on:.0} of {on_edge:.0} m"
    );
}

/// The geometry of the south edge street's block `b` (line 0, horizontal), densified.
fn roads_along(roads: &[Road], b: usize) -> Vec<LatLon> {
    // grid(): line 0 horizontal blocks come first, ids 1..=n.
    let g = &roads[b].geometry;
    let mut out = Vec::new();
    for w in g.windows(2) {
        let d = distance_m(w[0], w[1]);
        let n = (d / 10.0).ceil().max(1.0) as usize;
        for k in 0..n {
            let t = k as f64 / n as f64;
            out.push(LatLon {
                lat: w[0].lat + (w[1].lat - w[0].lat) * t,
                lon: w[0].lon + (w[1].lon - w[0].lon) * t,
            });
        }
    }
    out
}

/// Two parallel roads 30 m apart: a noisy drive along one stays on it.
#[test]
fn a_parallel_road_thirty_metres_away_is_not_taken() {
    let a0 = LatLon {
        lat: 44.0,
        lon: -121.0,
    };
    let line = |north: f64, id: i64, name: &str| {
        let geom: Vec<LatLon> = (0..=20)
            .map(|k| offset(a0, 100.0 * k as f64, north))
            .collect();
        make_road(
            OsmId::Way(id),
            &[("highway", "residential"), ("name", name)][..],
            geom,
        )
        .unwrap()
    };
    let roads = vec![line(0.0, 1, "Frontage Road"), line(30.0, 2, "Highway 97")];
    let net = RoadNet::new(roads);
    let mut rng = Rng(99);
    let pts: Vec<LatLon> = (0..200)
        .map(|k| {
            let a = rng.range(0.0, std::f64::consts::TAU);
            let r = rng.range(5.0, 15.0);
            offset(offset(a0, 10.0 * k as f64, 0.0), r * a.sin(), r * a.cos())
        })
        .collect();
    let ch = chainage(&pts);
    let m = match_route(&net, &pts, &ch, &MatchParams::default());
    let right: f64 = m
        .stretches
        .iter()
        .filter(|s| {
            s.road
                .is_some_and(|r| net.roads()[r as usize].osm == OsmId::Way(1))
        })
        .map(|s| s.length_m())
        .sum();
    assert!(right >= 0.98 * ch.last().unwrap(), "{:?}", m.stretches);
}
