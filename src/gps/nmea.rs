//! NMEA 0183 decoding: bytes → lines → sentences → one [`Fix`] per epoch.
//!
//! Owns framing (line splitting with a length cap), checksum checks, field parsing of RMC,
//! GGA, GSA, VTG, GLL, GNS and ZDA from any talker (GP, GN, GL, GA, GB, BD, ...), and the
//! [`FixAssembler`] that merges the sentences of one epoch. Not for I/O: sources feed it
//! bytes or lines and get fixes back.
//!
//! Choices (see ARCH-gps.md):
//! - A hand parser, not the `nmea` crate. That crate (0.8) does handle any talker, the NMEA
//!   4.1 RMC nav-status field and GNS, but it exposes `chrono` types (a second time library
//!   beside `time`), has its own 102-byte limit and does not say *why* a line failed; here
//!   every failure is classified and counted, and the code is small enough to fuzz and read
//!   in full. It never panics: no indexing, no unwrap.
//! - A sentence without a checksum is **bad** (as gpsd): a serial line glitch that drops the
//!   `*hh` would otherwise feed unverified digits into a position.
//! - A sentence longer than [`MAX_SENTENCE_LEN`] is bad, even with a valid checksum (gpsd
//!   does the same: merged sentences from glitching receivers are long).
//! - Proprietary (`$P...`), AIS (`!..`) and unsupported sentences with a valid checksum are
//!   *ignored*, not bad.
//! - No fix comes from a sentence that says there is none (RMC status `V` or mode `N`, GGA
//!   quality 0, GSA mode 1, GLL status `V` or mode `N`, GNS mode all `N`); such a denial in an
//!   epoch suppresses the epoch's fix. The NMEA 4.1 RMC navigational-status field is not used
//!   for validity (u-blox always sends `V` there, "no status given").

use crate::core::model::LatLon;

use super::fix::{Fix, FixMode, FixQuality, MPS_PER_KNOT};

/// Longest sentence accepted, `$` to checksum inclusive, without the line end. NMEA says 82
/// with CR LF; real receivers send up to 100 (gpsd accepts 102 with CR LF).
pub const MAX_SENTENCE_LEN: usize = 100;

/// Longest line the [`LineSplitter`] buffers; beyond that the rest of the line is dropped and
/// the line is reported as overlong (binary junk without newlines must not grow memory).
pub const MAX_LINE_BUF: usize = 1024;

/// Why a line is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadLine {
    /// Bytes outside printable ASCII (binary data, a wrong baud rate).
    NotAscii,
    /// Longer than [`MAX_SENTENCE_LEN`].
    Overlong,
    /// Does not start with `$` or `!` (for instance a fragment from attaching mid-sentence).
    NoStart,
    /// No `*hh` checksum at the end.
    MissingChecksum,
    /// The checksum does not match the contents.
    ChecksumMismatch,
    /// Checksum fine, but the address or a field cannot be read.
    Malformed,
}

/// What one line is.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// Empty or only whitespace; not counted.
    Blank,
    /// A supported sentence.
    Sentence(Sentence),
    /// Valid framing and checksum, but proprietary or a type we do not use (GSV, TXT, ...).
    Ignored,
    /// Skipped and counted.
    Bad(BadLine),
}

/// UTC time of day in milliseconds since midnight.
pub type TodMs = u32;

/// A calendar date (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    /// Full year, e.g. 2015.
    pub year: i32,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
}

impl Date {
    /// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's `days_from_civil`).
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

/// UTC milliseconds since the epoch for a date and a time of day.
pub fn epoch_ms(date: Date, tod_ms: TodMs) -> i64 {
    date.days_since_epoch() * 86_400_000 + i64::from(tod_ms)
}

/// RMC: recommended minimum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rmc {
    /// Time of the fix.
    pub tod_ms: Option<TodMs>,
    /// True for status `A` with a mode other than `N`.
    pub valid: bool,
    /// Position, when given.
    pub pos: Option<LatLon>,
    /// Speed over ground, knots.
    pub speed_kn: Option<f64>,
    /// Course over ground, degrees true.
    pub course_deg: Option<f64>,
    /// Date.
    pub date: Option<Date>,
    /// Mode letter (NMEA 2.3+), as quality.
    pub quality: Option<FixQuality>,
}

/// GGA: fix data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gga {
    /// Time of the fix.
    pub tod_ms: Option<TodMs>,
    /// Position, when given.
    pub pos: Option<LatLon>,
    /// Quality indicator; 0 means no fix.
    pub quality_code: u8,
    /// Satellites in use.
    pub sats: Option<u32>,
    /// HDOP.
    pub hdop: Option<f64>,
    /// Altitude above mean sea level, metres.
    pub alt_msl_m: Option<f64>,
    /// Geoid separation, metres.
    pub geoid_sep_m: Option<f64>,
}

/// GSA: DOP and active satellites (one per constellation on multi-GNSS receivers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gsa {
    /// 1 no fix, 2 2D, 3 3D.
    pub mode: u8,
    /// Non-empty satellite slots.
    pub sats_used: u32,
    /// HDOP.
    pub hdop: Option<f64>,
}

/// VTG: course and speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vtg {
    /// Course over ground, degrees true.
    pub course_deg: Option<f64>,
    /// Speed over ground, metres per second (from knots, else km/h).
    pub speed_mps: Option<f64>,
    /// False for mode `N`.
    pub valid: bool,
}

/// GLL: position and time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gll {
    /// Time of the fix.
    pub tod_ms: Option<TodMs>,
    /// Position, when given.
    pub pos: Option<LatLon>,
    /// Status `A` and mode not `N`.
    pub valid: bool,
}

