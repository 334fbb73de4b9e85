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
    // Version 2: OpenStreetMap map data. One table per layer, each with an R*Tree whose third
    // dimension is [0, max_scale], so a query at 1:2,000,000 reads only what shows there;
    // geometry at four generalisation levels (g1..g3 NULL: same as the finer level; an empty
    // blob: not drawn at that level). `osm` is `n123`/`w123`/`r123`: a newer extract replaces
    // features by it (see store::map).
    r#"
    CREATE TABLE map_files (
        id               INTEGER PRIMARY KEY,
        path             TEXT NOT NULL,
        hash             TEXT NOT NULL,
        filter           TEXT NOT NULL DEFAULT '',
        size_bytes       INTEGER NOT NULL,
        replication_ms   INTEGER,
        generator        TEXT,
        min_lon REAL, min_lat REAL, max_lon REAL, max_lat REAL,
        imported_ms      INTEGER NOT NULL,
        nodes            INTEGER NOT NULL DEFAULT 0,
        ways             INTEGER NOT NULL DEFAULT 0,
        relations        INTEGER NOT NULL DEFAULT 0,
        roads            INTEGER NOT NULL DEFAULT 0,
        water_lines      INTEGER NOT NULL DEFAULT 0,
        areas            INTEGER NOT NULL DEFAULT 0,
        places           INTEGER NOT NULL DEFAULT 0,
        pois             INTEGER NOT NULL DEFAULT 0,
        broken_relations INTEGER NOT NULL DEFAULT 0,
        clipped_ways     INTEGER NOT NULL DEFAULT 0,
        outside_corridor INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE map_roads (
        id            INTEGER PRIMARY KEY,
        file_id       INTEGER NOT NULL REFERENCES map_files(id) ON DELETE CASCADE,
        osm           TEXT NOT NULL,
        highway       TEXT NOT NULL,
        class         TEXT NOT NULL,
        surface       TEXT NOT NULL,
        surface_tag   TEXT,
        tracktype     INTEGER,
        smoothness    TEXT,
        four_wd_only  INTEGER NOT NULL,
        access        TEXT,
        motor_vehicle TEXT,
        name          TEXT,
        ref           TEXT,
        bridge        INTEGER NOT NULL,
        tunnel        INTEGER NOT NULL,
        ford          INTEGER NOT NULL,
        oneway        INTEGER NOT NULL,
        seasonal      INTEGER NOT NULL,
        drivable      INTEGER NOT NULL,
        max_scale     INTEGER NOT NULL,
        length_m      REAL NOT NULL,
        g0 BLOB NOT NULL, g1 BLOB, g2 BLOB, g3 BLOB
    );
    CREATE INDEX map_roads_file ON map_roads(file_id);
    CREATE INDEX map_roads_osm ON map_roads(osm);
    CREATE VIRTUAL TABLE map_roads_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat, min_scale, max_scale);
    CREATE TABLE map_water_lines (
        id           INTEGER PRIMARY KEY,
        file_id      INTEGER NOT NULL REFERENCES map_files(id) ON DELETE CASCADE,
        osm          TEXT NOT NULL,
        kind         TEXT NOT NULL,
        name         TEXT,
        intermittent INTEGER NOT NULL,
        max_scale    INTEGER NOT NULL,
        length_m     REAL NOT NULL,
        g0 BLOB NOT NULL, g1 BLOB, g2 BLOB, g3 BLOB
    );
    CREATE INDEX map_water_lines_file ON map_water_lines(file_id);
    CREATE INDEX map_water_lines_osm ON map_water_lines(osm);
    CREATE VIRTUAL TABLE map_water_lines_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat, min_scale, max_scale);
    CREATE TABLE map_areas (
        id            INTEGER PRIMARY KEY,
        file_id       INTEGER NOT NULL REFERENCES map_files(id) ON DELETE CASCADE,
        osm           TEXT NOT NULL,
        kind          TEXT NOT NULL,
        name          TEXT,
        protect_class TEXT,
        operator      TEXT,
        max_scale     INTEGER NOT NULL,
        area_m2       REAL NOT NULL,
        g0 BLOB NOT NULL, g1 BLOB, g2 BLOB, g3 BLOB
    );
    CREATE INDEX map_areas_file ON map_areas(file_id);
    CREATE INDEX map_areas_osm ON map_areas(osm);
    CREATE VIRTUAL TABLE map_areas_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat, min_scale, max_scale);
    CREATE TABLE map_places (
        id         INTEGER PRIMARY KEY,
        file_id    INTEGER NOT NULL REFERENCES map_files(id) ON DELETE CASCADE,
        osm        TEXT NOT NULL,
        kind       TEXT NOT NULL,
        name       TEXT NOT NULL,
        population INTEGER,
        max_scale  INTEGER NOT NULL,
        lat REAL NOT NULL, lon REAL NOT NULL
    );
    CREATE INDEX map_places_file ON map_places(file_id);
    CREATE INDEX map_places_osm ON map_places(osm);
    CREATE VIRTUAL TABLE map_places_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat, min_scale, max_scale);
    CREATE TABLE map_pois (
        id            INTEGER PRIMARY KEY,
        file_id       INTEGER NOT NULL REFERENCES map_files(id) ON DELETE CASCADE,
        osm           TEXT NOT NULL,
        kind          TEXT NOT NULL,
        name          TEXT,
        brand         TEXT,
        opening_hours TEXT,
        ele           REAL,
        max_scale     INTEGER NOT NULL,
        lat REAL NOT NULL, lon REAL NOT NULL
    );
    CREATE INDEX map_pois_file ON map_pois(file_id);
    CREATE INDEX map_pois_osm ON map_pois(osm);
    CREATE INDEX map_pois_kind ON map_pois(kind);
    CREATE VIRTUAL TABLE map_pois_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat, min_scale, max_scale);
    CREATE TRIGGER map_roads_del AFTER DELETE ON map_roads BEGIN
        DELETE FROM map_roads_rtree WHERE id = old.id;
    END;
    CREATE TRIGGER map_water_lines_del AFTER DELETE ON map_water_lines BEGIN
        DELETE FROM map_water_lines_rtree WHERE id = old.id;
    END;
    CREATE TRIGGER map_areas_del AFTER DELETE ON map_areas BEGIN
        DELETE FROM map_areas_rtree WHERE id = old.id;
    END;
    CREATE TRIGGER map_places_del AFTER DELETE ON map_places BEGIN
        DELETE FROM map_places_rtree WHERE id = old.id;
    END;
    CREATE TRIGGER map_pois_del AFTER DELETE ON map_pois BEGIN
        DELETE FROM map_pois_rtree WHERE id = old.id;
    END;
    "#,
    // Version 3: elevation models (DEM files as deflated blocks of nodes, an R*Tree of
    // their boxes); see `store::terrain`.
    super::terrain::TERRAIN_STEP,
    // Version 4: route-to-road matches per line; see `store::matching`.
    super::matching::MATCHING_STEP,
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
