//! Atlas pagination: covers a route with printable map pages at a fixed scale, in route
//! order, like a road atlas; finds where the route leaves each page (edge links) and which
//! page it continues on; names reference-grid cells (`"C3"`).
//!
//! Pure geometry. Not for drawing (see `scene::build`) nor for PDF (see `render::pdf`).
//!
//! Page numbering: page 1 of the document is the index, so map pages are numbered from
//! [`FIRST_MAP_PAGE`] (2) and a map page's number is its page number in the PDF.
//!
//! Each page has its own transverse Mercator projection with true scale on a meridian through
//! the page centre, north up, so the scale bar is true on the page; that also handles routes
//! that cross UTM zones. Longitudes are unwrapped relative to each page's central meridian,
//! so pages across the antimeridian work.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use super::geodesy::distance_m;
use super::model::{BBox, LatLon};
use super::projection::{TransverseMercator, fast_forward, wrap_deg};

/// Number of the first map page (page 1 is the index).
pub const FIRST_MAP_PAGE: u32 = 2;
/// Height of the band above the map frame for the title and page number, mm.
pub const HEADER_MM: f64 = 9.0;
/// Height of the band below the map frame for the scale bar and legend, mm.
pub const FOOTER_MM: f64 = 16.0;
/// Route points are kept at least this far inside a frame edge, mm on paper.
pub const FRAME_PAD_MM: f64 = 4.0;
/// Target size of a reference-grid cell, mm on paper.
pub const GRID_CELL_TARGET_MM: f64 = 40.0;
/// Smallest allowed scale denominator (1:24 000, a USGS quad).
pub const MIN_SCALE: u32 = 24_000;
/// Largest allowed scale denominator (1:500 000).
pub const MAX_SCALE: u32 = 500_000;
/// Smallest usable map frame side, mm.
const MIN_FRAME_MM: f64 = 60.0;

/// Why a page spec or a pagination was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AtlasError {
    /// The scale denominator is outside 24 000..=500 000.
    #[error("scale 1:{0} is outside 1:{MIN_SCALE}..1:{MAX_SCALE}")]
    ScaleOutOfRange(u32),
    /// Margins leave too small a map frame, or are negative.
    #[error("margins of {0} mm are not usable on this paper (3..=40 mm)")]
    BadMargins(f64),
    /// Overlap is negative or too large for the frame.
    #[error("overlap of {0} mm is not usable (0 to a quarter of the frame's short side)")]
    BadOverlap(f64),
    /// The route has no points.
    #[error("the route has no points")]
    EmptyRoute,
    /// A route point is not a valid WGS84 position.
    #[error("route point {index} is not a valid position")]
    InvalidPoint {
        /// Index in the route path.
        index: usize,
    },
    /// Unknown paper or orientation name.
    #[error("unknown {what} {name:?}")]
    UnknownName {
        /// "paper" or "orientation".
        what: &'static str,
        /// What was given.
        name: String,
    },
}

/// Paper sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Paper {
    /// US Letter, 8.5 × 11 in.
    #[default]
    Letter,
    /// US Legal, 8.5 × 14 in.
    Legal,
    /// US Tabloid, 11 × 17 in.
    Tabloid,
    /// ISO A4, 210 × 297 mm.
    A4,
    /// ISO A3, 297 × 420 mm.
    A3,
}

impl Paper {
    /// Every paper size.
    pub const ALL: [Paper; 5] = [
        Paper::Letter,
        Paper::Legal,
        Paper::Tabloid,
        Paper::A4,
        Paper::A3,
    ];

    /// (width, height) in portrait, mm.
    pub const fn portrait_mm(self) -> (f64, f64) {
        match self {
            Paper::Letter => (215.9, 279.4),
            Paper::Legal => (215.9, 355.6),
            Paper::Tabloid => (279.4, 431.8),
            Paper::A4 => (210.0, 297.0),
            Paper::A3 => (297.0, 420.0),
        }
    }

    /// Lower-case name used in the CLI and JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Paper::Letter => "letter",
            Paper::Legal => "legal",
            Paper::Tabloid => "tabloid",
            Paper::A4 => "a4",
            Paper::A3 => "a3",
        }
    }
}

impl FromStr for Paper {
    type Err = AtlasError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Paper::ALL
            .into_iter()
            .find(|p| p.as_str() == lower)
            .ok_or_else(|| AtlasError::UnknownName {
                what: "paper",
                name: s.to_string(),
            })
    }
}

/// Requested orientation: fixed, or chosen per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Orientation {
    /// Per page, whichever covers more of the route.
    #[default]
    Auto,
    /// Always portrait.
    Portrait,
    /// Always landscape.
    Landscape,
}

impl Orientation {
    /// Every orientation choice, for menus.
    pub const ALL: [Orientation; 3] = [
        Orientation::Auto,
        Orientation::Portrait,
        Orientation::Landscape,
    ];

    /// The name used on the command line and in settings.
    pub const fn as_str(self) -> &'static str {
        match self {
            Orientation::Auto => "auto",
            Orientation::Portrait => "portrait",
            Orientation::Landscape => "landscape",
        }
    }
}

impl FromStr for Orientation {
    type Err = AtlasError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Orientation::Auto),
            "portrait" => Ok(Orientation::Portrait),
            "landscape" => Ok(Orientation::Landscape),
            _ => Err(AtlasError::UnknownName {
                what: "orientation",
                name: s.to_string(),
            }),
        }
    }
}

/// The orientation a page was laid out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageOrientation {
    /// Taller than wide.
    Portrait,
    /// Wider than tall.
    Landscape,
}

