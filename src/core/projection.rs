//! Transverse Mercator on an ellipsoid (WGS84 by default): the conformal projection of UTM and
//! of atlas pages (true scale along the central meridian, north up). Pure math.
//!
//! The series are Krüger's, to sixth order in the third flattening `n`, as given by Karney
//! (2011), "Transverse Mercator with an accuracy of a few nanometres", J. Geodesy 85 (eq. 35,
//! 36), and used by PROJ's default `tmerc` (Poder/Engsager). Within 3900 km of the central
//! meridian the error is below 5 nm; the tests check PROJ's published values to 0.1 mm.
//!
//! Not for: choosing UTM zones or writing grid references (see [`crate::core::coords`]), nor
//! datum shifts: every position passed in is on the ellipsoid the projection is built for.

use super::model::LatLon;

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// A reference ellipsoid: semi-major axis and flattening.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ellipsoid {
    /// Semi-major (equatorial) axis, metres.
    pub a_m: f64,
    /// Flattening `(a - b) / a`.
    pub f: f64,
}

impl Ellipsoid {
    /// WGS84, the ellipsoid of GPS and GPX.
    pub const WGS84: Ellipsoid = Ellipsoid {
        a_m: WGS84_A,
        f: WGS84_F,
    };
    /// GRS80, the ellipsoid of NAD83 (differs from WGS84 by 0.1 mm in the semi-minor axis).
    pub const GRS80: Ellipsoid = Ellipsoid {
        a_m: 6_378_137.0,
        f: 1.0 / 298.257_222_101,
    };
    /// Clarke 1866 (a = 6378206.4 m, b = 6356583.8 m), the ellipsoid of NAD27.
    pub const CLARKE_1866: Ellipsoid = Ellipsoid {
        a_m: 6_378_206.4,
        f: (6_378_206.4 - 6_356_583.8) / 6_378_206.4,
    };

    /// First eccentricity squared, `f (2 - f)`.
    pub const fn e2(&self) -> f64 {
        self.f * (2.0 - self.f)
    }

    /// Krüger series coefficients for this ellipsoid.
    const fn series(&self) -> KrugerSeries {
        let n = self.f / (2.0 - self.f);
        let n2 = n * n;
        let n3 = n2 * n;
        let n4 = n3 * n;
        let n5 = n4 * n;
        let n6 = n5 * n;
        // Rectifying radius A (Karney 2011, eq. 14).
        let rect_a_m = self.a_m / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
        // Karney 2011, eq. 35: conformal -> rectifying (forward).
        let alpha = [
            n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0 - 127.0 * n5 / 288.0
                + 7891.0 * n6 / 37800.0,
            13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0 + 281.0 * n5 / 630.0
                - 1_983_433.0 * n6 / 1_935_360.0,
            61.0 * n3 / 240.0 - 103.0 * n4 / 140.0
                + 15061.0 * n5 / 26880.0
                + 167_603.0 * n6 / 181_440.0,
            49561.0 * n4 / 161_280.0 - 179.0 * n5 / 168.0 + 6_601_661.0 * n6 / 7_257_600.0,
            34729.0 * n5 / 80640.0 - 3_418_889.0 * n6 / 1_995_840.0,
            212_378_941.0 * n6 / 319_334_400.0,
        ];
        // Karney 2011, eq. 36: rectifying -> conformal (inverse).
        let beta = [
            n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0
                + 96199.0 * n6 / 604_800.0,
            n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0
                - 1_118_711.0 * n6 / 3_870_720.0,
            17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
            4397.0 * n4 / 161_280.0 - 11.0 * n5 / 504.0 - 830_251.0 * n6 / 7_257_600.0,
            4583.0 * n5 / 161_280.0 - 108_847.0 * n6 / 3_991_680.0,
            20_648_693.0 * n6 / 638_668_800.0,
        ];
        KrugerSeries {
            a_m: self.a_m,
            e: sqrt_const(self.e2()),
            rect_a_m,
            alpha,
            beta,
        }
    }
}

/// Square root usable in a `const fn` (Newton's method; exact to the last bit or two for the
/// eccentricities used here).
const fn sqrt_const(x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let mut g = if x < 1.0 { 1.0 } else { x };
    let mut i = 0;
    while i < 64 {
        g = 0.5 * (g + x / g);
        i += 1;
    }
    g
}

/// Precomputed series for one ellipsoid.
#[derive(Debug, Clone, Copy)]
struct KrugerSeries {
    a_m: f64,
    e: f64,
    rect_a_m: f64,
    alpha: [f64; 6],
    beta: [f64; 6],
}

