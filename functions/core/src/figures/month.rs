//! A calendar month as the public figures name it: `YYYY-MM`.

use std::fmt;

use portal_domain::{Lang, UserFacing};
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    /// 1 to 12.
    month: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a month (YYYY-MM)")]
pub struct MonthError;

impl UserFacing for MonthError {
    fn code(&self) -> &'static str {
        "invalid_date"
    }
    fn message(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => "Bitte einen Monat als JJJJ-MM angeben, zum Beispiel 2026-03.",
            Lang::En => "Please give a month as YYYY-MM, for example 2026-03.",
        }
    }
}

impl Month {
    /// `YYYY-MM`, the year from 2000 to 9999.
    pub fn parse(text: &str) -> Result<Month, MonthError> {
        let (year, month) = text.split_once('-').ok_or(MonthError)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(MonthError);
        }
        if !year.bytes().chain(month.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(MonthError);
        }
        let year: i32 = year.parse().map_err(|_| MonthError)?;
        let month: u8 = month.parse().map_err(|_| MonthError)?;
        if !(2000..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(MonthError);
        }
        Ok(Month { year, month })
    }

    pub fn of(day: Date) -> Month {
        Month { year: day.year(), month: u8::from(day.month()) }
    }

    fn time_month(self) -> time::Month {
        time::Month::try_from(self.month).unwrap_or(time::Month::January)
    }

    pub fn first_day(self) -> Date {
        Date::from_calendar_date(self.year, self.time_month(), 1).unwrap_or(Date::MIN)
    }

    pub fn last_day(self) -> Date {
        self.next().first_day().previous_day().unwrap_or(Date::MAX)
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }

    /// The month `n` months before this one.
    pub fn back(self, n: u32) -> Month {
        let index = self.year * 12 + i32::from(self.month) - 1 - n as i32;
        Month { year: index.div_euclid(12), month: (index.rem_euclid(12) + 1) as u8 }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_read_as_yyyy_mm_and_nothing_else() {
        assert_eq!(Month::parse("2026-03").map(|m| m.to_string()), Ok("2026-03".into()));
        for bad in ["2026-3", "2026-13", "2026-00", "26-03", "2026/03", "2026-03-01", "", "abcd-ef"]
        {
            assert_eq!(Month::parse(bad), Err(MonthError), "{bad}");
        }
    }

    #[test]
    fn a_month_knows_its_days_and_neighbours() {
        let feb = Month::parse("2028-02").unwrap();
        assert_eq!(feb.first_day(), date!(2028 - 02 - 01));
        assert_eq!(feb.last_day(), date!(2028 - 02 - 29));
        assert_eq!(Month::parse("2026-12").unwrap().next().to_string(), "2027-01");
        assert_eq!(Month::parse("2026-01").unwrap().back(1).to_string(), "2025-12");
        assert_eq!(Month::of(date!(2026 - 11 - 30)).to_string(), "2026-11");
    }
}
