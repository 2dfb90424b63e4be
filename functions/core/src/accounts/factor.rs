//! The second factor (an authenticator app or a passkey, with recovery codes): enrolment, the
//! second step of a login, removal, and the change of an own password, each asking for the
//! password and the factor again (BSI TR-03161 O.Auth_3, O.Auth_7, O.Auth_11). Wrong codes,
//! passkey answers and passwords count as failed logins of the IK and the client, and end the
//! session after a few.

use portal_domain::{ClientAddress, PasswordError};
use time::{Duration, OffsetDateTime};

use super::letters::FactorChange;
use super::passkey::{self, Ceremony, Owner, PasskeyRefusal};
use super::{Accounts, Attempts, Device, LoggedIn, SAVE_ATTEMPTS, letters, totp};
use crate::model::{
    Account, AccountEvent, ChallengeId, Counter, FactorKind, SecondFactor, Session, SessionStage,
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
    /// The passkey's answer does not verify, answers no ceremony of this session, or is late.
    #[error("the passkey was not accepted")]
    PasskeyRefused,
    /// The portal's address has no host name a passkey could be bound to.
    #[error("passkeys cannot be used under this address")]
    PasskeysUnavailable,
    /// The password sent to confirm a change is wrong.
    #[error("the password is wrong")]
    InvalidPassword,
    #[error("a code from the authenticator app is needed")]
    CodeRequired,
    #[error("the passkey's answer is needed")]
    PasskeyRequired,
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
    /// The browser's answer (WebAuthn's JSON, as text) to the ceremony `state` this session
    /// began.
    Passkey {
        state: &'a str,
        credential: &'a str,
    },
}

/// A proof checked against the account as read, to be taken in the account's update (which
/// refuses it if the account changed in between so that it no longer holds).
enum Checked<'a> {
    /// The time step a TOTP code is right for; 0 for a wrong one, which no account accepts.
    Step(u64),
    /// Checked against the stored hashes in the update.
    Recovery(&'a str),
    /// A passkey that answered, or (`None`) did not.
    Passkey(Option<PasskeyTaken>),
}

