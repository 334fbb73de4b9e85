//! UTM and MGRS grid references: zone and band selection (with the Norway and Svalbard
//! exceptions), 100 km square letters (the standard "AA" scheme, and the "AL" scheme that
//! NAD27/Clarke 1866 maps print), and their inverses. Positions are on the ellipsoid passed in;
//! datum shifts happen before this module. UPS (the polar caps, south of 80°S and north of
//! 84°N) is not supported and reported as [`CoordError::OutsideUtm`].

use crate::core::model::LatLon;
use crate::core::projection::{Ellipsoid, TransverseMercator, wrap_deg};

use super::CoordError;

/// Latitude band letters from 80°S, 8° each (X is 12°: 72°N..84°N).
const BANDS: &[u8; 20] = b"CDEFGHJKLMNPQRSTUVWX";
/// 100 km column letters, one set per zone modulo 3.
const COLUMN_SETS: [&[u8; 8]; 3] = [b"ABCDEFGH", b"JKLMNPQR", b"STUVWXYZ"];
/// 100 km row letters, repeating every 2000 km.
const ROWS: &[u8; 20] = b"ABCDEFGHJKLMNPQRSTUV";
/// Southern and northern limits of UTM, degrees.
const UTM_SOUTH_DEG: f64 = -80.0;
const UTM_NORTH_DEG: f64 = 84.0;
/// How far (degrees) a decoded position may lie outside the band it was written with. MGRS
/// squares straddle band edges, and readers round; a larger miss is a typo.
const BAND_SLACK_DEG: f64 = 1.0;

/// Which 100 km row lettering an MGRS reference uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MgrsLettering {
    /// The current scheme (WGS84, NAD83/GRS80): row A at the equator in odd zones, F in even.
    #[default]
    Aa,
    /// The old scheme for Clarke 1866 (NAD27), Clarke 1880 and Bessel: rows shifted by
    /// 1000 km (L in odd zones, R in even).
    Al,
}

impl MgrsLettering {
    /// Northing (metres) added before reading the row letter (GeoTrans `pattern_offset`).
    fn row_offset_m(self, zone: u8) -> f64 {
        let even = zone.is_multiple_of(2);
        match (self, even) {
            (MgrsLettering::Aa, false) => 0.0,
            (MgrsLettering::Aa, true) => 500_000.0,
            (MgrsLettering::Al, false) => 1_000_000.0,
            (MgrsLettering::Al, true) => 1_500_000.0,
        }
    }
}

/// A UTM coordinate: zone, latitude band, hemisphere, easting and northing in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Utm {
    /// Zone, 1..=60.
    pub zone: u8,
    /// Latitude band letter, `C..=X` without I and O.
    pub band: char,
    /// Northern hemisphere (false northing 0) or southern (10 000 km).
    pub north: bool,
    /// Easting, metres (500 000 on the central meridian).
    pub easting_m: f64,
    /// Northing, metres.
    pub northing_m: f64,
}

