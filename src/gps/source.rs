//! The position-source abstraction: each source runs on its own thread and sends
//! [`GpsEvent`]s over a std mpsc channel; the [`SourceHandle`] owns the thread and stops it
//! when stopped or dropped. Also parses the CLI's `--source` spec.
//!
//! Not for decoding (see `nmea`, `gpsd`) and not for what is done with fixes (the CLI, the
//! app, the recorder).

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::fix::Fix;
use super::nmea::NmeaStats;

/// How often blocking sources wake up to check whether they were asked to stop.
pub const STOP_POLL: Duration = Duration::from_millis(100);

/// Something a source reports.
#[derive(Debug, Clone, PartialEq)]
pub enum GpsEvent {
    /// A position fix.
    Fix(Fix),
    /// A change of connection state.
    Status(SourceStatus),
}

/// Connection state changes and errors, with human-readable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceStatus {
    /// The device or server is open (text says which).
    Connected(String),
    /// It went away; the source keeps trying to reconnect.
    Disconnected(String),
    /// Something failed (opening, reading); the source retries unless it says otherwise.
    Error(String),
    /// The source has nothing more to deliver (end of a replayed log); its thread ends.
    Ended,
}

/// A source of fixes. `run` is called once, on the source's own thread, and returns when
/// the source is finished or [`SourceContext::stopped`] says so.
pub trait PositionSource: Send + 'static {
    /// Short description for messages, e.g. `serial /dev/ttyUSB0 @4800`.
    fn describe(&self) -> String;
    /// Reads until stopped or finished, reporting through `ctx`.
    fn run(self: Box<Self>, ctx: SourceContext);
}

/// What a running source uses to report and to learn it must stop.
#[derive(Debug, Clone)]
pub struct SourceContext {
    tx: Sender<GpsEvent>,
    stop: Arc<AtomicBool>,
    stats: Arc<Mutex<NmeaStats>>,
}

impl SourceContext {
    /// A context sending to `tx`, with its own stop flag and stats (for tests and callers
    /// that run a source on a thread of their own).
    pub fn new(tx: Sender<GpsEvent>) -> Self {
        Self {
            tx,
            stop: Arc::default(),
            stats: Arc::default(),
        }
    }

    /// Sends an event; false when nobody listens any more (the source should end).
    pub fn send(&self, ev: GpsEvent) -> bool {
        self.tx.send(ev).is_ok()
    }

    /// True once the handle asked the source to stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps up to `d`, waking early when stopped; returns false when stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let start = Instant::now();
        loop {
            if self.stopped() {
                return false;
            }
            let elapsed = start.elapsed();
            if elapsed >= d {
                return true;
            }
            std::thread::sleep((d - elapsed).min(STOP_POLL));
        }
    }

    /// Publishes the decoder's counters (read by [`SourceHandle::stats`]).
    pub fn set_stats(&self, s: NmeaStats) {
        if let Ok(mut g) = self.stats.lock() {
            *g = s;
        }
    }
}

/// A running source. Dropping it (or [`SourceHandle::stop`]) stops and joins the thread.
#[derive(Debug)]
pub struct SourceHandle {
    rx: Receiver<GpsEvent>,
    stop: Arc<AtomicBool>,
    stats: Arc<Mutex<NmeaStats>>,
    thread: Option<JoinHandle<()>>,
    description: String,
}

impl SourceHandle {
    /// Starts `source` on a new thread.
    pub fn start(source: impl PositionSource) -> std::io::Result<SourceHandle> {
        Self::start_boxed(Box::new(source))
    }

    /// Starts a boxed source on a new thread.
    pub fn start_boxed(source: Box<dyn PositionSource>) -> std::io::Result<SourceHandle> {
        let (tx, rx) = mpsc::channel();
        let ctx = SourceContext::new(tx);
        let (stop, stats) = (ctx.stop.clone(), ctx.stats.clone());
        let description = source.describe();
        let thread = std::thread::Builder::new()
            .name(format!("gps: {description}"))
            .spawn(move || source.run(ctx))?;
        Ok(SourceHandle {
            rx,
            stop,
            stats,
            thread: Some(thread),
            description,
        })
    }

