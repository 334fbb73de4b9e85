//! `trailatlas roadbook` and `trailatlas overview`: what the road is along a route (matched
//! onto the imported map), the road cues in route order, and the tactical overview by
//! sections with its warnings.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::Global;
use super::nav::{LoadedRoute, load_route, r1};
use crate::core::along::RouteWaypoints;
use crate::core::map::merge::SourceFilter;
use crate::core::overview::{Overview, OverviewInput, OverviewParams, Stop};
use crate::core::roadbook::{Breakdown, CueWhat, SurfaceClass, breakdown, road_cues};
use crate::core::units::Units;
use crate::store::{MatchedRoute, Store};

/// Waypoints this close to the route are on the roadbook by default, metres.
const ROADBOOK_CORRIDOR_M: f64 = 300.0;

/// Arguments of `trailatlas roadbook`.
#[derive(Debug, clap::Args)]
pub struct RoadbookArgs {
    /// The track or route: its id or name.
    #[arg(long)]
    pub route: String,
    /// Waypoints and POIs within this distance of the route are listed, metres.
    #[arg(long, default_value_t = ROADBOOK_CORRIDOR_M)]
    pub corridor_m: f64,
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Units for text output.
    #[arg(long, default_value_t = Units::Imperial)]
    pub units: Units,
    /// Waypoints from GPX files, POIs from OpenStreetMap data, or both.
    #[arg(long, default_value_t = SourceFilter::All)]
    pub source: SourceFilter,
}

/// Arguments of `trailatlas overview`: those of `logistics`.
pub type OverviewArgs = super::nav::LogisticsArgs;

/// The route matched onto the map, or `None` when no map data is imported.
pub(super) fn matched(store: &mut Store, r: &LoadedRoute) -> anyhow::Result<Option<MatchedRoute>> {
    if store.map_files()?.is_empty() {
        return Ok(None);
    }
    Ok(Some(store.route_match(
        r.summary.id,
        r.line.points(),
        r.line.chainage_m(),
    )?))
}

/// Every pass of a waypoint or POI within the corridor, named, in route order.
pub(super) fn stops(r: &LoadedRoute, corridor_m: f64) -> Vec<Stop> {
    let passes = RouteWaypoints::from_stored(&r.line, &r.waypoints.waypoints, corridor_m);
    let names: std::collections::HashMap<_, _> = r
        .waypoints
        .waypoints
        .iter()
        .map(|w| (w.id, w.wpt.name.clone()))
        .collect();
    crate::core::overview::stops_from_passes(passes.all_passes(), |id| {
        names.get(&id).cloned().flatten()
    })
}

/// The surface breakdown as JSON kilometres: `{"paved": .., "gravel": .., ...}`.
pub fn surface_json(b: &Breakdown) -> Value {
    let mut m = serde_json::Map::new();
    for c in SurfaceClass::ALL {
        m.insert(c.as_str().to_string(), json!(r1(b.get(c) / 1000.0)));
    }
    m.insert(
        "track_by_grade".into(),
        json!(
            (0..6)
                .map(|g| r1(b.track_grade_m[g] / 1000.0))
                .collect::<Vec<_>>()
        ),
    );
    Value::Object(m)
}

