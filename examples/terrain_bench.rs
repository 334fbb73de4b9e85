//! Terrain benchmark (issue 12): elevations for a 1,000,000-point route from the store, and
//! hillshade and contours for one letter page at 1:100,000 from the 1″ SRTM tile, side by
//! side with `gdaldem hillshade` and `gdal_contour` on the same window.
//!
//! `cargo run --release --example terrain_bench [-- PATH/TO/N48W125.hgt.zip]`
//! (default `../shared/fixtures/maps/N48W125.hgt.zip`). Prints a Markdown table; every
//! figure is the best of 5 runs, GDAL's including its process start (measured separately
//! with `--version` and reported).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use trailatlas::core::model::{BBox, LatLon};
use trailatlas::core::terrain::{
    HillshadeParams, HorizontalScale, contour_interval, contours, hillshade,
};
use trailatlas::store::Store;

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The fastest of `runs` (at least one) and the last result.
fn best<T>(runs: usize, mut f: impl FnMut() -> AnyResult<T>) -> AnyResult<(Duration, T)> {
    let t = Instant::now();
    let mut out = f()?;
    let mut best = t.elapsed();
    for _ in 1..runs {
        let t = Instant::now();
        out = f()?;
        best = best.min(t.elapsed());
    }
    Ok((best, out))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn gdal_time(tool: &str, args: &[&str]) -> AnyResult<Duration> {
    Ok(best(5, || {
        let s = Command::new(tool)
            .args(args)
            .env("GDAL_PAM_ENABLED", "NO")
            .status()?;
        if s.success() {
            Ok(())
        } else {
            Err(format!("{tool} {args:?} failed").into())
        }
    })?
    .0)
}

fn main() -> AnyResult<()> {
    let tile = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/fixtures/maps/N48W125.hgt.zip")
        });
    let tmp = std::env::temp_dir().join(format!("terrain-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let db = tmp.join("bench.sqlite");
    let mut store = Store::open(&db)?;
    let t = Instant::now();
    let r = store.import_dem_file(&tile);
    let import_ms = ms(t.elapsed());
    if let Some(e) = r.error {
        return Err(e.into());
    }

    // 1,000,000 points: a random walk of ~15 m steps over the tile's southern (land) half.
    let mut s: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut p = LatLon::new(48.2, -124.3);
    let mut heading: f64 = 0.3;
    let route: Vec<LatLon> = (0..1_000_000)
        .map(|_| {
            heading += (rnd() - 0.5) * 0.6;
            p.lat = (p.lat + heading.cos() * 0.000135).clamp(48.01, 48.49);
            p.lon = (p.lon + heading.sin() * 0.0002).clamp(-124.99, -124.01);
            p
        })
        .collect();
    let (t_elev, (values, _)) = best(5, || Ok(store.elevations(&route)?))?;
    let known = values.iter().filter(|v| v.is_some()).count();
    // Reference: the same bilinear sampling on a grid already in memory (no store, no blocks).
    let b = BBox {
        min_lon: -125.0,
        max_lon: -124.0,
        min_lat: 48.0,
        max_lat: 48.5,
    };
    let (whole, _) = store.dem_window(&b, 0.0)?.ok_or("no data in the tile")?;
    let (t_ref, sum) = best(5, || {
        Ok(route
            .iter()
            .filter_map(|p| whole.sample(*p))
            .map(f64::from)
            .sum::<f64>())
    })?;
    drop(whole);

    // One letter page (portrait, 8.5 × 11 in = 216 × 279 mm) at 1:100,000 over the Olympic
    // Mountains' north-west corner: 21.6 km × 27.9 km.
    let (w_km, h_km) = (21.59, 27.94);
    let lat0: f64 = 48.17;
    let dlat = h_km / 111.195;
    let dlon = w_km / (111.195 * lat0.to_radians().cos());
    let page = BBox {
        min_lat: lat0 - dlat / 2.0,
        max_lat: lat0 + dlat / 2.0,
        min_lon: -124.3 - dlon / 2.0,
        max_lon: -124.3 + dlon / 2.0,
    };
    let (t_window, (grid, _)) = best(5, || Ok(store.dem_window(&page, 0.0)?.ok_or("no data")?))?;
    let params = HillshadeParams {
        scale: HorizontalScale::Gdal(111_120.0),
        ..HillshadeParams::default()
    };
    let (t_shade, shade) = best(5, || Ok(hillshade(&grid, &params)))?;
    let relief = grid.min_max().map_or(0.0, |(a, b)| f64::from(b - a));
    let interval = contour_interval(100_000, relief, false);
    let (t_contour, lines) = best(5, || Ok(contours(&grid, interval, 5)))?;
    let vertices: usize = lines.iter().map(|c| c.line.len()).sum();
    // The page as `trailatlas atlas` prints it: the window at half a millimetre of paper per
    // cell (50 m at 1:100,000, `render::atlas::StoreTerrain`), then hillshade and contours.
    let (t_window_page, (page_grid, _)) =
        best(5, || Ok(store.dem_window(&page, 50.0)?.ok_or("no data")?))?;
    let (t_shade_page, _) = best(5, || Ok(hillshade(&page_grid, &params)))?;
    let (t_contour_page, page_lines) = best(5, || Ok(contours(&page_grid, interval, 5)))?;

    // The same window for GDAL.
    let win = tmp.join("win.tif");
    let xoff = ((grid.west_lon + 125.0) * 3600.0).round();
    let yoff = ((49.0 - grid.north_lat) * 3600.0).round();
    let srcwin = [xoff, yoff, grid.width as f64, grid.height as f64].map(|v| format!("{v}"));
    let st = Command::new("gdal_translate")
        .env("GDAL_PAM_ENABLED", "NO")
        .args(["-q", "-srcwin"])
        .args(&srcwin)
        .arg(&tile)
        .arg(&win)
        .status();
    let gdal = st.is_ok_and(|s| s.success());
    let path = |p: &Path| p.display().to_string();
    let (t_gdal_start, t_gdaldem, t_gdal_contour) = if gdal {
        let shade_out = path(&tmp.join("shade.tif"));
        let contour_out = tmp.join("c.gpkg");
        let start = gdal_time("gdalinfo", &["--version"])?;
        let dem = gdal_time(
            "gdaldem",
            &["hillshade", "-q", "-s", "111120", &path(&win), &shade_out],
        )?;
        let iv = format!("{interval}");
        let con = best(5, || {
            let _ = std::fs::remove_file(&contour_out);
            let s = Command::new("gdal_contour")
                .env("GDAL_PAM_ENABLED", "NO")
                .args(["-q", "-a", "elev", "-i", &iv])
                .arg(&win)
                .arg(&contour_out)
                .status()?;
            if s.success() {
                Ok(())
            } else {
                Err("gdal_contour failed".into())
            }
        })?
        .0;
        (Some(start), Some(dem), Some(con))
    } else {
        eprintln!("GDAL not found: no side-by-side figures");
        (None, None, None)
    };
    let _ = std::fs::remove_dir_all(&tmp);

    println!("tile {} imported in {import_ms:.0} ms", tile.display());
    println!(
        "route: 1,000,000 points, {known} with an elevation (checksum {sum:.0}); page window {} × {} nodes ({:.1} M), relief {relief:.0} m, interval {interval} m, {} contour lines, {vertices} vertices, {} shade cells",
        grid.width,
        grid.height,
        (grid.width * grid.height) as f64 / 1e6,
        lines.len(),
        shade.len()
    );
    println!();
    println!("| step | trailatlas ms | reference | reference ms | ratio |");
    println!("|---|---|---|---|---|");
    println!(
        "| elevations, 1,000,000 points (`Store::elevations`, blocks from SQLite) | {:.0} | `Grid::sample` on the tile in memory | {:.0} | {:.2}x |",
        ms(t_elev),
        ms(t_ref),
        ms(t_elev) / ms(t_ref)
    );
    println!(
        "| page window (`Store::dem_window`, 1″ nodes) | {:.0} | – | – | – |",
        ms(t_window)
    );
    let row = |what: &str, ours: Duration, theirs: Option<Duration>, tool: &str| match theirs {
        Some(t) => println!(
            "| {what} | {:.1} | `{tool}` (process, incl. {:.0} ms start) | {:.1} | {:.2}x |",
            ms(ours),
            t_gdal_start.map_or(0.0, ms),
            ms(t),
            ms(ours) / ms(t)
        ),
        None => println!("| {what} | {:.1} | – | – | – |", ms(ours)),
    };
    row(
        "hillshade, one letter page at 1:100,000",
        t_shade,
        t_gdaldem,
        "gdaldem hillshade",
    );
    row(
        "contours, one letter page at 1:100,000",
        t_contour,
        t_gdal_contour,
        "gdal_contour",
    );
    println!(
        "| as printed: page window at 50 m cells ({} × {} nodes) | {:.1} | the 1″ window | {:.1} | {:.2}x |",
        page_grid.width,
        page_grid.height,
        ms(t_window_page),
        ms(t_window),
        ms(t_window_page) / ms(t_window)
    );
    println!(
        "| as printed: hillshade at 50 m cells | {:.1} | at the 1″ nodes | {:.1} | {:.2}x |",
        ms(t_shade_page),
        ms(t_shade),
        ms(t_shade_page) / ms(t_shade)
    );
    println!(
        "| as printed: contours at 50 m cells ({} lines) | {:.1} | at the 1″ nodes | {:.1} | {:.2}x |",
        page_lines.len(),
        ms(t_contour_page),
        ms(t_contour),
        ms(t_contour_page) / ms(t_contour)
    );
    Ok(())
}
