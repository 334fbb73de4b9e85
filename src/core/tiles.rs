//! Web-Mercator XYZ tile maths (the slippy-map scheme MBTiles and most offline tile sets
//! use): tile ids, the ground a tile covers, the zoom for a ground resolution, the tiles
//! covering a box (wrapping at the antimeridian), and the TMS row flip of MBTiles.
//!
//! Tiles are `2^z × 2^z` squares of the spherical Web-Mercator plane, x east from the
//! antimeridian, y south from about 85.05° N. Positions are WGS84 degrees, as everywhere.
//!
//! Not for reading tile files (see `store::mbtiles`) nor for drawing them (see
//! `render::tiles`); the app's map itself is not Web Mercator (see `scene::view`).

use std::f64::consts::PI;

use super::model::{BBox, LatLon};

/// Deepest zoom level handled (tiles per side fit in `u32` with room to spare).
pub const MAX_ZOOM: u8 = 24;
/// The latitude where the Web-Mercator square ends, degrees.
pub const MAX_LAT_DEG: f64 = 85.051_128_779_806_59;
/// The equator's length on the Web-Mercator sphere (radius 6 378 137 m), metres.
pub const EQUATOR_M: f64 = 2.0 * PI * 6_378_137.0;
/// The usual cap on tiles drawn for one view.
pub const MAX_TILES: usize = 256;

/// Why a tile id is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// The zoom is deeper than [`MAX_ZOOM`].
    #[error("zoom {0} is beyond the deepest supported ({MAX_ZOOM})")]
    Zoom(u8),
    /// Column or row is outside `0..2^z`.
    #[error("tile {x}/{y} does not exist at zoom {z}")]
    OutOfRange {
        /// Zoom.
        z: u8,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
    },
}

/// One XYZ tile: zoom, column (east from 180° W), row (south from the top, XYZ/Google
/// order; MBTiles stores the flipped TMS row, see [`TileId::tms_row`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Zoom level, `0..=MAX_ZOOM`.
    pub z: u8,
    /// Column, `0..2^z`.
    pub x: u32,
    /// Row from the north, `0..2^z`.
    pub y: u32,
}

/// Tiles per side at zoom `z` (`2^z`).
pub fn tiles_per_side(z: u8) -> u32 {
    1u32 << z.min(MAX_ZOOM)
}

/// Flips a row between XYZ (from the north) and TMS (from the south) at zoom `z`; its own
/// inverse. Rows outside `0..2^z` give `None`.
pub fn tms_flip(z: u8, row: u32) -> Option<u32> {
    let n = tiles_per_side(z);
    (z <= MAX_ZOOM && row < n).then(|| n - 1 - row)
}

impl TileId {
    /// A tile id, checked.
    pub fn new(z: u8, x: u32, y: u32) -> Result<TileId, TileError> {
        if z > MAX_ZOOM {
            return Err(TileError::Zoom(z));
        }
        let n = tiles_per_side(z);
        if x >= n || y >= n {
            return Err(TileError::OutOfRange { z, x, y });
        }
        Ok(TileId { z, x, y })
    }

    /// The tile from MBTiles' `(zoom_level, tile_column, tile_row)`, whose row counts from
    /// the south (TMS).
    pub fn from_tms(z: u8, column: u32, tms_row: u32) -> Result<TileId, TileError> {
        let y = tms_flip(z, tms_row).ok_or(TileError::OutOfRange {
            z,
            x: column,
            y: tms_row,
        })?;
        TileId::new(z, column, y)
    }

    /// The row as MBTiles stores it (TMS, from the south): `2^z - 1 - y`.
    pub fn tms_row(&self) -> u32 {
        tiles_per_side(self.z)
            .saturating_sub(1)
            .saturating_sub(self.y)
    }

    /// The ground point at fractions `(fx, fy)` across the tile, `(0, 0)` its north-west
    /// corner and `(1, 1)` its south-east one (linear in Web Mercator, as the image is).
    pub fn lat_lon_at(&self, fx: f64, fy: f64) -> LatLon {
        let n = f64::from(tiles_per_side(self.z));
        let wx = (f64::from(self.x) + fx) / n;
        let wy = (f64::from(self.y) + fy) / n;
        LatLon::new(lat_from_world_y(wy), wx * 360.0 - 180.0)
    }

