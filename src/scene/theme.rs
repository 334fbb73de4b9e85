//! Design tokens: every colour, line width (mm), font size (pt) and waypoint symbol the scene
//! uses. No literal colours anywhere else, so screen and paper match.
//!
//! Also the text metrics of the bundled font (Noto Sans), so layout can measure labels without
//! a font engine.

use crate::core::map::{AreaKind, PlaceKind, RoadClass, Surface, WaterLineKind};
use crate::core::model::WaypointKind;

use super::{Color, FontWeight, Stroke, TextStyle};

/// Ink for text and the frame.
pub const INK: Color = Color::rgb(0x20, 0x20, 0x20);
/// Secondary text (grid labels, table rules).
pub const MUTED: Color = Color::rgb(0x70, 0x70, 0x70);
/// White, for label halos and the scale bar's light blocks.
pub const PAPER: Color = Color::rgb(0xff, 0xff, 0xff);
/// The route being printed.
pub const ROUTE: Stroke = Stroke {
    color: Color::rgb(0xd0, 0x1c, 0x5b),
    width_mm: 0.7,
    dash_mm: None,
};
/// Other tracks drawn for context.
pub const OTHER_TRACK: Stroke = Stroke {
    color: Color::rgb(0x5b, 0x6b, 0xb0),
    width_mm: 0.35,
    dash_mm: Some((1.2, 0.6)),
};
/// The map frame.
pub const FRAME: Stroke = Stroke {
    color: INK,
    width_mm: 0.35,
    dash_mm: None,
};
/// Lat/long graticule lines.
pub const GRATICULE: Stroke = Stroke {
    color: Color::rgb(0x7f, 0xa7, 0xc9),
    width_mm: 0.15,
    dash_mm: None,
};
/// Reference grid (A, B, C / 1, 2, 3) lines.
pub const REF_GRID: Stroke = Stroke {
    color: Color::rgb(0xc8, 0xc8, 0xc8),
    width_mm: 0.12,
    dash_mm: Some((0.8, 0.8)),
};
/// Page frames on the index overview.
pub const INDEX_FRAME: Stroke = Stroke {
    color: Color::rgb(0x30, 0x60, 0x90),
    width_mm: 0.3,
    dash_mm: None,
};
/// Table rules.
pub const RULE: Stroke = Stroke {
    color: MUTED,
    width_mm: 0.15,
    dash_mm: None,
};
/// Outline of waypoint symbols and the scale bar.
pub const SYMBOL_OUTLINE: Stroke = Stroke {
    color: INK,
    width_mm: 0.2,
    dash_mm: None,
};
/// Fill of index frames (light, so overlaps show).
pub const INDEX_FRAME_FILL: Color = Color::rgb(0xe6, 0xef, 0xf7);
/// Edge-link label arrows and text.
pub const LINK: Color = Color::rgb(0xd0, 0x1c, 0x5b);

/// Title in the header.
pub const TITLE: TextStyle = TextStyle {
    size_pt: 10.0,
    weight: FontWeight::Bold,
    color: INK,
};
/// Header and footer text.
pub const HEADER: TextStyle = TextStyle {
    size_pt: 8.0,
    weight: FontWeight::Regular,
    color: INK,
};
/// Big page numbers (header, index overview).
pub const PAGE_NUMBER: TextStyle = TextStyle {
    size_pt: 12.0,
    weight: FontWeight::Bold,
    color: INK,
};
/// Waypoint names on the map.
pub const WAYPOINT_LABEL: TextStyle = TextStyle {
    size_pt: 6.5,
    weight: FontWeight::Regular,
    color: INK,
};
/// Checkpoint coordinates on the map.
pub const CHECKPOINT_LABEL: TextStyle = TextStyle {
    size_pt: 6.0,
    weight: FontWeight::Bold,
    color: INK,
};
/// Edge-link labels ("to 7").
pub const LINK_LABEL: TextStyle = TextStyle {
    size_pt: 7.5,
    weight: FontWeight::Bold,
    color: LINK,
};
/// Graticule tick labels.
pub const GRATICULE_LABEL: TextStyle = TextStyle {
    size_pt: 5.5,
    weight: FontWeight::Regular,
    color: Color::rgb(0x3f, 0x67, 0x89),
};
/// Reference-grid letters and numbers.
pub const GRID_LABEL: TextStyle = TextStyle {
    size_pt: 6.0,
    weight: FontWeight::Bold,
    color: MUTED,
};
/// Table body text.
pub const TABLE: TextStyle = TextStyle {
    size_pt: 7.5,
    weight: FontWeight::Regular,
    color: INK,
};
/// Table header text.
pub const TABLE_HEAD: TextStyle = TextStyle {
    size_pt: 7.5,
    weight: FontWeight::Bold,
    color: INK,
};
/// Small print (legend, notes).
pub const SMALL: TextStyle = TextStyle {
    size_pt: 6.5,
    weight: FontWeight::Regular,
    color: INK,
};

