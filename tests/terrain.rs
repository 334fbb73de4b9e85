//! Elevation models: import through the store and the real binary, sampling against GDAL
//! (`gdallocationinfo`), hillshade against `gdaldem hillshade`, contours against
//! `gdal_contour`, GeoTIFF variants made with `gdal_translate`/`gdalwarp` at test time, bad
//! files, and elevations from the model where a GPX file has none (CLI and app).
//!
//! Real data is `../shared/fixtures/maps/`; GDAL runs with `GDAL_PAM_ENABLED=NO` so it never
//! writes `.aux.xml` beside the fixtures. Tests that need either skip with a note.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use egui_kittest::kittest::Queryable as _;
use serde_json::Value;

use trailatlas::core::model::{BBox, LatLon};
use trailatlas::core::terrain::{Grid, HillshadeParams, HorizontalScale, contours, hillshade};
use trailatlas::import::dem::{DemLimits, read_dem_bytes};
use trailatlas::store::{FileStatus, Store};

use crate::support::bin;

fn maps() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/maps");
    if dir.join("N42E001.hgt.zip").is_file() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is absent", dir.display());
        None
    }
}

fn gdal(tool: &str) -> Option<Command> {
    // Present when it starts at all (`gdaldem --version` exits 1: it wants a mode).
    let ok = Command::new(tool)
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        eprintln!("skipping: {tool} (GDAL) is not installed");
        return None;
    }
    let mut c = Command::new(tool);
    c.env("GDAL_PAM_ENABLED", "NO");
    Some(c)
}

fn run_ok(mut c: Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `gdallocationinfo -valonly` at pixel/line positions (read from stdin), one value each.
fn gdal_values(file: &Path, pixels: &[(usize, usize)], wgs84: Option<&[LatLon]>) -> Vec<f64> {
    let mut c = gdal("gdallocationinfo").unwrap();
    c.arg("-valonly");
    if wgs84.is_some() {
        c.arg("-wgs84");
    }
    c.arg(file).stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut input = String::new();
    match wgs84 {
        Some(ps) => ps
            .iter()
            .for_each(|p| input.push_str(&format!("{:.12} {:.12}\n", p.lon, p.lat))),
        None => pixels
            .iter()
            .for_each(|(c, r)| input.push_str(&format!("{}.5 {}.5\n", c, r))),
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse::<f64>().unwrap_or(f64::NAN))
        .collect()
}

/// Spread-out (column, row) nodes of an `n × m` raster, deterministic.
fn spread(w: usize, h: usize, count: usize) -> Vec<(usize, usize)> {
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s % w as u64) as usize, ((s >> 32) % h as u64) as usize)
        })
        .chain([(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)])
        .collect()
}

fn import(store: &mut Store, path: &Path) -> trailatlas::store::DemInfo {
    let r = store.import_dem_file(path);
    assert_eq!(r.status, FileStatus::Imported, "{r:?}");
    r.info.unwrap()
}

#[test]
fn srtm_3s_elevations_equal_gdallocationinfo_at_every_node_tried() {
    let Some(dir) = maps() else { return };
    if gdal("gdallocationinfo").is_none() {
        return;
    }
    let zip = dir.join("N42E001.hgt.zip");
    let mut store = Store::open_in_memory().unwrap();
    let info = import(&mut store, &zip);
    assert_eq!(info.name, "SRTM3 N42E001");
    assert_eq!((info.geom.width, info.geom.height), (1201, 1201));
    let nodes = spread(1201, 1201, 400);
    let points: Vec<LatLon> = nodes
        .iter()
        .map(|&(c, r)| {
            // As a user types them: 10 decimals.
            let lat: f64 = format!("{:.10}", 43.0 - r as f64 / 1200.0).parse().unwrap();
            let lon: f64 = format!("{:.10}", 1.0 + c as f64 / 1200.0).parse().unwrap();
            LatLon::new(lat, lon)
        })
        .collect();
    let want = gdal_values(&zip, &nodes, None);
    let (got, source) = store.elevations(&points).unwrap();
    assert_eq!(source.unwrap().label(), "SRTM3 N42E001");
    let mut compared = 0;
    for ((g, w), n) in got.iter().zip(&want).zip(&nodes) {
        if *w == -32768.0 {
            assert!(g.is_none_or(|v| v != -32768.0), "{n:?}");
            continue;
        }
        assert_eq!(g.map(f64::from), Some(*w), "node {n:?}");
        compared += 1;
    }
    assert!(compared > 390, "{compared}");
    // The same through the binary, which prints JSON.
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let out = Command::new(bin())
        .arg("--db")
        .arg(&db)
        .args(["terrain", "import", "--json"])
        .arg(&zip)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["status"], "imported");
    for (p, w) in points
        .iter()
        .zip(&want)
        .take(5)
        .filter(|(_, w)| **w != -32768.0)
    {
        let out = Command::new(bin())
            .arg("--db")
            .arg(&db)
            .args(["elevation", "--json", "--at"])
            .arg(format!("{:.10},{:.10}", p.lat, p.lon))
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["elevation_m"].as_f64(), Some(*w), "{v}");
        assert_eq!(v["source"], "SRTM3 N42E001");
        assert!(v["lat"].is_f64() && v["lon"].is_f64());
    }
    // Again: unchanged, nothing added.
    let out = Command::new(bin())
        .arg("--db")
        .arg(&db)
        .args(["terrain", "import", "--json"])
        .arg(&zip)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["status"], "unchanged");
}

