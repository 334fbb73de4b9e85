//! A raster basemap (MBTiles or PMTiles) under a printed page, at the page's true scale: the
//! page frame resampled from the Web-Mercator tiles into the page's own transverse Mercator,
//! as one [`Raster`] the page scene draws under everything.
//!
//! The tile zoom is the one whose pixels best match the print resolution; a tile the file
//! lacks is stood in for by its nearest coarser ancestor. Decoded tiles are kept in a small
//! cache across the pages of one book. Not for the screen (`app::basemap` draws tiles as
//! meshes there) nor for deciding where the raster goes (`scene::build`).

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::core::atlas::RectMm;
use crate::core::tiles::{TileId, tiles_per_side, world_xy, zoom_for_resolution};
use crate::scene::Raster;
use crate::scene::build::RasterSource;
use crate::scene::layers::Projection;
use crate::store::TileArchive;

/// Print resolution of the basemap, pixels per mm (about 150 dpi: scanned topo maps hold no
/// more detail than that, and a page stays a few megabytes).
pub const PX_PER_MM: f64 = 6.0;
/// Decoded tiles kept (512 px RGBA tiles are 1 MiB each).
const TILE_CACHE: usize = 96;
/// Coarser zooms tried for a missing tile.
const STAND_IN_LEVELS: u8 = 6;
/// World coordinates are computed exactly every this many pixels and interpolated between.
const GRID_PX: usize = 16;

/// Decoded tiles by id (`None`: the file lacks it) and their age order.
type TileCache = (HashMap<TileId, Option<Arc<Decoded>>>, VecDeque<TileId>);

struct Decoded {
    size: u32,
    rgba: Vec<u8>,
}

/// A basemap file opened for printing.
pub struct PrintBasemap {
    archive: RefCell<TileArchive>,
    tiles: RefCell<TileCache>,
    tile_px: u32,
}

impl std::fmt::Debug for PrintBasemap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintBasemap")
            .field("file", &self.archive.borrow().info().path)
            .finish()
    }
}

fn decode(bytes: &[u8]) -> Option<Decoded> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(2048);
    limits.max_image_height = Some(2048);
    reader.limits(limits);
    let img = reader.decode().ok()?.to_rgba8();
    (img.width() == img.height()).then(|| Decoded {
        size: img.width(),
        rgba: img.into_raw(),
    })
}

impl PrintBasemap {
    /// Wraps an opened archive; its tile size is learned from one tile.
    pub fn new(mut archive: TileArchive) -> PrintBasemap {
        let tile_px = archive
            .sample_tile()
            .ok()
            .flatten()
            .and_then(|b| decode(&b))
            .map_or(256, |d| d.size);
        PrintBasemap {
            archive: RefCell::new(archive),
            tiles: RefCell::new((HashMap::new(), VecDeque::new())),
            tile_px,
        }
    }

    fn tile(&self, id: TileId) -> Option<Arc<Decoded>> {
        if let Some(t) = self.tiles.borrow().0.get(&id) {
            return t.clone();
        }
        let got = self
            .archive
            .borrow_mut()
            .tile(id)
            .ok()
            .flatten()
            .and_then(|b| decode(&b))
            .map(Arc::new);
        let mut cache = self.tiles.borrow_mut();
        if cache.1.len() >= TILE_CACHE
            && let Some(old) = cache.1.pop_front()
        {
            cache.0.remove(&old);
        }
        cache.0.insert(id, got.clone());
        cache.1.push_back(id);
        got
    }

    /// The colour at Web-Mercator world position `(wx, wy)` (0..1 each) at zoom `z`, from the
    /// tile there or the nearest coarser one held.
    fn sample(&self, z: u8, wx: f64, wy: f64) -> Option<[u8; 4]> {
        for up in 0..=STAND_IN_LEVELS.min(z) {
            let zz = z - up;
            let n = f64::from(tiles_per_side(zz));
            let (fx, fy) = (wx * n, wy * n);
            if !(0.0..n).contains(&fx) || !(0.0..n).contains(&fy) {
                return None;
            }
            let id = TileId {
                z: zz,
                x: fx as u32,
                y: fy as u32,
            };
            let Some(t) = self.tile(id) else { continue };
            let size = f64::from(t.size);
            let px = ((fx.fract() * size) as usize).min(t.size as usize - 1);
            let py = ((fy.fract() * size) as usize).min(t.size as usize - 1);
            let i = (py * t.size as usize + px) * 4;
            let c = t.rgba.get(i..i + 4)?;
            return Some([c[0], c[1], c[2], c[3]]);
        }
        None
    }
}

impl RasterSource for PrintBasemap {
    fn raster(
        &self,
        proj: &dyn Projection,
        frame: &RectMm,
        scale_denom: f64,
    ) -> Option<Arc<Raster>> {
        let w = (frame.w * PX_PER_MM).round().max(1.0) as usize;
        let h = (frame.h * PX_PER_MM).round().max(1.0) as usize;
        let centre = proj.world_from_mm([frame.x + frame.w / 2.0, frame.y + frame.h / 2.0]);
        let info = self.archive.borrow().info().clone();
        let m_per_px = scale_denom / 1000.0 / PX_PER_MM;
        let z = zoom_for_resolution(
            m_per_px,
            centre.lat,
            self.tile_px,
            info.min_zoom,
            info.max_zoom,
        );
        let rgba = crate::scene::layers::resample_frame(
            proj,
            frame,
            PX_PER_MM,
            (w, h),
            GRID_PX,
            world_xy,
            |wx, wy| self.sample(z, wx, wy),
        )?;
        // The key names this page's pixels for caches: file, zoom and frame.
        let key = {
            use std::hash::{Hash as _, Hasher as _};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            info.path.hash(&mut hasher);
            z.hash(&mut hasher);
            for v in [
                frame.x,
                frame.y,
                frame.w,
                frame.h,
                centre.lat,
                centre.lon,
                scale_denom,
            ] {
                v.to_bits().hash(&mut hasher);
            }
            hasher.finish()
        };
        Raster::new(w as u32, h as u32, rgba, key).map(Arc::new)
    }

    fn attribution(&self) -> Option<String> {
        let info = self.archive.borrow().info().clone();
        Some(
            info.attribution
                .filter(|a| !a.trim().is_empty())
                .map_or_else(
                    || format!("Basemap: {}", info.name),
                    |a| format!("Basemap: {a}"),
                ),
        )
    }
}
