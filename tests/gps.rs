//! Live GPS: NMEA decoding checked against gpsd's own output for real logs, the replay,
//! serial (pseudo-terminal) and gpsd (real daemon) sources, and crash-safe breadcrumbs.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serialport::SerialPort as _;

use trailatlas::gps::fix::{MPS_PER_KNOT, ms_from_rfc3339};
use trailatlas::gps::gpsd::GpsdSource;
use trailatlas::gps::nmea::{NmeaStats, decode_all};
use trailatlas::gps::replay::ReplaySource;
use trailatlas::gps::serial::SerialSource;
use trailatlas::gps::{Fix, FixMode, GpsEvent, SourceHandle, SourceStatus};

use crate::support;

// ---------------------------------------------------------------------------------------
// Helpers

fn nmea_log(name: &str) -> Option<PathBuf> {
    Some(support::real_fixtures()?.join("nmea").join(name))
}

/// Wraps a sentence body (between `$` and `*`) with its checksum and CR LF.
fn sentence(body: &str) -> String {
    let sum = body.bytes().fold(0u8, |c, b| c ^ b);
    format!("${body}*{sum:02X}\r\n")
}

/// `ddmm.mmmm` from degrees.
fn ddmm(deg: f64) -> String {
    let d = deg.abs().trunc();
    format!("{:02}{:07.4}", d as u32, (deg.abs() - d) * 60.0)
}

/// One epoch (RMC + GGA + GSA + GSV) at `t_s` seconds after 2024-06-01 10:00:00 UTC, moving east
/// along 46°N from 7°E at 0.0001° per second. Returns the sentences and the fix's
/// (time_ms, lat, lon).
fn synthetic_epoch(t_s: u32) -> (String, (i64, f64, f64)) {
    let (lat, lon) = (46.0, 7.0 + f64::from(t_s) * 1e-4);
    let tod_s = 10 * 3600 + t_s;
    let hms = format!(
        "{:02}{:02}{:02}.00",
        tod_s / 3600 % 24,
        tod_s / 60 % 60,
        tod_s % 60
    );
    let day = 1 + tod_s / 86_400;
    let date = format!("{day:02}0624");
    let (la, lo) = (ddmm(lat), format!("0{}", ddmm(lon)));
    let text = [
        sentence(&format!("GPRMC,{hms},A,{la},N,{lo},E,15.0,90.0,{date},,,A")),
        sentence(&format!(
            "GPGGA,{hms},{la},N,{lo},E,1,09,0.9,500.0,M,48.0,M,,"
        )),
        sentence("GPGSA,A,3,01,02,03,04,05,06,07,08,09,,,,1.6,0.9,1.3"),
        // gpsd sends SKY (HDOP, satellites used) only after satellites in view.
        sentence("GPGSV,1,1,02,01,40,083,46,02,17,308,41"),
    ]
    .concat();
    let time_ms = 1_717_236_000_000 + i64::from(t_s) * 1000;
    // What the receiver sends is rounded to 4 decimals of minutes.
    let lat_q = (lat * 60.0 * 1e4).round() / 60.0 / 1e4;
    let lon_q = (lon * 60.0 * 1e4).round() / 60.0 / 1e4;
    (text, (time_ms, lat_q, lon_q))
}