    /// The north-west corner.
    pub fn north_west(&self) -> LatLon {
        self.lat_lon_at(0.0, 0.0)
    }

    /// The south-east corner.
    pub fn south_east(&self) -> LatLon {
        self.lat_lon_at(1.0, 1.0)
    }

    /// The ground the tile covers.
    pub fn bbox(&self) -> BBox {
        BBox::of([self.north_west(), self.south_east()])
    }

    /// The tile one zoom out holding this one (`None` at zoom 0).
    pub fn parent(&self) -> Option<TileId> {
        (self.z > 0).then(|| TileId {
            z: self.z - 1,
            x: self.x / 2,
            y: self.y / 2,
        })
    }

    /// The tile at zoom `z` (not deeper than this one's) holding this one, and this tile's
    /// part of it as texture fractions `[u_min, v_min, u_max, v_max]` (`v` down).
    pub fn ancestor(&self, z: u8) -> Option<(TileId, [f64; 4])> {
        if z > self.z {
            return None;
        }
        let d = u32::from(self.z - z);
        let a = TileId {
            z,
            x: self.x >> d,
            y: self.y >> d,
        };
        let parts = f64::from(1u32 << d);
        let u = f64::from(self.x - (a.x << d)) / parts;
        let v = f64::from(self.y - (a.y << d)) / parts;
        Some((a, [u, v, u + 1.0 / parts, v + 1.0 / parts]))
    }

    /// The four tiles one zoom in (`None` at [`MAX_ZOOM`]).
    pub fn children(&self) -> Option<[TileId; 4]> {
        if self.z >= MAX_ZOOM {
            return None;
        }
        let (z, x, y) = (self.z + 1, self.x * 2, self.y * 2);
        Some([
            TileId { z, x, y },
            TileId { z, x: x + 1, y },
            TileId { z, x, y: y + 1 },
            TileId {
                z,
                x: x + 1,
                y: y + 1,
            },
        ])
    }
}

impl std::fmt::Display for TileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// Web-Mercator position of a point as fractions of the world square: `x` east from 180° W
/// (not wrapped: 190° E gives a little over 1), `y` south from the top edge; latitudes beyond
/// ±[`MAX_LAT_DEG`] are clamped to the edge.
pub fn world_xy(p: LatLon) -> (f64, f64) {
    let lat = p.lat.clamp(-MAX_LAT_DEG, MAX_LAT_DEG).to_radians();
    let x = (p.lon + 180.0) / 360.0;
    let y = (1.0 - lat.tan().asinh() / PI) / 2.0;
    (x, y)
}

/// The latitude at world fraction `y` (0 at the top edge, 1 at the bottom), degrees.
pub fn lat_from_world_y(y: f64) -> f64 {
    (PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees()
}

/// Ground metres per tile pixel at zoom `z` and latitude `lat_deg`, for tiles `tile_px` wide.
pub fn tile_m_per_px(z: u8, lat_deg: f64, tile_px: u32) -> f64 {
    let lat = lat_deg.clamp(-MAX_LAT_DEG, MAX_LAT_DEG).to_radians();
    EQUATOR_M * lat.cos() / (f64::from(tile_px.max(1)) * f64::from(tiles_per_side(z)))
}

/// The zoom whose tile pixels best match `m_per_px` (ground metres per screen pixel) at
/// `lat_deg`, clamped to `min_z..=max_z` (a file's zoom range). Nonsense input (not finite,
/// not positive) gives `min_z`.
pub fn zoom_for_resolution(m_per_px: f64, lat_deg: f64, tile_px: u32, min_z: u8, max_z: u8) -> u8 {
    let (lo, hi) = (
        min_z.min(max_z).min(MAX_ZOOM),
        max_z.max(min_z).min(MAX_ZOOM),
    );
    if !(m_per_px.is_finite() && m_per_px > 0.0 && lat_deg.is_finite()) {
        return lo;
    }
    // Zoom 0 tile pixels at this latitude, then one level per halving; rounding shows tile
    // pixels between 0.71 and 1.41 screen pixels.
    let z = (tile_m_per_px(0, lat_deg, tile_px) / m_per_px)
        .log2()
        .round();
    if z.is_nan() || z <= f64::from(lo) {
        lo
    } else if z >= f64::from(hi) {
        hi
    } else {
        z as u8
    }
}

/// The tiles chosen for a box at one zoom.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coverage {
    /// The tiles, nearest the box's centre first.
    pub tiles: Vec<TileId>,
    /// True when the box needs more tiles than the cap; `tiles` holds the central ones.
    pub truncated: bool,
}