/// GNS: multi-constellation fix data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gns {
    /// Time of the fix.
    pub tod_ms: Option<TodMs>,
    /// Position, when given.
    pub pos: Option<LatLon>,
    /// Some mode letter is not `N`.
    pub valid: bool,
    /// Best mode letter as quality.
    pub quality: Option<FixQuality>,
    /// Satellites in use.
    pub sats: Option<u32>,
    /// HDOP.
    pub hdop: Option<f64>,
    /// Altitude above mean sea level, metres.
    pub alt_msl_m: Option<f64>,
    /// Geoid separation, metres.
    pub geoid_sep_m: Option<f64>,
}

/// ZDA: date and time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zda {
    /// Time of day.
    pub tod_ms: Option<TodMs>,
    /// Date, when all three fields are there.
    pub date: Option<Date>,
}

/// A supported sentence (talker dropped: any talker is accepted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sentence {
    /// RMC.
    Rmc(Rmc),
    /// GGA.
    Gga(Gga),
    /// GSA.
    Gsa(Gsa),
    /// VTG.
    Vtg(Vtg),
    /// GLL.
    Gll(Gll),
    /// GNS.
    Gns(Gns),
    /// ZDA.
    Zda(Zda),
}

/// Which supported sentence type (used to learn the last sentence of an epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentenceType {
    /// RMC.
    Rmc,
    /// GGA.
    Gga,
    /// GSA.
    Gsa,
    /// VTG.
    Vtg,
    /// GLL.
    Gll,
    /// GNS.
    Gns,
    /// ZDA.
    Zda,
}

impl Sentence {
    /// The type.
    pub fn kind(&self) -> SentenceType {
        match self {
            Sentence::Rmc(_) => SentenceType::Rmc,
            Sentence::Gga(_) => SentenceType::Gga,
            Sentence::Gsa(_) => SentenceType::Gsa,
            Sentence::Vtg(_) => SentenceType::Vtg,
            Sentence::Gll(_) => SentenceType::Gll,
            Sentence::Gns(_) => SentenceType::Gns,
            Sentence::Zda(_) => SentenceType::Zda,
        }
    }

    /// `Some(time field)` for sentences that carry a time field (the inner `None` when it is
    /// empty); `None` for sentences without one (GSA, VTG).
    pub fn time_field(&self) -> Option<Option<TodMs>> {
        match self {
            Sentence::Rmc(s) => Some(s.tod_ms),
            Sentence::Gga(s) => Some(s.tod_ms),
            Sentence::Gll(s) => Some(s.tod_ms),
            Sentence::Gns(s) => Some(s.tod_ms),
            Sentence::Zda(s) => Some(s.tod_ms),
            Sentence::Gsa(_) | Sentence::Vtg(_) => None,
        }
    }
}

/// Classifies and parses one line (without or with its line end). Never panics.
pub fn parse_line(raw: &[u8]) -> Line {
    let line = trim_ascii(raw);
    if line.is_empty() {
        return Line::Blank;
    }
    if !line.iter().all(|b| (0x20..=0x7e).contains(b)) {
        return Line::Bad(BadLine::NotAscii);
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return Line::Bad(BadLine::NotAscii);
    };
    if text.len() > MAX_SENTENCE_LEN {
        return Line::Bad(BadLine::Overlong);
    }
    let Some(body) = text.strip_prefix('$').or_else(|| text.strip_prefix('!')) else {
        return Line::Bad(BadLine::NoStart);
    };
    let is_ais = text.starts_with('!');
    let Some((content, sum)) = body.rsplit_once('*') else {
        return Line::Bad(BadLine::MissingChecksum);
    };
    if sum.len() != 2 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Line::Bad(BadLine::MissingChecksum);
    }
    let Ok(expected) = u8::from_str_radix(sum, 16) else {
        return Line::Bad(BadLine::MissingChecksum);
    };
    if content.bytes().any(|b| matches!(b, b'$' | b'!' | b'*')) {
        // Two sentences run together (a lost line end): never trust either.
        return Line::Bad(BadLine::Malformed);
    }
    if content.bytes().fold(0u8, |c, b| c ^ b) != expected {
        return Line::Bad(BadLine::ChecksumMismatch);
    }
    let mut fields = content.split(',');
    let address = fields.next().unwrap_or_default();
    if is_ais || address.starts_with('P') {
        return if address.len() >= 2 && address.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Line::Ignored
        } else {
            Line::Bad(BadLine::Malformed)
        };
    }
    if address.len() != 5
        || !address
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Line::Bad(BadLine::Malformed);
    }
    let f: Vec<&str> = fields.collect();
    let parsed = match address.get(2..) {
        Some("RMC") => parse_rmc(&f).map(Sentence::Rmc),
        Some("GGA") => parse_gga(&f).map(Sentence::Gga),
        Some("GSA") => parse_gsa(&f).map(Sentence::Gsa),
        Some("VTG") => parse_vtg(&f).map(Sentence::Vtg),
        Some("GLL") => parse_gll(&f).map(Sentence::Gll),
        Some("GNS") => parse_gns(&f).map(Sentence::Gns),
        Some("ZDA") => parse_zda(&f).map(Sentence::Zda),
        _ => return Line::Ignored,
    };
    match parsed {
        Some(s) => Line::Sentence(s),
        None => Line::Bad(BadLine::Malformed),
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    b.get(start..end).unwrap_or_default()
}

/// Field `i`, or `""` when the sentence is shorter (optional trailing fields).
fn field<'a>(f: &[&'a str], i: usize) -> &'a str {
    f.get(i).copied().unwrap_or("")
}

/// A plain decimal number: optional sign, digits, at most one point. Empty → `Ok(None)`;
/// anything else (`inf`, `1e5`, `nan`) → `Err(())`, making the sentence malformed.
fn num(s: &str) -> Result<Option<f64>, ()> {
    if s.is_empty() {
        return Ok(None);
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut dots = 0;
    let mut any_digit = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => any_digit = true,
            b'.' => dots += 1,
            _ => return Err(()),
        }
    }
    if !any_digit || dots > 1 || digits.len() > 20 {
        return Err(());
    }
    s.parse::<f64>().map(Some).map_err(|_| ())
}

