//! A serial NMEA receiver (USB puck, vehicle GPS) as a position source.
//!
//! Opens the device, decodes NMEA, and when the device disappears (unplugged, hub reset)
//! reports it and tries to reopen it every second until it comes back.
//! Not a parser (see `nmea`).

use std::io::{ErrorKind, Read as _};
use std::path::PathBuf;
use std::time::Duration;

use super::nmea::{FixAssembler, LineSplitter};
use super::source::{GpsEvent, PositionSource, STOP_POLL, SourceContext, SourceStatus};

/// How often a missing device is looked for again.
pub const REOPEN_EVERY: Duration = Duration::from_secs(1);

/// Reads NMEA from a serial device.
#[derive(Debug, Clone)]
pub struct SerialSource {
    path: PathBuf,
    baud: u32,
}

impl SerialSource {
    /// The device at `path`, at `baud` (NMEA's standard is 4800; many pucks use 9600).
    pub fn new(path: PathBuf, baud: u32) -> Self {
        SerialSource { path, baud }
    }
}

impl PositionSource for SerialSource {
    fn describe(&self) -> String {
        format!("serial {} @{}", self.path.display(), self.baud)
    }

    fn run(self: Box<Self>, ctx: SourceContext) {
        // One assembler across reconnects keeps the stats; a stale half epoch is dropped by
        // the time change when fixes resume.
        let mut asm = FixAssembler::new();
        let mut last_error: Option<String> = None;
        while !ctx.stopped() {
            let path = self.path.to_string_lossy().into_owned();
            let port = serialport::new(path, self.baud).timeout(STOP_POLL).open();
            let mut port = match port {
                Ok(p) => p,
                Err(e) => {
                    // Report each distinct failure once, not every second.
                    let text = format!("cannot open {}: {e}", self.path.display());
                    if last_error.as_ref() != Some(&text) {
                        if !ctx.send(GpsEvent::Status(SourceStatus::Error(text.clone()))) {
                            return;
                        }
                        last_error = Some(text);
                    }
                    if !ctx.sleep(REOPEN_EVERY) {
                        return;
                    }
                    continue;
                }
            };
            last_error = None;
            if !ctx.send(GpsEvent::Status(SourceStatus::Connected(self.describe()))) {
                return;
            }
            let mut split = LineSplitter::new();
            let mut buf = [0u8; 1024];
            let why = loop {
                if ctx.stopped() {
                    return;
                }
                match port.read(&mut buf) {
                    Ok(0) => break "end of data".to_string(),
                    Ok(n) => {
                        let mut fixes = Vec::new();
                        split.push(buf.get(..n).unwrap_or_default(), |l| {
                            fixes.extend(asm.push_line(l));
                        });
                        ctx.set_stats(asm.stats());
                        for f in fixes {
                            if !ctx.send(GpsEvent::Fix(f)) {
                                return;
                            }
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            ErrorKind::TimedOut | ErrorKind::Interrupted | ErrorKind::WouldBlock
                        ) => {}
                    Err(e) => break e.to_string(),
                }
            };
            drop(port);
            let text = format!("{} went away: {why}", self.path.display());
            if !ctx.send(GpsEvent::Status(SourceStatus::Disconnected(text)))
                || !ctx.sleep(REOPEN_EVERY)
            {
                return;
            }
        }
    }
}
