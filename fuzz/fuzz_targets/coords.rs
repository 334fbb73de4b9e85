//! Any text → `coords::parse` in every datum. Invariants: no panic; a parsed position is
//! valid (finite, in range).
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailatlas::core::coords::{self, Datum};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for datum in Datum::ALL {
        if let Ok(p) = coords::parse(text, datum) {
            assert!(p.is_valid(), "{text:?} parsed to invalid {p:?}");
        }
    }
});