/// The UTM zone of a position, with the Norway (32V) and Svalbard (31X..37X) exceptions.
pub fn utm_zone(p: LatLon) -> u8 {
    let lon = wrap_deg(p.lon);
    let lat = p.lat;
    if (56.0..64.0).contains(&lat) && (3.0..12.0).contains(&lon) {
        return 32;
    }
    if (72.0..=84.0).contains(&lat) && (0.0..42.0).contains(&lon) {
        return match lon {
            l if l < 9.0 => 31,
            l if l < 21.0 => 33,
            l if l < 33.0 => 35,
            _ => 37,
        };
    }
    // Truncation is the point: zone 1 starts at 180°W. The value is 0..=59.
    (((lon + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u8 + 1
}

/// The latitude band letter of a latitude inside UTM's limits.
pub fn utm_band(lat_deg: f64) -> Result<char, CoordError> {
    if !(UTM_SOUTH_DEG..=UTM_NORTH_DEG).contains(&lat_deg) {
        return Err(CoordError::OutsideUtm { lat_deg });
    }
    let idx = (((lat_deg - UTM_SOUTH_DEG) / 8.0).floor() as usize).min(BANDS.len() - 1);
    BANDS
        .get(idx)
        .map(|&b| char::from(b))
        .ok_or(CoordError::OutsideUtm { lat_deg })
}

/// Southern and northern latitude of a band letter, or `None` if it is not a band.
fn band_range_deg(band: char) -> Option<(f64, f64)> {
    let idx = BANDS.iter().position(|&b| char::from(b) == band)?;
    let south = UTM_SOUTH_DEG + 8.0 * idx as f64;
    let north = if band == 'X' {
        UTM_NORTH_DEG
    } else {
        south + 8.0
    };
    Some((south, north))
}

/// Degrees by which `lat` lies outside `band` (0 inside).
fn band_miss_deg(band: char, lat: f64) -> f64 {
    match band_range_deg(band) {
        Some((s, n)) => (s - lat).max(lat - n).max(0.0),
        None => f64::INFINITY,
    }
}

impl Utm {
    /// The UTM coordinate of a position on `ell` in its standard zone.
    pub fn from_latlon(p: LatLon, ell: &Ellipsoid) -> Result<Utm, CoordError> {
        let band = utm_band(p.lat)?;
        let zone = utm_zone(p);
        let north = p.lat >= 0.0;
        let (easting_m, northing_m) = TransverseMercator::utm(zone, north).forward_on(p, ell);
        Ok(Utm {
            zone,
            band,
            north,
            easting_m,
            northing_m,
        })
    }

    /// The position on `ell` this coordinate names.
    pub fn to_latlon(&self, ell: &Ellipsoid) -> LatLon {
        TransverseMercator::utm(self.zone, self.north).inverse_on(
            self.easting_m,
            self.northing_m,
            ell,
        )
    }

    /// Reads zone, letter, easting and northing as typed. The letter is a latitude band; `N`
    /// and `S` are also accepted as hemispheres when the northing does not fit band N or S
    /// (so both `31N 448251 5411932` and `56S 334873 6252266` read the way they were meant).
    pub fn from_parts(
        zone: u32,
        letter: char,
        easting_m: f64,
        northing_m: f64,
        ell: &Ellipsoid,
    ) -> Result<Utm, CoordError> {
        let zone = check_zone(zone)?;
        if !(100_000.0..=900_000.0).contains(&easting_m) {
            return Err(CoordError::Easting { easting_m });
        }
        if !(0.0..=10_000_000.0).contains(&northing_m) {
            return Err(CoordError::Northing { northing_m });
        }
        let as_band = band_range_deg(letter).map(|_| {
            let north = letter >= 'N';
            let utm = Utm {
                zone,
                band: letter,
                north,
                easting_m,
                northing_m,
            };
            (utm, band_miss_deg(letter, utm.to_latlon(ell).lat))
        });
        if let Some((utm, miss)) = as_band
            && miss <= BAND_SLACK_DEG
        {
            return Ok(utm);
        }
        if letter == 'N' || letter == 'S' {
            let north = letter == 'N';
            let probe = Utm {
                zone,
                band: letter,
                north,
                easting_m,
                northing_m,
            };
            let lat = probe.to_latlon(ell).lat;
            let band = utm_band(lat)?;
            return Ok(Utm { band, ..probe });
        }
        match as_band {
            Some((utm, _)) => {
                let lat_deg = utm.to_latlon(ell).lat;
                Err(CoordError::BandMismatch {
                    band: letter,
                    lat_deg,
                })
            }
            None => Err(CoordError::Band(letter)),
        }
    }
}

impl std::fmt::Display for Utm {
    /// `10T 601234E 4879876N`, rounded to the metre.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{} {:.0}E {:.0}N",
            self.zone,
            self.band,
            self.easting_m.round(),
            self.northing_m.round()
        )
    }
}

fn check_zone(zone: u32) -> Result<u8, CoordError> {
    match u8::try_from(zone) {
        Ok(z @ 1..=60) => Ok(z),
        _ => Err(CoordError::Zone(zone)),
    }
}

/// An MGRS reference: grid zone (zone + band), 100 km square and the offset inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mgrs {
    /// UTM zone, 1..=60.
    pub zone: u8,
    /// Latitude band letter.
    pub band: char,
    /// 100 km column letter.
    pub column: char,
    /// 100 km row letter.
    pub row: char,
    /// Easting inside the square, metres, `0..100_000`.
    pub easting_m: f64,
    /// Northing inside the square, metres, `0..100_000`.
    pub northing_m: f64,
}

