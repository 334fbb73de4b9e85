//! Horn hillshade of a [`Grid`], grey 0..=255 per node, as `gdaldem hillshade` computes it.
//!
//! Horn's 3 × 3 gradient, then Lambert shading for a light at `azimuth_deg` (clockwise from
//! north) and `altitude_deg` above the horizon: `1 + 254·cos(angle)`, and 1 where the slope
//! faces away from the light, so 0 is left for void (GDAL's nodata).
//! With [`HillshadeParams::multidirectional`] the light comes from 225°, 270°, 315° and 360°
//! weighted by the slope's aspect, as `gdaldem hillshade -multidirectional` (after Mark, 1992):
//! it keeps ridges readable on both sides where one light flattens slopes facing it.
//!
//! Not for colours or blending with the map: the scene decides how grey becomes ink.

use super::{Grid, M_PER_DEG};

/// The grey level of a void node (nothing to shade), as gdaldem's nodata.
pub const HILLSHADE_NODATA: u8 = 0;

/// How grid degrees become ground metres for the slope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HorizontalScale {
    /// True ground distances: a degree of latitude is [`M_PER_DEG`] metres and a degree of
    /// longitude that times the cosine of the row's latitude (what the eye expects).
    Ground,
    /// One factor for both axes, metres per degree, as `gdaldem -s 111120` (for comparison
    /// with GDAL; east-west slopes come out too gentle by cos(latitude)).
    Gdal(f64),
}

/// Light and exaggeration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HillshadeParams {
    /// Direction the light comes from, degrees clockwise from north (gdaldem: 315).
    pub azimuth_deg: f64,
    /// Height of the light above the horizon, degrees (gdaldem: 45).
    pub altitude_deg: f64,
    /// Vertical exaggeration (gdaldem `-z`: 1).
    pub z_factor: f64,
    /// Four lights weighted by aspect instead of one (gdaldem `-multidirectional`).
    pub multidirectional: bool,
    /// Degrees to metres.
    pub scale: HorizontalScale,
}

impl Default for HillshadeParams {
    fn default() -> Self {
        HillshadeParams {
            azimuth_deg: 315.0,
            altitude_deg: 45.0,
            z_factor: 1.0,
            multidirectional: false,
            scale: HorizontalScale::Ground,
        }
    }
}

/// The hillshade of `grid`: one grey level per node, row-major, row 0 north, the same size
/// as the grid. Edge nodes use their own row or column for the missing neighbours (gdaldem
/// `-compute_edges` extrapolates instead; the difference is confined to the outermost ring),
/// void neighbours take the centre node's value, and void nodes are [`HILLSHADE_NODATA`].
pub fn hillshade(grid: &Grid, params: &HillshadeParams) -> Vec<u8> {
    let (w, h) = (grid.width, grid.height);
    let mut out = vec![HILLSHADE_NODATA; w.saturating_mul(h)];
    if w == 0 || h == 0 || grid.values.len() != w * h {
        return out;
    }
    let alt = params.altitude_deg.to_radians();
    let az = params.azimuth_deg.to_radians();
    let z = params.z_factor;
    let (sin_alt, cos_alt) = alt.sin_cos();
    let (sin_az, cos_az) = az.sin_cos();
    let ns_m = match params.scale {
        HorizontalScale::Ground => grid.step_lat_deg * M_PER_DEG,
        HorizontalScale::Gdal(s) => grid.step_lat_deg * s,
    };
    let v = &grid.values;
    for r in 0..h {
        let lat = grid.north_lat - grid.step_lat_deg * r as f64;
        let ew_m = match params.scale {
            HorizontalScale::Ground => grid.step_lon_deg * M_PER_DEG * lat.to_radians().cos(),
            HorizontalScale::Gdal(s) => grid.step_lon_deg * s,
        };
        // gdaldem divides by 8·ewres and 8·nsres, nsres being negative (north-up).
        let inv_ew = z / (8.0 * ew_m.max(1e-9));
        let inv_ns = z / (8.0 * -ns_m.max(1e-9));
        let rows = [r.saturating_sub(1), r, (r + 1).min(h - 1)];
        for c in 0..w {
            let centre = v[r * w + c];
            if centre.is_nan() {
                continue;
            }
            let cols = [c.saturating_sub(1), c, (c + 1).min(w - 1)];
            // a b c / d e f / g h i, as in GDAL's afWin[0..9].
            let mut win = [0.0f64; 9];
            for (i, rr) in rows.iter().enumerate() {
                for (j, cc) in cols.iter().enumerate() {
                    let x = v[rr * w + cc];
                    win[i * 3 + j] = f64::from(if x.is_nan() { centre } else { x });
                }
            }
            let x = ((win[0] + 2.0 * win[3] + win[6]) - (win[2] + 2.0 * win[5] + win[8])) * inv_ew;
            let y = ((win[6] + 2.0 * win[7] + win[8]) - (win[0] + 2.0 * win[1] + win[2])) * inv_ns;
            let grey = if params.multidirectional {
                multidirectional(x, y, sin_alt, cos_alt)
            } else {
                let cang = (sin_alt - (y * cos_az * cos_alt - x * sin_az * cos_alt))
                    / (1.0 + x * x + y * y).sqrt();
                if cang <= 0.0 { 1.0 } else { 1.0 + 254.0 * cang }
            };
            out[r * w + c] = grey.round().clamp(1.0, 255.0) as u8;
        }
    }
    out
}

