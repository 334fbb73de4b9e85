//! The OSM tag rules: which element becomes which map feature, with which class, kind and
//! scale threshold. Decided once, at import, from this table (data, not code paths), the way
//! protomaps/basemaps `Roads.java` decides `minzoom` per highway class.
//!
//! Each layer has its own rule list; within a list the first matching rule wins. An element
//! may yield one feature per layer (a closed `highway=pedestrian` way with `amenity=toilets`
//! is a road and a POI), never two in the same layer.
//!
//! Not for reading PBF (that is `import::osm`, which hands tags here) or for drawing.
//!
//! # Scale thresholds (scale denominators; a feature shows at its threshold and closer)
//!
//! | what | shown from |
//! |---|---|
//! | motorway, trunk, primary | 1:4,000,000 |
//! | their links, secondary | 1:1,000,000 |
//! | tertiary (and links) | 1:500,000 |
//! | minor (`unclassified`, `road`), track | 1:250,000 |
//! | residential, service, living street | 1:100,000 |
//! | paths, footways, cycleways, other | 1:50,000 |
//! | river / canal | 1:1,000,000 / 1:500,000; streams 1:100,000; ditches 1:25,000 |
//! | areas | by kind and size: see [`area_max_scale`] |
//! | places | by kind and population: see [`place_max_scale`] |
//! | POIs | by kind: see [`POI_RULES`] |
//!
//! Roads closed to the public (`access=private|no`) are drawn one step later (half the
//! threshold), so a state view is not cluttered by driveways.

use super::{AreaKind, PlaceKind, PoiKind, RoadClass, Surface, WaterLineKind};

/// Looks up a tag by key.
pub trait Tags {
    /// The value of `key`, if present.
    fn tag(&self, key: &str) -> Option<&str>;
}

impl<S: AsRef<str>> Tags for [(S, S)] {
    fn tag(&self, key: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v.as_ref())
    }
}

impl<S: AsRef<str>> Tags for Vec<(S, S)> {
    fn tag(&self, key: &str) -> Option<&str> {
        self.as_slice().tag(key)
    }
}

/// How a rule matches a tag value.
#[derive(Debug, Clone, Copy)]
pub enum Match {
    /// Any value except `no`.
    Any,
    /// Exactly this value.
    Is(&'static str),
    /// One of these values.
    OneOf(&'static [&'static str]),
}

impl Match {
    fn matches(self, v: &str) -> bool {
        match self {
            Match::Any => v != "no",
            Match::Is(x) => v == x,
            Match::OneOf(xs) => xs.contains(&v),
        }
    }
}

/// One rule: `key` matching `value` gives `out` (with a scale threshold where the layer has a
/// fixed one).
#[derive(Debug, Clone, Copy)]
pub struct Rule<T> {
    /// The tag key.
    pub key: &'static str,
    /// The values it matches.
    pub value: Match,
    /// What the element becomes.
    pub out: T,
    /// Shown at this scale denominator and closer (0: decided by a function of the layer).
    pub max_scale: u32,
}

const fn rule<T>(key: &'static str, value: Match, out: T, max_scale: u32) -> Rule<T> {
    Rule {
        key,
        value,
        out,
        max_scale,
    }
}

/// `highway=*` values to road classes and thresholds.
pub const ROAD_RULES: &[Rule<RoadClass>] = &[
    rule(
        "highway",
        Match::Is("motorway"),
        RoadClass::Motorway,
        4_000_000,
    ),
    rule("highway", Match::Is("trunk"), RoadClass::Trunk, 4_000_000),
    rule(
        "highway",
        Match::Is("primary"),
        RoadClass::Primary,
        4_000_000,
    ),
    rule(
        "highway",
        Match::Is("motorway_link"),
        RoadClass::Motorway,
        1_000_000,
    ),
    rule(
        "highway",
        Match::Is("trunk_link"),
        RoadClass::Trunk,
        1_000_000,
    ),
    rule(
        "highway",
        Match::Is("primary_link"),
        RoadClass::Primary,
        1_000_000,
    ),
    rule(
        "highway",
        Match::OneOf(&["secondary", "secondary_link"]),
        RoadClass::Secondary,
        1_000_000,
    ),
    rule(
        "highway",
        Match::OneOf(&["tertiary", "tertiary_link"]),
        RoadClass::Tertiary,
        500_000,
    ),
    rule(
        "highway",
        Match::OneOf(&["unclassified", "road"]),
        RoadClass::Minor,
        250_000,
    ),
    rule("highway", Match::Is("track"), RoadClass::Track, 250_000),
    rule(
        "highway",
        Match::OneOf(&["residential", "living_street"]),
        RoadClass::Residential,
        100_000,
    ),
    rule("highway", Match::Is("service"), RoadClass::Service, 100_000),
    rule(
        "highway",
        Match::OneOf(&[
            "path",
            "footway",
            "cycleway",
            "bridleway",
            "steps",
            "pedestrian",
            "corridor",
            "via_ferrata",
        ]),
        RoadClass::Path,
        50_000,
    ),
    rule("highway", Match::Any, RoadClass::Other, 50_000),
];

