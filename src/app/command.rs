//! What the panels ask the app to do. Panels push [`Command`]s; only
//! [`super::NavApp::apply`] carries them out, so panels never touch the store or start I/O.

use std::path::PathBuf;

use crate::core::coords::{CoordFormat, Datum};
use crate::core::model::{LatLon, LineId, WaypointId, WaypointKind};

use super::files::BrowseCmd;
use super::garmin::GarminCmd;
use super::importer::ImportCmd;
use super::state::Units;

/// One request from the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Select a track or route (it becomes the route followed) and fit the map to it.
    SelectLine(LineId),
    /// Fit the map to the selected route.
    FitRoute,
    /// Zoom by `factor` (> 1 in) keeping the ground under `at_mm` (window mm) still; the
    /// window centre when `None`.
    Zoom {
        /// Zoom factor.
        factor: f64,
        /// The fixed point, window mm.
        at_mm: Option<[f64; 2]>,
    },
    /// Drag the map by this much, window mm (stops following).
    Pan([f64; 2]),
    /// The map window's size changed, mm.
    ResizeView((f64, f64)),
    /// Centre the map on a point (stops following).
    CenterOn(LatLon),
    /// Keep the GPS position centred, or not.
    SetFollow(bool),
    /// North up, or course up.
    SetNorthUp(bool),
    /// Show or hide a waypoint kind.
    ShowKind(WaypointKind, bool),
    /// Miles or kilometres.
    SetUnits(Units),
    /// Coordinate format.
    SetCoordFormat(CoordFormat),
    /// Coordinate datum.
    SetDatum(Datum),
    /// Full-tank range, metres.
    SetFuelRange(f64),
    /// Ring a waypoint on the map and show its details (`None` clears).
    Highlight(Option<WaypointId>),
    /// Highlight a waypoint and centre the map on it, zooming in if far out.
    ShowWaypoint(WaypointId),
    /// Import a GPX file (a folder: every `.gpx` in it) into the database in the background,
    /// then show it (same as `Imports(ImportCmd::Files { paths: vec![path], replace: false })`).
    Import(PathBuf),
    /// Start, cancel or dismiss a background import.
    Imports(ImportCmd),
    /// The file dialog: open one for a purpose, navigate, choose.
    Browse(BrowseCmd),
    /// Mounted Garmin units: tick files, import them, send a route.
    Garmin(GarminCmd),
    /// Stop the GPS source.
    StopGps,
}