impl Mgrs {
    /// The MGRS reference of a UTM coordinate.
    pub fn from_utm(utm: &Utm, lettering: MgrsLettering) -> Result<Mgrs, CoordError> {
        let col_idx = (utm.easting_m / 100_000.0).floor() as i64 - 1;
        let set = COLUMN_SETS
            .get(usize::from((utm.zone.max(1) - 1) % 3))
            .ok_or(CoordError::Zone(u32::from(utm.zone)))?;
        let column = usize::try_from(col_idx)
            .ok()
            .and_then(|i| set.get(i))
            .map(|&b| char::from(b))
            .ok_or(CoordError::Easting {
                easting_m: utm.easting_m,
            })?;
        let row_idx =
            ((utm.northing_m + lettering.row_offset_m(utm.zone)) / 100_000.0).floor() as i64;
        let row = ROWS
            .get(row_idx.rem_euclid(20) as usize)
            .map(|&b| char::from(b))
            .ok_or(CoordError::Northing {
                northing_m: utm.northing_m,
            })?;
        Ok(Mgrs {
            zone: utm.zone,
            band: utm.band,
            column,
            row,
            easting_m: utm.easting_m.rem_euclid(100_000.0),
            northing_m: utm.northing_m.rem_euclid(100_000.0),
        })
    }

    /// The UTM coordinate this reference names (the point inside the square as given; the band
    /// letter picks which 2000 km repeat of the row letters is meant).
    pub fn to_utm(&self, ell: &Ellipsoid, lettering: MgrsLettering) -> Result<Utm, CoordError> {
        let zone = check_zone(u32::from(self.zone))?;
        band_range_deg(self.band).ok_or(CoordError::Band(self.band))?;
        let bad_square = || CoordError::Square {
            zone,
            column: self.column,
            row: self.row,
        };
        let set = COLUMN_SETS
            .get(usize::from((zone - 1) % 3))
            .ok_or_else(bad_square)?;
        let col_idx = set
            .iter()
            .position(|&b| char::from(b) == self.column)
            .ok_or_else(bad_square)?;
        let row_idx = ROWS
            .iter()
            .position(|&b| char::from(b) == self.row)
            .ok_or_else(bad_square)?;
        let easting_m = (col_idx as f64 + 1.0) * 100_000.0 + self.easting_m;
        let row_northing_m =
            (row_idx as f64 * 100_000.0 - lettering.row_offset_m(zone)).rem_euclid(2_000_000.0);
        let north = self.band >= 'N';
        // The row letters repeat every 2000 km (about 18°); exactly one repeat lands in the band.
        let mut best: Option<(f64, Utm)> = None;
        for k in 0..5 {
            let northing_m = row_northing_m + self.northing_m + 2_000_000.0 * f64::from(k);
            if northing_m > 10_000_000.0 {
                break;
            }
            let utm = Utm {
                zone,
                band: self.band,
                north,
                easting_m,
                northing_m,
            };
            let miss = band_miss_deg(self.band, utm.to_latlon(ell).lat);
            if best.is_none_or(|(m, _)| miss < m) {
                best = Some((miss, utm));
            }
        }
        match best {
            Some((miss, utm)) if miss <= BAND_SLACK_DEG => Ok(utm),
            _ => Err(bad_square()),
        }
    }
}

