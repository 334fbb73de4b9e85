//! Which road of the map each stretch of a route follows: map matching.
//!
//! A hidden Markov model in the manner of Newson & Krumm (2009, "Hidden Markov map matching
//! through noise and sparseness"), solved by Viterbi. The route is thinned to samples at least
//! [`MatchParams::sample_m`] apart; each sample's states are the roads passing within
//! [`MatchParams::radius_m`] (their closest point) and one "off the map" state. A state's cost
//! is its distance (Gaussian) and how far the road's heading differs from the route's; a move
//! between two samples costs by how much the distance through the road network differs from
//! the distance along the route, so continuity, not only nearness, decides: a parallel road
//! 30 m away that the route would have to jump to is not taken, an out-and-back leg and a loop
//! come out right because a state carries its position along the road.
//!
//! The network is the roads' shared vertices (OSM ways meet at shared nodes, stored at the
//! same 1e-7° coordinates); distances through it are a Dijkstra bounded by the route
//! distance, and the path found gives where the route changes road: at the junction's
//! closest point on the route, with the turn measured on the roads' geometry there.
//!
//! No crate does this in Rust over our own road tables (the matchers that exist, Valhalla's
//! Meili, GraphHopper's, OSRM's, are servers over their own graph formats), so it is written
//! here, pure: roads and route points in, stretches out.
//!
//! Not for loading roads (`store`), naming surfaces or writing cues (`core::roadbook`).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use rstar::{AABB, RTree, RTreeObject};

use super::along::point_at_chainage;
use super::geodesy;
use super::map::{Road, RoadClass};
use super::model::LatLon;

const M_PER_DEG: f64 = 111_319.49;

/// The matcher's tuning. The defaults suit consumer GPS (5-15 m error) from 1 s logs to
/// BaseCamp shaping points a few kilometres apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchParams {
    /// Roads farther than this from a sample are not candidates for it, metres.
    pub radius_m: f64,
    /// GPS error scale (the Gaussian's sigma), metres.
    pub sigma_m: f64,
    /// Samples are taken at route vertices at least this far apart, metres.
    pub sample_m: f64,
    /// Scale of the network-vs-route distance difference, metres (grows with the gap).
    pub beta_m: f64,
    /// Cost of a sample being off the map (in units of negative log likelihood).
    pub off_cost: f64,
    /// Cost of entering or leaving the off-map state.
    pub off_switch_cost: f64,
    /// Cost of changing from one road to another (favours continuity).
    pub road_switch_cost: f64,
    /// Cost of weight for heading disagreement: `heading_weight × sin²(angle)`.
    pub heading_weight: f64,
}

impl Default for MatchParams {
    fn default() -> Self {
        MatchParams {
            radius_m: 60.0,
            sigma_m: 12.0,
            sample_m: 25.0,
            beta_m: 10.0,
            off_cost: 4.0,
            off_switch_cost: 6.0,
            road_switch_cost: 0.5,
            heading_weight: 3.0,
        }
    }
}

/// One stretch of a route on one road, or off the map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stretch {
    /// Chainage where it starts, metres.
    pub from_m: f64,
    /// Chainage where it ends, metres.
    pub to_m: f64,
    /// The road (index into [`RoadNet::roads`]); `None` = no road of the map here.
    pub road: Option<u32>,
    /// The turn onto this road at its start, degrees, right positive (-180..180]; `None` at
    /// the route's start, after off-map stretches, or where no junction was found.
    pub turn_deg: Option<f64>,
}

impl Stretch {
    /// Its length, metres.
    pub fn length_m(&self) -> f64 {
        self.to_m - self.from_m
    }
}

/// The roads to match against, indexed.
#[derive(Debug, Clone)]
pub struct RoadNet {
    roads: Vec<Road>,
    /// Cumulative metres along each road at each vertex.
    along: Vec<Vec<f64>>,
    tree: RTree<SegRef>,
    /// For each junction node: the roads through it and where along them.
    nodes: Vec<Vec<(u32, f64)>>,
    /// For each road: its junction nodes sorted by along, as (along, node).
    junctions: Vec<Vec<(f64, u32)>>,
    node_pos: Vec<LatLon>,
}

#[derive(Debug, Clone, Copy)]
struct SegRef {
    road: u32,
    seg: u32,
    env: AABB<[f64; 2]>,
}

