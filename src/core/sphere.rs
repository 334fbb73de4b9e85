//! Positions as 3-D unit vectors on the mean-radius sphere, for spatial indexes.
//!
//! On the unit sphere the straight-line (chord) distance between two points grows strictly with
//! their great-circle distance, and nothing wraps: the antimeridian and the poles are ordinary
//! places. So an R-tree over unit vectors answers "nearest" and "within distance" queries
//! correctly everywhere, which a tree over raw lat/lon does not.
//! Not for reporting distances: those come from [`super::geodesy`].

use super::geodesy::EARTH_RADIUS_M;
use super::model::LatLon;

/// A point on the unit sphere (x towards 0°N 0°E, z towards the North Pole).
pub type UnitVec = [f64; 3];

/// The unit vector of a position.
pub fn unit_vec(p: LatLon) -> UnitVec {
    let (lat, lon) = (p.lat.to_radians(), p.lon.to_radians());
    let (sin_lat, cos_lat) = lat.sin_cos();
    let (sin_lon, cos_lon) = lon.sin_cos();
    [cos_lat * cos_lon, cos_lat * sin_lon, sin_lat]
}

/// The position of a (not necessarily normalised, non-zero) vector.
pub fn lat_lon(v: UnitVec) -> LatLon {
    let [x, y, z] = v;
    let lat = z.atan2(x.hypot(y)).to_degrees();
    // At the poles the longitude is arbitrary; atan2(0, 0) gives 0.
    let lon = y.atan2(x).to_degrees();
    LatLon::new(lat, lon)
}

pub(crate) fn dot(a: UnitVec, b: UnitVec) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: UnitVec, b: UnitVec) -> UnitVec {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(crate) fn norm(a: UnitVec) -> f64 {
    dot(a, a).sqrt()
}

pub(crate) fn scale(a: UnitVec, s: f64) -> UnitVec {
    [a[0] * s, a[1] * s, a[2] * s]
}

pub(crate) fn sub(a: UnitVec, b: UnitVec) -> UnitVec {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// Squared straight-line distance between two vectors.
pub fn chord2(a: UnitVec, b: UnitVec) -> f64 {
    let d = sub(a, b);
    dot(d, d)
}

/// Angle between two unit vectors, radians in `0..=π`; accurate for tiny and large angles
/// (atan2 of sine and cosine rather than acos).
pub fn angle_rad(a: UnitVec, b: UnitVec) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// The chord length on the unit sphere for a great-circle distance in metres.
pub fn chord_from_m(dist_m: f64) -> f64 {
    let half = (dist_m / EARTH_RADIUS_M / 2.0).min(std::f64::consts::FRAC_PI_2);
    2.0 * half.sin()
}

/// The great-circle distance in metres for a chord length on the unit sphere.
pub fn m_from_chord(chord: f64) -> f64 {
    2.0 * EARTH_RADIUS_M * (chord / 2.0).clamp(0.0, 1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::geodesy::distance_m;

    #[test]
    fn chord_round_trips_through_metres() {
        for d in [0.0, 1.0, 1000.0, 2.0e6, 1.9e7] {
            let back = m_from_chord(chord_from_m(d));
            assert!((back - d).abs() < 1e-6 * d.max(1.0), "{d} -> {back}");
        }
    }

    #[test]
    fn chord_matches_haversine_across_the_antimeridian() {
        let (a, b) = (LatLon::new(10.0, 179.95), LatLon::new(10.2, -179.9));
        let via_chord = m_from_chord(chord2(unit_vec(a), unit_vec(b)).sqrt());
        assert!((via_chord - distance_m(a, b)).abs() < 1e-6, "{via_chord}");
    }

    #[test]
    fn lat_lon_inverts_unit_vec() {
        let p = LatLon::new(-33.5, 151.25);
        let q = lat_lon(unit_vec(p));
        assert!(
            (q.lat - p.lat).abs() < 1e-12 && (q.lon - p.lon).abs() < 1e-12,
            "{q:?}"
        );
    }
}
