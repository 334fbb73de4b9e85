//! `trailatlas coord`: the binary reads coordinate text and prints formats, text or JSON.

use std::process::Command;

use crate::support;

/// Runs `trailatlas coord ARGS...`; returns (exit code, stdout, stderr).
fn coord(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(support::bin())
        .arg("coord")
        .args(args)
        .env("TRAILATLAS_DB", "/nonexistent/never-opened.sqlite")
        .output()
        .unwrap_or_else(|e| panic!("cannot run trailatlas: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn prints_every_format_by_default() {
    let (code, out, err) = coord(&["44.0582 -121.3153"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("dd    44.05820° N, 121.31530° W WGS84"),
        "{out}"
    );
    assert!(
        out.contains("ddm   N44°03.492' W121°18.918' WGS84"),
        "{out}"
    );
    assert!(
        out.contains("dms   N44°03'29.5\" W121°18'55.1\" WGS84"),
        "{out}"
    );
    assert!(out.contains("utm   10T 634938E 4879717N WGS84"), "{out}");
    assert!(out.contains("mgrs  10TFP 34937 79716 WGS84"), "{out}");
}

#[test]
fn one_format_prints_one_line() {
    let (code, out, _) = coord(&["N44 03.492 W121 18.918", "--to", "mgrs"]);
    assert_eq!(code, 0);
    assert_eq!(out, "10TFP 34937 79716 WGS84\n");
}

#[test]
fn json_has_the_documented_shape() {
    let (code, out, err) = coord(&["10TFP3493779716", "--json", "--to", "dd"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("only JSON on stdout");
    assert_eq!(v["input"], "10TFP3493779716");
    assert_eq!(v["datum"], "WGS84");
    assert!((v["wgs84"]["lat"].as_f64().unwrap() - 44.0582).abs() < 1e-4);
    assert!((v["wgs84"]["lon"].as_f64().unwrap() - -121.3153).abs() < 1e-4);
    assert_eq!(v["formatted"]["dd"], "44.05820° N, 121.31530° W WGS84");
    assert!(
        v["formatted"].get("utm").is_none(),
        "only the requested format: {out}"
    );
}

#[test]
fn json_lists_all_formats_and_null_for_polar_grid() {
    let (code, out, _) = coord(&["86.5 10", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["formatted"]["dd"].is_string());
    assert!(v["formatted"]["utm"].is_null());
    assert!(v["formatted"]["mgrs"].is_null());
}

#[test]
fn datums_convert_both_ways() {
    // A NAD27 position read off an old quad, printed in WGS84 and back in NAD27.
    let (code, wgs, _) = coord(&["44.0582 -121.3153", "--from-datum", "nad27", "--to", "dd"]);
    assert_eq!(code, 0);
    assert!(
        wgs.ends_with(" WGS84\n") && !wgs.starts_with("44.05820° N, 121.31530° W"),
        "{wgs}"
    );
    let (code, back, _) = coord(&[wgs.trim(), "--datum", "nad27", "--to", "dd"]);
    assert_eq!(code, 0);
    assert_eq!(back, "44.05820° N, 121.31530° W NAD27\n");
}

#[test]
fn garbage_is_a_one_line_error_with_exit_1() {
    let (code, out, err) = coord(&["Cambridge"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot read 'Cambridge' as a coordinate"),
        "{err}"
    );
}

#[test]
fn out_of_range_is_named() {
    let (code, _, err) = coord(&["95 10"]);
    assert_eq!(code, 1);
    assert!(err.contains("latitude 95 is out of range"), "{err}");
    let (code, _, err) = coord(&["86.5 10", "--to", "utm"]);
    assert_eq!(code, 1);
    assert!(err.contains("UPS"), "{err}");
}

#[test]
fn text_may_start_with_a_minus_sign() {
    let (code, out, err) = coord(&["-33.857 151.215", "--to", "ddm"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "S33°51.420' E151°12.900' WGS84\n");
}

#[test]
fn bad_option_is_a_usage_error() {
    let (code, _, _) = coord(&["44 -121", "--to", "osgb"]);
    assert_eq!(code, 2);
}

/// The coordinate part of a geocache-log line such as
/// `N 45° 26.872 W 075° 56.410, 21 mètres d'altitude`: up to two tokens after the `W`.
fn ddm_prefix(line: &str) -> String {
    let toks: Vec<&str> = line.split_whitespace().collect();
    let w = toks.iter().position(|t| *t == "W").unwrap_or(toks.len());
    toks.iter()
        .take(w + 3)
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(',')
        .to_string()
}

// Real fixture: a geocache listing (gpsbabel reference/gc/GC7FA4.gpx) whose logs write the
// same hand-averaged position twice, as DDM and as UTM (e.g. `N 45° 29.5247  W 075° 43.0049`
// / `UTM 18T 0443995 5037866`). Both forms must parse. Two logs agree to the rounding of the
// forms (PROJ gives 443994.9 5037866.3 for the DDM); the first log's UTM line
// (`18T E 582877 N 5033250` for `N 45° 26.872 W 075° 56.410`, really 426480 5033134) is wrong
// in the source, and reading both shows it.
#[test]
fn geocache_log_ddm_and_utm_agree() {
    use trailatlas::core::coords::{Datum, parse};
    use trailatlas::core::geodesy::distance_m;
    let Some(dir) = support::real_fixtures() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("gpsbabel-gc-GC7FA4.gpx")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut apart_m = Vec::new();
    for w in lines.windows(2) {
        let (ddm, utm) = (w[0].trim(), w[1].trim());
        if !(ddm.starts_with("N ") && utm.starts_with("UTM")) {
            continue;
        }
        let a = parse(&ddm_prefix(ddm), Datum::Wgs84).unwrap_or_else(|e| panic!("{ddm}: {e}"));
        let b = parse(utm, Datum::Wgs84).unwrap_or_else(|e| panic!("{utm}: {e}"));
        apart_m.push(distance_m(a, b));
    }
    assert_eq!(
        apart_m.len(),
        3,
        "expected three DDM/UTM pairs: {apart_m:?}"
    );
    assert!(
        apart_m[0] > 100_000.0,
        "the first log's UTM easting is wrong: {apart_m:?}"
    );
    assert!(apart_m[1] < 3.0 && apart_m[2] < 3.0, "{apart_m:?}");
}
