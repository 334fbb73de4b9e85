//! The desktop app, driven through egui_kittest (no display, no GPU): clicks, filters, GPS
//! fixes through a channel, follow mode; plus a text snapshot of a fixed view scene.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

use trailatlas::app::NavApp;
use trailatlas::core::model::{LatLon, WaypointKind};
use trailatlas::gps::{Fix, GpsEvent};
use trailatlas::scene::Item;
use trailatlas::scene::build::SceneOptions;
use trailatlas::scene::view::{
    ViewData, ViewLine, ViewLineRef, ViewPosition, ViewSpec, build_view_scene,
};
use trailatlas::store::{ImportOptions, Store};

pub(crate) const SAMPLE: &str = "Sample Andorra Loop";
/// Gasopas at Pas de la Casa (OSM node 292503717), a fuel waypoint of the sample, far from the
/// other stations.
const GASOPAS: LatLon = LatLon::new(42.5466649, 1.7306629);
const GASOPAS_NAME: &str = "Gasopas Grau Roig";

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn import(store: &mut Store, path: &Path) {
    let r = store.import_file(path, ImportOptions::default(), &mut |_| {});
    assert!(r.error.is_none(), "{r:?}");
}

/// The sample plus a short second track 4 km north of it, so selection can change.
pub(crate) fn sample_store(dir: &tempfile::TempDir) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &root().join("data/sample-andorra-loop.gpx"));
    let second = dir.path().join("second.gpx");
    std::fs::write(
        &second,
        r#"<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>Second Track</name><trkseg>
<trkpt lat="42.620" lon="1.500"/><trkpt lat="42.621" lon="1.501"/><trkpt lat="42.622" lon="1.502"/>
</trkseg></trk></gpx>"#,
    )
    .unwrap();
    import(&mut store, &second);
    store
}

pub(crate) fn harness(app: NavApp) -> Harness<'static, NavApp> {
    harness_sized(app, [1280.0, 800.0])
}

/// The app in a headless window of `size` points, run for a few frames.
pub(crate) fn harness_sized(app: NavApp, size: [f32; 2]) -> Harness<'static, NavApp> {
    let mut h = Harness::builder().with_size(size).build_ui_state(
        |ui, app: &mut NavApp| {
            app.poll(ui.ctx());
            app.frame_ui(ui);
        },
        app,
    );
    h.run_steps(3);
    h
}

fn app_with_gps() -> (
    tempfile::TempDir,
    Harness<'static, NavApp>,
    Sender<GpsEvent>,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = NavApp::new(sample_store(&dir), None);
    let (tx, rx) = mpsc::channel();
    app.attach_channel(rx, "test channel");
    // These tests read the panels, which a followed GPS would hide (the driving layout).
    app.apply(trailatlas::app::Command::SetLayout(
        trailatlas::app::Layout::Panels,
    ));
    (dir, harness(app), tx)
}

fn send_fix(h: &mut Harness<'_, NavApp>, tx: &Sender<GpsEvent>, fix: Fix) {
    tx.send(GpsEvent::Fix(fix)).unwrap();
    h.run_steps(3);
}

fn markers_of(h: &Harness<'_, NavApp>, kind: WaypointKind) -> usize {
    h.state()
        .model
        .view_scene()
        .items
        .iter()
        .filter(|i| matches!(i, Item::Marker { kind: k, .. } if *k == kind))
        .count()
}

pub(crate) fn selected_name(h: &Harness<'_, NavApp>) -> String {
    h.state()
        .model
        .selected
        .as_ref()
        .map(|s| s.name())
        .unwrap_or_default()
}

/// Texts of buttons (accessible label) and plain labels (accessible value) containing `text`.
pub(crate) fn labels_containing(h: &Harness<'_, NavApp>, text: &str) -> Vec<String> {
    h.query_all_by(|n| {
        n.role() != eframe::egui::accesskit::Role::TextRun
            && (n.label().is_some_and(|l| l.contains(text))
                || n.value().is_some_and(|v| v.contains(text)))
    })
    .filter_map(|n| {
        n.accesskit_node()
            .label()
            .or_else(|| n.accesskit_node().value())
    })
    .collect()
}

