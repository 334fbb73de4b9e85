//! Map geometry at import: generalisation levels, ring areas, representative points,
//! multipolygon ring assembly. Pure; the PBF reader and the store call it.
//!
//! The interior point is `geo`'s (`InteriorPoint`), Douglas-Peucker our own (see
//! [`douglas_peucker`]), both on a local equirectangular plane so tolerances are metres.
//! Ring assembly from member ways is written here: `geo` has no "join open ways by shared
//! end nodes".

use std::collections::HashMap;

use geo::{ChamberlainDuquetteArea, Contains, Coord, InteriorPoint, LineString};

use super::Polygon;
use crate::core::geodesy::EARTH_RADIUS_M;
use crate::core::model::LatLon;

/// The stored generalisation levels: `(scale from which the level is used, tolerance in
/// metres)`. 0.1 mm on paper at the scale: 10 m at 1:100,000, 50 m at 1:500,000, 200 m at
/// 1:2,000,000. Level 0 is the full geometry.
pub const LEVELS: [(u32, f64); 4] = [
    (0, 0.0),
    (100_000, 10.0),
    (500_000, 50.0),
    (2_000_000, 200.0),
];

/// The level to draw at a scale denominator: the coarsest whose threshold it reaches.
pub fn level_for_scale(scale_denom: u32) -> usize {
    LEVELS
        .iter()
        .rposition(|(from, _)| scale_denom >= *from)
        .unwrap_or(0)
}

/// Metres on a plane tangent near `origin` (equirectangular; good to a fraction of a percent
/// over the extent of one way).
fn plane(origin: LatLon) -> impl Fn(LatLon) -> Coord<f64> {
    // Metres per degree of latitude.
    let ky = EARTH_RADIUS_M.to_radians();
    let kx = (origin.lat.to_radians().cos() * ky).max(1e-9);
    move |p: LatLon| Coord {
        x: (p.lon - origin.lon) * kx,
        y: (p.lat - origin.lat) * ky,
    }
}

/// Douglas-Peucker with a tolerance in metres, keeping the first and last points.
pub fn simplify(points: &[LatLon], tol_m: f64) -> Vec<LatLon> {
    let Some(&origin) = points.first() else {
        return Vec::new();
    };
    if tol_m <= 0.0 || points.len() <= 2 {
        return points.to_vec();
    }
    let to = plane(origin);
    let xy: Vec<[f64; 2]> = points
        .iter()
        .map(|&p| {
            let c = to(p);
            [c.x, c.y]
        })
        .collect();
    douglas_peucker(&xy, tol_m)
        .into_iter()
        .filter_map(|i| points.get(i).copied())
        .collect()
}

/// Douglas-Peucker on plane points: the indices kept, in order, first and last always. A
/// point stays when it is farther than `tol` from the segment joining its span's ends (the
/// segment, not the line, as `geo`'s `SimplifyIdx`: a spike beyond an end is kept).
///
/// By hand rather than `geo`'s: this is the map import's hottest geometry (every way at
/// three levels); squared distances (one square root per span), no recursion and no
/// allocation per span, with `geo`'s arithmetic where it decides, so the same result.
pub fn douglas_peucker(points: &[[f64; 2]], tol: f64) -> Vec<usize> {
    let n = points.len();
    if n < 3 {
        return (0..n).collect();
    }
    let mut keep = vec![false; n];
    let mut stack = vec![(0usize, n - 1)];
    while let Some((s, e)) = stack.pop() {
        let (Some(a), Some(b), Some(inner)) = (points.get(s), points.get(e), points.get(s + 1..e))
        else {
            continue;
        };
        if inner.is_empty() {
            continue;
        }
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len2 = dx * dx + dy * dy;
        // The farthest point by squared distance; on a tie the later one, as `geo` picks.
        let mut best = (-1.0, 0usize);
        for (k, p) in inner.iter().enumerate() {
            let d2 = Offset::of(*p, *a, *b, dx, dy, len2).squared(len2);
            if d2 >= best.0 {
                best = (d2, s + 1 + k);
            }
        }
        // The one square root per span, computed as `geo` computes it, decides.
        let far = points.get(best.1).map_or(0.0, |p| {
            Offset::of(*p, *a, *b, dx, dy, len2).distance(dx, dy)
        });
        if far > tol {
            if let Some(k) = keep.get_mut(best.1) {
                *k = true;
            }
            stack.push((best.1, e));
            stack.push((s, best.1));
        }
    }
    if let Some(f) = keep.first_mut() {
        *f = true;
    }
    if let Some(l) = keep.last_mut() {
        *l = true;
    }
    keep.iter()
        .enumerate()
        .filter_map(|(i, &k)| k.then_some(i))
        .collect()
}

