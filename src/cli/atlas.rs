//! `trailatlas atlas`: print a stored route as a PDF road atlas (index, map pages, cue sheet)
//! and optionally write the page layout as JSON. Glue only: the layout JSON shape lives here,
//! core types are not `Serialize`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::core::atlas::{Atlas, Orientation, PageSpec, Paper, paginate};
use crate::core::coords::{CoordFormat, Datum};
use crate::core::model::{BBox, LatLon};
use crate::render::atlas::{StoreMap, StoreTerrain, book_pdf_parallel, line_path};
use crate::render::print_basemap::PrintBasemap;
use crate::scene::build::{RasterSource, SceneData, SceneOptions};
use crate::store::TileArchive;

use super::Global;

/// Arguments of `trailatlas atlas`.
#[derive(Debug, Clone, clap::Args)]
pub struct AtlasArgs {
    /// The route, track or drive to print: its id or name.
    #[arg(long)]
    pub route: String,
    /// Map scale, e.g. 1:100000 (1:24000 to 1:500000).
    #[arg(long, default_value = "1:100000", value_parser = parse_scale)]
    pub scale: u32,
    /// Paper: letter, legal, tabloid, a4, a3.
    #[arg(long, default_value = "letter", value_parser = |s: &str| s.parse::<Paper>().map_err(|e| e.to_string()))]
    pub paper: Paper,
    /// Page orientation: auto (per page), portrait, landscape.
    #[arg(long, default_value = "auto", value_parser = |s: &str| s.parse::<Orientation>().map_err(|e| e.to_string()))]
    pub orientation: Orientation,
    /// Coordinate format for checkpoints and the cue sheet: dd, dms, ddm, utm, mgrs.
    #[arg(long, default_value = "ddm", value_parser = parse_format)]
    pub coord_format: CoordFormat,
    /// Datum of printed coordinates: wgs84, nad83, nad27.
    #[arg(long, default_value = "wgs84", value_parser = parse_datum)]
    pub datum: Datum,
    /// Waypoints this close to the route go in the cue sheet, km.
    #[arg(long, default_value_t = 2.0)]
    pub corridor_km: f64,
    /// The PDF to write.
    #[arg(short = 'o', long)]
    pub output: PathBuf,
    /// Also write the page layout as JSON here.
    #[arg(long)]
    pub layout_json: Option<PathBuf>,
    /// A raster basemap (MBTiles or PMTiles) to print under the pages at their true scale.
    #[arg(long)]
    pub basemap: Option<PathBuf>,
    /// Range on a full tank for the overview page's fuel warnings, e.g. `250mi`.
    #[arg(long, value_parser = super::nav::parse_distance_arg)]
    pub range: Option<f64>,
    /// Share of the range kept in reserve, e.g. `15%`.
    #[arg(long, value_parser = super::nav::parse_percent_arg, default_value = "0%")]
    pub reserve: f64,
    /// A day's drive, e.g. `150mi`: the overview page's sections are days.
    #[arg(long, value_parser = super::nav::parse_distance_arg)]
    pub day: Option<f64>,
}

/// Parses `1:100000`, `1:100,000` or `100000`.
pub fn parse_scale(s: &str) -> Result<u32, String> {
    let digits: String = s
        .trim()
        .trim_start_matches("1:")
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    digits
        .parse::<u32>()
        .map_err(|_| format!("{s:?} is not a scale like 1:100000"))
}

fn parse_format(s: &str) -> Result<CoordFormat, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "dd" => Ok(CoordFormat::Dd),
        "dms" => Ok(CoordFormat::Dms),
        "ddm" => Ok(CoordFormat::Ddm),
        "utm" => Ok(CoordFormat::Utm),
        "mgrs" => Ok(CoordFormat::Mgrs),
        _ => Err(format!(
            "unknown coordinate format {s:?} (dd, dms, ddm, utm, mgrs)"
        )),
    }
}

