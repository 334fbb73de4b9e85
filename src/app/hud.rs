//! The heads-up display's values: what a driver needs at a glance, taken from the last fix,
//! its [`Guidance`](crate::core::guidance::Guidance) and the map data, as plain numbers and
//! names; `ui::hud` only formats and draws them.
//!
//! Not for navigation maths (that is `core::guidance`, reused here, never redone).

use crate::core::geodesy::bearing_deg;
use crate::core::guidance::{NextChange, road_at};
use crate::core::model::WaypointId;
use crate::core::roadbook::CueWhat;

use super::Model;

/// A stop ahead on the route (fuel, campground).
#[derive(Debug, Clone, PartialEq)]
pub struct HudStop {
    /// The waypoint.
    pub id: WaypointId,
    /// Its display name (`· OSM` after a map POI).
    pub name: String,
    /// Distance still to drive to it along the route, metres.
    pub distance_m: f64,
    /// Time to it at the recent average speed, seconds.
    pub eta_s: Option<f64>,
}

/// Off the route: how far, and which way back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OffRoute {
    /// Distance to the closest point of the route, metres.
    pub distance_m: f64,
    /// Bearing to it, degrees.
    pub bearing_deg: f64,
}

/// Everything the heads-up display shows; built by [`Hud::of`] after each fix.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hud {
    /// The road being driven, where map data is loaded around the position.
    pub road: Option<String>,
    /// The next change of road, else the next waypoint (see [`next_change`]).
    pub next_change: Option<NextChange>,
    /// The next fuel ahead.
    pub fuel: Option<HudStop>,
    /// True when the next fuel (or the route's end, without fuel ahead) lies beyond the range
    /// left since the last fuel passed.
    pub fuel_beyond_range: bool,
    /// Range left (range less reserve, less what was driven since the last fuel), metres.
    pub range_left_m: Option<f64>,
    /// The next campground ahead.
    pub camp: Option<HudStop>,
    /// Atlas page and grid cell of the position.
    pub atlas_ref: Option<(u32, String)>,
    /// Speed over ground, m/s.
    pub speed_mps: Option<f64>,
    /// Course over ground, degrees.
    pub course_deg: Option<f64>,
    /// Set while off the route.
    pub off_route: Option<OffRoute>,
}

/// The road being driven, from the roadbook (the cue at or before here), when on the route.
fn road_here(model: &Model) -> Option<String> {
    let g = model.guidance.as_ref().filter(|g| !g.off_route)?;
    let rr = model.route_roads.as_ref()?;
    let i = rr.cues.partition_point(|c| c.at_m <= g.along_m);
    let c = rr.cues.get(i.checked_sub(1)?)?;
    (!c.road.is_empty()).then(|| c.road.clone())
}

/// The next change the driver acts on: the next change of road from the roadbook where the
/// map has the route's roads, else the next waypoint ahead with its direction by air.
pub fn next_change(model: &Model) -> Option<NextChange> {
    let g = model.guidance.as_ref()?;
    // The next change of road from the roadbook where the map has the route's roads.
    if let Some(rr) = &model.route_roads
        && let Some(c) = rr.cues.iter().find(|c| c.at_m > g.along_m + 1.0)
    {
        return Some(NextChange {
            along_m: c.at_m,
            distance_m: c.at_m - g.along_m,
            turn: match c.what {
                CueWhat::Turn(t) => Some(t.words().to_string()),
                _ => None,
            },
            onto: if c.road.is_empty() {
                c.text()
            } else {
                c.road.clone()
            },
        });
    }
    let next = g.next_waypoint.as_ref()?;
    let here = model.gps.fix?.pos;
    let bearing = model
        .waypoint(next.id)
        .map(|w| bearing_deg(here, w.wpt.pos));
    Some(NextChange::from_waypoint(
        next,
        &model.waypoint_label(next.id),
        bearing,
    ))
}

impl Hud {
    /// The display for the model's last fix; `None` without a fix.
    pub fn of(model: &Model) -> Option<Hud> {
        let fix = model.gps.fix?;
        let g = model.guidance.as_ref();
        let stop = |a: Option<&crate::core::along::Ahead>, eta: Option<f64>| {
            a.map(|a| HudStop {
                id: a.id,
                name: model.waypoint_label(a.id),
                distance_m: a.ahead_m,
                eta_s: eta,
            })
        };
        let usable = model.prefs.usable_range_m();
        Some(Hud {
            road: road_here(model)
                .or_else(|| road_at(&model.map_view.data, fix.pos, fix.course_deg)),
            next_change: next_change(model),
            fuel: g.and_then(|g| stop(g.next_fuel.as_ref(), g.eta_fuel_s)),
            fuel_beyond_range: g.is_some_and(|g| g.fuel_beyond_range(usable)),
            range_left_m: g.map(|g| g.range_left_m(usable)),
            camp: g.and_then(|g| stop(g.next_camp.as_ref(), g.eta_camp_s)),
            atlas_ref: g.and_then(|g| g.atlas_ref.clone()),
            speed_mps: fix.speed_mps,
            course_deg: fix.course_deg,
            off_route: g.filter(|g| g.off_route).map(|g| OffRoute {
                distance_m: g.off_route_m,
                bearing_deg: bearing_deg(fix.pos, g.on_route),
            }),
        })
    }
}
