//! Scene builders for the atlas: a map page, the index page and the cue sheet. Pure: atlas and
//! data in, [`Scene`] out. All layout decisions (clipping, simplification, label placement,
//! table flow) are made here.
//!
//! Not for fonts or PDF (see `render::pdf`), nor for choosing pages (see `core::atlas`).

use rstar::{RTree, primitives::GeomWithData};

use crate::core::atlas::{Atlas, Edge, Page, RectMm, column_name};
use crate::core::coords::{self, CoordFormat, Datum};
use crate::core::geodesy::distance_m;
use crate::core::map::MapData;
use crate::core::model::{BBox, LatLon, Waypoint, WaypointKind};
use crate::core::projection::fast_forward;
use crate::core::projection::{TransverseMercator, wrap_deg};

use super::layers::{self, DrawnMap, MapFrame, MapLayers};
use super::theme;
use super::{Anchor, HAlign, Item, Label, PageLink, Scene, Stroke, TextStyle, VAlign, overlaps};

/// What to draw besides the route (which is [`Atlas::path`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SceneData<'a> {
    /// Route name for headers.
    pub route_name: &'a str,
    /// Other tracks, drawn thin for context.
    pub others: &'a [&'a [LatLon]],
    /// Waypoints; those on a page are drawn, those near the route go in the cue sheet.
    pub waypoints: &'a [Waypoint],
    /// The map under the route (OpenStreetMap features), asked for page by page.
    pub map: Option<&'a dyn MapSource>,
    /// Which map layers to draw.
    pub layers: MapLayers,
    /// A raster basemap chosen by the user, printed under the page at its true scale; the
    /// vector land, water and terrain layers then stay off (the raster has its own).
    pub basemap: Option<&'a dyn RasterSource>,
    /// The elevation model's hillshade and contours, asked for page by page.
    pub terrain: Option<&'a dyn layers::terrain::TerrainSource>,
    /// The route's road cues (from its match onto the map): rows of the cue sheet.
    pub road_cues: &'a [crate::core::roadbook::RoadCue],
    /// OpenStreetMap POIs for the cue sheet only (fuel, camps, water, gates, fords; the map
    /// pages draw POIs from the map layer).
    pub cue_pois: &'a [Waypoint],
    /// The tactical overview: a page after the index.
    pub overview: Option<&'a crate::core::overview::Overview>,
}

/// A raster drawn under a page frame (a basemap resampled into the page's projection).
pub trait RasterSource: std::fmt::Debug {
    /// The raster covering `frame` (frame mm, through `proj`) at `scale_denom`, if the source
    /// has anything there.
    fn raster(
        &self,
        proj: &dyn layers::Projection,
        frame: &RectMm,
        scale_denom: f64,
    ) -> Option<std::sync::Arc<super::Raster>>;
    /// What to credit on the page.
    fn attribution(&self) -> Option<String>;
}

/// Where pages get their map: the features in a box at a scale. The store implements it over
/// its tables (prepared at import); [`MapData`] itself is one, for tests and small maps.
pub trait MapSource: std::fmt::Debug {
    /// The features that show at `scale_denom` within `bbox` (more is harmless).
    fn map_in(&self, bbox: &BBox, scale_denom: u32) -> Option<std::borrow::Cow<'_, MapData>>;
}

impl MapSource for MapData {
    fn map_in(&self, bbox: &BBox, scale_denom: u32) -> Option<std::borrow::Cow<'_, MapData>> {
        let line_in = |g: &[LatLon]| BBox::of(g.iter().copied()).intersects(bbox);
        let out = MapData {
            roads: self
                .roads
                .iter()
                .filter(|r| r.max_scale >= scale_denom && line_in(&r.geometry))
                .cloned()
                .collect(),
            water_lines: self
                .water_lines
                .iter()
                .filter(|w| w.max_scale >= scale_denom && line_in(&w.geometry))
                .cloned()
                .collect(),
            areas: self
                .areas
                .iter()
                .filter(|a| {
                    a.max_scale >= scale_denom && a.polygons.iter().any(|p| line_in(&p.outer))
                })
                .cloned()
                .collect(),
            places: self
                .places
                .iter()
                .filter(|p| p.max_scale >= scale_denom && bbox.contains(p.at))
                .cloned()
                .collect(),
            pois: self
                .pois
                .iter()
                .filter(|p| p.max_scale >= scale_denom && bbox.contains(p.at))
                .cloned()
                .collect(),
        };
        (!out.is_empty()).then_some(std::borrow::Cow::Owned(out))
    }
}

/// Choices that change how pages look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SceneOptions {
    /// How checkpoint and cue-sheet coordinates are written.
    pub coord_format: CoordFormat,
    /// Datum those coordinates are written in.
    pub datum: Datum,
    /// Waypoints at most this far from the route go in the cue sheet, metres.
    pub corridor_m: f64,
    /// Lines are simplified to this tolerance on paper, mm.
    pub simplify_mm: f64,
    /// Elevations (peaks, contours) in feet, else metres.
    pub imperial: bool,
}

impl Default for SceneOptions {
    fn default() -> Self {
        Self {
            coord_format: CoordFormat::Ddm,
            datum: Datum::Wgs84,
            corridor_m: 2_000.0,
            simplify_mm: 0.1,
            imperial: true,
        }
    }
}

/// Why a scene could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SceneError {
    /// The atlas has no map page with this number.
    #[error("the atlas has no map page {0}")]
    NoSuchPage(u32),
}

const KM_PER_MI: f64 = 1.609_344;

pub(crate) use crate::core::units::thousands;

pub(crate) fn label(
    text: impl Into<String>,
    at: [f64; 2],
    anchor: Anchor,
    style: TextStyle,
) -> Label {
    Label {
        text: text.into(),
        at,
        anchor,
        style,
        halo: false,
    }
}

/// The smallest rectangle holding `points`.
fn bounding_rect(points: &[[f64; 2]]) -> RectMm {
    let (mut x0, mut y0) = (f64::INFINITY, f64::INFINITY);
    let (mut x1, mut y1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for p in points {
        x0 = x0.min(p[0]);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0]);
        y1 = y1.max(p[1]);
    }
    if x0 > x1 {
        return RectMm::default();
    }
    RectMm {
        x: x0,
        y: y0,
        w: x1 - x0,
        h: y1 - y0,
    }
}

/// The smallest rectangle holding both.
fn union_rect(a: &RectMm, b: &RectMm) -> RectMm {
    bounding_rect(&[
        [a.x, a.y],
        [a.right(), a.bottom()],
        [b.x, b.y],
        [b.right(), b.bottom()],
    ])
}

/// Clips segment a→b to `r` (Liang–Barsky); `None` when it misses.
pub(crate) fn clip_segment(a: [f64; 2], b: [f64; 2], r: &RectMm) -> Option<([f64; 2], [f64; 2])> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let mut t0: f64 = 0.0;
    let mut t1: f64 = 1.0;
    for (p, q) in [
        (-dx, a[0] - r.x),
        (dx, r.right() - a[0]),
        (-dy, a[1] - r.y),
        (dy, r.bottom() - a[1]),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then(|| {
        (
            [a[0] + t0 * dx, a[1] + t0 * dy],
            [a[0] + t1 * dx, a[1] + t1 * dy],
        )
    })
}

