//! Contour lines from a [`Grid`], index contours, the interval for a map scale and label
//! positions along lines.
//!
//! Marching squares written here, in one pass over the grid for every level at once: each
//! cell is looked at once, and only the levels between its lowest and highest corner cost
//! anything (a page's cell crosses none or one). The `contour` crate (a d3-contour port) was
//! used before: it scans the whole grid once per level and traces closed rings around
//! everything above a level, which then had to be cut where they ran round the grid's edge
//! and voids; on a letter page at 1:100,000 from a 1″ tile (0.95 M nodes, 17 levels) that
//! took 131 ms on two cores against 20-odd here on one.
//!
//! Conventions, as `gdal_contour`'s: a node at or above a level is above it; points are
//! interpolated linearly along cell edges; a cell touching a void node (NaN) has no lines,
//! so lines stop at voids and at the grid's edge (open), and close where they come round;
//! a saddle cell is decided by the mean of its corners.
//!
//! Not for drawing: the scene chooses widths, colours and which labels fit.

use std::collections::HashMap;

use super::{Grid, M_PER_DEG};
use crate::core::model::LatLon;
use crate::core::units::M_PER_FT;

/// One contour line.
#[derive(Debug, Clone, PartialEq)]
pub struct Contour {
    /// Its level, metres.
    pub elevation_m: f64,
    /// An index contour (every `index_every`-th level, drawn heavier and labelled).
    pub index: bool,
    /// The line, in order; closed when the first point equals the last.
    pub line: Vec<LatLon>,
}

/// More levels than this in one grid means the interval is far too small for the relief; the
/// grid's lines would be unreadable and the tracing slow, so none are made.
const MAX_LEVELS: usize = 1000;

/// Contours of `grid` every `interval_m` metres (levels are multiples of it), every
/// `index_every`-th level (multiples of `interval_m × index_every`) an index contour.
/// Empty when the interval is not positive, the grid is all void or would need more than
/// [`MAX_LEVELS`] levels. Lines are in level order.
pub fn contours(grid: &Grid, interval_m: f64, index_every: u32) -> Vec<Contour> {
    let (w, h) = (grid.width, grid.height);
    if !(interval_m.is_finite() && interval_m > 0.0) || w < 2 || h < 2 || grid.values.len() != w * h
    {
        return Vec::new();
    }
    let Some((lo, hi)) = grid.min_max() else {
        return Vec::new();
    };
    let first = (f64::from(lo) / interval_m).ceil() as i64;
    let last = (f64::from(hi) / interval_m).floor() as i64;
    if last < first || (last - first) as usize >= MAX_LEVELS {
        return Vec::new();
    }
    let v = &grid.values;
    // Segments per level, as pairs of cell-edge ids (see `edge`).
    let mut segs: Vec<Vec<(u64, u64)>> = vec![Vec::new(); (last - first + 1) as usize];
    for r in 0..h - 1 {
        for c in 0..w - 1 {
            let i = r * w + c;
            let (tl, tr, bl, br) = (v[i], v[i + 1], v[i + w], v[i + w + 1]);
            let min = tl.min(tr).min(bl).min(br);
            let max = tl.max(tr).max(bl).max(br);
            // A cell with a void corner has no lines; a flat one crosses no level.
            if tl.is_nan() || tr.is_nan() || bl.is_nan() || br.is_nan() || min >= max {
                continue;
            }
            // Levels t with min < t <= max.
            let k0 = ((f64::from(min) / interval_m).floor() as i64 + 1).max(first);
            let k1 = ((f64::from(max) / interval_m).floor() as i64).min(last);
            let top = edge(r, c, false, w);
            let bottom = edge(r + 1, c, false, w);
            let left = edge(r, c, true, w);
            let right = edge(r, c + 1, true, w);
            for k in k0..=k1 {
                let t = (k as f64 * interval_m) as f32;
                let case = (u8::from(tl >= t) << 3)
                    | (u8::from(tr >= t) << 2)
                    | (u8::from(br >= t) << 1)
                    | u8::from(bl >= t);
                let out = &mut segs[(k - first) as usize];
                let centre_above = (tl + tr + bl + br) / 4.0 >= t;
                match case {
                    1 | 14 => out.push((left, bottom)),
                    2 | 13 => out.push((bottom, right)),
                    3 | 12 => out.push((left, right)),
                    4 | 11 => out.push((top, right)),
                    6 | 9 => out.push((top, bottom)),
                    7 | 8 => out.push((left, top)),
                    5 if centre_above => {
                        out.push((left, top));
                        out.push((bottom, right));
                    }
                    5 => {
                        out.push((top, right));
                        out.push((left, bottom));
                    }
                    10 if centre_above => {
                        out.push((top, right));
                        out.push((left, bottom));
                    }
                    10 => {
                        out.push((left, top));
                        out.push((bottom, right));
                    }
                    _ => {}
                }
            }
        }
    }
    let every = i64::from(index_every.max(1));
    let mut out = Vec::new();
    for (li, level) in segs.iter().enumerate() {
        let k = first + li as i64;
        let t = k as f64 * interval_m;
        let index = k.rem_euclid(every) == 0;
        for chain in chains(level) {
            let mut line: Vec<LatLon> = Vec::with_capacity(chain.len());
            for e in chain {
                let (x, y) = edge_point(grid, e, t as f32);
                let p = LatLon::new(
                    grid.north_lat - y * grid.step_lat_deg,
                    grid.west_lon + x * grid.step_lon_deg,
                );
                // A node exactly at the level gives the same point from both its edges.
                if line.last() != Some(&p) {
                    line.push(p);
                }
            }
            if line.len() >= 2 {
                out.push(Contour {
                    elevation_m: t,
                    index,
                    line,
                });
            }
        }
    }
    out
}

