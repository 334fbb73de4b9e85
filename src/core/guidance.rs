//! Guidance for the driver without turn-by-turn: where am I on the route, am I off it, what is
//! next, when will I reach fuel, and which atlas page and grid cell I am on.
//!
//! Pure: positions and their times come in, answers go out (the GPS and the clock belong to
//! the caller). Not for drawing, nor for locating on the route (see [`super::along`]).

use std::collections::VecDeque;

use super::along::{Ahead, RouteLine, RouteWaypoints};
use super::atlas::Atlas;
use super::model::{LatLon, WaypointKind};

/// How far off the route, metres, before guidance warns (a wrong turn, not GPS noise).
pub const DEFAULT_OFF_ROUTE_WARN_M: f64 = 150.0;

/// How much recent driving the average speed looks at, milliseconds.
pub const SPEED_WINDOW_MS: i64 = 10 * 60 * 1000;
/// The shortest stretch an average speed is computed from, milliseconds.
pub const MIN_SPEED_SPAN_MS: i64 = 20 * 1000;
/// Below this, m/s, the vehicle counts as stopped and gives no ETA.
const MOVING_MPS: f64 = 0.5;

/// One position report for guidance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Where, WGS84.
    pub pos: LatLon,
    /// When, UTC ms; a fix without time uses the receiver's speed only.
    pub time_ms: Option<i64>,
    /// Speed over ground from the receiver, m/s, if it says.
    pub speed_mps: Option<f64>,
}

/// What the driver sees.
#[derive(Debug, Clone, PartialEq)]
pub struct Guidance {
    /// Distance from the route start to here, along the route, metres.
    pub along_m: f64,
    /// Distance still to drive to the route's end, metres.
    pub remaining_m: f64,
    /// Distance from the route, metres.
    pub off_route_m: f64,
    /// The closest point on the route (where to head back to when off route).
    pub on_route: LatLon,
    /// True when `off_route_m` exceeds the warning threshold.
    pub off_route: bool,
    /// The next waypoint ahead of any kind.
    pub next_waypoint: Option<Ahead>,
    /// The next fuel stop ahead.
    pub next_fuel: Option<Ahead>,
    /// The next campground ahead.
    pub next_camp: Option<Ahead>,
    /// Distance driven along the route since the last fuel stop passed (since the start when
    /// none was passed), metres: what the tank has used if it was filled there.
    pub since_fuel_m: f64,
    /// Recent average speed along the route (else the receiver's speed), m/s.
    pub avg_speed_mps: Option<f64>,
    /// Time to the next fuel at that speed, seconds.
    pub eta_fuel_s: Option<f64>,
    /// Time to the next waypoint at that speed, seconds.
    pub eta_next_s: Option<f64>,
    /// Time to the next campground at that speed, seconds.
    pub eta_camp_s: Option<f64>,
    /// Atlas page number and grid cell ("C3") of the position.
    pub atlas_ref: Option<(u32, String)>,
}

impl Guidance {
    /// Range left on a tank of `usable_range_m` (range less reserve) filled at the last fuel
    /// stop passed, metres (negative: past the reserve).
    pub fn range_left_m(&self, usable_range_m: f64) -> f64 {
        usable_range_m - self.since_fuel_m
    }

    /// True when the next fuel lies beyond the range left (or there is no fuel ahead and the
    /// route's end does).
    pub fn fuel_beyond_range(&self, usable_range_m: f64) -> bool {
        let to = self.next_fuel.map_or(self.remaining_m, |f| f.ahead_m);
        to > self.range_left_m(usable_range_m)
    }
}

/// The next change the driver must act on: a change of road (from a roadbook, where map data
/// matched the route), else the next waypoint ahead.
#[derive(Debug, Clone, PartialEq)]
pub struct NextChange {
    /// Where it is, metres from the route's start.
    pub along_m: f64,
    /// How far still to drive to it, metres.
    pub distance_m: f64,
    /// Which way: a turn ("left", "sharp right") for a road change, the compass direction by
    /// air ("NE") for a waypoint; `None` when unknown.
    pub turn: Option<String>,
    /// What comes there: the road turned onto, or the waypoint's name.
    pub onto: String,
}

impl NextChange {
    /// The next waypoint ahead as the next change: `name` is its display name, `bearing_deg`
    /// the direction to it by air from here (`None` when unknown).
    pub fn from_waypoint(next: &Ahead, name: &str, bearing_deg: Option<f64>) -> NextChange {
        NextChange {
            along_m: next.along_m,
            distance_m: next.ahead_m,
            turn: bearing_deg.map(|b| super::units::compass(b).to_string()),
            onto: name.to_string(),
        }
    }
}