/// Waits for the next fix, passing over status events; `None` on timeout.
fn next_fix(h: &SourceHandle, timeout: Duration) -> Option<Fix> {
    let until = Instant::now() + timeout;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match h.recv_timeout(left) {
            Ok(GpsEvent::Fix(f)) => return Some(f),
            Ok(GpsEvent::Status(_)) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Waits for a status event matching `want`, passing over fixes.
fn wait_status(h: &SourceHandle, timeout: Duration, want: impl Fn(&SourceStatus) -> bool) -> bool {
    let until = Instant::now() + timeout;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match h.recv_timeout(left) {
            Ok(GpsEvent::Status(s)) if want(&s) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---------------------------------------------------------------------------------------
// Real logs against gpsd's expected output (`.log.chk`)

/// gpsd's last (most complete) TPV report per epoch time, for epochs with a fix.
fn gpsd_epochs(chk: &Path) -> BTreeMap<i64, serde_json::Value> {
    let text = std::fs::read_to_string(chk).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("{\"class\":\"TPV\"")) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(t) = v["time"].as_str().and_then(ms_from_rfc3339) else {
            continue;
        };
        if v["mode"].as_u64().unwrap_or(0) >= 2 {
            out.insert(t, v);
        }
    }
    out
}

/// Tolerances: gpsd prints 9 decimals of degrees, 4 of metres, 3 of m/s, 4 of degrees.
const LATLON_TOL_DEG: f64 = 1e-8;
const ALT_TOL_M: f64 = 1e-3;
const SPEED_TOL_MPS: f64 = 1e-3;
const TRACK_TOL_DEG: f64 = 1e-3;

/// Decodes `log` and checks every gpsd epoch against our fix of the same time; returns our
/// fixes that gpsd has no timed report for, and the stats.
fn check_against_gpsd(log: &Path) -> (Vec<Fix>, NmeaStats) {
    let chk = PathBuf::from(format!("{}.chk", log.display()));
    let expected = gpsd_epochs(&chk);
    assert!(!expected.is_empty());
    let (fixes, stats) = decode_all(&std::fs::read(log).unwrap());
    let by_time: BTreeMap<i64, Fix> = fixes
        .iter()
        .filter_map(|f| Some((f.time_ms?, *f)))
        .collect();
    assert_eq!(
        by_time.len(),
        fixes.len(),
        "one fix per epoch, every fix dated"
    );
    for (t, tpv) in &expected {
        let f = by_time
            .get(t)
            .unwrap_or_else(|| panic!("no fix at gpsd epoch {}", tpv["time"]));
        let what = tpv["time"].as_str().unwrap();
        let close = |ours: f64, key: &str, tol: f64| {
            let theirs = tpv[key].as_f64().unwrap();
            assert!(
                (ours - theirs).abs() <= tol,
                "{what} {key}: ours {ours}, gpsd {theirs}"
            );
        };
        close(f.pos.lat, "lat", LATLON_TOL_DEG);
        close(f.pos.lon, "lon", LATLON_TOL_DEG);
        if tpv.get("altHAE").is_some() {
            close(f.alt_hae_m().expect("altitude"), "altHAE", ALT_TOL_M);
            close(f.ele_m.unwrap(), "altMSL", ALT_TOL_M);
        }
        if tpv.get("speed").is_some() {
            close(f.speed_mps.expect("speed"), "speed", SPEED_TOL_MPS);
        }
        if tpv.get("track").is_some() {
            close(f.course_deg.expect("track"), "track", TRACK_TOL_DEG);
        }
        let mode = match f.fix {
            FixMode::ThreeD => 3,
            FixMode::TwoD => 2,
            FixMode::None => 1,
        };
        assert_eq!(Some(mode), tpv["mode"].as_u64(), "{what} mode");
    }
    let extra = fixes
        .into_iter()
        .filter(|f| !expected.contains_key(&f.time_ms.unwrap()))
        .collect();
    (extra, stats)
}

fn iso(f: &Fix) -> String {
    trailatlas::gps::fix::rfc3339_from_ms(f.time_ms.unwrap()).unwrap()
}

#[test]
fn nl2008u_moving_car_matches_gpsd() {
    let Some(log) = nmea_log("gpsd-nl2008u.log") else {
        return;
    };
    let (extra, stats) = check_against_gpsd(&log);
    assert!(extra.is_empty(), "{extra:?}");
    assert_eq!(stats.fixes, 9, "9 RMC epochs");
    assert_eq!(stats.bad_lines, 0);
    // GNTXT x8, GSV x5 per epoch x9 = 45, GNZDA... ZDA is supported.
    assert_eq!(stats.ignored, 8 + 45 + 11);
}

#[test]
fn bt451_three_sections_with_time_going_back_match_gpsd() {
    let Some(log) = nmea_log("gpsd-bt451.log") else {
        return;
    };
    let (extra, stats) = check_against_gpsd(&log);
    // gpsd reports 15:25:04.5 (GLL + ZDA only) without a time, and never reports the last
    // epoch of the stationary and of the car section: it waits for the sentence that ends
    // its learned cycle (ZDA), which the cut logs do not have. Those epochs are complete
    // fixes (RMC + GGA + GSA, and RMC + VTG), so we emit them.
    let extra_times: Vec<String> = extra.iter().map(iso).collect();
    assert_eq!(
        extra_times,
        [
            "2009-12-09T15:25:04.500Z",
            "2009-12-09T15:25:08.500Z",
            "2009-12-09T14:33:08.500Z"
        ]
    );
    assert!(
        (extra[0].pos.lat - 55.797017833).abs() < LATLON_TOL_DEG,
        "as gpsd's untimed TPV"
    );
    assert_eq!(stats.fixes, 15);
    assert_eq!(
        stats.bad_lines, 0,
        "no-fix sentences are valid sentences, not bad lines"
    );
}

#[test]
fn bt451_no_fix_section_gives_no_fix() {
    let Some(log) = nmea_log("gpsd-bt451.log") else {
        return;
    };
    let (fixes, _) = decode_all(&std::fs::read(log).unwrap());
    let first = fixes.first().unwrap();
    assert_eq!(
        iso(first),
        "2009-12-09T15:25:04.500Z",
        "nothing before the stationary section"
    );
}

#[test]
fn bt451_car_section_speed_is_about_57_kmh() {
    let Some(log) = nmea_log("gpsd-bt451.log") else {
        return;
    };
    let (fixes, _) = decode_all(&std::fs::read(log).unwrap());
    let car: Vec<_> = fixes
        .iter()
        .filter(|f| iso(f).starts_with("2009-12-09T14:33"))
        .collect();
    assert_eq!(car.len(), 6);
    for f in car.iter().filter_map(|f| f.speed_mps) {
        assert!(
            (30.0 * MPS_PER_KNOT..33.0 * MPS_PER_KNOT).contains(&f),
            "{f}"
        );
    }
}

#[test]
fn garmin15x_dgps_with_proprietary_sentences_matches_gpsd() {
    let Some(log) = nmea_log("gpsd-garmin15x.log") else {
        return;
    };
    let (extra, stats) = check_against_gpsd(&log);
    assert!(extra.is_empty());
    assert_eq!(stats.fixes, 7);
    assert_eq!(stats.bad_lines, 0);
    let (fixes, _) = decode_all(&std::fs::read(&log).unwrap());
    assert!(
        fixes
            .iter()
            .all(|f| f.quality == Some(trailatlas::gps::FixQuality::Dgps))
    );
    assert!(
        fixes
            .iter()
            .all(|f| f.hdop == Some(1.1) && f.sats == Some(8))
    );
}

#[test]
fn mtk_locus_fragment_and_overlong_lines_are_counted_bad() {
    let Some(log) = nmea_log("gpsbabel-mtk_locus.nmea") else {
        return;
    };
    let (fixes, stats) = decode_all(&std::fs::read(log).unwrap());
    // The first-line fragment plus the three $PMTKLOX lines longer than any NMEA sentence.
    assert_eq!(stats.bad_lines, 4);
    // $PGTOP x2, $PMTKLOX (short) x2, GPGSV x1.
    assert_eq!(stats.ignored, 5);
    assert_eq!(fixes.len(), 2);
    let f = fixes[0];
    assert_eq!(iso(&f), "2012-10-26T19:25:18.000Z");
    assert!((f.pos.lat - (51.0 + 3.6617 / 60.0)).abs() < 1e-9);
    assert!((f.pos.lon + (114.0 + 7.4452 / 60.0)).abs() < 1e-9);
    assert_eq!(
        (f.ele_m, f.hdop, f.sats),
        (Some(1091.7), Some(1.1), Some(8))
    );
}

// ---------------------------------------------------------------------------------------
// Replay source

#[test]
fn replay_source_delivers_the_log_then_ends() {
    let Some(log) = nmea_log("gpsd-nl2008u.log") else {
        return;
    };
    let h = SourceHandle::start(ReplaySource::new(log.clone(), 0.0)).unwrap();
    let mut fixes = Vec::new();
    let mut ended = false;
    while let Ok(ev) = h.recv_timeout(Duration::from_secs(20)) {
        match ev {
            GpsEvent::Fix(f) => fixes.push(f),
            GpsEvent::Status(SourceStatus::Ended) => {
                ended = true;
                break;
            }
            GpsEvent::Status(_) => {}
        }
    }
    assert!(ended);
    let (direct, stats) = decode_all(&std::fs::read(log).unwrap());
    assert_eq!(fixes, direct);
    assert_eq!(h.stats(), stats);
}

#[test]
fn replay_at_speed_takes_the_log_time_divided_by_speed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("six.nmea");
    let text: String = (0..6).map(|t| synthetic_epoch(t).0).collect();
    std::fs::write(&log, format!("# a comment line\n{text}")).unwrap();
    let start = Instant::now();
    let h = SourceHandle::start(ReplaySource::new(log, 10.0)).unwrap();
    let mut n = 0;
    while let Ok(ev) = h.recv_timeout(Duration::from_secs(20)) {
        match ev {
            GpsEvent::Fix(_) => n += 1,
            GpsEvent::Status(SourceStatus::Ended) => break,
            GpsEvent::Status(_) => {}
        }
    }
    let took = start.elapsed();
    assert_eq!(n, 6);
    assert_eq!(h.stats().bad_lines, 0, "the comment is skipped, not bad");
    // 5 s of log at 10x = 0.5 s.
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn replay_of_bt451_at_real_time_does_not_hang_when_time_goes_back() {
    let Some(log) = nmea_log("gpsd-bt451.log") else {
        return;
    };
    // 15:25:04.5 → 15:25:08.5 is 4 s, then back to 14:33:06 (no wait), then 2.5 s: ~6.5 s at
    // real time; at 4x well under 3 s. A naive pacer would wait 52 minutes or underflow.
    let start = Instant::now();
    let h = SourceHandle::start(ReplaySource::new(log, 4.0)).unwrap();
    assert!(wait_status(&h, Duration::from_secs(20), |s| *s == SourceStatus::Ended));
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn replay_of_a_missing_file_reports_an_error_and_ends() {
    let h = SourceHandle::start(ReplaySource::new("/nonexistent/x.nmea".into(), 1.0)).unwrap();
    assert!(wait_status(
        &h,
        Duration::from_secs(5),
        |s| matches!(s, SourceStatus::Error(t) if t.contains("cannot open"))
    ));
    assert!(wait_status(&h, Duration::from_secs(5), |s| *s == SourceStatus::Ended));
}

#[test]
fn stopping_a_slow_replay_returns_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("slow.nmea");
    let text: String = (0..100).map(|t| synthetic_epoch(t).0).collect();
    std::fs::write(&log, text).unwrap();
    let h = SourceHandle::start(ReplaySource::new(log, 1.0)).unwrap();
    assert!(next_fix(&h, Duration::from_secs(10)).is_some());
    let t = Instant::now();
    h.stop();
    assert!(t.elapsed() < Duration::from_secs(2));
}

// ---------------------------------------------------------------------------------------
// Serial source through pseudo-terminals

/// A pseudo-terminal pair standing in for a USB GPS; `link` is a symlink to the slave, as
/// udev's /dev/serial/by-id/... would be, so the "device" can reappear at the same path.
struct FakeDevice {
    master: Box<dyn serialport::SerialPort>,
    _slave: serialport::TTYPort,
}

fn plug_in(link: &Path) -> FakeDevice {
    let (master, slave) = serialport::TTYPort::pair().expect("a pseudo-terminal pair");
    let name = slave.name().expect("slave has a name");
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(&name, link).unwrap();
    FakeDevice {
        master: Box::new(master),
        _slave: slave,
    }
}

#[test]
fn serial_source_reads_a_pty_and_reconnects_after_unplug() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("gps0");
    let mut dev = plug_in(&link);
    let h = SourceHandle::start(SerialSource::new(link.clone(), 4800)).unwrap();
    assert!(wait_status(&h, Duration::from_secs(10), |s| matches!(
        s,
        SourceStatus::Connected(_)
    )));

    // Garbage first, as when attaching mid-sentence, then three epochs (the third is
    // emitted when the fourth starts, or on its learned last sentence).
    dev.master
        .write_all(b"7.000,A,5103.66,N*7D\r\n\x00\xff\xb5b\r\n")
        .unwrap();
    for t in 0..4 {
        let (text, _) = synthetic_epoch(t);
        dev.master.write_all(text.as_bytes()).unwrap();
    }
    for t in 0..3 {
        let f = next_fix(&h, Duration::from_secs(10)).expect("a fix over the pty");
        let (_, (time_ms, lat, lon)) = synthetic_epoch(t);
        assert_eq!(f.time_ms, Some(time_ms));
        assert!((f.pos.lat - lat).abs() < 1e-9 && (f.pos.lon - lon).abs() < 1e-9);
    }
    assert_eq!(h.stats().bad_lines, 2);

    // Unplug: the source reports it and keeps polling.
    drop(dev);
    assert!(wait_status(&h, Duration::from_secs(10), |s| matches!(
        s,
        SourceStatus::Disconnected(_)
    )));

    // Plug in again at the same path: it reconnects by itself and fixes flow again.
    let mut dev = plug_in(&link);
    assert!(wait_status(&h, Duration::from_secs(10), |s| matches!(
        s,
        SourceStatus::Connected(_)
    )));
    for t in 100..103 {
        dev.master
            .write_all(synthetic_epoch(t).0.as_bytes())
            .unwrap();
    }
    let f = next_fix(&h, Duration::from_secs(10)).expect("fixes after reconnecting");
    let t = (f.time_ms.unwrap() - synthetic_epoch(0).1.0) / 1000;
    assert!(
        (100..103).contains(&t),
        "fix from after the reconnect, got t={t}"
    );
    let start = Instant::now();
    h.stop();
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn serial_source_waits_for_a_device_that_is_not_there_yet() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("gps0");
    let h = SourceHandle::start(SerialSource::new(link.clone(), 9600)).unwrap();
    assert!(wait_status(
        &h,
        Duration::from_secs(5),
        |s| matches!(s, SourceStatus::Error(t) if t.contains("cannot open"))
    ));
    let _dev = plug_in(&link);
    assert!(wait_status(&h, Duration::from_secs(10), |s| matches!(
        s,
        SourceStatus::Connected(_)
    )));
}

// ---------------------------------------------------------------------------------------
// gpsd source against the real gpsd

fn gpsd_binary() -> Option<PathBuf> {
    ["/usr/sbin/gpsd", "/usr/bin/gpsd", "/usr/local/sbin/gpsd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| {
            eprintln!("skipping: gpsd is not installed (apt-get install -y gpsd gpsd-clients)");
            None
        })
}