impl PageOrientation {
    /// Lower-case name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            PageOrientation::Portrait => "portrait",
            PageOrientation::Landscape => "landscape",
        }
    }
}

/// A rectangle on paper, mm, origin top-left, y down.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RectMm {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl RectMm {
    /// Right edge.
    pub fn right(&self) -> f64 {
        self.x + self.w
    }
    /// Bottom edge.
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
    /// True when `p` is inside or on the edge.
    pub fn contains(&self, p: [f64; 2]) -> bool {
        p[0] >= self.x && p[0] <= self.right() && p[1] >= self.y && p[1] <= self.bottom()
    }

    /// The rectangle moved by `d`.
    pub fn translated(&self, d: [f64; 2]) -> RectMm {
        RectMm {
            x: self.x + d[0],
            y: self.y + d[1],
            ..*self
        }
    }

    /// The rectangle with `by` added on every side.
    pub fn grown(&self, by: f64) -> RectMm {
        RectMm {
            x: self.x - by,
            y: self.y - by,
            w: self.w + 2.0 * by,
            h: self.h + 2.0 * by,
        }
    }
}

/// How to print: paper, orientation, scale, margins and overlap. Built with [`PageSpec::new`],
/// which validates the scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageSpec {
    paper: Paper,
    orientation: Orientation,
    scale_denominator: u32,
    margins_mm: f64,
    overlap_mm: f64,
}

impl PageSpec {
    /// A spec with 10 mm margins and 10 mm overlap; the scale must be 1:24 000..=1:500 000.
    pub fn new(
        paper: Paper,
        orientation: Orientation,
        scale_denominator: u32,
    ) -> Result<Self, AtlasError> {
        if !(MIN_SCALE..=MAX_SCALE).contains(&scale_denominator) {
            return Err(AtlasError::ScaleOutOfRange(scale_denominator));
        }
        Ok(Self {
            paper,
            orientation,
            scale_denominator,
            margins_mm: 10.0,
            overlap_mm: 10.0,
        })
    }

    /// The same spec with other margins (3..=40 mm, leaving a usable frame).
    pub fn with_margins_mm(self, margins_mm: f64) -> Result<Self, AtlasError> {
        let s = Self { margins_mm, ..self };
        let (w, h) = s.frame_size_mm(PageOrientation::Portrait);
        if !(3.0..=40.0).contains(&margins_mm) || w.min(h) < MIN_FRAME_MM {
            return Err(AtlasError::BadMargins(margins_mm));
        }
        Ok(s)
    }

    /// The same spec with another overlap between consecutive pages, mm on paper.
    pub fn with_overlap_mm(self, overlap_mm: f64) -> Result<Self, AtlasError> {
        let (w, h) = self.frame_size_mm(PageOrientation::Portrait);
        if !(0.0..=w.min(h) / 4.0).contains(&overlap_mm) {
            return Err(AtlasError::BadOverlap(overlap_mm));
        }
        Ok(Self { overlap_mm, ..self })
    }

    /// Paper size.
    pub fn paper(&self) -> Paper {
        self.paper
    }
    /// Requested orientation.
    pub fn orientation(&self) -> Orientation {
        self.orientation
    }
    /// Scale denominator (100 000 for 1:100 000).
    pub fn scale_denominator(&self) -> u32 {
        self.scale_denominator
    }
    /// Margins, mm.
    pub fn margins_mm(&self) -> f64 {
        self.margins_mm
    }
    /// Overlap between consecutive pages, mm on paper.
    pub fn overlap_mm(&self) -> f64 {
        self.overlap_mm
    }
    /// Ground metres per mm on paper.
    pub fn m_per_mm(&self) -> f64 {
        f64::from(self.scale_denominator) / 1000.0
    }

    /// Paper (width, height) in `o`, mm.
    pub fn paper_size_mm(&self, o: PageOrientation) -> (f64, f64) {
        let (w, h) = self.paper.portrait_mm();
        match o {
            PageOrientation::Portrait => (w, h),
            PageOrientation::Landscape => (h, w),
        }
    }

    /// The map frame on the page in `o`: inside the margins, below the header band, above the
    /// footer band.
    pub fn frame_mm(&self, o: PageOrientation) -> RectMm {
        let (w, h) = self.paper_size_mm(o);
        let m = self.margins_mm;
        RectMm {
            x: m,
            y: m + HEADER_MM,
            w: w - 2.0 * m,
            h: h - 2.0 * m - HEADER_MM - FOOTER_MM,
        }
    }

    fn frame_size_mm(&self, o: PageOrientation) -> (f64, f64) {
        let r = self.frame_mm(o);
        (r.w, r.h)
    }

    /// The frame's longer side in ground metres (the best case a page can cover).
    pub fn frame_long_side_m(&self) -> f64 {
        let (w, h) = self.frame_size_mm(PageOrientation::Portrait);
        w.max(h) * self.m_per_mm()
    }
}

/// An edge of a map frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Edge {
    /// Top.
    N,
    /// Right.
    E,
    /// Bottom.
    S,
    /// Left.
    W,
}

impl Edge {
    /// "N", "E", "S" or "W".
    pub const fn as_str(self) -> &'static str {
        match self {
            Edge::N => "N",
            Edge::E => "E",
            Edge::S => "S",
            Edge::W => "W",
        }
    }
}

impl fmt::Display for Edge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the route leaves a page and which page it continues on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgeLink {
    /// The frame edge crossed.
    pub edge: Edge,
    /// The crossing: intersection of the route segment with the frame edge.
    pub at: LatLon,
    /// Number of the page the route continues on.
    pub to_page: u32,
}

