//! The desktop app: [`NavApp`] owns the store, the GPS feed and the [`Model`] the panels read.
//!
//! Each frame: [`NavApp::poll`] drains GPS events; [`NavApp::frame_ui`] lays out the panels
//! (in `crate::ui`), which read the model and push [`Command`]s; the app then applies them.
//! Only this module changes state, and only through commands and GPS events.
//!
//! Not for drawing (see `ui`, `scene::view`, `render::egui`) nor for navigation maths (see
//! `core::guidance`, `core::nearest`, `core::along`, `core::logistics`).

pub mod command;
pub mod files;
pub mod garmin;
pub mod importer;
pub mod state;

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use eframe::egui;

use crate::core::along::{Ahead, DEFAULT_CORRIDOR_M, RouteLine, RouteWaypoints};
use crate::core::atlas::{Orientation, PageSpec, Paper, paginate};
use crate::core::geodesy::distance_m;
use crate::core::guidance::{Guidance, Guide, Position};
use crate::core::logistics::{Logistics, LogisticsParams};
use crate::core::model::{
    LatLon, LineId, LineKind, StoredLine, StoredWaypoint, Waypoint, WaypointId, WaypointKind,
};
use crate::core::nearest::{Nearest, WaypointIndex};
use crate::gps::recorder::{Recorder, SystemClock};
use crate::gps::{Fix, GpsEvent, SourceHandle, SourceStatus};
use crate::scene::Scene;
use crate::scene::build::SceneOptions;
use crate::scene::view::{ViewData, ViewPosition, ViewSpec, build_view_scene};
use crate::store::LineSummary;
use crate::store::Store;

pub use command::Command;
pub use state::{Prefs, Units};

/// Other lines are loaded for context up to this many points in all.
const MAX_CONTEXT_POINTS: usize = 2_000_000;
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

/// The route being followed, with everything derived from it.
#[derive(Debug, Clone)]
pub struct SelectedRoute {
    /// Its summary (name, kind, length).
    pub summary: LineSummary,
    /// Its path.
    pub path: Vec<LatLon>,
    /// Position on the route, passes of waypoints, atlas and ETA.
    pub guide: Guide,
    /// Length, climbing and fuel/campground gaps.
    pub logistics: Logistics,
    /// Stretches of the route that are fuel gaps longer than the usable range.
    pub warnings: Vec<Vec<LatLon>>,
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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Here {
    /// The point.
    pub pos: LatLon,
    /// True for the GPS position, false for the map centre.
    pub from_gps: bool,
}

/// Everything the panels read. Only [`NavApp`] writes it.
#[derive(Debug, Clone)]
pub struct Model {
    /// Display choices.
    pub prefs: Prefs,
    /// Tracks, routes and drives in the store.
    pub lines: Vec<LineSummary>,
    /// Every waypoint.
    pub waypoints: Vec<StoredWaypoint>,
    by_id: HashMap<WaypointId, usize>,
    index: WaypointIndex,
    /// Paths of the other lines, for context.
    pub others: Vec<(LineId, Vec<LatLon>)>,
    /// The route followed.
    pub selected: Option<SelectedRoute>,
    /// The map window.
    pub view: ViewSpec,
    /// GPS.
    pub gps: GpsState,
    /// Guidance from the last fix on the selected route.
    pub guidance: Option<Guidance>,
    /// Where nearest and ahead are measured from.
    pub here: Option<Here>,
    /// Nearest waypoints by kind from `here`.
    pub nearest: Vec<(WaypointKind, Vec<Nearest>)>,
    /// Waypoints ahead on the route from `here` (shown kinds).
    pub ahead: Vec<Ahead>,
    /// `here` on the route: distance from the start and off the route, metres.
    pub here_on_route: Option<(f64, f64)>,
    /// Atlas page and grid cell of `here`.
    pub atlas_ref: Option<(u32, String)>,
    /// Waypoint ringed on the map.
    pub highlighted: Option<WaypointId>,
    /// The last message for the status line.
    pub status: String,
    /// The import running or just finished (progress, per-file results).
    pub import_job: Option<importer::ImportJob>,
    /// The open file dialog.
    pub file_dialog: Option<files::FileDialog>,
    /// Mounted Garmin units and their files.
    pub garmin: garmin::GarminView,
}

/// The display name of a line.
pub fn line_name(l: &LineSummary) -> String {
    l.name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("{} {}", l.kind.as_str(), l.id))
}

