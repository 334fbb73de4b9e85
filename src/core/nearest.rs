//! Nearest waypoints to a position, by great-circle distance, optionally filtered by kind.
//!
//! Waypoints are indexed as unit vectors (see [`super::sphere`]) in one R-tree per kind plus
//! one over all kinds, so a kind filter never scans other kinds and the antimeridian and the
//! poles need no special case.
//! Results are exact and deterministic: distances are [`geodesy::distance_m`] and ties are
//! broken by id, so they equal an exhaustive scan sorted by `(distance_m, id)`.
//! Not for along-route questions ("next fuel ahead"): see [`super::along`].

use rstar::{AABB, PointDistance, RTree, RTreeObject};

use super::geodesy::{self, bearing_deg};
use super::model::{LatLon, StoredWaypoint, WaypointId, WaypointKind};
use super::sphere::{UnitVec, chord2, m_from_chord, unit_vec};

/// One result of [`WaypointIndex::nearest`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearest {
    /// The waypoint's id.
    pub id: WaypointId,
    /// Its kind.
    pub kind: WaypointKind,
    /// Its position.
    pub pos: LatLon,
    /// Great-circle distance from the query position, metres.
    pub distance_m: f64,
    /// Initial bearing from the query position towards it, degrees true `0..360`.
    pub bearing_deg: f64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    xyz: UnitVec,
    id: WaypointId,
    kind: WaypointKind,
    pos: LatLon,
}

impl RTreeObject for Entry {
    type Envelope = AABB<UnitVec>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl PointDistance for Entry {
    fn distance_2(&self, point: &UnitVec) -> f64 {
        chord2(self.xyz, *point)
    }
}

/// An in-memory spatial index of waypoints for nearest-neighbour queries.
#[derive(Debug, Clone)]
pub struct WaypointIndex {
    all: RTree<Entry>,
    // Indexed by `WaypointKind as usize`, which follows `WaypointKind::ALL`.
    by_kind: Vec<RTree<Entry>>,
    skipped: usize,
}

impl WaypointIndex {
    /// Builds the index from `(id, position, kind)` items. Items with an invalid position
    /// (non-finite or out of range) are left out and counted in [`Self::skipped`].
    pub fn new(items: impl IntoIterator<Item = (WaypointId, LatLon, WaypointKind)>) -> Self {
        let mut all = Vec::new();
        let mut skipped = 0;
        for (id, pos, kind) in items {
            if pos.is_valid() {
                all.push(Entry {
                    xyz: unit_vec(pos),
                    id,
                    kind,
                    pos,
                });
            } else {
                skipped += 1;
            }
        }
        let mut per_kind: Vec<Vec<Entry>> = vec![Vec::new(); WaypointKind::ALL.len()];
        for e in &all {
            if let Some(v) = per_kind.get_mut(e.kind as usize) {
                v.push(*e);
            }
        }
        WaypointIndex {
            all: RTree::bulk_load(all),
            by_kind: per_kind.into_iter().map(RTree::bulk_load).collect(),
            skipped,
        }
    }

    /// Builds the index from stored waypoints.
    pub fn from_stored(waypoints: &[StoredWaypoint]) -> Self {
        Self::new(waypoints.iter().map(|w| (w.id, w.wpt.pos, w.wpt.kind)))
    }

    /// Number of indexed waypoints.
    pub fn len(&self) -> usize {
        self.all.size()
    }

    /// True when no waypoint is indexed.
    pub fn is_empty(&self) -> bool {
        self.all.size() == 0
    }

    /// Items left out at build time because their position was invalid.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The `k` waypoints nearest to `at` whose kind is in `kinds` (empty = every kind),
    /// nearest first, ties broken by ascending id. Empty when `at` is invalid or `k` is 0.
    pub fn nearest(&self, at: LatLon, kinds: &[WaypointKind], k: usize) -> Vec<Nearest> {
        if k == 0 || !at.is_valid() {
            return Vec::new();
        }
        let q = unit_vec(at);
        let mut best: Vec<Nearest> = Vec::with_capacity(k + 1);
        if kinds.is_empty() {
            k_nearest_in(&self.all, q, at, k, &mut best);
        } else {
            let mut wanted = kinds.to_vec();
            wanted.sort();
            wanted.dedup();
            for kind in wanted {
                if let Some(tree) = self.by_kind.get(kind as usize) {
                    k_nearest_in(tree, q, at, k, &mut best);
                }
            }
        }
        best
    }
}

fn order(a: &Nearest, b: &Nearest) -> std::cmp::Ordering {
    a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id))
}

/// How far past the current k-th distance the chord order may disagree with the haversine
/// distance through rounding; candidates within it are still examined.
fn slack_m(dist_m: f64) -> f64 {
    1e-3 + dist_m * 1e-7
}