/// Waypoint symbol size (circle diameter), mm.
pub const SYMBOL_MM: f64 = 3.2;
/// Scale bar bar height, mm.
pub const SCALE_BAR_MM: f64 = 1.4;
/// Gap between a symbol and its label, mm.
pub const LABEL_GAP_MM: f64 = 0.6;

/// How a waypoint kind is drawn: outline shape, fill, the colour of the pictogram on it, and
/// the letter that stands for it in text (lists) and in the fallback symbol.
///
/// The icon itself is `assets/icons/<kind>.svg` (see `render::icons`): its background has
/// `shape`, and its colours are replaced by these when it is drawn, so this table stays the
/// one place that says what colour a kind is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymbolStyle {
    /// Outline shape.
    pub shape: SymbolShape,
    /// Fill colour.
    pub fill: Color,
    /// Colour of the pictogram (and of the fallback glyph) on the fill.
    pub pictogram: Color,
    /// One-character glyph: the kind in text, and on the fallback symbol.
    pub glyph: &'static str,
}

/// Outline of a waypoint symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolShape {
    /// Circle.
    Circle,
    /// Square.
    Square,
    /// Triangle, point up.
    Triangle,
    /// Diamond.
    Diamond,
}

/// The symbol of a waypoint kind.
pub const fn symbol(kind: WaypointKind) -> SymbolStyle {
    use SymbolShape::*;
    use WaypointKind as K;
    let (shape, fill, glyph) = match kind {
        K::Fuel => (Circle, Color::rgb(0xc6, 0x28, 0x28), "F"),
        K::Campground => (Square, Color::rgb(0x2e, 0x7d, 0x32), "C"),
        K::Checkpoint => (Diamond, Color::rgb(0x6a, 0x1b, 0x9a), "+"),
        K::Water => (Circle, Color::rgb(0x15, 0x65, 0xc0), "W"),
        K::Lodging => (Square, Color::rgb(0x5d, 0x40, 0x37), "L"),
        K::Food => (Square, Color::rgb(0xef, 0x6c, 0x00), "R"),
        K::Services => (Square, Color::rgb(0x45, 0x5a, 0x64), "S"),
        K::Trailhead => (Square, Color::rgb(0x55, 0x8b, 0x2f), "T"),
        K::Viewpoint => (Circle, Color::rgb(0x00, 0x83, 0x8f), "V"),
        K::Hazard => (Triangle, Color::rgb(0xf9, 0xa8, 0x25), "!"),
        K::Gate => (Square, Color::rgb(0x42, 0x42, 0x42), "G"),
        K::Other => (Circle, Color::rgb(0x75, 0x75, 0x75), "·"),
    };
    // White reads on every fill but the hazard amber, where ink does (as on road signs).
    let pictogram = match kind {
        K::Hazard => INK,
        _ => PAPER,
    };
    SymbolStyle {
        shape,
        fill,
        pictogram,
        glyph,
    }
}

/// The light pictogram on waypoint icons at night: a light warm red, not white (the night
/// palette turns white into black, which would vanish on the dark fills).
pub const ICON_PICTOGRAM_NIGHT_LIGHT: Color = Color::rgb(0xd8, 0x88, 0x68);
/// The dark pictogram on waypoint icons at night, for the fills the night palette lightens.
pub const ICON_PICTOGRAM_NIGHT_DARK: Color = Color::rgb(0x1c, 0x1c, 0x1c);

/// WCAG relative luminance of an sRGB colour, 0..=1.
fn luminance(c: Color) -> f64 {
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b)
}

/// WCAG contrast ratio of two colours, 1..=21.
pub fn contrast(a: Color, b: Color) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The colours a waypoint icon is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IconColors {
    /// The background shape.
    pub fill: Color,
    /// The background shape's outline.
    pub outline: Color,
    /// The pictogram.
    pub pictogram: Color,
}