impl Model {
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
            ..SceneOptions::default()
        }
    }

    /// The map as a scene, for the current view.
    pub fn view_scene(&self) -> Scene {
        let shown: Vec<Waypoint> = self
            .waypoints
            .iter()
            .filter(|w| self.prefs.shows(w.wpt.kind))
            .map(|w| w.wpt.clone())
            .collect();
        let others: Vec<Vec<LatLon>> = self
            .others
            .iter()
            .filter(|(id, _)| self.selected.as_ref().is_none_or(|s| s.summary.id != *id))
            .map(|(_, p)| p.clone())
            .collect();
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
        let data = ViewData {
            route: self.selected.as_ref().map_or(&[], |s| s.path.as_slice()),
            warnings: self
                .selected
                .as_ref()
                .map_or(&[], |s| s.warnings.as_slice()),
            others: &others,
            breadcrumbs: &self.gps.breadcrumbs,
            waypoints: &shown,
            position,
            back_to_route,
            highlighted: self
                .highlighted
                .and_then(|id| self.waypoint(id))
                .map(|w| w.wpt.pos),
            imperial: self.prefs.units == Units::Imperial,
        };
        build_view_scene(&self.view, &data, &self.scene_options())
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
    feed: Option<GpsFeed>,
    recorder: Option<DriveRecorder>,
    prefs_file: Option<std::path::PathBuf>,
    /// What the panels read.
    pub model: Model,
    fit_pending: bool,
    imports: importer::Imports,
    devices: garmin::DeviceWatch,
}

