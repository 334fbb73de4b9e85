//! OpenStreetMap map data in the database: the import sink (one transaction per file), the
//! replacement of older extracts, and the queries the map layers and navigation call.
//!
//! Each layer has a table and an R*Tree over `(lon, lat, [0, max_scale])`, so a view asks
//! for "what intersects this box and shows at this scale" and reads nothing else. Geometry is
//! stored at the four levels of `core::map::geom::LEVELS`, packed as little-endian i32
//! 1e-7-degree pairs (the PBF's own precision, so lengths equal osmium's).
//!
//! Replacing: an import of file B, in its one transaction, (1) deletes every earlier map
//! file whose box lies inside B's box (a newer extract of the same area, or the same file
//! at the same path), and (2) deletes features of other files that have the same OSM id as
//! a feature of B (neighbouring extracts overlap along their border; the last import wins).
//! The same content (hash and `--around` filter) imported again is `unchanged`.
//!
//! Not for reading PBF (`import::osm`) or deciding what a tag means (`core::map::rules`).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension as _, Transaction, TransactionBehavior, params};

use super::{FileStatus, Store, StoreError, rtree_pack};
use crate::core::geodesy::{distance_m, path_length_m};
use crate::core::map::corridor::Corridor;
use crate::core::map::geom::{self, LEVELS};
use crate::core::map::{
    Area, AreaKind, MapData, OsmId, Place, PlaceKind, Poi, PoiKind, Polygon, Road, RoadClass,
    Surface, WaterLine, WaterLineKind,
};
use crate::core::model::{BBox, LatLon};
use crate::import::SinkError;
use crate::import::osm::{
    self, MapCounts, MapSink, OsmHeader, Prepare, Prepared, Progress, ReadOptions, Shape,
};

/// How to import map data.
#[derive(Debug, Default, Clone, Copy)]
pub struct MapImportOptions<'a> {
    /// Keep only what reaches into this corridor, with a label saying which (`around 12,13
    /// within 25000 m`), part of the file's identity.
    pub corridor: Option<(&'a Corridor, &'a str)>,
    /// Decoding threads (0: one per core).
    pub threads: usize,
}

/// The outcome of importing one map file.
#[derive(Debug, Clone)]
pub struct MapImportReport {
    /// The file as given.
    pub path: PathBuf,
    /// Imported, unchanged or failed.
    pub status: FileStatus,
    /// What the file held and what was stored (zero when failed).
    pub counts: MapCounts,
    /// The file's header, when read.
    pub header: Option<OsmHeader>,
    /// Earlier map files this one replaced.
    pub replaced_files: u64,
    /// Features of other files replaced by this file's (same OSM id).
    pub replaced_features: u64,
    /// One line saying what went wrong: `path: blob at byte N: message`.
    pub error: Option<String>,
}

impl MapImportReport {
    fn failed(path: &Path, error: String) -> Self {
        MapImportReport {
            path: path.to_path_buf(),
            status: FileStatus::Failed,
            counts: MapCounts::default(),
            header: None,
            replaced_files: 0,
            replaced_features: 0,
            error: Some(error),
        }
    }
}

/// One imported map file.
#[derive(Debug, Clone, PartialEq)]
pub struct MapFileInfo {
    /// The canonical path (or label).
    pub path: String,
    /// Bytes.
    pub size_bytes: u64,
    /// The OSM data's date (the header's replication timestamp), Unix ms.
    pub replication_ms: Option<i64>,
    /// The program that wrote it.
    pub generator: Option<String>,
    /// The header box, else the box of what was stored.
    pub bbox: Option<BBox>,
    /// When it was imported, Unix ms.
    pub imported_ms: i64,
    /// The `--around` filter, empty for the whole file.
    pub filter: String,
    /// What the import delivered.
    pub counts: MapCounts,
}

/// What map data the database holds (`trailatlas map info`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapInfo {
    /// Kilometres of road per `highway` value, over the stored geometry, sorted by value.
    pub roads_km: Vec<(String, f64)>,
    /// Road count.
    pub roads: u64,
    /// Water lines per kind.
    pub water_lines: Vec<(String, u64)>,
    /// Areas per kind.
    pub areas: Vec<(String, u64)>,
    /// Places.
    pub places: u64,
    /// POIs per kind.
    pub pois: Vec<(String, u64)>,
    /// The box of every file.
    pub bbox: Option<BBox>,
    /// The files, oldest import first.
    pub files: Vec<MapFileInfo>,
}

// ---- geometry blobs ----

fn e7(v: f64) -> i32 {
    (v * 1e7)
        .round()
        .clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

fn put_points(buf: &mut Vec<u8>, pts: &[LatLon]) {
    for p in pts {
        buf.extend_from_slice(&e7(p.lat).to_le_bytes());
        buf.extend_from_slice(&e7(p.lon).to_le_bytes());
    }
}

fn pack_line(pts: &[LatLon]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(pts.len() * 8);
    put_points(&mut buf, pts);
    buf
}

fn read_i32(b: &[u8], at: usize) -> Option<i32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(i32::from_le_bytes(s))
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(s))
}

