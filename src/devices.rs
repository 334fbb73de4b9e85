//! Garmin handhelds and dash units mounted as USB mass storage: finding them, listing the GPX
//! files they hold, and writing a route or track where the unit picks new files up.
//!
//! A unit is a directory (usually a mount point) with a `Garmin/GPX` folder; the names are
//! matched without regard to case, since units differ (`Garmin`, `GARMIN`). The model name
//! comes from `Garmin/GarminDevice.xml` when it is there and readable. Scanning is
//! best-effort: an unreadable directory is simply not a device.
//!
//! Not for importing (the app sends the listed files through the background import) nor for
//! building GPX (see `export`); no egui here.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::core::model::GpxData;
use crate::export::{ExportError, write_gpx};

/// Environment variable naming the directories to scan, colon-separated (replaces the
/// defaults; for tests and unusual mount points).
pub const ROOTS_ENV: &str = "TRAILATLAS_GARMIN_ROOTS";

/// `GarminDevice.xml` larger than this is not a real one; it is not read.
const MAX_DEVICE_XML_BYTES: u64 = 1 << 20;
/// Longest file stem written to a unit (FAT allows 255; units show far fewer).
const MAX_STEM_CHARS: usize = 60;
/// Give up finding a free name after this many suffixes.
const MAX_SUFFIX: u32 = 9_999;

/// Why a file could not be sent to a unit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// Reading or writing on the unit failed (unplugged, full, read-only).
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The data cannot be written as GPX.
    #[error("{path}: {source}")]
    Export {
        /// The file being written.
        path: PathBuf,
        /// Why.
        source: ExportError,
    },
    /// Every name from `stem.gpx` to `stem-9999.gpx` is taken.
    #[error("{dir}: no free file name for {stem:?}")]
    NoFreeName {
        /// The folder.
        dir: PathBuf,
        /// The name asked for.
        stem: String,
    },
}

/// Which of a unit's GPX folders a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GarminFileKind {
    /// `Garmin/GPX/Current.gpx`: the track log and what the unit holds now.
    Current,
    /// Another `Garmin/GPX/*.gpx`: saved tracks, routes and waypoints.
    Saved,
    /// `Garmin/GPX/Archive/*.gpx`: tracks the unit archived.
    Archive,
}

impl GarminFileKind {
    /// A short name for lists.
    pub const fn as_str(self) -> &'static str {
        match self {
            GarminFileKind::Current => "current",
            GarminFileKind::Saved => "saved",
            GarminFileKind::Archive => "archive",
        }
    }
}

/// One GPX file on a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFile {
    /// Full path.
    pub path: PathBuf,
    /// The path below `Garmin/GPX`, `/`-separated (`Current.gpx`, `Archive/Track_001.gpx`).
    pub name: String,
    /// Which folder it is in.
    pub kind: GarminFileKind,
    /// Size, bytes.
    pub size_bytes: u64,
    /// Last modification, UTC ms since the Unix epoch, when the file system says.
    pub modified_ms: Option<i64>,
}

/// A mounted Garmin unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GarminDevice {
    /// The mount point (the directory holding `Garmin/`).
    pub mount: PathBuf,
    /// `Garmin/GPX` as spelled on the unit.
    pub gpx_dir: PathBuf,
    /// `Garmin/NewFiles` when the unit has it (newer units import GPX from there).
    pub new_files_dir: Option<PathBuf>,
    /// The model (`<Model><Description>` of `GarminDevice.xml`), when readable.
    pub model: Option<String>,
    /// GPX files: `Current.gpx` first, then saved files, then archived ones, each by name.
    pub files: Vec<DeviceFile>,
}

impl GarminDevice {
    /// What to call the unit: its model, else the mount point's name.
    pub fn label(&self) -> String {
        if let Some(m) = &self.model {
            return m.clone();
        }
        self.mount
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.mount.display().to_string())
    }

    /// Where files sent to the unit go: `Garmin/NewFiles` if it exists, else `Garmin/GPX`.
    pub fn send_dir(&self) -> &Path {
        self.new_files_dir.as_deref().unwrap_or(&self.gpx_dir)
    }
}

