//! The tactical overview of a route: the route cut into sections (a day's drive each, or at
//! the fuel stops), and for each its length, surface mix, climb, highest point, fuel, camps,
//! water, fords and gates, and the warnings a driver must read before leaving: "fill up at
//! Sisters: next fuel in 148 mi", "no campground for 48 mi".
//!
//! Pure: the caller gives the route's chainage and elevations, its matched stretches (or none
//! without a map) and the stops passed, in route order.

use super::logistics::elevation_stats;
use super::map::Road;
use super::matching::Stretch;
use super::model::{LatLon, WaypointKind};
use super::roadbook::{Breakdown, SurfaceClass, breakdown};
use super::units::Units;

/// A waypoint or OSM POI the route passes.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    /// The waypoint (OSM POIs have negative ids).
    pub id: super::model::WaypointId,
    /// Chainage of the pass, metres.
    pub at_m: f64,
    /// Its kind.
    pub kind: WaypointKind,
    /// Its name, or its kind when it has none.
    pub name: String,
}

/// Passes of one waypoint closer than this along the route are one visit, metres.
pub const STOP_REPEAT_M: f64 = 5_000.0;

/// The stops of a route from its waypoint passes (sorted by chainage), named by `name` (the
/// kind when it gives none). A route that winds within the corridor passes a waypoint again
/// and again: a pass within [`STOP_REPEAT_M`] of the same waypoint's last pass is the same
/// visit and left out.
pub fn stops_from_passes(
    passes: impl IntoIterator<Item = super::along::Pass>,
    name: impl Fn(super::model::WaypointId) -> Option<String>,
) -> Vec<Stop> {
    let mut last: std::collections::HashMap<super::model::WaypointId, f64> =
        std::collections::HashMap::new();
    passes
        .into_iter()
        .filter(|p| {
            let again = last
                .get(&p.id)
                .is_some_and(|&at| p.along_m - at < STOP_REPEAT_M);
            last.insert(p.id, p.along_m);
            !again
        })
        .map(|p| Stop {
            id: p.id,
            at_m: p.along_m,
            kind: p.kind,
            name: name(p.id).unwrap_or_else(|| p.kind.as_str().to_string()),
        })
        .collect()
}

/// What the overview is checked against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverviewParams {
    /// Range on a full tank, metres.
    pub range_m: Option<f64>,
    /// Share kept in reserve, 0..1.
    pub reserve: f64,
    /// A day's drive, metres: sections are days when given.
    pub day_m: Option<f64>,
    /// Units of the warnings' text.
    pub units: Units,
    /// Elevation noise threshold for climb, metres.
    pub noise_m: f64,
}

impl Default for OverviewParams {
    fn default() -> Self {
        OverviewParams {
            range_m: None,
            reserve: 0.0,
            day_m: None,
            units: Units::Metric,
            noise_m: super::logistics::DEFAULT_NOISE_M,
        }
    }
}

/// One section of the overview.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Chainage of its start, metres.
    pub from_m: f64,
    /// Chainage of its end, metres.
    pub to_m: f64,
    /// Metres per surface class.
    pub surface: Breakdown,
    /// Climb and descent, metres (`None` without elevations).
    pub climb_m: Option<f64>,
    /// Descent, metres.
    pub descent_m: Option<f64>,
    /// Highest point: (chainage, elevation), metres.
    pub highest: Option<(f64, f64)>,
    /// Fuel stops passed.
    pub fuel: Vec<Stop>,
    /// Campgrounds passed.
    pub camps: Vec<Stop>,
    /// Water passed.
    pub water: Vec<Stop>,
    /// Fords: OSM ford nodes and hazards named so, and fords on the roads.
    pub fords: Vec<f64>,
    /// Gates passed.
    pub gates: Vec<f64>,
    /// Longest stretch inside the section without a campground, metres.
    pub longest_without_camp_m: f64,
    /// Longest fuel gap that starts or ends in the section, metres.
    pub longest_fuel_gap_m: f64,
    /// Longest stretch inside the section with no flat ground to camp on, metres (`None`
    /// without an elevation model).
    pub longest_without_flat_m: Option<f64>,
    /// What the driver must know, in words.
    pub warnings: Vec<String>,
}

/// The overview.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    /// Route length, metres.
    pub length_m: f64,
    /// Metres per surface class over the whole route.
    pub surface: Breakdown,
    /// Sections in route order.
    pub sections: Vec<Section>,
    /// Warnings about the whole route (the longest fuel gap beyond range, ...).
    pub warnings: Vec<String>,
    /// Elevation profile for drawing: (chainage, elevation), at most about 600 points.
    pub profile: Vec<(f64, f64)>,
    /// Every stop, in route order (for ticks on the profile).
    pub stops: Vec<Stop>,
}

