//! Scene → egui shapes: the screen backend of the display list.
//!
//! Maps scene millimetres to screen points with a [`ScreenMap`] and draws with epaint shapes;
//! never decides layout (see `scene::view`). The PDF backend ([`super::pdf`]) draws the same
//! scenes on paper.
//!
//! Waypoint markers are the kind's icon (`render::icons`) rasterised at the marker's size in
//! physical pixels and kept as a texture in the egui context's memory, one per (kind, size,
//! palette): a frame uploads nothing once its icons are made.

use std::collections::HashMap;

use eframe::egui::{self, Color32, Pos2, Rect, Shape, Stroke as EStroke, epaint::PathShape};

use crate::core::model::WaypointKind;
use crate::render::icons;
use crate::scene::{Item, Label, Reused, Scene, Stroke, theme};

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

/// Icon textures by (kind, side in physical pixels, night palette), kept in the context's
/// temporary memory; `None` remembers an icon that failed, so it is not tried every frame.
#[derive(Clone, Default)]
struct IconTextures(HashMap<(WaypointKind, u32, bool), Option<egui::TextureHandle>>);

/// Icon textures kept at most; past this the cache starts again (zooming the atlas book
/// through many sizes would otherwise keep them all).
const ICON_TEXTURES_MAX: usize = 256;

fn icon_textures_id() -> egui::Id {
    egui::Id::unique("trailatlas::render::egui::IconTextures")
}

/// The texture of `kind`'s icon, `px` physical pixels square (clamped to
/// 1..=[`icons::MAX_RASTER_PX`]), made on first use and kept in `ctx`'s memory. `None` when
/// the icon cannot be drawn (callers fall back to the plain symbol).
pub fn icon_texture(
    ctx: &egui::Context,
    kind: WaypointKind,
    px: u32,
    night_palette: bool,
) -> Option<egui::TextureHandle> {
    let px = px.clamp(1, icons::MAX_RASTER_PX);
    let key = (kind, px, night_palette);
    let id = icon_textures_id();
    if let Some(known) = ctx.data_mut(|d| {
        d.get_temp_mut_or_default::<IconTextures>(id)
            .0
            .get(&key)
            .cloned()
    }) {
        return known;
    }
    // Made outside `data_mut`: loading a texture takes the context's lock too.
    let made = icons::rasterize(kind, px, night_palette)
        .ok()
        .filter(|r| r.rgba_premultiplied.len() == (px as usize) * (px as usize) * 4)
        .map(|r| {
            let image =
                egui::ColorImage::from_rgba_premultiplied([px as usize; 2], &r.rgba_premultiplied);
            let night = if night_palette { "-night" } else { "" };
            ctx.load_texture(
                format!("icon-{kind}-{px}{night}"),
                image,
                egui::TextureOptions::LINEAR,
            )
        });
    ctx.data_mut(|d| {
        let cache = d.get_temp_mut_or_default::<IconTextures>(id);
        if cache.0.len() >= ICON_TEXTURES_MAX {
            cache.0.clear();
        }
        cache.0.insert(key, made.clone());
    });
    made
}

/// Physical pixels for an icon `side_pt` screen points square.
fn icon_px(side_pt: f32, pixels_per_point: f32) -> u32 {
    (side_pt * pixels_per_point).round().max(1.0) as u32
}

/// `texture` (an icon `px` physical pixels square) as a square of `side_pt` points centred on
/// `center`; drawn texel for pixel, on the pixel grid, unless the raster was capped.
fn icon_shape(
    texture: egui::TextureId,
    center: Pos2,
    side_pt: f32,
    px: u32,
    pixels_per_point: f32,
) -> Shape {
    let ppp = pixels_per_point.max(0.01);
    let side = if px < icons::MAX_RASTER_PX {
        px as f32 / ppp
    } else {
        side_pt
    };
    let min = center - egui::vec2(side, side) / 2.0;
    let min = Pos2::new((min.x * ppp).round() / ppp, (min.y * ppp).round() / ppp);
    let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
    Shape::image(
        texture,
        Rect::from_min_size(min, egui::vec2(side, side)),
        uv,
        Color32::WHITE,
    )
}

