//! The map: allocates the central area, reports its size, builds the view scene from the model,
//! paints it with `render::egui` (over the basemap tiles the app holds, if any), and turns
//! drags, wheel and double-clicks into commands.

use eframe::egui;

use crate::app::{Command, Model};
use crate::render::egui::{ScreenMap, paint};
use crate::render::tiles::paint_basemap;

/// Screen points per scene millimetre: makes the paper sizes (6.5 pt labels, 3.2 mm symbols)
/// comfortable on screen.
pub const SCREEN_PT_PER_MM: f32 = 5.0;
/// Zoom per wheel point.
const WHEEL_ZOOM_PER_PT: f64 = 0.004;
/// Zoom step of the + and − buttons and keys.
pub const ZOOM_STEP: f64 = 1.5;
/// How far an arrow key pans, window mm.
pub const KEY_PAN_MM: f64 = 20.0;

/// Draws the map and handles its input; returns the map's rect.
///
/// Touch: one finger drags (egui turns it into a pointer drag), two fingers pinch-zoom about
/// their centre and pan with it. In the driving layout nothing depends on hovering (no
/// cursor coordinates).
pub fn map_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) -> egui::Rect {
    let (rect, response) =
        ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Image, true, "Map"));
    let size_mm = (
        f64::from(rect.width() / SCREEN_PT_PER_MM),
        f64::from(rect.height() / SCREEN_PT_PER_MM),
    );
    if (size_mm.0 - model.view.size_mm.0).abs() > 0.01
        || (size_mm.1 - model.view.size_mm.1).abs() > 0.01
    {
        cmds.push(Command::ResizeView(size_mm));
    }
    let map = ScreenMap {
        origin: rect.min,
        px_per_mm: SCREEN_PT_PER_MM,
        night: model.night,
    };
    let painter = ui.painter_at(rect);
    // The basemap's tiles (textures the app already holds) go under the scene.
    if !model.basemap.tiles.is_empty() {
        paint_basemap(
            &model.basemap.tiles,
            &model.view.projector(),
            &map,
            &painter,
        );
    }
    paint(&model.view_scene(), &map, &painter);
    let multi = ui
        .input(|i| i.multi_touch())
        .filter(|t| rect.contains(t.center_pos));
    if !model.driving()
        && multi.is_none()
        && let Some(p) = response.hover_pos()
    {
        // Cursor coordinates in the chosen format and datum, bottom-right.
        let at = model.view.projector().world_from_mm(map.mm_from_screen(p));
        let text = crate::core::coords::format(at, model.prefs.coord_format, model.prefs.datum);
        let font = egui::FontId::proportional(13.0);
        let galley = painter.layout_no_wrap(text, font, map.color(crate::scene::theme::INK));
        let pos = rect.right_bottom() - galley.size() - egui::vec2(8.0, 8.0);
        painter.rect_filled(
            egui::Rect::from_min_size(pos, galley.size()).expand(4.0),
            3.0,
            map.color(crate::scene::theme::PAPER).gamma_multiply(0.85),
        );
        painter.galley(pos, galley, egui::Color32::PLACEHOLDER);
    }

    if let Some(t) = multi {
        // A pinch: zoom about the fingers' centre and follow their common movement.
        let d = t.translation_delta;
        if d != egui::Vec2::ZERO {
            cmds.push(Command::Pan([
                f64::from(d.x / SCREEN_PT_PER_MM),
                f64::from(d.y / SCREEN_PT_PER_MM),
            ]));
        }
        if (t.zoom_delta - 1.0).abs() > 1e-4 {
            cmds.push(Command::Zoom {
                factor: f64::from(t.zoom_delta),
                at_mm: Some(map.mm_from_screen(t.center_pos)),
            });
        }
    } else if response.dragged() {
        let d = response.drag_delta();
        if d != egui::Vec2::ZERO {
            cmds.push(Command::Pan([
                f64::from(d.x / SCREEN_PT_PER_MM),
                f64::from(d.y / SCREEN_PT_PER_MM),
            ]));
        }
    }
    if response.hovered() && multi.is_none() {
        let (scroll, zoom, pointer) = ui.input(|i| {
            (
                i.smooth_scroll_delta().y,
                i.zoom_delta(),
                i.pointer.hover_pos(),
            )
        });
        let factor = f64::from(zoom) * (f64::from(scroll) * WHEEL_ZOOM_PER_PT).exp();
        if (factor - 1.0).abs() > 1e-6 {
            cmds.push(Command::Zoom {
                factor,
                at_mm: pointer.map(|p| map.mm_from_screen(p)),
            });
        }
    }
    if response.clicked()
        && let Some(p) = response.interact_pointer_pos()
    {
        // A waypoint's symbol shows its details; anywhere else picks the point to measure
        // nearest from.
        let at_mm = map.mm_from_screen(p);
        match waypoint_at(model, at_mm) {
            Some(id) => cmds.push(Command::Highlight(Some(id))),
            None => {
                cmds.push(Command::Highlight(None));
                cmds.push(Command::Pick(Some(
                    model.view.projector().world_from_mm(at_mm),
                )));
            }
        }
    }
    if response.double_clicked() {
        cmds.push(Command::Zoom {
            factor: 2.0,
            at_mm: response
                .interact_pointer_pos()
                .map(|p| map.mm_from_screen(p)),
        });
    }
    rect
}

/// The shown waypoint whose symbol is under `at_mm` (window mm), if any.
fn waypoint_at(model: &Model, at_mm: [f64; 2]) -> Option<crate::core::model::WaypointId> {
    let pr = model.view.projector();
    let reach_mm = crate::scene::theme::SYMBOL_MM;
    model
        .waypoints
        .iter()
        .filter(|w| model.prefs.shows(w.wpt.kind))
        .map(|w| {
            let q = pr.mm_from_world(w.wpt.pos);
            (w.id, (q[0] - at_mm[0]).hypot(q[1] - at_mm[1]))
        })
        .filter(|(_, d)| *d <= reach_mm)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id)
}