/// One page joins another across an edge (deduplicated edge links, for the index table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Adjacency {
    /// Page number.
    pub page: u32,
    /// Edge of `page`.
    pub edge: Edge,
    /// The page the route continues on.
    pub to_page: u32,
}

/// One map page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Page number in the document (from [`FIRST_MAP_PAGE`]).
    pub number: u32,
    /// Frame corners SW, SE, NE, NW.
    pub corners: [LatLon; 4],
    /// The page's projection (true scale on its central meridian).
    pub projection: TransverseMercator,
    /// Frame centre in the projection, metres (easting, northing).
    pub centre_m: (f64, f64),
    /// Frame (width, height) in ground metres.
    pub extent_m: (f64, f64),
    /// Orientation of the paper.
    pub orientation: PageOrientation,
    /// The map frame on paper, mm.
    pub frame_mm: RectMm,
    /// Ground metres per mm on paper.
    pub m_per_mm: f64,
    /// Indices into the route path of the route points in this page's stretch (may be empty
    /// when a long segment is split across pages).
    pub route_points: Range<usize>,
    /// Indices into [`Atlas::path`] of the page's stretch (start, end inclusive).
    pub stretch: (usize, usize),
    /// Where the route leaves the frame, in route order.
    pub links: Vec<EdgeLink>,
    /// Reference-grid columns (A, B, C…, west to east).
    pub grid_cols: u32,
    /// Reference-grid rows (1, 2, 3…, north to south).
    pub grid_rows: u32,
    /// Quick reject for points far from the frame.
    pub window: Window,
}

impl Page {
    /// Projected position of `p` relative to the frame centre, metres.
    fn local_m(&self, p: LatLon) -> (f64, f64) {
        let (x, y) = fast_forward(&self.projection, p);
        (x - self.centre_m.0, y - self.centre_m.1)
    }

    /// True when `p` is inside the frame shrunk by `inset_mm` (negative grows it).
    pub fn contains_inset(&self, p: LatLon, inset_mm: f64) -> bool {
        let (dx, dy) = self.local_m(p);
        let inset_m = inset_mm * self.m_per_mm;
        dx.abs() <= self.extent_m.0 / 2.0 - inset_m && dy.abs() <= self.extent_m.1 / 2.0 - inset_m
    }

    /// True when `p` is inside the frame or on its edge.
    pub fn contains(&self, p: LatLon) -> bool {
        self.contains_inset(p, 0.0)
    }

    /// Position of `p` on paper, mm (origin top-left of the paper, y down). Points outside the
    /// frame map outside it.
    pub fn paper_mm_from_world(&self, p: LatLon) -> [f64; 2] {
        let (dx, dy) = self.local_m(p);
        [
            self.frame_mm.x + self.frame_mm.w / 2.0 + dx / self.m_per_mm,
            self.frame_mm.y + self.frame_mm.h / 2.0 - dy / self.m_per_mm,
        ]
    }

    /// A lat/lon box around the frame, grown by a tenth of its size each way (the frame's
    /// edges bow a little in lat/lon): what a map query for this page asks for.
    pub fn ground_bbox(&self) -> BBox {
        let b = BBox::of(self.corners);
        let (dlat, dlon) = ((b.max_lat - b.min_lat) * 0.1, (b.max_lon - b.min_lon) * 0.1);
        BBox {
            min_lon: b.min_lon - dlon,
            min_lat: b.min_lat - dlat,
            max_lon: b.max_lon + dlon,
            max_lat: b.max_lat + dlat,
        }
    }

    /// The world position at a point on paper (inverse of [`paper_mm_from_world`](Self::paper_mm_from_world)).
    pub fn world_from_paper_mm(&self, q: [f64; 2]) -> LatLon {
        let dx = (q[0] - self.frame_mm.x - self.frame_mm.w / 2.0) * self.m_per_mm;
        let dy = (self.frame_mm.y + self.frame_mm.h / 2.0 - q[1]) * self.m_per_mm;
        self.projection
            .inverse(self.centre_m.0 + dx, self.centre_m.1 + dy)
    }

    /// Width and height of a grid cell, mm.
    pub fn grid_cell_mm(&self) -> (f64, f64) {
        (
            self.frame_mm.w / f64::from(self.grid_cols.max(1)),
            self.frame_mm.h / f64::from(self.grid_rows.max(1)),
        )
    }

    /// The reference-grid cell ("C3") holding `p`, if it is in the frame.
    pub fn grid_ref(&self, p: LatLon) -> Option<String> {
        if !self.contains(p) {
            return None;
        }
        let q = self.paper_mm_from_world(p);
        let (cw, ch) = self.grid_cell_mm();
        let col = (((q[0] - self.frame_mm.x) / cw).floor().max(0.0) as u32)
            .min(self.grid_cols.saturating_sub(1));
        let row = (((q[1] - self.frame_mm.y) / ch).floor().max(0.0) as u32)
            .min(self.grid_rows.saturating_sub(1));
        Some(format!("{}{}", column_name(col), row + 1))
    }
}

