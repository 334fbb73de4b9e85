//! The map layers: OpenStreetMap features (and, in [`terrain`], the elevation model) drawn
//! into a [`Scene`] for one frame, by the same code for an atlas page (`scene::build`) and
//! the screen (`scene::view`). One module per layer, named as on the import side
//! (`core::map`): [`land`], [`water`], [`roads`], [`places`], [`pois`], and [`terrain`].
//!
//!
//! A layer never decides what a feature is (the import's rule table did, `core::map::rules`)
//! nor when it shows (`max_scale`, decided at import); it filters on those and draws with the
//! theme's map style. Geometry goes into the scene at once, under the route; labels come back
//! as [`MapLabels`], candidates placed after the route's own waypoint labels, in the order
//! places, road refs and names, water, peaks, contour values, never overlapping anything
//! placed before ([`MapLabels::place`]).
//!
//! Not for queries (the caller hands in a `MapData` for the frame) nor for backends.

pub mod land;
pub mod places;
pub mod pois;
pub mod roads;
pub mod terrain;

pub mod water;

use std::collections::{BTreeSet, HashMap};

use crate::core::atlas::{Page, RectMm};
use crate::core::map::{AreaKind, MapData};
use crate::core::model::{BBox, LatLon};

use super::build::{Runs, simplify};
use super::view::ViewProjector;
use super::{Item, Label, Scene, overlaps, turned_bounds};

/// Ground to frame millimetres: an atlas page or the screen view.
pub trait Projection {
    /// Frame mm (origin top-left, y down) of a ground point.
    fn mm_from_world(&self, p: LatLon) -> [f64; 2];
    /// The ground point at frame mm `q`.
    fn world_from_mm(&self, q: [f64; 2]) -> LatLon;
}

impl Projection for Page {
    fn mm_from_world(&self, p: LatLon) -> [f64; 2] {
        self.paper_mm_from_world(p)
    }
    fn world_from_mm(&self, q: [f64; 2]) -> LatLon {
        self.world_from_paper_mm(q)
    }
}

impl Projection for ViewProjector {
    fn mm_from_world(&self, p: LatLon) -> [f64; 2] {
        ViewProjector::mm_from_world(self, p)
    }
    fn world_from_mm(&self, q: [f64; 2]) -> LatLon {
        ViewProjector::world_from_mm(self, q)
    }
}

/// Which map layers to draw (the display prefs' layer switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MapLayers {
    /// Roads and tracks.
    pub roads: bool,
    /// Rivers, streams, lakes.
    pub water: bool,
    /// Woods, farmland, towns' land.
    pub land: bool,
    /// National forests, parks, BLM land: tint, edge and name.
    pub public_land: bool,
    /// Towns and villages.
    pub places: bool,
    /// Fuel, camps, water, peaks, gates from the map.
    pub pois: bool,
    /// Contour lines.
    pub contours: bool,
    /// Shaded relief.
    pub hillshade: bool,
}

impl Default for MapLayers {
    fn default() -> Self {
        Self {
            roads: true,
            water: true,
            land: true,
            public_land: true,
            places: true,
            pois: true,
            contours: true,
            hillshade: true,
        }
    }
}

/// One frame to draw the map into.
pub struct MapFrame<'a> {
    /// Ground to frame mm.
    pub proj: &'a dyn Projection,
    /// The ground the frame shows (features outside are skipped before projecting).
    pub window: BBox,
    /// Geometry is clipped to this, mm.
    pub clip: RectMm,
    /// Labels stay inside this, mm.
    pub bounds: RectMm,
    /// Scale denominator (100,000 for 1:100,000): features with a smaller `max_scale` are
    /// left out, and lines thin at small scales.
    pub scale_denom: f64,
    /// Elevations in feet (else metres).
    pub imperial: bool,
    /// Lines are simplified to this, mm.
    pub simplify_mm: f64,
    /// Hillshade raster pixels per elevation model cell: 2 on paper (printed sharp), 1 on
    /// screen (the texture is filtered, and a frame that builds must stay cheap).
    pub raster_px_per_cell: f64,
}

