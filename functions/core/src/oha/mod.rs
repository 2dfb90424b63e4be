//! The Online-Hintergrund-Abfrage: is this patient exempt from co-payments? Every answer is
//! written to the audit log, with the consent the provider declared, before it leaves, and
//! leaves with a proof the portal signs once it is recorded (see [`crate::proofs`]).

mod anchor;
mod audit;

use std::sync::Arc;

use portal_domain::{
    ClientAddress, Consent, DispensingDateError, Ik, Initials, Kvnr, YearStatus, YearsShown,
    check_dispensing_date, exempt_on, german_date, year_statuses,
};
use time::{Date, Duration};

pub use anchor::{ANCHOR_EVERY, Anchoring};
pub use audit::{AuditProblem, Verified, verify_audit};

use crate::model::{
    AuditEntry, AuditRecord, AuditRow, Channel, Counter, Limit, Outcome, QueryId, Recorded, Tenant,
};
use crate::ports::{AuditLog, Clock, ExemptionStore, StoreError, TokenSigner};
use crate::proofs::{self, ProofClaims, ProofYear};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OhaSettings {
    /// Queries per provider and calendar day (like AOK Bayern's 100).
    pub quota_per_day: u32,
    /// Queries per provider and minute: a burst limit against scripted lookups.
    pub burst_per_minute: u32,
    /// Queries per client address and minute, of all providers together: against walking
    /// through KVNRs with many accounts from one place. Generous, for pharmacies behind one
    /// address (a chain's network, a practice's router).
    pub queries_per_client_per_minute: u32,
    /// How long audit records are kept.
    pub retention: Duration,
    /// Which years a result shows.
    pub years_shown: YearsShown,
}

impl Default for OhaSettings {
    fn default() -> OhaSettings {
        OhaSettings {
            quota_per_day: 100,
            burst_per_minute: 20,
            queries_per_client_per_minute: 300,
            retention: Duration::days(730),
            years_shown: YearsShown::CurrentAndPreviousUntilJune30,
        }
    }
}

#[derive(Clone)]
pub struct Oha {
    /// Whose queries these are: named in the log (which counts answers per insurer) and in
    /// every proof.
    pub tenant: Arc<Tenant>,
    pub exemptions: Arc<dyn ExemptionStore>,
    pub audit: Arc<dyn AuditLog>,
    pub clock: Arc<dyn Clock>,
    pub settings: OhaSettings,
    /// Signs the proof of every answer; without one no answer is given (the Lambdas have none
    /// yet).
    pub proofs: Option<Arc<dyn TokenSigner>>,
}

/// What a provider asks: about whom, with which consent, for which day of dispensing.
#[derive(Debug, Clone)]
pub struct Question {
    pub ik: Ik,
    pub kvnr: Kvnr,
    pub consent: Consent,
    pub dispensing_date: Option<Date>,
    /// Where it was asked: recorded with it.
    pub channel: Channel,
    /// Who sent it (the browser's or the provider software's address), for its ration.
    pub client: ClientAddress,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub query_id: QueryId,
    pub kvnr: Kvnr,
    /// `None` when the person has no exemption on record at all.
    pub found: Option<Found>,
    /// When it was answered (and recorded).
    pub at: time::OffsetDateTime,
    /// The signed proof of this answer: a compact JWS (see [`crate::proofs`]).
    pub proof: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub initials: Initials,
    pub years: Vec<YearStatus>,
    pub exempt_on_dispensing_date: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("the day of dispensing is not allowed")]
    DispensingDate(DispensingDateError),
    #[error("the daily quota is used up")]
    QuotaExceeded { quota: u32, retry_after: Duration },
    #[error("too many queries in this minute")]
    TooFast { retry_after: Duration },
    /// The answer could not be recorded, so it is not given.
    #[error("the audit log is unavailable")]
    AuditUnavailable(#[source] StoreError),
    /// Recorded, but the proof could not be signed: the answer is not given without it.
    #[error("the proof could not be signed")]
    ProofUnavailable(#[source] StoreError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl QueryError {
    /// Refused for our side's unavailability (answered with 503): what the availability figure
    /// counts against the answered queries.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            QueryError::AuditUnavailable(_)
                | QueryError::ProofUnavailable(_)
                | QueryError::Store(_)
        )
    }
}

