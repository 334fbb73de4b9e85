//! The Garmin section of the left panel: mounted units, their GPX files with checkboxes,
//! "Import selected", and sending the selected route to a unit.
//!
//! Reads `Model::garmin`; pushes `GarminCmd`s. Not for scanning or writing (see
//! `app::garmin`, `devices`).

use eframe::egui;

use crate::app::garmin::GarminCmd;
use crate::app::{Command, Model};
use crate::devices::GarminFileKind;
use crate::import::format_time_ms;

use super::file_dialog::human_bytes;

fn push(cmds: &mut Vec<Command>, c: GarminCmd) {
    cmds.push(Command::Garmin(c));
}

/// Units and their files; nothing when the app is not watching for units.
pub fn garmin_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let g = &model.garmin;
    if !g.watching && g.devices.is_empty() {
        return;
    }
    ui.separator();
    ui.horizontal(|ui| {
        ui.heading("Garmin");
        if ui
            .small_button("Rescan")
            .on_hover_text("Look for mounted units now")
            .clicked()
        {
            push(cmds, GarminCmd::Rescan);
        }
    });
    if g.devices.is_empty() {
        ui.label(
            egui::RichText::new("No Garmin unit mounted (USB mass storage with Garmin/GPX).")
                .small()
                .weak(),
        );
    }
    let route = model.selected.as_ref().map(|s| s.name());
    for dev in &g.devices {
        ui.add_space(4.0);
        ui.label(egui::RichText::new(dev.label()).strong())
            .on_hover_text(dev.mount.display().to_string());
        if dev.files.is_empty() {
            ui.label(egui::RichText::new("no GPX files").small().weak());
        }
        let mut kind = None;
        for f in &dev.files {
            if kind != Some(f.kind) {
                kind = Some(f.kind);
                let heading = match f.kind {
                    GarminFileKind::Current => "current",
                    GarminFileKind::Saved => "saved",
                    GarminFileKind::Archive => "archived",
                };
                ui.label(egui::RichText::new(heading).small().weak());
            }
            let mut on = g.is_selected(&f.path);
            let when = f
                .modified_ms
                .map(|ms| {
                    let t = format_time_ms(ms - ms.rem_euclid(60_000));
                    t.trim_end_matches(":00Z").replace('T', " ")
                })
                .unwrap_or_default();
            if ui
                .checkbox(&mut on, &f.name)
                .on_hover_text(format!(
                    "{} · {} · {when}",
                    f.path.display(),
                    human_bytes(f.size_bytes)
                ))
                .changed()
            {
                push(
                    cmds,
                    GarminCmd::Select {
                        path: f.path.clone(),
                        on,
                    },
                );
            }
        }
        let sending = g.sending.as_ref() == Some(&dev.mount);
        let label = match &route {
            Some(r) => format!("Send \"{r}\" to {}", dev.label()),
            None => format!("Send the selected route to {}", dev.label()),
        };
        if ui
            .add_enabled(
                route.is_some() && g.sending.is_none(),
                egui::Button::new(label),
            )
            .on_hover_text(format!(
                "Writes a GPX file into {}",
                dev.send_dir().display()
            ))
            .clicked()
        {
            push(
                cmds,
                GarminCmd::SendSelected {
                    mount: dev.mount.clone(),
                },
            );
        }
        if sending {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("sending…");
            });
        }
    }
    if !g.devices.is_empty() {
        let n = g.selected.len();
        if ui
            .add_enabled(n > 0, egui::Button::new(format!("Import selected ({n})")))
            .clicked()
        {
            push(cmds, GarminCmd::ImportSelected);
        }
    }
    match &g.last_send {
        Some(Ok(p)) => {
            ui.add(
                egui::Label::new(format!("Sent to {}", p.display()))
                    .selectable(true)
                    .wrap(),
            );
        }
        Some(Err(e)) => {
            ui.add(
                egui::Label::new(
                    egui::RichText::new(format!("Send failed: {e}"))
                        .color(ui.visuals().error_fg_color),
                )
                .selectable(true)
                .wrap(),
            );
        }
        None => {}
    }
}
