//! Replays an NMEA log file as a position source: at real time, N× faster, or as fast as it
//! can read. The pace comes from the sentence times. `#` comment lines are skipped.
//!
//! Not a parser (see `nmea`); only pacing and file reading live here.

use std::fs::File;
use std::io::Read as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::nmea::{FixAssembler, Line, LineSplitter, TodMs, parse_line};
use super::source::{GpsEvent, PositionSource, SourceContext, SourceStatus};

/// A gap between sentence times longer than this is a cut in the log (sections trimmed or
/// concatenated), not a wait: it is replayed as [`CUT_REPLAY`].
pub const MAX_GAP: Duration = Duration::from_secs(10);
/// How long a cut in the log takes at speed 1.
pub const CUT_REPLAY: Duration = Duration::from_secs(1);

/// Slowest replay: a thousand times slower than real time.
pub const MIN_SPEED: f64 = 0.001;

const DAY_MS: i64 = 86_400_000;

/// Turns sentence times into wall-clock deadlines.
///
/// Time going backwards (concatenated captures) and cuts longer than [`MAX_GAP`] never wait
/// long; a wrap past midnight counts as the small step it is. Deadlines are measured from the
/// start, so sleeping does not accumulate drift.
#[derive(Debug, Clone)]
pub struct Pacer {
    speed: f64,
    last_tod: Option<TodMs>,
    log_elapsed: Duration,
}

impl Pacer {
    /// `speed` 1 = real time, 10 = ten times faster, 0 = no waiting.
    pub fn new(speed: f64) -> Self {
        Pacer {
            speed,
            last_tod: None,
            log_elapsed: Duration::ZERO,
        }
    }

    /// Records a sentence time; returns how far after the start (in wall-clock time) it is
    /// due, or `None` when there is no waiting at all (speed 0).
    pub fn due(&mut self, tod_ms: TodMs) -> Option<Duration> {
        let step_ms = match self.last_tod {
            None => 0,
            Some(last) => {
                let mut d = i64::from(tod_ms) - i64::from(last);
                if d < -DAY_MS / 2 {
                    d += DAY_MS;
                }
                d.max(0)
            }
        };
        self.last_tod = Some(tod_ms);
        let step = Duration::from_millis(u64::try_from(step_ms).unwrap_or(0));
        self.log_elapsed += if step > MAX_GAP { CUT_REPLAY } else { step };
        if self.speed > 0.0 {
            Some(
                Duration::try_from_secs_f64(self.log_elapsed.as_secs_f64() / self.speed)
                    .unwrap_or(Duration::MAX),
            )
        } else {
            None
        }
    }
}

/// Replays one NMEA log file, then reports [`SourceStatus::Ended`].
#[derive(Debug, Clone)]
pub struct ReplaySource {
    path: PathBuf,
    speed: f64,
}

impl ReplaySource {
    /// Replays `path` at `speed` (1 real time, 10 ten times faster, 0 as fast as possible).
    pub fn new(path: PathBuf, speed: f64) -> Self {
        ReplaySource { path, speed }
    }
}

impl PositionSource for ReplaySource {
    fn describe(&self) -> String {
        format!("replay {} @{}", self.path.display(), self.speed)
    }

    fn run(self: Box<Self>, ctx: SourceContext) {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) => {
                ctx.send(GpsEvent::Status(SourceStatus::Error(format!(
                    "cannot open {}: {e}",
                    self.path.display()
                ))));
                ctx.send(GpsEvent::Status(SourceStatus::Ended));
                return;
            }
        };
        ctx.send(GpsEvent::Status(SourceStatus::Connected(self.describe())));
        let mut player = Player {
            ctx: &ctx,
            asm: FixAssembler::new(),
            pacer: Pacer::new(self.speed),
            start: Instant::now(),
            alive: true,
        };
        let mut split = LineSplitter::new();
        let mut buf = vec![0u8; 64 * 1024];
        while player.alive {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => split.push(buf.get(..n).unwrap_or_default(), |l| player.line(l)),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    ctx.send(GpsEvent::Status(SourceStatus::Error(format!(
                        "reading {}: {e}",
                        self.path.display()
                    ))));
                    break;
                }
            }
        }
        split.finish(|l| player.line(l));
        if player.alive
            && let Some(fix) = player.asm.finish()
        {
            ctx.send(GpsEvent::Fix(fix));
        }
        ctx.set_stats(player.asm.stats());
        ctx.send(GpsEvent::Status(SourceStatus::Ended));
    }
}

struct Player<'a> {
    ctx: &'a SourceContext,
    asm: FixAssembler,
    pacer: Pacer,
    start: Instant,
    alive: bool,
}

impl Player<'_> {
    fn line(&mut self, raw: &[u8]) {
        if !self.alive || raw.first() == Some(&b'#') {
            return;
        }
        let parsed = parse_line(raw);
        if let Line::Sentence(s) = &parsed
            && let Some(Some(tod)) = s.time_field()
            && let Some(due) = self.pacer.due(tod)
        {
            let now = self.start.elapsed();
            if due > now && !self.ctx.sleep(due - now) {
                self.alive = false;
                return;
            }
        }
        if self.ctx.stopped() {
            self.alive = false;
            return;
        }
        let fix = self.asm.push_parsed(parsed);
        self.ctx.set_stats(self.asm.stats());
        if let Some(fix) = fix
            && !self.ctx.send(GpsEvent::Fix(fix))
        {
            self.alive = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Option<Duration>) -> u128 {
        d.unwrap().as_millis()
    }

    #[test]
    fn real_time_waits_the_sentence_gaps() {
        let mut p = Pacer::new(1.0);
        assert_eq!(ms(p.due(1000)), 0);
        assert_eq!(ms(p.due(1500)), 500);
        assert_eq!(ms(p.due(3500)), 2500);
    }

    #[test]
    fn ten_times_faster_divides_waits() {
        let mut p = Pacer::new(10.0);
        p.due(0);
        assert_eq!(ms(p.due(5000)), 500);
    }

    #[test]
    fn silly_speeds_do_not_panic() {
        for speed in [f64::NAN, -1.0, f64::INFINITY, 1e-300] {
            let mut p = Pacer::new(speed);
            p.due(0);
            let _ = p.due(5000);
        }
        assert_eq!(ms(Pacer::new(1e-300).due(0)), 0);
    }

    #[test]
    fn as_fast_as_possible_never_waits() {
        let mut p = Pacer::new(0.0);
        assert_eq!(p.due(0), None);
        assert_eq!(p.due(5000), None);
    }

    #[test]
    fn time_going_backwards_does_not_wait() {
        let mut p = Pacer::new(1.0);
        p.due(55_505_000);
        assert_eq!(
            ms(p.due(52_386_000)),
            0,
            "15:25 back to 14:33 is a new section"
        );
        assert_eq!(ms(p.due(52_387_000)), 1000);
    }

    #[test]
    fn long_cuts_are_shortened_and_midnight_wraps() {
        let mut p = Pacer::new(1.0);
        p.due(33_153_000);
        assert_eq!(ms(p.due(33_303_000)), 1000, "a 150 s cut replays in 1 s");
        let mut p = Pacer::new(1.0);
        p.due(86_399_000);
        assert_eq!(ms(p.due(0)), 1000, "23:59:59 → 00:00:00 is one second");
    }
}
