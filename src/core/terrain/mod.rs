//! Elevation models, pure: the raster geometry of a DEM (geographic or UTM), bilinear
//! sampling between grid nodes, void filling, and the products drawn from a model: Horn
//! hillshade ([`hillshade`]), contour lines with index contours and label positions
//! ([`contours`]), the contour interval for a scale ([`contour_interval`]) and a bounded
//! cache for computed page or screen tiles ([`cache`]).
//!
//! Samples are grid *nodes* (as SRTM defines them and GDAL shows as pixel centres): sampling
//! exactly at a node gives that node's value, between nodes the bilinear blend of the four
//! around it; a void node (NaN) drops out of the blend and the others are re-weighted, so a
//! void never leaks a sentinel such as −32768 into a result.
//!
//! Not for reading files (see `import::dem`) or storing blocks (see `store::terrain`), and it
//! decides nothing about how terrain looks on paper or screen (that is the scene's job).
//! Contour tracing is the `contour` crate's (georust, a d3-contour port); this module only
//! cuts its closed rings at voids and at the grid's edge, which d3 closes around them.

pub mod cache;
mod contours;
mod hillshade;

pub use contours::{Contour, ContourLabel, contour_interval, contour_labels, contours};
pub use hillshade::{HILLSHADE_NODATA, HillshadeParams, HorizontalScale, hillshade};

use super::geodesy::EARTH_RADIUS_M;
use super::model::{BBox, LatLon};
use super::projection::TransverseMercator;

/// Metres per degree of latitude on the mean-radius sphere (also per degree of longitude at
/// the equator).
pub const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// A position within this many cells of a node is the node (0.1 mm on a 1″ grid), so a
/// coordinate typed with finite decimals still reads the node's own value.
const SNAP_CELLS: f64 = 1e-6;

/// The coordinate system of a stored raster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crs {
    /// Latitude/longitude degrees on WGS84 (EPSG:4326) or a datum taken as WGS84 (NAD83
    /// EPSG:4269, ETRS89 EPSG:4258: within about 2 m, under a DEM cell).
    Geographic {
        /// The EPSG code the file declared.
        epsg: u16,
    },
    /// UTM metres (WGS84 EPSG:326zz/327zz, NAD83 EPSG:269zz taken as WGS84).
    Utm {
        /// The EPSG code the file declared.
        epsg: u16,
        /// Zone 1..=60.
        zone: u8,
        /// Northern hemisphere.
        north: bool,
    },
}

impl Crs {
    /// The EPSG code.
    pub fn epsg(&self) -> u16 {
        match *self {
            Crs::Geographic { epsg } | Crs::Utm { epsg, .. } => epsg,
        }
    }

    /// The CRS for an EPSG code, or `None` when it is not one this program can place.
    pub fn from_epsg(epsg: u16) -> Option<Crs> {
        match epsg {
            4326 | 4269 | 4258 => Some(Crs::Geographic { epsg }),
            32601..=32660 => Some(Crs::Utm {
                epsg,
                zone: (epsg - 32600) as u8,
                north: true,
            }),
            32701..=32760 => Some(Crs::Utm {
                epsg,
                zone: (epsg - 32700) as u8,
                north: false,
            }),
            26901..=26923 => Some(Crs::Utm {
                epsg,
                zone: (epsg - 26900) as u8,
                north: true,
            }),
            _ => None,
        }
    }
}

/// Where a raster's nodes lie: node (row `r`, column `c`) is at
/// `(x0 + c·dx, y0 − r·dy)` in the CRS (degrees of lon/lat, or UTM easting/northing), row 0
/// being the north edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RasterGeom {
    /// Coordinate system.
    pub crs: Crs,
    /// x (longitude or easting) of column 0.
    pub x0: f64,
    /// y (latitude or northing) of row 0.
    pub y0: f64,
    /// Column spacing, CRS units, > 0.
    pub dx: f64,
    /// Row spacing, CRS units, > 0 (rows run south).
    pub dy: f64,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

