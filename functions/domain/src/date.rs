use time::Date;
use time::macros::format_description;

use crate::{Lang, UserFacing};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a calendar date of the form YYYY-MM-DD")]
pub struct DateError;

/// Parses an ISO 8601 calendar date (`2026-03-14`), the only date format of the API and the files.
pub fn parse_date(input: &str) -> Result<Date, DateError> {
    Date::parse(input.trim(), format_description!("[year]-[month]-[day]")).map_err(|_| DateError)
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
