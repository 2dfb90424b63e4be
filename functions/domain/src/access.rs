//! A provider's access and the rules that change it: the 30-day initial password, the 180-day
//! rule, blocks, the letters in the post, sessions' idle and absolute limits. Every change is a
//! pure function of the record and the time, so both stores and every entry point apply the same
//! rules; the use cases only load, decide, and save.

use std::fmt;

use time::{Duration, OffsetDateTime};

use crate::Ik;

/// The numbers of the access rules, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failed logins (or wrong Prüfnummern) per IK and German calendar day after which every
    /// further attempt on that IK needs a solved proof of work. No number of failures locks an
    /// account: a lock that anyone can trigger would lock providers out (NIST 800-63B 5.2.2).
    pub max_failures: u32,
    /// Failed logins per client address and hour; beyond, that client (only) waits.
    pub failures_per_client: u32,
    /// An account unused this long needs the Prüfnummer again (`inactive`).
    pub inactive_after: Duration,
    /// How long the mailed initial password works.
    pub initial_password_valid_for: Duration,
    /// How long the letters of a registration stay the valid ones: a new registration of the
    /// same IK before then is refused (and the address on file told), so that a stranger cannot
    /// void letters that are in the post.
    pub letters_kept_for: Duration,
    /// A session ends after this long without a request...
    pub session_idle: Duration,
    /// ...and after this long in any case.
    pub session_absolute: Duration,
    /// Leading zero bits the registration's proof of work needs, and how long a challenge lasts.
    pub challenge_difficulty: u8,
    pub challenge_valid_for: Duration,
    /// Challenges issued per minute in all: a cap on what a flood of requests can make us store.
    pub challenges_per_minute: u32,
    /// Challenges issued per minute to one client address, so that one client cannot use up
    /// everyone's.
    pub challenges_per_client: u32,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_failures: 5,
            failures_per_client: 30,
            inactive_after: Duration::days(180),
            initial_password_valid_for: Duration::days(30),
            letters_kept_for: Duration::days(3),
            session_idle: Duration::minutes(10),
            session_absolute: Duration::hours(8),
            challenge_difficulty: 16,
            challenge_valid_for: Duration::minutes(5),
            challenges_per_minute: 600,
            challenges_per_client: 20,
        }
    }
}

/// An account without its secrets: what the query function and the letter dispatcher may read
/// of it, and nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub ik: Ik,
    pub must_change_password: bool,
    /// See [`Account::letters_generation`].
    pub letters_generation: u32,
    /// See [`Account::sessions_valid_from`].
    pub sessions_valid_from: OffsetDateTime,
}

/// A provider's access. Secrets are stored only as Argon2id hashes (PHC strings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub ik: Ik,
    pub password_hash: String,
    pub pruefnummer_hash: String,
    /// True from registration until the provider sets an own password with the Prüfnummer.
    pub must_change_password: bool,
    /// When the initial password stops working; `None` once an own password is set.
    pub initial_password_expires_at: Option<OffsetDateTime>,
    /// Blocked by the back office: no login and no reset until it is lifted.
    pub blocked: bool,
    pub last_used_at: OffsetDateTime,
    /// Raised by every registration or resend; letters of older generations are void.
    pub letters_generation: u32,
    /// Sessions begun before this are void. Set whenever the credentials change (registration,
    /// an own password), so a new password logs out every other browser, as the notice letter
    /// promises.
    pub sessions_valid_from: OffsetDateTime,
    /// The second factor (an authenticator app or a passkey), pending or active; `None`
    /// without one.
    pub second_factor: Option<SecondFactor>,
    /// Optimistic concurrency: the store saves a change only if this is still the stored version;
    /// 0 means "not stored yet".
    pub version: u64,
}

