//! The desktop app's atlas book, print dialog, nearest panel, route and waypoint panels and
//! shortcuts, driven through egui_kittest as a person would (clicks, keys, typing).

use std::process::Command as Proc;
use std::time::{Duration, Instant};

use eframe::egui::Key;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

use trailatlas::app::book::PrintState;
use trailatlas::app::{Command, Mode, NavApp};
use trailatlas::core::model::{LineKind, WaypointKind};
use trailatlas::scene::Item;
use trailatlas::store::Store;

use crate::app::{SAMPLE, harness, import, labels_containing, root, sample_store, selected_name};

/// The sample with its atlas at 1:50,000 in portrait, so the book has several map pages (at the
/// default 1:100,000 the 20 km loop fits on one) and fitting a page's width makes it taller.
fn sample_app() -> (tempfile::TempDir, Harness<'static, NavApp>) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(NavApp::new(sample_store(&dir), None));
    h.state_mut()
        .apply(Command::SetAtlas(trailatlas::app::book::AtlasSettings {
            scale: 50_000,
            orientation: trailatlas::core::atlas::Orientation::Portrait,
            ..Default::default()
        }));
    h.run_steps(2);
    (dir, h)
}

/// Runs frames until `done` or 60 s.
fn run_until(h: &mut Harness<'_, NavApp>, done: impl Fn(&NavApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out");
        std::thread::sleep(Duration::from_millis(20));
        h.run_steps(1);
    }
    h.run_steps(2);
}

/// Clicks "Write PDF" and waits for the job; returns how it ended.
fn write_pdf(h: &mut Harness<'_, NavApp>) -> PrintState {
    h.get_by_label("Write PDF").click();
    run_until(h, |a| {
        a.model
            .print
            .as_ref()
            .is_some_and(|p| matches!(p.state, PrintState::Done(..) | PrintState::Failed(_)))
    });
    h.state().model.print.as_ref().unwrap().state.clone()
}

#[test]
fn picking_a_nearest_result_centres_the_map_on_it_and_shows_every_coordinate_format() {
    let (_dir, mut h) = sample_app();
    let m = &h.state().model;
    let (_, fuel) = m
        .nearest
        .iter()
        .find(|(k, _)| *k == WaypointKind::Fuel)
        .expect("nearest fuel listed");
    let target = fuel[0].nearest.id;
    let name = m.waypoint_name(target);
    let pos = m.waypoint(target).unwrap().wpt.pos;
    assert_ne!(m.view.center, pos);
    // The row as the panel shows it: "Name: 12.3 mi NE (45°), 20.1 mi ahead on route".
    let row = h
        .query_all_by(|n| {
            n.role() == Role::Button
                && n.label()
                    .is_some_and(|l| l.starts_with(&format!("{name}:")))
        })
        .next()
        .expect("nearest row");
    row.click();
    h.run_steps(3);
    let m = &h.state().model;
    assert_eq!(m.highlighted, Some(target));
    assert!(
        (m.view.center.lat - pos.lat).abs() < 1e-9 && (m.view.center.lon - pos.lon).abs() < 1e-9
    );
    // The details show the waypoint in all five formats, in the chosen datum.
    for f in ["DD", "DMS", "DDM", "UTM", "MGRS"] {
        assert!(!labels_containing(&h, f).is_empty(), "no {f} row");
    }
    let utm = trailatlas::core::coords::format(
        pos,
        trailatlas::core::coords::CoordFormat::Utm,
        trailatlas::core::coords::Datum::Wgs84,
    );
    assert!(!labels_containing(&h, &utm).is_empty(), "{utm}");
}

#[test]
fn clicking_the_map_measures_nearest_from_that_point_until_cleared() {
    let (_dir, mut h) = sample_app();
    use eframe::egui::{Event, Modifiers, PointerButton};
    let r = h.get_by_label("Map").rect();
    // Somewhere off any symbol: near the map's top-left corner.
    let at = r.min + eframe::egui::vec2(15.0, 15.0);
    h.event(Event::PointerMoved(at));
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos: at,
            button: PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    h.run_steps(3);
    let m = &h.state().model;
    let picked = m.picked.expect("a picked point");
    assert_eq!(m.here.unwrap().pos, picked);
    assert!(!labels_containing(&h, "from the picked point").is_empty());
    h.get_by_label("Clear").click();
    h.run_steps(3);
    assert!(h.state().model.picked.is_none());
    assert!(!labels_containing(&h, "from map centre").is_empty());
}

