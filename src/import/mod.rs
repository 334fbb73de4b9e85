//! Streaming GPX reader: quick-xml events in, model values out through a [`GpxSink`].
//!
//! Never holds a whole file: points go to the sink as they are read, so a 100 MB track is
//! imported in bounded memory. Not for storage (the store implements a sink) and not for
//! writing GPX (see `export`).

use std::fmt;
use std::path::PathBuf;

use crate::core::model::{GpxData, LineMeta, Route, RoutePoint, Track, TrackPoint, Waypoint};

pub mod dem;
pub mod osm;
mod reader;
mod values;

pub use reader::{read_bytes, read_bytes_with, read_data, read_file, read_file_with};
pub use values::{format_time_ms, parse_time_ms};

/// Error a sink may return; it aborts the read.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Receives a GPX file's content in file order.
///
/// Track and route attributes (name, colour, ...) are delivered at the end of each track or
/// route, because real files put `<name>` after the points now and then.
pub trait GpxSink {
    /// One `<wpt>`, classified.
    fn waypoint(&mut self, wpt: Waypoint) -> Result<(), SinkError>;
    /// A `<trk>` starts.
    fn begin_track(&mut self) -> Result<(), SinkError>;
    /// A `<trkseg>` starts within the current track.
    fn begin_segment(&mut self) -> Result<(), SinkError>;
    /// One `<trkpt>` of the current segment.
    fn track_point(&mut self, pt: TrackPoint) -> Result<(), SinkError>;
    /// The current `<trk>` ends; `meta` holds everything read about it.
    fn end_track(&mut self, meta: LineMeta) -> Result<(), SinkError>;
    /// A `<rte>` starts.
    fn begin_route(&mut self) -> Result<(), SinkError>;
    /// One `<rtept>` of the current route, with its routed shape points.
    fn route_point(&mut self, pt: RoutePoint) -> Result<(), SinkError>;
    /// The current `<rte>` ends; `meta` holds everything read about it.
    fn end_route(&mut self, meta: LineMeta) -> Result<(), SinkError>;
    /// File-level attributes, delivered once when `</gpx>` is read (a GPX 1.0 `<name>` may
    /// come after the points). The default ignores them.
    fn file_meta(&mut self, meta: FileMeta) -> Result<(), SinkError> {
        let _ = meta;
        Ok(())
    }
}

/// File-level attributes of a GPX file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileMeta {
    /// `creator` attribute of `<gpx>`.
    pub creator: Option<String>,
    /// `<metadata><name>` (GPX 1.1) or `<name>` directly in `<gpx>` (GPX 1.0).
    pub name: Option<String>,
}

/// How many elements of each sort a read delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// `<trk>` elements.
    pub tracks: u64,
    /// `<trkpt>` elements.
    pub track_points: u64,
    /// `<rte>` elements.
    pub routes: u64,
    /// `<rtept>` elements.
    pub route_points: u64,
    /// `<wpt>` elements.
    pub waypoints: u64,
    /// `<ele>`, `<time>` or `<number>` values that could not be parsed and were left out
    /// (the point itself is kept).
    pub bad_values: u64,
}

/// Where in the file something went wrong: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPos {
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub col: u64,
}

/// Why a file could not be imported. Displays as one line: `path:line:col: what is wrong`.
#[derive(Debug)]
pub struct ImportError {
    /// The file.
    pub path: PathBuf,
    /// Position of the problem, when known.
    pub pos: Option<TextPos>,
    /// What is wrong, one line.
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                p.line,
                p.col,
                self.message
            ),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// A sink that keeps nothing: for validating a file or timing the reader. It sums the
/// latitudes it sees, so the work of reading them cannot be optimised away.
#[derive(Debug, Default)]
pub struct Discard {
    /// Sum of every waypoint, track point and route point latitude read.
    pub lat_sum: f64,
}

impl GpxSink for Discard {
    fn waypoint(&mut self, wpt: Waypoint) -> Result<(), SinkError> {
        self.lat_sum += wpt.pos.lat;
        Ok(())
    }
    fn begin_track(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
    fn begin_segment(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
    fn track_point(&mut self, pt: TrackPoint) -> Result<(), SinkError> {
        self.lat_sum += pt.pos.lat;
        Ok(())
    }
    fn end_track(&mut self, _meta: LineMeta) -> Result<(), SinkError> {
        Ok(())
    }
    fn begin_route(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
    fn route_point(&mut self, pt: RoutePoint) -> Result<(), SinkError> {
        self.lat_sum += pt.wpt.pos.lat;
        Ok(())
    }
    fn end_route(&mut self, _meta: LineMeta) -> Result<(), SinkError> {
        Ok(())
    }
}

/// A sink that keeps everything in memory, for small files, export and tests.
#[derive(Debug, Default)]
pub struct Collect {
    /// What has been read so far.
    pub data: GpxData,
    track: Option<Track>,
    route: Option<Route>,
}

impl GpxSink for Collect {
    fn waypoint(&mut self, wpt: Waypoint) -> Result<(), SinkError> {
        self.data.waypoints.push(wpt);
        Ok(())
    }
    fn begin_track(&mut self) -> Result<(), SinkError> {
        self.track = Some(Track::default());
        Ok(())
    }
    fn begin_segment(&mut self) -> Result<(), SinkError> {
        if let Some(t) = self.track.as_mut() {
            t.segments.push(Vec::new());
        }
        Ok(())
    }
    fn track_point(&mut self, pt: TrackPoint) -> Result<(), SinkError> {
        let Some(t) = self.track.as_mut() else {
            return Err("track point outside a track".into());
        };
        match t.segments.last_mut() {
            Some(seg) => seg.push(pt),
            None => t.segments.push(vec![pt]),
        }
        Ok(())
    }
    fn end_track(&mut self, meta: LineMeta) -> Result<(), SinkError> {
        let mut t = self.track.take().unwrap_or_default();
        t.meta = meta;
        self.data.tracks.push(t);
        Ok(())
    }
    fn begin_route(&mut self) -> Result<(), SinkError> {
        self.route = Some(Route::default());
        Ok(())
    }
    fn route_point(&mut self, pt: RoutePoint) -> Result<(), SinkError> {
        let Some(r) = self.route.as_mut() else {
            return Err("route point outside a route".into());
        };
        r.points.push(pt);
        Ok(())
    }
    fn end_route(&mut self, meta: LineMeta) -> Result<(), SinkError> {
        let mut r = self.route.take().unwrap_or_default();
        r.meta = meta;
        self.data.routes.push(r);
        Ok(())
    }
    fn file_meta(&mut self, meta: FileMeta) -> Result<(), SinkError> {
        self.data.creator = meta.creator;
        self.data.name = meta.name;
        Ok(())
    }
}