    /// The source's description.
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// The events; `recv` fails once the source thread has ended and all events are read.
    pub fn events(&self) -> &Receiver<GpsEvent> {
        &self.rx
    }

    /// Waits up to `timeout` for the next event.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<GpsEvent, RecvTimeoutError> {
        self.rx.recv_timeout(timeout)
    }

    /// Decoder counters so far (sentences or reports read, fixes, bad lines, ignored).
    pub fn stats(&self) -> NmeaStats {
        self.stats.lock().map(|g| *g).unwrap_or_default()
    }

    /// Asks the source to stop and waits for its thread (at most about [`STOP_POLL`] plus
    /// one connect attempt).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // A panicking source thread has already reported nothing more; nothing to do.
            let _ = t.join();
        }
    }
}

impl Drop for SourceHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Default serial speed: NMEA 0183 standard.
pub const DEFAULT_BAUD: u32 = 4800;
/// Default gpsd host.
pub const DEFAULT_GPSD_HOST: &str = "localhost";
/// Default gpsd port.
pub const DEFAULT_GPSD_PORT: u16 = 2947;

/// Which source to open, as written on the command line:
/// `serial:/dev/ttyUSB0[@4800]`, `gpsd[:HOST:PORT]`, `replay:FILE[@SPEED]`.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    /// A serial NMEA receiver.
    Serial {
        /// Device path.
        path: PathBuf,
        /// Baud rate.
        baud: u32,
    },
    /// A gpsd server.
    Gpsd {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
    },
    /// An NMEA log file.
    Replay {
        /// The log.
        path: PathBuf,
        /// 1 real time, 10 ten times faster, 0 as fast as it can read.
        speed: f64,
    },
}

/// A `--source` value that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad GPS source {spec:?}: {why} (expected serial:DEVICE[@BAUD], gpsd[:HOST:PORT] or replay:FILE[@SPEED])"
)]
pub struct BadSourceSpec {
    /// What was given.
    pub spec: String,
    /// What is wrong.
    pub why: &'static str,
}

impl FromStr for SourceSpec {
    type Err = BadSourceSpec;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why| BadSourceSpec {
            spec: s.to_string(),
            why,
        };
        if let Some(rest) = s.strip_prefix("serial:") {
            let (path, baud) = match rest.rsplit_once('@') {
                Some((p, b)) => (
                    p,
                    b.parse::<u32>().map_err(|_| bad("baud is not a number"))?,
                ),
                None => (rest, DEFAULT_BAUD),
            };
            if path.is_empty() {
                return Err(bad("no device"));
            }
            if baud == 0 {
                return Err(bad("baud must be positive"));
            }
            Ok(SourceSpec::Serial {
                path: PathBuf::from(path),
                baud,
            })
        } else if s == "gpsd" {
            Ok(SourceSpec::Gpsd {
                host: DEFAULT_GPSD_HOST.to_string(),
                port: DEFAULT_GPSD_PORT,
            })
        } else if let Some(rest) = s.strip_prefix("gpsd:") {
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => (
                    h,
                    p.parse::<u16>().map_err(|_| bad("port is not a number"))?,
                ),
                None => (rest, DEFAULT_GPSD_PORT),
            };
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let host = if host.is_empty() {
                DEFAULT_GPSD_HOST
            } else {
                host
            };
            Ok(SourceSpec::Gpsd {
                host: host.to_string(),
                port,
            })
        } else if let Some(rest) = s.strip_prefix("replay:") {
            // `@SPEED` only when what follows the last `@` is a number, so `a@b.log` works.
            let (path, speed) = match rest.rsplit_once('@') {
                Some((p, sp)) if !sp.is_empty() && sp.parse::<f64>().is_ok() => (
                    p,
                    sp.parse::<f64>()
                        .map_err(|_| bad("speed is not a number"))?,
                ),
                _ => (rest, 1.0),
            };
            if path.is_empty() {
                return Err(bad("no file"));
            }
            if !speed.is_finite() || speed < 0.0 {
                return Err(bad("speed must be 0 (as fast as possible) or positive"));
            }
            Ok(SourceSpec::Replay {
                path: PathBuf::from(path),
                speed,
            })
        } else {
            Err(bad("unknown kind"))
        }
    }
}

