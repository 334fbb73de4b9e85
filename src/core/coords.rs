//! Coordinate text: decimal degrees, DMS, degrees-decimal-minutes, UTM and MGRS, in WGS84,
//! NAD83 or NAD27; reading what people type and writing what they read. Pure.
//!
//! Positions inside the program are always WGS84 [`LatLon`] (GPX is WGS84). A datum only
//! matters at the edges: [`format()`] converts to the datum it writes, [`parse`] converts from
//! the datum the text is in.
//!
//! Written forms (each followed by the datum label):
//! - DD: `44.05820° N, 121.31530° W` (hemisphere letters rather than signs, so nothing hangs
//!   on a minus sign; 5 decimals, about 1 m).
//! - DMS: `N44°03'29.5" W121°18'55.1"` (0.1", about 3 m).
//! - DDM: `N44°03.492' W121°18.918'` (0.001', about 2 m; the form of most GPS units).
//! - UTM: `10T 601234E 4879876N` (zone and latitude band, 1 m, rounded).
//! - MGRS: `10TFP 01234 79876` (1 m, truncated as MGRS requires). NAD27 uses the old "AL"
//!   row lettering printed on NAD27 maps.
//!
//! UTM and MGRS cover 80°S..84°N; UPS (the polar caps) is not supported: [`try_format`] and
//! [`parse`] say so, [`format()`] falls back to DD.
//!
//! Datum shifts and their accuracy are described on [`to_wgs84`]: NAD83 <-> WGS84 by the NGS
//! 14-parameter Helmert (centimetres; the datums differ by 1-2 m), NAD27 <-> WGS84 by the
//! TR8350.2 CONUS mean shift (about 5-10 m; NADCON grids would give 0.15 m).
//!
//! Not for: projecting map pages (see [`crate::core::projection`]) or distances.

mod datum;
mod grid;
mod parse;

pub use datum::{DEFAULT_EPOCH_YEAR, from_wgs84, from_wgs84_at, to_wgs84, to_wgs84_at};
pub use grid::{Mgrs, MgrsLettering, Utm, utm_band, utm_zone};
pub use parse::{Parsed, parse, parse_labeled};

use super::model::LatLon;
use super::projection::Ellipsoid;

/// A geodetic datum a coordinate is written in. GPX is always WGS84.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Datum {
    /// WGS84 (GPS, GPX).
    #[default]
    Wgs84,
    /// NAD83 (CONUS).
    Nad83,
    /// NAD27 (CONUS), the datum of older USGS quads.
    Nad27,
}

impl Datum {
    /// Every datum, in menu order.
    pub const ALL: [Datum; 3] = [Datum::Wgs84, Datum::Nad83, Datum::Nad27];

    /// Label printed beside every coordinate.
    pub const fn label(self) -> &'static str {
        match self {
            Datum::Wgs84 => "WGS84",
            Datum::Nad83 => "NAD83",
            Datum::Nad27 => "NAD27",
        }
    }

    /// The ellipsoid coordinates in this datum (and its UTM grid) are on.
    pub const fn ellipsoid(self) -> Ellipsoid {
        match self {
            Datum::Wgs84 => Ellipsoid::WGS84,
            Datum::Nad83 => Ellipsoid::GRS80,
            Datum::Nad27 => Ellipsoid::CLARKE_1866,
        }
    }

    /// The MGRS row lettering used with this datum's ellipsoid.
    pub const fn mgrs_lettering(self) -> MgrsLettering {
        match self {
            Datum::Nad27 => MgrsLettering::Al,
            Datum::Wgs84 | Datum::Nad83 => MgrsLettering::Aa,
        }
    }

    /// Reads a datum name as people write it: `WGS84`, `wgs 84`, `WGS-84`, `NAD83`,
    /// `NAD 27`, ... (case, spaces and dashes ignored).
    pub fn from_name(name: &str) -> Option<Datum> {
        let key: String = name
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .flat_map(char::to_uppercase)
            .collect();
        match key.as_str() {
            "WGS84" => Some(Datum::Wgs84),
            "NAD83" => Some(Datum::Nad83),
            "NAD27" => Some(Datum::Nad27),
            _ => None,
        }
    }
}