/// A passkey's answer that verified, to be taken in the account's update.
struct PasskeyTaken {
    /// The stored credential it was checked against, sealed.
    was: Vec<u8>,
    /// The credential to store now (its signature counter moved on), sealed.
    now: Vec<u8>,
    /// The number of the ceremony it answered.
    number: u64,
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
                    kind: FactorKind::Totp,
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
        self.check_enrolment_password(session, &account, password).await?;
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
        let session_id =
            self.enrolled(session, FactorKind::Totp, attempt, client, device, now).await?;
        Ok((codes, session_id))
    }

    /// Begins the registration of a passkey (the browser's `navigator.credentials.create`):
    /// nothing is stored until the browser's answer confirms it.
    pub async fn start_passkey_enrolment(
        &self,
        session: &Session,
    ) -> Result<Ceremony, FactorError> {
        let passkeys = self.passkeys.as_ref().ok_or(FactorError::PasskeysUnavailable)?;
        let account = self.account_of(session).await?;
        if account.has_active_factor() {
            return Err(FactorError::AlreadyActive);
        }
        let provider = self.providers.provider(&session.ik).await?;
        let name = provider.map_or_else(|| session.ik.to_string(), |p| p.name);
        let owner = self.owner(session, self.clock.now());
        passkeys.start_registration(&owner, &name).map_err(|refusal| refused(&session.ik, refusal))
    }

    /// Takes the passkey the browser registered in answer to `state` (with the password, as
    /// for an authenticator app): the factor is active; ten recovery codes come back once,
    /// every other session ends and this browser goes on in a new one.
    pub async fn confirm_passkey_enrolment(
        &self,
        session: &Session,
        state: &str,
        credential: &str,
        password: Option<&str>,
        client: ClientAddress,
        device: &Device,
    ) -> Result<(Vec<String>, String), FactorError> {
        let passkeys = self.passkeys.as_ref().ok_or(FactorError::PasskeysUnavailable)?;
        let now = self.clock.now();
        let account = self.account_of(session).await?;
        if account.has_active_factor() {
            return Err(FactorError::AlreadyActive);
        }
        let attempt = self.begin_attempt(session, client, now).await?;
        self.check_enrolment_password(session, &account, password).await?;
        let ik = session.ik;
        let registered = passkeys.finish_registration(&self.owner(session, now), state, credential);
        let passkey = match registered {
            Ok(passkey) => passkey,
            Err(refusal) => {
                let error = refused(&ik, refusal);
                return Err(self.failed(session, error).await);
            }
        };
        let sealed = self.secrets.seal(&passkey::passkey_bytes(&passkey), &ik, passkey::PURPOSE)?;
        let codes = totp::new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| totp::hash_recovery_code(c)).collect();
        let confirmed = self
            .update(&ik, |a| {
                if a.has_active_factor() {
                    return false;
                }
                a.second_factor = Some(SecondFactor {
                    kind: FactorKind::Passkey,
                    sealed_secret: sealed.clone(),
                    active: true,
                    last_step: 0,
                    recovery_codes: hashes.clone(),
                });
                a.sessions_valid_from = a.sessions_valid_from.max(now);
                true
            })
            .await?
            .unwrap_or(false);
        if !confirmed {
            return Err(FactorError::AlreadyActive);
        }
        let session_id =
            self.enrolled(session, FactorKind::Passkey, attempt, client, device, now).await?;
        Ok((codes, session_id))
    }

    /// Begins a passkey's authentication for this session (`navigator.credentials.get`): the
    /// login's second step, or to confirm a change.
    pub async fn passkey_challenge(&self, session: &Session) -> Result<Ceremony, FactorError> {
        let passkeys = self.passkeys.as_ref().ok_or(FactorError::PasskeysUnavailable)?;
        let account = self.account_of(session).await?;
        let factor = account.second_factor.as_ref().filter(|f| f.active);
        let Some(factor) = factor.filter(|f| f.kind == FactorKind::Passkey) else {
            return Err(FactorError::NoFactor);
        };
        let passkey = self.stored_passkey(&session.ik, factor)?;
        let now = self.clock.now();
        // Above the last answer taken, so that this ceremony's answer can be taken once.
        let number =
            u64::try_from(now.unix_timestamp_nanos()).unwrap_or(0).max(factor.last_step + 1);
        passkeys
            .start_authentication(&self.owner(session, now), &passkey, number)
            .map_err(|refusal| refused(&session.ik, refusal))
    }

    /// The passkey a factor holds, opened.
    fn stored_passkey(
        &self,
        ik: &portal_domain::Ik,
        factor: &SecondFactor,
    ) -> Result<webauthn_rs::prelude::Passkey, FactorError> {
        let stored = self.secrets.open(&factor.sealed_secret, ik, passkey::PURPOSE)?;
        Ok(passkey::passkey_from(&stored).ok_or(CipherError::Open)?)
    }

    /// Whose a passkey ceremony is: this session's account and this session.
    fn owner<'s>(&'s self, session: &'s Session, now: OffsetDateTime) -> Owner<'s> {
        Owner { cipher: &self.secrets, ik: &session.ik, session: &session.id_hash, now }
    }

    /// The password an enrolment asks for: needed, except in the session the password step
    /// just led to a required enrolment (where it was given a moment ago).
    async fn check_enrolment_password(
        &self,
        session: &Session,
        account: &Account,
        password: Option<&str>,
    ) -> Result<(), FactorError> {
        if session.stage == SessionStage::Full || password.is_some() {
            let password = password.ok_or(FactorError::PasswordRequired)?;
            if !self.hasher.verify(password, Some(&account.password_hash)).await {
                return Err(self.failed(session, FactorError::InvalidPassword).await);
            }
        }
        Ok(())
    }

    /// After a factor became active: the attempt given back, a new session for this browser,
    /// the history, the notice, and (led here by a required enrolment) the login completed.
    async fn enrolled(
        &self,
        session: &Session,
        kind: FactorKind,
        attempt: Reauthentication,
        client: ClientAddress,
        device: &Device,
        now: OffsetDateTime,
    ) -> Result<String, FactorError> {
        self.credit(&[&attempt.of_ik, &attempt.of_client]).await?;
        let session_id = self.renew(session, SessionStage::Full, now).await?;
        tracing::info!(ik = %session.ik, "second factor active");
        self.remember(session.ik, AccountEvent::FactorEnrolled, Some(session.browser), now).await;
        self.tell_of_factor_change(&session.ik, FactorChange::Enrolled(kind), now).await;
        // Led here by the password step because the insurer requires a factor: this completes
        // the login.
        if session.stage == SessionStage::Enrolment {
            self.remember(session.ik, AccountEvent::Login, Some(session.browser), now).await;
            self.note_device(session.ik, device, session.browser, client, now).await;
        }
        Ok(session_id)
    }

    /// Removes the active factor of `kind`, with the password and the factor (or a recovery
    /// code). Every other session ends; this browser goes on in a new session (led to
    /// enrolment again where the insurer requires a factor).
    pub async fn remove_factor(
        &self,
        session: &Session,
        kind: FactorKind,
        password: &str,
        proof: SecondFactorProof<'_>,
        client: ClientAddress,
    ) -> Result<String, FactorError> {
        let now = self.clock.now();
        let account = self.account_of(session).await?;
        if account.active_factor() != Some(kind) {
            return Err(FactorError::NoFactor);
        }
        let attempt = self.begin_attempt(session, client, now).await?;
        if !self.hasher.verify(password, Some(&account.password_hash)).await {
            return Err(self.failed(session, FactorError::InvalidPassword).await);
        }
        let checked = self.check(session, &account, proof, now)?;
        let removed = self
            .update(&session.ik, |a| {
                if !a.has_active_factor() || !accept(a, &checked) {
                    return false;
                }
                a.second_factor = None;
                a.sessions_valid_from = a.sessions_valid_from.max(now);
                true
            })
            .await?
            .unwrap_or(false);
        if !removed {
            return Err(self.failed(session, wrong(proof)).await);
        }
        self.credit(&[&attempt.of_ik, &attempt.of_client]).await?;
        let stage =
            if self.second_factor_required { SessionStage::Enrolment } else { SessionStage::Full };
        let session_id = self.renew(session, stage, now).await?;
        tracing::info!(ik = %session.ik, "second factor removed");
        self.remember(session.ik, AccountEvent::FactorRemoved, Some(session.browser), now).await;
        self.tell_of_factor_change(&session.ik, FactorChange::Removed(kind), now).await;
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
        let checked = self.check(session, &account, proof, now)?;
        let accepted = self
            .update(&session.ik, |a| a.has_active_factor() && accept(a, &checked))
            .await?
            .unwrap_or(false);
        if !accepted {
            let browser = Some(session.browser);
            self.remember(session.ik, AccountEvent::SecondFactorFailed, browser, now).await;
            return Err(self.failed(session, wrong(proof)).await);
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
        let checked = match (account.active_factor(), proof) {
            (None, _) => None,
            (Some(FactorKind::Totp), None) => return Err(FactorError::CodeRequired),
            (Some(FactorKind::Passkey), None) => return Err(FactorError::PasskeyRequired),
            (Some(_), Some(proof)) => Some(self.check(session, &account, proof, now)?),
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
            if let Some(checked) = &checked
                && !accept(&mut current, checked)
            {
                return Err(self
                    .failed(session, proof.map_or(FactorError::InvalidCode, wrong))
                    .await);
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

    /// Checks `proof` against the account as read: a TOTP code's time step, a passkey's
    /// answer to a ceremony of this session. What is wrong is counted like a wrong password
    /// when the update refuses it.
    fn check<'p>(
        &self,
        session: &Session,
        account: &Account,
        proof: SecondFactorProof<'p>,
        now: OffsetDateTime,
    ) -> Result<Checked<'p>, FactorError> {
        let factor = account.second_factor.as_ref().filter(|f| f.active);
        Ok(match (proof, factor) {
            (SecondFactorProof::RecoveryCode(code), _) => Checked::Recovery(code),
            (SecondFactorProof::Code(code), Some(f)) if f.kind == FactorKind::Totp => {
                let secret = self.secrets.open(&f.sealed_secret, &account.ik, PURPOSE)?;
                Checked::Step(totp::check(&secret, code, now.unix_timestamp()).unwrap_or(0))
            }
            (SecondFactorProof::Passkey { state, credential }, Some(f))
                if f.kind == FactorKind::Passkey =>
            {
                let Some(passkeys) = &self.passkeys else {
                    return Err(FactorError::PasskeysUnavailable);
                };
                let ik = &account.ik;
                let stored = self.stored_passkey(ik, f)?;
                let owner = self.owner(session, now);
                let answered = passkeys.finish_authentication(&owner, stored, state, credential);
                match answered {
                    Ok(answered) => {
                        let bytes = passkey::passkey_bytes(&answered.passkey);
                        Checked::Passkey(Some(PasskeyTaken {
                            was: f.sealed_secret.clone(),
                            now: self.secrets.seal(&bytes, ik, passkey::PURPOSE)?,
                            number: answered.number,
                        }))
                    }
                    Err(refusal) => {
                        tracing::info!(%ik, %refusal, "passkey refused");
                        Checked::Passkey(None)
                    }
                }
            }
            // A code for a passkey, a passkey for an app: wrong.
            _ => Checked::Step(0),
        })
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
/// yet (and is used up), a passkey's answer must have been checked against the credential
/// still stored and answer a ceremony numbered above the last one taken (so each answer counts
/// once, and of two answers at once only one). False, changing nothing, otherwise.
fn accept(account: &mut Account, checked: &Checked<'_>) -> bool {
    let Some(factor) = account.second_factor.as_mut() else { return false };
    match checked {
        Checked::Step(step) if factor.kind == FactorKind::Totp && *step > factor.last_step => {
            factor.last_step = *step;
            true
        }
        Checked::Recovery(code) => match totp::matching_recovery_code(&factor.recovery_codes, code)
        {
            Some(index) => {
                factor.recovery_codes.remove(index);
                true
            }
            None => false,
        },
        Checked::Passkey(Some(taken))
            if factor.kind == FactorKind::Passkey
                && factor.sealed_secret == taken.was
                && taken.number > factor.last_step =>
        {
            factor.sealed_secret = taken.now.clone();
            factor.last_step = taken.number;
            true
        }
        _ => false,
    }
}

/// The error for a proof the account did not take.
fn wrong(proof: SecondFactorProof<'_>) -> FactorError {
    match proof {
        SecondFactorProof::Passkey { .. } => FactorError::PasskeyRefused,
        _ => FactorError::InvalidCode,
    }
}

/// A passkey ceremony refused, logged with why (webauthn-rs's reasons name no person).
fn refused(ik: &portal_domain::Ik, refusal: PasskeyRefusal) -> FactorError {
    tracing::info!(%ik, %refusal, "passkey refused");
    match refusal {
        PasskeyRefusal::Start(_) | PasskeyRefusal::Seal => FactorError::Cipher(CipherError::Seal),
        _ => FactorError::PasskeyRefused,
    }
}

#[cfg(test)]
mod tests {
    use portal_domain::Ik;
    use time::macros::datetime;

    use super::*;
    use crate::model::Policy;

    fn with_passkey(last: u64) -> Account {
        let ik = Ik::parse("301412340").unwrap();
        let now = datetime!(2026-11-30 12:00 UTC);
        let mut account =
            Account::registered(ik, None, "h".into(), "p".into(), now, &Policy::default());
        account.second_factor = Some(SecondFactor {
            kind: FactorKind::Passkey,
            sealed_secret: vec![1],
            active: true,
            last_step: last,
            recovery_codes: Vec::new(),
        });
        account
    }

    fn answer(number: u64, now: u8) -> Checked<'static> {
        Checked::Passkey(Some(PasskeyTaken { was: vec![1], now: vec![now], number }))
    }

    #[test]
    fn a_passkey_answer_is_taken_once_and_voids_the_ceremonies_begun_before_it() {
        let mut account = with_passkey(10);
        assert!(!accept(&mut account, &answer(10, 2)), "the answer taken last");
        assert!(!accept(&mut account, &answer(9, 2)), "a ceremony begun before it");
        assert_eq!(account.second_factor.as_ref().unwrap().sealed_secret, [1], "unchanged");
        assert!(accept(&mut account, &answer(11, 2)));
        let factor = account.second_factor.as_ref().unwrap();
        assert_eq!((factor.last_step, factor.sealed_secret.as_slice()), (11, [2].as_slice()));
        // The same answer again: checked against the credential stored before, and its number
        // is no longer above the last.
        assert!(!accept(&mut account, &answer(11, 3)));
    }

    #[test]
    fn a_passkey_answer_is_no_code_and_a_code_is_no_passkey_answer() {
        let mut account = with_passkey(10);
        assert!(!accept(&mut account, &Checked::Step(59_000_000)));
        let mut app = with_passkey(0);
        app.second_factor.as_mut().unwrap().kind = FactorKind::Totp;
        assert!(!accept(&mut app, &answer(11, 2)));
    }
}