impl MapFrame<'_> {
    /// True when a feature drawn down to `max_scale` shows at this frame's scale.
    pub fn shows(&self, max_scale: u32) -> bool {
        f64::from(max_scale) >= self.scale_denom
    }

    /// A line as frame-mm polylines clipped to [`MapFrame::clip`] and simplified.
    pub fn lines(&self, line: &[LatLon]) -> Vec<Vec<[f64; 2]>> {
        if !BBox::of(line.iter().copied()).intersects(&self.window) {
            return Vec::new();
        }
        let mut runs = Runs::default();
        let mut prev: Option<[f64; 2]> = None;
        for p in line {
            let q = self.proj.mm_from_world(*p);
            if let Some(a) = prev {
                runs.segment(a, q, &self.clip);
            }
            prev = Some(q);
        }
        runs.finish(self.simplify_mm)
    }

    /// A closed ring in frame mm, clipped to [`MapFrame::clip`] (Sutherland-Hodgman: the
    /// clip is a rectangle, so every ring stays one ring) and simplified; `None` when nothing
    /// of it is inside.
    pub fn ring(&self, ring: &[LatLon]) -> Option<Vec<[f64; 2]>> {
        let pts: Vec<[f64; 2]> = ring.iter().map(|p| self.proj.mm_from_world(*p)).collect();
        let clipped = clip_ring(&pts, &self.clip);
        if clipped.len() < 3 {
            return None;
        }
        let simple = simplify(&clipped, self.simplify_mm);
        (simple.len() >= 3).then_some(simple)
    }
}

/// Sutherland-Hodgman clipping of a closed ring to a rectangle.
pub(crate) fn clip_ring(ring: &[[f64; 2]], r: &RectMm) -> Vec<[f64; 2]> {
    let mut out: Vec<[f64; 2]> = ring.to_vec();
    // Left, right, top, bottom: (axis, limit, keep-greater).
    let edges = [
        (0usize, r.x, true),
        (0, r.right(), false),
        (1, r.y, true),
        (1, r.bottom(), false),
    ];
    for (axis, limit, greater) in edges {
        if out.is_empty() {
            break;
        }
        let inside = |p: &[f64; 2]| {
            if greater {
                p[axis] >= limit
            } else {
                p[axis] <= limit
            }
        };
        let cut = |a: &[f64; 2], b: &[f64; 2]| {
            let t = (limit - a[axis]) / (b[axis] - a[axis]);
            let mut q = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
            q[axis] = limit;
            q
        };
        let input = std::mem::take(&mut out);
        let Some(mut prev) = input.last().copied() else {
            break;
        };
        for cur in input {
            match (inside(&prev), inside(&cur)) {
                (true, true) => out.push(cur),
                (true, false) => out.push(cut(&prev, &cur)),
                (false, true) => {
                    out.push(cut(&prev, &cur));
                    out.push(cur);
                }
                (false, false) => {}
            }
            prev = cur;
        }
    }
    out
}

/// Fills a `w` × `h` RGBA raster over `rect` (frame mm, `ppm` pixels per mm) by asking
/// `pixel` for each pixel's colour at its source position, where `source` turns a ground point
/// into the source's own coordinates (a DEM's column and row, Web-Mercator world x and y).
/// Exact positions are projected every `grid_px` pixels and interpolated between: the
/// projection is smooth at frame size, and a per-pixel inverse would cost seconds a page.
/// `None` when no pixel was coloured. Shared by the hillshade and the printed basemap.
pub fn resample_frame(
    proj: &dyn Projection,
    rect: &RectMm,
    ppm: f64,
    (w, h): (usize, usize),
    grid_px: usize,
    source: impl Fn(LatLon) -> (f64, f64),
    mut pixel: impl FnMut(f64, f64) -> Option<[u8; 4]>,
) -> Option<Vec<u8>> {
    let grid_px = grid_px.max(1);
    let gw = w / grid_px + 2;
    let gh = h / grid_px + 2;
    let mut pos = Vec::with_capacity(gw * gh);
    for gy in 0..gh {
        for gx in 0..gw {
            let q = [
                rect.x + (gx * grid_px) as f64 / ppm,
                rect.y + (gy * grid_px) as f64 / ppm,
            ];
            pos.push(source(proj.world_from_mm(q)));
        }
    }
    let at = |x: usize, y: usize| pos.get(y * gw + x).copied();
    let mut rgba = vec![0u8; w * h * 4];
    let mut any = false;
    for y in 0..h {
        let (gy, ty) = (y / grid_px, (y % grid_px) as f64 / grid_px as f64);
        for x in 0..w {
            let (gx, tx) = (x / grid_px, (x % grid_px) as f64 / grid_px as f64);
            let (Some(a), Some(b), Some(c), Some(d)) = (
                at(gx, gy),
                at(gx + 1, gy),
                at(gx, gy + 1),
                at(gx + 1, gy + 1),
            ) else {
                continue;
            };
            let lerp = |p: f64, q: f64, t: f64| p + (q - p) * t;
            let u = lerp(lerp(a.0, b.0, tx), lerp(c.0, d.0, tx), ty);
            let v = lerp(lerp(a.1, b.1, tx), lerp(c.1, d.1, tx), ty);
            if let Some(px) = pixel(u, v) {
                let i = (y * w + x) * 4;
                if let Some(out) = rgba.get_mut(i..i + 4) {
                    out.copy_from_slice(&px);
                    any = true;
                }
            }
        }
    }
    any.then_some(rgba)
}