/// The directories scanned by default: each is a mount point itself or holds mount points
/// (`/media/$USER/*`, `/run/media/$USER/*`, `/media/*`, `/mnt/*`); or, when
/// [`ROOTS_ENV`] is set, the directories it lists instead.
pub fn default_roots() -> Vec<PathBuf> {
    let env = std::env::var(ROOTS_ENV).ok();
    let user = std::env::var("USER")
        .ok()
        .or_else(|| std::env::var("LOGNAME").ok());
    roots_from(env.as_deref(), user.as_deref())
}

/// [`default_roots`] from the environment's values (`None` when unset).
pub fn roots_from(env: Option<&str>, user: Option<&str>) -> Vec<PathBuf> {
    if let Some(list) = env {
        return list
            .split(':')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect();
    }
    let mut roots = Vec::new();
    if let Some(u) = user.filter(|u| !u.is_empty() && !u.contains('/')) {
        roots.push(Path::new("/media").join(u));
        roots.push(Path::new("/run/media").join(u));
    }
    roots.push(PathBuf::from("/media"));
    roots.push(PathBuf::from("/mnt"));
    roots
}

/// Every Garmin unit at or directly below the given roots, each once (by canonical path),
/// in root order then by name.
pub fn find_garmin_devices(roots: &[PathBuf]) -> Vec<GarminDevice> {
    let mut found: Vec<GarminDevice> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut add = |dev: GarminDevice| {
        let key = fs::canonicalize(&dev.mount).unwrap_or_else(|_| dev.mount.clone());
        if !seen.contains(&key) {
            seen.push(key);
            found.push(dev);
        }
    };
    for root in roots {
        if let Some(dev) = scan_device(root) {
            add(dev);
            continue;
        }
        for child in sorted_children(root) {
            if child.is_dir()
                && let Some(dev) = scan_device(&child)
            {
                add(dev);
            }
        }
    }
    found
}

/// The unit mounted at `mount`, or `None` when it has no `Garmin/GPX` folder.
pub fn scan_device(mount: &Path) -> Option<GarminDevice> {
    let garmin = child_named(mount, "Garmin", true)?;
    let gpx_dir = child_named(&garmin, "GPX", true)?;
    let new_files_dir = child_named(&garmin, "NewFiles", true);
    let model = child_named(&garmin, "GarminDevice.xml", false).and_then(|p| read_model(&p));
    let mut files = Vec::new();
    for path in sorted_children(&gpx_dir) {
        let Some(name) = file_name_of(&path) else {
            continue;
        };
        if path.is_dir() && name.eq_ignore_ascii_case("Archive") {
            for inner in sorted_children(&path) {
                if let Some(inner_name) = file_name_of(&inner)
                    && is_gpx(&inner)
                    && let Some(f) = device_file(
                        &inner,
                        format!("{name}/{inner_name}"),
                        GarminFileKind::Archive,
                    )
                {
                    files.push(f);
                }
            }
        } else if is_gpx(&path) {
            let kind = if name.eq_ignore_ascii_case("Current.gpx") {
                GarminFileKind::Current
            } else {
                GarminFileKind::Saved
            };
            if let Some(f) = device_file(&path, name, kind) {
                files.push(f);
            }
        }
    }
    files.sort_by_key(|f| (f.kind, f.name.to_lowercase()));
    Some(GarminDevice {
        mount: mount.to_path_buf(),
        gpx_dir,
        new_files_dir,
        model,
        files,
    })
}

/// The model name in a `GarminDevice.xml` (`<Device><Model><Description>`); `None` for a
/// missing, oversized or unreadable file, or one that is not XML.
pub fn read_model(path: &Path) -> Option<String> {
    let file = File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_DEVICE_XML_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    model_from_xml(&String::from_utf8_lossy(&bytes))
}

