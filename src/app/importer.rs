//! Importing GPX files without freezing the window: a worker thread with its own [`Store`]
//! connection to the same database file reads the files, one transaction each, and reports
//! progress and per-file results over a channel; the app folds them into the [`ImportJob`]
//! the panels show, and reloads its lines and waypoints when the job ends.
//!
//! An in-memory store cannot be shared with a second connection, so there the same steps run
//! on the UI thread (tests, embedding). Cancelling stops before the next file: a file is
//! never half stored.
//!
//! Not for reading GPX (see `import`) nor for SQL (see `store`); not for drawing (see
//! `ui::import_job`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Duration;

use eframe::egui;

use crate::core::model::{LineId, LineKind, StoredWaypoint};
use crate::core::nearest::WaypointIndex;
use crate::gps::Fix;
use crate::import::Counts;
use crate::import::osm::MapCounts;
use crate::store::{
    FileStatus, ImportOptions, LineSummary, MapFileInfo, MapImportOptions, MapImportReport, Store,
};

use super::book::AtlasSettings;
use super::derive::{DeriveInput, RouteNav};
use super::{LineGeom, NavApp, line_name, load};

/// At most this many progress events are handled per frame.
const MAX_EVENTS_PER_FRAME: usize = 500;
/// How often the window redraws while a job runs.
const REPAINT_EVERY: Duration = Duration::from_millis(50);

/// What the panels ask of the import.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportCmd {
    /// Import these files and folders (every `.gpx` below a folder), in the background.
    /// With `replace`, a file changed since it was imported replaces its old rows (device
    /// files such as `Current.gpx` change all the time); without, it is reported as failed.
    Files {
        /// Files and folders.
        paths: Vec<PathBuf>,
        /// Replace changed files in place.
        replace: bool,
    },
    /// Stop after the file being imported.
    Cancel,
    /// Close the finished job's result list.
    Dismiss,
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileOutcome {
    /// Stored; what it held.
    Imported(Counts),
    /// Already stored with the same content; what it holds.
    Unchanged(Counts),
    /// Not stored: `path:line:col: message` where the position is known.
    Failed(String),
    /// OpenStreetMap data stored; what it held.
    MapImported(MapCounts),
    /// OpenStreetMap data already stored with the same content.
    MapUnchanged(MapCounts),
    /// An elevation model stored (or already stored): what it is.
    Terrain(String),
}

/// One file's result.
#[derive(Debug, Clone, PartialEq)]
pub struct FileResult {
    /// The file.
    pub path: PathBuf,
    /// Imported, unchanged or failed.
    pub outcome: FileOutcome,
}

impl FileResult {
    /// True when the file was not stored.
    pub fn failed(&self) -> bool {
        matches!(self.outcome, FileOutcome::Failed(_))
    }

    /// One line for the result list: what the file held, or the error in full.
    pub fn describe(&self) -> String {
        match &self.outcome {
            FileOutcome::Imported(c) => format!("{}: imported {}", self.path.display(), counts(c)),
            FileOutcome::Unchanged(c) => {
                format!(
                    "{}: already imported, unchanged ({})",
                    self.path.display(),
                    counts(c)
                )
            }
            FileOutcome::Failed(e) => e.clone(),
            FileOutcome::MapImported(c) => {
                format!(
                    "{}: imported map data: {}",
                    self.path.display(),
                    map_counts(c)
                )
            }
            FileOutcome::MapUnchanged(c) => format!(
                "{}: map data already imported, unchanged ({})",
                self.path.display(),
                map_counts(c)
            ),
            FileOutcome::Terrain(what) => format!("{}: {what}", self.path.display()),
        }
    }
}

/// `1,234 roads, 56 POIs, 7 places`.
fn map_counts(c: &MapCounts) -> String {
    let t = crate::core::units::thousands;
    format!(
        "{} roads, {} water lines, {} areas, {} places, {} POIs",
        t(c.roads),
        t(c.water_lines),
        t(c.areas),
        t(c.places),
        t(c.pois)
    )
}

