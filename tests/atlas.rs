//! Atlas: pagination on generated and real routes, scene snapshots, PDF read back with
//! poppler (`pdfinfo`, `pdftotext`), and the `trailatlas atlas` command.

use std::path::{Path, PathBuf};
use std::process::Command;

use trailatlas::core::atlas::{Atlas, FRAME_PAD_MM, Orientation, PageSpec, Paper, paginate};
use trailatlas::core::coords::{self, CoordFormat, Datum};
use trailatlas::core::geodesy::path_length_m;
use trailatlas::core::model::{LatLon, Waypoint, WaypointKind};
use trailatlas::core::projection::wrap_deg;
use trailatlas::render::atlas::{AtlasRoute, atlas_pdf};
use trailatlas::scene::build::{
    SceneData, SceneOptions, build_cue_sheet_scenes, build_index_scene, build_page_scene,
};

use crate::support;

// ---- generated routes ----

fn line(from: LatLon, to: LatLon, n: usize) -> Vec<LatLon> {
    (0..n)
        .map(|i| {
            let t = i as f64 / (n - 1) as f64;
            LatLon::new(
                from.lat + t * (to.lat - from.lat),
                wrap_deg(from.lon + t * wrap_deg(to.lon - from.lon)),
            )
        })
        .collect()
}

fn loop_route(centre: LatLon, radius_deg: f64, n: usize) -> Vec<LatLon> {
    let k = centre.lat.to_radians().cos();
    (0..=n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            LatLon::new(
                centre.lat + radius_deg * a.sin(),
                centre.lon + radius_deg * a.cos() / k,
            )
        })
        .collect()
}

fn zigzag(start: LatLon, legs: usize, leg_deg: f64, n_per_leg: usize) -> Vec<LatLon> {
    let mut out = Vec::new();
    let mut p = start;
    for leg in 0..legs {
        let dlat = if leg % 2 == 0 { leg_deg } else { -leg_deg };
        let q = LatLon::new(p.lat + dlat, p.lon + leg_deg * 0.5);
        out.extend(line(p, q, n_per_leg).into_iter().skip(usize::from(leg > 0)));
        p = q;
    }
    out
}

fn spec(paper: Paper, o: Orientation, scale: u32) -> PageSpec {
    PageSpec::new(paper, o, scale).unwrap()
}

/// The invariants every atlas must hold: coverage, symmetric links, few pages.
fn check_atlas(atlas: &Atlas, route: &[LatLon]) {
    assert!(!atlas.pages.is_empty());
    for (i, p) in route.iter().enumerate() {
        assert!(
            atlas
                .pages
                .iter()
                .any(|pg| pg.contains_inset(*p, FRAME_PAD_MM - 0.5)),
            "route point {i} {p:?} is not inside any frame (inside the pad)"
        );
    }
    for page in &atlas.pages {
        for link in &page.links {
            let to = atlas.page(link.to_page).unwrap_or_else(|| {
                panic!("page {} links to missing {}", page.number, link.to_page)
            });
            assert_ne!(to.number, page.number);
            let back = to.links.iter().any(|l| {
                l.to_page == page.number && {
                    let a = to.paper_mm_from_world(l.at);
                    let b = to.paper_mm_from_world(link.at);
                    (a[0] - b[0]).hypot(a[1] - b[1]) < 0.1
                }
            });
            assert!(
                to.contains_inset(link.at, -0.05) || back,
                "link {} -> {} at {:?} is not symmetric",
                page.number,
                link.to_page,
                link.at
            );
        }
    }
    let len_m = path_length_m(route.iter().copied());
    let bound = (len_m / atlas.spec.frame_long_side_m()).ceil().max(1.0);
    assert!(
        atlas.pages.len() as f64 <= 1.5 * bound,
        "{} pages for a lower bound of {bound}",
        atlas.pages.len()
    );
    // Numbered from 2 in order.
    for (i, p) in atlas.pages.iter().enumerate() {
        assert_eq!(p.number, 2 + i as u32);
    }
    // Every place the route crosses a frame, leaving or entering, is labelled there.
    for page in &atlas.pages {
        for w in atlas.path.windows(2) {
            let (a, b) = (w[0], w[1]);
            if page.contains_inset(a, 0.0) == page.contains_inset(b, 0.0) {
                continue;
            }
            let (pa, pb) = (page.paper_mm_from_world(a), page.paper_mm_from_world(b));
            let labelled = page.links.iter().any(|l| {
                let q = page.paper_mm_from_world(l.at);
                let within = |v: f64, x: f64, y: f64| v >= x.min(y) - 0.5 && v <= x.max(y) + 0.5;
                within(q[0], pa[0], pb[0]) && within(q[1], pa[1], pb[1])
            });
            assert!(
                labelled,
                "page {}: crossing between {a:?} and {b:?} has no link",
                page.number
            );
        }
    }
}

