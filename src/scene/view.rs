//! The screen view as a [`Scene`]: the map window of the app, built from the same items,
//! theme and label placement as the atlas pages, so screen and paper look alike.
//!
//! A [`ViewSpec`] says where the window looks (centre, scale, size, rotation for heading-up);
//! it projects with a local transverse Mercator on the view centre's meridian (true scale at
//! the centre, like an atlas page; not Web Mercator). [`build_view_scene`] is pure.
//!
//! Not for input handling or painting (see `ui::map_view` and `render::egui`).

use crate::core::atlas::RectMm;
use crate::core::map::MapData;
use crate::core::model::{BBox, LatLon, Waypoint, WaypointKind};
use crate::core::projection::{TransverseMercator, fast_forward, series_forward};
use crate::core::units::M_PER_MILE as M_PER_MI;

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::build::{
    Runs, SceneOptions, angle_label, graticule_step_deg, label, place_avoiding, scale_bar,
    waypoint_markers,
};
use super::layers::{self, DrawnMap, MapFrame, MapLayers};
use super::{Anchor, Color, HAlign, Item, Label, Scene, Stroke, VAlign, overlaps, theme};

/// From this scale out (metres per mm), the view projects with the plain series everywhere
/// (its drift, metres at 10° from the centre, is far below a pixel there).
const SERIES_M_PER_MM: f64 = 1_000.0;
/// Closest zoom, metres of ground per mm of screen.
pub const MIN_M_PER_MM: f64 = 0.5;
/// Farthest zoom, metres per mm.
pub const MAX_M_PER_MM: f64 = 50_000.0;
/// Lines are simplified to this tolerance on screen, mm.
const SIMPLIFY_MM: f64 = 0.15;
/// At most this many waypoints get labels (placement is quadratic).
const MAX_LABELLED: usize = 300;

/// Where the view looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewSpec {
    /// The ground point at the window's centre.
    pub center: LatLon,
    /// Scale: metres of ground per mm of window.
    pub m_per_mm: f64,
    /// Window (width, height), mm.
    pub size_mm: (f64, f64),
    /// Bearing shown up, degrees clockwise from north (0 = north-up; the course for heading-up).
    pub rotation_deg: f64,
}

impl ViewSpec {
    /// A north-up view of `bbox` filling `size_mm` with `margin_mm` to spare on each side.
    pub fn fit(bbox: BBox, size_mm: (f64, f64), margin_mm: f64) -> ViewSpec {
        let center = LatLon::new(
            (bbox.min_lat + bbox.max_lat) / 2.0,
            (bbox.min_lon + bbox.max_lon) / 2.0,
        );
        let tm = TransverseMercator::local(center.lon);
        let corners = [
            LatLon::new(bbox.min_lat, bbox.min_lon),
            LatLon::new(bbox.min_lat, bbox.max_lon),
            LatLon::new(bbox.max_lat, bbox.min_lon),
            LatLon::new(bbox.max_lat, bbox.max_lon),
        ];
        let xy: Vec<(f64, f64)> = corners.iter().map(|p| tm.forward(*p)).collect();
        let span = |f: fn(&(f64, f64)) -> f64| {
            let lo = xy.iter().map(f).fold(f64::INFINITY, f64::min);
            let hi = xy.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
            hi - lo
        };
        let (w_m, h_m) = (span(|p| p.0), span(|p| p.1));
        let w_mm = (size_mm.0 - 2.0 * margin_mm).max(1.0);
        let h_mm = (size_mm.1 - 2.0 * margin_mm).max(1.0);
        let m_per_mm = (w_m / w_mm).max(h_m / h_mm);
        ViewSpec {
            center,
            m_per_mm: clamp_scale(m_per_mm),
            size_mm,
            rotation_deg: 0.0,
        }
    }

    /// The projector for this view.
    pub fn projector(&self) -> ViewProjector {
        ViewProjector::new(self)
    }

    /// The ground box the window shows (its corners' box, so a rotated view is covered).
    pub fn bbox(&self) -> BBox {
        let pr = self.projector();
        let (w, h) = self.size_mm;
        BBox::of([[0.0, 0.0], [w, 0.0], [0.0, h], [w, h]].map(|q| pr.world_from_mm(q)))
    }

    /// The same view zoomed by `factor` (> 1 zooms in) keeping the ground under `at_mm` still.
    pub fn zoomed(&self, factor: f64, at_mm: [f64; 2]) -> ViewSpec {
        if !factor.is_finite() || factor <= 0.0 {
            return *self;
        }
        let pr = self.projector();
        let fixed = pr.world_from_mm(at_mm);
        let mut v = ViewSpec {
            m_per_mm: clamp_scale(self.m_per_mm / factor),
            ..*self
        };
        // Move the centre so `fixed` lands back under `at_mm`.
        let moved = v.projector().mm_from_world(fixed);
        v = v.panned([at_mm[0] - moved[0], at_mm[1] - moved[1]]);
        v
    }

    /// The same view with the map dragged by `delta_mm` (the ground moves with the pointer).
    pub fn panned(&self, delta_mm: [f64; 2]) -> ViewSpec {
        let pr = self.projector();
        let (w, h) = self.size_mm;
        let center = pr.world_from_mm([w / 2.0 - delta_mm[0], h / 2.0 - delta_mm[1]]);
        if !center.is_valid() {
            return *self;
        }
        ViewSpec { center, ..*self }
    }
}

/// Keeps a scale within [`MIN_M_PER_MM`]..=[`MAX_M_PER_MM`] (and finite).
pub fn clamp_scale(m_per_mm: f64) -> f64 {
    if m_per_mm.is_finite() {
        m_per_mm.clamp(MIN_M_PER_MM, MAX_M_PER_MM)
    } else {
        MAX_M_PER_MM
    }
}

/// Ground ↔ window millimetres for one [`ViewSpec`].
#[derive(Debug, Clone, Copy)]
pub struct ViewProjector {
    tm: TransverseMercator,
    x0_m: f64,
    y0_m: f64,
    cos: f64,
    sin: f64,
    m_per_mm: f64,
    half_w_mm: f64,
    half_h_mm: f64,
}

/// From this scale out (metres per mm: 1:250,000), the view's meridian is the centre's
/// rounded to a whole degree, not the centre's own: then panning moves the map without
/// turning it, so the map's layers built for one frame serve the next ones moved (see
/// [`MapLayer`]); otherwise every pan at a state-wide zoom would turn the projection by the
/// change of meridian convergence and build everything again. North is then off the
/// window's vertical by the convergence at half a degree at most (0.4° at 50° N), which a
/// map at those scales does not show.
const SNAP_MERIDIAN_M_PER_MM: f64 = 250.0;

impl ViewProjector {
    fn new(v: &ViewSpec) -> Self {
        let lon0 = if v.m_per_mm >= SNAP_MERIDIAN_M_PER_MM && v.center.lon.is_finite() {
            v.center.lon.round()
        } else {
            v.center.lon
        };
        let tm = TransverseMercator::local(lon0);
        let (x0_m, y0_m) = fast_forward(&tm, v.center);
        let r = v.rotation_deg.to_radians();
        ViewProjector {
            tm,
            x0_m,
            y0_m,
            cos: r.cos(),
            sin: r.sin(),
            m_per_mm: v.m_per_mm,
            half_w_mm: v.size_mm.0 / 2.0,
            half_h_mm: v.size_mm.1 / 2.0,
        }
    }

    /// Window mm (origin top-left, y down) of a ground point.
    pub fn mm_from_world(&self, p: LatLon) -> [f64; 2] {
        // Snyder's series: within 5 cm of the exact one near the view, at a fraction of the
        // cost (every visible route point goes through here each frame); far out, where a
        // millimetre is more than `SERIES_M_PER_MM` metres, even off its 4° band.
        let (x, y) = if self.m_per_mm >= SERIES_M_PER_MM {
            series_forward(&self.tm, p)
        } else {
            fast_forward(&self.tm, p)
        };
        let (dx, dy) = (x - self.x0_m, y - self.y0_m);
        // Turn the ground counter-clockwise by the rotation so that bearing points up.
        let (rx, ry) = (dx * self.cos - dy * self.sin, dx * self.sin + dy * self.cos);
        [
            self.half_w_mm + rx / self.m_per_mm,
            self.half_h_mm - ry / self.m_per_mm,
        ]
    }

    /// The ground point at window mm `q`.
    pub fn world_from_mm(&self, q: [f64; 2]) -> LatLon {
        let rx = (q[0] - self.half_w_mm) * self.m_per_mm;
        let ry = (self.half_h_mm - q[1]) * self.m_per_mm;
        let (dx, dy) = (
            rx * self.cos + ry * self.sin,
            -rx * self.sin + ry * self.cos,
        );
        self.tm.inverse(self.x0_m + dx, self.y0_m + dy)
    }
}