/// Douglas–Peucker simplification with tolerance `tol` (same units as the points).
pub(crate) fn simplify(points: &[[f64; 2]], tol: f64) -> Vec<[f64; 2]> {
    let n = points.len();
    if n < 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; n];
    if let Some(f) = keep.first_mut() {
        *f = true;
    }
    if let Some(l) = keep.last_mut() {
        *l = true;
    }
    let mut stack = vec![(0usize, n - 1)];
    while let Some((s, e)) = stack.pop() {
        let (Some(a), Some(b)) = (points.get(s), points.get(e)) else {
            continue;
        };
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = dx.hypot(dy);
        let mut best = (0.0, 0usize);
        for (i, p) in points.iter().enumerate().take(e).skip(s + 1) {
            let d = if len > 0.0 {
                ((p[0] - a[0]) * dy - (p[1] - a[1]) * dx).abs() / len
            } else {
                (p[0] - a[0]).hypot(p[1] - a[1])
            };
            if d > best.0 {
                best = (d, i);
            }
        }
        if best.0 > tol {
            if let Some(k) = keep.get_mut(best.1) {
                *k = true;
            }
            stack.push((s, best.1));
            stack.push((best.1, e));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// A line as paper-mm polylines clipped to the page frame and simplified.
/// Only the parts of `line` in `ranges` are looked at (all of it when `None`).
fn page_lines(
    page: &Page,
    line: &[LatLon],
    ranges: Option<&[std::ops::Range<usize>]>,
    simplify_mm: f64,
) -> Vec<Vec<[f64; 2]>> {
    let frame = page.frame_mm;
    let mut runs = Runs::default();
    let mut prev: Option<[f64; 2]> = None;
    let whole = std::slice::from_ref(&(0..line.len())).to_vec();
    let ranges = ranges.unwrap_or(&whole);
    let points = ranges.iter().flat_map(|r| {
        // None between ranges: the gap breaks the line.
        line.get(r.clone())
            .unwrap_or(&[])
            .iter()
            .map(Some)
            .chain(std::iter::once(None))
    });
    for p in points {
        let Some(&p) = p else {
            prev = None;
            continue;
        };
        // Densified paths have segments shorter than a quarter frame, so a segment that
        // touches the frame has both ends inside the window.
        let q = page.window.near(p).then(|| page.paper_mm_from_world(p));
        if let (Some(a), Some(b)) = (prev, q) {
            runs.segment(a, b, &frame);
        }
        prev = q;
    }
    runs.finish(simplify_mm)
}

/// Joins clipped segments into polylines: a segment starting where the last one ended
/// continues it; anything else starts a new run. Shared by the page and screen builders.
#[derive(Debug, Default)]
pub(crate) struct Runs {
    done: Vec<Vec<[f64; 2]>>,
    current: Vec<[f64; 2]>,
}

impl Runs {
    /// Adds the part of segment a→b (paper mm) inside `clip`, if any.
    pub(crate) fn segment(&mut self, a: [f64; 2], b: [f64; 2], clip: &RectMm) {
        let Some((ca, cb)) = clip_segment(a, b, clip) else {
            return;
        };
        let continues = self
            .current
            .last()
            .is_some_and(|l| (l[0] - ca[0]).abs() < 1e-9 && (l[1] - ca[1]).abs() < 1e-9);
        if !continues {
            if self.current.len() > 1 {
                self.done.push(std::mem::take(&mut self.current));
            }
            self.current.clear();
            self.current.push(ca);
        }
        self.current.push(cb);
    }

    /// The runs, each simplified to `simplify_mm`.
    /// The runs as collected (the screen view thins by level of detail instead).
    pub(crate) fn finish_raw(mut self) -> Vec<Vec<[f64; 2]>> {
        if self.current.len() > 1 {
            self.done.push(std::mem::take(&mut self.current));
        }
        self.done
    }

    pub(crate) fn finish(mut self, simplify_mm: f64) -> Vec<Vec<[f64; 2]>> {
        if self.current.len() > 1 {
            self.done.push(std::mem::take(&mut self.current));
        }
        self.done
            .into_iter()
            .map(|r| simplify(&r, simplify_mm))
            .collect()
    }
}

/// A graticule interval (degrees) giving 2..=6 lines across `span_deg`.
pub(crate) fn graticule_step_deg(span_deg: f64) -> f64 {
    const STEPS_MIN: [f64; 12] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
    ];
    STEPS_MIN
        .iter()
        .map(|m| m / 60.0)
        .find(|s| span_deg / s <= 6.0)
        .unwrap_or(30.0)
}

/// `44.5, 'N','S'` → `44°30'N`.
pub(crate) fn angle_label(v: f64, pos: char, neg: char) -> String {
    let total_min = (v.abs() * 60.0).round() as i64;
    if total_min == 0 || total_min == 180 * 60 {
        // The equator, the prime meridian and the antimeridian have no side.
        return format!("{}°", total_min / 60);
    }
    let hemi = if v >= 0.0 { pos } else { neg };
    let (d, m) = (total_min / 60, total_min % 60);
    if m == 0 {
        format!("{d}°{hemi}")
    } else {
        format!("{d}°{m:02}'{hemi}")
    }
}

/// Tries `candidates` in order; the first that stays inside `bounds` and overlaps nothing in
/// `taken` is taken.
fn place(
    candidates: impl IntoIterator<Item = Vec<Label>>,
    bounds: &RectMm,
    taken: &mut Vec<RectMm>,
) -> Option<Vec<Label>> {
    place_avoiding(candidates, bounds, taken, &[])
}

/// Like [`place`], but first tries to also avoid `soft` (the route); when no candidate can,
/// the first that avoids only `taken` wins.
pub(crate) fn place_avoiding(
    candidates: impl IntoIterator<Item = Vec<Label>>,
    bounds: &RectMm,
    taken: &mut Vec<RectMm>,
    soft: &[RectMm],
) -> Option<Vec<Label>> {
    let mut fallback: Option<(Vec<Label>, Vec<RectMm>)> = None;
    for block in candidates {
        let rects: Vec<RectMm> = block.iter().map(Label::bounds).collect();
        let inside = rects.iter().all(|r| {
            r.x >= bounds.x
                && r.y >= bounds.y
                && r.right() <= bounds.right()
                && r.bottom() <= bounds.bottom()
        });
        if !inside || rects.iter().any(|r| taken.iter().any(|t| overlaps(r, t))) {
            continue;
        }
        if !rects.iter().any(|r| soft.iter().any(|t| overlaps(r, t))) {
            taken.extend(rects);
            return Some(block);
        }
        if fallback.is_none() {
            fallback = Some((block, rects));
        }
    }
    let (block, rects) = fallback?;
    taken.extend(rects);
    Some(block)
}

/// Small squares along polylines, every `step_mm`, for labels to avoid.
fn line_cells(runs: &[Vec<[f64; 2]>], step_mm: f64) -> Vec<RectMm> {
    let half = step_mm / 2.0;
    let mut out = Vec::new();
    for run in runs {
        for pair in run.windows(2) {
            let [a, b] = pair else { continue };
            let len = (b[0] - a[0]).hypot(b[1] - a[1]);
            let n = (len / step_mm).ceil().max(1.0) as usize;
            for k in 0..=n {
                let t = k as f64 / n as f64;
                let (x, y) = (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]));
                out.push(RectMm {
                    x: x - half,
                    y: y - half,
                    w: step_mm,
                    h: step_mm,
                });
            }
        }
    }
    out
}

/// Labels of one waypoint as a block whose top-left is `at` (name, then coordinates for a
/// checkpoint).
pub(crate) fn waypoint_block(
    w: &Waypoint,
    opts: &SceneOptions,
    origin: [f64; 2],
    h: HAlign,
) -> Vec<Label> {
    let name = w
        .name
        .clone()
        .unwrap_or_else(|| w.kind.as_str().to_string());
    let mut lines = vec![(name, theme::WAYPOINT_LABEL)];
    if w.kind == WaypointKind::Checkpoint {
        lines.push((
            coords::format(w.pos, opts.coord_format, opts.datum),
            theme::CHECKPOINT_LABEL,
        ));
    }
    let mut y = origin[1];
    lines
        .into_iter()
        .map(|(text, style)| {
            let l = Label {
                text,
                at: [origin[0], y],
                anchor: Anchor { h, v: VAlign::Top },
                style,
                halo: true,
            };
            y += style.size_pt * theme::MM_PER_PT * 1.2;
            l
        })
        .collect()
}

fn block_height_mm(w: &Waypoint) -> f64 {
    let one = theme::WAYPOINT_LABEL.size_pt * theme::MM_PER_PT;
    if w.kind == WaypointKind::Checkpoint {
        one * 2.3
    } else {
        one * 0.95
    }
}

