//! The desktop app: [`NavApp`] owns the store, the GPS feed and the [`Model`] the panels read.
//!
//! Each frame: [`NavApp::poll`] drains GPS events; [`NavApp::frame_ui`] lays out the panels
//! (in `crate::ui`), which read the model and push [`Command`]s; the app then applies them.
//! Only this module changes state, and only through commands and GPS events.
//!
//! Not for drawing (see `ui`, `scene::view`, `render::egui`) nor for navigation maths (see
//! `core::guidance`, `core::nearest`, `core::along`, `core::logistics`).

pub mod basemap;
pub mod book;
pub mod command;
pub mod derive;
pub mod files;
pub mod garmin;
pub mod hud;
pub mod importer;
pub mod mapload;
pub mod state;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use eframe::egui;

use crate::core::along::Ahead;
use crate::core::geodesy::distance_m;
use crate::core::guidance::{Guidance, Position};
use crate::core::model::{
    BBox, LatLon, LineId, LineKind, StoredWaypoint, Waypoint, WaypointId, WaypointKind,
};
use crate::core::nearest::{Nearest, WaypointIndex};
use crate::gps::recorder::{Recorder, SystemClock};
use crate::gps::{Fix, GpsEvent, SourceHandle, SourceStatus};
use crate::render::atlas::book_page;
use crate::scene::build::{SceneData, SceneOptions};
use crate::scene::view::{
    LayerKey, LayerSource, PageFrame, ViewData, ViewLine, ViewLineRef, ViewPosition, ViewSpec,
    build_view_scene_from, build_view_scene_reusing,
};
use crate::scene::{Color, Scene, theme};
use crate::store::LineSummary;
use crate::store::Store;

use book::{BookView, PrintDialog, PrintJob, PrintSettings, PrintState};
pub use command::Command;
use derive::{DeriveInput, RouteNav};
pub use state::{Layout, Mode, Prefs, Theme, Units};

/// Lines are loaded for drawing up to this many points in all.
const MAX_CONTEXT_POINTS: usize = 5_000_000;
/// Breadcrumbs closer than this to the previous one are skipped, metres.
const BREADCRUMB_STEP_M: f64 = 5.0;
/// At most this many GPS events are handled per frame (the rest wait for the next).
const MAX_EVENTS_PER_FRAME: usize = 2_000;
/// Below this speed the course is noise: heading-up keeps the last rotation, m/s.
const COURSE_MIN_MPS: f64 = 1.0;
/// Receiver error per unit of HDOP, metres (a typical consumer GPS UERE).
const UERE_M: f64 = 5.0;
/// Space left around a fitted route, mm.
const FIT_MARGIN_MM: f64 = 6.0;
/// Zoom the first followed fix goes to, metres per mm (a 150 mm map shows about 15 km).
const DRIVING_M_PER_MM: f64 = 100.0;
/// How often changed prefs (and the map view) are written to the prefs file.
const PREFS_SAVE_EVERY: Duration = Duration::from_secs(5);
/// Zoom used when centring on a waypoint, metres per mm.
const WAYPOINT_ZOOM_M_PER_MM: f64 = 40.0;
/// How many nearest waypoints of each kind are listed.
pub const NEAREST_PER_KIND: usize = 2;
/// How many waypoints ahead on the route are listed.
pub const AHEAD_COUNT: usize = 5;
/// Kinds listed in the nearest panel.
pub const NEAREST_KINDS: [WaypointKind; 3] = [
    WaypointKind::Fuel,
    WaypointKind::Campground,
    WaypointKind::Checkpoint,
];

/// A track, route or drive ready to draw.
#[derive(Debug, Clone)]
pub struct LineGeom {
    /// Which line.
    pub id: LineId,
    /// Its points at every level of detail (shared with the map layer's worker).
    pub line: std::sync::Arc<ViewLine>,
    /// Its GPX display colour.
    pub color: Option<Color>,
    /// Elevation of each point, metres, NaN where unknown (kept for the route's profile;
    /// f32 is centimetre-exact at any height and a quarter of `Option<f64>`).
    pub elevations: Vec<f32>,
}

/// What the map says of the selected route's roads (`store::route_match`).
#[derive(Debug, Clone, PartialEq)]
pub struct RouteRoads {
    /// Road cues in route order.
    pub cues: Vec<crate::core::roadbook::RoadCue>,
    /// Metres per surface class.
    pub surface: crate::core::roadbook::Breakdown,
    /// The tactical overview (sections at fuel stops, against the prefs' fuel range).
    pub overview: crate::core::overview::Overview,
}

impl RouteRoads {
    /// The route's roads matched on the map (stored, or matched now), `None` without map
    /// data or when the store fails (the route is then shown without).
    pub fn load(
        store: &mut Store,
        id: LineId,
        points: &[LatLon],
        elevations: &[Option<f64>],
        waypoints: &[crate::core::model::StoredWaypoint],
        range_m: Option<f64>,
        units: Units,
    ) -> Option<RouteRoads> {
        if store.map_files().ok()?.is_empty() || points.len() < 2 {
            return None;
        }
        let mut chainage = Vec::with_capacity(points.len());
        let mut acc = 0.0;
        for (i, p) in points.iter().enumerate() {
            if i > 0 {
                acc += distance_m(points[i - 1], *p);
            }
            chainage.push(acc);
        }
        let m = store.route_match(id, points, &chainage).ok()?;
        // The stops passed, once per visit (a winding road passes one many times).
        let line = crate::core::along::RouteLine::new(points.to_vec()).ok()?;
        let passes = crate::core::along::RouteWaypoints::from_stored(
            &line,
            waypoints,
            crate::core::along::DEFAULT_CORRIDOR_M,
        );
        let names: HashMap<_, _> = waypoints.iter().map(|w| (w.id, &w.wpt.name)).collect();
        let stops = crate::core::overview::stops_from_passes(passes.all_passes(), |id| {
            names.get(&id).and_then(|n| (*n).clone())
        });
        // Flat ground beside the route, from the elevation model when there is one.
        let flat = store
            .flat_spots(line.points(), line.chainage_m())
            .ok()
            .flatten();
        let overview = crate::core::overview::Overview::compute(
            crate::core::overview::OverviewInput {
                chainage_m: line.chainage_m(),
                elevations_m: elevations,
                stretches: &m.stretches,
                roads: &m.roads,
                stops: &stops,
                flat_at_m: flat.as_deref(),
            },
            &crate::core::overview::OverviewParams {
                range_m,
                units,
                ..Default::default()
            },
        );
        Some(RouteRoads {
            cues: crate::core::roadbook::road_cues(&m.stretches, &m.roads),
            surface: crate::core::roadbook::breakdown(&m.stretches, &m.roads, 0.0, acc),
            overview,
        })
    }
}

/// The route being followed, with everything derived from it.
#[derive(Debug, Clone)]
pub struct SelectedRoute {
    /// Its summary (name, kind, length).
    pub summary: LineSummary,
    /// Navigation data; `None` while a long route is still being derived, or when it cannot
    /// be followed.
    pub nav: Option<RouteNav>,
}

impl SelectedRoute {
    /// The display name.
    pub fn name(&self) -> String {
        line_name(&self.summary)
    }
}

/// The live GPS state.
#[derive(Debug, Clone, Default)]
pub struct GpsState {
    /// What the source is (`replay data/…`), while one is attached.
    pub source: Option<String>,
    /// The last fix.
    pub fix: Option<Fix>,
    /// Where the GPS has been this session.
    pub breadcrumbs: Vec<LatLon>,
    /// Fixes received.
    pub fixes: u64,
    /// The last connection message.
    pub status: String,
}

/// Where nearest and ahead are measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HereFrom {
    /// The GPS position.
    Gps,
    /// A point picked on the map.
    Picked,
    /// The map centre.
    Centre,
}

