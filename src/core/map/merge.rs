//! OSM POIs as a second waypoint source beside GPX waypoints.
//!
//! Navigation (`nearest`, `ahead`, `logistics`, the app's panels) works on `StoredWaypoint`s;
//! a POI joins them with a negative id derived from its OSM id ([`poi_waypoint_id`]), so the
//! two id spaces never meet and a POI's id is the same after every re-import. A GPX waypoint
//! and a POI of the same waypoint kind within [`MATCH_RADIUS_M`] are one place: the GPX one
//! is kept (the driver's own note), the POI is dropped and named as its match.
//!
//! Not for reading either source (the store does) or for drawing.

use std::collections::HashMap;

use super::{OsmId, Poi};
use crate::core::model::{StoredWaypoint, Waypoint, WaypointId, WaypointKind};
use crate::core::nearest::WaypointIndex;

/// A GPX waypoint and an OSM POI of the same kind closer than this are shown once.
pub const MATCH_RADIUS_M: f64 = 50.0;

/// Which source a navigation waypoint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A waypoint from an imported GPX file; `matched` is the OSM POI it stands for, if any.
    Gpx {
        /// The POI of the same kind within [`MATCH_RADIUS_M`], not listed separately.
        matched: Option<OsmId>,
    },
    /// An OSM POI from imported map data.
    Osm(OsmId),
}

impl Source {
    /// `"gpx"` or `"osm"`, as in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Gpx { .. } => "gpx",
            Source::Osm(_) => "osm",
        }
    }
}

/// Which sources to use (`--source gpx|osm|all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceFilter {
    /// GPX waypoints only.
    Gpx,
    /// OSM POIs only.
    Osm,
    /// Both, de-duplicated.
    #[default]
    All,
}

impl SourceFilter {
    /// Parses `gpx`, `osm`, `all`.
    pub fn parse(s: &str) -> Option<SourceFilter> {
        match s {
            "gpx" => Some(SourceFilter::Gpx),
            "osm" => Some(SourceFilter::Osm),
            "all" => Some(SourceFilter::All),
            _ => None,
        }
    }

    /// Whether GPX waypoints are used.
    pub const fn gpx(self) -> bool {
        matches!(self, SourceFilter::Gpx | SourceFilter::All)
    }

    /// Whether OSM POIs are used.
    pub const fn osm(self) -> bool {
        matches!(self, SourceFilter::Osm | SourceFilter::All)
    }
}

impl std::str::FromStr for SourceFilter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceFilter::parse(s).ok_or_else(|| format!("{s:?}: expected gpx, osm or all"))
    }
}

impl std::fmt::Display for SourceFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SourceFilter::Gpx => "gpx",
            SourceFilter::Osm => "osm",
            SourceFilter::All => "all",
        })
    }
}

/// The navigation id of a POI: negative, from its OSM id (zig-zag so negative OSM ids of
/// unuploaded edits stay distinct), times three for the element type.
pub fn poi_waypoint_id(osm: OsmId) -> WaypointId {
    let (id, t) = match osm {
        OsmId::Node(i) => (i, 0),
        OsmId::Way(i) => (i, 1),
        OsmId::Relation(i) => (i, 2),
    };
    let zig = ((id << 1) ^ (id >> 63)) as u64;
    let v = zig.wrapping_mul(3).wrapping_add(t) as i64;
    -1 - (v & i64::MAX)
}

/// The OSM id behind a navigation id made by [`poi_waypoint_id`] (`None` for GPX ids, ≥ 0).
pub fn osm_of_waypoint_id(id: WaypointId) -> Option<OsmId> {
    if id >= 0 {
        return None;
    }
    let v = (-1 - id) as u64;
    let (zig, t) = (v / 3, v % 3);
    let osm = ((zig >> 1) as i64) ^ -((zig & 1) as i64);
    Some(match t {
        0 => OsmId::Node(osm),
        1 => OsmId::Way(osm),
        _ => OsmId::Relation(osm),
    })
}

/// A POI as a navigation waypoint (kind mapped, name, brand in `desc`, hours in `cmt`).
pub fn poi_waypoint(p: &Poi) -> StoredWaypoint {
    let name = p
        .name
        .clone()
        .or_else(|| p.brand.clone())
        .or_else(|| Some(p.kind.as_str().replace('_', " ")));
    StoredWaypoint {
        id: poi_waypoint_id(p.osm),
        wpt: Waypoint {
            pos: p.at,
            ele_m: p.ele_m,
            name,
            desc: p.brand.clone(),
            cmt: p.opening_hours.clone(),
            kind: p.kind.waypoint_kind(),
            type_: Some(format!("osm:{}", p.kind.as_str())),
            ..Waypoint::default()
        },
    }
}

