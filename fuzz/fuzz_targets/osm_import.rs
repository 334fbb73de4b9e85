//! Any bytes → the OpenStreetMap PBF reader → the store's map sink, in an in-memory
//! database. Invariants: no panic; an error is one line naming the file; a failed file
//! stores nothing and loses nothing already stored; an imported file stores what the reader
//! counted; the database passes its integrity check.
//!
//! The reader is run first into memory (cheap). One in-memory store lives for the whole run
//! (opening one, with its whole schema, cost more than most executions): every import is
//! under the same name, so each replaces the one before (as a newer extract at the same path
//! does), and the store always holds the last file that read. A failed import is then checked
//! against that stored file: it must still be there, whole. A crash found this way replays
//! on a fresh store too (`tests/fuzz_corpus.rs` does), unless it needs the file before it.
//!
//! The PBF reader catches panics inside osmpbf's block decoding (an unknown relation member
//! type panics there) and turns them into an error; libfuzzer-sys's panic hook would abort on
//! those caught panics, so a hook is installed that stays quiet for panics raised inside
//! osmpbf or protobuf (the reader catches those) and prints any other: a panic that escapes
//! still aborts through `fuzz_target!`.
#![no_main]

use std::cell::RefCell;
use std::path::Path;
use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use trailatlas::import::osm::{MapCollect, MapCounts, ReadOptions, read_bytes};
use trailatlas::store::{FileStatus, MapInfo, Store};

static HOOK: Once = Once::new();

thread_local! {
    static STORE: RefCell<Option<Store>> = const { RefCell::new(None) };
}

/// What a failed import must leave as it was: files, roads (count and km by class),
/// places, and water lines, areas and POIs by kind.
type Summary = (
    usize,
    u64,
    u64,
    Vec<(String, u64)>,
    Vec<(String, u64)>,
    Vec<(String, u64)>,
    Vec<(String, u64)>,
);

fn summary(info: &MapInfo) -> Summary {
    (
        info.files.len(),
        info.roads,
        info.places,
        info.roads_km
            .iter()
            .map(|(k, km)| (k.clone(), km.to_bits()))
            .collect(),
        info.water_lines.clone(),
        info.areas.clone(),
        info.pois.clone(),
    )
}

fn check_stored(info: &MapInfo, counts: &MapCounts) {
    assert_eq!(
        info.files.len(),
        1,
        "the last import replaces the one before"
    );
    assert_eq!(info.roads, counts.roads);
    assert_eq!(info.places, counts.places);
    let pois: u64 = info.pois.iter().map(|(_, n)| n).sum();
    assert_eq!(pois, counts.pois);
    let areas: u64 = info.areas.iter().map(|(_, n)| n).sum();
    assert_eq!(areas, counts.areas);
}

fuzz_target!(|data: &[u8]| {
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let caught = info
                .location()
                .is_some_and(|l| l.file().contains("osmpbf") || l.file().contains("protobuf"));
            if !caught {
                default(info);
            }
        }));
    });
    let opts = ReadOptions {
        threads: 1,
        ..ReadOptions::default()
    };
    let mut mem = MapCollect::default();
    let read = read_bytes(Path::new("fuzz.osm.pbf"), data, &mut mem, opts);
    if let Err(e) = &read {
        let msg = e.to_string();
        assert!(msg.starts_with("fuzz.osm.pbf: "), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        // Most failures are cheap framing errors; the store is asked one time in eight to
        // confirm it refuses too and keeps what it had.
        if !data.len().is_multiple_of(8) {
            return;
        }
    }
    STORE.with_borrow_mut(|slot| {
        let store = slot.get_or_insert_with(|| Store::open_in_memory().expect("in-memory store"));
        match read {
            Err(_) => {
                let before = summary(&store.map_info().expect("map info"));
                let r = store.import_map_bytes("fuzz.osm.pbf", data);
                assert_eq!(r.status, FileStatus::Failed);
                let after = summary(&store.map_info().expect("map info"));
                assert_eq!(before, after, "a failed import changed what was stored");
            }
            Ok(counts) => {
                let r = store.import_map_bytes("fuzz.osm.pbf", data);
                assert!(
                    matches!(r.status, FileStatus::Imported | FileStatus::Unchanged),
                    "{:?}",
                    r.error
                );
                assert_eq!(r.counts, counts);
                check_stored(&store.map_info().expect("map info"), &counts);
            }
        }
        assert!(store.integrity_check().is_ok());
    });
});
