//! The basemap section of the left panel: the open MBTiles file (name, format, zoom range,
//! tile counts) with a Close button, and a path field with an Open button.
//!
//! Opening is a [`Command::OpenBasemap`]; the app reads the file. Not for drawing the tiles
//! (see `render::tiles`, called by `map_view`).

use eframe::egui;

use crate::app::{Command, Model};

/// The basemap section.
pub fn basemap_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    ui.heading("Basemap");
    match &model.basemap.info {
        Some(info) => {
            let f = &info.file;
            ui.label(&f.name)
                .on_hover_text(f.path.display().to_string());
            ui.label(
                egui::RichText::new(format!(
                    "{} tiles, zoom {}–{}",
                    f.format.as_str(),
                    f.min_zoom,
                    f.max_zoom
                ))
                .small()
                .weak(),
            );
            let s = model.basemap.stats;
            let mut counts = format!("{} tiles loaded", s.loaded);
            if s.pending > 0 {
                counts.push_str(&format!(", {} loading", s.pending));
            }
            if s.missing > 0 {
                counts.push_str(&format!(", {} not in the file", s.missing));
            }
            if s.errors > 0 {
                counts.push_str(&format!(", {} unreadable", s.errors));
            }
            let counts = ui.label(egui::RichText::new(counts).small().weak());
            if let Some(e) = &model.basemap.last_error {
                counts.on_hover_text(e);
            }
            if let Some(a) = &f.attribution {
                ui.label(egui::RichText::new(strip_tags(a)).small().weak());
            }
            if ui.button("Close basemap").clicked() {
                cmds.push(Command::CloseBasemap);
            }
        }
        None => {
            ui.label(
                egui::RichText::new("None: a plain map with the graticule")
                    .small()
                    .weak(),
            );
        }
    }
    let id = egui::Id::unique("basemap_path");
    let mut path: String = ui.data_mut(|d| d.get_temp::<String>(id).unwrap_or_default());
    let label = ui.label("MBTiles file");
    let edit = ui
        .add(
            egui::TextEdit::singleline(&mut path)
                .hint_text("/path/to/map.mbtiles")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    ui.horizontal(|ui| {
        if (ui.button("Open basemap").clicked() || enter) && !path.trim().is_empty() {
            cmds.push(Command::OpenBasemap(std::path::PathBuf::from(path.trim())));
            path.clear();
        }
        if ui.button("Choose…").clicked() {
            cmds.push(Command::Browse(crate::app::files::BrowseCmd::Open(
                crate::app::files::FilePurpose::OpenBasemap,
            )));
        }
    });
    ui.data_mut(|d| d.insert_temp(id, path));
}

/// Attribution text without HTML tags (`<a href=…>© OSM</a>` → `© OSM`).
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn attribution_tags_are_dropped() {
        assert_eq!(
            super::strip_tags(r#"<a href="https://osm.org">© OpenStreetMap</a> contributors"#),
            "© OpenStreetMap contributors"
        );
    }
}
