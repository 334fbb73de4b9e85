//! Any bytes → the streaming GPX reader → the store's sink, in an in-memory database.
//! Invariants: no panic; a failed file stores nothing; an imported file stores what the
//! reader counted; the database passes its integrity check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailatlas::store::{FileStatus, Store};

fuzz_target!(|data: &[u8]| {
    let Ok(mut store) = Store::open_in_memory() else {
        return;
    };
    let report = store.import_bytes("fuzz.gpx", data);
    let Ok(info) = store.info() else {
        panic!("info failed after import");
    };
    match report.status {
        FileStatus::Failed => {
            assert!(report.error.is_some());
            assert_eq!(
                (
                    info.files,
                    info.tracks,
                    info.routes,
                    info.points,
                    info.waypoints
                ),
                (0, 0, 0, 0, 0),
                "a failed import stored something"
            );
        }
        FileStatus::Imported => {
            assert_eq!(info.files, 1);
            assert_eq!(info.waypoints, report.counts.waypoints);
            assert_eq!(info.tracks, report.counts.tracks);
            assert_eq!(info.routes, report.counts.routes);
        }
        FileStatus::Unchanged => panic!("first import reported unchanged"),
    }
    assert!(store.integrity_check().is_ok());
});
