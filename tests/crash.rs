//! Crash safety: `trailatlas import` SIGKILLed at 50 seeded-random moments spread over the
//! import's measured duration, and two writers at once (two CLI imports; a CLI import while
//! the library appends a drive). After each: the database opens, passes
//! `PRAGMA integrity_check`, and every file is whole or absent.
//! The fixed-delay kill test of one big file is in `cli_import.rs`; this one kills a
//! three-file invocation at random times and checks each file separately.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use trailatlas::core::model::{LatLon, TrackPoint};
use trailatlas::store::Store;

use crate::generator::Rng;
use crate::support::bin;

/// A file of the multi-file import: its track's name, points and waypoints.
struct Part {
    name: &'static str,
    points: usize,
    waypoints: usize,
}

const PARTS: [Part; 3] = [
    Part {
        name: "Alpha",
        points: 20_000,
        waypoints: 200,
    },
    Part {
        name: "Bravo",
        points: 70_000,
        waypoints: 500,
    },
    Part {
        name: "Charlie",
        points: 10_000,
        waypoints: 100,
    },
];

/// Kills at random moments; the test asks for at least this many.
const KILLS: usize = 50;

fn write_part(path: &Path, p: &Part, lat0: f64) {
    let mut s = String::with_capacity(p.points * 40);
    s.push_str(r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">"#);
    for i in 0..p.waypoints {
        s.push_str(&format!(
            r#"<wpt lat="{}" lon="-120.5"><name>{} {i}</name><sym>Campground</sym></wpt>"#,
            lat0 + i as f64 * 1e-3,
            p.name
        ));
    }
    s.push_str(&format!("<trk><name>{}</name><trkseg>", p.name));
    for i in 0..p.points {
        s.push_str(&format!(
            r#"<trkpt lat="{:.6}" lon="{:.6}"><ele>{}</ele></trkpt>"#,
            lat0 + i as f64 * 1e-5,
            -121.0 + (i % 100) as f64 * 1e-5,
            1000 + i % 50
        ));
    }
    s.push_str("</trkseg></trk></gpx>");
    std::fs::write(path, s).unwrap();
}

/// Asserts the database is sound and each part is whole or absent; returns how many parts
/// are present.
fn check_whole_or_absent(db: &Path, base_points: u64, base_waypoints: u64) -> usize {
    let store = Store::open(db).unwrap();
    store.integrity_check().unwrap();
    let (mut points, mut waypoints, mut present) = (base_points, base_waypoints, 0);
    for p in &PARTS {
        if let Ok(line) = store.find_line(p.name) {
            assert_eq!(line.points, p.points as u64, "{} stored in part", p.name);
            points += p.points as u64;
            waypoints += p.waypoints as u64;
            present += 1;
        }
    }
    let info = store.info().unwrap();
    assert_eq!(info.points, points, "points without their line");
    assert_eq!(info.waypoints, waypoints, "waypoints without their file");
    assert_eq!(
        info.files,
        1 + present as u64,
        "a file row without its content"
    );
    present
}

fn import_cmd(db: &Path, files: &[&Path]) -> Command {
    let mut c = Command::new(bin());
    c.arg("--db").arg(db).arg("import").args(files);
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

#[test]
fn sigkill_at_fifty_random_moments_leaves_every_file_whole_or_absent() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base.gpx");
    let base_part = Part {
        name: "Base",
        points: 100,
        waypoints: 3,
    };
    write_part(&base, &base_part, 40.0);
    let files: Vec<_> = PARTS
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let f = tmp.path().join(format!("{}.gpx", p.name));
            write_part(&f, p, 41.0 + i as f64);
            f
        })
        .collect();
    let file_refs: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
    // A database holding the base file, copied for each run. The last connection to close
    // checkpoints and removes the WAL, so the main file is the whole database.
    let template = tmp.path().join("template.sqlite");
    assert!(import_cmd(&template, &[&base]).status().unwrap().success());
    assert!(!tmp.path().join("template.sqlite-wal").exists());
    let fresh = |name: &str| {
        let db = tmp.path().join(name);
        std::fs::copy(&template, &db).unwrap();
        db
    };
    // How long an uninterrupted import takes, so kill times cover all of it.
    let db = fresh("full.sqlite");
    let started = Instant::now();
    assert!(import_cmd(&db, &file_refs).status().unwrap().success());
    let full = started.elapsed();
    assert_eq!(check_whole_or_absent(&db, 100, 3), 3);
    eprintln!("uninterrupted import of 3 files: {full:?}");

    let mut rng = Rng::new(20_261_129);
    let mut present_hist = [0usize; 4];
    for k in 0..KILLS {
        let at = full.mul_f64(rng.next_f64());
        let db = fresh(&format!("k{k}.sqlite"));
        let mut child = import_cmd(&db, &file_refs).spawn().unwrap();
        std::thread::sleep(at);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let present = check_whole_or_absent(&db, 100, 3);
        present_hist[present] += 1;
        // Every tenth run: the database takes the interrupted import again, to the end.
        if k % 10 == 0 {
            assert!(import_cmd(&db, &file_refs).status().unwrap().success());
            assert_eq!(check_whole_or_absent(&db, 100, 3), 3);
        }
        std::fs::remove_file(&db).ok();
    }
    eprintln!("{KILLS} kills; runs by number of files stored (0..=3): {present_hist:?}");
    // The kills must land in different phases, or the test proves little.
    assert!(
        present_hist.iter().filter(|&&n| n > 0).count() >= 2,
        "{present_hist:?}"
    );
}