impl RasterGeom {
    /// The projection for UTM rasters.
    pub fn projection(&self) -> Option<TransverseMercator> {
        match self.crs {
            Crs::Geographic { .. } => None,
            Crs::Utm { zone, north, .. } => Some(TransverseMercator::utm(zone, north)),
        }
    }

    /// (column, row) of `p`, fractional; `tm` is [`RasterGeom::projection`] (passed in so
    /// bulk callers build it once).
    pub fn cell_of(&self, p: LatLon, tm: Option<&TransverseMercator>) -> (f64, f64) {
        let (x, y) = match tm {
            Some(tm) => tm.forward(p),
            None => (p.lon, p.lat),
        };
        ((x - self.x0) / self.dx, (self.y0 - y) / self.dy)
    }

    /// The position of node (column, row).
    pub fn pos_of(&self, col: f64, row: f64, tm: Option<&TransverseMercator>) -> LatLon {
        let x = self.x0 + col * self.dx;
        let y = self.y0 - row * self.dy;
        match tm {
            Some(tm) => tm.inverse(x, y),
            None => LatLon::new(y, x),
        }
    }

    /// The ground distance between nodes, metres (the larger of the two axes' spacing at the
    /// raster's middle); "finer" means a smaller value.
    pub fn cell_m(&self) -> f64 {
        match self.crs {
            Crs::Utm { .. } => self.dx.max(self.dy),
            Crs::Geographic { .. } => {
                let mid_lat = self.y0 - self.dy * (self.height.saturating_sub(1) as f64) / 2.0;
                let ew = self.dx * M_PER_DEG * mid_lat.to_radians().cos();
                (self.dy * M_PER_DEG).max(ew)
            }
        }
    }

    /// The latitude/longitude box holding every node (for UTM, the envelope of the edges).
    pub fn bbox(&self) -> BBox {
        let tm = self.projection();
        let (w, h) = (
            self.width.saturating_sub(1) as f64,
            self.height.saturating_sub(1) as f64,
        );
        let mut b = BBox::EMPTY;
        // Edges of a UTM raster curve in lat/lon: walk them.
        let steps = if tm.is_some() { 16 } else { 1 };
        for i in 0..=steps {
            let t = f64::from(i) / f64::from(steps);
            for (c, r) in [(t * w, 0.0), (t * w, h), (0.0, t * h), (w, t * h)] {
                b.extend(self.pos_of(c, r, tm.as_ref()));
            }
        }
        b
    }
}

/// A regular grid in geographic degrees: node (row `r`, column `c`) at latitude
/// `north_lat − r·step_lat_deg`, longitude `west_lon + c·step_lon_deg`; row 0 is the north
/// edge. NaN is void.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Latitude of row 0, degrees.
    pub north_lat: f64,
    /// Longitude of column 0, degrees.
    pub west_lon: f64,
    /// Row spacing, degrees, > 0.
    pub step_lat_deg: f64,
    /// Column spacing, degrees, > 0.
    pub step_lon_deg: f64,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Row-major elevations, metres; NaN where void.
    pub values: Vec<f32>,
}

impl Grid {
    /// The geometry of this grid as a WGS84 raster.
    pub fn geom(&self) -> RasterGeom {
        RasterGeom {
            crs: Crs::Geographic { epsg: 4326 },
            x0: self.west_lon,
            y0: self.north_lat,
            dx: self.step_lon_deg,
            dy: self.step_lat_deg,
            width: self.width,
            height: self.height,
        }
    }

    /// The value of node (row, column), `None` outside or void.
    pub fn at(&self, row: usize, col: usize) -> Option<f32> {
        if col >= self.width {
            return None;
        }
        self.values
            .get(row * self.width + col)
            .copied()
            .filter(|v| !v.is_nan())
    }

