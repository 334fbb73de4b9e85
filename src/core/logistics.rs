//! Trip logistics for one route: length, climbing, waypoints along it, and the gaps between
//! fuel stops and between campgrounds measured against the vehicle's range and a day's drive.
//!
//! Works on a [`RouteLine`] and its [`RouteWaypoints`] (passes within the corridor), so a fuel
//! station beside an out-and-back road counts at each pass.
//! Also parses the distance and percent text the CLI takes (`250mi`, `400 km`, `15%`).
//! Not for locating a position (see [`super::along`]) or for formatting output.

use std::collections::BTreeMap;

use super::along::{Pass, RouteLine, RouteWaypoints};
use super::model::{WaypointId, WaypointKind};

/// Default elevation noise threshold, metres: climbs and descents smaller than this between
/// turning points are treated as GPS/DEM noise and not counted (see [`elevation_stats`]).
pub const DEFAULT_NOISE_M: f64 = 5.0;

pub use super::units::M_PER_MILE;

/// One end of a [`Gap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapEnd {
    /// The route's start.
    Start,
    /// A stop (a pass of this waypoint).
    Waypoint(WaypointId),
    /// The route's end.
    End,
}

/// The stretch between two consecutive stops (or the route's start or end).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap {
    /// Where the stretch starts.
    pub from: GapEnd,
    /// Where it ends.
    pub to: GapEnd,
    /// Chainage of its start, metres.
    pub start_along_m: f64,
    /// Chainage of its end, metres.
    pub end_along_m: f64,
    /// Its length along the route, metres.
    pub gap_m: f64,
    /// True when it is longer than the limit it was checked against (usable range, or a day).
    pub exceeds_limit: bool,
}

/// Climbing and elevation range of a profile. Every figure is `None` when the profile has
/// no elevations at all: unknown is not zero.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Elevation {
    /// Total climb, metres; `None` without elevations.
    pub gain_m: Option<f64>,
    /// Total descent, metres; `None` without elevations.
    pub loss_m: Option<f64>,
    /// Lowest elevation, metres; `None` without elevations.
    pub min_ele_m: Option<f64>,
    /// Highest elevation, metres; `None` without elevations.
    pub max_ele_m: Option<f64>,
}

/// What to check gaps against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticsParams {
    /// Range on a full tank, metres; `None` = no fuel check.
    pub range_m: Option<f64>,
    /// Share of the range kept in reserve, `0..1` (0.15 = 15 %).
    pub reserve: f64,
    /// Planned drive per day, metres; `None` = no campground check.
    pub day_m: Option<f64>,
    /// Elevation noise threshold, metres.
    pub noise_m: f64,
}

impl Default for LogisticsParams {
    fn default() -> Self {
        LogisticsParams {
            range_m: None,
            reserve: 0.0,
            day_m: None,
            noise_m: DEFAULT_NOISE_M,
        }
    }
}

/// The logistics summary of a route.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistics {
    /// Route length, metres.
    pub length_m: f64,
    /// Climb, descent and range of elevations.
    pub elevation: Elevation,
    /// Distinct waypoints within the corridor, by kind (kinds with none are absent).
    pub waypoints_by_kind: BTreeMap<WaypointKind, usize>,
    /// Gaps between fuel stops; `exceeds_limit` = longer than the usable range.
    pub fuel_gaps: Vec<Gap>,
    /// Gaps between campgrounds; `exceeds_limit` = longer than a day's drive.
    pub camp_gaps: Vec<Gap>,
}

impl Logistics {
    /// Computes the summary. `elevations_m` are the route's vertex elevations in order
    /// (`None` where unknown).
    pub fn compute(
        route: &RouteLine,
        elevations_m: impl IntoIterator<Item = Option<f64>>,
        passes: &RouteWaypoints,
        params: &LogisticsParams,
    ) -> Logistics {
        let length_m = route.length_m();
        let mut waypoints_by_kind = BTreeMap::new();
        for kind in WaypointKind::ALL {
            let mut ids: Vec<WaypointId> = passes.passes(kind).iter().map(|p| p.id).collect();
            ids.sort_unstable();
            ids.dedup();
            if !ids.is_empty() {
                waypoints_by_kind.insert(kind, ids.len());
            }
        }
        let usable_m = params.range_m.map(|r| r * (1.0 - params.reserve));
        Logistics {
            length_m,
            elevation: elevation_stats(elevations_m, params.noise_m),
            waypoints_by_kind,
            fuel_gaps: gaps(passes.passes(WaypointKind::Fuel), length_m, usable_m),
            camp_gaps: gaps(
                passes.passes(WaypointKind::Campground),
                length_m,
                params.day_m,
            ),
        }
    }
}