/// The raw nodes of an `.hgt.zip`, without void filling (the test's own reader).
fn raw_hgt(zip: &Path) -> Vec<i16> {
    let mut a = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut e = a.by_index(0).unwrap();
    let mut b = Vec::new();
    e.read_to_end(&mut b).unwrap();
    b.chunks_exact(2)
        .map(|x| i16::from_be_bytes([x[0], x[1]]))
        .collect()
}

#[test]
fn the_half_void_1s_tile_fills_small_voids_and_leaves_the_sea_null() {
    let Some(dir) = maps() else { return };
    let zip = dir.join("N48W125.hgt.zip");
    let raw = raw_hgt(&zip);
    let mut store = Store::open_in_memory().unwrap();
    let info = import(&mut store, &zip);
    assert_eq!(info.name, "SRTM1 N48W125");
    assert!(info.voids.left >= 1800 * 3601, "{:?}", info.voids);
    assert!(info.voids.filled > 0);
    let n = 3601;
    let at = |c: usize, r: usize| LatLon::new(49.0 - r as f64 / 3600.0, -125.0 + c as f64 / 3600.0);
    // The northern half is void: null, never -32768.
    let north: Vec<LatLon> = (0..50).map(|i| at(i * 70, 100 + i * 30)).collect();
    let (v, _) = store.elevations(&north).unwrap();
    assert!(v.iter().all(|x| x.is_none()), "{v:?}");
    // Scattered voids in the south: filled within their rim's range.
    let mut checked = 0;
    for r in 1850..n - 1 {
        for c in 1..n - 1 {
            if raw[r * n + c] != i16::MIN || checked >= 20 {
                continue;
            }
            let rim: Vec<i16> = [(0, 1), (2, 1), (1, 0), (1, 2)]
                .iter()
                .map(|(dr, dc)| raw[(r + dr - 1) * n + (c + dc - 1)])
                .filter(|v| *v != i16::MIN)
                .collect();
            if rim.len() < 4 {
                continue;
            }
            let (v, _) = store.elevations(&[at(c, r)]).unwrap();
            let v = v[0].unwrap_or_else(|| panic!("void at {r},{c} not filled"));
            let (lo, hi) = (*rim.iter().min().unwrap(), *rim.iter().max().unwrap());
            assert!(
                v >= f32::from(lo) - 50.0 && v <= f32::from(hi) + 50.0,
                "{v} {rim:?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
    // A whole window has no sentinel anywhere.
    let b = BBox {
        min_lon: -124.9,
        max_lon: -124.6,
        min_lat: 48.3,
        max_lat: 48.7,
    };
    let (g, _) = store.dem_window(&b, 0.0).unwrap().unwrap();
    assert!(
        g.values
            .iter()
            .all(|v| v.is_nan() || (*v > -100.0 && *v < 2000.0))
    );
    assert!(g.values.iter().any(|v| v.is_nan()) && g.values.iter().any(|v| !v.is_nan()));
}

/// Pixel centre (column, row) of the Big Tujunga GeoTIFF as WGS84, through our own UTM.
fn tujunga_pos(info: &trailatlas::store::DemInfo, c: usize, r: usize) -> LatLon {
    let tm = info.geom.projection();
    info.geom.pos_of(c as f64, r as f64, tm.as_ref())
}

fn check_geotiff_against_gdal(store: &Store, file: &Path, info: &trailatlas::store::DemInfo) {
    let (w, h) = (info.geom.width, info.geom.height);
    let nodes = spread(w, h, 150);
    let points: Vec<LatLon> = nodes
        .iter()
        .map(|&(c, r)| tujunga_pos(info, c, r))
        .collect();
    let by_pixel = gdal_values(file, &nodes, None);
    let by_pos = gdal_values(file, &[], Some(&points));
    let (got, _) = store.elevations(&points).unwrap();
    for (i, n) in nodes.iter().enumerate() {
        assert_eq!(
            by_pos[i],
            by_pixel[i],
            "GDAL places {n:?} elsewhere: {}",
            file.display()
        );
        assert_eq!(
            got[i].map(f64::from),
            Some(by_pixel[i]),
            "{n:?} in {}",
            file.display()
        );
    }
}

#[test]
fn the_utm_geotiff_matches_gdallocationinfo_at_pixel_centres() {
    let Some(dir) = maps() else { return };
    if gdal("gdallocationinfo").is_none() {
        return;
    }
    let tif = dir.join("srtm_bigtujunga30m_utm11.tif");
    let mut store = Store::open_in_memory().unwrap();
    let info = import(&mut store, &tif);
    assert_eq!(info.geom.crs.epsg(), 32611);
    assert_eq!((info.geom.width, info.geom.height), (1197, 643));
    // GDAL's origin (376313.655…, SOURCES.md rounds it) plus half a 30 m pixel.
    assert!((info.geom.x0 - 376_328.655).abs() < 1e-3, "{:?}", info.geom);
    check_geotiff_against_gdal(&store, &tif, &info);
}

#[test]
fn geotiff_variants_made_by_gdal_import_alike_and_bad_ones_fail_clearly() {
    let Some(dir) = maps() else { return };
    let (Some(_), Some(_)) = (gdal("gdal_translate"), gdal("gdalwarp")) else {
        return;
    };
    let src = dir.join("srtm_bigtujunga30m_utm11.tif");
    let tmp = tempfile::tempdir().unwrap();
    let variants: &[(&str, &[&str])] = &[
        ("deflate.tif", &["-co", "COMPRESS=DEFLATE"]),
        (
            "lzw_striped.tif",
            &["-co", "COMPRESS=LZW", "-co", "TILED=NO"],
        ),
        (
            "tiled256.tif",
            &[
                "-co",
                "TILED=YES",
                "-co",
                "BLOCKXSIZE=256",
                "-co",
                "BLOCKYSIZE=256",
            ],
        ),
        (
            "float32.tif",
            &[
                "-ot",
                "Float32",
                "-co",
                "COMPRESS=DEFLATE",
                "-co",
                "PREDICTOR=1",
            ],
        ),
        ("uint16.tif", &["-ot", "UInt16", "-a_nodata", "65535"]),
        ("nad83.tif", &["-a_srs", "EPSG:26911"]),
    ];
    for (name, args) in variants {
        let out = tmp.path().join(name);
        let mut c = gdal("gdal_translate").unwrap();
        c.args(["-q"]).args(*args).arg(&src).arg(&out);
        run_ok(c);
        let mut store = Store::open_in_memory().unwrap();
        let info = import(&mut store, &out);
        if *name == "nad83.tif" {
            assert_eq!(info.geom.crs.epsg(), 26911);
        }
        check_geotiff_against_gdal(&store, &out, &info);
    }
    // Reprojected to geographic WGS84: nodes where GDAL's pixel centres are.
    let geo = tmp.path().join("wgs84.tif");
    let mut c = gdal("gdalwarp").unwrap();
    c.args([
        "-q",
        "-t_srs",
        "EPSG:4326",
        "-r",
        "near",
        "-dstnodata",
        "-32768",
    ])
    .arg(&src)
    .arg(&geo);
    run_ok(c);
    let mut store = Store::open_in_memory().unwrap();
    let info = import(&mut store, &geo);
    assert_eq!(info.geom.crs.epsg(), 4326);
    let nodes = spread(info.geom.width, info.geom.height, 150);
    let points: Vec<LatLon> = nodes
        .iter()
        .map(|&(c, r)| info.geom.pos_of(c as f64, r as f64, None))
        .collect();
    let want = gdal_values(&geo, &nodes, None);
    let by_pos = gdal_values(&geo, &[], Some(&points));
    let (got, _) = store.elevations(&points).unwrap();
    for i in 0..nodes.len() {
        assert_eq!(by_pos[i], want[i]);
        if want[i] != -32768.0 {
            assert_eq!(got[i].map(f64::from), Some(want[i]), "{:?}", nodes[i]);
        }
    }
    // Web Mercator is refused by name.
    let merc = tmp.path().join("merc.tif");
    let mut c = gdal("gdalwarp").unwrap();
    c.args(["-q", "-t_srs", "EPSG:3857"]).arg(&src).arg(&merc);
    run_ok(c);
    let r = store.import_dem_file(&merc);
    let e = r.error.unwrap();
    assert!(
        e.contains("merc.tif") && e.contains("EPSG:3857") && !e.contains('\n'),
        "{e}"
    );
    // Corrupt DEFLATE data: one line naming the file, nothing stored.
    let mut bytes = std::fs::read(tmp.path().join("deflate.tif")).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 4000] {
        *b ^= 0x5a;
    }
    let corrupt = tmp.path().join("corrupt.tif");
    std::fs::write(&corrupt, &bytes).unwrap();
    let before = store.dems().unwrap().len();
    let r = store.import_dem_file(&corrupt);
    let e = r.error.unwrap();
    assert!(
        e.starts_with(&corrupt.display().to_string()) && !e.contains('\n'),
        "{e}"
    );
    assert_eq!(store.dems().unwrap().len(), before);
}

/// An SRTM tile generated in code: `n × n` nodes from `f(lat, lon)`.
fn hgt_tile(n: usize, lat0: i32, lon0: i32, f: impl Fn(f64, f64) -> i16) -> Vec<u8> {
    let step = 1.0 / (n - 1) as f64;
    let mut out = Vec::with_capacity(n * n * 2);
    for r in 0..n {
        for c in 0..n {
            let lat = f64::from(lat0) + 1.0 - r as f64 * step;
            let lon = f64::from(lon0) + c as f64 * step;
            out.extend_from_slice(&f(lat, lon).to_be_bytes());
        }
    }
    out
}

fn terrain_fn(lat: f64, lon: f64) -> i16 {
    (1000.0 + 300.0 * (lat * 7.0).sin() + 200.0 * (lon * 5.0).cos()).round() as i16
}

#[test]
fn tiles_join_seamlessly_and_the_finer_model_wins() {
    let mut store = Store::open_in_memory().unwrap();
    let l = DemLimits::default();
    for name in ["N45W123.hgt", "N45W122.hgt"] {
        let lon0 = if name.contains("W123") { -123 } else { -122 };
        let r = store.import_dem_bytes(name, &hgt_tile(1201, 45, lon0, terrain_fn), &l);
        assert_eq!(r.status, FileStatus::Imported, "{r:?}");
    }
    // A window across the seam at 122°W: every node is the function's value, none void.
    let b = BBox {
        min_lon: -122.05,
        max_lon: -121.95,
        min_lat: 45.4,
        max_lat: 45.5,
    };
    let (g, src) = store.dem_window(&b, 0.0).unwrap().unwrap();
    assert_eq!(src.names.len(), 2, "{src:?}");
    assert!((g.step_lat_deg - 1.0 / 1200.0).abs() < 1e-12);
    for r in 0..g.height {
        for c in 0..g.width {
            let lat = g.north_lat - r as f64 * g.step_lat_deg;
            let lon = g.west_lon + c as f64 * g.step_lon_deg;
            assert_eq!(g.at(r, c), Some(f32::from(terrain_fn(lat, lon))), "{r} {c}");
        }
    }
    // Coarser on request: about 500 m cells, still whole multiples of the node spacing.
    let (g2, _) = store.dem_window(&b, 500.0).unwrap().unwrap();
    assert!(g2.width < g.width / 4 && g2.width > 1);
    // A 1″ tile over the western one, 1000 m higher, void in its north-west quarter.
    let fine = hgt_tile(3601, 45, -123, |lat, lon| {
        if lat > 45.5 && lon < -122.5 {
            i16::MIN
        } else {
            terrain_fn(lat, lon) + 1000
        }
    });
    let r = store.import_dem_bytes("N45W123_1s.hgt", &fine, &l);
    assert_eq!(r.status, FileStatus::Imported, "{r:?}");
    let p_fine = LatLon::new(45.25, -122.75);
    let p_void = LatLon::new(45.75, -122.75);
    let (v, src) = store.elevations(&[p_fine, p_void]).unwrap();
    assert_eq!(v[0], Some(f32::from(terrain_fn(45.25, -122.75) + 1000)));
    assert_eq!(
        v[1],
        Some(f32::from(terrain_fn(45.75, -122.75))),
        "falls back to 3″"
    );
    assert_eq!(src.unwrap().names, vec!["SRTM1 N45W123", "SRTM3 N45W123"]);
}

#[test]
fn a_v1_database_opens_and_gains_the_terrain_tables_with_nothing_lost() {
    use trailatlas::store::migrations::SCHEMA_VERSION;
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("v1.sqlite");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/db/v1.sqlite"),
        &db,
    )
    .unwrap();
    let before = rusqlite_count(&db);
    let mut store = Store::open(&db).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let info = store.info().unwrap();
    assert_eq!((info.tracks + info.routes, info.waypoints), before);
    assert!(store.dems().unwrap().is_empty());
    let r = store.import_dem_bytes(
        "N45W123.hgt",
        &hgt_tile(1201, 45, -123, terrain_fn),
        &DemLimits::default(),
    );
    assert_eq!(r.status, FileStatus::Imported);
    store.integrity_check().unwrap();
}

/// (lines, waypoints) in a database, counted before any migration runs.
fn rusqlite_count(db: &Path) -> (u64, u64) {
    // The store is the only SQL writer; a read-only copy opened by the store of the same
    // version would migrate it, so count through a throwaway copy opened by the store.
    let copy = db.with_extension("copy.sqlite");
    std::fs::copy(db, &copy).unwrap();
    let s = Store::open(&copy).unwrap();
    let i = s.info().unwrap();
    (i.tracks + i.routes, i.waypoints)
}

/// Writes a bad file and expects one error line naming it.
#[test]
fn bad_dem_files_fail_alone_with_one_line_each_through_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let good = hgt_tile(1201, 45, -123, terrain_fn);
    std::fs::write(d.join("N45W123.hgt"), &good).unwrap();
    std::fs::write(d.join("N45W122.hgt"), &good[..good.len() - 10]).unwrap();
    std::fs::write(d.join("N46W122.hgt"), vec![0u8; 2 * 1500 * 1500]).unwrap();
    std::fs::write(d.join("tile.hgt"), &good).unwrap();
    // A zip whose entry claims 4 GB.
    let z = {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        w.start_file("N46W123.hgt", o).unwrap();
        w.write_all(&good[..1000]).unwrap();
        w.finish().unwrap();
        let mut b = buf.into_inner();
        // Patch every uncompressed-size field (local header at 22, central at 24) to 4 GB.
        let sig_local = b"PK\x03\x04";
        let sig_central = b"PK\x01\x02";
        for i in 0..b.len() - 4 {
            if &b[i..i + 4] == sig_local {
                b[i + 22..i + 26].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
            } else if &b[i..i + 4] == sig_central {
                b[i + 24..i + 28].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
            }
        }
        b
    };
    std::fs::write(d.join("N46W123.hgt.zip"), &z).unwrap();
    // A TIFF header claiming 40000 × 40000 Int16 samples (3.2 GB).
    std::fs::write(d.join("huge.tif"), huge_tiff_header()).unwrap();
    std::fs::write(d.join("merc.tif"), tiny_geotiff(3857)).unwrap();
    std::fs::write(d.join("N47W123.hgt"), &good).unwrap();
    let files = [
        "N45W123.hgt",
        "N45W122.hgt",
        "N46W122.hgt",
        "tile.hgt",
        "N46W123.hgt.zip",
        "huge.tif",
        "merc.tif",
        "N47W123.hgt",
    ];
    let db = d.join("db.sqlite");
    let out = Command::new(bin())
        .arg("--db")
        .arg(&db)
        .args(["terrain", "import"])
        .args(files.iter().map(|f| d.join(f)))
        .env(trailatlas::cli::PEAK_RSS_ENV, "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("peak_rss_kb="))
        .collect();
    assert_eq!(errors.len(), 6, "{stderr}");
    let expect = [
        ("N45W122.hgt", "truncated"),
        ("N46W122.hgt", "neither 1201"),
        ("tile.hgt", "south-west corner"),
        ("N46W123.hgt.zip", "neither 1201"),
        ("huge.tif", "40000 × 40000"),
        ("merc.tif", "EPSG:3857"),
    ];
    for ((name, why), line) in expect.iter().zip(&errors) {
        assert!(
            line.starts_with(&d.join(name).display().to_string()),
            "{line}"
        );
        assert!(line.contains(why), "{line}");
    }
    // Reading a 3.2 GB claim allocated nothing of the sort.
    let rss_kb: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kb="))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(rss_kb < 400_000, "{rss_kb} kB");
    let out = Command::new(bin())
        .arg("--db")
        .arg(&db)
        .args(["terrain", "list", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["SRTM3 N45W123", "SRTM3 N47W123"]);
}

fn huge_tiff_header() -> Vec<u8> {
    let mut b = b"II*\0".to_vec();
    b.extend_from_slice(&8u32.to_le_bytes());
    // One strip of 40000 × 40000 Int16: 3.2 GB declared, 300 bytes present.
    let entries: [(u16, u16, u32, u32); 9] = [
        (256, 4, 1, 40_000),
        (257, 4, 1, 40_000),
        (258, 3, 1, 16),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 200),
        (277, 3, 1, 1),
        (278, 4, 1, 40_000),
        (279, 4, 1, 3_200_000_000),
    ];
    b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, ty, count, value) in entries {
        b.extend_from_slice(&tag.to_le_bytes());
        b.extend_from_slice(&ty.to_le_bytes());
        b.extend_from_slice(&count.to_le_bytes());
        if ty == 3 {
            b.extend_from_slice(&(value as u16).to_le_bytes());
            b.extend_from_slice(&[0, 0]);
        } else {
            b.extend_from_slice(&value.to_le_bytes());
        }
    }
    b.extend_from_slice(&0u32.to_le_bytes());
    b.resize(300, 0);
    b
}

