//! The topographic map on pages and screen, from a map generated in code around a route:
//! every layer drawn, the style by class and surface, scale thresholds, labels never
//! overlapping, the legend and attribution, and the PDF read back with poppler.

use std::process::Command;

use trailatlas::core::atlas::{Orientation, PageSpec, Paper, RectMm, paginate};
use trailatlas::core::map::{
    Area, AreaKind, MapData, OsmId, Place, PlaceKind, Poi, PoiKind, Polygon, Road, RoadClass,
    Surface, WaterLine, WaterLineKind,
};
use trailatlas::core::model::{LatLon, Waypoint, WaypointKind};
use trailatlas::render::atlas::book_pdf;
use trailatlas::scene::build::{SceneData, SceneOptions, build_index_scene, build_page_scene};
use trailatlas::scene::layers::MapLayers;
use trailatlas::scene::view::{
    ViewData, ViewLine, ViewLineRef, ViewSpec, build_view_scene, build_view_scene_reusing,
};
use trailatlas::scene::{Item, Scene, overlaps, theme, turned_bounds};

fn line(from: LatLon, to: LatLon, n: usize) -> Vec<LatLon> {
    (0..n)
        .map(|i| {
            let t = i as f64 / (n - 1) as f64;
            LatLon::new(
                from.lat + t * (to.lat - from.lat),
                from.lon + t * (to.lon - from.lon),
            )
        })
        .collect()
}

fn route() -> Vec<LatLon> {
    line(LatLon::new(44.0, -121.3), LatLon::new(44.1, -120.9), 300)
}

fn road(id: i64, class: RoadClass, surface: Surface, geometry: Vec<LatLon>) -> Road {
    Road {
        osm: OsmId::Way(id),
        highway: class.as_str().into(),
        class,
        surface,
        surface_tag: None,
        tracktype: None,
        smoothness: None,
        four_wd_only: false,
        access: None,
        motor_vehicle: None,
        name: None,
        ref_: None,
        bridge: false,
        tunnel: false,
        ford: false,
        oneway: 0,
        seasonal: false,
        drivable: class != RoadClass::Path,
        max_scale: match class {
            RoadClass::Primary => 4_000_000,
            RoadClass::Path => 50_000,
            _ => 250_000,
        },
        geometry,
    }
}

fn ring(c: LatLon, r_deg: f64, n: usize) -> Vec<LatLon> {
    let mut v: Vec<LatLon> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            LatLon::new(c.lat + r_deg * a.sin(), c.lon + r_deg * 1.4 * a.cos())
        })
        .collect();
    v.push(v[0]);
    v
}

