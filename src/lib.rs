//! trailatlas: an offline-first GPX route and waypoint navigator for overlanders.
//!
//! Modules in reading order; see ARCHITECTURE.md for what each owns and what it must never
//! depend on.
//!
//! - [`core`]: pure logic (model, geodesy, kinds, coordinates, nearest, along-route, atlas
//!   pagination). No SQL, no UI, no I/O.
//! - [`import`]: streaming GPX reader (quick-xml) feeding a [`import::GpxSink`].
//! - [`export`]: GPX 1.1 writer with Garmin extensions.
//! - [`devices`]: mounted Garmin units: detection, their GPX files, sending files to them.
//! - [`store`]: the SQLite database; the only module that writes SQL.
//! - [`scene`]: the display list shared by screen and paper.
//! - [`render`]: scene backends (PDF).
//! - [`gps`]: NMEA parsing, position sources, breadcrumbs.
//! - [`cli`]: the `trailatlas` command line.

pub mod app;
pub mod cli;
pub mod core;
pub mod devices;
pub mod export;
pub mod gps;
pub mod import;
pub mod render;
pub mod scene;
pub mod store;
pub mod ui;
