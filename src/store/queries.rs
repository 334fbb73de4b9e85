//! Typed read queries returning core model types.

use rusqlite::{OptionalExtension as _, Row, params};

use crate::core::model::{
    BBox, GpxData, LatLon, LineId, LineKind, LineMeta, Route, RoutePoint, StoredLine,
    StoredWaypoint, Track, TrackPoint, Waypoint, WaypointKind,
};

use super::points::unpack_into;
use super::{Store, StoreError};

/// A line as a map draws it: see [`Store::line_path`].
#[derive(Debug, Clone, PartialEq)]
pub struct LinePath {
    /// Points in order.
    pub points: Vec<LatLon>,
    /// Elevation of each point, metres, NaN where unknown.
    pub ele_m: Vec<f32>,
    /// GPX display colour name.
    pub display_color: Option<String>,
}

/// One stored track, route or drive, without its points.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSummary {
    /// Row id.
    pub id: LineId,
    /// Track, route or drive.
    pub kind: LineKind,
    /// `<name>`.
    pub name: Option<String>,
    /// Number of points in the path (for a route: route points plus shaping points).
    pub points: u64,
    /// Length along the path, metres, segments joined: the straight jumps between a track's
    /// segments count (the vehicle drove them with the GPS off), so this equals the length of
    /// the path the map draws and navigation measures along (`core::logistics`).
    pub length_m: f64,
    /// Bounding box; `None` for a line without points.
    pub bbox: Option<BBox>,
    /// The file it was imported from (`None` for drives).
    pub source: Option<String>,
    /// First point time, UTC ms.
    pub started_ms: Option<i64>,
    /// Last point time, UTC ms.
    pub ended_ms: Option<i64>,
}

/// Counts for `trailatlas info`.
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    /// Schema version (`PRAGMA user_version`).
    pub schema_version: i64,
    /// Imported files.
    pub files: u64,
    /// Tracks.
    pub tracks: u64,
    /// Routes.
    pub routes: u64,
    /// Recorded drives.
    pub drives: u64,
    /// Points of all lines.
    pub points: u64,
    /// Waypoints.
    pub waypoints: u64,
    /// Size of the database file plus its WAL, bytes.
    pub file_bytes: u64,
}

const LINE_COLUMNS: &str = "l.id, l.kind, l.name, l.points, l.length_m, l.min_lon, l.min_lat, l.max_lon, l.max_lat, s.path, l.started_ms, l.ended_ms";

fn line_summary(r: &Row<'_>) -> rusqlite::Result<LineSummary> {
    let kind: String = r.get(1)?;
    let bbox = match (
        r.get::<_, Option<f64>>(5)?,
        r.get::<_, Option<f64>>(6)?,
        r.get::<_, Option<f64>>(7)?,
        r.get::<_, Option<f64>>(8)?,
    ) {
        (Some(min_lon), Some(min_lat), Some(max_lon), Some(max_lat)) => Some(BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        }),
        _ => None,
    };
    Ok(LineSummary {
        id: r.get(0)?,
        kind: LineKind::from_db(&kind).unwrap_or(LineKind::Track),
        name: r.get(2)?,
        points: r.get::<_, i64>(3)?.max(0) as u64,
        length_m: r.get(4)?,
        bbox,
        source: r.get(9)?,
        started_ms: r.get(10)?,
        ended_ms: r.get(11)?,
    })
}

const WAYPOINT_COLUMNS: &str =
    "lat, lon, ele, time_ms, name, cmt, desc, sym, type, kind, categories, address";

/// Reads a waypoint from columns starting at `at`, in [`WAYPOINT_COLUMNS`] order.
fn waypoint_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Waypoint> {
    let kind: String = r.get(at + 9)?;
    let categories: Option<String> = r.get(at + 10)?;
    Ok(Waypoint {
        pos: LatLon::new(r.get(at)?, r.get(at + 1)?),
        ele_m: r.get(at + 2)?,
        time_ms: r.get(at + 3)?,
        name: r.get(at + 4)?,
        cmt: r.get(at + 5)?,
        desc: r.get(at + 6)?,
        sym: r.get(at + 7)?,
        type_: r.get(at + 8)?,
        kind: kind.parse().unwrap_or(WaypointKind::Other),
        categories: categories
            .and_then(|c| serde_json::from_str(&c).ok())
            .unwrap_or_default(),
        address: r.get(at + 11)?,
    })
}

