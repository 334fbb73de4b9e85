//! Replays the kept fuzz inputs (tests/fuzz_corpus/<target>/: crashes found, then fixed, and a
//! small minimized corpus) through the same checks as the fuzz targets in fuzz/fuzz_targets/,
//! so every `cargo test` re-runs them without cargo-fuzz.

use std::path::{Path, PathBuf};
use std::time::Instant;

use trailatlas::core::coords::{self, Datum};
use trailatlas::gps::gpsd::GpsdDecoder;
use trailatlas::gps::nmea::{FixAssembler, LineSplitter};
use trailatlas::import::{Collect, read_bytes};
use trailatlas::store::{FileStatus, Store};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap();
            (f, bytes)
        })
        .collect()
}

/// The `gpx_import` target's checks.
fn check_gpx_import(name: &str, data: &[u8]) {
    let mut store = Store::open_in_memory().unwrap();
    let report = store.import_bytes("fuzz.gpx", data);
    let info = store.info().unwrap();
    match report.status {
        FileStatus::Failed => {
            let err = report.error.as_deref().unwrap();
            assert!(err.starts_with("fuzz.gpx:"), "{name}: {err}");
            assert!(!err.contains('\n'), "{name}: {err}");
            assert_eq!(
                (
                    info.files,
                    info.tracks,
                    info.routes,
                    info.points,
                    info.waypoints
                ),
                (0, 0, 0, 0, 0),
                "{name}: a failed import stored something"
            );
        }
        FileStatus::Imported => {
            assert_eq!(info.files, 1, "{name}");
            assert_eq!(info.waypoints, report.counts.waypoints, "{name}");
            assert_eq!(info.tracks, report.counts.tracks, "{name}");
            assert_eq!(info.routes, report.counts.routes, "{name}");
        }
        FileStatus::Unchanged => panic!("{name}: first import reported unchanged"),
    }
    store.integrity_check().unwrap();
}

#[test]
fn gpx_import_corpus_replays_cleanly() {
    let files = corpus("gpx_import");
    let mut imported = 0;
    for (path, bytes) in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        check_gpx_import(&name, bytes);
        let mut store = Store::open_in_memory().unwrap();
        if store.import_bytes("x", bytes).status == FileStatus::Imported {
            imported += 1;
        }
    }
    // The corpus must exercise both paths, or it has rotted into one kind of input.
    assert!(
        imported > 0 && imported < files.len(),
        "{imported}/{}",
        files.len()
    );
}

/// The `gpx_read` target's checks (fuzz/fuzz_targets/gpx_read.rs): the reader alone. Returns
/// whether the input was read.
fn check_gpx_read(name: &str, data: &[u8]) -> bool {
    let mut sink = Collect::default();
    match read_bytes(Path::new("fuzz.gpx"), data, &mut sink) {
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("fuzz.gpx:"), "{name}: {msg}");
            assert!(!msg.contains('\n'), "{name}: {msg}");
            false
        }
        Ok(counts) => {
            let d = &sink.data;
            assert_eq!(counts.waypoints, d.waypoints.len() as u64, "{name}");
            assert_eq!(counts.tracks, d.tracks.len() as u64, "{name}");
            assert_eq!(counts.routes, d.routes.len() as u64, "{name}");
            let points: usize = d
                .tracks
                .iter()
                .map(|t| t.segments.iter().map(Vec::len).sum::<usize>())
                .sum();
            assert_eq!(counts.track_points, points as u64, "{name}");
            let rpts: usize = d.routes.iter().map(|r| r.points.len()).sum();
            assert_eq!(counts.route_points, rpts as u64, "{name}");
            assert!(d.waypoints.iter().all(|w| w.pos.is_valid()), "{name}");
            true
        }
    }
}

// Issue 15, defect 9: a reader-only target (no SQLite per execution) beside `gpx_import`.
#[test]
fn gpx_read_corpus_replays_cleanly() {
    let files = corpus("gpx_read");
    let read = files
        .iter()
        .filter(|(path, bytes)| check_gpx_read(&path.file_name().unwrap().to_string_lossy(), bytes))
        .count();
    assert!(read > 0 && read < files.len(), "{read}/{}", files.len());
    // Gzip-compressed input is part of the corpus (the reader unpacks it by its magic bytes).
    assert!(files.iter().any(|(_, b)| b.starts_with(&[0x1f, 0x8b])));
    let fuzz_toml =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
            .unwrap();
    assert!(fuzz_toml.contains("name = \"gpx_read\""));
    assert!(
        fuzz_toml.contains("name = \"gpx_import\""),
        "the store target stays"
    );
}

#[test]
fn coords_corpus_replays_cleanly() {
    let files = corpus("coords");
    let mut parsed = 0;
    for (path, bytes) in &files {
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        for datum in Datum::ALL {
            if let Ok(p) = coords::parse(text, datum) {
                assert!(p.is_valid(), "{}: {text:?} -> {p:?}", path.display());
                parsed += 1;
            }
        }
    }
    assert!(parsed > 0);
}

/// The `nmea` target's checks (fuzz/fuzz_targets/nmea.rs).
fn check_nmea(name: &str, data: &[u8]) -> usize {
    let mut asm = FixAssembler::new();
    let mut split = LineSplitter::new();
    let mut fixes = Vec::new();
    split.push(data, |line| fixes.extend(asm.push_line(line)));
    split.finish(|line| fixes.extend(asm.push_line(line)));
    fixes.extend(asm.finish());
    for f in &fixes {
        assert!(f.pos.is_valid(), "{name}: {f:?}");
    }
    assert_eq!(asm.stats().fixes, fixes.len() as u64, "{name}");
    let mut gpsd = GpsdDecoder::new();
    let now = Instant::now();
    for line in data.split(|&b| b == b'\n') {
        if let Some(f) = gpsd.push_line(line, now) {
            assert!(f.pos.is_valid(), "{name}: {f:?}");
            fixes.push(f);
        }
    }
    let _ = gpsd.flush(now, true);
    fixes.len()
}

