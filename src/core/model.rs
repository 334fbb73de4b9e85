//! The domain model: waypoints, tracks, routes and their points, in WGS84 degrees.
//!
//! Plain data with public fields. Not for parsing or storage: `import` fills these,
//! `store` persists them, everything else reads them.
//! Units are in the names (`ele_m`, `time_ms`); times are UTC milliseconds since the Unix epoch.

use std::fmt;
use std::str::FromStr;

/// A position in WGS84 degrees (what GPX stores).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LatLon {
    /// Latitude in degrees, north positive, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, east positive, -180..=180.
    pub lon: f64,
}

impl LatLon {
    /// A position from latitude and longitude in degrees.
    pub const fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// True when both values are finite and within the valid ranges.
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// One point of a track, a drive or a routed (shaping) line.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TrackPoint {
    /// Position in WGS84 degrees.
    pub pos: LatLon,
    /// Elevation in metres, if the file has one.
    pub ele_m: Option<f64>,
    /// UTC time in milliseconds since the Unix epoch, if the file has one.
    pub time_ms: Option<i64>,
}

/// What a waypoint is for the driver. Derived from `sym`, `type`, Garmin categories and name
/// by [`crate::core::kinds`]; the original `sym` is always kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum WaypointKind {
    /// Gas station, truck stop, fuel depot.
    Fuel,
    /// Campground, campsite, RV park.
    Campground,
    /// A lat/long checkpoint to compare the GPS against paper.
    Checkpoint,
    /// Drinking water source.
    Water,
    /// Motel, hotel, lodge, cabin.
    Lodging,
    /// Restaurant, bar, grocery.
    Food,
    /// Repair, restroom, shower, town services.
    Services,
    /// Trail head, parking for a trail.
    Trailhead,
    /// Scenic area, summit, overlook.
    Viewpoint,
    /// Danger, washout, closure.
    Hazard,
    /// A gate on the road.
    Gate,
    /// Anything else.
    #[default]
    Other,
}

impl WaypointKind {
    /// Every kind, in display order.
    pub const ALL: [WaypointKind; 12] = [
        WaypointKind::Fuel,
        WaypointKind::Campground,
        WaypointKind::Checkpoint,
        WaypointKind::Water,
        WaypointKind::Lodging,
        WaypointKind::Food,
        WaypointKind::Services,
        WaypointKind::Trailhead,
        WaypointKind::Viewpoint,
        WaypointKind::Hazard,
        WaypointKind::Gate,
        WaypointKind::Other,
    ];

    /// The lower-case name used in the CLI, JSON and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            WaypointKind::Fuel => "fuel",
            WaypointKind::Campground => "campground",
            WaypointKind::Checkpoint => "checkpoint",
            WaypointKind::Water => "water",
            WaypointKind::Lodging => "lodging",
            WaypointKind::Food => "food",
            WaypointKind::Services => "services",
            WaypointKind::Trailhead => "trailhead",
            WaypointKind::Viewpoint => "viewpoint",
            WaypointKind::Hazard => "hazard",
            WaypointKind::Gate => "gate",
            WaypointKind::Other => "other",
        }
    }
}