impl HereFrom {
    /// "from GPS", for panel headings.
    pub fn label(self) -> &'static str {
        match self {
            HereFrom::Gps => "from GPS",
            HereFrom::Picked => "from the picked point",
            HereFrom::Centre => "from map centre",
        }
    }
}

/// Where nearest and ahead are measured from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Here {
    /// The point.
    pub pos: LatLon,
    /// What the point is.
    pub from: HereFrom,
}

/// A nearest waypoint, with how far ahead along the route it is (when the route passes it
/// ahead of here).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NearestRow {
    /// Distance and bearing by air.
    pub nearest: Nearest,
    /// Distance still to drive along the route to its next pass, metres.
    pub ahead_m: Option<f64>,
}

/// The map features loaded for the view: a box around what the window shows, at a scale
/// near the view's, reloaded when the view leaves the box or zooms past half or twice it.
#[derive(Debug, Clone, Default)]
pub struct MapView {
    /// The ground loaded.
    pub bbox: Option<BBox>,
    /// The scale denominator it was loaded for.
    pub scale_denom: u32,
    /// The features.
    pub data: std::sync::Arc<crate::core::map::MapData>,
    /// Hillshade and contours over the same box, where an elevation model covers it.
    pub terrain: Option<std::sync::Arc<crate::core::terrain::cache::TerrainTile>>,
    /// [`Model::map_generation`] when it was asked for.
    pub generation: u64,
}

impl MapView {
    /// True when this load serves `view`.
    fn covers(&self, view: &BBox, scale_denom: f64) -> bool {
        serves(self.bbox, self.scale_denom, view, scale_denom)
    }
}

/// How much closer than the view the map is loaded for (a zoom step).
const LOAD_STEP: f64 = 1.25;

/// True when a load of `bbox` for 1:`loaded_denom` serves a view of `view` at 1:`scale_denom`:
/// it holds the view, and the view is no closer than the load (what shows at the view's scale
/// was loaded: every feature down to its threshold) nor more than 2.5 times further out (the
/// load would carry far more than the view shows).
fn serves(bbox: Option<BBox>, loaded_denom: u32, view: &BBox, scale_denom: f64) -> bool {
    bbox.is_some_and(|b| {
        b.contains(LatLon::new(view.min_lat, view.min_lon))
            && b.contains(LatLon::new(view.max_lat, view.max_lon))
    }) && {
        let r = scale_denom / f64::from(loaded_denom.max(1));
        (1.0..=2.5).contains(&r)
    }
}

/// The map layer built for the view, with the loaded data it was built from held alive (the
/// layer knows its data by address, which must not be reused while it is cached).
#[derive(Debug, Clone, Default)]
pub struct LayerCache {
    layer: Option<std::sync::Arc<crate::scene::view::MapLayer>>,
    from: Option<MapView>,
    /// The worker that builds layers (with a database file, as the map loader); without
    /// one a frame builds its layer itself.
    builder: Option<mapload::LayerBuilder>,
}

impl LayerCache {
    /// Takes the newest layer the worker finished, if any.
    fn take_built(&mut self) {
        if let Some(b) = self.builder.as_mut().and_then(|b| b.take()) {
            self.layer = Some(b.layer);
            self.from = Some(b.view);
        }
    }

    /// True while the worker builds a layer.
    pub fn pending(&self) -> bool {
        self.builder.as_ref().is_some_and(|b| b.pending())
    }
}

/// Everything the panels read. Only [`NavApp`] writes it.
#[derive(Debug, Clone)]
pub struct Model {
    /// Display choices.
    pub prefs: Prefs,
    /// Map or atlas book.
    pub mode: Mode,
    /// Tracks, routes and drives in the store.
    pub lines: Vec<LineSummary>,
    /// Every waypoint: GPX waypoints, then the OSM POIs of imported map data that no GPX
    /// waypoint of the same kind stands for within 50 m (negative ids; see
    /// `core::map::merge`).
    pub waypoints: Vec<StoredWaypoint>,
    /// The imported OpenStreetMap files (the side panel says what map data is loaded).
    pub map_files: Vec<crate::store::MapFileInfo>,
    by_id: HashMap<WaypointId, usize>,
    index: WaypointIndex,
    /// Lines ready to draw.
    pub geoms: Vec<LineGeom>,
    /// Lines the user hid from the map.
    pub hidden: BTreeSet<LineId>,
    /// The route followed.
    pub selected: Option<SelectedRoute>,
    /// The map window.
    pub view: ViewSpec,
    /// GPS.
    pub gps: GpsState,
    /// Guidance from the last fix on the selected route.
    pub guidance: Option<Guidance>,
    /// The selected route's roads from the map: road cues and surface; `None` without map
    /// data (or before a route is selected).
    pub route_roads: Option<RouteRoads>,
    /// A point picked on the map to measure nearest from.
    pub picked: Option<LatLon>,
    /// Where nearest and ahead are measured from.
    pub here: Option<Here>,
    /// Nearest waypoints by kind from `here`.
    pub nearest: Vec<(WaypointKind, Vec<NearestRow>)>,
    /// Waypoints ahead on the route from `here` (shown kinds).
    pub ahead: Vec<Ahead>,
    /// `here` on the route: distance from the start and off the route, metres.
    pub here_on_route: Option<(f64, f64)>,
    /// Atlas page and grid cell of `here`.
    pub atlas_ref: Option<(u32, String)>,
    /// Waypoint ringed on the map.
    pub highlighted: Option<WaypointId>,
    /// Distance along the route hovered in the elevation profile, metres.
    pub profile_at: Option<f64>,
    /// The waypoint list's name filter.
    pub search: String,
    /// The atlas book view.
    pub book: BookView,
    /// The print dialog, while open.
    pub print: Option<PrintDialog>,
    /// The keyboard help, while open.
    pub help: bool,
    /// The last message for the status line.
    pub status: String,
    /// The basemap: the opened file, its counts and the tiles to draw.
    pub basemap: basemap::BasemapView,
    /// The stored map's features around the view, at its scale.
    pub map_view: MapView,
    /// Bumped when the stored map or the terrain layers change: a view loaded for an older
    /// generation is drawn until a new one arrives, but loaded again.
    pub map_generation: u64,
    /// The map's layers as last built for the view, reused while it pans (see
    /// `scene::view::MapLayer`).
    pub map_layer: std::cell::RefCell<LayerCache>,
    /// The import running or just finished (progress, per-file results).
    pub import_job: Option<importer::ImportJob>,
    /// The open file dialog.
    pub file_dialog: Option<files::FileDialog>,
    /// Mounted Garmin units and their files.
    pub garmin: garmin::GarminView,
    /// The night palette is on (the theme choice, and for Auto the sun at the position).
    pub night: bool,
    /// The heads-up display's values from the last fix.
    pub hud: Option<hud::Hud>,
}

/// The display name of a line.
pub fn line_name(l: &LineSummary) -> String {
    l.name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("{} {}", l.kind.as_str(), l.id))
}

