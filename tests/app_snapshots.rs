//! Image snapshots of the desktop app: the real window (panels, map, atlas book) rendered to
//! PNG through wgpu and compared with `tests/snapshots/app_*.png`.
//!
//! Where there is no GPU, wgpu runs on a software adapter: Mesa's lavapipe (Vulkan,
//! `apt-get install libvulkan1 mesa-vulkan-drivers`), else llvmpipe through EGL. Without any
//! adapter the tests say so and pass, unless `TRAILATLAS_REQUIRE_WGPU` is set (CI sets it, so
//! there they always really run).
//!
//! The state is fixed: the bundled sample in a fresh in-memory store, default preferences, a
//! 1024 × 700 window, an explicit map view, no GPS (or one fix sent through a channel).
//! A changed image fails with a `*.diff.png` beside the snapshot; `UPDATE_SNAPSHOTS=1` accepts
//! the new images (look at them first).

use std::io::Write as _;
use std::sync::{Once, mpsc};

use egui_kittest::kittest::Queryable as _;
use egui_kittest::wgpu::WgpuTestRenderer;
use egui_kittest::{Harness, SnapshotOptions};

use eframe::egui::accesskit::Role;
use trailatlas::app::{Command, Mode, NavApp};
use trailatlas::core::model::{LatLon, WaypointKind};
use trailatlas::gps::{Fix, GpsEvent};
use trailatlas::store::Store;

use crate::app::{import, root};

/// The window: small enough to keep the PNGs small, large enough for all three panels.
const WINDOW: [f32; 2] = [1024.0, 700.0];
/// The whole sample loop (42.505..42.583 N, 1.487..1.731 E, Andorra) on the map.
const LOOP_CENTER: LatLon = LatLon::new(42.544, 1.609);
const LOOP_M_PER_MM: f64 = 250.0;
/// Set (to anything) where the image tests must run: a missing adapter then fails them.
const REQUIRE_ENV: &str = "TRAILATLAS_REQUIRE_WGPU";

/// A wgpu renderer as egui_kittest would make it (same adapter choice: software first), or
/// `None` with a message when this machine has no adapter. egui_kittest's own constructor
/// panics in that case, so the render state is created here, where the error is a value.
pub(crate) fn renderer() -> Option<WgpuTestRenderer> {
    let setup = egui_kittest::wgpu::default_wgpu_setup();
    let instance = pollster::block_on(setup.new_instance());
    let config = egui_wgpu::WgpuConfiguration {
        wgpu_setup: setup,
        ..Default::default()
    };
    let state = pollster::block_on(egui_wgpu::RenderState::create(
        &config,
        &instance,
        None,
        egui_wgpu::RendererOptions::PREDICTABLE,
    ));
    match state {
        Ok(state) => {
            let info = state.adapter.get_info();
            eprintln!("wgpu adapter: {} ({:?})", info.name, info.backend);
            Some(WgpuTestRenderer::from_render_state(state))
        }
        Err(e) if std::env::var_os(REQUIRE_ENV).is_some() => {
            panic!("{REQUIRE_ENV} is set but there is no wgpu adapter: {e}")
        }
        Err(e) => {
            // Straight to stderr, not `eprintln!`: the test harness would swallow that for a
            // passing test, and the skip should be seen in a plain `cargo test`. Once is enough.
            static NOTICE: Once = Once::new();
            NOTICE.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "skipping: no wgpu adapter (apt-get install mesa-vulkan-drivers): {e}"
                );
            });
            None
        }
    }
}

/// The sample alone, in memory: what a first start shows.
fn sample_app() -> NavApp {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &root().join("data/sample-andorra-loop.gpx"));
    NavApp::new(store, None)
}

/// The app in a window rendered by wgpu, showing the whole loop; `None` without an adapter.
fn window(app: NavApp) -> Option<Harness<'static, NavApp>> {
    let renderer = renderer()?;
    let mut h = Harness::builder()
        .with_size(WINDOW)
        .with_pixels_per_point(1.0)
        .with_render_cursor(false)
        .renderer(renderer)
        .build_ui_state(
            |ui, app: &mut NavApp| {
                app.poll(ui.ctx());
                app.frame_ui(ui);
            },
            app,
        );
    // The first frames size the map and fit the route; then the view is set explicitly, so
    // the images do not depend on the fit.
    h.run_steps(3);
    set_view(&mut h, LOOP_CENTER, LOOP_M_PER_MM);
    Some(h)
}

fn set_view(h: &mut Harness<'_, NavApp>, center: LatLon, m_per_mm: f64) {
    let app = h.state_mut();
    app.model.view.center = center;
    app.model.view.m_per_mm = m_per_mm;
    app.model.view.rotation_deg = 0.0;
    app.refresh();
    h.run_steps(4);
}

fn apply(h: &mut Harness<'_, NavApp>, cmd: Command) {
    h.state_mut().apply(cmd);
    h.state_mut().refresh();
    h.run_steps(4);
}

/// Compares the window with `tests/snapshots/{name}.png`. The per-pixel tolerance is
/// egui_kittest's default (0.6, which holds between lavapipe and llvmpipe-on-EGL here); a few
/// pixels may differ on other Mesa versions' anti-aliasing.
pub(crate) fn check(h: &mut Harness<'_, NavApp>, name: &str) {
    let options = SnapshotOptions::new()
        .output_path(root().join("tests/snapshots"))
        .threshold(0.6)
        .max_failed_pixels(0);
    if let Err(e) = h.try_snapshot_options(name, &options) {
        panic!("{e}\n(UPDATE_SNAPSHOTS=1 accepts the new image, after you have looked at it)");
    }
}