impl Store {
    /// All tracks, routes and drives, in import order.
    pub fn lines(&self) -> Result<Vec<LineSummary>, StoreError> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {LINE_COLUMNS} FROM lines l LEFT JOIN source_files s ON s.id = l.source_id ORDER BY l.id"
        ))?;
        let rows = st.query_map([], line_summary)?;
        let mut lines: Vec<LineSummary> = rows.collect::<Result<_, _>>()?;
        self.add_segment_gaps(&mut lines)?;
        Ok(lines)
    }

    /// Adds the jumps between segments to the lengths of multi-segment lines. The `length_m`
    /// column holds the length within segments (what every release has stored, so old
    /// databases need no migration); the gaps are read from the segments' end points, two
    /// pieces a segment.
    fn add_segment_gaps(&self, lines: &mut [LineSummary]) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id FROM lines WHERE segments > 1")?;
        let multi: std::collections::HashSet<LineId> = st
            .query_map([], |r| r.get::<_, LineId>(0))?
            .collect::<Result<_, _>>()?;
        for l in lines.iter_mut().filter(|l| multi.contains(&l.id)) {
            l.length_m += self.segment_gaps_m(l.id)?;
        }
        Ok(())
    }

    /// Sum of the great-circle jumps from each segment's last point to the next non-empty
    /// segment's first point, metres.
    fn segment_gaps_m(&self, id: LineId) -> Result<f64, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT seq, points FROM line_pieces p WHERE line_id = ?1 AND (seq = 0 OR seq =
             (SELECT max(seq) FROM line_pieces q WHERE q.line_id = ?1 AND q.seg = p.seg))
             ORDER BY seg, seq",
        )?;
        let mut rows = st.query([id])?;
        let (mut sum, mut last): (f64, Option<LatLon>) = (0.0, None);
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let blob = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            let Some((first, end)) = super::points::first_last(blob) else {
                continue;
            };
            if seq == 0
                && let Some(prev) = last
            {
                sum += crate::core::geodesy::distance_m(prev, first);
            }
            last = Some(end);
        }
        Ok(sum)
    }

    /// Recorded drives, oldest first.
    pub fn drives(&self) -> Result<Vec<LineSummary>, StoreError> {
        Ok(self
            .lines()?
            .into_iter()
            .filter(|l| l.kind == LineKind::Drive)
            .collect())
    }

    /// One line by id (digits) or by name (case-insensitive, must be unique).
    pub fn find_line(&self, id_or_name: &str) -> Result<LineSummary, StoreError> {
        let q = id_or_name.trim();
        if let Ok(id) = q.parse::<i64>() {
            let found = self
                .conn
                .query_row(
                    &format!("SELECT {LINE_COLUMNS} FROM lines l LEFT JOIN source_files s ON s.id = l.source_id WHERE l.id = ?1"),
                    [id],
                    line_summary,
                )
                .optional()?;
            if let Some(mut l) = found {
                self.add_segment_gaps(std::slice::from_mut(&mut l))?;
                return Ok(l);
            }
        }
        let mut st = self.conn.prepare(&format!(
            "SELECT {LINE_COLUMNS} FROM lines l LEFT JOIN source_files s ON s.id = l.source_id
             WHERE l.name = ?1 COLLATE NOCASE ORDER BY l.id"
        ))?;
        let mut found: Vec<LineSummary> =
            st.query_map([q], line_summary)?.collect::<Result<_, _>>()?;
        self.add_segment_gaps(&mut found)?;
        match found.len() {
            0 => Err(StoreError::NoSuchLine(q.to_string())),
            1 => Ok(found.remove(0)),
            _ => Err(StoreError::Ambiguous {
                name: q.to_string(),
                ids: found
                    .iter()
                    .map(|l| l.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// A line with all its points.
    pub fn line(&self, id: LineId) -> Result<StoredLine, StoreError> {
        let meta = self
            .conn
            .query_row(
                "SELECT kind, name, cmt, desc, type, number, display_color FROM lines WHERE id = ?1",
                [id],
                |r| {
                    let kind: String = r.get(0)?;
                    Ok((
                        kind,
                        LineMeta {
                            name: r.get(1)?,
                            cmt: r.get(2)?,
                            desc: r.get(3)?,
                            type_: r.get(4)?,
                            number: r.get::<_, Option<i64>>(5)?.and_then(|n| u32::try_from(n).ok()),
                            display_color: r.get(6)?,
                        },
                    ))
                },
            )
            .optional()?;
        let Some((kind, meta)) = meta else {
            return Err(StoreError::NoSuchLine(id.to_string()));
        };
        let kind = LineKind::from_db(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("line kind {kind:?}")))?;
        let segment_count: i64 =
            self.conn
                .query_row("SELECT segments FROM lines WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
        let mut segments: Vec<Vec<TrackPoint>> = vec![Vec::new(); segment_count.max(0) as usize];
        let mut st = self.conn.prepare_cached(
            "SELECT seg, points FROM line_pieces WHERE line_id = ?1 ORDER BY seg, seq",
        )?;
        let mut rows = st.query([id])?;
        while let Some(r) = rows.next()? {
            let seg: i64 = r.get(0)?;
            let blob = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            let idx =
                usize::try_from(seg).map_err(|_| StoreError::Corrupt(format!("segment {seg}")))?;
            if idx >= segments.len() {
                segments.resize(idx + 1, Vec::new());
            }
            if let Some(s) = segments.get_mut(idx) {
                unpack_into(blob, s)?;
            }
        }
        Ok(StoredLine {
            id,
            kind,
            meta,
            segments,
        })
    }

    /// A line's points in order (segments joined) as positions and elevations (NaN where
    /// unknown), with its GPX display colour: what a map draws, without times.
    pub fn line_path(&self, id: LineId) -> Result<LinePath, StoreError> {
        let display_color: Option<Option<String>> = self
            .conn
            .query_row("SELECT display_color FROM lines WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(display_color) = display_color else {
            return Err(StoreError::NoSuchLine(id.to_string()));
        };
        let mut path = LinePath {
            points: Vec::new(),
            ele_m: Vec::new(),
            display_color,
        };
        let mut st = self.conn.prepare_cached(
            "SELECT points FROM line_pieces WHERE line_id = ?1 ORDER BY seg, seq",
        )?;
        let mut rows = st.query([id])?;
        while let Some(r) = rows.next()? {
            let blob = r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
            super::points::unpack_path_into(blob, &mut path.points, &mut path.ele_m)?;
        }
        Ok(path)
    }

    /// Waypoints of the given kinds (all when empty), inside `bbox` when given, in import order.
    pub fn waypoints(
        &self,
        kinds: &[WaypointKind],
        bbox: Option<BBox>,
    ) -> Result<Vec<StoredWaypoint>, StoreError> {
        let mut out = Vec::new();
        let mut push = |r: &Row<'_>| -> rusqlite::Result<()> {
            let wpt = waypoint_at(r, 1)?;
            if kinds.is_empty() || kinds.contains(&wpt.kind) {
                out.push(StoredWaypoint { id: r.get(0)?, wpt });
            }
            Ok(())
        };
        match bbox {
            Some(b) => {
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT w.id, {WAYPOINT_COLUMNS} FROM waypoints_rtree t JOIN waypoints w ON w.id = t.id
                     WHERE t.max_lon >= ?1 AND t.min_lon <= ?2 AND t.max_lat >= ?3 AND t.min_lat <= ?4 ORDER BY w.id"
                ))?;
                let mut rows = st.query(params![b.min_lon, b.max_lon, b.min_lat, b.max_lat])?;
                while let Some(r) = rows.next()? {
                    push(r)?;
                }
            }
            None => {
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT id, {WAYPOINT_COLUMNS} FROM waypoints ORDER BY id"
                ))?;
                let mut rows = st.query([])?;
                while let Some(r) = rows.next()? {
                    push(r)?;
                }
            }
        }
        Ok(out)
    }

    /// Runs of points of any line that pass through `bbox`, each as (line id, points). A run
    /// includes the first point of the next piece, so consecutive runs join up when drawn.
    pub fn line_pieces_in_bbox(
        &self,
        bbox: BBox,
    ) -> Result<Vec<(LineId, Vec<TrackPoint>)>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT p.line_id, p.seg, p.seq, p.points,
                    (SELECT substr(q.points, 1, 32) FROM line_pieces q
                      WHERE q.line_id = p.line_id AND q.seg = p.seg AND q.seq = p.seq + 1)
             FROM line_pieces_rtree t JOIN line_pieces p ON p.id = t.id
             WHERE t.max_lon >= ?1 AND t.min_lon <= ?2 AND t.max_lat >= ?3 AND t.min_lat <= ?4
             ORDER BY p.line_id, p.seg, p.seq",
        )?;
        let mut rows = st.query(params![
            bbox.min_lon,
            bbox.max_lon,
            bbox.min_lat,
            bbox.max_lat
        ])?;
        let mut out: Vec<(LineId, Vec<TrackPoint>)> = Vec::new();
        while let Some(r) = rows.next()? {
            let line_id: LineId = r.get(0)?;
            let mut pts = Vec::new();
            unpack_into(
                r.get_ref(3)?.as_blob().map_err(rusqlite::Error::from)?,
                &mut pts,
            )?;
            if let Some(next) = r
                .get_ref(4)?
                .as_blob_or_null()
                .map_err(rusqlite::Error::from)?
            {
                unpack_into(next, &mut pts)?;
            }
            out.push((line_id, pts));
        }
        Ok(out)
    }

    /// A line as GPX data, ready to export: a track (or drive) as a `<trk>`, a route as a
    /// `<rte>` with its route points and shaping points; plus, when `with_waypoints`, the
    /// waypoints imported from the same file.
    pub fn gpx_for_line(&self, id: LineId, with_waypoints: bool) -> Result<GpxData, StoreError> {
        let line = self.line(id)?;
        let mut data = GpxData::default();
        match line.kind {
            LineKind::Track | LineKind::Drive => {
                data.tracks.push(Track {
                    meta: line.meta.clone(),
                    segments: line.segments.clone(),
                });
            }
            LineKind::Route => {
                let path: Vec<TrackPoint> = line.points().copied().collect();
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT path_index, {WAYPOINT_COLUMNS} FROM route_points WHERE line_id = ?1 ORDER BY seq"
                ))?;
                let rps: Vec<(i64, Waypoint)> = st
                    .query_map([id], |r| Ok((r.get(0)?, waypoint_at(r, 1)?)))?
                    .collect::<Result<_, _>>()?;
                let mut points = Vec::with_capacity(rps.len());
                for (i, (path_index, wpt)) in rps.iter().enumerate() {
                    let start = usize::try_from(*path_index).unwrap_or(0) + 1;
                    let end = rps
                        .get(i + 1)
                        .map(|(next, _)| usize::try_from(*next).unwrap_or(0))
                        .unwrap_or(path.len());
                    let shaping = path
                        .get(start..end)
                        .unwrap_or(&[])
                        .iter()
                        .map(|p| p.pos)
                        .collect();
                    points.push(RoutePoint {
                        wpt: wpt.clone(),
                        shaping,
                    });
                }
                data.routes.push(Route {
                    meta: line.meta.clone(),
                    points,
                });
            }
        }
        if with_waypoints {
            let mut st = self.conn.prepare_cached(&format!(
                "SELECT {WAYPOINT_COLUMNS} FROM waypoints
                 WHERE source_id IS NOT NULL AND source_id = (SELECT source_id FROM lines WHERE id = ?1) ORDER BY ord"
            ))?;
            data.waypoints = st
                .query_map([id], |r| waypoint_at(r, 0))?
                .collect::<Result<_, _>>()?;
        }
        data.name = line.meta.name.clone();
        Ok(data)
    }

    /// Counts, schema version and file size.
    pub fn info(&self) -> Result<Info, StoreError> {
        let count = |sql: &str| -> Result<u64, StoreError> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))?.max(0) as u64)
        };
        let file_bytes = match &self.path {
            Some(p) => {
                let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
                let mut wal = p.as_os_str().to_owned();
                wal.push("-wal");
                size(p) + size(std::path::Path::new(&wal))
            }
            None => 0,
        };
        Ok(Info {
            schema_version: self.schema_version()?,
            files: count("SELECT count(*) FROM source_files")?,
            tracks: count("SELECT count(*) FROM lines WHERE kind = 'track'")?,
            routes: count("SELECT count(*) FROM lines WHERE kind = 'route'")?,
            drives: count("SELECT count(*) FROM lines WHERE kind = 'drive'")?,
            points: count("SELECT coalesce(sum(points), 0) FROM lines")?,
            waypoints: count("SELECT count(*) FROM waypoints")?,
            file_bytes,
        })
    }
}
