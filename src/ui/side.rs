//! The left panel: the routes list and the waypoint kind filters.

use eframe::egui;

use crate::app::{Command, Model, line_name};
use crate::core::model::{LineKind, WaypointKind};
use crate::scene::theme;

/// Routes and filters.
pub fn side_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    routes_ui(ui, model, cmds);
    ui.separator();
    kinds_ui(ui, model, cmds);
    ui.separator();
    import_ui(ui, cmds);
    super::garmin::garmin_ui(ui, model, cmds);
}

/// A path field and an Import button (files can also be dropped on the window). The typed
/// text lives in egui's memory, so the panel keeps no state of its own.
pub fn import_ui(ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
    ui.heading("Import");
    let id = egui::Id::unique("import_path");
    let mut path: String = ui.data_mut(|d| d.get_temp::<String>(id).unwrap_or_default());
    let label = ui.label("GPX file or folder");
    let edit = ui
        .add(
            egui::TextEdit::singleline(&mut path)
                .hint_text("/path/to/file.gpx")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    ui.horizontal(|ui| {
        if (ui.button("Import GPX").clicked() || enter) && !path.trim().is_empty() {
            cmds.push(Command::Import(std::path::PathBuf::from(path.trim())));
            path.clear();
        }
        if ui.button("Browse…").on_hover_text("Ctrl+O").clicked() {
            cmds.push(Command::Browse(crate::app::files::BrowseCmd::Open(
                crate::app::files::FilePurpose::ImportGpx,
            )));
        }
    });
    ui.data_mut(|d| d.insert_temp(id, path));
    ui.label(
        egui::RichText::new("or drop GPX files or folders on the window")
            .small()
            .weak(),
    );
}

/// The tracks, routes and drives; clicking one selects it and fits the map to it.
pub fn routes_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    ui.heading("Routes");
    if model.lines.is_empty() {
        ui.label("No routes yet: trailatlas import FILE.gpx");
    }
    let selected = model.selected.as_ref().map(|s| s.summary.id);
    for kind in [LineKind::Route, LineKind::Track, LineKind::Drive] {
        let of_kind: Vec<_> = model.lines.iter().filter(|l| l.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        ui.label(
            egui::RichText::new(format!("{}s", kind.as_str()))
                .small()
                .weak(),
        );
        for l in of_kind {
            let r = ui
                .selectable_label(selected == Some(l.id), line_name(l))
                .on_hover_text(format!(
                    "{} points, {}",
                    l.points,
                    model.prefs.units.distance(l.length_m)
                ));
            if r.clicked() {
                cmds.push(Command::SelectLine(l.id));
            }
        }
    }
}

fn swatch(ui: &mut egui::Ui, kind: WaypointKind) {
    let sym = theme::symbol(kind);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
    let c = egui::Color32::from_rgb(sym.fill.r, sym.fill.g, sym.fill.b);
    ui.painter().circle_filled(rect.center(), 6.0, c);
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        sym.glyph,
        egui::FontId::proportional(9.0),
        egui::Color32::from_rgb(theme::PAPER.r, theme::PAPER.g, theme::PAPER.b),
    );
}

/// One checkbox per waypoint kind present (with its symbol colour and count).
pub fn kinds_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    ui.heading("Waypoints");
    let mut counts = [0usize; WaypointKind::ALL.len()];
    for w in &model.waypoints {
        if let Some(c) = counts.get_mut(w.wpt.kind as usize) {
            *c += 1;
        }
    }
    for kind in WaypointKind::ALL {
        let n = counts.get(kind as usize).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        ui.horizontal(|ui| {
            swatch(ui, kind);
            let mut on = model.prefs.shows(kind);
            if ui.checkbox(&mut on, format!("{kind} ({n})")).changed() {
                cmds.push(Command::ShowKind(kind, on));
            }
        });
    }
}
