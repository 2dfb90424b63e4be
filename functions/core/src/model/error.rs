//! What can go wrong in any store.

use std::error::Error;

/// The cause of a failure, whatever the adapter met.
pub type Source = Box<dyn Error + Send + Sync>;

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

/// An error with all its causes, for a log line: "the store is unavailable: … : disk full".
pub fn error_chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text += ": ";
        text += &cause.to_string();
        source = cause.source();
    }
    text
}