fn check(route: &[LatLon], spec: PageSpec) -> Atlas {
    let atlas = paginate(&spec, route).unwrap();
    check_atlas(&atlas, route);
    atlas
}

#[test]
fn loop_route_is_covered() {
    let route = loop_route(LatLon::new(44.0, -121.0), 0.4, 3000);
    let atlas = check(&route, spec(Paper::Letter, Orientation::Auto, 100_000));
    assert!(atlas.pages.len() >= 3);
}

#[test]
fn out_and_back_is_covered_without_extra_pages() {
    let mut route = line(LatLon::new(44.0, -121.0), LatLon::new(44.6, -120.2), 2000);
    let back: Vec<_> = route.iter().rev().copied().collect();
    route.extend(back);
    let atlas = check(&route, spec(Paper::A4, Orientation::Auto, 100_000));
    let oneway = check(&route[..2000], spec(Paper::A4, Orientation::Auto, 100_000));
    assert_eq!(atlas.pages.len(), oneway.pages.len());
}

#[test]
fn route_across_utm_zones_gets_a_projection_per_page() {
    // -120 to -126 crosses the UTM zone 10/11 boundary at -120 and 10 spans -126..-120.
    let route = line(LatLon::new(44.0, -120.0), LatLon::new(44.0, -126.0), 5000);
    let atlas = check(&route, spec(Paper::Letter, Orientation::Auto, 250_000));
    let meridians: Vec<f64> = atlas.pages.iter().map(|p| p.projection.lon0_deg).collect();
    assert!(meridians.windows(2).all(|w| w[1] < w[0]), "{meridians:?}");
    // True scale: a page's frame is its paper size times the scale on the ground.
    let p = &atlas.pages[0];
    let ground_w = trailatlas::core::geodesy::distance_m(p.corners[0], p.corners[1]);
    assert!(
        (ground_w / p.extent_m.0 - 1.0).abs() < 0.003,
        "{ground_w} vs {}",
        p.extent_m.0
    );
}

