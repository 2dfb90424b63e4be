//! Times and days on the wire: written as RFC 3339 (`2026-05-04T08:10:00Z`) and ISO 8601 days
//! (`2026-03-14`), read back by small parsers for exactly those forms. The app reads them in
//! the browser, where `time`'s general parsers would cost the wasm kilobytes.

use serde::{Deserialize, Deserializer, Serializer};
use time::{Date, OffsetDateTime, Time};

fn number(text: &str) -> Option<u32> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

/// `YYYY-MM-DD`, with the domain's parser (written out too, for the same reason).
pub fn parse_day(text: &str) -> Option<Date> {
    // Exactly the form written: the domain's parser also forgives surrounding spaces.
    (text.trim() == text).then(|| portal_domain::parse_date(text).ok())?
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the form the portal writes (always UTC).
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    let (day, clock) = text.strip_suffix('Z')?.split_once('T')?;
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = clock.split(':').map(number);
    let (hour, minute, second) = (parts.next()??, parts.next()??, parts.next()??);
    // Digits only, all of them: cutting at the ninth byte inside a character would panic.
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos = if fraction.is_empty() {
        0
    } else {
        let digits = &fraction[..fraction.len().min(9)];
        number(digits)? * 10u32.pow(9 - digits.len() as u32)
    };
    let time = Time::from_hms_nano(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        nanos,
    )
    .ok()?;
    Some(parse_day(day)?.with_time(time).assume_utc())
}

pub mod rfc3339 {
    use super::*;

    pub fn serialize<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        time::serde::rfc3339::serialize(at, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_time(&text).ok_or_else(|| serde::de::Error::custom("not an RFC 3339 time in UTC"))
    }
}

/// An optional time, `null` when absent.
pub mod rfc3339_option {
    use super::*;

    pub fn serialize<S: Serializer>(
        at: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        time::serde::rfc3339::option::serialize(at, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| {
                parse_time(&text)
                    .ok_or_else(|| serde::de::Error::custom("not an RFC 3339 time in UTC"))
            })
            .transpose()
    }
}

pub mod iso_day {
    use super::*;

    pub fn serialize<S: Serializer>(day: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
        match day {
            Some(day) => serializer.collect_str(day),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Date>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| parse_day(&text).ok_or_else(|| serde::de::Error::custom("not a day")))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn what_the_portal_writes_reads_back() {
        let at = datetime!(2026-05-04 08:10:00.123456789 UTC);
        let written = at.format(&time::format_description::well_known::Rfc3339).unwrap();
        assert_eq!(parse_time(&written), Some(at));
        assert_eq!(parse_time("2026-05-04T08:10:00Z"), Some(datetime!(2026-05-04 08:10 UTC)));
        assert_eq!(parse_day("2026-03-14"), Some(date!(2026 - 03 - 14)));
        for bad in
            ["", "2026-13-01", "2026-02-30", "2026-05-04T25:00:00Z", "2026-05-04T08:10:00+02:00"]
        {
            assert!(parse_time(bad).is_none() && parse_day(bad).is_none(), "{bad}");
        }
    }

    /// Found by fuzzing (fuzz/regressions/dates): a non-ASCII character in the fraction's
    /// first nine bytes made the parser panic instead of refusing the text.
    #[test]
    fn a_time_with_a_non_digit_in_its_fraction_is_refused_without_a_panic() {
        for bad in ["2026-05-04T08:10:00.1234567\u{a0}Z", "2026-05-04T08:10:00.123456789xZ"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}