/// Kills the child when dropped, so a failing assertion does not leave gpsd running.
struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn gpsd_source_reads_fixes_from_a_real_gpsd_and_notices_it_stop() {
    let Some(gpsd) = gpsd_binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (mut master, slave) = serialport::TTYPort::pair().unwrap();
    let pty = slave.name().unwrap();
    let port = free_port();
    let sock = dir.path().join("gpsd.sock");
    let start_gpsd = || {
        let child = Command::new(&gpsd)
            // No daemon, poll the device without waiting for a client, never write to it,
            // our own port and control socket.
            .args(["-N", "-n", "-b", "-S", &port.to_string(), "-F"])
            .arg(&sock)
            .arg(&pty)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        KillOnDrop(child)
    };
    let mut gpsd_proc = start_gpsd();

    // Feed epochs at 10 per second from a thread until told to stop.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let feeder = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            for t in 0..600 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let _ = master.write_all(synthetic_epoch(t).0.as_bytes());
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    let h = SourceHandle::start(GpsdSource::new("127.0.0.1".into(), port)).unwrap();
    let mut fixes = Vec::new();
    let until = Instant::now() + Duration::from_secs(30);
    while fixes.len() < 5 && Instant::now() < until {
        if let Some(f) = next_fix(&h, Duration::from_secs(1)) {
            fixes.push(f);
        }
    }
    assert!(fixes.len() >= 5, "got {} fixes from gpsd", fixes.len());
    for f in &fixes {
        let t = (f.time_ms.expect("gpsd sends time") - synthetic_epoch(0).1.0) / 1000;
        let (_, (_, lat, lon)) = synthetic_epoch(u32::try_from(t).unwrap());
        assert!(
            (f.pos.lat - lat).abs() < 1e-7 && (f.pos.lon - lon).abs() < 1e-7,
            "{f:?}"
        );
        assert_eq!(f.fix, FixMode::ThreeD);
        assert!((f.ele_m.unwrap() - 500.0).abs() < 1e-6, "altMSL");
        assert!((f.speed_mps.unwrap() - 15.0 * MPS_PER_KNOT).abs() < 1e-3);
        assert_eq!(f.course_deg, Some(90.0));
    }
    let times: Vec<i64> = fixes.iter().filter_map(|f| f.time_ms).collect();
    assert!(
        times.windows(2).all(|w| w[0] < w[1]),
        "one fix per epoch, in order: {times:?}"
    );
    let last = fixes.last().unwrap();
    assert_eq!(last.hdop, Some(0.9), "HDOP from SKY");
    assert!(last.sats.is_some(), "satellites used from SKY");

    // Stop gpsd: the source says so and keeps retrying without ending.
    let _ = gpsd_proc.0.kill();
    let _ = gpsd_proc.0.wait();
    assert!(wait_status(&h, Duration::from_secs(10), |s| matches!(
        s,
        SourceStatus::Disconnected(_)
    )));
    let last_before = times.last().copied().unwrap();

    // Start it again: the source reconnects by itself (backoff) and fixes flow again.
    let _gpsd_again = start_gpsd();
    assert!(wait_status(&h, Duration::from_secs(20), |s| matches!(
        s,
        SourceStatus::Connected(_)
    )));
    let after = next_fix(&h, Duration::from_secs(20)).expect("fixes after gpsd restarted");
    assert!(after.time_ms.unwrap() > last_before);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    feeder.join().unwrap();
    let t = Instant::now();
    h.stop();
    assert!(t.elapsed() < Duration::from_secs(4));
    drop(slave);
}