/// Paints `kind`'s icon filling `rect` (a square, e.g. a swatch in a panel); false when the
/// icon cannot be drawn, so the caller can draw something else.
pub fn paint_icon(
    painter: &egui::Painter,
    kind: WaypointKind,
    rect: Rect,
    night_palette: bool,
) -> bool {
    let ppp = painter.ctx().pixels_per_point();
    let side = rect.width().min(rect.height());
    let px = icon_px(side, ppp);
    let Some(tex) = icon_texture(painter.ctx(), kind, px, night_palette) else {
        return false;
    };
    painter.add(icon_shape(tex.id(), rect.center(), side, px, ppp));
    true
}

/// Paints `scene` with `painter` (clip it to the map's rectangle first). The scene's
/// [`Scene::reused`] items (the map layer while the view pans) are drawn from their
/// triangles as tessellated on the frame they first appeared, moved: re-tessellating tens
/// of thousands of roads, dashes and earcut areas every frame is most of a frame's cost at a
/// state-wide zoom.
pub fn paint(scene: &Scene, map: &ScreenMap, painter: &egui::Painter) {
    let ppp = painter.ctx().pixels_per_point();
    let mut textures = Textures::new();
    let mut out = Vec::with_capacity(scene.items.len());
    let reused = scene
        .reused
        .as_ref()
        .filter(|r| r.range.end <= scene.items.len() && !r.range.is_empty());
    let mut i = 0;
    while let Some(item) = scene.items.get(i) {
        if let Some(r) = reused
            && i == r.range.start
        {
            out.extend(kept_layer(&scene.items[r.range.clone()], r, map, painter));
            i = r.range.end;
            continue;
        }
        push_any(item, map, painter, ppp, &mut textures, &mut out);
        i += 1;
    }
    painter.extend(out);
}

/// Textures of the icons a scene uses, looked up once per (kind, pixels).
type Textures = HashMap<(WaypointKind, u32), Option<egui::TextureId>>;

/// Pushes the shapes of one item, markers as their icons.
fn push_any(
    item: &Item,
    map: &ScreenMap,
    painter: &egui::Painter,
    ppp: f32,
    textures: &mut Textures,
    out: &mut Vec<Shape>,
) {
    let Item::Marker { at, kind, size_mm } = item else {
        push_item(item, map, painter, out);
        return;
    };
    let side = *size_mm as f32 * map.px_per_mm;
    let px = icon_px(side, ppp);
    let texture = *textures
        .entry((*kind, px))
        .or_insert_with(|| icon_texture(painter.ctx(), *kind, px, map.night).map(|t| t.id()));
    match texture {
        Some(t) if side > 0.0 => {
            out.push(icon_shape(t, map.screen_from_mm(*at), side, px, ppp));
        }
        _ => {
            for prim in item.expand_marker() {
                push_item(&prim, map, painter, out);
            }
        }
    }
}

/// The kept tessellation of a map layer: built on the first frame that draws the layer (at
/// that frame's offset and origin), moved on the next ones.
#[derive(Clone)]
struct KeptLayer {
    id: u64,
    px_per_mm: f32,
    night: bool,
    ppp: f32,
    options: egui::epaint::TessellationOptions,
    origin: Pos2,
    offset_mm: [f64; 2],
    /// In drawing order: untextured runs as one mesh each, textured shapes (icons, the
    /// hillshade) between them as they were.
    parts: std::sync::Arc<Vec<Shape>>,
}

/// The kept tessellations, a few layers' worth: the one on screen, and the next one
/// (tessellated off the UI thread by [`keep_layer`]) before frames switch to it.
type KeptLayers = std::sync::Arc<std::sync::Mutex<Vec<KeptLayer>>>;

/// How many layers' tessellations are kept.
const KEPT_LAYERS: usize = 3;

fn kept_layers(ctx: &egui::Context) -> KeptLayers {
    let key = egui::Id::unique("trailatlas::render::egui::KeptLayers");
    ctx.data_mut(|d| d.get_temp_mut_or_default::<KeptLayers>(key).clone())
}

