//! Route-to-road matches, stored per line and redone when the map changes.
//!
//! A match is computed by `core::matching` over the roads near the route and kept in
//! `route_matches` with the stamp of the map it was made on ([`Store::map_stamp`]: the map
//! files' ids and import times, and the matcher's version). A later read with the same stamp
//! reuses it; importing, replacing or removing a map file changes the stamp, so the next read
//! matches again.

use rusqlite::{OptionalExtension as _, params};

use super::{Store, StoreError};
use crate::core::map::{OsmId, Road};
use crate::core::matching::{self, MatchParams, RoadNet, Stretch};
use crate::core::model::{BBox, LatLon, LineId};

/// Bumped whenever the matcher's results change, so stored matches are redone.
const MATCHER_VERSION: &str = "m1";

/// Version 4: stored route matches.
pub(super) const MATCHING_STEP: &str = r#"
    -- One row per matched line: the stretches as little-endian records of
    -- (from_m f64, to_m f64, OSM way id i64 or 0 = off the map, turn_deg f32 or NaN).
    CREATE TABLE route_matches (
        line_id     INTEGER PRIMARY KEY REFERENCES lines(id) ON DELETE CASCADE,
        map_stamp   TEXT NOT NULL,
        points      INTEGER NOT NULL,
        computed_ms INTEGER NOT NULL,
        stretches   BLOB NOT NULL
    );
"#;

/// A route matched onto the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedRoute {
    /// Stretches in route order; `road` indexes [`MatchedRoute::roads`].
    pub stretches: Vec<Stretch>,
    /// The roads the stretches name. Their geometry is empty when the match was read back
    /// from the database (the cue sheet needs only their attributes).
    pub roads: Vec<Road>,
    /// True when it was computed by this call, false when read back.
    pub computed: bool,
}

impl MatchedRoute {
    /// The road of a stretch.
    pub fn road(&self, s: &Stretch) -> Option<&Road> {
        s.road.and_then(|i| self.roads.get(i as usize))
    }
}

/// How far either side of the route roads are loaded for matching, metres.
const LOAD_BUFFER_M: f64 = 200.0;

/// Points per box when loading roads along a route.
const LOAD_CHUNK: usize = 200;

