//! OpenStreetMap extracts (`.osm.pbf`) into a [`MapSink`]: roads, water, land, places, POIs.
//!
//! The `osmpbf` crate decodes blobs (zlib, dense nodes, string tables); this module reads the
//! blob framing itself so every size is checked against a cap and the bytes left in the file
//! before anything is allocated (osmpbf would read a 2 GB `datasize` into memory first), and
//! so errors name the blob's byte offset.
//!
//! Memory stays bounded on a state extract: no map of every node. The passes are
//! 0. framing: every blob header, seeking over the data (sizes, types, truncation);
//! 1. the way and relation blocks: ways and relations the rules keep are held with their
//!    node refs and only the tags the rules read. A block of nodes (told from its first
//!    inflated bytes, without decoding it) is left for pass 3, except the last of each run
//!    of node blocks: writers such as osmium fill blocks to a size, so the block where
//!    nodes end often holds the first ways too, and it is decoded here (1b);
//! 2. only when a kept multipolygon has untagged member ways: their node refs, from the way
//!    blocks only;
//! 3. the node blocks, each decoded once: tagged nodes become POIs and places, and the
//!    coordinates of the needed node ids are kept as a sorted `Vec<i64>` of ids beside
//!    `(i32, i32)` coordinates in 1e-7 degrees. A block's nodes are sorted, so each finds its
//!    wanted ids by seeking on from a sampled index, not a binary search per node.
//!
//! A file whose left node blocks turn out to hold ways (unusual: only a writer that mixes
//! types within blocks makes one) is read again with every block decoded in pass 1.
//!
//! Then the held ways and relations become features, in chunks of 2,048 on worker
//! threads, delivered to the sink in file order (so ids and replacement stay as in the file);
//! a sink that wants its geometry prepared (boxed, measured, generalised, encoded: most of a
//! feature's cost) says so with [`MapSink::prepare`], and that runs on the workers too, so the
//! sink's thread only writes. Blobs are decoded on worker threads.
//! Nodes missing from the extract (every extract has ways crossing its edge) cut a line into
//! the runs that exist; a ring with a missing node, or a multipolygon whose rings do not
//! close, is skipped and counted, never a panic.
//!
//! Knows nothing of SQL (the store implements the sink). Not for writing PBF.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use osmpbf::{BlobReader, Element, PrimitiveBlock, RelMemberType};

use super::SinkError;
use crate::core::map::corridor::Corridor;
use crate::core::map::{Area, OsmId, Place, Poi, Polygon, Road, WaterLine, build, geom, rules};
use crate::core::model::{BBox, LatLon};

/// Largest blob header accepted (the PBF spec's limit).
pub const MAX_BLOB_HEADER_BYTES: u32 = 64 * 1024;
/// Largest blob accepted, compressed or raw (the PBF spec's limit; osmpbf's as well).
pub const MAX_BLOB_BYTES: u64 = 32 * 1024 * 1024;

/// The file's `OSMHeader` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OsmHeader {
    /// The bounding box the extract was cut to, if the header has one.
    pub bbox: Option<BBox>,
    /// `osmosis_replication_timestamp`: the OSM data's date, Unix ms.
    pub replication_ms: Option<i64>,
    /// `writingprogram`.
    pub generator: Option<String>,
}

/// A line's or area's geometry, for [`MapSink::prepare`].
#[derive(Debug, Clone, Copy)]
pub enum Shape<'a> {
    /// A road's or water line's points.
    Line(&'a [LatLon]),
    /// An area's polygons.
    Polygons(&'a [Polygon]),
}

/// What a sink keeps of a shape besides its tags: worked out by [`MapSink::prepare`] on the
/// reader's worker threads, since generalising and encoding geometry is most of a feature's
/// cost and the sink's own work (inserting it) is single-threaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The bounding box (an area's: its outer rings').
    pub bbox: BBox,
    /// A line's length on the sphere, in metres (0 for areas).
    pub length_m: f64,
    /// The full geometry, encoded.
    pub full: Vec<u8>,
    /// Coarser levels, encoded; `None` where a level equals the finer one.
    pub coarser: [Option<Vec<u8>>; 3],
}

/// Prepares a shape for a sink: a plain function, so it runs on any thread.
pub type Prepare = fn(Shape<'_>) -> Prepared;

/// Receives an extract's features, in file order. A sink error aborts the read.
pub trait MapSink {
    /// The header, once, before any feature.
    fn header(&mut self, header: &OsmHeader) -> Result<(), SinkError> {
        let _ = header;
        Ok(())
    }
    /// Work the reader does for the sink on its worker threads: each road's, water line's
    /// and area's [`Prepared`] form, passed with it. `None` (the default): nothing prepared.
    fn prepare(&self) -> Option<Prepare> {
        None
    }
    /// A road (one run of existing nodes of a `highway` way).
    fn road(&mut self, road: Road, prepared: Option<Prepared>) -> Result<(), SinkError>;
    /// A river, stream or canal.
    fn water_line(&mut self, line: WaterLine, prepared: Option<Prepared>) -> Result<(), SinkError>;
    /// A water or land area.
    fn area(&mut self, area: Area, prepared: Option<Prepared>) -> Result<(), SinkError>;
    /// A named place.
    fn place(&mut self, place: Place) -> Result<(), SinkError>;
    /// A point of interest.
    fn poi(&mut self, poi: Poi) -> Result<(), SinkError>;
}

/// What a read found and delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapCounts {
    /// Nodes in the file.
    pub nodes: u64,
    /// Ways in the file.
    pub ways: u64,
    /// Relations in the file.
    pub relations: u64,
    /// Roads delivered.
    pub roads: u64,
    /// Water lines delivered.
    pub water_lines: u64,
    /// Areas delivered.
    pub areas: u64,
    /// Places delivered.
    pub places: u64,
    /// POIs delivered.
    pub pois: u64,
    /// Multipolygon or boundary relations skipped: rings that do not close, missing members.
    pub broken_relations: u64,
    /// Ways with nodes outside the extract (cut to what exists, or skipped when closed).
    pub clipped_ways: u64,
    /// Features left out because they lie outside the `--around` corridor.
    pub outside_corridor: u64,
}

/// Why an extract could not be read: one line, `path: blob at byte N: message`.
#[derive(Debug, Clone)]
pub struct OsmError {
    /// The file.
    pub path: PathBuf,
    /// Byte offset of the blob where it went wrong, when known.
    pub offset: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for OsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(o) => write!(
                f,
                "{}: blob at byte {o}: {}",
                self.path.display(),
                self.message
            ),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for OsmError {}

/// Progress of a read: bytes of blob data handled over all passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Done so far.
    pub done: u64,
    /// Expected in all.
    pub total: u64,
}

/// How to read.
#[derive(Default)]
pub struct ReadOptions<'a> {
    /// Keep only features reaching into this corridor.
    pub corridor: Option<&'a Corridor>,
    /// Called after each blob.
    pub progress: Option<&'a mut dyn FnMut(Progress)>,
    /// Decoding threads (0: one per core, at most 8).
    pub threads: usize,
}

impl fmt::Debug for ReadOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOptions")
            .field("corridor", &self.corridor.is_some())
            .field("threads", &self.threads)
            .finish()
    }
}