/// The gaps start → first stop → … → last stop → end, for `stops` sorted by `along_m`.
/// `exceeds_limit` is `gap_m > limit_m` (never true without a limit).
pub fn gaps(stops: &[Pass], length_m: f64, limit_m: Option<f64>) -> Vec<Gap> {
    let mut out = Vec::with_capacity(stops.len() + 1);
    let mut from = GapEnd::Start;
    let mut start_along_m = 0.0;
    let ends = stops
        .iter()
        .map(|s| (GapEnd::Waypoint(s.id), s.along_m))
        .chain(std::iter::once((GapEnd::End, length_m)));
    for (to, end_along_m) in ends {
        let gap_m = end_along_m - start_along_m;
        out.push(Gap {
            from,
            to,
            start_along_m,
            end_along_m,
            gap_m,
            exceeds_limit: limit_m.is_some_and(|l| gap_m > l),
        });
        from = to;
        start_along_m = end_along_m;
    }
    out
}

/// Gain, loss and range of an elevation profile, with hysteresis of `noise_m`: a climb counts
/// (in full, from its foot to its top) once the profile turns down by at least `noise_m` from
/// the top or ends, and a descent likewise; wiggles smaller than `noise_m` are ignored.
/// So a flat road with ±2 m of GPS noise gains nothing at the 5 m default, while a pass of
/// 100 m up and 100 m down counts exactly 100 m each way.
/// `None` and non-finite values are skipped.
pub fn elevation_stats(
    elevations_m: impl IntoIterator<Item = Option<f64>>,
    noise_m: f64,
) -> Elevation {
    #[derive(Clone, Copy)]
    enum Leg {
        Unknown,
        Up,
        Down,
    }
    let mut e = Elevation::default();
    let (mut gain_m, mut loss_m) = (0.0, 0.0);
    // The last confirmed turning point, the current leg and the extreme reached on it.
    let mut base: Option<f64> = None;
    let mut leg = Leg::Unknown;
    let mut extreme = 0.0;
    for ele in elevations_m.into_iter().flatten().filter(|v| v.is_finite()) {
        e.min_ele_m = Some(e.min_ele_m.map_or(ele, |m| m.min(ele)));
        e.max_ele_m = Some(e.max_ele_m.map_or(ele, |m| m.max(ele)));
        let Some(b) = base else {
            base = Some(ele);
            continue;
        };
        match leg {
            Leg::Unknown if ele - b >= noise_m => (leg, extreme) = (Leg::Up, ele),
            Leg::Unknown if b - ele >= noise_m => (leg, extreme) = (Leg::Down, ele),
            Leg::Unknown => {}
            Leg::Up if ele > extreme => extreme = ele,
            Leg::Up if extreme - ele >= noise_m => {
                gain_m += extreme - b;
                (base, leg, extreme) = (Some(extreme), Leg::Down, ele);
            }
            Leg::Down if ele < extreme => extreme = ele,
            Leg::Down if ele - extreme >= noise_m => {
                loss_m += b - extreme;
                (base, leg, extreme) = (Some(extreme), Leg::Up, ele);
            }
            Leg::Up | Leg::Down => {}
        }
    }
    // The last leg is already confirmed: it moved at least `noise_m` from its base.
    match (leg, base) {
        (Leg::Up, Some(b)) => gain_m += extreme - b,
        (Leg::Down, Some(b)) => loss_m += b - extreme,
        _ => {}
    }
    if base.is_some() {
        (e.gain_m, e.loss_m) = (Some(gain_m), Some(loss_m));
    }
    e
}