/// How far from a road's line a position still counts as on it, metres (GPS error plus half a
/// wide road).
pub const ON_ROAD_M: f64 = 30.0;

/// The name of the drivable road under `pos` ("CG-2 Carretera General", "NF 2310", a name
/// alone), from the map data loaded around it; `None` off every road or on unnamed ones.
/// With `course_deg`, a road running across the course (a junction's side road) counts as
/// 20 m further away, so the road driven wins at a crossing.
pub fn road_at(map: &super::map::MapData, pos: LatLon, course_deg: Option<f64>) -> Option<String> {
    // A local plane around `pos` (metres east, north): exact enough within ON_ROAD_M.
    let m_per_deg = super::geodesy::EARTH_RADIUS_M.to_radians();
    let kx = m_per_deg * pos.lat.to_radians().cos();
    let xy = |p: LatLon| ((p.lon - pos.lon) * kx, (p.lat - pos.lat) * m_per_deg);
    let mut best: Option<(f64, &super::map::Road)> = None;
    for road in map.roads.iter().filter(|r| r.drivable) {
        if road.name.is_none() && road.ref_.is_none() {
            continue;
        }
        for seg in road.geometry.windows(2) {
            let [a, b] = seg else { continue };
            let ((ax, ay), (bx, by)) = (xy(*a), xy(*b));
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let mut d = (ax + t * dx).hypot(ay + t * dy);
            if let Some(c) = course_deg
                && len2 > 0.0
            {
                let seg_deg = dx.atan2(dy).to_degrees();
                // Either direction of travel along the segment is along it.
                let off = (seg_deg - c).rem_euclid(180.0);
                if off.min(180.0 - off) > 45.0 {
                    d += 20.0;
                }
            }
            if d <= ON_ROAD_M && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, road));
            }
        }
    }
    let (_, road) = best?;
    Some(match (&road.ref_, &road.name) {
        (Some(r), Some(n)) if r != n => format!("{r} {n}"),
        (Some(r), _) => r.clone(),
        (None, Some(n)) => n.clone(),
        (None, None) => return None,
    })
}

/// Follows one route as positions arrive.
#[derive(Debug, Clone)]
pub struct Guide {
    route: RouteLine,
    waypoints: RouteWaypoints,
    atlas: Option<Atlas>,
    warn_m: f64,
    last_along_m: Option<f64>,
    // (time_ms, along_m) of recent positions, oldest first, times never decreasing.
    recent: VecDeque<(i64, f64)>,
}

impl Guide {
    /// Guidance along `route` with its waypoint passes, and the atlas it was printed in.
    pub fn new(route: RouteLine, waypoints: RouteWaypoints, atlas: Option<Atlas>) -> Self {
        Guide {
            route,
            waypoints,
            atlas,
            warn_m: DEFAULT_OFF_ROUTE_WARN_M,
            last_along_m: None,
            recent: VecDeque::new(),
        }
    }

    /// Sets the off-route warning threshold, metres.
    pub fn with_off_route_warning_m(mut self, warn_m: f64) -> Self {
        self.warn_m = warn_m;
        self
    }

    /// The route followed.
    pub fn route(&self) -> &RouteLine {
        &self.route
    }

    /// The waypoint passes along the route.
    pub fn waypoints(&self) -> &RouteWaypoints {
        &self.waypoints
    }

    /// The atlas, if one was given.
    pub fn atlas(&self) -> Option<&Atlas> {
        self.atlas.as_ref()
    }

    /// Replaces the atlas (the user chose another paper or scale).
    pub fn set_atlas(&mut self, atlas: Option<Atlas>) {
        self.atlas = atlas;
    }

    /// Forgets the progress history (a new drive, a jump of the position).
    pub fn reset(&mut self) {
        self.last_along_m = None;
        self.recent.clear();
    }

