//! Elevation model files: SRTM `.hgt` (and `.hgt.zip`) and single-band GeoTIFF DEMs, read
//! into a [`Dem`]: the raster's geometry, its values (NaN for void) and what void filling did.
//!
//! - `.hgt`: big-endian i16, 1201 × 1201 (3″) or 3601 × 3601 (1″) nodes, row 0 north, the
//!   name's corner (`N42E001`) the south-west node, −32768 void. No crate: it is raw samples.
//! - `.hgt.zip`: the same inside a zip (the `zip` crate, inflate only).
//! - GeoTIFF: Int16, UInt16, Float32 (also Int32/Float64/UInt8), striped or tiled,
//!   uncompressed, DEFLATE or LZW, read with the `tiff` crate. The GeoKeys (GTModelType,
//!   GTRasterType, GeographicType, ProjectedCSType) are read from the GeoKeyDirectory tag by
//!   hand, with ModelTiepoint, ModelPixelScale and GDAL_NODATA: the `geotiff` crate (0.1) is
//!   young and reads the whole image its own way. Geographic WGS84/NAD83/ETRS89 and UTM
//!   (EPSG 326zz/327zz/269zz) are placed; any other CRS is refused with its name.
//!
//! Every declared size is checked against [`DemLimits`] before anything is allocated for it,
//! and every error is one line naming the file. Not for storage (see `store::terrain`) or
//! sampling (see `core::terrain`).

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use crate::core::terrain::{Crs, MAX_FILL_NODES, RasterGeom, VoidStats, fill_voids};

/// Bytes of a 3″ tile (1201² big-endian i16).
pub const HGT3_BYTES: u64 = 1201 * 1201 * 2;
/// Bytes of a 1″ tile (3601² big-endian i16).
pub const HGT1_BYTES: u64 = 3601 * 3601 * 2;
/// Samples further than this from sea level (metres) are not terrain on Earth: they are read
/// as voids, in `.hgt` tiles and GeoTIFFs alike.
const MAX_ABS_ELEVATION_M: f32 = 20_000.0;

/// Caps on what a file may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemLimits {
    /// Most nodes in one raster (4 bytes each in memory while importing).
    pub max_samples: u64,
}

impl Default for DemLimits {
    /// 120 million nodes (480 MB as f32): a 10,000 × 12,000 DEM, nine 1″ SRTM tiles.
    fn default() -> Self {
        DemLimits {
            max_samples: 120_000_000,
        }
    }
}

/// Why a file could not be read as an elevation model; the text names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The content is not a usable elevation model.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why, one line.
        message: String,
    },
}

/// An elevation model read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Dem {
    /// What to call it in attributions ("SRTM3 N42E001", or the file name).
    pub name: String,
    /// Where its nodes are.
    pub geom: RasterGeom,
    /// Row-major values, metres; NaN where void (after filling small voids).
    pub values: Vec<f32>,
    /// Voids filled and left.
    pub voids: VoidStats,
}

fn invalid(path: &Path, message: impl Into<String>) -> DemError {
    DemError::Invalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// What a name or the first bytes say the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Hgt,
    Zip,
    Tiff,
}

fn kind_of(path: &Path, head: &[u8], len: u64) -> Option<Kind> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if head.starts_with(b"PK\x03\x04") {
        return Some(Kind::Zip);
    }
    if head.starts_with(b"II*\0")
        || head.starts_with(b"MM\0*")
        || head.starts_with(b"II+\0")
        || head.starts_with(b"MM\0+")
    {
        return Some(Kind::Tiff);
    }
    if name.ends_with(".hgt") || len == HGT1_BYTES || len == HGT3_BYTES {
        return Some(Kind::Hgt);
    }
    if name.ends_with(".zip") {
        return Some(Kind::Zip);
    }
    if name.ends_with(".tif") || name.ends_with(".tiff") {
        return Some(Kind::Tiff);
    }
    None
}