/// The live GPS position to draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewPosition {
    /// Where.
    pub pos: LatLon,
    /// Course over ground, degrees true; an arrow when known, a dot otherwise.
    pub course_deg: Option<f64>,
    /// Horizontal accuracy (radius), metres.
    pub accuracy_m: Option<f64>,
}

/// A track or route to draw, with its GPX display colour.
#[derive(Debug, Clone, Copy)]
pub struct ViewLineRef<'a> {
    /// The line, prepared for every zoom.
    pub line: &'a ViewLine,
    /// The GPX display colour, if the file gave one.
    pub color: Option<Color>,
}

/// An atlas page's frame to outline on the map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageFrame {
    /// Page number in the book.
    pub number: u32,
    /// Corners SW, SE, NE, NW.
    pub corners: [LatLon; 4],
}

/// What to draw in the view.
#[derive(Debug, Clone, Copy, Default)]
pub struct ViewData<'a> {
    /// The selected route or track.
    pub route: Option<ViewLineRef<'a>>,
    /// Stretches of the route to mark (fuel gaps longer than the range).
    pub warnings: &'a [ViewLine],
    /// Other tracks and routes, thinner, for context.
    pub others: &'a [ViewLineRef<'a>],
    /// Where the GPS has been this session.
    pub breadcrumbs: &'a [LatLon],
    /// Waypoints to draw (already filtered by kind).
    pub waypoints: &'a [&'a Waypoint],
    /// The GPS position.
    pub position: Option<ViewPosition>,
    /// The closest route point while off route (a line is drawn to it).
    pub back_to_route: Option<LatLon>,
    /// A waypoint to ring (picked in a list).
    pub highlighted: Option<LatLon>,
    /// A point the user picked on the map (nearest is measured from it).
    pub picked: Option<LatLon>,
    /// Scale bar in miles (else kilometres).
    pub imperial: bool,
    /// Atlas page frames to outline, with their numbers.
    pub frames: &'a [PageFrame],
    /// Draw a lat/long graticule.
    pub graticule: bool,
    /// A basemap is drawn under the view: no background fill and no graticule.
    pub basemap: bool,
    /// OpenStreetMap features for the view (the caller loads them for its box and scale).
    pub map: Option<&'a MapData>,
    /// Which map layers to draw.
    pub layers: MapLayers,
    /// The attribution line of what is drawn (OSM, the elevation model).
    pub attribution: Option<&'a str>,
    /// Hillshade and contours for the view (the caller computes them for its box and scale).
    pub terrain: Option<&'a crate::core::terrain::cache::TerrainTile>,
}

/// Level-of-detail tolerances, metres: level 0 is the line itself, each next level keeps only
/// points at least this far from the previous kept one. Doubling steps, so the level drawn is
/// never more than twice as detailed as the zoom can show.
const LOD_TOLERANCES_M: [f64; 16] = [
    0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1_024.0, 2_048.0, 4_096.0, 8_192.0,
    16_384.0, 32_768.0,
];
/// A level that would keep fewer points than this is not built (the previous one is cheap).
const LOD_MIN_POINTS: usize = 64;
/// A level that keeps more than this share of the previous one is not built: it would cost
/// memory and save no drawing (dense logs thin only past their point spacing).
const LOD_MIN_GAIN: f64 = 0.8;
/// A line is drawn from the level thinned to this much on screen, mm (one screen pixel at
/// the app's 5 px/mm): finer detail cannot show under a line at least that wide.
const LOD_MM: f64 = 0.2;

type ChunkBox = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// One level of a [`ViewLine`]: its points and an R-tree over the boxes of its chunks.
#[derive(Debug, Clone)]
struct LodLevel {
    tol_m: f64,
    points: Vec<LatLon>,
    chunks: RTree<ChunkBox>,
}

impl LodLevel {
    fn new(tol_m: f64, points: Vec<LatLon>) -> LodLevel {
        let boxes = (0..points.len().div_ceil(CHUNK))
            .map(|i| {
                // The chunk plus the point before it, so the joining segment counts.
                let from = (i * CHUNK).saturating_sub(1);
                let to = ((i + 1) * CHUNK).min(points.len());
                let b = BBox::of(points.get(from..to).unwrap_or(&[]).iter().copied());
                ChunkBox::new(
                    Rectangle::from_corners([b.min_lon, b.min_lat], [b.max_lon, b.max_lat]),
                    i as u32,
                )
            })
            .collect();
        LodLevel {
            tol_m,
            points,
            chunks: RTree::bulk_load(boxes),
        }
    }
}

/// A track or route prepared for drawing at any zoom: the full line plus thinned copies
/// (level of detail), each with an R-tree over 256-point chunks, so a frame projects only
/// the chunks the window shows, at the detail the zoom can show.
#[derive(Debug, Clone)]
pub struct ViewLine {
    levels: Vec<LodLevel>,
}

impl ViewLine {
    /// Prepares `points` (linear in their number).
    pub fn new(points: Vec<LatLon>) -> ViewLine {
        // Level 0 is always the whole line (routes are followed and printed from it).
        let spacing = typical_spacing_m(&points);
        let mut levels = vec![LodLevel::new(0.0, points)];
        let mut last_len = levels.first().map_or(0, |l| l.points.len());
        let mut current: Option<Vec<LatLon>> = None;
        // Tolerances under the line's own point spacing would keep (nearly) every point:
        // skip those passes. Each pass thins the previous one's result.
        for tol in LOD_TOLERANCES_M.iter().skip(1).filter(|t| **t >= spacing) {
            let src: &[LatLon] = match (&current, levels.first()) {
                (Some(c), _) => c,
                (None, Some(l)) => &l.points,
                (None, None) => &[],
            };
            let next = thin(src, *tol);
            if next.len() < LOD_MIN_POINTS {
                break;
            }
            // A level is kept only where it saves a fifth of the points of the last one.
            if (next.len() as f64) < LOD_MIN_GAIN * last_len as f64 {
                last_len = next.len();
                levels.push(LodLevel::new(*tol, next.clone()));
            }
            current = Some(next);
        }
        ViewLine { levels }
    }

    /// The line with no thinned levels: every frame works from all its points (culled by
    /// chunk and thinned on the fly). The reference the map benchmark measures LOD against.
    pub fn full_detail_only(points: Vec<LatLon>) -> ViewLine {
        ViewLine {
            levels: vec![LodLevel::new(0.0, points)],
        }
    }

    /// The full line.
    pub fn points(&self) -> &[LatLon] {
        self.levels.first().map_or(&[], |l| l.points.as_slice())
    }

    /// Points per level, full line first (for tests and benchmarks).
    pub fn level_sizes(&self) -> Vec<usize> {
        self.levels.iter().map(|l| l.points.len()).collect()
    }

    /// The coarsest level whose tolerance is within `tol_m`.
    fn level(&self, tol_m: f64) -> Option<&LodLevel> {
        self.levels.iter().rev().find(|l| l.tol_m <= tol_m)
    }
}

/// The 10th percentile of the distance between consecutive points (sampled), metres: below
/// this, thinning removes almost nothing.
fn typical_spacing_m(points: &[LatLon]) -> f64 {
    let n = points.len();
    if n < 2 {
        return 0.0;
    }
    let step = (n / 4096).max(1);
    let mut d: Vec<f64> = (1..n)
        .step_by(step)
        .filter_map(|i| Some((*points.get(i - 1)?, *points.get(i)?)))
        .map(|(a, b)| {
            let cos = a.lat.to_radians().cos();
            let (dlat, dlon) = (b.lat - a.lat, (b.lon - a.lon) * cos);
            (dlat * dlat + dlon * dlon).sqrt() * M_PER_DEG_LAT
        })
        .filter(|d| d.is_finite())
        .collect();
    if d.is_empty() {
        return 0.0;
    }
    d.sort_by(f64::total_cmp);
    d.get(d.len() / 10).copied().unwrap_or(0.0)
}

/// Keeps the first and last points and every point at least `tol_m` from the last kept one.
fn thin(points: &[LatLon], tol_m: f64) -> Vec<LatLon> {
    let mut out = Vec::new();
    let Some(first) = points.first() else {
        return out;
    };
    let tol_deg = tol_m / M_PER_DEG_LAT;
    let tol2 = tol_deg * tol_deg;
    let mut last = *first;
    // The cosine changes slowly with latitude: refreshed only after a tenth of a degree.
    let (mut cos, mut cos_lat) = (last.lat.to_radians().cos(), last.lat);
    out.push(last);
    for p in points.iter().skip(1) {
        let dlat = p.lat - last.lat;
        let dlon = (p.lon - last.lon) * cos;
        if dlat * dlat + dlon * dlon >= tol2 {
            out.push(*p);
            last = *p;
            if (last.lat - cos_lat).abs() > 0.1 {
                (cos, cos_lat) = (last.lat.to_radians().cos(), last.lat);
            }
        }
    }
    if let (Some(l), Some(end)) = (out.last(), points.last())
        && l != end
    {
        out.push(*end);
    }
    out
}

