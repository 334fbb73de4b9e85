//! Scene → PDF pages with krilla: vector paths, text in the embedded Noto Sans (subset, with
//! ToUnicode, so it is selectable and `pdftotext` reads it).
//!
//! Never decides layout: it maps scene millimetres to PDF points and draws each item as
//! given. Output is deterministic (no dates in the metadata).
//!
//! Waypoint markers are the kind's SVG icon (`render::icons`) drawn as vectors with
//! krilla-svg: each icon becomes one PDF form XObject the first time it is used and is
//! referenced from then on, so a thousand fuel stops cost one fuel pump plus a thousand
//! `Do` operators.

use std::collections::HashMap;

use krilla::Document;
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::destination::{Destination, XyzDestination};
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::graphic::Graphic;
use krilla::image::{BitsPerComponent, CustomImage, Image, ImageColorspace};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, LineCap, LineJoin, Stroke as KStroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla_svg::{SurfaceExt as _, SvgSettings};

use crate::core::model::WaypointKind;
use crate::render::icons;
use crate::scene::theme::{self, MM_PER_PT};
use crate::scene::{Color, FontWeight, Item, Label, Raster, Scene, Stroke};

/// Noto Sans Regular (SIL OFL 1.1, see assets/fonts/OFL.txt).
static FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf");
/// Noto Sans Bold (SIL OFL 1.1).
static FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Bold.ttf");

/// Why a PDF could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The bundled font did not load (a build problem).
    #[error("the bundled font could not be loaded")]
    Font,
    /// A page size was not positive.
    #[error("page size {0}x{1} mm is not usable")]
    PageSize(f64, f64),
    /// krilla refused the document.
    #[error("PDF serialisation failed: {0}")]
    Krilla(String),
}

/// Document information written into the PDF.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PdfMeta {
    /// Document title.
    pub title: String,
}

const PT_PER_MM: f64 = 1.0 / MM_PER_PT;

fn pt(v: f64) -> f32 {
    (v * PT_PER_MM) as f32
}

fn paint(c: Color) -> krilla::paint::Paint {
    rgb::Color::new(c.r, c.g, c.b).into()
}

fn kstroke(s: &Stroke) -> KStroke {
    KStroke {
        paint: paint(s.color),
        width: pt(s.width_mm),
        line_cap: LineCap::Round,
        line_join: LineJoin::Round,
        dash: s.dash_mm.map(|(on, off)| StrokeDash {
            array: vec![pt(on), pt(off)],
            offset: 0.0,
        }),
        ..Default::default()
    }
}

fn fill(c: Color) -> Fill {
    Fill {
        paint: paint(c),
        ..Default::default()
    }
}

fn path(points: &[[f64; 2]], close: bool) -> Option<krilla::geom::Path> {
    let mut pb = PathBuilder::new();
    let mut it = points.iter();
    let first = it.next()?;
    pb.move_to(pt(first[0]), pt(first[1]));
    for p in it {
        pb.line_to(pt(p[0]), pt(p[1]));
    }
    if close {
        pb.close();
    }
    pb.finish()
}

struct Fonts {
    regular: Font,
    bold: Font,
}

/// A waypoint icon ready to place: a reusable graphic and its side in its own units.
#[derive(Clone)]
struct Icon {
    graphic: Graphic,
    side: f32,
}

/// The icons of one document, made on first use; `None` remembers an icon that failed (its
/// markers fall back to the plain symbol). A graphic belongs to the document it was made in.
#[derive(Default)]
struct Icons(HashMap<WaypointKind, Option<Icon>>);

impl Icons {
    fn get(&mut self, surface: &mut Surface<'_>, kind: WaypointKind) -> Option<Icon> {
        self.0
            .entry(kind)
            .or_insert_with(|| make_icon(surface, kind))
            .clone()
    }
}

