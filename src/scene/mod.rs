//! The display list shared by screen and paper: a [`Scene`] is a page-sized list of plain
//! drawing items in paper millimetres (origin top-left, y down) with styles taken from
//! [`theme`]. Builders in [`build`] decide all layout; backends (`render::pdf`, later the egui
//! view) only map millimetres to their units and draw.
//!
//! Not for I/O, fonts or PDF objects; a backend that needs a decision it cannot find here is a
//! sign the builder should make it.

pub mod build;
pub mod layers;
pub mod overview_page;
pub mod theme;
pub mod view;

use std::fmt::Write as _;
use std::sync::Arc;

use crate::core::atlas::RectMm;
use crate::core::model::WaypointKind;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
}

impl Color {
    /// A colour from its components.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b }
    }
}

/// A line style.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke {
    /// Colour.
    pub color: Color,
    /// Width, mm.
    pub width_mm: f64,
    /// (dash, gap) lengths, mm; `None` for solid.
    pub dash_mm: Option<(f64, f64)>,
}

/// Font weight of the bundled font.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FontWeight {
    /// Noto Sans Regular.
    Regular,
    /// Noto Sans Bold.
    Bold,
}

/// A text style.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextStyle {
    /// Size, typographic points.
    pub size_pt: f64,
    /// Weight.
    pub weight: FontWeight,
    /// Colour.
    pub color: Color,
}

/// Horizontal alignment of a label on its anchor point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HAlign {
    /// Text starts at the anchor.
    Left,
    /// Text is centred on the anchor.
    Center,
    /// Text ends at the anchor.
    Right,
}

/// Vertical alignment of a label on its anchor point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VAlign {
    /// The anchor is at the top of capitals.
    Top,
    /// The anchor is half way up capitals.
    Middle,
    /// The anchor is on the baseline.
    Baseline,
    /// The anchor is at the bottom of descenders.
    Bottom,
}

/// Where a label's anchor point sits on the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    /// Horizontal.
    pub h: HAlign,
    /// Vertical.
    pub v: VAlign,
}

impl Anchor {
    /// Left, baseline: the common case.
    pub const BASELINE_LEFT: Anchor = Anchor {
        h: HAlign::Left,
        v: VAlign::Baseline,
    };
}

/// A text label.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// The text (one line).
    pub text: String,
    /// Anchor point, paper mm.
    pub at: [f64; 2],
    /// How the text sits on `at`.
    pub anchor: Anchor,
    /// Font, size, colour.
    pub style: TextStyle,
    /// A white box behind the text, so it reads over lines.
    pub halo: bool,
}

impl Label {
    /// The start of the baseline, paper mm: where a backend draws the text.
    pub fn baseline_start(&self) -> [f64; 2] {
        let w = theme::text_width_mm(&self.text, &self.style);
        let em = self.style.size_pt * theme::MM_PER_PT;
        let x = match self.anchor.h {
            HAlign::Left => self.at[0],
            HAlign::Center => self.at[0] - w / 2.0,
            HAlign::Right => self.at[0] - w,
        };
        let y = match self.anchor.v {
            VAlign::Top => self.at[1] + theme::CAP_HEIGHT_EM * em,
            VAlign::Middle => self.at[1] + theme::CAP_HEIGHT_EM * em / 2.0,
            VAlign::Baseline => self.at[1],
            VAlign::Bottom => self.at[1] - theme::DESCENT_EM * em,
        };
        [x, y]
    }

    /// The box the text covers (capitals to descenders), paper mm.
    pub fn bounds(&self) -> RectMm {
        let [x, y] = self.baseline_start();
        let em = self.style.size_pt * theme::MM_PER_PT;
        let top = y - theme::CAP_HEIGHT_EM * em;
        RectMm {
            x,
            y: top,
            w: theme::text_width_mm(&self.text, &self.style),
            h: (theme::CAP_HEIGHT_EM + theme::DESCENT_EM) * em,
        }
    }
}

