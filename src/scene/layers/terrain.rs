//! The terrain layer: shaded relief and contour lines (index contours heavier and labelled)
//! from an elevation model, for a page or the screen. The products themselves (Horn
//! hillshade, contours at an interval chosen from scale and relief, label spots) come from
//! `core::terrain::TerrainTile`; this layer only places them in the frame: the hillshade
//! resampled from the model's geographic grid into the frame's projection as one raster,
//! the contours clipped and simplified like any line.

use std::sync::Arc;

use crate::core::model::LatLon;
use crate::core::terrain::cache::TerrainTile;
use crate::core::units::M_PER_FT;
use crate::scene::{Item, Raster, Scene, theme};

use super::{DrawnMap, LabelRank, LegendEntry, MapFrame, MapLayers, turned};

/// Grey level of flat ground under a 45° light (255 · sin 45°): no shade, no light.
const FLAT_GREY: f64 = 180.0;
/// Hillshade raster resolution bounds, pixels per frame mm.
const MIN_PX_PER_MM: f64 = 1.0;
const MAX_PX_PER_MM: f64 = 4.0;
/// Contours are drawn down to this scale (1:500,000, the atlas's smallest).
const CONTOURS_MAX_SCALE: f64 = 500_000.0;
/// World positions are computed exactly every this many pixels and interpolated between.
const GRID_PX: usize = 8;

/// Where the frame gets its terrain: the model's products over a box at a scale.
pub trait TerrainSource: std::fmt::Debug {
    /// Hillshade and contours over `bbox` for `1:scale_denom` (contour intervals in feet when
    /// `imperial`), `None` where there is no model.
    fn terrain(
        &self,
        bbox: &crate::core::model::BBox,
        scale_denom: u32,
        imperial: bool,
    ) -> Option<Arc<TerrainTile>>;
}

/// Draws the hillshade (when on) and the contours (when on) of `tile` into `scene`, and
/// offers the index contours' values as labels.
pub fn draw(
    frame: &MapFrame<'_>,
    tile: &TerrainTile,
    layers: &MapLayers,
    scene: &mut Scene,
    drawn: &mut DrawnMap,
) {
    if layers.hillshade
        && let Some(raster) = hillshade_raster(frame, tile)
    {
        scene.items.push(Item::Image {
            rect: frame.clip,
            raster,
        });
    }
    // Smaller than 1:500,000 (a whole state on screen) contours would be a grey mat, and
    // the screen's costliest layer to build: relief is the hillshade's alone there.
    if !layers.contours || frame.scale_denom > CONTOURS_MAX_SCALE {
        return;
    }
    let mut any = false;
    for c in &tile.contours {
        let stroke = if c.index {
            theme::CONTOUR_INDEX
        } else {
            theme::CONTOUR
        };
        for run in frame.lines(&c.line) {
            any = true;
            scene.items.push(Item::Polyline {
                points: run,
                stroke,
            });
        }
    }
    if any {
        drawn.legend.insert(LegendEntry::Contours);
    }
    for l in &tile.labels {
        if !frame.window.contains(l.at) {
            continue;
        }
        let q = frame.proj.mm_from_world(l.at);
        if !frame.bounds.contains(q) {
            continue;
        }
        // The line's direction on the frame: project a point a little along it.
        let (s, c) = l.angle_deg.to_radians().sin_cos();
        let d = 1e-4;
        let ahead = LatLon::new(
            l.at.lat + d * s,
            l.at.lon + d * c / l.at.lat.to_radians().cos().max(0.01),
        );
        let q2 = frame.proj.mm_from_world(ahead);
        let mut angle = (q2[1] - q[1]).atan2(q2[0] - q[0]).to_degrees();
        if angle > 90.0 {
            angle -= 180.0;
        } else if angle < -90.0 {
            angle += 180.0;
        }
        let value = if frame.imperial {
            l.elevation_m / M_PER_FT
        } else {
            l.elevation_m
        };
        let rounded = value.round();
        let text = if rounded < 0.0 {
            format!("-{}", crate::core::units::thousands(rounded.abs() as u64))
        } else {
            crate::core::units::thousands(rounded as u64)
        };
        drawn.labels.push(
            LabelRank::Contour,
            0.0,
            vec![vec![turned(&text, q, angle, theme::CONTOUR_LABEL)]],
        );
    }
}

