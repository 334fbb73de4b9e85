//! Garmin units, the background import and the file dialog, driven through egui_kittest like
//! a user: fake mounted units in temporary folders, clicks on the panel and in the in-app
//! file browser, and a large generated file to show the window keeps drawing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui::{self, Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

use trailatlas::app::importer::{FileOutcome, ImportJob};
use trailatlas::app::{Command, NavApp};
use trailatlas::core::model::{GpxData, LatLon, LineKind, LineMeta, Track};
use trailatlas::devices::{self, GarminFileKind};
use trailatlas::export::write_gpx_file;
use trailatlas::import::read_data;
use trailatlas::store::{ImportOptions, Store};

use crate::generator::{sample_data, wander};
use crate::support::real_fixtures;

const MODEL: &str = "GPSMAP 66i";
const DEVICE_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<Device xmlns="http://www.garmin.com/xmlschemas/GarminDevice/v2">
  <Model>
    <PartNumber>006-B3011-00</PartNumber>
    <SoftwareVersion>1010</SoftwareVersion>
    <Description>GPSMAP 66i</Description>
  </Model>
  <Id>3391234567</Id>
  <MassStorageMode>
    <DataType><Name>GPSData</Name><File><Location><Path>Garmin/GPX</Path></Location></File></DataType>
  </MassStorageMode>
</Device>
"#;

/// A file that is not GPX at line 5: a track point without a valid latitude.
const BROKEN: &str = r#"<?xml version="1.0"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>Broken</name><trkseg>
<trkpt lat="45.1" lon="-122.1"/>
<trkpt lat="north" lon="-122.2"/>
</trkseg></trk></gpx>
"#;

fn track(name: &str, start: LatLon, n: usize, seed: u64) -> GpxData {
    GpxData {
        tracks: vec![Track {
            meta: LineMeta {
                name: Some(name.into()),
                ..LineMeta::default()
            },
            segments: vec![wander(start, n, seed)],
        }],
        ..GpxData::default()
    }
}

fn write(path: &Path, data: &GpxData) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_gpx_file(path, data).unwrap();
}

/// A unit mounted at `root/name`: `Garmin/GarminDevice.xml` (when `xml`), `Garmin/GPX`
/// with `Current.gpx`, a saved file, `Archive/` with two tracks, and `Garmin/NewFiles`
/// when `new_files`. Folder names are spelled `garmin_dir` (units differ in case).
fn fake_unit(
    root: &Path,
    name: &str,
    garmin_dir: &str,
    xml: Option<&str>,
    new_files: bool,
) -> PathBuf {
    let mount = root.join(name);
    let garmin = mount.join(garmin_dir);
    let gpx = garmin.join("GPX");
    write(
        &gpx.join("Current.gpx"),
        &track("Current Log", LatLon::new(38.57, -109.55), 120, 1),
    );
    write(&gpx.join("Waypoints_Moab.gpx"), &sample_data());
    write(
        &gpx.join("Archive/Track_2026-04-01.gpx"),
        &track("Archived One", LatLon::new(38.6, -109.6), 80, 2),
    );
    write(
        &gpx.join("Archive/Track_2026-04-02.gpx"),
        &track("Archived Two", LatLon::new(38.7, -109.7), 90, 3),
    );
    std::fs::write(gpx.join("Archive/readme.txt"), "not gpx").unwrap();
    if let Some(x) = xml {
        std::fs::write(garmin.join("GarminDevice.xml"), x).unwrap();
    }
    if new_files {
        std::fs::create_dir_all(garmin.join("NewFiles")).unwrap();
    }
    mount
}

/// A database file holding the generated sample (a track and a route with shaping points).
fn file_store(dir: &Path) -> Store {
    let mut store = Store::open(&dir.join("db.sqlite")).unwrap();
    let r = store.import_data("sample.gpx", &sample_data());
    assert!(r.error.is_none(), "{r:?}");
    store
}

fn harness(app: NavApp) -> Harness<'static, NavApp> {
    crate::app::harness_sized(app, [1400.0, 1100.0])
}

