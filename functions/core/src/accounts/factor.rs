//! The second factor (TOTP with recovery codes): enrolment, the code step of a login, removal,
//! and the change of an own password, each asking for the password and a code again
//! (BSI TR-03161 O.Auth_3, O.Auth_7, O.Auth_11). Wrong codes and passwords count as failed
//! logins of the IK and the client, and end the session after a few.

use portal_domain::{ClientAddress, PasswordError};
use time::{Duration, OffsetDateTime};

use super::letters::FactorChange;
use super::{Accounts, Attempts, Device, LoggedIn, SAVE_ATTEMPTS, letters, totp};
use crate::model::{
    Account, AccountEvent, ChallengeId, Counter, SecondFactor, Session, SessionStage,
};
use crate::ports::{Saved, StoreError};
use crate::therapy::CipherError;

/// What the sealed TOTP secret is bound to, besides tenant and account.
const PURPOSE: &str = "totp";

/// Wrong codes or passwords one session may send before it ends.
pub const FAILURES_PER_SESSION: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum FactorError {
    /// A wrong (or used) TOTP code or recovery code.
    #[error("the code is wrong or was used before")]
    InvalidCode,
    /// The password sent to confirm a change is wrong.
    #[error("the password is wrong")]
    InvalidPassword,
    #[error("a code from the authenticator app is needed")]
    CodeRequired,
    #[error("the password is needed")]
    PasswordRequired,
    /// Enrolment asked while a factor is active: remove it first (with password and code).
    #[error("a second factor is active already")]
    AlreadyActive,
    /// Confirmation without an enrolment begun, or removal without an active factor.
    #[error("no second factor to confirm or remove")]
    NoFactor,
    /// Several failures for this IK today: the code step needs a solved security check too.
    #[error("a solved security check is needed")]
    ChallengeRequired,
    #[error("too many failed attempts from this client")]
    TooManyAttempts { retry_after: Duration },
    /// Too many wrong codes or passwords in this session: it has ended.
    #[error("too many failed attempts in this session; it has ended")]
    SessionEnded,
    #[error("blocked by the back office")]
    Blocked,
    #[error("the new password is not acceptable")]
    Weak(PasswordError),
    #[error("the account's secret could not be sealed or opened")]
    Cipher(#[from] CipherError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] super::HashError),
}

/// A started enrolment: what the app shows once.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// base32, for typing into an app.
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

/// What proves the second factor.
#[derive(Debug, Clone, Copy)]
pub enum SecondFactorProof<'a> {
    Code(&'a str),
    RecoveryCode(&'a str),
}

impl Accounts {
    /// Starts (or starts again) the enrolment of a TOTP factor: a new secret, stored sealed and
    /// pending until a first code confirms it.
    pub async fn start_enrolment(&self, session: &Session) -> Result<Enrolment, FactorError> {
        let ik = session.ik;
        let secret = totp::new_secret();
        let sealed = self.secrets.seal(&secret, &ik, PURPOSE)?;
        let started = self
            .update(&ik, |account| {
                if account.has_active_factor() {
                    return false;
                }
                account.second_factor = Some(SecondFactor {
                    sealed_secret: sealed.clone(),
                    active: false,
                    last_step: 0,
                    recovery_codes: Vec::new(),
                });
                true
            })
            .await?
            .ok_or(FactorError::NoFactor)?;
        if !started {
            return Err(FactorError::AlreadyActive);
        }
        let account = ik.to_string();
        let uri = totp::otpauth_uri(&secret, &self.issuer, &account).ok_or(CipherError::Seal)?;
        let qr_svg = totp::qr_svg(&uri).ok_or(CipherError::Seal)?;
        tracing::info!(%ik, "second factor enrolment started");
        Ok(Enrolment { secret: totp::secret_text(&secret), otpauth_uri: uri, qr_svg })
    }

    /// Confirms the pending factor with its first code (and the password, unless this session
    /// is the enrolment the password step just led to): the factor is active, ten recovery
    /// codes are returned once, every other session ends and this browser goes on in a new
    /// one (its id is returned for the cookie).
    pub async fn confirm_enrolment(
        &self,
        session: &Session,
        code: &str,
        password: Option<&str>,
        client: ClientAddress,
        device: &Device,
    ) -> Result<(Vec<String>, String), FactorError> {
        let now = self.clock.now();
        let account = self.account_of(session).await?;
        let pending = account.second_factor.as_ref().filter(|f| !f.active).cloned();
        let Some(pending) = pending else { return Err(FactorError::NoFactor) };
        let attempt = self.begin_attempt(session, client, now).await?;
        if session.stage == SessionStage::Full || password.is_some() {
            let password = password.ok_or(FactorError::PasswordRequired)?;
            if !self.hasher.verify(password, Some(&account.password_hash)).await {
                return Err(self.failed(session, FactorError::InvalidPassword).await);
            }
        }
        let secret = self.secrets.open(&pending.sealed_secret, &session.ik, PURPOSE)?;
        let Some(step) = totp::check(&secret, code, now.unix_timestamp()) else {
            return Err(self.failed(session, FactorError::InvalidCode).await);
        };
        let codes = totp::new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| totp::hash_recovery_code(c)).collect();
        let confirmed = self
            .update(&session.ik, |a| match &mut a.second_factor {
                Some(f) if !f.active && f.sealed_secret == pending.sealed_secret => {
                    f.active = true;
                    f.last_step = step;
                    f.recovery_codes = hashes.clone();
                    // Sessions begun with the password alone end (a stolen one among them).
                    a.sessions_valid_from = a.sessions_valid_from.max(now);
                    true
                }
                _ => false,
            })
            .await?
            .unwrap_or(false);
        if !confirmed {
            return Err(FactorError::NoFactor);
        }
        self.credit(&[&attempt.of_ik, &attempt.of_client]).await?;
        let session_id = self.renew(session, SessionStage::Full, now).await?;
        tracing::info!(ik = %session.ik, "second factor active");
        self.remember(session.ik, AccountEvent::FactorEnrolled, Some(session.browser), now).await;
        self.tell_of_factor_change(&session.ik, FactorChange::Enrolled, now).await;
        // Led here by the password step because the insurer requires a factor: this completes
        // the login.
        if session.stage == SessionStage::Enrolment {
            self.remember(session.ik, AccountEvent::Login, Some(session.browser), now).await;
            self.note_device(session.ik, device, session.browser, client, now).await;
        }
        Ok((codes, session_id))
    }

    /// Removes the active factor, with the password and a code (or a recovery code). Every other
    /// session ends; this browser goes on in a new session (led to enrolment again where the
    /// insurer requires a factor).
    pub async fn remove_factor(
        &self,
        session: &Session,
        password: &str,
        proof: SecondFactorProof<'_>,
        client: ClientAddress,
    ) -> Result<String, FactorError> {
        let now = self.clock.now();
        let account = self.account_of(session).await?;
        if !account.has_active_factor() {
            return Err(FactorError::NoFactor);
        }
        let attempt = self.begin_attempt(session, client, now).await?;
        if !self.hasher.verify(password, Some(&account.password_hash)).await {
            return Err(self.failed(session, FactorError::InvalidPassword).await);
        }
        let step = self.step_of(&account, proof, now)?;
        let removed = self
            .update(&session.ik, |a| {
                if !a.has_active_factor() || !accept(a, proof, step) {
                    return false;
                }
                a.second_factor = None;
                a.sessions_valid_from = a.sessions_valid_from.max(now);
                true
            })
            .await?
            .unwrap_or(false);
        if !removed {
            return Err(self.failed(session, FactorError::InvalidCode).await);
        }
        self.credit(&[&attempt.of_ik, &attempt.of_client]).await?;
        let stage =
            if self.second_factor_required { SessionStage::Enrolment } else { SessionStage::Full };
        let session_id = self.renew(session, stage, now).await?;
        tracing::info!(ik = %session.ik, "second factor removed");
        self.remember(session.ik, AccountEvent::FactorRemoved, Some(session.browser), now).await;
        self.tell_of_factor_change(&session.ik, FactorChange::Removed, now).await;
        Ok(session_id)
    }

    /// The code step of a login: a right code (each works once) or an unused recovery code
    /// (which is then used up) turns the half-logged-in session into a full one, under a new
    /// id. Wrong ones count as failed logins; after several for the IK today a solved security
    /// check must come along, and a session that sent too many wrong ones ends.
    pub async fn verify_second_factor(
        &self,
        session: &Session,
        proof: SecondFactorProof<'_>,
        challenge: Option<(&ChallengeId, &str)>,
        client: ClientAddress,
        device: &Device,
    ) -> Result<LoggedIn, FactorError> {
        let now = self.clock.now();
        if !self.session_may_try(session).await? {
            self.sessions.delete_session(&session.id_hash).await?;
            return Err(FactorError::SessionEnded);
        }
        let of_client = Attempts::of_client(client, now);
        if !self.reserve(&of_client, self.policy.failures_per_client).await? {
            let retry_after = of_client.failures.window_ends() - now;
            return Err(FactorError::TooManyAttempts { retry_after });
        }
        let of_ik = Attempts::of_ik(session.ik, now);
        if !self.reserve(&of_ik, self.policy.max_failures).await? {
            let solved = match challenge {
                Some((id, nonce)) => self.solved(id, nonce, now).await?,
                None => false,
            };
            if !solved {
                return Err(FactorError::ChallengeRequired);
            }
        }
        let account = self.account_of(session).await?;
        if account.blocked {
            return Err(FactorError::Blocked);
        }
        let step = self.step_of(&account, proof, now)?;
        let accepted = self
            .update(&session.ik, |a| a.has_active_factor() && accept(a, proof, step))
            .await?
            .unwrap_or(false);
        if !accepted {
            let browser = Some(session.browser);
            self.remember(session.ik, AccountEvent::SecondFactorFailed, browser, now).await;
            return Err(self.failed(session, FactorError::InvalidCode).await);
        }
        self.credit(&[&of_ik, &of_client]).await?;
        let (session_id, full) =
            self.begin_session(session.ik, now, SessionStage::Full, session.browser).await?;
        self.sessions.delete_session(&session.id_hash).await?;
        let browser = Some(session.browser);
        if let SecondFactorProof::RecoveryCode(_) = proof {
            tracing::info!(ik = %session.ik, "logged in with a recovery code");
            self.remember(session.ik, AccountEvent::RecoveryCodeUsed, browser, now).await;
        } else {
            tracing::info!(ik = %session.ik, "logged in");
        }
        self.remember(session.ik, AccountEvent::Login, browser, now).await;
        self.note_device(session.ik, device, session.browser, client, now).await;
        let status = self.status(&full, account.must_change_password).await?;
        Ok(LoggedIn { session_id, status })
    }

    /// A change of the own password: the current one, and a code where the account has a
    /// factor. Every other session ends (and a notice goes to the address on file); this
    /// browser goes on in a new session, whose id is returned.
    pub async fn change_own_password(
        &self,
        session: &Session,
        current_password: &str,
        new_password: &str,
        proof: Option<SecondFactorProof<'_>>,
        client: ClientAddress,
    ) -> Result<String, FactorError> {
        let now = self.clock.now();
        let account = self.account_of(session).await?;
        let attempt = self.begin_attempt(session, client, now).await?;
        if !self.hasher.verify(current_password, Some(&account.password_hash)).await {
            return Err(self.failed(session, FactorError::InvalidPassword).await);
        }
        let step = match (account.has_active_factor(), proof) {
            (false, _) => None,
            (true, None) => return Err(FactorError::CodeRequired),
            (true, Some(proof)) => Some((proof, self.step_of(&account, proof, now)?)),
        };
        let provider = self.providers.provider(&session.ik).await?;
        self.check_new_password(&account, provider.as_ref(), new_password).await.map_err(|e| {
            match e {
                super::PasswordChangeError::Weak(weak) => FactorError::Weak(weak),
                super::PasswordChangeError::Hash(e) => FactorError::Hash(e),
                super::PasswordChangeError::Store(e) => FactorError::Store(e),
                _ => FactorError::Weak(PasswordError::TooGuessable),
            }
        })?;
        let new_hash = self.hasher.hash(new_password).await?;
        let block = self.new_block_link(&session.ik, false, now).await?;
        let notice = provider.as_ref().map(|provider| {
            letters::Compose {
                sender: &self.sender,
                provider,
                generation: account.letters_generation,
                now,
            }
            .password_changed(&block)
        });
        let mut saved = false;
        for _ in 0..SAVE_ATTEMPTS {
            let Some(mut current) = self.accounts.account(&session.ik).await? else {
                return Err(FactorError::InvalidPassword);
            };
            if current.blocked {
                return Err(FactorError::Blocked);
            }
            if current.password_hash != account.password_hash {
                return Err(FactorError::InvalidPassword);
            }
            if let Some((proof, step)) = step
                && !accept(&mut current, proof, step)
            {
                return Err(self.failed(session, FactorError::InvalidCode).await);
            }
            current.set_own_password(new_hash.clone(), now);
            if self.accounts.save_account(&current, notice.as_slice()).await? == Saved::Done {
                saved = true;
                break;
            }
        }
        if !saved {
            return Err(StoreError::unavailable("the account kept changing").into());
        }
        (self.letters_queued)();
        self.credit(&[&attempt.of_ik, &attempt.of_client]).await?;
        let session_id = self.renew(session, SessionStage::Full, now).await?;
        tracing::info!(ik = %session.ik, "own password changed");
        let browser = Some(session.browser);
        self.remember(session.ik, AccountEvent::PasswordChanged, browser, now).await;
        Ok(session_id)
    }

    async fn account_of(&self, session: &Session) -> Result<Account, FactorError> {
        let account = self.accounts.account(&session.ik).await?;
        account.ok_or(FactorError::Store(StoreError::Corrupt("a session without account".into())))
    }

    /// The time step a TOTP code is right for (`None` for a recovery code, which is checked
    /// against the stored hashes instead); a wrong code is counted like a wrong password.
    fn step_of(
        &self,
        account: &Account,
        proof: SecondFactorProof<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<u64>, FactorError> {
        let SecondFactorProof::Code(code) = proof else { return Ok(None) };
        let Some(factor) = &account.second_factor else { return Ok(Some(0)) };
        let secret = self.secrets.open(&factor.sealed_secret, &account.ik, PURPOSE)?;
        // A wrong code gets step 0, which no account accepts (its last step is later).
        Ok(Some(totp::check(&secret, code, now.unix_timestamp()).unwrap_or(0)))
    }

    /// Counts a re-authentication as a failure of the IK and the client before its secrets are
    /// checked (given back when they are right), and refuses it when this client has failed
    /// too often this hour or this session too often at all. Never asks for a security check:
    /// only a logged-in provider gets here.
    async fn begin_attempt(
        &self,
        session: &Session,
        client: ClientAddress,
        now: OffsetDateTime,
    ) -> Result<Reauthentication, FactorError> {
        if !self.session_may_try(session).await? {
            self.sessions.delete_session(&session.id_hash).await?;
            return Err(FactorError::SessionEnded);
        }
        let of_client = Attempts::of_client(client, now);
        if !self.reserve(&of_client, self.policy.failures_per_client).await? {
            let retry_after = of_client.failures.window_ends() - now;
            return Err(FactorError::TooManyAttempts { retry_after });
        }
        let of_ik = Attempts::of_ik(session.ik, now);
        self.reserve(&of_ik, u32::MAX).await?;
        Ok(Reauthentication { of_ik, of_client })
    }

    /// Whether this session has wrong codes or passwords left.
    async fn session_may_try(&self, session: &Session) -> Result<bool, StoreError> {
        let counter = session_failures(session, &self.policy);
        Ok(self.limits.used(&counter.key()).await? < FAILURES_PER_SESSION)
    }

    /// Notes a failure of this session; the last one allowed ends it.
    async fn failed(&self, session: &Session, error: FactorError) -> FactorError {
        let counter = session_failures(session, &self.policy);
        let counted = self.limits.try_count(&counter.key(), u32::MAX, counter.window_ends()).await;
        match counted {
            Err(e) => e.into(),
            Ok(_) => match self.limits.used(&counter.key()).await {
                Ok(used) if used >= FAILURES_PER_SESSION => {
                    match self.sessions.delete_session(&session.id_hash).await {
                        Ok(()) => FactorError::SessionEnded,
                        Err(e) => e.into(),
                    }
                }
                Ok(_) => error,
                Err(e) => e.into(),
            },
        }
    }

    /// Replaces `session` by a new one of `stage` (a new id after every change of what the
    /// session may do).
    async fn renew(
        &self,
        session: &Session,
        stage: SessionStage,
        now: OffsetDateTime,
    ) -> Result<String, StoreError> {
        let (session_id, _) = self.begin_session(session.ik, now, stage, session.browser).await?;
        self.sessions.delete_session(&session.id_hash).await?;
        Ok(session_id)
    }
}

/// The failures of a re-authentication counted in advance.
struct Reauthentication {
    of_ik: Attempts,
    of_client: Attempts,
}

fn session_failures(session: &Session, policy: &crate::model::Policy) -> Counter {
    Counter::failures_of_session(session.id_hash.as_str(), session.absolute_expires_at(policy))
}

/// Takes the proof on `account`: a TOTP code's step must be later than the last one accepted
/// (so each code works once, also within its window), a recovery code must be one not used
/// yet (and is used up). False, changing nothing, otherwise.
fn accept(account: &mut Account, proof: SecondFactorProof<'_>, step: Option<u64>) -> bool {
    let Some(factor) = account.second_factor.as_mut() else { return false };
    match (proof, step) {
        (SecondFactorProof::Code(_), Some(step)) if step > factor.last_step => {
            factor.last_step = step;
            true
        }
        (SecondFactorProof::RecoveryCode(code), _) => {
            match totp::matching_recovery_code(&factor.recovery_codes, code) {
                Some(index) => {
                    factor.recovery_codes.remove(index);
                    true
                }
                None => false,
            }
        }
        _ => false,
    }
}