/// `waterway=*` values to water line kinds.
pub const WATER_LINE_RULES: &[Rule<WaterLineKind>] = &[
    rule(
        "waterway",
        Match::Is("river"),
        WaterLineKind::River,
        1_000_000,
    ),
    rule(
        "waterway",
        Match::Is("canal"),
        WaterLineKind::Canal,
        500_000,
    ),
    rule(
        "waterway",
        Match::OneOf(&["stream", "brook", "tidal_channel"]),
        WaterLineKind::Stream,
        100_000,
    ),
    rule(
        "waterway",
        Match::OneOf(&["ditch", "drain"]),
        WaterLineKind::Ditch,
        25_000,
    ),
];

/// Tags making a closed way or a multipolygon an area (threshold from [`area_max_scale`]).
pub const AREA_RULES: &[Rule<AreaKind>] = &[
    rule(
        "boundary",
        Match::Is("national_park"),
        AreaKind::NationalPark,
        0,
    ),
    rule(
        "boundary",
        Match::Is("protected_area"),
        AreaKind::Protected,
        0,
    ),
    rule(
        "leisure",
        Match::Is("nature_reserve"),
        AreaKind::Protected,
        0,
    ),
    rule("landuse", Match::Is("reservoir"), AreaKind::Reservoir, 0),
    rule("water", Match::Is("reservoir"), AreaKind::Reservoir, 0),
    rule("waterway", Match::Is("riverbank"), AreaKind::Riverbank, 0),
    rule("water", Match::Is("river"), AreaKind::Riverbank, 0),
    rule("natural", Match::Is("water"), AreaKind::Lake, 0),
    rule("natural", Match::Is("wetland"), AreaKind::Wetland, 0),
    rule("natural", Match::Is("glacier"), AreaKind::Glacier, 0),
    rule("natural", Match::Is("wood"), AreaKind::Wood, 0),
    rule("landuse", Match::Is("forest"), AreaKind::Wood, 0),
    rule(
        "natural",
        Match::OneOf(&["scrub", "heath"]),
        AreaKind::Scrub,
        0,
    ),
    rule(
        "natural",
        Match::OneOf(&["grassland", "fell"]),
        AreaKind::Grass,
        0,
    ),
    rule(
        "landuse",
        Match::OneOf(&["meadow", "grass", "recreation_ground"]),
        AreaKind::Grass,
        0,
    ),
    rule(
        "natural",
        Match::OneOf(&["bare_rock", "scree", "sand", "beach", "shingle"]),
        AreaKind::Bare,
        0,
    ),
    rule(
        "landuse",
        Match::OneOf(&["farmland", "orchard", "vineyard", "farmyard"]),
        AreaKind::Farmland,
        0,
    ),
    rule(
        "landuse",
        Match::OneOf(&["residential", "commercial", "retail", "industrial"]),
        AreaKind::Developed,
        0,
    ),
    rule("landuse", Match::Is("military"), AreaKind::Military, 0),
];

/// `place=*` values to place kinds (threshold from [`place_max_scale`]).
pub const PLACE_RULES: &[Rule<PlaceKind>] = &[
    rule("place", Match::Is("city"), PlaceKind::City, 0),
    rule("place", Match::Is("town"), PlaceKind::Town, 0),
    rule("place", Match::Is("village"), PlaceKind::Village, 0),
    rule("place", Match::Is("hamlet"), PlaceKind::Hamlet, 0),
    rule(
        "place",
        Match::OneOf(&["locality", "isolated_dwelling"]),
        PlaceKind::Locality,
        0,
    ),
];