/// Tessellates `items` (a map layer's geometry, in its own mm, drawn at `px_per_mm` in the
/// day or night palette) and keeps the triangles under `id` for [`paint`], which then only
/// moves them: for the thread that builds layers, so the first frame that shows one does
/// not tessellate it either.
pub fn keep_layer(ctx: &egui::Context, id: u64, items: &[Item], px_per_mm: f32, night: bool) {
    let painter = egui::Painter::new(ctx.clone(), egui::LayerId::background(), Rect::EVERYTHING);
    let map = ScreenMap {
        origin: Pos2::ZERO,
        px_per_mm,
        night,
    };
    let k = tessellate_layer(items, id, [0.0, 0.0], &map, &painter);
    let kept = kept_layers(ctx);
    if let Ok(mut v) = kept.lock() {
        v.retain(|o| o.id != id);
        v.push(k);
        let over = v.len().saturating_sub(KEPT_LAYERS);
        v.drain(..over);
    }
}

/// A layer's shapes tessellated into [`KeptLayer`] parts.
fn tessellate_layer(
    items: &[Item],
    id: u64,
    offset_mm: [f64; 2],
    map: &ScreenMap,
    painter: &egui::Painter,
) -> KeptLayer {
    let ctx = painter.ctx();
    let ppp = ctx.pixels_per_point();
    let options = ctx.tessellation_options(|o| *o);
    let mut textures = Textures::new();
    let mut shapes = Vec::with_capacity(items.len());
    for item in items {
        push_any(item, map, painter, ppp, &mut textures, &mut shapes);
    }
    KeptLayer {
        id,
        px_per_mm: map.px_per_mm,
        night: map.night,
        ppp,
        options,
        origin: map.origin,
        offset_mm,
        parts: std::sync::Arc::new(tessellate_runs(shapes, ppp, options)),
    }
}

/// The shapes of the reused `items` (the run `r` of the scene), from the kept tessellation
/// when it is the same layer at the same zoom and palette, else tessellated now and kept.
fn kept_layer(items: &[Item], r: &Reused, map: &ScreenMap, painter: &egui::Painter) -> Vec<Shape> {
    let ctx = painter.ctx();
    let ppp = ctx.pixels_per_point();
    let options = ctx.tessellation_options(|o| *o);
    let all = kept_layers(ctx);
    let found = all.lock().ok().and_then(|v| {
        v.iter()
            .find(|k| {
                k.id == r.id
                    && k.px_per_mm == map.px_per_mm
                    && k.night == map.night
                    && k.ppp == ppp
                    && k.options == options
            })
            .cloned()
    });
    let kept = match found {
        Some(k) => k,
        // A zoom's stand-in of a layer not kept: drawn from its items (it lasts a frame or
        // two, and keeping it would evict the layer on screen).
        None if r.scale != 1.0 => {
            let mut textures = Textures::new();
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                push_any(item, map, painter, ppp, &mut textures, &mut out);
            }
            return out;
        }
        None => {
            let k = tessellate_layer(items, r.id, r.offset_mm, map, painter);
            if let Ok(mut v) = all.lock() {
                v.retain(|o| o.id != r.id);
                v.push(k.clone());
                let over = v.len().saturating_sub(KEPT_LAYERS);
                v.drain(..over);
            }
            k
        }
    };
    // Kept screen point q = O₁ + (c + off₁)·px for canvas mm c; wanted O₂ + (c·s + d)·px,
    // which is s·q + O₂ − s·O₁ + (d − s·off₁)·px.
    let s = r.scale as f32;
    let px = map.px_per_mm;
    let delta = (map.origin.to_vec2() - kept.origin.to_vec2() * s)
        + egui::vec2(
            (r.offset_mm[0] as f32 - s * kept.offset_mm[0] as f32) * px,
            (r.offset_mm[1] as f32 - s * kept.offset_mm[1] as f32) * px,
        );
    kept.parts
        .iter()
        .map(|shape| {
            let mut shape = shape.clone();
            if s != 1.0 {
                // Strokes thicken with the zoom: a stand-in for a frame or two.
                shape.transform(egui::emath::TSTransform::new(delta, s));
            } else if delta != egui::Vec2::ZERO {
                shape.translate(delta);
            }
            shape
        })
        .collect()
}

