//! Route geometry for navigation: where am I along the route, and what lies ahead on it.
//!
//! A [`RouteLine`] holds a route's path with its chainage (distance from the start at each
//! vertex) and an R-tree of its segments as great-circle arcs on the unit sphere (see
//! [`super::sphere`]), so it works across the antimeridian and near the poles.
//! [`RouteWaypoints`] precomputes where each waypoint is passed, so "next fuel ahead" on a
//! million-point route is one locate plus a binary search.
//! Not for loading routes (the store does) or for nearest-by-air queries (see
//! [`super::nearest`]).
//!
//! # Which pass of a loop or out-and-back `locate` picks
//!
//! Without a hint, the closest point of the route (ties: the earliest).
//! With a hint (the previous `along_m`), every *pass* of the route near the position is a
//! candidate: a pass is a local minimum of the distance along the route (so a small loop
//! around a town square gives two passes) whose distance is within [`PASS_TOLERANCE_M`] +
//! [`PASS_TOLERANCE_FRACTION`] × the best distance.
//! Among candidates with `along_m >= hint - BACKTRACK_SLACK_M` the one with the lowest cost
//! wins: its distance from the hint along the route (a metre behind counts [`BEHIND_WEIGHT`]
//! metres) plus [`OFF_ROUTE_WEIGHT`] × how much farther from the route it is than the closest
//! candidate.
//! If every candidate is further behind, the one furthest along (the least backwards move)
//! wins.

use rstar::{AABB, PointDistance, RTree, RTreeObject};

use super::geodesy::{EARTH_RADIUS_M, distance_m};
use super::model::{LatLon, StoredWaypoint, WaypointId, WaypointKind};
use super::sphere::{
    UnitVec, angle_rad, chord_from_m, chord2, cross, dot, lat_lon, m_from_chord, norm, scale, sub,
    unit_vec,
};

/// Default half-width of the corridor along a route within which a waypoint counts as "on the
/// route", metres.
pub const DEFAULT_CORRIDOR_M: f64 = 2000.0;

/// A pass of the route within this distance (plus [`PASS_TOLERANCE_FRACTION`] of the best
/// distance) of the closest one is a candidate for a hinted [`RouteLine::locate`], metres.
/// Covers GPS error and the width of a road driven in both directions.
pub const PASS_TOLERANCE_M: f64 = 50.0;

/// See [`PASS_TOLERANCE_M`]: the tolerance grows with the distance from the route.
pub const PASS_TOLERANCE_FRACTION: f64 = 0.25;

/// How far behind the hint a candidate pass still counts as "not behind", metres (GPS jitter,
/// a short reverse).
pub const BACKTRACK_SLACK_M: f64 = 100.0;

/// A candidate behind the hint costs this many times its distance from the hint, so a pass a
/// little ahead beats one a little behind (the other leg of a hairpin).
pub const BEHIND_WEIGHT: f64 = 4.0;

/// Each metre a candidate is farther from the route than the closest candidate costs this many
/// metres of along-route movement, so the hint never outweighs a clearly better match.
pub const OFF_ROUTE_WEIGHT: f64 = 10.0;

/// Why a [`RouteLine`] could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RouteError {
    /// The path has no points.
    #[error("the route has no points")]
    Empty,
    /// A point is not a valid position.
    #[error("route point {index} is not a valid position ({lat}, {lon})")]
    InvalidPoint {
        /// Index in the path.
        index: usize,
        /// Its latitude.
        lat: f64,
        /// Its longitude.
        lon: f64,
    },
}

/// Where a position is relative to a route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located {
    /// Distance from the route's start to the closest point, along the route, metres.
    pub along_m: f64,
    /// Great-circle distance from the position to the closest point, metres.
    pub off_route_m: f64,
    /// The closest point on the route.
    pub pos: LatLon,
    /// Index of the segment holding it (segment `i` runs from vertex `i` to `i + 1`).
    pub segment: usize,
}

/// A route path prepared for locating positions on it.
#[derive(Debug, Clone)]
pub struct RouteLine {
    points: Vec<LatLon>,
    xyz: Vec<UnitVec>,
    chainage_m: Vec<f64>,
    tree: RTree<Segment>,
}

/// One segment as an arc between two unit vectors; `index` is its first vertex.
#[derive(Debug, Clone, Copy)]
struct Segment {
    a: UnitVec,
    b: UnitVec,
    index: usize,
}

