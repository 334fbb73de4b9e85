//! Issue 16: the driving layout. The bundled drive log replayed into the app (the fixes the
//! log decodes to, sent through a channel so the frame is known), then the window measured
//! from its rects at three sizes, day and night: the map's share, every heads-up value on
//! screen and equal to what `trailatlas gps --json` and `trailatlas ahead --json` print for the
//! same fix, no text cut off, touch-sized buttons; image snapshots of each.

use std::path::Path;
use std::process::Command as Proc;
use std::sync::mpsc;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

use eframe::egui;
use eframe::egui::accesskit::Role;
use trailatlas::app::{Command, Layout, NavApp, Theme, Units};
use trailatlas::core::model::WaypointKind;
use trailatlas::gps::{Fix, GpsEvent};
use trailatlas::store::Store;
use trailatlas::ui::hud::{self, HUD_AREAS};

use crate::app::{SAMPLE, import, root};
use crate::support::bin;

/// How many seconds of the drive log are replayed before measuring: enough for the 20 s
/// average speed behind the ETAs, and a few km along the loop.
const REPLAYED: usize = 300;

fn drive_fixes() -> Vec<Fix> {
    let bytes = std::fs::read(root().join("data/sample-drive.nmea")).unwrap();
    trailatlas::gps::nmea::decode_all(&bytes).0
}

/// The sample in a database file (the CLI reads the same one), the app on it.
fn sample_db(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("drive.sqlite");
    let mut store = Store::open(&db).unwrap();
    import(&mut store, &root().join("data/sample-andorra-loop.gpx"));
    db
}

/// The app at `size` (physical px, 1 px per point), truck mode, with `n` fixes of the drive
/// replayed; wgpu-rendered when `image` (else `None` without an adapter).
fn driving(
    db: &Path,
    size: [f32; 2],
    night: bool,
    n: usize,
    image: bool,
) -> Option<(Harness<'static, NavApp>, mpsc::Sender<GpsEvent>)> {
    let mut app = NavApp::new(Store::open(db).unwrap(), None);
    let (tx, rx) = mpsc::channel();
    app.attach_channel(rx, "replay data/sample-drive.nmea");
    app.apply(Command::SetTruck(true));
    app.apply(Command::SetTheme(if night {
        Theme::Night
    } else {
        Theme::Day
    }));
    app.apply(Command::SetUnits(Units::Metric));
    let mut b = Harness::builder()
        .with_size(size)
        .with_pixels_per_point(1.0)
        .with_render_cursor(false);
    if image {
        b = b.renderer(crate::app_snapshots::renderer()?);
    }
    let mut h = b.build_ui_state(
        |ui, app: &mut NavApp| {
            app.poll(ui.ctx());
            app.frame_ui(ui);
        },
        app,
    );
    h.run_steps(3);
    for f in drive_fixes().into_iter().take(n) {
        tx.send(GpsEvent::Fix(f)).unwrap();
    }
    h.run_steps(6);
    assert_eq!(h.state().model.gps.fixes, n as u64);
    Some((h, tx))
}

/// What the command line says about fix `i` of the drive: its `gps --json` line and
/// `ahead --json` for fuel, campgrounds and any kind at its position.
struct Cli {
    fix: serde_json::Value,
    fuel: serde_json::Value,
    camp: serde_json::Value,
    next: serde_json::Value,
}