/// Where `p` lies from the segment `a`-`b` (`dx`, `dy`: `b - a`; `len2`: its squared
/// length), by the steps of `geo`'s `line_segment_distance`: off an end, or across it.
enum Offset {
    /// The offset from the nearer end.
    End(f64, f64),
    /// The signed perpendicular offset, in segment lengths.
    Across(f64),
}

impl Offset {
    fn of(p: [f64; 2], a: [f64; 2], b: [f64; 2], dx: f64, dy: f64, len2: f64) -> Offset {
        let r = if len2 == 0.0 {
            0.0
        } else {
            ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2
        };
        if r <= 0.0 {
            Offset::End(p[0] - a[0], p[1] - a[1])
        } else if r >= 1.0 {
            Offset::End(p[0] - b[0], p[1] - b[1])
        } else {
            Offset::Across(((a[1] - p[1]) * dx - (a[0] - p[0]) * dy) / len2)
        }
    }

    /// The squared distance, for comparing.
    fn squared(&self, len2: f64) -> f64 {
        match *self {
            Offset::End(x, y) => x * x + y * y,
            Offset::Across(s) => s * s * len2,
        }
    }

    /// The distance itself, rounded as `geo` rounds it.
    fn distance(&self, dx: f64, dy: f64) -> f64 {
        match *self {
            Offset::End(x, y) => x.hypot(y),
            Offset::Across(s) => s.abs() * dx.hypot(dy),
        }
    }
}

/// A closed ring simplified; `None` when it collapses below a triangle or is smaller than the
/// tolerance (not worth drawing at that scale).
pub fn simplify_ring(ring: &[LatLon], tol_m: f64) -> Option<Vec<LatLon>> {
    if tol_m > 0.0 {
        let (w, h) = extent_m(ring);
        if w.max(h) < tol_m {
            return None;
        }
    }
    let s = simplify(ring, tol_m);
    (s.len() >= 4).then_some(s)
}

/// Width and height of the points' box in metres.
pub fn extent_m(points: &[LatLon]) -> (f64, f64) {
    let Some(&first) = points.first() else {
        return (0.0, 0.0);
    };
    let to = plane(first);
    let (mut x0, mut x1, mut y0, mut y1) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for &p in points {
        let c = to(p);
        x0 = x0.min(c.x);
        x1 = x1.max(c.x);
        y0 = y0.min(c.y);
        y1 = y1.max(c.y);
    }
    (x1 - x0, y1 - y0)
}

fn geo_ring(ring: &[LatLon]) -> LineString<f64> {
    ring.iter().map(|p| Coord { x: p.lon, y: p.lat }).collect()
}

fn geo_polygon(p: &Polygon) -> geo::Polygon<f64> {
    geo::Polygon::new(
        geo_ring(&p.outer),
        p.inners.iter().map(|r| geo_ring(r)).collect(),
    )
}

/// Area on the sphere in square metres, outer rings minus holes.
pub fn area_m2(polygons: &[Polygon]) -> f64 {
    polygons
        .iter()
        .map(|p| geo_polygon(p).chamberlain_duquette_unsigned_area())
        .sum()
}

/// A point inside the polygons (on the largest's surface), for a POI or place label.
pub fn representative_point(polygons: &[Polygon]) -> Option<LatLon> {
    let mp = geo::MultiPolygon::new(polygons.iter().map(geo_polygon).collect());
    let p = mp.interior_point()?;
    Some(LatLon::new(p.y(), p.x()))
}

/// Whether `ring` (closed) contains `p`.
fn ring_contains(ring: &[LatLon], p: LatLon) -> bool {
    geo::Polygon::new(geo_ring(ring), vec![]).contains(&geo::Point::new(p.lon, p.lat))
}