/// Steps the app until `done` holds; fails after `secs`.
fn wait_for(
    h: &mut Harness<'static, NavApp>,
    secs: u64,
    what: &str,
    done: impl Fn(&NavApp) -> bool,
) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}; status {:?}, job {:?}",
            h.state().model.status,
            h.state().model.import_job
        );
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run_steps(2);
}

fn job_done(app: &NavApp) -> bool {
    app.model.import_job.as_ref().is_some_and(|j| !j.running)
}

fn job(h: &Harness<'static, NavApp>) -> ImportJob {
    h.state().model.import_job.clone().expect("an import job")
}

/// Clicks the widget labelled `label`, scrolling it into view first.
fn click(h: &mut Harness<'static, NavApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    // Scrolling is animated: wait until the widget stops moving before clicking it.
    let mut last = h.get_by_label(label).rect();
    for _ in 0..30 {
        h.run_steps(1);
        let now = h.get_by_label(label).rect();
        if now == last {
            break;
        }
        last = now;
    }
    h.get_by_label(label).click();
    // A window opened by the click lays itself out unseen in its first frame.
    h.run_steps(4);
}

/// Clicks the first widget labelled `label` (the routes list comes before the navigation
/// panel, which names the route followed).
fn click_first(h: &mut Harness<'static, NavApp>, label: &str) {
    h.get_all_by_label(label).next().unwrap().click();
    h.run_steps(2);
}

/// Clicks the button labelled `label` (a heading may carry the same text).
fn click_button(h: &mut Harness<'static, NavApp>, label: &str) {
    let role = egui::accesskit::Role::Button;
    h.get_by_role_and_label(role, label).scroll_to_me();
    h.run_steps(2);
    h.get_by_role_and_label(role, label).click();
    h.run_steps(2);
}

