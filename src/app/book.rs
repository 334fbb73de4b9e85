//! The atlas in the app: the book shown a page at a time (the same scenes the PDF prints),
//! and the print dialog's settings and job.
//!
//! Not for layout (see `scene::build`) nor drawing (see `render`); this holds state and runs
//! the print job off the UI thread.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, TryRecvError};

use crate::core::atlas::{Atlas, Orientation, PageSpec, Paper, paginate};
use crate::core::coords::{CoordFormat, Datum};
use crate::core::model::{LatLon, Waypoint};
use crate::render::atlas::book_pdf;
use crate::scene::Scene;
use crate::scene::build::{SceneData, SceneOptions};

/// The page layout the app shows and prints by default (the atlas command's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtlasSettings {
    /// Paper size.
    pub paper: Paper,
    /// Orientation.
    pub orientation: Orientation,
    /// Scale denominator (1:N).
    pub scale: u32,
}

impl Default for AtlasSettings {
    fn default() -> Self {
        AtlasSettings {
            paper: Paper::Letter,
            orientation: Orientation::Auto,
            scale: 100_000,
        }
    }
}

impl AtlasSettings {
    /// The page spec (fails on a scale outside the atlas's range).
    pub fn spec(&self) -> Result<PageSpec, crate::core::atlas::AtlasError> {
        PageSpec::new(self.paper, self.orientation, self.scale)
    }
}

/// Scales offered in the print dialog.
pub const SCALES: [u32; 7] = [24_000, 50_000, 62_500, 100_000, 150_000, 250_000, 500_000];

/// The book as shown in the atlas view: which page, how many, and the page's scene.
#[derive(Debug, Clone, Default)]
pub struct BookView {
    /// The page shown (1 = index).
    pub page: u32,
    /// Pages in the book (index, map pages, cue sheet).
    pub len: u32,
    /// The shown page's scene.
    pub scene: Option<Scene>,
}

/// What the print dialog holds.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintSettings {
    /// Layout.
    pub atlas: AtlasSettings,
    /// How coordinates are printed.
    pub coord_format: CoordFormat,
    /// Their datum.
    pub datum: Datum,
    /// First book page to print.
    pub from_page: u32,
    /// Last book page to print.
    pub to_page: u32,
    /// Where the PDF goes.
    pub output: String,
}

/// Where a print job is.
#[derive(Debug, Clone, PartialEq)]
pub enum PrintState {
    /// Being edited.
    Editing,
    /// Being written.
    Running,
    /// Written: the file and its size.
    Done(PathBuf, u64),
    /// Failed, with why.
    Failed(String),
}

/// The print dialog: settings, the book length under them, and the job's state.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintDialog {
    /// What to print.
    pub settings: PrintSettings,
    /// Pages the book has with these settings (0 when they cannot paginate).
    pub book_len: u32,
    /// Job state.
    pub state: PrintState,
}

/// Everything a print job needs, owned, so it can run on its own thread.
#[derive(Debug, Clone)]
pub struct PrintJob {
    /// Route name for headers.
    pub route_name: String,
    /// The route's path.
    pub path: Vec<LatLon>,
    /// Other lines for context (already limited to near the route).
    pub others: Vec<Vec<LatLon>>,
    /// Waypoints.
    pub waypoints: Vec<Waypoint>,
    /// Settings.
    pub settings: PrintSettings,
}

impl PrintJob {
    /// Paginates, renders the chosen pages and writes the PDF (through a temporary file, so a
    /// failed job never leaves half a PDF behind). Returns the file and its size.
    pub fn run(&self) -> Result<(PathBuf, u64), String> {
        let s = &self.settings;
        let spec = s.atlas.spec().map_err(|e| e.to_string())?;
        let atlas = paginate(&spec, &self.path).map_err(|e| e.to_string())?;
        let others: Vec<&[LatLon]> = self.others.iter().map(Vec::as_slice).collect();
        let data = SceneData {
            route_name: &self.route_name,
            others: &others,
            waypoints: &self.waypoints,
            ..Default::default()
        };
        let options = SceneOptions {
            coord_format: s.coord_format,
            datum: s.datum,
            ..SceneOptions::default()
        };
        let (from, to) = (s.from_page.min(s.to_page), s.from_page.max(s.to_page));
        let bytes =
            book_pdf(&atlas, &data, &options, Some(from..=to)).map_err(|e| e.to_string())?;
        let out = PathBuf::from(s.output.trim());
        if out.as_os_str().is_empty() {
            return Err("no output file given".into());
        }
        write_atomically(&out, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        Ok((out, bytes.len() as u64))
    }

    /// Runs on a new thread; the result arrives on the returned channel.
    pub fn spawn(self) -> Receiver<Result<(PathBuf, u64), String>> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(self.run());
        });
        rx
    }
}

/// Polls a job's channel: `None` while it runs.
pub fn poll_job<T>(rx: &Receiver<T>) -> Option<Option<T>> {
    match rx.try_recv() {
        Ok(v) => Some(Some(v)),
        Err(TryRecvError::Empty) => None,
        Err(TryRecvError::Disconnected) => Some(None),
    }
}

/// Writes `bytes` to `path` via a temporary file in the same folder, then renames.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.part"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Opens `path` with the desktop's viewer (`xdg-open`; `open` on macOS), detached.
pub fn open_with_system_viewer(path: &Path) -> Result<(), String> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("cannot run {opener}: {e}"))
}

/// A default PDF name for a route: `<name> atlas.pdf` in `dir`, with unsafe characters
/// replaced.
pub fn default_pdf_path(dir: &Path, route_name: &str) -> PathBuf {
    let clean: String = route_name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim();
    let stem = if clean.is_empty() { "route" } else { clean };
    dir.join(format!("{stem} atlas.pdf"))
}

/// The book length for an atlas.
pub fn book_len_of(atlas: &Atlas, data: &SceneData<'_>, options: &SceneOptions) -> u32 {
    crate::render::atlas::book_len(atlas, data, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_names_are_safe() {
        let p = default_pdf_path(Path::new("/tmp"), "Day 3: Fort Rock / Silver Lake");
        assert_eq!(
            p,
            PathBuf::from("/tmp/Day 3_ Fort Rock _ Silver Lake atlas.pdf")
        );
        assert_eq!(
            default_pdf_path(Path::new("d"), "///"),
            PathBuf::from("d/___ atlas.pdf")
        );
        assert_eq!(
            default_pdf_path(Path::new("d"), " "),
            PathBuf::from("d/route atlas.pdf")
        );
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_part_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.pdf");
        write_atomically(&p, b"one").unwrap();
        write_atomically(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_atomically(&dir.path().join("no/such/dir/a.pdf"), b"x").is_err());
    }
}