#[test]
fn atlas_pages_turn_through_edge_link_labels() {
    let (_dir, mut h) = sample_app();
    h.get_by_label("Atlas book").click();
    h.run_steps(3);
    assert_eq!(h.state().model.mode, Mode::Atlas);
    assert_eq!(h.state().model.book.page, 1, "the book opens on the index");
    let len = h.state().model.book.len;
    assert!(len >= 4, "index, map pages and cue sheet: {len}");
    // The index's frames and numbers lead to their pages.
    h.get_all_by_label("Go to page 2").next().unwrap().click();
    h.run_steps(3);
    assert_eq!(h.state().model.book.page, 2);
    // On a map page, each "to N" edge label is a link to page N where the label is drawn.
    let scene = h.state().model.book.scene.clone().unwrap();
    let link = scene
        .links
        .first()
        .expect("page 2 has an edge link")
        .to_page;
    let label = scene
        .items
        .iter()
        .find_map(|i| match i {
            Item::Label(l) if l.text == format!("to {link}") => Some(l.bounds()),
            _ => None,
        })
        .expect("the link's label");
    assert!(scene.links.iter().any(|l| {
        l.to_page == link
            && l.rect
                .contains([label.x + label.w / 2.0, label.y + label.h / 2.0])
    }));
    h.get_all_by_label(&format!("Go to page {link}"))
        .next()
        .unwrap()
        .click();
    h.run_steps(3);
    assert_eq!(h.state().model.book.page, link);
    assert_eq!(
        h.state().model.book.scene.as_ref().unwrap().page_number,
        Some(link)
    );
    // Keys: Page Down, Page Up, Home.
    h.key_press(Key::PageUp);
    h.run_steps(2);
    assert_eq!(h.state().model.book.page, link - 1);
    h.key_press(Key::Home);
    h.run_steps(2);
    assert_eq!(h.state().model.book.page, 1);
    h.get_by_label("Next >").click();
    h.run_steps(2);
    assert_eq!(h.state().model.book.page, 2);
    // Fit width: the page grows to the panel's width and scrolls, so small print reads.
    let before = h.get_by_label("Atlas page 2").rect();
    h.get_by_label("Fit width").click();
    h.run_steps(3);
    let after = h.get_by_label("Atlas page 2").rect();
    assert!(
        after.height() > before.height() * 1.2,
        "{before:?} -> {after:?}"
    );
    // Links in view still work on the larger page.
    let link = h
        .query_all_by(|n| n.label().is_some_and(|l| l.starts_with("Go to page ")))
        .next()
        .expect("a link in view");
    let to: u32 = link
        .accesskit_node()
        .label()
        .unwrap()
        .trim_start_matches("Go to page ")
        .parse()
        .unwrap();
    link.click();
    h.run_steps(3);
    assert_eq!(h.state().model.book.page, to);
}

/// Clicks the widget showing `text` (a button's label or a combo box's value).
fn click_text(h: &Harness<'_, NavApp>, text: &str) {
    h.query_all_by(|n| {
        n.role() != Role::TextRun
            && n.role() != Role::Label
            && (n.label().is_some_and(|l| l == text) || n.value().is_some_and(|v| v == text))
    })
    .next()
    .unwrap_or_else(|| panic!("no widget shows {text:?}"))
    .click();
}

fn have(tool: &str) -> bool {
    let ok = Proc::new(tool).arg("-v").output().is_ok();
    if !ok {
        eprintln!(
            "skipping the PDF read-back: {tool} is not installed (apt-get install poppler-utils)"
        );
    }
    ok
}

fn pdf_pages(path: &std::path::Path) -> usize {
    let out = Proc::new("pdfinfo").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap()
}

