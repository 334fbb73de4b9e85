//! The in-app file dialog's state: which folder is shown, what it holds, what is selected,
//! and what the dialog is for. The app lists folders and turns a confirmed choice into the
//! command for its [`FilePurpose`]; the window itself (`ui::file_dialog`) only draws this
//! and pushes [`BrowseCmd`]s.
//!
//! Drawn in egui rather than asking the desktop: `rfd` needs an XDG portal (absent on a bare
//! X11 laptop) and egui-file-dialog pins another egui.
//!
//! To open it from elsewhere, push `Command::Browse(BrowseCmd::Open(purpose))`; to receive
//! the choice, handle your purpose in `NavApp::on_file_chosen` (and, for a save dialog, its
//! suggested name in `suggested_name`).
//!
//! Not for drawing (see `ui::file_dialog`) nor for importing or writing the chosen files.

use std::path::{Path, PathBuf};

use crate::devices::sanitize_file_stem;
use crate::export::write_gpx_file;

use super::NavApp;
use super::importer::ImportCmd;

/// What a file dialog is for: decides its mode, filter, title and what its choice becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilePurpose {
    /// Import GPX files or folders (several at once).
    ImportGpx,
    /// Import OpenStreetMap extracts (`.osm.pbf`, several at once).
    ImportMap,
    /// Import elevation models: SRTM `.hgt`/`.hgt.zip`, GeoTIFF DEMs (several at once).
    ImportTerrain,
    /// Open a basemap file (one file).
    OpenBasemap,
    /// Save the selected route or track as GPX.
    SaveGpx,
    /// Save a PDF (the atlas print dialog).
    SavePdf,
}

/// How a dialog picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickMode {
    /// Existing files; several when `multiple`; the shown folder itself when `folders`.
    Open {
        /// Several files may be selected.
        multiple: bool,
        /// "Choose this folder" is offered.
        folders: bool,
    },
    /// A folder (only folders are listed).
    Folder,
    /// A new or existing file named in a file-name field ("save as").
    Save,
}

impl FilePurpose {
    /// How this dialog picks.
    pub const fn mode(self) -> PickMode {
        match self {
            FilePurpose::ImportGpx => PickMode::Open {
                multiple: true,
                folders: true,
            },
            FilePurpose::OpenBasemap => PickMode::Open {
                multiple: false,
                folders: false,
            },
            FilePurpose::ImportTerrain | FilePurpose::ImportMap => PickMode::Open {
                multiple: true,
                folders: false,
            },
            FilePurpose::SaveGpx | FilePurpose::SavePdf => PickMode::Save,
        }
    }

    /// File extensions listed (lower case, no dot); the first is added to a saved name
    /// that has none.
    pub const fn extensions(self) -> &'static [&'static str] {
        match self {
            FilePurpose::ImportGpx | FilePurpose::SaveGpx => &["gpx"],
            FilePurpose::OpenBasemap => &["mbtiles", "pmtiles"],
            FilePurpose::ImportMap => &["pbf"],
            FilePurpose::ImportTerrain => &["hgt", "zip", "tif", "tiff"],
            FilePurpose::SavePdf => &["pdf"],
        }
    }

    /// The window title.
    pub const fn title(self) -> &'static str {
        match self {
            FilePurpose::ImportGpx => "Import GPX",
            FilePurpose::OpenBasemap => "Open basemap",
            FilePurpose::ImportMap => "Import map data (OpenStreetMap .osm.pbf)",
            FilePurpose::ImportTerrain => "Import terrain",
            FilePurpose::SaveGpx => "Save GPX",
            FilePurpose::SavePdf => "Save PDF",
        }
    }

    /// The confirm button's label.
    pub const fn confirm_label(self) -> &'static str {
        match self {
            FilePurpose::ImportGpx | FilePurpose::ImportMap | FilePurpose::ImportTerrain => {
                "Import"
            }
            FilePurpose::OpenBasemap => "Open",
            FilePurpose::SaveGpx | FilePurpose::SavePdf => "Save",
        }
    }
}

