//! The store: round trips, R-tree windows, drives, WAL, migrations from old databases.

use trailatlas::core::model::{BBox, LatLon, LineKind, TrackPoint, WaypointKind};
use trailatlas::store::{FileStatus, Store, StoreError};

use crate::generator::{sample_data, wander};

fn filled() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let r = store.import_data("sample.gpx", &sample_data());
    assert_eq!(r.status, FileStatus::Imported, "{:?}", r.error);
    store
}

#[test]
fn a_track_reads_back_exactly_with_all_segments() {
    let store = filled();
    let track = store.find_line("sample track").unwrap();
    assert_eq!(track.kind, LineKind::Track);
    assert_eq!(track.points, 700);
    let gpx = store.gpx_for_line(track.id, true).unwrap();
    assert_eq!(gpx.tracks, sample_data().tracks);
    assert_eq!(gpx.waypoints, sample_data().waypoints);
}

#[test]
fn a_route_reads_back_with_its_shaping_points() {
    let store = filled();
    let route = store.find_line("Sample Route").unwrap();
    assert_eq!(route.kind, LineKind::Route);
    assert_eq!(route.points, 3 + 299 + 348);
    let gpx = store.gpx_for_line(route.id, false).unwrap();
    assert_eq!(gpx.routes, sample_data().routes);
    assert!(gpx.waypoints.is_empty());
}

#[test]
fn line_length_and_bbox_are_computed_on_import() {
    let store = filled();
    let track = store.find_line("Sample Track").unwrap();
    let pts: Vec<LatLon> = sample_data().tracks[0]
        .segments
        .iter()
        .flatten()
        .map(|p| p.pos)
        .collect();
    // Segments are joined: the jumps between them count (issue 15).
    let expected = trailatlas::core::geodesy::path_length_m(pts.iter().copied());
    assert!(
        (track.length_m - expected).abs() < 1e-6,
        "{} vs {expected}",
        track.length_m
    );
    assert_eq!(track.bbox, Some(BBox::of(pts)));
}

#[test]
fn finding_lines_by_id_name_and_failing_clearly() {
    let store = filled();
    let by_name = store.find_line("SAMPLE TRACK").unwrap();
    assert_eq!(store.find_line(&by_name.id.to_string()).unwrap(), by_name);
    let err = store.find_line("nope").unwrap_err();
    assert!(matches!(err, StoreError::NoSuchLine(_)), "{err}");
    assert!(err.to_string().contains("nope"));
}

#[test]
fn two_lines_with_one_name_are_ambiguous() {
    let mut store = filled();
    let mut other = sample_data();
    other.waypoints.clear();
    other.routes.clear();
    store.import_data("other.gpx", &other);
    let err = store.find_line("Sample Track").unwrap_err();
    assert!(matches!(err, StoreError::Ambiguous { .. }), "{err}");
}

#[test]
fn importing_the_same_data_twice_is_unchanged() {
    let mut store = filled();
    let r = store.import_data("sample.gpx", &sample_data());
    assert_eq!(r.status, FileStatus::Unchanged);
    assert_eq!(r.counts.waypoints, 3);
    assert_eq!(r.counts.track_points, 700);
    assert_eq!(r.counts.route_points, 3);
    assert_eq!(store.lines().unwrap().len(), 2);
}

#[test]
fn waypoints_filter_by_kind_and_window() {
    let store = filled();
    assert_eq!(store.waypoints(&[], None).unwrap().len(), 3);
    let fuel = store.waypoints(&[WaypointKind::Fuel], None).unwrap();
    assert_eq!(fuel.len(), 1);
    assert_eq!(fuel[0].wpt.name.as_deref(), Some("Fuel A"));
    let p = fuel[0].wpt.pos;
    let tight = BBox {
        min_lon: p.lon - 1e-6,
        min_lat: p.lat - 1e-6,
        max_lon: p.lon + 1e-6,
        max_lat: p.lat + 1e-6,
    };
    let found = store.waypoints(&[], Some(tight)).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, fuel[0].id);
    let far = BBox {
        min_lon: 10.0,
        min_lat: 10.0,
        max_lon: 11.0,
        max_lat: 11.0,
    };
    assert!(store.waypoints(&[], Some(far)).unwrap().is_empty());
}

#[test]
fn a_window_reads_only_the_pieces_it_shows_and_the_joining_segment() {
    let store = filled();
    let track = store.find_line("Sample Track").unwrap();
    let line = store.line(track.id).unwrap();
    let seg = &line.segments[2];
    // Points 255 and 256 of this segment straddle a piece boundary; a window on the
    // midpoint of the segment between them must still return a run covering both.
    let a = seg[255].pos;
    let b = seg[256].pos;
    let mid = LatLon::new((a.lat + b.lat) / 2.0, (a.lon + b.lon) / 2.0);
    let window = BBox {
        min_lon: mid.lon - 1e-7,
        min_lat: mid.lat - 1e-7,
        max_lon: mid.lon + 1e-7,
        max_lat: mid.lat + 1e-7,
    };
    let runs = store.line_pieces_in_bbox(window).unwrap();
    let joined = runs
        .iter()
        .any(|(id, pts)| *id == track.id && pts.windows(2).any(|w| w[0].pos == a && w[1].pos == b));
    assert!(joined, "no run joins the two pieces: {} runs", runs.len());
    let total: usize = runs.iter().map(|(_, p)| p.len()).sum();
    assert!(total < 700, "a small window read {total} points");
}