#[test]
fn route_across_the_antimeridian_in_fiji() {
    let route = line(LatLon::new(-17.8, 177.4), LatLon::new(-16.3, -179.8), 3000);
    let atlas = check(&route, spec(Paper::Letter, Orientation::Auto, 100_000));
    assert!(atlas.pages.iter().any(
        |p| p.corners.iter().any(|c| c.lon > 179.0) && p.corners.iter().any(|c| c.lon < -179.0)
    ));
    let (bytes, _) = atlas_pdf(
        &atlas.spec,
        AtlasRoute {
            name: "Fiji",
            path: &route,
        },
        &[],
        &[],
        &SceneOptions::default(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fiji.pdf");
    std::fs::write(&path, &bytes).unwrap();
    maybe_png(&path, "fiji");
}

#[test]
fn route_across_the_antimeridian_in_chukotka() {
    let route = line(LatLon::new(66.0, 176.0), LatLon::new(65.2, -172.0), 3000);
    check(&route, spec(Paper::Tabloid, Orientation::Auto, 500_000));
}

#[test]
fn long_straight_line_needs_about_the_lower_bound() {
    let route = line(LatLon::new(40.0, -104.0), LatLon::new(40.0, -96.0), 4000);
    let atlas = check(&route, spec(Paper::Letter, Orientation::Landscape, 500_000));
    assert!(
        atlas
            .pages
            .iter()
            .all(|p| p.orientation == trailatlas::core::atlas::PageOrientation::Landscape)
    );
}

#[test]
fn zigzag_is_covered() {
    let route = zigzag(LatLon::new(38.0, -110.0), 12, 0.3, 300);
    check(&route, spec(Paper::A3, Orientation::Auto, 100_000));
}

#[test]
fn portrait_only_for_a_north_south_route() {
    let route = line(LatLon::new(40.0, -110.0), LatLon::new(42.0, -110.0), 1000);
    let atlas = check(&route, spec(Paper::Legal, Orientation::Auto, 100_000));
    assert!(
        atlas
            .pages
            .iter()
            .all(|p| p.orientation == trailatlas::core::atlas::PageOrientation::Portrait)
    );
}

#[test]
fn every_scale_and_paper_covers_a_loop() {
    let route = loop_route(LatLon::new(-33.0, 148.0), 0.8, 2000);
    for paper in Paper::ALL {
        for scale in [24_000, 50_000, 100_000, 250_000, 500_000] {
            check(&route, spec(paper, Orientation::Auto, scale));
        }
    }
}

// ---- real tracks ----

fn real_tracks(file: &str) -> Option<Vec<Vec<LatLon>>> {
    let dir = support::real_fixtures()?;
    let path = dir.join(file);
    let f = std::fs::File::open(&path).ok()?;
    let gpx =
        gpx::read(std::io::BufReader::new(f)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out: Vec<Vec<LatLon>> = gpx
        .tracks
        .iter()
        .map(|t| {
            t.segments
                .iter()
                .flat_map(|s| &s.points)
                .map(|p| LatLon::new(p.point().y(), p.point().x()))
                .collect::<Vec<_>>()
        })
        .filter(|v: &Vec<LatLon>| !v.is_empty())
        .collect();
    out.extend(
        gpx.routes
            .iter()
            .map(|r| {
                r.points
                    .iter()
                    .map(|p| LatLon::new(p.point().y(), p.point().x()))
                    .collect::<Vec<_>>()
            })
            .filter(|v| !v.is_empty()),
    );
    Some(out)
}

#[test]
fn real_tracks_are_covered() {
    let mut seen = 0;
    for (file, scale) in [
        ("gpxtr-ich-north-4.gpx", 100_000),
        ("gpxtr-basecamp.gpx", 50_000),
        ("georust-garmin_with_extensions.gpx", 24_000),
    ] {
        let Some(tracks) = real_tracks(file) else {
            return;
        };
        for (i, t) in tracks.iter().enumerate() {
            let atlas = check(t, spec(Paper::Letter, Orientation::Auto, scale));
            seen += 1;
            if i == 0 {
                let name = file.trim_end_matches(".gpx");
                let (bytes, _) = atlas_pdf(
                    &atlas.spec,
                    AtlasRoute { name, path: t },
                    &[],
                    &[],
                    &SceneOptions::default(),
                )
                .unwrap();
                assert!(bytes.starts_with(b"%PDF"));
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join(format!("{name}.pdf"));
                std::fs::write(&path, &bytes).unwrap();
                maybe_png(&path, name);
            }
        }
    }
    assert!(seen >= 3, "only {seen} real tracks");
}

// ---- scenes ----

fn small_route() -> Vec<LatLon> {
    line(LatLon::new(44.0, -121.3), LatLon::new(44.1, -120.2), 400)
}

fn small_waypoints() -> Vec<Waypoint> {
    let w = |name: &str, lat, lon, kind| Waypoint {
        pos: LatLon::new(lat, lon),
        name: Some(name.into()),
        kind,
        ..Default::default()
    };
    vec![
        w("Sisters Chevron", 44.002, -121.25, WaypointKind::Fuel),
        w("CP1", 44.03, -120.95, WaypointKind::Checkpoint),
        w("Cold Spring", 44.045, -120.81, WaypointKind::Campground),
        w("Far Away Lake", 45.5, -118.0, WaypointKind::Water),
        w("Prineville Shell", 44.09, -120.3, WaypointKind::Fuel),
    ]
}

fn small_spec() -> PageSpec {
    spec(Paper::Letter, Orientation::Auto, 100_000)
}

#[test]
fn page_scene_snapshot() {
    let route = small_route();
    let atlas = paginate(&small_spec(), &route).unwrap();
    let wpts = small_waypoints();
    let data = SceneData {
        route_name: "Sisters to Prineville",
        others: &[],
        waypoints: &wpts,
        ..Default::default()
    };
    let scene = build_page_scene(&atlas, 2, &data, &SceneOptions::default()).unwrap();
    let labels: String = scene
        .dump()
        .lines()
        .filter(|l| l.starts_with("label") || l.starts_with("marker") || l.starts_with("scene"))
        .map(|l| format!("{l}\n"))
        .collect();
    let expected = include_str!("snapshots/atlas_page2.txt");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/atlas_page2.txt"),
            &labels,
        )
        .unwrap();
    } else {
        assert_eq!(
            labels, expected,
            "scene changed; rerun with UPDATE_EXPECT=1 to accept"
        );
    }
}

#[test]
fn page_scene_has_links_scale_bars_and_checkpoint_coordinates() {
    let route = small_route();
    let atlas = paginate(&small_spec(), &route).unwrap();
    let wpts = small_waypoints();
    let data = SceneData {
        route_name: "Sisters to Prineville",
        others: &[],
        waypoints: &wpts,
        ..Default::default()
    };
    let opts = SceneOptions::default();
    let scene = build_page_scene(&atlas, 2, &data, &opts).unwrap();
    let texts = scene.texts();
    assert!(texts.contains(&"to 3"), "{texts:?}");
    assert!(texts.contains(&"Page 2"));
    assert!(texts.iter().any(|t| t.ends_with(" km")) && texts.iter().any(|t| t.ends_with(" mi")));
    assert!(!texts.contains(&"Far Away Lake"));
    let cp_pos = LatLon::new(44.03, -120.95);
    let (cp_page, _) = atlas.locate(cp_pos).unwrap();
    let texts = build_page_scene(&atlas, cp_page, &data, &opts).unwrap();
    let texts = texts.texts();
    let cp = coords::format(cp_pos, CoordFormat::Ddm, Datum::Wgs84);
    assert!(texts.contains(&cp.as_str()), "{cp} not in {texts:?}");
    assert!(texts.contains(&"CP1"));
}

#[test]
fn waypoint_labels_do_not_overlap() {
    let route = small_route();
    let atlas = paginate(&small_spec(), &route).unwrap();
    // A crowd of waypoints along the route.
    let wpts: Vec<Waypoint> = route
        .iter()
        .step_by(8)
        .enumerate()
        .map(|(i, p)| Waypoint {
            pos: *p,
            name: Some(format!("Spot {i}")),
            kind: WaypointKind::ALL[i % 12],
            ..Default::default()
        })
        .collect();
    let data = SceneData {
        route_name: "Crowd",
        others: &[],
        waypoints: &wpts,
        ..Default::default()
    };
    let scene = build_page_scene(&atlas, 2, &data, &SceneOptions::default()).unwrap();
    let names: Vec<_> = scene
        .items
        .iter()
        .filter_map(|i| match i {
            trailatlas::scene::Item::Label(l) if l.text.starts_with("Spot") => Some(l.bounds()),
            _ => None,
        })
        .collect();
    assert!(names.len() > 5, "{}", names.len());
    for (i, a) in names.iter().enumerate() {
        for b in names.iter().skip(i + 1) {
            assert!(!trailatlas::scene::overlaps(a, b), "{a:?} overlaps {b:?}");
        }
    }
}

#[test]
fn index_lists_every_page_and_join() {
    let route = small_route();
    let atlas = paginate(&small_spec(), &route).unwrap();
    let data = SceneData {
        route_name: "Sisters to Prineville",
        others: &[],
        waypoints: &[],
        ..Default::default()
    };
    let scene = build_index_scene(&atlas, &data, &SceneOptions::default());
    let texts = scene.texts();
    for p in &atlas.pages {
        assert!(
            texts.contains(&p.number.to_string().as_str()),
            "page {} not on the overview",
            p.number
        );
    }
    assert!(
        texts.iter().any(|t| t.starts_with("2: E to 3")),
        "{texts:?}"
    );
}

/// Road cues and OSM POIs join the waypoints in one list, in route order, with the distance
/// since the last fuel counted over all of them.
#[test]
fn cue_sheet_merges_road_cues_and_pois_in_route_order() {
    use trailatlas::core::matching::Turn;
    use trailatlas::core::roadbook::{CueWhat, RoadCue, SurfaceClass};
    let route = small_route();
    let atlas = paginate(&small_spec(), &route).unwrap();
    let wpts = small_waypoints();
    let opts = SceneOptions::default();
    let plain = trailatlas::scene::build::cue_rows(&atlas, &wpts, &opts);
    let at = 0.5 * (plain[0].along_m + plain[1].along_m);
    let cues = vec![
        RoadCue {
            at_m: 0.0,
            what: CueWhat::Start,
            turn_deg: None,
            road: "US 20".into(),
            surface: SurfaceClass::Paved,
            notes: vec![],
            for_m: at,
        },
        RoadCue {
            at_m: at,
            what: CueWhat::Turn(Turn::Left),
            turn_deg: Some(-90.0),
            road: "NF 2310".into(),
            surface: SurfaceClass::Gravel,
            notes: vec![],
            for_m: 1000.0,
        },
    ];
    let mut poi = wpts[0].clone();
    poi.name = Some("OSM Fuel".into());
    let data = SceneData {
        route_name: "x",
        waypoints: &wpts,
        road_cues: &cues,
        cue_pois: std::slice::from_ref(&poi),
        ..Default::default()
    };
    let rows = trailatlas::scene::build::cue_sheet_rows(&atlas, &data, &opts);
    assert_eq!(rows.len(), plain.len() + 3);
    assert!(rows.windows(2).all(|w| w[0].along_m <= w[1].along_m));
    assert_eq!(rows[0].wpt.name.as_deref(), Some("start on US 20, paved"));
    let turn = rows
        .iter()
        .position(|r| r.road.is_some() && r.along_m == at)
        .unwrap();
    assert_eq!(
        rows[turn].wpt.name.as_deref(),
        Some("left onto NF 2310, gravel")
    );
    assert!(rows[turn].page_ref.is_some());
    // The road row counts the distance since the fuel before it.
    assert!(rows[turn].since_fuel_m.is_some());
    assert!(
        rows.iter()
            .any(|r| r.wpt.name.as_deref() == Some("OSM Fuel"))
    );
    let sheets = build_cue_sheet_scenes(&atlas, &data, &opts);
    assert!(sheets[0].texts().contains(&"left onto NF 2310, gravel"));
}

#[test]
fn cue_sheet_lists_near_waypoints_in_route_order_with_fuel_distance() {
    let route = small_route();
    let atlas = paginate(&small_spec(), &route).unwrap();
    let wpts = small_waypoints();
    let opts = SceneOptions::default();
    let rows = trailatlas::scene::build::cue_rows(&atlas, &wpts, &opts);
    let names: Vec<_> = rows
        .iter()
        .map(|r| r.wpt.name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        ["Sisters Chevron", "CP1", "Cold Spring", "Prineville Shell"]
    );
    assert!(rows[0].since_fuel_m.is_none());
    let last = rows.last().unwrap();
    let since = last.since_fuel_m.unwrap();
    assert!((since - (last.along_m - rows[0].along_m)).abs() < 1.0);
    assert_eq!(
        rows[1].page_ref.as_ref().map(|r| r.0),
        atlas.locate(wpts[1].pos).map(|r| r.0)
    );
    let data = SceneData {
        route_name: "x",
        others: &[],
        waypoints: &wpts,
        ..Default::default()
    };
    let sheets = build_cue_sheet_scenes(&atlas, &data, &opts);
    assert_eq!(sheets.len(), 1);
    assert!(sheets[0].texts().contains(&"Cold Spring"));
}

#[test]
fn cue_sheet_flows_onto_more_pages() {
    let route = small_route();
    let atlas = paginate(&small_spec(), &route).unwrap();
    let wpts: Vec<Waypoint> = route
        .iter()
        .map(|p| Waypoint {
            pos: *p,
            name: Some("w".into()),
            kind: WaypointKind::Other,
            ..Default::default()
        })
        .collect();
    let data = SceneData {
        route_name: "x",
        others: &[],
        waypoints: &wpts,
        ..Default::default()
    };
    let sheets = build_cue_sheet_scenes(&atlas, &data, &SceneOptions::default());
    assert!(sheets.len() >= 4, "{}", sheets.len());
}

// ---- PDF ----

fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("-v").output().is_ok();
    if !ok {
        eprintln!("skipping: {tool} is not installed (apt-get install poppler-utils)");
    }
    ok
}

