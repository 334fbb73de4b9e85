//! The SQLite database: the only module that writes SQL.
//!
//! One file in WAL mode. Lines (tracks, routes, drives) are stored as pieces of up to
//! [`PIECE_POINTS`] points in packed BLOBs, each piece's bounding box in an R*Tree, so a map
//! window or a page frame reads only what it shows. Waypoints have an R*Tree of their own.
//! Returns core model types; never decides what to draw or how to navigate.
//! [`mbtiles`] and [`pmtiles`] read raster basemaps (read-only, files of their own).
//! [`terrain`] holds elevation models (DEM blocks) and answers elevations and DEM windows.

mod drives;
mod import;
mod map;
mod matching;
pub mod mbtiles;
pub mod migrations;
pub mod pmtiles;
mod points;
mod queries;
mod rtree_pack;
pub mod terrain;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

pub use import::{FileStatus, ImportOptions, ImportReport};
pub use map::{MapFileInfo, MapImportOptions, MapImportReport, MapInfo};
pub use matching::MatchedRoute;
pub use mbtiles::{MbTiles, MbTilesError, MbTilesInfo, TileFormat};
pub use pmtiles::{PmTiles, TileArchive};
pub use queries::{Info, LinePath, LineSummary};
pub use terrain::{DemInfo, DemReport, DemSource, ElevationModel};

/// Points per stored piece: big enough that a 1,000,000-point track is 4,000 rows, small
/// enough that a map window reads little more than it shows.
pub const PIECE_POINTS: usize = 256;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite said no. Not a `#[source]`: rusqlite's message already carries SQLite's, and a
    /// source would print it a second (and third) time in an error chain.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// The database file cannot be opened or created (a folder, no permission, ...).
    #[error("cannot open database {path}: {reason}")]
    Open {
        /// The file.
        path: PathBuf,
        /// SQLite's reason, once.
        reason: String,
    },
    /// Another process holds the database for writing longer than the busy timeout.
    #[error("the database is busy (another trailatlas is writing to it); try again")]
    Busy,
    /// The file was written by a newer trailatlas.
    #[error(
        "database schema version {found} is newer than this trailatlas supports ({supported}); upgrade trailatlas"
    )]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Newest this build knows.
        supported: i64,
    },
    /// No line has that id or name.
    #[error("no track or route {0:?} (see `trailatlas routes`)")]
    NoSuchLine(String),
    /// A name matches several lines.
    #[error("{name:?} matches several tracks/routes (ids {ids}); use the id")]
    Ambiguous {
        /// The name asked for.
        name: String,
        /// The matching ids, comma-separated.
        ids: String,
    },
    /// Stored data is not what this build wrote.
    #[error("corrupt data in the database: {0}")]
    Corrupt(String),
    /// Reading a file to import failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