fn run_json(args: &[&str]) -> String {
    let out = Proc::new(bin()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn cli(db: &Path, i: usize) -> Cli {
    let log = root().join("data/sample-drive.nmea");
    let source = format!("replay:{}@0", log.display());
    let lines = run_json(&["gps", "--source", &source, "--json"]);
    let fix: serde_json::Value = serde_json::from_str(lines.lines().nth(i).unwrap()).unwrap();
    let at = format!(
        "{},{}",
        fix["lat"].as_f64().unwrap(),
        fix["lon"].as_f64().unwrap()
    );
    let db = db.to_str().unwrap();
    let ahead = |kind: Option<&str>| {
        let mut args = vec![
            "--db", db, "ahead", "--route", SAMPLE, "--at", &at, "-n", "1", "--json",
        ];
        if let Some(k) = kind {
            args.extend(["--kind", k]);
        }
        let v: serde_json::Value = serde_json::from_str(&run_json(&args)).unwrap();
        v["ahead"][0].clone()
    };
    Cli {
        fuel: ahead(Some("fuel")),
        camp: ahead(Some("campground")),
        next: ahead(None),
        fix,
    }
}

/// Every label in the window: (text, rect in points).
fn labels(h: &Harness<'_, NavApp>) -> Vec<(String, egui::Rect)> {
    let ppp = h.ctx.pixels_per_point();
    h.query_all_by(|n| n.role() == Role::Label)
        .filter_map(|n| {
            let b = n.accesskit_node().bounding_box()?;
            let r = egui::Rect::from_min_max(
                egui::pos2(b.x0 as f32, b.y0 as f32),
                egui::pos2(b.x1 as f32, b.y1 as f32),
            );
            // accesskit bounds are physical pixels.
            let node = n.accesskit_node();
            let text = node.value().or_else(|| node.label())?;
            Some((text.to_string(), r / ppp))
        })
        .collect()
}

fn area_rects(h: &Harness<'_, NavApp>) -> Vec<(&'static str, egui::Rect)> {
    HUD_AREAS
        .iter()
        .filter_map(|name| {
            h.ctx
                .memory(|m| m.area_rect(egui::Id::unique(*name)))
                .map(|r| (*name, r))
        })
        .filter(|(name, _)| {
            // The alarm's area is remembered after the warning ends; only count it while shown.
            *name != "hud_alarm"
                || h.state()
                    .model
                    .hud
                    .as_ref()
                    .is_some_and(|h| h.off_route.is_some())
        })
        .collect()
}

fn map_rect(h: &Harness<'_, NavApp>) -> egui::Rect {
    let ppp = h.ctx.pixels_per_point();
    let map = h.get_by_label("Map");
    let b = map.accesskit_node().bounding_box().unwrap();
    egui::Rect::from_min_max(
        egui::pos2(b.x0 as f32, b.y0 as f32),
        egui::pos2(b.x1 as f32, b.y1 as f32),
    ) / ppp
}

fn has_label(all: &[(String, egui::Rect)], want: &str) -> egui::Rect {
    all.iter()
        .find(|(t, _)| t == want)
        .map(|(_, r)| *r)
        .unwrap_or_else(|| {
            let texts: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
            panic!("no label {want:?} on screen; labels: {texts:?}")
        })
}

/// The checks of issue 16 at one window size, by day or night; snapshot `drive_{name}`.
fn check_driving_window(size: [f32; 2], night: bool, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let Some((mut h, _tx)) = driving(&db, size, night, REPLAYED, true) else {
        return;
    };
    let m = &h.state().model;
    assert!(
        m.driving(),
        "truck mode with a GPS following is the driving layout"
    );
    assert_eq!(m.night, night);
    let screen = h.ctx.content_rect();
    let win = screen.area();

    // The map fills the window; the cards over it leave most of it in sight.
    let map = map_rect(&h);
    assert!(
        map.area() / win >= 0.75,
        "map covers {:.0} %",
        100.0 * map.area() / win
    );
    let areas = area_rects(&h);
    assert!(areas.len() >= 4, "{areas:?}");
    for (i, (a, ra)) in areas.iter().enumerate() {
        assert!(
            screen.contains_rect(*ra),
            "{a} {ra:?} leaves the window {screen:?}"
        );
        for (b, rb) in &areas[i + 1..] {
            assert!(!ra.intersects(*rb), "{a} {ra:?} overlaps {b} {rb:?}");
        }
    }
    let covered: f32 = areas.iter().map(|(_, r)| r.area()).sum();
    let free = (map.area() - covered) / win;
    eprintln!(
        "{name}: map {:.0} % of the window, {:.0} % free of the HUD",
        100.0 * map.area() / win,
        100.0 * free
    );
    assert!(
        free >= 0.5,
        "only {:.0} % of the map is free of the HUD",
        100.0 * free
    );

    // Every value equals the command line's for the same fix, and is on screen, whole.
    let c = cli(&db, REPLAYED - 1);
    let m = &h.state().model;
    let fix = m.gps.fix.unwrap();
    assert_eq!(fix.to_json(), c.fix, "the app's fix is the CLI's");
    let hud_v = m.hud.clone().expect("a HUD");
    let units = m.prefs.units;
    let all = labels(&h);
    let mut shown = Vec::new();

    let speed = c.fix["speed_mps"].as_f64().unwrap();
    let course = c.fix["course_deg"].as_f64().unwrap();
    assert_eq!(hud_v.speed_mps, Some(speed));
    assert_eq!(hud_v.course_deg, Some(course));
    let (speed_text, heading_text) = hud::speed_lines(m, &hud_v);
    assert_eq!(speed_text, units.speed(speed));
    shown.push(speed_text);
    shown.push(heading_text.unwrap());

    let close = |a: f64, b: &serde_json::Value| (a - b.as_f64().unwrap()).abs() <= 1.0;
    let fuel = hud_v.fuel.as_ref().expect("fuel ahead");
    assert_eq!(fuel.id, c.fuel["id"].as_i64().unwrap(), "next fuel");
    assert!(
        close(fuel.distance_m, &c.fuel["ahead_m"]),
        "{} vs {}",
        fuel.distance_m,
        c.fuel["ahead_m"]
    );
    assert!(fuel.eta_s.is_some(), "an ETA after {REPLAYED} s of driving");
    shown.push(hud::stop_line(m, "Fuel", fuel));
    let camp = hud_v.camp.as_ref().expect("a campground ahead");
    assert_eq!(camp.id, c.camp["id"].as_i64().unwrap(), "next campground");
    assert!(close(camp.distance_m, &c.camp["ahead_m"]));
    shown.push(hud::stop_line(m, "Camp", camp));
    let next = hud_v.next_change.as_ref().expect("a next change");
    let next_id = c.next["id"].as_i64().unwrap();
    assert_eq!(next.onto, m.waypoint_label(next_id));
    assert!(close(next.distance_m, &c.next["ahead_m"]));
    let (first, onto) = hud::next_change_lines(m, &hud_v).unwrap();
    shown.push(first);
    shown.push(onto);

    // The atlas page the printed book (default layout, as `trailatlas atlas` pages it) gives.
    let spec = m.prefs.atlas.spec().unwrap();
    let atlas = trailatlas::core::atlas::paginate(&spec, m.route_path()).unwrap();
    let want = atlas.locate(fix.pos);
    assert!(want.is_some(), "the drive is on the pages");
    assert_eq!(hud_v.atlas_ref, want);
    shown.push(hud::atlas_line(want.as_ref()));

    for text in &shown {
        let r = has_label(&all, text);
        assert!(
            screen.contains_rect(r),
            "{text:?} at {r:?} is cut off by the window"
        );
        assert!(
            areas.iter().any(|(_, a)| a.expand(0.5).contains_rect(r)),
            "{text:?} at {r:?} spills out of its card"
        );
    }
    // Buttons a finger can hit: 9 mm at 96 dpi is 34 px (points × zoom = px here).
    let zoom = h.ctx.zoom_factor();
    for label in ["−", "+", "Follow", "Panels"] {
        let b = h
            .get_by_label(label)
            .accesskit_node()
            .bounding_box()
            .unwrap();
        let (w, hgt) = ((b.x1 - b.x0) as f32, (b.y1 - b.y0) as f32);
        assert!(
            w >= 34.0 && hgt >= 34.0,
            "{label}: {w}×{hgt} px (zoom {zoom})"
        );
    }
    crate::app_snapshots::check(&mut h, &format!("drive_{name}"));
}

#[test]
fn driving_layout_1024x600_day() {
    check_driving_window([1024.0, 600.0], false, "1024x600_day");
}

#[test]
fn driving_layout_1024x600_night() {
    check_driving_window([1024.0, 600.0], true, "1024x600_night");
}

#[test]
fn driving_layout_1366x768_day() {
    check_driving_window([1366.0, 768.0], false, "1366x768_day");
}

#[test]
fn driving_layout_1366x768_night() {
    check_driving_window([1366.0, 768.0], true, "1366x768_night");
}

#[test]
fn driving_layout_1920x1080_day() {
    check_driving_window([1920.0, 1080.0], false, "1920x1080_day");
}

#[test]
fn driving_layout_1920x1080_night() {
    check_driving_window([1920.0, 1080.0], true, "1920x1080_night");
}

#[test]
fn off_route_is_a_banner_across_the_map() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let (mut h, tx) = driving(&db, [1024.0, 600.0], false, 60, false).unwrap();
    let mut far = drive_fixes()[60];
    far.pos.lat += 0.01;
    tx.send(GpsEvent::Fix(far)).unwrap();
    h.run_steps(4);
    let m = &h.state().model;
    let off = m.hud.as_ref().and_then(|h| h.off_route).expect("off route");
    assert!(off.distance_m > 800.0, "{off:?}");
    let text = hud::off_route_line(m, &off);
    let r = has_label(&labels(&h), &text);
    let screen = h.ctx.content_rect();
    assert!(
        r.width() > screen.width() * 0.4,
        "a banner, not a footnote: {r:?}"
    );
    assert!(text.contains("route is S"), "{text}");
}

#[test]
fn the_panels_come_back_with_one_key_or_one_button() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let (mut h, _tx) = driving(&db, [1024.0, 600.0], false, 30, false).unwrap();
    assert!(h.state().model.driving());
    assert!(
        h.query_by_label("Fuel logistics").is_none(),
        "no side panels"
    );
    h.get_by_label("Panels").click();
    h.run_steps(3);
    assert!(!h.state().model.driving());
    assert_eq!(h.state().model.prefs.layout, Layout::Panels);
    assert!(h.query_by_label("Fuel logistics").is_some());
    h.key_press(egui::Key::H);
    h.run_steps(3);
    assert!(h.state().model.driving(), "H: back to the map alone");
    h.key_press(egui::Key::H);
    h.run_steps(3);
    assert!(!h.state().model.driving());
    h.get_by_label("Drive").click();
    h.run_steps(3);
    assert!(h.state().model.driving(), "the top bar's Drive button");
}

