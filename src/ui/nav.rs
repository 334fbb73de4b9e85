//! The right panel: position, route progress and warnings, what is ahead on the route, the
//! nearest fuel, campgrounds and checkpoints, and the fuel-gap logistics.

use eframe::egui;

use crate::app::state::{compass, duration};
use crate::app::{Command, HereFrom, Model};
use crate::core::coords;
use crate::core::geodesy::{bearing_deg, distance_m};
use crate::core::logistics::GapEnd;
use crate::scene::theme;

fn warn_color() -> egui::Color32 {
    let c = theme::WARNING;
    egui::Color32::from_rgb(c.r, c.g, c.b)
}

/// Everything for the driver.
pub fn nav_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    position_ui(ui, model);
    ui.separator();
    if model.highlighted.is_some() {
        waypoint_ui(ui, model, cmds);
        ui.separator();
    }
    route_ui(ui, model, cmds);
    ui.separator();
    nearest_ui(ui, model, cmds);
    ui.separator();
    logistics_ui(ui, model, cmds);
}

/// Where: coordinates with datum, speed, course, atlas page and cell.
pub fn position_ui(ui: &mut egui::Ui, model: &Model) {
    let units = model.prefs.units;
    match model.gps.fix {
        Some(f) => {
            ui.heading("Position");
            ui.label(coords::format(
                f.pos,
                model.prefs.coord_format,
                model.prefs.datum,
            ));
            let mut line = Vec::new();
            if let Some(v) = f.speed_mps {
                line.push(units.speed(v));
            }
            if let Some(c) = f.course_deg {
                line.push(format!("heading {c:.0}° {}", compass(c)));
            }
            if let Some(e) = f.ele_m {
                line.push(match units {
                    crate::app::Units::Imperial => format!("{:.0} ft", e / 0.3048),
                    crate::app::Units::Metric => format!("{e:.0} m"),
                });
            }
            if !line.is_empty() {
                ui.label(line.join(" · "));
            }
        }
        None => {
            ui.heading("Map centre");
            ui.label(coords::format(
                model.view.center,
                model.prefs.coord_format,
                model.prefs.datum,
            ));
            ui.label(egui::RichText::new("no GPS: distances from the map centre").weak());
        }
    }
    match &model.atlas_ref {
        Some((page, cell)) => ui.label(format!("Atlas page {page}, {cell}")),
        None if model.selected.is_some() => ui.label("Atlas: off the pages"),
        None => ui.label(""),
    };
}

/// The highlighted waypoint: name, kind, coordinates, distance and bearing from here, notes.
pub fn waypoint_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let Some(w) = model.highlighted.and_then(|id| model.waypoint(id)) else {
        return;
    };
    ui.horizontal(|ui| {
        ui.heading(model.waypoint_label(w.id));
        if ui.small_button("Clear").clicked() {
            cmds.push(Command::Highlight(None));
        }
        if ui.small_button("Go to").clicked() {
            cmds.push(Command::ShowWaypoint(w.id));
        }
    });
    ui.label(format!("{}", w.wpt.kind));
    if let Some(sym) = &w.wpt.sym {
        ui.label(egui::RichText::new(format!("Garmin symbol: {sym}")).weak());
    }
    // Every format in the chosen datum, so the GPS can be checked against any paper map.
    egui::Grid::new("waypoint_coords")
        .num_columns(2)
        .show(ui, |ui| {
            for f in coords::CoordFormat::ALL {
                ui.label(egui::RichText::new(f.name().to_uppercase()).weak());
                let text = coords::format(w.wpt.pos, f, model.prefs.datum);
                if f == model.prefs.coord_format {
                    ui.strong(text);
                } else {
                    ui.label(text);
                }
                ui.end_row();
            }
        });
    if let Some(e) = w.wpt.ele_m {
        ui.label(match model.prefs.units {
            crate::app::Units::Imperial => format!("elevation {:.0} ft", e / 0.3048),
            crate::app::Units::Metric => format!("elevation {e:.0} m"),
        });
    }
    if let Some(here) = model.here {
        let d = distance_m(here.pos, w.wpt.pos);
        let b = bearing_deg(here.pos, w.wpt.pos);
        ui.label(format!(
            "{} {} ({b:.0}°) {}",
            model.prefs.units.distance(d),
            compass(b),
            here.from.label()
        ));
    }
    if let Some(osm) = crate::core::map::merge::osm_of_waypoint_id(w.id) {
        ui.label(
            egui::RichText::new(format!("from OpenStreetMap map data ({})", osm.to_text()))
                .small()
                .weak(),
        );
    }
    for note in [&w.wpt.cmt, &w.wpt.desc].into_iter().flatten() {
        ui.label(egui::RichText::new(note).weak());
    }
}