impl NavApp {
    /// An app over `store`, with `route` (id or name) selected, else the first track or route.
    /// Problems become the status line; this never fails.
    pub fn new(store: Store, route: Option<&str>) -> NavApp {
        let (lines, waypoints, others, status) = load(&store);
        let by_id = waypoints
            .iter()
            .enumerate()
            .map(|(i, w)| (w.id, i))
            .collect();
        let index = WaypointIndex::from_stored(&waypoints);
        let mut app = NavApp {
            store,
            feed: None,
            recorder: None,
            prefs_file: None,
            model: Model {
                prefs: Prefs::default(),
                lines,
                waypoints,
                by_id,
                index,
                others,
                selected: None,
                view: ViewSpec {
                    center: LatLon::new(0.0, 0.0),
                    m_per_mm: 1_000.0,
                    size_mm: (200.0, 150.0),
                    rotation_deg: 0.0,
                },
                gps: GpsState::default(),
                guidance: None,
                here: None,
                nearest: Vec::new(),
                ahead: Vec::new(),
                here_on_route: None,
                atlas_ref: None,
                highlighted: None,
                status,
                import_job: None,
                file_dialog: None,
                garmin: garmin::GarminView::default(),
            },
            fit_pending: true,
            imports: importer::Imports::default(),
            devices: garmin::DeviceWatch::default(),
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
    pub fn with_prefs_file(mut self, path: std::path::PathBuf) -> NavApp {
        if let Ok(text) = std::fs::read_to_string(&path) {
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => {
                    self.model.prefs = Prefs::from_json(&v);
                    self.recompute_logistics();
                    self.update_rotation();
                    self.refresh();
                }
                Err(e) => self.model.status = format!("ignoring {}: {e}", path.display()),
            }
        }
        self.prefs_file = Some(path);
        self
    }

    /// Writes the prefs to the prefs file, if there is one.
    pub fn save_prefs(&mut self) {
        let Some(path) = &self.prefs_file else { return };
        let text = self.model.prefs.to_json().to_string();
        if let Err(e) = std::fs::write(path, text) {
            self.model.status = format!("cannot save preferences to {}: {e}", path.display());
        }
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

    /// Drains pending GPS events; keeps the UI ticking while a source is attached.
    pub fn poll(&mut self, ctx: &egui::Context) {
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
        let any = !events.is_empty();
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
        if any {
            self.refresh();
        }
        if self.feed.is_some() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
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
        if let Some(sel) = &mut m.selected {
            m.guidance = sel.guide.update(Position {
                pos: fix.pos,
                time_ms: fix.time_ms,
                speed_mps: fix.speed_mps,
            });
        }
        if m.prefs.follow {
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
            }
            Command::Pan(d) => {
                m.prefs.follow = false;
                m.view = m.view.panned(d);
            }
            Command::ResizeView(size) => {
                if size.0 > 1.0 && size.1 > 1.0 && size.0.is_finite() && size.1.is_finite() {
                    m.view.size_mm = size;
                    if self.fit_pending {
                        self.fit_route();
                    }
                }
            }
            Command::CenterOn(p) => {
                if p.is_valid() {
                    m.prefs.follow = false;
                    m.view.center = p;
                }
            }
            Command::SetFollow(on) => {
                m.prefs.follow = on;
                if on && let Some(f) = m.gps.fix {
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
            Command::SetCoordFormat(f) => m.prefs.coord_format = f,
            Command::SetDatum(d) => m.prefs.datum = d,
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
                }
            }
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
        self.fit_pending = false;
    }

    fn select(&mut self, id: LineId) {
        let m = &mut self.model;
        let Some(summary) = m.lines.iter().find(|l| l.id == id).cloned() else {
            m.status = format!("no line {id}");
            return;
        };
        let line = match self.store.line(id) {
            Ok(l) => l,
            Err(e) => {
                m.status = format!("cannot read {}: {e}", line_name(&summary));
                return;
            }
        };
        match derive_selected(summary, &line, &m.waypoints) {
            Ok(sel) => self.install_selected(sel),
            Err(e) => m.status = e,
        }
    }

    /// Makes `sel` the route followed.
    fn install_selected(&mut self, sel: SelectedRoute) {
        let m = &mut self.model;
        m.selected = Some(sel);
        m.guidance = None;
        self.recompute_logistics();
        self.model.status = format!(
            "following {}",
            self.model
                .selected
                .as_ref()
                .map(|s| s.name())
                .unwrap_or_default()
        );
    }

    fn recompute_logistics(&mut self) {
        let m = &mut self.model;
        let Some(sel) = &mut m.selected else { return };
        let params = LogisticsParams {
            range_m: Some(m.prefs.fuel_range_m),
            reserve: m.prefs.fuel_reserve,
            ..LogisticsParams::default()
        };
        let route = sel.guide.route();
        let elevations: Vec<Option<f64>> = Vec::new();
        let mut logistics = Logistics::compute(route, elevations, sel.guide.waypoints(), &params);
        // Keep the elevation figures computed from the real profile at selection.
        logistics.elevation = sel.logistics.elevation;
        sel.warnings = logistics
            .fuel_gaps
            .iter()
            .filter(|g| g.exceeds_limit)
            .map(|g| stretch(route, g.start_along_m, g.end_along_m))
            .collect();
        sel.logistics = logistics;
    }

    /// Recomputes what depends on the position or the view: nearest, ahead, atlas ref.
    pub fn refresh(&mut self) {
        let m = &mut self.model;
        let here = match m.gps.fix {
            Some(f) => Here {
                pos: f.pos,
                from_gps: true,
            },
            None => Here {
                pos: m.view.center,
                from_gps: false,
            },
        };
        m.here = Some(here);
        m.nearest = NEAREST_KINDS
            .iter()
            .filter(|k| m.prefs.shows(**k))
            .map(|k| (*k, m.index.nearest(here.pos, &[*k], NEAREST_PER_KIND)))
            .collect();
        let shown: Vec<WaypointKind> = WaypointKind::ALL
            .into_iter()
            .filter(|k| m.prefs.shows(*k))
            .collect();
        m.ahead.clear();
        m.here_on_route = None;
        m.atlas_ref = None;
        if let Some(sel) = &m.selected {
            let hint = m
                .guidance
                .as_ref()
                .filter(|_| here.from_gps)
                .map(|g| g.along_m);
            if let Some(loc) = sel.guide.route().locate(here.pos, hint) {
                m.here_on_route = Some((loc.along_m, loc.off_route_m));
                if !shown.is_empty() {
                    // A waypoint passed several times (a wiggly track) is listed once, first pass.
                    let mut seen = std::collections::HashSet::new();
                    m.ahead = sel
                        .guide
                        .waypoints()
                        .ahead(loc.along_m, &shown, AHEAD_COUNT * 4)
                        .into_iter()
                        .filter(|a| seen.insert(a.id))
                        .take(AHEAD_COUNT)
                        .collect();
                }
            }
            m.atlas_ref = sel.guide.atlas().and_then(|a| a.locate(here.pos));
        }
    }
}

/// Everything derived from a line to follow it: path, route index, waypoint passes, atlas
/// pages and logistics. Needs no store, so it can run off the UI thread (the background
/// import derives the new line's there); `Err` says why the line cannot be followed.
fn derive_selected(
    summary: LineSummary,
    line: &StoredLine,
    waypoints: &[StoredWaypoint],
) -> Result<SelectedRoute, String> {
    let path: Vec<LatLon> = line.points().map(|p| p.pos).collect();
    let elevations: Vec<Option<f64>> = line.points().map(|p| p.ele_m).collect();
    let route = RouteLine::new(path.clone())
        .map_err(|e| format!("cannot follow {}: {e}", line_name(&summary)))?;
    let passes = RouteWaypoints::from_stored(&route, waypoints, DEFAULT_CORRIDOR_M);
    // A line that cannot be paginated is still followed, without atlas references.
    let atlas = PageSpec::new(Paper::Letter, Orientation::Auto, 100_000)
        .and_then(|spec| paginate(&spec, &path))
        .ok();
    let logistics = Logistics::compute(&route, elevations, &passes, &LogisticsParams::default());
    Ok(SelectedRoute {
        summary,
        path,
        guide: Guide::new(route, passes, atlas),
        logistics,
        warnings: Vec::new(),
    })
}

/// Lines, waypoints and context paths from the store; a problem becomes the status text.
#[allow(clippy::type_complexity)]
fn load(
    store: &Store,
) -> (
    Vec<LineSummary>,
    Vec<StoredWaypoint>,
    Vec<(LineId, Vec<LatLon>)>,
    String,
) {
    let mut status = String::new();
    let lines = store.lines().unwrap_or_else(|e| {
        status = format!("cannot list routes: {e}");
        Vec::new()
    });
    let waypoints = store.waypoints(&[], None).unwrap_or_else(|e| {
        status = format!("cannot read waypoints: {e}");
        Vec::new()
    });
    let mut others = Vec::new();
    let mut loaded = 0usize;
    for l in &lines {
        if loaded + l.points as usize > MAX_CONTEXT_POINTS {
            status = "some tracks are not drawn for context (too many points)".into();
            continue;
        }
        if let Ok(line) = store.line(l.id) {
            let path: Vec<LatLon> = line.points().map(|p| p.pos).collect();
            loaded += path.len();
            others.push((l.id, path));
        }
    }
    (lines, waypoints, others, status)
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

impl eframe::App for NavApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.flush_recording();
        self.save_prefs();
    }
}
