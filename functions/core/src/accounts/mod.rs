//! Provider accounts: registration with credential letters, login, the own password set with the
//! Prüfnummer, sessions, lockout and reactivation, and the dispatch of the letters.

mod factor;
mod letters;
mod notices;
mod passkey;
mod secrets;
mod sessions;
pub mod totp;

use std::sync::Arc;

use portal_domain::{
    ClientAddress, Ik, PasswordError, Provider, Pruefnummer, PruefnummerError,
    check_password_shape, proof_of_work_holds,
};
use time::{Duration, OffsetDateTime};

pub use factor::{Enrolment, FactorError, SecondFactorProof};
pub use letters::{BLOCK_LINK_LABEL, secret_in};
pub use notices::{BlockError, Device, HistoryLine};
pub use passkey::{Ceremony, Passkeys};
pub use secrets::{HashError, SecretHasher, new_initial_password, new_session_id, session_id_hash};
pub use sessions::{SessionEntry, public_session_id};

use crate::model::{
    Account, AccountEvent, Barrier, Browser, Challenge, ChallengeId, Counter, DayCount, FactorKind,
    Letter, LetterKind, Policy, Sender, Session, SessionStage, Standing,
};
use crate::ports::{
    AccountHistory, AccountStore, BlockTokens, ChallengeStore, Clock, KnownDevices, LetterQueue,
    Limits, Mailer, ProviderDirectory, Saved, SessionStore, StoreError,
};
use crate::therapy::SecretCipher;

/// The ports and settings the account use cases work with.
#[derive(Clone)]
pub struct Accounts {
    pub providers: Arc<dyn ProviderDirectory>,
    pub accounts: Arc<dyn AccountStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub challenges: Arc<dyn ChallengeStore>,
    pub limits: Arc<dyn Limits>,
    /// The account's history (O.Pass_4), its known browsers (O.Auth_6), and the block links
    /// of its change notices (O.Auth_16).
    pub history: Arc<dyn AccountHistory>,
    pub devices: Arc<dyn KnownDevices>,
    pub block_tokens: Arc<dyn BlockTokens>,
    pub hasher: SecretHasher,
    pub clock: Arc<dyn Clock>,
    pub policy: Policy,
    pub sender: Sender,
    /// Called after letters were queued, so a local dispatcher can send them at once. In AWS the
    /// table's stream does this.
    pub letters_queued: Arc<dyn Fn() + Send + Sync>,
    /// Seals the TOTP secrets (a key of the tenant's, outside the store); without a key no
    /// second factor can be enrolled or checked.
    pub secrets: Arc<SecretCipher>,
    /// The tenant requires a second factor: an account without one may only enrol after the
    /// password step.
    pub second_factor_required: bool,
    /// How authenticator apps name the account's insurer (the tenant's name).
    pub issuer: String,
    /// Passkeys, where the portal's address has a host name they can be bound to.
    pub passkeys: Option<Arc<Passkeys>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("the security check was wrong, expired or used before")]
    ChallengeInvalid,
    #[error("the IK is not in the provider directory")]
    UnknownIk,
    #[error("the account is active already")]
    AlreadyActive,
    /// The letters of the last registration may still be in the post; they stay the valid ones
    /// until `until`, and the address on file has been told of this attempt.
    #[error("the earlier letters are still on their way")]
    LettersOnTheWay { until: OffsetDateTime },
    #[error("another registration for this IK is under way")]
    Busy,
    /// Blocked by the back office: new letters would not lift the block.
    #[error("blocked by the back office")]
    Blocked,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The same answer for an unknown IK and a wrong password.
    #[error("IK or password wrong")]
    InvalidCredentials,
    /// After several failures for this IK today, each attempt needs a solved proof of work
    /// (`GET /api/challenge`); the same for known and unknown IKs.
    #[error("a solved security check is needed")]
    ChallengeRequired,
    /// Too many failures from this client in this hour; other clients are not affected.
    #[error("too many failed attempts from this client")]
    TooManyAttempts { retry_after: Duration },
    #[error("blocked by the back office")]
    Blocked,
    #[error("unused for too long; reactivate with the Prüfnummer")]
    Inactive,
    #[error("the initial password expired")]
    InitialPasswordExpired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    /// The account has an own password: a change takes it (`current_password`), not the
    /// Prüfnummer (which resets a forgotten one, without a session).
    #[error("the current password is needed for a change")]
    CurrentPasswordRequired,
    #[error("the Prüfnummer is malformed")]
    MalformedPruefnummer(PruefnummerError),
    /// A wrong Prüfnummer (or, for a reset, an unknown IK).
    #[error("IK or Prüfnummer wrong")]
    InvalidCredentials,
    /// A reset of an account that has no own password yet: that takes both letters, the
    /// initial password and the Prüfnummer, so one intercepted letter is never enough.
    #[error("the first own password is set with both letters")]
    NeedsBothLetters,
    #[error("blocked by the back office")]
    Blocked,
    /// Too many failures from this client in this hour.
    #[error("too many failed attempts from this client")]
    TooManyAttempts { retry_after: Duration },
    #[error("the new password is not acceptable")]
    Weak(PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("not logged in")]
    Missing,
    /// A session existed but timed out: the app says so instead of a bare login page.
    #[error("the session timed out")]
    Expired,
    /// The password was right; the second factor's code is still to come.
    #[error("the second factor is still to come")]
    SecondFactorRequired,
    /// The insurer requires a second factor: enrol one first.
    #[error("a second factor must be enrolled first")]
    EnrolmentRequired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct Registered {
    pub ik: Ik,
    /// Where the letters go, masked: "Muster-Apotheke, p***@muster-apotheke.example".
    pub recipient: String,
    pub letters: usize,
}