// ---------------------------------------------------------------------------------------
// CLI

fn trailatlas(db: &Path) -> Command {
    let mut c = Command::new(support::bin());
    c.arg("--db").arg(db);
    c
}

#[test]
fn cli_gps_json_prints_one_object_per_fix_and_a_summary() {
    let Some(log) = nmea_log("gpsd-garmin15x.log") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = trailatlas(&dir.path().join("t.db"))
        .args(["gps", "--json", "--source"])
        .arg(format!("replay:{}@0", log.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 7);
    let first = &lines[0];
    assert_eq!(first["time"], "2022-10-18T11:32:58.000Z");
    assert_eq!(first["fix"], "3d");
    assert_eq!(first["sats"], 8);
    assert!((first["lat"].as_f64().unwrap() - 32.64858).abs() < 1e-9);
    assert!((first["ele"].as_f64().unwrap() - 1577.4).abs() < 1e-9);
    for k in ["speed_mps", "course_deg", "hdop", "lon"] {
        assert!(first[k].is_number(), "{k}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("21 sentences read, 7 fixes, 0 bad lines"),
        "{stderr}"
    );
}

#[test]
fn cli_gps_record_then_drives_lists_the_drive() {
    let Some(log) = nmea_log("gpsd-nl2008u.log") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let out = trailatlas(&db)
        .args(["gps", "--record", "--name", "Black Forest", "--source"])
        .arg(format!("replay:{}@0", log.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        9,
        "a friendly line per fix"
    );
    let out = trailatlas(&db).args(["drives", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let drives = v.as_array().unwrap();
    assert_eq!(drives.len(), 1);
    assert_eq!(drives[0]["name"], "Black Forest");
    assert_eq!(drives[0]["points"], 9);
    assert_eq!(drives[0]["started"], "2015-10-10T09:12:32.000Z");
    assert_eq!(drives[0]["ended"], "2015-10-10T09:34:53.000Z");

    // A drive exports like a track.
    let gpx = dir.path().join("drive.gpx");
    let id = drives[0]["id"].to_string();
    let out = trailatlas(&db)
        .args(["export", "--route", &id, "-o"])
        .arg(&gpx)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&gpx).unwrap();
    assert_eq!(text.matches("<trkpt").count(), 9);
    assert!(
        text.contains("<time>2015-10-10T09:15:03"),
        "point times are kept"
    );
}

#[test]
fn cli_gps_bad_source_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = trailatlas(&dir.path().join("t.db"))
        .args(["gps", "--source", "usb:x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected serial:DEVICE"));
    let out = trailatlas(&dir.path().join("t.db"))
        .args(["gps", "--source", "replay:/nonexistent.nmea@0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: cannot open /nonexistent.nmea"));
}

/// SIGKILL in the middle of a recording: the database opens, is intact, and holds every fix
/// printed more than a second before the kill (plus a scheduling allowance for a loaded CI).
#[test]
fn crash_during_recording_loses_at_most_a_second() {
    const SCHEDULING_SLACK: Duration = Duration::from_millis(500);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("long.nmea");
    // 2000 s of driving; at 10x, 200 s: the kill always comes mid-way.
    let text: String = (0..2000).map(|t| synthetic_epoch(t).0).collect();
    std::fs::write(&log, text).unwrap();
    let db = dir.path().join("crash.db");
    let mut child = trailatlas(&db)
        .args(["gps", "--json", "--record", "--source"])
        .arg(format!("replay:{}@10", log.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, i64)>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            let t = ms_from_rfc3339(v["time"].as_str().unwrap()).unwrap();
            if tx.send((Instant::now(), t)).is_err() {
                break;
            }
        }
    });
    // Record about 3 s of wall-clock time (30 fixes at 10x of a 1 Hz log).
    let mut printed = Vec::new();
    while printed.len() < 30 {
        printed.push(
            rx.recv_timeout(Duration::from_secs(30))
                .expect("fixes are printed"),
        );
    }
    child.kill().unwrap(); // SIGKILL
    let killed_at = Instant::now();
    child.wait().unwrap();
    reader.join().unwrap();
    printed.extend(rx.try_iter());

    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);

    let store = trailatlas::store::Store::open(&db).unwrap();
    let drives = store.drives().unwrap();
    assert_eq!(drives.len(), 1);
    let line = store.line(drives[0].id).unwrap();
    let recorded: Vec<i64> = line.points().filter_map(|p| p.time_ms).collect();
    let must_have: Vec<i64> = printed
        .iter()
        .filter(|(at, _)| *at + Duration::from_secs(1) + SCHEDULING_SLACK <= killed_at)
        .map(|(_, t)| *t)
        .collect();
    assert!(!must_have.is_empty());
    let printed_times: Vec<i64> = printed.iter().map(|(_, t)| *t).collect();
    assert!(recorded.len() <= printed_times.len());
    assert_eq!(
        recorded,
        printed_times[..recorded.len()],
        "recorded = a prefix of what was printed"
    );
    assert!(
        recorded.len() >= must_have.len(),
        "lost fixes printed more than 1 s before the kill: recorded {}, printed {}, must have {}",
        recorded.len(),
        printed.len(),
        must_have.len()
    );
    // Log time lost, at 10x: printed-but-unrecorded fixes are 1 s of log time each.
    let lost_wall_s = (printed.len() - recorded.len()) as f64 / 10.0;
    eprintln!(
        "crash test: {} printed, {} recorded, lost {:.1} s of wall-clock recording",
        printed.len(),
        recorded.len(),
        lost_wall_s
    );
}
