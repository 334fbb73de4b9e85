//! PMTiles v3 raster basemaps, read-only: the single-file tile archive (a 127-byte header,
//! gzip-compressed varint directories, tiles addressed by Hilbert tile id) that protomaps
//! and QGIS write. PNG, JPEG and WebP tiles.
//!
//! Written by hand because the `pmtiles` crate reads only asynchronously (Tokio) and the
//! format is small: `spec/v3/spec.md` in protomaps/PMTiles. Reads with positioned reads on
//! one open file; the root directory is kept, leaf directories are read when needed and the
//! last few kept. Not for vector tiles (refused), nor for writing.
//!
//! Errors are [`MbTilesError`] (every message names the file), shared with the MBTiles
//! reader so the basemap code has one error type for both.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::core::model::BBox;
use crate::core::tiles::TileId;

use super::mbtiles::{MAX_TILE_BYTES, MbTilesError, MbTilesInfo, TileFormat};

/// Header size, bytes.
const HEADER_BYTES: usize = 127;
/// Directories bigger than this (compressed or not) are refused: the spec keeps the root
/// under 16 KiB and leaves are a few hundred KiB.
const MAX_DIRECTORY_BYTES: u64 = 32 * 1024 * 1024;
/// Entries in one directory at most (a directory of this many entries is already huge).
const MAX_ENTRIES: u64 = 4_000_000;
/// Leaf directories kept in memory.
const LEAF_CACHE: usize = 8;
/// Leaf directories followed from the root at most (the spec nests one level; be lenient).
const MAX_DEPTH: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u64,
    run_length: u64,
}

/// An open PMTiles file (read-only). One per thread.
pub struct PmTiles {
    file: File,
    info: MbTilesInfo,
    internal_gzip: bool,
    tile_gzip: bool,
    leaf_offset: u64,
    tile_offset: u64,
    root: Vec<Entry>,
    leaves: VecDeque<(u64, Vec<Entry>)>,
}

impl std::fmt::Debug for PmTiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PmTiles").field("info", &self.info).finish()
    }
}

/// The Hilbert tile id of `z/x/y` (PMTiles' address of a tile).
pub fn tile_id(z: u8, x: u32, y: u32) -> u64 {
    // Tiles of all shallower zooms come first: (4^z - 1) / 3 of them.
    let acc = ((1u64 << (2 * u32::from(z))) - 1) / 3;
    let n = 1u64 << z;
    let (mut tx, mut ty) = (u64::from(x), u64::from(y));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(tx & s > 0);
        let ry = u64::from(ty & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                tx = s.wrapping_sub(1).wrapping_sub(tx) & (s.wrapping_mul(2) - 1);
                ty = s.wrapping_sub(1).wrapping_sub(ty) & (s.wrapping_mul(2) - 1);
            }
            std::mem::swap(&mut tx, &mut ty);
        }
        s /= 2;
    }
    acc + d
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map_or(0, u64::from_le_bytes)
}

fn i32_at(b: &[u8], at: usize) -> i32 {
    b.get(at..at + 4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map_or(0, i32::from_le_bytes)
}

fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Parses a (decompressed) directory.
fn parse_directory(b: &[u8]) -> Option<Vec<Entry>> {
    let mut pos = 0;
    let n = varint(b, &mut pos)?;
    // Every entry takes at least four bytes; a count beyond that is a lie.
    if n > MAX_ENTRIES || n as usize > b.len() {
        return None;
    }
    let n = n as usize;
    let mut entries = vec![
        Entry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0,
        };
        n
    ];
    let mut last = 0u64;
    for e in entries.iter_mut() {
        last = last.checked_add(varint(b, &mut pos)?)?;
        e.tile_id = last;
    }
    for e in entries.iter_mut() {
        e.run_length = varint(b, &mut pos)?;
    }
    for e in entries.iter_mut() {
        e.length = varint(b, &mut pos)?;
    }
    for i in 0..n {
        let v = varint(b, &mut pos)?;
        let offset = if v == 0 && i > 0 {
            let prev = entries.get(i - 1)?;
            prev.offset.checked_add(prev.length)?
        } else {
            v.checked_sub(1)?
        };
        entries.get_mut(i)?.offset = offset;
    }
    Some(entries)
}