/// The colours of `kind`'s icon, by day or in the night palette.
pub fn icon_colors(kind: WaypointKind, night_palette: bool) -> IconColors {
    let sym = symbol(kind);
    if night_palette {
        let fill = night(sym.fill);
        // Whichever of the two reads better on the fill as the night palette drew it.
        let pictogram = if contrast(fill, ICON_PICTOGRAM_NIGHT_LIGHT)
            >= contrast(fill, ICON_PICTOGRAM_NIGHT_DARK)
        {
            ICON_PICTOGRAM_NIGHT_LIGHT
        } else {
            ICON_PICTOGRAM_NIGHT_DARK
        };
        IconColors {
            fill,
            outline: night(SYMBOL_OUTLINE.color),
            pictogram,
        }
    } else {
        IconColors {
            fill: sym.fill,
            outline: SYMBOL_OUTLINE.color,
            pictogram: sym.pictogram,
        }
    }
}

/// mm per typographic point.
pub const MM_PER_PT: f64 = 25.4 / 72.0;
/// Cap height of the font, em.
pub const CAP_HEIGHT_EM: f64 = 0.714;
/// Descender depth of the font, em.
pub const DESCENT_EM: f64 = 0.24;

/// Advance widths of ASCII 32..=126 in Noto Sans Regular, 1/1000 em (from its `hmtx`).
const ADVANCE_REGULAR: [u16; 95] = [
    260, 269, 408, 646, 572, 831, 732, 225, 300, 300, 551, 572, 268, 322, 268, 372, 572, 572, 572,
    572, 572, 572, 572, 572, 572, 572, 268, 268, 572, 572, 572, 434, 899, 639, 650, 632, 730, 556,
    519, 728, 741, 339, 273, 619, 524, 907, 760, 781, 605, 781, 622, 549, 556, 731, 600, 930, 586,
    566, 572, 329, 372, 329, 572, 444, 281, 561, 615, 480, 615, 564, 344, 615, 618, 258, 258, 534,
    258, 935, 618, 605, 615, 615, 413, 479, 361, 618, 508, 786, 529, 510, 470, 380, 551, 380, 572,
];
/// Advance widths of ASCII 32..=126 in Noto Sans Bold, 1/1000 em.
const ADVANCE_BOLD: [u16; 95] = [
    260, 286, 472, 646, 572, 901, 750, 266, 339, 339, 545, 572, 285, 322, 285, 413, 572, 572, 572,
    572, 572, 572, 572, 572, 572, 572, 285, 285, 572, 572, 572, 477, 897, 690, 672, 637, 740, 560,
    549, 724, 765, 389, 331, 664, 565, 943, 813, 796, 628, 796, 660, 551, 579, 756, 650, 967, 667,
    624, 579, 331, 413, 331, 572, 411, 362, 604, 633, 514, 633, 591, 387, 633, 657, 305, 305, 620,
    305, 982, 657, 619, 633, 633, 454, 497, 434, 657, 569, 856, 578, 569, 488, 394, 551, 394, 572,
];

/// Width of `text` set in `style`, mm (no kerning; good to a few per cent).
pub fn text_width_mm(text: &str, style: &TextStyle) -> f64 {
    let table = match style.weight {
        FontWeight::Regular => &ADVANCE_REGULAR,
        FontWeight::Bold => &ADVANCE_BOLD,
    };
    let em_1000: u32 = text
        .chars()
        .map(|c| match c {
            ' '..='~' => u32::from(table.get(c as usize - 32).copied().unwrap_or(600)),
            '°' => 428,
            '′' => 260,
            '″' => 450,
            '·' => 270,
            '–' => 500,
            _ => 620,
        })
        .sum();
    f64::from(em_1000) / 1000.0 * style.size_pt * MM_PER_PT
}

// Screen view (scene::view): the live position and what only the screen shows.

