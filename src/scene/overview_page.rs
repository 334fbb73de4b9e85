//! The atlas's tactical overview page (after the index): the route's surface mix, its
//! warnings, an elevation profile with fuel and camp ticks, and a block per section (length,
//! surface bar, climb, highest point, fuel, camps, warnings).
//!
//! Pure: draws a `core::overview::Overview` into a `Scene`. The page has no page number, so
//! the map pages keep theirs (page 2 is the first map page, as edge links say).

use super::build::{SceneOptions, label};
use super::{Anchor, Color, HAlign, Item, RectMm, Scene, Stroke, TextStyle, VAlign, theme};
use crate::core::atlas::Atlas;
use crate::core::model::WaypointKind;
use crate::core::overview::{Overview, Section};
use crate::core::roadbook::{Breakdown, SurfaceClass};
use crate::core::units::Units;

const WARN: TextStyle = TextStyle {
    size_pt: 8.0,
    weight: super::FontWeight::Bold,
    color: Color::rgb(170, 30, 30),
};

/// Cuts `text` to at most `max_mm` wide at `style`, ending in "..." when cut.
fn fit(text: &str, style: &TextStyle, max_mm: f64) -> String {
    if theme::text_width_mm(text, style) <= max_mm {
        return text.to_string();
    }
    let mut s = text.to_string();
    while !s.is_empty() && theme::text_width_mm(&format!("{s}..."), style) > max_mm {
        s.pop();
    }
    format!("{s}...")
}

/// A surface-mix bar in `r`, classes in their fixed order.
fn mix_bar(scene: &mut Scene, r: RectMm, b: &Breakdown) {
    let total = b.total_m();
    if total <= 0.0 {
        return;
    }
    let mut x = r.x;
    for c in SurfaceClass::ALL {
        let w = r.w * b.get(c) / total;
        if w <= 0.0 {
            continue;
        }
        scene.items.push(Item::Rect {
            rect: RectMm {
                x,
                y: r.y,
                w,
                h: r.h,
            },
            fill: Some(theme::surface_color(c)),
            stroke: None,
        });
        x += w;
    }
    scene.items.push(Item::Rect {
        rect: r,
        fill: None,
        stroke: Some(theme::RULE),
    });
}

