//! GPX import: the real fixtures against the `gpx` crate as an oracle, element counts, per-file
//! facts, and generated messy inputs with their expected outcome and error positions.

use std::path::{Path, PathBuf};

use trailatlas::core::model::{GpxData, WaypointKind};
use trailatlas::import::{Collect, Counts, ImportError, TextPos, read_bytes, read_file};

use crate::support;

// ---------------------------------------------------------------------------------------------
// Helpers.

fn fixture(name: &str) -> Option<PathBuf> {
    support::real_fixtures().map(|d| d.join(name))
}

fn read_path(path: &Path) -> Result<(GpxData, Counts), ImportError> {
    let mut c = Collect::default();
    let counts = read_file(path, &mut c)?;
    Ok((c.data, counts))
}

fn read_fixture(name: &str) -> Option<(GpxData, Counts)> {
    let path = fixture(name)?;
    match read_path(&path) {
        Ok(r) => Some(r),
        Err(e) => panic!("{name} should import: {e}"),
    }
}

fn parse(text: &[u8]) -> Result<(GpxData, Counts), ImportError> {
    let mut c = Collect::default();
    let counts = read_bytes(Path::new("mem.gpx"), text, &mut c)?;
    Ok((c.data, counts))
}

fn parse_ok(text: &str) -> (GpxData, Counts) {
    match parse(text.as_bytes()) {
        Ok(r) => r,
        Err(e) => panic!("should import: {e}\n{text}"),
    }
}

/// Asserts the input is refused at `line:col` with a message containing `needle`.
fn check_err(text: &[u8], line: u64, col: u64, needle: &str) {
    match parse(text) {
        Ok(_) => panic!("should be refused: {}", String::from_utf8_lossy(text)),
        Err(e) => {
            let shown = e.to_string();
            assert_eq!(e.pos, Some(TextPos { line, col }), "{shown}");
            assert!(
                shown.starts_with(&format!("mem.gpx:{line}:{col}: ")),
                "{shown}"
            );
            assert!(
                shown.contains(needle),
                "{shown:?} should contain {needle:?}"
            );
        }
    }
}

fn all_fixture_paths() -> Vec<PathBuf> {
    let Some(dir) = support::real_fixtures() else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "gpx"));
    v.sort();
    v
}

const BAD_XML: &str = "gpxtr-bad-xml.gpx";

fn gpx11(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"t\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\">\n{body}\n</gpx>\n"
    )
}

// ---------------------------------------------------------------------------------------------
// Oracle: the `gpx` crate.

fn opt_str(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.replace("\r\n", "\n"))
}

fn time_ms(t: &Option<gpx::Time>) -> Option<i64> {
    t.map(|t| {
        let odt: time::OffsetDateTime = t.into();
        (odt.unix_timestamp_nanos().div_euclid(1_000_000)) as i64
    })
}

fn same_point(ctx: &str, ours: &trailatlas::core::model::Waypoint, theirs: &gpx::Waypoint) {
    let p = theirs.point();
    assert_eq!(
        (ours.pos.lat, ours.pos.lon),
        (p.y(), p.x()),
        "{ctx} position"
    );
    assert_eq!(ours.ele_m, theirs.elevation, "{ctx} ele");
    assert_eq!(ours.time_ms, time_ms(&theirs.time), "{ctx} time");
    assert_eq!(ours.name, opt_str(&theirs.name), "{ctx} name");
    assert_eq!(ours.cmt, opt_str(&theirs.comment), "{ctx} cmt");
    assert_eq!(ours.desc, opt_str(&theirs.description), "{ctx} desc");
    assert_eq!(ours.sym, opt_str(&theirs.symbol), "{ctx} sym");
    assert_eq!(ours.type_, opt_str(&theirs.type_), "{ctx} type");
}

/// Which fixtures `gpx::read` (xml-rs based) refuses, and why.
fn gpx_crate_cannot_read(name: &str) -> Option<&'static str> {
    match name {
        // Not well-formed: a missing end tag (see SOURCES.md). Both readers must refuse it.
        BAD_XML => Some("not well-formed XML"),
        // GPX 1.0 <url>/<urlname> in <wpt>: gpx 0.10 only knows GPX 1.1 <link>.
        "gpsbabel-gc-GC7FA4.gpx" => Some("GPX 1.0 <url> in <wpt>"),
        _ => None,
    }
}

