//! Shared test helpers.

#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/fixtures/real/` relative to the project root, or `None` (with a note on stderr)
/// when it is absent, as in a user's clone; tests that need it then skip.
pub fn real_fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/real");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is absent", dir.display());
        None
    }
}

/// The built `trailatlas` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_trailatlas"))
}

/// `../shared/fixtures/maps/` (real OSM extracts, SRTM tiles, a GeoTIFF, a PMTiles), or
/// `None` (with a note on stderr) when it is absent; tests that need it then skip.
pub fn maps() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/maps");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is absent", dir.display());
        None
    }
}