/// The id of the cell edge from node (r, c) east (`vertical` false) or south (true).
fn edge(r: usize, c: usize, vertical: bool, w: usize) -> u64 {
    ((r * w + c) as u64) << 1 | u64::from(vertical)
}

/// Where level `t` crosses edge `e`, in node coordinates (x = column, y = row).
fn edge_point(grid: &Grid, e: u64, t: f32) -> (f64, f64) {
    let w = grid.width;
    let n = (e >> 1) as usize;
    let (r, c) = (n / w, n % w);
    let vertical = e & 1 == 1;
    let a = grid.values[n];
    let b = if vertical {
        grid.values[n + w]
    } else {
        grid.values[n + 1]
    };
    let f = if b != a {
        f64::from((t - a) / (b - a)).clamp(0.0, 1.0)
    } else {
        0.5
    };
    if vertical {
        (c as f64, r as f64 + f)
    } else {
        (c as f64 + f, r as f64)
    }
}

/// Joins a level's segments into lines of edge ids: open lines from their ends first, then
/// the closed ones (first id repeated at the end).
fn chains(segs: &[(u64, u64)]) -> Vec<Vec<u64>> {
    // Each edge is shared by at most two cells, so by at most two segments.
    let mut at: HashMap<u64, [u32; 2]> = HashMap::with_capacity(segs.len() * 2);
    for (i, &(a, b)) in segs.iter().enumerate() {
        for e in [a, b] {
            let slot = at.entry(e).or_insert([u32::MAX; 2]);
            if slot[0] == u32::MAX {
                slot[0] = i as u32;
            } else {
                slot[1] = i as u32;
            }
        }
    }
    let mut used = vec![false; segs.len()];
    let mut out = Vec::new();
    let walk = |start: usize, from: u64, used: &mut Vec<bool>| -> Vec<u64> {
        let mut line = vec![from];
        let (mut seg, mut cur) = (start, from);
        loop {
            used[seg] = true;
            let (a, b) = segs[seg];
            let next = if a == cur { b } else { a };
            line.push(next);
            cur = next;
            let Some(&[s0, s1]) = at.get(&cur) else { break };
            let other = if s0 as usize == seg { s1 } else { s0 };
            if other == u32::MAX || used[other as usize] {
                break;
            }
            seg = other as usize;
        }
        line
    };
    // Open lines start at an edge only one segment touches (the grid's edge, a void).
    for (i, &(a, b)) in segs.iter().enumerate() {
        if used[i] {
            continue;
        }
        for e in [a, b] {
            if !used[i] && at.get(&e).is_some_and(|s| s[1] == u32::MAX) {
                out.push(walk(i, e, &mut used));
            }
        }
    }
    for i in 0..segs.len() {
        if !used[i] {
            out.push(walk(i, segs[i].0, &mut used));
        }
    }
    out
}