    /// Takes a new position; `None` when the route cannot locate it (an invalid position).
    pub fn update(&mut self, p: Position) -> Option<Guidance> {
        let located = self.route.locate(p.pos, self.last_along_m)?;
        self.last_along_m = Some(located.along_m);
        if let Some(t) = p.time_ms {
            // Time going backwards (a new log section, a replay restarted) starts afresh.
            if self.recent.back().is_some_and(|(last_t, _)| *last_t > t) {
                self.recent.clear();
            }
            self.recent.push_back((t, located.along_m));
            while self
                .recent
                .front()
                .is_some_and(|(t0, _)| t - t0 > SPEED_WINDOW_MS)
            {
                self.recent.pop_front();
            }
        }
        let avg_speed_mps = self
            .average_speed_mps()
            .or(p.speed_mps.filter(|s| *s > MOVING_MPS));
        let next_waypoint = self
            .waypoints
            .ahead(located.along_m, &[], 1)
            .into_iter()
            .next();
        let next_fuel = self
            .waypoints
            .ahead(located.along_m, &[WaypointKind::Fuel], 1)
            .into_iter()
            .next();
        let next_camp = self
            .waypoints
            .ahead(located.along_m, &[WaypointKind::Campground], 1)
            .into_iter()
            .next();
        let fuel_passes = self.waypoints.passes(WaypointKind::Fuel);
        let behind = fuel_passes.partition_point(|p| p.along_m <= located.along_m);
        let last_fill_m = behind
            .checked_sub(1)
            .and_then(|i| fuel_passes.get(i))
            .map_or(0.0, |p| p.along_m);
        let eta = |a: &Option<Ahead>| match (a, avg_speed_mps) {
            (Some(a), Some(v)) if v > 0.0 => Some(a.ahead_m / v),
            _ => None,
        };
        Some(Guidance {
            along_m: located.along_m,
            remaining_m: (self.route.length_m() - located.along_m).max(0.0),
            off_route_m: located.off_route_m,
            on_route: located.pos,
            off_route: located.off_route_m > self.warn_m,
            eta_fuel_s: eta(&next_fuel),
            eta_next_s: eta(&next_waypoint),
            eta_camp_s: eta(&next_camp),
            since_fuel_m: (located.along_m - last_fill_m).max(0.0),
            next_waypoint,
            next_fuel,
            next_camp,
            avg_speed_mps,
            atlas_ref: self.atlas.as_ref().and_then(|a| a.locate(p.pos)),
        })
    }