/// The input of [`Overview::compute`].
#[derive(Debug, Clone, Copy)]
pub struct OverviewInput<'a> {
    /// Chainage of each route vertex, metres.
    pub chainage_m: &'a [f64],
    /// Elevation of each vertex, metres.
    pub elevations_m: &'a [Option<f64>],
    /// Matched stretches covering the route (empty = no map: all off the map).
    pub stretches: &'a [Stretch],
    /// The roads the stretches index.
    pub roads: &'a [Road],
    /// Stops passed, sorted by `at_m`.
    pub stops: &'a [Stop],
    /// Chainages where the ground beside the route is flat enough to camp ([`flat_spots`]),
    /// sorted; `None` when unknown (no elevation model).
    pub flat_at_m: Option<&'a [f64]>,
}

/// Fuel gaps longer than this share of the usable range get a "fill up" warning.
const FILL_UP_SHARE: f64 = 0.5;
/// Without a range: fuel gaps longer than this get a "fill up" warning, metres (100 mi).
const FILL_UP_DEFAULT_M: f64 = 160_934.4;
/// Without a day's drive: stretches without a campground longer than this are told, metres.
const CAMP_GAP_DEFAULT_M: f64 = 80_000.0;
/// Stretches with no flat ground longer than this are told, metres (10 mi).
const FLAT_GAP_M: f64 = 16_093.44;
/// Ground at most this steep (rise over run) is flat enough to pitch a tent or park level.
pub const FLAT_SLOPE: f64 = 0.08;
/// How often the ground beside the route is probed for flat spots, metres.
pub const FLAT_PROBE_EVERY_M: f64 = 250.0;
/// Half the baseline of a slope probe, metres (about one 3″ SRTM cell each side).
const FLAT_PROBE_HALF_M: f64 = 45.0;

/// Sections cut at fuel stops closer than this are merged, metres.
const MIN_SECTION_M: f64 = 15_000.0;

fn is_ford(s: &Stop) -> bool {
    s.kind == WaypointKind::Hazard && s.name.to_lowercase().contains("ford")
}

