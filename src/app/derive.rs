//! What the app derives from the selected route: the route line and waypoint passes, the
//! atlas pages, logistics and the elevation profile. Long routes are derived on a worker
//! thread so the window keeps drawing; short ones inline (a few milliseconds).
//!
//! Not for state (see `app`); everything here is a function of its input, except
//! [`model_elevations`], which reads the terrain model for an input from the store.

use std::sync::mpsc::{self, Receiver};

use crate::core::along::{DEFAULT_CORRIDOR_M, RouteLine, RouteWaypoints};
use crate::core::atlas::paginate;
use crate::core::guidance::Guide;
use crate::core::logistics::{Logistics, LogisticsParams};
use crate::core::model::{LatLon, LineId, StoredWaypoint};
use crate::core::terrain::{ElevationOrigin, merge_elevations};
use crate::scene::view::ViewLine;
use crate::store::Store;

use super::book::AtlasSettings;

/// Routes with more points than this are derived on a worker thread.
pub const INLINE_MAX_POINTS: usize = 50_000;
/// The elevation profile keeps about this many points.
const PROFILE_POINTS: usize = 2_000;

/// Everything derived from a route for navigation.
#[derive(Debug, Clone)]
pub struct RouteNav {
    /// Position on the route, passes of waypoints, atlas and ETA.
    pub guide: Guide,
    /// Length, climbing and fuel/campground gaps.
    pub logistics: Logistics,
    /// Stretches of the route that are fuel gaps longer than the usable range, ready to draw.
    pub warnings: Vec<ViewLine>,
    /// (distance along, elevation) pairs, metres, thinned for plotting; empty without
    /// elevations.
    pub profile: Vec<[f64; 2]>,
    /// Where the profile's and the climb's elevations came from.
    pub elevation_origin: ElevationOrigin,
}

/// What a derivation needs, owned (it may run on another thread).
#[derive(Debug, Clone)]
pub struct DeriveInput {
    /// The line.
    pub id: LineId,
    /// Its path.
    pub path: Vec<LatLon>,
    /// Elevation of each path point, metres, NaN where unknown.
    pub elevations: Vec<f32>,
    /// Every waypoint.
    pub waypoints: Vec<StoredWaypoint>,
    /// Atlas layout.
    pub atlas: AtlasSettings,
    /// Full-tank range, metres, and the reserve share.
    pub fuel: (f64, f64),
    /// The terrain model's elevation at each path point and the model's name, when the line
    /// lacks some elevations and a model is stored ([`model_elevations`]).
    pub model: Option<(Vec<Option<f32>>, String)>,
}

/// The terrain model's elevations along `path`, read when some of `elevations` are unknown
/// (NaN) and a model covers any point; `None` otherwise (or when the store fails: the route
/// is then shown with what the file has).
pub fn model_elevations(
    store: &Store,
    path: &[LatLon],
    elevations: &[f32],
) -> Option<(Vec<Option<f32>>, String)> {
    if !elevations.iter().any(|e| e.is_nan()) {
        return None;
    }
    let (values, source) = store.elevations(path).ok()?;
    Some((values, source?.label()))
}

/// Derives the route's navigation data; the error says why the route cannot be followed.
pub fn derive(input: DeriveInput) -> Result<RouteNav, String> {
    let DeriveInput {
        path,
        elevations,
        waypoints,
        atlas: settings,
        fuel,
        model,
        ..
    } = input;
    let route = RouteLine::new(path).map_err(|e| e.to_string())?;
    let passes = RouteWaypoints::from_stored(&route, &waypoints, DEFAULT_CORRIDOR_M);
    drop(waypoints);
    // A route the atlas cannot page is still followed; the pages are just missing.
    let atlas = settings
        .spec()
        .and_then(|spec| paginate(&spec, route.points()))
        .ok();
    let recorded: Vec<Option<f64>> = elevations
        .into_iter()
        .map(|e| Some(f64::from(e)).filter(|e| e.is_finite()))
        .collect();
    // Recorded elevations stay; the points without get the terrain model's.
    let (merged, elevation_origin) = merge_elevations(
        &recorded,
        model
            .as_ref()
            .map(|(v, name)| (v.as_slice(), name.as_str())),
    );
    drop(recorded);
    let merged_f32: Vec<f32> = merged
        .iter()
        .map(|e| e.map_or(f32::NAN, |v| v as f32))
        .collect();
    let profile = profile(route.chainage_m(), &merged_f32);
    let base = Logistics::compute(
        &route,
        merged.iter().copied(),
        &passes,
        &LogisticsParams::default(),
    );
    let mut nav = RouteNav {
        guide: Guide::new(route, passes, atlas),
        logistics: base,
        warnings: Vec::new(),
        profile,
        elevation_origin,
    };
    apply_fuel(&mut nav, fuel);
    Ok(nav)
}

/// Recomputes the fuel gaps and their warnings for a range and reserve.
pub fn apply_fuel(nav: &mut RouteNav, (range_m, reserve): (f64, f64)) {
    let params = LogisticsParams {
        range_m: Some(range_m),
        reserve,
        ..LogisticsParams::default()
    };
    let route = nav.guide.route();
    let mut logistics = Logistics::compute(route, Vec::new(), nav.guide.waypoints(), &params);
    // Keep the elevation figures computed from the real profile.
    logistics.elevation = nav.logistics.elevation;
    nav.warnings = logistics
        .fuel_gaps
        .iter()
        .filter(|g| g.exceeds_limit)
        .map(|g| ViewLine::new(stretch(route, g.start_along_m, g.end_along_m)))
        .collect();
    nav.logistics = logistics;
}

/// Runs [`derive`] on a worker thread.
pub fn spawn(input: DeriveInput) -> Receiver<(LineId, Result<RouteNav, String>)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let id = input.id;
        let _ = tx.send((id, derive(input)));
    });
    rx
}

/// (along, elevation) at about [`PROFILE_POINTS`] evenly spaced samples (each the highest
/// point of its stretch, so summits survive thinning).
fn profile(chainage_m: &[f64], elevations: &[f32]) -> Vec<[f64; 2]> {
    let pairs: Vec<[f64; 2]> = chainage_m
        .iter()
        .zip(elevations)
        .filter(|(_, e)| e.is_finite())
        .map(|(a, e)| [*a, f64::from(*e)])
        .collect();
    if pairs.len() <= PROFILE_POINTS {
        return pairs;
    }
    let step = pairs.len().div_ceil(PROFILE_POINTS);
    pairs
        .chunks(step)
        .filter_map(|c| c.iter().copied().max_by(|a, b| a[1].total_cmp(&b[1])))
        .collect()
}

/// The part of `route` between two chainages, as a path.
fn stretch(route: &RouteLine, from_m: f64, to_m: f64) -> Vec<LatLon> {
    route
        .points()
        .iter()
        .zip(route.chainage_m())
        .filter(|(_, a)| **a >= from_m - 1.0 && **a <= to_m + 1.0)
        .map(|(p, _)| *p)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_keeps_summits_when_thinning() {
        let n = 10_000;
        let chain: Vec<f64> = (0..n).map(|i| f64::from(i) * 10.0).collect();
        let ele: Vec<f32> = (0..n)
            .map(|i| if i == 4321 { 3000.0 } else { 100.0 })
            .collect();
        let p = profile(&chain, &ele);
        assert!(p.len() <= PROFILE_POINTS);
        assert!(p.iter().any(|q| q[1] == 3000.0 && q[0] == 43_210.0));
        assert!(profile(&chain, &vec![f32::NAN; n as usize]).is_empty());
    }
}
