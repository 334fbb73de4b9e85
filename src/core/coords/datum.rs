//! Datum shifts between WGS84 and the North American datums, through geocentric (ECEF)
//! coordinates. Heights are taken as zero on the source ellipsoid and dropped on the target;
//! that changes horizontal results by well under a millimetre.
//!
//! - NAD83(2011) <-> WGS84: WGS84 (G1762 and later) agrees with ITRF2008 at the centimetre level,
//!   so this is the 14-parameter time-dependent Helmert ITRF2008 -> NAD83(2011) published by
//!   NGS (Pearson & Snay 2013, EPSG:7807, coordinate-frame convention, reference epoch 1997.0),
//!   evaluated at [`DEFAULT_EPOCH_YEAR`]. The two datums differ by about 1-2 m in CONUS; the
//!   transform itself is good to a few centimetres. Plate motion changes the result by about
//!   2 cm per year of epoch.
//! - NAD27 <-> WGS84: a three-parameter geocentric translation from Clarke 1866, the CONUS
//!   mean shift of NIMA TR8350.2 (3rd ed., Table B.1: dX = -8 m, dY = 160 m, dZ = 176 m, each
//!   ±5 m). Expect errors up to about 5-10 m. NGS's NADCON grids would give about 0.15 m but
//!   are not available offline here. NAD27 <-> NAD83 goes through WGS84.

use crate::core::model::LatLon;
use crate::core::projection::Ellipsoid;

use super::Datum;

/// Epoch (decimal year) at which WGS84 positions are taken for the NAD83 <-> WGS84 shift.
pub const DEFAULT_EPOCH_YEAR: f64 = 2025.0;

/// Milliarcseconds to radians.
const MAS_TO_RAD: f64 = std::f64::consts::PI / (180.0 * 3600.0 * 1000.0);

/// A time-dependent 14-parameter Helmert transform, coordinate-frame rotation convention
/// (EPSG method 1056).
struct Helmert {
    t_m: [f64; 3],
    r_mas: [f64; 3],
    s_ppb: f64,
    dt_m_per_yr: [f64; 3],
    dr_mas_per_yr: [f64; 3],
    ds_ppb_per_yr: f64,
    epoch_year: f64,
}

/// ITRF2008 -> NAD83(2011), EPSG:7807 (NGS; Pearson & Snay, GPS Solutions 2013).
const ITRF2008_TO_NAD83_2011: Helmert = Helmert {
    t_m: [0.993_43, -1.903_31, -0.526_55],
    r_mas: [25.914_67, 9.426_45, 11.599_35],
    s_ppb: 1.715_04,
    dt_m_per_yr: [0.000_79, -0.000_60, -0.001_34],
    dr_mas_per_yr: [0.066_67, -0.757_44, -0.051_33],
    ds_ppb_per_yr: -0.102_01,
    epoch_year: 1997.0,
};

/// NAD27 (Clarke 1866) -> WGS84 geocentric translation, CONUS mean (TR8350.2), metres.
const NAD27_TO_WGS84_M: [f64; 3] = [-8.0, 160.0, 176.0];

impl Helmert {
    /// Translation (m), rotations (rad) and scale difference at `epoch_year`.
    fn at(&self, epoch_year: f64) -> ([f64; 3], [f64; 3], f64) {
        let dt = epoch_year - self.epoch_year;
        let t = axpy(self.t_m, self.dt_m_per_yr, dt);
        let r = axpy(self.r_mas, self.dr_mas_per_yr, dt).map(|mas| mas * MAS_TO_RAD);
        let s = (self.s_ppb + self.ds_ppb_per_yr * dt) * 1e-9;
        (t, r, s)
    }

    fn forward(&self, v: [f64; 3], epoch_year: f64) -> [f64; 3] {
        let ([tx, ty, tz], [rx, ry, rz], s) = self.at(epoch_year);
        let [x, y, z] = v;
        let m = 1.0 + s;
        [
            tx + m * (x + rz * y - ry * z),
            ty + m * (-rz * x + y + rx * z),
            tz + m * (ry * x - rx * y + z),
        ]
    }

    /// Inverse of [`forward`](Self::forward); the rotation matrix is orthogonal to second order
    /// in the (1e-7 rad) angles, so its transpose is exact to well under a millimetre.
    fn inverse(&self, v: [f64; 3], epoch_year: f64) -> [f64; 3] {
        let ([tx, ty, tz], [rx, ry, rz], s) = self.at(epoch_year);
        let m = 1.0 + s;
        let [x, y, z] = axpy(v, [tx, ty, tz], -1.0).map(|c| c / m);
        [
            x - rz * y + ry * z,
            rz * x + y - rx * z,
            -ry * x + rx * y + z,
        ]
    }
}