impl Overview {
    /// Computes the overview.
    pub fn compute(input: OverviewInput<'_>, p: &OverviewParams) -> Overview {
        let length_m = input.chainage_m.last().copied().unwrap_or(0.0);
        let u = p.units;
        let stretches: Vec<Stretch> = if input.stretches.is_empty() {
            vec![Stretch {
                from_m: 0.0,
                to_m: length_m,
                road: None,
                turn_deg: None,
            }]
        } else {
            input.stretches.to_vec()
        };
        let usable = p.range_m.map(|r| r * (1.0 - p.reserve));
        let fuel: Vec<&Stop> = input
            .stops
            .iter()
            .filter(|s| s.kind == WaypointKind::Fuel)
            .collect();
        let camps: Vec<f64> = input
            .stops
            .iter()
            .filter(|s| s.kind == WaypointKind::Campground)
            .map(|s| s.at_m)
            .collect();
        // Fords on the roads: where a ford way starts.
        let mut road_fords: Vec<f64> = stretches
            .iter()
            .filter(|s| {
                s.road
                    .and_then(|r| input.roads.get(r as usize))
                    .is_some_and(|r| r.ford)
            })
            .map(|s| 0.5 * (s.from_m + s.to_m))
            .collect();
        road_fords.extend(input.stops.iter().filter(|s| is_ford(s)).map(|s| s.at_m));
        road_fords.sort_by(f64::total_cmp);
        road_fords.dedup_by(|a, b| (*a - *b).abs() < 100.0);

        let cuts = section_cuts(length_m, p.day_m, &fuel, &camps);
        // Fuel gaps over the route: (from name, from_m, to_m).
        let mut gaps: Vec<(Option<&str>, f64, f64)> = Vec::new();
        let mut at = (None, 0.0);
        for f in &fuel {
            gaps.push((at.0, at.1, f.at_m));
            at = (Some(f.name.as_str()), f.at_m);
        }
        gaps.push((at.0, at.1, length_m));
        let fill_up_m = usable.map_or(FILL_UP_DEFAULT_M, |r| FILL_UP_SHARE * r);
        let camp_limit = p.day_m.map_or(CAMP_GAP_DEFAULT_M, |d| 0.5 * d);

        let mut sections = Vec::new();
        for w in cuts.windows(2) {
            let (from_m, to_m) = (w[0], w[1]);
            let in_sec = |x: f64| x >= from_m && (x < to_m || (to_m >= length_m && x <= to_m));
            let pick = |k: WaypointKind| -> Vec<Stop> {
                input
                    .stops
                    .iter()
                    .filter(|s| s.kind == k && in_sec(s.at_m))
                    .cloned()
                    .collect()
            };
            let (i0, i1) = vertex_range(input.chainage_m, from_m, to_m);
            let eles = &input.elevations_m
                [i0.min(input.elevations_m.len())..i1.min(input.elevations_m.len())];
            let e = elevation_stats(eles.iter().copied(), p.noise_m);
            let highest = eles
                .iter()
                .enumerate()
                .filter_map(|(k, e)| e.filter(|v| v.is_finite()).map(|v| (k, v)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(k, v)| (input.chainage_m[i0 + k], v));
            let surface = breakdown(&stretches, input.roads, from_m, to_m);
            let sec_fuel = pick(WaypointKind::Fuel);
            let sec_camps = pick(WaypointKind::Campground);
            let mut water = pick(WaypointKind::Water);
            water.dedup_by(|a, b| (a.at_m - b.at_m).abs() < 200.0);
            let gates: Vec<f64> = pick(WaypointKind::Gate).iter().map(|s| s.at_m).collect();
            let fords: Vec<f64> = road_fords.iter().copied().filter(|&x| in_sec(x)).collect();
            let longest_without_camp_m = {
                let mut edges = vec![from_m];
                edges.extend(sec_camps.iter().map(|s| s.at_m));
                edges.push(to_m);
                edges.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max)
            };
            let longest_without_flat_m = input.flat_at_m.map(|flat| {
                let mut edges = vec![from_m];
                edges.extend(flat.iter().copied().filter(|&x| in_sec(x)));
                edges.push(to_m);
                edges.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max)
            });
            let mut warnings = Vec::new();
            let mut longest_fuel_gap_m: f64 = 0.0;
            for &(name, a, b) in &gaps {
                if b <= from_m || a >= to_m {
                    continue;
                }
                longest_fuel_gap_m = longest_fuel_gap_m.max(b - a);
                // Warn in the section where the gap begins.
                if !(in_sec(a) || a == 0.0 && from_m == 0.0) {
                    continue;
                }
                let gap = b - a;
                let beyond = usable.is_some_and(|r| gap > r);
                if gap <= fill_up_m && !beyond {
                    continue;
                }
                let what = if b >= length_m {
                    "no more fuel on the route".to_string()
                } else {
                    format!("next fuel in {}", u.long(gap))
                };
                let mut w = match name {
                    Some(n) => format!("fill up at {n}: {what}"),
                    None if b >= length_m => "no fuel on the whole route: start full".to_string(),
                    None => format!("start with a full tank: first fuel in {}", u.long(gap)),
                };
                if beyond && let Some(r) = usable {
                    w.push_str(&format!(
                        " (beyond your usable range of {}: carry fuel)",
                        u.long(r)
                    ));
                }
                warnings.push(w);
            }
            if longest_without_camp_m > camp_limit {
                warnings.push(format!(
                    "no campground for {}",
                    u.long(longest_without_camp_m)
                ));
            }
            if let Some(g) = longest_without_flat_m
                && g > FLAT_GAP_M
            {
                warnings.push(format!("no flat ground to camp for {}", u.long(g)));
            }
            let track = surface.get(SurfaceClass::Track);
            if track > 0.0 {
                let hard: f64 = surface.track_grade_m[4] + surface.track_grade_m[5];
                let mut w = format!("{} of 4x4 track", u.long(track));
                if hard > 0.0 {
                    w.push_str(&format!(" ({} of it grade 4-5)", u.long(hard)));
                }
                warnings.push(w);
            }
            let off = surface.get(SurfaceClass::OffMap);
            if off > 0.0 && !input.stretches.is_empty() {
                warnings.push(format!("{} not on any road of the map", u.long(off)));
            }
            if !fords.is_empty() {
                warnings.push(format!(
                    "{} ford{}",
                    fords.len(),
                    if fords.len() == 1 { "" } else { "s" }
                ));
            }
            if !gates.is_empty() {
                warnings.push(format!(
                    "{} gate{}",
                    gates.len(),
                    if gates.len() == 1 { "" } else { "s" }
                ));
            }
            if water.is_empty() && to_m - from_m > 50_000.0 {
                warnings.push("no water point known: carry water".to_string());
            }
            sections.push(Section {
                from_m,
                to_m,
                surface,
                climb_m: e.gain_m,
                descent_m: e.loss_m,
                highest,
                fuel: sec_fuel,
                camps: sec_camps,
                water,
                fords,
                gates,
                longest_without_camp_m,
                longest_fuel_gap_m,
                longest_without_flat_m,
                warnings,
            });
        }
        let mut warnings = Vec::new();
        if let Some(r) = usable
            && let Some(&(name, a, b)) = gaps
                .iter()
                .max_by(|x, y| (x.2 - x.1).total_cmp(&(y.2 - y.1)))
            && b - a > r
        {
            warnings.push(format!(
                "longest fuel gap {} (from {}) is beyond your usable range of {}",
                u.long(b - a),
                name.unwrap_or("the start"),
                u.long(r)
            ));
        }
        Overview {
            length_m,
            surface: breakdown(&stretches, input.roads, 0.0, length_m),
            sections,
            warnings,
            profile: profile(input.chainage_m, input.elevations_m, 600),
            stops: input.stops.to_vec(),
        }
    }
}

