//! The corridor of `map import --around`: which features lie within a distance of routes.
//!
//! A line or area is kept whole when any of its vertices is within the distance of a route
//! (measured on the sphere with `core::along`), or when an area contains a route point (a
//! national forest the route runs through). Pure; not for clipping geometry.

use super::Polygon;
use crate::core::along::RouteLine;
use crate::core::geodesy::EARTH_RADIUS_M;
use crate::core::model::{BBox, LatLon};

/// Routes and a distance.
#[derive(Debug, Clone)]
pub struct Corridor {
    routes: Vec<(RouteLine, BBox)>,
    dist_m: f64,
    bbox: BBox,
}

fn grown(b: BBox, m: f64) -> BBox {
    let dlat = (m / EARTH_RADIUS_M).to_degrees() * 1.01;
    let widest = (b.min_lat.abs().max(b.max_lat.abs()) + dlat)
        .min(89.0)
        .to_radians()
        .cos();
    let dlon = (dlat / widest).min(360.0);
    BBox {
        min_lon: b.min_lon - dlon,
        min_lat: b.min_lat - dlat,
        max_lon: b.max_lon + dlon,
        max_lat: b.max_lat + dlat,
    }
}

fn inside(b: &BBox, p: LatLon) -> bool {
    p.lon >= b.min_lon && p.lon <= b.max_lon && p.lat >= b.min_lat && p.lat <= b.max_lat
}

impl Corridor {
    /// The corridor of `dist_m` around each route.
    pub fn new(routes: Vec<RouteLine>, dist_m: f64) -> Corridor {
        let mut all = BBox::EMPTY;
        let routes: Vec<(RouteLine, BBox)> = routes
            .into_iter()
            .map(|r| {
                let mut b = BBox::EMPTY;
                for &p in r.points() {
                    b.extend(p);
                }
                let g = grown(b, dist_m);
                all.extend(LatLon::new(g.min_lat, g.min_lon));
                all.extend(LatLon::new(g.max_lat, g.max_lon));
                (r, g)
            })
            .collect();
        Corridor {
            routes,
            dist_m,
            bbox: all,
        }
    }

    /// The box holding the whole corridor.
    pub fn bbox(&self) -> BBox {
        self.bbox
    }

    /// Whether `p` is within the distance of a route.
    pub fn contains(&self, p: LatLon) -> bool {
        inside(&self.bbox, p) && self.clearance_m(p).is_none()
    }

    /// `None` when `p` is within the distance of a route; else how far, at least, `p` is
    /// from the corridor: no point nearer to `p` than that lies in it.
    fn clearance_m(&self, p: LatLon) -> Option<f64> {
        let mut least = f64::INFINITY;
        for (r, b) in &self.routes {
            let clear = if inside(b, p) {
                match r.locate(p, None) {
                    Some(l) if l.off_route_m <= self.dist_m => return None,
                    Some(l) => l.off_route_m - self.dist_m,
                    None => 0.0,
                }
            } else {
                // Every point within the distance lies in the grown box, and no point of the
                // box is nearer than its latitude gap.
                let gap = (b.min_lat - p.lat).max(p.lat - b.max_lat).max(0.0);
                gap.to_radians() * EARTH_RADIUS_M
            };
            least = least.min(clear);
        }
        Some(least)
    }

    /// Whether any point of a line is within the corridor.
    ///
    /// Locating a vertex on the routes is the cost of a corridor import, and most lines
    /// tested lie outside: after one vertex is located, the vertices that follow within its
    /// clearance (walked along the line, an over-estimate of each step) cannot be in the
    /// corridor either, so a line far from the routes costs one locate, not one per vertex.
    pub fn touches_line(&self, points: &[LatLon]) -> bool {
        let mut i = 0;
        while let Some(&p) = points.get(i) {
            if !inside(&self.bbox, p) {
                i += 1;
                continue;
            }
            let Some(mut clear) = self.clearance_m(p) else {
                return true;
            };
            i += 1;
            while let (Some(&a), Some(&b)) = (points.get(i - 1), points.get(i)) {
                clear -= step_over_m(a, b);
                // A millimetre's margin for the rounding of `locate` and of the steps.
                if clear.is_nan() || clear <= 1e-3 {
                    break;
                }
                i += 1;
            }
        }
        false
    }

    /// Whether an area reaches into the corridor: a vertex within it, or a route point inside.
    pub fn touches_area(&self, polygons: &[Polygon]) -> bool {
        if polygons
            .iter()
            .any(|p| self.touches_line(&p.outer) || p.inners.iter().any(|r| self.touches_line(r)))
        {
            return true;
        }
        polygons.iter().any(|poly| {
            let mut b = BBox::EMPTY;
            for &p in &poly.outer {
                b.extend(p);
            }
            self.routes.iter().any(|(r, _)| {
                let pts: Vec<LatLon> = r
                    .points()
                    .iter()
                    .copied()
                    .filter(|&p| inside(&b, p))
                    .collect();
                // A few route points suffice: the route enters the area or it does not.
                let step = (pts.len() / 64).max(1);
                pts.iter().step_by(step).any(|&p| polygon_contains(poly, p))
            })
        })
    }
}