fn uint(s: &str) -> Result<Option<u32>, ()> {
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    s.parse::<u32>().map(Some).map_err(|_| ())
}

fn two_digits(s: &str, at: usize) -> Result<u32, ()> {
    let d = s.get(at..at + 2).ok_or(())?;
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    d.parse::<u32>().map_err(|_| ())
}

/// `hhmmss` or `hhmmss.sss` → milliseconds since midnight (fraction rounded to ms).
fn tod(s: &str) -> Result<Option<TodMs>, ()> {
    if s.is_empty() {
        return Ok(None);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.len() != 6 || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    let (h, m, sec) = (
        two_digits(whole, 0)?,
        two_digits(whole, 2)?,
        two_digits(whole, 4)?,
    );
    // 60 allows a leap second.
    if h > 23 || m > 59 || sec > 60 {
        return Err(());
    }
    let mut frac_ms = 0u32;
    let mut scale = 100u32;
    for b in frac.bytes().take(3) {
        frac_ms += u32::from(b - b'0') * scale;
        scale /= 10;
    }
    Ok(Some(((h * 60 + m) * 60 + sec) * 1000 + frac_ms))
}

/// `ddmmyy` → date; years 80..99 are 19xx, the rest 20xx.
fn ddmmyy(s: &str) -> Result<Option<Date>, ()> {
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() != 6 {
        return Err(());
    }
    let (d, m, y) = (two_digits(s, 0)?, two_digits(s, 2)?, two_digits(s, 4)?);
    let year = if y >= 80 { 1900 + y } else { 2000 + y };
    date(i32::try_from(year).map_err(|_| ())?, m, d).map(Some)
}

fn date(year: i32, month: u32, day: u32) -> Result<Date, ()> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1900..=2200).contains(&year) {
        return Err(());
    }
    Ok(Date { year, month, day })
}

/// `ddmm.mmmm,N,dddmm.mmmm,E` → position. All four empty → `None`.
fn lat_lon(lat: &str, ns: &str, lon: &str, ew: &str) -> Result<Option<LatLon>, ()> {
    if lat.is_empty() && lon.is_empty() {
        return Ok(None);
    }
    let (Some(lat_raw), Some(lon_raw)) = (num(lat)?, num(lon)?) else {
        return Err(());
    };
    let to_deg = |raw: f64| -> Result<f64, ()> {
        if raw < 0.0 {
            return Err(());
        }
        let deg = (raw / 100.0).trunc();
        let min = raw - deg * 100.0;
        if min >= 60.0 {
            return Err(());
        }
        Ok(deg + min / 60.0)
    };
    let lat_deg = match ns {
        "N" => to_deg(lat_raw)?,
        "S" => -to_deg(lat_raw)?,
        _ => return Err(()),
    };
    let lon_deg = match ew {
        "E" => to_deg(lon_raw)?,
        "W" => -to_deg(lon_raw)?,
        _ => return Err(()),
    };
    let p = LatLon::new(lat_deg, lon_deg);
    if p.is_valid() { Ok(Some(p)) } else { Err(()) }
}

/// Mode letter (RMC/GLL/VTG field, GNS per-system letters) → quality; `None` for `N`.
fn quality_from_mode(c: u8) -> Option<FixQuality> {
    match c {
        b'A' => Some(FixQuality::Gps),
        b'D' => Some(FixQuality::Dgps),
        b'P' => Some(FixQuality::Precise),
        b'R' => Some(FixQuality::RtkFixed),
        b'F' => Some(FixQuality::RtkFloat),
        b'E' => Some(FixQuality::Estimated),
        b'M' => Some(FixQuality::Manual),
        b'S' => Some(FixQuality::Simulated),
        _ => None,
    }
}

/// GGA quality indicator → quality; `None` for 0 (no fix) and unknown codes.
pub fn quality_from_gga(code: u8) -> Option<FixQuality> {
    match code {
        1 => Some(FixQuality::Gps),
        2 => Some(FixQuality::Dgps),
        3 => Some(FixQuality::Precise),
        4 => Some(FixQuality::RtkFixed),
        5 => Some(FixQuality::RtkFloat),
        6 => Some(FixQuality::Estimated),
        7 => Some(FixQuality::Manual),
        8 => Some(FixQuality::Simulated),
        _ => None,
    }
}

fn parse_rmc(f: &[&str]) -> Option<Rmc> {
    if f.len() < 9 {
        return None;
    }
    let status = field(f, 1);
    if !matches!(status, "A" | "V" | "D" | "") {
        return None;
    }
    let mode = field(f, 11);
    let mode_ok = mode != "N";
    Some(Rmc {
        tod_ms: tod(field(f, 0)).ok()?,
        valid: (status == "A" || status == "D") && mode_ok,
        pos: lat_lon(field(f, 2), field(f, 3), field(f, 4), field(f, 5)).ok()?,
        speed_kn: num(field(f, 6)).ok()?,
        course_deg: num(field(f, 7)).ok()?,
        date: ddmmyy(field(f, 8)).ok()?,
        quality: mode.bytes().next().and_then(quality_from_mode),
    })
}

fn parse_gga(f: &[&str]) -> Option<Gga> {
    if f.len() < 9 {
        return None;
    }
    let quality_code = match field(f, 5) {
        "" => 0,
        q => u8::try_from(uint(q).ok()??).ok()?,
    };
    Some(Gga {
        tod_ms: tod(field(f, 0)).ok()?,
        pos: lat_lon(field(f, 1), field(f, 2), field(f, 3), field(f, 4)).ok()?,
        quality_code,
        sats: uint(field(f, 6)).ok()?,
        hdop: num(field(f, 7)).ok()?,
        alt_msl_m: num(field(f, 8)).ok()?,
        geoid_sep_m: num(field(f, 10)).ok()?,
    })
}

