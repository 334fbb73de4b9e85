//! The atlas book on screen (the page scenes the PDF prints, a page at a time, with clickable
//! edge links) and the print dialog.

use eframe::egui;

use crate::app::book::{PrintState, SCALES};
use crate::app::files::{BrowseCmd, FilePurpose};
use crate::app::{Command, Model};
use crate::core::atlas::{Orientation, Paper};
use crate::core::coords::{CoordFormat, Datum};
use crate::render::egui::{ScreenMap, paint};
use crate::scene::theme;

/// Space around the page, points.
const PAGE_MARGIN_PT: f32 = 12.0;
/// egui memory key of the book view's "fit width" choice.
const FIT_WIDTH_ID: &str = "book_fit_width";

/// The book view: a page bar and the page itself; edge links and index frames turn pages.
pub fn book_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let book = &model.book;
    // The desk the page lies on: the theme's quiet fill, not the window's clear colour.
    ui.painter().rect_filled(
        ui.max_rect(),
        0.0,
        ui.visuals().widgets.noninteractive.bg_fill,
    );
    // Wrapped: a page bar wider than the central panel would widen the area the page is
    // centred in, pushing the page (and "Back to map") under the navigation panel.
    ui.horizontal_wrapped(|ui| {
        ui.add_space(6.0);
        if ui
            .add_enabled(book.page > 1, egui::Button::new("< Previous"))
            .clicked()
        {
            cmds.push(Command::TurnPage(book.page.saturating_sub(1).max(1)));
        }
        if ui.button("Index").clicked() {
            cmds.push(Command::TurnPage(1));
        }
        if ui
            .add_enabled(book.page < book.len, egui::Button::new("Next >"))
            .clicked()
        {
            cmds.push(Command::TurnPage(book.page + 1));
        }
        ui.label(format!("Page {} of {}", book.page, book.len));
        let mut to = book.page;
        if ui
            .add(egui::DragValue::new(&mut to).range(1..=book.len.max(1)))
            .on_hover_text("Go to page")
            .changed()
        {
            cmds.push(Command::TurnPage(to));
        }
        ui.separator();
        // How the page fits is the view's own state (kept in egui's memory), not the app's.
        let id = egui::Id::unique(FIT_WIDTH_ID);
        let mut fit_width = ui.data(|d| d.get_temp::<bool>(id)).unwrap_or(false);
        let was = fit_width;
        ui.selectable_value(&mut fit_width, false, "Fit page");
        ui.selectable_value(&mut fit_width, true, "Fit width");
        if fit_width != was {
            ui.data_mut(|d| d.insert_temp(id, fit_width));
        }
        ui.separator();
        if ui.button("Print…").clicked() {
            cmds.push(Command::OpenPrint);
        }
        if ui.button("Back to map").clicked() {
            cmds.push(Command::SetMode(crate::app::Mode::Map));
        }
    });
    let Some(scene) = &book.scene else {
        ui.centered_and_justified(|ui| {
            ui.label(match &model.selected {
                None => "Select a route to see its atlas",
                Some(s) if s.nav.is_none() => "Preparing the route…",
                Some(_) => "This route has no atlas pages",
            });
        });
        return;
    };
    let fit_width = ui
        .data(|d| d.get_temp::<bool>(egui::Id::unique(FIT_WIDTH_ID)))
        .unwrap_or(false);
    let avail = ui.available_rect_before_wrap();
    let (w, h) = scene.size_mm;
    let across = (avail.width() - 2.0 * PAGE_MARGIN_PT) / w as f32;
    let px_per_mm = if fit_width {
        across
    } else {
        across.min((avail.height() - 2.0 * PAGE_MARGIN_PT) / h as f32)
    }
    .max(0.1);
    let size = egui::vec2(w as f32 * px_per_mm, h as f32 * px_per_mm);
    egui::ScrollArea::vertical()
        .id_salt(("book_page", book.page))
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let content = egui::vec2(
                avail.width(),
                (size.y + 2.0 * PAGE_MARGIN_PT).max(avail.height()),
            );
            let (rect, response) = ui.allocate_exact_size(content, egui::Sense::hover());
            response.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::accesskit::Role::Image,
                    true,
                    format!("Atlas page {}", book.page),
                )
            });
            let page_rect = egui::Rect::from_center_size(
                egui::pos2(rect.center().x, rect.top() + PAGE_MARGIN_PT + size.y / 2.0),
                size,
            );
            let page_rect = if fit_width {
                page_rect
            } else {
                egui::Rect::from_center_size(rect.center(), size)
            };
            draw_page(ui, model, scene, page_rect, px_per_mm, cmds);
        });
}

/// Paints the page and makes its links clickable.
fn draw_page(
    ui: &mut egui::Ui,
    model: &Model,
    scene: &crate::scene::Scene,
    page_rect: egui::Rect,
    px_per_mm: f32,
    cmds: &mut Vec<Command>,
) {
    let book = &model.book;
    let clip = ui.clip_rect();
    let painter = ui.painter_at(clip);
    painter.rect_filled(
        page_rect.translate(egui::vec2(3.0, 3.0)),
        0.0,
        egui::Color32::from_black_alpha(60),
    );
    let map = ScreenMap {
        origin: page_rect.min,
        px_per_mm,
        night: model.night,
    };
    painter.rect_filled(page_rect, 0.0, map.color(theme::PAPER));
    paint(scene, &map, &painter);
    // Each link is a real clickable area (and an accessible button) where the page shows it.
    // Registered last to first: egui gives an overlap to the widget added last, and the scene
    // lists the link that should win first (the index's page numbers before its frames).
    for (i, link) in scene.links.iter().enumerate().rev() {
        let r = egui::Rect::from_min_max(
            map.screen_from_mm([link.rect.x, link.rect.y]),
            map.screen_from_mm([link.rect.right(), link.rect.bottom()]),
        )
        .intersect(clip);
        if !r.is_positive() {
            continue;
        }
        let id = ui.scope_id().with(("page_link", book.page, i));
        let resp = ui.interact(r, id, egui::Sense::click());
        let text = format!("Go to page {}", link.to_page);
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, &text));
        let resp = resp.on_hover_cursor(egui::CursorIcon::PointingHand);
        if resp.hovered() {
            painter.rect_stroke(
                r,
                2.0,
                egui::Stroke::new(1.5, map.color(theme::LINK)),
                egui::StrokeKind::Outside,
            );
        }
        let resp = resp.on_hover_text(&text);
        if resp.clicked() {
            cmds.push(Command::TurnPage(link.to_page));
        }
    }
}

