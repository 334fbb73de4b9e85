//! The offline basemap: an MBTiles file of raster tiles drawn under the map.
//!
//! [`Basemap`] is the app's runtime handle. A loader thread owns the file (its own read-only
//! SQLite connection), reads and decodes the tiles the view asks for, newest request first,
//! and sends back RGBA images; the UI thread only uploads them as egui textures, which an LRU
//! bounded by bytes keeps (and frees). While a tile loads, or when the file lacks it, the
//! nearest coarser tile already held is stretched over its ground, so panning and zooming
//! show few holes. Tiles are asked for only for the current view, at the zoom matching its
//! scale, at most [`MAX_TILES`] of them. There is no network code here or anywhere.
//!
//! Not for SQL (see `store::mbtiles`), tile maths (see `core::tiles`) nor drawing (see
//! `render::tiles`, which panels call with the [`BasemapView`] in the model).

mod lru;

use std::collections::{HashSet, VecDeque};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use eframe::egui;

use crate::core::model::{BBox, LatLon};
use crate::core::projection::wrap_deg;
use crate::core::tiles::{MAX_TILES, TileId, tiles_covering, zoom_for_resolution};
use crate::render::tiles::{FULL_UV, TileDraw};
use crate::scene::view::ViewSpec;
use crate::store::{MbTilesError, MbTilesInfo, TileArchive};

use super::NavApp;
use lru::Lru;

/// Decoded tiles kept (as textures), bytes of RGBA.
pub const CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Tiles wider or taller than this are refused (raster tiles are 256 or 512), pixels.
pub const MAX_TILE_PX: u32 = 2048;
/// Decoded tiles uploaded per frame at most, so a burst does not stall a frame.
const UPLOADS_PER_FRAME: usize = 48;
/// How many zoom levels up a coarser stand-in tile is looked for.
const COARSER_LEVELS: u8 = 8;
/// Tiles remembered as absent or broken, at most (the sets are cleared beyond).
const MAX_REMEMBERED: usize = 50_000;
/// Repaint interval while tiles are loading.
const LOADING_REPAINT: Duration = Duration::from_millis(30);

/// Why a basemap could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum BasemapError {
    /// The file.
    #[error(transparent)]
    File(#[from] MbTilesError),
    /// The loader thread did not start.
    #[error("cannot start the basemap loader: {0}")]
    Thread(String),
}

/// The opened file, as the panels show it.
#[derive(Debug, Clone, PartialEq)]
pub struct BasemapInfo {
    /// What the file says about itself.
    pub file: MbTilesInfo,
    /// Tile width in pixels (from a sample tile; 256 when it cannot be read).
    pub tile_px: u32,
}

/// Counts for the panel and for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BasemapStats {
    /// Decoded tiles held as textures.
    pub loaded: usize,
    /// Tiles of the view asked of the loader and not back yet.
    pub pending: usize,
    /// Tiles of the view the file does not have (or that failed).
    pub missing: usize,
    /// Tiles that could not be read or decoded since the file was opened.
    pub errors: usize,
    /// Tiles drawn for the view, at its zoom or stretched from a coarser one.
    pub drawn: usize,
    /// Of `drawn`, those stretched from a coarser zoom.
    pub from_coarser: usize,
    /// Bytes of decoded tiles held.
    pub cache_bytes: usize,
    /// The zoom the view uses.
    pub zoom: u8,
}

/// What the panels read about the basemap (part of the model).
#[derive(Debug, Clone, Default)]
pub struct BasemapView {
    /// The opened file; `None` without a basemap.
    pub info: Option<BasemapInfo>,
    /// Counts as of this frame.
    pub stats: BasemapStats,
    /// Tiles to draw under the scene this frame (textures the app holds).
    pub tiles: Vec<TileDraw>,
    /// The last tile that could not be read or decoded, and why.
    pub last_error: Option<String>,
}

/// What the loader found for one tile.
enum Outcome {
    Image(egui::ColorImage),
    Absent,
    Failed(String),
}

struct Loaded {
    id: TileId,
    outcome: Outcome,
}

/// An open basemap: the loader thread, the texture cache and what is known to be absent.
pub struct Basemap {
    info: BasemapInfo,
    requests: Option<Sender<Vec<TileId>>>,
    results: Receiver<Loaded>,
    worker: Option<JoinHandle<()>>,
    cache: Lru<TileId, egui::TextureHandle>,
    /// Stamp of the last frame's first use: tiles used since are not evicted.
    frame_start: u64,
    absent: HashSet<TileId>,
    failed: HashSet<TileId>,
    errors: usize,
    last_error: Option<String>,
    /// The last list sent to the loader.
    sent: HashSet<TileId>,
}

impl std::fmt::Debug for Basemap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Basemap")
            .field("info", &self.info)
            .field("loaded", &self.cache.len())
            .finish()
    }
}

