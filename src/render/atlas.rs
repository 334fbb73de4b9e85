//! The printed atlas as one PDF: page 1 the index, then the map pages in route order, then
//! the cue sheet. Glue over `core::atlas` (pagination), `scene::build` (layout) and
//! [`super::pdf`] (drawing).
//!
//! Not for file I/O or the store: callers pass the route and data in.

use crate::core::atlas::{Atlas, AtlasError, PageSpec, paginate};
use crate::core::model::{LatLon, StoredLine, Waypoint};
use std::ops::RangeInclusive;

use crate::scene::Scene;
use crate::scene::build::{
    SceneData, SceneError, SceneOptions, build_cue_sheet_scenes, build_index_scene,
    build_page_scene,
};

use super::pdf::{PdfBook, PdfError, PdfMeta};

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
    /// The page range holds no page of the book.
    #[error("the page range holds no page of this atlas")]
    NoPages,
}

/// The route to print: its name and path (route points with shaping points, or track points).
#[derive(Debug, Clone, Copy)]
pub struct AtlasRoute<'a> {
    /// Shown in headers.
    pub name: &'a str,
    /// The path, in order.
    pub path: &'a [LatLon],
}

/// The store's map data as pages ask for it (a query per page frame, at the page's scale).
/// A failed query draws the page without a map rather than failing the book.
#[derive(Debug)]
pub struct StoreMap<'a>(pub &'a crate::store::Store);

impl crate::scene::build::MapSource for StoreMap<'_> {
    fn map_in(
        &self,
        bbox: &crate::core::model::BBox,
        scale_denom: u32,
    ) -> Option<std::borrow::Cow<'_, crate::core::map::MapData>> {
        let m = self.0.map_in_bbox(bbox, scale_denom).ok()?;
        (!m.is_empty()).then_some(std::borrow::Cow::Owned(m))
    }
}

/// The store's elevation model as pages ask for it: the model over the page's box at about
/// half a millimetre of paper per cell, with its hillshade and contours computed.
#[derive(Debug)]
pub struct StoreTerrain<'a>(pub &'a crate::store::Store);

impl crate::scene::layers::terrain::TerrainSource for StoreTerrain<'_> {
    fn terrain(
        &self,
        bbox: &crate::core::model::BBox,
        scale_denom: u32,
        imperial: bool,
    ) -> Option<std::sync::Arc<crate::core::terrain::cache::TerrainTile>> {
        let cell_m = f64::from(scale_denom) / 2000.0;
        let (grid, source) = self.0.dem_window(bbox, cell_m).ok()??;
        Some(std::sync::Arc::new(
            crate::core::terrain::cache::TerrainTile::compute(
                grid,
                source.label(),
                scale_denom,
                imperial,
                &crate::core::terrain::HillshadeParams::default(),
            ),
        ))
    }
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
    let others: Vec<&[LatLon]> = others.iter().map(Vec::as_slice).collect();
    let data = SceneData {
        route_name: route.name,
        others: &others,
        waypoints,
        ..Default::default()
    };
    let bytes = book_pdf(&atlas, &data, options, None)?;
    Ok((bytes, atlas))
}

/// Renders the book (or the book pages in `pages`) of an already paginated atlas as a PDF.
pub fn book_pdf(
    atlas: &Atlas,
    data: &SceneData<'_>,
    options: &SceneOptions,
    pages: Option<RangeInclusive<u32>>,
) -> Result<Vec<u8>, AtlasPdfError> {
    book_pdf_parallel(atlas, data, options, pages, 0, &|_| {})
}

/// What a page-building thread is given: called once on each worker thread, it hands the
/// callback that thread's own [`SceneData`] (its own store connection, say: a connection is
/// not shared between threads). A worker that cannot make its data returns without calling
/// the callback, and its pages are built by the others or here.
pub type WorkerData<'w> = dyn Fn(&mut dyn FnMut(&SceneData<'_>)) + Sync + 'w;