/// Column letters: A..Z, then AA, AB…
pub fn column_name(col: u32) -> String {
    let mut n = col;
    let mut s = Vec::new();
    loop {
        s.push(char::from(b'A' + (n % 26) as u8));
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    s.iter().rev().collect()
}

/// A paginated route.
#[derive(Debug, Clone, PartialEq)]
pub struct Atlas {
    /// The spec it was laid out with.
    pub spec: PageSpec,
    /// Map pages in route order.
    pub pages: Vec<Page>,
    /// Deduplicated (page, edge, to_page) joins, sorted.
    pub adjacencies: Vec<Adjacency>,
    /// The route path as paginated: the input with long segments split so no segment is longer
    /// than a quarter of a frame.
    pub path: Vec<LatLon>,
    /// [`Atlas::path`] in runs of consecutive points with their extents, to find quickly which
    /// parts of a long route are near a page.
    pub chunks: Vec<Chunk>,
}

/// Points per [`Chunk`].
const CHUNK_POINTS: usize = 256;

/// A run of consecutive path points and its lat/lon extent.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Indices into the path.
    pub range: Range<usize>,
    lat: (f64, f64),
    lon_ref: f64,
    dlon: (f64, f64),
}

fn chunks_of(path: &[LatLon]) -> Vec<Chunk> {
    path.chunks(CHUNK_POINTS)
        .enumerate()
        .map(|(i, pts)| {
            let lon_ref = pts.first().map_or(0.0, |p| p.lon);
            let mut lat = (f64::INFINITY, f64::NEG_INFINITY);
            let mut dlon = (f64::INFINITY, f64::NEG_INFINITY);
            for p in pts {
                lat = (lat.0.min(p.lat), lat.1.max(p.lat));
                let d = wrap_deg(p.lon - lon_ref);
                dlon = (dlon.0.min(d), dlon.1.max(d));
            }
            let start = i * CHUNK_POINTS;
            Chunk {
                range: start..start + pts.len(),
                lat,
                lon_ref,
                dlon,
            }
        })
        .collect()
}

impl Atlas {
    /// The page with this number.
    pub fn page(&self, number: u32) -> Option<&Page> {
        self.pages.iter().find(|p| p.number == number)
    }

    /// The first page in route order whose frame holds `pos`, with its grid cell.
    pub fn locate(&self, pos: LatLon) -> Option<(u32, String)> {
        self.pages
            .iter()
            .find_map(|p| p.grid_ref(pos).map(|cell| (p.number, cell)))
    }

    /// Index ranges of [`Atlas::path`] that may come near `page`, in order; each range also
    /// holds the first point after it, so segments leaving the near part are kept.
    pub fn path_ranges_near(&self, page: &Page) -> Vec<Range<usize>> {
        let mut out: Vec<Range<usize>> = Vec::new();
        for c in self.chunks.iter().filter(|c| page.window.near_chunk(c)) {
            let end = (c.range.end + 1).min(self.path.len());
            match out.last_mut() {
                Some(last) if last.end >= c.range.start => last.end = end,
                _ => out.push(c.range.start..end),
            }
        }
        out
    }

    /// Number of the last map page (the cue sheet follows it).
    pub fn last_map_page(&self) -> u32 {
        FIRST_MAP_PAGE + self.pages.len() as u32 - 1
    }
}

/// A cheap lat/lon window around a frame (the frame grown to twice its size), to skip
/// projecting points far from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    lat: (f64, f64),
    lon0: f64,
    half_dlon: f64,
    always: bool,
}

impl Window {
    fn around(page: &Page) -> Self {
        let (hw, hh) = (page.extent_m.0, page.extent_m.1);
        // Sample the frame grown by 100 % of its size; its lat/lon box bounds the frame's with
        // room to spare for the curvature of the TM grid.
        let mut lat = (f64::INFINITY, f64::NEG_INFINITY);
        let mut dlon: f64 = 0.0;
        let centre = page.projection.inverse(page.centre_m.0, page.centre_m.1);
        for (fx, fy) in [
            (-1.0, -1.0),
            (0.0, -1.0),
            (1.0, -1.0),
            (1.0, 0.0),
            (1.0, 1.0),
            (0.0, 1.0),
            (-1.0, 1.0),
            (-1.0, 0.0),
        ] {
            let p = page
                .projection
                .inverse(page.centre_m.0 + fx * hw, page.centre_m.1 + fy * hh);
            lat = (lat.0.min(p.lat), lat.1.max(p.lat));
            dlon = dlon.max(wrap_deg(p.lon - centre.lon).abs());
        }
        let always = lat.1 > 84.0 || lat.0 < -84.0 || dlon > 60.0;
        Self {
            lat,
            lon0: centre.lon,
            half_dlon: dlon,
            always,
        }
    }

    /// False only when every point of `c` is certainly far from the frame.
    pub fn near_chunk(&self, c: &Chunk) -> bool {
        if self.always {
            return true;
        }
        if c.lat.1 < self.lat.0 || c.lat.0 > self.lat.1 {
            return false;
        }
        let mid = c.lon_ref + (c.dlon.0 + c.dlon.1) / 2.0;
        let half = (c.dlon.1 - c.dlon.0) / 2.0;
        wrap_deg(mid - self.lon0).abs() <= self.half_dlon + half
    }

    /// False only when `p` is certainly more than half a frame outside the frame.
    pub fn near(&self, p: LatLon) -> bool {
        self.always
            || (p.lat >= self.lat.0
                && p.lat <= self.lat.1
                && wrap_deg(p.lon - self.lon0).abs() <= self.half_dlon)
    }
}

