//! The portal's figures: a daily roll-up of the audit log into [`DayFigures`] (locally a task of
//! `portal serve`, in AWS a scheduled Lambda), the public monthly figures read from the roll-ups
//! only, and the back office's anomaly rules.

mod anomalies;
mod month;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use portal_domain::{Ik, german_date, german_local_time, german_midnight};
use time::{Date, Duration};

pub use anomalies::{
    Anomaly, AnomalyRule, BASELINE_DAYS, BASELINE_MIN_ACTIVE_DAYS, JUMP_FACTOR, JUMP_MIN_QUERIES,
    NIGHT_MAX_QUERIES, NOT_FOUND_MIN_QUERIES, NOT_FOUND_SHARE, anomalies,
};
pub use month::{Month, MonthError};

use crate::model::{AuditCheck, Counter, DayCount, DayFigures, HOURS_BUCKETS, ProviderDay, Tenant};
use crate::ports::{AuditTimeline, Clock, FigureStore, Limits, StoreError};

/// A published count below this shows as "< 10", and so does a share computed from one: no
/// single provider or patient can be singled out.
pub const MIN_SHOWN: u64 = 10;

/// How many days back a roll-up run looks for days never rolled up (a month and a bit: the
/// scheduled run may have missed a few); older days are rolled up on request
/// (`portal stats rollup --from`).
pub const CATCH_UP_DAYS: i64 = 35;

/// Counts one `figure` for the German day of `at`. A figure is never worth failing the user's
/// action for: a count the store refuses is logged and lost.
pub async fn count_figure(limits: &dyn Limits, figure: DayCount, at: time::OffsetDateTime) {
    let counter = Counter::figure(figure, at);
    if let Err(error) = limits.try_count(&counter.key(), u32::MAX, counter.window_ends()).await {
        tracing::warn!(figure = %counter.key(), error = %crate::error_chain(&error), "figure not counted");
    }
}

/// The median of a histogram of [`HOURS_BUCKETS`]: the upper bound of the bucket holding the
/// lower median (the `(n-1)/2`-th of the sorted durations), so "at most so many hours"; for
/// the open last bucket its lower bound. `None` without any count.
pub fn median_hours(histogram: &[u64]) -> Option<f64> {
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return None;
    }
    let middle = (total - 1) / 2;
    let mut seen = 0;
    for (bucket, count) in histogram.iter().enumerate() {
        seen += count;
        if seen > middle {
            let bound = HOURS_BUCKETS.get(bucket).or(HOURS_BUCKETS.last()).copied().unwrap_or(0);
            return Some(f64::from(bound));
        }
    }
    None
}

/// Night for the anomaly rules and the figures: 22:00 to 06:00 German time.
pub fn is_night(at: time::OffsetDateTime) -> bool {
    let hour = german_local_time(at).hour();
    !(6..22).contains(&hour)
}

#[derive(Clone)]
pub struct Figures {
    pub tenant: Arc<Tenant>,
    pub timeline: Arc<dyn AuditTimeline>,
    pub store: Arc<dyn FigureStore>,
    /// The per-day counts bumped where accounts, letters, reports and refusals happen.
    pub limits: Arc<dyn Limits>,
    pub clock: Arc<dyn Clock>,
}

/// A month of the public figures, unmasked (the handler masks).
#[derive(Debug, Clone, PartialEq)]
pub struct MonthFigures {
    pub month: Month,
    pub queries_answered: u64,
    pub queries_exempt: u64,
    /// Distinct providers with a query in the month (not the sum of the days).
    pub providers_active: u64,
    pub providers_registered: Option<u64>,
    pub median_hours_to_letters: Option<f64>,
    pub reports_sent: Option<u64>,
    pub reports_delivered: Option<u64>,
    /// Answered / (answered + refused for unavailability); `None` while refusals are not
    /// recorded.
    pub availability: Option<f64>,
}