/// Reads an extract from a file.
pub fn read_file(
    path: &Path,
    sink: &mut dyn MapSink,
    opts: ReadOptions<'_>,
) -> Result<MapCounts, OsmError> {
    let err = |message: String| OsmError {
        path: path.to_path_buf(),
        offset: None,
        message,
    };
    if path.is_dir() {
        return Err(err("is a directory, not an .osm.pbf file".into()));
    }
    let file = File::open(path).map_err(|e| err(e.to_string()))?;
    let len = file.metadata().map_err(|e| err(e.to_string()))?.len();
    read(
        path,
        BufReader::with_capacity(1 << 16, file),
        len,
        sink,
        opts,
    )
}

/// Reads an extract held in memory, as if from a file named `label` (fuzzing, tests).
pub fn read_bytes(
    label: &Path,
    bytes: &[u8],
    sink: &mut dyn MapSink,
    opts: ReadOptions<'_>,
) -> Result<MapCounts, OsmError> {
    read(label, Cursor::new(bytes), bytes.len() as u64, sink, opts)
}

/// Collects everything in memory (tests, small extracts).
#[derive(Debug, Default, Clone)]
pub struct MapCollect {
    /// The header.
    pub header: OsmHeader,
    /// Roads.
    pub roads: Vec<Road>,
    /// Water lines.
    pub water_lines: Vec<WaterLine>,
    /// Areas.
    pub areas: Vec<Area>,
    /// Places.
    pub places: Vec<Place>,
    /// POIs.
    pub pois: Vec<Poi>,
}

impl MapSink for MapCollect {
    fn header(&mut self, header: &OsmHeader) -> Result<(), SinkError> {
        self.header = header.clone();
        Ok(())
    }
    fn road(&mut self, road: Road, _: Option<Prepared>) -> Result<(), SinkError> {
        self.roads.push(road);
        Ok(())
    }
    fn water_line(&mut self, line: WaterLine, _: Option<Prepared>) -> Result<(), SinkError> {
        self.water_lines.push(line);
        Ok(())
    }
    fn area(&mut self, area: Area, _: Option<Prepared>) -> Result<(), SinkError> {
        self.areas.push(area);
        Ok(())
    }
    fn place(&mut self, place: Place) -> Result<(), SinkError> {
        self.places.push(place);
        Ok(())
    }
    fn poi(&mut self, poi: Poi) -> Result<(), SinkError> {
        self.pois.push(poi);
        Ok(())
    }
}

// ---- framing ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlobKind {
    Header,
    Data,
}

/// One blob's frame in the file: length prefix, header and data.
#[derive(Debug, Clone, Copy)]
struct Frame {
    offset: u64,
    len: u64,
    kind: BlobKind,
    data_len: u64,
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The `type` and `datasize` of a `BlobHeader` message, parsed by hand so the size is known
/// (and capped) before the data is read.
fn parse_blob_header(buf: &[u8]) -> Result<(String, u64), String> {
    let bad = || "malformed blob header".to_string();
    let (mut pos, mut kind, mut size) = (0usize, None, None);
    while pos < buf.len() {
        let key = varint(buf, &mut pos).ok_or_else(bad)?;
        match (key >> 3, key & 7) {
            (3, 0) => size = Some(varint(buf, &mut pos).ok_or_else(bad)?),
            (_, 0) => {
                varint(buf, &mut pos).ok_or_else(bad)?;
            }
            (field, 2) => {
                let n =
                    usize::try_from(varint(buf, &mut pos).ok_or_else(bad)?).map_err(|_| bad())?;
                let end = pos
                    .checked_add(n)
                    .filter(|&e| e <= buf.len())
                    .ok_or_else(bad)?;
                if field == 1 {
                    let s = buf.get(pos..end).ok_or_else(bad)?;
                    kind = Some(String::from_utf8_lossy(s).into_owned());
                }
                pos = end;
            }
            (_, 1) => pos += 8,
            (_, 5) => pos += 4,
            _ => return Err(bad()),
        }
    }
    match (kind, size) {
        (Some(k), Some(s)) => Ok((k, s)),
        _ => Err("blob header without type or size".into()),
    }
}

/// Reads every blob header, seeking over the data; checks sizes and types.
fn scan_frames<R: Read + Seek>(r: &mut R, total: u64) -> Result<Vec<Frame>, (Option<u64>, String)> {
    let mut frames = Vec::new();
    let mut offset = 0u64;
    if total == 0 {
        return Err((None, "empty file (0 bytes), not an .osm.pbf file".into()));
    }
    while offset < total {
        let first = frames.is_empty();
        let not_pbf = |what: String| {
            if first {
                format!("not an OpenStreetMap PBF file ({what})")
            } else {
                what
            }
        };
        if total - offset < 4 {
            return Err((
                Some(offset),
                "truncated: file ends inside a blob length".into(),
            ));
        }
        let mut len4 = [0u8; 4];
        r.read_exact(&mut len4)
            .map_err(|e| (Some(offset), e.to_string()))?;
        let header_len = u32::from_be_bytes(len4);
        if header_len == 0 || header_len > MAX_BLOB_HEADER_BYTES {
            return Err((
                Some(offset),
                not_pbf(format!(
                    "blob header of {header_len} bytes; the limit is {MAX_BLOB_HEADER_BYTES}"
                )),
            ));
        }
        if u64::from(header_len) > total - offset - 4 {
            return Err((
                Some(offset),
                not_pbf("truncated: file ends inside a blob header".into()),
            ));
        }
        let mut hbuf = vec![0u8; header_len as usize];
        r.read_exact(&mut hbuf)
            .map_err(|e| (Some(offset), e.to_string()))?;
        let (kind, data_len) = parse_blob_header(&hbuf).map_err(|m| (Some(offset), not_pbf(m)))?;
        let kind = match kind.as_str() {
            "OSMHeader" => BlobKind::Header,
            "OSMData" if !first => BlobKind::Data,
            "OSMData" => {
                return Err((
                    Some(offset),
                    "not an OpenStreetMap PBF file (the first blob is not OSMHeader)".into(),
                ));
            }
            other => {
                return Err((
                    Some(offset),
                    not_pbf(format!("unknown blob type {other:?}")),
                ));
            }
        };
        if data_len > MAX_BLOB_BYTES {
            return Err((
                Some(offset),
                format!("blob of {data_len} bytes; the limit is {MAX_BLOB_BYTES}"),
            ));
        }
        let data_start = offset + 4 + u64::from(header_len);
        if data_len > total - data_start {
            return Err((
                Some(offset),
                format!(
                    "truncated: the blob needs {data_len} bytes, the file has {} left",
                    total - data_start
                ),
            ));
        }
        r.seek(SeekFrom::Current(data_len as i64))
            .map_err(|e| (Some(offset), e.to_string()))?;
        frames.push(Frame {
            offset,
            len: 4 + u64::from(header_len) + data_len,
            kind,
            data_len,
        });
        offset = data_start + data_len;
    }
    Ok(frames)
}

fn read_frame<R: Read + Seek>(r: &mut R, f: &Frame) -> std::io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(f.offset))?;
    let mut buf = vec![0u8; f.len as usize];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

fn decode_data(bytes: Vec<u8>) -> Result<PrimitiveBlock, String> {
    let mut reader = BlobReader::new(Cursor::new(bytes));
    let blob = reader
        .next()
        .ok_or_else(|| "empty blob".to_string())?
        .map_err(|e| e.to_string())?;
    blob.to_primitiveblock().map_err(|e| e.to_string())
}