impl RTreeObject for Segment {
    type Envelope = AABB<UnitVec>;
    fn envelope(&self) -> Self::Envelope {
        // The arc bulges outwards from its chord by at most the sagitta 1 - cos(θ/2), and
        // |a + b| / 2 = cos(θ/2); growing the chord's box by it contains the whole arc.
        let mid = norm([
            self.a[0] + self.b[0],
            self.a[1] + self.b[1],
            self.a[2] + self.b[2],
        ]);
        let sag = (1.0 - mid / 2.0).max(0.0) + 1e-12;
        let lo = [
            self.a[0].min(self.b[0]) - sag,
            self.a[1].min(self.b[1]) - sag,
            self.a[2].min(self.b[2]) - sag,
        ];
        let hi = [
            self.a[0].max(self.b[0]) + sag,
            self.a[1].max(self.b[1]) + sag,
            self.a[2].max(self.b[2]) + sag,
        ];
        AABB::from_corners(lo, hi)
    }
}

impl PointDistance for Segment {
    fn distance_2(&self, point: &UnitVec) -> f64 {
        chord2(closest_on_arc(self.a, self.b, *point).point, *point)
    }
}

/// The closest point of an arc to a position.
#[derive(Debug, Clone, Copy)]
struct ArcHit {
    /// The closest point, a unit vector.
    point: UnitVec,
    /// Angle from the query to it, radians.
    dist_rad: f64,
    /// Fraction of the arc from `a` to it, `0..=1`.
    frac: f64,
}

