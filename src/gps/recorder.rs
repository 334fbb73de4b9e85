//! Breadcrumbs: records fixes as a drive, committed at least once a second, so a crash or a
//! power loss loses at most about a second of the drive.
//!
//! A plain struct fed fixes with an injected clock; it owns no thread and no timer. The
//! caller feeds fixes with [`Recorder::push`] and calls [`Recorder::tick`] when idle (at least
//! a few times a second), so points are committed even when fixes stop coming.
//! Not for SQL: it writes through a [`DriveSink`] (the store implements it).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::core::model::{LineId, TrackPoint};
use crate::store::{Store, StoreError};

use super::fix::{Fix, FixMode};

/// Longest time a point waits before it is committed.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Where drives are written. Each `append_drive_points` must be durable when it returns.
pub trait DriveSink {
    /// Creates a drive; returns its id.
    fn begin_drive(&mut self, name: &str, started_ms: i64) -> Result<LineId, StoreError>;
    /// Appends points to a drive, committed.
    fn append_drive_points(&mut self, id: LineId, pts: &[TrackPoint]) -> Result<(), StoreError>;
}

impl DriveSink for Store {
    fn begin_drive(&mut self, name: &str, started_ms: i64) -> Result<LineId, StoreError> {
        Store::begin_drive(self, name, started_ms)
    }
    fn append_drive_points(&mut self, id: LineId, pts: &[TrackPoint]) -> Result<(), StoreError> {
        Store::append_drive_points(self, id, pts)
    }
}

/// Monotonic time for flush decisions and wall-clock time for naming a drive.
pub trait Clock {
    /// Monotonic now.
    fn now(&self) -> Instant;
    /// UTC milliseconds since the Unix epoch.
    fn wall_ms(&self) -> i64;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// Counters of a recording.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecorderStats {
    /// Points committed.
    pub committed: u64,
    /// Commits (transactions).
    pub flushes: u64,
    /// Fixes skipped: no fix, or the same time as the previous point.
    pub skipped: u64,
}

/// Records fixes into one drive.
#[derive(Debug)]
pub struct Recorder<S: DriveSink, C: Clock> {
    sink: S,
    clock: C,
    name: Option<String>,
    drive: Option<LineId>,
    pending: Vec<TrackPoint>,
    last_flush: Option<Instant>,
    last_time_ms: Option<i64>,
    stats: RecorderStats,
}

impl<S: DriveSink, C: Clock> Recorder<S, C> {
    /// A recorder that will create a drive at the first fix, named `name` or, when `None`,
    /// after the first fix's time ([`default_drive_name`]).
    pub fn new(sink: S, clock: C, name: Option<String>) -> Self {
        Recorder {
            sink,
            clock,
            name,
            drive: None,
            pending: Vec::new(),
            last_flush: None,
            last_time_ms: None,
            stats: RecorderStats::default(),
        }
    }

    /// The drive's id, once the first fix created it.
    pub fn drive(&self) -> Option<LineId> {
        self.drive
    }

    /// Counters so far.
    pub fn stats(&self) -> RecorderStats {
        self.stats
    }

