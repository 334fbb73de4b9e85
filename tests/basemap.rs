//! The MBTiles basemap: real SQLite files with real PNG and JPEG tiles, generated here;
//! reading and refusing files, the loader and texture cache, and the app drawing the tiles
//! of its view through egui_kittest.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use rusqlite::{Connection, params};

use trailatlas::app::basemap::{Basemap, BasemapStats, decode_tile};
use trailatlas::app::{Command, NavApp};
use trailatlas::core::model::{BBox, LatLon};
use trailatlas::core::tiles::{TileId, tiles_covering};
use trailatlas::render::tiles::FULL_UV;
use trailatlas::scene::view::ViewSpec;
use trailatlas::store::{ImportOptions, MbTiles, MbTilesError, Store, TileFormat};

use crate::app::harness;
use crate::support;

/// Around the sample route (Bend to Christmas Valley, Oregon), with room to spare.
const OREGON: BBox = BBox {
    min_lon: -125.0,
    min_lat: 41.0,
    max_lon: -117.0,
    max_lat: 46.5,
};

/// A colour that says which tile it is.
fn colour_of(t: TileId) -> [u8; 3] {
    [
        (t.x.wrapping_mul(37) % 256) as u8,
        (t.y.wrapping_mul(53) % 256) as u8,
        t.z.wrapping_mul(20),
    ]
}

/// A 256 × 256 PNG, solid in the tile's colour with a diagonal gradient in alpha-free blue.
fn png_tile(t: TileId) -> Vec<u8> {
    let [r, g, b] = colour_of(t);
    let img = image::RgbaImage::from_fn(256, 256, |x, y| {
        if x == 0 && y == 0 {
            image::Rgba([r, g, b, 255])
        } else {
            image::Rgba([r, g, b.wrapping_add(((x + y) / 8) as u8), 255])
        }
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A 256 × 256 JPEG, solid in the tile's colour.
fn jpeg_tile(t: TileId) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(256, 256, image::Rgb(colour_of(t)));
    let mut out = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut out),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    out
}

/// Every tile covering `bbox` at zooms `zooms`.
fn region(bbox: &BBox, zooms: std::ops::RangeInclusive<u8>) -> Vec<TileId> {
    zooms
        .flat_map(|z| tiles_covering(bbox, z, usize::MAX).tiles)
        .collect()
}

/// Writes an MBTiles file (the standard schema: `metadata`, `tiles` with its unique index,
/// rows in TMS order) with `tiles` encoded by `encode`.
fn write_mbtiles(
    path: &Path,
    meta: &[(&str, &str)],
    tiles: &[TileId],
    encode: impl Fn(TileId) -> Vec<u8>,
) {
    let mut c = Connection::open(path).unwrap();
    c.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
    )
    .unwrap();
    let tx = c.transaction().unwrap();
    for (k, v) in meta {
        tx.execute("INSERT INTO metadata VALUES (?1, ?2)", params![k, v])
            .unwrap();
    }
    for t in tiles {
        tx.execute(
            "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
            params![t.z, t.x, t.tms_row(), encode(*t)],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

fn png_meta() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "Test Oregon"),
        ("format", "png"),
        ("minzoom", "4"),
        ("maxzoom", "8"),
        ("bounds", "-125,41,-117,46.5"),
        (
            "attribution",
            "<a href=\"https://example.org\">Test data</a>",
        ),
    ]
}

/// A PNG basemap of the region at zooms 4..=8.
fn oregon_png(dir: &Path) -> PathBuf {
    let p = dir.join("oregon.mbtiles");
    write_mbtiles(&p, &png_meta(), &region(&OREGON, 4..=8), png_tile);
    p
}

fn tile_at(z: u8, p: LatLon) -> TileId {
    let (x, y) = trailatlas::core::tiles::world_xy(p);
    let n = f64::from(1u32 << z);
    TileId::new(z, (x * n) as u32, (y * n) as u32).unwrap()
}

