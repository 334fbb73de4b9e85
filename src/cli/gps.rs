//! `trailatlas gps` (live or replayed fixes, optional breadcrumb recording) and
//! `trailatlas drives` (recorded drives). Glue only: sources, decoding and recording live in
//! `crate::gps`.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::json;

use super::Global;
use crate::gps::fix::rfc3339_from_ms;
use crate::gps::recorder::{Recorder, SystemClock};
use crate::gps::{Fix, GpsEvent, SourceSpec, SourceStatus};

/// How often the loop wakes up without fixes, to commit pending breadcrumbs.
const TICK: Duration = Duration::from_millis(100);

/// Arguments of `trailatlas gps`.
#[derive(Debug, clap::Args)]
pub struct GpsArgs {
    /// Where fixes come from: `serial:/dev/ttyUSB0[@4800]`, `gpsd[:HOST:PORT]` or
    /// `replay:FILE[@SPEED]` (`@1` real time, the default; `@10` ten times faster; `@0` as
    /// fast as it can read).
    #[arg(long, value_parser = clap::value_parser!(SourceSpec))]
    pub source: SourceSpec,
    /// Record the fixes as a drive in the database (committed at least once a second).
    #[arg(long)]
    pub record: bool,
    /// Name of the recorded drive (default: `Drive YYYY-MM-DD HH:MM` of the first fix).
    #[arg(long, requires = "record")]
    pub name: Option<String>,
    /// One JSON object per fix per line on stdout; the summary goes to stderr.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `trailatlas drives`.
#[derive(Debug, clap::Args)]
pub struct DrivesArgs {
    /// Print only JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

impl clap::builder::ValueParserFactory for SourceSpec {
    type Parser = clap::builder::ValueParser;
    fn value_parser() -> Self::Parser {
        clap::builder::ValueParser::new(|s: &str| s.parse::<SourceSpec>())
    }
}

/// A friendly one-line description of a fix.
fn fix_line(f: &Fix) -> String {
    let mut s = format!(
        "{}  {:.6}, {:.6}",
        f.time_ms
            .and_then(rfc3339_from_ms)
            .unwrap_or_else(|| "(no date yet)".into()),
        f.pos.lat,
        f.pos.lon
    );
    if let Some(e) = f.ele_m {
        s += &format!("  {e:.0} m");
    }
    if let Some(v) = f.speed_mps {
        s += &format!("  {:.1} km/h", v * 3.6);
    }
    if let Some(c) = f.course_deg {
        s += &format!("  {c:.0}°");
    }
    s += &format!("  {}", f.fix.as_str());
    if let Some(h) = f.hdop {
        s += &format!("  hdop {h}");
    }
    if let Some(n) = f.sats {
        s += &format!("  {n} sats");
    }
    s
}

/// Runs `trailatlas gps`.
pub fn run(args: &GpsArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut recorder = match args.record {
        true => Some(Recorder::new(
            global.open_store()?,
            SystemClock,
            args.name.clone(),
        )),
        false => None,
    };
    let is_replay = matches!(args.source, SourceSpec::Replay { .. });
    let handle = args.source.start().context("cannot start the GPS source")?;
    let mut out = std::io::stdout().lock();
    let mut fatal: Option<String> = None;
    let mut record_error_shown = false;
    loop {
        let ev = handle.recv_timeout(TICK);
        let rec_result = match ev {
            Ok(GpsEvent::Fix(f)) => {
                let line = if args.json {
                    f.to_json().to_string()
                } else {
                    fix_line(&f)
                };
                // A closed stdout (`| head`) ends the run quietly.
                if writeln!(out, "{line}").is_err() {
                    break;
                }
                recorder.as_mut().map(|r| r.push(&f))
            }
            Ok(GpsEvent::Status(SourceStatus::Ended)) | Err(RecvTimeoutError::Disconnected) => {
                break;
            }
            Ok(GpsEvent::Status(s)) => {
                match s {
                    SourceStatus::Connected(t) => eprintln!("gps: connected: {t}"),
                    SourceStatus::Disconnected(t) => eprintln!("gps: disconnected: {t}"),
                    SourceStatus::Error(t) if is_replay => fatal = Some(t),
                    SourceStatus::Error(t) => eprintln!("gps: {t}"),
                    SourceStatus::Ended => {}
                }
                None
            }
            Err(RecvTimeoutError::Timeout) => recorder.as_mut().map(Recorder::tick),
        };
        if let Some(Err(e)) = rec_result {
            // Points stay pending and are retried; say so once, not every second.
            if !record_error_shown {
                eprintln!("gps: recording: {e} (retrying)");
                record_error_shown = true;
            }
        }
    }
    let stats = handle.stats();
    drop(handle);
    let mut summary = format!(
        "gps: {} sentences read, {} fixes, {} bad lines, {} ignored",
        stats.sentences, stats.fixes, stats.bad_lines, stats.ignored
    );
    if let Some(r) = recorder.as_mut() {
        r.flush().context("cannot save the last breadcrumbs")?;
        let id = r
            .drive()
            .map_or_else(|| "none (no fix)".to_string(), |id| id.to_string());
        summary += &format!("; recorded {} points into drive {id}", r.stats().committed);
    }
    eprintln!("{summary}");
    if let Some(t) = fatal {
        anyhow::bail!(t);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `trailatlas drives`.
pub fn drives(args: &DrivesArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let store = global.open_store()?;
    let drives = store.drives()?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let v: Vec<_> = drives
            .iter()
            .map(|d| {
                json!({
                    "id": d.id,
                    "name": d.name,
                    "points": d.points,
                    "length_m": (d.length_m * 10.0).round() / 10.0,
                    "started": d.started_ms.and_then(rfc3339_from_ms),
                    "ended": d.ended_ms.and_then(rfc3339_from_ms),
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::Value::Array(v))?;
    } else if drives.is_empty() {
        writeln!(
            out,
            "no recorded drives (record one with `trailatlas gps --source ... --record`)"
        )?;
    } else {
        for d in &drives {
            writeln!(
                out,
                "{:>5}  {:<28}  {:>7} points  {:>8.1} km  {}",
                d.id,
                d.name.as_deref().unwrap_or("(unnamed)"),
                d.points,
                d.length_m / 1000.0,
                d.started_ms.and_then(rfc3339_from_ms).unwrap_or_default()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::LatLon;

    #[test]
    fn friendly_line_shows_what_is_known() {
        let mut f = Fix::at(LatLon::new(48.2175, 8.4145), Some(1_444_468_503_000));
        f.speed_mps = Some(3.375);
        assert_eq!(
            fix_line(&f),
            "2015-10-10T09:15:03.000Z  48.217500, 8.414500  12.2 km/h  2d"
        );
    }
}