/// Merges the `k` nearest entries of `tree` into `best` (kept sorted, at most `k` long).
fn k_nearest_in(tree: &RTree<Entry>, q: UnitVec, at: LatLon, k: usize, best: &mut Vec<Nearest>) {
    for (e, d2) in tree.nearest_neighbor_iter_with_distance_2(&q) {
        if best.len() >= k {
            let Some(kth) = best.last() else { break };
            // The iterator runs in chord order, which is great-circle order: once the next
            // candidate is beyond the k-th, so is everything after it.
            if m_from_chord(d2.sqrt()) > kth.distance_m + slack_m(kth.distance_m) {
                break;
            }
        }
        let cand = Nearest {
            id: e.id,
            kind: e.kind,
            pos: e.pos,
            distance_m: geodesy::distance_m(at, e.pos),
            bearing_deg: bearing_deg(at, e.pos),
        };
        let at_idx = best.partition_point(|b| order(b, &cand).is_lt());
        if at_idx < k {
            best.insert(at_idx, cand);
            best.truncate(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WaypointKind::{Campground, Fuel, Water};
    use proptest::prelude::*;

    fn brute(
        items: &[(WaypointId, LatLon, WaypointKind)],
        at: LatLon,
        kinds: &[WaypointKind],
        k: usize,
    ) -> Vec<WaypointId> {
        let mut v: Vec<(f64, WaypointId)> = items
            .iter()
            .filter(|(_, p, kind)| p.is_valid() && (kinds.is_empty() || kinds.contains(kind)))
            .map(|(id, p, _)| (geodesy::distance_m(at, *p), *id))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        v.into_iter().take(k).map(|(_, id)| id).collect()
    }

    fn check(
        items: &[(WaypointId, LatLon, WaypointKind)],
        at: LatLon,
        kinds: &[WaypointKind],
        k: usize,
        expect: &[WaypointId],
    ) {
        let idx = WaypointIndex::new(items.iter().copied());
        let got: Vec<WaypointId> = idx.nearest(at, kinds, k).iter().map(|n| n.id).collect();
        assert_eq!(got, expect);
    }

    fn p(lat: f64, lon: f64) -> LatLon {
        LatLon::new(lat, lon)
    }

    #[test]
    fn nearest_is_found_across_the_antimeridian() {
        let items = [
            (1, p(0.0, 179.99), Fuel),
            (2, p(0.0, 178.0), Fuel),
            (3, p(0.0, -179.0), Fuel),
        ];
        check(&items, p(0.0, -179.99), &[], 3, &[1, 3, 2]);
    }

    #[test]
    fn nearest_is_found_over_the_pole() {
        let items = [
            (1, p(89.9, 0.0), Fuel),
            (2, p(89.95, 180.0), Fuel),
            (3, p(89.0, 90.0), Fuel),
        ];
        check(&items, p(89.99, -179.0), &[], 2, &[2, 1]);
    }

    #[test]
    fn kind_filter_skips_other_kinds() {
        let items = [
            (1, p(0.0, 0.001), Water),
            (2, p(0.0, 0.01), Fuel),
            (3, p(0.0, 0.02), Campground),
        ];
        check(&items, p(0.0, 0.0), &[Fuel, Campground], 5, &[2, 3]);
    }

    #[test]
    fn ties_are_broken_by_id() {
        let items = [
            (9, p(1.0, 1.0), Fuel),
            (4, p(1.0, 1.0), Fuel),
            (7, p(1.0, 1.0), Water),
        ];
        check(&items, p(0.0, 0.0), &[], 2, &[4, 7]);
    }

    #[test]
    fn invalid_positions_are_skipped_and_counted() {
        let items = [
            (1, p(f64::NAN, 0.0), Fuel),
            (2, p(95.0, 0.0), Fuel),
            (3, p(1.0, 1.0), Fuel),
        ];
        let idx = WaypointIndex::new(items);
        assert_eq!((idx.len(), idx.skipped()), (1, 2));
    }

    #[test]
    fn distance_and_bearing_are_reported() {
        let idx = WaypointIndex::new([(1, p(0.0, 1.0), Fuel)]);
        let n = idx.nearest(p(0.0, 0.0), &[], 1);
        assert_eq!(n.len(), 1);
        assert!((n[0].distance_m - 111_195.0).abs() < 5.0);
        assert!((n[0].bearing_deg - 90.0).abs() < 1e-9);
    }

    #[test]
    fn empty_index_and_zero_k_give_nothing() {
        assert!(
            WaypointIndex::new([])
                .nearest(p(0.0, 0.0), &[], 3)
                .is_empty()
        );
        check(&[(1, p(0.0, 0.0), Fuel)], p(0.0, 0.0), &[], 0, &[]);
    }

    fn kind_strategy() -> impl Strategy<Value = WaypointKind> {
        prop_oneof![Just(Fuel), Just(Campground), Just(Water)]
    }

    /// Positions clustered where indexes usually break: the antimeridian, the poles, and a
    /// coarse grid that makes exact ties likely.
    fn pos_strategy() -> impl Strategy<Value = LatLon> {
        prop_oneof![
            (-90.0..=90.0f64, -180.0..=180.0f64).prop_map(|(a, b)| p(a, b)),
            (
                -5.0..5.0f64,
                prop_oneof![179.0..=180.0f64, -180.0..-179.0f64]
            )
                .prop_map(|(a, b)| p(a, b)),
            (88.0..=90.0f64, -180.0..=180.0f64).prop_map(|(a, b)| p(a, b)),
            (-90.0..=-88.0f64, -180.0..=180.0f64).prop_map(|(a, b)| p(a, b)),
            (-2i32..=2, -2i32..=2)
                .prop_map(|(a, b)| p(f64::from(a) * 0.5, 179.5 + f64::from(b) * 0.25)),
        ]
    }

    proptest! {
        #[test]
        fn nearest_equals_an_exhaustive_scan(
            pts in prop::collection::vec((pos_strategy(), kind_strategy()), 0..120),
            at in pos_strategy(),
            k in 0usize..8,
            filter in prop::collection::vec(kind_strategy(), 0..3),
        ) {
            let items: Vec<_> = pts.into_iter().enumerate().map(|(i, (pos, kind))| ((i as i64 * 7919) % 1000, pos, kind)).collect();
            let idx = WaypointIndex::new(items.iter().copied());
            let got: Vec<WaypointId> = idx.nearest(at, &filter, k).iter().map(|n| n.id).collect();
            prop_assert_eq!(got, brute(&items, at, &filter, k));
        }
    }
}
