//! Reading coordinates as people type them: signed or lettered decimal degrees, degrees and
//! decimal minutes, degrees minutes seconds (with `°′″`, `º˚’”`, ASCII `' "` or `''`, or just
//! spaces), UTM with or without `E`/`N` suffixes, and MGRS with or without spaces. A datum
//! label (`WGS84`, `NAD 83`, `(NAD27)`, ...) before or after the text names the datum and
//! overrides the caller's default.

use crate::core::model::LatLon;

use super::{CoordError, CoordFormat, Datum, Mgrs, Utm, to_wgs84};

/// A parsed coordinate: the WGS84 position, the datum the text was in and the form it was in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parsed {
    /// The position, converted to WGS84.
    pub wgs84: LatLon,
    /// The datum the text was read in (its label, else the caller's default).
    pub datum: Datum,
    /// The form the text was written in (DD, DDM or DMS by the smallest unit given).
    pub format: CoordFormat,
}

/// Reads a coordinate written in `datum` (unless the text carries its own datum label) and
/// returns it in WGS84.
///
/// Latitude comes first unless hemisphere letters say otherwise. MGRS is read as the centre
/// of the square it names (so a 1 m reference is within 0.71 m of the point).
pub fn parse(text: &str, datum: Datum) -> Result<LatLon, CoordError> {
    parse_labeled(text, datum).map(|p| p.wgs84)
}

/// Like [`parse`], and also tells which datum and form the text was in.
pub fn parse_labeled(text: &str, datum: Datum) -> Result<Parsed, CoordError> {
    let unreadable = |reason: &str| CoordError::Unreadable {
        text: text.trim().to_string(),
        reason: reason.to_string(),
    };
    let upper: String = text.trim().chars().flat_map(char::to_uppercase).collect();
    let (body, label) = strip_datum_label(&upper);
    let body = strip_wrapping(body);
    let datum = label.unwrap_or(datum);
    if body.trim().is_empty() {
        return Err(unreadable("it is empty"));
    }
    let (local, format) = match parse_grid(body, datum, text.trim()) {
        Some(result) => result?,
        None => parse_lat_lon(body).map_err(|e| match e {
            Bad::Reason(r) => unreadable(&r),
            Bad::Coord(c) => c,
        })?,
    };
    Ok(Parsed {
        wgs84: to_wgs84(local, datum),
        datum,
        format,
    })
}

/// Removes a datum label at the start or end (optionally in parentheses).
fn strip_datum_label(s: &str) -> (&str, Option<Datum>) {
    const NAMES: [&str; 9] = [
        "WGS84", "WGS 84", "WGS-84", "NAD83", "NAD 83", "NAD-83", "NAD27", "NAD 27", "NAD-27",
    ];
    let s = s.trim();
    for name in NAMES {
        let datum = Datum::from_name(name);
        for (open, close) in [("(", ")"), ("[", "]"), ("", "")] {
            let tagged = format!("{open}{name}{close}");
            if let Some(rest) = s.strip_suffix(tagged.as_str()) {
                return (rest.trim_end().trim_end_matches(',').trim_end(), datum);
            }
            if let Some(rest) = s.strip_prefix(tagged.as_str()) {
                return (
                    rest.trim_start().trim_start_matches(':').trim_start(),
                    datum,
                );
            }
        }
    }
    (s, None)
}