impl Oha {
    /// Answers a question. The answer leaves only once it is recorded: counted against the
    /// provider's limits and appended to the audit log in one atomic write. Then, and only then,
    /// its proof is signed: a proof never claims an answer the log does not hold.
    pub async fn ask(&self, question: Question) -> Result<Answer, QueryError> {
        let now = self.clock.now();
        let today = german_date(now);
        let dispensing_date = question
            .dispensing_date
            .map(|day| check_dispensing_date(day, today, self.settings.years_shown))
            .transpose()
            .map_err(QueryError::DispensingDate)?;

        let records = self.exemptions.exemptions_of(&question.kvnr).await?;
        let found = records.first().map(|newest| Found {
            initials: newest.initials().clone(),
            years: year_statuses(&records, today, self.settings.years_shown),
            exempt_on_dispensing_date: dispensing_date.map(|day| exempt_on(&records, day)),
        });
        let entry = AuditEntry {
            query_id: QueryId::new(),
            ik: question.ik,
            at: now,
            kvnr: question.kvnr.clone(),
            consent: question.consent,
            dispensing_date,
            outcome: outcome_of(found.as_ref()),
            channel: question.channel,
            expires_at: now + self.settings.retention,
        };
        // The minute's burst limit, the client address's, then the German calendar day's quota.
        let limits = [
            Limit {
                counter: Counter::burst(question.ik, now),
                limit: self.settings.burst_per_minute,
            },
            Limit {
                counter: Counter::queries_of(question.client, now),
                limit: self.settings.queries_per_client_per_minute,
            },
            Limit { counter: Counter::quota(question.ik, now), limit: self.settings.quota_per_day },
        ];
        let recorded =
            self.audit.record_query(&entry, &limits).await.map_err(QueryError::AuditUnavailable)?;
        let record = match recorded {
            Recorded::Done(record) => record,
            Recorded::OverLimit(counter) => {
                let retry_after = counter.window_ends() - now;
                return Err(match counter {
                    Counter::Burst { .. } | Counter::QueriesOfClient { .. } => {
                        QueryError::TooFast { retry_after }
                    }
                    _ => QueryError::QuotaExceeded {
                        quota: self.settings.quota_per_day,
                        retry_after,
                    },
                });
            }
        };
        let proof = self.prove(&record, found.as_ref()).await.map_err(|error| {
            tracing::error!(
                query_id = %entry.query_id,
                error = %crate::error_chain(&error),
                "recorded, but the proof could not be signed: no answer"
            );
            QueryError::ProofUnavailable(error)
        })?;
        tracing::info!(
            query_id = %entry.query_id,
            ik = %question.ik,
            tenant = %self.tenant.slug,
            channel = question.channel.as_str(),
            "exemption query answered"
        );
        Ok(Answer { query_id: entry.query_id, kvnr: question.kvnr, found, at: now, proof })
    }

    /// The signed proof of the answer `record` holds, stating `found`'s years.
    async fn prove(
        &self,
        record: &AuditRecord,
        found: Option<&Found>,
    ) -> Result<String, StoreError> {
        let signer = self
            .proofs
            .as_ref()
            .ok_or_else(|| StoreError::unavailable("no proof signing key is configured"))?;
        let (kvnr_salt, kvnr_sha256) = proofs::salted_kvnr(&record.kvnr);
        let years = found.map_or(&[][..], |f| f.years.as_slice());
        let claims = ProofClaims {
            iss: self.tenant.letterhead.portal_url.trim_end_matches('/').to_string(),
            iat: record.at.unix_timestamp(),
            query_id: record.query_id.to_string(),
            insurer_ik: self.tenant.ik.to_string(),
            provider_ik: record.ik.to_string(),
            audit_seq: record.seq,
            channel: record.channel.as_str().to_string(),
            kvnr_salt,
            kvnr_sha256,
            found: found.is_some(),
            years: years
                .iter()
                .map(|y| ProofYear {
                    year: y.year,
                    exempt: y.exempt(),
                    valid_from: y.validity.map(|v| v.from.to_string()),
                    valid_to: y.validity.map(|v| v.to.to_string()),
                })
                .collect(),
            dispensing_date: record.dispensing_date.map(|d| d.to_string()),
            exempt_on_dispensing_date: found.and_then(|f| f.exempt_on_dispensing_date),
        };
        proofs::sign(signer.as_ref(), &claims).await
    }

    /// Who asked about this person (`by` a KVNR) or what this provider asked (`by` an IK),
    /// oldest first, between `from` and `to` (German calendar days, inclusive). A damaged
    /// record is listed as such whatever its day (which it no longer tells), never left out.
    pub async fn audit(
        &self,
        by: AuditBy,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let rows = match by {
            AuditBy::Kvnr(kvnr) => self.audit.audit_of_kvnr(&kvnr).await?,
            AuditBy::Ik(ik) => self.audit.audit_of_ik(&ik).await?,
        };
        Ok(rows
            .into_iter()
            .filter(|row| {
                row.intact().is_none_or(|r| {
                    let day = german_date(r.at);
                    from.is_none_or(|from| day >= from) && to.is_none_or(|to| day <= to)
                })
            })
            .collect())
    }

    pub async fn verify(&self) -> Result<Verified, StoreError> {
        verify_audit(self.audit.as_ref(), self.clock.now(), self.settings.retention).await
    }
}

#[derive(Debug, Clone)]
pub enum AuditBy {
    Kvnr(Kvnr),
    Ik(Ik),
}

/// What the query answered, as the audit log records it.
fn outcome_of(found: Option<&Found>) -> Outcome {
    match found {
        None => Outcome { found: false, exempt_years: Vec::new(), exempt_on_dispensing_date: None },
        Some(found) => Outcome {
            found: true,
            exempt_years: found.years.iter().filter(|y| y.exempt()).map(|y| y.year).collect(),
            exempt_on_dispensing_date: found.exempt_on_dispensing_date,
        },
    }
}
