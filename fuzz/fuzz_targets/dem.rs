//! Any bytes → the DEM readers (SRTM .hgt, .hgt.zip, GeoTIFF) → the store, in an in-memory
//! database. The first byte picks the file name the bytes are read under (and so the reader);
//! the rest is the file. Run with an allocation cap, e.g.
//! `cargo fuzz run -s none dem -- -rss_limit_mb=1024 -malloc_limit_mb=512 -max_len=4096`.
//! Invariants: no panic; a failed file stores nothing and says why in one line naming it; an
//! imported model answers elevations that are never a void sentinel.
//!
//! The reader runs first into memory (cheap); the store is opened only when the bytes read,
//! and for one failing input in 64 to confirm the store refuses it too, so most executions
//! skip creating a database (which cost most of each run: about 400 runs a second before).
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailatlas::core::model::LatLon;
use trailatlas::import::dem::{DemLimits, read_dem_bytes};
use trailatlas::store::{FileStatus, Store};

const NAMES: [&str; 4] = ["N42E001.hgt", "N42E001.hgt.zip", "dem.tif", "dem"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    // A million nodes: any bigger claim must be refused before it is allocated (small, so
    // that each run stays cheap: a 4 MB buffer at most).
    let limits = DemLimits {
        max_samples: 1_000_000,
    };
    let read = read_dem_bytes(name, bytes, &limits);
    if let Err(e) = &read {
        let e = e.to_string();
        assert!(e.starts_with(name) && !e.contains('\n'), "{e}");
        if !bytes.len().is_multiple_of(64) {
            return;
        }
    }
    let Ok(mut store) = Store::open_in_memory() else {
        return;
    };
    let report = store.import_dem_bytes(name, bytes, &limits);
    let dems = store.dems().unwrap_or_default();
    match report.status {
        FileStatus::Failed => {
            assert!(read.is_err(), "the reader read what the store refused");
            let e = report.error.unwrap_or_default();
            assert!(e.starts_with(name) && !e.contains('\n'), "{e}");
            assert!(dems.is_empty(), "a failed import stored something");
        }
        FileStatus::Imported => {
            assert!(read.is_ok(), "the store imported what the reader refused");
            assert_eq!(dems.len(), 1);
            let b = dems[0].bbox;
            let probe: Vec<LatLon> = (0..=8)
                .map(|i| {
                    let t = f64::from(i) / 8.0;
                    LatLon::new(
                        b.min_lat + t * (b.max_lat - b.min_lat),
                        b.min_lon + t * (b.max_lon - b.min_lon),
                    )
                })
                .collect();
            if let Ok((values, _)) = store.elevations(&probe) {
                for v in values.into_iter().flatten() {
                    assert!(v.is_finite() && v.abs() <= 20_000.0, "{v}");
                }
            }
        }
        FileStatus::Unchanged => panic!("first import reported unchanged"),
    }
    assert!(store.integrity_check().is_ok());
});