/// Draws `kind`'s icon into a stream of its own, at its own size (24 units = 24 pt).
fn make_icon(surface: &mut Surface<'_>, kind: WaypointKind) -> Option<Icon> {
    let tree = icons::tree(kind, false).ok()?;
    let (w, h) = (tree.size().width(), tree.size().height());
    let size = Size::from_wh(w, h)?;
    let mut builder = surface.stream_builder();
    let mut sub = builder.surface();
    let drawn = sub.draw_svg(&tree, size, SvgSettings::default()).is_some();
    sub.finish();
    let stream = builder.finish();
    drawn.then(|| Icon {
        graphic: Graphic::new(stream, false),
        side: w.max(h),
    })
}

/// A marker: the kind's icon scaled into a `size_mm` square centred on `at`.
fn draw_marker(surface: &mut Surface<'_>, fonts: &Fonts, icons: &mut Icons, item: &Item) {
    let Item::Marker { at, kind, size_mm } = item else {
        return;
    };
    let side = pt(*size_mm);
    match icons.get(surface, *kind) {
        Some(icon) if side > 0.0 && icon.side > 0.0 => {
            let k = side / icon.side;
            surface.push_transform(&Transform::from_row(
                k,
                0.0,
                0.0,
                k,
                pt(at[0]) - side / 2.0,
                pt(at[1]) - side / 2.0,
            ));
            surface.draw_graphic(icon.graphic);
            surface.pop();
        }
        _ => {
            for sub in item.expand_marker() {
                draw_item(surface, fonts, icons, &sub);
            }
        }
    }
}

fn draw_shape(
    surface: &mut Surface<'_>,
    points: &[[f64; 2]],
    close: bool,
    f: Option<Color>,
    s: Option<&Stroke>,
) {
    let Some(p) = path(points, close) else { return };
    surface.set_fill(f.map(fill));
    surface.set_stroke(s.map(kstroke));
    surface.draw_path(&p);
}

/// Every ring as one even-odd path, so holes stay open.
fn draw_area(surface: &mut Surface<'_>, polygons: &[Vec<Vec<[f64; 2]>>], color: Color) {
    let mut pb = PathBuilder::new();
    let mut any = false;
    for ring in polygons.iter().flatten() {
        let mut it = ring.iter();
        let Some(first) = it.next() else { continue };
        pb.move_to(pt(first[0]), pt(first[1]));
        for p in it {
            pb.line_to(pt(p[0]), pt(p[1]));
        }
        pb.close();
        any = true;
    }
    let Some(p) = pb.finish().filter(|_| any) else {
        return;
    };
    surface.set_fill(Some(Fill {
        rule: FillRule::EvenOdd,
        ..fill(color)
    }));
    surface.set_stroke(None);
    surface.draw_path(&p);
}

/// A scene raster as a PDF image: RGB (or grey, when every pixel is) plus a soft mask,
/// smoothed when scaled up (a DEM cell is often a millimetre on paper).
#[derive(Clone)]
struct PdfRaster {
    rgb: std::sync::Arc<Vec<u8>>,
    alpha: std::sync::Arc<Vec<u8>>,
    size: (u32, u32),
    key: u64,
    grey: bool,
}

impl std::hash::Hash for PdfRaster {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The pixels' key names them; hashing megabytes per image would be wasted.
        (self.key, self.size, self.rgb.len(), self.grey).hash(state);
    }
}

impl CustomImage for PdfRaster {
    fn color_channel(&self) -> &[u8] {
        &self.rgb
    }
    fn alpha_channel(&self) -> Option<&[u8]> {
        Some(&self.alpha)
    }
    fn bits_per_component(&self) -> BitsPerComponent {
        BitsPerComponent::Eight
    }
    fn size(&self) -> (u32, u32) {
        self.size
    }
    fn icc_profile(&self) -> Option<&[u8]> {
        None
    }
    fn color_space(&self) -> ImageColorspace {
        if self.grey {
            ImageColorspace::Luma
        } else {
            ImageColorspace::Rgb
        }
    }
}

/// Alpha of a grey raster (the hillshade) is kept to 64 levels: on paper the difference
/// cannot be seen, and the smoother values deflate to about half the bytes.
const GREY_ALPHA_STEP: u8 = 4;