/// Geodetic position (height 0) on `ell` to geocentric X, Y, Z in metres.
pub(crate) fn geocentric(p: LatLon, ell: &Ellipsoid) -> [f64; 3] {
    let (sin_lat, cos_lat) = p.lat.to_radians().sin_cos();
    let (sin_lon, cos_lon) = p.lon.to_radians().sin_cos();
    let e2 = ell.e2();
    let n = ell.a_m / (1.0 - e2 * sin_lat * sin_lat).sqrt();
    [
        n * cos_lat * cos_lon,
        n * cos_lat * sin_lon,
        n * (1.0 - e2) * sin_lat,
    ]
}

/// Geocentric X, Y, Z in metres to a geodetic position on `ell` (height dropped).
pub(crate) fn geodetic(v: [f64; 3], ell: &Ellipsoid) -> LatLon {
    let [x, y, z] = v;
    let e2 = ell.e2();
    let p = x.hypot(y);
    let lon = y.atan2(x);
    // Fixed-point iteration on latitude; for points near the surface it converges to 1e-15 rad
    // in a handful of steps.
    let mut lat = z.atan2(p * (1.0 - e2));
    for _ in 0..10 {
        let sin_lat = lat.sin();
        let n = ell.a_m / (1.0 - e2 * sin_lat * sin_lat).sqrt();
        let next = (z + e2 * n * sin_lat).atan2(p);
        let done = (next - lat).abs() < 1e-15;
        lat = next;
        if done {
            break;
        }
    }
    LatLon::new(lat.to_degrees(), lon.to_degrees())
}

/// `a + k b`, component-wise.
fn axpy(a: [f64; 3], b: [f64; 3], k: f64) -> [f64; 3] {
    let ([a0, a1, a2], [b0, b1, b2]) = (a, b);
    [a0 + k * b0, a1 + k * b1, a2 + k * b2]
}

/// A position written in `datum` to WGS84, with WGS84 taken at `epoch_year`.
pub fn to_wgs84_at(p: LatLon, datum: Datum, epoch_year: f64) -> LatLon {
    match datum {
        Datum::Wgs84 => p,
        Datum::Nad83 => {
            let v = geocentric(p, &Ellipsoid::GRS80);
            geodetic(
                ITRF2008_TO_NAD83_2011.inverse(v, epoch_year),
                &Ellipsoid::WGS84,
            )
        }
        Datum::Nad27 => {
            let v = geocentric(p, &Ellipsoid::CLARKE_1866);
            geodetic(axpy(v, NAD27_TO_WGS84_M, 1.0), &Ellipsoid::WGS84)
        }
    }
}

/// A WGS84 position (at `epoch_year`) written in `datum`.
pub fn from_wgs84_at(p: LatLon, datum: Datum, epoch_year: f64) -> LatLon {
    match datum {
        Datum::Wgs84 => p,
        Datum::Nad83 => {
            let v = geocentric(p, &Ellipsoid::WGS84);
            geodetic(
                ITRF2008_TO_NAD83_2011.forward(v, epoch_year),
                &Ellipsoid::GRS80,
            )
        }
        Datum::Nad27 => {
            let v = geocentric(p, &Ellipsoid::WGS84);
            geodetic(axpy(v, NAD27_TO_WGS84_M, -1.0), &Ellipsoid::CLARKE_1866)
        }
    }
}

/// A position written in `datum` to WGS84 (at [`DEFAULT_EPOCH_YEAR`]).
///
/// Method and accuracy:
/// - NAD83: the NGS 14-parameter Helmert ITRF2008 -> NAD83(2011) (EPSG:7807), taking WGS84 as
///   ITRF2008; good to centimetres (the datums differ by 1-2 m in CONUS).
/// - NAD27: Clarke 1866 geocentric translation by the TR8350.2 CONUS mean shift (-8, 160,
///   176 m, ±5 m per axis), so expect 5-10 m errors; NADCON grids (not available offline)
///   would give about 0.15 m.
pub fn to_wgs84(p: LatLon, datum: Datum) -> LatLon {
    to_wgs84_at(p, datum, DEFAULT_EPOCH_YEAR)
}