#[test]
fn every_readable_fixture_matches_the_gpx_crate_field_by_field() {
    let paths = all_fixture_paths();
    let mut compared = 0;
    for path in &paths {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let bytes = std::fs::read(path).unwrap_or_default();
        let theirs = gpx::read(bytes.as_slice());
        if let Some(why) = gpx_crate_cannot_read(&name) {
            assert!(theirs.is_err(), "{name}: gpx was expected to fail ({why})");
            continue;
        }
        let theirs = match theirs {
            Ok(g) => g,
            Err(e) => panic!("{name}: gpx crate failed unexpectedly: {e}"),
        };
        let (ours, _) = read_path(path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ours.creator, opt_str(&theirs.creator), "{name} creator");
        assert_eq!(
            ours.waypoints.len(),
            theirs.waypoints.len(),
            "{name} waypoints"
        );
        for (i, (o, t)) in ours.waypoints.iter().zip(&theirs.waypoints).enumerate() {
            same_point(&format!("{name} wpt {i}"), o, t);
        }
        assert_eq!(ours.tracks.len(), theirs.tracks.len(), "{name} tracks");
        for (i, (o, t)) in ours.tracks.iter().zip(&theirs.tracks).enumerate() {
            let ctx = format!("{name} trk {i}");
            assert_eq!(o.meta.name, opt_str(&t.name), "{ctx} name");
            assert_eq!(o.meta.desc, opt_str(&t.description), "{ctx} desc");
            assert_eq!(o.meta.cmt, opt_str(&t.comment), "{ctx} cmt");
            assert_eq!(o.meta.type_, opt_str(&t.type_), "{ctx} type");
            assert_eq!(o.meta.number, t.number, "{ctx} number");
            assert_eq!(o.segments.len(), t.segments.len(), "{ctx} segments");
            for (s, (os, ts)) in o.segments.iter().zip(&t.segments).enumerate() {
                assert_eq!(os.len(), ts.points.len(), "{ctx} seg {s} points");
                for (j, (op, tp)) in os.iter().zip(&ts.points).enumerate() {
                    let p = tp.point();
                    let c = format!("{ctx} seg {s} pt {j}");
                    assert_eq!((op.pos.lat, op.pos.lon), (p.y(), p.x()), "{c}");
                    assert_eq!(op.ele_m, tp.elevation, "{c} ele");
                    assert_eq!(op.time_ms, time_ms(&tp.time), "{c} time");
                }
            }
        }
        assert_eq!(ours.routes.len(), theirs.routes.len(), "{name} routes");
        for (i, (o, t)) in ours.routes.iter().zip(&theirs.routes).enumerate() {
            let ctx = format!("{name} rte {i}");
            assert_eq!(o.meta.name, opt_str(&t.name), "{ctx} name");
            assert_eq!(o.meta.number, t.number, "{ctx} number");
            assert_eq!(o.meta.desc, opt_str(&t.description), "{ctx} desc");
            assert_eq!(o.meta.cmt, opt_str(&t.comment), "{ctx} cmt");
            assert_eq!(o.meta.type_, opt_str(&t.type_), "{ctx} type");
            assert_eq!(o.points.len(), t.points.len(), "{ctx} points");
            for (j, (op, tp)) in o.points.iter().zip(&t.points).enumerate() {
                same_point(&format!("{ctx} pt {j}"), &op.wpt, tp);
            }
        }
        compared += 1;
    }
    if !paths.is_empty() {
        let skipped = paths.iter().filter(|p| {
            gpx_crate_cannot_read(p.file_name().and_then(|n| n.to_str()).unwrap_or_default())
                .is_some()
        });
        assert_eq!(compared + skipped.count(), paths.len());
        assert!(compared >= 12, "most fixtures are compared, not skipped");
    }
}

// ---------------------------------------------------------------------------------------------
// Counts against an independent count of start tags in the raw text.

/// Counts `<tag ` / `<tag>` / `<prefix:tag ` start tags, outside comments and outside
/// foreign-namespace prefixes (`<gpxx:rpt` is not `<rtept`, `<wptx1:` is not `<wpt`).
fn count_tags(text: &str, tag: &str) -> u64 {
    let mut n = 0;
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = after.find("-->").map_or("", |j| &after[j + 3..]);
            continue;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name == tag {
            n += 1;
        }
    }
    n
}