/// Joins open member ways (node id sequences) into closed rings by their shared end nodes.
/// `None` when some way cannot be closed into a ring: the relation is broken.
pub fn join_rings(ways: Vec<Vec<i64>>) -> Option<Vec<Vec<i64>>> {
    let mut rings = Vec::new();
    let mut open: Vec<Option<Vec<i64>>> = Vec::new();
    for w in ways {
        if w.len() < 2 {
            continue;
        }
        if w.first() == w.last() && w.len() >= 4 {
            rings.push(w);
        } else {
            open.push(Some(w));
        }
    }
    // End node -> open ways touching it.
    let mut ends: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, w) in open.iter().enumerate() {
        if let Some(w) = w {
            for n in [w.first(), w.last()].into_iter().flatten() {
                ends.entry(*n).or_default().push(i);
            }
        }
    }
    for start in 0..open.len() {
        let Some(mut ring) = open.get_mut(start).and_then(Option::take) else {
            continue;
        };
        loop {
            let (Some(&head), Some(&tail)) = (ring.first(), ring.last()) else {
                return None;
            };
            if head == tail && ring.len() >= 4 {
                break;
            }
            let next = ends.get(&tail).and_then(|c| {
                c.iter()
                    .copied()
                    .find(|&j| open.get(j).is_some_and(|w| w.is_some()))
            });
            let j = next?;
            let mut w = open.get_mut(j).and_then(Option::take)?;
            if w.first() != Some(&tail) {
                w.reverse();
            }
            ring.extend(w.into_iter().skip(1));
        }
        rings.push(ring);
    }
    Some(rings)
}

/// Polygons from closed rings: each `inner` ring goes into the first outer ring that contains
/// its first point (inners outside every outer are dropped). Rings without a role are outer
/// unless inside another ring.
pub fn assemble(outers: Vec<Vec<LatLon>>, inners: Vec<Vec<LatLon>>) -> Vec<Polygon> {
    let mut polys: Vec<Polygon> = outers
        .into_iter()
        .map(|outer| Polygon {
            outer,
            inners: Vec::new(),
        })
        .collect();
    for inner in inners {
        let Some(&p) = inner.first() else { continue };
        if let Some(poly) = polys.iter_mut().find(|poly| ring_contains(&poly.outer, p)) {
            poly.inners.push(inner);
        }
    }
    polys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_scale() {
        assert_eq!(level_for_scale(24_000), 0);
        assert_eq!(level_for_scale(100_000), 1);
        assert_eq!(level_for_scale(250_000), 1);
        assert_eq!(level_for_scale(500_000), 2);
        assert_eq!(level_for_scale(4_000_000), 3);
    }

    #[test]
    fn douglas_peucker_keeps_what_geo_keeps() {
        use geo::SimplifyIdx;
        let mut seed = 99u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 1_000_000) as f64 / 1_000.0
        };
        for n in [0, 1, 2, 3, 10, 200, 2_000] {
            // A wandering line with spikes, and a closed ring.
            let mut line: Vec<[f64; 2]> = Vec::new();
            let (mut x, mut y) = (0.0, 0.0);
            for _ in 0..n {
                x += next() / 10.0;
                y += next() / 10.0 - 50.0;
                line.push([x, y]);
            }
            let mut ring = line.clone();
            if let Some(&f) = line.first() {
                ring.push(f);
            }
            for pts in [&line, &ring] {
                for tol in [0.0, 1.0, 10.0, 50.0, 500.0] {
                    let ls: LineString<f64> =
                        pts.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
                    assert_eq!(
                        douglas_peucker(pts, tol),
                        ls.simplify_idx(tol),
                        "n {n} tol {tol}"
                    );
                }
            }
        }
    }

    #[test]
    fn simplify_drops_points_within_tolerance() {
        // A line with a 5 m bump over 1 km.
        let pts: Vec<LatLon> = (0..=100)
            .map(|i| {
                let bump = if i == 50 { 5.0 / 111_195.0 } else { 0.0 };
                LatLon::new(45.0 + bump, 7.0 + i as f64 * 0.0001)
            })
            .collect();
        assert_eq!(simplify(&pts, 10.0).len(), 2);
        // 1 m: the bump and its two neighbours (4.9 m off the chords) stay.
        assert_eq!(simplify(&pts, 1.0).len(), 5);
    }

    #[test]
    fn rings_join_reversed_pieces_and_refuse_open_ones() {
        let r = join_rings(vec![vec![1, 2, 3], vec![5, 4, 3], vec![5, 6, 1]]).unwrap();
        assert_eq!(r, vec![vec![1, 2, 3, 4, 5, 6, 1]]);
        assert!(join_rings(vec![vec![1, 2, 3], vec![3, 4]]).is_none());
    }

    #[test]
    fn area_of_a_square_km_and_a_point_inside() {
        let d = 1000.0 / 111_195.0;
        let sq = vec![
            LatLon::new(0.0, 0.0),
            LatLon::new(0.0, d),
            LatLon::new(d, d),
            LatLon::new(d, 0.0),
            LatLon::new(0.0, 0.0),
        ];
        let polys = assemble(vec![sq.clone()], vec![]);
        let a = area_m2(&polys);
        assert!((a - 1e6).abs() < 0.01e6, "{a}");
        let p = representative_point(&polys).unwrap();
        assert!(ring_contains(&sq, p));
    }
}