/// The surface breakdown in words: "62.1 mi paved (48%), 40.2 mi gravel (31%), ...".
pub fn surface_text(b: &Breakdown, u: Units) -> String {
    let total = b.total_m().max(1e-9);
    b.ranked()
        .iter()
        .map(|(c, m)| format!("{} {} ({:.0}%)", u.long(*m), c.words(), 100.0 * m / total))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The whole route's breakdown, off the map when there is no match.
pub fn route_breakdown(m: Option<&MatchedRoute>, length_m: f64) -> Breakdown {
    match m {
        Some(m) => breakdown(&m.stretches, &m.roads, 0.0, length_m),
        None => {
            let mut b = Breakdown::default();
            b.m[SurfaceClass::OffMap as usize] = length_m;
            b
        }
    }
}

/// Runs `trailatlas roadbook`.
pub fn roadbook(args: &RoadbookArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut store = global.open_store()?;
    let r = load_route(&store, &args.route, args.corridor_m, args.source)?;
    let m = matched(&mut store, &r)?;
    let u = args.units;
    let cues = m
        .as_ref()
        .map(|m| road_cues(&m.stretches, &m.roads))
        .unwrap_or_default();
    let stops = stops(&r, args.corridor_m);
    let length = r.line.length_m();
    if args.json {
        let v = json!({
            "route": r.summary.name,
            "length_km": r1(length / 1000.0),
            "map": m.is_some(),
            "surface_km": surface_json(&route_breakdown(m.as_ref(), length)),
            "stretches": m.as_ref().map(|m| m.stretches.iter().map(|s| {
                let road = m.road(s);
                json!({
                    "from_km": r1(s.from_m / 1000.0),
                    "to_km": r1(s.to_m / 1000.0),
                    "osm": road.map(|x| x.osm.to_text()),
                    "name": road.and_then(|x| x.name.clone()),
                    "ref": road.and_then(|x| x.ref_.clone()),
                    "highway": road.map(|x| x.highway.clone()),
                    "surface": SurfaceClass::of(road).as_str(),
                    "tracktype": road.and_then(|x| x.tracktype),
                    "turn_deg": s.turn_deg.map(r1),
                })
            }).collect::<Vec<_>>()),
            "cues": cues.iter().map(|c| json!({
                "at_km": r1(c.at_m / 1000.0),
                "what": match &c.what {
                    CueWhat::Start => "start".to_string(),
                    CueWhat::Turn(t) => t.as_str().to_string(),
                    CueWhat::Onto => "onto".to_string(),
                    CueWhat::SurfaceChange => "surface".to_string(),
                    CueWhat::OffMap => "off_map".to_string(),
                    CueWhat::BackOnMap => "on_map".to_string(),
                },
                "text": c.text(),
                "road": c.road,
                "surface": c.surface.as_str(),
                "for_km": r1(c.for_m / 1000.0),
            })).collect::<Vec<_>>(),
            "stops": stops.iter().map(|s| json!({
                "at_km": r1(s.at_m / 1000.0),
                "kind": s.kind.as_str(),
                "name": s.name,
            })).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "{}: {}\n",
        r.summary.name.as_deref().unwrap_or("route"),
        u.long(length)
    );
    let Some(_) = m.as_ref() else {
        out.push_str("No map data: import an OpenStreetMap extract with `trailatlas map import FILE.osm.pbf` to get the roads.\n");
        out!("{out}")?;
        return Ok(ExitCode::SUCCESS);
    };
    let _ = writeln!(
        out,
        "Surface: {}",
        surface_text(&route_breakdown(m.as_ref(), length), u)
    );
    // Road cues and stops merged in route order, with the distance since the last fuel.
    let mut rows: Vec<(f64, String)> = cues.iter().map(|c| (c.at_m, c.text())).collect();
    rows.extend(
        stops
            .iter()
            .map(|s| (s.at_m, format!("{}: {}", s.kind, s.name))),
    );
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut last_fuel: Option<f64> = None;
    for (at, text) in rows {
        let fuel = last_fuel.map_or(String::new(), |f| format!("  [fuel +{}]", u.long(at - f)));
        let _ = writeln!(out, "{:>9}  {text}{fuel}", u.long(at));
        if text.starts_with("fuel:") {
            last_fuel = Some(at);
        }
    }
    out!("{out}")?;
    Ok(ExitCode::SUCCESS)
}

/// Computes the overview of a loaded route.
pub(super) fn compute_overview(
    store: &Store,
    r: &LoadedRoute,
    m: Option<&MatchedRoute>,
    stops: &[Stop],
    params: &OverviewParams,
) -> anyhow::Result<Overview> {
    let (stretches, roads) = m.map_or((&[][..], &[][..]), |m| (&m.stretches[..], &m.roads[..]));
    let flat = store.flat_spots(r.line.points(), r.line.chainage_m())?;
    Ok(Overview::compute(
        OverviewInput {
            chainage_m: r.line.chainage_m(),
            elevations_m: &r.elevations_m,
            stretches,
            roads,
            stops,
            flat_at_m: flat.as_deref(),
        },
        params,
    ))
}

/// Runs `trailatlas overview`.
pub fn overview(args: &OverviewArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut store = global.open_store()?;
    let r = load_route(&store, &args.route, args.corridor_m, args.source)?;
    let m = matched(&mut store, &r)?;
    let stops = stops(&r, args.corridor_m);
    let params = OverviewParams {
        range_m: args.range,
        reserve: args.reserve,
        day_m: args.day,
        units: args.units,
        ..OverviewParams::default()
    };
    let o = compute_overview(&store, &r, m.as_ref(), &stops, &params)?;
    let u = args.units;
    if args.json {
        let names = |v: &[Stop]| -> Vec<Value> {
            v.iter()
                .map(|s| json!({"name": s.name, "at_km": r1(s.at_m / 1000.0)}))
                .collect()
        };
        let v = json!({
            "route": r.summary.name,
            "length_km": r1(o.length_m / 1000.0),
            "map": m.is_some(),
            "elevation_source": r.elevation_origin.as_str(),
            "surface_km": surface_json(&o.surface),
            "warnings": o.warnings,
            "sections": o.sections.iter().map(|s| json!({
                "from_km": r1(s.from_m / 1000.0),
                "to_km": r1(s.to_m / 1000.0),
                "length_km": r1((s.to_m - s.from_m) / 1000.0),
                "surface_km": surface_json(&s.surface),
                "climb_m": s.climb_m.map(r1),
                "descent_m": s.descent_m.map(r1),
                "highest_m": s.highest.map(|h| r1(h.1)),
                "highest_at_km": s.highest.map(|h| r1(h.0 / 1000.0)),
                "fuel": names(&s.fuel),
                "camps": names(&s.camps),
                "water": names(&s.water),
                "fords_at_km": s.fords.iter().map(|f| r1(f / 1000.0)).collect::<Vec<_>>(),
                "gates_at_km": s.gates.iter().map(|f| r1(f / 1000.0)).collect::<Vec<_>>(),
                "longest_fuel_gap_km": r1(s.longest_fuel_gap_m / 1000.0),
                "longest_without_camp_km": r1(s.longest_without_camp_m / 1000.0),
                "longest_without_flat_km": s.longest_without_flat_m.map(|m| r1(m / 1000.0)),
                "warnings": s.warnings,
            })).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    out!("{}", overview_text(&r, &o, m.is_some(), u))?;
    Ok(ExitCode::SUCCESS)
}

fn overview_text(r: &LoadedRoute, o: &Overview, map: bool, u: Units) -> String {
    let mut out = format!(
        "{}: {}\n",
        r.summary.name.as_deref().unwrap_or("route"),
        u.long(o.length_m)
    );
    if map {
        let _ = writeln!(out, "Surface: {}", surface_text(&o.surface, u));
    } else {
        out.push_str("Surface: unknown (no map data imported)\n");
    }
    for w in &o.warnings {
        let _ = writeln!(out, "!! {w}");
    }
    for (i, s) in o.sections.iter().enumerate() {
        let _ = writeln!(
            out,
            "\nSection {} ({} to {}, {}):",
            i + 1,
            u.long(s.from_m),
            u.long(s.to_m),
            u.long(s.to_m - s.from_m)
        );
        if map {
            let _ = writeln!(out, "  surface: {}", surface_text(&s.surface, u));
        }
        match (s.climb_m, s.highest) {
            (Some(c), Some((at, h))) => {
                let _ = writeln!(
                    out,
                    "  climb {}, highest point {} at {}",
                    u.height(c),
                    u.height(h),
                    u.long(at)
                );
            }
            _ => out.push_str("  no elevation data\n"),
        }
        let list = |v: &[Stop]| -> String {
            if v.is_empty() {
                "none".into()
            } else {
                v.iter()
                    .map(|s| format!("{} ({})", s.name, u.long(s.at_m)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let _ = writeln!(out, "  fuel: {}", list(&s.fuel));
        let _ = writeln!(out, "  camps: {}", list(&s.camps));
        if !s.water.is_empty() {
            let _ = writeln!(out, "  water: {}", list(&s.water));
        }
        for w in &s.warnings {
            let _ = writeln!(out, "  !! {w}");
        }
    }
    out
}