/// [`read_model`] on text already read.
pub fn model_from_xml(text: &str) -> Option<String> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<String> = Vec::new();
    let mut desc = String::new();
    let in_description = |stack: &[String]| matches!(stack, [d, m, x] if d == "Device" && m == "Model" && x == "Description");
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => stack.push(e.local_name().as_ref().to_string()),
            Ok(Event::End(_)) => {
                if in_description(&stack) && !desc.trim().is_empty() {
                    return Some(desc.trim().to_string());
                }
                stack.pop();
            }
            Ok(Event::Text(t)) if in_description(&stack) => desc.push_str(&t),
            Ok(Event::CData(t)) if in_description(&stack) => {
                desc.push_str(&t);
            }
            Ok(Event::GeneralRef(r)) if in_description(&stack) => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*r {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                desc.extend(ch);
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// A file name made from a route name that every unit and file system accepts: letters,
/// digits, space, `-`, `_`, `.`, `(`, `)`, `,` kept; anything else becomes `_`; no leading or
/// trailing dots or spaces; at most 60 characters; `route` when nothing is left.
pub fn sanitize_file_stem(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '(' | ')' | ',') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_STEM_CHARS)
        .collect();
    let trimmed = mapped.trim_matches(|c: char| c == '.' || c == ' ' || c == '_');
    // Windows device names are refused by FAT drivers on some systems.
    let reserved = ["CON", "PRN", "AUX", "NUL", "COM1", "LPT1"];
    if trimmed.is_empty() {
        "route".to_string()
    } else if reserved.iter().any(|r| r.eq_ignore_ascii_case(trimmed)) {
        format!("{trimmed}_")
    } else {
        trimmed.to_string()
    }
}