    /// Bilinear elevation at `p`, metres; `None` outside the grid or where the nodes around
    /// it are void. Exactly a node's value at the node.
    pub fn sample(&self, p: LatLon) -> Option<f32> {
        let col = (p.lon - self.west_lon) / self.step_lon_deg;
        let row = (self.north_lat - p.lat) / self.step_lat_deg;
        bilinear(&self.values, self.width, self.height, col, row)
    }

    /// Lowest and highest valid value, `None` when all void.
    pub fn min_max(&self) -> Option<(f32, f32)> {
        let mut it = self.values.iter().copied().filter(|v| !v.is_nan());
        let first = it.next()?;
        Some(it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
    }

    /// The box from the first to the last node.
    pub fn bbox(&self) -> BBox {
        BBox {
            min_lon: self.west_lon,
            max_lon: self.west_lon + self.step_lon_deg * (self.width.saturating_sub(1) as f64),
            max_lat: self.north_lat,
            min_lat: self.north_lat - self.step_lat_deg * (self.height.saturating_sub(1) as f64),
        }
    }
}

/// Bilinear interpolation at fractional (column, row) in a row-major `width × height` array
/// of nodes. Void (NaN) nodes drop out and the rest are re-weighted; `None` outside the
/// nodes or when every node with weight is void. Within [`SNAP_CELLS`] of a node the node's
/// own value is returned unchanged.
pub fn bilinear(values: &[f32], width: usize, height: usize, col: f64, row: f64) -> Option<f32> {
    if !(col.is_finite() && row.is_finite()) || width == 0 || height == 0 {
        return None;
    }
    let snap = |v: f64| {
        let r = v.round();
        if (v - r).abs() < SNAP_CELLS { r } else { v }
    };
    let (col, row) = (snap(col), snap(row));
    let (wmax, hmax) = ((width - 1) as f64, (height - 1) as f64);
    if col < 0.0 || row < 0.0 || col > wmax || row > hmax {
        return None;
    }
    // The cell's north-west node; the last row/column use the cell before them.
    let c0 = (col.floor() as usize).min(width.saturating_sub(2));
    let r0 = (row.floor() as usize).min(height.saturating_sub(2));
    let (fx, fy) = (col - c0 as f64, row - r0 as f64);
    let mut sum = 0.0f64;
    let mut weight = 0.0f64;
    for (dr, wy) in [(0usize, 1.0 - fy), (1, fy)] {
        for (dc, wx) in [(0usize, 1.0 - fx), (1, fx)] {
            let w = wx * wy;
            if w <= 0.0 {
                continue;
            }
            let (r, c) = (r0 + dr, c0 + dc);
            if r >= height || c >= width {
                continue;
            }
            let Some(v) = values.get(r * width + c).copied() else {
                continue;
            };
            if v.is_nan() {
                continue;
            }
            sum += w * f64::from(v);
            weight += w;
        }
    }
    if weight <= 0.0 {
        None
    } else if weight >= 1.0 - 1e-12 {
        Some(sum as f32)
    } else {
        Some((sum / weight) as f32)
    }
}

/// What [`fill_voids`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VoidStats {
    /// Void nodes filled from their neighbours.
    pub filled: u64,
    /// Void nodes left void (in regions too large to fill).
    pub left: u64,
}

/// Void regions (4-connected) of at most this many nodes are filled; larger ones stay void.
/// 400 nodes is a 20 × 20 hole: 600 m on a 1″ grid, 1.8 km on a 3″ grid, about the largest
/// a smooth blend of its rim still describes.
pub const MAX_FILL_NODES: usize = 400;