#[test]
fn opens_on_the_first_route_fitted_to_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(NavApp::new(sample_store(&dir), None));
    assert_eq!(selected_name(&h), SAMPLE);
    let view = h.state().model.view;
    let bbox = h
        .state()
        .model
        .selected
        .as_ref()
        .unwrap()
        .summary
        .bbox
        .unwrap();
    let shown = view.bbox();
    assert!(
        shown.min_lat <= bbox.min_lat && shown.max_lat >= bbox.max_lat,
        "{shown:?} vs {bbox:?}"
    );
    assert!(
        shown.min_lon <= bbox.min_lon && shown.max_lon >= bbox.max_lon,
        "{shown:?} vs {bbox:?}"
    );
}

#[test]
fn clicking_a_route_selects_it_and_fits_the_map() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(NavApp::new(sample_store(&dir), None));
    let before = h.state().model.view.m_per_mm;
    h.get_by_label("Second Track").click();
    h.run_steps(3);
    assert_eq!(selected_name(&h), "Second Track");
    let view = h.state().model.view;
    assert!(
        (view.center.lat - 42.621).abs() < 0.001 && (view.center.lon - 1.501).abs() < 0.001,
        "{view:?}"
    );
    assert!(
        view.m_per_mm < before / 10.0,
        "a short track is shown closer: {} vs {before}",
        view.m_per_mm
    );
}

#[test]
fn the_route_option_picks_the_route_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(NavApp::new(sample_store(&dir), Some("second track")));
    assert_eq!(selected_name(&h), "Second Track");
}

#[test]
fn an_unknown_route_goes_to_the_status_line() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(NavApp::new(sample_store(&dir), Some("nowhere")));
    assert!(h.state().model.selected.is_none());
    assert!(!labels_containing(&h, "nowhere").is_empty());
}

#[test]
fn unticking_a_kind_removes_its_markers() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(NavApp::new(sample_store(&dir), None));
    assert_eq!(markers_of(&h, WaypointKind::Fuel), 12);
    h.get_by_label("fuel (12)").click();
    h.run_steps(3);
    assert_eq!(markers_of(&h, WaypointKind::Fuel), 0);
    assert_eq!(
        markers_of(&h, WaypointKind::Campground),
        3,
        "other kinds stay"
    );
    h.get_by_label("fuel (12)").click();
    h.run_steps(3);
    assert_eq!(markers_of(&h, WaypointKind::Fuel), 12);
}

/// Textured rectangles painted last frame with a waypoint icon texture, by texture name.
fn icon_meshes(h: &Harness<'_, NavApp>) -> Vec<String> {
    let names: std::collections::HashMap<_, _> = h
        .ctx
        .tex_manager()
        .read()
        .allocated()
        .filter(|(_, m)| m.name.starts_with("icon-"))
        .map(|(id, m)| (*id, m.name.clone()))
        .collect();
    h.output()
        .shapes
        .iter()
        .filter_map(|c| match &c.shape {
            eframe::egui::Shape::Mesh(m) => names.get(&m.texture_id).cloned(),
            _ => None,
        })
        .collect()
}

#[test]
fn markers_and_kind_swatches_are_drawn_as_icons() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(NavApp::new(sample_store(&dir), None));
    let markers = h
        .state()
        .model
        .view_scene()
        .items
        .iter()
        .filter(|i| matches!(i, Item::Marker { .. }))
        .count();
    let kinds: std::collections::HashSet<_> = h
        .state()
        .model
        .waypoints
        .iter()
        .map(|w| w.wpt.kind)
        .collect();
    let icons = icon_meshes(&h);
    // One icon per marker on the map and one per kind in the filter list; at 5 points per
    // mm a 3.2 mm marker is 16 pixels, as is a swatch.
    assert!(markers >= 4, "{markers}");
    assert_eq!(icons.len(), markers + kinds.len(), "{icons:?}");
    assert_eq!(
        icons
            .iter()
            .filter(|n| n.as_str() == "icon-fuel-16")
            .count(),
        markers_of(&h, WaypointKind::Fuel) + 1
    );
}