fn pdf_pages(path: &Path) -> usize {
    let out = Command::new("pdfinfo").arg(path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap()
}

fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Writes PNGs of the PDF into $ATLAS_PNG_DIR when set, to look at.
fn maybe_png(pdf: &Path, stem: &str) {
    if let Some(dir) = std::env::var_os("ATLAS_PNG_DIR") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        let _ = std::fs::copy(pdf, dir.join(format!("{stem}.pdf")));
        let _ = Command::new("pdftoppm")
            .args(["-r", "50", "-png"])
            .arg(pdf)
            .arg(dir.join(stem))
            .status();
    }
}

#[test]
fn atlas_pdf_reads_back_with_poppler() {
    let route = small_route();
    let wpts = small_waypoints();
    let others = vec![line(
        LatLon::new(43.95, -121.2),
        LatLon::new(44.2, -120.9),
        50,
    )];
    let opts = SceneOptions::default();
    let (bytes, atlas) = atlas_pdf(
        &small_spec(),
        AtlasRoute {
            name: "Sisters to Prineville",
            path: &route,
        },
        &others,
        &wpts,
        &opts,
    )
    .unwrap();
    let (again, _) = atlas_pdf(
        &small_spec(),
        AtlasRoute {
            name: "Sisters to Prineville",
            path: &route,
        },
        &others,
        &wpts,
        &opts,
    )
    .unwrap();
    assert!(bytes == again, "PDF output is not deterministic");
    if !have("pdftotext") || !have("pdfinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atlas.pdf");
    std::fs::write(&path, &bytes).unwrap();
    maybe_png(&path, "small");
    assert_eq!(pdf_pages(&path), 1 + atlas.pages.len() + 1);
    let text = pdf_text(&path);
    assert!(text.contains("to 3"), "{text}");
    assert!(text.contains("to 5"), "{text}");
    for p in &atlas.pages {
        assert!(text.contains(&format!("Page {}", p.number)));
    }
    let cp = coords::format(LatLon::new(44.03, -120.95), CoordFormat::Ddm, Datum::Wgs84);
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        squash(&text).contains(&squash(&cp)),
        "{cp} not in the PDF text"
    );
    assert!(text.contains("WGS84"));
    assert!(text.contains("Cold Spring"));
}