/// A 4 × 4 Int16 GeoTIFF declaring projected EPSG `code`, written with the tiff encoder.
fn tiny_geotiff(code: u16) -> Vec<u8> {
    use tiff::encoder::{TiffEncoder, colortype};
    use tiff::tags::Tag;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut enc = TiffEncoder::new(&mut buf).unwrap();
        let mut img = enc.new_image::<colortype::GrayI16>(4, 4).unwrap();
        let dir: Vec<u16> = vec![1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, code];
        img.encoder()
            .write_tag(Tag::GeoKeyDirectoryTag, &dir[..])
            .unwrap();
        img.encoder()
            .write_tag(Tag::ModelPixelScaleTag, &[30.0f64, 30.0, 0.0][..])
            .unwrap();
        img.encoder()
            .write_tag(
                Tag::ModelTiepointTag,
                &[0.0f64, 0.0, 0.0, 1e6, 5e6, 0.0][..],
            )
            .unwrap();
        img.write_data(&[100i16; 16]).unwrap();
    }
    buf.into_inner()
}

/// A window of `grid` saved as a GeoTIFF for GDAL: `gdal_translate -srcwin` of the tile.
fn window_tif(tile: &Path, grid: &Grid, out: &Path) {
    let step = grid.step_lat_deg;
    let xoff = ((grid.west_lon - 1.0) / step).round() as i64;
    let yoff = ((43.0 - grid.north_lat) / step).round() as i64;
    let mut c = gdal("gdal_translate").unwrap();
    c.args(["-q", "-srcwin"])
        .args([xoff, yoff, grid.width as i64, grid.height as i64].map(|v| v.to_string()))
        .arg(tile)
        .arg(out);
    run_ok(c);
}

