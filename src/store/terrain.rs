//! Elevation models in the database: DEM files imported as blocks of nodes, and the queries
//! the rest of the program asks of them (elevations at points, a resampled window).
//!
//! A file's raster is cut into blocks of [`BLOCK`] cells (`BLOCK + 1` nodes a side, the last
//! row and column shared with the next block, so any cell's four nodes are in one block),
//! each a deflated BLOB of i16 (whole metres, −32768 void) or f32 (NaN void). The file's
//! geometry (CRS, origin, spacing, ground resolution) is a row of `dem_files` with its box in
//! an R*Tree, so the original files may be deleted after import. Where two models overlap the
//! finer one answers; where it is void, the next finer.
//! Memory is bounded by the block cache of an [`ElevationModel`], not by how many files are
//! stored.
//!
//! Not for reading files (see `import::dem`) or computing hillshade and contours (see
//! `core::terrain`).

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension as _, TransactionBehavior, params};

use crate::core::model::{BBox, LatLon};
use crate::core::projection::TransverseMercator;
use crate::core::terrain::{Crs, Grid, M_PER_DEG, RasterGeom, VoidStats, bilinear};
use crate::import::dem::{Dem, DemLimits, read_dem_bytes, read_dem_file};

use super::{FileStatus, Store, StoreError};

/// Cells per block side.
pub const BLOCK: usize = 256;
/// Blocks an [`ElevationModel`] keeps decoded (each at most 257² × 4 bytes: 16.9 MB in all).
pub const BLOCK_CACHE: usize = 64;
/// The most nodes [`Store::dem_window`] returns; a coarser grid is made beyond it.
pub const MAX_WINDOW_NODES: usize = 16_000_000;

const ENC_I16: i64 = 1;
const ENC_F32: i64 = 2;

/// The schema step that adds elevation models (one string, referenced from `MIGRATIONS`).
pub const TERRAIN_STEP: &str = r#"
    CREATE TABLE dem_files (
        id          INTEGER PRIMARY KEY,
        path        TEXT NOT NULL UNIQUE,
        hash        TEXT NOT NULL,
        size_bytes  INTEGER NOT NULL,
        imported_ms INTEGER NOT NULL,
        name        TEXT NOT NULL,
        epsg        INTEGER NOT NULL,
        x0 REAL NOT NULL, y0 REAL NOT NULL, dx REAL NOT NULL, dy REAL NOT NULL,
        width       INTEGER NOT NULL,
        height      INTEGER NOT NULL,
        cell_m      REAL NOT NULL,
        voids_filled INTEGER NOT NULL,
        voids_left  INTEGER NOT NULL
    );
    -- Nodes (row0 .. row0 + rows, col0 .. col0 + cols) of a file, deflated.
    CREATE TABLE dem_blocks (
        id       INTEGER PRIMARY KEY,
        file_id  INTEGER NOT NULL REFERENCES dem_files(id) ON DELETE CASCADE,
        bx       INTEGER NOT NULL,
        by       INTEGER NOT NULL,
        cols     INTEGER NOT NULL,
        rows     INTEGER NOT NULL,
        encoding INTEGER NOT NULL,
        data     BLOB NOT NULL,
        UNIQUE (file_id, by, bx)
    );
    CREATE VIRTUAL TABLE dem_files_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);
    CREATE TRIGGER dem_files_del AFTER DELETE ON dem_files BEGIN
        DELETE FROM dem_files_rtree WHERE id = old.id;
    END;
"#;

/// What an elevation or a window came from, for attributions.
#[derive(Debug, Clone, PartialEq)]
pub struct DemSource {
    /// The models' names, finest first ("SRTM3 N42E001").
    pub names: Vec<String>,
    /// The finest ground resolution among them, metres.
    pub cell_m: f64,
}

impl DemSource {
    /// The names joined for a caption.
    pub fn label(&self) -> String {
        self.names.join(", ")
    }
}