impl Basemap {
    /// Opens an MBTiles file (reading only its metadata and one sample tile) and starts its
    /// loader thread.
    pub fn open(path: &Path) -> Result<Basemap, BasemapError> {
        Basemap::open_with_budget(path, CACHE_BYTES)
    }

    /// [`Basemap::open`] with a cache of `budget` bytes.
    pub fn open_with_budget(path: &Path, budget: usize) -> Result<Basemap, BasemapError> {
        let mut file = TileArchive::open(path)?;
        let tile_px = file
            .sample_tile()
            .ok()
            .flatten()
            .and_then(|b| tile_width(&b))
            .filter(|w| (64..=MAX_TILE_PX).contains(w))
            .unwrap_or(256);
        let info = BasemapInfo {
            file: file.info().clone(),
            tile_px,
        };
        let (req_tx, req_rx) = mpsc::channel();
        let (res_tx, res_rx) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("basemap loader".into())
            .spawn(move || load_loop(&mut file, &req_rx, &res_tx))
            .map_err(|e| BasemapError::Thread(e.to_string()))?;
        Ok(Basemap {
            info,
            requests: Some(req_tx),
            results: res_rx,
            worker: Some(worker),
            cache: Lru::new(budget),
            frame_start: 0,
            absent: HashSet::new(),
            failed: HashSet::new(),
            errors: 0,
            last_error: None,
            sent: HashSet::new(),
        })
    }

    /// The opened file.
    pub fn info(&self) -> &BasemapInfo {
        &self.info
    }

    /// Takes in what the loader sent, asks for the tiles `view` needs and not held, and
    /// returns the tiles to draw with the counts. `px_per_mm` is screen points per view mm.
    pub fn update(
        &mut self,
        ctx: &egui::Context,
        view: &ViewSpec,
        px_per_mm: f32,
    ) -> (Vec<TileDraw>, BasemapStats) {
        self.receive(ctx);
        self.frame_start = self.cache.now();
        let file = &self.info.file;
        let px_per_mm = f64::from(px_per_mm * ctx.pixels_per_point());
        let m_per_px = view.m_per_mm / px_per_mm.max(1e-3);
        let z = zoom_for_resolution(
            m_per_px,
            view.center.lat,
            self.info.tile_px,
            file.min_zoom,
            file.max_zoom,
        );
        let lowest = file.min_zoom.max(z.saturating_sub(COARSER_LEVELS));
        let cover = tiles_covering(&view_bbox(view), z, MAX_TILES);
        let mut draws = Vec::with_capacity(cover.tiles.len());
        let mut want: Vec<TileId> = Vec::new();
        let mut wanted: HashSet<TileId> = HashSet::new();
        let (mut missing, mut from_coarser) = (0, 0);
        for t in cover.tiles {
            if !in_bounds(&t, file.bounds.as_ref()) {
                continue;
            }
            if let Some(tex) = self.cache.get(&t) {
                draws.push(TileDraw {
                    area: t,
                    texture: tex.id(),
                    uv: FULL_UV,
                });
                continue;
            }
            let gone = self.absent.contains(&t) || self.failed.contains(&t);
            if gone {
                missing += 1;
            } else if wanted.insert(t) {
                want.push(t);
            }
            // A coarser tile stands in; for a tile the file lacks (a sparse pyramid), the
            // nearest coarser one not known to be absent is asked for.
            let mut asked = !gone;
            for az in (lowest..z).rev() {
                let Some((a, uv)) = t.ancestor(az) else { break };
                if let Some(tex) = self.cache.get(&a) {
                    draws.push(TileDraw {
                        area: t,
                        texture: tex.id(),
                        uv: uv.map(|f| f as f32),
                    });
                    from_coarser += 1;
                    break;
                }
                if !asked && !self.absent.contains(&a) && !self.failed.contains(&a) {
                    asked = true;
                    if wanted.insert(a) {
                        want.push(a);
                    }
                }
            }
        }
        // The loader works through the last list; a new one (replacing it) is sent only when
        // something not in it is needed, not every time a tile arrives; an empty one when
        // nothing is, so it drops the rest of an old view's.
        let gained = want.iter().any(|t| !self.sent.contains(t));
        if gained || (want.is_empty() && !self.sent.is_empty()) {
            if let Some(tx) = &self.requests
                && tx.send(want.clone()).is_err()
            {
                self.requests = None;
                self.last_error = Some("the basemap loader stopped".into());
            }
            self.sent = wanted;
        }
        if !want.is_empty() && self.requests.is_some() {
            ctx.request_repaint_after(LOADING_REPAINT);
        }
        let stats = BasemapStats {
            loaded: self.cache.len(),
            pending: if self.requests.is_some() {
                want.len()
            } else {
                0
            },
            missing,
            errors: self.errors,
            drawn: draws.len(),
            from_coarser,
            cache_bytes: self.cache.bytes(),
            zoom: z,
        };
        (draws, stats)
    }

