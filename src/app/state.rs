//! The user's display choices (units, coordinates, filters, map mode, fuel range): plain data
//! the panels read and only [`super::NavApp`] changes, through commands.
//!
//! Not for domain data (that is in the store) nor for runtime handles (GPS, caches).

use std::collections::BTreeSet;

use crate::core::atlas::{Orientation, Paper};
use crate::core::coords::{CoordFormat, Datum};
use crate::core::model::{LineId, WaypointKind};

use super::book::AtlasSettings;

use crate::core::units::M_PER_MILE;
pub use crate::core::units::{Units, compass, duration};

/// The display choices.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefs {
    /// Miles or kilometres.
    pub units: Units,
    /// How coordinates are written.
    pub coord_format: CoordFormat,
    /// Datum coordinates are written in.
    pub datum: Datum,
    /// Waypoint kinds drawn on the map and listed (indexed by `WaypointKind as usize`).
    pub kinds_shown: [bool; WaypointKind::ALL.len()],
    /// North up (else the course is up while the GPS gives one).
    pub north_up: bool,
    /// Keep the GPS position centred.
    pub follow: bool,
    /// Range on a full tank, metres (fuel gaps longer than the usable range are flagged).
    pub fuel_range_m: f64,
    /// Share of the range kept in reserve.
    pub fuel_reserve: f64,
    /// Day or night palette, or switching at sunset and sunrise.
    pub theme: Theme,
    /// Map-only driving layout, panels, or automatic (driving in truck mode and while
    /// following a GPS position).
    pub layout: Layout,
    /// Large text and touch-size controls.
    pub truck: bool,
    /// Atlas page frames over the map.
    pub show_frames: bool,
    /// Lat/long graticule over the map.
    pub graticule: bool,
    /// Page layout of the atlas shown and printed.
    pub atlas: AtlasSettings,
    /// The MBTiles basemap file, reopened at start.
    pub basemap: Option<std::path::PathBuf>,
    /// The folder the file dialog last chose from (it opens there next time).
    pub last_dir: Option<std::path::PathBuf>,
    /// Map layer switches (roads, water, land, public land, places, POIs, contours,
    /// hillshade).
    pub layers: crate::scene::layers::MapLayers,
}

/// The palette choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// The day palette always.
    #[default]
    Day,
    /// The night palette always: dim, red-shifted, no white fields.
    Night,
    /// Night between sunset and sunrise at the position (the GPS, else the map centre),
    /// computed offline by `core::sun`.
    Auto,
}

impl Theme {
    /// Every choice, in menu order.
    pub const ALL: [Theme; 3] = [Theme::Day, Theme::Night, Theme::Auto];

    /// `day`, `night`, `auto`: the prefs file's names.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Day => "day",
            Theme::Night => "night",
            Theme::Auto => "auto",
        }
    }

    /// "Day", "Night", "Auto", for the menus.
    pub fn label(self) -> &'static str {
        match self {
            Theme::Day => "Day",
            Theme::Night => "Night",
            Theme::Auto => "Auto (sunset)",
        }
    }

    fn from_name(s: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The window's layout choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// The driving layout in truck mode and while following a GPS position, else panels.
    #[default]
    Auto,
    /// The map fills the window under the heads-up display, whatever the mode.
    Driving,
    /// The menu, side panels and status line around the map.
    Panels,
}

impl Layout {
    /// `auto`, `driving`, `panels`: the prefs file's names.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Auto => "auto",
            Layout::Driving => "driving",
            Layout::Panels => "panels",
        }
    }

    fn from_name(s: &str) -> Option<Layout> {
        [Layout::Auto, Layout::Driving, Layout::Panels]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// What the main area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The map.
    #[default]
    Map,
    /// The atlas book, a page at a time.
    Atlas,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            units: Units::Imperial,
            coord_format: CoordFormat::Ddm,
            datum: Datum::Wgs84,
            kinds_shown: [true; WaypointKind::ALL.len()],
            north_up: true,
            follow: true,
            fuel_range_m: 150.0 * M_PER_MILE,
            fuel_reserve: 0.15,
            theme: Theme::Day,
            layout: Layout::Auto,
            truck: false,
            show_frames: true,
            graticule: true,
            atlas: AtlasSettings::default(),
            basemap: None,
            last_dir: None,
            layers: crate::scene::layers::MapLayers::default(),
        }
    }
}