impl std::fmt::Display for Datum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// How a coordinate is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CoordFormat {
    /// `44.05820° N, 121.31530° W`
    Dd,
    /// `N44°03'29.5" W121°18'55.1"`
    Dms,
    /// `N44°03.492' W121°18.918'`
    #[default]
    Ddm,
    /// `10T 601234E 4879876N`
    Utm,
    /// `10TFP 01234 79876`
    Mgrs,
}

impl CoordFormat {
    /// Every format, in menu order.
    pub const ALL: [CoordFormat; 5] = [
        CoordFormat::Dd,
        CoordFormat::Dms,
        CoordFormat::Ddm,
        CoordFormat::Utm,
        CoordFormat::Mgrs,
    ];

    /// Short lowercase name (`dd`, `dms`, `ddm`, `utm`, `mgrs`), as used on the command line
    /// and in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            CoordFormat::Dd => "dd",
            CoordFormat::Dms => "dms",
            CoordFormat::Ddm => "ddm",
            CoordFormat::Utm => "utm",
            CoordFormat::Mgrs => "mgrs",
        }
    }

    /// Reads a format name (`dd`, `dms`, `ddm`, `utm`, `mgrs`; any case).
    pub fn from_name(name: &str) -> Option<CoordFormat> {
        CoordFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Half the resolution of the written form, metres: how far a parsed text may lie from
    /// the position that was formatted.
    pub const fn precision_m(self) -> f64 {
        match self {
            CoordFormat::Dd => 0.8,    // 0.000005° of latitude is 0.56 m; 0.8 m diagonal
            CoordFormat::Dms => 2.2,   // 0.05" is 1.55 m
            CoordFormat::Ddm => 1.35,  // 0.0005' is 0.93 m
            CoordFormat::Utm => 0.75,  // 0.5 m on each axis
            CoordFormat::Mgrs => 0.75, // read back as the centre of the 1 m square
        }
    }
}

/// Why a coordinate could not be written or read. Messages are one line, for people.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CoordError {
    /// Latitude outside -90..90.
    #[error("latitude {0} is out of range (-90..90)")]
    Latitude(f64),
    /// Longitude outside -180..180.
    #[error("longitude {0} is out of range (-180..180)")]
    Longitude(f64),
    /// Minutes of 60 or more.
    #[error("minutes must be below 60 (got {0})")]
    Minutes(f64),
    /// Seconds of 60 or more.
    #[error("seconds must be below 60 (got {0})")]
    Seconds(f64),
    /// UTM and MGRS stop at 80°S and 84°N.
    #[error(
        "latitude {lat_deg:.5} is outside UTM/MGRS (80°S..84°N); polar UPS coordinates are not supported"
    )]
    OutsideUtm {
        /// The latitude, degrees.
        lat_deg: f64,
    },
    /// UTM zone outside 1..60.
    #[error("UTM zone {0} does not exist (zones are 1..60)")]
    Zone(u32),
    /// Not a latitude band letter.
    #[error("'{0}' is not a UTM latitude band (C..X, without I and O)")]
    Band(char),
    /// The northing does not lie in the band the text names.
    #[error(
        "the position is at latitude {lat_deg:.2}, not in latitude band {band}; check the band letter and northing"
    )]
    BandMismatch {
        /// The band letter written.
        band: char,
        /// Where the easting/northing actually is.
        lat_deg: f64,
    },
    /// An MGRS 100 km square that does not exist there.
    #[error("MGRS square {column}{row} does not exist in zone {zone} at that latitude band")]
    Square {
        /// The zone.
        zone: u8,
        /// Column letter.
        column: char,
        /// Row letter.
        row: char,
    },
    /// Easting outside a UTM zone.
    #[error("easting {easting_m} m is outside a UTM zone (100000..900000 m)")]
    Easting {
        /// The easting, metres.
        easting_m: f64,
    },
    /// Northing outside 0..10 000 km.
    #[error("northing {northing_m} m is out of range (0..10000000 m)")]
    Northing {
        /// The northing, metres.
        northing_m: f64,
    },
    /// The position given to a formatter is not a valid coordinate (NaN or out of range).
    #[error("not a valid position: {lat}, {lon}")]
    InvalidPosition {
        /// Latitude, degrees.
        lat: f64,
        /// Longitude, degrees.
        lon: f64,
    },
    /// The text is not in any accepted form.
    #[error(
        "cannot read '{text}' as a coordinate: {reason}; expected e.g. 44.0582 -121.3153, \
         44.0582N 121.3153W, N44 03.492 W121 18.918, 44°3'29.5\"N 121°18'55.1\"W, \
         10T 601234 4879876 or 10TFP 01234 79876"
    )]
    Unreadable {
        /// The text as given.
        text: String,
        /// What was wrong.
        reason: String,
    },
}