fn parse_gsa(f: &[&str]) -> Option<Gsa> {
    if f.len() < 17 {
        return None;
    }
    let mode = match field(f, 1) {
        "" => 1,
        m => u8::try_from(uint(m).ok()??).ok()?,
    };
    if !(1..=3).contains(&mode) {
        return None;
    }
    let sats_used = f.get(2..14)?.iter().filter(|s| !s.is_empty()).count();
    Some(Gsa {
        mode,
        sats_used: u32::try_from(sats_used).ok()?,
        hdop: num(field(f, 15)).ok()?,
    })
}

fn parse_vtg(f: &[&str]) -> Option<Vtg> {
    // Unit letters may be empty when there is no fix (`$GPVTG,,,,,,,,,N`).
    if f.len() >= 8 && matches!(field(f, 1), "T" | "") {
        let knots = num(field(f, 4)).ok()?;
        let kmh = num(field(f, 6)).ok()?;
        Some(Vtg {
            course_deg: num(field(f, 0)).ok()?,
            speed_mps: knots.map(|k| k * MPS_PER_KNOT).or(kmh.map(|k| k / 3.6)),
            valid: field(f, 8) != "N",
        })
    } else if f.len() == 4 {
        // NMEA 1.5 form: true course, magnetic course, knots, km/h.
        Some(Vtg {
            course_deg: num(field(f, 0)).ok()?,
            speed_mps: num(field(f, 2)).ok()?.map(|k| k * MPS_PER_KNOT),
            valid: true,
        })
    } else {
        None
    }
}

fn parse_gll(f: &[&str]) -> Option<Gll> {
    if f.len() < 6 {
        return None;
    }
    let status = field(f, 5);
    Some(Gll {
        tod_ms: tod(field(f, 4)).ok()?,
        pos: lat_lon(field(f, 0), field(f, 1), field(f, 2), field(f, 3)).ok()?,
        valid: status == "A" && field(f, 6) != "N",
    })
}

fn parse_gns(f: &[&str]) -> Option<Gns> {
    if f.len() < 10 {
        return None;
    }
    let mode = field(f, 5);
    if !mode.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    // The best letter wins: GPS `A` with GLONASS `N` is still a fix.
    let quality = mode.bytes().filter_map(quality_from_mode).next();
    Some(Gns {
        tod_ms: tod(field(f, 0)).ok()?,
        pos: lat_lon(field(f, 1), field(f, 2), field(f, 3), field(f, 4)).ok()?,
        valid: quality.is_some(),
        quality,
        sats: uint(field(f, 6)).ok()?,
        hdop: num(field(f, 7)).ok()?,
        alt_msl_m: num(field(f, 8)).ok()?,
        geoid_sep_m: num(field(f, 9)).ok()?,
    })
}

fn parse_zda(f: &[&str]) -> Option<Zda> {
    if f.len() < 4 {
        return None;
    }
    let (d, m, y) = (
        uint(field(f, 1)).ok()?,
        uint(field(f, 2)).ok()?,
        uint(field(f, 3)).ok()?,
    );
    let date = match (d, m, y) {
        (Some(d), Some(m), Some(y)) => Some(date(i32::try_from(y).ok()?, m, d).ok()?),
        _ => None,
    };
    Some(Zda {
        tod_ms: tod(field(f, 0)).ok()?,
        date,
    })
}

/// Splits a byte stream into lines at CR or LF, capping each line at [`MAX_LINE_BUF`].
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
}

impl LineSplitter {
    /// An empty splitter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; calls `on_line` for each complete non-empty line. An overlong line is
    /// passed truncated to `MAX_LINE_BUF + 1` bytes so that it classifies as overlong.
    pub fn push(&mut self, bytes: &[u8], mut on_line: impl FnMut(&[u8])) {
        for &b in bytes {
            if b == b'\n' || b == b'\r' {
                if !self.buf.is_empty() {
                    on_line(&self.buf);
                }
                self.buf.clear();
            } else if self.buf.len() <= MAX_LINE_BUF {
                self.buf.push(b);
            }
        }
    }

    /// The unterminated rest (at end of input), if any.
    pub fn finish(&mut self, mut on_line: impl FnMut(&[u8])) {
        if !self.buf.is_empty() {
            on_line(&self.buf);
        }
        self.buf.clear();
    }
}

/// Counters over everything an assembler has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NmeaStats {
    /// Supported sentences read (valid checksum, parsed).
    pub sentences: u64,
    /// Fixes emitted.
    pub fixes: u64,
    /// Bad lines skipped (binary, overlong, no checksum, wrong checksum, malformed).
    pub bad_lines: u64,
    /// Valid but proprietary or unsupported sentences.
    pub ignored: u64,
}

/// What the sentences of one epoch said so far.
#[derive(Debug, Clone, Default)]
struct Epoch {
    /// `None` for sentences whose time field is empty (no-fix chatter).
    tod_ms: Option<TodMs>,
    date: Option<Date>,
    emitted: bool,
    /// A sentence said "no fix".
    denied: bool,
    last_type: Option<SentenceType>,
    pos_gga: Option<LatLon>,
    pos_gns: Option<LatLon>,
    pos_rmc: Option<LatLon>,
    pos_gll: Option<LatLon>,
    alt_msl_m: Option<f64>,
    geoid_sep_m: Option<f64>,
    speed_kn_rmc: Option<f64>,
    speed_mps_vtg: Option<f64>,
    course_rmc: Option<f64>,
    course_vtg: Option<f64>,
    quality: Option<FixQuality>,
    gsa_mode: Option<u8>,
    gsa_sats: Option<u32>,
    gsa_hdop: Option<f64>,
    gga_hdop: Option<f64>,
    gga_sats: Option<u32>,
}