#[test]
fn zoom_buttons_change_the_scale() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(NavApp::new(sample_store(&dir), None));
    let before = h.state().model.view.m_per_mm;
    h.get_by_label("+").click();
    h.run_steps(3);
    let zoomed = h.state().model.view.m_per_mm;
    assert!((zoomed - before / 1.5).abs() < 1e-6, "{zoomed} vs {before}");
    h.get_by_label("−").click();
    h.run_steps(3);
    assert!((h.state().model.view.m_per_mm - before).abs() < 1e-6);
}

#[test]
fn a_gps_fix_shows_the_nearest_fuel_with_distance_and_bearing() {
    let (_dir, mut h, tx) = app_with_gps();
    // 0.01° of latitude (1.1 km, 0.7 mi) north of the station.
    let here = LatLon::new(GASOPAS.lat + 0.01, GASOPAS.lon);
    send_fix(&mut h, &tx, Fix::at(here, Some(1_780_304_400_000)));
    let got = labels_containing(&h, &format!("{GASOPAS_NAME}: "));
    assert!(
        got.iter()
            .any(|l| l.starts_with(&format!("{GASOPAS_NAME}: 0.7 mi S (180°)"))),
        "{got:?}"
    );
    assert!(!labels_containing(&h, "from GPS").is_empty());
}

#[test]
fn without_gps_nearest_is_measured_from_the_map_centre() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(NavApp::new(sample_store(&dir), None));
    h.state_mut()
        .apply(trailatlas::app::Command::CenterOn(GASOPAS));
    h.state_mut().refresh();
    h.run_steps(2);
    assert!(!labels_containing(&h, "from map centre").is_empty());
    assert!(
        !labels_containing(&h, &format!("{GASOPAS_NAME}: 0 ft")).is_empty(),
        "{:?}",
        labels_containing(&h, GASOPAS_NAME)
    );
}

#[test]
fn follow_mode_recentres_on_each_fix_until_the_map_is_dragged() {
    let (_dir, mut h, tx) = app_with_gps();
    let a = LatLon::new(42.55, 1.55);
    send_fix(&mut h, &tx, Fix::at(a, None));
    assert_eq!(h.state().model.view.center, a);
    h.state_mut()
        .apply(trailatlas::app::Command::Pan([20.0, 0.0]));
    assert!(!h.state().model.prefs.follow);
    let b = LatLon::new(42.56, 1.56);
    send_fix(&mut h, &tx, Fix::at(b, None));
    assert_ne!(h.state().model.view.center, b, "not following after a drag");
    h.get_by_label("Follow").click();
    h.run_steps(3);
    assert!(h.state().model.prefs.follow);
    assert_eq!(h.state().model.view.center, b);
}

#[test]
fn far_from_the_route_warns_off_route() {
    let (_dir, mut h, tx) = app_with_gps();
    send_fix(&mut h, &tx, Fix::at(LatLon::new(42.70, 1.30), None));
    assert!(!labels_containing(&h, "OFF ROUTE by").is_empty());
}

#[test]
fn driving_the_route_gives_next_fuel_with_eta_and_an_atlas_page() {
    let (_dir, mut h, tx) = app_with_gps();
    let path: Vec<LatLon> = h.state().model.route_path().to_vec();
    // The first 120 track points, 5 s apart.
    for (i, p) in path.iter().take(120).enumerate() {
        tx.send(GpsEvent::Fix(Fix::at(
            *p,
            Some(1_780_304_400_000 + i as i64 * 5_000),
        )))
        .unwrap();
    }
    h.run_steps(3);
    let next = labels_containing(&h, "Next fuel: ");
    assert!(
        next.iter().any(|l| l.contains(" in ") && l.contains("ETA")),
        "{next:?}"
    );
    assert!(!labels_containing(&h, "Atlas page ").is_empty());
    assert!(h.state().model.gps.breadcrumbs.len() > 50);
}

#[test]
fn units_switch_to_kilometres() {
    let (_dir, mut h, tx) = app_with_gps();
    h.state_mut().apply(trailatlas::app::Command::SetUnits(
        trailatlas::app::Units::Metric,
    ));
    let here = LatLon::new(GASOPAS.lat + 0.01, GASOPAS.lon);
    send_fix(&mut h, &tx, Fix::at(here, None));
    assert!(!labels_containing(&h, &format!("{GASOPAS_NAME}: 1.1 km S")).is_empty());
}