impl Model {
    /// Where a waypoint came from: `GPX` or `OSM` (an imported map file's POI).
    pub fn waypoint_source(&self, id: WaypointId) -> &'static str {
        if crate::core::map::merge::osm_of_waypoint_id(id).is_some() {
            "OSM"
        } else {
            "GPX"
        }
    }

    /// A waypoint's name for the navigation panels, with `· OSM` after a map POI.
    pub fn waypoint_label(&self, id: WaypointId) -> String {
        let name = self.waypoint_name(id);
        if crate::core::map::merge::osm_of_waypoint_id(id).is_some() {
            format!("{name} · OSM")
        } else {
            name
        }
    }

    /// A waypoint by id.
    pub fn waypoint(&self, id: WaypointId) -> Option<&StoredWaypoint> {
        self.by_id.get(&id).and_then(|i| self.waypoints.get(*i))
    }

    /// A waypoint's display name (its kind when unnamed).
    pub fn waypoint_name(&self, id: WaypointId) -> String {
        match self.waypoint(id) {
            Some(w) => w
                .wpt
                .name
                .clone()
                .unwrap_or_else(|| w.wpt.kind.as_str().to_string()),
            None => format!("waypoint {id}"),
        }
    }

    /// Scene options from the prefs.
    pub fn scene_options(&self) -> SceneOptions {
        SceneOptions {
            coord_format: self.prefs.coord_format,
            datum: self.prefs.datum,
            imperial: self.prefs.units == Units::Imperial,
            ..SceneOptions::default()
        }
    }

    /// A line's drawable geometry.
    pub fn geom(&self, id: LineId) -> Option<&LineGeom> {
        self.geoms.iter().find(|g| g.id == id)
    }

    /// The selected route's path (empty without one).
    pub fn route_path(&self) -> &[LatLon] {
        self.selected
            .as_ref()
            .and_then(|s| self.geom(s.summary.id))
            .map_or(&[], |g| g.line.points())
    }

    /// True while the map follows a GPS position: the user wants it (`prefs.follow`) *and*
    /// there is a position. Without a fix there is nothing to follow, so Follow is not lit.
    pub fn following(&self) -> bool {
        self.prefs.follow && self.gps.fix.is_some()
    }

    /// True when the window shows the driving layout: the map alone under the heads-up
    /// display. Automatic in truck mode and while following a GPS position; the map view only
    /// (the atlas book keeps its page bar and panels).
    pub fn driving(&self) -> bool {
        self.mode == Mode::Map
            && match self.prefs.layout {
                Layout::Driving => true,
                Layout::Panels => false,
                Layout::Auto => self.prefs.truck || self.following(),
            }
    }

    /// The selected route's navigation data, once derived.
    pub fn nav(&self) -> Option<&RouteNav> {
        self.selected.as_ref().and_then(|s| s.nav.as_ref())
    }

    /// The point on the route `along_m` from its start.
    pub fn route_point_at(&self, along_m: f64) -> Option<LatLon> {
        let route = self.nav()?.guide.route();
        let chain = route.chainage_m();
        let i = chain.partition_point(|a| *a < along_m);
        route
            .points()
            .get(i.min(route.points().len().saturating_sub(1)))
            .copied()
    }

    /// Runs `f` on the selected route's atlas with what its pages draw (route name, the other
    /// shown lines, every waypoint) and the scene options; `None` without an atlas.
    pub fn with_book<R>(
        &self,
        f: impl FnOnce(&crate::core::atlas::Atlas, &SceneData<'_>, &SceneOptions) -> R,
    ) -> Option<R> {
        let sel = self.selected.as_ref()?;
        let atlas = sel.nav.as_ref()?.guide.atlas()?;
        let name = sel.name();
        let others: Vec<&[LatLon]> = self
            .geoms
            .iter()
            .filter(|g| g.id != sel.summary.id && !self.hidden.contains(&g.id))
            .map(|g| g.line.points())
            .collect();
        let waypoints: Vec<Waypoint> = self.waypoints.iter().map(|w| w.wpt.clone()).collect();
        let data = SceneData {
            route_name: &name,
            others: &others,
            waypoints: &waypoints,
            ..Default::default()
        };
        Some(f(atlas, &data, &self.scene_options()))
    }

    /// The map as a scene, for the current view.
    pub fn view_scene(&self) -> Scene {
        // The waypoints in the loaded map's box (which holds the view) rather than the
        // view's own: a set that stays the same while the view pans lets the map layer built
        // around them be reused; the scene culls to the window anyway.
        // (Only while that box holds the view: a stale one would hide waypoints in view.)
        let view = self.view.bbox();
        let bbox = self
            .map_view
            .bbox
            .filter(|b| {
                b.contains(LatLon::new(view.min_lat, view.min_lon))
                    && b.contains(LatLon::new(view.max_lat, view.max_lon))
            })
            .unwrap_or(view);
        // OSM POIs (negative ids) are the map's once it is loaded: its POI layer draws them
        // by their scale thresholds and under the POI switch, so a 1:250,000 view is not
        // strewn with every viewpoint and shelter. GPX waypoints are drawn at every scale.
        let map_pois = !self.map_view.data.is_empty();
        let shown: Vec<&Waypoint> = self
            .waypoints
            .iter()
            .filter(|w| {
                !(map_pois && w.id < 0) && self.prefs.shows(w.wpt.kind) && bbox.contains(w.wpt.pos)
            })
            .map(|w| &w.wpt)
            .collect();
        let selected_id = self.selected.as_ref().map(|s| s.summary.id);
        let others: Vec<ViewLineRef<'_>> = self
            .geoms
            .iter()
            .filter(|g| Some(g.id) != selected_id && !self.hidden.contains(&g.id))
            .map(|g| ViewLineRef {
                line: &g.line,
                color: g.color,
            })
            .collect();
        let route_geom = selected_id
            .filter(|id| !self.hidden.contains(id))
            .and_then(|id| self.geom(id));
        let route_line = route_geom.map(|g| g.line.clone());
        let route = route_geom.map(|g| ViewLineRef {
            line: &g.line,
            color: g.color,
        });
        let position = self.gps.fix.map(|f| ViewPosition {
            pos: f.pos,
            course_deg: f
                .course_deg
                .filter(|_| f.speed_mps.is_none_or(|v| v >= COURSE_MIN_MPS)),
            accuracy_m: f.hdop.map(|h| h * UERE_M),
        });
        let back_to_route = self
            .guidance
            .as_ref()
            .filter(|g| g.off_route)
            .map(|g| g.on_route);
        let frames: Vec<PageFrame> = if self.prefs.show_frames {
            self.nav()
                .and_then(|n| n.guide.atlas())
                .map(|a| {
                    a.pages
                        .iter()
                        .map(|p| PageFrame {
                            number: p.number,
                            corners: p.corners,
                        })
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let attribution = crate::scene::layers::attribution(
            !self.map_view.data.is_empty(),
            self.map_view.terrain.as_ref().map(|t| t.source.as_str()),
        );
        let data = ViewData {
            route,
            warnings: self.nav().map_or(&[], |n| n.warnings.as_slice()),
            others: &others,
            breadcrumbs: &self.gps.breadcrumbs,
            waypoints: &shown,
            position,
            back_to_route,
            highlighted: self
                .highlighted
                .and_then(|id| self.waypoint(id))
                .map(|w| w.wpt.pos)
                .or_else(|| self.profile_at.and_then(|a| self.route_point_at(a))),
            picked: self.picked,
            imperial: self.prefs.units == Units::Imperial,
            frames: &frames,
            graticule: self.prefs.graticule,
            basemap: !self.basemap.tiles.is_empty(),
            map: (!self.map_view.data.is_empty()).then_some(&*self.map_view.data),
            layers: self.prefs.layers,
            attribution: attribution.as_deref(),
            terrain: self.map_view.terrain.as_deref(),
        };
        let mut cache = self.map_layer.borrow_mut();
        let opts = self.scene_options();
        if cache.builder.is_some() {
            // The layer comes from the worker: the one that serves this view, or the last
            // one as a stand-in while a new one is built (and asked for here).
            cache.take_built();
            let (scene, served) = build_view_scene_from(
                &self.view,
                &data,
                &opts,
                LayerSource::Given(cache.layer.clone()),
            );
            if !served {
                let key = LayerKey::of(&self.view, &data);
                let job = || mapload::LayerJob {
                    spec: self.view,
                    key: key.clone(),
                    view: self.map_view.clone(),
                    layers: data.layers,
                    imperial: data.imperial,
                    waypoints: shown.iter().map(|w| (*w).clone()).collect(),
                    frames: frames.clone(),
                    route: route_line.clone(),
                    opts,
                    night: self.night,
                };
                let view = self.view;
                if let Some(b) = cache.builder.as_mut()
                    && !b.request(&view, &key, job)
                {
                    // The worker has gone: build here from now on.
                    cache.builder = None;
                }
            }
            return scene;
        }
        let same = cache.from.as_ref().is_some_and(|f| {
            std::sync::Arc::ptr_eq(&f.data, &self.map_view.data)
                && match (&f.terrain, &self.map_view.terrain) {
                    (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
                    (None, None) => true,
                    _ => false,
                }
        });
        if !same {
            cache.layer = None;
            cache.from = Some(self.map_view.clone());
        }
        build_view_scene_reusing(&self.view, &data, &opts, Some(&mut cache.layer))
    }
}

/// Where fixes come from: a running source, or a bare channel (tests, embedding).
#[derive(Debug)]
enum GpsFeed {
    Source(SourceHandle),
    Channel(Receiver<GpsEvent>),
}

impl GpsFeed {
    fn rx(&self) -> &Receiver<GpsEvent> {
        match self {
            GpsFeed::Source(h) => h.events(),
            GpsFeed::Channel(rx) => rx,
        }
    }
}

/// Records fixes as a drive, through its own connection to the database.
pub type DriveRecorder = Recorder<Store, SystemClock>;

/// The app.
pub struct NavApp {
    store: Store,
    db_path: Option<PathBuf>,
    feed: Option<GpsFeed>,
    recorder: Option<DriveRecorder>,
    prefs_file: Option<PathBuf>,
    /// What the panels read.
    pub model: Model,
    /// The view shows the whole selected route: a new window size fits it again (the first
    /// size arrives with the first frame, after the route was selected). Moving the map by
    /// hand or by following a fix ends it.
    keep_fitted: bool,
    deriving: Option<Receiver<(LineId, Result<RouteNav, String>)>>,
    printing: Option<Receiver<Result<(PathBuf, u64), String>>>,
    applied_style: Option<(bool, bool)>,
    /// The clock for the Auto theme when there is no fix time, UTC ms (tests set it; else
    /// the system clock).
    clock_ms: Option<i64>,
    /// The prefs last written (without and with the map view), and when: a changed choice is
    /// saved at once, a moved view every few seconds, so a crash loses little.
    saved_prefs: Option<(String, String, std::time::Instant)>,
    first_frame_probe: Option<(std::time::Instant, u32)>,
    /// A long route's derivation, started once the window has drawn its first frame.
    pending_derive: Option<DeriveInput>,
    frames: u64,
    basemap: Option<basemap::Basemap>,
    imports: importer::Imports,
    devices: garmin::DeviceWatch,
    /// Loads the map around the view on a worker (`None` for a database without a file, or
    /// when the worker could not start: then loads happen on the UI thread).
    map_loader: Option<mapload::MapLoader>,
}

impl NavApp {
    /// An app over `store`, with `route` (id or name) selected, else the first track or route.
    /// Problems become the status line; this never fails.
    pub fn new(store: Store, route: Option<&str>) -> NavApp {
        let (lines, waypoints, geoms, status) = load(&store);
        let map_files = store.map_files().unwrap_or_default();
        let map_loader = store.path().map(mapload::MapLoader::start);
        let by_id = waypoints
            .iter()
            .enumerate()
            .map(|(i, w)| (w.id, i))
            .collect();
        let index = WaypointIndex::from_stored(&waypoints);
        let mut app = NavApp {
            store,
            db_path: None,
            feed: None,
            recorder: None,
            prefs_file: None,
            model: Model {
                prefs: Prefs::default(),
                mode: Mode::Map,
                lines,
                waypoints,
                map_files,
                by_id,
                index,
                geoms,
                hidden: BTreeSet::new(),
                selected: None,
                view: ViewSpec {
                    center: LatLon::new(0.0, 0.0),
                    m_per_mm: 1_000.0,
                    size_mm: (200.0, 150.0),
                    rotation_deg: 0.0,
                },
                gps: GpsState::default(),
                guidance: None,
                route_roads: None,
                picked: None,
                here: None,
                nearest: Vec::new(),
                ahead: Vec::new(),
                here_on_route: None,
                atlas_ref: None,
                highlighted: None,
                profile_at: None,
                search: String::new(),
                book: BookView::default(),
                print: None,
                help: false,
                status,
                basemap: basemap::BasemapView::default(),
                map_view: MapView::default(),
                map_generation: 0,
                map_layer: std::cell::RefCell::new(LayerCache {
                    // With a database file, as the map loader: layers built off the UI thread.
                    builder: map_loader
                        .is_some()
                        .then(mapload::LayerBuilder::start)
                        .flatten(),
                    ..LayerCache::default()
                }),
                import_job: None,
                file_dialog: None,
                garmin: garmin::GarminView::default(),
                night: false,
                hud: None,
            },
            keep_fitted: true,
            deriving: None,
            printing: None,
            applied_style: None,
            clock_ms: None,
            saved_prefs: None,
            first_frame_probe: None,
            pending_derive: None,
            frames: 0,
            basemap: None,
            imports: importer::Imports::default(),
            devices: garmin::DeviceWatch::default(),
            map_loader,
        };
        let first = match route {
            Some(q) => match app.store.find_line(q) {
                Ok(l) => Some(l.id),
                Err(e) => {
                    app.model.status = format!("route {q:?}: {e}");
                    None
                }
            },
            None => app
                .model
                .lines
                .iter()
                .find(|l| l.kind != LineKind::Drive)
                .or(app.model.lines.first())
                .map(|l| l.id),
        };
        if let Some(id) = first {
            app.apply(Command::SelectLine(id));
        }
        app.refresh();
        app
    }

    /// The database file, so imports and jobs can open their own connections.
    pub fn with_db_path(mut self, path: PathBuf) -> NavApp {
        self.db_path = Some(path);
        self
    }

    /// Takes fixes from a running source.
    pub fn attach_source(&mut self, handle: SourceHandle) {
        self.model.gps.source = Some(handle.describe().to_string());
        self.feed = Some(GpsFeed::Source(handle));
    }

    /// Takes fixes from a channel (tests, or a caller running its own source).
    pub fn attach_channel(&mut self, rx: Receiver<GpsEvent>, describe: &str) {
        self.model.gps.source = Some(describe.to_string());
        self.feed = Some(GpsFeed::Channel(rx));
    }

    /// Loads the prefs from `path` (a missing or bad file keeps the defaults) and saves them
    /// there on exit.
    pub fn with_prefs_file(mut self, path: PathBuf) -> NavApp {
        if let Ok(text) = std::fs::read_to_string(&path) {
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => {
                    let old_atlas = self.model.prefs.atlas;
                    self.model.prefs = Prefs::from_json(&v);
                    self.model.hidden = state::hidden_lines_from_json(&v);
                    if let Some(view) = state::saved_view_from_json(&v) {
                        // Back where the last session was, not the whole-route fit.
                        self.model.view.center = view.center;
                        self.model.view.m_per_mm = view.m_per_mm;
                        self.keep_fitted = false;
                    }
                    self.recompute_logistics();
                    if self.model.prefs.atlas != old_atlas {
                        self.repaginate();
                    }
                    self.update_rotation();
                    self.refresh();
                }
                Err(e) => self.model.status = format!("ignoring {}: {e}", path.display()),
            }
        }
        self.restore_basemap();
        self.prefs_file = Some(path);
        // What was read counts as saved, and long enough ago that the first change is
        // written at once.
        let long_ago = std::time::Instant::now().checked_sub(PREFS_SAVE_EVERY);
        self.saved_prefs = long_ago.map(|t| (self.choices_text(), self.prefs_text(), t));
        self
    }

    /// The prefs file's contents: the prefs, hidden lines and the map view.
    fn prefs_text(&self) -> String {
        let mut v = self.model.prefs.to_json();
        state::hidden_lines_to_json(&self.model.hidden, &mut v);
        state::saved_view_to_json(
            state::SavedView {
                center: self.model.view.center,
                m_per_mm: self.model.view.m_per_mm,
            },
            &mut v,
        );
        v.to_string()
    }

    /// Writes the prefs to the prefs file, if there is one: through a temporary file renamed
    /// into place, so a crash or power loss mid-write leaves the old file whole.
    pub fn save_prefs(&mut self) {
        let Some(path) = &self.prefs_file else { return };
        let text = self.prefs_text();
        let tmp = path.with_extension("json.tmp");
        let written = std::fs::write(&tmp, &text).and_then(|()| std::fs::rename(&tmp, path));
        match written {
            Ok(()) => {
                self.saved_prefs = Some((self.choices_text(), text, std::time::Instant::now()))
            }
            Err(e) => {
                self.model.status = format!("cannot save preferences to {}: {e}", path.display())
            }
        }
    }

    /// Saves the prefs when they changed: a choice at once, a moved map view (every fix while
    /// following) when the last save is a few seconds old.
    fn save_prefs_if_changed(&mut self) {
        if self.prefs_file.is_none() {
            return;
        }
        let Some((choices, full, at)) = &self.saved_prefs else {
            self.save_prefs();
            return;
        };
        if *full == self.prefs_text() {
            return;
        }
        if *choices != self.choices_text() || at.elapsed() >= PREFS_SAVE_EVERY {
            self.save_prefs();
        }
    }

    /// The prefs file's contents without the map view.
    fn choices_text(&self) -> String {
        let mut v = self.model.prefs.to_json();
        state::hidden_lines_to_json(&self.model.hidden, &mut v);
        v.to_string()
    }

    /// Uses this time, UTC ms, for the Auto theme when no fix carries one (tests).
    pub fn set_clock_ms(&mut self, now_ms: Option<i64>) {
        self.clock_ms = now_ms;
        self.update_night();
    }

    /// The night palette from the theme; for Auto, the sun at the GPS position (else the map
    /// centre) at the fix's time (else the clock).
    fn update_night(&mut self) {
        let m = &mut self.model;
        m.night = match m.prefs.theme {
            Theme::Day => false,
            Theme::Night => true,
            Theme::Auto => {
                let pos = m.gps.fix.map_or(m.view.center, |f| f.pos);
                let now = m
                    .gps
                    .fix
                    .and_then(|f| f.time_ms)
                    .or(self.clock_ms)
                    .or_else(|| {
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .ok()
                            .and_then(|d| i64::try_from(d.as_millis()).ok())
                    });
                now.is_some_and(|t| crate::core::sun::is_night(pos, t))
            }
        };
    }

    /// Records every fix as a drive (committed at least once a second).
    pub fn attach_recorder(&mut self, recorder: DriveRecorder) {
        self.recorder = Some(recorder);
    }

    /// Commits what the recorder holds (on exit).
    pub fn flush_recording(&mut self) {
        if let Some(r) = &mut self.recorder
            && let Err(e) = r.flush()
        {
            self.model.status = format!("recording: {e}");
        }
    }

    /// Prints `first_frame_ms=N` (since `started`) once the first frame has been drawn, and
    /// closes the window (the startup benchmark).
    pub fn exit_after_first_frame(&mut self, started: std::time::Instant) {
        self.first_frame_probe = Some((started, 0));
    }

    /// True while a route derivation, a print job or a map load runs in the background.
    pub fn busy(&self) -> bool {
        self.deriving.is_some()
            || self.printing.is_some()
            || self.pending_derive.is_some()
            || self
                .map_loader
                .as_ref()
                .is_some_and(|l| l.pending().is_some())
            || self.model.map_layer.borrow().pending()
    }

    /// Waits for background work to finish and takes its results (tests, benchmarks).
    pub fn wait_idle(&mut self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        if let Some(input) = self.pending_derive.take() {
            self.deriving = Some(derive::spawn(input));
        }
        loop {
            while self.busy() && std::time::Instant::now() < deadline {
                self.poll_jobs();
                std::thread::sleep(Duration::from_millis(5));
            }
            // The map for the current view (a frame asks for it), and the layer drawn from
            // it, which a frame asks its worker for.
            self.update_map_view();
            if !self.busy() {
                drop(self.model.view_scene());
            }
            if !self.busy() || std::time::Instant::now() >= deadline {
                break;
            }
        }
    }

    /// Takes finished background results.
    fn poll_jobs(&mut self) -> bool {
        let mut any = false;
        self.model.map_layer.borrow_mut().take_built();
        if let Some(loader) = &mut self.map_loader {
            match loader.poll() {
                mapload::Polled::Loaded(view, error) => {
                    self.take_map_view(view, error);
                    any = true;
                }
                mapload::Polled::Nothing => {}
                // The worker could not open the database: load on this thread from now on.
                mapload::Polled::Gone => self.map_loader = None,
            }
        }
        // The window first, then the heavy work (and its memory).
        if self.frames > 0
            && let Some(input) = self.pending_derive.take()
        {
            self.deriving = Some(derive::spawn(input));
        }
        if let Some(rx) = &self.deriving
            && let Some(result) = book::poll_job(rx)
        {
            self.deriving = None;
            any = true;
            match result {
                Some((id, r)) => self.take_nav(id, r),
                None => self.model.status = "route preparation stopped".into(),
            }
        }
        if let Some(rx) = &self.printing
            && let Some(result) = book::poll_job(rx)
        {
            self.printing = None;
            any = true;
            let state = match result {
                Some(Ok((path, size))) => {
                    self.model.status = format!("wrote {} ({} KB)", path.display(), size / 1024);
                    PrintState::Done(path, size)
                }
                Some(Err(e)) => PrintState::Failed(e),
                None => PrintState::Failed("the print job stopped".into()),
            };
            if let Some(p) = &mut self.model.print {
                p.state = state;
            }
        }
        any
    }

    /// Drains pending GPS events and background results; keeps the UI ticking while a
    /// source is attached or a job runs.
    pub fn poll(&mut self, ctx: &egui::Context) {
        if let Some(b) = &self.model.map_layer.borrow().builder {
            b.set_repaint(ctx);
        }
        let mut events = Vec::new();
        let mut ended = false;
        if let Some(feed) = &self.feed {
            while events.len() < MAX_EVENTS_PER_FRAME {
                match feed.rx().try_recv() {
                    Ok(ev) => events.push(ev),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        ended = true;
                        break;
                    }
                }
            }
        }
        let mut any = !events.is_empty();
        for ev in events {
            self.on_event(ev);
        }
        self.poll_import(ctx);
        self.poll_devices(ctx);
        // While an import writes, a drive commit would wait for it (see `importer`).
        if let Some(r) = &mut self.recorder
            && !self.imports.busy()
            && let Err(e) = r.tick()
        {
            self.model.status = format!("recording: {e}");
        }
        if ended {
            self.feed = None;
            self.model.gps.status = "GPS source ended".into();
        }
        any |= self.poll_jobs();
        if any {
            self.refresh();
            ctx.request_repaint();
        }
        if self.feed.is_some() || self.busy() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        self.save_prefs_if_changed();
    }

    fn on_event(&mut self, ev: GpsEvent) {
        match ev {
            GpsEvent::Fix(fix) => self.on_fix(fix),
            GpsEvent::Status(s) => {
                self.model.gps.status = match s {
                    SourceStatus::Connected(t) => format!("GPS connected: {t}"),
                    SourceStatus::Disconnected(t) => format!("GPS disconnected: {t}"),
                    SourceStatus::Error(t) => format!("GPS error: {t}"),
                    SourceStatus::Ended => "GPS replay ended".into(),
                };
            }
        }
    }

    fn on_fix(&mut self, fix: Fix) {
        if self.recorder.is_some() && self.imports.busy() {
            self.imports.hold_fix(fix);
        } else if let Some(r) = &mut self.recorder
            && let Err(e) = r.push(&fix)
        {
            self.model.status = format!("recording: {e}");
        }
        let m = &mut self.model;
        m.gps.fixes += 1;
        if m.gps
            .breadcrumbs
            .last()
            .is_none_or(|last| distance_m(*last, fix.pos) >= BREADCRUMB_STEP_M)
        {
            m.gps.breadcrumbs.push(fix.pos);
        }
        m.gps.fix = Some(fix);
        if let Some(nav) = m.selected.as_mut().and_then(|s| s.nav.as_mut()) {
            m.guidance = nav.guide.update(Position {
                pos: fix.pos,
                time_ms: fix.time_ms,
                speed_mps: fix.speed_mps,
            });
        }
        if m.prefs.follow {
            self.keep_fitted = false;
            m.view.center = fix.pos;
            // The first fix zooms from the whole-route overview to a driving scale.
            if m.gps.fixes == 1 {
                m.view.m_per_mm = m.view.m_per_mm.min(DRIVING_M_PER_MM);
            }
        }
        self.update_rotation();
    }

    fn update_rotation(&mut self) {
        let m = &mut self.model;
        if m.prefs.north_up {
            m.view.rotation_deg = 0.0;
        } else if let Some(f) = m.gps.fix
            && let Some(c) = f.course_deg
            && f.speed_mps.is_none_or(|v| v >= COURSE_MIN_MPS)
        {
            m.view.rotation_deg = c;
        }
    }

    /// Lays out the whole window and applies what the panels asked for.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        self.frames += 1;
        self.update_night();
        self.apply_style(ui.ctx());
        self.update_basemap(ui.ctx());
        self.update_map_view();
        let mut cmds = Vec::new();
        crate::ui::app_ui(ui, &self.model, &mut cmds);
        let any = !cmds.is_empty();
        for c in cmds {
            self.apply(c);
        }
        if any {
            self.refresh();
            ui.ctx().request_repaint();
        }
    }

    /// Loads the stored map around the view when the loaded box no longer serves it: the
    /// view's box grown by half each way, at the view's scale. On the map loader's worker
    /// when there is one: the view keeps what it has until the answer arrives.
    fn update_map_view(&mut self) {
        let view = self.model.view.bbox();
        let scale = self.model.view.m_per_mm * 1000.0;
        let generation = self.model.map_generation;
        if self.model.map_view.generation == generation && self.model.map_view.covers(&view, scale)
        {
            return;
        }
        if let Some(p) = self.map_loader.as_ref().and_then(|l| l.pending())
            && p.generation == generation
            && serves(Some(p.bbox), p.scale_denom, &view, scale)
        {
            return;
        }
        let (dlat, dlon) = (
            (view.max_lat - view.min_lat) * 0.5,
            (view.max_lon - view.min_lon) * 0.5,
        );
        let grown = BBox {
            min_lon: view.min_lon - dlon,
            min_lat: view.min_lat - dlat,
            max_lon: view.max_lon + dlon,
            max_lat: view.max_lat + dlat,
        };
        let layers = self.model.prefs.layers;
        let req = mapload::MapRequest {
            bbox: grown,
            // Load for a scale a step closer than shown, so zooming in a step (1.25 times)
            // keeps what it has; zooming out needs less, which is already there.
            scale_denom: (scale / LOAD_STEP).clamp(1.0, f64::from(u32::MAX)) as u32,
            features: !self.model.map_files.is_empty(),
            terrain: layers.hillshade || layers.contours,
            imperial: self.model.prefs.units == Units::Imperial,
            generation,
        };
        if let Some(loader) = &mut self.map_loader
            && loader.request(req)
        {
            return;
        }
        self.map_loader = None;
        let (loaded, error) = mapload::load(&self.store, &req);
        self.take_map_view(loaded, error);
    }

    /// Installs a loaded map view.
    fn take_map_view(&mut self, view: MapView, error: Option<String>) {
        self.model.map_view = view;
        if let Some(e) = error {
            self.model.status = e;
        }
    }

    /// Night theme and truck mode: egui's visuals and sizes follow the prefs.
    fn apply_style(&mut self, ctx: &egui::Context) {
        let want = (self.model.night, self.model.prefs.truck);
        if self.applied_style == Some(want) {
            return;
        }
        self.applied_style = Some(want);
        crate::ui::style::apply(ctx, want.0, want.1);
    }

    /// Carries out one command.
    pub fn apply(&mut self, cmd: Command) {
        let m = &mut self.model;
        match cmd {
            Command::SelectLine(id) => {
                self.select(id);
                self.fit_route();
            }
            Command::FitRoute => {
                m.prefs.follow = false;
                self.fit_route();
            }
            Command::Zoom { factor, at_mm } => {
                let at = at_mm.unwrap_or([m.view.size_mm.0 / 2.0, m.view.size_mm.1 / 2.0]);
                // While following, zoom about the position (the centre) so it stays put.
                let at = if m.prefs.follow && m.gps.fix.is_some() {
                    [m.view.size_mm.0 / 2.0, m.view.size_mm.1 / 2.0]
                } else {
                    at
                };
                m.view = m.view.zoomed(factor, at);
                self.keep_fitted = false;
            }
            Command::Pan(d) => {
                m.prefs.follow = false;
                m.view = m.view.panned(d);
                self.keep_fitted = false;
            }
            Command::ResizeView(size) => {
                if size.0 > 1.0 && size.1 > 1.0 && size.0.is_finite() && size.1.is_finite() {
                    m.view.size_mm = size;
                    if self.keep_fitted {
                        self.fit_route();
                    }
                }
            }
            Command::CenterOn(p) => {
                if p.is_valid() {
                    m.prefs.follow = false;
                    self.keep_fitted = false;
                    m.view.center = p;
                }
            }
            Command::SetFollow(on) => {
                m.prefs.follow = on;
                if on && let Some(f) = m.gps.fix {
                    self.keep_fitted = false;
                    m.view.center = f.pos;
                }
            }
            Command::SetNorthUp(on) => {
                m.prefs.north_up = on;
                self.update_rotation();
            }
            Command::ShowKind(kind, on) => {
                if let Some(slot) = m.prefs.kinds_shown.get_mut(kind as usize) {
                    *slot = on;
                }
            }
            Command::SetUnits(u) => m.prefs.units = u,
            Command::SetCoordFormat(f) => {
                m.prefs.coord_format = f;
                self.rebuild_book_page();
            }
            Command::SetDatum(d) => {
                m.prefs.datum = d;
                self.rebuild_book_page();
            }
            Command::SetFuelRange(r) => {
                if r.is_finite() && r > 0.0 {
                    m.prefs.fuel_range_m = r;
                    self.recompute_logistics();
                }
            }
            Command::Highlight(id) => m.highlighted = id.filter(|id| m.waypoint(*id).is_some()),
            Command::ShowWaypoint(id) => {
                if let Some(w) = m.waypoint(id) {
                    let pos = w.wpt.pos;
                    m.highlighted = Some(id);
                    m.prefs.follow = false;
                    m.view.center = pos;
                    m.view.m_per_mm = m.view.m_per_mm.min(WAYPOINT_ZOOM_M_PER_MM);
                    self.keep_fitted = false;
                    m.mode = Mode::Map;
                }
            }
            Command::OpenBasemap(path) => self.open_basemap(&path),
            Command::CloseBasemap => self.close_basemap(),
            Command::Import(path) => self.apply_import(importer::ImportCmd::Files {
                paths: vec![path],
                replace: false,
            }),
            Command::Imports(c) => self.apply_import(c),
            Command::Browse(c) => self.apply_browse(c),
            Command::Garmin(c) => self.apply_garmin(c),
            Command::StopGps => {
                if let Some(GpsFeed::Source(h)) = self.feed.take() {
                    h.stop();
                }
                self.feed = None;
                m.gps.source = None;
                m.gps.status = "GPS stopped".into();
            }
            Command::SetMode(mode) => {
                m.mode = mode;
                if mode == Mode::Atlas {
                    if m.book.page == 0 {
                        m.book.page = 1;
                    }
                    self.rebuild_book_page();
                }
            }
            Command::TurnPage(n) => {
                m.mode = Mode::Atlas;
                m.book.page = n.max(1);
                self.rebuild_book_page();
            }
            Command::ShowLine(id, on) => {
                if on {
                    m.hidden.remove(&id);
                } else {
                    m.hidden.insert(id);
                }
            }
            Command::Pick(p) => m.picked = p.filter(|p| p.is_valid()),
            Command::SetNight(on) => {
                m.prefs.theme = if on { Theme::Night } else { Theme::Day };
                self.update_night();
            }
            Command::SetTheme(t) => {
                m.prefs.theme = t;
                self.update_night();
            }
            Command::SetTruck(on) => {
                m.prefs.truck = on;
                // Truck mode brings the driving layout, whatever was chosen before.
                m.prefs.layout = Layout::Auto;
            }
            Command::SetLayout(l) => m.prefs.layout = l,
            Command::SetShowFrames(on) => m.prefs.show_frames = on,
            Command::SetGraticule(on) => m.prefs.graticule = on,
            Command::SetLayers(l) => {
                m.prefs.layers = l;
                // Terrain is computed only for switched-on layers: load again.
                m.map_generation += 1;
            }
            Command::SetSearch(text) => m.search = text,
            Command::ProfileHover(at) => m.profile_at = at,
            Command::ShowHelp(on) => m.help = on,
            Command::SetAtlas(a) => {
                if a != m.prefs.atlas && a.spec().is_ok() {
                    m.prefs.atlas = a;
                    self.repaginate();
                }
            }
            Command::OpenPrint => self.open_print(),
            Command::EditPrint(settings) => {
                let layout = settings.atlas;
                if let Some(p) = &mut m.print {
                    p.settings = settings;
                    if p.state != PrintState::Running {
                        p.state = PrintState::Editing;
                    }
                }
                self.apply(Command::SetAtlas(layout));
                self.update_print_len();
            }
            Command::ClosePrint => m.print = None,
            Command::Print => self.print(),
            Command::OpenFile(path) => {
                if let Err(e) = book::open_with_system_viewer(&path) {
                    m.status = e;
                }
            }
        }
    }

    fn fit_route(&mut self) {
        let m = &mut self.model;
        let Some(sel) = &m.selected else { return };
        let Some(bbox) = sel.summary.bbox else { return };
        let rotation = m.view.rotation_deg;
        m.view = ViewSpec::fit(bbox, m.view.size_mm, FIT_MARGIN_MM);
        // A course-up view keeps its rotation; the fit is for north-up, so leave extra room.
        if rotation != 0.0 {
            m.view.rotation_deg = rotation;
            m.view.m_per_mm *= 1.3;
        }
        self.keep_fitted = true;
    }

    fn select(&mut self, id: LineId) {
        let m = &mut self.model;
        let Some(summary) = m.lines.iter().find(|l| l.id == id).cloned() else {
            m.status = format!("no line {id}");
            return;
        };
        let Some(geom) = m.geom(id) else {
            m.status = format!("cannot read {}", line_name(&summary));
            return;
        };
        let model = derive::model_elevations(&self.store, geom.line.points(), &geom.elevations);
        let eles: Vec<Option<f64>> = geom
            .elevations
            .iter()
            .enumerate()
            .map(|(i, e)| {
                Some(f64::from(*e)).filter(|v| v.is_finite()).or_else(|| {
                    let (v, _) = model.as_ref()?;
                    v.get(i).copied().flatten().map(f64::from)
                })
            })
            .collect();
        let usable = m.prefs.fuel_range_m * (1.0 - m.prefs.fuel_reserve);
        let route_roads = RouteRoads::load(
            &mut self.store,
            id,
            geom.line.points(),
            &eles,
            &m.waypoints,
            (usable > 0.0).then_some(usable),
            m.prefs.units,
        );
        let input = DeriveInput {
            id,
            path: geom.line.points().to_vec(),
            elevations: geom.elevations.clone(),
            waypoints: m.waypoints.clone(),
            atlas: m.prefs.atlas,
            fuel: (m.prefs.fuel_range_m, m.prefs.fuel_reserve),
            model,
        };
        let name = line_name(&summary);
        m.route_roads = route_roads;
        m.selected = Some(SelectedRoute { summary, nav: None });
        m.guidance = None;
        m.book = BookView::default();
        m.profile_at = None;
        if input.path.len() > derive::INLINE_MAX_POINTS {
            self.model.status = format!("preparing {name} ({} points)…", input.path.len());
            self.deriving = None;
            if self.frames > 0 {
                self.deriving = Some(derive::spawn(input));
            } else {
                self.pending_derive = Some(input);
            }
        } else {
            self.deriving = None;
            self.pending_derive = None;
            let r = derive::derive(input);
            self.take_nav(id, r);
        }
    }

    /// Makes `summary` the line followed, with its navigation data (derived elsewhere).
    fn install_nav(&mut self, summary: LineSummary, nav: Result<RouteNav, String>) {
        let id = summary.id;
        self.deriving = None;
        self.pending_derive = None;
        self.model.selected = Some(SelectedRoute { summary, nav: None });
        self.model.guidance = None;
        self.model.book = BookView::default();
        self.model.profile_at = None;
        self.take_nav(id, nav);
    }

    /// Installs a derivation's result if its line is still the selected one.
    fn take_nav(&mut self, id: LineId, r: Result<RouteNav, String>) {
        let m = &mut self.model;
        let Some(sel) = m.selected.as_mut().filter(|s| s.summary.id == id) else {
            return;
        };
        let name = line_name(&sel.summary);
        match r {
            Ok(nav) => {
                sel.nav = Some(nav);
                m.status = format!("following {name}");
                // Settings may have changed while the worker ran.
                self.recompute_logistics();
                if self
                    .model
                    .nav()
                    .and_then(|n| n.guide.atlas())
                    .is_some_and(|a| a.spec.scale_denominator() != self.model.prefs.atlas.scale)
                {
                    self.repaginate();
                }
                self.rebuild_book_page();
            }
            Err(e) => m.status = format!("cannot follow {name}: {e}"),
        }
    }

    fn recompute_logistics(&mut self) {
        let m = &mut self.model;
        let fuel = (m.prefs.fuel_range_m, m.prefs.fuel_reserve);
        if let Some(nav) = m.selected.as_mut().and_then(|s| s.nav.as_mut()) {
            derive::apply_fuel(nav, fuel);
        }
    }

    /// Pages the selected route again with the prefs' atlas settings.
    fn repaginate(&mut self) {
        let m = &mut self.model;
        let spec = m.prefs.atlas.spec();
        let path = m.route_path().to_vec();
        let Some(nav) = m.selected.as_mut().and_then(|s| s.nav.as_mut()) else {
            return;
        };
        let atlas = spec.and_then(|s| crate::core::atlas::paginate(&s, &path));
        match atlas {
            Ok(a) => nav.guide.set_atlas(Some(a)),
            Err(e) => {
                nav.guide.set_atlas(None);
                m.status = format!("no atlas pages: {e}");
            }
        }
        m.book.page = m.book.page.max(1);
        self.rebuild_book_page();
    }

    /// Builds the book page shown in the atlas view (only while that view is open).
    fn rebuild_book_page(&mut self) {
        if self.model.mode != Mode::Atlas {
            self.model.book.scene = None;
            return;
        }
        let want = self.model.book.page;
        let built = self.model.with_book(|atlas, data, options| {
            let len = book::book_len_of(atlas, data, options);
            let page = want.clamp(1, len.max(1));
            (page, len, book_page(atlas, page, data, options))
        });
        let m = &mut self.model;
        match built {
            None if m.selected.is_none() => m.book = BookView::default(),
            None => {
                m.book.scene = None;
                m.book.len = 0;
            }
            Some((page, len, scene)) => {
                let scene = scene.unwrap_or_else(|e| {
                    m.status = format!("cannot draw page {page}: {e}");
                    None
                });
                m.book = BookView { page, len, scene };
            }
        }
    }

    fn open_print(&mut self) {
        let m = &mut self.model;
        let Some(sel) = &m.selected else {
            m.status = "select a route to print".into();
            return;
        };
        let dir = self
            .db_path
            .as_ref()
            .and_then(|p| p.parent().map(PathBuf::from))
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("."));
        let dir = directories::UserDirs::new()
            .and_then(|u| u.document_dir().map(PathBuf::from))
            .filter(|d| d.is_dir())
            .unwrap_or(dir);
        let output = book::default_pdf_path(&dir, &sel.name())
            .display()
            .to_string();
        let len = m.book.len.max(1);
        m.print = Some(PrintDialog {
            settings: PrintSettings {
                atlas: m.prefs.atlas,
                coord_format: m.prefs.coord_format,
                datum: m.prefs.datum,
                from_page: 1,
                to_page: len,
                output,
            },
            book_len: len,
            state: PrintState::Editing,
        });
        self.update_print_len();
    }

    /// The print dialog's page count under its current layout.
    fn update_print_len(&mut self) {
        let len = self.model.with_book(book::book_len_of).unwrap_or(0);
        if let Some(p) = &mut self.model.print {
            let all = p.settings.to_page >= p.book_len;
            p.book_len = len;
            if all || p.settings.to_page > len {
                p.settings.to_page = len;
            }
            p.settings.from_page = p.settings.from_page.clamp(1, len.max(1));
        }
    }

    fn print(&mut self) {
        let m = &self.model;
        let (Some(sel), Some(dialog)) = (&m.selected, &m.print) else {
            return;
        };
        if self.printing.is_some() {
            return;
        }
        let job = PrintJob {
            route_name: sel.name(),
            path: m.route_path().to_vec(),
            others: m
                .geoms
                .iter()
                .filter(|g| g.id != sel.summary.id && !m.hidden.contains(&g.id))
                .map(|g| g.line.points().to_vec())
                .collect(),
            waypoints: m.waypoints.iter().map(|w| w.wpt.clone()).collect(),
            settings: dialog.settings.clone(),
        };
        self.printing = Some(job.spawn());
        if let Some(p) = &mut self.model.print {
            p.state = PrintState::Running;
        }
    }

    /// Recomputes what depends on the position or the view: nearest, ahead, atlas ref.
    pub fn refresh(&mut self) {
        let m = &mut self.model;
        let here = match (m.gps.fix, m.picked) {
            (_, Some(p)) => Here {
                pos: p,
                from: HereFrom::Picked,
            },
            (Some(f), None) => Here {
                pos: f.pos,
                from: HereFrom::Gps,
            },
            (None, None) => Here {
                pos: m.view.center,
                from: HereFrom::Centre,
            },
        };
        m.here = Some(here);
        m.ahead.clear();
        m.here_on_route = None;
        m.atlas_ref = None;
        let shown: Vec<WaypointKind> = WaypointKind::ALL
            .into_iter()
            .filter(|k| m.prefs.shows(*k))
            .collect();
        let nav = m.selected.as_ref().and_then(|s| s.nav.as_ref());
        let loc = nav.and_then(|n| {
            let hint = m
                .guidance
                .as_ref()
                .filter(|_| here.from == HereFrom::Gps)
                .map(|g| g.along_m);
            n.guide.route().locate(here.pos, hint)
        });
        m.nearest = NEAREST_KINDS
            .iter()
            .filter(|k| m.prefs.shows(**k))
            .map(|k| {
                let near = m.index.nearest(here.pos, &[*k], NEAREST_PER_KIND);
                // How far along the route ahead each one is, when the route passes it.
                let passes = match (nav, loc) {
                    (Some(n), Some(l)) => n.guide.waypoints().ahead(l.along_m, &[*k], 64),
                    _ => Vec::new(),
                };
                let rows = near
                    .into_iter()
                    .map(|n| NearestRow {
                        ahead_m: passes.iter().find(|a| a.id == n.id).map(|a| a.ahead_m),
                        nearest: n,
                    })
                    .collect();
                (*k, rows)
            })
            .collect();
        if let (Some(nav), Some(loc)) = (nav, loc) {
            m.here_on_route = Some((loc.along_m, loc.off_route_m));
            if !shown.is_empty() {
                // A waypoint passed several times (a wiggly track) is listed once, first pass.
                let mut seen = std::collections::HashSet::new();
                m.ahead = nav
                    .guide
                    .waypoints()
                    .ahead(loc.along_m, &shown, AHEAD_COUNT * 4)
                    .into_iter()
                    .filter(|a| seen.insert(a.id))
                    .take(AHEAD_COUNT)
                    .collect();
            }
        }
        m.atlas_ref = nav
            .and_then(|n| n.guide.atlas())
            .and_then(|a| a.locate(here.pos));
        m.hud = hud::Hud::of(m);
    }
}