/// Pushes a marker for each `(waypoint, paper position)` and returns their labels, placed in
/// order (earlier waypoints get the better spots) inside `frame`, avoiding `taken` (which grows)
/// and, where possible, `soft` (the route). Without room a label is dropped; the symbol stays.
/// Shared by the atlas pages and the screen view (`scene::view`) so both label alike.
pub(crate) fn waypoint_markers(
    on_page: &[(&Waypoint, [f64; 2])],
    frame: &RectMm,
    taken: &mut Vec<RectMm>,
    soft: &[RectMm],
    opts: &SceneOptions,
    scene: &mut Scene,
) -> Vec<Label> {
    let mut labels = Vec::new();
    let r = theme::SYMBOL_MM / 2.0 + theme::LABEL_GAP_MM;
    for (_, q) in on_page {
        taken.push(RectMm {
            x: q[0] - r,
            y: q[1] - r,
            w: 2.0 * r,
            h: 2.0 * r,
        });
    }
    for (w, q) in on_page {
        scene.items.push(Item::Marker {
            at: *q,
            kind: w.kind,
            size_mm: theme::SYMBOL_MM,
        });
    }
    for (w, q) in on_page {
        let bh = block_height_mm(w);
        let [x, y] = *q;
        let candidates = [
            ([x + r, y - bh / 2.0], HAlign::Left),
            ([x - r, y - bh / 2.0], HAlign::Right),
            ([x, y - r - bh], HAlign::Center),
            ([x, y + r], HAlign::Center),
            ([x + r * 0.8, y - r * 0.8 - bh], HAlign::Left),
            ([x + r * 0.8, y + r * 0.8], HAlign::Left),
            ([x - r * 0.8, y - r * 0.8 - bh], HAlign::Right),
            ([x - r * 0.8, y + r * 0.8], HAlign::Right),
        ];
        if let Some(block) = place_avoiding(
            candidates
                .iter()
                .map(|(o, h)| waypoint_block(w, opts, *o, *h)),
            frame,
            taken,
            soft,
        ) {
            labels.extend(block);
        }
    }
    labels
}

/// Builds map page `number` of `atlas`.
pub fn build_page_scene(
    atlas: &Atlas,
    number: u32,
    data: &SceneData<'_>,
    opts: &SceneOptions,
) -> Result<Scene, SceneError> {
    let page = atlas.page(number).ok_or(SceneError::NoSuchPage(number))?;
    let spec = &atlas.spec;
    let paper = spec.paper_size_mm(page.orientation);
    let frame = page.frame_mm;
    let mut scene = Scene::new(paper);
    scene.page_number = Some(number);
    let mut taken: Vec<RectMm> = Vec::new();
    let mut labels: Vec<Label> = Vec::new();

    // The route first: labels placed below try to keep off it.
    let near = atlas.path_ranges_near(page);
    let route_runs = page_lines(page, &atlas.path, Some(&near), opts.simplify_mm);
    let route_cells = line_cells(&route_runs, 1.2);

    // A raster basemap under everything, at the page's scale.
    let basemap = data.basemap.and_then(|b| {
        b.raster(page, &frame, f64::from(spec.scale_denominator()))
            .map(|r| (r, b.attribution()))
    });
    if let Some((raster, _)) = &basemap {
        scene.items.push(Item::Image {
            rect: frame,
            raster: raster.clone(),
        });
    }
    let page_layers = if basemap.is_some() {
        MapLayers {
            land: false,
            public_land: false,
            water: false,
            contours: false,
            hillshade: false,
            ..data.layers
        }
    } else {
        data.layers
    };

    // The map under everything else.
    let window = page.ground_bbox();
    let map = data
        .map
        .and_then(|m| m.map_in(&window, spec.scale_denominator()));
    let terrain = data
        .terrain
        .filter(|_| page_layers.hillshade || page_layers.contours)
        .and_then(|t| t.terrain(&window, spec.scale_denominator(), opts.imperial));
    let mut drawn = DrawnMap::default();
    if let Some(map) = &map {
        let mframe = MapFrame {
            proj: page,
            window,
            clip: frame,
            bounds: frame,
            scale_denom: f64::from(spec.scale_denominator()),
            imperial: opts.imperial,
            simplify_mm: opts.simplify_mm,
            raster_px_per_cell: 2.0,
        };
        let gpx: Vec<&Waypoint> = data.waypoints.iter().collect();
        layers::draw_map(&mframe, map, &page_layers, &mut scene, &mut drawn);
        if let Some(t) = &terrain {
            layers::terrain::draw(&mframe, t, &page_layers, &mut scene, &mut drawn);
        }
        layers::draw_map_over_terrain(&mframe, map, &page_layers, &gpx, &mut scene, &mut drawn);
        taken.extend(drawn.markers.iter().copied());
    } else if let Some(t) = &terrain {
        // Terrain without map data still reads: relief and contours under the route.
        let mframe = MapFrame {
            proj: page,
            window,
            clip: frame,
            bounds: frame,
            scale_denom: f64::from(spec.scale_denominator()),
            imperial: opts.imperial,
            simplify_mm: opts.simplify_mm,
            raster_px_per_cell: 2.0,
        };
        layers::terrain::draw(&mframe, t, &page_layers, &mut scene, &mut drawn);
    }

    // Reference grid: light lines, letters along the top and numbers down the left, inside.
    let (cw, ch) = page.grid_cell_mm();
    for c in 1..page.grid_cols {
        let x = frame.x + f64::from(c) * cw;
        scene.items.push(Item::Polyline {
            points: vec![[x, frame.y], [x, frame.bottom()]],
            stroke: theme::REF_GRID,
        });
    }
    for r in 1..page.grid_rows {
        let y = frame.y + f64::from(r) * ch;
        scene.items.push(Item::Polyline {
            points: vec![[frame.x, y], [frame.right(), y]],
            stroke: theme::REF_GRID,
        });
    }
    for c in 0..page.grid_cols {
        let x = frame.x + (f64::from(c) + 0.5) * cw;
        let l = Label {
            halo: true,
            ..label(
                column_name(c),
                [x, frame.y + 1.0],
                Anchor {
                    h: HAlign::Center,
                    v: VAlign::Top,
                },
                theme::GRID_LABEL,
            )
        };
        taken.push(l.bounds());
        labels.push(l);
    }
    for r in 0..page.grid_rows {
        let y = frame.y + (f64::from(r) + 0.5) * ch;
        let l = Label {
            halo: true,
            ..label(
                (r + 1).to_string(),
                [frame.x + 1.0, y],
                Anchor {
                    h: HAlign::Left,
                    v: VAlign::Middle,
                },
                theme::GRID_LABEL,
            )
        };
        taken.push(l.bounds());
        labels.push(l);
    }

    // Graticule: lat/long lines, labelled at the right (latitude) and bottom (longitude) edges.
    graticule(page, &mut scene, &mut labels, &mut taken, &route_cells);

    // Other tracks, then the route on top.
    for other in data.others {
        for run in page_lines(page, other, None, opts.simplify_mm) {
            scene.items.push(Item::Polyline {
                points: run,
                stroke: theme::OTHER_TRACK,
            });
        }
    }
    if map.is_some() || basemap.is_some() {
        for run in &route_runs {
            scene.items.push(Item::Polyline {
                points: run.clone(),
                stroke: theme::ROUTE_HALO,
            });
        }
    }
    for run in route_runs {
        scene.items.push(Item::Polyline {
            points: run,
            stroke: theme::ROUTE,
        });
    }

    // Waypoints: markers first (labels avoid all of them), checkpoints' labels placed first.
    let mut on_page: Vec<(&Waypoint, [f64; 2])> = data
        .waypoints
        .iter()
        .filter(|w| page.window.near(w.pos) && page.contains_inset(w.pos, theme::SYMBOL_MM / 2.0))
        .map(|w| (w, page.paper_mm_from_world(w.pos)))
        .collect();
    on_page.sort_by_key(|(w, _)| {
        (
            w.kind != WaypointKind::Checkpoint,
            w.kind != WaypointKind::Fuel,
        )
    });
    labels.extend(waypoint_markers(
        &on_page,
        &frame,
        &mut taken,
        &route_cells,
        opts,
        &mut scene,
    ));
    // Map labels after the route's own, where they left room; the route itself stays
    // readable (labels keep off it).
    taken.extend(route_cells.iter().copied());
    let map_labels = std::mem::take(&mut drawn.labels).place(&frame, &mut taken);

    scene.items.push(Item::Rect {
        rect: frame,
        fill: None,
        stroke: Some(theme::FRAME),
    });
    scene.items.extend(map_labels);
    scene.items.extend(labels.into_iter().map(Item::Label));
    edge_links(page, &mut scene);
    header(atlas, page, data, &mut scene);
    let attribution = [
        layers::attribution(map.is_some(), terrain.as_ref().map(|t| t.source.as_str())),
        basemap.and_then(|(_, a)| a),
    ]
    .into_iter()
    .flatten()
    .reduce(|a, b| format!("{a} · {b}"));
    footer(
        page,
        &on_page,
        !data.others.is_empty(),
        &drawn,
        attribution,
        opts,
        &mut scene,
    );
    Ok(scene)
}

