//! Scene → egui shapes: the screen backend of the display list.
//!
//! Maps scene millimetres to screen points with a [`ScreenMap`] and draws with epaint shapes;
//! never decides layout (see `scene::view`). The PDF backend ([`super::pdf`]) draws the same
//! scenes on paper.

use eframe::egui::{self, Color32, Pos2, Rect, Shape, Stroke as EStroke, epaint::PathShape};

use crate::scene::{Item, Label, Scene, Stroke, theme};

/// Smallest text drawn, screen points; smaller labels would be unreadable.
const MIN_TEXT_PT: f32 = 5.0;
/// Thinnest line drawn, screen points, so hairlines stay visible.
const MIN_LINE_PT: f32 = 0.7;

/// Where a scene goes on screen: its top-left corner and the zoom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScreenMap {
    /// Screen position of the scene's (0, 0) mm.
    pub origin: Pos2,
    /// Screen points per scene millimetre.
    pub px_per_mm: f32,
    /// Draw in the night palette.
    pub night: bool,
}

impl ScreenMap {
    /// Screen position of a scene point.
    pub fn screen_from_mm(&self, p: [f64; 2]) -> Pos2 {
        Pos2::new(
            self.origin.x + p[0] as f32 * self.px_per_mm,
            self.origin.y + p[1] as f32 * self.px_per_mm,
        )
    }

    /// A scene colour as drawn (the night palette when on).
    pub fn color(&self, c: crate::scene::Color) -> Color32 {
        color32(if self.night { theme::night(c) } else { c })
    }

    /// Scene point under a screen position.
    pub fn mm_from_screen(&self, p: Pos2) -> [f64; 2] {
        [
            f64::from((p.x - self.origin.x) / self.px_per_mm),
            f64::from((p.y - self.origin.y) / self.px_per_mm),
        ]
    }
}

fn color32(c: crate::scene::Color) -> Color32 {
    Color32::from_rgb(c.r, c.g, c.b)
}

fn stroke(s: &Stroke, m: &ScreenMap) -> EStroke {
    EStroke::new(
        (s.width_mm as f32 * m.px_per_mm).max(MIN_LINE_PT),
        m.color(s.color),
    )
}

/// Paints `scene` with `painter` (clip it to the map's rectangle first).
pub fn paint(scene: &Scene, map: &ScreenMap, painter: &egui::Painter) {
    let mut out = Vec::with_capacity(scene.items.len());
    for item in &scene.items {
        for prim in item.expand_marker() {
            push_item(&prim, map, painter, &mut out);
        }
    }
    painter.extend(out);
}

fn push_item(item: &Item, m: &ScreenMap, painter: &egui::Painter, out: &mut Vec<Shape>) {
    match item {
        Item::Polyline { points, stroke: s } => {
            let pts: Vec<Pos2> = points.iter().map(|p| m.screen_from_mm(*p)).collect();
            match s.dash_mm {
                Some((dash, gap)) => out.extend(Shape::dashed_line(
                    &pts,
                    stroke(s, m),
                    dash as f32 * m.px_per_mm,
                    gap as f32 * m.px_per_mm,
                )),
                None => out.push(Shape::line(pts, stroke(s, m))),
            }
        }
        Item::Polygon {
            points,
            fill,
            stroke: s,
        } => {
            let pts: Vec<Pos2> = points.iter().map(|p| m.screen_from_mm(*p)).collect();
            match (fill, s) {
                // A dashed outline (the accuracy circle) is drawn as dashes, closed.
                (None, Some(st)) if st.dash_mm.is_some() => {
                    let mut closed = pts;
                    if let Some(first) = closed.first().copied() {
                        closed.push(first);
                    }
                    let (dash, gap) = st.dash_mm.unwrap_or_default();
                    out.extend(Shape::dashed_line(
                        &closed,
                        stroke(st, m),
                        dash as f32 * m.px_per_mm,
                        gap as f32 * m.px_per_mm,
                    ));
                }
                _ => {
                    let st = s.as_ref().map(|s| stroke(s, m)).unwrap_or(EStroke::NONE);
                    let f = fill.map(|c| m.color(c)).unwrap_or(Color32::TRANSPARENT);
                    out.push(Shape::Path(PathShape::convex_polygon(pts, f, st)));
                }
            }
        }
        Item::Rect {
            rect,
            fill,
            stroke: s,
        } => {
            let r = Rect::from_min_max(
                m.screen_from_mm([rect.x, rect.y]),
                m.screen_from_mm([rect.x + rect.w, rect.y + rect.h]),
            );
            if let Some(f) = fill {
                out.push(Shape::rect_filled(r, 0.0, m.color(*f)));
            }
            if let Some(s) = s {
                out.push(Shape::rect_stroke(
                    r,
                    0.0,
                    stroke(s, m),
                    egui::StrokeKind::Middle,
                ));
            }
        }
        // Markers were expanded into polygons and labels by the caller.
        Item::Marker { .. } => {}
        Item::Label(l) => push_label(l, m, painter, out),
    }
}

fn push_label(l: &Label, m: &ScreenMap, painter: &egui::Painter, out: &mut Vec<Shape>) {
    let size_px = (l.style.size_pt * theme::MM_PER_PT) as f32 * m.px_per_mm;
    if size_px < MIN_TEXT_PT {
        return;
    }
    let galley = painter.layout_no_wrap(
        l.text.clone(),
        egui::FontId::proportional(size_px),
        m.color(l.style.color),
    );
    // The scene measured the text with the paper font; centre egui's galley on that box so a
    // slightly different screen font still sits where layout put it.
    let b = l.bounds();
    let min = m.screen_from_mm([b.x, b.y]);
    let max = m.screen_from_mm([b.right(), b.bottom()]);
    let laid = Rect::from_min_max(min, max);
    let size = galley.size();
    let left = match l.anchor.h {
        crate::scene::HAlign::Left => laid.left(),
        crate::scene::HAlign::Center => laid.center().x - size.x / 2.0,
        crate::scene::HAlign::Right => laid.right() - size.x,
    };
    let pos = Pos2::new(left, laid.center().y - size.y / 2.0);
    if l.halo {
        out.push(Shape::rect_filled(
            Rect::from_min_size(pos, size).expand(1.0),
            2.0,
            m.color(theme::PAPER).gamma_multiply(0.85),
        ));
    }
    out.push(Shape::galley(pos, galley, m.color(l.style.color)));
}