/// Lines, waypoints and drawable geometry from the store; a problem becomes the status text.
#[allow(clippy::type_complexity)]
fn load(store: &Store) -> (Vec<LineSummary>, Vec<StoredWaypoint>, Vec<LineGeom>, String) {
    let mut status = String::new();
    let lines = store.lines().unwrap_or_else(|e| {
        status = format!("cannot list routes: {e}");
        Vec::new()
    });
    let gpx = store.waypoints(&[], None).unwrap_or_else(|e| {
        status = format!("cannot read waypoints: {e}");
        Vec::new()
    });
    let pois = store.map_pois(None, &[]).unwrap_or_else(|e| {
        status = format!("cannot read map POIs: {e}");
        Vec::new()
    });
    let waypoints = crate::core::map::merge::merge(gpx, &pois, Default::default()).waypoints;
    let mut geoms = Vec::new();
    let mut loaded = 0usize;
    for l in &lines {
        if loaded + l.points as usize > MAX_CONTEXT_POINTS {
            status = "some tracks are not drawn (too many points)".into();
            continue;
        }
        match store.line_path(l.id) {
            Ok(line) => {
                loaded += line.points.len();
                geoms.push(LineGeom {
                    id: l.id,
                    line: std::sync::Arc::new(ViewLine::new(line.points)),
                    color: line.display_color.as_deref().and_then(theme::garmin_color),
                    elevations: line.ele_m,
                });
            }
            Err(e) => status = format!("cannot read {}: {e}", line_name(l)),
        }
    }
    (lines, waypoints, geoms, status)
}

impl eframe::App for NavApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        // The second frame starts after the first was painted and swapped onto the screen.
        if let Some((started, frames)) = &mut self.first_frame_probe {
            *frames += 1;
            if *frames == 2 {
                println!(
                    "first_frame_ms={:.1}",
                    started.elapsed().as_secs_f64() * 1e3
                );
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
            ui.ctx().request_repaint();
        }
        self.frame_ui(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.flush_recording();
        self.save_prefs();
    }
}