/// One stored model, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct DemInfo {
    /// Row id.
    pub id: i64,
    /// The file it came from (canonical path).
    pub path: String,
    /// Its name.
    pub name: String,
    /// Where its nodes are.
    pub geom: RasterGeom,
    /// Ground resolution, metres.
    pub cell_m: f64,
    /// Its box.
    pub bbox: BBox,
    /// Voids filled and left at import.
    pub voids: VoidStats,
}

/// What happened to one DEM file.
#[derive(Debug, Clone)]
pub struct DemReport {
    /// The file as given.
    pub path: PathBuf,
    /// Imported, unchanged or failed.
    pub status: FileStatus,
    /// The model (when imported or unchanged).
    pub info: Option<DemInfo>,
    /// One line naming the file, when failed.
    pub error: Option<String>,
}

impl DemReport {
    fn failed(path: &Path, e: String) -> Self {
        DemReport {
            path: path.to_path_buf(),
            status: FileStatus::Failed,
            info: None,
            error: Some(e),
        }
    }
}

fn crs_of(epsg: i64) -> Result<Crs, StoreError> {
    u16::try_from(epsg)
        .ok()
        .and_then(Crs::from_epsg)
        .ok_or_else(|| StoreError::Corrupt(format!("DEM with unknown EPSG code {epsg}")))
}

/// Deflates a block: i16 when every value is a whole number in range (or void).
fn encode_block(values: &[f32]) -> (i64, Vec<u8>) {
    let integral = values
        .iter()
        .all(|v| v.is_nan() || (v.fract() == 0.0 && v.abs() <= 32767.0));
    let mut raw = Vec::with_capacity(values.len() * if integral { 2 } else { 4 });
    let enc = if integral {
        for v in values {
            let x = if v.is_nan() { i16::MIN } else { *v as i16 };
            raw.extend_from_slice(&x.to_le_bytes());
        }
        ENC_I16
    } else {
        for v in values {
            raw.extend_from_slice(&v.to_le_bytes());
        }
        ENC_F32
    };
    let mut z = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(raw.len() / 2),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let _ = z.write_all(&raw);
    (enc, z.finish().unwrap_or_default())
}

fn decode_block(enc: i64, data: &[u8], n: usize) -> Result<Vec<f32>, StoreError> {
    let width = if enc == ENC_I16 { 2 } else { 4 };
    let mut raw = Vec::with_capacity(n * width);
    flate2::read::DeflateDecoder::new(data)
        .take((n * width + 1) as u64)
        .read_to_end(&mut raw)
        .map_err(|e| StoreError::Corrupt(format!("DEM block: {e}")))?;
    if raw.len() != n * width {
        return Err(StoreError::Corrupt(format!(
            "DEM block of {} bytes, expected {}",
            raw.len(),
            n * width
        )));
    }
    Ok(match enc {
        ENC_I16 => raw
            .chunks_exact(2)
            .map(|b| {
                let v = i16::from_le_bytes([b[0], b[1]]);
                if v == i16::MIN {
                    f32::NAN
                } else {
                    f32::from(v)
                }
            })
            .collect(),
        ENC_F32 => raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        other => {
            return Err(StoreError::Corrupt(format!("DEM block encoding {other}")));
        }
    })
}

fn info_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(DemInfoRow, String, String)> {
    Ok((
        DemInfoRow {
            id: r.get(0)?,
            epsg: r.get(1)?,
            x0: r.get(2)?,
            y0: r.get(3)?,
            dx: r.get(4)?,
            dy: r.get(5)?,
            width: r.get(6)?,
            height: r.get(7)?,
            cell_m: r.get(8)?,
            filled: r.get(9)?,
            left: r.get(10)?,
        },
        r.get(11)?,
        r.get(12)?,
    ))
}

struct DemInfoRow {
    id: i64,
    epsg: i64,
    x0: f64,
    y0: f64,
    dx: f64,
    dy: f64,
    width: i64,
    height: i64,
    cell_m: f64,
    filled: i64,
    left: i64,
}