/// A logged-in provider: the cookie's value once, and what the app needs to know.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub session_id: String,
    pub status: SessionStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStatus {
    pub ik: Ik,
    pub name: String,
    /// The provider's field in the directory (the information pages it sees first).
    pub berufsfeld: Option<portal_domain::Berufsfeld>,
    pub must_change_password: bool,
    pub idle_timeout: Duration,
    pub expires_at: OffsetDateTime,
    /// The password was right; `POST /api/session/second-factor` is next.
    pub second_factor_required: bool,
    /// The insurer requires a second factor and the account has none: enrolment is next.
    pub enrolment_required: bool,
    /// The account's active second factor, if any.
    pub second_factor: Option<FactorKind>,
    /// Passkeys can be enrolled here (the portal's address has a host name).
    pub passkeys_offered: bool,
}

/// How a new password is set with the Prüfnummer: logged in with the initial password (which
/// proves the first letter), or by a reset without a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Session,
    Reset,
}

/// How much harder the security checks get while more are asked for than everyone's ration
/// (16 times the work).
const CROWDED_EXTRA_DIFFICULTY: u8 = 4;

/// The failures and the successes of one IK (per German day) or one client (per hour).
struct Attempts {
    failures: Counter,
    successes: Counter,
}

impl Attempts {
    fn of_ik(ik: Ik, now: OffsetDateTime) -> Attempts {
        Attempts {
            failures: Counter::failures_of_ik(ik, now),
            successes: Counter::successes_of_ik(ik, now),
        }
    }

    fn of_client(client: ClientAddress, now: OffsetDateTime) -> Attempts {
        Attempts {
            failures: Counter::failures_of_client(client, now),
            successes: Counter::successes_of_client(client, now),
        }
    }
}

const SESSION_TOUCH_STEP: Duration = Duration::seconds(15);

/// How often a conditional save is retried when concurrent requests change the same account.
const SAVE_ATTEMPTS: usize = 5;