/// The entry holding `id`: the last with `tile_id <= id`, if its run covers `id` or it points
/// to a leaf.
fn find(entries: &[Entry], id: u64) -> Option<Entry> {
    let i = entries.partition_point(|e| e.tile_id <= id);
    let e = *entries.get(i.checked_sub(1)?)?;
    if e.run_length == 0 || id < e.tile_id.saturating_add(e.run_length) {
        Some(e)
    } else {
        None
    }
}

impl PmTiles {
    /// Opens a PMTiles v3 file: reads the header, the metadata (name, attribution) and the
    /// root directory.
    pub fn open(path: &Path) -> Result<PmTiles, MbTilesError> {
        let path_buf = path.to_path_buf();
        let not = |detail: &str| MbTilesError::NotPmTiles {
            path: path_buf.clone(),
            detail: detail.to_string(),
        };
        if !path.is_file() {
            return Err(MbTilesError::NotFound { path: path_buf });
        }
        let file = File::open(path).map_err(|e| MbTilesError::Read {
            path: path_buf.clone(),
            detail: e.to_string(),
        })?;
        let mut header = [0u8; HEADER_BYTES];
        read_exact_at(&file, &mut header, 0).map_err(|_| not("shorter than a PMTiles header"))?;
        if header.get(0..7) != Some(b"PMTiles".as_slice()) {
            return Err(not("no PMTiles magic"));
        }
        if header.get(7) != Some(&3) {
            return Err(not("only PMTiles version 3 is supported"));
        }
        let comp = |b: u8| match b {
            1 => Ok(false),
            2 => Ok(true),
            3 => Err(not("brotli compression is not supported")),
            4 => Err(not("zstd compression is not supported")),
            _ => Err(not("unknown compression")),
        };
        let internal_gzip = comp(*header.get(97).unwrap_or(&0))?;
        let tile_gzip = match header.get(98) {
            Some(0) => false,
            Some(b) => comp(*b)?,
            None => false,
        };
        let format = match header.get(99) {
            Some(2) => TileFormat::Png,
            Some(3) => TileFormat::Jpeg,
            Some(4) => TileFormat::Webp,
            Some(1) => {
                return Err(MbTilesError::Vector {
                    path: path_buf,
                    format: "mvt".into(),
                });
            }
            _ => {
                return Err(MbTilesError::Unsupported {
                    path: path_buf,
                    format: format!("tile type {}", header.get(99).unwrap_or(&0)),
                });
            }
        };
        let (root_off, root_len) = (u64_at(&header, 8), u64_at(&header, 16));
        let (meta_off, meta_len) = (u64_at(&header, 24), u64_at(&header, 32));
        let e7 = |at| f64::from(i32_at(&header, at)) / 1e7;
        let bounds = BBox {
            min_lon: e7(102),
            min_lat: e7(106),
            max_lon: e7(110),
            max_lat: e7(114),
        };
        let mut pm = PmTiles {
            file,
            info: MbTilesInfo {
                path: path_buf.clone(),
                name: path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                format,
                min_zoom: *header.get(100).unwrap_or(&0),
                max_zoom: *header.get(101).unwrap_or(&0),
                bounds: (bounds.min_lon < bounds.max_lon
                    && bounds.min_lat < bounds.max_lat
                    && bounds.min_lat >= -90.0
                    && bounds.max_lat <= 90.0)
                    .then_some(bounds),
                attribution: None,
            },
            internal_gzip,
            tile_gzip,
            leaf_offset: u64_at(&header, 40),
            tile_offset: u64_at(&header, 56),
            root: Vec::new(),
            leaves: VecDeque::new(),
        };
        if pm.info.min_zoom > pm.info.max_zoom || pm.info.max_zoom > 30 {
            return Err(not("zoom range in the header is not sensible"));
        }
        let root = pm.read_section(root_off, root_len, pm.internal_gzip)?;
        pm.root = parse_directory(&root).ok_or_else(|| not("the root directory is corrupt"))?;
        if meta_len > 0
            && let Ok(meta) = pm.read_section(meta_off, meta_len, pm.internal_gzip)
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&meta)
        {
            if let Some(name) = v.get("name").and_then(|n| n.as_str()) {
                pm.info.name = name.to_string();
            }
            pm.info.attribution = v
                .get("attribution")
                .and_then(|n| n.as_str())
                .map(str::to_string);
        }
        Ok(pm)
    }

    /// What the file says about itself.
    pub fn info(&self) -> &MbTilesInfo {
        &self.info
    }

    fn read_section(&self, offset: u64, len: u64, gzip: bool) -> Result<Vec<u8>, MbTilesError> {
        let path = || self.info.path.clone();
        if len > MAX_DIRECTORY_BYTES.max(MAX_TILE_BYTES as u64) {
            return Err(MbTilesError::NotPmTiles {
                path: path(),
                detail: format!("a section claims {len} bytes"),
            });
        }
        let mut buf = vec![0u8; len as usize];
        read_exact_at(&self.file, &mut buf, offset).map_err(|e| MbTilesError::Read {
            path: path(),
            detail: format!("reading {len} bytes at {offset}: {e}"),
        })?;
        if !gzip {
            return Ok(buf);
        }
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(buf.as_slice())
            .take(MAX_DIRECTORY_BYTES.max(MAX_TILE_BYTES as u64) + 1)
            .read_to_end(&mut out)
            .map_err(|e| MbTilesError::Read {
                path: path(),
                detail: format!("gzip at {offset}: {e}"),
            })?;
        Ok(out)
    }

    fn leaf(&mut self, offset: u64, len: u64) -> Result<Vec<Entry>, MbTilesError> {
        if let Some((_, e)) = self.leaves.iter().find(|(o, _)| *o == offset) {
            return Ok(e.clone());
        }
        let bytes = self.read_section(
            self.leaf_offset.saturating_add(offset),
            len,
            self.internal_gzip,
        )?;
        let entries = parse_directory(&bytes).ok_or_else(|| MbTilesError::NotPmTiles {
            path: self.info.path.clone(),
            detail: format!("leaf directory at {offset} is corrupt"),
        })?;
        if self.leaves.len() >= LEAF_CACHE {
            self.leaves.pop_front();
        }
        self.leaves.push_back((offset, entries.clone()));
        Ok(entries)
    }

    /// The encoded image of tile `id` (XYZ rows, as PMTiles has them), `None` when the file
    /// has no such tile.
    pub fn tile(&mut self, id: TileId) -> Result<Option<Vec<u8>>, MbTilesError> {
        if id.z > 30 {
            return Ok(None);
        }
        let want = tile_id(id.z, id.x, id.y);
        let mut dir = self.root.clone();
        for _ in 0..MAX_DEPTH {
            let Some(e) = find(&dir, want) else {
                return Ok(None);
            };
            if e.run_length > 0 {
                if e.length > MAX_TILE_BYTES as u64 {
                    return Err(MbTilesError::TileTooLarge {
                        path: self.info.path.clone(),
                        tile: id,
                        bytes: e.length,
                    });
                }
                let data = self.read_section(
                    self.tile_offset.saturating_add(e.offset),
                    e.length,
                    self.tile_gzip,
                )?;
                return Ok(Some(data));
            }
            dir = self.leaf(e.offset, e.length)?;
        }
        Ok(None)
    }

    /// Some tile's bytes (the first entry's), to learn the tile size.
    pub fn sample_tile(&mut self) -> Result<Option<Vec<u8>>, MbTilesError> {
        let Some(e) = self.root.iter().find(|e| e.run_length > 0).copied() else {
            return Ok(None);
        };
        if e.length > MAX_TILE_BYTES as u64 {
            return Ok(None);
        }
        self.read_section(
            self.tile_offset.saturating_add(e.offset),
            e.length,
            self.tile_gzip,
        )
        .map(Some)
    }
}

fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt as _;
    file.read_exact_at(buf, offset)
}

/// A raster basemap file of either kind, chosen by its first bytes.
#[derive(Debug)]
pub enum TileArchive {
    /// An MBTiles (SQLite) file.
    Mb(super::MbTiles),
    /// A PMTiles file.
    Pm(PmTiles),
}

impl TileArchive {
    /// Opens `path` as PMTiles when it starts with the PMTiles magic, else as MBTiles.
    pub fn open(path: &Path) -> Result<TileArchive, MbTilesError> {
        let mut magic = [0u8; 7];
        let is_pm = File::open(path)
            .and_then(|f| read_exact_at(&f, &mut magic, 0))
            .is_ok()
            && &magic == b"PMTiles";
        if is_pm {
            PmTiles::open(path).map(TileArchive::Pm)
        } else {
            super::MbTiles::open(path).map(TileArchive::Mb)
        }
    }

    /// What the file says about itself.
    pub fn info(&self) -> &MbTilesInfo {
        match self {
            TileArchive::Mb(m) => m.info(),
            TileArchive::Pm(p) => p.info(),
        }
    }

    /// The encoded tile `id`, if the file has it.
    pub fn tile(&mut self, id: TileId) -> Result<Option<Vec<u8>>, MbTilesError> {
        match self {
            TileArchive::Mb(m) => m.tile(id),
            TileArchive::Pm(p) => p.tile(id),
        }
    }

