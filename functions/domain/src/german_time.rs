use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The date in Germany at the instant `at`. Rules such as "the previous year until 30 June" follow
/// the German calendar day, not UTC's: at 23:30 UTC on 30 June it is already 1 July in Dresden.
pub fn german_date(at: OffsetDateTime) -> Date {
    german_local_time(at).date()
}

/// Local time in Germany: CET (UTC+1), CEST (UTC+2) from 01:00 UTC on the last Sunday of March
/// to 01:00 UTC on the last Sunday of October (EU rule since 1996).
pub fn german_local_time(at: OffsetDateTime) -> PrimitiveDateTime {
    let utc = at.to_offset(UtcOffset::UTC);
    let year = utc.year();
    let one_am = Time::from_hms(1, 0, 0).unwrap_or(Time::MIDNIGHT);
    let switch = |month| PrimitiveDateTime::new(last_sunday(year, month), one_am).assume_utc();
    let summer = (switch(Month::March)..switch(Month::October)).contains(&utc);
    let hours = if summer { 2 } else { 1 };
    let offset = UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC);
    let local = utc.to_offset(offset);
    PrimitiveDateTime::new(local.date(), local.time())
}

/// "14.03.2026": a day as German letters and pages write it.
pub fn german_day(day: Date) -> String {
    format!("{:02}.{:02}.{}", day.day(), u8::from(day.month()), day.year())
}

/// "04.05.2026" and "10:00": an instant in German local time, as its day and its time of day.
pub fn german_day_and_clock(at: OffsetDateTime) -> (String, String) {
    let local = german_local_time(at);
    (german_day(local.date()), format!("{:02}:{:02}", local.hour(), local.minute()))
}

/// The instant German `day` begins (00:00 local time), in UTC: 22:00 or 23:00 the day before.
pub fn german_midnight(day: Date) -> OffsetDateTime {
    let midnight_utc = day.with_time(Time::MIDNIGHT).assume_utc();
    let summer = midnight_utc - time::Duration::hours(2);
    if german_date(summer) == day { summer } else { midnight_utc - time::Duration::hours(1) }
}

fn last_sunday(year: i32, month: Month) -> Date {
    let last_day = Date::from_calendar_date(year, month, month.length(year)).unwrap_or(Date::MIN);
    let back = last_day.weekday().number_days_from_sunday();
    last_day - time::Duration::days(i64::from(back))
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn days_and_times_are_written_the_german_way() {
        assert_eq!(german_day(date!(2026 - 03 - 04)), "04.03.2026");
        let summer = german_day_and_clock(datetime!(2026-05-04 08:05 UTC));
        assert_eq!(summer, ("04.05.2026".to_string(), "10:05".to_string()));
    }

    #[test]
    fn late_evening_utc_on_30_june_is_already_1_july_in_germany() {
        assert_eq!(german_date(datetime!(2026-06-30 21:59 UTC)), date!(2026 - 06 - 30));
        assert_eq!(german_date(datetime!(2026-06-30 22:00 UTC)), date!(2026 - 07 - 01));
    }

    #[test]
    fn a_german_day_begins_at_22_or_23_utc_the_day_before() {
        assert_eq!(german_midnight(date!(2026 - 07 - 01)), datetime!(2026-06-30 22:00 UTC));
        assert_eq!(german_midnight(date!(2027 - 01 - 01)), datetime!(2026-12-31 23:00 UTC));
    }

    #[test]
    fn winter_time_is_one_hour_ahead_of_utc() {
        assert_eq!(german_date(datetime!(2026-12-31 22:59 UTC)), date!(2026 - 12 - 31));
        assert_eq!(german_date(datetime!(2026-12-31 23:00 UTC)), date!(2027 - 01 - 01));
    }

    #[test]
    fn the_clock_changes_at_one_o_clock_utc_on_the_last_sundays() {
        // 2026: summer time from 29 March, winter time from 25 October.
        let local = |at| german_local_time(at).time();
        assert_eq!(local(datetime!(2026-03-29 00:59 UTC)), time::macros::time!(01:59));
        assert_eq!(local(datetime!(2026-03-29 01:00 UTC)), time::macros::time!(03:00));
        assert_eq!(local(datetime!(2026-10-25 00:59 UTC)), time::macros::time!(02:59));
        assert_eq!(local(datetime!(2026-10-25 01:00 UTC)), time::macros::time!(02:00));
    }
}