fn unpack_points(b: &[u8], at: &mut usize, n: usize) -> Result<Vec<LatLon>, StoreError> {
    let mut out = Vec::with_capacity(n.min(b.len() / 8));
    for _ in 0..n {
        let (Some(lat), Some(lon)) = (read_i32(b, *at), read_i32(b, *at + 4)) else {
            return Err(StoreError::Corrupt("map geometry cut short".into()));
        };
        out.push(LatLon::new(f64::from(lat) * 1e-7, f64::from(lon) * 1e-7));
        *at += 8;
    }
    Ok(out)
}

fn unpack_line(b: &[u8]) -> Result<Vec<LatLon>, StoreError> {
    if !b.len().is_multiple_of(8) {
        return Err(StoreError::Corrupt(
            "map line geometry of odd length".into(),
        ));
    }
    unpack_points(b, &mut 0, b.len() / 8)
}

/// `[u32 polygons] { [u32 rings] { [u32 points] points } }`, the outer ring first.
fn pack_polygons(polys: &[Polygon]) -> Vec<u8> {
    let mut buf = Vec::new();
    buf.extend_from_slice(&(polys.len() as u32).to_le_bytes());
    for p in polys {
        buf.extend_from_slice(&(1 + p.inners.len() as u32).to_le_bytes());
        for ring in std::iter::once(&p.outer).chain(&p.inners) {
            buf.extend_from_slice(&(ring.len() as u32).to_le_bytes());
            put_points(&mut buf, ring);
        }
    }
    buf
}

fn unpack_polygons(b: &[u8]) -> Result<Vec<Polygon>, StoreError> {
    if b.is_empty() {
        return Ok(Vec::new());
    }
    let bad = || StoreError::Corrupt("map area geometry cut short".into());
    let mut at = 0usize;
    let n = read_u32(b, at).ok_or_else(bad)? as usize;
    at += 4;
    let mut out = Vec::with_capacity(n.min(b.len() / 4));
    for _ in 0..n {
        let rings = read_u32(b, at).ok_or_else(bad)? as usize;
        at += 4;
        let mut poly = Polygon::default();
        for r in 0..rings {
            let pts = read_u32(b, at).ok_or_else(bad)? as usize;
            at += 4;
            if pts > (b.len() - at.min(b.len())) / 8 {
                return Err(bad());
            }
            let ring = unpack_points(b, &mut at, pts)?;
            if r == 0 {
                poly.outer = ring;
            } else {
                poly.inners.push(ring);
            }
        }
        out.push(poly);
    }
    Ok(out)
}

/// The blobs for levels 1..=3 of a line: `None` where the level equals the finer one.
fn line_levels(full: &[LatLon]) -> [Option<Vec<u8>>; 3] {
    let mut prev_len = full.len();
    let mut out: [Option<Vec<u8>>; 3] = [None, None, None];
    let mut src: Vec<LatLon> = full.to_vec();
    for (slot, (_, tol)) in out.iter_mut().zip(LEVELS.iter().skip(1)) {
        let s = geom::simplify(&src, *tol);
        if s.len() < prev_len {
            *slot = Some(pack_line(&s));
            prev_len = s.len();
            src = s;
        }
    }
    out
}

fn simplify_polygons(polys: &[Polygon], tol_m: f64) -> Vec<Polygon> {
    polys
        .iter()
        .filter_map(|p| {
            let outer = geom::simplify_ring(&p.outer, tol_m)?;
            let inners = p
                .inners
                .iter()
                .filter_map(|r| geom::simplify_ring(r, tol_m))
                .collect();
            Some(Polygon { outer, inners })
        })
        .collect()
}

fn count_points(polys: &[Polygon]) -> usize {
    polys
        .iter()
        .map(|p| p.outer.len() + p.inners.iter().map(Vec::len).sum::<usize>())
        .sum()
}

fn area_levels(full: &[Polygon]) -> [Option<Vec<u8>>; 3] {
    let mut prev = count_points(full);
    let mut out: [Option<Vec<u8>>; 3] = [None, None, None];
    for (slot, (_, tol)) in out.iter_mut().zip(LEVELS.iter().skip(1)) {
        let s = simplify_polygons(full, *tol);
        let n = count_points(&s);
        if n < prev {
            *slot = Some(pack_polygons(&s));
            prev = n;
        }
    }
    out
}

fn bbox_of<'a>(pts: impl IntoIterator<Item = &'a LatLon>) -> BBox {
    let mut b = BBox::EMPTY;
    for &p in pts {
        b.extend(p);
    }
    b
}

/// A shape's stored form: its box, length and encoded levels. Run by the reader on its
/// worker threads (the sink's [`MapSink::prepare`]), or by the sink when nothing came with
/// the feature.
fn prepare_shape(shape: Shape<'_>) -> Prepared {
    match shape {
        Shape::Line(pts) => Prepared {
            bbox: bbox_of(pts),
            length_m: path_length_m(pts.iter().copied()),
            full: pack_line(pts),
            coarser: line_levels(pts),
        },
        Shape::Polygons(polys) => Prepared {
            bbox: bbox_of(polys.iter().flat_map(|p| p.outer.iter())),
            length_m: 0.0,
            full: pack_polygons(polys),
            coarser: area_levels(polys),
        },
    }
}