/// Removes what pasted coordinates often carry: a `geo:` URI prefix and wrapping brackets.
fn strip_wrapping(s: &str) -> &str {
    let mut s = s.trim();
    // A leading form name, as in `UTM: 18T 582877 5033250`.
    for word in ["UTM", "MGRS"] {
        if let Some(rest) = s.strip_prefix(word)
            && rest.starts_with([':', ' '])
        {
            s = rest.trim_start_matches([':', ' ']);
        }
    }
    if let Some(rest) = s.strip_prefix("GEO:") {
        // `geo:lat,lon;u=...` (RFC 5870): drop the parameters.
        s = rest.split(';').next().unwrap_or(rest).trim();
    }
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let Some(inner) = s.strip_prefix(open).and_then(|r| r.strip_suffix(close)) {
            s = inner.trim();
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// UTM and MGRS

/// A tiny cursor over ASCII-uppercased text.
struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while self.chars.peek().is_some_and(|c| c.is_whitespace()) {
            self.chars.next();
        }
    }

    fn digits(&mut self) -> String {
        let mut out = String::new();
        while let Some(&c) = self.chars.peek() {
            if c.is_ascii_digit() {
                out.push(c);
                self.chars.next();
            } else {
                break;
            }
        }
        out
    }

    /// A number with an optional fractional part.
    fn number(&mut self) -> String {
        let mut out = self.digits();
        if self.chars.peek() == Some(&'.') {
            self.chars.next();
            out.push('.');
            out.push_str(&self.digits());
        }
        out
    }

    fn letter(&mut self) -> Option<char> {
        let c = *self.chars.peek()?;
        if c.is_ascii_alphabetic() {
            self.chars.next();
            Some(c)
        } else {
            None
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.chars.peek() == Some(&c) {
            self.chars.next();
            true
        } else {
            false
        }
    }

    fn at_end(&mut self) -> bool {
        self.chars.peek().is_none()
    }
}

/// Reads UTM or MGRS. `None` when the text does not have their shape (so it may be latitude
/// and longitude); `Some(Err)` when it has the shape but wrong values.
fn parse_grid(
    s: &str,
    datum: Datum,
    text: &str,
) -> Option<Result<(LatLon, CoordFormat), CoordError>> {
    let mut cur = Cursor {
        chars: s.chars().peekable(),
    };
    cur.skip_ws();
    let zone_text = cur.digits();
    if zone_text.is_empty() {
        return parse_ups_shape(s);
    }
    if zone_text.len() > 2 {
        return None;
    }
    cur.skip_ws();
    let letter = cur.letter()?;
    cur.skip_ws();
    let zone: u32 = zone_text.parse().ok()?;
    let ell = datum.ellipsoid();
    // MGRS has the two square letters next (`10TFP...`, `10T FP ...`); UTM may instead be
    // written with prefixed axes, `18T E 582877 N 5033250`.
    let mut axis_prefixes = false;
    if let Some(column) = cur.letter() {
        match cur.letter() {
            Some(row) => {
                let mut groups = Vec::new();
                loop {
                    cur.skip_ws();
                    if cur.at_end() {
                        break;
                    }
                    let g = cur.digits();
                    if g.is_empty() {
                        return None;
                    }
                    groups.push(g);
                }
                return Some(mgrs_from_parts(
                    zone, letter, column, row, &groups, datum, text,
                ));
            }
            None if column == 'E' => axis_prefixes = true,
            None => return None,
        }
        cur.skip_ws();
    }
    // UTM: easting [E|mE] northing [N|mN].
    let easting = cur.number();
    if easting
        .split('.')
        .next()
        .is_none_or(|whole| whole.len() < 5)
    {
        return None;
    }
    let _ = cur.eat('M');
    let _ = cur.eat('E');
    cur.skip_ws();
    let _ = cur.eat(',');
    cur.skip_ws();
    if axis_prefixes && cur.eat('N') {
        cur.skip_ws();
    }
    let northing = cur.number();
    if northing.is_empty() {
        return cur.at_end().then(|| {
            Err(CoordError::Unreadable {
                text: text.to_string(),
                reason: "UTM needs an easting and a northing".to_string(),
            })
        });
    }
    let _ = cur.eat('M');
    let _ = cur.eat('N');
    cur.skip_ws();
    if !cur.at_end() {
        return None;
    }
    let (Ok(e), Ok(n)) = (easting.parse::<f64>(), northing.parse::<f64>()) else {
        return None;
    };
    Some(Utm::from_parts(zone, letter, e, n, &ell).map(|u| (u.to_latlon(&ell), CoordFormat::Utm)))
}

/// Polar MGRS (`ZAG 52065 46829`) has no zone number; say plainly that it is not supported.
fn parse_ups_shape(s: &str) -> Option<Result<(LatLon, CoordFormat), CoordError>> {
    let compact: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    let is_ups = matches!(compact.first(), Some('A' | 'B' | 'Y' | 'Z'))
        && compact
            .get(1..3)
            .is_some_and(|l| l.iter().all(char::is_ascii_alphabetic))
        && compact
            .get(3..)
            .is_some_and(|d| d.iter().all(char::is_ascii_digit));
    is_ups.then(|| {
        let lat_deg = if matches!(compact.first(), Some('A' | 'B')) {
            -90.0
        } else {
            90.0
        };
        Err(CoordError::OutsideUtm { lat_deg })
    })
}

fn mgrs_from_parts(
    zone: u32,
    band: char,
    column: char,
    row: char,
    groups: &[String],
    datum: Datum,
    text: &str,
) -> Result<(LatLon, CoordFormat), CoordError> {
    let unreadable = |reason: &str| CoordError::Unreadable {
        text: text.to_string(),
        reason: reason.to_string(),
    };
    let (e_text, n_text) = match groups {
        [] => ("", ""),
        [both] if both.len() % 2 == 0 => both.split_at(both.len() / 2),
        [e, n] if e.len() == n.len() => (e.as_str(), n.as_str()),
        [_] => {
            return Err(unreadable(
                "MGRS needs an even number of digits (easting then northing)",
            ));
        }
        [_, _] => {
            return Err(unreadable(
                "MGRS easting and northing need the same number of digits",
            ));
        }
        _ => return Err(unreadable("MGRS has at most two groups of digits")),
    };
    if e_text.len() > 5 {
        return Err(unreadable(
            "MGRS has at most 5 digits each for easting and northing",
        ));
    }
    let zone = u8::try_from(zone).map_err(|_| CoordError::Zone(zone))?;
    // Each digit fewer is a square 10x larger; read it as its centre.
    let digits = i32::try_from(e_text.len()).unwrap_or(5);
    let cell_m = 10f64.powi(5 - digits);
    let read = |t: &str| {
        if t.is_empty() {
            Ok(0.0)
        } else {
            t.parse::<f64>().map_err(|_| unreadable("bad digits"))
        }
    };
    let easting_m = read(e_text)? * cell_m + cell_m / 2.0;
    let northing_m = read(n_text)? * cell_m + cell_m / 2.0;
    let ell = datum.ellipsoid();
    let mgrs = Mgrs {
        zone,
        band,
        column,
        row,
        easting_m,
        northing_m,
    };
    let utm = mgrs.to_utm(&ell, datum.mgrs_lettering())?;
    Ok((utm.to_latlon(&ell), CoordFormat::Mgrs))
}

// ---------------------------------------------------------------------------------------------
// Latitude and longitude

/// A parse failure: either a specific coordinate error or a reason the text is unreadable.
enum Bad {
    Reason(String),
    Coord(CoordError),
}

fn bad(reason: impl Into<String>) -> Bad {
    Bad::Reason(reason.into())
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A number; `negative` when written with a minus sign, `fraction` when it has decimals.
    Num {
        value: f64,
        negative: bool,
        fraction: bool,
    },
    /// Degree, minute or second marker (slot 0, 1, 2).
    Unit(usize),
    /// N, S, E or W.
    Hemi(char),
    /// `,` or `;` between latitude and longitude.
    Sep,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, Bad> {
    let mut toks = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '-' | '−' | '+' | '0'..='9' | '.' => {
                let negative = c == '-' || c == '−';
                let mut j = if matches!(c, '-' | '−' | '+') {
                    i + 1
                } else {
                    i
                };
                let start = j;
                while chars
                    .get(j)
                    .is_some_and(|d| d.is_ascii_digit() || *d == '.')
                {
                    j += 1;
                }
                let digits: String = chars.get(start..j).unwrap_or_default().iter().collect();
                let value: f64 = digits.parse().map_err(|_| {
                    bad(format!(
                        "'{}' is not a number",
                        if digits.is_empty() {
                            c.to_string()
                        } else {
                            digits.clone()
                        }
                    ))
                })?;
                toks.push(Tok::Num {
                    value,
                    negative,
                    fraction: digits.contains('.'),
                });
                i = j;
            }
            '°' | 'º' | '˚' => {
                toks.push(Tok::Unit(0));
                i += 1;
            }
            // `d` or `deg` right after a number (ASCII for the degree sign).
            'D' if matches!(toks.last(), Some(Tok::Num { .. })) => {
                toks.push(Tok::Unit(0));
                i += if next == Some('E') && chars.get(i + 2) == Some(&'G') {
                    3
                } else {
                    1
                };
            }
            '\'' | '′' | '’' | '‘' | '`' | '´' => {
                // Two single quotes are a seconds mark.
                if matches!(next, Some('\'' | '′' | '’')) {
                    toks.push(Tok::Unit(2));
                    i += 2;
                } else {
                    toks.push(Tok::Unit(1));
                    i += 1;
                }
            }
            '"' | '″' | '”' | '“' => {
                toks.push(Tok::Unit(2));
                i += 1;
            }
            'N' | 'S' | 'E' | 'W' => {
                toks.push(Tok::Hemi(c));
                i += 1;
            }
            ',' | ';' => {
                toks.push(Tok::Sep);
                i += 1;
            }
            other => return Err(bad(format!("unexpected '{other}'"))),
        }
    }
    Ok(toks)
}

