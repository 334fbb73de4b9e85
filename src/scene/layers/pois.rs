//! The POI layer: fuel, camps, water, shelters, gates and fords from the map with the
//! waypoint kinds' icons (the route's own GPX waypoints are drawn over them by the caller, and
//! a POI they already show is left out), and peaks as triangles with name and elevation.

use crate::core::geodesy::distance_m;
use crate::core::map::{MapData, Poi, PoiKind};
use crate::core::model::Waypoint;
use crate::core::units::M_PER_FT;
use crate::scene::{Anchor, HAlign, Item, Label, Scene, VAlign, theme};

use super::{DrawnMap, LabelRank, LegendEntry, MapFrame};

/// A GPX waypoint of the same kind this close stands for the POI.
pub const SAME_PLACE_M: f64 = 50.0;

/// Draws POI markers and peaks, and offers peak labels.
pub fn draw(
    frame: &MapFrame<'_>,
    map: &MapData,
    gpx: &[&Waypoint],
    scene: &mut Scene,
    drawn: &mut DrawnMap,
) {
    for p in map.pois.iter().filter(|p| frame.shows(p.max_scale)) {
        if !frame.window.contains(p.at) {
            continue;
        }
        let q = frame.proj.mm_from_world(p.at);
        let half = theme::POI_SYMBOL_MM / 2.0;
        if !frame.bounds.contains(q)
            || q[0] - half < frame.bounds.x
            || q[0] + half > frame.bounds.right()
            || q[1] - half < frame.bounds.y
            || q[1] + half > frame.bounds.bottom()
        {
            continue;
        }
        match p.kind {
            PoiKind::Peak | PoiKind::Saddle => peak(frame, p, q, scene, drawn),
            _ => {
                let kind = p.kind.waypoint_kind();
                if gpx
                    .iter()
                    .any(|w| w.kind == kind && distance_m(w.pos, p.at) <= SAME_PLACE_M)
                {
                    continue;
                }
                scene.items.push(Item::Marker {
                    at: q,
                    kind,
                    size_mm: theme::POI_SYMBOL_MM,
                });
                drawn.markers.push(crate::core::atlas::RectMm {
                    x: q[0] - half,
                    y: q[1] - half,
                    w: 2.0 * half,
                    h: 2.0 * half,
                });
            }
        }
    }
}

/// Half the size of a peak's triangle, mm.
const PEAK_MM: f64 = 0.9;

/// A peak's triangle centred on `q`.
pub fn peak_triangle(q: [f64; 2]) -> Vec<[f64; 2]> {
    let s = PEAK_MM;
    vec![
        [q[0], q[1] - s],
        [q[0] + s, q[1] + s * 0.7],
        [q[0] - s, q[1] + s * 0.7],
    ]
}

fn peak(frame: &MapFrame<'_>, p: &Poi, q: [f64; 2], scene: &mut Scene, drawn: &mut DrawnMap) {
    let s = PEAK_MM;
    let points = if p.kind == PoiKind::Peak {
        peak_triangle(q)
    } else {
        // A saddle: a small bow tie across the pass.
        vec![
            [q[0] - s, q[1] - s * 0.6],
            [q[0] + s, q[1] + s * 0.6],
            [q[0] + s, q[1] - s * 0.6],
            [q[0] - s, q[1] + s * 0.6],
        ]
    };
    scene.items.push(Item::Polygon {
        points,
        fill: Some(theme::PEAK),
        stroke: None,
    });
    drawn.legend.insert(LegendEntry::Peak);
    drawn.markers.push(crate::core::atlas::RectMm {
        x: q[0] - s,
        y: q[1] - s,
        w: 2.0 * s,
        h: 2.0 * s,
    });
    let ele = p.ele_m.map(|m| {
        if frame.imperial {
            format!("{:.0} ft", m / M_PER_FT)
        } else {
            format!("{m:.0} m")
        }
    });
    let text = match (p.name.as_deref().filter(|n| !n.trim().is_empty()), ele) {
        (Some(n), Some(e)) => format!("{n} {e}"),
        (Some(n), None) => n.to_string(),
        (None, Some(e)) => e,
        (None, None) => return,
    };
    let r = s + theme::LABEL_GAP_MM;
    let options = [
        ([r, 0.0], HAlign::Left, VAlign::Middle),
        ([0.0, -r], HAlign::Center, VAlign::Bottom),
        ([-r, 0.0], HAlign::Right, VAlign::Middle),
        ([0.0, r], HAlign::Center, VAlign::Top),
    ]
    .iter()
    .map(|(d, h, v)| {
        vec![Item::TurnedLabel {
            label: Label {
                text: text.clone(),
                at: [q[0] + d[0], q[1] + d[1]],
                anchor: Anchor { h: *h, v: *v },
                style: theme::PEAK_LABEL,
                halo: true,
            },
            angle_deg: 0.0,
        }]
    })
    .collect();
    // Higher peaks first.
    drawn
        .labels
        .push(LabelRank::Peak, -p.ele_m.unwrap_or(0.0), options);
}