/// A map around [`route`]: a paved highway along it, a gravel forest road `NF 2310`
/// crossing it, a grade 3 track, a 4x4 road, a path, a lake with an island, a river, a
/// national forest, woods, two towns, fuel, a camp site and a peak.
fn map() -> MapData {
    let mut hwy = road(
        1,
        RoadClass::Primary,
        Surface::Paved,
        line(
            LatLon::new(44.01, -121.35),
            LatLon::new(44.11, -120.85),
            200,
        ),
    );
    hwy.ref_ = Some("US 20".into());
    hwy.name = Some("Santiam Highway".into());
    let mut nf = road(
        2,
        RoadClass::Minor,
        Surface::Gravel,
        line(LatLon::new(43.96, -121.1), LatLon::new(44.12, -121.08), 100),
    );
    nf.ref_ = Some("NF 2310".into());
    let mut track = road(
        3,
        RoadClass::Track,
        Surface::Dirt,
        line(LatLon::new(43.98, -121.2), LatLon::new(44.08, -121.15), 80),
    );
    track.tracktype = Some(3);
    let mut fourwd = road(
        4,
        RoadClass::Track,
        Surface::Dirt,
        line(LatLon::new(44.06, -121.0), LatLon::new(44.13, -120.95), 60),
    );
    fourwd.four_wd_only = true;
    let path = road(
        5,
        RoadClass::Path,
        Surface::Unknown,
        line(LatLon::new(44.02, -121.25), LatLon::new(44.05, -121.22), 20),
    );
    let lake_c = LatLon::new(44.075, -121.22);
    let lake = Area {
        osm: OsmId::Relation(10),
        kind: AreaKind::Lake,
        name: Some("Suttle Lake".into()),
        protect_class: None,
        operator: None,
        max_scale: 1_000_000,
        area_m2: 4.0e6,
        polygons: vec![Polygon {
            outer: ring(lake_c, 0.012, 40),
            inners: vec![ring(lake_c, 0.003, 12)],
        }],
    };
    let forest = Area {
        osm: OsmId::Relation(11),
        kind: AreaKind::Protected,
        name: Some("Deschutes National Forest".into()),
        protect_class: Some("6".into()),
        operator: Some("US Forest Service".into()),
        max_scale: 4_000_000,
        area_m2: 6.0e8,
        polygons: vec![Polygon {
            outer: ring(LatLon::new(44.05, -121.15), 0.08, 60),
            inners: vec![],
        }],
    };
    let wood = Area {
        osm: OsmId::Way(12),
        kind: AreaKind::Wood,
        name: None,
        protect_class: None,
        operator: None,
        max_scale: 500_000,
        area_m2: 2.0e6,
        polygons: vec![Polygon {
            outer: ring(LatLon::new(44.03, -121.05), 0.01, 20),
            inners: vec![],
        }],
    };
    let river = WaterLine {
        osm: OsmId::Way(20),
        kind: WaterLineKind::River,
        name: Some("Metolius River".into()),
        intermittent: false,
        max_scale: 2_000_000,
        geometry: line(LatLon::new(43.95, -121.0), LatLon::new(44.14, -120.99), 100),
    };
    let place = |id, name: &str, kind, pop, lat, lon| Place {
        osm: OsmId::Node(id),
        kind,
        name: name.into(),
        population: pop,
        max_scale: 4_000_000,
        at: LatLon::new(lat, lon),
    };
    let poi = |id, kind, name: Option<&str>, ele_m, lat, lon| Poi {
        osm: OsmId::Node(id),
        kind,
        name: name.map(Into::into),
        brand: None,
        opening_hours: None,
        ele_m,
        max_scale: 250_000,
        at: LatLon::new(lat, lon),
    };
    MapData {
        roads: vec![hwy, nf, track, fourwd, path],
        water_lines: vec![river],
        areas: vec![forest, wood, lake],
        places: vec![
            place(30, "Sisters", PlaceKind::Town, Some(2_500), 44.03, -121.28),
            place(
                31,
                "Camp Sherman",
                PlaceKind::Village,
                Some(300),
                44.09,
                -121.02,
            ),
        ],
        pois: vec![
            poi(40, PoiKind::Fuel, Some("Shell"), None, 44.055, -121.12),
            poi(
                41,
                PoiKind::CampSite,
                Some("Allen Springs"),
                None,
                44.085,
                -121.05,
            ),
            poi(
                42,
                PoiKind::Peak,
                Some("Black Butte"),
                Some(1962.0),
                44.04,
                -121.18,
            ),
            // A fuel POI where the GPX file has its own fuel stop: drawn once, as the GPX one.
            poi(43, PoiKind::Fuel, Some("Chevron"), None, 44.0305, -121.2005),
        ],
    }
}

fn gpx_waypoints() -> Vec<Waypoint> {
    vec![Waypoint {
        pos: LatLon::new(44.0303, -121.2001),
        name: Some("Sisters Chevron".into()),
        kind: WaypointKind::Fuel,
        ..Default::default()
    }]
}

fn spec(scale: u32) -> PageSpec {
    PageSpec::new(Paper::Letter, Orientation::Auto, scale).unwrap()
}

