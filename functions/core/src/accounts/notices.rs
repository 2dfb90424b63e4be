//! What the provider is told and what is kept (BSI TR-03161 O.Auth_6, O.Auth_16, O.Pass_4): a
//! notice of a login from a browser not seen before, the link in every change notice that
//! blocks the account at once (and sends new letters), the account's history, and the back
//! office's reset of the second factor.
//!
//! History entries and notices of new browsers are written after the change they are about, in
//! writes of their own: a login has no write of its own to join (the account is written once an
//! hour at most), and a login must not fail because its history could not be written. A failed
//! history write is logged (without the IK's secrets) and the action stands.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portal_domain::{ClientAddress, Ik};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::letters::{BlockLink, Compose, FactorChange};
use super::{Accounts, Attempts, HashError, RegisterError, SAVE_ATTEMPTS, secrets};
use crate::model::{
    AccountEvent, BLOCK_LINK_VALID_FOR, BlockToken, Browser, Counter, DEVICE_KNOWN_FOR, DeviceSeen,
    HISTORY_KEPT_FOR, HistoryEntry, Letter,
};

/// Notices of new browsers per account and German day at most: someone holding the password
/// cannot turn fresh browsers into a flood of mail (the history lists every login still).
const NEW_BROWSER_NOTICES_PER_DAY: u32 = 5;
use crate::ports::{Saved, StoreError};

/// A browser's device cookie: 256 random bits; the store keeps only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    id: String,
}

impl Device {
    /// The browser's device id from its cookie, or a new one where it has none (or one that is
    /// not of our making).
    pub fn from_cookie(value: Option<&str>) -> Device {
        let ours = |v: &&str| {
            v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        match value.filter(ours) {
            Some(id) => Device { id: id.to_string() },
            None => Device { id: URL_SAFE_NO_PAD.encode(secrets::random_bytes::<32>()) },
        }
    }

    /// The cookie's value.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn hash(&self) -> String {
        hex(Sha256::new().chain_update(b"portal device|").chain_update(self.id.as_bytes()))
    }
}

fn hex(digest: Sha256) -> String {
    hex::encode(digest.finalize())
}

fn block_token_hash(token: &str) -> String {
    hex(Sha256::new().chain_update(b"portal block link|").chain_update(token.as_bytes()))
}

#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    /// Unknown, expired, or used before: each link works once, for seven days.
    #[error("the link is unknown, expired or used")]
    InvalidLink,
    #[error("too many failed attempts from this client")]
    TooManyAttempts { retry_after: Duration },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// One line of the account's history as the provider sees it.
pub type HistoryLine = HistoryEntry;

impl Accounts {
    /// Writes `event` to the account's history; a failure is logged, never passed on (see the
    /// module's comment).
    pub(super) async fn remember(
        &self,
        ik: Ik,
        event: AccountEvent,
        browser: Option<Browser>,
        now: OffsetDateTime,
    ) {
        let id = URL_SAFE_NO_PAD.encode(secrets::random_bytes::<9>());
        let entry = HistoryEntry { ik, at: now, event, browser, id };
        if let Err(error) = self.history.record_event(&entry).await {
            tracing::warn!(event = event.as_str(), error = %crate::error_chain(&error), "history entry not written");
        }
    }

    /// The account's history of the last 90 days, the newest first.
    pub async fn history(&self, ik: &Ik) -> Result<Vec<HistoryLine>, StoreError> {
        let since = self.clock.now() - HISTORY_KEPT_FOR;
        self.history.history_of(ik, since).await
    }

    /// A completed login from `device`: a browser the account knew is nothing to tell; a new
    /// one is told to the address on file, once per browser. The account's first browser (the
    /// first login after registration) is not: the provider has just received the letters, and
    /// a notice then would only teach them to ignore notices. Failures are logged only: the
    /// login stands.
    pub(super) async fn note_device(
        &self,
        ik: Ik,
        device: &Device,
        browser: Browser,
        client: ClientAddress,
        now: OffsetDateTime,
    ) {
        let seen = self.devices.remember_device(&ik, &device.hash(), now + DEVICE_KNOWN_FOR).await;
        let outcome = match seen {
            Ok(DeviceSeen::New) => {
                let ration = Counter::new_browser_notices(ik, now);
                match self.count(&ration, NEW_BROWSER_NOTICES_PER_DAY).await {
                    Ok(true) => {
                        let network = client.network();
                        let notice =
                            |compose: &Compose<'_>| compose.new_browser(browser.name(), &network);
                        self.queue_notice(&ik, now, notice).await
                    }
                    Ok(false) => Ok(()),
                    Err(error) => Err(error),
                }
            }
            Ok(DeviceSeen::Known | DeviceSeen::First) => Ok(()),
            Err(error) => Err(error),
        };
        if let Err(error) = outcome {
            tracing::warn!(error = %crate::error_chain(&error), "new browser not noted");
        }
    }