#[test]
fn counts_equal_the_number_of_gpx_elements_in_each_file() {
    for path in all_fixture_paths() {
        let name = path.display().to_string();
        if name.ends_with(BAD_XML) {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
        let (data, counts) = read_path(&path).unwrap_or_else(|e| panic!("{e}"));
        // The geocache file has 5 groundspeak:log_wpt with lat/lon: they are not <wpt>.
        assert_eq!(counts.waypoints, count_tags(&text, "wpt"), "{name} wpt");
        assert_eq!(
            counts.track_points,
            count_tags(&text, "trkpt"),
            "{name} trkpt"
        );
        assert_eq!(
            counts.route_points,
            count_tags(&text, "rtept"),
            "{name} rtept"
        );
        assert_eq!(counts.tracks, count_tags(&text, "trk"), "{name} trk");
        assert_eq!(counts.routes, count_tags(&text, "rte"), "{name} rte");
        // And the sink saw the same.
        assert_eq!(counts.waypoints, data.waypoints.len() as u64, "{name}");
        let tp: usize = data
            .tracks
            .iter()
            .flat_map(|t| &t.segments)
            .map(Vec::len)
            .sum();
        assert_eq!(counts.track_points, tp as u64, "{name}");
        let rp: usize = data.routes.iter().map(|r| r.points.len()).sum();
        assert_eq!(counts.route_points, rp as u64, "{name}");
        let shaping: usize = data
            .routes
            .iter()
            .flat_map(|r| &r.points)
            .map(|p| p.shaping.len())
            .sum();
        assert_eq!(
            shaping as u64,
            count_tags(&text, "gpxx:rpt"),
            "{name} gpxx:rpt"
        );
    }
}

#[test]
fn the_tag_counter_ignores_prefixed_and_commented_tags() {
    let t = "<wpt a><wptx1:x/><gpxx:rpt/><!-- <wpt> --><wpt/><wpt>";
    assert_eq!(count_tags(t, "wpt"), 3);
    assert_eq!(count_tags(t, "rtept"), 0);
    assert_eq!(count_tags(t, "gpxx:rpt"), 1);
}

// ---------------------------------------------------------------------------------------------
// Per-fixture facts.

#[test]
fn gpxtr_basecamp_waypoints_route_shaping_and_track() {
    let Some((d, c)) = read_fixture("gpxtr-basecamp.gpx") else {
        return;
    };
    assert_eq!(d.waypoints.len(), 8);
    let fuel: Vec<_> = d
        .waypoints
        .iter()
        .filter(|w| w.kind == WaypointKind::Fuel)
        .collect();
    assert_eq!(fuel.len(), 2);
    assert!(fuel.iter().all(|w| w.sym.as_deref() == Some("Gas Station")));
    let bodega = &d.waypoints[0];
    assert_eq!(bodega.name.as_deref(), Some("76 Bodega Bay"));
    // gpxx:Address only (wptx1:Address repeats it), joined in file order.
    assert_eq!(
        bodega.address.as_deref(),
        Some("900 Highway 1, Bodega Bay, California, United States, 94923")
    );
    assert_eq!(bodega.cmt.as_deref().map(|c| c.lines().count()), Some(4));
    assert_eq!(d.routes.len(), 1);
    let r = &d.routes[0];
    assert_eq!(r.meta.name.as_deref(), Some("Fort Ross Run"));
    assert_eq!(r.points.len(), 23);
    assert_eq!(
        r.points.iter().map(|p| p.shaping.len()).sum::<usize>(),
        5197
    );
    assert!(r.meta.display_color.is_some());
    assert_eq!(d.tracks.len(), 1);
    assert_eq!(d.tracks[0].segments.len(), 1);
    assert_eq!(d.tracks[0].segments[0].len(), 4553);
    assert_eq!(
        d.tracks[0].segments[0]
            .iter()
            .filter(|p| p.time_ms.is_some())
            .count(),
        1
    );
    assert!(d.tracks[0].segments[0].iter().all(|p| p.ele_m.is_none()));
    assert_eq!(c.bad_values, 0);
}

#[test]
fn garmin_with_extensions_two_segments_and_colour() {
    let Some((d, _)) = read_fixture("georust-garmin_with_extensions.gpx") else {
        return;
    };
    let t = &d.tracks[0];
    assert_eq!(
        t.segments.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![35, 3505]
    );
    assert!(t.meta.display_color.is_some());
    assert!(
        t.segments
            .iter()
            .flatten()
            .all(|p| p.ele_m.is_some() && p.time_ms.is_some())
    );
}

#[test]
fn caltopo_tracks_have_their_colours() {
    let Some((d, _)) = read_fixture("georust-caltopo-export.gpx") else {
        return;
    };
    let colours: Vec<_> = d
        .tracks
        .iter()
        .map(|t| t.meta.display_color.clone())
        .collect();
    assert_eq!(
        colours,
        vec![Some("Red".to_string()), Some("Yellow".to_string())]
    );
    assert_eq!(
        d.tracks[0].meta.desc, None,
        "empty <desc/> is no description"
    );
}

#[test]
fn korita_keeps_the_empty_segment_and_reads_gpx10() {
    let Some((d, _)) = read_fixture("gpxpy-korita-zbevnica.gpx") else {
        return;
    };
    assert_eq!(d.tracks.len(), 4);
    let sizes: Vec<Vec<usize>> = d
        .tracks
        .iter()
        .map(|t| t.segments.iter().map(Vec::len).collect())
        .collect();
    assert_eq!(sizes[0], vec![0]);
    assert_eq!(sizes[1], vec![358]);
    assert!(
        d.tracks[1].segments[0]
            .iter()
            .all(|p| p.time_ms.is_none() && p.ele_m.is_some())
    );
    assert_eq!(d.waypoints.len(), 2);
}

#[test]
fn geocache_file_has_one_waypoint_not_six() {
    let Some((d, c)) = read_fixture("gpsbabel-gc-GC7FA4.gpx") else {
        return;
    };
    assert_eq!(c.waypoints, 1);
    assert_eq!(d.waypoints.len(), 1);
    assert_eq!(d.waypoints[0].sym.as_deref(), Some("Geocache"));
}

#[test]
fn empty_gpx_is_all_zero() {
    let Some((d, c)) = read_fixture("gpsbabel-empty.gpx") else {
        return;
    };
    assert_eq!(c, Counts::default());
    assert_eq!(d.waypoints.len() + d.tracks.len() + d.routes.len(), 0);
    assert_eq!(d.creator.as_deref(), Some("MapSource 6.12.2"));
}

#[test]
fn wahoo_has_no_namespace_and_empty_ele_is_none() {
    let Some((d, _)) = read_fixture("georust-wahoo_example.gpx") else {
        return;
    };
    assert_eq!(d.name.as_deref(), Some("04/24/22"));
    let pts = &d.tracks[0].segments[0];
    assert!(!pts.is_empty());
    assert!(pts.iter().all(|p| p.ele_m.is_none() && p.time_ms.is_some()));
}

#[test]
fn gpsbabel_basecamp_bom_crlf_categories() {
    let Some((d, _)) = read_fixture("gpsbabel-basecamp.gpx") else {
        return;
    };
    assert_eq!(d.waypoints.len(), 2);
    assert_eq!(d.waypoints[0].categories, vec!["Unlisted Data".to_string()]);
    assert!(d.tracks[0].meta.display_color.is_some());
}

#[test]
fn ich_north_comment_with_markup_and_fuel_stops() {
    let Some((d, c)) = read_fixture("gpxtr-ich-north-4.gpx") else {
        return;
    };
    assert_eq!(c.tracks, 4);
    assert_eq!(c.track_points, 30909);
    assert_eq!(d.waypoints.len(), 32);
    assert_eq!(
        d.waypoints
            .iter()
            .filter(|w| w.kind == WaypointKind::Fuel)
            .count(),
        20
    );
    assert_eq!(d.creator, None);
}

#[test]
fn garmin_symbols_classify() {
    let Some((d, _)) = read_fixture("gpsbabel-garmin_symbols.gpx") else {
        return;
    };
    assert_eq!(d.waypoints.len(), 256);
    let kind_of = |sym: &str| {
        d.waypoints
            .iter()
            .find(|w| w.sym.as_deref() == Some(sym))
            .map(|w| w.kind)
    };
    assert_eq!(kind_of("Truck Stop"), Some(WaypointKind::Fuel));
    assert_eq!(kind_of("RV Park"), Some(WaypointKind::Campground));
    assert_eq!(kind_of("Trail Head"), Some(WaypointKind::Trailhead));
    assert_eq!(kind_of("Water Source"), Some(WaypointKind::Water));
    assert_eq!(kind_of("Airport"), Some(WaypointKind::Other));
}

#[test]
fn bad_xml_fixture_fails_with_line_and_column() {
    let Some(path) = fixture(BAD_XML) else { return };
    let err = read_path(&path).err();
    let Some(err) = err else {
        panic!("{BAD_XML} must be refused")
    };
    // The offending `</extensions>` starts at column 7 of line 599 (6 spaces of indent);
    // xml-rs based tools report the column after the `<`.
    assert_eq!(err.pos, Some(TextPos { line: 599, col: 7 }), "{err}");
    let shown = err.to_string();
    assert!(shown.contains("gpxtr-bad-xml.gpx:599:"), "{shown}");
    assert!(shown.contains("not well-formed XML"), "{shown}");
    assert!(
        shown.contains("expected `</gpxx:RoutePointExtension>`, but `</extensions>` was found"),
        "{shown}"
    );
}

#[test]
fn missing_file_is_a_clear_error() {
    let e = read_path(Path::new("/nonexistent/x.gpx"))
        .err()
        .map(|e| e.to_string());
    assert!(e.is_some_and(|e| e.starts_with("/nonexistent/x.gpx: cannot open")));
}

// ---------------------------------------------------------------------------------------------
// Generated messy inputs.

const ONE_TRACK: &str = "<trk><name>T</name><trkseg><trkpt lat=\"1.5\" lon=\"2.5\"><ele>10</ele>\
    <time>2020-01-01T00:00:00Z</time></trkpt></trkseg></trk>";

#[test]
fn utf8_bom_is_skipped() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(gpx11(ONE_TRACK).as_bytes());
    let (d, c) = parse(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.track_points, 1);
    assert_eq!(d.tracks[0].meta.name.as_deref(), Some("T"));
}

