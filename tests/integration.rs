//! Integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_import;
mod coords;
#[path = "gen.rs"]
mod generator;
mod import;
mod store;
mod support;
mod nav;
mod tidy;