    /// Queues a notice to the address on file (with the account, as every letter is queued);
    /// again if the account changed meanwhile. Nothing when the IK has left the directory.
    pub(super) async fn queue_notice(
        &self,
        ik: &Ik,
        now: OffsetDateTime,
        compose: impl FnOnce(&Compose<'_>) -> Letter,
    ) -> Result<(), StoreError> {
        let Some(provider) = self.providers.provider(ik).await? else { return Ok(()) };
        let Some(account) = self.accounts.account(ik).await? else { return Ok(()) };
        let letter = compose(&Compose {
            sender: &self.sender,
            provider: &provider,
            generation: account.letters_generation,
            now,
        });
        let mut account = account;
        for _ in 0..SAVE_ATTEMPTS {
            if self.accounts.save_account(&account, std::slice::from_ref(&letter)).await?
                == Saved::Done
            {
                (self.letters_queued)();
                return Ok(());
            }
            let Some(current) = self.accounts.account(ik).await? else { return Ok(()) };
            account = current;
        }
        Err(StoreError::unavailable("the account kept changing while a notice was queued"))
    }

    /// A new link that blocks the account, for a change notice: its token is random (256
    /// bits), only its hash is stored, and it works once within seven days.
    pub(super) async fn new_block_link(
        &self,
        ik: &Ik,
        drops_factor: bool,
        now: OffsetDateTime,
    ) -> Result<BlockLink, StoreError> {
        let token = URL_SAFE_NO_PAD.encode(secrets::random_bytes::<32>());
        let valid_until = now + BLOCK_LINK_VALID_FOR;
        let stored = BlockToken {
            hash: block_token_hash(&token),
            ik: *ik,
            expires_at: valid_until,
            drops_factor,
        };
        self.block_tokens.put_block_token(&stored).await?;
        let base = self.sender.portal_url.trim_end_matches('/');
        Ok(BlockLink { url: format!("{base}/sperren?token={token}"), valid_until })
    }

    /// "Das war ich nicht": the link of a change notice blocks the account at once. Its
    /// password and Prüfnummer are replaced by new ones, mailed as new credential letters (so
    /// neither the old password nor the old Prüfnummer works, and every session ends); where
    /// the notice was about the second factor, the factor goes too (it may be a stranger's).
    /// The provider gets back in with the new letters. Wrong links count against the client
    /// like failed logins.
    pub async fn block_with_link(
        &self,
        token: &str,
        client: ClientAddress,
    ) -> Result<(), BlockError> {
        let now = self.clock.now();
        let of_client = Attempts::of_client(client, now);
        if !self.reserve(&of_client, self.policy.failures_per_client).await? {
            let retry_after = of_client.failures.window_ends() - now;
            return Err(BlockError::TooManyAttempts { retry_after });
        }
        let found = self.block_tokens.take_block_token(&block_token_hash(token)).await?;
        let Some(found) = found.filter(|t| t.expires_at > now) else {
            return Err(BlockError::InvalidLink);
        };
        self.credit(&[&of_client]).await?;
        let provider = self.providers.provider(&found.ik).await?.ok_or(BlockError::InvalidLink)?;
        for _ in 0..SAVE_ATTEMPTS {
            let previous =
                self.accounts.account(&found.ik).await?.ok_or(BlockError::InvalidLink)?;
            let drops_factor = found.drops_factor;
            let issued = self
                .issue_credentials_with(&provider, Some(&previous), now, |account| {
                    if drops_factor {
                        account.second_factor = None;
                    }
                })
                .await;
            match issued {
                Ok(_) => {
                    // Void already (they predate the new credentials); deleted as well, so that
                    // one begun in the same instant goes too.
                    for session in self.sessions.sessions_of(&found.ik).await? {
                        self.sessions.delete_session(&session.id_hash).await?;
                    }
                    tracing::info!(ik = %found.ik, "account blocked with a notice's link");
                    self.remember(found.ik, AccountEvent::BlockedByLink, None, now).await;
                    return Ok(());
                }
                Err(RegisterError::Busy) => continue,
                Err(RegisterError::Store(e)) => return Err(e.into()),
                Err(RegisterError::Hash(e)) => return Err(e.into()),
                Err(_) => return Err(BlockError::InvalidLink),
            }
        }
        Err(StoreError::unavailable("the account kept changing while it was blocked").into())
    }

    /// Back office: removes the second factor and its recovery codes (a provider who lost the
    /// phone and the codes), ends every session, and tells the address on file. False when
    /// there is no account.
    pub async fn reset_factor(&self, ik: &Ik) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let provider = self.providers.provider(ik).await?;
        for _ in 0..SAVE_ATTEMPTS {
            let Some(mut account) = self.accounts.account(ik).await? else { return Ok(false) };
            account.second_factor = None;
            account.sessions_valid_from = account.sessions_valid_from.max(now);
            let letter = provider.as_ref().map(|provider| {
                Compose {
                    sender: &self.sender,
                    provider,
                    generation: account.letters_generation,
                    now,
                }
                .factor_changed(FactorChange::Reset, None)
            });
            if self.accounts.save_account(&account, letter.as_slice()).await? == Saved::Done {
                (self.letters_queued)();
                tracing::info!(%ik, "second factor reset by the back office");
                self.remember(*ik, AccountEvent::FactorReset, None, now).await;
                return Ok(true);
            }
        }
        Err(StoreError::unavailable("the account kept changing while its factor was reset"))
    }

    /// Tells the address on file that the second factor changed, with a link that blocks the
    /// account (and removes the factor, which may be a stranger's). Logged only on failure:
    /// the change stands.
    pub(super) async fn tell_of_factor_change(
        &self,
        ik: &Ik,
        change: FactorChange,
        now: OffsetDateTime,
    ) {
        let told = async {
            let link = self.new_block_link(ik, true, now).await?;
            self.queue_notice(ik, now, |compose| compose.factor_changed(change, Some(&link))).await
        };
        if let Err(error) = told.await {
            tracing::warn!(error = %crate::error_chain(&error), "factor change notice not queued");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_of_our_making_is_kept_and_any_other_replaced() {
        let fresh = Device::from_cookie(None);
        assert_eq!(fresh.id().len(), 43);
        assert_eq!(Device::from_cookie(Some(fresh.id())), fresh);
        assert_ne!(Device::from_cookie(Some("short")).id(), "short");
        assert_ne!(Device::from_cookie(Some(fresh.id())).hash(), fresh.id());
    }
}
