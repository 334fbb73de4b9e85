//! Waypoint icons: one hand-written SVG per [`WaypointKind`] in `assets/icons/<kind>.svg`,
//! compiled into the binary, parsed with usvg in the kind's colours from `scene::theme`, and
//! rasterised with resvg for the screen. The PDF backend draws the parsed tree as vectors
//! (`render::pdf`); the screen backend caches the rasters as textures (`render::egui`).
//!
//! Not for choosing where or how big an icon goes (the scene's `Item::Marker` says that), and
//! not for caching: callers keep what they make.
//!
//! The SVG files carry their day colours so they look right on their own, but those are
//! replaced when they are parsed: the background shape has class `bg` (fill and outline),
//! the pictogram is drawn in `currentColor`, and marks cut out of the pictogram in the fill
//! colour have class `cut` (filled) or `cut-line` (stroked). A test checks that the files'
//! own colours are the theme's.

use resvg::{tiny_skia, usvg};

use crate::core::model::WaypointKind;
use crate::scene::Color;
use crate::scene::theme::{self, IconColors};

/// Why an icon could not be made. The icons are compiled in, so either is a build-time bug
/// (a test parses every one); drawing code falls back to the marker's plain symbol.
#[derive(Debug, thiserror::Error)]
pub enum IconError {
    /// The SVG did not parse.
    #[error("the {kind} icon does not parse: {why}")]
    Parse {
        /// Which icon.
        kind: WaypointKind,
        /// usvg's message.
        why: String,
    },
    /// A raster of that size cannot be made.
    #[error("the {kind} icon cannot be rasterised at {px} px")]
    Raster {
        /// Which icon.
        kind: WaypointKind,
        /// The asked side length, pixels.
        px: u32,
    },
}

/// Largest raster side, pixels: bigger icons are drawn from this raster, scaled.
pub const MAX_RASTER_PX: u32 = 256;

/// The SVG source of `kind`'s icon, as compiled in.
pub const fn svg_source(kind: WaypointKind) -> &'static str {
    use WaypointKind as K;
    match kind {
        K::Fuel => include_str!("../../assets/icons/fuel.svg"),
        K::Campground => include_str!("../../assets/icons/campground.svg"),
        K::Checkpoint => include_str!("../../assets/icons/checkpoint.svg"),
        K::Water => include_str!("../../assets/icons/water.svg"),
        K::Lodging => include_str!("../../assets/icons/lodging.svg"),
        K::Food => include_str!("../../assets/icons/food.svg"),
        K::Services => include_str!("../../assets/icons/services.svg"),
        K::Trailhead => include_str!("../../assets/icons/trailhead.svg"),
        K::Viewpoint => include_str!("../../assets/icons/viewpoint.svg"),
        K::Hazard => include_str!("../../assets/icons/hazard.svg"),
        K::Gate => include_str!("../../assets/icons/gate.svg"),
        K::Other => include_str!("../../assets/icons/other.svg"),
    }
}

fn css(c: Color) -> String {
    format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b)
}

/// The style sheet that paints an icon in `colors` (it overrides the file's own colours).
pub fn style_sheet(colors: &IconColors) -> String {
    let fill = css(colors.fill);
    format!(
        "svg {{ color: {} }} .bg {{ fill: {fill}; stroke: {} }} .cut {{ fill: {fill} }} \
         .cut-line {{ stroke: {fill} }}",
        css(colors.pictogram),
        css(colors.outline),
    )
}

fn parse(kind: WaypointKind, style_sheet: Option<String>) -> Result<usvg::Tree, IconError> {
    let opts = usvg::Options {
        style_sheet,
        ..Default::default()
    };
    usvg::Tree::from_str(svg_source(kind), &opts).map_err(|e| IconError::Parse {
        kind,
        why: e.to_string(),
    })
}

/// `kind`'s icon parsed in its theme colours (the night palette when `night_palette`).
pub fn tree(kind: WaypointKind, night_palette: bool) -> Result<usvg::Tree, IconError> {
    parse(
        kind,
        Some(style_sheet(&theme::icon_colors(kind, night_palette))),
    )
}

/// A square icon raster: `px` × `px` RGBA, premultiplied alpha, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    /// Side length, pixels.
    pub px: u32,
    /// `px * px * 4` bytes.
    pub rgba_premultiplied: Vec<u8>,
}