/// A provider's second factor. What proves it is stored sealed (AES-256-GCM under a key the
/// store never holds); the recovery codes only as salted hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondFactor {
    pub kind: FactorKind,
    /// The TOTP secret, or the passkey's credential (its public key, id and signature counter,
    /// as webauthn-rs keeps it), sealed with the tenant's key for account secrets.
    pub sealed_secret: Vec<u8>,
    /// False from enrolment until its first code confirms it: a pending factor asks nothing at
    /// login. (A passkey is stored only once its registration is done.)
    pub active: bool,
    /// TOTP: the last time step (Unix time / 30 s) a code was accepted for: a code of this step
    /// or an earlier one is refused, so each code works once. A passkey: the number of the last
    /// ceremony whose answer was taken (its start in Unix nanoseconds, or one more than the
    /// last): an answer to it or an earlier one is refused.
    pub last_step: u64,
    /// The unused recovery codes, each as `salt$sha256` (hex); a used one is removed.
    pub recovery_codes: Vec<String>,
}

/// What kind of second factor a provider uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorKind {
    /// An authenticator app (TOTP, RFC 6238).
    Totp,
    /// A passkey (WebAuthn, with user verification).
    Passkey,
}

impl FactorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::Totp => "totp",
            FactorKind::Passkey => "passkey",
        }
    }

    pub fn parse(text: &str) -> Option<FactorKind> {
        [FactorKind::Totp, FactorKind::Passkey].into_iter().find(|kind| kind.as_str() == text)
    }
}

/// Why a correct password still does not let the provider in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Barrier {
    Blocked,
    Inactive,
    InitialPasswordExpired,
}

impl Account {
    /// A fresh registration, or a renewed one for a still pending account.
    pub fn registered(
        ik: Ik,
        previous: Option<&Account>,
        password_hash: String,
        pruefnummer_hash: String,
        now: OffsetDateTime,
        policy: &Policy,
    ) -> Account {
        Account {
            ik,
            password_hash,
            pruefnummer_hash,
            must_change_password: true,
            initial_password_expires_at: Some(now + policy.initial_password_valid_for),
            // New letters do not lift a block; only the back office does.
            blocked: previous.is_some_and(|p| p.blocked),
            last_used_at: now,
            letters_generation: previous.map_or(1, |p| p.letters_generation + 1),
            sessions_valid_from: now,
            // New letters keep the factor: only the back office resets it.
            second_factor: previous.and_then(|p| p.second_factor.clone()),
            version: previous.map_or(0, |p| p.version),
        }
    }

    /// Whether a login needs a code after the password.
    pub fn has_active_factor(&self) -> bool {
        self.active_factor().is_some()
    }

    /// The kind of the active second factor, if there is one.
    pub fn active_factor(&self) -> Option<FactorKind> {
        self.second_factor.as_ref().filter(|f| f.active).map(|f| f.kind)
    }

    /// What of the account may be read without its secrets.
    pub fn standing(&self) -> Standing {
        Standing {
            ik: self.ik,
            must_change_password: self.must_change_password,
            letters_generation: self.letters_generation,
            sessions_valid_from: self.sessions_valid_from,
        }
    }

    /// Active means: the provider has set an own password. A new registration would then only
    /// lock them out, so it is refused; the Prüfnummer resets the password instead.
    pub fn is_active(&self) -> bool {
        !self.must_change_password
    }

    /// When the credentials now valid were mailed (derived from the initial password's expiry,
    /// which registration sets); `None` once an own password is set.
    pub fn letters_sent_at(&self, policy: &Policy) -> Option<OffsetDateTime> {
        self.initial_password_expires_at.map(|expiry| expiry - policy.initial_password_valid_for)
    }

    /// Until when a new registration would void letters that may still be in the post.
    pub fn letters_kept_until(&self, policy: &Policy) -> Option<OffsetDateTime> {
        self.letters_sent_at(policy).map(|sent| sent + policy.letters_kept_for)
    }