/// Splits the tokens into the two coordinates.
fn split_pair(toks: &[Tok]) -> Result<(&[Tok], &[Tok]), Bad> {
    let seps: Vec<usize> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| **t == Tok::Sep)
        .map(|(i, _)| i)
        .collect();
    match seps.as_slice() {
        [i] => {
            return Ok((
                toks.get(..*i).unwrap_or_default(),
                toks.get(i + 1..).unwrap_or_default(),
            ));
        }
        [] => {}
        _ => return Err(bad("more than one comma (use a dot for decimals)")),
    }
    let hemis: Vec<usize> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t, Tok::Hemi(_)))
        .map(|(i, _)| i)
        .collect();
    let at = |i: usize| {
        (
            toks.get(..i).unwrap_or_default(),
            toks.get(i..).unwrap_or_default(),
        )
    };
    if let (Some(&first), Some(&second)) = (hemis.first(), hemis.get(1)) {
        if hemis.len() > 2 {
            return Err(bad("more than two hemisphere letters"));
        }
        if first == 0 && second + 1 == toks.len() {
            // `N44.0582 121.3153W`: letters on the outside; the numbers split in half.
            let inner = toks.get(1..second).unwrap_or_default();
            let mid = 1 + split_numbers_in_half(inner)?;
            return Ok(at(mid));
        }
        // `N44 03.492 W121 18.918` (letters lead) or `44.0582N 121.3153W` (letters trail).
        return Ok(if first == 0 {
            at(second)
        } else {
            at(first + 1)
        });
    }
    if hemis.len() == 1 {
        return Err(bad(
            "a hemisphere letter on one coordinate only; give both or neither",
        ));
    }
    // No letters and no comma: split at the second degree mark, else into equal halves.
    let degree_marks: Vec<usize> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| **t == Tok::Unit(0))
        .map(|(i, _)| i)
        .collect();
    if let Some(&second) = degree_marks.get(1) {
        return Ok(at(second.saturating_sub(1)));
    }
    Ok(at(split_numbers_in_half(toks)?))
}