impl Accounts {
    /// A new proof-of-work challenge (for the registration form, and for logins once an IK has
    /// had several failures); `None` when this minute's challenges, everyone's or this client's,
    /// are used up.
    pub async fn new_challenge(
        &self,
        client: ClientAddress,
    ) -> Result<Option<Challenge>, StoreError> {
        let now = self.clock.now();
        // The client's ration first: one client that uses up its own does not count against
        // everyone's.
        let of_client = Counter::challenges_of(client, now);
        if !self.count(&of_client, self.policy.challenges_per_client).await? {
            return Ok(None);
        }
        // Beyond everyone's ration (many clients at once) the checks get harder, not refused:
        // refusing would let a crowd of addresses keep providers from logging in.
        let crowded =
            !self.count(&Counter::challenges(now), self.policy.challenges_per_minute).await?;
        let difficulty =
            self.policy.challenge_difficulty + if crowded { CROWDED_EXTRA_DIFFICULTY } else { 0 };
        let challenge = Challenge {
            id: ChallengeId::new(),
            salt: secrets::new_challenge_salt(),
            difficulty,
            expires_at: now + self.policy.challenge_valid_for,
        };
        self.challenges.put_challenge(&challenge).await?;
        Ok(Some(challenge))
    }

    async fn count(&self, counter: &Counter, limit: u32) -> Result<bool, StoreError> {
        self.limits.try_count(&counter.key(), limit, counter.window_ends()).await
    }

    /// Takes the challenge `id` (each works once) and says whether `nonce` solves it in time.
    async fn solved(
        &self,
        id: &ChallengeId,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let challenge = self.challenges.take_challenge(id).await?;
        Ok(challenge.is_some_and(|c| {
            c.expires_at > now
                && c.difficulty >= self.policy.challenge_difficulty
                && proof_of_work_holds(&c.salt, nonce, c.difficulty)
        }))
    }

    /// Registers `ik` (or renews a still pending registration, voiding the earlier letters) and
    /// queues the two credential letters to the directory's address, all in one atomic write.
    pub async fn register(
        &self,
        ik: Ik,
        challenge_id: &ChallengeId,
        nonce: &str,
    ) -> Result<Registered, RegisterError> {
        let now = self.clock.now();
        if !self.solved(challenge_id, nonce, now).await? {
            return Err(RegisterError::ChallengeInvalid);
        }
        let provider = self.providers.provider(&ik).await?.ok_or(RegisterError::UnknownIk)?;
        let previous = self.accounts.account(&ik).await?;
        if let Some(previous) = &previous {
            if previous.blocked {
                return Err(RegisterError::Blocked);
            }
            if previous.is_active() {
                return Err(RegisterError::AlreadyActive);
            }
            if let Some(until) = previous.letters_kept_until(&self.policy).filter(|u| *u > now) {
                self.tell_of_repeated_registration(&provider, previous, until, now).await?;
                return Err(RegisterError::LettersOnTheWay { until });
            }
        }
        self.issue_credentials_with(&provider, previous.as_ref(), now, |_| {}).await
    }

    /// Tells the address on file that someone asked for new letters while the earlier ones are
    /// valid: once a day at most, so that the attempt cannot be turned into a flood of mail.
    async fn tell_of_repeated_registration(
        &self,
        provider: &Provider,
        account: &Account,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if !self.count(&Counter::repeated_registration_notices(provider.ik, now), 1).await? {
            return Ok(());
        }
        let compose = letters::Compose {
            sender: &self.sender,
            provider,
            generation: account.letters_generation,
            now,
        };
        let sent_at = account.letters_sent_at(&self.policy).unwrap_or(now);
        let notice = compose.registration_repeated(sent_at, until);
        // A conflict means the account changed meanwhile (the provider logged in, say): the
        // notice matters little then, and the registration is refused either way.
        if self.accounts.save_account(account, &[notice]).await? == Saved::Done {
            (self.letters_queued)();
        }
        Ok(())
    }

    /// Back office: new letters for a pending account (the earlier ones become void).
    pub async fn resend(&self, ik: &Ik) -> Result<Registered, RegisterError> {
        let now = self.clock.now();
        let provider = self.providers.provider(ik).await?.ok_or(RegisterError::UnknownIk)?;
        let previous = self.accounts.account(ik).await?;
        if previous.as_ref().is_some_and(Account::is_active) {
            return Err(RegisterError::AlreadyActive);
        }
        self.issue_credentials_with(&provider, previous.as_ref(), now, |_| {}).await
    }