    /// The last tile that failed, and why.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    fn receive(&mut self, ctx: &egui::Context) {
        for _ in 0..UPLOADS_PER_FRAME {
            let loaded = match self.results.try_recv() {
                Ok(l) => l,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    if self.requests.take().is_some() {
                        self.last_error = Some("the basemap loader stopped".into());
                    }
                    break;
                }
            };
            match loaded.outcome {
                Outcome::Image(img) => {
                    let bytes = img.width() * img.height() * 4;
                    let tex = ctx.load_texture(
                        format!("basemap {}", loaded.id),
                        img,
                        egui::TextureOptions::LINEAR,
                    );
                    self.cache.insert(loaded.id, tex, bytes);
                }
                Outcome::Absent => remember(&mut self.absent, loaded.id),
                Outcome::Failed(why) => {
                    self.errors += 1;
                    remember(&mut self.failed, loaded.id);
                    self.last_error = Some(why);
                }
            }
        }
        // Evicted textures are freed when their handles drop here.
        self.cache.trim(self.frame_start);
    }
}

impl Drop for Basemap {
    fn drop(&mut self) {
        // Closing the request channel ends the loader after the tile it is on.
        self.requests = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn remember(set: &mut HashSet<TileId>, id: TileId) {
    if set.len() >= MAX_REMEMBERED {
        set.clear();
    }
    set.insert(id);
}

/// True when tile `t` overlaps the file's `bounds` (which may cross the antimeridian).
fn in_bounds(t: &TileId, bounds: Option<&BBox>) -> bool {
    let Some(b) = bounds else { return true };
    let tb = t.bbox();
    let lat = tb.max_lat >= b.min_lat && tb.min_lat <= b.max_lat;
    let lon = if b.min_lon <= b.max_lon {
        tb.max_lon >= b.min_lon && tb.min_lon <= b.max_lon
    } else {
        tb.max_lon >= b.min_lon || tb.min_lon <= b.max_lon
    };
    lat && lon
}

/// The ground box of the view, from a 5 × 5 grid of window points, longitudes unwrapped
/// around the centre's (so a view across the antimeridian runs past ±180°).
pub fn view_bbox(view: &ViewSpec) -> BBox {
    let pr = view.projector();
    let (w, h) = view.size_mm;
    let c = view.center.lon;
    let mut b = BBox::EMPTY;
    for j in 0..=4 {
        for i in 0..=4 {
            let p = pr.world_from_mm([w * f64::from(i) / 4.0, h * f64::from(j) / 4.0]);
            if p.lat.is_finite() && p.lon.is_finite() {
                b.extend(LatLon::new(p.lat, c + wrap_deg(p.lon - c)));
            }
        }
    }
    b
}

/// The width of an encoded tile from its header, without decoding it.
fn tile_width(bytes: &[u8]) -> Option<u32> {
    image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
        .map(|(w, _)| w)
}

/// Decodes a PNG, JPEG or WebP tile to RGBA. Anything else, a broken image or one over
/// [`MAX_TILE_PX`] is an error (counted by the caller, never a panic).
pub fn decode_tile(bytes: &[u8]) -> Result<egui::ColorImage, String> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_TILE_PX);
    limits.max_image_height = Some(MAX_TILE_PX);
    limits.max_alloc = Some(64 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| e.to_string())?;
    let rgba = img.to_rgba8();
    let size = [rgba.width() as usize, rgba.height() as usize];
    Ok(egui::ColorImage::from_rgba_unmultiplied(
        size,
        rgba.as_raw(),
    ))
}