/// Metres per degree of latitude (mean), for cheap tolerances in degrees.
const M_PER_DEG_LAT: f64 = 111_195.0;

/// Cheap tests done in degrees before projecting, so a long line costs little when most of
/// it is off screen or when zoomed far out.
#[derive(Debug, Clone, Copy)]
struct Cull {
    /// The view's ground box, grown by half its size.
    bbox: BBox,
    /// Points closer than this to the last drawn one are skipped, degrees of latitude.
    step_lat_deg: f64,
    /// Same, degrees of longitude.
    step_lon_deg: f64,
    /// Ground size of [`LOD_MM`] on screen, metres: picks the level of detail.
    lod_m: f64,
}

impl Cull {
    fn new(spec: &ViewSpec) -> Cull {
        let b = spec.bbox();
        let (dlat, dlon) = ((b.max_lat - b.min_lat) / 2.0, (b.max_lon - b.min_lon) / 2.0);
        let step_m = SIMPLIFY_MM * spec.m_per_mm / 2.0;
        let step_lat_deg = step_m / 111_000.0;
        let cos_lat = spec.center.lat.to_radians().cos().max(0.01);
        Cull {
            bbox: BBox {
                min_lon: b.min_lon - dlon,
                min_lat: b.min_lat - dlat,
                max_lon: b.max_lon + dlon,
                max_lat: b.max_lat + dlat,
            },
            step_lat_deg,
            step_lon_deg: step_lat_deg / cos_lat,
            lod_m: LOD_MM * spec.m_per_mm,
        }
    }

    fn sees(&self, b: &BBox) -> bool {
        b.max_lon >= self.bbox.min_lon
            && b.min_lon <= self.bbox.max_lon
            && b.max_lat >= self.bbox.min_lat
            && b.min_lat <= self.bbox.max_lat
    }

    fn near(&self, a: LatLon, b: LatLon) -> bool {
        (a.lat - b.lat).abs() < self.step_lat_deg && (a.lon - b.lon).abs() < self.step_lon_deg
    }
}

/// Points per chunk whose box is checked against the view.
const CHUNK: usize = 256;

/// A line as window-mm polylines clipped to `clip` and simplified, from the level of detail
/// the zoom needs; only chunks whose box meets the (grown) view are projected.
fn view_lines(
    pr: &ViewProjector,
    line: &ViewLine,
    clip: &RectMm,
    cull: &Cull,
) -> Vec<Vec<[f64; 2]>> {
    let Some(level) = line.level(cull.lod_m) else {
        return Vec::new();
    };
    let b = cull.bbox;
    let env = AABB::from_corners([b.min_lon, b.min_lat], [b.max_lon, b.max_lat]);
    let mut hits: Vec<usize> = level
        .chunks
        .locate_in_envelope_intersecting(&env)
        .map(|c| c.data as usize)
        .collect();
    hits.sort_unstable();
    project_chunks(pr, &level.points, hits.into_iter(), clip, cull)
}

/// A short, changing line (breadcrumbs, warnings): its chunks are boxed on the fly.
fn view_path(
    pr: &ViewProjector,
    line: &[LatLon],
    clip: &RectMm,
    cull: &Cull,
) -> Vec<Vec<[f64; 2]>> {
    let hits = (0..line.len().div_ceil(CHUNK)).filter(|i| {
        let from = (i * CHUNK).saturating_sub(1);
        let to = ((i + 1) * CHUNK).min(line.len());
        cull.sees(&BBox::of(line.get(from..to).unwrap_or(&[]).iter().copied()))
    });
    project_chunks(pr, line, hits, clip, cull)
}

/// Projects the chunks `hits` (ascending chunk indices) of `line`, joining consecutive ones.
/// Points closer together than the drawing tolerance are skipped, so the cost follows what
/// is on screen, not the line's length.
fn project_chunks(
    pr: &ViewProjector,
    line: &[LatLon],
    hits: impl Iterator<Item = usize>,
    clip: &RectMm,
    cull: &Cull,
) -> Vec<Vec<[f64; 2]>> {
    let mut runs = Runs::default();
    let mut prev: Option<[f64; 2]> = None;
    let mut last: Option<LatLon> = None;
    let mut next_chunk = usize::MAX;
    for ci in hits {
        if ci != next_chunk {
            prev = None;
            last = None;
        }
        next_chunk = ci + 1;
        let start = ci * CHUNK;
        let end = (start + CHUNK).min(line.len());
        // The chunk plus the point before it, so the joining segment counts.
        let from = start.saturating_sub(1);
        let chunk = line.get(from..end).unwrap_or(&[]);
        let skip_first = from < start && prev.is_some();
        for (i, &p) in chunk.iter().enumerate() {
            if i == 0 && skip_first {
                continue;
            }
            let is_end = from + i + 1 == line.len();
            if !is_end && last.is_some_and(|l| cull.near(l, p)) {
                continue;
            }
            last = Some(p);
            let q = pr.mm_from_world(p);
            if !(q[0].is_finite() && q[1].is_finite()) {
                prev = None;
                continue;
            }
            if let Some(a) = prev {
                runs.segment(a, q, clip);
            }
            prev = Some(q);
        }
    }
    runs.finish_raw()
        .into_iter()
        .map(|r| simplify_strip(&r, SIMPLIFY_MM))
        .collect()
}