/// `shapes` with every run of untextured ones tessellated into one mesh (as egui would
/// tessellate them, without culling: the kept layer is drawn again elsewhere in the window).
fn tessellate_runs(
    shapes: Vec<Shape>,
    ppp: f32,
    options: egui::epaint::TessellationOptions,
) -> Vec<Shape> {
    let mut tess = egui::epaint::Tessellator::new(ppp, options, [1, 1], Vec::new());
    let mut parts = Vec::new();
    let mut mesh = egui::Mesh::default();
    let textured = |s: &Shape| match s {
        Shape::Mesh(m) => m.texture_id != egui::TextureId::default(),
        Shape::Rect(r) => r.brush.is_some(),
        Shape::Text(_) | Shape::Callback(_) | Shape::Vec(_) => true,
        _ => false,
    };
    for s in shapes {
        if textured(&s) {
            if !mesh.is_empty() {
                parts.push(Shape::mesh(std::mem::take(&mut mesh)));
            }
            parts.push(s);
        } else {
            tess.tessellate_shape(s, &mut mesh);
        }
    }
    if !mesh.is_empty() {
        parts.push(Shape::mesh(mesh));
    }
    parts
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
        // Markers were drawn as icons, or expanded into polygons and labels, by the caller.
        Item::Marker { .. } => {}
        Item::Label(l) => push_label(l, m, painter, out, 0.0),
        Item::TurnedLabel { label, angle_deg } => {
            push_label(label, m, painter, out, *angle_deg as f32);
        }
        Item::Area { polygons, fill } => {
            let color = m.color(*fill);
            for poly in polygons {
                if let Some(mesh) = area_mesh(poly, m, color) {
                    out.push(Shape::mesh(mesh));
                }
            }
        }
        Item::Image { rect, raster } => {
            if let Some(tex) = raster_texture(painter.ctx(), raster) {
                let r = Rect::from_min_max(
                    m.screen_from_mm([rect.x, rect.y]),
                    m.screen_from_mm([rect.right(), rect.bottom()]),
                );
                let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
                out.push(Shape::image(tex.id(), r, uv, Color32::WHITE));
            }
        }
    }
}

/// One polygon (outer ring, then holes) as triangles, by earcut: epaint fills only convex
/// paths, and lakes and forests are anything but.
fn area_mesh(rings: &[Vec<[f64; 2]>], m: &ScreenMap, color: Color32) -> Option<egui::Mesh> {
    use geo::TriangulateEarcut as _;
    let ring = |r: &Vec<[f64; 2]>| {
        geo::LineString::from(
            r.iter()
                .map(|p| {
                    let q = m.screen_from_mm(*p);
                    (f64::from(q.x), f64::from(q.y))
                })
                .collect::<Vec<_>>(),
        )
    };
    // geo's earcut asserts closed rings of at least four points: give it only rings with
    // three distinct corners or more (a hole clipped to a sliver is dropped).
    let usable = |r: &&Vec<[f64; 2]>| {
        let open = match (r.first(), r.last()) {
            (Some(a), Some(b)) if r.len() > 1 && a == b => r.len() - 1,
            _ => r.len(),
        };
        open >= 3
    };
    let (outer, holes) = rings.split_first()?;
    if !usable(&outer) {
        return None;
    }
    let poly = geo::Polygon::new(ring(outer), holes.iter().filter(usable).map(ring).collect());
    let raw = poly.earcut_triangles_raw();
    let mut mesh = egui::Mesh::default();
    for xy in &raw.vertices {
        mesh.colored_vertex(Pos2::new(xy[0] as f32, xy[1] as f32), color);
    }
    for t in raw.triangle_indices.chunks_exact(3) {
        mesh.add_triangle(t[0] as u32, t[1] as u32, t[2] as u32);
    }
    (!mesh.indices.is_empty()).then_some(mesh)
}