/// The map background on screen (paper white, so print matches screen).
pub const VIEW_BACKGROUND: Color = Color::rgb(0xf7, 0xf5, 0xf0);
/// The GPS position marker's fill.
pub const POSITION: Color = Color::rgb(0x15, 0x65, 0xc0);
/// The GPS position marker's outline.
pub const POSITION_OUTLINE: Stroke = Stroke {
    color: PAPER,
    width_mm: 0.4,
    dash_mm: None,
};
/// The GPS accuracy circle.
pub const ACCURACY: Stroke = Stroke {
    color: Color::rgb(0x15, 0x65, 0xc0),
    width_mm: 0.25,
    dash_mm: Some((1.0, 0.6)),
};
/// Breadcrumbs: where the GPS has been this session.
pub const BREADCRUMB: Stroke = Stroke {
    color: Color::rgb(0x15, 0x65, 0xc0),
    width_mm: 0.5,
    dash_mm: None,
};
/// Route stretches needing attention (a fuel gap longer than the range), under the route.
pub const ROUTE_WARNING: Stroke = Stroke {
    color: Color::rgb(0xf9, 0xa8, 0x25),
    width_mm: 2.2,
    dash_mm: None,
};
/// Ring around the waypoint picked in a list.
pub const HIGHLIGHT: Stroke = Stroke {
    color: Color::rgb(0xff, 0x6f, 0x00),
    width_mm: 0.6,
    dash_mm: None,
};
/// Line from an off-route position back to the closest point of the route.
pub const BACK_TO_ROUTE: Stroke = Stroke {
    color: Color::rgb(0xc6, 0x28, 0x28),
    width_mm: 0.35,
    dash_mm: Some((1.0, 0.8)),
};
/// Other tracks that carry a GPX display colour (the colour replaces this one).
pub const COLORED_TRACK: Stroke = Stroke {
    color: Color::rgb(0x5b, 0x6b, 0xb0),
    width_mm: 0.45,
    dash_mm: None,
};
/// A wide band in the route's GPX display colour, under the route.
pub const ROUTE_CASING: Stroke = Stroke {
    color: Color::rgb(0xd0, 0x1c, 0x5b),
    width_mm: 1.5,
    dash_mm: None,
};
/// Atlas page frames over the screen map.
pub const VIEW_PAGE_FRAME: Stroke = Stroke {
    color: Color::rgb(0x30, 0x60, 0x90),
    width_mm: 0.3,
    dash_mm: Some((2.0, 1.0)),
};
/// Atlas page numbers over the screen map.
pub const VIEW_PAGE_NUMBER: TextStyle = TextStyle {
    size_pt: 9.0,
    weight: FontWeight::Bold,
    color: Color::rgb(0x30, 0x60, 0x90),
};
/// The point picked on the map (nearest is measured from it).
pub const PICKED: Stroke = Stroke {
    color: Color::rgb(0x6a, 0x1b, 0x9a),
    width_mm: 0.5,
    dash_mm: None,
};

/// A Garmin `DisplayColor` name (BaseCamp's 16 colours) as a colour on the light map;
/// `None` for `Transparent` and unknown names.
pub fn garmin_color(name: &str) -> Option<Color> {
    let c = match name.trim().to_ascii_lowercase().as_str() {
        "black" => Color::rgb(0x00, 0x00, 0x00),
        "darkred" => Color::rgb(0x8b, 0x00, 0x00),
        "darkgreen" => Color::rgb(0x00, 0x64, 0x00),
        "darkyellow" => Color::rgb(0x9a, 0x8b, 0x00),
        "darkblue" => Color::rgb(0x00, 0x00, 0x8b),
        "darkmagenta" => Color::rgb(0x8b, 0x00, 0x8b),
        "darkcyan" => Color::rgb(0x00, 0x8b, 0x8b),
        "lightgray" => Color::rgb(0xa8, 0xa8, 0xa8),
        "darkgray" => Color::rgb(0x59, 0x59, 0x59),
        "red" => Color::rgb(0xe0, 0x10, 0x10),
        "green" => Color::rgb(0x10, 0xa0, 0x10),
        // Pure yellow and white vanish on the light map: slightly darker.
        "yellow" => Color::rgb(0xd8, 0xc0, 0x00),
        "blue" => Color::rgb(0x10, 0x30, 0xe0),
        "magenta" => Color::rgb(0xd0, 0x10, 0xd0),
        "cyan" => Color::rgb(0x00, 0xb0, 0xc8),
        "white" => Color::rgb(0xd8, 0xd8, 0xd8),
        _ => return None,
    };
    Some(c)
}