/// Writes `data` as `<stem>.gpx` in `dir`, never replacing a file (`<stem>-2.gpx`,
/// `<stem>-3.gpx`, ... when taken): written to a hidden temporary file, synced, then renamed.
/// Returns the path written.
pub fn write_new_gpx(dir: &Path, stem: &str, data: &GpxData) -> Result<PathBuf, DeviceError> {
    let stem = sanitize_file_stem(stem);
    let target = free_name(dir, &stem)?;
    let tmp = dir.join(format!(".{stem}.trailatlas-{}.tmp", std::process::id()));
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DeviceError::Io { path, source }
    };
    let result = (|| {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        let mut w = BufWriter::new(file);
        write_gpx(&mut w, data).map_err(|source| DeviceError::Export {
            path: target.clone(),
            source,
        })?;
        w.flush().map_err(io_err(&tmp))?;
        let file = w.into_inner().map_err(|e| DeviceError::Io {
            path: tmp.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io_err(&tmp))?;
        // Checked again just before the rename, which would replace a file made meanwhile.
        if fs::symlink_metadata(&target).is_ok() {
            return Err(DeviceError::Io {
                path: target.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "appeared while writing",
                ),
            });
        }
        fs::rename(&tmp, &target).map_err(io_err(&target))?;
        // Make the new directory entry durable before the unit is unplugged; some file
        // systems cannot sync a directory, which is harmless.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(target.clone())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Sends `data` (named `name`) to the unit: see [`write_new_gpx`] and
/// [`GarminDevice::send_dir`].
pub fn send_to_device(
    device: &GarminDevice,
    name: &str,
    data: &GpxData,
) -> Result<PathBuf, DeviceError> {
    write_new_gpx(device.send_dir(), name, data)
}

/// The first of `stem.gpx`, `stem-2.gpx`, ... not present in `dir` (compared without case,
/// as FAT does).
fn free_name(dir: &Path, stem: &str) -> Result<PathBuf, DeviceError> {
    let entries = fs::read_dir(dir).map_err(|source| DeviceError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let taken: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_lowercase())
        .collect();
    for n in 1..=MAX_SUFFIX {
        let name = if n == 1 {
            format!("{stem}.gpx")
        } else {
            format!("{stem}-{n}.gpx")
        };
        if !taken.contains(&name.to_lowercase()) {
            return Ok(dir.join(name));
        }
    }
    Err(DeviceError::NoFreeName {
        dir: dir.to_path_buf(),
        stem: stem.to_string(),
    })
}

/// The entry of `dir` called `name` (any case), a directory when `want_dir`, else a file.
fn child_named(dir: &Path, name: &str, want_dir: bool) -> Option<PathBuf> {
    let exact = dir.join(name);
    if exact.is_dir() == want_dir && exact.exists() {
        return Some(exact);
    }
    sorted_children(dir).into_iter().find(|p| {
        p.is_dir() == want_dir && file_name_of(p).is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// Entries of `dir`, sorted; empty when it cannot be read.
fn sorted_children(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    out.sort();
    out
}

fn file_name_of(p: &Path) -> Option<String> {
    p.file_name().map(|n| n.to_string_lossy().into_owned())
}

fn is_gpx(p: &Path) -> bool {
    p.is_file()
        && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("gpx"))
        && !file_name_of(p).is_some_and(|n| n.starts_with('.'))
}

fn device_file(path: &Path, name: String, kind: GarminFileKind) -> Option<DeviceFile> {
    let meta = fs::metadata(path).ok()?;
    let modified_ms = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok());
    Some(DeviceFile {
        path: path.to_path_buf(),
        name,
        kind,
        size_bytes: meta.len(),
        modified_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_name_comes_from_the_model_description() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Device xmlns="http://www.garmin.com/xmlschemas/GarminDevice/v2">
  <Model><PartNumber>006-B3011-00</PartNumber><Description>GPSMAP 66i</Description></Model>
  <MassStorageMode><DataType><Name>GPSData</Name><Description>not this</Description></DataType></MassStorageMode>
</Device>"#;
        assert_eq!(model_from_xml(xml).as_deref(), Some("GPSMAP 66i"));
    }

    #[test]
    fn model_name_tolerates_entities_and_garbage() {
        assert_eq!(
            model_from_xml(
                "<Device><Model><Description>Tread &amp; Co</Description></Model></Device>"
            )
            .as_deref(),
            Some("Tread & Co")
        );
        for bad in [
            "",
            "garbage",
            "<Device><Model><Description>",
            "\u{0}\u{1}<<>>",
            "<a></b>",
        ] {
            assert_eq!(model_from_xml(bad), None, "{bad:?}");
        }
        assert_eq!(
            model_from_xml("<Device><Description>wrong level</Description></Device>"),
            None
        );
    }

    #[test]
    fn file_stems_are_safe_on_fat() {
        assert_eq!(
            sanitize_file_stem("Day 3: Moab/Canyonlands"),
            "Day 3_ Moab_Canyonlands"
        );
        assert_eq!(sanitize_file_stem("  ..hidden.. "), "hidden");
        assert_eq!(sanitize_file_stem("???"), "route");
        assert_eq!(sanitize_file_stem(""), "route");
        assert_eq!(sanitize_file_stem("con"), "con_");
        assert_eq!(sanitize_file_stem("Ruta Señal"), "Ruta Señal");
        assert_eq!(sanitize_file_stem(&"x".repeat(200)).chars().count(), 60);
        assert_eq!(sanitize_file_stem("a\\b<c>d|e*f\"g"), "a_b_c_d_e_f_g");
    }

    #[test]
    fn roots_come_from_the_environment_or_the_usual_mount_points() {
        assert_eq!(
            roots_from(Some("/a: /b ::"), Some("u")),
            vec![PathBuf::from("/a"), PathBuf::from("/b")]
        );
        assert_eq!(
            roots_from(None, Some("kim")),
            ["/media/kim", "/run/media/kim", "/media", "/mnt"]
                .map(PathBuf::from)
                .to_vec()
        );
        assert_eq!(
            roots_from(None, Some("../etc")),
            ["/media", "/mnt"].map(PathBuf::from).to_vec()
        );
    }
}