/// Waits for both children; each must succeed, or fail saying the database is busy.
fn both_succeed_or_say_busy(children: Vec<std::process::Child>) -> Vec<bool> {
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() || err.contains("busy"),
                "neither success nor busy: {err}"
            );
            out.status.success()
        })
        .collect()
}

#[test]
fn two_imports_into_one_database_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let base = tmp.path().join("base.gpx");
    write_part(
        &base,
        &Part {
            name: "Base",
            points: 100,
            waypoints: 3,
        },
        40.0,
    );
    assert!(import_cmd(&db, &[&base]).status().unwrap().success());
    for round in 0..3 {
        let a = tmp.path().join(format!("a{round}.gpx"));
        let b = tmp.path().join(format!("b{round}.gpx"));
        write_part(&a, &PARTS[0], 41.0);
        write_part(&b, &PARTS[2], 43.0);
        std::fs::remove_file(&db).ok();
        std::fs::remove_file(tmp.path().join("t.sqlite-wal")).ok();
        std::fs::remove_file(tmp.path().join("t.sqlite-shm")).ok();
        assert!(import_cmd(&db, &[&base]).status().unwrap().success());
        let spawn = |f: &Path| {
            let mut c = import_cmd(&db, &[f]);
            c.stderr(Stdio::piped());
            c.spawn().unwrap()
        };
        let ok = both_succeed_or_say_busy(vec![spawn(&a), spawn(&b)]);
        let store = Store::open(&db).unwrap();
        store.integrity_check().unwrap();
        for (done, part) in ok.iter().zip([&PARTS[0], &PARTS[2]]) {
            match store.find_line(part.name) {
                Ok(l) => assert_eq!(l.points, part.points as u64),
                Err(_) => assert!(!done, "{} reported imported but absent", part.name),
            }
        }
    }
}

#[test]
fn an_import_while_a_drive_is_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let big = tmp.path().join("big.gpx");
    write_part(&big, &PARTS[1], 41.0);
    let mut store = Store::open(&db).unwrap();
    let drive = store.begin_drive("Drive", 1_700_000_000_000).unwrap();
    let mut child = import_cmd(&db, &[&big]);
    child.stderr(Stdio::piped());
    let child = child.spawn().unwrap();
    // One point a tick, appended as a GPS logger would, until the import is done.
    let mut appended = 0u64;
    let mut busy = 0u64;
    let started = Instant::now();
    let mut pos = LatLon::new(44.0, -121.0);
    let mut child = Some(child);
    let mut import_ok = None;
    let mut worst = Duration::ZERO;
    while started.elapsed() < Duration::from_secs(60) {
        pos.lat += 1e-5;
        let pt = TrackPoint {
            pos,
            ele_m: Some(1000.0),
            time_ms: Some(1_700_000_000_000 + appended as i64 * 1000),
        };
        let t = Instant::now();
        let r = store.append_drive_points(drive, &[pt]);
        worst = worst.max(t.elapsed());
        match r {
            Ok(()) => appended += 1,
            Err(trailatlas::store::StoreError::Busy) => busy += 1,
            Err(e) => panic!("drive append failed: {e}"),
        }
        if let Some(c) = child.as_mut()
            && c.try_wait().unwrap().is_some()
        {
            let ok = both_succeed_or_say_busy(vec![child.take().unwrap()]);
            import_ok = Some(ok[0]);
        }
        if import_ok.is_some() && appended >= 20 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // The import holds the write lock for its whole file, so an append waits up to that long
    // (the recorder must buffer meanwhile); it must not fail or be lost.
    eprintln!("drive points appended: {appended}, busy: {busy}, slowest append: {worst:?}");
    let import_ok = import_ok.expect("the import did not finish in 60 s");
    drop(store);
    let store = Store::open(&db).unwrap();
    store.integrity_check().unwrap();
    assert_eq!(store.find_line("Drive").unwrap().points, appended);
    match store.find_line(PARTS[1].name) {
        Ok(l) => assert_eq!(l.points, PARTS[1].points as u64),
        Err(_) => assert!(!import_ok),
    }
}