/// Fills small void regions (NaN, at most `max_nodes` 4-connected nodes each) from their
/// valid neighbours, from the rim inwards: each pass gives every void node that touches a
/// known node (of 8) the mean of those known neighbours. Larger regions (the sea-side half of
/// a coastal SRTM tile) stay void. GDAL's `gdal_fillnodata` weights by inverse distance
/// instead; for holes this small the difference is within the data's own noise.
pub fn fill_voids(values: &mut [f32], width: usize, height: usize, max_nodes: usize) -> VoidStats {
    let mut stats = VoidStats::default();
    if width == 0 || values.len() != width.saturating_mul(height) {
        return stats;
    }
    let mut seen = vec![false; values.len()];
    let mut region: Vec<usize> = Vec::new();
    let mut queue: Vec<usize> = Vec::new();
    for start in 0..values.len() {
        if seen[start] || !values[start].is_nan() {
            continue;
        }
        // Collect the region, stopping early once it is known to be too large (its nodes are
        // still marked seen so it is walked once).
        region.clear();
        queue.clear();
        queue.push(start);
        seen[start] = true;
        let mut size = 0usize;
        while let Some(i) = queue.pop() {
            size += 1;
            if region.len() <= max_nodes {
                region.push(i);
            }
            let (r, c) = (i / width, i % width);
            let mut visit = |j: usize| {
                if !seen[j] && values[j].is_nan() {
                    seen[j] = true;
                    queue.push(j);
                }
            };
            if c > 0 {
                visit(i - 1);
            }
            if c + 1 < width {
                visit(i + 1);
            }
            if r > 0 {
                visit(i - width);
            }
            if r + 1 < height {
                visit(i + width);
            }
        }
        if size > max_nodes {
            stats.left += size as u64;
            continue;
        }
        let mut pending = region.clone();
        loop {
            let mut updates: Vec<(usize, f32)> = Vec::new();
            for &i in &pending {
                let (r, c) = (i / width, i % width);
                let mut sum = 0.0f64;
                let mut n = 0u32;
                for dr in -1i64..=1 {
                    for dc in -1i64..=1 {
                        let (rr, cc) = (r as i64 + dr, c as i64 + dc);
                        if (dr, dc) == (0, 0)
                            || rr < 0
                            || cc < 0
                            || rr >= height as i64
                            || cc >= width as i64
                        {
                            continue;
                        }
                        let v = values[rr as usize * width + cc as usize];
                        if !v.is_nan() {
                            sum += f64::from(v);
                            n += 1;
                        }
                    }
                }
                if n > 0 {
                    updates.push((i, (sum / f64::from(n)) as f32));
                }
            }
            if updates.is_empty() {
                // A region with no valid neighbour at all (the whole grid is void).
                stats.left += pending.len() as u64;
                break;
            }
            for &(i, v) in &updates {
                values[i] = v;
            }
            stats.filled += updates.len() as u64;
            pending.retain(|&i| values[i].is_nan());
            if pending.is_empty() {
                break;
            }
        }
    }
    stats
}

/// Where a profile's elevations came from, for saying so beside every figure.
#[derive(Debug, Clone, PartialEq)]
pub enum ElevationOrigin {
    /// Every known value is the file's own (`<ele>`).
    Recorded,
    /// Every value came from the elevation model named.
    Model(String),
    /// The file's own values, with the points it lacks filled from the model named.
    Mixed(String),
    /// No point has an elevation.
    Unknown,
}

impl ElevationOrigin {
    /// The short name used in JSON: `gpx`, `model`, `gpx+model`; `None` when unknown.
    pub fn as_str(&self) -> Option<&'static str> {
        match self {
            ElevationOrigin::Recorded => Some("gpx"),
            ElevationOrigin::Model(_) => Some("model"),
            ElevationOrigin::Mixed(_) => Some("gpx+model"),
            ElevationOrigin::Unknown => None,
        }
    }

    /// The model's name, when one was used.
    pub fn model(&self) -> Option<&str> {
        match self {
            ElevationOrigin::Model(m) | ElevationOrigin::Mixed(m) => Some(m),
            _ => None,
        }
    }

    /// A phrase for text output: "elevation from the GPX file", "elevation from the SRTM3
    /// N42E001 model", "no elevation data".
    pub fn describe(&self) -> String {
        match self {
            ElevationOrigin::Recorded => "elevation from the GPX file".to_string(),
            ElevationOrigin::Model(m) => format!("elevation from the {m} model"),
            ElevationOrigin::Mixed(m) => {
                format!("elevation from the GPX file, gaps from the {m} model")
            }
            ElevationOrigin::Unknown => "no elevation data".to_string(),
        }
    }
}