const INFO_COLS: &str = "f.id, f.epsg, f.x0, f.y0, f.dx, f.dy, f.width, f.height, f.cell_m, \
     f.voids_filled, f.voids_left, f.path, f.name";

impl DemInfoRow {
    fn into_info(self, path: String, name: String) -> Result<DemInfo, StoreError> {
        let geom = RasterGeom {
            crs: crs_of(self.epsg)?,
            x0: self.x0,
            y0: self.y0,
            dx: self.dx,
            dy: self.dy,
            width: usize::try_from(self.width).unwrap_or(0),
            height: usize::try_from(self.height).unwrap_or(0),
        };
        if geom.width < 2 || geom.height < 2 || !(geom.dx > 0.0 && geom.dy > 0.0) {
            return Err(StoreError::Corrupt(format!(
                "DEM {name} has a bad geometry"
            )));
        }
        Ok(DemInfo {
            id: self.id,
            path,
            name,
            bbox: geom.bbox(),
            geom,
            cell_m: self.cell_m,
            voids: VoidStats {
                filled: u64::try_from(self.filled).unwrap_or(0),
                left: u64::try_from(self.left).unwrap_or(0),
            },
        })
    }
}

impl Store {
    /// Imports one DEM file (`.hgt`, `.hgt.zip`, GeoTIFF) in one transaction: whole or not at
    /// all. The same content at the same path again is `unchanged`; changed content replaces
    /// the earlier import.
    pub fn import_dem_file(&mut self, path: &Path) -> DemReport {
        let (hash, size) = match super::import::hash_file(path) {
            Ok(h) => h,
            Err(e) => return DemReport::failed(path, format!("{}: {e}", path.display())),
        };
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let key = key.to_string_lossy().into_owned();
        match self.dem_unchanged(path, &key, &hash) {
            Ok(Some(r)) => return r,
            Ok(None) => {}
            Err(e) => return DemReport::failed(path, format!("{}: {e}", path.display())),
        }
        let dem = match read_dem_file(path, &DemLimits::default()) {
            Ok(d) => d,
            Err(e) => return DemReport::failed(path, e.to_string()),
        };
        self.store_dem(path, &key, &hash, size, &dem)
    }

    /// Imports a DEM held in memory as if from a file named `label` (fuzzing, tests).
    pub fn import_dem_bytes(&mut self, label: &str, bytes: &[u8], limits: &DemLimits) -> DemReport {
        let path = Path::new(label);
        let hash = blake3::hash(bytes).to_hex().to_string();
        match self.dem_unchanged(path, label, &hash) {
            Ok(Some(r)) => return r,
            Ok(None) => {}
            Err(e) => return DemReport::failed(path, format!("{label}: {e}")),
        }
        let dem = match read_dem_bytes(label, bytes, limits) {
            Ok(d) => d,
            Err(e) => return DemReport::failed(path, e.to_string()),
        };
        self.store_dem(path, label, &hash, bytes.len() as u64, &dem)
    }

