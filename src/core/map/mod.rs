//! Map features: what the map import stores and the map layers draw.
//!
//! Plain data in WGS84 `LatLon`, one type per layer: [`Road`], [`WaterLine`], [`Area`] (water
//! areas and land), [`Place`], [`Poi`]. What an OpenStreetMap tag means (class, kind, the scale
//! at which a feature appears) is decided once, by the rule table in `rules`, at import;
//! drawing only filters on what is stored here and never re-reads tags (the protomaps/basemaps
//! way, see STYLE.md).
//!
//! Not for reading PBF (that is `import::osm`), SQL (`store::map`) or drawing (`scene::layers`).
//!
//! Scale thresholds are scale denominators: a feature with `max_scale: 250_000` is drawn at
//! 1:250,000 and at every larger scale (1:100,000, 1:24,000), not at 1:500,000.

use crate::core::model::{LatLon, WaypointKind};

pub mod build;
pub mod corridor;
pub mod geom;
pub mod merge;
pub mod rules;

/// What the map layers draw for one view: the features intersecting a box that are shown at
/// its scale, with geometry generalised for that scale (`Store::map_in_bbox`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapData {
    /// Roads, most important class first.
    pub roads: Vec<Road>,
    /// Rivers, streams, canals.
    pub water_lines: Vec<WaterLine>,
    /// Water areas and land, largest first.
    pub areas: Vec<Area>,
    /// Towns and named places, most important first.
    pub places: Vec<Place>,
    /// Points of interest.
    pub pois: Vec<Poi>,
}

impl MapData {
    /// True when nothing is in it.
    pub fn is_empty(&self) -> bool {
        self.roads.is_empty()
            && self.water_lines.is_empty()
            && self.areas.is_empty()
            && self.places.is_empty()
            && self.pois.is_empty()
    }
}

/// Which OSM element a feature came from, so a newer extract can replace it and a GPX
/// waypoint can name its match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OsmId {
    /// A node.
    Node(i64),
    /// A way (open or closed).
    Way(i64),
    /// A relation (a multipolygon or a boundary).
    Relation(i64),
}

impl OsmId {
    /// `n123`, `w123`, `r123`, as osmium writes them.
    pub fn to_text(self) -> String {
        match self {
            OsmId::Node(i) => format!("n{i}"),
            OsmId::Way(i) => format!("w{i}"),
            OsmId::Relation(i) => format!("r{i}"),
        }
    }

    /// Parses [`OsmId::to_text`].
    pub fn parse(s: &str) -> Option<OsmId> {
        let (t, rest) = s.split_at_checked(1)?;
        let id: i64 = rest.parse().ok()?;
        match t {
            "n" => Some(OsmId::Node(id)),
            "w" => Some(OsmId::Way(id)),
            "r" => Some(OsmId::Relation(id)),
            _ => None,
        }
    }
}

/// A road's class, from its `highway` value, in drawing order from the most important.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoadClass {
    /// `motorway`, `motorway_link`.
    Motorway,
    /// `trunk`, `trunk_link`.
    Trunk,
    /// `primary`, `primary_link`.
    Primary,
    /// `secondary`, `secondary_link`.
    Secondary,
    /// `tertiary`, `tertiary_link`.
    Tertiary,
    /// `unclassified`, `road`: minor public roads, often US forest roads.
    Minor,
    /// `residential`, `living_street`.
    Residential,
    /// `service`.
    Service,
    /// `track`: farm, forest and two-track roads.
    Track,
    /// `path`, `footway`, `cycleway`, `bridleway`, `steps`, `pedestrian`: kept, not drivable.
    Path,
    /// Anything else (`construction`, `proposed`, `raceway`, ...).
    Other,
}

impl RoadClass {
    /// Every class, in drawing-importance order.
    pub const ALL: [RoadClass; 11] = [
        RoadClass::Motorway,
        RoadClass::Trunk,
        RoadClass::Primary,
        RoadClass::Secondary,
        RoadClass::Tertiary,
        RoadClass::Minor,
        RoadClass::Residential,
        RoadClass::Service,
        RoadClass::Track,
        RoadClass::Path,
        RoadClass::Other,
    ];

