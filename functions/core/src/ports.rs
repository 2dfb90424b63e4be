//! The ports: each trait is as narrow as the use cases that need it, so a Lambda gets only the
//! capabilities (and, in AWS, the permissions) its job requires.

use std::error::Error;

use async_trait::async_trait;
use portal_domain::{Exemption, Ik, Kvnr, Provider, german_date};
use time::{Date, OffsetDateTime};

type Source = Box<dyn Error + Send + Sync>;

/// What can go wrong in any store. Use cases decide what it means for the person waiting.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or refused the operation; trying again later may help.
    #[error("the store is unavailable")]
    Unavailable(#[source] Source),
    /// A stored record no longer parses into a domain type: a bug or tampering, never user input.
    #[error("a stored record is damaged: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn unavailable(error: impl Into<Source>) -> StoreError {
        StoreError::Unavailable(error.into())
    }
}

/// The provider directory the insurer imports: who may register, and where letters go.
#[async_trait]
pub trait ProviderDirectory: Send + Sync {
    /// Adds or replaces the entries with the same IK. Writing the same entries again changes nothing.
    async fn put_providers(&self, providers: &[Provider]) -> Result<(), StoreError>;
    async fn provider(&self, ik: &Ik) -> Result<Option<Provider>, StoreError>;
    /// Whether the directory has no entry at all (the demo loads its data only then).
    async fn is_empty(&self) -> Result<bool, StoreError>;
}

/// The co-payment exemptions the insurer imports, one per person and year.
#[async_trait]
pub trait ExemptionStore: Send + Sync {
    /// Adds or replaces the exemptions with the same KVNR and year.
    async fn put_exemptions(&self, exemptions: &[Exemption]) -> Result<(), StoreError>;
    /// All years on record for one person, newest first.
    async fn exemptions_of(&self, kvnr: &Kvnr) -> Result<Vec<Exemption>, StoreError>;
    /// Everyone exempt in `year` (for replacing a year with a new file).
    async fn exempt_in(&self, year: i32) -> Result<Vec<Kvnr>, StoreError>;
    /// Removes the exemptions of `year` for these people; absent ones are ignored.
    async fn remove_exemptions(&self, year: i32, kvnrs: &[Kvnr]) -> Result<(), StoreError>;
}

/// The time, injectable so that date rules (30 June, expiry, idle timeouts) can be tested.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;

    /// Today in Germany, which is what every calendar rule of the portal means by "today".
    fn today(&self) -> Date {
        german_date(self.now())
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}