/// Reads an elevation model file (`.hgt`, `.hgt.zip`, GeoTIFF), filling small voids.
pub fn read_dem_file(path: &Path, limits: &DemLimits) -> Result<Dem, DemError> {
    let io = |source| DemError::Io {
        path: path.to_path_buf(),
        source,
    };
    if path.is_dir() {
        return Err(invalid(path, "is a directory, not an elevation model"));
    }
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 4];
    let n = read_up_to(&mut file, &mut head).map_err(io)?;
    file.rewind().map_err(io)?;
    match kind_of(path, &head[..n], len) {
        Some(Kind::Hgt) => {
            check_hgt_len(path, len)?;
            let mut bytes = Vec::with_capacity(len as usize);
            file.take(len).read_to_end(&mut bytes).map_err(io)?;
            let corner = corner_of(path, None)?;
            hgt(path, &bytes, corner)
        }
        Some(Kind::Zip) => hgt_zip(path, BufReader::new(file)),
        Some(Kind::Tiff) => geotiff(path, BufReader::new(file), limits),
        None => Err(not_a_dem(path)),
    }
}

/// Reads an elevation model held in memory as if from a file named `name` (fuzzing, tests).
pub fn read_dem_bytes(name: &str, bytes: &[u8], limits: &DemLimits) -> Result<Dem, DemError> {
    let path = Path::new(name);
    let head = bytes.get(..4).unwrap_or(bytes);
    match kind_of(path, head, bytes.len() as u64) {
        Some(Kind::Hgt) => {
            check_hgt_len(path, bytes.len() as u64)?;
            hgt(path, bytes, corner_of(path, None)?)
        }
        Some(Kind::Zip) => hgt_zip(path, Cursor::new(bytes)),
        Some(Kind::Tiff) => geotiff(path, Cursor::new(bytes), limits),
        None => Err(not_a_dem(path)),
    }
}