    /// The stable name stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            RoadClass::Motorway => "motorway",
            RoadClass::Trunk => "trunk",
            RoadClass::Primary => "primary",
            RoadClass::Secondary => "secondary",
            RoadClass::Tertiary => "tertiary",
            RoadClass::Minor => "minor",
            RoadClass::Residential => "residential",
            RoadClass::Service => "service",
            RoadClass::Track => "track",
            RoadClass::Path => "path",
            RoadClass::Other => "other",
        }
    }

    /// Parses [`RoadClass::as_str`].
    pub fn parse(s: &str) -> Option<RoadClass> {
        RoadClass::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What the road is made of, as a driver cares: from `surface`, else `tracktype`, else the
/// class (a primary road with no `surface` is taken as paved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Surface {
    /// Asphalt, concrete, paving stones, sett, chipseal.
    Paved,
    /// Gravel, compacted, fine gravel, pebblestone, unpaved.
    Gravel,
    /// Dirt, earth, ground, grass, mud, sand, rock.
    Dirt,
    /// Nothing says.
    Unknown,
}

impl Surface {
    /// The stable name stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Surface::Paved => "paved",
            Surface::Gravel => "gravel",
            Surface::Dirt => "dirt",
            Surface::Unknown => "unknown",
        }
    }

    /// Parses [`Surface::as_str`].
    pub fn parse(s: &str) -> Option<Surface> {
        [
            Surface::Paved,
            Surface::Gravel,
            Surface::Dirt,
            Surface::Unknown,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A `highway=*` way.
#[derive(Debug, Clone, PartialEq)]
pub struct Road {
    /// The OSM way.
    pub osm: OsmId,
    /// The raw `highway` value (`track`, `residential`, ...), for per-value statistics.
    pub highway: String,
    /// The class the rules gave it.
    pub class: RoadClass,
    /// What it is made of (derived; see [`Surface`]).
    pub surface: Surface,
    /// The raw `surface` tag.
    pub surface_tag: Option<String>,
    /// `tracktype=gradeN` as N (1 solid .. 5 soft).
    pub tracktype: Option<u8>,
    /// The raw `smoothness` tag.
    pub smoothness: Option<String>,
    /// `4wd_only=yes`.
    pub four_wd_only: bool,
    /// The raw `access` tag.
    pub access: Option<String>,
    /// The raw `motor_vehicle` (else `motorcar`, `vehicle`) tag.
    pub motor_vehicle: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `ref` (`NF 2310`).
    pub ref_: Option<String>,
    /// `bridge=*` other than `no`.
    pub bridge: bool,
    /// `tunnel=*` other than `no`.
    pub tunnel: bool,
    /// `ford=yes` on the way.
    pub ford: bool,
    /// 1 one way along the geometry, -1 against it, 0 both ways.
    pub oneway: i8,
    /// `seasonal=yes` or `winter_road`, or `access:conditional` closures by season.
    pub seasonal: bool,
    /// False for paths, footways, cycleways, bridleways, steps, and roads closed to motor
    /// vehicles (`motor_vehicle=no`, `access=no`).
    pub drivable: bool,
    /// Drawn at this scale denominator and larger scales.
    pub max_scale: u32,
    /// The way's nodes that exist in the extract, in order.
    pub geometry: Vec<LatLon>,
}

/// A kind of water line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WaterLineKind {
    /// `waterway=river`.
    River,
    /// `waterway=stream`, `brook`.
    Stream,
    /// `waterway=canal`.
    Canal,
    /// `waterway=ditch`, `drain`.
    Ditch,
}

impl WaterLineKind {
    /// The stable name stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            WaterLineKind::River => "river",
            WaterLineKind::Stream => "stream",
            WaterLineKind::Canal => "canal",
            WaterLineKind::Ditch => "ditch",
        }
    }

    /// Parses [`WaterLineKind::as_str`].
    pub fn parse(s: &str) -> Option<WaterLineKind> {
        [
            WaterLineKind::River,
            WaterLineKind::Stream,
            WaterLineKind::Canal,
            WaterLineKind::Ditch,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A `waterway=*` line.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterLine {
    /// The OSM way.
    pub osm: OsmId,
    /// Its kind.
    pub kind: WaterLineKind,
    /// `name`.
    pub name: Option<String>,
    /// `intermittent=yes`.
    pub intermittent: bool,
    /// Drawn at this scale denominator and larger scales.
    pub max_scale: u32,
    /// The way's nodes that exist in the extract, in order.
    pub geometry: Vec<LatLon>,
}

/// What an area is: water areas and the land a topographic map tints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AreaKind {
    /// `natural=water` (lakes, ponds).
    Lake,
    /// `landuse=reservoir`, `water=reservoir`.
    Reservoir,
    /// `waterway=riverbank`, `water=river`.
    Riverbank,
    /// `natural=wetland`.
    Wetland,
    /// `natural=glacier`.
    Glacier,
    /// `natural=wood`, `landuse=forest`.
    Wood,
    /// `natural=scrub`, `heath`.
    Scrub,
    /// `natural=grassland`, `landuse=meadow`, `grass`.
    Grass,
    /// `natural=bare_rock`, `scree`, `sand`, `beach`.
    Bare,
    /// `landuse=farmland`, `orchard`, `vineyard`.
    Farmland,
    /// `landuse=residential`, `commercial`, `retail`, `industrial`.
    Developed,
    /// `landuse=military`.
    Military,
    /// `boundary=national_park`, or `protected_area` with `protect_class` 2.
    NationalPark,
    /// `boundary=protected_area` (national forests, wilderness, BLM land, nature reserves)
    /// and `leisure=nature_reserve`.
    Protected,
}

impl AreaKind {
    /// Every kind.
    pub const ALL: [AreaKind; 14] = [
        AreaKind::Lake,
        AreaKind::Reservoir,
        AreaKind::Riverbank,
        AreaKind::Wetland,
        AreaKind::Glacier,
        AreaKind::Wood,
        AreaKind::Scrub,
        AreaKind::Grass,
        AreaKind::Bare,
        AreaKind::Farmland,
        AreaKind::Developed,
        AreaKind::Military,
        AreaKind::NationalPark,
        AreaKind::Protected,
    ];

    /// The stable name stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            AreaKind::Lake => "lake",
            AreaKind::Reservoir => "reservoir",
            AreaKind::Riverbank => "riverbank",
            AreaKind::Wetland => "wetland",
            AreaKind::Glacier => "glacier",
            AreaKind::Wood => "wood",
            AreaKind::Scrub => "scrub",
            AreaKind::Grass => "grass",
            AreaKind::Bare => "bare",
            AreaKind::Farmland => "farmland",
            AreaKind::Developed => "developed",
            AreaKind::Military => "military",
            AreaKind::NationalPark => "national_park",
            AreaKind::Protected => "protected",
        }
    }

    /// Parses [`AreaKind::as_str`].
    pub fn parse(s: &str) -> Option<AreaKind> {
        AreaKind::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Lakes, reservoirs and riverbanks: the water layer; everything else is land.
    pub const fn is_water(self) -> bool {
        matches!(
            self,
            AreaKind::Lake | AreaKind::Reservoir | AreaKind::Riverbank
        )
    }

    /// Land where the public may usually camp or pass: national parks and protected areas
    /// (national forests, BLM land). The operator says whose.
    pub const fn is_public_land(self) -> bool {
        matches!(self, AreaKind::NationalPark | AreaKind::Protected)
    }
}