/// Splits segments longer than `max_m`; returns the dense path and, for each input point, its
/// index in the dense path.
fn densify(path: &[LatLon], max_m: f64) -> (Vec<LatLon>, Vec<usize>) {
    let mut out = Vec::with_capacity(path.len());
    let mut index_of = Vec::with_capacity(path.len());
    let mut prev: Option<LatLon> = None;
    for &p in path {
        if let Some(a) = prev {
            let d = distance_m(a, p);
            if d > max_m {
                let n = (d / max_m).ceil() as usize;
                let dlon = wrap_deg(p.lon - a.lon);
                for k in 1..n {
                    let t = k as f64 / n as f64;
                    out.push(LatLon::new(
                        a.lat + t * (p.lat - a.lat),
                        wrap_deg(a.lon + t * dlon),
                    ));
                }
            }
        }
        index_of.push(out.len());
        out.push(p);
        prev = Some(p);
    }
    (out, index_of)
}

/// Bounding box in projected metres.
#[derive(Debug, Clone, Copy)]
struct BoxM {
    min: (f64, f64),
    max: (f64, f64),
}

impl BoxM {
    fn at(x: f64, y: f64) -> Self {
        Self {
            min: (x, y),
            max: (x, y),
        }
    }
    fn extend(&mut self, x: f64, y: f64) {
        self.min = (self.min.0.min(x), self.min.1.min(y));
        self.max = (self.max.0.max(x), self.max.1.max(y));
    }
    fn size(&self) -> (f64, f64) {
        (self.max.0 - self.min.0, self.max.1 - self.min.1)
    }
    fn centre(&self) -> (f64, f64) {
        (
            (self.min.0 + self.max.0) / 2.0,
            (self.min.1 + self.max.1) / 2.0,
        )
    }
}

/// Paginates a route path into map pages; see the module docs.
pub fn paginate(spec: &PageSpec, route_path: &[LatLon]) -> Result<Atlas, AtlasError> {
    if route_path.is_empty() {
        return Err(AtlasError::EmptyRoute);
    }
    if let Some(index) = route_path.iter().position(|p| !p.is_valid()) {
        return Err(AtlasError::InvalidPoint { index });
    }
    let m_per_mm = spec.m_per_mm();
    let orientations: &[PageOrientation] = match spec.orientation {
        Orientation::Auto => &[PageOrientation::Portrait, PageOrientation::Landscape],
        Orientation::Portrait => &[PageOrientation::Portrait],
        Orientation::Landscape => &[PageOrientation::Landscape],
    };
    let short_side_mm = orientations
        .iter()
        .map(|&o| {
            let f = spec.frame_mm(o);
            f.w.min(f.h)
        })
        .fold(f64::INFINITY, f64::min);
    let (path, dense_of) = densify(route_path, short_side_mm / 4.0 * m_per_mm);
    let n = path.len();
    let mut along_m = Vec::with_capacity(n);
    let mut acc = 0.0;
    for (i, &p) in path.iter().enumerate() {
        if let Some(&prev) = i.checked_sub(1).and_then(|j| path.get(j)) {
            acc += distance_m(prev, p);
        }
        along_m.push(acc);
    }
    let pad_m = FRAME_PAD_MM * m_per_mm;
    let overlap_m = spec.overlap_mm * m_per_mm;

    let mut pages: Vec<Page> = Vec::new();
    let mut next = 0usize;
    loop {
        // Skip points already inside some frame (an out-and-back's return leg), but only
        // where the segment leading to the point lies in that same frame: then every segment
        // of the route is wholly inside one frame, and every exit lands on a page.
        while let Some(&p) = path.get(next) {
            let prev = next.checked_sub(1).and_then(|i| path.get(i)).copied();
            let covered = pages.iter().rev().any(|pg| {
                pg.window.near(p)
                    && pg.contains_inset(p, FRAME_PAD_MM)
                    && prev.is_none_or(|q| pg.contains_inset(q, FRAME_PAD_MM))
            });
            if !covered {
                break;
            }
            next += 1;
        }
        if next >= n {
            break;
        }
        // Start a little before the first uncovered point so consecutive pages overlap.
        // Always include the previous point, so the segment into `next` is on this page.
        let mut start = next.saturating_sub(1);
        while start > 0
            && along_m.get(next).copied().unwrap_or(0.0)
                - along_m.get(start - 1).copied().unwrap_or(0.0)
                <= overlap_m
        {
            start -= 1;
        }
        let mut page = fit_page(spec, &path, start, orientations, pad_m);
        if page.stretch.1 < next {
            // The overlap part alone filled a frame (a tangle); start at the uncovered point.
            start = next.saturating_sub(1);
            page = fit_page(spec, &path, start, orientations, pad_m);
        }
        let lo = dense_of.partition_point(|&d| d < page.stretch.0);
        let hi = dense_of.partition_point(|&d| d <= page.stretch.1);
        page.route_points = lo..hi;
        page.number = FIRST_MAP_PAGE + pages.len() as u32;
        next = page.stretch.1 + 1;
        page.window = Window::around(&page);
        pages.push(page);
    }

    let chunks = chunks_of(&path);
    let all_links = find_links(&pages, &path, &chunks);
    for (page, links) in pages.iter_mut().zip(all_links) {
        page.links = links;
    }
    let mut adjacencies: Vec<Adjacency> = pages
        .iter()
        .flat_map(|p| {
            p.links.iter().map(|l| Adjacency {
                page: p.number,
                edge: l.edge,
                to_page: l.to_page,
            })
        })
        .collect();
    adjacencies.sort();
    adjacencies.dedup();
    Ok(Atlas {
        spec: *spec,
        pages,
        adjacencies,
        path,
        chunks,
    })
}