    /// New letters (the earlier ones void), the account changed by `adjust` besides.
    async fn issue_credentials_with(
        &self,
        provider: &Provider,
        previous: Option<&Account>,
        now: OffsetDateTime,
        adjust: impl FnOnce(&mut Account),
    ) -> Result<Registered, RegisterError> {
        let password = secrets::new_initial_password();
        let pruefnummer = secrets::new_pruefnummer();
        let (password_hash, pruefnummer_hash) =
            tokio::try_join!(self.hasher.hash(&password), self.hasher.hash(pruefnummer.expose()))?;
        let mut account = Account::registered(
            provider.ik,
            previous,
            password_hash,
            pruefnummer_hash,
            now,
            &self.policy,
        );
        adjust(&mut account);
        let compose = letters::Compose {
            sender: &self.sender,
            provider,
            generation: account.letters_generation,
            now,
        };
        let valid_until = account.initial_password_expires_at.unwrap_or(now);
        let letters =
            [compose.initial_password(&password, valid_until), compose.pruefnummer(&pruefnummer)];
        match self.accounts.save_account(&account, &letters).await? {
            Saved::Done => {}
            Saved::Conflict => return Err(RegisterError::Busy),
        }
        if previous.is_none() {
            crate::figures::count_figure(self.limits.as_ref(), DayCount::Registered, now).await;
        }
        tracing::info!(ik = %provider.ik, generation = account.letters_generation, "credential letters queued");
        (self.letters_queued)();
        Ok(Registered {
            ik: provider.ik,
            recipient: format!("{}, {}", provider.name, provider.email.masked()),
            letters: letters.len(),
        })
    }

    /// Logs in with IK and password. Every path does the same work (a counter read, an account
    /// read, one Argon2id check, and on failure two counter writes), so that neither the answer
    /// nor its timing tells an unknown IK from a known one. After `max_failures` failures for
    /// an IK on one day, an attempt needs a solved proof of work: no one can lock a provider
    /// out, and guessing gets expensive. A client with too many failures in an hour waits.
    pub async fn login(
        &self,
        ik: &str,
        password: &str,
        proof: Option<(&ChallengeId, &str)>,
        client: ClientAddress,
        browser: Browser,
        device: &Device,
    ) -> Result<LoggedIn, LoginError> {
        let now = self.clock.now();
        let of_client = Attempts::of_client(client, now);
        if !self.reserve(&of_client, self.policy.failures_per_client).await? {
            let retry_after = of_client.failures.window_ends() - now;
            return Err(LoginError::TooManyAttempts { retry_after });
        }
        let Ok(ik) = Ik::parse(ik) else {
            // A malformed IK is known to be wrong without the store; its hash is spent anyway.
            self.hasher.verify(password, None).await;
            return Err(LoginError::InvalidCredentials);
        };
        let of_ik = Attempts::of_ik(ik, now);
        if !self.reserve(&of_ik, self.policy.max_failures).await? {
            let solved = match proof {
                Some((id, nonce)) => self.solved(id, nonce, now).await?,
                None => false,
            };
            if !solved {
                return Err(LoginError::ChallengeRequired);
            }
        }
        let account = self.accounts.account(&ik).await?;
        let hash = account.as_ref().map(|a| a.password_hash.as_str());
        if !self.hasher.verify(password, hash).await {
            // Written for an unknown IK too, so that the work (and its time) tells nothing.
            self.remember(ik, AccountEvent::LoginFailed, Some(browser), now).await;
            crate::figures::count_figure(self.limits.as_ref(), DayCount::LoginFailures, now).await;
            return Err(LoginError::InvalidCredentials);
        }
        let Some(account) = account else { return Err(LoginError::InvalidCredentials) };
        self.credit(&[&of_ik, &of_client]).await?;
        // Decided on the account as stored now, not as read before the (queued) hash check: a
        // block set meanwhile holds against a right password.
        let barrier = self
            .update(&account.ik, |a| {
                let barrier = a.barrier(now, &self.policy);
                if barrier.is_none() {
                    a.record_login(now);
                }
                barrier
            })
            .await?
            .ok_or(LoginError::InvalidCredentials)?;
        if barrier.is_some() {
            self.remember(ik, AccountEvent::LoginFailed, Some(browser), now).await;
        }
        match barrier {
            Some(Barrier::Blocked) => return Err(LoginError::Blocked),
            Some(Barrier::Inactive) => return Err(LoginError::Inactive),
            Some(Barrier::InitialPasswordExpired) => {
                return Err(LoginError::InitialPasswordExpired);
            }
            None => {}
        }
        let stage = self.stage_after_password(&account);
        let (session_id, session) = self.begin_session(account.ik, now, stage, browser).await?;
        tracing::info!(ik = %account.ik, stage = stage.as_str(), "password accepted");
        // Logged in (the code step, where there is one, does this when it is done).
        if stage == SessionStage::Full {
            self.remember(ik, AccountEvent::Login, Some(browser), now).await;
            self.note_device(ik, device, browser, client, now).await;
        }
        let status = self.status(&session, account.must_change_password).await?;
        Ok(LoggedIn { session_id, status })
    }