fn mix_text(b: &Breakdown, u: Units) -> String {
    let total = b.total_m().max(1e-9);
    b.ranked()
        .iter()
        .map(|(c, m)| format!("{} {} {:.0}%", u.long(*m), c.words(), 100.0 * m / total))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Builds the overview page; its paper is the atlas's portrait page.
pub fn build_overview_scene(
    atlas: &Atlas,
    route_name: &str,
    o: &Overview,
    opts: &SceneOptions,
) -> Scene {
    let spec = &atlas.spec;
    let paper = spec.paper_size_mm(crate::core::atlas::PageOrientation::Portrait);
    let m = spec.margins_mm();
    let u = if opts.imperial {
        Units::Imperial
    } else {
        Units::Metric
    };
    let width = paper.0 - 2.0 * m;
    let mut scene = Scene::new(paper);
    let mut y = m + 5.0;
    scene.items.push(Item::Label(label(
        format!("{route_name}: overview"),
        [m, y],
        Anchor::BASELINE_LEFT,
        theme::TITLE,
    )));
    y += 6.0;
    scene.items.push(Item::Label(label(
        format!(
            "{} in {} section{}; surface from OpenStreetMap.",
            u.long(o.length_m),
            o.sections.len(),
            if o.sections.len() == 1 { "" } else { "s" }
        ),
        [m, y],
        Anchor::BASELINE_LEFT,
        theme::HEADER,
    )));
    y += 3.0;
    mix_bar(
        &mut scene,
        RectMm {
            x: m,
            y,
            w: width,
            h: 4.0,
        },
        &o.surface,
    );
    y += 8.0;
    scene.items.push(Item::Label(label(
        fit(&mix_text(&o.surface, u), &theme::TABLE, width),
        [m, y],
        Anchor::BASELINE_LEFT,
        theme::TABLE,
    )));
    // Legend of the bar's colours.
    y += 4.5;
    let mut x = m;
    for c in SurfaceClass::ALL {
        scene.items.push(Item::Rect {
            rect: RectMm {
                x,
                y: y - 2.2,
                w: 3.0,
                h: 2.5,
            },
            fill: Some(theme::surface_color(c)),
            stroke: None,
        });
        scene.items.push(Item::Label(label(
            c.words(),
            [x + 4.0, y],
            Anchor::BASELINE_LEFT,
            theme::SMALL,
        )));
        x += 6.0 + theme::text_width_mm(c.words(), &theme::SMALL);
    }
    for w in &o.warnings {
        y += 5.0;
        scene.items.push(Item::Label(label(
            fit(&format!("!! {w}"), &WARN, width),
            [m, y],
            Anchor::BASELINE_LEFT,
            WARN,
        )));
    }
    // Elevation profile with fuel (red) and camp (green) ticks.
    y += 4.0;
    let prof = RectMm {
        x: m + 10.0,
        y,
        w: width - 10.0,
        h: 32.0,
    };
    profile(&mut scene, prof, o, u);
    y += prof.h + 8.0;
    // Sections, as many as fit.
    let bottom = paper.1 - m - 6.0;
    let mut shown = 0;
    for (i, s) in o.sections.iter().enumerate() {
        let need = 8.0 + 4.2 * (3 + s.warnings.len()) as f64;
        if y + need > bottom {
            break;
        }
        y = section(&mut scene, i, s, m, y, width, u);
        shown += 1;
    }
    if shown < o.sections.len() {
        scene.items.push(Item::Label(label(
            format!(
                "{} more section{}: trailatlas overview --route ... prints them all.",
                o.sections.len() - shown,
                if o.sections.len() - shown == 1 {
                    ""
                } else {
                    "s"
                }
            ),
            [m, bottom + 3.0],
            Anchor::BASELINE_LEFT,
            theme::SMALL,
        )));
    }
    scene
}

fn profile(scene: &mut Scene, r: RectMm, o: &Overview, u: Units) {
    scene.items.push(Item::Rect {
        rect: r,
        fill: None,
        stroke: Some(theme::RULE),
    });
    if o.profile.len() < 2 || o.length_m <= 0.0 {
        scene.items.push(Item::Label(label(
            "no elevation data",
            [r.x + 2.0, r.y + r.h / 2.0],
            Anchor::BASELINE_LEFT,
            theme::SMALL,
        )));
        return;
    }
    let (lo, hi) = o
        .profile
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    let span = (hi - lo).max(1.0);
    let to = |at: f64, e: f64| {
        [
            r.x + r.w * (at / o.length_m),
            r.y + r.h - 2.0 - (r.h - 4.0) * (e - lo) / span,
        ]
    };
    scene.items.push(Item::Polyline {
        points: o.profile.iter().map(|p| to(p.0, p.1)).collect(),
        stroke: Stroke {
            color: theme::INK,
            width_mm: 0.3,
            dash_mm: None,
        },
    });
    for s in &o.stops {
        let color = match s.kind {
            WaypointKind::Fuel => Color::rgb(200, 40, 40),
            WaypointKind::Campground => Color::rgb(30, 130, 50),
            _ => continue,
        };
        let x = r.x + r.w * (s.at_m / o.length_m);
        scene.items.push(Item::Polyline {
            points: vec![[x, r.y + r.h], [x, r.y + r.h - 2.5]],
            stroke: Stroke {
                color,
                width_mm: 0.4,
                dash_mm: None,
            },
        });
    }
    for (v, at) in [(hi, r.y + 2.5), (lo, r.y + r.h - 1.0)] {
        scene.items.push(Item::Label(label(
            u.height(v),
            [r.x - 1.0, at],
            Anchor {
                h: HAlign::Right,
                v: VAlign::Baseline,
            },
            theme::SMALL,
        )));
    }
    scene.items.push(Item::Label(label(
        format!(
            "{}  (ticks: red fuel, green campgrounds)",
            u.long(o.length_m)
        ),
        [r.x + r.w, r.y + r.h + 3.0],
        Anchor {
            h: HAlign::Right,
            v: VAlign::Baseline,
        },
        theme::SMALL,
    )));
}

fn section(
    scene: &mut Scene,
    i: usize,
    s: &Section,
    m: f64,
    mut y: f64,
    width: f64,
    u: Units,
) -> f64 {
    let climb = match (s.climb_m, s.highest) {
        (Some(c), Some((at, h))) => format!(
            " · climb {} · highest {} at {}",
            u.height(c),
            u.height(h),
            u.long(at)
        ),
        _ => String::new(),
    };
    scene.items.push(Item::Label(label(
        fit(
            &format!(
                "Section {}: {} to {} ({}){climb}",
                i + 1,
                u.long(s.from_m),
                u.long(s.to_m),
                u.long(s.to_m - s.from_m)
            ),
            &theme::TABLE_HEAD,
            width,
        ),
        [m, y],
        Anchor::BASELINE_LEFT,
        theme::TABLE_HEAD,
    )));
    y += 1.5;
    mix_bar(
        scene,
        RectMm {
            x: m,
            y,
            w: width * 0.5,
            h: 2.5,
        },
        &s.surface,
    );
    scene.items.push(Item::Label(label(
        fit(&mix_text(&s.surface, u), &theme::SMALL, width * 0.48),
        [m + width * 0.52, y + 2.2],
        Anchor::BASELINE_LEFT,
        theme::SMALL,
    )));
    y += 6.5;
    let names = |v: &[crate::core::overview::Stop]| -> String {
        if v.is_empty() {
            "none".into()
        } else {
            v.iter()
                .map(|x| format!("{} ({})", x.name, u.long(x.at_m)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    for (head, text) in [("Fuel: ", names(&s.fuel)), ("Camps: ", names(&s.camps))] {
        scene.items.push(Item::Label(label(
            fit(&format!("{head}{text}"), &theme::TABLE, width),
            [m, y],
            Anchor::BASELINE_LEFT,
            theme::TABLE,
        )));
        y += 4.2;
    }
    for w in &s.warnings {
        scene.items.push(Item::Label(label(
            fit(&format!("!! {w}"), &WARN, width),
            [m, y],
            Anchor::BASELINE_LEFT,
            WARN,
        )));
        y += 4.2;
    }
    y + 3.0
}
