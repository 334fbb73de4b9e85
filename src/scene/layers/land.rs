//! The land layer: woods, scrub, farmland, towns' land, glaciers, and public land (national
//! forests, parks, BLM) tinted by agency with a dashed edge and its name. Not water areas
//! (see [`super::water`]).

use crate::core::map::{Area, MapData};
use crate::scene::{Item, Scene, theme};

use super::{DrawnMap, LabelRank, LegendEntry, MapFrame, MapLayers, area_label_text, turned};

/// Land drawn smaller than this (mm²) is left out: a speck of wood helps no one.
const MIN_AREA_MM2: f64 = 1.0;

/// Draws land areas: ordinary land first, public land over it (its tint shows, its edge
/// marks where camping may be allowed).
pub fn draw(
    frame: &MapFrame<'_>,
    map: &MapData,
    layers: &MapLayers,
    scene: &mut Scene,
    drawn: &mut DrawnMap,
) {
    let mm2_per_m2 = {
        let m_per_mm = frame.scale_denom / 1000.0;
        1.0 / (m_per_mm * m_per_mm)
    };
    let land = map
        .areas
        .iter()
        .filter(|a| !a.kind.is_water() && frame.shows(a.max_scale));
    // Big areas first, so smaller ones (a wood inside a national forest) sit on top.
    let mut ordinary: Vec<&Area> = Vec::new();
    let mut public: Vec<&Area> = Vec::new();
    for a in land {
        if a.area_m2 * mm2_per_m2 < MIN_AREA_MM2 {
            continue;
        }
        if a.kind.is_public_land() {
            if layers.public_land {
                public.push(a);
            }
        } else if layers.land {
            ordinary.push(a);
        }
    }
    let by_size = |a: &&Area, b: &&Area| b.area_m2.total_cmp(&a.area_m2);
    ordinary.sort_by(by_size);
    public.sort_by(by_size);
    for a in public.iter().chain(&ordinary) {
        if fill_area(
            frame,
            a,
            theme::area_fill(a.kind, a.operator.as_deref()),
            scene,
        ) {
            drawn.legend.insert(if a.kind.is_public_land() {
                LegendEntry::PublicLand
            } else if a.kind == crate::core::map::AreaKind::Wood {
                LegendEntry::Wood
            } else {
                continue;
            });
        }
    }
    for a in &public {
        for poly in &a.polygons {
            for ring in std::iter::once(&poly.outer).chain(&poly.inners) {
                for run in frame.lines(ring) {
                    scene.items.push(Item::Polyline {
                        points: run,
                        stroke: theme::PUBLIC_LAND_EDGE,
                    });
                }
            }
        }
        if let Some(text) = area_label_text(a.name.as_deref(), a.kind, a.operator.as_deref()) {
            let options = label_spots(frame, a)
                .into_iter()
                .map(|at| vec![turned(&text, at, 0.0, theme::PUBLIC_LAND_LABEL)])
                .collect();
            drawn.labels.push(LabelRank::Water, -a.area_m2, options);
        }
    }
}

/// Fills an area's polygons clipped to the frame; false when nothing of it shows.
pub(crate) fn fill_area(
    frame: &MapFrame<'_>,
    a: &Area,
    fill: crate::scene::Color,
    scene: &mut Scene,
) -> bool {
    let polygons: Vec<Vec<Vec<[f64; 2]>>> = a
        .polygons
        .iter()
        .filter_map(|p| {
            let outer = frame.ring(&p.outer)?;
            let mut rings = vec![outer];
            rings.extend(p.inners.iter().filter_map(|r| frame.ring(r)));
            Some(rings)
        })
        .collect();
    if polygons.is_empty() {
        return false;
    }
    scene.items.push(Item::Area { polygons, fill });
    true
}

/// Where an area's name may go: the centre of its largest polygon's visible part, then
/// points around it, each inside the frame.
pub(crate) fn label_spots(frame: &MapFrame<'_>, a: &Area) -> Vec<[f64; 2]> {
    let Some(ring) = a
        .polygons
        .iter()
        .filter_map(|p| frame.ring(&p.outer))
        .max_by(|x, y| ring_area(x).total_cmp(&ring_area(y)))
    else {
        return Vec::new();
    };
    let (mut cx, mut cy) = (0.0, 0.0);
    for p in &ring {
        cx += p[0];
        cy += p[1];
    }
    let n = ring.len() as f64;
    let c = [cx / n, cy / n];
    let (minx, maxx) = ring
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p[0]), hi.max(p[0]))
        });
    let (miny, maxy) = ring
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p[1]), hi.max(p[1]))
        });
    let (dx, dy) = ((maxx - minx) / 4.0, (maxy - miny) / 4.0);
    [
        c,
        [c[0], c[1] - dy],
        [c[0], c[1] + dy],
        [c[0] - dx, c[1]],
        [c[0] + dx, c[1]],
    ]
    .into_iter()
    .filter(|p| inside(&ring, *p))
    .collect()
}

fn ring_area(r: &[[f64; 2]]) -> f64 {
    r.iter()
        .zip(r.iter().cycle().skip(1))
        .map(|(a, b)| a[0] * b[1] - b[0] * a[1])
        .sum::<f64>()
        .abs()
        / 2.0
}

/// Even-odd point in polygon.
fn inside(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let (Some(a), Some(b)) = (ring.get(i), ring.get((i + 1) % n)) else {
            continue;
        };
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < x {
                inside = !inside;
            }
        }
    }
    inside
}
