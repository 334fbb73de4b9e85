//! The driving layout: the map fills the window and a heads-up display floats over it in large
//! type (next change with distance and direction, road, speed and heading, atlas page and cell,
//! next fuel and campground, an off-route banner), with big touch buttons. Reads
//! [`Model::hud`]; nothing here is hover-only.
//!
//! Not for the values themselves (see `app::hud`, built on `core::guidance`).

use eframe::egui;

use crate::app::hud::Hud;
use crate::app::state::{compass, duration};
use crate::app::{Command, Layout, Model};
use crate::scene::{Color, theme};

use super::map_view::ZOOM_STEP;

/// The big figures (next change distance, speed), points.
pub const BIG_PT: f32 = 30.0;
/// The other heads-up text, points.
pub const TEXT_PT: f32 = 19.0;
/// The smallest touch target, points (9 mm at 96 dpi).
pub const TOUCH_PT: f32 = 48.0;
/// Space between the cards and the window's edge, points.
const MARGIN: f32 = 8.0;

fn c32(c: Color) -> egui::Color32 {
    egui::Color32::from_rgb(c.r, c.g, c.b)
}

/// The ids of the heads-up display's areas (tests measure what they cover).
pub const HUD_AREAS: [&str; 5] = [
    "hud_next",
    "hud_speed",
    "hud_stops",
    "hud_buttons",
    "hud_alarm",
];

fn card(model: &Model) -> egui::Frame {
    let fill = if model.night {
        theme::HUD_CARD_NIGHT
    } else {
        theme::HUD_CARD_DAY
    };
    egui::Frame::new()
        .fill(egui::Color32::from_rgba_unmultiplied(
            fill.r,
            fill.g,
            fill.b,
            theme::HUD_CARD_ALPHA,
        ))
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(12, 8))
}

fn text(s: impl Into<String>, pt: f32) -> egui::Label {
    // Wrapped, never truncated: a long name takes a second line instead of losing its end.
    egui::Label::new(egui::RichText::new(s).size(pt)).wrap()
}

fn strong(s: impl Into<String>, pt: f32) -> egui::Label {
    egui::Label::new(egui::RichText::new(s).size(pt).strong()).wrap()
}

fn warn(model: &Model, s: impl Into<String>, pt: f32) -> egui::Label {
    let c = if model.night {
        theme::NIGHT_TEXT_STRONG
    } else {
        theme::WARNING
    };
    egui::Label::new(egui::RichText::new(s).size(pt).strong().color(c32(c))).wrap()
}

/// The next change's lines: "2.3 mi NE", "CP B · Coll d'Ordino".
pub fn next_change_lines(model: &Model, hud: &Hud) -> Option<(String, String)> {
    let c = hud.next_change.as_ref()?;
    let dist = model.prefs.units.distance(c.distance_m);
    let first = match &c.turn {
        Some(t) => format!("{dist} {t}"),
        None => dist,
    };
    Some((first, c.onto.clone()))
}

/// "54 mph" / "E 078°".
pub fn speed_lines(model: &Model, hud: &Hud) -> (String, Option<String>) {
    let speed = hud
        .speed_mps
        .map_or_else(|| "— speed".to_string(), |v| model.prefs.units.speed(v));
    let heading = hud
        .course_deg
        .map(|c| format!("{} {:03.0}°", compass(c), c.rem_euclid(360.0)));
    (speed, heading)
}

/// "page 14, C3".
pub fn atlas_line(atlas_ref: Option<&(u32, String)>) -> String {
    match atlas_ref {
        Some((page, cell)) => format!("page {page}, {cell}"),
        None => "off the atlas pages".to_string(),
    }
}

/// "Fuel: Repsol · 4.2 mi · 6 min".
pub fn stop_line(model: &Model, what: &str, stop: &crate::app::hud::HudStop) -> String {
    let eta = stop
        .eta_s
        .map(|s| format!(" · {}", duration(s)))
        .unwrap_or_default();
    format!(
        "{what}: {} · {}{eta}",
        stop.name,
        model.prefs.units.distance(stop.distance_m)
    )
}