/// One entry of the shown folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The file name.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// A folder (or a link to one).
    pub is_dir: bool,
    /// Size, bytes (0 for folders).
    pub size_bytes: u64,
}

/// An open file dialog, as the window draws it. Only the app changes it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDialog {
    /// What it is for.
    pub purpose: FilePurpose,
    /// The folder shown.
    pub dir: PathBuf,
    /// Its folders (first) and files of the purpose's extensions, by name.
    pub entries: Vec<DirEntry>,
    /// Names starting with `.` are listed.
    pub show_hidden: bool,
    /// Files selected (open mode).
    pub selected: Vec<PathBuf>,
    /// The typed path field (a folder to go to, or a file to pick).
    pub location: String,
    /// The file name field (save mode).
    pub file_name: String,
    /// The last problem (unreadable folder, nothing selected, bad name).
    pub error: Option<String>,
}

impl FileDialog {
    /// How it picks.
    pub fn mode(&self) -> PickMode {
        self.purpose.mode()
    }

    /// True when `path` is selected.
    pub fn is_selected(&self, path: &Path) -> bool {
        self.selected.iter().any(|p| p == path)
    }

    /// The file a save would write (the name field in the shown folder, with the purpose's
    /// extension added when it has none); `None` when the name is empty.
    pub fn save_path(&self) -> Option<PathBuf> {
        let name = self.file_name.trim();
        if name.is_empty() {
            return None;
        }
        let mut name = name.to_string();
        let ext_ok = Path::new(&name).extension().is_some_and(|x| {
            self.purpose
                .extensions()
                .iter()
                .any(|e| x.eq_ignore_ascii_case(e))
        });
        if !ext_ok && let Some(ext) = self.purpose.extensions().first() {
            name = format!("{name}.{ext}");
        }
        Some(self.dir.join(name))
    }

    /// True when saving would replace a listed file.
    pub fn save_replaces(&self) -> bool {
        self.save_path()
            .is_some_and(|p| self.entries.iter().any(|e| !e.is_dir && e.path == p))
    }
}

/// What the file dialog window asks of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum BrowseCmd {
    /// Open a dialog for this purpose in the last folder used.
    Open(FilePurpose),
    /// Show this folder.
    Enter(PathBuf),
    /// Show the parent folder.
    Parent,
    /// Show the home folder.
    Home,
    /// Select a file (save mode: take its name); `add` toggles it in a multiple selection.
    Select {
        /// The file.
        path: PathBuf,
        /// Add to (or remove from) the selection instead of replacing it.
        add: bool,
    },
    /// Select every listed file (multiple selection).
    SelectAll,
    /// List hidden entries, or not.
    SetShowHidden(bool),
    /// The typed path changed.
    SetLocation(String),
    /// Go to the typed path: a folder is shown, a file is picked.
    GoToLocation,
    /// The file name field changed (save mode).
    SetFileName(String),
    /// Use the selection (open) or the file name (save).
    Confirm,
    /// Use the folder shown.
    ChooseFolder,
    /// List the folder again.
    Refresh,
    /// Close without choosing.
    Cancel,
}

/// The folder's entries for a dialog: folders first, then files with one of `extensions`
/// (all files when empty; none in folder mode), each group by name without regard to case.
pub fn list_dir(
    dir: &Path,
    show_hidden: bool,
    extensions: &[&str],
    folders_only: bool,
) -> std::io::Result<Vec<DirEntry>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let Ok(e) = e else { continue };
        let name = e.file_name().to_string_lossy().into_owned();
        if !show_hidden && name.starts_with('.') {
            continue;
        }
        let path = e.path();
        // Follows links, so a link to a folder is a folder.
        let meta = std::fs::metadata(&path).ok();
        let is_dir = meta.as_ref().is_some_and(|m| m.is_dir());
        if !is_dir {
            let wanted = extensions.is_empty()
                || path
                    .extension()
                    .is_some_and(|x| extensions.iter().any(|want| x.eq_ignore_ascii_case(want)));
            if folders_only || !wanted {
                continue;
            }
        }
        out.push(DirEntry {
            name,
            path,
            is_dir,
            size_bytes: if is_dir {
                0
            } else {
                meta.map_or(0, |m| m.len())
            },
        });
    }
    out.sort_by(|a, b| {
        (!a.is_dir, a.name.to_lowercase(), &a.name).cmp(&(
            !b.is_dir,
            b.name.to_lowercase(),
            &b.name,
        ))
    });
    Ok(out)
}