#[test]
fn a_drive_grows_across_pieces_and_reads_back_whole() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store.begin_drive("Tuesday", 1_700_000_000_000).unwrap();
    let pts = wander(LatLon::new(45.0, -120.0), 600, 11);
    for chunk in pts.chunks(7) {
        store.append_drive_points(id, chunk).unwrap();
    }
    let line = store.line(id).unwrap();
    assert_eq!(line.kind, LineKind::Drive);
    assert_eq!(line.segments, vec![pts.clone()]);
    let summary = store.drives().unwrap();
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].points, 600);
    assert_eq!(summary[0].ended_ms, pts.last().and_then(|p| p.time_ms));
    let expected = trailatlas::core::geodesy::path_length_m(pts.iter().map(|p| p.pos));
    assert!((summary[0].length_m - expected).abs() < 1e-6);
    // The R-tree sees the drive too.
    let p = pts[300].pos;
    let w = BBox {
        min_lon: p.lon - 1e-6,
        min_lat: p.lat - 1e-6,
        max_lon: p.lon + 1e-6,
        max_lat: p.lat + 1e-6,
    };
    assert!(
        store
            .line_pieces_in_bbox(w)
            .unwrap()
            .iter()
            .any(|(l, _)| *l == id)
    );
}

#[test]
fn appending_to_something_that_is_not_a_drive_fails() {
    let mut store = filled();
    let track = store.find_line("Sample Track").unwrap();
    let p = TrackPoint::default();
    assert!(store.append_drive_points(track.id, &[p]).is_err());
}

#[test]
fn a_file_database_is_in_wal_mode_and_passes_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite");
    let mut store = Store::open(&path).unwrap();
    store.import_data("sample.gpx", &sample_data());
    store.integrity_check().unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let opts: Vec<String> = conn
        .prepare("PRAGMA compile_options")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(opts.iter().any(|o| o == "ENABLE_RTREE"));
}

#[test]
fn a_database_from_a_newer_version_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite");
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
}

/// Every database in `data/db/` was written by a released schema version. Each must open in
/// this build with every row still there and readable.
#[test]
fn databases_from_every_released_schema_version_open_with_nothing_lost() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/db");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let src = entry.unwrap().path();
        if src.extension().is_none_or(|e| e != "sqlite") {
            continue;
        }
        seen += 1;
        // Opening migrates in place: work on a copy, never the committed file.
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("old.sqlite");
        std::fs::copy(&src, &path).unwrap();
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            trailatlas::store::migrations::SCHEMA_VERSION
        );
        store.integrity_check().unwrap();
        let data = sample_data();
        let track = store.find_line("Sample Track").unwrap();
        assert_eq!(
            store.gpx_for_line(track.id, true).unwrap().tracks,
            data.tracks,
            "{}",
            src.display()
        );
        let route = store.find_line("Sample Route").unwrap();
        assert_eq!(
            store.gpx_for_line(route.id, true).unwrap().routes,
            data.routes
        );
        assert_eq!(
            store.gpx_for_line(route.id, true).unwrap().waypoints,
            data.waypoints
        );
        let drives = store.drives().unwrap();
        assert_eq!(drives.len(), 1);
        let drive = store.line(drives[0].id).unwrap();
        assert_eq!(
            drive.segments,
            vec![wander(LatLon::new(44.5, -121.0), 300, 3)]
        );
    }
    assert!(seen >= 1, "no old databases in {}", dir.display());
}

#[test]
fn a_line_path_is_the_lines_points_without_times() {
    let store = filled();
    for l in store.lines().unwrap() {
        let full = store.line(l.id).unwrap();
        let path = store.line_path(l.id).unwrap();
        let pos: Vec<LatLon> = full.points().map(|p| p.pos).collect();
        assert_eq!(path.points, pos);
        assert_eq!(path.ele_m.len(), pos.len());
        for (p, e) in full.points().zip(&path.ele_m) {
            match p.ele_m {
                Some(want) => assert!((f64::from(*e) - want).abs() < 0.01, "{e} vs {want}"),
                None => assert!(e.is_nan()),
            }
        }
        assert_eq!(path.display_color, full.meta.display_color);
    }
    assert!(matches!(
        store.line_path(9_999),
        Err(StoreError::NoSuchLine(_))
    ));
}