#[test]
fn a_fixed_view_scene_matches_its_snapshot() {
    let route = [
        LatLon::new(44.00, -121.30),
        LatLon::new(44.02, -121.28),
        LatLon::new(44.03, -121.25),
    ];
    let fuel = trailatlas::core::model::Waypoint {
        name: Some("Fuel Stop".into()),
        kind: WaypointKind::Fuel,
        pos: LatLon::new(44.021, -121.281),
        ..Default::default()
    };
    let spec = ViewSpec {
        center: LatLon::new(44.015, -121.275),
        m_per_mm: 40.0,
        size_mm: (160.0, 100.0),
        rotation_deg: 0.0,
    };
    let route = ViewLine::new(route.to_vec());
    let data = ViewData {
        route: Some(ViewLineRef {
            line: &route,
            color: None,
        }),
        waypoints: &[&fuel],
        position: Some(ViewPosition {
            pos: LatLon::new(44.01, -121.29),
            course_deg: Some(45.0),
            accuracy_m: Some(200.0),
        }),
        imperial: true,
        graticule: true,
        ..Default::default()
    };
    let dump = build_view_scene(&spec, &data, &SceneOptions::default()).dump();
    let path = root().join("tests/snapshots/view_scene.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &dump).unwrap();
    }
    let want =
        std::fs::read_to_string(&path).expect("snapshot missing: run with UPDATE_SNAPSHOTS=1");
    assert_eq!(
        dump, want,
        "view scene changed; rerun with UPDATE_SNAPSHOTS=1 if intended"
    );
}

#[test]
fn course_up_turns_the_map_to_the_course() {
    let (_dir, mut h, tx) = app_with_gps();
    h.get_by_label("North up").click();
    h.run_steps(3);
    assert!(!h.state().model.prefs.north_up);
    let mut fix = Fix::at(LatLon::new(42.55, 1.55), None);
    fix.course_deg = Some(90.0);
    fix.speed_mps = Some(15.0);
    send_fix(&mut h, &tx, fix);
    assert_eq!(h.state().model.view.rotation_deg, 90.0);
    // Stopped: the course is noise, the map keeps its rotation.
    fix.course_deg = Some(200.0);
    fix.speed_mps = Some(0.2);
    send_fix(&mut h, &tx, fix);
    assert_eq!(h.state().model.view.rotation_deg, 90.0);
    h.get_by_label("Course up").click();
    h.run_steps(3);
    assert_eq!(h.state().model.view.rotation_deg, 0.0);
}

#[test]
fn recording_stores_the_fixes_as_a_drive() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rec.sqlite");
    let mut store = Store::open(&db).unwrap();
    import(&mut store, &root().join("data/sample-andorra-loop.gpx"));
    let mut app = NavApp::new(store, None);
    let (tx, rx) = mpsc::channel();
    app.attach_channel(rx, "test channel");
    app.attach_recorder(trailatlas::gps::recorder::Recorder::new(
        Store::open(&db).unwrap(),
        trailatlas::gps::recorder::SystemClock,
        Some("Test drive".into()),
    ));
    let mut h = harness(app);
    for i in 0..20 {
        let p = LatLon::new(42.5 - f64::from(i) * 0.001, 1.52);
        tx.send(GpsEvent::Fix(Fix::at(
            p,
            Some(1_780_304_400_000 + i64::from(i) * 1000),
        )))
        .unwrap();
    }
    h.run_steps(3);
    h.state_mut().flush_recording();
    let drives = Store::open(&db).unwrap().drives().unwrap();
    assert_eq!(drives.len(), 1, "{drives:?}");
    assert_eq!(drives[0].points, 20);
    assert_eq!(drives[0].name.as_deref(), Some("Test drive"));
}

#[test]
fn dragging_the_map_pans_it_and_stops_following() {
    use eframe::egui::{Event, Modifiers, PointerButton, Pos2};
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(NavApp::new(sample_store(&dir), None));
    let before = h.state().model.view.center;
    let press = |pos: Pos2, pressed: bool| Event::PointerButton {
        pos,
        button: PointerButton::Primary,
        pressed,
        modifiers: Modifiers::NONE,
    };
    let (a, b) = (Pos2::new(600.0, 400.0), Pos2::new(700.0, 400.0));
    h.event(Event::PointerMoved(a));
    h.event(press(a, true));
    for x in [620.0, 650.0, 680.0, 700.0] {
        h.event(Event::PointerMoved(Pos2::new(x, 400.0)));
    }
    h.event(press(b, false));
    h.run_steps(6);
    let after = h.state().model.view.center;
    assert!(
        after.lon < before.lon - 0.01,
        "dragging right moves the view west: {before:?} -> {after:?}"
    );
    assert!((after.lat - before.lat).abs() < 0.01);
    assert!(!h.state().model.prefs.follow);
}