impl Figures {
    /// Rolls up the days `from` to `to` (inclusive) from the audit log, in one read of it, and
    /// writes each day's figures (replacing earlier ones: running it again changes nothing).
    pub async fn roll_up(&self, from: Date, to: Date) -> Result<Vec<DayFigures>, StoreError> {
        let Some(end) = to.next_day() else { return Ok(Vec::new()) };
        let records =
            self.timeline.audit_between(german_midnight(from), german_midnight(end)).await?;
        let now = self.clock.now();
        let mut by_day: BTreeMap<Date, BTreeMap<Ik, ProviderDay>> = BTreeMap::new();
        let mut exempt: BTreeMap<Date, u64> = BTreeMap::new();
        for record in &records {
            let day = german_date(record.at);
            let provider = by_day.entry(day).or_default().entry(record.ik).or_insert(ProviderDay {
                ik: record.ik,
                queries: 0,
                not_found: 0,
                night: 0,
            });
            provider.queries += 1;
            provider.not_found += u32::from(!record.outcome.found);
            provider.night += u32::from(is_night(record.at));
            if record.outcome.found && !record.outcome.exempt_years.is_empty() {
                *exempt.entry(day).or_default() += 1;
            }
        }
        // The month-to-date count of active providers continues the days before `from`.
        let month_start = Month::of(from).first_day();
        let mut month_active: BTreeSet<Ik> = match from.previous_day() {
            Some(before) if before >= month_start => self
                .store
                .day_figures(month_start, before, true)
                .await?
                .iter()
                .flat_map(|d| d.providers.iter().map(|p| p.ik))
                .collect(),
            _ => BTreeSet::new(),
        };
        // A day rolled up again keeps the audit check recorded on it.
        let checks: BTreeMap<Date, AuditCheck> = self
            .store
            .day_figures(from, to, false)
            .await?
            .into_iter()
            .filter_map(|d| Some((d.day, d.audit_check?)))
            .collect();
        let mut rolled = Vec::new();
        let mut day = from;
        while day <= to {
            let providers: Vec<ProviderDay> =
                by_day.remove(&day).map(|m| m.into_values().collect()).unwrap_or_default();
            if day.day() == 1 {
                month_active.clear();
            }
            month_active.extend(providers.iter().map(|p| p.ik));
            let counted = self.counted(day).await?;
            let figures = DayFigures {
                providers_registered: Some(counted.registered),
                median_hours_to_letters: median_hours(&counted.letter_hours),
                letter_hours: counted.letter_hours,
                reports_sent: Some(counted.reports_sent),
                reports_delivered: Some(counted.reports_delivered),
                refused_unavailable: Some(counted.refused),
                login_failures: Some(counted.login_failures),
                blocks: Some(counted.blocks),
                backoffice_failures: Some(counted.backoffice_failures),
                audit_check: checks.get(&day).cloned(),
                queries_answered: providers.iter().map(|p| u64::from(p.queries)).sum(),
                queries_exempt: exempt.get(&day).copied().unwrap_or(0),
                queries_not_found: providers.iter().map(|p| u64::from(p.not_found)).sum(),
                queries_night: providers.iter().map(|p| u64::from(p.night)).sum(),
                providers_active: providers.len() as u64,
                providers_active_month_to_date: month_active.len() as u64,
                providers,
                ..DayFigures::empty(day, now)
            };
            self.store.put_day_figures(&figures).await?;
            rolled.push(figures);
            let Some(next) = day.next_day() else { break };
            day = next;
        }
        tracing::info!(tenant = %self.tenant.slug, %from, %to, records = records.len(), "figures rolled up");
        Ok(rolled)
    }

    /// The day's counts bumped at the events (a counter never bumped reads 0): 24 reads.
    async fn counted(&self, day: Date) -> Result<Counted, StoreError> {
        let at = german_midnight(day);
        let read = |figure: DayCount| async move {
            self.limits.used(&Counter::figure(figure, at).key()).await.map(u64::from)
        };
        let mut letter_hours = Vec::with_capacity(HOURS_BUCKETS.len() + 1);
        for bucket in 0..=HOURS_BUCKETS.len() {
            letter_hours.push(read(DayCount::LetterHours(bucket)).await?);
        }
        Ok(Counted {
            registered: read(DayCount::Registered).await?,
            letter_hours,
            reports_sent: read(DayCount::ReportsSent).await?,
            reports_delivered: read(DayCount::ReportsDelivered).await?,
            refused: read(DayCount::Refused).await?,
            login_failures: read(DayCount::LoginFailures).await?,
            blocks: read(DayCount::Blocks).await?,
            backoffice_failures: read(DayCount::BackofficeFailures).await?,
        })
    }

    /// Verifies the audit chains with `verify` unless a check of the last 24 hours is on record,
    /// and records the result on today's figures (rolled up first if need be). Says whether it
    /// verified. Reading every chain is the expensive part, hence once a day.
    pub async fn check_audit<F, Fut>(&self, verify: F) -> Result<bool, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<crate::oha::Verified, StoreError>>,
    {
        let now = self.clock.now();
        let today = self.clock.today();
        if self.last_audit_check(today - Duration::days(1), today).await?.is_some_and(|c| {
            now.unix_timestamp() - c.checked_at < Duration::days(1).whole_seconds()
        }) {
            return Ok(false);
        }
        let verified = verify().await?;
        let mut days = self.store.day_figures(today, today, true).await?;
        let mut figures = match days.pop() {
            Some(figures) => figures,
            None => self
                .roll_up(today, today)
                .await?
                .pop()
                .unwrap_or_else(|| DayFigures::empty(today, now)),
        };
        figures.audit_check = Some(AuditCheck {
            checked_at: now.unix_timestamp(),
            chains: verified.chains as u64,
            records: verified.records as u64,
            problems: verified.problems.len() as u64,
        });
        self.store.put_day_figures(&figures).await?;
        if !verified.problems.is_empty() {
            tracing::error!(tenant = %self.tenant.slug, problems = verified.problems.len(), "the audit chains have problems");
        }
        Ok(true)
    }