/// Lays out one page starting at `start`: extends the stretch while its box fits the frame
/// (less the pad) in some orientation, keeps the orientation that reaches further, then
/// recentres the projection and the frame on the stretch.
fn fit_page(
    spec: &PageSpec,
    path: &[LatLon],
    start: usize,
    orientations: &[PageOrientation],
    pad_m: f64,
) -> Page {
    let m_per_mm = spec.m_per_mm();
    let first = path.get(start).copied().unwrap_or_default();
    let proj = TransverseMercator::local(first.lon);
    let limits: Vec<(PageOrientation, f64, f64)> = orientations
        .iter()
        .map(|&o| {
            let f = spec.frame_mm(o);
            (
                o,
                f.w * m_per_mm - 2.02 * pad_m,
                f.h * m_per_mm - 2.02 * pad_m,
            )
        })
        .collect();
    let mut ends: Vec<Option<usize>> = vec![None; limits.len()];
    let (x0, y0) = fast_forward(&proj, first);
    let mut bbox = BoxM::at(x0, y0);
    for (j, &p) in path.iter().enumerate().skip(start) {
        let (x, y) = fast_forward(&proj, p);
        bbox.extend(x, y);
        let (w, h) = bbox.size();
        let mut any = false;
        for (k, &(_, lw, lh)) in limits.iter().enumerate() {
            let still = ends.get(k).copied().flatten().is_some_and(|e| e + 1 == j) || j == start;
            if still && w <= lw && h <= lh {
                if let Some(slot) = ends.get_mut(k) {
                    *slot = Some(j);
                }
                any = true;
            }
        }
        if !any {
            break;
        }
    }
    // Keep the orientation that covers more; on a tie, the one with more room left.
    let mut best: Option<(usize, f64, PageOrientation)> = None;
    for (k, &(o, lw, lh)) in limits.iter().enumerate() {
        let Some(end) = ends.get(k).copied().flatten() else {
            continue;
        };
        let mut b = BoxM::at(x0, y0);
        for p in path.get(start..=end).unwrap_or(&[]) {
            let (x, y) = fast_forward(&proj, *p);
            b.extend(x, y);
        }
        let (w, h) = b.size();
        let slack = (lw - w).min(lh - h);
        if best.is_none_or(|(e, s, _)| end > e || (end == e && slack > s)) {
            best = Some((end, slack, o));
        }
    }
    let (end0, _, orientation) = best.unwrap_or((
        start,
        0.0,
        limits.first().map_or(PageOrientation::Portrait, |l| l.0),
    ));
    let frame = spec.frame_mm(orientation);
    let extent_m = (frame.w * m_per_mm, frame.h * m_per_mm);
    // Recentre: a projection true on a meridian through the stretch's centre. Its grid is
    // turned a little against the first one (meridian convergence), so the box changes; keep
    // the longest prefix of the stretch that still fits, in one pass.
    let mut b = BoxM::at(x0, y0);
    for p in path.get(start..=end0).unwrap_or(&[]) {
        let (x, y) = fast_forward(&proj, *p);
        b.extend(x, y);
    }
    let (cx, cy) = b.centre();
    let page_proj = TransverseMercator::local(proj.inverse(cx, cy).lon);
    let (fx0, fy0) = fast_forward(&page_proj, first);
    let mut fitted = BoxM::at(fx0, fy0);
    let mut end = start;
    for (j, p) in path.iter().enumerate().take(end0 + 1).skip(start + 1) {
        let (x, y) = fast_forward(&page_proj, *p);
        let mut grown = fitted;
        grown.extend(x, y);
        let (w, h) = grown.size();
        if w > extent_m.0 - 2.0 * pad_m || h > extent_m.1 - 2.0 * pad_m {
            break;
        }
        fitted = grown;
        end = j;
    }
    let centre_m = fitted.centre();
    let corner = |fx: f64, fy: f64| {
        page_proj.inverse(
            centre_m.0 + fx * extent_m.0 / 2.0,
            centre_m.1 + fy * extent_m.1 / 2.0,
        )
    };
    let grid_cols = ((frame.w / GRID_CELL_TARGET_MM).round() as u32).max(1);
    let grid_rows = ((frame.h / GRID_CELL_TARGET_MM).round() as u32).max(1);
    Page {
        number: 0,
        corners: [
            corner(-1.0, -1.0),
            corner(1.0, -1.0),
            corner(1.0, 1.0),
            corner(-1.0, 1.0),
        ],
        projection: page_proj,
        centre_m,
        extent_m,
        orientation,
        frame_mm: frame,
        m_per_mm,
        route_points: 0..0,
        stretch: (start, end),
        links: Vec::new(),
        grid_cols,
        grid_rows,
        window: Window {
            lat: (-90.0, 90.0),
            lon0: 0.0,
            half_dlon: 180.0,
            always: true,
        },
    }
}