/// Reumann–Witkam line simplification in one pass: from each kept point, points that stay
/// within `tol` of the line towards the first one beyond `tol` are dropped. O(n), unlike
/// Douglas–Peucker's worst case, and it folds the long straight strokes of a zig-zag seen
/// from far out into their ends.
fn simplify_strip(points: &[[f64; 2]], tol: f64) -> Vec<[f64; 2]> {
    let n = points.len();
    if n < 3 {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(n / 2);
    let mut i = 0;
    out.extend(points.first().copied());
    while i + 1 < n {
        let a = points[i];
        // The strip's direction: the first point farther than `tol` from the anchor.
        let mut j = i + 1;
        while j + 1 < n && (points[j][0] - a[0]).hypot(points[j][1] - a[1]) <= tol {
            j += 1;
        }
        let b = points[j];
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = dx.hypot(dy);
        let mut k = j;
        if len > 0.0 {
            while k + 1 < n {
                let p = points[k + 1];
                let d = ((p[0] - a[0]) * dy - (p[1] - a[1]) * dx).abs() / len;
                // Leaving the strip, or turning back along it, ends the stroke.
                let ahead = (p[0] - a[0]) * dx + (p[1] - a[1]) * dy >= 0.0;
                if d > tol || !ahead {
                    break;
                }
                k += 1;
            }
        }
        out.push(points[k]);
        i = k;
    }
    out
}

fn push_lines(scene: &mut Scene, runs: Vec<Vec<[f64; 2]>>, stroke: Stroke) {
    scene.items.extend(
        runs.into_iter()
            .map(|points| Item::Polyline { points, stroke }),
    );
}

/// A circle as a polygon, `n` vertices.
fn circle(c: [f64; 2], r: f64, n: u32) -> Vec<[f64; 2]> {
    (0..n)
        .map(|i| {
            let a = f64::from(i) * std::f64::consts::TAU / f64::from(n);
            [c[0] + r * a.cos(), c[1] + r * a.sin()]
        })
        .collect()
}

/// Builds the view: other tracks, warnings, the route, breadcrumbs, waypoints with labels, the
/// position marker, a scale bar and (when rotated) a north arrow.
pub fn build_view_scene(spec: &ViewSpec, data: &ViewData<'_>, opts: &SceneOptions) -> Scene {
    build_view_scene_reusing(spec, data, opts, None)
}

/// [`build_view_scene`], keeping the map's layers in `cache` for the next frames: while the
/// view only pans by less than [`MapLayer`]'s margin (and nothing else it was built from
/// changed), the map's geometry and placed labels are moved, not built again.
pub fn build_view_scene_reusing(
    spec: &ViewSpec,
    data: &ViewData<'_>,
    opts: &SceneOptions,
    cache: Option<&mut Option<std::sync::Arc<MapLayer>>>,
) -> Scene {
    let source = match cache {
        Some(c) => LayerSource::Cached(c),
        None => LayerSource::Fresh,
    };
    build_view_scene_from(spec, data, opts, source).0
}

/// Where a frame's map layer comes from.
#[derive(Debug)]
pub enum LayerSource<'c> {
    /// Built for this frame alone.
    Fresh,
    /// Reused from the cache while it serves the view, else built here and kept there.
    Cached(&'c mut Option<std::sync::Arc<MapLayer>>),
    /// Built elsewhere (the app builds layers on a worker, so no frame waits for one): used
    /// when it serves the view; otherwise its geometry is drawn scaled and moved to where
    /// this view puts it (a zoom or a long pan in progress), without its labels, until the
    /// layer built for this view arrives.
    Given(Option<std::sync::Arc<MapLayer>>),
}

/// How the map layer was drawn into a frame.
enum Placed {
    /// Moved by an offset: exactly where building it again would put it.
    Exact(std::sync::Arc<MapLayer>, [f64; 2]),
    /// Scaled and moved: a stand-in (geometry only).
    Stand(std::sync::Arc<MapLayer>, f64, [f64; 2]),
}

/// [`build_view_scene`] with the map layer from `source`; true beside the scene when the
/// layer drawn serves this view (or none is needed), false when a stand-in (or nothing) was
/// drawn and a layer should be built for it.
pub fn build_view_scene_from(
    spec: &ViewSpec,
    data: &ViewData<'_>,
    opts: &SceneOptions,
    source: LayerSource<'_>,
) -> (Scene, bool) {
    let pr = spec.projector();
    let cull = Cull::new(spec);
    let (w, h) = spec.size_mm;
    let mut scene = Scene::new(spec.size_mm);
    let (frame, clip) = frame_and_clip((w, h));
    // Without a basemap: the plain background and (when asked) a graticule, whose labels
    // are placed last, where everything else left room.
    let mut graticule_labels = Vec::new();
    if !data.basemap {
        scene.items.push(Item::Rect {
            rect: frame,
            fill: Some(theme::VIEW_BACKGROUND),
            stroke: None,
        });
        if data.graticule {
            graticule_labels = view_graticule(spec, &pr, &frame, &mut scene);
        }
    }
    // The map under the route (built for this view, or reused from an earlier frame of the
    // same view panned a little), its labels placed after the route's own.
    let wants_layer = data.map.is_some() || data.terrain.is_some();
    let exact = |l: std::sync::Arc<MapLayer>| {
        let off = l.offset_for(spec).unwrap_or([0.0, 0.0]);
        Placed::Exact(l, off)
    };
    let mut served = true;
    // A layer kept between frames may be drawn from what the screen kept of it.
    let kept = !matches!(source, LayerSource::Fresh);
    let placed = if !wants_layer {
        None
    } else {
        match source {
            LayerSource::Fresh => Some(exact(std::sync::Arc::new(MapLayer::build(
                spec, data, opts, 0.0,
            )))),
            LayerSource::Cached(c) => Some(exact(reuse_or_build(spec, data, opts, c))),
            LayerSource::Given(l) => {
                served = l.as_ref().is_some_and(|l| l.serves(spec, data));
                l.and_then(|l| {
                    // Built from older data (or layer choices) for this same zoom: drawn
                    // whole, labels and all, until the new one arrives.
                    let same_zoom = l.spec.m_per_mm == spec.m_per_mm
                        && l.spec.rotation_deg == spec.rotation_deg
                        && l.spec.size_mm == spec.size_mm;
                    if served || (same_zoom && l.offset_for(spec).is_some()) {
                        Some(exact(l))
                    } else {
                        let (s, d) = l.stand_in_for(spec)?;
                        Some(Placed::Stand(l, s, d))
                    }
                })
            }
        }
    };
    match &placed {
        Some(Placed::Exact(l, off)) => {
            let start = scene.items.len();
            scene
                .items
                .extend(l.under.iter().map(|i| i.translated(*off)));
            if kept {
                scene.reused = Some(crate::scene::Reused {
                    id: l.id,
                    range: start..scene.items.len(),
                    offset_mm: *off,
                    scale: 1.0,
                });
            }
        }
        Some(Placed::Stand(l, s, d)) => {
            let start = scene.items.len();
            scene
                .items
                .extend(l.under.iter().map(|i| i.transformed(*s, *d)));
            scene.reused = Some(crate::scene::Reused {
                id: l.id,
                range: start..scene.items.len(),
                offset_mm: *d,
                scale: *s,
            });
        }
        None => {}
    }
    let mut labels = Vec::new();
    // The map's markers and placed labels: what the route's labels must leave free (on the
    // frame it was built they were placed around the route's; panned, they stay put).
    let mut taken: Vec<RectMm> = match &placed {
        Some(Placed::Exact(l, off)) => l.taken.iter().map(|r| r.translated(*off)).collect(),
        _ => Vec::new(),
    };
    view_frames(&mut scene, &pr, data.frames, &clip, &mut labels, &mut taken);

    for other in data.others {
        let stroke = match other.color {
            Some(color) => Stroke {
                color,
                ..theme::COLORED_TRACK
            },
            None => theme::OTHER_TRACK,
        };
        push_lines(
            &mut scene,
            view_lines(&pr, other.line, &clip, &cull),
            stroke,
        );
    }
    for warn in data.warnings {
        push_lines(
            &mut scene,
            view_lines(&pr, warn, &clip, &cull),
            theme::ROUTE_WARNING,
        );
    }
    let route_runs = data
        .route
        .map(|r| view_lines(&pr, r.line, &clip, &cull))
        .unwrap_or_default();
    let mut soft = Vec::new();
    for run in &route_runs {
        for p in run {
            soft.push(RectMm {
                x: p[0] - 0.6,
                y: p[1] - 0.6,
                w: 1.2,
                h: 1.2,
            });
        }
    }
    if data.map.is_some() {
        push_lines(&mut scene, route_runs.clone(), theme::ROUTE_HALO);
    }
    if let Some(color) = data.route.and_then(|r| r.color) {
        // The file's colour under the route's own, so the route still stands out.
        push_lines(
            &mut scene,
            route_runs.clone(),
            Stroke {
                color,
                ..theme::ROUTE_CASING
            },
        );
    }
    push_lines(&mut scene, route_runs, theme::ROUTE);
    push_lines(
        &mut scene,
        view_path(&pr, data.breadcrumbs, &clip, &cull),
        theme::BREADCRUMB,
    );
    if let Some(p) = data.picked {
        let q = pr.mm_from_world(p);
        for (a, b) in [([-2.5, 0.0], [2.5, 0.0]), ([0.0, -2.5], [0.0, 2.5])] {
            scene.items.push(Item::Polyline {
                points: vec![[q[0] + a[0], q[1] + a[1]], [q[0] + b[0], q[1] + b[1]]],
                stroke: theme::PICKED,
            });
        }
    }

    if let (Some(at), Some(pos)) = (data.back_to_route, data.position) {
        let (a, b) = (pr.mm_from_world(pos.pos), pr.mm_from_world(at));
        scene.items.push(Item::Polyline {
            points: vec![a, b],
            stroke: theme::BACK_TO_ROUTE,
        });
    }

    // Waypoints: checkpoints and fuel first, so they keep their labels when crowded.
    let on_view = waypoints_on(data, &pr, &frame);
    if let Some(hl) = data.highlighted {
        let q = pr.mm_from_world(hl);
        scene.items.push(Item::Polygon {
            points: circle(q, theme::SYMBOL_MM * 0.95, 24),
            fill: None,
            stroke: Some(theme::HIGHLIGHT),
        });
    }
    if on_view.len() <= MAX_LABELLED {
        let placed = waypoint_markers(&on_view, &frame, &mut taken, &soft, opts, &mut scene);
        labels.extend(placed);
    } else {
        // Too many to label: symbols only, at most one per symbol-sized cell (the first in
        // priority order), so a crowded view stays readable and cheap to draw.
        let cell = theme::SYMBOL_MM;
        let mut used = std::collections::HashSet::new();
        for (wp, q) in &on_view {
            if used.insert(((q[0] / cell) as i64, (q[1] / cell) as i64)) {
                scene.items.push(Item::Marker {
                    at: *q,
                    kind: wp.kind,
                    size_mm: theme::SYMBOL_MM,
                });
            }
        }
    }

    if let Some(p) = data.position {
        push_position(&mut scene, &pr, spec, &p);
    }
    taken.extend(soft.iter().copied());
    let map_labels: Vec<Item> = match &placed {
        Some(Placed::Exact(l, off)) => l.labels.iter().map(|i| i.translated(*off)).collect(),
        _ => Vec::new(),
    };

    // Graticule labels where waypoint labels, the scale bar and the north arrow left room.
    taken.push(RectMm {
        x: 0.0,
        y: h - 10.0,
        w: 44.0,
        h: 10.0,
    });
    if spec.rotation_deg.rem_euclid(360.0) > 0.01 {
        taken.push(RectMm {
            x: w - 14.0,
            y: 0.0,
            w: 14.0,
            h: 16.0,
        });
    }
    for candidates in graticule_labels {
        if let Some(block) = place_avoiding(candidates, &frame, &mut taken, &soft) {
            labels.extend(block);
        }
    }

    // Scale bar bottom-left, north arrow top-right when not north-up.
    let mm_per_unit = if data.imperial {
        M_PER_MI / spec.m_per_mm
    } else {
        1000.0 / spec.m_per_mm
    };
    let unit = if data.imperial { "mi" } else { "km" };
    scene.items.push(Item::Rect {
        rect: RectMm {
            x: 2.0,
            y: h - 8.0,
            w: 40.0,
            h: 6.0,
        },
        fill: Some(theme::PAPER),
        stroke: None,
    });
    scale_bar(&mut scene, [5.0, h - 5.7], mm_per_unit, 25.0, unit);
    if spec.rotation_deg.rem_euclid(360.0) > 0.01 {
        labels.push(north_arrow(&mut scene, [w - 8.0, 9.0], spec.rotation_deg));
    }
    // The window's own furniture (scale bar, attribution) is fixed while the map's labels
    // move with the ground: a map label under it is left out of this frame.
    let mut furniture = vec![RectMm {
        x: 2.0,
        y: h - 8.0,
        w: 40.0,
        h: 6.0,
    }];
    if let Some(a) = data.attribution {
        let l = Label {
            halo: true,
            ..label(
                a,
                // Above the scale bar: the window's bottom right holds the cursor readout.
                [2.0, h - 9.0],
                Anchor {
                    h: HAlign::Left,
                    v: VAlign::Bottom,
                },
                theme::ATTRIBUTION,
            )
        };
        furniture.push(l.bounds());
        labels.push(l);
    }
    scene.items.extend(map_labels.into_iter().filter(|i| {
        layers::footprint(i).is_none_or(|r| !furniture.iter().any(|f| overlaps(&r, f)))
    }));
    scene.items.extend(labels.into_iter().map(Item::Label));
    (scene, served)
}

/// How far beyond each window edge the map's layers are built for reuse, as a share of the
/// window's larger side: the view can pan that far before they are built again. The cost is
/// the larger canvas on the frames that build ((1 + 2 × 0.15)² ≈ 1.7 times the window).
const LAYER_MARGIN: f64 = 0.15;
/// A reused layer may sit at most this far from where building it again would put it, mm
/// (a screen pixel): far from the built view's centre the projection turns and scales.
const LAYER_TOLERANCE_MM: f64 = 0.2;

/// What a [`MapLayer`] was built from, besides the view's centre: any change builds it anew.
/// Data is known by address: whoever keeps layers keeps their data alive with them.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerKey {
    m_per_mm: f64,
    rotation_deg: f64,
    size_mm: (f64, f64),
    map: usize,
    terrain: usize,
    layers: MapLayers,
    imperial: bool,
    /// The route (its identity and length) and what was placed around it: waypoints and
    /// atlas frames, hashed.
    route: (usize, usize),
    around: u64,
}