/// Label priority, drawn from the order: places first, contour values last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LabelRank {
    /// Towns and villages.
    Place,
    /// Road refs (`NF 2310`) and names.
    Road,
    /// Lakes and rivers, public land names.
    Water,
    /// Peaks with their elevation.
    Peak,
    /// Contour values on index lines.
    Contour,
}

/// One label to place: the first of its options that fits is taken.
#[derive(Debug, Clone)]
pub struct LabelCandidate {
    /// Which pass it belongs to.
    pub rank: LabelRank,
    /// Within a pass, lower goes first (a city before a village, a long road first).
    pub order: f64,
    /// Alternative placements, each a group of items drawn together (text, and a dot's
    /// name beside it).
    pub options: Vec<Vec<Item>>,
}

/// The labels a map frame wants, placed after the route's own.
#[derive(Debug, Clone, Default)]
pub struct MapLabels {
    /// Unordered; [`MapLabels::place`] sorts.
    pub candidates: Vec<LabelCandidate>,
}

/// The box an item's text covers.
pub(crate) fn footprint(item: &Item) -> Option<RectMm> {
    match item {
        Item::Label(l) => Some(pad(l.bounds(), 0.3)),
        Item::TurnedLabel { label, angle_deg } => Some(pad(turned_bounds(label, *angle_deg), 0.2)),
        _ => None,
    }
}

fn pad(r: RectMm, by: f64) -> RectMm {
    RectMm {
        x: r.x - by,
        y: r.y - by,
        w: r.w + 2.0 * by,
        h: r.h + 2.0 * by,
    }
}

/// Rectangles in a uniform grid, so testing a label against thousands placed is cheap.
struct Occupancy {
    cell_mm: f64,
    cells: HashMap<(i64, i64), Vec<usize>>,
    rects: Vec<RectMm>,
}

impl Occupancy {
    fn new(cell_mm: f64) -> Self {
        Self {
            cell_mm,
            cells: HashMap::new(),
            rects: Vec::new(),
        }
    }

    fn span(&self, r: &RectMm) -> (i64, i64, i64, i64) {
        let c = |v: f64| (v / self.cell_mm).floor() as i64;
        (c(r.x), c(r.y), c(r.right()), c(r.bottom()))
    }

    fn insert(&mut self, r: RectMm) {
        let i = self.rects.len();
        self.rects.push(r);
        let (x0, y0, x1, y1) = self.span(&r);
        // A huge rectangle (the whole frame) is not worth indexing cell by cell.
        if (x1 - x0 + 1) * (y1 - y0 + 1) > 10_000 {
            return;
        }
        for cx in x0..=x1 {
            for cy in y0..=y1 {
                self.cells.entry((cx, cy)).or_default().push(i);
            }
        }
    }

    fn hits(&self, r: &RectMm) -> bool {
        let (x0, y0, x1, y1) = self.span(r);
        for cx in x0..=x1 {
            for cy in y0..=y1 {
                if let Some(ids) = self.cells.get(&(cx, cy))
                    && ids
                        .iter()
                        .any(|&i| self.rects.get(i).is_some_and(|t| overlaps(r, t)))
                {
                    return true;
                }
            }
        }
        false
    }
}

impl MapLabels {
    /// Adds a candidate.
    pub fn push(&mut self, rank: LabelRank, order: f64, options: Vec<Vec<Item>>) {
        if !options.is_empty() {
            self.candidates.push(LabelCandidate {
                rank,
                order,
                options,
            });
        }
    }