/// Whether a frame's block starts with a group of nodes, found by inflating only its first
/// bytes: the string table and the first group's first field. Pass 1 leaves such blocks to
/// pass 3, which decodes them once for both their tagged nodes and the coordinates (they are
/// most of a file). `false` when unsure (another compression, anything malformed): the block
/// is then decoded in pass 1 as any other, and its errors reported there.
fn starts_with_nodes(frame: &[u8]) -> bool {
    fn field(buf: &[u8], pos: &mut usize) -> Option<(u64, u64)> {
        let key = varint(buf, pos)?;
        Some((key >> 3, key & 7))
    }
    fn read_varint(r: &mut impl Read) -> Option<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let mut b = [0u8; 1];
            r.read_exact(&mut b).ok()?;
            v |= u64::from(b[0] & 0x7f) << shift;
            if b[0] & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn first_group_is_nodes(r: &mut impl Read) -> Option<bool> {
        loop {
            let key = read_varint(r)?;
            let skip = match (key >> 3, key & 7) {
                (2, 2) => {
                    let len = read_varint(r)?;
                    if len == 0 {
                        continue;
                    }
                    // PrimitiveGroup: 1 nodes, 2 dense nodes, 3 ways, 4 relations.
                    return Some(matches!(read_varint(r)? >> 3, 1 | 2));
                }
                (_, 0) => {
                    read_varint(r)?;
                    0
                }
                (_, 1) => 8,
                (_, 2) => read_varint(r)?,
                (_, 5) => 4,
                _ => return None,
            };
            let skipped = std::io::copy(&mut r.take(skip), &mut std::io::sink()).ok()?;
            if skipped != skip {
                return None;
            }
        }
    }
    let Some(len4) = frame.get(..4) else {
        return false;
    };
    let header_len = u32::from_be_bytes([len4[0], len4[1], len4[2], len4[3]]) as usize;
    let Some(blob) = frame.get(4 + header_len..) else {
        return false;
    };
    // Blob: 1 raw, 3 zlib_data; other compressions are left to osmpbf.
    let (mut pos, mut raw, mut zlib) = (0usize, None, None);
    while pos < blob.len() {
        let Some((number, wire)) = field(blob, &mut pos) else {
            return false;
        };
        match wire {
            0 => {
                if varint(blob, &mut pos).is_none() {
                    return false;
                }
            }
            2 => {
                let Some(n) = varint(blob, &mut pos).and_then(|n| usize::try_from(n).ok()) else {
                    return false;
                };
                let Some(data) = pos.checked_add(n).and_then(|end| blob.get(pos..end)) else {
                    return false;
                };
                pos += n;
                match number {
                    1 => raw = Some(data),
                    3 => zlib = Some(data),
                    _ => return false,
                }
            }
            _ => return false,
        }
    }
    let found = match (raw, zlib) {
        (Some(data), None) => first_group_is_nodes(&mut Cursor::new(data)),
        (None, Some(data)) => first_group_is_nodes(&mut std::io::BufReader::with_capacity(
            4096,
            flate2::read::ZlibDecoder::new(data),
        )),
        _ => None,
    };
    found == Some(true)
}

// ---- what pass 1 keeps ----

type TagList = Vec<(Box<str>, Box<str>)>;

#[derive(Debug)]
struct KeptWay {
    id: i64,
    refs: Vec<i64>,
    tags: TagList,
}

#[derive(Debug)]
struct KeptRel {
    id: i64,
    tags: TagList,
    /// Member way ids; `true` for inner rings.
    members: Vec<(i64, bool)>,
}

#[derive(Debug, Default)]
struct Pass1 {
    /// Left to pass 3 undecoded (a block of nodes).
    deferred: bool,
    nodes: u64,
    ways: u64,
    relations: u64,
    has_nodes: bool,
    has_ways: bool,
    places: Vec<Place>,
    pois: Vec<Poi>,
    kept_ways: Vec<KeptWay>,
    rels: Vec<KeptRel>,
}

fn used_tags<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> TagList {
    tags.filter(|(k, _)| rules::USED_KEYS.contains(k))
        .map(|(k, v)| (Box::from(k), Box::from(v)))
        .collect()
}

fn point_features(out: &mut Pass1, osm: OsmId, tags: &TagList, at: LatLon) {
    if tags.is_empty() || !at.is_valid() {
        return;
    }
    if let Some(p) = build::poi(osm, tags.as_slice(), at) {
        out.pois.push(p);
    }
    if let Some(p) = build::place(osm, tags.as_slice(), at) {
        out.places.push(p);
    }
}

fn is_closed(refs: &[i64]) -> bool {
    refs.len() >= 4 && refs.first() == refs.last()
}

fn way_is_kept(tags: &TagList, closed: bool) -> bool {
    let t = tags.as_slice();
    rules::road_class(t).is_some()
        || rules::water_line_kind(t).is_some()
        || (closed
            && (rules::area_kind(t).is_some()
                || rules::poi_kind(t).is_some()
                || rules::place_kind(t).is_some()))
}

fn rel_is_kept(tags: &TagList) -> bool {
    let t = tags.as_slice();
    use rules::Tags as _;
    matches!(t.tag("type"), Some("multipolygon" | "boundary"))
        && (rules::area_kind(t).is_some()
            || rules::poi_kind(t).is_some()
            || rules::place_kind(t).is_some())
}

impl Pass1 {
    fn add(&mut self, el: Element<'_>) {
        match el {
            Element::DenseNode(n) => {
                self.nodes += 1;
                self.has_nodes = true;
                let tags = used_tags(n.tags());
                let at = LatLon::new(n.lat(), n.lon());
                point_features(self, OsmId::Node(n.id()), &tags, at);
            }
            Element::Node(n) => {
                self.nodes += 1;
                self.has_nodes = true;
                let tags = used_tags(n.tags());
                let at = LatLon::new(n.lat(), n.lon());
                point_features(self, OsmId::Node(n.id()), &tags, at);
            }
            Element::Way(w) => {
                self.ways += 1;
                self.has_ways = true;
                let tags = used_tags(w.tags());
                if tags.is_empty() {
                    return;
                }
                let refs: Vec<i64> = w.refs().collect();
                if way_is_kept(&tags, is_closed(&refs)) {
                    self.kept_ways.push(KeptWay {
                        id: w.id(),
                        refs,
                        tags,
                    });
                }
            }
            Element::Relation(r) => {
                self.relations += 1;
                let tags = used_tags(r.tags());
                if !rel_is_kept(&tags) {
                    return;
                }
                let members = r
                    .members()
                    .filter(|m| m.member_type == RelMemberType::Way)
                    .filter_map(|m| match m.role().unwrap_or("") {
                        "outer" | "" | "exclave" => Some((m.member_id, false)),
                        "inner" | "enclave" => Some((m.member_id, true)),
                        _ => None,
                    })
                    .collect();
                self.rels.push(KeptRel {
                    id: r.id(),
                    tags,
                    members,
                });
            }
        }
    }
}

fn pass1(block: &PrimitiveBlock) -> Pass1 {
    let mut out = Pass1::default();
    block.for_each_element(|el| out.add(el));
    out
}

// ---- parallel decoding ----

/// Decodes a frame's block and runs `work` on it.
fn with_block<T>(bytes: Vec<u8>, work: impl FnOnce(&PrimitiveBlock) -> T) -> Result<T, String> {
    let block = decode_data(bytes)?;
    // osmpbf panics on a few malformed inputs (an unknown relation member type): a broken
    // file is an error, not a crash.
    std::panic::catch_unwind(AssertUnwindSafe(|| work(&block)))
        .map_err(|_| "malformed data in the blob".to_string())
}