fn draw_image(surface: &mut Surface<'_>, rect: &crate::core::atlas::RectMm, raster: &Raster) {
    let n = raster.width as usize * raster.height as usize;
    // The hillshade is black and white under a varying alpha: one grey channel, not three.
    let grey = raster
        .rgba
        .chunks_exact(4)
        .all(|px| px[0] == px[1] && px[1] == px[2]);
    let mut rgb = Vec::with_capacity(if grey { n } else { n * 3 });
    let mut alpha = Vec::with_capacity(n);
    for px in raster.rgba.chunks_exact(4) {
        if grey {
            rgb.push(px[0]);
            alpha.push(px[3] / GREY_ALPHA_STEP * GREY_ALPHA_STEP);
        } else {
            rgb.extend_from_slice(&px[..3]);
            alpha.push(px[3]);
        }
    }
    let image = PdfRaster {
        rgb: rgb.into(),
        alpha: alpha.into(),
        size: (raster.width, raster.height),
        key: raster.key,
        grey,
    };
    let (Ok(img), Some(size)) = (
        Image::from_custom(image, true),
        Size::from_wh(pt(rect.w), pt(rect.h)),
    ) else {
        return;
    };
    surface.push_transform(&Transform::from_translate(pt(rect.x), pt(rect.y)));
    surface.draw_image(img, size);
    surface.pop();
}

fn draw_turned(surface: &mut Surface<'_>, fonts: &Fonts, l: &Label, angle_deg: f64) {
    let [ax, ay] = l.at;
    let (s, c) = (
        angle_deg.to_radians().sin() as f32,
        angle_deg.to_radians().cos() as f32,
    );
    let (tx, ty) = (pt(ax), pt(ay));
    // Rotate about the anchor: translate there, turn, translate back.
    surface.push_transform(&Transform::from_row(
        c,
        s,
        -s,
        c,
        tx - c * tx + s * ty,
        ty - s * tx - c * ty,
    ));
    if l.halo {
        // A halo that follows the letters (a box would hide the map along a road): the text
        // as outlines, stroked and filled in the paper colour, under the real text. Outlines
        // are paths, so text extraction still finds each name once.
        let [x, y] = l.baseline_start();
        surface.set_fill(Some(fill(theme::PAPER)));
        surface.set_stroke(Some(KStroke {
            paint: paint(theme::PAPER),
            width: pt(theme::TEXT_HALO_MM),
            line_join: LineJoin::Round,
            ..Default::default()
        }));
        surface.draw_text(
            Point::from_xy(pt(x), pt(y)),
            font_for(fonts, l),
            l.style.size_pt as f32,
            &l.text,
            true,
            TextDirection::Auto,
        );
    }
    draw_label(
        surface,
        fonts,
        &Label {
            halo: false,
            ..l.clone()
        },
    );
    surface.pop();
}

fn font_for(fonts: &Fonts, l: &Label) -> Font {
    match l.style.weight {
        FontWeight::Regular => fonts.regular.clone(),
        FontWeight::Bold => fonts.bold.clone(),
    }
}

fn draw_label(surface: &mut Surface<'_>, fonts: &Fonts, l: &Label) {
    if l.halo {
        let b = l.bounds();
        let pad = 0.35;
        let r = [
            [b.x - pad, b.y - pad],
            [b.right() + pad, b.y - pad],
            [b.right() + pad, b.bottom() + pad],
            [b.x - pad, b.bottom() + pad],
        ];
        draw_shape(surface, &r, true, Some(theme::PAPER), None);
    }
    let [x, y] = l.baseline_start();
    let font = match l.style.weight {
        FontWeight::Regular => fonts.regular.clone(),
        FontWeight::Bold => fonts.bold.clone(),
    };
    surface.set_fill(Some(fill(l.style.color)));
    surface.set_stroke(None);
    surface.draw_text(
        Point::from_xy(pt(x), pt(y)),
        font,
        l.style.size_pt as f32,
        &l.text,
        false,
        TextDirection::Auto,
    );
}

