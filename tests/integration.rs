//! Integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod app_book;
mod app_snapshots;
mod atlas;
mod bad_input;
mod basemap;
mod cartography;
mod cli_import;
mod coords;
mod crash;
mod db_files;
mod devices;
mod driving;
mod fuzz_corpus;
#[path = "gen.rs"]
mod generator;
mod gps;
mod import;
mod issue_15;
mod map;
mod matching;
mod nav;
mod pbf_writer;
mod roadbook;
mod sample;
mod store;
mod support;
mod terrain;
mod tidy;
