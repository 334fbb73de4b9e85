//! Any bytes → the streaming GPX reader → an in-memory sink; no database, so it runs an order
//! of magnitude more executions than `gpx_import` (which also exercises the store).
//! Invariants: no panic; an error is one line naming the input, with a position when it has
//! one; what the reader counts is what the sink received; every position is valid.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use trailatlas::import::{Collect, read_bytes};

fuzz_target!(|data: &[u8]| {
    let mut sink = Collect::default();
    match read_bytes(Path::new("fuzz.gpx"), data, &mut sink) {
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("fuzz.gpx:"), "{msg}");
            assert!(!msg.contains('\n'), "{msg}");
        }
        Ok(counts) => {
            let d = &sink.data;
            assert_eq!(counts.waypoints, d.waypoints.len() as u64);
            assert_eq!(counts.tracks, d.tracks.len() as u64);
            assert_eq!(counts.routes, d.routes.len() as u64);
            let points: usize = d
                .tracks
                .iter()
                .map(|t| t.segments.iter().map(Vec::len).sum::<usize>())
                .sum();
            assert_eq!(counts.track_points, points as u64);
            let rpts: usize = d.routes.iter().map(|r| r.points.len()).sum();
            assert_eq!(counts.route_points, rpts as u64);
            assert!(d.waypoints.iter().all(|w| w.pos.is_valid()));
            assert!(
                d.tracks
                    .iter()
                    .flat_map(|t| t.segments.iter().flatten())
                    .all(|p| p.pos.is_valid())
            );
        }
    }
});