/// Closest point on the minor great-circle arc `a`→`b` to `p` (all unit vectors).
fn closest_on_arc(a: UnitVec, b: UnitVec, p: UnitVec) -> ArcHit {
    let n = cross(a, b);
    let n_len = norm(n);
    let endpoint = || {
        let (da, db) = (angle_rad(p, a), angle_rad(p, b));
        if da <= db {
            ArcHit {
                point: a,
                dist_rad: da,
                frac: 0.0,
            }
        } else {
            ArcHit {
                point: b,
                dist_rad: db,
                frac: 1.0,
            }
        }
    };
    // A zero-length (or antipodal, which a route never has) segment has no plane.
    if n_len < 1e-15 {
        return endpoint();
    }
    let n = scale(n, 1.0 / n_len);
    let proj = sub(p, scale(n, dot(p, n)));
    let proj_len = norm(proj);
    if proj_len < 1e-15 {
        return endpoint();
    }
    let c = scale(proj, 1.0 / proj_len);
    // `c` lies within the arc when it is on the inner side of both end points.
    if dot(cross(a, c), n) < 0.0 || dot(cross(c, b), n) < 0.0 {
        return endpoint();
    }
    let ab = angle_rad(a, b);
    let frac = if ab > 0.0 {
        (angle_rad(a, c) / ab).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ArcHit {
        point: c,
        dist_rad: angle_rad(p, c),
        frac,
    }
}

impl RouteLine {
    /// Prepares a path. Consecutive points are joined by great-circle arcs; a single point is
    /// a route of length 0.
    pub fn new(points: Vec<LatLon>) -> Result<Self, RouteError> {
        if points.is_empty() {
            return Err(RouteError::Empty);
        }
        if let Some((index, p)) = points.iter().enumerate().find(|(_, p)| !p.is_valid()) {
            return Err(RouteError::InvalidPoint {
                index,
                lat: p.lat,
                lon: p.lon,
            });
        }
        let xyz: Vec<UnitVec> = points.iter().map(|p| unit_vec(*p)).collect();
        let mut chainage_m = Vec::with_capacity(points.len());
        let mut total = 0.0;
        chainage_m.push(0.0);
        for w in points.windows(2) {
            if let [a, b] = w {
                total += distance_m(*a, *b);
                chainage_m.push(total);
            }
        }
        let segments: Vec<Segment> = if xyz.len() == 1 {
            xyz.iter()
                .map(|a| Segment {
                    a: *a,
                    b: *a,
                    index: 0,
                })
                .collect()
        } else {
            xyz.windows(2)
                .enumerate()
                .filter_map(|(index, w)| match w {
                    [a, b] => Some(Segment {
                        a: *a,
                        b: *b,
                        index,
                    }),
                    _ => None,
                })
                .collect()
        };
        Ok(RouteLine {
            points,
            xyz,
            chainage_m,
            tree: RTree::bulk_load(segments),
        })
    }

    /// The path's vertices.
    pub fn points(&self) -> &[LatLon] {
        &self.points
    }

    /// Distance from the start at each vertex, metres (same length as [`Self::points`]).
    pub fn chainage_m(&self) -> &[f64] {
        &self.chainage_m
    }

    /// Total length, metres.
    pub fn length_m(&self) -> f64 {
        self.chainage_m.last().copied().unwrap_or(0.0)
    }

    /// Number of segments (at least 1; a one-point route has one zero-length segment).
    pub fn segment_count(&self) -> usize {
        self.points.len().saturating_sub(1).max(1)
    }

    /// Where `at` is relative to the route: the closest point, or with `hint` (the previous
    /// `along_m`) the pass consistent with it (see the module docs). `None` if `at` is invalid.
    pub fn locate(&self, at: LatLon, hint: Option<f64>) -> Option<Located> {
        if !at.is_valid() {
            return None;
        }
        let q = unit_vec(at);
        let mut iter = self.tree.nearest_neighbor_iter_with_distance_2(&q);
        let (first, _) = iter.next()?;
        let first = self.hit(first.index, q);
        // The tree orders by chord, `off_route_m` is an angle: look a hair past the first so
        // rounding cannot hide an equally close segment.
        let hint = hint.filter(|h| h.is_finite());
        let limit_m = match hint {
            Some(_) => first.off_route_m * (1.0 + PASS_TOLERANCE_FRACTION) + PASS_TOLERANCE_M,
            None => first.off_route_m + 1e-6,
        };
        let mut near = vec![first];
        for (seg, d2) in iter {
            if m_from_chord(d2.sqrt()) > limit_m + 1e-6 {
                break;
            }
            near.push(self.hit(seg.index, q));
        }
        let best = near
            .iter()
            .copied()
            .min_by(|a, b| {
                a.off_route_m
                    .total_cmp(&b.off_route_m)
                    .then(a.segment.cmp(&b.segment))
            })
            .unwrap_or(first);
        let Some(hint) = hint else {
            return Some(best);
        };
        // Keep only candidates within the tolerance of the true best.
        let limit_m = best.off_route_m * (1.0 + PASS_TOLERANCE_FRACTION) + PASS_TOLERANCE_M;
        near.retain(|h| h.off_route_m <= limit_m);
        Some(pick_pass(&mut near, hint).unwrap_or(best))
    }

    /// The closest point of the route found by checking every segment: the reference
    /// [`Self::locate`] (without hint) is tested and benchmarked against. O(n).
    pub fn locate_exhaustive(&self, at: LatLon) -> Option<Located> {
        if !at.is_valid() {
            return None;
        }
        let q = unit_vec(at);
        (0..self.segment_count())
            .map(|i| self.hit(i, q))
            .min_by(|a, b| {
                a.off_route_m
                    .total_cmp(&b.off_route_m)
                    .then(a.segment.cmp(&b.segment))
            })
    }

    /// The located closest point of segment `index` to `q`.
    fn hit(&self, index: usize, q: UnitVec) -> Located {
        let (Some(a), Some(ca)) = (self.xyz.get(index), self.chainage_m.get(index)) else {
            return Located {
                along_m: 0.0,
                off_route_m: f64::INFINITY,
                pos: LatLon::default(),
                segment: index,
            };
        };
        let b = self.xyz.get(index + 1).unwrap_or(a);
        let cb = self.chainage_m.get(index + 1).unwrap_or(ca);
        let arc = closest_on_arc(*a, *b, q);
        // End points keep their exact input coordinates.
        let vertex = if arc.frac == 0.0 {
            self.points.get(index)
        } else if arc.frac == 1.0 {
            self.points.get(index + 1)
        } else {
            None
        };
        let pos = vertex.copied().unwrap_or_else(|| lat_lon(arc.point));
        Located {
            along_m: ca + (cb - ca) * arc.frac,
            off_route_m: arc.dist_rad * EARTH_RADIUS_M,
            pos,
            segment: index,
        }
    }

    /// Every segment within `corridor_m` of `at`, unordered.
    fn hits_within(&self, at: LatLon, corridor_m: f64) -> Vec<Located> {
        let q = unit_vec(at);
        // A little wider than the corridor so rounding never drops a segment; the exact test
        // in metres follows.
        let r = chord_from_m(corridor_m) * (1.0 + 1e-9) + 1e-12;
        self.tree
            .locate_within_distance(q, r * r)
            .map(|s| self.hit(s.index, q))
            .filter(|h| h.off_route_m <= corridor_m)
            .collect()
    }
}

/// Groups hits into passes (runs of consecutive segments), keeping each run's closest hit
/// (ties: the earliest). Sorts `hits` by segment.
fn passes_of(hits: &mut [Located]) -> Vec<Located> {
    hits.sort_by_key(|h| h.segment);
    let mut out: Vec<Located> = Vec::new();
    let mut prev_segment: Option<usize> = None;
    for h in hits.iter() {
        let continues = prev_segment.is_some_and(|p| h.segment == p + 1);
        match out.last_mut() {
            Some(last) if continues => {
                if h.off_route_m < last.off_route_m {
                    *last = *h;
                }
            }
            _ => out.push(*h),
        }
        prev_segment = Some(h.segment);
    }
    out
}

/// The local minima of distance along the route among `hits` (sorted by segment here): a hit
/// closer than the segment before it (or with no neighbour before it in `hits`) and no farther
/// than the one after it. On a plateau (a shared vertex) the first counts.
fn local_minima(hits: &mut [Located]) -> Vec<Located> {
    hits.sort_by_key(|h| h.segment);
    let mut out = Vec::new();
    for (i, h) in hits.iter().enumerate() {
        let prev = i
            .checked_sub(1)
            .and_then(|j| hits.get(j))
            .filter(|p| p.segment + 1 == h.segment);
        let next = hits.get(i + 1).filter(|n| n.segment == h.segment + 1);
        let below_prev = prev.is_none_or(|p| h.off_route_m < p.off_route_m);
        let not_above_next = next.is_none_or(|n| h.off_route_m <= n.off_route_m);
        if below_prev && not_above_next {
            out.push(*h);
        }
    }
    out
}

fn pick_pass(near: &mut [Located], hint: f64) -> Option<Located> {
    let passes = local_minima(near);
    let best_off_m = passes
        .iter()
        .map(|p| p.off_route_m)
        .fold(f64::INFINITY, f64::min);
    // Moving backwards costs BEHIND_WEIGHT times as much as moving forwards; being farther
    // from the route than the best candidate costs OFF_ROUTE_WEIGHT per metre.
    let cost = |p: &Located| {
        let along = if p.along_m >= hint {
            p.along_m - hint
        } else {
            (hint - p.along_m) * BEHIND_WEIGHT
        };
        along + (p.off_route_m - best_off_m) * OFF_ROUTE_WEIGHT
    };
    let not_behind = passes
        .iter()
        .filter(|p| p.along_m >= hint - BACKTRACK_SLACK_M)
        .min_by(|a, b| cost(a).total_cmp(&cost(b)).then(a.segment.cmp(&b.segment)));
    not_behind
        .or_else(|| passes.iter().max_by(|a, b| a.along_m.total_cmp(&b.along_m)))
        .copied()
}

/// The point `m` metres along the polyline `points` whose vertices are at `chainage_m`
/// (clamped to its ends; linear between vertices, which is exact enough between the close
/// vertices of roads and routes). `None` for an empty line.
pub fn point_at_chainage(points: &[LatLon], chainage_m: &[f64], m: f64) -> Option<LatLon> {
    let n = points.len().min(chainage_m.len());
    let first = *points.first()?;
    if n < 2 {
        return Some(first);
    }
    let i = chainage_m[..n].partition_point(|&x| x <= m).clamp(1, n - 1);
    let (a, b) = (points[i - 1], points[i]);
    let len = chainage_m[i] - chainage_m[i - 1];
    let t = if len > 0.0 {
        ((m - chainage_m[i - 1]) / len).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Some(LatLon {
        lat: a.lat + (b.lat - a.lat) * t,
        lon: a.lon + (b.lon - a.lon) * t,
    })
}

/// One place where the route passes a waypoint within the corridor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pass {
    /// The waypoint's id.
    pub id: WaypointId,
    /// Its kind.
    pub kind: WaypointKind,
    /// Chainage of the route's closest point to it on this pass, metres.
    pub along_m: f64,
    /// Distance from the route to it on this pass, metres.
    pub off_route_m: f64,
}

/// A waypoint ahead on the route, as returned by [`RouteWaypoints::ahead`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ahead {
    /// The waypoint's id.
    pub id: WaypointId,
    /// Its kind.
    pub kind: WaypointKind,
    /// Chainage of the pass, metres from the route's start.
    pub along_m: f64,
    /// Distance still to drive to the pass, metres (`along_m` minus the current `along_m`).
    pub ahead_m: f64,
    /// Distance from the route to the waypoint at the pass, metres.
    pub off_route_m: f64,
}

