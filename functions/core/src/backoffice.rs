//! The back office's own login (a role of its own, never a provider's account) and the figures it
//! reads: per day, the top providers with their share of the quota, those close to it, failed
//! logins, letters waiting, and the anomaly list.

use std::sync::Arc;

use portal_domain::{ClientAddress, Ik};
use time::{Date, Duration};

use crate::accounts::{
    HashError, SecretHasher, SessionError, new_initial_password, new_session_id, session_id_hash,
};
use crate::figures::{Anomaly, Figures, anomalies, count_figure};
use crate::model::{
    AuditCheck, BackofficeName, BackofficeSession, BackofficeUser, Counter, DayCount, DayFigures,
    Policy,
};
use crate::ports::{BackofficeStore, Clock, LetterQueue, Limits, Saved, StoreError};

/// How many providers the top list shows.
pub const TOP_PROVIDERS: usize = 20;
/// A provider at or above this share of its daily quota on a day is "close to its quota".
pub const CLOSE_TO_QUOTA: f64 = 0.8;
/// Pending letters counted at most (the figure shows "1000 or more" beyond).
const PENDING_COUNTED: usize = 1000;

#[derive(Clone)]
pub struct Backoffice {
    pub store: Arc<dyn BackofficeStore>,
    pub limits: Arc<dyn Limits>,
    pub letters: Arc<dyn LetterQueue>,
    pub figures: Figures,
    pub hasher: SecretHasher,
    pub clock: Arc<dyn Clock>,
    /// The providers' rules: the same failure limits and idle timeout apply here.
    pub policy: Policy,
    pub quota_per_day: u32,
}

/// Why a back-office login was refused.
#[derive(Debug, thiserror::Error)]
pub enum BackofficeLoginError {
    /// The same answer for an unknown name and a wrong password.
    #[error("name or password wrong")]
    InvalidCredentials,
    #[error("too many failed attempts from this client")]
    TooManyAttempts { retry_after: Duration },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why `portal backoffice add` added no one.
#[derive(Debug, thiserror::Error)]
pub enum BackofficeAddError {
    #[error("the name is taken")]
    Taken,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// A provider's queries on one day against its quota.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderShare {
    pub ik: Ik,
    pub queries: u32,
    /// Queries / daily quota.
    pub share_of_quota: f64,
}

/// The back office's view of one day.
#[derive(Debug, Clone, PartialEq)]
pub struct BackofficeDay {
    pub figures: DayFigures,
    pub top: Vec<ProviderShare>,
    pub close_to_quota: Vec<ProviderShare>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BackofficeFigures {
    pub days: Vec<BackofficeDay>,
    /// Letters waiting for the dispatcher now (at most 1000 counted).
    pub letters_pending: usize,
    /// The last audit check the roll-up recorded, today or yesterday.
    pub audit_check: Option<AuditCheck>,
    pub anomalies: Vec<Anomaly>,
}

impl Backoffice {
    /// Adds a user with a generated password, returned once (only its hash is kept).
    pub async fn add(&self, name: &BackofficeName) -> Result<String, BackofficeAddError> {
        let password = new_initial_password();
        let user = BackofficeUser {
            name: name.clone(),
            password_hash: self.hasher.hash(&password).await?,
            created_at: self.clock.now(),
        };
        match self.store.add_backoffice_user(&user).await? {
            Saved::Done => Ok(password),
            Saved::Conflict => Err(BackofficeAddError::Taken),
        }
    }

    pub async fn remove(&self, name: &BackofficeName) -> Result<bool, StoreError> {
        self.store.remove_backoffice_user(name).await
    }