/// A line's elevations: the recorded value where the file has one, else the model's
/// (`model[i]`, when given), and where the result came from. Recorded values are never
/// replaced.
pub fn merge_elevations(
    recorded: &[Option<f64>],
    model: Option<(&[Option<f32>], &str)>,
) -> (Vec<Option<f64>>, ElevationOrigin) {
    let (mut from_file, mut from_model) = (0usize, 0usize);
    let merged: Vec<Option<f64>> = recorded
        .iter()
        .enumerate()
        .map(|(i, r)| match r.filter(|v| v.is_finite()) {
            Some(v) => {
                from_file += 1;
                Some(v)
            }
            None => {
                let m = model
                    .and_then(|(m, _)| m.get(i).copied().flatten())
                    .filter(|v| v.is_finite())
                    .map(f64::from);
                if m.is_some() {
                    from_model += 1;
                }
                m
            }
        })
        .collect();
    let name = model.map(|(_, n)| n.to_string()).unwrap_or_default();
    let origin = match (from_file > 0, from_model > 0) {
        (true, false) => ElevationOrigin::Recorded,
        (false, true) => ElevationOrigin::Model(name),
        (true, true) => ElevationOrigin::Mixed(name),
        (false, false) => ElevationOrigin::Unknown,
    };
    (merged, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(width: usize, height: usize, f: impl Fn(usize, usize) -> f32) -> Grid {
        let mut values = Vec::with_capacity(width * height);
        for r in 0..height {
            for c in 0..width {
                values.push(f(r, c));
            }
        }
        Grid {
            north_lat: 43.0,
            west_lon: 1.0,
            step_lat_deg: 1.0 / 1200.0,
            step_lon_deg: 1.0 / 1200.0,
            width,
            height,
            values,
        }
    }

    #[test]
    fn sampling_a_node_gives_its_value_exactly() {
        let g = grid(5, 4, |r, c| (r * 100 + c) as f32 + 0.25);
        for r in 0..4 {
            for c in 0..5 {
                // Typed with finite decimals, as a user would.
                let lat: f64 = format!("{:.7}", 43.0 - r as f64 / 1200.0).parse().unwrap();
                let lon: f64 = format!("{:.7}", 1.0 + c as f64 / 1200.0).parse().unwrap();
                let p = LatLon::new(lat, lon);
                let v = g.sample(p);
                // 1e-7° is 0.00012 cells: not snapped, but within a hair of the node.
                assert!((v.unwrap() - g.at(r, c).unwrap()).abs() < 0.05, "{r} {c}");
                let exact = g.geom().pos_of(c as f64, r as f64, None);
                assert_eq!(g.sample(exact), g.at(r, c), "{r} {c}");
            }
        }
    }

    #[test]
    fn between_nodes_is_bilinear() {
        let g = grid(2, 2, |r, c| [[0.0, 10.0], [20.0, 30.0]][r][c]);
        let mid = g.geom().pos_of(0.5, 0.5, None);
        assert_eq!(g.sample(mid), Some(15.0));
        let q = g.geom().pos_of(0.25, 0.0, None);
        assert_eq!(g.sample(q), Some(2.5));
        assert_eq!(g.sample(g.geom().pos_of(1.5, 0.0, None)), None);
        assert_eq!(g.sample(g.geom().pos_of(-0.1, 0.0, None)), None);
    }

    #[test]
    fn a_void_node_drops_out_and_never_leaks() {
        let g = grid(2, 2, |r, c| [[f32::NAN, 10.0], [20.0, 30.0]][r][c]);
        let mid = g.geom().pos_of(0.5, 0.5, None);
        assert_eq!(g.sample(mid), Some(20.0));
        assert_eq!(g.sample(g.geom().pos_of(0.0, 0.0, None)), None);
        let all_void = grid(2, 2, |_, _| f32::NAN);
        assert_eq!(all_void.sample(mid), None);
    }

    #[test]
    fn small_voids_are_filled_and_large_ones_left() {
        let mut g = grid(40, 40, |r, c| (r + c) as f32);
        // A 2-node hole and a 30 × 30 hole.
        g.values[5 * 40 + 5] = f32::NAN;
        g.values[5 * 40 + 6] = f32::NAN;
        for r in 10..40 {
            for c in 10..40 {
                g.values[r * 40 + c] = f32::NAN;
            }
        }
        let stats = fill_voids(&mut g.values, 40, 40, MAX_FILL_NODES);
        assert_eq!(
            stats,
            VoidStats {
                filled: 2,
                left: 900
            }
        );
        // The plane r + c is filled to within a node's rise.
        let v = g.at(5, 5).unwrap();
        assert!((v - 10.0).abs() <= 1.0, "{v}");
        assert_eq!(g.at(20, 20), None);
    }

    #[test]
    fn recorded_elevations_stay_and_gaps_come_from_the_model() {
        let rec = [Some(100.0), None, Some(102.0)];
        let model = [Some(1.0f32), Some(2.0), Some(3.0)];
        let (m, o) = merge_elevations(&rec, Some((&model, "SRTM3 N42E001")));
        assert_eq!(m, vec![Some(100.0), Some(2.0), Some(102.0)]);
        assert_eq!(o, ElevationOrigin::Mixed("SRTM3 N42E001".into()));
        let (m, o) = merge_elevations(&[None, None], Some((&model, "X")));
        assert_eq!((m, o.as_str()), (vec![Some(1.0), Some(2.0)], Some("model")));
        let (_, o) = merge_elevations(&rec, None);
        assert_eq!(o.describe(), "elevation from the GPX file");
        let (m, o) = merge_elevations(&[None], Some((&[None], "X")));
        assert_eq!((m, o), (vec![None], ElevationOrigin::Unknown));
    }

    #[test]
    fn epsg_codes_map_to_crs_and_others_are_refused() {
        assert_eq!(
            Crs::from_epsg(32611),
            Some(Crs::Utm {
                epsg: 32611,
                zone: 11,
                north: true
            })
        );
        assert_eq!(Crs::from_epsg(26911).map(|c| c.epsg()), Some(26911));
        assert!(matches!(
            Crs::from_epsg(32733),
            Some(Crs::Utm {
                zone: 33,
                north: false,
                ..
            })
        ));
        assert_eq!(Crs::from_epsg(4326), Some(Crs::Geographic { epsg: 4326 }));
        assert_eq!(Crs::from_epsg(3857), None);
        assert_eq!(Crs::from_epsg(32661), None);
    }

    #[test]
    fn utm_raster_bbox_and_cells_round_trip() {
        let g = RasterGeom {
            crs: Crs::Utm {
                epsg: 32611,
                zone: 11,
                north: true,
            },
            x0: 376_328.655,
            y0: 3_807_902.828,
            dx: 30.0,
            dy: 30.0,
            width: 1197,
            height: 643,
        };
        let tm = g.projection();
        let p = g.pos_of(100.0, 200.0, tm.as_ref());
        let (c, r) = g.cell_of(p, tm.as_ref());
        assert!((c - 100.0).abs() < 1e-6 && (r - 200.0).abs() < 1e-6);
        let b = g.bbox();
        assert!(b.min_lat > 34.2 && b.max_lat < 34.42, "{b:?}");
        assert!(b.min_lon > -118.36 && b.max_lon < -117.94, "{b:?}");
        assert_eq!(g.cell_m(), 30.0);
    }
}