/// Bilinear between the four hillshade grey levels around (column, row); `None` outside.
/// (The model's own `bilinear` works on f32 elevations: converting the whole tile's grey
/// levels for it cost more than the resampling, every frame.)
fn grey_at(grey: &[u8], width: usize, height: usize, col: f64, row: f64) -> Option<f64> {
    if !(col >= 0.0 && row >= 0.0) {
        return None;
    }
    let (c0, r0) = (col.floor() as usize, row.floor() as usize);
    if c0 + 1 >= width || r0 + 1 >= height {
        // On the last column or row itself: that node's value.
        let (c, r) = (col.round() as usize, row.round() as usize);
        return (c < width
            && r < height
            && (col - c as f64).abs() < 1e-6
            && (row - r as f64).abs() < 1e-6)
            .then(|| grey.get(r * width + c).map(|v| f64::from(*v)))
            .flatten();
    }
    let (tx, ty) = (col - c0 as f64, row - r0 as f64);
    let at = |c: usize, r: usize| grey.get(r * width + c).map(|v| f64::from(*v));
    let (a, b, c, d) = (
        at(c0, r0)?,
        at(c0 + 1, r0)?,
        at(c0, r0 + 1)?,
        at(c0 + 1, r0 + 1)?,
    );
    Some((a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty)
}

/// The hillshade resampled into the frame: black where slopes face away from the light,
/// white where they face it, transparent on flat ground, so land tints show through.
fn hillshade_raster(frame: &MapFrame<'_>, tile: &TerrainTile) -> Option<Arc<Raster>> {
    let g = &tile.grid;
    if g.width < 2 || g.height < 2 || tile.hillshade.len() != g.width * g.height {
        return None;
    }
    let cell_mm: f64 =
        (g.step_lat_deg * crate::core::terrain::M_PER_DEG) / (frame.scale_denom / 1000.0);
    let ppm = (frame.raster_px_per_cell / cell_mm.max(1e-6)).clamp(MIN_PX_PER_MM, MAX_PX_PER_MM);
    let r = frame.clip;
    let w = (r.w * ppm).round().max(1.0) as usize;
    let h = (r.h * ppm).round().max(1.0) as usize;
    let max_alpha = f64::from(theme::HILLSHADE_MAX_ALPHA);
    let rgba = super::resample_frame(
        frame.proj,
        &r,
        ppm,
        (w, h),
        GRID_PX,
        |p| {
            (
                (p.lon - g.west_lon) / g.step_lon_deg,
                (g.north_lat - p.lat) / g.step_lat_deg,
            )
        },
        |col, row| {
            let grey = grey_at(&tile.hillshade, g.width, g.height, col, row)?;
            // Void nodes are 0 in the hillshade: leave them clear rather than black.
            if grey < 1.0 {
                None
            } else if grey < FLAT_GREY {
                let alpha = ((FLAT_GREY - grey) / FLAT_GREY * max_alpha * 1.6).min(max_alpha);
                Some([0, 0, 0, alpha as u8])
            } else {
                let alpha = ((grey - FLAT_GREY) / (255.0 - FLAT_GREY) * max_alpha * 0.6).min(255.0);
                Some([255, 255, 255, alpha as u8])
            }
        },
    )?;
    let key = {
        use std::hash::{Hash as _, Hasher as _};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for v in [
            r.x,
            r.y,
            r.w,
            r.h,
            g.north_lat,
            g.west_lon,
            frame.scale_denom,
        ] {
            v.to_bits().hash(&mut hasher);
        }
        let c = frame.proj.world_from_mm([r.x, r.y]);
        c.lat.to_bits().hash(&mut hasher);
        c.lon.to_bits().hash(&mut hasher);
        hasher.finish()
    };
    Raster::new(w as u32, h as u32, rgba, key).map(Arc::new)
}