/// The contour interval for a map at `1:scale_denom` over ground whose relief (highest minus
/// lowest) is `relief_m`, in metres; a round number of feet when `imperial`.
///
/// The base follows the national series: USGS 40 ft at 1:24,000, 80 ft at 1:62,500, 200 ft at
/// 1:100,000, 400 ft at 1:250,000; metric series 10 m at 1:25,000, 20 m at 1:50,000, 50 m at
/// 1:100,000, 100 m at 1:250,000. Flat ground steps the interval down the ladder until the
/// relief shows at least 5 levels; very steep ground steps it up until there are at most
/// [`MAX_PAGE_LEVELS`],
/// so lines stay apart on paper.
pub fn contour_interval(scale_denom: u32, relief_m: f64, imperial: bool) -> f64 {
    const FT: [f64; 13] = [
        5.0, 10.0, 20.0, 40.0, 80.0, 100.0, 200.0, 400.0, 500.0, 1000.0, 2000.0, 4000.0, 5000.0,
    ];
    const M: [f64; 12] = [
        2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0,
    ];
    let s = scale_denom.max(1);
    let (ladder, unit): (&[f64], f64) = if imperial { (&FT, M_PER_FT) } else { (&M, 1.0) };
    let base = match (imperial, s) {
        (true, 0..=30_000) => 40.0,
        (true, 30_001..=75_000) => 80.0,
        (true, 75_001..=150_000) => 200.0,
        (true, 150_001..=350_000) => 400.0,
        (true, 350_001..=750_000) => 1000.0,
        (true, _) => 2000.0,
        (false, 0..=30_000) => 10.0,
        (false, 30_001..=75_000) => 20.0,
        (false, 75_001..=150_000) => 50.0,
        (false, 150_001..=350_000) => 100.0,
        (false, 350_001..=750_000) => 200.0,
        (false, _) => 500.0,
    };
    let mut i = ladder.iter().position(|&v| v == base).unwrap_or(0);
    let relief = if relief_m.is_finite() {
        relief_m.max(0.0)
    } else {
        0.0
    };
    let levels = |i: usize| relief / (ladder.get(i).copied().unwrap_or(base) * unit);
    // Step down at most two rungs for flat ground (still a round, printable interval).
    let floor = i.saturating_sub(2);
    while i > floor && relief > 0.0 && levels(i) < 5.0 {
        i -= 1;
    }
    while i + 1 < ladder.len() && levels(i) > MAX_PAGE_LEVELS {
        i += 1;
    }
    ladder.get(i).copied().unwrap_or(base) * unit
}

/// The most contour levels [`contour_interval`] allows over a page's relief (800 m of
/// mountain at 1:24,000 is 66 levels of 40 ft, which USGS sheets print).
pub const MAX_PAGE_LEVELS: f64 = 120.0;

/// Where to write a contour's elevation along it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContourLabel {
    /// The label's centre, on the line.
    pub at: LatLon,
    /// Direction of the line there, degrees counter-clockwise from east on the ground,
    /// turned into −90..=90 so text along it never reads upside down.
    pub angle_deg: f64,
    /// The level, metres.
    pub elevation_m: f64,
}

