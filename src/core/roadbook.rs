//! What the road is, stretch by stretch: surface classes, the surface breakdown of a route or
//! a section of it, and the roadbook's road cues ("18.4 mi: left onto NF 2310, gravel").
//!
//! Works on the stretches of `core::matching` and the roads they name. Pure; the cue sheet
//! (`scene::build`) and the overview (`core::overview`) read it.

use super::map::{Road, RoadClass, Surface};
use super::matching::{Stretch, Turn};

/// What a driver cares about a stretch's surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SurfaceClass {
    /// Asphalt, concrete, paving.
    Paved,
    /// Gravel, compacted.
    Gravel,
    /// Dirt, earth, sand, rock.
    Dirt,
    /// A 4x4 or two-track (`highway=track` not paved, or `4wd_only=yes`).
    Track,
    /// A road of the map whose surface nothing says.
    Unknown,
    /// No road of the map here.
    OffMap,
}

impl SurfaceClass {
    /// Every class, in the order breakdowns list them.
    pub const ALL: [SurfaceClass; 6] = [
        SurfaceClass::Paved,
        SurfaceClass::Gravel,
        SurfaceClass::Dirt,
        SurfaceClass::Track,
        SurfaceClass::Unknown,
        SurfaceClass::OffMap,
    ];

    /// The stable name (JSON keys).
    pub const fn as_str(self) -> &'static str {
        match self {
            SurfaceClass::Paved => "paved",
            SurfaceClass::Gravel => "gravel",
            SurfaceClass::Dirt => "dirt",
            SurfaceClass::Track => "track",
            SurfaceClass::Unknown => "unknown",
            SurfaceClass::OffMap => "off_map",
        }
    }

    /// Words for a cue or a legend.
    pub const fn words(self) -> &'static str {
        match self {
            SurfaceClass::Paved => "paved",
            SurfaceClass::Gravel => "gravel",
            SurfaceClass::Dirt => "dirt",
            SurfaceClass::Track => "4x4 track",
            SurfaceClass::Unknown => "surface unknown",
            SurfaceClass::OffMap => "off the map",
        }
    }

    /// The class of a road (`None` = off the map).
    pub fn of(road: Option<&Road>) -> SurfaceClass {
        let Some(r) = road else {
            return SurfaceClass::OffMap;
        };
        let track = r.class == RoadClass::Track || r.four_wd_only;
        match r.surface {
            Surface::Paved => SurfaceClass::Paved,
            _ if track => SurfaceClass::Track,
            Surface::Gravel => SurfaceClass::Gravel,
            Surface::Dirt => SurfaceClass::Dirt,
            Surface::Unknown => SurfaceClass::Unknown,
        }
    }
}

/// Metres of a route (or part of it) per surface class, and tracks by `tracktype` grade.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Breakdown {
    /// Metres per class, indexed as [`SurfaceClass::ALL`].
    pub m: [f64; 6],
    /// Metres of [`SurfaceClass::Track`] by grade: index 0 = no grade, 1..=5 = grade1..grade5.
    pub track_grade_m: [f64; 6],
}

impl Breakdown {
    /// Metres of one class.
    pub fn get(&self, c: SurfaceClass) -> f64 {
        self.m[c as usize]
    }

    /// The sum of all classes (the length covered).
    pub fn total_m(&self) -> f64 {
        self.m.iter().sum()
    }

    /// The classes with any length, largest first.
    pub fn ranked(&self) -> Vec<(SurfaceClass, f64)> {
        let mut v: Vec<(SurfaceClass, f64)> = SurfaceClass::ALL
            .iter()
            .map(|&c| (c, self.get(c)))
            .filter(|x| x.1 > 0.0)
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }
}

