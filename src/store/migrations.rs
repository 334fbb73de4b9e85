//! Append-only schema migrations, versioned with `PRAGMA user_version`.
//!
//! Each step runs once, in its own transaction, in order. Never edit a released step: add a
//! new one. A database written by any earlier version opens in a later one with nothing lost
//! (`tests/store.rs` opens the files in `data/db/`).

use rusqlite::Connection;

use super::StoreError;

/// The schema steps; `MIGRATIONS[i]` takes a database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // Version 1: source files, lines (tracks, routes, drives) stored as R-tree-indexed
    // pieces of a few hundred points, route points, waypoints with their own R-tree.
    r#"
    CREATE TABLE source_files (
        id          INTEGER PRIMARY KEY,
        path        TEXT NOT NULL UNIQUE,
        hash        TEXT NOT NULL,
        size_bytes  INTEGER NOT NULL,
        imported_ms INTEGER NOT NULL
    );
    CREATE TABLE lines (
        id            INTEGER PRIMARY KEY,
        source_id     INTEGER REFERENCES source_files(id) ON DELETE CASCADE,
        ord           INTEGER NOT NULL DEFAULT 0,
        kind          TEXT NOT NULL CHECK (kind IN ('track', 'route', 'drive')),
        name          TEXT,
        cmt           TEXT,
        desc          TEXT,
        type          TEXT,
        number        INTEGER,
        display_color TEXT,
        segments      INTEGER NOT NULL DEFAULT 0,
        points        INTEGER NOT NULL DEFAULT 0,
        length_m      REAL NOT NULL DEFAULT 0,
        min_lon REAL, min_lat REAL, max_lon REAL, max_lat REAL,
        started_ms    INTEGER,
        ended_ms      INTEGER
    );
    CREATE INDEX lines_source ON lines(source_id);
    -- Points packed as little-endian (lat f64, lon f64, ele f64 or NaN, time i64 or MIN).
    CREATE TABLE line_pieces (
        id      INTEGER PRIMARY KEY,
        line_id INTEGER NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
        seg     INTEGER NOT NULL,
        seq     INTEGER NOT NULL,
        n       INTEGER NOT NULL,
        points  BLOB NOT NULL,
        UNIQUE (line_id, seg, seq)
    );
    -- Bounding boxes of pieces, including the segment that joins a piece to the next.
    CREATE VIRTUAL TABLE line_pieces_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);
    CREATE TABLE route_points (
        line_id    INTEGER NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        path_index INTEGER NOT NULL,
        lat REAL NOT NULL, lon REAL NOT NULL, ele REAL, time_ms INTEGER,
        name TEXT, cmt TEXT, desc TEXT, sym TEXT, type TEXT,
        kind TEXT NOT NULL,
        categories TEXT, address TEXT,
        PRIMARY KEY (line_id, seq)
    );
    CREATE TABLE waypoints (
        id        INTEGER PRIMARY KEY,
        source_id INTEGER REFERENCES source_files(id) ON DELETE CASCADE,
        ord       INTEGER NOT NULL DEFAULT 0,
        lat REAL NOT NULL, lon REAL NOT NULL, ele REAL, time_ms INTEGER,
        name TEXT, cmt TEXT, desc TEXT, sym TEXT, type TEXT,
        kind TEXT NOT NULL,
        categories TEXT, address TEXT
    );
    CREATE INDEX waypoints_source ON waypoints(source_id);
    CREATE INDEX waypoints_kind ON waypoints(kind);
    CREATE VIRTUAL TABLE waypoints_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);
    -- R-tree rows are not covered by foreign keys; these keep them in step.
    CREATE TRIGGER line_pieces_del AFTER DELETE ON line_pieces BEGIN
        DELETE FROM line_pieces_rtree WHERE id = old.id;
    END;
    CREATE TRIGGER waypoints_del AFTER DELETE ON waypoints BEGIN
        DELETE FROM waypoints_rtree WHERE id = old.id;
    END;
    "#,
    // Version 2: elevation models (DEM files as deflated blocks of nodes, an R*Tree of
    // their boxes); see `store::terrain`.
    super::terrain::TERRAIN_STEP,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`SCHEMA_VERSION`]; refuses a newer one.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
