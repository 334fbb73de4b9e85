//! Basemap tiles on screen: each Web-Mercator tile becomes a textured mesh bent onto the
//! view's transverse Mercator, drawn under the scene.
//!
//! A tile is a small grid of quads whose corners are projected one by one, so the image
//! follows the view's projection (and rotation) closely. Never loads or decodes anything: the
//! textures are the app's (see `app::basemap`); never decides which tiles to draw.

use eframe::egui::{self, Color32, Mesh, Pos2, Shape, epaint::Vertex};

use crate::core::tiles::TileId;
use crate::scene::theme;
use crate::scene::view::ViewProjector;

use super::egui::ScreenMap;

/// Quads per tile side: a 4 × 4 grid follows the bend of Web Mercator onto the view's
/// projection to well under a pixel at regional zooms (tested at zoom 8); neighbouring tiles
/// share their edge vertices exactly, so there are no seams.
pub const TILE_GRID: u32 = 4;
/// A tile corner this far outside the map (screen points) means the projection has broken
/// down there (far from the view's meridian); such tiles are skipped.
const FAR_PT: f32 = 1.0e5;

/// One tile to draw: the ground of `area`, painted with `uv` of `texture` (the tile's own
/// image, or its part of a coarser tile's while the right one loads).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileDraw {
    /// The ground covered.
    pub area: TileId,
    /// The image.
    pub texture: egui::TextureId,
    /// The part of the image over `area`: `[u_min, v_min, u_max, v_max]`, `v` down.
    pub uv: [f32; 4],
}

/// The texture part of a whole tile.
pub const FULL_UV: [f32; 4] = [0.0, 0.0, 1.0, 1.0];

/// Fills the map with the view background, then paints `tiles` (clip `painter` to the map's
/// rectangle first).
pub fn paint_basemap(
    tiles: &[TileDraw],
    pr: &ViewProjector,
    map: &ScreenMap,
    painter: &egui::Painter,
) {
    painter.rect_filled(painter.clip_rect(), 0.0, map.color(theme::VIEW_BACKGROUND));
    let shapes: Vec<Shape> = tiles
        .iter()
        .filter_map(|t| tile_mesh(t, pr, map, painter.clip_rect()))
        .map(Shape::mesh)
        .collect();
    painter.extend(shapes);
}