    /// Progress along the route over the recent window, m/s; `None` while stopped or with too
    /// little history.
    fn average_speed_mps(&self) -> Option<f64> {
        let (t0, a0) = *self.recent.front()?;
        let (t1, a1) = *self.recent.back()?;
        let span_ms = t1 - t0;
        if span_ms < MIN_SPEED_SPAN_MS {
            return None;
        }
        let v = (a1 - a0) / (span_ms as f64 / 1000.0);
        (v > MOVING_MPS).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::atlas::{Orientation, PageSpec, Paper, paginate};
    use crate::core::model::WaypointKind::{Campground, Fuel};

    // A straight road east along the equator: 0.01° of longitude is about 1113 m.
    const M_PER_CENTIDEG: f64 = 1_111.95;

    fn road() -> Vec<LatLon> {
        (0..=100)
            .map(|i| LatLon::new(0.0, f64::from(i) * 0.01))
            .collect()
    }

    fn guide() -> Guide {
        let route = RouteLine::new(road()).unwrap();
        let wpts = RouteWaypoints::new(
            &route,
            [
                (1, LatLon::new(0.001, 0.30), Campground),
                (2, LatLon::new(-0.001, 0.50), Fuel),
                (3, LatLon::new(0.0, 0.90), Fuel),
            ],
            2_000.0,
        );
        Guide::new(route, wpts, None)
    }

    fn at(lon: f64, t_s: i64) -> Position {
        Position {
            pos: LatLon::new(0.0, lon),
            time_ms: Some(t_s * 1000),
            speed_mps: None,
        }
    }

    fn check_close(got: f64, want: f64, tol: f64) {
        assert!((got - want).abs() <= tol, "got {got}, want {want} ± {tol}");
    }

    #[test]
    fn on_the_road_is_not_off_route() {
        let g = guide().update(at(0.10, 0)).unwrap();
        assert!(!g.off_route);
        check_close(g.off_route_m, 0.0, 1.0);
        check_close(g.along_m, 10.0 * M_PER_CENTIDEG, 5.0);
    }

    #[test]
    fn a_kilometre_beside_the_road_warns() {
        let mut gd = guide();
        let g = gd
            .update(Position {
                pos: LatLon::new(0.009, 0.2),
                time_ms: None,
                speed_mps: None,
            })
            .unwrap();
        assert!(g.off_route, "{} m off", g.off_route_m);
        check_close(g.off_route_m, 1_000.0, 10.0);
        check_close(g.on_route.lon, 0.2, 1e-6);
    }

    #[test]
    fn the_warning_threshold_is_configurable() {
        let mut gd = guide().with_off_route_warning_m(2_000.0);
        let g = gd
            .update(Position {
                pos: LatLon::new(0.009, 0.2),
                time_ms: None,
                speed_mps: None,
            })
            .unwrap();
        assert!(!g.off_route);
    }

    #[test]
    fn next_waypoint_and_next_fuel_are_ahead_only() {
        let g = guide().update(at(0.40, 0)).unwrap();
        assert_eq!(g.next_waypoint.map(|a| a.id), Some(2));
        assert_eq!(g.next_fuel.map(|a| a.id), Some(2));
        check_close(g.next_fuel.unwrap().ahead_m, 10.0 * M_PER_CENTIDEG, 5.0);
        let g = guide().update(at(0.60, 0)).unwrap();
        assert_eq!(g.next_fuel.map(|a| a.id), Some(3));
    }

    #[test]
    fn no_eta_from_a_single_fix() {
        let g = guide().update(at(0.10, 0)).unwrap();
        assert_eq!(g.avg_speed_mps, None);
        assert_eq!(g.eta_fuel_s, None);
    }

    #[test]
    fn eta_comes_from_recent_progress() {
        let mut gd = guide();
        // 0.01° (≈1112 m) per minute ≈ 18.5 m/s.
        for i in 0..=5 {
            gd.update(at(0.10 + f64::from(i) * 0.01, i64::from(i) * 60));
        }
        let g = gd.update(at(0.16, 360)).unwrap();
        let v = g.avg_speed_mps.unwrap();
        check_close(v, M_PER_CENTIDEG / 60.0, 0.2);
        // Fuel at 0.50 is 34 centidegrees ahead: 34 minutes.
        check_close(g.eta_fuel_s.unwrap(), 34.0 * 60.0, 30.0);
        // The campground at 0.30 is next: 14 minutes.
        assert_eq!(g.next_waypoint.map(|a| a.id), Some(1));
        check_close(g.eta_next_s.unwrap(), 14.0 * 60.0, 15.0);
    }

    #[test]
    fn old_progress_leaves_the_window() {
        let mut gd = guide();
        // Fast for a while, then slow for longer than the window: only the slow part counts.
        gd.update(at(0.00, 0));
        gd.update(at(0.20, 600));
        let slow_start_s = 600;
        for i in 1..=12 {
            gd.update(at(
                0.20 + f64::from(i) * 0.001,
                slow_start_s + i64::from(i) * 60,
            ));
        }
        let v = gd
            .update(at(0.213, slow_start_s + 13 * 60))
            .unwrap()
            .avg_speed_mps
            .unwrap();
        check_close(v, 0.1 * M_PER_CENTIDEG / 60.0, 0.1);
    }

    #[test]
    fn stopped_gives_no_eta() {
        let mut gd = guide();
        for i in 0..5 {
            gd.update(at(0.10, i * 30));
        }
        let g = gd.update(at(0.10, 150)).unwrap();
        assert_eq!(g.avg_speed_mps, None);
        assert_eq!(g.eta_fuel_s, None);
    }

    #[test]
    fn time_going_backwards_restarts_the_average() {
        let mut gd = guide();
        for i in 0..=5 {
            gd.update(at(0.10 + f64::from(i) * 0.01, i64::from(i) * 60));
        }
        // The log restarts an hour earlier: one fix of history is not enough for a speed.
        let g = gd.update(at(0.16, -3600)).unwrap();
        assert_eq!(g.avg_speed_mps, None);
        let g = gd.update(at(0.17, -3540)).unwrap();
        check_close(g.avg_speed_mps.unwrap(), M_PER_CENTIDEG / 60.0, 0.2);
    }

    #[test]
    fn receiver_speed_is_the_fallback() {
        let mut gd = guide();
        let g = gd
            .update(Position {
                pos: LatLon::new(0.0, 0.45),
                time_ms: None,
                speed_mps: Some(10.0),
            })
            .unwrap();
        check_close(g.eta_fuel_s.unwrap(), 5.0 * M_PER_CENTIDEG / 10.0, 5.0);
    }

    #[test]
    fn remaining_is_length_minus_along() {
        let g = guide().update(at(0.25, 0)).unwrap();
        check_close(g.remaining_m, 75.0 * M_PER_CENTIDEG, 10.0);
    }

    #[test]
    fn atlas_reference_names_a_page_and_cell() {
        let route = RouteLine::new(road()).unwrap();
        let spec = PageSpec::new(Paper::Letter, Orientation::Auto, 100_000).unwrap();
        let atlas = paginate(&spec, &road()).unwrap();
        let wpts = RouteWaypoints::new(&route, [], 2_000.0);
        let mut gd = Guide::new(route, wpts, Some(atlas));
        let (page, cell) = gd.update(at(0.0, 0)).unwrap().atlas_ref.unwrap();
        assert_eq!(page, 2, "the first map page follows the index");
        assert!(
            cell.len() >= 2 && cell.chars().next().unwrap().is_ascii_uppercase(),
            "{cell}"
        );
        let (last_page, _) = gd.update(at(1.0, 60)).unwrap().atlas_ref.unwrap();
        assert!(last_page > page);
    }

    #[test]
    fn next_campground_and_fuel_since_the_last_stop() {
        let g = guide().update(at(0.20, 0)).unwrap();
        assert_eq!(g.next_camp.map(|a| a.id), Some(1));
        check_close(g.since_fuel_m, 20.0 * M_PER_CENTIDEG, 5.0);
        // Past the fuel at 0.50: the tank counts from there.
        let g = guide().update(at(0.60, 0)).unwrap();
        assert_eq!(g.next_camp, None);
        check_close(g.since_fuel_m, 10.0 * M_PER_CENTIDEG, 5.0);
    }

    #[test]
    fn fuel_beyond_the_range_left_warns() {
        // At 0.60, 11 km since the fuel at 0.50; the next is 33 km ahead at 0.90.
        let g = guide().update(at(0.60, 0)).unwrap();
        assert!(!g.fuel_beyond_range(50_000.0));
        check_close(
            g.range_left_m(50_000.0),
            50_000.0 - 10.0 * M_PER_CENTIDEG,
            5.0,
        );
        assert!(g.fuel_beyond_range(40_000.0));
        // No fuel ahead: the route's end must be within range.
        let g = guide().update(at(0.95, 0)).unwrap();
        assert_eq!(g.next_fuel, None);
        assert!(!g.fuel_beyond_range(50_000.0));
        assert!(g.fuel_beyond_range(8_000.0));
    }

    #[test]
    fn the_next_waypoint_as_the_next_change() {
        let g = guide().update(at(0.20, 0)).unwrap();
        let next = g.next_waypoint.unwrap();
        let c = NextChange::from_waypoint(&next, "Camp Uno", Some(80.0));
        assert_eq!(c.onto, "Camp Uno");
        assert_eq!(c.turn.as_deref(), Some("E"));
        check_close(c.distance_m, 10.0 * M_PER_CENTIDEG, 5.0);
        check_close(c.along_m, 30.0 * M_PER_CENTIDEG, 5.0);
        assert_eq!(NextChange::from_waypoint(&next, "x", None).turn, None);
    }

    fn map_road(
        name: Option<&str>,
        ref_: Option<&str>,
        pts: &[(f64, f64)],
    ) -> crate::core::map::Road {
        crate::core::map::Road {
            osm: crate::core::map::OsmId::Way(1),
            highway: "secondary".into(),
            class: crate::core::map::RoadClass::Secondary,
            surface: crate::core::map::Surface::Paved,
            surface_tag: None,
            tracktype: None,
            smoothness: None,
            four_wd_only: false,
            access: None,
            motor_vehicle: None,
            name: name.map(String::from),
            ref_: ref_.map(String::from),
            bridge: false,
            tunnel: false,
            ford: false,
            oneway: 0,
            seasonal: false,
            drivable: true,
            max_scale: 1_000_000,
            geometry: pts.iter().map(|&(la, lo)| LatLon::new(la, lo)).collect(),
        }
    }

    #[test]
    fn the_road_under_the_position_by_ref_and_name() {
        let map = crate::core::map::MapData {
            roads: vec![
                map_road(
                    Some("Carretera General"),
                    Some("CG-2"),
                    &[(0.0, 0.0), (0.0, 0.01)],
                ),
                map_road(
                    Some("Carrer Nord"),
                    None,
                    &[(-0.001, 0.005), (0.001, 0.005)],
                ),
            ],
            ..Default::default()
        };
        let here = LatLon::new(0.0001, 0.003);
        assert_eq!(
            road_at(&map, here, None).as_deref(),
            Some("CG-2 Carretera General")
        );
        // At the crossing, the course decides.
        let x = LatLon::new(0.00005, 0.00502);
        assert_eq!(
            road_at(&map, x, Some(90.0)).as_deref(),
            Some("CG-2 Carretera General")
        );
        assert_eq!(road_at(&map, x, Some(0.0)).as_deref(), Some("Carrer Nord"));
        assert_eq!(
            road_at(&map, LatLon::new(0.01, 0.003), None),
            None,
            "a kilometre off"
        );
    }
}
