//! The printed atlas as one PDF: page 1 the index, then the map pages in route order, then
//! the cue sheet. Glue over `core::atlas` (pagination), `scene::build` (layout) and
//! [`super::pdf`] (drawing).
//!
//! Not for file I/O or the store: callers pass the route and data in.

use crate::core::atlas::{Atlas, AtlasError, PageSpec, paginate};
use crate::core::model::{LatLon, StoredLine, Waypoint};
use crate::scene::build::{
    SceneData, SceneError, SceneOptions, build_cue_sheet_scenes, build_index_scene,
    build_page_scene,
};

use super::pdf::{PdfError, PdfMeta, render_pdf};

/// Why an atlas PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AtlasPdfError {
    /// Pagination refused the route or spec.
    #[error(transparent)]
    Atlas(#[from] AtlasError),
    /// A page scene could not be built.
    #[error(transparent)]
    Scene(#[from] SceneError),
    /// The PDF could not be written.
    #[error(transparent)]
    Pdf(#[from] PdfError),
}

/// The route to print: its name and path (route points with shaping points, or track points).
#[derive(Debug, Clone, Copy)]
pub struct AtlasRoute<'a> {
    /// Shown in headers.
    pub name: &'a str,
    /// The path, in order.
    pub path: &'a [LatLon],
}

/// The path of a stored line: all its points, segments joined in order.
pub fn line_path(line: &StoredLine) -> Vec<LatLon> {
    line.points().map(|p| p.pos).collect()
}

/// Paginates `route` and renders the whole atlas; returns the PDF bytes and the layout.
pub fn atlas_pdf(
    spec: &PageSpec,
    route: AtlasRoute<'_>,
    others: &[Vec<LatLon>],
    waypoints: &[Waypoint],
    options: &SceneOptions,
) -> Result<(Vec<u8>, Atlas), AtlasPdfError> {
    let atlas = paginate(spec, route.path)?;
    let data = SceneData {
        route_name: route.name,
        others,
        waypoints,
    };
    let mut scenes = vec![build_index_scene(&atlas, &data, options)];
    for page in &atlas.pages {
        scenes.push(build_page_scene(&atlas, page.number, &data, options)?);
    }
    scenes.extend(build_cue_sheet_scenes(&atlas, &data, options));
    let bytes = render_pdf(
        &scenes,
        &PdfMeta {
            title: format!("{} atlas", route.name),
        },
    )?;
    Ok((bytes, atlas))
}