/// Texts of widgets and labels containing `text`.
fn texts_containing(h: &Harness<'_, NavApp>, text: &str) -> Vec<String> {
    h.query_all_by(|n| {
        n.role() != egui::accesskit::Role::TextRun
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

fn line_named(app: &NavApp, name: &str) -> Vec<trailatlas::store::LineSummary> {
    app.model
        .lines
        .iter()
        .filter(|l| l.name.as_deref() == Some(name))
        .cloned()
        .collect()
}

// --- Finding units -------------------------------------------------------------------------

#[test]
fn a_mounted_unit_is_found_with_its_model_and_files() {
    let root = tempfile::tempdir().unwrap();
    let mount = fake_unit(root.path(), "GARMIN", "Garmin", Some(DEVICE_XML), true);
    // Not units: a USB stick, a stray file, a `Garmin` folder without `GPX`.
    std::fs::create_dir_all(root.path().join("STICK/photos")).unwrap();
    std::fs::write(root.path().join("stray.gpx"), "x").unwrap();
    std::fs::create_dir_all(root.path().join("OLD/Garmin/Maps")).unwrap();

    let found = devices::find_garmin_devices(&[root.path().to_path_buf()]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let d = &found[0];
    assert_eq!(d.mount, mount);
    assert_eq!(d.model.as_deref(), Some(MODEL));
    assert_eq!(d.label(), MODEL);
    assert_eq!(d.send_dir(), mount.join("Garmin/NewFiles"));
    let names: Vec<(&str, GarminFileKind)> =
        d.files.iter().map(|f| (f.name.as_str(), f.kind)).collect();
    assert_eq!(
        names,
        [
            ("Current.gpx", GarminFileKind::Current),
            ("Waypoints_Moab.gpx", GarminFileKind::Saved),
            ("Archive/Track_2026-04-01.gpx", GarminFileKind::Archive),
            ("Archive/Track_2026-04-02.gpx", GarminFileKind::Archive),
        ]
    );
    for f in &d.files {
        assert_eq!(f.size_bytes, std::fs::metadata(&f.path).unwrap().len());
        assert!(f.modified_ms.is_some_and(|ms| ms > 1_600_000_000_000));
    }
}

#[test]
fn folder_names_match_in_any_case_and_a_root_may_be_the_unit_itself() {
    let root = tempfile::tempdir().unwrap();
    let mount = fake_unit(root.path(), "DRIVE", "GARMIN", None, false);
    std::fs::rename(mount.join("GARMIN/GPX"), mount.join("GARMIN/gpx")).unwrap();
    let found = devices::find_garmin_devices(&[mount.clone(), root.path().to_path_buf()]);
    assert_eq!(
        found.len(),
        1,
        "the same unit twice is listed once: {found:#?}"
    );
    assert_eq!(found[0].gpx_dir, mount.join("GARMIN/gpx"));
    assert_eq!(found[0].files.len(), 4);
    assert_eq!(found[0].model, None);
    assert_eq!(
        found[0].label(),
        "DRIVE",
        "no GarminDevice.xml: the mount's name"
    );
    assert_eq!(found[0].send_dir(), mount.join("GARMIN/gpx"));
}

#[test]
fn a_garbled_device_file_leaves_the_model_unknown() {
    let root = tempfile::tempdir().unwrap();
    for (i, junk) in [
        "",
        "<Device><Model><Description>",
        "\u{0}\u{fffd}binary",
        "<a></b>",
    ]
    .iter()
    .enumerate()
    {
        fake_unit(root.path(), &format!("U{i}"), "Garmin", Some(junk), false);
    }
    let found = devices::find_garmin_devices(&[root.path().to_path_buf()]);
    assert_eq!(found.len(), 4);
    assert!(found.iter().all(|d| d.model.is_none()), "{found:#?}");
}

#[test]
fn missing_roots_find_nothing() {
    let root = tempfile::tempdir().unwrap();
    assert!(devices::find_garmin_devices(&[root.path().join("absent")]).is_empty());
    assert!(devices::find_garmin_devices(&[]).is_empty());
}

// --- Sending -------------------------------------------------------------------------------

#[test]
fn sending_goes_to_new_files_never_overwrites_and_reads_back_equal() {
    let root = tempfile::tempdir().unwrap();
    fake_unit(root.path(), "NEW", "Garmin", Some(DEVICE_XML), true);
    fake_unit(root.path(), "OLD", "Garmin", Some(DEVICE_XML), false);
    let found = devices::find_garmin_devices(&[root.path().to_path_buf()]);
    let (new, old) = (&found[0], &found[1]);
    let data = sample_data();
    let a = devices::send_to_device(new, "Day 2: Moab / White Rim", &data).unwrap();
    let b = devices::send_to_device(new, "Day 2: Moab / White Rim", &data).unwrap();
    let c = devices::send_to_device(old, "Day 2: Moab / White Rim", &data).unwrap();
    let dir = root.path().join("NEW/Garmin/NewFiles");
    assert_eq!(a, dir.join("Day 2_ Moab _ White Rim.gpx"));
    assert_eq!(b, dir.join("Day 2_ Moab _ White Rim-2.gpx"));
    assert_eq!(
        c,
        root.path()
            .join("OLD/Garmin/GPX/Day 2_ Moab _ White Rim.gpx")
    );
    // Only the two files: no temporary file left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    for p in [&a, &b, &c] {
        assert_eq!(read_data(p).unwrap(), read_data(&a).unwrap());
        assert_eq!(read_data(p).unwrap().routes, data.routes);
        assert_eq!(read_data(p).unwrap().tracks, data.tracks);
    }
}

#[test]
fn a_send_to_a_vanished_unit_is_an_error_naming_the_folder() {
    let root = tempfile::tempdir().unwrap();
    fake_unit(root.path(), "GONE", "Garmin", None, true);
    let found = devices::find_garmin_devices(&[root.path().to_path_buf()]);
    std::fs::remove_dir_all(root.path().join("GONE")).unwrap();
    let e = devices::send_to_device(&found[0], "x", &sample_data()).unwrap_err();
    assert!(e.to_string().contains("GONE/Garmin/NewFiles"), "{e}");
}

// --- The Garmin panel ----------------------------------------------------------------------

fn app_with_unit(
    new_files: bool,
) -> (
    tempfile::TempDir,
    tempfile::TempDir,
    PathBuf,
    Harness<'static, NavApp>,
) {
    let db = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mount = fake_unit(root.path(), "GARMIN", "Garmin", Some(DEVICE_XML), new_files);
    let app = NavApp::new(file_store(db.path()), None).with_garmin_roots(vec![root.path().into()]);
    let mut h = harness(app);
    wait_for(&mut h, 20, "the unit to be found", |a| {
        a.model.garmin.devices.len() == 1
    });
    (db, root, mount, h)
}

#[test]
fn the_panel_lists_the_unit_and_imports_the_ticked_files_in_the_background() {
    let (_db, _root, _mount, mut h) = app_with_unit(true);
    assert!(!texts_containing(&h, MODEL).is_empty());
    click(&mut h, "Current.gpx");
    click(&mut h, "Archive/Track_2026-04-02.gpx");
    assert_eq!(h.state().model.garmin.selected.len(), 2);
    click(&mut h, "Import selected (2)");
    wait_for(&mut h, 60, "the import to finish", job_done);
    let j = job(&h);
    assert!(
        j.background,
        "a database file is imported on a worker thread"
    );
    assert_eq!(
        (j.files_total, j.files_done, j.failed()),
        (2, 2, 0),
        "{j:?}"
    );
    assert!(
        j.results
            .iter()
            .all(|r| matches!(r.outcome, FileOutcome::Imported(c) if c.tracks == 1))
    );
    for name in ["Current Log", "Archived Two"] {
        assert_eq!(line_named(h.state(), name).len(), 1, "{name}");
    }
    assert!(line_named(h.state(), "Archived One").is_empty());
    assert_eq!(
        h.state()
            .model
            .selected
            .as_ref()
            .and_then(|s| s.summary.name.clone())
            .as_deref(),
        Some("Current Log"),
        "the first new line is selected"
    );
    assert!(
        h.state().model.garmin.selected.is_empty(),
        "ticks are cleared"
    );
    // The result list shows each file; Close dismisses it.
    assert!(!texts_containing(&h, "Current.gpx: imported 1 track").is_empty());
    click_button(&mut h, "Close");
    assert!(h.state().model.import_job.is_none());
}

#[test]
fn a_changed_current_gpx_replaces_its_earlier_import() {
    let (_db, _root, mount, mut h) = app_with_unit(true);
    click(&mut h, "Current.gpx");
    click(&mut h, "Import selected (1)");
    wait_for(&mut h, 60, "the first import", job_done);
    // The unit logs more: Current.gpx grows.
    write(
        &mount.join("Garmin/GPX/Current.gpx"),
        &track("Current Log", LatLon::new(38.57, -109.55), 200, 1),
    );
    click(&mut h, "Rescan");
    wait_for(&mut h, 20, "the rescan", |a| {
        a.model.garmin.devices[0].files[0].size_bytes
            == std::fs::metadata(mount.join("Garmin/GPX/Current.gpx"))
                .unwrap()
                .len()
    });
    click(&mut h, "Current.gpx");
    click(&mut h, "Import selected (1)");
    wait_for(&mut h, 60, "the second import", |a| {
        job_done(a) && a.model.import_job.as_ref().unwrap().results.len() == 1
    });
    let lines = line_named(h.state(), "Current Log");
    assert_eq!(lines.len(), 1, "replaced, not added: {lines:?}");
    assert_eq!(lines[0].points, 200);
}

#[test]
fn a_route_sent_to_the_unit_reimports_equal_to_the_original() {
    let (_db, _root, mount, mut h) = app_with_unit(false);
    click_first(&mut h, "Sample Route");
    let label = format!("Send \"Sample Route\" to {MODEL}");
    click(&mut h, &label);
    wait_for(&mut h, 20, "the send", |a| {
        a.model.garmin.last_send.is_some()
    });
    let sent = match h.state().model.garmin.last_send.clone().unwrap() {
        Ok(p) => p,
        Err(e) => panic!("send failed: {e}"),
    };
    assert_eq!(sent, mount.join("Garmin/GPX/Sample Route.gpx"));
    assert!(!texts_containing(&h, "Sent to ").is_empty());
    // The unit's list shows the new file; import it through the panel.
    wait_for(&mut h, 20, "the new file in the list", |a| {
        a.model.garmin.devices[0]
            .files
            .iter()
            .any(|f| f.name == "Sample Route.gpx")
    });
    click(&mut h, "Sample Route.gpx");
    click(&mut h, "Import selected (1)");
    wait_for(&mut h, 60, "the re-import", job_done);
    let routes = line_named(h.state(), "Sample Route");
    assert_eq!(routes.len(), 2, "{routes:?}");
    assert!(routes.iter().all(|r| r.kind == LineKind::Route));
    assert_eq!(routes[0].points, routes[1].points);
    let store = Store::open(&_db.path().join("db.sqlite")).unwrap();
    let a = store.gpx_for_line(routes[0].id, false).unwrap();
    let b = store.gpx_for_line(routes[1].id, false).unwrap();
    assert_eq!(a.routes, b.routes, "sent and re-imported route are equal");
    assert_eq!(a.routes, sample_data().routes);
}

#[test]
fn real_files_on_a_unit_import_as_the_store_imports_them() {
    let Some(real) = real_fixtures() else { return };
    let (_db, root, mount, mut h) = app_with_unit(true);
    let archive = mount.join("Garmin/GPX/Archive");
    let mut names = Vec::new();
    for e in std::fs::read_dir(&real).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "gpx") {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            std::fs::copy(&p, archive.join(&name)).unwrap();
            names.push(name);
        }
    }
    names.sort();
    click(&mut h, "Rescan");
    wait_for(&mut h, 20, "the real files in the list", |a| {
        a.model.garmin.devices[0].files.len() == 4 + names.len()
    });
    for n in &names {
        click(&mut h, &format!("Archive/{n}"));
    }
    let before: Vec<_> = h.state().model.lines.iter().map(|l| l.id).collect();
    click(&mut h, &format!("Import selected ({})", names.len()));
    wait_for(&mut h, 120, "the import", job_done);
    let j = job(&h);
    assert_eq!(j.results.len(), names.len());
    // Each file's outcome is what a plain store import says.
    let mut reference = Store::open_in_memory().unwrap();
    for r in &j.results {
        let want = reference.import_file(&r.path, ImportOptions::default(), &mut |_| {});
        match (&r.outcome, want.error) {
            (FileOutcome::Imported(c), None) => assert_eq!(*c, want.counts, "{r:?}"),
            (FileOutcome::Failed(e), Some(w)) => assert_eq!(*e, w),
            (got, want) => panic!("{}: {got:?} vs {want:?}", r.path.display()),
        }
    }
    assert!(j.failed() > 0, "the real set includes a broken file");
    // Some real tracks are empty; the line followed afterwards is one that has points.
    let sel = h
        .state()
        .model
        .selected
        .as_ref()
        .expect("a line is followed");
    assert!(sel.summary.points > 0, "{:?}", sel.summary);
    assert!(
        !h.state()
            .model
            .lines
            .iter()
            .take_while(|l| l.id != sel.summary.id)
            .any(|l| l.points > 0 && !before.contains(&l.id)),
        "the first new line with points is followed"
    );
    drop(root);
}

// --- The file dialog and the background import ---------------------------------------------

/// `trips/` with a good file, a broken one, notes, a hidden file and `more/` below it.
fn trips(dir: &Path) -> PathBuf {
    let trips = dir.join("trips");
    write(&trips.join("good.gpx"), &sample_data());
    std::fs::write(trips.join("broken.gpx"), BROKEN).unwrap();
    std::fs::write(trips.join("notes.txt"), "packing list").unwrap();
    write(
        &trips.join(".hidden.gpx"),
        &track("Hidden", LatLon::new(1.0, 1.0), 5, 9),
    );
    write(
        &trips.join("more/deeper/far.gpx"),
        &track("Far Track", LatLon::new(40.0, -111.0), 50, 4),
    );
    write(
        &trips.join("more/near.GPX"),
        &track("Near Track", LatLon::new(40.1, -111.1), 50, 5),
    );
    trips
}

/// An app on a database file whose prefs say the dialog was last used in `last_dir`.
fn app_remembering(db: &Path, last_dir: &Path) -> Harness<'static, NavApp> {
    let prefs = db.join("prefs.json");
    std::fs::write(
        &prefs,
        serde_json::json!({ "last_dir": last_dir.to_string_lossy() }).to_string(),
    )
    .unwrap();
    harness(NavApp::new(file_store(db), None).with_prefs_file(prefs))
}