fn graticule(
    page: &Page,
    scene: &mut Scene,
    labels: &mut Vec<Label>,
    taken: &mut Vec<RectMm>,
    route_cells: &[RectMm],
) {
    let frame = page.frame_mm;
    let centre = page.world_from_paper_mm([frame.x + frame.w / 2.0, frame.y + frame.h / 2.0]);
    let mut lat = (f64::INFINITY, f64::NEG_INFINITY);
    let mut dlon = (f64::INFINITY, f64::NEG_INFINITY);
    for fx in [0.0, 0.5, 1.0] {
        for fy in [0.0, 0.5, 1.0] {
            let p = page.world_from_paper_mm([frame.x + fx * frame.w, frame.y + fy * frame.h]);
            lat = (lat.0.min(p.lat), lat.1.max(p.lat));
            let d = wrap_deg(p.lon - centre.lon);
            dlon = (dlon.0.min(d), dlon.1.max(d));
        }
    }
    let step = graticule_step_deg((lat.1 - lat.0).max(dlon.1 - dlon.0).max(1e-6));
    let samples = 24;
    let lon_lo = centre.lon + dlon.0;
    let lon_hi = centre.lon + dlon.1;
    let mut k = (lat.0 / step).ceil() as i64;
    while (k as f64) * step <= lat.1 && k < (lat.0 / step).ceil() as i64 + 50 {
        let la = k as f64 * step;
        let line: Vec<LatLon> = (0..=samples)
            .map(|i| {
                LatLon::new(
                    la,
                    wrap_deg(lon_lo + (lon_hi - lon_lo) * f64::from(i) / f64::from(samples)),
                )
            })
            .collect();
        for run in clipped(page, &line) {
            if let Some(end) = run.iter().copied().max_by(|a, b| a[0].total_cmp(&b[0])) {
                // Above the line at the east edge, else below it.
                let candidates = [(-0.5, VAlign::Bottom), (0.5, VAlign::Top)].map(|(dy, v)| {
                    vec![Label {
                        halo: true,
                        ..label(
                            angle_label(la, 'N', 'S'),
                            [end[0] - 0.8, end[1] + dy],
                            Anchor {
                                h: HAlign::Right,
                                v,
                            },
                            theme::GRATICULE_LABEL,
                        )
                    }]
                });
                if let Some(block) = place_avoiding(candidates, &page.frame_mm, taken, route_cells)
                {
                    labels.extend(block);
                }
            }
            scene.items.push(Item::Polyline {
                points: run,
                stroke: theme::GRATICULE,
            });
        }
        k += 1;
    }
    let first = ((centre.lon + dlon.0) / step).ceil() as i64;
    let mut k = first;
    while (k as f64) * step <= centre.lon + dlon.1 && k < first + 50 {
        let lo = wrap_deg(k as f64 * step);
        let line: Vec<LatLon> = (0..=samples)
            .map(|i| {
                LatLon::new(
                    lat.0 + (lat.1 - lat.0) * f64::from(i) / f64::from(samples),
                    lo,
                )
            })
            .collect();
        for run in clipped(page, &line) {
            if let Some(end) = run.iter().copied().max_by(|a, b| a[1].total_cmp(&b[1])) {
                // Right of the line at the south edge, else left of it.
                let candidates = [(0.6, HAlign::Left), (-0.6, HAlign::Right)].map(|(dx, h)| {
                    vec![Label {
                        halo: true,
                        ..label(
                            angle_label(lo, 'E', 'W'),
                            [end[0] + dx, end[1] - 0.8],
                            Anchor {
                                h,
                                v: VAlign::Bottom,
                            },
                            theme::GRATICULE_LABEL,
                        )
                    }]
                });
                if let Some(block) = place_avoiding(candidates, &page.frame_mm, taken, route_cells)
                {
                    labels.extend(block);
                }
            }
            scene.items.push(Item::Polyline {
                points: run,
                stroke: theme::GRATICULE,
            });
        }
        k += 1;
    }
}

