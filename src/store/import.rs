//! Importing GPX files: one transaction per file, content-hash deduplication, a
//! [`GpxSink`] that writes rows as the reader streams them.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension as _, Transaction, TransactionBehavior, params};

use crate::core::geodesy::distance_m;
use crate::core::kinds::Classifier;
use crate::core::model::{
    BBox, GpxData, LatLon, LineKind, LineMeta, RoutePoint, TrackPoint, Waypoint,
};
use crate::import::{self, Counts, GpxSink, ImportError, SinkError};

use super::points::pack;
use super::{PIECE_POINTS, Store, StoreError};

/// How to treat files already in the database.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Re-import a file whose content changed since it was imported, replacing the old rows.
    pub replace: bool,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// Stored (new, or replaced with `--replace`).
    Imported,
    /// Already stored with the same content; nothing done.
    Unchanged,
    /// Not stored; see the error. Nothing in the database changed.
    Failed,
}

impl FileStatus {
    /// The name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            FileStatus::Imported => "imported",
            FileStatus::Unchanged => "unchanged",
            FileStatus::Failed => "failed",
        }
    }
}

/// The outcome of importing one file.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The file as given.
    pub path: PathBuf,
    /// Imported, unchanged or failed.
    pub status: FileStatus,
    /// What the file holds (zero when failed).
    pub counts: Counts,
    /// One line saying what went wrong, `path:line:col: message` where known.
    pub error: Option<String>,
}

impl ImportReport {
    fn failed(path: &Path, error: String) -> Self {
        ImportReport {
            path: path.to_path_buf(),
            status: FileStatus::Failed,
            counts: Counts::default(),
            error: Some(error),
        }
    }
}

pub(super) fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(BufReader::with_capacity(1 << 16, file))?;
    Ok((hasher.finalize().to_hex().to_string(), size))
}

impl Store {
    /// Imports one GPX file in one transaction: whole or not at all.
    ///
    /// `on_points` is called now and then with the number of points stored so far (progress).
    pub fn import_file(
        &mut self,
        path: &Path,
        opts: ImportOptions,
        on_points: &mut dyn FnMut(u64),
    ) -> ImportReport {
        self.import_file_with(path, opts, &Classifier::new(), on_points)
    }

    /// [`Store::import_file`] classifying waypoints with `classifier` (the default table
    /// plus the user's rules).
    pub fn import_file_with(
        &mut self,
        path: &Path,
        opts: ImportOptions,
        classifier: &Classifier,
        on_points: &mut dyn FnMut(u64),
    ) -> ImportReport {
        if path.is_dir() {
            return ImportReport::failed(
                path,
                format!("{}: is a directory, not a GPX file", path.display()),
            );
        }
        let (hash, size) = match hash_file(path) {
            Ok(h) => h,
            Err(e) => return ImportReport::failed(path, format!("{}: {e}", path.display())),
        };
        // The canonical path is the file's identity, so `./a.gpx` and `/x/a.gpx` are one file.
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let key = key.to_string_lossy().into_owned();
        let read = |sink: &mut dyn GpxSink| import::read_file_with(path, sink, classifier);
        match self.import_keyed(path, &key, &hash, size, opts, on_points, read) {
            Ok(r) => r,
            Err(ImportFailure::Parse(e)) => ImportReport::failed(path, e.to_string()),
            Err(ImportFailure::Store(e)) => {
                ImportReport::failed(path, format!("{}: {e}", path.display()))
            }
        }
    }

    /// Stores already-parsed data as if imported from a file named `label`, in one
    /// transaction (generated data, tests). Content identity is the label plus a hash of the
    /// data's debug form, so storing the same data twice is `unchanged`.
    pub fn import_data(&mut self, label: &str, data: &GpxData) -> ImportReport {
        let hash = blake3::hash(format!("{data:?}").as_bytes())
            .to_hex()
            .to_string();
        let path = Path::new(label);
        let read = |sink: &mut dyn GpxSink| {
            replay(data, sink).map_err(|e| ImportError {
                path: path.to_path_buf(),
                pos: None,
                message: e.to_string(),
            })
        };
        match self.import_keyed(
            path,
            label,
            &hash,
            0,
            ImportOptions { replace: true },
            &mut |_| {},
            read,
        ) {
            Ok(r) => r,
            Err(ImportFailure::Parse(e)) => ImportReport::failed(path, e.to_string()),
            Err(ImportFailure::Store(e)) => ImportReport::failed(path, format!("{label}: {e}")),
        }
    }