const BEND: LatLon = LatLon::new(44.058, -121.315);

#[test]
fn a_generated_png_basemap_opens_and_reads_its_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let path = oregon_png(dir.path());
    let m = MbTiles::open(&path).unwrap();
    let i = m.info();
    assert_eq!(i.name, "Test Oregon");
    assert_eq!(i.format, TileFormat::Png);
    assert_eq!((i.min_zoom, i.max_zoom), (4, 8));
    assert_eq!(i.bounds.unwrap().max_lat, 46.5);
    for z in 4..=8 {
        let t = tile_at(z, BEND);
        let bytes = m.tile(t).unwrap().expect("the tile is in the file");
        let img = decode_tile(&bytes).unwrap();
        assert_eq!(img.size, [256, 256]);
        let [r, g, b] = colour_of(t);
        assert_eq!(
            img.pixels[0],
            eframe::egui::Color32::from_rgb(r, g, b),
            "{t}"
        );
    }
    // Outside the region, and deeper than the file: absent, not an error.
    assert_eq!(m.tile(tile_at(8, LatLon::new(0.0, 0.0))).unwrap(), None);
    assert_eq!(m.tile(tile_at(12, BEND)).unwrap(), None);
}

#[test]
fn a_generated_jpeg_basemap_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("jpeg.mbtiles");
    let tiles = region(&OREGON, 6..=6);
    write_mbtiles(
        &p,
        &[("name", "JPEG"), ("format", "jpg")],
        &tiles,
        jpeg_tile,
    );
    let m = MbTiles::open(&p).unwrap();
    assert_eq!(m.info().format, TileFormat::Jpeg);
    assert_eq!(
        (m.info().min_zoom, m.info().max_zoom),
        (6, 6),
        "from the tiles"
    );
    let t = tile_at(6, BEND);
    let img = decode_tile(&m.tile(t).unwrap().unwrap()).unwrap();
    let want = colour_of(t);
    let got = img.pixels[256 * 128 + 128];
    for (a, b) in [got.r(), got.g(), got.b()].into_iter().zip(want) {
        assert!(a.abs_diff(b) <= 8, "JPEG colour {got:?} vs {want:?}");
    }
}

#[test]
fn a_tiles_view_over_deduplicated_images_is_read() {
    // mbutil's compact schema: `tiles` is a view joining `map` and `images`.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("view.mbtiles");
    let c = Connection::open(&p).unwrap();
    c.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);
         CREATE TABLE images (tile_data BLOB, tile_id TEXT);
         CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column,
             map.tile_row AS tile_row, images.tile_data AS tile_data
             FROM map JOIN images ON images.tile_id = map.tile_id;",
    )
    .unwrap();
    let t = tile_at(5, BEND);
    c.execute(
        "INSERT INTO map VALUES (?1, ?2, ?3, 'a')",
        params![t.z, t.x, t.tms_row()],
    )
    .unwrap();
    c.execute("INSERT INTO images VALUES (?1, 'a')", params![png_tile(t)])
        .unwrap();
    drop(c);
    let m = MbTiles::open(&p).unwrap();
    assert_eq!(m.info().format, TileFormat::Png, "sniffed");
    assert_eq!((m.info().min_zoom, m.info().max_zoom), (5, 5));
    assert!(m.tile(t).unwrap().is_some());
}

