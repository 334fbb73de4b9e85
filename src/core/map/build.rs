//! Map features from an element's tags and geometry, through the rules in `rules`.
//!
//! Pure; the PBF reader calls these once per element with the nodes that exist in the
//! extract. Not for deciding thresholds (that is the rule table) or storing.

use super::geom;
use super::rules::{self, Tags};
use super::{Area, OsmId, Place, Poi, Polygon, Road, WaterLine};
use crate::core::model::LatLon;

fn owned(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

/// A road from a `highway=*` way's tags and one run of its existing nodes (≥ 2 points).
pub fn road(osm: OsmId, tags: &(impl Tags + ?Sized), geometry: Vec<LatLon>) -> Option<Road> {
    let (class, max_scale) = rules::road_class(tags)?;
    if geometry.len() < 2 {
        return None;
    }
    Some(Road {
        osm,
        highway: tags.tag("highway").unwrap_or_default().to_string(),
        class,
        surface: rules::surface(tags, class),
        surface_tag: owned(tags.tag("surface")),
        tracktype: rules::tracktype(tags),
        smoothness: owned(tags.tag("smoothness")),
        four_wd_only: rules::is_yes(tags.tag("4wd_only")),
        access: owned(tags.tag("access")),
        motor_vehicle: owned(
            tags.tag("motor_vehicle")
                .or_else(|| tags.tag("motorcar"))
                .or_else(|| tags.tag("vehicle")),
        ),
        name: owned(tags.tag("name")),
        ref_: owned(tags.tag("ref")),
        bridge: rules::is_set(tags.tag("bridge")),
        tunnel: rules::is_set(tags.tag("tunnel")),
        ford: rules::is_set(tags.tag("ford")),
        oneway: rules::oneway(tags),
        seasonal: rules::seasonal(tags),
        drivable: rules::drivable(tags, class),
        max_scale,
        geometry,
    })
}

/// A water line from a `waterway=*` way.
pub fn water_line(
    osm: OsmId,
    tags: &(impl Tags + ?Sized),
    geometry: Vec<LatLon>,
) -> Option<WaterLine> {
    let (kind, max_scale) = rules::water_line_kind(tags)?;
    if geometry.len() < 2 {
        return None;
    }
    Some(WaterLine {
        osm,
        kind,
        name: owned(tags.tag("name")),
        intermittent: rules::is_yes(tags.tag("intermittent")),
        max_scale,
        geometry,
    })
}

/// An area from a closed way's or an assembled relation's polygons.
pub fn area(osm: OsmId, tags: &(impl Tags + ?Sized), polygons: Vec<Polygon>) -> Option<Area> {
    let kind = rules::area_kind(tags)?;
    if polygons.is_empty() {
        return None;
    }
    let area_m2 = geom::area_m2(&polygons);
    Some(Area {
        osm,
        kind,
        name: owned(tags.tag("name")),
        protect_class: owned(tags.tag("protect_class")),
        operator: owned(tags.tag("operator").or_else(|| tags.tag("owner"))),
        max_scale: rules::area_max_scale(kind, area_m2),
        area_m2,
        polygons,
    })
}

/// A named place at `at` (a node, or a point inside a place area).
pub fn place(osm: OsmId, tags: &(impl Tags + ?Sized), at: LatLon) -> Option<Place> {
    let kind = rules::place_kind(tags)?;
    let name = tags.tag("name")?.to_string();
    let population = tags.tag("population").and_then(rules::parse_population);
    Some(Place {
        osm,
        kind,
        name,
        population,
        max_scale: rules::place_max_scale(kind, population),
        at,
    })
}

/// A point of interest at `at`.
pub fn poi(osm: OsmId, tags: &(impl Tags + ?Sized), at: LatLon) -> Option<Poi> {
    let (kind, max_scale) = rules::poi_kind(tags)?;
    Some(Poi {
        osm,
        kind,
        name: owned(tags.tag("name")),
        brand: owned(tags.tag("brand")),
        opening_hours: owned(tags.tag("opening_hours")),
        ele_m: tags.tag("ele").and_then(rules::parse_ele_m),
        max_scale,
        at,
    })
}

/// Whether a closed way is an area rather than a line: `area=yes`, or area tags without
/// `area=no`. A closed `highway` or `waterway` is a line unless `area=yes`.
pub fn closed_way_is_area(tags: &(impl Tags + ?Sized)) -> bool {
    match tags.tag("area") {
        Some("yes") => true,
        Some("no") => false,
        _ => rules::area_kind(tags).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::map::{RoadClass, Surface};

    #[test]
    fn a_forest_road_known_only_by_its_ref() {
        let tags = vec![
            ("highway", "unclassified"),
            ("ref", "NF 2310"),
            ("surface", "gravel"),
            ("seasonal", "yes"),
        ];
        let g = vec![LatLon::new(45.0, -120.0), LatLon::new(45.01, -120.0)];
        let r = road(OsmId::Way(7), tags.as_slice(), g).unwrap();
        assert_eq!(r.class, RoadClass::Minor);
        assert_eq!(r.surface, Surface::Gravel);
        assert_eq!(r.ref_.as_deref(), Some("NF 2310"));
        assert!(r.seasonal && r.drivable && r.name.is_none());
        assert!(road(OsmId::Way(7), tags.as_slice(), vec![LatLon::new(0.0, 0.0)]).is_none());
    }

    #[test]
    fn unnamed_places_are_skipped() {
        let at = LatLon::new(1.0, 2.0);
        assert!(place(OsmId::Node(1), [("place", "town")].as_slice(), at).is_none());
        let p = place(
            OsmId::Node(1),
            [("place", "town"), ("name", "X"), ("population", "60000")].as_slice(),
            at,
        )
        .unwrap();
        assert_eq!(p.max_scale, 4_000_000);
    }
}
