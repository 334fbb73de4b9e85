//! The file dialog window: draws `Model::file_dialog` (folder, entries, selection, typed
//! path, file name) and pushes `BrowseCmd`s. The app lists folders and acts on the choice;
//! this never reads the file system.
//!
//! Not for what a choice does (see `app::files`).

use eframe::egui;

use crate::app::files::{BrowseCmd, FileDialog, FilePurpose, PickMode};
use crate::app::{Command, Model};

fn push(cmds: &mut Vec<Command>, c: BrowseCmd) {
    cmds.push(Command::Browse(c));
}

/// The dialog window, when one is open.
pub fn file_dialog_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let Some(d) = &model.file_dialog else {
        return;
    };
    let mut open = true;
    egui::Window::new(d.purpose.title())
        .id(egui::Id::unique("file_dialog_window"))
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_size([600.0, 460.0])
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(ui.ctx().content_rect().center())
        .show(ui.ctx(), |ui| dialog_ui(ui, model, d, cmds));
    let escape = ui.input(|i| i.key_pressed(egui::Key::Escape));
    if !open || escape {
        push(cmds, BrowseCmd::Cancel);
    }
}

fn dialog_ui(ui: &mut egui::Ui, model: &Model, d: &FileDialog, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        if ui
            .add_enabled(d.dir.parent().is_some(), egui::Button::new("Up"))
            .on_hover_text("The parent folder")
            .clicked()
        {
            push(cmds, BrowseCmd::Parent);
        }
        if ui.button("Home").clicked() {
            push(cmds, BrowseCmd::Home);
        }
        if ui.button("Refresh").clicked() {
            push(cmds, BrowseCmd::Refresh);
        }
        let mut hidden = d.show_hidden;
        if ui.checkbox(&mut hidden, "Show hidden").changed() {
            push(cmds, BrowseCmd::SetShowHidden(hidden));
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("Location");
        let mut text = d.location.clone();
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text("/path/to/folder or file")
                    .desired_width(ui.available_width() - 40.0),
            )
            .labelled_by(label.id);
        if text != d.location {
            push(cmds, BrowseCmd::SetLocation(text));
        }
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Go").clicked() || enter {
            push(cmds, BrowseCmd::GoToLocation);
        }
    });
    // Mounted units are the usual place for GPX files.
    if !model.garmin.devices.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new("Places:").weak());
            for dev in &model.garmin.devices {
                if ui
                    .small_button(format!("{} GPX", dev.label()))
                    .on_hover_text(dev.gpx_dir.display().to_string())
                    .clicked()
                {
                    push(cmds, BrowseCmd::Enter(dev.gpx_dir.clone()));
                }
            }
        });
    }
    ui.separator();
    let mode = d.mode();
    let list_height = (ui.available_height() - 90.0).max(120.0);
    egui::ScrollArea::vertical()
        .id_salt("file_dialog_entries")
        .max_height(list_height)
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if d.entries.is_empty() {
                ui.label(egui::RichText::new(empty_text(d.purpose)).weak());
            }
            for e in &d.entries {
                if e.is_dir {
                    if ui.selectable_label(false, format!("{}/", e.name)).clicked() {
                        push(cmds, BrowseCmd::Enter(e.path.clone()));
                    }
                    continue;
                }
                let selected = match mode {
                    PickMode::Save => d.save_path().as_ref() == Some(&e.path),
                    _ => d.is_selected(&e.path),
                };
                ui.horizontal(|ui| {
                    let r = ui.selectable_label(selected, &e.name);
                    ui.label(
                        egui::RichText::new(human_bytes(e.size_bytes))
                            .weak()
                            .small(),
                    );
                    if r.clicked() || r.double_clicked() {
                        let add = ui.input(|i| {
                            let held = |m: egui::Modifiers| m.command || m.shift;
                            // The click's own modifiers: they may be released within the frame.
                            held(i.modifiers)
                                || i.events.iter().any(|e| {
                                    matches!(e, egui::Event::PointerButton { modifiers, .. } if held(*modifiers))
                                })
                        });
                        push(
                            cmds,
                            BrowseCmd::Select {
                                path: e.path.clone(),
                                add,
                            },
                        );
                    }
                    if r.double_clicked() && mode != PickMode::Save {
                        push(cmds, BrowseCmd::Confirm);
                    }
                });
            }
        });
    ui.separator();
    if mode == PickMode::Save {
        ui.horizontal(|ui| {
            let label = ui.label("File name");
            let mut name = d.file_name.clone();
            let edit = ui
                .add(egui::TextEdit::singleline(&mut name).desired_width(f32::INFINITY))
                .labelled_by(label.id);
            if name != d.file_name {
                push(cmds, BrowseCmd::SetFileName(name));
            }
            if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                push(cmds, BrowseCmd::Confirm);
            }
        });
        if d.save_replaces() {
            ui.label(
                egui::RichText::new("A file of that name exists: saving replaces it.")
                    .color(ui.visuals().warn_fg_color),
            );
        }
    }
    if let Some(e) = &d.error {
        ui.add(
            egui::Label::new(egui::RichText::new(e).color(ui.visuals().error_fg_color))
                .selectable(true)
                .wrap(),
        );
    }
    ui.horizontal(|ui| {
        let ready = match mode {
            PickMode::Open { .. } => !d.selected.is_empty(),
            PickMode::Save => !d.file_name.trim().is_empty(),
            PickMode::Folder => true,
        };
        let confirm = if mode == PickMode::Folder {
            folder_label(d.purpose)
        } else {
            d.purpose.confirm_label()
        };
        if ui.add_enabled(ready, egui::Button::new(confirm)).clicked() {
            let c = if mode == PickMode::Folder {
                BrowseCmd::ChooseFolder
            } else {
                BrowseCmd::Confirm
            };
            push(cmds, c);
        }
        if let PickMode::Open { folders: true, .. } = mode
            && ui
                .button(folder_label(d.purpose))
                .on_hover_text(d.dir.display().to_string())
                .clicked()
        {
            push(cmds, BrowseCmd::ChooseFolder);
        }
        if let PickMode::Open { multiple: true, .. } = mode {
            if ui.button("Select all").clicked() {
                push(cmds, BrowseCmd::SelectAll);
            }
            if !d.selected.is_empty() {
                ui.label(format!("{} selected", d.selected.len()));
            }
        }
        if ui.button("Cancel").clicked() {
            push(cmds, BrowseCmd::Cancel);
        }
    });
}

fn folder_label(purpose: FilePurpose) -> &'static str {
    match purpose {
        FilePurpose::ImportGpx => "Import this folder",
        _ => "Choose this folder",
    }
}

fn empty_text(purpose: FilePurpose) -> String {
    let exts: Vec<String> = purpose
        .extensions()
        .iter()
        .map(|e| format!(".{e}"))
        .collect();
    format!("no folders or {} files here", exts.join(" / "))
}

/// `1536` as `1.5 KB`: sizes for lists.
pub fn human_bytes(n: u64) -> String {
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = "KB";
    for u in ["MB", "GB", "TB"] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1536), "1.5 KB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MB");
        assert_eq!(human_bytes(3 << 40), "3.0 TB");
    }
}