/// How many tiles cover `bbox` at zoom `z` (see [`tiles_covering`] for the box's form).
pub fn tile_count(bbox: &BBox, z: u8) -> u64 {
    tile_ranges(bbox, z).map_or(0, |r| u64::from(r.cols) * u64::from(r.y_hi - r.y_lo + 1))
}

/// The tiles at zoom `z` covering `bbox`, at most `max_tiles`, nearest the centre first.
///
/// Longitudes may run past ±180° (`min_lon = 170, max_lon = 190` covers the antimeridian),
/// or the box may be given with `min_lon > max_lon`, meaning it crosses the antimeridian;
/// columns wrap either way and a box 360° or wider is every column once. Latitudes are
/// clamped to the Web-Mercator square. An empty or non-finite box covers nothing.
pub fn tiles_covering(bbox: &BBox, z: u8, max_tiles: usize) -> Coverage {
    let Some(r) = tile_ranges(bbox, z) else {
        return Coverage::default();
    };
    let n = i64::from(tiles_per_side(r.z));
    let rows = i64::from(r.y_hi - r.y_lo + 1);
    let cols = i64::from(r.cols);
    let total = cols.saturating_mul(rows);
    // Centre of the covered block, in tile units.
    let (cx, cy) = (
        r.x_lo as f64 + cols as f64 / 2.0,
        f64::from(r.y_lo) + rows as f64 / 2.0,
    );
    let dist = |x: i64, y: i64| {
        let dx = x as f64 + 0.5 - cx;
        let dy = y as f64 + 0.5 - cy;
        dx * dx + dy * dy
    };
    let mut picked: Vec<(f64, i64, i64)> = Vec::new();
    if usize::try_from(total).is_ok_and(|t| t <= max_tiles) {
        for y in i64::from(r.y_lo)..=i64::from(r.y_hi) {
            for x in r.x_lo..r.x_lo + cols {
                picked.push((dist(x, y), x, y));
            }
        }
    } else {
        // Too many: only a window around the centre, about max_tiles big, is looked at.
        let side = (max_tiles as f64).sqrt().ceil() as i64 + 1;
        let (x0, y0) = (cx.floor() as i64 - side / 2, cy.floor() as i64 - side / 2);
        for y in y0.max(i64::from(r.y_lo))..(y0 + side).min(i64::from(r.y_hi) + 1) {
            for x in x0.max(r.x_lo)..(x0 + side).min(r.x_lo + cols) {
                picked.push((dist(x, y), x, y));
            }
        }
    }
    picked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)).then(a.1.cmp(&b.1)));
    let tiles: Vec<TileId> = picked
        .into_iter()
        .take(max_tiles)
        .filter_map(|(_, x, y)| {
            let x = u32::try_from(x.rem_euclid(n)).ok()?;
            let y = u32::try_from(y).ok()?;
            Some(TileId { z: r.z, x, y })
        })
        .collect();
    Coverage {
        truncated: usize::try_from(total).map_or(true, |t| t > tiles.len()),
        tiles,
    }
}

/// Column and row ranges of a box at one zoom; columns unwrapped (`x_lo` may be negative or
/// past `2^z`), `cols` at most `2^z`.
struct TileRanges {
    z: u8,
    x_lo: i64,
    cols: u32,
    y_lo: u32,
    y_hi: u32,
}