/// Tags making an element a point of interest. The primary tags come first, so an element
/// tagged both `amenity=fuel` and `amenity=toilets`... cannot be (one key), but a fuel station
/// that is also a `tourism=viewpoint` is a fuel station.
pub const POI_RULES: &[Rule<PoiKind>] = &[
    rule("amenity", Match::Is("fuel"), PoiKind::Fuel, 250_000),
    rule(
        "tourism",
        Match::Is("camp_site"),
        PoiKind::CampSite,
        250_000,
    ),
    rule(
        "tourism",
        Match::Is("caravan_site"),
        PoiKind::CaravanSite,
        250_000,
    ),
    rule(
        "amenity",
        Match::Is("drinking_water"),
        PoiKind::DrinkingWater,
        100_000,
    ),
    rule(
        "amenity",
        Match::Is("water_point"),
        PoiKind::WaterPoint,
        100_000,
    ),
    rule("natural", Match::Is("peak"), PoiKind::Peak, 250_000),
    rule("natural", Match::Is("saddle"), PoiKind::Saddle, 100_000),
    rule("mountain_pass", Match::Is("yes"), PoiKind::Saddle, 100_000),
    rule("amenity", Match::Is("shelter"), PoiKind::Shelter, 100_000),
    rule(
        "tourism",
        Match::OneOf(&["wilderness_hut", "alpine_hut"]),
        PoiKind::Shelter,
        100_000,
    ),
    rule("amenity", Match::Is("toilets"), PoiKind::Toilets, 50_000),
    rule(
        "tourism",
        Match::Is("viewpoint"),
        PoiKind::Viewpoint,
        100_000,
    ),
    rule("barrier", Match::Is("gate"), PoiKind::Gate, 50_000),
    rule(
        "ford",
        Match::OneOf(&["yes", "stepping_stones"]),
        PoiKind::Ford,
        100_000,
    ),
];

/// The keys any rule or feature field reads; the import keeps only these tags in memory.
pub const USED_KEYS: &[&str] = &[
    "highway",
    "waterway",
    "natural",
    "landuse",
    "leisure",
    "boundary",
    "water",
    "place",
    "amenity",
    "tourism",
    "barrier",
    "ford",
    "mountain_pass",
    "surface",
    "tracktype",
    "smoothness",
    "4wd_only",
    "access",
    "motor_vehicle",
    "motorcar",
    "vehicle",
    "name",
    "ref",
    "bridge",
    "tunnel",
    "oneway",
    "seasonal",
    "winter_road",
    "intermittent",
    "protect_class",
    "operator",
    "owner",
    "population",
    "brand",
    "opening_hours",
    "ele",
    "area",
    "type",
    "junction",
];

fn first<T: Copy>(rules: &[Rule<T>], tags: &(impl Tags + ?Sized)) -> Option<(T, u32)> {
    rules.iter().find_map(|r| {
        tags.tag(r.key)
            .filter(|v| r.value.matches(v))
            .map(|_| (r.out, r.max_scale))
    })
}

/// The road class and threshold of a way's tags, if it is a road.
pub fn road_class(tags: &(impl Tags + ?Sized)) -> Option<(RoadClass, u32)> {
    let (class, scale) = first(ROAD_RULES, tags)?;
    // Closed to the public: drawn one step closer in.
    let private = matches!(tags.tag("access"), Some("private" | "no"));
    Some((class, if private { scale / 2 } else { scale }))
}

/// The water line kind and threshold of a way's tags.
pub fn water_line_kind(tags: &(impl Tags + ?Sized)) -> Option<(WaterLineKind, u32)> {
    first(WATER_LINE_RULES, tags)
}

/// The area kind of a closed way's or multipolygon's tags.
pub fn area_kind(tags: &(impl Tags + ?Sized)) -> Option<AreaKind> {
    first(AREA_RULES, tags).map(|(k, _)| k)
}

/// The place kind of an element's tags.
pub fn place_kind(tags: &(impl Tags + ?Sized)) -> Option<PlaceKind> {
    first(PLACE_RULES, tags).map(|(k, _)| k)
}

/// The POI kind and threshold of an element's tags.
pub fn poi_kind(tags: &(impl Tags + ?Sized)) -> Option<(PoiKind, u32)> {
    first(POI_RULES, tags)
}

/// The threshold of an area by kind and size: big lakes and national forests show on a
/// state map, a village pond only close in.
pub fn area_max_scale(kind: AreaKind, area_m2: f64) -> u32 {
    let km2 = area_m2 / 1e6;
    // Water, parks and protected land are what a small-scale map still shows.
    let prominent = kind.is_water() || kind.is_public_land() || kind == AreaKind::Glacier;
    let steps: [(f64, u32); 5] = if prominent {
        [
            (500.0, 10_000_000),
            (50.0, 4_000_000),
            (5.0, 1_000_000),
            (0.5, 500_000),
            (0.05, 250_000),
        ]
    } else {
        [
            (500.0, 4_000_000),
            (50.0, 1_000_000),
            (5.0, 500_000),
            (0.5, 250_000),
            (0.05, 100_000),
        ]
    };
    steps
        .iter()
        .find(|(min_km2, _)| km2 >= *min_km2)
        .map_or(50_000, |(_, s)| *s)
}