/// Progress on the route, the off-route warning and what comes next along it.
pub fn route_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let units = model.prefs.units;
    let Some(sel) = &model.selected else {
        ui.label("No route selected");
        return;
    };
    ui.heading("Along the route");
    ui.label(egui::RichText::new(sel.name()).strong());
    if let Some(g) = &model.guidance {
        if g.off_route {
            ui.colored_label(
                warn_color(),
                egui::RichText::new(format!("OFF ROUTE by {}", units.distance(g.off_route_m)))
                    .strong(),
            );
        }
        ui.label(format!(
            "{} done, {} to go",
            units.distance(g.along_m),
            units.distance(g.remaining_m)
        ));
        match (&g.next_fuel, g.eta_fuel_s) {
            (Some(a), eta) => {
                let eta = eta
                    .map(|s| format!(", ETA {}", duration(s)))
                    .unwrap_or_default();
                ui.label(
                    egui::RichText::new(format!(
                        "Next fuel: {} in {}{eta}",
                        model.waypoint_label(a.id),
                        units.distance(a.ahead_m)
                    ))
                    .strong(),
                );
            }
            (None, _) => {
                ui.colored_label(warn_color(), "No fuel ahead on this route");
            }
        }
        if let Some(v) = g.avg_speed_mps {
            ui.label(egui::RichText::new(format!("average {}", units.speed(v))).weak());
        }
    } else if let Some((along, off)) = model.here_on_route {
        ui.label(format!(
            "map centre: {} from start, {} off the route; {} long",
            units.distance(along),
            units.distance(off),
            sel.nav
                .as_ref()
                .map(|n| units.distance(n.logistics.length_m))
                .unwrap_or_default()
        ));
    }
    if model.ahead.is_empty() {
        ui.label("Nothing ahead of the shown kinds");
    } else {
        ui.label(egui::RichText::new("Ahead").small().weak());
        for a in &model.ahead {
            let text = format!(
                "{} {} in {}",
                theme::symbol(a.kind).glyph,
                model.waypoint_label(a.id),
                units.distance(a.ahead_m)
            );
            if ui
                .selectable_label(model.highlighted == Some(a.id), text)
                .clicked()
            {
                cmds.push(Command::ShowWaypoint(a.id));
            }
        }
    }
}

/// Nearest waypoints of the listed kinds by air, with distance and bearing, and how far
/// along the route ahead each one is.
pub fn nearest_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let units = model.prefs.units;
    let from = model.here.map_or(HereFrom::Centre, |h| h.from);
    ui.horizontal(|ui| {
        ui.heading("Nearest");
        ui.label(egui::RichText::new(from.label()).weak());
        if from == HereFrom::Picked && ui.small_button("Clear").clicked() {
            cmds.push(Command::Pick(None));
        }
    });
    if from != HereFrom::Picked {
        ui.label(
            egui::RichText::new("click the map to measure from a point")
                .small()
                .weak(),
        );
    }
    for (kind, list) in &model.nearest {
        if list.is_empty() {
            continue;
        }
        ui.label(egui::RichText::new(format!("{kind}")).small().weak());
        for row in list {
            let n = &row.nearest;
            let ahead = row
                .ahead_m
                .map(|a| format!(", {} ahead on route", units.distance(a)))
                .unwrap_or_default();
            let text = format!(
                "{}: {} {} ({:.0}°){ahead}",
                model.waypoint_label(n.id),
                units.distance(n.distance_m),
                compass(n.bearing_deg),
                n.bearing_deg
            );
            if ui
                .selectable_label(model.highlighted == Some(n.id), text)
                .clicked()
            {
                cmds.push(Command::ShowWaypoint(n.id));
            }
        }
    }
}

/// Fuel gaps of the selected route against the range; gaps over it are marked.
pub fn logistics_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let units = model.prefs.units;
    let Some(nav) = model.nav() else { return };
    ui.heading("Fuel logistics");
    let per = units.m_per_long_unit();
    let mut range = (model.prefs.fuel_range_m / per).round();
    ui.horizontal(|ui| {
        ui.label("Range");
        let r = ui.add(
            egui::DragValue::new(&mut range)
                .range(10.0..=2000.0)
                .speed(5.0)
                .suffix(format!(" {}", units.long_unit())),
        );
        if r.changed() {
            cmds.push(Command::SetFuelRange(range * per));
        }
        ui.label(format!("−{:.0}% reserve", model.prefs.fuel_reserve * 100.0));
    });
    let lg = &nav.logistics;
    let e = &lg.elevation;
    let climb = match (e.gain_m, units) {
        (Some(g), crate::app::Units::Imperial) => format!("{:.0} ft climb", g / 0.3048),
        (Some(g), crate::app::Units::Metric) => format!("{g:.0} m climb"),
        // Unknown is not zero.
        (None, _) => "no elevation data".to_string(),
    };
    ui.label(format!("{} long, {climb}", units.distance(lg.length_m)));
    let end_name = |end: &GapEnd| match end {
        GapEnd::Start => "start".to_string(),
        GapEnd::End => "end".to_string(),
        GapEnd::Waypoint(id) => model.waypoint_label(*id),
    };
    let over = lg.fuel_gaps.iter().filter(|g| g.exceeds_limit).count();
    if over > 0 {
        ui.colored_label(
            warn_color(),
            format!(
                "! {over} fuel gap{} longer than the usable {}",
                if over == 1 { "" } else { "s" },
                units.distance(model.prefs.usable_range_m())
            ),
        );
    }
    for g in &lg.fuel_gaps {
        let text = format!(
            "{} to {}: {}",
            end_name(&g.from),
            end_name(&g.to),
            units.distance(g.gap_m)
        );
        if g.exceeds_limit {
            ui.colored_label(warn_color(), format!("! {text}"));
        } else {
            ui.label(text);
        }
    }
}