impl fmt::Display for WaypointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind name that is not one of [`WaypointKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown waypoint kind {0:?} (expected one of: fuel, campground, checkpoint, water, lodging, food, services, trailhead, viewpoint, hazard, gate, other)"
)]
pub struct UnknownKind(pub String);

impl FromStr for WaypointKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        WaypointKind::ALL
            .into_iter()
            .find(|k| k.as_str() == lower)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// A waypoint (`<wpt>`), or the waypoint part of a route point (`<rtept>`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Waypoint {
    /// Position in WGS84 degrees.
    pub pos: LatLon,
    /// Elevation in metres.
    pub ele_m: Option<f64>,
    /// UTC time in milliseconds since the Unix epoch.
    pub time_ms: Option<i64>,
    /// `<name>`.
    pub name: Option<String>,
    /// `<cmt>`.
    pub cmt: Option<String>,
    /// `<desc>`.
    pub desc: Option<String>,
    /// `<sym>`, exactly as written (Garmin symbol names such as `Gas Station`).
    pub sym: Option<String>,
    /// `<type>`.
    pub type_: Option<String>,
    /// Garmin `gpxx:WaypointExtension/gpxx:Categories/gpxx:Category`, in file order.
    pub categories: Vec<String>,
    /// Garmin `gpxx:WaypointExtension/gpxx:Address`, joined into one line.
    pub address: Option<String>,
    /// Classification; see [`crate::core::kinds`].
    pub kind: WaypointKind,
}

/// Track-level attributes shared by tracks and routes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineMeta {
    /// `<name>`.
    pub name: Option<String>,
    /// `<cmt>`.
    pub cmt: Option<String>,
    /// `<desc>`.
    pub desc: Option<String>,
    /// `<type>`.
    pub type_: Option<String>,
    /// `<number>`.
    pub number: Option<u32>,
    /// Garmin `gpxx:TrackExtension/DisplayColor` or `gpxx:RouteExtension/DisplayColor`.
    pub display_color: Option<String>,
}

/// A recorded track (`<trk>`): one or more segments of points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Track {
    /// Name, description, colour.
    pub meta: LineMeta,
    /// `<trkseg>`s in file order; empty segments are kept.
    pub segments: Vec<Vec<TrackPoint>>,
}

/// One `<rtept>`: a via/shaping point, plus the routed points that follow the road from it
/// to the next route point (Garmin `gpxx:RoutePointExtension/gpxx:rpt`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoutePoint {
    /// The route point itself.
    pub wpt: Waypoint,
    /// Routed shape points after this route point, in order (may be empty).
    pub shaping: Vec<LatLon>,
}

/// A planned route (`<rte>`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Route {
    /// Name, description, colour.
    pub meta: LineMeta,
    /// Route points in order.
    pub points: Vec<RoutePoint>,
}

impl Route {
    /// The line a driver follows: each route point followed by its routed shape points.
    /// This is what draws, measures and prints, not the straight lines between route points.
    pub fn path(&self) -> Vec<LatLon> {
        let mut out = Vec::with_capacity(
            self.points.len() + self.points.iter().map(|p| p.shaping.len()).sum::<usize>(),
        );
        for p in &self.points {
            out.push(p.wpt.pos);
            out.extend_from_slice(&p.shaping);
        }
        out
    }
}

/// Everything in one GPX file, held in memory. Import streams instead (see
/// `import::GpxSink`); this is for small files, export and tests.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GpxData {
    /// `creator` attribute of `<gpx>`.
    pub creator: Option<String>,
    /// `<metadata><name>` (GPX 1.1) or `<name>` (GPX 1.0).
    pub name: Option<String>,
    /// Waypoints in file order.
    pub waypoints: Vec<Waypoint>,
    /// Tracks in file order.
    pub tracks: Vec<Track>,
    /// Routes in file order.
    pub routes: Vec<Route>,
}

/// Whether a stored line came from a `<trk>`, a `<rte>`, or a recorded drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineKind {
    /// A `<trk>`.
    Track,
    /// A `<rte>` (its path includes routed shape points).
    Route,
    /// A drive recorded from the GPS (breadcrumbs).
    Drive,
}

impl LineKind {
    /// The lower-case name used in JSON and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            LineKind::Track => "track",
            LineKind::Route => "route",
            LineKind::Drive => "drive",
        }
    }

    /// Parses the database name; `None` for anything else.
    pub fn from_db(s: &str) -> Option<Self> {
        match s {
            "track" => Some(LineKind::Track),
            "route" => Some(LineKind::Route),
            "drive" => Some(LineKind::Drive),
            _ => None,
        }
    }
}

/// Axis-aligned bounding box in degrees. Does not wrap the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// West edge, degrees.
    pub min_lon: f64,
    /// South edge, degrees.
    pub min_lat: f64,
    /// East edge, degrees.
    pub max_lon: f64,
    /// North edge, degrees.
    pub max_lat: f64,
}

impl BBox {
    /// An empty box that any `extend` replaces.
    pub const EMPTY: BBox = BBox {
        min_lon: f64::INFINITY,
        min_lat: f64::INFINITY,
        max_lon: f64::NEG_INFINITY,
        max_lat: f64::NEG_INFINITY,
    };

    /// Grows the box to hold `p`.
    pub fn extend(&mut self, p: LatLon) {
        self.min_lon = self.min_lon.min(p.lon);
        self.max_lon = self.max_lon.max(p.lon);
        self.min_lat = self.min_lat.min(p.lat);
        self.max_lat = self.max_lat.max(p.lat);
    }

    /// True while nothing has been added.
    pub fn is_empty(&self) -> bool {
        self.min_lon > self.max_lon
    }

    /// The smallest box holding all `points`.
    pub fn of(points: impl IntoIterator<Item = LatLon>) -> BBox {
        let mut b = BBox::EMPTY;
        for p in points {
            b.extend(p);
        }
        b
    }

    /// True when `p` is inside or on the edge.
    pub fn contains(&self, p: LatLon) -> bool {
        p.lon >= self.min_lon
            && p.lon <= self.max_lon
            && p.lat >= self.min_lat
            && p.lat <= self.max_lat
    }

    /// True when the boxes share a point (an empty box meets nothing).
    pub fn intersects(&self, o: &BBox) -> bool {
        !self.is_empty()
            && !o.is_empty()
            && self.min_lon <= o.max_lon
            && o.min_lon <= self.max_lon
            && self.min_lat <= o.max_lat
            && o.min_lat <= self.max_lat
    }
}

/// Database id of a stored waypoint.
pub type WaypointId = i64;
/// Database id of a stored track, route or drive.
pub type LineId = i64;

/// A waypoint as read back from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredWaypoint {
    /// Row id.
    pub id: WaypointId,
    /// The waypoint.
    pub wpt: Waypoint,
}

/// A track, route or drive as read back from the store, with its full path.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLine {
    /// Row id.
    pub id: LineId,
    /// Track, route or drive.
    pub kind: LineKind,
    /// Name, description, colour.
    pub meta: LineMeta,
    /// Points by segment. A route is one segment: route points with their shaping points.
    pub segments: Vec<Vec<TrackPoint>>,
}

impl StoredLine {
    /// All points of all segments, in order.
    pub fn points(&self) -> impl Iterator<Item = &TrackPoint> {
        self.segments.iter().flatten()
    }
}
