//! `trailatlas import` end to end: real files, counts, failures, idempotence, replace,
//! folders, export round trip, and SIGKILL in the middle of a large import.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use trailatlas::store::Store;

use crate::support::{bin, real_fixtures};

fn run(db: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

fn import_json(db: &Path, files: &[&Path]) -> (i32, Value) {
    let mut c = Command::new(bin());
    c.arg("--db").arg(db).args(["import", "--json"]);
    c.args(files);
    let out = c.output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

/// Counts `<tag` start tags (not `<tagx` or `<ns:tag`) outside XML comments.
fn count_tag(text: &str, tag: &str) -> u64 {
    let mut clean = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<!--") {
        clean.push_str(&rest[..i]);
        rest = rest[i..].find("-->").map_or("", |j| &rest[i + j + 3..]);
    }
    clean.push_str(rest);
    let needle = format!("<{tag}");
    clean
        .match_indices(&needle)
        .filter(|(i, _)| {
            clean[i + needle.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_whitespace() || c == '>' || c == '/')
        })
        .count() as u64
}

fn info(db: &Path) -> Value {
    serde_json::from_slice(&run(db, &["info", "--json"]).stdout).unwrap()
}

#[test]
fn every_valid_real_file_imports_with_the_counts_of_its_elements() {
    let Some(dir) = real_fixtures() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "gpx"))
        .collect();
    files.sort();
    assert!(files.len() >= 15);
    for f in &files {
        let before = info(&db);
        let (code, v) = import_json(&db, &[f]);
        let rep = &v["files"][0];
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        if f.file_name().unwrap().to_string_lossy().contains("bad-xml") {
            assert_eq!(code, 1, "{}", f.display());
            assert_eq!(rep["status"], "failed");
            let err = rep["error"].as_str().unwrap();
            let prefix = format!("{}:", f.display());
            assert!(err.starts_with(&prefix), "{err}");
            let pos: Vec<&str> = err[prefix.len()..].splitn(3, ':').collect();
            assert!(
                pos[0].parse::<u32>().is_ok() && pos[1].parse::<u32>().is_ok(),
                "no line:col in {err}"
            );
            assert_eq!(info(&db), before, "a failed import changed the database");
            continue;
        }
        assert_eq!(code, 0, "{}: {v}", f.display());
        assert_eq!(rep["status"], "imported", "{}: {v}", f.display());
        assert_eq!(rep["waypoints"], count_tag(&text, "wpt"), "{}", f.display());
        assert_eq!(
            rep["track_points"],
            count_tag(&text, "trkpt"),
            "{}",
            f.display()
        );
        assert_eq!(
            rep["route_points"],
            count_tag(&text, "rtept"),
            "{}",
            f.display()
        );
        assert_eq!(rep["tracks"], count_tag(&text, "trk"), "{}", f.display());
        assert_eq!(rep["routes"], count_tag(&text, "rte"), "{}", f.display());
    }
}

#[test]
fn reimporting_is_a_no_op_reported_as_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-andorra-loop.gpx");
    let (code, first) = import_json(&db, &[&sample]);
    assert_eq!(code, 0, "{first}");
    assert_eq!(first["files"][0]["status"], "imported");
    let before = info(&db);
    let (code, second) = import_json(&db, &[&sample]);
    assert_eq!(code, 0);
    assert_eq!(second["files"][0]["status"], "unchanged");
    for k in ["tracks", "track_points", "waypoints"] {
        assert_eq!(first["files"][0][k], second["files"][0][k], "{k}");
    }
    let after = info(&db);
    assert_eq!(before["points"], after["points"]);
    assert_eq!(before["waypoints"], after["waypoints"]);
}

fn write_gpx(path: &Path, name: &str, n: usize) {
    let mut s = String::from(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">"#,
    );
    s.push_str(&format!(
        r#"<wpt lat="44" lon="-121"><name>{name} fuel</name><sym>Gas Station</sym></wpt>"#
    ));
    s.push_str(&format!("<trk><name>{name}</name><trkseg>"));
    for i in 0..n {
        s.push_str(&format!(
            r#"<trkpt lat="{}" lon="-121.0"/>"#,
            44.0 + i as f64 * 0.001
        ));
    }
    s.push_str("</trkseg></trk></gpx>");
    std::fs::write(path, s).unwrap();
}

