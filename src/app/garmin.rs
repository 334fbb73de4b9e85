//! Garmin units in the app: a watcher thread rescans the mount roots every few seconds (a
//! hung mount then stalls only it), the panel lists what it found, selected files go through
//! the background import, and routes are sent to a unit on a thread of their own.
//!
//! Not for finding units or writing files (see `devices`) nor for drawing (see `ui::garmin`).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::Duration;

use eframe::egui;

use crate::devices::{GarminDevice, find_garmin_devices, send_to_device};

use super::NavApp;
use super::importer::ImportCmd;

/// How often the mount roots are rescanned.
pub const SCAN_EVERY: Duration = Duration::from_secs(3);

/// What the Garmin panel asks of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum GarminCmd {
    /// Tick or untick a file on a unit for import.
    Select {
        /// The file.
        path: PathBuf,
        /// Ticked.
        on: bool,
    },
    /// Import the ticked files (changed files replace what they imported before).
    ImportSelected,
    /// Write the selected route or track to the unit mounted at this path.
    SendSelected {
        /// The unit's mount point.
        mount: PathBuf,
    },
    /// Scan the mount roots now.
    Rescan,
}

/// What the Garmin panel shows. Only the app changes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GarminView {
    /// Devices are being looked for (roots were given).
    pub watching: bool,
    /// Where they are looked for.
    pub roots: Vec<PathBuf>,
    /// Units found at the last scan.
    pub devices: Vec<GarminDevice>,
    /// Files ticked for import.
    pub selected: Vec<PathBuf>,
    /// A route is being written to a unit (its mount point).
    pub sending: Option<PathBuf>,
    /// The last send: the file written, or why not.
    pub last_send: Option<Result<PathBuf, String>>,
}

impl GarminView {
    /// True when `path` is ticked.
    pub fn is_selected(&self, path: &Path) -> bool {
        self.selected.iter().any(|p| p == path)
    }
}

/// The watcher thread and sends in flight.
#[derive(Debug, Default)]
pub(super) struct DeviceWatch {
    scans: Option<Receiver<Vec<GarminDevice>>>,
    wake: Option<Sender<()>>,
    sends: Vec<Receiver<Result<PathBuf, String>>>,
}

impl DeviceWatch {
    /// Scans `roots` at once and then every [`SCAN_EVERY`] (or when woken), sending the
    /// devices found whenever they change. The thread ends when the app drops its side.
    fn start(roots: Vec<PathBuf>) -> std::io::Result<DeviceWatch> {
        let (tx, rx) = mpsc::channel();
        let (wake_tx, wake_rx) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("garmin-watch".into())
            .spawn(move || {
                let mut last: Option<Vec<GarminDevice>> = None;
                loop {
                    let found = find_garmin_devices(&roots);
                    if last.as_ref() != Some(&found) {
                        if tx.send(found.clone()).is_err() {
                            return;
                        }
                        last = Some(found);
                    }
                    match wake_rx.recv_timeout(SCAN_EVERY) {
                        Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })?;
        Ok(DeviceWatch {
            scans: Some(rx),
            wake: Some(wake_tx),
            sends: Vec::new(),
        })
    }
}

impl NavApp {
    /// Watches `roots` for mounted Garmin units (see `devices::default_roots`).
    pub fn with_garmin_roots(mut self, roots: Vec<PathBuf>) -> NavApp {
        match DeviceWatch::start(roots.clone()) {
            Ok(w) => {
                self.devices = w;
                self.model.garmin.watching = true;
                self.model.garmin.roots = roots;
            }
            Err(e) => self.model.status = format!("cannot watch for Garmin units: {e}"),
        }
        self
    }

    /// Carries out a [`GarminCmd`].
    pub(super) fn apply_garmin(&mut self, cmd: GarminCmd) {
        let g = &mut self.model.garmin;
        match cmd {
            GarminCmd::Select { path, on } => {
                g.selected.retain(|p| *p != path);
                if on {
                    g.selected.push(path);
                }
            }
            GarminCmd::ImportSelected => {
                let paths = std::mem::take(&mut g.selected);
                self.apply_import(ImportCmd::Files {
                    paths,
                    replace: true,
                });
            }
            GarminCmd::SendSelected { mount } => self.send_selected(&mount),
            GarminCmd::Rescan => {
                if let Some(w) = &self.devices.wake {
                    let _ = w.send(());
                }
            }
        }
    }

    fn send_selected(&mut self, mount: &Path) {
        let m = &mut self.model;
        let Some(device) = m.garmin.devices.iter().find(|d| d.mount == mount).cloned() else {
            m.garmin.last_send = Some(Err(format!("{}: no Garmin unit there", mount.display())));
            return;
        };
        let Some(sel) = &m.selected else {
            m.garmin.last_send = Some(Err("select a route or track to send".into()));
            return;
        };
        let (id, name) = (sel.summary.id, sel.name());
        let data = match self.store.gpx_for_line(id, false) {
            Ok(d) => d,
            Err(e) => {
                self.model.garmin.last_send = Some(Err(format!("cannot read {name}: {e}")));
                return;
            }
        };
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("garmin-send".into())
            .spawn(move || {
                let r = send_to_device(&device, &name, &data).map_err(|e| e.to_string());
                let _ = tx.send(r);
            });
        match spawned {
            Ok(_) => {
                self.devices.sends.push(rx);
                self.model.garmin.sending = Some(mount.to_path_buf());
                self.model.garmin.last_send = None;
            }
            Err(e) => self.model.garmin.last_send = Some(Err(format!("cannot send: {e}"))),
        }
    }

    /// Takes new scans and finished sends; keeps the window ticking while a send runs.
    pub(super) fn poll_devices(&mut self, ctx: &egui::Context) {
        let mut latest = None;
        if let Some(rx) = &self.devices.scans {
            loop {
                match rx.try_recv() {
                    Ok(found) => latest = Some(found),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.devices.scans = None;
                        self.model.garmin.watching = false;
                        break;
                    }
                }
            }
        }
        if let Some(found) = latest {
            let g = &mut self.model.garmin;
            g.selected
                .retain(|p| found.iter().any(|d| d.files.iter().any(|f| f.path == *p)));
            g.devices = found;
        }
        let mut done = Vec::new();
        self.devices.sends.retain(|rx| match rx.try_recv() {
            Ok(r) => {
                done.push(r);
                false
            }
            Err(TryRecvError::Empty) => true,
            Err(TryRecvError::Disconnected) => {
                done.push(Err("the send stopped without a result".into()));
                false
            }
        });
        for r in done {
            self.model.status = match &r {
                Ok(p) => format!("sent to {}", p.display()),
                Err(e) => format!("send failed: {e}"),
            };
            self.model.garmin.last_send = Some(r);
            if self.devices.sends.is_empty() {
                self.model.garmin.sending = None;
            }
            // The new file shows in the unit's list at once.
            if let Some(w) = &self.devices.wake {
                let _ = w.send(());
            }
        }
        if !self.devices.sends.is_empty() {
            ctx.request_repaint_after(Duration::from_millis(100));
        } else if self.devices.scans.is_some() {
            ctx.request_repaint_after(SCAN_EVERY);
        }
    }
}