/// The threshold of a place by kind and population.
pub fn place_max_scale(kind: PlaceKind, population: Option<u64>) -> u32 {
    let pop = population.unwrap_or(0);
    match kind {
        PlaceKind::City if pop >= 1_000_000 => 20_000_000,
        PlaceKind::City => 10_000_000,
        PlaceKind::Town if pop >= 50_000 => 4_000_000,
        PlaceKind::Town => 2_000_000,
        PlaceKind::Village if pop >= 5_000 => 1_000_000,
        PlaceKind::Village => 500_000,
        PlaceKind::Hamlet => 100_000,
        PlaceKind::Locality => 50_000,
    }
}

/// What a road is made of: `surface` first, then `tracktype`, then the class.
pub fn surface(tags: &(impl Tags + ?Sized), class: RoadClass) -> Surface {
    if let Some(s) = tags.tag("surface") {
        // `surface=asphalt;gravel` names the main one first.
        let main = s.split(';').next().unwrap_or(s).trim();
        let from_tag = match main {
            "asphalt" | "concrete" | "paved" | "paving_stones" | "sett" | "chipseal"
            | "concrete:plates" | "concrete:lanes" | "cobblestone" | "unhewn_cobblestone"
            | "bricks" | "metal" | "wood" => Some(Surface::Paved),
            "gravel" | "compacted" | "fine_gravel" | "pebblestone" | "unpaved" | "shells"
            | "grass_paver" => Some(Surface::Gravel),
            "dirt" | "earth" | "ground" | "grass" | "mud" | "sand" | "rock" | "soil" | "clay"
            | "snow" | "ice" | "salt" => Some(Surface::Dirt),
            _ => None,
        };
        if let Some(s) = from_tag {
            return s;
        }
    }
    match tracktype(tags) {
        Some(1) => return Surface::Paved,
        Some(2 | 3) => return Surface::Gravel,
        Some(4 | 5) => return Surface::Dirt,
        _ => {}
    }
    match class {
        RoadClass::Motorway
        | RoadClass::Trunk
        | RoadClass::Primary
        | RoadClass::Secondary
        | RoadClass::Tertiary
        | RoadClass::Residential => Surface::Paved,
        _ => Surface::Unknown,
    }
}

/// `tracktype=gradeN` as N.
pub fn tracktype(tags: &(impl Tags + ?Sized)) -> Option<u8> {
    let t = tags.tag("tracktype")?.strip_prefix("grade")?;
    t.parse().ok().filter(|n| (1..=5).contains(n))
}

/// `yes`, `true`, `1`.
pub fn is_yes(v: Option<&str>) -> bool {
    matches!(v, Some("yes" | "true" | "1"))
}

/// A flag tag such as `bridge`, `tunnel`: present and not `no`.
pub fn is_set(v: Option<&str>) -> bool {
    v.is_some_and(|v| v != "no" && v != "false" && v != "0")
}

/// `oneway` as 1 (along), -1 (against), 0; roundabouts and motorways are one way by default.
pub fn oneway(tags: &(impl Tags + ?Sized)) -> i8 {
    match tags.tag("oneway") {
        Some("yes" | "true" | "1") => 1,
        Some("-1" | "reverse") => -1,
        Some(_) => 0,
        None => {
            let roundabout = tags.tag("junction") == Some("roundabout");
            let motorway = matches!(tags.tag("highway"), Some("motorway"));
            i8::from(roundabout || motorway)
        }
    }
}

/// Whether a motor vehicle may use the road: not a path, not closed to motor vehicles.
pub fn drivable(tags: &(impl Tags + ?Sized), class: RoadClass) -> bool {
    if class == RoadClass::Path {
        return false;
    }
    if matches!(
        tags.tag("highway"),
        Some("construction" | "proposed" | "abandoned" | "razed")
    ) {
        return false;
    }
    let motor = tags
        .tag("motor_vehicle")
        .or_else(|| tags.tag("motorcar"))
        .or_else(|| tags.tag("vehicle"));
    match motor {
        Some("no") => false,
        Some(_) => true,
        None => tags.tag("access") != Some("no"),
    }
}

/// `seasonal=yes` (or a season), `winter_road=yes`.
pub fn seasonal(tags: &(impl Tags + ?Sized)) -> bool {
    is_set(tags.tag("seasonal")) || is_yes(tags.tag("winter_road"))
}