fn draw_item(surface: &mut Surface<'_>, fonts: &Fonts, icons: &mut Icons, item: &Item) {
    match item {
        Item::Polyline { points, stroke } => draw_shape(surface, points, false, None, Some(stroke)),
        Item::Polygon {
            points,
            fill,
            stroke,
        } => draw_shape(surface, points, true, *fill, stroke.as_ref()),
        Item::Rect { rect, fill, stroke } => {
            let pts = [
                [rect.x, rect.y],
                [rect.right(), rect.y],
                [rect.right(), rect.bottom()],
                [rect.x, rect.bottom()],
            ];
            draw_shape(surface, &pts, true, *fill, stroke.as_ref());
        }
        Item::Marker { .. } => draw_marker(surface, fonts, icons, item),
        Item::Label(l) => draw_label(surface, fonts, l),
        Item::Area { polygons, fill } => draw_area(surface, polygons, *fill),
        Item::TurnedLabel { label, angle_deg } => draw_turned(surface, fonts, label, *angle_deg),
        Item::Image { rect, raster } => draw_image(surface, rect, raster),
    }
}

/// Renders scenes as the pages of one PDF, in order.
pub fn render_pdf(scenes: &[Scene], meta: &PdfMeta) -> Result<Vec<u8>, PdfError> {
    let numbers: Vec<Option<u32>> = scenes.iter().map(|s| s.page_number).collect();
    let mut book = PdfBook::new(meta, &numbers)?;
    for scene in scenes {
        book.page(scene)?;
    }
    book.finish()
}

/// A PDF written a page at a time, so a long book never holds all its scenes at once (and
/// pages can be built on other threads while earlier ones are drawn here). The book's page
/// numbers are given up front: a link may point at a page not yet drawn.
pub struct PdfBook {
    fonts: Fonts,
    icons: Icons,
    doc: Document,
    /// The printed number of each page of the document, in order (`None`: unnumbered).
    numbers: Vec<Option<u32>>,
}

impl PdfBook {
    /// A document titled from `meta` whose pages will carry `numbers`, in order.
    pub fn new(meta: &PdfMeta, numbers: &[Option<u32>]) -> Result<Self, PdfError> {
        let fonts = Fonts {
            regular: Font::new(FONT_REGULAR.into(), 0).ok_or(PdfError::Font)?,
            bold: Font::new(FONT_BOLD.into(), 0).ok_or(PdfError::Font)?,
        };
        let mut doc = Document::new();
        // No creation date: the same atlas gives the same bytes.
        doc.set_metadata(
            Metadata::new()
                .title(meta.title.clone())
                .creator("trailatlas".into())
                .producer("trailatlas (krilla)".into()),
        );
        Ok(Self {
            fonts,
            icons: Icons::default(),
            doc,
            numbers: numbers.to_vec(),
        })
    }

    /// Draws the next page.
    pub fn page(&mut self, scene: &Scene) -> Result<(), PdfError> {
        let (w, h) = scene.size_mm;
        let settings = PageSettings::from_wh(pt(w), pt(h)).ok_or(PdfError::PageSize(w, h))?;
        // Book page number → index in this document, for links (a partial print has gaps).
        let numbers = &self.numbers;
        let index_of = |number: u32| numbers.iter().position(|n| *n == Some(number));
        let mut page = self.doc.start_page_with(settings);
        let mut surface = page.surface();
        for item in &scene.items {
            draw_item(&mut surface, &self.fonts, &mut self.icons, item);
        }
        surface.finish();
        for link in &scene.links {
            let (Some(target), Some(rect)) = (
                index_of(link.to_page),
                Rect::from_xywh(
                    pt(link.rect.x),
                    pt(link.rect.y),
                    pt(link.rect.w),
                    pt(link.rect.h),
                ),
            ) else {
                continue;
            };
            let dest = XyzDestination::new(target, Point::from_xy(0.0, 0.0));
            page.add_annotation(Annotation::new_link(
                LinkAnnotation::new(rect, Target::Destination(Destination::Xyz(dest))),
                Some(format!("go to page {}", link.to_page)),
            ));
        }
        page.finish();
        Ok(())
    }

    /// The finished document's bytes.
    pub fn finish(self) -> Result<Vec<u8>, PdfError> {
        self.doc
            .finish()
            .map_err(|e| PdfError::Krilla(format!("{e:?}")))
    }
}
