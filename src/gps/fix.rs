//! One position fix as every source delivers it (NMEA, gpsd, replay), plus its JSON form.
//!
//! Plain data. Not for parsing (see `nmea`, `gpsd`) and not for storage (see `recorder`).

use crate::core::model::{LatLon, TrackPoint};

/// Metres per second in one knot (1852 m / 3600 s).
pub const MPS_PER_KNOT: f64 = 1852.0 / 3600.0;

/// Fix dimension, as GSA / gpsd `mode` report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FixMode {
    /// No fix. The NMEA assembler never emits a [`Fix`] with this mode; gpsd may.
    #[default]
    None,
    /// Latitude and longitude only.
    TwoD,
    /// Latitude, longitude and altitude.
    ThreeD,
}

impl FixMode {
    /// `none`, `2d` or `3d` (the JSON and CLI spelling).
    pub const fn as_str(self) -> &'static str {
        match self {
            FixMode::None => "none",
            FixMode::TwoD => "2d",
            FixMode::ThreeD => "3d",
        }
    }
}

/// How the receiver computed the position (GGA quality indicator, RMC/GNS mode letter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FixQuality {
    /// Standalone GNSS (GGA 1, mode `A`).
    Gps,
    /// Differential / SBAS (GGA 2, mode `D`).
    Dgps,
    /// PPS / precise (GGA 3, mode `P`).
    Precise,
    /// RTK with fixed integers (GGA 4, mode `R`).
    RtkFixed,
    /// RTK float (GGA 5, mode `F`).
    RtkFloat,
    /// Dead reckoning (GGA 6, mode `E`): the receiver is guessing.
    Estimated,
    /// Manual input (GGA 7, mode `M`).
    Manual,
    /// Simulator (GGA 8, mode `S`).
    Simulated,
}

/// One position fix: everything the receiver said about one epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    /// UTC milliseconds since the Unix epoch. `None` while the receiver has not yet sent a
    /// date (RMC or ZDA): NMEA GGA/GLL/GNS carry only the time of day.
    pub time_ms: Option<i64>,
    /// Position in WGS84 degrees; always valid (checked before a fix is emitted).
    pub pos: LatLon,
    /// Altitude above mean sea level in metres (GGA/GNS; gpsd `altMSL`).
    pub ele_m: Option<f64>,
    /// Geoid separation in metres: height of the geoid above the ellipsoid.
    pub geoid_sep_m: Option<f64>,
    /// Speed over ground in metres per second.
    pub speed_mps: Option<f64>,
    /// Course over ground in degrees true, 0..360.
    pub course_deg: Option<f64>,
    /// 2D or 3D.
    pub fix: FixMode,
    /// How the fix was computed, when the receiver said.
    pub quality: Option<FixQuality>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
    /// Satellites used in the fix.
    pub sats: Option<u32>,
}

impl Fix {
    /// A 2D fix at `pos` with nothing else known (for tests and simple sources).
    pub fn at(pos: LatLon, time_ms: Option<i64>) -> Fix {
        Fix {
            time_ms,
            pos,
            ele_m: None,
            geoid_sep_m: None,
            speed_mps: None,
            course_deg: None,
            fix: FixMode::TwoD,
            quality: None,
            hdop: None,
            sats: None,
        }
    }

    /// Height above the WGS84 ellipsoid (gpsd `altHAE`) = MSL altitude + geoid separation.
    pub fn alt_hae_m(&self) -> Option<f64> {
        Some(self.ele_m? + self.geoid_sep_m?)
    }

    /// The breadcrumb stored for this fix: position, MSL elevation (what GPX `ele` means to
    /// the devices and maps drivers use), time.
    pub fn to_track_point(&self) -> TrackPoint {
        TrackPoint {
            pos: self.pos,
            ele_m: self.ele_m,
            time_ms: self.time_ms,
        }
    }

    /// The CLI's one-line JSON object:
    /// `{"time","lat","lon","ele","speed_mps","course_deg","fix","hdop","sats"}`; unknown
    /// values are `null`, time is RFC 3339 UTC.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "time": self.time_ms.and_then(rfc3339_from_ms),
            "lat": self.pos.lat,
            "lon": self.pos.lon,
            "ele": self.ele_m,
            "speed_mps": self.speed_mps,
            "course_deg": self.course_deg,
            "fix": self.fix.as_str(),
            "hdop": self.hdop,
            "sats": self.sats,
        })
    }
}

/// `2015-10-10T09:12:32.000Z` for UTC milliseconds since the epoch; `None` out of range.
pub fn rfc3339_from_ms(time_ms: i64) -> Option<String> {
    let t =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(time_ms) * 1_000_000).ok()?;
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&fmt).ok()
}

/// UTC milliseconds since the epoch from an RFC 3339 string (gpsd `time`).
pub fn ms_from_rfc3339(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_milliseconds() {
        let ms = 1_444_468_352_250;
        let s = rfc3339_from_ms(ms).unwrap();
        assert_eq!(s, "2015-10-10T09:12:32.250Z");
        assert_eq!(ms_from_rfc3339(&s), Some(ms));
    }

    #[test]
    fn alt_hae_needs_both_parts() {
        let mut f = Fix::at(LatLon::new(1.0, 2.0), None);
        assert_eq!(f.alt_hae_m(), None);
        f.ele_m = Some(765.8);
        f.geoid_sep_m = Some(47.4);
        assert!((f.alt_hae_m().unwrap() - 813.2).abs() < 1e-9);
    }

    #[test]
    fn json_has_every_key_and_nulls_for_unknowns() {
        let f = Fix::at(LatLon::new(48.5, 8.25), Some(0));
        let j = f.to_json();
        for k in [
            "time",
            "lat",
            "lon",
            "ele",
            "speed_mps",
            "course_deg",
            "fix",
            "hdop",
            "sats",
        ] {
            assert!(j.get(k).is_some(), "missing {k}");
        }
        assert_eq!(j["time"], "1970-01-01T00:00:00.000Z");
        assert_eq!(j["fix"], "2d");
        assert!(j["ele"].is_null());
    }
}