impl SourceSpec {
    /// The source this spec names (not started yet).
    pub fn source(&self) -> Box<dyn PositionSource> {
        match self {
            SourceSpec::Serial { path, baud } => {
                Box::new(super::serial::SerialSource::new(path.clone(), *baud))
            }
            SourceSpec::Gpsd { host, port } => {
                Box::new(super::gpsd::GpsdSource::new(host.clone(), *port))
            }
            SourceSpec::Replay { path, speed } => {
                Box::new(super::replay::ReplaySource::new(path.clone(), *speed))
            }
        }
    }

    /// Starts the source on its thread.
    pub fn start(&self) -> std::io::Result<SourceHandle> {
        SourceHandle::start_boxed(self.source())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> SourceSpec {
        s.parse().unwrap()
    }

    #[test]
    fn serial_spec_with_and_without_baud() {
        assert_eq!(
            spec("serial:/dev/ttyUSB0"),
            SourceSpec::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 4800
            }
        );
        assert_eq!(
            spec("serial:/dev/ttyACM0@9600"),
            SourceSpec::Serial {
                path: "/dev/ttyACM0".into(),
                baud: 9600
            }
        );
        assert!("serial:/dev/x@fast".parse::<SourceSpec>().is_err());
        assert!("serial:".parse::<SourceSpec>().is_err());
    }

    #[test]
    fn gpsd_spec_defaults() {
        assert_eq!(
            spec("gpsd"),
            SourceSpec::Gpsd {
                host: "localhost".into(),
                port: 2947
            }
        );
        assert_eq!(
            spec("gpsd:10.0.0.2:3000"),
            SourceSpec::Gpsd {
                host: "10.0.0.2".into(),
                port: 3000
            }
        );
        assert_eq!(
            spec("gpsd:[::1]:3000"),
            SourceSpec::Gpsd {
                host: "::1".into(),
                port: 3000
            }
        );
        assert_eq!(
            spec("gpsd:pi"),
            SourceSpec::Gpsd {
                host: "pi".into(),
                port: 2947
            }
        );
    }

    #[test]
    fn replay_spec_speeds() {
        assert_eq!(
            spec("replay:a.log"),
            SourceSpec::Replay {
                path: "a.log".into(),
                speed: 1.0
            }
        );
        assert_eq!(
            spec("replay:a.log@10"),
            SourceSpec::Replay {
                path: "a.log".into(),
                speed: 10.0
            }
        );
        assert_eq!(
            spec("replay:a.log@0"),
            SourceSpec::Replay {
                path: "a.log".into(),
                speed: 0.0
            }
        );
        assert_eq!(
            spec("replay:me@home.log"),
            SourceSpec::Replay {
                path: "me@home.log".into(),
                speed: 1.0
            }
        );
        assert!("replay:a.log@-1".parse::<SourceSpec>().is_err());
        assert!("usb:x".parse::<SourceSpec>().is_err());
    }

    struct Ticker;
    impl PositionSource for Ticker {
        fn describe(&self) -> String {
            "ticker".into()
        }
        fn run(self: Box<Self>, ctx: SourceContext) {
            let fix = Fix::at(crate::core::model::LatLon::new(1.0, 2.0), None);
            while ctx.send(GpsEvent::Fix(fix)) && ctx.sleep(Duration::from_millis(10)) {}
        }
    }

    #[test]
    fn dropping_the_handle_stops_the_thread() {
        let h = SourceHandle::start(Ticker).unwrap();
        assert!(matches!(
            h.recv_timeout(Duration::from_secs(5)),
            Ok(GpsEvent::Fix(_))
        ));
        let t = Instant::now();
        drop(h);
        assert!(t.elapsed() < Duration::from_secs(2));
    }
}