/// The surface breakdown of chainage `from_m..to_m`. The parts sum to `to_m - from_m` when
/// the stretches cover it (a match always covers its route).
pub fn breakdown(stretches: &[Stretch], roads: &[Road], from_m: f64, to_m: f64) -> Breakdown {
    let mut b = Breakdown::default();
    let start = stretches.partition_point(|s| s.to_m <= from_m);
    for s in &stretches[start..] {
        if s.from_m >= to_m {
            break;
        }
        let len = s.to_m.min(to_m) - s.from_m.max(from_m);
        if len <= 0.0 {
            continue;
        }
        let road = s.road.and_then(|i| roads.get(i as usize));
        let c = SurfaceClass::of(road);
        b.m[c as usize] += len;
        if c == SurfaceClass::Track {
            let g = road.and_then(|r| r.tracktype).unwrap_or(0).min(5);
            b.track_grade_m[g as usize] += len;
        }
    }
    b
}

/// How a road is named on a cue: `NF 2310 (Sand Creek Road)`, `Sand Creek Road`, `NF 2310`,
/// or its kind when it has neither (`unnamed track`).
pub fn road_name(road: &Road) -> String {
    match (road.ref_.as_deref(), road.name.as_deref()) {
        (Some(r), Some(n)) if r != n => format!("{r} ({n})"),
        (Some(r), _) => r.to_string(),
        (None, Some(n)) => n.to_string(),
        (None, None) => format!("unnamed {}", road.highway.replace('_', " ")),
    }
}

/// What a road cue says.
#[derive(Debug, Clone, PartialEq)]
pub enum CueWhat {
    /// The route starts on this road.
    Start,
    /// A turn (or straight on) onto another road.
    Turn(Turn),
    /// Onto another road where the junction's angle is not known.
    Onto,
    /// The same road, another surface.
    SurfaceChange,
    /// The route leaves the roads of the map.
    OffMap,
    /// The route comes back onto a road of the map.
    BackOnMap,
}

/// One road row of the roadbook.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadCue {
    /// Chainage, metres.
    pub at_m: f64,
    /// What happens.
    pub what: CueWhat,
    /// The turn angle where known, degrees, right positive.
    pub turn_deg: Option<f64>,
    /// The road driven from here ([`road_name`]); empty off the map.
    pub road: String,
    /// Its surface.
    pub surface: SurfaceClass,
    /// A ford, bridge or tunnel on it, or a seasonal closure, in words.
    pub notes: Vec<&'static str>,
    /// How far the route stays on this road (until the next road cue), metres.
    pub for_m: f64,
}

impl RoadCue {
    /// The cue in words, without the distance: "left onto NF 2310, gravel".
    pub fn text(&self) -> String {
        let mut s = match &self.what {
            CueWhat::Start => format!("start on {}", self.road),
            CueWhat::Turn(Turn::Straight) => format!("continue onto {}", self.road),
            CueWhat::Turn(Turn::UTurn) => format!("U-turn onto {}", self.road),
            CueWhat::Turn(t) => format!("{} onto {}", t.words(), self.road),
            CueWhat::Onto => format!("continue onto {}", self.road),
            CueWhat::SurfaceChange => format!("{} becomes", self.road),
            CueWhat::OffMap => "leave the mapped roads".to_string(),
            CueWhat::BackOnMap => format!("join {}", self.road),
        };
        if self.surface != SurfaceClass::OffMap {
            s.push_str(if self.what == CueWhat::SurfaceChange {
                " "
            } else {
                ", "
            });
            s.push_str(self.surface.words());
        }
        for n in &self.notes {
            s.push_str(", ");
            s.push_str(n);
        }
        s
    }
}

/// Stretches shorter than this between two junctions are part of one crossing, metres.
const CLUSTER_M: f64 = 30.0;

/// Turns at or beyond this many degrees get a cue even where the road keeps its name.
const TURN_CUE_DEG: f64 = 45.0;