/// Every pass of every waypoint along one route, for a fixed corridor, sorted by chainage.
///
/// A waypoint is passed once per contiguous stretch of the route within the corridor (so a
/// waypoint beside an out-and-back road is passed twice); each pass sits at the stretch's
/// closest point (ties: the earliest).
#[derive(Debug, Clone)]
pub struct RouteWaypoints {
    corridor_m: f64,
    // Indexed by `WaypointKind as usize`; each sorted by (along_m, id).
    by_kind: Vec<Vec<Pass>>,
}

fn pass_order(a: &Pass, b: &Pass) -> std::cmp::Ordering {
    a.along_m.total_cmp(&b.along_m).then(a.id.cmp(&b.id))
}

impl RouteWaypoints {
    /// Finds the passes of `(id, position, kind)` items within `corridor_m` of `route`.
    /// Items with invalid positions are ignored.
    pub fn new(
        route: &RouteLine,
        items: impl IntoIterator<Item = (WaypointId, LatLon, WaypointKind)>,
        corridor_m: f64,
    ) -> Self {
        let mut by_kind: Vec<Vec<Pass>> = vec![Vec::new(); WaypointKind::ALL.len()];
        for (id, pos, kind) in items {
            if !pos.is_valid() {
                continue;
            }
            let mut hits = route.hits_within(pos, corridor_m);
            let Some(list) = by_kind.get_mut(kind as usize) else {
                continue;
            };
            for h in passes_of(&mut hits) {
                list.push(Pass {
                    id,
                    kind,
                    along_m: h.along_m,
                    off_route_m: h.off_route_m,
                });
            }
        }
        for list in &mut by_kind {
            list.sort_by(pass_order);
        }
        RouteWaypoints {
            corridor_m,
            by_kind,
        }
    }