/// Runs `work` on `frames`' bytes on worker threads (usually [`with_block`]), calling `each`
/// on the main thread with each result (in any order) and `tick` with the frame's size.
fn run_pass<R, T, W, E>(
    path: &Path,
    src: &mut R,
    frames: &[Frame],
    threads: usize,
    work: W,
    mut each: E,
    tick: &mut dyn FnMut(u64),
) -> Result<(), OsmError>
where
    R: Read + Seek,
    T: Send,
    W: Fn(usize, Vec<u8>) -> Result<T, String> + Sync,
    E: FnMut(usize, T) -> Result<(), OsmError>,
{
    let fail = |offset: u64, message: String| OsmError {
        path: path.to_path_buf(),
        offset: Some(offset),
        message,
    };
    let decode = &work;
    if threads <= 1 {
        for (i, f) in frames.iter().enumerate() {
            let bytes = read_frame(src, f).map_err(|e| fail(f.offset, e.to_string()))?;
            let t = decode(i, bytes).map_err(|m| fail(f.offset, m))?;
            each(i, t)?;
            tick(f.len);
        }
        return Ok(());
    }
    std::thread::scope(|s| {
        let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Vec<u8>)>(threads * 2);
        let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
        let (res_tx, res_rx) = mpsc::channel::<(usize, Result<T, String>)>();
        for _ in 0..threads {
            let job_rx = std::sync::Arc::clone(&job_rx);
            let res_tx = res_tx.clone();
            s.spawn(move || {
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((i, bytes)) = job else { return };
                    if res_tx.send((i, decode(i, bytes))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(res_tx);
        let mut handle = |(i, r): (usize, Result<T, String>)| -> Result<(), OsmError> {
            let f = frames.get(i).copied();
            let offset = f.map_or(0, |f| f.offset);
            let t = r.map_err(|m| fail(offset, m))?;
            each(i, t)?;
            tick(f.map_or(0, |f| f.len));
            Ok(())
        };
        let mut result = Ok(());
        for (i, f) in frames.iter().enumerate() {
            let bytes = match read_frame(src, f) {
                Ok(b) => b,
                Err(e) => {
                    result = Err(fail(f.offset, e.to_string()));
                    break;
                }
            };
            if job_tx.send((i, bytes)).is_err() {
                break;
            }
            while let Ok(r) = res_rx.try_recv() {
                if let Err(e) = handle(r) {
                    result = Err(e);
                    break;
                }
            }
            if result.is_err() {
                break;
            }
        }
        drop(job_tx);
        for r in res_rx {
            if result.is_ok()
                && let Err(e) = handle(r)
            {
                result = Err(e);
            }
        }
        result
    })
}

// ---- node coordinates ----

const MISSING: (i32, i32) = (i32::MIN, i32::MIN);

/// Ids per step of [`Coords::sample`]: 64 ids are eight cache lines.
const SAMPLE_STEP: usize = 64;

struct Coords {
    ids: Vec<i64>,
    at: Vec<(i32, i32)>,
    /// Every [`SAMPLE_STEP`]th id: small enough to stay in cache, so a lookup searches it,
    /// then one short run of `ids`, instead of binary-searching the whole array (a cache
    /// miss per step on a state extract's tens of millions of ids).
    sample: Vec<i64>,
}

impl Coords {
    fn new(ids: Vec<i64>) -> Coords {
        Coords {
            at: vec![MISSING; ids.len()],
            sample: ids.iter().step_by(SAMPLE_STEP).copied().collect(),
            ids,
        }
    }

    fn find(&self, id: i64) -> Option<usize> {
        let step = self.sample.partition_point(|&x| x <= id).checked_sub(1)?;
        let start = step * SAMPLE_STEP;
        let end = (start + SAMPLE_STEP).min(self.ids.len());
        let run = self.ids.get(start..end)?;
        run.binary_search(&id).ok().map(|i| start + i)
    }

    fn get(&self, id: i64) -> Option<LatLon> {
        self.at_index(self.find(id)?)
    }

    fn at_index(&self, i: usize) -> Option<LatLon> {
        let &(lat, lon) = self.at.get(i)?;
        if (lat, lon) == MISSING {
            return None;
        }
        Some(LatLon::new(f64::from(lat) * 1e-7, f64::from(lon) * 1e-7))
    }

    /// The coordinates of a way's nodes. A way's nodes are mostly consecutive ids (mapped
    /// one after another), so the slot after (or before) the last one found is tried first.
    fn line(&self, refs: &[i64]) -> Vec<Option<LatLon>> {
        let mut last: Option<usize> = None;
        refs.iter()
            .map(|&r| {
                let near = last.and_then(|l| {
                    [l + 1, l.wrapping_sub(1)]
                        .into_iter()
                        .find(|&j| self.ids.get(j) == Some(&r))
                });
                let i = near.or_else(|| self.find(r));
                last = i;
                i.and_then(|i| self.at_index(i))
            })
            .collect()
    }
}

/// The index of `id` in the sorted `ids`, searching on from `*from`, where the previous
/// (smaller) id left off: a block's node ids ascend and most are wanted, so this is a step or
/// two, not a binary search over the whole array (its cache misses were most of pass 3).
/// Ids out of order start again from the front; either way the answer is exact.
fn seek(ids: &[i64], id: i64, from: &mut usize) -> Option<usize> {
    // Invariant: every id before `lo` is smaller than `id`.
    let mut lo = *from;
    if lo > 0 && ids.get(lo - 1).is_none_or(|&prev| prev >= id) {
        lo = 0;
    }
    // Gallop: probe lo, lo+1, lo+3, lo+7, ... then search the last gap.
    let (mut hi, mut step) = (lo, 1usize);
    while ids.get(hi).is_some_and(|&x| x < id) {
        lo = hi + 1;
        hi = lo.saturating_add(step);
        step = step.saturating_mul(2);
    }
    let hi = hi.min(ids.len());
    lo += ids
        .get(lo..hi)
        .map_or(0, |gap| gap.partition_point(|&x| x < id));
    *from = lo;
    (ids.get(lo) == Some(&id)).then_some(lo)
}

/// What pass 3 finds in a node block.
#[derive(Default)]
struct Pass3 {
    /// `(index in the wanted ids, lat, lon)`.
    found: Vec<(usize, i32, i32)>,
    /// The block's POIs, places and counts, for a block pass 1 left to pass 3.
    points: Option<Pass1>,
}

fn pass3(block: &PrimitiveBlock, ids: &[i64], deferred: bool) -> Pass3 {
    let mut out = Pass3::default();
    let mut from = 0;
    let mut put = |id: i64, lat: i32, lon: i32| {
        if let Some(i) = seek(ids, id, &mut from) {
            out.found.push((i, lat, lon));
        }
    };
    let mut points = deferred.then(Pass1::default);
    block.for_each_element(|el| {
        match &el {
            Element::DenseNode(n) => put(n.id(), n.decimicro_lat(), n.decimicro_lon()),
            Element::Node(n) => put(n.id(), n.decimicro_lat(), n.decimicro_lon()),
            _ => {}
        }
        if let Some(p) = points.as_mut() {
            p.add(el);
        }
    });
    out.points = points;
    out
}

// ---- the read ----

fn header_of(path: &Path, bytes: Vec<u8>, offset: u64) -> Result<OsmHeader, OsmError> {
    let fail = |message: String| OsmError {
        path: path.to_path_buf(),
        offset: Some(offset),
        message,
    };
    let mut reader = BlobReader::new(Cursor::new(bytes));
    let blob = reader
        .next()
        .ok_or_else(|| fail("empty header blob".into()))?
        .map_err(|e| fail(e.to_string()))?;
    let h = blob.to_headerblock().map_err(|e| fail(e.to_string()))?;
    for feature in h.required_features() {
        if !matches!(feature.as_str(), "OsmSchema-V0.6" | "DenseNodes") {
            return Err(fail(format!(
                "the file requires {feature:?}, which trailatlas cannot read (history files and \
                 change files are not map extracts)"
            )));
        }
    }
    let bbox = h.bbox().and_then(|b| {
        let bb = BBox {
            min_lon: b.left,
            min_lat: b.bottom,
            max_lon: b.right,
            max_lat: b.top,
        };
        let ok = bb.min_lon <= bb.max_lon
            && bb.min_lat <= bb.max_lat
            && bb.min_lon >= -180.0
            && bb.max_lon <= 180.0
            && bb.min_lat >= -90.0
            && bb.max_lat <= 90.0;
        ok.then_some(bb)
    });
    Ok(OsmHeader {
        bbox,
        replication_ms: h
            .osmosis_replication_timestamp()
            .and_then(|s| s.checked_mul(1000)),
        generator: h.writing_program().map(str::to_string),
    })
}

fn sink_err(path: &Path, e: SinkError) -> OsmError {
    OsmError {
        path: path.to_path_buf(),
        offset: None,
        message: e.to_string(),
    }
}

/// Splits a line at missing nodes into the runs of at least two that exist.
fn runs(points: Vec<Option<LatLon>>) -> Vec<Vec<LatLon>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for p in points {
        match p {
            Some(p) => cur.push(p),
            None => {
                if cur.len() >= 2 {
                    out.push(std::mem::take(&mut cur));
                } else {
                    cur.clear();
                }
            }
        }
    }
    if cur.len() >= 2 {
        out.push(cur);
    }
    out
}

/// Passes 1 to 3: the kept ways and relations, the refs of member ways, the coordinates
/// they need and the point features of nodes (per block, in file order).
struct Gathered {
    nodes: u64,
    ways_in_file: u64,
    relations: u64,
    ways: Vec<KeptWay>,
    rels: Vec<KeptRel>,
    member_refs: Vec<(i64, Vec<i64>)>,
    coords: Coords,
    /// Each frame's point features (and counts), in file order.
    points: Vec<Pass1>,
}

/// Stores frame `i`'s pass 1 result.
fn keep(held: &mut [Pass1], i: usize, p: Pass1) {
    if let Some(slot) = held.get_mut(i) {
        *slot = p;
    }
}

/// Runs passes 1 to 3 over the data frames. With `defer_nodes`, blocks that start with
/// nodes skip pass 1 and are decoded once, in pass 3; `Ok(None)` if one of them turned out
/// to hold ways or relations too.
fn gather<R: Read + Seek>(
    path: &Path,
    src: &mut R,
    data: &[Frame],
    threads: usize,
    defer_nodes: bool,
    tick: &mut dyn FnMut(u64),
) -> Result<Option<Gathered>, OsmError> {
    let (mut nodes, mut ways_in_file, mut relations) = (0u64, 0u64, 0u64);
    // Each frame's pass 1 result, by frame index.
    let mut held: Vec<Pass1> = std::iter::repeat_with(Pass1::default)
        .take(data.len())
        .collect();

    // Pass 1.
    run_pass(
        path,
        src,
        data,
        threads,
        |_, bytes| {
            if defer_nodes && starts_with_nodes(&bytes) {
                return Ok(Pass1 {
                    deferred: true,
                    ..Pass1::default()
                });
            }
            with_block(bytes, pass1)
        },
        |i, p| {
            keep(&mut held, i, p);
            Ok(())
        },
        tick,
    )?;
    // The last block of a run of node blocks is where writers go on with ways (osmium
    // fills each block to 8,000 objects, whatever their type): decode it now, as a
    // mixed block left to pass 3 would mean reading again.
    let last_of_runs: Vec<usize> = (0..held.len())
        .filter(|&i| held[i].deferred && !held.get(i + 1).is_some_and(|p| p.deferred))
        .collect();
    if !last_of_runs.is_empty() {
        let frames: Vec<Frame> = last_of_runs
            .iter()
            .filter_map(|&i| data.get(i).copied())
            .collect();
        run_pass(
            path,
            src,
            &frames,
            threads,
            |_, bytes| with_block(bytes, pass1),
            |j, p| {
                if let Some(&i) = last_of_runs.get(j) {
                    keep(&mut held, i, p);
                }
                Ok(())
            },
            &mut |_| {},
        )?;
    }
    // (frame index, frame, whether pass 1 left it to pass 3)
    let mut node_frames: Vec<(usize, Frame, bool)> = Vec::new();
    let mut way_frames: Vec<Frame> = Vec::new();
    for (i, (p, f)) in held.iter().zip(data).enumerate() {
        nodes += p.nodes;
        ways_in_file += p.ways;
        relations += p.relations;
        if p.has_nodes || p.deferred {
            node_frames.push((i, *f, p.deferred));
        }
        if p.has_ways {
            way_frames.push(*f);
        }
    }

    // Sized first: growing these by doubling copied hundreds of MB on a state extract.
    let mut ways: Vec<KeptWay> = Vec::with_capacity(held.iter().map(|p| p.kept_ways.len()).sum());
    let mut rels: Vec<KeptRel> = Vec::with_capacity(held.iter().map(|p| p.rels.len()).sum());
    // In file order: relations become features in the order they come.
    for p in &mut held {
        ways.append(&mut p.kept_ways);
        rels.append(&mut p.rels);
    }
    ways.sort_by_key(|w| w.id);
    ways.dedup_by_key(|w| w.id);

    // Pass 2: refs of member ways not held already.
    let mut member_ids: Vec<i64> = rels
        .iter()
        .flat_map(|r| r.members.iter().map(|(id, _)| *id))
        .filter(|id| ways.binary_search_by_key(id, |w| w.id).is_err())
        .collect();
    member_ids.sort_unstable();
    member_ids.dedup();
    let mut member_refs: Vec<(i64, Vec<i64>)> = Vec::new();
    if !member_ids.is_empty() {
        let wanted = &member_ids;
        run_pass(
            path,
            src,
            &way_frames,
            threads,
            |_, bytes| {
                with_block(bytes, |block| {
                    let mut out = Vec::new();
                    block.for_each_element(|el| {
                        if let Element::Way(w) = el
                            && wanted.binary_search(&w.id()).is_ok()
                        {
                            out.push((w.id(), w.refs().collect::<Vec<i64>>()));
                        }
                    });
                    out
                })
            },
            |_, found| {
                member_refs.extend(found);
                Ok(())
            },
            &mut |_| {},
        )?;
        member_refs.sort_by_key(|(id, _)| *id);
        member_refs.dedup_by_key(|(id, _)| *id);
    }

    // The node ids needed, sorted.
    let mut ids: Vec<i64> = Vec::with_capacity(
        ways.iter().map(|w| w.refs.len()).sum::<usize>()
            + member_refs.iter().map(|(_, r)| r.len()).sum::<usize>(),
    );
    for refs in ways
        .iter()
        .map(|w| &w.refs)
        .chain(member_refs.iter().map(|(_, r)| r))
    {
        ids.extend_from_slice(refs);
    }
    ids.sort_unstable();
    ids.dedup();
    ids.shrink_to_fit();
    let mut coords = Coords::new(ids);

    // Pass 3: their coordinates, and the blocks pass 1 left.
    let mut mixed = false;
    {
        let nf: Vec<Frame> = node_frames.iter().map(|(_, f, _)| *f).collect();
        let ids = &coords.ids;
        let at = &mut coords.at;
        let node_frames = &node_frames;
        run_pass(
            path,
            src,
            &nf,
            threads,
            |j, bytes| {
                let deferred = node_frames.get(j).is_some_and(|(_, _, d)| *d);
                with_block(bytes, |block| pass3(block, ids, deferred))
            },
            |j, found| {
                for (i, lat, lon) in found.found {
                    if let Some(slot) = at.get_mut(i) {
                        *slot = (lat, lon);
                    }
                }
                if let (Some(p), Some(&(i, _, _))) = (found.points, node_frames.get(j)) {
                    mixed |= p.ways > 0 || p.relations > 0;
                    nodes += p.nodes;
                    keep(&mut held, i, p);
                }
                Ok(())
            },
            tick,
        )?;
    }
    if mixed {
        return Ok(None);
    }
    Ok(Some(Gathered {
        nodes,
        ways_in_file,
        relations,
        ways,
        rels,
        member_refs,
        coords,
        points: held,
    }))
}

fn read<R: Read + Seek>(
    path: &Path,
    mut src: R,
    total: u64,
    sink: &mut dyn MapSink,
    mut opts: ReadOptions<'_>,
) -> Result<MapCounts, OsmError> {
    let frames = scan_frames(&mut src, total).map_err(|(offset, message)| OsmError {
        path: path.to_path_buf(),
        offset,
        message,
    })?;
    let threads = match opts.threads {
        0 => std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 8),
        n => n,
    };
    let data_bytes: u64 = frames.iter().map(|f| f.len).sum();
    // Pass 1 reads everything; passes 2 and 3 read the way and node blobs, about as much again.
    let expected = data_bytes * 2;
    let mut done = 0u64;
    let mut progress = opts.progress.take();
    let mut tick = |n: u64| {
        done += n;
        if let Some(p) = progress.as_mut() {
            p(Progress {
                done: done.min(expected),
                total: expected,
            });
        }
    };

    // The header: the first frame (scan_frames checked it is one).
    let Some(first) = frames.first() else {
        return Err(OsmError {
            path: path.to_path_buf(),
            offset: None,
            message: "no blobs".into(),
        });
    };
    let hbytes = read_frame(&mut src, first).map_err(|e| OsmError {
        path: path.to_path_buf(),
        offset: Some(first.offset),
        message: e.to_string(),
    })?;
    let header = header_of(path, hbytes, first.offset)?;
    sink.header(&header).map_err(|e| sink_err(path, e))?;
    let data: Vec<Frame> = frames
        .iter()
        .filter(|f| f.kind == BlobKind::Data && f.data_len > 0)
        .copied()
        .collect();

    let mut counts = MapCounts::default();
    let corridor = opts.corridor;
    // Leaving node blocks to pass 3 is right unless one of them, other than the last of
    // its run (decoded in pass 1b), also holds ways or relations: then read again,
    // decoding every block in pass 1 as a plain reader would.
    let g = match gather(path, &mut src, &data, threads, true, &mut tick)? {
        Some(g) => g,
        None => {
            gather(path, &mut src, &data, threads, false, &mut tick)?.ok_or_else(|| OsmError {
                path: path.to_path_buf(),
                offset: None,
                message: "a node block held ways or relations on a second read".into(),
            })?
        }
    };
    counts.nodes = g.nodes;
    counts.ways = g.ways_in_file;
    counts.relations = g.relations;
    let Gathered {
        ways,
        rels,
        member_refs,
        coords,
        points,
        ..
    } = g;

    // Point features from nodes, in file order.
    for p in points {
        for poi in p.pois {
            if corridor.is_some_and(|c| !c.contains(poi.at)) {
                counts.outside_corridor += 1;
                continue;
            }
            counts.pois += 1;
            sink.poi(poi).map_err(|e| sink_err(path, e))?;
        }
        for place in p.places {
            if corridor.is_some_and(|c| !c.contains(place.at)) {
                counts.outside_corridor += 1;
                continue;
            }
            counts.places += 1;
            sink.place(place).map_err(|e| sink_err(path, e))?;
        }
    }

    // Ways, then relations, to features: in chunks on worker threads, delivered in order.
    let prepare = sink.prepare();
    let held = Held {
        ways: &ways,
        member_refs: &member_refs,
        coords: &coords,
        corridor,
        prepare,
    };
    let way_jobs = ways.len().div_ceil(CHUNK);
    let jobs = way_jobs + rels.len().div_ceil(CHUNK);
    let work = |j: usize| {
        let mut out = Chunk::default();
        if j < way_jobs {
            let end = ((j + 1) * CHUNK).min(ways.len());
            for w in ways.get(j * CHUNK..end).unwrap_or_default() {
                held.way(w, &mut out);
            }
        } else {
            let k = j - way_jobs;
            let end = ((k + 1) * CHUNK).min(rels.len());
            for r in rels.get(k * CHUNK..end).unwrap_or_default() {
                held.relation(r, &mut out);
            }
        }
        out
    };
    in_order(jobs, threads, work, |chunk| {
        counts.clipped_ways += chunk.clipped_ways;
        counts.broken_relations += chunk.broken_relations;
        counts.outside_corridor += chunk.outside_corridor;
        for f in chunk.out {
            let r = match f {
                Feature::Road(r, p) => {
                    counts.roads += 1;
                    sink.road(r, p)
                }
                Feature::Water(l, p) => {
                    counts.water_lines += 1;
                    sink.water_line(l, p)
                }
                Feature::Area(a, p) => {
                    counts.areas += 1;
                    sink.area(a, p)
                }
                Feature::Place(p) => {
                    counts.places += 1;
                    sink.place(p)
                }
                Feature::Poi(p) => {
                    counts.pois += 1;
                    sink.poi(p)
                }
            };
            r.map_err(|e| sink_err(path, e))?;
        }
        Ok(())
    })?;
    Ok(counts)
}

// ---- features of the held ways and relations ----

/// Ways or relations per job of the features phase: big enough that handing a chunk over
/// costs nothing, small enough that the chunks waiting to be delivered stay few.
const CHUNK: usize = 2048;

/// A feature on its way to the sink.
enum Feature {
    Road(Road, Option<Prepared>),
    Water(WaterLine, Option<Prepared>),
    Area(Area, Option<Prepared>),
    Place(Place),
    Poi(Poi),
}

/// One job's features, in order, and what it counted.
#[derive(Default)]
struct Chunk {
    out: Vec<Feature>,
    clipped_ways: u64,
    broken_relations: u64,
    outside_corridor: u64,
}

/// What the features phase reads, shared by its worker threads.
struct Held<'a> {
    ways: &'a [KeptWay],
    member_refs: &'a [(i64, Vec<i64>)],
    coords: &'a Coords,
    corridor: Option<&'a Corridor>,
    prepare: Option<Prepare>,
}

