//! Night theme and truck mode: egui's visuals and sizes.

use eframe::egui;

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
        // Darker than egui's dark theme: a dim screen keeps the driver's night vision.
        visuals.panel_fill = egui::Color32::from_rgb(0x10, 0x10, 0x12);
        visuals.window_fill = egui::Color32::from_rgb(0x16, 0x16, 0x18);
        visuals.extreme_bg_color = egui::Color32::from_rgb(0x05, 0x05, 0x06);
        visuals.override_text_color = Some(egui::Color32::from_rgb(0xb8, 0xa8, 0x90));
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
