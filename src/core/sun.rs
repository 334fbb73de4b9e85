//! Sunrise and sunset from a position and a date, offline: NOAA's solar position equations
//! (the "General Solar Position" spreadsheet, after Meeus), good to about a minute between
//! ±72° latitude.
//!
//! Pure: the time comes in as UTC milliseconds, nothing reads the clock. Not for solar
//! position at arbitrary times (azimuth, elevation) beyond what the day/night switch needs.

use super::model::LatLon;

/// Zenith of the sun's centre at sunrise and sunset, degrees: 90° plus 34′ of refraction and
/// 16′ of the sun's radius (the apparent upper limb on a sea-level horizon).
const SUNRISE_ZENITH_DEG: f64 = 90.833;
const MS_PER_DAY: f64 = 86_400_000.0;
/// Julian date of the Unix epoch.
const JD_UNIX_EPOCH: f64 = 2_440_587.5;

/// What the sun does on one UTC day at one place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SunDay {
    /// It rises and sets: both times in UTC ms (far from Greenwich one of them falls on the
    /// neighbouring UTC date: Sydney's sunrise is the previous UTC evening).
    RiseSet {
        /// Sunrise, UTC ms.
        sunrise_ms: i64,
        /// Sunset, UTC ms.
        sunset_ms: i64,
    },
    /// Midnight sun: above the horizon all day.
    PolarDay,
    /// Polar night: below the horizon all day.
    PolarNight,
}

/// Declination of the sun (degrees) and the equation of time (minutes) at Julian century `t`.
fn declination_and_eqtime(t: f64) -> (f64, f64) {
    let l0 = (280.466_46 + t * (36_000.769_83 + t * 0.000_303_2)).rem_euclid(360.0);
    let m = 357.529_11 + t * (35_999.050_29 - 0.000_153_7 * t);
    let e = 0.016_708_634 - t * (0.000_042_037 + 0.000_000_126_7 * t);
    let mr = m.to_radians();
    let c = mr.sin() * (1.914_602 - t * (0.004_817 + 0.000_014 * t))
        + (2.0 * mr).sin() * (0.019_993 - 0.000_101 * t)
        + (3.0 * mr).sin() * 0.000_289;
    let omega = (125.04 - 1_934.136 * t).to_radians();
    let apparent_long = (l0 + c - 0.005_69 - 0.004_78 * omega.sin()).to_radians();
    let mean_obliq =
        23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.000_59 - t * 0.001_813))) / 60.0) / 60.0;
    let obliq = (mean_obliq + 0.002_56 * omega.cos()).to_radians();
    let decl = (obliq.sin() * apparent_long.sin()).asin().to_degrees();
    let y = (obliq / 2.0).tan().powi(2);
    let l0r = l0.to_radians();
    let eq = y * (2.0 * l0r).sin() - 2.0 * e * mr.sin()
        + 4.0 * e * y * mr.sin() * (2.0 * l0r).cos()
        - 0.5 * y * y * (4.0 * l0r).sin()
        - 1.25 * e * e * (2.0 * mr).sin();
    (decl, 4.0 * eq.to_degrees())
}

fn century(ms: f64) -> f64 {
    (ms / MS_PER_DAY + JD_UNIX_EPOCH - 2_451_545.0) / 36_525.0
}

/// The time (UTC ms) of sunrise (`rising`) or sunset near `guess_ms`, or the polar case.
/// Two refinements with the sun's position at the event itself bring it within seconds.
fn event_ms(pos: LatLon, day_start_ms: f64, rising: bool) -> Result<f64, SunDay> {
    let lat = pos.lat.to_radians();
    let mut at = day_start_ms + MS_PER_DAY / 2.0 - pos.lon * 4.0 * 60_000.0;
    for _ in 0..3 {
        let (decl, eqtime) = declination_and_eqtime(century(at));
        let d = decl.to_radians();
        let cos_ha =
            SUNRISE_ZENITH_DEG.to_radians().cos() / (lat.cos() * d.cos()) - lat.tan() * d.tan();
        if cos_ha < -1.0 {
            return Err(SunDay::PolarDay);
        }
        if cos_ha > 1.0 || !cos_ha.is_finite() {
            return Err(if cos_ha.is_finite() {
                SunDay::PolarNight
            } else if pos.lat * decl > 0.0 {
                SunDay::PolarDay
            } else {
                SunDay::PolarNight
            });
        }
        let ha_deg = cos_ha.acos().to_degrees();
        let noon_min = 720.0 - 4.0 * pos.lon - eqtime;
        let min = if rising {
            noon_min - 4.0 * ha_deg
        } else {
            noon_min + 4.0 * ha_deg
        };
        at = day_start_ms + min * 60_000.0;
    }
    Ok(at)
}

/// Sunrise and sunset at `pos` around the solar noon that falls on the UTC date containing
/// `day_ms` (at 12:00 UTC less 4 minutes per degree east).
pub fn sun_day(pos: LatLon, day_ms: i64) -> SunDay {
    let day_start = (day_ms as f64 / MS_PER_DAY).floor() * MS_PER_DAY;
    let rise = event_ms(pos, day_start, true);
    let set = event_ms(pos, day_start, false);
    match (rise, set) {
        (Ok(r), Ok(s)) => SunDay::RiseSet {
            sunrise_ms: r.round() as i64,
            sunset_ms: s.round() as i64,
        },
        (Err(e), _) | (_, Err(e)) => e,
    }
}