    /// Imports GPX held in memory as if read from a file named `label` (fuzzing, tests), in
    /// one transaction, replacing an earlier import under the same label. Content identity is
    /// the label plus a hash of the bytes, so importing the same bytes twice is `unchanged`.
    pub fn import_bytes(&mut self, label: &str, bytes: &[u8]) -> ImportReport {
        let hash = blake3::hash(bytes).to_hex().to_string();
        let path = Path::new(label);
        let read = |sink: &mut dyn GpxSink| import::read_bytes(path, bytes, sink);
        match self.import_keyed(
            path,
            label,
            &hash,
            bytes.len() as u64,
            ImportOptions { replace: true },
            &mut |_| {},
            read,
        ) {
            Ok(r) => r,
            Err(ImportFailure::Parse(e)) => ImportReport::failed(path, e.to_string()),
            Err(ImportFailure::Store(e)) => ImportReport::failed(path, format!("{label}: {e}")),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn import_keyed(
        &mut self,
        path: &Path,
        key: &str,
        hash: &str,
        size: u64,
        opts: ImportOptions,
        on_points: &mut dyn FnMut(u64),
        read: impl FnOnce(&mut dyn GpxSink) -> Result<Counts, ImportError>,
    ) -> Result<ImportReport, ImportFailure> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from_sqlite)?;
        let existing: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, hash FROM source_files WHERE path = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(StoreError::from_sqlite)?;
        if let Some((id, old_hash)) = existing {
            if old_hash == hash {
                let counts = source_counts(&tx, id)?;
                return Ok(ImportReport {
                    path: path.to_path_buf(),
                    status: FileStatus::Unchanged,
                    counts,
                    error: None,
                });
            }
            if !opts.replace {
                return Ok(ImportReport::failed(
                    path,
                    format!(
                        "{}: changed since it was imported; pass --replace to re-import it in place",
                        path.display()
                    ),
                ));
            }
            tx.execute("DELETE FROM source_files WHERE id = ?1", [id])
                .map_err(StoreError::from_sqlite)?;
        }
        tx.execute(
            "INSERT INTO source_files (path, hash, size_bytes, imported_ms) VALUES (?1, ?2, ?3, ?4)",
            params![key, hash, size as i64, super::now_ms()],
        )
        .map_err(StoreError::from_sqlite)?;
        let source_id = tx.last_insert_rowid();
        let counts = {
            let mut sink = StoreSink::new(&tx, source_id, on_points);
            read(&mut sink).map_err(ImportFailure::Parse)?
        };
        tx.commit().map_err(StoreError::from_sqlite)?;
        Ok(ImportReport {
            path: path.to_path_buf(),
            status: FileStatus::Imported,
            counts,
            error: None,
        })
    }
}

/// Feeds in-memory data to a sink in file order: waypoints, routes, tracks.
fn replay(data: &GpxData, sink: &mut dyn GpxSink) -> Result<Counts, SinkError> {
    let mut c = Counts::default();
    for w in &data.waypoints {
        sink.waypoint(w.clone())?;
        c.waypoints += 1;
    }
    for r in &data.routes {
        sink.begin_route()?;
        for p in &r.points {
            sink.route_point(p.clone())?;
            c.route_points += 1;
        }
        sink.end_route(r.meta.clone())?;
        c.routes += 1;
    }
    for t in &data.tracks {
        sink.begin_track()?;
        for seg in &t.segments {
            sink.begin_segment()?;
            for p in seg {
                sink.track_point(*p)?;
                c.track_points += 1;
            }
        }
        sink.end_track(t.meta.clone())?;
        c.tracks += 1;
    }
    Ok(c)
}

enum ImportFailure {
    Parse(ImportError),
    Store(StoreError),
}

impl From<StoreError> for ImportFailure {
    fn from(e: StoreError) -> Self {
        ImportFailure::Store(e)
    }
}

