//! The back office's anomaly rules, plain and on the rolled-up per-provider counts only:
//!
//! - **jump**: a provider's queries on a day exceed [`JUMP_FACTOR`] times its own median daily
//!   count over the [`BASELINE_DAYS`] days before (days without a query count as 0), and are at
//!   least [`JUMP_MIN_QUERIES`]. Only for providers with queries on at least
//!   [`BASELINE_MIN_ACTIVE_DAYS`] of those days: a new provider has no usual level yet.
//! - **not_found**: more than [`NOT_FOUND_SHARE`] of a provider's queries on a day found no record
//!   at all, with at least [`NOT_FOUND_MIN_QUERIES`] queries (guessing numbers looks like this).
//! - **night**: more than [`NIGHT_MAX_QUERIES`] queries of a provider between 22:00 and 06:00
//!   German time on a day (pharmacies on night duty ask a few).

use std::collections::BTreeMap;

use portal_domain::Ik;
use time::{Date, Duration};

use crate::model::DayFigures;

pub const JUMP_FACTOR: u32 = 5;
pub const JUMP_MIN_QUERIES: u32 = 20;
pub const BASELINE_DAYS: i64 = 28;
pub const BASELINE_MIN_ACTIVE_DAYS: usize = 7;
pub const NOT_FOUND_SHARE: f64 = 0.5;
pub const NOT_FOUND_MIN_QUERIES: u32 = 20;
pub const NIGHT_MAX_QUERIES: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AnomalyRule {
    Jump,
    NotFound,
    Night,
}

impl AnomalyRule {
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyRule::Jump => "jump",
            AnomalyRule::NotFound => "not_found",
            AnomalyRule::Night => "night",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub day: Date,
    pub ik: Ik,
    pub rule: AnomalyRule,
    /// In plain words, with the numbers that tripped the rule.
    pub detail: String,
}

/// The anomalies of the days `from` to `to`, from `days` (which should reach back
/// [`BASELINE_DAYS`] before `from` for the jump rule's baseline), by day, IK and rule.
pub fn anomalies(days: &[DayFigures], from: Date, to: Date) -> Vec<Anomaly> {
    let counts: BTreeMap<(Date, Ik), u32> = days
        .iter()
        .flat_map(|d| d.providers.iter().map(move |p| ((d.day, p.ik), p.queries)))
        .collect();
    let mut found = Vec::new();
    for day in days.iter().filter(|d| d.day >= from && d.day <= to) {
        for provider in &day.providers {
            let baseline: Vec<u32> = (1..=BASELINE_DAYS)
                .map(|back| {
                    counts.get(&(day.day - Duration::days(back), provider.ik)).copied().unwrap_or(0)
                })
                .collect();
            let active_days = baseline.iter().filter(|c| **c > 0).count();
            let usual = median(baseline);
            if active_days >= BASELINE_MIN_ACTIVE_DAYS
                && provider.queries >= JUMP_MIN_QUERIES
                && provider.queries > JUMP_FACTOR * usual
            {
                found.push(Anomaly {
                    day: day.day,
                    ik: provider.ik,
                    rule: AnomalyRule::Jump,
                    detail: format!(
                        "{} queries; its median over the {BASELINE_DAYS} days before: {usual}",
                        provider.queries
                    ),
                });
            }
            if provider.queries >= NOT_FOUND_MIN_QUERIES
                && f64::from(provider.not_found) > NOT_FOUND_SHARE * f64::from(provider.queries)
            {
                found.push(Anomaly {
                    day: day.day,
                    ik: provider.ik,
                    rule: AnomalyRule::NotFound,
                    detail: format!(
                        "{} of {} queries found no record",
                        provider.not_found, provider.queries
                    ),
                });
            }
            if provider.night > NIGHT_MAX_QUERIES {
                found.push(Anomaly {
                    day: day.day,
                    ik: provider.ik,
                    rule: AnomalyRule::Night,
                    detail: format!("{} queries between 22:00 and 06:00", provider.night),
                });
            }
        }
    }
    found.sort_by_key(|a| (a.day, a.ik, a.rule));
    found
}

fn median(mut counts: Vec<u32>) -> u32 {
    counts.sort_unstable();
    match counts.len() {
        0 => 0,
        n if n % 2 == 1 => counts[n / 2],
        n => (counts[n / 2 - 1] + counts[n / 2]) / 2,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::model::ProviderDay;

    fn day(day: Date, providers: &[(&str, u32, u32, u32)]) -> DayFigures {
        DayFigures {
            providers: providers
                .iter()
                .map(|(ik, queries, not_found, night)| ProviderDay {
                    ik: Ik::parse(ik).unwrap(),
                    queries: *queries,
                    not_found: *not_found,
                    night: *night,
                })
                .collect(),
            ..DayFigures::empty(day, datetime!(2026-12-01 00:00 UTC))
        }
    }

    #[test]
    fn a_provider_asking_ten_times_its_usual_rate_is_flagged_and_nobody_else() {
        let last = date!(2026 - 11 - 30);
        let mut days: Vec<DayFigures> = (1..=BASELINE_DAYS)
            .map(|back| {
                day(last - Duration::days(back), &[("301412340", 4, 0, 0), ("401612342", 30, 2, 0)])
            })
            .collect();
        days.push(day(last, &[("301412340", 40, 0, 0), ("401612342", 31, 1, 0)]));
        let found = anomalies(&days, last, last);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].ik.to_string(), "301412340");
        assert_eq!(found[0].rule, AnomalyRule::Jump);
    }

    #[test]
    fn a_new_provider_has_no_usual_level_to_jump_from() {
        let last = date!(2026 - 11 - 30);
        let found = anomalies(&[day(last, &[("301412340", 90, 0, 0)])], last, last);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn many_queries_without_a_record_and_queries_at_night_are_flagged() {
        let last = date!(2026 - 11 - 30);
        let found = anomalies(
            &[day(last, &[("301412340", 30, 20, 0), ("401612342", 12, 0, 11)])],
            last,
            last,
        );
        let rules: Vec<_> = found.iter().map(|a| (a.ik.to_string(), a.rule)).collect();
        assert_eq!(
            rules,
            [
                ("301412340".to_string(), AnomalyRule::NotFound),
                ("401612342".to_string(), AnomalyRule::Night)
            ]
        );
        // At the thresholds: nothing.
        let calm = anomalies(&[day(last, &[("301412340", 20, 10, 10)])], last, last);
        assert!(calm.is_empty(), "{calm:?}");
    }
}