// ---- the sink ----

struct MapStoreSink<'t, 'c> {
    tx: &'t Transaction<'c>,
    /// Each layer's INSERT (in [`LAYERS`] order), prepared on first use and held, rather
    /// than looked up in the connection's statement cache per row.
    inserts: [Option<rusqlite::Statement<'t>>; 5],
    file_id: i64,
    bbox: BBox,
    /// Each layer's R*Tree boxes (in [`LAYERS`] order), packed into the trees at the end.
    boxes: [Vec<rtree_pack::Entry>; 5],
}

/// The R*Tree box of a feature: its bbox, at scales 0 to `max_scale`.
fn rtree_entry(id: i64, b: &BBox, max_scale: u32) -> rtree_pack::Entry {
    rtree_pack::Entry::new(
        id,
        [
            b.min_lon,
            b.max_lon,
            b.min_lat,
            b.max_lat,
            0.0,
            f64::from(max_scale),
        ],
    )
}

/// Each layer's INSERT, in [`LAYERS`] order.
const INSERTS: [&str; 5] = [
    "INSERT INTO map_roads (file_id, osm, highway, class, surface, surface_tag, tracktype,
     smoothness, four_wd_only, access, motor_vehicle, name, ref, bridge, tunnel, ford, oneway,
     seasonal, drivable, max_scale, length_m, g0, g1, g2, g3)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
     ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
    "INSERT INTO map_water_lines (file_id, osm, kind, name, intermittent, max_scale, length_m,
     g0, g1, g2, g3) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    "INSERT INTO map_areas (file_id, osm, kind, name, protect_class, operator, max_scale,
     area_m2, g0, g1, g2, g3) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    "INSERT INTO map_places (file_id, osm, kind, name, population, max_scale, lat, lon)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "INSERT INTO map_pois (file_id, osm, kind, name, brand, opening_hours, ele, max_scale, lat,
     lon) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
];

impl<'t> MapStoreSink<'t, '_> {
    /// Layer `layer`'s INSERT statement.
    fn insert(&mut self, layer: usize) -> Result<&mut rusqlite::Statement<'t>, SinkError> {
        let (Some(slot), Some(sql)) = (self.inserts.get_mut(layer), INSERTS.get(layer)) else {
            return Err(format!("no map layer {layer}").into());
        };
        Ok(match slot {
            Some(st) => st,
            None => slot.insert(self.tx.prepare(sql)?),
        })
    }

    /// Runs layer `layer`'s INSERT; keeps the new row's R*Tree box.
    fn put(
        &mut self,
        layer: usize,
        params: &[&dyn rusqlite::ToSql],
        b: &BBox,
        max_scale: u32,
    ) -> Result<(), SinkError> {
        self.insert(layer)?.execute(params)?;
        let id = self.tx.last_insert_rowid();
        if let Some(boxes) = self.boxes.get_mut(layer) {
            boxes.push(rtree_entry(id, b, max_scale));
        }
        self.grow(b);
        Ok(())
    }
}

impl MapStoreSink<'_, '_> {
    fn grow(&mut self, b: &BBox) {
        if !b.is_empty() {
            self.bbox.extend(LatLon::new(b.min_lat, b.min_lon));
            self.bbox.extend(LatLon::new(b.max_lat, b.max_lon));
        }
    }
}

impl MapSink for MapStoreSink<'_, '_> {
    fn prepare(&self) -> Option<Prepare> {
        Some(prepare_shape)
    }

    fn road(&mut self, r: Road, prepared: Option<Prepared>) -> Result<(), SinkError> {
        let file_id = self.file_id;
        let p = prepared.unwrap_or_else(|| prepare_shape(Shape::Line(&r.geometry)));
        let [g1, g2, g3] = &p.coarser;
        self.put(
            0,
            params![
                file_id,
                r.osm.to_text(),
                r.highway,
                r.class.as_str(),
                r.surface.as_str(),
                r.surface_tag,
                r.tracktype,
                r.smoothness,
                r.four_wd_only,
                r.access,
                r.motor_vehicle,
                r.name,
                r.ref_,
                r.bridge,
                r.tunnel,
                r.ford,
                r.oneway,
                r.seasonal,
                r.drivable,
                i64::from(r.max_scale),
                p.length_m,
                p.full,
                g1,
                g2,
                g3
            ],
            &p.bbox,
            r.max_scale,
        )
    }

    fn water_line(&mut self, w: WaterLine, prepared: Option<Prepared>) -> Result<(), SinkError> {
        let file_id = self.file_id;
        let p = prepared.unwrap_or_else(|| prepare_shape(Shape::Line(&w.geometry)));
        let [g1, g2, g3] = &p.coarser;
        self.put(
            1,
            params![
                file_id,
                w.osm.to_text(),
                w.kind.as_str(),
                w.name,
                w.intermittent,
                i64::from(w.max_scale),
                p.length_m,
                p.full,
                g1,
                g2,
                g3
            ],
            &p.bbox,
            w.max_scale,
        )
    }

