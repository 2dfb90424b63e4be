//! The sessions a provider can see and end (BSI TR-03161 O.Auth_14): every live session of the
//! account, the one asking marked, each named by an id derived from its hash (never the
//! cookie's value, nor the store's key).

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::Accounts;
use crate::model::{Browser, Session, SessionIdHash};
use crate::ports::StoreError;

/// One session as its provider sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEntry {
    pub id: String,
    pub current: bool,
    pub started_at: OffsetDateTime,
    pub last_active_at: OffsetDateTime,
    pub browser: Browser,
}

/// The id a session is listed (and ended) under: 128 bits of the SHA-256 of its hash.
pub fn public_session_id(id_hash: &SessionIdHash) -> String {
    let digest = Sha256::new()
        .chain_update(b"portal session list id|")
        .chain_update(id_hash.as_str().as_bytes())
        .finalize();
    hex::encode(&digest[..16])
}

impl Accounts {
    /// The account's live sessions (not timed out, not begun before the credentials last
    /// changed), the newest first.
    pub async fn sessions_of(&self, current: &Session) -> Result<Vec<SessionEntry>, StoreError> {
        let live = self.live_sessions(current).await?;
        Ok(live
            .into_iter()
            .map(|s| SessionEntry {
                id: public_session_id(&s.id_hash),
                current: s.id_hash == current.id_hash,
                started_at: s.created_at,
                last_active_at: s.last_active_at,
                browser: s.browser,
            })
            .collect())
    }

    /// Ends the account's session listed as `id`; false when the account has none such (a
    /// session of another account is not found either).
    pub async fn end_session(&self, current: &Session, id: &str) -> Result<bool, StoreError> {
        let live = self.live_sessions(current).await?;
        let Some(found) = live.into_iter().find(|s| public_session_id(&s.id_hash) == id) else {
            return Ok(false);
        };
        self.sessions.delete_session(&found.id_hash).await?;
        tracing::info!(ik = %current.ik, "a session ended by its provider");
        Ok(true)
    }

    /// Ends every session of the account but `current`; says how many.
    pub async fn end_other_sessions(&self, current: &Session) -> Result<usize, StoreError> {
        let mut ended = 0;
        for session in self.sessions.sessions_of(&current.ik).await? {
            if session.id_hash != current.id_hash {
                self.sessions.delete_session(&session.id_hash).await?;
                ended += 1;
            }
        }
        tracing::info!(ik = %current.ik, ended, "other sessions ended by their provider");
        Ok(ended)
    }

    async fn live_sessions(&self, current: &Session) -> Result<Vec<Session>, StoreError> {
        let now = self.clock.now();
        let standing = self.accounts.standing(&current.ik).await?;
        let mut live: Vec<Session> = self
            .sessions
            .sessions_of(&current.ik)
            .await?
            .into_iter()
            .filter(|s| s.ik == current.ik && !s.is_expired(now, &self.policy))
            .filter(|s| standing.as_ref().is_none_or(|st| !s.predates_credentials(st)))
            .collect();
        live.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        Ok(live)
    }
}
