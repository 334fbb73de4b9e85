//! The left panel: routes (show/hide, stats, elevation profile), GPX import, the basemap,
//! waypoint kind filters and the waypoint list with a name search.

use eframe::egui;

use crate::app::{Command, Model, line_name};
use crate::core::model::{LineKind, WaypointKind};
use crate::scene::theme;

/// The search field's id (Ctrl+F focuses it).
pub const SEARCH_ID: &str = "waypoint_search";
/// At most this many waypoints are listed (the search narrows it).
const LIST_MAX: usize = 200;

/// Routes and filters.
pub fn side_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    routes_ui(ui, model, cmds);
    route_stats_ui(ui, model, cmds);
    ui.separator();
    import_ui(ui, cmds);
    super::garmin::garmin_ui(ui, model, cmds);
    ui.separator();
    super::basemap::basemap_ui(ui, model, cmds);
    ui.separator();
    super::map_data::map_data_ui(ui, model, cmds);
    ui.separator();
    kinds_ui(ui, model, cmds);
    waypoint_list_ui(ui, model, cmds);
}

/// The selected route's numbers and its elevation profile; hovering the profile marks the
/// spot on the map.
pub fn route_stats_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let Some(sel) = &model.selected else { return };
    let units = model.prefs.units;
    let Some(nav) = &sel.nav else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("preparing the route…");
        });
        return;
    };
    let lg = &nav.logistics;
    let e = &lg.elevation;
    let feet = units == crate::app::Units::Imperial;
    let height = |m: f64| {
        if feet {
            format!("{:.0} ft", m / 0.3048)
        } else {
            format!("{m:.0} m")
        }
    };
    // Unknown is not zero: a line without elevations (and no terrain model) says so.
    match (e.gain_m, e.loss_m) {
        (Some(gain), Some(loss)) => ui.label(format!(
            "{} · {} points · climb {}, descent {}",
            units.distance(lg.length_m),
            sel.summary.points,
            height(gain),
            height(loss)
        )),
        _ => ui.label(format!(
            "{} · {} points · no elevation data",
            units.distance(lg.length_m),
            sel.summary.points,
        )),
    };
    if let (Some(lo), Some(hi)) = (e.min_ele_m, e.max_ele_m) {
        ui.label(format!(
            "elevation {} to {} ({})",
            height(lo),
            height(hi),
            nav.elevation_origin
                .describe()
                .trim_start_matches("elevation ")
        ));
    }
    if let Some(rr) = &model.route_roads {
        surface_ui(ui, &rr.surface, units);
        overview_ui(ui, &rr.overview, units);
    }
    if let Some(a) = nav.guide.atlas() {
        ui.label(format!(
            "atlas: {} map pages at 1:{}",
            a.pages.len(),
            a.spec.scale_denominator()
        ));
    }
    if nav.profile.is_empty() {
        return;
    }
    let per = units.m_per_long_unit();
    let k = if feet { 1.0 / 0.3048 } else { 1.0 };
    let points: egui_plot::PlotPoints<'_> =
        nav.profile.iter().map(|[a, h]| [a / per, h * k]).collect();
    let long = units.long_unit();
    let plot = egui_plot::Plot::new("elevation_profile")
        .height(110.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show_axes([true, true])
        .x_axis_label(long)
        .label_formatter(move |h| {
            let p = match h {
                egui_plot::HoverPosition::NearDataPoint { position, .. } => position,
                egui_plot::HoverPosition::Elsewhere { position } => position,
            };
            Some(format!("{:.1} {long}\n{:.0}", p.x, p.y))
        });
    let r = plot.show(ui, |plot_ui| {
        plot_ui.line(egui_plot::Line::new("elevation", points));
        if let Some(at) = model.profile_at {
            plot_ui.vline(egui_plot::VLine::new("here", at / per));
        }
        plot_ui.pointer_coordinate()
    });
    let hovered = r.inner.filter(|_| r.response.hovered()).map(|p| p.x * per);
    if hovered != model.profile_at && (hovered.is_some() || model.profile_at.is_some()) {
        cmds.push(Command::ProfileHover(hovered));
    }
}