/// Every text footprint on the scene.
fn text_boxes(scene: &Scene) -> Vec<(String, RectMm)> {
    scene
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Label(l) => Some((l.text.clone(), l.bounds())),
            Item::TurnedLabel { label, angle_deg } => {
                Some((label.text.clone(), turned_bounds(label, *angle_deg)))
            }
            _ => None,
        })
        .collect()
}

fn page(scale: u32, layers: MapLayers) -> Scene {
    let route = route();
    let atlas = paginate(&spec(scale), &route).unwrap();
    let map = map();
    let wpts = gpx_waypoints();
    let data = SceneData {
        route_name: "Sisters loop",
        waypoints: &wpts,
        map: Some(&map),
        layers,
        ..Default::default()
    };
    build_page_scene(&atlas, 2, &data, &SceneOptions::default()).unwrap()
}

#[test]
fn a_page_draws_every_layer_under_the_route() {
    let scene = page(100_000, MapLayers::default());
    let texts = scene.texts();
    for want in ["NF 2310", "US 20", "Sisters", "Metolius River"] {
        assert!(texts.contains(&want), "{want:?} missing from {texts:?}");
    }
    assert!(
        texts
            .iter()
            .any(|t| t.contains("© OpenStreetMap contributors")),
        "no attribution in {texts:?}"
    );
    // The lake keeps its island: one polygon, two rings.
    assert!(scene.items.iter().any(|i| matches!(
        i,
        Item::Area { polygons, fill } if *fill == theme::WATER_FILL && polygons.iter().any(|p| p.len() == 2)
    )));
    // Public land in the Forest Service tint.
    assert!(scene.items.iter().any(|i| matches!(
        i,
        Item::Area { fill, .. } if *fill == theme::public_land_fill(Some("US Forest Service"))
    )));
    // Roads by surface: the gravel road dashed, the 4x4 road in its red dash, the highway in
    // a casing.
    let strokes: Vec<_> = scene
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Polyline { stroke, .. } => Some(*stroke),
            _ => None,
        })
        .collect();
    assert!(
        strokes
            .iter()
            .any(|s| s.color == theme::ROAD_UNPAVED && s.dash_mm.is_some())
    );
    assert!(
        strokes
            .iter()
            .any(|s| s.color == theme::ROAD_4WD && s.dash_mm.is_some())
    );
    assert!(
        strokes
            .iter()
            .any(|s| s.color == theme::ROAD_CASING && s.dash_mm.is_none())
    );
    // The route is drawn after (over) every map item inside the frame (the legend's swatches
    // come after the frame).
    let frame_at = scene
        .items
        .iter()
        .position(|i| matches!(i, Item::Rect { stroke: Some(s), .. } if *s == theme::FRAME))
        .unwrap();
    let last_map = scene.items[..frame_at]
        .iter()
        .rposition(
            |i| matches!(i, Item::Polyline { stroke, .. } if stroke.color == theme::ROAD_CASING),
        )
        .unwrap();
    let route = scene
        .items
        .iter()
        .position(|i| matches!(i, Item::Polyline { stroke, .. } if *stroke == theme::ROUTE))
        .unwrap();
    assert!(route > last_map);
    // The legend names what is on the page.
    for want in ["Gravel", "4x4 only", "Track", "Paved", "Public land"] {
        assert!(texts.contains(&want), "legend lacks {want:?}: {texts:?}");
    }
}

#[test]
fn a_poi_the_gpx_file_already_has_is_drawn_once() {
    let scene = page(100_000, MapLayers::default());
    // Markers on the map (the legend's swatch sits below the frame).
    let frame = scene
        .items
        .iter()
        .find_map(|i| match i {
            Item::Rect {
                rect,
                stroke: Some(s),
                ..
            } if *s == theme::FRAME => Some(*rect),
            _ => None,
        })
        .unwrap();
    let fuel_markers = scene
        .items
        .iter()
        .filter(|i| matches!(i, Item::Marker { kind: WaypointKind::Fuel, at, .. } if frame.contains(*at)))
        .count();
    // The GPX "Sisters Chevron" and the OSM Shell; the OSM Chevron 40 m away is the GPX one.
    assert_eq!(fuel_markers, 2);
}