impl std::fmt::Display for Mgrs {
    /// `10TEQ 01234 79876`: 1 m precision, truncated as MGRS requires (the reference names the
    /// 1 m square the point is in).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = (self.easting_m.floor() as i64).clamp(0, 99_999);
        let n = (self.northing_m.floor() as i64).clamp(0, 99_999);
        write!(
            f,
            "{}{}{}{} {e:05} {n:05}",
            self.zone, self.band, self.column, self.row
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WGS: Ellipsoid = Ellipsoid::WGS84;

    fn utm_str(lat: f64, lon: f64) -> String {
        Utm::from_latlon(LatLon::new(lat, lon), &WGS)
            .map(|u| u.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    fn mgrs_str(lat: f64, lon: f64) -> String {
        Utm::from_latlon(LatLon::new(lat, lon), &WGS)
            .and_then(|u| Mgrs::from_utm(&u, MgrsLettering::Aa))
            .map(|m| m.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    // Reference values: chrisveness/geodesy test/utm-mgrs-tests.js (Krüger series, WGS84),
    // which also reproduces IBM's coordconvert examples; UTM rounded, MGRS truncated.
    #[test]
    fn utm_reference_points() {
        assert_eq!(utm_str(48.8583, 2.2945), "31U 448252E 5411944N"); // 448251.898 5411943.794
        assert_eq!(utm_str(-33.857, 151.215), "56H 334873E 6252266N"); // 334873.199 6252266.092
        assert_eq!(utm_str(38.8977, -77.0365), "18S 323394E 4307396N"); // 323394.296 4307395.634
        assert_eq!(utm_str(-22.9519, -43.2106), "23K 683466E 7460687N"); // 683466.254 7460687.433
        assert_eq!(utm_str(60.39135, 5.3249), "32V 297508E 6700645N");
        assert_eq!(utm_str(0.0, 0.0), "31N 166021E 0N");
    }

    #[test]
    fn mgrs_reference_points() {
        assert_eq!(mgrs_str(48.8583, 2.2945), "31UDQ 48251 11943");
        assert_eq!(mgrs_str(-33.857, 151.215), "56HLH 34873 52266");
        assert_eq!(mgrs_str(38.8977, -77.0365), "18SUJ 23394 07395");
        assert_eq!(mgrs_str(-22.9519, -43.2106), "23KPQ 83466 60687");
        assert_eq!(mgrs_str(60.39135, 5.3249), "32VKN 97508 00645");
        assert_eq!(mgrs_str(0.0, 0.0), "31NAA 66021 00000");
        assert_eq!(mgrs_str(0.13, -0.2324), "30NZF 08084 14385");
        assert_eq!(mgrs_str(-45.6456, 23.3545), "34GFQ 83473 42631");
        assert_eq!(mgrs_str(-12.765, -33.8765), "25LDF 04859 88691");
        assert_eq!(mgrs_str(23.4578, -135.4545), "8QML 53580 94272");
        assert_eq!(mgrs_str(77.345, 156.9876), "57XVF 50793 86116");
    }

    // GeographicLib MGRS example: 33N 472202 6487839 -> 33VVE7220287839.
    #[test]
    fn mgrs_from_utm_geographiclib_example() {
        let utm = Utm {
            zone: 33,
            band: 'V',
            north: true,
            easting_m: 472_202.0,
            northing_m: 6_487_839.0,
        };
        let m = Mgrs::from_utm(&utm, MgrsLettering::Aa).unwrap();
        assert_eq!(m.to_string(), "33VVE 72202 87839");
    }

    #[test]
    fn norway_and_svalbard_zones() {
        let z = |lat, lon| utm_zone(LatLon::new(lat, lon));
        assert_eq!(z(60.0, 4.0), 32);
        assert_eq!(z(75.0, 8.0), 31);
        assert_eq!(z(75.0, 10.0), 33);
        assert_eq!(z(75.0, 20.0), 33);
        assert_eq!(z(75.0, 22.0), 35);
        assert_eq!(z(75.0, 32.0), 35);
        assert_eq!(z(75.0, 34.0), 37);
        assert_eq!(z(55.0, 4.0), 31);
        assert_eq!(z(44.0, -121.3), 10);
        assert_eq!(z(0.0, 180.0), 1);
        assert_eq!(z(0.0, 179.9), 60);
    }

    #[test]
    fn bands() {
        assert_eq!(utm_band(-80.0).unwrap(), 'C');
        assert_eq!(utm_band(0.0).unwrap(), 'N');
        assert_eq!(utm_band(-0.1).unwrap(), 'M');
        assert_eq!(utm_band(44.0).unwrap(), 'T');
        assert_eq!(utm_band(83.9).unwrap(), 'X');
        assert_eq!(utm_band(84.0).unwrap(), 'X');
        assert!(matches!(utm_band(84.1), Err(CoordError::OutsideUtm { .. })));
        assert!(matches!(
            utm_band(-80.5),
            Err(CoordError::OutsideUtm { .. })
        ));
    }

    #[test]
    fn mgrs_to_utm_reference_points() {
        let cases = [
            (
                Mgrs {
                    zone: 31,
                    band: 'U',
                    column: 'D',
                    row: 'Q',
                    easting_m: 48251.0,
                    northing_m: 11943.0,
                },
                448_251.0,
                5_411_943.0,
            ),
            (
                Mgrs {
                    zone: 56,
                    band: 'H',
                    column: 'L',
                    row: 'H',
                    easting_m: 34873.0,
                    northing_m: 52266.0,
                },
                334_873.0,
                6_252_266.0,
            ),
            (
                Mgrs {
                    zone: 30,
                    band: 'M',
                    column: 'Y',
                    row: 'D',
                    easting_m: 22561.0,
                    northing_m: 89402.0,
                },
                722_561.0,
                9_889_402.0,
            ),
            (
                Mgrs {
                    zone: 32,
                    band: 'V',
                    column: 'K',
                    row: 'N',
                    easting_m: 97508.0,
                    northing_m: 645.0,
                },
                297_508.0,
                6_700_645.0,
            ),
            // A square straddling bands P and Q reads the same under either letter.
            (
                Mgrs {
                    zone: 1,
                    band: 'P',
                    column: 'E',
                    row: 'T',
                    easting_m: 0.0,
                    northing_m: 68935.0,
                },
                500_000.0,
                1_768_935.0,
            ),
            (
                Mgrs {
                    zone: 1,
                    band: 'Q',
                    column: 'E',
                    row: 'T',
                    easting_m: 0.0,
                    northing_m: 68935.0,
                },
                500_000.0,
                1_768_935.0,
            ),
        ];
        for (m, e, n) in cases {
            let u = m.to_utm(&WGS, MgrsLettering::Aa).unwrap();
            assert_eq!((u.easting_m, u.northing_m), (e, n), "{m}");
        }
    }

    #[test]
    fn al_lettering_shifts_rows_by_ten() {
        let utm = Utm {
            zone: 10,
            band: 'T',
            north: true,
            easting_m: 601_234.0,
            northing_m: 4_879_876.0,
        };
        let aa = Mgrs::from_utm(&utm, MgrsLettering::Aa).unwrap();
        let al = Mgrs::from_utm(&utm, MgrsLettering::Al).unwrap();
        assert_eq!(aa.to_string(), "10TFP 01234 79876");
        assert_eq!(al.to_string(), "10TFD 01234 79876");
        let back = al
            .to_utm(&Ellipsoid::CLARKE_1866, MgrsLettering::Al)
            .unwrap();
        assert_eq!(back.northing_m, 4_879_876.0);
    }

    #[test]
    fn bad_square_letters_are_rejected() {
        let m = Mgrs {
            zone: 2,
            band: 'C',
            column: 'A',
            row: 'A',
            easting_m: 0.0,
            northing_m: 0.0,
        };
        assert!(matches!(
            m.to_utm(&WGS, MgrsLettering::Aa),
            Err(CoordError::Square { .. })
        ));
        let m = Mgrs {
            zone: 10,
            band: 'T',
            column: 'E',
            row: 'W',
            easting_m: 0.0,
            northing_m: 0.0,
        };
        assert!(matches!(
            m.to_utm(&WGS, MgrsLettering::Aa),
            Err(CoordError::Square { .. })
        ));
    }

    #[test]
    fn utm_letter_n_or_s_is_read_as_hemisphere_when_the_band_does_not_fit() {
        let u = Utm::from_parts(31, 'N', 448_251.0, 5_411_932.0, &WGS).unwrap();
        assert_eq!((u.band, u.north), ('U', true));
        let u = Utm::from_parts(56, 'S', 334_873.0, 6_252_266.0, &WGS).unwrap();
        assert_eq!((u.band, u.north), ('H', false));
        let u = Utm::from_parts(18, 'S', 323_394.0, 4_307_396.0, &WGS).unwrap();
        assert_eq!((u.band, u.north), ('S', true));
    }

    #[test]
    fn utm_band_typo_is_reported() {
        let e = Utm::from_parts(10, 'C', 601_234.0, 4_879_876.0, &WGS).unwrap_err();
        assert!(
            matches!(e, CoordError::BandMismatch { band: 'C', .. }),
            "{e}"
        );
    }
}