    fn dem_unchanged(
        &self,
        path: &Path,
        key: &str,
        hash: &str,
    ) -> Result<Option<DemReport>, StoreError> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM dem_files WHERE path = ?1 AND hash = ?2",
                params![key, hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::from_sqlite)?;
        let Some(id) = id else {
            return Ok(None);
        };
        let info = self.dem_info(id)?;
        Ok(Some(DemReport {
            path: path.to_path_buf(),
            status: FileStatus::Unchanged,
            info: Some(info),
            error: None,
        }))
    }

    fn store_dem(&mut self, path: &Path, key: &str, hash: &str, size: u64, dem: &Dem) -> DemReport {
        match self.bulk(|s| s.store_dem_tx(key, hash, size, dem)) {
            Ok(id) => match self.dem_info(id) {
                Ok(info) => DemReport {
                    path: path.to_path_buf(),
                    status: FileStatus::Imported,
                    info: Some(info),
                    error: None,
                },
                Err(e) => DemReport::failed(path, format!("{}: {e}", path.display())),
            },
            Err(e) => DemReport::failed(path, format!("{}: {e}", path.display())),
        }
    }

    fn store_dem_tx(
        &mut self,
        key: &str,
        hash: &str,
        size: u64,
        dem: &Dem,
    ) -> Result<i64, StoreError> {
        let g = &dem.geom;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from_sqlite)?;
        tx.execute("DELETE FROM dem_files WHERE path = ?1", [key])
            .map_err(StoreError::from_sqlite)?;
        tx.execute(
            "INSERT INTO dem_files (path, hash, size_bytes, imported_ms, name, epsg, x0, y0, dx, dy,
                 width, height, cell_m, voids_filled, voids_left)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                key,
                hash,
                size as i64,
                super::now_ms(),
                dem.name,
                i64::from(g.crs.epsg()),
                g.x0,
                g.y0,
                g.dx,
                g.dy,
                g.width as i64,
                g.height as i64,
                g.cell_m(),
                dem.voids.filled as i64,
                dem.voids.left as i64
            ],
        )
        .map_err(StoreError::from_sqlite)?;
        let id = tx.last_insert_rowid();
        let b = g.bbox();
        tx.execute(
            "INSERT INTO dem_files_rtree (id, min_lon, max_lon, min_lat, max_lat) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, b.min_lon, b.max_lon, b.min_lat, b.max_lat],
        )
        .map_err(StoreError::from_sqlite)?;
        {
            let mut ins = tx
                .prepare(
                    "INSERT INTO dem_blocks (file_id, bx, by, cols, rows, encoding, data)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(StoreError::from_sqlite)?;
            let (w, h) = (g.width, g.height);
            let mut buf: Vec<f32> = Vec::with_capacity((BLOCK + 1) * (BLOCK + 1));
            for by in 0..(h - 1).div_ceil(BLOCK) {
                for bx in 0..(w - 1).div_ceil(BLOCK) {
                    let (c0, r0) = (bx * BLOCK, by * BLOCK);
                    let cols = (BLOCK + 1).min(w - c0);
                    let rows = (BLOCK + 1).min(h - r0);
                    buf.clear();
                    for r in r0..r0 + rows {
                        let row =
                            dem.values
                                .get(r * w + c0..r * w + c0 + cols)
                                .ok_or_else(|| {
                                    StoreError::Corrupt("DEM shorter than its size".into())
                                })?;
                        buf.extend_from_slice(row);
                    }
                    let (enc, data) = encode_block(&buf);
                    ins.execute(params![
                        id,
                        bx as i64,
                        by as i64,
                        cols as i64,
                        rows as i64,
                        enc,
                        data
                    ])
                    .map_err(StoreError::from_sqlite)?;
                }
            }
        }
        tx.commit().map_err(StoreError::from_sqlite)?;
        Ok(id)
    }

    fn dem_info(&self, id: i64) -> Result<DemInfo, StoreError> {
        let (row, path, name) = self
            .conn
            .query_row(
                &format!("SELECT {INFO_COLS} FROM dem_files f WHERE f.id = ?1"),
                [id],
                info_from_row,
            )
            .map_err(StoreError::from_sqlite)?;
        row.into_info(path, name)
    }

    /// Every stored elevation model, finest first.
    pub fn dems(&self) -> Result<Vec<DemInfo>, StoreError> {
        self.dems_where("", [])
    }

    /// The models whose box meets `bbox`, finest first.
    pub fn dems_in(&self, bbox: &BBox) -> Result<Vec<DemInfo>, StoreError> {
        self.dems_where(
            "JOIN dem_files_rtree t ON t.id = f.id WHERE t.max_lon >= ?1 AND t.min_lon <= ?2 \
             AND t.max_lat >= ?3 AND t.min_lat <= ?4",
            [bbox.min_lon, bbox.max_lon, bbox.min_lat, bbox.max_lat],
        )
    }

    fn dems_where<P: rusqlite::Params>(
        &self,
        clause: &str,
        p: P,
    ) -> Result<Vec<DemInfo>, StoreError> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {INFO_COLS} FROM dem_files f {clause} ORDER BY f.cell_m, f.id"
            ))
            .map_err(StoreError::from_sqlite)?;
        let rows = st
            .query_map(p, info_from_row)
            .map_err(StoreError::from_sqlite)?;
        let mut out = Vec::new();
        for r in rows {
            let (row, path, name) = r.map_err(StoreError::from_sqlite)?;
            out.push(row.into_info(path, name)?);
        }
        Ok(out)
    }

    /// An elevation model over everything stored, reading blocks on demand.
    pub fn elevation_model(&self) -> Result<ElevationModel<'_>, StoreError> {
        Ok(ElevationModel::new(self, self.dems()?))
    }

    /// Elevations at `points`, metres (`None` where no model covers a point or it is void),
    /// and what the values came from (`None` when nothing answered).
    pub fn elevations(
        &self,
        points: &[LatLon],
    ) -> Result<(Vec<Option<f32>>, Option<DemSource>), StoreError> {
        let mut bbox = BBox::EMPTY;
        for p in points.iter().filter(|p| p.is_valid()) {
            bbox.extend(*p);
        }
        if bbox.min_lat > bbox.max_lat {
            return Ok((vec![None; points.len()], None));
        }
        let mut model = ElevationModel::new(self, self.dems_in(&bbox)?);
        let mut out = Vec::with_capacity(points.len());
        for p in points {
            out.push(model.elevation(*p)?);
        }
        let source = model.source();
        Ok((out, source))
    }

    /// Where the ground beside a route (`points` with `chainage_m`) is flat enough to camp
    /// ([`crate::core::overview::flat_spots`]); `None` when no elevation model covers it.
    pub fn flat_spots(
        &self,
        points: &[LatLon],
        chainage_m: &[f64],
    ) -> Result<Option<Vec<f64>>, StoreError> {
        let (at, probes) = crate::core::overview::flat_probes(points, chainage_m);
        let (eles, source) = self.elevations(&probes)?;
        if source.is_none() {
            return Ok(None);
        }
        let eles: Vec<Option<f64>> = eles.into_iter().map(|e| e.map(f64::from)).collect();
        Ok(Some(crate::core::overview::flat_spots(&at, &eles)))
    }

    /// The stored elevations over `bbox` as a geographic grid of about `max_cell_m` metres
    /// per cell, never finer than the finest model there (on that model's own nodes when it
    /// is geographic, so nothing is resampled), joined across tiles with the finest model
    /// answering each node. `None` when no model meets the box.
    pub fn dem_window(
        &self,
        bbox: &BBox,
        max_cell_m: f64,
    ) -> Result<Option<(Grid, DemSource)>, StoreError> {
        let dems = self.dems_in(bbox)?;
        let Some(finest) = dems.first() else {
            return Ok(None);
        };
        let want_m = if max_cell_m.is_finite() {
            max_cell_m.max(finest.cell_m)
        } else {
            finest.cell_m
        };
        let mid_lat = (bbox.min_lat + bbox.max_lat) / 2.0;
        let coslat = mid_lat.to_radians().cos().max(0.01);
        let (mut step_lat, mut step_lon, north, west) = match finest.geom.crs {
            Crs::Geographic { .. } => {
                // Whole multiples of the model's own spacing, aligned to its nodes.
                let g = &finest.geom;
                let k = (want_m / finest.cell_m).floor().max(1.0);
                let (sl, so) = (g.dy * k, g.dx * k);
                // The first node at or inside the box's north and west edges.
                let north = g.y0 - ((g.y0 - bbox.max_lat) / sl - 1e-9).ceil() * sl;
                let west = g.x0 + ((bbox.min_lon - g.x0) / so - 1e-9).ceil() * so;
                (sl, so, north, west)
            }
            Crs::Utm { .. } => {
                let sl = want_m / M_PER_DEG;
                (sl, sl / coslat, bbox.max_lat, bbox.min_lon)
            }
        };
        let count = |sl: f64, so: f64| {
            let h = ((north - bbox.min_lat) / sl + 1e-9).floor() as i64 + 1;
            let w = ((bbox.max_lon - west) / so + 1e-9).floor() as i64 + 1;
            (w.max(0) as usize, h.max(0) as usize)
        };
        let (mut w, mut h) = count(step_lat, step_lon);
        while w.saturating_mul(h) > MAX_WINDOW_NODES {
            step_lat *= 2.0;
            step_lon *= 2.0;
            (w, h) = count(step_lat, step_lon);
        }
        if w < 2 || h < 2 {
            return Ok(None);
        }
        let mut model = ElevationModel::new(self, dems);
        let mut values = Vec::with_capacity(w * h);
        for r in 0..h {
            let lat = north - step_lat * r as f64;
            for c in 0..w {
                let p = LatLon::new(lat, west + step_lon * c as f64);
                values.push(model.elevation(p)?.unwrap_or(f32::NAN));
            }
        }
        let Some(source) = model.source() else {
            return Ok(None);
        };
        Ok(Some((
            Grid {
                north_lat: north,
                west_lon: west,
                step_lat_deg: step_lat,
                step_lon_deg: step_lon,
                width: w,
                height: h,
                values,
            },
            source,
        )))
    }

    fn dem_block(&self, file_id: i64, bx: i64, by: i64) -> Result<Option<Block>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT cols, rows, encoding, data FROM dem_blocks WHERE file_id = ?1 AND by = ?2 AND bx = ?3",
            )
            .map_err(StoreError::from_sqlite)?;
        let row: Option<(i64, i64, i64, Vec<u8>)> = st
            .query_row(params![file_id, by, bx], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
            .map_err(StoreError::from_sqlite)?;
        let Some((cols, rows, enc, data)) = row else {
            return Ok(None);
        };
        let (cols, rows) = (
            usize::try_from(cols).unwrap_or(0),
            usize::try_from(rows).unwrap_or(0),
        );
        let values = decode_block(enc, &data, cols * rows)?;
        Ok(Some(Block { cols, rows, values }))
    }
}

