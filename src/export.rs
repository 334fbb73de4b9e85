//! GPX 1.1 writer (placeholder until the import issue's writer lands).

use std::io::Write;

use crate::core::model::GpxData;

/// Why export failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ExportError(String);

/// Writes `data` as GPX 1.1.
pub fn write_gpx<W: Write>(_w: W, _data: &GpxData) -> Result<(), ExportError> {
    Err(ExportError("GPX export is not built yet".into()))
}
