//! Loading the stored map (and terrain) around the view, off the UI thread.
//!
//! A state-size map can take a few hundred milliseconds to query, and hillshade and contours
//! for a window take tens more: on the UI thread every zoom or pan past the loaded box would
//! stall a frame. The loader is a worker with its own connection to the database (SQLite in
//! WAL mode lets it read while the UI thread and imports write); the UI sends the box it
//! wants and keeps drawing what it has until the answer arrives. Requests that pile up while
//! one is being served are skipped but for the newest, so a fast pan loads once at its end.
//!
//! A database without a file (tests in memory) is loaded on the caller's thread instead.
//!
//! The screen map's layer (the map's geometry and placed labels for a window, see
//! `scene::view::MapLayer`) is built on a second worker, [`LayerBuilder`], for the same
//! reason: at a state-wide zoom it takes tens of milliseconds, and a frame has eight.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};

use eframe::egui;

use crate::core::map::MapData;
use crate::core::model::{BBox, Waypoint};
use crate::scene::build::SceneOptions;
use crate::scene::layers::MapLayers;
use crate::scene::layers::terrain::TerrainSource as _;
use crate::scene::view::{
    LayerKey, MapLayer, PageFrame, ViewData, ViewLine, ViewLineRef, ViewSpec,
};
use crate::store::Store;

use super::MapView;

/// What to load: a box at a scale, and which terrain layers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapRequest {
    /// The ground to load.
    pub bbox: BBox,
    /// Scale denominator to load the features for.
    pub scale_denom: u32,
    /// Load map features (the database holds map files).
    pub features: bool,
    /// Compute hillshade and contours (one of those layers is on).
    pub terrain: bool,
    /// Contours in feet.
    pub imperial: bool,
    /// Bumped when stored data or layer choices change: an answer to an older request is
    /// still drawn (better than nothing) but asked again.
    pub generation: u64,
}

/// Loads one request from `store` (the worker's, or the app's own when it has no file).
pub fn load(store: &Store, req: &MapRequest) -> (MapView, Option<String>) {
    let terrain = req
        .terrain
        .then(|| {
            crate::render::atlas::StoreTerrain(store).terrain(
                &req.bbox,
                req.scale_denom,
                req.imperial,
            )
        })
        .flatten();
    let data = if req.features {
        store.map_in_bbox(&req.bbox, req.scale_denom)
    } else {
        Ok(MapData::default())
    };
    let (data, error) = match data {
        Ok(d) => (d, None),
        Err(e) => (MapData::default(), Some(format!("map data: {e}"))),
    };
    let view = MapView {
        bbox: Some(req.bbox),
        scale_denom: req.scale_denom,
        data: Arc::new(data),
        terrain,
        generation: req.generation,
    };
    (view, error)
}

/// The worker: requests in, loaded views out.
#[derive(Debug)]
pub struct MapLoader {
    tx: Sender<MapRequest>,
    rx: Receiver<(MapView, Option<String>)>,
    /// The request being served, if any (the newest one sent).
    pending: Option<MapRequest>,
}

impl MapLoader {
    /// Starts a worker over its own connection to the database at `db`, opened on the
    /// worker. When that fails the worker ends, and [`MapLoader::request`] or
    /// [`MapLoader::poll`] say so: the caller then loads on its own thread.
    pub fn start(db: &Path) -> MapLoader {
        let (tx, requests) = mpsc::channel::<MapRequest>();
        let (answers, rx) = mpsc::channel();
        let db = db.to_path_buf();
        // A failed spawn drops `requests`: the first request then fails.
        let _ = std::thread::Builder::new()
            .name("map-loader".into())
            .spawn(move || {
                let Ok(store) = Store::open(&db) else {
                    return;
                };
                while let Ok(mut req) = requests.recv() {
                    // Only the newest of the requests that queued up meanwhile.
                    while let Ok(newer) = requests.try_recv() {
                        req = newer;
                    }
                    if answers.send(load(&store, &req)).is_err() {
                        break;
                    }
                }
            });
        MapLoader {
            tx,
            rx,
            pending: None,
        }
    }

