//! `trailatlas nearest | ahead | logistics`: navigation questions answered from the store.
//!
//! Glue only: loads waypoints and a route from the store, asks `core::nearest`,
//! `core::along` and `core::logistics`, prints JSON or friendly text in the chosen units.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::{Value, json};

use super::Global;
use crate::core::along::{DEFAULT_CORRIDOR_M, RouteLine, RouteWaypoints};
use crate::core::geodesy::EARTH_RADIUS_M;
use crate::core::logistics::{
    Gap, GapEnd, Logistics, LogisticsParams, parse_distance_m, parse_percent,
};
use crate::core::map::merge::{self, Merged, Source, SourceFilter};
use crate::core::model::{BBox, LatLon, StoredWaypoint, WaypointId, WaypointKind};
use crate::core::nearest::WaypointIndex;
use crate::core::terrain::{ElevationOrigin, merge_elevations};
use crate::core::units::{Units, compass};
use crate::store::{LineSummary, Store};

/// Parses `LAT,LON` in decimal degrees.
pub fn parse_lat_lon(s: &str) -> Result<LatLon, String> {
    let Some((lat, lon)) = s.split_once(',') else {
        return Err("expected LAT,LON in decimal degrees, e.g. 38.33,-123.04".into());
    };
    let num = |x: &str| {
        x.trim()
            .parse::<f64>()
            .map_err(|_| format!("{x:?} is not a number"))
    };
    let p = LatLon::new(num(lat)?, num(lon)?);
    if !p.is_valid() {
        return Err("latitude must be within -90..90 and longitude within -180..180".into());
    }
    Ok(p)
}

/// Arguments of `trailatlas nearest`.
#[derive(Debug, clap::Args)]
pub struct NearestArgs {
    /// The position, `LAT,LON` in decimal degrees.
    #[arg(long, value_parser = parse_lat_lon, allow_hyphen_values = true)]
    pub at: LatLon,
    /// Only these kinds, comma-separated (fuel, campground, water, ...).
    #[arg(long, value_delimiter = ',')]
    pub kind: Vec<WaypointKind>,
    /// How many to list.
    #[arg(short, default_value_t = 5)]
    pub n: usize,
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Units for text output.
    #[arg(long, default_value_t = Units::Imperial)]
    pub units: Units,
    /// Waypoints from GPX files, POIs from imported OpenStreetMap data, or both (a GPX
    /// waypoint and a POI of the same kind within 50 m count once, as the GPX one).
    #[arg(long, default_value_t = SourceFilter::All)]
    pub source: SourceFilter,
}

/// Arguments of `trailatlas ahead`.
#[derive(Debug, clap::Args)]
pub struct AheadArgs {
    /// The track or route being driven: its id or name.
    #[arg(long)]
    pub route: String,
    /// The current position, `LAT,LON` in decimal degrees.
    #[arg(long, value_parser = parse_lat_lon, allow_hyphen_values = true)]
    pub at: LatLon,
    /// Only these kinds, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub kind: Vec<WaypointKind>,
    /// Waypoints within this distance of the route count, metres.
    #[arg(long, default_value_t = DEFAULT_CORRIDOR_M)]
    pub corridor_m: f64,
    /// How many to list.
    #[arg(short, default_value_t = 5)]
    pub n: usize,
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Units for text output.
    #[arg(long, default_value_t = Units::Imperial)]
    pub units: Units,
    /// Waypoints from GPX files, POIs from imported OpenStreetMap data, or both (a GPX
    /// waypoint and a POI of the same kind within 50 m count once, as the GPX one).
    #[arg(long, default_value_t = SourceFilter::All)]
    pub source: SourceFilter,
}

/// Arguments of `trailatlas logistics` (and `overview`).
#[derive(Debug, clap::Args)]
pub struct LogisticsArgs {
    /// The track or route: its id or name.
    #[arg(long)]
    pub route: String,
    /// Range on a full tank, e.g. `250mi`, `400km`; without it no fuel gap is flagged.
    #[arg(long, value_parser = parse_distance_arg)]
    pub range: Option<f64>,
    /// Share of the range kept in reserve, e.g. `15%`.
    #[arg(long, value_parser = parse_percent_arg, default_value = "0%")]
    pub reserve: f64,
    /// Planned drive per day, e.g. `300km`; without it no campground gap is flagged (and
    /// `overview` cuts its sections at fuel stops instead of by day).
    #[arg(long, value_parser = parse_distance_arg)]
    pub day: Option<f64>,
    /// Waypoints within this distance of the route count, metres.
    #[arg(long, default_value_t = DEFAULT_CORRIDOR_M)]
    pub corridor_m: f64,
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Units for text output.
    #[arg(long, default_value_t = Units::Imperial)]
    pub units: Units,
    /// Waypoints from GPX files, POIs from imported OpenStreetMap data, or both (a GPX
    /// waypoint and a POI of the same kind within 50 m count once, as the GPX one).
    #[arg(long, default_value_t = SourceFilter::All)]
    pub source: SourceFilter,
}