    /// Counts an attempt as a failure before its secret is checked, if `allowed` failures (plus
    /// the successes since, which give credit back) are not used up; false when they are. One
    /// atomic count, so that a burst of parallel guesses cannot all slip through before the
    /// first is counted.
    async fn reserve(&self, attempts: &Attempts, allowed: u32) -> Result<bool, StoreError> {
        let credit = self.limits.used(&attempts.successes.key()).await?;
        let counter = &attempts.failures;
        let limit = allowed.saturating_add(credit);
        self.limits.try_count(&counter.key(), limit, counter.window_ends()).await
    }

    /// A right secret: the attempts counted as failures before it are given back.
    async fn credit(&self, attempts: &[&Attempts]) -> Result<(), StoreError> {
        for attempts in attempts {
            let counter = &attempts.successes;
            self.limits.try_count(&counter.key(), u32::MAX, counter.window_ends()).await?;
        }
        Ok(())
    }

    /// The session behind a cookie, extended by this request.
    pub async fn authenticate(
        &self,
        session_id: &str,
    ) -> Result<(Session, Standing), SessionError> {
        let now = self.clock.now();
        let id_hash = session_id_hash(session_id);
        let session = self.sessions.session(&id_hash).await?.ok_or(SessionError::Missing)?;
        if session.is_expired(now, &self.policy) {
            self.sessions.delete_session(&id_hash).await?;
            return Err(SessionError::Expired);
        }
        let Some(standing) = self.accounts.standing(&session.ik).await? else {
            self.sessions.delete_session(&id_hash).await?;
            return Err(SessionError::Missing);
        };
        if session.predates_credentials(&standing) {
            // The password was set anew (maybe by someone who noticed a stranger's session).
            self.sessions.delete_session(&id_hash).await?;
            return Err(SessionError::Expired);
        }
        // Each request extends the session; writing that on every query would make every read
        // a write, so the stored expiry moves in steps of at least 15 seconds.
        let extended = session.extended(now, &self.policy);
        if extended.idle_expires_at - session.idle_expires_at < SESSION_TOUCH_STEP {
            return Ok((session, standing));
        }
        self.sessions.put_session(&extended).await?;
        Ok((extended, standing))
    }

    pub async fn status(
        &self,
        session: &Session,
        must_change_password: bool,
    ) -> Result<SessionStatus, StoreError> {
        let provider = self.providers.provider(&session.ik).await?;
        let berufsfeld = provider.as_ref().map(|p| p.berufsfeld);
        let name = provider.map(|p| p.name).unwrap_or_default();
        let account = self.accounts.account(&session.ik).await?;
        Ok(SessionStatus {
            ik: session.ik,
            name,
            berufsfeld,
            must_change_password,
            idle_timeout: self.policy.session_idle,
            expires_at: session.expires_at(&self.policy),
            second_factor_required: session.stage == SessionStage::SecondFactor,
            enrolment_required: session.stage == SessionStage::Enrolment,
            second_factor: account.and_then(|a| a.active_factor()),
            passkeys_offered: self.passkeys.is_some(),
        })
    }