/// A short line (no window test: graticule samples are spread over the frame).
fn clipped(page: &Page, line: &[LatLon]) -> Vec<Vec<[f64; 2]>> {
    let frame = page.frame_mm;
    let mut runs = Vec::new();
    let mut current: Vec<[f64; 2]> = Vec::new();
    let pts: Vec<[f64; 2]> = line.iter().map(|p| page.paper_mm_from_world(*p)).collect();
    for pair in pts.windows(2) {
        let [a, b] = pair else { continue };
        match clip_segment(*a, *b, &frame) {
            Some((ca, cb)) => {
                if current.is_empty() {
                    current.push(ca);
                }
                current.push(cb);
            }
            None => {
                if current.len() > 1 {
                    runs.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() > 1 {
        runs.push(current);
    }
    runs
}

/// Edge-link arrows and "to N" labels outside the frame at each crossing; repeated links to
/// the same page on the same edge within 25 mm share one label.
fn edge_links(page: &Page, scene: &mut Scene) {
    let frame = page.frame_mm;
    let mut shown: Vec<(Edge, u32, [f64; 2])> = Vec::new();
    let mut taken: Vec<RectMm> = Vec::new();
    for link in &page.links {
        let q = page.paper_mm_from_world(link.at);
        let q = [
            q[0].clamp(frame.x, frame.right()),
            q[1].clamp(frame.y, frame.bottom()),
        ];
        if shown.iter().any(|(e, to, p)| {
            *e == link.edge && *to == link.to_page && (p[0] - q[0]).hypot(p[1] - q[1]) < 25.0
        }) {
            continue;
        }
        let a = 1.6;
        let (tri, base_at, anchor, step) = match link.edge {
            Edge::N => (
                vec![
                    [q[0] - a, frame.y - 0.3],
                    [q[0] + a, frame.y - 0.3],
                    [q[0], frame.y - 0.3 - a * 1.3],
                ],
                [q[0] + a + 0.6, frame.y - 0.5],
                Anchor {
                    h: HAlign::Left,
                    v: VAlign::Baseline,
                },
                [6.0, 0.0],
            ),
            Edge::S => (
                vec![
                    [q[0] - a, frame.bottom() + 0.3],
                    [q[0] + a, frame.bottom() + 0.3],
                    [q[0], frame.bottom() + 0.3 + a * 1.3],
                ],
                [q[0] + a + 0.6, frame.bottom() + 0.6],
                Anchor {
                    h: HAlign::Left,
                    v: VAlign::Top,
                },
                [6.0, 0.0],
            ),
            Edge::E => (
                vec![
                    [frame.right() + 0.3, q[1] - a],
                    [frame.right() + 0.3, q[1] + a],
                    [frame.right() + 0.3 + a * 1.3, q[1]],
                ],
                [frame.right() + 1.0, q[1] + a + 0.6],
                Anchor {
                    h: HAlign::Left,
                    v: VAlign::Top,
                },
                [0.0, 4.0],
            ),
            Edge::W => (
                vec![
                    [frame.x - 0.3, q[1] - a],
                    [frame.x - 0.3, q[1] + a],
                    [frame.x - 0.3 - a * 1.3, q[1]],
                ],
                [frame.x - 1.0, q[1] + a + 0.6],
                Anchor {
                    h: HAlign::Right,
                    v: VAlign::Top,
                },
                [0.0, 4.0],
            ),
        };
        scene.items.push(Item::Polygon {
            points: tri.clone(),
            fill: Some(theme::LINK),
            stroke: None,
        });
        let text = format!("to {}", link.to_page);
        let candidates = (0..4).map(|i| {
            let k = f64::from(i);
            vec![label(
                text.clone(),
                [base_at[0] + step[0] * k, base_at[1] + step[1] * k],
                anchor,
                theme::LINK_LABEL,
            )]
        });
        let paper = RectMm {
            x: 0.0,
            y: 0.0,
            w: scene.size_mm.0,
            h: scene.size_mm.1,
        };
        let arrow = bounding_rect(&tri);
        if let Some(block) = place(candidates, &paper, &mut taken) {
            for l in &block {
                scene.links.push(PageLink {
                    rect: union_rect(&l.bounds(), &arrow).grown(0.8),
                    to_page: link.to_page,
                });
            }
            scene.items.extend(block.into_iter().map(Item::Label));
        } else {
            scene.links.push(PageLink {
                rect: arrow.grown(0.8),
                to_page: link.to_page,
            });
        }
        shown.push((link.edge, link.to_page, q));
    }
}

fn header(atlas: &Atlas, page: &Page, data: &SceneData<'_>, scene: &mut Scene) {
    let m = atlas.spec.margins_mm();
    let y = m + 4.0;
    let right = scene.size_mm.0 - m;
    scene.items.push(Item::Label(label(
        data.route_name,
        [m, y],
        Anchor::BASELINE_LEFT,
        theme::TITLE,
    )));
    let scale = format!(
        "Scale 1:{}",
        thousands(u64::from(atlas.spec.scale_denominator()))
    );
    scene.items.push(Item::Label(label(
        scale,
        [scene.size_mm.0 / 2.0 + 20.0, y],
        Anchor {
            h: HAlign::Center,
            v: VAlign::Baseline,
        },
        theme::HEADER,
    )));
    scene.items.push(Item::Label(label(
        format!("Page {}", page.number),
        [right, y],
        Anchor {
            h: HAlign::Right,
            v: VAlign::Baseline,
        },
        theme::PAGE_NUMBER,
    )));
}

/// A "nice" bar length ≤ `max_units`.
fn nice_length(max_units: f64) -> f64 {
    const NICE: [f64; 14] = [
        0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0,
    ];
    NICE.iter()
        .copied()
        .rev()
        .find(|&n| n <= max_units)
        .unwrap_or(0.25)
}

pub(crate) fn scale_bar(
    scene: &mut Scene,
    origin: [f64; 2],
    mm_per_unit: f64,
    max_mm: f64,
    unit: &str,
) {
    let len_units = nice_length(max_mm / mm_per_unit);
    let len_mm = len_units * mm_per_unit;
    let blocks = 4;
    let h = theme::SCALE_BAR_MM;
    for i in 0..blocks {
        let w = len_mm / f64::from(blocks);
        let fill = if i % 2 == 0 { theme::INK } else { theme::PAPER };
        scene.items.push(Item::Rect {
            rect: RectMm {
                x: origin[0] + f64::from(i) * w,
                y: origin[1],
                w,
                h,
            },
            fill: Some(fill),
            stroke: Some(theme::SYMBOL_OUTLINE),
        });
    }
    let ty = origin[1] + h / 2.0;
    scene.items.push(Item::Label(label(
        "0",
        [origin[0] - 0.8, ty],
        Anchor {
            h: HAlign::Right,
            v: VAlign::Middle,
        },
        theme::SMALL,
    )));
    let num = if len_units.fract() == 0.0 {
        format!("{len_units:.0}")
    } else {
        format!("{len_units}")
    };
    scene.items.push(Item::Label(label(
        format!("{num} {unit}"),
        [origin[0] + len_mm + 0.8, ty],
        Anchor {
            h: HAlign::Left,
            v: VAlign::Middle,
        },
        theme::SMALL,
    )));
}

fn footer(
    page: &Page,
    on_page: &[(&Waypoint, [f64; 2])],
    has_others: bool,
    drawn: &DrawnMap,
    attribution: Option<String>,
    opts: &SceneOptions,
    scene: &mut Scene,
) {
    let frame = page.frame_mm;
    let top = frame.bottom() + 6.0;
    let x0 = frame.x + 3.0;
    // Scale bars: true on the page's central meridian (k0 = 1).
    let mm_per_km = 1000.0 / page.m_per_mm;
    scale_bar(scene, [x0, top], mm_per_km, 55.0, "km");
    scale_bar(scene, [x0, top + 4.5], mm_per_km * KM_PER_MI, 55.0, "mi");

    // North arrow: the page is north up.
    let nx = x0 + 78.0;
    let ny = top + 3.0;
    scene.items.push(Item::Polygon {
        points: vec![
            [nx, ny - 3.0],
            [nx + 1.6, ny + 2.0],
            [nx, ny + 1.0],
            [nx - 1.6, ny + 2.0],
        ],
        fill: Some(theme::INK),
        stroke: None,
    });
    scene.items.push(Item::Label(label(
        "N",
        // Beside the arrow, not above it: the band just below the frame holds S-edge links.
        [nx + 2.2, ny - 1.0],
        Anchor {
            h: HAlign::Left,
            v: VAlign::Middle,
        },
        theme::HEADER,
    )));

    // Legend: route, other tracks, the symbols on this page, then the coordinate note.
    let mut x = nx + 8.0;
    let mut y = top;
    let right = frame.right();
    let entry = |scene: &mut Scene, x: &mut f64, y: &mut f64, swatch: Vec<Item>, text: String| {
        let w = 6.0 + theme::text_width_mm(&text, &theme::SMALL) + 3.0;
        if *x + w > right {
            *x = nx + 8.0;
            *y += 3.6;
        }
        let placed = |item: Item| match item {
            Item::Polyline { stroke, .. } => Item::Polyline {
                points: vec![[*x, *y], [*x + 4.5, *y]],
                stroke,
            },
            Item::Marker { kind, .. } => Item::Marker {
                at: [*x + 2.2, *y],
                kind,
                size_mm: 2.4,
            },
            Item::Polygon {
                points,
                fill,
                stroke,
            } => Item::Polygon {
                points: points
                    .iter()
                    .map(|p| [*x + 2.2 + p[0], *y + p[1]])
                    .collect(),
                fill,
                stroke,
            },
            Item::Area { fill, .. } => Item::Area {
                polygons: vec![vec![vec![
                    [*x, *y - 1.1],
                    [*x + 4.5, *y - 1.1],
                    [*x + 4.5, *y + 1.1],
                    [*x, *y + 1.1],
                ]]],
                fill,
            },
            other => other,
        };
        // A swatch of several items (a cased road) is drawn in order.
        for part in swatch {
            scene.items.push(placed(part));
        }
        scene.items.push(Item::Label(label(
            text,
            [*x + 6.0, *y],
            Anchor {
                h: HAlign::Left,
                v: VAlign::Middle,
            },
            theme::SMALL,
        )));
        *x += w;
    };
    let line = |stroke: Stroke| Item::Polyline {
        points: Vec::new(),
        stroke,
    };
    entry(
        scene,
        &mut x,
        &mut y,
        vec![line(theme::ROUTE)],
        "Route".into(),
    );
    if has_others {
        entry(
            scene,
            &mut x,
            &mut y,
            vec![line(theme::OTHER_TRACK)],
            "Other tracks".into(),
        );
    }
    let mut kinds: Vec<WaypointKind> = on_page.iter().map(|(w, _)| w.kind).collect();
    kinds.sort();
    kinds.dedup();
    for k in kinds {
        let name = k.as_str();
        let mut cap = name.to_string();
        if let Some(f) = cap.get_mut(0..1) {
            f.make_ascii_uppercase();
        }
        entry(
            scene,
            &mut x,
            &mut y,
            vec![Item::Marker {
                at: [0.0, 0.0],
                kind: k,
                size_mm: 2.4,
            }],
            cap,
        );
    }
    for e in &drawn.legend {
        let (swatch, text) = layers::legend_swatch(*e, page.m_per_mm * 1000.0);
        entry(scene, &mut x, &mut y, swatch, text.into());
    }
    if let Some(a) = attribution {
        scene.items.push(Item::Label(label(
            a,
            [frame.right(), y + 8.0],
            Anchor {
                h: HAlign::Right,
                v: VAlign::Middle,
            },
            theme::ATTRIBUTION,
        )));
    }
    let note = format!(
        "Graticule: lat/long {}. Coordinates: {} {:?}. Grid cells {}-{} x 1-{}.",
        opts.datum.label(),
        opts.datum.label(),
        opts.coord_format,
        column_name(0),
        column_name(page.grid_cols.saturating_sub(1)),
        page.grid_rows
    );
    scene.items.push(Item::Label(label(
        note,
        [nx + 8.0, y + 4.2],
        Anchor {
            h: HAlign::Left,
            v: VAlign::Middle,
        },
        theme::SMALL,
    )));
}

/// The index page's overview: one TM projection scaled into a region of the page.
struct OverviewProjection {
    proj: TransverseMercator,
    min: (f64, f64),
    max: (f64, f64),
    mm_per_m: f64,
    off: (f64, f64),
}

impl layers::Projection for OverviewProjection {
    fn mm_from_world(&self, p: LatLon) -> [f64; 2] {
        let (x, y) = fast_forward(&self.proj, p);
        [
            self.off.0 + (x - self.min.0) * self.mm_per_m,
            self.off.1 + (self.max.1 - y) * self.mm_per_m,
        ]
    }
    fn world_from_mm(&self, q: [f64; 2]) -> LatLon {
        let x = (q[0] - self.off.0) / self.mm_per_m + self.min.0;
        let y = self.max.1 - (q[1] - self.off.1) / self.mm_per_m;
        self.proj.inverse(x, y)
    }
}

/// Builds the index page (document page 1): all page frames numbered over the route, and a
/// table of which page joins which across which edge.
pub fn build_index_scene(atlas: &Atlas, data: &SceneData<'_>, opts: &SceneOptions) -> Scene {
    let spec = &atlas.spec;
    let orientation = atlas
        .pages
        .first()
        .map_or(crate::core::atlas::PageOrientation::Portrait, |p| {
            p.orientation
        });
    let orientation = match spec.orientation() {
        crate::core::atlas::Orientation::Landscape => orientation,
        _ => crate::core::atlas::PageOrientation::Portrait,
    };
    let paper = spec.paper_size_mm(orientation);
    let m = spec.margins_mm();
    let mut scene = Scene::new(paper);
    scene.page_number = Some(1);
    scene.items.push(Item::Label(label(
        format!("{}: atlas index", data.route_name),
        [m, m + 5.0],
        Anchor::BASELINE_LEFT,
        theme::TITLE,
    )));
    scene.items.push(Item::Label(label(
        "Page 1",
        [paper.0 - m, m + 5.0],
        Anchor {
            h: HAlign::Right,
            v: VAlign::Baseline,
        },
        theme::PAGE_NUMBER,
    )));
    // Say where the cue sheet is, or that there is none (a reader would look for it).
    let cue = if cue_sheet_rows(atlas, data, opts).is_empty() {
        "no cue sheet: nothing along the route".to_string()
    } else {
        format!("cue sheet from page {}", atlas.last_map_page() + 1)
    };
    let summary = format!(
        "{} map pages (2-{}) at 1:{} on {}; {cue}.",
        atlas.pages.len(),
        atlas.last_map_page(),
        thousands(u64::from(spec.scale_denominator())),
        spec.paper().as_str(),
    );
    scene.items.push(Item::Label(label(
        summary,
        [m, m + 10.0],
        Anchor::BASELINE_LEFT,
        theme::HEADER,
    )));

    // Overview in one TM projection centred on the route.
    let region = RectMm {
        x: m,
        y: m + 14.0,
        w: paper.0 - 2.0 * m,
        h: (paper.1 - 2.0 * m) * 0.58,
    };
    let centre = atlas
        .pages
        .get(atlas.pages.len() / 2)
        .map_or(LatLon::default(), |p| {
            p.world_from_paper_mm([
                p.frame_mm.x + p.frame_mm.w / 2.0,
                p.frame_mm.y + p.frame_mm.h / 2.0,
            ])
        });
    let proj = TransverseMercator::local(centre.lon);
    let mut min = (f64::INFINITY, f64::INFINITY);
    let mut max = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let frames: Vec<Vec<(f64, f64)>> = atlas
        .pages
        .iter()
        .map(|p| p.corners.iter().map(|c| fast_forward(&proj, *c)).collect())
        .collect();
    for (x, y) in frames.iter().flatten() {
        min = (min.0.min(*x), min.1.min(*y));
        max = (max.0.max(*x), max.1.max(*y));
    }
    let span = ((max.0 - min.0).max(1.0), (max.1 - min.1).max(1.0));
    let mm_per_m = (region.w / span.0).min(region.h / span.1);
    let off = (
        region.x + (region.w - span.0 * mm_per_m) / 2.0,
        region.y + (region.h - span.1 * mm_per_m) / 2.0,
    );
    let to_mm = |(x, y): (f64, f64)| {
        [
            off.0 + (x - min.0) * mm_per_m,
            off.1 + (max.1 - y) * mm_per_m,
        ]
    };
    // An overview map under the frames: major roads, water and places at the overview's
    // scale (what shows is the import's `max_scale`, as on every page).
    let overview = OverviewProjection {
        proj,
        min,
        max,
        mm_per_m,
        off,
    };
    let ground = BBox::of(atlas.pages.iter().flat_map(|p| p.corners));
    let overview_denom = 1000.0 / mm_per_m;
    let map = data
        .map
        .and_then(|m| m.map_in(&ground, overview_denom.round() as u32));
    let mut drawn = DrawnMap::default();
    if let Some(map) = &map {
        let mframe = MapFrame {
            proj: &overview,
            window: ground,
            clip: region,
            bounds: region,
            scale_denom: overview_denom,
            imperial: opts.imperial,
            simplify_mm: opts.simplify_mm * 2.0,
            raster_px_per_cell: 2.0,
        };
        let layers = MapLayers {
            land: false,
            public_land: false,
            pois: false,
            contours: false,
            hillshade: false,
            ..data.layers
        };
        layers::draw_map(&mframe, map, &layers, &mut scene, &mut drawn);
        layers::draw_map_over_terrain(&mframe, map, &layers, &[], &mut scene, &mut drawn);
    }
    // Fills first, then outlines, so every frame's outline shows where frames overlap; over
    // a map, outlines only, so the map shows through.
    for f in frames.iter().filter(|_| map.is_none()) {
        scene.items.push(Item::Polygon {
            points: f.iter().map(|c| to_mm(*c)).collect(),
            fill: Some(theme::INDEX_FRAME_FILL),
            stroke: None,
        });
    }
    for f in &frames {
        scene.items.push(Item::Polygon {
            points: f.iter().map(|c| to_mm(*c)).collect(),
            fill: None,
            stroke: Some(theme::INDEX_FRAME),
        });
    }
    let route: Vec<[f64; 2]> = atlas
        .path
        .iter()
        // The overview is at a small scale: 50 000 points are plenty before simplifying.
        .step_by((atlas.path.len() / 50_000).max(1))
        .chain(atlas.path.last())
        .map(|p| to_mm(fast_forward(&proj, *p)))
        .collect();
    scene.items.push(Item::Polyline {
        points: simplify(&route, opts.simplify_mm * 2.0),
        stroke: theme::ROUTE,
    });
    let mut taken = Vec::new();
    for (p, f) in atlas.pages.iter().zip(&frames) {
        let c = f
            .iter()
            .fold((0.0, 0.0), |a, q| (a.0 + q.0 / 4.0, a.1 + q.1 / 4.0));
        let l = Label {
            halo: true,
            ..label(
                p.number.to_string(),
                to_mm(c),
                Anchor {
                    h: HAlign::Center,
                    v: VAlign::Middle,
                },
                theme::PAGE_NUMBER,
            )
        };
        let nudged = [0.0, 4.0, -4.0, 8.0, -8.0].into_iter().map(|dy| {
            vec![Label {
                at: [l.at[0], l.at[1] + dy],
                ..l.clone()
            }]
        });
        if let Some(block) = place(
            nudged,
            &RectMm {
                x: 0.0,
                y: 0.0,
                w: paper.0,
                h: paper.1,
            },
            &mut taken,
        ) {
            for l in &block {
                scene.links.push(PageLink {
                    rect: l.bounds().grown(1.0),
                    to_page: p.number,
                });
            }
            scene.items.extend(block.into_iter().map(Item::Label));
        }
    }
    // The overview map's labels where the page numbers left room, and its attribution.
    scene
        .items
        .extend(std::mem::take(&mut drawn.labels).place(&region, &mut taken));
    if let Some(a) = layers::attribution(map.is_some(), None) {
        scene.items.push(Item::Label(label(
            a,
            [region.right(), region.bottom() + 3.0],
            Anchor {
                h: HAlign::Right,
                v: VAlign::Top,
            },
            theme::ATTRIBUTION,
        )));
    }
    // Then each frame: a click inside a frame away from the numbers turns to that page
    // (the first listed wins where frames overlap).
    for (p, f) in atlas.pages.iter().zip(&frames) {
        let pts: Vec<[f64; 2]> = f.iter().map(|c| to_mm(*c)).collect();
        scene.links.push(PageLink {
            rect: bounding_rect(&pts),
            to_page: p.number,
        });
    }

    // Join table: one entry per page, flowed into columns.
    let table_top = region.bottom() + 6.0;
    scene.items.push(Item::Label(label(
        "Page joins (page: edge to page)",
        [m, table_top],
        Anchor::BASELINE_LEFT,
        theme::TABLE_HEAD,
    )));
    let entries: Vec<String> = atlas
        .pages
        .iter()
        .map(|p| {
            let joins: Vec<String> = atlas
                .adjacencies
                .iter()
                .filter(|a| a.page == p.number)
                .map(|a| format!("{} to {}", a.edge, a.to_page))
                .collect();
            if joins.is_empty() {
                format!("{}: -", p.number)
            } else {
                format!("{}: {}", p.number, joins.join(", "))
            }
        })
        .collect();
    let avail_h = paper.1 - m - table_top - 3.0;
    let mut style = theme::TABLE;
    let (mut cols, mut rows);
    loop {
        let line_h = style.size_pt * theme::MM_PER_PT * 1.35;
        rows = ((avail_h / line_h).floor() as usize).max(1);
        cols = entries.len().div_ceil(rows).max(1);
        let widest = entries
            .iter()
            .map(|e| theme::text_width_mm(e, &style))
            .fold(0.0, f64::max);
        if (cols as f64) * (widest + 4.0) <= paper.0 - 2.0 * m || style.size_pt <= 5.0 {
            break;
        }
        style.size_pt -= 0.5;
    }
    let line_h = style.size_pt * theme::MM_PER_PT * 1.35;
    let col_w = (paper.0 - 2.0 * m) / cols as f64;
    for (i, e) in entries.iter().enumerate() {
        let (c, r) = (i / rows, i % rows);
        let at = [m + c as f64 * col_w, table_top + 4.0 + r as f64 * line_h];
        scene.items.push(Item::Label(label(
            e.clone(),
            at,
            Anchor::BASELINE_LEFT,
            style,
        )));
    }
    scene
}

/// One cue-sheet row: a waypoint near the route, in route order.
#[derive(Debug, Clone, PartialEq)]
pub struct CueRow {
    /// The waypoint.
    pub wpt: Waypoint,
    /// Distance along the route to the point nearest the waypoint, metres.
    pub along_m: f64,
    /// Distance from the route, metres.
    pub off_route_m: f64,
    /// Distance along the route since the previous fuel waypoint in the list, metres.
    pub since_fuel_m: Option<f64>,
    /// Page and grid cell, if on a page.
    pub page_ref: Option<(u32, String)>,
    /// A change of road: then `wpt` is the junction (its name the cue's words) and no
    /// waypoint.
    pub road: Option<crate::core::roadbook::RoadCue>,
}

fn ecef(p: LatLon) -> [f64; 3] {
    let (la, lo) = (p.lat.to_radians(), p.lon.to_radians());
    let r = crate::core::geodesy::EARTH_RADIUS_M;
    [
        r * la.cos() * lo.cos(),
        r * la.cos() * lo.sin(),
        r * la.sin(),
    ]
}

/// Waypoints within `opts.corridor_m` of the route, in route order.
pub fn cue_rows(atlas: &Atlas, waypoints: &[Waypoint], opts: &SceneOptions) -> Vec<CueRow> {
    if waypoints.is_empty() || atlas.path.is_empty() {
        return Vec::new();
    }
    let path = &atlas.path;
    let mut along = Vec::with_capacity(path.len());
    let mut acc = 0.0;
    let mut prev: Option<LatLon> = None;
    for &p in path {
        if let Some(a) = prev {
            acc += distance_m(a, p);
        }
        along.push(acc);
        prev = Some(p);
    }
    let tree: RTree<GeomWithData<[f64; 3], usize>> = RTree::bulk_load(
        path.iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new(ecef(*p), i))
            .collect(),
    );
    let mut rows: Vec<CueRow> = Vec::new();
    for w in waypoints {
        // The nearest segment is next to one of the nearest few vertices.
        let mut best: Option<(f64, f64)> = None;
        for v in tree.nearest_neighbor_iter(&ecef(w.pos)).take(4) {
            let i = v.data;
            for (s, e) in [(i.wrapping_sub(1), i), (i, i + 1)] {
                let (Some(&a), Some(&b)) = (path.get(s), path.get(e)) else {
                    continue;
                };
                let proj = TransverseMercator::local(w.pos.lon);
                let (ax, ay) = fast_forward(&proj, a);
                let (bx, by) = fast_forward(&proj, b);
                let (wx, wy) = fast_forward(&proj, w.pos);
                let (dx, dy) = (bx - ax, by - ay);
                let len2 = dx * dx + dy * dy;
                let t = if len2 > 0.0 {
                    (((wx - ax) * dx + (wy - ay) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let d = (ax + t * dx - wx).hypot(ay + t * dy - wy);
                let at = along.get(s).copied().unwrap_or(0.0) + t * len2.sqrt();
                // On a tie (a loop's start and end) the earlier place along the route wins.
                if best.is_none_or(|(bd, ba)| d < bd - 1e-6 || (d <= bd + 1e-6 && at < ba)) {
                    best = Some((d, at));
                }
            }
            if path.len() == 1 {
                best = Some((
                    distance_m(w.pos, path.first().copied().unwrap_or_default()),
                    0.0,
                ));
            }
        }
        let Some((d, at)) = best else { continue };
        if d <= opts.corridor_m {
            rows.push(CueRow {
                wpt: w.clone(),
                along_m: at,
                off_route_m: d,
                since_fuel_m: None,
                page_ref: atlas.locate(w.pos),
                road: None,
            });
        }
    }
    rows.sort_by(|a, b| a.along_m.total_cmp(&b.along_m));
    let mut last_fuel: Option<f64> = None;
    for r in &mut rows {
        r.since_fuel_m = last_fuel.map(|f| r.along_m - f);
        if r.wpt.kind == WaypointKind::Fuel {
            last_fuel = Some(r.along_m);
        }
    }
    rows
}

/// Cuts `text` to fit `max_mm`, ending in "..." when cut.
fn fit_text(text: &str, style: &TextStyle, max_mm: f64) -> String {
    if theme::text_width_mm(text, style) <= max_mm {
        return text.to_string();
    }
    let mut s: String = text.to_string();
    while !s.is_empty() && theme::text_width_mm(&format!("{s}..."), style) > max_mm {
        s.pop();
    }
    format!("{s}...")
}

/// Everything the cue sheet lists, in route order: the one place that decides, so the index
/// page (which says when there is no cue sheet) and the sheet agree. Today the waypoints
/// within the corridor; more sources (OSM POIs beside the road, road changes) are added here
/// as more rows.
pub fn cue_sheet_rows(atlas: &Atlas, data: &SceneData<'_>, opts: &SceneOptions) -> Vec<CueRow> {
    let mut wpts: Vec<Waypoint> = data.waypoints.to_vec();
    wpts.extend(data.cue_pois.iter().cloned());
    let mut rows = cue_rows(atlas, &wpts, opts);
    // The road cues, at the route's point at their chainage.
    let path = &atlas.path;
    let mut along = Vec::with_capacity(path.len());
    let mut acc = 0.0;
    for (i, p) in path.iter().enumerate() {
        if i > 0 {
            acc += distance_m(path[i - 1], *p);
        }
        along.push(acc);
    }
    for c in data.road_cues {
        let Some(pos) = crate::core::along::point_at_chainage(path, &along, c.at_m) else {
            continue;
        };
        rows.push(CueRow {
            wpt: Waypoint {
                pos,
                name: Some(c.text()),
                ..Waypoint::default()
            },
            along_m: c.at_m,
            off_route_m: 0.0,
            since_fuel_m: None,
            page_ref: atlas.locate(pos),
            road: Some(c.clone()),
        });
    }
    // Route order; at one place the road cue first (it is where the driver turns).
    rows.sort_by(|a, b| {
        a.along_m
            .total_cmp(&b.along_m)
            .then(b.road.is_some().cmp(&a.road.is_some()))
    });
    let mut last_fuel: Option<f64> = None;
    for r in &mut rows {
        r.since_fuel_m = last_fuel.map(|f| r.along_m - f);
        if r.road.is_none() && r.wpt.kind == WaypointKind::Fuel {
            last_fuel = Some(r.along_m);
        }
    }
    rows
}

/// Builds the cue sheet: the rows of [`cue_sheet_rows`], as many pages as needed. Empty when
/// nothing is along the route.
pub fn build_cue_sheet_scenes(
    atlas: &Atlas,
    data: &SceneData<'_>,
    opts: &SceneOptions,
) -> Vec<Scene> {
    let rows = cue_sheet_rows(atlas, data, opts);
    if rows.is_empty() {
        return Vec::new();
    }
    let spec = &atlas.spec;
    let paper = spec.paper_size_mm(crate::core::atlas::PageOrientation::Portrait);
    let m = spec.margins_mm();
    let line_h = theme::TABLE.size_pt * theme::MM_PER_PT * 1.9;
    let body_top = m + 20.0;
    let per_page = (((paper.1 - m - body_top - 4.0) / line_h).floor() as usize).max(1);
    // Column x positions, mm from the left margin; widths follow the content.
    let width = paper.0 - 2.0 * m;
    let cols: [(&str, f64); 10] = [
        ("#", 0.0),
        ("", 6.0),
        ("Name", 11.0),
        ("Kind", 0.25 * width),
        ("Along km", 0.25 * width + 19.0),
        ("Along mi", 0.25 * width + 33.0),
        ("Fuel+ km", 0.25 * width + 47.0),
        ("Coordinates", 0.25 * width + 61.0),
        ("Page", width - 20.0),
        ("Grid", width - 9.0),
    ];
    let col_x = |i: usize| m + cols.get(i).map_or(0.0, |c| c.1);
    let first_page = atlas.last_map_page() + 1;
    let n_pages = rows.len().div_ceil(per_page);
    let mut out = Vec::new();
    for (pi, chunk) in rows.chunks(per_page).enumerate() {
        let mut scene = Scene::new(paper);
        let number = first_page + pi as u32;
        scene.page_number = Some(number);
        scene.items.push(Item::Label(label(
            format!("{}: cue sheet ({} of {})", data.route_name, pi + 1, n_pages),
            [m, m + 5.0],
            Anchor::BASELINE_LEFT,
            theme::TITLE,
        )));
        scene.items.push(Item::Label(label(
            format!("Page {number}"),
            [paper.0 - m, m + 5.0],
            Anchor {
                h: HAlign::Right,
                v: VAlign::Baseline,
            },
            theme::PAGE_NUMBER,
        )));
        let note = format!(
            "Road changes and waypoints within {:.1} km of the route, in route order. Coordinates {} ({:?}). Fuel+ = distance since the previous fuel.",
            opts.corridor_m / 1000.0,
            opts.datum.label(),
            opts.coord_format
        );
        scene.items.push(Item::Label(label(
            note,
            [m, m + 10.0],
            Anchor::BASELINE_LEFT,
            theme::SMALL,
        )));
        for (i, (title, _)) in cols.iter().enumerate() {
            scene.items.push(Item::Label(label(
                *title,
                [col_x(i), body_top - 2.0],
                Anchor::BASELINE_LEFT,
                theme::TABLE_HEAD,
            )));
        }
        scene.items.push(Item::Polyline {
            points: vec![[m, body_top - 0.8], [paper.0 - m, body_top - 0.8]],
            stroke: theme::RULE,
        });
        for (ri, row) in chunk.iter().enumerate() {
            let y = body_top + (ri as f64 + 0.75) * line_h;
            let idx = pi * per_page + ri + 1;
            let name = row.wpt.name.clone().unwrap_or_default();
            // A road cue's words run over the kind column: it has no kind.
            let name_end = if row.road.is_some() { 4 } else { 3 };
            let cells = [
                idx.to_string(),
                String::new(),
                fit_text(&name, &theme::TABLE, col_x(name_end) - col_x(2) - 1.5),
                if row.road.is_some() {
                    String::new()
                } else {
                    row.wpt.kind.as_str().to_string()
                },
                format!("{:.1}", row.along_m / 1000.0),
                format!("{:.1}", row.along_m / 1000.0 / KM_PER_MI),
                row.since_fuel_m
                    .map_or("-".into(), |d| format!("{:.1}", d / 1000.0)),
                fit_text(
                    &coords::format(row.wpt.pos, opts.coord_format, opts.datum),
                    &theme::TABLE,
                    col_x(8) - col_x(7) - 1.5,
                ),
                row.page_ref
                    .as_ref()
                    .map_or("-".into(), |(p, _)| p.to_string()),
                row.page_ref.as_ref().map_or("-".into(), |(_, c)| c.clone()),
            ];
            for (ci, text) in cells.into_iter().enumerate() {
                if !text.is_empty() {
                    scene.items.push(Item::Label(label(
                        text,
                        [col_x(ci), y],
                        Anchor::BASELINE_LEFT,
                        theme::TABLE,
                    )));
                }
            }
            if row.road.is_none() {
                scene.items.push(Item::Marker {
                    at: [col_x(1) + 1.5, y - 1.0],
                    kind: row.wpt.kind,
                    size_mm: 2.4,
                });
            } else {
                // A turn arrow's place: a short bar in the road's surface colour.
                let c = row
                    .road
                    .as_ref()
                    .map_or(crate::core::roadbook::SurfaceClass::Unknown, |r| r.surface);
                scene.items.push(Item::Polyline {
                    points: vec![[col_x(1), y - 1.0], [col_x(1) + 3.5, y - 1.0]],
                    stroke: Stroke {
                        color: theme::surface_color(c),
                        width_mm: 1.2,
                        dash_mm: None,
                    },
                });
            }
            scene.items.push(Item::Polyline {
                points: vec![[m, y + line_h * 0.35], [paper.0 - m, y + line_h * 0.35]],
                stroke: theme::RULE,
            });
        }
        out.push(scene);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_the_inside_part() {
        let r = RectMm {
            x: 0.0,
            y: 0.0,
            w: 10.0,
            h: 10.0,
        };
        assert_eq!(
            clip_segment([-5.0, 5.0], [5.0, 5.0], &r),
            Some(([0.0, 5.0], [5.0, 5.0]))
        );
        assert_eq!(clip_segment([-5.0, -5.0], [-1.0, 20.0], &r), None);
    }

    #[test]
    fn simplify_drops_collinear_points() {
        let pts: Vec<[f64; 2]> = (0..100).map(|i| [f64::from(i), 0.0]).collect();
        assert_eq!(simplify(&pts, 0.1), vec![[0.0, 0.0], [99.0, 0.0]]);
        let bent = vec![[0.0, 0.0], [5.0, 3.0], [10.0, 0.0]];
        assert_eq!(simplify(&bent, 0.1), bent);
    }

    #[test]
    fn angle_labels() {
        assert_eq!(angle_label(44.5, 'N', 'S'), "44°30'N");
        assert_eq!(angle_label(-121.0, 'E', 'W'), "121°W");
        assert_eq!(angle_label(-180.0, 'E', 'W'), "180°");
        assert_eq!(angle_label(0.0, 'N', 'S'), "0°");
    }

    #[test]
    fn graticule_steps_are_round() {
        assert_eq!(graticule_step_deg(0.3), 5.0 / 60.0);
        assert_eq!(graticule_step_deg(2.0), 0.5);
    }
}
