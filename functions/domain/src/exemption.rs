use time::Date;

use crate::{Initials, Kvnr, Lang, UserFacing, YearsShown};

/// One certified co-payment exemption (§ 62 SGB V): the person is exempt from `valid_from` to
/// `valid_to`, both within `year`. Once the Belastungsgrenze is reached, the insurer certifies the
/// rest of the calendar year, so most records end on 31 December.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    kvnr: Kvnr,
    initials: Initials,
    year: i32,
    valid_from: Date,
    valid_to: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExemptionError {
    #[error("the year is outside 2000 to 2100")]
    Year,
    #[error("the validity starts after it ends")]
    Order,
    #[error("the validity lies outside the year of the exemption")]
    OutsideYear,
}

/// Exemptions are certified per calendar year; anything outside this range is a typo.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

impl Exemption {
    pub fn new(
        kvnr: Kvnr,
        initials: Initials,
        year: i32,
        valid_from: Date,
        valid_to: Date,
    ) -> Result<Exemption, ExemptionError> {
        if !YEARS.contains(&year) {
            return Err(ExemptionError::Year);
        }
        if valid_from > valid_to {
            return Err(ExemptionError::Order);
        }
        if valid_from.year() != year || valid_to.year() != year {
            return Err(ExemptionError::OutsideYear);
        }
        Ok(Exemption { kvnr, initials, year, valid_from, valid_to })
    }

    pub fn kvnr(&self) -> &Kvnr {
        &self.kvnr
    }
    pub fn initials(&self) -> &Initials {
        &self.initials
    }
    pub fn year(&self) -> i32 {
        self.year
    }
    pub fn valid_from(&self) -> Date {
        self.valid_from
    }
    pub fn valid_to(&self) -> Date {
        self.valid_to
    }

    /// Whether the person is exempt on `day` (for example the day of dispensing).
    pub fn covers(&self, day: Date) -> bool {
        (self.valid_from..=self.valid_to).contains(&day)
    }
}

/// The status of one shown year: exempt with its validity, or (`None`) not exempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearStatus {
    pub year: i32,
    pub validity: Option<Validity>,
}

/// From when to when an exemption holds (both days inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub from: Date,
    pub to: Date,
}

impl YearStatus {
    pub fn exempt(&self) -> bool {
        self.validity.is_some()
    }
}

/// The per-year answer for the years `rule` shows on `today`, from all records of one person.
pub fn year_statuses(records: &[Exemption], today: Date, rule: YearsShown) -> Vec<YearStatus> {
    rule.years(today)
        .into_iter()
        .map(|year| match records.iter().find(|r| r.year == year) {
            Some(r) => {
                YearStatus { year, validity: Some(Validity { from: r.valid_from, to: r.valid_to }) }
            }
            None => YearStatus { year, validity: None },
        })
        .collect()
}

/// Whether any record covers `day`.
pub fn exempt_on(records: &[Exemption], day: Date) -> bool {
    records.iter().any(|r| r.covers(day))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DispensingDateError {
    #[error("the day of dispensing lies in the future")]
    Future,
    #[error("the day of dispensing lies before the years shown")]
    TooOld,
}

/// The day of dispensing ("Tag der Abgabe") a provider may ask about on `today`: not in the
/// future, and within the years the result shows.
pub fn check_dispensing_date(
    day: Date,
    today: Date,
    rule: YearsShown,
) -> Result<Date, DispensingDateError> {
    if day > today {
        return Err(DispensingDateError::Future);
    }
    if !rule.years(today).contains(&day.year()) {
        return Err(DispensingDateError::TooOld);
    }
    Ok(day)
}

impl UserFacing for DispensingDateError {
    fn code(&self) -> &'static str {
        "invalid_dispensing_date"
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (DispensingDateError::Future, Lang::De) => {
                "Der Tag der Abgabe darf nicht in der Zukunft liegen."
            }
            (DispensingDateError::Future, Lang::En) => {
                "The day of dispensing must not lie in the future."
            }
            (DispensingDateError::TooOld, Lang::De) => {
                "Der Tag der Abgabe muss in einem der angezeigten Jahre liegen."
            }
            (DispensingDateError::TooOld, Lang::En) => {
                "The day of dispensing must lie in one of the years shown."
            }
        }
    }
}