    /// What stands between a correct password and a session, most urgent first.
    pub fn barrier(&self, now: OffsetDateTime, policy: &Policy) -> Option<Barrier> {
        if self.blocked {
            return Some(Barrier::Blocked);
        }
        if self.initial_password_expires_at.is_some_and(|expiry| expiry <= now) {
            return Some(Barrier::InitialPasswordExpired);
        }
        if self.is_active() && now - self.last_used_at >= policy.inactive_after {
            return Some(Barrier::Inactive);
        }
        None
    }

    /// Notes the use. The time of last use only matters for the 180-day rule, so it is renewed
    /// once an hour: most logins then change nothing, and a burst of logins to one account does
    /// not queue up behind its own writes.
    pub fn record_login(&mut self, now: OffsetDateTime) {
        if now - self.last_used_at >= Duration::HOUR {
            self.last_used_at = now;
        }
    }

    /// The provider proved to hold the Prüfnummer and chose a password: active, reactivated,
    /// and every session begun before is void.
    pub fn set_own_password(&mut self, password_hash: String, now: OffsetDateTime) {
        self.password_hash = password_hash;
        self.sessions_valid_from = now;
        self.must_change_password = false;
        self.initial_password_expires_at = None;
        self.last_used_at = now;
    }

    /// The back office blocks the account: no login, no reset, and every session ends now.
    pub fn block(&mut self, now: OffsetDateTime) {
        self.blocked = true;
        self.sessions_valid_from = self.sessions_valid_from.max(now);
    }

    pub fn unblock(&mut self) {
        self.blocked = false;
    }
}

/// The SHA-256 (64 hex digits) of a session cookie's value: all the store ever knows of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionIdHash(String);

impl SessionIdHash {
    pub fn parse(text: &str) -> Option<SessionIdHash> {
        let hex = text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit());
        hex.then(|| SessionIdHash(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionIdHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How far a session has come: only a full one opens the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionStage {
    /// Logged in (with the second factor where the account has one).
    Full,
    /// The password was right; the account has a second factor, whose code (or a recovery
    /// code) is all this session may send.
    SecondFactor,
    /// The password was right; the insurer requires a second factor and the account has none:
    /// this session may only enrol one (and log out).
    Enrolment,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::Full => "full",
            SessionStage::SecondFactor => "second_factor",
            SessionStage::Enrolment => "enrolment",
        }
    }

    pub fn parse(text: &str) -> Option<SessionStage> {
        [SessionStage::Full, SessionStage::SecondFactor, SessionStage::Enrolment]
            .into_iter()
            .find(|stage| stage.as_str() == text)
    }
}

/// The family of the browser a session was begun with: all that is kept of its User-Agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Browser {
    Firefox,
    Chrome,
    Safari,
    Edge,
    Other,
}

impl Browser {
    /// The family, read coarsely from a User-Agent (Edge and Opera name Chrome and Safari too,
    /// Chrome names Safari: the most specific token wins).
    pub fn from_user_agent(user_agent: &str) -> Browser {
        let ua = user_agent;
        if ua.contains("Edg/")
            || ua.contains("Edge/")
            || ua.contains("EdgA/")
            || ua.contains("EdgiOS/")
        {
            Browser::Edge
        } else if ua.contains("OPR/") || ua.contains("Opera") || ua.contains("SamsungBrowser/") {
            Browser::Other
        } else if ua.contains("Firefox/") || ua.contains("FxiOS/") {
            Browser::Firefox
        } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("CriOS/") {
            Browser::Chrome
        } else if ua.contains("Safari/") && ua.contains("Version/") {
            Browser::Safari
        } else {
            Browser::Other
        }
    }

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Browser::Firefox => "firefox",
            Browser::Chrome => "chrome",
            Browser::Safari => "safari",
            Browser::Edge => "edge",
            Browser::Other => "other",
        }
    }

    /// An unknown stored value reads as `Other`.
    pub fn parse(text: &str) -> Browser {
        [Browser::Firefox, Browser::Chrome, Browser::Safari, Browser::Edge]
            .into_iter()
            .find(|b| b.as_str() == text)
            .unwrap_or(Browser::Other)
    }

    /// As a person reads it in the list of sessions.
    pub fn name(self) -> &'static str {
        match self {
            Browser::Firefox => "Firefox",
            Browser::Chrome => "Chrome",
            Browser::Safari => "Safari",
            Browser::Edge => "Edge",
            Browser::Other => "andere",
        }
    }
}

