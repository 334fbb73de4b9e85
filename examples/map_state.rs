//! Generates a state-size OpenStreetMap extract for the map import benchmark
//! (`bench/map.sh`): the Liechtenstein fixture tiled `TILES` times (default 140: about 20
//! million nodes, 650,000 road ways), each copy with ids shifted by 10^10 per tile and
//! coordinates shifted on a 12-column grid of 0.2° × 0.25° cells, written sorted (all nodes,
//! then ways, then relations) in blocks of 8,000 like osmium.
//!
//!     cargo run --release --example map_state -- OUT.osm.pbf [TILES]
//!
//! Bench tool only: the PBF writer is the tests' (tests/pbf_writer.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/pbf_writer.rs"]
mod pbf_writer;

use std::io::BufWriter;
use std::path::PathBuf;

use osmpbf::{Element, ElementReader, RelMemberType};
use pbf_writer::Pbf;

fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().expect("usage: map_state OUT.osm.pbf [TILES]"));
    let tiles: i64 = args.next().map_or(140, |t| t.parse().expect("TILES"));
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/maps/liechtenstein-latest.osm.pbf");
    let mut base = Pbf::new();
    base.bbox = Some([
        9.47,
        47.04,
        9.47 + 12.0 * 0.2,
        47.04 + (tiles / 12 + 1) as f64 * 0.25,
    ]);
    base.timestamp = Some(1_437_955_200);
    let own = |t: osmpbf::TagIter<'_>| t.map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ElementReader::from_path(&src)
        .expect("fixture")
        .for_each(|el| match el {
            Element::DenseNode(n) => base.nodes.push((
                n.id(),
                n.lat(),
                n.lon(),
                n.tags()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )),
            Element::Node(n) => base.nodes.push((n.id(), n.lat(), n.lon(), own(n.tags()))),
            Element::Way(w) => base.ways.push((w.id(), w.refs().collect(), own(w.tags()))),
            Element::Relation(r) => {
                let m = r
                    .members()
                    .map(|m| {
                        let t = match m.member_type {
                            RelMemberType::Node => 'n',
                            RelMemberType::Way => 'w',
                            RelMemberType::Relation => 'r',
                        };
                        (t, m.member_id, m.role().unwrap_or("").to_string())
                    })
                    .collect();
                base.relations.push((r.id(), m, own(r.tags())));
            }
        })
        .expect("read");
    let tile = |t: i64| {
        let off = t * 10_000_000_000;
        let (dlon, dlat) = ((t % 12) as f64 * 0.2, (t / 12) as f64 * 0.25);
        let mut p = Pbf::new();
        p.nodes = base
            .nodes
            .iter()
            .map(|(id, lat, lon, tg)| (id + off, lat + dlat, lon + dlon, tg.clone()))
            .collect();
        p.ways = base
            .ways
            .iter()
            .map(|(id, refs, tg)| (id + off, refs.iter().map(|r| r + off).collect(), tg.clone()))
            .collect();
        p.relations = base
            .relations
            .iter()
            .map(|(id, m, tg)| {
                (
                    id + off,
                    m.iter().map(|(c, i, r)| (*c, i + off, r.clone())).collect(),
                    tg.clone(),
                )
            })
            .collect();
        p
    };
    let mut w = BufWriter::new(std::fs::File::create(&out).expect("create"));
    std::io::Write::write_all(&mut w, &base.header_frame()).unwrap();
    for t in 0..tiles {
        tile(t).write_nodes(&mut w).unwrap();
    }
    for t in 0..tiles {
        tile(t).write_ways(&mut w).unwrap();
    }
    for t in 0..tiles {
        tile(t).write_relations(&mut w).unwrap();
    }
    drop(w);
    eprintln!(
        "{}: {} tiles, {} nodes, {} ways ({} highway), {} relations",
        out.display(),
        tiles,
        base.nodes.len() as i64 * tiles,
        base.ways.len() as i64 * tiles,
        base.ways
            .iter()
            .filter(|w| w.2.iter().any(|(k, _)| k == "highway"))
            .count() as i64
            * tiles,
        base.relations.len() as i64 * tiles
    );
}
