//! Pure core logic: std + geo + rstar only. No egui, SQL, file or network I/O, no clock.

pub mod atlas;
pub mod coords;
pub mod geodesy;
pub mod kinds;
pub mod model;
pub mod projection;
pub mod sphere;
pub mod nearest;
pub mod along;
pub mod logistics;