#[test]
fn clicking_a_waypoint_on_the_map_shows_its_details() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(NavApp::new(sample_store(&dir), None));
    let map = h.get_by_label("Map").rect();
    let q = h.state().model.view.projector().mm_from_world(GASOPAS);
    let px = trailatlas::ui::map_view::SCREEN_PT_PER_MM;
    let at = map.min + eframe::egui::vec2(q[0] as f32 * px, q[1] as f32 * px);
    h.event(eframe::egui::Event::PointerMoved(at));
    h.run_steps(2);
    h.event(eframe::egui::Event::PointerButton {
        pos: at,
        button: eframe::egui::PointerButton::Primary,
        pressed: true,
        modifiers: eframe::egui::Modifiers::NONE,
    });
    h.event(eframe::egui::Event::PointerButton {
        pos: at,
        button: eframe::egui::PointerButton::Primary,
        pressed: false,
        modifiers: eframe::egui::Modifiers::NONE,
    });
    h.run_steps(4);
    let id = h
        .state()
        .model
        .highlighted
        .expect("a waypoint is highlighted");
    assert_eq!(h.state().model.waypoint_name(id), GASOPAS_NAME);
    assert!(!labels_containing(&h, "N42°32.800' E001°43.840' WGS84").is_empty());
    h.get_by_label("Clear").click();
    h.run_steps(3);
    assert_eq!(h.state().model.highlighted, None);
}

#[test]
fn preferences_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prefs.json");
    let mut app = NavApp::new(sample_store(&dir), None).with_prefs_file(file.clone());
    app.apply(trailatlas::app::Command::SetUnits(
        trailatlas::app::Units::Metric,
    ));
    app.apply(trailatlas::app::Command::ShowKind(
        WaypointKind::Gate,
        false,
    ));
    app.save_prefs();
    let again = NavApp::new(sample_store(&dir), None).with_prefs_file(file);
    assert_eq!(again.model.prefs.units, trailatlas::app::Units::Metric);
    assert!(!again.model.prefs.shows(WaypointKind::Gate));
}

#[test]
fn importing_a_file_from_the_panel_adds_and_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &root().join("data/sample-andorra-loop.gpx"));
    let mut h = harness(NavApp::new(store, None));
    let file = dir.path().join("third.gpx");
    std::fs::write(
        &file,
        r#"<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<wpt lat="45.51" lon="-122.69"><name>Portland Fuel</name><sym>Gas Station</sym></wpt>
<trk><name>Third Track</name><trkseg>
<trkpt lat="45.50" lon="-122.70"/><trkpt lat="45.52" lon="-122.68"/>
</trkseg></trk></gpx>"#,
    )
    .unwrap();
    let field = (
        eframe::egui::accesskit::Role::TextInput,
        "GPX file or folder",
    );
    h.get_by_role_and_label(field.0, field.1).click();
    h.run_steps(2);
    h.get_by_role_and_label(field.0, field.1)
        .type_text(file.to_str().unwrap());
    h.run_steps(2);
    h.get_by_label("Import GPX").click();
    h.run_steps(4);
    assert_eq!(
        selected_name(&h),
        "Third Track",
        "status {:?}",
        h.state().model.status
    );
    assert!(
        h.state()
            .model
            .waypoints
            .iter()
            .any(|w| w.wpt.name.as_deref() == Some("Portland Fuel"))
    );
    assert!(!labels_containing(&h, "imported 1 file").is_empty());
    // A bad path is a status message, not a crash.
    h.state_mut().apply(trailatlas::app::Command::Import(
        dir.path().join("missing.gpx"),
    ));
    h.run_steps(2);
    assert!(!labels_containing(&h, "failed 1").is_empty());
}