/// A WGS84 position written in `datum` (WGS84 taken at [`DEFAULT_EPOCH_YEAR`]).
pub fn from_wgs84(p: LatLon, datum: Datum) -> LatLon {
    from_wgs84_at(p, datum, DEFAULT_EPOCH_YEAR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::geodesy::distance_m;
    use proptest::prelude::*;

    fn dms(d: f64, m: f64, s: f64) -> f64 {
        d + m / 60.0 + s / 3600.0
    }

    fn check_near(got: LatLon, want: LatLon, tol_m: f64) {
        let d = distance_m(got, want);
        assert!(
            d <= tol_m,
            "{got:?} is {d:.3} m from {want:?} (tolerance {tol_m} m)"
        );
    }

    // Meades Ranch, the NAD27 origin. NGS data: NAD27 39°13'26.686"N 98°32'30.506"W; NAD83
    // 39°13'26.71218"N 98°32'31.74604"W. The TR8350.2 mean shift is good to ±5 m per axis,
    // so the check allows 10 m (NADCON would give ~0.15 m).
    #[test]
    fn meades_ranch_nad27_to_nad83_within_the_mean_shift_accuracy() {
        let nad27 = LatLon::new(dms(39.0, 13.0, 26.686), -dms(98.0, 32.0, 30.506));
        let nad83 = LatLon::new(dms(39.0, 13.0, 26.712_18), -dms(98.0, 32.0, 31.746_04));
        let wgs = to_wgs84(nad27, Datum::Nad27);
        check_near(from_wgs84(wgs, Datum::Nad83), nad83, 10.0);
        // And the shift itself is the well-known ~30 m westward one.
        assert!(distance_m(nad27, nad83) > 25.0);
    }

    // Reference values computed with PROJ 9.1.1 `cs2cs +proj=longlat +ellps=clrk66
    // +towgs84=-8,160,176 +to +proj=longlat +datum=WGS84 -f %.9f` (the same method, so they
    // agree to well under a millimetre): Bend, Oregon.
    #[test]
    fn nad27_matches_proj_three_parameter_shift() {
        let got = to_wgs84(LatLon::new(44.0582, -121.3153), Datum::Nad27);
        check_near(got, LatLon::new(44.058_027_948, -121.316_423_133), 0.001);
    }

    // Reference values computed with PROJ 9.1.1 `cct` running EPSG:7807 (ITRF2008 ->
    // NAD83(2011), coordinate frame) at epoch 2025.0 on the GRS80/WGS84 ellipsoids.
    #[test]
    fn nad83_matches_proj_helmert_epsg_7807() {
        let got = from_wgs84(LatLon::new(44.0582, -121.3153), Datum::Nad83);
        check_near(got, LatLon::new(44.058_197_686, -121.315_280_708), 0.001);
    }

    #[test]
    fn nad83_and_wgs84_differ_by_one_to_two_metres_in_conus() {
        for p in [
            LatLon::new(44.0582, -121.3153),
            LatLon::new(35.0, -80.0),
            LatLon::new(47.0, -100.0),
        ] {
            let d = distance_m(p, from_wgs84(p, Datum::Nad83));
            assert!((0.5..2.5).contains(&d), "{p:?}: {d} m");
        }
    }

    #[test]
    fn wgs84_is_the_identity() {
        let p = LatLon::new(44.0582, -121.3153);
        assert_eq!(to_wgs84(p, Datum::Wgs84), p);
        assert_eq!(from_wgs84(p, Datum::Wgs84), p);
    }

    #[test]
    fn geocentric_round_trip_at_the_pole_and_equator() {
        for p in [
            LatLon::new(90.0, 0.0),
            LatLon::new(0.0, 0.0),
            LatLon::new(-45.0, 170.0),
        ] {
            let q = geodetic(geocentric(p, &Ellipsoid::WGS84), &Ellipsoid::WGS84);
            assert!(
                (q.lat - p.lat).abs() < 1e-12 && (q.lon - p.lon).abs() < 1e-12,
                "{q:?}"
            );
        }
    }

    proptest! {
        // to_wgs84 undoes from_wgs84 to 1 mm for every datum.
        #[test]
        fn datum_round_trip(lat in 20.0f64..60.0, lon in -130.0f64..-60.0, which in 0usize..3) {
            let datum = [Datum::Wgs84, Datum::Nad83, Datum::Nad27][which];
            let p = LatLon::new(lat, lon);
            let q = to_wgs84(from_wgs84(p, datum), datum);
            prop_assert!(distance_m(p, q) < 0.001, "{p:?} -> {q:?}");
        }
    }
}