fn read_u8_tiff(path: &Path) -> (usize, usize, Vec<u8>) {
    let mut d = tiff::decoder::Decoder::new(std::fs::File::open(path).unwrap()).unwrap();
    let (w, h) = d.dimensions().unwrap();
    match d.read_image().unwrap() {
        tiff::decoder::DecodingResult::U8(v) => (w as usize, h as usize, v),
        other => panic!("{other:?}"),
    }
}

fn andorra_window(store: &mut Store, dir: &Path) -> Grid {
    import(store, &dir.join("N42E001.hgt.zip"));
    let b = BBox {
        min_lon: 1.45,
        max_lon: 1.65,
        min_lat: 42.45,
        max_lat: 42.62,
    };
    let (g, _) = store.dem_window(&b, 0.0).unwrap().unwrap();
    g
}

#[test]
fn hillshade_matches_gdaldem_within_a_grey_level() {
    let Some(dir) = maps() else { return };
    if gdal("gdaldem").is_none() || gdal("gdal_translate").is_none() {
        return;
    }
    let mut store = Store::open_in_memory().unwrap();
    let g = andorra_window(&mut store, &dir);
    let tmp = tempfile::tempdir().unwrap();
    let win = tmp.path().join("win.tif");
    window_tif(&dir.join("N42E001.hgt.zip"), &g, &win);
    for multi in [false, true] {
        let out = tmp.path().join(format!("shade{multi}.tif"));
        let mut c = gdal("gdaldem").unwrap();
        c.args(["hillshade", "-q", "-s", "111120"]);
        if multi {
            c.arg("-multidirectional");
        }
        c.arg(&win).arg(&out);
        run_ok(c);
        let (w, h, want) = read_u8_tiff(&out);
        assert_eq!((w, h), (g.width, g.height));
        let ours = hillshade(
            &g,
            &HillshadeParams {
                scale: HorizontalScale::Gdal(111_120.0),
                multidirectional: multi,
                ..HillshadeParams::default()
            },
        );
        // gdaldem leaves the outer ring nodata; compare the interior.
        let (mut sum, mut n, mut worst) = (0.0f64, 0usize, 0i32);
        for r in 1..h - 1 {
            for c in 1..w - 1 {
                let (a, b) = (i32::from(ours[r * w + c]), i32::from(want[r * w + c]));
                if b == 0 {
                    continue;
                }
                sum += f64::from((a - b) * (a - b));
                n += 1;
                worst = worst.max((a - b).abs());
            }
        }
        let rms = (sum / n as f64).sqrt();
        eprintln!("hillshade multidirectional={multi}: RMS {rms:.3}, worst {worst}, {n} cells");
        assert!(n > 40_000 && rms < 1.0, "RMS {rms}, worst {worst}");
    }
}