/// The mesh of one tile, or `None` when it cannot be placed (a corner projects to nowhere)
/// or lies wholly outside `clip`.
pub fn tile_mesh(
    t: &TileDraw,
    pr: &ViewProjector,
    map: &ScreenMap,
    clip: egui::Rect,
) -> Option<Mesh> {
    let n = TILE_GRID;
    let mut mesh = Mesh::with_texture(t.texture);
    let [u0, v0, u1, v1] = t.uv;
    let mut bounds = egui::Rect::NOTHING;
    for j in 0..=n {
        for i in 0..=n {
            let (fx, fy) = (f64::from(i) / f64::from(n), f64::from(j) / f64::from(n));
            let q = pr.mm_from_world(t.area.lat_lon_at(fx, fy));
            let pos = map.screen_from_mm(q);
            let far = clip.expand(FAR_PT);
            if !(pos.x.is_finite() && pos.y.is_finite() && far.contains(pos)) {
                return None;
            }
            bounds.extend_with(pos);
            mesh.vertices.push(Vertex {
                pos,
                uv: Pos2::new(u0 + (u1 - u0) * fx as f32, v0 + (v1 - v0) * fy as f32),
                // At night the tiles are dimmed, like the rest of the map.
                color: if map.night {
                    // Dimmed and red-shifted like the scene's night palette.
                    Color32::from_rgb(
                        theme::NIGHT_TILE_GRAY,
                        (f64::from(theme::NIGHT_TILE_GRAY) * theme::NIGHT_GREEN_SHARE) as u8,
                        (f64::from(theme::NIGHT_TILE_GRAY) * theme::NIGHT_BLUE_SHARE) as u8,
                    )
                } else {
                    Color32::WHITE
                },
            });
        }
    }
    if !bounds.intersects(clip) {
        return None;
    }
    let row = n + 1;
    for j in 0..n {
        for i in 0..n {
            let a = j * row + i;
            mesh.add_triangle(a, a + 1, a + row);
            mesh.add_triangle(a + 1, a + row + 1, a + row);
        }
    }
    Some(mesh)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::LatLon;
    use crate::scene::view::ViewSpec;

    fn view() -> ViewSpec {
        ViewSpec {
            center: LatLon::new(44.0, -121.3),
            m_per_mm: 50.0,
            size_mm: (200.0, 120.0),
            rotation_deg: 0.0,
        }
    }

    const MAP: ScreenMap = ScreenMap {
        night: false,
        origin: Pos2::new(10.0, 20.0),
        px_per_mm: 5.0,
    };

    fn clip() -> egui::Rect {
        egui::Rect::from_min_size(Pos2::new(10.0, 20.0), egui::vec2(1000.0, 600.0))
    }

    #[test]
    fn a_tile_is_a_grid_whose_corners_sit_on_the_ground() {
        let v = view();
        let pr = v.projector();
        // The zoom-12 tile under the view centre.
        let (x, y) = crate::core::tiles::world_xy(v.center);
        let area = TileId::new(12, (x * 4096.0) as u32, (y * 4096.0) as u32).unwrap();
        let t = TileDraw {
            area,
            texture: egui::TextureId::Managed(7),
            uv: [0.5, 0.0, 1.0, 0.5],
        };
        let m = tile_mesh(&t, &pr, &MAP, clip()).unwrap();
        let side = (TILE_GRID + 1) as usize;
        assert_eq!(m.vertices.len(), side * side);
        assert_eq!(m.indices.len(), (TILE_GRID * TILE_GRID * 6) as usize);
        let nw = MAP.screen_from_mm(pr.mm_from_world(area.north_west()));
        let se = MAP.screen_from_mm(pr.mm_from_world(area.south_east()));
        let (first, last) = (m.vertices[0], m.vertices[side * side - 1]);
        assert!(first.pos.distance(nw) < 1e-3 && last.pos.distance(se) < 1e-3);
        assert_eq!(first.uv, Pos2::new(0.5, 0.0));
        assert_eq!(last.uv, Pos2::new(1.0, 0.5));
        assert!(m.indices.iter().all(|i| (*i as usize) < m.vertices.len()));
    }

    #[test]
    fn the_grid_follows_the_projection_within_a_pixel() {
        // A zoom-8 tile at the edge of a view centred 1° away, drawn at about its own
        // resolution (5 pt/mm, 110 m/mm at 44°N is ~0.9 tile px per pt): the middle of each
        // quad, where interpolation is worst, against its true projected place.
        let v = ViewSpec {
            m_per_mm: 110.0,
            center: LatLon::new(45.0, -120.3),
            ..view()
        };
        let pr = v.projector();
        let (x, y) = crate::core::tiles::world_xy(LatLon::new(44.0, -121.3));
        let area = TileId::new(8, (x * 256.0) as u32, (y * 256.0) as u32).unwrap();
        let n = f64::from(TILE_GRID);
        let at = |fx: f64, fy: f64| MAP.screen_from_mm(pr.mm_from_world(area.lat_lon_at(fx, fy)));
        let mut worst = 0.0f32;
        for j in 0..TILE_GRID {
            for i in 0..TILE_GRID {
                let (x0, y0) = (f64::from(i) / n, f64::from(j) / n);
                let (x1, y1) = (x0 + 1.0 / n, y0 + 1.0 / n);
                let corners = [at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1)];
                let mid = corners
                    .iter()
                    .fold(egui::Vec2::ZERO, |s, p| s + p.to_vec2())
                    / 4.0;
                worst = worst.max(mid.to_pos2().distance(at((x0 + x1) / 2.0, (y0 + y1) / 2.0)));
            }
        }
        assert!(worst < 0.5, "{worst} pt");
    }

    #[test]
    fn tiles_off_the_map_are_skipped() {
        let pr = view().projector();
        let far = TileDraw {
            // Zoom 12 near Cape Town: nowhere near the view.
            area: TileId::new(12, 2432, 2437).unwrap(),
            texture: egui::TextureId::Managed(1),
            uv: FULL_UV,
        };
        assert!(tile_mesh(&far, &pr, &MAP, clip()).is_none());
    }
}