/// Replaces the dialog's Location text and presses Go.
fn type_location(h: &mut Harness<'static, NavApp>, text: &str) {
    let field = (egui::accesskit::Role::TextInput, "Location");
    h.get_by_role_and_label(field.0, field.1).click();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_role_and_label(field.0, field.1).type_text(text);
    h.run_steps(2);
    click_button(h, "Go");
}

fn entry_names(h: &Harness<'static, NavApp>) -> Vec<String> {
    let d = h.state().model.file_dialog.as_ref().expect("a dialog");
    d.entries
        .iter()
        .map(|e| {
            if e.is_dir {
                format!("{}/", e.name)
            } else {
                e.name.clone()
            }
        })
        .collect()
}

#[test]
fn ctrl_o_opens_the_import_dialog_in_the_last_folder_with_folders_first() {
    let dir = tempfile::tempdir().unwrap();
    let trips = trips(dir.path());
    let mut h = app_remembering(dir.path(), &trips);
    h.key_press_modifiers(Modifiers::COMMAND, Key::O);
    h.run_steps(3);
    assert_eq!(
        h.state().model.file_dialog.as_ref().map(|d| &d.dir),
        Some(&trips)
    );
    assert_eq!(entry_names(&h), ["more/", "broken.gpx", "good.gpx"]);
    click(&mut h, "Show hidden");
    assert_eq!(
        entry_names(&h),
        ["more/", ".hidden.gpx", "broken.gpx", "good.gpx"]
    );
    click(&mut h, "more/");
    assert_eq!(entry_names(&h), ["deeper/", "near.GPX"]);
    click(&mut h, "Up");
    assert_eq!(h.state().model.file_dialog.as_ref().unwrap().dir, trips);
    // A typed path: a folder is shown, a file is picked.
    type_location(&mut h, "more/deeper");
    assert_eq!(entry_names(&h), ["far.gpx"]);
    type_location(&mut h, &trips.join("good.gpx").to_string_lossy());
    let d = h.state().model.file_dialog.clone().unwrap();
    assert_eq!(
        (d.dir, d.selected),
        (trips.clone(), vec![trips.join("good.gpx")])
    );
    type_location(&mut h, "nowhere");
    assert!(!texts_containing(&h, "nowhere: no such file or folder").is_empty());
    click(&mut h, "Cancel");
    assert!(h.state().model.file_dialog.is_none());
}