/// The night palette: a colour as drawn on the dark map (lightness inverted, hue kept,
/// dimmed so the screen does not glare in a dark cab), then shifted to red: green and blue
/// are cut to a share, because dim red light keeps the eye's rods dark-adapted while the
/// driver can still tell the route from roads and water.
pub fn night(c: Color) -> Color {
    // The vehicle is what the eye looks for first: a warm amber, not the dim mid-tone its blue
    // would become.
    if c == POSITION {
        return NIGHT_POSITION;
    }
    let (r, g, b) = (f64::from(c.r), f64::from(c.g), f64::from(c.b));
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    // Invert lightness (max + min) / 2 around the middle, keep the chroma offsets.
    let shift = 255.0 - (max + min);
    let dim = 0.72;
    let lit = |v: f64| ((v + shift) * dim).clamp(0.0, 255.0);
    let (r, g, b) = (lit(r), lit(g), lit(b));
    let (g2, b2) = (g * NIGHT_GREEN_SHARE, b * NIGHT_BLUE_SHARE);
    // A quarter of what green and blue lose goes to red, so a blue (the position arrow, water)
    // stays visible as a pink instead of sinking into the dark.
    let r2 = (r + 0.25 * ((g - g2) + (b - b2))).min(255.0);
    Color::rgb(r2 as u8, g2 as u8, b2 as u8)
}

/// The position arrow at night.
pub const NIGHT_POSITION: Color = Color::rgb(0xf0, 0x98, 0x30);
/// Share of green kept by the night palette.
pub const NIGHT_GREEN_SHARE: f64 = 0.5;
/// Share of blue kept by the night palette.
pub const NIGHT_BLUE_SHARE: f64 = 0.35;

/// Text of the window at night: a dim warm red, never white.
pub const NIGHT_TEXT: Color = Color::rgb(0xc8, 0x68, 0x50);
/// Text that must stand out at night (headings, the heads-up display's big figures).
pub const NIGHT_TEXT_STRONG: Color = Color::rgb(0xe0, 0x80, 0x60);
/// Panels at night.
pub const NIGHT_PANEL: Color = Color::rgb(0x12, 0x09, 0x08);
/// Windows and dialogs at night.
pub const NIGHT_WINDOW: Color = Color::rgb(0x1a, 0x0c, 0x0a);
/// Text fields and other sunken areas at night (egui's "extreme" background).
pub const NIGHT_FIELD: Color = Color::rgb(0x06, 0x03, 0x02);
/// Buttons at rest, hovered and pressed, at night.
pub const NIGHT_WIDGET: [Color; 3] = [
    Color::rgb(0x2c, 0x12, 0x0e),
    Color::rgb(0x3e, 0x18, 0x12),
    Color::rgb(0x52, 0x1e, 0x16),
];
/// Selected items and toggled buttons at night.
pub const NIGHT_SELECTION: Color = Color::rgb(0x62, 0x1c, 0x12);

/// The heads-up display's cards over the map, by day and night (alpha: the map shows
/// through a little).
pub const HUD_CARD_DAY: Color = Color::rgb(0xfa, 0xf8, 0xf2);
/// See [`HUD_CARD_DAY`].
pub const HUD_CARD_NIGHT: Color = Color::rgb(0x12, 0x08, 0x06);
/// Opacity of the heads-up display's cards, 0..=255.
pub const HUD_CARD_ALPHA: u8 = 245;
/// The off-route banner's fill by night (by day it is [`WARNING`]) and its text by day and
/// night.
pub const HUD_ALARM_NIGHT: Color = Color::rgb(0x7a, 0x0c, 0x06);
/// See [`HUD_ALARM_NIGHT`].
pub const HUD_ALARM_TEXT_DAY: Color = Color::rgb(0xff, 0xff, 0xff);
/// See [`HUD_ALARM_NIGHT`].
pub const HUD_ALARM_TEXT_NIGHT: Color = Color::rgb(0xf0, 0x98, 0x70);

/// Basemap tiles are multiplied by this grey at night (0-255), so they do not glare.
pub const NIGHT_TILE_GRAY: u8 = 80;

/// Position marker size (arrow length), mm.
pub const POSITION_MM: f64 = 5.0;
/// Warning text in the app's panels (off route, fuel gaps over the range).
pub const WARNING: Color = Color::rgb(0xc6, 0x28, 0x28);