impl LayerKey {
    /// The key of a layer for `spec` over `data`.
    pub fn of(spec: &ViewSpec, data: &ViewData<'_>) -> LayerKey {
        use std::hash::{Hash as _, Hasher as _};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for w in data.waypoints {
            w.pos.lat.to_bits().hash(&mut h);
            w.pos.lon.to_bits().hash(&mut h);
            (w.kind as u8).hash(&mut h);
            w.name.hash(&mut h);
        }
        for f in data.frames {
            f.number.hash(&mut h);
            for c in f.corners {
                c.lat.to_bits().hash(&mut h);
                c.lon.to_bits().hash(&mut h);
            }
        }
        LayerKey {
            m_per_mm: spec.m_per_mm,
            rotation_deg: spec.rotation_deg,
            size_mm: spec.size_mm,
            map: data.map.map_or(0, |m| std::ptr::from_ref(m) as usize),
            terrain: data.terrain.map_or(0, |t| std::ptr::from_ref(t) as usize),
            layers: data.layers,
            imperial: data.imperial,
            route: data.route.map_or((0, 0), |r| {
                (std::ptr::from_ref(r.line) as usize, r.line.points().len())
            }),
            around: h.finish(),
        }
    }
}

/// The map's layers for one view: geometry under the route and the map's labels, placed
/// around the route's own, built over the window grown by a margin so that panning can move
/// them instead of building them again (the label layout stays as it was: a label never
/// jumps while the map is dragged).
#[derive(Debug, Clone)]
pub struct MapLayer {
    /// Unique per build (the screen keeps the layer's tessellation under it).
    id: u64,
    key: LayerKey,
    /// The window it was built for, and the margin around it (canvas = window + margin).
    spec: ViewSpec,
    margin_mm: f64,
    /// Geometry (land, water, terrain, roads, places, POIs), canvas mm.
    under: Vec<Item>,
    /// The map's labels as placed, canvas mm.
    labels: Vec<Item>,
    /// The boxes of its markers and labels, canvas mm.
    taken: Vec<RectMm>,
}

impl MapLayer {
    /// Builds the layers for `spec` with `margin` (share of the larger side) all round.
    fn build(spec: &ViewSpec, data: &ViewData<'_>, opts: &SceneOptions, margin: f64) -> MapLayer {
        let margin_mm = margin * spec.size_mm.0.max(spec.size_mm.1);
        let (w, h) = (
            spec.size_mm.0 + 2.0 * margin_mm,
            spec.size_mm.1 + 2.0 * margin_mm,
        );
        let canvas = ViewSpec {
            size_mm: (w, h),
            ..*spec
        };
        let pr = canvas.projector();
        let cull = Cull::new(&canvas);
        let (frame, clip) = frame_and_clip((w, h));
        let mframe = MapFrame {
            proj: &pr,
            window: canvas.bbox(),
            clip,
            bounds: frame,
            scale_denom: spec.m_per_mm * 1000.0,
            imperial: data.imperial,
            simplify_mm: SIMPLIFY_MM,
            raster_px_per_cell: 1.0,
        };
        let mut scene = Scene::new((w, h));
        let mut drawn = DrawnMap::default();
        if let Some(map) = data.map {
            layers::draw_map(&mframe, map, &data.layers, &mut scene, &mut drawn);
        }
        if let Some(t) = data.terrain {
            layers::terrain::draw(&mframe, t, &data.layers, &mut scene, &mut drawn);
        }
        if let Some(map) = data.map {
            let gpx: Vec<&Waypoint> = data.waypoints.to_vec();
            layers::draw_map_over_terrain(&mframe, map, &data.layers, &gpx, &mut scene, &mut drawn);
        }
        // The route's own labels come first: placed here only to know where they go (the
        // frame places them again, the same way, around these).
        let mut taken = drawn.markers.clone();
        let mut scratch = Scene::new((w, h));
        let mut frame_labels = Vec::new();
        view_frames(
            &mut scratch,
            &pr,
            data.frames,
            &clip,
            &mut frame_labels,
            &mut taken,
        );
        let soft: Vec<RectMm> = data
            .route
            .map(|r| view_lines(&pr, r.line, &clip, &cull))
            .unwrap_or_default()
            .iter()
            .flatten()
            .map(|p| RectMm {
                x: p[0] - 0.6,
                y: p[1] - 0.6,
                w: 1.2,
                h: 1.2,
            })
            .collect();
        let on_view = waypoints_on(data, &pr, &frame);
        if on_view.len() <= MAX_LABELLED {
            waypoint_markers(&on_view, &frame, &mut taken, &soft, opts, &mut scratch);
        }
        taken.extend(soft.iter().copied());
        let before = taken.len();
        let labels = std::mem::take(&mut drawn.labels).place(&frame, &mut taken);
        let mut own = drawn.markers;
        own.extend(taken.get(before..).unwrap_or(&[]).iter().copied());
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        MapLayer {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            key: LayerKey::of(spec, data),
            spec: *spec,
            margin_mm,
            under: scene.items,
            labels,
            taken: own,
        }
    }

    /// The layers for `spec`, over the window grown by the reuse margin: what a worker
    /// builds for [`LayerSource::Given`].
    pub fn build_for_view(spec: &ViewSpec, data: &ViewData<'_>, opts: &SceneOptions) -> MapLayer {
        MapLayer::build(spec, data, opts, LAYER_MARGIN)
    }

    /// Unique per build.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Its geometry (what [`Scene::reused`] marks when it is drawn), canvas mm.
    pub fn under(&self) -> &[Item] {
        &self.under
    }

    /// True when this layer, moved, is what building one for `spec` over `data` would draw.
    pub fn serves(&self, spec: &ViewSpec, data: &ViewData<'_>) -> bool {
        self.key == LayerKey::of(spec, data) && self.offset_for(spec).is_some()
    }

    /// True when a layer built for `built` with `key` (as [`MapLayer::build_for_view`] would
    /// build it) serves `spec` with `key_now`: whether a layer asked for already will do.
    pub fn would_serve(
        built: &ViewSpec,
        key: &LayerKey,
        spec: &ViewSpec,
        key_now: &LayerKey,
    ) -> bool {
        let m = LAYER_MARGIN * built.size_mm.0.max(built.size_mm.1);
        key == key_now && canvas_offset(built, m, spec).is_some()
    }

