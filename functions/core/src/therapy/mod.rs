//! The eTherapiebericht's use cases: so far, finding the physician a report goes to, and the
//! eArztbrief's XML document.

mod earztbrief;

use std::sync::Arc;

use portal_domain::therapy::{Physician, PhysicianQuery};
use portal_domain::{Berufsfeld, Ik};

use crate::ports::{PhysicianDirectory, ProviderDirectory, StoreError};

pub use earztbrief::{Letter, earztbrief_xml, oid};

/// The most physicians one search answers with: enough to pick from, few enough to read.
pub const SEARCH_LIMIT: usize = 20;

#[derive(Clone)]
pub struct Reports {
    pub providers: Arc<dyn ProviderDirectory>,
    pub physicians: Arc<dyn PhysicianDirectory>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportsError {
    /// Only Heilmittel practices write therapy reports.
    #[error("only Heilmittel practices write therapy reports")]
    NotHeilmittel,
    /// Fewer than two letters, or a number that is neither a LANR, a BSNR nor a postcode.
    #[error("the search is too short to search with")]
    QueryTooShort,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Reports {
    /// The physicians answering `query`, for the practice `ik`, by name.
    pub async fn search_physicians(
        &self,
        ik: &Ik,
        query: &str,
    ) -> Result<Vec<Physician>, ReportsError> {
        self.heilmittel_practice(ik).await?;
        let query = PhysicianQuery::parse(query).ok_or(ReportsError::QueryTooShort)?;
        Ok(self.physicians.search_physicians(&query, SEARCH_LIMIT).await?)
    }

    /// A practice of the Heilmittel field, or why not (a provider no longer in the directory is
    /// treated as not one).
    async fn heilmittel_practice(&self, ik: &Ik) -> Result<(), ReportsError> {
        match self.providers.provider(ik).await? {
            Some(p) if p.berufsfeld == Berufsfeld::Heilmittel => Ok(()),
            _ => Err(ReportsError::NotHeilmittel),
        }
    }
}