/// WKT `LINESTRING (x y, ...)` lines of a CSV written by ogr2ogr, with their level.
fn gdal_contour_lines(csv: &str) -> Vec<(f64, Vec<(f64, f64)>)> {
    let mut out = Vec::new();
    for line in csv.lines().skip(1) {
        let Some(start) = line.find("LINESTRING") else {
            continue;
        };
        let open = line[start..].find('(').unwrap() + start + 1;
        let close = line[open..].find(')').unwrap() + open;
        let pts: Vec<(f64, f64)> = line[open..close]
            .split(',')
            .map(|p| {
                let mut it = p.split_whitespace().map(|v| v.parse::<f64>().unwrap());
                (it.next().unwrap(), it.next().unwrap())
            })
            .collect();
        let level: f64 = line[close..]
            .split(',')
            .filter_map(|v| v.trim().trim_matches('"').parse().ok())
            .next_back()
            .unwrap();
        out.push((level, pts));
    }
    out
}

fn dist_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((p.0 - a.0 - t * dx).powi(2) + (p.1 - a.1 - t * dy).powi(2)).sqrt()
}

/// Share of `from` vertices within `tol` (cell units) of a `to` segment of the same level,
/// leaving out vertices within 2 cells of a void node of the source (`near_void`): there our
/// model has the void filled and GDAL's contours stop.
fn within(
    from: &[(f64, Vec<(f64, f64)>)],
    to: &[(f64, Vec<(f64, f64)>)],
    tol: f64,
    near_void: &dyn Fn((f64, f64)) -> bool,
) -> f64 {
    use std::collections::HashMap;
    type Segment = ((f64, f64), (f64, f64));
    let mut buckets: HashMap<(i64, i64, i64), Vec<Segment>> = HashMap::new();
    for (level, pts) in to {
        for s in pts.windows(2) {
            let (x0, x1) = (s[0].0.min(s[1].0), s[0].0.max(s[1].0));
            let (y0, y1) = (s[0].1.min(s[1].1), s[0].1.max(s[1].1));
            for bx in (x0 - tol).floor() as i64..=(x1 + tol).floor() as i64 {
                for by in (y0 - tol).floor() as i64..=(y1 + tol).floor() as i64 {
                    buckets
                        .entry((*level as i64, bx, by))
                        .or_default()
                        .push((s[0], s[1]));
                }
            }
        }
    }
    let (mut ok, mut n) = (0usize, 0usize);
    for (level, pts) in from {
        for p in pts.iter().filter(|p| !near_void(**p)) {
            n += 1;
            let key = (*level as i64, p.0.floor() as i64, p.1.floor() as i64);
            if buckets
                .get(&key)
                .is_some_and(|segs| segs.iter().any(|(a, b)| dist_to_segment(*p, *a, *b) <= tol))
            {
                ok += 1;
            } else if std::env::var_os("TERRAIN_DEBUG").is_some() {
                eprintln!("unmatched {level} at {p:?}");
            }
        }
    }
    ok as f64 / n.max(1) as f64
}