fn tile_ranges(bbox: &BBox, z: u8) -> Option<TileRanges> {
    let z = z.min(MAX_ZOOM);
    let finite = [bbox.min_lon, bbox.max_lon, bbox.min_lat, bbox.max_lat]
        .iter()
        .all(|v| v.is_finite());
    if !finite || bbox.min_lat > bbox.max_lat {
        return None;
    }
    let (min_lon, mut max_lon) = (bbox.min_lon, bbox.max_lon);
    if min_lon > max_lon {
        max_lon += 360.0;
    }
    let n = tiles_per_side(z);
    let nf = f64::from(n);
    let (wx_lo, wy_lo) = world_xy(LatLon::new(bbox.max_lat, min_lon));
    let (wx_hi, wy_hi) = world_xy(LatLon::new(bbox.min_lat, max_lon));
    let cell = |w: f64| (w * nf).floor().clamp(-1e12, 1e12) as i64;
    let last = i64::from(n) - 1;
    let x_lo = cell(wx_lo);
    let x_hi = cell(wx_hi).max(x_lo);
    let cols = u32::try_from((x_hi - x_lo + 1).min(i64::from(n))).ok()?;
    let y_lo = u32::try_from(cell(wy_lo).clamp(0, last)).ok()?;
    let y_hi = u32::try_from(cell(wy_hi).clamp(0, last)).ok()?;
    Some(TileRanges {
        z,
        x_lo,
        cols,
        y_lo,
        y_hi: y_hi.max(y_lo),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn zoom_zero_is_the_whole_world() {
        let t = TileId::new(0, 0, 0).unwrap();
        let nw = t.north_west();
        let se = t.south_east();
        assert!(close(nw.lat, MAX_LAT_DEG, 1e-9) && close(nw.lon, -180.0, 1e-12));
        assert!(close(se.lat, -MAX_LAT_DEG, 1e-9) && close(se.lon, 180.0, 1e-12));
    }

    #[test]
    fn known_tile_corners() {
        // OSM wiki: zoom 1 tile 1/1/0 is the north-east quarter.
        let t = TileId::new(1, 1, 0).unwrap();
        assert!(close(t.north_west().lon, 0.0, 1e-12));
        assert!(close(t.south_east().lat, 0.0, 1e-12));
        // Bend, Oregon (44.058, -121.315) is at 166.926, 372.117 in zoom-10 tile units (the
        // OSM wiki's formula, evaluated in Python).
        let (x, y) = world_xy(LatLon::new(44.058, -121.315));
        assert!(close(x * 1024.0, 166.926_222, 1e-5) && close(y * 1024.0, 372.117_130, 1e-5));
    }

    #[test]
    fn tile_ids_are_checked() {
        assert!(TileId::new(2, 3, 3).is_ok());
        assert_eq!(
            TileId::new(2, 4, 0),
            Err(TileError::OutOfRange { z: 2, x: 4, y: 0 })
        );
        assert_eq!(TileId::new(25, 0, 0), Err(TileError::Zoom(25)));
    }

    #[test]
    fn tms_rows_flip() {
        let t = TileId::new(3, 2, 1).unwrap();
        assert_eq!(t.tms_row(), 6);
        assert_eq!(TileId::from_tms(3, 2, 6).unwrap(), t);
        assert_eq!(tms_flip(0, 0), Some(0));
        assert_eq!(tms_flip(3, 8), None);
        assert!(TileId::from_tms(3, 2, 8).is_err());
    }

    #[test]
    fn parents_and_children() {
        let t = TileId::new(5, 11, 20).unwrap();
        assert_eq!(t.parent(), Some(TileId::new(4, 5, 10).unwrap()));
        assert_eq!(TileId::new(0, 0, 0).unwrap().parent(), None);
        let kids = t.children().unwrap();
        assert!(kids.iter().all(|k| k.parent() == Some(t)));
        let (a, uv) = t.ancestor(3).unwrap();
        assert_eq!(a, TileId::new(3, 2, 5).unwrap());
        assert_eq!(uv, [0.75, 0.0, 1.0, 0.25]);
        assert_eq!(t.ancestor(5), Some((t, [0.0, 0.0, 1.0, 1.0])));
        assert_eq!(t.ancestor(6), None);
    }

    #[test]
    fn zoom_follows_the_resolution_and_the_file_range() {
        // Zoom 0 at the equator: 156 543 m per pixel.
        assert!(close(tile_m_per_px(0, 0.0, 256), 156_543.033_928, 1e-3));
        assert_eq!(zoom_for_resolution(156_543.0, 0.0, 256, 0, 22), 0);
        assert_eq!(zoom_for_resolution(152.87, 0.0, 256, 0, 22), 10);
        // Same ground resolution at 60°: tiles are twice as fine there, one level less.
        assert_eq!(zoom_for_resolution(152.87, 60.0, 256, 0, 22), 9);
        // 512-pixel tiles: one level less.
        assert_eq!(zoom_for_resolution(152.87, 0.0, 512, 0, 22), 9);
        assert_eq!(zoom_for_resolution(0.01, 0.0, 256, 3, 14), 14);
        assert_eq!(zoom_for_resolution(1e9, 0.0, 256, 3, 14), 3);
        assert_eq!(zoom_for_resolution(f64::NAN, 0.0, 256, 3, 14), 3);
        assert_eq!(zoom_for_resolution(-1.0, 0.0, 256, 3, 14), 3);
        assert_eq!(zoom_for_resolution(1.0, 90.0, 256, 3, 14), 14);
    }

    #[test]
    fn a_small_box_needs_few_tiles() {
        let b = BBox {
            min_lon: -121.4,
            min_lat: 44.0,
            max_lon: -121.2,
            max_lat: 44.1,
        };
        let c = tiles_covering(&b, 10, MAX_TILES);
        assert!(!c.truncated);
        assert_eq!(c.tiles.len() as u64, tile_count(&b, 10));
        assert!(c.tiles.contains(&TileId::new(10, 166, 372).unwrap()));
        for t in &c.tiles {
            let tb = t.bbox();
            assert!(tb.max_lon >= b.min_lon && tb.min_lon <= b.max_lon);
            assert!(tb.max_lat >= b.min_lat && tb.min_lat <= b.max_lat);
        }
    }

    #[test]
    fn the_antimeridian_wraps() {
        let across = BBox {
            min_lon: 179.0,
            min_lat: -17.0,
            max_lon: -179.0,
            max_lat: -16.0,
        };
        let c = tiles_covering(&across, 6, MAX_TILES);
        let xs: std::collections::BTreeSet<u32> = c.tiles.iter().map(|t| t.x).collect();
        assert_eq!(xs.into_iter().collect::<Vec<_>>(), vec![0, 63]);
        // The same box written past 180°.
        let unwrapped = BBox {
            max_lon: 181.0,
            ..across
        };
        let mut a = tiles_covering(&unwrapped, 6, MAX_TILES).tiles;
        let mut b = c.tiles.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn the_whole_world_is_each_column_once() {
        let world = BBox {
            min_lon: -400.0,
            min_lat: -90.0,
            max_lon: 400.0,
            max_lat: 90.0,
        };
        let c = tiles_covering(&world, 2, MAX_TILES);
        assert_eq!(c.tiles.len(), 16);
        let set: std::collections::HashSet<_> = c.tiles.iter().collect();
        assert_eq!(set.len(), 16);
    }

    #[test]
    fn too_many_tiles_are_capped_to_the_centre() {
        let world = BBox {
            min_lon: -180.0,
            min_lat: -MAX_LAT_DEG,
            max_lon: 180.0,
            max_lat: MAX_LAT_DEG,
        };
        let c = tiles_covering(&world, 10, 100);
        assert!(c.truncated);
        assert_eq!(c.tiles.len(), 100);
        // The centre of the world (0°, 0°) is the corner of four zoom-10 tiles.
        assert!(c.tiles.contains(&TileId::new(10, 511, 511).unwrap()));
        assert!(c.tiles.contains(&TileId::new(10, 512, 512).unwrap()));
        assert_eq!(tile_count(&world, 10), 1024 * 1024);
    }

    #[test]
    fn nonsense_boxes_cover_nothing() {
        assert!(tiles_covering(&BBox::EMPTY, 5, MAX_TILES).tiles.is_empty());
        let nan = BBox {
            min_lon: f64::NAN,
            ..BBox::EMPTY
        };
        assert!(tiles_covering(&nan, 5, MAX_TILES).tiles.is_empty());
        assert_eq!(tile_count(&BBox::EMPTY, 5), 0);
    }

    proptest! {
        #[test]
        fn a_point_is_inside_the_tile_it_falls_in(
            lat in -85.0f64..85.0, lon in -180.0f64..179.999, z in 0u8..=MAX_ZOOM,
        ) {
            let (x, y) = world_xy(LatLon::new(lat, lon));
            let n = f64::from(tiles_per_side(z));
            let t = TileId::new(z, (x * n) as u32, (y * n) as u32).unwrap();
            let b = t.bbox();
            prop_assert!(b.min_lat - 1e-9 <= lat && lat <= b.max_lat + 1e-9, "{t} {b:?} {lat}");
            prop_assert!(b.min_lon - 1e-9 <= lon && lon <= b.max_lon + 1e-9, "{t} {b:?} {lon}");
            // And the tile's corners project back to its own edges.
            let (wx, wy) = world_xy(t.north_west());
            prop_assert!((wx * n - f64::from(t.x)).abs() < 1e-6);
            prop_assert!((wy * n - f64::from(t.y)).abs() < 1e-6);
        }

        #[test]
        fn tms_flip_is_an_involution(z in 0u8..=MAX_ZOOM, row in 0u32..u32::MAX) {
            let row = row % tiles_per_side(z);
            let f = tms_flip(z, row).unwrap();
            prop_assert_eq!(tms_flip(z, f), Some(row));
            let t = TileId::new(z, 0, row).unwrap();
            prop_assert_eq!(TileId::from_tms(z, 0, t.tms_row()).unwrap(), t);
        }

        #[test]
        fn ancestors_contain_their_descendants(
            z in 0u8..=MAX_ZOOM, x in 0u32..u32::MAX, y in 0u32..u32::MAX, up in 0u8..8,
        ) {
            let n = tiles_per_side(z);
            let t = TileId::new(z, x % n, y % n).unwrap();
            let az = z.saturating_sub(up);
            let (a, uv) = t.ancestor(az).unwrap();
            // The descendant's corners are the ancestor's points at the uv fractions.
            let nw = a.lat_lon_at(uv[0], uv[1]);
            let se = a.lat_lon_at(uv[2], uv[3]);
            prop_assert!((nw.lat - t.north_west().lat).abs() < 1e-9);
            prop_assert!((nw.lon - t.north_west().lon).abs() < 1e-9);
            prop_assert!((se.lat - t.south_east().lat).abs() < 1e-9);
            prop_assert!((se.lon - t.south_east().lon).abs() < 1e-9);
        }

        #[test]
        fn coverage_covers_the_box(
            lat in -80.0f64..80.0, lon in -180.0f64..180.0,
            dlat in 0.0f64..3.0, dlon in 0.0f64..6.0, z in 0u8..12,
        ) {
            let b = BBox { min_lon: lon, min_lat: lat, max_lon: lon + dlon, max_lat: (lat + dlat).min(85.0) };
            let c = tiles_covering(&b, z, 100_000);
            prop_assert!(!c.truncated);
            prop_assert_eq!(c.tiles.len() as u64, tile_count(&b, z));
            let set: std::collections::HashSet<_> = c.tiles.iter().copied().collect();
            prop_assert_eq!(set.len(), c.tiles.len(), "no tile twice");
            // Sample points of the box each fall in a covering tile.
            for (fy, fx) in [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)] {
                let p = LatLon::new(b.min_lat + fy * (b.max_lat - b.min_lat), b.min_lon + fx * dlon);
                let (wx, wy) = world_xy(p);
                let n = tiles_per_side(z);
                let x = ((wx * f64::from(n)).floor() as i64).rem_euclid(i64::from(n)) as u32;
                let y = ((wy * f64::from(n)).floor() as u32).min(n - 1);
                prop_assert!(set.contains(&TileId { z, x, y }), "{p:?} not covered at z{z}");
            }
            let capped = tiles_covering(&b, z, 4);
            prop_assert!(capped.tiles.len() <= 4);
            prop_assert!(capped.tiles.iter().all(|t| set.contains(t)));
            prop_assert_eq!(capped.truncated, c.tiles.len() > 4);
        }
    }
}
