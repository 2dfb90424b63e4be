//! What happened to an account (BSI TR-03161 O.Pass_4), the browsers it is known in (O.Auth_6),
//! and the links of the change notices that block it (O.Auth_16).

use portal_domain::Ik;
use portal_domain::access::Browser;
use time::{Duration, OffsetDateTime};

/// How long the account's history is kept (and shown).
pub const HISTORY_KEPT_FOR: Duration = Duration::days(90);

/// How long a browser stays known to an account after it was first seen there; its cookie
/// lives as long (the most a browser keeps a cookie, 400 days).
pub const DEVICE_KNOWN_FOR: Duration = Duration::days(400);

/// How long the link of a change notice blocks the account.
pub const BLOCK_LINK_VALID_FOR: Duration = Duration::days(7);

/// One kind of event in an account's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountEvent {
    Login,
    LoginFailed,
    SecondFactorFailed,
    FactorEnrolled,
    FactorRemoved,
    /// The back office removed the factor (`portal accounts reset-factor`).
    FactorReset,
    RecoveryCodeUsed,
    PasswordChanged,
    /// Set anew with the Prüfnummer, without a session.
    PasswordReset,
    /// Blocked by the back office.
    Blocked,
    /// Blocked with the link of a change notice; new letters are on their way.
    BlockedByLink,
}

impl AccountEvent {
    pub const ALL: [AccountEvent; 11] = [
        AccountEvent::Login,
        AccountEvent::LoginFailed,
        AccountEvent::SecondFactorFailed,
        AccountEvent::FactorEnrolled,
        AccountEvent::FactorRemoved,
        AccountEvent::FactorReset,
        AccountEvent::RecoveryCodeUsed,
        AccountEvent::PasswordChanged,
        AccountEvent::PasswordReset,
        AccountEvent::Blocked,
        AccountEvent::BlockedByLink,
    ];

    /// As stored and answered.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountEvent::Login => "login",
            AccountEvent::LoginFailed => "login_failed",
            AccountEvent::SecondFactorFailed => "second_factor_failed",
            AccountEvent::FactorEnrolled => "factor_enrolled",
            AccountEvent::FactorRemoved => "factor_removed",
            AccountEvent::FactorReset => "factor_reset",
            AccountEvent::RecoveryCodeUsed => "recovery_code_used",
            AccountEvent::PasswordChanged => "password_changed",
            AccountEvent::PasswordReset => "password_reset",
            AccountEvent::Blocked => "blocked",
            AccountEvent::BlockedByLink => "blocked_by_link",
        }
    }

    pub fn parse(text: &str) -> Option<AccountEvent> {
        AccountEvent::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// One line of an account's history: when, what, and from which browser family (none for the
/// back office's doings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub ik: Ik,
    pub at: OffsetDateTime,
    pub event: AccountEvent,
    pub browser: Option<Browser>,
    /// Random, so that two events of the same nanosecond are both kept.
    pub id: String,
}

impl HistoryEntry {
    pub fn expires_at(&self) -> OffsetDateTime {
        self.at + HISTORY_KEPT_FOR
    }
}

/// Whether a browser was known to an account before this login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSeen {
    /// Seen before.
    Known,
    /// New, and the account knew other browsers.
    New,
    /// The account's first known browser (the first login after registration).
    First,
}

/// The link of a change notice, stored as the SHA-256 of its token only; it works once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockToken {
    /// 64 hex digits.
    pub hash: String,
    pub ik: Ik,
    pub expires_at: OffsetDateTime,
    /// The notice was about the second factor: blocking removes it too (it may be a stranger's).
    pub drops_factor: bool,
}
