//! Scene backends: turn [`crate::scene::Scene`]s into output. Backends map units and draw;
//! they never decide layout.
//!
//! - [`pdf`]: PDF pages with krilla.
//! - [`egui`]: the screen, with epaint shapes.
//! - [`icons`]: the waypoint icons (`assets/icons`), parsed and rasterised for both.
//! - [`atlas`]: the whole printed atlas (index, map pages, cue sheet) as one PDF.
//! - [`tiles`]: basemap tiles on screen, under the scene.
//! - [`print_basemap`]: a raster basemap resampled under a printed page.

pub mod atlas;
pub mod egui;
pub mod icons;
pub mod pdf;
pub mod print_basemap;
pub mod tiles;