#[test]
fn contours_lie_within_half_a_cell_of_gdal_contour() {
    let Some(dir) = maps() else { return };
    let (Some(_), Some(_)) = (gdal("gdal_contour"), gdal("ogr2ogr")) else {
        return;
    };
    let mut store = Store::open_in_memory().unwrap();
    let g = andorra_window(&mut store, &dir);
    let tmp = tempfile::tempdir().unwrap();
    let win = tmp.path().join("win.tif");
    window_tif(&dir.join("N42E001.hgt.zip"), &g, &win);
    let gpkg = tmp.path().join("c.gpkg");
    let mut c = gdal("gdal_contour").unwrap();
    c.args(["-q", "-a", "elev", "-i", "100"])
        .arg(&win)
        .arg(&gpkg);
    run_ok(c);
    let csv = tmp.path().join("c.csv");
    let mut c = gdal("ogr2ogr").unwrap();
    c.args(["-f", "CSV", "-lco", "GEOMETRY=AS_WKT"])
        .arg(&csv)
        .arg(&gpkg);
    run_ok(c);
    let theirs = gdal_contour_lines(&std::fs::read_to_string(&csv).unwrap());
    assert!(theirs.len() > 20, "{}", theirs.len());
    let ours = contours(&g, 100.0, 5);
    assert!(ours.iter().any(|c| c.index) && ours.iter().any(|c| !c.index));
    // Both in cell units, so "half a cell" is 0.5.
    let cell = |lon: f64, lat: f64| {
        (
            (lon - g.west_lon) / g.step_lon_deg,
            (g.north_lat - lat) / g.step_lat_deg,
        )
    };
    let ours: Vec<(f64, Vec<(f64, f64)>)> = ours
        .iter()
        .map(|c| {
            (
                c.elevation_m,
                c.line.iter().map(|p| cell(p.lon, p.lat)).collect(),
            )
        })
        .collect();
    let theirs: Vec<(f64, Vec<(f64, f64)>)> = theirs
        .into_iter()
        .map(|(l, pts)| (l, pts.into_iter().map(|(x, y)| cell(x, y)).collect()))
        .collect();
    // The window's raw nodes, voids and all, as GDAL read them.
    let raw = {
        let mut d = tiff::decoder::Decoder::new(std::fs::File::open(&win).unwrap()).unwrap();
        match d.read_image().unwrap() {
            tiff::decoder::DecodingResult::I16(v) => v,
            other => panic!("{other:?}"),
        }
    };
    let (w, h) = (g.width as i64, g.height as i64);
    // GDAL also runs its lines on half a cell past the outer nodes (to the pixels' edges);
    // ours end at the nodes. Those end pieces are left out too.
    let near_void = |p: (f64, f64)| {
        let eps = 1e-6;
        if p.0 < -eps || p.1 < -eps || p.0 > (w - 1) as f64 + eps || p.1 > (h - 1) as f64 + eps {
            return true;
        }
        let (cx, cy) = (p.0.round() as i64, p.1.round() as i64);
        (cy - 2..=cy + 2).any(|r| {
            (cx - 2..=cx + 2).any(|c| {
                r >= 0 && c >= 0 && r < h && c < w && raw[(r * w + c) as usize] == i16::MIN
            })
        })
    };
    let voids = raw.iter().filter(|v| **v == i16::MIN).count();
    let a = within(&ours, &theirs, 0.5, &near_void);
    let b = within(&theirs, &ours, 0.5, &near_void);
    eprintln!("window {} x {}, {voids} void nodes", g.width, g.height);
    eprintln!("contours: ours within half a cell of GDAL's {a:.4}, GDAL's of ours {b:.4}");
    assert!(a > 0.999 && b > 0.999, "{a} {b}");
    let total: usize = ours.iter().map(|(_, p)| p.len()).sum();
    assert!(total > 5000, "{total}");
}