#[test]
fn cr_only_and_crlf_line_ends() {
    for eol in ["\r", "\r\n"] {
        let text = gpx11("<wpt lat=\"1\" lon=\"2\"><desc>a\nb</desc></wpt>").replace('\n', eol);
        let (d, _) = parse_ok(&text);
        assert_eq!(d.waypoints[0].desc.as_deref(), Some("a\nb"), "{eol:?}");
    }
}

#[test]
fn iso_8859_1_names_are_decoded() {
    let mut bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><gpx version=\"1.0\">\
        <wpt lat=\"45\" lon=\"14\"><name>Vi"
        .to_vec();
    bytes.push(0x9A); // windows-1252 's with caron', as ISO-8859-1 labels decode (WHATWG).
    bytes.extend_from_slice(b"njan Caf");
    bytes.push(0xE9); // é
    bytes.extend_from_slice(b"</name></wpt></gpx>");
    let (d, _) = parse(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.waypoints[0].name.as_deref(), Some("Višnjan Café"));
}

#[test]
fn windows_1252_declared() {
    let mut bytes =
        b"<?xml version='1.0' encoding='windows-1252'?><gpx><wpt lat='1' lon='2'><name>".to_vec();
    bytes.extend_from_slice(&[0x80, b' ', 0xFC]);
    bytes.extend_from_slice(b"</name></wpt></gpx>");
    let (d, _) = parse(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.waypoints[0].name.as_deref(), Some("€ ü"));
}

#[test]
fn latin1_error_positions_count_characters() {
    let mut bytes =
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<gpx><wpt lat=\"1\" lon=\"2\"><name>"
            .to_vec();
    bytes.extend_from_slice(&[0xE9, 0xE9]);
    bytes.extend_from_slice(b"</name></wpt><wpt lat=\"x\" lon=\"1\"/></gpx>");
    // Line 2: `<gpx><wpt lat="1" lon="2"><name>éé</name></wpt>` is 47 characters (49 bytes).
    check_err(&bytes, 2, 48, "lat=\"x\"");
}

#[test]
fn utf16_with_bom() {
    let text =
        gpx11("<wpt lat=\"1\" lon=\"2\"><name>Ünïcode</name></wpt>").replace("UTF-8", "UTF-16");
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let (d, _) = parse(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.waypoints[0].name.as_deref(), Some("Ünïcode"));
}

#[test]
fn undeclared_latin1_bytes_are_refused_with_a_hint() {
    let bytes = b"<gpx><wpt lat=\"1\" lon=\"2\"><name>Caf\xE9</name></wpt></gpx>";
    let e = parse(bytes)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("not valid UTF-8"), "{e}");
}

#[test]
fn unsupported_encoding_is_refused() {
    check_err(
        b"<?xml version=\"1.0\" encoding=\"klingon\"?><gpx/>",
        1,
        1,
        "unsupported encoding",
    );
}