// ---------------------------------------------------------------------------------------------
// The topographic map: one style for every map layer, on paper and screen (the screen's night
// palette is `night()` of these). Paved roads solid in casings by class, unpaved dashed, tracks
// by grade, 4x4 roads in their own red dash, as road-and-recreation atlases draw them.

/// Casing of paved roads and the edges of bridges.
pub const ROAD_CASING: Color = Color::rgb(0x4a, 0x4a, 0x4a);
/// Fill of minor paved roads.
pub const ROAD_WHITE: Color = Color::rgb(0xff, 0xff, 0xff);
/// Unpaved roads (gravel, dirt) and tracks.
pub const ROAD_UNPAVED: Color = Color::rgb(0x6b, 0x45, 0x1f);
/// Roads marked `4wd_only`: high clearance and four-wheel drive.
pub const ROAD_4WD: Color = Color::rgb(0xb0, 0x2a, 0x1a);
/// Paths, footways and other ways not for driving.
pub const ROAD_PATH: Color = Color::rgb(0x8c, 0x86, 0x80);
/// Road names and refs.
pub const ROAD_LABEL: TextStyle = TextStyle {
    size_pt: 6.5,
    weight: FontWeight::Regular,
    color: Color::rgb(0x30, 0x2a, 0x26),
};
/// Road refs (`NF 2310`), bold so forest-road numbers stand out.
pub const ROAD_REF: TextStyle = TextStyle {
    size_pt: 6.5,
    weight: FontWeight::Bold,
    color: Color::rgb(0x30, 0x2a, 0x26),
};

/// How one road is drawn: an optional casing under a line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoadStyle {
    /// Drawn first, wider (paved roads and bridges).
    pub casing: Option<Stroke>,
    /// The road itself.
    pub line: Stroke,
    /// Drawing order within the road layer: higher on top.
    pub z: u8,
}

/// Width of a paved road's fill by class, mm (casing adds [`ROAD_CASING_MM`]).
const fn paved_width_mm(class: RoadClass) -> f64 {
    match class {
        RoadClass::Motorway => 1.1,
        RoadClass::Trunk => 1.0,
        RoadClass::Primary => 0.9,
        RoadClass::Secondary => 0.75,
        RoadClass::Tertiary => 0.6,
        RoadClass::Minor => 0.5,
        RoadClass::Residential => 0.4,
        RoadClass::Service | RoadClass::Track | RoadClass::Path | RoadClass::Other => 0.3,
    }
}

/// Casing width on each side of a paved road, mm (total).
pub const ROAD_CASING_MM: f64 = 0.3;

/// The style of a road. `scale_denom` thins everything at small scales so a region reads.
pub fn road_style(
    class: RoadClass,
    surface: Surface,
    tracktype: Option<u8>,
    four_wd_only: bool,
    drivable: bool,
    scale_denom: f64,
) -> RoadStyle {
    let k = if scale_denom > 400_000.0 {
        0.6
    } else if scale_denom > 150_000.0 {
        0.8
    } else {
        1.0
    };
    let dashed = |color: Color, width: f64, on: f64, off: f64, z: u8| RoadStyle {
        casing: None,
        line: Stroke {
            color,
            width_mm: width * k,
            dash_mm: Some((on, off)),
        },
        z,
    };
    if !drivable || class == RoadClass::Path {
        return dashed(ROAD_PATH, 0.2, 0.35, 0.45, 0);
    }
    if four_wd_only {
        return dashed(ROAD_4WD, 0.5, 0.6, 0.45, 2);
    }
    if class == RoadClass::Track {
        // Grade 1 is solid gravel, grade 5 soft ground: shorter dashes the rougher it is.
        let (on, off) = match tracktype {
            Some(1) => (1.6, 0.4),
            Some(2) => (1.1, 0.5),
            Some(3) => (0.75, 0.6),
            Some(4) => (0.45, 0.65),
            Some(5) => (0.25, 0.7),
            _ => (0.8, 0.8),
        };
        let width = if surface == Surface::Paved { 0.45 } else { 0.4 };
        return dashed(ROAD_UNPAVED, width, on, off, 1);
    }
    let width = paved_width_mm(class);
    match surface {
        Surface::Gravel => dashed(ROAD_UNPAVED, width.max(0.45), 1.5, 0.45, 3),
        Surface::Dirt => dashed(ROAD_UNPAVED, width.max(0.45), 0.9, 0.6, 3),
        Surface::Paved | Surface::Unknown => {
            let fill = match class {
                RoadClass::Motorway => Color::rgb(0xe0, 0x7b, 0x39),
                RoadClass::Trunk => Color::rgb(0xeb, 0x9d, 0x4c),
                RoadClass::Primary => Color::rgb(0xf5, 0xc0, 0x4a),
                RoadClass::Secondary => Color::rgb(0xf8, 0xdf, 0x7b),
                _ => ROAD_WHITE,
            };
            // A minor road nothing calls paved: a plain thin line, neither solid casing
            // (paved) nor dashes (known unpaved).
            if surface == Surface::Unknown && class >= RoadClass::Minor {
                return RoadStyle {
                    casing: None,
                    line: Stroke {
                        color: Color::rgb(0x6e, 0x66, 0x5e),
                        width_mm: 0.3 * k,
                        dash_mm: None,
                    },
                    z: 3,
                };
            }
            RoadStyle {
                casing: Some(Stroke {
                    color: ROAD_CASING,
                    width_mm: (width + ROAD_CASING_MM) * k,
                    dash_mm: None,
                }),
                line: Stroke {
                    color: fill,
                    width_mm: width * k,
                    dash_mm: None,
                },
                z: 4 + (RoadClass::Service as u8).saturating_sub(class as u8),
            }
        }
    }
}

