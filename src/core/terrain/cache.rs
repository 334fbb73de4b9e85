//! A byte-bounded least-recently-used cache for terrain computed on demand (a page's or a
//! screen tile's hillshade and contours), and the key and value the drawing code uses.
//!
//! Plain data and a linear scan on eviction: a cache holds tens of tiles, not thousands, so a
//! linked-list LRU crate would buy nothing measurable.
//! Not for DEM blocks read from the database (the store's model has its own block cache).

use std::collections::HashMap;
use std::hash::Hash;

use super::{Contour, ContourLabel, Grid, HillshadeParams, contour_interval, contour_labels};
use crate::core::model::BBox;

/// A least-recently-used map bounded by the bytes its values report.
#[derive(Debug)]
pub struct LruCache<K, V> {
    budget_bytes: usize,
    used_bytes: usize,
    tick: u64,
    entries: HashMap<K, (V, usize, u64)>,
}

impl<K: Eq + Hash + Clone, V> LruCache<K, V> {
    /// An empty cache holding at most `budget_bytes` (one value larger than that is still
    /// kept, alone, so a caller always gets back what it just computed).
    pub fn new(budget_bytes: usize) -> Self {
        LruCache {
            budget_bytes,
            used_bytes: 0,
            tick: 0,
            entries: HashMap::new(),
        }
    }

    /// The value for `key`, marking it used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(key).map(|e| {
            e.2 = tick;
            &e.0
        })
    }

    /// Stores `value` (of `bytes`) under `key`, evicting the least recently used entries
    /// until the total fits the budget.
    pub fn insert(&mut self, key: K, value: V, bytes: usize) {
        self.tick += 1;
        if let Some(old) = self.entries.remove(&key) {
            self.used_bytes -= old.1;
        }
        while self.used_bytes + bytes > self.budget_bytes {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.2)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = self.entries.remove(&oldest) {
                self.used_bytes -= e.1;
            }
        }
        self.used_bytes += bytes;
        self.entries.insert(key, (value, bytes, self.tick));
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes held.
    pub fn used_bytes(&self) -> usize {
        self.used_bytes
    }
}

/// What a terrain tile is computed for: the box (to 1e-6°, about 10 cm) and the map scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TerrainKey {
    /// West, south, east, north in micro-degrees.
    pub bbox_udeg: [i64; 4],
    /// The scale's denominator.
    pub scale_denom: u32,
    /// Imperial contour intervals.
    pub imperial: bool,
}

impl TerrainKey {
    /// The key for a box at a scale.
    pub fn new(bbox: &BBox, scale_denom: u32, imperial: bool) -> Self {
        let u = |v: f64| (v * 1e6).round() as i64;
        TerrainKey {
            bbox_udeg: [
                u(bbox.min_lon),
                u(bbox.min_lat),
                u(bbox.max_lon),
                u(bbox.max_lat),
            ],
            scale_denom,
            imperial,
        }
    }
}

/// Hillshade, contours and label positions for one page or screen tile.
#[derive(Debug, Clone, PartialEq)]
pub struct TerrainTile {
    /// The grid the products were computed from (its geometry places the hillshade).
    pub grid: Grid,
    /// One grey level per grid node, row 0 north ([`super::hillshade`]).
    pub hillshade: Vec<u8>,
    /// The contour interval used, metres.
    pub interval_m: f64,
    /// The contour lines.
    pub contours: Vec<Contour>,
    /// Elevation labels along the index contours.
    pub labels: Vec<ContourLabel>,
    /// What the model came from, for the attribution.
    pub source: String,
}

/// Index contours are every this many levels (USGS: every fifth).
pub const INDEX_EVERY: u32 = 5;

impl TerrainTile {
    /// Computes the tile for a map at `1:scale_denom`: the interval from the scale and the
    /// grid's relief, an index contour every fifth level, labels every 40 mm of paper
    /// needing 12 mm of straight line.
    pub fn compute(
        grid: Grid,
        source: String,
        scale_denom: u32,
        imperial: bool,
        shade: &HillshadeParams,
    ) -> TerrainTile {
        let relief = grid
            .min_max()
            .map_or(0.0, |(lo, hi)| f64::from(hi) - f64::from(lo));
        let interval_m = contour_interval(scale_denom, relief, imperial);
        let hillshade = super::hillshade(&grid, shade);
        let contours = super::contours(&grid, interval_m, INDEX_EVERY);
        let m_per_mm = f64::from(scale_denom) / 1000.0;
        let labels = contour_labels(&contours, 40.0 * m_per_mm, 12.0 * m_per_mm);
        TerrainTile {
            grid,
            hillshade,
            interval_m,
            contours,
            labels,
            source,
        }
    }

    /// Approximate heap bytes held (the cache's weight).
    pub fn bytes(&self) -> usize {
        self.grid.values.len() * 4
            + self.hillshade.len()
            + self
                .contours
                .iter()
                .map(|c| c.line.len() * 16 + 48)
                .sum::<usize>()
            + self.labels.len() * 40
            + self.source.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_evicts_least_recently_used_within_its_budget() {
        let mut c: LruCache<u32, &str> = LruCache::new(100);
        c.insert(1, "a", 40);
        c.insert(2, "b", 40);
        assert_eq!(c.get(&1), Some(&"a"));
        c.insert(3, "c", 40);
        assert_eq!(c.get(&2), None, "2 was least recently used");
        assert_eq!(c.get(&1), Some(&"a"));
        assert_eq!(c.used_bytes(), 80);
        c.insert(4, "huge", 500);
        assert_eq!((c.len(), c.get(&4)), (1, Some(&"huge")));
        c.insert(4, "small", 10);
        assert_eq!(c.used_bytes(), 10);
    }

    #[test]
    fn a_tile_has_shade_contours_and_labels() {
        let n = 200;
        let mut values = Vec::new();
        for r in 0..n {
            for c in 0..n {
                values.push((r as f32 * 3.0 + c as f32 * 2.0).sin() * 50.0 + r as f32 * 5.0);
            }
        }
        let grid = Grid {
            north_lat: 45.0,
            west_lon: 6.0,
            step_lat_deg: 1.0 / 1200.0,
            step_lon_deg: 1.0 / 1200.0,
            width: n,
            height: n,
            values,
        };
        let t = TerrainTile::compute(
            grid,
            "test".into(),
            100_000,
            false,
            &HillshadeParams::default(),
        );
        assert_eq!(t.hillshade.len(), n * n);
        assert_eq!(t.interval_m, 50.0);
        assert!(t.contours.iter().any(|c| c.index));
        assert!(t.bytes() > n * n * 5);
        let key = TerrainKey::new(&t.grid.bbox(), 100_000, false);
        let mut cache = LruCache::new(64 << 20);
        let bytes = t.bytes();
        cache.insert(key, t, bytes);
        assert!(
            cache
                .get(&TerrainKey::new(&cache_bbox(), 100_000, false))
                .is_some()
        );
    }

    fn cache_bbox() -> BBox {
        BBox {
            min_lon: 6.0,
            max_lon: 6.0 + 199.0 / 1200.0,
            max_lat: 45.0,
            min_lat: 45.0 - 199.0 / 1200.0,
        }
    }
}