    /// The latest audit check recorded on the days `from` to `to`.
    pub async fn last_audit_check(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Option<AuditCheck>, StoreError> {
        let days = self.store.day_figures(from, to, false).await?;
        Ok(days.into_iter().filter_map(|d| d.audit_check).max_by_key(|c| c.checked_at))
    }

    /// Counts a query refused with 503 (if the store still takes the count).
    pub async fn note_refused(&self) {
        count_figure(self.limits.as_ref(), DayCount::Refused, self.clock.now()).await;
    }

    /// What the schedule runs: today so far, and every day of the last [`CATCH_UP_DAYS`] never
    /// rolled up (yesterday's last hours included, since yesterday is rolled up again until
    /// a run after midnight has seen it whole). Says how many days it rolled up.
    pub async fn roll_up_due(&self) -> Result<usize, StoreError> {
        let today = self.clock.today();
        let first = today - Duration::days(CATCH_UP_DAYS);
        let done = self.store.day_figures(first, today, false).await?;
        // A day is complete once rolled up after it ended.
        let complete: BTreeSet<Date> = done
            .iter()
            .filter(|f| f.day.next_day().is_some_and(|end| german_midnight(end) <= f.rolled_up_at))
            .map(|f| f.day)
            .collect();
        let Some(from) = (0..=CATCH_UP_DAYS)
            .map(|back| today - Duration::days(CATCH_UP_DAYS - back))
            .find(|day| !complete.contains(day))
        else {
            return Ok(0);
        };
        Ok(self.roll_up(from, today).await?.len())
    }

    /// The rolled-up days from `from` to `to` with the providers' counts (the back office's);
    /// a day never rolled up is missing.
    pub async fn days(&self, from: Date, to: Date) -> Result<Vec<DayFigures>, StoreError> {
        self.store.day_figures(from, to, true).await
    }

    /// The public figures per month, from the roll-ups only.
    pub async fn months(&self, from: Month, to: Month) -> Result<Vec<MonthFigures>, StoreError> {
        let days = self.store.day_figures(from.first_day(), to.last_day(), false).await?;
        let mut months = Vec::new();
        let mut month = from;
        while month <= to {
            let of_month: Vec<&DayFigures> =
                days.iter().filter(|d| Month::of(d.day) == month).collect();
            months.push(month_of(month, &of_month));
            month = month.next();
        }
        Ok(months)
    }
}

/// A day's counts from the figure counters.
struct Counted {
    registered: u64,
    letter_hours: Vec<u64>,
    reports_sent: u64,
    reports_delivered: u64,
    refused: u64,
    login_failures: u64,
    blocks: u64,
    backoffice_failures: u64,
}

fn month_of(month: Month, days: &[&DayFigures]) -> MonthFigures {
    // A figure not recorded on some day is not recorded for the month.
    let sum = |get: fn(&DayFigures) -> Option<u64>| -> Option<u64> {
        if days.is_empty() {
            return None;
        }
        days.iter().map(|d| get(d)).sum()
    };
    let answered: u64 = days.iter().map(|d| d.queries_answered).sum();
    let refused = sum(|d| d.refused_unavailable);
    MonthFigures {
        month,
        queries_answered: answered,
        queries_exempt: days.iter().map(|d| d.queries_exempt).sum(),
        providers_active: days.last().map_or(0, |d| d.providers_active_month_to_date),
        providers_registered: sum(|d| d.providers_registered),
        median_hours_to_letters: median_hours(&merged_histogram(days)),
        reports_sent: sum(|d| d.reports_sent),
        reports_delivered: sum(|d| d.reports_delivered),
        availability: refused
            .filter(|refused| answered + refused > 0)
            .map(|refused| answered as f64 / (answered + refused) as f64),
    }
}

/// The days' histograms of hours to letters, added up bucket by bucket.
pub fn merged_histogram(days: &[&DayFigures]) -> Vec<u64> {
    let mut merged = vec![0; HOURS_BUCKETS.len() + 1];
    for day in days {
        for (sum, count) in merged.iter_mut().zip(&day.letter_hours) {
            *sum += count;
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_upper_bound_of_the_bucket_holding_the_lower_median() {
        assert_eq!(median_hours(&[]), None);
        assert_eq!(median_hours(&[0, 0, 0]), None);
        // Three letters within an hour, two within two hours: the middle one is within an hour.
        assert_eq!(median_hours(&[3, 2]), Some(1.0));
        // Two and two: the lower median, the second, is still in the first bucket.
        assert_eq!(median_hours(&[2, 2]), Some(1.0));
        let mut long = vec![0; HOURS_BUCKETS.len() + 1];
        long[HOURS_BUCKETS.len()] = 1;
        assert_eq!(median_hours(&long), Some(720.0));
    }
}