/// Why a distance or percent text could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// Not a number followed by a known unit.
    #[error("cannot read distance {0:?} (expected e.g. 250mi, 400km, 400 km, 12000m)")]
    Distance(String),
    /// Not a number followed by `%`, or outside 0–100.
    #[error("cannot read percent {0:?} (expected e.g. 15%)")]
    Percent(String),
}

/// Reads a distance such as `250mi`, `400km`, `400 km`, `12000m`, `1.5 miles`, in metres.
pub fn parse_distance_m(text: &str) -> Result<f64, ParseError> {
    let err = || ParseError::Distance(text.to_string());
    let t = text.trim().to_ascii_lowercase();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(err)?;
    let (num, unit) = t.split_at(split);
    let value: f64 = num.trim().parse().map_err(|_| err())?;
    let factor = match unit.trim() {
        "m" => 1.0,
        "km" => 1000.0,
        "mi" | "mile" | "miles" => M_PER_MILE,
        _ => return Err(err()),
    };
    let m = value * factor;
    if m.is_finite() && m >= 0.0 {
        Ok(m)
    } else {
        Err(err())
    }
}

/// Reads a percent such as `15%` or `15 %` as a fraction (0.15).
pub fn parse_percent(text: &str) -> Result<f64, ParseError> {
    let err = || ParseError::Percent(text.to_string());
    let num = text.trim().strip_suffix('%').ok_or_else(err)?;
    let value: f64 = num.trim().parse().map_err(|_| err())?;
    if (0.0..=100.0).contains(&value) {
        Ok(value / 100.0)
    } else {
        Err(err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::geodesy::EARTH_RADIUS_M;
    use crate::core::model::LatLon;
    use WaypointKind::{Campground, Fuel, Water};

    const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

    fn check_distance(text: &str, expect_m: f64) {
        let got = parse_distance_m(text).unwrap();
        assert!((got - expect_m).abs() < 1e-6, "{text}: {got}");
    }

    #[test]
    fn distances_parse_with_and_without_space() {
        check_distance("250mi", 402_336.0);
        check_distance("400km", 400_000.0);
        check_distance("400 km", 400_000.0);
        check_distance("12000m", 12_000.0);
        check_distance(" 1.5 Miles ", 2_414.016);
    }

    #[test]
    fn bad_distances_are_errors() {
        for t in ["", "250", "km", "250 furlongs", "-5km", "1e400km"] {
            assert!(parse_distance_m(t).is_err(), "{t}");
        }
    }

    #[test]
    fn percents_parse_to_fractions() {
        assert_eq!(parse_percent("15%"), Ok(0.15));
        assert_eq!(parse_percent(" 0 % "), Ok(0.0));
        assert!(parse_percent("15").is_err());
        assert!(parse_percent("150%").is_err());
    }

    fn check_ele(profile: &[f64], expect_gain: f64, expect_loss: f64) {
        let e = elevation_stats(profile.iter().map(|v| Some(*v)), DEFAULT_NOISE_M);
        assert_eq!(
            (e.gain_m, e.loss_m),
            (Some(expect_gain), Some(expect_loss)),
            "{profile:?}"
        );
    }

    #[test]
    fn noise_below_the_threshold_is_ignored() {
        check_ele(&[100.0, 102.0, 99.0, 103.0, 98.0, 100.0], 0.0, 0.0);
    }

    #[test]
    fn a_steady_climb_counts_in_full() {
        let climb: Vec<f64> = (0..=100).map(f64::from).collect();
        check_ele(&climb, 100.0, 0.0);
    }

    #[test]
    fn a_pass_counts_its_full_height_both_ways() {
        let pass: Vec<f64> = (0..=100)
            .map(|i| 100.0 - f64::from((i - 50) * 2).abs())
            .collect();
        check_ele(&pass, 100.0, 100.0);
    }

    #[test]
    fn small_dips_on_a_climb_do_not_split_it() {
        check_ele(&[0.0, 30.0, 27.0, 60.0, 57.0, 90.0], 90.0, 0.0);
    }

    #[test]
    fn climb_then_descent_counts_both() {
        check_ele(&[0.0, 50.0, 20.0, 20.0, 60.0], 90.0, 30.0);
    }

    #[test]
    fn min_and_max_skip_missing_values() {
        let e = elevation_stats([None, Some(10.0), None, Some(-3.0), Some(f64::NAN)], 5.0);
        assert_eq!((e.min_ele_m, e.max_ele_m), (Some(-3.0), Some(10.0)));
        assert_eq!(elevation_stats([None, None], 5.0), Elevation::default());
    }

    #[test]
    fn no_elevations_is_unknown_climb_not_zero() {
        let e = elevation_stats([None, None, Some(f64::NAN)], 5.0);
        assert_eq!((e.gain_m, e.loss_m), (None, None));
        let flat = elevation_stats([Some(10.0), Some(10.0)], 5.0);
        assert_eq!((flat.gain_m, flat.loss_m), (Some(0.0), Some(0.0)));
    }

    fn pass(id: WaypointId, along_m: f64) -> Pass {
        Pass {
            id,
            kind: Fuel,
            along_m,
            off_route_m: 0.0,
        }
    }

    #[test]
    fn gaps_run_from_start_through_stops_to_end() {
        let g = gaps(&[pass(1, 100.0), pass(2, 400.0)], 1000.0, Some(350.0));
        let ends: Vec<_> = g
            .iter()
            .map(|g| (g.from, g.to, g.gap_m, g.exceeds_limit))
            .collect();
        assert_eq!(
            ends,
            vec![
                (GapEnd::Start, GapEnd::Waypoint(1), 100.0, false),
                (GapEnd::Waypoint(1), GapEnd::Waypoint(2), 300.0, false),
                (GapEnd::Waypoint(2), GapEnd::End, 600.0, true),
            ]
        );
    }

    #[test]
    fn no_stops_is_one_gap_over_the_whole_route() {
        let g = gaps(&[], 500.0, None);
        assert_eq!(g.len(), 1);
        assert_eq!(
            (g[0].from, g[0].to, g[0].gap_m, g[0].exceeds_limit),
            (GapEnd::Start, GapEnd::End, 500.0, false)
        );
    }

    #[test]
    fn compute_checks_fuel_against_range_minus_reserve_and_camps_against_a_day() {
        // 3° (≈333 km) along the equator; fuel at 1° and 2.5°, one campground at 2°.
        let path: Vec<LatLon> = (0..=30)
            .map(|i| LatLon::new(0.0, f64::from(i) * 0.1))
            .collect();
        let route = RouteLine::new(path).unwrap();
        let items = [
            (1, LatLon::new(0.001, 1.0), Fuel),
            (2, LatLon::new(0.001, 2.5), Fuel),
            (3, LatLon::new(0.001, 2.0), Campground),
            (4, LatLon::new(0.002, 2.0), Water),
            (5, LatLon::new(1.0, 2.0), Water),
        ];
        let passes = RouteWaypoints::new(&route, items, 2000.0);
        // Usable range 150 km × 0.8 = 120 km: only the 1°→2.5° gap (≈167 km) exceeds it.
        let params = LogisticsParams {
            range_m: Some(150_000.0),
            reserve: 0.2,
            day_m: Some(200_000.0),
            noise_m: 5.0,
        };
        let l = Logistics::compute(
            &route,
            route.points().iter().map(|_| Some(10.0)),
            &passes,
            &params,
        );
        assert!((l.length_m - 3.0 * M_PER_DEG).abs() < 1e-6);
        let fuel: Vec<bool> = l.fuel_gaps.iter().map(|g| g.exceeds_limit).collect();
        assert_eq!(fuel, vec![false, true, false]);
        let camp: Vec<bool> = l.camp_gaps.iter().map(|g| g.exceeds_limit).collect();
        assert_eq!(camp, vec![true, false]);
        assert_eq!(
            l.waypoints_by_kind,
            BTreeMap::from([(Fuel, 2), (Campground, 1), (Water, 1)])
        );
        assert_eq!(l.elevation.max_ele_m, Some(10.0));
    }
}