    fn area(&mut self, a: Area, prepared: Option<Prepared>) -> Result<(), SinkError> {
        let file_id = self.file_id;
        let p = prepared.unwrap_or_else(|| prepare_shape(Shape::Polygons(&a.polygons)));
        let [g1, g2, g3] = &p.coarser;
        self.put(
            2,
            params![
                file_id,
                a.osm.to_text(),
                a.kind.as_str(),
                a.name,
                a.protect_class,
                a.operator,
                i64::from(a.max_scale),
                a.area_m2,
                p.full,
                g1,
                g2,
                g3
            ],
            &p.bbox,
            a.max_scale,
        )
    }

    fn place(&mut self, p: Place) -> Result<(), SinkError> {
        let file_id = self.file_id;
        self.put(
            3,
            params![
                file_id,
                p.osm.to_text(),
                p.kind.as_str(),
                p.name,
                p.population.map(|n| n.min(i64::MAX as u64) as i64),
                i64::from(p.max_scale),
                p.at.lat,
                p.at.lon
            ],
            &bbox_of([&p.at]),
            p.max_scale,
        )
    }

    fn poi(&mut self, p: Poi) -> Result<(), SinkError> {
        let file_id = self.file_id;
        self.put(
            4,
            params![
                file_id,
                p.osm.to_text(),
                p.kind.as_str(),
                p.name,
                p.brand,
                p.opening_hours,
                p.ele_m,
                i64::from(p.max_scale),
                p.at.lat,
                p.at.lon
            ],
            &bbox_of([&p.at]),
            p.max_scale,
        )
    }
}

const LAYERS: [&str; 5] = [
    "map_roads",
    "map_water_lines",
    "map_areas",
    "map_places",
    "map_pois",
];

enum Failure {
    Read(osm::OsmError),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Store(StoreError::from_sqlite(e))
    }
}

fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(BufReader::with_capacity(1 << 16, file))?;
    Ok((hasher.finalize().to_hex().to_string(), size))
}

impl Store {
    /// Imports one `.osm.pbf` file in one transaction: its features replace older ones (see
    /// the module docs), or nothing changes.
    pub fn import_map_file(
        &mut self,
        path: &Path,
        opts: MapImportOptions<'_>,
        on_progress: &mut dyn FnMut(Progress),
    ) -> MapImportReport {
        if path.is_dir() {
            return MapImportReport::failed(
                path,
                format!("{}: is a directory, not an .osm.pbf file", path.display()),
            );
        }
        let (hash, size) = match hash_file(path) {
            Ok(h) => h,
            Err(e) => return MapImportReport::failed(path, format!("{}: {e}", path.display())),
        };
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let key = key.to_string_lossy().into_owned();
        let corridor = opts.corridor.map(|(c, _)| c);
        let threads = opts.threads;
        let read = |sink: &mut dyn MapSink| {
            osm::read_file(
                path,
                sink,
                ReadOptions {
                    corridor,
                    progress: Some(on_progress),
                    threads,
                },
            )
        };
        self.import_map_keyed(path, &key, &hash, size, opts, read)
    }

    /// Imports an extract held in memory under `label` (fuzzing, tests), like a file.
    pub fn import_map_bytes(&mut self, label: &str, bytes: &[u8]) -> MapImportReport {
        let hash = blake3::hash(bytes).to_hex().to_string();
        let path = Path::new(label);
        let read = |sink: &mut dyn MapSink| {
            osm::read_bytes(
                path,
                bytes,
                sink,
                ReadOptions {
                    threads: 1,
                    ..ReadOptions::default()
                },
            )
        };
        self.import_map_keyed(
            path,
            label,
            &hash,
            bytes.len() as u64,
            MapImportOptions::default(),
            read,
        )
    }

    fn import_map_keyed(
        &mut self,
        path: &Path,
        key: &str,
        hash: &str,
        size: u64,
        opts: MapImportOptions<'_>,
        read: impl FnOnce(&mut dyn MapSink) -> Result<MapCounts, osm::OsmError>,
    ) -> MapImportReport {
        let filter = opts.corridor.map_or("", |(_, label)| label).to_string();
        let r = self.bulk(|s| s.import_map_tx(path, key, hash, size, &filter, read));
        match r {
            Ok(r) => r,
            Err(Failure::Read(e)) => MapImportReport::failed(path, e.to_string()),
            Err(Failure::Store(e)) => {
                MapImportReport::failed(path, format!("{}: {e}", path.display()))
            }
        }
    }