    /// Points received but not yet committed.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The sink (to read back what was written).
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Adds a fix; commits when a second has passed since the last commit (the first fix is
    /// committed at once, creating the drive). On error the points stay pending and are
    /// retried on the next push or tick.
    pub fn push(&mut self, fix: &Fix) -> Result<(), StoreError> {
        if fix.fix == FixMode::None || (fix.time_ms.is_some() && fix.time_ms == self.last_time_ms) {
            self.stats.skipped += 1;
        } else {
            self.last_time_ms = fix.time_ms.or(self.last_time_ms);
            self.pending.push(fix.to_track_point());
        }
        self.tick()
    }

    /// Commits pending points if a second has passed since the last commit.
    pub fn tick(&mut self) -> Result<(), StoreError> {
        let due = match self.last_flush {
            None => true,
            Some(t) => self.clock.now().duration_since(t) >= FLUSH_EVERY,
        };
        if due { self.flush() } else { Ok(()) }
    }

    /// Commits pending points now (also at the end of a recording).
    pub fn flush(&mut self) -> Result<(), StoreError> {
        let Some(first) = self.pending.first() else {
            return Ok(());
        };
        let id = match self.drive {
            Some(id) => id,
            None => {
                let started_ms = first.time_ms.unwrap_or_else(|| self.clock.wall_ms());
                let name = self
                    .name
                    .clone()
                    .unwrap_or_else(|| default_drive_name(started_ms));
                let id = self.sink.begin_drive(&name, started_ms)?;
                self.drive = Some(id);
                id
            }
        };
        self.sink.append_drive_points(id, &self.pending)?;
        self.stats.committed += self.pending.len() as u64;
        self.stats.flushes += 1;
        self.pending.clear();
        self.last_flush = Some(self.clock.now());
        Ok(())
    }
}

/// A default drive name from a UTC time: `Drive 2015-10-10 09:12`.
pub fn default_drive_name(time_ms: i64) -> String {
    match super::fix::rfc3339_from_ms(time_ms) {
        Some(s) => format!(
            "Drive {} {}",
            s.get(..10).unwrap_or(""),
            s.get(11..16).unwrap_or("")
        ),
        None => "Drive".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;
    use crate::core::model::LatLon;

    #[derive(Clone)]
    struct FakeClock {
        base: Instant,
        offset: Rc<Cell<Duration>>,
    }
    impl FakeClock {
        fn new() -> Self {
            FakeClock {
                base: Instant::now(),
                offset: Rc::default(),
            }
        }
        fn advance(&self, ms: u64) {
            self.offset
                .set(self.offset.get() + Duration::from_millis(ms));
        }
    }
    impl Clock for FakeClock {
        fn now(&self) -> Instant {
            self.base + self.offset.get()
        }
        fn wall_ms(&self) -> i64 {
            1_000_000
        }
    }

    /// Records what was committed, in commit order.
    #[derive(Default)]
    struct MemSink {
        drives: Vec<(String, i64)>,
        commits: Vec<Vec<TrackPoint>>,
        fail: bool,
    }
    impl DriveSink for MemSink {
        fn begin_drive(&mut self, name: &str, started_ms: i64) -> Result<LineId, StoreError> {
            self.drives.push((name.to_string(), started_ms));
            Ok(self.drives.len() as LineId)
        }
        fn append_drive_points(
            &mut self,
            _id: LineId,
            pts: &[TrackPoint],
        ) -> Result<(), StoreError> {
            if self.fail {
                return Err(StoreError::Busy);
            }
            self.commits.push(pts.to_vec());
            Ok(())
        }
    }

    fn fix(t_s: i64) -> Fix {
        Fix::at(
            LatLon::new(48.0 + t_s as f64 * 1e-4, 8.0),
            Some(1_444_468_352_000 + t_s * 1000),
        )
    }

    fn commit_sizes(r: &Recorder<MemSink, FakeClock>) -> Vec<usize> {
        r.sink().commits.iter().map(Vec::len).collect()
    }

    #[test]
    fn first_fix_creates_and_commits_the_drive() {
        let clock = FakeClock::new();
        let mut r = Recorder::new(MemSink::default(), clock, Some("test".into()));
        r.push(&fix(0)).unwrap();
        assert_eq!(
            r.sink().drives,
            vec![("test".to_string(), 1_444_468_352_000)]
        );
        assert_eq!(commit_sizes(&r), vec![1]);
    }

    #[test]
    fn commits_once_a_second_at_10_hz() {
        let clock = FakeClock::new();
        let mut r = Recorder::new(MemSink::default(), clock.clone(), Some("test".into()));
        for i in 0..=30 {
            r.push(&fix(i)).unwrap();
            clock.advance(100);
        }
        // 1 at start, then every 10 fixes.
        assert_eq!(commit_sizes(&r), vec![1, 10, 10, 10]);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn tick_commits_when_fixes_stop() {
        let clock = FakeClock::new();
        let mut r = Recorder::new(MemSink::default(), clock.clone(), Some("test".into()));
        r.push(&fix(0)).unwrap();
        clock.advance(300);
        r.push(&fix(1)).unwrap();
        clock.advance(600);
        r.tick().unwrap();
        assert_eq!(r.pending(), 1, "not yet a second");
        clock.advance(100);
        r.tick().unwrap();
        assert_eq!(r.pending(), 0);
        assert_eq!(commit_sizes(&r), vec![1, 1]);
    }

    #[test]
    fn no_point_waits_longer_than_a_second_plus_a_tick() {
        let clock = FakeClock::new();
        let mut r = Recorder::new(MemSink::default(), clock.clone(), Some("test".into()));
        let mut oldest_wait_ms = 0;
        let mut waiting_since: Option<u64> = None;
        for step in 0..1000u64 {
            // A fix every 700 ms, ticks every 100 ms.
            if step % 7 == 0 {
                r.push(&fix(step as i64)).unwrap();
                waiting_since.get_or_insert(step * 100);
            } else {
                r.tick().unwrap();
            }
            if r.pending() == 0 {
                waiting_since = None;
            } else if let Some(s) = waiting_since {
                oldest_wait_ms = oldest_wait_ms.max(step * 100 - s);
            }
            clock.advance(100);
        }
        assert!(oldest_wait_ms < 1000, "{oldest_wait_ms}");
    }

    #[test]
    fn duplicate_times_and_no_fix_are_skipped() {
        let clock = FakeClock::new();
        let mut r = Recorder::new(MemSink::default(), clock, Some("test".into()));
        r.push(&fix(0)).unwrap();
        r.push(&fix(0)).unwrap();
        let mut none = fix(1);
        none.fix = FixMode::None;
        r.push(&none).unwrap();
        assert_eq!(r.stats().skipped, 2);
    }

    #[test]
    fn failed_commit_keeps_points_for_the_retry() {
        let clock = FakeClock::new();
        let mut r = Recorder::new(MemSink::default(), clock.clone(), Some("test".into()));
        r.push(&fix(0)).unwrap();
        r.sink.fail = true;
        clock.advance(1000);
        assert!(r.push(&fix(1)).is_err());
        assert_eq!(r.pending(), 1);
        r.sink.fail = false;
        r.push(&fix(2)).unwrap();
        assert_eq!(commit_sizes(&r), vec![1, 2]);
    }

    #[test]
    fn drive_without_fix_times_starts_at_the_wall_clock() {
        let mut r = Recorder::new(MemSink::default(), FakeClock::new(), None);
        r.push(&Fix::at(LatLon::new(1.0, 2.0), None)).unwrap();
        assert_eq!(
            r.sink().drives[0],
            ("Drive 1970-01-01 00:16".to_string(), 1_000_000)
        );
    }

    #[test]
    fn records_into_a_real_store() {
        let store = Store::open_in_memory().unwrap();
        let clock = FakeClock::new();
        let mut r = Recorder::new(store, clock.clone(), Some("Morning drive".into()));
        for i in 0..25 {
            r.push(&fix(i)).unwrap();
            clock.advance(400);
        }
        r.flush().unwrap();
        let id = r.drive().unwrap();
        let line = r.sink().line(id).unwrap();
        assert_eq!(line.points().count(), 25);
        let drives = r.sink().drives().unwrap();
        assert_eq!(drives.len(), 1);
        assert_eq!(drives[0].name.as_deref(), Some("Morning drive"));
    }

    #[test]
    fn default_name_has_date_and_minute() {
        assert_eq!(
            default_drive_name(1_444_468_352_000),
            "Drive 2015-10-10 09:12"
        );
    }
}