/// Raster textures by [`crate::scene::Raster::key`], kept in the context's memory.
#[derive(Clone, Default)]
struct RasterTextures(HashMap<u64, egui::TextureHandle>);

/// Raster textures kept at most (hillshade tiles, basemap pieces); past this the cache starts
/// again.
const RASTER_TEXTURES_MAX: usize = 128;

fn raster_texture(
    ctx: &egui::Context,
    raster: &crate::scene::Raster,
) -> Option<egui::TextureHandle> {
    let id = egui::Id::unique("trailatlas::render::egui::RasterTextures");
    if let Some(t) = ctx.data_mut(|d| {
        d.get_temp_mut_or_default::<RasterTextures>(id)
            .0
            .get(&raster.key)
            .cloned()
    }) {
        return Some(t);
    }
    let size = [raster.width as usize, raster.height as usize];
    if raster.rgba.len() != size[0] * size[1] * 4 {
        return None;
    }
    let image = egui::ColorImage::from_rgba_unmultiplied(size, &raster.rgba);
    let tex = ctx.load_texture(
        format!("raster-{:016x}", raster.key),
        image,
        egui::TextureOptions::LINEAR,
    );
    ctx.data_mut(|d| {
        let cache = d.get_temp_mut_or_default::<RasterTextures>(id);
        if cache.0.len() >= RASTER_TEXTURES_MAX {
            cache.0.clear();
        }
        cache.0.insert(raster.key, tex.clone());
    });
    Some(tex)
}

