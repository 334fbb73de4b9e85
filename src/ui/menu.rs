//! The File menu of the top bar (import, export) and its keyboard shortcut (Ctrl+O).
//!
//! Pushes commands only; the dialogs it opens are drawn by `file_dialog`.

use eframe::egui;

use crate::app::files::{BrowseCmd, FilePurpose};
use crate::app::garmin::GarminCmd;
use crate::app::{Command, Model};

/// Ctrl+O (Cmd+O on a Mac): the import dialog.
pub const IMPORT_SHORTCUT: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O);

/// Ctrl+P: the print dialog (handled with the other shortcuts).
pub const PRINT_SHORTCUT: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::P);

/// The File menu button.
pub fn file_menu_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    if ui.input_mut(|i| i.consume_shortcut(&IMPORT_SHORTCUT)) {
        cmds.push(Command::Browse(BrowseCmd::Open(FilePurpose::ImportGpx)));
    }
    ui.menu_button("File", |ui| {
        let shortcut = ui.ctx().format_shortcut(&IMPORT_SHORTCUT);
        if ui
            .add(egui::Button::new("Import GPX…").shortcut_text(shortcut))
            .clicked()
        {
            cmds.push(Command::Browse(BrowseCmd::Open(FilePurpose::ImportGpx)));
            ui.close();
        }
        if ui.button("Import map data…").clicked() {
            cmds.push(Command::Browse(BrowseCmd::Open(FilePurpose::ImportMap)));
            ui.close();
        }
        if ui.button("Import terrain…").clicked() {
            cmds.push(Command::Browse(BrowseCmd::Open(FilePurpose::ImportTerrain)));
            ui.close();
        }
        if ui
            .add_enabled(
                model.selected.is_some(),
                egui::Button::new("Export route as GPX…"),
            )
            .clicked()
        {
            cmds.push(Command::Browse(BrowseCmd::Open(FilePurpose::SaveGpx)));
            ui.close();
        }
        if model.garmin.watching && ui.button("Look for Garmin units").clicked() {
            cmds.push(Command::Garmin(GarminCmd::Rescan));
            ui.close();
        }
        ui.separator();
        if ui.button("Open basemap (MBTiles)…").clicked() {
            cmds.push(Command::Browse(BrowseCmd::Open(FilePurpose::OpenBasemap)));
            ui.close();
        }
        let print = ui.ctx().format_shortcut(&PRINT_SHORTCUT);
        if ui
            .add_enabled(
                model.selected.is_some(),
                egui::Button::new("Print atlas…").shortcut_text(print),
            )
            .clicked()
        {
            cmds.push(Command::OpenPrint);
            ui.close();
        }
        ui.separator();
        if ui.button("Quit").clicked() {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    });
}