impl StoreError {
    /// An error met while opening `path`: SQLite's "unable to open" becomes [`StoreError::Open`]
    /// with the reason said once (rusqlite repeats the path and the code in its message).
    fn opening(path: &Path, e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::CannotOpen) {
            let reason = match &e {
                rusqlite::Error::SqliteFailure(f, _) => f.to_string(),
                other => other.to_string(),
            };
            // `ffi::Error` displays as "Error code 14: unable to open database file".
            let reason = reason
                .split_once(": ")
                .filter(|(head, _)| head.starts_with("Error code"))
                .map_or(reason.clone(), |(_, r)| r.to_string());
            return StoreError::Open {
                path: path.to_path_buf(),
                reason,
            };
        }
        Self::from_sqlite(e)
    }

    pub(crate) fn from_sqlite(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Busy
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

/// An open trailatlas database.
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database file, in WAL mode, migrated to the current
    /// schema.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|e| StoreError::opening(path, e))?;
        // SQLite opens lazily: a folder or an unreadable file fails at the first statement.
        Self::setup(conn, Some(path.to_path_buf())).map_err(|e| match e {
            StoreError::Sqlite(s) => StoreError::opening(path, s),
            other => other,
        })
    }

    /// A private in-memory database (tests, fuzzing).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Self::setup(conn, None)
    }

    fn setup(mut conn: Connection, path: Option<PathBuf>) -> Result<Store, StoreError> {
        // A writer in another process (the app recording a drive while the CLI imports)
        // holds the lock for at most one file's import; wait that long before saying busy.
        conn.busy_timeout(Duration::from_secs(30))?;
        // Refuse a newer database before anything below writes to it (switching to WAL
        // rewrites the file header), so an older trailatlas leaves it byte for byte alone.
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(StoreError::from_sqlite)?;
        if found > migrations::SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found,
                supported: migrations::SCHEMA_VERSION,
            });
        }
        if path.is_some() {
            let mode: String = conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
                .map_err(StoreError::from_sqlite)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Corrupt(format!(
                    "cannot switch to WAL mode (got {mode})"
                )));
            }
        }
        // NORMAL in WAL mode never corrupts on a crash; a power loss may drop the last
        // commits, which is why drive recording switches to FULL (see `begin_drive`).
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut conn).map_err(|e| match e {
            StoreError::Sqlite(s) => StoreError::from_sqlite(s),
            other => other,
        })?;
        Ok(Store { conn, path })
    }

    /// The file this store was opened from (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Runs `f`, one bulk import, with the database in rollback-journal mode when no other
    /// connection has it open, and back in WAL mode after.
    ///
    /// In WAL mode every page is written twice: into the WAL, then by the checkpoint into the
    /// database. In rollback mode the pages a transaction appends past the end of the file
    /// need no journal, so the first import of a state-size extract writes each page once
    /// (1.4 s of 9.5 s, BENCHMARKS.md). Leaving WAL needs the only connection: with another
    /// one open (the app recording a drive) SQLite refuses at once and the import runs in
    /// WAL as before. Rollback mode is crash-safe with `synchronous = FULL`, set meanwhile.
    /// The price: a connection opened meanwhile waits for the commit (the busy timeout)
    /// instead of reading the old state beside the writer.
    pub(crate) fn bulk<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let was_wal = self.path.is_some()
            && self
                .conn
                .pragma_query_value(None, "journal_mode", |r| r.get::<_, String>(0))
                .is_ok_and(|m| m.eq_ignore_ascii_case("wal"));
        // Restored after, as it was: a connection recording a drive runs with FULL.
        let sync: i64 = self
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap_or(1);
        let switched = was_wal
            && self.conn.pragma_update(None, "synchronous", "FULL").is_ok()
            && self
                .conn
                .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0))
                .is_ok_and(|m| m.eq_ignore_ascii_case("delete"));
        let out = f(self);
        if was_wal {
            // Entering WAL needs a moment with no reader: another process may have opened
            // the file since the import committed. Every `Store::open` switches to WAL too,
            // so a failure here only leaves this connection in rollback mode.
            for _ in 0..20 {
                let back = self
                    .conn
                    .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
                    .is_ok_and(|m| m.eq_ignore_ascii_case("wal"));
                if back || !switched {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.conn.pragma_update(None, "synchronous", sync);
        }
        out
    }

    /// This connection's `PRAGMA synchronous` (1 NORMAL, 2 FULL): FULL while recording a
    /// drive, NORMAL otherwise.
    pub fn synchronous(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))?)
    }

    /// Runs `PRAGMA integrity_check`, then `rtreecheck` on every R*Tree (the map import
    /// writes its trees' nodes itself); `Ok(())` when SQLite answers "ok" to each.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let answer: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if answer != "ok" {
            return Err(StoreError::Corrupt(answer));
        }
        let trees: Vec<String> = self
            .conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table'
                 AND sql LIKE 'CREATE VIRTUAL TABLE % USING rtree%'",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for t in trees {
            let answer: String = self
                .conn
                .query_row("SELECT rtreecheck(?1)", [&t], |r| r.get(0))?;
            if answer != "ok" {
                return Err(StoreError::Corrupt(format!("{t}: {answer}")));
            }
        }
        Ok(())
    }
}

/// The clock, for import and computation times (milliseconds since 1970; 0 if the clock is
/// before it).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
