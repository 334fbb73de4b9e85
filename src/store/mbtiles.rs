//! MBTiles basemaps, read-only: the SQLite file of raster tiles most offline map tools
//! write (`metadata` name/value rows and a `tiles` table or view of
//! `zoom_level, tile_column, tile_row, tile_data`, rows in TMS order, from the south).
//!
//! Opening reads only the metadata (and, when the metadata lacks the zoom range, the
//! `min`/`max` of `zoom_level`, which the usual index answers without a scan), so a large
//! file opens at once. Never writes, never creates a file.
//!
//! Not for decoding images or caching tiles (see `app::basemap`) nor for tile maths (see
//! `core::tiles`); this is the only place MBTiles SQL is written.

use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension as _, params};

use crate::core::model::BBox;
use crate::core::tiles::{MAX_ZOOM, TileId};

/// Tiles bigger than this are refused (a raster tile is tens of kilobytes), bytes.
pub const MAX_TILE_BYTES: usize = 8 * 1024 * 1024;

const TILE_SQL: &str = "SELECT CASE WHEN length(tile_data) <= ?4 THEN tile_data END, \
     length(tile_data) FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3";

/// What can go wrong with an MBTiles file. Every message names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MbTilesError {
    /// There is no such file (or it is a folder).
    #[error("{}: no such file", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The file is not an SQLite database.
    #[error("{}: not an MBTiles file (not an SQLite database)", path.display())]
    NotSqlite {
        /// The file.
        path: PathBuf,
    },
    /// The database has no usable `tiles` table or view.
    #[error("{}: not an MBTiles file ({detail})", path.display())]
    NoTiles {
        /// The file.
        path: PathBuf,
        /// What is missing.
        detail: String,
    },
    /// The tiles are vector tiles (`pbf`).
    #[error(
        "{}: vector MBTiles (format {format}) are not supported; open a raster (PNG, JPEG or WebP) MBTiles file",
        path.display()
    )]
    Vector {
        /// The file.
        path: PathBuf,
        /// The format named in the file.
        format: String,
    },
    /// The tiles are in a format this build cannot draw.
    #[error("{}: tile format {format:?} is not supported (PNG, JPEG or WebP only)", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The format named in the file, or what its first tile looks like.
        format: String,
    },
    /// The file is not a PMTiles v3 archive this reader can use.
    #[error("{}: not a usable PMTiles file ({detail})", path.display())]
    NotPmTiles {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// SQLite failed while reading.
    #[error("{}: {detail}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// SQLite's message.
        detail: String,
    },
    /// One tile's data is larger than [`MAX_TILE_BYTES`].
    #[error("{}: tile {tile} is {bytes} bytes, over the {MAX_TILE_BYTES}-byte limit", path.display())]
    TileTooLarge {
        /// The file.
        path: PathBuf,
        /// The tile.
        tile: TileId,
        /// Its size.
        bytes: u64,
    },
}

/// Raster tile encodings that can be drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// WebP (PMTiles from QGIS and protomaps often are).
    Webp,
}

impl TileFormat {
    /// `"PNG"` or `"JPEG"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TileFormat::Png => "PNG",
            TileFormat::Jpeg => "JPEG",
            TileFormat::Webp => "WebP",
        }
    }
}

/// What an opened MBTiles file says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct MbTilesInfo {
    /// The file.
    pub path: PathBuf,
    /// The `name` metadata, else the file name.
    pub name: String,
    /// The tile encoding (the `format` metadata, else sniffed from one tile).
    pub format: TileFormat,
    /// Shallowest zoom with tiles.
    pub min_zoom: u8,
    /// Deepest zoom with tiles.
    pub max_zoom: u8,
    /// The `bounds` metadata (west, south, east, north; west > east crosses the
    /// antimeridian), when present and sensible.
    pub bounds: Option<BBox>,
    /// The `attribution` metadata (shown with the map).
    pub attribution: Option<String>,
}

