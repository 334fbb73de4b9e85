//! Navigation on real files: nearest fuel, what is ahead on a ridden track, fuel gaps.
//!
//! The fixtures are parsed with the `gpx` crate here (the project's importer is tested on its
//! own); kinds come from the Garmin `<sym>` the riders used.

use std::io::BufReader;
use std::path::Path;

use trailatlas::core::along::{DEFAULT_CORRIDOR_M, RouteLine, RouteWaypoints};
use trailatlas::core::logistics::{GapEnd, Logistics, LogisticsParams, M_PER_MILE};
use trailatlas::core::model::{LatLon, WaypointId, WaypointKind};
use trailatlas::core::nearest::WaypointIndex;

use crate::support;

struct Fixture {
    gpx: gpx::Gpx,
}

impl Fixture {
    fn open(name: &str) -> Option<Fixture> {
        let path = support::real_fixtures()?.join(name);
        Some(Fixture { gpx: read(&path) })
    }

    /// Waypoints as `(index, position, kind)`; the index doubles as the id.
    fn waypoints(&self) -> Vec<(WaypointId, LatLon, WaypointKind)> {
        self.gpx
            .waypoints
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let p = w.point();
                (i as WaypointId, LatLon::new(p.y(), p.x()), kind_of(w.symbol.as_deref()))
            })
            .collect()
    }

    fn name(&self, id: WaypointId) -> &str {
        self.gpx.waypoints.get(id as usize).and_then(|w| w.name.as_deref()).unwrap_or("?")
    }

    fn id(&self, name: &str) -> WaypointId {
        self.gpx.waypoints.iter().position(|w| w.name.as_deref() == Some(name)).unwrap() as WaypointId
    }

    fn track(&self, name: &str) -> RouteLine {
        let t = self.gpx.tracks.iter().find(|t| t.name.as_deref() == Some(name)).unwrap();
        let pts = t.segments.iter().flat_map(|s| &s.points).map(|w| LatLon::new(w.point().y(), w.point().x()));
        RouteLine::new(pts.collect()).unwrap()
    }
}

fn read(path: &Path) -> gpx::Gpx {
    gpx::read(BufReader::new(std::fs::File::open(path).unwrap())).unwrap()
}

fn kind_of(sym: Option<&str>) -> WaypointKind {
    match sym {
        Some("Gas Station") => WaypointKind::Fuel,
        Some("Campground") => WaypointKind::Campground,
        Some("Lodging") => WaypointKind::Lodging,
        Some("Restaurant") => WaypointKind::Food,
        Some("Restroom") => WaypointKind::Services,
        Some("Scenic Area") => WaypointKind::Viewpoint,
        _ => WaypointKind::Other,
    }
}

#[test]
fn basecamp_fuel_ahead_from_the_start_is_guerneville_then_bodega_bay() {
    let Some(f) = Fixture::open("gpxtr-basecamp.gpx") else { return };
    let track = f.track("Fort Ross Run tk");
    let passes = RouteWaypoints::new(&track, f.waypoints(), DEFAULT_CORRIDOR_M);
    let start = track.points()[0];
    let (here, ahead) = passes.ahead_of(&track, start, None, &[WaypointKind::Fuel], 5).unwrap();
    assert_eq!(here.along_m, 0.0);
    let names: Vec<&str> = ahead.iter().map(|a| f.name(a.id)).collect();
    assert_eq!(names, ["76 Guerneville", "76 Bodega Bay"]);
    assert!(ahead.iter().all(|a| a.off_route_m < 100.0), "{ahead:?}");
}

#[test]
fn basecamp_stops_are_passed_in_the_order_the_route_visits_them() {
    let Some(f) = Fixture::open("gpxtr-basecamp.gpx") else { return };
    let track = f.track("Fort Ross Run tk");
    // The route's via points that are also waypoints, in route order.
    let route_order: Vec<WaypointId> = f.gpx.routes[0]
        .points
        .iter()
        .filter_map(|p| p.name.as_deref())
        .filter(|n| f.gpx.waypoints.iter().any(|w| w.name.as_deref() == Some(*n)))
        .map(|n| f.id(n))
        .collect();
    assert_eq!(route_order.len(), 8);
    // A tight corridor: the passes come in route order, except that the rider rode past
    // 76 Guerneville to Pat's (160 m on) and came back to the pump: two passes.
    let passes = RouteWaypoints::new(&track, f.waypoints(), 150.0);
    let by_along: Vec<WaypointId> = passes.all_passes().iter().map(|p| p.id).collect();
    let names: Vec<&str> = by_along.iter().map(|id| f.name(*id)).collect();
    assert_eq!(
        names,
        [
            "Peet's Coffee Northgate Mall",
            "Nicasio Square",
            "76 Guerneville",
            "Pat's International",
            "76 Guerneville",
            "Willy's America",
            "76 Bodega Bay",
            "Point Reyes Station",
            "Starbucks Strawberry Village"
        ]
    );
    let mut rest = by_along.iter();
    assert!(route_order.iter().all(|id| rest.any(|p| p == id)), "route order is a subsequence");
}