/// [`book_pdf`] with the map pages built on `threads` worker threads while this thread draws
/// finished pages into the PDF in order (the bytes are the same as with no workers). With
/// `threads` 0 every page is built here from `data`.
pub fn book_pdf_parallel(
    atlas: &Atlas,
    data: &SceneData<'_>,
    options: &SceneOptions,
    pages: Option<RangeInclusive<u32>>,
    threads: usize,
    worker_data: &WorkerData<'_>,
) -> Result<Vec<u8>, AtlasPdfError> {
    let wanted = |n: u32| pages.as_ref().is_none_or(|r| r.contains(&n));
    let mut front = Vec::new();
    if wanted(1) {
        front.push(build_index_scene(atlas, data, options));
        if let Some(o) = data.overview {
            front.push(crate::scene::overview_page::build_overview_scene(
                atlas,
                data.route_name,
                o,
                options,
            ));
        }
    }
    let map_pages: Vec<u32> = atlas
        .pages
        .iter()
        .map(|p| p.number)
        .filter(|n| wanted(*n))
        .collect();
    let back: Vec<Scene> = if pages
        .as_ref()
        .is_none_or(|r| *r.end() > atlas.last_map_page())
    {
        build_cue_sheet_scenes(atlas, data, options)
            .into_iter()
            .filter(|s| s.page_number.is_none_or(wanted))
            .collect()
    } else {
        Vec::new()
    };
    if front.len() + map_pages.len() + back.len() == 0 {
        return Err(AtlasPdfError::NoPages);
    }
    let numbers: Vec<Option<u32>> = front
        .iter()
        .map(|s| s.page_number)
        .chain(map_pages.iter().map(|n| Some(*n)))
        .chain(back.iter().map(|s| s.page_number))
        .collect();
    let mut book = PdfBook::new(
        &PdfMeta {
            title: format!("{} atlas", data.route_name),
        },
        &numbers,
    )?;
    for s in &front {
        book.page(s)?;
    }
    drop(front);
    build_in_order(
        atlas,
        data,
        options,
        &map_pages,
        threads,
        worker_data,
        |s| Ok(book.page(&s)?),
    )?;
    for s in &back {
        book.page(s)?;
    }
    Ok(book.finish()?)
}

/// Builds the map pages `numbers` and hands them to `sink` in that order: on `threads`
/// workers (each pulling the next page not yet taken), then here for any page no worker
/// took. Workers run at most a few pages ahead of `sink`, so memory stays bounded.
fn build_in_order(
    atlas: &Atlas,
    data: &SceneData<'_>,
    options: &SceneOptions,
    numbers: &[u32],
    threads: usize,
    worker_data: &WorkerData<'_>,
    mut sink: impl FnMut(Scene) -> Result<(), AtlasPdfError>,
) -> Result<(), AtlasPdfError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let mut done = 0;
    if threads > 0 {
        std::thread::scope(|scope| -> Result<(), AtlasPdfError> {
            let (tx, rx) =
                std::sync::mpsc::sync_channel::<(usize, Result<Scene, SceneError>)>(2 * threads);
            for _ in 0..threads {
                let tx = tx.clone();
                let next = &next;
                scope.spawn(move || {
                    worker_data(&mut |d: &SceneData<'_>| {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&n) = numbers.get(i) else { break };
                            // A closed channel: the book failed; stop.
                            if tx
                                .send((i, build_page_scene(atlas, n, d, options)))
                                .is_err()
                            {
                                break;
                            }
                        }
                    });
                });
            }
            drop(tx);
            // Pages arrive roughly in order; those ahead of the next one wait here.
            let mut ahead = std::collections::BTreeMap::new();
            for (i, scene) in rx {
                ahead.insert(i, scene);
                while let Some(scene) = ahead.remove(&done) {
                    sink(scene?)?;
                    done += 1;
                }
            }
            Ok(())
        })?;
    }
    // No workers, or workers that could not start: the rest is built here, in order. Every
    // page a worker took was sent and drawn before the channel closed, so `done` is where
    // the workers stopped.
    for &n in &numbers[done..] {
        sink(build_page_scene(atlas, n, data, options)?)?;
    }
    Ok(())
}

/// One page of the book by its printed number (index, map page or cue sheet), for showing
/// the book on screen a page at a time; `None` past the end.
pub fn book_page(
    atlas: &Atlas,
    number: u32,
    data: &SceneData<'_>,
    options: &SceneOptions,
) -> Result<Option<Scene>, AtlasPdfError> {
    if number == 1 {
        return Ok(Some(build_index_scene(atlas, data, options)));
    }
    if atlas.page(number).is_some() {
        return Ok(Some(build_page_scene(atlas, number, data, options)?));
    }
    Ok(build_cue_sheet_scenes(atlas, data, options)
        .into_iter()
        .find(|s| s.page_number == Some(number)))
}

/// How many pages the book has (index, map pages and cue sheet).
pub fn book_len(atlas: &Atlas, data: &SceneData<'_>, options: &SceneOptions) -> u32 {
    atlas.last_map_page() + build_cue_sheet_scenes(atlas, data, options).len() as u32
}