/// Every place the path leaves each page's frame, with the page it continues on.
fn find_links(pages: &[Page], path: &[LatLon], chunks: &[Chunk]) -> Vec<Vec<EdgeLink>> {
    let mut out = Vec::with_capacity(pages.len());
    for (pi, page) in pages.iter().enumerate() {
        let window = page.window;
        let mut links = Vec::new();
        let (hw, hh) = (page.extent_m.0 / 2.0, page.extent_m.1 / 2.0);
        let inside = |q: (f64, f64)| q.0.abs() <= hw && q.1.abs() <= hh;
        let mut prev: Option<(f64, f64)> = None;
        let mut prev_point: Option<LatLon> = None;
        // Chunks far from the frame are skipped: a far chunk yields its first and last points only: both are outside, so the
        // shortcut between them crosses nothing, and the real segments into and out of the
        // chunk are still seen.
        let points = chunks.iter().flat_map(|c| {
            let all = path.get(c.range.clone()).unwrap_or(&[]);
            let ends: Vec<LatLon> = if window.near_chunk(c) {
                all.to_vec()
            } else {
                all.first()
                    .into_iter()
                    .chain(all.last().filter(|_| all.len() > 1))
                    .copied()
                    .collect()
            };
            ends
        });
        for b in points {
            // Only project near the frame; a point far away is outside and never starts a
            // crossing.
            let qb = if window.near(b) {
                Some(page.local_m(b))
            } else {
                None
            };
            if let Some(qa) = prev {
                let exits = inside(qa) && !qb.is_some_and(inside);
                if exits {
                    let qb = qb.unwrap_or_else(|| page.local_m(b));
                    if let Some(link) = exit_link(pages, pi, page, qa, qb, b, Towards::Later) {
                        links.push(link);
                    }
                }
            }
            // Entering the frame is leaving it backwards: the road also continues on the
            // page it came from, and the driver going the other way needs that label too.
            if let (Some(qb), Some(a)) = (qb.filter(|q| inside(*q)), prev_point) {
                let qa = prev.unwrap_or_else(|| page.local_m(a));
                if !inside(qa)
                    && let Some(link) = exit_link(pages, pi, page, qb, qa, a, Towards::Earlier)
                {
                    links.push(link);
                }
            }
            prev = qb;
            prev_point = Some(b);
        }
        out.push(links);
    }
    out
}

/// Which pages a link prefers when several hold the far side of a crossing.
#[derive(Clone, Copy)]
enum Towards {
    /// Leaving in route order: the next pages first.
    Later,
    /// Entering (leaving backwards): the previous pages first.
    Earlier,
}