/// Index of the first number of the second half of the numbers in `toks` (2, 4 or 6 numbers:
/// `lat lon`, `d m d m`, `d m s d m s`).
fn split_numbers_in_half(toks: &[Tok]) -> Result<usize, Bad> {
    let numbers = toks.iter().filter(|t| matches!(t, Tok::Num { .. })).count();
    if numbers == 0 {
        return Err(bad("no numbers"));
    }
    if numbers == 1 {
        return Err(bad("only one number; give latitude and longitude"));
    }
    if numbers % 2 != 0 || numbers > 6 {
        return Err(bad(format!(
            "{numbers} numbers do not split into latitude and longitude"
        )));
    }
    let mut seen = 0;
    for (i, t) in toks.iter().enumerate() {
        if matches!(t, Tok::Num { .. }) {
            if seen == numbers / 2 {
                return Ok(i);
            }
            seen += 1;
        }
    }
    Err(bad("cannot split into latitude and longitude"))
}

/// One coordinate: signed degrees, its hemisphere letter if any, and its smallest unit.
struct Angle {
    deg: f64,
    hemi: Option<char>,
    smallest_unit: usize,
}

fn parse_angle(toks: &[Tok]) -> Result<Angle, Bad> {
    let mut hemi = None;
    let mut body = toks;
    if let Some((Tok::Hemi(h), rest)) = body.split_first() {
        hemi = Some(*h);
        body = rest;
    }
    if let Some((Tok::Hemi(h), rest)) = body.split_last() {
        if hemi.is_some() {
            return Err(bad("two hemisphere letters on one coordinate"));
        }
        hemi = Some(*h);
        body = rest;
    }
    let mut parts: [Option<(f64, bool)>; 3] = [None; 3];
    let mut negative = false;
    let mut slot: Option<usize> = None;
    let mut i = 0;
    while let Some(t) = body.get(i) {
        let Tok::Num {
            value,
            negative: neg,
            fraction,
        } = t
        else {
            return Err(match t {
                Tok::Hemi(h) => bad(format!("misplaced hemisphere letter '{h}'")),
                _ => bad("a unit mark without a number"),
            });
        };
        let explicit = match body.get(i + 1) {
            Some(Tok::Unit(u)) => {
                i += 1;
                Some(*u)
            }
            _ => None,
        };
        let this = match (explicit, slot) {
            (Some(u), Some(prev)) if u <= prev => {
                return Err(bad("degrees, minutes and seconds out of order"));
            }
            (Some(u), _) => u,
            (None, Some(prev)) => prev + 1,
            (None, None) => 0,
        };
        if this > 2 {
            return Err(bad("too many numbers for one coordinate"));
        }
        if this > 0 && *neg {
            return Err(bad("only the degrees may carry a minus sign"));
        }
        if this > 0 && slot.is_none() {
            return Err(bad("minutes or seconds without degrees"));
        }
        if slot.is_some_and(|prev| this > prev + 1) {
            return Err(bad("seconds without minutes"));
        }
        if let Some(prev) = slot
            && parts
                .get(prev)
                .copied()
                .flatten()
                .is_some_and(|(_, frac)| frac)
        {
            return Err(bad(
                "only the last number of a coordinate may have decimals",
            ));
        }
        negative |= *neg && this == 0;
        if let Some(p) = parts.get_mut(this) {
            *p = Some((*value, *fraction));
        }
        slot = Some(this);
        i += 1;
    }
    let Some(smallest_unit) = slot else {
        return Err(bad("a coordinate without a number"));
    };
    let [deg, min, sec] = parts.map(|p| p.map_or(0.0, |(v, _)| v));
    if min >= 60.0 {
        return Err(Bad::Coord(CoordError::Minutes(min)));
    }
    if sec >= 60.0 {
        return Err(Bad::Coord(CoordError::Seconds(sec)));
    }
    let magnitude = deg + min / 60.0 + sec / 3600.0;
    let sign = match (negative, hemi) {
        (true, Some(_)) => return Err(bad("both a minus sign and a hemisphere letter")),
        (true, None) | (false, Some('S' | 'W')) => -1.0,
        _ => 1.0,
    };
    Ok(Angle {
        deg: sign * magnitude,
        hemi,
        smallest_unit,
    })
}