/// Formats a WGS84 position in `fmt`, transformed to `datum`, with the datum label. UTM and
/// MGRS outside 80°S..84°N (and invalid positions) fall back to DD; use [`try_format`] to
/// learn why.
pub fn format(p: LatLon, fmt: CoordFormat, datum: Datum) -> String {
    match try_format(p, fmt, datum) {
        Ok(s) => s,
        Err(_) if p.is_valid() => {
            format!("{} {}", write_dd(from_wgs84(p, datum)), datum.label())
        }
        Err(_) => format!("{:.5}, {:.5} {}", p.lat, p.lon, datum.label()),
    }
}

/// Formats a WGS84 position in `fmt`, transformed to `datum`, with the datum label; fails for
/// UTM/MGRS outside 80°S..84°N and for invalid positions.
pub fn try_format(p: LatLon, fmt: CoordFormat, datum: Datum) -> Result<String, CoordError> {
    if !p.is_valid() {
        return Err(CoordError::InvalidPosition {
            lat: p.lat,
            lon: p.lon,
        });
    }
    let q = from_wgs84(p, datum);
    let body = match fmt {
        CoordFormat::Dd => write_dd(q),
        CoordFormat::Dms => write_dms(q),
        CoordFormat::Ddm => write_ddm(q),
        CoordFormat::Utm => Utm::from_latlon(q, &datum.ellipsoid())?.to_string(),
        CoordFormat::Mgrs => {
            let utm = Utm::from_latlon(q, &datum.ellipsoid())?;
            Mgrs::from_utm(&utm, datum.mgrs_lettering())?.to_string()
        }
    };
    Ok(format!("{body} {}", datum.label()))
}

/// Hemisphere letter for a value that rounds to `units` (non-negative is N/E so that 0 never
/// prints as south or west).
fn hemisphere(value: f64, units: i64, pos: char, neg: char) -> char {
    if value < 0.0 && units != 0 { neg } else { pos }
}

/// Splits |value| into whole degrees and the rest in `parts_per_degree` units, rounded once so
/// that 59.9996' carries into the next degree instead of printing as 60.000'.
fn split_units(value: f64, parts_per_degree: f64) -> (i64, i64) {
    let total = (value.abs() * parts_per_degree).round() as i64;
    let per = parts_per_degree as i64;
    (total / per, total % per)
}

fn write_dd(p: LatLon) -> String {
    let part = |v: f64, pos, neg| {
        let (deg, frac) = split_units(v, 100_000.0);
        let h = hemisphere(v, deg * 100_000 + frac, pos, neg);
        format!("{deg}.{frac:05}° {h}")
    };
    format!("{}, {}", part(p.lat, 'N', 'S'), part(p.lon, 'E', 'W'))
}