/// One drawing item. Coordinates are paper mm, origin top-left, y down.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An open line.
    Polyline {
        /// Vertices.
        points: Vec<[f64; 2]>,
        /// Line style.
        stroke: Stroke,
    },
    /// A closed shape.
    Polygon {
        /// Vertices (closed implicitly).
        points: Vec<[f64; 2]>,
        /// Fill colour, if filled.
        fill: Option<Color>,
        /// Outline, if stroked.
        stroke: Option<Stroke>,
    },
    /// An axis-aligned rectangle.
    Rect {
        /// Where.
        rect: RectMm,
        /// Fill colour, if filled.
        fill: Option<Color>,
        /// Outline, if stroked.
        stroke: Option<Stroke>,
    },
    /// A waypoint symbol centred on `at`: backends draw the kind's icon
    /// (`assets/icons/<kind>.svg`, see `render::icons`) in a `size_mm` square, or
    /// [`Item::expand_marker`] when the icon cannot be drawn.
    Marker {
        /// Centre.
        at: [f64; 2],
        /// Which symbol.
        kind: WaypointKind,
        /// Size, mm.
        size_mm: f64,
    },
    /// Text.
    Label(Label),
    /// Filled polygons with holes (a lake with islands; the parts of a national forest).
    /// Outlines, where wanted, are separate [`Item::Polyline`]s, so a polygon clipped to the
    /// frame shows no outline along the frame.
    Area {
        /// Each polygon: its outer ring, then its holes; rings closed implicitly.
        polygons: Vec<Vec<Vec<[f64; 2]>>>,
        /// Fill colour.
        fill: Color,
    },
    /// Text turned about its anchor by `angle_deg`, clockwise on the page (y down): names
    /// along roads and rivers, contour values. Its footprint is [`turned_bounds`].
    TurnedLabel {
        /// The text, anchored at its centre as a rule.
        label: Label,
        /// Clockwise turn, degrees, within -90..=90 so text never reads upside down.
        angle_deg: f64,
    },
    /// A raster stretched over `rect`: hillshade, a basemap under a printed page.
    Image {
        /// Where, paper mm.
        rect: RectMm,
        /// The pixels.
        raster: Arc<Raster>,
    },
}

impl Item {
    /// The item moved by `d` mm (a map layer reused for a panned view).
    pub fn translated(&self, d: [f64; 2]) -> Item {
        self.transformed(1.0, d)
    }

    /// The item's geometry scaled by `s` about the origin, then moved by `d` mm (a map layer
    /// shown for a zoomed view until the one built for it arrives). Text, marker and stroke
    /// sizes stay as they are.
    pub fn transformed(&self, s: f64, d: [f64; 2]) -> Item {
        let mv = |p: &[f64; 2]| [p[0] * s + d[0], p[1] * s + d[1]];
        let scale_rect = |r: &crate::core::atlas::RectMm| crate::core::atlas::RectMm {
            x: r.x * s + d[0],
            y: r.y * s + d[1],
            w: r.w * s,
            h: r.h * s,
        };
        let mv_all = |v: &[[f64; 2]]| v.iter().map(mv).collect::<Vec<_>>();
        let mv_label = |l: &Label| Label {
            at: mv(&l.at),
            ..l.clone()
        };
        match self {
            Item::Polyline { points, stroke } => Item::Polyline {
                points: mv_all(points),
                stroke: *stroke,
            },
            Item::Polygon {
                points,
                fill,
                stroke,
            } => Item::Polygon {
                points: mv_all(points),
                fill: *fill,
                stroke: *stroke,
            },
            Item::Rect { rect, fill, stroke } => Item::Rect {
                rect: scale_rect(rect),
                fill: *fill,
                stroke: *stroke,
            },
            Item::Marker { at, kind, size_mm } => Item::Marker {
                at: mv(at),
                kind: *kind,
                size_mm: *size_mm,
            },
            Item::Label(l) => Item::Label(mv_label(l)),
            Item::Area { polygons, fill } => Item::Area {
                polygons: polygons
                    .iter()
                    .map(|rings| rings.iter().map(|r| mv_all(r)).collect())
                    .collect(),
                fill: *fill,
            },
            Item::TurnedLabel { label, angle_deg } => Item::TurnedLabel {
                label: mv_label(label),
                angle_deg: *angle_deg,
            },
            Item::Image { rect, raster } => Item::Image {
                rect: scale_rect(rect),
                raster: raster.clone(),
            },
        }
    }
}