fn open_err(path: &Path) -> MbTilesError {
    MbTiles::open(path).expect_err("the file is refused")
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.mbtiles");
    std::fs::write(&p, "this is not a database, just text ".repeat(200)).unwrap();
    let before = std::fs::read(&p).unwrap();
    let e = open_err(&p);
    assert!(matches!(e, MbTilesError::NotSqlite { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("notes.mbtiles") && msg.contains("not an SQLite"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&p).unwrap(), before, "left untouched");
    let missing = open_err(&dir.path().join("nowhere.mbtiles"));
    assert!(missing.to_string().contains("nowhere.mbtiles"), "{missing}");
    assert!(
        !dir.path().join("nowhere.mbtiles").exists(),
        "nothing created"
    );
}

#[test]
fn vector_mbtiles_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("vector.mbtiles");
    write_mbtiles(
        &p,
        &[("name", "OpenMapTiles"), ("format", "pbf")],
        &[tile_at(0, BEND)],
        |_| vec![0x1f, 0x8b, 8, 0, 0, 0],
    );
    let e = open_err(&p);
    assert!(matches!(e, MbTilesError::Vector { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("vector.mbtiles")
            && msg.contains("vector MBTiles")
            && msg.contains("not supported"),
        "{msg}"
    );
    let gif = dir.path().join("gif.mbtiles");
    write_mbtiles(&gif, &[("format", "gif")], &[tile_at(0, BEND)], png_tile);
    let msg = open_err(&gif).to_string();
    assert!(
        msg.contains("gif") && msg.contains("PNG, JPEG or WebP"),
        "{msg}"
    );
}

#[test]
fn a_database_without_tiles_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // A trailatlas database is SQLite but no MBTiles.
    let p = dir.path().join("trips.sqlite");
    drop(Store::open(&p).unwrap());
    let e = open_err(&p);
    assert!(matches!(e, MbTilesError::NoTiles { .. }), "{e:?}");
    assert!(e.to_string().contains("no `tiles` table or view"), "{e}");
    // A `tiles` table with the wrong columns.
    let odd = dir.path().join("odd.mbtiles");
    Connection::open(&odd)
        .unwrap()
        .execute_batch("CREATE TABLE tiles (a, b);")
        .unwrap();
    assert!(open_err(&odd).to_string().contains("unusable `tiles`"));
}

/// Calls `update` until nothing is pending (or 10 s pass).
fn settle(b: &mut Basemap, ctx: &eframe::egui::Context, view: &ViewSpec) -> BasemapStats {
    let start = Instant::now();
    loop {
        let (_, s) = b.update(ctx, view, 5.0);
        if s.pending == 0 || start.elapsed() > Duration::from_secs(10) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A view around Bend at about `z`'s resolution (5 pt per mm, 1 px per pt).
fn view_at(z: u8) -> ViewSpec {
    let m_per_px = trailatlas::core::tiles::tile_m_per_px(z, BEND.lat, 256);
    ViewSpec {
        center: BEND,
        m_per_mm: m_per_px * 5.0,
        size_mm: (160.0, 120.0),
        rotation_deg: 0.0,
    }
}

#[test]
fn the_loader_fills_the_view_and_coarser_tiles_stand_in_while_zooming() {
    let dir = tempfile::tempdir().unwrap();
    let path = oregon_png(dir.path());
    let ctx = eframe::egui::Context::default();
    let mut b = Basemap::open(&path).unwrap();
    assert_eq!(b.info().tile_px, 256);
    let s = settle(&mut b, &ctx, &view_at(7));
    assert_eq!(s.zoom, 7);
    assert!(s.drawn > 0 && s.from_coarser == 0, "{s:?}");
    assert_eq!((s.missing, s.errors), (0, 0), "{s:?}");
    // One level in: the first frame stretches the zoom-7 tiles while zoom 8 loads.
    let (tiles, s) = b.update(&ctx, &view_at(8), 5.0);
    assert_eq!(s.zoom, 8);
    assert!(
        s.pending > 0 && s.drawn == s.from_coarser && s.drawn > 0,
        "{s:?}"
    );
    assert!(tiles.iter().all(|t| t.area.z == 8 && t.uv != FULL_UV));
    let s = settle(&mut b, &ctx, &view_at(8));
    assert!(
        s.drawn > 0 && s.from_coarser == 0 && s.pending == 0,
        "{s:?}"
    );
    // Deeper than the file: its deepest tiles, stretched by the view, not asked for again.
    let (_, s) = b.update(&ctx, &view_at(11), 5.0);
    assert_eq!((s.zoom, s.pending, s.from_coarser), (8, 0, 0), "{s:?}");
}

#[test]
fn a_sparse_file_shows_coarser_tiles_where_fine_ones_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sparse.mbtiles");
    // Zoom 8 only east of -121.315 (Bend), zoom 6 everywhere.
    let east = BBox {
        min_lon: -121.3,
        ..OREGON
    };
    let mut tiles = region(&OREGON, 6..=6);
    tiles.extend(region(&east, 8..=8));
    write_mbtiles(
        &p,
        &[("format", "png"), ("minzoom", "6"), ("maxzoom", "8")],
        &tiles,
        png_tile,
    );
    let ctx = eframe::egui::Context::default();
    let mut b = Basemap::open(&p).unwrap();
    let view = view_at(8);
    // Two rounds: the zoom-8 gaps are found, then their zoom-7 and zoom-6 stand-ins asked.
    let mut s = settle(&mut b, &ctx, &view);
    for _ in 0..5 {
        s = settle(&mut b, &ctx, &view);
    }
    assert!(s.missing > 0, "{s:?}");
    assert!(s.from_coarser > 0, "{s:?}");
    assert!(s.drawn > s.from_coarser, "zoom-8 tiles east of Bend: {s:?}");
    assert_eq!(s.errors, 0);
}

#[test]
fn a_corrupt_tile_is_counted_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("corrupt.mbtiles");
    let bad = tile_at(7, BEND);
    write_mbtiles(&p, &png_meta(), &region(&OREGON, 4..=8), |t| {
        if t == bad {
            b"\x89PNG\r\n\x1a\n but then garbage".to_vec()
        } else {
            png_tile(t)
        }
    });
    let ctx = eframe::egui::Context::default();
    let mut b = Basemap::open(&p).unwrap();
    let s = settle(&mut b, &ctx, &view_at(7));
    assert_eq!(s.errors, 1, "{s:?}");
    assert!(s.missing >= 1 && s.drawn > 0, "{s:?}");
    assert!(
        b.last_error().unwrap_or_default().contains("7/"),
        "{:?}",
        b.last_error()
    );
    // Asked once, not again every frame.
    let s = settle(&mut b, &ctx, &view_at(7));
    assert_eq!(s.errors, 1);
}

#[test]
fn a_small_cache_evicts_but_keeps_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let path = oregon_png(dir.path());
    let ctx = eframe::egui::Context::default();
    // Room for two tiles only.
    let mut b = Basemap::open_with_budget(&path, 2 * 256 * 256 * 4).unwrap();
    let s = settle(&mut b, &ctx, &view_at(8));
    assert!(
        s.drawn > 2 && s.from_coarser == 0,
        "the view is kept whole: {s:?}"
    );
    let far = ViewSpec {
        center: LatLon::new(42.0, -124.0),
        ..view_at(8)
    };
    let s = settle(&mut b, &ctx, &far);
    assert!(s.drawn > 0, "{s:?}");
    let (_, s) = b.update(&ctx, &far, 5.0);
    assert_eq!(s.loaded, s.drawn, "only the view's tiles are left: {s:?}");
}

// The app, through egui_kittest.

fn sample_store() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample-oregon-loop.gpx");
    let r = store.import_file(&sample, ImportOptions::default(), &mut |_| {});
    assert!(r.error.is_none(), "{r:?}");
    store
}