/// Whether a path is an OpenStreetMap extract (`.osm.pbf`, `.pbf`), imported as map data.
pub fn is_map_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("pbf"))
}

/// True for the elevation model files the import takes besides GPX (`.hgt`, `.hgt.zip`,
/// `.tif`, `.tiff`), by name.
pub fn is_dem_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [".hgt", ".hgt.zip", ".tif", ".tiff"]
        .iter()
        .any(|x| name.ends_with(x))
}

/// An elevation model file imported on the job's store: the outcome the result list shows.
fn import_dem(store: &mut Store, path: &Path) -> FileOutcome {
    let r = store.import_dem_file(path);
    match (r.status, r.error, r.info) {
        (_, Some(e), _) => FileOutcome::Failed(e),
        (status, None, Some(i)) => FileOutcome::Terrain(format!(
            "{} elevation model {} ({} × {} nodes, {:.0} m cells)",
            if status == FileStatus::Unchanged {
                "already imported, unchanged:"
            } else {
                "imported"
            },
            i.name,
            i.geom.width,
            i.geom.height,
            i.cell_m
        )),
        (_, None, None) => FileOutcome::Failed(format!("{}: not imported", path.display())),
    }
}

/// `2 tracks (1,234 points), 1 route, 14 waypoints`, leaving out what is absent.
fn counts(c: &Counts) -> String {
    let plural = |n: u64, what: &str| {
        if n == 1 {
            format!("1 {what}")
        } else {
            format!("{n} {what}s")
        }
    };
    let mut parts = Vec::new();
    if c.tracks > 0 {
        parts.push(format!(
            "{} ({})",
            plural(c.tracks, "track"),
            plural(c.track_points, "point")
        ));
    }
    if c.routes > 0 {
        parts.push(format!(
            "{} ({})",
            plural(c.routes, "route"),
            plural(c.route_points, "route point")
        ));
    }
    if c.waypoints > 0 {
        parts.push(plural(c.waypoints, "waypoint"));
    }
    if parts.is_empty() {
        "nothing (an empty GPX file)".to_string()
    } else {
        parts.join(", ")
    }
}

/// The file being imported.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentFile {
    /// The file.
    pub path: PathBuf,
    /// Its size, bytes.
    pub size_bytes: u64,
    /// Points stored so far (updated every 16,384 points).
    pub points: u64,
    /// Share of a map file read so far, 0..=1 (`None` for GPX).
    pub map_fraction: Option<f32>,
}

/// An import as the panels see it: progress while it runs, then the per-file results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportJob {
    /// Files are still being imported.
    pub running: bool,
    /// On a worker thread (false: an in-memory database, imported on the UI thread).
    pub background: bool,
    /// Cancel was asked; the job stops after the current file.
    pub cancelling: bool,
    /// The job was cancelled; `files_total - files_done` files were not imported.
    pub cancelled: bool,
    /// Files found (grows when more are queued).
    pub files_total: usize,
    /// Files finished (imported, unchanged or failed).
    pub files_done: usize,
    /// Bytes of all files found.
    pub bytes_total: u64,
    /// Bytes of the files finished.
    pub bytes_done: u64,
    /// The file being read.
    pub current: Option<CurrentFile>,
    /// One per finished file, in order.
    pub results: Vec<FileResult>,
    /// Paths given that held no `.gpx` file.
    pub empty_folders: Vec<PathBuf>,
}

impl ImportJob {
    /// Share done, 0..=1: by bytes of finished files (by count when sizes are unknown).
    pub fn fraction(&self) -> f32 {
        if !self.running && !self.cancelled {
            return 1.0;
        }
        let current = self.current.as_ref().map_or(0.0, |c| {
            f64::from(c.map_fraction.unwrap_or(0.0)) * c.size_bytes as f64
        });
        let f = if self.bytes_total > 0 {
            (self.bytes_done as f64 + current) / self.bytes_total as f64
        } else if self.files_total > 0 {
            self.files_done as f64 / self.files_total as f64
        } else {
            0.0
        };
        f.clamp(0.0, 1.0) as f32
    }