    /// Same as [`Self::new`] for stored waypoints.
    pub fn from_stored(route: &RouteLine, waypoints: &[StoredWaypoint], corridor_m: f64) -> Self {
        Self::new(
            route,
            waypoints.iter().map(|w| (w.id, w.wpt.pos, w.wpt.kind)),
            corridor_m,
        )
    }

    /// The corridor half-width these passes were computed for, metres.
    pub fn corridor_m(&self) -> f64 {
        self.corridor_m
    }

    /// The passes of waypoints of one kind, sorted by `(along_m, id)`.
    pub fn passes(&self, kind: WaypointKind) -> &[Pass] {
        self.by_kind
            .get(kind as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// All passes of all kinds, sorted by `(along_m, id)`.
    pub fn all_passes(&self) -> Vec<Pass> {
        let mut all: Vec<Pass> = self.by_kind.iter().flatten().copied().collect();
        all.sort_by(pass_order);
        all
    }

    /// The first `n` passes strictly ahead of `here_along_m` of waypoints whose kind is in
    /// `kinds` (empty = every kind), sorted by `(along_m, id)`.
    pub fn ahead(&self, here_along_m: f64, kinds: &[WaypointKind], n: usize) -> Vec<Ahead> {
        let selected: Vec<&Vec<Pass>> = if kinds.is_empty() {
            self.by_kind.iter().collect()
        } else {
            let mut k = kinds.to_vec();
            k.sort();
            k.dedup();
            k.iter()
                .filter_map(|kind| self.by_kind.get(*kind as usize))
                .collect()
        };
        let mut out: Vec<Pass> = Vec::new();
        for list in selected {
            let start = list.partition_point(|p| p.along_m <= here_along_m);
            out.extend(list.iter().skip(start).take(n));
        }
        out.sort_by(pass_order);
        out.truncate(n);
        out.into_iter()
            .map(|p| Ahead {
                id: p.id,
                kind: p.kind,
                along_m: p.along_m,
                ahead_m: p.along_m - here_along_m,
                off_route_m: p.off_route_m,
            })
            .collect()
    }

    /// Locates `at` on `route` (with `hint`, see [`RouteLine::locate`]) and lists what is ahead.
    /// `None` if `at` is invalid.
    pub fn ahead_of(
        &self,
        route: &RouteLine,
        at: LatLon,
        hint: Option<f64>,
        kinds: &[WaypointKind],
        n: usize,
    ) -> Option<(Located, Vec<Ahead>)> {
        let here = route.locate(at, hint)?;
        Some((here, self.ahead(here.along_m, kinds, n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WaypointKind::{Campground, Fuel, Water};
    use proptest::prelude::*;

    fn p(lat: f64, lon: f64) -> LatLon {
        LatLon::new(lat, lon)
    }

    fn line(points: &[(f64, f64)]) -> RouteLine {
        RouteLine::new(points.iter().map(|&(a, b)| p(a, b)).collect()).unwrap()
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Metres per degree of a great circle on the mean sphere.
    const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

    #[test]
    fn empty_and_invalid_routes_are_errors() {
        assert_eq!(RouteLine::new(vec![]).unwrap_err(), RouteError::Empty);
        assert!(matches!(
            RouteLine::new(vec![p(0.0, 0.0), p(f64::NAN, 0.0)]),
            Err(RouteError::InvalidPoint { index: 1, .. })
        ));
    }

    #[test]
    fn chainage_accumulates_haversine_lengths() {
        let r = line(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)]);
        assert!(close(r.length_m(), 2.0 * M_PER_DEG, 1e-6));
        assert!(close(r.chainage_m()[1], M_PER_DEG, 1e-6));
    }

    #[test]
    fn locate_on_the_equator_projects_perpendicularly() {
        let r = line(&[(0.0, 0.0), (0.0, 1.0)]);
        let l = r.locate(p(0.01, 0.5), None).unwrap();
        assert!(close(l.along_m, 0.5 * M_PER_DEG, 0.01), "{l:?}");
        assert!(close(l.off_route_m, 0.01 * M_PER_DEG, 0.01), "{l:?}");
        assert_eq!(l.segment, 0);
    }

    #[test]
    fn locate_beyond_the_end_snaps_to_the_end() {
        let r = line(&[(0.0, 0.0), (0.0, 1.0)]);
        let l = r.locate(p(0.0, 1.5), None).unwrap();
        assert_eq!(l.pos, p(0.0, 1.0));
        assert!(close(l.along_m, r.length_m(), 1e-9));
    }

    #[test]
    fn locate_works_across_the_antimeridian() {
        let r = line(&[(0.0, 179.5), (0.0, -179.5)]);
        let l = r.locate(p(0.001, 180.0), None).unwrap();
        assert!(close(l.along_m, 0.5 * M_PER_DEG, 0.01), "{l:?}");
        assert!(close(l.off_route_m, 0.001 * M_PER_DEG, 0.01), "{l:?}");
    }

    #[test]
    fn locate_works_over_the_pole() {
        let r = line(&[(89.0, 0.0), (89.0, 180.0)]);
        let l = r.locate(p(89.5, 90.0), None).unwrap();
        assert!(close(l.along_m, M_PER_DEG, 0.01), "{l:?}");
        assert!(close(l.off_route_m, 0.5 * M_PER_DEG, 0.01), "{l:?}");
    }

    #[test]
    fn one_point_route_locates_to_that_point() {
        let r = line(&[(1.0, 1.0)]);
        let l = r.locate(p(1.0, 1.01), None).unwrap();
        assert_eq!((l.along_m, l.pos), (0.0, p(1.0, 1.0)));
        assert_eq!(r.length_m(), 0.0);
    }

    #[test]
    fn arc_distance_matches_dense_sampling_on_1_km_segments() {
        // 1 km segments at 60°N in odd directions; the exact arc distance must agree with the
        // minimum over 2001 sampled arc points to well under a metre.
        let a = p(60.0, 10.0);
        for (i, (dlat, dlon)) in [(0.009, 0.0), (0.0, 0.018), (0.006, 0.012), (-0.005, 0.015)]
            .iter()
            .enumerate()
        {
            let b = p(60.0 + dlat, 10.0 + dlon);
            let q = p(
                60.0 + dlat * 0.3 + 0.003 * (i as f64 - 1.5),
                10.0 + dlon * 0.6 - 0.002,
            );
            let (va, vb, vq) = (unit_vec(a), unit_vec(b), unit_vec(q));
            let exact = closest_on_arc(va, vb, vq).dist_rad * EARTH_RADIUS_M;
            let ab = angle_rad(va, vb);
            let sampled = (0..=2000)
                .map(|s| {
                    let t = ab * f64::from(s) / 2000.0;
                    // Slerp between a and b.
                    let (w1, w2) = (((ab - t).sin()) / ab.sin(), t.sin() / ab.sin());
                    let v = [
                        va[0] * w1 + vb[0] * w2,
                        va[1] * w1 + vb[1] * w2,
                        va[2] * w1 + vb[2] * w2,
                    ];
                    distance_m(q, lat_lon(v))
                })
                .fold(f64::INFINITY, f64::min);
            assert!(
                exact <= sampled + 1e-6 && sampled - exact < 0.01,
                "{i}: {exact} vs {sampled}"
            );
        }
    }

    /// An out-and-back: 0→1° east along the equator, then back on a parallel road 10 m north.
    fn out_and_back() -> RouteLine {
        let north = 10.0 / M_PER_DEG;
        let mut pts: Vec<(f64, f64)> = (0..=100).map(|i| (0.0, f64::from(i) * 0.01)).collect();
        pts.extend((0..=100).rev().map(|i| (north, f64::from(i) * 0.01)));
        line(&pts)
    }

    #[test]
    fn out_and_back_without_hint_takes_the_closest_leg() {
        let r = out_and_back();
        let l = r.locate(p(8.0 / M_PER_DEG, 0.5), None).unwrap();
        assert!(l.along_m > r.length_m() / 2.0, "{l:?}");
    }

    #[test]
    fn out_and_back_with_hint_stays_on_the_outbound_leg() {
        let r = out_and_back();
        let l = r
            .locate(p(8.0 / M_PER_DEG, 0.5), Some(0.49 * M_PER_DEG))
            .unwrap();
        assert!(close(l.along_m, 0.5 * M_PER_DEG, 1.0), "{l:?}");
    }

    #[test]
    fn out_and_back_with_hint_on_the_return_stays_on_the_return() {
        let r = out_and_back();
        let back = r.length_m() - 0.51 * M_PER_DEG;
        let l = r.locate(p(1.0 / M_PER_DEG, 0.5), Some(back)).unwrap();
        assert!(
            close(l.along_m, r.length_m() - 0.5 * M_PER_DEG, 20.0),
            "{l:?}"
        );
    }

    #[test]
    fn hint_far_behind_every_pass_takes_the_nearest_pass_ahead() {
        let r = out_and_back();
        let l = r.locate(p(0.0, 0.5), Some(0.0)).unwrap();
        assert!(close(l.along_m, 0.5 * M_PER_DEG, 1.0), "{l:?}");
    }

    #[test]
    fn hint_ahead_of_every_pass_takes_the_furthest_along() {
        let r = out_and_back();
        let l = r.locate(p(0.0, 0.5), Some(r.length_m() + 1000.0)).unwrap();
        assert!(l.along_m > r.length_m() / 2.0, "{l:?}");
    }

    #[test]
    fn circling_a_block_with_hint_takes_the_later_pass() {
        // Start east, drive north around a 100 m block and come back through the start corner,
        // then continue east: the corner is on the route twice.
        let d = 100.0 / M_PER_DEG;
        let r = line(&[
            (0.0, 0.0),
            (0.0, d),
            (d, d),
            (d, 0.0),
            (0.0, 0.0),
            (0.0, -d),
            (0.0, -2.0 * d),
        ]);
        let corner = p(0.0, 0.0);
        assert_eq!(r.locate(corner, None).unwrap().along_m, 0.0);
        let l = r.locate(corner, Some(350.0)).unwrap();
        assert!(close(l.along_m, 400.0, 0.5), "{l:?}");
    }

    #[test]
    fn a_far_pass_is_not_a_candidate() {
        // A loop whose return is 5 km away: the hint cannot pull the position onto it.
        let north = 5000.0 / M_PER_DEG;
        let r = line(&[(0.0, 0.0), (0.0, 1.0), (north, 1.0), (north, 0.0)]);
        let l = r
            .locate(p(0.0, 0.5), Some(r.length_m() - 0.5 * M_PER_DEG))
            .unwrap();
        assert!(close(l.along_m, 0.5 * M_PER_DEG, 1.0), "{l:?}");
    }

    #[test]
    fn waypoint_beside_an_out_and_back_is_passed_twice() {
        let r = out_and_back();
        let rw = RouteWaypoints::new(&r, [(7, p(-100.0 / M_PER_DEG, 0.25), Fuel)], 500.0);
        let passes = rw.passes(Fuel);
        assert_eq!(passes.len(), 2, "{passes:?}");
        assert!(close(passes[0].along_m, 0.25 * M_PER_DEG, 1.0));
        assert!(close(
            passes[1].along_m,
            r.length_m() - 0.25 * M_PER_DEG,
            1.0
        ));
        assert!(
            close(passes[0].off_route_m, 100.0, 0.01) && close(passes[1].off_route_m, 110.0, 0.01)
        );
    }

    #[test]
    fn ahead_lists_only_what_is_ahead_sorted_and_filtered() {
        let r = line(&[(0.0, 0.0), (0.0, 1.0)]);
        let items = [
            (1, p(0.001, 0.2), Fuel),
            (2, p(0.001, 0.6), Fuel),
            (3, p(0.001, 0.4), Water),
            (4, p(0.001, 0.8), Campground),
            (5, p(0.5, 0.9), Fuel), // 55 km off: outside the corridor
        ];
        let rw = RouteWaypoints::new(&r, items, DEFAULT_CORRIDOR_M);
        let ids = |v: Vec<Ahead>| v.iter().map(|a| a.id).collect::<Vec<_>>();
        let here = 0.3 * M_PER_DEG;
        assert_eq!(ids(rw.ahead(here, &[], 10)), vec![3, 2, 4]);
        assert_eq!(ids(rw.ahead(here, &[Fuel], 10)), vec![2]);
        assert_eq!(ids(rw.ahead(here, &[Fuel, Campground], 1)), vec![2]);
        let a = rw.ahead(here, &[Fuel], 1);
        assert!(close(a[0].ahead_m, 0.3 * M_PER_DEG, 1.0), "{a:?}");
    }

    #[test]
    fn ahead_of_locates_then_looks_ahead() {
        let r = line(&[(0.0, 0.0), (0.0, 1.0)]);
        let rw = RouteWaypoints::new(&r, [(1, p(0.0, 0.2), Fuel), (2, p(0.0, 0.7), Fuel)], 100.0);
        let (here, ahead) = rw.ahead_of(&r, p(0.001, 0.5), None, &[], 5).unwrap();
        assert!(close(here.along_m, 0.5 * M_PER_DEG, 1.0));
        assert_eq!(ahead.iter().map(|a| a.id).collect::<Vec<_>>(), vec![2]);
    }

    // Brute force: every segment, no index.
    fn brute_ahead(
        r: &RouteLine,
        items: &[(WaypointId, LatLon, WaypointKind)],
        corridor_m: f64,
        here_along_m: f64,
        kinds: &[WaypointKind],
        n: usize,
    ) -> Vec<(WaypointId, f64, f64)> {
        let mut all = Vec::new();
        for &(id, pos, kind) in items {
            if !kinds.is_empty() && !kinds.contains(&kind) {
                continue;
            }
            let q = unit_vec(pos);
            let mut hits: Vec<Located> = (0..r.segment_count())
                .map(|i| r.hit(i, q))
                .filter(|h| h.off_route_m <= corridor_m)
                .collect();
            for h in passes_of(&mut hits) {
                if h.along_m > here_along_m {
                    all.push((id, h.along_m, h.off_route_m));
                }
            }
        }
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }

    fn kind_strategy() -> impl Strategy<Value = WaypointKind> {
        prop_oneof![Just(Fuel), Just(Campground), Just(Water)]
    }

    /// A random walk route with steps of up to ~0.02°, starting at a chosen place (often next to
    /// the antimeridian or a pole), and waypoints scattered around it.
    /// Route points, waypoints, corridor in metres, position as a fraction of the length.
    type Scenario = (
        Vec<LatLon>,
        Vec<(WaypointId, LatLon, WaypointKind)>,
        f64,
        f64,
    );

    fn scenario() -> impl Strategy<Value = Scenario> {
        let start = prop_oneof![
            Just(p(0.0, 179.95)),
            Just(p(89.9, 0.0)),
            Just(p(-89.95, 45.0)),
            (-60.0..60.0f64, -180.0..180.0f64).prop_map(|(a, b)| p(a, b)),
        ];
        let steps = prop::collection::vec((-0.02..0.02f64, -0.02..0.02f64), 1..60);
        let wpts = prop::collection::vec(
            (0usize..60, -0.02..0.02f64, -0.02..0.02f64, kind_strategy()),
            0..40,
        );
        (start, steps, wpts, 100.0..3000.0f64, 0.0..1.0f64).prop_map(
            |(start, steps, wpts, corridor, here_frac)| {
                let wrap = |lat: f64, lon: f64| {
                    let lat = lat.clamp(-90.0, 90.0);
                    let lon = if lon > 180.0 {
                        lon - 360.0
                    } else if lon < -180.0 {
                        lon + 360.0
                    } else {
                        lon
                    };
                    p(lat, lon)
                };
                let mut pts = vec![start];
                for (dlat, dlon) in steps {
                    let last = pts[pts.len() - 1];
                    pts.push(wrap(last.lat + dlat, last.lon + dlon));
                }
                let items = wpts
                    .into_iter()
                    .enumerate()
                    .map(|(i, (at, dlat, dlon, kind))| {
                        let base = pts[at % pts.len()];
                        (i as i64, wrap(base.lat + dlat, base.lon + dlon), kind)
                    })
                    .collect();
                (pts, items, corridor, here_frac)
            },
        )
    }

    proptest! {
        #[test]
        fn ahead_equals_a_brute_force_over_all_segments(
            (pts, items, corridor_m, here_frac) in scenario(),
            kinds in prop::collection::vec(kind_strategy(), 0..2),
            n in 0usize..10,
        ) {
            let r = RouteLine::new(pts).unwrap();
            let rw = RouteWaypoints::new(&r, items.iter().copied(), corridor_m);
            let here = r.length_m() * here_frac;
            let got: Vec<_> = rw.ahead(here, &kinds, n).iter().map(|a| (a.id, a.along_m, a.off_route_m)).collect();
            prop_assert_eq!(got, brute_ahead(&r, &items, corridor_m, here, &kinds, n));
        }

        #[test]
        fn locate_without_hint_equals_a_brute_force(
            (pts, items, _c, _h) in scenario(),
        ) {
            let r = RouteLine::new(pts).unwrap();
            for &(_, at, _) in &items {
                let brute = r.locate_exhaustive(at).unwrap();
                let got = r.locate(at, None).unwrap();
                prop_assert_eq!(got.off_route_m, brute.off_route_m);
                prop_assert_eq!(got.segment, brute.segment);
            }
        }
    }
}