/// Runs frames until the basemap has nothing pending (or 10 s pass).
fn run_until_loaded(h: &mut Harness<'_, NavApp>) -> BasemapStats {
    let start = Instant::now();
    loop {
        h.run_steps(1);
        let s = h.state().basemap_stats();
        if (s.pending == 0 && s.drawn > 0) || start.elapsed() > Duration::from_secs(10) {
            h.run_steps(1);
            return h.state().basemap_stats();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn has_label(h: &Harness<'_, NavApp>, text: &str) -> bool {
    h.query_all_by(|n| {
        n.label().is_some_and(|l| l.contains(text)) || n.value().is_some_and(|v| v.contains(text))
    })
    .next()
    .is_some()
}

#[test]
fn the_app_opens_a_basemap_and_draws_the_tiles_in_view() {
    let dir = tempfile::tempdir().unwrap();
    let path = oregon_png(dir.path());
    let mut h = harness(NavApp::new(sample_store(), None));
    assert_eq!(h.state().basemap_stats(), BasemapStats::default());
    assert!(has_label(&h, "plain map"));

    // Through the panel: type the path, press Open.
    let field = (eframe::egui::accesskit::Role::TextInput, "MBTiles file");
    h.get_by_role_and_label(field.0, field.1).click();
    h.run_steps(2);
    h.get_by_role_and_label(field.0, field.1)
        .type_text(path.to_str().unwrap());
    h.run_steps(2);
    h.get_by_label("Open basemap").click();
    h.run_steps(2);
    assert!(
        h.state().model.basemap.info.is_some(),
        "status {:?}",
        h.state().model.status
    );
    let s = run_until_loaded(&mut h);
    assert_eq!(
        s.zoom, 8,
        "the file's deepest zoom for the fitted route: {s:?}"
    );
    assert!(s.drawn > 0 && s.pending == 0, "{s:?}");
    assert_eq!((s.from_coarser, s.missing, s.errors), (0, 0, 0), "{s:?}");
    assert!(s.loaded >= s.drawn);
    let m = &h.state().model;
    // Every tile drawn is a zoom-8 tile of its own texture, and they cover the view's centre.
    assert!(
        m.basemap
            .tiles
            .iter()
            .all(|t| t.area.z == 8 && t.uv == FULL_UV)
    );
    let centre = tile_at(8, m.view.center);
    assert!(m.basemap.tiles.iter().any(|t| t.area == centre));
    // With tiles under it, the scene leaves out its background and graticule.
    let scene = m.view_scene();
    assert!(!scene.items.iter().any(|i| matches!(
        i,
        trailatlas::scene::Item::Rect { fill: Some(c), .. } if *c == trailatlas::scene::theme::VIEW_BACKGROUND
    )));
    assert!(has_label(&h, "Test Oregon"));
    assert!(has_label(&h, "PNG tiles, zoom 4–8"));
    assert!(has_label(&h, "Test data"), "attribution without its tags");

    // Panning asks for the new tiles.
    h.state_mut().apply(Command::Pan([60.0, 0.0]));
    let s = run_until_loaded(&mut h);
    assert!(s.drawn > 0 && s.pending == 0 && s.errors == 0, "{s:?}");

    h.get_by_label("Close basemap").click();
    h.run_steps(2);
    assert_eq!(h.state().basemap_stats(), BasemapStats::default());
    assert!(h.state().model.basemap.tiles.is_empty());
    assert_eq!(h.state().model.prefs.basemap, None);
}

#[test]
fn a_bad_basemap_is_a_status_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("vector.mbtiles");
    write_mbtiles(&p, &[("format", "pbf")], &[tile_at(0, BEND)], |_| vec![1]);
    let mut h = harness(NavApp::new(sample_store(), None));
    h.state_mut().apply(Command::OpenBasemap(p));
    h.run_steps(2);
    assert!(h.state().model.basemap.info.is_none());
    assert!(
        has_label(&h, "vector MBTiles"),
        "{}",
        h.state().model.status
    );
}

#[test]
fn the_basemap_is_reopened_at_start_and_a_missing_one_is_a_status_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = oregon_png(dir.path());
    let prefs = dir.path().join("prefs.json");
    let mut app = NavApp::new(sample_store(), None).with_prefs_file(prefs.clone());
    app.apply(Command::OpenBasemap(path.clone()));
    app.save_prefs();
    drop(app);
    let again = NavApp::new(sample_store(), None).with_prefs_file(prefs.clone());
    assert_eq!(again.model.prefs.basemap.as_deref(), Some(path.as_path()));
    let name = again
        .model
        .basemap
        .info
        .as_ref()
        .map(|i| i.file.name.clone());
    assert_eq!(name.as_deref(), Some("Test Oregon"));
    drop(again);

    std::fs::remove_file(&path).unwrap();
    let h = harness(NavApp::new(sample_store(), None).with_prefs_file(prefs));
    assert!(h.state().model.basemap.info.is_none());
    assert!(has_label(&h, "not found"), "{}", h.state().model.status);
}

#[test]
fn the_basemap_code_has_no_network() {
    // There is no HTTP client in the build, and the basemap modules name no sockets.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    for client in [
        "reqwest",
        "ureq",
        "hyper",
        "curl",
        "ehttp",
        "isahc",
        "attohttpc",
    ] {
        assert!(
            !lock.contains(&format!("name = \"{client}\"")),
            "{client} is in Cargo.lock"
        );
    }
    for file in [
        "src/core/tiles.rs",
        "src/store/mbtiles.rs",
        "src/app/basemap.rs",
        "src/app/basemap/lru.rs",
        "src/render/tiles.rs",
        "src/ui/basemap.rs",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for word in ["std::net", "TcpStream", "UdpSocket", "http::", "Url"] {
            assert!(!text.contains(word), "{file} mentions {word}");
        }
    }
}