fn pdf_text(path: &std::path::Path) -> String {
    let out = Proc::new("pdftotext").arg(path).arg("-").output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_print_dialog_writes_the_atlas_as_a_pdf() {
    let (dir, mut h) = sample_app();
    h.key_press_modifiers(eframe::egui::Modifiers::COMMAND, Key::P);
    h.run_steps(3);
    assert!(h.state().model.print.is_some(), "Ctrl+P opens the dialog");
    // Choose a scale from the combo box, as a person would.
    click_text(&h, "1:50,000");
    h.run_steps(2);
    click_text(&h, "1:250,000");
    h.run_steps(3);
    let dialog = h.state().model.print.clone().unwrap();
    assert_eq!(dialog.settings.atlas.scale, 250_000);
    assert_eq!(
        h.state().model.prefs.atlas.scale,
        250_000,
        "the map's frames follow"
    );
    let pages = dialog.book_len;
    assert_eq!(dialog.settings.to_page, pages, "all pages by default");
    // The file name: select the field, replace its text.
    let out = dir.path().join("loop atlas.pdf");
    let field = h.get_by_role_and_label(Role::TextInput, "Save as");
    field.click();
    h.run_steps(1);
    h.key_press_modifiers(eframe::egui::Modifiers::COMMAND, Key::A);
    h.get_by_role_and_label(Role::TextInput, "Save as")
        .type_text(out.to_str().unwrap());
    h.run_steps(2);
    assert_eq!(
        h.state().model.print.as_ref().unwrap().settings.output,
        out.to_str().unwrap()
    );
    let state = write_pdf(&mut h);
    assert!(
        matches!(state, PrintState::Done(ref p, _) if *p == out),
        "{state:?}"
    );
    assert!(!labels_containing(&h, "Open PDF").is_empty());
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    if have("pdfinfo") && have("pdftotext") {
        assert_eq!(pdf_pages(&out), pages as usize);
        let text = pdf_text(&out);
        assert!(text.contains(&format!("{SAMPLE}: atlas index")), "{text}");
        assert!(text.contains("1:250,000"), "{text}");
    }
    // A page range prints only those pages.
    let mut s = h.state().model.print.as_ref().unwrap().settings.clone();
    s.from_page = 2;
    s.to_page = 2;
    s.output = dir.path().join("page2.pdf").display().to_string();
    h.state_mut().apply(Command::EditPrint(s));
    write_pdf(&mut h);
    let page2 = dir.path().join("page2.pdf");
    if have("pdfinfo") {
        assert_eq!(pdf_pages(&page2), 1);
        assert!(!pdf_text(&page2).contains("atlas index"));
    }
    // A folder that does not exist is an error in the dialog, and no file appears.
    let mut s = h.state().model.print.as_ref().unwrap().settings.clone();
    s.output = dir.path().join("nope/x.pdf").display().to_string();
    h.state_mut().apply(Command::EditPrint(s));
    let state = write_pdf(&mut h);
    assert!(
        matches!(state, PrintState::Failed(ref e) if e.contains("nope")),
        "{state:?}"
    );
    h.get_by_label("Close").click();
    h.run_steps(2);
    assert!(h.state().model.print.is_none());
}

#[test]
fn a_real_basecamp_export_imports_from_the_panel_and_is_listed() {
    let Some(real) = crate::support::real_fixtures() else {
        return;
    };
    let file = real.join("gpsbabel-basecamp.gpx");
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &root().join("data/sample-andorra-loop.gpx"));
    let mut h = harness(NavApp::new(store, None));
    let field = h.get_by_role_and_label(Role::TextInput, "GPX file or folder");
    field.click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "GPX file or folder")
        .type_text(file.to_str().unwrap());
    h.run_steps(1);
    h.get_by_label("Import GPX").click();
    h.run_steps(4);
    let m = &h.state().model;
    let new = m
        .lines
        .iter()
        .find(|l| {
            l.kind != LineKind::Drive
                && l.source
                    .as_deref()
                    .is_some_and(|s| s.ends_with("gpsbabel-basecamp.gpx"))
        })
        .unwrap_or_else(|| panic!("{:?}", m.lines));
    // Listed in the routes panel, and selected.
    let name = trailatlas::app::line_name(new);
    assert!(!labels_containing(&h, &name).is_empty());
    assert_eq!(selected_name(&h), name);
}

#[test]
fn hiding_a_track_takes_it_off_the_map() {
    let (_dir, mut h) = sample_app();
    h.key_press(Key::Minus);
    let count = |h: &Harness<'_, NavApp>| {
        h.state()
            .model
            .view_scene()
            .items
            .iter()
            .filter(|i| matches!(i, Item::Polyline { .. }))
            .count()
    };
    // Zoom out so both lines are in view.
    for _ in 0..6 {
        h.state_mut().apply(Command::Zoom {
            factor: 0.5,
            at_mm: None,
        });
    }
    h.run_steps(2);
    let before = count(&h);
    let second = h
        .state()
        .model
        .lines
        .iter()
        .find(|l| l.name.as_deref() == Some("Second Track"))
        .unwrap()
        .id;
    // The checkboxes have no text; the second one in the list is the second line.
    let boxes: Vec<_> = h.get_all_by_role(Role::CheckBox).collect();
    assert!(boxes.len() >= 2);
    h.state_mut().apply(Command::ShowLine(second, false));
    h.run_steps(2);
    assert!(h.state().model.hidden.contains(&second));
    assert!(count(&h) < before);
}