    /// Places the candidates in rank order inside `bounds`, each where it overlaps nothing in
    /// `taken` nor any label placed before it; `taken` grows by what was placed. Returns the
    /// items to draw (labels and the things that go with them).
    pub fn place(mut self, bounds: &RectMm, taken: &mut Vec<RectMm>) -> Vec<Item> {
        self.candidates.sort_by(|a, b| {
            a.rank.cmp(&b.rank).then(
                a.order
                    .partial_cmp(&b.order)
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
        });
        let mut occ = Occupancy::new(8.0);
        for r in taken.iter() {
            occ.insert(*r);
        }
        let mut out = Vec::new();
        for cand in self.candidates {
            for option in cand.options {
                let rects: Vec<RectMm> = option.iter().filter_map(footprint).collect();
                let inside = rects.iter().all(|r| {
                    r.x >= bounds.x
                        && r.y >= bounds.y
                        && r.right() <= bounds.right()
                        && r.bottom() <= bounds.bottom()
                });
                if rects.is_empty() || !inside || rects.iter().any(|r| occ.hits(r)) {
                    continue;
                }
                for r in rects {
                    occ.insert(r);
                    taken.push(r);
                }
                out.extend(option);
                break;
            }
        }
        out
    }
}

/// A symbol that appeared on a frame, for the page's legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LegendEntry {
    /// A paved road of a class (the most important drawn stands for all).
    PavedRoad,
    /// Gravel roads.
    Gravel,
    /// Dirt roads.
    Dirt,
    /// Tracks (any grade).
    Track,
    /// 4x4 roads.
    FourWd,
    /// A minor road of unknown surface.
    UnknownSurface,
    /// Paths (not drivable).
    Path,
    /// Rivers and streams.
    Water,
    /// Woods.
    Wood,
    /// Public land.
    PublicLand,
    /// Contours.
    Contours,
    /// Peaks.
    Peak,
}

/// A legend swatch (items whose geometry the legend replaces: a line's stroke, an area's
/// fill) and its text, at the frame's scale.
pub fn legend_swatch(entry: LegendEntry, scale_denom: f64) -> (Vec<Item>, &'static str) {
    use crate::core::map::{RoadClass, Surface};
    let line = |stroke| Item::Polyline {
        points: Vec::new(),
        stroke,
    };
    let road = |class, surface, grade, four, drivable| {
        let s = super::theme::road_style(class, surface, grade, four, drivable, scale_denom);
        s.casing.into_iter().chain([s.line]).map(line).collect()
    };
    let area = |fill| {
        vec![Item::Area {
            polygons: Vec::new(),
            fill,
        }]
    };
    match entry {
        LegendEntry::PavedRoad => (
            road(RoadClass::Secondary, Surface::Paved, None, false, true),
            "Paved",
        ),
        LegendEntry::Gravel => (
            road(RoadClass::Minor, Surface::Gravel, None, false, true),
            "Gravel",
        ),
        LegendEntry::Dirt => (
            road(RoadClass::Minor, Surface::Dirt, None, false, true),
            "Dirt",
        ),
        LegendEntry::Track => (
            road(RoadClass::Track, Surface::Unknown, Some(3), false, true),
            "Track",
        ),
        LegendEntry::FourWd => (
            road(RoadClass::Track, Surface::Dirt, None, true, true),
            "4x4 only",
        ),
        LegendEntry::UnknownSurface => (
            road(RoadClass::Minor, Surface::Unknown, None, false, true),
            "Surface unknown",
        ),
        LegendEntry::Path => (
            road(RoadClass::Path, Surface::Unknown, None, false, false),
            "Path (no vehicles)",
        ),
        LegendEntry::Water => (area(super::theme::WATER_FILL), "Water"),
        LegendEntry::Wood => (area(super::theme::area_fill(AreaKind::Wood, None)), "Woods"),
        LegendEntry::PublicLand => (
            vec![
                Item::Area {
                    polygons: Vec::new(),
                    fill: super::theme::public_land_fill(None),
                },
                line(super::theme::PUBLIC_LAND_EDGE),
            ],
            "Public land",
        ),
        LegendEntry::Contours => (vec![line(super::theme::CONTOUR_INDEX)], "Contours"),
        LegendEntry::Peak => (
            vec![Item::Polygon {
                points: pois::peak_triangle([0.0, 0.0]),
                fill: Some(super::theme::PEAK),
                stroke: None,
            }],
            "Peak",
        ),
    }
}