    /// Where a right password leads: to the code step when the account has a factor, to
    /// enrolment when the insurer requires one and the account (with an own password) has
    /// none, else straight in. An account still on its initial password sets an own one first
    /// (every other route refuses it until then).
    fn stage_after_password(&self, account: &Account) -> SessionStage {
        if account.has_active_factor() {
            SessionStage::SecondFactor
        } else if self.second_factor_required && account.is_active() {
            SessionStage::Enrolment
        } else {
            SessionStage::Full
        }
    }

    pub async fn logout(&self, session_id: &str) -> Result<(), StoreError> {
        self.sessions.delete_session(&session_id_hash(session_id)).await
    }

    /// The logged-in provider sets an own password, proving with the Prüfnummer that they hold the
    /// letters (the session proves the initial password). Wrong Prüfnummern count as failures.
    /// The new password ends every session of the account; this browser goes on in a new one,
    /// whose id is returned for its cookie.
    pub async fn change_password(
        &self,
        session: &Session,
        pruefnummer: &str,
        new_password: &str,
        client: ClientAddress,
    ) -> Result<String, PasswordChangeError> {
        let now = self.clock.now();
        if self.accounts.standing(&session.ik).await?.is_some_and(|s| !s.must_change_password) {
            return Err(PasswordChangeError::CurrentPasswordRequired);
        }
        let via = Via::Session;
        self.set_password_with_pruefnummer(
            &session.ik,
            pruefnummer,
            new_password,
            (via, Some(session.browser)),
            client,
            now,
        )
        .await?;
        // Now active: where the insurer requires a second factor, enrolment comes next.
        let account = self.accounts.account(&session.ik).await?;
        let stage = account.as_ref().map_or(SessionStage::Full, |a| self.stage_after_password(a));
        let stage = if stage == SessionStage::SecondFactor { SessionStage::Full } else { stage };
        let (session_id, _) = self.begin_session(session.ik, now, stage, session.browser).await?;
        self.sessions.delete_session(&session.id_hash).await?;
        Ok(session_id)
    }

    /// A new session with a new random id, stored; returns the id for the cookie.
    async fn begin_session(
        &self,
        ik: Ik,
        now: OffsetDateTime,
        stage: SessionStage,
        browser: Browser,
    ) -> Result<(String, Session), StoreError> {
        let (session_id, id_hash) = secrets::new_session_id();
        let session = Session {
            id_hash,
            ik,
            created_at: now,
            idle_expires_at: (now + self.policy.session_idle)
                .min(now + self.policy.session_absolute),
            last_active_at: now,
            stage,
            browser,
        };
        self.sessions.put_session(&session).await?;
        Ok((session_id, session))
    }

    /// Forgotten password or long non-use: IK, Prüfnummer and a new password, no session. Only
    /// for an account with an own password: the first one takes both letters.
    pub async fn reset_password(
        &self,
        ik: &str,
        pruefnummer: &str,
        new_password: &str,
        client: ClientAddress,
    ) -> Result<(), PasswordChangeError> {
        let Ok(ik) = Ik::parse(ik) else {
            self.hasher.verify(pruefnummer, None).await;
            return Err(PasswordChangeError::InvalidCredentials);
        };
        let now = self.clock.now();
        let via = (Via::Reset, None);
        self.set_password_with_pruefnummer(&ik, pruefnummer, new_password, via, client, now).await
    }