    /// Files that failed.
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| r.failed()).count()
    }

    /// One line: `3 of 10 files` while running, a summary after.
    pub fn summary(&self) -> String {
        let failed = self.failed();
        let ok = self.results.len() - failed;
        if self.running {
            let cancel = if self.cancelling { " (cancelling)" } else { "" };
            return format!(
                "importing file {} of {}{cancel}",
                (self.files_done + 1).min(self.files_total.max(1)),
                self.files_total
            );
        }
        let mut s = format!("{ok} file(s) imported, {failed} failed");
        if self.cancelled {
            let left = self.files_total.saturating_sub(self.files_done);
            s.push_str(&format!("; cancelled, {left} not imported"));
        }
        s
    }

    /// Applies one progress event.
    pub fn apply(&mut self, ev: Progress) {
        match ev {
            Progress::Found {
                files,
                bytes,
                empty,
            } => {
                self.files_total += files;
                self.bytes_total += bytes;
                self.empty_folders.extend(empty);
            }
            Progress::Started { path, size_bytes } => {
                self.current = Some(CurrentFile {
                    map_fraction: is_map_file(&path).then_some(0.0),
                    path,
                    size_bytes,
                    points: 0,
                });
            }
            Progress::Points(n) => {
                if let Some(c) = &mut self.current {
                    c.points = n;
                }
            }
            Progress::MapFraction(f) => {
                if let Some(c) = &mut self.current {
                    c.map_fraction = Some(f);
                }
            }
            Progress::Done(r) => {
                let size = self
                    .current
                    .take()
                    .filter(|c| c.path == r.path)
                    .map_or(0, |c| c.size_bytes);
                self.bytes_done += size;
                self.files_done += 1;
                self.results.push(r);
            }
            Progress::Finished { cancelled } => {
                self.current = None;
                self.running = false;
                self.cancelled |= cancelled;
                self.cancelling = false;
            }
        }
    }
}

/// One step of a job, sent from the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Files found under the paths given.
    Found {
        /// How many `.gpx` files.
        files: usize,
        /// Their total size, bytes.
        bytes: u64,
        /// Paths that held none.
        empty: Vec<PathBuf>,
    },
    /// A file is being read.
    Started {
        /// The file.
        path: PathBuf,
        /// Its size, bytes.
        size_bytes: u64,
    },
    /// Points stored so far in the current file.
    Points(u64),
    /// Share of the current map file read, 0..=1.
    MapFraction(f32),
    /// A file is finished.
    Done(FileResult),
    /// The job ended (every file done, or cancelled).
    Finished {
        /// Stopped early.
        cancelled: bool,
    },
}