impl Store {
    /// What the map is now: changes whenever a map file is imported, replaced or removed.
    pub fn map_stamp(&self) -> Result<String, StoreError> {
        let (n, max_id, max_ms): (i64, Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT count(*), max(id), max(imported_ms) FROM map_files",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok(format!(
            "{MATCHER_VERSION}:{n}:{}:{}",
            max_id.unwrap_or(0),
            max_ms.unwrap_or(0)
        ))
    }

    /// Roads within about [`LOAD_BUFFER_M`] of a polyline, each once, full geometry.
    pub fn map_roads_near(&self, points: &[LatLon]) -> Result<Vec<Road>, StoreError> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for start in (0..points.len()).step_by(LOAD_CHUNK) {
            // Overlap one point so the segment between chunks is covered.
            let chunk = &points[start..(start + LOAD_CHUNK + 1).min(points.len())];
            let mut b = BBox::of(chunk.iter().copied());
            // A road between sparse shaping points may bend well away from the chord.
            let longest = chunk
                .windows(2)
                .map(|w| crate::core::geodesy::distance_m(w[0], w[1]))
                .fold(0.0, f64::max);
            let dlat = LOAD_BUFFER_M.max(0.4 * longest) / 111_319.49;
            let dlon = dlat
                / b.max_lat
                    .abs()
                    .max(b.min_lat.abs())
                    .to_radians()
                    .cos()
                    .max(0.01);
            b.min_lat -= dlat;
            b.max_lat += dlat;
            b.min_lon -= dlon;
            b.max_lon += dlon;
            for r in self.map_roads_in_bbox(&b)? {
                // A way cut into runs (nodes missing from the extract) is several roads of
                // one OSM id: each run is kept once, whichever chunks find it.
                let first = r
                    .geometry
                    .first()
                    .map(|p| (p.lat.to_bits(), p.lon.to_bits()));
                if seen.insert((r.osm, first, r.geometry.len())) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// The stored match of line `id` when it was made on the map as it is now.
    pub fn stored_match(
        &self,
        id: LineId,
        points: usize,
    ) -> Result<Option<MatchedRoute>, StoreError> {
        let stamp = self.map_stamp()?;
        let row: Option<(String, i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT map_stamp, points, stretches FROM route_matches WHERE line_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((s, n, blob)) = row else {
            return Ok(None);
        };
        if s != stamp || n != points as i64 {
            return Ok(None);
        }
        let Some(recs) = unpack(&blob) else {
            return Ok(None);
        };
        let mut ids: Vec<OsmId> = recs.iter().filter_map(|r| r.2).collect();
        ids.sort_unstable();
        ids.dedup();
        let roads = self.map_roads_by_osm(&ids)?;
        let index: std::collections::HashMap<OsmId, u32> = roads
            .iter()
            .enumerate()
            .map(|(i, r)| (r.osm, i as u32))
            .collect();
        let mut stretches = Vec::with_capacity(recs.len());
        for (from_m, to_m, osm, turn) in recs {
            let road = match osm {
                Some(o) => match index.get(&o) {
                    Some(&i) => Some(i),
                    // A road gone from the map: the stamp should have caught it; redo.
                    None => return Ok(None),
                },
                None => None,
            };
            stretches.push(Stretch {
                from_m,
                to_m,
                road,
                turn_deg: turn,
            });
        }
        Ok(Some(MatchedRoute {
            stretches,
            roads,
            computed: false,
        }))
    }

    /// Line `id` (whose path is `points` with `chainage_m`) matched onto the map: the stored
    /// match when it is current, else matched now and stored.
    pub fn route_match(
        &mut self,
        id: LineId,
        points: &[LatLon],
        chainage_m: &[f64],
    ) -> Result<MatchedRoute, StoreError> {
        if let Some(m) = self.stored_match(id, points.len())? {
            return Ok(m);
        }
        let stamp = self.map_stamp()?;
        let net = RoadNet::new(self.map_roads_near(points)?);
        let m = matching::match_route(&net, points, chainage_m, &MatchParams::default());
        let roads = net.into_roads();
        let blob = pack(&m.stretches, &roads);
        self.conn.execute(
            "INSERT OR REPLACE INTO route_matches (line_id, map_stamp, points, computed_ms, stretches)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, stamp, points.len() as i64, super::now_ms(), blob],
        )?;
        // Keep only the roads the stretches name, re-indexed.
        let mut keep: Vec<u32> = m.stretches.iter().filter_map(|s| s.road).collect();
        keep.sort_unstable();
        keep.dedup();
        let remap: std::collections::HashMap<u32, u32> = keep
            .iter()
            .enumerate()
            .map(|(i, &r)| (r, i as u32))
            .collect();
        let mut slots: Vec<Option<Road>> = roads.into_iter().map(Some).collect();
        let roads: Vec<Road> = keep
            .iter()
            .filter_map(|&r| slots.get_mut(r as usize).and_then(Option::take))
            .collect();
        let stretches = m
            .stretches
            .into_iter()
            .map(|s| Stretch {
                road: s.road.and_then(|r| remap.get(&r).copied()),
                ..s
            })
            .collect();
        Ok(MatchedRoute {
            stretches,
            roads,
            computed: true,
        })
    }
}

type Rec = (f64, f64, Option<OsmId>, Option<f64>);

fn pack(stretches: &[Stretch], roads: &[Road]) -> Vec<u8> {
    let mut b = Vec::with_capacity(stretches.len() * 28);
    for s in stretches {
        b.extend_from_slice(&s.from_m.to_le_bytes());
        b.extend_from_slice(&s.to_m.to_le_bytes());
        let way = match s.road.and_then(|r| roads.get(r as usize)).map(|r| r.osm) {
            Some(OsmId::Way(w)) => w,
            _ => 0,
        };
        b.extend_from_slice(&way.to_le_bytes());
        b.extend_from_slice(&(s.turn_deg.unwrap_or(f64::NAN) as f32).to_le_bytes());
    }
    b
}

fn unpack(b: &[u8]) -> Option<Vec<Rec>> {
    if !b.len().is_multiple_of(28) {
        return None;
    }
    let f = |s: &[u8]| -> Option<[u8; 8]> { s.try_into().ok() };
    b.chunks_exact(28)
        .map(|c| {
            let from = f64::from_le_bytes(f(&c[0..8])?);
            let to = f64::from_le_bytes(f(&c[8..16])?);
            let way = i64::from_le_bytes(f(&c[16..24])?);
            let turn = f32::from_le_bytes(c[24..28].try_into().ok()?);
            Some((
                from,
                to,
                (way != 0).then_some(OsmId::Way(way)),
                (!turn.is_nan()).then_some(f64::from(turn)),
            ))
        })
        .collect()
}
