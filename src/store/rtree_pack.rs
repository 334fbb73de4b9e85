//! Bulk loading of SQLite R*Trees: a whole import's boxes packed into the R*Tree's own
//! shadow tables at once, instead of one `INSERT` per box.
//!
//! Written by hand because SQLite's rtree module has no bulk load and no crate writes its
//! node format. Inserting a state's 650,000 road boxes one at a time (R*Tree ChooseLeaf,
//! splits, reinsertion) was 2.5 s of a 9 s import; sorting and packing them is a tenth of
//! that. GDAL does the same for GeoPackage R-trees (its `sqlite_rtree_bulk_load`).
//!
//! The tree is packed bottom-up: boxes sorted by scale band, then by the Hilbert index of
//! their centre, cut into full leaves, and the leaves (then each level above) grouped in that
//! order. Banding by scale first keeps an overview query, which wants only the few features
//! drawn at small scales, in the few subtrees that hold them.
//!
//! The format (sqlite `ext/rtree/rtree.c`): `%_node(nodeno, data)` holds nodes as blobs of
//! the root's length, root `nodeno` 1: a 2-byte big-endian depth (root only; leaves are 0),
//! a 2-byte cell count, then cells of an 8-byte rowid (leaf) or child node number, and per
//! dimension a 4-byte big-endian float min and max. `%_parent(nodeno, parentnode)` has every
//! node but the root, `%_rowid(rowid, nodeno)` every box's leaf. Floats are rounded outward,
//! as the module rounds a REAL it is given, so a box never shrinks. `rtreecheck()` checks
//! the result in the tests.

use rusqlite::{Connection, OptionalExtension, params};

/// Dimensions of the map R*Trees: longitude, latitude, scale.
const DIMS: usize = 3;
/// Bytes per cell: the rowid and a min and max per dimension.
const CELL: usize = 8 + DIMS * 2 * 4;

/// One box: `c` in column order (min and max of each dimension in turn).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Entry {
    pub id: i64,
    pub c: [f32; DIMS * 2],
}

impl Entry {
    /// A box from the table's column values, rounded outward as the rtree module rounds.
    pub fn new(id: i64, columns: [f64; DIMS * 2]) -> Entry {
        let mut c = [0f32; DIMS * 2];
        for d in 0..DIMS {
            c[2 * d] = value_down(columns[2 * d]);
            c[2 * d + 1] = value_up(columns[2 * d + 1]);
        }
        Entry { id, c }
    }

    fn union(&mut self, o: &[f32; DIMS * 2]) {
        for d in 0..DIMS {
            self.c[2 * d] = self.c[2 * d].min(o[2 * d]);
            self.c[2 * d + 1] = self.c[2 * d + 1].max(o[2 * d + 1]);
        }
    }
}

// The rtree module's rounding of a double to a float bound (rtreeValueDown/Up in SQLite
// 3.54: the nearest float, stepped one float outward when it lies inside).
fn value_down(d: f64) -> f32 {
    let f = d as f32;
    if f64::from(f) > d { f.next_down() } else { f }
}

fn value_up(d: f64) -> f32 {
    let f = d as f32;
    if f64::from(f) < d { f.next_up() } else { f }
}