impl Epoch {
    fn new(tod_ms: Option<TodMs>) -> Self {
        Epoch {
            tod_ms,
            ..Epoch::default()
        }
    }

    fn merge(&mut self, s: &Sentence) {
        self.last_type = Some(s.kind());
        match s {
            Sentence::Rmc(r) => {
                self.date = self.date.or(r.date);
                if r.valid {
                    self.pos_rmc = r.pos;
                    self.speed_kn_rmc = r.speed_kn;
                    self.course_rmc = r.course_deg;
                    self.quality = self.quality.or(r.quality);
                } else {
                    self.denied = true;
                }
            }
            Sentence::Gga(g) => {
                if let Some(q) = quality_from_gga(g.quality_code) {
                    self.pos_gga = g.pos;
                    self.alt_msl_m = g.alt_msl_m.or(self.alt_msl_m);
                    self.geoid_sep_m = g.geoid_sep_m.or(self.geoid_sep_m);
                    self.gga_hdop = g.hdop;
                    self.gga_sats = g.sats;
                    // GGA's indicator is the most specific (it says DGPS where RMC says A).
                    self.quality = Some(q);
                } else {
                    self.denied = true;
                }
            }
            Sentence::Gsa(g) => {
                if g.mode <= 1 {
                    self.denied = true;
                }
                self.gsa_mode = Some(self.gsa_mode.map_or(g.mode, |m| m.max(g.mode)));
                self.gsa_sats = Some(self.gsa_sats.unwrap_or(0).saturating_add(g.sats_used));
                self.gsa_hdop = self.gsa_hdop.or(g.hdop);
            }
            Sentence::Vtg(v) => {
                if v.valid {
                    self.speed_mps_vtg = v.speed_mps;
                    self.course_vtg = v.course_deg;
                }
            }
            Sentence::Gll(g) => {
                if g.valid {
                    self.pos_gll = g.pos;
                } else {
                    self.denied = true;
                }
            }
            Sentence::Gns(g) => {
                if g.valid {
                    self.pos_gns = g.pos;
                    self.alt_msl_m = self.alt_msl_m.or(g.alt_msl_m);
                    self.geoid_sep_m = self.geoid_sep_m.or(g.geoid_sep_m);
                    self.gga_hdop = self.gga_hdop.or(g.hdop);
                    self.gga_sats = self.gga_sats.or(g.sats);
                    self.quality = self.quality.or(g.quality);
                } else {
                    self.denied = true;
                }
            }
            Sentence::Zda(z) => self.date = self.date.or(z.date),
        }
    }

    /// The fix this epoch describes, if it has a time and a position and nothing denied it.
    fn fix(&self, date: Option<Date>) -> Option<Fix> {
        let tod_ms = self.tod_ms?;
        if self.denied {
            return None;
        }
        let pos = self
            .pos_gga
            .or(self.pos_gns)
            .or(self.pos_rmc)
            .or(self.pos_gll)?;
        let fix = match self.gsa_mode {
            Some(3) => FixMode::ThreeD,
            Some(_) => FixMode::TwoD,
            None if self.alt_msl_m.is_some() => FixMode::ThreeD,
            None => FixMode::TwoD,
        };
        Some(Fix {
            time_ms: date.map(|d| epoch_ms(d, tod_ms)),
            pos,
            ele_m: self.alt_msl_m,
            geoid_sep_m: self.geoid_sep_m,
            speed_mps: self
                .speed_kn_rmc
                .map(|k| k * MPS_PER_KNOT)
                .or(self.speed_mps_vtg),
            course_deg: self.course_rmc.or(self.course_vtg),
            fix,
            quality: self.quality,
            hdop: self.gga_hdop.or(self.gsa_hdop),
            sats: self.gsa_sats.filter(|&n| n > 0).or(self.gga_sats),
        })
    }
}

/// Merges the sentences of one epoch (same UTC time) into one [`Fix`].
///
/// An epoch ends when a sentence with another time arrives; then its fix is emitted. To avoid
/// a one-epoch delay on live receivers, the assembler also learns which sentence type ends an
/// epoch (the same last type twice in a row) and emits as soon as that type arrives.
/// Sentences without a time (GSA, VTG) belong to the current epoch.
/// The date comes from the epoch's RMC or ZDA, else the last date seen (advanced by a day when
/// the time of day wraps past midnight).
#[derive(Debug, Default)]
pub struct FixAssembler {
    epoch: Epoch,
    stats: NmeaStats,
    last_date: Option<(Date, TodMs)>,
    ender_candidate: Option<SentenceType>,
    ender: Option<SentenceType>,
}

impl FixAssembler {
    /// A fresh assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters so far.
    pub fn stats(&self) -> NmeaStats {
        self.stats
    }

    /// Parses and merges one line; returns a fix when an epoch completes.
    pub fn push_line(&mut self, line: &[u8]) -> Option<Fix> {
        self.push_parsed(parse_line(line))
    }

    /// Counts and merges an already classified line; returns a fix when an epoch completes.
    pub fn push_parsed(&mut self, line: Line) -> Option<Fix> {
        match line {
            Line::Blank => None,
            Line::Ignored => {
                self.stats.ignored += 1;
                None
            }
            Line::Bad(_) => {
                self.stats.bad_lines += 1;
                None
            }
            Line::Sentence(s) => self.push_sentence(&s),
        }
    }

