//! The screen view as a [`Scene`]: the map window of the app, built from the same items,
//! theme and label placement as the atlas pages, so screen and paper look alike.
//!
//! A [`ViewSpec`] says where the window looks (centre, scale, size, rotation for heading-up);
//! it projects with a local transverse Mercator on the view centre's meridian (true scale at
//! the centre, like an atlas page; not Web Mercator). [`build_view_scene`] is pure.
//!
//! Not for input handling or painting (see `ui::map_view` and `render::egui`).

use crate::core::atlas::RectMm;
use crate::core::model::{BBox, LatLon, Waypoint, WaypointKind};
use crate::core::projection::TransverseMercator;
use crate::core::units::M_PER_MILE as M_PER_MI;

use super::build::{
    Runs, SceneOptions, angle_label, graticule_step_deg, place_avoiding, scale_bar,
    waypoint_markers,
};
use super::{Anchor, HAlign, Item, Label, Scene, Stroke, VAlign, theme};

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

impl ViewProjector {
    fn new(v: &ViewSpec) -> Self {
        let tm = TransverseMercator::local(v.center.lon);
        let (x0_m, y0_m) = tm.forward(v.center);
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
        let (x, y) = self.tm.forward(p);
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

/// What to draw in the view.
#[derive(Debug, Clone, Copy, Default)]
pub struct ViewData<'a> {
    /// The selected route or track.
    pub route: &'a [LatLon],
    /// Stretches of the route to mark (fuel gaps longer than the range).
    pub warnings: &'a [Vec<LatLon>],
    /// Other tracks and routes, thin, for context.
    pub others: &'a [Vec<LatLon>],
    /// Where the GPS has been this session.
    pub breadcrumbs: &'a [LatLon],
    /// Waypoints to draw (already filtered by kind).
    pub waypoints: &'a [Waypoint],
    /// The GPS position.
    pub position: Option<ViewPosition>,
    /// The closest route point while off route (a line is drawn to it).
    pub back_to_route: Option<LatLon>,
    /// A waypoint to ring (picked in a list).
    pub highlighted: Option<LatLon>,
    /// Scale bar in miles (else kilometres).
    pub imperial: bool,
    /// A basemap is drawn under the view: no background fill and no graticule.
    pub basemap: bool,
}

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

/// A line as window-mm polylines clipped to `clip` and simplified. Chunks of the line whose box
/// misses the (grown) view are not projected, and points closer together than the drawing
/// tolerance are skipped, so the cost follows what is on screen, not the line's length.
fn view_lines(
    pr: &ViewProjector,
    line: &[LatLon],
    clip: &RectMm,
    cull: &Cull,
) -> Vec<Vec<[f64; 2]>> {
    let mut runs = Runs::default();
    let mut prev: Option<[f64; 2]> = None;
    let mut last: Option<LatLon> = None;
    let mut start = 0;
    while start < line.len() {
        let end = (start + CHUNK).min(line.len());
        // The chunk plus the point before it, so the joining segment counts.
        let from = start.saturating_sub(1);
        let chunk = line.get(from..end).unwrap_or(&[]);
        if !cull.sees(&BBox::of(chunk.iter().copied())) {
            prev = None;
            last = None;
            start = end;
            continue;
        }
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
        start = end;
    }
    runs.finish(SIMPLIFY_MM)
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
    let pr = spec.projector();
    let cull = Cull::new(spec);
    let (w, h) = spec.size_mm;
    let mut scene = Scene::new(spec.size_mm);
    let frame = RectMm {
        x: 0.0,
        y: 0.0,
        w,
        h,
    };
    // Lines are clipped a little outside the window so their ends do not show.
    let clip = RectMm {
        x: -5.0,
        y: -5.0,
        w: w + 10.0,
        h: h + 10.0,
    };
    // Without a basemap: the plain background and a graticule (labels placed last).
    let graticule_labels = if data.basemap {
        Vec::new()
    } else {
        scene.items.push(Item::Rect {
            rect: frame,
            fill: Some(theme::VIEW_BACKGROUND),
            stroke: None,
        });
        view_graticule(spec, &pr, &frame, &mut scene)
    };

    for other in data.others {
        push_lines(
            &mut scene,
            view_lines(&pr, other, &clip, &cull),
            theme::OTHER_TRACK,
        );
    }
    for warn in data.warnings {
        push_lines(
            &mut scene,
            view_lines(&pr, warn, &clip, &cull),
            theme::ROUTE_WARNING,
        );
    }
    let route_runs = view_lines(&pr, data.route, &clip, &cull);
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
    push_lines(&mut scene, route_runs, theme::ROUTE);
    push_lines(
        &mut scene,
        view_lines(&pr, data.breadcrumbs, &clip, &cull),
        theme::BREADCRUMB,
    );

    if let (Some(at), Some(pos)) = (data.back_to_route, data.position) {
        let (a, b) = (pr.mm_from_world(pos.pos), pr.mm_from_world(at));
        scene.items.push(Item::Polyline {
            points: vec![a, b],
            stroke: theme::BACK_TO_ROUTE,
        });
    }

    // Waypoints: checkpoints and fuel first, so they keep their labels when crowded.
    let inset = RectMm {
        x: theme::SYMBOL_MM / 2.0,
        y: theme::SYMBOL_MM / 2.0,
        w: w - theme::SYMBOL_MM,
        h: h - theme::SYMBOL_MM,
    };
    let mut on_view: Vec<(&Waypoint, [f64; 2])> = data
        .waypoints
        .iter()
        .map(|wp| (wp, pr.mm_from_world(wp.pos)))
        .filter(|(_, q)| inset.contains(*q))
        .collect();
    on_view.sort_by_key(|(wp, _)| {
        (
            wp.kind != WaypointKind::Checkpoint,
            wp.kind != WaypointKind::Fuel,
        )
    });
    if let Some(hl) = data.highlighted {
        let q = pr.mm_from_world(hl);
        scene.items.push(Item::Polygon {
            points: circle(q, theme::SYMBOL_MM * 0.95, 24),
            fill: None,
            stroke: Some(theme::HIGHLIGHT),
        });
    }
    let mut taken = Vec::new();
    let mut labels = if on_view.len() <= MAX_LABELLED {
        waypoint_markers(&on_view, &frame, &mut taken, &soft, opts, &mut scene)
    } else {
        // Too many to label: symbols only.
        scene
            .items
            .extend(on_view.iter().map(|(wp, q)| Item::Marker {
                at: *q,
                kind: wp.kind,
                size_mm: theme::SYMBOL_MM,
            }));
        Vec::new()
    };

    if let Some(p) = data.position {
        push_position(&mut scene, &pr, spec, &p);
    }

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
    scene.items.extend(labels.into_iter().map(Item::Label));
    scene
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
        assert!(
            (back[0] - q[0]).abs() < 1e-6 && (back[1] - q[1]).abs() < 1e-6,
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

    #[test]
    fn a_long_line_through_the_view_is_drawn_once_and_whole() {
        // 10 000 points west to east through the centre, most far outside the view.
        let line: Vec<LatLon> = (0..10_000)
            .map(|i| LatLon::new(44.0, -122.3 + f64::from(i) * 0.0002))
            .collect();
        let s = build_view_scene(
            &spec(),
            &ViewData {
                route: &line,
                ..Default::default()
            },
            &SceneOptions::default(),
        );
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
        let s = build_view_scene(
            &spec(),
            &ViewData {
                route: &line,
                ..Default::default()
            },
            &SceneOptions::default(),
        );
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
        let plain = build_view_scene(&spec(), &ViewData::default(), &SceneOptions::default());
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
                ..Default::default()
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
                    let s = build_view_scene(&v, &ViewData::default(), &SceneOptions::default());
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
        let s = build_view_scene(
            &spec(),
            &ViewData {
                route: &far,
                ..Default::default()
            },
            &SceneOptions::default(),
        );
        assert!(
            !s.items
                .iter()
                .any(|i| matches!(i, Item::Polyline { stroke, .. } if *stroke == theme::ROUTE))
        );
    }
}