/// An open MBTiles file (read-only). One per thread: the connection is not shared.
pub struct MbTiles {
    conn: Connection,
    info: MbTilesInfo,
}

impl std::fmt::Debug for MbTiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MbTiles").field("info", &self.info).finish()
    }
}

/// What the first bytes of a tile say it is.
pub fn sniff_format(bytes: &[u8]) -> &'static str {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => "png",
        [0xff, 0xd8, 0xff, ..] => "jpg",
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => "webp",
        [0x1f, 0x8b, ..] => "pbf",
        [b'G', b'I', b'F', ..] => "gif",
        _ => "unknown",
    }
}

impl MbTiles {
    /// Opens `path` read-only and reads its metadata. Fails, naming the file, when it is not
    /// SQLite, has no `tiles` table or view, holds vector tiles, or an unsupported format.
    pub fn open(path: &Path) -> Result<MbTiles, MbTilesError> {
        let owned = || path.to_path_buf();
        if !path.is_file() {
            return Err(MbTilesError::NotFound { path: owned() });
        }
        let read = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => MbTilesError::NotSqlite { path: owned() },
            _ => MbTilesError::Read {
                path: owned(),
                detail: e.to_string(),
            },
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(read)?;
        let tiles: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'tiles' AND type IN ('table', 'view')",
                [],
                |r| r.get(0),
            )
            .map_err(read)?;
        if tiles == 0 {
            return Err(MbTilesError::NoTiles {
                path: owned(),
                detail: "no `tiles` table or view".into(),
            });
        }
        if let Err(e) = conn.prepare(TILE_SQL) {
            return Err(MbTilesError::NoTiles {
                path: owned(),
                detail: format!("unusable `tiles`: {e}"),
            });
        }
        let meta = read_metadata(&conn).map_err(read)?;
        let get = |key: &str| {
            meta.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let mut format_name = get("format").map(|f| f.to_ascii_lowercase());
        if format_name.is_none() {
            let sample = first_tile(&conn).map_err(read)?;
            format_name = sample.map(|b| sniff_format(&b).to_string());
        }
        let format = match format_name.as_deref() {
            Some("png" | "image/png") => TileFormat::Png,
            Some("jpg" | "jpeg" | "image/jpeg" | "image/jpg") => TileFormat::Jpeg,
            Some("webp" | "image/webp") => TileFormat::Webp,
            Some(
                f @ ("pbf"
                | "mvt"
                | "application/x-protobuf"
                | "application/vnd.mapbox-vector-tile"),
            ) => {
                return Err(MbTilesError::Vector {
                    path: owned(),
                    format: f.to_string(),
                });
            }
            Some(f) => {
                return Err(MbTilesError::Unsupported {
                    path: owned(),
                    format: f.to_string(),
                });
            }
            None => {
                return Err(MbTilesError::NoTiles {
                    path: owned(),
                    detail: "the `tiles` table is empty".into(),
                });
            }
        };

        let zoom = |key: &str| {
            get(key)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|z| z.is_finite() && *z >= 0.0 && *z <= f64::from(MAX_ZOOM))
                .map(|z| z.round() as u8)
        };
        let (min_zoom, max_zoom) = match (zoom("minzoom"), zoom("maxzoom")) {
            (Some(lo), Some(hi)) if lo <= hi => (lo, hi),
            _ => {
                // The standard unique index on (zoom_level, ...) answers min and max at once.
                let (lo, hi): (Option<i64>, Option<i64>) = conn
                    .query_row(
                        "SELECT min(zoom_level), max(zoom_level) FROM tiles",
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .map_err(read)?;
                let clamp = |z: i64| z.clamp(0, i64::from(MAX_ZOOM)) as u8;
                match (lo, hi) {
                    (Some(lo), Some(hi)) => (clamp(lo.min(hi)), clamp(hi.max(lo))),
                    _ => {
                        return Err(MbTilesError::NoTiles {
                            path: owned(),
                            detail: "the `tiles` table is empty".into(),
                        });
                    }
                }
            }
        };
        let bounds = get("bounds").and_then(|b| parse_bounds(&b));
        let name = get("name").unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string())
        });
        Ok(MbTiles {
            conn,
            info: MbTilesInfo {
                path: owned(),
                name,
                format,
                min_zoom,
                max_zoom,
                bounds,
                attribution: get("attribution"),
            },
        })
    }

    /// What the file says about itself.
    pub fn info(&self) -> &MbTilesInfo {
        &self.info
    }

    /// The encoded image of tile `id` (XYZ; the TMS row flip is done here), `None` when the
    /// file has no such tile.
    pub fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, MbTilesError> {
        let read = |e: rusqlite::Error| MbTilesError::Read {
            path: self.info.path.clone(),
            detail: e.to_string(),
        };
        let mut st = self.conn.prepare_cached(TILE_SQL).map_err(read)?;
        let row = st
            .query_row(
                params![id.z, id.x, id.tms_row(), MAX_TILE_BYTES as i64],
                |r| {
                    let data = bytes_of(r.get_ref(0)?);
                    let len: Option<i64> = r.get(1)?;
                    Ok((data, len))
                },
            )
            .optional()
            .map_err(read)?;
        match row {
            None | Some((None, None)) => Ok(None),
            Some((Some(data), _)) => Ok(Some(data)),
            Some((None, Some(len))) => Err(MbTilesError::TileTooLarge {
                path: self.info.path.clone(),
                tile: id,
                bytes: u64::try_from(len).unwrap_or_default(),
            }),
        }
    }

    /// Some tile's bytes (the first row), to learn the tile size; `None` for an empty file.
    pub fn sample_tile(&self) -> Result<Option<Vec<u8>>, MbTilesError> {
        first_tile(&self.conn).map_err(|e| MbTilesError::Read {
            path: self.info.path.clone(),
            detail: e.to_string(),
        })
    }
}