#[test]
fn following_a_gps_is_the_driving_layout_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let mut app = NavApp::new(Store::open(&db).unwrap(), None);
    let (tx, rx) = mpsc::channel();
    app.attach_channel(rx, "test");
    let mut h = crate::app::harness(app);
    assert!(!h.state().model.driving(), "no position: the panels");
    tx.send(GpsEvent::Fix(drive_fixes()[0])).unwrap();
    h.run_steps(3);
    assert!(h.state().model.driving());
    h.state_mut().apply(Command::SetFollow(false));
    h.run_steps(2);
    assert!(
        !h.state().model.driving(),
        "not following: the panels again"
    );
}

/// Two fingers on the map: spreading them zooms in about their centre.
#[test]
fn pinch_zooms_and_one_finger_pans_the_map() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let (mut h, _tx) = driving(&db, [1024.0, 600.0], false, 10, false).unwrap();
    let before = h.state().model.view;
    // As egui-winit delivers a touch screen: touch events, and the first finger also as the
    // pointer (moves, and a primary press for as long as it touches).
    let touch = |h: &mut Harness<'_, NavApp>, id: u64, phase, x: f32, y: f32| {
        let pos = egui::pos2(x, y);
        let events = &mut h.input_mut().events;
        events.push(egui::Event::Touch {
            device_id: egui::TouchDeviceId(1),
            id: egui::TouchId(id),
            phase,
            pos,
            force: None,
        });
        if id != 2 {
            events.push(egui::Event::PointerMoved(pos));
            let pressed = match phase {
                egui::TouchPhase::Start => Some(true),
                egui::TouchPhase::End | egui::TouchPhase::Cancel => Some(false),
                egui::TouchPhase::Move => None,
            };
            if let Some(pressed) = pressed {
                events.push(egui::Event::PointerButton {
                    pos,
                    button: egui::PointerButton::Primary,
                    pressed,
                    modifiers: egui::Modifiers::NONE,
                });
            }
        }
    };
    // The middle of the window, clear of the cards.
    let (cx, cy) = (350.0, 220.0);
    touch(&mut h, 1, egui::TouchPhase::Start, cx - 40.0, cy);
    touch(&mut h, 2, egui::TouchPhase::Start, cx + 40.0, cy);
    h.run_steps(1);
    for step in 1..=5 {
        let d = 40.0 + 16.0 * step as f32;
        touch(&mut h, 1, egui::TouchPhase::Move, cx - d, cy);
        touch(&mut h, 2, egui::TouchPhase::Move, cx + d, cy);
        h.run_steps(1);
    }
    touch(&mut h, 1, egui::TouchPhase::End, cx - 120.0, cy);
    touch(&mut h, 2, egui::TouchPhase::End, cx + 120.0, cy);
    h.run_steps(2);
    let after = h.state().model.view;
    let ratio = before.m_per_mm / after.m_per_mm;
    assert!(
        ratio > 2.0,
        "spreading the fingers threefold zoomed in only {ratio:.2}×"
    );

    // One finger drags the map (and stops following).
    let c0 = h.state().model.view.center;
    touch(&mut h, 3, egui::TouchPhase::Start, cx, cy);
    h.run_steps(1);
    for step in 1..=5 {
        touch(
            &mut h,
            3,
            egui::TouchPhase::Move,
            cx + 20.0 * step as f32,
            cy,
        );
        h.run_steps(1);
    }
    touch(&mut h, 3, egui::TouchPhase::End, cx + 100.0, cy);
    h.run_steps(2);
    let c1 = h.state().model.view.center;
    assert!(c1.lon < c0.lon, "dragging right shows what is west");
    assert!(!h.state().model.prefs.follow);
}