fn source_counts(tx: &Transaction<'_>, source_id: i64) -> Result<Counts, StoreError> {
    let (tracks, track_points): (i64, i64) = tx.query_row(
        "SELECT count(*), coalesce(sum(points), 0) FROM lines WHERE source_id = ?1 AND kind = 'track'",
        [source_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let routes: i64 = tx.query_row(
        "SELECT count(*) FROM lines WHERE source_id = ?1 AND kind = 'route'",
        [source_id],
        |r| r.get(0),
    )?;
    let route_points: i64 = tx.query_row(
        "SELECT count(*) FROM route_points rp JOIN lines l ON l.id = rp.line_id WHERE l.source_id = ?1",
        [source_id],
        |r| r.get(0),
    )?;
    let waypoints: i64 = tx.query_row(
        "SELECT count(*) FROM waypoints WHERE source_id = ?1",
        [source_id],
        |r| r.get(0),
    )?;
    Ok(Counts {
        tracks: tracks as u64,
        track_points: track_points as u64,
        routes: routes as u64,
        route_points: route_points as u64,
        waypoints: waypoints as u64,
        ..Counts::default()
    })
}

/// Categories as stored: a JSON array, `NULL` when there are none.
pub(super) fn categories_to_db(c: &[String]) -> Option<String> {
    if c.is_empty() {
        None
    } else {
        serde_json::to_string(c).ok()
    }
}

/// Writes one line's points as pieces, tracking its length and bounding box.
///
/// A full piece is held back until the next point arrives, so that its R-tree box covers the
/// segment joining it to the next piece: a window on that segment then finds it.
pub(super) struct LineWriter {
    pub(super) line_id: i64,
    seg: i64,
    seq: i64,
    buf: Vec<u8>,
    n: usize,
    bbox: BBox,
    last: Option<LatLon>,
    pending: Option<(Vec<u8>, usize, BBox)>,
    pub(super) length_m: f64,
    pub(super) points: u64,
    pub(super) segments: i64,
    pub(super) line_bbox: BBox,
    pub(super) started_ms: Option<i64>,
    pub(super) ended_ms: Option<i64>,
}

impl LineWriter {
    pub(super) fn new(line_id: i64) -> Self {
        LineWriter {
            line_id,
            seg: -1,
            seq: 0,
            buf: Vec::with_capacity(PIECE_POINTS * super::points::POINT_BYTES),
            n: 0,
            bbox: BBox::EMPTY,
            last: None,
            pending: None,
            length_m: 0.0,
            points: 0,
            segments: 0,
            line_bbox: BBox::EMPTY,
            started_ms: None,
            ended_ms: None,
        }
    }

    pub(super) fn begin_segment(&mut self, tx: &Transaction<'_>) -> Result<(), rusqlite::Error> {
        self.flush_all(tx)?;
        self.seg += 1;
        self.seq = 0;
        self.segments += 1;
        // `length_m` is stored within segments (as every release has); the store adds the
        // jumps between segments when it reads a line (`Store::lines`).
        self.last = None;
        Ok(())
    }

    pub(super) fn push(
        &mut self,
        tx: &Transaction<'_>,
        p: &TrackPoint,
    ) -> Result<(), rusqlite::Error> {
        if self.seg < 0 {
            self.begin_segment(tx)?;
        }
        if let Some((buf, n, mut bbox)) = self.pending.take() {
            bbox.extend(p.pos);
            self.write_piece(tx, &buf, n, bbox)?;
        }
        if let Some(prev) = self.last {
            self.length_m += distance_m(prev, p.pos);
        }
        self.last = Some(p.pos);
        pack(&mut self.buf, p);
        self.n += 1;
        self.bbox.extend(p.pos);
        self.line_bbox.extend(p.pos);
        self.points += 1;
        if let Some(t) = p.time_ms {
            self.started_ms = Some(self.started_ms.map_or(t, |s| s.min(t)));
            self.ended_ms = Some(self.ended_ms.map_or(t, |e| e.max(t)));
        }
        if self.n >= PIECE_POINTS {
            let buf = std::mem::replace(
                &mut self.buf,
                Vec::with_capacity(PIECE_POINTS * super::points::POINT_BYTES),
            );
            self.pending = Some((buf, self.n, self.bbox));
            self.n = 0;
            self.bbox = BBox::EMPTY;
        }
        Ok(())
    }

    /// Writes everything held back; the line can still grow afterwards.
    pub(super) fn flush_all(&mut self, tx: &Transaction<'_>) -> Result<(), rusqlite::Error> {
        if let Some((buf, n, bbox)) = self.pending.take() {
            self.write_piece(tx, &buf, n, bbox)?;
        }
        if self.n > 0 {
            let buf = std::mem::take(&mut self.buf);
            self.write_piece(tx, &buf, self.n, self.bbox)?;
            self.n = 0;
            self.bbox = BBox::EMPTY;
            self.buf = buf;
            self.buf.clear();
        }
        Ok(())
    }

    fn write_piece(
        &mut self,
        tx: &Transaction<'_>,
        buf: &[u8],
        n: usize,
        bbox: BBox,
    ) -> Result<(), rusqlite::Error> {
        tx.prepare_cached(
            "INSERT INTO line_pieces (line_id, seg, seq, n, points) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![self.line_id, self.seg, self.seq, n as i64, buf])?;
        let id = tx.last_insert_rowid();
        tx.prepare_cached(
            "INSERT INTO line_pieces_rtree (id, min_lon, max_lon, min_lat, max_lat) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![id, bbox.min_lon, bbox.max_lon, bbox.min_lat, bbox.max_lat])?;
        self.seq += 1;
        Ok(())
    }

    /// Writes the line's totals into its row.
    pub(super) fn finish(
        &mut self,
        tx: &Transaction<'_>,
        meta: Option<&LineMeta>,
    ) -> Result<(), rusqlite::Error> {
        self.flush_all(tx)?;
        let b = self.line_bbox;
        let (min_lon, min_lat, max_lon, max_lat) = if b.is_empty() {
            (None, None, None, None)
        } else {
            (
                Some(b.min_lon),
                Some(b.min_lat),
                Some(b.max_lon),
                Some(b.max_lat),
            )
        };
        if let Some(m) = meta {
            tx.prepare_cached(
                "UPDATE lines SET name = ?2, cmt = ?3, desc = ?4, type = ?5, number = ?6, display_color = ?7 WHERE id = ?1",
            )?
            .execute(params![self.line_id, m.name, m.cmt, m.desc, m.type_, m.number, m.display_color])?;
        }
        tx.prepare_cached(
            "UPDATE lines SET segments = ?2, points = ?3, length_m = ?4, min_lon = ?5, min_lat = ?6,
             max_lon = ?7, max_lat = ?8, started_ms = ?9, ended_ms = ?10 WHERE id = ?1",
        )?
        .execute(params![
            self.line_id,
            self.segments,
            self.points as i64,
            self.length_m,
            min_lon,
            min_lat,
            max_lon,
            max_lat,
            self.started_ms,
            self.ended_ms
        ])?;
        Ok(())
    }
}

/// Writes what the reader streams into the open transaction.
struct StoreSink<'a, 't> {
    tx: &'a Transaction<'t>,
    source_id: i64,
    line: Option<LineWriter>,
    route_seq: i64,
    ord: i64,
    wpt_ord: i64,
    points_total: u64,
    on_points: &'a mut dyn FnMut(u64),
}

impl<'a, 't> StoreSink<'a, 't> {
    fn new(tx: &'a Transaction<'t>, source_id: i64, on_points: &'a mut dyn FnMut(u64)) -> Self {
        StoreSink {
            tx,
            source_id,
            line: None,
            route_seq: 0,
            ord: 0,
            wpt_ord: 0,
            points_total: 0,
            on_points,
        }
    }

    fn begin_line(&mut self, kind: LineKind) -> Result<(), SinkError> {
        self.tx
            .prepare_cached("INSERT INTO lines (source_id, ord, kind) VALUES (?1, ?2, ?3)")?
            .execute(params![self.source_id, self.ord, kind.as_str()])?;
        self.ord += 1;
        self.line = Some(LineWriter::new(self.tx.last_insert_rowid()));
        self.route_seq = 0;
        Ok(())
    }

    fn end_line(&mut self, meta: &LineMeta) -> Result<(), SinkError> {
        let Some(mut w) = self.line.take() else {
            return Err("end of a track or route that never began".into());
        };
        w.finish(self.tx, Some(meta))?;
        Ok(())
    }

    fn count_point(&mut self) {
        self.points_total += 1;
        if self.points_total.is_multiple_of(16_384) {
            (self.on_points)(self.points_total);
        }
    }
}

fn insert_waypoint_row(
    tx: &Transaction<'_>,
    source_id: Option<i64>,
    ord: i64,
    w: &Waypoint,
) -> Result<i64, rusqlite::Error> {
    tx.prepare_cached(
        "INSERT INTO waypoints (source_id, ord, lat, lon, ele, time_ms, name, cmt, desc, sym, type, kind, categories, address)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        source_id,
        ord,
        w.pos.lat,
        w.pos.lon,
        w.ele_m,
        w.time_ms,
        w.name,
        w.cmt,
        w.desc,
        w.sym,
        w.type_,
        w.kind.as_str(),
        categories_to_db(&w.categories),
        w.address
    ])?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO waypoints_rtree (id, min_lon, max_lon, min_lat, max_lat) VALUES (?1, ?2, ?2, ?3, ?3)")?
        .execute(params![id, w.pos.lon, w.pos.lat])?;
    Ok(id)
}

impl GpxSink for StoreSink<'_, '_> {
    fn waypoint(&mut self, wpt: Waypoint) -> Result<(), SinkError> {
        insert_waypoint_row(self.tx, Some(self.source_id), self.wpt_ord, &wpt)?;
        self.wpt_ord += 1;
        Ok(())
    }

    fn begin_track(&mut self) -> Result<(), SinkError> {
        self.begin_line(LineKind::Track)
    }

    fn begin_segment(&mut self) -> Result<(), SinkError> {
        let Some(w) = self.line.as_mut() else {
            return Err("track segment outside a track".into());
        };
        w.begin_segment(self.tx)?;
        Ok(())
    }

    fn track_point(&mut self, pt: TrackPoint) -> Result<(), SinkError> {
        let Some(w) = self.line.as_mut() else {
            return Err("track point outside a track".into());
        };
        w.push(self.tx, &pt)?;
        self.count_point();
        Ok(())
    }

    fn end_track(&mut self, meta: LineMeta) -> Result<(), SinkError> {
        self.end_line(&meta)
    }

    fn begin_route(&mut self) -> Result<(), SinkError> {
        self.begin_line(LineKind::Route)?;
        if let Some(w) = self.line.as_mut() {
            // A route is one segment: route points and their routed shape points.
            w.begin_segment(self.tx)?;
        }
        Ok(())
    }

    fn route_point(&mut self, pt: RoutePoint) -> Result<(), SinkError> {
        let Some(w) = self.line.as_mut() else {
            return Err("route point outside a route".into());
        };
        let path_index = w.points as i64;
        let line_id = w.line_id;
        let wp = &pt.wpt;
        w.push(
            self.tx,
            &TrackPoint {
                pos: wp.pos,
                ele_m: wp.ele_m,
                time_ms: wp.time_ms,
            },
        )?;
        for s in &pt.shaping {
            w.push(
                self.tx,
                &TrackPoint {
                    pos: *s,
                    ele_m: None,
                    time_ms: None,
                },
            )?;
        }
        self.tx
            .prepare_cached(
                "INSERT INTO route_points (line_id, seq, path_index, lat, lon, ele, time_ms, name, cmt, desc, sym, type, kind, categories, address)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                line_id,
                self.route_seq,
                path_index,
                wp.pos.lat,
                wp.pos.lon,
                wp.ele_m,
                wp.time_ms,
                wp.name,
                wp.cmt,
                wp.desc,
                wp.sym,
                wp.type_,
                wp.kind.as_str(),
                categories_to_db(&wp.categories),
                wp.address
            ])?;
        self.route_seq += 1;
        self.count_point();
        Ok(())
    }

    fn end_route(&mut self, meta: LineMeta) -> Result<(), SinkError> {
        self.end_line(&meta)
    }
}
