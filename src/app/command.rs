//! What the panels ask the app to do. Panels push [`Command`]s; only
//! [`super::NavApp::apply`] carries them out, so panels never touch the store or start I/O.

use std::path::PathBuf;

use crate::core::coords::{CoordFormat, Datum};
use crate::core::model::{LatLon, LineId, WaypointId, WaypointKind};

use super::book::{AtlasSettings, PrintSettings};
use super::files::BrowseCmd;
use super::garmin::GarminCmd;
use super::importer::ImportCmd;
use super::state::{Layout, Mode, Theme, Units};

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
    /// Show the map or the atlas book.
    SetMode(Mode),
    /// Show this page of the book (1 = index).
    TurnPage(u32),
    /// Show or hide a line on the map.
    ShowLine(LineId, bool),
    /// Measure nearest from this point (`None`: from the GPS or the map centre again).
    Pick(Option<LatLon>),
    /// Night theme on or off (the Night or Day choice).
    SetNight(bool),
    /// Day, Night, or Auto (by the sun at the position).
    SetTheme(Theme),
    /// The driving layout (map alone), the panels, or automatic.
    SetLayout(Layout),
    /// Truck mode (large text, touch-size controls) on or off.
    SetTruck(bool),
    /// Atlas page frames over the map on or off.
    SetShowFrames(bool),
    /// Lat/long graticule on or off.
    SetGraticule(bool),
    /// Which map layers are drawn.
    SetLayers(crate::scene::layers::MapLayers),
    /// The waypoint list's name filter.
    SetSearch(String),
    /// The distance along the route hovered in the elevation profile.
    ProfileHover(Option<f64>),
    /// Keyboard help on or off.
    ShowHelp(bool),
    /// Page layout (paper, orientation, scale) of the atlas shown and printed.
    SetAtlas(AtlasSettings),
    /// Open the print dialog.
    OpenPrint,
    /// Change the print dialog's settings.
    EditPrint(PrintSettings),
    /// Close the print dialog.
    ClosePrint,
    /// Write the PDF with the dialog's settings (on a worker thread).
    Print,
    /// Open a file with the system's viewer.
    OpenFile(PathBuf),
    /// Open an MBTiles file (raster PNG/JPEG tiles) as the basemap, replacing the open one.
    OpenBasemap(PathBuf),
    /// Close the basemap (back to the plain map with its graticule).
    CloseBasemap,
}