    /// How to draw this layer's geometry as a stand-in for `spec`'s view (window mm = canvas
    /// mm × scale + offset): the same rotation, a zoom of at most 16 times either way.
    fn stand_in_for(&self, spec: &ViewSpec) -> Option<(f64, [f64; 2])> {
        if self.spec.rotation_deg != spec.rotation_deg || spec.m_per_mm <= 0.0 {
            return None;
        }
        let s = self.spec.m_per_mm / spec.m_per_mm;
        if !(1.0 / 16.0..=16.0).contains(&s) {
            return None;
        }
        let m = self.margin_mm;
        let centre = [self.spec.size_mm.0 / 2.0 + m, self.spec.size_mm.1 / 2.0 + m];
        let at = spec.projector().mm_from_world(self.spec.center);
        let d = [at[0] - centre[0] * s, at[1] - centre[1] * s];
        (d[0].is_finite() && d[1].is_finite()).then_some((s, d))
    }

    /// Where this layer's canvas sits in `spec`'s window (window mm = canvas mm + offset), if
    /// it serves that view: the window lies inside the canvas and the layer is within a
    /// pixel of where building it again would draw it.
    fn offset_for(&self, spec: &ViewSpec) -> Option<[f64; 2]> {
        canvas_offset(&self.spec, self.margin_mm, spec)
    }
}

/// Where the canvas of a layer built for `built` with margin `m` sits in `spec`'s window, if
/// it covers it within a pixel of where a layer built for `spec` would draw (see
/// [`MapLayer::offset_for`]).
fn canvas_offset(built: &ViewSpec, m: f64, spec: &ViewSpec) -> Option<[f64; 2]> {
    let (w, h) = spec.size_mm;
    if spec.center == built.center {
        return Some([-m, -m]);
    }
    let canvas = ViewSpec {
        size_mm: (w + 2.0 * m, h + 2.0 * m),
        ..*built
    };
    let (cpr, wpr) = (canvas.projector(), spec.projector());
    let c = wpr.mm_from_world(built.center);
    let off = [c[0] - (w / 2.0 + m), c[1] - (h / 2.0 + m)];
    // The window, in canvas mm, inside the canvas.
    if -off[0] < 0.0 || -off[1] < 0.0 || w - off[0] > w + 2.0 * m || h - off[1] > h + 2.0 * m {
        return None;
    }
    let fits = [[0.0, 0.0], [w, 0.0], [0.0, h], [w, h]].iter().all(|q| {
        let g = cpr.world_from_mm([q[0] - off[0], q[1] - off[1]]);
        let back = wpr.mm_from_world(g);
        (back[0] - q[0]).hypot(back[1] - q[1]) <= LAYER_TOLERANCE_MM
    });
    fits.then_some(off)
}

/// A window of `size` mm and the rectangle lines are clipped to: a little outside it, so
/// their ends do not show.
fn frame_and_clip((w, h): (f64, f64)) -> (RectMm, RectMm) {
    let frame = RectMm {
        x: 0.0,
        y: 0.0,
        w,
        h,
    };
    (frame, frame.grown(5.0))
}

/// The map layer in `cache` when it serves this frame, else a new one (kept there).
fn reuse_or_build(
    spec: &ViewSpec,
    data: &ViewData<'_>,
    opts: &SceneOptions,
    cache: &mut Option<std::sync::Arc<MapLayer>>,
) -> std::sync::Arc<MapLayer> {
    if let Some(l) = cache.as_ref()
        && l.key == LayerKey::of(spec, data)
        && l.offset_for(spec).is_some()
    {
        return l.clone();
    }
    let l = std::sync::Arc::new(MapLayer::build(spec, data, opts, LAYER_MARGIN));
    *cache = Some(l.clone());
    l
}

/// The waypoints whose symbols fit inside `frame`, checkpoints and fuel first (so they keep
/// their labels when crowded).
fn waypoints_on<'a>(
    data: &ViewData<'a>,
    pr: &ViewProjector,
    frame: &RectMm,
) -> Vec<(&'a Waypoint, [f64; 2])> {
    let inset = RectMm {
        x: frame.x + theme::SYMBOL_MM / 2.0,
        y: frame.y + theme::SYMBOL_MM / 2.0,
        w: frame.w - theme::SYMBOL_MM,
        h: frame.h - theme::SYMBOL_MM,
    };
    let mut on_view: Vec<(&Waypoint, [f64; 2])> = data
        .waypoints
        .iter()
        .map(|wp| (*wp, pr.mm_from_world(wp.pos)))
        .filter(|(_, q)| inset.contains(*q))
        .collect();
    on_view.sort_by_key(|(wp, _)| {
        (
            wp.kind != WaypointKind::Checkpoint,
            wp.kind != WaypointKind::Fuel,
        )
    });
    on_view
}

/// Samples along each graticule line.
const GRATICULE_SAMPLES: u32 = 24;
/// At most this many graticule lines each way.
const MAX_GRATICULE_LINES: i64 = 40;

/// Parallels and meridians across the view at a round interval (2..=6 across), clipped to
/// `frame`; returns label candidates for each line (the parallel's value at the left edge,
/// the meridian's at the top).
fn view_graticule(
    spec: &ViewSpec,
    pr: &ViewProjector,
    frame: &RectMm,
    scene: &mut Scene,
) -> Vec<Vec<Vec<Label>>> {
    let (w, h) = spec.size_mm;
    let c = spec.center;
    let (mut lat, mut dlon) = ((f64::INFINITY, f64::NEG_INFINITY), (0.0f64, 0.0f64));
    for j in 0..=4 {
        for i in 0..=4 {
            let p = pr.world_from_mm([w * f64::from(i) / 4.0, h * f64::from(j) / 4.0]);
            if !(p.lat.is_finite() && p.lon.is_finite()) {
                continue;
            }
            lat = (lat.0.min(p.lat), lat.1.max(p.lat));
            let d = crate::core::projection::wrap_deg(p.lon - c.lon);
            dlon = (dlon.0.min(d), dlon.1.max(d));
        }
    }
    if lat.0 > lat.1 {
        return Vec::new();
    }
    let step = graticule_step_deg((lat.1 - lat.0).max(dlon.1 - dlon.0).max(1e-6));
    let mut out = Vec::new();
    let mut line = |points: Vec<LatLon>, text: String, parallel: bool| {
        let mut runs = Runs::default();
        let mut prev: Option<[f64; 2]> = None;
        for p in points {
            let q = pr.mm_from_world(p);
            if !(q[0].is_finite() && q[1].is_finite()) {
                prev = None;
                continue;
            }
            if let Some(a) = prev {
                runs.segment(a, q, frame);
            }
            prev = Some(q);
        }
        for run in runs.finish(SIMPLIFY_MM) {
            let end = if parallel {
                run.iter().copied().min_by(|a, b| a[0].total_cmp(&b[0]))
            } else {
                run.iter().copied().min_by(|a, b| a[1].total_cmp(&b[1]))
            };
            if let Some([x, y]) = end {
                let at = |dx: f64, dy: f64, h: HAlign, v: VAlign| {
                    vec![Label {
                        text: text.clone(),
                        at: [x + dx, y + dy],
                        anchor: Anchor { h, v },
                        style: theme::GRATICULE_LABEL,
                        halo: true,
                    }]
                };
                out.push(if parallel {
                    vec![
                        at(0.8, -0.5, HAlign::Left, VAlign::Bottom),
                        at(0.8, 0.5, HAlign::Left, VAlign::Top),
                    ]
                } else {
                    vec![
                        at(0.6, 0.8, HAlign::Left, VAlign::Top),
                        at(-0.6, 0.8, HAlign::Right, VAlign::Top),
                    ]
                });
            }
            scene.items.push(Item::Polyline {
                points: run,
                stroke: theme::GRATICULE,
            });
        }
    };
    let along = |from: f64, to: f64, i: u32| {
        from + (to - from) * f64::from(i) / f64::from(GRATICULE_SAMPLES)
    };
    let first = (lat.0 / step).ceil() as i64;
    for k in first..first + MAX_GRATICULE_LINES {
        let la = k as f64 * step;
        if la > lat.1 || la.abs() > 90.0 {
            break;
        }
        let points = (0..=GRATICULE_SAMPLES)
            .map(|i| LatLon::new(la, c.lon + along(dlon.0, dlon.1, i)))
            .collect();
        line(points, angle_label(la, 'N', 'S'), true);
    }
    let first = ((c.lon + dlon.0) / step).ceil() as i64;
    for k in first..first + MAX_GRATICULE_LINES {
        let lo = k as f64 * step;
        if lo > c.lon + dlon.1 {
            break;
        }
        let points = (0..=GRATICULE_SAMPLES)
            .map(|i| LatLon::new(along(lat.0, lat.1, i), lo))
            .collect();
        line(
            points,
            angle_label(crate::core::projection::wrap_deg(lo), 'E', 'W'),
            false,
        );
    }
    out
}