/// Where to probe the ground for flat spots: every [`FLAT_PROBE_EVERY_M`] along the route
/// (`points` with `chainage_m`), five points each (the spot, then east, west, north and south
/// of it); returns the probes' chainages and the points, for the caller to look up in the
/// elevation model and give to [`flat_spots`].
pub fn flat_probes(points: &[LatLon], chainage_m: &[f64]) -> (Vec<f64>, Vec<LatLon>) {
    let mut at = Vec::new();
    let mut probes = Vec::new();
    let mut next = 0.0;
    for (i, p) in points.iter().enumerate() {
        let Some(&c) = chainage_m.get(i) else { break };
        if c < next {
            continue;
        }
        next = c + FLAT_PROBE_EVERY_M;
        let dlat = FLAT_PROBE_HALF_M / 111_319.49;
        let dlon = dlat / p.lat.to_radians().cos().max(0.01);
        at.push(c);
        probes.extend([
            *p,
            LatLon::new(p.lat, p.lon + dlon),
            LatLon::new(p.lat, p.lon - dlon),
            LatLon::new(p.lat + dlat, p.lon),
            LatLon::new(p.lat - dlat, p.lon),
        ]);
    }
    (at, probes)
}

/// The chainages of [`flat_probes`] where the ground is at most [`FLAT_SLOPE`] steep, from
/// the probes' elevations (five per chainage, in the order given; a probe without an
/// elevation makes its spot unknown, not flat).
pub fn flat_spots(at_m: &[f64], elevations: &[Option<f64>]) -> Vec<f64> {
    at_m.iter()
        .zip(elevations.chunks_exact(5))
        .filter_map(|(&c, e)| {
            let [_, Some(east), Some(west), Some(north), Some(south)] = *e else {
                return None;
            };
            let span = 2.0 * FLAT_PROBE_HALF_M;
            let slope = ((east - west) / span).hypot((north - south) / span);
            (slope <= FLAT_SLOPE).then_some(c)
        })
        .collect()
}

/// Section boundaries from 0 to the end: by days (ending at the campground nearest the
/// day's end, within a quarter day) when `day_m` is given, else at fuel stops (merging
/// sections under [`MIN_SECTION_M`]), else the whole route.
fn section_cuts(length_m: f64, day_m: Option<f64>, fuel: &[&Stop], camps: &[f64]) -> Vec<f64> {
    let mut cuts = vec![0.0];
    match day_m {
        Some(day) if day > 0.0 => {
            let mut at = 0.0;
            while length_m - at > day * 1.25 {
                let target = at + day;
                let near = camps
                    .iter()
                    .copied()
                    .filter(|c| (c - target).abs() <= 0.25 * day && *c > at)
                    .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()));
                at = near.unwrap_or(target);
                cuts.push(at);
            }
        }
        _ => {
            for f in fuel {
                let last = *cuts.last().unwrap_or(&0.0);
                if f.at_m - last >= MIN_SECTION_M && length_m - f.at_m >= MIN_SECTION_M {
                    cuts.push(f.at_m);
                }
            }
        }
    }
    cuts.push(length_m);
    cuts
}

/// Vertex indices whose chainage lies in `from..=to` (extended by one each side).
fn vertex_range(ch: &[f64], from: f64, to: f64) -> (usize, usize) {
    let a = ch.partition_point(|&c| c < from).saturating_sub(1);
    let b = (ch.partition_point(|&c| c <= to) + 1).min(ch.len());
    (a, b)
}