    /// Merges one parsed sentence; returns a fix when an epoch completes.
    pub fn push_sentence(&mut self, s: &Sentence) -> Option<Fix> {
        self.stats.sentences += 1;
        let mut out = None;
        if let Some(t) = s.time_field()
            && t != self.epoch.tod_ms
        {
            out = self.close_epoch();
            self.epoch = Epoch::new(t);
        }
        self.epoch.merge(s);
        if out.is_none() && self.ender == Some(s.kind()) && !self.epoch.emitted {
            self.epoch.emitted = true;
            out = self.emit();
        }
        out
    }

    /// Ends the current epoch (end of input); returns its fix if it was not yet emitted.
    pub fn finish(&mut self) -> Option<Fix> {
        let out = self.close_epoch();
        self.epoch = Epoch::default();
        out
    }

    fn close_epoch(&mut self) -> Option<Fix> {
        if self.epoch.tod_ms.is_some() {
            let last = self.epoch.last_type;
            if last.is_some() && last == self.ender_candidate {
                self.ender = last;
            } else if self.ender.is_some() && last != self.ender {
                // The pattern changed (a section cut, another receiver): stop early emission.
                self.ender = None;
            }
            self.ender_candidate = last;
        }
        if self.epoch.emitted {
            return None;
        }
        self.epoch.emitted = true;
        self.emit()
    }

    fn emit(&mut self) -> Option<Fix> {
        let tod = self.epoch.tod_ms?;
        let date = match (self.epoch.date, self.last_date) {
            (Some(d), _) => Some(d),
            (None, Some((d, last_tod))) if tod + 12 * 3_600_000 < last_tod => next_day(d),
            (None, Some((d, _))) => Some(d),
            (None, None) => None,
        };
        if let Some(d) = date {
            self.last_date = Some((d, tod));
        }
        let fix = self.epoch.fix(date)?;
        self.stats.fixes += 1;
        Some(fix)
    }

    /// Counts a line the caller rejected before parsing (e.g. overlong in a splitter).
    pub fn count_bad_line(&mut self) {
        self.stats.bad_lines += 1;
    }
}

fn next_day(d: Date) -> Option<Date> {
    let days = d.days_since_epoch() + 1;
    let t = time::OffsetDateTime::from_unix_timestamp(days.checked_mul(86_400)?).ok()?;
    Some(Date {
        year: t.year(),
        month: u32::from(u8::from(t.month())),
        day: u32::from(t.day()),
    })
}