/// The print dialog: layout, coordinates, page range and file; writes the PDF and offers to
/// open it.
pub fn print_dialog_ui(ctx: &egui::Context, model: &Model, cmds: &mut Vec<Command>) {
    let Some(dialog) = &model.print else { return };
    let mut s = dialog.settings.clone();
    let mut open = true;
    egui::Window::new("Print atlas")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("print_grid")
                .num_columns(2)
                .spacing([12.0, 8.0])
                .show(ui, |ui| {
                    ui.label("Paper");
                    egui::ComboBox::from_id_salt("print_paper")
                        .selected_text(paper_name(s.atlas.paper))
                        .show_ui(ui, |ui| {
                            for p in Paper::ALL {
                                ui.selectable_value(&mut s.atlas.paper, p, paper_name(p));
                            }
                        });
                    ui.end_row();
                    ui.label("Orientation");
                    egui::ComboBox::from_id_salt("print_orientation")
                        .selected_text(s.atlas.orientation.as_str())
                        .show_ui(ui, |ui| {
                            for o in Orientation::ALL {
                                ui.selectable_value(&mut s.atlas.orientation, o, o.as_str());
                            }
                        });
                    ui.end_row();
                    ui.label("Scale");
                    egui::ComboBox::from_id_salt("print_scale")
                        .selected_text(scale_name(s.atlas.scale))
                        .show_ui(ui, |ui| {
                            for sc in SCALES {
                                ui.selectable_value(&mut s.atlas.scale, sc, scale_name(sc));
                            }
                        });
                    ui.end_row();
                    ui.label("Coordinates");
                    egui::ComboBox::from_id_salt("print_format")
                        .selected_text(s.coord_format.name().to_uppercase())
                        .show_ui(ui, |ui| {
                            for f in CoordFormat::ALL {
                                ui.selectable_value(
                                    &mut s.coord_format,
                                    f,
                                    f.name().to_uppercase(),
                                );
                            }
                        });
                    ui.end_row();
                    ui.label("Datum");
                    egui::ComboBox::from_id_salt("print_datum")
                        .selected_text(s.datum.label())
                        .show_ui(ui, |ui| {
                            for d in Datum::ALL {
                                ui.selectable_value(&mut s.datum, d, d.label());
                            }
                        });
                    ui.end_row();
                    ui.label("Pages");
                    ui.horizontal(|ui| {
                        let n = dialog.book_len.max(1);
                        ui.add(egui::DragValue::new(&mut s.from_page).range(1..=n));
                        ui.label("to");
                        ui.add(egui::DragValue::new(&mut s.to_page).range(1..=n));
                        ui.label(format!("of {n}"));
                        if ui.small_button("All").clicked() {
                            s.from_page = 1;
                            s.to_page = n;
                        }
                    });
                    ui.end_row();
                    let label = ui.label("Save as");
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut s.output)
                                .desired_width(300.0)
                                .hint_text("/path/to/atlas.pdf"),
                        )
                        .labelled_by(label.id);
                        if ui.button("Choose…").clicked() {
                            cmds.push(Command::Browse(BrowseCmd::Open(FilePurpose::SavePdf)));
                        }
                    });
                    ui.end_row();
                });
            ui.label(
                egui::RichText::new(
                    "Page 1 is the index, then the map pages in route order, then the cue sheet.",
                )
                .small()
                .weak(),
            );
            ui.separator();
            ui.horizontal(|ui| {
                let running = dialog.state == PrintState::Running;
                if ui
                    .add_enabled(!running, egui::Button::new("Write PDF"))
                    .clicked()
                {
                    cmds.push(Command::Print);
                }
                if ui.button("Close").clicked() {
                    cmds.push(Command::ClosePrint);
                }
                match &dialog.state {
                    PrintState::Editing => {}
                    PrintState::Running => {
                        ui.spinner();
                        ui.label("writing…");
                    }
                    PrintState::Done(path, size) => {
                        ui.label(format!("Wrote {} KB", size / 1024));
                        if ui.button("Open PDF").clicked() {
                            cmds.push(Command::OpenFile(path.clone()));
                        }
                    }
                    PrintState::Failed(e) => {
                        let c = theme::WARNING;
                        ui.colored_label(egui::Color32::from_rgb(c.r, c.g, c.b), e);
                    }
                }
            });
        });
    if !open {
        cmds.push(Command::ClosePrint);
    } else if s != dialog.settings {
        cmds.push(Command::EditPrint(s));
    }
}

fn paper_name(p: Paper) -> String {
    let (w, h) = p.portrait_mm();
    format!("{} ({w:.0}×{h:.0} mm)", p.as_str())
}

fn scale_name(s: u32) -> String {
    format!("1:{}", crate::scene::build::thousands(u64::from(s)))
}