/// `ele` in metres: `2317`, `2317 m`, `2317m`, `7600 ft`, `7,600'`.
pub fn parse_ele_m(s: &str) -> Option<f64> {
    let t = s.trim().replace(',', ".");
    let (num, feet) = if let Some(n) = t.strip_suffix("ft").or_else(|| t.strip_suffix('\'')) {
        (n.trim().to_string(), true)
    } else if let Some(n) = t.strip_suffix('m') {
        (n.trim().to_string(), false)
    } else {
        (t.clone(), false)
    };
    let v: f64 = num.parse().ok()?;
    if !v.is_finite() || !(-500.0..=9000.0).contains(&(if feet { v * 0.3048 } else { v })) {
        return None;
    }
    Some(if feet { v * 0.3048 } else { v })
}

/// `population`, where it parses (`12000`, `12 000`, `12,000`).
pub fn parse_population(s: &str) -> Option<u64> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | ',' | '.' | '\u{a0}'))
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pairs: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        pairs.to_vec()
    }

    #[test]
    fn roads_by_class_with_private_one_step_in() {
        assert_eq!(
            road_class(&t(&[("highway", "primary")])),
            Some((RoadClass::Primary, 4_000_000))
        );
        assert_eq!(
            road_class(&t(&[("highway", "track"), ("access", "private")])),
            Some((RoadClass::Track, 125_000))
        );
        assert_eq!(
            road_class(&t(&[("highway", "bus_guideway")])),
            Some((RoadClass::Other, 50_000))
        );
        assert_eq!(road_class(&t(&[("highway", "no")])), None);
        assert_eq!(road_class(&t(&[("name", "x")])), None);
    }

    #[test]
    fn surface_from_tag_then_tracktype_then_class() {
        let c = RoadClass::Track;
        assert_eq!(surface(&t(&[("surface", "gravel")]), c), Surface::Gravel);
        assert_eq!(
            surface(&t(&[("surface", "asphalt;gravel")]), c),
            Surface::Paved
        );
        assert_eq!(surface(&t(&[("tracktype", "grade4")]), c), Surface::Dirt);
        assert_eq!(surface(&t(&[]), c), Surface::Unknown);
        assert_eq!(surface(&t(&[]), RoadClass::Primary), Surface::Paved);
        assert_eq!(
            surface(&t(&[("surface", "dirt")]), RoadClass::Primary),
            Surface::Dirt
        );
    }

    #[test]
    fn first_matching_poi_rule_wins() {
        assert_eq!(
            poi_kind(&t(&[("tourism", "viewpoint"), ("amenity", "fuel")])),
            Some((PoiKind::Fuel, 250_000))
        );
        assert_eq!(poi_kind(&t(&[("amenity", "bench")])), None);
    }

    #[test]
    fn areas_and_their_scale() {
        assert_eq!(
            area_kind(&t(&[("natural", "water"), ("water", "reservoir")])),
            Some(AreaKind::Reservoir)
        );
        assert_eq!(
            area_kind(&t(&[("landuse", "forest")])),
            Some(AreaKind::Wood)
        );
        assert_eq!(area_max_scale(AreaKind::Lake, 60e6), 4_000_000);
        assert_eq!(area_max_scale(AreaKind::Wood, 60e6), 1_000_000);
        assert_eq!(area_max_scale(AreaKind::Wood, 10.0), 50_000);
    }

    #[test]
    fn values_parse() {
        assert_eq!(parse_ele_m("2317m"), Some(2317.0));
        assert_eq!(parse_ele_m(" 2317 m"), Some(2317.0));
        assert!((parse_ele_m("7600 ft").unwrap() - 2316.48).abs() < 1e-9);
        assert_eq!(parse_ele_m("high"), None);
        assert_eq!(parse_ele_m("99999"), None);
        assert_eq!(parse_population("12 000"), Some(12_000));
        assert_eq!(parse_population("about 5"), None);
        assert_eq!(tracktype(&t(&[("tracktype", "grade2")])), Some(2));
        assert_eq!(tracktype(&t(&[("tracktype", "grade9")])), None);
        assert_eq!(oneway(&t(&[("junction", "roundabout")])), 1);
        assert_eq!(oneway(&t(&[("oneway", "-1")])), -1);
        assert!(!drivable(&t(&[("access", "no")]), RoadClass::Minor));
        assert!(drivable(
            &t(&[("access", "no"), ("motor_vehicle", "yes")]),
            RoadClass::Minor
        ));
        assert!(!drivable(&t(&[]), RoadClass::Path));
    }
}