fn write_ddm(p: LatLon) -> String {
    let part = |v: f64, pos, neg, width: usize| {
        // Thousandths of a minute.
        let (deg, rest) = split_units(v, 60_000.0);
        let h = hemisphere(v, deg * 60_000 + rest, pos, neg);
        format!("{h}{deg:0width$}°{:02}.{:03}'", rest / 1000, rest % 1000)
    };
    format!("{} {}", part(p.lat, 'N', 'S', 2), part(p.lon, 'E', 'W', 3))
}

fn write_dms(p: LatLon) -> String {
    let part = |v: f64, pos, neg, width: usize| {
        // Tenths of a second.
        let (deg, rest) = split_units(v, 36_000.0);
        let h = hemisphere(v, deg * 36_000 + rest, pos, neg);
        let (min, tenths) = (rest / 600, rest % 600);
        format!(
            "{h}{deg:0width$}°{min:02}'{:02}.{}\"",
            tenths / 10,
            tenths % 10
        )
    };
    format!("{} {}", part(p.lat, 'N', 'S', 2), part(p.lon, 'E', 'W', 3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::geodesy::distance_m;
    use proptest::prelude::*;

    const BEND: LatLon = LatLon::new(44.0582, -121.3153);

    fn check(p: LatLon, fmt: CoordFormat, datum: Datum, want: &str) {
        assert_eq!(format(p, fmt, datum), want);
    }

    #[test]
    fn dd() {
        check(
            BEND,
            CoordFormat::Dd,
            Datum::Wgs84,
            "44.05820° N, 121.31530° W WGS84",
        );
        check(
            LatLon::new(-33.857, 151.215),
            CoordFormat::Dd,
            Datum::Wgs84,
            "33.85700° S, 151.21500° E WGS84",
        );
    }

    #[test]
    fn ddm() {
        check(
            BEND,
            CoordFormat::Ddm,
            Datum::Wgs84,
            "N44°03.492' W121°18.918' WGS84",
        );
        check(
            LatLon::new(-1.5, 2.25),
            CoordFormat::Ddm,
            Datum::Wgs84,
            "S01°30.000' E002°15.000' WGS84",
        );
    }

    #[test]
    fn dms() {
        check(
            BEND,
            CoordFormat::Dms,
            Datum::Wgs84,
            "N44°03'29.5\" W121°18'55.1\" WGS84",
        );
    }

    #[test]
    fn utm_and_mgrs() {
        // PROJ 9.1.1 cs2cs +proj=utm +zone=10 +datum=WGS84: 634937.8927 4879716.7541.
        check(
            BEND,
            CoordFormat::Utm,
            Datum::Wgs84,
            "10T 634938E 4879717N WGS84",
        );
        check(
            BEND,
            CoordFormat::Mgrs,
            Datum::Wgs84,
            "10TFP 34937 79716 WGS84",
        );
    }

    #[test]
    fn rounding_carries_into_the_next_degree() {
        // 44.99999999° is 59.9999994': it must print as 45°00.000', never 44°60.000'.
        check(
            LatLon::new(44.999_999_99, 0.0),
            CoordFormat::Ddm,
            Datum::Wgs84,
            "N45°00.000' E000°00.000' WGS84",
        );
        check(
            LatLon::new(44.999_999_99, 0.0),
            CoordFormat::Dms,
            Datum::Wgs84,
            "N45°00'00.0\" E000°00'00.0\" WGS84",
        );
    }

    #[test]
    fn tiny_negative_values_do_not_print_as_south() {
        check(
            LatLon::new(-0.000_000_1, -0.000_000_1),
            CoordFormat::Dd,
            Datum::Wgs84,
            "0.00000° N, 0.00000° E WGS84",
        );
    }

    #[test]
    fn other_datums_are_labelled_and_shifted() {
        let nad27 = format(BEND, CoordFormat::Dd, Datum::Nad27);
        assert!(nad27.ends_with(" NAD27"), "{nad27}");
        assert_ne!(nad27, "44.05820° N, 121.31530° W NAD27");
        let nad83 = format(BEND, CoordFormat::Utm, Datum::Nad83);
        assert!(nad83.ends_with(" NAD83"), "{nad83}");
    }

    #[test]
    fn polar_utm_is_an_error_and_format_falls_back_to_dd() {
        let pole = LatLon::new(86.0, 10.0);
        assert!(matches!(
            try_format(pole, CoordFormat::Utm, Datum::Wgs84),
            Err(CoordError::OutsideUtm { .. })
        ));
        assert!(matches!(
            try_format(pole, CoordFormat::Mgrs, Datum::Wgs84),
            Err(CoordError::OutsideUtm { .. })
        ));
        check(
            pole,
            CoordFormat::Mgrs,
            Datum::Wgs84,
            "86.00000° N, 10.00000° E WGS84",
        );
    }

    #[test]
    fn invalid_positions_are_errors() {
        let bad = LatLon::new(f64::NAN, 0.0);
        assert!(matches!(
            try_format(bad, CoordFormat::Dd, Datum::Wgs84),
            Err(CoordError::InvalidPosition { .. })
        ));
        assert!(format(bad, CoordFormat::Utm, Datum::Wgs84).ends_with("WGS84"));
    }

    #[test]
    fn datum_names() {
        assert_eq!(Datum::from_name("wgs 84"), Some(Datum::Wgs84));
        assert_eq!(Datum::from_name("NAD-83"), Some(Datum::Nad83));
        assert_eq!(Datum::from_name("nad27"), Some(Datum::Nad27));
        assert_eq!(Datum::from_name("ED50"), None);
    }

    #[test]
    fn format_names() {
        assert_eq!(CoordFormat::from_name("MGRS"), Some(CoordFormat::Mgrs));
        assert_eq!(CoordFormat::from_name("ddm"), Some(CoordFormat::Ddm));
        assert_eq!(CoordFormat::from_name("osgb"), None);
    }

    fn round_trip(p: LatLon, fmt: CoordFormat, datum: Datum) -> Result<(), TestCaseError> {
        let text = try_format(p, fmt, datum).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let q =
            parse(&text, Datum::Wgs84).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let d = distance_m(p, q);
        prop_assert!(d <= fmt.precision_m(), "{p:?} -> {text} -> {q:?}: {d} m");
        Ok(())
    }

    proptest! {
        // Every format read back gives the point within the format's precision, in every
        // datum (the label written is honoured when reading).
        #[test]
        fn format_parse_round_trip_latlon(lat in -89.9f64..89.9, lon in -179.9f64..179.9,
                                          f in 0usize..3, d in 0usize..3) {
            let fmt = [CoordFormat::Dd, CoordFormat::Dms, CoordFormat::Ddm][f];
            round_trip(LatLon::new(lat, lon), fmt, Datum::ALL[d])?;
        }

        #[test]
        fn format_parse_round_trip_grid(lat in -79.9f64..83.9, lon in -179.9f64..179.9,
                                        f in 0usize..2, d in 0usize..3) {
            let fmt = [CoordFormat::Utm, CoordFormat::Mgrs][f];
            round_trip(LatLon::new(lat, lon), fmt, Datum::ALL[d])?;
        }

        // The special zones of Norway and Svalbard round-trip too.
        #[test]
        fn format_parse_round_trip_norway_svalbard(lat in 56.0f64..84.0, lon in 0.0f64..42.0,
                                                   f in 0usize..2) {
            let fmt = [CoordFormat::Utm, CoordFormat::Mgrs][f];
            round_trip(LatLon::new(lat, lon), fmt, Datum::Wgs84)?;
        }
    }
}