/// "OFF ROUTE 420 m · route is SW".
pub fn off_route_line(model: &Model, off: &crate::app::hud::OffRoute) -> String {
    format!(
        "OFF ROUTE {} · route is {}",
        model.prefs.units.distance(off.distance_m),
        compass(off.bearing_deg)
    )
}

/// Draws the heads-up display over `map_rect` and its buttons.
pub fn hud_ui(ui: &mut egui::Ui, model: &Model, map_rect: egui::Rect, cmds: &mut Vec<Command>) {
    let ctx = ui.ctx().clone();
    let w = map_rect.width();
    let hud = model.hud.clone().unwrap_or_default();
    let has_fix = model.gps.fix.is_some();

    // Top left: what comes next, and the road.
    let next_w = (w * 0.52).max(200.0);
    let next = egui::Area::new(egui::Id::unique(HUD_AREAS[0]))
        .order(egui::Order::Foreground)
        .fixed_pos(map_rect.min + egui::vec2(MARGIN, MARGIN))
        .show(&ctx, |ui| {
            card(model).show(ui, |ui| {
                ui.set_max_width(next_w);
                if !has_fix {
                    ui.add(strong("No GPS position", BIG_PT));
                    ui.add(text("open with --gps SOURCE", TEXT_PT));
                } else if let Some((first, onto)) = next_change_lines(model, &hud) {
                    ui.add(strong(first, BIG_PT));
                    ui.add(text(onto, TEXT_PT));
                } else if model.selected.is_none() {
                    ui.add(strong("No route followed", TEXT_PT));
                } else {
                    ui.add(strong("Nothing ahead", TEXT_PT));
                }
                if let Some(road) = &hud.road {
                    ui.add(text(format!("on {road}"), TEXT_PT));
                }
            });
        });

    // Top right: speed, heading and where on the paper.
    let speed = egui::Area::new(egui::Id::unique(HUD_AREAS[1]))
        .order(egui::Order::Foreground)
        .pivot(egui::Align2::RIGHT_TOP)
        .fixed_pos(map_rect.right_top() + egui::vec2(-MARGIN, MARGIN))
        .show(&ctx, |ui| {
            card(model).show(ui, |ui| {
                ui.set_max_width((w * 0.40).max(120.0));
                ui.vertical(|ui| {
                    let (v, heading) = speed_lines(model, &hud);
                    if has_fix {
                        ui.add(strong(v, BIG_PT));
                    }
                    if let Some(h) = heading {
                        ui.add(text(h, TEXT_PT));
                    }
                    let atlas = if has_fix {
                        hud.atlas_ref.as_ref()
                    } else {
                        model.atlas_ref.as_ref()
                    };
                    ui.add(strong(atlas_line(atlas), TEXT_PT));
                });
            });
        });

    // Bottom right: big buttons (the panels come back with one press, or `H`).
    let buttons = egui::Area::new(egui::Id::unique(HUD_AREAS[3]))
        .order(egui::Order::Foreground)
        .pivot(egui::Align2::RIGHT_BOTTOM)
        .fixed_pos(map_rect.right_bottom() + egui::vec2(-MARGIN, -MARGIN))
        .show(&ctx, |ui| {
            card(model)
                .inner_margin(egui::Margin::same(6))
                .show(ui, |ui| {
                    ui.horizontal(|ui| buttons_ui(ui, model, cmds));
                });
        });

    // Bottom left: the next fuel and campground.
    let stops_w = (w - buttons.response.rect.width() - 3.0 * MARGIN - 24.0).max(160.0);
    let stops = egui::Area::new(egui::Id::unique(HUD_AREAS[2]))
        .order(egui::Order::Foreground)
        .pivot(egui::Align2::LEFT_BOTTOM)
        .fixed_pos(map_rect.left_bottom() + egui::vec2(MARGIN, -MARGIN))
        .show(&ctx, |ui| {
            card(model).show(ui, |ui| {
                ui.set_max_width(stops_w);
                if !has_fix || model.guidance.is_none() {
                    ui.add(text("Fuel and camps: no position on a route", TEXT_PT));
                    return;
                }
                match &hud.fuel {
                    Some(f) if hud.fuel_beyond_range => {
                        ui.add(warn(
                            model,
                            format!("! {}", stop_line(model, "Fuel", f)),
                            TEXT_PT,
                        ));
                    }
                    Some(f) => {
                        ui.add(text(stop_line(model, "Fuel", f), TEXT_PT));
                    }
                    None => {
                        ui.add(warn(model, "No fuel ahead on this route", TEXT_PT));
                    }
                }
                if hud.fuel_beyond_range
                    && let Some(left) = hud.range_left_m
                {
                    ui.add(warn(
                        model,
                        format!(
                            "beyond your range: {} left",
                            model.prefs.units.distance(left.max(0.0))
                        ),
                        TEXT_PT,
                    ));
                }
                match &hud.camp {
                    Some(c) => ui.add(text(stop_line(model, "Camp", c), TEXT_PT)),
                    None => ui.add(text("Camp: none ahead", TEXT_PT)),
                };
            });
        });

    // Off route: a red banner across the middle, under the top cards, that cannot be missed.
    if let Some(off) = &hud.off_route {
        let top = next
            .response
            .rect
            .bottom()
            .max(speed.response.rect.bottom())
            + MARGIN;
        let alarm_w = w - 2.0 * MARGIN;
        let (fill, fg) = if model.night {
            (theme::HUD_ALARM_NIGHT, theme::HUD_ALARM_TEXT_NIGHT)
        } else {
            (theme::WARNING, theme::HUD_ALARM_TEXT_DAY)
        };
        egui::Area::new(egui::Id::unique(HUD_AREAS[4]))
            .order(egui::Order::Foreground)
            .fixed_pos(egui::pos2(map_rect.left() + MARGIN, top))
            .show(&ctx, |ui| {
                egui::Frame::new()
                    .fill(c32(fill))
                    .corner_radius(8.0)
                    .inner_margin(egui::Margin::symmetric(16, 10))
                    .show(ui, |ui| {
                        ui.set_width(alarm_w - 32.0);
                        ui.vertical_centered(|ui| {
                            ui.add(
                                egui::Label::new(
                                    egui::RichText::new(off_route_line(model, off))
                                        .size(BIG_PT)
                                        .strong()
                                        .color(c32(fg)),
                                )
                                .wrap(),
                            );
                        });
                    });
            });
    }
    let _ = stops;
}

fn big_button(ui: &mut egui::Ui, label: &str, selected: bool) -> egui::Response {
    ui.add(
        egui::Button::new(egui::RichText::new(label).size(TEXT_PT))
            .selected(selected)
            .min_size(egui::vec2(TOUCH_PT, TOUCH_PT)),
    )
}

/// Zoom, follow and the way back to the panels, each a finger-sized button with its name on
/// it (no tooltips: there is no hover on a touch screen). The theme is Auto or in the panels.
fn buttons_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    if big_button(ui, "−", false).clicked() {
        cmds.push(Command::Zoom {
            factor: 1.0 / ZOOM_STEP,
            at_mm: None,
        });
    }
    if big_button(ui, "+", false).clicked() {
        cmds.push(Command::Zoom {
            factor: ZOOM_STEP,
            at_mm: None,
        });
    }
    if model.gps.fix.is_some() && big_button(ui, "Follow", model.following()).clicked() {
        cmds.push(Command::SetFollow(!model.following()));
    }
    if big_button(ui, "Panels", false).clicked() {
        cmds.push(Command::SetLayout(Layout::Panels));
    }
}
