//! Recorded drives (GPS breadcrumbs): a line of kind `drive` that grows while driving.
//!
//! Each append is one committed transaction, so a crash or power loss loses at most what was
//! not yet appended (the recorder appends at least once a second).

use rusqlite::{OptionalExtension as _, TransactionBehavior, params};

use crate::core::geodesy::distance_m;
use crate::core::model::{BBox, LineId, LineKind, TrackPoint};

use super::points::{POINT_BYTES, pack, unpack_into};
use super::{PIECE_POINTS, Store, StoreError};

impl Store {
    /// Starts a new drive named `name`; returns its line id.
    ///
    /// Also switches this connection to `synchronous=FULL`: a committed second of the drive
    /// then survives a power loss, not only a crash.
    pub fn begin_drive(&mut self, name: &str, started_ms: i64) -> Result<LineId, StoreError> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn.execute(
            "INSERT INTO lines (source_id, kind, name, segments, started_ms) VALUES (NULL, ?1, ?2, 1, ?3)",
            params![LineKind::Drive.as_str(), name, started_ms],
        ).map_err(StoreError::from_sqlite)?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Appends points to a drive in one committed transaction.
    pub fn append_drive_points(
        &mut self,
        id: LineId,
        pts: &[TrackPoint],
    ) -> Result<(), StoreError> {
        if pts.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from_sqlite)?;
        let kind: Option<String> = tx
            .query_row("SELECT kind FROM lines WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        if kind.as_deref() != Some(LineKind::Drive.as_str()) {
            return Err(StoreError::NoSuchLine(format!("drive {id}")));
        }
        // The last piece, if it has room, grows in place; otherwise new pieces follow it.
        let last: Option<(i64, i64, i64, Vec<u8>)> = tx
            .query_row(
                "SELECT id, seq, n, points FROM line_pieces WHERE line_id = ?1 AND seg = 0 ORDER BY seq DESC LIMIT 1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let mut prev_point = None;
        let mut rest = pts;
        let mut next_seq = 0;
        if let Some((piece_id, seq, n, mut blob)) = last {
            let mut old = Vec::new();
            unpack_into(&blob, &mut old)?;
            prev_point = old.last().map(|p| p.pos);
            next_seq = seq + 1;
            let room = PIECE_POINTS.saturating_sub(usize::try_from(n).unwrap_or(PIECE_POINTS));
            let (head, tail) = pts.split_at(room.min(pts.len()));
            let mut bbox = BBox::of(old.iter().map(|p| p.pos));
            // The joining segment to the next piece belongs to this piece's box.
            if let Some(first) = pts.first() {
                bbox.extend(first.pos);
            }
            for p in head {
                pack(&mut blob, p);
                bbox.extend(p.pos);
            }
            if let Some(next) = tail.first() {
                bbox.extend(next.pos);
            }
            tx.execute(
                "UPDATE line_pieces SET n = ?2, points = ?3 WHERE id = ?1",
                params![piece_id, (blob.len() / POINT_BYTES) as i64, blob],
            )?;
            tx.execute(
                "UPDATE line_pieces_rtree SET min_lon = ?2, max_lon = ?3, min_lat = ?4, max_lat = ?5 WHERE id = ?1",
                params![piece_id, bbox.min_lon, bbox.max_lon, bbox.min_lat, bbox.max_lat],
            )?;
            rest = tail;
        }
        for (i, chunk) in rest.chunks(PIECE_POINTS).enumerate() {
            let mut blob = Vec::with_capacity(chunk.len() * POINT_BYTES);
            let mut bbox = BBox::EMPTY;
            for p in chunk {
                pack(&mut blob, p);
                bbox.extend(p.pos);
            }
            if let Some(next) = rest.get((i + 1) * PIECE_POINTS) {
                bbox.extend(next.pos);
            }
            tx.execute(
                "INSERT INTO line_pieces (line_id, seg, seq, n, points) VALUES (?1, 0, ?2, ?3, ?4)",
                params![id, next_seq, chunk.len() as i64, blob],
            )?;
            let piece_id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO line_pieces_rtree (id, min_lon, max_lon, min_lat, max_lat) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![piece_id, bbox.min_lon, bbox.max_lon, bbox.min_lat, bbox.max_lat],
            )?;
            next_seq += 1;
        }
        let mut added_m = 0.0;
        let mut bbox = BBox::EMPTY;
        for p in pts {
            if let Some(prev) = prev_point {
                added_m += distance_m(prev, p.pos);
            }
            prev_point = Some(p.pos);
            bbox.extend(p.pos);
        }
        let last_time = pts.iter().rev().find_map(|p| p.time_ms);
        tx.execute(
            "UPDATE lines SET points = points + ?2, length_m = length_m + ?3,
                 min_lon = min(coalesce(min_lon, ?4), ?4), max_lon = max(coalesce(max_lon, ?5), ?5),
                 min_lat = min(coalesce(min_lat, ?6), ?6), max_lat = max(coalesce(max_lat, ?7), ?7),
                 ended_ms = coalesce(?8, ended_ms)
             WHERE id = ?1",
            params![
                id,
                pts.len() as i64,
                added_m,
                bbox.min_lon,
                bbox.max_lon,
                bbox.min_lat,
                bbox.max_lat,
                last_time
            ],
        )?;
        tx.commit().map_err(StoreError::from_sqlite)?;
        Ok(())
    }
}
