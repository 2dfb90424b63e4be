//! The counters behind the portal's rations: each knows its store key and when its window ends,
//! so that no key is spelled twice and every daily window ends at German midnight.

use portal_domain::{ClientAddress, Ik, german_date, german_midnight};
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counter {
    /// Exemption queries of one provider in one minute: the burst limit.
    Burst { ik: Ik, minute: i64 },
    /// Exemption queries from one client address in one minute, whoever asks: many accounts
    /// used from one place to walk through KVNRs meet this before each meets its own burst.
    QueriesOfClient { client: ClientAddress, minute: i64 },
    /// Exemption queries of one provider on one German calendar day: the quota.
    Quota { ik: Ik, day: Date },
    /// Registration checks issued in one minute, to everyone.
    Challenges { minute: i64 },
    /// Registration checks issued in one minute to one client.
    ChallengesOfClient { client: ClientAddress, minute: i64 },
    /// Failed logins and wrong Prüfnummern for one IK on one German calendar day, whether an
    /// account exists or not (so the answers do not tell).
    FailuresOfIk { ik: Ik, day: Date },
    /// Failed logins from one client in one hour.
    FailuresOfClient { client: ClientAddress, hour: i64 },
    /// Right passwords (or Prüfnummern) for one IK on one German day: each gives back one failure.
    SuccessesOfIk { ik: Ik, day: Date },
    /// Right passwords from one client in one hour: each gives back one failure.
    SuccessesOfClient { client: ClientAddress, hour: i64 },
    /// Notices that someone asked for new letters, per IK and day (at most one is sent).
    RepeatedRegistrationNotices { ik: Ik, day: Date },
    /// Notices of logins from new browsers sent for one IK on one German day.
    NewBrowserNotices { ik: Ik, day: Date },
    /// Proofs checked for one client in one minute (`POST /api/proofs/verify` is public).
    ProofChecksOfClient { client: ClientAddress, minute: i64 },
    /// Wrong codes and passwords sent in one session (the second factor's step, or a change
    /// that asks for them again): after a few, the session ends. Kept as long as the session.
    FailuresOfSession { session: String, until: OffsetDateTime },
    /// One of the figures' per-day counts, bumped where the event happens (so that the daily
    /// roll-up reads a handful of counters instead of scanning accounts, letters or reports).
    Figure { figure: DayCount, day: Date },
}

/// What a per-day figure counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayCount {
    /// Accounts created (a first registration of an IK).
    Registered,
    /// Initial-password letters sent, in the bucket `n` of [`HOURS_BUCKETS`] by the hours since
    /// their registration.
    LetterHours(usize),
    ReportsSent,
    ReportsDelivered,
    /// Queries refused with 503 (counted where a store still answered).
    Refused,
    /// Failed provider logins.
    LoginFailures,
    /// Accounts blocked by the back office.
    Blocks,
    /// Failed back-office logins.
    BackofficeFailures,
}

/// The upper bounds (hours, inclusive) of the buckets in which letters' times from registration
/// to sending are counted; the last bucket takes everything longer. A day keeps 17 counts, not a
/// list of durations.
pub const HOURS_BUCKETS: [u32; 16] =
    [1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720];

/// The bucket of a duration in [`HOURS_BUCKETS`] (`HOURS_BUCKETS.len()` for longer ones).
pub fn hours_bucket(duration: time::Duration) -> usize {
    let hours = duration.as_seconds_f64() / 3600.0;
    HOURS_BUCKETS.iter().position(|bound| hours <= f64::from(*bound)).unwrap_or(HOURS_BUCKETS.len())
}

/// How long the figures' counters are kept: long enough for a roll-up of any day of the last
/// year to find them (the roll-up itself keeps the result for good).
const FIGURE_COUNTERS_KEPT: time::Duration = time::Duration::days(400);

impl DayCount {
    fn name(self) -> String {
        match self {
            DayCount::Registered => "registered".into(),
            DayCount::LetterHours(bucket) => format!("letter-hours-{bucket}"),
            DayCount::ReportsSent => "reports-sent".into(),
            DayCount::ReportsDelivered => "reports-delivered".into(),
            DayCount::Refused => "refused".into(),
            DayCount::LoginFailures => "login-failures".into(),
            DayCount::Blocks => "blocks".into(),
            DayCount::BackofficeFailures => "backoffice-failures".into(),
        }
    }
}

impl Counter {
    pub fn burst(ik: Ik, now: OffsetDateTime) -> Counter {
        Counter::Burst { ik, minute: now.unix_timestamp().div_euclid(60) }
    }

    pub fn quota(ik: Ik, now: OffsetDateTime) -> Counter {
        Counter::Quota { ik, day: german_date(now) }
    }

    pub fn challenges(now: OffsetDateTime) -> Counter {
        Counter::Challenges { minute: now.unix_timestamp().div_euclid(60) }
    }

    pub fn challenges_of(client: ClientAddress, now: OffsetDateTime) -> Counter {
        Counter::ChallengesOfClient { client, minute: now.unix_timestamp().div_euclid(60) }
    }

    pub fn failures_of_ik(ik: Ik, now: OffsetDateTime) -> Counter {
        Counter::FailuresOfIk { ik, day: german_date(now) }
    }