impl UserFacing for ExemptionError {
    fn code(&self) -> &'static str {
        "invalid_exemption"
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ExemptionError::Year, Lang::De) => "Das Jahr liegt außerhalb von 2000 bis 2100.",
            (ExemptionError::Year, Lang::En) => "The year lies outside 2000 to 2100.",
            (ExemptionError::Order, Lang::De) => "„gültig ab“ liegt nach „gültig bis“.",
            (ExemptionError::Order, Lang::En) => "'valid from' lies after 'valid to'.",
            (ExemptionError::OutsideYear, Lang::De) => {
                "Der Gültigkeitszeitraum liegt nicht im angegebenen Jahr."
            }
            (ExemptionError::OutsideYear, Lang::En) => {
                "The period of validity does not lie within the given year."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const PLUS: YearsShown = YearsShown::CurrentAndPreviousUntilJune30;

    fn exemption(year: i32, from: Date, to: Date) -> Exemption {
        let kvnr = Kvnr::parse("A123456780").unwrap();
        let initials = Initials::from_names("Max", "Mustermann").unwrap();
        Exemption::new(kvnr, initials, year, from, to).unwrap()
    }

    #[test]
    fn a_year_without_a_record_is_not_exempt() {
        let records = [exemption(2025, date!(2025 - 03 - 14), date!(2025 - 12 - 31))];
        let statuses = year_statuses(&records, date!(2026 - 06 - 30), PLUS);
        assert_eq!(
            statuses,
            [
                YearStatus { year: 2026, validity: None },
                YearStatus {
                    year: 2025,
                    validity: Some(Validity {
                        from: date!(2025 - 03 - 14),
                        to: date!(2025 - 12 - 31)
                    }),
                },
            ]
        );
        assert_eq!(
            year_statuses(&records, date!(2026 - 07 - 01), PLUS),
            [YearStatus { year: 2026, validity: None }]
        );
    }

    #[test]
    fn an_exemption_covers_exactly_its_validity() {
        let e = exemption(2026, date!(2026 - 03 - 14), date!(2026 - 12 - 31));
        assert!(!e.covers(date!(2026 - 03 - 13)));
        assert!(e.covers(date!(2026 - 03 - 14)));
        assert!(e.covers(date!(2026 - 12 - 31)));
        assert!(!e.covers(date!(2027 - 01 - 01)));
    }

    #[test]
    fn a_day_of_dispensing_lies_within_the_shown_years_and_not_ahead() {
        let today = date!(2026 - 06 - 30);
        assert_eq!(check_dispensing_date(today, today, PLUS), Ok(today));
        assert_eq!(
            check_dispensing_date(date!(2025 - 01 - 01), today, PLUS),
            Ok(date!(2025 - 01 - 01))
        );
        assert_eq!(
            check_dispensing_date(date!(2026 - 07 - 01), today, PLUS),
            Err(DispensingDateError::Future)
        );
        assert_eq!(
            check_dispensing_date(date!(2024 - 12 - 31), today, PLUS),
            Err(DispensingDateError::TooOld)
        );
        let july = date!(2026 - 07 - 01);
        assert_eq!(
            check_dispensing_date(date!(2025 - 12 - 31), july, PLUS),
            Err(DispensingDateError::TooOld)
        );
        // Where next year is shown, a day of dispensing still cannot lie ahead.
        let next = YearsShown::PreviousCurrentNext;
        assert_eq!(
            check_dispensing_date(date!(2025 - 01 - 01), july, next),
            Ok(date!(2025 - 01 - 01))
        );
        assert_eq!(
            check_dispensing_date(date!(2027 - 01 - 01), july, next),
            Err(DispensingDateError::Future)
        );
        assert_eq!(
            check_dispensing_date(date!(2025 - 12 - 31), july, YearsShown::Current),
            Err(DispensingDateError::TooOld)
        );
    }

    #[test]
    fn exemption_on_a_day_needs_a_record_covering_it() {
        let records = [exemption(2026, date!(2026 - 03 - 14), date!(2026 - 12 - 31))];
        assert!(!exempt_on(&records, date!(2026 - 03 - 13)));
        assert!(exempt_on(&records, date!(2026 - 03 - 14)));
        assert!(!exempt_on(&[], date!(2026 - 03 - 14)));
    }

    #[test]
    fn a_validity_outside_its_year_or_reversed_is_rejected() {
        let kvnr = Kvnr::parse("A123456780").unwrap();
        let initials = Initials::from_names("Max", "Mustermann").unwrap();
        let new = |year, from, to| Exemption::new(kvnr.clone(), initials.clone(), year, from, to);
        assert_eq!(
            new(2026, date!(2026 - 05 - 01), date!(2026 - 04 - 30)),
            Err(ExemptionError::Order)
        );
        assert_eq!(
            new(2026, date!(2025 - 12 - 01), date!(2026 - 12 - 31)),
            Err(ExemptionError::OutsideYear)
        );
        assert_eq!(
            new(1999, date!(1999 - 01 - 01), date!(1999 - 12 - 31)),
            Err(ExemptionError::Year)
        );
    }
}