/// The profile thinned to about `max` points, keeping each bucket's highest and lowest.
fn profile(ch: &[f64], ele: &[Option<f64>], max: usize) -> Vec<(f64, f64)> {
    let pts: Vec<(f64, f64)> = ch
        .iter()
        .zip(ele)
        .filter_map(|(&c, e)| e.filter(|v| v.is_finite()).map(|v| (c, v)))
        .collect();
    if pts.len() <= max {
        return pts;
    }
    let per = pts.len().div_ceil(max / 2);
    let mut out = Vec::with_capacity(max + 2);
    for chunk in pts.chunks(per) {
        let lo = chunk.iter().min_by(|a, b| a.1.total_cmp(&b.1));
        let hi = chunk.iter().max_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some(&lo), Some(&hi)) = (lo, hi) {
            if lo.0 <= hi.0 {
                out.push(lo);
                out.push(hi);
            } else {
                out.push(hi);
                out.push(lo);
            }
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::units::Units;

    fn stop(id: i64, at_m: f64, kind: WaypointKind, name: &str) -> Stop {
        Stop {
            id,
            at_m,
            kind,
            name: name.into(),
        }
    }

    #[test]
    fn fuel_gaps_beyond_range_say_where_to_fill_up() {
        let ch: Vec<f64> = (0..=400).map(|i| f64::from(i) * 1000.0).collect();
        let eles: Vec<Option<f64>> = (0..=400)
            .map(|i| Some(1000.0 + 500.0 * (f64::from(i) / 60.0).sin()))
            .collect();
        let stops = vec![
            stop(1, 10_000.0, WaypointKind::Fuel, "Sisters"),
            stop(2, 50_000.0, WaypointKind::Campground, "Cold Spring"),
            stop(3, 250_000.0, WaypointKind::Fuel, "Burns"),
        ];
        let o = Overview::compute(
            OverviewInput {
                chainage_m: &ch,
                elevations_m: &eles,
                stretches: &[],
                roads: &[],
                stops: &stops,
                flat_at_m: None,
            },
            &OverviewParams {
                range_m: Some(200_000.0),
                reserve: 0.0,
                day_m: Some(100_000.0),
                units: Units::Metric,
                ..OverviewParams::default()
            },
        );
        assert_eq!(o.length_m, 400_000.0);
        // 400 km at 100 km a day: four sections covering the route.
        assert_eq!(o.sections.len(), 4);
        assert_eq!(o.sections[0].from_m, 0.0);
        assert_eq!(o.sections[3].to_m, 400_000.0);
        let all: Vec<&String> = o.sections.iter().flat_map(|s| &s.warnings).collect();
        assert!(
            all.iter().any(|w| w.as_str()
                == "fill up at Sisters: next fuel in 240.0 km (beyond your usable range of 200.0 km: carry fuel)"),
            "{all:?}"
        );
        assert!(
            all.iter().any(|w| w.starts_with("no campground for ")),
            "{all:?}"
        );
        assert!(
            o.warnings
                .iter()
                .any(|w| w.starts_with("longest fuel gap 240.0 km"))
        );
        // Without a map, all of it is off the map, and it sums.
        assert_eq!(o.surface.get(SurfaceClass::OffMap), 400_000.0);
        let s0 = &o.sections[0];
        assert!(s0.climb_m.unwrap() > 400.0);
        assert!(s0.highest.unwrap().1 > 1490.0);
        assert_eq!(s0.fuel.len(), 1);
        assert!(o.profile.len() <= 602);
    }

    #[test]
    fn flat_spots_are_where_the_ground_beside_the_route_is_level() {
        let pts: Vec<LatLon> = (0..=40)
            .map(|i| LatLon::new(44.0, -121.0 + 0.001 * f64::from(i)))
            .collect();
        let mut ch = vec![0.0];
        for w in pts.windows(2) {
            ch.push(ch.last().unwrap() + crate::core::geodesy::distance_m(w[0], w[1]));
        }
        let (at, probes) = flat_probes(&pts, &ch);
        assert_eq!(probes.len(), 5 * at.len());
        assert!(
            at.windows(2)
                .all(|w| w[1] - w[0] >= FLAT_PROBE_EVERY_M - 1e-9)
        );
        // A plane rising 3 % to the north is flat enough; 20 % is not; no data is not flat.
        let plane = |grade: f64| -> Vec<Option<f64>> {
            probes
                .iter()
                .map(|p| Some(grade * (p.lat - 44.0) * 111_319.49))
                .collect()
        };
        assert_eq!(flat_spots(&at, &plane(0.03)), at);
        assert!(flat_spots(&at, &plane(0.20)).is_empty());
        let mut holes = plane(0.0);
        holes[1] = None;
        assert_eq!(flat_spots(&at, &holes).len(), at.len() - 1);
    }
}