#[test]
fn stopping_the_gps_detaches_the_source() {
    let (_dir, mut h, tx) = app_with_gps();
    send_fix(&mut h, &tx, Fix::at(LatLon::new(42.55, 1.55), None));
    h.get_by_label("Stop GPS").click();
    h.run_steps(3);
    assert_eq!(h.state().model.gps.source, None);
    assert!(h.query_by_label("Stop GPS").is_none());
    // Fixes still sent are ignored: the channel is gone.
    assert!(
        tx.send(GpsEvent::Fix(Fix::at(LatLon::new(42.45, 1.45), None)))
            .is_err()
    );
}

#[test]
fn an_empty_database_opens_with_a_hint_and_tolerates_every_control() {
    let mut h = harness(NavApp::new(Store::open_in_memory().unwrap(), None));
    assert!(!labels_containing(&h, "No routes yet").is_empty());
    for label in ["+", "−", "Fit route", "Follow", "North up"] {
        h.get_by_label(label).click();
        h.run_steps(2);
    }
    let (tx, rx) = mpsc::channel();
    h.state_mut().attach_channel(rx, "test channel");
    send_fix(&mut h, &tx, Fix::at(LatLon::new(0.0, 0.0), None));
    assert!(h.state().model.selected.is_none());
    assert!(!labels_containing(&h, "No route selected").is_empty());
}

#[test]
fn a_single_point_track_is_selectable() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.gpx");
    std::fs::write(
        &one,
        r#"<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>Lonely</name><trkseg><trkpt lat="45.5" lon="-122.7"/></trkseg></trk></gpx>"#,
    )
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &one);
    let mut h = harness(NavApp::new(store, None));
    assert_eq!(selected_name(&h), "Lonely");
    h.get_by_label("Fit route").click();
    h.run_steps(2);
    let v = h.state().model.view;
    assert!(v.m_per_mm.is_finite() && v.m_per_mm > 0.0);
    assert!((v.center.lat - 45.5).abs() < 1e-6);
}

/// A store with one long east-west track (160 km × 11 km): wider than the map area is.
fn wide_track_store(dir: &tempfile::TempDir) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let file = dir.path().join("wide.gpx");
    let mut gpx = String::from(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Wide Track</name><trkseg>"#,
    );
    for i in 0..=40 {
        let lon = 0.5 + i as f64 * 0.05;
        let lat = 42.5 + if i % 2 == 0 { 0.0 } else { 0.1 };
        gpx.push_str(&format!("<trkpt lat=\"{lat}\" lon=\"{lon}\"/>"));
    }
    gpx.push_str("</trkseg></trk></gpx>");
    std::fs::write(&file, gpx).unwrap();
    import(&mut store, &file);
    store
}

fn assert_route_fills_the_view(h: &Harness<'_, NavApp>) {
    let m = &h.state().model;
    let bbox = m.selected.as_ref().unwrap().summary.bbox.unwrap();
    let shown = m.view.bbox();
    assert!(
        shown.min_lon <= bbox.min_lon
            && shown.max_lon >= bbox.max_lon
            && shown.min_lat <= bbox.min_lat
            && shown.max_lat >= bbox.max_lat,
        "the route is cropped: shown {shown:?}, route {bbox:?}"
    );
    // Fitted, not just inside: the route spans most of the window's width.
    let share = (bbox.max_lon - bbox.min_lon) / (shown.max_lon - shown.min_lon);
    assert!(share > 0.6, "the route spans {share:.2} of the view");
}

fn follow_is_lit(h: &Harness<'_, NavApp>) -> bool {
    h.get_by_label("Follow").accesskit_node().toggled()
        == Some(eframe::egui::accesskit::Toggled::True)
}

// Issue 15, defect 5: opening on an existing database showed the route cropped at a fixed
// zoom with Follow lit and no GPS.
#[test]
fn issue_15_opens_fitted_to_a_wide_route_without_follow_lit() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(NavApp::new(wide_track_store(&dir), None));
    assert_route_fills_the_view(&h);
    assert!(!follow_is_lit(&h), "Follow is lit without a GPS position");
}

