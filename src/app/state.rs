//! The user's display choices (units, coordinates, filters, map mode, fuel range): plain data
//! the panels read and only [`super::NavApp`] changes, through commands.
//!
//! Not for domain data (that is in the store) nor for runtime handles (GPS, caches).

use crate::core::coords::{CoordFormat, Datum};
use crate::core::model::WaypointKind;

/// Distances and speeds in miles or kilometres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Units {
    /// Miles, feet, mph.
    #[default]
    Imperial,
    /// Kilometres, metres, km/h.
    Metric,
}

const M_PER_MI: f64 = 1_609.344;
const M_PER_FT: f64 = 0.3048;

impl Units {
    /// A distance for a label: `"12.4 mi"`, `"850 ft"`, `"3.2 km"`, `"640 m"`.
    pub fn distance(self, m: f64) -> String {
        if !m.is_finite() {
            return "?".into();
        }
        match self {
            Units::Imperial => {
                let mi = m / M_PER_MI;
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

    /// A speed for a label: `"42 mph"`, `"68 km/h"`.
    pub fn speed(self, mps: f64) -> String {
        match self {
            Units::Imperial => format!("{:.0} mph", mps * 3600.0 / M_PER_MI),
            Units::Metric => format!("{:.0} km/h", mps * 3.6),
        }
    }

    /// Metres in one unit of long distance (mile or kilometre).
    pub fn m_per_long_unit(self) -> f64 {
        match self {
            Units::Imperial => M_PER_MI,
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

/// A duration for a label: `"45 min"`, `"2 h 05"`.
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

/// Compass point of a bearing: `47.0` → `"NE"`.
pub fn compass(bearing_deg: f64) -> &'static str {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    let i = ((bearing_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize % 8;
    POINTS.get(i).copied().unwrap_or("N")
}

/// The display choices.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefs {
    /// Miles or kilometres.
    pub units: Units,
    /// How coordinates are written.
    pub coord_format: CoordFormat,
    /// Datum coordinates are written in.
    pub datum: Datum,
    /// Waypoint kinds drawn on the map and listed (indexed by `WaypointKind as usize`).
    pub kinds_shown: [bool; WaypointKind::ALL.len()],
    /// North up (else the course is up while the GPS gives one).
    pub north_up: bool,
    /// Keep the GPS position centred.
    pub follow: bool,
    /// Range on a full tank, metres (fuel gaps longer than the usable range are flagged).
    pub fuel_range_m: f64,
    /// Share of the range kept in reserve.
    pub fuel_reserve: f64,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            units: Units::Imperial,
            coord_format: CoordFormat::Ddm,
            datum: Datum::Wgs84,
            kinds_shown: [true; WaypointKind::ALL.len()],
            north_up: true,
            follow: true,
            fuel_range_m: 150.0 * M_PER_MI,
            fuel_reserve: 0.15,
        }
    }
}

impl Prefs {
    /// The prefs as JSON (names, not core types, which are not `Serialize`).
    pub fn to_json(&self) -> serde_json::Value {
        let hidden: Vec<&str> = WaypointKind::ALL
            .iter()
            .filter(|k| !self.shows(**k))
            .map(|k| k.as_str())
            .collect();
        serde_json::json!({
            "units": match self.units { Units::Imperial => "imperial", Units::Metric => "metric" },
            "coord_format": self.coord_format.name(),
            "datum": self.datum.label(),
            "hidden_kinds": hidden,
            "north_up": self.north_up,
            "follow": self.follow,
            "fuel_range_m": self.fuel_range_m,
            "fuel_reserve": self.fuel_reserve,
        })
    }

    /// Prefs from [`Prefs::to_json`] output; anything missing or unreadable keeps its default.
    pub fn from_json(v: &serde_json::Value) -> Prefs {
        let mut p = Prefs::default();
        match v.get("units").and_then(|u| u.as_str()) {
            Some("metric") => p.units = Units::Metric,
            Some("imperial") => p.units = Units::Imperial,
            _ => {}
        }
        if let Some(f) = v
            .get("coord_format")
            .and_then(|f| f.as_str())
            .and_then(CoordFormat::from_name)
        {
            p.coord_format = f;
        }
        if let Some(d) = v
            .get("datum")
            .and_then(|d| d.as_str())
            .and_then(Datum::from_name)
        {
            p.datum = d;
        }
        if let Some(list) = v.get("hidden_kinds").and_then(|h| h.as_array()) {
            for name in list.iter().filter_map(|n| n.as_str()) {
                if let Ok(k) = name.parse::<WaypointKind>()
                    && let Some(slot) = p.kinds_shown.get_mut(k as usize)
                {
                    *slot = false;
                }
            }
        }
        if let Some(b) = v.get("north_up").and_then(|b| b.as_bool()) {
            p.north_up = b;
        }
        if let Some(b) = v.get("follow").and_then(|b| b.as_bool()) {
            p.follow = b;
        }
        if let Some(r) = v
            .get("fuel_range_m")
            .and_then(|r| r.as_f64())
            .filter(|r| r.is_finite() && *r > 0.0)
        {
            p.fuel_range_m = r;
        }
        if let Some(r) = v
            .get("fuel_reserve")
            .and_then(|r| r.as_f64())
            .filter(|r| (0.0..1.0).contains(r))
        {
            p.fuel_reserve = r;
        }
        p
    }

    /// True when waypoints of `kind` are shown.
    pub fn shows(&self, kind: WaypointKind) -> bool {
        self.kinds_shown.get(kind as usize).copied().unwrap_or(true)
    }

    /// The usable range (range less reserve), metres.
    pub fn usable_range_m(&self) -> f64 {
        self.fuel_range_m * (1.0 - self.fuel_reserve)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn speeds_and_durations() {
        assert_eq!(Units::Imperial.speed(26.8224), "60 mph");
        assert_eq!(Units::Metric.speed(10.0), "36 km/h");
        assert_eq!(duration(45.0 * 60.0), "45 min");
        assert_eq!(duration(125.0 * 60.0), "2 h 05");
        assert_eq!(duration(-1.0), "?");
    }

    #[test]
    fn compass_points() {
        assert_eq!(compass(0.0), "N");
        assert_eq!(compass(47.0), "NE");
        assert_eq!(compass(350.0), "N");
        assert_eq!(compass(-90.0), "W");
    }

    #[test]
    fn prefs_round_trip_through_json() {
        let mut p = Prefs {
            units: Units::Metric,
            coord_format: CoordFormat::Utm,
            datum: Datum::Nad27,
            north_up: false,
            follow: false,
            fuel_range_m: 400_000.0,
            fuel_reserve: 0.2,
            ..Prefs::default()
        };
        p.kinds_shown[WaypointKind::Gate as usize] = false;
        assert_eq!(Prefs::from_json(&p.to_json()), p);
    }

    #[test]
    fn bad_prefs_json_keeps_defaults() {
        let v = serde_json::json!({"units": "furlongs", "datum": 7, "fuel_range_m": -3, "hidden_kinds": ["nope"]});
        assert_eq!(Prefs::from_json(&v), Prefs::default());
        assert_eq!(Prefs::from_json(&serde_json::Value::Null), Prefs::default());
    }

    #[test]
    fn every_kind_has_a_filter_slot() {
        let p = Prefs::default();
        assert!(WaypointKind::ALL.iter().all(|k| p.shows(*k)));
    }
}