#[test]
fn picked_files_import_in_the_background_with_a_line_and_column_for_the_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let trips = trips(dir.path());
    let mut h = app_remembering(dir.path(), dir.path());
    // File → Import GPX…, then walk to trips/ in the browser.
    click(&mut h, "File");
    // The menu item's label carries its shortcut ("Import GPX… Ctrl+O").
    h.get_by(|n| n.label().is_some_and(|l| l.starts_with("Import GPX…")))
        .click();
    h.run_steps(4);
    assert!(h.state().model.file_dialog.is_some());
    click(&mut h, "trips/");
    click(&mut h, "good.gpx");
    h.get_by_label("broken.gpx")
        .click_modifiers(Modifiers::COMMAND);
    h.run_steps(2);
    assert_eq!(
        h.state().model.file_dialog.as_ref().unwrap().selected.len(),
        2
    );
    click_button(&mut h, "Import");
    assert!(
        h.state().model.file_dialog.is_none(),
        "confirming closes it"
    );
    wait_for(&mut h, 60, "the import", job_done);
    let j = job(&h);
    assert_eq!(
        (j.files_total, j.files_done, j.failed()),
        (2, 2, 1),
        "{j:?}"
    );
    assert_eq!(j.fraction(), 1.0);
    let broken = trips.join("broken.gpx");
    let err = j
        .results
        .iter()
        .find_map(|r| match &r.outcome {
            FileOutcome::Failed(e) => Some(e.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        err,
        format!(
            "{}:5:1: <trkpt> has lat=\"north\", not a number",
            broken.display()
        )
    );
    // The error is shown in full in the result list, beside the good file's counts.
    assert!(!texts_containing(&h, &err).is_empty(), "{err}");
    assert!(!texts_containing(&h, "good.gpx: imported 1 track (700 points), 1 route").is_empty());
    assert!(!texts_containing(&h, "failed 1").is_empty(), "status line");
    assert_eq!(
        line_named(h.state(), "Broken").len(),
        0,
        "nothing half-stored"
    );
    // The folder is remembered for next time, in the prefs file.
    assert_eq!(h.state().model.prefs.last_dir.as_ref(), Some(&trips));
    let saved = std::fs::read_to_string(dir.path().join("prefs.json")).unwrap();
    assert!(saved.contains(&*trips.to_string_lossy()), "{saved}");
}

#[test]
fn importing_a_folder_takes_every_gpx_below_it() {
    let dir = tempfile::tempdir().unwrap();
    let trips = trips(dir.path());
    let mut h = app_remembering(dir.path(), &trips);
    h.get_by_label("Browse…").click();
    h.run_steps(3);
    click(&mut h, "more/");
    click(&mut h, "Import this folder");
    wait_for(&mut h, 60, "the import", job_done);
    let j = job(&h);
    let got: Vec<&Path> = j.results.iter().map(|r| r.path.as_path()).collect();
    assert_eq!(
        got,
        [
            trips.join("more/deeper/far.gpx").as_path(),
            trips.join("more/near.GPX").as_path()
        ]
    );
    assert_eq!(j.failed(), 0);
    assert_eq!(line_named(h.state(), "Far Track").len(), 1);
}

/// A file dropped on the window (kittest has no native drop).
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn dropping_a_folder_and_a_file_imports_both_in_one_job() {
    let dir = tempfile::tempdir().unwrap();
    let trips = trips(dir.path());
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let mut h = harness(NavApp::new(file_store(dir.path()), None));
    for p in [trips.join("more"), trips.join("good.gpx"), empty.clone()] {
        h.input_mut().dropped_files.push(Arc::new(Dropped(p)));
    }
    h.run_steps(1);
    wait_for(&mut h, 60, "the import", job_done);
    let j = job(&h);
    assert_eq!(j.files_total, 3, "{j:?}");
    assert_eq!(j.failed(), 0, "{j:?}");
    assert_eq!(j.empty_folders, vec![empty]);
    assert!(
        line_named(h.state(), "Hidden").is_empty(),
        "hidden files are left"
    );
    assert!(!texts_containing(&h, "no .gpx files in").is_empty());
}

#[test]
fn the_window_keeps_drawing_while_a_large_file_imports() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.gpx");
    write(
        &big,
        &track("Big Track", LatLon::new(35.0, -110.0), 300_000, 11),
    );
    let mut h = harness(NavApp::new(file_store(dir.path()), None));
    h.state_mut().apply(Command::Import(big.clone()));
    let (mut frames, mut slowest, mut progress_seen) = (0u32, Duration::ZERO, Vec::new());
    let start = Instant::now();
    while !job_done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "import too slow"
        );
        let t = Instant::now();
        h.step();
        slowest = slowest.max(t.elapsed());
        frames += 1;
        if let Some(c) = h
            .state()
            .model
            .import_job
            .as_ref()
            .and_then(|j| j.current.clone())
            && progress_seen.last() != Some(&c.points)
        {
            progress_seen.push(c.points);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = start.elapsed();
    h.run_steps(2);
    assert!(frames >= 20, "{frames} frames in {took:?}");
    assert!(
        slowest < Duration::from_millis(1500),
        "slowest frame {slowest:?} while importing ({frames} frames in {took:?})"
    );
    assert!(
        progress_seen.iter().any(|p| *p > 0 && *p < 300_000),
        "points progress shown while importing: {progress_seen:?}"
    );
    assert_eq!(line_named(h.state(), "Big Track")[0].points, 300_000);
    eprintln!("300k points: {frames} frames in {took:?}, slowest {slowest:?}");
}

