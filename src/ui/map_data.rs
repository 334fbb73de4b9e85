//! The left panel's Map data section: which OpenStreetMap files are imported, the date of
//! their data, what they hold, and a button to import more.
//!
//! Reads `Model::map_files` only; importing is a `Browse` command (the import job reads the
//! files). Not for drawing the map (the map layers do that).

use eframe::egui;

use crate::app::files::{BrowseCmd, FilePurpose};
use crate::app::{Command, Model};
use crate::core::units::thousands;

/// The Map data section.
pub fn map_data_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    ui.heading("Map data");
    if model.map_files.is_empty() {
        ui.label(
            egui::RichText::new("None: import an OpenStreetMap extract (.osm.pbf)")
                .small()
                .weak(),
        );
    }
    for f in &model.map_files {
        let name = std::path::Path::new(&f.path)
            .file_name()
            .map_or_else(|| f.path.clone(), |n| n.to_string_lossy().into_owned());
        ui.label(&name).on_hover_text(&f.path);
        let date = f.replication_ms.map_or_else(
            || "OSM data of unknown date".to_string(),
            |ms| {
                let d: String = crate::import::format_time_ms(ms).chars().take(10).collect();
                format!("OSM data of {d}")
            },
        );
        ui.label(egui::RichText::new(date).small());
        let c = &f.counts;
        ui.label(
            egui::RichText::new(format!(
                "{} roads, {} POIs, {} places{}",
                thousands(c.roads),
                thousands(c.pois),
                thousands(c.places),
                if f.filter.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", f.filter)
                }
            ))
            .small()
            .weak(),
        );
    }
    if ui.button("Import map data…").clicked() {
        cmds.push(Command::Browse(BrowseCmd::Open(FilePurpose::ImportMap)));
    }
}
