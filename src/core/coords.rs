//! Coordinate text: decimal degrees, DMS, degrees-decimal-minutes, UTM and MGRS, in WGS84,
//! NAD83 or NAD27. Pure.
//!
//! NOTE: API placeholder; the coordinates issue fills it in.

use super::model::LatLon;

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
    /// Label printed beside every coordinate.
    pub const fn label(self) -> &'static str {
        match self {
            Datum::Wgs84 => "WGS84",
            Datum::Nad83 => "NAD83",
            Datum::Nad27 => "NAD27",
        }
    }
}

/// How a coordinate is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CoordFormat {
    /// `44.05820, -121.31530`
    Dd,
    /// `N44°03'29.5" W121°18'55.1"`
    Dms,
    /// `N44°03.492' W121°18.918'`
    #[default]
    Ddm,
    /// `10T 601234 4879876`
    Utm,
    /// `10TEQ 01234 79876`
    Mgrs,
}

/// Formats a WGS84 position in `fmt`, transformed to `datum`, with the datum label.
pub fn format(p: LatLon, fmt: CoordFormat, datum: Datum) -> String {
    let _ = fmt;
    format!("{:.5}, {:.5} {}", p.lat, p.lon, datum.label())
}