struct Block {
    cols: usize,
    rows: usize,
    values: Vec<f32>,
}

struct ModelDem {
    info: DemInfo,
    tm: Option<TransverseMercator>,
    used: bool,
}

/// Elevations from the stored models, with a bounded cache of decoded blocks
/// ([`BLOCK_CACHE`]). Built by [`Store::elevation_model`]; borrows the store.
pub struct ElevationModel<'a> {
    store: &'a Store,
    dems: Vec<ModelDem>,
    /// Models touching each whole-degree cell, finest first (indices into `dems`).
    by_degree: HashMap<(i32, i32), Vec<usize>>,
    blocks: HashMap<(usize, i64, i64), (Option<Block>, u64)>,
    tick: u64,
    /// The degree cell of the last point and the models to try there, finest first.
    last_key: Option<(i32, i32)>,
    candidates: Vec<usize>,
}

impl std::fmt::Debug for ElevationModel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElevationModel")
            .field("dems", &self.dems.len())
            .field("blocks", &self.blocks.len())
            .finish()
    }
}

impl<'a> ElevationModel<'a> {
    fn new(store: &'a Store, infos: Vec<DemInfo>) -> Self {
        let mut by_degree: HashMap<(i32, i32), Vec<usize>> = HashMap::new();
        let mut dems = Vec::with_capacity(infos.len());
        for (i, info) in infos.into_iter().enumerate() {
            let b = info.bbox;
            let (la0, la1) = (b.min_lat.floor() as i32, b.max_lat.floor() as i32);
            let (lo0, lo1) = (b.min_lon.floor() as i32, b.max_lon.floor() as i32);
            // A model spanning more than 30° a side would list thousands of cells; put such
            // rare continental rasters in every cell they touch anyway, capped.
            for la in la0..=la1.min(la0 + 180) {
                for lo in lo0..=lo1.min(lo0 + 360) {
                    by_degree.entry((la, lo)).or_default().push(i);
                }
            }
            let tm = info.geom.projection();
            dems.push(ModelDem {
                info,
                tm,
                used: false,
            });
        }
        ElevationModel {
            store,
            dems,
            by_degree,
            blocks: HashMap::new(),
            tick: 0,
            last_key: None,
            candidates: Vec::new(),
        }
    }