const WGS84_SERIES: KrugerSeries = Ellipsoid::WGS84.series();
const GRS80_SERIES: KrugerSeries = Ellipsoid::GRS80.series();
const CLARKE_1866_SERIES: KrugerSeries = Ellipsoid::CLARKE_1866.series();

fn series_for(ell: &Ellipsoid) -> KrugerSeries {
    // The common ellipsoids are precomputed; others are cheap to compute on the fly.
    if *ell == Ellipsoid::WGS84 {
        WGS84_SERIES
    } else if *ell == Ellipsoid::GRS80 {
        GRS80_SERIES
    } else if *ell == Ellipsoid::CLARKE_1866 {
        CLARKE_1866_SERIES
    } else {
        ell.series()
    }
}

/// Conformal latitude tangent τ' from geodetic tangent τ (Karney 2011, eq. 7-9).
fn tau_prime(tau: f64, e: f64) -> f64 {
    let s1 = tau.hypot(1.0);
    let sigma = (e * (e * tau / s1).atanh()).sinh();
    tau * sigma.hypot(1.0) - sigma * s1
}

/// A point projected on the Gauss-Krüger plane before scaling and false origin, plus the
/// derivative terms used for convergence and scale.
struct Projected {
    x_m: f64,
    y_m: f64,
    convergence_rad: f64,
    scale: f64,
}

fn project(s: &KrugerSeries, lat_deg: f64, dlon_deg: f64) -> Projected {
    let phi = lat_deg.to_radians();
    let lam = dlon_deg.to_radians();
    let (sin_lam, cos_lam) = lam.sin_cos();
    // tan(±90°) is huge but finite in f64; clamp so the conformal latitude stays finite.
    let tau = if phi.abs() >= std::f64::consts::FRAC_PI_2 {
        phi.signum() * 1e16
    } else {
        phi.tan()
    };
    let taup = tau_prime(tau, s.e);
    let xip = taup.atan2(cos_lam);
    let etap = (sin_lam / taup.hypot(cos_lam)).asinh();
    let mut xi = xip;
    let mut eta = etap;
    let mut pp = 1.0;
    let mut qp = 0.0;
    for (j, a) in s.alpha.iter().enumerate() {
        let k = 2.0 * (j as f64 + 1.0);
        let (sin_x, cos_x) = (k * xip).sin_cos();
        let (sinh_e, cosh_e) = ((k * etap).sinh(), (k * etap).cosh());
        xi += a * sin_x * cosh_e;
        eta += a * cos_x * sinh_e;
        pp += k * a * cos_x * cosh_e;
        qp += k * a * sin_x * sinh_e;
    }
    // Convergence and scale (Karney 2011, eq. 23-28).
    // tan γ' = τ' tan λ / sqrt(1 + τ'^2), written with atan2 to stay finite at λ = 90°.
    let gamma_p = (taup * sin_lam).atan2(taup.hypot(1.0) * cos_lam);
    let gamma_pp = qp.atan2(pp);
    let sin_phi = phi.sin();
    let k_p = (1.0 - s.e * s.e * sin_phi * sin_phi).sqrt() * tau.hypot(1.0) / taup.hypot(cos_lam);
    let k_pp = s.rect_a_m / s.a_m * pp.hypot(qp);
    Projected {
        x_m: s.rect_a_m * eta,
        y_m: s.rect_a_m * xi,
        convergence_rad: gamma_p + gamma_pp,
        scale: k_p * k_pp,
    }
}

/// Inverse of [`project`] on the unscaled plane: returns (latitude, longitude offset), degrees.
fn unproject(s: &KrugerSeries, x_m: f64, y_m: f64) -> (f64, f64) {
    let xi = y_m / s.rect_a_m;
    let eta = x_m / s.rect_a_m;
    let mut xip = xi;
    let mut etap = eta;
    for (j, b) in s.beta.iter().enumerate() {
        let k = 2.0 * (j as f64 + 1.0);
        xip -= b * (k * xi).sin() * (k * eta).cosh();
        etap -= b * (k * xi).cos() * (k * eta).sinh();
    }
    let sinh_etap = etap.sinh();
    let (sin_xip, cos_xip) = xip.sin_cos();
    let taup = sin_xip / sinh_etap.hypot(cos_xip);
    // Newton's method for τ from τ' (Karney 2011, eq. 19-21); converges in 2-3 steps.
    let e2 = s.e * s.e;
    let mut tau = taup;
    for _ in 0..8 {
        let taui_p = tau_prime(tau, s.e);
        let dtau = (taup - taui_p) / taui_p.hypot(1.0) * (1.0 + (1.0 - e2) * tau * tau)
            / ((1.0 - e2) * tau.hypot(1.0));
        tau += dtau;
        if dtau.is_nan() || dtau.abs() <= 1e-14 * tau.abs().max(1.0) {
            break;
        }
    }
    let lat = tau.atan().to_degrees();
    let dlon = sinh_etap.atan2(cos_xip).to_degrees();
    (lat, dlon)
}

