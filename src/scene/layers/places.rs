//! The places layer: cities, towns, villages, hamlets and named localities, by rank and
//! population: bigger places get bigger type and win the label space first.

use crate::core::map::{MapData, Place};
use crate::scene::{Anchor, HAlign, Item, Label, Scene, VAlign, theme};

use super::{DrawnMap, LabelRank, MapFrame};

/// Draws place dots now and offers their names (beside the dot: right, left, above, below).
pub fn draw(frame: &MapFrame<'_>, map: &MapData, scene: &mut Scene, drawn: &mut DrawnMap) {
    let _ = scene;
    for p in map.places.iter().filter(|p| frame.shows(p.max_scale)) {
        if !frame.window.contains(p.at) {
            continue;
        }
        let q = frame.proj.mm_from_world(p.at);
        if !frame.bounds.contains(q) {
            continue;
        }
        drawn.labels.push(LabelRank::Place, order(p), options(p, q));
    }
}

/// Cities first, then by population.
fn order(p: &Place) -> f64 {
    f64::from(p.kind as u8) * 1e9 - p.population.unwrap_or(0) as f64
}

fn options(p: &Place, q: [f64; 2]) -> Vec<Vec<Item>> {
    let style = theme::place_label(p.kind);
    let dot = theme::place_dot_mm(p.kind);
    let r = dot.unwrap_or(0.0) + theme::LABEL_GAP_MM;
    let dot_item = |at: [f64; 2]| {
        dot.map(|d| Item::Polygon {
            points: (0..12)
                .map(|i| {
                    let a = f64::from(i) * std::f64::consts::TAU / 12.0;
                    [at[0] + d * a.cos(), at[1] + d * a.sin()]
                })
                .collect(),
            fill: Some(theme::INK),
            stroke: Some(crate::scene::Stroke {
                color: theme::PAPER,
                width_mm: 0.2,
                dash_mm: None,
            }),
        })
    };
    let spots: &[([f64; 2], HAlign, VAlign)] = if dot.is_some() {
        &[
            ([r, 0.0], HAlign::Left, VAlign::Middle),
            ([-r, 0.0], HAlign::Right, VAlign::Middle),
            ([0.0, -r], HAlign::Center, VAlign::Bottom),
            ([0.0, r], HAlign::Center, VAlign::Top),
        ]
    } else {
        // A locality's name stands on the spot itself.
        &[([0.0, 0.0], HAlign::Center, VAlign::Middle)]
    };
    spots
        .iter()
        .map(|(d, h, v)| {
            let label = Label {
                text: p.name.clone(),
                at: [q[0] + d[0], q[1] + d[1]],
                anchor: Anchor { h: *h, v: *v },
                style,
                halo: true,
            };
            let mut items = Vec::new();
            if let Some(dot) = dot_item(q) {
                items.push(dot);
            }
            items.push(Item::TurnedLabel {
                label,
                angle_deg: 0.0,
            });
            items
        })
        .collect()
}