#[test]
fn the_auto_theme_turns_to_night_at_sunset() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let (mut h, tx) = driving(&db, [1024.0, 600.0], false, 5, false).unwrap();
    h.state_mut().apply(Command::SetTheme(Theme::Auto));
    h.run_steps(2);
    // The log is 09:00 UTC on 1 June 2026 in Andorra: day.
    assert!(!h.state().model.night);
    assert!(!h.ctx.global_style().visuals.dark_mode);
    // The same place at 20:30 UTC (22:30 local), after sunset (about 19:30 UTC).
    let mut late = drive_fixes()[5];
    late.time_ms = late.time_ms.map(|t| t + 11 * 3_600_000 + 30 * 60_000);
    tx.send(GpsEvent::Fix(late)).unwrap();
    h.run_steps(3);
    assert!(h.state().model.night);
    assert!(h.ctx.global_style().visuals.dark_mode);
    // Without a fix time the clock decides: 06:00 UTC is after sunrise (about 04:20 UTC).
    let mut no_time = late;
    no_time.time_ms = None;
    tx.send(GpsEvent::Fix(no_time)).unwrap();
    h.state_mut()
        .set_clock_ms(Some(late.time_ms.unwrap() + 9 * 3_600_000 + 30 * 60_000));
    h.run_steps(3);
    assert!(!h.state().model.night);
}