impl Prefs {
    /// The prefs as JSON (names, not core types, which are not `Serialize`).
    pub fn to_json(&self) -> serde_json::Value {
        let hidden: Vec<&str> = WaypointKind::ALL
            .iter()
            .filter(|k| !self.shows(**k))
            .map(|k| k.as_str())
            .collect();
        serde_json::json!({
            "units": self.units.as_str(),
            "coord_format": self.coord_format.name(),
            "datum": self.datum.label(),
            "hidden_kinds": hidden,
            "north_up": self.north_up,
            "follow": self.follow,
            "fuel_range_m": self.fuel_range_m,
            "fuel_reserve": self.fuel_reserve,
            "theme": self.theme.as_str(),
            "layout": self.layout.as_str(),
            "truck": self.truck,
            "show_frames": self.show_frames,
            "graticule": self.graticule,
            "atlas_paper": self.atlas.paper.as_str(),
            "atlas_orientation": self.atlas.orientation.as_str(),
            "atlas_scale": self.atlas.scale,
            "basemap": self.basemap.as_ref().map(|p| p.to_string_lossy()),
            "last_dir": self.last_dir.as_ref().map(|d| d.to_string_lossy().into_owned()),
            "map_layers": serde_json::to_value(self.layers).unwrap_or_default(),
        })
    }

    /// Prefs from [`Prefs::to_json`] output; anything missing or unreadable keeps its default.
    pub fn from_json(v: &serde_json::Value) -> Prefs {
        let mut p = Prefs::default();
        if let Some(Ok(u)) = v
            .get("units")
            .and_then(|u| u.as_str())
            .map(str::parse::<Units>)
        {
            p.units = u;
        }
        if let Some(f) = v
            .get("coord_format")
            .and_then(|f| f.as_str())
            .and_then(CoordFormat::from_name)
        {
            p.coord_format = f;
        }
        if let Some(d) = v
            .get("datum")
            .and_then(|d| d.as_str())
            .and_then(Datum::from_name)
        {
            p.datum = d;
        }
        if let Some(list) = v.get("hidden_kinds").and_then(|h| h.as_array()) {
            for name in list.iter().filter_map(|n| n.as_str()) {
                if let Ok(k) = name.parse::<WaypointKind>()
                    && let Some(slot) = p.kinds_shown.get_mut(k as usize)
                {
                    *slot = false;
                }
            }
        }
        if let Some(b) = v.get("north_up").and_then(|b| b.as_bool()) {
            p.north_up = b;
        }
        if let Some(b) = v.get("follow").and_then(|b| b.as_bool()) {
            p.follow = b;
        }
        if let Some(r) = v
            .get("fuel_range_m")
            .and_then(|r| r.as_f64())
            .filter(|r| r.is_finite() && *r > 0.0)
        {
            p.fuel_range_m = r;
        }
        // Files from before the Auto theme kept a plain `night` switch.
        if let Some(b) = v.get("night").and_then(|b| b.as_bool()) {
            p.theme = if b { Theme::Night } else { Theme::Day };
        }
        if let Some(t) = v
            .get("theme")
            .and_then(|t| t.as_str())
            .and_then(Theme::from_name)
        {
            p.theme = t;
        }
        if let Some(l) = v
            .get("layout")
            .and_then(|t| t.as_str())
            .and_then(Layout::from_name)
        {
            p.layout = l;
        }
        for (key, slot) in [
            ("truck", &mut p.truck),
            ("show_frames", &mut p.show_frames),
            ("graticule", &mut p.graticule),
        ] {
            if let Some(b) = v.get(key).and_then(|b| b.as_bool()) {
                *slot = b;
            }
        }
        let mut atlas = p.atlas;
        if let Some(Ok(paper)) = v
            .get("atlas_paper")
            .and_then(|x| x.as_str())
            .map(str::parse::<Paper>)
        {
            atlas.paper = paper;
        }
        if let Some(Ok(o)) = v
            .get("atlas_orientation")
            .and_then(|x| x.as_str())
            .map(str::parse::<Orientation>)
        {
            atlas.orientation = o;
        }
        if let Some(scale) = v
            .get("atlas_scale")
            .and_then(|x| x.as_u64())
            .and_then(|x| u32::try_from(x).ok())
        {
            atlas.scale = scale;
        }
        if atlas.spec().is_ok() {
            p.atlas = atlas;
        }
        if let Some(Ok(l)) = v
            .get("map_layers")
            .map(|l| serde_json::from_value(l.clone()))
        {
            p.layers = l;
        }
        if let Some(r) = v
            .get("fuel_reserve")
            .and_then(|r| r.as_f64())
            .filter(|r| (0.0..1.0).contains(r))
        {
            p.fuel_reserve = r;
        }
        if let Some(b) = v
            .get("basemap")
            .and_then(|b| b.as_str())
            .filter(|b| !b.is_empty())
        {
            p.basemap = Some(std::path::PathBuf::from(b));
        }
        if let Some(d) = v
            .get("last_dir")
            .and_then(|d| d.as_str())
            .filter(|d| !d.is_empty())
        {
            p.last_dir = Some(std::path::PathBuf::from(d));
        }
        p
    }

    /// True when waypoints of `kind` are shown.
    pub fn shows(&self, kind: WaypointKind) -> bool {
        self.kinds_shown.get(kind as usize).copied().unwrap_or(true)
    }

