//! The panels: thin functions (named `*_ui`) that read the [`Model`] and push [`Command`]s.
//! They never touch the store, start I/O or change state themselves.
//!
//! Not for layout decisions on the map (see `scene::view`) nor for applying commands (see
//! `app`).

pub mod basemap;
pub mod book;
pub mod file_dialog;
pub mod garmin;
pub mod hud;
pub mod import_job;
pub mod map_data;
pub mod map_view;
pub mod menu;
pub mod nav;
pub mod shortcuts;
pub mod side;
pub mod style;
pub mod top_bar;

use eframe::egui;

use crate::app::{Command, Mode, Model};

/// The whole window: menu and top bar, status line, routes and waypoints on the left,
/// navigation on the right, the map or the atlas book in the middle, and dialogs.
///
/// In the driving layout ([`Model::driving`]) the map fills the window under the heads-up
/// display instead, and dialogs still open over it.
pub fn app_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    import_job::dropped_files_ui(ui, cmds);
    shortcuts::shortcuts_ui(ui, model, cmds);
    if model.driving() {
        egui::CentralPanel::no_frame().show(ui, |ui| {
            let rect = map_view::map_ui(ui, model, cmds);
            hud::hud_ui(ui, model, rect, cmds);
        });
        dialogs_ui(ui, model, cmds);
        return;
    }
    egui::Panel::top("top_bar").show(ui, |ui| top_bar::top_bar_ui(ui, model, cmds));
    egui::Panel::bottom("status").show(ui, |ui| top_bar::status_ui(ui, model, cmds));
    egui::Panel::left("routes")
        .default_size(260.0)
        .resizable(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("left_scroll")
                .show(ui, |ui| side::side_ui(ui, model, cmds));
        });
    egui::Panel::right("nav")
        .default_size(310.0)
        .resizable(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("right_scroll")
                .show(ui, |ui| nav::nav_ui(ui, model, cmds));
        });
    egui::CentralPanel::no_frame().show(ui, |ui| match model.mode {
        Mode::Map => {
            map_view::map_ui(ui, model, cmds);
        }
        Mode::Atlas => book::book_ui(ui, model, cmds),
    });
    dialogs_ui(ui, model, cmds);
}

/// The windows over either layout.
fn dialogs_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    book::print_dialog_ui(ui.ctx(), model, cmds);
    shortcuts::help_ui(ui.ctx(), model, cmds);
    import_job::import_job_ui(ui, model, cmds);
    file_dialog::file_dialog_ui(ui, model, cmds);
}