/// Label positions along the index contours of `lines`: on each line long enough to carry a
/// label (`clear_m`, the label's length on the ground), the first half a spacing in and then
/// every `spacing_m`, skipped where the line bends within the label's length (the chord over
/// `clear_m` shorter than 90 % of it), so text sits on a straight stretch.
pub fn contour_labels(lines: &[Contour], spacing_m: f64, clear_m: f64) -> Vec<ContourLabel> {
    let mut out = Vec::new();
    if !(spacing_m > 0.0 && clear_m > 0.0) {
        return out;
    }
    for c in lines.iter().filter(|c| c.index && c.line.len() >= 2) {
        // Local metres (equirectangular at the line's first point): enough over a label.
        let Some(o) = c.line.first().copied() else {
            continue;
        };
        let k = o.lat.to_radians().cos();
        let xy: Vec<(f64, f64)> = c
            .line
            .iter()
            .map(|p| ((p.lon - o.lon) * M_PER_DEG * k, (p.lat - o.lat) * M_PER_DEG))
            .collect();
        let mut chain = Vec::with_capacity(xy.len());
        let mut total = 0.0;
        chain.push(0.0);
        for s in xy.windows(2) {
            total += ((s[1].0 - s[0].0).powi(2) + (s[1].1 - s[0].1).powi(2)).sqrt();
            chain.push(total);
        }
        if total < clear_m {
            continue;
        }
        let at = |d: f64| -> (f64, f64) {
            let i = chain.partition_point(|&a| a < d).clamp(1, chain.len() - 1);
            let (a0, a1) = (chain[i - 1], chain[i]);
            let t = if a1 > a0 { (d - a0) / (a1 - a0) } else { 0.0 };
            let (p, q) = (xy[i - 1], xy[i]);
            (p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1))
        };
        let mut d = (spacing_m / 2.0).min(total / 2.0).max(clear_m / 2.0);
        while d + clear_m / 2.0 <= total + 1e-9 {
            let (a, b) = (at(d - clear_m / 2.0), at(d + clear_m / 2.0));
            let chord = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            if chord >= 0.9 * clear_m {
                let mut angle = (b.1 - a.1).atan2(b.0 - a.0).to_degrees();
                if angle > 90.0 {
                    angle -= 180.0;
                } else if angle <= -90.0 {
                    angle += 180.0;
                }
                let m = at(d);
                out.push(ContourLabel {
                    at: LatLon::new(o.lat + m.1 / M_PER_DEG, o.lon + m.0 / (M_PER_DEG * k)),
                    angle_deg: angle,
                    elevation_m: c.elevation_m,
                });
            }
            d += spacing_m;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cone(n: usize) -> Grid {
        // A cone 100 m high at the centre, falling 10 m per node outwards.
        let mid = (n / 2) as f64;
        let mut values = Vec::new();
        for r in 0..n {
            for c in 0..n {
                let d = ((r as f64 - mid).powi(2) + (c as f64 - mid).powi(2)).sqrt();
                values.push((100.0 - 10.0 * d) as f32);
            }
        }
        Grid {
            north_lat: 1.0,
            west_lon: 0.0,
            step_lat_deg: 0.001,
            step_lon_deg: 0.001,
            width: n,
            height: n,
            values,
        }
    }

    #[test]
    fn a_cone_has_closed_circles_at_each_level() {
        let g = cone(21);
        let cs = contours(&g, 20.0, 5);
        // Levels 0 (cut at the corners? no: 0 m is at distance 10, inside the 21-node grid),
        // 20, 40, 60, 80, 100 (a point).
        let levels: Vec<f64> = cs.iter().map(|c| c.elevation_m).collect();
        assert!(
            levels.contains(&80.0) && levels.contains(&20.0),
            "{levels:?}"
        );
        for c in cs.iter().filter(|c| c.elevation_m == 60.0) {
            assert_eq!(c.line.first(), c.line.last(), "closed");
            // Every point is 4 nodes (0.004°) from the centre, within interpolation error.
            for p in &c.line {
                let d = ((p.lat - 0.99).powi(2) + (p.lon - 0.01).powi(2)).sqrt();
                assert!((d - 0.004).abs() < 0.0003, "{d}");
            }
        }
        assert!(cs.iter().any(|c| c.index && c.elevation_m == 0.0));
        assert!(cs.iter().all(|c| c.index == (c.elevation_m % 100.0 == 0.0)));
    }

    #[test]
    fn rings_are_cut_at_the_grid_edge_and_at_voids() {
        // A plane rising east: each level is one straight north-south line, not a ring
        // closed around the grid's east side.
        let (w, h) = (10, 6);
        let mut values: Vec<f32> = (0..h)
            .flat_map(|_| (0..w).map(|c| c as f32 * 10.0))
            .collect();
        let g = Grid {
            north_lat: 1.0,
            west_lon: 0.0,
            step_lat_deg: 0.001,
            step_lon_deg: 0.001,
            width: w,
            height: h,
            values: values.clone(),
        };
        let cs = contours(&g, 25.0, 4);
        assert_eq!(cs.len(), 3, "{cs:?}");
        for c in &cs {
            let lon = c.elevation_m / 10.0 * 0.001;
            for p in &c.line {
                assert!((p.lon - lon).abs() < 1e-9, "{p:?} for {}", c.elevation_m);
                assert!(p.lat <= 1.0 + 1e-12 && p.lat >= 1.0 - 0.005 - 1e-12);
            }
            assert!(c.line.len() >= 2);
        }
        // A void across the middle row splits each line in two.
        for c in 0..w {
            values[3 * w + c] = f32::NAN;
        }
        let cut = contours(&Grid { values, ..g }, 25.0, 4);
        assert_eq!(cut.len(), 6, "{cut:?}");
        assert!(cut.iter().flat_map(|c| &c.line).all(|p| p.lat.is_finite()));
    }

    #[test]
    fn intervals_follow_the_series_and_the_relief() {
        let ft = |v: f64| v * M_PER_FT;
        assert_eq!(contour_interval(24_000, 800.0, true), ft(40.0));
        assert_eq!(contour_interval(100_000, 1000.0, true), ft(200.0));
        assert_eq!(contour_interval(100_000, 1000.0, false), 50.0);
        assert_eq!(contour_interval(50_000, 600.0, false), 20.0);
        // Flat: 60 m of relief at 1:100k shows 6 levels at 10 m rather than 1 at 50 m.
        assert_eq!(contour_interval(100_000, 30.0, false), 20.0);
        assert_eq!(contour_interval(24_000, 30.0, true), ft(10.0));
        // Himalayan relief at 1:24k: at most 120 levels.
        let big = contour_interval(24_000, 4000.0, false);
        assert!(4000.0 / big <= 120.0 && big == 50.0, "{big}");
        assert!(contour_interval(0, f64::NAN, false) > 0.0);
    }

    #[test]
    fn labels_sit_on_straight_stretches_and_read_upright() {
        // A straight east-west index contour 5 km long, drawn west to east and east to west.
        let line: Vec<LatLon> = (0..=50)
            .map(|i| LatLon::new(45.0, f64::from(i) * 0.00127))
            .collect();
        let mut back = line.clone();
        back.reverse();
        let cs = [
            Contour {
                elevation_m: 500.0,
                index: true,
                line,
            },
            Contour {
                elevation_m: 600.0,
                index: true,
                line: back,
            },
            Contour {
                elevation_m: 550.0,
                index: false,
                line: vec![LatLon::new(45.0, 0.0), LatLon::new(45.0, 0.1)],
            },
        ];
        let labels = contour_labels(&cs, 2000.0, 200.0);
        let at500: Vec<_> = labels.iter().filter(|l| l.elevation_m == 500.0).collect();
        // 5 km of line, a label every 2 km from 1 km in.
        assert_eq!(at500.len(), 2, "{labels:?}");
        assert!(labels.iter().all(|l| l.angle_deg.abs() < 1e-6));
        assert!(labels.iter().all(|l| l.elevation_m != 550.0));
        // A hairpin tighter than the label gets none at the bend.
        let hairpin = vec![
            LatLon::new(45.0, 0.0),
            LatLon::new(45.0, 0.001),
            LatLon::new(45.0005, 0.001),
            LatLon::new(45.0005, 0.0),
        ];
        let hp = [Contour {
            elevation_m: 1.0,
            index: true,
            line: hairpin,
        }];
        assert!(contour_labels(&hp, 100.0, 150.0).is_empty());
    }
}