/// What the map drew on a frame: the label candidates and the legend's entries.
#[derive(Debug, Default)]
pub struct DrawnMap {
    /// Labels to place after the route's own.
    pub labels: MapLabels,
    /// Symbols that appeared.
    pub legend: BTreeSet<LegendEntry>,
    /// Where POI markers went, for labels to avoid.
    pub markers: Vec<RectMm>,
}

/// Draws every switched-on layer of `map` into `scene` (under whatever comes next) in map
/// order: land, water areas, water lines, roads, places, POIs. Terrain (hillshade, contours)
/// is drawn by [`terrain`] between land and water lines by the caller, which has the model.
pub fn draw_map(
    frame: &MapFrame<'_>,
    map: &MapData,
    layers: &MapLayers,
    scene: &mut Scene,
    drawn: &mut DrawnMap,
) {
    if layers.land || layers.public_land {
        land::draw(frame, map, layers, scene, drawn);
    }
    if layers.water {
        water::draw_areas(frame, map, scene, drawn);
    }
}

/// The layers drawn over terrain: water lines, roads, places, POIs.
pub fn draw_map_over_terrain(
    frame: &MapFrame<'_>,
    map: &MapData,
    layers: &MapLayers,
    gpx: &[&crate::core::model::Waypoint],
    scene: &mut Scene,
    drawn: &mut DrawnMap,
) {
    if layers.water {
        water::draw_lines(frame, map, scene, drawn);
    }
    if layers.roads {
        roads::draw(frame, map, scene, drawn);
    }
    if layers.places {
        places::draw(frame, map, scene, drawn);
    }
    if layers.pois {
        pois::draw(frame, map, gpx, scene, drawn);
    }
}

/// The attribution line every map carries.
pub fn attribution(has_map: bool, elevation_source: Option<&str>) -> Option<String> {
    let mut parts = Vec::new();
    if has_map {
        parts.push("Map data © OpenStreetMap contributors (ODbL)".to_string());
    }
    if let Some(src) = elevation_source {
        parts.push(format!("Elevation: {src}"));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// Public land and parks are labelled by name, with the agency when known.
pub(crate) fn area_label_text(
    name: Option<&str>,
    kind: AreaKind,
    operator: Option<&str>,
) -> Option<String> {
    let name = name?.trim();
    if name.is_empty() {
        return None;
    }
    let agency = operator.and_then(agency_short);
    Some(match (kind.is_public_land(), agency) {
        (true, Some(a)) if !name.contains(a) => format!("{name} ({a})"),
        _ => name.to_string(),
    })
}

/// Short names of the agencies whose land one may camp on.
fn agency_short(operator: &str) -> Option<&'static str> {
    let op = operator.to_ascii_lowercase();
    if op.contains("forest service") || op == "usfs" {
        Some("USFS")
    } else if op.contains("bureau of land management") || op == "blm" {
        Some("BLM")
    } else if op.contains("national park service") || op == "nps" {
        Some("NPS")
    } else if op.contains("fish and wildlife") {
        Some("USFWS")
    } else {
        None
    }
}

/// Points along a polyline where a label `len_mm` long fits on a nearly straight stretch:
/// (centre, angle in degrees within -90..=90), one every `every_mm` at most, the first
/// `start_mm` in.
pub(crate) fn along_line(
    run: &[[f64; 2]],
    len_mm: f64,
    start_mm: f64,
    every_mm: f64,
) -> Vec<([f64; 2], f64)> {
    // Cumulative length.
    let mut cum = Vec::with_capacity(run.len());
    let mut total = 0.0;
    cum.push(0.0);
    for w in run.windows(2) {
        if let [a, b] = w {
            total += ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
        }
        cum.push(total);
    }
    let at = |s: f64| -> Option<[f64; 2]> {
        let i = cum.partition_point(|&c| c < s).max(1);
        let (a, b) = (run.get(i - 1)?, run.get(i)?);
        let (ca, cb) = (*cum.get(i - 1)?, *cum.get(i)?);
        let t = if cb > ca { (s - ca) / (cb - ca) } else { 0.0 };
        Some([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])])
    };
    let mut out = Vec::new();
    if total < len_mm * 1.2 {
        return out;
    }
    let mut s = start_mm.max(len_mm / 2.0 + 0.5).min(total / 2.0);
    while s + len_mm / 2.0 <= total {
        let (Some(p0), Some(p1)) = (at(s - len_mm / 2.0), at(s + len_mm / 2.0)) else {
            break;
        };
        // Straight enough: every vertex between the ends within 0.6 mm of the chord.
        let (dx, dy) = (p1[0] - p0[0], p1[1] - p0[1]);
        let chord = (dx * dx + dy * dy).sqrt();
        let straight = chord > len_mm * 0.9
            && run
                .iter()
                .zip(&cum)
                .filter(|(_, c)| **c > s - len_mm / 2.0 && **c < s + len_mm / 2.0)
                .all(|(p, _)| ((p[0] - p0[0]) * dy - (p[1] - p0[1]) * dx).abs() / chord < 0.6);
        if straight {
            let mut angle = dy.atan2(dx).to_degrees();
            if angle > 90.0 {
                angle -= 180.0;
            } else if angle < -90.0 {
                angle += 180.0;
            }
            out.push(([(p0[0] + p1[0]) / 2.0, (p0[1] + p1[1]) / 2.0], angle));
            s += every_mm;
        } else {
            s += len_mm / 3.0;
        }
    }
    out
}