#[test]
fn snapshot_map_with_route_waypoints_and_atlas_frames() {
    let Some(mut h) = window(sample_app()) else {
        return;
    };
    let m = &h.state().model;
    assert!(m.prefs.show_frames && !m.night && !m.prefs.truck);
    assert_eq!(m.mode, Mode::Map);
    check(&mut h, "app_map");
}

#[test]
fn snapshot_map_at_night() {
    let Some(mut h) = window(sample_app()) else {
        return;
    };
    apply(&mut h, Command::SetNight(true));
    assert!(h.ctx.global_style().visuals.dark_mode);
    check(&mut h, "app_map_night");
}

#[test]
fn snapshot_waypoint_details_after_clicking_a_nearest_result() {
    let Some(mut h) = window(sample_app()) else {
        return;
    };
    let m = &h.state().model;
    let (_, fuel) = m
        .nearest
        .iter()
        .find(|(k, _)| *k == WaypointKind::Fuel)
        .expect("nearest fuel listed");
    let target = fuel[0].nearest.id;
    let name = m.waypoint_name(target);
    h.query_all_by(|n| {
        n.role() == Role::Button
            && n.label()
                .is_some_and(|l| l.starts_with(&format!("{name}:")))
    })
    .next()
    .expect("nearest row")
    .click();
    h.run_steps(4);
    assert_eq!(h.state().model.highlighted, Some(target));
    check(&mut h, "app_waypoint_details");
}

#[test]
fn snapshot_atlas_book_page_2() {
    let Some(mut h) = window(sample_app()) else {
        return;
    };
    apply(&mut h, Command::SetMode(Mode::Atlas));
    apply(&mut h, Command::TurnPage(2));
    let book = &h.state().model.book;
    assert_eq!(book.page, 2);
    assert_eq!(book.scene.as_ref().unwrap().page_number, Some(2));
    check(&mut h, "app_atlas_page2");
}

#[test]
fn snapshot_truck_mode_with_a_gps_fix() {
    let mut app = sample_app();
    let (tx, rx) = mpsc::channel();
    app.attach_channel(rx, "test channel");
    let Some(mut h) = window(app) else {
        return;
    };
    apply(&mut h, Command::SetTruck(true));
    // On the route 40 points in, heading east; the map at a driving scale around it.
    let here = h.state().model.route_path()[40];
    let mut fix = Fix::at(here, None);
    fix.course_deg = Some(90.0);
    fix.speed_mps = Some(20.0);
    tx.send(GpsEvent::Fix(fix)).unwrap();
    h.run_steps(4);
    set_view(&mut h, here, 100.0);
    assert!(h.ctx.zoom_factor() > 1.2);
    assert_eq!(h.state().model.gps.fixes, 1);
    check(&mut h, "app_truck");
}

/// The sample with its map data and elevation model (the bundled Andorra extract and SRTM
/// tile), in memory: what the app shows once both are imported.
fn sample_app_with_map() -> NavApp {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &root().join("data/sample-andorra-loop.gpx"));
    let r = store.import_map_file(
        &root().join("data/andorra.osm.pbf"),
        trailatlas::store::MapImportOptions::default(),
        &mut |_| {},
    );
    assert!(r.error.is_none(), "{:?}", r.error);
    let r = store.import_dem_file(&root().join("data/N42E001.hgt.zip"));
    assert!(r.error.is_none(), "{:?}", r.error);
    NavApp::new(store, None)
}

/// The topographic map on screen (roads by surface, water, land, places, POIs, contours,
/// hillshade, attribution) at three zooms (the whole loop, 1:100,000, 1:24,000), by day, at
/// night and in truck mode: nine images, `map_{day,night,truck}_{250k,100k,24k}`.
#[test]
fn snapshot_the_topographic_map_at_three_zooms_by_day_at_night_and_in_truck_mode() {
    // Around the sample's start, Andorra la Vella: towns, roads of every kind, the river.
    let town = LatLon::new(42.5078, 1.5211);
    for theme in ["day", "night", "truck"] {
        let Some(mut h) = window(sample_app_with_map()) else {
            return;
        };
        match theme {
            "night" => apply(&mut h, Command::SetNight(true)),
            "truck" => apply(&mut h, Command::SetTruck(true)),
            _ => {}
        }
        for (zoom, center, m_per_mm) in [
            ("250k", LOOP_CENTER, LOOP_M_PER_MM),
            ("100k", town, 100.0),
            ("24k", town, 24.0),
        ] {
            set_view(&mut h, center, m_per_mm);
            let m = &h.state().model;
            assert!(
                !m.map_view.data.is_empty(),
                "{theme} {zoom}: map data loaded"
            );
            assert!(
                m.map_view.terrain.is_some(),
                "{theme} {zoom}: terrain loaded"
            );
            let scene = m.view_scene();
            let text: Vec<&str> = scene
                .items
                .iter()
                .filter_map(|i| match i {
                    trailatlas::scene::Item::Label(l) => Some(l.text.as_str()),
                    _ => None,
                })
                .collect();
            assert!(
                text.iter()
                    .any(|t| t.contains("© OpenStreetMap contributors")),
                "{theme} {zoom}: attribution in {text:?}"
            );
            check(&mut h, &format!("map_{theme}_{zoom}"));
        }
    }
}