#[test]
fn no_namespace_and_unknown_version() {
    let (d, c) = parse_ok("<gpx version=\"9.9\"><wpt lat=\"1\" lon=\"2\"/></gpx>");
    assert_eq!(c.waypoints, 1);
    assert_eq!(d.waypoints[0].pos.lat, 1.0);
}

#[test]
fn prefixed_gpx_namespace() {
    let text = "<g:gpx xmlns:g=\"http://www.topografix.com/GPX/1/1\"><g:wpt lat=\"1\" lon=\"2\">\
        <g:name>P</g:name></g:wpt></g:gpx>";
    let (d, _) = parse_ok(text);
    assert_eq!(d.waypoints[0].name.as_deref(), Some("P"));
}

#[test]
fn name_after_trkseg_still_names_the_track() {
    let (d, _) = parse_ok(&gpx11(
        "<trk><trkseg><trkpt lat=\"1\" lon=\"2\"/></trkseg><name>Late</name><number>7</number></trk>",
    ));
    assert_eq!(d.tracks[0].meta.name.as_deref(), Some("Late"));
    assert_eq!(d.tracks[0].meta.number, Some(7));
}

#[test]
fn empty_segments_are_kept() {
    let (d, _) = parse_ok(&gpx11(
        "<trk><trkseg/><trkseg></trkseg><trkseg><trkpt lat=\"1\" lon=\"2\"/></trkseg></trk>",
    ));
    assert_eq!(
        d.tracks[0]
            .segments
            .iter()
            .map(Vec::len)
            .collect::<Vec<_>>(),
        vec![0, 0, 1]
    );
}

#[test]
fn points_without_time_and_with_bad_values() {
    let (d, c) = parse_ok(&gpx11(
        "<wpt lat=\"1\" lon=\"2\"><ele>high</ele><time>soon</time></wpt><wpt lat=\"1\" lon=\"2\"><ele/></wpt>",
    ));
    assert_eq!(d.waypoints.len(), 2);
    assert!(
        d.waypoints
            .iter()
            .all(|w| w.ele_m.is_none() && w.time_ms.is_none())
    );
    assert_eq!(c.bad_values, 2);
}

#[test]
fn entities_and_cdata_in_text() {
    let (d, _) = parse_ok(&gpx11(
        "<wpt lat=\"1\" lon=\"2\"><name>A &amp; B &#233;&#x20AC;</name><desc><![CDATA[<b>x</b>]]></desc></wpt>",
    ));
    assert_eq!(d.waypoints[0].name.as_deref(), Some("A & B é€"));
    assert_eq!(d.waypoints[0].desc.as_deref(), Some("<b>x</b>"));
}

#[test]
fn comments_with_markup_do_not_confuse_it() {
    let (_, c) = parse_ok(&gpx11(
        "<!-- <trk><trkseg><trkpt lat=\"1\" lon=\"2\"/> --><wpt lat=\"1\" lon=\"2\"/>",
    ));
    assert_eq!((c.tracks, c.track_points, c.waypoints), (0, 0, 1));
}

#[test]
fn points_in_foreign_extensions_are_not_waypoints() {
    let (d, c) = parse_ok(&gpx11(
        "<wpt lat=\"1\" lon=\"2\"><name>cache</name><gs:cache xmlns:gs=\"x\"><gs:logs><gs:log>\
         <gs:log_wpt lat=\"5\" lon=\"6\"/><wpt lat=\"7\" lon=\"8\"/></gs:log></gs:logs></gs:cache></wpt>\
         <extensions><wpt lat=\"9\" lon=\"9\"/></extensions>",
    ));
    assert_eq!(c.waypoints, 1);
    assert_eq!(d.waypoints[0].name.as_deref(), Some("cache"));
}

#[test]
fn trackpoint_extensions_do_not_leak_into_the_point() {
    let (d, _) = parse_ok(&gpx11(
        "<trk><trkseg><trkpt lat=\"1\" lon=\"2\"><extensions><x:TrackPointExtension xmlns:x=\"y\">\
         <x:ele>99</x:ele><x:time>2001-01-01T00:00:00Z</x:time></x:TrackPointExtension></extensions></trkpt></trkseg></trk>",
    ));
    let p = d.tracks[0].segments[0][0];
    assert_eq!((p.ele_m, p.time_ms), (None, None));
}

#[test]
fn garmin_route_shaping_points_and_colours() {
    let (d, _) = parse_ok(&gpx11(
        "<rte><name>R</name><extensions><gpxx:RouteExtension><gpxx:DisplayColor>Magenta</gpxx:DisplayColor>\
         </gpxx:RouteExtension></extensions><rtept lat=\"1\" lon=\"2\"><extensions><gpxx:RoutePointExtension>\
         <gpxx:Subclass>00</gpxx:Subclass><gpxx:rpt lat=\"1.1\" lon=\"2.1\"/><gpxx:rpt lat=\"1.2\" lon=\"2.2\">\
         <gpxx:Subclass>01</gpxx:Subclass></gpxx:rpt></gpxx:RoutePointExtension></extensions></rtept>\
         <rtept lat=\"1.3\" lon=\"2.3\"/></rte>",
    ));
    let r = &d.routes[0];
    assert_eq!(r.meta.display_color.as_deref(), Some("Magenta"));
    assert_eq!(r.points[0].shaping.len(), 2);
    assert_eq!(r.points[0].shaping[1].lat, 1.2);
    assert!(r.points[1].shaping.is_empty());
    assert_eq!(r.path().len(), 4);
}