    /// Some tile, to learn the tile size.
    pub fn sample_tile(&mut self) -> Result<Option<Vec<u8>>, MbTilesError> {
        match self {
            TileArchive::Mb(m) => m.sample_tile(),
            TileArchive::Pm(p) => p.sample_tile(),
        }
    }

    /// The file.
    pub fn path(&self) -> &PathBuf {
        &self.info().path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hilbert_ids_match_the_spec() {
        // Values from the PMTiles spec and its reference implementation's tests.
        assert_eq!(tile_id(0, 0, 0), 0);
        assert_eq!(tile_id(1, 0, 0), 1);
        assert_eq!(tile_id(1, 0, 1), 2);
        assert_eq!(tile_id(1, 1, 1), 3);
        assert_eq!(tile_id(1, 1, 0), 4);
        assert_eq!(tile_id(2, 0, 0), 5);
        assert_eq!(tile_id(2, 1, 3), 11);
        assert_eq!(tile_id(3, 3, 0), 26);
        assert_eq!(tile_id(12, 3423, 1763), 19_078_479);
        // Every id at a zoom is used once.
        let mut ids: Vec<u64> = (0..8)
            .flat_map(|x| (0..8).map(move |y| tile_id(3, x, y)))
            .collect();
        ids.sort_unstable();
        let first = tile_id(3, 0, 0);
        assert_eq!(ids, (first..first + 64).collect::<Vec<_>>());
    }

    fn put_varint(out: &mut Vec<u8>, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    #[test]
    fn directories_round_trip_and_lies_are_refused() {
        let mut d = Vec::new();
        put_varint(&mut d, 3);
        for delta in [5, 1, 10] {
            put_varint(&mut d, delta);
        }
        for run in [1, 2, 0] {
            put_varint(&mut d, run);
        }
        for len in [100, 50, 20] {
            put_varint(&mut d, len);
        }
        for off in [1, 0, 1001] {
            put_varint(&mut d, off);
        }
        let e = parse_directory(&d).unwrap();
        assert_eq!(e[1].offset, 100, "0 continues after the previous tile");
        assert_eq!(e[2].offset, 1000);
        assert_eq!(find(&e, 7).map(|x| x.tile_id), Some(6), "inside a run of 2");
        assert_eq!(find(&e, 8), None, "past the run");
        assert_eq!(find(&e, 16).map(|x| x.run_length), Some(0), "a leaf");
        // A count far beyond the bytes, and a cut-off directory.
        let mut lie = Vec::new();
        put_varint(&mut lie, 1 << 40);
        assert!(parse_directory(&lie).is_none());
        assert!(parse_directory(&d[..d.len() - 2]).is_none());
    }
}