/// GPX waypoints and POIs merged for navigation, with where each came from.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    /// GPX waypoints first (in their order), then the POIs not matched by one.
    pub waypoints: Vec<StoredWaypoint>,
    /// The source of each id in `waypoints`.
    pub sources: HashMap<WaypointId, Source>,
}

impl Merged {
    /// The source of a waypoint id (GPX when unknown).
    pub fn source(&self, id: WaypointId) -> Source {
        self.sources
            .get(&id)
            .copied()
            .unwrap_or(Source::Gpx { matched: None })
    }
}

/// Merges GPX waypoints and POIs under `filter`, dropping each POI that has a GPX waypoint of
/// the same waypoint kind within [`MATCH_RADIUS_M`] (the GPX one notes the match).
pub fn merge(gpx: Vec<StoredWaypoint>, pois: &[Poi], filter: SourceFilter) -> Merged {
    let gpx = if filter.gpx() { gpx } else { Vec::new() };
    let pois: &[Poi] = if filter.osm() { pois } else { &[] };
    let mut sources: HashMap<WaypointId, Source> = gpx
        .iter()
        .map(|w| (w.id, Source::Gpx { matched: None }))
        .collect();
    let index = WaypointIndex::from_stored(&gpx);
    let mut waypoints = gpx;
    for p in pois {
        let kind: WaypointKind = p.kind.waypoint_kind();
        let near = index.nearest(p.at, &[kind], 1);
        if let Some(n) = near.first().filter(|n| n.distance_m <= MATCH_RADIUS_M) {
            if let Some(Source::Gpx { matched }) = sources.get_mut(&n.id)
                && matched.is_none()
            {
                *matched = Some(p.osm);
            }
            continue;
        }
        let w = poi_waypoint(p);
        sources.insert(w.id, Source::Osm(p.osm));
        waypoints.push(w);
    }
    Merged { waypoints, sources }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::map::PoiKind;
    use crate::core::model::LatLon;

    fn poi(osm: OsmId, kind: PoiKind, at: LatLon) -> Poi {
        Poi {
            osm,
            kind,
            name: None,
            brand: Some("Repsol".into()),
            opening_hours: None,
            ele_m: None,
            max_scale: 250_000,
            at,
        }
    }

    #[test]
    fn ids_round_trip_and_stay_negative() {
        for osm in [
            OsmId::Node(0),
            OsmId::Node(1),
            OsmId::Way(12_345_678_901),
            OsmId::Relation(7),
            OsmId::Node(-5),
            OsmId::Way(-1),
        ] {
            let id = poi_waypoint_id(osm);
            assert!(id < 0, "{osm:?}");
            assert_eq!(osm_of_waypoint_id(id), Some(osm));
        }
        assert_eq!(osm_of_waypoint_id(3), None);
    }

    #[test]
    fn a_gpx_fuel_stop_hides_the_same_station_from_osm() {
        let at = LatLon::new(42.5, 1.5);
        let gpx = vec![StoredWaypoint {
            id: 4,
            wpt: Waypoint {
                pos: at,
                kind: WaypointKind::Fuel,
                name: Some("Gas".into()),
                ..Waypoint::default()
            },
        }];
        // 30 m away: the same station. 30 m away but water: another place. 500 m: another.
        let near = LatLon::new(42.5 + 30.0 / 111_195.0, 1.5);
        let far = LatLon::new(42.5 + 500.0 / 111_195.0, 1.5);
        let pois = vec![
            poi(OsmId::Node(10), PoiKind::Fuel, near),
            poi(OsmId::Node(11), PoiKind::DrinkingWater, near),
            poi(OsmId::Way(12), PoiKind::Fuel, far),
        ];
        let m = merge(gpx.clone(), &pois, SourceFilter::All);
        assert_eq!(m.waypoints.len(), 3);
        assert_eq!(
            m.source(4),
            Source::Gpx {
                matched: Some(OsmId::Node(10))
            }
        );
        assert_eq!(
            m.source(poi_waypoint_id(OsmId::Way(12))),
            Source::Osm(OsmId::Way(12))
        );
        assert_eq!(
            merge(gpx.clone(), &pois, SourceFilter::Gpx).waypoints.len(),
            1
        );
        assert_eq!(merge(gpx, &pois, SourceFilter::Osm).waypoints.len(), 3);
    }
}