fn push_label(
    l: &Label,
    m: &ScreenMap,
    painter: &egui::Painter,
    out: &mut Vec<Shape>,
    angle_deg: f32,
) {
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
    if angle_deg != 0.0 {
        // egui turns text about the galley's top-left corner; turn that corner about the
        // anchor so the text turns about the anchor, as on paper.
        let anchor = m.screen_from_mm(l.at);
        let a = angle_deg.to_radians();
        let (s, c) = a.sin_cos();
        let d = pos - anchor;
        let turned = anchor + egui::vec2(d.x * c - d.y * s, d.x * s + d.y * c);
        if l.halo {
            // A halo under turned text: the same text drawn thick in the paper colour would
            // need a stroke font; a few offset copies read the same at map sizes.
            let halo = m.color(theme::PAPER).gamma_multiply(0.85);
            for off in [[-0.8, 0.0], [0.8, 0.0], [0.0, -0.8], [0.0, 0.8]] {
                let shadow = painter.layout_no_wrap(
                    l.text.clone(),
                    egui::FontId::proportional(size_px),
                    halo,
                );
                out.push(Shape::Text(
                    egui::epaint::TextShape::new(turned + egui::vec2(off[0], off[1]), shadow, halo)
                        .with_angle(a),
                ));
            }
        }
        out.push(Shape::Text(
            egui::epaint::TextShape::new(turned, galley, m.color(l.style.color)).with_angle(a),
        ));
        return;
    }
    if l.halo {
        out.push(Shape::rect_filled(
            Rect::from_min_size(pos, size).expand(1.0),
            2.0,
            m.color(theme::PAPER).gamma_multiply(0.85),
        ));
    }
    out.push(Shape::galley(pos, galley, m.color(l.style.color)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Color;

    /// A dashed road, a convex polygon and a concave area (earcut).
    fn layer_items() -> Vec<Item> {
        let stroke = Stroke {
            color: Color::rgb(120, 80, 20),
            width_mm: 0.4,
            dash_mm: Some((1.5, 0.8)),
        };
        vec![
            Item::Polyline {
                points: vec![[1.0, 1.0], [30.0, 12.0], [55.0, 4.0]],
                stroke,
            },
            Item::Polygon {
                points: vec![[5.0, 20.0], [15.0, 20.0], [10.0, 28.0]],
                fill: Some(Color::rgb(30, 90, 200)),
                stroke: None,
            },
            Item::Area {
                polygons: vec![vec![vec![
                    [20.0, 20.0],
                    [40.0, 20.0],
                    [40.0, 40.0],
                    [30.0, 30.0],
                    [20.0, 40.0],
                    [20.0, 20.0],
                ]]],
                fill: Color::rgb(60, 140, 60),
            },
        ]
    }

    fn positions(shapes: &[Shape]) -> Vec<Pos2> {
        shapes
            .iter()
            .flat_map(|s| match s {
                Shape::Mesh(m) => m.vertices.iter().map(|v| v.pos).collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    #[test]
    fn a_kept_layer_moved_draws_the_triangles_its_moved_items_would_and_is_not_tessellated_again() {
        let ctx = egui::Context::default();
        let map = ScreenMap {
            origin: Pos2::new(10.0, 20.0),
            px_per_mm: 3.0,
            night: false,
        };
        let items = layer_items();
        let mut out = ctx.run_ui(egui::RawInput::default(), |ui| {
            let painter = ui.painter().clone();
            let ppp = ui.ctx().pixels_per_point();
            let options = ui.ctx().tessellation_options(|o| *o);
            let r = Reused {
                id: 7,
                range: 0..items.len(),
                offset_mm: [0.0, 0.0],
                scale: 1.0,
            };
            let first = kept_layer(&items, &r, &map, &painter);
            assert!(!positions(&first).is_empty());
            // The layer panned by (2, -1) mm: the kept triangles moved, as the moved items
            // tessellated afresh.
            let moved: Vec<Item> = items.iter().map(|i| i.translated([2.0, -1.0])).collect();
            let r2 = Reused {
                offset_mm: [2.0, -1.0],
                ..r.clone()
            };
            let kept = kept_layer(&moved, &r2, &map, &painter);
            let mut direct = Vec::new();
            let mut textures = Textures::new();
            for i in &moved {
                push_any(i, &map, &painter, ppp, &mut textures, &mut direct);
            }
            let direct = tessellate_runs(direct, ppp, options);
            let (a, b) = (positions(&kept), positions(&direct));
            assert_eq!(a.len(), b.len());
            for (p, q) in a.iter().zip(&b) {
                assert!((*p - *q).length() < 1e-3, "{p:?} != {q:?}");
            }
            // The same layer again (same id): drawn from what was kept, whatever the items.
            let again = kept_layer(&moved[..1], &r2, &map, &painter);
            assert_eq!(positions(&again).len(), a.len(), "not tessellated again");
            // Another layer: tessellated anew.
            let other = Reused { id: 8, ..r2 };
            let fresh = kept_layer(&moved[..1], &other, &map, &painter);
            assert!(positions(&fresh).len() < a.len());
            // A zoom's stand-in (scaled twice and moved): the kept triangles transformed lie
            // where the scaled items would be drawn (to within the thickened strokes).
            let scaled: Vec<Item> = items
                .iter()
                .map(|i| i.transformed(2.0, [3.0, 4.0]))
                .collect();
            let stand = Reused {
                offset_mm: [3.0, 4.0],
                scale: 2.0,
                ..r.clone()
            };
            let bounds = |v: &[Pos2]| Rect::from_points(v);
            let got = bounds(&positions(&kept_layer(&scaled, &stand, &map, &painter)));
            let mut direct = Vec::new();
            for i in &scaled {
                push_any(i, &map, &painter, ppp, &mut textures, &mut direct);
            }
            let want = bounds(&positions(&tessellate_runs(direct, ppp, options)));
            assert!(
                (got.min - want.min).length() < 3.0 && (got.max - want.max).length() < 3.0,
                "{got:?} against {want:?}"
            );
            // Kept ahead (the layer worker's way): the frame only moves the triangles.
            keep_layer(ui.ctx(), 9, &items, map.px_per_mm, map.night);
            let ahead = Reused { id: 9, ..r.clone() };
            let drawn = kept_layer(&[], &ahead, &map, &painter);
            let want: Vec<Pos2> = positions(&first);
            let got = positions(&drawn);
            assert_eq!(got.len(), want.len(), "drawn from what was kept");
            for (p, q) in got.iter().zip(&want) {
                assert!((*p - *q).length() < 1e-3, "{p:?} != {q:?}");
            }
        });
        out.textures_delta.clear();
    }
}
