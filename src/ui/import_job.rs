//! The import window (a progress bar while files are read, then one line per file with its
//! result or its error in full) and files dropped on the window.
//!
//! Reads `Model::import_job`; pushes `ImportCmd`s. Not for importing (see `app::importer`).

use eframe::egui;

use crate::app::importer::{FileOutcome, ImportCmd, ImportJob};
use crate::app::{Command, Model};

/// Files and folders dropped on the window become one import; while files hover over it, a
/// hint says they will be imported.
pub fn dropped_files_ui(ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
    let (dropped, hovering) = ui.input(|i| {
        let dropped: Vec<std::path::PathBuf> = i
            .raw
            .dropped_files
            .iter()
            .map(|f| f.path().to_path_buf())
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        (dropped, !i.raw.hovered_files.is_empty())
    });
    if !dropped.is_empty() {
        cmds.push(Command::Imports(ImportCmd::Files {
            paths: dropped,
            replace: false,
        }));
    }
    if hovering {
        let rect = ui.ctx().content_rect();
        let painter = ui.ctx().layer_painter(egui::LayerId::new(
            egui::Order::Foreground,
            egui::Id::unique("drop_hint"),
        ));
        painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color.gamma_multiply(0.8));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Drop GPX files or folders to import them",
            egui::TextStyle::Heading.resolve(ui.style()),
            ui.visuals().strong_text_color(),
        );
    }
}

/// The "Imports" window, while a job runs or its results are shown.
pub fn import_job_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let Some(job) = &model.import_job else {
        return;
    };
    let mut open = true;
    egui::Window::new("Imports")
        .id(egui::Id::unique("import_job_window"))
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_width(520.0)
        .anchor(egui::Align2::RIGHT_BOTTOM, [-12.0, -36.0])
        .show(ui.ctx(), |ui| job_ui(ui, job, cmds));
    if !open {
        cmds.push(Command::Imports(if job.running {
            ImportCmd::Cancel
        } else {
            ImportCmd::Dismiss
        }));
    }
}

fn job_ui(ui: &mut egui::Ui, job: &ImportJob, cmds: &mut Vec<Command>) {
    ui.add(
        egui::ProgressBar::new(job.fraction())
            .text(job.summary())
            .animate(job.running),
    );
    if let Some(c) = &job.current {
        let name = c.path.file_name().map_or_else(
            || c.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        match c.map_fraction {
            Some(f) => ui.label(format!(
                "{name} ({}): map data, {:.0}% read",
                super::file_dialog::human_bytes(c.size_bytes),
                f * 100.0
            )),
            None => ui.label(format!(
                "{name} ({}): {} points stored",
                super::file_dialog::human_bytes(c.size_bytes),
                crate::core::units::thousands(c.points)
            )),
        };
    }
    for p in &job.empty_folders {
        ui.label(
            egui::RichText::new(format!("no .gpx files in {}", p.display()))
                .color(ui.visuals().warn_fg_color),
        );
    }
    if !job.results.is_empty() {
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("import_results")
            .max_height(260.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for r in &job.results {
                    let failed = r.failed();
                    let color = match r.outcome {
                        FileOutcome::Imported(_)
                        | FileOutcome::MapImported(_)
                        | FileOutcome::Terrain(_) => ui.visuals().text_color(),
                        FileOutcome::Unchanged(_) | FileOutcome::MapUnchanged(_) => {
                            ui.visuals().weak_text_color()
                        }
                        FileOutcome::Failed(_) => ui.visuals().error_fg_color,
                    };
                    ui.horizontal_top(|ui| {
                        mark_ui(ui, failed);
                        ui.add(
                            egui::Label::new(egui::RichText::new(r.describe()).color(color))
                                .selectable(true)
                                .wrap(),
                        );
                    });
                }
            });
    }
    ui.separator();
    ui.horizontal(|ui| {
        if job.running {
            let label = if job.cancelling {
                "Cancelling…"
            } else {
                "Cancel"
            };
            if ui
                .add_enabled(!job.cancelling, egui::Button::new(label))
                .on_hover_text("Stop after the file being imported")
                .clicked()
            {
                cmds.push(Command::Imports(ImportCmd::Cancel));
            }
        } else if ui.button("Close").clicked() {
            cmds.push(Command::Imports(ImportCmd::Dismiss));
        }
    });
}

/// A check mark (done) or a cross (failed), drawn: the bundled fonts have neither glyph.
fn mark_ui(ui: &mut egui::Ui, failed: bool) {
    let size = egui::vec2(12.0, 14.0);
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    let r = egui::Rect::from_center_size(rect.center(), egui::vec2(9.0, 9.0));
    let painter = ui.painter();
    if failed {
        let stroke = egui::Stroke::new(2.0, ui.visuals().error_fg_color);
        painter.line_segment([r.left_top(), r.right_bottom()], stroke);
        painter.line_segment([r.right_top(), r.left_bottom()], stroke);
    } else {
        let stroke = egui::Stroke::new(2.0, ui.visuals().selection.bg_fill);
        let points = vec![
            egui::pos2(r.left(), r.center().y),
            egui::pos2(r.left() + r.width() * 0.4, r.bottom()),
            r.right_top(),
        ];
        painter.add(egui::Shape::line(points, stroke));
    }
}