impl Held<'_> {
    fn way(&self, w: &KeptWay, out: &mut Chunk) {
        let osm = OsmId::Way(w.id);
        let tags = w.tags.as_slice();
        let pts = self.coords.line(&w.refs);
        let complete = pts.iter().all(Option::is_some);
        if !complete {
            out.clipped_ways += 1;
        }
        let closed = is_closed(&w.refs);
        if rules::road_class(tags).is_some() || rules::water_line_kind(tags).is_some() {
            for run in runs(pts.clone()) {
                if self.corridor.is_some_and(|c| !c.touches_line(&run)) {
                    out.outside_corridor += 1;
                    continue;
                }
                let prep = |pts: &[LatLon]| self.prepare.map(|f| f(Shape::Line(pts)));
                if let Some(r) = build::road(osm, tags, run.clone()) {
                    let p = prep(&r.geometry);
                    out.out.push(Feature::Road(r, p));
                }
                if let Some(l) = build::water_line(osm, tags, run) {
                    let p = prep(&l.geometry);
                    out.out.push(Feature::Water(l, p));
                }
            }
        }
        if !closed || !complete {
            return;
        }
        let ring: Vec<LatLon> = pts.into_iter().flatten().collect();
        let polys = vec![Polygon {
            outer: ring,
            inners: Vec::new(),
        }];
        self.area_features(out, osm, tags, polys, true);
    }

    fn refs_of(&self, id: i64) -> Option<&Vec<i64>> {
        match self.ways.binary_search_by_key(&id, |w| w.id) {
            Ok(i) => self.ways.get(i).map(|w| &w.refs),
            Err(_) => self
                .member_refs
                .binary_search_by_key(&id, |(m, _)| *m)
                .ok()
                .and_then(|i| self.member_refs.get(i))
                .map(|(_, r)| r),
        }
    }

    fn relation(&self, r: &KeptRel, out: &mut Chunk) {
        let mut outer = Vec::new();
        let mut inner = Vec::new();
        let mut missing = false;
        for (id, is_inner) in &r.members {
            match self.refs_of(*id) {
                Some(refs) if *is_inner => inner.push(refs.clone()),
                Some(refs) => outer.push(refs.clone()),
                None => missing = true,
            }
        }
        let to_rings = |ways: Vec<Vec<i64>>| -> Option<Vec<Vec<LatLon>>> {
            geom::join_rings(ways)?
                .into_iter()
                .map(|ring| {
                    ring.iter()
                        .map(|&n| self.coords.get(n))
                        .collect::<Option<Vec<_>>>()
                })
                .collect()
        };
        let (Some(outers), Some(inners)) = (to_rings(outer), to_rings(inner)) else {
            out.broken_relations += 1;
            return;
        };
        if missing || outers.is_empty() {
            out.broken_relations += 1;
            return;
        }
        let polys = geom::assemble(outers, inners);
        self.area_features(out, OsmId::Relation(r.id), r.tags.as_slice(), polys, false);
    }

    /// Area, POI and place features of a closed way's or relation's polygons.
    fn area_features(
        &self,
        out: &mut Chunk,
        osm: OsmId,
        tags: &[(Box<str>, Box<str>)],
        polys: Vec<Polygon>,
        is_way: bool,
    ) {
        let wants_area = if is_way {
            build::closed_way_is_area(tags)
        } else {
            rules::area_kind(tags).is_some()
        };
        let wants_point = rules::poi_kind(tags).is_some() || rules::place_kind(tags).is_some();
        if !wants_area && !wants_point {
            return;
        }
        if self.corridor.is_some_and(|c| !c.touches_area(&polys)) {
            out.outside_corridor += 1;
            return;
        }
        if wants_point && let Some(at) = geom::representative_point(&polys) {
            if let Some(p) = build::poi(osm, tags, at) {
                out.out.push(Feature::Poi(p));
            }
            if let Some(p) = build::place(osm, tags, at) {
                out.out.push(Feature::Place(p));
            }
        }
        if wants_area && let Some(a) = build::area(osm, tags, polys) {
            let prepared = self.prepare.map(|f| f(Shape::Polygons(&a.polygons)));
            out.out.push(Feature::Area(a, prepared));
        }
    }
}