#[test]
fn a_changed_file_needs_replace_and_is_then_replaced_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let f = tmp.path().join("a.gpx");
    write_gpx(&f, "A", 10);
    assert_eq!(import_json(&db, &[&f]).0, 0);
    write_gpx(&f, "A", 25);
    let (code, v) = import_json(&db, &[&f]);
    assert_eq!(code, 1);
    assert!(
        v["files"][0]["error"]
            .as_str()
            .unwrap()
            .contains("--replace"),
        "{v}"
    );
    assert_eq!(info(&db)["points"], 10);
    let out = run(&db, &["import", "--replace", "--json", f.to_str().unwrap()]);
    assert!(out.status.success());
    let i = info(&db);
    assert_eq!(i["points"], 25);
    assert_eq!(i["tracks"], 1);
    assert_eq!(i["waypoints"], 1);
}

#[test]
fn folders_import_recursively_and_one_bad_file_spoils_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let root = tmp.path().join("trip");
    std::fs::create_dir_all(root.join("day2/extra")).unwrap();
    write_gpx(&root.join("day1.gpx"), "Day 1", 5);
    write_gpx(&root.join("day2/extra/day2.GPX"), "Day 2", 7);
    std::fs::write(
        root.join("day2/broken.gpx"),
        "<gpx version=\"1.1\"><trk><trkseg><trkpt lat=\"1\" lon=\"2\">",
    )
    .unwrap();
    std::fs::write(root.join("notes.txt"), "not gpx, not read").unwrap();
    let (code, v) = import_json(&db, &[&root]);
    assert_eq!(code, 1, "{v}");
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 3, "{v}");
    let status = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .map(|f| f["status"].clone())
            .unwrap()
    };
    assert_eq!(status("day1.gpx"), "imported");
    assert_eq!(status("day2.GPX"), "imported");
    assert_eq!(status("broken.gpx"), "failed");
    let i = info(&db);
    assert_eq!(i["points"], 12);
    assert_eq!(i["files"], 2);
}

#[test]
fn a_directory_named_like_a_gpx_file_and_a_missing_file_fail_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let d = tmp.path().join("x.gpx");
    std::fs::create_dir(&d).unwrap();
    let missing = tmp.path().join("missing.gpx");
    let (code, v) = import_json(&db, &[&d, &missing]);
    assert_eq!(code, 1);
    assert!(
        v["files"][0]["error"]
            .as_str()
            .unwrap()
            .contains("directory"),
        "{v}"
    );
    assert!(
        v["files"][1]["error"]
            .as_str()
            .unwrap()
            .contains("missing.gpx"),
        "{v}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&tmp.path().join("t.sqlite"), &["import"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(
        &tmp.path().join("t.sqlite"),
        &["waypoints", "--kind", "petrol"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("petrol"));
}

#[test]
fn listings_print_json_with_the_documented_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-andorra-loop.gpx");
    assert_eq!(import_json(&db, &[&sample]).0, 0);
    let routes: Value = serde_json::from_slice(&run(&db, &["routes", "--json"]).stdout).unwrap();
    let r = &routes[0];
    for k in ["id", "name", "kind", "points", "length_m", "bbox", "source"] {
        assert!(r.get(k).is_some(), "routes lacks {k}: {r}");
    }
    assert_eq!(r["kind"], "track");
    assert!(r["length_m"].as_f64().unwrap() > 100_000.0);
    let fuel: Value =
        serde_json::from_slice(&run(&db, &["waypoints", "--kind", "fuel", "--json"]).stdout)
            .unwrap();
    let fuel = fuel.as_array().unwrap();
    assert_eq!(fuel.len(), 12);
    for k in ["id", "name", "kind", "sym", "lat", "lon", "ele"] {
        assert!(fuel[0].get(k).is_some(), "waypoints lacks {k}");
    }
    let boxed: Value = serde_json::from_slice(
        &run(
            &db,
            &["waypoints", "--bbox", "1.70,42.53,1.75,42.56", "--json"],
        )
        .stdout,
    )
    .unwrap();
    let names: Vec<&str> = boxed
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    // Around Pas de la Casa: its fuel station and checkpoint E, not Canillo's station.
    assert!(
        names.contains(&"Gasopas Grau Roig") && names.iter().any(|n| n.starts_with("CP E ")),
        "{names:?}"
    );
    assert!(!names.contains(&"Fuel Canillo"), "{names:?}");
}