fn render(kind: WaypointKind, tree: &usvg::Tree, px: u32) -> Result<Raster, IconError> {
    let err = || IconError::Raster { kind, px };
    if px == 0 || px > MAX_RASTER_PX {
        return Err(err());
    }
    let mut pixmap = tiny_skia::Pixmap::new(px, px).ok_or_else(err)?;
    let size = tree.size();
    let scale = px as f32 / size.width().max(size.height());
    resvg::render(
        tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(Raster {
        px,
        rgba_premultiplied: pixmap.take(),
    })
}

/// `kind`'s icon drawn `px` pixels square (1..=[`MAX_RASTER_PX`]) in its theme colours.
pub fn rasterize(kind: WaypointKind, px: u32, night_palette: bool) -> Result<Raster, IconError> {
    render(kind, &tree(kind, night_palette)?, px)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(r: &Raster, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * r.px + x) * 4) as usize;
        let mut p = [0; 4];
        p.copy_from_slice(&r.rgba_premultiplied[i..i + 4]);
        p
    }

    fn close(a: [u8; 4], c: Color) -> bool {
        a[3] == 255 && a[0].abs_diff(c.r) <= 2 && a[1].abs_diff(c.g) <= 2 && a[2].abs_diff(c.b) <= 2
    }

    /// Pixels of `r` within 2 levels of `c`, opaque.
    fn count(r: &Raster, c: Color) -> usize {
        r.rgba_premultiplied
            .chunks_exact(4)
            .filter(|p| close([p[0], p[1], p[2], p[3]], c))
            .count()
    }

    #[test]
    fn every_kind_has_an_icon_that_parses_and_draws() {
        for kind in WaypointKind::ALL {
            for night in [false, true] {
                let t = tree(kind, night).unwrap();
                assert_eq!(
                    (t.size().width(), t.size().height()),
                    (24.0, 24.0),
                    "{kind}"
                );
                let r = rasterize(kind, 48, night).unwrap();
                assert_eq!(r.rgba_premultiplied.len(), 48 * 48 * 4);
                let colors = theme::icon_colors(kind, night);
                // The background colour, the pictogram and some outline are all there.
                let fill = count(&r, colors.fill);
                let pict = count(&r, colors.pictogram);
                assert!(fill > 300, "{kind} night={night}: {fill} fill pixels");
                assert!(pict > 40, "{kind} night={night}: {pict} pictogram pixels");
                assert!(count(&r, colors.outline) > 20, "{kind} night={night}");
                // Corners outside the shape stay transparent, for every shape.
                assert_eq!(pixel(&r, 0, 0)[3], 0, "{kind}");
            }
        }
    }

    #[test]
    fn assets_icons_holds_one_file_per_kind_and_each_is_compiled_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/icons");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".svg"))
            .collect();
        on_disk.sort();
        let mut kinds: Vec<String> = WaypointKind::ALL
            .iter()
            .map(|k| format!("{k}.svg"))
            .collect();
        kinds.sort();
        assert_eq!(on_disk, kinds);
        for kind in WaypointKind::ALL {
            let file = std::fs::read_to_string(dir.join(format!("{kind}.svg"))).unwrap();
            assert_eq!(
                svg_source(kind),
                file,
                "{kind}: svg_source includes another file"
            );
            assert!(file.contains("viewBox=\"0 0 24 24\""), "{kind}");
            assert!(file.contains("class=\"bg\""), "{kind}: no background");
        }
    }

    #[test]
    fn icon_files_carry_the_theme_colours() {
        // Drawn from the file's own colours and from the theme's style sheet: the same image,
        // so the files shown on their own do not drift from the theme.
        for kind in WaypointKind::ALL {
            let own = render(kind, &parse(kind, None).unwrap(), 32).unwrap();
            let themed = rasterize(kind, 32, false).unwrap();
            assert!(
                own == themed,
                "{kind}: the SVG's colours differ from theme::symbol"
            );
        }
    }

    #[test]
    fn pictograms_stand_out_from_their_fill() {
        for kind in WaypointKind::ALL {
            for night in [false, true] {
                let c = theme::icon_colors(kind, night);
                let ratio = theme::contrast(c.fill, c.pictogram);
                assert!(ratio >= 2.5, "{kind} night={night}: contrast {ratio:.2}");
            }
        }
    }

    #[test]
    fn night_icons_use_the_night_palette() {
        let day = rasterize(WaypointKind::Fuel, 32, false).unwrap();
        let night = rasterize(WaypointKind::Fuel, 32, true).unwrap();
        assert_ne!(day, night);
        assert!(count(&night, theme::night(theme::symbol(WaypointKind::Fuel).fill)) > 200);
    }

    #[test]
    fn raster_sizes_are_bounded() {
        assert!(rasterize(WaypointKind::Fuel, 0, false).is_err());
        assert!(rasterize(WaypointKind::Fuel, MAX_RASTER_PX + 1, false).is_err());
        assert!(rasterize(WaypointKind::Fuel, 1, false).is_ok());
        assert!(rasterize(WaypointKind::Fuel, MAX_RASTER_PX, false).is_ok());
    }

    /// Writes every icon as a PNG (day and night, 16, 24 and 96 px) into $ICON_PNG_DIR, to
    /// look at.
    #[test]
    fn write_pngs_to_look_at() {
        let Some(dir) = std::env::var_os("ICON_PNG_DIR") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        for kind in WaypointKind::ALL {
            for night in [false, true] {
                for px in [16, 24, 96] {
                    let r = rasterize(kind, px, night).unwrap();
                    let mut pm = tiny_skia::Pixmap::new(px, px).unwrap();
                    pm.data_mut().copy_from_slice(&r.rgba_premultiplied);
                    let name = format!("{kind}-{px}{}.png", if night { "-night" } else { "" });
                    pm.save_png(dir.join(name)).unwrap();
                }
            }
        }
    }
}