/// Recording kills; the test asks for at least this many.
const GPS_KILLS: usize = 50;
/// A fix printed this long before the kill must be in the database (the recorder commits at
/// least once a second), plus an allowance for a loaded machine's scheduling.
const GPS_MAX_LOSS: Duration = Duration::from_millis(1500);

/// One recording run killed `after` its start: returns (printed fixes with the moment each
/// was printed, the kill moment).
fn record_then_kill(db: &Path, log: &Path, after: Duration) -> (Vec<(Instant, i64)>, Instant) {
    use std::io::BufRead as _;
    let mut child = Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(["gps", "--json", "--record", "--source"])
        .arg(format!("replay:{}@20", log.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut printed = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if let Some(t) = v["time"]
                .as_str()
                .and_then(trailatlas::import::parse_time_ms)
            {
                printed.push((Instant::now(), t));
            }
        }
        printed
    });
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL
    let killed_at = Instant::now();
    child.wait().unwrap();
    (reader.join().unwrap(), killed_at)
}

#[test]
fn gps_recording_killed_at_fifty_random_moments_loses_at_most_a_second() {
    let tmp = tempfile::tempdir().unwrap();
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-drive.nmea");
    let mut rng = Rng::new(1_129);
    let (mut with_points, mut max_lost) = (0, 0usize);
    for k in 0..GPS_KILLS {
        let db = tmp.path().join(format!("g{k}.sqlite"));
        // 20x replay of a 1 Hz log: a fix every 50 ms; kills from before the first commit to
        // a few commits in.
        let after = Duration::from_millis(50 + (rng.next_f64() * 1500.0) as u64);
        let (printed, killed_at) = record_then_kill(&db, &log, after);
        let store = Store::open(&db).unwrap();
        store.integrity_check().unwrap();
        let drives = store.drives().unwrap();
        assert!(drives.len() <= 1, "run {k}: {} drives", drives.len());
        let recorded: Vec<i64> = match drives.first() {
            Some(d) => store
                .line(d.id)
                .unwrap()
                .points()
                .filter_map(|p| p.time_ms)
                .collect(),
            None => Vec::new(),
        };
        let printed_times: Vec<i64> = printed.iter().map(|(_, t)| *t).collect();
        assert!(
            recorded.len() <= printed_times.len() && recorded == printed_times[..recorded.len()],
            "run {k}: recorded is not a prefix of what was printed"
        );
        let must_have = printed
            .iter()
            .filter(|(at, _)| *at + GPS_MAX_LOSS <= killed_at)
            .count();
        assert!(
            recorded.len() >= must_have,
            "run {k} (killed after {after:?}): recorded {}, printed {}, printed > 1 s before the kill {must_have}",
            recorded.len(),
            printed.len()
        );
        with_points += usize::from(!recorded.is_empty());
        max_lost = max_lost.max(printed.len() - recorded.len());
        std::fs::remove_file(&db).ok();
    }
    eprintln!(
        "{GPS_KILLS} recording kills: {with_points} with points stored; at most {max_lost} printed fixes (50 ms each at 20x) lost"
    );
    assert!(
        with_points > 0 && with_points < GPS_KILLS,
        "kills did not span the first commit"
    );
}
