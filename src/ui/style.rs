//! Night theme and truck mode: egui's visuals and sizes.

use eframe::egui;

use crate::scene::{Color, theme};

fn c32(c: Color) -> egui::Color32 {
    egui::Color32::from_rgb(c.r, c.g, c.b)
}

/// Darker than egui's dark theme and red-shifted, with no white or grey field anywhere
/// (panels, dialogs, text fields, buttons, selections): dim red light keeps the driver's
/// night vision.
fn night_visuals(v: &mut egui::Visuals) {
    let text = c32(theme::NIGHT_TEXT);
    let strong = c32(theme::NIGHT_TEXT_STRONG);
    v.panel_fill = c32(theme::NIGHT_PANEL);
    v.window_fill = c32(theme::NIGHT_WINDOW);
    v.window_stroke = egui::Stroke::new(1.0, c32(theme::NIGHT_WIDGET[1]));
    v.extreme_bg_color = c32(theme::NIGHT_FIELD);
    v.faint_bg_color = c32(theme::NIGHT_PANEL);
    v.code_bg_color = c32(theme::NIGHT_FIELD);
    v.text_edit_bg_color = Some(c32(theme::NIGHT_FIELD));
    v.override_text_color = Some(text);
    v.hyperlink_color = strong;
    v.warn_fg_color = strong;
    v.error_fg_color = strong;
    v.selection.bg_fill = c32(theme::NIGHT_SELECTION);
    v.selection.stroke = egui::Stroke::new(1.0, strong);
    let [rest, hover, press] = theme::NIGHT_WIDGET;
    for (w, fill) in [
        (&mut v.widgets.noninteractive, theme::NIGHT_PANEL),
        (&mut v.widgets.inactive, rest),
        (&mut v.widgets.hovered, hover),
        (&mut v.widgets.active, press),
        (&mut v.widgets.open, hover),
    ] {
        w.bg_fill = c32(fill);
        w.weak_bg_fill = c32(fill);
        w.fg_stroke.color = text;
        w.bg_stroke.color = c32(hover);
    }
    v.widgets.noninteractive.bg_stroke.color = c32(theme::NIGHT_WIDGET[0]);
}

/// Zoom of the whole interface in truck mode.
pub const TRUCK_ZOOM: f32 = 1.45;
/// Smallest control size in truck mode, points (a gloved fingertip is about 9 mm).
const TRUCK_INTERACT: egui::Vec2 = egui::vec2(44.0, 34.0);

/// Applies the night theme (dark, dim) or the day theme, and truck mode (larger everything).
pub fn apply(ctx: &egui::Context, night: bool, truck: bool) {
    let mut visuals = if night {
        egui::Visuals::dark()
    } else {
        egui::Visuals::light()
    };
    if night {
        night_visuals(&mut visuals);
    }
    let theme = if night {
        egui::Theme::Dark
    } else {
        egui::Theme::Light
    };
    ctx.set_theme(theme);
    ctx.set_visuals_of(theme, visuals);
    ctx.all_styles_mut(|style| {
        let base = egui::style::Spacing::default();
        if truck {
            style.spacing.interact_size = TRUCK_INTERACT;
            style.spacing.button_padding = egui::vec2(10.0, 6.0);
            style.spacing.item_spacing = egui::vec2(10.0, 8.0);
            style.spacing.icon_width = 22.0;
            style.spacing.scroll.bar_width = 16.0;
        } else {
            style.spacing.interact_size = base.interact_size;
            style.spacing.button_padding = base.button_padding;
            style.spacing.item_spacing = base.item_spacing;
            style.spacing.icon_width = base.icon_width;
            style.spacing.scroll = base.scroll;
        }
    });
    ctx.set_zoom_factor(if truck { TRUCK_ZOOM } else { 1.0 });
}