    pub fn failures_of_client(client: ClientAddress, now: OffsetDateTime) -> Counter {
        Counter::FailuresOfClient { client, hour: now.unix_timestamp().div_euclid(3600) }
    }

    pub fn successes_of_ik(ik: Ik, now: OffsetDateTime) -> Counter {
        Counter::SuccessesOfIk { ik, day: german_date(now) }
    }

    pub fn successes_of_client(client: ClientAddress, now: OffsetDateTime) -> Counter {
        Counter::SuccessesOfClient { client, hour: now.unix_timestamp().div_euclid(3600) }
    }

    pub fn repeated_registration_notices(ik: Ik, now: OffsetDateTime) -> Counter {
        Counter::RepeatedRegistrationNotices { ik, day: german_date(now) }
    }

    pub fn new_browser_notices(ik: Ik, now: OffsetDateTime) -> Counter {
        Counter::NewBrowserNotices { ik, day: german_date(now) }
    }

    pub fn queries_of(client: ClientAddress, now: OffsetDateTime) -> Counter {
        Counter::QueriesOfClient { client, minute: now.unix_timestamp().div_euclid(60) }
    }

    pub fn proof_checks_of(client: ClientAddress, now: OffsetDateTime) -> Counter {
        Counter::ProofChecksOfClient { client, minute: now.unix_timestamp().div_euclid(60) }
    }

    /// The per-day count `figure` of the German day of `at`.
    pub fn figure(figure: DayCount, at: OffsetDateTime) -> Counter {
        Counter::Figure { figure, day: german_date(at) }
    }

    /// `session`: the session's id hash.
    pub fn failures_of_session(session: &str, until: OffsetDateTime) -> Counter {
        Counter::FailuresOfSession { session: session.to_string(), until }
    }

    /// The key in the counters table.
    pub fn key(&self) -> String {
        match self {
            Counter::Burst { ik, minute } => format!("burst#{ik}#{minute}"),
            Counter::Quota { ik, day } => format!("quota#{ik}#{day}"),
            Counter::QueriesOfClient { client, minute } => format!("queries#{client}#{minute}"),
            Counter::Challenges { minute } => format!("challenges#{minute}"),
            Counter::ChallengesOfClient { client, minute } => {
                format!("challenges#{client}#{minute}")
            }
            Counter::FailuresOfIk { ik, day } => format!("failures#{ik}#{day}"),
            Counter::FailuresOfClient { client, hour } => format!("failures#{client}#{hour}"),
            Counter::SuccessesOfIk { ik, day } => format!("successes#{ik}#{day}"),
            Counter::SuccessesOfClient { client, hour } => format!("successes#{client}#{hour}"),
            Counter::RepeatedRegistrationNotices { ik, day } => {
                format!("registration-notices#{ik}#{day}")
            }
            Counter::NewBrowserNotices { ik, day } => format!("browser-notices#{ik}#{day}"),
            Counter::ProofChecksOfClient { client, minute } => {
                format!("proof-checks#{client}#{minute}")
            }
            Counter::FailuresOfSession { session, .. } => format!("session-failures#{session}"),
            Counter::Figure { figure, day } => format!("figures#count#{}#{day}", figure.name()),
        }
    }

    /// When the count starts again.
    pub fn window_ends(&self) -> OffsetDateTime {
        let at = |seconds: i64| {
            OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
        };
        let after = |day: &Date| german_midnight(day.next_day().unwrap_or(*day));
        match self {
            Counter::Burst { minute, .. }
            | Counter::Challenges { minute }
            | Counter::ChallengesOfClient { minute, .. }
            | Counter::QueriesOfClient { minute, .. }
            | Counter::ProofChecksOfClient { minute, .. } => at((minute + 1) * 60),
            Counter::FailuresOfClient { hour, .. } | Counter::SuccessesOfClient { hour, .. } => {
                at((hour + 1) * 3600)
            }
            Counter::Quota { day, .. }
            | Counter::FailuresOfIk { day, .. }
            | Counter::SuccessesOfIk { day, .. }
            | Counter::RepeatedRegistrationNotices { day, .. }
            | Counter::NewBrowserNotices { day, .. } => after(day),
            Counter::FailuresOfSession { until, .. } => *until,
            Counter::Figure { day, .. } => after(day) + FIGURE_COUNTERS_KEPT,
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn daily_counters_end_at_german_midnight_and_short_ones_with_their_minute_or_hour() {
        let ik = Ik::parse("301412340").unwrap();
        // 23:30 UTC on 4 May is already 5 May in Germany (summer time).
        let now = datetime!(2026-05-04 23:30 UTC);
        let failures = Counter::failures_of_ik(ik, now);
        assert_eq!(failures.key(), "failures#301412340#2026-05-05");
        assert_eq!(failures.window_ends(), datetime!(2026-05-05 22:00 UTC));
        assert_eq!(Counter::challenges(now).window_ends(), datetime!(2026-05-04 23:31 UTC));
        let client = ClientAddress::parse("198.51.100.10").unwrap();
        let of_client = Counter::failures_of_client(client, now);
        assert_eq!(of_client.window_ends(), datetime!(2026-05-05 00:00 UTC));
        assert_ne!(of_client.key(), Counter::challenges_of(client, now).key());
    }
}