/// Runs `jobs` numbered jobs on `threads` worker threads and hands each result to `each` on
/// the calling thread, in job order. At most a few jobs run ahead of the one `each` waits
/// for, so memory stays bounded whatever the job count.
fn in_order<T, W, E>(jobs: usize, threads: usize, work: W, mut each: E) -> Result<(), OsmError>
where
    T: Send,
    W: Fn(usize) -> T + Sync,
    E: FnMut(T) -> Result<(), OsmError>,
{
    if threads <= 1 {
        for j in 0..jobs {
            each(work(j))?;
        }
        return Ok(());
    }
    let ahead = threads * 3;
    let (job_tx, job_rx) = mpsc::channel::<usize>();
    let job_rx = std::sync::Mutex::new(job_rx);
    std::thread::scope(|s| {
        // Owned here so it drops when this closure returns, before the scope joins the
        // workers: that is what ends their `recv`.
        let job_tx = job_tx;
        let (res_tx, res_rx) = mpsc::channel::<(usize, std::thread::Result<T>)>();
        for _ in 0..threads {
            let res_tx = res_tx.clone();
            let (job_rx, work) = (&job_rx, &work);
            s.spawn(move || {
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(j) = job else { return };
                    // A panic goes on in the calling thread, as it would without threads.
                    let t = std::panic::catch_unwind(AssertUnwindSafe(|| work(j)));
                    if res_tx.send((j, t)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(res_tx);
        let mut sent = 0;
        let mut next = 0;
        let mut waiting = std::collections::BTreeMap::new();
        while next < jobs {
            while sent < jobs && sent < next + ahead {
                if job_tx.send(sent).is_err() {
                    break;
                }
                sent += 1;
            }
            let Ok((j, t)) = res_rx.recv() else { break };
            waiting.insert(j, t);
            while let Some(t) = waiting.remove(&next) {
                // On an error or a panic the job channel closes as `job_tx` drops: the
                // workers end.
                each(t.unwrap_or_else(|p| std::panic::resume_unwind(p)))?;
                next += 1;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: &str, data: &[u8]) -> Vec<u8> {
        let mut h = vec![0x0a, kind.len() as u8];
        h.extend_from_slice(kind.as_bytes());
        h.push(0x18);
        let mut n = data.len() as u64;
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                h.push(b);
                break;
            }
            h.push(b | 0x80);
        }
        let mut out = (h.len() as u32).to_be_bytes().to_vec();
        out.extend(h);
        out.extend_from_slice(data);
        out
    }

    fn err_of(bytes: &[u8]) -> String {
        read_bytes(
            Path::new("x.osm.pbf"),
            bytes,
            &mut MapCollect::default(),
            ReadOptions::default(),
        )
        .unwrap_err()
        .to_string()
    }

    #[test]
    fn framing_errors_name_the_blob() {
        assert!(err_of(b"").contains("empty file"), "{}", err_of(b""));
        assert!(err_of(b"\x89PNG\r\n\x1a\n0000").contains("not an OpenStreetMap PBF"));
        let e = err_of(&frame("OSMHeader", b"abc")[..10]);
        assert!(e.contains("truncated"), "{e}");
        let e = err_of(&frame("Foo", b""));
        assert!(e.contains("unknown blob type \"Foo\""), "{e}");
        // A header claiming 1 GB of data: refused before reading it.
        let mut h = vec![0x0a, 9];
        h.extend_from_slice(b"OSMHeader");
        h.extend([0x18, 0x80, 0x80, 0x80, 0x80, 0x04]);
        let mut big = (h.len() as u32).to_be_bytes().to_vec();
        big.extend(h);
        big.extend([0u8; 100]);
        let e = err_of(&big);
        assert!(e.contains("blob at byte 0") && e.contains("limit"), "{e}");
    }

    /// A length-delimited protobuf field.
    fn bytes_field(out: &mut Vec<u8>, field: u8, b: &[u8]) {
        out.push(field << 3 | 2);
        let mut n = b.len() as u64;
        loop {
            let x = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(x);
                break;
            }
            out.push(x | 0x80);
        }
        out.extend_from_slice(b);
    }

    /// A data frame holding a block of `groups` (each `(group field, message)`), zlib or raw.
    fn data_frame(groups: &[(u8, &[u8])], zlib: bool) -> Vec<u8> {
        use std::io::Write as _;
        let mut strings = Vec::new();
        bytes_field(&mut strings, 1, b"");
        bytes_field(&mut strings, 1, b"highway");
        let mut block = Vec::new();
        bytes_field(&mut block, 1, &strings);
        for (field, message) in groups {
            let mut group = Vec::new();
            bytes_field(&mut group, *field, message);
            bytes_field(&mut block, 2, &group);
        }
        let mut blob = Vec::new();
        if zlib {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(&block).unwrap();
            bytes_field(&mut blob, 3, &z.finish().unwrap());
        } else {
            bytes_field(&mut blob, 1, &block);
        }
        frame("OSMData", &blob)
    }

    /// Dense nodes 1 and 2; a way (id 7) over them, tagged highway=highway (string 1).
    const DENSE: &[u8] = &[0x0a, 2, 2, 2, 0x42, 2, 2, 2, 0x4a, 2, 2, 2];
    /// Dense nodes 3 and 4 (ids delta-coded: 3, then +1).
    const DENSE_3_4: &[u8] = &[0x0a, 2, 6, 2, 0x42, 2, 2, 2, 0x4a, 2, 2, 2];
    const WAY: &[u8] = &[0x08, 7, 0x12, 1, 1, 0x1a, 1, 1, 0x42, 2, 2, 2];

    #[test]
    fn blocks_of_nodes_are_told_from_their_first_bytes() {
        for zlib in [true, false] {
            assert!(starts_with_nodes(&data_frame(&[(2, DENSE)], zlib)));
            assert!(starts_with_nodes(&data_frame(
                &[(2, DENSE), (3, WAY)],
                zlib
            )));
            assert!(!starts_with_nodes(&data_frame(&[(3, WAY)], zlib)));
            assert!(!starts_with_nodes(&data_frame(
                &[(3, WAY), (2, DENSE)],
                zlib
            )));
            assert!(!starts_with_nodes(&data_frame(&[], zlib)));
        }
        let good = data_frame(&[(2, DENSE)], true);
        for cut in 0..good.len() {
            assert!(!starts_with_nodes(&good[..cut]), "cut at {cut}");
        }
        assert!(!starts_with_nodes(b"\x00\x00\x00\x00garbage"));
    }

    #[test]
    fn a_block_of_nodes_that_also_holds_ways_is_read_again_whole() {
        // Nodes 1, 2 and the way, then nodes 3, 4 in a block of their own.
        let mixed = data_frame(&[(2, DENSE), (3, WAY)], true);
        let more = data_frame(&[(2, DENSE_3_4)], true);
        let frames = [
            Frame {
                offset: 0,
                len: mixed.len() as u64,
                kind: BlobKind::Data,
                data_len: 1,
            },
            Frame {
                offset: mixed.len() as u64,
                len: more.len() as u64,
                kind: BlobKind::Data,
                data_len: 1,
            },
        ];
        let bytes = [mixed.clone(), more.clone()].concat();
        for threads in [1, 2] {
            let mut src = Cursor::new(bytes.clone());
            let path = Path::new("m.osm.pbf");
            let first = gather(path, &mut src, &frames, threads, true, &mut |_| {}).unwrap();
            assert!(first.is_none(), "the deferred block's way is noticed");
            let g = gather(path, &mut src, &frames, threads, false, &mut |_| {})
                .unwrap()
                .unwrap();
            assert_eq!((g.nodes, g.ways_in_file, g.ways.len()), (4, 1, 1));
            assert!(g.coords.get(1).is_some() && g.coords.get(2).is_some());
            // The last block of a run of node blocks is decoded in pass 1: no second read.
            let mut src = Cursor::new(mixed.clone());
            let g = gather(path, &mut src, &frames[..1], threads, true, &mut |_| {})
                .unwrap()
                .unwrap();
            assert_eq!((g.nodes, g.ways.len()), (2, 1));
        }
        // And through the reader: the way becomes a road.
        let mut header = Vec::new();
        bytes_field(&mut header, 4, b"OsmSchema-V0.6");
        let mut blob = Vec::new();
        bytes_field(&mut blob, 1, &header);
        let mut file = frame("OSMHeader", &blob);
        file.extend(&bytes);
        let mut c = MapCollect::default();
        let counts = read_bytes(
            Path::new("m.osm.pbf"),
            &file,
            &mut c,
            ReadOptions::default(),
        )
        .unwrap();
        assert_eq!((counts.nodes, counts.roads), (4, 1), "{counts:?}");
    }

    #[test]
    fn seeking_on_and_sampled_lookups_find_what_a_binary_search_finds() {
        let mut x = 12345u64;
        let mut rand = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for len in [0usize, 1, 2, 3, 10, 63, 64, 65, 129, 1000, 4000] {
            let mut ids: Vec<i64> = (0..len).map(|_| (rand() % 5000) as i64).collect();
            ids.sort_unstable();
            ids.dedup();
            let coords = Coords::new(ids.clone());
            // Ascending runs with gaps and repeats, then jumps back.
            let mut probes: Vec<i64> = (0..3000).map(|i| i * 2 - 100).collect();
            probes.extend((0..500).map(|_| (rand() % 6000) as i64 - 500));
            let mut from = 0;
            for p in probes {
                let want = ids.binary_search(&p).ok();
                assert_eq!(seek(&ids, p, &mut from), want, "{p} in {len}");
                assert_eq!(coords.find(p), want, "{p} in {len}, sampled");
            }
        }
    }

    #[test]
    fn a_line_finds_every_node_whatever_the_order_of_its_ids() {
        let ids: Vec<i64> = (0..1000).map(|i| i * 3 + (i % 2)).collect();
        let at: Vec<(i32, i32)> = ids
            .iter()
            .map(|&i| {
                if i % 11 == 0 {
                    MISSING
                } else {
                    (i as i32, -(i as i32))
                }
            })
            .collect();
        let mut c = Coords::new(ids.clone());
        c.at = at;
        // Runs up, runs down, jumps, a closed ring, ids not in the store.
        let mut refs: Vec<i64> = ids[10..40].to_vec();
        refs.extend(ids[200..230].iter().rev());
        refs.extend([ids[999], ids[0], 5_000_000, ids[500], ids[501], ids[10]]);
        let got = c.line(&refs);
        let want: Vec<Option<LatLon>> = refs.iter().map(|&r| c.get(r)).collect();
        assert_eq!(got, want);
        assert!(got.iter().any(Option::is_none) && got.iter().filter(|p| p.is_some()).count() > 50);
    }

    #[test]
    fn lines_split_at_missing_nodes() {
        let p = |x: f64| Some(LatLon::new(x, 0.0));
        let r = runs(vec![
            p(1.0),
            p(2.0),
            None,
            p(3.0),
            None,
            p(4.0),
            p(5.0),
            p(6.0),
        ]);
        assert_eq!(r.len(), 2);
        assert_eq!(r.get(1).map(Vec::len), Some(3));
    }
}