/// RGBA pixels (not premultiplied), row 0 at the top, for [`Item::Image`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub rgba: Vec<u8>,
    /// Identifies the pixels for caches (a screen backend keeps one texture per key).
    pub key: u64,
}

impl Raster {
    /// A raster, if `rgba` holds exactly `width * height` pixels.
    pub fn new(width: u32, height: u32, rgba: Vec<u8>, key: u64) -> Option<Raster> {
        (width > 0 && height > 0 && rgba.len() == width as usize * height as usize * 4).then_some(
            Raster {
                width,
                height,
                rgba,
                key,
            },
        )
    }
}

/// The axis-aligned box around a label turned by `angle_deg` about its anchor.
pub fn turned_bounds(label: &Label, angle_deg: f64) -> RectMm {
    let b = label.bounds();
    let (s, c) = angle_deg.to_radians().sin_cos();
    let [ax, ay] = label.at;
    let corners = [
        [b.x, b.y],
        [b.right(), b.y],
        [b.right(), b.bottom()],
        [b.x, b.bottom()],
    ]
    .map(|[x, y]| {
        let (dx, dy) = (x - ax, y - ay);
        [ax + dx * c - dy * s, ay + dx * s + dy * c]
    });
    let min_x = corners.iter().map(|p| p[0]).fold(f64::INFINITY, f64::min);
    let max_x = corners
        .iter()
        .map(|p| p[0])
        .fold(f64::NEG_INFINITY, f64::max);
    let min_y = corners.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min);
    let max_y = corners
        .iter()
        .map(|p| p[1])
        .fold(f64::NEG_INFINITY, f64::max);
    RectMm {
        x: min_x,
        y: min_y,
        w: max_x - min_x,
        h: max_y - min_y,
    }
}

impl Item {
    /// A marker as primitive items (shape + glyph): the fallback symbol a backend draws when
    /// the kind's icon cannot be drawn, the same in every backend. Other items are returned as
    /// they are.
    pub fn expand_marker(&self) -> Vec<Item> {
        let Item::Marker { at, kind, size_mm } = self else {
            return vec![self.clone()];
        };
        let sym = theme::symbol(*kind);
        let r = size_mm / 2.0;
        let [cx, cy] = *at;
        let points: Vec<[f64; 2]> = match sym.shape {
            theme::SymbolShape::Circle => (0..16)
                .map(|i| {
                    let a = f64::from(i) * std::f64::consts::TAU / 16.0;
                    [cx + r * a.cos(), cy + r * a.sin()]
                })
                .collect(),
            theme::SymbolShape::Square => {
                let s = r * 0.9;
                vec![
                    [cx - s, cy - s],
                    [cx + s, cy - s],
                    [cx + s, cy + s],
                    [cx - s, cy + s],
                ]
            }
            theme::SymbolShape::Triangle => vec![
                [cx, cy - r * 1.15],
                [cx + r * 1.1, cy + r * 0.8],
                [cx - r * 1.1, cy + r * 0.8],
            ],
            theme::SymbolShape::Diamond => vec![
                [cx, cy - r * 1.2],
                [cx + r * 1.2, cy],
                [cx, cy + r * 1.2],
                [cx - r * 1.2, cy],
            ],
        };
        let glyph_style = TextStyle {
            size_pt: size_mm / theme::MM_PER_PT * 0.62,
            weight: FontWeight::Bold,
            color: sym.pictogram,
        };
        let glyph_y = if sym.shape == theme::SymbolShape::Triangle {
            cy + r * 0.25
        } else {
            cy
        };
        vec![
            Item::Polygon {
                points,
                fill: Some(sym.fill),
                stroke: Some(theme::SYMBOL_OUTLINE),
            },
            Item::Label(Label {
                text: sym.glyph.to_string(),
                at: [cx, glyph_y],
                anchor: Anchor {
                    h: HAlign::Center,
                    v: VAlign::Middle,
                },
                style: glyph_style,
                halo: false,
            }),
        ]
    }
}

/// A place on a page that turns to another page when followed: an edge-link label ("to 7"),
/// or a page's frame on the index. The PDF makes it a link annotation; the app's atlas view
/// turns the page when it is clicked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageLink {
    /// The clickable area, paper mm.
    pub rect: RectMm,
    /// The book page it names.
    pub to_page: u32,
}

