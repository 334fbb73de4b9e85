//! Any byte sequence through the NMEA line splitter, parser and fix assembler, and through
//! the gpsd JSON decoder: nothing may panic, and every fix must be a valid position.

#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use trailatlas::gps::gpsd::GpsdDecoder;
use trailatlas::gps::nmea::{FixAssembler, LineSplitter};

fuzz_target!(|data: &[u8]| {
    let mut asm = FixAssembler::new();
    let mut split = LineSplitter::new();
    let mut fixes = Vec::new();
    split.push(data, |line| fixes.extend(asm.push_line(line)));
    split.finish(|line| fixes.extend(asm.push_line(line)));
    fixes.extend(asm.finish());
    for f in &fixes {
        assert!(f.pos.is_valid(), "{f:?}");
    }
    assert_eq!(asm.stats().fixes, fixes.len() as u64);

    let mut gpsd = GpsdDecoder::new();
    let now = Instant::now();
    for line in data.split(|&b| b == b'\n') {
        if let Some(f) = gpsd.push_line(line, now) {
            assert!(f.pos.is_valid());
        }
    }
    let _ = gpsd.flush(now, true);
});