fn bytes_of(v: ValueRef<'_>) -> Option<Vec<u8>> {
    match v {
        ValueRef::Blob(b) | ValueRef::Text(b) => Some(b.to_vec()),
        _ => None,
    }
}

fn first_tile(conn: &Connection) -> rusqlite::Result<Option<Vec<u8>>> {
    let sql =
        format!("SELECT tile_data FROM tiles WHERE length(tile_data) <= {MAX_TILE_BYTES} LIMIT 1");
    conn.query_row(&sql, [], |r| Ok(bytes_of(r.get_ref(0)?)))
        .optional()
        .map(Option::flatten)
}

/// The metadata rows as text (a missing `metadata` table is no metadata). Only the keys
/// used are read, so a vector file's large `json` row is never loaded.
fn read_metadata(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let has: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE name = 'metadata' AND type IN ('table', 'view')",
        [],
        |r| r.get(0),
    )?;
    if has == 0 {
        return Ok(Vec::new());
    }
    let mut st = conn.prepare(
        "SELECT name, value FROM metadata WHERE lower(name) IN \
         ('name', 'format', 'minzoom', 'maxzoom', 'bounds', 'attribution')",
    )?;
    let rows = st.query_map([], |r| {
        let text = |v: ValueRef<'_>| match v {
            ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
            ValueRef::Integer(i) => i.to_string(),
            ValueRef::Real(f) => f.to_string(),
            ValueRef::Null => String::new(),
        };
        Ok((text(r.get_ref(0)?), text(r.get_ref(1)?)))
    })?;
    rows.collect()
}