/// Water areas.
pub const WATER_FILL: Color = Color::rgb(0xb5, 0xd3, 0xea);
/// Water lines and their names.
pub const WATER_LINE: Color = Color::rgb(0x4a, 0x8b, 0xc9);
/// Names of rivers and lakes.
pub const WATER_LABEL: TextStyle = TextStyle {
    size_pt: 6.5,
    weight: FontWeight::Regular,
    color: Color::rgb(0x2a, 0x64, 0xa0),
};

/// The stroke of a water line.
pub fn water_line_style(kind: WaterLineKind, intermittent: bool) -> Stroke {
    let width = match kind {
        WaterLineKind::River => 0.5,
        WaterLineKind::Canal => 0.35,
        WaterLineKind::Stream => 0.22,
        WaterLineKind::Ditch => 0.15,
    };
    Stroke {
        color: WATER_LINE,
        width_mm: width,
        dash_mm: intermittent.then_some((1.0, 0.5)),
    }
}

/// Land tint of an area kind; public land by its agency (`operator`).
pub fn area_fill(kind: AreaKind, operator: Option<&str>) -> Color {
    match kind {
        AreaKind::Lake | AreaKind::Reservoir | AreaKind::Riverbank => WATER_FILL,
        AreaKind::Wetland => Color::rgb(0xd6, 0xe8, 0xe2),
        AreaKind::Glacier => Color::rgb(0xee, 0xf6, 0xfb),
        AreaKind::Wood => Color::rgb(0xd3, 0xe6, 0xc1),
        AreaKind::Scrub => Color::rgb(0xe2, 0xeb, 0xcf),
        AreaKind::Grass => Color::rgb(0xec, 0xf2, 0xd9),
        AreaKind::Bare => Color::rgb(0xe8, 0xe3, 0xdc),
        AreaKind::Farmland => Color::rgb(0xf3, 0xef, 0xdf),
        AreaKind::Developed => Color::rgb(0xe9, 0xe3, 0xdf),
        AreaKind::Military => Color::rgb(0xf0, 0xdc, 0xdc),
        AreaKind::NationalPark | AreaKind::Protected => public_land_fill(operator),
    }
}

/// Public land tints, the US agencies' map colours: Forest Service green, BLM yellow, Park
/// Service purple; other protected land a pale green.
pub fn public_land_fill(operator: Option<&str>) -> Color {
    let op = operator.unwrap_or("").to_ascii_lowercase();
    if op.contains("forest service") || op.contains("usfs") {
        Color::rgb(0xe0, 0xee, 0xd0)
    } else if op.contains("land management") || op.contains("blm") {
        Color::rgb(0xfb, 0xf0, 0xc2)
    } else if op.contains("park service") || op.contains("nps") {
        Color::rgb(0xeb, 0xe2, 0xf1)
    } else {
        Color::rgb(0xe8, 0xf1, 0xdc)
    }
}

