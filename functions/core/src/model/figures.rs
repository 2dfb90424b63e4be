//! The daily roll-up of the portal's figures: one value per tenant and German calendar day,
//! computed from the audit log once and read by every request after (no request scans the log).

use portal_domain::Ik;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::StoreError;
use super::stored::{corrupt, date, ik, nanos, time};

/// One provider's queries on one day: for the back office's top list and anomaly rules only,
/// never published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderDay {
    pub ik: Ik,
    pub queries: u32,
    /// Queries about a person with no record at all.
    pub not_found: u32,
    /// Queries between 22:00 and 06:00 German time.
    pub night: u32,
}

/// A tenant's figures of one German calendar day. Figures the portal does not record yet are
/// `None` (shown as "not recorded"), never a made-up zero.
#[derive(Debug, Clone, PartialEq)]
pub struct DayFigures {
    pub day: Date,
    /// Queries answered (and so recorded in the audit log).
    pub queries_answered: u64,
    /// Of those, answers showing an exemption in a shown year.
    pub queries_exempt: u64,
    pub queries_not_found: u64,
    pub queries_night: u64,
    /// Distinct providers with at least one answered query.
    pub providers_active: u64,
    /// Distinct providers with a query in the day's month, from its first day to this one: the
    /// month's figure is its last day's, so public reads need no provider lists.
    pub providers_active_month_to_date: u64,
    /// Per provider, by IK (kept apart by the stores: read by the back office only; empty when
    /// read without them).
    pub providers: Vec<ProviderDay>,
    /// Accounts created that day (from the figure counters, like the counts below; `None` for
    /// days rolled up before they were kept).
    pub providers_registered: Option<u64>,
    /// The median of [`DayFigures::letter_hours`] (see `figures::median_hours`).
    pub median_hours_to_letters: Option<f64>,
    /// Initial-password letters sent that day, per bucket of hours since their registration
    /// (`HOURS_BUCKETS`, the last bucket open-ended); empty when not recorded.
    pub letter_hours: Vec<u64>,
    pub reports_sent: Option<u64>,
    pub reports_delivered: Option<u64>,
    /// Queries refused with 503 where the store still took the count (a store that is down
    /// entirely counts nothing: in AWS, the API's access log and the Lambdas' error metrics
    /// are the measure then).
    pub refused_unavailable: Option<u64>,
    /// Failed provider logins, accounts blocked, failed back-office logins (back office only).
    pub login_failures: Option<u64>,
    pub blocks: Option<u64>,
    pub backoffice_failures: Option<u64>,
    /// The audit chains' verification run on this day (at most once a day, by the roll-up's
    /// schedule), so that the back office reads its result instead of verifying per request.
    pub audit_check: Option<AuditCheck>,
    /// When this roll-up ran (a later run of the same day replaces it).
    pub rolled_up_at: OffsetDateTime,
}

/// What a verification of the audit chains found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCheck {
    /// Unix seconds.
    pub checked_at: i64,
    pub chains: u64,
    pub records: u64,
    /// Gaps, broken links, forged or missing anchors; 0: intact.
    pub problems: u64,
}

/// The stored form: compact JSON without the providers, which are stored apart (see
/// [`DayFigures::providers_text`]).
#[derive(Serialize, Deserialize)]
struct Stored {
    day: String,
    answered: u64,
    exempt: u64,
    not_found: u64,
    night: u64,
    active: u64,
    active_month: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    registered: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hours_to_letters: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reports_sent: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reports_delivered: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refused: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    letter_hours: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    login_failures: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    blocks: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    backoffice_failures: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit_check: Option<AuditCheck>,
    rolled_up_at: i128,
}

impl DayFigures {
    /// An empty day: what a day without a single query rolls up to.
    pub fn empty(day: Date, rolled_up_at: OffsetDateTime) -> DayFigures {
        DayFigures {
            day,
            queries_answered: 0,
            queries_exempt: 0,
            queries_not_found: 0,
            queries_night: 0,
            providers_active: 0,
            providers_active_month_to_date: 0,
            providers: Vec::new(),
            providers_registered: None,
            median_hours_to_letters: None,
            reports_sent: None,
            reports_delivered: None,
            refused_unavailable: None,
            letter_hours: Vec::new(),
            login_failures: None,
            blocks: None,
            backoffice_failures: None,
            audit_check: None,
            rolled_up_at,
        }
    }

    /// The text a store keeps.
    pub fn to_text(&self) -> String {
        let stored = Stored {
            day: self.day.to_string(),
            answered: self.queries_answered,
            exempt: self.queries_exempt,
            not_found: self.queries_not_found,
            night: self.queries_night,
            active: self.providers_active,
            active_month: self.providers_active_month_to_date,
            registered: self.providers_registered,
            hours_to_letters: self.median_hours_to_letters,
            reports_sent: self.reports_sent,
            reports_delivered: self.reports_delivered,
            refused: self.refused_unavailable,
            letter_hours: self.letter_hours.clone(),
            login_failures: self.login_failures,
            blocks: self.blocks,
            backoffice_failures: self.backoffice_failures,
            audit_check: self.audit_check.clone(),
            rolled_up_at: nanos(self.rolled_up_at),
        };
        serde_json::to_string(&stored).unwrap_or_default()
    }

    /// The providers' counts as a store keeps them, apart from the figures: `[ik, queries,
    /// not_found, night]` each (a day of 10,000 active providers stays near 300 KB, under
    /// DynamoDB's 400 KB item limit).
    pub fn providers_text(&self) -> String {
        let rows: Vec<(String, u32, u32, u32)> = self
            .providers
            .iter()
            .map(|p| (p.ik.to_string(), p.queries, p.not_found, p.night))
            .collect();
        serde_json::to_string(&rows).unwrap_or_default()
    }

    /// Reads `text` (from [`DayFigures::to_text`]) and, if given, the providers' counts (from
    /// [`DayFigures::providers_text`]).
    pub fn parse(text: &str, providers: Option<&str>) -> Result<DayFigures, StoreError> {
        let stored: Stored = serde_json::from_str(text).map_err(|e| corrupt("day figures", e))?;
        Ok(DayFigures {
            day: date("figures day", &stored.day)?,
            queries_answered: stored.answered,
            queries_exempt: stored.exempt,
            queries_not_found: stored.not_found,
            queries_night: stored.night,
            providers_active: stored.active,
            providers_active_month_to_date: stored.active_month,
            providers: providers
                .map(serde_json::from_str::<Vec<(String, u32, u32, u32)>>)
                .transpose()
                .map_err(|e| corrupt("day figures' providers", e))?
                .unwrap_or_default()
                .iter()
                .map(|(text, queries, not_found, night)| {
                    Ok(ProviderDay {
                        ik: ik(text)?,
                        queries: *queries,
                        not_found: *not_found,
                        night: *night,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
            providers_registered: stored.registered,
            median_hours_to_letters: stored.hours_to_letters,
            reports_sent: stored.reports_sent,
            reports_delivered: stored.reports_delivered,
            refused_unavailable: stored.refused,
            letter_hours: stored.letter_hours,
            login_failures: stored.login_failures,
            blocks: stored.blocks,
            backoffice_failures: stored.backoffice_failures,
            audit_check: stored.audit_check,
            rolled_up_at: time(stored.rolled_up_at)?,
        })
    }
}
