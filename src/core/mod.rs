//! Pure core logic: std + geo + rstar only. No egui, SQL, file or network I/O, no clock.

pub mod along;
pub mod atlas;
pub mod coords;
pub mod geodesy;
pub mod guidance;
pub mod kinds;
pub mod logistics;
pub mod map;
pub mod matching;
pub mod model;
pub mod nearest;
pub mod overview;
pub mod projection;
pub mod roadbook;
pub mod sphere;
pub mod sun;
pub mod terrain;
pub mod tiles;
pub mod units;
