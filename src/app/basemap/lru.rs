//! A least-recently-used map bounded by a byte budget, for decoded basemap tiles.
//!
//! Entries used since a given moment (the frame being drawn) are never evicted, so a view
//! needing more than the budget grows the cache for a while instead of loading its own tiles
//! over and over.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// The map. `get` marks an entry as used; `trim` evicts the least recently used.
#[derive(Debug)]
pub(crate) struct Lru<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// Use stamp → key, oldest first.
    order: BTreeMap<u64, K>,
    clock: u64,
    bytes: usize,
    budget: usize,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    bytes: usize,
    stamp: u64,
}

impl<K: Copy + Eq + Hash, V> Lru<K, V> {
    /// An empty map holding about `budget` bytes.
    pub(crate) fn new(budget: usize) -> Self {
        Lru {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            clock: 0,
            bytes: 0,
            budget,
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The stamp the next use gets: entries used from now on have stamps at least this.
    pub(crate) fn now(&self) -> u64 {
        self.clock + 1
    }

    /// The value for `key`, marked as just used.
    pub(crate) fn get(&mut self, key: &K) -> Option<&V> {
        let stamp = self.tick();
        let e = self.entries.get_mut(key)?;
        self.order.remove(&e.stamp);
        e.stamp = stamp;
        self.order.insert(stamp, *key);
        Some(&e.value)
    }

    /// True when `key` is held (does not count as a use).
    #[cfg(test)]
    pub(crate) fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Adds or replaces `key`, `bytes` big, as just used. Call [`Lru::trim`] afterwards.
    pub(crate) fn insert(&mut self, key: K, value: V, bytes: usize) {
        let stamp = self.tick();
        if let Some(old) = self.entries.insert(
            key,
            Entry {
                value,
                bytes,
                stamp,
            },
        ) {
            self.order.remove(&old.stamp);
            self.bytes -= old.bytes;
        }
        self.order.insert(stamp, key);
        self.bytes += bytes;
    }

    /// Evicts least recently used entries until within budget, keeping those used at or
    /// after stamp `keep_since`; returns how many went.
    pub(crate) fn trim(&mut self, keep_since: u64) -> usize {
        let mut gone = 0;
        while self.bytes > self.budget {
            let Some((&stamp, &key)) = self.order.first_key_value() else {
                break;
            };
            if stamp >= keep_since {
                break;
            }
            self.order.remove(&stamp);
            if let Some(e) = self.entries.remove(&key) {
                self.bytes -= e.bytes;
                gone += 1;
            }
        }
        gone
    }

    /// Entries held.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_go_first() {
        let mut c = Lru::new(30);
        c.insert(1, "a", 10);
        c.insert(2, "b", 10);
        c.insert(3, "c", 10);
        assert_eq!(c.get(&1), Some(&"a"));
        c.insert(4, "d", 10);
        assert_eq!(c.trim(c.now()), 1);
        assert!(!c.contains(&2), "2 was the least recently used");
        assert!(c.contains(&1) && c.contains(&3) && c.contains(&4));
        assert_eq!((c.len(), c.bytes()), (3, 30));
    }

    #[test]
    fn entries_in_use_are_kept_over_budget() {
        let mut c = Lru::new(15);
        c.insert(1, (), 10);
        let frame = c.now();
        c.get(&1);
        c.insert(2, (), 10);
        assert_eq!(c.trim(frame), 0, "both were used this frame");
        assert_eq!(c.bytes(), 20);
        let next = c.now();
        c.get(&2);
        assert_eq!(c.trim(next), 1);
        assert!(c.contains(&2) && !c.contains(&1));
    }

    #[test]
    fn replacing_an_entry_counts_its_bytes_once() {
        let mut c = Lru::new(100);
        c.insert(7, 1, 40);
        c.insert(7, 2, 30);
        assert_eq!((c.len(), c.bytes()), (1, 30));
        assert_eq!(c.get(&7), Some(&2));
        assert_eq!(c.get(&8), None);
    }
}