/// A logged-in browser. The cookie holds a random id; only its SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: SessionIdHash,
    pub ik: Ik,
    pub created_at: OffsetDateTime,
    pub idle_expires_at: OffsetDateTime,
    /// The last request that extended the session (to the 15 seconds the store is touched in).
    pub last_active_at: OffsetDateTime,
    pub stage: SessionStage,
    pub browser: Browser,
}

impl Session {
    /// Begun before the credentials last changed: void, whatever its expiry says.
    pub fn predates_credentials(&self, standing: &Standing) -> bool {
        self.created_at < standing.sessions_valid_from
    }

    pub fn absolute_expires_at(&self, policy: &Policy) -> OffsetDateTime {
        self.created_at + policy.session_absolute
    }

    /// When the session ends if nothing else happens: the earlier of the two limits.
    pub fn expires_at(&self, policy: &Policy) -> OffsetDateTime {
        self.idle_expires_at.min(self.absolute_expires_at(policy))
    }

    pub fn is_expired(&self, now: OffsetDateTime, policy: &Policy) -> bool {
        self.expires_at(policy) <= now
    }

    /// Each request extends the idle limit, never beyond the absolute one.
    pub fn extended(&self, now: OffsetDateTime, policy: &Policy) -> Session {
        let idle_expires_at = (now + policy.session_idle).min(self.absolute_expires_at(policy));
        Session { idle_expires_at, last_active_at: now, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn account(now: OffsetDateTime) -> Account {
        let ik = Ik::parse("301412340").unwrap();
        Account::registered(ik, None, "p".into(), "q".into(), now, &Policy::default())
    }

    #[test]
    fn a_blocked_account_lets_no_one_in_and_ends_every_session_until_unblocked() {
        let now = datetime!(2026-05-04 10:00 UTC);
        let policy = Policy::default();
        let mut a = account(now - Duration::HOUR);
        let session = Session {
            id_hash: SessionIdHash::parse(&"a".repeat(64)).unwrap(),
            ik: a.ik,
            created_at: now - Duration::MINUTE,
            idle_expires_at: now + policy.session_idle,
            last_active_at: now - Duration::MINUTE,
            stage: SessionStage::Full,
            browser: Browser::Other,
        };
        a.block(now);
        assert_eq!(a.barrier(now, &policy), Some(Barrier::Blocked));
        assert!(session.predates_credentials(&a.standing()));
        a.unblock();
        assert_eq!(a.barrier(now, &policy), None);
    }

    #[test]
    fn letters_stay_the_valid_ones_for_three_days_after_they_were_sent() {
        let now = datetime!(2026-05-04 10:00 UTC);
        let policy = Policy::default();
        let a = account(now);
        assert_eq!(a.letters_sent_at(&policy), Some(now));
        assert_eq!(a.letters_kept_until(&policy), Some(now + Duration::days(3)));
    }

    #[test]
    fn an_own_password_voids_the_sessions_begun_before_it() {
        let policy = Policy::default();
        let start = datetime!(2026-05-04 08:00 UTC);
        let mut a = account(start);
        let session_at = |at: OffsetDateTime| Session {
            id_hash: SessionIdHash::parse(&"a".repeat(64)).unwrap(),
            ik: a.ik,
            created_at: at,
            idle_expires_at: at + policy.session_idle,
            last_active_at: at,
            stage: SessionStage::Full,
            browser: Browser::Other,
        };
        let (before, at_change) = (session_at(start), session_at(start + Duration::MINUTE));
        assert!(!before.predates_credentials(&a.standing()));
        a.set_own_password("own".into(), start + Duration::MINUTE);
        assert!(before.predates_credentials(&a.standing()));
        assert!(!at_change.predates_credentials(&a.standing()), "the one begun with the change");
    }

    #[test]
    fn a_login_renews_the_time_of_last_use_at_most_hourly() {
        let now = datetime!(2026-05-04 10:00 UTC);
        let mut a = account(now);
        a.record_login(now + Duration::minutes(59));
        assert_eq!(a.last_used_at, now);
        a.record_login(now + Duration::HOUR);
        assert_eq!(a.last_used_at, now + Duration::HOUR);
    }

    #[test]
    fn the_initial_password_expires_after_thirty_days() {
        let now = datetime!(2026-05-04 10:00 UTC);
        let policy = Policy::default();
        let a = account(now);
        assert_eq!(a.barrier(now + Duration::days(30) - Duration::SECOND, &policy), None);
        assert_eq!(
            a.barrier(now + Duration::days(30), &policy),
            Some(Barrier::InitialPasswordExpired)
        );
    }

    #[test]
    fn an_active_account_unused_for_180_days_is_inactive_until_a_new_password_is_set() {
        let now = datetime!(2026-01-04 10:00 UTC);
        let policy = Policy::default();
        let mut a = account(now);
        a.set_own_password("own".into(), now);
        let later = now + Duration::days(180);
        assert_eq!(a.barrier(later, &policy), Some(Barrier::Inactive));
        a.set_own_password("newer".into(), later);
        assert_eq!(a.barrier(later, &policy), None);
    }

    #[test]
    fn a_renewed_registration_voids_the_earlier_letters_and_keeps_the_version() {
        let now = datetime!(2026-05-04 10:00 UTC);
        let mut first = account(now);
        first.version = 7;
        let ik = first.ik;
        let renewed = Account::registered(
            ik,
            Some(&first),
            "p2".into(),
            "q2".into(),
            now,
            &Policy::default(),
        );
        assert_eq!((renewed.letters_generation, renewed.version), (2, 7));
    }

    #[test]
    fn a_session_is_extended_by_each_request_but_never_past_eight_hours() {
        let policy = Policy::default();
        let start = datetime!(2026-05-04 08:00 UTC);
        let ik = Ik::parse("301412340").unwrap();
        let session = Session {
            id_hash: SessionIdHash::parse(&"a".repeat(64)).unwrap(),
            ik,
            created_at: start,
            idle_expires_at: start + policy.session_idle,
            last_active_at: start,
            stage: SessionStage::Full,
            browser: Browser::Other,
        };
        assert!(session.is_expired(start + Duration::minutes(10), &policy));
        let touched = session.extended(start + Duration::minutes(9), &policy);
        assert!(!touched.is_expired(start + Duration::minutes(18), &policy));
        let late = session.extended(start + Duration::hours(8) - Duration::minutes(1), &policy);
        assert_eq!(late.expires_at(&policy), start + Duration::hours(8));
    }

    #[test]
    fn a_user_agent_is_kept_as_its_browser_family_only() {
        let family = Browser::from_user_agent;
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0";
        let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
        let opera = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0";
        assert_eq!(family(firefox), Browser::Firefox);
        assert_eq!(family(chrome), Browser::Chrome);
        assert_eq!(family(edge), Browser::Edge);
        assert_eq!(family(safari), Browser::Safari);
        assert_eq!(family(opera), Browser::Other);
        assert_eq!(family("curl/8.5.0"), Browser::Other);
        for b in [Browser::Firefox, Browser::Chrome, Browser::Safari, Browser::Edge, Browser::Other]
        {
            assert_eq!(Browser::parse(b.as_str()), b);
        }
        assert_eq!(Browser::Other.name(), "andere");
    }
}
