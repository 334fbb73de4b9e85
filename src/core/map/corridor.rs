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
        if !inside(&self.bbox, p) {
            return false;
        }
        self.routes.iter().any(|(r, b)| {
            inside(b, p)
                && r.locate(p, None)
                    .is_some_and(|l| l.off_route_m <= self.dist_m)
        })
    }

    /// Whether any point of a line is within the corridor.
    pub fn touches_line(&self, points: &[LatLon]) -> bool {
        points.iter().any(|&p| self.contains(p))
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
}
