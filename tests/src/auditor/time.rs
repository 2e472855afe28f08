//! Timestamps in the three documented input forms, UTC output, and times of day for the
//! `WorkingHours` filter.
//!
//! The parser is deliberately strict: the documentation lists exactly
//! `YYYY-MM-DDTHH:mm:ssZ`, `YYYY-MM-DDTHH:mm:ss+HH:mm` and `YYYY-MM-DDTHH:mm:ss-HH:mm`, so a
//! client that sends fractional seconds or a space separator learns it here rather than against
//! a production server.

use jiff::civil::DateTime;
use jiff::tz::Offset;
use jiff::Timestamp;

/// Seconds in a day; times of day are taken modulo this.
pub(crate) const DAY_SECS: i64 = 86_400;

/// Parses a `When`, `From` or `To` value in one of the three documented forms.
pub(crate) fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 {
        return None;
    }
    let shape_ok = bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !shape_ok {
        return None;
    }
    let year = digits(bytes, 0, 4)?;
    let month = digits(bytes, 5, 2)?;
    let day = digits(bytes, 8, 2)?;
    let hour = digits(bytes, 11, 2)?;
    let minute = digits(bytes, 14, 2)?;
    let second = digits(bytes, 17, 2)?;
    let offset = parse_offset(&bytes[19..])?;
    let civil = DateTime::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        0,
    )
    .ok()?;
    offset.to_timestamp(civil).ok()
}

/// Parses a `WorkingHours` bound (`HH:MM:SSZ`, `HH:MM:SS+HH:MM`, `HH:MM:SS-HH:MM`) into seconds
/// since midnight UTC.
pub(crate) fn parse_time_of_day(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 9 || bytes[2] != b':' || bytes[5] != b':' {
        return None;
    }
    let hour = digits(bytes, 0, 2)?;
    let minute = digits(bytes, 3, 2)?;
    let second = digits(bytes, 6, 2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset = parse_offset(&bytes[8..])?;
    let local = i64::from(hour * 3600 + minute * 60 + second);
    Some((local - i64::from(offset.seconds())).rem_euclid(DAY_SECS))
}

/// Seconds since midnight UTC of a timestamp.
pub(crate) fn utc_time_of_day(ts: Timestamp) -> i64 {
    ts.as_second().rem_euclid(DAY_SECS)
}

/// Formats a timestamp the way the API outputs it: UTC, `Z`, no fractional seconds.
pub(crate) fn format_utc(ts: Timestamp) -> String {
    let dt = Offset::UTC.to_datetime(ts);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// The 17-digit `yyyyMMddHHmmssfff` prefix of a RID.
pub(crate) fn rid_stamp(ts: Timestamp) -> String {
    let dt = Offset::UTC.to_datetime(ts);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{:03}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.millisecond()
    )
}

/// `Z`, `+HH:MM` or `-HH:MM`, and nothing after it.
fn parse_offset(rest: &[u8]) -> Option<Offset> {
    match rest {
        [b'Z'] => Some(Offset::UTC),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let hours = digits(rest, 1, 2)?;
            let minutes = digits(rest, 4, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let magnitude = i32::try_from(hours * 3600 + minutes * 60).ok()?;
            let seconds = if *sign == b'-' { -magnitude } else { magnitude };
            Offset::from_seconds(seconds).ok()
        }
        _ => None,
    }
}

/// `len` ASCII digits starting at `start`, as a number.
fn digits(bytes: &[u8], start: usize, len: usize) -> Option<u32> {
    let slice = bytes.get(start..start + len)?;
    slice.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_documented_forms_parse() {
        let utc = parse_timestamp("2024-03-11T08:00:00Z");
        let plus = parse_timestamp("2024-03-11T09:00:00+01:00");
        let minus = parse_timestamp("2024-03-11T03:30:00-04:30");
        assert!(utc.is_some());
        assert_eq!(utc, plus);
        assert_eq!(utc, minus);
    }

    #[test]
    fn undocumented_forms_are_rejected() {
        for bad in [
            "2024-03-11T08:00:00",
            "2024-03-11 08:00:00Z",
            "2024-03-11T08:00:00.123Z",
            "2024-03-11T08:00:00+0100",
            "2024-13-11T08:00:00Z",
            "2024-02-30T08:00:00Z",
            "2024-03-11T08:00:00Zjunk",
            "",
            "yesterday",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn output_is_utc_without_fractions() {
        let ts = parse_timestamp("2024-03-11T09:00:00+01:00");
        assert_eq!(ts.map(format_utc).as_deref(), Some("2024-03-11T08:00:00Z"));
    }

    #[test]
    fn time_of_day_is_normalised_to_utc() {
        assert_eq!(parse_time_of_day("09:00:00Z"), Some(9 * 3600));
        assert_eq!(parse_time_of_day("09:00:00+02:00"), Some(7 * 3600));
        assert_eq!(parse_time_of_day("01:00:00+02:00"), Some(23 * 3600));
        assert_eq!(parse_time_of_day("25:00:00Z"), None);
        assert_eq!(parse_time_of_day("09:00Z"), None);
    }

    #[test]
    fn rid_stamp_has_17_digits() {
        let ts = Timestamp::from_millisecond(1_457_000_000_123).unwrap_or(Timestamp::UNIX_EPOCH);
        let stamp = rid_stamp(ts);
        assert_eq!(stamp.len(), 17);
        assert!(stamp.ends_with("123"));
    }
}