/// Identity of a road for cues: a change of ref or name is a change of road.
fn identity(road: Option<&Road>) -> Option<(Option<&str>, Option<&str>, RoadClass)> {
    road.map(|r| {
        let named = r.ref_.is_some() || r.name.is_some();
        (
            r.ref_.as_deref(),
            r.name.as_deref(),
            // Unnamed roads are told apart by their class.
            if named { RoadClass::Other } else { r.class },
        )
    })
}

fn notes(road: Option<&Road>) -> Vec<&'static str> {
    let mut v = Vec::new();
    if let Some(r) = road {
        if r.ford {
            v.push("ford");
        }
        if r.seasonal {
            v.push("seasonal");
        }
        if !r.drivable {
            v.push("closed to motor vehicles");
        }
    }
    v
}

/// The road cues of a matched route, in route order: the start, each change of road (with
/// the turn), each change of surface on the same road, each time the route leaves the map
/// and comes back, and sharp turns that keep the road's name.
pub fn road_cues(stretches: &[Stretch], roads: &[Road]) -> Vec<RoadCue> {
    let mut out: Vec<RoadCue> = Vec::new();
    let road = |s: &Stretch| s.road.and_then(|i| roads.get(i as usize));
    let mut prev: Option<&Stretch> = None;
    // Where a crossing's junctions began: link ways shorter than CLUSTER_M inside a crossing
    // get no cue of their own; the road after them does, from the first junction.
    let mut cluster_from: Option<f64> = None;
    for (i, s) in stretches.iter().enumerate() {
        let short_link = s.road.is_some()
            && s.length_m() < CLUSTER_M
            && stretches
                .get(i + 1)
                .is_some_and(|n| n.road.is_some() && n.turn_deg.is_some());
        if short_link && prev.is_some() {
            cluster_from.get_or_insert(s.from_m);
            continue;
        }
        let r = road(s);
        let surface = SurfaceClass::of(r);
        let what = match prev {
            None => Some(if r.is_some() {
                CueWhat::Start
            } else {
                CueWhat::OffMap
            }),
            Some(p) => {
                let pr = road(p);
                match (pr.is_some(), r.is_some()) {
                    (true, false) => Some(CueWhat::OffMap),
                    (false, true) => Some(CueWhat::BackOnMap),
                    (false, false) => None,
                    (true, true) => {
                        let turned = s.turn_deg.is_some_and(|t| t.abs() >= TURN_CUE_DEG);
                        if identity(pr) != identity(r) || turned {
                            Some(
                                s.turn_deg
                                    .map_or(CueWhat::Onto, |t| CueWhat::Turn(Turn::from_deg(t))),
                            )
                        } else if SurfaceClass::of(pr) != surface
                            || notes(r) != notes(pr) && !notes(r).is_empty()
                        {
                            Some(CueWhat::SurfaceChange)
                        } else {
                            None
                        }
                    }
                }
            }
        };
        let at_m = cluster_from.take().unwrap_or(s.from_m);
        if let Some(what) = what {
            out.push(RoadCue {
                at_m,
                what,
                turn_deg: s.turn_deg,
                road: r.map(road_name).unwrap_or_default(),
                surface,
                notes: notes(r),
                for_m: 0.0,
            });
        }
        prev = Some(s);
    }
    let end = stretches.last().map_or(0.0, |s| s.to_m);
    for i in 0..out.len() {
        let next = out.get(i + 1).map_or(end, |c| c.at_m);
        out[i].for_m = next - out[i].at_m;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::map::OsmId;
    use crate::core::map::build::road;
    use crate::core::model::LatLon;

    fn r(id: i64, tags: &[(&str, &str)]) -> Road {
        let g = vec![LatLon::new(0.0, 0.0), LatLon::new(0.0, 0.01)];
        road(OsmId::Way(id), tags, g).unwrap()
    }

    fn st(from: f64, to: f64, road: Option<u32>, turn: Option<f64>) -> Stretch {
        Stretch {
            from_m: from,
            to_m: to,
            road,
            turn_deg: turn,
        }
    }

    #[test]
    fn surface_classes_follow_surface_then_track() {
        let paved_track = r(1, &[("highway", "track"), ("surface", "asphalt")]);
        let track = r(2, &[("highway", "track"), ("tracktype", "grade4")]);
        let gravel = r(3, &[("highway", "unclassified"), ("surface", "gravel")]);
        let primary = r(4, &[("highway", "primary")]);
        let four = r(5, &[("highway", "unclassified"), ("4wd_only", "yes")]);
        assert_eq!(SurfaceClass::of(Some(&paved_track)), SurfaceClass::Paved);
        assert_eq!(SurfaceClass::of(Some(&track)), SurfaceClass::Track);
        assert_eq!(SurfaceClass::of(Some(&gravel)), SurfaceClass::Gravel);
        assert_eq!(SurfaceClass::of(Some(&primary)), SurfaceClass::Paved);
        assert_eq!(SurfaceClass::of(Some(&four)), SurfaceClass::Track);
        assert_eq!(SurfaceClass::of(None), SurfaceClass::OffMap);
    }

    #[test]
    fn a_breakdown_sums_to_the_range_and_splits_stretches() {
        let roads = vec![
            r(1, &[("highway", "primary")]),
            r(2, &[("highway", "track"), ("tracktype", "grade5")]),
        ];
        let s = vec![
            st(0.0, 1000.0, Some(0), None),
            st(1000.0, 1500.0, None, None),
            st(1500.0, 4000.0, Some(1), Some(-90.0)),
        ];
        let b = breakdown(&s, &roads, 500.0, 2000.0);
        assert_eq!(b.get(SurfaceClass::Paved), 500.0);
        assert_eq!(b.get(SurfaceClass::OffMap), 500.0);
        assert_eq!(b.get(SurfaceClass::Track), 500.0);
        assert_eq!(b.track_grade_m[5], 500.0);
        assert_eq!(b.total_m(), 1500.0);
        assert_eq!(breakdown(&s, &roads, 0.0, 4000.0).total_m(), 4000.0);
    }

    #[test]
    fn cues_name_turns_surface_changes_and_the_map_edges() {
        let roads = vec![
            r(
                1,
                &[
                    ("highway", "secondary"),
                    ("ref", "OR 31"),
                    ("name", "Fort Rock Hwy"),
                ],
            ),
            r(
                2,
                &[
                    ("highway", "unclassified"),
                    ("ref", "NF 2310"),
                    ("surface", "gravel"),
                ],
            ),
            r(
                3,
                &[
                    ("highway", "unclassified"),
                    ("ref", "NF 2310"),
                    ("surface", "dirt"),
                ],
            ),
            r(4, &[("highway", "service")]),
        ];
        let s = vec![
            st(0.0, 1000.0, Some(0), None),
            st(1000.0, 2000.0, Some(1), Some(-85.0)),
            st(2000.0, 3000.0, Some(2), Some(3.0)),
            // A 10 m link inside a crossing: no cue of its own.
            st(3000.0, 3010.0, Some(3), Some(100.0)),
            st(3010.0, 3500.0, Some(1), Some(100.0)),
            st(3500.0, 4000.0, None, None),
            st(4000.0, 5000.0, Some(0), None),
        ];
        let cues = road_cues(&s, &roads);
        let texts: Vec<String> = cues.iter().map(RoadCue::text).collect();
        assert_eq!(
            texts,
            [
                "start on OR 31 (Fort Rock Hwy), paved",
                "left onto NF 2310, gravel",
                "NF 2310 becomes dirt",
                "right onto NF 2310, gravel",
                "leave the mapped roads",
                "join OR 31 (Fort Rock Hwy), paved",
            ]
        );
        // The crossing's cue is where its first junction is.
        assert_eq!(cues[3].at_m, 3000.0);
        assert_eq!(cues[1].for_m, 1000.0);
        let sum: f64 = cues.iter().map(|c| c.for_m).sum();
        assert_eq!(sum, 5000.0);
    }
}