/// A GPX track without `<ele>` over the generated tile.
fn no_ele_gpx(path: &Path) {
    let mut s = String::from(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Flat Out</name><trkseg>"#,
    );
    for i in 0..200 {
        let t = f64::from(i) / 199.0;
        s.push_str(&format!(
            r#"<trkpt lat="{:.6}" lon="{:.6}"/>"#,
            45.2 + 0.5 * t,
            -122.9 + 0.6 * t
        ));
    }
    s.push_str("</trkseg></trk></gpx>");
    std::fs::write(path, s).unwrap();
}

#[test]
fn logistics_says_unknown_without_a_model_and_uses_the_model_when_there_is_one() {
    let tmp = tempfile::tempdir().unwrap();
    let gpx = tmp.path().join("flat.gpx");
    no_ele_gpx(&gpx);
    let db = tmp.path().join("db.sqlite");
    let run = |args: &[&str]| {
        let out = Command::new(bin())
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
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["import", gpx.to_str().unwrap()]);
    let text = run(&["logistics", "--route", "Flat Out"]);
    assert!(
        text.contains("no elevation data") && !text.contains("climb"),
        "{text}"
    );
    let v: Value =
        serde_json::from_str(&run(&["logistics", "--route", "Flat Out", "--json"])).unwrap();
    assert!(
        v["gain_m"].is_null() && v["loss_m"].is_null() && v["elevation_source"].is_null(),
        "{v}"
    );
    let hgt = tmp.path().join("N45W123.hgt");
    std::fs::write(&hgt, hgt_tile(1201, 45, -123, terrain_fn)).unwrap();
    run(&["terrain", "import", hgt.to_str().unwrap()]);
    let text = run(&["logistics", "--route", "Flat Out"]);
    assert!(
        text.contains("(elevation from the SRTM3 N45W123 model)"),
        "{text}"
    );
    let v: Value =
        serde_json::from_str(&run(&["logistics", "--route", "Flat Out", "--json"])).unwrap();
    assert_eq!(v["elevation_source"], "model");
    assert_eq!(v["elevation_model"], "SRTM3 N45W123");
    // The model's own profile along the line, as core computes it from the same samples.
    let mut store = Store::open_in_memory().unwrap();
    store.import_dem_bytes(
        "N45W123.hgt",
        &hgt_tile(1201, 45, -123, terrain_fn),
        &DemLimits::default(),
    );
    let pts: Vec<LatLon> = (0..200)
        .map(|i| {
            let t = f64::from(i) / 199.0;
            LatLon::new(
                format!("{:.6}", 45.2 + 0.5 * t).parse().unwrap(),
                format!("{:.6}", -122.9 + 0.6 * t).parse().unwrap(),
            )
        })
        .collect();
    let (ele, _) = store.elevations(&pts).unwrap();
    let e = trailatlas::core::logistics::elevation_stats(ele.iter().map(|v| v.map(f64::from)), 5.0);
    let gain = v["gain_m"].as_f64().unwrap();
    assert!(
        (gain - e.gain_m.unwrap()).abs() < 0.1 && gain > 50.0,
        "{gain} {e:?}"
    );
    assert_eq!(
        v["max_ele_m"].as_f64().map(|m| m.round()),
        e.max_ele_m
            .map(|m| (m * 10.0).round() / 10.0)
            .map(f64::round)
    );
    // A track with its own <ele> keeps them and says so.
    let rec = tmp.path().join("rec.gpx");
    std::fs::write(&rec, r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Recorded</name><trkseg><trkpt lat="45.3" lon="-122.8"><ele>5</ele></trkpt><trkpt lat="45.31" lon="-122.8"><ele>105</ele></trkpt></trkseg></trk></gpx>"#).unwrap();
    run(&["import", rec.to_str().unwrap()]);
    let v: Value =
        serde_json::from_str(&run(&["logistics", "--route", "Recorded", "--json"])).unwrap();
    assert_eq!(
        (v["elevation_source"].as_str(), v["gain_m"].as_f64()),
        (Some("gpx"), Some(100.0))
    );
}

#[test]
fn dem_readers_never_hold_more_than_declared_caps() {
    // The fuzz target's limit: a valid small GeoTIFF reads, a big claim is refused.
    let t = tiny_geotiff(32611);
    let d = read_dem_bytes("t.tif", &t, &DemLimits { max_samples: 16 }).unwrap();
    assert_eq!(d.values.len(), 16);
    assert!(read_dem_bytes("t.tif", &t, &DemLimits { max_samples: 15 }).is_err());
    assert!(read_dem_bytes("huge.tif", &huge_tiff_header(), &DemLimits::default()).is_err());
}

/// The defect from issue 12's sibling: a track without elevations showed "climb 0 ft,
/// descent 0 ft" in the route panel and "0 ft climb" in the fuel logistics. Unknown is not
/// zero; with a model stored, the figures come from it and say so.
#[test]
fn the_app_says_unknown_climb_without_elevations_and_names_the_model_with_one() {
    use crate::app::{harness, labels_containing};
    use trailatlas::app::NavApp;
    let tmp = tempfile::tempdir().unwrap();
    let gpx = tmp.path().join("flat.gpx");
    no_ele_gpx(&gpx);
    let mut store = Store::open_in_memory().unwrap();
    crate::app::import(&mut store, &gpx);
    let h = harness(NavApp::new(store, Some("Flat Out")));
    let zero: Vec<String> = ["climb 0 ft", "0 ft climb", "climb 0 m", "descent 0"]
        .iter()
        .flat_map(|t| labels_containing(&h, t))
        .collect();
    assert!(zero.is_empty(), "{zero:?}");
    assert!(labels_containing(&h, "no elevation data").len() >= 2);
    drop(h);
    let mut store = Store::open_in_memory().unwrap();
    crate::app::import(&mut store, &gpx);
    let r = store.import_dem_bytes(
        "N45W123.hgt",
        &hgt_tile(1201, 45, -123, terrain_fn),
        &DemLimits::default(),
    );
    assert_eq!(r.status, FileStatus::Imported);
    let h = harness(NavApp::new(store, Some("Flat Out")));
    assert!(labels_containing(&h, "no elevation data").is_empty());
    assert!(!labels_containing(&h, "from the SRTM3 N45W123 model").is_empty());
    assert!(!labels_containing(&h, "ft climb").is_empty());
}

/// A DEM file given to the app's import (path field, dropped files and File → Import terrain…
/// all end in the same job) is stored as a model, listed in the result list, and the
/// selected line is derived again with the model's elevations.
#[test]
fn the_app_imports_a_dem_file_and_re_derives_the_selected_line() {
    use crate::app::{harness, labels_containing};
    use trailatlas::app::NavApp;
    let tmp = tempfile::tempdir().unwrap();
    let gpx = tmp.path().join("flat.gpx");
    no_ele_gpx(&gpx);
    let hgt = tmp.path().join("N45W123.hgt");
    std::fs::write(&hgt, hgt_tile(1201, 45, -123, terrain_fn)).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    crate::app::import(&mut store, &gpx);
    let mut h = harness(NavApp::new(store, Some("Flat Out")));
    assert!(!labels_containing(&h, "no elevation data").is_empty());
    let field = (
        eframe::egui::accesskit::Role::TextInput,
        "GPX file or folder",
    );
    h.get_by_role_and_label(field.0, field.1).click();
    h.run_steps(2);
    h.get_by_role_and_label(field.0, field.1)
        .type_text(hgt.to_str().unwrap());
    h.run_steps(2);
    h.get_by_label("Import GPX").click();
    h.run_steps(6);
    assert!(
        !labels_containing(&h, "imported elevation model SRTM3 N45W123").is_empty(),
        "status {:?}",
        h.state().model.status
    );
    assert!(!labels_containing(&h, "from the SRTM3 N45W123 model").is_empty());
    assert!(labels_containing(&h, "no elevation data").is_empty());
}

#[test]
fn the_v3_database_holds_its_map_and_terrain() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/db/v3.sqlite");
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("v3.sqlite");
    std::fs::copy(&src, &db).unwrap();
    let store = trailatlas::store::Store::open(&db).unwrap();
    assert_eq!(store.map_info().unwrap().roads, 124);
    let dems = store.dems().unwrap();
    assert_eq!(dems.len(), 1);
    // Andorra la Vella's valley floor is around 1,000 m.
    let (e, _) = store
        .elevations(&[trailatlas::core::model::LatLon::new(42.507, 1.52)])
        .unwrap();
    let e = e[0].unwrap();
    assert!((900.0..1300.0).contains(&e), "{e}");
    store.integrity_check().unwrap();
}