/// A label centred on `at` turned by `angle_deg`, with a halo.
pub(crate) fn turned(text: &str, at: [f64; 2], angle_deg: f64, style: super::TextStyle) -> Item {
    Item::TurnedLabel {
        label: Label {
            text: text.to_string(),
            at,
            anchor: super::Anchor {
                h: super::HAlign::Center,
                v: super::VAlign::Middle,
            },
            style,
            halo: true,
        },
        angle_deg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: f64, y: f64, w: f64, h: f64) -> RectMm {
        RectMm { x, y, w, h }
    }

    #[test]
    fn clip_ring_keeps_the_inside_of_a_square() {
        let ring = [[-5.0, -5.0], [5.0, -5.0], [5.0, 5.0], [-5.0, 5.0]];
        let out = clip_ring(&ring, &rect(0.0, 0.0, 10.0, 10.0));
        let area: f64 = out
            .iter()
            .zip(out.iter().cycle().skip(1))
            .map(|(a, b)| a[0] * b[1] - b[0] * a[1])
            .sum::<f64>()
            .abs()
            / 2.0;
        assert!((area - 25.0).abs() < 1e-9, "{out:?}");
    }

    #[test]
    fn clip_ring_outside_is_empty() {
        let ring = [[20.0, 20.0], [30.0, 20.0], [30.0, 30.0]];
        assert!(clip_ring(&ring, &rect(0.0, 0.0, 10.0, 10.0)).is_empty());
    }

    #[test]
    fn along_line_finds_straight_stretches_and_reads_upright() {
        // A line drawn right to left still gives upright text.
        let run = [[100.0, 10.0], [0.0, 10.0]];
        let spots = along_line(&run, 20.0, 10.0, 40.0);
        assert!(spots.len() >= 2, "{spots:?}");
        for (p, a) in spots {
            assert!((p[1] - 10.0).abs() < 1e-9);
            assert!(a.abs() < 1e-9, "angle {a}");
        }
        // A zig-zag tighter than the label has no spot.
        let zig: Vec<[f64; 2]> = (0..40)
            .map(|i| [f64::from(i), if i % 2 == 0 { 0.0 } else { 3.0 }])
            .collect();
        assert!(along_line(&zig, 10.0, 5.0, 20.0).is_empty());
    }

    #[test]
    fn labels_are_placed_by_rank_and_never_overlap() {
        let mut labels = MapLabels::default();
        let at = [50.0, 50.0];
        let road = turned("NF 2310", at, 0.0, crate::scene::theme::ROAD_REF);
        let place = turned(
            "Sisters",
            at,
            0.0,
            crate::scene::theme::place_label(crate::core::map::PlaceKind::Town),
        );
        labels.push(LabelRank::Road, 0.0, vec![vec![road]]);
        labels.push(LabelRank::Place, 0.0, vec![vec![place]]);
        let mut taken = Vec::new();
        let items = labels.place(&rect(0.0, 0.0, 100.0, 100.0), &mut taken);
        // The place wins the spot; the road label overlapping it is dropped.
        assert_eq!(items.len(), 1);
        assert!(matches!(&items[0], Item::TurnedLabel { label, .. } if label.text == "Sisters"));
        assert_eq!(taken.len(), 1);
    }

    #[test]
    fn attribution_names_osm_and_the_elevation_source() {
        assert_eq!(attribution(false, None), None);
        let a = attribution(true, Some("SRTM 3″")).unwrap_or_default();
        assert!(
            a.contains("© OpenStreetMap contributors") && a.contains("SRTM"),
            "{a}"
        );
    }
}
