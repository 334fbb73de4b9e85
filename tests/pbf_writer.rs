//! A small OpenStreetMap PBF writer for tests and benchmarks: data generated in code
//! (nodes, ways, relations with tags), written as zlib blobs of dense nodes, ways and
//! relations, sorted by type then id, as osmium writes them.
//!
//! Test-only: the program never writes PBF. Protobuf is encoded by hand (a few message
//! types); `osmium fileinfo` reads what this writes.

#![allow(dead_code)]

use std::io::Write as _;

/// Tags as key/value pairs.
pub type Tags = Vec<(String, String)>;

/// `[("highway", "track")]` -> owned tags.
pub fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A relation member: `'n' | 'w' | 'r'`, id, role.
pub type Member = (char, i64, String);

/// An extract being built.
#[derive(Debug, Default, Clone)]
pub struct Pbf {
    /// `(id, lat, lon, tags)`.
    pub nodes: Vec<(i64, f64, f64, Tags)>,
    /// `(id, node refs, tags)`.
    pub ways: Vec<(i64, Vec<i64>, Tags)>,
    /// `(id, members, tags)`.
    pub relations: Vec<(i64, Vec<Member>, Tags)>,
    /// Header box `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
    /// Header replication timestamp, Unix seconds.
    pub timestamp: Option<i64>,
    /// Entities per block.
    pub block_size: usize,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
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

fn zig(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn bytes_field(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    key(out, field, 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn int_field(out: &mut Vec<u8>, field: u32, v: u64) {
    key(out, field, 0);
    varint(out, v);
}

fn packed(out: &mut Vec<u8>, field: u32, vals: impl IntoIterator<Item = u64>) {
    let mut body = Vec::new();
    for v in vals {
        varint(&mut body, v);
    }
    bytes_field(out, field, &body);
}

fn delta_zig(vals: &[i64]) -> Vec<u64> {
    let mut prev = 0i64;
    vals.iter()
        .map(|&v| {
            let d = v.wrapping_sub(prev);
            prev = v;
            zig(d)
        })
        .collect()
}

/// One framed blob (length, BlobHeader, Blob with zlib data).
pub fn frame(kind: &str, message: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(message).unwrap();
    let zdata = z.finish().unwrap();
    let mut blob = Vec::new();
    int_field(&mut blob, 2, message.len() as u64);
    bytes_field(&mut blob, 3, &zdata);
    let mut header = Vec::new();
    bytes_field(&mut header, 1, kind.as_bytes());
    int_field(&mut header, 3, blob.len() as u64);
    let mut out = (header.len() as u32).to_be_bytes().to_vec();
    out.extend(header);
    out.extend(blob);
    out
}

/// The same file with every zlib blob stored uncompressed (`raw`), as some writers do.
pub fn uncompressed(file: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    fn uvarint(b: &[u8], pos: &mut usize) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let x = b[*pos];
            *pos += 1;
            v |= u64::from(x & 0x7f) << shift;
            if x & 0x80 == 0 {
                break;
            }
        }
        v
    }
    let (mut out, mut at) = (Vec::new(), 0usize);
    while at < file.len() {
        let hlen = u32::from_be_bytes(file[at..at + 4].try_into().unwrap()) as usize;
        let header = &file[at + 4..at + 4 + hlen];
        let (mut pos, mut kind, mut size) = (0, Vec::new(), 0usize);
        while pos < header.len() {
            let k = uvarint(header, &mut pos);
            if k & 7 == 2 {
                let n = uvarint(header, &mut pos) as usize;
                if k >> 3 == 1 {
                    kind = header[pos..pos + n].to_vec();
                }
                pos += n;
            } else if k >> 3 == 3 {
                size = uvarint(header, &mut pos) as usize;
            } else {
                uvarint(header, &mut pos);
            }
        }
        let blob = &file[at + 4 + hlen..at + 4 + hlen + size];
        let (mut pos, mut message) = (0, Vec::new());
        while pos < blob.len() {
            let k = uvarint(blob, &mut pos);
            if k & 7 == 2 {
                let n = uvarint(blob, &mut pos) as usize;
                if k >> 3 == 3 {
                    flate2::read::ZlibDecoder::new(&blob[pos..pos + n])
                        .read_to_end(&mut message)
                        .unwrap();
                }
                pos += n;
            } else {
                uvarint(blob, &mut pos);
            }
        }
        let mut raw = Vec::new();
        bytes_field(&mut raw, 1, &message);
        int_field(&mut raw, 2, message.len() as u64);
        let mut h = Vec::new();
        bytes_field(&mut h, 1, &kind);
        int_field(&mut h, 3, raw.len() as u64);
        out.extend((h.len() as u32).to_be_bytes());
        out.extend(h);
        out.extend(raw);
        at += 4 + hlen + size;
    }
    out
}

struct Strings {
    list: Vec<Vec<u8>>,
    index: std::collections::HashMap<Vec<u8>, u32>,
}

impl Strings {
    fn new() -> Self {
        Strings {
            list: vec![Vec::new()],
            index: std::collections::HashMap::new(),
        }
    }
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s.as_bytes()) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.as_bytes().to_vec());
        self.index.insert(s.as_bytes().to_vec(), i);
        i
    }
    fn encode(&self) -> Vec<u8> {
        let mut t = Vec::new();
        for s in &self.list {
            bytes_field(&mut t, 1, s);
        }
        t
    }
}