/// Atlas page frames as outlines with their page numbers in the top-left corner.
fn view_frames(
    scene: &mut Scene,
    pr: &ViewProjector,
    frames: &[PageFrame],
    clip: &RectMm,
    labels: &mut Vec<Label>,
    taken: &mut Vec<RectMm>,
) {
    for f in frames {
        let q: Vec<[f64; 2]> = f.corners.iter().map(|c| pr.mm_from_world(*c)).collect();
        let (lo_x, hi_x) = q.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
            (a.0.min(p[0]), a.1.max(p[0]))
        });
        let (lo_y, hi_y) = q.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
            (a.0.min(p[1]), a.1.max(p[1]))
        });
        if hi_x < clip.x || lo_x > clip.right() || hi_y < clip.y || lo_y > clip.bottom() {
            continue;
        }
        let mut runs = Runs::default();
        for i in 0..q.len() {
            if let (Some(a), Some(b)) = (q.get(i), q.get((i + 1) % q.len())) {
                runs.segment(*a, *b, clip);
            }
        }
        push_lines(scene, runs.finish(0.0), theme::VIEW_PAGE_FRAME);
        // NW corner: index 3.
        if let Some(nw) = q.get(3)
            && hi_x - lo_x > 12.0
        {
            let l = Label {
                halo: true,
                ..label(
                    f.number.to_string(),
                    [nw[0] + 1.2, nw[1] + 1.2],
                    Anchor {
                        h: HAlign::Left,
                        v: VAlign::Top,
                    },
                    theme::VIEW_PAGE_NUMBER,
                )
            };
            let r = l.bounds();
            if r.x >= 0.0 && r.y >= 0.0 && !taken.iter().any(|t| overlaps(t, &r)) {
                taken.push(r);
                labels.push(l);
            }
        }
    }
}

fn push_position(scene: &mut Scene, pr: &ViewProjector, spec: &ViewSpec, p: &ViewPosition) {
    let c = pr.mm_from_world(p.pos);
    if let Some(acc) = p.accuracy_m {
        let r_mm = acc / spec.m_per_mm;
        if r_mm > theme::POSITION_MM / 2.0 {
            scene.items.push(Item::Polygon {
                points: circle(c, r_mm.min(2.0 * (spec.size_mm.0 + spec.size_mm.1)), 48),
                fill: None,
                stroke: Some(theme::ACCURACY),
            });
        }
    }
    let len = theme::POSITION_MM;
    let points = match p.course_deg {
        Some(course) => {
            // An arrow pointing along the course as seen in the (maybe rotated) view.
            let a = (course - spec.rotation_deg).to_radians();
            let (s, co) = (a.sin(), a.cos());
            // A triangle: backends fill convex shapes only.
            let local = [[0.0, -0.6], [0.4, 0.42], [-0.4, 0.42]];
            local
                .iter()
                .map(|[x, y]| {
                    let (x, y) = (x * len, y * len);
                    [c[0] + x * co - y * s, c[1] + x * s + y * co]
                })
                .collect()
        }
        None => circle(c, len * 0.3, 16),
    };
    scene.items.push(Item::Polygon {
        points,
        fill: Some(theme::POSITION),
        stroke: Some(theme::POSITION_OUTLINE),
    });
}