#[test]
fn nmea_corpus_replays_cleanly() {
    let files = corpus("nmea");
    let fixes: usize = files
        .iter()
        .map(|(path, bytes)| check_nmea(&path.file_name().unwrap().to_string_lossy(), bytes))
        .sum();
    assert!(fixes > 0);
}

#[test]
fn import_bytes_is_idempotent_and_replaces() {
    let gpx = br#"<gpx version="1.1"><wpt lat="1" lon="2"/></gpx>"#;
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(store.import_bytes("a", gpx).status, FileStatus::Imported);
    assert_eq!(store.import_bytes("a", gpx).status, FileStatus::Unchanged);
    let two = br#"<gpx version="1.1"><wpt lat="1" lon="2"/><wpt lat="3" lon="4"/></gpx>"#;
    assert_eq!(store.import_bytes("a", two).status, FileStatus::Imported);
    let info = store.info().unwrap();
    assert_eq!((info.files, info.waypoints), (1, 2));
}

/// The `osm_import` target's checks (fuzz/fuzz_targets/osm_import.rs), always through the
/// store.
fn check_osm_import(name: &str, data: &[u8]) {
    use trailatlas::import::osm::{MapCollect, ReadOptions, read_bytes};
    let opts = ReadOptions {
        threads: 1,
        ..ReadOptions::default()
    };
    let read = read_bytes(
        std::path::Path::new("fuzz.osm.pbf"),
        data,
        &mut MapCollect::default(),
        opts,
    );
    let mut store = Store::open_in_memory().unwrap();
    let r = store.import_map_bytes("fuzz.osm.pbf", data);
    let info = store.map_info().unwrap();
    match read {
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with("fuzz.osm.pbf: ") && !msg.contains('\n'),
                "{name}: {msg}"
            );
            assert_eq!(r.status, FileStatus::Failed, "{name}");
            assert!(
                info.files.is_empty() && info.roads == 0,
                "{name}: stored a failed file"
            );
        }
        Ok(counts) => {
            assert_eq!(r.status, FileStatus::Imported, "{name}: {:?}", r.error);
            assert_eq!(r.counts, counts, "{name}");
            assert_eq!(info.roads, counts.roads, "{name}");
            let pois: u64 = info.pois.iter().map(|(_, n)| n).sum();
            assert_eq!(pois, counts.pois, "{name}");
        }
    }
    store.integrity_check().unwrap();
}

#[test]
fn osm_import_corpus_replays_cleanly() {
    for (path, data) in corpus("osm_import") {
        let name = path.display().to_string();
        check_osm_import(&name, &data);
        // Every prefix of the small seeds: truncation anywhere is an error, never a panic.
        if data.len() <= 2048 {
            for cut in (0..data.len()).step_by(7) {
                check_osm_import(&name, &data[..cut]);
            }
        }
    }
}

/// The `dem` target's checks (fuzz/fuzz_targets/dem.rs): the first byte picks the name.
fn check_dem(name: &str, data: &[u8]) -> bool {
    use trailatlas::core::model::LatLon;
    use trailatlas::import::dem::DemLimits;
    const NAMES: [&str; 4] = ["N42E001.hgt", "N42E001.hgt.zip", "dem.tif", "dem"];
    let Some((&pick, bytes)) = data.split_first() else {
        return false;
    };
    let label = NAMES[usize::from(pick) % NAMES.len()];
    let limits = DemLimits {
        max_samples: 4_000_000,
    };
    // The reader alone and the store agree (a raster that reads must store).
    let read = trailatlas::import::dem::read_dem_bytes(label, bytes, &limits).is_ok();
    let mut store = Store::open_in_memory().unwrap();
    let report = store.import_dem_bytes(
        label,
        bytes,
        &DemLimits {
            max_samples: 4_000_000,
        },
    );
    let dems = store.dems().unwrap();
    assert_eq!(
        read,
        report.status == FileStatus::Imported,
        "{name}: reader and store disagree: {:?}",
        report.error
    );
    let imported = match report.status {
        FileStatus::Failed => {
            let e = report.error.unwrap();
            assert!(e.starts_with(label) && !e.contains('\n'), "{name}: {e}");
            assert!(dems.is_empty(), "{name}: a failed import stored something");
            false
        }
        FileStatus::Imported => {
            assert_eq!(dems.len(), 1, "{name}");
            let b = dems[0].bbox;
            let probe: Vec<LatLon> = (0..=8)
                .map(|i| {
                    let t = f64::from(i) / 8.0;
                    LatLon::new(
                        b.min_lat + t * (b.max_lat - b.min_lat),
                        b.min_lon + t * (b.max_lon - b.min_lon),
                    )
                })
                .collect();
            let (values, _) = store.elevations(&probe).unwrap();
            for v in values.into_iter().flatten() {
                assert!(v.is_finite() && v.abs() <= 20_000.0, "{name}: {v}");
            }
            true
        }
        FileStatus::Unchanged => panic!("{name}: first import reported unchanged"),
    };
    store.integrity_check().unwrap();
    imported
}

#[test]
fn dem_corpus_replays_cleanly() {
    let files = corpus("dem");
    let imported = files
        .iter()
        .filter(|(path, bytes)| check_dem(&path.file_name().unwrap().to_string_lossy(), bytes))
        .count();
    // Both paths, or the corpus has rotted into one kind of input.
    assert!(
        imported > 0 && imported < files.len(),
        "{imported}/{}",
        files.len()
    );
}
