//! The top bar (zoom, fit, follow, orientation, units, coordinates) and the status line.

use eframe::egui;

use crate::app::{Command, Layout, Mode, Model, Theme, Units};
use crate::core::coords::{self, CoordFormat, Datum};

pub use super::map_view::ZOOM_STEP;

/// Map controls and display choices.
pub fn top_bar_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let p = &model.prefs;
    egui::MenuBar::new().ui(ui, |ui| {
        super::menu::file_menu_ui(ui, model, cmds);
        ui.menu_button("View", |ui| {
            for (mode, name) in [(Mode::Map, "Map  (M)"), (Mode::Atlas, "Atlas book  (A)")] {
                if ui.radio(model.mode == mode, name).clicked() {
                    cmds.push(Command::SetMode(mode));
                }
            }
            ui.separator();
            let mut on = p.show_frames;
            if ui.checkbox(&mut on, "Atlas page frames  (P)").changed() {
                cmds.push(Command::SetShowFrames(on));
            }
            let mut on = p.graticule;
            if ui.checkbox(&mut on, "Graticule  (L)").changed() {
                cmds.push(Command::SetGraticule(on));
            }
            ui.menu_button("Map layers", |ui| {
                let mut l = p.layers;
                let mut changed = false;
                for (on, name) in [
                    (&mut l.roads, "Roads and tracks"),
                    (&mut l.water, "Water"),
                    (&mut l.land, "Woods and land"),
                    (&mut l.public_land, "Public land"),
                    (&mut l.places, "Places"),
                    (&mut l.pois, "Fuel, camps, peaks (map)"),
                    (&mut l.contours, "Contours"),
                    (&mut l.hillshade, "Hillshade"),
                ] {
                    changed |= ui.checkbox(on, name).changed();
                }
                if changed {
                    cmds.push(Command::SetLayers(l));
                }
            });
            ui.menu_button("Theme", |ui| {
                for t in Theme::ALL {
                    if ui.radio(p.theme == t, t.label()).clicked() {
                        cmds.push(Command::SetTheme(t));
                    }
                }
            });
            if ui.button("Driving layout  (H)").clicked() {
                cmds.push(Command::SetLayout(Layout::Driving));
            }
            let mut on = p.truck;
            if ui.checkbox(&mut on, "Truck mode  (T)").changed() {
                cmds.push(Command::SetTruck(on));
            }
        });
        ui.menu_button("Help", |ui| {
            if ui.button("Keyboard shortcuts  (F1)").clicked() {
                cmds.push(Command::ShowHelp(true));
            }
        });
    });
    // Wrapped, so a narrow window shows every control on a second line instead of cutting
    // them off.
    ui.horizontal_wrapped(|ui| {
        ui.strong("trailatlas");
        ui.separator();
        for (mode, name) in [(Mode::Map, "Map view"), (Mode::Atlas, "Atlas book")] {
            if ui.selectable_label(model.mode == mode, name).clicked() {
                cmds.push(Command::SetMode(mode));
            }
        }
        ui.separator();
        if ui.button("−").on_hover_text("Zoom out").clicked() {
            cmds.push(Command::Zoom {
                factor: 1.0 / ZOOM_STEP,
                at_mm: None,
            });
        }
        if ui.button("+").on_hover_text("Zoom in").clicked() {
            cmds.push(Command::Zoom {
                factor: ZOOM_STEP,
                at_mm: None,
            });
        }
        if ui.button("Fit route").clicked() {
            cmds.push(Command::FitRoute);
        }
        // Lit only while following a position; without one it cannot be switched on.
        let mut follow = model.following();
        let has_fix = model.gps.fix.is_some();
        let hover = if has_fix {
            "Keep the GPS position centred"
        } else {
            "No GPS position to follow (open with --gps SOURCE)"
        };
        let r = ui.add_enabled(has_fix, egui::Button::selectable(follow, "Follow"));
        if r.on_hover_text(hover)
            .on_disabled_hover_text(hover)
            .clicked()
        {
            follow = !follow;
            cmds.push(Command::SetFollow(follow));
        }
        let orientation = if p.north_up { "North up" } else { "Course up" };
        if ui
            .button(orientation)
            .on_hover_text("Switch north-up / course-up")
            .clicked()
        {
            cmds.push(Command::SetNorthUp(!p.north_up));
        }
        ui.separator();
        egui::ComboBox::new("units", "Units")
            .selected_text(match p.units {
                Units::Imperial => "mi",
                Units::Metric => "km",
            })
            .show_ui(ui, |ui| {
                for (u, name) in [(Units::Imperial, "miles"), (Units::Metric, "kilometres")] {
                    if ui.selectable_label(p.units == u, name).clicked() {
                        cmds.push(Command::SetUnits(u));
                    }
                }
            });
        egui::ComboBox::new("coord_format", "Coordinates")
            .selected_text(p.coord_format.name().to_uppercase())
            .show_ui(ui, |ui| {
                for f in CoordFormat::ALL {
                    if ui
                        .selectable_label(p.coord_format == f, f.name().to_uppercase())
                        .clicked()
                    {
                        cmds.push(Command::SetCoordFormat(f));
                    }
                }
            });
        egui::ComboBox::new("theme", "")
            .selected_text(p.theme.label())
            .show_ui(ui, |ui| {
                for t in Theme::ALL {
                    if ui.selectable_label(p.theme == t, t.label()).clicked() {
                        cmds.push(Command::SetTheme(t));
                    }
                }
            })
            .response
            .on_hover_text("Day, night, or switching at sunset and sunrise (D: night / day)");
        let mut truck = p.truck;
        if ui
            .toggle_value(&mut truck, "Truck")
            .on_hover_text("Large text and controls (T)")
            .changed()
        {
            cmds.push(Command::SetTruck(truck));
        }
        if ui
            .button("Drive")
            .on_hover_text("The driving layout: the map alone with large figures (H)")
            .clicked()
        {
            cmds.push(Command::SetLayout(Layout::Driving));
        }
        egui::ComboBox::new("datum", "Datum")
            .selected_text(p.datum.label())
            .show_ui(ui, |ui| {
                for d in Datum::ALL {
                    if ui.selectable_label(p.datum == d, d.label()).clicked() {
                        cmds.push(Command::SetDatum(d));
                    }
                }
            });
    });
}

/// The status line: the last message, the GPS state (with a stop button) and the map centre.
pub fn status_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let gps = match (&model.gps.source, model.gps.fixes) {
            (Some(src), n) => format!("GPS {src}: {n} fixes"),
            (None, 0) => "no GPS".to_string(),
            (None, n) => format!("GPS off ({n} fixes)"),
        };
        ui.label(gps);
        if model.gps.source.is_some() && ui.small_button("Stop GPS").clicked() {
            cmds.push(Command::StopGps);
        }
        if !model.gps.status.is_empty() {
            ui.separator();
            ui.label(&model.gps.status);
        }
        ui.separator();
        ui.label(format!(
            "map centre {}",
            coords::format(
                model.view.center,
                model.prefs.coord_format,
                model.prefs.datum
            )
        ));
        if !model.status.is_empty() {
            ui.separator();
            ui.label(&model.status);
        }
    });
}
