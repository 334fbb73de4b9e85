//! Issue 15, "what a new user tripped over": one regression test (or a few) per defect, each
//! through the real `trailatlas` binary where the user met it.
//! 1 one length everywhere (gaps between segments count), 2 a closed pipe ends quietly,
//! 3 gzip-compressed GPX, 4 an unopenable database said once, 7 the index page says when
//! there is no cue sheet. Defect 5 (the app opens fitted, Follow needs a position) is in
//! `app.rs`; 6 (unused dependencies) in `tidy.rs`; 9 (the reader-only fuzz target) in
//! `fuzz_corpus.rs`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use trailatlas::core::geodesy::distance_m;
use trailatlas::core::model::LatLon;

use crate::support::bin;

fn run(db: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

fn ok_json(db: &Path, args: &[&str]) -> Value {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn import(db: &Path, file: &Path) -> Output {
    let out = run(db, &["import", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A track of `segs` segments, each a short line north-east, each starting about 1.1 km
/// east of where the last one ended (a GPS switched off and on while driving).
fn segmented_track(segs: usize) -> (String, Vec<Vec<LatLon>>) {
    let mut all = Vec::new();
    let mut gpx = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="issue 15" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>Segmented</name>
"#,
    );
    for s in 0..segs {
        let mut seg = Vec::new();
        gpx.push_str("<trkseg>\n");
        for i in 0..20 {
            let p = LatLon::new(
                42.50 + 0.001 * i as f64,
                1.50 + 0.03 * s as f64 + 0.0005 * i as f64,
            );
            gpx.push_str(&format!(
                "<trkpt lat=\"{:.6}\" lon=\"{:.6}\"/>\n",
                p.lat, p.lon
            ));
            seg.push(p);
        }
        gpx.push_str("</trkseg>\n");
        all.push(seg);
    }
    gpx.push_str("</trk></gpx>\n");
    (gpx, all)
}

fn path_len(points: impl IntoIterator<Item = LatLon>) -> f64 {
    let mut prev: Option<LatLon> = None;
    let mut sum = 0.0;
    for p in points {
        if let Some(a) = prev {
            sum += distance_m(a, p);
        }
        prev = Some(p);
    }
    sum
}

// Defect 1: `routes` gave a segmented track without the jumps between segments, `logistics`
// with them. Gaps count: the vehicle drove them.
#[test]
fn defect_1_routes_and_logistics_give_one_length_gaps_included() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let file = tmp.path().join("segmented.gpx");
    let (gpx, segs) = segmented_track(8);
    std::fs::write(&file, gpx).unwrap();
    import(&db, &file);
    let joined = path_len(segs.iter().flatten().copied());
    let within: f64 = segs.iter().map(|s| path_len(s.iter().copied())).sum();
    assert!(
        joined - within > 5_000.0,
        "the gaps are long: {joined} vs {within}"
    );
    let routes = ok_json(&db, &["routes", "--json"]);
    let listed = routes[0]["length_m"].as_f64().unwrap();
    let logistics = ok_json(&db, &["logistics", "--route", "Segmented", "--json"]);
    let planned = logistics["length_m"].as_f64().unwrap();
    assert!(
        (listed - joined).abs() < 0.5,
        "routes: {listed} vs {joined}"
    );
    assert!(
        (planned - joined).abs() < 0.5,
        "logistics: {planned} vs {joined}"
    );
}

// Defect 1, on a database written before the fix (its stored length leaves the gaps out):
// the listing still adds them, so old and new databases agree.
#[test]
fn defect_1_a_database_from_before_the_fix_lists_the_gaps_too() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let file = tmp.path().join("segmented.gpx");
    let (gpx, segs) = segmented_track(5);
    std::fs::write(&file, gpx).unwrap();
    import(&db, &file);
    let within: f64 = segs.iter().map(|s| path_len(s.iter().copied())).sum();
    // What the import stored before the fix.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE lines SET length_m = ?1", [within])
        .unwrap();
    drop(conn);
    let joined = path_len(segs.iter().flatten().copied());
    let listed = ok_json(&db, &["routes", "--json"])[0]["length_m"]
        .as_f64()
        .unwrap();
    assert!((listed - joined).abs() < 0.5, "{listed} vs {joined}");
}

/// Runs `args` with stdout read for one line and then closed; returns the exit status and
/// stderr.
fn with_closed_pipe(db: &Path, args: &[&str]) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(!first.is_empty());
    drop(out);
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (child.wait().unwrap(), err)
}

// Defect 2: `trailatlas waypoints | head` ended with "error: Broken pipe (os error 32)".
#[test]
fn defect_2_a_closed_pipe_ends_the_listing_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let file = tmp.path().join("many.gpx");
    let mut gpx = String::from(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">"#,
    );
    // About 500 KB of listing: far more than a pipe holds, so the writer meets the close.
    for i in 0..8000 {
        gpx.push_str(&format!(
            "<wpt lat=\"{:.5}\" lon=\"{:.5}\"><name>Waypoint number {i}</name><sym>Flag, Blue</sym></wpt>\n",
            42.0 + i as f64 * 1e-4,
            1.5
        ));
    }
    gpx.push_str("</gpx>");
    std::fs::write(&file, gpx).unwrap();
    import(&db, &file);
    for args in [
        &["waypoints"][..],
        &["waypoints", "--json"][..],
        &["nearest", "--at", "42.1,1.5", "-n", "5000"][..],
    ] {
        let (status, err) = with_closed_pipe(&db, args);
        assert!(err.is_empty(), "{args:?}: stderr {err:?}");
        assert!(status.success(), "{args:?}: {status:?}");
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

// Defect 3: a `.gpx.gz` failed with "text is not valid UTF-8".
#[test]
fn defect_3_a_gzip_compressed_gpx_imports_like_the_plain_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (gpx, _) = segmented_track(3);
    let plain = tmp.path().join("trip.gpx");
    std::fs::write(&plain, &gpx).unwrap();
    // Named .gpx.gz, and one compressed file named plain .gpx (found by its magic bytes).
    let gz = tmp.path().join("trip-copy.gpx.gz");
    std::fs::write(&gz, gzip(gpx.as_bytes())).unwrap();
    let disguised = tmp.path().join("disguised.gpx");
    std::fs::write(&disguised, gzip(gpx.as_bytes())).unwrap();
    let db = tmp.path().join("t.sqlite");
    for f in [&plain, &gz, &disguised] {
        import(&db, f);
    }
    let routes = ok_json(&db, &["routes", "--json"]);
    let lines = routes.as_array().unwrap();
    assert_eq!(lines.len(), 3, "{routes}");
    for l in lines {
        assert_eq!(l["points"], 60, "{l}");
        assert_eq!(l["length_m"], lines[0]["length_m"], "{l}");
    }
    // A folder import takes the .gpx.gz too.
    let db2 = tmp.path().join("t2.sqlite");
    let out = run(&db2, &["import", "--json", tmp.path().to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<String> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with("trip-copy.gpx.gz")),
        "{names:?}"
    );
}

// Defect 3: a damaged gzip file is named as such, with the file's path, on one line.
#[test]
fn defect_3_a_truncated_gzip_file_is_named_as_gzip() {
    let tmp = tempfile::tempdir().unwrap();
    let (gpx, _) = segmented_track(3);
    let mut bytes = gzip(gpx.as_bytes());
    bytes.truncate(bytes.len() / 2);
    let file = tmp.path().join("cut.gpx.gz");
    std::fs::write(&file, bytes).unwrap();
    let db = tmp.path().join("t.sqlite");
    let out = run(&db, &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find(|l| l.contains("cut.gpx.gz:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("gzip"), "{line}");
    assert!(!line.contains("UTF-8"), "{line}");
    assert_eq!(ok_json(&db, &["info", "--json"])["points"], 0);
}

// Defect 4: "unable to open database file: P: unable to open database file: P: Error code 14:
// unable to open database file". One clause, said once.
#[test]
fn defect_4_an_unopenable_database_is_said_once() {
    let tmp = tempfile::tempdir().unwrap();
    // A folder where the database file should be.
    let db: PathBuf = tmp.path().join("folder.sqlite");
    std::fs::create_dir(&db).unwrap();
    let out = run(&db, &["info"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(err.matches("unable to open").count(), 1, "{err}");
    assert_eq!(err.matches(db.to_str().unwrap()).count(), 1, "{err}");
    assert!(!err.contains("Error code"), "{err}");
}

// Defect 7: a route with no waypoints near it gets no cue sheet; the index page says so.
#[test]
fn defect_7_the_index_says_when_there_is_no_cue_sheet() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut gpx, _) = segmented_track(2);
    // One waypoint 100 km away: not along the route.
    gpx = gpx.replace(
        "<trk>",
        r#"<wpt lat="43.40" lon="1.50"><name>Far Away Fuel</name><sym>Gas Station</sym></wpt><trk>"#,
    );
    let file = tmp.path().join("lonely.gpx");
    std::fs::write(&file, gpx).unwrap();
    let db = tmp.path().join("t.sqlite");
    import(&db, &file);
    let pdf = tmp.path().join("atlas.pdf");
    let layout = tmp.path().join("atlas.json");
    let out = run(
        &db,
        &[
            "atlas",
            "--route",
            "Segmented",
            "-o",
            pdf.to_str().unwrap(),
            "--layout-json",
            layout.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let Ok(text) = Command::new("pdftotext")
        .args(["-f", "1", "-l", "1"])
        .arg(&pdf)
        .arg("-")
        .output()
    else {
        eprintln!("skipping the PDF text check: pdftotext (poppler-utils) is not installed");
        return;
    };
    let index = String::from_utf8_lossy(&text.stdout);
    assert!(
        index.contains("no cue sheet: nothing along the route"),
        "{index}"
    );
    assert!(!index.contains("cue sheet from page"), "{index}");
}
