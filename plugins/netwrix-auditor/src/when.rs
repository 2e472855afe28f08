//! Timestamps: reading a record's `When` and writing a search window's bounds.
//!
//! The API documents three forms, `YYYY-MM-DDTHH:mm:ssZ`, `…+HH:mm` and `…-HH:mm`, and always
//! outputs the first. Those are read by a byte-level fast path (a page of 1,000 records has
//! 1,000 of them); anything else RFC 3339 accepts (fractional seconds, say) falls back to
//! jiff's parser, so a server that adds precision still yields a time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff::civil::DateTime;
use jiff::tz::Offset;
use jiff::Timestamp;

/// Parses a `When` value into a timestamp, or `None` if it is none of the accepted forms.
pub fn parse(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    fast(text.as_bytes()).or_else(|| text.parse::<Timestamp>().ok())
}

/// [`parse`], as the `SystemTime` a [`sluice_sdk::Record`] carries.
pub fn parse_system_time(text: &str) -> Option<SystemTime> {
    parse(text).map(to_system_time)
}

/// A timestamp as a `SystemTime` (whole seconds are all the API carries).
pub fn to_system_time(ts: Timestamp) -> SystemTime {
    let secs = ts.as_second();
    let nanos = u32::try_from(ts.subsec_nanosecond()).unwrap_or(0);
    if secs >= 0 {
        UNIX_EPOCH + Duration::new(secs.unsigned_abs(), nanos)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            + Duration::from_nanos(u64::from(nanos))
    }
}

/// A `SystemTime` as a timestamp truncated to the second; times outside jiff's range clamp.
pub fn from_system_time(time: SystemTime) -> Timestamp {
    let secs = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let d = before.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            // Truncate towards the past, like the positive side truncates towards the epoch.
            -whole - i64::from(d.subsec_nanos() > 0)
        }
    };
    Timestamp::from_second(secs).unwrap_or(if secs < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// The API's preferred form, `YYYY-MM-DDTHH:mm:ssZ`, truncated to the second.
pub fn format(ts: Timestamp) -> String {
    let whole = Timestamp::from_second(ts.as_second()).unwrap_or(ts);
    format!("{whole:.0}")
}

/// `YYYY-MM-DDTHH:mm:ss` then `Z`, `+HH:mm` or `-HH:mm`.
fn fast(b: &[u8]) -> Option<Timestamp> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let offset = match &b[19..] {
        b"Z" | b"z" => Offset::UTC,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let minutes = num(&[*h1, *h2])? * 60 + num(&[*m1, *m2])?;
            let seconds = i32::try_from(minutes * 60).ok()?;
            Offset::from_seconds(if *sign == b'-' { -seconds } else { seconds }).ok()?
        }
        _ => return None,
    };
    let civil = DateTime::new(
        i16::try_from(num(&b[0..4])?).ok()?,
        i8::try_from(num(&b[5..7])?).ok()?,
        i8::try_from(num(&b[8..10])?).ok()?,
        i8::try_from(num(&b[11..13])?).ok()?,
        i8::try_from(num(&b[14..16])?).ok()?,
        i8::try_from(num(&b[17..19])?).ok()?,
        0,
    )
    .ok()?;
    offset.to_timestamp(civil).ok()
}

fn num(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |acc, d| {
        d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_documented_forms_are_the_same_instant() {
        let utc = parse("2024-03-11T08:45:12Z");
        assert_eq!(utc.map(|t| t.as_second()), Some(1_710_146_712));
        assert_eq!(parse("2024-03-11T09:45:12+01:00"), utc);
        assert_eq!(parse("2024-03-11T03:15:12-05:30"), utc);
    }

    #[test]
    fn other_rfc3339_forms_fall_back_and_nonsense_is_none() {
        let frac = parse("2024-03-11T08:45:12.250Z");
        assert_eq!(frac.map(|t| t.as_millisecond()), Some(1_710_146_712_250));
        for bad in [
            "",
            "yesterday",
            "2024-13-11T08:45:12Z",
            "2024-03-11 08:45",
            "2024-03-11T08:45:12+1",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn format_is_the_preferred_form() {
        let ts = Timestamp::from_millisecond(1_710_146_712_999).unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(format(ts), "2024-03-11T08:45:12Z");
    }

    #[test]
    fn system_time_round_trips_on_both_sides_of_the_epoch() {
        for secs in [0i64, 1_710_146_712, -86_401] {
            let ts = Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH);
            assert_eq!(from_system_time(to_system_time(ts)), ts);
        }
        let before = UNIX_EPOCH - Duration::from_millis(1_500);
        assert_eq!(from_system_time(before).as_second(), -2);
    }
}
