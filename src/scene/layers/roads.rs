//! The road layer: every drivable road by class and surface (paved solid in casings, gravel
//! and dirt dashed, tracks by grade, 4x4 roads in red), paths faint, bridges cased, and the
//! refs (`NF 2310`) and names along the lines, repeated on long roads.

use crate::core::map::{MapData, Road, RoadClass, Surface};
use crate::scene::{Item, Scene, Stroke, theme};

use super::{DrawnMap, LabelRank, LegendEntry, MapFrame, along_line, turned};

/// Road names repeat at most this often along a road, mm.
const LABEL_EVERY_MM: f64 = 80.0;

fn style(frame: &MapFrame<'_>, r: &Road) -> theme::RoadStyle {
    theme::road_style(
        r.class,
        r.surface,
        r.tracktype,
        r.four_wd_only,
        r.drivable,
        frame.scale_denom,
    )
}

fn legend(r: &Road, s: &theme::RoadStyle) -> LegendEntry {
    if !r.drivable || r.class == RoadClass::Path {
        LegendEntry::Path
    } else if r.four_wd_only {
        LegendEntry::FourWd
    } else if r.class == RoadClass::Track {
        LegendEntry::Track
    } else if s.casing.is_some() {
        LegendEntry::PavedRoad
    } else {
        match r.surface {
            Surface::Gravel => LegendEntry::Gravel,
            Surface::Dirt => LegendEntry::Dirt,
            _ => LegendEntry::UnknownSurface,
        }
    }
}

/// Draws the roads of `map` that show at the frame's scale.
pub fn draw(frame: &MapFrame<'_>, map: &MapData, scene: &mut Scene, drawn: &mut DrawnMap) {
    let mut drawn_roads: Vec<(theme::RoadStyle, &Road, Vec<Vec<[f64; 2]>>)> = map
        .roads
        .iter()
        .filter(|r| frame.shows(r.max_scale))
        .filter_map(|r| {
            let runs = frame.lines(&r.geometry);
            (!runs.is_empty()).then(|| (style(frame, r), r, runs))
        })
        .collect();
    drawn_roads.sort_by_key(|(s, r, _)| (r.bridge, s.z));
    let push = |scene: &mut Scene, runs: &[Vec<[f64; 2]>], stroke: Stroke| {
        for run in runs {
            scene.items.push(Item::Polyline {
                points: run.clone(),
                stroke,
            });
        }
    };
    // Casings of every road first, so crossings join; bridges get theirs over other roads.
    for (s, r, runs) in drawn_roads.iter().filter(|(_, r, _)| !r.bridge) {
        drawn.legend.insert(legend(r, s));
        if let Some(c) = s.casing {
            push(scene, runs, c);
        }
    }
    for (s, r, runs) in drawn_roads.iter().filter(|(_, r, _)| !r.bridge) {
        push(scene, runs, tunnel(s.line, r.tunnel));
    }
    for (s, r, runs) in drawn_roads.iter().filter(|(_, r, _)| r.bridge) {
        drawn.legend.insert(legend(r, s));
        let width = s.casing.unwrap_or(s.line).width_mm + 0.35;
        push(
            scene,
            runs,
            Stroke {
                color: theme::ROAD_CASING,
                width_mm: width,
                dash_mm: None,
            },
        );
        push(
            scene,
            runs,
            Stroke {
                color: theme::PAPER,
                width_mm: width - 0.2,
                dash_mm: None,
            },
        );
        push(scene, runs, s.line);
    }

    // Labels: refs first on a road that has both (forest-road numbers are how drivers find
    // them), then names; more important roads first.
    for (_, r, runs) in &drawn_roads {
        if !r.drivable {
            continue;
        }
        let texts: Vec<(&str, theme::TextStyleRef)> = [
            r.ref_.as_deref().map(|t| (t, theme::TextStyleRef::Ref)),
            r.name.as_deref().map(|t| (t, theme::TextStyleRef::Name)),
        ]
        .into_iter()
        .flatten()
        .filter(|(t, _)| !t.trim().is_empty())
        .collect();
        if texts.is_empty() {
            continue;
        }
        let order = r.class as u8 as f64;
        for run in runs {
            let mut k = 0usize;
            let mut spots = Vec::new();
            for (text, which) in &texts {
                let style = which.style();
                let len = theme::text_width_mm(text, &style) + 2.0;
                let start = if k == 0 {
                    12.0
                } else {
                    12.0 + LABEL_EVERY_MM / 2.0
                };
                for (at, angle) in along_line(run, len, start, LABEL_EVERY_MM) {
                    spots.push((at, angle, *text, style));
                }
                k += 1;
            }
            for (at, angle, text, style) in spots {
                drawn.labels.push(
                    LabelRank::Road,
                    order,
                    vec![vec![turned(text, at, angle, style)]],
                );
            }
        }
    }
}

/// A road line as drawn: tunnels get shorter dashes of the same colour.
fn tunnel(line: Stroke, is_tunnel: bool) -> Stroke {
    if is_tunnel {
        Stroke {
            dash_mm: Some((0.6, 0.6)),
            ..line
        }
    } else {
        line
    }
}