    async fn set_password_with_pruefnummer(
        &self,
        ik: &Ik,
        pruefnummer: &str,
        new_password: &str,
        (via, browser): (Via, Option<Browser>),
        client: ClientAddress,
        now: OffsetDateTime,
    ) -> Result<(), PasswordChangeError> {
        let pruefnummer =
            Pruefnummer::parse(pruefnummer).map_err(PasswordChangeError::MalformedPruefnummer)?;
        let of_client = Attempts::of_client(client, now);
        if !self.reserve(&of_client, self.policy.failures_per_client).await? {
            let retry_after = of_client.failures.window_ends() - now;
            return Err(PasswordChangeError::TooManyAttempts { retry_after });
        }
        // Counted for the IK's logins too, but never refused: a 60-bit Prüfnummer needs no
        // proof of work, and the provider with the letter in hand must always get in.
        let of_ik = Attempts::of_ik(*ik, now);
        self.reserve(&of_ik, u32::MAX).await?;
        let account = self.accounts.account(ik).await?;
        let hash = account.as_ref().map(|a| a.pruefnummer_hash.as_str());
        if !self.hasher.verify(pruefnummer.expose(), hash).await {
            return Err(PasswordChangeError::InvalidCredentials);
        }
        let Some(account) = account else { return Err(PasswordChangeError::InvalidCredentials) };
        self.credit(&[&of_ik, &of_client]).await?;
        // Told only to whoever holds the Prüfnummer.
        if account.blocked {
            return Err(PasswordChangeError::Blocked);
        }
        if via == Via::Reset && account.must_change_password {
            return Err(PasswordChangeError::NeedsBothLetters);
        }
        let provider = self.providers.provider(ik).await?;
        self.check_new_password(&account, provider.as_ref(), new_password).await?;
        let new_hash = self.hasher.hash(new_password).await?;
        let block = self.new_block_link(ik, false, now).await?;
        let notice = provider.as_ref().map(|provider| {
            letters::Compose {
                sender: &self.sender,
                provider,
                generation: account.letters_generation,
                now,
            }
            .password_changed(&block)
        });
        for _ in 0..SAVE_ATTEMPTS {
            let Some(mut current) = self.accounts.account(ik).await? else {
                return Err(PasswordChangeError::InvalidCredentials);
            };
            // Blocked, or new letters issued, while this one was checked: decided on the account
            // as it is now.
            if current.blocked {
                return Err(PasswordChangeError::Blocked);
            }
            if current.pruefnummer_hash != account.pruefnummer_hash {
                return Err(PasswordChangeError::InvalidCredentials);
            }
            current.set_own_password(new_hash.clone(), now);
            if self.accounts.save_account(&current, notice.as_slice()).await? == Saved::Done {
                tracing::info!(%ik, "own password set");
                (self.letters_queued)();
                let event = match via {
                    Via::Session => AccountEvent::PasswordChanged,
                    Via::Reset => AccountEvent::PasswordReset,
                };
                self.remember(*ik, event, browser, now).await;
                return Ok(());
            }
        }
        Err(StoreError::unavailable("the account kept changing while the password was set").into())
    }

    /// NIST 800-63B: long enough, not the IK, not the initial password, not common or guessable.
    async fn check_new_password(
        &self,
        account: &Account,
        provider: Option<&Provider>,
        candidate: &str,
    ) -> Result<(), PasswordChangeError> {
        check_password_shape(candidate, &account.ik).map_err(PasswordChangeError::Weak)?;
        if account.must_change_password
            && self.hasher.verify(candidate, Some(&account.password_hash)).await
        {
            return Err(PasswordChangeError::Weak(PasswordError::SameAsInitial));
        }
        let ik = account.ik.to_string();
        let mut context = vec![
            ik.as_str(),
            "serviceportal",
            "portal",
            "leistungserbringer",
            "kennwort",
            "passwort",
        ];
        if let Some(provider) = provider {
            context.extend(provider.name.split_whitespace());
            context.push(provider.address.ort.as_str());
        }
        if zxcvbn::zxcvbn(candidate, &context).score() < zxcvbn::Score::Three {
            return Err(PasswordChangeError::Weak(PasswordError::TooGuessable));
        }
        Ok(())
    }

    /// Back office: blocks the account (no login, no reset) and ends every session at once.
    /// False when there is no account.
    pub async fn block(&self, ik: &Ik) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let found = self.update(ik, |a| a.block(now)).await?.is_some();
        if found {
            self.remember(*ik, AccountEvent::Blocked, None, now).await;
            crate::figures::count_figure(self.limits.as_ref(), DayCount::Blocks, now).await;
        }
        Ok(found)
    }

    /// Back office: lifts a block. False when there is no account.
    pub async fn unblock(&self, ik: &Ik) -> Result<bool, StoreError> {
        Ok(self.update(ik, Account::unblock).await?.is_some())
    }

    /// Loads, changes and saves an account, again if a concurrent request changed it meanwhile;
    /// an account the change leaves as it was is not written at all. `None` when there is no
    /// account.
    async fn update<T>(
        &self,
        ik: &Ik,
        change: impl Fn(&mut Account) -> T,
    ) -> Result<Option<T>, StoreError> {
        for _ in 0..SAVE_ATTEMPTS {
            let Some(mut account) = self.accounts.account(ik).await? else { return Ok(None) };
            let before = account.clone();
            let outcome = change(&mut account);
            if account == before || self.accounts.save_account(&account, &[]).await? == Saved::Done
            {
                return Ok(Some(outcome));
            }
        }
        Err(StoreError::unavailable("the account kept changing under concurrent requests"))
    }
}