#[test]
fn labels_on_a_map_page_never_overlap() {
    for scale in [24_000, 100_000, 250_000] {
        let scene = page(scale, MapLayers::default());
        let boxes = text_boxes(&scene);
        for (i, (ta, a)) in boxes.iter().enumerate() {
            for (tb, b) in boxes.iter().skip(i + 1) {
                // Legend and header text sit outside the frame in rows laid out by hand.
                let inside = |r: &RectMm| r.y < 200.0 && r.y > 15.0;
                if inside(a) && inside(b) {
                    assert!(
                        !overlaps(a, b),
                        "1:{scale}: {ta:?} {a:?} overlaps {tb:?} {b:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn scale_thresholds_leave_paths_out_at_small_scales() {
    let has_path = |s: &Scene| {
        s.items
            .iter()
            .any(|i| matches!(i, Item::Polyline { stroke, .. } if stroke.color == theme::ROAD_PATH))
    };
    assert!(has_path(&page(24_000, MapLayers::default())));
    assert!(!has_path(&page(250_000, MapLayers::default())));
}

#[test]
fn layer_switches_turn_layers_off() {
    let off = MapLayers {
        roads: false,
        ..MapLayers::default()
    };
    let scene = page(100_000, off);
    assert!(!scene.texts().contains(&"NF 2310"));
    assert!(scene.texts().contains(&"Sisters"));
}

#[test]
fn the_index_page_has_an_overview_map() {
    let route = route();
    let atlas = paginate(&spec(24_000), &route).unwrap();
    let map = map();
    let with = SceneData {
        route_name: "Sisters loop",
        map: Some(&map),
        ..Default::default()
    };
    let scene = build_index_scene(&atlas, &with, &SceneOptions::default());
    let texts = scene.texts();
    assert!(texts.contains(&"Sisters"), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("OpenStreetMap")));
    // Major roads only: the highway is there, the path is not.
    assert!(
        scene.items.iter().any(
            |i| matches!(i, Item::Polyline { stroke, .. } if stroke.color == theme::ROAD_CASING)
        )
    );
    assert!(
        !scene.items.iter().any(
            |i| matches!(i, Item::Polyline { stroke, .. } if stroke.color == theme::ROAD_PATH)
        )
    );
}

#[test]
fn the_screen_draws_the_same_layers() {
    let map = map();
    let bbox = trailatlas::core::model::BBox::of(route());
    let spec = ViewSpec::fit(bbox, (300.0, 200.0), 5.0);
    let data = ViewData {
        map: Some(&map),
        attribution: Some("Map data © OpenStreetMap contributors"),
        ..Default::default()
    };
    let scene = build_view_scene(&spec, &data, &SceneOptions::default());
    let texts = scene.texts();
    assert!(texts.contains(&"Sisters"), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("OpenStreetMap")));
    assert!(scene.items.iter().any(|i| matches!(i, Item::Area { .. })));
}

#[test]
fn the_printed_page_keeps_map_text_as_text() {
    if Command::new("pdftotext").arg("-v").output().is_err() {
        eprintln!("skipping: pdftotext is not installed (apt-get install poppler-utils)");
        return;
    }
    let route = route();
    let atlas = paginate(&spec(100_000), &route).unwrap();
    let map = map();
    let wpts = gpx_waypoints();
    let data = SceneData {
        route_name: "Sisters loop",
        waypoints: &wpts,
        map: Some(&map),
        ..Default::default()
    };
    let pdf = book_pdf(&atlas, &data, &SceneOptions::default(), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("map.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "NF 2310",
        "Sisters",
        "OpenStreetMap contributors",
        "Metolius River",
    ] {
        assert!(text.contains(want), "{want:?} not in the PDF text");
    }
    if let Ok(dir) = std::env::var("ATLAS_PNG_DIR") {
        let _ = Command::new("pdftoppm")
            .args(["-r", "110", "-png"])
            .arg(&path)
            .arg(format!("{dir}/cartography"))
            .status();
    }
}

#[test]
fn a_raster_basemap_prints_under_the_pages_at_their_scale() {
    let Some(real) = crate::support::real_fixtures() else {
        return;
    };
    let pm = real.parent().unwrap().join("maps/usgs-mt-whitney.pmtiles");
    if !pm.exists() || Command::new("pdfimages").arg("-v").output().is_err() {
        eprintln!("skipping: no USGS fixture or no pdfimages");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A short route over the fixture's 5 x 3.5 km of USGS topo.
    let pts: String = line(
        LatLon::new(36.565, -118.31),
        LatLon::new(36.59, -118.27),
        40,
    )
    .iter()
    .map(|p| format!("<trkpt lat=\"{}\" lon=\"{}\"/>", p.lat, p.lon))
    .collect();
    let gpx = dir.path().join("whitney.gpx");
    std::fs::write(
        &gpx,
        format!(
            "<?xml version=\"1.0\"?><gpx version=\"1.1\" creator=\"t\" xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><name>Whitney</name><trkseg>{pts}</trkseg></trk></gpx>"
        ),
    )
    .unwrap();
    let db = dir.path().join("t.sqlite");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(crate::support::bin())
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["import".as_ref(), gpx.as_os_str()]);
    let pdf = dir.path().join("whitney.pdf");
    run(&[
        "atlas".as_ref(),
        "--route".as_ref(),
        "Whitney".as_ref(),
        "--scale".as_ref(),
        "1:24000".as_ref(),
        "--basemap".as_ref(),
        pm.as_os_str(),
        "-o".as_ref(),
        pdf.as_os_str(),
    ]);
    let list = Command::new("pdfimages")
        .arg("-list")
        .arg(&pdf)
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    // One image per map page, at about 6 px per mm of the frame (150 dpi).
    let images: Vec<&str> = list
        .lines()
        .skip(2)
        .filter(|l| l.contains("image"))
        .collect();
    assert!(!images.is_empty(), "{list}");
    let width: u32 = images[0]
        .split_whitespace()
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    assert!(width > 900, "{list}");
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("Basemap"));
    if let Ok(d) = std::env::var("ATLAS_PNG_DIR") {
        let _ = Command::new("pdftoppm")
            .args(["-r", "100", "-png", "-f", "2", "-l", "2"])
            .arg(&pdf)
            .arg(format!("{d}/whitney"))
            .status();
    }
}

/// Panning reuses the map's layers (the same build, moved) while the view stays within their
/// margin, and builds them again past it or on a zoom or a layer switch. The moved layers sit
/// where the panned view's projection puts the ground (within a screen pixel), and labels of
/// the reused frame still never overlap.
#[test]
fn panning_the_screen_reuses_the_map_layers_and_a_zoom_builds_them_again() {
    let map = map();
    let wpts = gpx_waypoints();
    let shown: Vec<&Waypoint> = wpts.iter().collect();
    let line = ViewLine::new(route());
    let data = ViewData {
        map: Some(&map),
        route: Some(ViewLineRef {
            line: &line,
            color: None,
        }),
        waypoints: &shown,
        attribution: Some("Map data © OpenStreetMap contributors (ODbL)"),
        ..Default::default()
    };
    let opts = SceneOptions::default();
    let start = ViewSpec {
        center: LatLon::new(44.05, -121.12),
        m_per_mm: 40.0,
        size_mm: (240.0, 150.0),
        rotation_deg: 0.0,
    };
    let mut cache = None;
    let first = build_view_scene_reusing(&start, &data, &opts, Some(&mut cache));
    let built = cache.clone().expect("a layer kept");
    // The same frame again: the same layer and the same scene.
    let again = build_view_scene_reusing(&start, &data, &opts, Some(&mut cache));
    assert!(std::sync::Arc::ptr_eq(&built, cache.as_ref().unwrap()));
    assert_eq!(first, again);
    // Dragged 20 mm right and 10 mm down: reused, moved.
    let panned = start.panned([20.0, 10.0]);
    let scene = build_view_scene_reusing(&panned, &data, &opts, Some(&mut cache));
    assert!(
        std::sync::Arc::ptr_eq(&built, cache.as_ref().unwrap()),
        "reused"
    );
    let pr = panned.projector();
    let fuel = pr.mm_from_world(LatLon::new(44.055, -121.12));
    let nearest = scene
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Marker { at, kind, .. } if *kind == WaypointKind::Fuel => {
                Some((at[0] - fuel[0]).hypot(at[1] - fuel[1]))
            }
            _ => None,
        })
        .fold(f64::INFINITY, f64::min);
    assert!(nearest < 0.2, "the OSM fuel marker is {nearest} mm off");
    let boxes = text_boxes(&scene);
    for (i, (ta, a)) in boxes.iter().enumerate() {
        for (tb, b) in &boxes[i + 1..] {
            assert!(!overlaps(a, b), "{ta:?} overlaps {tb:?}");
        }
    }
    // The labels of the moved layer are the built ones, moved: the peak's label moved
    // by the drag exactly.
    let at = |sc: &Scene| {
        sc.items.iter().find_map(|i| match i {
            Item::Label(l) if l.text == "Black Butte 1962 m" => Some(l.at),
            Item::TurnedLabel { label, .. } if label.text == "Black Butte 1962 m" => Some(label.at),
            _ => None,
        })
    };
    {
        let (a, b) = (
            at(&first).unwrap_or_else(|| panic!("the peak labelled: {:?}", first.texts())),
            at(&scene).expect("still labelled"),
        );
        assert!(
            (b[0] - a[0] - 20.0).abs() < 0.2 && (b[1] - a[1] - 10.0).abs() < 0.2,
            "{a:?} {b:?}"
        );
    }
    // Past the margin (a whole window away): built again.
    let far = start.panned([240.0, 0.0]);
    build_view_scene_reusing(&far, &data, &opts, Some(&mut cache));
    assert!(
        !std::sync::Arc::ptr_eq(&built, cache.as_ref().unwrap()),
        "past the margin"
    );
    // A zoom: built again.
    let before = cache.clone().unwrap();
    let zoomed = far.zoomed(1.5, [120.0, 75.0]);
    build_view_scene_reusing(&zoomed, &data, &opts, Some(&mut cache));
    assert!(
        !std::sync::Arc::ptr_eq(&before, cache.as_ref().unwrap()),
        "zoomed"
    );
    // Back at the start with a layer switched off: built again, and its features gone.
    let before = cache.clone().unwrap();
    let no_pois = ViewData {
        layers: MapLayers {
            pois: false,
            ..MapLayers::default()
        },
        ..data
    };
    let scene = build_view_scene_reusing(&start, &no_pois, &opts, Some(&mut cache));
    assert!(
        !std::sync::Arc::ptr_eq(&before, cache.as_ref().unwrap()),
        "layers"
    );
    let markers = |sc: &Scene| {
        sc.items
            .iter()
            .filter(|i| matches!(i, Item::Marker { .. }))
            .count()
    };
    let with = build_view_scene(&start, &data, &opts);
    assert!(markers(&scene) < markers(&with), "the map's POIs are gone");
    // Without a cache the same map is drawn (built for the window alone).
    let plain = build_view_scene(&start, &data, &opts);
    for t in ["NF 2310", "Deschutes National Forest (USFS)"] {
        assert!(plain.texts().contains(&t), "{t} in {:?}", plain.texts());
        assert!(first.texts().contains(&t), "{t} in {:?}", first.texts());
    }
}