/// True when the sun is below the horizon (past sunset, before sunrise) at `pos` at `time_ms`.
pub fn is_night(pos: LatLon, time_ms: i64) -> bool {
    // The solar day of a place is centred on its local noon, which for far east or west
    // longitudes falls on the neighbouring UTC date: look at the day whose solar noon is
    // nearest `time_ms`.
    let lon_ms = pos.lon * 4.0 * 60_000.0;
    let local_day = ((time_ms as f64 + lon_ms) / MS_PER_DAY).floor() * MS_PER_DAY;
    let noon_utc = local_day + MS_PER_DAY / 2.0 - lon_ms;
    match sun_day(pos, noon_utc as i64) {
        SunDay::RiseSet {
            sunrise_ms,
            sunset_ms,
        } => time_ms < sunrise_ms || time_ms >= sunset_ms,
        SunDay::PolarDay => false,
        SunDay::PolarNight => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UTC ms of a date and time.
    fn utc(y: i32, mo: u8, d: u8, h: u8, mi: u8) -> i64 {
        // Days from the civil date (Howard Hinnant's algorithm), so the test needs no crate.
        let (y, m) = (i64::from(y) - i64::from(mo <= 2), i64::from(mo));
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        ((days * 24 + i64::from(h)) * 60 + i64::from(mi)) * 60_000
    }

    /// Published times (timeanddate.com / NOAA's calculator, to the minute) within 2 minutes.
    fn check(pos: LatLon, date: (i32, u8, u8), rise_utc: (u8, u8), set_utc: (u8, u8)) {
        let (y, m, d) = date;
        let SunDay::RiseSet {
            sunrise_ms,
            sunset_ms,
        } = sun_day(pos, utc(y, m, d, 12, 0))
        else {
            panic!("no sunrise at {pos:?}");
        };
        let want_rise = utc(y, m, d, rise_utc.0, rise_utc.1);
        let want_set = utc(y, m, d, set_utc.0, set_utc.1);
        let tol = 2 * 60_000;
        assert!(
            (sunrise_ms - want_rise).abs() <= tol,
            "sunrise off by {} s",
            (sunrise_ms - want_rise) / 1000
        );
        assert!(
            (sunset_ms - want_set).abs() <= tol,
            "sunset off by {} s",
            (sunset_ms - want_set) / 1000
        );
    }

    #[test]
    fn london_at_midsummer() {
        // 2024-06-21: sunrise 04:43 BST, sunset 21:21 BST.
        check(
            LatLon::new(51.5074, -0.1278),
            (2024, 6, 21),
            (3, 43),
            (20, 21),
        );
    }

    #[test]
    fn new_york_at_midwinter() {
        // 2024-12-21: sunrise 07:16 EST, sunset 16:32 EST; sunset is 21:32 UTC.
        check(
            LatLon::new(40.7128, -74.0060),
            (2024, 12, 21),
            (12, 16),
            (21, 32),
        );
    }

    #[test]
    fn sydney_in_june() {
        // 2024-06-21: sunrise 07:00 AEST, sunset 16:54 AEST: 21:00 UTC the day before, 06:54 UTC.
        let SunDay::RiseSet {
            sunrise_ms,
            sunset_ms,
        } = sun_day(LatLon::new(-33.8688, 151.2093), utc(2024, 6, 21, 0, 0))
        else {
            panic!()
        };
        assert!(
            (sunrise_ms - utc(2024, 6, 20, 21, 0)).abs() <= 120_000,
            "{sunrise_ms}"
        );
        assert!(
            (sunset_ms - utc(2024, 6, 21, 6, 54)).abs() <= 120_000,
            "{sunset_ms}"
        );
    }

    #[test]
    fn tromso_has_midnight_sun_and_polar_night() {
        let tromso = LatLon::new(69.6492, 18.9553);
        assert_eq!(sun_day(tromso, utc(2024, 6, 21, 12, 0)), SunDay::PolarDay);
        assert_eq!(
            sun_day(tromso, utc(2024, 12, 21, 12, 0)),
            SunDay::PolarNight
        );
        assert!(!is_night(tromso, utc(2024, 6, 21, 23, 0)));
        assert!(is_night(tromso, utc(2024, 12, 21, 11, 0)));
        assert!(!is_night(LatLon::new(90.0, 0.0), utc(2024, 6, 21, 0, 0)));
    }

    #[test]
    fn night_is_between_sunset_and_sunrise() {
        let andorra = LatLon::new(42.5, 1.5);
        // 2026-06-01: sunrise about 04:20 UTC, sunset about 19:30 UTC.
        assert!(!is_night(andorra, utc(2026, 6, 1, 9, 0)));
        assert!(is_night(andorra, utc(2026, 6, 1, 21, 0)));
        assert!(is_night(andorra, utc(2026, 6, 1, 2, 0)));
        assert!(!is_night(andorra, utc(2026, 6, 1, 18, 0)));
        // Far west: local evening is the next UTC date's small hours.
        let hawaii = LatLon::new(21.3, -157.8);
        assert!(is_night(hawaii, utc(2026, 6, 2, 7, 0)), "21:00 local");
        assert!(!is_night(hawaii, utc(2026, 6, 2, 3, 0)), "17:00 local");
        // Far east: local morning is the previous UTC date's evening.
        let tokyo = LatLon::new(35.68, 139.69);
        assert!(!is_night(tokyo, utc(2026, 6, 1, 23, 0)), "08:00 local");
        assert!(is_night(tokyo, utc(2026, 6, 1, 12, 0)), "21:00 local");
    }
}