/// A small arrow pointing to true north, with an "N"; returns the label.
fn north_arrow(scene: &mut Scene, c: [f64; 2], rotation_deg: f64) -> Label {
    let a = (-rotation_deg).to_radians();
    let (s, co) = (a.sin(), a.cos());
    let rot = |x: f64, y: f64| [c[0] + x * co - y * s, c[1] + x * s + y * co];
    scene.items.push(Item::Polygon {
        points: circle(c, 5.0, 24),
        fill: Some(theme::PAPER),
        stroke: Some(theme::SYMBOL_OUTLINE),
    });
    // A compass needle as two convex halves (backends fill convex shapes only).
    for (half, fill) in [(-1.6, theme::INK), (1.6, theme::MUTED)] {
        scene.items.push(Item::Polygon {
            points: vec![rot(0.0, -4.0), rot(half, 2.5), rot(0.0, 1.2)],
            fill: Some(fill),
            stroke: None,
        });
    }
    Label {
        text: "N".into(),
        at: rot(0.0, -6.5),
        anchor: Anchor {
            h: HAlign::Center,
            v: VAlign::Middle,
        },
        style: theme::GRID_LABEL,
        halo: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ViewSpec {
        ViewSpec {
            center: LatLon::new(44.0, -121.3),
            m_per_mm: 50.0,
            size_mm: (200.0, 120.0),
            rotation_deg: 0.0,
        }
    }

    fn check_round_trip(v: ViewSpec, q: [f64; 2]) {
        let pr = v.projector();
        let back = pr.mm_from_world(pr.world_from_mm(q));
        // The forward projection is Snyder's series (within 5 cm of the exact inverse's).
        assert!(
            (back[0] - q[0]).abs() < 1e-3 && (back[1] - q[1]).abs() < 1e-3,
            "{q:?} -> {back:?}"
        );
    }

    #[test]
    fn the_centre_is_in_the_middle() {
        let q = spec().projector().mm_from_world(spec().center);
        assert!(
            (q[0] - 100.0).abs() < 1e-9 && (q[1] - 60.0).abs() < 1e-9,
            "{q:?}"
        );
    }

    #[test]
    fn north_is_up_and_east_is_right() {
        let pr = spec().projector();
        let n = pr.mm_from_world(LatLon::new(44.01, -121.3));
        let e = pr.mm_from_world(LatLon::new(44.0, -121.29));
        assert!(n[1] < 60.0 && (n[0] - 100.0).abs() < 0.01);
        assert!(e[0] > 100.0);
        // 0.01° of latitude is about 1111 m: 22.2 mm at 50 m/mm.
        assert!((60.0 - n[1] - 22.2).abs() < 0.2, "{n:?}");
    }

    #[test]
    fn heading_up_puts_the_course_up() {
        let v = ViewSpec {
            rotation_deg: 90.0,
            ..spec()
        };
        let e = v.projector().mm_from_world(LatLon::new(44.0, -121.29));
        assert!(
            (e[0] - 100.0).abs() < 0.1 && e[1] < 60.0,
            "east should be up: {e:?}"
        );
    }

    #[test]
    fn projection_round_trips_rotated_or_not() {
        for rot in [0.0, 33.0, 270.0] {
            let v = ViewSpec {
                rotation_deg: rot,
                ..spec()
            };
            for q in [[0.0, 0.0], [200.0, 120.0], [13.0, 97.0]] {
                check_round_trip(v, q);
            }
        }
    }

    #[test]
    fn zoom_keeps_the_point_under_the_pointer() {
        let v = spec();
        let at = [150.0, 30.0];
        let ground = v.projector().world_from_mm(at);
        let z = v.zoomed(2.0, at);
        assert!((z.m_per_mm - 25.0).abs() < 1e-9);
        let q = z.projector().mm_from_world(ground);
        assert!(
            (q[0] - at[0]).abs() < 0.01 && (q[1] - at[1]).abs() < 0.01,
            "{q:?}"
        );
    }

    #[test]
    fn zoom_is_clamped() {
        let z = spec().zoomed(1e9, [0.0, 0.0]);
        assert_eq!(z.m_per_mm, MIN_M_PER_MM);
        assert_eq!(spec().zoomed(f64::NAN, [0.0, 0.0]), spec());
    }

    #[test]
    fn panning_moves_the_ground_with_the_pointer() {
        let v = spec();
        let ground = v.projector().world_from_mm([100.0, 60.0]);
        let p = v.panned([10.0, -5.0]);
        let q = p.projector().mm_from_world(ground);
        assert!(
            (q[0] - 110.0).abs() < 0.01 && (q[1] - 55.0).abs() < 0.01,
            "{q:?}"
        );
    }

    #[test]
    fn fit_shows_the_whole_box() {
        let b = BBox {
            min_lon: -121.5,
            min_lat: 43.8,
            max_lon: -121.0,
            max_lat: 44.2,
        };
        let v = ViewSpec::fit(b, (200.0, 120.0), 5.0);
        let pr = v.projector();
        for p in [LatLon::new(43.8, -121.5), LatLon::new(44.2, -121.0)] {
            let q = pr.mm_from_world(p);
            assert!(
                q[0] >= 4.9 && q[0] <= 195.1 && q[1] >= 4.9 && q[1] <= 115.1,
                "{q:?}"
            );
        }
    }

    fn route_polylines(s: &Scene) -> Vec<&Vec<[f64; 2]>> {
        s.items
            .iter()
            .filter_map(|i| match i {
                Item::Polyline { points, stroke } if *stroke == theme::ROUTE => Some(points),
                _ => None,
            })
            .collect()
    }

    fn route_scene(line: Vec<LatLon>) -> Scene {
        let line = ViewLine::new(line);
        build_view_scene(
            &spec(),
            &ViewData {
                route: Some(ViewLineRef {
                    line: &line,
                    color: None,
                }),
                ..Default::default()
            },
            &SceneOptions::default(),
        )
    }

    #[test]
    fn levels_of_detail_thin_a_dense_line_and_keep_its_ends() {
        // 100 000 points 1 m apart.
        let pts: Vec<LatLon> = (0..100_000)
            .map(|i| LatLon::new(44.0 + f64::from(i) * 0.000_009, -121.0))
            .collect();
        let v = ViewLine::new(pts.clone());
        let sizes = v.level_sizes();
        assert_eq!(sizes[0], 100_000);
        // Each level saves at least a fifth of the one before.
        assert!(
            sizes
                .windows(2)
                .all(|w| (w[1] as f64) < LOD_MIN_GAIN * w[0] as f64),
            "{sizes:?}"
        );
        for l in &v.levels {
            assert_eq!(l.points.first(), pts.first());
            assert_eq!(l.points.last(), pts.last());
            // No two kept neighbours (but the last) are closer than the tolerance.
            for w in l.points[..l.points.len() - 1].windows(2) {
                let d = crate::core::geodesy::distance_m(w[0], w[1]);
                assert!(d >= l.tol_m * 0.99, "{d} < {}", l.tol_m);
            }
        }
        // A far-out view uses a coarse level, a close one the full line.
        assert!(v.level(10_000.0).unwrap().points.len() < 200);
        assert_eq!(v.level(0.5).unwrap().points.len(), 100_000);
    }

    #[test]
    fn level_zero_is_always_the_whole_line() {
        // Irregular spacing (a few close pairs): no pass may thin the line itself, which
        // the app follows and prints.
        let pts: Vec<LatLon> = (0..3_000)
            .map(|i| {
                let f = f64::from(i);
                let jitter = if i % 10 == 0 { 0.000_001 } else { 0.0 };
                LatLon::new(44.0 + f * 0.0007 + jitter, -121.0 + (f * 0.05).sin() * 0.01)
            })
            .collect();
        let v = ViewLine::new(pts.clone());
        assert_eq!(v.points(), pts.as_slice());
        // Even the closest zoom finds a level.
        assert!(v.level(0.0).is_some_and(|l| l.points.len() == pts.len()));
    }

    #[test]
    fn strip_simplification_keeps_ends_and_shape() {
        // A zig-zag of straight strokes folds to its corners.
        let mut zig = Vec::new();
        for k in 0..10 {
            for i in 0..100 {
                let y = if k % 2 == 0 {
                    f64::from(i)
                } else {
                    99.0 - f64::from(i)
                };
                zig.push([f64::from(k) * 2.0, y]);
            }
        }
        let out = simplify_strip(&zig, 0.15);
        assert_eq!(out.first(), zig.first());
        assert_eq!(out.last(), zig.last());
        assert!(out.len() <= 40, "{}", out.len());
        // Every point lies within the tolerance of the simplified line.
        let dist = |p: [f64; 2], a: [f64; 2], b: [f64; 2]| {
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let l2 = dx * dx + dy * dy;
            let t = if l2 > 0.0 {
                (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy)
        };
        for p in &zig {
            let d = out
                .windows(2)
                .map(|w| dist(*p, w[0], w[1]))
                .fold(f64::INFINITY, f64::min);
            assert!(d <= 0.15 + 1e-9, "{p:?} is {d} mm off");
        }
        assert_eq!(simplify_strip(&[[0.0, 0.0]], 1.0), vec![[0.0, 0.0]]);
    }

    #[test]
    fn a_zoomed_out_view_draws_the_same_shape_from_fewer_points() {
        // A zig-zag of 200 000 points: the whole-view scene must come from a thinned level
        // and still span the line's extent.
        let pts: Vec<LatLon> = (0..200_000)
            .map(|i| {
                let f = f64::from(i);
                LatLon::new(44.0 + (f * 0.01).sin() * 0.05, -121.5 + f * 0.000_005)
            })
            .collect();
        let bbox = BBox::of(pts.iter().copied());
        let v = ViewLine::new(pts);
        let spec = ViewSpec::fit(bbox, (200.0, 120.0), 5.0);
        let s = build_view_scene(
            &spec,
            &ViewData {
                route: Some(ViewLineRef {
                    line: &v,
                    color: None,
                }),
                ..Default::default()
            },
            &SceneOptions::default(),
        );
        let runs = route_polylines(&s);
        let n: usize = runs.iter().map(|r| r.len()).sum();
        assert!(n > 100 && n < 20_000, "{n} points drawn");
        let xs: Vec<f64> = runs.iter().flat_map(|r| r.iter().map(|p| p[0])).collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!(lo < 6.0 && hi > 194.0, "{lo}..{hi}");
    }

    #[test]
    fn a_long_line_through_the_view_is_drawn_once_and_whole() {
        // 10 000 points west to east through the centre, most far outside the view.
        let line: Vec<LatLon> = (0..10_000)
            .map(|i| LatLon::new(44.0, -122.3 + f64::from(i) * 0.0002))
            .collect();
        let s = route_scene(line);
        let runs = route_polylines(&s);
        assert_eq!(runs.len(), 1, "{runs:?}");
        let (first, last) = (runs[0].first().unwrap(), runs[0].last().unwrap());
        assert!(
            first[0] <= -4.9 && last[0] >= 204.9,
            "clipped to the grown window: {first:?}..{last:?}"
        );
    }

    #[test]
    fn a_line_leaving_and_coming_back_gives_two_runs() {
        let mut line: Vec<LatLon> = (0..600)
            .map(|i| LatLon::new(44.0, -121.3 + f64::from(i) * 0.001))
            .collect();
        line.extend((0..600).map(|i| LatLon::new(44.001, -121.3 + f64::from(600 - i) * 0.001)));
        let s = route_scene(line);
        assert_eq!(route_polylines(&s).len(), 2);
    }

    #[test]
    fn the_plain_map_has_a_graticule_and_a_basemap_replaces_both() {
        let count = |s: &Scene| {
            let bg = s.items.iter().filter(
                |i| matches!(i, Item::Rect { fill: Some(c), .. } if *c == theme::VIEW_BACKGROUND),
            );
            let grat = s.items.iter().filter(
                |i| matches!(i, Item::Polyline { stroke, .. } if *stroke == theme::GRATICULE),
            );
            (bg.count(), grat.count())
        };
        let with_graticule = ViewData {
            graticule: true,
            ..Default::default()
        };
        let plain = build_view_scene(&spec(), &with_graticule, &SceneOptions::default());
        let (bg, grat) = count(&plain);
        assert_eq!(bg, 1);
        assert!((4..=14).contains(&grat), "{grat} graticule lines");
        assert!(plain.items.iter().any(
            |i| matches!(i, Item::Label(l) if l.style == theme::GRATICULE_LABEL && l.text.ends_with('W'))
        ));
        let over = build_view_scene(
            &spec(),
            &ViewData {
                basemap: true,
                ..with_graticule
            },
            &SceneOptions::default(),
        );
        assert_eq!(count(&over), (0, 0));
    }

    #[test]
    fn the_graticule_survives_any_zoom_and_rotation() {
        for m_per_mm in [MIN_M_PER_MM, 50.0, 5_000.0, MAX_M_PER_MM] {
            for rotation_deg in [0.0, 45.0] {
                for center in [
                    LatLon::new(44.0, -121.3),
                    LatLon::new(-17.0, 179.99),
                    LatLon::new(89.0, 0.0),
                ] {
                    let v = ViewSpec {
                        center,
                        m_per_mm,
                        rotation_deg,
                        ..spec()
                    };
                    let data = ViewData {
                        graticule: true,
                        ..Default::default()
                    };
                    let s = build_view_scene(&v, &data, &SceneOptions::default());
                    assert!(s.items.iter().all(|i| match i {
                        Item::Polyline { points, .. } =>
                            points.iter().all(|p| p[0].is_finite() && p[1].is_finite()),
                        _ => true,
                    }));
                }
            }
        }
    }

    #[test]
    fn a_line_outside_the_view_draws_nothing() {
        let far = [LatLon::new(45.0, -120.0), LatLon::new(45.1, -120.1)];
        let s = route_scene(far.to_vec());
        assert!(
            !s.items
                .iter()
                .any(|i| matches!(i, Item::Polyline { stroke, .. } if *stroke == theme::ROUTE))
        );
    }
}