/// gdaldem's multidirectional shading: lights at 225°, 270°, 315° and 360°, weighted by how
/// squarely each faces the slope's aspect (weights sum to twice the squared gradient).
fn multidirectional(x: f64, y: f64, sin_alt: f64, cos_alt: f64) -> f64 {
    let xx_yy = x * x + y * y;
    if xx_yy <= 0.0 {
        return 1.0 + 254.0 * sin_alt;
    }
    let s2 = std::f64::consts::FRAC_1_SQRT_2;
    let norm = (1.0 + xx_yy).sqrt();
    // Lambert term for a light at azimuth a: (sin_alt − (y·cos a − x·sin a)·cos_alt)/norm.
    let shade =
        |sin_a: f64, cos_a: f64| ((sin_alt - (y * cos_a - x * sin_a) * cos_alt) / norm).max(0.0);
    let v225 = shade(-s2, -s2);
    let v270 = shade(-1.0, 0.0);
    let v315 = shade(-s2, s2);
    let v360 = shade(0.0, 1.0);
    let w225 = 0.5 * xx_yy - x * y;
    let w270 = x * x;
    let w315 = xx_yy - w225;
    let w360 = y * y;
    let cang = (w225 * v225 + w270 * v270 + w315 * v315 + w360 * v360) / xx_yy;
    1.0 + 127.0 * cang
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(f: impl Fn(usize, usize) -> f32) -> Grid {
        let (w, h) = (8, 8);
        let mut values = Vec::new();
        for r in 0..h {
            for c in 0..w {
                values.push(f(r, c));
            }
        }
        Grid {
            north_lat: 0.01,
            west_lon: 0.0,
            step_lat_deg: 30.0 / M_PER_DEG,
            step_lon_deg: 30.0 / M_PER_DEG,
            width: w,
            height: h,
            values,
        }
    }

    #[test]
    fn flat_ground_is_lit_by_the_altitude_alone() {
        let g = plane(|_, _| 100.0);
        let s = hillshade(&g, &HillshadeParams::default());
        // 1 + 254·sin 45° = 180.6.
        assert!(s.iter().all(|&v| v == 181), "{s:?}");
        let m = hillshade(
            &g,
            &HillshadeParams {
                multidirectional: true,
                ..HillshadeParams::default()
            },
        );
        assert!(m.iter().all(|&v| v == 181), "{m:?}");
    }

    #[test]
    fn slopes_facing_the_light_are_brighter() {
        // Rising to the south-east (away from a north-west light) faces the light: the
        // ground climbs towards the south-east, so its face looks north-west.
        let facing = plane(|r, c| (r + c) as f32 * 20.0);
        let away = plane(|r, c| -((r + c) as f32) * 20.0);
        let p = HillshadeParams::default();
        let lit = hillshade(&facing, &p)[3 * 8 + 3];
        let dark = hillshade(&away, &p)[3 * 8 + 3];
        assert!(lit > 181 && dark < 181, "{lit} {dark}");
        // A steep face turned from the light is 1, never 0 (0 is void).
        let cliff = plane(|r, c| -((r + c) as f32) * 500.0);
        assert_eq!(hillshade(&cliff, &p)[3 * 8 + 3], 1);
    }

    #[test]
    fn void_nodes_are_nodata_and_do_not_darken_neighbours() {
        let mut g = plane(|_, _| 100.0);
        g.values[3 * 8 + 3] = f32::NAN;
        let s = hillshade(&g, &HillshadeParams::default());
        assert_eq!(s[3 * 8 + 3], HILLSHADE_NODATA);
        assert_eq!(s[3 * 8 + 4], 181);
    }
}
