//! Any bytes → the OpenStreetMap PBF reader → the store's map sink, in an in-memory
//! database. Invariants: no panic; an error is one line naming the file; a failed file
//! stores nothing; an imported file stores what the reader counted; the database passes
//! its integrity check.
//!
//! The reader is run first into memory (cheap), and the store import only when the bytes
//! read, so most executions skip opening a database. The PBF reader catches panics inside
//! osmpbf's block decoding (an unknown relation member type panics there) and turns them
//! into an error; libfuzzer-sys's panic hook would abort on those caught panics, so the
//! default hook is restored: a panic that escapes still aborts through `fuzz_target!`.
#![no_main]

use std::path::Path;
use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use trailatlas::import::osm::{MapCollect, ReadOptions, read_bytes};
use trailatlas::store::{FileStatus, Store};

static HOOK: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    HOOK.call_once(|| drop(std::panic::take_hook()));
    let opts = ReadOptions {
        threads: 1,
        ..ReadOptions::default()
    };
    let mut mem = MapCollect::default();
    let read = read_bytes(Path::new("fuzz.osm.pbf"), data, &mut mem, opts);
    let Ok(mut store) = Store::open_in_memory() else {
        return;
    };
    match read {
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("fuzz.osm.pbf: "), "{msg}");
            assert!(!msg.contains('\n'), "{msg}");
            // Cheap path: the store is asked only one time in 64 to confirm it refuses too.
            if !data.len().is_multiple_of(64) {
                return;
            }
            let r = store.import_map_bytes("fuzz.osm.pbf", data);
            assert_eq!(r.status, FileStatus::Failed);
            let info = store.map_info().expect("map info");
            assert!(info.files.is_empty() && info.roads == 0 && info.places == 0);
        }
        Ok(counts) => {
            let r = store.import_map_bytes("fuzz.osm.pbf", data);
            assert_eq!(r.status, FileStatus::Imported, "{:?}", r.error);
            assert_eq!(r.counts, counts);
            let info = store.map_info().expect("map info");
            assert_eq!(info.roads, counts.roads);
            assert_eq!(info.places, counts.places);
            let pois: u64 = info.pois.iter().map(|(_, n)| n).sum();
            assert_eq!(pois, counts.pois);
            let areas: u64 = info.areas.iter().map(|(_, n)| n).sum();
            assert_eq!(areas, counts.areas);
        }
    }
    assert!(store.integrity_check().is_ok());
});