/// At least the distance on the sphere from `a` to `b`: the length of a path along `a`'s
/// meridian to `b`'s latitude, then along `b`'s parallel (a geodesic is no longer than it).
fn step_over_m(a: LatLon, b: LatLon) -> f64 {
    let dlat = (b.lat - a.lat).abs();
    let mut dlon = (b.lon - a.lon).abs() % 360.0;
    if dlon > 180.0 {
        dlon = 360.0 - dlon;
    }
    (dlat + dlon * b.lat.to_radians().cos().abs()).to_radians() * EARTH_RADIUS_M
}

fn ring_contains(ring: &[LatLon], p: LatLon) -> bool {
    // Even-odd rule on lon/lat: fine at the scale of one area.
    let mut inside = false;
    for w in ring.windows(2) {
        let [a, b] = w else { continue };
        if (a.lat > p.lat) != (b.lat > p.lat) {
            let x = a.lon + (p.lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon);
            if p.lon < x {
                inside = !inside;
            }
        }
    }
    inside
}

fn polygon_contains(poly: &Polygon, p: LatLon) -> bool {
    ring_contains(&poly.outer, p) && !poly.inners.iter().any(|r| ring_contains(r, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_far_and_around() {
        let route = RouteLine::new(vec![LatLon::new(45.0, 7.0), LatLon::new(45.0, 7.1)]).unwrap();
        let c = Corridor::new(vec![route], 1000.0);
        let km = 1.0 / 111.195;
        assert!(c.contains(LatLon::new(45.0 + 0.9 * km, 7.05)));
        assert!(!c.contains(LatLon::new(45.0 + 1.1 * km, 7.05)));
        assert!(!c.touches_line(&[LatLon::new(46.0, 7.0), LatLon::new(46.0, 7.1)]));
        // A big square around the whole route: no vertex near, but the route is inside.
        let sq = vec![
            LatLon::new(44.0, 6.0),
            LatLon::new(44.0, 8.0),
            LatLon::new(46.0, 8.0),
            LatLon::new(46.0, 6.0),
            LatLon::new(44.0, 6.0),
        ];
        assert!(c.touches_area(&[Polygon {
            outer: sq,
            inners: vec![]
        }]));
    }

    #[test]
    fn a_step_is_never_shorter_than_the_great_circle() {
        let pairs = [
            (LatLon::new(45.0, 7.0), LatLon::new(45.3, 7.4)),
            (LatLon::new(-60.0, 179.9), LatLon::new(-59.0, -179.8)),
            (LatLon::new(0.0, 0.0), LatLon::new(0.0, 0.0)),
            (LatLon::new(80.0, -10.0), LatLon::new(70.0, 100.0)),
        ];
        for (a, b) in pairs {
            let gc = crate::core::geodesy::distance_m(a, b);
            assert!(step_over_m(a, b) >= gc - 1e-6, "{a:?} {b:?}");
            assert!(step_over_m(a, b) <= gc * 3.0 + 1e-6, "{a:?} {b:?}");
        }
    }

    use proptest::prelude::*;

    fn walk() -> impl Strategy<Value = Vec<LatLon>> {
        (
            44.0..47.0f64,
            6.0..10.0f64,
            prop::collection::vec((-0.05..0.05f64, -0.07..0.07f64), 1..60),
        )
            .prop_map(|(lat, lon, steps)| {
                let mut p = LatLon::new(lat, lon);
                let mut out = vec![p];
                for (dlat, dlon) in steps {
                    p = LatLon::new(p.lat + dlat, p.lon + dlon);
                    out.push(p);
                }
                out
            })
    }

    proptest! {
        /// Skipping vertices within a located one's clearance finds what testing every
        /// vertex finds.
        #[test]
        fn touches_line_agrees_with_testing_every_vertex(
            routes in prop::collection::vec(walk(), 1..4),
            lines in prop::collection::vec(walk(), 1..20),
            dist_km in 0.2..30.0f64,
        ) {
            let routes: Vec<RouteLine> = routes.into_iter().filter_map(|r| RouteLine::new(r).ok()).collect();
            prop_assume!(!routes.is_empty());
            let c = Corridor::new(routes, dist_km * 1000.0);
            for line in &lines {
                let every = line.iter().any(|&p| c.contains(p));
                prop_assert_eq!(c.touches_line(line), every);
            }
        }
    }
}