/// One polygon: an outer ring and its holes, each closed (first point == last point).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Polygon {
    /// The outer ring.
    pub outer: Vec<LatLon>,
    /// Holes.
    pub inners: Vec<Vec<LatLon>>,
}

/// An area: a closed way or an assembled multipolygon (or boundary) relation.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// The OSM way or relation.
    pub osm: OsmId,
    /// What it is.
    pub kind: AreaKind,
    /// `name`.
    pub name: Option<String>,
    /// `protect_class` (1..=6, 24, ...), as text.
    pub protect_class: Option<String>,
    /// `operator`, else `owner` (`US Forest Service`, `Bureau of Land Management`).
    pub operator: Option<String>,
    /// Drawn at this scale denominator and larger scales.
    pub max_scale: u32,
    /// Area on the sphere in square metres (outer minus inner rings).
    pub area_m2: f64,
    /// The polygons (a multipolygon may have several).
    pub polygons: Vec<Polygon>,
}

/// A kind of settlement or named place, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlaceKind {
    /// `place=city`.
    City,
    /// `place=town`.
    Town,
    /// `place=village`.
    Village,
    /// `place=hamlet`.
    Hamlet,
    /// `place=locality`, `isolated_dwelling`: a named spot, often with no one living there.
    Locality,
}

impl PlaceKind {
    /// The stable name stored in the database (the OSM value).
    pub const fn as_str(self) -> &'static str {
        match self {
            PlaceKind::City => "city",
            PlaceKind::Town => "town",
            PlaceKind::Village => "village",
            PlaceKind::Hamlet => "hamlet",
            PlaceKind::Locality => "locality",
        }
    }

    /// Parses [`PlaceKind::as_str`].
    pub fn parse(s: &str) -> Option<PlaceKind> {
        [
            PlaceKind::City,
            PlaceKind::Town,
            PlaceKind::Village,
            PlaceKind::Hamlet,
            PlaceKind::Locality,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A `place=*` node (or the representative point of a place area).
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The OSM element.
    pub osm: OsmId,
    /// Its kind.
    pub kind: PlaceKind,
    /// `name`.
    pub name: String,
    /// `population`, where it parses.
    pub population: Option<u64>,
    /// Drawn at this scale denominator and larger scales (bigger towns appear sooner).
    pub max_scale: u32,
    /// Where it is.
    pub at: LatLon,
}

/// A point of interest a navigator needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PoiKind {
    /// `amenity=fuel`.
    Fuel,
    /// `tourism=camp_site`.
    CampSite,
    /// `tourism=caravan_site`.
    CaravanSite,
    /// `amenity=drinking_water`.
    DrinkingWater,
    /// `amenity=water_point`.
    WaterPoint,
    /// `amenity=shelter`, `tourism=wilderness_hut`, `alpine_hut`.
    Shelter,
    /// `amenity=toilets`.
    Toilets,
    /// `tourism=viewpoint`.
    Viewpoint,
    /// `natural=peak`.
    Peak,
    /// `natural=saddle`, `mountain_pass=yes`.
    Saddle,
    /// `barrier=gate` (on a road).
    Gate,
    /// `ford=yes` on a node.
    Ford,
}