#[test]
fn issue_15_an_existing_database_with_saved_prefs_opens_fitted() {
    let dir = tempfile::tempdir().unwrap();
    // The prefs a previous session saved (follow on, as it was by default).
    let prefs = dir.path().join("db.prefs.json");
    std::fs::write(&prefs, r#"{"follow": true, "units": "metric"}"#).unwrap();
    let app = NavApp::new(wide_track_store(&dir), None).with_prefs_file(prefs);
    let h = harness_sized(app, [1100.0, 760.0]);
    assert_route_fills_the_view(&h);
    assert!(!follow_is_lit(&h));
}

#[test]
fn issue_15_follow_lights_once_there_is_a_position_to_follow() {
    let (_dir, mut h, tx) = app_with_gps();
    assert!(!follow_is_lit(&h), "no fix yet");
    let a = LatLon::new(42.55, 1.55);
    send_fix(&mut h, &tx, Fix::at(a, None));
    assert!(follow_is_lit(&h));
    assert_eq!(h.state().model.view.center, a);
}

/// With the sample's map imported, the route panel shows the surface mix and the overview,
/// and the driving layout's next change is the next change of road from the roadbook.
#[test]
fn with_map_data_the_route_panel_shows_surface_and_overview_and_the_hud_the_next_road() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = sample_store(&dir);
    let rep = store.import_map_file(
        &root().join("data/andorra.osm.pbf"),
        trailatlas::store::MapImportOptions::default(),
        &mut |_| {},
    );
    assert!(rep.error.is_none());
    let mut app = NavApp::new(store, None);
    let (tx, rx) = mpsc::channel();
    app.attach_channel(rx, "test channel");
    app.apply(trailatlas::app::Command::SetLayout(
        trailatlas::app::Layout::Panels,
    ));
    let mut h = harness(app);
    let rr = h
        .state()
        .model
        .route_roads
        .clone()
        .expect("roads of the route");
    assert!(rr.cues.len() > 20);
    let total = rr.surface.total_m();
    let length = h.state().model.selected.as_ref().unwrap().summary.length_m;
    assert!(
        (total - length).abs() < 0.01 * length,
        "{total} vs {length}"
    );
    assert!(!rr.overview.sections.is_empty());
    h.get_by_label_contains("surface: ");
    let header = h.get_by_label_contains("Overview: ");
    header.click();
    h.run_steps(2);
    h.get_by_label_contains("1: 0 ft to ");
    // The HUD's next change comes from the road cues.
    let cue = &rr.cues[1];
    let along = cue.at_m - 50.0;
    let line = h.state().model.route_path().to_vec();
    let mut acc = 0.0;
    let mut pos = line[0];
    for w in line.windows(2) {
        let d = trailatlas::core::geodesy::distance_m(w[0], w[1]);
        if acc + d >= along {
            pos = w[0];
            break;
        }
        acc += d;
    }
    send_fix(&mut h, &tx, Fix::at(pos, None));
    let next = trailatlas::app::hud::next_change(&h.state().model).expect("next change");
    assert!(
        next.onto == cue.road || next.onto.contains(&cue.road),
        "{next:?} vs {cue:?}"
    );
}

/// The app over a database file in `dir` holding the sample route and the Andorra map (a
/// file, so the map loader and the layer builder run on their workers).
fn andorra_on_file(dir: &Path) -> NavApp {
    let mut store = Store::open(&dir.join("map.sqlite")).unwrap();
    import(&mut store, &root().join("data/sample-andorra-loop.gpx"));
    let rep = store.import_map_file(
        &root().join("data/andorra.osm.pbf"),
        trailatlas::store::MapImportOptions::default(),
        &mut |_| {},
    );
    assert!(rep.error.is_none());
    NavApp::new(store, None)
}