impl RTreeObject for SegRef {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

impl PartialEq for SegRef {
    fn eq(&self, o: &Self) -> bool {
        self.road == o.road && self.seg == o.seg
    }
}

fn key(p: LatLon) -> (i64, i64) {
    ((p.lat * 1e7).round() as i64, (p.lon * 1e7).round() as i64)
}

impl RoadNet {
    /// Indexes `roads`. Paths (footways, cycleways) are left out: a vehicle's route on one is
    /// far likelier a road the map lacks. Roads with fewer than two points are skipped.
    pub fn new(roads: Vec<Road>) -> RoadNet {
        let roads: Vec<Road> = roads
            .into_iter()
            .filter(|r| r.class != RoadClass::Path && r.geometry.len() >= 2)
            .collect();
        let mut along = Vec::with_capacity(roads.len());
        let mut segs = Vec::new();
        let mut seen: HashMap<(i64, i64), (u32, f64, u32)> = HashMap::new();
        let mut node_of: HashMap<(i64, i64), u32> = HashMap::new();
        let mut nodes: Vec<Vec<(u32, f64)>> = Vec::new();
        let mut node_pos = Vec::new();
        for (ri, r) in roads.iter().enumerate() {
            let ri = ri as u32;
            let mut acc = Vec::with_capacity(r.geometry.len());
            let mut s = 0.0;
            for (i, p) in r.geometry.iter().enumerate() {
                if i > 0 {
                    s += geodesy::distance_m(r.geometry[i - 1], *p);
                    let a = r.geometry[i - 1];
                    segs.push(SegRef {
                        road: ri,
                        seg: (i - 1) as u32,
                        env: AABB::from_corners(
                            [a.lon.min(p.lon), a.lat.min(p.lat)],
                            [a.lon.max(p.lon), a.lat.max(p.lat)],
                        ),
                    });
                }
                acc.push(s);
                // A vertex seen before (on another road, or twice on this one) is a junction.
                let k = key(*p);
                if let Some(&n) = node_of.get(&k) {
                    nodes[n as usize].push((ri, s));
                } else if let Some((r0, s0, _)) = seen.insert(k, (ri, s, i as u32)) {
                    let n = nodes.len() as u32;
                    nodes.push(vec![(r0, s0), (ri, s)]);
                    node_pos.push(*p);
                    node_of.insert(k, n);
                }
            }
            along.push(acc);
        }
        let mut junctions = vec![Vec::new(); roads.len()];
        for (n, members) in nodes.iter().enumerate() {
            for &(r, s) in members {
                junctions[r as usize].push((s, n as u32));
            }
        }
        for j in &mut junctions {
            j.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        RoadNet {
            roads,
            along,
            tree: RTree::bulk_load(segs),
            nodes,
            junctions,
            node_pos,
        }
    }

    /// The roads, as indexed ([`Stretch::road`] indexes this).
    pub fn roads(&self) -> &[Road] {
        &self.roads
    }

    /// Gives the roads back.
    pub fn into_roads(self) -> Vec<Road> {
        self.roads
    }

    /// Number of junction nodes (shared vertices).
    pub fn junction_count(&self) -> usize {
        self.nodes.len()
    }

    /// The point `s` metres along road `r` (clamped to its ends).
    pub fn point_along(&self, r: u32, s: f64) -> LatLon {
        let g = &self.roads[r as usize].geometry;
        point_at_chainage(g, &self.along[r as usize], s).unwrap_or_default()
    }

    /// Roads within `radius_m` of `p`: (road, along, distance, segment bearing).
    fn candidates(&self, p: LatLon, radius_m: f64, out: &mut Vec<Cand>) {
        out.clear();
        let coslat = p.lat.to_radians().cos().max(0.01);
        let dlat = radius_m / M_PER_DEG;
        let dlon = dlat / coslat;
        let env = AABB::from_corners([p.lon - dlon, p.lat - dlat], [p.lon + dlon, p.lat + dlat]);
        for s in self.tree.locate_in_envelope_intersecting(&env) {
            let g = &self.roads[s.road as usize].geometry;
            let (a, b) = (g[s.seg as usize], g[s.seg as usize + 1]);
            // Local metres around p: exact enough within the search radius.
            let ax = (a.lon - p.lon) * coslat * M_PER_DEG;
            let ay = (a.lat - p.lat) * M_PER_DEG;
            let bx = (b.lon - p.lon) * coslat * M_PER_DEG;
            let by = (b.lat - p.lat) * M_PER_DEG;
            let (vx, vy) = (bx - ax, by - ay);
            let l2 = vx * vx + vy * vy;
            let t = if l2 > 0.0 {
                (-(ax * vx + ay * vy) / l2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (cx, cy) = (ax + vx * t, ay + vy * t);
            let d = (cx * cx + cy * cy).sqrt();
            if d > radius_m {
                continue;
            }
            let acc = &self.along[s.road as usize];
            let s0 = acc[s.seg as usize];
            let along = s0 + (acc[s.seg as usize + 1] - s0) * t;
            let heading = vx.atan2(vy);
            // Keep the closest point per road, but a second one where the road comes back
            // (a switchback) far along from the first.
            match out
                .iter_mut()
                .find(|c| c.road == s.road && (c.along - along).abs() < 3.0 * radius_m)
            {
                Some(c) if c.dist <= d => {}
                Some(c) => {
                    *c = Cand {
                        road: s.road,
                        along,
                        dist: d,
                        heading,
                    }
                }
                None => out.push(Cand {
                    road: s.road,
                    along,
                    dist: d,
                    heading,
                }),
            }
        }
        out.sort_by(|a, b| a.dist.total_cmp(&b.dist));
        out.truncate(MAX_CANDIDATES);
    }

    /// Shortest distances through the network from (road `from`, along `s`) to every target
    /// within `limit_m`, with the path when `paths` is set. `best[i]` gets the distance to
    /// `targets[i]` (infinity when beyond the limit).
    fn network(
        &self,
        from: (u32, f64),
        targets: &[(u32, f64)],
        limit_m: f64,
        best: &mut Vec<f64>,
        scratch: &mut Dijkstra,
    ) {
        best.clear();
        best.resize(targets.len(), f64::INFINITY);
        for (i, t) in targets.iter().enumerate() {
            if t.0 == from.0 {
                best[i] = (t.1 - from.1).abs();
            }
        }
        scratch.reset();
        let js = &self.junctions[from.0 as usize];
        let ow = self.roads[from.0 as usize].oneway;
        push_adjacent(js, from.1, 0.0, limit_m, u32::MAX, from.0, ow, scratch);
        while let Some(Reverse(d, n)) = scratch.heap.pop() {
            if d > scratch.dist(n) {
                continue;
            }
            for &(r, s) in &self.nodes[n as usize] {
                for (i, t) in targets.iter().enumerate() {
                    if t.0 == r {
                        let total = d + (t.1 - s).abs();
                        if total < best[i] {
                            best[i] = total;
                            scratch.target_via[i] = Some((n, r, s));
                        }
                    }
                }
                let ow = self.roads[r as usize].oneway;
                push_adjacent(
                    &self.junctions[r as usize],
                    s,
                    d,
                    limit_m,
                    n,
                    r,
                    ow,
                    scratch,
                );
            }
        }
    }

    /// The junctions (node, road left, road entered) of the shortest path from `from` to
    /// `to`, in travel order; empty when they are on the same road and that is shortest, or
    /// when no path is within the limit.
    fn path(&self, from: (u32, f64), to: (u32, f64), limit_m: f64, sc: &mut Dijkstra) -> Path {
        let mut best = Vec::new();
        sc.target_via.clear();
        sc.target_via.resize(1, None);
        self.network(from, &[to], limit_m, &mut best, sc);
        let direct = if from.0 == to.0 {
            (to.1 - from.1).abs()
        } else {
            f64::INFINITY
        };
        if !best[0].is_finite() {
            return Path::None;
        }
        if best[0] >= direct {
            return Path::Direct;
        }
        let Some((mut n, mut r, mut s_out)) = sc.target_via[0] else {
            return Path::Direct;
        };
        let mut legs = Vec::new();
        while let Some(&(_, pred, pred_road, s_from, s_at)) = sc.dist.get(&n) {
            // At node n: arrived along pred_road (at s_at), left along r (from s_out).
            legs.push(Leg {
                node: n,
                before: pred_road,
                s_in: s_at,
                after: r,
                s_out,
            });
            if pred == u32::MAX {
                break;
            }
            (n, r, s_out) = (pred, pred_road, s_from);
        }
        legs.reverse();
        Path::Via(legs)
    }
}

const MAX_CANDIDATES: usize = 10;

#[derive(Debug, Clone, Copy)]
struct Cand {
    road: u32,
    along: f64,
    dist: f64,
    heading: f64,
}

/// A node of a path through the network: arrived on `before` at along `s_in`, left on
/// `after` from along `s_out` (the same road at another along: round a closed way's seam).
#[derive(Debug, Clone, Copy)]
struct Leg {
    node: u32,
    before: u32,
    s_in: f64,
    after: u32,
    s_out: f64,
}

enum Path {
    None,
    Direct,
    /// The junctions passed, in travel order.
    Via(Vec<Leg>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Reverse(f64, u32);
impl Eq for Reverse {}
impl PartialOrd for Reverse {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Reverse {
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
    }
}

/// Reusable Dijkstra state: distances and predecessors of the nodes touched.
#[derive(Default)]
struct Dijkstra {
    /// Per node reached: distance, previous node, the road driven from it, and along that
    /// road where it was left and where this node is.
    dist: HashMap<u32, (f64, u32, u32, f64, f64)>,
    heap: BinaryHeap<Reverse>,
    /// Per target: the node, road and along on it from which the target was reached.
    target_via: Vec<Option<(u32, u32, f64)>>,
}

impl Dijkstra {
    fn reset(&mut self) {
        self.dist.clear();
        self.heap.clear();
    }
    fn dist(&self, n: u32) -> f64 {
        self.dist.get(&n).map_or(f64::INFINITY, |d| d.0)
    }
    #[allow(clippy::too_many_arguments)]
    fn relax(&mut self, n: u32, d: f64, pred: u32, road: u32, s_from: f64, s_at: f64) {
        if d < self.dist(n) {
            self.dist.insert(n, (d, pred, road, s_from, s_at));
            self.heap.push(Reverse(d, n));
        }
    }
}

/// Pushes the junctions next to `s` on a road (those at `s`, the nearest before and the
/// nearest after: farther ones are reached through them), within the limit.
/// `oneway` is the road's (1 along it, -1 against, 0 both ways): a route planner's path
/// keeps to it, and so must the network distance.
#[allow(clippy::too_many_arguments)]
fn push_adjacent(
    js: &[(f64, u32)],
    s: f64,
    d0: f64,
    limit: f64,
    pred: u32,
    road: u32,
    oneway: i8,
    sc: &mut Dijkstra,
) {
    const EPS: f64 = 1e-6;
    let i = js.partition_point(|j| j.0 < s - EPS);
    for &(sj, n) in &js[i..] {
        if oneway < 0 && sj > s + EPS {
            break;
        }
        let d = d0 + (sj - s).max(0.0);
        if d > limit {
            break;
        }
        sc.relax(n, d, pred, road, s, sj);
        if sj > s + EPS {
            break;
        }
    }
    if oneway > 0 {
        return;
    }
    if let Some(&(sj, n)) = i.checked_sub(1).and_then(|k| js.get(k)) {
        let d = d0 + (s - sj);
        if d <= limit {
            sc.relax(n, d, pred, road, s, sj);
        }
    }
}

/// What the matcher found, with a few counts for reports.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RouteMatch {
    /// Stretches in route order, covering 0 to the route's length, consecutive stretches on
    /// the same road merged.
    pub stretches: Vec<Stretch>,
    /// Samples the model ran on.
    pub samples: usize,
}

impl RouteMatch {
    /// The stretch at chainage `m` (the last one at or before it).
    pub fn at(&self, m: f64) -> Option<&Stretch> {
        let i = self.stretches.partition_point(|s| s.from_m <= m);
        self.stretches.get(i.checked_sub(1)?)
    }

    /// Metres of the route with no road of the map.
    pub fn off_map_m(&self) -> f64 {
        self.stretches
            .iter()
            .filter(|s| s.road.is_none())
            .map(Stretch::length_m)
            .sum()
    }
}

/// Matches a route, given as its points and their chainage (as `RouteLine` has them), onto
/// `net`. An empty network gives one off-map stretch.
pub fn match_route(
    net: &RoadNet,
    points: &[LatLon],
    chainage_m: &[f64],
    params: &MatchParams,
) -> RouteMatch {
    let n = points.len().min(chainage_m.len());
    if n == 0 {
        return RouteMatch::default();
    }
    let length = chainage_m[n - 1];
    // Samples: vertices at least sample_m apart in a straight line (dense noisy logs zigzag:
    // their chainage overstates the distance), always the first and last.
    let mut samples: Vec<usize> = Vec::with_capacity(n.min(1 << 20));
    samples.push(0);
    for i in 1..n {
        let last = *samples.last().unwrap_or(&0);
        if i == n - 1 || geodesy::distance_m(points[last], points[i]) >= params.sample_m {
            samples.push(i);
        }
    }
    if n == 1 {
        samples.truncate(1);
    }
    // States per sample: candidates then the off state (road = u32::MAX).
    let mut states: Vec<Vec<Cand>> = Vec::with_capacity(samples.len());
    let mut buf = Vec::new();
    for (k, &i) in samples.iter().enumerate() {
        net.candidates(points[i], params.radius_m, &mut buf);
        let heading = route_heading(points, &samples, k);
        let spacing = spacing_m(chainage_m, &samples, k);
        // Sparse points (shaping points) give a chord heading, not the road's.
        let hw = params.heading_weight * (40.0 / spacing.max(40.0));
        let mut v: Vec<Cand> = buf
            .iter()
            .map(|c| {
                let mut cost = 0.5 * (c.dist / params.sigma_m).powi(2);
                if let Some(h) = heading {
                    let s = (h - c.heading).sin();
                    cost += hw * s * s;
                    // Driving against a one-way road (the other carriageway of a dual road).
                    let ow = net.roads[c.road as usize].oneway;
                    if ow != 0 && (h - c.heading).cos() * f64::from(ow) < -0.5 {
                        cost += hw;
                    }
                }
                if !net.roads[c.road as usize].drivable {
                    cost += 1.0;
                }
                Cand { dist: cost, ..*c }
            })
            .collect();
        v.push(Cand {
            road: u32::MAX,
            along: 0.0,
            dist: params.off_cost,
            heading: 0.0,
        });
        states.push(v);
    }
    // Viterbi.
    let mut cost: Vec<f64> = states[0].iter().map(|c| c.dist).collect();
    let mut back: Vec<Vec<u8>> = Vec::with_capacity(states.len());
    back.push(vec![0; states[0].len()]);
    let mut sc = Dijkstra::default();
    let mut best = Vec::new();
    let mut targets: Vec<(u32, f64)> = Vec::new();
    let mut trans = Vec::new();
    for k in 1..states.len() {
        // The straight distance between the samples (the route between them is only as good
        // as its points).
        let dr = geodesy::distance_m(points[samples[k - 1]], points[samples[k]]);
        let limit = search_limit(dr);
        // Sparse points (shaping points km apart) allow a winding road between them: a
        // mountain road's hairpins run to several times the straight distance.
        let beta = params.beta_m + if dr > SPARSE_M { dr } else { 0.25 * dr };
        let jump = 2.0 * params.off_switch_cost;
        let (prev, cur) = (&states[k - 1], &states[k]);
        targets.clear();
        targets.extend(
            cur.iter()
                .filter(|c| c.road != u32::MAX)
                .map(|c| (c.road, c.along)),
        );
        let mut next = vec![f64::INFINITY; cur.len()];
        let mut bk = vec![0u8; cur.len()];
        for (a, pa) in prev.iter().enumerate() {
            let base = cost[a];
            if !base.is_finite() {
                continue;
            }
            trans.clear();
            if pa.road == u32::MAX {
                trans.extend(targets.iter().map(|_| params.off_switch_cost));
                trans.push(0.0);
            } else {
                if targets.iter().all(|t| t.0 == pa.road) {
                    // Along one road: no need to search the network.
                    best.clear();
                    best.extend(targets.iter().map(|t| (t.1 - pa.along).abs()));
                } else {
                    sc.target_via.clear();
                    sc.target_via.resize(targets.len(), None);
                    net.network((pa.road, pa.along), &targets, limit, &mut best, &mut sc);
                }
                for (i, t) in targets.iter().enumerate() {
                    let c = if best[i].is_finite() {
                        let sw = if t.0 == pa.road {
                            0.0
                        } else {
                            params.road_switch_cost
                        };
                        (best[i] - dr).abs() / beta + sw
                    } else {
                        jump
                    };
                    trans.push(c.min(jump));
                }
                trans.push(params.off_switch_cost);
            }
            for (b, tb) in trans.iter().enumerate() {
                let c = base + tb + cur[b].dist;
                if c < next[b] {
                    next[b] = c;
                    bk[b] = a as u8;
                }
            }
        }
        cost = next;
        back.push(bk);
    }
    // Back-trace.
    let mut chosen = vec![0usize; states.len()];
    let mut j = cost
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i);
    for k in (0..states.len()).rev() {
        chosen[k] = j;
        j = back[k][j] as usize;
    }
    // Stretches between consecutive chosen states, and the matched path: the roads'
    // geometry as driven (off the map, the route's own points), on which turns are measured
    // as on the ground, also where junctions crowd (a link way of 10 m inside a crossing).
    let mut b = Builder::default();
    let first = states[0][chosen[0]];
    b.stretch(0.0, road_of(first), first.along);
    for k in 1..states.len() {
        let a = states[k - 1][chosen[k - 1]];
        let c = states[k][chosen[k]];
        let (ca, cb) = (chainage_m[samples[k - 1]], chainage_m[samples[k]]);
        let mid = 0.5 * (ca + cb);
        match (road_of(a), road_of(c)) {
            (None, None) => {}
            (Some(_), None) => b.stretch(mid, None, 0.0),
            (None, Some(rc)) => b.stretch(mid, Some(rc), c.along),
            (Some(ra), Some(rc)) => {
                let dr = geodesy::distance_m(points[samples[k - 1]], points[samples[k]]);
                match net.path((ra, a.along), (rc, c.along), search_limit(dr), &mut sc) {
                    Path::Direct => b.piece(ra, a.along, c.along),
                    Path::None => {
                        b.stretch(ca, None, 0.0);
                        b.stretch(cb, Some(rc), c.along);
                    }
                    Path::Via(legs) => {
                        let raw = &points[samples[k - 1]..=samples[k]];
                        let subc = &chainage_m[samples[k - 1]..=samples[k]];
                        let mut at = ca;
                        let mut along = a.along;
                        // Between sparse points (shaping points) the route's own chainage is a
                        // chord: place junctions by their share of the distance driven.
                        let sparse = raw
                            .windows(2)
                            .any(|w| geodesy::distance_m(w[0], w[1]) > SPARSE_M);
                        let total = {
                            let mut d = 0.0;
                            let mut s0 = a.along;
                            for l in &legs {
                                d += (l.s_in - s0).abs();
                                s0 = l.s_out;
                            }
                            d + (c.along - s0).abs()
                        };
                        let mut driven = 0.0;
                        for leg in legs {
                            let Leg {
                                node,
                                before,
                                s_in,
                                after,
                                s_out,
                            } = leg;
                            if before == after {
                                if (s_in - s_out).abs() > 1.0 {
                                    // Round the seam of a closed way (a roundabout).
                                    b.piece(before, along, s_in);
                                    driven += (s_in - along).abs();
                                    b.seam(s_in, s_out);
                                    along = s_out;
                                }
                                continue;
                            }
                            b.piece(before, along, s_in);
                            driven += (s_in - along).abs();
                            let cj = if sparse && total > 0.0 {
                                ca + (cb - ca) * (driven / total)
                            } else {
                                project_chainage(raw, subc, net.node_pos[node as usize])
                            }
                            .clamp(at, cb);
                            b.junction(cj, node, s_in, after, s_out);
                            at = cj;
                            along = s_out;
                        }
                        b.piece(rc, along, c.along);
                    }
                }
            }
        }
    }
    let merged = b.finish(net, length);
    RouteMatch {
        stretches: merged,
        samples: samples.len(),
    }
}

/// The matched path as driven on the roads' geometry, by its own length, with the places
/// where it is broken (off the map).
#[derive(Default)]
struct PathLine {
    pts: Vec<LatLon>,
    m: Vec<f64>,
    gaps: Vec<f64>,
    broken: bool,
}

impl PathLine {
    fn len(&self) -> f64 {
        self.m.last().copied().unwrap_or(0.0)
    }

    fn add(&mut self, p: LatLon) {
        if self.broken {
            // Start afresh after a gap: no length across it.
            self.broken = false;
            self.gaps.push(self.len());
            self.m.push(self.len());
            self.pts.push(p);
            return;
        }
        if let Some(&last) = self.pts.last() {
            let d = geodesy::distance_m(last, p);
            if d < 0.01 {
                return;
            }
            self.m.push(self.len() + d);
        } else {
            self.m.push(0.0);
        }
        self.pts.push(p);
    }

    fn gap(&mut self) {
        if !self.pts.is_empty() {
            self.broken = true;
        }
    }

    /// Road `r` from along `s0` to `s1`, either way.
    fn road(&mut self, net: &RoadNet, r: u32, s0: f64, s1: f64) {
        self.add(net.point_along(r, s0));
        let acc = &net.along[r as usize];
        let g = &net.roads[r as usize].geometry;
        if s1 > s0 {
            let i = acc.partition_point(|&x| x <= s0);
            for v in i..acc.len() {
                if acc[v] >= s1 {
                    break;
                }
                self.add(g[v]);
            }
        } else {
            let i = acc.partition_point(|&x| x < s0);
            for v in (0..i).rev() {
                if acc[v] <= s1 {
                    break;
                }
                self.add(g[v]);
            }
        }
        self.add(net.point_along(r, s1));
    }

    fn point_at(&self, m: f64) -> LatLon {
        point_at_chainage(&self.pts, &self.m, m).unwrap_or_default()
    }

    /// The turn at the junctions from path length `m0` to `m1`: from [`TURN_BASE_M`] before
    /// the first, through their middle, to as far after the last. `None` near the path's
    /// ends and gaps.
    fn turn(&self, m0: f64, m1: f64) -> Option<f64> {
        let (lo, hi) = (m0 - TURN_BASE_M, m1 + TURN_BASE_M);
        if self.pts.len() < 2 || lo < 0.0 || hi > self.len() {
            return None;
        }
        if self.gaps.iter().any(|&g| g > lo && g < hi) {
            return None;
        }
        let a = self.point_at(lo);
        let j = self.point_at(0.5 * (m0 + m1));
        let c = self.point_at(hi);
        if geodesy::distance_m(a, j) < 1.0 || geodesy::distance_m(j, c) < 1.0 {
            return None;
        }
        Some(turn_angle_deg(a, j, c))
    }
}

/// One stretch being built: where it starts, its road, the junction it starts at, and how
/// far along its road it was entered and left (its direction of travel).
#[derive(Debug, Clone, Copy)]
struct Start {
    at_m: f64,
    road: Option<u32>,
    /// (node, along the road before, along this road) when it starts at a junction.
    junction: Option<(u32, f64, f64)>,
    entry: f64,
    exit: f64,
    /// The farthest along from `entry` reached (an out-and-back on one road turns there).
    far: f64,
    /// Where it went round a closed way's seam: (along left, along resumed).
    seam: Option<(f64, f64)>,
}

/// Collects stretches by chainage, with what their turns are measured from.
#[derive(Default)]
struct Builder {
    starts: Vec<Start>,
}

impl Builder {
    /// Road `r` driven from along `s0` to `s1`.
    fn piece(&mut self, r: u32, s0: f64, s1: f64) {
        if let Some(l) = self.starts.last_mut()
            && l.road == Some(r)
        {
            l.exit = s1;
            for s in [s0, s1] {
                if (s - l.entry).abs() > (l.far - l.entry).abs() {
                    l.far = s;
                }
            }
        }
    }

    /// The current stretch went round its closed way's seam, from along `s_in` to `s_out`.
    fn seam(&mut self, s_in: f64, s_out: f64) {
        if let Some(l) = self.starts.last_mut() {
            l.seam = Some((s_in, s_out));
            l.far = s_out;
            l.entry = s_out - (s_in - l.entry);
            l.exit = s_out;
        }
    }

    /// A stretch on `road` starts at chainage `at`, entered at along `entry`.
    fn stretch(&mut self, at: f64, road: Option<u32>, entry: f64) {
        if self.starts.last().is_some_and(|l| l.road == road) {
            return;
        }
        self.starts.push(Start {
            at_m: at,
            road,
            junction: None,
            entry,
            exit: entry,
            far: entry,
            seam: None,
        });
    }

    /// A change of road at junction `node`: left `before` at along `s_in`, onto `after` at
    /// `s_out`, at chainage `at`.
    fn junction(&mut self, at: f64, node: u32, s_in: f64, after: u32, s_out: f64) {
        if let Some(l) = self.starts.last_mut() {
            l.exit = s_in;
        }
        if self.starts.last().is_some_and(|l| l.road == Some(after)) {
            return;
        }
        self.starts.push(Start {
            at_m: at,
            road: Some(after),
            junction: Some((node, s_in, s_out)),
            entry: s_out,
            exit: s_out,
            far: s_out,
            seam: None,
        });
    }

    fn finish(self, net: &RoadNet, length: f64) -> Vec<Stretch> {
        // The matched path: each stretch's road from where it was entered to where it was
        // left (so GPS noise along the road, states a few metres past a junction, does not
        // make it run on and come back), and the path length at each stretch's start.
        let n = self.starts.len();
        let mut path = PathLine::default();
        let mut at_m: Vec<Option<f64>> = Vec::with_capacity(n);
        for st in &self.starts {
            match st.road {
                Some(r) => {
                    at_m.push(st.junction.map(|_| path.len()));
                    // Out and back on this road when it went well past where it was left.
                    let turned = (st.far - st.exit).abs() > SPIKE_M
                        && (st.far - st.entry).abs() > SPIKE_M
                        && (st.far - st.entry).signum() != (st.exit - st.far).signum();
                    if let Some((s_in, s_out)) = st.seam {
                        let entry0 = s_in - (s_out - st.entry);
                        path.road(net, r, entry0, s_in);
                        path.road(net, r, s_out, st.exit);
                    } else if turned {
                        path.road(net, r, st.entry, st.far);
                        path.road(net, r, st.far, st.exit);
                    } else {
                        path.road(net, r, st.entry, st.exit);
                    }
                }
                None => {
                    at_m.push(None);
                    path.gap();
                }
            }
        }
        // Junctions closer than TURN_BASE_M along the path (a crossing with a link way, a
        // dual carriageway) are one turn, measured from TURN_BASE_M before the first to as
        // far after the last.
        let mut turns: Vec<Option<f64>> = vec![None; n];
        let mut i = 0;
        while i < n {
            let Some(m0) = at_m[i] else {
                i += 1;
                continue;
            };
            let mut j = i;
            while let (Some(Some(next)), Some(cur)) = (at_m.get(j + 1), at_m[j])
                && next - cur < TURN_BASE_M
            {
                j += 1;
            }
            let m1 = at_m[j].unwrap_or(m0);
            let t = path.turn(m0, m1);
            for t_k in &mut turns[i..=j] {
                *t_k = t;
            }
            i = j + 1;
        }
        let mut out: Vec<Stretch> = Vec::with_capacity(n);
        for (i, st) in self.starts.iter().enumerate() {
            let to = self.starts.get(i + 1).map_or(length, |x| x.at_m);
            // Junctions at the same chainage (a crossing between two samples): the last wins.
            if to <= st.at_m && i + 1 < n {
                continue;
            }
            match out.last_mut() {
                Some(l) if l.road == st.road => l.to_m = to,
                _ => out.push(Stretch {
                    from_m: st.at_m,
                    to_m: to,
                    road: st.road,
                    turn_deg: turns[i],
                }),
            }
        }
        if out.is_empty() {
            out.push(Stretch {
                from_m: 0.0,
                to_m: length,
                road: None,
                turn_deg: None,
            });
        }
        out[0].from_m = 0.0;
        for i in 1..out.len() {
            out[i].from_m = out[i - 1].to_m;
        }
        if let Some(l) = out.last_mut() {
            l.to_m = length;
        }
        out
    }
}

/// How far through the network a move between samples `dr` apart is searched, metres:
/// mountain roads between shaping points wind to several times the straight distance.
fn search_limit(dr: f64) -> f64 {
    (2.0 * dr + 100.0).max(4.0 * dr)
}

fn road_of(c: Cand) -> Option<u32> {
    (c.road != u32::MAX).then_some(c.road)
}

/// Route heading at sample `k` (radians from north, clockwise), from its neighbours.
fn route_heading(points: &[LatLon], samples: &[usize], k: usize) -> Option<f64> {
    let a = points[samples[k.saturating_sub(1)]];
    let b = points[samples[(k + 1).min(samples.len() - 1)]];
    let coslat = a.lat.to_radians().cos();
    let (dx, dy) = ((b.lon - a.lon) * coslat, b.lat - a.lat);
    (dx != 0.0 || dy != 0.0).then(|| dx.atan2(dy))
}

fn spacing_m(chainage: &[f64], samples: &[usize], k: usize) -> f64 {
    let a = chainage[samples[k.saturating_sub(1)]];
    let b = chainage[samples[(k + 1).min(samples.len() - 1)]];
    (b - a) * 0.5
}

/// Chainage of the point of the polyline `pts` (with chainage `ch`) closest to `p`.
fn project_chainage(pts: &[LatLon], ch: &[f64], p: LatLon) -> f64 {
    let coslat = p.lat.to_radians().cos();
    let mut best = (f64::INFINITY, ch[0]);
    for i in 1..pts.len() {
        let (a, b) = (pts[i - 1], pts[i]);
        let ax = (a.lon - p.lon) * coslat;
        let ay = a.lat - p.lat;
        let (vx, vy) = ((b.lon - a.lon) * coslat, b.lat - a.lat);
        let l2 = vx * vx + vy * vy;
        let t = if l2 > 0.0 {
            (-(ax * vx + ay * vy) / l2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (cx, cy) = (ax + vx * t, ay + vy * t);
        let d = cx * cx + cy * cy;
        if d < best.0 {
            best = (d, ch[i - 1] + (ch[i] - ch[i - 1]) * t);
        }
    }
    best.1
}

/// Route points farther apart than this are sparse (shaping points), metres.
const SPARSE_M: f64 = 150.0;

/// How far before and after a junction the turn is measured on the roads, metres.
const TURN_BASE_M: f64 = 30.0;

/// Doubling back less than this on one road is GPS noise, not a U-turn, metres.
const SPIKE_M: f64 = 40.0;

/// The turn at `b` going from `a` through `b` to `c`, degrees, right positive, (-180, 180].
pub fn turn_angle_deg(a: LatLon, b: LatLon, c: LatLon) -> f64 {
    let h1 = geodesy::bearing_deg(a, b);
    let h2 = geodesy::bearing_deg(b, c);
    let mut d = h2 - h1;
    while d > 180.0 {
        d -= 360.0;
    }
    while d <= -180.0 {
        d += 360.0;
    }
    d
}

/// A turn as a driver says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Turn {
    /// Within 20° of straight on.
    Straight,
    /// 20° to 45°.
    SlightLeft,
    /// 20° to 45°.
    SlightRight,
    /// 45° to 135°.
    Left,
    /// 45° to 135°.
    Right,
    /// 135° to 170°.
    SharpLeft,
    /// 135° to 170°.
    SharpRight,
    /// Beyond 170°.
    UTurn,
}

impl Turn {
    /// The class of a turn angle (right positive).
    pub fn from_deg(d: f64) -> Turn {
        let a = d.abs();
        let right = d > 0.0;
        let pick = |l: Turn, r: Turn| if right { r } else { l };
        if a < 20.0 {
            Turn::Straight
        } else if a < 45.0 {
            pick(Turn::SlightLeft, Turn::SlightRight)
        } else if a < 135.0 {
            pick(Turn::Left, Turn::Right)
        } else if a < 170.0 {
            pick(Turn::SharpLeft, Turn::SharpRight)
        } else {
            Turn::UTurn
        }
    }

    /// Words for a cue: "left", "slight right", "straight on", "U-turn".
    pub fn words(self) -> &'static str {
        match self {
            Turn::Straight => "straight on",
            Turn::SlightLeft => "slight left",
            Turn::SlightRight => "slight right",
            Turn::Left => "left",
            Turn::Right => "right",
            Turn::SharpLeft => "sharp left",
            Turn::SharpRight => "sharp right",
            Turn::UTurn => "U-turn",
        }
    }

    /// The stable name for JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Turn::Straight => "straight",
            Turn::SlightLeft => "slight_left",
            Turn::SlightRight => "slight_right",
            Turn::Left => "left",
            Turn::Right => "right",
            Turn::SharpLeft => "sharp_left",
            Turn::SharpRight => "sharp_right",
            Turn::UTurn => "uturn",
        }
    }
}