/// How long a dispatcher may take to send a letter it reserved before another may try: far
/// longer than a send takes, far shorter than the letter may wait when a dispatcher dies.
const LETTER_LEASE: Duration = Duration::minutes(2);

/// What one dispatch round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dispatched {
    pub sent: usize,
    pub voided: usize,
    /// Left pending for the next round.
    pub failed: usize,
}

/// Sends the pending letters. A credential letter whose generation is no longer the account's is
/// void and never sent. A letter that fails stays pending and is tried again in the next round;
/// one that was sent is marked so and never sent again.
pub async fn dispatch_letters(
    queue: &dyn LetterQueue,
    accounts: &dyn AccountStore,
    mailer: &dyn Mailer,
    clock: &dyn Clock,
) -> Result<Dispatched, StoreError> {
    dispatch_letters_counting(queue, accounts, mailer, clock, None).await
}

/// [`dispatch_letters`], counting each initial-password letter sent in the figures' histogram
/// of hours from registration (the letter's creation) to sending, in `figures`.
pub async fn dispatch_letters_counting(
    queue: &dyn LetterQueue,
    accounts: &dyn AccountStore,
    mailer: &dyn Mailer,
    clock: &dyn Clock,
    figures: Option<&dyn Limits>,
) -> Result<Dispatched, StoreError> {
    let mut done = Dispatched::default();
    for letter in queue.pending_letters(100).await? {
        let now = clock.now();
        if !queue.claim_letter(&letter.id, now, now + LETTER_LEASE).await? {
            continue; // another dispatcher has it, or has sent it
        }
        match dispatch_claimed(&letter, queue, accounts, mailer).await {
            Ok(Handled::Sent) => {
                done.sent += 1;
                if let Some(limits) = figures.filter(|_| letter.kind == LetterKind::InitialPassword)
                {
                    let now = clock.now();
                    let bucket = crate::model::hours_bucket(now - letter.created_at);
                    crate::figures::count_figure(limits, DayCount::LetterHours(bucket), now).await;
                }
            }
            Ok(Handled::Voided) => done.voided += 1,
            Ok(Handled::Refused) => {
                queue.release_letter(&letter.id).await?;
                done.failed += 1;
            }
            Err(error) => {
                // The next round tries again; this round reports what failed.
                let _ = queue.release_letter(&letter.id).await;
                return Err(error);
            }
        }
    }
    Ok(done)
}

/// What became of one reserved letter.
enum Handled {
    Sent,
    Voided,
    /// The mailer refused it; it stays pending.
    Refused,
}

/// Sends one reserved letter, or voids it when newer letters replaced it.
async fn dispatch_claimed(
    letter: &Letter,
    queue: &dyn LetterQueue,
    accounts: &dyn AccountStore,
    mailer: &dyn Mailer,
) -> Result<Handled, StoreError> {
    if letter.kind.is_credential() {
        let current = accounts.standing(&letter.ik).await?.map(|a| a.letters_generation);
        if current != Some(letter.generation) {
            queue.mark_void(&letter.id).await?;
            return Ok(Handled::Voided);
        }
    }
    match mailer.send(letter).await {
        Ok(()) => {
            queue.mark_sent(&letter.id).await?;
            tracing::info!(letter = %letter.id, kind = letter.kind.as_str(), "letter sent");
            Ok(Handled::Sent)
        }
        Err(error) => {
            tracing::warn!(letter = %letter.id, error = %crate::error_chain(&error), "letter not sent, will retry");
            Ok(Handled::Refused)
        }
    }
}