#[test]
fn cancel_stops_after_the_current_file_leaving_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("batch");
    for i in 0..3u32 {
        write(
            &folder.join(format!("{i}.gpx")),
            &track(
                &format!("Batch {i}"),
                LatLon::new(36.0 + f64::from(i), -111.0),
                60_000,
                20 + u64::from(i),
            ),
        );
    }
    let mut h = harness(NavApp::new(file_store(dir.path()), None));
    h.state_mut().apply(Command::Import(folder));
    wait_for(&mut h, 60, "the first file to start", |a| {
        a.model
            .import_job
            .as_ref()
            .is_some_and(|j| j.current.is_some())
    });
    // The file being read when Cancel is clicked is finished; no other starts. (On a very
    // slow machine the first file may end between the check above and the click.)
    let in_progress = job(&h).files_done + 1;
    click(&mut h, "Cancel");
    wait_for(&mut h, 120, "the cancelled job to end", job_done);
    let j = job(&h);
    assert!(j.cancelled, "{j:?}");
    let n = j.results.len();
    assert!(
        n == in_progress || n == in_progress + 1,
        "{n} results: {j:?}"
    );
    assert!(n < 3, "{j:?}");
    assert!(
        j.summary()
            .contains(&format!("cancelled, {} not imported", 3 - n)),
        "{}",
        j.summary()
    );
    let batch: Vec<_> = h
        .state()
        .model
        .lines
        .iter()
        .filter(|l| l.name.as_deref().is_some_and(|n| n.starts_with("Batch")))
        .cloned()
        .collect();
    assert_eq!(batch.len(), n, "{batch:?}");
    assert!(
        batch.iter().all(|l| l.points == 60_000),
        "a file is stored whole: {batch:?}"
    );
}