/// `"west,south,east,north"` in degrees.
fn parse_bounds(text: &str) -> Option<BBox> {
    let v: Vec<f64> = text
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    let [w, s, e, n] = v.as_slice() else {
        return None;
    };
    let ok_lon = |x: &f64| (-180.0..=180.0).contains(x);
    let ok_lat = |y: &f64| (-90.0..=90.0).contains(y);
    (ok_lon(w) && ok_lon(e) && ok_lat(s) && ok_lat(n) && s < n).then_some(BBox {
        min_lon: *w,
        min_lat: *s,
        max_lon: *e,
        max_lat: *n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small MBTiles file written with plain SQL; `tiles` rows are (z, x, tms_row, data).
    fn write(path: &Path, meta: &[(&str, &str)], tiles: &[(u8, u32, u32, &[u8])]) {
        let c = Connection::open(path).unwrap();
        c.execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
        )
        .unwrap();
        for (k, v) in meta {
            c.execute("INSERT INTO metadata VALUES (?1, ?2)", params![k, v])
                .unwrap();
        }
        for (z, x, y, d) in tiles {
            c.execute(
                "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
                params![z, x, y, d],
            )
            .unwrap();
        }
    }

    const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0, 0];

    #[test]
    fn metadata_is_read_and_rows_are_flipped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.mbtiles");
        write(
            &p,
            &[
                ("name", "Test map"),
                ("format", "PNG"),
                ("minzoom", "2"),
                ("maxzoom", "5"),
                ("bounds", "-122,43,-120,45"),
            ],
            // TMS row 2 at zoom 2 is XYZ row 1.
            &[(2, 1, 2, PNG_MAGIC)],
        );
        let m = MbTiles::open(&p).unwrap();
        let i = m.info();
        assert_eq!(i.name, "Test map");
        assert_eq!(i.format, TileFormat::Png);
        assert_eq!((i.min_zoom, i.max_zoom), (2, 5));
        assert_eq!(i.bounds.unwrap().min_lon, -122.0);
        let t = TileId::new(2, 1, 1).unwrap();
        assert_eq!(m.tile(t).unwrap().as_deref(), Some(PNG_MAGIC));
        assert_eq!(m.tile(TileId::new(2, 1, 2).unwrap()).unwrap(), None);
    }

    #[test]
    fn missing_metadata_falls_back_to_the_tiles() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bare.mbtiles");
        write(
            &p,
            &[],
            &[(3, 0, 0, &[0xff, 0xd8, 0xff, 0xe0]), (7, 0, 0, PNG_MAGIC)],
        );
        let i = MbTiles::open(&p).unwrap().info().clone();
        assert_eq!(i.name, "bare");
        assert_eq!(i.format, TileFormat::Jpeg, "sniffed from the first row");
        assert_eq!((i.min_zoom, i.max_zoom), (3, 7));
        assert_eq!(i.bounds, None);
    }

    #[test]
    fn an_empty_tiles_table_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("empty.mbtiles");
        write(&p, &[("format", "png")], &[]);
        let e = MbTiles::open(&p).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
    }

    #[test]
    fn gzip_tiles_are_vector_tiles() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.mbtiles");
        write(&p, &[], &[(0, 0, 0, &[0x1f, 0x8b, 8, 0])]);
        assert!(matches!(
            MbTiles::open(&p),
            Err(MbTilesError::Vector { .. })
        ));
    }

    #[test]
    fn bounds_are_checked() {
        assert!(parse_bounds("-180,-85.05,180,85.05").is_some());
        assert!(
            parse_bounds(" 170, -20, -170, -10 ").is_some(),
            "across 180"
        );
        assert!(parse_bounds("1,2,3").is_none());
        assert!(parse_bounds("a,b,c,d").is_none());
        assert!(parse_bounds("0,10,1,5").is_none());
        assert!(parse_bounds("0,-95,1,5").is_none());
    }

    #[test]
    fn the_file_is_not_created_or_changed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("absent.mbtiles");
        assert!(matches!(
            MbTiles::open(&p),
            Err(MbTilesError::NotFound { .. })
        ));
        assert!(!p.exists());
    }
}