/// The dashed edge of public land.
pub const PUBLIC_LAND_EDGE: Stroke = Stroke {
    color: Color::rgb(0x5e, 0x8a, 0x4a),
    width_mm: 0.3,
    dash_mm: Some((2.0, 0.8)),
};
/// Names of public land and parks.
pub const PUBLIC_LAND_LABEL: TextStyle = TextStyle {
    size_pt: 7.0,
    weight: FontWeight::Bold,
    color: Color::rgb(0x4a, 0x70, 0x3a),
};

/// Place names by kind; at least 8 pt on paper.
pub fn place_label(kind: PlaceKind) -> TextStyle {
    let (size_pt, weight, color) = match kind {
        PlaceKind::City => (11.0, FontWeight::Bold, INK),
        PlaceKind::Town => (9.5, FontWeight::Bold, INK),
        PlaceKind::Village => (8.5, FontWeight::Regular, INK),
        PlaceKind::Hamlet => (8.0, FontWeight::Regular, INK),
        PlaceKind::Locality => (8.0, FontWeight::Regular, MUTED),
    };
    TextStyle {
        size_pt,
        weight,
        color,
    }
}

/// The dot of a town (radius, mm) by kind; `None` draws the name only.
pub const fn place_dot_mm(kind: PlaceKind) -> Option<f64> {
    match kind {
        PlaceKind::City => Some(1.1),
        PlaceKind::Town => Some(0.85),
        PlaceKind::Village => Some(0.6),
        PlaceKind::Hamlet => Some(0.4),
        PlaceKind::Locality => None,
    }
}

/// Peaks: the triangle and its name with elevation.
pub const PEAK: Color = Color::rgb(0x5a, 0x3d, 0x28);
/// Peak names and elevations.
pub const PEAK_LABEL: TextStyle = TextStyle {
    size_pt: 6.5,
    weight: FontWeight::Regular,
    color: Color::rgb(0x5a, 0x3d, 0x28),
};
/// OSM POI symbols are a little smaller than the route's own waypoints, which sit on top.
pub const POI_SYMBOL_MM: f64 = 2.6;

/// Contour lines, USGS brown.
pub const CONTOUR: Stroke = Stroke {
    color: Color::rgb(0xb0, 0x7c, 0x50),
    width_mm: 0.1,
    dash_mm: None,
};
/// Index contours (every fifth).
pub const CONTOUR_INDEX: Stroke = Stroke {
    color: Color::rgb(0xa0, 0x6a, 0x3c),
    width_mm: 0.25,
    dash_mm: None,
};
/// Contour values on index lines.
pub const CONTOUR_LABEL: TextStyle = TextStyle {
    size_pt: 5.5,
    weight: FontWeight::Regular,
    color: Color::rgb(0x94, 0x5e, 0x34),
};
/// Hillshade: black at most this opaque (0-255) on the darkest slope, so tints show through.
pub const HILLSHADE_MAX_ALPHA: u8 = 85;
/// Attribution on every map ("© OpenStreetMap contributors", the elevation source).
pub const ATTRIBUTION: TextStyle = TextStyle {
    size_pt: 5.5,
    weight: FontWeight::Regular,
    color: MUTED,
};
/// Width of the paper-coloured outline behind map labels (names along roads, rivers), mm.
pub const TEXT_HALO_MM: f64 = 0.45;

/// Which road text style: a ref or a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextStyleRef {
    /// `ref` (bold).
    Ref,
    /// `name`.
    Name,
}

impl TextStyleRef {
    /// The text style.
    pub const fn style(self) -> TextStyle {
        match self {
            TextStyleRef::Ref => ROAD_REF,
            TextStyleRef::Name => ROAD_LABEL,
        }
    }
}
/// A paper-coloured band under the route where a map is drawn, so the route reads over
/// roads, tints and relief.
pub const ROUTE_HALO: Stroke = Stroke {
    color: PAPER,
    width_mm: 1.5,
    dash_mm: None,
};

/// The colour of a surface class on surface-mix bars and the overview page.
pub fn surface_color(c: crate::core::roadbook::SurfaceClass) -> Color {
    use crate::core::roadbook::SurfaceClass as S;
    match c {
        S::Paved => Color::rgb(90, 90, 96),
        S::Gravel => Color::rgb(200, 170, 110),
        S::Dirt => Color::rgb(150, 100, 60),
        S::Track => Color::rgb(215, 110, 40),
        S::Unknown => Color::rgb(190, 190, 190),
        S::OffMap => Color::rgb(200, 60, 60),
    }
}