fn block(strings: &Strings, groups: &[Vec<u8>]) -> Vec<u8> {
    let mut b = Vec::new();
    bytes_field(&mut b, 1, &strings.encode());
    for g in groups {
        bytes_field(&mut b, 2, g);
    }
    b
}

fn node_group(chunk: &[(i64, f64, f64, Tags)], st: &mut Strings) -> Vec<u8> {
    let ids: Vec<i64> = chunk.iter().map(|n| n.0).collect();
    let lats: Vec<i64> = chunk.iter().map(|n| e7(n.1)).collect();
    let lons: Vec<i64> = chunk.iter().map(|n| e7(n.2)).collect();
    let mut kv = Vec::new();
    for n in chunk {
        for (k, v) in &n.3 {
            kv.push(u64::from(st.id(k)));
            kv.push(u64::from(st.id(v)));
        }
        kv.push(0);
    }
    let mut dense = Vec::new();
    packed(&mut dense, 1, delta_zig(&ids));
    packed(&mut dense, 8, delta_zig(&lats));
    packed(&mut dense, 9, delta_zig(&lons));
    packed(&mut dense, 10, kv);
    let mut group = Vec::new();
    bytes_field(&mut group, 2, &dense);
    group
}

fn way_group(chunk: &[(i64, Vec<i64>, Tags)], st: &mut Strings) -> Vec<u8> {
    let mut group = Vec::new();
    for (id, refs, t) in chunk {
        let mut w = Vec::new();
        int_field(&mut w, 1, *id as u64);
        packed(
            &mut w,
            2,
            t.iter()
                .map(|(k, _)| u64::from(st.id(k)))
                .collect::<Vec<_>>(),
        );
        packed(
            &mut w,
            3,
            t.iter()
                .map(|(_, v)| u64::from(st.id(v)))
                .collect::<Vec<_>>(),
        );
        packed(&mut w, 8, delta_zig(refs));
        bytes_field(&mut group, 3, &w);
    }
    group
}

fn relation_group(chunk: &[(i64, Vec<Member>, Tags)], st: &mut Strings) -> Vec<u8> {
    let mut group = Vec::new();
    for (id, members, t) in chunk {
        let mut r = Vec::new();
        int_field(&mut r, 1, *id as u64);
        packed(
            &mut r,
            2,
            t.iter()
                .map(|(k, _)| u64::from(st.id(k)))
                .collect::<Vec<_>>(),
        );
        packed(
            &mut r,
            3,
            t.iter()
                .map(|(_, v)| u64::from(st.id(v)))
                .collect::<Vec<_>>(),
        );
        let roles: Vec<u64> = members.iter().map(|m| u64::from(st.id(&m.2))).collect();
        packed(&mut r, 8, roles);
        let ids: Vec<i64> = members.iter().map(|m| m.1).collect();
        packed(&mut r, 9, delta_zig(&ids));
        let types: Vec<u64> = members
            .iter()
            .map(|m| match m.0 {
                'n' => 0,
                'w' => 1,
                _ => 2,
            })
            .collect();
        packed(&mut r, 10, types);
        bytes_field(&mut group, 4, &r);
    }
    group
}

fn e7(v: f64) -> i64 {
    (v * 1e7).round() as i64
}

impl Pbf {
    /// An empty extract with 8,000 entities per block.
    pub fn new() -> Pbf {
        Pbf {
            block_size: 8000,
            ..Pbf::default()
        }
    }

    /// Adds a node.
    pub fn node(&mut self, id: i64, lat: f64, lon: f64, t: &[(&str, &str)]) -> &mut Self {
        self.nodes.push((id, lat, lon, tags(t)));
        self
    }

    /// Adds a way.
    pub fn way(&mut self, id: i64, refs: &[i64], t: &[(&str, &str)]) -> &mut Self {
        self.ways.push((id, refs.to_vec(), tags(t)));
        self
    }

    /// Adds a relation.
    pub fn relation(
        &mut self,
        id: i64,
        members: &[(char, i64, &str)],
        t: &[(&str, &str)],
    ) -> &mut Self {
        let m = members
            .iter()
            .map(|(c, i, r)| (*c, *i, r.to_string()))
            .collect();
        self.relations.push((id, m, tags(t)));
        self
    }