#[test]
fn the_night_palette_has_no_white_field() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let (mut h, _tx) = driving(&db, [1024.0, 600.0], true, 5, false).unwrap();
    h.state_mut().apply(Command::SetLayout(Layout::Panels));
    h.run_steps(3);
    let v = h.ctx.global_style().visuals.clone();
    let bright = |c: egui::Color32| u32::from(c.r()) + u32::from(c.g()) + u32::from(c.b());
    let red_shifted = |c: egui::Color32| c.r() >= c.g() && c.g() >= c.b();
    for (what, c) in [
        ("panel", v.panel_fill),
        ("window", v.window_fill),
        ("field", v.extreme_bg_color),
        ("button", v.widgets.inactive.bg_fill),
        ("hovered button", v.widgets.hovered.bg_fill),
        ("selection", v.selection.bg_fill),
    ] {
        assert!(
            bright(c) < 3 * 0x60,
            "{what} {c:?} is too bright for the night"
        );
        assert!(red_shifted(c), "{what} {c:?}");
    }
    let text = v.override_text_color.unwrap();
    assert!(red_shifted(text) && text.g() < 0x90, "text {text:?}");
    // The map and the atlas pages: paper white becomes a dim red-black.
    let paper = trailatlas::scene::theme::night(trailatlas::scene::theme::PAPER);
    assert!(
        u32::from(paper.r) + u32::from(paper.g) + u32::from(paper.b) < 30,
        "{paper:?}"
    );
    for c in [
        trailatlas::scene::theme::VIEW_BACKGROUND,
        trailatlas::scene::theme::INK,
        trailatlas::scene::theme::WARNING,
    ] {
        let n = trailatlas::scene::theme::night(c);
        assert!(n.r >= n.g && n.g >= n.b, "{c:?} at night is {n:?}");
    }
    // A dialog over it: the print dialog's window is the night window fill.
    h.state_mut().apply(Command::OpenPrint);
    h.run_steps(3);
    assert!(h.query_by_label("Print atlas").is_some() || h.state().model.print.is_some());
}