impl PoiKind {
    /// Every kind.
    pub const ALL: [PoiKind; 12] = [
        PoiKind::Fuel,
        PoiKind::CampSite,
        PoiKind::CaravanSite,
        PoiKind::DrinkingWater,
        PoiKind::WaterPoint,
        PoiKind::Shelter,
        PoiKind::Toilets,
        PoiKind::Viewpoint,
        PoiKind::Peak,
        PoiKind::Saddle,
        PoiKind::Gate,
        PoiKind::Ford,
    ];

    /// The stable name stored in the database and used by `map info` (the OSM value).
    pub const fn as_str(self) -> &'static str {
        match self {
            PoiKind::Fuel => "fuel",
            PoiKind::CampSite => "camp_site",
            PoiKind::CaravanSite => "caravan_site",
            PoiKind::DrinkingWater => "drinking_water",
            PoiKind::WaterPoint => "water_point",
            PoiKind::Shelter => "shelter",
            PoiKind::Toilets => "toilets",
            PoiKind::Viewpoint => "viewpoint",
            PoiKind::Peak => "peak",
            PoiKind::Saddle => "saddle",
            PoiKind::Gate => "gate",
            PoiKind::Ford => "ford",
        }
    }

    /// Parses [`PoiKind::as_str`].
    pub fn parse(s: &str) -> Option<PoiKind> {
        PoiKind::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The waypoint kind a POI stands for beside GPX waypoints (`nearest`, `ahead`,
    /// `logistics`, icons).
    pub const fn waypoint_kind(self) -> WaypointKind {
        match self {
            PoiKind::Fuel => WaypointKind::Fuel,
            PoiKind::CampSite | PoiKind::CaravanSite => WaypointKind::Campground,
            PoiKind::DrinkingWater | PoiKind::WaterPoint => WaypointKind::Water,
            PoiKind::Shelter => WaypointKind::Lodging,
            PoiKind::Toilets => WaypointKind::Services,
            PoiKind::Viewpoint | PoiKind::Peak | PoiKind::Saddle => WaypointKind::Viewpoint,
            PoiKind::Gate => WaypointKind::Gate,
            PoiKind::Ford => WaypointKind::Hazard,
        }
    }
}

/// A point of interest: a node, or the representative point inside a closed way or relation.
#[derive(Debug, Clone, PartialEq)]
pub struct Poi {
    /// The OSM element.
    pub osm: OsmId,
    /// Its kind.
    pub kind: PoiKind,
    /// `name`.
    pub name: Option<String>,
    /// `brand` (fuel).
    pub brand: Option<String>,
    /// `opening_hours`.
    pub opening_hours: Option<String>,
    /// `ele` in metres, where it parses (`2317`, `2317 m`, `7600 ft`).
    pub ele_m: Option<f64>,
    /// Drawn at this scale denominator and larger scales.
    pub max_scale: u32,
    /// Where it is (inside the area for a way or relation).
    pub at: LatLon,
}
