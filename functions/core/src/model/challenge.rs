//! The proof-of-work challenges of the registration (and of logins after failures).

use time::OffsetDateTime;

use super::ChallengeId;

/// A proof-of-work challenge (registration, and logins after failures), good for one use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: ChallengeId,
    pub salt: String,
    pub difficulty: u8,
    pub expires_at: OffsetDateTime,
}