fn parse_datum(s: &str) -> Result<Datum, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "wgs84" => Ok(Datum::Wgs84),
        "nad83" => Ok(Datum::Nad83),
        "nad27" => Ok(Datum::Nad27),
        _ => Err(format!("unknown datum {s:?} (wgs84, nad83, nad27)")),
    }
}

fn latlon(p: LatLon) -> Value {
    json!([p.lat, p.lon])
}

/// The layout JSON: scale, paper and each map page's frame, orientation and edge links.
pub fn layout_json(atlas: &Atlas) -> Value {
    let pages: Vec<Value> = atlas
        .pages
        .iter()
        .map(|p| {
            json!({
                "number": p.number,
                "frame": p.corners.iter().map(|c| latlon(*c)).collect::<Vec<_>>(),
                "orientation": p.orientation.as_str(),
                "links": p.links.iter().map(|l| json!({"edge": l.edge.as_str(), "to_page": l.to_page, "at": latlon(l.at)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "scale": atlas.spec.scale_denominator(),
        "paper": atlas.spec.paper().as_str(),
        "pages": pages,
    })
}

/// Grows `b` by `d` degrees; `None` when it would span the antimeridian or most of the globe
/// (then the query is not limited).
fn grow(b: BBox, d: f64) -> Option<BBox> {
    let g = BBox {
        min_lon: b.min_lon - d,
        min_lat: (b.min_lat - d).max(-90.0),
        max_lon: b.max_lon + d,
        max_lat: (b.max_lat + d).min(90.0),
    };
    (g.min_lon >= -180.0 && g.max_lon <= 180.0 && g.max_lon - g.min_lon < 180.0).then_some(g)
}

/// What the map adds to the book: road cues, the POIs passed, the overview.
struct BookRoads {
    cues: Vec<crate::core::roadbook::RoadCue>,
    pois: Vec<crate::core::model::Waypoint>,
    overview: crate::core::overview::Overview,
}

/// The route matched onto the map and its overview; `None` without map data.
fn roads_and_overview(
    store: &mut crate::store::Store,
    args: &AtlasArgs,
) -> anyhow::Result<Option<BookRoads>> {
    use crate::core::map::merge::SourceFilter;
    use crate::core::model::WaypointKind;
    let corridor_m = args.corridor_km * 1000.0;
    let loaded = super::nav::load_route(store, &args.route, corridor_m, SourceFilter::All)?;
    let Some(m) = super::roadbook::matched(store, &loaded)? else {
        return Ok(None);
    };
    let stops = super::roadbook::stops(&loaded, corridor_m);
    let params = crate::core::overview::OverviewParams {
        range_m: args.range,
        reserve: args.reserve,
        day_m: args.day,
        units: crate::core::units::Units::Imperial,
        ..Default::default()
    };
    let overview = super::roadbook::compute_overview(store, &loaded, Some(&m), &stops, &params)?;
    // OSM POIs a driver stops at or must pass; GPX waypoints are in the book already.
    let wanted = [
        WaypointKind::Fuel,
        WaypointKind::Campground,
        WaypointKind::Water,
        WaypointKind::Gate,
        WaypointKind::Hazard,
    ];
    let pois = loaded
        .waypoints
        .waypoints
        .iter()
        .filter(|w| w.id < 0 && wanted.contains(&w.wpt.kind))
        .map(|w| w.wpt.clone())
        .collect();
    Ok(Some(BookRoads {
        cues: crate::core::roadbook::road_cues(&m.stretches, &m.roads),
        pois,
        overview,
    }))
}

/// Runs `trailatlas atlas`.
pub fn run(args: &AtlasArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let spec = PageSpec::new(args.paper, args.orientation, args.scale)?;
    let mut store = global.open_store()?;
    // With map data: the route's roads (cue sheet rows), OSM POIs passed, the overview page.
    let roads = roads_and_overview(&mut store, args)?;
    let summary = store.find_line(&args.route)?;
    let line = store.line(summary.id)?;
    let path = line_path(&line);
    let name = summary
        .name
        .clone()
        .unwrap_or_else(|| format!("Line {}", summary.id));

    // Waypoints and other lines near the route: the route's box plus the corridor (about
    // 0.05 degrees for 2 km at mid latitudes, more near the poles).
    let margin_deg = (args.corridor_km / 111.0) * 3.0 + 0.05;
    let near = summary.bbox.and_then(|b| grow(b, margin_deg));
    let waypoints: Vec<_> = store
        .waypoints(&[], near)?
        .into_iter()
        .map(|w| w.wpt)
        .collect();
    let others: Vec<Vec<LatLon>> = match summary.bbox.and_then(|b| grow(b, 0.05)) {
        Some(b) => store
            .line_pieces_in_bbox(b)?
            .into_iter()
            .filter(|(id, _)| *id != summary.id)
            .map(|(_, pts)| pts.into_iter().map(|p| p.pos).collect())
            .collect(),
        None => Vec::new(),
    };

    let options = SceneOptions {
        coord_format: args.coord_format,
        datum: args.datum,
        corridor_m: args.corridor_km * 1000.0,
        ..SceneOptions::default()
    };
    let open_basemap = || -> anyhow::Result<Option<PrintBasemap>> {
        Ok(match &args.basemap {
            Some(p) => Some(PrintBasemap::new(TileArchive::open(p)?)),
            None => None,
        })
    };
    let basemap = open_basemap()?;
    let atlas = paginate(&spec, &path)?;
    let other_paths: Vec<&[LatLon]> = others.iter().map(Vec::as_slice).collect();
    // Everything but the sources, which are per thread (a store connection or a basemap's
    // tile cache is not shared between threads). A macro: a closure cannot return data
    // borrowed from its arguments.
    macro_rules! data_with {
        ($map:expr, $terrain:expr, $basemap:expr) => {
            SceneData {
                route_name: &name,
                others: &other_paths,
                waypoints: &waypoints,
                basemap: $basemap.map(|b| b as &dyn RasterSource),
                map: Some($map),
                terrain: Some($terrain),
                road_cues: roads.as_ref().map_or(&[], |r| &r.cues[..]),
                cue_pois: roads.as_ref().map_or(&[], |r| &r.pois[..]),
                overview: roads.as_ref().map(|r| &r.overview),
                ..SceneData::default()
            }
        };
    }
    let (store_map, store_terrain) = (StoreMap(&store), StoreTerrain(&store));
    let data = data_with!(&store_map, &store_terrain, basemap.as_ref());
    // Map pages are built on every core, each with its own read connection, while this
    // thread writes the PDF; a worker whose connection fails leaves its pages to the others.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let worker = |build: &mut dyn FnMut(&SceneData<'_>)| {
        let (Ok(store), Ok(basemap)) = (global.open_store(), open_basemap()) else {
            return;
        };
        let (map, terrain) = (StoreMap(&store), StoreTerrain(&store));
        build(&data_with!(&map, &terrain, basemap.as_ref()));
    };
    let bytes = book_pdf_parallel(&atlas, &data, &options, None, threads, &worker)?;
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    if let Some(p) = &args.layout_json {
        let text = serde_json::to_string_pretty(&layout_json(&atlas))?;
        std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?;
    }
    outln!(
        "wrote {}: index{} + {} map pages (2-{}) at 1:{} on {}, {} bytes",
        args.output.display(),
        if data.overview.is_some() {
            ", overview"
        } else {
            ""
        },
        atlas.pages.len(),
        atlas.last_map_page(),
        args.scale,
        args.paper.as_str(),
        bytes.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_parse() {
        assert_eq!(parse_scale("1:100000"), Ok(100_000));
        assert_eq!(parse_scale("1:250,000"), Ok(250_000));
        assert_eq!(parse_scale("24000"), Ok(24_000));
        assert!(parse_scale("big").is_err());
    }
}