/// A transverse Mercator projection: central meridian, scale factor, false easting/northing.
/// Positions are on WGS84 unless an `*_on` method names another ellipsoid.
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

    /// The UTM projection of `zone` (1..=60; other values are wrapped into it) in the northern
    /// (`north`) or southern hemisphere: k0 = 0.9996, false easting 500 km, false northing
    /// 10 000 km in the south.
    pub fn utm(zone: u8, north: bool) -> Self {
        let zone = (i32::from(zone).max(1) - 1).rem_euclid(60) + 1;
        Self {
            lon0_deg: f64::from(zone * 6 - 183),
            k0: 0.9996,
            false_easting_m: 500_000.0,
            false_northing_m: if north { 0.0 } else { 10_000_000.0 },
        }
    }

    /// Projects a WGS84 position to (easting, northing) in metres.
    pub fn forward(&self, p: LatLon) -> (f64, f64) {
        self.forward_on(p, &Ellipsoid::WGS84)
    }

    /// Inverse of [`forward`](Self::forward).
    pub fn inverse(&self, x_m: f64, y_m: f64) -> LatLon {
        self.inverse_on(x_m, y_m, &Ellipsoid::WGS84)
    }

    /// Projects a position on `ell` to (easting, northing) in metres.
    pub fn forward_on(&self, p: LatLon, ell: &Ellipsoid) -> (f64, f64) {
        let r = project(&series_for(ell), p.lat, wrap_deg(p.lon - self.lon0_deg));
        (
            self.k0 * r.x_m + self.false_easting_m,
            self.k0 * r.y_m + self.false_northing_m,
        )
    }

    /// Inverse of [`forward_on`](Self::forward_on).
    pub fn inverse_on(&self, x_m: f64, y_m: f64, ell: &Ellipsoid) -> LatLon {
        let x = (x_m - self.false_easting_m) / self.k0;
        let y = (y_m - self.false_northing_m) / self.k0;
        let (lat, dlon) = unproject(&series_for(ell), x, y);
        LatLon::new(lat, wrap_deg(self.lon0_deg + dlon))
    }

    /// Point scale factor at a WGS84 position (k0 on the central meridian, growing eastward
    /// and westward: about 1.0010 at 3° from the UTM meridian at the equator).
    pub fn scale_factor(&self, p: LatLon) -> f64 {
        self.k0 * project(&WGS84_SERIES, p.lat, wrap_deg(p.lon - self.lon0_deg)).scale
    }

    /// Meridian convergence at a WGS84 position, degrees: the angle from grid north to true
    /// north, measured clockwise (positive east of the central meridian in the north).
    pub fn convergence_deg(&self, p: LatLon) -> f64 {
        project(&WGS84_SERIES, p.lat, wrap_deg(p.lon - self.lon0_deg))
            .convergence_rad
            .to_degrees()
    }
}

/// Wraps a longitude difference or value into `-180..180`.
pub fn wrap_deg(lon: f64) -> f64 {
    (lon + 180.0).rem_euclid(360.0) - 180.0
}

/// Forward transverse Mercator (WGS84, k0 = 1) by Snyder's series (USGS PP 1395, eq. 8-9,
/// 8-10): within a few degrees of the central meridian it agrees with
/// [`TransverseMercator::forward`] (Krüger series) to millimetres, at a tenth of the cost,
/// which matters when a million route points are projected for every page. Falls back to the
/// Krüger series far from the meridian or near the poles.
pub fn fast_forward(tm: &TransverseMercator, p: LatLon) -> (f64, f64) {
    let dlon = wrap_deg(p.lon - tm.lon0_deg);
    if dlon.abs() > 4.0 || p.lat.abs() > 84.0 || tm.k0 != 1.0 {
        return tm.forward(p);
    }
    series_forward(tm, p)
}