#[test]
fn waypoint_kind_is_set_on_waypoints_and_route_points() {
    let (d, _) = parse_ok(&gpx11(
        "<wpt lat=\"1\" lon=\"2\"><sym>Campground</sym></wpt><rte><rtept lat=\"1\" lon=\"2\"><name>CP 4</name></rtept></rte>",
    ));
    assert_eq!(d.waypoints[0].kind, WaypointKind::Campground);
    assert_eq!(d.routes[0].points[0].wpt.kind, WaypointKind::Checkpoint);
}

#[test]
fn billion_laughs_is_refused_without_expansion() {
    let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE gpx [\n <!ENTITY lol \"lol\">\n \
        <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n]>\n\
        <gpx><wpt lat=\"1\" lon=\"2\"><name>&lol2;</name></wpt></gpx>";
    check_err(text.as_bytes(), 2, 1, "DOCTYPE declares entities");
}

#[test]
fn external_entity_is_refused() {
    let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE gpx [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n\
        <gpx><wpt lat=\"1\" lon=\"2\"><name>&xxe;</name></wpt></gpx>";
    check_err(text.as_bytes(), 2, 1, "DOCTYPE declares entities");
}

#[test]
fn undefined_entity_is_refused() {
    check_err(
        b"<gpx>\n<wpt lat=\"1\" lon=\"2\"><name>&nbsp;</name></wpt></gpx>",
        2,
        28,
        "undefined entity &nbsp;",
    );
}

#[test]
fn plain_doctype_is_accepted() {
    let (_, c) = parse_ok("<!DOCTYPE gpx><gpx><wpt lat=\"1\" lon=\"2\"/></gpx>");
    assert_eq!(c.waypoints, 1);
}

#[test]
fn truncated_file_is_refused_at_the_end() {
    let text = gpx11(ONE_TRACK);
    let cut = &text[..text.find("</trkseg>").unwrap_or(0)];
    let lines = cut.lines().count() as u64;
    let last_len = cut.lines().last().map_or(0, |l| l.chars().count()) as u64;
    check_err(cut.as_bytes(), lines, last_len + 1, "truncated");
}

#[test]
fn truncated_inside_a_tag() {
    check_err(b"<gpx>\n<wpt lat=\"1\" lo", 2, 1, "not well-formed XML");
}

#[test]
fn zero_bytes_and_whitespace_only() {
    check_err(b"", 1, 1, "empty file");
    check_err(b"  \n\n ", 3, 2, "no <gpx> element");
}

#[test]
fn binary_garbage_is_refused() {
    let garbage: Vec<u8> = (0..512u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(parse(&garbage).is_err());
    check_err(b"PK\x03\x04\x14\x00\x00\x00", 1, 1, "not a GPX file");
}

#[test]
fn nan_lat_is_refused() {
    check_err(
        gpx11("<wpt lat=\"NaN\" lon=\"2\"/>").as_bytes(),
        3,
        1,
        "out of range",
    );
}

#[test]
fn lat_95_is_refused() {
    check_err(
        gpx11("<trk><trkseg>\n  <trkpt lat=\"95\" lon=\"2\"/></trkseg></trk>").as_bytes(),
        4,
        3,
        "lat=95",
    );
}

#[test]
fn missing_lon_is_refused() {
    check_err(
        gpx11("<rte><rtept lat=\"5\"/></rte>").as_bytes(),
        3,
        6,
        "has no lon attribute",
    );
}

#[test]
fn unparseable_lat_is_refused() {
    check_err(
        gpx11("<wpt lat=\"12,5\" lon=\"2\"/>").as_bytes(),
        3,
        1,
        "not a number",
    );
}

#[test]
fn bad_shaping_point_is_refused() {
    check_err(
        gpx11("<rte><rtept lat=\"5\" lon=\"1\"><extensions><gpxx:RoutePointExtension><gpxx:rpt lat=\"inf\" lon=\"1\"/>").as_bytes(),
        3,
        67,
        "out of range",
    );
}

#[test]
fn root_not_gpx_is_refused() {
    check_err(
        b"<?xml version=\"1.0\"?>\n<kml><Placemark/></kml>",
        2,
        1,
        "root element is <kml>",
    );
}

#[test]
fn mismatched_tags_report_the_end_tag() {
    check_err(
        b"<gpx>\r\n<wpt lat=\"1\" lon=\"2\">\r\n</trk></gpx>",
        3,
        1,
        "not well-formed XML",
    );
}

#[test]
fn content_after_the_root_is_ignored() {
    let (_, c) = parse_ok("<gpx><wpt lat=\"1\" lon=\"2\"/></gpx>\n\0\0\0 junk <x>");
    assert_eq!(c.waypoints, 1);
}

#[test]
fn deep_nesting_is_refused() {
    let text = format!("<gpx>{}", "<a>".repeat(5000));
    let e = parse(text.as_bytes())
        .err()
        .map(|e| e.message)
        .unwrap_or_default();
    assert!(e.contains("nested deeper"), "{e}");
}

#[test]
fn time_offsets_and_fractions() {
    let (d, _) = parse_ok(&gpx11(
        "<wpt lat=\"1\" lon=\"2\"><time>2019-05-01T06:31:11.250+02:00</time></wpt>",
    ));
    assert_eq!(d.waypoints[0].time_ms, Some(1_556_685_071_250));
}

#[test]
fn gpx10_file_name_and_creator() {
    let (d, _) = parse_ok(
        "<gpx version=\"1.0\" creator=\"A &amp; B\"><name>Trip</name><wpt lat=\"1\" lon=\"2\"/></gpx>",
    );
    assert_eq!(d.name.as_deref(), Some("Trip"));
    assert_eq!(d.creator.as_deref(), Some("A & B"));
}

#[test]
fn a_failing_sink_stops_the_read_with_a_position() {
    struct Refuse;
    impl trailatlas::import::GpxSink for Refuse {
        fn waypoint(
            &mut self,
            _: trailatlas::core::model::Waypoint,
        ) -> Result<(), trailatlas::import::SinkError> {
            Err("disk full".into())
        }
        fn begin_track(&mut self) -> Result<(), trailatlas::import::SinkError> {
            Ok(())
        }
        fn begin_segment(&mut self) -> Result<(), trailatlas::import::SinkError> {
            Ok(())
        }
        fn track_point(
            &mut self,
            _: trailatlas::core::model::TrackPoint,
        ) -> Result<(), trailatlas::import::SinkError> {
            Ok(())
        }
        fn end_track(
            &mut self,
            _: trailatlas::core::model::LineMeta,
        ) -> Result<(), trailatlas::import::SinkError> {
            Ok(())
        }
        fn begin_route(&mut self) -> Result<(), trailatlas::import::SinkError> {
            Ok(())
        }
        fn route_point(
            &mut self,
            _: trailatlas::core::model::RoutePoint,
        ) -> Result<(), trailatlas::import::SinkError> {
            Ok(())
        }
        fn end_route(
            &mut self,
            _: trailatlas::core::model::LineMeta,
        ) -> Result<(), trailatlas::import::SinkError> {
            Ok(())
        }
    }
    let e = read_bytes(
        Path::new("m.gpx"),
        b"<gpx>\n<wpt lat=\"1\" lon=\"2\"></wpt></gpx>",
        &mut Refuse,
    )
    .err();
    assert_eq!(
        e.map(|e| e.to_string()),
        Some("m.gpx:2:22: import stopped: disk full".to_string())
    );
}

// ---------------------------------------------------------------------------------------------
// Export round trip.

#[test]
fn every_fixture_round_trips_through_export() {
    for path in all_fixture_paths() {
        let name = path.display().to_string();
        if name.ends_with(BAD_XML) {
            continue;
        }
        let (first, _) = read_path(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        if let Err(e) = trailatlas::export::write_gpx(&mut out, &first) {
            panic!("{name}: {e}");
        }
        let mut c = Collect::default();
        if let Err(e) = read_bytes(Path::new("exported.gpx"), &out, &mut c) {
            panic!("{name}: re-read failed: {e}");
        }
        let mut expected = first.clone();
        // A file without a creator is written with ours.
        expected.creator = expected.creator.or_else(|| Some("trailatlas".to_string()));
        assert_eq!(c.data, expected, "{name}");
        let theirs = gpx::read(out.as_slice());
        let Ok(theirs) = theirs else {
            panic!("{name}: gpx crate cannot read our export: {theirs:?}")
        };
        assert_eq!(theirs.waypoints.len(), first.waypoints.len(), "{name}");
        assert_eq!(theirs.tracks.len(), first.tracks.len(), "{name}");
        assert_eq!(theirs.routes.len(), first.routes.len(), "{name}");
    }
}

#[test]
fn utf8_file_wrongly_declared_utf16_is_read_as_utf8() {
    let text =
        gpx11("<wpt lat=\"1\" lon=\"2\"><name>Zürich</name></wpt>").replace("UTF-8", "UTF-16");
    let (d, _) = parse_ok(&text);
    assert_eq!(d.waypoints[0].name.as_deref(), Some("Zürich"));
}

#[test]
fn bom_outranks_a_latin1_declaration() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(
        gpx11("<wpt lat=\"1\" lon=\"2\"><name>Zürich</name></wpt>")
            .replace("UTF-8", "ISO-8859-1")
            .as_bytes(),
    );
    let (d, _) = parse(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.waypoints[0].name.as_deref(), Some("Zürich"));
}

#[test]
fn bom_does_not_shift_error_columns() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(b"<gpx><wpt lat=\"1\"/></gpx>");
    check_err(&bytes, 1, 6, "has no lon");
}

// ---------------------------------------------------------------------------------------------
// Properties.

mod props {
    use super::*;
    use proptest::prelude::*;
    use trailatlas::core::model::{
        LatLon, LineMeta, Route, RoutePoint, Track, TrackPoint, Waypoint,
    };

    fn text() -> impl Strategy<Value = Option<String>> {
        // Printable text with XML specials and non-ASCII; trimmed and non-empty like the
        // reader's output.
        proptest::option::of("[a-zA-Z0-9 &<>\"'éü€\n]{1,12}")
            .prop_map(|o| o.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
    }

    fn pos() -> impl Strategy<Value = LatLon> {
        (-90.0f64..=90.0, -180.0f64..=180.0).prop_map(|(lat, lon)| LatLon::new(lat, lon))
    }

    fn time() -> impl Strategy<Value = Option<i64>> {
        proptest::option::of(-2_000_000_000_000i64..4_000_000_000_000)
    }

    fn waypoint() -> impl Strategy<Value = Waypoint> {
        (
            pos(),
            proptest::option::of(-500.0f64..9000.0),
            time(),
            text(),
            text(),
            text(),
            text(),
        )
            .prop_map(|(pos, ele_m, time_ms, name, cmt, sym, address)| {
                let mut w = Waypoint {
                    pos,
                    ele_m,
                    time_ms,
                    name,
                    cmt,
                    sym,
                    address,
                    ..Waypoint::default()
                };
                w.kind = trailatlas::core::kinds::classify(&w);
                w
            })
    }

    fn data() -> impl Strategy<Value = GpxData> {
        let track_point = (pos(), proptest::option::of(-500.0f64..9000.0), time()).prop_map(
            |(pos, ele_m, time_ms)| TrackPoint {
                pos,
                ele_m,
                time_ms,
            },
        );
        let track = (
            text(),
            proptest::collection::vec(proptest::collection::vec(track_point, 0..5), 0..3),
        )
            .prop_map(|(name, segments)| Track {
                meta: LineMeta {
                    name,
                    ..LineMeta::default()
                },
                segments,
            });
        let rpt = (waypoint(), proptest::collection::vec(pos(), 0..4))
            .prop_map(|(wpt, shaping)| RoutePoint { wpt, shaping });
        let route =
            (text(), proptest::collection::vec(rpt, 0..4)).prop_map(|(name, points)| Route {
                meta: LineMeta {
                    display_color: name,
                    ..LineMeta::default()
                },
                points,
            });
        (
            proptest::collection::vec(waypoint(), 0..4),
            proptest::collection::vec(track, 0..3),
            proptest::collection::vec(route, 0..2),
        )
            .prop_map(|(waypoints, tracks, routes)| GpxData {
                creator: Some("p".into()),
                name: None,
                waypoints,
                tracks,
                routes,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn export_then_import_is_identity(d in data()) {
            let mut out = Vec::new();
            prop_assert!(trailatlas::export::write_gpx(&mut out, &d).is_ok());
            let back = parse(&out);
            prop_assert!(back.is_ok(), "{:?}", back.err().map(|e| e.to_string()));
            prop_assert_eq!(back.map(|b| b.0).ok(), Some(d));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn mutated_gpx_never_panics(cut in 0usize..400, byte in any::<u8>()) {
            let mut bytes = gpx11(ONE_TRACK).into_bytes();
            let i = cut % bytes.len();
            bytes[i] = byte;
            let _ = parse(&bytes);
            let _ = parse(&bytes[..i]);
        }
    }
}

#[test]
fn user_kind_rules_reach_the_reader() {
    let classifier = trailatlas::core::kinds::Classifier::with_extra_rules("sym:Waypoint = gate");
    let Ok(classifier) = classifier else {
        panic!("rules should parse")
    };
    let mut c = Collect::default();
    let text = gpx11("<wpt lat=\"1\" lon=\"2\"><sym>Waypoint</sym></wpt>");
    let r = trailatlas::import::read_bytes_with(
        Path::new("k.gpx"),
        text.as_bytes(),
        &mut c,
        &classifier,
    );
    assert!(r.is_ok());
    assert_eq!(c.data.waypoints[0].kind, WaypointKind::Gate);
}

#[test]
fn the_sink_sees_points_as_they_are_read_in_file_order() {
    use trailatlas::core::model::{LineMeta, RoutePoint, TrackPoint, Waypoint};
    use trailatlas::import::{FileMeta, GpxSink, SinkError};
    #[derive(Default)]
    struct Log(Vec<String>);
    impl GpxSink for Log {
        fn waypoint(&mut self, w: Waypoint) -> Result<(), SinkError> {
            self.0.push(format!("wpt {}", w.name.unwrap_or_default()));
            Ok(())
        }
        fn begin_track(&mut self) -> Result<(), SinkError> {
            self.0.push("trk".into());
            Ok(())
        }
        fn begin_segment(&mut self) -> Result<(), SinkError> {
            self.0.push("seg".into());
            Ok(())
        }
        fn track_point(&mut self, p: TrackPoint) -> Result<(), SinkError> {
            self.0.push(format!("pt {}", p.pos.lat));
            Ok(())
        }
        fn end_track(&mut self, m: LineMeta) -> Result<(), SinkError> {
            self.0.push(format!("/trk {}", m.name.unwrap_or_default()));
            Ok(())
        }
        fn begin_route(&mut self) -> Result<(), SinkError> {
            self.0.push("rte".into());
            Ok(())
        }
        fn route_point(&mut self, p: RoutePoint) -> Result<(), SinkError> {
            self.0
                .push(format!("rtept {} +{}", p.wpt.pos.lat, p.shaping.len()));
            Ok(())
        }
        fn end_route(&mut self, m: LineMeta) -> Result<(), SinkError> {
            self.0.push(format!("/rte {}", m.name.unwrap_or_default()));
            Ok(())
        }
        fn file_meta(&mut self, m: FileMeta) -> Result<(), SinkError> {
            self.0
                .push(format!("file {}", m.creator.unwrap_or_default()));
            Ok(())
        }
    }
    let text = gpx11(
        "<wpt lat=\"1\" lon=\"0\"><name>A</name></wpt>\
         <trk><trkseg><trkpt lat=\"2\" lon=\"0\"/><trkpt lat=\"3\" lon=\"0\"/></trkseg><trkseg/><name>T</name></trk>\
         <rte><rtept lat=\"4\" lon=\"0\"/><name>R</name></rte><wpt lat=\"5\" lon=\"0\"><name>B</name></wpt>",
    );
    let mut log = Log::default();
    assert!(read_bytes(Path::new("o.gpx"), text.as_bytes(), &mut log).is_ok());
    let want = [
        "wpt A",
        "trk",
        "seg",
        "pt 2",
        "pt 3",
        "seg",
        "/trk T",
        "rte",
        "rtept 4 +0",
        "/rte R",
        "wpt B",
        "file t",
    ];
    assert_eq!(log.0, want);
}