    /// Logs in with name and password. Like the providers' login: one Argon2id check on every
    /// path (an unknown name too), failures counted per client and hour before the check (a
    /// client past the limit waits), and each failure counted in the day's figures.
    pub async fn login(
        &self,
        name: &str,
        password: &str,
        client: ClientAddress,
    ) -> Result<String, BackofficeLoginError> {
        let now = self.clock.now();
        let failures = Counter::failures_of_client(client, now);
        let successes = Counter::successes_of_client(client, now);
        let credit = self.limits.used(&successes.key()).await?;
        let limit = self.policy.failures_per_client.saturating_add(credit);
        if !self.limits.try_count(&failures.key(), limit, failures.window_ends()).await? {
            return Err(BackofficeLoginError::TooManyAttempts {
                retry_after: failures.window_ends() - now,
            });
        }
        let user = match BackofficeName::parse(name) {
            Ok(name) => self.store.backoffice_user(&name).await?,
            Err(_) => None,
        };
        if !self.hasher.verify(password, user.as_ref().map(|u| u.password_hash.as_str())).await {
            count_figure(self.limits.as_ref(), DayCount::BackofficeFailures, now).await;
            return Err(BackofficeLoginError::InvalidCredentials);
        }
        let Some(user) = user else { return Err(BackofficeLoginError::InvalidCredentials) };
        self.limits.try_count(&successes.key(), u32::MAX, successes.window_ends()).await?;
        let (id, hash) = new_session_id();
        let session = BackofficeSession {
            id_hash: hash.as_str().to_string(),
            name: user.name,
            created_at: now,
            idle_expires_at: now + self.policy.session_idle,
        };
        self.store.put_backoffice_session(&session).await?;
        tracing::info!(user = %session.name, "back-office login");
        Ok(id)
    }

    /// The session behind a back-office cookie, extended by this request.
    pub async fn authenticate(&self, id: &str) -> Result<BackofficeSession, SessionError> {
        let now = self.clock.now();
        let hash = session_id_hash(id);
        let session =
            self.store.backoffice_session(hash.as_str()).await?.ok_or(SessionError::Missing)?;
        if session.idle_expires_at <= now
            || session.created_at + self.policy.session_absolute <= now
        {
            self.store.delete_backoffice_session(hash.as_str()).await?;
            return Err(SessionError::Expired);
        }
        // A user removed meanwhile has no session left either.
        if self.store.backoffice_user(&session.name).await?.is_none() {
            self.store.delete_backoffice_session(hash.as_str()).await?;
            return Err(SessionError::Missing);
        }
        // Written in steps of 15 seconds at least, so that not every read is a write.
        let stored_until = session.idle_expires_at;
        let extended =
            BackofficeSession { idle_expires_at: now + self.policy.session_idle, ..session };
        if extended.idle_expires_at - stored_until >= Duration::seconds(15) {
            self.store.put_backoffice_session(&extended).await?;
        }
        Ok(extended)
    }

    pub async fn logout(&self, id: &str) -> Result<(), StoreError> {
        self.store.delete_backoffice_session(session_id_hash(id).as_str()).await
    }

    /// The days `from` to `to` as rolled up, with the providers' shares, the letters waiting and
    /// the anomalies (rules in `figures::anomalies`, over the baseline before `from`).
    pub async fn figures(&self, from: Date, to: Date) -> Result<BackofficeFigures, StoreError> {
        let baseline_from = from - Duration::days(crate::figures::BASELINE_DAYS);
        let all = self.figures.days(baseline_from, to).await?;
        let quota = f64::from(self.quota_per_day.max(1));
        let share = |ik: Ik, queries: u32| ProviderShare {
            ik,
            queries,
            share_of_quota: f64::from(queries) / quota,
        };
        let days = all
            .iter()
            .filter(|d| d.day >= from)
            .map(|d| {
                let mut by_queries: Vec<&crate::model::ProviderDay> = d.providers.iter().collect();
                by_queries.sort_by(|a, b| b.queries.cmp(&a.queries).then(a.ik.cmp(&b.ik)));
                BackofficeDay {
                    top: by_queries
                        .iter()
                        .take(TOP_PROVIDERS)
                        .map(|p| share(p.ik, p.queries))
                        .collect(),
                    close_to_quota: by_queries
                        .iter()
                        .map(|p| share(p.ik, p.queries))
                        .filter(|s| s.share_of_quota >= CLOSE_TO_QUOTA)
                        .collect(),
                    figures: d.clone(),
                }
            })
            .collect();
        let letters_pending = self.letters.pending_letters(PENDING_COUNTED).await?.len();
        let today = self.clock.today();
        let audit_check = self.figures.last_audit_check(today - Duration::days(1), today).await?;
        Ok(BackofficeFigures {
            days,
            letters_pending,
            audit_check,
            anomalies: anomalies(&all, from, to),
        })
    }
}
