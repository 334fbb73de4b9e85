//! Integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "gen.rs"]
mod generator;
mod gps;
mod store;
mod support;
