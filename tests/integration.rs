//! Integration tests: one binary, one module per area.

#[path = "gen.rs"]
mod generator;
mod store;
mod support;