/// A database in a file gets its map loaded by the map loader's worker: the window keeps
/// drawing what it has while a load runs, and takes the new box when it arrives.
#[test]
fn the_map_around_the_view_is_loaded_off_the_ui_thread_and_old_data_drawn_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(andorra_on_file(dir.path()));
    h.state_mut().wait_idle();
    h.run_steps(2);
    let first = h.state().model.map_view.clone();
    assert!(!first.data.is_empty(), "map loaded by the worker");
    let view = h.state().model.view.bbox();
    let b = first.bbox.expect("a loaded box");
    assert!(b.contains(LatLon::new(view.min_lat, view.min_lon)));
    // Zoomed in up the valley: a new load is asked for (another scale); until it arrives
    // the old data stays.
    h.state_mut().model.prefs.follow = false;
    h.state_mut().model.view.center = LatLon::new(42.58, 1.66);
    h.state_mut().model.view.m_per_mm = 10.0;
    h.step();
    assert!(
        !h.state().model.map_view.data.is_empty(),
        "the old map still drawn"
    );
    h.state_mut().wait_idle();
    h.run_steps(2);
    let now = h.state().model.map_view.clone();
    let view = h.state().model.view.bbox();
    let b = now.bbox.expect("a loaded box");
    assert!(
        b.contains(LatLon::new(view.min_lat, view.min_lon))
            && b.contains(LatLon::new(view.max_lat, view.max_lon)),
        "{b:?} holds {view:?}"
    );
    assert!(
        !std::sync::Arc::ptr_eq(&first.data, &now.data),
        "loaded again"
    );
}

/// The texts of `scene`'s labels that name a place of the loaded map.
fn place_labels(scene: &trailatlas::scene::Scene, model: &trailatlas::app::Model) -> usize {
    let places: std::collections::HashSet<&str> = model
        .map_view
        .data
        .places
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    scene
        .items
        .iter()
        .filter(|i| match i {
            Item::Label(l) | Item::TurnedLabel { label: l, .. } => places.contains(l.text.as_str()),
            _ => false,
        })
        .count()
}

#[test]
fn the_map_layer_is_built_off_the_ui_thread_and_a_zoom_draws_the_old_one_scaled_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(andorra_on_file(dir.path()));
    h.state_mut().model.prefs.follow = false;
    // No graticule: its lines come before the map's and are drawn for each zoom.
    h.state_mut().model.prefs.graticule = false;
    h.state_mut().model.view.center = LatLon::new(42.51, 1.55);
    h.state_mut().model.view.m_per_mm = 100.0;
    h.state_mut().wait_idle();
    h.run_steps(2);
    let model = &h.state().model;
    assert!(!model.map_layer.borrow().pending(), "the layer is built");
    let built = model.view_scene();
    let places = place_labels(&built, model);
    assert!(places > 0, "the map's place labels are drawn");
    let roads = |s: &trailatlas::scene::Scene| {
        s.items
            .iter()
            .filter(|i| matches!(i, Item::Polyline { .. }))
            .count()
    };
    let lines = roads(&built);

    // Zoomed in twice: the frame does not build the layer; it draws the old one's geometry
    // scaled (no labels: they would sit at the wrong density) and asks the worker.
    h.state_mut().model.view.m_per_mm = 50.0;
    let model = &h.state().model;
    let stand_in = model.view_scene();
    assert!(model.map_layer.borrow().pending(), "a layer is asked for");
    assert_eq!(
        place_labels(&stand_in, model),
        0,
        "no labels on the stand-in"
    );
    assert!(
        roads(&stand_in) * 2 > lines,
        "the old geometry is drawn meanwhile: {} lines, {lines} before",
        roads(&stand_in)
    );
    // The stand-in's geometry lies where the new layer's will: the same centre, twice the
    // size, so a road point at window offset d from the centre moved to 2d.
    // The map's items come first, in the same order in both.
    let size = model.view.size_mm;
    let (cx, cy) = (size.0 / 2.0, size.1 / 2.0);
    let mut compared = 0;
    for (a, b) in built.items.iter().zip(&stand_in.items).take(200) {
        if let (Item::Polyline { points: p, .. }, Item::Polyline { points: q, .. }) = (a, b) {
            for (p, q) in p.iter().zip(q) {
                let want = [cx + (p[0] - cx) * 2.0, cy + (p[1] - cy) * 2.0];
                assert!(
                    (q[0] - want[0]).hypot(q[1] - want[1]) < 0.2,
                    "{p:?} scaled about the centre is {want:?}, drawn at {q:?}"
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 100, "{compared} points compared");
    h.state_mut().wait_idle();
    h.run_steps(2);
    let model = &h.state().model;
    assert!(!model.map_layer.borrow().pending());
    let now = model.view_scene();
    assert!(
        place_labels(&now, model) > 0,
        "the layer built for the zoom has its labels"
    );
}
