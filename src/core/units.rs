//! Distances, heights, speeds, durations and bearings as a driver reads them, in miles or
//! kilometres. Pure text formatting shared by the command line and the app.

use std::fmt;
use std::str::FromStr;

/// Metres in a statute mile.
pub const M_PER_MILE: f64 = 1_609.344;
/// Metres in an international foot.
pub const M_PER_FT: f64 = 0.3048;

/// Miles and feet, or kilometres and metres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Units {
    /// Miles, feet, mph.
    #[default]
    Imperial,
    /// Kilometres, metres, km/h.
    Metric,
}

/// A units name that is neither `imperial` nor `metric`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown units {0:?} (expected imperial or metric)")]
pub struct UnknownUnits(pub String);

impl FromStr for Units {
    type Err = UnknownUnits;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "imperial" | "mi" | "miles" => Ok(Units::Imperial),
            "metric" | "km" => Ok(Units::Metric),
            _ => Err(UnknownUnits(s.to_string())),
        }
    }
}

impl fmt::Display for Units {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Units {
    /// The name used on the command line and in saved preferences.
    pub const fn as_str(self) -> &'static str {
        match self {
            Units::Imperial => "imperial",
            Units::Metric => "metric",
        }
    }

    /// A distance at a glance: `"850 ft"`, `"3.1 mi"`, `"31 mi"`; `"640 m"`, `"3.2 km"`.
    pub fn distance(self, m: f64) -> String {
        if !m.is_finite() {
            return "?".into();
        }
        match self {
            Units::Imperial => {
                let mi = m / M_PER_MILE;
                if mi < 0.1 {
                    format!("{:.0} ft", m / M_PER_FT)
                } else if mi < 10.0 {
                    format!("{mi:.1} mi")
                } else {
                    format!("{mi:.0} mi")
                }
            }
            Units::Metric => {
                if m < 1000.0 {
                    format!("{m:.0} m")
                } else if m < 10_000.0 {
                    format!("{:.1} km", m / 1000.0)
                } else {
                    format!("{:.0} km", m / 1000.0)
                }
            }
        }
    }

    /// A distance to a tenth: `"328 ft"`, `"38.2 mi"`; `"999 m"`, `"1.5 km"`.
    pub fn distance_tenths(self, m: f64) -> String {
        if !m.is_finite() {
            return "?".into();
        }
        match self {
            Units::Imperial if m < 0.1 * M_PER_MILE => format!("{:.0} ft", m / M_PER_FT),
            Units::Imperial => format!("{:.1} mi", m / M_PER_MILE),
            Units::Metric if m < 1000.0 => format!("{m:.0} m"),
            Units::Metric => format!("{:.1} km", m / 1000.0),
        }
    }

    /// A long distance, always in miles or km to a tenth.
    pub fn long(self, m: f64) -> String {
        match self {
            Units::Imperial => format!("{:.1} mi", m / M_PER_MILE),
            Units::Metric => format!("{:.1} km", m / 1000.0),
        }
    }

    /// An elevation or climb, in feet or metres.
    pub fn height(self, m: f64) -> String {
        match self {
            Units::Imperial => format!("{:.0} ft", m / M_PER_FT),
            Units::Metric => format!("{m:.0} m"),
        }
    }

    /// A speed: `"42 mph"`, `"68 km/h"`.
    pub fn speed(self, mps: f64) -> String {
        match self {
            Units::Imperial => format!("{:.0} mph", mps * 3600.0 / M_PER_MILE),
            Units::Metric => format!("{:.0} km/h", mps * 3.6),
        }
    }

    /// Metres in one unit of long distance (mile or kilometre).
    pub fn m_per_long_unit(self) -> f64 {
        match self {
            Units::Imperial => M_PER_MILE,
            Units::Metric => 1000.0,
        }
    }

    /// The long unit's short name.
    pub fn long_unit(self) -> &'static str {
        match self {
            Units::Imperial => "mi",
            Units::Metric => "km",
        }
    }
}

/// A duration: `"45 min"`, `"2 h 05"`.
pub fn duration(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "?".into();
    }
    let min = (s / 60.0).round() as i64;
    if min < 60 {
        format!("{min} min")
    } else {
        format!("{} h {:02}", min / 60, min % 60)
    }
}

/// The 8-point compass direction of a bearing: `47.0` → `"NE"`.
pub fn compass(bearing_deg: f64) -> &'static str {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    let i = ((bearing_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize % 8;
    POINTS.get(i).copied().unwrap_or("N")
}

/// `100000` → `"100,000"`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn distances_read_naturally() {
        assert_eq!(Units::Imperial.distance(20.0), "66 ft");
        assert_eq!(Units::Imperial.distance(5_000.0), "3.1 mi");
        assert_eq!(Units::Imperial.distance(50_000.0), "31 mi");
        assert_eq!(Units::Metric.distance(640.0), "640 m");
        assert_eq!(Units::Metric.distance(3_240.0), "3.2 km");
        assert_eq!(Units::Metric.distance(f64::NAN), "?");
    }

    #[test]
    fn tenths_keep_a_decimal() {
        assert_eq!(Units::Imperial.distance_tenths(100.0), "328 ft");
        assert_eq!(Units::Imperial.distance_tenths(61_475.0), "38.2 mi");
        assert_eq!(Units::Metric.distance_tenths(999.0), "999 m");
        assert_eq!(Units::Metric.distance_tenths(1500.0), "1.5 km");
        assert_eq!(Units::Imperial.height(1000.0), "3281 ft");
    }

    #[test]
    fn speeds_and_durations() {
        assert_eq!(Units::Imperial.speed(26.8224), "60 mph");
        assert_eq!(Units::Metric.speed(10.0), "36 km/h");
        assert_eq!(duration(45.0 * 60.0), "45 min");
        assert_eq!(duration(125.0 * 60.0), "2 h 05");
        assert_eq!(duration(-1.0), "?");
    }

    #[test]
    fn compass_names_bearings() {
        assert_eq!(compass(0.0), "N");
        assert_eq!(compass(359.0), "N");
        assert_eq!(compass(100.0), "E");
        assert_eq!(compass(225.0), "SW");
    }

    #[test]
    fn units_parse_by_name() {
        assert_eq!("metric".parse::<Units>(), Ok(Units::Metric));
        assert_eq!("Imperial".parse::<Units>(), Ok(Units::Imperial));
        assert!("furlongs".parse::<Units>().is_err());
    }
}