fn not_a_dem(path: &Path) -> DemError {
    invalid(
        path,
        "not an elevation model (expected SRTM .hgt, .hgt.zip or a GeoTIFF .tif)",
    )
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn check_hgt_len(path: &Path, len: u64) -> Result<(), DemError> {
    if len == HGT1_BYTES || len == HGT3_BYTES {
        return Ok(());
    }
    let why = if len < HGT3_BYTES || (len > HGT3_BYTES && len < HGT1_BYTES) {
        " (truncated?)"
    } else {
        ""
    };
    Err(invalid(
        path,
        format!(
            "{len} bytes is neither 1201 × 1201 (3 arc-second, {HGT3_BYTES} bytes) nor 3601 × 3601 (1 arc-second, {HGT1_BYTES} bytes) SRTM samples{why}"
        ),
    ))
}

/// The south-west corner (lat, lon) and its canonical name from `N42E001…` in the file name
/// (else in `inner`, the zip entry's name).
fn corner_of(path: &Path, inner: Option<&str>) -> Result<(i32, i32, String), DemError> {
    fn parse(name: &str) -> Option<(i32, i32, String)> {
        let b = name.as_bytes();
        let ns = match b.first()?.to_ascii_uppercase() {
            b'N' => 1,
            b'S' => -1,
            _ => return None,
        };
        let lat: i32 = name.get(1..3)?.parse().ok()?;
        let ew = match b.get(3)?.to_ascii_uppercase() {
            b'E' => 1,
            b'W' => -1,
            _ => return None,
        };
        let lon: i32 = name.get(4..7)?.parse().ok()?;
        let digits = name.get(1..3)?.bytes().chain(name.get(4..7)?.bytes());
        if !digits.into_iter().all(|c| c.is_ascii_digit()) || lat > 89 || lon > 179 {
            return None;
        }
        let canon = name.get(..7)?.to_ascii_uppercase();
        Some((ns * lat, ew * lon, canon))
    }
    let outer = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let inner_base = inner.map(|n| n.rsplit('/').next().unwrap_or(n).to_string());
    parse(&outer)
        .or_else(|| inner_base.as_deref().and_then(parse))
        .ok_or_else(|| {
            invalid(
                path,
                "the name does not give the tile's south-west corner (expected e.g. N42E001.hgt)",
            )
        })
}

fn hgt(path: &Path, bytes: &[u8], (lat, lon, canon): (i32, i32, String)) -> Result<Dem, DemError> {
    let n = if bytes.len() as u64 == HGT1_BYTES {
        3601
    } else if bytes.len() as u64 == HGT3_BYTES {
        1201
    } else {
        return check_hgt_len(path, bytes.len() as u64).and_then(|_| Err(not_a_dem(path)));
    };
    let mut values: Vec<f32> = bytes
        .chunks_exact(2)
        .map(|b| {
            let v = i16::from_be_bytes([b[0], b[1]]);
            // -32768 is SRTM's void; a sample beyond any real elevation (a corrupt or
            // foreign tile, found by the `dem` fuzz target) is one too.
            if v == i16::MIN || f32::from(v).abs() > MAX_ABS_ELEVATION_M {
                f32::NAN
            } else {
                f32::from(v)
            }
        })
        .collect();
    let step = 1.0 / (n - 1) as f64;
    let geom = RasterGeom {
        crs: Crs::Geographic { epsg: 4326 },
        x0: f64::from(lon),
        y0: f64::from(lat) + 1.0,
        dx: step,
        dy: step,
        width: n,
        height: n,
    };
    let voids = fill_voids(&mut values, n, n, MAX_FILL_NODES);
    // "SRTM1"/"SRTM3" (1 or 3 arc-seconds) as the data sets are named; ASCII, so every font
    // the app and the PDF use can show it.
    let arc = if n == 3601 { 1 } else { 3 };
    Ok(Dem {
        name: format!("SRTM{arc} {canon}"),
        geom,
        values,
        voids,
    })
}

fn hgt_zip<R: Read + Seek>(path: &Path, reader: R) -> Result<Dem, DemError> {
    let mut archive = zip::ZipArchive::new(reader)
        .map_err(|e| invalid(path, format!("not a readable zip archive: {e}")))?;
    let mut found = None;
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(i) else {
            continue;
        };
        let Ok(name) = entry.name() else {
            continue;
        };
        if name.to_ascii_lowercase().ends_with(".hgt") {
            let name: String = name.into_owned();
            found = Some((i, name, entry.size()));
            break;
        }
    }
    let Some((index, inner, declared)) = found else {
        return Err(invalid(path, "the zip archive holds no .hgt file"));
    };
    // The declared size is checked before reading, and the read is capped at it: a header
    // claiming gigabytes is refused, one claiming less than it holds cannot grow the buffer.
    check_hgt_len(path, declared).map_err(|e| match e {
        DemError::Invalid { path, message } => DemError::Invalid {
            path,
            message: format!("{inner} in the zip: {message}"),
        },
        other => other,
    })?;
    let corner = corner_of(path, Some(&inner))?;
    let entry = archive
        .by_index(index)
        .map_err(|e| invalid(path, format!("cannot read {inner} in the zip: {e}")))?;
    let mut bytes = Vec::with_capacity(declared as usize);
    entry
        .take(declared)
        .read_to_end(&mut bytes)
        .map_err(|e| invalid(path, format!("corrupt compressed data in {inner}: {e}")))?;
    if bytes.len() as u64 != declared {
        return Err(invalid(
            path,
            format!(
                "{inner} in the zip is truncated ({} of {declared} bytes)",
                bytes.len()
            ),
        ));
    }
    hgt(path, &bytes, corner)
}

// GeoTIFF keys (GeoTIFF 1.1 spec, section 7) and their values.
const GT_MODEL_TYPE: u16 = 1024;
const GT_RASTER_TYPE: u16 = 1025;
const GEOGRAPHIC_TYPE: u16 = 2048;
const PROJECTED_CS_TYPE: u16 = 3072;
const MODEL_PROJECTED: u16 = 1;
const MODEL_GEOGRAPHIC: u16 = 2;
const RASTER_PIXEL_IS_POINT: u16 = 2;
const USER_DEFINED: u16 = 32767;

/// The short-valued GeoKeys (the ones that matter here are all stored in the directory).
fn geo_keys(dir: &[u16]) -> Vec<(u16, u16)> {
    let count = dir.get(3).copied().unwrap_or(0) as usize;
    (0..count)
        .filter_map(|i| {
            let e = dir.get(4 + i * 4..8 + i * 4)?;
            // TIFFTagLocation 0: the value is in the entry itself.
            (e[1] == 0).then_some((e[0], e[3]))
        })
        .collect()
}

fn crs_name(epsg: u16) -> String {
    match epsg {
        3857 => "EPSG:3857 (Web Mercator)".to_string(),
        USER_DEFINED => "a user-defined CRS (no EPSG code)".to_string(),
        e => format!("EPSG:{e}"),
    }
}