/// Waypoints of the shown kinds whose name contains the search text; a click centres the map
/// on one and shows its details.
pub fn waypoint_list_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let mut search = model.search.clone();
    let label = ui.label("Search");
    let edit = ui
        .add(
            egui::TextEdit::singleline(&mut search)
                .id(egui::Id::unique(SEARCH_ID))
                .hint_text("waypoint name (Ctrl+F)")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    if edit.changed() {
        cmds.push(Command::SetSearch(search.clone()));
    }
    let needle = search.trim().to_lowercase();
    let matches: Vec<_> = model
        .waypoints
        .iter()
        .filter(|w| model.prefs.shows(w.wpt.kind))
        .filter(|w| {
            needle.is_empty()
                || w.wpt
                    .name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains(&needle))
        })
        .collect();
    ui.label(
        egui::RichText::new(format!("{} waypoints", matches.len()))
            .small()
            .weak(),
    );
    egui::ScrollArea::vertical()
        .id_salt("waypoint_list")
        .max_height(220.0)
        .show(ui, |ui| {
            for w in matches.iter().take(LIST_MAX) {
                let text = format!(
                    "{} {}",
                    theme::symbol(w.wpt.kind).glyph,
                    model.waypoint_name(w.id)
                );
                if ui
                    .selectable_label(model.highlighted == Some(w.id), text)
                    .clicked()
                {
                    cmds.push(Command::ShowWaypoint(w.id));
                }
            }
            if matches.len() > LIST_MAX {
                ui.label(egui::RichText::new("… search to narrow the list").weak());
            }
        });
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
        egui::RichText::new("or drop GPX files, folders or .osm.pbf map data on the window")
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
            ui.horizontal(|ui| {
                let mut shown = !model.hidden.contains(&l.id);
                if ui
                    .checkbox(&mut shown, "")
                    .on_hover_text("Show on the map")
                    .changed()
                {
                    cmds.push(Command::ShowLine(l.id, shown));
                }
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
            });
        }
    }
}

/// The kind's map icon, as a swatch beside its filter; the old coloured dot with its letter
/// if the icon cannot be drawn.
fn swatch(ui: &mut egui::Ui, kind: WaypointKind, night: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 16.0), egui::Sense::hover());
    if crate::render::egui::paint_icon(ui.painter(), kind, rect, night) {
        return;
    }
    let sym = theme::symbol(kind);
    let c = egui::Color32::from_rgb(sym.fill.r, sym.fill.g, sym.fill.b);
    ui.painter().circle_filled(rect.center(), 7.0, c);
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        sym.glyph,
        egui::FontId::proportional(9.0),
        egui::Color32::from_rgb(sym.pictogram.r, sym.pictogram.g, sym.pictogram.b),
    );
}

/// One checkbox per waypoint kind present (with its map icon and count).
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
            swatch(ui, kind, model.night);
            let mut on = model.prefs.shows(kind);
            if ui.checkbox(&mut on, format!("{kind} ({n})")).changed() {
                cmds.push(Command::ShowKind(kind, on));
            }
        });
    }
}

/// The colour of a surface class on mix bars (the same on paper: `scene::theme`).
fn surface_color(c: crate::core::roadbook::SurfaceClass) -> egui::Color32 {
    let k = crate::scene::theme::surface_color(c);
    egui::Color32::from_rgb(k.r, k.g, k.b)
}

/// The route's surface mix: a bar and the figures ("62.0 mi paved (85%)").
fn surface_ui(ui: &mut egui::Ui, b: &crate::core::roadbook::Breakdown, units: crate::app::Units) {
    let total = b.total_m();
    if total <= 0.0 {
        return;
    }
    surface_bar(ui, b);
    let text: Vec<String> = b
        .ranked()
        .iter()
        .map(|(c, m)| {
            format!(
                "{} {} ({:.0}%)",
                units.distance(*m),
                c.words(),
                100.0 * m / total
            )
        })
        .collect();
    ui.label(format!("surface: {}", text.join(", ")));
}

/// A surface-mix bar, as wide as the panel allows.
fn surface_bar(ui: &mut egui::Ui, b: &crate::core::roadbook::Breakdown) {
    let total = b.total_m();
    if total <= 0.0 {
        return;
    }
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width().min(260.0), 10.0),
        egui::Sense::hover(),
    );
    let mut x = rect.left();
    for (c, m) in b.ranked() {
        let w = rect.width() * (m / total) as f32;
        let r =
            egui::Rect::from_min_max(egui::pos2(x, rect.top()), egui::pos2(x + w, rect.bottom()));
        ui.painter().rect_filled(r, 0.0, surface_color(c));
        x += w;
    }
}

/// The tactical overview, folded: a line per section and its warnings.
fn overview_ui(ui: &mut egui::Ui, o: &crate::core::overview::Overview, units: crate::app::Units) {
    let warn = egui::Color32::from_rgb(200, 60, 40);
    let n_warn: usize =
        o.warnings.len() + o.sections.iter().map(|s| s.warnings.len()).sum::<usize>();
    egui::CollapsingHeader::new(format!(
        "Overview: {} sections, {n_warn} warnings",
        o.sections.len()
    ))
    .id_salt("route_overview")
    .show(ui, |ui| {
        for w in &o.warnings {
            ui.colored_label(warn, w);
        }
        for (i, s) in o.sections.iter().enumerate() {
            ui.label(
                egui::RichText::new(format!(
                    "{}: {} to {}",
                    i + 1,
                    units.distance(s.from_m),
                    units.distance(s.to_m)
                ))
                .strong(),
            );
            surface_bar(ui, &s.surface);
            let fuel: Vec<&str> = s.fuel.iter().map(|f| f.name.as_str()).collect();
            if !fuel.is_empty() {
                ui.label(format!("fuel: {}", fuel.join(", ")));
            }
            for w in &s.warnings {
                ui.colored_label(warn, w);
            }
        }
    });
}
