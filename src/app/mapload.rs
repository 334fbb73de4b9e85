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

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};

use crate::core::map::MapData;
use crate::core::model::BBox;
use crate::scene::layers::terrain::TerrainSource as _;
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