    /// The usable range (range less reserve), metres.
    pub fn usable_range_m(&self) -> f64 {
        self.fuel_range_m * (1.0 - self.fuel_reserve)
    }
}

/// Where the map was: its centre and scale, metres per mm (not a display choice, but kept in
/// the prefs file so a restart after a crash shows the same ground).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SavedView {
    /// The map centre.
    pub center: crate::core::model::LatLon,
    /// The scale, metres per mm.
    pub m_per_mm: f64,
}

/// The saved view from the prefs JSON (`view`: `{lat, lon, m_per_mm}`), if valid.
pub fn saved_view_from_json(v: &serde_json::Value) -> Option<SavedView> {
    let view = v.get("view")?;
    let num = |k: &str| view.get(k).and_then(|x| x.as_f64());
    let center = crate::core::model::LatLon::new(num("lat")?, num("lon")?);
    let m_per_mm = num("m_per_mm").filter(|m| m.is_finite() && *m > 0.0)?;
    center.is_valid().then_some(SavedView { center, m_per_mm })
}

/// Adds the view to a prefs JSON object.
pub fn saved_view_to_json(view: SavedView, v: &mut serde_json::Value) {
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "view".into(),
            serde_json::json!({
                "lat": view.center.lat,
                "lon": view.center.lon,
                "m_per_mm": view.m_per_mm,
            }),
        );
    }
}

/// Lines hidden from the map, from the prefs JSON (`hidden_lines`: ids).
pub fn hidden_lines_from_json(v: &serde_json::Value) -> BTreeSet<LineId> {
    v.get("hidden_lines")
        .and_then(|h| h.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_i64()).collect())
        .unwrap_or_default()
}

/// Adds the hidden lines to a prefs JSON object.
pub fn hidden_lines_to_json(hidden: &BTreeSet<LineId>, v: &mut serde_json::Value) {
    if let Some(obj) = v.as_object_mut() {
        obj.insert("hidden_lines".into(), serde_json::json!(hidden));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefs_round_trip_through_json() {
        let mut p = Prefs {
            units: Units::Metric,
            coord_format: CoordFormat::Utm,
            datum: Datum::Nad27,
            north_up: false,
            follow: false,
            fuel_range_m: 400_000.0,
            fuel_reserve: 0.2,
            theme: Theme::Auto,
            layout: Layout::Panels,
            truck: true,
            show_frames: false,
            graticule: false,
            atlas: AtlasSettings {
                paper: Paper::A4,
                orientation: Orientation::Landscape,
                scale: 250_000,
            },
            basemap: Some("/maps/oregon.mbtiles".into()),
            last_dir: Some("/home/kim/trips".into()),
            ..Prefs::default()
        };
        p.kinds_shown[WaypointKind::Gate as usize] = false;
        assert_eq!(Prefs::from_json(&p.to_json()), p);
    }

    #[test]
    fn bad_prefs_json_keeps_defaults() {
        let v = serde_json::json!({"units": "furlongs", "datum": 7, "fuel_range_m": -3, "hidden_kinds": ["nope"]});
        assert_eq!(Prefs::from_json(&v), Prefs::default());
        assert_eq!(Prefs::from_json(&serde_json::Value::Null), Prefs::default());
    }

    #[test]
    fn an_old_night_switch_reads_as_the_night_theme() {
        let p = Prefs::from_json(&serde_json::json!({"night": true}));
        assert_eq!(p.theme, Theme::Night);
        let p = Prefs::from_json(&serde_json::json!({"night": true, "theme": "auto"}));
        assert_eq!(p.theme, Theme::Auto);
        let p = Prefs::from_json(&serde_json::json!({"theme": "dusk", "layout": 3}));
        assert_eq!((p.theme, p.layout), (Theme::Day, Layout::Auto));
    }

    #[test]
    fn the_view_round_trips_and_bad_views_are_dropped() {
        let mut v = serde_json::json!({});
        let view = SavedView {
            center: crate::core::model::LatLon::new(42.5, 1.6),
            m_per_mm: 37.5,
        };
        saved_view_to_json(view, &mut v);
        assert_eq!(saved_view_from_json(&v), Some(view));
        for bad in [
            serde_json::json!({"view": {"lat": 95.0, "lon": 1.0, "m_per_mm": 10.0}}),
            serde_json::json!({"view": {"lat": 1.0, "lon": 1.0, "m_per_mm": 0.0}}),
            serde_json::json!({"view": {"lat": 1.0}}),
        ] {
            assert_eq!(saved_view_from_json(&bad), None, "{bad}");
        }
    }

    #[test]
    fn every_kind_has_a_filter_slot() {
        let p = Prefs::default();
        assert!(WaypointKind::ALL.iter().all(|k| p.shows(*k)));
    }
}
