//! Transverse Mercator on the WGS84 ellipsoid: the conformal projection of UTM and of atlas
//! pages (true scale along the central meridian, north up). Pure math.
//!
//! NOTE: provisional spherical implementation; the coordinates issue replaces the body with
//! the ellipsoidal Krüger series, keeping this API.

use super::model::LatLon;

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// A transverse Mercator projection: central meridian, scale factor, false easting/northing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransverseMercator {
    /// Central meridian, degrees.
    pub lon0_deg: f64,
    /// Scale factor on the central meridian (0.9996 for UTM, 1.0 for atlas pages).
    pub k0: f64,
    /// Added to x, metres (500 000 for UTM).
    pub false_easting_m: f64,
    /// Added to y, metres (10 000 000 for UTM south).
    pub false_northing_m: f64,
}

impl TransverseMercator {
    /// A local projection with true scale on `lon0_deg` and no false origin.
    pub fn local(lon0_deg: f64) -> Self {
        Self {
            lon0_deg,
            k0: 1.0,
            false_easting_m: 0.0,
            false_northing_m: 0.0,
        }
    }

    /// Projects a WGS84 position to (easting, northing) in metres.
    pub fn forward(&self, p: LatLon) -> (f64, f64) {
        let lat = p.lat.to_radians();
        let dlon = wrap_deg(p.lon - self.lon0_deg).to_radians();
        let b = lat.cos() * dlon.sin();
        let x = 0.5 * WGS84_A * self.k0 * ((1.0 + b) / (1.0 - b)).ln();
        let y = WGS84_A * self.k0 * lat.tan().atan2(dlon.cos());
        (x + self.false_easting_m, y + self.false_northing_m)
    }

    /// Inverse of [`forward`](Self::forward).
    pub fn inverse(&self, x_m: f64, y_m: f64) -> LatLon {
        let x = (x_m - self.false_easting_m) / (WGS84_A * self.k0);
        let y = (y_m - self.false_northing_m) / (WGS84_A * self.k0);
        let lat = (y.sin() / x.cosh()).asin();
        let lon = self.lon0_deg + x.sinh().atan2(y.cos()).to_degrees();
        LatLon::new(lat.to_degrees(), wrap_deg(lon))
    }
}

/// Wraps a longitude difference or value into `-180..180`.
pub fn wrap_deg(lon: f64) -> f64 {
    (lon + 180.0).rem_euclid(360.0) - 180.0
}