    /// The request being served.
    pub fn pending(&self) -> Option<&MapRequest> {
        self.pending.as_ref()
    }

    /// Asks for `req`; false when the worker has gone.
    pub fn request(&mut self, req: MapRequest) -> bool {
        let sent = self.tx.send(req).is_ok();
        if sent {
            self.pending = Some(req);
        }
        sent
    }

    /// The newest finished load, if any.
    pub fn poll(&mut self) -> Polled {
        let mut last = None;
        loop {
            match self.rx.try_recv() {
                Ok(v) => last = Some(v),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return Polled::Gone,
            }
        }
        let Some((view, error)) = last else {
            return Polled::Nothing;
        };
        if self.pending.is_some_and(|p| {
            Some(p.bbox) == view.bbox
                && p.scale_denom == view.scale_denom
                && p.generation == view.generation
        }) {
            self.pending = None;
        }
        Polled::Loaded(view, error)
    }
}

/// What [`MapLoader::poll`] found.
#[derive(Debug)]
pub enum Polled {
    /// Nothing new.
    Nothing,
    /// A load finished (with the status line to show when it failed).
    Loaded(MapView, Option<String>),
    /// The worker has ended (its database could not be opened).
    Gone,
}

/// A map layer to build off the UI thread: the view, and owned copies (or shared handles)
/// of what it is built from. `view` keeps the map data alive with the layer, which knows
/// its data by address.
#[derive(Debug, Clone)]
pub struct LayerJob {
    /// The window the layer is for.
    pub spec: ViewSpec,
    /// Its key, computed on the UI thread from the same data.
    pub key: LayerKey,
    /// The loaded map and terrain.
    pub view: MapView,
    /// Which layers to draw.
    pub layers: MapLayers,
    /// Contours in feet, scale bar in miles.
    pub imperial: bool,
    /// The waypoints shown (their labels come before the map's).
    pub waypoints: Vec<Waypoint>,
    /// Atlas page frames shown.
    pub frames: Vec<PageFrame>,
    /// The route (the map's labels keep off it).
    pub route: Option<Arc<ViewLine>>,
    /// Label and coordinate options.
    pub opts: SceneOptions,
    /// The night palette (the worker tessellates the layer for the screen too).
    pub night: bool,
}

impl LayerJob {
    /// Builds the layer (on whichever thread calls this).
    pub fn build(&self) -> MapLayer {
        let waypoints: Vec<&Waypoint> = self.waypoints.iter().collect();
        let data = ViewData {
            route: self
                .route
                .as_deref()
                .map(|line| ViewLineRef { line, color: None }),
            waypoints: &waypoints,
            frames: &self.frames,
            imperial: self.imperial,
            map: (!self.view.data.is_empty()).then_some(&*self.view.data),
            terrain: self.view.terrain.as_deref(),
            layers: self.layers,
            ..ViewData::default()
        };
        debug_assert!(LayerKey::of(&self.spec, &data) == self.key);
        MapLayer::build_for_view(&self.spec, &data, &self.opts)
    }
}

/// A finished layer with what it was built from.
#[derive(Debug, Clone)]
pub struct BuiltLayer {
    /// The layer.
    pub layer: Arc<MapLayer>,
    /// The data it was built from (kept alive with it).
    pub view: MapView,
    /// The job's window and key.
    pub spec: ViewSpec,
    /// The job's key.
    pub key: LayerKey,
}

/// Shared between the UI and the layer worker.
#[derive(Debug, Default)]
struct LayerSlot {
    done: Option<BuiltLayer>,
    /// Asked to repaint when a layer is done (set by the first frame).
    repaint: Option<egui::Context>,
}

