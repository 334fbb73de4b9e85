//! gpsd over TCP (JSON protocol) as a position source, and the decoder for its reports.
//!
//! Sends `?WATCH={"enable":true,"json":true}`, reads TPV (time, position, altitude, speed,
//! track, mode) and SKY (HDOP, satellites used) reports, and reconnects with backoff when the
//! connection fails. Not for NMEA (gpsd decodes that itself).

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::time::{Duration, Instant};

use crate::core::model::LatLon;

use super::fix::{Fix, FixMode, ms_from_rfc3339};
use super::nmea::NmeaStats;
use super::source::{GpsEvent, PositionSource, STOP_POLL, SourceContext, SourceStatus};

/// What a client sends to get JSON reports.
pub const WATCH: &str = "?WATCH={\"enable\":true,\"json\":true}\n";
/// First reconnect delay; doubled after each failure up to [`MAX_BACKOFF`].
pub const MIN_BACKOFF: Duration = Duration::from_millis(250);
/// Longest reconnect delay.
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// gpsd may send several TPVs for one epoch (one per sentence it decoded); the last is the
/// most complete. A TPV is emitted when one with another time arrives, or after this quiet.
pub const EPOCH_QUIET: Duration = Duration::from_millis(250);
/// Longest JSON line kept (SKY reports with many satellites run to a few KB).
pub const MAX_REPORT_LEN: usize = 64 * 1024;

/// Turns gpsd JSON report lines into fixes, one per epoch.
#[derive(Debug, Default)]
pub struct GpsdDecoder {
    stats: NmeaStats,
    hdop: Option<f64>,
    sats: Option<u32>,
    pending: Option<(Option<i64>, Fix, Instant)>,
}

impl GpsdDecoder {
    /// A fresh decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters: `sentences` counts JSON reports, `bad_lines` unreadable lines, `ignored`
    /// reports of other classes (VERSION, DEVICES, WATCH, ...).
    pub fn stats(&self) -> NmeaStats {
        self.stats
    }

    /// Reads one report line at `now`; returns the previous epoch's fix when this one starts
    /// a new epoch.
    pub fn push_line(&mut self, line: &[u8], now: Instant) -> Option<Fix> {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
            if !line.iter().all(u8::is_ascii_whitespace) {
                self.stats.bad_lines += 1;
            }
            return None;
        };
        self.stats.sentences += 1;
        match v.get("class").and_then(|c| c.as_str()) {
            Some("TPV") => self.tpv(&v, now),
            Some("SKY") => {
                self.sky(&v);
                None
            }
            _ => {
                self.stats.ignored += 1;
                None
            }
        }
    }

    /// The pending fix once the epoch has been quiet for [`EPOCH_QUIET`] (or `force`).
    pub fn flush(&mut self, now: Instant, force: bool) -> Option<Fix> {
        let (_, _, at) = self.pending.as_ref()?;
        if force || now.duration_since(*at) >= EPOCH_QUIET {
            let (_, fix, _) = self.pending.take()?;
            self.stats.fixes += 1;
            return Some(fix);
        }
        None
    }

    fn sky(&mut self, v: &serde_json::Value) {
        if let Some(h) = v.get("hdop").and_then(|x| x.as_f64()) {
            self.hdop = Some(h);
        }
        let used = v.get("uSat").and_then(|x| x.as_u64()).or_else(|| {
            let sats = v.get("satellites")?.as_array()?;
            Some(
                sats.iter()
                    .filter(|s| s.get("used").and_then(|u| u.as_bool()) == Some(true))
                    .count() as u64,
            )
        });
        if let Some(n) = used.and_then(|n| u32::try_from(n).ok()) {
            self.sats = Some(n);
        }
    }

    fn tpv(&mut self, v: &serde_json::Value, now: Instant) -> Option<Fix> {
        let f = |k: &str| v.get(k).and_then(|x| x.as_f64()).filter(|x| x.is_finite());
        let mode = match v.get("mode").and_then(|m| m.as_u64()) {
            Some(2) => FixMode::TwoD,
            Some(3) => FixMode::ThreeD,
            _ => return None,
        };
        let pos = LatLon::new(f("lat")?, f("lon")?);
        if !pos.is_valid() {
            self.stats.bad_lines += 1;
            return None;
        }
        let time_ms = v
            .get("time")
            .and_then(|t| t.as_str())
            .and_then(ms_from_rfc3339);
        let geoid_sep_m = f("geoidSep");
        // altMSL is what GPX means by ele; older gpsd sends only `alt` (MSL); from altHAE
        // subtract the geoid separation.
        let ele_m = f("altMSL")
            .or_else(|| f("alt"))
            .or_else(|| Some(f("altHAE")? - geoid_sep_m?));
        let fix = Fix {
            time_ms,
            pos,
            ele_m,
            geoid_sep_m,
            speed_mps: f("speed"),
            course_deg: f("track"),
            fix: mode,
            quality: None,
            hdop: f("hdop").or(self.hdop),
            sats: self.sats,
        };
        let out = match &self.pending {
            Some((t, _, _)) if *t != time_ms => self.flush(now, true),
            _ => None,
        };
        self.pending = Some((time_ms, fix, now));
        out
    }
}