/// The loader: takes the newest list of wanted tiles, reads and decodes them in order,
/// sends each back; ends when the app drops its side of either channel.
fn load_loop(file: &mut TileArchive, requests: &Receiver<Vec<TileId>>, results: &Sender<Loaded>) {
    let mut queue: VecDeque<TileId> = VecDeque::new();
    loop {
        if queue.is_empty() {
            match requests.recv() {
                Ok(list) => queue = list.into(),
                Err(_) => return,
            }
        }
        // A newer list replaces what is left of this one (the view moved on).
        loop {
            match requests.try_recv() {
                Ok(list) => queue = list.into(),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let Some(id) = queue.pop_front() else {
            continue;
        };
        let outcome = match file.tile(id) {
            Ok(None) => Outcome::Absent,
            Ok(Some(bytes)) => match decode_tile(&bytes) {
                Ok(img) => Outcome::Image(img),
                Err(e) => Outcome::Failed(format!("basemap tile {id}: {e}")),
            },
            Err(e) => Outcome::Failed(e.to_string()),
        };
        if results.send(Loaded { id, outcome }).is_err() {
            return;
        }
    }
}

impl NavApp {
    /// Opens `path` as the basemap (replacing the open one); a failure becomes the status
    /// line and keeps the current basemap.
    pub(super) fn open_basemap(&mut self, path: &Path) {
        match Basemap::open(path) {
            Ok(b) => {
                let i = b.info().clone();
                self.model.status = format!(
                    "basemap {} ({}, zoom {}–{})",
                    i.file.name,
                    i.file.format.as_str(),
                    i.file.min_zoom,
                    i.file.max_zoom
                );
                self.model.basemap = BasemapView {
                    info: Some(i),
                    ..BasemapView::default()
                };
                self.model.prefs.basemap = Some(path.to_path_buf());
                self.basemap = Some(b);
            }
            Err(e) => self.model.status = format!("cannot open basemap: {e}"),
        }
    }

    /// Closes the basemap: the plain map with its graticule again.
    pub(super) fn close_basemap(&mut self) {
        self.basemap = None;
        self.model.basemap = BasemapView::default();
        self.model.prefs.basemap = None;
        self.model.status = "basemap closed".into();
    }

    /// Reopens the basemap named in the prefs; a missing file is a status line (and stays in
    /// the prefs, for when the card is back).
    pub(super) fn restore_basemap(&mut self) {
        let Some(path) = self.model.prefs.basemap.clone() else {
            return;
        };
        if self
            .basemap
            .as_ref()
            .is_some_and(|b| b.info.file.path == path)
        {
            return;
        }
        if path.is_file() {
            self.open_basemap(&path);
        } else {
            self.model.status = format!(
                "basemap {} not found; showing the plain map",
                path.display()
            );
        }
    }

    /// Per frame, before the panels: takes in loaded tiles, asks for the view's and puts
    /// what to draw in the model.
    pub(super) fn update_basemap(&mut self, ctx: &egui::Context) {
        let Some(b) = &mut self.basemap else {
            return;
        };
        let (tiles, stats) = b.update(ctx, &self.model.view, crate::ui::map_view::SCREEN_PT_PER_MM);
        let m = &mut self.model.basemap;
        m.tiles = tiles;
        m.stats = stats;
        m.last_error = b.last_error().map(str::to_string);
    }

    /// The basemap counts as of the last frame (all zero without a basemap).
    pub fn basemap_stats(&self) -> BasemapStats {
        self.model.basemap.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(w, h, image::Rgba([10, 200, 30, 255]));
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn png_tiles_decode_to_rgba() {
        let img = decode_tile(&png(256, 256)).unwrap();
        assert_eq!(img.size, [256, 256]);
        assert_eq!(img.pixels[0], egui::Color32::from_rgb(10, 200, 30));
        assert_eq!(tile_width(&png(512, 512)), Some(512));
    }

    #[test]
    fn bad_tiles_are_errors_not_panics() {
        assert!(decode_tile(b"").is_err());
        assert!(decode_tile(b"not an image at all").is_err());
        let mut cut = png(256, 256);
        cut.truncate(cut.len() / 2);
        assert!(decode_tile(&cut).is_err());
        assert!(decode_tile(&png(MAX_TILE_PX + 1, 1)).is_err(), "too wide");
    }

    #[test]
    fn bounds_across_the_antimeridian() {
        let fiji = BBox {
            min_lon: 176.0,
            min_lat: -20.0,
            max_lon: -178.0,
            max_lat: -15.0,
        };
        let t = |lat: f64, lon: f64| {
            let (x, y) = crate::core::tiles::world_xy(LatLon::new(lat, lon));
            TileId::new(8, (x * 256.0) as u32, (y * 256.0) as u32).unwrap()
        };
        assert!(in_bounds(&t(-17.0, 178.0), Some(&fiji)));
        assert!(in_bounds(&t(-17.0, -179.0), Some(&fiji)));
        assert!(!in_bounds(&t(-17.0, 0.0), Some(&fiji)));
        assert!(!in_bounds(&t(40.0, 178.0), Some(&fiji)));
        assert!(in_bounds(&t(40.0, 0.0), None));
    }

    #[test]
    fn a_view_across_the_antimeridian_runs_past_180() {
        let v = ViewSpec {
            center: LatLon::new(-17.0, 179.9),
            m_per_mm: 200.0,
            size_mm: (200.0, 100.0),
            rotation_deg: 0.0,
        };
        let b = view_bbox(&v);
        assert!(b.min_lon < 179.9 && b.max_lon > 180.0, "{b:?}");
        let c = tiles_covering(&b, 8, MAX_TILES);
        assert!(c.tiles.iter().any(|t| t.x == 0) && c.tiles.iter().any(|t| t.x == 255));
    }
}