/// Decodes a whole NMEA text (e.g. a log) into fixes, skipping `#` comment lines.
pub fn decode_all(text: &[u8]) -> (Vec<Fix>, NmeaStats) {
    let mut asm = FixAssembler::new();
    let mut fixes = Vec::new();
    let mut split = LineSplitter::new();
    let mut on_line = |line: &[u8]| {
        if line.first() == Some(&b'#') {
            return;
        }
        fixes.extend(asm.push_line(line));
    };
    split.push(text, &mut on_line);
    split.finish(&mut on_line);
    fixes.extend(asm.finish());
    (fixes, asm.stats())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wraps a sentence body (between `$` and `*`) with a correct checksum.
    fn nmea(body: &str) -> String {
        let sum = body.bytes().fold(0u8, |c, b| c ^ b);
        format!("${body}*{sum:02X}")
    }

    fn sentence(line: &str) -> Sentence {
        match parse_line(line.as_bytes()) {
            Line::Sentence(s) => s,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn check_bad(line: &[u8], why: BadLine) {
        assert_eq!(
            parse_line(line),
            Line::Bad(why),
            "{}",
            String::from_utf8_lossy(line)
        );
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn real_nmea41_rmc_with_nav_status_parses() {
        let Sentence::Rmc(r) =
            sentence("$GNRMC,091503.000,A,4813.0509,N,00824.8699,E,6.56,175.87,101015,,,A,V*0B")
        else {
            panic!()
        };
        assert!(r.valid);
        assert_eq!(r.tod_ms, Some((9 * 3600 + 15 * 60 + 3) * 1000));
        let p = r.pos.unwrap();
        assert!(close(p.lat, 48.217515, 1e-9) && close(p.lon, 8.4144983333, 1e-9));
        assert_eq!(r.speed_kn, Some(6.56));
        assert_eq!(
            r.date,
            Some(Date {
                year: 2015,
                month: 10,
                day: 10
            })
        );
    }

    #[test]
    fn any_talker_is_accepted() {
        for talker in ["GP", "GN", "GL", "GA", "GB", "BD", "QZ"] {
            let line = nmea(&format!(
                "{talker}GLL,4813.0535,N,00824.8697,E,091232.000,A,A"
            ));
            assert!(
                matches!(sentence(&line), Sentence::Gll(g) if g.valid),
                "{talker}"
            );
        }
    }

    #[test]
    fn southern_and_western_hemispheres_are_negative() {
        let Sentence::Gga(g) =
            sentence("$GPGGA,113258,3238.9148,N,10822.4466,W,2,08,1.1,1577.4,M,-24.6,M,,*4D")
        else {
            panic!()
        };
        let p = g.pos.unwrap();
        assert!(close(p.lat, 32.64858, 1e-9) && close(p.lon, -108.37411, 1e-9));
        assert_eq!(g.geoid_sep_m, Some(-24.6));
        let line = nmea("GPGLL,3345.000,S,07030.000,W,120000,A,A");
        let Sentence::Gll(g) = sentence(&line) else {
            panic!()
        };
        assert_eq!(g.pos, Some(LatLon::new(-33.75, -70.5)));
    }

    #[test]
    fn wrong_checksum_is_bad() {
        check_bad(b"$GPRMC,,V,,,,,,,,,,N*54", BadLine::ChecksumMismatch);
    }

    #[test]
    fn missing_checksum_is_bad() {
        check_bad(b"$GPRMC,,V,,,,,,,,,,N", BadLine::MissingChecksum);
        check_bad(b"$GPRMC,,V,,,,,,,,,,N*5", BadLine::MissingChecksum);
    }

    #[test]
    fn fragment_without_dollar_is_bad() {
        check_bad(
            b"blah7.000,A,5103.6616,N,11407.4451,W,0.63,333.96,261012,,,A*7D",
            BadLine::NoStart,
        );
    }

    #[test]
    fn overlong_and_binary_lines_are_bad() {
        let long = nmea(&format!("GPTXT,{}", "X".repeat(120)));
        check_bad(long.as_bytes(), BadLine::Overlong);
        check_bad(b"$GPRMC,\xb5\x62\x01*00", BadLine::NotAscii);
    }

    #[test]
    fn two_sentences_run_together_are_bad() {
        check_bad(b"$GPGGA,1234$GPRMC,,V,,,,,,,,,,N*53", BadLine::Malformed);
    }

    #[test]
    fn non_numeric_fields_are_malformed() {
        check_bad(
            nmea("GPGGA,120000,4807.038,N,01131.000,E,1,08,inf,545.4,M,,M,,").as_bytes(),
            BadLine::Malformed,
        );
        check_bad(
            nmea("GPGGA,126000,4807.038,N,01131.000,E,1,08,0.9,545.4,M,,M,,").as_bytes(),
            BadLine::Malformed,
        );
        check_bad(
            nmea("GPGGA,120000,4807.038,X,01131.000,E,1,08,0.9,545.4,M,,M,,").as_bytes(),
            BadLine::Malformed,
        );
    }

    #[test]
    fn proprietary_and_unsupported_are_ignored() {
        assert_eq!(parse_line(b"$PGRME,7.6,M,41.7,M,42.4,M*2F"), Line::Ignored);
        assert_eq!(parse_line(b"$GPGSV,1,1,00*79"), Line::Ignored);
        assert_eq!(
            parse_line(b"$GPTXT,01,01,02,ANTSTATUS=OK*3B"),
            Line::Ignored
        );
    }

    #[test]
    fn blank_lines_are_not_counted() {
        assert_eq!(parse_line(b"\r\n"), Line::Blank);
        assert_eq!(parse_line(b""), Line::Blank);
    }

    #[test]
    fn no_fix_sentences_parse_but_say_invalid() {
        assert!(
            matches!(sentence("$GPRMC,,V,,,,,,,,,,N*53"), Sentence::Rmc(r) if !r.valid && r.pos.is_none())
        );
        assert!(
            matches!(sentence("$GPGGA,,,,,,0,00,99.99,,,,,,*48"), Sentence::Gga(g) if g.quality_code == 0)
        );
        assert!(
            matches!(sentence("$GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99*30"), Sentence::Gsa(g) if g.mode == 1)
        );
        assert!(matches!(sentence("$GPGLL,,,,,,V,N*64"), Sentence::Gll(g) if !g.valid));
    }

    #[test]
    fn gns_mode_letters_decide_validity() {
        let body = |mode: &str| {
            nmea(&format!(
                "GNGNS,120000.00,4807.038,N,01131.000,E,{mode},10,0.9,545.4,47.0,,"
            ))
        };
        assert!(matches!(sentence(&body("AN")), Sentence::Gns(g) if g.valid));
        assert!(matches!(sentence(&body("NN")), Sentence::Gns(g) if !g.valid));
        assert!(
            matches!(sentence(&body("DA")), Sentence::Gns(g) if g.quality == Some(FixQuality::Dgps))
        );
    }

    #[test]
    fn vtg_old_and_new_forms() {
        let Sentence::Vtg(v) = sentence("$GNVTG,175.87,T,,M,6.56,N,12.1,K,A*28") else {
            panic!()
        };
        assert!(close(v.speed_mps.unwrap(), 6.56 * MPS_PER_KNOT, 1e-9));
        let Sentence::Vtg(v) = sentence(&nmea("GPVTG,054.7,034.4,005.5,010.2")) else {
            panic!()
        };
        assert_eq!(v.course_deg, Some(54.7));
        assert!(matches!(sentence("$GPVTG,,,,,,,,,N*30"), Sentence::Vtg(v) if !v.valid));
    }

    #[test]
    fn time_fraction_is_milliseconds() {
        assert_eq!(tod("152505.50"), Ok(Some(55_505_500)));
        assert_eq!(tod("000000"), Ok(Some(0)));
        assert_eq!(tod("235960.999"), Ok(Some(86_400_999)));
        assert!(tod("2400000").is_err());
        assert!(tod("12:00:00").is_err());
    }

    #[test]
    fn days_since_epoch_matches_known_dates() {
        assert_eq!(
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
            .days_since_epoch(),
            0
        );
        assert_eq!(
            Date {
                year: 2015,
                month: 10,
                day: 10
            }
            .days_since_epoch(),
            16_718
        );
        assert_eq!(
            Date {
                year: 2000,
                month: 3,
                day: 1
            }
            .days_since_epoch(),
            11_017
        );
    }

    fn feed(lines: &[String]) -> (Vec<Fix>, NmeaStats) {
        decode_all(lines.join("\r\n").as_bytes())
    }

    fn epoch(tod: &str, lat: &str, status: &str) -> Vec<String> {
        vec![
            nmea(&format!(
                "GPRMC,{tod},{status},{lat},N,00824.8697,E,5.0,90.0,101015,,,A"
            )),
            nmea(&format!(
                "GPGGA,{tod},{lat},N,00824.8697,E,1,08,0.9,100.0,M,47.0,M,,"
            )),
            nmea("GPGSA,A,3,01,02,03,04,05,,,,,,,,1.5,0.9,1.2"),
        ]
    }

    #[test]
    fn one_fix_per_epoch_with_all_fields() {
        let mut lines = epoch("091232.000", "4813.0535", "A");
        lines.extend(epoch("091233.000", "4813.0536", "A"));
        let (fixes, stats) = feed(&lines);
        assert_eq!(fixes.len(), 2);
        let f = fixes[0];
        assert_eq!(
            f.time_ms,
            Some(epoch_ms(
                Date {
                    year: 2015,
                    month: 10,
                    day: 10
                },
                33_152_000
            ))
        );
        assert_eq!(f.fix, FixMode::ThreeD);
        assert_eq!(f.hdop, Some(0.9));
        assert_eq!(f.sats, Some(5));
        assert_eq!(f.ele_m, Some(100.0));
        assert!(close(f.speed_mps.unwrap(), 5.0 * MPS_PER_KNOT, 1e-9));
        assert_eq!(f.course_deg, Some(90.0));
        assert_eq!(f.quality, Some(FixQuality::Gps));
        assert_eq!(
            stats,
            NmeaStats {
                sentences: 6,
                fixes: 2,
                bad_lines: 0,
                ignored: 0
            }
        );
    }

    #[test]
    fn rmc_void_means_no_fix() {
        let lines = vec![nmea(
            "GPRMC,091232.000,V,4813.0535,N,00824.8697,E,5.0,90.0,101015,,,N",
        )];
        assert!(feed(&lines).0.is_empty());
    }

    #[test]
    fn gga_quality_zero_suppresses_the_epoch() {
        let mut lines = epoch("091232.000", "4813.0535", "A");
        lines[1] = nmea("GPGGA,091232.000,4813.0535,N,00824.8697,E,0,08,0.9,100.0,M,47.0,M,,");
        assert!(feed(&lines).0.is_empty());
    }

    #[test]
    fn gsa_mode_one_suppresses_the_epoch() {
        let mut lines = epoch("091232.000", "4813.0535", "A");
        lines[2] = nmea("GPGSA,A,1,,,,,,,,,,,,,99.9,99.9,99.9");
        assert!(feed(&lines).0.is_empty());
    }

    #[test]
    fn gga_only_stream_has_no_date_until_rmc() {
        let lines = vec![
            nmea("GPGGA,235959.000,4813.0535,N,00824.8697,E,1,08,0.9,100.0,M,47.0,M,,"),
            nmea("GPRMC,000000.000,A,4813.0535,N,00824.8697,E,0,0,020115,,,A"),
            nmea("GPGGA,000001.000,4813.0535,N,00824.8697,E,1,08,0.9,100.0,M,47.0,M,,"),
        ];
        let (fixes, _) = feed(&lines);
        assert_eq!(fixes.len(), 3);
        assert_eq!(fixes[0].time_ms, None);
        let d = Date {
            year: 2015,
            month: 1,
            day: 2,
        };
        assert_eq!(fixes[1].time_ms, Some(epoch_ms(d, 0)));
        assert_eq!(fixes[2].time_ms, Some(epoch_ms(d, 1000)));
    }

    #[test]
    fn midnight_wrap_advances_the_remembered_date() {
        let lines = vec![
            nmea("GPRMC,235959.000,A,4813.0535,N,00824.8697,E,0,0,311215,,,A"),
            nmea("GPGGA,000000.000,4813.0535,N,00824.8697,E,1,08,0.9,100.0,M,47.0,M,,"),
        ];
        let (fixes, _) = feed(&lines);
        let d = Date {
            year: 2016,
            month: 1,
            day: 1,
        };
        assert_eq!(fixes[1].time_ms, Some(epoch_ms(d, 0)));
    }

    #[test]
    fn learned_epoch_end_emits_without_waiting_for_the_next_epoch() {
        let mut asm = FixAssembler::new();
        let mut emitted_on = Vec::new();
        for (i, tod) in ["100000", "100001", "100002", "100003"].iter().enumerate() {
            for (j, line) in epoch(tod, "4813.0535", "A").iter().enumerate() {
                if asm.push_line(line.as_bytes()).is_some() {
                    emitted_on.push((i, j));
                }
            }
        }
        // Epochs 0 and 1 are emitted when the next one starts; after two epochs ending in
        // GSA, epochs 2 and 3 are emitted on their own GSA (index 2).
        assert_eq!(emitted_on, vec![(1, 0), (2, 0), (2, 2), (3, 2)]);
        assert_eq!(asm.finish(), None, "epoch 3 was already emitted");
        assert_eq!(asm.stats().fixes, 4);
    }

    #[test]
    fn splitter_handles_mixed_line_ends_and_caps_length() {
        let mut lines = Vec::new();
        let mut s = LineSplitter::new();
        s.push(b"a\r\nb\nc\rd", |l| lines.push(l.to_vec()));
        s.push(&vec![b'x'; 5000], |l| lines.push(l.to_vec()));
        s.push(b"\n", |l| lines.push(l.to_vec()));
        s.finish(|l| lines.push(l.to_vec()));
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[3].len(),
            MAX_LINE_BUF + 1,
            "overlong line is truncated, not grown"
        );
        assert_eq!(parse_line(&lines[3]), Line::Bad(BadLine::Overlong));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_random_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = decode_all(&bytes);
        }

        #[test]
        fn never_panics_on_sentence_like_lines(
            talker in "[A-Z]{2}",
            kind in "(RMC|GGA|GSA|VTG|GLL|GNS|ZDA)",
            fields in proptest::collection::vec("[-+0-9.NSEWAVTMKD]{0,12}", 0..20),
        ) {
            // Correct checksums, so the field parsers see every field combination.
            let line = nmea(&format!("{talker}{kind},{}", fields.join(",")));
            let mut asm = FixAssembler::new();
            let _ = asm.push_line(line.as_bytes());
            let _ = asm.push_line(line.as_bytes());
            let _ = asm.finish();
        }
    }
}