/// Connects to gpsd and reads fixes; reconnects with backoff.
#[derive(Debug, Clone)]
pub struct GpsdSource {
    host: String,
    port: u16,
}

impl GpsdSource {
    /// gpsd at `host:port`.
    pub fn new(host: String, port: u16) -> Self {
        GpsdSource { host, port }
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let mut last = std::io::Error::new(ErrorKind::NotFound, "no address");
        for addr in (self.host.as_str(), self.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// One connection: watch, read until error or stop. Returns why it ended, or `None`
    /// when stopped or nobody listens.
    fn session(&self, ctx: &SourceContext, dec: &mut GpsdDecoder) -> Option<String> {
        let mut stream = match self.connect() {
            Ok(s) => s,
            Err(e) => {
                return Some(format!(
                    "cannot connect to gpsd at {}:{}: {e}",
                    self.host, self.port
                ));
            }
        };
        if let Err(e) = stream
            .set_read_timeout(Some(STOP_POLL))
            .and_then(|()| stream.write_all(WATCH.as_bytes()))
        {
            return Some(format!("gpsd at {}:{}: {e}", self.host, self.port));
        }
        if !ctx.send(GpsEvent::Status(SourceStatus::Connected(self.describe()))) {
            return None;
        }
        let mut line: Vec<u8> = Vec::new();
        let mut overlong = false;
        let mut buf = [0u8; 4096];
        loop {
            if ctx.stopped() {
                return None;
            }
            let mut fixes = Vec::new();
            match stream.read(&mut buf) {
                Ok(0) => return Some("gpsd closed the connection".to_string()),
                Ok(n) => {
                    let now = Instant::now();
                    for &b in buf.get(..n).unwrap_or_default() {
                        if b == b'\n' {
                            if overlong {
                                dec.stats.bad_lines += 1;
                            } else {
                                fixes.extend(dec.push_line(&line, now));
                            }
                            line.clear();
                            overlong = false;
                        } else if line.len() < MAX_REPORT_LEN {
                            line.push(b);
                        } else {
                            overlong = true;
                        }
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Some(format!("gpsd connection failed: {e}")),
            }
            fixes.extend(dec.flush(Instant::now(), false));
            ctx.set_stats(dec.stats());
            for f in fixes {
                if !ctx.send(GpsEvent::Fix(f)) {
                    return None;
                }
            }
        }
    }
}

impl PositionSource for GpsdSource {
    fn describe(&self) -> String {
        format!("gpsd {}:{}", self.host, self.port)
    }

    fn run(self: Box<Self>, ctx: SourceContext) {
        let mut dec = GpsdDecoder::new();
        let mut backoff = MIN_BACKOFF;
        while !ctx.stopped() {
            let started = Instant::now();
            let Some(why) = self.session(&ctx, &mut dec) else {
                return;
            };
            if let Some(f) = dec.flush(Instant::now(), true) {
                ctx.send(GpsEvent::Fix(f));
            }
            // A connection that lasted a while resets the backoff.
            if started.elapsed() > MAX_BACKOFF {
                backoff = MIN_BACKOFF;
            }
            if !ctx.send(GpsEvent::Status(SourceStatus::Disconnected(why))) || !ctx.sleep(backoff) {
                return;
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(lines: &[&str]) -> Vec<Fix> {
        let mut d = GpsdDecoder::new();
        let now = Instant::now();
        let mut out: Vec<Fix> = lines
            .iter()
            .filter_map(|l| d.push_line(l.as_bytes(), now))
            .collect();
        out.extend(d.flush(now, true));
        out
    }

    #[test]
    fn tpv_becomes_a_fix_with_sky_hdop_and_sats() {
        let fixes = decode(&[
            r#"{"class":"VERSION","release":"3.22"}"#,
            r#"{"class":"SKY","hdop":0.7,"uSat":16}"#,
            r#"{"class":"TPV","mode":3,"time":"2015-10-10T09:15:03.000Z","lat":48.217515,"lon":8.414498333,"altHAE":813.6,"altMSL":766.2,"track":175.87,"speed":3.375,"geoidSep":47.4}"#,
        ]);
        assert_eq!(fixes.len(), 1);
        let f = fixes[0];
        assert_eq!(f.fix, FixMode::ThreeD);
        assert_eq!(f.time_ms, ms_from_rfc3339("2015-10-10T09:15:03Z"));
        assert_eq!(f.ele_m, Some(766.2));
        assert_eq!((f.hdop, f.sats), (Some(0.7), Some(16)));
        assert_eq!((f.speed_mps, f.course_deg), (Some(3.375), Some(175.87)));
    }

    #[test]
    fn several_tpvs_of_one_epoch_give_one_fix_the_last() {
        let fixes = decode(&[
            r#"{"class":"TPV","mode":2,"time":"2015-10-10T09:12:32.000Z","lat":48.2,"lon":8.4}"#,
            r#"{"class":"TPV","mode":3,"time":"2015-10-10T09:12:32.000Z","lat":48.2,"lon":8.4,"altHAE":813.2,"geoidSep":47.4}"#,
            r#"{"class":"TPV","mode":3,"time":"2015-10-10T09:12:33.000Z","lat":48.2,"lon":8.4,"alt":765.8}"#,
        ]);
        assert_eq!(fixes.len(), 2);
        assert_eq!(fixes[0].fix, FixMode::ThreeD);
        assert!(
            (fixes[0].ele_m.unwrap() - 765.8).abs() < 1e-9,
            "altHAE - geoidSep"
        );
        assert_eq!(fixes[1].ele_m, Some(765.8), "legacy alt is MSL");
    }

    #[test]
    fn no_fix_and_garbage_give_nothing() {
        let mut d = GpsdDecoder::new();
        let now = Instant::now();
        assert_eq!(d.push_line(br#"{"class":"TPV","mode":1}"#, now), None);
        assert_eq!(d.push_line(b"{not json", now), None);
        assert_eq!(
            d.push_line(br#"{"class":"TPV","mode":3,"lat":95.0,"lon":1.0}"#, now),
            None
        );
        assert_eq!(d.flush(now, true), None);
        assert_eq!(d.stats().bad_lines, 2);
    }

    #[test]
    fn pending_fix_is_released_after_a_quiet_spell() {
        let mut d = GpsdDecoder::new();
        let t0 = Instant::now();
        let line =
            br#"{"class":"TPV","mode":2,"time":"2015-10-10T09:12:32.000Z","lat":48.2,"lon":8.4}"#;
        assert_eq!(d.push_line(line, t0), None);
        assert_eq!(d.flush(t0 + Duration::from_millis(100), false), None);
        assert!(d.flush(t0 + EPOCH_QUIET, false).is_some());
    }
}