    fn import_map_tx(
        &mut self,
        path: &Path,
        key: &str,
        hash: &str,
        size: u64,
        filter: &str,
        read: impl FnOnce(&mut dyn MapSink) -> Result<MapCounts, osm::OsmError>,
    ) -> Result<MapImportReport, Failure> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let same: Option<i64> = tx
            .query_row(
                "SELECT id FROM map_files WHERE hash = ?1 AND filter = ?2",
                params![hash, filter],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = same {
            let info = file_info(&tx, id)?;
            return Ok(MapImportReport {
                path: path.to_path_buf(),
                status: FileStatus::Unchanged,
                counts: info.map(|i| i.counts).unwrap_or_default(),
                header: None,
                replaced_files: 0,
                replaced_features: 0,
                error: None,
            });
        }
        tx.execute(
            "INSERT INTO map_files (path, hash, filter, size_bytes, imported_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key, hash, filter, size as i64, super::now_ms()],
        )?;
        let file_id = tx.last_insert_rowid();
        let mut header = OsmHeader::default();
        let (counts, data_bbox) = {
            struct Wrap<'s, 't, 'c> {
                inner: MapStoreSink<'t, 'c>,
                header: &'s mut OsmHeader,
            }
            impl MapSink for Wrap<'_, '_, '_> {
                fn header(&mut self, h: &OsmHeader) -> Result<(), SinkError> {
                    *self.header = h.clone();
                    Ok(())
                }
                fn prepare(&self) -> Option<Prepare> {
                    self.inner.prepare()
                }
                fn road(&mut self, r: Road, p: Option<Prepared>) -> Result<(), SinkError> {
                    self.inner.road(r, p)
                }
                fn water_line(
                    &mut self,
                    l: WaterLine,
                    p: Option<Prepared>,
                ) -> Result<(), SinkError> {
                    self.inner.water_line(l, p)
                }
                fn area(&mut self, a: Area, p: Option<Prepared>) -> Result<(), SinkError> {
                    self.inner.area(a, p)
                }
                fn place(&mut self, p: Place) -> Result<(), SinkError> {
                    self.inner.place(p)
                }
                fn poi(&mut self, p: Poi) -> Result<(), SinkError> {
                    self.inner.poi(p)
                }
            }
            let mut sink = Wrap {
                inner: MapStoreSink {
                    tx: &tx,
                    inserts: Default::default(),
                    file_id,
                    bbox: BBox::EMPTY,
                    boxes: Default::default(),
                },
                header: &mut header,
            };
            let counts = read(&mut sink).map_err(Failure::Read)?;
            for (table, boxes) in LAYERS.iter().zip(std::mem::take(&mut sink.inner.boxes)) {
                rtree_pack::add(&tx, &format!("{table}_rtree"), boxes)?;
            }
            (counts, sink.inner.bbox)
        };
        // A corridor import covers only the corridor, so it replaces no whole file.
        let bbox = if filter.is_empty() {
            header.bbox.or((!data_bbox.is_empty()).then_some(data_bbox))
        } else {
            (!data_bbox.is_empty()).then_some(data_bbox)
        };
        tx.execute(
            "UPDATE map_files SET replication_ms = ?2, generator = ?3, min_lon = ?4,
             min_lat = ?5, max_lon = ?6, max_lat = ?7, nodes = ?8, ways = ?9, relations = ?10,
             roads = ?11, water_lines = ?12, areas = ?13, places = ?14, pois = ?15,
             broken_relations = ?16, clipped_ways = ?17, outside_corridor = ?18 WHERE id = ?1",
            params![
                file_id,
                header.replication_ms,
                header.generator,
                bbox.map(|b| b.min_lon),
                bbox.map(|b| b.min_lat),
                bbox.map(|b| b.max_lon),
                bbox.map(|b| b.max_lat),
                counts.nodes as i64,
                counts.ways as i64,
                counts.relations as i64,
                counts.roads as i64,
                counts.water_lines as i64,
                counts.areas as i64,
                counts.places as i64,
                counts.pois as i64,
                counts.broken_relations as i64,
                counts.clipped_ways as i64,
                counts.outside_corridor as i64,
            ],
        )?;
        // (1) Whole files this one covers, and an earlier import of the same path.
        let mut replaced_files = tx.execute(
            "DELETE FROM map_files WHERE id <> ?1 AND (path = ?2 OR (?3 IS NOT NULL AND
             min_lon >= ?3 AND min_lat >= ?4 AND max_lon <= ?5 AND max_lat <= ?6))",
            params![
                file_id,
                key,
                bbox.map(|b| b.min_lon),
                bbox.map(|b| b.min_lat),
                bbox.map(|b| b.max_lon),
                bbox.map(|b| b.max_lat),
            ],
        )? as u64;
        // A whole-file import also replaces corridor imports of the same file.
        if filter.is_empty() {
            replaced_files += tx.execute(
                "DELETE FROM map_files WHERE id <> ?1 AND hash = ?2",
                params![file_id, hash],
            )? as u64;
        }
        // (2) Features of other files that this file also has.
        let mut replaced_features = 0u64;
        for table in LAYERS {
            // Only where another file has features in this table: on a first import (or once
            // (1) removed the file this one replaces) the join over every new feature finds
            // nothing. Two index ranges, not a scan (`file_id <> ?` would scan the index).
            let others: bool = tx.query_row(
                &format!(
                    "SELECT EXISTS(SELECT 1 FROM {table} WHERE file_id < ?1)
                     OR EXISTS(SELECT 1 FROM {table} WHERE file_id > ?1)"
                ),
                [file_id],
                |r| r.get(0),
            )?;
            if !others {
                continue;
            }
            let sql = format!(
                "DELETE FROM {table} WHERE file_id <> ?1 AND osm IN
                 (SELECT osm FROM {table} WHERE file_id = ?1)"
            );
            replaced_features += tx.execute(&sql, [file_id])? as u64;
        }
        tx.commit()?;
        Ok(MapImportReport {
            path: path.to_path_buf(),
            status: FileStatus::Imported,
            counts,
            header: Some(header),
            replaced_files,
            replaced_features,
            error: None,
        })
    }

    /// Roads by a `WHERE` clause over `map_roads m` (joined as it needs), geometry column `g`.
    fn query_roads(
        &self,
        g: &str,
        join_where: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Road>, StoreError> {
        let sql = format!(
            "SELECT m.osm, m.highway, m.class, m.surface, m.surface_tag, m.tracktype,
             m.smoothness, m.four_wd_only, m.access, m.motor_vehicle, m.name, m.ref,
             m.bridge, m.tunnel, m.ford, m.oneway, m.seasonal, m.drivable, m.max_scale,
             {g} FROM map_roads m {join_where}"
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let mut rows = st.query(args)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let geometry = match r.get_ref(19)? {
                rusqlite::types::ValueRef::Blob(b) => unpack_line(b)?,
                _ => Vec::new(),
            };
            out.push(Road {
                osm: osm_id(&r.get::<_, String>(0)?)?,
                highway: r.get(1)?,
                class: RoadClass::parse(&r.get::<_, String>(2)?).unwrap_or(RoadClass::Other),
                surface: Surface::parse(&r.get::<_, String>(3)?).unwrap_or(Surface::Unknown),
                surface_tag: r.get(4)?,
                tracktype: r.get(5)?,
                smoothness: r.get(6)?,
                four_wd_only: r.get(7)?,
                access: r.get(8)?,
                motor_vehicle: r.get(9)?,
                name: r.get(10)?,
                ref_: r.get(11)?,
                bridge: r.get(12)?,
                tunnel: r.get(13)?,
                ford: r.get(14)?,
                oneway: r.get(15)?,
                seasonal: r.get(16)?,
                drivable: r.get(17)?,
                max_scale: r.get(18)?,
                geometry,
            });
        }
        Ok(out)
    }

    /// Every road intersecting `bbox`, whatever its scale, with full geometry: what the
    /// route matcher needs. In the order they were stored (the file's), whatever the order
    /// of the R*Tree's pages.
    pub fn map_roads_in_bbox(&self, bbox: &BBox) -> Result<Vec<Road>, StoreError> {
        let roads = self.query_roads(
            "m.g0",
            "JOIN map_roads_rtree k ON k.id = m.id WHERE k.max_lon >= ?1 AND k.min_lon <= ?2
             AND k.max_lat >= ?3 AND k.min_lat <= ?4 ORDER BY m.id",
            params![bbox.min_lon, bbox.max_lon, bbox.min_lat, bbox.max_lat],
        )?;
        Ok(roads
            .into_iter()
            .filter(|r| r.geometry.len() >= 2)
            .collect())
    }

    /// Roads by OSM way, without geometry (the attributes a cue sheet names); ids not in
    /// the map are absent.
    pub fn map_roads_by_osm(&self, ids: &[OsmId]) -> Result<Vec<Road>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let mut r = self.query_roads("NULL", "WHERE m.osm = ?1 LIMIT 1", [id.to_text()])?;
            out.append(&mut r);
        }
        Ok(out)
    }

    /// The features intersecting `bbox` that show at 1:`scale_denom`
    /// (`max_scale >= scale_denom`), with geometry at the level for that scale.
    pub fn map_in_bbox(&self, bbox: &BBox, scale_denom: u32) -> Result<MapData, StoreError> {
        let level = geom::level_for_scale(scale_denom);
        let g = match level {
            0 => "g0",
            1 => "coalesce(g1, g0)",
            2 => "coalesce(g2, g1, g0)",
            _ => "coalesce(g3, g2, g1, g0)",
        };
        let args = params![
            bbox.min_lon,
            bbox.max_lon,
            bbox.min_lat,
            bbox.max_lat,
            i64::from(scale_denom)
        ];
        let hit = |t: &str| {
            format!(
                "JOIN {t}_rtree k ON k.id = m.id WHERE k.max_lon >= ?1 AND k.min_lon <= ?2
                 AND k.max_lat >= ?3 AND k.min_lat <= ?4 AND k.max_scale >= ?5
                 AND m.max_scale >= ?5"
            )
        };
        let mut data = MapData {
            roads: self
                .query_roads(g, &hit("map_roads"), args)?
                .into_iter()
                .filter(|r| r.geometry.len() >= 2)
                .collect(),
            ..MapData::default()
        };
        {
            let sql = format!(
                "SELECT m.osm, m.kind, m.name, m.intermittent, m.max_scale, {g}
                 FROM map_water_lines m {}",
                hit("map_water_lines")
            );
            let mut st = self.conn.prepare_cached(&sql)?;
            let mut rows = st.query(args)?;
            while let Some(r) = rows.next()? {
                let blob: Vec<u8> = r.get(5)?;
                let geometry = unpack_line(&blob)?;
                if geometry.len() < 2 {
                    continue;
                }
                let kind: String = r.get(1)?;
                data.water_lines.push(WaterLine {
                    osm: osm_id(&r.get::<_, String>(0)?)?,
                    kind: WaterLineKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("water kind {kind:?}")))?,
                    name: r.get(2)?,
                    intermittent: r.get(3)?,
                    max_scale: r.get(4)?,
                    geometry,
                });
            }
        }
        {
            let sql = format!(
                "SELECT m.osm, m.kind, m.name, m.protect_class, m.operator, m.max_scale,
                 m.area_m2, {g} FROM map_areas m {}",
                hit("map_areas")
            );
            let mut st = self.conn.prepare_cached(&sql)?;
            let mut rows = st.query(args)?;
            while let Some(r) = rows.next()? {
                let blob: Vec<u8> = r.get(7)?;
                let polygons = unpack_polygons(&blob)?;
                if polygons.is_empty() {
                    continue;
                }
                let kind: String = r.get(1)?;
                data.areas.push(Area {
                    osm: osm_id(&r.get::<_, String>(0)?)?,
                    kind: AreaKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("area kind {kind:?}")))?,
                    name: r.get(2)?,
                    protect_class: r.get(3)?,
                    operator: r.get(4)?,
                    max_scale: r.get(5)?,
                    area_m2: r.get(6)?,
                    polygons,
                });
            }
        }
        {
            let sql = format!(
                "SELECT m.osm, m.kind, m.name, m.population, m.max_scale, m.lat, m.lon
                 FROM map_places m {}",
                hit("map_places")
            );
            let mut st = self.conn.prepare_cached(&sql)?;
            let mut rows = st.query(args)?;
            while let Some(r) = rows.next()? {
                let kind: String = r.get(1)?;
                data.places.push(Place {
                    osm: osm_id(&r.get::<_, String>(0)?)?,
                    kind: PlaceKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("place kind {kind:?}")))?,
                    name: r.get(2)?,
                    population: r.get::<_, Option<i64>>(3)?.map(|n| n.max(0) as u64),
                    max_scale: r.get(4)?,
                    at: LatLon::new(r.get(5)?, r.get(6)?),
                });
            }
        }
        data.pois = self.pois_where(&hit("map_pois"), args)?;
        data.roads
            .sort_by(|a, b| a.class.cmp(&b.class).then(a.osm.cmp(&b.osm)));
        data.areas.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
        data.places.sort_by(|a, b| {
            a.kind
                .cmp(&b.kind)
                .then(b.population.cmp(&a.population))
                .then(a.osm.cmp(&b.osm))
        });
        Ok(data)
    }

    fn pois_where(
        &self,
        clause: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Poi>, StoreError> {
        let sql = format!(
            "SELECT m.osm, m.kind, m.name, m.brand, m.opening_hours, m.ele, m.max_scale,
             m.lat, m.lon FROM map_pois m {clause} ORDER BY m.id"
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let mut rows = st.query(args)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let kind: String = r.get(1)?;
            out.push(Poi {
                osm: osm_id(&r.get::<_, String>(0)?)?,
                kind: PoiKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("POI kind {kind:?}")))?,
                name: r.get(2)?,
                brand: r.get(3)?,
                opening_hours: r.get(4)?,
                ele_m: r.get(5)?,
                max_scale: r.get(6)?,
                at: LatLon::new(r.get(7)?, r.get(8)?),
            });
        }
        Ok(out)
    }

    /// POIs of `kinds` (all kinds when empty) in `bbox` (everywhere when `None`), at every
    /// scale: for navigation.
    pub fn map_pois(&self, bbox: Option<&BBox>, kinds: &[PoiKind]) -> Result<Vec<Poi>, StoreError> {
        let mut pois = match bbox {
            Some(b) => self.pois_where(
                "JOIN map_pois_rtree k ON k.id = m.id WHERE k.max_lon >= ?1 AND k.min_lon <= ?2
                 AND k.max_lat >= ?3 AND k.min_lat <= ?4",
                params![b.min_lon, b.max_lon, b.min_lat, b.max_lat],
            )?,
            None => self.pois_where("", [])?,
        };
        if !kinds.is_empty() {
            pois.retain(|p| kinds.contains(&p.kind));
        }
        Ok(pois)
    }

    /// POIs of `kinds` within `radius_m` of `at`, nearest first.
    pub fn map_pois_near(
        &self,
        at: LatLon,
        radius_m: f64,
        kinds: &[PoiKind],
    ) -> Result<Vec<Poi>, StoreError> {
        let dlat = (radius_m / crate::core::geodesy::EARTH_RADIUS_M).to_degrees() * 1.01;
        let cos = at.lat.to_radians().cos().max(1e-6);
        let dlon = (dlat / cos).min(360.0);
        let b = BBox {
            min_lon: at.lon - dlon,
            min_lat: at.lat - dlat,
            max_lon: at.lon + dlon,
            max_lat: at.lat + dlat,
        };
        let mut pois: Vec<(f64, Poi)> = self
            .map_pois(Some(&b), kinds)?
            .into_iter()
            .map(|p| (distance_m(at, p.at), p))
            .filter(|(d, _)| *d <= radius_m)
            .collect();
        pois.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.osm.cmp(&b.1.osm)));
        Ok(pois.into_iter().map(|(_, p)| p).collect())
    }

    /// The imported map files, oldest import first (cheap: one row each).
    pub fn map_files(&self) -> Result<Vec<MapFileInfo>, StoreError> {
        let ids: Vec<i64> = {
            let mut st = self.conn.prepare("SELECT id FROM map_files ORDER BY id")?;
            st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(f) = file_info(&self.conn, id)? {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// What map data the database holds.
    pub fn map_info(&self) -> Result<MapInfo, StoreError> {
        let mut info = MapInfo::default();
        let mut st = self.conn.prepare(
            "SELECT highway, count(*), sum(length_m) FROM map_roads GROUP BY highway ORDER BY highway",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(1)?;
            let m: f64 = r.get(2)?;
            info.roads += n as u64;
            info.roads_km.push((r.get(0)?, m / 1000.0));
        }
        let counts = |sql: &str| -> Result<Vec<(String, u64)>, StoreError> {
            let mut st = self.conn.prepare(sql)?;
            let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            let mut out = Vec::new();
            for r in rows {
                let (k, n) = r?;
                out.push((k, n as u64));
            }
            Ok(out)
        };
        info.water_lines =
            counts("SELECT kind, count(*) FROM map_water_lines GROUP BY kind ORDER BY kind")?;
        info.areas = counts("SELECT kind, count(*) FROM map_areas GROUP BY kind ORDER BY kind")?;
        info.pois = counts("SELECT kind, count(*) FROM map_pois GROUP BY kind ORDER BY kind")?;
        info.places = self
            .conn
            .query_row("SELECT count(*) FROM map_places", [], |r| {
                r.get::<_, i64>(0)
            })? as u64;
        let mut all = BBox::EMPTY;
        for f in self.map_files()? {
            if let Some(b) = f.bbox {
                all.extend(LatLon::new(b.min_lat, b.min_lon));
                all.extend(LatLon::new(b.max_lat, b.max_lon));
            }
            info.files.push(f);
        }
        info.bbox = (!all.is_empty()).then_some(all);
        Ok(info)
    }
}

fn osm_id(s: &str) -> Result<OsmId, StoreError> {
    OsmId::parse(s).ok_or_else(|| StoreError::Corrupt(format!("OSM id {s:?}")))
}

fn file_info(conn: &rusqlite::Connection, id: i64) -> Result<Option<MapFileInfo>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT path, size_bytes, replication_ms, generator, min_lon, min_lat, max_lon,
             max_lat, imported_ms, filter, nodes, ways, relations, roads, water_lines, areas,
             places, pois, broken_relations, clipped_ways, outside_corridor
             FROM map_files WHERE id = ?1",
            [id],
            |r| {
                let b: [Option<f64>; 4] = [r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?];
                let bbox = match b {
                    [Some(min_lon), Some(min_lat), Some(max_lon), Some(max_lat)] => Some(BBox {
                        min_lon,
                        min_lat,
                        max_lon,
                        max_lat,
                    }),
                    _ => None,
                };
                let n =
                    |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
                Ok(MapFileInfo {
                    path: r.get(0)?,
                    size_bytes: n(1)?,
                    replication_ms: r.get(2)?,
                    generator: r.get(3)?,
                    bbox,
                    imported_ms: r.get(8)?,
                    filter: r.get(9)?,
                    counts: MapCounts {
                        nodes: n(10)?,
                        ways: n(11)?,
                        relations: n(12)?,
                        roads: n(13)?,
                        water_lines: n(14)?,
                        areas: n(15)?,
                        places: n(16)?,
                        pois: n(17)?,
                        broken_relations: n(18)?,
                        clipped_ways: n(19)?,
                        outside_corridor: n(20)?,
                    },
                })
            },
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_blobs_round_trip() {
        let pts = vec![LatLon::new(42.5, 1.5), LatLon::new(-33.25, -70.125)];
        assert_eq!(unpack_line(&pack_line(&pts)).unwrap(), pts);
        let polys = vec![Polygon {
            outer: pts.clone(),
            inners: vec![pts.clone()],
        }];
        assert_eq!(unpack_polygons(&pack_polygons(&polys)).unwrap(), polys);
        assert!(unpack_polygons(&[9, 0, 0, 0]).is_err());
        assert!(unpack_line(&[1, 2, 3]).is_err());
    }
}