    /// The elevation at `p`, metres: the finest model's bilinear value where it is not void.
    pub fn elevation(&mut self, p: LatLon) -> Result<Option<f32>, StoreError> {
        if !p.is_valid() {
            return Ok(None);
        }
        let key = (p.lat.floor() as i32, p.lon.floor() as i32);
        // Consecutive points are nearly always in the same degree cell: keep its list.
        if self.last_key != Some(key) {
            // Nodes on a degree line may belong to the cell below or left of it.
            self.candidates.clear();
            for k in [key, (key.0 - 1, key.1), (key.0, key.1 - 1)] {
                if let Some(list) = self.by_degree.get(&k) {
                    for &i in list {
                        if !self.candidates.contains(&i) {
                            self.candidates.push(i);
                        }
                    }
                }
            }
            self.candidates.sort_unstable();
            self.last_key = Some(key);
        }
        for n in 0..self.candidates.len() {
            let Some(&i) = self.candidates.get(n) else {
                break;
            };
            if let Some(v) = self.sample_dem(i, p)? {
                if let Some(d) = self.dems.get_mut(i) {
                    d.used = true;
                }
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    fn sample_dem(&mut self, i: usize, p: LatLon) -> Result<Option<f32>, StoreError> {
        let Some(d) = self.dems.get(i) else {
            return Ok(None);
        };
        let b = &d.info.bbox;
        if p.lat < b.min_lat - 1e-9
            || p.lat > b.max_lat + 1e-9
            || p.lon < b.min_lon - 1e-9
            || p.lon > b.max_lon + 1e-9
        {
            return Ok(None);
        }
        let g = d.info.geom;
        let (col, row) = g.cell_of(p, d.tm.as_ref());
        if !(col >= -1e-6
            && row >= -1e-6
            && col <= (g.width - 1) as f64 + 1e-6
            && row <= (g.height - 1) as f64 + 1e-6)
        {
            return Ok(None);
        }
        let bx = ((col.max(0.0) / BLOCK as f64).floor() as i64).min(((g.width - 2) / BLOCK) as i64);
        let by =
            ((row.max(0.0) / BLOCK as f64).floor() as i64).min(((g.height - 2) / BLOCK) as i64);
        let file_id = d.info.id;
        self.tick += 1;
        let tick = self.tick;
        if !self.blocks.contains_key(&(i, bx, by)) {
            if self.blocks.len() >= BLOCK_CACHE
                && let Some(oldest) = self
                    .blocks
                    .iter()
                    .min_by_key(|(_, (_, t))| *t)
                    .map(|(k, _)| *k)
            {
                self.blocks.remove(&oldest);
            }
            let block = self.store.dem_block(file_id, bx, by)?;
            self.blocks.insert((i, bx, by), (block, tick));
        }
        let Some((block, t)) = self.blocks.get_mut(&(i, bx, by)) else {
            return Ok(None);
        };
        *t = tick;
        let Some(block) = block else {
            return Ok(None);
        };
        let lc = col - (bx as usize * BLOCK) as f64;
        let lr = row - (by as usize * BLOCK) as f64;
        Ok(bilinear(&block.values, block.cols, block.rows, lc, lr))
    }

    /// The models that answered so far, finest first.
    pub fn source(&self) -> Option<DemSource> {
        let used: Vec<&ModelDem> = self.dems.iter().filter(|d| d.used).collect();
        let first = used.first()?;
        Some(DemSource {
            names: used.iter().map(|d| d.info.name.clone()).collect(),
            cell_m: first.info.cell_m,
        })
    }
}