/// Adds `entries` to the R*Tree `table` (one of this schema's, with [`DIMS`] dimensions),
/// inside the caller's transaction.
///
/// An empty tree, or one holding fewer boxes than are added, is rebuilt packed with the
/// old boxes and the new; a bigger one gets the new boxes by `INSERT`, where packing would
/// rewrite more than it adds.
pub(super) fn add(
    conn: &Connection,
    table: &str,
    mut entries: Vec<Entry>,
) -> Result<(), rusqlite::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let held: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}_rowid"), [], |r| {
        r.get(0)
    })?;
    let node_len: Option<i64> = conn
        .query_row(
            &format!("SELECT length(data) FROM {table}_node WHERE nodeno = 1"),
            [],
            |r| r.get(0),
        )
        .optional()?;
    let cap = node_len.map_or(0, |n| (n.max(4) as usize - 4) / CELL);
    if held as usize > entries.len() || cap < 4 {
        let mut insert = conn.prepare_cached(&format!(
            "INSERT INTO {table} VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        ))?;
        for e in &entries {
            let c = e.c.map(f64::from);
            insert.execute(params![e.id, c[0], c[1], c[2], c[3], c[4], c[5]])?;
        }
        return Ok(());
    }
    if held > 0 {
        // The stored bounds are floats already: read back, they round to themselves.
        let mut all = conn.prepare(&format!("SELECT * FROM {table}"))?;
        let old = all.query_map([], |r| {
            let mut c = [0f64; DIMS * 2];
            for (i, v) in c.iter_mut().enumerate() {
                *v = r.get(i + 1)?;
            }
            Ok(Entry::new(r.get(0)?, c))
        })?;
        for e in old {
            entries.push(e?);
        }
    }
    let node_len = node_len.unwrap_or(0) as usize;
    let nodes = pack(entries, cap);
    for t in ["node", "parent", "rowid"] {
        conn.execute(&format!("DELETE FROM {table}_{t}"), [])?;
    }
    write(conn, table, &nodes, node_len)
}

/// A packed node: its number, depth (0 for leaves), cells, and parent (0 for the root).
struct Node {
    no: i64,
    depth: u16,
    cells: Vec<Entry>,
    parent: i64,
}

/// Packs `entries` into nodes of at most `cap` cells; the last node is the root, number 1.
fn pack(mut entries: Vec<Entry>, cap: usize) -> Vec<Node> {
    let mut all = entries[0];
    for e in &entries[1..] {
        all.union(&e.c);
    }
    let (x0, dx) = (all.c[0], (all.c[1] - all.c[0]).max(f32::MIN_POSITIVE));
    let (y0, dy) = (all.c[2], (all.c[3] - all.c[2]).max(f32::MIN_POSITIVE));
    let cell = |v: f32, v0: f32, d: f32| (((v - v0) / d) * 65535.0).clamp(0.0, 65535.0) as u32;
    entries.sort_by_cached_key(|e| {
        let x = cell((e.c[0] + e.c[1]) / 2.0, x0, dx);
        let y = cell((e.c[2] + e.c[3]) / 2.0, y0, dy);
        (e.c[5].to_bits(), hilbert(x, y))
    });
    let mut nodes: Vec<Node> = Vec::new();
    let mut level: Vec<Entry> = entries;
    let mut depth = 0u16;
    loop {
        let root = level.len() <= cap;
        let groups = level.len().div_ceil(cap);
        let first = nodes.len();
        let mut up = Vec::with_capacity(groups);
        // Even groups: `groups` nodes of ⌊n/groups⌋ or one more cells, none nearly empty.
        let (base, extra) = (level.len() / groups, level.len() % groups);
        let mut cells = level.into_iter();
        for g in 0..groups {
            let n = base + usize::from(g < extra);
            let chunk: Vec<Entry> = cells.by_ref().take(n).collect();
            let no = if root { 1 } else { nodes.len() as i64 + 2 };
            let mut b = chunk[0];
            for e in &chunk[1..] {
                b.union(&e.c);
            }
            b.id = no;
            up.push(b);
            nodes.push(Node {
                no,
                depth,
                cells: chunk,
                parent: 0,
            });
        }
        if depth > 0 {
            // The cells just packed are the nodes of the level below: their parent is known.
            let below: std::collections::HashMap<i64, i64> = nodes[first..]
                .iter()
                .flat_map(|n| n.cells.iter().map(move |c| (c.id, n.no)))
                .collect();
            for n in &mut nodes[..first] {
                if let Some(&p) = below.get(&n.no) {
                    n.parent = p;
                }
            }
        }
        if root {
            return nodes;
        }
        level = up;
        depth += 1;
    }
}

fn write(
    conn: &Connection,
    table: &str,
    nodes: &[Node],
    node_len: usize,
) -> Result<(), rusqlite::Error> {
    let mut node = conn.prepare(&format!("INSERT INTO {table}_node VALUES (?1, ?2)"))?;
    let mut parent = conn.prepare(&format!("INSERT INTO {table}_parent VALUES (?1, ?2)"))?;
    let mut leaf_of = Vec::new();
    let mut blob = vec![0u8; node_len];
    for n in nodes {
        blob.fill(0);
        if n.no == 1 {
            blob[0..2].copy_from_slice(&n.depth.to_be_bytes());
        }
        blob[2..4].copy_from_slice(&(n.cells.len() as u16).to_be_bytes());
        for (i, c) in n.cells.iter().enumerate() {
            let at = 4 + i * CELL;
            blob[at..at + 8].copy_from_slice(&c.id.to_be_bytes());
            for (k, v) in c.c.iter().enumerate() {
                blob[at + 8 + 4 * k..at + 12 + 4 * k].copy_from_slice(&v.to_bits().to_be_bytes());
            }
            if n.depth == 0 {
                leaf_of.push((c.id, n.no));
            }
        }
        node.execute(params![n.no, blob])?;
        if n.no != 1 {
            parent.execute(params![n.no, n.parent])?;
        }
    }
    // In rowid order: appending to the b-tree, not inserting all over it.
    leaf_of.sort_unstable();
    let mut rowid = conn.prepare(&format!("INSERT INTO {table}_rowid VALUES (?1, ?2)"))?;
    for (id, no) in leaf_of {
        rowid.execute(params![id, no])?;
    }
    Ok(())
}

/// The index of cell (x, y) along a Hilbert curve over a 2^16 × 2^16 grid.
fn hilbert(mut x: u32, mut y: u32) -> u64 {
    (x, y) = (x & 0xffff, y & 0xffff);
    let mut d = 0u64;
    let mut s = 1u32 << 15;
    while s > 0 {
        let rx = u32::from(x & s != 0);
        let ry = u32::from(y & s != 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        // Rotate the quadrant so the curve stays continuous.
        if ry == 0 {
            if rx == 1 {
                x = 0xffff - x;
                y = 0xffff - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s >>= 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(page_size: u32) -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(&format!(
            "PRAGMA page_size = {page_size};
             CREATE VIRTUAL TABLE t USING rtree(id, min_lon, max_lon, min_lat, max_lat,
                min_scale, max_scale);"
        ))
        .unwrap();
        c
    }

    fn check(c: &Connection) {
        let ok: String = c
            .query_row("SELECT rtreecheck('t')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }

    /// A deterministic scatter of boxes, some wide, in four scale bands.
    fn boxes(n: usize, seed: u64) -> Vec<(i64, [f64; 6])> {
        let mut s = seed;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 1_000_000) as f64 / 1_000_000.0
        };
        (0..n)
            .map(|i| {
                let (x, y) = (-124.0 + next() * 8.0, 42.0 + next() * 4.0);
                let (w, h) = (next() * 0.05, next() * 0.05);
                let scale = [50_000.0, 100_000.0, 250_000.0, 4_000_000.0][i % 4];
                (i as i64 + 1, [x, x + w, y, y + h, 0.0, scale])
            })
            .collect()
    }

    fn entries(b: &[(i64, [f64; 6])]) -> Vec<Entry> {
        b.iter().map(|(id, v)| Entry::new(*id, *v)).collect()
    }

    /// `boxes(n, seed)` with ids from `first`.
    fn boxes_from(n: usize, seed: u64, first: i64) -> Vec<(i64, [f64; 6])> {
        boxes(n, seed)
            .into_iter()
            .map(|(id, v)| (id - 1 + first, v))
            .collect()
    }

    fn hits(c: &Connection, q: [f64; 5]) -> Vec<i64> {
        let mut s = c
            .prepare(
                "SELECT id FROM t WHERE max_lon >= ?1 AND min_lon <= ?2 AND max_lat >= ?3
                 AND min_lat <= ?4 AND max_scale >= ?5 ORDER BY id",
            )
            .unwrap();
        s.query_map(params![q[0], q[1], q[2], q[3], q[4]], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn insert_each(c: &Connection, b: &[(i64, [f64; 6])]) {
        for (id, v) in b {
            c.execute(
                "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id, v[0], v[1], v[2], v[3], v[4], v[5]],
            )
            .unwrap();
        }
    }

    #[test]
    fn a_packed_tree_answers_as_the_inserted_one_and_passes_rtreecheck() {
        for (n, page) in [
            (1, 4096),
            (51, 4096),
            (52, 4096),
            (20_000, 4096),
            (5_000, 1024),
        ] {
            let b = boxes(n, 7 + n as u64);
            let packed = db(page);
            add(&packed, "t", entries(&b)).unwrap();
            check(&packed);
            let inserted = db(page);
            insert_each(&inserted, &b);
            let count: i64 = packed
                .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                .unwrap();
            assert_eq!(count as usize, n);
            for q in [
                [-125.0, -115.0, 40.0, 50.0, 0.0],
                [-122.0, -121.5, 43.0, 43.4, 0.0],
                [-122.0, -120.0, 43.0, 45.0, 1_000_000.0],
                [-119.0, -118.99, 45.0, 45.01, 100_000.0],
            ] {
                assert_eq!(hits(&packed, q), hits(&inserted, q), "n {n} query {q:?}");
            }
            // The stored bounds are those the module itself would store.
            let mut diff = packed.prepare("SELECT * FROM t ORDER BY id").unwrap();
            let mut other = inserted.prepare("SELECT * FROM t ORDER BY id").unwrap();
            let rows = |s: &mut rusqlite::Statement| -> Vec<Vec<f64>> {
                s.query_map([], |r| (1..7).map(|i| r.get::<_, f64>(i)).collect())
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            };
            assert_eq!(rows(&mut diff), rows(&mut other));
        }
    }

    #[test]
    fn a_packed_tree_takes_later_inserts_and_deletes() {
        let c = db(4096);
        let b = boxes(3_000, 3);
        add(&c, "t", entries(&b)).unwrap();
        let more = boxes_from(500, 4, 10_001);
        insert_each(&c, &more);
        c.execute("DELETE FROM t WHERE id % 3 = 0", []).unwrap();
        check(&c);
        let all = hits(&c, [-125.0, -115.0, 40.0, 50.0, 0.0]);
        let want: Vec<i64> = b
            .iter()
            .chain(&more)
            .map(|(id, _)| *id)
            .filter(|id| id % 3 != 0)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(all, want);
        c.execute("DELETE FROM t", []).unwrap();
        check(&c);
        // Emptied, it packs again.
        add(&c, "t", entries(&b)).unwrap();
        check(&c);
        assert_eq!(hits(&c, [-125.0, -115.0, 40.0, 50.0, 0.0]).len(), b.len());
    }

    #[test]
    fn adding_to_a_filled_tree_rebuilds_or_inserts_and_keeps_every_box() {
        let c = db(4096);
        let first = boxes(2_000, 5);
        insert_each(&c, &first);
        // More than it holds: rebuilt, old and new packed together.
        let second = boxes_from(3_000, 6, 10_001);
        add(&c, "t", entries(&second)).unwrap();
        check(&c);
        // Fewer than it holds: inserted.
        let third = boxes_from(100, 7, 20_001);
        add(&c, "t", entries(&third)).unwrap();
        check(&c);
        let n = hits(&c, [-125.0, -115.0, 40.0, 50.0, 0.0]).len();
        assert_eq!(n, 5_100);
    }

    #[test]
    fn bounds_round_as_the_module_rounds() {
        // Whatever the module stores for a value, `Entry::new` stores too: a packed box is
        // the box an INSERT would have made.
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE VIRTUAL TABLE r USING rtree(id, a, b)")
            .unwrap();
        let mut s = 12_345u64;
        let mut values = vec![0.0, -0.0, 1.0, -1.0, 0.1, -0.1, 1e-40, -1e-40, 4e6, 47.5];
        for _ in 0..5_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            values.push(-180.0 + (s % 100_000_000) as f64 / 1e8 * 360.0);
        }
        for (i, d) in values.into_iter().enumerate() {
            c.execute("INSERT INTO r VALUES (?1, ?2, ?3)", params![i as i64, d, d])
                .unwrap();
            let (lo, hi): (f64, f64) = c
                .query_row("SELECT a, b FROM r WHERE id = ?1", [i as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap();
            assert_eq!((lo, hi), (value_down(d).into(), value_up(d).into()), "{d}");
            assert!(lo <= d && d <= hi);
        }
    }

    #[test]
    fn the_hilbert_curve_visits_each_cell_once_in_neighbour_steps() {
        // The curve's first 4^6 steps cover the 64 x 64 cells at the origin.
        let mut all: Vec<(u64, u32, u32)> = (0..64u32)
            .flat_map(|x| (0..64u32).map(move |y| (hilbert(x, y), x, y)))
            .collect();
        all.sort_unstable();
        assert!(all.iter().enumerate().all(|(i, c)| c.0 == i as u64));
        assert!(
            all.windows(2)
                .all(|w| w[0].1.abs_diff(w[1].1) + w[0].2.abs_diff(w[1].2) == 1)
        );
    }
}