// ---- PMTiles ----

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A PMTiles v3 file written here from the spec: PNG tiles, gzip root directory, metadata.
fn write_pmtiles(path: &Path, tiles: &[TileId]) {
    let mut ids: Vec<(u64, TileId)> = tiles
        .iter()
        .map(|t| (trailatlas::store::pmtiles::tile_id(t.z, t.x, t.y), *t))
        .collect();
    ids.sort_by_key(|(i, _)| *i);
    let mut data = Vec::new();
    let mut entries = Vec::new();
    for (id, t) in &ids {
        let png = png_tile(*t);
        entries.push((*id, data.len() as u64, png.len() as u64));
        data.extend(png);
    }
    let mut dir = Vec::new();
    put_varint(&mut dir, entries.len() as u64);
    let mut last = 0;
    for (id, _, _) in &entries {
        put_varint(&mut dir, id - last);
        last = *id;
    }
    for _ in &entries {
        put_varint(&mut dir, 1);
    }
    for (_, _, len) in &entries {
        put_varint(&mut dir, *len);
    }
    for (_, off, _) in &entries {
        put_varint(&mut dir, off + 1);
    }
    let root = gzip(&dir);
    let meta = gzip(br#"{"name":"Generated PM","attribution":"made in a test"}"#);
    let mut h = vec![0u8; 127];
    h[..7].copy_from_slice(b"PMTiles");
    h[7] = 3;
    let root_off = 127u64;
    let meta_off = root_off + root.len() as u64;
    let data_off = meta_off + meta.len() as u64;
    let put = |h: &mut Vec<u8>, at: usize, v: u64| h[at..at + 8].copy_from_slice(&v.to_le_bytes());
    put(&mut h, 8, root_off);
    put(&mut h, 16, root.len() as u64);
    put(&mut h, 24, meta_off);
    put(&mut h, 32, meta.len() as u64);
    put(&mut h, 40, data_off);
    put(&mut h, 48, 0);
    put(&mut h, 56, data_off);
    put(&mut h, 64, data.len() as u64);
    h[97] = 2; // internal gzip
    h[98] = 1; // tiles uncompressed
    h[99] = 2; // PNG
    h[100] = tiles.iter().map(|t| t.z).min().unwrap();
    h[101] = tiles.iter().map(|t| t.z).max().unwrap();
    let e7 = |v: f64| ((v * 1e7) as i32).to_le_bytes();
    h[102..106].copy_from_slice(&e7(-122.0));
    h[106..110].copy_from_slice(&e7(43.5));
    h[110..114].copy_from_slice(&e7(-120.5));
    h[114..118].copy_from_slice(&e7(44.5));
    let mut f = h;
    f.extend(root);
    f.extend(meta);
    f.extend(data);
    std::fs::write(path, f).unwrap();
}

#[test]
fn a_generated_pmtiles_basemap_reads_its_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gen.pmtiles");
    let tiles: Vec<TileId> = (5..=9).map(|z| tile_at(z, BEND)).collect();
    write_pmtiles(&p, &tiles);
    let mut pm = trailatlas::store::TileArchive::open(&p).unwrap();
    let info = pm.info().clone();
    assert_eq!(info.name, "Generated PM");
    assert_eq!(info.attribution.as_deref(), Some("made in a test"));
    assert_eq!((info.min_zoom, info.max_zoom), (5, 9));
    for t in &tiles {
        assert_eq!(pm.tile(*t).unwrap(), Some(png_tile(*t)), "{t}");
    }
    let missing = TileId {
        z: 9,
        x: tiles[4].x + 1,
        y: tiles[4].y,
    };
    assert_eq!(pm.tile(missing).unwrap(), None);
    // The loader draws it like an MBTiles file.
    let ctx = eframe::egui::Context::default();
    let mut b = Basemap::open(&p).unwrap();
    let s = settle(&mut b, &ctx, &view_at(9));
    assert!(s.drawn >= 1 && s.errors == 0, "{s:?}");
}

