//! The water layer: lakes, reservoirs and riverbanks as areas (with their islands), rivers,
//! streams and canals as lines, and their names.

use crate::core::map::{MapData, WaterLineKind};
use crate::scene::{Item, Scene, theme};

use super::land::{fill_area, label_spots};
use super::{DrawnMap, LabelRank, LegendEntry, MapFrame, along_line, turned};

/// Water areas, under everything but land.
pub fn draw_areas(frame: &MapFrame<'_>, map: &MapData, scene: &mut Scene, drawn: &mut DrawnMap) {
    let mm2_per_m2 = {
        let m_per_mm = frame.scale_denom / 1000.0;
        1.0 / (m_per_mm * m_per_mm)
    };
    for a in map
        .areas
        .iter()
        .filter(|a| a.kind.is_water() && frame.shows(a.max_scale))
    {
        if a.area_m2 * mm2_per_m2 < 0.5 {
            continue;
        }
        if !fill_area(frame, a, theme::WATER_FILL, scene) {
            continue;
        }
        drawn.legend.insert(LegendEntry::Water);
        // Lakes big enough to hold their name get it inside.
        if let Some(name) = a.name.as_deref().filter(|n| !n.trim().is_empty())
            && a.area_m2 * mm2_per_m2 > 60.0
        {
            let options = label_spots(frame, a)
                .into_iter()
                .map(|at| vec![turned(name, at, 0.0, theme::WATER_LABEL)])
                .collect();
            drawn.labels.push(LabelRank::Water, -a.area_m2, options);
        }
    }
}

/// Rivers, streams and canals, with names along them.
pub fn draw_lines(frame: &MapFrame<'_>, map: &MapData, scene: &mut Scene, drawn: &mut DrawnMap) {
    for w in map.water_lines.iter().filter(|w| frame.shows(w.max_scale)) {
        let runs = frame.lines(&w.geometry);
        if runs.is_empty() {
            continue;
        }
        drawn.legend.insert(LegendEntry::Water);
        let stroke = theme::water_line_style(w.kind, w.intermittent);
        if let Some(name) = w.name.as_deref().filter(|n| !n.trim().is_empty()) {
            let len = theme::text_width_mm(name, &theme::WATER_LABEL);
            let rank = match w.kind {
                WaterLineKind::River => 0.0,
                WaterLineKind::Canal => 1.0,
                _ => 2.0,
            };
            for run in &runs {
                for (at, angle) in along_line(run, len + 2.0, 15.0, 90.0) {
                    drawn.labels.push(
                        LabelRank::Water,
                        rank,
                        vec![vec![turned(name, at, angle, theme::WATER_LABEL)]],
                    );
                }
            }
        }
        for run in runs {
            scene.items.push(Item::Polyline {
                points: run,
                stroke,
            });
        }
    }
}