#[test]
fn export_round_trips_through_a_second_database() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("a.sqlite");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-andorra-loop.gpx");
    assert_eq!(import_json(&db, &[&sample]).0, 0);
    let out_gpx = tmp.path().join("out.gpx");
    let out = run(
        &db,
        &[
            "export",
            "--route",
            "Sample Andorra Loop",
            "-o",
            out_gpx.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db2 = tmp.path().join("b.sqlite");
    assert_eq!(import_json(&db2, &[&out_gpx]).0, 0);
    let (a, b) = (Store::open(&db).unwrap(), Store::open(&db2).unwrap());
    let la = a.find_line("Sample Andorra Loop").unwrap();
    let lb = b.find_line("Sample Andorra Loop").unwrap();
    assert_eq!(
        a.gpx_for_line(la.id, true).unwrap(),
        b.gpx_for_line(lb.id, true).unwrap()
    );
}

/// A big file is killed mid-import many times; each time the database opens, passes the
/// integrity check, still holds the small file, and holds the big one whole or not at all.
#[test]
fn sigkill_during_a_large_import_leaves_each_file_whole_or_absent() {
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().join("small.gpx");
    let big = tmp.path().join("big.gpx");
    write_gpx(&small, "Small", 50);
    write_gpx(&big, "Big", 200_000);
    let mut outcomes = (0, 0);
    for (i, delay_ms) in [5u64, 20, 40, 80, 120, 200, 300, 450].iter().enumerate() {
        let db = tmp.path().join(format!("k{i}.sqlite"));
        assert_eq!(import_json(&db, &[&small]).0, 0);
        let mut child = Command::new(bin())
            .arg("--db")
            .arg(&db)
            .arg("import")
            .arg(&big)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(*delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let store = Store::open(&db).unwrap();
        store.integrity_check().unwrap();
        assert_eq!(store.find_line("Small").unwrap().points, 50);
        match store.find_line("Big") {
            Ok(l) => {
                assert_eq!(l.points, 200_000, "half a file stored");
                outcomes.1 += 1;
            }
            Err(_) => {
                assert_eq!(
                    store.info().unwrap().points,
                    50,
                    "pieces without their line"
                );
                outcomes.0 += 1;
            }
        }
    }
    eprintln!(
        "killed before commit: {}, after commit: {}",
        outcomes.0, outcomes.1
    );
    assert!(
        outcomes.0 > 0,
        "never killed mid-import; the test proves nothing"
    );
}

#[test]
fn a_kinds_file_extends_the_classification_and_bad_rules_name_their_line() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let gpx = tmp.path().join("k.gpx");
    std::fs::write(
        &gpx,
        r#"<gpx version="1.1" creator="t"><wpt lat="44" lon="-121"><name>Hank's place</name><sym>Truck</sym></wpt></gpx>"#,
    )
    .unwrap();
    let rules = tmp.path().join("kinds.txt");
    std::fs::write(&rules, "# mine\nsym:Truck = fuel\n").unwrap();
    let out = run(
        &db,
        &[
            "import",
            "--kinds-file",
            rules.to_str().unwrap(),
            gpx.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fuel: Value =
        serde_json::from_slice(&run(&db, &["waypoints", "--kind", "fuel", "--json"]).stdout)
            .unwrap();
    assert_eq!(fuel[0]["name"], "Hank's place");
    assert_eq!(fuel[0]["sym"], "Truck", "the original sym is kept");

    std::fs::write(&rules, "sym:Truck = fuel\nsym:Van = spaceship\n").unwrap();
    let out = run(
        &db,
        &[
            "import",
            "--kinds-file",
            rules.to_str().unwrap(),
            gpx.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kinds.txt:2:"), "{err}");
}