#[test]
fn basecamp_track_length_and_hinted_locate_follow_the_ride() {
    let Some(f) = Fixture::open("gpxtr-basecamp.gpx") else { return };
    let track = f.track("Fort Ross Run tk");
    assert!((300_000.0..330_000.0).contains(&track.length_m()), "{}", track.length_m());
    // Replaying the ride point by point with the previous position as the hint never jumps
    // backwards by more than a few metres, even around Nicasio Square, which the ride circles
    // (point 329 lies exactly on the route 170 m earlier too; without the hint it jumps back).
    let mut hint = None;
    for (i, p) in track.points().iter().enumerate().step_by(3) {
        let l = track.locate(*p, hint).unwrap();
        if let Some(h) = hint {
            assert!(l.along_m >= h - 5.0, "point {i}: {} after {h}", l.along_m);
        }
        assert!(l.off_route_m < 1.0, "point {i}: {l:?}");
        hint = Some(l.along_m);
    }
}

#[test]
fn ich_north_nearest_fuel_to_arcata_is_a_gas_station_nearby() {
    let Some(f) = Fixture::open("gpxtr-ich-north-4.gpx") else { return };
    let wpts = f.waypoints();
    assert_eq!(wpts.iter().filter(|w| w.2 == WaypointKind::Fuel).count(), 20);
    let index = WaypointIndex::new(wpts.iter().copied());
    let arcata = LatLon::new(40.8665, -124.0828);
    let near = index.nearest(arcata, &[WaypointKind::Fuel], 3);
    assert_eq!(near.len(), 3);
    assert!(near.windows(2).all(|w| w[0].distance_m <= w[1].distance_m));
    assert!(near.iter().all(|n| n.kind == WaypointKind::Fuel));
    // Brute force over the file agrees.
    let mut brute: Vec<(f64, WaypointId)> = wpts
        .iter()
        .filter(|w| w.2 == WaypointKind::Fuel)
        .map(|w| (trailatlas::core::geodesy::distance_m(arcata, w.1), w.0))
        .collect();
    brute.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    assert_eq!(near.iter().map(|n| n.id).collect::<Vec<_>>(), brute.iter().take(3).map(|b| b.1).collect::<Vec<_>>());
}

#[test]
fn ich_north_day_one_fuel_gaps_cover_the_day_and_fit_a_250_mile_tank() {
    let Some(f) = Fixture::open("gpxtr-ich-north-4.gpx") else { return };
    let day1 = f.track("D1 Arcata 361 miles");
    let miles = day1.length_m() / M_PER_MILE;
    assert!((340.0..380.0).contains(&miles), "{miles}");
    let passes = RouteWaypoints::new(&day1, f.waypoints(), DEFAULT_CORRIDOR_M);
    let params = LogisticsParams { range_m: Some(250.0 * M_PER_MILE), reserve: 0.15, ..Default::default() };
    let l = Logistics::compute(&day1, std::iter::empty(), &passes, &params);
    let gaps = &l.fuel_gaps;
    assert!(gaps.len() >= 3, "{gaps:?}");
    assert_eq!(gaps.first().map(|g| g.from), Some(GapEnd::Start));
    assert_eq!(gaps.last().map(|g| g.to), Some(GapEnd::End));
    let total: f64 = gaps.iter().map(|g| g.gap_m).sum();
    assert!((total - day1.length_m()).abs() < 1e-6);
    assert!(gaps.iter().all(|g| g.gap_m >= 0.0 && !g.exceeds_limit), "{gaps:?}");
    // A 100-mile tank with 15 % reserve does not make it.
    let small = LogisticsParams { range_m: Some(100.0 * M_PER_MILE), reserve: 0.15, ..Default::default() };
    let l = Logistics::compute(&day1, std::iter::empty(), &passes, &small);
    assert!(l.fuel_gaps.iter().any(|g| g.exceeds_limit), "{:?}", l.fuel_gaps);
    assert_eq!(l.elevation.max_ele_m, None);
}
