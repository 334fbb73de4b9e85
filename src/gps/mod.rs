//! Live GPS: NMEA decoding, position sources on background threads, breadcrumb recording.
//!
//! - [`fix`]: the [`Fix`] every source delivers.
//! - [`nmea`]: NMEA 0183 lines → sentences → one fix per epoch (pure, no I/O).
//! - [`source`]: the [`PositionSource`] trait, the [`SourceHandle`] that runs one on a thread
//!   and the `--source` spec parser.
//! - [`serial`], [`gpsd`], [`replay`]: the sources.
//! - [`recorder`]: breadcrumbs into the store, committed at least once a second.
//!
//! Not for navigation (off-route, ETA): that reads fixes from here but lives elsewhere.

pub mod fix;
pub mod gpsd;
pub mod nmea;
pub mod recorder;
pub mod replay;
pub mod serial;
pub mod source;

pub use fix::{Fix, FixMode, FixQuality};
pub use source::{GpsEvent, PositionSource, SourceHandle, SourceSpec, SourceStatus};