fn geotiff<R: Read + Seek>(path: &Path, reader: R, limits: &DemLimits) -> Result<Dem, DemError> {
    use tiff::decoder::{Decoder, DecodingResult, Limits};
    use tiff::tags::Tag;
    let terr = |what: &str, e: tiff::TiffError| invalid(path, format!("{what}: {e}"));
    let mut tl = Limits::default();
    // Tags (GeoKeys, tie points) need a little room even under a tiny sample cap.
    tl.decoding_buffer_size = usize::try_from(limits.max_samples.saturating_mul(8))
        .unwrap_or(usize::MAX)
        .max(1 << 20);
    let mut dec = Decoder::new(reader)
        .map_err(|e| terr("not a readable TIFF", e))?
        .with_limits(tl);
    let (w, h) = dec.dimensions().map_err(|e| terr("bad TIFF header", e))?;
    let samples = u64::from(w) * u64::from(h);
    if samples > limits.max_samples {
        return Err(invalid(
            path,
            format!(
                "declares {w} × {h} samples, over the {} million-sample limit",
                limits.max_samples / 1_000_000
            ),
        ));
    }
    if w < 2 || h < 2 {
        return Err(invalid(
            path,
            format!("{w} × {h} samples is too small for a DEM"),
        ));
    }
    match dec.colortype() {
        Ok(tiff::ColorType::Gray(_)) => {}
        Ok(other) => {
            return Err(invalid(
                path,
                format!("not a single-band elevation model ({other:?})"),
            ));
        }
        Err(e) => return Err(terr("unsupported TIFF layout", e)),
    }
    let dir: Vec<u16> = match dec.find_tag_unsigned_vec(Tag::GeoKeyDirectoryTag) {
        Ok(Some(d)) => d,
        Ok(None) => {
            return Err(invalid(
                path,
                "no GeoTIFF georeferencing (GeoKeyDirectory tag 34735): not a GeoTIFF DEM",
            ));
        }
        Err(e) => return Err(terr("bad GeoKeyDirectory", e)),
    };
    let keys = geo_keys(&dir);
    let key = |k: u16| keys.iter().find(|(id, _)| *id == k).map(|(_, v)| *v);
    let code = match key(GT_MODEL_TYPE) {
        Some(MODEL_GEOGRAPHIC) => key(GEOGRAPHIC_TYPE),
        Some(MODEL_PROJECTED) => key(PROJECTED_CS_TYPE),
        _ => key(PROJECTED_CS_TYPE).or(key(GEOGRAPHIC_TYPE)),
    };
    let Some(code) = code else {
        return Err(invalid(
            path,
            "the GeoKeys name no EPSG coordinate system (a user-defined or missing CRS is not supported)",
        ));
    };
    let Some(crs) = Crs::from_epsg(code) else {
        return Err(invalid(
            path,
            format!(
                "unsupported coordinate system {}: only geographic WGS84/NAD83 (EPSG:4326, 4269, 4258) and UTM (EPSG:326zz, 327zz, 269zz) can be placed",
                crs_name(code)
            ),
        ));
    };
    let get_f64s = |dec: &mut Decoder<R>, tag: Tag| -> Result<Option<Vec<f64>>, DemError> {
        match dec.find_tag(tag) {
            Ok(Some(v)) => v
                .into_f64_vec()
                .map(Some)
                .map_err(|e| terr("bad georeferencing tag", e)),
            Ok(None) => Ok(None),
            Err(e) => Err(terr("bad georeferencing tag", e)),
        }
    };
    let scale = get_f64s(&mut dec, Tag::ModelPixelScaleTag)?;
    let tie = get_f64s(&mut dec, Tag::ModelTiepointTag)?;
    let (Some(scale), Some(tie)) = (scale, tie) else {
        return Err(invalid(
            path,
            "no ModelPixelScale/ModelTiepoint tags (a rotated ModelTransformation is not supported)",
        ));
    };
    let (Some(&sx), Some(&sy)) = (scale.first(), scale.get(1)) else {
        return Err(invalid(path, "ModelPixelScale has fewer than 2 values"));
    };
    let [ti, tj, _, tx, ty, ..] = tie[..] else {
        return Err(invalid(path, "ModelTiepoint has fewer than 6 values"));
    };
    if !(sx.is_finite() && sy.is_finite() && sx > 0.0 && sy > 0.0)
        || !(ti.is_finite() && tj.is_finite() && tx.is_finite() && ty.is_finite())
    {
        return Err(invalid(
            path,
            "the pixel size or tie point is not a positive finite number",
        ));
    }
    // Pixel-is-area rasters are tied at pixel corners; their nodes are the pixel centres.
    let half = if key(GT_RASTER_TYPE) == Some(RASTER_PIXEL_IS_POINT) {
        0.0
    } else {
        0.5
    };
    let geom = RasterGeom {
        crs,
        x0: tx + (half - ti) * sx,
        y0: ty - (half - tj) * sy,
        dx: sx,
        dy: sy,
        width: w as usize,
        height: h as usize,
    };
    if let Crs::Geographic { .. } = crs {
        let b = geom.bbox();
        if b.min_lat < -90.0 - sy
            || b.max_lat > 90.0 + sy
            || b.min_lon < -180.0 - sx
            || b.max_lon > 180.0 + sx
        {
            return Err(invalid(
                path,
                "the raster lies outside -90..90° latitude, -180..180° longitude",
            ));
        }
    } else {
        // A projected raster must lie where its transverse Mercator is defined: far from the
        // central meridian the inverse goes astray (the fuzzer found corners that came back
        // as no box at all). UTM is used within about 3° of it; a 40° span is generous.
        let b = geom.bbox();
        let sane = [b.min_lat, b.max_lat, b.min_lon, b.max_lon]
            .iter()
            .all(|v| v.is_finite())
            && b.min_lat <= b.max_lat
            && b.min_lon <= b.max_lon
            && b.min_lat >= -90.0
            && b.max_lat <= 90.0
            && b.max_lon - b.min_lon <= 40.0;
        if !sane {
            return Err(invalid(
                path,
                "the raster's corners lie outside the domain where its transverse Mercator holds",
            ));
        }
    }
    let nodata: Option<f64> = match dec.find_tag(Tag::GdalNodata) {
        Ok(Some(v)) => v
            .into_string()
            .ok()
            .and_then(|s| s.trim_matches(char::from(0)).trim().parse::<f64>().ok()),
        _ => None,
    };
    let image = dec.read_image().map_err(|e| {
        terr(
            "cannot decode the image data (corrupt or unsupported compression)",
            e,
        )
    })?;
    let mut values: Vec<f32> = match image {
        DecodingResult::I16(v) => v
            .into_iter()
            .map(|x| {
                if x == i16::MIN {
                    f32::NAN
                } else {
                    f32::from(x)
                }
            })
            .collect(),
        DecodingResult::U16(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::F32(v) => v,
        DecodingResult::I32(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::F64(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::U8(v) => v.into_iter().map(f32::from).collect(),
        _ => {
            return Err(invalid(
                path,
                "unsupported sample type (expected Int16, UInt16 or Float32)",
            ));
        }
    };
    if values.len() as u64 != samples {
        return Err(invalid(
            path,
            format!("decoded {} samples, expected {w} × {h}", values.len()),
        ));
    }
    for v in &mut values {
        let void = !v.is_finite()
            || nodata.is_some_and(|nd| f64::from(*v) == nd || (nd as f32) == *v)
            || v.abs() > MAX_ABS_ELEVATION_M;
        if void {
            *v = f32::NAN;
        }
    }
    let voids = fill_voids(&mut values, geom.width, geom.height, MAX_FILL_NODES);
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let res = geom.cell_m();
    let name = format!("{file} ({:.0} m, EPSG:{})", res, crs.epsg());
    Ok(Dem {
        name,
        geom,
        values,
        voids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hgt_bytes(n: usize, f: impl Fn(usize, usize) -> i16) -> Vec<u8> {
        let mut out = Vec::with_capacity(n * n * 2);
        for r in 0..n {
            for c in 0..n {
                out.extend_from_slice(&f(r, c).to_be_bytes());
            }
        }
        out
    }

    #[test]
    fn an_hgt_tile_is_placed_by_its_name() {
        let bytes = hgt_bytes(1201, |r, c| (r * 2 + c) as i16);
        let d = read_dem_bytes("S12W077.hgt", &bytes, &DemLimits::default()).unwrap();
        assert_eq!(d.name, "SRTM3 S12W077");
        assert_eq!((d.geom.x0, d.geom.y0), (-77.0, -11.0));
        assert_eq!((d.geom.width, d.geom.height), (1201, 1201));
        assert_eq!(d.values[1201 * 3 + 5], 11.0);
        assert_eq!(d.voids, VoidStats::default());
    }

    #[test]
    fn hgt_voids_are_nan_and_small_ones_filled() {
        let bytes = hgt_bytes(1201, |r, c| {
            if (r, c) == (10, 10) || r >= 600 {
                i16::MIN
            } else {
                100
            }
        });
        let d = read_dem_bytes("n42e001.hgt", &bytes, &DemLimits::default()).unwrap();
        assert_eq!(d.name, "SRTM3 N42E001");
        assert_eq!(d.values[10 * 1201 + 10], 100.0);
        assert!(d.values[700 * 1201].is_nan());
        assert_eq!(d.voids.filled, 1);
        assert_eq!(d.voids.left, 601 * 1201);
        assert!(d.values.iter().all(|v| *v != -32768.0));
    }

    #[test]
    fn hgt_samples_beyond_any_real_elevation_are_voids() {
        // fuzz: an .hgt.zip whose samples held -29439 was imported and answered -29439 m.
        let bytes = hgt_bytes(1201, |r, _| match r {
            0..=599 => -29_439,
            600 => 25_000,
            _ => 8_848,
        });
        let d = read_dem_bytes("N42E001.hgt", &bytes, &DemLimits::default()).unwrap();
        assert!(d.values[0].is_nan());
        assert!(d.values[1201 * 600].is_nan());
        assert_eq!(d.values[1201 * 700], 8_848.0);
        assert!(
            d.values
                .iter()
                .all(|v| v.is_nan() || v.abs() <= MAX_ABS_ELEVATION_M)
        );
    }

    #[test]
    fn bad_hgt_files_are_one_line_errors_naming_the_file() {
        let l = DemLimits::default();
        let good = hgt_bytes(1201, |_, _| 1);
        let cases: [(&str, &[u8], &str); 4] = [
            ("N42E001.hgt", &good[..1000], "truncated"),
            ("N42E001.hgt", &[0u8; 2 * 1500 * 1500], "neither 1201"),
            ("tile.hgt", &good, "south-west corner"),
            ("N95E001.hgt", &good, "south-west corner"),
        ];
        for (name, bytes, want) in cases {
            let e = read_dem_bytes(name, bytes, &l).unwrap_err().to_string();
            assert!(
                e.starts_with(name) && e.contains(want) && !e.contains('\n'),
                "{e}"
            );
        }
        let e = read_dem_bytes("notes.txt", b"hello", &l)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an elevation model"), "{e}");
    }

    fn zip_of(name: &str, data: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        // The zip crate here has no deflate encoder: store the entry, and build a deflated
        // one with flate2 through the raw-copy API is more than a test needs.
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            z.start_file(name, opts).unwrap();
            z.write_all(data).unwrap();
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn hgt_zip_reads_the_entry_and_checks_its_declared_size() {
        let bytes = hgt_bytes(1201, |r, _| r as i16);
        let z = zip_of("N42E001.hgt", &bytes);
        let d = read_dem_bytes("N42E001.hgt.zip", &z, &DemLimits::default()).unwrap();
        assert_eq!(d.values[1201 * 7], 7.0);
        // The corner may come from the entry when the zip was renamed.
        let d = read_dem_bytes("download.zip", &z, &DemLimits::default()).unwrap();
        assert_eq!(d.name, "SRTM3 N42E001");
        let short = zip_of("N42E001.hgt", &bytes[..5000]);
        let e = read_dem_bytes("N42E001.hgt.zip", &short, &DemLimits::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("N42E001.hgt in the zip") && e.contains("truncated"),
            "{e}"
        );
        let other = zip_of("readme.txt", b"x");
        let e = read_dem_bytes("x.hgt.zip", &other, &DemLimits::default()).unwrap_err();
        assert!(e.to_string().contains("no .hgt"), "{e}");
    }

    /// A minimal GeoTIFF written with the tiff crate's encoder: Int16, `w × h`, tags given.
    fn geotiff_i16(w: u32, h: u32, epsg_key: (u16, u16), nodata: Option<&str>) -> Vec<u8> {
        use tiff::encoder::{TiffEncoder, colortype};
        use tiff::tags::Tag;
        let mut buf = Cursor::new(Vec::new());
        {
            let mut enc = TiffEncoder::new(&mut buf).unwrap();
            let mut img = enc.new_image::<colortype::GrayI16>(w, h).unwrap();
            let model = if epsg_key.0 == GEOGRAPHIC_TYPE {
                2u16
            } else {
                1
            };
            let dir: Vec<u16> = vec![
                1,
                1,
                0,
                3, //
                GT_MODEL_TYPE,
                0,
                1,
                model, //
                GT_RASTER_TYPE,
                0,
                1,
                1, //
                epsg_key.0,
                0,
                1,
                epsg_key.1,
            ];
            let e = img.encoder();
            e.write_tag(Tag::GeoKeyDirectoryTag, &dir[..]).unwrap();
            if epsg_key.0 == GEOGRAPHIC_TYPE {
                e.write_tag(Tag::ModelPixelScaleTag, &[0.5f64, 0.25, 0.0][..])
                    .unwrap();
                e.write_tag(
                    Tag::ModelTiepointTag,
                    &[0.0f64, 0.0, 0.0, 10.0, 50.0, 0.0][..],
                )
                .unwrap();
            } else {
                e.write_tag(Tag::ModelPixelScaleTag, &[30.0f64, 30.0, 0.0][..])
                    .unwrap();
                e.write_tag(
                    Tag::ModelTiepointTag,
                    &[0.0f64, 0.0, 0.0, 376_313.655, 3_807_917.828, 0.0][..],
                )
                .unwrap();
            }
            if let Some(nd) = nodata {
                e.write_tag(Tag::GdalNodata, nd).unwrap();
            }
            let data: Vec<i16> = (0..w * h).map(|i| (i % 1000) as i16).collect();
            img.write_data(&data).unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn a_geographic_geotiff_is_placed_at_pixel_centres_with_nodata_void() {
        let t = geotiff_i16(4, 3, (GEOGRAPHIC_TYPE, 4326), Some("5"));
        let d = read_dem_bytes("dem.tif", &t, &DemLimits::default()).unwrap();
        assert_eq!(d.geom.crs, Crs::Geographic { epsg: 4326 });
        assert_eq!((d.geom.x0, d.geom.y0), (10.25, 49.875));
        // Value 5 is nodata: void, then filled from its neighbours (4 and 6 around it...).
        assert_eq!(d.voids.filled, 1);
        assert_eq!(d.values[0], 0.0);
        assert!(d.name.starts_with("dem.tif ("), "{}", d.name);
    }

    #[test]
    fn a_utm_geotiff_is_placed_and_other_crs_refused() {
        let t = geotiff_i16(5, 5, (PROJECTED_CS_TYPE, 32611), None);
        let d = read_dem_bytes("utm.tif", &t, &DemLimits::default()).unwrap();
        assert_eq!(d.geom.crs, Crs::from_epsg(32611).unwrap());
        assert_eq!((d.geom.x0, d.geom.y0), (376_328.655, 3_807_902.828));
        let t = geotiff_i16(5, 5, (PROJECTED_CS_TYPE, 3857), None);
        let e = read_dem_bytes("merc.tif", &t, &DemLimits::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("merc.tif: unsupported coordinate system EPSG:3857"),
            "{e}"
        );
        let t = geotiff_i16(5, 5, (PROJECTED_CS_TYPE, USER_DEFINED), None);
        let e = read_dem_bytes("u.tif", &t, &DemLimits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("user-defined"), "{e}");
    }

    #[test]
    fn a_geotiff_declaring_too_many_samples_is_refused_before_decoding() {
        let t = geotiff_i16(50, 40, (GEOGRAPHIC_TYPE, 4326), None);
        let e = read_dem_bytes("big.tif", &t, &DemLimits { max_samples: 1000 })
            .unwrap_err()
            .to_string();
        assert!(e.contains("50 × 40 samples"), "{e}");
        // Corrupt bytes after the header: a clear error, not a panic.
        let mut broken = t.clone();
        broken.truncate(broken.len() / 3);
        assert!(read_dem_bytes("cut.tif", &broken, &DemLimits::default()).is_err());
    }
}