/// Builds the screen map's layer on a worker, so that no frame waits for one: a frame whose
/// layer does not serve its view draws the last one as a stand-in and asks for a new one
/// (newest request wins, as with the [`MapLoader`]).
#[derive(Debug, Clone)]
pub struct LayerBuilder {
    tx: Sender<LayerJob>,
    slot: Arc<Mutex<LayerSlot>>,
    /// False once the worker has ended (a panic in a build): frames then build their own.
    alive: Arc<std::sync::atomic::AtomicBool>,
    /// The window and key of the request being served.
    pending: Option<(ViewSpec, LayerKey)>,
}

impl LayerBuilder {
    /// Starts the worker; `None` when the thread cannot be started (layers are then built
    /// on the UI thread).
    pub fn start() -> Option<LayerBuilder> {
        let (tx, jobs) = mpsc::channel::<LayerJob>();
        let slot = Arc::new(Mutex::new(LayerSlot::default()));
        let shared = slot.clone();
        let alive = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = alive.clone();
        std::thread::Builder::new()
            .name("map-layer".into())
            .spawn(move || {
                /// Says the worker has ended, however it ends (unwinding included).
                struct Ended(Arc<std::sync::atomic::AtomicBool>);
                impl Drop for Ended {
                    fn drop(&mut self) {
                        self.0.store(false, std::sync::atomic::Ordering::Release);
                    }
                }
                let _ended = Ended(flag);
                while let Ok(mut job) = jobs.recv() {
                    while let Ok(newer) = jobs.try_recv() {
                        job = newer;
                    }
                    let layer = Arc::new(job.build());
                    // Its triangles too, so the first frame that shows it only moves them.
                    let ctx = shared.lock().ok().and_then(|s| s.repaint.clone());
                    if let Some(ctx) = &ctx {
                        crate::render::egui::keep_layer(
                            ctx,
                            layer.id(),
                            layer.under(),
                            crate::ui::map_view::SCREEN_PT_PER_MM,
                            job.night,
                        );
                    }
                    let Ok(mut s) = shared.lock() else { break };
                    s.done = Some(BuiltLayer {
                        layer,
                        view: job.view,
                        spec: job.spec,
                        key: job.key,
                    });
                    if let Some(ctx) = &s.repaint {
                        ctx.request_repaint();
                    }
                }
            })
            .ok()?;
        Some(LayerBuilder {
            tx,
            slot,
            alive,
            pending: None,
        })
    }

    /// Asks `ctx` to repaint whenever a layer is done.
    pub fn set_repaint(&self, ctx: &egui::Context) {
        if let Ok(mut s) = self.slot.lock()
            && s.repaint.is_none()
        {
            s.repaint = Some(ctx.clone());
        }
    }

    /// The newest finished layer, if any; clears the pending request it answers.
    pub fn take(&mut self) -> Option<BuiltLayer> {
        let done = self.slot.lock().ok()?.done.take()?;
        if self
            .pending
            .as_ref()
            .is_some_and(|(s, k)| *s == done.spec && *k == done.key)
        {
            self.pending = None;
        }
        Some(done)
    }

    /// True while a request is being served.
    pub fn pending(&self) -> bool {
        self.pending.is_some() && self.alive()
    }

    /// False once the worker has ended.
    pub fn alive(&self) -> bool {
        self.alive.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Asks for a layer for `spec` with `key` unless the one being built will serve it;
    /// `job` is only called when a request is sent. False when the worker has gone (the
    /// caller then builds layers itself).
    pub fn request(
        &mut self,
        spec: &ViewSpec,
        key: &LayerKey,
        job: impl FnOnce() -> LayerJob,
    ) -> bool {
        if !self.alive() {
            return false;
        }
        if self
            .pending
            .as_ref()
            .is_some_and(|(s, k)| MapLayer::would_serve(s, k, spec, key))
        {
            return true;
        }
        let sent = self.tx.send(job()).is_ok();
        self.pending = sent.then(|| (*spec, key.clone()));
        sent
    }
}