#[test]
fn search_narrows_the_waypoint_list() {
    // A tall window: the side panel's sections (import, Garmin, basemap, map data) put the
    // waypoint search below a short one's fold.
    let dir = tempfile::tempdir().unwrap();
    let mut h = crate::app::harness_sized(NavApp::new(sample_store(&dir), None), [1280.0, 1600.0]);
    h.run_steps(2);
    let all = h.state().model.waypoints.len();
    assert!(!labels_containing(&h, &format!("{all} waypoints")).is_empty());
    let field = h.get_by_role_and_label(Role::TextInput, "Search");
    field.click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Search")
        .type_text("esso");
    h.run_steps(2);
    assert_eq!(h.state().model.search, "esso");
    let n = h
        .state()
        .model
        .waypoints
        .iter()
        .filter(|w| {
            w.wpt
                .name
                .as_deref()
                .is_some_and(|n| n.to_lowercase().contains("esso"))
        })
        .count();
    assert!(n >= 1 && n < all);
    assert!(!labels_containing(&h, &format!("{n} waypoints")).is_empty());
}

#[test]
fn keys_pan_zoom_and_switch_night_truck_and_help() {
    let (_dir, mut h) = sample_app();
    let before = h.state().model.view;
    h.key_press(Key::ArrowRight);
    h.run_steps(2);
    let after = h.state().model.view;
    assert!(
        after.center.lon > before.center.lon,
        "right arrow moves east"
    );
    h.key_press(Key::Plus);
    h.run_steps(2);
    assert!(h.state().model.view.m_per_mm < after.m_per_mm);
    h.key_press(Key::D);
    h.run_steps(2);
    assert!(h.state().model.night);
    assert!(h.ctx.global_style().visuals.dark_mode);
    h.key_press(Key::T);
    h.run_steps(3);
    assert!(h.state().model.prefs.truck);
    assert!(h.ctx.zoom_factor() > 1.2);
    h.key_press(Key::F1);
    h.run_steps(2);
    assert!(!labels_containing(&h, "Keyboard shortcuts").is_empty());
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(!h.state().model.help);
    h.key_press(Key::A);
    h.run_steps(2);
    assert_eq!(h.state().model.mode, Mode::Atlas);
    h.key_press(Key::M);
    h.run_steps(2);
    assert_eq!(h.state().model.mode, Mode::Map);
    // Night colours reach the map: the background is dark.
    let dark = trailatlas::scene::theme::night(trailatlas::scene::theme::VIEW_BACKGROUND);
    assert!(u32::from(dark.r) + u32::from(dark.g) + u32::from(dark.b) < 3 * 64);
}

#[test]
fn a_long_route_is_prepared_off_the_ui_thread() {
    // 120 000 points: above the inline limit, so derivation runs on a worker.
    let dir = tempfile::tempdir().unwrap();
    let gpx = dir.path().join("long.gpx");
    let mut text = String::from(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Long</name><trkseg>"#,
    );
    for i in 0..120_000 {
        let f = f64::from(i);
        text.push_str(&format!(
            r#"<trkpt lat="{:.6}" lon="{:.6}"><ele>{:.1}</ele></trkpt>"#,
            44.0 + (f * 0.001).sin() * 0.2,
            -121.0 + f * 0.00002,
            1000.0 + (f * 0.01).sin() * 100.0
        ));
    }
    text.push_str("</trkseg></trk></gpx>");
    std::fs::write(&gpx, text).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &gpx);
    let app = NavApp::new(store, None);
    assert!(app.busy(), "a long route is derived in the background");
    assert!(app.model.selected.as_ref().unwrap().nav.is_none());
    let mut h = harness(app);
    // The window draws meanwhile (the route line is there before its navigation data).
    assert!(!h.state().model.route_path().is_empty());
    run_until(&mut h, |a| !a.busy());
    let nav = h.state().model.nav().expect("derived");
    assert!(nav.guide.atlas().is_some());
    assert!(!nav.profile.is_empty() && nav.profile.len() <= 2_000);
    assert!(!labels_containing(&h, "climb").is_empty());
}

#[test]
fn without_a_display_the_app_says_so_in_one_line_and_points_to_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.sqlite");
    let out = Proc::new(crate::support::bin())
        .arg("--db")
        .arg(&db)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no display") && err.contains("trailatlas --help"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    assert!(
        !db.exists(),
        "nothing is created before the window can open"
    );
}

#[test]
fn the_route_is_drawn_at_every_zoom() {
    let (_dir, mut h) = sample_app();
    let full = h.state().model.route_path().len();
    assert_eq!(full, 5374, "the route followed is the whole track");
    for m_per_mm in [1.0, 40.0, 400.0, 4_000.0] {
        let m = &mut h.state_mut().model;
        m.view.center = trailatlas::core::model::LatLon::new(42.5795800, 1.6400616);
        m.view.m_per_mm = m_per_mm;
        let s = h.state().model.view_scene();
        let n = s
            .items
            .iter()
            .filter(|i| matches!(i, Item::Polyline { stroke, .. } if *stroke == trailatlas::scene::theme::ROUTE))
            .count();
        assert!(n >= 1, "no route at {m_per_mm} m/mm");
    }
}