/// The link for a segment a→b (frame-centred metres) that leaves `page`.
fn exit_link(
    pages: &[Page],
    pi: usize,
    page: &Page,
    qa: (f64, f64),
    qb: (f64, f64),
    b: LatLon,
    towards: Towards,
) -> Option<EdgeLink> {
    let (hw, hh) = (page.extent_m.0 / 2.0, page.extent_m.1 / 2.0);
    let (dx, dy) = (qb.0 - qa.0, qb.1 - qa.1);
    let mut best: Option<(f64, Edge)> = None;
    let mut consider = |t: f64, e: Edge| {
        if (0.0..=1.0).contains(&t) && best.is_none_or(|(bt, _)| t < bt) {
            best = Some((t, e));
        }
    };
    if qb.0 > hw && dx != 0.0 {
        consider((hw - qa.0) / dx, Edge::E);
    }
    if qb.0 < -hw && dx != 0.0 {
        consider((-hw - qa.0) / dx, Edge::W);
    }
    if qb.1 > hh && dy != 0.0 {
        consider((hh - qa.1) / dy, Edge::N);
    }
    if qb.1 < -hh && dy != 0.0 {
        consider((-hh - qa.1) / dy, Edge::S);
    }
    let (t, edge) = best?;
    let seg_m = dx.hypot(dy);
    let at = page.projection.inverse(
        page.centre_m.0 + qa.0 + t * dx,
        page.centre_m.1 + qa.1 + t * dy,
    );
    // Just past the crossing: half a millimetre on paper further along the segment.
    let t_past = (t + 0.5 * page.m_per_mm / seg_m.max(1e-9)).min(1.0);
    let past = page.projection.inverse(
        page.centre_m.0 + qa.0 + t_past * dx,
        page.centre_m.1 + qa.1 + t_past * dy,
    );
    // Preference: pages in the direction of travel, nearest first, then the others.
    let order: Vec<usize> = match towards {
        Towards::Later => (pi + 1..pages.len()).chain((0..pi).rev()).collect(),
        Towards::Earlier => (0..pi).rev().chain(pi + 1..pages.len()).collect(),
    };
    let tol_mm = -0.01;
    let mut fallback: Option<u32> = None;
    for qi in order {
        let Some(q) = pages.get(qi) else { continue };
        if q.contains_inset(past, tol_mm) {
            if q.contains_inset(at, tol_mm) {
                return Some(EdgeLink {
                    edge,
                    at,
                    to_page: q.number,
                });
            }
            fallback.get_or_insert(q.number);
        }
    }
    if fallback.is_none() {
        fallback = pages
            .iter()
            .enumerate()
            .filter(|(qi, _)| *qi != pi)
            .find(|(_, q)| q.contains(b))
            .map(|(_, q)| q.number);
    }
    fallback.map(|to_page| EdgeLink { edge, at, to_page })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(scale: u32) -> PageSpec {
        PageSpec::new(Paper::Letter, Orientation::Auto, scale).unwrap()
    }

    fn line(from: LatLon, to: LatLon, n: usize) -> Vec<LatLon> {
        (0..n)
            .map(|i| {
                let t = i as f64 / (n - 1) as f64;
                LatLon::new(
                    from.lat + t * (to.lat - from.lat),
                    wrap_deg(from.lon + t * wrap_deg(to.lon - from.lon)),
                )
            })
            .collect()
    }

    fn check_covered(atlas: &Atlas, route: &[LatLon]) {
        for (i, p) in route.iter().enumerate() {
            assert!(
                atlas
                    .pages
                    .iter()
                    .any(|pg| pg.contains_inset(*p, FRAME_PAD_MM - 0.5)),
                "point {i} {p:?} uncovered"
            );
        }
    }

    #[test]
    fn fast_forward_matches_the_kruger_series() {
        for lat in [-70.0, -33.0, 0.0, 12.5, 44.0, 65.0, 80.0] {
            for dlon in [-3.5, -1.0, 0.0, 0.3, 2.0, 3.9] {
                let tm = TransverseMercator::local(-121.0);
                let p = LatLon::new(lat, -121.0 + dlon);
                let (a, b) = (tm.forward(p), fast_forward(&tm, p));
                assert!(
                    (a.0 - b.0).abs() < 0.05 && (a.1 - b.1).abs() < 0.05,
                    "{p:?}: {a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn scale_is_validated() {
        assert_eq!(
            PageSpec::new(Paper::A4, Orientation::Auto, 10_000),
            Err(AtlasError::ScaleOutOfRange(10_000))
        );
        assert!(PageSpec::new(Paper::A4, Orientation::Auto, 24_000).is_ok());
        assert!(PageSpec::new(Paper::A4, Orientation::Auto, 500_001).is_err());
    }

    #[test]
    fn margins_and_overlap_are_validated() {
        assert!(spec(100_000).with_margins_mm(1.0).is_err());
        assert!(spec(100_000).with_margins_mm(15.0).is_ok());
        assert!(spec(100_000).with_overlap_mm(-1.0).is_err());
        assert!(spec(100_000).with_overlap_mm(100.0).is_err());
    }

    #[test]
    fn names_parse() {
        assert_eq!("A4".parse::<Paper>(), Ok(Paper::A4));
        assert_eq!(
            "landscape".parse::<Orientation>(),
            Ok(Orientation::Landscape)
        );
        assert!("b5".parse::<Paper>().is_err());
    }

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(2), "C");
        assert_eq!(column_name(26), "AA");
    }

    #[test]
    fn empty_route_is_an_error() {
        assert_eq!(paginate(&spec(100_000), &[]), Err(AtlasError::EmptyRoute));
    }

    #[test]
    fn one_point_makes_one_page_centred_on_it() {
        let p = LatLon::new(44.0, -121.0);
        let atlas = paginate(&spec(100_000), &[p]).unwrap();
        assert_eq!(atlas.pages.len(), 1);
        let q = atlas.pages[0].paper_mm_from_world(p);
        let f = atlas.pages[0].frame_mm;
        assert!(
            (q[0] - (f.x + f.w / 2.0)).abs() < 1e-6 && (q[1] - (f.y + f.h / 2.0)).abs() < 1e-6,
            "{q:?}"
        );
        assert_eq!(atlas.pages[0].number, FIRST_MAP_PAGE);
    }

    #[test]
    fn sparse_route_is_densified_and_covered() {
        let route = [LatLon::new(44.0, -121.0), LatLon::new(44.0, -119.0)];
        let atlas = paginate(&spec(100_000), &route).unwrap();
        assert!(atlas.pages.len() >= 2);
        check_covered(&atlas, &atlas.path);
        assert_eq!(atlas.pages[0].route_points, 0..1);
    }

    #[test]
    fn eastward_line_leaves_through_the_east_edge_to_the_next_page() {
        let route = line(LatLon::new(44.0, -121.0), LatLon::new(44.0, -119.0), 500);
        let atlas = paginate(&spec(100_000), &route).unwrap();
        let first = &atlas.pages[0];
        assert_eq!(first.orientation, PageOrientation::Landscape);
        let link = first.links.first().unwrap();
        assert_eq!(link.edge, Edge::E);
        assert_eq!(link.to_page, 3);
        // The crossing is on the east edge of the frame.
        let q = first.paper_mm_from_world(link.at);
        assert!((q[0] - first.frame_mm.right()).abs() < 1e-3, "{q:?}");
    }

    #[test]
    fn grid_ref_and_locate() {
        let route = line(LatLon::new(44.0, -121.0), LatLon::new(44.0, -120.8), 50);
        let atlas = paginate(&spec(100_000), &route).unwrap();
        let page = &atlas.pages[0];
        let nw = page.world_from_paper_mm([page.frame_mm.x + 1.0, page.frame_mm.y + 1.0]);
        assert_eq!(page.grid_ref(nw).as_deref(), Some("A1"));
        let se =
            page.world_from_paper_mm([page.frame_mm.right() - 1.0, page.frame_mm.bottom() - 1.0]);
        let last = format!("{}{}", column_name(page.grid_cols - 1), page.grid_rows);
        assert_eq!(atlas.locate(se), Some((2, last)));
        assert_eq!(atlas.locate(LatLon::new(0.0, 0.0)), None);
    }

    #[test]
    fn antimeridian_route_is_covered() {
        let route = line(LatLon::new(-17.0, 178.5), LatLon::new(-16.5, -178.5), 2000);
        let atlas = paginate(&spec(250_000), &route).unwrap();
        check_covered(&atlas, &route);
        let lb = (crate::core::geodesy::path_length_m(route.iter().copied())
            / atlas.spec.frame_long_side_m())
        .ceil();
        assert!(
            atlas.pages.len() as f64 <= 1.5 * lb.max(1.0),
            "{} pages, bound {lb}",
            atlas.pages.len()
        );
    }

    #[test]
    fn out_and_back_reuses_pages() {
        let mut route = line(LatLon::new(44.0, -121.0), LatLon::new(44.0, -119.5), 1000);
        let back: Vec<_> = route.iter().rev().copied().collect();
        route.extend(back);
        let atlas = paginate(&spec(100_000), &route).unwrap();
        let oneway = paginate(&spec(100_000), &route[..1000]).unwrap();
        assert_eq!(atlas.pages.len(), oneway.pages.len());
        check_covered(&atlas, &route);
    }
}
