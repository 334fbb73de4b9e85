//! Parsing GPX value text: ISO 8601 times to UTC milliseconds, and the civil-date arithmetic
//! the exporter shares. Not for XML structure (see `reader`).

use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime};

/// Parses an xsd:dateTime / ISO 8601 time (`2019-05-01T04:31:11Z`, fractional seconds,
/// `+02:00` offsets; no offset means UTC, as the `gpx` crate does) into UTC milliseconds since
/// the Unix epoch; sub-millisecond digits are truncated towards the past. `None` when the text
/// is not a time.
pub fn parse_time_ms(text: &str) -> Option<i64> {
    let s = text.trim();
    if let Some(ms) = fast_utc(s.as_bytes()) {
        return Some(ms);
    }
    let nanos = OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(s, &Iso8601::PARSING))
        .map(|t| t.unix_timestamp_nanos())
        .or_else(|_| {
            PrimitiveDateTime::parse(s, &Iso8601::PARSING)
                .map(|t| t.assume_utc().unix_timestamp_nanos())
        })
        .ok()?;
    i64::try_from(nanos.div_euclid(1_000_000)).ok()
}

/// The common `YYYY-MM-DDTHH:MM:SS[.f+]Z` form without any allocation; `None` for anything
/// else (the caller falls back to the `time` crate).
fn fast_utc(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b.last() != Some(&b'Z') {
        return None;
    }
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let mut v = 0i64;
        for &c in b.get(from..to)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, min, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let mut ms = 0i64;
    let rest = b.get(19..b.len() - 1)?;
    if let Some((&dot, frac)) = rest.split_first() {
        if dot != b'.' || frac.is_empty() || !frac.iter().all(u8::is_ascii_digit) {
            return None;
        }
        for i in 0..3 {
            ms = ms * 10 + frac.get(i).map_or(0, |c| i64::from(c - b'0'));
        }
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + min) * 60_000 + sec * 1000 + ms)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` of a day count since 1970-01-01 (inverse of
/// [`days_from_civil`]).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats UTC milliseconds as RFC 3339 (`2019-05-01T04:31:11Z`, with `.123` only when the
/// milliseconds are not zero). Years outside 0..=9999 are clamped to that range's format.
pub fn format_time_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, frac) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    if frac == 0 {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, want: Option<i64>) {
        assert_eq!(parse_time_ms(text), want, "{text:?}");
    }

    #[test]
    fn common_utc_form() {
        check("1970-01-01T00:00:00Z", Some(0));
        check("2019-05-01T04:31:11Z", Some(1_556_685_071_000));
        check(" 2019-05-01T04:31:11Z\n", Some(1_556_685_071_000));
    }

    #[test]
    fn fractional_seconds_truncate_to_ms() {
        check("2019-05-01T04:31:11.5Z", Some(1_556_685_071_500));
        check("2019-05-01T04:31:11.123456Z", Some(1_556_685_071_123));
        check("2019-05-01T04:31:11.999999Z", Some(1_556_685_071_999));
    }

    #[test]
    fn offsets_convert_to_utc() {
        check("2019-05-01T06:31:11+02:00", Some(1_556_685_071_000));
        check("2019-04-30T20:31:11.250-08:00", Some(1_556_685_071_250));
    }

    #[test]
    fn no_offset_means_utc() {
        check("2019-05-01T04:31:11", Some(1_556_685_071_000));
    }

    #[test]
    fn fast_path_agrees_with_time_crate() {
        for s in [
            "2000-02-29T23:59:59.001Z",
            "1969-12-31T23:59:59.999Z",
            "2100-03-01T00:00:00Z",
        ] {
            let slow = OffsetDateTime::parse(s, &Rfc3339)
                .map(|t| (t.unix_timestamp_nanos().div_euclid(1_000_000)) as i64)
                .ok();
            assert_eq!(fast_utc(s.as_bytes()), slow, "{s}");
        }
    }

    #[test]
    fn not_times() {
        check("", None);
        check("yesterday", None);
        check("2019-02-30T00:00:00Z", None);
        check("2019-05-01T24:00:00Z", None);
        check("2019-05-01T04:31:11.Z", None);
    }

    #[test]
    fn format_round_trips() {
        for ms in [0, 1_556_685_071_000, 1_556_685_071_123, -1, 951_868_799_001] {
            assert_eq!(parse_time_ms(&format_time_ms(ms)), Some(ms), "{ms}");
        }
        assert_eq!(format_time_ms(1_556_685_071_000), "2019-05-01T04:31:11Z");
        assert_eq!(
            format_time_ms(1_556_685_071_120),
            "2019-05-01T04:31:11.120Z"
        );
    }

    #[test]
    fn civil_days_round_trip() {
        for d in [-800_000, -1, 0, 1, 11_016, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }
}
