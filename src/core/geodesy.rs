//! Great-circle distance and bearing on the IUGG mean-radius sphere (metres, degrees true).
//!
//! The sphere is good to about 0.5 % against the ellipsoid, which is enough for "nearest fuel"
//! and along-route distances; coordinate conversion (UTM, datums) uses the ellipsoid instead.

use geo::{Bearing as _, Distance as _, Haversine, Point};

use super::model::LatLon;

/// Mean Earth radius (IUGG), metres; the radius `geo::Haversine` uses.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

fn point(p: LatLon) -> Point<f64> {
    Point::new(p.lon, p.lat)
}

/// Great-circle distance between two positions, in metres.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    Haversine.distance(point(a), point(b))
}

/// Initial bearing from `a` towards `b`, degrees true in `0..360`.
pub fn bearing_deg(a: LatLon, b: LatLon) -> f64 {
    Haversine.bearing(point(a), point(b)).rem_euclid(360.0)
}

/// Length of a polyline, metres.
pub fn path_length_m(points: impl IntoIterator<Item = LatLon>) -> f64 {
    let mut it = points.into_iter();
    let Some(mut prev) = it.next() else {
        return 0.0;
    };
    let mut total = 0.0;
    for p in it {
        total += distance_m(prev, p);
        prev = p;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = distance_m(LatLon::new(0.0, 0.0), LatLon::new(1.0, 0.0));
        assert!((d - 111_195.0).abs() < 5.0, "{d}");
    }

    #[test]
    fn distance_across_the_antimeridian_is_short() {
        let d = distance_m(LatLon::new(0.0, 179.9), LatLon::new(0.0, -179.9));
        assert!((d - 22_239.0).abs() < 5.0, "{d}");
    }

    #[test]
    fn bearing_east_is_90() {
        let b = bearing_deg(LatLon::new(0.0, 0.0), LatLon::new(0.0, 1.0));
        assert!((b - 90.0).abs() < 1e-9, "{b}");
        let w = bearing_deg(LatLon::new(0.0, 1.0), LatLon::new(0.0, 0.0));
        assert!((w - 270.0).abs() < 1e-9, "{w}");
    }
}