/// The home folder, else the root.
pub fn home_dir() -> PathBuf {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// A typed path: `~` is the home folder, a relative path is below `base`.
pub fn resolve_typed(text: &str, base: &Path) -> PathBuf {
    let t = text.trim();
    let p = if t == "~" {
        home_dir()
    } else if let Some(rest) = t.strip_prefix("~/") {
        home_dir().join(rest)
    } else {
        PathBuf::from(t)
    };
    if p.is_absolute() { p } else { base.join(p) }
}

impl NavApp {
    /// Carries out a [`BrowseCmd`].
    pub(super) fn apply_browse(&mut self, cmd: BrowseCmd) {
        if let BrowseCmd::Open(purpose) = cmd {
            self.open_file_dialog(purpose);
            return;
        }
        let Some(d) = &mut self.model.file_dialog else {
            return;
        };
        match cmd {
            BrowseCmd::Open(_) => {}
            BrowseCmd::Enter(dir) => self.show_dir(dir),
            BrowseCmd::Parent => {
                if let Some(parent) = d.dir.parent().map(Path::to_path_buf) {
                    self.show_dir(parent);
                }
            }
            BrowseCmd::Home => self.show_dir(home_dir()),
            BrowseCmd::Select { path, add } => {
                d.error = None;
                match d.mode() {
                    PickMode::Save => {
                        if let Some(n) = path.file_name() {
                            d.file_name = n.to_string_lossy().into_owned();
                        }
                    }
                    PickMode::Open { multiple, .. } => {
                        if multiple && add {
                            if d.is_selected(&path) {
                                d.selected.retain(|p| *p != path);
                            } else {
                                d.selected.push(path);
                            }
                        } else {
                            d.selected = vec![path];
                        }
                    }
                    PickMode::Folder => {}
                }
            }
            BrowseCmd::SelectAll => {
                if matches!(d.mode(), PickMode::Open { multiple: true, .. }) {
                    d.selected = d
                        .entries
                        .iter()
                        .filter(|e| !e.is_dir)
                        .map(|e| e.path.clone())
                        .collect();
                }
            }
            BrowseCmd::SetShowHidden(on) => {
                d.show_hidden = on;
                let dir = d.dir.clone();
                self.show_dir(dir);
            }
            BrowseCmd::SetLocation(text) => d.location = text,
            BrowseCmd::GoToLocation => {
                let target = resolve_typed(&d.location, &d.dir);
                if target.is_dir() {
                    self.show_dir(target);
                } else if target.is_file() {
                    let parent = target.parent().map(Path::to_path_buf);
                    if let Some(parent) = parent {
                        self.show_dir(parent);
                    }
                    if let Some(d) = &mut self.model.file_dialog {
                        match d.mode() {
                            PickMode::Save => {
                                d.file_name = target
                                    .file_name()
                                    .map(|n| n.to_string_lossy().into_owned())
                                    .unwrap_or_default();
                            }
                            PickMode::Open { .. } => d.selected = vec![target],
                            PickMode::Folder => {}
                        }
                    }
                } else if d.mode() == PickMode::Save && target.parent().is_some_and(Path::is_dir) {
                    // A new file in an existing folder.
                    let name = target
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    if let Some(parent) = target.parent().map(Path::to_path_buf) {
                        self.show_dir(parent);
                    }
                    if let Some(d) = &mut self.model.file_dialog {
                        d.file_name = name;
                    }
                } else {
                    d.error = Some(format!("{}: no such file or folder", target.display()));
                }
            }
            BrowseCmd::SetFileName(name) => {
                d.file_name = name;
                d.error = None;
            }
            BrowseCmd::Confirm => {
                let chosen = match d.mode() {
                    PickMode::Open { folders, .. } => {
                        if d.selected.is_empty() {
                            d.error = Some(if folders {
                                "select one or more files, or choose this folder".into()
                            } else {
                                "select a file".into()
                            });
                            return;
                        }
                        d.selected.clone()
                    }
                    PickMode::Folder => vec![d.dir.clone()],
                    PickMode::Save => {
                        let name = d.file_name.trim();
                        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                            d.error = Some("type a file name (without folders)".into());
                            return;
                        }
                        match d.save_path() {
                            Some(p) => vec![p],
                            None => return,
                        }
                    }
                };
                self.close_file_dialog(chosen);
            }
            BrowseCmd::ChooseFolder => {
                if matches!(
                    d.mode(),
                    PickMode::Folder | PickMode::Open { folders: true, .. }
                ) {
                    let dir = d.dir.clone();
                    self.close_file_dialog(vec![dir]);
                }
            }
            BrowseCmd::Refresh => {
                let dir = d.dir.clone();
                self.show_dir(dir);
            }
            BrowseCmd::Cancel => self.model.file_dialog = None,
        }
    }

    fn open_file_dialog(&mut self, purpose: FilePurpose) {
        let start = self
            .model
            .prefs
            .last_dir
            .clone()
            .filter(|d| d.is_dir())
            .unwrap_or_else(home_dir);
        self.model.file_dialog = Some(FileDialog {
            purpose,
            dir: start.clone(),
            entries: Vec::new(),
            show_hidden: false,
            selected: Vec::new(),
            location: start.display().to_string(),
            file_name: self.suggested_name(purpose),
            error: None,
        });
        self.show_dir(start);
    }

    /// Lists `dir` into the dialog; on failure the dialog keeps its folder and says why.
    fn show_dir(&mut self, dir: PathBuf) {
        let Some(d) = &mut self.model.file_dialog else {
            return;
        };
        let folders_only = d.mode() == PickMode::Folder;
        match list_dir(&dir, d.show_hidden, d.purpose.extensions(), folders_only) {
            Ok(entries) => {
                if dir != d.dir {
                    d.selected.clear();
                }
                d.entries = entries;
                d.location = dir.display().to_string();
                d.dir = dir;
                d.error = None;
            }
            Err(e) => d.error = Some(format!("{}: {e}", dir.display())),
        }
    }

    /// The file name a save dialog starts with.
    fn suggested_name(&self, purpose: FilePurpose) -> String {
        let route = self
            .model
            .selected
            .as_ref()
            .map(|s| sanitize_file_stem(&s.name()));
        match (purpose, route) {
            (FilePurpose::SaveGpx, Some(r)) => format!("{r}.gpx"),
            (FilePurpose::SavePdf, Some(r)) => format!("{r} atlas.pdf"),
            _ => String::new(),
        }
    }

    fn close_file_dialog(&mut self, chosen: Vec<PathBuf>) {
        let Some(d) = self.model.file_dialog.take() else {
            return;
        };
        if self.model.prefs.last_dir.as_ref() != Some(&d.dir) {
            self.model.prefs.last_dir = Some(d.dir.clone());
            self.save_prefs();
        }
        self.on_file_chosen(d.purpose, chosen);
    }

    /// What a confirmed dialog does: one arm per [`FilePurpose`]. A module adding a purpose
    /// (the basemap, the atlas PDF) handles its choice here.
    pub(super) fn on_file_chosen(&mut self, purpose: FilePurpose, paths: Vec<PathBuf>) {
        match purpose {
            // One import job for all three: it tells map and DEM files from GPX by name.
            FilePurpose::ImportGpx | FilePurpose::ImportMap | FilePurpose::ImportTerrain => self
                .apply_import(ImportCmd::Files {
                    paths,
                    replace: false,
                }),
            FilePurpose::SaveGpx => {
                if let Some(path) = paths.into_iter().next() {
                    self.save_selected_gpx(&path);
                }
            }
            FilePurpose::OpenBasemap => {
                if let Some(path) = paths.into_iter().next() {
                    self.apply(super::Command::OpenBasemap(path));
                }
            }
            FilePurpose::SavePdf => {
                // The print dialog writes the file; the chooser only names it.
                if let (Some(path), Some(dialog)) =
                    (paths.into_iter().next(), self.model.print.as_ref())
                {
                    let mut settings = dialog.settings.clone();
                    settings.output = path.display().to_string();
                    self.apply(super::Command::EditPrint(settings));
                }
            }
        }
    }

    /// Writes the selected route or track (with its file's waypoints) to `path`, through a
    /// temporary file renamed into place.
    fn save_selected_gpx(&mut self, path: &Path) {
        let Some(sel) = &self.model.selected else {
            self.model.status = "no route selected to save".into();
            return;
        };
        let (id, name) = (sel.summary.id, sel.name());
        let data = match self.store.gpx_for_line(id, true) {
            Ok(d) => d,
            Err(e) => {
                self.model.status = format!("cannot read {name}: {e}");
                return;
            }
        };
        let tmp = path.with_extension("trailatlas-tmp");
        let written = write_gpx_file(&tmp, &data)
            .map_err(|e| e.to_string())
            .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
        self.model.status = match written {
            Ok(()) => format!("saved {name} to {}", path.display()),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                format!("cannot save {name} to {}: {e}", path.display())
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialog(purpose: FilePurpose, name: &str) -> FileDialog {
        FileDialog {
            purpose,
            dir: PathBuf::from("/trips"),
            entries: vec![DirEntry {
                name: "moab.gpx".into(),
                path: PathBuf::from("/trips/moab.gpx"),
                is_dir: false,
                size_bytes: 10,
            }],
            show_hidden: false,
            selected: Vec::new(),
            location: "/trips".into(),
            file_name: name.into(),
            error: None,
        }
    }

    #[test]
    fn a_saved_name_gets_the_purpose_extension() {
        let d = dialog(FilePurpose::SavePdf, "atlas");
        assert_eq!(d.save_path(), Some(PathBuf::from("/trips/atlas.pdf")));
        let d = dialog(FilePurpose::SavePdf, "atlas.PDF");
        assert_eq!(d.save_path(), Some(PathBuf::from("/trips/atlas.PDF")));
        assert_eq!(dialog(FilePurpose::SaveGpx, "  ").save_path(), None);
    }

    #[test]
    fn saving_over_a_listed_file_is_flagged() {
        assert!(dialog(FilePurpose::SaveGpx, "moab").save_replaces());
        assert!(!dialog(FilePurpose::SaveGpx, "other").save_replaces());
    }

    #[test]
    fn typed_paths_resolve_home_and_relative() {
        let base = Path::new("/base");
        assert_eq!(
            resolve_typed("x/y.gpx", base),
            PathBuf::from("/base/x/y.gpx")
        );
        assert_eq!(resolve_typed(" /abs ", base), PathBuf::from("/abs"));
        assert_eq!(resolve_typed("~/t", base), home_dir().join("t"));
    }

    #[test]
    fn every_purpose_has_a_mode_filter_and_labels() {
        for p in [
            FilePurpose::ImportGpx,
            FilePurpose::ImportMap,
            FilePurpose::OpenBasemap,
            FilePurpose::SaveGpx,
            FilePurpose::SavePdf,
        ] {
            assert!(!p.extensions().is_empty());
            assert!(!p.title().is_empty() && !p.confirm_label().is_empty());
            let _ = p.mode();
        }
    }
}