/// Imports everything below `paths` into `store`, one transaction per file, telling `emit`
/// each step except the last ([`Progress::Finished`] is the caller's, after reloading);
/// stops early when `cancel` is set between files or `emit` returns false.
///
/// Returns whether it was cancelled and whether any file was stored.
pub fn run_import(
    store: &mut Store,
    paths: &[PathBuf],
    opts: ImportOptions,
    cancel: &AtomicBool,
    emit: &mut dyn FnMut(Progress) -> bool,
) -> Ran {
    let mut ran = Ran::default();
    let (files, bytes, empty) = expand(paths);
    if !emit(Progress::Found {
        files: files.len(),
        bytes,
        empty,
    }) {
        return ran;
    }
    for (path, size_bytes) in files {
        if cancel.load(Ordering::Relaxed) {
            ran.cancelled = true;
            return ran;
        }
        if !emit(Progress::Started {
            path: path.clone(),
            size_bytes,
        }) {
            return ran;
        }
        if is_dem_file(&path) {
            let outcome = import_dem(store, &path);
            ran.stored |= matches!(outcome, FileOutcome::Terrain(_));
            if !emit(Progress::Done(FileResult { path, outcome })) {
                return ran;
            }
            continue;
        }
        let mut alive = true;
        let outcome = if is_map_file(&path) {
            let mut last = 0.0f32;
            let report = store.import_map_file(&path, MapImportOptions::default(), &mut |p| {
                let f = if p.total > 0 {
                    p.done as f32 / p.total as f32
                } else {
                    0.0
                };
                // A few hundred events per file at most.
                if alive && f - last >= 0.005 {
                    last = f;
                    alive = emit(Progress::MapFraction(f));
                }
            });
            map_outcome(&path, report)
        } else {
            let report = store.import_file(&path, opts, &mut |n| {
                if alive {
                    alive = emit(Progress::Points(n));
                }
            });
            match (report.status, report.error) {
                (FileStatus::Imported, None) => FileOutcome::Imported(report.counts),
                (FileStatus::Unchanged, None) => FileOutcome::Unchanged(report.counts),
                (_, Some(e)) => FileOutcome::Failed(e),
                (FileStatus::Failed, None) => {
                    FileOutcome::Failed(format!("{}: not imported", path.display()))
                }
            }
        };
        ran.stored |= matches!(
            outcome,
            FileOutcome::Imported(_) | FileOutcome::MapImported(_)
        );
        if !emit(Progress::Done(FileResult { path, outcome })) {
            return ran;
        }
    }
    ran
}

fn map_outcome(path: &Path, r: MapImportReport) -> FileOutcome {
    match (r.status, r.error) {
        (FileStatus::Imported, None) => FileOutcome::MapImported(r.counts),
        (FileStatus::Unchanged, None) => FileOutcome::MapUnchanged(r.counts),
        (_, Some(e)) => FileOutcome::Failed(e),
        (FileStatus::Failed, None) => {
            FileOutcome::Failed(format!("{}: not imported", path.display()))
        }
    }
}

/// How a [`run_import`] went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ran {
    /// Stopped by the cancel flag.
    pub cancelled: bool,
    /// At least one file was stored.
    pub stored: bool,
}

/// What the app shows after an import, read and derived where the import ran (off the UI
/// thread: following a 300,000-point line takes seconds to derive in a debug build).
#[derive(Debug)]
struct Reload {
    lines: Vec<LineSummary>,
    waypoints: Vec<StoredWaypoint>,
    index: WaypointIndex,
    geoms: Vec<LineGeom>,
    map_files: Vec<MapFileInfo>,
    status: String,
    /// The first new track or route with points, else the line followed before (its
    /// waypoint passes change with the new waypoints): whether it is new, its summary, and
    /// its navigation data or why it cannot be followed.
    select: Option<(bool, LineSummary, Result<RouteNav, String>)>,
}

impl Reload {
    /// Reads the store after an import: `before` are the lines before the job, `current` the
    /// line followed.
    fn read(store: &Store, before: &[LineId], current: Option<LineId>, how: &Follow) -> Reload {
        let (lines, waypoints, geoms, status) = load(store);
        let index = WaypointIndex::from_stored(&waypoints);
        let new_line = lines
            .iter()
            .find(|l| !before.contains(&l.id) && l.kind != LineKind::Drive && l.points > 0)
            .map(|l| l.id);
        let select = new_line.or(current).and_then(|id| {
            let summary = lines.iter().find(|l| l.id == id)?.clone();
            let derived = match geoms.iter().find(|g| g.id == id) {
                Some(g) => super::derive::derive(DeriveInput {
                    id,
                    path: g.line.points().to_vec(),
                    elevations: g.elevations.clone(),
                    waypoints: waypoints.clone(),
                    atlas: how.atlas,
                    fuel: how.fuel,
                    model: super::derive::model_elevations(store, g.line.points(), &g.elevations),
                }),
                None => Err(format!("cannot read {}", line_name(&summary))),
            };
            Some((new_line.is_some(), summary, derived))
        });
        Reload {
            lines,
            waypoints,
            index,
            geoms,
            map_files: store.map_files().unwrap_or_default(),
            status,
            select,
        }
    }
}