/// Snyder's series of [`fast_forward`] with no fallback: drifts from the exact projection
/// away from the central meridian (metres at 10° off it, km at 30°), which a far-out screen
/// view (kilometres per millimetre) cannot show. Exact series near the poles and for k0 != 1.
pub fn series_forward(tm: &TransverseMercator, p: LatLon) -> (f64, f64) {
    const A: f64 = WGS84_A;
    const F: f64 = WGS84_F;
    const E2: f64 = F * (2.0 - F);
    const E4: f64 = E2 * E2;
    const E6: f64 = E4 * E2;
    const EP2: f64 = E2 / (1.0 - E2);
    if p.lat.abs() > 84.0 || tm.k0 != 1.0 {
        return tm.forward(p);
    }
    let dlon = wrap_deg(p.lon - tm.lon0_deg);
    let phi = p.lat.to_radians();
    let (s, c) = phi.sin_cos();
    let (s2, c2) = (2.0 * s * c, c * c - s * s);
    let (s4, c4) = (2.0 * s2 * c2, c2 * c2 - s2 * s2);
    let s6 = s4 * c2 + c4 * s2;
    let m = A
        * ((1.0 - E2 / 4.0 - 3.0 * E4 / 64.0 - 5.0 * E6 / 256.0) * phi
            - (3.0 * E2 / 8.0 + 3.0 * E4 / 32.0 + 45.0 * E6 / 1024.0) * s2
            + (15.0 * E4 / 256.0 + 45.0 * E6 / 1024.0) * s4
            - (35.0 * E6 / 3072.0) * s6);
    let n = A / (1.0 - E2 * s * s).sqrt();
    let t = (s / c) * (s / c);
    let cc = EP2 * c * c;
    let a = dlon.to_radians() * c;
    let (a2, a3) = (a * a, a * a * a);
    let x = n
        * (a + (1.0 - t + cc) * a3 / 6.0
            + (5.0 - 18.0 * t + t * t + 72.0 * cc - 58.0 * EP2) * a3 * a2 / 120.0);
    let y = m + n
        * (s / c)
        * (a2 / 2.0
            + (5.0 - t + 9.0 * cc + 4.0 * cc * cc) * a2 * a2 / 24.0
            + (61.0 - 58.0 * t + t * t + 600.0 * cc - 330.0 * EP2) * a3 * a3 / 720.0);
    (x + tm.false_easting_m, y + tm.false_northing_m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_plain_series_drifts_slowly_away_from_the_meridian() {
        let tm = TransverseMercator::local(-120.0);
        for (dlon, within_m) in [(3.0, 0.05), (10.0, 20.0), (20.0, 500.0)] {
            for lat in [0.0, 30.0, 45.0, 60.0] {
                let p = LatLon::new(lat, -120.0 + dlon);
                let (x, y) = series_forward(&tm, p);
                let (ex, ey) = tm.forward(p);
                let err = (x - ex).hypot(y - ey);
                assert!(err < within_m, "{dlon}° off at {lat}°: {err} m");
            }
        }
    }

    fn check_fwd(tm: TransverseMercator, ell: &Ellipsoid, lat: f64, lon: f64, e: f64, n: f64) {
        let (x, y) = tm.forward_on(LatLon::new(lat, lon), ell);
        assert!(
            (x - e).abs() < 1e-4,
            "easting {x} != {e} (diff {} m)",
            x - e
        );
        assert!(
            (y - n).abs() < 1e-4,
            "northing {y} != {n} (diff {} m)",
            y - n
        );
    }

    // PROJ test/gie/builtins.gie, `+proj=etmerc +ellps=GRS80` (the exact Poder/Engsager
    // tmerc): (2°E, 1°N) -> 222650.796797586, 110642.229411933, tolerance 0.1 mm.
    #[test]
    fn matches_proj_tmerc_grs80() {
        let tm = TransverseMercator::local(0.0);
        check_fwd(
            tm,
            &Ellipsoid::GRS80,
            1.0,
            2.0,
            222_650.796_797_586,
            110_642.229_411_933,
        );
        check_fwd(
            tm,
            &Ellipsoid::GRS80,
            -1.0,
            2.0,
            222_650.796_797_586,
            -110_642.229_411_933,
        );
        check_fwd(
            tm,
            &Ellipsoid::GRS80,
            1.0,
            -2.0,
            -222_650.796_797_586,
            110_642.229_411_933,
        );
    }

    // PROJ builtins.gie inverse for the same projection: (200 m, 100 m) -> 0.001796631°E,
    // 0.000904369°N.
    #[test]
    fn matches_proj_tmerc_grs80_inverse() {
        let p = TransverseMercator::local(0.0).inverse_on(200.0, 100.0, &Ellipsoid::GRS80);
        assert!((p.lon - 0.001_796_631).abs() < 1e-9, "{p:?}");
        assert!((p.lat - 0.000_904_369).abs() < 1e-9, "{p:?}");
    }

    // PROJ builtins.gie, `+proj=utm +zone=30 +ellps=GRS80`: (2°E, 1°N), 5° off the central
    // meridian -> 1057002.405491298, 110955.141175949.
    #[test]
    fn matches_proj_utm_zone_30_far_from_meridian() {
        let tm = TransverseMercator::utm(30, true);
        check_fwd(
            tm,
            &Ellipsoid::GRS80,
            1.0,
            2.0,
            1_057_002.405_491_298,
            110_955.141_175_949,
        );
    }

    // PROJ test/gie/tmerczoned.gie (EPSG:4326 -> zoned UTM, WGS84, tolerance 0.1 mm): zone
    // boundaries at the equator and at 80°N.
    #[test]
    fn matches_proj_utm_zone_boundaries_wgs84() {
        let tm = TransverseMercator::utm(10, true);
        check_fwd(tm, &Ellipsoid::WGS84, 0.0, -126.0, 166_021.443_1, 0.0);
        check_fwd(
            tm,
            &Ellipsoid::WGS84,
            80.0,
            -126.0,
            441_867.784_9,
            8_883_084.955_9,
        );
        check_fwd(
            tm,
            &Ellipsoid::WGS84,
            0.0,
            -120.000_000_001,
            833_978.556_8,
            0.0,
        );
        check_fwd(
            tm,
            &Ellipsoid::WGS84,
            80.0,
            -120.000_000_001,
            558_132.215_1,
            8_883_084.955_9,
        );
    }

    // chrisveness/geodesy test/utm-mgrs-tests.js (Krüger n^6, WGS84): Bergen 60.39135°N
    // 5.3249°E -> 32 N 297508.41 6700645.30, convergence -3.196281440°, scale 1.000102473211.
    #[test]
    fn bergen_convergence_and_scale() {
        let tm = TransverseMercator::utm(32, true);
        let p = LatLon::new(60.39135, 5.3249);
        let (x, y) = tm.forward(p);
        assert!((x - 297_508.41).abs() < 0.005 && (y - 6_700_645.30).abs() < 0.005);
        assert!((tm.convergence_deg(p) - -3.196_281_440).abs() < 1e-9);
        assert!((tm.scale_factor(p) - 1.000_102_473_211).abs() < 1e-12);
    }

    #[test]
    fn central_meridian_has_scale_k0_and_no_convergence() {
        let tm = TransverseMercator::utm(10, true);
        let p = LatLon::new(44.0, -123.0);
        assert!((tm.scale_factor(p) - 0.9996).abs() < 1e-12);
        assert!(tm.convergence_deg(p).abs() < 1e-12);
    }

    #[test]
    fn pole_projects_to_the_quarter_meridian() {
        let (x, y) = TransverseMercator::local(0.0).forward(LatLon::new(90.0, 0.0));
        // WGS84 quarter meridian, 10 001 965.729 m.
        assert!(
            x.abs() < 1e-6 && (y - 10_001_965.729).abs() < 1e-3,
            "{x} {y}"
        );
    }

    #[test]
    fn utm_zone_meridians() {
        assert_eq!(TransverseMercator::utm(1, true).lon0_deg, -177.0);
        assert_eq!(TransverseMercator::utm(31, true).lon0_deg, 3.0);
        assert_eq!(TransverseMercator::utm(60, false).lon0_deg, 177.0);
        assert_eq!(
            TransverseMercator::utm(60, false).false_northing_m,
            10_000_000.0
        );
    }

    #[test]
    fn wrap_deg_folds_into_range() {
        assert_eq!(wrap_deg(190.0), -170.0);
        assert_eq!(wrap_deg(-190.0), 170.0);
        assert_eq!(wrap_deg(45.0), 45.0);
    }

    proptest! {
        // Forward then inverse returns the point to 1 µm (in degrees, ~1e-11) within 40° of
        // the central meridian, on every supported ellipsoid.
        #[test]
        fn forward_inverse_round_trip(lat in -84.0f64..84.0, dlon in -40.0f64..40.0,
                                      lon0 in -180.0f64..180.0, which in 0usize..3) {
            let ell = [Ellipsoid::WGS84, Ellipsoid::GRS80, Ellipsoid::CLARKE_1866][which];
            let tm = TransverseMercator { lon0_deg: lon0, k0: 0.9996,
                                          false_easting_m: 500_000.0, false_northing_m: 0.0 };
            let p = LatLon::new(lat, wrap_deg(lon0 + dlon));
            let (x, y) = tm.forward_on(p, &ell);
            let q = tm.inverse_on(x, y, &ell);
            prop_assert!((q.lat - p.lat).abs() < 1e-10, "{p:?} -> {q:?}");
            prop_assert!(wrap_deg(q.lon - p.lon).abs() < 1e-10, "{p:?} -> {q:?}");
        }
    }
}