fn parse_lat_lon(s: &str) -> Result<(LatLon, CoordFormat), Bad> {
    let toks = tokenize(s)?;
    let (a, b) = split_pair(&toks)?;
    let (a, b) = (parse_angle(a)?, parse_angle(b)?);
    let is_lat = |h: Option<char>| matches!(h, Some('N' | 'S'));
    let is_lon = |h: Option<char>| matches!(h, Some('E' | 'W'));
    let (lat, lon) = match (a.hemi, b.hemi) {
        (x, y) if is_lat(x) && is_lat(y) => {
            return Err(bad("two latitudes (N/S) and no longitude"));
        }
        (x, y) if is_lon(x) && is_lon(y) => {
            return Err(bad("two longitudes (E/W) and no latitude"));
        }
        (x, _) if is_lon(x) => (b.deg, a.deg),
        (_, y) if is_lat(y) => (b.deg, a.deg),
        _ => (a.deg, b.deg),
    };
    if !(-90.0..=90.0).contains(&lat) {
        return Err(Bad::Coord(CoordError::Latitude(lat)));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(Bad::Coord(CoordError::Longitude(lon)));
    }
    let format = match a.smallest_unit.max(b.smallest_unit) {
        0 => CoordFormat::Dd,
        1 => CoordFormat::Ddm,
        _ => CoordFormat::Dms,
    };
    Ok((LatLon::new(lat, lon), format))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::coords::from_wgs84;
    use crate::core::geodesy::distance_m;

    const BEND: LatLon = LatLon::new(44.0582, -121.3153);

    /// Parses `text` as WGS84 and checks it lands within `tol_m` of `want`.
    fn check(text: &str, want: LatLon, tol_m: f64) {
        match parse(text, Datum::Wgs84) {
            Ok(got) => {
                let d = distance_m(got, want);
                assert!(d <= tol_m, "'{text}' -> {got:?}, {d:.2} m from {want:?}");
            }
            Err(e) => panic!("'{text}' failed: {e}"),
        }
    }

    fn check_err(text: &str, needle: &str) {
        match parse(text, Datum::Wgs84) {
            Ok(p) => panic!("'{text}' parsed as {p:?}, expected an error containing '{needle}'"),
            Err(e) => assert!(
                e.to_string().contains(needle),
                "'{text}': '{e}' lacks '{needle}'"
            ),
        }
    }

    #[test]
    fn signed_decimal_degrees() {
        check("44.0582 -121.3153", BEND, 0.01);
        check("44.0582, -121.3153", BEND, 0.01);
        check("44.0582,-121.3153", BEND, 0.01);
        check("  +44.0582 ; −121.3153 ", BEND, 0.01);
    }

    #[test]
    fn lettered_decimal_degrees() {
        check("44.0582N 121.3153W", BEND, 0.01);
        check("44.0582° N, 121.3153° W", BEND, 0.01);
        check("N44.0582 W121.3153", BEND, 0.01);
        check("n 44.0582 w 121.3153", BEND, 0.01);
        check("121.3153W 44.0582N", BEND, 0.01);
        check("N44.0582 121.3153W", BEND, 0.01);
        check("N44 03.492 121 18.918W", BEND, 0.01);
    }

    #[test]
    fn degrees_decimal_minutes() {
        check("N44 03.492 W121 18.918", BEND, 0.01);
        check("N 44° 03.492' W 121° 18.918'", BEND, 0.01);
        check("N44°03.492′ W121°18.918′", BEND, 0.01);
        check("44 03.492 -121 18.918", BEND, 0.01);
        check("44°03.492'N, 121°18.918'W", BEND, 0.01);
    }

    #[test]
    fn degrees_minutes_seconds() {
        check("44°3'29.5\"N 121°18'55.1\"W", BEND, 2.0);
        check("44°3′29.5″N 121°18′55.1″W", BEND, 2.0);
        check("44º3’29.5”N 121º18’55.1”W", BEND, 2.0);
        check("44 3 29.52 -121 18 55.08", BEND, 0.1);
        check("44d3'29.52'' N 121d18'55.08'' W", BEND, 0.1);
        check("N44°03'29.5\" W121°18'55.1\"", BEND, 2.0);
    }

    #[test]
    fn utm() {
        // 10T 634938E 4879717N is Bend, 44.0582 -121.3153 (see coords tests).
        check("10T 634938 4879717", BEND, 1.0);
        check("10 T 634938E 4879717N", BEND, 1.0);
        check("10T 634938mE 4879717mN", BEND, 1.0);
        check("10t 634938 4879717 WGS84", BEND, 1.0);
        // Hemisphere letter instead of band (chrisveness/geodesy test values).
        check(
            "56 S 334873.199 6252266.092",
            LatLon::new(-33.857, 151.215),
            0.01,
        );
        check(
            "31 N 448251.898 5411943.794",
            LatLon::new(48.8583, 2.2945),
            0.01,
        );
        // Axis letters in front, and a leading form name (as in geocache logs).
        check("10T E 634938 N 4879717", BEND, 1.0);
        check("UTM: 10T E634938 N4879717", BEND, 1.0);
        check("UTM 10T 0634938 4879717", BEND, 1.0);
        check("MGRS 10TFP 34937 79716", BEND, 1.0);
    }

    #[test]
    fn mgrs() {
        check("10TFP3493779716", BEND, 1.0);
        check("10TFP 34937 79716", BEND, 1.0);
        check("10T FP 34937 79716", BEND, 1.0);
        check("10 T FP 34937 79716", BEND, 1.0);
        // Lower precision reads as the centre of the square.
        check("10TFP 349 797", LatLon::new(44.0582, -121.3153), 80.0);
        // chrisveness/geodesy: 31U DQ 48251 11943 is the Eiffel tower, 48.8583 2.2945.
        check("31U DQ 48251 11943", LatLon::new(48.8583, 2.2945), 1.5);
    }

    // The forms listed in the coordinates issue, verbatim.
    #[test]
    fn every_form_from_the_issue_is_accepted() {
        let issue_point = LatLon::new(44.0582, -121.3153);
        for text in [
            "44.0582 -121.3153",
            "44.0582, -121.3153",
            "44.0582N 121.3153W",
            "N44 03.492 W121 18.918",
            "N 44° 03.492' W 121° 18.918'",
            "44°3'29.5\"N 121°18'55.1\"W",
        ] {
            check(text, issue_point, 2.0);
        }
        // 10T 601234 4879876 and 10TFP 01234 79876 name the same metre (AA lettering); the
        // issue's `EQ` square is a different, equally valid square 100 km west, 100 km north.
        let utm = parse("10T 601234 4879876", Datum::Wgs84).unwrap();
        for text in [
            "10 T 601234E 4879876N",
            "10TFP0123479876",
            "10T FP 01234 79876",
        ] {
            check(text, utm, 1.0);
        }
        for text in ["10TEQ0123479876", "10T EQ 01234 79876"] {
            check(
                text,
                parse("10T 501234 4979876", Datum::Wgs84).unwrap(),
                1.0,
            );
        }
    }

    #[test]
    fn pasted_wrappers_are_ignored() {
        check("(44.0582, -121.3153)", BEND, 0.01);
        check("[44.0582, -121.3153]", BEND, 0.01);
        check("geo:44.0582,-121.3153;u=35", BEND, 0.01);
    }

    #[test]
    fn datum_labels_override_the_default() {
        let nad27 = parse("44.0582 -121.3153 NAD27", Datum::Wgs84).unwrap();
        let direct = parse("44.0582 -121.3153", Datum::Nad27).unwrap();
        assert_eq!(nad27, direct);
        assert!(
            distance_m(nad27, BEND) > 50.0,
            "NAD27 is ~100 m off WGS84 in Oregon"
        );
        let labelled = parse_labeled("(NAD 83) 44.0582 -121.3153", Datum::Nad27).unwrap();
        assert_eq!(labelled.datum, Datum::Nad83);
    }

    #[test]
    fn nad27_utm_uses_clarke_1866() {
        // A NAD27 UTM coordinate read back gives the same NAD27 position it was made from.
        let p27 = from_wgs84(BEND, Datum::Nad27);
        let ell = Datum::Nad27.ellipsoid();
        let u = Utm::from_latlon(p27, &ell).unwrap();
        let text = format!(
            "{} {} {} NAD27",
            u.zone,
            u.band,
            format_args!("{:.3} {:.3}", u.easting_m, u.northing_m)
        );
        check(&text, BEND, 0.01);
    }

    #[test]
    fn reports_the_form() {
        let f = |t| parse_labeled(t, Datum::Wgs84).unwrap().format;
        assert_eq!(f("44.0582 -121.3153"), CoordFormat::Dd);
        assert_eq!(f("N44 03.492 W121 18.918"), CoordFormat::Ddm);
        assert_eq!(f("44°3'29.5\"N 121°18'55.1\"W"), CoordFormat::Dms);
        assert_eq!(f("10T 634938 4879717"), CoordFormat::Utm);
        assert_eq!(f("10TFP3493779716"), CoordFormat::Mgrs);
    }

    #[test]
    fn out_of_range_values_are_named() {
        check_err("95 10", "latitude 95 is out of range");
        check_err("45 190", "longitude 190 is out of range");
        check_err("N44 75.5 W121 18.9", "minutes must be below 60");
        check_err("44 3 75 -121 18 55", "seconds must be below 60");
        check_err("61T 634938 4879717", "UTM zone 61 does not exist");
        check_err("10T 34938 4879717", "easting 34938 m is outside");
        check_err("10C 634938 4879717", "not in latitude band C");
        check_err("10TFW 34937 79716", "MGRS square FW does not exist");
        check_err("ZAG 52065 46829", "UPS");
    }

    #[test]
    fn garbage_says_what_was_expected() {
        check_err("Cambridge", "cannot read 'Cambridge' as a coordinate");
        check_err("Cambridge", "expected e.g.");
        check_err("", "empty");
        check_err("44.0582", "only one number");
        check_err("44.0582N", "hemisphere letter on one coordinate only");
        check_err("44N 45S", "two latitudes");
        check_err("-44.05N 121W", "both a minus sign and a hemisphere");
        check_err("44.5 30 -121 18", "only the last number");
        check_err("44,0582 -121,3153", "more than one comma");
        check_err("10TFP 3493 79716", "same number of digits");
        check_err("10TFP 349377971", "even number of digits");
        check_err("44 3 29 10 -121 18 55 10", "8 numbers");
        check_err("44.0582 -121.3153 ED50", "unexpected 'D'");
        check_err("10T 634938", "UTM needs an easting and a northing");
    }
}