    /// The header blob.
    pub fn header_frame(&self) -> Vec<u8> {
        let mut h = Vec::new();
        if let Some([w, s, e, n]) = self.bbox {
            let mut b = Vec::new();
            let nano = |v: f64| zig((v * 1e9).round() as i64);
            int_field(&mut b, 1, nano(w));
            int_field(&mut b, 2, nano(e));
            int_field(&mut b, 3, nano(n));
            int_field(&mut b, 4, nano(s));
            bytes_field(&mut h, 1, &b);
        }
        bytes_field(&mut h, 4, b"OsmSchema-V0.6");
        bytes_field(&mut h, 4, b"DenseNodes");
        bytes_field(&mut h, 16, b"trailatlas tests");
        if let Some(t) = self.timestamp {
            int_field(&mut h, 32, t as u64);
        }
        frame("OSMHeader", &h)
    }

    /// Writes the whole file into `out` (blocks of `block_size` entities).
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(&self.header_frame())?;
        self.write_nodes(out)?;
        self.write_ways(out)?;
        self.write_relations(out)
    }

    /// Writes only the node blocks (a large file is written in parts: every part's nodes,
    /// then every part's ways, then relations, keeping the file sorted).
    pub fn write_nodes(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let size = self.block_size.max(1);
        let mut nodes = self.nodes.clone();
        nodes.sort_by_key(|n| n.0);
        for chunk in nodes.chunks(size) {
            let mut st = Strings::new();
            let group = node_group(chunk, &mut st);
            out.write_all(&frame("OSMData", &block(&st, &[group])))?;
        }
        Ok(())
    }

    /// Writes only the way blocks.
    pub fn write_ways(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let size = self.block_size.max(1);
        let mut ways = self.ways.clone();
        ways.sort_by_key(|w| w.0);
        for chunk in ways.chunks(size) {
            let mut st = Strings::new();
            let group = way_group(chunk, &mut st);
            out.write_all(&frame("OSMData", &block(&st, &[group])))?;
        }
        Ok(())
    }

    /// Writes only the relation blocks.
    pub fn write_relations(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let size = self.block_size.max(1);
        let mut rels = self.relations.clone();
        rels.sort_by_key(|r| r.0);
        for chunk in rels.chunks(size) {
            let mut st = Strings::new();
            let group = relation_group(chunk, &mut st);
            out.write_all(&frame("OSMData", &block(&st, &[group])))?;
        }
        Ok(())
    }

    fn sorted(&self) -> Pbf {
        let mut p = self.clone();
        p.nodes.sort_by_key(|n| n.0);
        p.ways.sort_by_key(|w| w.0);
        p.relations.sort_by_key(|r| r.0);
        p
    }

    /// The whole file as one block holding a group per type in the order `order` gives
    /// (`'n'`, `'w'`, `'r'`).
    pub fn to_one_block(&self, order: &str) -> Vec<u8> {
        let p = self.sorted();
        let mut st = Strings::new();
        let groups: Vec<Vec<u8>> = order
            .chars()
            .map(|c| match c {
                'n' => node_group(&p.nodes, &mut st),
                'w' => way_group(&p.ways, &mut st),
                _ => relation_group(&p.relations, &mut st),
            })
            .collect();
        let mut v = self.header_frame();
        v.extend(frame("OSMData", &block(&st, &groups)));
        v
    }

    /// One data frame with the given ranges of the sorted nodes, ways and relations: a
    /// group for each non-empty range, in that order.
    pub fn block_frame(
        &self,
        nodes: std::ops::Range<usize>,
        ways: std::ops::Range<usize>,
        rels: std::ops::Range<usize>,
    ) -> Vec<u8> {
        self.sorted().sorted_block_frame(nodes, ways, rels)
    }

    /// [`Pbf::block_frame`] of a `Pbf` already sorted.
    fn sorted_block_frame(
        &self,
        nodes: std::ops::Range<usize>,
        ways: std::ops::Range<usize>,
        rels: std::ops::Range<usize>,
    ) -> Vec<u8> {
        let mut st = Strings::new();
        let mut groups = Vec::new();
        if !nodes.is_empty() {
            groups.push(node_group(&self.nodes[nodes], &mut st));
        }
        if !ways.is_empty() {
            groups.push(way_group(&self.ways[ways], &mut st));
        }
        if !rels.is_empty() {
            groups.push(relation_group(&self.relations[rels], &mut st));
        }
        frame("OSMData", &block(&st, &groups))
    }

    /// The file as osmium writes it: blocks of `block_size` objects taken in order, nodes,
    /// then ways, then relations, so a block at a change of type holds groups of both.
    pub fn to_filled_bytes(&self) -> Vec<u8> {
        let size = self.block_size.max(1);
        let p = self.sorted();
        let (n, w, r) = (p.nodes.len(), p.ways.len(), p.relations.len());
        let mut v = self.header_frame();
        let mut at = 0;
        while at < n + w + r {
            let end = (at + size).min(n + w + r);
            let part =
                |lo: usize, len: usize| at.clamp(lo, lo + len) - lo..end.clamp(lo, lo + len) - lo;
            v.extend(p.sorted_block_frame(part(0, n), part(n, w), part(n + w, r)));
            at = end;
        }
        v
    }

    /// The whole file in memory.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_to(&mut v).unwrap();
        v
    }
}