#[test]
fn pdf_of_a_long_loop_renders() {
    let route = loop_route(LatLon::new(44.0, -121.0), 0.5, 20_000);
    let wpts: Vec<Waypoint> = route
        .iter()
        .step_by(500)
        .enumerate()
        .map(|(i, p)| Waypoint {
            pos: *p,
            name: Some(format!("Waypoint {i}")),
            kind: WaypointKind::ALL[i % 12],
            ..Default::default()
        })
        .collect();
    let (bytes, atlas) = atlas_pdf(
        &spec(Paper::Letter, Orientation::Auto, 100_000),
        AtlasRoute {
            name: "Big loop",
            path: &route,
        },
        &[],
        &wpts,
        &SceneOptions::default(),
    )
    .unwrap();
    assert!(bytes.len() / (atlas.pages.len() + 2) < 300_000);
    if !have("pdfinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loop.pdf");
    std::fs::write(&path, &bytes).unwrap();
    maybe_png(&path, "loop");
    assert!(pdf_pages(&path) >= atlas.pages.len() + 2);
}

/// Page `page` of `pdf` rendered by poppler at `dpi`: (width, height, RGB bytes).
fn render_page(pdf: &Path, page: usize, dpi: u32) -> (usize, usize, Vec<u8>) {
    let out = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-f", &page.to_string()])
        .args(["-l", &page.to_string()])
        .arg(pdf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A binary PPM: "P6\n<w> <h>\n255\n" then RGB.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while out.stdout[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !out.stdout[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&out.stdout[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P6");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let rgb = out.stdout[at + 1..].to_vec();
    assert_eq!(rgb.len(), w * h * 3);
    (w, h, rgb)
}

/// Pixels of `rgb` within 12 levels of `c`.
fn pixels_near(rgb: &[u8], c: trailatlas::scene::Color) -> usize {
    rgb.chunks_exact(3)
        .filter(|p| {
            p[0].abs_diff(c.r) <= 12 && p[1].abs_diff(c.g) <= 12 && p[2].abs_diff(c.b) <= 12
        })
        .count()
}

#[test]
fn waypoint_icons_are_vector_forms_drawn_once_per_kind() {
    use trailatlas::scene::{Item, theme};
    let route = small_route();
    // Unnamed waypoints of every kind 1.1 km off the route: on the map pages, but outside the
    // cue sheet's 100 m corridor, so the PDFs differ only by markers.
    let crowd = |n: usize| -> Vec<Waypoint> {
        (0..n)
            .map(|i| {
                let p = route[(i * 37) % route.len()];
                Waypoint {
                    pos: LatLon::new(p.lat + 0.01, p.lon),
                    kind: WaypointKind::ALL[i % 12],
                    ..Default::default()
                }
            })
            .collect()
    };
    let opts = SceneOptions {
        corridor_m: 100.0,
        ..SceneOptions::default()
    };
    let pdf = |wpts: &[Waypoint]| {
        atlas_pdf(
            &small_spec(),
            AtlasRoute {
                name: "Icons",
                path: &route,
            },
            &[],
            wpts,
            &opts,
        )
        .unwrap()
    };
    let markers = |atlas: &Atlas, wpts: &[Waypoint]| -> usize {
        let data = SceneData {
            route_name: "Icons",
            others: &[],
            waypoints: wpts,
            ..Default::default()
        };
        atlas
            .pages
            .iter()
            .map(|p| {
                let scene = build_page_scene(atlas, p.number, &data, &opts).unwrap();
                scene
                    .items
                    .iter()
                    .filter(|i| matches!(i, Item::Marker { .. }))
                    .count()
            })
            .sum()
    };
    let forms = |bytes: &[u8]| bytes.windows(13).filter(|w| w == b"/Subtype/Form").count();
    let (few_wpts, many_wpts) = (crowd(12), crowd(400));
    let (few, atlas) = pdf(&few_wpts);
    let (many, _) = pdf(&many_wpts);
    let (few_markers, many_markers) = (markers(&atlas, &few_wpts), markers(&atlas, &many_wpts));
    assert!(
        few_markers >= 12 && many_markers > few_markers + 300,
        "{few_markers} {many_markers}"
    );
    // One form XObject per kind, however many markers use it.
    assert!(forms(&few) >= 12, "{} forms", forms(&few));
    assert_eq!(forms(&few), forms(&many));
    let per_marker = (many.len() - few.len()) / (many_markers - few_markers);
    eprintln!(
        "{} forms; {few_markers} markers: {} bytes; {many_markers} markers: {} bytes; {per_marker} bytes per extra marker",
        forms(&many),
        few.len(),
        many.len()
    );
    assert!(per_marker < 40, "{per_marker} bytes per extra marker");
    let pages = atlas.pages.len() + 2;
    assert!(many.len() / pages < 300_000, "{} bytes", many.len());
    if !have("pdftoppm") || !have("pdfimages") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("icons.pdf");
    std::fs::write(&path, &many).unwrap();
    maybe_png(&path, "icons");
    // Vectors only: no raster image anywhere.
    let list = Command::new("pdfimages")
        .arg("-list")
        .arg(&path)
        .output()
        .unwrap();
    assert!(list.status.success());
    let list = String::from_utf8_lossy(&list.stdout);
    assert_eq!(list.lines().count(), 2, "raster images in the PDF:\n{list}");
    // The map pages render, with each kind's fill and the white pictograms on them.
    let mut seen = std::collections::HashSet::new();
    for page in 2..2 + atlas.pages.len() {
        let (_, _, rgb) = render_page(&path, page, 100);
        for kind in WaypointKind::ALL {
            if pixels_near(&rgb, theme::symbol(kind).fill) > 20 {
                seen.insert(kind);
            }
        }
    }
    assert_eq!(seen.len(), 12, "kinds seen on the rendered pages: {seen:?}");
}

// ---- CLI ----

fn gpx_file(dir: &Path) -> PathBuf {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="atlas test" xmlns="http://www.topografix.com/GPX/1/1">
<wpt lat="44.002" lon="-121.25"><name>Sisters Chevron</name><sym>Gas Station</sym></wpt>
<wpt lat="44.045" lon="-120.81"><name>Cold Spring</name><sym>Campground</sym></wpt>
<trk><name>Sisters to Prineville</name><trkseg>
"#,
    );
    for p in small_route() {
        s.push_str(&format!(
            "<trkpt lat=\"{:.6}\" lon=\"{:.6}\"></trkpt>\n",
            p.lat, p.lon
        ));
    }
    s.push_str("</trkseg></trk></gpx>\n");
    let path = dir.join("route.gpx");
    std::fs::write(&path, s).unwrap();
    path
}

#[test]
fn cli_prints_an_atlas_and_its_layout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.sqlite");
    let gpx = gpx_file(dir.path());
    let st = Command::new(support::bin())
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg(&gpx)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let pdf = dir.path().join("out.pdf");
    let json = dir.path().join("out.json");
    let out = Command::new(support::bin())
        .arg("--db")
        .arg(&db)
        .args([
            "atlas",
            "--route",
            "Sisters to Prineville",
            "--scale",
            "1:100000",
            "--paper",
            "letter",
            "--coord-format",
            "ddm",
            "--datum",
            "wgs84",
            "-o",
        ])
        .arg(&pdf)
        .arg("--layout-json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let layout: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(layout["scale"], 100_000);
    assert_eq!(layout["paper"], "letter");
    let pages = layout["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 4);
    assert_eq!(pages[0]["number"], 2);
    assert_eq!(pages[0]["frame"].as_array().unwrap().len(), 4);
    assert_eq!(pages[0]["links"][0]["edge"], "E");
    assert_eq!(pages[0]["links"][0]["to_page"], 3);
    assert!(pages[0]["links"][0]["at"][0].as_f64().unwrap() > 43.9);
    if have("pdfinfo") && have("pdftotext") {
        assert_eq!(pdf_pages(&pdf), 1 + 4 + 1);
        let text = pdf_text(&pdf);
        assert!(
            text.contains("to 3") && text.contains("Sisters Chevron") && text.contains("WGS84"),
            "{text}"
        );
    }
}

#[test]
fn cli_refuses_a_bad_scale_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.sqlite");
    let out = Command::new(support::bin())
        .arg("--db")
        .arg(&db)
        .args(["atlas", "--route", "x", "--scale", "1:5000", "-o"])
        .arg(dir.path().join("o.pdf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1:5000") && err.lines().count() == 1, "{err}");
}

// ---- properties ----

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A random walk: start anywhere (antimeridian and high latitudes included), then steps of
    /// up to `step_deg` in random directions.
    fn walk() -> impl Strategy<Value = Vec<LatLon>> {
        (
            -70.0..70.0f64,
            -180.0..180.0f64,
            prop::collection::vec((-1.0..1.0f64, -1.0..1.0f64), 2..400),
            0.001..0.05f64,
        )
            .prop_map(|(lat, lon, steps, step_deg)| {
                let mut p = LatLon::new(lat, lon);
                let mut out = vec![p];
                for (dy, dx) in steps {
                    p = LatLon::new(
                        (p.lat + dy * step_deg).clamp(-80.0, 80.0),
                        wrap_deg(p.lon + dx * step_deg),
                    );
                    out.push(p);
                }
                out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn any_walk_is_covered_with_symmetric_links(
            route in walk(),
            scale in prop::sample::select(vec![24_000u32, 100_000, 500_000]),
            paper in prop::sample::select(Paper::ALL.to_vec()),
        ) {
            check(&route, spec(paper, Orientation::Auto, scale));
        }
    }
}