/// One page of drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// Paper (width, height), mm.
    pub size_mm: (f64, f64),
    /// Items, drawn in order (later on top).
    pub items: Vec<Item>,
    /// The page's number in the book (atlas pages), so links can find it.
    pub page_number: Option<u32>,
    /// Areas that lead to other pages.
    pub links: Vec<PageLink>,
    /// Items that are the same as in an earlier scene, moved (the screen map's layer while
    /// the view pans): a backend may draw them from what it kept of that scene (the screen
    /// keeps their tessellated triangles) instead of from the items. Paper ignores it.
    pub reused: Option<Reused>,
}

/// A run of a scene's items that repeats an earlier scene's, moved; see [`Scene::reused`].
#[derive(Debug, Clone, PartialEq)]
pub struct Reused {
    /// Identifies what they were made from (the same id: the same items, before the move).
    pub id: u64,
    /// Where they are in [`Scene::items`].
    pub range: std::ops::Range<usize>,
    /// How they were moved from where they were made: scaled by `scale` about the origin,
    /// then moved by `offset_mm` (scale 1 for a pan; a zoom's stand-in is scaled).
    pub offset_mm: [f64; 2],
    /// See `offset_mm`.
    pub scale: f64,
}

impl Scene {
    /// An empty page.
    pub fn new(size_mm: (f64, f64)) -> Self {
        Self {
            size_mm,
            items: Vec::new(),
            page_number: None,
            links: Vec::new(),
            reused: None,
        }
    }

    /// The page a click at `at` (paper mm) leads to, if it is on a link.
    pub fn link_at(&self, at: [f64; 2]) -> Option<u32> {
        self.links
            .iter()
            .find(|l| l.rect.contains(at))
            .map(|l| l.to_page)
    }

    /// Every label's text, in drawing order.
    pub fn texts(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Label(l) | Item::TurnedLabel { label: l, .. } => Some(l.text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// A text dump, one line per item, coordinates rounded to 0.1 mm: for snapshot tests.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "scene {:.1}x{:.1}", self.size_mm.0, self.size_mm.1);
        let pt = |p: &[f64; 2]| format!("({:.1},{:.1})", p[0], p[1]);
        let col = |c: &Color| format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b);
        for item in &self.items {
            let line = match item {
                Item::Polyline { points, stroke } => format!(
                    "polyline {} n={} {}..{}",
                    col(&stroke.color),
                    points.len(),
                    points.first().map(pt).unwrap_or_default(),
                    points.last().map(pt).unwrap_or_default()
                ),
                Item::Polygon { points, fill, .. } => format!(
                    "polygon {} n={} {}",
                    fill.as_ref().map(col).unwrap_or_else(|| "none".into()),
                    points.len(),
                    points.first().map(pt).unwrap_or_default()
                ),
                Item::Rect { rect, fill, .. } => format!(
                    "rect {} {} {:.1}x{:.1}",
                    fill.as_ref().map(col).unwrap_or_else(|| "none".into()),
                    pt(&[rect.x, rect.y]),
                    rect.w,
                    rect.h
                ),
                Item::Marker { at, kind, .. } => format!("marker {kind} {}", pt(at)),
                Item::Label(l) => format!(
                    "label {:?} {} {:.1}pt",
                    l.text,
                    pt(&l.baseline_start()),
                    l.style.size_pt
                ),
                Item::Area { polygons, fill } => format!(
                    "area {} polygons={} n={}",
                    col(fill),
                    polygons.len(),
                    polygons.iter().flatten().map(Vec::len).sum::<usize>()
                ),
                Item::TurnedLabel { label, angle_deg } => format!(
                    "turned {:?} {} {:.0}deg {:.1}pt",
                    label.text,
                    pt(&label.at),
                    angle_deg,
                    label.style.size_pt
                ),
                Item::Image { rect, raster } => format!(
                    "image {}x{} {} {:.1}x{:.1}",
                    raster.width,
                    raster.height,
                    pt(&[rect.x, rect.y]),
                    rect.w,
                    rect.h
                ),
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

/// True when two rectangles overlap (touching edges do not count).
pub fn overlaps(a: &RectMm, b: &RectMm) -> bool {
    a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom()
}