#[test]
fn layout_layers_and_view_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let prefs = dir.path().join("drive.prefs.json");
    let mut app = NavApp::new(Store::open(&db).unwrap(), None).with_prefs_file(prefs.clone());
    app.apply(Command::SetLayout(Layout::Driving));
    app.apply(Command::SetTheme(Theme::Auto));
    let mut layers = app.model.prefs.layers;
    layers.contours = false;
    layers.places = false;
    app.apply(Command::SetLayers(layers));
    let center = trailatlas::core::model::LatLon::new(42.5612, 1.5934);
    app.apply(Command::CenterOn(center));
    app.apply(Command::Zoom {
        factor: 3.0,
        at_mm: None,
    });
    let zoom = app.model.view.m_per_mm;
    app.save_prefs();
    drop(app);

    let text = std::fs::read_to_string(&prefs).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["layout"], "driving");
    assert_eq!(v["theme"], "auto");
    assert_eq!(v["map_layers"]["contours"], false);
    assert!((v["view"]["m_per_mm"].as_f64().unwrap() - zoom).abs() < 1e-9);

    let again = NavApp::new(Store::open(&db).unwrap(), None).with_prefs_file(prefs);
    let h = crate::app::harness(again);
    let m = &h.state().model;
    assert_eq!(m.prefs.layout, Layout::Driving);
    assert!(m.driving());
    assert_eq!(m.prefs.theme, Theme::Auto);
    assert_eq!(m.prefs.layers, layers);
    assert!(
        (m.view.m_per_mm - zoom).abs() < 1e-9,
        "{} vs {zoom}",
        m.view.m_per_mm
    );
    assert!(
        (m.view.center.lat - center.lat).abs() < 1e-6,
        "{:?} vs {center:?}",
        m.view.center
    );
    assert!((m.view.center.lon - center.lon).abs() < 1e-6);
    assert!(m.prefs.shows(WaypointKind::Fuel));
}

#[test]
fn changed_prefs_are_saved_while_running_not_only_on_exit() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let prefs = dir.path().join("drive.prefs.json");
    let app = NavApp::new(Store::open(&db).unwrap(), None).with_prefs_file(prefs.clone());
    let mut h = crate::app::harness(app);
    h.state_mut().apply(Command::SetLayout(Layout::Driving));
    h.run_steps(2);
    // A crash now (no on_exit) still leaves the choice in the file.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&prefs).unwrap()).unwrap();
    assert_eq!(v["layout"], "driving");
    assert!(v["view"]["lat"].is_number());
}