/// How the app follows a line (so the worker derives it the same way).
#[derive(Debug, Clone, Copy)]
struct Follow {
    atlas: AtlasSettings,
    fuel: (f64, f64),
}

/// What crosses from the worker to the app.
#[derive(Debug)]
enum Msg {
    Progress(Progress),
    Reloaded(Box<Reload>),
}

/// The `.gpx` files below `paths` with their sizes, their total size, and the paths that
/// held none. A path that does not exist is kept, so its import reports why.
fn expand(paths: &[PathBuf]) -> (Vec<(PathBuf, u64)>, u64, Vec<PathBuf>) {
    let mut files = Vec::new();
    let mut empty = Vec::new();
    for p in paths {
        let before = files.len();
        gpx_files(p, &mut files);
        if files.len() == before {
            empty.push(p.clone());
        }
    }
    let sized: Vec<(PathBuf, u64)> = files
        .into_iter()
        .map(|f| {
            let size = std::fs::metadata(&f).map_or(0, |m| m.len());
            (f, size)
        })
        .collect();
    let bytes = sized.iter().map(|(_, s)| s).sum();
    (sized, bytes, empty)
}

/// `.gpx` files to import for `path`: the file itself, or a folder's `.gpx` files (sorted,
/// recursively; hidden entries are skipped).
pub fn gpx_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let mut children: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for c in children {
            let hidden = c
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if c.is_dir() || crate::import::is_gpx_name(&c) {
                gpx_files(&c, out);
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
}

/// A running worker: its messages and its cancel flag. Dropping it asks the worker to stop
/// after the current file without waiting for it (the window must close at once; the open
/// transaction is then rolled back or committed whole).
#[derive(Debug)]
struct Worker {
    rx: Receiver<Msg>,
    cancel: Arc<AtomicBool>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// What a worker is asked to do.
struct Task {
    db: PathBuf,
    paths: Vec<PathBuf>,
    opts: ImportOptions,
    before: Vec<LineId>,
    current: Option<LineId>,
    follow: Follow,
}

impl Worker {
    fn spawn(task: Task) -> std::io::Result<Worker> {
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        std::thread::Builder::new()
            .name("import".into())
            .spawn(move || {
                let mut emit = |p: Progress| tx.send(Msg::Progress(p)).is_ok();
                let mut store = match Store::open(&task.db) {
                    Ok(s) => s,
                    Err(e) => {
                        fail_all(&task, &e.to_string(), &mut emit);
                        return;
                    }
                };
                let ran = run_import(&mut store, &task.paths, task.opts, &flag, &mut emit);
                if ran.stored {
                    let reload = Reload::read(&store, &task.before, task.current, &task.follow);
                    if tx.send(Msg::Reloaded(Box::new(reload))).is_err() {
                        return;
                    }
                }
                emit(Progress::Finished {
                    cancelled: ran.cancelled,
                });
            })?;
        Ok(Worker { rx, cancel })
    }
}

/// Reports every file of `task` failed because the database cannot be opened.
fn fail_all(task: &Task, why: &str, emit: &mut dyn FnMut(Progress) -> bool) {
    let (files, bytes, empty) = expand(&task.paths);
    emit(Progress::Found {
        files: files.len(),
        bytes,
        empty,
    });
    for (path, _) in files {
        let msg = format!(
            "{}: cannot open the database {}: {why}",
            path.display(),
            task.db.display()
        );
        emit(Progress::Done(FileResult {
            path,
            outcome: FileOutcome::Failed(msg),
        }));
    }
    emit(Progress::Finished { cancelled: false });
}

/// The app's side of importing: the worker, requests waiting for it, and what to compare
/// against when it ends.
#[derive(Debug, Default)]
pub(super) struct Imports {
    worker: Option<Worker>,
    queue: Vec<(Vec<PathBuf>, ImportOptions)>,
    /// Lines before the job, so the first new one can be selected after.
    before: Vec<LineId>,
    /// Paths of the job, for the status line.
    roots: Vec<PathBuf>,
    /// What the reload had to say (some lines not drawn for context).
    load_status: String,
    /// Fixes held back from the drive recorder while a worker writes: a drive commit would
    /// wait for the worker's file transaction and freeze the window.
    held_fixes: Vec<Fix>,
}

impl Imports {
    /// True while a worker writes to the database.
    pub(super) fn busy(&self) -> bool {
        self.worker.is_some()
    }

    /// Holds a fix for the recorder until the job ends.
    pub(super) fn hold_fix(&mut self, fix: Fix) {
        self.held_fixes.push(fix);
    }
}

impl NavApp {
    /// Carries out an [`ImportCmd`].
    pub(super) fn apply_import(&mut self, cmd: ImportCmd) {
        match cmd {
            ImportCmd::Files { paths, replace } => {
                if paths.is_empty() {
                    return;
                }
                let opts = ImportOptions { replace };
                if self.imports.busy() {
                    self.imports.queue.push((paths, opts));
                } else {
                    self.start_import(paths, opts);
                }
            }
            ImportCmd::Cancel => {
                if let Some(w) = &self.imports.worker {
                    w.cancel.store(true, Ordering::Relaxed);
                    self.imports.queue.clear();
                    if let Some(job) = &mut self.model.import_job {
                        job.cancelling = true;
                    }
                }
            }
            ImportCmd::Dismiss => {
                if self.model.import_job.as_ref().is_some_and(|j| !j.running) {
                    self.model.import_job = None;
                }
            }
        }
    }

    /// Starts a job (or continues the shown one when more was queued while it ran).
    fn start_import(&mut self, paths: Vec<PathBuf>, opts: ImportOptions) {
        let continuing = self.model.import_job.as_ref().is_some_and(|j| j.running);
        if !continuing {
            self.imports.before = self.model.lines.iter().map(|l| l.id).collect();
            self.imports.roots.clear();
            self.model.import_job = Some(ImportJob::default());
        }
        self.imports.roots.extend(paths.iter().cloned());
        let db = self.store.path().map(Path::to_path_buf);
        if let Some(job) = &mut self.model.import_job {
            job.running = true;
            job.background = db.is_some();
        }
        let current = self.model.selected.as_ref().map(|s| s.summary.id);
        let follow = Follow {
            atlas: self.model.prefs.atlas,
            fuel: (self.model.prefs.fuel_range_m, self.model.prefs.fuel_reserve),
        };
        if let Some(db) = db {
            let task = Task {
                db,
                paths: paths.clone(),
                opts,
                before: self.imports.before.clone(),
                current,
                follow,
            };
            match Worker::spawn(task) {
                Ok(w) => {
                    self.imports.worker = Some(w);
                    return;
                }
                Err(e) => {
                    self.model.status =
                        format!("cannot start the import thread ({e}); importing here");
                    if let Some(job) = &mut self.model.import_job {
                        job.background = false;
                    }
                }
            }
        }
        // An in-memory database (or no thread): the same steps, here.
        let mut events = Vec::new();
        let ran = run_import(
            &mut self.store,
            &paths,
            opts,
            &AtomicBool::new(false),
            &mut |p| {
                events.push(p);
                true
            },
        );
        for ev in events {
            self.on_progress(ev);
        }
        if ran.stored {
            let reload = Reload::read(&self.store, &self.imports.before, current, &follow);
            self.on_reload(reload);
        }
        self.on_progress(Progress::Finished {
            cancelled: ran.cancelled,
        });
    }

    /// Takes the worker's messages; keeps the window redrawing while it runs.
    pub(super) fn poll_import(&mut self, ctx: &egui::Context) {
        let mut msgs = Vec::new();
        let mut gone = false;
        if let Some(w) = &self.imports.worker {
            while msgs.len() < MAX_EVENTS_PER_FRAME {
                match w.rx.try_recv() {
                    Ok(m) => msgs.push(m),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        gone = true;
                        break;
                    }
                }
            }
        }
        let finished = msgs
            .iter()
            .any(|m| matches!(m, Msg::Progress(Progress::Finished { .. })));
        for m in msgs {
            match m {
                Msg::Progress(p) => self.on_progress(p),
                Msg::Reloaded(r) => self.on_reload(*r),
            }
        }
        if gone && !finished && self.imports.worker.is_some() {
            // The worker died without a word (it never should): end the job all the same.
            self.on_progress(Progress::Finished { cancelled: true });
        }
        if self.imports.worker.is_some() {
            ctx.request_repaint_after(REPAINT_EVERY);
        }
    }

    fn on_progress(&mut self, ev: Progress) {
        let finished = match ev {
            Progress::Finished { cancelled } => Some(cancelled),
            _ => None,
        };
        if let Some(job) = &mut self.model.import_job {
            job.apply(ev);
            if finished == Some(false) && !self.imports.queue.is_empty() {
                // More was asked for meanwhile: the same job goes on.
                job.running = true;
            }
        }
        let Some(cancelled) = finished else { return };
        self.imports.worker = None;
        if !cancelled && !self.imports.queue.is_empty() {
            let (paths, opts) = self.imports.queue.remove(0);
            self.start_import(paths, opts);
            return;
        }
        self.imports.queue.clear();
        self.finish_import();
    }

    /// Puts what the worker read in place: lines, waypoints, the first new line followed
    /// and fitted (else the line followed, re-derived against the new waypoints).
    fn on_reload(&mut self, r: Reload) {
        let m = &mut self.model;
        m.by_id = r
            .waypoints
            .iter()
            .enumerate()
            .map(|(i, w)| (w.id, i))
            .collect();
        m.index = r.index;
        m.lines = r.lines;
        m.waypoints = r.waypoints;
        m.geoms = r.geoms;
        m.map_files = r.map_files;
        // New map data: load the view's box again.
        m.map_generation += 1;
        self.imports.load_status = r.status;
        let followed = self.model.selected.as_ref().map(|s| s.summary.id);
        match r.select {
            // The user chose another line while the files were read: keep it.
            Some((false, summary, _)) if followed != Some(summary.id) => {}
            Some((is_new, summary, nav)) => {
                self.install_nav(summary, nav);
                if is_new {
                    self.fit_route();
                }
            }
            None => {}
        }
    }

    /// Says how the job went and gives the recorder the fixes held back.
    fn finish_import(&mut self) {
        let load_status = std::mem::take(&mut self.imports.load_status);
        let Some(job) = self.model.import_job.clone() else {
            return;
        };
        let ok = job.results.len() - job.failed();
        let last_error = job.results.iter().rev().find_map(|r| match &r.outcome {
            FileOutcome::Failed(e) => Some(e.clone()),
            _ => None,
        });
        let from = match self.imports.roots.as_slice() {
            [one] => one.display().to_string(),
            many => format!("{} locations", many.len()),
        };
        self.model.status = match (&last_error, job.files_total) {
            (_, 0) => format!("no GPX files in {from}"),
            (None, _) if job.cancelled => {
                format!("import cancelled after {ok} file(s) from {from}")
            }
            (None, _) => format!("imported {ok} file(s) from {from}"),
            (Some(e), _) => format!("imported {ok}, failed {}: {e}", job.failed()),
        };
        if !load_status.is_empty() && last_error.is_none() {
            self.model.status = load_status;
        }
        let held = std::mem::take(&mut self.imports.held_fixes);
        if let Some(r) = &mut self.recorder {
            for fix in &held {
                if let Err(e) = r.push(fix) {
                    self.model.status = format!("recording: {e}");
                }
            }
        }
        self.refresh();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(path: &str, outcome: FileOutcome) -> Progress {
        Progress::Done(FileResult {
            path: PathBuf::from(path),
            outcome,
        })
    }

    #[test]
    fn a_job_folds_its_events_into_progress_and_results() {
        let mut job = ImportJob {
            running: true,
            ..ImportJob::default()
        };
        job.apply(Progress::Found {
            files: 2,
            bytes: 300,
            empty: vec![],
        });
        job.apply(Progress::Started {
            path: "a.gpx".into(),
            size_bytes: 100,
        });
        job.apply(Progress::Points(16_384));
        assert_eq!(job.current.as_ref().map(|c| c.points), Some(16_384));
        assert_eq!(job.summary(), "importing file 1 of 2");
        job.apply(done("a.gpx", FileOutcome::Imported(Counts::default())));
        assert!((job.fraction() - 1.0 / 3.0).abs() < 1e-6);
        job.apply(Progress::Started {
            path: "b.gpx".into(),
            size_bytes: 200,
        });
        job.apply(done("b.gpx", FileOutcome::Failed("b.gpx:3:7: bad".into())));
        job.apply(Progress::Finished { cancelled: false });
        assert!(!job.running);
        assert_eq!(job.failed(), 1);
        assert_eq!(job.fraction(), 1.0);
        assert_eq!(job.summary(), "1 file(s) imported, 1 failed");
        assert_eq!(job.results[1].describe(), "b.gpx:3:7: bad");
    }

    #[test]
    fn a_cancelled_job_says_what_was_left() {
        let mut job = ImportJob {
            running: true,
            ..ImportJob::default()
        };
        job.apply(Progress::Found {
            files: 3,
            bytes: 0,
            empty: vec![],
        });
        job.apply(done("a.gpx", FileOutcome::Unchanged(Counts::default())));
        job.apply(Progress::Finished { cancelled: true });
        assert_eq!(
            job.summary(),
            "1 file(s) imported, 0 failed; cancelled, 2 not imported"
        );
    }

    #[test]
    fn counts_read_as_a_sentence() {
        let c = Counts {
            tracks: 2,
            track_points: 1,
            routes: 1,
            route_points: 5,
            waypoints: 14,
            ..Counts::default()
        };
        assert_eq!(
            counts(&c),
            "2 tracks (1 point), 1 route (5 route points), 14 waypoints"
        );
        assert_eq!(counts(&Counts::default()), "nothing (an empty GPX file)");
    }

    #[test]
    fn cancel_stops_before_the_next_file() {
        let dir = std::env::temp_dir().join(format!("ta-cancel-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let mut paths = Vec::new();
        for i in 0..3 {
            let p = dir.join(format!("{i}.gpx"));
            let body = format!(
                r#"<gpx version="1.1" creator="t"><wpt lat="1" lon="{i}"><name>w{i}</name></wpt></gpx>"#
            );
            assert!(std::fs::write(&p, body).is_ok());
            paths.push(p);
        }
        let Ok(mut store) = Store::open_in_memory() else {
            panic!("in-memory store")
        };
        let cancel = AtomicBool::new(false);
        let mut seen = Vec::new();
        let ran = run_import(
            &mut store,
            &paths,
            ImportOptions::default(),
            &cancel,
            &mut |p| {
                if matches!(p, Progress::Done(_)) {
                    cancel.store(true, Ordering::Relaxed);
                }
                seen.push(p);
                true
            },
        );
        let _ = std::fs::remove_dir_all(&dir);
        let dones = seen
            .iter()
            .filter(|p| matches!(p, Progress::Done(_)))
            .count();
        assert_eq!(dones, 1, "{seen:?}");
        assert_eq!(
            ran,
            Ran {
                cancelled: true,
                stored: true
            }
        );
    }
}