#[test]
fn the_route_saves_as_gpx_through_the_save_dialog() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("Sample Route.gpx"), "old").unwrap();
    let mut h = app_remembering(dir.path(), &out);
    click_first(&mut h, "Sample Route");
    click(&mut h, "File");
    click(&mut h, "Export route as GPX…");
    let d = h.state().model.file_dialog.clone().unwrap();
    assert_eq!(d.file_name, "Sample Route.gpx");
    assert!(d.save_replaces());
    assert!(!texts_containing(&h, "saving replaces it").is_empty());
    // Type a new name instead.
    let field = (egui::accesskit::Role::TextInput, "File name");
    h.get_by_role_and_label(field.0, field.1).click();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_role_and_label(field.0, field.1)
        .type_text("white rim");
    h.run_steps(2);
    assert_eq!(
        h.state().model.file_dialog.as_ref().unwrap().file_name,
        "white rim"
    );
    click(&mut h, "Save");
    let saved = out.join("white rim.gpx");
    assert!(saved.is_file(), "status {:?}", h.state().model.status);
    assert_eq!(
        std::fs::read_to_string(out.join("Sample Route.gpx")).unwrap(),
        "old"
    );
    assert_eq!(read_data(&saved).unwrap().routes, sample_data().routes);
}

/// Dropping an OpenStreetMap extract imports it as map data on the worker: the result line
/// counts its features, the Map data section names the file and its OSM date, and its POIs
/// join the waypoints (marked OSM in the nearest list).
#[test]
fn dropping_an_osm_extract_imports_map_data_and_its_pois() {
    let dir = tempfile::tempdir().unwrap();
    let pbf = dir.path().join("region.osm.pbf");
    let mut g = crate::map::generated();
    g.timestamp = Some(1_700_000_000);
    std::fs::write(&pbf, g.to_bytes()).unwrap();
    let mut h = harness(NavApp::new(file_store(dir.path()), None));
    assert!(!texts_containing(&h, "None: import an OpenStreetMap extract").is_empty());
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(pbf.clone())));
    h.run_steps(1);
    wait_for(&mut h, 60, "the map import", job_done);
    let j = job(&h);
    assert_eq!(j.failed(), 0, "{j:?}");
    match &j.results[0].outcome {
        FileOutcome::MapImported(c) => assert_eq!((c.pois, c.roads), (4, 4), "{c:?}"),
        o => panic!("{o:?}"),
    }
    assert!(!texts_containing(&h, "imported map data: 4 roads").is_empty());
    let m = &h.state().model;
    assert_eq!(m.map_files.len(), 1);
    assert!(!texts_containing(&h, "OSM data of 2023-11-14").is_empty());
    let osm: Vec<_> = m.waypoints.iter().filter(|w| w.id < 0).collect();
    assert_eq!(osm.len(), 4);
    assert!(
        osm.iter()
            .any(|w| w.wpt.kind == trailatlas::core::model::WaypointKind::Fuel)
    );
    assert_eq!(m.waypoint_source(osm[0].id), "OSM");
}