#[test]
fn broken_pmtiles_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.pmtiles");
    write_pmtiles(&good, &[tile_at(6, BEND)]);
    let bytes = std::fs::read(&good).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("short.pmtiles", b"PMTiles\x03".to_vec()),
        ("v2.pmtiles", {
            let mut b = bytes.clone();
            b[7] = 2;
            b
        }),
        ("huge-root.pmtiles", {
            let mut b = bytes.clone();
            b[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
            b
        }),
        ("vector.pmtiles", {
            let mut b = bytes.clone();
            b[99] = 1;
            b
        }),
        ("cut.pmtiles", bytes[..140].to_vec()),
    ];
    for (name, b) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, b).unwrap();
        let e = trailatlas::store::TileArchive::open(&p)
            .unwrap_err()
            .to_string();
        assert!(e.contains(name), "{name}: {e}");
    }
}

#[test]
fn the_usgs_pmtiles_fixture_opens_with_webp_tiles_of_512_px() {
    let Some(real) = support::real_fixtures() else {
        return;
    };
    let p = real.parent().unwrap().join("maps/usgs-mt-whitney.pmtiles");
    if !p.exists() {
        eprintln!("skipping: {} is absent", p.display());
        return;
    }
    let mut pm = trailatlas::store::TileArchive::open(&p).unwrap();
    let info = pm.info().clone();
    assert_eq!((info.min_zoom, info.max_zoom), (8, 15));
    assert_eq!(info.format, trailatlas::store::TileFormat::Webp);
    let bounds = info.bounds.unwrap();
    assert!((bounds.min_lon + 118.31982).abs() < 1e-4, "{bounds:?}");
    // Every zoom's tiles at the centre decode as 512 px WebP images (50 tiles in all).
    let centre = LatLon::new(36.577, -118.2903);
    let mut found = 0;
    for z in 8..=15u8 {
        let t = tile_at(z, centre);
        if let Some(bytes) = pm.tile(t).unwrap() {
            let img = trailatlas::app::basemap::decode_tile(&bytes).unwrap();
            assert_eq!(img.size, [512, 512], "{t}");
            found += 1;
        }
    }
    assert!(found >= 6, "only {found} zooms had the centre tile");
}
