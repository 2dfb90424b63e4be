use time::{Date, Month};

use crate::{Lang, UserFacing};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a calendar date of the form YYYY-MM-DD")]
pub struct DateError;

/// Parses an ISO 8601 calendar date (`2026-03-14`), the only date format of the API and the files.
/// Written out rather than with `time`'s general parser, which would add kilobytes to the app.
pub fn parse_date(input: &str) -> Result<Date, DateError> {
    let s = input.trim();
    let bytes = s.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(DateError);
    }
    let number = |range: std::ops::Range<usize>| -> Result<u16, DateError> {
        let digits = &bytes[range];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(DateError);
        }
        Ok(digits.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')))
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let month = Month::try_from(month as u8).map_err(|_| DateError)?;
    Date::from_calendar_date(i32::from(year), month, day as u8).map_err(|_| DateError)
}

impl UserFacing for DateError {
    fn code(&self) -> &'static str {
        "invalid_date"
    }

    fn message(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => "Bitte geben Sie ein gültiges Datum im Format JJJJ-MM-TT an.",
            Lang::En => "Please give a valid date in the form YYYY-MM-DD.",
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn iso_dates_parse() {
        assert_eq!(parse_date("2026-03-14"), Ok(date!(2026 - 03 - 14)));
        assert_eq!(parse_date(" 2024-02-29 "), Ok(date!(2024 - 02 - 29)));
    }

    #[test]
    fn impossible_or_foreign_dates_are_rejected() {
        for input in ["", "2025-02-29", "2026-13-01", "14.03.2026", "2026-3-14", "2026-03-14T00:00"]
        {
            assert_eq!(parse_date(input), Err(DateError), "{input}");
        }
    }
}