pub(super) fn parse_distance_arg(s: &str) -> Result<f64, String> {
    parse_distance_m(s).map_err(|e| e.to_string())
}

pub(super) fn parse_percent_arg(s: &str) -> Result<f64, String> {
    parse_percent(s).map_err(|e| e.to_string())
}

/// Rounds metres (or degrees) to one decimal for JSON.
pub(super) fn r1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn wpt_name(w: Option<&StoredWaypoint>, id: WaypointId) -> String {
    w.and_then(|w| w.wpt.name.clone())
        .unwrap_or_else(|| format!("waypoint {id}"))
}

/// Runs `trailatlas nearest`.
pub fn nearest(args: &NearestArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let store = global.open_store()?;
    let m = load_waypoints(&store, &args.kind, None, args.source)?;
    let index = WaypointIndex::from_stored(&m.waypoints);
    let by_id: HashMap<WaypointId, &StoredWaypoint> =
        m.waypoints.iter().map(|w| (w.id, w)).collect();
    let found = index.nearest(args.at, &args.kind, args.n);
    if args.json {
        let v: Vec<Value> = found
            .iter()
            .map(|n| {
                let mut o = json!({
                    "id": n.id,
                    "name": by_id.get(&n.id).and_then(|w| w.wpt.name.clone()),
                    "kind": n.kind.as_str(),
                    "lat": n.pos.lat,
                    "lon": n.pos.lon,
                    "distance_m": r1(n.distance_m),
                    "bearing_deg": r1(n.bearing_deg),
                });
                add_source(&mut o, m.source(n.id));
                o
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        outln!("no {}waypoints stored", kinds_label(&args.kind))?;
        return Ok(ExitCode::SUCCESS);
    }
    for n in &found {
        outln!(
            "{:<11} {:>9} {:<3} ({:>3.0}°)  {}{}",
            n.kind.as_str(),
            args.units.distance_tenths(n.distance_m),
            compass(n.bearing_deg),
            n.bearing_deg,
            wpt_name(by_id.get(&n.id).copied(), n.id),
            source_note(m.source(n.id))
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// GPX waypoints and OSM POIs of `kinds` (all when empty) in `bbox`, merged under `source`.
fn load_waypoints(
    store: &Store,
    kinds: &[WaypointKind],
    bbox: Option<BBox>,
    source: SourceFilter,
) -> anyhow::Result<Merged> {
    let gpx = if source.gpx() {
        store.waypoints(kinds, bbox)?
    } else {
        Vec::new()
    };
    let mut pois = if source.osm() {
        store.map_pois(bbox.as_ref(), &[])?
    } else {
        Vec::new()
    };
    if !kinds.is_empty() {
        pois.retain(|p| kinds.contains(&p.kind.waypoint_kind()));
    }
    Ok(merge::merge(gpx, &pois, source))
}

/// `"source"`, and the OSM id (`"osm": "n123"`) of a POI or of the POI a GPX waypoint matched.
fn add_source(o: &mut Value, s: Source) {
    let Some(obj) = o.as_object_mut() else { return };
    obj.insert("source".into(), json!(s.as_str()));
    match s {
        Source::Osm(id) => {
            obj.insert("osm".into(), json!(id.to_text()));
        }
        Source::Gpx { matched: Some(id) } => {
            obj.insert("matched_osm".into(), json!(id.to_text()));
        }
        Source::Gpx { matched: None } => {}
    }
}

fn source_note(s: Source) -> String {
    match s {
        Source::Osm(id) => format!("  [OSM {}]", id.to_text()),
        Source::Gpx { matched: Some(id) } => format!("  [GPX; also OSM {}]", id.to_text()),
        Source::Gpx { matched: None } => String::new(),
    }
}

fn kinds_label(kinds: &[WaypointKind]) -> String {
    if kinds.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        format!("{} ", names.join("/"))
    }
}

/// A route loaded for navigation: its summary, geometry, elevations and the waypoints near it.
pub(super) struct LoadedRoute {
    pub(super) summary: LineSummary,
    pub(super) line: RouteLine,
    pub(super) elevations_m: Vec<Option<f64>>,
    /// Where the elevations came from (the file, the terrain model, both, neither).
    pub(super) elevation_origin: ElevationOrigin,
    pub(super) waypoints: Merged,
}

pub(super) fn load_route(
    store: &Store,
    id_or_name: &str,
    corridor_m: f64,
    source: SourceFilter,
) -> anyhow::Result<LoadedRoute> {
    let summary = store.find_line(id_or_name)?;
    let stored = store.line(summary.id)?;
    let path: Vec<LatLon> = stored.points().map(|p| p.pos).collect();
    let recorded: Vec<Option<f64>> = stored.points().map(|p| p.ele_m).collect();
    // Points without <ele> get the terrain model's elevation; recorded ones stay.
    let (elevations_m, elevation_origin) = if recorded.iter().any(|e| e.is_none()) {
        let (model, dem) = store.elevations(&path)?;
        let name = dem.map(|s| s.label()).unwrap_or_default();
        merge_elevations(&recorded, Some((&model, &name)))
    } else {
        merge_elevations(&recorded, None)
    };
    let line = RouteLine::new(path)
        .with_context(|| format!("cannot use {} {id_or_name:?}", summary.kind.as_str()))?;
    let bbox = summary.bbox.and_then(|b| grow(b, corridor_m));
    let waypoints = load_waypoints(store, &[], bbox, source)?;
    Ok(LoadedRoute {
        summary,
        line,
        elevations_m,
        elevation_origin,
        waypoints,
    })
}

/// `b` grown by `m` metres on every side, or `None` (meaning "everywhere") when the grown box
/// would reach a pole or cross the antimeridian, which a `BBox` cannot express.
fn grow(b: BBox, m: f64) -> Option<BBox> {
    let dlat = (m / EARTH_RADIUS_M).to_degrees() * 1.01;
    let (min_lat, max_lat) = (b.min_lat - dlat, b.max_lat + dlat);
    if min_lat <= -89.0 || max_lat >= 89.0 {
        return None;
    }
    let widest = min_lat.abs().max(max_lat.abs()).to_radians().cos();
    let dlon = dlat / widest;
    let (min_lon, max_lon) = (b.min_lon - dlon, b.max_lon + dlon);
    if min_lon < -180.0 || max_lon > 180.0 {
        return None;
    }
    Some(BBox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    })
}

fn route_label(s: &LineSummary) -> String {
    s.name
        .clone()
        .unwrap_or_else(|| format!("{} {}", s.kind.as_str(), s.id))
}

/// Runs `trailatlas ahead`.
pub fn ahead(args: &AheadArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let store = global.open_store()?;
    let r = load_route(&store, &args.route, args.corridor_m, args.source)?;
    let passes = RouteWaypoints::from_stored(&r.line, &r.waypoints.waypoints, args.corridor_m);
    let Some((here, ahead)) = passes.ahead_of(&r.line, args.at, None, &args.kind, args.n) else {
        anyhow::bail!("the position is not valid");
    };
    let by_id: HashMap<WaypointId, &StoredWaypoint> =
        r.waypoints.waypoints.iter().map(|w| (w.id, w)).collect();
    if args.json {
        let list: Vec<Value> = ahead
            .iter()
            .map(|a| {
                let mut o = json!({
                    "id": a.id,
                    "name": by_id.get(&a.id).and_then(|w| w.wpt.name.clone()),
                    "kind": a.kind.as_str(),
                    "along_m": r1(a.along_m),
                    "ahead_m": r1(a.ahead_m),
                    "off_route_m": r1(a.off_route_m),
                });
                add_source(&mut o, r.waypoints.source(a.id));
                o
            })
            .collect();
        let v = json!({
            "position": { "along_m": r1(here.along_m), "off_route_m": r1(here.off_route_m) },
            "ahead": list,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let u = args.units;
    let mut out = format!(
        "On {}: {} along, {} to go ({} off route)\n",
        route_label(&r.summary),
        u.long(here.along_m),
        u.long(r.line.length_m() - here.along_m),
        u.distance_tenths(here.off_route_m)
    );
    if here.off_route_m > args.corridor_m {
        let _ = writeln!(
            out,
            "Warning: you are {} from the route",
            u.distance_tenths(here.off_route_m)
        );
    }
    if ahead.is_empty() {
        let _ = writeln!(
            out,
            "No {}waypoints ahead within {} of the route",
            kinds_label(&args.kind),
            u.distance_tenths(args.corridor_m)
        );
    }
    let mut seen: Vec<WaypointKind> = Vec::new();
    for a in &ahead {
        let word = if seen.contains(&a.kind) {
            "Then"
        } else {
            "Next"
        };
        seen.push(a.kind);
        let _ = writeln!(
            out,
            "{word} {}: {} in {} ({} off route){}",
            a.kind.as_str(),
            wpt_name(by_id.get(&a.id).copied(), a.id),
            u.long(a.ahead_m),
            u.long(a.off_route_m),
            source_note(r.waypoints.source(a.id))
        );
    }
    out!("{out}")?;
    Ok(ExitCode::SUCCESS)
}

fn end_name(end: GapEnd, by_id: &HashMap<WaypointId, &StoredWaypoint>) -> String {
    match end {
        GapEnd::Start => "start".into(),
        GapEnd::End => "end".into(),
        GapEnd::Waypoint(id) => wpt_name(by_id.get(&id).copied(), id),
    }
}

fn gaps_json(
    gaps: &[Gap],
    flag: &str,
    by_id: &HashMap<WaypointId, &StoredWaypoint>,
    m: &Merged,
) -> Vec<Value> {
    let source = |end: GapEnd| match end {
        GapEnd::Waypoint(id) => json!(m.source(id).as_str()),
        _ => Value::Null,
    };
    gaps.iter()
        .map(|g| {
            let mut o = serde_json::Map::new();
            o.insert("from".into(), json!(end_name(g.from, by_id)));
            o.insert("to".into(), json!(end_name(g.to, by_id)));
            o.insert("from_source".into(), source(g.from));
            o.insert("to_source".into(), source(g.to));
            o.insert("start_along_m".into(), json!(r1(g.start_along_m)));
            o.insert("end_along_m".into(), json!(r1(g.end_along_m)));
            o.insert("gap_m".into(), json!(r1(g.gap_m)));
            o.insert(flag.into(), json!(g.exceeds_limit));
            Value::Object(o)
        })
        .collect()
}

/// Runs `trailatlas logistics`.
pub fn logistics(args: &LogisticsArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut store = global.open_store()?;
    let r = load_route(&store, &args.route, args.corridor_m, args.source)?;
    let matched = super::roadbook::matched(&mut store, &r)?;
    let surface = super::roadbook::route_breakdown(matched.as_ref(), r.line.length_m());
    let passes = RouteWaypoints::from_stored(&r.line, &r.waypoints.waypoints, args.corridor_m);
    let params = LogisticsParams {
        range_m: args.range,
        reserve: args.reserve,
        day_m: args.day,
        ..LogisticsParams::default()
    };
    let l = Logistics::compute(&r.line, r.elevations_m.iter().copied(), &passes, &params);
    let by_id: HashMap<WaypointId, &StoredWaypoint> =
        r.waypoints.waypoints.iter().map(|w| (w.id, w)).collect();
    if args.json {
        let kinds: serde_json::Map<String, Value> = l
            .waypoints_by_kind
            .iter()
            .map(|(k, n)| (k.as_str().to_string(), json!(n)))
            .collect();
        let v = json!({
            "length_m": r1(l.length_m),
            "gain_m": l.elevation.gain_m.map(r1),
            "loss_m": l.elevation.loss_m.map(r1),
            "elevation_source": r.elevation_origin.as_str(),
            "elevation_model": r.elevation_origin.model(),
            "min_ele_m": l.elevation.min_ele_m.map(r1),
            "max_ele_m": l.elevation.max_ele_m.map(r1),
            "map": matched.is_some(),
            "surface_km": super::roadbook::surface_json(&surface),
            "waypoints_by_kind": kinds,
            "fuel_gaps": gaps_json(&l.fuel_gaps, "exceeds_range", &by_id, &r.waypoints),
            "camp_gaps": gaps_json(&l.camp_gaps, "exceeds_day", &by_id, &r.waypoints),
            "sources": {
                "gpx": r.waypoints.waypoints.iter().filter(|w| w.id >= 0).count(),
                "osm": r.waypoints.waypoints.iter().filter(|w| w.id < 0).count(),
            },
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = logistics_text(args, &r.summary, &l, &r.elevation_origin, &by_id);
    let surface_line = if matched.is_some() {
        format!(
            "Surface: {}\n",
            super::roadbook::surface_text(&surface, args.units)
        )
    } else {
        "Surface: unknown (no map data imported)\n".to_string()
    };
    // After the first line (length and climb).
    let at = text.find('\n').map_or(text.len(), |i| i + 1);
    text.insert_str(at, &surface_line);
    out!("{text}")?;
    Ok(ExitCode::SUCCESS)
}

fn logistics_text(
    args: &LogisticsArgs,
    summary: &LineSummary,
    l: &Logistics,
    origin: &ElevationOrigin,
    by_id: &HashMap<WaypointId, &StoredWaypoint>,
) -> String {
    let u = args.units;
    let mut out = format!("{}: {}", route_label(summary), u.long(l.length_m));
    let e = &l.elevation;
    match (e.gain_m, e.loss_m, e.min_ele_m, e.max_ele_m) {
        (Some(gain), Some(loss), Some(lo), Some(hi)) => {
            let _ = writeln!(
                out,
                ", climb {} / descent {}, elevation {} to {} ({})",
                u.height(gain),
                u.height(loss),
                u.height(lo),
                u.height(hi),
                origin.describe()
            );
        }
        _ => out.push_str(", no elevation data\n"),
    }
    let kinds: Vec<String> = l
        .waypoints_by_kind
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let _ = writeln!(
        out,
        "Within {} of the route: {}",
        u.distance_tenths(args.corridor_m),
        if kinds.is_empty() {
            "no waypoints".to_string()
        } else {
            kinds.join(", ")
        }
    );
    let fuel_head = match args.range {
        Some(range) => format!(
            "Fuel stops (range {}, {:.0}% reserve: {} usable)",
            u.long(range),
            args.reserve * 100.0,
            u.long(range * (1.0 - args.reserve))
        ),
        None => "Fuel stops (give --range to check gaps)".to_string(),
    };
    gaps_text(
        &mut out,
        &fuel_head,
        &l.fuel_gaps,
        "LONGER THAN RANGE",
        u,
        by_id,
    );
    let camp_head = match args.day {
        Some(day) => format!("Campgrounds (day's drive {})", u.long(day)),
        None => "Campgrounds (give --day to check gaps)".to_string(),
    };
    gaps_text(
        &mut out,
        &camp_head,
        &l.camp_gaps,
        "LONGER THAN A DAY",
        u,
        by_id,
    );
    out
}

fn gaps_text(
    out: &mut String,
    head: &str,
    gaps: &[Gap],
    warning: &str,
    u: Units,
    by_id: &HashMap<WaypointId, &StoredWaypoint>,
) {
    let _ = writeln!(out, "{head}:");
    for g in gaps {
        let _ = writeln!(
            out,
            "  {:>10}  {} -> {}{}",
            u.long(g.gap_m),
            end_name(g.from, by_id),
            end_name(g.to, by_id),
            if g.exceeds_limit {
                format!("  !! {warning}")
            } else {
                String::new()
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lat_lon_parses_negative_and_spaces() {
        assert_eq!(
            parse_lat_lon("38.33, -123.04"),
            Ok(LatLon::new(38.33, -123.04))
        );
        assert!(parse_lat_lon("38.33").is_err());
        assert!(parse_lat_lon("91,0").is_err());
        assert!(parse_lat_lon("x,0").is_err());
    }

    #[test]
    fn grow_gives_up_at_the_antimeridian() {
        let b = BBox {
            min_lon: 179.99,
            min_lat: 0.0,
            max_lon: 179.995,
            max_lat: 0.1,
        };
        assert_eq!(grow(b, 2000.0), None);
        let b = BBox {
            min_lon: 10.0,
            min_lat: 40.0,
            max_lon: 11.0,
            max_lat: 41.0,
        };
        let g = grow(b, 2000.0).unwrap();
        assert!(g.min_lat < 40.0 - 0.017 && g.max_lon > 11.0 + 0.02, "{g:?}");
    }
}
